"""REINFORCE global search (ConfuciuX's first stage): one episode per epoch.

The agent walks the layers in the model's order; at each it sees the layer's dimensions (log-
scaled) and its previous two actions, and picks a PE level and a buffer level.  Reward of an
episode: ``-objective / reference`` for a feasible design, a penalty growing with the budget
overuse otherwise (reward shaping); advantage = reward - moving-average baseline.  Single-layer
choices that can never be part of a feasible design (invalid, or over a budget on their own)
are masked out.

With several dataflows the PE head picks a (dataflow, PE level) pair among
``len(dataflows) · |pe_levels|`` (:attr:`Problem.coarse` order), so the same two-head policy
chooses the dataflow too; with one dataflow this is exactly the single-dataflow agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lstm import Adam, Policy, gradient_vector, init_policy, rollout
from .problem import Problem
from .tracker import Tracker


def layer_features(problem: Problem) -> np.ndarray:
    """Per layer: log2 of K, C, Y, X, R, S, MACs (scaled to about [0, 1]) and a depthwise flag."""
    rows = []
    for layer in problem.model:
        dims = [layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S]
        # math.log2: exact for Python ints of any size (np.log2 fails on a MAC count >= 2**64)
        macs = math.log2(max(layer.macs, 1)) / 36.0
        rows.append([math.log2(d) / 12.0 for d in dims] + [macs, float(layer.depthwise)])
    return np.array(rows)


def _masks(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    n_pe = len(problem.dataflows) * len(problem.platform.pe_levels)  # (dataflow, PE level) pairs
    n_buf = len(problem.platform.buffer_levels)
    g = problem.coarse  # the agent picks coarse options (for one dataflow: options 0..n_coarse-1)
    ok: np.ndarray = np.array(problem.valid[:, g], dtype=bool)
    for key, budget in problem.platform.budgets.items():
        if problem.platform.deployment == "LP":
            ok &= problem.table[key][:, g] <= budget
    grid = ok.reshape(problem.n_layers, n_pe, n_buf)
    pe_mask: np.ndarray = np.asarray(grid.any(axis=2))
    buf_mask: np.ndarray = np.asarray(grid.any(axis=1))
    # a layer with nothing allowed keeps everything (the penalty will teach the agent)
    pe_mask[~pe_mask.any(axis=1)] = True
    buf_mask[~buf_mask.any(axis=1)] = True
    return pe_mask, buf_mask


@dataclass(frozen=True)
class Reinforce:
    """REINFORCE with the LSTM policy: Adam at learning rate ``lr``, entropy bonus ``entropy``,
    gradient-norm clipping at ``clip``, an LSTM of ``hidden`` units after an encoder of ``embed``,
    in ``dtype`` (float32: the policy's arithmetic does not need double precision); returns the
    ``keep`` best distinct designs met, for a following stage."""

    lr: float = 3e-3
    entropy: float = 1e-3
    clip: float = 1.0
    hidden: int = 128
    embed: int = 64
    keep: int = 20
    dtype: str = "float32"
    name: str = "rl"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        return run_reinforce(problem, tracker, rng, epochs, self)


def reward_reference(problem: Problem) -> float:
    """The objective's scale for rewards: the unconstrained optimum of the layer costs (a lower
    bound for additive objectives)."""
    cost = np.where(problem.valid, problem.layer_cost(), np.inf)  # over the whole space
    return float(np.sum(np.min(cost, axis=1)))


def episode_reward(objective: float, feasible: bool, overuse: float, reference: float) -> float:
    """ConfuciuX's reward with our shaping: ``-objective / reference`` for a feasible design,
    else a penalty growing with the budget overuse (capped)."""
    if feasible:
        return -float(objective) / reference
    return -4.0 - 4.0 * float(min(overuse, 10.0))


class Learner:
    """The REINFORCE update: advantage = reward − moving-average baseline, an entropy bonus, the
    gradient clipped to norm ``params.clip``, one Adam step up."""

    def __init__(self, policy: Policy, params: Reinforce = Reinforce()) -> None:
        self.policy, self.params, self.opt = policy, params, Adam(lr=params.lr)
        self.baseline: float | None = None

    def update(self, cache: Any, reward: float) -> None:
        self.baseline = reward if self.baseline is None else 0.9 * self.baseline + 0.1 * reward
        grad = gradient_vector(self.policy, cache, reward - self.baseline, entropy=self.params.entropy)
        norm = float(np.sqrt(np.sum(grad * grad)))
        if norm > self.params.clip > 0:  # gradient-norm clipping
            grad *= self.params.clip / norm
        self.opt.step(self.policy.flat, grad)


def new_policy(
    n_features: int, n_pe: int, n_buf: int, rng: np.random.Generator, params: Reinforce = Reinforce()
) -> Policy:
    """The policy REINFORCE starts from (its random initialisation draws from ``rng``)."""
    return init_policy(n_features, n_pe, n_buf, hidden=params.hidden, embed=params.embed, seed=rng,
                       dtype=np.dtype(params.dtype))  # fmt: skip


def run_reinforce(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
                  params: Reinforce = Reinforce()) -> np.ndarray:  # fmt: skip
    """Train for ``epochs`` episodes; return the ``params.keep`` best distinct designs met."""
    keep, stage = params.keep, params.name
    n_buf = len(problem.platform.buffer_levels)
    feats = layer_features(problem)
    pe_mask, buf_mask = _masks(problem)
    coarse = problem.coarse
    n_pe = len(problem.dataflows) * len(problem.platform.pe_levels)  # (dataflow, PE level) pairs
    policy = new_policy(feats.shape[1], n_pe, n_buf, rng, params)
    learner = Learner(policy, params)
    reference = reward_reference(problem)
    pool: dict[bytes, tuple[float, np.ndarray]] = {}
    for _ in range(epochs):
        pe, buf, cache = rollout(policy, feats, rng, pe_mask=pe_mask, buf_mask=buf_mask)
        choice = coarse[pe * n_buf + buf]
        s = tracker.score(choice[None, :])
        reward = episode_reward(float(s.objective[0]), bool(s.feasible[0]), float(s.overuse[0]), reference)
        learner.update(cache, reward)
        key = float(problem.fitness_key(s)[0])
        pool.setdefault(choice.tobytes(), (key, choice))
        if len(pool) > 4 * keep:  # keep the pool small: drop the worst
            worst = sorted(pool.items(), key=lambda kv: kv[1][0])[4 * keep :]
            for k, _ in worst:
                del pool[k]
        tracker.end_epoch(stage)
    best = sorted(pool.values(), key=lambda kv: kv[0])[:keep]
    return np.stack([c for _, c in best]) if best else np.zeros((0, problem.n_layers), dtype=np.int64)
