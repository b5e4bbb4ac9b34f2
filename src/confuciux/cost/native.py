"""Thin binding to the compiled kernel ``confuciux._cost_model`` (csrc/cost_model.c).

Checks every array it hands to C (dtype, contiguity, size) so that no call can read or write out
of bounds, then makes one C call per batch; the kernel writes float64 results straight into the
arrays allocated here.  ``AVAILABLE`` is False when the extension was not built; callers then use
the NumPy reference.  When it loads, the kernel's enums are checked against the Python tables
(:mod:`.schema`, :mod:`.dataflows`).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._cache import IdentityCache
from ..hardware import Hardware
from . import dataflows, schema
from .reference import full_dims, mac_per_pe

try:
    from .._cost_model import ffi, lib  # type: ignore[import-not-found, unused-ignore]

    AVAILABLE = True
except ImportError:  # built without a C compiler, or run from a source tree
    ffi = lib = None
    AVAILABLE = False

__all__ = [
    "AVAILABLE", "evaluate_blocks", "evaluate_points", "evaluate_one", "area_power_points", "check_enums",
    "release_memory",
]  # fmt: skip

# rows of a layer block (workload.LAYER_COLUMNS), fields of cx_layers
_DIMS = ("K", "C", "Y", "X", "R", "S", "N", "G", "SY", "SX")


def check_enums(c_lib: Any) -> None:
    """Raise ImportError unless the kernel's enums are those of the Python tables (csrc/build.py
    generates them from the tables; a mismatch means a kernel built from other tables, e.g. an
    in-place build not redone after a table changed)."""
    expected = {f"CX_{d.name.upper()}": d.kernel_id for d in dataflows.TABLE if d.kernel_id is not None}
    expected["CX_N_DATAFLOWS"] = len(expected)
    expected.update({f"CX_{s.name}": s.code for s in schema.STATUSES}, CX_N_STATUSES=len(schema.STATUSES))
    expected.update({f"CX_OUT_{name.upper()}": i for i, name in enumerate(schema.CLOSED_FORM)})
    expected["CX_N_OUTPUTS"] = len(schema.CLOSED_FORM)
    problems = [f"{name}: tables {value}, kernel {getattr(c_lib, name, None)}"
                for name, value in expected.items() if getattr(c_lib, name, None) != value]  # fmt: skip
    if problems:
        raise ImportError("confuciux._cost_model was built from other tables than confuciux.cost's (rebuild it: "
                          "pip install -e . or python csrc/build.py): " + "; ".join(problems))  # fmt: skip


if AVAILABLE:
    check_enums(lib)


def _build_hardware_struct(hw: Hardware) -> Any:
    a2, a1, a0 = hw.arbiter_poly
    fields = {name: getattr(hw, name) for name in _HW_FIELDS}
    mac_area, mac_power = mac_per_pe(hw)  # a PE's simd_lanes MACs
    return ffi.new("cx_hardware *", {**fields, "maestro_energy": int(hw.maestro_energy), "mac_area": mac_area,
                                     "mac_power": mac_power, "arbiter_a2": a2, "arbiter_a1": a1,
                                     "arbiter_a0": a0})  # fmt: skip


_HW_FIELDS = (
    "mac_energy", "l1_energy", "l2_energy", "l1_area", "l2_area", "l1_power", "l2_power", "bus_width",
    "bus_width_per_pe", "bus_area_per_port", "bus_area_base", "bus_power_per_port", "bus_power_base", "arbiter_area",
    "arbiter_area_floor", "arbiter_power", "arbiter_power_floor",
)  # fmt: skip
# The kernel's struct of each Hardware (frozen, float fields), built once per instance.
_hardware_struct: IdentityCache[Hardware, Any] = IdentityCache(_build_hardware_struct)


def _hardware(hw: Any) -> Any:
    if not isinstance(hw, Hardware):
        raise TypeError(f"hardware must be a confuciux.Hardware, got {type(hw).__name__}")
    return _hardware_struct(hw)


_KERNEL_IDS = {d.name: d.kernel_id for d in dataflows.TABLE if d.selectable and d.kernel_id is not None}


def _dataflow_id(dataflow: str) -> int:
    """The kernel's id of a selectable dataflow with a closed form (ValueError for anything else)."""
    kernel_id = _KERNEL_IDS.get(dataflow) if type(dataflow) is str else None
    if kernel_id is None:
        kernel_id = dataflows.lookup(dataflow).kernel_id
        if kernel_id is None:
            raise ValueError(f"dataflow {dataflow!r} has no closed form in the kernel")
    return kernel_id


def _check(name: str, a: Any, dtype: type, size: int | None = None, ndim: int = 1) -> np.ndarray:
    """``a`` as given if it is a C-contiguous array of ``dtype`` with ``ndim`` dimensions (and
    ``size`` elements); otherwise a ValueError/TypeError.  Nothing is converted: this is what
    stands between a caller's mistake and an out-of-bounds access in C."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.ndim != ndim or not a.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous {ndim}-d array, got shape {a.shape}")
    if size is not None and a.size != size:
        raise ValueError(f"{name} must have {size} elements, got {a.size}")
    return a


def _steps(name: str, a: Any, n_designs: int, n_layers: int) -> tuple[Any, tuple[int, int]]:
    """An int64 array of shape (n_designs, n_layers), possibly a broadcast view (stride 0): the
    address of its first element and its strides in elements.  The kernel reads exactly the
    array's own elements at those strides, which NumPy guarantees are valid memory."""
    if not isinstance(a, np.ndarray) or a.dtype != np.int64:
        raise TypeError(f"{name} must be an int64 NumPy array")
    if a.shape != (n_designs, n_layers):
        raise ValueError(f"{name} must have shape ({n_designs}, {n_layers}), got {a.shape}")
    if a.size == 0:
        return ffi.NULL, (0, 0)
    if a.flags.c_contiguous:  # the common case, without building __array_interface__
        return ffi.from_buffer("int64_t[]", a), (n_layers, 1)
    steps = []
    for axis, s in enumerate(a.strides):
        if a.shape[axis] <= 1:
            s = 0  # never stepped over
        if s < 0 or s % a.itemsize:
            raise ValueError(f"{name}: stride {s} of axis {axis} is not a non-negative multiple of 8")
        steps.append(s // a.itemsize)
    return ffi.cast("const int64_t *", a.__array_interface__["data"][0]), (steps[0], steps[1])


class _Recycler:
    """The output memory of the last large call, handed out again once nobody uses it.

    Fresh memory costs a page fault per page on first touch (about a quarter of a large call's
    time); a caller that evaluates batch after batch and drops each result gets the same,
    already mapped, memory back.  The block is reused only when no array anywhere still refers
    to it: its reference count is the recycler's own, as measured on a private probe when the
    module loads (so the test does not depend on how the interpreter counts references).  The
    test and the hand-out happen under a lock, so two threads never get the same block; a view
    handed out counts as a reference, so a result the caller keeps is never overwritten.  At most
    one block of at most ``MAX_BYTES`` is kept."""

    MIN_BYTES = 1 << 20
    MAX_BYTES = 256 << 20

    def __init__(self) -> None:
        self.block: np.ndarray | None = None
        self._lock = threading.Lock()

    def _unused(self) -> bool:
        return self.block is not None and sys.getrefcount(self.block) == _UNUSED_REFS

    def take(self, nbytes: int) -> np.ndarray:
        with self._lock:
            block = self.block
            if block is not None and nbytes <= block.size <= 2 * nbytes:
                del block  # (not to count this reference)
                if self._unused():
                    assert self.block is not None
                    return self.block[:nbytes]  # the view is a reference before the lock opens
        fresh = np.empty(nbytes, dtype=np.uint8)
        if self.MIN_BYTES <= nbytes <= self.MAX_BYTES:
            with self._lock:
                self.block = fresh
        return fresh

    def clear(self) -> None:
        with self._lock:
            self.block = None


def _unused_refs() -> int:
    """What :meth:`_Recycler._unused` sees for a block nobody else holds."""
    probe = _Recycler()
    probe.block = np.empty(1, dtype=np.uint8)
    return sys.getrefcount(probe.block)


_UNUSED_REFS = _unused_refs()
_recycler = _Recycler()


def release_memory() -> None:
    """Drop the output memory kept for reuse (see :class:`_Recycler`)."""
    _recycler.clear()


def layers_struct(cols: np.ndarray, depthwise: np.ndarray) -> Any:
    """The kernel's cx_layers pointing into ``cols`` (rows K, C, Y, X, R, S, N, G, stride_y,
    stride_x) and ``depthwise``, as checked by :func:`evaluate_block`.  Valid while both arrays
    are alive and unchanged."""
    column = ffi.from_buffer("int64_t[]", cols)
    layers = ffi.new("cx_layers *")
    for j, name in enumerate(_DIMS):
        setattr(layers, name, column + j * cols.shape[1])
    layers.depthwise = ffi.from_buffer("uint8_t[]", depthwise)
    return layers


_CLOSED_FORM = frozenset(schema.CLOSED_FORM)


@functools.lru_cache(maxsize=64)
def _indices(outputs: tuple[str, ...]) -> Any:
    """The kernel's index of each output, as a C int array (ValueError for unknown or repeated
    names)."""
    if len(set(outputs)) != len(outputs) or not all(name in _CLOSED_FORM for name in outputs):
        raise ValueError(f"outputs must be distinct names from {schema.CLOSED_FORM}, got {outputs}")
    return ffi.new("int[]", [schema.INDEX[name] for name in outputs])


def evaluate_blocks(
    cols: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
    outputs: Sequence[str] = schema.DISTINCT,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """One kernel call for D designs x N layers.

    ``cols``: C-contiguous int64 (10, N), rows K, C, Y, X, R, S, N, G, stride_y, stride_x (K and C
    totals over the groups); ``depthwise``: contiguous uint8
    (N,); ``pes``, ``ktile``: int64 (D, N) arrays, broadcast views allowed (point ``(d, l)`` is
    design ``d`` on layer ``l``).  ``outputs``: names from :data:`schema.CLOSED_FORM`.

    Returns (``{name: float64 (D*N,)}`` for the outputs asked, ``status`` uint8 (D*N,), ``valid``
    bool (D*N,): status OK or IMPOSSIBLE).  Raises ValueError/TypeError for any array that does not fit
    that contract."""
    floats, status, valid = evaluate_block(cols, depthwise, pes, ktile, dataflow, hardware, tuple(outputs))
    return dict(zip(outputs, floats, strict=True)), status, valid


def evaluate_block(
    cols: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
    outputs: tuple[str, ...],
    struct: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`evaluate_blocks` returning the outputs as one float64 array (len(outputs), D*N),
    rows in the order of ``outputs`` (the fast path of :func:`confuciux.evaluate`).  ``struct``:
    :func:`layers_struct` of these same ``cols`` and ``depthwise``, if the caller keeps one."""
    _check("cols", cols, np.int64, ndim=2)
    if cols.shape[0] != len(_DIMS):
        raise ValueError(f"cols must have {len(_DIMS)} rows ({', '.join(_DIMS)}), got shape {cols.shape}")
    n_layers = cols.shape[1]
    _check("depthwise", depthwise, np.uint8, n_layers)
    if not isinstance(pes, np.ndarray) or pes.ndim != 2:
        raise ValueError("pes must be a 2-d array (designs, layers)")
    n_designs = pes.shape[0]
    p_ptr, p_steps = _steps("pes", pes, n_designs, n_layers)
    k_ptr, k_steps = _steps("ktile", ktile, n_designs, n_layers)
    df = _dataflow_id(dataflow)
    hw = _hardware(hardware)
    indices = _indices(outputs)
    n = n_designs * n_layers
    # one block: the float rows, then status and valid (8-byte aligned: rows of 8n bytes)
    n_float = len(outputs) * 8 * n
    block = _recycler.take(n_float + 2 * n)
    floats = block[:n_float].view(schema.DTYPE).reshape(len(outputs), n)
    status = block[n_float : n_float + n].view(schema.STATUS_DTYPE)
    valid = block[n_float + n :].view(np.bool_)
    if n == 0:
        return floats, status, valid
    # (the arrays behind these pointers are alive for the whole call: the caller holds them)
    base = ffi.from_buffer("uint8_t[]", block)
    layers = layers_struct(cols, depthwise) if struct is None else struct
    designs = ffi.new("cx_designs *", (p_ptr, k_ptr, p_steps, k_steps))
    rc = lib.cx_evaluate_rows(
        layers, n_layers, designs, n_designs, df, hw, indices, len(outputs),
        ffi.cast("double *", base), base + n_float, base + n_float + n,
    )  # fmt: skip
    if rc == -3:
        raise MemoryError("the cost kernel could not allocate its per-layer scratch")
    if rc != 0:  # unreachable: the dataflow and the outputs were checked above
        raise ValueError(f"the kernel refused the call (code {rc})")
    return floats, status, valid


def layer_struct(dims: Sequence[int], depthwise: bool) -> Any:
    """A cx_layers of one layer (for :func:`evaluate_one`): ``dims`` K, C, Y, X, R, S, N, G,
    stride_y, stride_x."""
    if len(dims) != len(_DIMS):
        raise ValueError(f"a layer has {len(_DIMS)} dimensions ({', '.join(_DIMS)}), got {len(dims)}")
    block = ffi.new("int64_t[]", [int(v) for v in dims])
    flag = ffi.new("uint8_t[1]", [1 if depthwise else 0])
    layer = ffi.new("cx_layers *")
    for j, name in enumerate(_DIMS):
        setattr(layer, name, block + j)
    layer.depthwise = flag
    return (layer, block, flag)  # the struct and the memory it points to, kept alive together


def evaluate_one(layer: Any, pes: int, ktile: int, dataflow: str, hardware: Hardware) -> tuple[list[float], int]:
    """One point with as little Python overhead as possible: ``layer`` from :func:`layer_struct`.
    Returns (every output in schema order, status)."""
    values = ffi.new("double[]", len(schema.CLOSED_FORM))
    status = lib.cx_evaluate_point(layer[0], pes, ktile, _dataflow_id(dataflow), _hardware(hardware), values)
    return ffi.unpack(values, len(schema.CLOSED_FORM)), status


def evaluate_points(
    dims: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
) -> dict[str, np.ndarray]:
    """Same contract as :func:`confuciux.cost.reference.evaluate_points` (``dims`` int64 (N, 10)
    or (N, 6), ``depthwise`` bool (N,)), except that ``pes`` and ``ktile`` may hold several
    designs: D*N values, point ``d*N + l`` being layer ``l``.  Sizes are checked (ValueError)."""
    dims = np.asarray(dims)
    if dims.ndim != 2 or dims.shape[1] not in (6, len(_DIMS)):
        raise ValueError(f"dims must have shape (n, {len(_DIMS)}) or (n, 6), got {dims.shape}")
    dims = full_dims(dims)
    n_layers = dims.shape[0]
    cols = np.ascontiguousarray(dims.T, dtype=np.int64)
    dw = np.asarray(depthwise)
    if dw.shape != (n_layers,):
        raise ValueError(f"depthwise must have shape ({n_layers},), got {dw.shape}")
    p, k = np.asarray(pes), np.asarray(ktile)
    if p.ndim != 1 or p.shape != k.shape or (n_layers and p.size % n_layers) or (not n_layers and p.size):
        raise ValueError(
            f"pes and ktile must be 1-d arrays of equal size, a multiple of {n_layers} layers; "
            f"got shapes {p.shape} and {k.shape}"
        )
    n_designs = p.size // n_layers if n_layers else 0
    values, status, valid = evaluate_blocks(
        cols, np.ascontiguousarray(dw, dtype=np.uint8),
        np.ascontiguousarray(p, dtype=np.int64).reshape(n_designs, n_layers),
        np.ascontiguousarray(k, dtype=np.int64).reshape(n_designs, n_layers),
        dataflow, hardware,
    )  # fmt: skip
    result = {name: values[name] if name in values else values[schema.SAME_AS[name]] for name in schema.CLOSED_FORM}
    result["status"], result["valid"] = status, valid
    return result


def area_power_points(
    pes: np.ndarray, l1_bytes: np.ndarray, l2_bytes: np.ndarray, hardware: Hardware
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) for contiguous int64 arrays of equal size (NaN where a result
    does not fit a float64).  Sizes are checked (ValueError)."""
    n = _check("pes", pes, np.int64).size
    _check("l1_bytes", l1_bytes, np.int64, n)
    _check("l2_bytes", l2_bytes, np.int64, n)
    area = np.empty(n, dtype=np.float64)
    power = np.empty(n, dtype=np.float64)
    if n:
        fb = ffi.from_buffer
        lib.cx_area_power(
            fb("int64_t[]", pes), fb("int64_t[]", l1_bytes), fb("int64_t[]", l2_bytes), n,
            _hardware(hardware), fb("double[]", area), fb("double[]", power),
        )  # fmt: skip
    return area, power
