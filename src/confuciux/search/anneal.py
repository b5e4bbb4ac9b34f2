"""Simulated annealing over frontier steps: each epoch proposes a batch of neighbours (one or
two layers stepped up or down their frontiers), moves to the best by the Metropolis rule, and
cools geometrically."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .moves import Frontiers, repair
from .problem import Problem
from .random_search import random_designs
from .tracker import Tracker


@dataclass(frozen=True)
class Anneal:
    """Simulated annealing: ``batch`` neighbours an epoch, temperature from ``t_start`` to
    ``t_end`` (fractions of the start design's objective), geometric; starts from ``start[0]``
    or a random design."""

    batch: int = 20
    t_start: float = 0.05
    t_end: float = 1e-4
    name: str = "anneal"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        first = random_designs(problem, rng, 1)[0] if start is None or not len(start) else start[0]
        return run_anneal(problem, tracker, rng, epochs, first, self)


def run_anneal(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
               start: np.ndarray, params: Anneal = Anneal()) -> np.ndarray:  # fmt: skip
    """Anneal from ``start`` for ``epochs`` epochs; returns the final design (1, N)."""
    batch = params.batch
    fr = Frontiers(problem)
    n = problem.n_layers
    current = repair(problem, fr, start[None, :])[0]
    s = tracker.score(current[None, :])
    key = problem.fitness_key(s)[0]
    scale = abs(float(s.objective[0])) if np.isfinite(s.objective[0]) else 1.0
    t0, t1 = params.t_start * scale, params.t_end * scale
    pos = fr.to_positions(current)
    for e in range(epochs):
        temp = t0 * (t1 / t0) ** (e / max(1, epochs - 1))
        cand = np.repeat(pos[None, :], batch, axis=0)
        for _ in range(2):  # one or two layers move
            layer = rng.integers(0, n, batch)
            move = rng.choice([-1, 0, 1], size=batch)
            cand[np.arange(batch), layer] += move
        cand = np.clip(cand, 0, fr.length - 1)
        designs = fr.options[np.arange(n)[None, :], cand]
        keys = problem.fitness_key(tracker.score(designs))
        i = int(np.argmin(keys))
        delta = keys[i] - key
        if delta <= 0 or (np.isfinite(delta) and rng.random() < np.exp(-delta / temp)):
            pos, key = cand[i], keys[i]
        tracker.end_epoch(params.name)
    return np.asarray(fr.options[np.arange(n), pos][None, :])
