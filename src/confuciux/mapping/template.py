"""A fixed template's free names as integer rows: the most restricted flexibility class.

The template is a :class:`~confuciux.dataflow.Dataflow` whose sizes name constants (e.g.
``TemporalMap(TK,TK) K``); a row gives each name a value.  ``ClusterSz`` stays the design's PE
count (the language's convention); every other name is searched, free or declared (a declared
value, such as a preset's default tile, is one of the choices).  A name's choices come
from where it is used: a map's tile of dimension D is 1..D's size (MAESTRO's sizes: input
``Y``/``X``, output ``Y'``/``X'`` counted at stride 1), a cluster size 1..the PE cap, a temporal
``R``/``S`` map only the whole kernel; with ``tiles="divisors"`` only the divisors of that bound.
"""

from __future__ import annotations

import numpy as np

from ..dataflow import Dataflow, Template, compile
from ..dataflow.dimensions import maestro_layer
from ..dataflow.program import FILTER_DIMS, Cluster, Map
from ..workload import Layer
from .genome import divisors
from .operators import Operators
from .space import MappingSpace

__all__ = ["TemplateEncoding"]


class TemplateEncoding:
    """The rows of a template space (:meth:`MappingSpace.of_template`) for one layer."""

    def __init__(self, space: MappingSpace, layer: Layer, pe_cap: int) -> None:
        if space.template is None:
            raise ValueError("not a template space: use FreeEncoding")
        self.space, self.layer, self.pe_cap = space, layer, int(pe_cap)
        df: Dataflow = space.template
        self.template = df
        _, dims = maestro_layer(layer, df)
        sizes = dict(dims)
        sizes["Y'"] = dims.get("Y", 1) - dims.get("R", 1) + 1
        sizes["X'"] = dims.get("X", 1) - dims.get("S", 1) + 1
        names = sorted(df.names - {"ClusterSz"})
        caps: dict[str, int] = {n: 2**31 - 1 for n in names}
        whole: dict[str, int] = {}
        for d in df.directives:
            used = (d.size,) if isinstance(d, Cluster) else (d.size, d.offset)
            for v in used:
                if not isinstance(v, str) or v not in caps:
                    continue
                if isinstance(d, Cluster):
                    caps[v] = min(caps[v], self.pe_cap)
                elif isinstance(d, Map) and d.kind == "temporal" and d.dim in FILTER_DIMS and d.dim in sizes:
                    whole[v] = sizes[d.dim]
                elif isinstance(d, Map):
                    caps[v] = min(caps[v], sizes.get(d.dim, 1))
        self.names = tuple(names)
        choices: list[tuple[int, ...]] = []
        for n in names:
            if n in whole:
                choices.append((whole[n],))
            elif space.tiles == "divisors":
                choices.append(divisors(caps[n]))
            else:
                choices.append(tuple(range(1, caps[n] + 1)))
        self.choices: tuple[tuple[int, ...], ...] = tuple(choices)
        self.width = max(len(names), 1)
        self.kernel: frozenset[int] = frozenset()

    def repair(self, rows: np.ndarray) -> np.ndarray:
        """Each value moved to the nearest choice at or below it (the smallest if none)."""
        g = np.asarray(rows, dtype=np.int64).reshape(-1, self.width).copy()
        for j, ch in enumerate(self.choices):
            arr = np.array(ch)
            i = np.searchsorted(arr, g[:, j], side="right") - 1
            g[:, j] = arr[np.clip(i, 0, arr.size - 1)]
        out: np.ndarray = g
        return out

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        g = np.ones((n, self.width), dtype=np.int64)
        for j, ch in enumerate(self.choices):
            g[:, j] = np.array(ch)[rng.integers(len(ch), size=n)]
        return g

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
        """Uniform crossover at rate ``ops.crossover``: each value from either parent."""
        a, b = np.asarray(a), np.asarray(b)
        take = (rng.random(a.shape) < 0.5) & (rng.random((a.shape[0], 1)) < ops.crossover)
        return np.where(take, b, a)

    def mutate(self, g: np.ndarray, rng: np.random.Generator, ops: Operators) -> np.ndarray:
        """Each row: ``ops.tile_loci`` draws at rate ``ops.tile``, each a value redrawn or (share
        ``ops.local``) stepped one or two choices."""
        g = np.asarray(g, dtype=np.int64).copy()
        if not self.names:
            return g
        for row in g:
            for _ in range(ops.tile_loci):
                if rng.random() >= ops.tile:
                    continue
                j = int(rng.integers(len(self.names)))
                ch = self.choices[j]
                if rng.random() < ops.local:
                    here = int(np.searchsorted(ch, row[j]))
                    step = int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1)
                    row[j] = ch[min(max(here + step, 0), len(ch) - 1)]
                else:
                    row[j] = ch[int(rng.integers(len(ch)))]
        return g

    def keys(self, g: np.ndarray) -> list[bytes]:
        g = np.ascontiguousarray(np.asarray(g, dtype=np.int64).reshape(-1, self.width))
        return [r.tobytes() for r in g]

    def levels(self, g: np.ndarray) -> np.ndarray:
        return np.full(np.asarray(g).reshape(-1, self.width).shape[0], len(self.template.levels), dtype=np.int64)

    def values(self, row: np.ndarray) -> dict[str, int]:
        return {n: int(v) for n, v in zip(self.names, np.asarray(row).tolist(), strict=False)}

    def program(self, row: np.ndarray) -> Dataflow:
        """The template with the row's values as its constants (printed as ``Constant`` lines)."""
        return Dataflow(self.template.directives, {**self.template.constants, **self.values(row)})

    def templates(self, g: np.ndarray) -> list[Template | None]:
        """Each row's compiled program; None where MAESTRO's rules refuse the values."""
        out: list[Template | None] = []
        for row in np.asarray(g).reshape(-1, self.width):
            try:
                out.append(compile(self.template, self.layer, self.values(row)))
            except ValueError:
                out.append(None)
        return out

    def min_pes(self, g: np.ndarray) -> np.ndarray:
        """The product of the cluster sizes the row fixes (``ClusterSz`` clusters aside)."""
        g = np.asarray(g, dtype=np.int64).reshape(-1, self.width)
        out = np.ones(g.shape[0], dtype=np.int64)
        col = {n: j for j, n in enumerate(self.names)}
        for d in self.template.directives:
            if not isinstance(d, Cluster) or d.size == "ClusterSz":
                continue
            if isinstance(d.size, int):
                out *= d.size
            elif d.size in col:
                out *= g[:, col[d.size]]
            elif isinstance(d.size, str) and d.size in self.template.constants:
                out *= self.template.constants[d.size]
        return out

    def count(self, limit: int, canonical: bool = True) -> int | None:
        n = 1
        for ch in self.choices:
            n *= len(ch)
            if n > limit:
                return None
        return n

    def enumerate(self, chunk: int = 4096, canonical: bool = True):  # type: ignore[no-untyped-def]
        """Every row, in chunks."""
        from itertools import product

        if not self.names:
            yield np.ones((1, 1), dtype=np.int64)
            return
        buf = []
        for combo in product(*self.choices):
            buf.append(combo)
            if len(buf) == chunk:
                yield np.array(buf, dtype=np.int64).reshape(-1, self.width)
                buf = []
        if buf:
            yield np.array(buf, dtype=np.int64).reshape(-1, self.width)
