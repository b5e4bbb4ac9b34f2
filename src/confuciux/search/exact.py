"""The optimum, or a certified bound on it.

With an additive objective (latency, energy) and layer-pipelined budgets the problem is a
multiple-choice knapsack: each layer picks one option, costs and resources add up.

* One budget: exact dynamic programming over Pareto frontiers.  The frontier of (resource,
  cost) of the first i layers is merged with layer i+1's own frontier; dominated points and
  points that cannot fit the budget (even with the cheapest-resource options for the remaining
  layers) are dropped.  The result is the optimum, and ``lower_bound`` equals it.
* Several budgets: Lagrangian relaxation of all but the first, each relaxed problem solved
  exactly by the DP (with two budgets the multiplier is found by bisection, so the bound is the
  best Lagrangian bound); then a branch and bound over partial designs, pruned by that bound and
  by the best feasible design met, proves the optimum.  If the branch and bound would hold more
  than two million partial designs at a layer, the best feasible design is returned with
  the dual bound (a certified lower bound: gap = (objective − bound) / bound).
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
    idx = [h[p] for h, p in zip(hulls, pos, strict=False)]
    choice = np.array([f[2][i] for f, i in zip(fronts, idx, strict=False)])
    return choice, float(sum(f[1][i] for f, i in zip(fronts, idx, strict=False)))


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
    for w, b in zip(weights, budgets, strict=False):
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
    """Relax budgets 2..m with multipliers, each relaxed problem solved exactly by the DP (one
    multiplier: bisection on the sign of the dual's subgradient, which finds the best one;
    several: subgradient steps); then close the remaining gap by branch and bound
    (:func:`_multi_dp`)."""
    rows = np.arange(cost.shape[0])
    caps = np.array(budgets[1:], dtype=np.float64)
    scale = np.array([np.nanmax(np.where(ok, w, np.nan)) or 1.0 for w in weights[1:]])
    unit = float(np.nanmedian(np.where(ok, cost, np.nan)))
    best = {"choice": None, "value": np.inf, "bound": -np.inf, "mu": np.zeros(caps.size)}

    def probe(mu: np.ndarray) -> np.ndarray | None:
        """Solve the problem relaxed with multipliers ``mu``; record its dual bound and, if it
        fits every budget, the design.  Returns its use of budgets 2..m minus their limits."""
        relaxed = cost + sum(u * w for u, w in zip(mu, weights[1:], strict=False))
        choice, value = _pareto_dp(relaxed, weights[0], ok, budgets[0])
        if choice is None:
            return None
        dual = value - float(np.dot(mu, caps))
        if dual > best["bound"]:
            best["bound"], best["mu"] = dual, mu
        excess = np.array([w[rows, choice].sum() for w in weights[1:]]) - caps
        if np.all(excess <= 0):
            v = float(cost[rows, choice].sum())
            if v < best["value"]:
                best["choice"], best["value"] = choice, v
        return excess

    def closed() -> bool:
        return best["choice"] is not None and best["value"] - best["bound"] <= 1e-9 * abs(best["value"])

    if probe(np.zeros(caps.size)) is None:  # the first budget alone cannot be met
        return ExactResult(None, float("nan"), float("nan"), True)
    if caps.size == 1 and not closed():
        # nothing fits both budgets if even the lightest design under budget 1 exceeds budget 2
        lightest, least = _pareto_dp(weights[1], weights[0], ok, budgets[0])
        if lightest is None or least > caps[0] * (1 + 1e-12):
            return ExactResult(None, float("nan"), float("nan"), True)
        lo, hi = 0.0, unit / scale[0]
        while (e := probe(np.array([hi]))) is not None and e[0] > 0 and hi < 1e300:
            lo, hi = hi, 4.0 * hi
        for _ in range(iterations):
            if closed() or hi - lo <= 1e-12 * hi:
                break
            mid = 0.5 * (lo + hi)
            e = probe(np.array([mid]))
            if e is not None and e[0] > 0:
                lo = mid
            else:
                hi = mid
    elif not closed():
        lam, step = np.zeros(caps.size), 1.0
        for _ in range(iterations):
            e = probe(lam * unit / scale)
            if e is None or closed():
                break
            lam = np.maximum(0.0, lam + step * e / scale * cost.shape[0])
            step *= 0.9
    if best["choice"] is not None and not closed():
        best["choice"], best["value"] = _improve(cost, weights, budgets, ok, best["choice"])
    choice, value, bound = best["choice"], best["value"], best["bound"]
    if closed():  # the dual bound may exceed the value by rounding
        return ExactResult(choice, value, float(min(bound, value)), True)
    found = _multi_dp(cost, weights, budgets, ok, best["mu"], value)
    if found is None:  # too many partial designs: keep the certified bound
        return ExactResult(choice, value if choice is not None else float("nan"), float(bound), False)
    if found[0] is None:  # nothing beats the incumbent: it is optimal (or nothing is feasible)
        if choice is None:
            return ExactResult(None, float("nan"), float("nan"), True)
        return ExactResult(choice, value, value, True)
    return ExactResult(found[0], found[1], found[1], True)


def _improve(cost, weights, budgets, ok, choice) -> tuple[np.ndarray, float]:
    """Local search on a feasible design: repeatedly move the one layer whose change saves the
    most cost while every budget still holds.  A better incumbent prunes :func:`_multi_dp`."""
    rows = np.arange(cost.shape[0])
    choice = choice.copy()
    c = np.where(ok, cost, np.inf)
    for _ in range(cost.size):
        fits = ok.copy()
        for w, b in zip(weights, budgets, strict=False):
            fits &= w - w[rows, choice][:, None] <= b - w[rows, choice].sum()
        gain = np.where(fits, c - c[rows, choice][:, None], 0.0)
        n, o = np.unravel_index(int(np.argmin(gain)), gain.shape)
        if not gain[n, o] < 0:
            break
        moved = choice.copy()
        moved[n] = o
        if any(w[rows, moved].sum() > b for w, b in zip(weights, budgets, strict=False)):
            break  # over a budget by rounding: stop at the last design that surely fits
        choice = moved
    return choice, float(cost[rows, choice].sum())


def _multi_dp(cost, weights, budgets, ok, mu, incumbent: float, max_candidates: int = 2_000_000):
    """Exact min Σcost under several budgets, given an incumbent value: dynamic programming over
    partial designs (layers 1..n) that keeps a partial design only if it still fits every
    budget and its cost plus a Lagrangian bound on the remaining layers (multipliers ``mu`` on
    budgets 2..m, LP relaxation of budget 1) can beat the incumbent.  Partial designs dominated
    by one with the same budget-1 use and no more of the others are dropped.  Returns (choice,
    value), (None, nan) if nothing beats the incumbent, or None if a layer would expand into more
    than ``max_candidates`` partial designs (memory stays bounded)."""
    n_layers = cost.shape[0]
    m = len(budgets)
    relaxed = cost + sum(u * w for u, w in zip(mu, weights[1:], strict=False))
    bound = _LPBound(_fronts(relaxed, weights[0], ok))
    cap = np.array(budgets, dtype=np.float64)
    lightest = np.array([[np.min(np.where(ok[n], w[n], np.inf)) for w in weights] for n in range(n_layers)])
    rest = np.concatenate([np.cumsum(lightest[::-1], axis=0)[::-1], np.zeros((1, m))])  # (N+1, m)
    upper = incumbent * (1 - 1e-12)
    sw, sc = np.zeros((1, m)), np.zeros(1)
    parents: list[tuple[np.ndarray, np.ndarray]] = []
    for n in range(n_layers):
        opts = _dominant_options(cost[n], [w[n] for w in weights], ok[n])
        ow = np.stack([w[n, opts] for w in weights], axis=1)  # (L, m)
        if sc.size * opts.size > max_candidates:
            return None
        cw = (sw[:, None, :] + ow[None, :, :]).reshape(-1, m)
        cc = (sc[:, None] + cost[n, opts][None, :]).ravel()
        keep = np.all(cw + rest[n + 1] <= cap, axis=1)
        # relaxed remainder: Σc_rest >= LP(room_1; c + mu·w) - mu·room_{2..m}
        room = cap - cw
        lower = cc + np.maximum(bound(n + 1, room[:, 0]) - room[:, 1:] @ mu, 0.0)
        idx = np.flatnonzero(keep & (lower < upper))
        idx = idx[_undominated(cw[idx], cc[idx])]
        parents.append((idx // opts.size, opts[idx % opts.size]))
        sw, sc = cw[idx], cc[idx]
        if sc.size == 0:
            return None, float("nan")
    best = int(np.argmin(sc))
    value = float(sc[best])
    choice = np.empty(n_layers, dtype=np.int64)
    for n in range(n_layers - 1, -1, -1):
        parent, opt = parents[n]
        choice[n] = opt[best]
        best = int(parent[best])
    return choice, value


def _dominant_options(cost: np.ndarray, weights: list[np.ndarray], ok: np.ndarray) -> np.ndarray:
    """A layer's options not dominated in (cost, every weight) by another option (among
    identical points the first is kept)."""
    idx = np.flatnonzero(ok)
    if len(weights) == 2:
        return idx[_undominated_3d(cost[idx], weights[0][idx], weights[1][idx])]
    pts = np.stack([cost[idx]] + [w[idx] for w in weights], axis=1)  # (L, 1+m)
    le = np.all(pts[:, None, :] <= pts[None, :, :], axis=2)  # le[a, b]: a no worse than b
    lt = np.any(pts[:, None, :] < pts[None, :, :], axis=2)
    dominated = np.any(le & lt, axis=0)
    same = np.all(pts[:, None, :] == pts[None, :, :], axis=2)
    dominated |= np.any(np.triu(same, 1), axis=0)
    return idx[~dominated]


def _undominated_3d(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated in (a, b, c), the first of identical ones kept.

    Sorted by (a, b, c), a point is dominated exactly when an earlier one has b and c no larger;
    that query is a prefix minimum of c over (position, rank of b), an L × R table where R is
    the number of distinct values of the coordinate with fewer of them (swapped into b)."""
    if np.unique(a).size < np.unique(b).size:
        a, b = b, a
    order = np.lexsort((c, b, a))
    bs, cs = b[order], c[order]
    rank = np.unique(bs, return_inverse=True)[1].ravel()
    n, r = order.size, int(rank.max()) + 1 if order.size else 0
    table = np.full((n, r), np.inf)
    table[np.arange(n), rank] = cs
    np.minimum.accumulate(table, axis=0, out=table)
    np.minimum.accumulate(table, axis=1, out=table)
    dominated = np.zeros(n, dtype=bool)
    dominated[1:] = table[np.arange(n - 1), rank[1:]] <= cs[1:]
    return np.sort(order[~dominated])


def _undominated(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of partial designs not dominated by another with the same first weight and no
    more of the others (two budgets: exact within each first-weight group; more: identical
    weights only)."""
    m = w.shape[1]
    if m == 2:
        order = np.lexsort((c, w[:, 1], w[:, 0]))
    else:
        order = np.lexsort((c,) + tuple(w[:, j] for j in range(m - 1, -1, -1)))
    ws, cs = w[order], c[order]
    group = np.concatenate([[0], np.cumsum(np.any(ws[1:, :1] != ws[:-1, :1], axis=1) if m == 2 else np.any(ws[1:] != ws[:-1], axis=1))])
    # running minimum of cost within each group, exactly, on integer ranks
    rank = np.unique(cs, return_inverse=True)[1].astype(np.int64)
    shifted = rank - group * (rank.size + 1)
    run = np.minimum.accumulate(shifted)
    keep = np.ones(cs.size, dtype=bool)
    keep[1:] = shifted[1:] < run[:-1]  # strictly cheaper than everything before it in its group
    first = np.concatenate([[True], group[1:] != group[:-1]])
    keep |= first
    return order[keep]


def _finish(problem: Problem, choice, value: float, exact: bool) -> ExactResult:
    if choice is None:
        return ExactResult(None, float("nan"), float("nan"), exact)
    return ExactResult(np.asarray(choice, dtype=np.int64), float(value), float(value), exact)
