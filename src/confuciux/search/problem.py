"""The optimisation problem every search method works on (docs/problem.md).

:class:`Problem` evaluates every layer on every grid option (P level × buffer level) in one
kernel call and keeps the table; a design is then one option index per layer, and whole
populations are scored by indexing the table.  Every method counts one evaluation per design
scored, so methods compare at equal budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..cost import evaluate
from ..platform import Platform
from ..workload import Model

__all__ = ["OBJECTIVES", "Problem", "Scores"]

OBJECTIVES = ("latency", "energy", "edp", "throughput")
_FIELDS = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes")


@dataclass(frozen=True)
class Scores:
    """Scores of D designs: ``objective`` (cycles, nJ, cycles·nJ or cycles; NaN if a layer is
    invalid), ``feasible``, ``overuse`` (largest relative excess over a budget, 0 if within all)
    and ``usage`` per budget key."""

    objective: np.ndarray
    feasible: np.ndarray
    overuse: np.ndarray
    usage: dict[str, np.ndarray]

    def fitness(self) -> np.ndarray:
        """One number to minimise: the objective for feasible designs; infeasible designs rank
        after every feasible one, by how far they exceed their budgets."""
        return np.where(self.feasible, self.objective, np.inf)


@dataclass
class Problem:
    """A model, a platform and an objective, with the per-layer cost table of the action grid.

    ``table[f]`` has shape (N, G) for each cost field f, G = |pe_levels|·|buffer_levels|; option
    g is PE level ``g // |buffer_levels|`` and buffer level ``g % |buffer_levels|``."""

    model: Model
    platform: Platform
    objective: str = "latency"
    evaluations: int = 0
    table: dict[str, np.ndarray] = field(init=False)
    valid: np.ndarray = field(init=False)
    pes: np.ndarray = field(init=False)
    buffers: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, Model):
            raise TypeError(f"model must be a confuciux.Model, got {type(self.model).__name__}")
        if len(self.model) == 0:
            raise ValueError(f"model {self.model.name!r} has no layers")
        if not isinstance(self.platform, Platform):
            raise TypeError(f"platform must be a confuciux.Platform, got {type(self.platform).__name__}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; expected one of {list(OBJECTIVES)}")
        pl = self.platform
        p_grid, k_grid = np.meshgrid(pl.pe_levels, pl.buffer_levels, indexing="ij")
        self.pes = p_grid.ravel().astype(np.int64)  # (G,)
        self.buffers = k_grid.ravel().astype(np.int64)
        n = len(self.model)
        costs = evaluate(self.model, np.repeat(self.pes[:, None], n, 1), np.repeat(self.buffers[:, None], n, 1), pl.dataflow, pl.hardware)
        self.table = {f: np.ascontiguousarray(getattr(costs, f).T) for f in _FIELDS}  # (N, G)
        self.valid = np.ascontiguousarray(costs.valid.T)
        self.table["pes"] = np.broadcast_to(self.pes.astype(np.float64), (n, self.pes.size)).copy()

    @property
    def n_layers(self) -> int:
        return len(self.model)

    @property
    def n_options(self) -> int:
        return self.pes.size

    @property
    def additive(self) -> bool:
        return self.objective in ("latency", "energy")

    def layer_cost(self) -> np.ndarray:
        """Per-layer objective contribution (N, G) for additive objectives; runtime otherwise."""
        return self.table["energy" if self.objective == "energy" else "runtime"]

    def score(self, choice: np.ndarray, count: bool = True) -> Scores:
        """Score designs given as option indices, shape (D, N) or (N,)."""
        choice = np.asarray(choice, dtype=np.int64)
        single = choice.ndim == 1
        c = choice[None, :] if single else choice
        rows = np.arange(self.n_layers)[None, :]
        per = {f: t[rows, c] for f, t in self.table.items()}
        valid = np.all(self.valid[rows, c], axis=1)
        runtime, energy = per["runtime"].sum(axis=1), per["energy"].sum(axis=1)
        objective = {
            "latency": runtime,
            "energy": energy,
            "edp": runtime * energy,
            "throughput": per["runtime"].max(axis=1),
        }[self.objective]
        usage = self._usage(per, c)
        overuse = np.zeros(c.shape[0])
        for key, budget in self.platform.budgets.items():
            overuse = np.maximum(overuse, np.nan_to_num(usage[key] / budget - 1.0, nan=np.inf))
        feasible = valid & (overuse <= 0)
        objective = np.where(valid, objective, np.nan)
        if count:
            self.evaluations += c.shape[0]
        s = Scores(objective, feasible, np.maximum(overuse, 0.0), usage)
        if single:
            return Scores(s.objective[:1], s.feasible[:1], s.overuse[:1], {k: v[:1] for k, v in usage.items()})
        return s

    def over_budget(self, choice: np.ndarray) -> np.ndarray:
        """For valid designs (D, N): which exceed a budget, exactly as :meth:`score` decides it
        but reading only the budgeted resources (layer-pipelined budgets are sums).  Counts one
        evaluation per design, as :meth:`score` does."""
        if self.platform.deployment != "LP":
            return ~self.score(choice).feasible
        rows = np.arange(self.n_layers)[None, :]
        over = np.zeros(choice.shape[0], dtype=bool)
        for key, budget in self.platform.budgets.items():
            over |= np.sum(self.table[key][rows, choice], axis=-1) / budget - 1.0 > 0
        self.evaluations += choice.shape[0]
        return over

    def _usage(self, per: dict[str, np.ndarray], choice: np.ndarray) -> dict[str, np.ndarray]:
        class _Costs:  # the fields Platform.usage reads
            area, power, l1_bytes, l2_bytes = per["area"], per["power"], per["l1_bytes"], per["l2_bytes"]

        return self.platform.usage(self.pes[choice], _Costs)

    def decode(self, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) per layer of a design given as option indices."""
        choice = np.asarray(choice, dtype=np.int64)
        return self.pes[choice], self.buffers[choice]

    def encode(self, pes: Any, buffers: Any) -> np.ndarray:
        """Option indices of a grid design; ValueError if a value is not on the grid."""
        pl = self.platform
        p_idx = np.searchsorted(pl.pe_levels, pes)
        k_idx = np.searchsorted(pl.buffer_levels, buffers)
        p_ok = (p_idx < len(pl.pe_levels)) & (np.asarray(pl.pe_levels)[np.minimum(p_idx, len(pl.pe_levels) - 1)] == pes)
        k_ok = (k_idx < len(pl.buffer_levels)) & (np.asarray(pl.buffer_levels)[np.minimum(k_idx, len(pl.buffer_levels) - 1)] == buffers)
        if not (np.all(p_ok) and np.all(k_ok)):
            raise ValueError("the design is not on the platform's action grid")
        return p_idx * len(pl.buffer_levels) + k_idx

    def fitness_key(self, scores: Scores) -> np.ndarray:
        """A total order for searches: feasible designs by objective, then infeasible ones by
        overuse (larger is worse), then invalid ones."""
        obj = np.nan_to_num(scores.objective, nan=np.inf)
        big = np.float64(1e300)
        return np.where(scores.feasible, obj, np.where(np.isfinite(obj), big * 0.5 + scores.overuse * 1e290, big))
