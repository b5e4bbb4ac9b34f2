"""The dataflows the cost model knows, in one table.

Each entry gives the dataflow's name, its id in the C kernel (``enum cx_dataflow`` in
csrc/cost_model.h; the binding checks the table against the enum when it loads) and the layer
kinds it serves.  ``dla``, ``shi`` and ``eye`` are chosen by the caller for CONV and GEMM layers;
``dpt`` is used for every depthwise (DSCONV) layer, whatever the caller chose.  Adding a dataflow:
a row here, the enum value and the closed forms in the kernel and in the NumPy reference.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Dataflow", "TABLE", "BY_NAME", "DATAFLOWS", "DEPTHWISE", "lookup"]


@dataclass(frozen=True)
class Dataflow:
    """One dataflow: ``name``, the kernel's ``c_id``, the layer ``kinds`` it serves and whether
    callers choose it (``selectable``) or the model applies it itself (dpt for depthwise)."""

    name: str
    c_id: int
    kinds: tuple[str, ...]
    selectable: bool
    description: str


TABLE: tuple[Dataflow, ...] = (
    Dataflow("dla", 0, ("CONV", "GEMM", "TRCONV"), True, "NVDLA-style: K spatially over k-tiles, C over the PEs"),
    Dataflow("shi", 1, ("CONV", "GEMM", "TRCONV"), True, "ShiDianNao-style: output columns over the PEs"),
    Dataflow("eye", 2, ("CONV", "GEMM", "TRCONV"), True, "Eyeriss-style row stationary: output rows over the PEs"),
    Dataflow("dpt", 3, ("DSCONV",), False, "depthwise: k channels per PE, used for every DSCONV layer"),
)

BY_NAME: dict[str, Dataflow] = {d.name: d for d in TABLE}
#: Names a caller may pass as ``dataflow``.
DATAFLOWS: tuple[str, ...] = tuple(d.name for d in TABLE if d.selectable)
#: The dataflow of depthwise layers.
DEPTHWISE: Dataflow = next(d for d in TABLE if "DSCONV" in d.kinds)


def lookup(dataflow: object) -> Dataflow:
    """The selectable dataflow named ``dataflow`` (case-insensitive), or a ValueError."""
    found = BY_NAME.get(dataflow) if isinstance(dataflow, str) else None
    if found is None and isinstance(dataflow, str):
        found = BY_NAME.get(dataflow.lower())
    if found is None or not found.selectable:
        raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {list(DATAFLOWS)}")
    return found
