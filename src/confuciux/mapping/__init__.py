"""Searching the mapping: every layer's dataflow program, co-optimised with its PEs and buffers.

:class:`MappingSpace` says which mappings are allowed (GAMMA's genome and its flexibility
classes); :mod:`.genome` encodes them as integer rows; :mod:`.evaluate` costs them through the
engine; :mod:`.search` finds a layer's frontier of resource against latency or energy.
docs/mapping.md describes the whole.
"""

from __future__ import annotations

from .space import AXES, Axes, MappingSpace, layer_axes

__all__ = ["AXES", "Axes", "MappingSpace", "layer_axes"]
