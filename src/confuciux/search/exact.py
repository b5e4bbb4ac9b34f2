"""``method="exact"``: the optimum over the platform's action space, or a certified bound on it
(docs/problem.md, "The exact solver").  Objectives from the allow-list only
(:data:`~confuciux.search.objectives.OBJECTIVES` entries with ``exact``), by their ``kind``
(below with the built-in objectives of each kind; a registered objective of a kind is solved the
same way over the outputs it reads).

Layer-pipelined (LP):

* additive (``latency``, ``energy``): a multiple-choice knapsack, :func:`~confuciux.search.
  knapsack.min_cost` — exact with zero or one budget, Lagrangian bound then branch and bound with
  several (exact, or the best design with its certified bound if the search grows too large).
* bottleneck (``throughput``, the slowest layer): bisection over the candidate bottlenecks T (the
  runtimes in the table); T is feasible when the layers restricted to options of runtime <= T
  admit a design within the budgets, decided by the knapsack with budget 1 as the cost (exact
  with up to two budgets).
* product (``edp``, Σruntime · Σenergy): with no budget, exact by dynamic programming over the
  (Σenergy, Σruntime) frontier pruned by the best product met.  With budgets: the designs
  minimising Σruntime + λ·Σenergy for a range of λ (each exact) give the incumbent; the certified
  lower bound is the least product over the region those supporting lines and the separate
  optima of latency and energy leave open.

Layer-sequential (LS): one accelerator sized for the largest (P, L1, L2) of its layers.  The
solver enumerates the accelerator's caps — every PE count and L1 size in the table and, for each
pair, the largest L2 within the budgets — and, for each, every layer takes its best option within
the caps: exact for the additive objectives and throughput; for edp the best design met and the
bound min over caps of (Σ least runtime)·(Σ least energy).

A problem with a layer that no option can cost is infeasible (``choice`` None).  Tolerances:
:mod:`confuciux.search.tolerances`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..budgets import lp_total
from .frontier import Parents, backtrack, combine, layer_fronts
from .knapsack import ExactResult, min_cost
from .objectives import OBJECTIVES
from .problem import Problem
from .tolerances import GAP, PRUNE, ROUNDING

__all__ = ["ExactResult", "solve_exact", "exact_objectives"]


def exact_objectives() -> tuple[str, ...]:
    """The objectives the exact solver accepts (those of :data:`OBJECTIVES` with ``exact``)."""
    return tuple(name for name, o in OBJECTIVES.items() if o.exact)


def __getattr__(name: str) -> Any:
    if name == "EXACT_OBJECTIVES":  # a constant would miss objectives registered later
        from .._deprecation import deprecated

        deprecated("confuciux.search.exact.EXACT_OBJECTIVES", "exact_objectives()")
        return exact_objectives()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_NONE = ExactResult(None, float("nan"), float("nan"), True)


def solve_exact(problem: Problem, max_iterations: int = 40, max_candidates: int = 2_000_000) -> ExactResult:
    """The optimum of ``problem``, or the best design found with a certified lower bound (see the
    module docstring).  ValueError for an objective outside :func:`exact_objectives`."""
    if not problem.objective_spec.exact:
        raise ValueError(f"the exact solver accepts the objectives {list(exact_objectives())}, "
                         f"got {problem.objective!r}")  # fmt: skip
    if problem.uncostable.size:
        return _NONE
    if problem.platform.deployment == "LS":
        result = _LS(problem).solve()
    else:
        result = _solve_lp(problem, max_iterations, max_candidates)
    return _checked(problem, result)


def _checked(problem: Problem, r: ExactResult) -> ExactResult:
    """The design's value as :meth:`Problem.score` computes it, and feasibility decided there."""
    if r.choice is None:
        return r
    s = problem.score(r.choice, count=False)
    if not s.feasible[0]:  # cannot happen: every solver checks with the same summation
        raise RuntimeError("internal error: the exact solver returned a design over budget")
    value = float(s.objective[0])
    bound = min(r.lower_bound, value) if np.isfinite(r.lower_bound) else r.lower_bound
    exact = r.exact or value <= bound * (1 + GAP)  # proven within GAP (as the knapsack closes its gap)
    return ExactResult(r.choice, value, value if exact else bound, exact)


def _weights(problem: Problem) -> tuple[list[np.ndarray], list[float]]:
    pl = problem.platform
    return [problem.table[k] for k in pl.budgets], [float(b) for b in pl.budgets.values()]


def _solve_lp(problem: Problem, iterations: int, max_candidates: int) -> ExactResult:
    weights, budgets = _weights(problem)
    kind = problem.objective_spec.kind
    if kind == "bottleneck":
        return _bottleneck_lp(problem, weights, budgets, iterations, max_candidates)
    if kind == "product":
        return _product_lp(problem, weights, budgets, iterations, max_candidates)
    return min_cost(problem.layer_cost(), weights, budgets, problem.valid, iterations, max_candidates)


def _bottleneck_lp(problem: Problem, weights: list[np.ndarray], budgets: list[float], iterations: int,
                   max_candidates: int) -> ExactResult:  # fmt: skip
    """Smallest bottleneck T (bisection over the table's values of the objective's output, e.g.
    runtimes) whose restricted problem admits a design: proven feasible (a design found) or
    proven infeasible (bound over budget 1).  Two bisections, on "proven feasible" (the design)
    and "not proven infeasible" (the bound); they coincide when the inner knapsack is exact (up
    to two budgets)."""
    runtime = np.where(problem.valid, problem.layer_cost(), np.inf)
    candidates = np.unique(runtime[np.isfinite(runtime)])

    def probe(t: float) -> tuple[np.ndarray | None, bool]:
        """(a design with every runtime <= t within the budgets, or None; proven infeasible)."""
        ok = problem.valid & (runtime <= t)
        if not budgets:
            if not ok.any(axis=1).all():
                return None, True
            return np.argmax(ok, axis=1), False
        sol = min_cost(weights[0], weights[1:], budgets[1:], ok, iterations, max_candidates)
        if sol.choice is not None and float(lp_total(weights[0][np.arange(ok.shape[0]), sol.choice])) <= budgets[0]:
            return sol.choice, False
        return None, sol.choice is None or not sol.lower_bound <= budgets[0] * (1 + PRUNE) or sol.exact

    best: np.ndarray | None = None
    lo, hi = 0, candidates.size - 1
    while lo <= hi:  # the smallest T with a design found
        mid = (lo + hi) // 2
        design, _ = probe(float(candidates[mid]))
        if design is not None:
            best, hi = design, mid - 1
        else:
            lo = mid + 1
    if best is None:
        return _NONE
    found = int(np.searchsorted(candidates, float(np.max(runtime[np.arange(best.size), best]))))
    lo, hi, first_open = 0, found, found
    while lo <= hi:  # the smallest T not proven infeasible
        mid = (lo + hi) // 2
        design, infeasible = probe(float(candidates[mid]))
        if not infeasible or design is not None:
            first_open, hi = mid, mid - 1
        else:
            lo = mid + 1
    value = float(candidates[found])
    return ExactResult(best, value, float(candidates[first_open]), first_open == found)


def _product_lp(problem: Problem, weights: list[np.ndarray], budgets: list[float], iterations: int,
                max_candidates: int) -> ExactResult:  # fmt: skip
    """Σa · Σb (the objective's two outputs; edp: runtime and energy), see the module docstring."""
    a, b = problem.objective_spec.reads
    runtime, energy, ok = problem.table[a], problem.table[b], problem.valid
    r_opt = min_cost(runtime, weights, budgets, ok, iterations, max_candidates)
    e_opt = min_cost(energy, weights, budgets, ok, iterations, max_candidates)
    if r_opt.choice is None or e_opt.choice is None:
        return _NONE if r_opt.exact and e_opt.exact else ExactResult(None, float("nan"), float("nan"), False)
    rows = np.arange(problem.n_layers)

    def edp(choice: np.ndarray) -> float:
        return float(lp_total(runtime[rows, choice]) * lp_total(energy[rows, choice]))

    designs = [r_opt.choice, e_opt.choice]
    lines: list[tuple[float, float]] = []  # (λ, S): every feasible design has R + λE >= S
    exact_lines = r_opt.exact and e_opt.exact
    lam0 = r_opt.objective / e_opt.objective
    steps = range(-6, 7) if len(budgets) < 2 else range(-4, 5, 2)  # several budgets: each solve costs more
    for k in steps:
        lam = lam0 * 2.0 ** (k / 2)
        sol = min_cost(runtime + lam * energy, weights, budgets, ok, iterations, max_candidates)
        if sol.choice is not None:
            designs.append(sol.choice)
            lines.append((lam, sol.lower_bound))
            exact_lines &= sol.exact
    values = [edp(d) for d in designs]
    i = int(np.argmin(values))
    bound = _product_bound(r_opt.lower_bound, e_opt.lower_bound, lines)
    if not budgets:
        found = _edp_frontier(runtime, energy, ok, values[i], max_candidates)
        if found is not None:
            choice = designs[i] if found[0] is None else found[0]
            v = edp(choice)
            return ExactResult(choice, v, v, True)
    return ExactResult(designs[i], values[i], min(bound, values[i]), values[i] <= bound * (1 + ROUNDING))


def _product_bound(r_min: float, e_min: float, lines: list[tuple[float, float]]) -> float:
    """Least R·E over {R >= r_min, E >= e_min, R + λE >= S for every (λ, S) in ``lines``}: R·E is
    quasi-concave on the positive quadrant, so the least value is at a vertex of that region;
    every vertex is among the candidates below (intersections of pairs of boundary lines)."""
    cands = [r_min]
    for lam, s in lines:
        cands.append(s - lam * e_min)  # where the line meets E = e_min
    for a in range(len(lines)):
        for b in range(a + 1, len(lines)):
            (la, sa), (lb, sb) = lines[a], lines[b]
            if la != lb:
                e = (sa - sb) / (la - lb)
                cands.append(sa - la * e)
    best = np.inf
    for r in cands:
        r = max(r, r_min)
        e = max([e_min] + [(s - r) / lam for lam, s in lines])
        best = min(best, r * e)
    return float(best * (1 - ROUNDING))


def _edp_frontier(runtime: np.ndarray, energy: np.ndarray, ok: np.ndarray, incumbent: float,
                  max_candidates: int) -> tuple[np.ndarray | None, float] | None:  # fmt: skip
    """Exact min (ΣR)(ΣE) without budgets: the DP over the (ΣE, ΣR) frontier, a partial design
    kept while (R + least R of the rest)(E + least E of the rest) can beat ``incumbent``.
    (choice, value); (None, nan) if nothing beats it; None if a frontier grows past
    ``max_candidates``."""
    fronts = layer_fronts(runtime, energy, ok)
    r_rest = np.concatenate([np.cumsum([f.cost.min() for f in fronts][::-1])[::-1], [0.0]])
    e_rest = np.concatenate([np.cumsum([f.weight.min() for f in fronts][::-1])[::-1], [0.0]])
    upper = incumbent * (1 - ROUNDING)
    fe, fr = np.zeros(1), np.zeros(1)
    parents: list[Parents] = []
    for n, front in enumerate(fronts):
        if fe.size * front.option.size > max_candidates:
            return None

        def keep(e: np.ndarray, r: np.ndarray, n: int = n) -> np.ndarray:
            return np.asarray((r + r_rest[n + 1]) * (e + e_rest[n + 1]) < upper)

        fe, fr, p = combine(fe, fr, front, keep)
        parents.append(p)
        if fe.size == 0:
            return None, float("nan")
    best = int(np.argmin(fe * fr))
    return backtrack(parents, best), float(fe[best] * fr[best])


class _LS:
    """The layer-sequential solver: enumerate the accelerator's caps (see the module docstring)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.limits = problem.platform.limits
        t = problem.table
        self.p, self.l1, self.l2 = t["pes"], t["l1_bytes"], t["l2_bytes"]
        self.ok = problem.valid.copy()

    def caps(self) -> np.ndarray:
        """(K, 3) accelerator caps (P, L1, L2) worth trying: every (P, L1) pair of the table
        within the PE and L1 budgets, with the largest L2 in the table that keeps the
        accelerator within every budget; pairs with no such L2 dropped."""
        lim = self.limits.limits
        ps = np.unique(self.p[0][self.ok.any(axis=0)])
        l1s, l2s = (np.unique(a[self.ok]) for a in (self.l1, self.l2))
        ps = ps[ps <= lim.get("pes", np.inf)]
        l1s = l1s[l1s <= lim.get("l1_bytes", np.inf)]
        l2s = l2s[l2s <= lim.get("l2_bytes", np.inf)]
        if not (ps.size and l1s.size and l2s.size):
            return np.zeros((0, 3))
        pp, ll = (a.ravel() for a in np.meshgrid(ps, l1s, indexing="ij"))
        if "area" not in lim and "power" not in lim:
            return np.stack([pp, ll, np.full(pp.size, l2s[-1])], axis=1)
        lo, hi = np.full(pp.size, -1), np.full(pp.size, l2s.size - 1)
        while np.any(lo < hi):  # per pair: the largest L2 index that fits (area, power grow with L2)
            mid = (lo + hi + 1) // 2
            usage = dict(zip(("area", "power"), self.limits.accelerator(pp, ll, l2s[np.maximum(mid, 0)]), strict=True))
            fits = self.limits.fits({k: usage[k] if k in usage else np.zeros(pp.size) for k in lim}) & (mid >= 0)
            lo, hi = np.where(fits, mid, lo), np.where(fits, hi, mid - 1)
        keep = lo >= 0
        return np.stack([pp[keep], ll[keep], l2s[lo[keep]]], axis=1)

    def solve(self) -> ExactResult:
        if not self.limits.limits:
            return min_cost(self.problem.layer_cost(), [], [], self.ok) if self.problem.additive else \
                self._best_over(np.array([[np.inf, np.inf, np.inf]]))  # fmt: skip
        caps = self.caps()
        if caps.shape[0] == 0:
            return _NONE
        return self._best_over(caps)

    def _best_over(self, caps: np.ndarray, chunk: int = 16) -> ExactResult:
        caps = caps[np.lexsort((-caps[:, 2], -caps[:, 1], -caps[:, 0]))]  # large caps first: good incumbents early
        pr = self.problem
        kind = pr.objective_spec.kind
        rows = np.arange(pr.n_layers)
        best: tuple[float, np.ndarray | None] = (np.inf, None)
        bound = np.inf
        for a in range(0, caps.shape[0], chunk):
            c = caps[a : a + chunk]
            allowed = self.ok[None] & (self.p[None] <= c[:, 0, None, None]) & (self.l1[None] <= c[:, 1, None, None]) \
                & (self.l2[None] <= c[:, 2, None, None])  # fmt: skip
            for j in np.flatnonzero(allowed.any(axis=2).all(axis=1)):
                value, lb, choice = self._within(allowed[j], kind, rows, best[0])
                bound = min(bound, lb)
                if value < best[0] and pr.score(choice, count=False).feasible[0]:
                    best = (value, choice)
        if best[1] is None:
            return _NONE
        # the choice's own (P, L1, L2) maxima are within the caps: it fits (checked by the caller)
        return ExactResult(best[1], best[0], min(bound, best[0]), bound >= best[0] * (1 - ROUNDING))

    def _within(self, allowed: np.ndarray, kind: str, rows: np.ndarray, incumbent: float
                ) -> tuple[float, float, np.ndarray]:  # fmt: skip
        """(value, lower bound, design) of the best design using ``allowed`` options (N, G);
        for a product (edp), the designs minimising R + λE (layers independent within the caps)
        and the bound of :func:`_product_bound`, skipped when the simplest bound cannot beat
        ``incumbent``."""
        pr = self.problem
        if kind == "product":
            a, b = pr.objective_spec.reads
            r = np.where(allowed, pr.table[a], np.inf)
            e = np.where(allowed, pr.table[b], np.inf)
            r_tot, e_tot = float(lp_total(np.min(r, axis=1))), float(lp_total(np.min(e, axis=1)))
            if r_tot * e_tot * (1 - ROUNDING) >= incumbent:
                return np.inf, r_tot * e_tot * (1 - ROUNDING), rows
            best_v, best_c = np.inf, rows
            lines = []
            for lam in r_tot / e_tot * 2.0 ** np.arange(-3.0, 3.5, 0.5):
                choice = np.argmin(r + lam * e, axis=1)
                rr, ee = float(lp_total(r[rows, choice])), float(lp_total(e[rows, choice]))
                lines.append((float(lam), (rr + lam * ee) * (1 - ROUNDING)))
                if rr * ee < best_v:
                    best_v, best_c = rr * ee, choice
            return best_v, _product_bound(r_tot, e_tot, lines), best_c
        cost = np.where(allowed, pr.layer_cost(), np.inf)
        choice = np.argmin(cost, axis=1)
        per = cost[rows, choice]
        value = float(np.max(per)) if kind == "bottleneck" else float(lp_total(per))
        return value, value, choice
