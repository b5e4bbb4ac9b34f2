"""REINFORCE global search (ConfuciuX's first stage): one episode per epoch.

The agent walks the layers in the model's order; at each it sees the layer's dimensions (log-
scaled) and its previous two actions, and picks a PE level and a buffer level.  Reward of an
episode: ``-objective / reference`` for a feasible design, a penalty growing with the budget
overuse otherwise (reward shaping); advantage = reward - moving-average baseline.  Single-layer
choices that can never be part of a feasible design (invalid, or over a budget on their own)
are masked out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .lstm import Adam, Policy, clip_gradients, init_policy, policy_gradient, rollout
from .problem import Problem
from .tracker import Tracker


def layer_features(problem: Problem) -> np.ndarray:
    """Per layer: log2 of K, C, Y, X, R, S, MACs (scaled to about [0, 1]) and a depthwise flag."""
    rows = []
    for layer in problem.model:
        dims = [layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S]
        rows.append([np.log2(d) / 12.0 for d in dims] + [np.log2(max(layer.macs, 1)) / 36.0, float(layer.depthwise)])
    return np.array(rows)


def _masks(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    n_pe, n_buf = len(problem.platform.pe_levels), len(problem.platform.buffer_levels)
    ok = problem.valid.copy()
    for key, budget in problem.platform.budgets.items():
        if problem.platform.deployment == "LP":
            ok &= problem.table[key] <= budget
    grid = ok.reshape(problem.n_layers, n_pe, n_buf)
    pe_mask, buf_mask = grid.any(axis=2), grid.any(axis=1)
    # a layer with nothing allowed keeps everything (the penalty will teach the agent)
    pe_mask[~pe_mask.any(axis=1)] = True
    buf_mask[~buf_mask.any(axis=1)] = True
    return pe_mask, buf_mask


def reward_reference(problem: Problem) -> float:
    """The objective's scale for rewards: the unconstrained optimum of the layer costs (a lower
    bound for additive objectives)."""
    cost = np.where(problem.valid, problem.layer_cost(), np.inf)
    return float(np.sum(np.min(cost, axis=1)))


def episode_reward(objective: float, feasible: bool, overuse: float, reference: float) -> float:
    """ConfuciuX's reward with our shaping: ``-objective / reference`` for a feasible design,
    else a penalty growing with the budget overuse (capped)."""
    if feasible:
        return -float(objective) / reference
    return -4.0 - 4.0 * float(min(overuse, 10.0))


class Learner:
    """The REINFORCE update: advantage = reward − moving-average baseline, an entropy bonus, the
    gradient clipped to norm 1, one Adam step up."""

    def __init__(self, policy: Policy, lr: float = 3e-3) -> None:
        self.policy, self.opt = policy, Adam(lr=lr)
        self.baseline: float | None = None

    def update(self, cache: Any, reward: float) -> None:
        self.baseline = reward if self.baseline is None else 0.9 * self.baseline + 0.1 * reward
        grads, _ = clip_gradients(policy_gradient(self.policy, cache, reward - self.baseline, entropy=1e-3), 1.0)
        self.opt.step(self.policy.params, grads)


def new_policy(n_features: int, n_pe: int, n_buf: int, rng: np.random.Generator) -> Policy:
    """The policy REINFORCE starts from (its random initialisation draws from ``rng``)."""
    return init_policy(n_features, n_pe, n_buf, seed=rng)


def run_reinforce(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
                  keep: int = 20, lr: float = 3e-3, stage: str = "rl") -> np.ndarray:  # fmt: skip
    """Train for ``epochs`` episodes; return the ``keep`` best distinct designs met (for the GA)."""
    n_buf = len(problem.platform.buffer_levels)
    feats = layer_features(problem)
    pe_mask, buf_mask = _masks(problem)
    policy = new_policy(feats.shape[1], len(problem.platform.pe_levels), n_buf, rng)
    learner = Learner(policy, lr)
    reference = reward_reference(problem)
    pool: dict[bytes, tuple[float, np.ndarray]] = {}
    for _ in range(epochs):
        pe, buf, cache = rollout(policy, feats, rng, pe_mask=pe_mask, buf_mask=buf_mask)
        choice = pe * n_buf + buf
        s = tracker.score(choice[None, :])
        learner.update(cache, episode_reward(s.objective[0], bool(s.feasible[0]), s.overuse[0], reference))
        key = float(problem.fitness_key(s)[0])
        pool.setdefault(choice.tobytes(), (key, choice))
        if len(pool) > 4 * keep:  # keep the pool small: drop the worst
            worst = sorted(pool.items(), key=lambda kv: kv[1][0])[4 * keep :]
            for k, _ in worst:
                del pool[k]
        tracker.end_epoch(stage)
    best = sorted(pool.values(), key=lambda kv: kv[0])[:keep]
    return np.stack([c for _, c in best]) if best else np.zeros((0, problem.n_layers), dtype=np.int64)
