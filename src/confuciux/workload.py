"""Workloads: layers and models as the cost model sees them.

A :class:`Layer` is described the way MAESTRO describes it: K filters, C input channels, an
input of Y × X, a kernel of R × S, a stride (the output is ((Y−R)//stride+1) × ((X−S)//stride+1)),
a batch N and groups G.  :meth:`Layer.conv` builds one from a framework's description (padding
included); a GEMM is a 1×1 convolution (:meth:`Layer.gemm`).  A :class:`Model` is a named sequence of layers, read from
and written to ConfuciuX's CSV format or read from MAESTRO's model files.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Union, cast, overload

import numpy as np

from . import formats as _formats
from ._cache import state_without_caches
from .dataflow.program import Dataflow
from .formats import maestro as _maestro
from .formats import onnx as _onnx
from .formats import table as _table

__all__ = ["Layer", "Model", "KINDS", "LAYER_COLUMNS", "layers_to_arrays"]

#: Layer kinds: a convolution, a depthwise convolution, a matrix multiplication, a transposed
#: convolution.
KINDS = ("CONV", "DSCONV", "GEMM", "TRCONV")
_DIMS = ("K", "C", "Y", "X", "R", "S")
#: Columns of :func:`layers_to_arrays`'s ``dims`` (the cost model's layer input).
LAYER_COLUMNS = (*_DIMS, "N", "G", "stride_y", "stride_x")
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
    """A named sequence of layers, in execution order.

    ``dataflows``: each layer's own dataflow program (a :class:`~confuciux.dataflow.Dataflow`,
    or None where the layer has none and is costed with the dataflow you name), or empty when no
    layer has one; :meth:`from_maestro` keeps a file's ``Dataflow`` blocks here.  It takes part
    in equality.

    Three records of where the model came from, which take no part in equality:
    ``skipped`` — for an imported model, the operators that made no layer, op type → count
    (see :meth:`from_onnx`); ``custom_dataflow`` — for a MAESTRO file, one bool per layer, True
    when the file gave that layer its own ``Dataflow`` block (empty when not read from one);
    ``constants`` — a MAESTRO file's ``Constant`` declarations, name → value (each program in
    ``dataflows`` carries those it uses).
    """

    name: str
    layers: tuple[Layer, ...]
    skipped: Mapping[str, int] = field(default_factory=dict, compare=False)
    custom_dataflow: tuple[bool, ...] = field(default=(), compare=False)
    dataflows: tuple[Dataflow | None, ...] = ()
    constants: Mapping[str, int] = field(default_factory=dict, compare=False)

    __getstate__ = state_without_caches

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Model.name must be a str, got {self.name!r}")
        given: object = self.layers  # typed as a tuple, but callers pass any sequence
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise TypeError(f"Model.layers must be a sequence of Layer, got {type(given).__name__}")
        layers = tuple(given)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"model {self.name!r}: layer {i} is not a Layer: {layer!r}")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "skipped", _counts(self.skipped))
        flags = tuple(bool(f) for f in self.custom_dataflow)
        if flags and len(flags) != len(layers):
            raise ValueError(f"model {self.name!r}: custom_dataflow has {len(flags)} entries for {len(layers)} layers")
        object.__setattr__(self, "custom_dataflow", flags)
        object.__setattr__(self, "dataflows", _dataflows(self.dataflows, len(layers), self.name))
        object.__setattr__(self, "constants", _constants(self.constants))

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
            return Model(
                self.name, self.layers[index], self.skipped, self.custom_dataflow[index],
                self.dataflows[index], self.constants,
            )  # fmt: skip
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

    # Files of any registered format ----------------------------------------------------------
    @classmethod
    def read(cls, path: str | os.PathLike[str], **options: Any) -> Model:
        """Read a model file in the format its suffix names (:data:`confuciux.formats.FORMATS`:
        ``.csv``, ``.m``, ``.onnx``, and any format registered); ``options`` go to the reader
        (ONNX: ``batch``, ``strict``).  Errors name the file, the line and the field."""
        return cls.from_network(_formats.reader_for(path)(path, **options))

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write this model in the format ``path``'s suffix names (``.csv``, ``.m``, ...)."""
        writer = _formats.writer_for(path)
        # the model itself as the layers: a format that keeps programs (MAESTRO's) finds them on it
        _write(path, lambda f: writer(self.name, cast(Sequence[Layer], self), f))

    @classmethod
    def from_network(cls, net: _formats.Network, name: str | None = None) -> Model:
        """The model of a :class:`~confuciux.formats.Network` (what every format's reader gives);
        a layer the arguments do not make is a ValueError naming where it came from."""
        layers = []
        for args, where in zip(net.layers, net.where, strict=True):
            try:
                layers.append(Layer(**args))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        more: dict[str, Any] = {"skipped": net.skipped, "custom_dataflow": net.custom_dataflow, **net.model_args}
        return cls(net.name if name is None else name, tuple(layers), **more)

    # ConfuciuX CSV ---------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path_or_file: PathOrFile, name: str | None = None) -> Model:
        """Read ConfuciuX's model format: header ``K,C,Y,X,R,S,T`` (T: 1 CONV, 2 DSCONV; a
        missing T column means CONV), one layer per row; the optional columns ``kind``,
        ``stride_y``, ``stride_x``, ``batch``, ``groups`` and ``name`` that :meth:`to_csv`
        writes are read too.  Errors name the file, the line and the field."""
        text, source, stem = _read(path_or_file)
        return cls.from_network(_formats.csv_network(text, source, stem), name)

    def to_csv(self, path_or_file: PathOrFile) -> None:
        """Write the CSV format :meth:`from_csv` reads: ConfuciuX's columns ``K,C,Y,X,R,S,T``,
        then ``kind,stride_y,stride_x,batch,groups,name``, so that the model loads back equal
        (kinds and names kept)."""
        _write(path_or_file, lambda f: _table.write(self.layers, f))

    # MAESTRO model files ------------------------------------------------------------------------
    @classmethod
    def from_maestro(cls, path_or_text: PathOrFile) -> Model:
        """Read a MAESTRO model or mapping file the way MAESTRO reads it.

        ``Network [name] { Layer name { Type: ..  [Stride { X: .., Y: .. }]  Dimensions { .. }
        [Dataflow { .. }] } .. }`` with top-level ``Constant name value;`` lines.  Types CONV,
        DSCONV, TRCONV, NGCONV (``G`` groups of MAESTRO's per-group ``K`` and ``C``: a grouped
        CONV with totals ``K·G``, ``C·G``) and GEMM (``M``/``N``/``K``, or the conv form).
        Dimensions with or without colons, sizes given as Constants, ``N`` (batch), ``Y'``/``X'``
        (output sizes), ``//`` and ``/* */`` comments, a byte-order mark.

        Each layer's ``Dataflow`` block is kept in :attr:`dataflows` as a
        :class:`~confuciux.dataflow.Dataflow` read by MAESTRO's own rules (docs/dataflows.md),
        carrying the file's constants it names (all are in :attr:`constants`); a layer without
        a block gets None (MAESTRO would reuse the previous layer's block, and crashes or
        refuses doing so).  What MAESTRO refuses in a block — a parse error, an R/S tile that
        is not the layer's whole filter, ``Sz()`` of a dimension the layer lacks, a map of one
        — is a ValueError.  A string containing ``{`` (or an empty string) is the file's text,
        any other string a path.  Errors name the file, the line and the layer."""
        if isinstance(path_or_text, str) and ("{" in path_or_text or not path_or_text.strip()):
            text, source = path_or_text, "<text>"
        else:
            text, source, _ = _read(path_or_text)
        return cls.from_network(_formats.maestro_network(text, source))

    def to_maestro(self, path_or_file: PathOrFile) -> None:
        """Write a MAESTRO model file that :meth:`from_maestro` (and MAESTRO) reads back:
        grouped CONVs as NGCONV, GEMMs in MAESTRO's ``M``/``N``/``K`` form (as the equivalent
        CONV under a convolution's program), ``Stride`` blocks and ``N`` where needed, each
        layer's program from :attr:`dataflows` and the ``Constant`` lines of :attr:`constants`
        and the programs.  Layer names keep letters, digits, ``_``, ``.`` and ``-`` (other
        characters become ``_``; unnamed layers are ``layer<i>``).  A grouped TRCONV is a
        ValueError: MAESTRO has no such layer (docs/workloads.md)."""
        text = _maestro.write_network(self.name, self.layers, self.dataflows, self.constants)
        _write(path_or_file, lambda f: f.write(text))

    # ONNX ---------------------------------------------------------------------------------------
    @classmethod
    def from_onnx(cls, source: Any, *, name: str | None = None, batch: int = 1, strict: bool = True) -> Model:
        """Import an ONNX model (a path or an ``onnx.ModelProto``); needs the ``onnx`` extra
        (``pip install confuciux[onnx]``).

        ``Conv`` (strides, pads, dilations, groups; depthwise as DSCONV), ``ConvTranspose``
        (as MAESTRO's TRCONV), ``Gemm``, ``MatMul`` (a Linear's batch folded into M; batched
        products as grouped GEMMs) and matrix-product ``Einsum`` become layers named after their
        nodes; every other op is counted in :attr:`skipped`.  Weight data is never read.
        ``batch`` sets a symbolic batch dimension.  A compute op with no layer form (``LSTM``,
        ``QLinearConv``, ...) raises a ``ValueError`` naming the node, or with ``strict=False`` is
        skipped, counted and warned about.  A corrupt or non-ONNX file is a ``ValueError``
        naming it.  The model is named after the file (or the graph) unless ``name`` is given.
        Details: docs/workloads.md and :func:`confuciux.formats.onnx.import_onnx`."""
        return cls.from_imported(_onnx.import_onnx(source, batch=batch, strict=strict), name)

    @classmethod
    def from_imported(cls, imported: _onnx.Imported, name: str | None = None) -> Model:
        """The model of an :class:`~confuciux.formats.onnx.Imported` (what :meth:`from_onnx`
        builds; the command line uses it to report what each op type made)."""
        return cls.from_network(_formats.onnx_network(imported), name)


def _dataflows(given: object, n: int, name: str) -> tuple[Dataflow | None, ...]:
    """One program (or None) per layer, or () when no layer has one."""
    if isinstance(given, (str, bytes, Dataflow)) or not isinstance(given, Iterable):
        raise TypeError(f"model {name!r}: dataflows must be a sequence of Dataflow or None, one per layer")
    out = tuple(given)
    for i, df in enumerate(out):
        if df is not None and not isinstance(df, Dataflow):
            raise TypeError(f"model {name!r}: dataflows[{i}] is not a Dataflow or None: {df!r}")
    if out and len(out) != n:
        raise ValueError(f"model {name!r}: dataflows has {len(out)} entries for {n} layers")
    return out if any(df is not None for df in out) else ()


def _constants(given: object) -> dict[str, int]:
    if not isinstance(given, Mapping):
        raise TypeError(f"Model.constants must be a mapping of name to int, got {type(given).__name__}")
    out: dict[str, int] = {}
    for k, v in given.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"Model.constants: expected name -> int, got {k!r}: {v!r}")
        out[k] = int(v)
    return out


def _counts(skipped: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(skipped, Mapping):
        raise TypeError(f"Model.skipped must be a mapping of op type to count, got {type(skipped).__name__}")
    out: dict[str, int] = {}
    for op, n in skipped.items():
        count: object = n
        if not isinstance(op, str) or isinstance(count, bool) or not isinstance(count, numbers.Integral) or n < 0:
            raise ValueError(f"Model.skipped: expected op type -> count >= 0, got {op!r}: {n!r}")
        out[op] = int(n)
    return out


def _read(path_or_file: PathOrFile) -> tuple[str, str, str]:
    """(text, a label for messages, a name for the model) of a path or an open text file."""
    if hasattr(path_or_file, "read"):
        text = path_or_file.read()
        if not isinstance(text, str):
            raise TypeError("expected a file opened in text mode")
        name = getattr(path_or_file, "name", None)
        if isinstance(name, str) and name:
            return text, name, Path(name).stem
        return text, "<file>", "model"
    if not isinstance(path_or_file, (str, os.PathLike)):
        raise TypeError(f"expected a path or an open text file, got {type(path_or_file).__name__}")
    return _formats.read_text(path_or_file)


def _write(path_or_file: PathOrFile, write: Callable[[IO[str]], object]) -> None:
    if hasattr(path_or_file, "write"):
        write(path_or_file)  # type: ignore[arg-type]
        return
    if not isinstance(path_or_file, (str, os.PathLike)):
        raise TypeError(f"expected a path or an open text file, got {type(path_or_file).__name__}")
    with open(path_or_file, "w", newline="", encoding="utf-8") as f:
        write(f)


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
    given: object = layers  # typed as layers, but callers pass anything
    if isinstance(given, Iterable) and not isinstance(given, (str, bytes)):
        seq = tuple(given)
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
