"""Thin binding to the compiled general engine (``cxe_evaluate`` in csrc/engine.c).

The C engine runs passes 2-6 of the reference (levels, cases, reuse, analysis, printed row) for
every design of every layer in one call; this module does pass 1 with the reference's own
:func:`~.problem.problem_of` (once per layer and program naming), encodes each layer's compiled
program (:class:`~confuciux.dataflow.bind.Template`: sizes fixed or a design knob) for C, and
checks every array it hands over.  ``AVAILABLE`` is False when the extension was not built.
When it loads, the engine's enums are checked against the Python tables (dimensions, statuses,
outputs), by name.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..._cache import IdentityCache
from ...dataflow.bind import _KNOB_CODE, Template
from ...dataflow.program import DIMENSIONS
from ...hardware import Hardware
from ...workload import Layer
from ..native import _recycler  # the output memory of the last large call, reused (one recycler)
from . import DEFAULTS
from .analysis import Flags
from .outputs import OUTPUTS
from .problem import Problem, _naming, problem_of
from .report import maestro_hardware
from .status import Status

try:
    from ..._cost_model import ffi, lib  # type: ignore[import-not-found, unused-ignore]

    AVAILABLE = hasattr(lib, "cxe_evaluate")
except ImportError:  # built without a C compiler, or run from a source tree
    ffi = lib = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "evaluate", "evaluate_programs", "evaluate_point", "point_flags", "check_enums",
           "release_memory"]

_FLAGS = ("simd", "noc_bw", "noc_hops", "noc_hop_latency", "offchip_bw")
_BOUND_CAP = 2**126  # the bounds are passed as min(value, 2^126): every comparison in C is unchanged
_MASK64 = 2**64 - 1


def _names(c_lib: Any, kind: str, count: int) -> list[str]:
    """The engine's names of its dimensions, statuses or outputs 0 .. count (the last: "")."""
    return [ffi.string(getattr(c_lib, f"cxe_{kind}_name")(i)).decode() for i in range(count + 1)]


def check_enums(c_lib: Any) -> None:
    """Raise ImportError unless the engine's enums name what the Python tables name: the
    dimensions in byte order, the statuses, the outputs."""
    problems = []
    for kind, names in (("dim", sorted(DIMENSIONS)), ("output", list(OUTPUTS))):
        got = _names(c_lib, kind, len(names))
        if got != [*names, ""]:
            problems.append(f"{kind}s: tables {names}, engine {got[:-1]}")
    for name in _names(c_lib, "status", c_lib.CXE_N_STATUSES)[:-1]:
        if name not in Status.__members__:
            problems.append(f"the engine's status {name!r} is not a Status")
    if problems:
        raise ImportError("confuciux._cost_model's engine was built from other tables (rebuild it: pip install -e . "
                          "or python csrc/build.py): " + "; ".join(problems))  # fmt: skip


if AVAILABLE:
    check_enums(lib)
    _DIM = {name: i for i, name in enumerate(sorted(DIMENSIONS))}
    _KIND = {"spatial": lib.CXE_SPATIAL, "temporal": lib.CXE_TEMPORAL, "cluster": lib.CXE_CLUSTER}
    # evaluate_programs' kinds 0, 1, 2 -> the engine's
    _KIND_CODES = np.array([_KIND["spatial"], _KIND["temporal"], _KIND["cluster"]], dtype=np.uint8)
    # the language's knob codes -> the engine's, by the knob's name
    _KNOB = np.zeros(max(_KNOB_CODE.values()) + 1, dtype=np.uint8)
    for _name, _code in _KNOB_CODE.items():
        _KNOB[_code] = {"pes": lib.CXE_KNOB_PES, "buffers": lib.CXE_KNOB_BUFFERS}[_name]
    _OUTPUT_INDEX = {name: i for i, name in enumerate(OUTPUTS)}
    # the engine names its statuses; the codes are the Status table's, by name
    _CODES = ffi.new("uint8_t[]", [int(Status[n]) for n in _names(lib, "status", lib.CXE_N_STATUSES)[:-1]])


def _program_arrays(t: Template) -> dict[str, np.ndarray]:
    """A template as the engine reads it: one entry a directive."""
    table = t.table
    return {
        "kind": np.array([_KIND[k] for k in t.kinds], dtype=np.uint8),
        "dim": np.array([_DIM[d] if k != "cluster" else -1 for d, k in zip(t.dims, t.kinds, strict=True)],
                        dtype=np.int8),  # fmt: skip
        "size": np.ascontiguousarray(table["size"]),
        "offset": np.ascontiguousarray(table["offset"]),
        "size_knob": _KNOB[table["size_knob"]],
        "offset_knob": _KNOB[table["offset_knob"]],
        "whole": np.ascontiguousarray(table["whole"]),
    }


_programs: IdentityCache[Template, dict[str, np.ndarray]] = IdentityCache(_program_arrays)
_N_COUPLED = 6


def _problem_row(problem: Problem) -> tuple[np.ndarray, int, int, int, np.ndarray, np.ndarray]:
    """(dims, stride_y, stride_x, windows, tensors, bounds) of one layer."""
    dims = np.zeros(len(_DIM), dtype=np.int64)
    for name, size in problem.dims:
        dims[_DIM[name]] = size
    strides = dict(problem.strides)
    tensors = np.full((3, _N_COUPLED), -1, dtype=np.int8)
    for t, coupled in enumerate((problem.input, problem.filter, problem.output)):
        tensors[t, : len(coupled)] = [_DIM[d] for d in coupled]
    bounds = np.zeros((4, 2), dtype=np.uint64)
    for k, value in enumerate((problem.work, problem.input_used, problem.filter_size, problem.output_size)):
        v = min(value, _BOUND_CAP)
        bounds[k] = (v >> 64, v & _MASK64)
    return dims, strides.get("Y", 1), strides.get("X", 1), int(bool(problem.overlaps)), tensors, bounds


def _layer_rows(layer: Layer) -> dict[frozenset[str], tuple[Any, ...]]:
    return {}


_layer_cache: IdentityCache[Layer, dict[frozenset[str], tuple[Any, ...]]] = IdentityCache(_layer_rows)


def _problem_of(layer: Layer, t: Template) -> tuple[Any, ...]:
    """Pass 1 for ``layer`` under ``t``: MAESTRO's view depends on the dimensions the program
    maps (the GEMM form, a declared batch), as for the reference given bound directives."""
    return _row(layer, frozenset(d for d, k in zip(t.dims, t.kinds, strict=True) if k != "cluster"))


def _row(layer: Layer, mapped: frozenset[str]) -> tuple[Any, ...]:
    """:func:`_problem_row` of ``layer`` under programs that map the dimensions ``mapped`` (kept
    with the layer)."""
    rows = _layer_cache(layer)
    row = rows.get(mapped)
    if row is None:
        row = rows[mapped] = _problem_row(problem_of(layer, (), _naming(sorted(mapped))))
    return row


@functools.lru_cache(maxsize=64)
def _hardware(simd: int, noc_bw: int) -> Any:
    """The cost database's struct for these flags (``maestro_hardware``)."""
    from ..native import _hardware_struct  # the closed-form binding's struct of a Hardware (one place)

    return _hardware_struct(maestro_hardware(Flags(simd, noc_bw, 0, 1)))


def _designs(pes: np.ndarray, buffers: np.ndarray) -> tuple[Any, list[Any]]:
    """The engine's cx_designs over (n_designs, n_layers) int64 arrays, possibly broadcast views."""
    des = ffi.new("cx_designs *")
    keep = []
    for field, steps, a in (("pes", "pes_step", pes), ("ktile", "ktile_step", buffers)):
        if a.flags.c_contiguous:
            setattr(des, field, ffi.from_buffer("int64_t[]", a))
            setattr(des, steps, (a.shape[1], 1))
        else:  # a broadcast view: its own elements at its strides
            strides = [0 if a.shape[i] <= 1 else s // a.itemsize for i, s in enumerate(a.strides)]
            if any(s < 0 for s in a.strides) or any(s % a.itemsize for s in a.strides):
                a = np.ascontiguousarray(a)
                strides = [a.shape[1], 1]
            setattr(des, field, ffi.cast("const int64_t *", a.__array_interface__["data"][0]))
            setattr(des, steps, strides)
        keep.append(a)
    return des, keep


class _Inputs:
    """The engine's structs for a list of layers and their templates, and the arrays they point
    into (kept alive here)."""

    arrays: dict[str, np.ndarray]
    layers: Any
    programs: Any
    repeats: _Repeats | None = None  # evaluate_programs': the per-layer arrays' owner

    def __init__(self, layers: Sequence[Layer], templates: Sequence[Template]) -> None:
        rows = [_problem_of(layer, t) for layer, t in zip(layers, templates, strict=True)]
        progs = [_programs(t) for t in templates]
        n = len(rows)
        first = np.zeros(n + 1, dtype=np.int64)
        first[1:] = np.cumsum([len(p["kind"]) for p in progs])
        keys = ("kind", "dim", "size", "offset", "size_knob", "offset_knob", "whole")
        self._build(rows, first, {key: np.concatenate([p[key] for p in progs]) for key in keys})

    @classmethod
    def of_arrays(cls, repeats: _Repeats, first: np.ndarray, cat: dict[str, np.ndarray]) -> _Inputs:
        """From the engine's directive arrays directly (:func:`evaluate_programs`): programs
        ``first``, all of the one layer ``repeats`` holds (its struct, kept between calls)."""
        made = cls.__new__(cls)
        made.arrays = {**repeats.arrays, "first": first, **cat}
        made.repeats = repeats  # (its arrays are the struct's: alive as long as these inputs)
        made.layers = repeats.layers
        made._programs()
        return made

    def _build(self, rows: list[tuple[Any, ...]], first: np.ndarray, cat: dict[str, np.ndarray]) -> None:
        per_layer = {
            "dims": np.stack([r[0] for r in rows]),
            "sy": np.array([r[1] for r in rows], dtype=np.int64),
            "sx": np.array([r[2] for r in rows], dtype=np.int64),
            "windows": np.array([r[3] for r in rows], dtype=np.uint8),
            "tensors": np.stack([r[4] for r in rows]),
            "bounds": np.stack([r[5] for r in rows]),
        }  # fmt: skip
        self.arrays = {**per_layer, "first": first, **cat}
        self.layers = self.layers_struct(self.arrays)
        self._programs()

    @staticmethod
    def layers_struct(a: dict[str, np.ndarray]) -> Any:
        """The engine's cxe_layers over the per-layer arrays ``a`` (valid while they are alive)."""
        return ffi.new("cxe_layers *", {
            "dims": ffi.from_buffer("int64_t[]", a["dims"]), "stride_y": ffi.from_buffer("int64_t[]", a["sy"]),
            "stride_x": ffi.from_buffer("int64_t[]", a["sx"]), "windows": ffi.from_buffer("uint8_t[]", a["windows"]),
            "tensors": ffi.from_buffer("int8_t[]", a["tensors"]), "bounds": ffi.from_buffer("uint64_t[]", a["bounds"]),
        })  # fmt: skip

    def _programs(self) -> None:
        a = self.arrays
        self.programs = ffi.new("cxe_programs *", {k: ffi.from_buffer(t, a[k]) for k, t in _PROGRAM_TYPES.items()})


_PROGRAM_TYPES = {"first": "int64_t[]", "kind": "uint8_t[]", "dim": "int8_t[]", "size": "int64_t[]",
                  "offset": "int64_t[]", "size_knob": "uint8_t[]", "offset_knob": "uint8_t[]", "whole": "int64_t[]"}


def _repeated(row: tuple[Any, ...], n: int) -> dict[str, np.ndarray]:
    """:meth:`_Inputs._build`'s per-layer arrays of one layer ``row`` repeated ``n`` times (the
    same arrays as stacking ``[row] * n``, without a Python list of n)."""
    dims, sy, sx, windows, tensors, bounds = row
    return {
        "dims": np.repeat(dims[None], n, axis=0), "sy": np.full(n, sy, dtype=np.int64),
        "sx": np.full(n, sx, dtype=np.int64), "windows": np.full(n, windows, dtype=np.uint8),
        "tensors": np.repeat(tensors[None], n, axis=0), "bounds": np.repeat(bounds[None], n, axis=0),
    }  # fmt: skip


# The inputs of the last few layer lists, by the identity of their layers and templates (held
# here, so the identities stay theirs): a search calls with the same ones design after design.
_INPUTS: dict[tuple[int, ...], tuple[tuple[object, ...], _Inputs]] = {}
_MAX_INPUTS = 16


def _inputs(layers: Sequence[Layer], templates: Sequence[Template]) -> _Inputs:
    objects = (*layers, *templates)
    key = tuple(map(id, objects))
    hit = _INPUTS.get(key)
    if hit is not None:
        return hit[1]
    if len(_INPUTS) >= _MAX_INPUTS:
        for oldest in list(_INPUTS)[:1]:
            _INPUTS.pop(oldest, None)  # (another thread may have dropped it)
    made = _Inputs(layers, templates)
    _INPUTS[key] = (objects, made)
    return made


def _priced(hardware: Hardware | None) -> Any:
    """The cost database's struct of ``hardware`` (None: NULL, MAESTRO's printed prices)."""
    if hardware is None:
        return ffi.NULL
    from ..native import _hardware_struct  # the closed-form binding's struct of a Hardware (one place)

    return _hardware_struct(hardware)


@functools.lru_cache(maxsize=64)
def _flags(simd: int, noc_bw: int, hops: int, hop_latency: int, offchip_bw: int) -> tuple[Any, Any]:
    """The engine's flags and the cost database's struct for them."""
    fl = ffi.new("cxe_flags *", {"simd": simd, "noc_bw": noc_bw, "noc_hops": hops, "noc_hop_latency": hop_latency,
                                 "offchip_bw": offchip_bw})  # fmt: skip
    return fl, _hardware(simd, noc_bw)


@functools.lru_cache(maxsize=64)
def _output_indices(names: tuple[str, ...]) -> Any:
    return ffi.new("int[]", [_OUTPUT_INDEX[name] for name in names])


class _Caches:
    """The engine's caches (compiled programs, inner analyses, the top level's cases) of the last
    few (inputs, flags), each used by one call at a time: a call that finds its cache busy (another
    thread) runs without one."""

    MAX = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caches: dict[tuple[int, tuple[int, ...]], tuple[_Inputs, Any, threading.Lock]] = {}
        self._scratch: tuple[Any, threading.Lock] | None = None

    def take(self, ins: _Inputs, flags: tuple[int, ...]) -> tuple[Any, threading.Lock | None]:
        key = (id(ins), flags)
        with self._lock:
            hit = self._caches.get(key)
            if hit is None or hit[0] is not ins:
                if len(self._caches) >= self.MAX:
                    self._caches.pop(next(iter(self._caches)))
                cache = lib.cxe_cache_new()
                if cache == ffi.NULL:
                    return ffi.NULL, None
                hit = self._caches[key] = (ins, ffi.gc(cache, lib.cxe_cache_free), threading.Lock())
        if hit[2].acquire(blocking=False):
            return hit[1], hit[2]
        return ffi.NULL, None

    def scratch(self) -> tuple[Any, threading.Lock | None]:
        """The cache for inputs made afresh each call (:func:`evaluate_programs`' candidates):
        its state is the last call's, its memory (the engine's arenas) is used again."""
        with self._lock:
            if self._scratch is None:
                cache = lib.cxe_cache_new()
                if cache == ffi.NULL:
                    return ffi.NULL, None
                self._scratch = (ffi.gc(cache, lib.cxe_cache_free), threading.Lock())
            hit = self._scratch
        if hit[1].acquire(blocking=False):
            return hit
        return ffi.NULL, None

    def clear(self) -> None:
        with self._lock:
            self._caches.clear()
            self._scratch = None


_caches = _Caches()


def release_memory() -> None:
    """Drop the engine's caches (the memory of compiled programs and analyses kept between calls)."""
    _caches.clear()


def evaluate(
    layers: Sequence[Layer],
    templates: Sequence[Template],
    pes: np.ndarray,
    buffers: np.ndarray,
    flags: Mapping[str, int | bool],
    outputs: Sequence[str],
    priced: Hardware | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The compiled engine behind :func:`~confuciux.cost.engine.evaluate_batch`: every design of
    every layer in one C call.  ``pes`` and ``buffers``: int64 (n_designs, n_layers) (broadcast
    views welcome), each >= 1; ``flags``: every key of :data:`~confuciux.cost.engine.DEFAULTS`;
    ``outputs``: engine output names; ``priced``: a :class:`~confuciux.Hardware` whose energy,
    area and power replace MAESTRO's printed ones (the counts priced as :func:`confuciux.evaluate`
    prices them; a point whose prices overflow a float64 is OVERFLOW), None: MAESTRO's.
    Returns the outputs (float64, NaN where not printed) and the statuses (uint8,
    :class:`Status` codes).  What the engine compiles and analyses for these
    layers, programs and flags is kept for the next call with the same ones."""
    n_layers = len(layers)
    if len(templates) != n_layers or n_layers == 0:
        raise ValueError(f"{len(templates)} templates for {n_layers} layers (at least one)")
    for a in (pes, buffers):
        if not isinstance(a, np.ndarray) or a.dtype != np.int64 or a.ndim != 2 or a.shape[1] != n_layers:
            raise ValueError(f"pes and buffers must be int64 arrays of shape (designs, {n_layers})")
    if pes.shape != buffers.shape:
        raise ValueError(f"pes {pes.shape} and buffers {buffers.shape} differ in shape")
    return _run(_inputs(layers, templates), pes, buffers, flags, outputs, priced)


def _run(ins: _Inputs, pes: np.ndarray, buffers: np.ndarray, flags: Mapping[str, int | bool],
         outputs: Sequence[str], priced: Hardware | None,
         scratch: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """One C call over the inputs ``ins`` for designs ``pes``, ``buffers`` (n_designs, n_layers);
    ``scratch``: inputs made for this call only (:meth:`_Caches.scratch`)."""
    n_layers = pes.shape[1]
    key = tuple(int(flags[name]) for name in _FLAGS)
    fl, hw = _flags(*key)
    des, keep = _designs(pes, buffers)
    n_designs = pes.shape[0]
    shape = (n_designs, n_layers)
    names = tuple(dict.fromkeys(outputs))
    n = n_designs * n_layers
    block = _recycler.take(8 * n * len(names) + n)  # one block, reused once the caller drops it
    rows = block[: 8 * n * len(names)].view(np.float64)
    status = block[8 * n * len(names) :].view(np.uint8).reshape(shape)
    cache, lock = _caches.scratch() if scratch else _caches.take(ins, key)
    try:
        rc = lib.cxe_evaluate(ins.layers, ins.programs, n_layers, des, n_designs, fl, hw, _priced(priced),
                              _output_indices(names),
                              len(names), ffi.from_buffer("double[]", rows), ffi.from_buffer("uint8_t[]", status),
                              _CODES, cache)  # fmt: skip
    finally:
        if lock is not None:
            lock.release()
    del keep
    if rc == -3:
        raise MemoryError("the general engine ran out of memory")
    if rc != 0:
        raise ValueError(f"the general engine refused its input (code {rc}): a size, P, k or flag out of range")
    floats = rows.reshape(len(names), *shape)
    return {name: floats[j] for j, name in enumerate(names)}, status


def evaluate_programs(
    layer: Layer,
    names: Sequence[str],
    first: np.ndarray,
    program: Mapping[str, np.ndarray],
    pes: np.ndarray,
    flags: Mapping[str, int | bool],
    outputs: Sequence[str],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``layer`` under n programs given as flat directive arrays (a mapping search's candidates,
    without a :class:`Template` each): program i is directives ``first[i]:first[i+1]`` of
    ``program``'s ``kind`` (0 spatial, 1 temporal, 2 cluster), ``axis`` (index into ``names``,
    the dimension names; −1 for a cluster), ``size`` (the tile as MAESTRO reads it, or the
    cluster size; a map's offset is its size) and ``whole`` (the size a temporal R/S map must
    equal, else 0); every program fixed (no ``KTileSz``/``ClusterSz`` knob) and mapping exactly
    the dimensions ``names``.  ``pes``: int64 (1, n).  Returns what :func:`evaluate` returns for
    the same programs as templates (MAESTRO's prices), in one call."""
    n = first.size - 1
    kind = np.asarray(program["kind"], dtype=np.int64)
    size = np.ascontiguousarray(program["size"], dtype=np.int64)
    m = kind.size
    if n < 1 or first[0] != 0 or first[-1] != m or pes.shape != (1, n) or pes.dtype != np.int64:
        raise ValueError(f"{n} programs: first must run 0..{m} and pes be int64 of shape (1, {n})")
    names = tuple(names)
    fixed = _no_knobs(m)
    cat: dict[str, np.ndarray] = {
        "kind": _KIND_CODES[kind], "dim": _dim_codes(names)[np.asarray(program["axis"], dtype=np.int64)],
        "size": size, "offset": np.where(kind == 2, 0, size), "size_knob": fixed, "offset_knob": fixed,
        "whole": np.ascontiguousarray(program["whole"], dtype=np.int64),
    }  # fmt: skip
    ins = _Inputs.of_arrays(_repeats(layer, names, n), np.ascontiguousarray(first, dtype=np.int64), cat)
    # n "layers" of one design: the layer under each program (the C engine takes designs × layers)
    return _run(ins, np.ascontiguousarray(pes), _ones(n), flags, outputs, None, scratch=True)


def _no_knobs(m: int) -> np.ndarray:
    """m zeros (uint8: no knob), a view of a block kept between calls (read only by C)."""
    global _ZEROS
    if _ZEROS.size < m:
        _ZEROS = np.zeros(max(m, 2 * _ZEROS.size), dtype=np.uint8)
    return _ZEROS[:m]


def _ones(n: int) -> np.ndarray:
    """int64 ones of shape (1, n) (the buffers of knob-free programs), a view kept between calls."""
    global _ONES
    if _ONES.size < n:
        _ONES = np.ones(max(n, 2 * _ONES.size), dtype=np.int64)
    return _ONES[:n].reshape(1, n)


_ZEROS = np.zeros(1024, dtype=np.uint8)
_ONES = np.ones(256, dtype=np.int64)


@functools.lru_cache(maxsize=64)
def _dim_codes(names: tuple[str, ...]) -> np.ndarray:
    """The engine's dimension of each axis of ``names``, then −1 (a cluster's axis)."""
    return np.array([*(_DIM[d] for d in names), -1], dtype=np.int8)


class _Repeats:
    """One layer's per-layer arrays repeated ``cap`` times and the engine's struct over them: a
    call of n <= cap programs of the layer reads the first n (kept between calls, grown as needed)."""

    def __init__(self, row: tuple[Any, ...], cap: int) -> None:
        self.cap = cap
        self.arrays = _repeated(row, cap)
        self.layers = _Inputs.layers_struct(self.arrays)


# the repeats of the last few (layer, names), by identity (the layer is held, so its id stays its own)
_REPEATS: dict[tuple[int, tuple[str, ...]], tuple[Layer, _Repeats]] = {}


def _repeats(layer: Layer, names: tuple[str, ...], n: int) -> _Repeats:
    """The per-layer arrays of at least ``n`` programs of ``layer`` mapping ``names``."""
    key = (id(layer), names)
    hit = _REPEATS.get(key)
    if hit is not None and hit[1].cap >= n:
        return hit[1]
    made = _Repeats(_row(layer, frozenset(names)), max(n, 64 if hit is None else 2 * hit[1].cap))
    if key not in _REPEATS and len(_REPEATS) >= _MAX_INPUTS:
        for oldest in list(_REPEATS)[:1]:
            _REPEATS.pop(oldest, None)  # (another thread may have dropped it)
    _REPEATS[key] = (layer, made)
    return made


_ALL = tuple(OUTPUTS)


def point_flags(flags: Mapping[str, int | bool]) -> tuple[int, ...]:
    """:func:`evaluate_point`'s flags from the engine's keywords (missing ones: ConfuciuX's)."""
    return tuple(int({**DEFAULTS, **flags}[name]) for name in _FLAGS)


_DEFAULT_FLAGS = point_flags({})


def evaluate_point(
    layer: Layer, template: Template, pes: int, buffers: int, flags: tuple[int, ...] = _DEFAULT_FLAGS,
    priced: Hardware | None = None,
) -> tuple[int, list[float]]:
    """One design of one layer, for Python loops: ``(status, every output in OUTPUTS order)``
    (NaN where not printed).  ``pes``, ``buffers``: ints >= 1; ``flags``: the values of simd,
    noc_bw, noc_hops, noc_hop_latency, offchip_bw in that order (default ConfuciuX's);
    ``priced``: as for :func:`evaluate`."""
    ins = _inputs((layer,), (template,))
    fl, hw = _flags(*flags)
    knobs = ffi.new("int64_t[2]", (pes, buffers))
    des = ffi.new("cx_designs *", {"pes": knobs, "ktile": knobs + 1})
    out = ffi.new("double[]", len(_ALL))
    status = ffi.new("uint8_t *")
    cache, lock = _caches.take(ins, flags)
    try:
        rc = lib.cxe_evaluate(ins.layers, ins.programs, 1, des, 1, fl, hw, _priced(priced), _output_indices(_ALL),
                              len(_ALL), out, status, _CODES, cache)  # fmt: skip
    finally:
        if lock is not None:
            lock.release()
    if rc != 0:
        raise MemoryError("the general engine ran out of memory") if rc == -3 else ValueError(
            f"the general engine refused its input (code {rc}): a size, P, k or flag out of range")
    return status[0], ffi.unpack(out, len(_ALL))
