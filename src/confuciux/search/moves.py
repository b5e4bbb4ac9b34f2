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

from collections.abc import Callable, Mapping

import numpy as np

from .frontier import frontier
from .problem import Problem

__all__ = ["Frontiers", "polish", "repair"]

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
        self.candidates = self.options
        if len(shares) > 1:
            self.candidates = _pad([np.union1d(f, self._priced_fronts(n, ok[n])) for n, f in enumerate(fronts)])[0]

    def _priced_fronts(self, n: int, ok: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(ok)
        keys = list(self.shares)
        out = []
        for b in range(len(keys)):
            for p in _PRICES:
                w = sum((1.0 if j == b else p) * self.shares[k][n, idx] for j, k in enumerate(keys))
                out.append(idx[frontier(np.asarray(w), self.cost[n, idx])])
        return np.unique(np.concatenate(out))

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


# -- the general local search: any objective and deployment, scored design by design ------------

_WORK = 1 << 18  # layer entries (designs × layers) scored per round in the general local search


def _neighbours(pos: np.ndarray, fr: Frontiers, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Designs one up-step, one down-step, or one up-step plus one down-step away: every
    single step, and every pair when they fit the round's work bound (``_WORK`` layer entries),
    else as many pairs as fit, drawn at random.  Returns (positions (D, N), number of singles
    first)."""
    n = pos.size
    up, down = np.flatnonzero(pos + 1 < fr.length), np.flatnonzero(pos > 0)
    i_s = np.concatenate([up, down])
    d_s = np.concatenate([np.ones(up.size, np.int64), -np.ones(down.size, np.int64)])
    room = max(64, _WORK // n - i_s.size)
    n_pairs = up.size * down.size
    if n_pairs and n_pairs <= room:
        i, j = (a.ravel() for a in np.meshgrid(up, down, indexing="ij"))
    elif n_pairs:
        i, j = rng.choice(up, room), rng.choice(down, room)
    else:
        i = j = np.zeros(0, dtype=np.int64)
    keep = i != j
    i, j = i[keep], j[keep]
    cand = np.repeat(pos[None, :], i_s.size + i.size, axis=0)
    rows = np.arange(cand.shape[0])
    cand[rows[: i_s.size], i_s] += d_s
    cand[rows[i_s.size :], i] += 1
    cand[rows[i_s.size :], j] -= 1
    return cand, i_s.size


def _polish_general(problem: Problem, fr: Frontiers, choice: np.ndarray, max_rounds: int,
                    on_move: Callable[[np.ndarray], object], rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Best-improvement local search scored design by design (any objective, any deployment),
    with memory bounded by ``_WORK``.  On long frontiers (the box) single steps are slow to
    climb, so each round also tries the best improving single steps of many layers at once
    (the top half, quarter, … of them) and takes that combination when it scores better."""
    pos = fr.to_positions(choice)
    current = fr.to_choice(pos)
    key = problem.fitness_key(problem.score(current))[0]
    rows = np.arange(pos.size)[None, :]
    for _ in range(max_rounds):
        cand_pos, n_single = _neighbours(pos, fr, rng)
        cands = fr.options[rows, np.clip(cand_pos, 0, fr.length - 1)]
        keys = problem.fitness_key(problem.score(cands))
        combo_pos = _combined_steps(pos, cand_pos[:n_single], keys[:n_single], key)
        if combo_pos.shape[0]:
            combos = fr.options[rows, combo_pos]
            combo_keys = problem.fitness_key(problem.score(combos))
            cand_pos, cands = np.concatenate([cand_pos, combo_pos]), np.concatenate([cands, combos])
            keys = np.concatenate([keys, combo_keys])
        best = int(np.argmin(keys))
        if not keys[best] < key:
            break
        pos, current, key = cand_pos[best], cands[best], keys[best]
        on_move(current)
    return current


def _combined_steps(pos: np.ndarray, single_pos: np.ndarray, single_keys: np.ndarray, key: float) -> np.ndarray:
    """Designs that apply the best 2, 4, 8, … improving single steps together (one step a
    layer): positions (D, N)."""
    better = np.flatnonzero(single_keys < key)
    if better.size < 2:
        return np.zeros((0, pos.size), dtype=np.int64)
    better = better[np.argsort(single_keys[better], kind="stable")]
    layer = np.argmax(single_pos[better] != pos[None, :], axis=1)
    _, first = np.unique(layer, return_index=True)  # the best step of each layer
    better, layer = better[np.sort(first)], layer[np.sort(first)]
    out = []
    k = 2
    while k <= better.size:
        p = pos.copy()
        p[layer[:k]] = single_pos[better[:k], layer[:k]]
        out.append(p)
        k *= 2
    return np.array(out, dtype=np.int64).reshape(-1, pos.size)


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
    opts = fr.candidates if len(budgets) > 1 else fr.options  # (N, L)
    cost_o = fr.cost[rows[:, None], opts].ravel()
    w_o = {k: problem.table[k][rows[:, None], opts].ravel() for k in budgets}
    layer = np.repeat(rows, opts.shape[1])
    current = np.array(choice, dtype=np.int64)
    if not problem.score(current).feasible[0]:
        current = fr.to_choice(fr.to_positions(choice))
    for _ in range(max_rounds):
        s = problem.score(current)
        if not s.feasible[0]:
            return current  # the additive search starts from feasible designs (see repair)
        dc = cost_o - np.repeat(fr.cost[rows, current], opts.shape[1])  # (M,) moves: (layer, option)
        slack = {k: budgets[k] - float(s.usage[k][0]) for k in budgets}
        dw = {k: w_o[k] - np.repeat(problem.table[k][rows, current], opts.shape[1]) for k in budgets}
        move = _best_move(problem, dc, dw, slack, layer)
        batch = _single_batch(dc, dw, slack, layer)
        if batch is not None and (move is None or sum(dc[m] for m in batch) < sum(dc[m] for m in move)):
            move = batch
        problem.evaluations += dc.size
        if move is None:  # a local optimum of one- and two-layer moves: try exchanges of several
            move = _best_exchange(problem, dc, dw, slack, layer)
        if move is None:
            break
        candidate = current.copy()
        for m in move:
            candidate[layer[m]] = opts.ravel()[m]
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
                   layer: np.ndarray) -> tuple[int, ...] | None:  # fmt: skip
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
    seeds = np.unique(np.concatenate([_top_per_layer(r, layer) for r in (down_rate, up_rate, up_gain)]))
    best_gain, best = 0.0, None
    for seed in seeds:
        if not (np.isfinite(down_rate[seed]) or np.isfinite(up_gain[seed])):
            continue
        gain, moves = _exchange(int(seed), dc, share, {k: slack[k] / budgets[k] for k in dw}, layer, finite)
        problem.evaluations += len(moves)
        if gain < best_gain:
            best_gain, best = gain, tuple(moves)
    return best


def _top_per_layer(score: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """The ``_SEEDS`` finite lowest scores, at most one per layer (each layer's best)."""
    order = np.argsort(score, kind="stable")
    order = order[np.isfinite(score[order])]
    _, first = np.unique(layer[order], return_index=True)
    return np.asarray(order[np.sort(first)][:_SEEDS])


def _exchange(seed: int, dc: np.ndarray, share: dict[str, np.ndarray], slack: dict[str, float], layer: np.ndarray,
              finite: np.ndarray) -> tuple[float, list[int]]:  # fmt: skip
    """One exchange from ``seed`` (see :func:`_best_exchange`), in budget shares: (gain, moves);
    gain inf if it cannot be made to fit.  Layers other than the seed's may move several times
    (a repair step refined by the fill); each move is scored against the layer's current option."""
    n_layers = int(layer.max()) + 1
    at = np.full(n_layers, -1)  # the move applied to each layer (-1: none)
    cur_dc = np.zeros(n_layers)
    cur_sh = {k: np.zeros(n_layers) for k in share}
    free = finite & (layer != layer[seed])

    def apply(m: int) -> None:
        at[layer[m]], cur_dc[layer[m]] = m, dc[m]
        for k in share:
            cur_sh[k][layer[m]] = share[k][m]

    apply(seed)
    left = {k: slack[k] - share[k][seed] for k in share}
    for _ in range(_CHAIN):  # repair: every over-used budget priced by its excess
        over = {k: -v for k, v in left.items() if v < 0}
        if not over:
            break
        d_c = dc - cur_dc[layer]
        relief = sum(-(share[k] - cur_sh[k][layer]) * o for k, o in over.items())
        need = sum(o * o for o in over.values())
        with np.errstate(divide="ignore", invalid="ignore"):  # freeing more than needed earns nothing
            rate = np.where(free & (relief > 0), d_c / np.minimum(relief, need), np.inf)
        m = int(np.argmin(rate))
        if not np.isfinite(rate[m]):
            return np.inf, []
        left = {k: v - (share[k][m] - cur_sh[k][layer[m]]) for k, v in left.items()}
        apply(m)
    if any(v < 0 for v in left.values()):
        return np.inf, []
    for _ in range(_CHAIN):  # fill: the most gain per share used, while everything fits
        d_c = dc - cur_dc[layer]
        fits = free & (d_c < 0)
        need = np.zeros(dc.size)
        for k, v in left.items():
            d_s = share[k] - cur_sh[k][layer]
            fits &= d_s <= v
            need += np.maximum(d_s, 0.0)
        if not np.any(fits):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            m = int(np.argmin(np.where(fits, d_c / np.maximum(need, 1e-12), np.inf)))
        left = {k: v - (share[k][m] - cur_sh[k][layer[m]]) for k, v in left.items()}
        apply(m)
    moves = [int(m) for m in at if m >= 0]
    return float(cur_dc.sum()), moves


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


def _repair_capped(problem: Problem, fr: Frontiers, pos: np.ndarray, rounds: int = 40) -> np.ndarray:
    """Layer-sequential budgets: the one accelerator is sized by the largest layer, so only
    lowering the largest layers helps.  For each over-budget design, bisection on a cap on the
    layers' weight: every layer above the cap moves down its frontier to the heaviest point
    under it; the largest cap that fits is kept (``rounds`` budget checks, counted)."""
    rows = np.arange(pos.shape[1])[None, :]
    cur = fr.options[rows, pos]
    todo = problem.over_budget(cur)
    if not np.any(todo):
        return np.asarray(cur)
    real = np.arange(fr.options.shape[1])[None, :] < fr.length[:, None]
    front_w = np.where(real, fr.weight[np.arange(pos.shape[1])[:, None], fr.options], np.inf)  # (N, L) ascending
    d = np.flatnonzero(todo)
    lo = np.zeros(d.size)
    hi = np.max(fr.weight[rows, cur[d]], axis=1)
    best = np.zeros((d.size, pos.shape[1]), dtype=np.int64)  # the lightest design: every layer at 0
    for _ in range(rounds):
        cap = 0.5 * (lo + hi)
        under = np.sum(front_w[None, :, :] <= cap[:, None, None], axis=2) - 1  # heaviest point under the cap
        p = np.minimum(pos[d], np.maximum(under, 0))
        ok = ~problem.over_budget(fr.options[rows, p])
        best[ok] = p[ok]
        lo, hi = np.where(ok, cap, lo), np.where(ok, hi, cap)
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
