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


def estimate(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(runtime in cycles, L1 bytes per PE, L2 bytes) estimated for each row on ``pes`` PEs
    (one value, or one a row)."""
    g = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    p = np.broadcast_to(np.asarray(pes, dtype=np.int64), (g.shape[0],))
    runtime = np.empty(g.shape[0])
    l1 = np.empty(g.shape[0])
    l2 = np.empty(g.shape[0])
    for i, (r, pe) in enumerate(zip(g.tolist(), p.tolist(), strict=True)):
        runtime[i] = _runtime(enc, r, pe)
        l1[i], l2[i] = _buffers(enc, r, pe)
    return runtime, l1, l2


def _runtime(enc: FreeEncoding, r: list[int], pes: int) -> float:
    inner = 1
    for lv in range(1, r[0]):
        inner *= r[enc.base(lv) + 1]
    total = 1.0
    for d in range(enc.D):
        extents = {enc.axes.sizes[d]: 1}
        for lv in range(r[0]):
            b = enc.base(lv)
            units = max(pes // inner, 1) if lv == 0 else r[b + 1]
            extents = _step(extents, r[b + 2 + d], units if r[b] == d else 0)
        total *= sum(enc.written(d, x) * m for x, m in extents.items())
    return total


def _step(extents: dict[int, int], tile: int, units: int) -> dict[int, int]:
    """The extents one level hands down along an axis (extent -> times on the critical path),
    for a temporal map (``units`` 0) or a spatial one over ``units`` sub-clusters."""
    out: dict[int, int] = {}
    for x, m in extents.items():
        t = min(tile, x)
        n, e = divmod(x, t)
        if units:
            k = n + (e > 0)
            rounds = -(-k // units)
            if e and (k - 1) % units == 0:  # the edge tile alone in the last round
                out[t] = out.get(t, 0) + m * (rounds - 1)
                out[e] = out.get(e, 0) + m
            else:
                out[t] = out.get(t, 0) + m * rounds
        else:
            out[t] = out.get(t, 0) + m * n
            if e:
                out[e] = out.get(e, 0) + m
    return out


def _buffers(enc: FreeEncoding, r: list[int], pes: int) -> tuple[float, float]:
    names = enc.axes.names
    sy, sx = enc.layer.stride
    depthwise = enc.layer.depthwise

    def volumes(t: dict[str, int]) -> tuple[int, int, int]:
        rows = (t["Y'"] - 1) * sy + t["R"]
        cols = (t["X'"] - 1) * sx + t["S"]
        batch = t.get("N", 1) * t.get("G", 1)
        inp = batch * t["C"] * rows * cols
        k = 1 if depthwise else t.get("K", 1)
        flt = t.get("G", 1) * k * t["C"] * t["R"] * t["S"]
        out = batch * (t["C"] if depthwise else k) * rows * cols
        return inp, flt, out

    top = r[enc.base(0) + 2 : enc.base(0) + 2 + enc.D]
    last = enc.base(r[0] - 1)
    inner_tiles = r[last + 2 : last + 2 + enc.D]
    i1, f1, o1 = volumes(dict(zip(names, inner_tiles, strict=True)))
    i2, f2, o2 = volumes(dict(zip(names, top, strict=True)))
    inner = 1
    for lv in range(1, r[0]):
        inner *= r[enc.base(lv) + 1]
    s = names[r[enc.base(0)]]
    n_tiles = -(-enc.axes.sizes[r[enc.base(0)]] // top[r[enc.base(0)]])
    units = min(max(pes // inner, 1), n_tiles)
    # sub-clusters hold different tiles of the tensors indexed by the parallel axis
    spread_in = units if s in ("N", "G", "C", "Y'", "X'") else 1
    spread_f = units if s in ("G", "K", "C") else 1
    spread_o = units if s in ("N", "G", "K", "Y'", "X'") or (depthwise and s == "C") else 1
    l2 = 2.0 * (i2 * spread_in + f2 * spread_f + o2 * spread_o)
    return 2.0 * (i1 + f1 + o1), l2
