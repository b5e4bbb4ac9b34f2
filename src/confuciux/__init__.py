"""confuciux: per-layer hardware resource assignment for DNN accelerators.

Workload (:class:`Layer`, :class:`Model`, :mod:`confuciux.zoo`) → platform (:class:`Hardware`)
→ cost model (:func:`evaluate`) → search (:class:`Explorer`) → :class:`Result`; docs/architecture.md.

``confuciux.native`` is True when the compiled cost-model kernel is in use, False when evaluation
falls back to the NumPy reference implementation (same numbers, slower).
"""

from __future__ import annotations

from . import zoo
from .budgets import Budgets
from .cost import BACKEND, DATAFLOWS, STATUS, LayerCosts, PointCost, area_power, evaluate, evaluate_layer
from .cost.design import evaluate_design
from .explorer import METHODS, Explorer
from .hardware import Hardware
from .pareto import ParetoFront, pareto
from .platform import Platform
from .result import Result, SlowerWithMorePEs
from .sweeps import Case, results_table, sweep
from .workload import Layer, Model

native: bool = BACKEND == "c"

__version__ = "0.1.0"

__all__ = [
    "Case",
    "DATAFLOWS",
    "METHODS",
    "Explorer",
    "Platform",
    "Budgets",
    "ParetoFront",
    "pareto",
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
    "native",
    "results_table",
    "sweep",
    "zoo",
]
