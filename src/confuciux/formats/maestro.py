"""MAESTRO's model and mapping files: a reader that accepts what MAESTRO accepts, and a writer.

MAESTRO's own parser splits lines at blanks and ``, - > ( ) : ; tab`` and walks a state machine,
so ``K: 64``, ``K 64`` and ``K:64`` are the same, a dimension may name a ``Constant``, ``N`` is the
batch, ``Stride { X: 2, Y: 2 }`` sets the stride of the named input dimension, and ``Y'``/``X'``
give an output size instead of an input size.  This reader takes the same files (plus ``/* */``
comments and a UTF-8 byte-order mark) and returns plain data; :func:`layer_arguments` turns one
parsed layer into :class:`~confuciux.workload.Layer` arguments with MAESTRO's semantics:

* ``NGCONV`` (``G`` groups; MAESTRO's ``K`` and ``C`` are per group, its work is G·K·C·R·S·O)
  becomes a grouped CONV with PyTorch's totals ``K·G`` and ``C·G``;
* ``TRCONV`` keeps its dimensions (MAESTRO costs it as a CONV over the given input);
* ``GEMM`` in MAESTRO's ``M``/``N``/``K`` form is the GEMM (M × K)·(K × N); the conv form
  (``K C Y X R S``, as ConfuciuX writes GEMMs) is read too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..dataflow import text as _text
from ..dataflow.dimensions import maestro_layer
from ..dataflow.presets import CONFUCIUX, preset
from ..dataflow.program import Dataflow, Directive, Map, Size, Sz

__all__ = [
    "ParsedLayer", "ParsedNetwork", "parse", "layer_arguments", "write_network", "mapping_file", "layer_program",
]  # fmt: skip

_MAX_DIGITS = 19  # larger numbers cannot be a size (int64); say so instead of converting them


@dataclass(frozen=True)
class Token:
    kind: str  # "num" | "word" | "sym"
    text: str
    line: int
    start: int  # offset in the text


@dataclass(frozen=True)
class ParsedLayer:
    """One ``Layer name { ... }`` block as written: sizes with constants substituted, and its
    ``Dataflow`` block as a program (None when it has none, or an empty one)."""

    name: str
    kind: str
    dims: dict[str, int]
    stride: dict[str, int]
    line: int
    dataflow: Dataflow | None = None


@dataclass(frozen=True)
class ParsedNetwork:
    name: str
    layers: list[ParsedLayer]
    constants: dict[str, int] = field(default_factory=dict)


# One pass over the text: every alternative consumes at least one character and a block comment
# is closed with str.find, so scanning is linear in the text's length.  A Dataflow block is not
# scanned here: MAESTRO's own word rules read it (confuciux.dataflow.text).
_SCAN = re.compile(
    r"(?P<ws>[ \t\r\f\v]+)|(?P<nl>\n)|(?P<lc>//[^\n]*)|(?P<bc>/\*)"
    r"|(?P<num>[+-]?[0-9]+(?![\w.']))|(?P<word>[\w.\-']+)|(?P<sym>[{}:,;()\[\]])"
)


class _Cursor:
    """A position in the text, scanning one token ahead; errors name the source and the line."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text[1:] if text.startswith("\ufeff") else text
        self.source, self.pos, self.nl = source, 0, 1
        self.ahead: Token | None = None
        self.last_line = 1

    def peek(self) -> Token | None:
        if self.ahead is None:
            self.ahead = self._scan()
        return self.ahead

    def _scan(self) -> Token | None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            m = _SCAN.match(text, self.pos)
            if m is None:
                raise ValueError(f"{self.source}, line {self.nl}: unexpected character {text[self.pos]!r}")
            kind, start = m.lastgroup, self.pos
            if kind == "bc":
                end = text.find("*/", start + 2)
                if end < 0:
                    raise ValueError(f"{self.source}, line {self.nl}: a /* comment is never closed")
                self.nl += text.count("\n", start, end)
                self.pos = end + 2
                continue
            self.pos = m.end()
            if kind == "nl":
                self.nl += 1
            elif kind in ("num", "word", "sym"):
                return Token(kind, m.group(), self.nl, start)
        return None

    def advance(self) -> None:
        tok = self.peek()
        if tok is not None:
            self.last_line = tok.line
        self.ahead = None

    def seek(self, pos: int, line: int) -> None:
        """Continue scanning at offset ``pos`` (on line ``line``)."""
        self.pos, self.nl, self.ahead = pos, line, None

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text

    def line(self) -> int:
        tok = self.peek()
        return tok.line if tok else self.last_line

    def fail(self, message: str, line: int | None = None) -> ValueError:
        return ValueError(f"{self.source}, line {self.line() if line is None else line}: {message}")

    def next(self, what: str) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.fail(f"expected {what}, got the end of the file")
        self.advance()
        return tok

    def expect(self, value: str, context: str = "") -> None:
        tok = self.peek()
        if tok is None or tok.text != value:
            got = repr(tok.text) if tok else "the end of the file"
            raise self.fail(f"{context}expected {value!r}, got {got}")
        self.advance()

    def skip(self, *texts: str) -> None:
        """Step over one optional separator."""
        if (tok := self.peek()) is not None and tok.text in texts:
            self.advance()

    def optional_name(self) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind != "sym":
            self.advance()
            return tok.text
        return None


def _number(tok: Token, cur: _Cursor, what: str, constants: dict[str, int]) -> int:
    if tok.kind == "num":
        digits = tok.text.lstrip("+-").lstrip("0")
        if len(digits) > _MAX_DIGITS:
            raise cur.fail(f"{what}: {tok.text[:20]}… ({len(digits)} digits) is too large", tok.line)
        return int(tok.text)
    if tok.text in constants:
        return constants[tok.text]
    raise cur.fail(f"{what} needs an integer or a Constant, got {tok.text!r}", tok.line)


def parse(text: str, source: str) -> ParsedNetwork:
    """Read a MAESTRO model or mapping file: top-level ``Constant name value;`` lines and one
    ``Network [name] { Layer [name] { ... } ... }``."""
    cur = _Cursor(text, source)
    constants: dict[str, int] = {}
    network: ParsedNetwork | None = None
    while (tok := cur.peek()) is not None:
        if tok.text == "Constant":
            _parse_constant(cur, constants)
        elif tok.text == "Network" and network is None:
            network = _parse_network(cur, constants)
        elif tok.text == "Network":
            raise cur.fail("a second 'Network' (one network per file)")
        elif network is not None:
            raise cur.fail(f"unexpected {tok.text!r} after the end of network {network.name!r}")
        else:
            raise cur.fail(f"a MAESTRO model file starts with 'Network <name> {{' (or Constants), got {tok.text!r}")
    if network is None:
        raise cur.fail("a MAESTRO model file starts with 'Network <name> {', got no network")
    return network


def _parse_constant(cur: _Cursor, constants: dict[str, int]) -> None:
    cur.next("'Constant'")
    name = cur.next("a constant's name")
    if name.kind != "word":
        raise cur.fail(f"a Constant needs a name, got {name.text!r}", name.line)
    cur.skip(":")
    constants[name.text] = _number(cur.next(f"a value for {name.text}"), cur, f"Constant {name.text}", constants)
    cur.skip(";")


def _parse_network(cur: _Cursor, constants: dict[str, int]) -> ParsedNetwork:
    cur.next("'Network'")
    name = cur.optional_name() or "network"
    cur.expect("{", "after 'Network': ")
    layers: list[ParsedLayer] = []
    while (tok := cur.peek()) is not None and tok.text != "}":
        layers.append(_parse_layer(cur, len(layers), constants))
    cur.expect("}", f"at the end of network {name!r}: ")
    return ParsedNetwork(name, layers, dict(constants))


def _parse_layer(cur: _Cursor, index: int, constants: dict[str, int]) -> ParsedLayer:
    start = cur.line()
    tok = cur.next("'Layer'")
    if tok.text != "Layer":
        raise cur.fail(f"expected 'Layer', got {tok.text!r}", start)
    state = _LayerState(cur.optional_name() or f"layer{index}", start)
    where = f"layer {state.name!r}: "
    cur.expect("{", where)
    while (field_tok := cur.peek()) is not None and field_tok.text != "}":
        handler = _FIELDS.get(field_tok.text)
        if handler is None:
            raise cur.fail(f"{where}unexpected {field_tok.text!r}; a layer has Type, Stride, Dimensions and Dataflow")
        cur.advance()
        handler(cur, state, constants, field_tok)
        cur.skip(";")
    cur.expect("}", where)
    if state.kind is None:
        raise cur.fail(f"{where}no 'Type:'", start)
    return ParsedLayer(state.name, state.kind, state.dims, state.stride, start, _program(cur, state, constants))


@dataclass
class _LayerState:
    name: str
    line: int
    kind: str | None = None
    dims: dict[str, int] = field(default_factory=dict)
    stride: dict[str, int] = field(default_factory=dict)
    directives: list[Directive] = field(default_factory=list)
    dataflow_line: int = 0


def _field_type(cur: _Cursor, state: _LayerState, constants: dict[str, int], tok: Token) -> None:
    cur.skip(":")
    tok = cur.next("a layer type")
    if state.kind is not None and state.kind.upper() != tok.text.upper():  # which one would count?
        raise cur.fail(f"layer {state.name!r}: Type is given twice, as {state.kind} and {tok.text}", tok.line)
    state.kind = tok.text


def _field_dimensions(cur: _Cursor, state: _LayerState, constants: dict[str, int], tok: Token) -> None:
    _read_sizes(cur, state, constants, state.dims, "dimension")


def _field_stride(cur: _Cursor, state: _LayerState, constants: dict[str, int], tok: Token) -> None:
    _read_sizes(cur, state, constants, state.stride, "stride")


def _field_dataflow(cur: _Cursor, state: _LayerState, constants: dict[str, int], tok: Token) -> None:
    """A ``Dataflow { ... }`` block, read by MAESTRO's own word rules from the ``Dataflow``
    word on; a second block in the same layer adds its directives (as in MAESTRO)."""
    directives, end = _text.parse_block(cur.text, tok.start, tok.line, constants, cur.source)
    sized = {s.dim for d in directives for s in _sizes(d) if isinstance(s, Sz)}
    if sized and not state.dims:
        raise cur.fail(
            f"layer {state.name!r}: Sz({sorted(sized)[0]}) before the layer's Dimensions (MAESTRO reads the "
            "dimensions given so far: write Dimensions first)",
            tok.line,
        )
    cur.seek(end, tok.line + cur.text.count("\n", tok.start, end))
    state.directives += directives
    state.dataflow_line = state.dataflow_line or tok.line


def _sizes(d: Directive) -> tuple[Size, ...]:
    return (d.size, d.offset) if isinstance(d, Map) else (d.size,)


def _program(cur: _Cursor, state: _LayerState, constants: dict[str, int]) -> Dataflow | None:
    """The layer's program, carrying the file's constants it names; None without directives
    (MAESTRO would reuse the previous layer's table, and crashes or refuses doing so)."""
    if not state.directives:
        return None
    used = {s for d in state.directives for s in _sizes(d) if isinstance(s, str)}
    try:
        return Dataflow(state.directives, {k: v for k, v in constants.items() if k in used})
    except ValueError as exc:
        raise cur.fail(f"layer {state.name!r}: {exc}", state.dataflow_line) from None


_FIELDS: dict[str, Callable[[_Cursor, _LayerState, dict[str, int], Token], None]] = {
    "Type": _field_type,
    "Dimensions": _field_dimensions,
    "Stride": _field_stride,
    "Dataflow": _field_dataflow,
}


def _read_sizes(cur: _Cursor, state: _LayerState, constants: dict[str, int], into: dict[str, int], what: str) -> None:
    """``{ NAME[:] value[,;] ... }`` into ``into``; a repeated name must repeat its value."""
    where = f"layer {state.name!r}: "
    cur.expect("{", where)
    while (tok := cur.peek()) is not None and tok.text != "}":
        name = cur.next(f"a {what}")
        if name.kind != "word":
            raise cur.fail(f"{where}expected a {what} name, got {name.text!r}", name.line)
        cur.skip(":")
        value = _number(cur.next(f"a value for {name.text}"), cur, f"{where}{what} {name.text}", constants)
        if value < 1:
            raise cur.fail(f"{where}{what} {name.text} must be >= 1, got {value}", name.line)
        if into.get(name.text, value) != value:
            raise cur.fail(f"{where}{what} {name.text} is given twice, as {into[name.text]} and {value}", name.line)
        into[name.text] = value
        cur.skip(",", ";")
    cur.expect("}", where)


# Layer arguments with MAESTRO's semantics ------------------------------------------------------
_CONV_DIMS = frozenset({"N", "K", "C", "Y", "X", "R", "S", "Y'", "X'"})


def layer_arguments(p: ParsedLayer) -> dict[str, Any]:
    """Keyword arguments of :class:`~confuciux.workload.Layer` for a parsed layer; a
    ``ValueError`` (without the file and line, which the caller adds) when MAESTRO's semantics
    give no layer."""
    kind = p.kind.upper()
    builder = _KINDS.get(kind)
    if builder is None:
        raise ValueError(f"layer type {p.kind!r} is not one MAESTRO costs; expected one of {sorted(_KINDS)}")
    return builder(p, kind)


def _conv_arguments(p: ParsedLayer, kind: str) -> dict[str, Any]:
    allowed = _CONV_DIMS | ({"G"} if kind == "NGCONV" else set())
    d = p.dims
    _check_names(d, allowed, "dimension", kind)
    _check_names(p.stride, {"X", "Y"}, "stride", kind)
    missing = [n for n in ("K", "C", "R", "S") if n not in d]
    missing += [n for n in ("Y", "X") if n not in d and f"{n}'" not in d]
    if missing:
        raise ValueError(f"Dimensions lack {missing}")
    sy, sx = p.stride.get("Y", 1), p.stride.get("X", 1)
    y = _input_size(d, "Y", "R", sy)
    x = _input_size(d, "X", "S", sx)
    g = d.get("G", 1)
    k, c = (d["K"] * g, d["C"] * g) if kind == "NGCONV" else (d["K"], d["C"])
    out_kind = "CONV" if kind == "NGCONV" else kind
    return dict(K=k, C=c, Y=y, X=x, R=d["R"], S=d["S"], kind=out_kind, stride=(sy, sx), batch=d.get("N", 1), groups=g)


def _input_size(d: dict[str, int], axis: str, kernel: str, stride: int) -> int:
    out = f"{axis}'"
    if axis in d and out in d:
        raise ValueError(f"both {axis} and {out} are given (MAESTRO takes one)")
    if axis in d:
        return d[axis]
    return (d[out] - 1) * stride + d[kernel]  # the input whose output is exactly Y'


def _gemm_arguments(p: ParsedLayer, kind: str) -> dict[str, Any]:
    if "M" not in p.dims:  # the conv form ConfuciuX writes: K filters, C channels, Y rows
        return _conv_arguments(p, kind)
    _check_names(p.dims, {"M", "N", "K"}, "dimension", "GEMM")
    missing = [n for n in ("M", "N", "K") if n not in p.dims]
    if missing:
        raise ValueError(f"Dimensions lack {missing}")
    if any(v != 1 for v in p.stride.values()):
        raise ValueError(f"a GEMM has no stride, got {p.stride}")
    m, n, k = p.dims["M"], p.dims["N"], p.dims["K"]
    return dict(K=n, C=k, Y=m, X=1, R=1, S=1, kind="GEMM")


def _check_names(given: dict[str, int], allowed: Iterable[str], what: str, kind: str) -> None:
    allowed = set(allowed)
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r} for a {kind} layer; expected {sorted(allowed)}")


_KINDS: dict[str, Callable[[ParsedLayer, str], dict[str, Any]]] = {
    "CONV": _conv_arguments,
    "DSCONV": _conv_arguments,
    "TRCONV": _conv_arguments,
    "NGCONV": _conv_arguments,
    "GEMM": _gemm_arguments,
}


# Writing ---------------------------------------------------------------------------------------
class LayerLike(Protocol):
    """What the writers read of a layer (:class:`~confuciux.workload.Layer` has it)."""

    @property
    def K(self) -> int: ...
    @property
    def C(self) -> int: ...
    @property
    def Y(self) -> int: ...
    @property
    def X(self) -> int: ...
    @property
    def R(self) -> int: ...
    @property
    def S(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def stride(self) -> tuple[int, int]: ...
    @property
    def batch(self) -> int: ...
    @property
    def groups(self) -> int: ...


_NAME_BAD = re.compile(r"[^\w.\-]")


def token_name(name: str, fallback: str) -> str:
    """A name MAESTRO reads as one token (other characters become ``_``)."""
    return _NAME_BAD.sub("_", name) or fallback


def layer_block(layer: LayerLike, index: int, dataflow: Dataflow | None = None) -> list[str]:
    """The lines of one ``Layer`` block, the layer written as MAESTRO reads it for ``dataflow``
    (:func:`confuciux.dataflow.dimensions.maestro_layer`: grouped CONVs as NGCONV, GEMMs in
    M/N/K form or, under a convolution's program, as the equivalent CONV), then the program's
    block (its constants are the file's to declare)."""
    label = f"layer {index} ({layer.name!r})"
    try:
        kind, dims = maestro_layer(layer, dataflow)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None
    lines = [f"  Layer {token_name(layer.name, f'layer{index}')} {{", f"    Type: {kind}"]
    if layer.stride != (1, 1):
        lines.append(f"    Stride {{ X: {layer.stride[1]}, Y: {layer.stride[0]} }}")
    lines.append("    Dimensions { " + ", ".join(f"{k}: {v}" for k, v in dims.items()) + " }")
    if dataflow is not None:
        lines += ["    " + line for line in _text.block_lines(dataflow)]
    lines.append("  }")
    return lines


def write_network(
    name: str,
    layers: Iterable[LayerLike],
    dataflows: Sequence[Dataflow | None] = (),
    constants: Mapping[str, int] | None = None,
) -> str:
    """A MAESTRO model file for ``layers``, with each layer's program from ``dataflows`` (one per
    layer, or empty for none) and ``Constant`` lines for ``constants`` and the programs'
    constants.  Constants are global in a MAESTRO file, so a program's constant is written as a
    number where declaring it would change another program (a different value, or a name that
    program leaves free)."""
    layers = list(layers)
    programs = list(dataflows) or [None] * len(layers)
    if len(programs) != len(layers):
        raise ValueError(f"write_network: {len(programs)} dataflows for {len(layers)} layers")
    used_free = {k for df in programs if df is not None for k in df.free_names}
    declared = {k: v for k, v in (constants or {}).items() if k not in used_free}
    for df in programs:
        for k, v in (df.constants.items() if df is not None else ()):
            if k not in used_free:
                declared.setdefault(k, v)
    lines = [f"Constant {k} {v};" for k, v in declared.items()]
    lines.append(f"Network {token_name(name, 'network')} {{")
    for i, (layer, df) in enumerate(zip(layers, programs, strict=True)):
        if df is not None:
            df = df.inline(k for k, v in df.constants.items() if declared.get(k) != v)
        lines += layer_block(layer, i, df)
    lines.append("}")
    return "\n".join(lines) + "\n"


# MAESTRO's command line as ConfuciuX runs it (one layer per call); see docs/workloads.md
MAESTRO_COMMAND = (
    "maestro --Mapping_file={file} --full_buffer=false --noc_bw_cstr=81920000 --noc_hops=1 "
    "--noc_hop_latency=1 --noc_mc_support=true --num_pes={pes} --num_simd_lanes=1 "
    "--l1_size_cstr=819200000 --l2_size_cstr=819200000 --print_res=false "
    "--print_res_csv_file=true --print_log_file=false --print_design_space=false --msg_print_lv=0"
)


def layer_program(layer: LayerLike, dataflow: str | Dataflow) -> Dataflow:
    """The program a layer runs: ``dataflow`` itself, or the preset it names (in its grouped
    form for a grouped layer) — with ConfuciuX's rule that a depthwise layer runs ``dpt`` when
    dla, shi or eye is named."""
    if isinstance(dataflow, Dataflow):
        return dataflow
    if not isinstance(dataflow, str):
        raise TypeError(f"a dataflow is a preset's name or a Dataflow, got {type(dataflow).__name__}")
    if layer.kind == "DSCONV" and dataflow.lower() in CONFUCIUX:
        return preset("dpt")
    return preset(dataflow, grouped=layer.groups != 1)


def mapping_file(layer: LayerLike, index: int, dataflow: str | Dataflow, pes: int, ktile: int) -> str:
    """A MAESTRO mapping file for one layer with ``pes`` PEs and ``KTileSz = ktile``: the way
    ConfuciuX runs MAESTRO (``ClusterSz = pes``, ``CTileSz = 1``; DSCONV layers with dpt) —
    a constant the program declares itself keeps its value (as when binding).  Every layer
    kind is written in a form MAESTRO runs (GEMMs under a convolution's program as the CONV)."""
    df = layer_program(layer, dataflow)
    declared = {"KTileSz": ktile, "CTileSz": 1, "ClusterSz": pes, **df.constants}
    head = [f"Constant {k} {v};" for k, v in declared.items()]
    return "\n".join([*head, "Network confuciux {", *layer_block(layer, index, df), "}"]) + "\n"
