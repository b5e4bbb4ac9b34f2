"""Dimension tables and directives: the values the passes hand to each other.

A :class:`Dims` is MAESTRO's dimension table of one cluster level (or of one case's sub-cluster
tile): a size and an outer stride per dimension, plus which dimensions form a sliding window.
A :class:`Directive` is one map of a completed level, every size an integer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .status import Status, Stop

__all__ = ["Dims", "Directive", "dims_of"]


@dataclass(frozen=True)
class Directive:
    """One map of a level: ``spatial`` or temporal, over ``dim``, tile ``size``, step ``ofs``."""

    spatial: bool
    dim: str
    size: int
    ofs: int

    def __str__(self) -> str:
        return f"{'SpatialMap' if self.spatial else 'TemporalMap'}({self.size},{self.ofs}) {self.dim}"


@dataclass(frozen=True)
class Dims:
    """A dimension table: ``sizes`` and outer ``strides`` per dimension, and the sliding-window
    pairs ``overlaps`` as (reference, sliding) — ``("Y", "R")``: input rows slide over the
    kernel rows.  A missing dimension is MAESTRO's "Dimension D not found" refusal."""

    sizes: dict[str, int]
    strides: dict[str, int]
    overlaps: tuple[tuple[str, str], ...] = ()
    key: tuple[object, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "key", (tuple(sorted(self.sizes.items())), tuple(sorted(self.strides.items())), self.overlaps)
        )

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dims) and self.key == other.key

    def has(self, dim: str) -> bool:
        return dim in self.sizes

    def size(self, dim: str) -> int:
        if dim not in self.sizes:
            raise Stop(Status.REFUSED, f"dimension {dim} not found (MAESTRO's MissingDimension)")
        return self.sizes[dim]

    def stride(self, dim: str) -> int:
        if dim not in self.strides:
            raise Stop(Status.REFUSED, f"dimension {dim} not found (MAESTRO's MissingDimension)")
        return self.strides[dim]

    def overlapped(self, dim: str) -> bool:
        """``dim`` is either side of a sliding window."""
        return any(dim in pair for pair in self.overlaps)

    def sliding(self, dim: str) -> bool:
        """``dim`` is the sliding (kernel) side of a window."""
        return any(dim == s for _, s in self.overlaps)

    def counterpart(self, dim: str) -> str:
        """The other side of ``dim``'s window (the last pair that names it, as MAESTRO)."""
        out = ""
        for ref, sliding in self.overlaps:
            if dim == sliding:
                out = ref
            elif dim == ref:
                out = sliding
        return out

    def is_reference(self, dim: str) -> bool:
        """``dim`` is the input side of a window (``Y`` or ``X``)."""
        return self.overlapped(dim) and not self.sliding(dim)


def dims_of(entries: Iterable[tuple[str, int, int]], overlaps: tuple[tuple[str, str], ...]) -> Dims:
    """A table from (name, size, outer stride) entries; the first entry of a name wins (MAESTRO
    keeps its dimension tables in a ``std::map`` and ``insert`` does not overwrite)."""
    sizes: dict[str, int] = {}
    strides: dict[str, int] = {}
    for name, size, stride in entries:
        if name not in sizes:
            sizes[name] = size
            strides[name] = stride
    return Dims(sizes, strides, overlaps)
