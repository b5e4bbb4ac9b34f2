"""confuciux: per-layer hardware resource assignment for DNN accelerators.

Workload (:class:`Layer`, :class:`Model`, :mod:`confuciux.zoo`) → platform (:class:`Hardware`,
:class:`Platform`) → cost model (:func:`evaluate`) → search (:class:`Explorer`,
:mod:`confuciux.search`) → :class:`Result`; docs/architecture.md.

``confuciux.BACKEND`` is ``"c"`` when the compiled cost-model kernel is in use, ``"numpy"`` when
evaluation falls back to the NumPy reference implementation (same numbers, slower).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from . import zoo
from ._deprecation import deprecated
from .budgets import Budgets
from .cost import BACKEND, DATAFLOWS, STATUS, LayerCosts, PointCost, area_power, evaluate, evaluate_layer
from .cost.design import evaluate_design
from .dataflow import Dataflow
from .explorer import METHODS, Explorer
from .hardware import Hardware
from .pareto import ParetoFront, pareto_front
from .platform import Platform
from .result import Result, SlowerWithMorePEs
from .sweeps import Case, results_table, sweep
from .workload import Layer, Model

#: The package's version (pyproject.toml reads it from here).
__version__ = "0.2.0.dev0"

__all__ = [
    "BACKEND",
    "Case",
    "DATAFLOWS",
    "Dataflow",
    "METHODS",
    "Explorer",
    "Platform",
    "Budgets",
    "ParetoFront",
    "pareto_front",
    "Result",
    "SlowerWithMorePEs",
    "STATUS",
    "Hardware",
    "Layer",
    "Model",
    "LayerCosts",
    "PointCost",
    "area_power",
    "evaluate",
    "evaluate_design",
    "evaluate_layer",
    "results_table",
    "sweep",
    "zoo",
]


class _ParetoModule(types.ModuleType):
    """``confuciux.pareto`` is the module (the function that shadowed it is ``pareto_front``);
    calling it still works for one release, with a FutureWarning."""

    def __call__(self, *args: Any, **kwargs: Any) -> ParetoFront:
        deprecated("confuciux.pareto(...)", "confuciux.pareto_front(...) (confuciux.pareto is the module)",
                   user=True)  # fmt: skip
        return pareto_front(*args, **kwargs)


sys.modules[f"{__name__}.pareto"].__class__ = _ParetoModule


def __getattr__(name: str) -> Any:
    if name == "native":  # two flags for one fact
        deprecated("confuciux.native", 'confuciux.BACKEND == "c"', user=True)
        return BACKEND == "c"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
