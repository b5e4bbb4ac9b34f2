"""Minimum Σ cost over layers, one option per layer, under layer-pipelined budgets: a
multiple-choice knapsack, solved exactly or with a certified bound (docs/problem.md).

* No budget: each layer's cheapest option.
* One budget: dynamic programming over Pareto frontiers (:mod:`confuciux.search.frontier`),
  pruned by a feasible design from the LP relaxation and, for every suffix of layers, the LP
  relaxation's lower bound as a function of the resource left.  Exact.
* Several budgets: Lagrangian relaxation of budgets 2..m (each relaxed problem solved by the DP;
  one multiplier found by bisection, several by subgradient steps), a local search on the best
  feasible design, then a branch and bound over partial designs that proves the optimum, or
  stops at ``max_candidates`` partial designs with the certified dual bound.

Budget feasibility follows :mod:`confuciux.budgets`: resource totals are built layer by layer in
the model's order (bit for bit :func:`~confuciux.budgets.lp_total`) and compared without
tolerance; bounds on the remaining layers prune only with a relative tolerance
(:data:`~confuciux.search.tolerances.PRUNE`) of the budget (so a design at the boundary is never
pruned), and every design returned is checked with :func:`~confuciux.budgets.lp_total`.

Every solve returns an :class:`ExactResult`, the exact solver's one result type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._deprecation import deprecated
from ..budgets import lp_total
from .frontier import Front, Parents, backtrack, combine, layer_fronts
from .tolerances import GAP, PRUNE, ROUNDING, TINY

__all__ = ["ExactResult", "min_cost"]

_TOL = PRUNE  # relative slack of resource bounds used for pruning (never for the final decision)


@dataclass(frozen=True)
class ExactResult:
    """What the exact solver returns (:func:`~confuciux.search.exact.solve_exact`, and
    :func:`min_cost` inside it).  ``choice``: option index per layer, None if nothing is
    feasible; ``objective``: its value (NaN if None); ``lower_bound``: a certified lower bound on
    the optimum (NaN if infeasible); ``exact``: proven optimal (or proven infeasible)."""

    choice: np.ndarray | None
    objective: float
    lower_bound: float
    exact: bool


_INFEASIBLE = ExactResult(None, float("nan"), float("nan"), True)


def __getattr__(name: str) -> Any:
    if name == "Solution":  # merged into ExactResult (value -> objective, bound -> lower_bound)
        deprecated("knapsack.Solution", "ExactResult (fields objective, lower_bound)")
        return ExactResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fits(weights: Sequence[np.ndarray], budgets: Sequence[float], choice: np.ndarray) -> bool:
    rows = np.arange(choice.size)
    return all(float(lp_total(w[rows, choice])) <= b for w, b in zip(weights, budgets, strict=True))


def _hulls(fronts: list[Front]) -> list[np.ndarray]:
    """Lower convex hull (indices into each front) of every layer's front, all layers at once:
    repeatedly drop every interior point on or above the segment of its two neighbours (such a
    point is never a hull vertex, so dropping several at once is safe) until none is."""
    sizes = np.array([f.weight.size for f in fronts])
    w = np.concatenate([f.weight for f in fronts])
    c = np.concatenate([f.cost for f in fronts])
    layer = np.repeat(np.arange(len(fronts)), sizes)
    pos = np.concatenate([np.arange(k) for k in sizes])
    while True:
        interior = np.zeros(w.size, dtype=bool)
        interior[1:-1] = (layer[1:-1] == layer[:-2]) & (layer[1:-1] == layer[2:])
        i = np.flatnonzero(interior)
        above = (c[i] - c[i - 1]) * (w[i + 1] - w[i - 1]) >= (c[i + 1] - c[i - 1]) * (w[i] - w[i - 1])
        if not np.any(above):
            break
        alive = np.ones(w.size, dtype=bool)
        alive[i[above]] = False
        w, c, layer, pos = w[alive], c[alive], layer[alive], pos[alive]
    bounds = np.searchsorted(layer, np.arange(len(fronts) + 1))
    return [pos[bounds[n] : bounds[n + 1]] for n in range(len(fronts))]


class _LPBound:
    """Lower bounds from the LP relaxation: for the layers n.., the least total cost with total
    resource <= r is at least the greedy fill of their convex hulls (a convex, piecewise-linear
    function of r).  The hull segments of all layers are sorted once by cost per resource; the
    bound for layers n.. takes those of layers >= n in that order (computed per call: memory
    O(segments))."""

    def __init__(self, fronts: list[Front], hulls: list[np.ndarray], budget: float) -> None:
        self.tol = _TOL * abs(budget)
        dw = np.concatenate([np.diff(f.weight[h]) for f, h in zip(fronts, hulls, strict=True)])
        dc = np.concatenate([np.diff(f.cost[h]) for f, h in zip(fronts, hulls, strict=True)])
        layer = np.repeat(np.arange(len(fronts)), [h.size - 1 for h in hulls])
        order = np.argsort(dc / dw, kind="stable")  # most efficient first
        self.layer, self.dw, self.dc = layer[order], dw[order], dc[order]
        self.slope = self.dc / self.dw
        lightest_w = np.array([f.weight[0] for f in fronts] + [0.0])
        lightest_c = np.array([f.cost[0] for f in fronts] + [0.0])
        self.base_w = np.cumsum(lightest_w[::-1])[::-1]
        self.base_c = np.cumsum(lightest_c[::-1])[::-1]
        self.n = len(fronts)
        self._start = -1
        self._cw = self._cc = self._sl = np.zeros(1)

    def _prepare(self, start: int) -> None:
        if start != self._start:
            mask = self.layer >= start
            self._cw = np.concatenate([[0.0], np.cumsum(self.dw[mask])])
            self._cc = np.concatenate([[0.0], np.cumsum(self.dc[mask])])
            self._sl = np.concatenate([self.slope[mask], [0.0]])
            self._start = start

    def __call__(self, start: int, room: np.ndarray) -> np.ndarray:
        """Bound for layers start.. given resource ``room`` (array); inf where nothing fits (for
        start < N with the pruning tolerance; exactly for start = N, no layer left)."""
        self._prepare(start)
        extra = room - self.base_w[start]
        cw, cc, sl = self._cw, self._cc, self._sl
        e = np.maximum(extra, 0.0)
        j = np.clip(np.searchsorted(cw, e, side="right") - 1, 0, cw.size - 1)
        bound = self.base_c[start] + cc[j] + (e - cw[j]) * sl[j]
        bound = np.where(j == cw.size - 1, self.base_c[start] + cc[-1], bound)
        tol = 0.0 if start == self.n else self.tol
        return np.asarray(np.where(extra < -tol, np.inf, bound))


def _greedy(fronts: list[Front], hulls: list[np.ndarray], budget: float) -> tuple[np.ndarray, float] | None:
    """A good feasible design: from the lightest options, take hull upgrades in order of cost
    saving per unit of resource while they fit (the LP relaxation's solution, rounded down).
    None if even the lightest design exceeds the budget."""
    lightest = np.array([f.weight[0] for f in fronts])
    if float(lp_total(lightest)) > budget:
        return None
    used = float(np.sum(lightest))
    layer_a = np.repeat(np.arange(len(fronts)), [h.size - 1 for h in hulls])
    vertex_a = np.concatenate([np.arange(1, h.size) for h in hulls])
    dw_a = np.concatenate([np.diff(f.weight[h]) for f, h in zip(fronts, hulls, strict=True)])
    dc_a = np.concatenate([np.diff(f.cost[h]) for f, h in zip(fronts, hulls, strict=True)])
    pos = np.zeros(len(fronts), dtype=np.int64)  # position on each layer's hull
    blocked = np.zeros(len(fronts), dtype=bool)
    margin = _TOL * abs(budget)  # upgrades are summed out of order: keep a margin, check below
    for j in np.argsort(dc_a / dw_a, kind="stable"):
        n = layer_a[j]
        if blocked[n] or vertex_a[j] != pos[n] + 1:
            continue
        if used + dw_a[j] <= budget - margin:
            used += dw_a[j]
            pos[n] += 1
        else:
            blocked[n] = True  # later segments of this layer would skip this one
    idx = [int(h[p]) for h, p in zip(hulls, pos, strict=True)]
    choice = np.array([f.option[i] for f, i in zip(fronts, idx, strict=True)], dtype=np.int64)
    if float(lp_total(np.array([f.weight[i] for f, i in zip(fronts, idx, strict=True)]))) > budget:
        choice = np.array([f.option[0] for f in fronts], dtype=np.int64)  # the lightest surely fits
        idx = [0] * len(fronts)
    return choice, float(lp_total(np.array([f.cost[i] for f, i in zip(fronts, idx, strict=True)])))


def one_budget(cost: np.ndarray, weight: np.ndarray, ok: np.ndarray, budget: float) -> tuple[np.ndarray | None, float]:
    """Exact min Σcost s.t. Σweight <= budget, one option per layer among ``ok`` (N, G):
    (choice, value), or (None, nan) if nothing fits."""
    fronts = layer_fronts(cost, weight, ok)
    if any(f.option.size == 0 for f in fronts):
        return None, float("nan")
    hulls = _hulls(fronts)
    incumbent = _greedy(fronts, hulls, budget)
    if incumbent is None:
        return None, float("nan")
    upper = incumbent[1] * (1 + ROUNDING)
    bound = _LPBound(fronts, hulls, budget)
    fw, fc = np.zeros(1), np.zeros(1)
    parents: list[Parents] = []
    for n, front in enumerate(fronts):
        # keep only partial designs that fit and could still beat the incumbent
        def keep(cw: np.ndarray, cc: np.ndarray, n: int = n) -> np.ndarray:
            return np.asarray(cc + bound(n + 1, budget - cw) <= upper)

        fw, fc, p = combine(fw, fc, front, keep)
        parents.append(p)
        if fw.size == 0:
            return incumbent  # nothing beats the incumbent: it is optimal
    best = int(np.argmin(fc))
    if fc[best] >= incumbent[1]:
        return incumbent
    return backtrack(parents, best), float(fc[best])


def min_cost(cost: np.ndarray, weights: Sequence[np.ndarray], budgets: Sequence[float], ok: np.ndarray,
             iterations: int = 40, max_candidates: int = 2_000_000) -> ExactResult:  # fmt: skip
    """Min Σ cost (N, G) over designs using options ``ok`` (N, G) with Σ weights[b] <= budgets[b]
    for every b (layer-pipelined).  Options heavier than a whole budget are excluded here."""
    ok = ok & np.isfinite(cost)
    for w, b in zip(weights, budgets, strict=True):
        ok = ok & (w <= b)  # an option heavier than the whole budget can never be chosen
    if not budgets:
        masked = np.where(ok, cost, np.inf)
        choice = np.argmin(masked, axis=1)
        values = masked[np.arange(choice.size), choice]
        if not np.all(np.isfinite(values)):
            return _INFEASIBLE
        v = float(lp_total(values))
        return ExactResult(choice, v, v, True)
    if len(budgets) == 1:
        choice, value = one_budget(cost, weights[0], ok, budgets[0])
        return _INFEASIBLE if choice is None else ExactResult(choice, value, value, True)
    return _Lagrangian(cost, list(weights), list(budgets), ok, max_candidates).solve(iterations)


class _Lagrangian:
    """Budgets 2..m relaxed with multipliers, each relaxed problem solved exactly by the DP (one
    multiplier: bisection on the sign of the dual's subgradient, which finds the best one;
    several: subgradient steps); then the remaining gap closed by branch and bound
    (:func:`_multi_dp`)."""

    def __init__(self, cost: np.ndarray, weights: list[np.ndarray], budgets: list[float], ok: np.ndarray,
                 max_candidates: int) -> None:  # fmt: skip
        self.cost, self.weights, self.budgets, self.ok = cost, weights, budgets, ok
        self.max_candidates = max_candidates
        self.rows = np.arange(cost.shape[0])
        self.caps = np.array(budgets[1:], dtype=np.float64)
        self.scale = np.array([np.nanmax(np.where(ok, w, np.nan)) or 1.0 for w in weights[1:]])
        self.unit = float(np.nanmedian(np.where(ok, cost, np.nan)))
        self.choice: np.ndarray | None = None
        self.value = np.inf
        self.bound = -np.inf
        self.mu = np.zeros(self.caps.size)
        self.lo_design: np.ndarray | None = None  # the relaxed design just over budget 2 (bisection)
        self.last: np.ndarray | None = None
        self.last_dual = -np.inf
        self.last_excess = 0.0

    def probe(self, mu: np.ndarray) -> np.ndarray | None:
        """Solve the problem relaxed with multipliers ``mu``; record its dual bound and, if it
        fits every budget, the design.  Returns its use of budgets 2..m minus their limits."""
        relaxed = self.cost + sum(u * w for u, w in zip(mu, self.weights[1:], strict=True))
        choice, value = one_budget(relaxed, self.weights[0], self.ok, self.budgets[0])
        self.last = choice
        if choice is None:
            return None
        dual = value - float(np.dot(mu, self.caps))
        self.last_dual = dual
        if dual > self.bound:
            self.bound, self.mu = dual, mu
        used = np.array([float(lp_total(w[self.rows, choice])) for w in self.weights[1:]])
        if np.all(used <= self.caps):
            v = float(lp_total(self.cost[self.rows, choice]))
            if v < self.value:
                self.choice, self.value = choice, v
        self.last_excess = float((used - self.caps)[0])
        return np.asarray(used - self.caps)

    def closed(self) -> bool:
        return self.choice is not None and self.value - self.bound <= GAP * abs(self.value)

    def _bisect(self, iterations: int) -> bool:
        """One relaxed budget: the best multiplier of the concave, piecewise-linear dual, by
        cutting planes (the intersection of the tangents at the two ends of a bracket whose
        subgradients have opposite signs; midpoint when that is not strictly inside).  False if
        nothing can fit."""
        w, b0, b1 = self.weights, self.budgets[0], self.caps[0]
        # nothing fits both budgets if even the lightest design under budget 1 exceeds budget 2
        lightest, least = one_budget(w[1], w[0], self.ok, b0)
        if lightest is None or least > b1:
            return False
        lo, hi = 0.0, self.unit / self.scale[0]
        g_lo, d_lo = self.last_excess, self.last_dual  # from the probe at 0
        while (e := self.probe(np.array([hi]))) is not None and e[0] > 0 and hi < 1e300:
            lo, hi, g_lo, d_lo = hi, 4.0 * hi, float(e[0]), self.last_dual
            self.lo_design = self.last
        if e is None:
            return True
        g_hi, d_hi = float(e[0]), self.last_dual
        for _ in range(iterations):
            if self.closed() or hi - lo <= GAP * hi:
                break
            # tangents: d_lo + g_lo (x - lo) and d_hi + g_hi (x - hi)
            mid = (d_hi - d_lo + g_lo * lo - g_hi * hi) / (g_lo - g_hi) if g_lo != g_hi else 0.5 * (lo + hi)
            if not lo < mid < hi:
                mid = 0.5 * (lo + hi)
            top = d_lo + g_lo * (mid - lo)
            e = self.probe(np.array([mid]))
            if e is None:
                break
            if self.last_dual >= top - ROUNDING * abs(top):
                break  # the dual reaches the tangents' intersection: its maximum
            if e[0] > 0:
                lo, g_lo, d_lo = mid, float(e[0]), self.last_dual
                self.lo_design = self.last
            else:
                hi, g_hi, d_hi = mid, float(e[0]), self.last_dual
        return True

    def _relink(self) -> None:
        """A better incumbent between the two relaxed designs on either side of the best
        multiplier (the best feasible one and the one just over budget 2): starting from the
        feasible one, switch the layers where they differ to the other's option, those saving
        the most cost per unit of budget share first, while every budget holds."""
        if self.choice is None or self.lo_design is None:
            return
        rows, choice = self.rows, self.choice.copy()
        diff = np.flatnonzero(choice != self.lo_design)
        if diff.size == 0:
            return
        target = self.lo_design[diff]
        gain = self.cost[diff, choice[diff]] - self.cost[diff, target]
        share = sum((w[diff, target] - w[diff, choice[diff]]) / b
                    for w, b in zip(self.weights, self.budgets, strict=True))  # fmt: skip
        used = [float(lp_total(w[rows, choice])) for w in self.weights]
        margin = [_TOL * abs(b) for b in self.budgets]
        for k in np.argsort(-gain / np.maximum(share, TINY), kind="stable"):
            n, o = diff[k], target[k]
            if gain[k] <= 0:
                continue
            delta = [float(w[n, o] - w[n, choice[n]]) for w in self.weights]
            if all(u + d <= b - m for u, d, b, m in zip(used, delta, self.budgets, margin, strict=True)):
                choice[n] = o
                used = [u + d for u, d in zip(used, delta, strict=True)]
        value = float(lp_total(self.cost[rows, choice]))
        if value < self.value and _fits(self.weights, self.budgets, choice):
            self.choice, self.value = choice, value

    def _subgradient(self, iterations: int) -> None:
        lam, step = np.zeros(self.caps.size), 1.0
        for _ in range(iterations):
            e = self.probe(lam * self.unit / self.scale)
            if e is None or self.closed():
                break
            lam = np.maximum(0.0, lam + step * e / self.scale * self.cost.shape[0])
            step *= 0.9

    def solve(self, iterations: int) -> ExactResult:
        if self.probe(np.zeros(self.caps.size)) is None:  # the first budget alone cannot be met
            return _INFEASIBLE
        if self.caps.size == 1 and not self.closed():
            if not self._bisect(iterations):
                return _INFEASIBLE
        elif not self.closed():
            self._subgradient(iterations)
        if self.choice is not None and not self.closed():
            self._relink()
        if self.choice is not None and not self.closed():
            self.choice, self.value = _improve(self.cost, self.weights, self.budgets, self.ok, self.choice)
        choice, value, bound = self.choice, self.value, self.bound
        if self.closed():  # the dual bound may exceed the value by rounding
            return ExactResult(choice, value, float(min(bound, value)), True)
        # the work allowed grows as the gap left shrinks (2 to 16 times max_candidates): a large gap
        # over many layers is hopeless for the branch and bound, a small one usually closes
        gap = (value - bound) / abs(value) if np.isfinite(value) and value else np.inf
        factor = float(np.clip(2e-4 / gap, 2.0, 16.0)) if gap > 0 else 16.0
        found = _multi_dp(self.cost, self.weights, self.budgets, self.ok, self.mu, value, self.max_candidates,
                          int(factor * self.max_candidates))  # fmt: skip
        if found is None:  # too many partial designs: keep the certified bound
            return ExactResult(choice, value if choice is not None else float("nan"), float(bound), False)
        if found[0] is None:  # nothing beats the incumbent: it is optimal (or nothing is feasible)
            return _INFEASIBLE if choice is None else ExactResult(choice, value, value, True)
        return ExactResult(found[0], found[1], found[1], True)


def _improve(cost: np.ndarray, weights: list[np.ndarray], budgets: list[float], ok: np.ndarray,
             choice: np.ndarray, width: int = 256) -> tuple[np.ndarray, float]:  # fmt: skip
    """Local search on a feasible design: each round the best move of one layer, or of two
    layers (one of the ``width`` single moves that save the most cost with one of the ``width``
    that free resource most cheaply), that saves cost while every budget still holds.  A better
    incumbent prunes :func:`_multi_dp`."""
    rows = np.arange(cost.shape[0])
    choice = choice.copy()
    c = np.where(ok, cost, np.inf)
    n_opt = cost.shape[1]
    for _ in range(cost.size):  # each round saves cost: ends long before
        slack = [b - float(lp_total(w[rows, choice])) for w, b in zip(weights, budgets, strict=True)]
        dc = (c - c[rows, choice][:, None]).ravel()
        dw = [(w - w[rows, choice][:, None]).ravel() for w in weights]
        fits = np.isfinite(dc)
        for d, sl in zip(dw, slack, strict=True):
            fits &= d <= sl
        single = np.where(fits, dc, np.inf)
        best = int(np.argmin(single))
        move, gain = [best], float(single[best])
        up = np.flatnonzero(np.isfinite(dc) & (dc < 0))
        down = np.flatnonzero(np.isfinite(dc) & (dc >= 0) & np.any(np.stack(dw) < 0, axis=0))
        if up.size and down.size:
            up = up[np.argsort(dc[up], kind="stable")[:width]]
            share = sum(np.minimum(d[down], 0.0) / b for d, b in zip(dw, budgets, strict=True))
            down = down[np.argsort(dc[down] / np.maximum(-share, TINY), kind="stable")[:width]]
            pair = dc[up][:, None] + dc[down][None, :]
            ok2 = (up[:, None] // n_opt) != (down[None, :] // n_opt)
            for d, sl in zip(dw, slack, strict=True):
                ok2 &= d[up][:, None] + d[down][None, :] <= sl
            pair = np.where(ok2, pair, np.inf)
            a, b = np.unravel_index(int(np.argmin(pair)), pair.shape)
            if pair[a, b] < gain:
                move, gain = [int(up[a]), int(down[b])], float(pair[a, b])
        if not gain < 0:
            break
        moved = choice.copy()
        for m in move:
            moved[m // n_opt] = m % n_opt
        if not _fits(weights, budgets, moved):
            break  # over a budget by rounding: stop at the last design that surely fits
        choice = moved
    return choice, float(lp_total(cost[rows, choice]))


def _multi_dp(cost: np.ndarray, weights: list[np.ndarray], budgets: list[float], ok: np.ndarray, mu: np.ndarray,
              incumbent: float, max_candidates: int, max_work: int
              ) -> tuple[np.ndarray | None, float] | None:  # fmt: skip
    """Exact min Σcost under several budgets, given an incumbent value: dynamic programming over
    partial designs (layers 1..n) that keeps a partial design only if it still fits every
    budget and its cost plus a Lagrangian bound on the remaining layers (multipliers ``mu`` on
    budgets 2..m, LP relaxation of budget 1) can beat the incumbent.  Partial designs dominated
    by one with the same budget-1 use and no more of the others are dropped.  Returns (choice,
    value), (None, nan) if nothing beats the incumbent, or None if a layer would keep more than
    ``max_candidates`` partial designs (memory stays bounded) or the expansions exceed
    ``max_work``."""
    n_layers = cost.shape[0]
    m = len(budgets)
    relaxed = cost + sum(u * w for u, w in zip(mu, weights[1:], strict=True))
    fronts = layer_fronts(relaxed, weights[0], ok)
    bound = _LPBound(fronts, _hulls(fronts), budgets[0])
    cap = np.array(budgets, dtype=np.float64)
    lightest = np.array([[np.min(np.where(ok[n], w[n], np.inf)) for w in weights] for n in range(n_layers)])
    rest = np.concatenate([np.cumsum(lightest[::-1], axis=0)[::-1], np.zeros((1, m))])  # (N+1, m)
    slack = _TOL * np.abs(cap)
    upper = incumbent * (1 - ROUNDING)
    sw, sc = np.zeros((1, m)), np.zeros(1)
    parents: list[Parents] = []
    work = 0
    for n in range(n_layers):
        opts = _dominant_options(cost[n], [w[n] for w in weights], ok[n])
        ow = np.stack([w[n, opts] for w in weights], axis=1)  # (L, m)
        work += sc.size * opts.size
        if work > max_work:
            return None  # the search is too large: keep the bound (deterministic, not timed)
        found_w, found_c, found_i = [], [], []
        step = max(1, max_candidates // (4 * opts.size))  # expand in chunks: memory stays bounded
        for a in range(0, sc.size, step):
            cw = (sw[a : a + step, None, :] + ow[None, :, :]).reshape(-1, m)
            cc = (sc[a : a + step, None] + cost[n, opts][None, :]).ravel()
            keep = np.all(cw <= cap, axis=1) if n + 1 == n_layers else np.all(cw + rest[n + 1] <= cap + slack, axis=1)
            # relaxed remainder: Σc_rest >= LP(room_1; c + mu·w) - mu·room_{2..m}
            room = cap - cw
            lower = cc + np.maximum(bound(n + 1, room[:, 0]) - np.maximum(room[:, 1:], 0.0) @ mu, 0.0)
            idx = np.flatnonzero(keep & (lower < upper))
            found_w.append(cw[idx])
            found_c.append(cc[idx])
            found_i.append(idx + a * opts.size)
        cw, cc, idx = np.concatenate(found_w), np.concatenate(found_c), np.concatenate(found_i)
        if cc.size > max_candidates:
            return None
        sel = _undominated(cw, cc)
        idx = idx[sel]
        parents.append(Parents(idx // opts.size, opts[idx % opts.size]))
        sw, sc = cw[sel], cc[sel]
        if sc.size == 0:
            return None, float("nan")
    best = int(np.argmin(sc))
    return backtrack(parents, best), float(sc[best])


def _dominant_options(cost: np.ndarray, weights: list[np.ndarray], ok: np.ndarray) -> np.ndarray:
    """A layer's options not dominated in (cost, every weight) by another option (among
    identical points the first is kept)."""
    idx = np.flatnonzero(ok)
    if len(weights) == 2:
        return np.asarray(idx[_undominated_3d(cost[idx], weights[0][idx], weights[1][idx])])
    pts = np.stack([cost[idx]] + [w[idx] for w in weights], axis=1)  # (L, 1+m)
    le = np.all(pts[:, None, :] <= pts[None, :, :], axis=2)  # le[a, b]: a no worse than b
    lt = np.any(pts[:, None, :] < pts[None, :, :], axis=2)
    dominated = np.any(le & lt, axis=0)
    same = np.all(pts[:, None, :] == pts[None, :, :], axis=2)
    dominated |= np.any(np.triu(same, 1), axis=0)
    return np.asarray(idx[~dominated])


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
    weights only).  A few equal-cost points may be kept (safe: only less pruning)."""
    m = w.shape[1]
    if c.size == 0:
        return np.zeros(0, dtype=np.int64)
    by_cost = np.argsort(c, kind="stable")
    rank = np.empty(c.size, dtype=np.int64)
    rank[by_cost] = np.arange(c.size)
    order = by_cost
    for j in range(m - 1, -1, -1):  # stable sorts, last key first: order by (w0, w1, .., cost)
        order = order[np.argsort(w[order, j], kind="stable")]
    ws = w[order]
    differs = np.any(ws[1:, :1] != ws[:-1, :1], axis=1) if m == 2 else np.any(ws[1:] != ws[:-1], axis=1)
    group = np.concatenate([[0], np.cumsum(differs)])
    # running minimum of the cost rank within each group (later groups shifted below earlier ones)
    shifted = rank[order] - group * (c.size + 1)
    run = np.minimum.accumulate(shifted)
    keep = np.ones(c.size, dtype=bool)
    keep[1:] = shifted[1:] < run[:-1]  # cheaper than everything before it in its group
    keep[np.concatenate([[True], differs])] = True  # the first of each group
    return np.asarray(order[keep])
