"""The cost model: runtime, energy, area, power and buffer sizes of layers on a dataflow.

:func:`evaluate` is the entry point.  It validates and broadcasts its inputs, then makes one call
to the compiled kernel for the whole batch, or to the NumPy reference when the kernel is not
built.  Closed forms and units: docs/cost-model.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Union

import numpy as np

from ..hardware import Hardware
from . import native as _native
from . import reference as _reference
from .reference import COPIES, DATAFLOW_IDS, DISTINCT_FIELDS, FLOAT_FIELDS, INT_FIELDS

__all__ = ["LayerCosts", "PointCost", "evaluate", "evaluate_layer", "area_power", "DATAFLOWS", "STATUS", "BACKEND"]

DATAFLOWS = tuple(DATAFLOW_IDS)
#: Meaning of :attr:`LayerCosts.status` values.
STATUS = {0: "ok", 1: "invalid configuration", 2: "overflow", 3: "bad input", 4: "not supported"}
ACCESS_FIELDS = tuple(f for f in INT_FIELDS if f.startswith(("input_", "filter_", "output_")))

if _native.AVAILABLE:
    BACKEND: Literal["c", "numpy"] = "c"
else:
    BACKEND = "numpy"
    warnings.warn(
        "confuciux: the compiled cost-model kernel is not built; using the slower NumPy "
        "reference (reinstall with a C compiler: pip install .)",
        RuntimeWarning,
        stacklevel=2,
    )

_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class LayerCosts:
    """Costs of layers, as float64 arrays of one common shape ``(..., n_layers)``.

    Attributes: ``runtime`` (cycles), ``energy`` (nJ), ``area`` (µm²), ``power`` (mW),
    ``l1_bytes`` (bytes of L1 per PE), ``l2_bytes`` (bytes of shared L2), ``macs`` (MAC count as
    the cost model reports it), ``throughput`` (MACs/cycle), ``valid`` (bool), ``status`` (uint8,
    see :data:`STATUS`) and ``accesses``: per tensor (``input``, ``filter``, ``output``) the
    ``l1_read``, ``l1_write``, ``l2_read``, ``l2_write`` counts in elements (1 element = 1 byte),
    e.g. ``accesses["input_l2_read"]``.

    Points that are not valid (``valid`` False: a configuration the model cannot cost, or an
    integer overflow) hold NaN in every cost.  Integer quantities are exact below 2**53.
    """

    runtime: np.ndarray
    energy: np.ndarray
    area: np.ndarray
    power: np.ndarray
    l1_bytes: np.ndarray
    l2_bytes: np.ndarray
    macs: np.ndarray
    throughput: np.ndarray
    valid: np.ndarray
    status: np.ndarray
    accesses: Mapping[str, np.ndarray]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.runtime.shape

    def total(self) -> LayerCosts:
        """Sum over the layer (last) axis: the costs of whole designs, layer-pipelined (each
        layer its own sub-accelerator, so area, power and buffer bytes add up).

        ``throughput`` becomes total MACs / total cycles, ``valid`` is True only if every layer
        is valid and ``status`` is the largest layer status."""
        s = {f: np.sum(getattr(self, f), axis=-1) for f in _SUMMED}
        with np.errstate(invalid="ignore", divide="ignore"):
            throughput = s["macs"] / s["runtime"]
        return LayerCosts(
            throughput=throughput,
            valid=np.all(self.valid, axis=-1),
            status=np.max(self.status, axis=-1, initial=0),
            accesses={k: np.sum(v, axis=-1) for k, v in self.accesses.items()},
            **s,
        )

    def __repr__(self) -> str:
        n_bad = int(np.size(self.valid) - np.count_nonzero(self.valid))
        return f"LayerCosts(shape={self.shape}, invalid={n_bad})"


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
    throughput: float
    valid: bool
    status: int
    accesses: Mapping[str, float]


_SUMMED = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs")

ModelLike = Union["Model", "Layer", Iterable["Layer"]]  # noqa: F821 - names from .workload


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
    return a.astype(np.int64)


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


def _layers(model_or_layers: Any) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(dims (6, N) int64 C-contiguous, depthwise (N,) uint8, layer names).

    Cached on Layer/Model objects, which are immutable."""
    if isinstance(model_or_layers, np.ndarray):
        dims, depthwise, names = _dims_array(model_or_layers)
        return np.ascontiguousarray(dims.T), depthwise.astype(np.uint8), names
    cache = getattr(model_or_layers, "__dict__", None)
    hit = cache.get("_cx_blocks") if cache is not None else None
    if hit is not None:
        return hit
    from ..workload import Layer, layers_to_arrays

    dims, depthwise = layers_to_arrays(model_or_layers)
    seq = (model_or_layers,) if isinstance(model_or_layers, Layer) else tuple(model_or_layers)
    names: tuple[str, ...] = tuple(layer.name for layer in seq)
    blocks = (np.ascontiguousarray(np.asarray(dims, dtype=np.int64).T), np.asarray(depthwise, dtype=np.uint8), names)
    for a in blocks[:2]:
        a.flags.writeable = False
    if cache is not None and not isinstance(model_or_layers, (list, tuple)):
        object.__setattr__(model_or_layers, "_cx_blocks", blocks)
    return blocks


def _design_arrays(
    pes: Any, buffers: Any, n_layers: int, names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """pes and buffers broadcast against the layer axis, as flat contiguous int64 arrays."""
    if type(pes) is int and type(buffers) is int and 1 <= pes <= _INT64_MAX and 1 <= buffers <= _INT64_MAX:
        # the common scalar case, without NumPy's per-call overheads
        return np.full(n_layers, pes, dtype=np.int64), np.full(n_layers, buffers, dtype=np.int64), (n_layers,)
    p = _int_array("pes", pes)
    k = _int_array("buffers", buffers)
    try:
        shape = np.broadcast_shapes(p.shape, k.shape, (n_layers,))
    except ValueError:
        raise ValueError(
            f"pes (shape {p.shape}) and buffers (shape {k.shape}) do not broadcast against "
            f"{n_layers} layers; expected scalars, length-{n_layers} vectors or (..., {n_layers})"
        ) from None
    _check_positive("pes", p, names)
    _check_positive("buffers", k, names)
    p = np.ascontiguousarray(np.broadcast_to(p, shape)).reshape(-1)
    k = np.ascontiguousarray(np.broadcast_to(k, shape)).reshape(-1)
    return p, k, shape


def evaluate(
    model_or_layers: Any,
    pes: Any,
    buffers: Any,
    dataflow: str = "dla",
    hardware: Hardware | None = None,
    *,
    backend: Literal["auto", "c", "numpy"] = "auto",
) -> LayerCosts:
    """Costs of running layers with ``pes`` PEs and buffer (KTileSz) setting ``buffers``.

    ``model_or_layers``: a :class:`~confuciux.Model`, a :class:`~confuciux.Layer`, a sequence
    of layers, or an integer array of shape (N, 6) or (N, 7) with columns K, C, Y, X, R, S[, T]
    (T: 1 CONV, 2 DSCONV) — N layers in all.  ``pes`` and ``buffers`` are integers >= 1 broadcast against the layer
    axis: scalars, per-layer vectors of length N, or batches of shape ``(..., N)`` — a whole
    batch is evaluated in one kernel call.  ``dataflow`` is ``"dla"``, ``"shi"`` or ``"eye"``
    for CONV/GEMM layers; depthwise layers always use ``dpt``.  ``hardware`` defaults to
    :meth:`Hardware.default`; :meth:`Hardware.maestro` reproduces MAESTRO's numbers.
    ``backend`` forces the C kernel or the NumPy reference (both give identical numbers).

    Returns :class:`LayerCosts` whose arrays have the broadcast shape.
    """
    dataflow, hardware = _options(dataflow, hardware)
    use_c = _pick_backend(backend)

    cols, depthwise, names = _layers(model_or_layers)
    _check_supported(cols, depthwise, names, dataflow)
    n_layers = cols.shape[1]
    p, k, shape = _design_arrays(pes, buffers, n_layers, names)

    if use_c:
        ints, reals, status = _native.evaluate_blocks(cols, depthwise, p, k, dataflow, hardware)
    else:
        reps = p.size // n_layers if n_layers else 0
        raw = _reference.evaluate_points(
            np.tile(cols.T, (reps, 1)), np.tile(depthwise.astype(bool), reps), p, k, dataflow, hardware
        )
        ints = np.stack([raw[f] for f in DISTINCT_FIELDS]) if p.size else np.empty((len(DISTINCT_FIELDS), 0), np.int64)
        reals = np.stack([raw[f] for f in FLOAT_FIELDS]) if p.size else np.empty((len(FLOAT_FIELDS), 0))
        status = raw["status"]
    return _costs(ints, reals, status, shape)


def _check_supported(cols: np.ndarray, depthwise: np.ndarray, names: tuple[str, ...], dataflow: str) -> None:
    """Strided CONV layers have no closed form on shi and eye yet: refuse them, never guess."""
    if dataflow == "dla" or cols.shape[0] < 10:
        return
    bad = np.flatnonzero(((cols[8] != 1) | (cols[9] != 1)) & (depthwise == 0))
    if bad.size:
        i = int(bad[0])
        name = f" {names[i]!r}" if i < len(names) and names[i] else ""
        raise ValueError(
            f"layer {i}{name}: the cost model does not cost strided layers on the {dataflow} "
            f"dataflow yet (stride {int(cols[8, i])}x{int(cols[9, i])}); use dla, or stride 1"
        )


def evaluate_layer(
    layer: Any,
    pes: int,
    buffers: int,
    dataflow: str = "dla",
    hardware: Hardware | None = None,
) -> PointCost:
    """Cost of one :class:`~confuciux.Layer` with ``pes`` PEs and buffer setting ``buffers``:
    the scalar counterpart of :func:`evaluate`, for Python loops (a few µs per call with the C
    kernel).  Same numbers as :func:`evaluate`."""
    dataflow, hardware = _options(dataflow, hardware)
    if not (type(pes) is int and type(buffers) is int and 1 <= pes <= _INT64_MAX and 1 <= buffers <= _INT64_MAX):
        for name, v in (("pes", pes), ("buffers", buffers)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an integer, got {v!r}")
            if not 1 <= v <= _INT64_MAX:
                raise ValueError(f"{name} must be >= 1 (and fit in 64 bits), got {v!r}")
        pes, buffers = int(pes), int(buffers)
    cached = getattr(layer, "__dict__", {}).get("_cx_point")
    if cached is None:
        cols, depthwise, names = _layers(layer)
        if cols.shape[1] != 1:
            raise ValueError(f"evaluate_layer takes one layer, got {cols.shape[1]}")
        values = tuple(int(v) for v in cols[:, 0])
        cached = (values, bool(depthwise[0]), _native.layer_dims(values) if _native.AVAILABLE else None)
        if hasattr(layer, "__dict__"):
            object.__setattr__(layer, "_cx_point", cached)
    values, depthwise, cdims = cached
    if dataflow != "dla" and not depthwise and (values[8] != 1 or values[9] != 1):
        name = getattr(layer, "name", "")
        _check_supported(np.array(values).reshape(-1, 1), np.zeros(1, np.uint8), (name,), dataflow)
    if cdims is not None:
        ints, reals, status = _native.evaluate_one(cdims, depthwise, pes, buffers, dataflow, hardware)
    else:
        raw = _reference.evaluate_points(
            np.array([values]), np.array([depthwise]), np.array([pes]), np.array([buffers]), dataflow, hardware
        )
        ints = [int(raw[f][0]) for f in DISTINCT_FIELDS]
        reals = [float(raw[f][0]) for f in FLOAT_FIELDS]
        status = int(raw["status"][0])
    if status == 0:
        runtime, l1, l2, macs, i_rd, i_wr, w_rd, w_wr, o_rd, o_wr, o_l1 = map(float, ints)
    else:
        runtime = l1 = l2 = macs = i_rd = i_wr = w_rd = w_wr = o_rd = o_wr = o_l1 = float("nan")
    counts = (macs, i_rd, i_rd, i_wr, macs, w_rd, w_rd, w_wr, o_l1, o_l1, o_rd, o_wr)
    accesses = dict(zip(ACCESS_FIELDS, counts, strict=True))
    return PointCost(runtime, reals[0], reals[1], reals[2], l1, l2, macs, reals[3], status == 0, status, accesses)


def _options(dataflow: Any, hardware: Any) -> tuple[str, Hardware]:
    """The dataflow name (case-insensitive) and the hardware (default preset when None), checked."""
    if dataflow not in DATAFLOW_IDS:
        if not isinstance(dataflow, str) or dataflow.lower() not in DATAFLOW_IDS:
            raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {list(DATAFLOWS)}")
        dataflow = dataflow.lower()
    if hardware is None:
        hardware = Hardware.default()
    elif not isinstance(hardware, Hardware):
        raise TypeError(f"hardware must be a confuciux.Hardware, got {type(hardware).__name__}")
    return dataflow, hardware


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


def _costs(ints: np.ndarray, reals: np.ndarray, status: np.ndarray, shape: tuple[int, ...]) -> LayerCosts:
    """LayerCosts whose arrays are views of two blocks (cheap for small calls)."""
    status = status.reshape(shape)
    valid = status == 0
    f = ints.astype(np.float64).reshape((len(DISTINCT_FIELDS), *shape))
    if not valid.all():
        f[:, ~valid] = np.nan
    r = reals.reshape((len(FLOAT_FIELDS), *shape))
    out = dict(zip(DISTINCT_FIELDS, f, strict=False))
    out.update({copy: out[of] for copy, of in COPIES.items()})  # equal quantities share memory
    return LayerCosts(
        runtime=out["runtime"],
        energy=r[0],
        area=r[1],
        power=r[2],
        l1_bytes=out["l1_bytes"],
        l2_bytes=out["l2_bytes"],
        macs=out["macs"],
        throughput=r[3],
        valid=valid,
        status=status,
        accesses={name: out[name] for name in ACCESS_FIELDS},
    )


def area_power(
    pes: Any,
    l1_bytes: Any,
    l2_bytes: Any,
    hardware: Hardware | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) of one accelerator with ``pes`` PEs, ``l1_bytes`` of L1 per PE
    and an L2 of ``l2_bytes`` — e.g. the single accelerator of a layer-sequential deployment,
    sized for the largest P, L1 and L2 of its layers.  Arguments broadcast together."""
    if hardware is None:
        hardware = Hardware.default()
    p = _int_array("pes", pes)
    b1 = _int_array("l1_bytes", l1_bytes)
    b2 = _int_array("l2_bytes", l2_bytes)
    _check_positive("pes", p, ())
    for name, a in (("l1_bytes", b1), ("l2_bytes", b2)):
        if a.size and np.min(a) < 0:
            raise ValueError(f"{name} must be >= 0")
    shape = np.broadcast_shapes(p.shape, b1.shape, b2.shape)
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in (p, b1, b2)]
    if _native.AVAILABLE:
        area, power = _native.area_power_points(*flat, hardware)
    else:
        area, power = _reference.area_power_points(*flat, hardware)
    return area.reshape(shape), power.reshape(shape)
