"""The general analysis engine: MAESTRO's cost of any dataflow program, as a Python reference.

:func:`evaluate` costs one layer under one program of MAESTRO's directive language (a sequence
of :class:`~confuciux.dataflow.Bound` directives, every size an integer) with MAESTRO 4eb08d1's
hardware flags, and returns what MAESTRO prints — or, where MAESTRO prints no cost, an invalid
result whose status says why.  The analysis is a pipeline of passes, each a module:

1. :mod:`.problem` — the layer as MAESTRO sees it (type, dimensions, tensors);
2. :mod:`.levels` — the program cut into cluster levels and completed;
3. :mod:`.cases` — each level's iteration cases and their occurrences;
4. :mod:`.reuse` — what a case moves, holds and computes;
5. :mod:`.analysis` — delays, runtime, counters, recursively over the levels;
6. :mod:`.report` — the printed row (energy, area, power from the cost database).

MAESTRO's arithmetic and quirks live in :mod:`.quirks` and in the docstrings of the functions
that reproduce them; docs/engine.md describes the whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from ...dataflow.program import Bound
from ...workload import Layer
from .analysis import Analysis, Flags
from .levels import build_levels
from .problem import Problem, problem_of
from .quirks import I32_MAX
from .report import FLOAT_OUTPUTS, INT_OUTPUTS, row
from .status import DESCRIPTION, PRINTED, Status, Stop

__all__ = ["evaluate", "EngineResult", "Status", "DESCRIPTION", "INT_OUTPUTS", "FLOAT_OUTPUTS", "DEFAULTS"]

#: ConfuciuX's MAESTRO command line: NoC bandwidth (elements/cycle), hops, cycles per hop,
#: multicast, SIMD lanes; off-chip bandwidth is MAESTRO's default (ConfuciuX does not set it).
DEFAULTS: Mapping[str, int | bool] = MappingProxyType(
    {"noc_bw": 81_920_000, "noc_hops": 1, "noc_hop_latency": 1, "multicast": True, "simd": 1, "offchip_bw": 70_000}
)


@dataclass(frozen=True)
class EngineResult:
    """One evaluation.  ``status`` (:class:`Status`) and ``reason`` (where and why MAESTRO stops,
    or which bounds an impossible result breaks); ``valid``: MAESTRO prints this result
    (``OK`` or ``IMPOSSIBLE``); ``impossible``: the physical bounds it breaks (empty unless
    IMPOSSIBLE).  ``ints`` and ``floats`` hold every output MAESTRO prints (empty when not
    valid): cycles (runtime, delays), bytes (``l1_bytes`` per PE, ``l2_bytes``), elements
    (access counts, pixels), elements/cycle (bandwidths), MACs, nJ (energy), µm² (area), mW
    (power and its parts).  Access a value as ``result["runtime"]``."""

    status: Status
    reason: str = ""
    impossible: tuple[str, ...] = ()
    ints: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    floats: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def valid(self) -> bool:
        return self.status in PRINTED

    def __getitem__(self, name: str) -> int | float:
        if name in self.ints:
            return self.ints[name]
        if name in self.floats:
            return self.floats[name]
        if name in INT_OUTPUTS or name in FLOAT_OUTPUTS:
            raise KeyError(f"{name}: no value, the result is {self.status.name} ({self.reason})")
        raise KeyError(f"unknown output {name!r}")


def evaluate(
    layer: Layer,
    program: Sequence[Bound],
    pes: int,
    *,
    noc_bw: int = 81_920_000,
    noc_hops: int = 1,
    noc_hop_latency: int = 1,
    multicast: bool = True,
    simd: int = 1,
    offchip_bw: int = 70_000,
) -> EngineResult:
    """MAESTRO's cost of ``layer`` under ``program`` on ``pes`` PEs.

    Flags (MAESTRO's command line; defaults are ConfuciuX's): ``noc_bw`` elements/cycle of
    every NoC level (``--noc_bw_cstr``), ``noc_hops`` and ``noc_hop_latency`` (cycles per hop),
    ``multicast`` (``--noc_mc_support``: MAESTRO's analysis ignores it, every NoC multicasts),
    ``simd`` lanes per PE (``--num_simd_lanes``), ``offchip_bw`` elements/cycle
    (``--offchip_bw_cstr``).  Bad arguments (not a Layer, sizes < 1, ...) are a TypeError or
    ValueError; everything MAESTRO does with a well-formed input is a result."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a confuciux Layer, got {type(layer).__name__}")
    directives = _checked_program(program)
    ints_in = {"pes": pes, "noc_bw": noc_bw, "noc_hops": noc_hops, "noc_hop_latency": noc_hop_latency, "simd": simd}
    for name, value in {**ints_in, "offchip_bw": offchip_bw}.items():
        _check_int(name, value, 0 if name in ("noc_hops", "noc_hop_latency") else 1)
    if not isinstance(multicast, bool):
        raise TypeError(f"multicast must be a bool, got {multicast!r}")
    try:
        problem = problem_of(layer, (b.dim for b in directives if b.kind != "cluster"))
        levels = build_levels(problem, directives, pes)
        latency = noc_hops * noc_hop_latency
        if latency > I32_MAX:
            raise Stop(Status.OVERFLOW, f"NoC latency {latency} does not fit MAESTRO's 32-bit int")
        flags = Flags(simd, noc_bw, latency, offchip_bw)
        top = Analysis(problem, levels, flags).top()
        ints, floats = row(problem, top, flags, pes)
    except Stop as stop:
        return EngineResult(stop.status, stop.reason)
    if ints["runtime"] <= 0 or floats["energy"] < 0 or math.isnan(floats["energy"]):
        return EngineResult(Status.BAD_VALUE, f"MAESTRO prints runtime {ints['runtime']}, energy {floats['energy']:g}")
    broken = impossibilities(problem, ints, floats, pes, simd)
    status = Status.IMPOSSIBLE if broken else Status.OK
    return EngineResult(status, "; ".join(broken), broken, MappingProxyType(ints), MappingProxyType(floats))


def impossibilities(
    problem: Problem, ints: Mapping[str, int], floats: Mapping[str, float], pes: int, simd: int
) -> tuple[str, ...]:
    """The physical bounds a printed result breaks (docs/engine.md, "Physically impossible"):

    * ``compute bound``: fewer cycles than the layer's real MACs over ``pes × simd`` lanes;
    * ``utilized PEs``: more PEs busy on average than there are;
    * ``filter traffic``: fewer filter elements read from L2 than the layer has weights;
    * ``output traffic``: fewer outputs written to L2 than the layer has outputs."""
    out = []
    bound = -(-problem.work // (pes * simd))
    if ints["runtime"] < bound:
        out.append(f"compute bound: runtime {ints['runtime']} < {bound} cycles")
    if floats["utilized_pes"] > pes:
        out.append(f"utilized PEs: {floats['utilized_pes']:g} > {pes}")
    if ints["filter_l2_read"] < problem.filter_size:
        out.append(f"filter traffic: {ints['filter_l2_read']} L2 reads < {problem.filter_size} weights")
    if ints["output_l2_write"] < problem.output_size:
        out.append(f"output traffic: {ints['output_l2_write']} L2 writes < {problem.output_size} outputs")
    return tuple(out)


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if not low <= value <= I32_MAX:
        raise ValueError(f"{name} must be in {low}..{I32_MAX} (MAESTRO's 32-bit flags), got {value}")


def _checked_program(program: Sequence[Bound]) -> tuple[Bound, ...]:
    out = []
    for b in program:
        if not isinstance(b, tuple) or len(b) < 4:
            raise TypeError(f"program directives must be Bound values, got {b!r}")
        b = Bound(*b)
        what = f"line {b.line}: {b.kind} {b.dim}".rstrip()
        if b.kind not in ("spatial", "temporal", "cluster"):
            raise ValueError(f"{what}: kind must be spatial, temporal or cluster")
        if not isinstance(b.size, int) or not isinstance(b.offset, int):
            raise TypeError(f"{what}: sizes must be ints (bind the program first), got {b.size!r}, {b.offset!r}")
        if b.size < 1 or b.size > I32_MAX or (b.kind != "cluster" and not 1 <= b.offset <= I32_MAX):
            raise ValueError(f"{what}: size and offset must be in 1..{I32_MAX}, got {b.size}, {b.offset}")
        if b.kind != "cluster" and not (isinstance(b.dim, str) and b.dim):
            raise ValueError(f"{what}: a map needs a dimension")
        out.append(b)
    return tuple(out)
