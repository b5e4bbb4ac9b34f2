"""MAESTRO's directive syntax: read it exactly as MAESTRO 4eb08d1 reads it, and write it back.

MAESTRO's reader (``DFSL_parser.hpp``) takes the file a line at a time, cuts each line into words
at the characters of :data:`SEPARATORS` (dropping them: ``TemporalMap(Sz(R),1) Y;`` is the words
``TemporalMap Sz R 1 Y``) and feeds the words to a state machine, so a directive may span lines
and brackets and punctuation are decoration.  The quirks we reproduce, each in one place below:

* comments: a word that *starts* with ``//`` ends the line (``C;// x`` is a comment, ``C// x``
  is the dimension ``C//``); there are no ``/* */`` comments (:func:`tokens`);
* braces are words too: ``Dataflow{`` or ``K}`` is one word, not a keyword and a brace;
* numbers are read with C's ``atoi``: ``4abc`` is 4, ``+4`` is 4, a word without leading digits
  is 0, which no size may be (:func:`atoi`);
* a ``Constant`` is looked up before a word is read as a number (``Constant 4 7;`` makes ``4``
  mean 7); its value is read with ``atoi`` alone, and a bad one only matters where it is used;
* ``Sz`` before a word takes the layer's size of the dimension that word names; repeated
  (``Sz(Sz(R))``) it still means ``Sz(R)``;
* the word after ``Cluster(size,`` is its type, whatever it is: ``P`` or ``L``.

Where we part from MAESTRO, deliberately (docs/dataflows.md, "What we refuse"):

* a number beyond MAESTRO's 32-bit ``int`` is refused (MAESTRO wraps it: 4294967300 reads as 4);
* a Cluster type other than ``P`` or ``L``, a dimension MAESTRO does not know, a level without a
  SpatialMap or with three, and a fifth level are refused when read (MAESTRO's parser passes them
  and its analysis crashes or refuses them);
* a word that names no constant is a free name, bound when the program is costed (MAESTRO reads
  it as ``atoi`` = 0 and refuses the file);
* a carriage return before a line end is a line end (MAESTRO keeps it as part of the last word,
  so it refuses CRLF files), and a byte-order mark at the start is skipped;
* errors name the true line: MAESTRO counts a line twice when it holds a ``//`` comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from .program import (
    DIMENSIONS,
    FILTER_DIMS,
    INT_MAX,
    MAX_DIRECTIVES,
    RESERVED,
    Cluster,
    Dataflow,
    Directive,
    Map,
    Size,
    Sz,
    is_name,
)

__all__ = ["SEPARATORS", "Token", "tokens", "atoi", "parse", "parse_block", "format_dataflow", "block_lines"]

#: The characters MAESTRO cuts a line at (``boost::char_separator(" ,->():\t;")``).
SEPARATORS = " ,->():\t;"
# One pass: a comment (a word starting with //, to the line's end), a word (a run of
# non-separators; a carriage return counts as a separator only before a line end: our one
# leniency in splitting, for CRLF files), or a line end.  At a word's first character the
# comment is tried first, so "C//x" is one word and "C;//x" a word and a comment.
_WORD = re.compile(r"(?P<c>//[^\n]*)|(?P<w>(?:[^ ,\->():\t;\n\r]|\r(?!\n|\Z))+)|(?P<n>\n)")
_ATOI = re.compile(r"[ \t\n\v\f\r]*\+?([0-9]*)")
_KEYWORDS = {"SpatialMap": "spatial", "TemporalMap": "temporal"}


class Token(NamedTuple):
    """A word, its line (from 1) and the text offset just past it."""

    text: str
    line: int
    end: int


def tokens(text: str, pos: int = 0, line: int = 1) -> Iterator[Token]:
    """MAESTRO's words of ``text`` from offset ``pos`` (on line ``line``), comments dropped."""
    for m in _WORD.finditer(text, pos):
        kind = m.lastgroup
        if kind == "w":
            yield Token(m.group(), line, m.end())
        elif kind == "n":
            line += 1


def atoi(word: str) -> int:
    """C's ``atoi`` as MAESTRO uses it: leading blanks and ``+`` skipped, the leading digits
    read, the rest ignored (0 when there are none).  A value beyond a 32-bit ``int`` is a
    ValueError (MAESTRO would wrap it to another number)."""
    m = _ATOI.match(word)
    digits = m.group(1) if m else ""
    if not digits:
        return 0
    if len(digits.lstrip("0")) > 10 or int(digits) > INT_MAX:
        raise ValueError(f"{word!r} does not fit MAESTRO's 32-bit int (MAESTRO would read another number)")
    return int(digits)


class _Declared:
    """The ``Constant``s in force: MAESTRO's constant map, looked up before ``atoi``."""

    def __init__(self, values: Mapping[str, int] | None = None) -> None:
        self.values: dict[str, int] = dict(values or {})

    def declare(self, name: str, value: int) -> None:
        self.values[name] = value

    def kept(self) -> dict[str, int]:
        """The declarations a program carries: names that can be written back, values >= 1
        (the others were substituted where used; a bad value never used does no harm)."""
        return {k: v for k, v in self.values.items() if is_name(k) and 1 <= v}


class _Reader:
    """The state machine over one text's words; errors name the source and the line."""

    def __init__(self, words: Iterator[Token], source: str, declared: _Declared, line: int) -> None:
        self.words, self.source, self.declared = words, source, declared
        self.last = Token("", line, 0)

    def fail(self, message: str, line: int | None = None) -> ValueError:
        return ValueError(f"{self.source}, line {self.last.line if line is None else line}: {message}")

    def next(self, inside: str) -> Token:
        tok = next(self.words, None)
        if tok is None:
            raise self.fail(f"the text ends inside {inside}")
        self.last = tok
        return tok

    def next_or_none(self) -> Token | None:
        tok = next(self.words, None)
        if tok is not None:
            self.last = tok
        return tok

    def block(self) -> list[Directive]:
        """After the word ``Dataflow``: ``{``, the directives, ``}``."""
        brace = self.next("'Dataflow', before its '{'")
        if brace.text != "{":
            raise self.fail(f"expected '{{' after 'Dataflow', got {brace.text!r}{_glued(brace.text)}")
        return self.body(self.next_or_none(), closed=True)

    # -- sizes -----------------------------------------------------------------------------
    def size(self, what: str) -> Size:
        """A size: ``Sz`` and a dimension, a declared constant, a free name or a number."""
        tok = self.next(what)
        if tok.text == "Sz":
            while tok.text == "Sz":  # MAESTRO stays in its "read a dimension" mode
                tok = self.next(f"{what}, after Sz")
            if tok.text not in DIMENSIONS:
                raise self.fail(f"{what}: Sz({tok.text}) names no dimension; MAESTRO's are {', '.join(DIMENSIONS)}")
            return Sz(tok.text)
        if tok.text in self.declared.values:  # MAESTRO looks constants up first
            value = self.declared.values[tok.text]
            if value < 1:
                raise self.fail(f"{what}: constant {tok.text} is {value}; a size must be a positive integer")
            return tok.text if is_name(tok.text) else value
        if is_name(tok.text):
            if tok.text in RESERVED:
                raise self.fail(
                    f"{what}: {tok.text!r} is not a size: a free constant cannot be named like a dimension or a "
                    f"keyword (MAESTRO reads an undeclared word as 0: a parse error){_hint(tok.text)}"
                )
            return tok.text  # a free name, bound when the program is costed
        try:
            value = atoi(tok.text)
        except ValueError as exc:
            raise self.fail(f"{what}: {exc}") from None
        if value < 1:
            raise self.fail(
                f"{what}: {tok.text!r} is not a positive integer, Sz(dim) or a constant's name "
                f"(MAESTRO reads it as {value}: a parse error){_glued(tok.text)}"
            )
        return value

    def value(self, size: Size) -> int | None:
        """``size`` as a number when the declarations fix it (for the rules MAESTRO checks while
        reading), else None."""
        if isinstance(size, int):
            return size
        if isinstance(size, str):
            return self.declared.values.get(size)
        return None

    # -- directives ------------------------------------------------------------------------
    def directive(self, tok: Token) -> Directive:
        kind = _KEYWORDS.get(tok.text)
        if kind is not None:
            return self.map(kind, tok)
        if tok.text == "Cluster":
            return self.cluster(tok)
        raise self.fail(f"expected SpatialMap, TemporalMap, Cluster or '}}', got {tok.text!r}{_glued(tok.text)}")

    def map(self, kind: str, start: Token) -> Map:
        size = self.size(f"{start.text}: the size")
        offset = self.size(f"{start.text}: the offset")
        dim = self.next(f"{start.text}({size},{offset}), before its dimension")
        if dim.text not in DIMENSIONS:
            raise self.fail(
                f"{start.text}({size},{offset}) {dim.text}: unknown dimension {dim.text!r}; "
                f"MAESTRO's are {', '.join(DIMENSIONS)}{_glued(dim.text)}"
            )
        a, b = self.value(size), self.value(offset)
        if kind == "temporal" and dim.text in FILTER_DIMS and a is not None and b is not None and a != b:
            raise self.fail(
                f"TemporalMap({size},{offset}) {dim.text}: the tile size of {dim.text} ({a}) must equal "
                f"its offset ({b}) (MAESTRO's 'Invalid mapping': a filter is mapped whole)"
            )
        try:
            return Map(kind, dim.text, size, offset, start.line)  # type: ignore[arg-type]
        except ValueError as exc:
            raise self.fail(str(exc), start.line) from None

    def cluster(self, start: Token) -> Cluster:
        size = self.size("Cluster: the size")
        kind = self.next(f"Cluster({size}, before its type P or L")
        if kind.text not in ("P", "L"):
            raise self.fail(
                f"Cluster({size}, {kind.text}): the type must be P or L (MAESTRO takes the word after the "
                "size as the type, and crashes on any other)"
            )
        return Cluster(size, kind.text == "P", start.line)

    def body(self, first: Token | None, closed: bool) -> list[Directive]:
        """Directives up to ``}`` (``closed``) or the end of the text."""
        out: list[Directive] = []
        tok = first
        while True:
            if tok is None:
                if closed:
                    raise self.fail("the Dataflow block is never closed (a '}' is missing)")
                return out
            if tok.text == "}":
                if not closed:
                    raise self.fail("a '}' closes no 'Dataflow {'")
                return out
            if len(out) == MAX_DIRECTIVES:  # stop reading a hostile text early
                raise self.fail(f"more than {MAX_DIRECTIVES} directives (MAX_DIRECTIVES)")
            out.append(self.directive(tok))
            tok = self.next_or_none()


def _hint(word: str) -> str:
    return f"; did you mean Sz({word})?" if word in DIMENSIONS else ""


def _glued(word: str) -> str:
    """A hint when a word carries a brace or another word: MAESTRO does not split there."""
    if any(c in word for c in "{}") and len(word) > 1:
        return " (MAESTRO splits words only at blanks and , - > ( ) : ; so a brace needs a blank before it)"
    return ""


def _build(directives: list[Directive], constants: dict[str, int], source: str) -> Dataflow:
    try:
        return Dataflow(directives, constants)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def parse(text: str, source: str = "<text>") -> Dataflow:
    """A :class:`~confuciux.dataflow.program.Dataflow` from MAESTRO text: optional leading
    ``Constant name value;`` declarations, then the directives, bare or in ``Dataflow { }``.

    Declared constants with a name stay named in the program (their values in its
    ``constants``); any other word that is a name is a free constant.  Errors name ``source``
    and the line."""
    if not isinstance(text, str):
        raise TypeError(f"Dataflow.parse takes a str, got {type(text).__name__}")
    text = text[1:] if text.startswith("\ufeff") else text
    declared = _Declared()
    r = _Reader(tokens(text), source, declared, 1)
    tok = r.next_or_none()
    while tok is not None and tok.text == "Constant":
        name = r.next("a Constant, before its name")
        value = r.next(f"Constant {name.text}, before its value")
        try:
            declared.declare(name.text, atoi(value.text))  # MAESTRO: atoi only, no lookup
        except ValueError as exc:
            raise r.fail(f"Constant {name.text}: {exc}") from None
        tok = r.next_or_none()
    if tok is not None and tok.text == "Dataflow":
        directives = r.block()
        extra = r.next_or_none()
        if extra is not None:
            raise r.fail(f"unexpected {extra.text!r} after the Dataflow block")
    else:
        directives = r.body(tok, closed=False)
    return _build(directives, declared.kept(), source)


def parse_block(
    text: str, pos: int, line: int, constants: Mapping[str, int], source: str
) -> tuple[list[Directive], int]:
    """A layer's ``Dataflow { ... }`` block in a MAESTRO file, from the offset ``pos`` of its
    ``Dataflow`` word (on line ``line``), with the file's ``constants`` in force: its directives
    (unchecked as a program; the caller builds the Dataflow and names the layer) and the
    offset just past its ``}``."""
    r = _Reader(tokens(text, pos, line), source, _Declared(constants), line)
    head = r.next("'Dataflow'")
    if head.text != "Dataflow":
        raise r.fail(f"expected 'Dataflow {{', got {head.text!r}{_glued(head.text)}")
    directives = r.block()
    return directives, r.last.end


def block_lines(df: Dataflow, indent: str = "  ") -> list[str]:
    """``Dataflow {``, one directive a line, ``}``: the block as it sits in a layer."""
    return ["Dataflow {", *(indent + d.text() for d in df.directives), "}"]


def format_dataflow(df: Dataflow) -> str:
    """MAESTRO text for ``df`` that :func:`parse` (and MAESTRO) read back to the same program:
    its ``Constant`` declarations, then the ``Dataflow`` block."""
    lines = [f"Constant {k} {v};" for k, v in df.constants.items()]
    return "\n".join([*lines, *block_lines(df)]) + "\n"
