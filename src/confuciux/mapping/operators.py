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
    child = np.array(a, dtype=np.int64, copy=True)
    b = np.asarray(b, dtype=np.int64)
    free = [d for d in range(enc.D) if d not in enc.kernel]
    n = child.shape[0]
    swap = rng.random(n) < ops.crossover
    picks: list[int] = rng.integers(len(free), size=n).tolist()
    axis = [free[i] for i in picks]
    whole = rng.random(n) < ops.level_crossover
    level: list[int] = rng.integers(enc.L, size=n).tolist()
    for i in np.flatnonzero(swap):
        for lv in range(enc.L):
            c = enc.base(lv) + 2 + axis[i]
            child[i, c] = b[i, c]
    for i in np.flatnonzero(whole):
        s = enc.base(int(level[i]))
        child[i, s : s + enc.stride] = b[i, s : s + enc.stride]
    return child


def mutate(enc: FreeEncoding, g: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
    """Mutated, repaired copies of the rows of ``g`` (see the module docstring)."""
    rows = np.asarray(g, dtype=np.int64).tolist()
    out = [enc.repair_row(_mutate_row(enc, r, rng, ops)) for r in rows]
    return np.array(out, dtype=np.int64).reshape(-1, enc.width)


def _mutate_row(enc: FreeEncoding, r: list[int], rng: np.random.Generator, ops: Operators) -> list[int]:
    free = [d for d in range(enc.D) if d not in enc.kernel]
    for _ in range(ops.tile_loci):
        if rng.random() >= ops.tile:
            continue
        lv = int(rng.integers(r[0]))
        gene = int(rng.integers(len(free) + 1))
        if gene == len(free):
            _new_parallel(enc, r, lv, rng)
        else:
            _new_tile(enc, r, lv, free[gene], rng, ops.local)
    if rng.random() < ops.order:
        lv = int(rng.integers(r[0]))
        if enc.orders[lv] is None:
            i, j = rng.choice(enc.D, size=2, replace=False)
            o = enc.base(lv) + 2 + enc.D
            r[o + i], r[o + j] = r[o + j], r[o + i]
    if rng.random() < ops.parallel:
        _new_parallel(enc, r, int(rng.integers(r[0])), rng)
    lo, hi = enc.space.levels
    if rng.random() < ops.birth and r[0] < hi:
        _birth(enc, r, rng)
    elif rng.random() < ops.death and r[0] > lo:
        r[0] -= 1
    return r


def _parent(enc: FreeEncoding, r: list[int], lv: int) -> list[int]:
    if lv == 0:
        return list(enc.axes.sizes)
    b = enc.base(lv - 1)
    return r[b + 2 : b + 2 + enc.D]


def _new_tile(enc: FreeEncoding, r: list[int], lv: int, d: int, rng: np.random.Generator, local: float) -> None:
    choices = enc.tile_choices(d, _parent(enc, r, lv)[d])
    c = enc.base(lv) + 2 + d
    if rng.random() < local:
        here = int(np.searchsorted(choices, r[c]))
        step = int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1)
        r[c] = choices[min(max(here + step, 0), len(choices) - 1)]
    else:
        r[c] = choices[int(rng.integers(len(choices)))]


def _new_parallel(enc: FreeEncoding, r: list[int], lv: int, rng: np.random.Generator) -> None:
    b = enc.base(lv)
    allowed = enc.spatial[lv]
    r[b] = allowed[int(rng.integers(len(allowed)))]
    parent = _parent(enc, r, lv)
    cc = enc.cluster_choices(lv, parent[r[b]], r[b + 2 + r[b]])
    r[b + 1] = cc[int(rng.integers(len(cc)))]


def _birth(enc: FreeEncoding, r: list[int], rng: np.random.Generator) -> None:
    """A new innermost level, as GAMMA's: every tile 1, a random parallel axis, order and
    cluster size."""
    lv = r[0]
    b = enc.base(lv)
    r[b + 2 : b + 2 + enc.D] = [1] * enc.D  # the kernel is made whole by repair
    if enc.orders[lv] is None:
        r[b + 2 + enc.D : b + 2 + 2 * enc.D] = [int(v) for v in rng.permutation(enc.D)]
    r[0] = lv + 1
    _new_parallel(enc, r, lv, rng)
