"""The objectives a search can minimise, in one table (docs/problem.md, "Objectives").

An :class:`Objective` declares the cost-model outputs it reads (:mod:`confuciux.cost.schema`)
and how the layers' values combine — its ``kind``, which is also how the exact solver treats
it:

* ``"additive"``: the sum over layers of one output (latency, energy): a multiple-choice
  knapsack; the GA's additive moves apply;
* ``"bottleneck"``: the largest per-layer value of one output (throughput: the slowest stage of
  the layer pipeline): bisection over the candidate bottlenecks;
* ``"product"``: the product of the sums over layers of two outputs (edp): the supporting-line
  bound (the outputs must be positive, as runtime, energy and area are).

Its unit, the words for how layers combine, its value for whole designs, the exact solver's
algorithm, the default method of comparisons, the labels of summaries and plots and the command
line's choices all follow from the entry.  Adding an objective is one entry of
:data:`OBJECTIVES` (:func:`register` at run time); sums over layers use
:func:`confuciux.budgets.lp_total`, the same summation as the budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..budgets import lp_total
from ..cost import schema

__all__ = ["OBJECTIVES", "KINDS", "Objective", "get_objective", "register", "unregister", "unit"]

Kind = Literal["additive", "bottleneck", "product"]
#: The kinds of objective (module docstring).
KINDS: tuple[Kind, ...] = ("additive", "bottleneck", "product")
_READS = {"additive": 1, "bottleneck": 1, "product": 2}


@dataclass(frozen=True)
class Objective:
    """An objective: ``name``, the per-layer outputs it ``reads`` (schema names), its ``kind``
    (how layers combine and how the exact solver treats it; module docstring), a line of
    ``description``, and ``exact`` (False keeps it from ``method="exact"``)."""

    name: str
    reads: tuple[str, ...]
    kind: Kind
    description: str
    exact: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"objective {self.name!r}: kind must be one of {list(KINDS)}, got {self.kind!r}")
        if len(self.reads) != _READS[self.kind]:
            raise ValueError(f"objective {self.name!r}: a {self.kind} objective reads {_READS[self.kind]} output(s), "
                             f"got {list(self.reads)}")  # fmt: skip
        for name in self.reads:
            schema.output(name)  # ValueError naming the outputs

    @property
    def unit(self) -> str:
        """From the outputs' units: ``cycles``, ``nJ``, ``cycles·nJ``."""
        return "·".join(schema.unit(name) for name in self.reads)

    @property
    def combine(self) -> str:
        """How layers combine, in words."""
        a = self.reads[0]
        if self.kind == "additive":
            return f"sum of layer {a}"
        if self.kind == "bottleneck":
            return f"largest layer {a}"
        return " × ".join(f"sum of layer {r}" for r in self.reads)

    @property
    def additive(self) -> bool:
        """True when the value is the sum over layers of :attr:`layer_field`."""
        return self.kind == "additive"

    @property
    def layer_field(self) -> str | None:
        """The per-layer output that adds up to the value (additive objectives), else None."""
        return self.reads[0] if self.kind == "additive" else None

    @property
    def fields(self) -> tuple[str, ...]:
        """Same as :attr:`reads`."""
        return self.reads

    def value(self, per: Mapping[str, np.ndarray]) -> np.ndarray:
        """The design's value (...) from per-layer outputs (..., N) by name; NaN propagates."""
        if self.kind == "additive":
            return np.asarray(lp_total(per[self.reads[0]]))
        if self.kind == "bottleneck":
            return np.asarray(np.max(per[self.reads[0]], axis=-1))
        a, b = self.reads
        return np.asarray(lp_total(per[a]) * lp_total(per[b]))


#: name → :class:`Objective`; the exact solver's allow-list is the entries with ``exact`` True.
OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("latency", ("runtime",), "additive", "the layers' runtimes added up (layer-pipelined latency)"),
        Objective("energy", ("energy",), "additive", "the layers' energies added up"),
        Objective("edp", ("runtime", "energy"), "product", "energy-delay product: Σ runtime × Σ energy"),
        Objective("throughput", ("runtime",), "bottleneck",
                  "the slowest layer's runtime: the layer pipeline's bottleneck stage (lower is faster)"),  # fmt: skip
    )
}
_BUILT_IN = frozenset(OBJECTIVES)


def register(objective: Objective) -> None:
    """Add ``objective`` to :data:`OBJECTIVES` (every search, ``method="exact"`` when
    ``exact``, :func:`~confuciux.pareto_front`, comparisons and summaries take it from there)."""
    if not isinstance(objective, Objective):
        raise TypeError(f"expected an Objective, got {type(objective).__name__}")
    if objective.name in OBJECTIVES:
        raise ValueError(f"an objective called {objective.name!r} exists")
    OBJECTIVES[objective.name] = objective


def unregister(name: str) -> None:
    """Remove an objective added with :func:`register` (the built-in ones stay)."""
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is a built-in objective")
    del OBJECTIVES[name]


def get_objective(name: str) -> Objective:
    """The objective called ``name``; ValueError naming the known ones otherwise."""
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; expected one of {list(OBJECTIVES)}")
    return OBJECTIVES[name]


def unit(name: str) -> str:
    """The unit of an objective, a cost-model output or a budgeted quantity (``pes``), for labels
    and messages; "" for anything else."""
    if isinstance(name, str) and name in OBJECTIVES:
        return OBJECTIVES[name].unit
    return schema.unit(name)
