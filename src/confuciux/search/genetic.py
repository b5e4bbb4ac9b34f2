"""Genetic algorithm: elitism, tournament selection, uniform crossover between two parents,
constraint-aware mutation (steps along each layer's frontier, then repair toward the budget)
and a 2-exchange polish of the elite.  One generation per epoch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .moves import Frontiers, polish, repair
from .problem import Problem
from .random_search import random_designs
from .tracker import Tracker


@dataclass(frozen=True)
class Genetic:
    """The GA: ``population`` designs, ``elite`` kept each generation, tournaments of
    ``tournament``, uniform crossover, mutation of about ``mutation`` layers a child (steps
    along their frontiers), repair, and a local-search polish of each new best design.  Starts
    from ``start`` (a previous stage's best designs) filled up with random designs."""

    population: int = 20
    elite: int = 2
    tournament: int = 3
    mutation: float = 2.0
    name: str = "ga"

    def __post_init__(self) -> None:
        if not 1 <= self.elite < self.population:
            raise ValueError(f"need 1 <= elite < population, got elite={self.elite}, population={self.population}")
        if self.tournament < 1 or not self.mutation > 0:
            raise ValueError("tournament must be >= 1 and mutation > 0")

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        seeds = np.zeros((0, problem.n_layers), dtype=np.int64) if start is None else start[: self.population]
        fill = random_designs(problem, rng, self.population - len(seeds))
        return run_genetic(problem, tracker, rng, epochs, np.concatenate([seeds, fill]), params=self, stage=self.name)


def _tournament(keys: np.ndarray, rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    entrants = rng.integers(0, keys.size, (count, size))
    return np.asarray(entrants[np.arange(count), np.argmin(keys[entrants], axis=1)])


def run_genetic(problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
                population: np.ndarray, params: Genetic = Genetic(), fr: Frontiers | None = None,
                stage: str = "ga") -> np.ndarray:  # fmt: skip
    """Evolve ``population`` (P, N) option indices for ``epochs`` generations; returns the final
    population, best first."""
    fr = Frontiers(problem) if fr is None else fr
    elite, size = params.elite, params.tournament
    n_pop, n = population.shape
    pop = repair(problem, fr, population)
    keys = problem.fitness_key(tracker.score(pop))
    polished_key = np.inf
    for _ in range(epochs):
        order = np.argsort(keys, kind="stable")
        pop, keys = pop[order], keys[order]
        if keys[0] < polished_key:  # polish a new elite once: a local optimum stays one
            better = polish(problem, fr, pop[0], on_move=tracker.offer_design, rng=rng)
            pop[0] = better
            keys[0] = polished_key = problem.fitness_key(tracker.score(better[None, :]))[0]
        a = _tournament(keys, rng, n_pop - elite, size)
        b = _tournament(keys, rng, n_pop - elite, size)
        take_a = rng.random((n_pop - elite, n)) < 0.5
        children = np.where(take_a, pop[a], pop[b])
        # mutation: a few layers step one place up or down their frontier
        pos = np.stack([fr.to_positions(c) for c in children])
        flips = rng.random((n_pop - elite, n)) < params.mutation / n
        pos = np.clip(pos + flips * rng.choice([-1, 1], size=pos.shape), 0, fr.length - 1)
        children = repair(problem, fr, fr.options[np.arange(n)[None, :], pos])
        child_keys = problem.fitness_key(tracker.score(children))
        pop = np.concatenate([pop[:elite], children])
        keys = np.concatenate([keys[:elite], child_keys])
        tracker.end_epoch(stage)
    order = np.argsort(keys, kind="stable")
    return pop[order]
