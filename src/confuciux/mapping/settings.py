"""The settings of a mapping search: the genetic method's (:class:`Genetic`) and a platform's
searched mapping (:class:`MappingSearch`), values with no search code behind them (so that the
platform can hold them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .operators import Operators
from .space import MappingSpace

__all__ = ["Genetic", "MappingSearch", "mapping_spec", "DEFAULT_EVALUATIONS", "PLATFORM_GENETIC"]

#: Engine evaluations a layer's search makes by default in a platform's searched mapping
#: (docs/performance.md: MobileNet-V2's 52 layers co-optimised in well under 30 s on one core).
DEFAULT_EVALUATIONS = 2000
_METHODS = ("auto", "exhaustive", "genetic")


@dataclass(frozen=True)
class Genetic:
    """The genetic method's settings: ``population`` (candidates evaluated a generation, and
    parents kept; default a fifth of the evaluation budget within 10..100),
    ``parents`` (share of the population that breeds), ``pool`` (children bred per candidate
    evaluated, ranked by the estimate), ``initial`` (random rows drawn per candidate of the first
    generation), ``inner`` (generations bred from the best predicted children, by the estimate
    alone, before each engine batch; ``presearch`` before the first), ``seeds`` (rows per
    candidate of the first generation built from the best parallel structures the estimate knows,
    :mod:`.seeds`, over up to 8 of the PE counts; an energy search adds as many quiet rows),
    ``niche`` (the most of the parents, and of a
    generation's best predicted, one parallel structure may take), ``explore`` (share of a
    generation drawn at random from the pool instead), ``pe_step`` (probability that a child
    moves to another PE count of the search), ``operators`` (:class:`~confuciux.mapping.operators.Operators`),
    ``polish`` (share of the budget kept for a local search around the best points after the
    genetic one, :mod:`.polish`: every single-gene move, best point first, repeated while it
    improves; with ``polish_from`` or more evaluations), ``short_polish`` (below ``polish_from``,
    the share kept for the transposed splits of the best structures' seeds and of the best
    points, then that local search)."""

    population: int | None = None
    parents: float = 0.4
    pool: int = 20
    initial: int = 10
    inner: int = 1
    presearch: int = 3
    seeds: int = 4
    niche: float = 0.3
    explore: float = 0.2
    pe_step: float = 0.3
    operators: Operators = field(default_factory=Operators)
    polish: float = 0.2
    polish_from: int = 1000
    short_polish: float = 0.05

    def __post_init__(self) -> None:
        for name in ("population", "pool", "initial", "inner", "presearch", "seeds", "polish_from"):
            v = getattr(self, name)
            if v is None and name == "population":
                continue
            least = 0 if name in ("inner", "presearch", "seeds") else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"Genetic.{name} must be an int >= {least}, got {v!r}")
        for name in ("parents", "explore", "pe_step", "niche", "polish", "short_polish"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"Genetic.{name} must be in [0, 1], got {v!r}")


#: The genetic settings of a platform's layer searches: a light pre-screen (5 children ranked by
#: the estimate per evaluation, one estimate-only generation) and generations of 200 — with the
#: compiled engine at ~10 µs a candidate, more evaluations buy more than more screening at the
#: same time (docs/performance.md); three tile mutations a child, not search()'s four: with the
#: light pre-screen the fourth cost 5-10 % of the models' latency at small area budgets
#: (docs/scripts/mapping_fronts.py at seeds 0-9, docs/mapping.md "Settings").
PLATFORM_GENETIC = Genetic(population=200, pool=5, initial=50, inner=1, presearch=10, polish=0.0,
                           short_polish=0.0, operators=Operators(tile_loci=3))


@dataclass(frozen=True)
class MappingSearch:
    """A platform's dataflow that searches every layer's mapping: the ``space``
    (:class:`MappingSpace`), ``evaluations`` (engine evaluations per layer), ``seed`` (every
    random choice of the layers' searches), ``method`` (``"auto"``, ``"exhaustive"`` or
    ``"genetic"``, :func:`~confuciux.mapping.search.search`), ``genetic`` (the genetic
    method's settings, :data:`PLATFORM_GENETIC` by default) and ``workers`` (processes that run
    the distinct layers' searches at once; 1: in this process, no pool — the results are the same
    bit for bit, so ``workers`` takes no part in equality, hashing or records).
    ``Platform(dataflow=MappingSpace(...))`` is ``Platform(dataflow=MappingSearch(MappingSpace(...)))``."""

    space: MappingSpace = field(default_factory=MappingSpace)
    evaluations: int = DEFAULT_EVALUATIONS
    seed: int = 0
    method: str = "auto"
    genetic: Genetic = field(default_factory=lambda: PLATFORM_GENETIC)
    # not a setting of the result: no part in equality (the searches' cache) nor in a sweep's case hash
    workers: int = field(default=1, compare=False, metadata={"record": False})

    def __post_init__(self) -> None:
        if not isinstance(self.space, MappingSpace):
            raise TypeError(f"MappingSearch.space must be a MappingSpace, got {type(self.space).__name__}")
        for name, least in (("evaluations", 1), ("seed", 0), ("workers", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < least:
                raise ValueError(f"MappingSearch.{name} must be an int >= {least}, got {v!r}")
            object.__setattr__(self, name, int(v))
        if self.method not in _METHODS:
            raise ValueError(f"MappingSearch.method must be one of {', '.join(_METHODS)}, got {self.method!r}")
        if not isinstance(self.genetic, Genetic):
            raise TypeError(f"MappingSearch.genetic must be a Genetic, got {type(self.genetic).__name__}")

    @property
    def label(self) -> str:
        """How records and messages name this dataflow."""
        return "mapping"

    def describe(self) -> dict[str, Any]:
        """The search's settings, for records (``Result.space``)."""
        return {"mapping": self.space.describe(), "evaluations": self.evaluations, "seed": self.seed,
                "method": self.method}  # fmt: skip


def mapping_spec(value: object) -> MappingSearch | None:
    """``value`` as a :class:`MappingSearch` when it is one or a :class:`MappingSpace`, else None."""
    if isinstance(value, MappingSpace):
        return MappingSearch(value)
    return value if isinstance(value, MappingSearch) else None
