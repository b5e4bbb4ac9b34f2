"""The optimum, or a certified bound on it.

With an additive objective (latency, energy) and layer-pipelined budgets the problem is a
multiple-choice knapsack: each layer picks one option, costs and resources add up.

* One budget: exact dynamic programming over Pareto frontiers.  The frontier of (resource,
  cost) of the first i layers is merged with layer i+1's own frontier; dominated points and
  points that cannot fit the budget (even with the cheapest-resource options for the remaining
  layers) are dropped.  The result is the optimum, and ``lower_bound`` equals it.
* Several budgets: Lagrangian relaxation of all but the first, each relaxed problem solved
  exactly by the DP; returns the best feasible design met and the best dual bound (a certified
  lower bound: gap = (objective − bound) / bound).
* ``throughput`` (the slowest layer) with one LP budget: exact by thresholding — for each
  candidate bottleneck T every layer takes its least-resource option with runtime ≤ T.

Other objectives or deployments raise ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem

__all__ = ["ExactResult", "solve_exact"]


@dataclass(frozen=True)
class ExactResult:
    choice: np.ndarray | None  # option index per layer, None if nothing is feasible
    objective: float  # NaN if infeasible
    lower_bound: float
    exact: bool


def _fronts(cost: np.ndarray, weight: np.ndarray, ok: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per layer: the options on its (weight, cost) Pareto frontier, weight ascending."""
    fronts = []
    for n in range(cost.shape[0]):
        idx = np.flatnonzero(ok[n])
        order = idx[np.lexsort((cost[n, idx], weight[n, idx]))]
        c = cost[n, order]
        keep = np.ones(order.size, dtype=bool)
        keep[1:] = c[1:] < np.minimum.accumulate(c)[:-1]  # strictly cheaper than anything lighter
        o = order[keep]
        fronts.append((weight[n, o], cost[n, o], o))
    return fronts


def _hull(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of the lower convex hull of a frontier (w ascending, c descending)."""
    hull: list[int] = []
    for j in range(w.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b if it lies on or above the segment a -> j
            if (c[b] - c[a]) * (w[j] - w[a]) >= (c[j] - c[a]) * (w[b] - w[a]):
                hull.pop()
            else:
                break
        hull.append(j)
    return np.array(hull, dtype=np.int64)


class _LPBound:
    """Lower bounds from the LP relaxation: for the layers n.., the least total cost with total
    resource <= r is at least the greedy fill of their convex hulls (a convex, piecewise-linear
    function of r)."""

    def __init__(self, fronts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.base_w, self.base_c, self.cum_w, self.cum_c, self.slope = [], [], [], [], []
        segs_w: list[np.ndarray] = []
        segs_c: list[np.ndarray] = []
        for w, c, _ in fronts:
            h = _hull(w, c)
            segs_w.append(np.diff(w[h]))
            segs_c.append(np.diff(c[h]))
        n = len(fronts)
        for start in range(n + 1):
            dw = np.concatenate(segs_w[start:]) if start < n else np.zeros(0)
            dc = np.concatenate(segs_c[start:]) if start < n else np.zeros(0)
            order = np.argsort(dc / dw) if dw.size else np.zeros(0, dtype=np.int64)  # most efficient first
            dw, dc = dw[order], dc[order]
            self.base_w.append(sum(f[0][0] for f in fronts[start:]))
            self.base_c.append(sum(f[1][0] for f in fronts[start:]))
            self.cum_w.append(np.concatenate([[0.0], np.cumsum(dw)]))
            self.cum_c.append(np.concatenate([[0.0], np.cumsum(dc)]))
            self.slope.append(np.concatenate([dc / dw, [0.0]]) if dw.size else np.zeros(1))

    def __call__(self, start: int, room: np.ndarray) -> np.ndarray:
        """Bound for layers start.. given resource ``room`` (array); inf where nothing fits."""
        extra = room - self.base_w[start]
        cw, cc, sl = self.cum_w[start], self.cum_c[start], self.slope[start]
        j = np.clip(np.searchsorted(cw, extra, side="right") - 1, 0, cw.size - 1)
        bound = self.base_c[start] + cc[j] + np.minimum(extra - cw[j], np.inf) * sl[j]
        bound = np.where(j == cw.size - 1, self.base_c[start] + cc[-1], bound)
        return np.where(extra < 0, np.inf, bound)


def _greedy(fronts, budget: float) -> tuple[np.ndarray, float] | None:
    """A good feasible design: from the lightest options, take hull upgrades in order of cost
    saving per unit of resource while they fit (the LP relaxation's solution, rounded down)."""
    used = sum(f[0][0] for f in fronts)
    if used > budget:
        return None
    layer, vertex, dw, dc = [], [], [], []
    hulls = []
    for n, (w, c, _) in enumerate(fronts):
        h = _hull(w, c)
        hulls.append(h)
        layer.append(np.full(h.size - 1, n))
        vertex.append(np.arange(1, h.size))
        dw.append(np.diff(w[h]))
        dc.append(np.diff(c[h]))
    layer_a, vertex_a, dw_a, dc_a = (np.concatenate(x) for x in (layer, vertex, dw, dc))
    pos = np.zeros(len(fronts), dtype=np.int64)  # position on each layer's hull
    blocked = np.zeros(len(fronts), dtype=bool)
    for j in np.argsort(dc_a / dw_a, kind="stable"):
        n = layer_a[j]
        if blocked[n] or vertex_a[j] != pos[n] + 1:
            continue
        if used + dw_a[j] <= budget:
            used += dw_a[j]
            pos[n] += 1
        else:
            blocked[n] = True  # later segments of this layer would skip this one
    idx = [h[p] for h, p in zip(hulls, pos)]
    choice = np.array([f[2][i] for f, i in zip(fronts, idx)])
    return choice, float(sum(f[1][i] for f, i in zip(fronts, idx)))


def _pareto_dp(cost: np.ndarray, weight: np.ndarray, ok: np.ndarray, budget: float) -> tuple[np.ndarray | None, float]:
    """Exact min Σcost s.t. Σweight <= budget, one option per layer among ``ok``."""
    fronts = _fronts(cost, weight, ok)
    if any(f[2].size == 0 for f in fronts):
        return None, float("nan")
    incumbent = _greedy(fronts, budget)
    if incumbent is None:
        return None, float("nan")
    upper = incumbent[1] * (1 + 1e-12)
    bound = _LPBound(fronts)
    fw, fc = np.zeros(1), np.zeros(1)
    parents: list[tuple[np.ndarray, np.ndarray]] = []
    for n, (w, c, opt) in enumerate(fronts):
        cw = (fw[:, None] + w[None, :]).ravel()
        cc = (fc[:, None] + c[None, :]).ravel()
        # keep only partial designs that fit and could still beat the incumbent
        idx = np.flatnonzero(cc + bound(n + 1, budget - cw) <= upper)
        cw, cc = cw[idx], cc[idx]
        order = np.lexsort((cc, cw))
        cw, cc, idx = cw[order], cc[order], idx[order]
        keep = np.ones(cw.size, dtype=bool)
        keep[1:] = cc[1:] < np.minimum.accumulate(cc)[:-1]
        cw, cc, idx = cw[keep], cc[keep], idx[keep]
        parents.append((idx // w.size, opt[idx % w.size]))
        fw, fc = cw, cc
        if fw.size == 0:
            return incumbent  # nothing beats the incumbent: it is optimal
    best = int(np.argmin(fc))
    if fc[best] >= incumbent[1]:
        return incumbent
    choice = np.empty(len(fronts), dtype=np.int64)
    for n in range(len(fronts) - 1, -1, -1):
        parent, opt = parents[n]
        choice[n] = opt[best]
        best = int(parent[best])
    return choice, float(fc.min())


def _throughput(problem: Problem, weight: np.ndarray, ok: np.ndarray, budget: float) -> tuple[np.ndarray | None, float]:
    runtime = np.where(ok, problem.table["runtime"], np.inf)
    w = np.where(ok, weight, np.inf)
    best: tuple[np.ndarray | None, float] = (None, float("nan"))
    candidates = np.unique(runtime[np.isfinite(runtime)])
    lo, hi = 0, candidates.size - 1
    while lo <= hi:  # the smallest bottleneck T whose least-resource design fits
        mid = (lo + hi) // 2
        t = candidates[mid]
        masked = np.where(runtime <= t, w, np.inf)
        choice = np.argmin(masked, axis=1)
        total = masked[np.arange(len(choice)), choice].sum()
        if np.isfinite(total) and total <= budget:
            best = (choice, float(runtime[np.arange(len(choice)), choice].max()))
            hi = mid - 1
        else:
            lo = mid + 1
    return best


def solve_exact(problem: Problem, max_iterations: int = 40) -> ExactResult:
    """The optimum of ``problem`` (see the module docstring for what is supported)."""
    pl = problem.platform
    if pl.deployment != "LP" and pl.budgets:
        raise ValueError("the exact solver handles layer-pipelined (LP) budgets only")
    if problem.objective == "edp":
        raise ValueError("the exact solver needs an additive objective (latency, energy) or throughput; edp is a product")
    ok = problem.valid.copy()
    weights = [problem.table[k] for k in pl.budgets]
    budgets = list(pl.budgets.values())
    for w, b in zip(weights, budgets):
        ok &= w <= b  # an option heavier than the whole budget can never be chosen
    if problem.objective == "throughput":
        if len(budgets) > 1:
            raise ValueError("the exact throughput solver handles one budget")
        w = weights[0] if weights else np.zeros_like(problem.table["runtime"])
        b = budgets[0] if budgets else np.inf
        choice, value = _throughput(problem, w, ok, b)
        return _finish(problem, choice, value, exact=True)
    cost = problem.layer_cost()
    if not budgets:
        masked = np.where(ok, cost, np.inf)
        choice = np.argmin(masked, axis=1)
        if not np.all(np.isfinite(masked[np.arange(len(choice)), choice])):
            return ExactResult(None, float("nan"), float("nan"), True)
        return _finish(problem, choice, float(masked[np.arange(len(choice)), choice].sum()), exact=True)
    if len(budgets) == 1:
        choice, value = _pareto_dp(cost, weights[0], ok, budgets[0])
        return _finish(problem, choice, value, exact=True)
    return _lagrangian(problem, cost, weights, budgets, ok, max_iterations)


def _lagrangian(problem, cost, weights, budgets, ok, iterations) -> ExactResult:
    """Relax budgets 2..m with multipliers (subgradient steps); each subproblem exact."""
    scale = [np.nanmax(np.where(ok, w, np.nan)) or 1.0 for w in weights]
    unit = float(np.nanmedian(np.where(ok, cost, np.nan)))
    lam = np.zeros(len(budgets) - 1)
    best_choice, best_value, bound = None, np.inf, -np.inf
    step = 1.0
    for _ in range(iterations):
        relaxed = cost + sum(l * unit / s * w for l, s, w in zip(lam, scale[1:], weights[1:]))
        choice, value = _pareto_dp(relaxed, weights[0], ok, budgets[0])
        if choice is None:
            return ExactResult(None, float("nan"), float("nan"), False)
        rows = np.arange(len(choice))
        bound = max(bound, value - sum(l * unit / s * b for l, s, b in zip(lam, scale[1:], budgets[1:])))
        used = np.array([w[rows, choice].sum() for w in weights[1:]])
        if np.all(used <= np.array(budgets[1:])):
            v = float(cost[rows, choice].sum())
            if v < best_value:
                best_choice, best_value = choice, v
        excess = (used - np.array(budgets[1:])) / np.array(scale[1:]) * len(choice)
        lam = np.maximum(0.0, lam + step * excess)
        step *= 0.9
        if best_choice is not None and best_value - bound <= 1e-9 * abs(best_value):
            break
    if best_choice is None:
        return ExactResult(None, float("nan"), float(bound), False)
    return ExactResult(best_choice, best_value, float(bound), best_value - bound <= 1e-9 * abs(best_value))


def _finish(problem: Problem, choice, value: float, exact: bool) -> ExactResult:
    if choice is None:
        return ExactResult(None, float("nan"), float("nan"), exact)
    return ExactResult(np.asarray(choice, dtype=np.int64), float(value), float(value), exact)
