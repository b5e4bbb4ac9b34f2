"""Best-so-far bookkeeping shared by every search method: history, evaluations, callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .problem import Problem, Scores

__all__ = ["Progress", "Tracker"]


@dataclass(frozen=True)
class Progress:
    """What a callback receives after each epoch."""

    method: str
    stage: str
    epoch: int
    epochs: int
    best_objective: float  # NaN until a feasible design is found
    feasible: bool
    evaluations: int
    budget_used: dict[str, float]  # fraction of each budget the best design uses


class Tracker:
    def __init__(self, problem: Problem, method: str, epochs: int,
                 callback: Callable[[Progress], object] | None) -> None:  # fmt: skip
        self.problem, self.method, self.epochs, self.callback = problem, method, epochs, callback
        self.best: np.ndarray | None = None
        self.best_key = np.inf
        self.best_scores: Scores | None = None
        self.history: list[dict[str, float]] = []
        self.improvements: list[dict[str, float]] = []  # each new best feasible design
        self.epoch = 0
        self.lower_bound: float | None = None  # a certified bound on the optimum, if a method proved one

    def certify(self, bound: float) -> None:
        """Record a certified lower bound on the optimum (the objective's unit)."""
        self.lower_bound = bound if self.lower_bound is None else max(self.lower_bound, bound)

    def offer(self, choices: np.ndarray, scores: Scores) -> None:
        """Consider scored designs (D, N) for best-so-far."""
        keys = self.problem.fitness_key(scores)
        i = int(np.argmin(keys))
        if keys[i] < self.best_key:
            self.best_key = float(keys[i])
            self.best = np.array(choices[i], dtype=np.int64)
            self.best_scores = Scores(
                scores.objective[i : i + 1], scores.feasible[i : i + 1], scores.overuse[i : i + 1],
                {k: v[i : i + 1] for k, v in scores.usage.items()},
            )  # fmt: skip
            if self.best_feasible:
                self.improvements.append({"evaluations": self.problem.evaluations, "best": self.best_objective})

    def offer_design(self, choice: np.ndarray) -> None:
        """Consider one design met inside a method (already counted when it was scored)."""
        self.offer(choice[None, :], self.problem.score(choice[None, :], count=False))

    def score(self, choices: np.ndarray) -> Scores:
        s = self.problem.score(choices)
        self.offer(choices, s)
        return s

    @property
    def best_feasible(self) -> bool:
        return bool(self.best_scores is not None and self.best_scores.feasible[0])

    @property
    def best_objective(self) -> float:
        if self.best_scores is None or not self.best_feasible:
            return float("nan")
        return float(self.best_scores.objective[0])

    def end_epoch(self, stage: str) -> None:
        self.epoch += 1
        self.history.append({"epoch": self.epoch, "best": self.best_objective, "evaluations": self.problem.evaluations})
        if self.callback is not None:
            used = {}
            if self.best_scores is not None:
                for key, budget in self.problem.platform.budgets.items():
                    used[key] = float(self.best_scores.usage[key][0] / budget)
            self.callback(Progress(self.method, stage, self.epoch, self.epochs, self.best_objective,
                                   self.best_feasible, self.problem.evaluations, used))  # fmt: skip
