"""GAMMA's genetic operators on rows of a :class:`~confuciux.mapping.genome.FreeEncoding`.

As in GAMMA (maestro-project/gamma, src/GAMMA/gamma.py; rates are its defaults): tile crossover
(one axis's tiles at every level swapped between two parents), loop-order swaps, tile mutation
(a random gene redrawn: a tile inside its enclosing tile, or a level's parallel axis with a new
cluster size), parallel-axis mutation, and a level's birth (an all-ones level appended) or death
(the innermost dropped).  Two additions: a tile mutation steps to a neighbouring choice half the
time (GAMMA only redraws), and crossover may swap a whole level.  Every random draw comes from
the generator given; children are repaired into the space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .genome import FreeEncoding

__all__ = ["Operators", "crossover", "mutate"]


@dataclass(frozen=True)
class Operators:
    """Rates of the operators (probabilities per child unless said).  ``tile_loci`` tile
    mutations are tried per child, each with probability ``tile``; ``local`` is the share of
    tile mutations that step to a neighbouring choice instead of redrawing."""

    crossover: float = 0.57
    level_crossover: float = 0.2
    order: float = 0.47
    tile: float = 0.53
    tile_loci: int = 3
    local: float = 0.5
    parallel: float = 0.1
    birth: float = 0.1
    death: float = 0.05

    def __post_init__(self) -> None:
        for name in ("crossover", "level_crossover", "order", "tile", "local", "parallel", "birth", "death"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"Operators.{name} is a probability in [0, 1], got {v!r}")
        if isinstance(self.tile_loci, bool) or not isinstance(self.tile_loci, int) or self.tile_loci < 0:
            raise ValueError(f"Operators.tile_loci must be an int >= 0, got {self.tile_loci!r}")


def crossover(enc: FreeEncoding, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
    """One child per pair of rows ``a[i]``, ``b[i]``: ``a`` with, at rate ``ops.crossover``, one
    free axis's tiles taken from ``b`` at every level, and at rate ``ops.level_crossover`` one of
    ``b``'s levels (GAMMA's tile crossover keeps one of the two children; the other comes from
    another draw)."""
    child = np.array(a, dtype=np.int64).reshape(-1, enc.width)
    b = np.asarray(b, dtype=np.int64).reshape(-1, enc.width)
    n = child.shape[0]
    _, _, _, ti, _ = enc.parts(child)
    _, _, _, bti, _ = enc.parts(b)
    rows = np.flatnonzero(rng.random(n) < ops.crossover)
    axis = enc.free_axes[rng.integers(enc.free_axes.size, size=rows.size)]
    ti[rows, :, axis] = bti[rows, :, axis]
    whole = rng.random(n) < ops.level_crossover
    level = rng.integers(enc.L, size=n)
    for lv in range(enc.L):
        r = np.flatnonzero(whole & (level == lv))
        s = enc.base(lv)
        child[r, s : s + enc.stride] = b[r, s : s + enc.stride]
    return child


def mutate(enc: FreeEncoding, g: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
    """Mutated, repaired copies of the rows of ``g`` (see the module docstring)."""
    g = np.array(g, dtype=np.int64).reshape(-1, enc.width)
    n = g.shape[0]
    nlev, _, _, ti, od = enc.parts(g)
    nfree = enc.free_axes.size
    for _ in range(ops.tile_loci):
        hit = rng.random(n) < ops.tile
        lv = (rng.random(n) * nlev).astype(np.int64)
        gene = rng.integers(nfree + 1, size=n)
        par = np.flatnonzero(hit & (gene == nfree))
        _new_parallel(enc, g, par, lv[par], rng)
        rows = np.flatnonzero(hit & (gene < nfree))
        _new_tiles(enc, g, rows, lv[rows], enc.free_axes[gene[rows]], rng, ops.local)
    rows = np.flatnonzero(rng.random(n) < ops.order)
    lv = (rng.random(rows.size) * nlev[rows]).astype(np.int64)
    free = np.array([o is None for o in enc.orders])[lv]
    rows, lv = rows[free], lv[free]
    i = rng.integers(enc.D, size=rows.size)
    j = (i + rng.integers(1, enc.D, size=rows.size)) % enc.D
    oi, oj = od[rows, lv, i].copy(), od[rows, lv, j].copy()
    od[rows, lv, i], od[rows, lv, j] = oj, oi
    rows = np.flatnonzero(rng.random(n) < ops.parallel)
    _new_parallel(enc, g, rows, (rng.random(rows.size) * nlev[rows]).astype(np.int64), rng)
    lo, hi = enc.space.levels
    born = (rng.random(n) < ops.birth) & (nlev < hi)
    _birth(enc, g, np.flatnonzero(born), rng)
    die = ~born & (rng.random(n) < ops.death) & (nlev > lo)
    nlev[die] -= 1
    return enc.repair(g)


def _parent(enc: FreeEncoding, g: np.ndarray, rows: np.ndarray, lv: np.ndarray, axis: np.ndarray) -> np.ndarray:
    _, _, _, ti, _ = enc.parts(g)
    out: np.ndarray = np.where(lv == 0, enc.sizes[axis], ti[rows, np.maximum(lv - 1, 0), axis])
    return out


def _new_tiles(
    enc: FreeEncoding, g: np.ndarray, rows: np.ndarray, lv: np.ndarray, axis: np.ndarray,
    rng: np.random.Generator, local: float,
) -> None:  # fmt: skip
    """Redraw (or, a share ``local`` of the time, step one or two choices) one tile per row."""
    _, _, _, ti, _ = enc.parts(g)
    parent = _parent(enc, g, rows, lv, axis)
    cur = ti[rows, lv, axis]
    near = rng.random(rows.size) < local
    step = rng.integers(1, 3, size=rows.size) * np.where(rng.random(rows.size) < 0.5, 1, -1)
    if not enc.divisors_only:  # every tile 1..parent: no table per axis
        drawn = (rng.random(rows.size) * parent).astype(np.int64) + 1
        ti[rows, lv, axis] = np.where(near, np.clip(cur + step, 1, parent), drawn)
        return
    new = cur.copy()
    for d in np.unique(axis).tolist():
        m = axis == d
        drawn = enc.random_tiles(d, parent[m], rng)
        stepped = enc.step_tiles(d, parent[m], cur[m], step[m])
        new[m] = np.where(near[m], stepped, drawn)
    ti[rows, lv, axis] = new


def _new_parallel(enc: FreeEncoding, g: np.ndarray, rows: np.ndarray, lv: np.ndarray, rng: np.random.Generator) -> None:
    """A new parallel axis (from the level's choices) and cluster size at level ``lv`` of each row."""
    _, sp, cl, ti, _ = enc.parts(g)
    for level in range(enc.L):
        r = rows[lv == level]
        if not r.size:
            continue
        allowed = np.array(enc.spatial[level])
        s = allowed[rng.integers(allowed.size, size=r.size)]
        sp[r, level] = s
        parent = _parent(enc, g, r, np.full(r.size, level), s)
        cl[r, level] = enc.random_clusters(level, parent, ti[r, level, s], s, rng)


def _birth(enc: FreeEncoding, g: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> None:
    """A new innermost level, as GAMMA's: every tile 1, a random parallel axis, order and
    cluster size."""
    nlev, _, _, ti, od = enc.parts(g)
    lv = nlev[rows].copy()
    ti[rows, lv, :] = 1  # the kernel is made whole by repair
    perms = np.argsort(rng.random((rows.size, enc.D)), axis=1)
    free = np.array([o is None for o in enc.orders])[lv]
    od[rows[free], lv[free], :] = perms[free]
    nlev[rows] = lv + 1
    _new_parallel(enc, g, rows, lv, rng)
