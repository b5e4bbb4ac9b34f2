"""Simulated annealing over frontier steps: each epoch proposes a batch of neighbours (one or
two layers stepped up or down their frontiers), moves to the best by the Metropolis rule, and
cools geometrically."""

from __future__ import annotations

import numpy as np

from .moves import Frontiers, repair
from .problem import Problem
from .tracker import Tracker


def run_anneal(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
               start: np.ndarray, batch: int = 20) -> None:  # fmt: skip
    fr = Frontiers(problem)
    n = problem.n_layers
    current = repair(problem, fr, start[None, :])[0]
    s = tracker.score(current[None, :])
    key = problem.fitness_key(s)[0]
    scale = abs(float(s.objective[0])) if np.isfinite(s.objective[0]) else 1.0
    t0, t1 = 0.05 * scale, 1e-4 * scale
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
        tracker.end_epoch("anneal")
