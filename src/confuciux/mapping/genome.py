"""Mappings as integer rows: GAMMA's genome, decoded to programs and compiled templates.

A population is an int64 matrix, one mapping a row, so that operators, deduplication and
evaluation work on whole populations at once (NumPy over rows; a search breeds thousands of
candidates per engine batch).  :class:`FreeEncoding` lays a row out as the number of levels,
then per level (outer first) the parallel axis, the cluster size (the level's number of
sub-clusters; unused at the top level, whose sub-clusters are the PEs left over), a tile per
axis and the loop order (a permutation of the axes, outer first)::

    [levels | spatial, cluster, tile_0 … tile_{D-1}, order_0 … order_{D-1} | … next level …]

Levels past ``levels`` are carried but unused (a level's birth brings them back).
:meth:`FreeEncoding.repair` makes any row a member of the space: tiles nest (a level's tile is
at most the enclosing one, or divides it), the kernel is whole, the parallel axis and order are
the space's, the inner cluster sizes fit the PEs.  :meth:`FreeEncoding.keys` names equal
programs equally: a loop with one step (its tile is the enclosing tile) changes nothing where it
stands in the order — checked against the engine on random programs
(tests/test_mapping_genome.py) — so the key leaves its position out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import permutations, product

import numpy as np

from ..dataflow import Dataflow, Template
from ..dataflow.program import Cluster, Map, Spatial, Sz, Temporal
from ..workload import Layer
from . import native, polish_native
from .space import KERNEL, Axes, MappingSpace, layer_axes

__all__ = ["FreeEncoding", "divisors", "snap_divisor"]


@lru_cache(maxsize=16384)
def divisors(n: int) -> tuple[int, ...]:
    """The divisors of ``n`` ≥ 1, ascending."""
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return tuple(sorted({*small, *(n // d for d in small)}))


@lru_cache(maxsize=4096)
def _directive(kind: str, name: str, size: int) -> Map | Cluster:
    """A directive of a row's program (frozen values, so shared: a search writes the same ones
    again and again): ``kind`` "cluster" (of ``size``), "whole" (a kernel axis's temporal map of
    its whole size), "spatial" or "temporal" (of ``name``, a tile of ``size`` as written)."""
    if kind == "cluster":
        return Cluster(size)
    if kind == "whole":
        return Temporal(name, Sz(name))
    return Spatial(name, size) if kind == "spatial" else Temporal(name, size)


def snap_divisor(parent: int, value: int) -> int:
    """The largest divisor of ``parent`` not above ``value`` (at least 1)."""
    best = 1
    for d in divisors(parent):
        if d > value:
            break
        best = d
    return best


def _divides(divs: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(n, m) mask: which of each row's candidate divisors ``divs`` (0 = padding) divide ``p``."""
    safe = np.where(divs > 0, divs, 1)
    out: np.ndarray = (divs > 0) & (p[:, None] % safe == 0)
    return out


def largest_divisor(divs: np.ndarray, p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per row, the largest of ``divs`` (n, m; every divisor of ``p`` among them) that divides
    ``p`` and is at most ``v`` (1 if none)."""
    ok = _divides(divs, p) & (divs <= v[:, None])
    out: np.ndarray = np.where(ok, divs, 1).max(axis=1)
    return out


def pick_divisor(divs: np.ndarray, p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, the ``k``-th (0-based, clipped) divisor of ``p`` in ascending order."""
    ok = _divides(divs, p)
    count = ok.sum(axis=1)
    k = np.clip(k, 0, np.maximum(count - 1, 0))
    at = np.argmax(np.cumsum(ok, axis=1) > k[:, None], axis=1)
    out: np.ndarray = np.maximum(np.take_along_axis(divs, at[:, None], axis=1)[:, 0], 1)
    return out


def divisor_rank(divs: np.ndarray, p: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, (how many divisors of ``p`` are at most ``v``, minus one; how many there are)."""
    ok = _divides(divs, p)
    return (ok & (divs <= v[:, None])).sum(axis=1) - 1, ok.sum(axis=1)


class FreeEncoding:
    """The rows of a :class:`~confuciux.mapping.MappingSpace` without a template, for one layer,
    with inner cluster sizes whose product is at most ``pe_cap`` PEs (the largest design)."""

    def __init__(self, space: MappingSpace, layer: Layer, pe_cap: int) -> None:
        if space.template is not None:
            raise ValueError("a template space is searched by TemplateEncoding")
        if isinstance(pe_cap, bool) or not isinstance(pe_cap, (int, np.integer)) or pe_cap < 1:
            raise ValueError(f"pe_cap must be an int >= 1, got {pe_cap!r}")
        self.space, self.layer, self.pe_cap = space, layer, int(pe_cap)
        self.axes: Axes = layer_axes(layer)
        ax = self.axes
        self.D = len(ax)
        self.L = space.levels[1]
        self.stride = 2 + 2 * self.D
        self.width = 1 + self.L * self.stride
        self.sizes = np.array(ax.sizes, dtype=np.int64)
        self.kernel = frozenset(i for i, n in enumerate(ax.names) if n in KERNEL)
        self.kmask = np.array([i in self.kernel for i in range(self.D)])
        self.free_axes = np.array([i for i in range(self.D) if i not in self.kernel], dtype=np.int64)
        self.divisors_only = space.tiles == "divisors"
        strides = {"Y'": layer.stride[0], "X'": layer.stride[1]}
        self.out_strides = np.array([strides.get(n, 1) for n in ax.names], dtype=np.int64)
        width = max(len(divisors(s)) for s in ax.sizes)
        self.divs = np.zeros((self.D, width), dtype=np.int64)  # each axis's divisors, 0-padded
        for d, s in enumerate(ax.sizes):
            dv = divisors(s)
            self.divs[d, : len(dv)] = dv
        spatial = []
        for lv, allowed in enumerate(space.spatial):
            idx = tuple(ax.index(d) for d in allowed if d in ax.names and d not in KERNEL)
            if not idx:
                raise ValueError(
                    f"layer {layer.name or layer!r}: none of the parallel dimensions {', '.join(allowed)} allowed at "
                    f"level {lv + 1} is one of its axes ({', '.join(ax.names)}); the kernel is mapped whole"
                )
            spatial.append(idx)
        self.spatial: tuple[tuple[int, ...], ...] = tuple(spatial)
        self.allowed = np.zeros((self.L, self.D), dtype=bool)
        for lv, idx in enumerate(spatial):
            self.allowed[lv, list(idx)] = True
        orders: list[tuple[int, ...] | None] = []
        for o in space.orders:
            if o is None:
                orders.append(None)
                continue
            listed = [ax.index(d) for d in o if d in ax.names]
            orders.append(tuple(listed + [i for i in range(self.D) if i not in listed]))
        self.orders: tuple[tuple[int, ...] | None, ...] = tuple(orders)
        self.fixed_clusters = np.array([c or 0 for c in space.clusters], dtype=np.int64)

    def base(self, level: int) -> int:
        """Column of a level's parallel axis; cluster, tiles and order follow."""
        return 1 + level * self.stride

    def parts(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views of a population (n, width): levels (n,), parallel axis (n, L), cluster (n, L),
        tiles (n, L, D), order (n, L, D)."""
        b = g[:, 1:].reshape(g.shape[0], self.L, self.stride)
        return g[:, 0], b[:, :, 0], b[:, :, 1], b[:, :, 2 : 2 + self.D], b[:, :, 2 + self.D :]

    def written(self, axis: int, tile: int) -> int:
        """The size MAESTRO is given for a tile of ``tile`` elements of ``axis``.  MAESTRO counts
        output coordinates at stride 1 — a ``Y'`` tile of t holds ⌊(t − 1 + s)/s⌋ output rows on
        a layer of stride s — so a tile of t output rows is written ``s·(t − 1) + 1``."""
        stride = int(self.out_strides[axis])
        return int(stride * (tile - 1) + 1) if stride > 1 else int(tile)

    # -- rows of the space ---------------------------------------------------------------------
    def repair(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` made members of the space (a new array); see the module docstring."""
        if native.usable(self):
            return native.repair(self, rows)
        return self.repair_reference(rows)

    def repair_reference(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`repair` in NumPy (the compiled code's reference)."""
        g = np.array(rows, dtype=np.int64).reshape(-1, self.width)
        n = g.shape[0]
        nlev, sp, cl, ti, od = self.parts(g)
        lo, hi = self.space.levels
        np.clip(nlev, lo, hi, out=nlev)
        at = np.arange(n)
        parent = np.broadcast_to(self.sizes, (n, self.D))
        for lv in range(self.L):
            t = ti[:, lv, :]
            np.clip(t, 1, parent, out=t)
            t[:, self.kmask] = self.sizes[self.kmask]
            if self.divisors_only:
                for d in self.free_axes:
                    divs = np.broadcast_to(self.divs[d], (n, self.divs.shape[1]))
                    t[:, d] = largest_divisor(divs, parent[:, d], t[:, d])
            s = np.clip(sp[:, lv], 0, self.D - 1)
            s = np.where(self.allowed[lv, s], s, self.spatial[lv][0])
            sp[:, lv] = s
            fixed = self.orders[lv]
            if fixed is not None:
                od[:, lv, :] = fixed
            else:
                bad = np.any(np.sort(od[:, lv, :], axis=1) != np.arange(self.D), axis=1)
                od[bad, lv, :] = np.arange(self.D)
            cl[:, lv] = self._cluster(lv, cl[:, lv], parent[at, s], t[at, s], s)
            parent = t.copy()
        self._fit_pes(g)
        return g

    def _cluster(self, lv: int, c: np.ndarray, parent_tile: np.ndarray, tile: np.ndarray, s: np.ndarray) -> np.ndarray:
        """A level's cluster sizes moved into their domain: 1 at the top; the space's fixed size;
        else 1..the enclosing tile of the parallel axis (more sub-clusters never all get work)
        within the PE cap, and with ``tiles="divisors"`` a divisor of the parallel axis's number
        of tiles in the enclosing tile."""
        if lv == 0:
            return np.ones_like(c)
        if self.fixed_clusters[lv]:
            return np.full_like(c, self.fixed_clusters[lv])
        c = np.clip(c, 1, np.minimum(parent_tile, self.pe_cap))
        if self.divisors_only:
            c = largest_divisor(self.divs[s], -(-parent_tile // tile), c)
        return c

    def _fit_pes(self, g: np.ndarray) -> None:
        """Shrink the free inner cluster sizes, largest first, until their product fits the cap
        (a fixed size larger than the cap stays: no design of the space fits then)."""
        nlev, sp, cl, ti, _ = self.parts(g)
        free = (self.fixed_clusters == 0) & (np.arange(self.L) > 0)
        for _ in range(64 * self.L):
            prod = self.min_pes(g)
            live = np.arange(self.L)[None, :] < nlev[:, None]
            cand = np.where(free[None, :] & live & (cl > 1), cl, 0)
            over = np.flatnonzero((prod > self.pe_cap) & (cand.max(axis=1) > 0))
            if not over.size:
                return
            lv = np.argmax(cand[over], axis=1)
            c = cl[over, lv]
            others = prod[over] // c
            new = np.maximum(1, np.minimum(c - 1, self.pe_cap // others))
            if self.divisors_only:
                s = sp[over, lv]
                parent = ti[over, lv - 1, s]
                new = largest_divisor(self.divs[s], -(-parent // ti[over, lv, s]), new)
            cl[over, lv] = new

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` random members: levels, parallel axes, orders and clusters uniform over their
        choices; each tile uniform over its choices inside the enclosing tile.  Level by level:
        the parallel axes drawn, then in one draw a uniform per free axis's tile, per order key
        and per cluster size (the same stream as one draw each).  (From the draws on compiled:
        csrc/polish.c; :meth:`_random_from` is the NumPy.)"""
        g = np.zeros((n, self.width), dtype=np.int64)
        nlev, sp, _, _, _ = self.parts(g)
        lo, hi = self.space.levels
        nlev[:] = rng.integers(lo, hi + 1, size=n)
        draws = []
        for lv in range(self.L):
            allowed = np.array(self.spatial[lv])
            sp[:, lv] = allowed[rng.integers(allowed.size, size=n)]
            drawn = lv > 0 and not self.fixed_clusters[lv]  # a cluster size drawn
            draws.append(rng.random((self.free_axes.size + self.D + drawn) * n))
        if polish_native.usable(self):
            return polish_native.random_rows(self, g, np.concatenate(draws))
        return self._random_from(g, draws)

    def _random_from(self, g: np.ndarray, draws: list[np.ndarray]) -> np.ndarray:
        """:meth:`random`'s rows from their levels and parallel axes (set in ``g``, changed in
        place) and each level's uniforms, in NumPy (the compiled code's reference)."""
        n = g.shape[0]
        _, sp, cl, ti, od = self.parts(g)
        at = np.arange(n)
        parent = np.broadcast_to(self.sizes, (n, self.D))
        free, k = self.free_axes, self.free_axes.size
        for lv, u in enumerate(draws):
            t = ti[:, lv, :]
            t[:, self.kmask] = self.sizes[self.kmask]
            if self.divisors_only:
                for j, d in enumerate(free.tolist()):
                    t[:, d] = self.random_tiles(d, parent[:, d], u[j * n : (j + 1) * n])
            else:  # (what random_tiles gives, every free axis at once)
                t[:, free] = (u[: k * n].reshape(k, n).T * parent[:, free]).astype(np.int64) + 1
            # (a stable sort costs half; random keys tie with probability ~2^-53, the order is the same)
            od[:, lv, :] = np.argsort(u[k * n : (k + self.D) * n].reshape(n, self.D), axis=1, kind="stable")
            s = sp[:, lv]
            cl[:, lv] = self.random_clusters(lv, parent[at, s], t[at, s], s, u[(k + self.D) * n :])
            parent = t.copy()
        return self.repair(g)

    def random_tiles(self, axis: int, parent: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A uniform choice of tile of ``axis`` inside each enclosing tile, from a uniform draw
        in [0, 1) per row ``u``."""
        n = parent.size
        if axis in self.kernel:
            return np.full(n, self.sizes[axis])
        if not self.divisors_only:
            return np.asarray((u * parent).astype(np.int64) + 1)
        divs = np.broadcast_to(self.divs[axis], (n, self.divs.shape[1]))
        count = _divides(divs, parent).sum(axis=1)
        return pick_divisor(divs, parent, (u * count).astype(np.int64))

    def step_tiles(self, axis: int, parent: np.ndarray, tile: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Each tile moved ``step`` choices up or down (within the enclosing tile)."""
        if not self.divisors_only:
            out: np.ndarray = np.clip(tile + step, 1, parent)
            return out
        divs = np.broadcast_to(self.divs[axis], (parent.size, self.divs.shape[1]))
        rank, count = divisor_rank(divs, parent, tile)
        return pick_divisor(divs, parent, np.clip(rank + step, 0, count - 1))

    def random_clusters(self, lv: int, parent_tile: np.ndarray, tile: np.ndarray, s: np.ndarray,
                        u: np.ndarray) -> np.ndarray:  # fmt: skip
        """A uniform choice of cluster size of level ``lv`` (see :meth:`repair`), from a uniform
        draw in [0, 1) per row ``u`` (none needed at the top or for a fixed size)."""
        n = parent_tile.size
        if lv == 0:
            return np.ones(n, dtype=np.int64)
        if self.fixed_clusters[lv]:
            return np.full(n, self.fixed_clusters[lv])
        cap = np.minimum(parent_tile, self.pe_cap)
        if not self.divisors_only:
            return np.asarray((u * cap).astype(np.int64) + 1)
        ntiles = -(-parent_tile // tile)
        divs = self.divs[s]
        rank, _ = divisor_rank(divs, ntiles, cap)
        return pick_divisor(divs, ntiles, (u * (rank + 1)).astype(np.int64))

    def tile_choices(self, axis: int, parent: int) -> tuple[int, ...]:
        """Every tile of ``axis`` inside an enclosing tile of ``parent`` elements."""
        if axis in self.kernel:
            return (int(self.sizes[axis]),)
        return divisors(parent) if self.divisors_only else tuple(range(1, parent + 1))

    def cluster_choices(self, lv: int, parent_tile: int, tile: int) -> tuple[int, ...]:
        """Every cluster size of level ``lv`` (see :meth:`repair`)."""
        if lv == 0:
            return (1,)
        if self.fixed_clusters[lv]:
            return (int(self.fixed_clusters[lv]),)
        cap = max(1, min(parent_tile, self.pe_cap))
        if self.divisors_only:
            return tuple(d for d in divisors(-(-parent_tile // tile)) if d <= cap)
        return tuple(range(1, cap + 1))

    # -- reading rows --------------------------------------------------------------------------
    def levels(self, g: np.ndarray) -> np.ndarray:
        """The number of levels of each row."""
        out: np.ndarray = np.asarray(g, dtype=np.int64).reshape(-1, self.width)[:, 0].copy()
        return out

    def min_pes(self, g: np.ndarray) -> np.ndarray:
        """The fewest PEs each row runs on: the product of its inner cluster sizes (MAESTRO's
        analysis dies of a division by zero on fewer)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        out = np.ones(g.shape[0], dtype=np.int64)
        for lv in range(1, self.L):
            out *= np.where(g[:, 0] > lv, g[:, self.base(lv) + 1], 1)
        return out

    def busy_pes(self, g: np.ndarray, pes: np.ndarray) -> np.ndarray:
        """An upper bound on the PEs a row keeps busy at once on ``pes`` PEs (broadcast): at each
        level, no more sub-clusters than there are tiles of the parallel axis in the enclosing
        tile.  A valid result takes at least ``MACs / (busy · SIMD)`` cycles (:mod:`.bounds`)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        if np.ndim(pes) <= 1 and native.usable(self):
            return native.estimate(self, g, pes, busy=True)["busy"]
        nlev, sp, cl, ti, _ = self.parts(g)
        inner = self.min_pes(g)
        busy: np.ndarray = np.ones(np.broadcast_shapes(np.shape(pes), inner.shape), dtype=np.int64)
        at = np.arange(g.shape[0])
        parent = np.broadcast_to(self.sizes, (g.shape[0], self.D))
        for lv in range(self.L):
            s = sp[:, lv]
            n_tiles = -(-parent[at, s] // ti[at, lv, s])
            units = np.asarray(pes) // inner if lv == 0 else cl[:, lv]
            busy = busy * np.where(nlev > lv, np.minimum(units, n_tiles), 1)
            parent = ti[:, lv, :]
        return busy

    def structure(self, g: np.ndarray) -> np.ndarray:
        """An integer per row naming its parallel structure: the number of levels and each
        level's parallel axis."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        nlev = g[:, 0]
        # nlev·(D+1)^L + Σ (parallel axis + 1 of a live level)·(D+1)^(L-1-lv), level by level
        # (an int64 matrix product has no BLAS and costs more than these few passes)
        out: np.ndarray = nlev * (self.D + 1) ** self.L
        for lv in range(self.L):
            out += (g[:, self.base(lv)] + 1) * (nlev > lv) * (self.D + 1) ** (self.L - 1 - lv)
        return out

    def keys(self, g: np.ndarray, extra: np.ndarray | None = None) -> list[bytes]:
        """A key per row, equal for rows that write the same program up to the position of loops
        of one step, and for the unused levels; ``extra`` (one int a row, e.g. the PEs) joins
        the key."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        n = g.shape[0]
        nlev, sp, cl, ti, od = self.parts(g)
        full = np.zeros((n, self.width + 1), dtype=np.int64)
        if extra is not None:
            full[:, -1] = extra
        canon = full[:, : self.width]
        cn, csp, ccl, cti, cod = self.parts(canon)
        cn[:] = nlev
        parent = np.broadcast_to(self.sizes, (n, self.D))
        for lv in range(self.L):
            live = nlev > lv
            t = ti[:, lv, :]
            moving = (t < parent) | (np.arange(self.D)[None, :] == sp[:, lv, None])
            o = od[:, lv, :]
            mv = np.take_along_axis(moving, o, axis=1)
            perm = np.argsort(~mv, axis=1, kind="stable")
            o2 = np.where(np.take_along_axis(mv, perm, axis=1), np.take_along_axis(o, perm, axis=1), -1)
            csp[:, lv] = np.where(live, sp[:, lv], 0)
            ccl[:, lv] = np.where(live, cl[:, lv], 0)
            cti[:, lv, :] = np.where(live[:, None], t, 0)
            cod[:, lv, :] = np.where(live[:, None], o2, 0)
            parent = t
        keys: list[bytes] = full.view(f"V{8 * (self.width + 1)}").ravel().tolist()
        return keys

    def directives(self, r: Sequence[int]) -> list[Map | Cluster]:
        """The directives one row writes (outer level first)."""
        D, names = self.D, self.axes.names
        out: list[Map | Cluster] = []
        for lv in range(int(r[0])):
            b = self.base(lv)
            if lv:
                out.append(_directive("cluster", "", int(r[b + 1])))
            s = r[b]
            for d in r[b + 2 + D : b + 2 + 2 * D]:
                name = names[d]
                if d in self.kernel:
                    out.append(_directive("whole", name, 0))
                else:
                    out.append(_directive("spatial" if d == s else "temporal", name, self.written(d, r[b + 2 + d])))
        return out

    def program(self, row: Sequence[int] | np.ndarray) -> Dataflow:
        """The MAESTRO program of one row."""
        return Dataflow(self.directives(np.asarray(row, dtype=np.int64).tolist()))

    def templates(self, g: np.ndarray) -> list[Template]:
        """The compiled program of every row for this layer, built directly (equal to
        ``dataflow.compile(self.program(row), layer)``; tests check it)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        return [self._template(r) for r in g.tolist()]

    def directive_arrays(self, g: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Every row's compiled program as flat directive arrays, all rows at once (what
        :meth:`templates` holds, without a Python object a row): ``first`` (n + 1: row i's
        directives are ``first[i]:first[i+1]``) and ``kind`` (0 spatial, 1 temporal, 2 cluster),
        ``axis`` (index into ``axes.names``, −1 for a cluster), ``size`` (a tile as written, or
        the cluster size), ``whole`` (the layer's size of a kernel axis, else 0).  (Compiled:
        csrc/polish.c; :meth:`directive_arrays_reference` is the NumPy.)"""
        if polish_native.usable(self):
            return polish_native.directives(self, g)
        return self.directive_arrays_reference(g)

    def directive_arrays_reference(self, g: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:meth:`directive_arrays` in NumPy, all rows at once (the compiled code's reference)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        n, D, L = g.shape[0], self.D, self.L
        nlev, sp, cl, ti, od = self.parts(g)
        # per level a cluster slot (used below the top) then D maps in loop order: (n, L, D + 1)
        axis = np.concatenate([np.full((n, L, 1), -1, dtype=np.int64), od], axis=2)
        tile = np.take_along_axis(ti, od, axis=2)
        st = self.out_strides[od]
        written = np.where(st > 1, st * (tile - 1) + 1, tile)
        size = np.concatenate([cl[:, :, None], written], axis=2)
        kind = np.concatenate([np.full((n, L, 1), 2, dtype=np.int64), np.where(od == sp[:, :, None], 0, 1)], axis=2)
        whole = np.concatenate([np.zeros((n, L, 1), dtype=np.int64),
                                np.where(self.kmask[od], self.sizes[od], 0)], axis=2)  # fmt: skip
        used = np.arange(L)[None, :, None] < nlev[:, None, None]
        used = np.broadcast_to(used, (n, L, D + 1)).copy()
        used[:, 0, 0] = False  # no cluster above the top level
        keep = used.reshape(n, -1)
        first = np.zeros(n + 1, dtype=np.int64)
        first[1:] = np.cumsum(keep.sum(axis=1))
        flat = {"kind": kind, "axis": axis, "size": size, "whole": whole}
        return first, {k: v.reshape(n, -1)[keep] for k, v in flat.items()}

    def _template(self, r: list[int]) -> Template:
        D, names, sizes = self.D, self.axes.names, self.axes.sizes
        kinds: list[str] = []
        dims: list[str] = []
        size: list[int] = []
        whole: list[int] = []
        for lv in range(r[0]):
            b = self.base(lv)
            if lv:
                kinds.append("cluster")
                dims.append("")
                size.append(r[b + 1])
                whole.append(0)
            s = r[b]
            for d in r[b + 2 + D : b + 2 + 2 * D]:
                kinds.append("spatial" if d == s else "temporal")
                dims.append(names[d])
                size.append(self.written(d, r[b + 2 + d]))
                whole.append(sizes[d] if d in self.kernel else 0)
        n = len(kinds)
        zeros = (0,) * n
        offset = tuple(0 if k == "cluster" else v for k, v in zip(kinds, size, strict=True))
        return Template(
            tuple(kinds), tuple(dims), (True,) * n, zeros, tuple(size), offset, zeros, zeros, tuple(whole)
        )

    # -- the whole space -----------------------------------------------------------------------
    def enumerate(self, chunk: int = 4096, canonical: bool = True) -> Iterator[np.ndarray]:
        """Every member of the space, in chunks of rows.  With ``canonical`` one row per key
        (:meth:`keys`): loops of one step stay in axis order after the moving ones."""
        buf: list[list[int]] = []
        for r in self._rows(canonical):
            buf.append(r)
            if len(buf) == chunk:
                yield self.repair(np.array(buf, dtype=np.int64))
                buf = []
        if buf:
            yield self.repair(np.array(buf, dtype=np.int64))

    def count(self, limit: int, canonical: bool = True) -> int | None:
        """The number of rows :meth:`enumerate` gives, or None when above ``limit`` (counted
        level by level, each distinct subtree once, not row by row)."""
        memo: dict[tuple[int, int, tuple[int, ...], int], int] = {}
        n = 0
        lo, hi = self.space.levels
        for nlev in range(lo, hi + 1):
            n += self._count(0, nlev, tuple(self.axes.sizes), 1, canonical, limit, memo)
            if n > limit:
                return None
        return n

    def _count(self, lv: int, nlev: int, parent: tuple[int, ...], pes: int, canonical: bool, limit: int,
               memo: dict[tuple[int, int, tuple[int, ...], int], int]) -> int:  # fmt: skip
        """How many level lists :meth:`_levels` yields below ``parent`` (any value above
        ``limit`` once above it: the caller only asks whether the total is)."""
        if lv == nlev:
            return 1
        key = (lv, nlev, parent, pes)
        got = memo.get(key)
        if got is not None:
            return got
        total = 0
        for s, tiles, c in self._level_choices(lv, parent, pes):
            orders = self._n_orders(lv, s, tiles, parent, canonical)
            total += orders * self._count(lv + 1, nlev, tiles, pes * c, canonical, limit, memo)
            if total > limit:
                memo[key] = total
                return total
        memo[key] = total
        return total

    def _level_choices(self, lv: int, parent: Sequence[int], pes: int) -> Iterator[tuple[int, tuple[int, ...], int]]:
        """Level ``lv``'s (parallel axis, tiles, cluster size) under ``parent``'s tiles, with
        ``pes`` PEs in the clusters above: what :meth:`_count` counts and :meth:`_levels` walks."""
        tile_sets = [self.tile_choices(d, parent[d]) for d in range(self.D)]
        for s in self.spatial[lv]:
            for tiles in product(*tile_sets):
                for c in self.cluster_choices(lv, parent[s], tiles[s]):
                    if not (lv and pes * c > self.pe_cap):
                        yield s, tiles, c

    def _n_orders(self, lv: int, s: int, tiles: tuple[int, ...], parent: tuple[int, ...], canonical: bool) -> int:
        """How many orders :meth:`_orders` yields."""
        if self.orders[lv] is not None:
            return 1
        if not canonical:
            return math.factorial(self.D)
        return math.factorial(sum(1 for d in range(self.D) if d == s or tiles[d] < parent[d]))

    def _rows(self, canonical: bool) -> Iterator[list[int]]:
        lo, hi = self.space.levels
        for nlev in range(lo, hi + 1):
            for levels in self._levels(0, nlev, list(self.axes.sizes), 1, canonical):
                r = [0] * self.width
                r[0] = nlev
                for lv, part in enumerate(levels):
                    b = self.base(lv)
                    r[b : b + self.stride] = part
                for lv in range(nlev, self.L):  # unused levels: a fixed filler
                    b = self.base(lv)
                    r[b : b + self.stride] = [self.spatial[lv][0], 1, *levels[-1][2 : 2 + self.D], *range(self.D)]
                yield r

    def _levels(
        self, lv: int, nlev: int, parent: list[int], pes: int, canonical: bool
    ) -> Iterator[list[list[int]]]:
        if lv == nlev:
            yield []
            return
        for s, tiles, c in self._level_choices(lv, parent, pes):
            for order in self._orders(lv, s, list(tiles), parent, canonical):
                head = [s, c, *tiles, *order]
                for rest in self._levels(lv + 1, nlev, list(tiles), pes * c, canonical):
                    yield [head, *rest]

    def _orders(
        self, lv: int, s: int, tiles: list[int], parent: list[int], canonical: bool
    ) -> Iterator[tuple[int, ...]]:
        fixed = self.orders[lv]
        if fixed is not None:
            yield fixed
            return
        if not canonical:
            yield from permutations(range(self.D))
            return
        moving = [d for d in range(self.D) if d == s or tiles[d] < parent[d]]
        still = tuple(d for d in range(self.D) if d not in moving)
        for p in permutations(moving):
            yield (*p, *still)
