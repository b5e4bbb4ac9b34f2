"""The cost model's outputs: names, order, dtype and units, in one place.

The C kernel (``enum cx_output`` in csrc/cost_model.h, checked against :data:`OUTPUTS` when the
binding loads), the NumPy reference, :func:`~confuciux.evaluate`, :class:`~confuciux.LayerCosts`
and :func:`~confuciux.evaluate_layer` all take names and order from here.

Every output is a float64 per point; counts (cycles, bytes, MACs, accesses) are whole numbers,
exact below 2**53.  Besides them every evaluation gives ``status`` (uint8, :data:`STATUS`) and
``valid`` (bool, ``status == 0``).  Points that are not valid hold NaN in every output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Output",
    "OUTPUTS",
    "NAMES",
    "INDEX",
    "MAIN",
    "ACCESSES",
    "DISTINCT",
    "SAME_AS",
    "STATUS",
    "OK",
    "INVALID",
    "OVERFLOW",
    "BAD_INPUT",
    "UNSUPPORTED",
    "DTYPE",
    "STATUS_DTYPE",
    "select",
]


@dataclass(frozen=True)
class Output:
    """One output of the cost model.

    ``same_as`` names the output it equals by construction (the L1 counters of the model are
    copies of the MAC count or of an L2 read count); the kernel writes such an output only when
    asked for it separately, and :class:`~confuciux.LayerCosts` shares the memory of the two."""

    name: str
    unit: str
    description: str
    same_as: str | None = None


#: Every output, in the kernel's order (``enum cx_output``).
OUTPUTS: tuple[Output, ...] = (
    Output("runtime", "cycles", "cycles to run the layer"),
    Output("energy", "nJ", "energy of the layer's accesses (and MACs, unless maestro_energy)"),
    Output("area", "µm²", "area of the layer's sub-accelerator"),
    Output("power", "mW", "power of the layer's sub-accelerator"),
    Output("l1_bytes", "bytes", "L1 buffer needed per PE"),
    Output("l2_bytes", "bytes", "shared L2 buffer needed"),
    Output("macs", "MACs", "multiply-accumulates as the cost model counts them"),
    Output("throughput", "MACs/cycle", "macs / runtime"),
    Output("input_l1_read", "elements", "input reads from L1", same_as="macs"),
    Output("input_l1_write", "elements", "input writes to L1", same_as="input_l2_read"),
    Output("input_l2_read", "elements", "input reads from L2"),
    Output("input_l2_write", "elements", "input writes to L2 (one fill)"),
    Output("filter_l1_read", "elements", "filter reads from L1", same_as="macs"),
    Output("filter_l1_write", "elements", "filter writes to L1", same_as="filter_l2_read"),
    Output("filter_l2_read", "elements", "filter reads from L2"),
    Output("filter_l2_write", "elements", "filter writes to L2 (one fill)"),
    Output("output_l1_read", "elements", "partial-sum reads from L1", same_as="output_l1_write"),
    # = macs, except for strided layers: MAESTRO counts their edge steps here with their
    # (negative) output extents
    Output("output_l1_write", "elements", "partial-sum writes to L1"),
    Output("output_l2_read", "elements", "output reads from L2 (one drain)"),
    Output("output_l2_write", "elements", "output writes to L2"),
)

NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
#: Outputs that are attributes of LayerCosts / PointCost, in order.
MAIN: tuple[str, ...] = NAMES[: NAMES.index("input_l1_read")]
#: Access counters (``LayerCosts.accesses``), per tensor and buffer level, in order.
ACCESSES: tuple[str, ...] = NAMES[len(MAIN) :]
#: Outputs the kernel computes in their own right (the others are copies of these).
DISTINCT: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.same_as is None)
SAME_AS: dict[str, str] = {o.name: o.same_as for o in OUTPUTS if o.same_as is not None}

#: Status codes (``enum cx_status``).
OK, INVALID, OVERFLOW, BAD_INPUT, UNSUPPORTED = 0, 1, 2, 3, 4
#: Meaning of each status value.
STATUS: dict[int, str] = {
    OK: "ok",
    INVALID: "invalid configuration",
    OVERFLOW: "overflow",
    BAD_INPUT: "bad input",
    UNSUPPORTED: "not supported",  # corner regimes of strided shi/eye CONV layers (docs/cost-model.md)
}

DTYPE = np.dtype(np.float64)
STATUS_DTYPE = np.dtype(np.uint8)


def select(outputs: Iterable[str] | None) -> tuple[str, ...]:
    """The outputs asked for, checked and in schema order (all of them for None)."""
    if outputs is None:
        return NAMES
    if isinstance(outputs, str):
        outputs = (outputs,)
    try:
        asked = set(outputs)
    except TypeError:
        raise TypeError(f"outputs must be a sequence of output names, got {outputs!r}") from None
    unknown = [name for name in asked if not isinstance(name, str) or name not in INDEX]
    if unknown:
        raise ValueError(f"unknown outputs {sorted(map(repr, unknown))}; expected names from {list(NAMES)}")
    return tuple(name for name in NAMES if name in asked)
