"""The general analysis engine: MAESTRO's cost of any dataflow program, as a Python reference.

:func:`evaluate` costs one layer under one program of MAESTRO's directive language (a
:class:`~confuciux.dataflow.Dataflow`, or the :class:`~confuciux.dataflow.Bound` directives it
binds to) with MAESTRO 4eb08d1's hardware flags, and returns what MAESTRO prints — or, where
MAESTRO prints no cost, an invalid result whose status says why.  The analysis is a pipeline of passes, each a module:

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from ...dataflow.program import Bound, Dataflow
from ...workload import Layer
from .analysis import Analysis, Flags
from .levels import build_levels
from .problem import Problem, problem_of
from .quirks import I32_MAX
from .report import FLOAT_OUTPUTS, INT_OUTPUTS, row
from .status import DESCRIPTION, PRINTED, Status, Stop

__all__ = [
    "evaluate", "EngineResult", "Status", "DESCRIPTION", "INT_OUTPUTS", "FLOAT_OUTPUTS", "DEFAULTS", "BOUNDS",
    "impossibilities", "evaluate_batch",
]  # fmt: skip

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
    program: Dataflow | Sequence[Bound],
    pes: int,
    *,
    buffers: int | None = None,
    constants: Mapping[str, int] | None = None,
    noc_bw: int = 81_920_000,
    noc_hops: int = 1,
    noc_hop_latency: int = 1,
    multicast: bool = True,
    simd: int = 1,
    offchip_bw: int = 70_000,
) -> EngineResult:
    """MAESTRO's cost of ``layer`` under ``program`` on ``pes`` PEs.

    ``program``: a :class:`~confuciux.dataflow.Dataflow`, bound here for ``layer`` (``KTileSz``
    ← ``buffers``, ``ClusterSz`` ← ``pes``, other names from ``constants``; the rules MAESTRO's
    parser checks against the layer are a ValueError), or its bound directives
    (:meth:`Dataflow.bind`'s result, every size an integer).

    Flags (MAESTRO's command line; defaults are ConfuciuX's): ``noc_bw`` elements/cycle of
    every NoC level (``--noc_bw_cstr``), ``noc_hops`` and ``noc_hop_latency`` (cycles per hop),
    ``multicast`` (``--noc_mc_support``: MAESTRO's analysis ignores it, every NoC multicasts),
    ``simd`` lanes per PE (``--num_simd_lanes``), ``offchip_bw`` elements/cycle
    (``--offchip_bw_cstr``).  Bad arguments (not a Layer, sizes < 1, a layer MAESTRO cannot be
    given, ...) are a TypeError or ValueError; everything MAESTRO does with a well-formed input
    is a result."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a confuciux Layer, got {type(layer).__name__}")
    dataflow = program if isinstance(program, Dataflow) else None
    if isinstance(program, Dataflow):
        _check_int("pes", pes, 1)
        directives = _checked_program(program.bind(layer, pes=pes, buffers=buffers, constants=constants))
    elif buffers is not None or constants is not None:
        raise TypeError("buffers= and constants= bind a Dataflow; bound directives have every size already")
    else:
        directives = _checked_program(program)
    ints_in = {"pes": pes, "noc_bw": noc_bw, "noc_hops": noc_hops, "noc_hop_latency": noc_hop_latency, "simd": simd}
    for name, value in {**ints_in, "offchip_bw": offchip_bw}.items():
        _check_int(name, value, 0 if name in ("noc_hops", "noc_hop_latency") else 1)
    if not isinstance(multicast, bool):
        raise TypeError(f"multicast must be a bool, got {multicast!r}")
    try:
        problem = problem_of(layer, directives, dataflow)  # a layer MAESTRO cannot take: ValueError
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
        return EngineResult(Status.INVALID, f"MAESTRO prints runtime {ints['runtime']}, energy {floats['energy']:g}")
    broken = impossibilities(problem, ints, floats, pes)
    status = Status.IMPOSSIBLE if broken else Status.OK
    reason = f"breaks {', '.join(broken)}" if broken else ""
    return EngineResult(status, reason, broken, MappingProxyType(ints), MappingProxyType(floats))


#: The physical bounds a printed result must respect, each a name and a test that is True when
#: the result breaks it (docs/engine.md, "Physically impossible").
BOUNDS: tuple[tuple[str, Callable[[Problem, Mapping[str, int], Mapping[str, float], int], bool]], ...] = (
    # fewer cycles than the layer's MACs over every SIMD lane of every PE
    ("compute bound", lambda p, i, f, pes: i["runtime"] * pes * i["vector_width"] < p.work),
    # fewer MACs than the layer has
    ("work", lambda p, i, f, pes: i["macs"] < p.work),
    # more PEs busy on average than there are
    ("utilized PEs", lambda p, i, f, pes: f["utilized_pes"] > pes),
    # fewer elements read from / written to L2 than the layer uses / produces
    ("input traffic", lambda p, i, f, pes: i["input_l2_read"] < p.input_used),
    ("filter traffic", lambda p, i, f, pes: i["filter_l2_read"] < p.filter_size),
    ("output traffic", lambda p, i, f, pes: i["output_l2_write"] < p.output_size),
    # a buffer of no bytes
    ("buffer size", lambda p, i, f, pes: i["l1_bytes"] <= 0 or i["l2_bytes"] <= 0),
)


def impossibilities(
    problem: Problem, ints: Mapping[str, int], floats: Mapping[str, float], pes: int
) -> tuple[str, ...]:
    """The names of the :data:`BOUNDS` a printed result on ``pes`` PEs breaks."""
    return tuple(name for name, broken in BOUNDS if broken(problem, ints, floats, pes))


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if not low <= value <= I32_MAX:
        raise ValueError(f"{name} must be in {low}..{I32_MAX} (MAESTRO's 32-bit flags), got {value}")


def _checked_program(program: object) -> tuple[Bound, ...]:
    if isinstance(program, (str, bytes)) or not isinstance(program, Sequence):
        raise TypeError(f"program must be a Dataflow or a sequence of Bound directives, got {type(program).__name__}")
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


from .batch import evaluate_batch  # noqa: E402 (the batch contract, built on evaluate above)
