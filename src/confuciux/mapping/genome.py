"""Mappings as integer rows: GAMMA's genome, decoded to programs and compiled templates.

A population is an int64 matrix, one mapping a row, so that operators, deduplication and
evaluation work on whole populations.  :class:`FreeEncoding` lays a row out as the number of
levels, then per level (outer first) the parallel axis, the cluster size (the level's number of
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

from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import permutations, product

import numpy as np

from ..dataflow import Dataflow, Template
from ..dataflow.program import Cluster, Map, Spatial, Sz, Temporal
from ..workload import Layer
from .space import KERNEL, Axes, MappingSpace, layer_axes

__all__ = ["FreeEncoding", "divisors"]


@lru_cache(maxsize=16384)
def divisors(n: int) -> tuple[int, ...]:
    """The divisors of ``n`` ≥ 1, ascending."""
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return tuple(sorted({*small, *(n // d for d in small)}))


def snap_divisor(parent: int, value: int) -> int:
    """The largest divisor of ``parent`` not above ``value`` (at least 1)."""
    best = 1
    for d in divisors(parent):
        if d > value:
            break
        best = d
    return best


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
        self.kernel = frozenset(i for i, n in enumerate(ax.names) if n in KERNEL)
        self.divisors_only = space.tiles == "divisors"
        strides = {"Y'": layer.stride[0], "X'": layer.stride[1]}
        self.out_strides = tuple(strides.get(n, 1) for n in ax.names)
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
        orders: list[tuple[int, ...] | None] = []
        for o in space.orders:
            if o is None:
                orders.append(None)
                continue
            listed = [ax.index(d) for d in o if d in ax.names]
            orders.append(tuple(listed + [i for i in range(self.D) if i not in listed]))
        self.orders: tuple[tuple[int, ...] | None, ...] = tuple(orders)

    def base(self, level: int) -> int:
        """Column of a level's parallel axis; cluster, tiles and order follow."""
        return 1 + level * self.stride

    # -- rows of the space ---------------------------------------------------------------------
    def repair(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` made members of the space (a new array); see the module docstring."""
        g = np.asarray(rows, dtype=np.int64).reshape(-1, self.width)
        return np.array([self.repair_row(r) for r in g.tolist()], dtype=np.int64).reshape(-1, self.width)

    def repair_row(self, r: list[int]) -> list[int]:
        lo, hi = self.space.levels
        r[0] = min(max(r[0], lo), hi)
        D, sizes = self.D, self.axes.sizes
        parent = list(sizes)
        for lv in range(self.L):
            b = self.base(lv)
            tiles = r[b + 2 : b + 2 + D]
            for d in range(D):
                if d in self.kernel:
                    tiles[d] = sizes[d]
                else:
                    t = min(max(tiles[d], 1), parent[d])
                    tiles[d] = snap_divisor(parent[d], t) if self.divisors_only else t
            r[b + 2 : b + 2 + D] = tiles
            if r[b] not in self.spatial[lv]:
                r[b] = self.spatial[lv][0]
            fixed = self.orders[lv]
            if fixed is not None:
                r[b + 2 + D : b + 2 + 2 * D] = fixed
            elif sorted(r[b + 2 + D : b + 2 + 2 * D]) != list(range(D)):
                r[b + 2 + D : b + 2 + 2 * D] = list(range(D))
            r[b + 1] = self.cluster_domain_fit(lv, r[b + 1], parent[r[b]], tiles[r[b]])
            parent = tiles
        self._fit_pes(r)
        return r

    def cluster_cap(self, lv: int, parent_tile: int, tile: int) -> int:
        """The largest cluster size of level ``lv`` ≥ 1 whose parallel axis has ``parent_tile``
        elements in the enclosing tile and tile ``tile``: more sub-clusters than that tile's
        elements never all get work; and the PE cap."""
        return max(1, min(parent_tile, self.pe_cap))

    def cluster_domain_fit(self, lv: int, c: int, parent_tile: int, tile: int) -> int:
        """A level's cluster size moved into its domain: 1 at the top; the space's fixed size;
        else 1..:meth:`cluster_cap`, with ``tiles="divisors"`` a divisor of the number of tiles
        of the parallel axis in the enclosing tile."""
        if lv == 0:
            return 1
        fixed = self.space.clusters[lv]
        if fixed is not None:
            return fixed
        c = min(max(c, 1), self.cluster_cap(lv, parent_tile, tile))
        if self.divisors_only:
            c = snap_divisor(-(-parent_tile // tile), c)
        return c

    def cluster_choices(self, lv: int, parent_tile: int, tile: int) -> tuple[int, ...]:
        """Every cluster size of level ``lv`` (see :meth:`cluster_domain_fit`)."""
        if lv == 0:
            return (1,)
        fixed = self.space.clusters[lv]
        if fixed is not None:
            return (fixed,)
        cap = self.cluster_cap(lv, parent_tile, tile)
        if self.divisors_only:
            return tuple(d for d in divisors(-(-parent_tile // tile)) if d <= cap)
        return tuple(range(1, cap + 1))

    def tile_choices(self, axis: int, parent: int) -> tuple[int, ...]:
        """Every tile of ``axis`` inside an enclosing tile of ``parent`` elements."""
        if axis in self.kernel:
            return (self.axes.sizes[axis],)
        return divisors(parent) if self.divisors_only else tuple(range(1, parent + 1))

    def _product(self, r: Sequence[int]) -> int:
        p = 1
        for lv in range(1, r[0]):
            p *= r[self.base(lv) + 1]
        return p

    def _fit_pes(self, r: list[int]) -> None:
        """Shrink the free inner cluster sizes, largest first, until their product fits the cap
        (a fixed size larger than the cap stays: no design of the space fits then)."""
        free = [lv for lv in range(1, r[0]) if self.space.clusters[lv] is None]
        while free and self._product(r) > self.pe_cap:
            lv = max(free, key=lambda v: r[self.base(v) + 1])
            b = self.base(lv)
            c = r[b + 1]
            if c == 1:
                return
            others = self._product(r) // c
            c = max(1, min(c - 1, self.pe_cap // others))
            if self.divisors_only:
                s = r[b]
                parent = r[self.base(lv - 1) + 2 + s]
                c = snap_divisor(-(-parent // r[b + 2 + s]), c)
            r[b + 1] = c

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` random members: levels, parallel axes, orders and clusters uniform over their
        choices; each tile uniform over its choices inside the enclosing tile."""
        rows = []
        D, sizes = self.D, self.axes.sizes
        lo, hi = self.space.levels
        for _ in range(n):
            r = [0] * self.width
            r[0] = int(rng.integers(lo, hi + 1))
            parent = list(sizes)
            for lv in range(self.L):
                b = self.base(lv)
                r[b] = self.spatial[lv][int(rng.integers(len(self.spatial[lv])))]
                tiles = []
                for d in range(D):
                    choices = self.tile_choices(d, parent[d])
                    tiles.append(choices[int(rng.integers(len(choices)))])
                r[b + 2 : b + 2 + D] = tiles
                r[b + 2 + D : b + 2 + 2 * D] = [int(v) for v in rng.permutation(D)]
                cc = self.cluster_choices(lv, parent[r[b]], tiles[r[b]])
                r[b + 1] = cc[int(rng.integers(len(cc)))]
                parent = tiles
            rows.append(self.repair_row(r))
        return np.array(rows, dtype=np.int64).reshape(n, self.width)

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
        tile.  A valid result takes at least ``MACs / (busy · SIMD)`` cycles."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        pes = np.asarray(pes, dtype=np.int64)
        D = self.D
        inner = self.min_pes(g)
        busy = np.ones(np.broadcast_shapes(pes.shape, inner.shape), dtype=np.int64)
        parent = np.broadcast_to(np.array(self.axes.sizes, dtype=np.int64), (g.shape[0], D))
        for lv in range(self.L):
            b = self.base(lv)
            s = g[:, b]
            tiles = g[:, b + 2 : b + 2 + D]
            rows = np.arange(g.shape[0])
            n_tiles = -(-parent[rows, s] // tiles[rows, s])
            units = pes // inner if lv == 0 else g[:, b + 1]
            active = g[:, 0] > lv
            busy = busy * np.where(active, np.minimum(units, n_tiles), 1)
            parent = tiles
        return busy

    def keys(self, g: np.ndarray) -> list[bytes]:
        """A key per row, equal for rows that write the same program up to the position of loops
        of one step, and for the unused levels."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        return [self._key(r) for r in g.tolist()]

    def _key(self, r: list[int]) -> bytes:
        D = self.D
        out = [r[0]]
        parent = list(self.axes.sizes)
        for lv in range(r[0]):
            b = self.base(lv)
            tiles = r[b + 2 : b + 2 + D]
            s = r[b]
            moving = [d for d in r[b + 2 + D : b + 2 + 2 * D] if d == s or tiles[d] < parent[d]]
            out += [s, r[b + 1], *tiles, *moving, -1]
            parent = tiles
        return np.array(out, dtype=np.int64).tobytes()

    def directives(self, r: Sequence[int]) -> list[Map | Cluster]:
        """The directives one row writes (outer level first)."""
        D, names = self.D, self.axes.names
        out: list[Map | Cluster] = []
        for lv in range(int(r[0])):
            b = self.base(lv)
            if lv:
                out.append(Cluster(int(r[b + 1])))
            s = r[b]
            for d in r[b + 2 + D : b + 2 + 2 * D]:
                name = names[d]
                if d in self.kernel:
                    out.append(Temporal(name, Sz(name)))
                elif d == s:
                    out.append(Spatial(name, self.written(d, r[b + 2 + d])))
                else:
                    out.append(Temporal(name, self.written(d, r[b + 2 + d])))
        return out

    def written(self, axis: int, tile: int) -> int:
        """The size MAESTRO is given for a tile of ``tile`` elements of ``axis``.  MAESTRO counts
        output coordinates at stride 1 — a ``Y'`` tile of t holds ⌊(t − 1 + s)/s⌋ output rows on
        a layer of stride s — so a tile of t output rows is written ``s·(t − 1) + 1``."""
        stride = self.out_strides[axis]
        return int(stride * (tile - 1) + 1) if stride > 1 else int(tile)

    def program(self, row: Sequence[int] | np.ndarray) -> Dataflow:
        """The MAESTRO program of one row."""
        return Dataflow(self.directives(np.asarray(row, dtype=np.int64).tolist()))

    def templates(self, g: np.ndarray) -> list[Template]:
        """The compiled program of every row for this layer, built directly (equal to
        ``dataflow.compile(self.program(row), layer)``; tests check it)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        return [self._template(r) for r in g.tolist()]

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
                yield np.array(buf, dtype=np.int64)
                buf = []
        if buf:
            yield np.array(buf, dtype=np.int64)

    def count(self, limit: int, canonical: bool = True) -> int | None:
        """The number of rows :meth:`enumerate` gives, or None when above ``limit``."""
        n = 0
        for _ in self._rows(canonical):
            n += 1
            if n > limit:
                return None
        return n

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
                yield self.repair_row(r)

    def _levels(
        self, lv: int, nlev: int, parent: list[int], pes: int, canonical: bool
    ) -> Iterator[list[list[int]]]:
        if lv == nlev:
            yield []
            return
        D = self.D
        tile_sets = [self.tile_choices(d, parent[d]) for d in range(D)]
        for s in self.spatial[lv]:
            for tiles in product(*tile_sets):
                clusters = self.cluster_choices(lv, parent[s], tiles[s])
                for c in clusters:
                    if pes * c > self.pe_cap and lv:
                        continue
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
