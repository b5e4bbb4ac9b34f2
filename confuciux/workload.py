"""Workloads: layers and models as the cost model sees them.

A :class:`Layer` is described the way MAESTRO and ConfuciuX describe it: K filters, C input
channels, an input of Y × X, a kernel of R × S, stride 1 — the output is (Y−R+1) × (X−S+1).
Strided and padded layers are expressed in this convention with :meth:`Layer.conv`; a GEMM is a
1×1 convolution (:meth:`Layer.gemm`).  A :class:`Model` is a named sequence of layers, read from
and written to ConfuciuX's CSV format or read from MAESTRO's model files.
"""

from __future__ import annotations

import csv
import io
import numbers
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Union, overload

import numpy as np

from ._cache import state_without_caches

__all__ = ["Layer", "Model", "KINDS", "layers_to_arrays"]

#: Layer kinds: a convolution, a depthwise convolution, a matrix multiplication.
KINDS = ("CONV", "DSCONV", "GEMM")
_DIMS = ("K", "C", "Y", "X", "R", "S")
_INT64_MAX = 2**63 - 1

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

    ``kind`` is ``"CONV"``, ``"DSCONV"`` (depthwise: each of the C channels has its own R × S
    filter; K is ignored by the cost model, ConfuciuX writes 1) or ``"GEMM"`` (a 1×1 CONV, see
    :meth:`gemm`); case-insensitive.  ``Y``, ``X`` are the input sizes the cost model sees: it
    assumes stride 1 and no padding, so the output is ``(Y−R+1) × (X−S+1)``.  Use :meth:`conv` to
    express a strided or padded layer.  Sizes are element counts; ``macs`` is a MAC count.
    """

    K: int
    C: int
    Y: int
    X: int
    R: int
    S: int
    kind: str = "CONV"
    name: str = field(default="", compare=False)

    __getstate__ = state_without_caches

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Layer.name must be a str, got {self.name!r}")
        label = f"layer {self.name!r}" if self.name else "layer"
        for d in _DIMS:
            object.__setattr__(self, d, _as_int(getattr(self, d), f"{label}: {d}"))
        if not isinstance(self.kind, str) or self.kind.upper() not in KINDS:
            raise ValueError(f"{label}: kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "kind", self.kind.upper())
        if self.Y < self.R:
            raise ValueError(f"{label}: Y ({self.Y}) < R ({self.R}) is not a convolution")
        if self.X < self.S:
            raise ValueError(f"{label}: X ({self.X}) < S ({self.S}) is not a convolution")

    @classmethod
    def gemm(cls, M: int, N: int, K: int, name: str = "") -> "Layer":
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
    ) -> "Layer":
        """A convolution as a framework describes it (input ``height`` × ``width``, ``kernel``,
        ``stride``, ``padding``), expressed in the cost model's stride-1 convention.

        The true output is ``H' = (height + 2·padding − R) // stride + 1`` (likewise W'); the
        layer gets the input ``Y = H' + R − 1`` (``X = W' + S − 1``), so that its output size,
        MAC count and runtime are those of the real layer.  What stays approximate: with
        ``stride > 1`` the real input tile under the output is larger than Y × X, so input
        traffic and L2 sizes are those of a stride-1 layer with the same output.
        A grouped convolution is ``groups`` layers of ``C/groups`` channels and ``K/groups``
        filters (list each group, or use ``depthwise`` when ``groups == C``).
        """
        label = f"conv {name!r}" if name else "conv"
        r, s = (_as_int(v, f"{label}: kernel") for v in _pair(kernel, f"{label}: kernel"))
        sy, sx = (_as_int(v, f"{label}: stride") for v in _pair(stride, f"{label}: stride"))
        py, px = _pair(padding, f"{label}: padding")
        for p in (py, px):
            if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p < 0:
                raise ValueError(f"{label}: padding must be an integer >= 0, got {padding!r}")
        h = _as_int(height, f"{label}: height") + 2 * int(py)
        w = _as_int(width, f"{label}: width") + 2 * int(px)
        if h < r or w < s:
            raise ValueError(f"{label}: the {r}x{s} kernel does not fit the padded {h}x{w} input")
        oy, ox = (h - r) // sy + 1, (w - s) // sx + 1
        c = _as_int(in_channels, f"{label}: in_channels")
        k = 1 if depthwise else _as_int(out_channels, f"{label}: out_channels")
        return cls(K=k, C=c, Y=oy + r - 1, X=ox + s - 1, R=r, S=s, kind="DSCONV" if depthwise else "CONV", name=name)

    @property
    def out_y(self) -> int:
        """Output rows, ``Y − R + 1``."""
        return self.Y - self.R + 1

    @property
    def out_x(self) -> int:
        """Output columns, ``X − S + 1``."""
        return self.X - self.S + 1

    @property
    def depthwise(self) -> bool:
        return self.kind == "DSCONV"

    @property
    def macs(self) -> int:
        """True multiply-accumulates: ``K·C·R·S·O_Y·O_X`` (depthwise: ``C·R·S·O_Y·O_X``)."""
        per_channel = self.C * self.R * self.S * self.out_y * self.out_x
        return per_channel if self.depthwise else self.K * per_channel

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}={getattr(self, d)}" for d in _DIMS)
        name = f", name={self.name!r}" if self.name else ""
        return f"Layer({dims}, kind={self.kind!r}{name})"


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
    def __getitem__(self, index: slice) -> "Model": ...
    def __getitem__(self, index: int | slice) -> Layer | "Model":
        if isinstance(index, slice):
            return Model(self.name, self.layers[index])
        return self.layers[index]

    @property
    def macs(self) -> int:
        """Total true MACs of the model."""
        return sum(layer.macs for layer in self.layers)

    def __repr__(self) -> str:
        kinds = {k: sum(layer.kind == k for layer in self.layers) for k in KINDS}
        detail = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
        return f"Model({self.name!r}, {len(self)} layers [{detail or 'empty'}], {self.macs / 1e9:.3g} GMACs)"

    # ConfuciuX CSV ---------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path_or_file: PathOrFile, name: str | None = None) -> "Model":
        """Read ConfuciuX's model format: header ``K,C,Y,X,R,S,T`` (T: 1 CONV, 2 DSCONV; a
        missing T column means CONV), one layer per row."""
        text, default_name = _read(path_or_file)
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f"{default_name}: empty CSV, expected a header K,C,Y,X,R,S,T") from None
        missing = [d for d in _DIMS if d not in header]
        if missing:
            raise ValueError(f"{default_name}: CSV header lacks {missing}; got {header}")
        col = {h: i for i, h in enumerate(header)}
        layers = []
        for row_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"{default_name}, line {row_no}"
            if len(row) < len(header):
                raise ValueError(f"{where}: expected {len(header)} fields, got {len(row)}")
            values = {}
            for d in [*_DIMS, "T"] if "T" in col else _DIMS:
                cell = row[col[d]].strip()
                try:
                    values[d] = int(cell)
                except ValueError:
                    raise ValueError(f"{where}: field {d} is not an integer: {cell!r}") from None
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
    def from_maestro(cls, path_or_text: PathOrFile) -> "Model":
        """Read a MAESTRO model file: ``Network name { Layer name { Type: CONV|DSCONV|GEMM
        Dimensions { K: .., C: .., Y: .., X: .., R: .., S: .. } } ... }``.

        ``//`` and ``/* */`` comments are allowed; other fields (``Stride``) are read past — the
        cost model, like ConfuciuX, evaluates every layer at stride 1.  A string containing ``{``
        is taken as the file's text, anything else as a path."""
        if isinstance(path_or_text, str) and "{" in path_or_text:
            text, source = path_or_text, "<text>"
        else:
            text, source = _read(path_or_text)
        return _parse_maestro(text, source)


def _read(path_or_file: PathOrFile) -> tuple[str, str]:
    if hasattr(path_or_file, "read"):
        return path_or_file.read(), getattr(path_or_file, "name", "model")  # type: ignore[union-attr]
    path = Path(path_or_file)  # type: ignore[arg-type]
    return path.read_text(), path.stem


_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z_][\w.\-']*)|(?P<num>-?\d+)|(?P<sym>[{}:,]))")


def _tokens(text: str, source: str) -> list[tuple[str, str, int]]:
    # strip comments, keeping line breaks so that errors can name lines
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    out, pos, line = [], 0, 1
    while pos < len(text):
        if text[pos].isspace():
            line += text[pos] == "\n"
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"{source}, line {line}: unexpected character {text[pos]!r}")
        kind = m.lastgroup or "sym"
        out.append((kind, m.group(kind), line))
        line += m.group(0).count("\n")
        pos = m.end()
    return out


def _parse_maestro(text: str, source: str) -> Model:
    toks = _tokens(text, source)
    i = 0

    def expect(value: str) -> int:
        nonlocal i
        if i >= len(toks) or toks[i][1] != value:
            got = toks[i][1] if i < len(toks) else "end of file"
            line = toks[min(i, len(toks) - 1)][2] if toks else 1
            raise ValueError(f"{source}, line {line}: expected {value!r}, got {got!r}")
        i += 1
        return toks[i - 1][2]

    def skip_block() -> None:
        nonlocal i
        depth = 0
        while i < len(toks):
            depth += {"{": 1, "}": -1}.get(toks[i][1], 0)
            i += 1
            if depth == 0:
                return
        raise ValueError(f"{source}: unbalanced braces")

    if not toks or toks[0][1] != "Network":
        raise ValueError(f"{source}: a MAESTRO model file starts with 'Network <name> {{'")
    i = 1
    name = toks[i][1] if i < len(toks) and toks[i][0] != "sym" else "network"
    i += toks[i][0] != "sym" if i < len(toks) else 0
    expect("{")
    layers: list[Layer] = []
    while i < len(toks) and toks[i][1] != "}":
        line = toks[i][2]
        if toks[i][1] != "Layer":
            raise ValueError(f"{source}, line {line}: expected 'Layer', got {toks[i][1]!r}")
        i += 1
        lname = toks[i][1] if i < len(toks) and toks[i][0] != "sym" else f"layer{len(layers)}"
        i += toks[i][0] != "sym" if i < len(toks) else 0
        expect("{")
        kind, dims = None, {}
        while i < len(toks) and toks[i][1] != "}":
            key = toks[i][1]
            i += 1
            if key == "Type":
                expect(":")
                kind = toks[i][1] if i < len(toks) else ""
                i += 1
            elif key == "Dimensions":
                expect("{")
                while i < len(toks) and toks[i][1] != "}":
                    d = toks[i][1]
                    i += 1
                    expect(":")
                    if i >= len(toks) or toks[i][0] != "num":
                        raise ValueError(f"{source}, layer {lname!r}: dimension {d} needs an integer")
                    dims[d] = int(toks[i][1])
                    i += 1
                    if i < len(toks) and toks[i][1] == ",":
                        i += 1
                expect("}")
            elif i < len(toks) and toks[i][1] == "{":
                skip_block()  # Stride { ... } and other blocks the cost model does not use
            elif i < len(toks) and toks[i][1] == ":":
                i += 2  # an unknown "key: value" field
            else:
                raise ValueError(f"{source}, layer {lname!r}: unexpected {key!r}")
        expect("}")
        if kind is None:
            raise ValueError(f"{source}, layer {lname!r}: no 'Type:'")
        missing = [d for d in _DIMS if d not in dims]
        if missing:
            raise ValueError(f"{source}, layer {lname!r}: Dimensions lack {missing}")
        try:
            layers.append(Layer(**{d: dims[d] for d in _DIMS}, kind=kind, name=lname))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from None
    expect("}")
    return Model(name, layers)


def layers_to_arrays(layers: Model | Layer | Iterable[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """``(dims, depthwise)``: int64 (n, 6) with columns K, C, Y, X, R, S and bool (n,)."""
    if isinstance(layers, Layer):
        seq: tuple[Layer, ...] = (layers,)
    elif isinstance(layers, Model):
        seq = layers.layers
    elif isinstance(layers, Iterable) and not isinstance(layers, (str, bytes)):
        seq = tuple(layers)
        for i, layer in enumerate(seq):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is not a Layer: {layer!r}")
    else:
        raise TypeError(
            f"expected a Model, a Layer, a sequence of Layers or an (n, 6|7) integer array, got {type(layers).__name__}"
        )
    dims = np.array([[l.K, l.C, l.Y, l.X, l.R, l.S] for l in seq], dtype=np.int64).reshape(-1, 6)
    depthwise = np.array([l.kind == "DSCONV" for l in seq], dtype=bool)
    return dims, depthwise
