"""GAMMA's genetic operators on rows of a :class:`~confuciux.mapping.genome.FreeEncoding`.

As in GAMMA (maestro-project/gamma, src/GAMMA/gamma.py; rates are its defaults): tile crossover
(one axis's tiles at every level swapped between two parents), loop-order swaps, tile mutation
(a random gene redrawn: a tile inside its enclosing tile, or a level's parallel axis with a new
cluster size), parallel-axis mutation, and a level's birth (an all-ones level appended) or death
(the innermost dropped).  Two additions: a tile mutation steps to a neighbouring choice half the
time (GAMMA only redraws), and crossover may swap a whole level.  A generation's random numbers
are drawn up front from the generator given, a fixed number a child (:func:`draws`), and the
compiled code breeds from them (csrc/mapping.c ``cxm_breed``; :func:`breed_reference` is its
row-by-row reference); children are repaired into the space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import native
from .genome import FreeEncoding

__all__ = ["Operators", "breed", "breed_at", "breed_reference", "draws"]


@dataclass(frozen=True)
class Operators:
    """Rates of the operators (probabilities per child unless said).  ``tile_loci`` tile
    mutations are tried per child, each with probability ``tile``; ``local`` is the share of
    tile mutations that step to a neighbouring choice instead of redrawing.  ``tile_loci`` is 4
    since breeding moved to compiled code (3 before): on GAMMA's workloads, seeds 0-2, no layer
    lost to GAMMA where 3 lost four (docs/performance.md, "Mapping search")."""

    crossover: float = 0.57
    level_crossover: float = 0.2
    order: float = 0.47
    tile: float = 0.53
    tile_loci: int = 4
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


def draws(enc: FreeEncoding, ops: Operators) -> int:
    """How many uniform draws a child consumes (:func:`breed_reference`'s layout)."""
    return 16 + 6 * ops.tile_loci + enc.D


def breed(enc: FreeEncoding, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
    """One child per pair of rows ``a[i]``, ``b[i]``: crossover, then mutation, repaired into the
    space.  The draws are made here, a fixed number a child, so the seed alone decides; the
    compiled code (csrc/mapping.c cxm_breed) breeds from them when built, else the reference."""
    a = np.asarray(a, dtype=np.int64).reshape(-1, enc.width)
    u = rng.random((a.shape[0], draws(enc, ops)))
    if native.usable(enc) and ops.tile_loci <= native.MAX_TILE_LOCI:
        return native.breed(enc, a, b, u, ops)
    return breed_reference(enc, a, b, u, ops)


def breed_at(enc: FreeEncoding, rows: np.ndarray, ia: np.ndarray, ib: np.ndarray, rng: np.random.Generator,
             ops: Operators) -> np.ndarray:  # fmt: skip
    """:func:`breed` of the pairs ``rows[ia[i]]``, ``rows[ib[i]]`` (the same draws, the same
    children), without gathering the parents first when compiled."""
    u = rng.random((int(np.shape(ia)[0]), draws(enc, ops)))
    if native.usable(enc) and ops.tile_loci <= native.MAX_TILE_LOCI:
        return native.breed_at(enc, rows, ia, ib, u, ops)
    return breed_reference(enc, rows[ia], rows[ib], u, ops)


def breed_reference(enc: FreeEncoding, a: np.ndarray, b: np.ndarray, u: np.ndarray, ops: Operators) -> np.ndarray:
    """:func:`breed` from given draws ``u`` (one row of :func:`draws` values in [0, 1) a child),
    row by row (the compiled code's reference).  A child's draws, in order: crossover (4: whether,
    which free axis, whether a whole level, which level); ``ops.tile_loci`` tile mutations (6
    each: whether, level, gene — a free axis's tile, or the parallel axis —, then for a tile
    whether it steps, the step, the redrawn choice; for the parallel axis the axis and the
    cluster); an order swap (4: whether, level, the two positions); a parallel-axis mutation (4:
    whether, level, axis, cluster); a birth (3 + D: whether, the new level's order, axis,
    cluster); a death (1).  Values of the parents out of range are clipped where used, so any
    integers breed (the result is repaired)."""
    a = np.array(a, dtype=np.int64).reshape(-1, enc.width)
    b = np.asarray(b, dtype=np.int64).reshape(-1, enc.width)
    u = np.asarray(u, dtype=np.float64).reshape(a.shape[0], draws(enc, ops))
    br = _Breeder(enc)
    for i in range(a.shape[0]):
        c = a[i].tolist()
        ui = u[i].tolist()
        br.crossover(c, b[i].tolist(), ui, ops)
        br.mutate(c, ui[4:], ops)
        a[i] = c
    return enc.repair_reference(a)


def _pick(u: float, m: int) -> int:
    """floor(u·m) for u in [0, 1), as csrc/mapping.c's pick (the product in double precision)."""
    x = u * float(m)
    if not x < float(m):
        return m - 1
    return int(x) if x >= 0.0 else 0


def _clip(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else (hi if v > hi else v)


class _Breeder:
    """One encoding's operators on a row as a list of ints (see :func:`breed_reference`)."""

    STEPS = (-2, -1, 1, 2)

    def __init__(self, enc: FreeEncoding) -> None:
        self.enc = enc
        self.sizes = [int(s) for s in enc.sizes]
        self.free = [int(d) for d in enc.free_axes]
        self.divs = [[int(x) for x in row if x > 0] for row in enc.divs]
        self.allowed = [[int(d) for d in np.flatnonzero(enc.allowed[lv])] for lv in range(enc.L)]

    def _at(self, lv: int, d: int) -> int:
        return self.enc.base(lv) + 2 + d

    def _parent(self, c: list[int], lv: int, d: int) -> int:
        return self.sizes[d] if lv == 0 else _clip(c[self._at(lv - 1, d)], 1, self.sizes[d])

    def _divisors(self, d: int, p: int) -> list[int]:
        return [x for x in self.divs[d] if p % x == 0]

    def crossover(self, c: list[int], b: list[int], u: list[float], ops: Operators) -> None:
        enc = self.enc
        if u[0] < ops.crossover and self.free:
            d = self.free[_pick(u[1], len(self.free))]
            for lv in range(enc.L):
                c[self._at(lv, d)] = b[self._at(lv, d)]
        if u[2] < ops.level_crossover:
            s = enc.base(_pick(u[3], enc.L))
            c[s : s + enc.stride] = b[s : s + enc.stride]

    def mutate(self, c: list[int], u: list[float], ops: Operators) -> None:
        enc, D, nfree = self.enc, self.enc.D, len(self.free)
        lo, hi = enc.space.levels
        nlev = c[0] = _clip(c[0], lo, hi)
        for k in range(ops.tile_loci):
            v = u[6 * k : 6 * k + 6]
            if v[0] < ops.tile:
                lv, gene = _pick(v[1], nlev), _pick(v[2], nfree + 1)
                if gene == nfree:
                    self.new_parallel(c, lv, v[3:])
                else:
                    self.new_tile(c, lv, self.free[gene], v[3:], ops.local)
        u = u[6 * ops.tile_loci :]
        if u[0] < ops.order:
            lv = _pick(u[1], nlev)
            if enc.orders[lv] is None:
                o = enc.base(lv) + 2 + D
                i = _pick(u[2], D)
                j = (i + 1 + _pick(u[3], D - 1)) % D
                c[o + i], c[o + j] = c[o + j], c[o + i]
        if u[4] < ops.parallel:
            self.new_parallel(c, _pick(u[5], nlev), u[6:])
        u = u[8:]
        born = u[0] < ops.birth and nlev < hi
        if born:
            self.birth(c, nlev, u[1:])
        if not born and u[3 + D] < ops.death and nlev > lo:
            c[0] = nlev - 1

    def new_tile(self, c: list[int], lv: int, d: int, u: list[float], local: float) -> None:
        parent = self._parent(c, lv, d)
        step = self.STEPS[_pick(u[1], 4)]
        at = self._at(lv, d)
        cur = _clip(c[at], 1, parent)
        near = u[0] < local
        if not self.enc.divisors_only:
            c[at] = _clip(cur + step, 1, parent) if near else _pick(u[2], parent) + 1
            return
        divs = self._divisors(d, parent)
        rank = sum(x <= cur for x in divs) - 1
        k = _clip(rank + step, 0, len(divs) - 1) if near else _pick(u[2], len(divs))
        c[at] = _kth(divs, k)

    def new_parallel(self, c: list[int], lv: int, u: list[float]) -> None:
        enc = self.enc
        allowed = self.allowed[lv]
        s = allowed[_pick(u[0], len(allowed))]
        base = enc.base(lv)
        c[base] = s
        if lv == 0:
            c[base + 1] = 1
        elif enc.fixed_clusters[lv]:
            c[base + 1] = int(enc.fixed_clusters[lv])
        else:
            parent, tile = self._parent(c, lv, s), _clip(c[base + 2 + s], 1, self.sizes[s])
            cap = min(parent, enc.pe_cap)
            if not enc.divisors_only:
                c[base + 1] = _pick(u[1], cap) + 1
            else:
                divs = self._divisors(s, -(-parent // tile))
                c[base + 1] = _kth(divs, _pick(u[1], sum(x <= cap for x in divs)))

    def birth(self, c: list[int], lv: int, u: list[float]) -> None:
        """A new innermost level, as GAMMA's: every tile 1, a random order, parallel axis and
        cluster size."""
        enc, D = self.enc, self.enc.D
        base = enc.base(lv)
        c[base + 2 : base + 2 + D] = [1] * D
        if enc.orders[lv] is None:
            c[base + 2 + D : base + 2 + 2 * D] = sorted(range(D), key=lambda j: u[j])
        c[0] = lv + 1
        self.new_parallel(c, lv, u[D:])


def _kth(divs: list[int], k: int) -> int:
    """The k-th (0-based, clipped) of ``divs``; 1 if there is none."""
    return divs[_clip(k, 0, len(divs) - 1)] if divs else 1
