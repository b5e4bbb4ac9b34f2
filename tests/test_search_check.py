"""check_method: the built-in methods keep the contract, a third party's method can be checked
in its own tests, and each check catches the defect it is for."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

import confuciux as cx
from confuciux.search import CHECKS, METHODS, MethodCheckError, check_method, register, unregister
from confuciux.search.problem import Problem
from confuciux.search.random_search import random_designs
from confuciux.search.tracker import Tracker


@dataclass(frozen=True)
class Greedy:
    """A third party's method, as it would write one: random designs, then each layer steps to
    the option that lowers the objective most while the design still fits."""

    population: int = 8
    name: str = "greedy"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray:
        designs = random_designs(problem, rng, self.population) if start is None else start.copy()
        for _ in range(epochs):
            keys = problem.fitness_key(tracker.score(designs))
            best = designs[int(np.argmin(keys))].copy()
            layer = int(rng.integers(problem.n_layers))
            trial = np.repeat(best[None, :], problem.n_options, axis=0)
            trial[:, layer] = np.arange(problem.n_options)
            designs = trial[np.argsort(problem.fitness_key(tracker.score(trial)), kind="stable")[: self.population]]
            tracker.end_epoch(self.name)
        return designs


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("name", list(METHODS))
def test_built_in_methods_pass(name, check):
    check(METHODS[name])


def test_a_third_party_method_passes_and_registers():
    check_method(Greedy())
    register(Greedy())
    try:
        model = cx.zoo.load("example")
        r = cx.Explorer(model, cx.Platform.confuciux(model), method="greedy", epochs=3, seed=1).run()
        assert r.method == "greedy" and r.feasible
    finally:
        unregister("greedy")
    with pytest.raises(ValueError, match="built-in"):
        unregister("ga")


@dataclass(frozen=True)
class Broken(Greedy):
    """Greedy with one defect at a time."""

    defect: str = ""
    name: str = "broken"

    def run(self, problem, tracker, rng, epochs, start=None):
        if self.defect == "global_rng":
            rng = np.random.default_rng(random.randrange(2**32))
        if self.defect == "swallows_ctrl_c":
            try:
                return super().run(problem, tracker, rng, epochs, start)
            except KeyboardInterrupt:
                return None
        if self.defect == "false_bound":
            tracker.certify(1e300)
        if self.defect == "no_epochs":
            tracker.score(random_designs(problem, rng, 2))
            return None
        out = super().run(problem, tracker, rng, epochs, start)
        if self.defect == "bad_designs":
            return out + problem.n_options
        if self.defect == "mutates_table":
            problem.table["runtime"][0, 0] += 1
        return out


@pytest.mark.parametrize("defect, check", [
    ("global_rng", "deterministic"), ("swallows_ctrl_c", "interrupt"), ("false_bound", "certified_bound"),
    ("no_epochs", "epochs_and_counts"), ("bad_designs", "designs"), ("mutates_table", "epochs_and_counts"),
])
def test_each_defect_is_caught_by_its_check(defect, check):
    with pytest.raises(MethodCheckError, match=rf"check_method\[{check}\] 'broken'"):
        check_method(Broken(defect=defect))


def test_not_a_method_and_not_picklable():
    with pytest.raises(MethodCheckError, match=r"\[protocol\]"):
        check_method(object())

    @dataclass(frozen=True)
    class Local(Greedy):  # a class defined in a function cannot be pickled
        name: str = "local"

    with pytest.raises(MethodCheckError, match=r"\[picklable\]"):
        check_method(Local())
