"""The exact solver's numerical tolerances, named once (relative: multiplied by the magnitude
they apply to).

Feasibility is never decided with a tolerance: totals are summed as :func:`~confuciux.budgets.
lp_total` sums them and compared exactly.  The tolerances below only keep the solver's pruning and
its certificates safe from floating-point rounding."""

from __future__ import annotations

__all__ = ["PRUNE", "GAP", "ROUNDING", "TINY"]

#: Slack on a resource total when a bound on the layers left prunes a partial design, so that a
#: design exactly at a budget is never pruned.
PRUNE = 1e-9
#: Gap between a design's value and a lower bound within which the design counts as proven
#: optimal (the knapsack's dual closes to it; the Lagrangian bisection stops at it).
GAP = 1e-9
#: Rounding of sums taken in another order: certified lower bounds are shaded down by it and
#: incumbents to beat up, so that a rounding difference never cuts off the optimum.
ROUNDING = 1e-12
#: A positive floor for denominators (ratios of cost to resource where the resource may be 0).
TINY = 1e-300
