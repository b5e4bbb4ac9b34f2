"""The polish: every single-gene move of a point, for a deterministic local search after the
genetic search (:func:`.search.search` with a large enough budget, ``Genetic.polish``).

A genetic search often stops a step short of a better neighbour: a tile one choice off, two
adjacent loops the other way round, an inner cluster one size off.  :func:`neighbours` lists the
points one move away from a point:

* each tile of a free axis at each live level to its neighbouring choices (one up, one down),
  to about half and twice itself, and to the least tile of one step more, as many or one fewer
  (of the parallel axis: one round more, as many, one fewer over the level's sub-clusters); the
  tiles inside are then clipped to nest, by the repair;
* each inner cluster size to its neighbouring choices, to the sizes that give the top level one
  sub-cluster more or fewer, and to the re-splits within a factor 2 that keep 95 % of the PEs
  busy (the structure re-split between levels: on P PEs an inner cluster c leaves ⌊P / c⌋ at
  the top); each also with the parallel tiles balanced to the new split, with the enclosing
  tile grown to as many rounds, and with that and every parallel tile 1;
* each pair of adjacent loops of a level's order swapped;
* each level's parallel axis to another one allowed there, and swapped with the next level's:
  as it is, and transposed (both parallel tiles 1; the cluster sizes kept, or swapped between
  the levels; the axis now parallel inside whole at the outer level or in 2–4 steps of whole
  rounds, and with an L2 cap also each other top tile grown to it) — the other split of the
  same rounds, whose fill and steps often cost less; these come first, so that where the
  budget cuts the neighbours by their estimate (equal for both splits) they are kept;
* each level removed (GAMMA's cluster death; the levels inside move out one place);
* the PE count to its neighbours among the search's counts (a frontier over several counts).

Every neighbour is repaired into the space; duplicates are left to the caller (it knows what
has been evaluated).
"""

from __future__ import annotations

import numpy as np

from .estimate import buffers
from .genome import FreeEncoding

__all__ = ["neighbours", "transposed"]


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _near(choices: tuple[int, ...], value: int, counts: tuple[int, ...] = ()) -> set[int]:
    """The choices next to ``value`` (one up, one down), the ones nearest half and twice it, and
    the least ones that cut the enclosing tile (the last choice) into each of ``counts`` pieces."""
    arr = np.asarray(choices)
    i = int(np.searchsorted(arr, value))
    out = {int(arr[j]) for j in (i - 1, i + 1) if 0 <= j < arr.size}
    if i < arr.size and arr[i] != value:  # value not a choice: the choice at i is a neighbour too
        out.add(int(arr[i]))
    targets = [value // 2, value * 2, *(_cdiv(int(arr[-1]), k) for k in counts if k >= 1)]
    for target in targets:
        j = int(np.clip(np.searchsorted(arr, target), 0, arr.size - 1))
        out.add(int(arr[j]))
    out.discard(value)
    return out


def _tile_moves(enc: FreeEncoding, row: np.ndarray, nlev: int, pes: int) -> list[np.ndarray]:
    """Each tile to its neighbours (:func:`_near`), and to the least tile of one step more, as
    many or one fewer — for the parallel axis, one round more, as many or one fewer over the
    level's sub-clusters (a balanced tile leaves fewer of them idle in the last round)."""
    _, sp, cl, ti, _ = enc.parts(row[None, :])
    inner = int(enc.min_pes(row)[0])
    out = []
    for lv in range(nlev):
        parent = enc.sizes if lv == 0 else ti[0, lv - 1]
        units = max(1, pes // inner) if lv == 0 else int(cl[0, lv])
        for d in enc.free_axes.tolist():
            t, whole = int(ti[0, lv, d]), int(parent[d])
            steps = _cdiv(whole, t)
            if d == sp[0, lv]:
                rounds = _cdiv(steps, units)
                counts = tuple(units * r for r in (rounds - 1, rounds, rounds + 1))
            else:
                counts = (steps - 1, steps, steps + 1)
            for v in _near(enc.tile_choices(d, whole), t, counts):
                g = row.copy()
                enc.parts(g[None, :])[3][0, lv, d] = v
                out.append(g)
    return out


def _cluster_moves(enc: FreeEncoding, row: np.ndarray, nlev: int, pes: int) -> list[np.ndarray]:
    """Each inner cluster size moved, and re-split with the top level (the module docstring)."""
    _, sp, cl, ti, _ = enc.parts(row[None, :])
    out = []
    for lv in range(1, nlev):
        s = int(sp[0, lv])
        choices = enc.cluster_choices(lv, int(ti[0, lv - 1, s]), int(ti[0, lv, s]))
        c = int(cl[0, lv])
        targets = _near(choices, c)
        others = max(1, int(np.prod(cl[0, 1:nlev])) // max(c, 1))
        top = pes // (others * c) if c else 0
        for t in (top - 1, top + 1):  # the top level one sub-cluster fewer or more
            if t >= 1:
                targets.add(pes // (others * t))
        # the re-splits within a factor 2 that keep at least 95 % of the PEs busy
        targets |= {v for v in range(max(1, c // 2), 2 * c + 1) if (pes // (others * v)) * others * v >= 0.95 * pes}
        parent, tile = int(ti[0, lv - 1, s]), int(ti[0, lv, s])
        rounds = _cdiv(_cdiv(parent, tile), max(c, 1))
        enclosing = int(enc.sizes[s] if lv == 1 else ti[0, lv - 2, s])
        for v in sorted(targets - {c, 0}):
            g = row.copy()
            enc.parts(g[None, :])[2][0, lv] = v
            grown = g.copy()  # the enclosing tile grown (or cut) to as many rounds of the new cluster
            enc.parts(grown[None, :])[3][0, lv - 1, s] = min(enclosing, v * tile * rounds)
            fine = grown.copy()  # and every parallel tile 1: the finest split, most rounds
            _, fsp, _, fti, _ = enc.parts(fine[None, :])
            fti[0, np.arange(nlev), fsp[0, :nlev]] = 1
            out += [g, _balanced(enc, g, nlev, pes), grown, fine]
    return out


def _balanced(enc: FreeEncoding, row: np.ndarray, nlev: int, pes: int) -> np.ndarray:
    """A copy of ``row`` with each level's parallel tile the least that keeps its number of
    rounds over the level's sub-clusters (after a cluster move: the tiles follow the new split)."""
    g: np.ndarray = row.copy()
    _, sp, cl, ti, _ = enc.parts(g[None, :])
    units = [max(1, pes // int(enc.min_pes(g)[0])), *cl[0, 1:nlev].tolist()]
    for lv in range(nlev):
        s = int(sp[0, lv])
        whole = int(enc.sizes[s] if lv == 0 else ti[0, lv - 1, s])
        rounds = _cdiv(_cdiv(whole, int(ti[0, lv, s])), max(1, units[lv]))
        ti[0, lv, s] = max(1, _cdiv(whole, max(1, units[lv]) * rounds))
    return g


def _order_and_axis_moves(enc: FreeEncoding, row: np.ndarray, nlev: int) -> list[np.ndarray]:
    """Adjacent loops swapped; each parallel axis changed, or swapped with the next level's."""
    _, sp, _, _, od = enc.parts(row[None, :])
    out = []
    for lv in range(nlev):
        if enc.orders[lv] is None:
            for j in range(enc.D - 1):
                g = row.copy()
                o = enc.parts(g[None, :])[4][0, lv]
                o[j], o[j + 1] = od[0, lv, j + 1], od[0, lv, j]
                out.append(g)
        for a in enc.spatial[lv]:
            if a != sp[0, lv]:
                g = row.copy()
                enc.parts(g[None, :])[1][0, lv] = a
                out.append(g)
        if lv + 1 < nlev and sp[0, lv] != sp[0, lv + 1]:
            g = row.copy()
            s = enc.parts(g[None, :])[1][0]
            s[lv], s[lv + 1] = sp[0, lv + 1], sp[0, lv]
            out.append(g)
    return out


def _transposed(enc: FreeEncoding, row: np.ndarray, nlev: int, pes: int) -> list[np.ndarray]:
    """The split of each two adjacent levels with different parallel axes transposed: the axes
    swapped, both parallel tiles 1 (the axis parallel outside now is 1 inside too), the cluster
    sizes kept or swapped (the outer level's sub-clusters inside, the inner's out); the axis
    parallel inside now whole at the outer level, or cut into 2–4 steps of whole rounds of
    the inner sub-clusters (a smaller tile to fit the buffers, without a round more)."""
    r = row.tolist()
    out = []
    top = None  # the top level's sub-clusters (its PEs over the inner clusters')
    for lv in range(nlev - 1):
        at, inner = enc.base(lv), enc.base(lv + 1)  # each level's parallel axis; its cluster, tiles follow
        a, b = r[inner], r[at]  # a parallel at lv, b at lv + 1 after the swap
        if a == b:
            continue
        g = row.copy()
        g[at], g[inner] = a, b
        g[at + 2 + a] = g[inner + 2 + a] = g[inner + 2 + b] = 1
        whole = int(enc.sizes[b]) if lv == 0 else int(g[enc.base(lv - 1) + 2 + b])
        swapped = g.copy()
        if lv == 0:
            top = max(1, pes // int(enc.min_pes(row)[0])) if top is None else top
            swapped[inner + 1] = top
        else:
            swapped[inner + 1] = r[at + 1]
            swapped[at + 1] = r[inner + 1]
        for h in (g, swapped):
            units = max(1, int(h[inner + 1]))
            for steps in (1, 2, 3, 4):
                t = h.copy()
                t[at + 2 + b] = min(whole, units * _cdiv(_cdiv(whole, steps), units))
                out.append(t)
    return out


def _grown(enc: FreeEncoding, rows: np.ndarray, pes: int, l2_cap: float) -> np.ndarray:
    """Each of ``rows`` (repaired) with one top-level tile grown to the largest choice whose
    estimated L2 fits ``l2_cap`` (bytes), an axis at a time: each free axis that is parallel at
    neither of the top two levels (in row order, then axis order; none where no larger choice
    fits).  With ``tiles="all"`` solved from the estimate's form (:func:`_grown_solved`), else
    every choice estimated at once (:func:`_grown_every`)."""
    sp = enc.parts(rows)[1]
    free = enc.free_axes
    i, j = np.nonzero((free[None, :] != sp[:, :1]) & (free[None, :] != sp[:, 1:2]))
    d = free[j]
    if not d.size:
        return rows[:0]
    return grown_pairs(enc, rows, i, d, pes, l2_cap)[1]


def grown_pairs(enc: FreeEncoding, rows: np.ndarray, i: np.ndarray, d: np.ndarray, pes: int,
                l2_cap: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Row ``i`` of ``rows`` (repaired) with its top tile of axis ``d`` (parallel at neither of
    the top two levels), pair by pair, grown to the largest choice whose estimated L2 fits
    ``l2_cap`` (bytes): the pairs that grow (ascending) and their rows."""
    if not enc.divisors_only and _l2_exact(enc, pes):
        return _grown_solved(enc, rows, i, d, pes, l2_cap)
    return _grown_every(enc, rows, i, d, pes, l2_cap)


def _l2_exact(enc: FreeEncoding, pes: int) -> bool:
    """Whether the L2 estimate of every row on ``pes`` PEs is an integer below 2^52 (twice it
    exact in a float64, no overflow): its tensors' top tiles are at most the layer's sizes
    times the strides (a sliding window's rows ``(t − 1)·s + R ≤ t·s·R``), each held by at most
    ``pes`` sub-clusters."""
    sy, sx = enc.layer.stride
    return 3.0 * float(np.prod(enc.sizes.astype(np.float64))) * sy * sx * max(pes, 1) < 2.0**52


def _l2_with(enc: FreeEncoding, base: np.ndarray, d: np.ndarray, tile: np.ndarray,
             pes: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each row of ``base`` with its top tile of axis ``d`` set to ``tile``, repaired, and its
    estimated L2 (bytes): (rows, L2)."""
    rows = base.copy()
    enc.parts(rows)[3][np.arange(d.size), 0, d] = tile
    rows = enc.repair(rows)
    return rows, buffers(enc, rows, pes)[1]


def _grown_solved(enc: FreeEncoding, rows: np.ndarray, i: np.ndarray, d: np.ndarray, pes: int,
                  l2_cap: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`_grown` with ``tiles="all"``.  Growing a top tile of an axis parallel at neither
    top level leaves the rest of a repaired row as it is (the tiles inside are no larger than
    the old tile; the clusters follow the parallel axes' tiles), and half the L2 estimate is
    then ``a + b·tile`` in integers (each tensor's tile is a product of one factor per axis,
    affine in its tile; :func:`_l2_exact`), nondecreasing: so the last fitting choice is where
    that line crosses half the cap, from the estimates at the tile and at the whole axis.  The
    answer is checked (it fits, one more does not) and a pair that fails the check is left to
    :func:`_grown_every`: the same rows as estimating every choice, from two or three estimates
    a pair.  Returns the pairs that grow (ascending) and their rows."""
    base = rows[i]
    t = enc.parts(base)[3][np.arange(d.size), 0, d]
    whole = enc.sizes[d]
    _, ends = _l2_with(enc, np.concatenate([base, base]), np.concatenate([d, d]), np.concatenate([t, whole]), pes)
    low, high = (ends / 2).astype(np.int64).reshape(2, -1)  # (the estimate is 2.0 · an integer)
    half = min(l2_cap / 2, 2.0**62)  # a row fits when its integer is at most ⌊half⌋
    room = np.int64(np.floor(half)) - low
    slope = np.where(whole > t, (high - low) // np.maximum(whole - t, 1), 0)
    best = np.where(slope > 0, t + np.where(room >= 0, room, -1) // np.maximum(slope, 1),
                    np.where(room >= 0, whole, t))  # fmt: skip
    best = np.clip(best, t, whole)
    # the check: the best fits (when above the tile), the choice after it does not (when any)
    up, down = np.flatnonzero(best > t), np.flatnonzero(best < whole)
    probe, probe_l2 = _l2_with(enc, np.concatenate([base[up], base[down]]), np.concatenate([d[up], d[down]]),
                               np.concatenate([best[up], best[down] + 1]), pes)  # fmt: skip
    ok = np.ones(d.size, dtype=bool)
    ok[up] &= probe_l2[: up.size] <= l2_cap
    ok[down] &= ~(probe_l2[up.size :] <= l2_cap)
    grown = np.zeros((d.size, enc.width), dtype=np.int64)
    found = np.zeros(d.size, dtype=bool)
    grown[up], found[up] = probe[: up.size], True
    bad = np.flatnonzero(~ok)
    if bad.size:  # the estimate is not of that form for these (not seen): every choice estimated
        found[bad] = False
        pair, every = _grown_every(enc, rows, i[bad], d[bad], pes, l2_cap)
        grown[bad[pair]], found[bad[pair]] = every, True
    return np.flatnonzero(found), grown[found]


def _grown_every(enc: FreeEncoding, rows: np.ndarray, i: np.ndarray, d: np.ndarray, pes: int,
                 l2_cap: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`_grown` by estimating every larger choice of every (row ``i``, axis ``d``) pair:
    one repair and one L2 estimate for all.  Returns the pairs that grow (ascending) and their
    rows."""
    t = enc.parts(rows)[3][i, 0, d]
    choices = [np.asarray(enc.tile_choices(a, int(enc.sizes[a])), dtype=np.int64) for a in range(enc.D)]
    pairs = zip(d.tolist(), t.tolist(), strict=True)
    first = np.array([np.searchsorted(choices[a], v, side="right") for a, v in pairs], dtype=np.int64)
    count = np.array([choices[a].size for a in d.tolist()], dtype=np.int64) - first
    pair = np.repeat(np.arange(d.size), count)
    if not pair.size:
        return pair, rows[:0]
    flat = np.concatenate(choices)
    offset = np.cumsum([0] + [c.size for c in choices])[:-1]
    within = np.arange(pair.size) - np.repeat(np.cumsum(count) - count, count)
    every = rows[i[pair]]
    enc.parts(every)[3][np.arange(pair.size), 0, d[pair]] = flat[offset[d[pair]] + first[pair] + within]
    every = enc.repair(every)
    fits = np.flatnonzero(buffers(enc, every, pes)[1] <= l2_cap)
    # the last fitting choice of each pair: the choices ascend within a pair
    last = fits.size - 1 - np.unique(pair[fits][::-1], return_index=True)[1]
    return pair[fits[last]], every[fits[last]]


def _level_moves(enc: FreeEncoding, row: np.ndarray, nlev: int) -> list[np.ndarray]:
    """Each level removed (those inside move out one place), while the space allows fewer."""
    out: list[np.ndarray] = []
    if nlev <= enc.space.levels[0]:
        return out
    for lv in range(nlev):
        g = row.copy()
        a, b = enc.base(lv), enc.base(nlev - 1) + enc.stride
        g[a:b] = np.concatenate([row[a + enc.stride : b], row[a : a + enc.stride]])
        g[0] = nlev - 1
        out.append(g)
    return out


def transposed(enc: FreeEncoding, rows: np.ndarray, pes: int, l2_cap: float | None = None) -> np.ndarray:
    """The transposed splits of each of ``rows`` (one row or several) on ``pes`` PEs (the first
    of their :func:`neighbours`, with their top tiles grown to ``l2_cap`` if any: one repair
    and one L2 estimate for all), repaired; those whose inner clusters need more PEs than
    ``pes`` left out.  A small search's short polish tries only these."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, enc.width)
    moved = [g for row in rows for g in _transposed(enc, row, int(row[0]), pes)]
    if not moved:
        return np.zeros((0, enc.width), dtype=np.int64)
    out = enc.repair(np.array(moved, dtype=np.int64))
    if l2_cap is not None:
        out = np.concatenate([out, _grown(enc, out, pes, l2_cap)])
    return np.asarray(out[enc.min_pes(out) <= pes])


def neighbours(enc: FreeEncoding, row: np.ndarray, pes: int, counts: np.ndarray,
               l2_cap: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The points one move away from ``row`` on ``pes`` PEs (see the module docstring), as
    repaired rows and their PE counts; ``counts`` are the search's PE counts (ascending),
    ``l2_cap`` the L2 cap (bytes) the transposed splits' top tiles grow to, if any.  Rows
    whose inner clusters need more PEs than theirs are left out."""
    row = np.asarray(row, dtype=np.int64)
    nlev = int(row[0])
    transposed = _transposed(enc, row, nlev, pes)
    if transposed and l2_cap is not None:  # and each other top tile grown to the L2 cap
        transposed += list(_grown(enc, enc.repair(np.array(transposed)), pes, l2_cap))
    moved = [
        *transposed,  # first: where the budget cuts the neighbours, ties go first
        *_tile_moves(enc, row, nlev, pes),
        *_cluster_moves(enc, row, nlev, pes),
        *_order_and_axis_moves(enc, row, nlev),
        *_level_moves(enc, row, nlev),
    ]
    rows = enc.repair(np.array(moved, dtype=np.int64).reshape(-1, enc.width))
    at = np.full(rows.shape[0], pes, dtype=np.int64)
    i = int(np.searchsorted(counts, pes))
    steps = [int(counts[j]) for j in (i - 1, i + 1) if 0 <= j < counts.size]
    rows = np.concatenate([rows, np.repeat(row[None, :], len(steps), axis=0)])
    at = np.concatenate([at, np.array(steps, dtype=np.int64)])
    fits = enc.min_pes(rows) <= at
    return rows[fits], at[fits]
