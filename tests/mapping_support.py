"""MAESTRO's shipped mapping files (data/mapping/*.m of maestro-project/maestro) against our costs:
shared by tests/test_cost_mappings.py and tests/golden/make_mapping_golden.py.

A mapping file gives every layer its own program; ``evaluate(model, pes, dataflow=None,
hardware=Hardware.maestro())`` costs each layer under it, as MAESTRO does with ConfuciuX's flags.
One MAESTRO quirk of whole files: a layer whose analysis has several levels is charged the L1
energy of the counters MAESTRO has not filled yet, which in a file still hold the layer before's
(alone, or first in a file, it is charged none: docs/engine.md, "Energy").  So a layer's energy
in a whole-file run is its own, plus, for some layers, the previous layer's L1 accesses times the
L1 energy; every other column is the layer's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from confuciux import Hardware, LayerCosts
from confuciux.cost import schema
from engine_support import FLOAT_COLUMNS, INT_COLUMNS

#: MAESTRO's CSV column of each of our outputs (through the engine's names).
COLUMN: dict[str, str] = {}
for _col, _engine in {**INT_COLUMNS, **FLOAT_COLUMNS}.items():
    for _name, _engine_name in schema.ENGINE_NAME.items():
        if _engine_name == _engine:
            COLUMN[_name] = _col
#: The outputs compared (every one MAESTRO prints a column for).
OUTPUTS: tuple[str, ...] = tuple(n for n in schema.NAMES if n in COLUMN)
_L1 = tuple(n for n in schema.ACCESSES if "_l1_" in n)
#: PE counts of the check (the issue's).
PES = (256, 1024)


def _value(text: str) -> float:
    return float(text.replace("-nan", "nan"))


def _close(ours: float, theirs: float) -> bool:
    """Within MAESTRO's 6 printed digits (and 1e-5)."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    return abs(ours - theirs) <= 5.01e-6 * max(abs(theirs), 1e-300)


def mismatches(costs: LayerCosts, i: int, row: Mapping[str, str], previous_l1: float | None = None) -> list[str]:
    """Where layer ``i`` of ``costs`` (``Hardware.maestro()``, :data:`OUTPUTS`) differs from
    MAESTRO's CSV ``row``: integers exactly, floats within MAESTRO's printed digits.
    ``previous_l1``: the L1 accesses of the layer before in a whole-file run (the energy quirk
    above); None for a layer run alone."""
    runtime, energy = _value(row["Runtime (Cycles)"]), _value(row["Activity count-based Energy (nJ)"])
    if runtime <= 0 or energy < 0:  # MAESTRO prints no cost: INVALID
        return [] if int(costs.status[i]) == schema.INVALID else [f"MAESTRO prints no cost, ours status {costs.status[i]}"]
    if not costs.valid[i]:
        return [f"MAESTRO prints a cost, ours status {int(costs.status[i])} ({schema.STATUS[int(costs.status[i])]})"]
    out = []
    for name in OUTPUTS:
        ours, theirs = float(costs[name][i]), _value(row[COLUMN[name]])
        if COLUMN[name] in INT_COLUMNS:
            same = ours == int(theirs)
        else:
            same = _close(ours, theirs)
            if not same and name == "energy" and previous_l1 is not None:
                same = _close(ours + Hardware.maestro().l1_energy * previous_l1, theirs)
        if not same:
            out.append(f"{name}: ours {ours!r}, MAESTRO {row[COLUMN[name]]}")
    return out


def l1_accesses(costs: LayerCosts) -> np.ndarray:
    """Each layer's L1 reads and writes of every tensor (elements)."""
    return np.asarray(sum(np.asarray(costs[n], dtype=np.float64) for n in _L1))
