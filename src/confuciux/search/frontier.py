"""Pareto frontiers of (resource, cost) and the dynamic program's backtrack, in one place.

A frontier is a set of points none of which is at least as light and at least as cheap as
another: sorted by resource ascending, cost strictly descending.  :func:`frontier` extracts one
from points, :func:`layer_fronts` gives every layer's frontier of options, :func:`step` and
:func:`combine` add one layer to the frontier of the layers before it (the dynamic program's
step, recording parents) and :func:`backtrack` recovers the option of every layer from the
parents.  Used by the exact solver (:mod:`confuciux.search.exact`), the moves of the searches
(:mod:`confuciux.search.moves`) and :func:`confuciux.pareto_front`.

Resource totals are built layer by layer in the model's order, starting from 0, so a total is
exactly :func:`confuciux.budgets.lp_total` of the chosen options (the budgets' summation).

The step has two implementations with the same result, bit for bit: a C merge (csrc/frontier.c,
output-sensitive: its work follows the size of the new frontier, not the number of sums) used
when the kernel is built and the sums are bounded by :class:`Limits`, and the NumPy reference
(block pruning, below), used otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

try:  # the C step (csrc/frontier.c); the NumPy reference below when it is not built
    from .._cost_model import ffi as _FFI  # type: ignore[import-not-found, unused-ignore]
    from .._cost_model import lib as _LIB  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - depends on the build
    _FFI = _LIB = None

__all__ = ["Front", "Limits", "Parents", "backtrack", "combine", "frontier", "hull", "layer_fronts", "step"]

# whether the C step is available (the kernel was built; as cost.BACKEND == "c")
_NATIVE = _LIB is not None


def frontier(weight: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Indices of the points on the (weight, cost) frontier, weight ascending and cost strictly
    descending; of points equal in both the first is kept."""
    order = np.argsort(weight, kind="stable")  # one key: several times faster than lexsort
    c = cost[order]
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = c[1:] < np.minimum.accumulate(c)[:-1]  # strictly cheaper than anything before
    # among points of equal weight the kept ones descend in cost: only the last can stay
    k = np.flatnonzero(keep)
    w = weight[order[k]]
    keep[k[:-1][w[1:] == w[:-1]]] = False
    return np.asarray(order[keep])


@dataclass(frozen=True)
class Front:
    """One layer's frontier: ``weight`` ascending, ``cost`` strictly descending, ``option``
    (option indices into the problem's table)."""

    weight: np.ndarray
    cost: np.ndarray
    option: np.ndarray


def layer_fronts(cost: np.ndarray, weight: np.ndarray, ok: np.ndarray) -> list[Front]:
    """Per layer n: the options among ``ok[n]`` on its (weight, cost) frontier (arrays (N, G));
    an empty front where a layer has no option."""
    fronts = []
    for n in range(cost.shape[0]):
        idx = np.flatnonzero(ok[n])
        o = idx[frontier(weight[n, idx], cost[n, idx])]
        fronts.append(Front(weight[n, o], cost[n, o], o))
    return fronts


def hull(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of the lower convex hull of a frontier (w ascending, c descending)."""
    out: list[int] = []
    for j in range(w.size):
        while len(out) >= 2:
            a, b = out[-2], out[-1]
            # drop b if it lies on or above the segment a -> j
            if (c[b] - c[a]) * (w[j] - w[a]) >= (c[j] - c[a]) * (w[b] - w[a]):
                out.pop()
            else:
                break
        out.append(j)
    return np.array(out, dtype=np.int64)


@dataclass(frozen=True)
class Parents:
    """For each point of the frontier after a layer: the index of its point in the previous
    frontier (``parent``) and the option the layer takes (``option``)."""

    parent: np.ndarray
    option: np.ndarray


Keep = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Limits:
    """The sums a step keeps: ``w + w_rest <= w_limit`` and ``c + c_rest <= c_limit`` (``*_rest``:
    the least the layers after this one add; the defaults keep everything).  Both tests are
    monotone — a sum at most as heavy and as costly as a kept one is kept — so the frontier of
    the kept sums is the kept part of the frontier, and the C step filters as it merges."""

    w_rest: float = 0.0
    w_limit: float = math.inf
    c_rest: float = 0.0
    c_limit: float = math.inf

    def __call__(self, w: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.asarray((w + self.w_rest <= self.w_limit) & (c + self.c_rest <= self.c_limit))


def step(fw: np.ndarray, fc: np.ndarray, weight: np.ndarray, cost: np.ndarray, keep: Keep | None = None,
         block: int = 16, native: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add one layer (its frontier ``weight`` ascending, ``cost`` strictly descending) to the
    frontier (``fw``, ``fc``) of the layers before it: every point plus every option, reduced to
    the frontier of the sums that ``keep(w, c)`` (a mask; a :class:`Limits` or any callable)
    keeps.  Returns the new frontier's weights, costs, and per point the index of its point in
    the old frontier (``parent``) and the position of its option in ``weight`` (both int32).
    Of sums equal in both the one with the smallest (point, option) is kept.

    ``native``: None (default) uses the C step when it is built and ``keep`` is None or a
    :class:`Limits`, else the NumPy reference; True or False forces one (the same result)."""
    if native is None:
        native = _NATIVE and (keep is None or isinstance(keep, Limits))
    if native:
        if not _NATIVE:
            raise RuntimeError("the C step of the frontier DP is not built (confuciux._cost_model)")
        if keep is not None and not isinstance(keep, Limits):
            raise TypeError(f"the C step takes keep=None or a Limits, got {keep!r}")
        return _step_c(fw, fc, weight, cost, keep or Limits())
    return _step_numpy(fw, fc, weight, cost, keep, block)


def combine(fw: np.ndarray, fc: np.ndarray, front: Front, keep: Keep | None = None, block: int = 16
            ) -> tuple[np.ndarray, np.ndarray, Parents]:  # fmt: skip
    """Add one layer to the frontier (``fw`` ascending, ``fc`` descending) of the layers before
    it: every point plus every option of ``front``, reduced to the frontier of the sums
    (:func:`step`).  ``keep(w, c)``, if given, returns a mask of the candidate sums worth keeping
    (bounds).  The parents give option indices (``front.option``)."""
    w, c, parent, position = step(fw, fc, front.weight, front.cost, keep, block)
    return w, c, Parents(parent, front.option[position])


def _contiguous(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _step_c(fw: np.ndarray, fc: np.ndarray, weight: np.ndarray, cost: np.ndarray, limits: Limits
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`step` by the C merge; arrays checked here (dtype, contiguity, sizes) so that the
    kernel reads and writes only inside them."""
    fw, fc, weight, cost = (_contiguous(a) for a in (fw, fc, weight, cost))
    m, size = fw.size, weight.size
    if fc.size != m or cost.size != size:
        raise ValueError(f"frontier arrays differ in size: {fw.size}, {fc.size}; {weight.size}, {cost.size}")
    if m >= np.iinfo(np.int32).max or size > 2**30:
        raise ValueError(f"a step of {m:,} points and {size:,} options is beyond the C step's int32 indices")
    if m == 0 or size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    k = 1 << (size - 1).bit_length()  # leaves of the merge's tournament tree
    keys, cursor, tree = np.empty(2 * k), np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int32)
    cap = 2 * (m + size)  # a frontier of sums is rarely much larger than its two parts together
    while True:
        out_w, out_c = np.empty(cap), np.empty(cap)
        parent, position = np.empty(cap, dtype=np.int32), np.empty(cap, dtype=np.int32)
        n = _LIB.cx_front_sum(
            m, _ptr("double *", fw), _ptr("double *", fc), size, _ptr("double *", weight), _ptr("double *", cost),
            float(limits.w_rest), float(limits.w_limit), float(limits.c_rest), float(limits.c_limit), cap,
            _ptr("double *", out_w), _ptr("double *", out_c), _ptr("int *", parent), _ptr("int *", position),
            _ptr("double *", keys), _ptr("long long *", cursor), _ptr("int *", tree),
        )  # fmt: skip
        if n == -2:  # more points than room: again, with twice the room
            cap = min(2 * cap, m * size)
            continue
        if n < 0:  # pragma: no cover - the sizes were checked above
            raise RuntimeError(f"cx_front_sum failed ({n})")
        return out_w[:n].copy(), out_c[:n].copy(), parent[:n].copy(), position[:n].copy()


def _ptr(ctype: str, a: np.ndarray) -> object:
    return _FFI.cast(ctype, _FFI.from_buffer(a))


def _step_numpy(fw: np.ndarray, fc: np.ndarray, weight: np.ndarray, cost: np.ndarray, keep: Keep | None,
                block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`step`'s NumPy reference.  Large products are pruned by blocks first
    (:func:`_survivors`): the result is the same frontier, computed from far fewer candidate sums."""
    size = weight.size
    if fw.size * size > 8 * block * size and fw.size > 4 * block:
        idx, env_w, env_c = _survivors(fw, fc, weight, cost, block)
        i, j = idx // size, idx % size
        cw, cc = fw[i] + weight[j], fc[i] + cost[j]
        # each remaining sum against the envelope too (same argument as for whole blocks)
        pos = np.searchsorted(env_w, cw, side="right") - 1
        alive = ~(np.where(pos >= 0, env_c[np.maximum(pos, 0)], np.inf) < cc)
        idx, cw, cc = idx[alive], cw[alive], cc[alive]
    else:
        cw = (fw[:, None] + weight[None, :]).ravel()
        cc = (fc[:, None] + cost[None, :]).ravel()
        idx = np.arange(cw.size)
    sel = np.arange(cw.size) if keep is None else np.flatnonzero(keep(cw, cc))
    sel = sel[frontier(cw[sel], cc[sel])]
    idx = idx[sel]
    return cw[sel], cc[sel], (idx // size).astype(np.int32), (idx % size).astype(np.int32)


def _survivors(fw: np.ndarray, fc: np.ndarray, weight: np.ndarray, cost: np.ndarray, block: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Indices ``i·L + j`` (ascending) of the sums point i + option j that may be on the
    frontier.  The points are cut into blocks of ``block`` consecutive ones; the heaviest
    (cheapest) point of every block plus every option gives real candidate sums whose frontier E
    is an upper envelope of the result.  A block with option j is dropped when E has a point no
    heavier than the block's lightest sum and strictly cheaper than its cheapest sum: that point
    dominates every sum of the block (and, being minimal, is never dropped itself).  Returns the
    indices and the envelope (weights ascending, costs)."""
    n, size = fw.size, weight.size
    starts = np.arange(0, n, block)
    ends = np.minimum(starts + block, n) - 1
    ew = (fw[ends][:, None] + weight[None, :]).ravel()
    ec = (fc[ends][:, None] + cost[None, :]).ravel()
    k = frontier(ew, ec)
    env_w, env_c = ew[k], ec[k]
    lightest = fw[starts][:, None] + weight[None, :]  # (blocks, L)
    cheapest = fc[ends][:, None] + cost[None, :]
    pos = np.searchsorted(env_w, lightest, side="right") - 1
    env = np.where(pos >= 0, env_c[np.maximum(pos, 0)], np.inf)
    b, j = np.nonzero(~(env < cheapest))  # alive (block, option) pairs, by block then option
    blocks, first_pair, m = np.unique(b, return_index=True, return_counts=True)
    length = ends[blocks] - starts[blocks] + 1
    out = length * m  # sums per alive block: its points × its alive options
    blk = np.repeat(np.arange(blocks.size), out)
    t = np.arange(int(out.sum())) - np.repeat(np.cumsum(out) - out, out)
    i = starts[blocks][blk] + t // m[blk]  # point-major within a block: indices come out sorted
    return np.asarray(i * size + j[first_pair[blk] + t % m[blk]]), env_w, env_c


def backtrack(parents: list[Parents], last: int) -> np.ndarray:
    """The option of every layer of the design that ends at point ``last`` of the final
    frontier, from the parents recorded by :func:`combine` (one per layer)."""
    choice = np.empty(len(parents), dtype=np.int64)
    for n in range(len(parents) - 1, -1, -1):
        choice[n] = parents[n].option[last]
        last = int(parents[n].parent[last])
    return choice
