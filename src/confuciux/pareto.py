"""``confuciux.pareto_front(model, platform, objective, resource)``: every Pareto-optimal (resource,
objective) design of a model over the platform's action space (docs/problem.md, "Trade-off
fronts").

* Layer-pipelined, additive (``latency``, ``energy``), no budget other than on ``resource`` — exact, in one
  pass: the exact solver's dynamic program over (Σresource, Σcost) frontiers
  (:mod:`confuciux.search.frontier`) keeps every point instead of stopping at a budget, and the
  design of every point is recovered from the recorded parents.  Partial designs that cannot
  lead to a point of the final front are pruned: a partial design heavier than the lightest
  optimum (plus the least resource of the layers left), or slower than the lightest design, is
  dominated by that design.
* Layer-pipelined, bottleneck (``throughput``), no other budget — exact: for every candidate bottleneck T each
  layer takes its least-resource option with runtime <= T.
* Otherwise (LS, ``edp``, or budgets on other resources, which stay constraints): the designs
  the exact solver returns at ``levels`` budgets on ``resource`` spread between the lightest
  design and the unconstrained optimum, reduced to their frontier; ``bound[i]`` is a certified
  lower bound on the objective of any design using at most ``resource[i]`` (``exact`` False
  unless every bound is met).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .budgets import BUDGET_KEYS, lp_total
from .platform import Platform
from .search.exact import solve_exact
from .search.frontier import Parents, combine, frontier, layer_fronts
from .search.objectives import get_objective
from .search.problem import Problem
from .search.tolerances import PRUNE
from .workload import Model

__all__ = ["ParetoFront", "pareto", "pareto_front"]


@dataclass(frozen=True, eq=False)
class ParetoFront:
    """Pareto-optimal designs: ``resource`` (ascending; units of the resource: µm², mW, PEs or
    bytes) and ``objective`` (strictly descending; the objective's unit) of M points; ``bound``:
    a certified lower bound on the objective within ``resource[i]`` (equal to ``objective`` when
    ``exact``).  ``choices`` (M, N) are option indices into ``option_pes``/``option_buffers``;
    :meth:`design` decodes one; with several dataflows (``option_dataflows``: index into
    ``dataflow_names`` per option) :meth:`dataflows` gives a point's per-layer dataflows."""

    model: str
    objective_name: str
    resource_name: str
    resource: np.ndarray
    objective: np.ndarray
    bound: np.ndarray
    choices: np.ndarray
    option_pes: np.ndarray
    option_buffers: np.ndarray
    exact: bool
    platform: dict[str, Any] = dataclasses.field(default_factory=dict)
    label: str | None = None
    option_dataflows: np.ndarray | None = None
    dataflow_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.resource.size)

    def design(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) per layer of point ``i``."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not -len(self) <= i < len(self):
            raise IndexError(f"point {i!r} out of range for a front of {len(self)} points")
        c = self.choices[int(i)]
        return self.option_pes[c].copy(), self.option_buffers[c].copy()

    def dataflows(self, i: int) -> tuple[str, ...]:
        """The dataflow per layer of point ``i`` (names; see :attr:`Result.dataflows`)."""
        self.design(i)  # the same index check
        c = self.choices[int(i)]
        if self.option_dataflows is None:
            return (self.dataflow_names[0],) * int(c.size)
        return tuple(self.dataflow_names[int(d)] for d in self.option_dataflows[c])

    def best_within(self, budget: float) -> int | None:
        """Index of the best point using at most ``budget`` of the resource (its units), or None
        if even the lightest point exceeds it; :meth:`design` gives its design."""
        if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)):
            raise TypeError(f"budget must be a number, got {budget!r}")
        if math.isnan(budget):
            raise ValueError("budget must be a number, got NaN")
        i = int(np.searchsorted(self.resource, float(budget), side="right")) - 1
        return None if i < 0 else i

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write one row per point: index, resource, objective, bound, total PEs, and the
        per-layer PEs and buffers (space-separated) — and dataflows, when there are several."""
        several = self.option_dataflows is not None
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["index", self.resource_name, self.objective_name, "bound", "total_pes", "pes", "buffers"]
                       + (["dataflows"] if several else []))  # fmt: skip
            for i in range(len(self)):
                pes, bufs = self.design(i)
                numbers = [repr(float(a[i])) for a in (self.resource, self.objective, self.bound)]
                w.writerow([i, *numbers, int(pes.sum()), " ".join(map(str, pes)), " ".join(map(str, bufs))]
                           + ([" ".join(self.dataflows(i))] if several else []))  # fmt: skip

    def plot(self, ax: Any = None, label: str | None = None) -> Any:
        """Draw the front (objective against resource) with :func:`confuciux.plot.plot_fronts`
        (needs the ``plot`` extra: ``pip install confuciux[plot]``); returns the figure."""
        try:
            from .plot import plot_fronts  # type: ignore[import-not-found, attr-defined, unused-ignore]
        except ImportError as e:  # pragma: no cover - depends on the installed extras
            raise ImportError("ParetoFront.plot needs matplotlib: pip install confuciux[plot]") from e
        return plot_fronts(self, ax=ax, labels=None if label is None else [label])


def pareto(model: Model, platform: Platform, objective: str = "latency", resource: str = "area",
           levels: int = 16) -> ParetoFront:  # fmt: skip
    """Every Pareto-optimal (``resource``, ``objective``) design of ``model`` on ``platform``
    over its action space (see the module docstring for when the front is exact; ``levels``:
    budgets tried otherwise).  A budget the platform sets on ``resource`` caps the front; other
    budgets stay constraints."""
    if resource not in BUDGET_KEYS:
        raise ValueError(f"unknown resource {resource!r}; expected one of {list(BUDGET_KEYS)}")
    kind = get_objective(objective).kind
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ValueError(f"levels must be an integer >= 2, got {levels!r}")
    problem = Problem(model, platform, objective)
    others = {k: b for k, b in platform.budgets.items() if k != resource}
    cap = float(platform.budgets.get(resource, np.inf))
    if problem.uncostable.size:
        return _make(problem, resource, np.zeros((0, problem.n_layers), dtype=np.int64), np.zeros(0), True)
    if platform.deployment == "LP" and not others and kind == "additive":
        choices, bound = _additive_front(problem, resource, cap), None
    elif platform.deployment == "LP" and not others and kind == "bottleneck":
        choices, bound = _throughput_front(problem, resource, cap), None
    else:
        choices, bound = _swept_front(problem, resource, int(levels))
    return _make(problem, resource, choices, bound, bound is None)


#: The name the package exports (``confuciux.pareto_front``): ``confuciux.pareto`` is this module.
pareto_front = pareto


def _make(problem: Problem, resource: str, choices: np.ndarray, bound: np.ndarray | None, exact: bool) -> ParetoFront:
    """The front of ``choices`` (scored by the problem: the budgets' summation), frontier-reduced."""
    pl = problem.platform
    if choices.shape[0]:
        s = problem.score(choices, count=False)
        used = pl.limits.usage(problem.per_layer(choices, pl.limits.needs((resource,))), (resource,))[resource]
        ok = s.feasible & np.isfinite(s.objective)
        idx = np.flatnonzero(ok)
        keep = idx[frontier(used[idx], s.objective[idx])]
        res, obj, choices = used[keep], s.objective[keep], choices[keep]
        b = obj.copy() if bound is None else np.minimum(bound[keep], obj)
    else:
        res = obj = b = np.zeros(0)
    info = {"name": pl.name, "dataflow": pl.dataflow_label, "hardware": pl.hardware.name, "deployment": pl.deployment,
            "budgets": dict(pl.budgets), "space": pl.describe_space()}  # fmt: skip
    small = np.int16 if problem.n_options < 2**15 else np.int32  # option indices: keep big fronts compact
    res, obj, b, ch, op, ob = (np.array(a) for a in (res, obj, b, choices.astype(small), problem.pes, problem.buffers))
    for a in (res, obj, b, ch, op, ob):
        a.flags.writeable = False  # a frozen value: its arrays cannot be changed in place either
    od = None
    if len(pl.dataflows) > 1:
        od = np.array(problem.dataflow_of, dtype=np.int8)
        od.flags.writeable = False
    return ParetoFront(problem.model.name, problem.objective, resource, res, obj, b, ch, op, ob, exact, info,
                       label=pl.dataflow_label, option_dataflows=od, dataflow_names=pl.dataflows)  # fmt: skip


def _additive_front(problem: Problem, resource: str, cap: float) -> np.ndarray:
    """The exact front of Σcost against Σresource (layer-pipelined): the DP over frontiers."""
    weight, cost = problem.table[resource], problem.layer_cost()
    ok = problem.valid & (weight <= cap)
    fronts = layer_fronts(cost, weight, ok)
    if any(f.option.size == 0 for f in fronts):
        return np.zeros((0, problem.n_layers), dtype=np.int64)
    # the lightest optimum (least cost, then least resource) and the lightest design bound the
    # useful region: a design heavier than the first or costlier than the second is dominated
    w_rest = np.concatenate([np.cumsum([f.weight[0] for f in fronts][::-1])[::-1], [0.0]])
    c_rest = np.concatenate([np.cumsum([f.cost[-1] for f in fronts][::-1])[::-1], [0.0]])
    heavy = float(lp_total(np.array([f.weight[-1] for f in fronts])))
    costly = float(lp_total(np.array([f.cost[0] for f in fronts])))
    slack = PRUNE
    fw, fc = np.zeros(1), np.zeros(1)
    parents: list[Parents] = []
    for n, front in enumerate(fronts):
        def keep(w: np.ndarray, c: np.ndarray, n: int = n) -> np.ndarray:
            return np.asarray((w + w_rest[n + 1] <= heavy * (1 + slack) + slack)
                              & (c + c_rest[n + 1] <= costly * (1 + slack) + slack)
                              & (w + w_rest[n + 1] <= cap * (1 + slack)))  # fmt: skip

        fw, fc, p = combine(fw, fc, front, keep)
        parents.append(p)
    keep_final = np.flatnonzero(fw <= cap)
    return _backtrack_all(parents, keep_final)


def _backtrack_all(parents: list[Parents], last: np.ndarray) -> np.ndarray:
    """Designs (M, N) of the final frontier points ``last`` (vectorised backtrack)."""
    choices = np.empty((last.size, len(parents)), dtype=np.int64)
    for n in range(len(parents) - 1, -1, -1):
        choices[:, n] = parents[n].option[last]
        last = parents[n].parent[last]
    return choices


def _throughput_front(problem: Problem, resource: str, cap: float) -> np.ndarray:
    """For every candidate bottleneck T, the least-resource design with every stage value (e.g.
    runtime) <= T."""
    runtime = np.where(problem.valid, problem.layer_cost(), np.inf)
    weight = np.where(problem.valid & (problem.table[resource] <= cap), problem.table[resource], np.inf)
    ts = np.unique(runtime[np.isfinite(runtime)])
    n = problem.n_layers
    choices = np.empty((ts.size, n), dtype=np.int64)
    feasible = np.ones(ts.size, dtype=bool)
    for i in range(n):  # per layer: least weight among options with runtime <= T, for every T
        order = np.argsort(runtime[i], kind="stable")
        r, w = runtime[i, order], weight[i, order]
        best = np.minimum.accumulate(w)
        arg = np.maximum.accumulate(np.where(w <= best, np.arange(w.size), 0))  # position of the running min
        j = np.searchsorted(r, ts, side="right") - 1
        feasible &= (j >= 0) & np.isfinite(best[np.maximum(j, 0)])
        choices[:, i] = order[arg[np.maximum(j, 0)]]
    return choices[feasible]


def _swept_front(problem: Problem, resource: str, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Designs from the exact solver at ``levels`` budgets on ``resource`` between the lightest
    design and the optimum under the platform's budgets, with certified bounds: a design using
    u of the resource is bounded by the largest solver bound among the levels b >= u."""
    pl, model = problem.platform, problem.model

    def used(choices: np.ndarray) -> np.ndarray:
        return pl.limits.usage(problem.per_layer(choices, pl.limits.needs((resource,))), (resource,))[resource]

    best = solve_exact(problem)
    if best.choice is None:
        return np.zeros((0, problem.n_layers), dtype=np.int64), np.zeros(0)
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
    return choices, bound
