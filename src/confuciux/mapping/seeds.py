"""Seeds: mappings whose parallel structure is among the best the estimate knows, for a search's
first generation.

By the estimate (:mod:`.estimate`) a mapping's runtime is the product over axes of the work its
critical path does along each axis.  Along an axis that is never parallel that is the axis's
size whatever the tiles (the steps of a temporal map add up to the extent); along the parallel
axis of a level it depends only on the tile and the number of sub-clusters.  So the best
mappings' *structure* — which axis is parallel at each level and how many sub-clusters each
level has — can be enumerated directly: :func:`structures` scores every 1-, 2- and 3-level
structure of a PE count by that product, each parallel axis cut at its best tile, and
:func:`seed_rows` writes the best ones as rows (the other tiles and the loop orders drawn at
random, inner tiles small so that L1 stays small).  The engine then decides.  For an energy
search :func:`quiet_rows` adds the slow, quiet family whose structure is trivial, and
:func:`quiet_clustered` the same on one small sub-cluster, its top tiles grown to the L2 cap.
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from itertools import product

import numpy as np

from . import polish_native
from .genome import FreeEncoding
from .polish import grown_pairs

__all__ = ["seed_rows", "structures", "critical", "fill_l2", "quiet_rows", "quiet_clustered"]


def critical(size: int, units: np.ndarray | int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The least work along an axis of ``size`` elements dealt to ``units`` sub-clusters (one
    value or an array) on the critical path, and the tile that achieves it (the largest such).
    A round costs its largest tile; a strided output tile t costs ``stride·(t − 1) + 1``.  Only
    the tiles ⌈size/k⌉ matter: any other tile cuts the axis into as many pieces, larger."""
    t = np.unique(-(-size // np.arange(1, size + 1, dtype=np.int64)))[::-1]  # descending
    full, edge = np.divmod(size, t)
    k = full + (edge > 0)
    u = np.atleast_1d(np.asarray(units, dtype=np.int64))[:, None]
    rounds = -(-k // u)
    alone = (edge > 0) & ((k - 1) % u == 0)

    def w(x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, stride * (x - 1) + 1, 0)

    work = (rounds - alone) * w(t) + alone * w(edge)
    at = np.argmin(work, axis=1)  # first minimum: the largest tile
    return work[np.arange(u.shape[0]), at], t[at]


@lru_cache(maxsize=4096)
def _best_tile(size: int, units: int, stride: int) -> int:
    """:func:`critical`'s tile for one number of sub-clusters (kept: layers share sizes)."""
    return int(critical(size, units, stride)[1][0])


@lru_cache(maxsize=512)
def _least_work(size: int, pes: int, stride: int) -> np.ndarray:
    """:func:`critical`'s work for 1..``pes`` sub-clusters (kept, read-only)."""
    out = critical(size, np.arange(1, pes + 1), stride)[0].astype(np.float64)
    out.flags.writeable = False
    return out


Structure = tuple[float, tuple[int, ...], tuple[int, ...]]
#: :func:`structures` of recent (space, layer shape, PEs): they depend on nothing else, and a
#: network's layers and repeated searches share them.
_STRUCTURES: dict[tuple[object, ...], tuple[Structure, ...]] = {}
_STRUCTURES_KEPT = 256


#: and of each encoding alive, by (PEs, keep): a search asks again each generation of seeds, and
#: the shared table's key (the space and the layer's shape) costs more to build than the lookup
_BY_ENCODING: weakref.WeakKeyDictionary[FreeEncoding, dict[tuple[int, int], tuple[Structure, ...]]] = (
    weakref.WeakKeyDictionary()
)


def structures(enc: FreeEncoding, pes: int, keep: int = 32) -> list[Structure]:
    """The ``keep`` best parallel structures on ``pes`` PEs by the estimate: (relative runtime,
    parallel axis per level, cluster size per level — 1 at the top), best first.  A level's
    axis may repeat an outer level's (their sub-clusters then share the axis)."""
    mine = _BY_ENCODING.get(enc)
    if mine is None:
        mine = _BY_ENCODING[enc] = {}
    hit = mine.get((int(pes), keep))
    if hit is None:
        key = (enc.space, enc.layer.kind, enc.axes.names, tuple(enc.sizes.tolist()), tuple(enc.out_strides.tolist()),
               int(pes), keep)  # fmt: skip
        hit = _STRUCTURES.get(key)
        if hit is None:
            if len(_STRUCTURES) >= _STRUCTURES_KEPT:
                _STRUCTURES.pop(next(iter(_STRUCTURES)))
            hit = _STRUCTURES[key] = tuple(_structures(enc, pes, keep))
        mine[(int(pes), keep)] = hit
    return list(hit)


def _structures(enc: FreeEncoding, pes: int, keep: int) -> list[Structure]:
    lo, hi = enc.space.levels
    spatial = sorted({a for lv in range(hi) for a in enc.spatial[lv]})
    # least critical work along each parallel axis for 1..pes sub-clusters
    least = {a: _least_work(int(enc.sizes[a]), pes, int(enc.out_strides[a])) for a in spatial}
    base = np.array([enc.written(d, int(enc.sizes[d])) for d in range(enc.D)], dtype=np.float64)
    out: list[Structure] = []
    for nlev in range(lo, hi + 1):
        inner = _cluster_sizes(enc, nlev, pes)  # (m, nlev - 1)
        if inner.shape[0] == 0:
            continue
        top = pes // np.prod(inner, axis=1)
        units = np.concatenate([top[:, None], inner], axis=1)
        for axes in product(*(enc.spatial[lv] for lv in range(nlev))):
            cost = np.full(units.shape[0], float(np.prod([base[d] for d in range(enc.D) if d not in axes])))
            for a in set(axes):
                u = np.prod(units[:, [lv for lv in range(nlev) if axes[lv] == a]], axis=1)
                cost *= least[a][np.clip(u, 1, pes) - 1]
            for j in np.argsort(cost, kind="stable")[:keep].tolist():
                out.append((float(cost[j]), tuple(axes), (1, *inner[j].tolist())))
    out.sort(key=lambda s: (s[0], len(s[1])))
    return out[:keep]


#: Inner cluster sizes the seeds try: every one up to this, then steps of about 19 %.
_DENSE_CLUSTERS = 64


def _cluster_sizes(enc: FreeEncoding, nlev: int, pes: int) -> np.ndarray:
    """Inner cluster sizes to try (m, nlev - 1): every size 2..64, then steps of 2^(1/4), up to
    ``pes`` for two levels; for three, every pair of those whose product fits; fixed sizes as
    the space says."""
    if nlev == 1:
        return np.zeros((1, 0), dtype=np.int64)
    sizes = np.arange(2, min(max(pes, 1), _DENSE_CLUSTERS) + 1)
    if pes > _DENSE_CLUSTERS:  # (a grid of every pair would grow as pes²)
        steps = np.ceil(_DENSE_CLUSTERS * 2.0 ** (np.arange(1, 4 * np.log2(pes / _DENSE_CLUSTERS) + 1) / 4))
        sizes = np.unique(np.concatenate([sizes, np.minimum(steps, pes).astype(np.int64), [pes]]))
    choices = []
    for lv in range(1, nlev):
        fixed = int(enc.fixed_clusters[lv])
        choices.append(np.array([fixed]) if fixed else sizes)
    grid = np.stack(np.meshgrid(*choices, indexing="ij"), axis=-1).reshape(-1, nlev - 1)
    return np.asarray(grid[np.prod(grid, axis=1) <= pes], dtype=np.int64)


def seed_rows(
    enc: FreeEncoding, pes: int, rng: np.random.Generator, n: int, keep: int = 16, l2_cap: float | None = None
) -> np.ndarray:
    """``n`` rows over the ``keep`` best structures on ``pes`` PEs: each level's parallel axis
    and cluster size from the structure, its tile the best cut for its sub-clusters (an axis
    parallel at two levels is cut for both at the outer one), the axis whole above it; the other
    tiles log-uniform at random, 1 at the innermost level (a small L1); orders at random.  With
    ``l2_cap`` (bytes), the largest other top-level tiles are halved until the estimated L2
    fits."""
    found = structures(enc, pes, keep)
    if not found or n < 1:
        return np.zeros((0, enc.width), dtype=np.int64)
    g = enc.random(rng, n)
    nlev, sp, cl, ti, _ = enc.parts(g)
    pick = rng.integers(len(found), size=n)
    # the other tiles log-uniform below their parent tile: one uniform draw per row, level and axis
    u = rng.random((n, enc.L, enc.D))
    tables = _structure_tables(enc.L, tuple(enc.sizes.tolist()), tuple(enc.out_strides.tolist()), pes, tuple(found))
    levels, axis, cluster, fixed, tile = (a[pick] for a in tables)
    nlev[:] = levels
    parent = np.broadcast_to(enc.sizes, (n, enc.D))
    for lv in range(enc.L):  # every row at once, level by level (a row's levels below its own untouched)
        live = levels > lv
        drawn = np.exp(u[:, lv, :] * np.log(parent)).astype(np.int64)
        drawn = np.minimum(np.maximum(drawn, 1), parent)  # (np.clip's scalar path is slow on small arrays)
        drawn[(levels == lv + 1) & (levels > 1)] = 1  # the innermost level of several: tiles 1
        ti[:, lv, :] = np.where(live[:, None], drawn, ti[:, lv, :])
        sp[:, lv] = np.where(live, axis[:, lv], sp[:, lv])
        cl[:, lv] = np.where(live, cluster[:, lv], cl[:, lv])
        parent = drawn
    ti[...] = np.where(fixed, tile, ti)  # each parallel axis cut for its sub-clusters
    g = enc.repair(g)
    return g if l2_cap is None else _fit_l2(enc, g, pes, l2_cap)


@lru_cache(maxsize=512)
def _structure_tables(
    L: int, sizes: tuple[int, ...], out_strides: tuple[int, ...], pes: int, found: tuple[Structure, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per structure of ``found`` on ``pes`` PEs (an encoding's L levels, axis sizes and output
    strides; read only, shared by the calls with the same arguments): its levels, parallel axis and cluster per level
    (L), and the tiles it fixes (a mask and values, (L, D)): a parallel axis whole above its
    first parallel level, from there the best cut for its sub-clusters (an outer level's tile cut
    for an inner level that re-splits the axis), 1 at the innermost of several levels when the
    axis is not parallel there."""
    k, D = len(found), len(sizes)
    levels = np.zeros(k, dtype=np.int64)
    axis = np.zeros((k, L), dtype=np.int64)
    cluster = np.zeros((k, L), dtype=np.int64)
    fixed = np.zeros((k, L, D), dtype=bool)
    tile = np.zeros((k, L, D), dtype=np.int64)
    for j, (_, axes, clusters) in enumerate(found):
        n = len(axes)
        levels[j] = n
        axis[j, :n], cluster[j, :n] = axes, clusters
        units = [pes // int(np.prod(clusters[1:])), *clusters[1:]]
        for a in set(axes):
            first = axes.index(a)
            total = int(np.prod([u_ for b, u_ in zip(axes, units, strict=True) if b == a]))
            t = _best_tile(sizes[a], total, out_strides[a])
            fixed[j, :, a] = True
            tile[j, :first, a] = sizes[a]
            tile[j, first:, a] = t
            for lv in range(first + 1, n):  # a level that re-splits the axis cuts the outer tile
                if axes[lv] == a:
                    tile[j, first:lv, a] = t * units[lv]
            if axes[-1] != a and n > 1:
                tile[j, n - 1, a] = 1
    for table in (levels, axis, cluster, fixed, tile):
        table.flags.writeable = False
    return levels, axis, cluster, fixed, tile


def _fit_l2(enc: FreeEncoding, g: np.ndarray, pes: int, cap: float) -> np.ndarray:
    """Halve, row by row, the largest top-level tile of an axis that is not parallel at the top
    until the estimated L2 fits ``cap`` (or every such tile is 1).  An axis parallel at an inner
    level is cut again for that level's sub-clusters, so the structure stays.  (Compiled:
    csrc/polish.c, a row at a time; :func:`_fit_l2_reference` is the NumPy.)"""
    if not polish_native.usable(enc):
        return _fit_l2_reference(enc, g, pes, cap)
    return polish_native.fit_l2(enc, g, pes, cap)


def _fit_l2_reference(enc: FreeEncoding, g: np.ndarray, pes: int, cap: float) -> np.ndarray:
    """:func:`_fit_l2` in NumPy, every row at once (the compiled code's reference)."""
    from .estimate import buffers  # the estimate imports nothing from here; kept local to stay one-way

    for _ in range(64):
        _, l2 = buffers(enc, g, pes)
        over = np.flatnonzero(l2 > cap)
        if not over.size:
            break
        nlev, sp, cl, ti, _ = enc.parts(g)
        top = ti[over, 0, :].copy()
        top[:, enc.kmask] = 0
        top[np.arange(over.size), sp[over, 0]] = 0
        axis = np.argmax(top, axis=1)
        ok = top[np.arange(over.size), axis] > 1
        if not ok.any():
            break
        factor = np.maximum(np.sqrt(l2[over] / cap), 2.0)  # about half the way to the cap at once
        i, a = over[ok], axis[ok]
        new = np.maximum((ti[i, 0, a] / factor[ok]).astype(np.int64), 1)
        limit = new.copy()  # the most the tile may be at each level, going in
        for lv in range(1, enc.L):
            live = nlev[i] > lv
            spread = live & (sp[i, lv] == a)  # the level that spreads the axis: its tile cut for its sub-clusters
            limit = np.where(spread, np.maximum(-(-limit // cl[i, lv]), 1), limit)
            ti[i, lv, a] = np.where(live, np.minimum(ti[i, lv, a], limit), ti[i, lv, a])
        ti[i, 0, a] = new
        g = enc.repair(g)
    return g


def fill_l2(enc: FreeEncoding, g: np.ndarray, pes: np.ndarray | int, cap: float, rng: np.random.Generator,
            l1_cap: float | None = None, steps: int = 10) -> np.ndarray:
    """``g`` with one top-level tile per row grown toward the L2 ``cap`` (bytes): an axis not
    parallel at the top, drawn at random per row, its tile multiplied by 2 while the estimated
    L2 (and L1, for a one-level row, within ``l1_cap``) still fits, then by smaller factors
    (√2, 2^¼, ...) for up to ``steps`` tries.  Large outer temporal tiles that use most of the
    L2 cut the L2 traffic and the steps the top level takes; seeds and breeding rarely reach
    them by chance.  (The steps compiled, csrc/polish.c, a row at a time;
    :func:`_fill_steps_reference` is the NumPy.)"""
    g = np.array(g, dtype=np.int64, order="C").reshape(-1, enc.width)
    n = g.shape[0]
    if n == 0:
        return g
    p = np.ascontiguousarray(np.broadcast_to(np.asarray(pes, dtype=np.int64), (n,)))
    at = np.arange(n)
    _, sp, _, ti, _ = enc.parts(g)
    room = (ti[:, 0, :] < enc.sizes[None, :]) & ~enc.kmask[None, :]
    room[at, sp[:, 0]] = False
    axis = np.argmax(np.where(room, rng.random(room.shape), -1.0), axis=1).astype(np.int64)
    live = room[at, axis]
    if not polish_native.usable(enc):
        return _fill_steps_reference(enc, g, p, axis, live, cap, l1_cap, steps)
    return polish_native.fill_l2(enc, g, p, axis, live, cap, l1_cap, steps)  # the steps a row at a time


def _fill_steps_reference(enc: FreeEncoding, g: np.ndarray, p: np.ndarray, axis: np.ndarray, live: np.ndarray,
                          cap: float, l1_cap: float | None, steps: int) -> np.ndarray:  # fmt: skip
    """:func:`fill_l2`'s steps in NumPy, every row at once, on ``g`` in place (the compiled
    code's reference): each row's tile of ``axis`` grown where ``live``."""
    from .estimate import buffers  # the estimate imports nothing from here; kept local to stay one-way

    at = np.arange(g.shape[0])
    live = live.copy()
    factor = np.full(g.shape[0], 2.0)
    for _ in range(steps):
        if not live.any():
            break
        tile = enc.parts(g)[3][at, 0, axis]
        trial = g.copy()
        enc.parts(trial)[3][at, 0, axis] = np.minimum(np.maximum((tile * factor).astype(np.int64), tile + 1),
                                                        enc.sizes[axis])  # fmt: skip
        trial = enc.repair(trial)
        l1, l2 = buffers(enc, trial, p)
        fits = live & (l2 <= cap)
        if l1_cap is not None:
            fits &= l1 <= l1_cap
        g[fits] = trial[fits]
        factor = np.where(fits, factor, np.sqrt(factor))
        live &= (factor > 1.04) & (enc.parts(g)[3][at, 0, axis] < enc.sizes[axis])
    return g


def quiet_rows(enc: FreeEncoding, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` rows of the family that moves the least data through L2, for an energy search: a
    trivial inner cluster (one PE per sub-cluster, every inner tile 1) under a top level whose
    parallel axis has tile 1 and whose other tiles are each, independently, 1, whole or
    log-uniform (a third of the time each), in random orders.  Slow but quiet: one or two large
    outer tiles keep their tensors in L2 while the loops inside them stream the rest once.
    Random tiles rarely hit the whole axis; the estimate (:func:`.estimate.energy`: median
    engine/estimate 0.98–0.99 on these rows of GAMMA's transformer GEMMs) then ranks them."""
    if n < 1:
        return np.zeros((0, enc.width), dtype=np.int64)
    g = enc.random(rng, n)
    nlev, sp, cl, ti, _ = enc.parts(g)
    lo, hi = enc.space.levels
    nlev[:] = max(lo, min(2, hi))
    cl[:, 1:] = 1
    ti[:, 1:, :] = 1
    logu = np.exp(rng.random((n, enc.D)) * np.log(enc.sizes + 1.0)).astype(np.int64)
    pick = rng.integers(3, size=(n, enc.D))
    ti[:, 0, :] = np.where(pick == 0, 1, np.where(pick == 1, enc.sizes, logu)).clip(1, enc.sizes)
    ti[np.arange(n), 0, sp[:, 0]] = 1
    return enc.repair(g)


def quiet_clustered(enc: FreeEncoding, rows: np.ndarray, pes: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`quiet_rows` ``rows`` (on ``pes`` PEs each) as two-level rows on one sub-cluster
    of 2, 3 or 4 PEs (in turn; the top parallel axis whole, every inner tile 1), each top tile
    of an axis not parallel at the top then grown to the largest choice whose estimated L2 fits
    ``cap`` (bytes), an axis at a time in the top loop order, outer first: a deterministic
    (rows, PEs), those that fit their PEs.  The least energy of a layer whose tensors outgrow
    L2 reads each input and weight from it once, which needs the L2 nearly full — one large
    tensor tile kept while the rest streams past it — and a few PEs to keep it busy; random
    tiles rarely get there (a ResNet-18 3×3 layer on GAMMA's 108,000 bytes: C 64, the output
    whole, K 1).  None without two levels."""
    rows = np.array(rows, dtype=np.int64).reshape(-1, enc.width)
    pes = np.asarray(pes, dtype=np.int64).reshape(-1)
    n = rows.shape[0]
    if n == 0 or enc.L < 2 or enc.space.levels[0] > 2:
        return rows[:0], pes[:0]
    nlev, sp, cl, ti, _ = enc.parts(rows)
    at = np.arange(n)
    nlev[:] = 2
    ti[at, 0, sp[:, 0]] = enc.sizes[sp[:, 0]]
    fixed = int(enc.fixed_clusters[1])
    cl[:, 1] = fixed if fixed else 2 + at % 3
    ti[:, 1, :] = 1
    rows = enc.repair(rows)
    fits = enc.min_pes(rows) <= pes
    rows, pes = rows[fits], pes[fits]
    for p in np.unique(pes).tolist():
        mine = np.flatnonzero(pes == p)
        for k in range(enc.D):
            _, sp, _, ti, order = enc.parts(rows)
            d = order[mine, 0, k]
            i = mine[~enc.kmask[d] & (d != sp[mine, 0]) & (d != sp[mine, 1]) & (ti[mine, 0, d] < enc.sizes[d])]
            if i.size:
                pair, grown = grown_pairs(enc, rows, i, d[np.searchsorted(mine, i)], int(p), cap)
                rows[i[pair]] = grown
    return rows, pes
