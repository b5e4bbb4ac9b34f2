"""The dataflows the cost model knows, in one table.

Each :class:`Preset` gives the dataflow's name, its closed form's id in the C kernel
(``kernel_id``: ``CX_<NAME>`` of ``enum cx_dataflow``, which the kernel's build generates from
this table) and the layer kinds it serves.  ``dla``, ``shi`` and ``eye`` are chosen by the caller
for CONV and GEMM layers; ``dpt`` is used for every depthwise (DSCONV) layer, whatever the
caller chose.  Adding a dataflow: a row here, and its closed forms in the kernel
(csrc/cost_model.c, by its ``CX_<NAME>``) and in the NumPy reference (cost/reference.py).

The name ``Dataflow`` belongs to the dataflow *program* (:mod:`confuciux.dataflow`); a preset is
a named dataflow, and later names its program here too, with ``kernel_id`` the closed-form
fast path of the ConfuciuX four (None for a preset only the general engine costs).

This module imports nothing: the kernel's build reads it before the package can be imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Preset", "TABLE", "BY_NAME", "DATAFLOWS", "DEPTHWISE", "lookup"]


@dataclass(frozen=True)
class Preset:
    """One named dataflow: ``name``, the kernel's closed-form id ``kernel_id`` (None: no closed
    form), the layer ``kinds`` it serves, whether callers choose it (``selectable``) or the
    model applies it itself (dpt for depthwise), and a line on what it is."""

    name: str
    kernel_id: int | None
    kinds: tuple[str, ...]
    selectable: bool
    description: str

    @property
    def c_id(self) -> int | None:
        """Former name of :attr:`kernel_id` (DeprecationWarning until 0.3.0)."""
        from .._deprecation import deprecated  # (not at the top: csrc/build.py runs this module on its own)

        deprecated("Preset.c_id", "Preset.kernel_id")
        return self.kernel_id


TABLE: tuple[Preset, ...] = (
    Preset("dla", 0, ("CONV", "GEMM", "TRCONV"), True, "NVDLA-style: K spatially over k-tiles, C over the PEs"),
    Preset("shi", 1, ("CONV", "GEMM", "TRCONV"), True, "ShiDianNao-style: output columns over the PEs"),
    Preset("eye", 2, ("CONV", "GEMM", "TRCONV"), True, "Eyeriss-style row stationary: output rows over the PEs"),
    Preset("dpt", 3, ("DSCONV",), False, "depthwise: k channels per PE, used for every DSCONV layer"),
)

BY_NAME: dict[str, Preset] = {d.name: d for d in TABLE}
#: Names a caller may pass as ``dataflow``.
DATAFLOWS: tuple[str, ...] = tuple(d.name for d in TABLE if d.selectable)
#: The dataflow of depthwise layers.
DEPTHWISE: Preset = next(d for d in TABLE if "DSCONV" in d.kinds)


def lookup(dataflow: object) -> Preset:
    """The selectable dataflow named ``dataflow`` (case-insensitive), or a ValueError."""
    found = BY_NAME.get(dataflow) if isinstance(dataflow, str) else None
    if found is None and isinstance(dataflow, str):
        found = BY_NAME.get(dataflow.lower())
    if found is None or not found.selectable:
        raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {list(DATAFLOWS)}")
    return found


def __getattr__(name: str) -> Any:
    if name == "Dataflow":  # renamed: confuciux.Dataflow is the dataflow program now
        from .._deprecation import deprecated

        deprecated("confuciux.cost.dataflows.Dataflow", "Preset (confuciux.Dataflow is a dataflow program)")
        return Preset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
