"""Search methods: the protocol every method follows, the built-in methods and their registry.

A method is any object with a ``name`` and a ``run(problem, tracker, rng, epochs, start=None)``
method (:class:`SearchMethod`).  It scores designs through ``tracker.score`` (which counts the
evaluations and keeps the best design), calls ``tracker.end_epoch(stage)`` after each epoch,
draws every random choice from ``rng``, may record a certified lower bound with
``tracker.certify(bound)``, and returns its best designs, best first (option indices (D, N), for
a following stage), or None.  ``start``, when given, holds designs to start from (a previous
stage's best).

The built-in methods are frozen dataclasses whose fields are their hyperparameters, and
``"confuciux"`` is the composition :class:`TwoStage` of :class:`Reinforce` then
:class:`Genetic`.  :data:`METHODS` maps names to instances; :func:`register` adds one, and
``Explorer(..., method=MyMethod())`` runs an unregistered instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .anneal import Anneal
from .exact import solve_exact
from .genetic import Genetic
from .heuristic import Heuristic
from .problem import Problem
from .random_search import RandomSearch
from .reinforce import Reinforce
from .tracker import Tracker

__all__ = ["SearchMethod", "TwoStage", "METHODS", "register", "unregister", "get_method", "method_name",
           "Anneal", "Exact", "Genetic", "Heuristic", "RandomSearch", "Reinforce"]  # fmt: skip


@runtime_checkable
class SearchMethod(Protocol):
    """What :class:`confuciux.Explorer` runs (see the module docstring)."""

    @property
    def name(self) -> str: ...

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray | None: ...  # fmt: skip


@dataclass(frozen=True)
class TwoStage:
    """``first`` for a ``share`` of the epochs (at least one), then ``then`` for the rest,
    starting from the first stage's best designs.  ConfuciuX: REINFORCE for 2/3 of the epochs,
    then the GA fine-tunes from the agent's 20 best designs."""

    first: SearchMethod = field(default_factory=lambda: Reinforce())
    then: SearchMethod = field(default_factory=lambda: Genetic())
    share: float = 2.0 / 3.0
    name: str = "confuciux"

    def __post_init__(self) -> None:
        if not 0.0 < self.share <= 1.0:
            raise ValueError(f"share must be in (0, 1], got {self.share!r}")

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray | None:  # fmt: skip
        n_first = max(1, int(self.share * epochs + 1e-9)) if epochs > 1 else 1
        best = self.first.run(problem, tracker, rng, n_first, start)
        if epochs <= n_first:
            return best
        return self.then.run(problem, tracker, rng, epochs - n_first, best)


@dataclass(frozen=True)
class Exact:
    """The exact solver (:func:`confuciux.search.exact.solve_exact`): the optimum, or the best
    design found with a certified lower bound; one epoch."""

    name: str = "exact"

    def run(self, problem: Problem, tracker: Tracker, rng: np.random.Generator, epochs: int,
            start: np.ndarray | None = None) -> np.ndarray | None:  # fmt: skip
        r = solve_exact(problem)
        if r.choice is not None:
            tracker.score(r.choice[None, :])
        if np.isfinite(r.lower_bound):
            tracker.certify(float(r.lower_bound))
        tracker.end_epoch(self.name)
        return None if r.choice is None else r.choice[None, :]


#: name → method instance.  Iterating gives the names.
METHODS: dict[str, SearchMethod] = {
    m.name: m
    for m in (TwoStage(), Reinforce(), Genetic(), RandomSearch(), Anneal(), Heuristic(), Exact())
}
_BUILT_IN = frozenset(METHODS)


def register(method: SearchMethod, name: str | None = None) -> None:
    """Add ``method`` to :data:`METHODS` under ``name`` (default: ``method.name``), so that
    ``Explorer(..., method=name)`` and the command line find it.  Check it first with
    :func:`confuciux.search.check_method`."""
    if not isinstance(method, SearchMethod):
        raise TypeError("a search method needs a name and a run(problem, tracker, rng, epochs, start=None) method")
    key = method.name if name is None else name
    if not isinstance(key, str) or not key:
        raise ValueError(f"a method name must be a non-empty string, got {key!r}")
    METHODS[key] = method


def unregister(name: str) -> None:
    """Remove a method added with :func:`register` (the built-in ones stay)."""
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is a built-in method")
    del METHODS[name]


def get_method(method: str | SearchMethod) -> SearchMethod:
    """The method called ``method`` in :data:`METHODS`, or ``method`` itself if it is one."""
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; expected one of {list(METHODS)} or a SearchMethod")
        return METHODS[method]
    if not isinstance(method, SearchMethod):
        raise TypeError(f"method must be a name or a SearchMethod (name, run(...)), got {type(method).__name__}")
    return method


def method_name(method: str | SearchMethod) -> str:
    """The name a result records for ``method``."""
    return method if isinstance(method, str) else str(method.name)
