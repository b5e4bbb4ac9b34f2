"""A dataflow program as a value: MAESTRO's data-centric directives.

A program is a sequence of directives.  ``Spatial`` and ``Temporal`` maps place one dimension of
the layer over the PEs (spatial: each sub-cluster gets its own tile) or over time (temporal: every
sub-cluster sees the same tile, step after step); ``Cluster`` splits the PEs into groups and starts
the next, inner level, whose maps run inside each group.  Sizes and offsets are integers, ``Sz(D)``
(the layer's size of dimension D) or the name of a constant, bound when the program is costed.

This module holds the values only; parsing MAESTRO text, printing it, binding sizes and the
presets live beside it in this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = ["Sz", "Size", "Map", "Spatial", "Temporal", "Cluster", "Directive", "Bound"]


@dataclass(frozen=True)
class Sz:
    """The layer's size of dimension ``dim`` (MAESTRO's ``Sz(R)``)."""

    dim: str


#: A map's size or offset, or a cluster's size: an integer, ``Sz(D)`` or a named constant.
Size = int | Sz | str


@dataclass(frozen=True)
class Map:
    """One map directive: ``kind`` spatial or temporal, of dimension ``dim`` (as MAESTRO names
    it: ``K C R S Y X N``, the output coordinates ``Y'`` ``X'``, GEMM's ``M N K``), tile ``size``
    and ``offset`` (the step from one tile to the next; equal to ``size`` when not given).
    ``line`` is the source line it was read from (0 when built in Python); it takes no part in
    equality."""

    kind: Literal["spatial", "temporal"]
    dim: str
    size: Size
    offset: Size
    line: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Map):
            return NotImplemented
        return (self.kind, self.dim, self.size, self.offset) == (other.kind, other.dim, other.size, other.offset)

    def __hash__(self) -> int:
        return hash((self.kind, self.dim, self.size, self.offset))


def Spatial(dim: str, size: Size, offset: Size | None = None) -> Map:  # noqa: N802 (reads as a directive)
    """``SpatialMap(size, offset) dim``: tiles of ``dim`` spread over the sub-clusters."""
    return Map("spatial", dim, size, size if offset is None else offset)


def Temporal(dim: str, size: Size, offset: Size | None = None) -> Map:  # noqa: N802
    """``TemporalMap(size, offset) dim``: tiles of ``dim`` stepped through over time."""
    return Map("temporal", dim, size, size if offset is None else offset)


@dataclass(frozen=True)
class Cluster:
    """``Cluster(size, P|L)``: the PEs grouped ``size`` at a time; the directives after it form
    the next (inner) level.  ``physical`` is MAESTRO's ``P`` (True) or ``L`` (False)."""

    size: Size
    physical: bool = True
    line: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cluster):
            return NotImplemented
        return (self.size, self.physical) == (other.size, other.physical)

    def __hash__(self) -> int:
        return hash((self.size, self.physical))


Directive = Map | Cluster


class Bound(NamedTuple):
    """A directive with every size resolved to an integer, for a given layer and constants: the
    cost engine's input.  ``kind`` is ``"spatial"``, ``"temporal"`` or ``"cluster"``; a cluster
    has ``dim == ""``, ``size`` its group size, ``offset == 0`` and ``physical`` its type; maps
    have ``physical == True``.  ``line`` as in :class:`Map`."""

    kind: str
    dim: str
    size: int
    offset: int
    physical: bool = True
    line: int = 0
