"""Moves on per-layer Pareto frontiers, shared by the GA, annealing and the two-stage search.

Each layer's grid options are reduced to its frontier of (resource, cost): resource is the
layer's share of the budgets (Σ_b use_b / budget_b), cost its objective contribution (runtime,
or energy for the energy objective).  A move steps a layer one place up (faster, heavier) or
down (lighter, slower) its frontier; :func:`polish` is a 2-exchange local search over such steps.
Every candidate design is scored through :meth:`Problem.score`, so it counts as an evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .problem import Problem

__all__ = ["Frontiers", "polish", "repair"]


class Frontiers:
    """Per-layer frontier options, padded into an (N, L) array of option indices."""

    def __init__(self, problem: Problem) -> None:
        pl = problem.platform
        weight = np.zeros((problem.n_layers, problem.n_options))
        for key, budget in pl.budgets.items():
            weight += problem.table[key] / budget
        if not pl.budgets:  # no budget: resource = PEs, so moves still trade speed for size
            weight = problem.table["pes"].copy()
        cost = problem.layer_cost()
        ok = problem.valid & np.isfinite(weight) & np.isfinite(cost)
        fronts = []
        for n in range(problem.n_layers):
            idx = np.flatnonzero(ok[n])
            if idx.size == 0:
                raise ValueError(f"layer {n} of {problem.model.name!r} has no valid option on this platform")
            order = idx[np.lexsort((cost[n, idx], weight[n, idx]))]
            c = cost[n, order]
            keep = np.ones(order.size, dtype=bool)
            keep[1:] = c[1:] < np.minimum.accumulate(c)[:-1]
            fronts.append(order[keep])
        self.length = np.array([f.size for f in fronts])
        self.options = np.zeros((problem.n_layers, self.length.max()), dtype=np.int64)
        for n, f in enumerate(fronts):
            self.options[n, : f.size] = f
            self.options[n, f.size :] = f[-1]
        self.weight, self.cost = weight, cost
        # position of every option on its layer's frontier (the nearest frontier point by weight)
        self.position = np.zeros((problem.n_layers, problem.n_options), dtype=np.int64)
        for n, f in enumerate(fronts):
            self.position[n] = np.clip(np.searchsorted(weight[n, f], weight[n], side="right") - 1, 0, f.size - 1)

    def to_positions(self, choice: np.ndarray) -> np.ndarray:
        rows = np.arange(self.options.shape[0])
        return self.position[rows, choice]

    def to_choice(self, pos: np.ndarray) -> np.ndarray:
        rows = np.arange(self.options.shape[0])
        return self.options[rows, np.clip(pos, 0, self.length - 1)]


def _neighbours(pos: np.ndarray, fr: Frontiers) -> np.ndarray:
    """Every design one up-step, one down-step, or one up-step plus one down-step away."""
    n = pos.size
    up = pos + 1 < fr.length
    down = pos > 0
    cands = []
    eye = np.eye(n, dtype=np.int64)
    cands.append((pos + eye)[up])
    cands.append((pos - eye)[down])
    ui, dj = np.flatnonzero(up), np.flatnonzero(down)
    if ui.size and dj.size:
        i, j = np.meshgrid(ui, dj, indexing="ij")
        i, j = i.ravel(), j.ravel()
        mask = i != j
        pairs = np.repeat(pos[None, :], int(mask.sum()), axis=0)
        rows = np.arange(pairs.shape[0])
        pairs[rows, i[mask]] += 1
        pairs[rows, j[mask]] -= 1
        cands.append(pairs)
    return np.concatenate(cands) if cands else pos[None, :]


def polish(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int = 500,
           on_move: Callable[[np.ndarray], object] | None = None) -> np.ndarray:  # fmt: skip
    """Local search from ``choice``: repeatedly take the best improving move, where a move
    changes one layer, or two layers, to any point of their frontiers.  Infeasible designs
    improve toward feasibility first (the fitness order).  ``on_move(design)`` is called with
    the design after every move taken."""
    on_move = on_move if on_move is not None else (lambda design: None)
    if problem.additive and problem.platform.deployment == "LP":
        return _polish_additive(problem, fr, choice, max_rounds, on_move)
    pos = fr.to_positions(choice)
    current = fr.to_choice(pos)
    key = problem.fitness_key(problem.score(current))[0]
    for _ in range(max_rounds):
        cand_pos = _neighbours(pos, fr)
        cands = fr.options[np.arange(pos.size)[None, :], np.clip(cand_pos, 0, fr.length - 1)]
        keys = problem.fitness_key(problem.score(cands))
        best = int(np.argmin(keys))
        if not keys[best] < key:
            break
        pos, current, key = cand_pos[best], cands[best], keys[best]
        on_move(current)
    return current


def _polish_additive(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int,
                     on_move: Callable[[np.ndarray], object]) -> np.ndarray:  # fmt: skip
    """The same search for an additive objective with layer-pipelined budgets, where a move's
    effect is the sum of per-layer differences, scored from the table without rebuilding
    designs.  Every single move is scored; of the pair moves, with one budget only the best
    partner of each improving move (found by :func:`_best_partners` without scoring the
    others), with several budgets every pair.  Each design scored counts as one evaluation."""
    n = problem.n_layers
    rows = np.arange(n)
    budgets = problem.platform.budgets
    opts = fr.options  # (N, L)
    real = np.arange(opts.shape[1])[None, :] < fr.length[:, None]
    cost_o = np.where(real, fr.cost[rows[:, None], opts], np.inf)
    w_o = {k: problem.table[k][rows[:, None], opts] for k in budgets}
    current = fr.to_choice(fr.to_positions(choice))
    for _ in range(max_rounds):
        s = problem.score(current)
        if not s.feasible[0]:
            return current  # the additive search starts from feasible designs (see repair)
        cur_c = fr.cost[rows, current]
        dc = (cost_o - cur_c[:, None]).ravel()  # (M,) moves: (layer, frontier point)
        slack = {k: budgets[k] - float(s.usage[k][0]) for k in budgets}
        dw = {k: (w_o[k] - problem.table[k][rows, current][:, None]).ravel() for k in budgets}
        layer = np.repeat(rows, opts.shape[1])
        # single moves
        ok1 = np.isfinite(dc) & (dc < 0)
        for k in budgets:
            ok1 &= dw[k] <= slack[k]
        best_gain, best_move = 0.0, None
        if np.any(ok1):
            i = int(np.argmin(np.where(ok1, dc, np.inf)))
            best_gain, best_move = dc[i], (i,)
        # pair moves: one layer speeds up (dc < 0), another frees resource (dc >= 0)
        up = np.flatnonzero(np.isfinite(dc) & (dc < 0))
        down = np.flatnonzero(np.isfinite(dc) & (dc >= 0))
        if up.size and down.size:
            if len(budgets) == 1:
                (key,) = budgets
                b, gain = _best_partners(up, down, dc, dw[key], layer, slack[key])
                problem.evaluations += int(np.count_nonzero(np.isfinite(gain)))
            else:  # several budgets: every pair is scored
                gain = dc[up][:, None] + dc[down][None, :]
                ok = layer[up][:, None] != layer[down][None, :]
                for k in budgets:
                    ok &= dw[k][up][:, None] + dw[k][down][None, :] <= slack[k]
                gain = np.where(ok, gain, np.inf)
                b = np.argmin(gain, axis=1)
                gain = gain[np.arange(up.size), b]
                problem.evaluations += int(up.size * down.size)
            i = int(np.argmin(gain)) if gain.size else 0
            if gain.size and gain[i] < best_gain:
                best_gain, best_move = gain[i], (up[i], down[b[i]])
        problem.evaluations += dc.size
        if best_move is None:
            break
        current = current.copy()
        for m in best_move:
            current[layer[m]] = opts.ravel()[m]
        on_move(current)
    return current


def _best_partners(up: np.ndarray, down: np.ndarray, dc: np.ndarray, dw: np.ndarray, layer: np.ndarray,
                   slack: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For each up-move, the down-move of another layer that adds the least cost while the
    pair fits the one budget's ``slack``: down-moves sorted by resource, with the cheapest and
    the cheapest of a different layer among the first j kept for every j.  Returns, per
    up-move, the partner's index into ``down`` and the pair's gain (inf where no partner
    fits); only these pairs are scored."""
    order = np.argsort(dw[down], kind="stable")
    d_w, d_c, d_l = dw[down][order], dc[down][order], layer[down][order]
    n = order.size
    first, second = np.empty(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    f, g = 0, -1  # cheapest so far; cheapest so far on a layer other than f's
    for j in range(n):
        if d_c[j] < d_c[f]:
            if d_l[j] != d_l[f]:
                g = f
            f = j
        elif j != f and d_l[j] != d_l[f] and (g < 0 or d_c[j] < d_c[g]):
            g = j
        first[j], second[j] = f, g
    last = np.searchsorted(d_w, slack - dw[up], side="right") - 1  # partners that fit: [0, last]
    fits = last >= 0
    j = np.maximum(last, 0)
    pick = np.where(d_l[first[j]] != layer[up], first[j], second[j])
    fits &= pick >= 0
    pick = np.maximum(pick, 0)
    gain = np.where(fits, dc[up] + d_c[pick], np.inf)
    return order[pick], gain


def repair(problem: Problem, fr: Frontiers, choices: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """Make designs feasible where possible: each round, every infeasible design steps down the
    layer that frees the most resource per unit of cost added.  All designs advance together
    (one budget check per round, counted as evaluations; frontier options are all valid)."""
    pos = np.stack([fr.to_positions(c) for c in choices])
    rows = np.arange(pos.shape[1])[None, :]
    steps = int(fr.length.sum()) if max_steps is None else max_steps
    for _ in range(steps):
        cur = fr.options[rows, pos]
        todo = problem.over_budget(cur)
        if not np.any(todo):
            break
        lower = fr.options[rows, np.maximum(pos - 1, 0)]
        dw = fr.weight[rows, cur] - fr.weight[rows, lower]
        dc = fr.cost[rows, lower] - fr.cost[rows, cur]
        rate = np.where((pos > 0) & (dw > 0), dc / np.maximum(dw, 1e-300), np.inf)
        j = np.argmin(rate, axis=1)
        can = todo & np.isfinite(rate[np.arange(len(j)), j])
        if not np.any(can):
            break
        pos[np.flatnonzero(can), j[can]] -= 1
    return fr.options[rows, pos]
