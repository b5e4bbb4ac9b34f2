"""Search: which assignment to pick (docs/architecture.md, "Search").

The plug-in boundary for search methods.  A method is any object with a ``name`` and
``run(problem, tracker, rng, epochs, start=None)`` (:class:`SearchMethod`; the contract in
:mod:`confuciux.search.methods`).  :func:`check_method` checks one the way a third party's tests
should; :func:`register` makes it known by name (``Explorer(..., method="mine")``, the command
line); an instance works anywhere a name does (``Explorer(..., method=Mine())``).  The built-in
methods are frozen dataclasses whose fields are their hyperparameters.

The objectives a method minimises come from :data:`OBJECTIVES` (:func:`register_objective` adds
one); a method sees them through :class:`Problem` (the cost table and the scoring) and reports
through :class:`Tracker`.
"""

from __future__ import annotations

from .check import CHECKS, MethodCheckError, check_method
from .methods import (
    METHODS,
    Anneal,
    Exact,
    Genetic,
    Heuristic,
    RandomSearch,
    Reinforce,
    SearchMethod,
    TwoStage,
    get_method,
    register,
    unregister,
)
from .objectives import OBJECTIVES, Objective
from .objectives import register as register_objective
from .objectives import unregister as unregister_objective
from .problem import Problem, Scores
from .tracker import Progress, Tracker

__all__ = [
    "SearchMethod",
    "METHODS",
    "register",
    "unregister",
    "get_method",
    "check_method",
    "CHECKS",
    "MethodCheckError",
    "TwoStage",
    "Reinforce",
    "Genetic",
    "Anneal",
    "RandomSearch",
    "Heuristic",
    "Exact",
    "OBJECTIVES",
    "Objective",
    "register_objective",
    "unregister_objective",
    "Problem",
    "Scores",
    "Progress",
    "Tracker",
]
