"""Genetic algorithm: elitism, tournament selection, uniform crossover between two parents,
constraint-aware mutation (steps along each layer's frontier, then repair toward the budget)
and a 2-exchange polish of the elite.  One generation per epoch."""

from __future__ import annotations

import numpy as np

from .moves import Frontiers, polish, repair
from .problem import Problem
from .tracker import Tracker


def _tournament(keys: np.ndarray, rng: np.random.Generator, count: int, size: int = 3) -> np.ndarray:
    entrants = rng.integers(0, keys.size, (count, size))
    return entrants[np.arange(count), np.argmin(keys[entrants], axis=1)]


def run_genetic(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
                population: np.ndarray, fr: Frontiers | None = None, elite: int = 2,
                stage: str = "ga") -> None:  # fmt: skip
    """Evolve ``population`` (P, N) option indices for ``epochs`` generations."""
    fr = Frontiers(problem) if fr is None else fr
    n_pop, n = population.shape
    pop = repair(problem, fr, population)
    keys = problem.fitness_key(tracker.score(pop))
    polished_key = np.inf
    for _ in range(epochs):
        order = np.argsort(keys, kind="stable")
        pop, keys = pop[order], keys[order]
        if keys[0] < polished_key:  # polish a new elite once: a local optimum stays one
            better = polish(problem, fr, pop[0], on_move=tracker.offer_design)
            pop[0] = better
            keys[0] = polished_key = problem.fitness_key(tracker.score(better[None, :]))[0]
        a = _tournament(keys, rng, n_pop - elite)
        b = _tournament(keys, rng, n_pop - elite)
        take_a = rng.random((n_pop - elite, n)) < 0.5
        children = np.where(take_a, pop[a], pop[b])
        # mutation: a few layers step one place up or down their frontier
        pos = np.stack([fr.to_positions(c) for c in children])
        flips = rng.random((n_pop - elite, n)) < 2.0 / n
        pos = np.clip(pos + flips * rng.choice([-1, 1], size=pos.shape), 0, fr.length - 1)
        children = repair(problem, fr, fr.options[np.arange(n)[None, :], pos])
        child_keys = problem.fitness_key(tracker.score(children))
        pop = np.concatenate([pop[:elite], children])
        keys = np.concatenate([keys[:elite], child_keys])
        tracker.end_epoch(stage)
