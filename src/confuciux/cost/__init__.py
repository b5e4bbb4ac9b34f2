"""The cost model: runtime, energy, area, power and buffer sizes of layers on a dataflow.

:func:`evaluate` is the entry point.  It validates and broadcasts its inputs, then costs each
layer on one of two paths: the closed forms of ConfuciuX's presets (one call to the compiled
kernel for the whole batch, or to its NumPy reference when the kernel is not built) when the
layer runs a preset with ConfuciuX's MAESTRO flags and only their outputs are asked for; the
general engine (:mod:`confuciux.cost.engine`, any program MAESTRO accepts) otherwise.  Both give
MAESTRO's numbers.  Closed forms and units: docs/cost-model.md; the engine: docs/engine.md;
which program a layer runs: :mod:`confuciux.cost.design`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._cache import IdentityCache
from ..dataflow.presets import CONFUCIUX as _CONFUCIUX
from ..dataflow.presets import preset as _preset
from ..dataflow.program import Dataflow
from ..hardware import Hardware
from ..workload import Layer, Model, layers_to_arrays
from . import dataflows as _dataflows
from . import design as _design
from . import native as _native
from . import reference as _reference
from . import schema
from .design import DataflowSpec

__all__ = [
    "LayerCosts", "PointCost", "evaluate", "evaluate_layer", "area_power", "release_memory", "DATAFLOWS", "STATUS",
    "OUTPUTS", "BACKEND", "LayersLike",
]  # fmt: skip

DATAFLOWS = _dataflows.DATAFLOWS
#: Meaning of :attr:`LayerCosts.status` values.
STATUS = schema.STATUS
#: Names of the outputs :func:`evaluate` can compute (``outputs=``), in order.
OUTPUTS = schema.NAMES
#: Drop the output memory the kernel binding keeps for reuse (see docs/performance.md).
release_memory = _native.release_memory

if _native.AVAILABLE:
    BACKEND: Literal["c", "numpy"] = "c"
else:
    BACKEND = "numpy"
    from .._kernel_status import missing_kernel_message

    warnings.warn(missing_kernel_message(), RuntimeWarning, stacklevel=2)

_INT64_MAX = np.iinfo(np.int64).max
#: What :func:`evaluate` takes as layers: a Model, a Layer, layers, or an integer array (N, 6 or 7).
LayersLike = Model | Layer | Iterable[Layer] | ArrayLike


@dataclass(frozen=True, eq=False)
class LayerCosts:
    """Costs of layers, as float64 arrays of one common shape ``(..., n_layers)``.

    Attributes: ``runtime`` (cycles), ``energy`` (nJ), ``area`` (µm²), ``power`` (mW),
    ``l1_bytes`` (bytes of L1 per PE), ``l2_bytes`` (bytes of shared L2), ``macs`` (MAC count as
    the cost model reports it), ``macs_per_cycle`` (MACs/cycle, MAESTRO's "throughput"),
    ``valid`` (bool: MAESTRO prints these numbers), ``status`` (uint8, see :data:`STATUS`),
    :attr:`physical` (bool: valid and within every physical bound) and ``accesses``: per tensor
    (``input``, ``filter``, ``output``) the ``l1_read``, ``l1_write``, ``l2_read``, ``l2_write``
    counts in elements (1 element = 1 byte), e.g. ``accesses["input_l2_read"]``.  Derived outputs
    (:func:`confuciux.cost.schema.register`) are attributes too.  ``costs[name]`` reads any output
    by name.  Names, order and units: :mod:`confuciux.cost.schema`.

    Points that are not valid (``valid`` False: a configuration MAESTRO cannot cost — it prints
    runtime 0, dies or refuses — an integer overflow, or a float result out of range) hold NaN in
    every cost.  A valid point may still be physically impossible (status IMPOSSIBLE: MAESTRO's
    numbers, below the compute bound or short of the layer's work or traffic; docs/engine.md):
    ``physical`` is False there, and searches leave such points out unless asked not to.  The
    general engine's further outputs (``noc_bw``, ``utilized_pes``, the delays, ...; group
    ``extra`` of the schema) are present when asked for in ``outputs=``.  Integer
    quantities are exact below 2**53.  Outputs that are equal by construction (e.g. every L1
    read count and the MAC count) share memory: treat the arrays as read-only.

    With ``evaluate(..., outputs=...)`` only the outputs asked for are present: the others are
    absent (reading one raises AttributeError) and ``accesses`` holds only the counters asked
    for; ``valid`` and ``status`` are always there.  :attr:`computed` lists what is present.
    """

    runtime: np.ndarray
    energy: np.ndarray
    area: np.ndarray
    power: np.ndarray
    l1_bytes: np.ndarray
    l2_bytes: np.ndarray
    macs: np.ndarray
    macs_per_cycle: np.ndarray
    valid: np.ndarray
    status: np.ndarray
    accesses: Mapping[str, np.ndarray]
    # the other outputs present (the kernel's extra ones, derived ones), set by _of; not fields
    _extra: ClassVar[Mapping[str, np.ndarray]] = MappingProxyType({})

    @classmethod
    def _of(cls, arrays: Mapping[str, np.ndarray], valid: np.ndarray, status: np.ndarray) -> LayerCosts:
        """LayerCosts holding ``arrays`` (any subset of the schema's outputs) and nothing else;
        outputs not in ``arrays`` stay unset (absent, see ``__getattr__``)."""
        self = cls.__new__(cls)
        # filled like the generated __init__ of a frozen dataclass would, in one step
        state: dict[str, Any] = {name: arrays[name] for name in _MAIN if name in arrays}
        state["valid"], state["status"] = valid, status
        state["accesses"] = {name: arrays[name] for name in _ACCESS_NAMES if name in arrays}
        extra = {name: a for name, a in arrays.items() if name not in _MAIN_SET and name not in _ACCESS_SET}
        if extra:
            state["_extra"] = MappingProxyType(extra)
        self.__dict__.update(state)
        return self

    if not TYPE_CHECKING:  # (for type checkers every output is an attribute)

        def __getattr__(self, name: str) -> Any:
            # only reached for attributes that are not set: extra and derived outputs, the outputs
            # left out by outputs=, and former names
            if name in self._extra:
                return self._extra[name]
            if name in schema.RENAMED:
                return getattr(self, schema.renamed(name))
            if name in schema.MAIN or name in schema.EXTRA or name in schema.DERIVED:
                raise AttributeError(
                    f"LayerCosts.{name} was not computed: evaluate(..., outputs=...) did not ask for {name!r}"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, name: str) -> np.ndarray:
        """The output called ``name`` (any output of the schema, derived ones included)."""
        name = schema.renamed(name)
        if name in self.accesses:
            return self.accesses[name]
        if name in self._extra:
            return self._extra[name]
        if name in self.__dict__ and name in _MAIN_SET:
            return getattr(self, name)  # type: ignore[no-any-return]
        schema.output(name)  # ValueError naming the outputs
        raise KeyError(f"{name!r} was not computed: evaluate(..., outputs=...) did not ask for it")

    @property
    def computed(self) -> tuple[str, ...]:
        """Names of the outputs present, in schema order (derived outputs last)."""
        main = tuple(n for n in schema.NAMES if n in self.__dict__ or n in self.accesses or n in self._extra)
        return main + tuple(n for n in self._extra if n not in schema.INDEX)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.valid.shape

    @property
    def physical(self) -> np.ndarray:
        """Status OK: MAESTRO prints these numbers and they break no physical bound (bool)."""
        return np.asarray(self.status == schema.OK)

    def total(self) -> LayerCosts:
        """Sum over the layer (last) axis: the costs of whole designs, layer-pipelined (each
        layer its own sub-accelerator, so area, power and buffer bytes add up).

        An output with a ``total`` in the schema is computed from the totals it needs (present
        when they are): ``macs_per_cycle`` becomes total MACs / total cycles.  ``valid`` is True
        only if every layer is valid; ``status`` is the largest status of a layer that is not
        valid, else IMPOSSIBLE if a layer is, else OK."""
        present = {n: self[n] for n in self.computed}
        s = {}
        for name, a in present.items():
            out = schema.output(name) if name in schema.INDEX or name in schema.DERIVED else None
            if out is None or out.total is None:
                s[name] = np.sum(a, axis=-1)
        for name in present:
            out = schema.output(name) if name in schema.INDEX or name in schema.DERIVED else None
            if out is not None and out.total is not None and all(n in s for n in out.needs):
                with np.errstate(invalid="ignore", divide="ignore"):
                    s[name] = np.asarray(out.total(s))
        s = {n: s[n] for n in present if n in s}  # schema order
        printed = _printed(self.status)
        worst = np.max(np.where(printed, 0, self.status), axis=-1, initial=0)
        status = np.where(worst > 0, worst, np.max(self.status, axis=-1, initial=0)).astype(schema.STATUS_DTYPE)
        return LayerCosts._of(s, np.all(self.valid, axis=-1), status)

    def __repr__(self) -> str:
        n_bad = int(np.size(self.valid) - np.count_nonzero(self.valid))
        partial = "" if self.computed == schema.DEFAULT else f", outputs={self.computed}"
        return f"LayerCosts(shape={self.shape}, invalid={n_bad}{partial})"


class PointCost(NamedTuple):
    """Costs of one layer on one (P, k) point, as plain Python numbers (an immutable named
    tuple, cheap to build); fields and units as in :class:`LayerCosts`.  Returned by
    :func:`evaluate_layer`."""

    runtime: float
    energy: float
    area: float
    power: float
    l1_bytes: float
    l2_bytes: float
    macs: float
    macs_per_cycle: float
    valid: bool
    status: int
    accesses: Mapping[str, float]

    @property
    def throughput(self) -> float:
        """Former name of :attr:`macs_per_cycle` (FutureWarning until 0.3.0)."""
        return float(getattr(self, schema.renamed("throughput")))

    @property
    def physical(self) -> bool:
        """Status OK: MAESTRO prints these numbers and they break no physical bound."""
        return self.status == schema.OK


_PRINTED = tuple(schema.PRINTED)


def _printed(status: np.ndarray) -> np.ndarray:
    """``valid`` of statuses: MAESTRO prints the point (OK or IMPOSSIBLE)."""
    return np.asarray((status == schema.OK) | (status == schema.IMPOSSIBLE))


if set(_PRINTED) != {schema.OK, schema.IMPOSSIBLE}:
    raise ImportError("_printed must list schema.PRINTED")
_MAIN, _ACCESS_NAMES = schema.MAIN, schema.ACCESSES
_MAIN_SET, _ACCESS_SET = frozenset(_MAIN), frozenset(_ACCESS_NAMES)

if PointCost._fields != (*schema.MAIN, "valid", "status", "accesses"):
    raise ImportError(f"PointCost's fields {PointCost._fields} do not follow the output schema")


def _int_array(name: str, value: Any) -> np.ndarray:
    """``value`` as an int64 array of whole numbers >= 1, or a clear error."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be integers, got a bool")
    try:
        a = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} is not a regular array: {exc}") from None
    if a.dtype == bool or a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers, got dtype {a.dtype}")
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.floor(a)) if a.size else np.zeros(0, bool)
        if np.any(bad):
            raise ValueError(f"{name} must be whole numbers; got {a[bad].flat[0]!r}")
        if a.size and np.max(np.abs(a)) >= 2.0**63:
            raise ValueError(f"{name} is too large for 64-bit integers")
    elif a.dtype.kind == "u" and a.size and np.max(a) > _INT64_MAX:
        raise ValueError(f"{name} is too large for 64-bit integers")
    return a.astype(np.int64, copy=False)


def _layer_label(names: tuple[str, ...], index: int) -> str:
    name = names[index] if index < len(names) else ""
    return f"layer {index}" + (f" ({name!r})" if name else "")


def _check_positive(name: str, a: np.ndarray, names: tuple[str, ...]) -> None:
    if a.size and np.min(a) < 1:
        pos = np.unravel_index(int(np.argmin(a)), a.shape)
        layer = int(pos[-1]) if a.ndim else 0
        raise ValueError(
            f"{name} must be >= 1: {name}[{', '.join(map(str, pos))}] = {int(a[pos])} "
            f"for {_layer_label(names, layer)}"
        )


_DIM_NAMES = ("K", "C", "Y", "X", "R", "S")


def _dims_array(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Layers given as an integer array: rows ``K, C, Y, X, R, S`` or ``K, C, Y, X, R, S, T``
    (T: 1 CONV, 2 DSCONV, ConfuciuX's column)."""
    if a.ndim != 2 or a.shape[1] not in (6, 7):
        raise ValueError(
            f"a layer array must have shape (n, 6) or (n, 7) (K, C, Y, X, R, S[, T]), got {a.shape}"
        )
    if a.dtype == bool or a.dtype.kind not in "iu":
        raise TypeError(f"a layer array must hold integers, got dtype {a.dtype}")
    if a.dtype.kind == "u" and a.size and np.max(a) > _INT64_MAX:
        raise ValueError("layer dimensions are too large for 64-bit integers")
    a = a.astype(np.int64)
    d = a[:, :6]
    if d.size and not (d.min() >= 1 and np.all(d[:, 2:4] >= d[:, 4:6])):
        # diagnose only on failure: the checks above are the fast path
        for j, name in enumerate(_DIM_NAMES):
            if np.min(d[:, j]) < 1:
                row = int(np.argmin(d[:, j]))
                raise ValueError(f"layer {row}: {name} must be >= 1, got {int(d[row, j])}")
        for out, k, name in ((2, 4, "Y < R"), (3, 5, "X < S")):
            bad = np.flatnonzero(d[:, out] < d[:, k])
            if bad.size:
                raise ValueError(
                    f"layer {int(bad[0])}: {name} ({int(d[bad[0], out])} < {int(d[bad[0], k])}) "
                    "is not a convolution"
                )
    if a.shape[1] == 7:
        t = a[:, 6]
        if not np.all((t == 1) | (t == 2)):
            bad = np.flatnonzero((t != 1) & (t != 2))
            raise ValueError(
                f"layer {int(bad[0])}: T must be 1 (CONV) or 2 (DSCONV), got {int(t[bad[0]])}"
            )
        depthwise = t == 2
    else:
        depthwise = np.zeros(a.shape[0], dtype=bool)
    return np.ascontiguousarray(_reference.full_dims(a[:, :6])), depthwise, ()


_Blocks = tuple[np.ndarray, np.ndarray, tuple[str, ...]]


def _build_blocks(model_or_layers: Any) -> _Blocks:
    dims, depthwise = layers_to_arrays(model_or_layers)
    if isinstance(model_or_layers, Layer):
        names: tuple[str, ...] = (model_or_layers.name,)
    else:
        names = tuple(getattr(layer, "name", "") for layer in model_or_layers)
    cols = np.ascontiguousarray(np.asarray(dims, dtype=np.int64).T)
    dw = np.asarray(depthwise, dtype=np.uint8)
    cols.flags.writeable = dw.flags.writeable = False
    return cols, dw, names


def _build_cached(model_or_layers: Any) -> tuple[_Blocks, Any]:
    blocks = _build_blocks(model_or_layers)
    # the kernel's struct points into the read-only blocks it is kept with
    return blocks, _native.layers_struct(*blocks[:2]) if _native.AVAILABLE else None


# Layer and Model are frozen and hold only immutable values: their blocks (and the kernel's
# struct of them) are built once per object.  Anything else (lists, UserLists, ...) is
# converted on every call.
_blocks: IdentityCache[Any, tuple[_Blocks, Any]] = IdentityCache(_build_cached)


def _layers(model_or_layers: Any) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(dims (10, N) int64 C-contiguous, rows workload.LAYER_COLUMNS; depthwise (N,) uint8; layer
    names)."""
    return _layers_and_struct(model_or_layers)[0]


def _layers_and_struct(model_or_layers: Any) -> tuple[_Blocks, Any]:
    """:func:`_layers` and the kernel's struct of them when it is cached (else None)."""
    if isinstance(model_or_layers, np.ndarray):
        dims, depthwise, names = _dims_array(model_or_layers)
        return (np.ascontiguousarray(dims.T), depthwise.astype(np.uint8), names), None
    if type(model_or_layers) in (Layer, Model):
        return _blocks(model_or_layers)
    return _build_blocks(model_or_layers), None


def _design_arrays(
    pes: Any, buffers: Any, n_layers: int, names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """pes and buffers broadcast against the layer axis: int64 arrays of shape (D, n_layers),
    possibly broadcast views (no copy), and the full broadcast shape."""
    if type(pes) is int and type(buffers) is int and 1 <= pes <= _INT64_MAX and 1 <= buffers <= _INT64_MAX:
        # the common scalar case, without NumPy's per-call overheads
        p = np.full((1, n_layers), pes, dtype=np.int64)
        return p, np.full((1, n_layers), buffers, dtype=np.int64), (n_layers,)
    p = _int_array("pes", pes)
    k = _int_array("buffers", buffers)
    try:
        shape = np.broadcast_shapes(p.shape, k.shape, (n_layers,))
        if shape[-1] != n_layers:  # one layer: (3,) broadcasts against (1,), but its last axis is not the layers'
            raise ValueError
    except ValueError:
        raise ValueError(
            f"pes (shape {p.shape}) and buffers (shape {k.shape}) do not broadcast against "
            f"{n_layers} layers; expected scalars, length-{n_layers} vectors or (..., {n_layers})"
        ) from None
    _check_positive("pes", p, names)
    _check_positive("buffers", k, names)
    n_designs = int(np.prod(shape[:-1], dtype=np.int64))
    # reshape keeps a view where it can (a broadcast scalar stays one value with stride 0)
    p2 = _kernel_view(np.broadcast_to(p, shape).reshape(n_designs, n_layers))
    k2 = _kernel_view(np.broadcast_to(k, shape).reshape(n_designs, n_layers))
    return p2, k2, shape


def _kernel_view(a: np.ndarray) -> np.ndarray:
    """``a`` if the kernel can step through it (non-negative strides in whole elements), else a
    contiguous copy (e.g. of a reversed view)."""
    if all(s >= 0 and s % a.itemsize == 0 for s in a.strides):
        return a
    return np.ascontiguousarray(a)


@functools.lru_cache(maxsize=64)
def _plan(asked: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """For the outputs ``asked`` (schema order): the outputs the kernel must write (copies come
    from what they equal) and, for each one asked, its row among them."""
    need = {schema.SAME_AS.get(name, name) for name in asked}
    sources = tuple(name for name in schema.DISTINCT if name in need)
    return sources, tuple(sources.index(schema.SAME_AS.get(name, name)) for name in asked)


def evaluate(
    model_or_layers: LayersLike,
    pes: ArrayLike,
    buffers: ArrayLike = 1,
    dataflow: DataflowSpec = None,
    hardware: Hardware | None = None,
    *,
    backend: Literal["auto", "c", "numpy"] = "auto",
    outputs: Iterable[str] | None = None,
    constants: Mapping[str, int] | None = None,
) -> LayerCosts:
    """Costs of running layers with ``pes`` PEs and buffer (KTileSz) setting ``buffers``.

    ``model_or_layers``: a :class:`~confuciux.Model`, a :class:`~confuciux.Layer`, a sequence
    of layers, or an integer array of shape (N, 6) or (N, 7) with columns K, C, Y, X, R, S[, T]
    (T: 1 CONV, 2 DSCONV) — N layers in all.  ``pes`` and ``buffers`` are integers >= 1 broadcast
    against the layer axis: scalars, per-layer vectors of length N, or batches of shape
    ``(..., N)`` — a whole batch is evaluated in one call.  ``pes`` is MAESTRO's ``--num_pes``
    and binds ``ClusterSz``, ``buffers`` binds ``KTileSz`` (a program without them ignores them).

    ``dataflow``: a preset's name (``"dla"``, ``"shi"``, ``"eye"``, ``"kcp_ws"``, ...;
    :data:`confuciux.dataflow.PRESETS`), a :class:`~confuciux.Dataflow`, one of those (or None)
    per layer, or None — each layer's own program (``Model.dataflows``, e.g. read from a MAESTRO
    mapping file), and ``"dla"`` for a layer without one.  Depthwise layers named dla, shi or eye
    run ``dpt``, as in ConfuciuX; a program given as a :class:`Dataflow` runs as written.
    ``constants``: values of named sizes the programs leave free (over their own ``Constant``
    values and the design's ``KTileSz``/``ClusterSz``/``CTileSz``).

    ``hardware`` defaults to :meth:`Hardware.default`; :meth:`Hardware.maestro` reproduces
    MAESTRO's numbers; either takes MAESTRO's flags (NoC bandwidth, SIMD lanes, ...).

    The closed forms cost a layer that runs dla, shi, eye or dpt with ConfuciuX's flags, no
    constant overriding the design's and only their outputs asked for (``backend`` forces the C
    kernel or its NumPy reference: identical numbers); every other layer goes to the general
    engine (:func:`confuciux.cost.engine.evaluate_batch`: compiled, or with ``backend="numpy"``
    its Python reference, about 2 ms a point).  Both give MAESTRO's numbers.

    ``outputs``: names from :data:`OUTPUTS` or derived outputs (:func:`~confuciux.cost.schema.
    register`; e.g. ``("runtime", "energy")``) to compute and allocate only those (and what a
    derived one needs); the others are absent from the result (see :class:`LayerCosts`).
    Default: the closed forms' outputs (:data:`~confuciux.cost.schema.DEFAULT`) and the derived
    ones; the engine's further outputs (``noc_bw``, ``utilized_pes``, ...) only when asked for.

    Returns :class:`LayerCosts` whose arrays have the broadcast shape.  A program MAESTRO refuses
    for a layer whatever the design is a ValueError naming the layer, the line and the rule.
    """
    hardware = _hardware(hardware)
    use_c = _pick_backend(backend)
    asked = schema.DEFAULT if outputs is None and not schema.DERIVED else schema.select(outputs)
    asked, derived = _with_needs(asked)
    closed = _closed_forms_hold(hardware, asked, constants)

    (cols, depthwise, names), struct = _layers_and_struct(model_or_layers)
    n_layers = cols.shape[1]
    p, k, shape = _design_arrays(pes, buffers, n_layers, names)
    one = _one_kernel_dataflow(model_or_layers, dataflow) if closed else None
    if one is not None:  # every layer on one closed form: one kernel call
        arrays, status, valid = _closed_costs(cols, depthwise, p, k, one, hardware, asked, use_c, struct)
    else:
        arrays, status = _mixed_costs(model_or_layers, cols, depthwise, p, k, dataflow, hardware, asked, use_c,
                                      closed, constants)  # fmt: skip
        valid = _printed(status)
    arrays = {name: a.reshape(shape) for name, a in arrays.items()}
    if derived:
        _derive(arrays, derived)
    return LayerCosts._of(arrays, valid.reshape(shape), status.reshape(shape))


def _closed_forms_hold(hardware: Hardware, asked: tuple[str, ...], constants: Mapping[str, int] | None) -> bool:
    """Whether the closed forms may cost presets here: ConfuciuX's flags, only their outputs, and
    no constant taking the place of the design's knobs."""
    if constants is not None:
        _check_constants(constants)
        if _PRESET_NAMES & set(constants):
            return False
    return hardware.confuciux_flags and (asked is schema.DEFAULT or _CLOSED_SET.issuperset(asked))


_CLOSED_SET = frozenset(schema.CLOSED_FORM)
# the named sizes of the closed forms' programs (the design's knobs and ConfuciuX's CTileSz)
_PRESET_NAMES = frozenset().union(*(_preset(name).names for name in _CONFUCIUX))


def _check_constants(constants: object) -> None:
    if not isinstance(constants, Mapping):
        raise TypeError(f"constants must be a mapping of name to int, got {type(constants).__name__}")
    for key, value in constants.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"constants: expected name -> int >= 1, got {key!r}: {value!r}")


def _one_kernel_dataflow(model_or_layers: Any, dataflow: Any) -> str | None:
    """The closed form every layer takes when one dataflow covers them all (a name of dla, shi
    or eye, or None for layers without programs of their own): the fast path."""
    if type(dataflow) is str:
        return dataflow if dataflow in _SELECTABLE else _SELECTABLE_LOWER.get(dataflow.lower())
    if dataflow is None and not (isinstance(model_or_layers, Model) and model_or_layers.dataflows):
        return _design.DEFAULT_PRESET
    return None


_SELECTABLE = frozenset(_dataflows.DATAFLOWS)
_SELECTABLE_LOWER = {name.lower(): name for name in _dataflows.DATAFLOWS}


def _closed_costs(
    cols: np.ndarray, depthwise: np.ndarray, p: np.ndarray, k: np.ndarray, dataflow: str, hardware: Hardware,
    asked: tuple[str, ...], use_c: bool, struct: Any = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:  # fmt: skip
    """The closed forms of ``dataflow`` (depthwise layers: dpt) on layers ``cols`` for designs
    ``p``, ``k`` (D, N): each output asked, the status and valid, flat (D*N,)."""
    if use_c:
        sources, rows = _plan(asked)
        floats, status, valid = _native.evaluate_block(cols, depthwise, p, k, dataflow, hardware, sources, struct)
        return {name: floats[row] for name, row in zip(asked, rows, strict=True)}, status, valid
    reps = p.shape[0]
    tiled, tiled_dw = np.tile(cols.T, (reps, 1)), np.tile(depthwise.astype(bool), reps)
    raw = _reference.evaluate_points(tiled, tiled_dw, p.reshape(-1), k.reshape(-1), dataflow, hardware)
    return {name: raw[name] for name in asked}, raw["status"], raw["valid"]


def _mixed_costs(
    model_or_layers: Any, cols: np.ndarray, depthwise: np.ndarray, p: np.ndarray, k: np.ndarray, dataflow: Any,
    hardware: Hardware, asked: tuple[str, ...], use_c: bool, closed: bool, constants: Mapping[str, int] | None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """Each layer on its own path: the closed form of its preset where one holds (one kernel call
    per preset), the general engine for the rest.  Outputs and status flat (D*N,)."""
    layers = _layer_objects(model_or_layers, cols, depthwise)
    own = model_or_layers.dataflows if isinstance(model_or_layers, Model) else ()
    specs = _design.layer_specs(dataflow, len(layers), own)
    kernel = [_design.closed_form(layer, spec) if closed else None for layer, spec in zip(layers, specs, strict=True)]
    n_designs, n_layers = p.shape
    arrays = {name: np.empty((n_designs, n_layers)) for name in asked}
    status = np.empty((n_designs, n_layers), dtype=schema.STATUS_DTYPE)
    for name in dict.fromkeys(x for x in kernel if x is not None):
        idx = np.array([i for i, x in enumerate(kernel) if x == name])
        sub_cols = np.ascontiguousarray(cols[:, idx])
        sub_dw = np.ascontiguousarray(depthwise[idx])
        part, st, _ = _closed_costs(sub_cols, sub_dw, p[:, idx], k[:, idx], name, hardware, asked, use_c)
        for out, a in part.items():
            arrays[out][:, idx] = a.reshape(n_designs, idx.size)
        status[:, idx] = st.reshape(n_designs, idx.size)
    engine = [i for i, x in enumerate(kernel) if x is None]
    if engine:
        idx = np.array(engine)
        programs = [_design.program_of(layers[i], specs[i]) for i in engine]
        part, st = _design.engine_costs([layers[i] for i in engine], programs, p[:, idx], k[:, idx], hardware, asked,
                                        constants, use_c)  # fmt: skip
        for out, a in part.items():
            arrays[out][:, idx] = a
        status[:, idx] = st
    return {name: a.reshape(-1) for name, a in arrays.items()}, status.reshape(-1)


def _layer_objects(model_or_layers: Any, cols: np.ndarray, depthwise: np.ndarray) -> list[Layer]:
    """The layers as :class:`Layer` values (made from the columns for an integer array)."""
    if isinstance(model_or_layers, Layer):
        return [model_or_layers]
    if not isinstance(model_or_layers, np.ndarray):
        return list(model_or_layers)
    out = []
    for j in range(cols.shape[1]):
        K, C, Y, X, R, S, N, G, sy, sx = (int(v) for v in cols[:, j])
        kind = "DSCONV" if depthwise[j] else "CONV"
        out.append(Layer(K, C, Y, X, R, S, kind, stride=(sy, sx), batch=N, groups=G))
    return out


def _with_needs(asked: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the schema's outputs to compute: those asked and those the derived ones asked need, in
    schema order; the derived outputs to compute, each after the ones it needs)."""
    if all(name in schema.INDEX for name in asked):
        return asked, ()
    kernel: set[str] = set()
    order: list[str] = []

    def visit(name: str) -> None:
        if name in schema.INDEX:
            kernel.add(name)
        elif name not in order:
            for need in schema.DERIVED[name].needs:
                visit(need)
            order.append(name)

    for name in asked:
        visit(name)
    return tuple(n for n in schema.NAMES if n in kernel), tuple(order)


def _derive(arrays: dict[str, np.ndarray], derived: tuple[str, ...]) -> None:
    """Add the ``derived`` outputs to ``arrays`` (NaN where a point is not valid, as its needs are)."""
    for name in derived:
        formula = schema.DERIVED[name].derive
        assert formula is not None  # register() checks it
        with np.errstate(invalid="ignore", divide="ignore"):
            arrays[name] = np.asarray(formula(arrays), dtype=np.float64)


def _point(layer: Any) -> tuple[tuple[int, ...], bool, Any]:
    """The layer's columns (workload.LAYER_COLUMNS), depthwise, and the kernel's struct (None
    without the kernel)."""
    cols, depthwise, _ = _layers(layer)
    if cols.shape[1] != 1:
        raise ValueError(f"evaluate_layer takes one layer, got {cols.shape[1]}")
    dims = tuple(int(v) for v in cols[:, 0])
    dw = bool(depthwise[0])
    return dims, dw, _native.layer_struct(dims, dw) if _native.AVAILABLE else None


# The per-Layer point of evaluate_layer, built once per Layer object (frozen).
_points: IdentityCache[Any, tuple[tuple[int, ...], bool, Any]] = IdentityCache(_point)


def evaluate_layer(
    layer: Layer | ArrayLike,
    pes: int,
    buffers: int = 1,
    dataflow: str | Dataflow | None = None,
    hardware: Hardware | None = None,
    *,
    constants: Mapping[str, int] | None = None,
) -> PointCost:
    """Cost of one :class:`~confuciux.Layer` with ``pes`` PEs and buffer setting ``buffers``:
    the scalar counterpart of :func:`evaluate`, for Python loops (a few µs per call on the
    closed forms with the C kernel).  ``dataflow``: a preset's name or a
    :class:`~confuciux.Dataflow` (None: ``"dla"``).  Same numbers as :func:`evaluate`; units in
    :mod:`confuciux.cost.schema`."""
    if type(hardware) is not Hardware:
        hardware = _hardware(hardware)
    if not (type(pes) is int and type(buffers) is int and 1 <= pes <= _INT64_MAX and 1 <= buffers <= _INT64_MAX):
        for name, v in (("pes", pes), ("buffers", buffers)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an integer, got {v!r}")
            if not 1 <= v <= _INT64_MAX:
                raise ValueError(f"{name} must be >= 1 (and fit in 64 bits), got {v!r}")
        pes, buffers = int(pes), int(buffers)
    if type(dataflow) is str and dataflow in _SELECTABLE:  # the common case first
        df: str | None = dataflow
    else:
        df = _one_kernel_dataflow(None, dataflow) if dataflow is None or type(dataflow) is str else None
    if df is None and constants is None and type(layer) is Layer and isinstance(dataflow, (str, Dataflow)):
        from .engine import native as engine  # (the engine imports the reference, which imports this package)

        kernel = _design.closed_form(layer, dataflow) if hardware.confuciux_flags else None
        if kernel is None and engine.AVAILABLE:  # a program only the general engine costs: one C call
            status, out = engine.evaluate_point(layer, _design.point_template(layer, dataflow), pes, buffers,
                                                _engine_flags(hardware), hardware)  # fmt: skip
            values = [out[i] for i in _ENGINE_INDEX]
            accesses = dict(zip(_ACCESSES, values[_N_MAIN : _N_MAIN + len(_ACCESSES)], strict=True))
            return _new_tuple(PointCost, (*values[:_N_MAIN], status in _PRINTED, status, accesses))
        df = kernel
    if df is None or constants is not None or not hardware.confuciux_flags:
        if isinstance(dataflow, Sequence) and not isinstance(dataflow, str):
            raise TypeError(f"evaluate_layer takes one dataflow (a preset's name or a Dataflow), got {dataflow!r}")
        costs = evaluate(layer if isinstance(layer, Layer) else np.atleast_2d(np.asarray(layer)), pes, buffers,
                         dataflow, hardware, constants=constants)  # fmt: skip
        values = [float(costs[name][0]) for name in schema.CLOSED_FORM]
        status = int(costs.status[0])
    else:
        dims, depthwise, struct = _points(layer) if type(layer) is Layer else _point(layer)
        if struct is not None:
            values, status = _native.evaluate_one(struct, pes, buffers, df, hardware)
        else:
            raw = _reference.evaluate_points(
                np.array([dims]), np.array([depthwise]), np.array([pes]), np.array([buffers]), df, hardware
            )
            values = [float(raw[name][0]) for name in schema.CLOSED_FORM]
            status = int(raw["status"][0])
    # values: the closed forms' outputs in order; PointCost's fields are MAIN, valid, status, accesses
    accesses = dict(zip(_ACCESSES, values[_N_MAIN : _N_MAIN + len(_ACCESSES)], strict=True))
    return _new_tuple(PointCost, (*values[:_N_MAIN], status in _PRINTED, status, accesses))


_ACCESSES, _N_MAIN = schema.ACCESSES, len(schema.MAIN)


def _engine_index() -> list[int]:
    """Where each closed-form output sits among the general engine's outputs."""
    from .engine.outputs import OUTPUTS as ENGINE_OUTPUTS

    return [ENGINE_OUTPUTS.index(schema.ENGINE_NAME[name]) for name in schema.CLOSED_FORM]


_ENGINE_INDEX = _engine_index()


def _build_engine_flags(hardware: Hardware) -> tuple[int, ...]:
    from .engine.native import point_flags

    return point_flags(hardware.engine_flags)


_engine_flags: IdentityCache[Hardware, tuple[int, ...]] = IdentityCache(_build_engine_flags)
_new_tuple = tuple.__new__  # PointCost from a filled list, without NamedTuple's argument parsing


def _hardware(hardware: Any) -> Hardware:
    """The hardware (the default preset when None), checked."""
    if hardware is None:
        return Hardware.default()
    if not isinstance(hardware, Hardware):
        raise TypeError(f"hardware must be a confuciux.Hardware, got {type(hardware).__name__}")
    return hardware


def _pick_backend(backend: str) -> bool:
    if backend == "auto":
        return _native.AVAILABLE
    if backend == "c":
        if not _native.AVAILABLE:
            raise RuntimeError("the compiled cost-model kernel is not built")
        return True
    if backend == "numpy":
        return False
    raise ValueError(f"unknown backend {backend!r}; expected 'auto', 'c' or 'numpy'")


def area_power(
    pes: ArrayLike,
    l1_bytes: ArrayLike,
    l2_bytes: ArrayLike,
    hardware: Hardware | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) of one accelerator with ``pes`` PEs, ``l1_bytes`` of L1 per PE
    and an L2 of ``l2_bytes`` — e.g. the single accelerator of a layer-sequential deployment,
    sized for the largest P, L1 and L2 of its layers.  Arguments are integers (``pes`` >= 1,
    the byte counts >= 0) and broadcast together; a result that does not fit a float64 is NaN
    (with both values of that point)."""
    if hardware is None:
        hardware = Hardware.default()
    elif not isinstance(hardware, Hardware):
        raise TypeError(f"hardware must be a confuciux.Hardware, got {type(hardware).__name__}")
    p = _int_array("pes", pes)
    b1 = _int_array("l1_bytes", l1_bytes)
    b2 = _int_array("l2_bytes", l2_bytes)
    _check_positive("pes", p, ())
    for name, a in (("l1_bytes", b1), ("l2_bytes", b2)):
        if a.size and np.min(a) < 0:
            raise ValueError(f"{name} must be >= 0, got {int(np.min(a))}")
    try:
        shape = np.broadcast_shapes(p.shape, b1.shape, b2.shape)
    except ValueError:
        raise ValueError(
            f"pes, l1_bytes and l2_bytes do not broadcast together: shapes {p.shape}, {b1.shape}, {b2.shape}"
        ) from None
    fp, f1, f2 = (np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in (p, b1, b2))
    backend = _native if _native.AVAILABLE else _reference
    area, power = backend.area_power_points(fp, f1, f2, hardware)
    return area.reshape(shape), power.reshape(shape)
