"""Workloads: layers and models as the cost model sees them.

A :class:`Layer` is described the way MAESTRO describes it: K filters, C input channels, an
input of Y × X, a kernel of R × S, a stride (the output is ((Y−R)//stride+1) × ((X−S)//stride+1)),
a batch N and groups G.  :meth:`Layer.conv` builds one from a framework's description (padding
included); a GEMM is a 1×1 convolution (:meth:`Layer.gemm`).  A :class:`Model` is a named sequence of layers, read from
and written to ConfuciuX's CSV format or read from MAESTRO's model files.
"""

from __future__ import annotations

import csv
import io
import numbers
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Union, overload

import numpy as np

from ._cache import state_without_caches

__all__ = ["Layer", "Model", "KINDS", "LAYER_COLUMNS", "layers_to_arrays"]

#: Layer kinds: a convolution, a depthwise convolution, a matrix multiplication, a transposed
#: convolution.
KINDS = ("CONV", "DSCONV", "GEMM", "TRCONV")
_DIMS = ("K", "C", "Y", "X", "R", "S")
#: Columns of :func:`layers_to_arrays`'s ``dims`` (the cost model's layer input).
LAYER_COLUMNS = (*_DIMS, "N", "G", "stride_y", "stride_x")
_INT64_MAX = 2**63 - 1
_INT_TEXT = re.compile(r"[+-]?[0-9]+")  # stricter than int(): no "1_000", no spaces inside

PathOrFile = Union[str, "os.PathLike[str]", IO[str]]


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    v = int(value)
    if v < 1:
        raise ValueError(f"{what} must be >= 1, got {v}")
    if v > _INT64_MAX:
        raise ValueError(f"{what} does not fit in 64 bits: {v}")
    return v


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} must be an integer or a pair, got {value!r}")
        return value[0], value[1]
    return value, value


@dataclass(frozen=True)
class Layer:
    """One layer: ``K`` filters, ``C`` input channels, input ``Y`` × ``X``, kernel ``R`` × ``S``.

    ``kind`` (case-insensitive, stored upper-case) is one of

    * ``"CONV"``: a convolution;
    * ``"DSCONV"``: depthwise — each of the C channels has its own R × S filter; K is ignored
      by the cost model (ConfuciuX writes 1; any given value is kept);
    * ``"GEMM"``: a matrix multiplication as a 1×1 CONV (see :meth:`gemm`);
    * ``"TRCONV"``: a transposed convolution, described the way MAESTRO costs it: as the
      direct convolution it executes over its zero-upsampled, padded input, so ``Y`` × ``X`` is
      that (already upsampled) input and the output is ``(Y − R) // stride + 1`` like a CONV.
      MAESTRO parses it as a CONV whose dimensions carry an "inner stride" of 2 that no result
      depends on, so it costs exactly like the CONV with the same fields.

    Sizes are element counts, plain ``int`` ≥ 1 (NumPy integers are accepted; floats, bools and
    strings are not), and ``name`` is a label that takes no part in equality.

    Keyword-only, MAESTRO's remaining dimensions:

    * ``stride``: an int or a ``(stride_y, stride_x)`` pair, stored as the pair (so
      ``stride=2`` and ``stride=(2, 2)`` give equal layers); ``Y``, ``X`` stay the input sizes
      and the output is ``O_Y = (Y − R) // stride_y + 1`` (likewise ``O_X``).  No padding: a
      padded layer has its padding in ``Y``, ``X`` (:meth:`conv` does this).
    * ``batch``: N, the number of images.
    * ``groups``: G, a grouped convolution (CONV or TRCONV) with ``K`` and ``C`` the layer's
      totals, as in PyTorch: G groups of ``C/G`` channels and ``K/G`` filters each, so both
      must divide by G.  MAESTRO's ``NGCONV`` layers are these (its dimensions are per group).

    :attr:`macs` is the real work: ``N·K·(C/G)·R·S·O_Y·O_X`` (depthwise ``N·C·R·S·O_Y·O_X``);
    for a TRCONV that of the direct convolution above, zero-multiplies included.
    """

    K: int
    C: int
    Y: int
    X: int
    R: int
    S: int
    kind: str = "CONV"
    name: str = field(default="", compare=False)
    stride: tuple[int, int] = (1, 1)
    batch: int = 1
    groups: int = 1

    __getstate__ = state_without_caches

    def __init__(
        self,
        K: int,
        C: int,
        Y: int,
        X: int,
        R: int,
        S: int,
        kind: str = "CONV",
        name: str = "",
        *,
        stride: int | tuple[int, int] = 1,
        batch: int = 1,
        groups: int = 1,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Layer.name must be a str, got {name!r}")
        label = f"layer {name!r}" if name else "layer"
        setattr_ = object.__setattr__
        for d, v in zip(_DIMS, (K, C, Y, X, R, S), strict=True):
            setattr_(self, d, _as_int(v, f"{label}: {d}"))
        if not isinstance(kind, str) or kind.upper() not in KINDS:
            raise ValueError(f"{label}: kind must be one of {KINDS}, got {kind!r}")
        setattr_(self, "kind", kind.upper())
        setattr_(self, "name", name)
        sy, sx = (_as_int(v, f"{label}: stride") for v in _pair(stride, f"{label}: stride"))
        setattr_(self, "stride", (sy, sx))
        setattr_(self, "batch", _as_int(batch, f"{label}: batch"))
        setattr_(self, "groups", _as_int(groups, f"{label}: groups"))
        self._check(label)

    def _check(self, label: str) -> None:
        if self.Y < self.R:
            raise ValueError(f"{label}: Y ({self.Y}) < R ({self.R}) is not a convolution")
        if self.X < self.S:
            raise ValueError(f"{label}: X ({self.X}) < S ({self.S}) is not a convolution")
        g = self.groups
        if g != 1 and self.kind not in ("CONV", "TRCONV"):
            raise ValueError(f"{label}: groups ({g}) is for CONV and TRCONV layers, not {self.kind}")
        for d in ("K", "C"):
            if getattr(self, d) % g:
                raise ValueError(f"{label}: {d} ({getattr(self, d)}) is not a multiple of groups ({g})")
        if self.stride != (1, 1) and self.kind == "GEMM":
            raise ValueError(f"{label}: a GEMM layer has stride 1, got {self.stride}")

    @property
    def stride_y(self) -> int:
        return self.stride[0]

    @property
    def stride_x(self) -> int:
        return self.stride[1]

    @classmethod
    def gemm(cls, M: int, N: int, K: int, name: str = "") -> Layer:
        """A matrix multiplication (M × K) · (K × N) as the 1×1 convolution MAESTRO's GEMM
        models use: ``K=N`` filters over ``C=K`` channels of an ``M × 1`` input."""
        label = f"GEMM {name!r}" if name else "GEMM"
        m, n, k = (_as_int(v, f"{label}: {d}") for v, d in ((M, "M"), (N, "N"), (K, "K")))
        return cls(K=n, C=k, Y=m, X=1, R=1, S=1, kind="GEMM", name=name)

    @classmethod
    def conv(
        cls,
        in_channels: int,
        out_channels: int,
        height: int,
        width: int,
        kernel: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        depthwise: bool = False,
        name: str = "",
        *,
        groups: int = 1,
        batch: int = 1,
    ) -> Layer:
        """A convolution as a framework describes it (input ``height`` × ``width``, ``kernel``,
        ``stride``, ``padding``, ``groups``): the real strided layer.

        Padding enlarges the input: ``Y = height + 2·padding`` (likewise ``X``), as if the zeros
        were stored; the output is then PyTorch's ``(height + 2·padding − R) // stride + 1``.
        ``kernel``, ``stride`` and ``padding`` are an int or a (rows, columns) pair.
        ``depthwise=True`` needs ``out_channels == in_channels`` and gives a DSCONV with
        ``K = 1`` (``groups`` then stays 1); otherwise ``groups`` must divide both channel
        counts (PyTorch's convention)."""
        label = f"conv {name!r}" if name else "conv"
        r, s = (_as_int(v, f"{label}: kernel") for v in _pair(kernel, f"{label}: kernel"))
        py, px = _pair(padding, f"{label}: padding")
        for p in (py, px):
            if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p < 0:
                raise ValueError(f"{label}: padding must be an integer >= 0, got {padding!r}")
        h = _as_int(height, f"{label}: height") + 2 * int(py)
        w = _as_int(width, f"{label}: width") + 2 * int(px)
        if h < r or w < s:
            raise ValueError(f"{label}: the {r}x{s} kernel does not fit the padded {h}x{w} input")
        c = _as_int(in_channels, f"{label}: in_channels")
        k = _as_int(out_channels, f"{label}: out_channels")
        if not isinstance(depthwise, (bool, np.bool_)):
            raise TypeError(f"{label}: depthwise must be a bool, got {depthwise!r}")
        if depthwise and k != c:
            # MAESTRO's DSCONV has one filter per channel; a channel multiplier is not expressible
            raise ValueError(f"{label}: a depthwise layer has out_channels == in_channels, got {k} and {c}")
        if depthwise and groups not in (1, c):
            raise ValueError(f"{label}: a depthwise layer takes groups 1 (or in_channels), got {groups!r}")
        kind, k, g = ("DSCONV", 1, 1) if depthwise else ("CONV", k, groups)
        try:
            return cls(k, c, h, w, r, s, kind, name, stride=stride, batch=batch, groups=g)
        except ValueError as exc:
            inner = f"layer {name!r}" if name else "layer"  # Layer's own label, renamed
            raise ValueError(str(exc).replace(inner, label, 1)) from None

    @property
    def out_y(self) -> int:
        """Output rows, ``(Y − R) // stride_y + 1``."""
        return (self.Y - self.R) // self.stride[0] + 1

    @property
    def out_x(self) -> int:
        """Output columns, ``(X − S) // stride_x + 1``."""
        return (self.X - self.S) // self.stride[1] + 1

    @property
    def depthwise(self) -> bool:
        return self.kind == "DSCONV"

    @property
    def macs(self) -> int:
        """Real multiply-accumulates: ``N·K·(C/G)·R·S·O_Y·O_X`` (depthwise ``N·C·R·S·O_Y·O_X``)."""
        per_channel = self.batch * self.C * self.R * self.S * self.out_y * self.out_x
        return per_channel if self.depthwise else self.K * per_channel // self.groups

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}={getattr(self, d)}" for d in _DIMS)
        name = f", name={self.name!r}" if self.name else ""
        sy, sx = self.stride
        extra = "" if (sy, sx) == (1, 1) else f", stride={sy if sy == sx else (sy, sx)}"
        extra += "".join(f", {f}={getattr(self, f)}" for f in ("batch", "groups") if getattr(self, f) != 1)
        return f"Layer({dims}, kind={self.kind!r}{name}{extra})"


@dataclass(frozen=True)
class Model:
    """A named sequence of layers, in execution order."""

    name: str
    layers: tuple[Layer, ...]

    __getstate__ = state_without_caches

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Model.name must be a str, got {self.name!r}")
        if isinstance(self.layers, (str, bytes)) or not isinstance(self.layers, Iterable):
            raise TypeError(f"Model.layers must be a sequence of Layer, got {type(self.layers).__name__}")
        layers = tuple(self.layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"model {self.name!r}: layer {i} is not a Layer: {layer!r}")
        object.__setattr__(self, "layers", layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @overload
    def __getitem__(self, index: int) -> Layer: ...
    @overload
    def __getitem__(self, index: slice) -> Model: ...
    def __getitem__(self, index: int | slice) -> Layer | Model:
        if isinstance(index, slice):
            return Model(self.name, self.layers[index])
        return self.layers[index]

    @cached_property
    def _cx_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``layers_to_arrays`` of this model, read-only, built once (a Model is immutable:
        frozen, with a tuple of frozen layers)."""
        dims, depthwise = _build_arrays(self.layers)
        dims.flags.writeable = depthwise.flags.writeable = False
        return dims, depthwise

    @property
    def macs(self) -> int:
        """Total true MACs of the model."""
        return sum(layer.macs for layer in self.layers)

    def __repr__(self) -> str:
        kinds = {k: sum(layer.kind == k for layer in self.layers) for k in KINDS}
        detail = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        macs = self.macs
        scaled = next(((macs / 10**e, p) for e, p in ((9, "G"), (6, "M"), (3, "k")) if macs >= 10**e), (macs, ""))
        return f"Model({self.name!r}, {len(self)} layers [{detail or 'empty'}], {scaled[0]:.3g} {scaled[1]}MACs)"

    # ConfuciuX CSV ---------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path_or_file: PathOrFile, name: str | None = None) -> Model:
        """Read ConfuciuX's model format: header ``K,C,Y,X,R,S,T`` (T: 1 CONV, 2 DSCONV; a
        missing T column means CONV), one layer per row."""
        text, default_name = _read(path_or_file)
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f"{default_name}: empty CSV, expected a header K,C,Y,X,R,S,T") from None
        missing = [d for d in _DIMS if d not in header]
        if missing:
            raise ValueError(f"{default_name}: CSV header lacks {missing}; got {header}")
        col = {h: i for i, h in enumerate(header)}
        fields = [*_DIMS, "T"] if "T" in col else list(_DIMS)
        layers = []
        for row in reader:
            row_no = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            where = f"{default_name}, line {row_no}"
            if len(row) < len(header) or any(c.strip() for c in row[len(header):]):
                raise ValueError(f"{where}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
            values = {}
            for d in fields:
                values[d] = _csv_int(row[col[d]], d, where)
            t = values.pop("T", 1)
            if t not in (1, 2):
                raise ValueError(f"{where}: field T must be 1 (CONV) or 2 (DSCONV), got {t}")
            try:
                layers.append(Layer(**values, kind="DSCONV" if t == 2 else "CONV"))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        return cls(name if name is not None else default_name, layers)

    def to_csv(self, path_or_file: PathOrFile) -> None:
        """Write ConfuciuX's model format (GEMM layers as T=1 convolutions)."""
        rows = [[*(getattr(layer, d) for d in _DIMS), 2 if layer.depthwise else 1] for layer in self]

        def write(f: IO[str]) -> None:
            w = csv.writer(f, lineterminator="\n")
            w.writerow([*_DIMS, "T"])
            w.writerows(rows)

        if hasattr(path_or_file, "write"):
            write(path_or_file)  # type: ignore[arg-type]
        else:
            with open(path_or_file, "w", newline="") as f:  # type: ignore[arg-type]
                write(f)

    # MAESTRO model files ------------------------------------------------------------------------
    @classmethod
    def from_maestro(cls, path_or_text: PathOrFile) -> Model:
        """Read a MAESTRO model file: ``Network name { Layer name { Type: CONV|DSCONV|GEMM
        Dimensions { K: .., C: .., Y: .., X: .., R: .., S: .. } } ... }``.

        Dimensions may come in any order; ``N`` (batch) is accepted when it is 1.  ``//`` and
        ``/* */`` comments are allowed; other blocks and fields (``Stride { .. }``, a
        ``Dataflow { .. }``, top-level ``Constant`` lines) are read past — the cost model, like
        ConfuciuX, evaluates every layer at stride 1.  A string containing ``{`` (or an empty
        string) is taken as the file's text, any other string as a path.  Errors name the line
        and the layer."""
        if isinstance(path_or_text, str) and ("{" in path_or_text or not path_or_text.strip()):
            text, source = path_or_text, "<text>"
        else:
            text, source = _read(path_or_text)
        return _parse_maestro(text, source)


def _read(path_or_file: PathOrFile) -> tuple[str, str]:
    """(text, a name for the model and for messages) of a path or an open text file."""
    if hasattr(path_or_file, "read"):
        text = path_or_file.read()  # type: ignore[union-attr]
        if not isinstance(text, str):
            raise TypeError("expected a file opened in text mode")
        name = getattr(path_or_file, "name", None)
        return text, Path(name).stem if isinstance(name, str) and name else "model"
    if not isinstance(path_or_file, (str, os.PathLike)):
        raise TypeError(f"expected a path or an open text file, got {type(path_or_file).__name__}")
    path = Path(path_or_file)
    return path.read_text(), path.stem


# A number is digits not followed by a word character or a dot (so "3.5" and "1x1" are words,
# which then fail where a number is expected, with a clear message).
_TOKEN = re.compile(r"(?P<num>[+-]?[0-9]+(?![\w.]))|(?P<word>[\w.\-']+)|(?P<sym>[{}:,;()])")
_Token = tuple[str, str, int]  # kind ("num" | "word" | "sym"), text, line


def _tokens(text: str, source: str) -> list[_Token]:
    # strip comments, keeping line breaks so that errors can name lines
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    out: list[_Token] = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        pos = 0
        while pos < len(line):
            if line[pos].isspace():
                pos += 1
                continue
            m = _TOKEN.match(line, pos)
            if m is None:
                raise ValueError(f"{source}, line {line_no}: unexpected character {line[pos]!r}")
            kind = m.lastgroup or "sym"
            out.append((kind, m.group(), line_no))
            pos = m.end()
    return out


class _Cursor:
    """Position in a token list, with errors that name the source and the line."""

    def __init__(self, toks: list[_Token], source: str) -> None:
        self.toks, self.source, self.i = toks, source, 0

    def peek(self, ahead: int = 0) -> _Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def line(self) -> int:
        tok = self.peek()
        return tok[2] if tok else (self.toks[-1][2] if self.toks else 1)

    def fail(self, message: str, line: int | None = None) -> ValueError:
        return ValueError(f"{self.source}, line {self.line() if line is None else line}: {message}")

    def next(self, what: str) -> _Token:
        tok = self.peek()
        if tok is None:
            raise self.fail(f"expected {what}, got the end of the file")
        self.i += 1
        return tok

    def expect(self, value: str, context: str = "") -> None:
        tok = self.peek()
        if tok is None or tok[1] != value:
            got = repr(tok[1]) if tok else "the end of the file"
            raise self.fail(f"{context}expected {value!r}, got {got}")
        self.i += 1

    def optional_name(self) -> str | None:
        tok = self.peek()
        if tok is not None and tok[0] != "sym":
            self.i += 1
            return tok[1]
        return None

    def skip_block(self) -> None:
        """Skip a balanced ``{ ... }`` starting at the current ``{``."""
        start, depth = self.line(), 0
        while (tok := self.peek()) is not None:
            self.i += 1
            depth += {"{": 1, "}": -1}.get(tok[1], 0)
            if depth == 0:
                return
        raise ValueError(f"{self.source}, line {start}: unbalanced braces")


def _csv_int(cell: str, field: str, where: str) -> int:
    """A CSV integer field; past 19 digits it cannot be a 64-bit value, and Python's own
    error (its int digit limit) would name neither the file nor the line."""
    cell = cell.strip()
    if not _INT_TEXT.fullmatch(cell):
        raise ValueError(f"{where}: field {field} is not an integer: {cell[:40]!r}")
    if len(cell.lstrip("+-").lstrip("0")) > 19:
        raise ValueError(f"{where}: field {field} is too large ({len(cell)} digits)")
    return int(cell)


def _parse_maestro(text: str, source: str) -> Model:
    cur = _Cursor(_tokens(text, source), source)
    # top-level statements before the network (mapping files: "Constant KTileSz 4;")
    while (tok := cur.peek()) is not None and tok[1] != "Network":
        if tok[1] != "Constant":
            raise cur.fail(f"a MAESTRO model file starts with 'Network <name> {{', got {tok[1]!r}")
        while cur.next("';'")[1] != ";":
            pass
    if cur.peek() is None:
        raise cur.fail("a MAESTRO model file starts with 'Network <name> {', got an empty text")
    cur.next("'Network'")
    name = cur.optional_name() or "network"
    cur.expect("{", "after 'Network': ")
    layers: list[Layer] = []
    while (tok := cur.peek()) is not None and tok[1] != "}":
        layers.append(_parse_layer(cur, len(layers)))
    cur.expect("}", f"at the end of network {name!r}: ")
    if (tok := cur.peek()) is not None:
        raise cur.fail(f"unexpected {tok[1]!r} after the end of network {name!r}")
    return Model(name, layers)


def _parse_layer(cur: _Cursor, index: int) -> Layer:
    start = cur.line()
    tok = cur.next("'Layer'")
    if tok[1] != "Layer":
        raise ValueError(f"{cur.source}, line {start}: expected 'Layer', got {tok[1]!r}")
    lname = cur.optional_name() or f"layer{index}"
    where = f"layer {lname!r}: "
    cur.expect("{", where)
    kind: str | None = None
    dims: dict[str, int] = {}
    while (tok := cur.peek()) is not None and tok[1] != "}":
        key = cur.next("a field")[1]
        nxt = cur.peek()
        if key == "Type":
            cur.expect(":", where)
            kind = cur.next("a layer type")[1]
        elif key == "Dimensions":
            cur.expect("{", where)
            while (t := cur.peek()) is not None and t[1] != "}":
                _, d, line = cur.next("a dimension")
                cur.expect(":", f"{where}dimension {d}: ")
                value = cur.next(f"a value for {d}")
                if d not in (*_DIMS, "N"):
                    raise cur.fail(f"{where}unknown dimension {d!r}; expected K, C, Y, X, R, S (and N)", line)
                if value[0] != "num":
                    raise cur.fail(f"{where}dimension {d} needs an integer, got {value[1]!r}", line)
                if d in dims:
                    raise cur.fail(f"{where}dimension {d} is given twice", line)
                dims[d] = int(value[1])
                if (t := cur.peek()) is not None and t[1] in ",;":
                    cur.i += 1
            cur.expect("}", where)
        elif nxt is not None and nxt[1] == "{":
            cur.skip_block()  # Stride { .. }, Dataflow { .. }: not used by the cost model
        elif nxt is not None and nxt[1] == ":":
            cur.i += 1
            cur.next(f"a value for {key}")  # an unknown "key: value" field
        else:
            raise cur.fail(f"{where}unexpected {key!r}")
        if (t := cur.peek()) is not None and t[1] == ";":
            cur.i += 1
    cur.expect("}", where)
    if kind is None:
        raise ValueError(f"{cur.source}, line {start}: {where}no 'Type:'")
    missing = [d for d in _DIMS if d not in dims]
    if missing:
        raise ValueError(f"{cur.source}, line {start}: {where}Dimensions lack {missing}")
    if dims.get("N", 1) != 1:
        raise ValueError(
            f"{cur.source}, line {start}: {where}N (batch) is {dims['N']}; the cost model takes N = 1 "
            "(for a GEMM, fold the batch into Y)"
        )
    try:
        return Layer(**{d: dims[d] for d in _DIMS}, kind=kind, name=lname)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{cur.source}, line {start}: {exc}") from None


def layers_to_arrays(layers: Model | Layer | Iterable[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """``(dims, depthwise)``: int64 (n, 10) with the columns of :data:`LAYER_COLUMNS` (K, C, Y, X,
    R, S, N, G, stride_y, stride_x; K and C the layer's totals) and bool (n,).

    Fresh arrays on every call (the caller may modify them); for a :class:`Model` they are copied
    from the model's cached arrays (a Model is immutable), so repeated calls cost a few
    microseconds.  Other sequences are read anew on every call."""
    if isinstance(layers, Model):
        dims, depthwise = layers._cx_arrays
        return dims.copy(), depthwise.copy()
    if isinstance(layers, Layer):
        return _build_arrays((layers,))
    if isinstance(layers, Iterable) and not isinstance(layers, (str, bytes)):
        seq = tuple(layers)
        for i, layer in enumerate(seq):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is not a Layer: {layer!r}")
        return _build_arrays(seq)
    raise TypeError(f"expected a Model, a Layer or a sequence of Layers, got {type(layers).__name__}")


def _build_arrays(seq: tuple[Layer, ...]) -> tuple[np.ndarray, np.ndarray]:
    rows = [(l.K, l.C, l.Y, l.X, l.R, l.S, l.batch, l.groups, *l.stride) for l in seq]
    dims = np.array(rows, dtype=np.int64).reshape(-1, len(LAYER_COLUMNS))
    depthwise = np.array([l.kind == "DSCONV" for l in seq], dtype=bool)
    return dims, depthwise
