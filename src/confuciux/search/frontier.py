"""Pareto frontiers of (resource, cost) and the dynamic program's backtrack, in one place.

A frontier is a set of points none of which is at least as light and at least as cheap as
another: sorted by resource ascending, cost strictly descending.  :func:`frontier` extracts one
from points, :func:`layer_fronts` gives every layer's frontier of options, :func:`combine` adds
one layer to the frontier of the layers before it (the dynamic program's step, recording
parents) and :func:`backtrack` recovers the option of every layer from the parents.  Used by
the exact solver (:mod:`confuciux.search.exact`) and :func:`confuciux.pareto`.

Resource totals are built layer by layer in the model's order, starting from 0, so a total is
exactly :func:`confuciux.budgets.lp_total` of the chosen options (the budgets' summation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Front", "Parents", "backtrack", "combine", "frontier", "hull", "layer_fronts"]


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


def combine(fw: np.ndarray, fc: np.ndarray, front: Front, keep: Keep | None = None, block: int = 16
            ) -> tuple[np.ndarray, np.ndarray, Parents]:  # fmt: skip
    """Add one layer to the frontier (``fw`` ascending, ``fc`` descending) of the layers before
    it: every point plus every option of ``front``, reduced to the frontier of the sums.
    ``keep(w, c)``, if given, returns a mask of the candidate sums worth keeping (bounds).

    Large products are pruned by blocks first (:func:`_survivors`): the result is the same
    frontier, computed from far fewer candidate sums."""
    size = front.weight.size
    if fw.size * size > 8 * block * size and fw.size > 4 * block:
        idx, env_w, env_c = _survivors(fw, fc, front, block)
        i, j = idx // size, idx % size
        cw, cc = fw[i] + front.weight[j], fc[i] + front.cost[j]
        # each remaining sum against the envelope too (same argument as for whole blocks)
        pos = np.searchsorted(env_w, cw, side="right") - 1
        alive = ~(np.where(pos >= 0, env_c[np.maximum(pos, 0)], np.inf) < cc)
        idx, cw, cc = idx[alive], cw[alive], cc[alive]
    else:
        cw = (fw[:, None] + front.weight[None, :]).ravel()
        cc = (fc[:, None] + front.cost[None, :]).ravel()
        idx = np.arange(cw.size)
    sel = np.arange(cw.size) if keep is None else np.flatnonzero(keep(cw, cc))
    sel = sel[frontier(cw[sel], cc[sel])]
    idx = idx[sel]
    return cw[sel], cc[sel], Parents(idx // size, front.option[idx % size])


def _survivors(fw: np.ndarray, fc: np.ndarray, front: Front, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``i·L + j`` (ascending) of the sums point i + option j that may be on the
    frontier.  The points are cut into blocks of ``block`` consecutive ones; the heaviest
    (cheapest) point of every block plus every option gives real candidate sums whose frontier E
    is an upper envelope of the result.  A block with option j is dropped when E has a point no
    heavier than the block's lightest sum and strictly cheaper than its cheapest sum: that point
    dominates every sum of the block (and, being minimal, is never dropped itself).  Returns the
    indices and the envelope (weights ascending, costs)."""
    n, size = fw.size, front.weight.size
    starts = np.arange(0, n, block)
    ends = np.minimum(starts + block, n) - 1
    ew = (fw[ends][:, None] + front.weight[None, :]).ravel()
    ec = (fc[ends][:, None] + front.cost[None, :]).ravel()
    k = frontier(ew, ec)
    env_w, env_c = ew[k], ec[k]
    lightest = fw[starts][:, None] + front.weight[None, :]  # (blocks, L)
    cheapest = fc[ends][:, None] + front.cost[None, :]
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
