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
problems on one platform search each layer once.  ``MappingSearch.workers`` > 1 runs the
searches a problem still needs on a process pool (each layer's search is seeded by the settings
alone: the same points as in this process); the cache stays in this process.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .._pool import process_pool
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
    counts ``pes`` priced with ``hardware``, and make its non-dominated points its options.
    The searches not in the cache run on a pool of ``spec.workers`` processes when that is more
    than one (:func:`_search`)."""
    P = tuple(int(p) for p in np.unique(np.asarray(pes, dtype=np.int64)))
    keys: dict[Layer, tuple[int, tuple[Any, ...]]] = {}  # shape -> (its first layer, its cache key)
    for i, layer in enumerate(layers):
        shape = dataclasses.replace(layer, name="")
        keys.setdefault(shape, (i, (shape, spec, hardware, P, objective)))
    hits = {key: _CACHE[key] for _, key in keys.values() if key in _CACHE}
    for key in hits:
        _CACHE.move_to_end(key)
    missing = [(i, key) for i, key in keys.values() if key not in hits]
    searched = _search([(i, layers[i]) for i, _ in missing], spec, P, hardware, objective)
    for (_, key), hit in zip(missing, searched, strict=True):
        hits[key] = hit
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.popitem(last=False)
        _CACHE[key] = hit
    fresh = sum(n for _, n in searched)
    found = [hits[keys[dataclasses.replace(layer, name="")][1]][0] for layer in layers]
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


def _search(layers: list[tuple[int, Layer]], spec: MappingSearch, pes: tuple[int, ...], hardware: Hardware,
            objective: str) -> list[tuple[_Found, int]]:  # fmt: skip
    """:func:`_points` of every (index, layer), in order: in this process, or on a pool of
    ``spec.workers`` processes (:func:`~confuciux._pool.process_pool`: spawned, ending with this
    process; every search seeded by the spec alone, so the same points either way).  An error
    of a search is raised again, of the same type where it can be, naming the layer."""
    workers = min(spec.workers, len(layers))
    if workers <= 1:
        out = []
        for i, layer in layers:
            try:
                out.append(_points(layer, spec, pes, hardware, objective))
            except Exception as exc:
                raise _named(exc, i, layer) from exc
        return out
    with process_pool(workers) as pool:
        futures = [pool.submit(_points, layer, spec, pes, hardware, objective) for _, layer in layers]
        out = []
        for future, (i, layer) in zip(futures, layers, strict=True):
            try:
                out.append(future.result())
            except Exception as exc:  # (leaving the pool by an exception kills its workers)
                raise _named(exc, i, layer) from exc
        return out


def _named(exc: Exception, i: int, layer: Layer) -> Exception:
    """``exc`` again with the layer's index and name in front of its message: of its own type
    when that type takes a message alone, else a RuntimeError."""
    text = f"layer {i}{f' ({layer.name})' if layer.name else ''}'s mapping search: {exc}"
    try:
        return type(exc)(text)
    except Exception:
        return RuntimeError(f"{text} ({type(exc).__name__})")


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
