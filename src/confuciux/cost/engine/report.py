"""Pass 6: MAESTRO's printed row from the top level's analysis.

MAESTRO reads almost everything from the top level's result: runtime, the per-tensor counters,
the L2 size, the bandwidths, the delays and the utilisation.  The L1 size comes from the first
result its recursion stored (a sub-cluster of the first kept case, innermost).  Energy, area and
power are the cost database's (:meth:`~confuciux.hardware.Hardware.maestro`, with the SIMD
lanes multiplying the MAC and the NoC bandwidth sizing the bus), evaluated by the same
functions as the closed forms.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ...hardware import Hardware
from ..reference import area_power_points, energy_points
from .analysis import FILTER, INPUT, OUTPUT, Flags, LevelResult
from .outputs import FLOAT_OUTPUTS, INT_OUTPUTS
from .problem import Problem
from .quirks import i32

__all__ = ["INT_OUTPUTS", "FLOAT_OUTPUTS", "row", "maestro_hardware"]

_TENSORS = ("input", "filter", "output")


def maestro_hardware(flags: Flags) -> Hardware:
    """MAESTRO's cost database for these flags: ``Hardware.maestro()`` with a MAC of ``simd``
    lanes and a bus ``noc_bw`` elements wide."""
    base = Hardware.maestro()
    return dataclasses.replace(
        base,
        mac_area=base.mac_area * flags.simd,
        mac_power=base.mac_power * flags.simd,
        bus_width=float(flags.noc_bw),
    )


def _div(a: float, b: float) -> float:
    """``a / b`` as MAESTRO's doubles (its longs are divided as doubles: callers convert), with
    C's results for a zero divisor."""
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _counts(top: LevelResult) -> dict[str, int]:
    out = {}
    for t, name in ((INPUT, "input"), (FILTER, "filter"), (OUTPUT, "output")):
        out[f"{name}_l1_read"] = top.l1_read[t]
        out[f"{name}_l1_write"] = top.l1_write[t]
        out[f"{name}_l2_read"] = top.l2_read[t]
        out[f"{name}_l2_write"] = top.l2_write[t]
    return out


def _pixels(problem: Problem, coupled: tuple[str, ...]) -> int:
    size = 1
    for name, value in problem.dims:
        if name in coupled:
            size *= value
    return size


def row(problem: Problem, top: LevelResult, flags: Flags, pes: int) -> tuple[dict[str, int], dict[str, float]]:
    """The integer and floating outputs MAESTRO prints for this analysis."""
    leaf = top.leaf
    ints: dict[str, int] = {
        "runtime": top.runtime,
        "noc_bw": top.peak_bw,
        "peak_bw": top.peak_bw,
        "vector_width": flags.simd,
        "offchip_bw": top.offchip_bw,
        "l2_bytes": i32(sum(top.l2_size), "L2 size"),  # MAESTRO sums them into an int
        "l1_bytes": i32(sum(leaf.l1_size), "L1 size"),
        "input_pixels": _pixels(problem, problem.input),
        "filter_pixels": _pixels(problem, problem.filter),
        "macs": top.computations,
        **_counts(top),
    }
    for k, name in enumerate(("ingress", "egress", "compute")):
        lo, hi, avg = top.delays[k]
        ints[f"{name}_delay_min"], ints[f"{name}_delay_max"], ints[f"{name}_delay_avg"] = lo, hi, avg
    hw = maestro_hardware(flags)
    counts = {k: np.array([float(v)]) for k, v in ints.items()}
    counts.update(l1_bytes=np.array([float(ints["l1_bytes"])]), l2_bytes=np.array([float(ints["l2_bytes"])]))
    energy = float(energy_points(counts, np.array([not top.recursed]), hw)[0])
    # MAESTRO's SRAMs have at least one cell
    l1_cells, l2_cells = ints["l1_bytes"] or 1, ints["l2_bytes"] or 1
    area_a, power_a = area_power_points(np.array([pes]), np.array([l1_cells]), np.array([l2_cells]), hw)
    area, power = float(area_a[0]), float(power_a[0])
    pe_power = pes * hw.mac_power
    l1_power = pes * hw.l1_power * l1_cells
    l2_power = hw.l2_power * l2_cells
    macs, runtime = float(top.computations), float(top.runtime)
    floats: dict[str, float] = {
        "energy": energy,
        "throughput": _div(macs, runtime),
        "throughput_per_energy": _div(_div(macs, runtime), energy) * 1e9,
        "area": area,
        "power": power,
        "avg_bw": top.avg_bw,
        "multicast_filter": _div(float(top.l1_write[FILTER]), float(top.l2_read[FILTER])),
        "multicast_input": _div(float(top.l1_write[INPUT]), float(top.l2_read[INPUT])),
        "ops_per_joule": _div(macs, energy) * 1e9,
        "pe_power": pe_power,
        "l1_power": l1_power,
        "l2_power": l2_power,
        "noc_power": power - pe_power - l1_power - l2_power,
        **{f"{name}_reuse": _div(float(top.l1_read[t]), float(top.l1_write[t])) for t, name in enumerate(_TENSORS)},
        "utilized_pes": top.avg_active,
        "arithmetic_intensity": top.arithmetic_intensity,
    }
    return ints, floats
