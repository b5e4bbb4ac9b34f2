"""The objectives a search can minimise, in one table (docs/problem.md, "Objectives").

Each :class:`Objective` says its unit, how the per-layer costs combine into the design's value,
whether it is additive over layers (a sum of one per-layer cost: the exact knapsack solver and
the GA's additive moves apply) and whether ``method="exact"`` accepts it.  Totals over layers use
:func:`confuciux.budgets.lp_total`, the same summation as the budgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..budgets import lp_total

__all__ = ["OBJECTIVES", "Objective", "get_objective"]


def _latency(per: Mapping[str, np.ndarray]) -> np.ndarray:
    return lp_total(per["runtime"])


def _energy(per: Mapping[str, np.ndarray]) -> np.ndarray:
    return lp_total(per["energy"])


def _edp(per: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.asarray(lp_total(per["runtime"]) * lp_total(per["energy"]))


def _throughput(per: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.asarray(np.max(per["runtime"], axis=-1))


@dataclass(frozen=True)
class Objective:
    """An objective: ``name``, ``unit``, ``combine`` (how layers combine, in words), ``fields``
    (the per-layer cost fields it reads), ``layer_field`` (the per-layer cost that adds up, for
    additive objectives; None otherwise), ``exact`` (accepted by the exact solver) and
    ``value`` (per-layer fields (..., N) → the design's value (...); NaN propagates)."""

    name: str
    unit: str
    combine: str
    fields: tuple[str, ...]
    layer_field: str | None
    exact: bool
    value: Callable[[Mapping[str, np.ndarray]], np.ndarray]

    @property
    def additive(self) -> bool:
        """True when the value is the sum over layers of ``layer_field``."""
        return self.layer_field is not None


#: name → :class:`Objective`; the exact solver's allow-list is the entries with ``exact`` True.
OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("latency", "cycles", "sum of layer runtimes", ("runtime",), "runtime", True, _latency),
        Objective("energy", "nJ", "sum of layer energies", ("energy",), "energy", True, _energy),
        Objective("edp", "cycles·nJ", "sum of runtimes × sum of energies", ("runtime", "energy"), None, True, _edp),
        Objective("throughput", "cycles", "largest layer runtime (the pipeline's bottleneck stage)",
                  ("runtime",), None, True, _throughput),  # fmt: skip
    )
}


def get_objective(name: str) -> Objective:
    """The objective called ``name``; ValueError naming the known ones otherwise."""
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; expected one of {list(OBJECTIVES)}")
    return OBJECTIVES[name]
