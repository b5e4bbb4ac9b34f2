"""``confuciux.pareto_front(model, platform, objective, resource)``: every Pareto-optimal (resource,
objective) design of a model over the platform's action space (docs/problem.md, "Trade-off
fronts").

* Layer-pipelined, additive (``latency``, ``energy``), no budget other than on ``resource`` — exact,
  in one pass: the exact solver's dynamic program over (Σresource, Σcost) frontiers
  (:mod:`confuciux.search.frontier`) keeps every point instead of stopping at a budget.  Partial
  designs that cannot lead to a point of the final front are pruned: a partial design heavier
  than the lightest optimum (plus the least resource of the layers left), or slower than the
  lightest design, is dominated by that design.  The totals are built in layer order, so they
  are the budgets' own sums (:func:`confuciux.budgets.lp_total`) bit for bit.  Designs are
  recovered from the DP's record (:class:`_Trace`), whose memory is bounded by
  :data:`TRACE_BYTES`.
* Layer-pipelined, bottleneck (``throughput``), no other budget — exact: for every candidate
  bottleneck T each layer takes its least-resource option with runtime <= T.
* Otherwise (LS, ``edp``, or budgets on other resources, which stay constraints): the designs
  the exact solver returns at ``levels`` budgets on ``resource`` spread between the lightest
  design and the unconstrained optimum, reduced to their frontier; ``bound[i]`` is a certified
  lower bound on the objective of any design using at most ``resource[i]`` (``exact`` False
  unless every bound is met).

A front holds its points' values; their designs are decoded on demand (:meth:`ParetoFront.design`,
:meth:`ParetoFront.designs`, :meth:`ParetoFront.iter_designs`), so a front of 10⁵–10⁶ points over
hundreds of layers never holds a points × layers table unless asked to (:attr:`ParetoFront.choices`).
``max_points`` (or :meth:`ParetoFront.thin`) gives a thinned view whose complete front stays
available (:meth:`ParetoFront.full`).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from .budgets import BUDGET_KEYS, lp_total
from .cost.design import labels
from .dataflow.program import Dataflow
from .platform import Platform
from .search.exact import solve_exact
from .search.frontier import Front, Limits, frontier, layer_fronts, step
from .search.objectives import get_objective
from .search.problem import Problem
from .search.tolerances import PRUNE
from .workload import Model

__all__ = ["CHUNK", "MAX_FRONT_POINTS", "TRACE_BYTES", "DesignBlock", "ParetoFront", "pareto", "pareto_front"]

#: The most memory (bytes) the exact DP's record of parents may take: per point of every partial
#: front, its parent's index (int32) and the position of its option (uint8 or uint16).  Up to
#: this size every step is recorded and a design is read back in O(layers); beyond it the steps
#: that do not fit keep only a checkpoint (the frontier before them) and are recomputed when a
#: design is asked for: segments between checkpoints (which take up to a quarter of this size
#: more) each run once more, a segment whose record does not fit beside the kept one halved
#: (about log2 of the ratio more runs).  The DP holds at most 1.5 times this size of record and
#: checkpoints, plus the cost table and the fronts themselves.
TRACE_BYTES = 256 * 2**20

#: The most points a partial front of the exact DP may hold (each takes ~50 bytes while a layer
#: is added).  A larger front raises ValueError naming the layer; a resource of coarser grain
#: (``pes``, ``l1_bytes``), fewer options (``pe_levels``/``buffer_levels``, ``space="grid"``) or a
#: budget on the resource keeps it smaller.
MAX_FRONT_POINTS = 10_000_000

#: Designs decoded at a time by :meth:`ParetoFront.iter_designs` and :meth:`ParetoFront.to_csv`.
CHUNK = 4096


class _Designs(Protocol):
    """Where a front's designs come from: ``rows(idx)`` gives the option indices (k, N) of points
    ``idx`` (positions in the front); ``batch``: how many points are worth decoding at once."""

    def rows(self, idx: np.ndarray) -> np.ndarray: ...

    @property
    def batch(self) -> int: ...


class DesignBlock(NamedTuple):
    """Designs of consecutive points of a front: ``points`` (k, their indices), and per point and layer
    ``pes``, ``buffers`` (k, N) and ``dataflows`` (k, N; indices into
    :attr:`ParetoFront.dataflow_names`)."""

    points: np.ndarray
    pes: np.ndarray
    buffers: np.ndarray
    dataflows: np.ndarray


@dataclass(frozen=True, eq=False)
class ParetoFront:
    """Pareto-optimal designs: ``resource`` (ascending; units of the resource: µm², mW, PEs or
    bytes) and ``objective`` (strictly descending; the objective's unit) of M points; ``bound``:
    a certified lower bound on the objective within ``resource[i]`` (equal to ``objective`` when
    ``exact``).  Designs are decoded on demand: :meth:`design` (one point), :meth:`designs` (a
    batch), :meth:`iter_designs` (all, in blocks), :attr:`choices` (the (M, N) option indices into
    ``option_pes``/``option_buffers``, built when read); with several dataflows
    (``option_dataflows``: index into ``dataflow_names`` per option) :meth:`dataflows` gives a
    point's per-layer dataflows; ``layers`` names the model's layers.  A thinned front
    (:meth:`thin`, ``pareto(max_points=…)``) holds some of the points of its complete front,
    :meth:`full`."""

    model: str
    objective_name: str
    resource_name: str
    resource: np.ndarray
    objective: np.ndarray
    bound: np.ndarray
    option_pes: np.ndarray
    option_buffers: np.ndarray
    exact: bool
    platform: dict[str, Any] = dataclasses.field(default_factory=dict)
    label: str | None = None
    option_dataflows: np.ndarray | None = None
    dataflow_names: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    option_programs: tuple[Sequence[Dataflow], ...] = ()
    _designs: _Designs | None = dataclasses.field(default=None, repr=False)
    _complete: ParetoFront | None = dataclasses.field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.resource.size)


    @property
    def complete_size(self) -> int:
        """Points of the complete front (:meth:`full`); ``len(self)`` unless thinned."""
        return len(self.full())

    def full(self) -> ParetoFront:
        """The complete front this one was thinned from (itself when it is not thinned)."""
        return self if self._complete is None else self._complete

    def thin(self, max_points: int) -> ParetoFront:
        """At most ``max_points`` points of this front, evenly spaced by position (the first and
        the last kept when ``max_points`` >= 2); :meth:`full` still gives every point."""
        keep = self.spaced(max_points)
        if keep.size == len(self):
            return self
        return self._view(keep, _Subset(self._source(), keep))

    def spaced(self, max_points: int) -> np.ndarray:
        """Positions of at most ``max_points`` points evenly spaced along the front (the first
        and the last kept when ``max_points`` >= 2), ascending."""
        if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
            raise ValueError(f"max_points must be an integer >= 1, got {max_points!r}")
        n = len(self)
        if n <= max_points:
            return np.arange(n)
        return np.unique(np.linspace(0, n - 1, int(max_points)).round().astype(np.int64))

    def _view(self, keep: np.ndarray, designs: _Designs) -> ParetoFront:
        res, obj, bound = (_frozen(a[keep]) for a in (self.resource, self.objective, self.bound))
        return dataclasses.replace(self, resource=res, objective=obj, bound=bound, _designs=designs,
                                   _complete=self.full())  # fmt: skip

    def _source(self) -> _Designs:
        if self._designs is None:  # pragma: no cover - every front pareto() makes has its designs
            raise ValueError("this ParetoFront was made without its designs")
        return self._designs

    def _check(self, i: Any) -> int:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"point {i!r} out of range for a front of {len(self)} points")
        return int(i) % len(self)

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        return self._source().rows(np.asarray(idx, dtype=np.int64))

    def design(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) per layer of point ``i``."""
        c = self._rows(np.array([self._check(i)]))[0]
        return _take(self.option_pes, c), _take(self.option_buffers, c)

    def designs(self, indices: Any) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers), each (k, N), of the points ``indices`` (any order, repeats allowed)."""
        idx = np.asarray(indices)
        if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
            raise TypeError(f"indices must be a 1-D array of integers, got {indices!r}")
        if idx.size and not (-len(self) <= idx.min() and idx.max() < len(self)):
            raise IndexError(f"indices out of range for a front of {len(self)} points")
        c = self._rows(idx.astype(np.int64) % max(len(self), 1))
        c = c.reshape(idx.size, len(self.layers))
        return _take(self.option_pes, c), _take(self.option_buffers, c)

    def dataflows(self, i: int) -> tuple[str, ...]:
        """The dataflow per layer of point ``i`` (names; see :attr:`Result.dataflows`)."""
        c = self._rows(np.array([self._check(i)]))[0]
        if self.option_dataflows is None:
            return (self.dataflow_names[0],) * int(c.size)
        return tuple(self.dataflow_names[int(d)] for d in self.option_dataflows[c])

    def programs(self, i: int) -> tuple[Dataflow, ...]:
        """The program per layer of point ``i`` of a searched mapping (``option_programs``:
        each layer's program per option; a ValueError for a fixed dataflow: :meth:`dataflows`)."""
        if not self.option_programs:
            raise ValueError("this front's layers run fixed dataflows (see dataflows(i)); programs are a searched "
                             "mapping's")  # fmt: skip
        c = self._rows(np.array([self._check(i)]))[0]
        return tuple(self.option_programs[n][int(g)] for n, g in enumerate(c))

    def iter_designs(self, chunk: int = CHUNK) -> Iterator[DesignBlock]:
        """The designs of every point, ``chunk`` points at a time, in order (memory: chunk ×
        layers option indices at a time)."""
        if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
            raise ValueError(f"chunk must be an integer >= 1, got {chunk!r}")
        chunk = int(chunk)
        batch = max(chunk, self._source().batch)  # a replayed DP decodes many points per replay
        for a in range(0, len(self), batch):
            decoded = self._rows(np.arange(a, min(a + batch, len(self))))
            for b in range(0, decoded.shape[0], chunk):
                c = decoded[b : b + chunk]
                flows = np.zeros(c.shape, dtype=np.int8) if self.option_dataflows is None else self.option_dataflows[c]
                yield DesignBlock(np.arange(a + b, a + b + c.shape[0]), _take(self.option_pes, c),
                                  _take(self.option_buffers, c), flows)  # fmt: skip

    @property
    def choices(self) -> np.ndarray:
        """Option indices (M, N) of every point, decoded now (M × N integers: for a big front
        prefer :meth:`iter_designs`)."""
        out = self._rows(np.arange(len(self)))
        out.flags.writeable = False
        return out

    def best_within(self, budget: float) -> int | None:
        """Index of the best point using at most ``budget`` of the resource (its units), or None
        if even the lightest point exceeds it; :meth:`design` gives its design."""
        if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
            raise TypeError(f"budget must be a number, got {budget!r}")
        if math.isnan(budget):
            raise ValueError("budget must be a number, got NaN")
        i = int(np.searchsorted(self.resource, float(budget), side="right")) - 1
        return None if i < 0 else i

    def rows(self) -> Iterator[list[Any]]:
        """One row per point, in order: index, resource, objective, bound, total PEs, and the
        per-layer PEs, buffers and dataflows (each space-separated) — the rows :meth:`to_csv`
        and ``confuciux pareto --csv`` write, decoded :data:`CHUNK` points at a time."""
        for block in self.iter_designs():
            for i, pes, bufs, flows in zip(*block, strict=True):
                numbers = [repr(float(a[i])) for a in (self.resource, self.objective, self.bound)]
                yield [int(i), *numbers, int(pes.sum()), " ".join(map(str, pes)), " ".join(map(str, bufs)),
                       " ".join(self.dataflow_names[d] for d in flows)]  # fmt: skip

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write one row per point (:meth:`rows`): index, resource, objective, bound, total PEs,
        and the per-layer PEs and buffers — and dataflows, when there are several."""
        several = self.option_dataflows is not None
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["index", self.resource_name, self.objective_name, "bound", "total_pes", "pes", "buffers"]
                       + (["dataflows"] if several else []))  # fmt: skip
            for row in self.rows():
                w.writerow(row if several else row[:-1])

    def plot(self, ax: Any = None, label: str | None = None) -> Any:
        """Draw the front (objective against resource) with :func:`confuciux.plot.plot_fronts`
        (needs the ``plot`` extra: ``pip install confuciux[plot]``); returns the figure."""
        try:
            from .plot import plot_fronts  # type: ignore[import-not-found, attr-defined, unused-ignore]
        except ImportError as e:  # pragma: no cover - depends on the installed extras
            raise ImportError("ParetoFront.plot needs matplotlib: pip install confuciux[plot]") from e
        return plot_fronts(self, ax=ax, labels=None if label is None else [label])


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False  # a frozen value: its arrays cannot be changed in place either
    return a


def _small(n_options: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed dtype of option indices (keeps decoded designs compact)."""
    return np.int16 if n_options < 2**15 else np.int32


@dataclass(frozen=True, eq=False)
class _Explicit:
    """Designs held as an (M, N) table of option indices (a few points: swept fronts, thinned views)."""

    table: np.ndarray

    def rows(self, idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.table[idx])

    @property
    def batch(self) -> int:
        return CHUNK


@dataclass(frozen=True, eq=False)
class _Subset:
    """The designs of some points (``keep``, ascending) of another source."""

    source: _Designs
    keep: np.ndarray

    def rows(self, idx: np.ndarray) -> np.ndarray:
        return self.source.rows(self.keep[idx])

    @property
    def batch(self) -> int:
        return self.source.batch


def pareto(model: Model, platform: Platform, objective: str = "latency", resource: str = "area",
           levels: int = 16, *, max_points: int | None = None) -> ParetoFront:  # fmt: skip
    """Every Pareto-optimal (``resource``, ``objective``) design of ``model`` on ``platform``
    over its action space (see the module docstring for when the front is exact; ``levels``:
    budgets tried otherwise).  A budget the platform sets on ``resource`` caps the front; other
    budgets stay constraints.  ``max_points``: return at most that many points, evenly spaced
    (:meth:`ParetoFront.thin`), with their designs decoded and the DP's record released;
    :meth:`ParetoFront.full` still gives every point (its designs then recomputed on demand)."""
    if resource not in BUDGET_KEYS:
        raise ValueError(f"unknown resource {resource!r}; expected one of {list(BUDGET_KEYS)}")
    kind = get_objective(objective).kind
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ValueError(f"levels must be an integer >= 2, got {levels!r}")
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer))
                                   or max_points < 1):  # fmt: skip
        raise ValueError(f"max_points must be an integer >= 1 or None, got {max_points!r}")
    problem = Problem(model, platform, objective)
    others = {k: b for k, b in platform.budgets.items() if k != resource}
    cap = float(platform.budgets.get(resource, np.inf))
    if problem.uncostable.size:
        points = _Points.empty(problem.n_layers, True)
    elif platform.deployment == "LP" and not others and kind == "additive":
        points = _additive_front(problem, resource, cap)
    elif platform.deployment == "LP" and not others and kind == "bottleneck":
        points = _throughput_front(problem, resource, cap)
    else:
        points = _swept_front(problem, resource, int(levels))
    front = _make(problem, resource, points)
    if max_points is None or len(front) <= max_points:
        return front
    thinned = front.thin(int(max_points))
    table = thinned._rows(np.arange(len(thinned)))  # the few designs kept, decoded once
    if isinstance(points.designs, _Trace):
        points.designs.release()
    return dataclasses.replace(thinned, _designs=_Explicit(_frozen(table)))


#: The name the package exports (``confuciux.pareto_front``): ``confuciux.pareto`` is this module.
pareto_front = pareto


@dataclass(frozen=True, eq=False)
class _Points:
    """A front as its builder gives it: values (frontier order) and where the designs come from."""

    resource: np.ndarray
    objective: np.ndarray
    bound: np.ndarray
    designs: _Designs
    exact: bool

    @staticmethod
    def empty(n_layers: int, exact: bool) -> _Points:
        return _Points.explicit(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, n_layers), dtype=np.int64), exact)

    @staticmethod
    def explicit(res: np.ndarray, obj: np.ndarray, bound: np.ndarray, table: np.ndarray, exact: bool) -> _Points:
        return _Points(res, obj, bound, _Explicit(_frozen(table)), exact)


def _take(options: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """The values of options ``choice`` (..., N): ``options`` shared by every layer (G,), or
    each layer's own (N, G) (a searched mapping)."""
    if options.ndim == 1:
        return np.asarray(options[choice])
    return np.asarray(options[np.arange(options.shape[0]), choice])


def _make(problem: Problem, resource: str, points: _Points) -> ParetoFront:
    pl = problem.platform
    info = {"name": pl.name, "dataflow": pl.dataflow_label, "hardware": pl.hardware.name, "deployment": pl.deployment,
            "budgets": dict(pl.budgets), "space": pl.describe_space()}  # fmt: skip
    od = None
    if len(pl.dataflows) > 1:
        od = _frozen(np.array(problem.dataflow_of, dtype=np.int8))
    return ParetoFront(problem.model.name, problem.objective, resource, _frozen(points.resource),
                       _frozen(points.objective), _frozen(points.bound), _frozen(problem.pes), _frozen(problem.buffers),
                       points.exact, info, label=pl.dataflow_label, option_dataflows=od,
                       dataflow_names=labels(pl.dataflows),
                       layers=tuple(layer.name for layer in problem.model), option_programs=problem.programs,
                       _designs=points.designs)  # fmt: skip


def _scored(problem: Problem, resource: str, choices: np.ndarray, bound: np.ndarray) -> _Points:
    """The front of a few designs ``choices`` (scored by the problem: the budgets' summation),
    frontier-reduced, with their certified bounds."""
    pl = problem.platform
    s = problem.score(choices, count=False)
    used = pl.limits.usage(problem.per_layer(choices, pl.limits.needs((resource,))), (resource,))[resource]
    idx = np.flatnonzero(s.feasible & np.isfinite(s.objective))
    keep = idx[frontier(used[idx], s.objective[idx])]
    obj = s.objective[keep]
    b = np.minimum(bound[keep], obj)
    return _Points.explicit(used[keep], obj, b, choices[keep].astype(_small(problem.n_options)), False)


# -- the exact DP and its record ------------------------------------------------------------------


class _Trace:
    """The exact DP over (Σresource, Σcost) frontiers and its record, from which the design of any
    point of its last frontier is recovered.

    Step n adds layer n (its frontier ``fronts[n]``, sums kept by ``limits[n]``) to the frontier
    of layers 0..n-1.  Each point of the result has a parent (its point in the previous frontier)
    and an option.  The forward pass records these for the first steps while the record fits in
    :data:`TRACE_BYTES`; from the first step that does not fit on, it keeps checkpoints instead
    (the frontier before a step), one each time the unrecorded steps add up to TRACE_BYTES of
    record, while the checkpoints fit in a quarter of TRACE_BYTES.  A design in the steps
    after a checkpoint is recomputed on demand, segment by segment from the last (:meth:`_replay`):
    a segment whose record fits beside the kept one (in TRACE_BYTES, or a quarter of it when the
    kept record fills it) is run again recording; a larger one is split at its middle by record
    size — its first half run to the split (not recorded), the
    second half replayed from there for the points asked for, then the first half for their
    ancestors.  Memory: at most 1.25 TRACE_BYTES of record at a time, a quarter more of
    checkpoints, one frontier per level of halving.  Every run of a step is the same computation, so the
    recomputed frontiers are the first pass's bit for bit."""

    def __init__(self, fronts: list[Front], limits: list[Limits], n_options: int, where: list[str]) -> None:
        self.fronts, self.limits, self.where = fronts, limits, where
        self.dtype = _small(n_options)
        self.sizes = np.ones(len(fronts) + 1, dtype=np.int64)  # points after each step (0: the empty design)
        self.parents: list[tuple[np.ndarray, np.ndarray]] = []  # the recorded steps 0..len-1
        self.checkpoints: list[tuple[int, np.ndarray, np.ndarray]] = []  # (step, the frontier before it)
        self.final = np.zeros(0, dtype=np.int64)  # the points of the last frontier that form the front

    def _position_bytes(self, n: int) -> int:
        size = self.fronts[n].option.size
        return 1 if size <= 2**8 else 2 if size <= 2**16 else 4

    def _step(self, n: int, fw: np.ndarray, fc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        f = self.fronts[n]
        w, c, parent, position = step(fw, fc, f.weight, f.cost, self.limits[n])
        if w.size > MAX_FRONT_POINTS:
            raise ValueError(f"{self.where[n]}: the exact front grows to {w.size:,} points, more than "
                             f"confuciux.pareto.MAX_FRONT_POINTS = {MAX_FRONT_POINTS:,}; a coarser resource (pes, "
                             "l1_bytes), fewer options (pe_levels, buffer_levels, space='grid') or a budget on the "
                             "resource keeps it smaller")  # fmt: skip
        kind = {1: np.uint8, 2: np.uint16, 4: np.int32}[self._position_bytes(n)]
        return w, c, parent, position.astype(kind)

    def _bytes(self, a: int, b: int) -> int:
        """Size of the record of steps a..b-1."""
        return sum(int(self.sizes[n + 1]) * (4 + self._position_bytes(n)) for n in range(a, b))

    def run(self) -> tuple[np.ndarray, np.ndarray]:
        """The forward pass: the last frontier (weights, costs); records what fits."""
        fw, fc = np.zeros(1), np.zeros(1)
        recorded = kept = pending = 0  # bytes of record; of checkpoints; of steps since the last checkpoint
        for n in range(len(self.fronts)):
            w, c, parent, position = self._step(n, fw, fc)
            self.sizes[n + 1] = w.size
            size = parent.nbytes + position.nbytes
            if not self.checkpoints and recorded + size <= TRACE_BYTES:
                self.parents.append((parent, position))
                recorded += size
            elif not self.checkpoints or (pending + size > TRACE_BYTES and kept + 2 * fw.nbytes <= TRACE_BYTES // 4):
                self.checkpoints.append((n, fw, fc))
                kept, pending = kept + fw.nbytes + fc.nbytes, size
            else:
                pending += size
            fw, fc = w, c
        return fw, fc

    @property
    def batch(self) -> int:
        """Points worth decoding at once: many when steps are replayed (a replay per batch),
        as many as :data:`TRACE_BYTES` of decoded designs hold."""
        if not self.checkpoints:
            return CHUNK
        return max(CHUNK, TRACE_BYTES // (np.dtype(self.dtype).itemsize * max(len(self.fronts), 1)))

    def release(self) -> None:
        """Drop the record and the checkpoints (designs are then recomputed when asked for)."""
        self.parents, self.checkpoints = [], [(0, np.zeros(1), np.zeros(1))]

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Option indices (k, N) of the front's points ``idx``."""
        targets = self.final[idx]
        n_steps = len(self.fronts)
        if self.checkpoints and self._bytes(0, n_steps) <= TRACE_BYTES:  # a released record that fits
            self.parents, self.checkpoints = self._record(0, n_steps, np.zeros(1), np.zeros(1)), []
        out = np.empty((targets.size, n_steps), dtype=self.dtype)
        # what a replayed segment may record beside the kept record (at least a quarter of the budget)
        budget = max(TRACE_BYTES - sum(p.nbytes + q.nbytes for p, q in self.parents), TRACE_BYTES // 4)
        end = n_steps
        for a, fw, fc in reversed(self.checkpoints):
            out[:, a:end], targets = self._replay(a, end, fw, fc, targets, budget)
            end = a
        out[:, :end], _ = self._back(self.parents, 0, targets)
        return out

    def _record(self, a: int, b: int, fw: np.ndarray, fc: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        record = []
        for n in range(a, b):
            fw, fc, parent, position = self._step(n, fw, fc)
            record.append((parent, position))
        return record

    def _back(self, record: list[tuple[np.ndarray, np.ndarray]], a: int, targets: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Options of steps a..a+len(record)-1 for the points ``targets`` of the frontier after
        them, and their ancestors in the frontier before them."""
        out = np.empty((targets.size, len(record)), dtype=self.dtype)
        for k in range(len(record) - 1, -1, -1):
            parent, position = record[k]
            out[:, k] = self.fronts[a + k].option[position[targets]]
            targets = parent[targets]
        return out, targets

    def _replay(self, a: int, b: int, fw: np.ndarray, fc: np.ndarray, targets: np.ndarray, budget: int
                ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """:meth:`_back` for steps a..b-1 from the frontier (fw, fc) before step a, recomputed,
        recording at most ``budget`` bytes at a time (one step at least)."""
        if b - a == 1 or self._bytes(a, b) <= budget:
            return self._back(self._record(a, b, fw, fc), a, targets)
        half = np.cumsum([int(self.sizes[n + 1]) * (4 + self._position_bytes(n)) for n in range(a, b)])
        m = a + int(np.clip(np.searchsorted(half, half[-1] / 2), 1, b - a - 1))
        gw, gc = fw, fc
        for n in range(a, m):
            gw, gc = self._step(n, gw, gc)[:2]
        right, middle = self._replay(m, b, gw, gc, targets, budget)
        del gw, gc
        middle, inverse = np.unique(middle, return_inverse=True)
        left, before = self._replay(a, m, fw, fc, middle, budget)
        return np.hstack([left[inverse], right]), before[inverse]


def _additive_front(problem: Problem, resource: str, cap: float) -> _Points:
    """The exact front of Σcost against Σresource (layer-pipelined): the DP over frontiers."""
    weight, cost = problem.table[resource], problem.layer_cost()
    ok = problem.valid & (weight <= cap)
    fronts = layer_fronts(cost, weight, ok)
    if any(f.option.size == 0 for f in fronts):
        return _Points.empty(problem.n_layers, True)
    # the lightest optimum (least cost, then least resource) and the lightest design bound the
    # useful region: a design heavier than the first or costlier than the second is dominated
    w_rest = np.concatenate([np.cumsum([f.weight[0] for f in fronts][::-1])[::-1], [0.0]])
    c_rest = np.concatenate([np.cumsum([f.cost[-1] for f in fronts][::-1])[::-1], [0.0]])
    heavy = float(lp_total(np.array([f.weight[-1] for f in fronts])))
    costly = float(lp_total(np.array([f.cost[0] for f in fronts])))
    slack = PRUNE
    w_limit = min(heavy * (1 + slack) + slack, cap * (1 + slack))
    limits = [Limits(float(w_rest[n + 1]), w_limit, float(c_rest[n + 1]), costly * (1 + slack) + slack)
              for n in range(len(fronts))]  # fmt: skip
    model = problem.model
    where = [f"model {model.name!r}, layer {n} ({model[n].name!r})" for n in range(len(fronts))]
    trace = _Trace(fronts, limits, problem.n_options, where)
    fw, fc = trace.run()
    trace.final = np.flatnonzero(fw <= cap)
    return _Points(fw[trace.final], fc[trace.final], fc[trace.final], trace, True)


# -- the throughput front -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Thresholds:
    """Designs of the throughput front: at bottleneck ``t[i]`` every layer takes its least-resource
    option with runtime <= t[i] (per layer: ``runtimes`` ascending on its (runtime, resource)
    frontier and their ``options``)."""

    runtimes: list[np.ndarray]
    options: list[np.ndarray]
    t: np.ndarray
    dtype: type[np.signedinteger[Any]]

    @property
    def batch(self) -> int:
        return CHUNK

    def rows(self, idx: np.ndarray) -> np.ndarray:
        t = self.t[idx]
        out = np.empty((t.size, len(self.runtimes)), dtype=self.dtype)
        for n, (r, o) in enumerate(zip(self.runtimes, self.options, strict=True)):
            out[:, n] = o[np.searchsorted(r, t, side="right") - 1]
        return out


def _throughput_front(problem: Problem, resource: str, cap: float) -> _Points:
    """For every candidate bottleneck T, the least-resource design with every stage value (e.g.
    runtime) <= T.  Only the values where some layer's choice changes (its (stage value,
    resource) frontier) are candidates; resource totals are summed layer by layer (the budgets'
    order) over all of them at once: memory O(candidates), not candidates × layers."""
    weight = problem.table[resource]
    fronts = layer_fronts(weight, problem.layer_cost(), problem.valid & (weight <= cap))
    if any(f.option.size == 0 for f in fronts):
        return _Points.empty(problem.n_layers, True)
    # f.weight: runtimes ascending, f.cost: resource descending; below the slowest layer's fastest
    # option nothing is feasible, above the slowest of the lightest options nothing changes
    lo = max(float(f.weight[0]) for f in fronts)
    hi = max(float(f.weight[-1]) for f in fronts)
    ts = np.unique(np.concatenate([f.weight for f in fronts]))
    ts = ts[(ts >= lo) & (ts <= hi)]
    used, slowest = np.zeros(ts.size), np.zeros(ts.size)
    for f in fronts:  # in layer order: the same sum as lp_total
        j = np.searchsorted(f.weight, ts, side="right") - 1
        used = used + f.cost[j]  # 0 + x is x: the first layer's values start the sum exactly
        slowest = np.maximum(slowest, f.weight[j])
    keep = np.flatnonzero(used <= cap)
    keep = keep[frontier(used[keep], slowest[keep])]
    designs = _Thresholds([f.weight for f in fronts], [f.option for f in fronts], ts[keep], _small(problem.n_options))
    return _Points(used[keep], slowest[keep], slowest[keep], designs, True)


# -- other fronts: exact solves at several budgets ------------------------------------------------


def _swept_front(problem: Problem, resource: str, levels: int) -> _Points:
    """Designs from the exact solver at ``levels`` budgets on ``resource`` between the lightest
    design and the optimum under the platform's budgets, with certified bounds: a design using
    u of the resource is bounded by the largest solver bound among the levels b >= u."""
    pl, model = problem.platform, problem.model

    def used(choices: np.ndarray) -> np.ndarray:
        return pl.limits.usage(problem.per_layer(choices, pl.limits.needs((resource,))), (resource,))[resource]

    best = solve_exact(problem)
    if best.choice is None:
        return _Points.empty(problem.n_layers, False)
    lightest = np.argmin(np.where(problem.valid, problem.table[resource], np.inf), axis=1)
    hi = float(used(best.choice[None, :])[0])
    lo = min(float(used(lightest[None, :])[0]), hi)
    cap = float(pl.budgets.get(resource, np.inf))
    found, level_b, level_lb = [best.choice], [np.inf], [best.lower_bound]
    for b in np.unique(lo + (hi - lo) * np.linspace(0.0, 1.0, levels)):
        limits = {**pl.budgets, resource: float(min(b, cap))}
        r = solve_exact(Problem(model, dataclasses.replace(pl, budgets=limits), problem.objective))
        if r.choice is not None:
            found.append(r.choice)
        level_b.append(float(b))
        level_lb.append(r.lower_bound if r.choice is not None else (np.inf if r.exact else np.nan))
    choices = np.stack(found)
    lb, bb = np.nan_to_num(np.array(level_lb), nan=-np.inf), np.array(level_b)
    bound = np.array([np.max(lb[bb >= u]) for u in used(choices)])
    return _scored(problem, resource, choices, bound)
