"""Searched mappings as a platform's dataflow: every layer's options are the points its mapping
search finds.

``Platform(dataflow=MappingSpace(...))`` (or a :class:`MappingSearch`, which adds the search's
settings) makes each layer's program part of the design.  :func:`layer_options` searches each
layer's mapping over the platform's PE counts (:func:`~confuciux.mapping.search.explore`,
physically valid points only) and keeps the points no other found point beats on every cost a
budget or an objective may read — runtime, energy, area, power, PEs, L1 and L2 bytes — so the
exact solver, ``pareto`` and every search method combine the layers exactly given what the
searches found, under any budgets.  The points become the layer's options in the
:class:`~confuciux.search.Problem` table (each with its P, its program and its costs).

Layers of the same shape share one search (same settings, same seed: the same points), and the
last searches are kept (:data:`_CACHE`), so that ``pareto``'s budget sweep and repeated
problems on one platform search each layer once.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from ..dataflow import Dataflow
from ..hardware import Hardware
from ..workload import Layer
from .search import Encoding, explore
from .settings import MappingSearch

__all__ = ["LayerOptions", "Programs", "layer_options", "nondominated", "FIELDS"]

#: The costs a layer's options are Pareto-optimal in (every budget and objective reads these).
FIELDS = ("runtime", "energy", "area", "power", "pes", "l1_bytes", "l2_bytes")
#: The resource the layer searches trade against the objective.
RESOURCE = "area"


class Programs(Sequence[Dataflow]):
    """One layer's programs, option by option, written when first read (a search keeps hundreds
    of points a layer; a design reads one)."""

    def __init__(self, enc: Encoding, rows: np.ndarray) -> None:
        self._enc, self._rows = enc, rows
        self._made: dict[int, Dataflow] = {}

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    @overload
    def __getitem__(self, i: int) -> Dataflow: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Dataflow, ...]: ...
    def __getitem__(self, i: int | slice) -> Dataflow | tuple[Dataflow, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        j = range(len(self))[i]
        if j not in self._made:
            self._made[j] = self._enc.program(self._rows[j])
        return self._made[j]


@dataclass(frozen=True)
class LayerOptions:
    """Every layer's options, ``G`` slots a layer: ``costs[f]`` (N, G) per field of
    :data:`FIELDS` (cycles, nJ, µm², mW, PEs, bytes; NaN in the slots of a layer with no point),
    ``programs[i][g]`` the program of slot g of layer i, ``counts`` the points found per layer,
    ``evaluations`` the engine evaluations made (searches shared or cached count once).  A
    layer's points fill its G slots in order of area, each repeated about equally when it has
    fewer than G (every slot is a valid option: the coarse options of the RL agent, spread over
    the slots, then cover every layer's whole range)."""

    costs: dict[str, np.ndarray]
    programs: tuple[Sequence[Dataflow], ...]
    counts: np.ndarray
    evaluations: int


@dataclass(frozen=True)
class _Found:
    """One layer's points: their costs (:data:`FIELDS`), encoded rows and encoding."""

    costs: dict[str, np.ndarray]
    rows: np.ndarray
    enc: Encoding

    def __len__(self) -> int:
        return int(self.rows.shape[0])


# the last searches, by (layer shape, search, hardware, PE counts, objective): LRU
_CACHE: OrderedDict[tuple[Any, ...], tuple[_Found, int]] = OrderedDict()
_CACHE_SIZE = 256  # (a layer's entry: its points' rows, some 100-500 kB)


def layer_options(
    layers: Sequence[Layer], spec: MappingSearch, pes: np.ndarray, hardware: Hardware, objective: str
) -> LayerOptions:
    """Search every layer's mapping (``objective``: ``"latency"`` or ``"energy"``) on the PE
    counts ``pes`` priced with ``hardware``, and make its non-dominated points its options."""
    P = tuple(int(p) for p in np.unique(np.asarray(pes, dtype=np.int64)))
    found: list[_Found] = []
    fresh = 0
    shared: dict[Layer, _Found] = {}
    for layer in layers:
        shape = dataclasses.replace(layer, name="")
        if shape in shared:
            found.append(shared[shape])
            continue
        key = (shape, spec, hardware, P, objective)
        hit = _CACHE.get(key)
        if hit is None:
            hit = _points(layer, spec, P, hardware, objective)
            fresh += hit[1]
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.popitem(last=False)
            _CACHE[key] = hit
        else:
            _CACHE.move_to_end(key)
        shared[shape] = hit[0]
        found.append(hit[0])
    counts = np.array([len(f) for f in found], dtype=np.int64)
    g = max(1, int(counts.max(initial=0)))
    costs = {f: np.full((len(layers), g), np.nan) for f in FIELDS}
    programs: list[Sequence[Dataflow]] = []
    for i, front in enumerate(found):
        n = len(front)
        slot = np.arange(g) * n // g  # slot -> point: every point, each about g/n times
        for f in FIELDS:
            if n:
                costs[f][i] = front.costs[f][slot]
        programs.append(Programs(front.enc, front.rows[slot] if n else front.rows))
    return LayerOptions(costs, tuple(programs), counts, fresh)


def _points(layer: Layer, spec: MappingSearch, pes: tuple[int, ...], hardware: Hardware,
            objective: str) -> tuple[_Found, int]:  # fmt: skip
    """One layer's search: its valid points that no other beats on every field, by area."""
    run, _ = explore(
        layer, spec.space, pes=pes, objective=objective, resource=RESOURCE, evaluations=spec.evaluations,
        method=spec.method, seed=spec.seed, hardware=hardware, flags=hardware.engine_flags, genetic=spec.genetic,
    )  # fmt: skip
    log = run.log
    v = np.flatnonzero(log.valid)
    keep = v[nondominated(np.stack([log.costs[f][v] for f in FIELDS], axis=1))]
    keep = keep[np.lexsort((log.costs[run.field][keep], log.costs[RESOURCE][keep]))]
    costs = {f: np.asarray(log.costs[f][keep], dtype=np.float64) for f in FIELDS}
    return _Found(costs, log.rows[keep], run.enc), len(log)


def nondominated(values: np.ndarray) -> np.ndarray:
    """Indices (ascending) of the rows of ``values`` (n, d) that no other row is <= in every
    column and < in one; of equal rows, the first.  Rows in order of their sum (a row's
    dominators come before it, ties broken by the columns): the first remaining row is
    non-dominated and drops every row it dominates — one pass per non-dominated row."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(v, axis=0, return_index=True)
    order = first[np.lexsort((*v[first].T[::-1], v[first].sum(axis=1)))]
    rest = v[order]
    keep = []
    while order.size:
        keep.append(order[0])
        p = rest[0]
        out = ~(np.all(p <= rest, axis=1) & np.any(p < rest, axis=1))
        out[0] = False
        order, rest = order[out], rest[out]
    return np.sort(np.array(keep, dtype=np.int64))
