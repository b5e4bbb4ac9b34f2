"""The space of mappings a search explores: :class:`MappingSpace`, and a layer's axes.

A mapping, as GAMMA (Kao & Krishna, ICCAD 2020) describes it, is per cluster level: the
parallel (spatially mapped) dimension, the size of the level's clusters, a tile size for every
dimension and the loop order.  It is written as a MAESTRO program: level by level, one map a
dimension in loop order (``SpatialMap`` for the parallel one), levels separated by
``Cluster(size, P)``.  The dimensions are the layer's *axes* (:func:`layer_axes`): ``K``, ``C``,
the output rows and columns ``Y'``, ``X'`` and the kernel ``R``, ``S`` (taken whole, as MAESTRO
requires), with ``N`` for a batch, ``G`` for a grouped layer, and no ``K`` for a depthwise one.

:class:`MappingSpace` says which mappings are allowed: how many levels, which dimensions may be
parallel, which tile sizes (every integer or only divisors), which loop orders, fixed cluster
sizes — GAMMA's flexibility classes are restrictions of these — or a whole template (a
:class:`~confuciux.dataflow.Dataflow` with free tile names) whose names alone are searched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..dataflow import Dataflow
from ..dataflow.dimensions import maestro_layer
from ..dataflow.program import Spatial
from ..workload import Layer

__all__ = ["MappingSpace", "Axes", "layer_axes", "AXES", "MAX_LEVELS", "KERNEL"]

#: Every axis a mapping may have, in the order the genome stores them.
AXES: tuple[str, ...] = ("N", "G", "K", "C", "Y'", "X'", "R", "S")
#: The kernel dimensions: MAESTRO takes a temporal map of R or S only whole, so their tile is
#: always the layer's R (S) and they are never parallel unless a space says so.
KERNEL = ("R", "S")
#: The most cluster levels a mapping has: MAESTRO analyses four, the issue asks for three.
MAX_LEVELS = 3
_TILES = ("all", "divisors")


@dataclass(frozen=True)
class Axes:
    """A layer's axes: ``names`` (MAESTRO's dimension names, in :data:`AXES` order) and their
    ``sizes`` (elements; ``Y'``/``X'`` are the output rows/columns)."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def size(self, name: str) -> int:
        return self.sizes[self.names.index(name)]

    def __len__(self) -> int:
        return len(self.names)


def layer_axes(layer: Layer) -> Axes:
    """The axes of ``layer`` as a convolution's program maps it (a GEMM is the equivalent 1×1
    CONV, as :func:`~confuciux.dataflow.maestro_layer` writes it under such a program): ``N``
    when the batch is not 1, ``G`` for a grouped layer (``K`` and ``C`` then per group), ``K``
    unless depthwise (MAESTRO's depthwise layer has no filter dimension to map), ``C``, the
    output ``Y'`` × ``X'`` and the kernel ``R`` × ``S``."""
    if not isinstance(layer, Layer):
        raise TypeError(f"expected a confuciux Layer, got {type(layer).__name__}")
    _, dims = maestro_layer(layer, Dataflow([Spatial("K", 1)]))
    sizes = {"N": dims.get("N", 1), "G": dims.get("G", 1), "K": dims["K"], "C": dims["C"],
             "Y'": layer.out_y, "X'": layer.out_x, "R": layer.R, "S": layer.S}  # fmt: skip
    keep = [a for a in AXES if a in ("C", "Y'", "X'", "R", "S") or (a in dims and sizes[a] > 1)]
    if layer.depthwise:
        keep = [a for a in keep if a != "K"]
    elif "K" not in keep:
        keep.insert(keep.index("C"), "K")
    return Axes(tuple(keep), tuple(sizes[a] for a in keep))


def _dims(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise TypeError(f"MappingSpace.{what}: expected a non-empty sequence of dimension names, got {value!r}")
    out = tuple(value)
    for d in out:
        if d not in AXES:
            raise ValueError(f"MappingSpace.{what}: unknown dimension {d!r}; a mapping's are {', '.join(AXES)}")
    if len(set(out)) != len(out):
        raise ValueError(f"MappingSpace.{what}: a dimension is named twice in {out!r}")
    return out


def _per_level(value: object, what: str, n: int, free: object) -> tuple[Any, ...]:
    """A per-level setting: one value for every level, or a sequence of ``n`` (free: None)."""
    if value is None or value == free:
        return (None,) * n
    if isinstance(value, Sequence) and not isinstance(value, str) and value and all(
        v is None or (isinstance(v, Sequence) and not isinstance(v, str)) for v in value
    ):
        if len(value) != n:
            raise ValueError(f"MappingSpace.{what}: {len(value)} levels given, the space has up to {n}")
        return tuple(None if v is None else _dims(v, what) for v in value)
    one = _dims(value, what)
    return (one,) * n


@dataclass(frozen=True, init=False)
class MappingSpace:
    """Which mappings a search may return (a value; every field normalised and checked).

    * ``levels``: the number of cluster levels, an int or an inclusive ``(low, high)`` range
      within 1..3 (default ``(1, 3)``).
    * ``spatial``: the dimensions that may be parallel (spatially mapped) at a level — one
      tuple for every level, or one per level (``None`` for the default); default ``K``, ``C``,
      ``Y'``, ``X'`` (GAMMA's; add ``R``/``S`` for row-stationary-like mappings).  A layer's
      axes it lacks are ignored.  One dimension fixes the parallel dimension.
    * ``tiles``: ``"all"`` (every tile size from 1 to the enclosing tile, GAMMA's default) or
      ``"divisors"`` (tiles that divide the enclosing tile, GAMMA's ``--use_factor``).
    * ``orders``: ``"all"``, or a fixed loop order (outer first) of the axes, for every level
      or one per level (``None`` leaves a level free); an order lists every axis of
      :data:`AXES` a layer may have that the search should place (axes a layer lacks are
      skipped, axes it has that the order omits go innermost in :data:`AXES` order).
    * ``clusters``: fixed cluster sizes of the inner levels (level 2, level 3; ``None`` for a
      free one), default all free.
    * ``template``: a :class:`~confuciux.dataflow.Dataflow` whose named sizes (other than
      ``ClusterSz``, the PEs) are the only thing searched; every other field is then unused
      (build it with :meth:`of_template`).

    GAMMA's flexibility classes are restrictions: fix the loop order (``orders=``), the
    parallel dimension (``spatial=("K",)``), the cluster size (``clusters=``), or the whole
    template (:meth:`of_template`)."""

    levels: tuple[int, int]
    spatial: tuple[tuple[str, ...], ...]
    tiles: str
    orders: tuple[tuple[str, ...] | None, ...]
    clusters: tuple[int | None, ...]
    template: Dataflow | None

    def __init__(
        self,
        levels: int | tuple[int, int] = (1, 3),
        spatial: Sequence[str] | Sequence[Sequence[str] | None] = ("K", "C", "Y'", "X'"),
        tiles: str = "all",
        orders: str | Sequence[str] | Sequence[Sequence[str] | None] = "all",
        clusters: Sequence[int | None] | None = None,
        template: Dataflow | None = None,
    ) -> None:
        lo, hi = _levels(levels)
        if tiles not in _TILES:
            raise ValueError(f"MappingSpace.tiles: expected one of {', '.join(_TILES)}, got {tiles!r}")
        sp = _per_level(spatial, "spatial", hi, None)
        sp = tuple(("K", "C", "Y'", "X'") if s is None else s for s in sp)
        order = _per_level(orders, "orders", hi, "all")
        if clusters is None:
            clusters = (None,) * (hi - 1)
        if isinstance(clusters, (str, bytes)) or not isinstance(clusters, Sequence) or len(clusters) != hi - 1:
            raise ValueError(f"MappingSpace.clusters: expected {hi - 1} inner-level sizes (or None), got {clusters!r}")
        for c in clusters:
            if c is not None and (isinstance(c, bool) or not isinstance(c, int) or c < 1):
                raise ValueError(f"MappingSpace.clusters: a cluster size is an int >= 1 or None, got {c!r}")
        if template is not None and not isinstance(template, Dataflow):
            raise TypeError(f"MappingSpace.template: expected a Dataflow, got {type(template).__name__}")
        object.__setattr__(self, "levels", (lo, hi))
        object.__setattr__(self, "spatial", sp)
        object.__setattr__(self, "tiles", tiles)
        object.__setattr__(self, "orders", order)
        object.__setattr__(self, "clusters", (None, *clusters))
        object.__setattr__(self, "template", template)

    @classmethod
    def of_template(cls, template: Dataflow | str, tiles: str = "all") -> MappingSpace:
        """The space of one template: only its named sizes (tile and cluster sizes, free or
        declared) are searched; ``ClusterSz`` stays the design's PEs.  ``template`` is a Dataflow or a preset's
        name."""
        df = Dataflow.preset(template) if isinstance(template, str) else template
        return cls(tiles=tiles, template=df)

    @property
    def max_levels(self) -> int:
        return self.levels[1]

    def describe(self) -> str:
        """One line for summaries."""
        if self.template is not None:
            names = ", ".join(sorted(self.template.names - {"ClusterSz"})) or "none"
            return f"template ({names} searched; tiles {self.tiles})"
        lo, hi = self.levels
        lv = f"{lo}" if lo == hi else f"{lo}-{hi}"
        sp = "/".join(",".join(s) for s in dict.fromkeys(self.spatial))
        fixed = sum(o is not None for o in self.orders)
        return f"{lv} levels, parallel {sp}, tiles {self.tiles}, orders {'fixed' if fixed else 'all'}"


def _levels(levels: object) -> tuple[int, int]:
    if isinstance(levels, bool):
        raise TypeError(f"MappingSpace.levels: expected an int or (low, high), got {levels!r}")
    if isinstance(levels, int):
        lo = hi = levels
    elif isinstance(levels, Sequence) and len(levels) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) for v in levels
    ):
        lo, hi = int(levels[0]), int(levels[1])
    else:
        raise TypeError(f"MappingSpace.levels: expected an int or (low, high), got {levels!r}")
    if not 1 <= lo <= hi <= MAX_LEVELS:
        raise ValueError(f"MappingSpace.levels: need 1 <= low <= high <= {MAX_LEVELS}, got {levels!r}")
    return lo, hi
