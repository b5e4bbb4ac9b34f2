"""The engine's outputs: every number of MAESTRO's CSV row, in its order, with its unit.

One table (standard library only: csrc/build.py reads it as a plain file and generates the C
engine's output enum from it).  Integer outputs are exact counts MAESTRO prints as integers;
floating outputs are its doubles.  Names are ours; :data:`COLUMN` gives MAESTRO's CSV header.
"""

from __future__ import annotations

__all__ = ["INT_OUTPUTS", "FLOAT_OUTPUTS", "OUTPUTS", "UNITS"]

_TENSORS = ("input", "filter", "output")
_ACCESSES = ("l1_read", "l1_write", "l2_read", "l2_write")

#: (name, unit) of the integer outputs, in MAESTRO's CSV order.
_INTS: tuple[tuple[str, str], ...] = (
    ("runtime", "cycles"), ("noc_bw", "elements/cycle"), ("peak_bw", "elements/cycle"), ("vector_width", "lanes"),
    ("offchip_bw", "elements/cycle"), ("l2_bytes", "bytes"), ("l1_bytes", "bytes per PE"),
    ("input_pixels", "elements"), ("filter_pixels", "elements"), ("macs", "MACs"),
    *((f"{t}_{a}", "elements") for t in _TENSORS for a in _ACCESSES),
    *((f"{d}_delay_{v}", "cycles") for d in ("ingress", "egress", "compute") for v in ("min", "max", "avg")),
)  # fmt: skip
#: (name, unit) of the floating outputs, in MAESTRO's CSV order.
_FLOATS: tuple[tuple[str, str], ...] = (
    ("energy", "nJ"), ("throughput", "MACs/cycle"), ("throughput_per_energy", "GMACs/(s*J)"), ("area", "µm²"),
    ("power", "mW"), ("avg_bw", "elements/cycle"), ("multicast_filter", "ratio"), ("multicast_input", "ratio"),
    ("ops_per_joule", "MACs/J"), ("pe_power", "mW"), ("l1_power", "mW"), ("l2_power", "mW"), ("noc_power", "mW"),
    *((f"{t}_reuse", "ratio") for t in _TENSORS), ("utilized_pes", "PEs"), ("arithmetic_intensity", "MACs/element"),
)  # fmt: skip

#: Integer outputs of a result, in MAESTRO's CSV order.
INT_OUTPUTS: tuple[str, ...] = tuple(name for name, _ in _INTS)
#: Floating outputs, in MAESTRO's CSV order.
FLOAT_OUTPUTS: tuple[str, ...] = tuple(name for name, _ in _FLOATS)
#: Every output: the integers, then the floats (the C engine's output order).
OUTPUTS: tuple[str, ...] = INT_OUTPUTS + FLOAT_OUTPUTS
#: The unit of each output.
UNITS: dict[str, str] = dict(_INTS + _FLOATS)
