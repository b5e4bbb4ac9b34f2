"""Thin binding to the compiled mapping-search arithmetic (csrc/mapping.c): the analytic estimate
(:mod:`.estimate`'s runtime, critical path and buffers, :meth:`FreeEncoding.busy_pes`), the
canonical keys (:meth:`FreeEncoding.keys`), the repair and the breeding
(:func:`.operators.breed_reference`) of a batch of genome rows, one C call a batch.

The NumPy functions stay the reference; the C results equal them bit for bit
(tests/test_mapping_native.py).  ``AVAILABLE`` is False when the extension was not built; the
callers then use the reference.  The axes' roles and the limits come from the compiled
library's enums (csrc/mapping.h), checked against :mod:`.space` when it loads.
"""

from __future__ import annotations

import functools
import threading
import weakref
from dataclasses import fields
from typing import Any

import numpy as np

from .space import AXES, MAX_LEVELS

try:
    from .._cost_model import ffi, lib  # type: ignore[import-not-found, unused-ignore]

    AVAILABLE = hasattr(lib, "cxm_estimate")
except ImportError:  # built without a C compiler, or run from a source tree
    ffi = lib = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "usable", "estimate", "traffic", "energy", "keys", "repair", "breed", "breed_at", "screen",
           "Calibration", "calibrate", "score", "top", "Seen", "scratch", "release"]

if AVAILABLE:
    _ROLES = {name: int(getattr(lib, f"CXM_{name.replace(chr(39), '_OUT')}")) for name in AXES}
    if sorted(_ROLES.values()) != list(range(int(lib.CXM_N_ROLES))) or MAX_LEVELS > int(lib.CXM_MAX_LEVELS):
        raise ImportError("csrc/mapping.h's roles or limits disagree with confuciux.mapping.space")

#: the most tile mutations a child the compiled breeding takes (Operators.tile_loci)
MAX_TILE_LOCI = int(lib.CXM_MAX_TILE_LOCI) if AVAILABLE else 0

_LAYERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_SPACES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def usable(enc: Any) -> bool:
    """Whether the compiled code serves this encoding (a free one, within the C limits)."""
    return AVAILABLE and enc.D <= int(lib.CXM_MAX_AXES) and enc.L <= int(lib.CXM_MAX_LEVELS)


def _layer(enc: Any) -> Any:
    """The encoding's ``cxm_layer`` (made once per encoding)."""
    got = _LAYERS.get(enc)
    if got is None:
        got = ffi.new("cxm_layer *")
        got.D, got.L = enc.D, enc.L
        for d, name in enumerate(enc.axes.names):
            got.role[d] = _ROLES[name]
            got.sizes[d] = int(enc.sizes[d])
            got.out_strides[d] = int(enc.out_strides[d])
        got.stride_y, got.stride_x = (int(s) for s in enc.layer.stride)
        got.depthwise = int(bool(enc.layer.depthwise))
        _LAYERS[enc] = got
    return got


def _space(enc: Any) -> Any:
    """The encoding's ``cxm_space`` (made once per encoding)."""
    got = _SPACES.get(enc)
    if got is None:
        got = ffi.new("cxm_space *")
        width = int(lib.CXM_MAX_AXES)
        got.lo, got.hi = enc.space.levels
        got.pe_cap, got.divisors_only = enc.pe_cap, int(enc.divisors_only)
        for lv in range(enc.L):
            for d in range(enc.D):
                got.allowed[lv * width + d] = int(enc.allowed[lv, d])
            got.first_allowed[lv] = enc.spatial[lv][0]
            fixed = enc.orders[lv]
            for j in range(enc.D):
                got.order[lv * width + j] = -1 if fixed is None else fixed[j]
            got.cluster[lv] = int(enc.fixed_clusters[lv])
        for d in range(enc.D):
            got.kernel[d] = int(d in enc.kernel)
        _SPACES[enc] = (got, np.ascontiguousarray(enc.divs, dtype=np.int64))
        got = _SPACES[enc]
    return got


@functools.cache
def _array_type(ctype: str) -> Any:
    """cffi's ``T[]`` type for ``"T *"``, parsed once (from_buffer re-reads a string each call)."""
    return ffi.typeof(ctype[:-1].rstrip() + "[]")


def _ptr(ctype: str, a: np.ndarray | None) -> Any:
    """A ``ctype`` (``"T *"``) pointer to ``a``'s memory (NULL for None), typed by cffi directly."""
    return ffi.NULL if a is None else ffi.from_buffer(_array_type(ctype), a)


def _rows(enc: Any, rows: np.ndarray, per_row: np.ndarray | int | None) -> tuple[np.ndarray, np.ndarray | None]:
    g = np.ascontiguousarray(rows, dtype=np.int64).reshape(-1, enc.width)
    if per_row is None:
        return g, None
    if isinstance(per_row, np.ndarray) and per_row.dtype == np.int64 and per_row.shape == (g.shape[0],) \
            and per_row.flags.c_contiguous:  # (the common case, without broadcast_to's cost)
        return g, per_row
    p = np.ascontiguousarray(np.broadcast_to(np.asarray(per_row, dtype=np.int64), (g.shape[0],)))
    return g, p


def _fail(what: str, code: int, n: int) -> None:
    if code != n:
        raise ValueError(f"{what}: row {code} is not a member of the space (levels, parallel axis, tiles, clusters, "
                         "order or PEs out of range)" if code >= 0 else f"{what}: the layer's encoding is out of range")


def estimate(
    enc: Any, rows: np.ndarray, pes: np.ndarray | int, *, runtime: bool = False, physical: bool = False,
    buffers: bool = False, busy: bool = False,
) -> dict[str, np.ndarray]:  # fmt: skip
    """For each row on ``pes`` PEs (one value, or one a row), what is asked of: ``runtime``
    (cycles, :func:`.estimate.estimate`'s), ``physical`` (the critical path in cycles on one
    SIMD lane, :func:`.estimate.critical_path`'s), ``l1_bytes`` and ``l2_bytes`` (``buffers``),
    ``busy`` (:meth:`FreeEncoding.busy_pes`)."""
    g, p = _rows(enc, rows, pes)
    assert p is not None
    n = g.shape[0]
    out: dict[str, np.ndarray] = {}
    for name, want, dtype in (("runtime", runtime, np.float64), ("physical", physical, np.float64),
                              ("l1_bytes", buffers, np.float64), ("l2_bytes", buffers, np.float64),
                              ("busy", busy, np.int64)):  # fmt: skip
        if want:
            out[name] = np.empty(n, dtype=dtype)
    code = lib.cxm_estimate(
        _layer(enc), n, _ptr("long long *", g), _ptr("long long *", p), _ptr("double *", out.get("runtime")),
        _ptr("double *", out.get("physical")), _ptr("double *", out.get("l1_bytes")),
        _ptr("double *", out.get("l2_bytes")), _ptr("long long *", out.get("busy")),
    )  # fmt: skip
    _fail("mapping estimate", int(code), n)
    return out


def traffic(enc: Any, rows: np.ndarray, pes: np.ndarray | int) -> dict[str, np.ndarray]:
    """:func:`.estimate.traffic` (elements): ``input_l2_read``, ``filter_l2_read``,
    ``output_l2_write``."""
    g, p = _rows(enc, rows, pes)
    assert p is not None
    n = g.shape[0]
    out = {k: np.empty(n) for k in ("input_l2_read", "filter_l2_read", "output_l2_write")}
    code = lib.cxm_traffic(_layer(enc), n, _ptr("long long *", g), _ptr("long long *", p),
                           *(_ptr("double *", v) for v in out.values()))  # fmt: skip
    _fail("mapping traffic", int(code), n)
    return out


def energy(enc: Any, rows: np.ndarray, pes: np.ndarray | int, constants: tuple[float, ...]) -> np.ndarray:
    """:func:`.estimate.energy` (nJ) of each row on ``pes`` PEs; ``constants``: the layer's MACs,
    input L2 writes, filter L2 writes, output L2 reads, the MAC, L1 and L2 energies and whether
    the accounting is MAESTRO's (1.0 or 0.0)."""
    g, p = _rows(enc, rows, pes)
    assert p is not None
    if len(constants) != 8:
        raise ValueError(f"mapping energy: 8 constants, got {len(constants)}")
    k = np.array(constants, dtype=np.float64)
    out = np.empty(g.shape[0])
    code = lib.cxm_energy(_layer(enc), g.shape[0], _ptr("long long *", g), _ptr("long long *", p),
                          _ptr("double *", k), _ptr("double *", out))  # fmt: skip
    _fail("mapping energy", int(code), g.shape[0])
    return out


def keys(enc: Any, rows: np.ndarray, extra: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's canonical key (:meth:`FreeEncoding.keys`, as an int64 row of ``width + 1``:
    ``extra``, e.g. the PEs, last) and a 64-bit hash of it (uint64)."""
    g, x = _rows(enc, rows, extra)
    n = g.shape[0]
    out = np.empty((n, enc.width + 1), dtype=np.int64)
    h = np.empty(n, dtype=np.uint64)
    code = lib.cxm_keys(_layer(enc), n, _ptr("long long *", g), _ptr("long long *", x), _ptr("long long *", out),
                        _ptr("unsigned long long *", h))  # fmt: skip
    _fail("mapping keys", int(code), n)
    return out, h


def repair(enc: Any, rows: np.ndarray) -> np.ndarray:
    """:meth:`FreeEncoding.repair`: ``rows`` (any integers) made members of the space, a new array."""
    g = np.array(rows, dtype=np.int64, order="C").reshape(-1, enc.width)
    space, divs = _space(enc)
    code = lib.cxm_repair(_layer(enc), space, _ptr("long long *", divs), divs.shape[1], g.shape[0],
                          _ptr("long long *", g))  # fmt: skip
    _fail("mapping repair", int(code), g.shape[0])
    return g


@functools.lru_cache(maxsize=16)
def _ops(ops: Any) -> Any:
    """The ``cxm_ops`` of an :class:`.operators.Operators` (a frozen value: made once)."""
    c = ffi.new("cxm_ops *")
    for f in fields(ops):  # cxm_ops has Operators' fields
        setattr(c, f.name, getattr(ops, f.name))
    return c


def breed(enc: Any, a: np.ndarray, b: np.ndarray, u: np.ndarray, ops: Any) -> np.ndarray:
    """:func:`.operators.breed_reference`: a child of each pair of rows ``a[i]``, ``b[i]`` (any
    integers) from the draws ``u[i]`` (values in [0, 1)), repaired; a new array."""
    g = np.ascontiguousarray(a, dtype=np.int64).reshape(-1, enc.width)
    h = np.ascontiguousarray(b, dtype=np.int64).reshape(-1, enc.width)
    n = g.shape[0]
    k = int(lib.cxm_breed_draws(enc.D, ops.tile_loci))
    w = np.ascontiguousarray(u, dtype=np.float64)
    if h.shape[0] != n or w.shape != (n, k):
        raise ValueError(f"mapping breed: {n} rows a, {h.shape[0]} rows b, draws of shape {w.shape} (need ({n}, {k}))")
    c = _ops(ops)
    out = np.empty_like(g)
    space, divs = _space(enc)
    code = lib.cxm_breed(_layer(enc), space, _ptr("long long *", divs), divs.shape[1], c, n, _ptr("long long *", g),
                         _ptr("long long *", h), _ptr("double *", w), k, _ptr("long long *", out))  # fmt: skip
    _fail("mapping breed", int(code), n)
    return out


_Screened = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None", np.ndarray, np.ndarray]


def screen(enc: Any, seen: Seen, rows: np.ndarray, pes: np.ndarray, runtime: bool = True,
           out: tuple[np.ndarray, ...] | None = None, cal: Calibration | None = None,
           slot: np.ndarray | None = None) -> _Screened:  # fmt: skip
    """The pre-screen's first step, one C call (csrc/mapping.c ``cxm_screen``): the rows on
    ``pes`` PEs not in ``seen`` nor equal to an earlier one (``seen`` grows by them, as
    ``seen.fresh(*keys(enc, rows, pes))``), and of those, in order: their indices, rows, PEs,
    parallel structures (:meth:`FreeEncoding.structure`), estimated runtime (``runtime``, else
    None) and L1, L2 bytes (:func:`estimate`).  ``out``: arrays to write these into (int64
    indices, rows, PEs and structures, float64 runtime, L1, L2; C-contiguous, room for every
    row), the results being views of them.  With ``cal`` only the new ones :func:`score` keeps
    under it are returned (those whose estimated buffers fit the caps; all when none does).
    ``slot`` (C-contiguous int64, room for every row): where each one's key is written in
    ``seen.store``."""
    g, p = _rows(enc, rows, pes)
    assert p is not None
    n = g.shape[0]
    if seen.width != enc.width + 1:
        raise ValueError(f"mapping screen: a set of keys of {seen.width} words for rows of width {enc.width}")
    seen._room(seen.count + n)
    if out is None:
        fresh, out_pes, sig = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        out_rows = np.empty_like(g)
        floats = np.empty((3, n))
        rt, l1, l2 = floats
    else:
        fresh, out_rows, out_pes, sig, rt, l1, l2 = out
        ints = (fresh, out_pes, sig, out_rows)
        if any(a.dtype != np.int64 or not a.flags.c_contiguous or a.shape[0] < n for a in ints) or \
                any(a.dtype != np.float64 or not a.flags.c_contiguous or a.shape[0] < n for a in (rt, l1, l2)) or \
                out_rows.shape[1:] != (enc.width,):  # fmt: skip
            raise ValueError("mapping screen: out must be C-contiguous int64 and float64 arrays with room for the rows")
    if slot is not None and (slot.dtype != np.int64 or not slot.flags.c_contiguous or slot.shape[0] < n):
        raise ValueError("mapping screen: slot must be a C-contiguous int64 array with room for the rows")
    store, hashes, table = seen._pointers()
    added = ffi.new("long long *")
    made = int(lib.cxm_screen(
        _layer(enc), n, _ptr("long long *", g), _ptr("long long *", p), store, hashes, seen.count,
        seen.store.shape[0], table, seen.table.size, _ptr("long long *", fresh), _ptr("long long *", out_rows),
        _ptr("long long *", out_pes), _ptr("long long *", sig), _ptr("double *", rt) if runtime else ffi.NULL,
        _ptr("double *", l1), _ptr("double *", l2), ffi.NULL if cal is None else cal.c, _ptr("long long *", slot),
        added,
    ))  # fmt: skip
    if made < 0:
        _fail("mapping screen", -2 - made if made < -1 else -1, n)
    seen.count += int(added[0])
    return (fresh[:made], out_rows[:made], out_pes[:made], sig[:made], rt[:made] if runtime else None, l1[:made],
            l2[:made])  # fmt: skip


_Ratios = tuple[np.ndarray, np.ndarray]
_Triple = tuple[np.ndarray, np.ndarray, np.ndarray]
_Counts = tuple[np.ndarray, np.ndarray, np.ndarray]
_Statistics = tuple[float, "_Ratios | None", "_Counts | None", float, float, "_Ratios | None"]


class Calibration:
    """A ``cxm_calibration`` (csrc/mapping.h) of the pre-screen's statistics, holding its arrays."""

    c: Any
    _keep: list[Any]

    def _limits(self, resource: str, caps: dict[str, float]) -> None:
        names = ("pes", "l1_bytes", "l2_bytes")
        if resource not in names or set(caps) - set(names):
            raise ValueError(f"mapping score: the resource and caps must be among {names}")
        c = self.c
        c.resource = names.index(resource)
        for k, name in enumerate(names):
            c.capped[k] = int(name in caps)
            c.cap[k] = float(caps.get(name, 0.0))

    def __init__(self, base: float, ratios: tuple[np.ndarray, np.ndarray] | None,
                 counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                 reference: tuple[np.ndarray, np.ndarray] | None, l2_low: float, l2_median: float, resource: str,
                 caps: dict[str, float]) -> None:  # fmt: skip
        c = self.c = ffi.new("cxm_calibration *")
        keep = []

        def put(ctype: str, a: np.ndarray, dtype: Any) -> Any:
            a = np.ascontiguousarray(a, dtype=dtype)
            keep.append(a)
            return _ptr(ctype, a)

        c.base, c.l2_low, c.l2_median = base, l2_low, l2_median
        c.n_ratios = c.n_counts = c.n_reference = -1
        if ratios is not None:
            c.n_ratios = ratios[0].size
            c.ratio_sig = put("long long *", ratios[0], np.int64)
            c.ratio_median = put("double *", ratios[1], np.float64)
        if counts is not None:
            c.n_counts = counts[0].size
            c.count_sig, c.count_n = put("long long *", counts[0], np.int64), put("long long *", counts[1], np.int64)
            c.count_valid = put("double *", counts[2], np.float64)
        if reference is not None:
            c.n_reference = reference[0].size
            c.reference_res = put("double *", reference[0], np.float64)
            c.reference_best = put("double *", reference[1], np.float64)
        self._limits(resource, caps)
        self._keep = keep


def calibrate(cost: np.ndarray, estimate: np.ndarray, status: np.ndarray, ok: int, l2: np.ndarray,
              l2_estimate: np.ndarray, sig: np.ndarray | None, physical: np.ndarray, valid: np.ndarray,
              usage: np.ndarray, resource: str | None = None, caps: dict[str, float] | None = None,
              ) -> tuple[Calibration, _Statistics]:  # fmt: skip
    """The pre-screen's statistics of a log (search.py ``_calibration``, its NumPy reference), one C
    call (csrc/mapping.c ``cxm_calibrate``): a :class:`Calibration` for ``resource`` and ``caps``,
    and (base ratio, per-structure median ratios, per-structure counts, least and median L2
    ratios, reference frontier) as arrays that are views of its own.  Without a ``resource``
    the calibration is not one :func:`score` may read."""
    n = int(np.shape(cost)[0])
    f = [np.ascontiguousarray(v, dtype=np.float64) for v in (cost, estimate, l2, l2_estimate, usage)]
    st = np.ascontiguousarray(status, dtype=np.uint8)
    phys, val = (np.ascontiguousarray(v, dtype=bool).view(np.uint8) for v in (physical, valid))
    s = None if sig is None else np.ascontiguousarray(sig, dtype=np.int64)
    if any(v.shape != (n,) for v in (*f, st, phys, val, *(() if s is None else (s,)))):
        raise ValueError("mapping calibrate: every array must be 1-d of one length")
    floats = np.empty((5, n))
    ints = np.empty((5, n), dtype=np.int64)
    cal = Calibration.__new__(Calibration)
    c = cal.c = ffi.new("cxm_calibration *")
    cal._keep = [floats, ints, f, st, phys, val, s]
    lib.cxm_calibrate(n, *(_ptr("double *", v) for v in f[:2]), _ptr("unsigned char *", st), ok,
                      *(_ptr("double *", v) for v in f[2:4]), _ptr("long long *", s), _ptr("unsigned char *", phys),
                      _ptr("unsigned char *", val), _ptr("double *", f[4]), _ptr("double *", floats[0]),
                      _ptr("long long *", ints[0]), _ptr("long long *", ints[1]), c, _ptr("long long *", ints[2]),
                      _ptr("double *", floats[1]), _ptr("long long *", ints[3]), _ptr("long long *", ints[4]),
                      _ptr("double *", floats[2]), _ptr("double *", floats[3]),
                      _ptr("double *", floats[4]))  # fmt: skip
    if resource is not None:
        cal._limits(resource, caps or {})
    k, m, r = int(c.n_ratios), int(c.n_counts), int(c.n_reference)
    ratios = None if k < 0 else (ints[2, :k], floats[1, :k])
    counts = None if m < 0 else (ints[3, :m], ints[4, :m], floats[2, :m])
    reference = None if r < 0 else (floats[3, :r], floats[4, :r])
    return cal, (float(c.base), ratios, counts, float(c.l2_low), float(c.l2_median), reference)


def score(cal: Calibration, pes: np.ndarray, sig: np.ndarray, est: np.ndarray, l1: np.ndarray, l2: np.ndarray,
          fresh: np.ndarray | None = None, parent_gap: np.ndarray | None = None,
          parent_ratio: np.ndarray | None = None,
          out: _Triple | None = None) -> _Triple:  # fmt: skip
    """The pre-screen's scoring, one C call (csrc/mapping.c ``cxm_score``; the reference is
    search.py ``_score_reference``): the indices of the candidates kept (those whose estimated
    buffers fit the caps; all when none or all do), and per kept one its ratio of engine to
    estimated cost and its predicted gap.  ``parent_gap``, ``parent_ratio`` (or None) are
    indexed by ``fresh``; ``out``: C-contiguous arrays (int64, float64, float64, room for every
    candidate) to write these into."""
    n = int(np.shape(pes)[0])
    p = np.ascontiguousarray(pes, dtype=np.int64)
    s = np.ascontiguousarray(sig, dtype=np.int64)
    e, a, b = (np.ascontiguousarray(v, dtype=np.float64) for v in (est, l1, l2))
    if not (p.shape == s.shape == e.shape == a.shape == b.shape == (n,)):
        raise ValueError("mapping score: pes, sig, est, l1 and l2 must be 1-d of one length")
    parents = [None if v is None else np.ascontiguousarray(v, dtype=np.float64) for v in (parent_gap, parent_ratio)]
    m = -1 if parents[0] is None and parents[1] is None else {v.size for v in parents if v is not None}.pop()
    if any(v is not None and (v.ndim != 1 or v.size != m) for v in parents):
        raise ValueError("mapping score: parent_gap and parent_ratio must be 1-d of one length")
    f = None
    if fresh is not None:
        f = np.ascontiguousarray(fresh, dtype=np.int64)
        if f.shape != (n,):
            raise ValueError("mapping score: fresh must have one index a candidate")
    elif m >= 0:
        raise ValueError("mapping score: parents need fresh")
    if out is None:
        keep, ratio, scores = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n)
    else:
        keep, ratio, scores = out
        if any(v.dtype != t or not v.flags.c_contiguous or v.shape[0] < n
               for v, t in zip(out, (np.int64, np.float64, np.float64), strict=True)):  # fmt: skip
            raise ValueError("mapping score: out must be C-contiguous int64, float64, float64 with room for every one")
    got = int(lib.cxm_score(cal.c, n, _ptr("long long *", p), _ptr("long long *", s), _ptr("double *", e),
                            _ptr("double *", a), _ptr("double *", b), _ptr("long long *", f),
                            _ptr("double *", parents[0]), _ptr("double *", parents[1]), max(m, 0),
                            _ptr("long long *", keep), _ptr("double *", ratio), _ptr("double *", scores)))  # fmt: skip
    if got < 0:
        raise ValueError("mapping score: a fresh index outside the parents, or a bad calibration")
    return keep[:got], ratio[:got], scores[:got]


def top(score: np.ndarray, sig: np.ndarray | None, k: int, cap: int) -> np.ndarray:
    """The first ``k`` candidates by ``score`` (``np.argsort(score, kind="stable")[:k]``), at
    most ``cap`` of them of one structure ``sig`` (None: no limit) while others remain, one C
    call (csrc/mapping.c ``cxm_top``; search.py ``_niched`` is the reference)."""
    s = np.ascontiguousarray(score, dtype=np.float64)
    n = s.shape[0]
    g = None if sig is None else np.ascontiguousarray(sig, dtype=np.int64)
    if s.ndim != 1 or (g is not None and g.shape != (n,)) or k < 0 or cap < 1:
        raise ValueError("mapping top: score and sig 1-d of one length, k >= 0 and cap >= 1")
    out = np.empty(min(k, n), dtype=np.int64)
    work = np.empty(7 * n, dtype=np.int64)
    got = lib.cxm_top(n, _ptr("double *", s), _ptr("long long *", g), k, cap, _ptr("long long *", out),
                      _ptr("long long *", work))  # fmt: skip
    assert got == out.size
    return out


def breed_at(enc: Any, rows: np.ndarray, ia: np.ndarray, ib: np.ndarray, u: np.ndarray, ops: Any) -> np.ndarray:
    """:func:`breed` of the pairs of rows ``rows[ia[i]]``, ``rows[ib[i]]`` (members of the space;
    not gathered first: one C call, csrc/mapping.c ``cxm_breed_at``)."""
    g = np.ascontiguousarray(rows, dtype=np.int64).reshape(-1, enc.width)
    a, b = np.ascontiguousarray(ia, dtype=np.int64), np.ascontiguousarray(ib, dtype=np.int64)
    n = a.shape[0]
    k = 16 + 6 * ops.tile_loci + enc.D  # (operators.draws)
    w = np.ascontiguousarray(u, dtype=np.float64)
    if a.shape != (n,) or b.shape != (n,) or w.shape != (n, k) or ops.tile_loci > MAX_TILE_LOCI:
        raise ValueError(f"mapping breed: {n} pairs a, {b.size} b, draws of shape {w.shape} (need ({n}, {k}))")
    out = np.empty((n, enc.width), dtype=np.int64)
    space, divs = _space(enc)
    code = lib.cxm_breed_at(_layer(enc), space, _ptr("long long *", divs), divs.shape[1], _ops(ops), n,
                            _ptr("long long *", g), g.shape[0], _ptr("long long *", a), _ptr("long long *", b),
                            _ptr("double *", w), k, _ptr("long long *", out))  # fmt: skip
    if code != n:
        raise ValueError("mapping breed: a parent index outside the rows")
    return out


class Seen:
    """An exact set of int64 keys of ``width`` words (csrc/mapping.c's hash table: a hash
    matches only when the whole key does, so no collision loses a key)."""

    def __init__(self, width: int) -> None:
        self.width, self.count = width, 0
        self.store = np.empty((64, width), dtype=np.int64)
        self.hash = np.empty(64, dtype=np.uint64)
        self.table = np.full(128, -1, dtype=np.int64)
        self._ptrs: tuple[Any, ...] | None = None

    def _pointers(self) -> tuple[Any, ...]:
        """cffi pointers to the store, its hashes and the table (made again when they move)."""
        got = self._ptrs
        if got is None or got[3] is not self.store or got[4] is not self.hash or got[5] is not self.table:
            got = self._ptrs = (_ptr("long long *", self.store), _ptr("unsigned long long *", self.hash),
                                _ptr("long long *", self.table), self.store, self.hash, self.table)  # fmt: skip
        return got[:3]

    def copy(self, into: Seen | None = None) -> Seen:
        """A copy; ``into`` (a set of the same width) is made the copy, keeping its memory."""
        if into is None or into.width != self.width:
            out = Seen.__new__(Seen)
            out.width, out.count = self.width, self.count
            out.store, out.hash, out.table = self.store.copy(), self.hash.copy(), self.table.copy()
            out._ptrs = None
            return out
        into.count = 0
        into._room(self.count)
        into.store[: self.count] = self.store[: self.count]
        into.hash[: self.count] = self.hash[: self.count]
        into.count = self.count
        if into.table.size == self.table.size:
            into.table[:] = self.table
        else:
            into.table.fill(-1)
            lib.cxm_seen_rebuild(into.count, _ptr("unsigned long long *", into.hash),
                                 _ptr("long long *", into.table), into.table.size)  # fmt: skip
        return into

    def fresh(self, keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Indices (ascending) of the keys neither in the set nor equal to an earlier one of
        ``keys``; they are in the set from now on."""
        k = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1, self.width)
        h = np.ascontiguousarray(hashes, dtype=np.uint64)
        n = k.shape[0]
        if h.shape != (n,):
            raise ValueError(f"Seen.fresh: {n} keys but {h.size} hashes")
        self._room(self.count + n)
        out = np.empty(n, dtype=np.int64)
        store, hashes, table = self._pointers()
        made = lib.cxm_seen_add(self.width, n, _ptr("long long *", k), _ptr("unsigned long long *", h), store, hashes,
                                self.count, self.store.shape[0], table, self.table.size,
                                _ptr("long long *", out))  # fmt: skip
        if made < 0:  # pragma: no cover - the room was made above
            raise RuntimeError("cxm_seen_add failed")
        self.count += int(made)
        return out[:made]

    def _room(self, need: int) -> None:
        if need > self.store.shape[0]:
            cap = max(need, 2 * self.store.shape[0])
            self.store = np.concatenate([self.store[: self.count], np.empty((cap - self.count, self.width), np.int64)])
            self.hash = np.concatenate([self.hash[: self.count], np.empty(cap - self.count, np.uint64)])
        if 2 * need > self.table.size:
            size = self.table.size
            while size < 2 * need:
                size *= 2
            self.table = np.full(size, -1, dtype=np.int64)
            lib.cxm_seen_rebuild(self.count, _ptr("unsigned long long *", self.hash), _ptr("long long *", self.table),
                                 size)  # fmt: skip


# Sets of candidates seen, kept between searches: a pre-screen sees thousands of keys, and on
# this kind of machine first touching megabytes of fresh memory costs milliseconds a search.
_POOL: list[Seen] = []
_POOL_LOCK = threading.Lock()


def scratch(width: int) -> Seen:
    """A set of keys of ``width`` words to work in (one kept from an earlier search when there
    is one); give it back with :func:`release`."""
    with _POOL_LOCK:
        for i, seen in enumerate(_POOL):
            if seen.width == width:
                return _POOL.pop(i)
    return Seen(width)


def release(seen: Seen) -> None:
    """Keep ``seen``'s memory for a later :func:`scratch` (up to four sets of at most 64 MB)."""
    if seen.store.nbytes <= 2**26:
        with _POOL_LOCK:
            if len(_POOL) < 4:
                _POOL.append(seen)
