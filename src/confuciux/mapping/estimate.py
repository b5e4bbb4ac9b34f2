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

import numpy as np

from .genome import FreeEncoding

__all__ = ["estimate"]


def estimate(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(runtime in cycles, L1 bytes per PE, L2 bytes) estimated for each row on ``pes`` PEs
    (one value, or one a row)."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = np.broadcast_to(np.asarray(pes, dtype=np.int64), (g.shape[0],))
    return _runtime(enc, g, p), *_buffers(enc, g, p)


def critical_path(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray | int, simd: int = 1) -> np.ndarray:
    """The critical-path bound of each row on ``pes`` PEs of ``simd`` lanes, in cycles (the
    estimate's runtime with a strided tile charged its real rows; equal to
    :func:`confuciux.mapping.bounds.critical_path` of the row's program)."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = np.broadcast_to(np.asarray(pes, dtype=np.int64), (g.shape[0],))
    out: np.ndarray = _runtime(enc, g, p, physical=True) / simd
    return out


def _runtime(enc: FreeEncoding, g: np.ndarray, pes: np.ndarray, physical: bool = False) -> np.ndarray:
    """Per axis, the extents each level hands down along the critical path (extent, times) —
    a full and an edge child per extent and level — and the work they add up to.  The kernel
    is whole at every level: its work is its size.  ``physical``: a strided output tile is
    charged its rows, not MAESTRO's stride-1 count."""
    n = g.shape[0]
    nlev, sp, cl, ti, _ = enc.parts(g)
    top = np.maximum(pes // enc.min_pes(g), 1)
    kernel = 1.0
    for d in np.flatnonzero(enc.kmask).tolist():
        kernel *= enc.written(d, int(enc.sizes[d]))
    total = np.full(n, kernel)
    for d in enc.free_axes.tolist():
        x = np.full((n, 1), enc.sizes[d], dtype=np.int64)
        m = np.ones((n, 1), dtype=np.int64)
        for lv in range(enc.L):
            t = np.minimum(ti[:, lv, d][:, None], x)
            np.maximum(t, 1, out=t)
            full, edge = np.divmod(x, t)
            has_edge = edge > 0
            live = nlev > lv
            spatial = live & (sp[:, lv] == d)
            m_full = m * full
            m_edge = m * has_edge
            if spatial.any():  # a spatial map deals its tiles to the sub-clusters, a round at a time
                units = (top if lv == 0 else cl[:, lv])[spatial, None]
                k = full[spatial] + has_edge[spatial]
                rounds = -(-k // units)
                alone = has_edge[spatial] & ((k - 1) % units == 0)  # the edge tile alone in the last round
                m_full[spatial] = m[spatial] * (rounds - alone)
                m_edge[spatial] = m[spatial] * alone
            dead = ~live
            t[dead], edge[dead], m_full[dead], m_edge[dead] = x[dead], 0, m[dead], 0
            x = np.concatenate([t, edge], axis=1)
            m = np.concatenate([m_full, m_edge], axis=1)
        s = 1 if physical else int(enc.out_strides[d])
        written = np.where(x > 0, s * (x - 1) + 1, 0) if s > 1 else x
        total *= (m * written).sum(axis=1)
    return total


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
