"""Dataflow programs in MAESTRO's directive language (docs/dataflows.md).

:class:`Dataflow` is a validated program of :func:`Spatial` / :func:`Temporal` maps and
:class:`Cluster` levels; :meth:`Dataflow.parse` reads MAESTRO's syntax exactly as MAESTRO 4eb08d1
does and ``str()`` writes it; :meth:`Dataflow.bind` resolves it for a layer into :class:`Bound`
directives, the cost engine's input; :meth:`Dataflow.preset` gives the named ones.

The package sits below the workload: it imports nothing else from confuciux.
"""

from __future__ import annotations

from .bind import Template, compile
from .dimensions import maestro_layer
from .presets import PRESETS, preset
from .program import (
    DIMENSIONS,
    Bound,
    Cluster,
    Dataflow,
    Directive,
    Level,
    Map,
    Size,
    Spatial,
    Sz,
    Temporal,
)

__all__ = [
    "Bound", "Cluster", "DIMENSIONS", "Dataflow", "Directive", "Level", "Map", "PRESETS", "Size", "Spatial", "Sz",
    "Temporal", "Template", "compile", "maestro_layer", "preset",
]  # fmt: skip
