"""Moves on per-layer Pareto frontiers, shared by the GA, annealing and the two-stage search.

Each layer's options (every integer point of the box, or the coarse grid) are reduced to its
frontier of (resource, cost): resource is the layer's priced share of the budgets
(Σ_b price_b · use_b / budget_b; price 1 by default), cost its objective contribution (runtime,
or energy for the energy objective).  A move steps a layer one place up (faster, heavier) or
down (lighter, slower) its frontier, so mutation steps are sized to the layer's frontier rather
than to the integer grid.  :func:`polish` is a local search of one- and two-layer moves, and
:func:`repair` steps layers down until a design fits.  Every candidate design counts as an
evaluation.  Memory is O(layers × options) throughout: no table over pairs of layers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np

from .frontier import frontier
from .problem import Problem, Scores

__all__ = ["Frontiers", "lagrangian_prices", "polish", "repair"]

#: prices (per budget, relative) whose frontiers make up the candidate options of the several-
#: budget polish: each budget alone, all equal, and skewed mixes
_PRICES = (1.0, 0.0, 0.1, 0.3, 3.0, 10.0)
_CHUNK = 1 << 20  # pair checks per block in the several-budget polish (bounds temporaries)
_MAX_UP = 256  # up-moves whose partners are searched per round (several budgets)


def _pad(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged per-layer option lists → (N, L) array padded with each row's last entry, lengths."""
    length = np.array([r.size for r in rows])
    out = np.zeros((len(rows), int(length.max())), dtype=np.int64)
    for n, r in enumerate(rows):
        out[n, : r.size] = r
        out[n, r.size :] = r[-1]
    return out, length


def _shares(problem: Problem) -> dict[str, np.ndarray]:
    """Each budgeted resource of every (layer, option) as a share of its budget (N, G)."""
    return {k: problem.table[k] / b for k, b in problem.platform.budgets.items()}


def lagrangian_prices(cost: np.ndarray, shares: Mapping[str, np.ndarray], ok: np.ndarray,
                      sweeps: int = 3, steps: int = 30) -> dict[str, float]:  # fmt: skip
    """Prices λ_b ≥ 0 of the budgets (cost per whole budget) that approximately maximise the
    Lagrangian dual of the layer-pipelined problem, Σ_i min_g (cost_ig + Σ_b λ_b share_big) − Σ_b λ_b
    (``shares``: each option's use of budget b as a share of it; ``ok``: valid options): for a
    given λ every layer takes its best option alone, so the dual and its subgradient (Σ_i
    share_b − 1) cost one pass over the table.  Coordinate ascent: each budget's price in turn
    is bisected (geometrically, ``steps`` times) to where that budget is just used up, or 0 if
    it is not binding, ``sweeps`` times.  These are the relative values of the budgets at the
    optimum of the relaxation — the solver's multipliers, computed without its dynamic program —
    with which the search ranks moves that trade one budget for another."""
    c = np.where(ok, cost, np.inf)
    rows = np.arange(c.shape[0])
    keys = list(shares)
    lam = dict.fromkeys(keys, 0.0)
    spread = np.where(ok, cost, np.nan)
    with np.errstate(invalid="ignore"):
        scale = float(np.nansum(np.nanmax(spread, axis=1) - np.nanmin(spread, axis=1))) or 1.0

    def used(b: str) -> float:
        priced = c + sum(lam[k] * shares[k] for k in keys)
        return float(np.sum(shares[b][rows, np.argmin(priced, axis=1)]))

    for _ in range(sweeps):
        for b in keys:
            lam[b] = 0.0
            if used(b) <= 1.0:
                continue
            lo, hi = scale * 1e-9, scale * 1e3
            for _ in range(steps):
                lam[b] = mid = float(np.sqrt(lo * hi))
                lo, hi = (lo, mid) if used(b) <= 1.0 else (mid, hi)
            lam[b] = hi  # the smallest price tried at which the budget holds
    return lam


class Frontiers:
    """Per-layer frontier options, padded into an (N, L) array of option indices, under a
    ``price`` per budget (default 1 each).  ``candidates`` (N, C): the union of the frontiers
    under several prices, the options the several-budget polish considers."""

    def __init__(self, problem: Problem, price: Mapping[str, float] | None = None) -> None:
        pl = problem.platform
        shares = _shares(problem)
        weight = np.zeros((problem.n_layers, problem.n_options))
        for key, s in shares.items():
            weight += (1.0 if price is None else price[key]) * s
        if not pl.budgets:  # no budget: resource = PEs, so moves still trade speed for size
            weight = np.array(problem.table["pes"], dtype=np.float64)
        cost = problem.layer_cost()
        ok = problem.valid & np.isfinite(weight) & np.isfinite(cost)
        fronts = []
        for n in range(problem.n_layers):
            idx = np.flatnonzero(ok[n])
            if idx.size == 0:
                raise ValueError(problem.infeasible_reason() or f"layer {n} has no valid option")
            fronts.append(idx[frontier(weight[n, idx], cost[n, idx])])
        self.options, self.length = _pad(fronts)
        self.weight, self.cost, self.shares = weight, cost, shares
        # position of every option on its layer's frontier (the nearest frontier point by weight)
        self.position = np.zeros((problem.n_layers, problem.n_options), dtype=np.int64)
        for n, f in enumerate(fronts):
            self.position[n] = np.clip(np.searchsorted(weight[n, f], weight[n], side="right") - 1, 0, f.size - 1)
        self.candidates, self.candidate_length = self.options, self.length
        #: Lagrangian prices of the budgets (cost per whole budget), several budgets only
        self.prices: dict[str, float] = {}
        if len(shares) > 1:
            self.prices = lagrangian_prices(cost, shares, ok)
            self.candidates, self.candidate_length = _pad([np.union1d(f, self._priced_fronts(n, ok[n]))
                                                           for n, f in enumerate(fronts)])  # fmt: skip

    def _priced_fronts(self, n: int, ok: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(ok)
        keys = list(self.shares)
        out = []
        for b in range(len(keys)):
            for p in _PRICES:
                w = sum((1.0 if j == b else p) * self.shares[k][n, idx] for j, k in enumerate(keys))
                out.append(idx[frontier(np.asarray(w), self.cost[n, idx])])
        if any(self.prices.values()):  # and the frontier under the Lagrangian prices
            w = sum(self.prices[k] * self.shares[k][n, idx] for k in keys)
            out.append(idx[frontier(np.asarray(w), self.cost[n, idx])])
        return np.unique(np.concatenate(out))

    @functools.cached_property
    def ranked(self) -> _Ranked:
        """The frontier weights as ranks (layer-sequential repair)."""
        return _Ranked(self)

    def to_positions(self, choice: np.ndarray) -> np.ndarray:
        rows = np.arange(self.options.shape[0])
        return np.asarray(self.position[rows, choice])

    def to_choice(self, pos: np.ndarray) -> np.ndarray:
        rows = np.arange(self.options.shape[0])
        return np.asarray(self.options[rows, np.clip(pos, 0, self.length - 1)])


def polish(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int = 500,
           on_move: Callable[[np.ndarray], object] | None = None,
           rng: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """Local search from ``choice``: repeatedly take the best improving move, where a move
    changes one layer, or two layers, to other options on their frontiers.  Infeasible designs
    improve toward feasibility first (the fitness order).  ``on_move(design)`` is called with
    the design after every move taken.  ``rng`` samples the pair moves of big models in the
    general case (default: a fixed seed, so the search stays reproducible)."""
    on_move = on_move if on_move is not None else (lambda design: None)
    if problem.additive and problem.platform.deployment == "LP":
        return _polish_additive(problem, fr, choice, max_rounds, on_move)
    return _polish_general(problem, fr, choice, max_rounds, on_move, rng or np.random.default_rng(0))


# -- the general local search: any objective and deployment ---------------------------------------

#: Pair moves (one layer a step up its frontier, another a step down) scored per round of the
#: general local search: every pair when there are no more, else this many drawn at random.
MAX_PAIRS = 1 << 14
#: Layer entries (designs × layers) per block when moves are scored as whole designs (only for an
#: objective whose value is not a function of per-field sums or maxima over layers).
_WORK = 1 << 18
#: How the general local search reduces an objective's per-layer fields over the layers, besides
#: the additive objectives (sums): edp is the product of two sums, throughput the largest runtime.
#: The value of a design a few layers away from the current one is then the objective of a short
#: row — the aggregate of the other layers, then the moved layers — computed in O(1) a design.
_REDUCTION = {"edp": "sum", "throughput": "max"}


def _reductions(problem: Problem) -> dict[str, str] | None:
    """Per field the objective or the budgets read: "sum" or "max" over layers; None when the
    objective's value is not known to be a function of such aggregates."""
    spec = problem.objective_spec
    kind = "sum" if spec.additive else _REDUCTION.get(spec.name)
    if kind is None:
        return None
    out = dict.fromkeys(spec.fields, kind)
    usage = "sum" if problem.platform.deployment == "LP" else "max"  # LS: one accelerator, sized by the largest
    for f in problem.platform.limits.needs():
        if out.setdefault(f, usage) != usage:
            return None
    return out


class _MoveScores:
    """Fitness keys of the designs that differ from ``current`` in a few layers, without building
    them: each field of the moved layers is put beside the other layers' aggregate (their sum,
    or their largest value from the current design's top three), and the objective and the
    budgets are computed on those short rows by the same functions as :meth:`Problem.score`.  A
    sum of the other layers is the total less the moved layers', so it may differ from the
    design's own sum in the last bits: these keys rank moves, and the move taken is scored again
    as a whole design.  Objectives without known reductions are scored design by design, in
    blocks of ``_WORK`` layer entries.  Every design counts one evaluation."""

    def __init__(self, problem: Problem, current: np.ndarray) -> None:
        self.problem, self.current = problem, current
        self.kinds = _reductions(problem)
        rows = np.arange(problem.n_layers)
        self.x = {f: np.asarray(problem.table[f][rows, current], dtype=np.float64) for f in self.kinds or ()}
        self.total = {f: float(np.sum(self.x[f])) for f, kind in (self.kinds or {}).items() if kind == "sum"}
        self.top: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for f, kind in (self.kinds or {}).items():
            if kind == "max":  # the three largest (index, value), padded: enough to exclude two moved layers
                order = np.argsort(-self.x[f], kind="stable")[:3]
                pad = 3 - order.size
                self.top[f] = (np.concatenate([order, np.full(pad, -1)]),
                               np.concatenate([self.x[f][order], np.full(pad, -np.inf)]))  # fmt: skip

    def keys(self, layers: np.ndarray, options: np.ndarray) -> np.ndarray:
        """Fitness keys (M,) of the designs that set ``layers[m, j]`` to ``options[m, j]`` (M, k),
        distinct layers in a row."""
        pr = self.problem
        pr.evaluations += layers.shape[0]
        if self.kinds is None:
            return self._whole(layers, options)
        per = {}
        for f, kind in self.kinds.items():
            new = pr.table[f][layers, options]
            if kind == "sum":
                rest = self.total[f] - np.sum(self.x[f][layers], axis=1)
            else:
                idx, val = self.top[f]
                free = ~np.any(idx[None, :, None] == layers[:, None, :], axis=2)  # (M, 3): not a moved layer
                rest = np.where(free.any(axis=1), val[np.argmax(free, axis=1)], -np.inf)
            per[f] = np.concatenate([rest[:, None], new], axis=1)
        valid = np.all(pr.valid[layers, options], axis=1)
        usage, fits, overuse = pr.platform.limits.check(per)
        objective = np.where(valid, pr.objective_spec.value(per), np.nan)
        return pr.fitness_key(Scores(objective, valid & fits, np.where(valid, overuse, np.inf), usage))

    def _whole(self, layers: np.ndarray, options: np.ndarray) -> np.ndarray:
        pr, out = self.problem, np.empty(layers.shape[0])
        step = max(1, _WORK // pr.n_layers)
        for a in range(0, layers.shape[0], step):
            lay, opt = layers[a : a + step], options[a : a + step]
            designs = np.repeat(self.current[None, :], lay.shape[0], axis=0)
            designs[np.arange(lay.shape[0])[:, None], lay] = opt
            out[a : a + step] = pr.fitness_key(pr.score(designs, count=False))
        return out


def _pairs(up: np.ndarray, down: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair moves (layer i a step up, layer j ≠ i a step down): all of them, or ``MAX_PAIRS``
    drawn at random when there are more."""
    if up.size * down.size <= MAX_PAIRS:
        i, j = (a.ravel() for a in np.meshgrid(up, down, indexing="ij"))
    else:
        i, j = rng.choice(up, MAX_PAIRS), rng.choice(down, MAX_PAIRS)
    keep = i != j
    return i[keep], j[keep]


def _polish_general(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int,
                    on_move: Callable[[np.ndarray], object], rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Best-improvement local search for any objective and deployment: each round scores every
    single step (a layer one place up or down its frontier) and the pair moves of
    :func:`_pairs` from the current design's aggregates (:class:`_MoveScores`; O(layers +
    MAX_PAIRS) work and memory a round), and — since single steps climb long frontiers (the box)
    slowly — the best improving single steps of 2, 4, 8, … layers together as whole designs.
    The best candidate is scored as a whole design and taken when it improves."""
    pos = fr.to_positions(choice)
    current = fr.to_choice(pos)
    key = problem.fitness_key(problem.score(current))[0]
    n = pos.size
    for _ in range(max_rounds):
        up, down = np.flatnonzero(pos + 1 < fr.length), np.flatnonzero(pos > 0)
        if up.size + down.size == 0:
            break  # every layer's frontier is a single option: there is no move
        scores = _MoveScores(problem, current)
        s_layer = np.concatenate([up, down])
        s_pos = pos[s_layer] + np.concatenate([np.ones(up.size, np.int64), -np.ones(down.size, np.int64)])
        s_keys = scores.keys(s_layer[:, None], fr.options[s_layer, s_pos][:, None])
        i, j = _pairs(up, down, rng)
        p_keys = scores.keys(np.stack([i, j], axis=1), np.stack([fr.options[i, pos[i] + 1],
                                                                 fr.options[j, pos[j] - 1]], axis=1))  # fmt: skip
        cand = []  # (estimated key, new positions of the moved layers)
        if s_keys.size:
            b = int(np.argmin(s_keys))
            cand.append((s_keys[b], s_layer[b : b + 1], s_pos[b : b + 1]))
        if p_keys.size:
            b = int(np.argmin(p_keys))
            cand.append((p_keys[b], np.array([i[b], j[b]]), np.array([pos[i[b]] + 1, pos[j[b]] - 1])))
        cand += _combined_steps(problem, fr, pos, s_layer, s_pos, s_keys, key)
        est, lay, new = min(cand, key=lambda c: c[0])
        if not est < key:
            break
        p = pos.copy()
        p[lay] = new
        design = fr.options[np.arange(n), p]
        k = problem.fitness_key(problem.score(design))[0]
        if not k < key:  # the estimate's last bits; the whole design decides
            break
        pos, current, key = p, design, k
        on_move(current)
    return current


def _combined_steps(problem: Problem, fr: Frontiers, pos: np.ndarray, s_layer: np.ndarray, s_pos: np.ndarray,
                    s_keys: np.ndarray, key: float) -> list[tuple[float, np.ndarray, np.ndarray]]:  # fmt: skip
    """The best improving single steps of 2, 4, 8, … layers applied together (one step a layer),
    scored as whole designs: (key, layers, new positions) each."""
    better = np.flatnonzero(s_keys < key)
    if better.size < 2:
        return []
    better = better[np.argsort(s_keys[better], kind="stable")]
    _, first = np.unique(s_layer[better], return_index=True)  # the best step of each layer
    better = better[np.sort(first)]
    sizes = 2 ** np.arange(1, int(np.log2(better.size)) + 1)
    p = np.repeat(pos[None, :], sizes.size, axis=0)
    for r, k in enumerate(sizes):
        p[r, s_layer[better[:k]]] = s_pos[better[:k]]
    keys = problem.fitness_key(problem.score(fr.options[np.arange(pos.size)[None, :], p]))
    return [(keys[r], s_layer[better[:k]], s_pos[better[:k]]) for r, k in enumerate(sizes)]


# -- additive objective, layer-pipelined budgets: moves scored from per-layer differences -------


def _polish_additive(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int,
                     on_move: Callable[[np.ndarray], object]) -> np.ndarray:  # fmt: skip
    """The local search for an additive objective with layer-pipelined budgets, where a move's
    effect is the sum of per-layer differences, scored without rebuilding designs.  Every
    single move is scored; of the pair moves, with one budget the best partner of every
    improving move (:func:`_best_partners`, exact, without scoring the others), with several
    budgets the best partner, fitting every budget, of the most promising up-moves (the
    ``_MAX_UP`` largest gains and gains per resource).  With several budgets the moves reach
    the union of the frontiers under several prices (:attr:`Frontiers.candidates`), so a layer
    can trade one resource for another.  Each design scored counts as one evaluation."""
    n = problem.n_layers
    rows = np.arange(n)
    budgets = problem.platform.budgets
    opts, length = (fr.candidates, fr.candidate_length) if len(budgets) > 1 else (fr.options, fr.length)
    layer = np.repeat(rows, length)  # the moves: (layer, option) pairs, the padding left out
    opts = opts[np.arange(opts.shape[1])[None, :] < length[:, None]]
    cost_o = fr.cost[layer, opts]
    w_o = {k: problem.table[k][layer, opts] for k in budgets}
    current = np.array(choice, dtype=np.int64)
    if not problem.score(current).feasible[0]:
        current = fr.to_choice(fr.to_positions(choice))
    for _ in range(max_rounds):
        s = problem.score(current)
        if not s.feasible[0]:
            return current  # the additive search starts from feasible designs (see repair)
        dc = cost_o - fr.cost[rows, current][layer]  # (M,) moves: (layer, option)
        slack = {k: budgets[k] - float(s.usage[k][0]) for k in budgets}
        dw = {k: w_o[k] - problem.table[k][rows, current][layer] for k in budgets}
        move = _best_move(problem, dc, dw, slack, layer)
        batch = _single_batch(dc, dw, slack, layer)
        if batch is not None and (move is None or sum(dc[m] for m in batch) < sum(dc[m] for m in move)):
            move = batch
        problem.evaluations += dc.size
        if move is None:  # a local optimum of one- and two-layer moves: try exchanges of several
            move = _best_exchange(problem, dc, dw, slack, layer, fr.prices)
        if move is None:
            break
        candidate = current.copy()
        for m in move:
            candidate[layer[m]] = opts[m]
        if not problem.score(candidate).feasible[0]:  # the budgets' own summation decides
            break
        current = candidate
        on_move(current)
    return current


def _best_move(problem: Problem, dc: np.ndarray, dw: dict[str, np.ndarray], slack: dict[str, float],
               layer: np.ndarray) -> tuple[int, ...] | None:  # fmt: skip
    """The best improving single or pair move (indices into the move arrays), or None."""
    fits = np.isfinite(dc) & (dc < 0)
    for k, d in dw.items():
        fits &= d <= slack[k]
    best_gain = 0.0
    best_move: tuple[int, ...] | None = None
    if np.any(fits):
        i = int(np.argmin(np.where(fits, dc, np.inf)))
        best_gain, best_move = float(dc[i]), (i,)
    up = np.flatnonzero(np.isfinite(dc) & (dc < 0))
    down = np.flatnonzero(np.isfinite(dc) & (dc >= 0))
    if not (up.size and down.size):
        return best_move
    if len(dw) == 1:
        ((key, d),) = dw.items()
        b, gain = _best_partners(up, down, dc, d, layer, slack[key])
        problem.evaluations += int(np.count_nonzero(np.isfinite(gain)))
    else:
        up = _promising(up, dc, dw, slack)
        b, gain = _best_partners_multi(up, down, dc, dw, layer, slack)
        problem.evaluations += int(up.size * down.size)
    i = int(np.argmin(gain)) if gain.size else 0
    if gain.size and gain[i] < best_gain:
        best_move = _pair_batch(up, down[b], gain, dw, slack, layer) or (int(up[i]), int(down[b[i]]))
    return best_move


def _pair_batch(up: np.ndarray, partner: np.ndarray, gain: np.ndarray, dw: dict[str, np.ndarray],
                slack: dict[str, float], layer: np.ndarray) -> tuple[int, ...] | None:  # fmt: skip
    """Several improving pair moves at once (a big model far from a local optimum): pairs on
    distinct layers, best gain first, while their summed resource changes fit every slack.
    None unless at least two pairs fit."""
    idx = np.flatnonzero(np.isfinite(gain) & (gain < 0))
    if idx.size < 2:
        return None
    idx = idx[np.argsort(gain[idx], kind="stable")]
    taken: set[int] = set()
    left = dict(slack)
    out: list[int] = []
    u_l, d_l = up[idx].tolist(), partner[idx].tolist()  # Python scalars: this loop is scalar work
    pair_w = {k: (dw[k][up[idx]] + dw[k][partner[idx]]).tolist() for k in left}  # same sums, once
    lay_u, lay_d = layer[up[idx]].tolist(), layer[partner[idx]].tolist()
    for i in range(idx.size):
        u, d, lu, ld = u_l[i], d_l[i], lay_u[i], lay_d[i]
        if lu in taken or ld in taken or any(pair_w[k][i] > left[k] for k in left):
            continue
        taken.update((lu, ld))
        left = {k: v - dw[k][u] - dw[k][d] for k, v in left.items()}
        out += [u, d]
    return tuple(out) if len(out) >= 4 else None


def _single_batch(dc: np.ndarray, dw: dict[str, np.ndarray], slack: dict[str, float],
                  layer: np.ndarray) -> tuple[int, ...] | None:  # fmt: skip
    """Many improving single moves at once (far from a local optimum, e.g. a big model's first
    polish): each layer's best improving move, best first, while their summed resource changes
    fit every budget's slack.  None unless at least two fit."""
    ok = np.isfinite(dc) & (dc < 0)
    if np.count_nonzero(ok) < 2:
        return None
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(dc[idx], kind="stable")]
    _, first = np.unique(layer[idx], return_index=True)
    idx = idx[np.sort(first)]  # the best move of each layer, best first
    fits = np.ones(idx.size, dtype=bool)
    for k, d in dw.items():
        fits &= np.cumsum(d[idx]) <= slack[k]
    n = int(np.argmin(fits)) if not fits.all() else idx.size  # the prefix that fits
    return tuple(int(m) for m in idx[:n]) if n >= 2 else None


_SEEDS = 8  # exchanges tried per round from the best down-moves and from the best up-moves
_CHAIN = 64  # layers an exchange may change


def _best_exchange(problem: Problem, dc: np.ndarray, dw: dict[str, np.ndarray], slack: dict[str, float],
                   layer: np.ndarray, prices: Mapping[str, float] | None = None) -> tuple[int, ...] | None:  # fmt: skip
    """Exchanges of several layers, for the local optima of one- and two-layer moves: from a
    seed move — one of the ``_SEEDS`` down-moves freeing the most budget per cost added, or of
    the ``_SEEDS`` up-moves gaining the most per resource used or in all (one a layer) — repair
    greedily (other layers step down, the least cost per over-used resource freed) until every
    budget holds, then fill greedily (other layers step up, the most gain per resource used)
    while they fit.  One layer freeing
    resource for several others, or the reverse, is how two binding budgets get traded.
    Returns the best improving exchange (move indices), or None."""
    budgets = problem.platform.budgets
    finite = np.isfinite(dc)
    share = {k: dw[k] / budgets[k] for k in dw}
    freed = sum(np.maximum(-v, 0.0) for v in share.values())
    used = sum(np.maximum(v, 0.0) for v in share.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        down_rate = np.where(finite & (dc >= 0) & (freed > 0), dc / freed, np.inf)
        up_rate = np.where(finite & (dc < 0), dc / np.maximum(used, 1e-12), np.inf)
    up_gain = np.where(finite & (dc < 0), dc, np.inf)
    rates = [down_rate, up_rate, up_gain]
    batches = []
    value: dict[str, float] = {}
    if len(share) > 1:  # first, moves that trade one budget for another at the design's marginal rates
        marginal = _marginal_rates(dc, share, finite)
        value = {k: v for k, (v, _) in marginal.items()}
        priced = _traded(dc, share, marginal)
        batches.append(_top_per_layer(np.where(finite & (priced < 0), priced, np.inf), layer))
    batches.append(np.setdiff1d(np.concatenate([_top_per_layer(r, layer) for r in rates]), batches[0] if batches
                                else []))  # fmt: skip
    best_gain, best = 0.0, None
    groups = _groups(layer, int(layer.max()) + 1)
    left = {k: slack[k] / budgets[k] for k in dw}
    for seeds in batches:  # the later batch only when the first finds no improving exchange
        for seed in np.unique(seeds):
            if len(batches) == 1 and not (np.isfinite(down_rate[seed]) or np.isfinite(up_gain[seed])):
                continue
            gain, moves = _exchange(int(seed), dc, share, left, layer, finite, groups, value)
            problem.evaluations += len(moves)
            if gain < best_gain:
                best_gain, best = gain, tuple(moves)
        if best is not None:
            break
    return best


def _marginal_rates(dc: np.ndarray, share: dict[str, np.ndarray], finite: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per budget b, the current design's marginal rates: (the most cost saved per share of b by
    a move that uses b alone — the value of b's slack, >= 0; the least cost added per share of b
    freed by a move that frees it — 0 if none)."""
    out = {}
    for b, s_b in share.items():
        alone = finite & (s_b > 0) & np.all([share[k] <= 0 for k in share if k != b], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            fill = np.min(np.where(alone & (dc < 0), dc / s_b, 0.0), initial=0.0)
            free = np.min(np.where(finite & (s_b < 0) & (dc >= 0), dc / -s_b, np.inf), initial=np.inf)
        out[b] = (-float(fill), float(free) if np.isfinite(free) else 0.0)
    return out


def _traded(dc: np.ndarray, share: dict[str, np.ndarray], rates: dict[str, tuple[float, float]]) -> np.ndarray:
    """Each move's cost once the budgets it changes are settled at the current design's
    marginal rates (:func:`_marginal_rates`): a share of budget b it uses is freed again at b's
    cheapest rate, a share it frees is spent at b's best rate.  Linear estimates — they rank the
    seeds of exchanges, where a move such as "one more PE, half the L1" pays only once other
    layers take up what it frees."""
    out = dc.copy()
    for b, s_b in share.items():
        value, free = rates[b]
        out += np.where(s_b > 0, s_b * free, s_b * value)
    return np.asarray(out)


def _top_per_layer(score: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """The ``_SEEDS`` finite lowest scores, at most one per layer (each layer's best)."""
    order = np.argsort(score, kind="stable")
    order = order[np.isfinite(score[order])]
    _, first = np.unique(layer[order], return_index=True)
    return np.asarray(order[np.sort(first)][:_SEEDS])


def _exchange(seed: int, dc: np.ndarray, share: dict[str, np.ndarray], slack: dict[str, float], layer: np.ndarray,
              finite: np.ndarray, groups: list[np.ndarray] | None = None,
              value: Mapping[str, float] | None = None) -> tuple[float, list[int]]:  # fmt: skip
    """One exchange from ``seed`` (see :func:`_best_exchange`), in budget shares: (gain, moves);
    gain inf if it cannot be made to fit.  Layers other than the seed's may move several times
    (a repair step refined by the fill); each move is scored against the layer's current option.
    A repair step may not push a budget with slack over, and (several budgets) the slack it
    takes is charged at that budget's ``value`` per share (its marginal rate: the slack the seed
    freed is what the fill is to spend, not free to give back).  The moves' changes against the
    current options are kept up to date layer by layer (``groups``: the moves of each layer), so
    a step costs O(moves · budgets)."""
    n_layers = int(layer.max()) + 1
    groups = _groups(layer, n_layers) if groups is None else groups
    keys = list(share)
    at = np.full(n_layers, -1)  # the move applied to each layer (-1: none)
    cur_dc = np.zeros(n_layers)
    d_c = dc.copy()  # each move's change of cost against its layer's current option
    d_s = {k: share[k].copy() for k in keys}  # ... and of each budget share
    free = finite & (layer != layer[seed])

    def apply(m: int) -> None:
        lay = int(layer[m])
        at[lay], cur_dc[lay] = m, dc[m]
        g = groups[lay]
        d_c[g] = dc[g] - dc[m]
        for k in keys:
            d_s[k][g] = share[k][g] - share[k][m]

    left = {k: slack[k] - share[k][seed] for k in keys}
    apply(seed)
    for _ in range(_CHAIN):  # repair: every over-used budget priced by its excess
        over = {k: -v for k, v in left.items() if v < 0}
        if not over:
            break
        rate = _repair_rate(d_c, d_s, left, over, free, value)
        m = int(np.argmin(rate))
        if not np.isfinite(rate[m]):
            return np.inf, []
        left = {k: v - d_s[k][m] for k, v in left.items()}
        apply(m)
    if any(v < 0 for v in left.values()):
        return np.inf, []
    for _ in range(_CHAIN):  # fill: the most gain per share used, while everything fits
        fits = free & (d_c < 0)
        need = np.zeros(dc.size)
        for k, v in left.items():
            fits &= d_s[k] <= v
            need += np.maximum(d_s[k], 0.0)
        if not np.any(fits):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            m = int(np.argmin(np.where(fits, d_c / np.maximum(need, 1e-12), np.inf)))
        left = {k: v - d_s[k][m] for k, v in left.items()}
        apply(m)
    moves = [int(m) for m in at if m >= 0]
    return float(cur_dc.sum()), moves


def _repair_rate(d_c: np.ndarray, d_s: dict[str, np.ndarray], left: dict[str, float], over: dict[str, float],
                 free: np.ndarray, value: Mapping[str, float] | None) -> np.ndarray:  # fmt: skip
    """Cost per over-used share freed of every move (inf where it frees none or may not be
    taken), each over-used budget weighted by its excess; see :func:`_exchange`."""
    relief = np.zeros(d_c.size)
    for k, o in over.items():
        relief += -d_s[k] * o
    need = sum(o * o for o in over.values())
    allowed, cost = free & (relief > 0), d_c
    for k, v in left.items():
        if k not in over and value:  # slack taken is charged; a budget with slack stays within
            allowed = allowed & (d_s[k] <= v)
            cost = cost + np.maximum(d_s[k], 0.0) * value.get(k, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # freeing more than needed earns nothing
        return np.asarray(np.where(allowed, cost / np.minimum(relief, need), np.inf))


def _groups(layer: np.ndarray, n_layers: int) -> list[np.ndarray]:
    """The indices of each layer's moves."""
    order = np.argsort(layer, kind="stable")
    bounds = np.searchsorted(layer[order], np.arange(n_layers + 1))
    return [order[bounds[n] : bounds[n + 1]] for n in range(n_layers)]


def _promising(up: np.ndarray, dc: np.ndarray, dw: dict[str, np.ndarray], slack: dict[str, float]) -> np.ndarray:
    """At most 2·_MAX_UP up-moves: the largest gains and the largest gains per unit of the
    resource they need beyond the slack."""
    if up.size <= 2 * _MAX_UP:
        return up
    need = np.zeros(up.size)
    for k, d in dw.items():
        need += np.maximum(d[up] - slack[k], 0.0) / max(abs(slack[k]), 1.0)
    by_gain = np.argsort(dc[up], kind="stable")[:_MAX_UP]
    by_rate = np.argsort(dc[up] / np.maximum(need, 1e-12), kind="stable")[:_MAX_UP]
    return np.asarray(up[np.union1d(by_gain, by_rate)])


def _best_partners_multi(up: np.ndarray, down: np.ndarray, dc: np.ndarray, dw: dict[str, np.ndarray],
                         layer: np.ndarray, slack: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For each up-move, the down-move of another layer that adds the least cost while the pair
    fits every budget, checked in blocks of at most ``_CHUNK`` pairs.  Returns the partner's
    index into ``down`` and the pair's gain (inf where none fits)."""
    order = np.argsort(dc[down], kind="stable")  # cheapest partners first: the first fit wins
    down_s = down[order]
    pick = np.zeros(up.size, dtype=np.int64)
    gain = np.full(up.size, np.inf)
    step = max(1, _CHUNK // max(1, down_s.size))
    for a in range(0, up.size, step):
        u = up[a : a + step]
        ok = layer[u][:, None] != layer[down_s][None, :]
        for k, d in dw.items():
            ok &= d[u][:, None] + d[down_s][None, :] <= slack[k]
        first = np.argmax(ok, axis=1)
        found = ok[np.arange(u.size), first]
        pick[a : a + step] = order[first]
        gain[a : a + step] = np.where(found, dc[u] + dc[down_s][first], np.inf)
    return pick, gain


def _best_partners(up: np.ndarray, down: np.ndarray, dc: np.ndarray, dw: np.ndarray, layer: np.ndarray,
                   slack: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For each up-move, the down-move of another layer that adds the least cost while the
    pair fits the one budget's ``slack``: down-moves sorted by resource, with the cheapest and
    the cheapest of a different layer among the first j kept for every j.  Returns, per
    up-move, the partner's index into ``down`` and the pair's gain (inf where no partner
    fits); only these pairs are scored."""
    room = slack - dw[up]
    # only down-moves some up-move can pair with: the sorted order's prefix, sorted alone
    sel = np.flatnonzero(dw[down] <= room.max())
    if not sel.size:
        return np.full(up.size, int(np.argmin(dw[down]))), np.full(up.size, np.inf)
    order = sel[np.argsort(dw[down][sel], kind="stable")]
    d_w, d_c, d_l = dw[down][order], dc[down][order], layer[down][order]
    last = np.searchsorted(d_w, room, side="right") - 1  # partners that fit: [0, last]
    n = int(last.max()) + 1  # the scan below is read up to the largest ``last``
    first, second = _cheapest_two(d_c[: max(n, 1)], d_l[: max(n, 1)])
    fits = last >= 0
    j = np.maximum(last, 0)
    pick = np.where(d_l[first[j]] != layer[up], first[j], second[j])
    fits &= pick >= 0
    pick = np.maximum(pick, 0)
    gain = np.where(fits, dc[up] + d_c[pick], np.inf)
    return order[pick], gain


def _earliest_argmin(c: np.ndarray) -> np.ndarray:
    """Per position j, the first index of the smallest of ``c[0..j]``."""
    run = np.minimum.accumulate(c)
    new = np.ones(c.size, dtype=bool)
    new[1:] = c[1:] < run[:-1]  # a new strict minimum: ties keep the earlier index
    return np.asarray(np.maximum.accumulate(np.where(new, np.arange(c.size), 0)))


def _cheapest_two(cost: np.ndarray, lay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per prefix ``[0..j]`` of the (finite) costs: the first cheapest index, and the first
    cheapest index on a layer other than that one's (-1 if none).  Vectorised: the cheapest
    changes at few places and lies on few layers, so the second is one masked scan per such
    layer."""
    first = _earliest_argmin(cost)
    second = np.full(cost.size, -1, dtype=np.int64)
    owner = lay[first]
    for lay_f in np.unique(owner).tolist():
        at = np.flatnonzero(owner == lay_f)
        end = int(at[-1]) + 1  # positions after the last one owned by lay_f are not needed
        masked = np.where(lay[:end] != lay_f, cost[:end], np.inf)
        idx = _earliest_argmin(masked)[at]
        second[at] = np.where(np.isfinite(masked[idx]), idx, -1)
    return first, second


def repair(problem: Problem, fr: Frontiers, choices: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """Make designs feasible where possible: each round, every infeasible design steps down the
    layer that frees the most of its over-used resources per unit of cost added.  With
    layer-pipelined budgets only the budgets a design exceeds count, each priced by how far it
    is exceeded (a budget with slack costs nothing), and the layer jumps down its frontier by
    as many places as that step's size suggests the excess needs (the box's frontiers are long).
    All designs advance together (one budget check per round, counted as evaluations; frontier
    options are all valid)."""
    pos = np.stack([fr.to_positions(c) for c in choices])
    rows = np.arange(pos.shape[1])[None, :]
    if problem.platform.deployment != "LP":
        return _repair_capped(problem, fr, pos)
    steps = int(fr.length.sum()) if max_steps is None else max_steps
    lp = bool(fr.shares)
    for _ in range(steps):
        cur = fr.options[rows, pos]
        todo = problem.over_budget(cur)
        if not np.any(todo):
            break
        lower = fr.options[rows, np.maximum(pos - 1, 0)]
        dc = fr.cost[rows, lower] - fr.cost[rows, cur]
        rate = _rate(pos, dc, fr.weight[rows, cur] - fr.weight[rows, lower])
        jump = np.ones(pos.shape, dtype=np.int64)
        if lp:
            priced_rate, jump = _priced_steps(fr, pos, cur, lower, dc, rows)
            rate = np.where(np.isfinite(priced_rate.min(axis=1))[:, None], priced_rate, rate)
        # far over budget several layers step at once (the best rates; one layer near it)
        over = np.nan_to_num(problem.score(cur, count=False).overuse, posinf=1.0)
        m = np.clip((over * pos.shape[1] / 4).astype(np.int64), 1, max(1, pos.shape[1] // 8))
        order = np.argsort(rate, axis=1, kind="stable")
        ranked = np.take_along_axis(rate, order, axis=1)
        take = (np.arange(pos.shape[1])[None, :] < m[:, None]) & np.isfinite(ranked) & todo[:, None]
        if not np.any(take):
            break
        d, k = np.nonzero(take)
        j = order[d, k]
        pos[d, j] -= np.minimum(jump[d, j], pos[d, j])
    return np.asarray(fr.options[rows, pos])


class _Ranked:
    """Every layer's frontier weights replaced by their rank among all of them (``values``, the
    distinct weights ascending), so that (layer, rank) is one sorted integer key: the heaviest
    point of every layer under a cap is then one ``searchsorted`` over the layers."""

    def __init__(self, fr: Frontiers) -> None:
        n = fr.options.shape[0]
        real = np.arange(fr.options.shape[1])[None, :] < fr.length[:, None]
        w = fr.weight[np.arange(n)[:, None], fr.options][real]  # layer by layer, ascending within a layer
        self.values = np.unique(w)
        self.keys = np.repeat(np.arange(n, dtype=np.int64), fr.length) * self.values.size \
            + np.searchsorted(self.values, w)  # fmt: skip
        self.start = np.concatenate([[0], np.cumsum(fr.length)[:-1]])
        self.layers = np.arange(n, dtype=np.int64) * self.values.size

    def heaviest_under(self, rank: np.ndarray) -> np.ndarray:
        """(D, N): per cap ``values[rank[d]]`` and layer, the frontier position of the heaviest
        point no heavier than the cap (−1 if none)."""
        count = np.searchsorted(self.keys, self.layers[None, :] + rank[:, None] + 1) - self.start[None, :]
        return np.asarray(count - 1)


def _repair_capped(problem: Problem, fr: Frontiers, pos: np.ndarray) -> np.ndarray:
    """Layer-sequential budgets: the one accelerator is sized by the largest layer, so only
    lowering the largest layers helps.  For each over-budget design, bisection on a cap on the
    layers' weight, over the distinct frontier weights (so it ends exactly, after about log2 of
    their number budget checks, counted): every layer above the cap moves down its frontier to
    the heaviest point under it; the largest cap that fits is kept (the lightest design if
    none)."""
    rows = np.arange(pos.shape[1])[None, :]
    cur = fr.options[rows, pos]
    todo = problem.over_budget(cur)
    if not np.any(todo):
        return np.asarray(cur)
    ranked = fr.ranked
    d = np.flatnonzero(todo)
    # the cap at rank lo fits (lo = -1: the lightest design), the cap at rank hi does not (the design itself)
    lo = np.full(d.size, -1)
    hi = np.searchsorted(ranked.values, np.max(fr.weight[rows, cur[d]], axis=1))
    best = np.zeros((d.size, pos.shape[1]), dtype=np.int64)  # the lightest design: every layer at 0
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        p = np.minimum(pos[d], np.maximum(ranked.heaviest_under(np.maximum(mid, 0)), 0))
        ok = ~problem.over_budget(fr.options[rows, p]) & (hi - lo > 1)
        best[ok] = p[ok]
        lo, hi = np.where(ok, mid, lo), np.where(ok | (hi - lo <= 1), hi, mid)
    pos = pos.copy()
    pos[d] = best
    return np.asarray(fr.options[rows, pos])


def _priced_steps(fr: Frontiers, pos: np.ndarray, cur: np.ndarray, lower: np.ndarray, dc: np.ndarray,
                  rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Layer-pipelined budgets: the rate of every one-place step down, pricing each budget by
    its excess (share over 1), and how many places the step should be repeated to cover the
    excess (a jump of at least 1)."""
    freed = np.zeros(pos.shape)
    need = np.zeros(pos.shape[0])
    for s in fr.shares.values():
        over = np.maximum(np.sum(s[rows, cur], axis=1) - 1.0, 0.0)
        freed += over[:, None] * (s[rows, cur] - s[rows, lower])
        need += over * over
    rate = _rate(pos, dc, freed)
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = np.ceil(need[:, None] / freed)
    jump = np.where(np.isfinite(jump) & (jump >= 1), np.minimum(jump, pos), 1)
    return rate, jump.astype(np.int64)


def _rate(pos: np.ndarray, dc: np.ndarray, dw: np.ndarray) -> np.ndarray:
    """Cost added per resource freed by stepping down (inf where nothing is freed)."""
    with np.errstate(over="ignore"):
        return np.asarray(np.where((pos > 0) & (dw > 0), dc / np.maximum(dw, 1e-300), np.inf))
