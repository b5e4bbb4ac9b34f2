"""A cheap analytic estimate of a mapping's runtime and buffers, to rank candidates before the
engine costs them.

The estimate is never reported: the search uses it to choose which of many offspring the engine
evaluates (every reported number is the engine's).

* **Runtime**: the multiply-accumulates on the critical path of one PE, walking each axis
  separately down the levels.  A temporal map of tile t over an extent x takes ⌊x/t⌋ full steps
  and one edge step of x mod t; a spatial map deals its tiles to the level's sub-clusters, and
  each round costs its largest tile.  MAESTRO charges an edge step its own (smaller) work, so on
  one level this is MAESTRO's runtime exactly (a strided output tile charged the work of
  its stride-1 size, as MAESTRO does) (NoC delays are a cycle a step under
  ConfuciuX's bandwidth); below the top, MAESTRO sizes a sub-cluster's tiles from the full tile
  it would get, and the estimate is within a small factor (rank correlation about 0.95 over
  random programs; tests/test_mapping_search.py).
* **L1** (bytes per PE): double-buffered innermost tiles of input, filter and output, the
  output held in input coordinates as MAESTRO sizes it.
* **L2** (bytes): double-buffered top-level tiles of every sub-cluster (inputs shared by
  sub-clusters that differ only in a filter or output axis).
"""

from __future__ import annotations

import functools

import numpy as np

from ..cost.reference import energy_points
from ..dataflow import Dataflow
from ..dataflow.dimensions import maestro_layer
from ..dataflow.program import Spatial
from ..hardware import Hardware
from ..workload import Layer
from . import native
from .genome import FreeEncoding

__all__ = ["estimate", "buffers", "critical_path", "traffic", "energy"]


def _per_row(pes: np.ndarray | int, n: int) -> np.ndarray:
    """``pes`` as an int64 value per row (an int64 array of n as it is: np.broadcast_to costs
    more than the estimate of a small batch)."""
    if isinstance(pes, np.ndarray) and pes.dtype == np.int64 and pes.shape == (n,):
        return pes
    return np.broadcast_to(np.asarray(pes, dtype=np.int64), (n,))


def estimate(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(runtime in cycles, L1 bytes per PE, L2 bytes) estimated for each row on ``pes`` PEs
    (one value, or one a row)."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = _per_row(pes, g.shape[0])
    if native.usable(enc):
        out = native.estimate(enc, g, p, runtime=True, buffers=True)
        return out["runtime"], out["l1_bytes"], out["l2_bytes"]
    return _runtime(enc, g, p), *_buffers(enc, g, p)


def buffers(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """(L1 bytes per PE, L2 bytes) estimated for each row on ``pes`` PEs."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = _per_row(pes, g.shape[0])
    if native.usable(enc):
        out = native.estimate(enc, g, p, buffers=True)
        return out["l1_bytes"], out["l2_bytes"]
    return _buffers(enc, g, p)


def critical_path(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int, simd: int = 1) -> np.ndarray:
    """The critical-path bound of each row on ``pes`` PEs of ``simd`` lanes, in cycles (the
    estimate's runtime with a strided tile charged its real rows; equal to
    :func:`confuciux.mapping.bounds.critical_path` of the row's program)."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = _per_row(pes, g.shape[0])
    path = native.estimate(enc, g, p, physical=True)["physical"] if native.usable(enc) else _runtime(enc, g, p, True)
    out: np.ndarray = path / simd
    return out


def _runtime(enc: FreeEncoding, g: np.ndarray, pes: np.ndarray, physical: bool = False) -> np.ndarray:
    """Per axis, the extents each level hands down along the critical path (extent, times) —
    a full and an edge child per extent and level, every axis at once — and the work they add
    up to.  ``physical``: a strided output tile is charged its rows, not MAESTRO's stride-1
    count."""
    n = g.shape[0]
    nlev, sp, cl, ti, _ = enc.parts(g)
    top = np.maximum(pes // enc.min_pes(g), 1)
    x = np.broadcast_to(enc.sizes[None, :, None], (n, enc.D, 1)).copy()  # extents (n, D, k)
    m = np.ones((n, enc.D, 1), dtype=np.int64)  # times on the critical path
    axis = np.arange(enc.D)[None, :]
    for lv in range(enc.L):
        live = (nlev > lv)[:, None, None]
        # a level a row does not have takes its extents whole (one full step, no edge), which
        # hands them down unchanged; an empty extent (no edge above) stays empty with no times
        t = np.where(live, np.maximum(np.minimum(ti[:, lv, :, None], x), 1), np.maximum(x, 1))
        full, edge = np.divmod(x, t)
        has_edge = edge > 0
        spatial = ((sp[:, lv, None] == axis) & live[:, :, 0])[:, :, None]
        units = (top if lv == 0 else cl[:, lv])[:, None, None]
        k = full + has_edge
        rounds = -(-k // units)
        alone = has_edge & ((k - 1) % units == 0)  # the edge tile alone in the last round
        m_full = np.where(spatial, m * (rounds - alone), m * full)
        m_edge = np.where(spatial, m * alone, m * has_edge)
        x = np.concatenate([np.where(x > 0, t, 0), edge], axis=2)
        m = np.concatenate([m_full, m_edge], axis=2)
    st = np.ones(enc.D, dtype=np.int64) if physical else enc.out_strides
    written = np.where(x > 0, st[None, :, None] * (x - 1) + 1, 0)
    out: np.ndarray = np.prod((m * written).sum(axis=2).astype(np.float64), axis=1)
    return out


_IN = ("N", "G", "C", "Y'", "X'")
_FILTER = ("G", "K", "C")
_OUT = ("N", "G", "K", "Y'", "X'")


def _buffers(enc: FreeEncoding, g: np.ndarray, pes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = enc.axes.names
    n = g.shape[0]
    nlev, sp, cl, ti, _ = enc.parts(g)
    sy, sx = enc.layer.stride
    depthwise = enc.layer.depthwise

    def col(t: np.ndarray, name: str) -> np.ndarray:
        return t[:, names.index(name)] if name in names else np.ones(n, dtype=np.int64)

    def volumes(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = (col(t, "Y'") - 1) * sy + col(t, "R")
        cols = (col(t, "X'") - 1) * sx + col(t, "S")
        batch = col(t, "N") * col(t, "G")
        k = np.ones(n, dtype=np.int64) if depthwise else col(t, "K")
        inp = batch * col(t, "C") * rows * cols
        flt = col(t, "G") * k * col(t, "C") * col(t, "R") * col(t, "S")
        out = batch * (col(t, "C") if depthwise else k) * rows * cols
        return inp, flt, out

    at = np.arange(n)
    i1, f1, o1 = volumes(ti[at, nlev - 1, :])
    top = ti[:, 0, :]
    i2, f2, o2 = volumes(top)
    s = sp[:, 0]
    n_tiles = -(-enc.sizes[s] // top[at, s])
    units = np.minimum(np.maximum(pes // enc.min_pes(g), 1), n_tiles)
    # sub-clusters hold different tiles of the tensors indexed by the parallel axis
    by = {k: np.array([nm in k for nm in names]) for k in (_IN, _FILTER, _OUT)}
    out_axes = by[_OUT] | (np.array([nm == "C" for nm in names]) & depthwise)
    l2 = 2.0 * (
        i2 * np.where(by[_IN][s], units, 1)
        + f2 * np.where(by[_FILTER][s], units, 1)
        + o2 * np.where(out_axes[s], units, 1)
    )
    return 2.0 * (i1 + f1 + o1), l2


def traffic(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int) -> dict[str, np.ndarray]:
    """Estimated L2 traffic (elements) of each row's top level, as MAESTRO counts it: per step of
    the top-level loop nest a tensor is fetched only when the loop that moves indexes it — its
    whole tile if a loop inside that it depends on restarts, else the new slice (a sliding
    window's new rows) — for every sub-cluster when the parallel axis indexes it, once
    (multicast) otherwise; the first step fetches every tile; the output is written back at
    every step.  Returns ``input_l2_read``, ``filter_l2_read``, ``output_l2_write``."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    n = g.shape[0]
    p = _per_row(pes, n)
    if native.usable(enc):
        return native.traffic(enc, g, p)
    return _traffic(enc, g, p)


def _traffic(enc: FreeEncoding, g: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`traffic` in NumPy (the compiled code's reference)."""
    n = g.shape[0]
    names = enc.axes.names
    _, sp, _, ti, od = enc.parts(g)
    at = np.arange(n)
    top = ti[:, 0, :]
    s = sp[:, 0]
    units = np.maximum(p // enc.min_pes(g), 1)
    trips = -(-enc.sizes[None, :] // top)
    n_tiles = trips[at, s]
    trips[at, s] = -(-n_tiles // units)
    busy = np.minimum(units, n_tiles)
    order = od[:, 0, :]
    t_ord = np.take_along_axis(trips, order, axis=1)
    before = np.cumprod(np.concatenate([np.ones((n, 1), dtype=np.int64), t_ord[:, :-1]], axis=1), axis=1)
    sy, sx = enc.layer.stride
    depthwise = enc.layer.depthwise
    out: dict[str, np.ndarray] = {}
    for name, coupled in (("input_l2_read", _IN), ("filter_l2_read", _FILTER), ("output_l2_write", _OUT)):
        axes = _tensor_axes(name, coupled, depthwise) & set(names)
        mask = np.array([nm in axes for nm in names])
        vol = np.ones(n)
        slice_ = {}
        for d, nm in enumerate(names):
            if not mask[d]:
                continue
            t = top[:, d].astype(np.float64)
            if name == "input_l2_read" and nm in ("Y'", "X'"):
                st, k = (sy, "R") if nm == "Y'" else (sx, "S")
                kernel = float(enc.sizes[names.index(k)]) if k in names else 1.0
                full = (t - 1) * st + kernel
                slice_[d] = t * st / full  # a sliding window's new rows over its rows
                t = full
            vol *= t
        if name == "output_l2_write":  # every step writes its tiles: each output axis's extents add up
            total = np.ones(n)
            for d in range(enc.D):
                if mask[d]:
                    full, edge = np.divmod(enc.sizes[d], top[:, d])
                    total *= full * _written(enc, d, top[:, d]) + (edge > 0) * _written(enc, d, edge)
                else:
                    total *= trips[:, d]
            out[name] = total
            continue
        spread = np.where(mask[s], busy, 1)
        v_full = vol * spread
        c_ord = mask[order]
        live = c_ord & (t_ord > 1)
        inner_live = np.flip(np.cumsum(np.flip(live, axis=1), axis=1), axis=1) - live  # coupled loops inside
        total = v_full.copy()
        for j in range(enc.D):
            moving = order[:, j]
            share = np.ones(n)
            for a, f in slice_.items():
                share = np.where(moving == a, f, share)
            per = np.where(inner_live[:, j] > 0, 1.0, share)
            total += np.where(live[:, j], (t_ord[:, j] - 1) * before[:, j] * v_full * per, 0.0)
        out[name] = total
    return out


def _tensor_axes(name: str, coupled: tuple[str, ...], depthwise: bool) -> set[str]:
    """The axes that index tensor ``name`` (a depthwise layer's filter and output follow C)."""
    if depthwise and name == "filter_l2_read":
        return {"C", "R", "S"}
    if depthwise and name == "output_l2_write":
        return {"N", "C", "Y'", "X'"}
    return set(coupled) | ({"R", "S"} if name == "filter_l2_read" else set())


def _written(enc: FreeEncoding, axis: int, tile: np.ndarray) -> np.ndarray:
    """MAESTRO's size of tiles of ``axis`` (a strided output tile at its stride-1 count)."""
    st = int(enc.out_strides[axis])
    out: np.ndarray = np.where(tile > 0, st * (tile - 1) + 1, 0) if st > 1 else tile
    return out


@functools.lru_cache(maxsize=256)
def _sizes(layer: Layer) -> tuple[dict[str, float], float, float, float]:
    """:func:`energy`'s sizes of a layer (a search asks for the same layer's many times): MAESTRO's
    dimensions, the batch, the filter's and the output's elements."""
    _, dims = maestro_layer(layer, Dataflow([Spatial("K", 1)]))
    d = {k: float(v) for k, v in dims.items()}
    batch = d.get("N", 1.0) * d.get("G", 1.0)
    filt = d["C"] * d["R"] * d["S"] * (1.0 if layer.depthwise else d["K"] * d.get("G", 1.0))
    out_size = batch * (d["C"] if layer.depthwise else d["K"]) * (d["Y"] - d["R"] + 1) * (d["X"] - d["S"] + 1)
    return d, batch, filt, out_size


def energy(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int, hardware: Hardware) -> np.ndarray:
    """Estimated energy (nJ) of each row under ``hardware``'s accounting (MAESTRO's with
    ``Hardware.maestro()``: L2 traffic, and L1 only for a one-level program): the traffic of
    :func:`traffic`, the tensors' sizes written once, every MAC reading and writing L1."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    n = g.shape[0]
    if native.usable(enc):  # one C call
        return native.energy(enc, g, _per_row(pes, n), _energy_constants(enc.layer, hardware))
    return _energy(enc, g, pes, hardware)


@functools.lru_cache(maxsize=256)
def _energy_constants(layer: Layer, hw: Hardware) -> tuple[float, ...]:
    """:func:`.native.energy`'s constants of a layer under ``hw`` (the scalars :func:`_energy`
    multiplies its arrays of ones by, formed in its order)."""
    d, batch, filt, out_size = _sizes(layer)
    return (float(layer.macs), batch * d["C"] * d["Y"] * d["X"], filt, out_size, float(hw.mac_energy),
            float(hw.l1_energy), float(hw.l2_energy), 1.0 if hw.maestro_energy else 0.0)  # fmt: skip


def _energy(enc: FreeEncoding, g: np.ndarray, pes: np.ndarray | int, hardware: Hardware) -> np.ndarray:
    """:func:`energy` in NumPy (the compiled code's reference)."""
    n = g.shape[0]
    t = traffic(enc, g, pes)
    d, batch, filt, out_size = _sizes(enc.layer)
    p = _per_row(pes, n)
    # MAESTRO counts a strided output tile's MACs at its stride-1 size (the same on stride 1)
    macs = float(enc.layer.macs) * np.ones(n)
    if int(enc.out_strides.max()) > 1:
        if native.usable(enc):
            both = native.estimate(enc, g, p, runtime=True, physical=True)
            macs = macs * both["runtime"] / both["physical"]
        else:
            macs = macs * _runtime(enc, g, p) / _runtime(enc, g, p, physical=True)
    ones = np.ones(n)
    counts = {
        "runtime": ones, "l1_bytes": ones, "l2_bytes": ones, "macs": macs,
        "input_l2_read": t["input_l2_read"], "input_l2_write": batch * d["C"] * d["Y"] * d["X"] * ones,
        "filter_l2_read": t["filter_l2_read"], "filter_l2_write": filt * ones,
        "output_l2_write": t["output_l2_write"], "output_l2_read": out_size * ones,
        "input_l1_read": macs, "input_l1_write": t["input_l2_read"], "filter_l1_read": macs,
        "filter_l1_write": t["filter_l2_read"], "output_l1_read": macs, "output_l1_write": macs,
    }  # fmt: skip
    out: np.ndarray = energy_points(counts, enc.levels(g) == 1, hardware)
    return out
