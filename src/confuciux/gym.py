"""A Gymnasium environment for the allocation problem (``pip install confuciux[gym]``).

:class:`AllocationEnv` — one episode assigns the model's layers in order: at step t the agent
sees layer t and picks its (PE level, buffer level).  It is ConfuciuX's MDP as our REINFORCE
sees it (``method="rl"``), so any Gymnasium agent (e.g. Stable-Baselines3 PPO/A2C on the
flattened action) can be compared with ours on the same rewards.

Observation (float64 vector; :attr:`AllocationEnv.layout` names its slices):

* ``features`` — the layer's log2-scaled K, C, Y, X, R, S, MACs and a depthwise flag (the
  features our policy reads; zeros once the episode is over);
* ``previous_pe``, ``previous_buffer`` — one-hot codes of the previous layer's action (zeros at
  the first layer);
* ``budget_used`` — per budget of the platform, the fraction used by the layers assigned so far;
* ``progress`` — layers assigned / layers.

Action: ``MultiDiscrete([len(pe_levels), len(buffer_levels)])``.  Reward: 0 until the last
layer, then ConfuciuX's episode reward (``search.reinforce.episode_reward``: −objective /
reference for a design within every budget, else a penalty growing with the overuse).
``info["action_mask"]`` is a pair of int8 masks for the next layer's PE and buffer levels (the
single-layer choices that can be part of a feasible design; ``action_space.sample(mask=...)``
takes it); masked actions are allowed but score badly.  The final step's info holds the design:
``pes``, ``buffers`` (per layer), ``objective`` (cycles, nJ, ...), ``feasible``, ``overuse``.

:func:`train_reinforce` trains our own REINFORCE policy through the environment (observations
in, actions out) and reaches the same designs as ``Explorer(method="rl")`` with the same seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

try:
    import gymnasium
    from gymnasium import spaces
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("confuciux.gym needs gymnasium: pip install confuciux[gym]") from None

from .platform import Platform
from .search.lstm import rollout
from .search.problem import Problem
from .search.reinforce import Learner, episode_reward, layer_features, new_policy, reward_reference
from .search.reinforce import _masks as masks
from .workload import Model

__all__ = ["AllocationEnv", "AgentRun", "train_reinforce", "ENV_ID"]

#: ``gymnasium.make(ENV_ID, model=..., platform=..., objective=...)`` makes an :class:`AllocationEnv`.
ENV_ID = "confuciux/Allocation-v0"


class AllocationEnv(gymnasium.Env):
    """Assign PEs and buffers to ``model``'s layers on ``platform`` for ``objective``
    (``"latency"``, ``"energy"``, ``"edp"``, ``"throughput"``); see the module docstring."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, model: Model, platform: Platform, objective: str = "latency") -> None:
        if len(platform.dataflows) > 1:  # the action is (PE level, buffer level) of one dataflow
            raise ValueError(
                f"AllocationEnv takes a platform with one dataflow, got {platform.dataflow_label}; "
                "make one environment per dataflow"
            )
        if platform.mapping is not None:  # the actions are levels of a fixed dataflow's (P, k) grid
            raise ValueError("AllocationEnv takes a fixed dataflow: a searched mapping's options are each layer's "
                             "found points, not PE and buffer levels (search it with Explorer or pareto_front)")
        self.problem = Problem(model, platform, objective)
        reason = self.problem.infeasible_reason()
        if reason is not None:  # every episode would score NaN (and the features may not exist)
            raise ValueError(f"no design can be costed, so no episode can be scored: {reason}")
        self.features = layer_features(self.problem)
        self.n_layers = self.problem.n_layers
        self.n_pe, self.n_buf = len(platform.pe_levels), len(platform.buffer_levels)
        self.budget_keys = tuple(platform.budgets)
        self.pe_mask, self.buf_mask = masks(self.problem)
        self.reference = reward_reference(self.problem)
        nf = self.features.shape[1]
        sizes = {"features": nf, "previous_pe": self.n_pe, "previous_buffer": self.n_buf,
                 "budget_used": len(self.budget_keys), "progress": 1}  # fmt: skip
        self.layout: dict[str, slice] = {}
        start = 0
        for name, size in sizes.items():
            self.layout[name] = slice(start, start + size)
            start += size
        high = np.ones(start)
        high[self.layout["features"]] = np.maximum(self.features.max(axis=0), 1.0)
        high[self.layout["budget_used"]] = self._most_used()
        self._size = start
        self.observation_space = spaces.Box(0.0, high, dtype=np.float64)
        self.action_space = spaces.MultiDiscrete([self.n_pe, self.n_buf])
        self._choice = np.zeros(self.n_layers, dtype=np.int64)
        self._t = 0

    def _most_used(self) -> np.ndarray:
        """Per budget, an upper bound of the fraction used: every layer at its largest cost."""
        table = self.problem.table
        with np.errstate(invalid="ignore"):
            costs = SimpleNamespace(
                **{f: np.nanmax(table[f], axis=1) for f in ("area", "power", "l1_bytes", "l2_bytes")}
            )
        usage = self.problem.platform.usage(np.full(self.n_layers, float(self.problem.pes.max())), costs)
        budgets = self.problem.platform.budgets
        return np.array([max(1.0, float(np.nan_to_num(usage[k], nan=1.0)) / budgets[k]) for k in self.budget_keys])

    def _observation(self) -> np.ndarray:
        obs = np.zeros(self._size, dtype=np.float64)
        t = self._t
        if t < self.n_layers:
            obs[self.layout["features"]] = self.features[t]
        if t > 0:
            prev = int(self._choice[t - 1])
            obs[self.layout["previous_pe"].start + prev // self.n_buf] = 1.0
            obs[self.layout["previous_buffer"].start + prev % self.n_buf] = 1.0
        obs[self.layout["budget_used"]] = self._budget_used()
        obs[self.layout["progress"]] = t / self.n_layers
        return obs

    def _budget_used(self) -> np.ndarray:
        if self._t == 0 or not self.budget_keys:
            return np.zeros(len(self.budget_keys))
        rows, c = np.arange(self._t), self._choice[: self._t]
        table = self.problem.table
        costs = SimpleNamespace(**{f: table[f][rows, c] for f in ("area", "power", "l1_bytes", "l2_bytes")})
        usage = self.problem.platform.usage(self.problem.pes[c], costs)
        used = [float(usage[k]) / self.problem.platform.budgets[k] for k in self.budget_keys]
        out: np.ndarray = np.maximum(np.nan_to_num(np.array(used), nan=0.0), 0.0)
        return out

    def _info(self) -> dict[str, Any]:
        if self._t >= self.n_layers:
            return {}
        t = self._t
        return {"action_mask": (self.pe_mask[t].astype(np.int8), self.buf_mask[t].astype(np.int8))}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)  # the environment itself is deterministic
        self._choice[:] = 0
        self._t = 0
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._t >= self.n_layers:
            raise RuntimeError("the episode is over: call reset()")
        a = np.asarray(action).reshape(-1)
        # integers only: 1.5 must not become level 1 silently
        integral = a.dtype.kind in "iub" or (a.dtype.kind == "f" and bool(np.all(a == np.round(a))))
        if a.shape != (2,) or not integral or not self.action_space.contains(a.astype(np.int64)):
            raise ValueError(f"action must be (PE level, buffer level) in {self.action_space}, got {action!r}")
        self._choice[self._t] = int(a[0]) * self.n_buf + int(a[1])
        self._t += 1
        if self._t < self.n_layers:
            return self._observation(), 0.0, False, False, self._info()
        s = self.problem.score(self._choice[None, :])
        feasible = bool(s.feasible[0])
        reward = episode_reward(float(s.objective[0]), feasible, float(s.overuse[0]), self.reference)
        pes, buffers = self.problem.decode(self._choice)
        info = {"pes": pes, "buffers": buffers, "objective": float(s.objective[0]), "feasible": feasible,
                "overuse": float(s.overuse[0])}  # fmt: skip
        return self._observation(), reward, True, False, info


@dataclass(frozen=True)
class AgentRun:
    """What :func:`train_reinforce` found: the best design within the budgets (None if none),
    its objective (NaN if none) and the episode rewards."""

    pes: np.ndarray | None
    buffers: np.ndarray | None
    objective: float
    rewards: list[float]


def train_reinforce(env: AllocationEnv, episodes: int, seed: int = 0) -> AgentRun:
    """Train our REINFORCE policy (LSTM, search/reinforce.py) through ``env`` for ``episodes``
    episodes, reading only observations, rewards and action masks.

    With the same ``seed`` it meets the same designs as ``Explorer(method="rl", epochs=episodes,
    seed=seed)``: the policy acts on the features it has observed so far, and each step replays
    the episode's random draws (a copy of the generator) over the prefix, so the draw used for
    layer t is the one the search's rollout uses.  This costs O(layers²) per episode: a
    demonstration of the interface, not a faster search."""
    rng = np.random.default_rng(seed)
    nf = env.layout["features"].stop - env.layout["features"].start
    policy = new_policy(nf, env.n_pe, env.n_buf, rng)
    learner = Learner(policy)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    rewards = []
    for _ in range(episodes):
        obs, info = env.reset()
        start = copy.deepcopy(rng)
        feats: list[np.ndarray] = []
        pe_mask: list[np.ndarray] = []
        buf_mask: list[np.ndarray] = []
        done = False
        while not done:
            feats.append(obs[env.layout["features"]])
            pe_mask.append(info["action_mask"][0].astype(bool))
            buf_mask.append(info["action_mask"][1].astype(bool))
            draws = copy.deepcopy(start)
            pe, buf, cache = rollout(
                policy, np.array(feats), draws, pe_mask=np.array(pe_mask), buf_mask=np.array(buf_mask)
            )
            obs, reward, done, _, info = env.step((pe[-1], buf[-1]))
        rng = draws  # where the episode's full rollout leaves the generator
        learner.update(cache, reward)
        rewards.append(reward)
        if info["feasible"] and (best is None or info["objective"] < best[0]):
            best = (info["objective"], info["pes"], info["buffers"])
    if best is None:
        return AgentRun(None, None, float("nan"), rewards)
    return AgentRun(best[1], best[2], best[0], rewards)


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="confuciux.gym:AllocationEnv")
