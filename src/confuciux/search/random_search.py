"""Random search: each epoch, a population of uniformly random valid designs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem
from .tracker import Tracker


def random_designs(problem: Problem, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` designs, each layer an option drawn uniformly among its valid ones."""
    valid = problem.valid
    n_valid = valid.sum(axis=1)
    order = np.argsort(~valid, axis=1, kind="stable")  # valid options first, per layer
    pick = (rng.random((count, problem.n_layers)) * n_valid).astype(np.int64)
    return np.asarray(order[np.arange(problem.n_layers)[None, :], pick])


@dataclass(frozen=True)
class RandomSearch:
    """``population`` uniformly random valid designs an epoch."""

    population: int = 20
    name: str = "random"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> None:  # fmt: skip
        for _ in range(epochs):
            tracker.score(random_designs(problem, rng, self.population))
            tracker.end_epoch(self.name)
