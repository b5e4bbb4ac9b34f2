"""Physical bounds of a mapping, from its structure alone.

MAESTRO's printed runtime can be lower than a mapping allows.  The engine flags results below
the *compute bound* (true MACs / (P · SIMD)) as IMPOSSIBLE; a mapping has tighter bounds of its
own:

* **busy PEs** (:func:`busy_pes`): at each level, no more sub-clusters work at once than there
  are tiles of the parallel dimensions in the enclosing tile, so the layer takes at least
  ``MACs / (busy · SIMD)`` cycles;
* **critical path** (:func:`critical_path`): the loop nest's steps run one after the other, and
  a step lasts at least as long as its most loaded PE computes — the product, over the
  dimensions, of the extent that PE holds (a spatial map deals its tiles to the sub-clusters a
  round at a time, a round lasting as long as its largest tile; a temporal map's steps hold their
  tiles, the last one its remainder).  The sum over the steps, over the SIMD lanes, bounds the
  runtime from below; it implies the busy-PE bound.

MAESTRO breaks both: its inner levels size a partial tile from the full one (docs/engine.md,
"Static tiles"), so a sub-cluster handed 27 channels of a 37-channel tile split 34 + 3 is charged
3, and the runtime can fall to half the critical path while every bound the engine checks
holds.  GAMMA's best ResNet-18 mappings at 168 PEs break them.  A mapping search excludes such
points as physically impossible (``strict=True``, the default).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..dataflow import Dataflow, compile
from ..dataflow.dimensions import maestro_layer
from ..workload import Layer
from .space import layer_axes

__all__ = ["busy_pes", "critical_path", "mapping_bound"]

_OUTPUT = {"Y'": ("Y", "R", 0), "X'": ("X", "S", 1)}


def _levels(layer: Layer, program: Dataflow, pes: int, constants: Mapping[str, int] | None
            ) -> tuple[list[list[tuple[str, str, int, int]]], list[int]]:  # fmt: skip
    """The bound program's maps level by level (kind, dim, size, offset) and each level's
    sub-clusters (the top level's: ``pes`` over the inner cluster sizes, MAESTRO's rounding)."""
    template = compile(program, layer, constants)
    bound = template.bind(pes if "pes" in template.knobs else None)
    levels: list[list[tuple[str, str, int, int]]] = [[]]
    clusters: list[int] = []
    for b in bound:
        if b.kind == "cluster":
            clusters.append(b.size)
            levels.append([])
        else:
            levels[-1].append((b.kind, b.dim, b.size, b.offset))
    inner = 1
    for c in clusters:
        inner *= c
    return levels, [pes // inner, *clusters]


def _real(layer: Layer, dim: str, size: int) -> int:
    """A map's tile in real elements: MAESTRO's output tile of w holds (w − 1 + s) // s rows."""
    if dim in _OUTPUT:
        s = layer.stride[_OUTPUT[dim][2]]
        return (size - 1 + s) // s
    return size


def busy_pes(layer: Layer, program: Dataflow, pes: int, constants: Mapping[str, int] | None = None) -> int:
    """An upper bound on the PEs ``program`` keeps busy at once on ``pes`` PEs: the product over
    levels of the level's sub-clusters and the tiles of its parallel dimensions in the enclosing
    tile, whichever is smaller.  A level that spreads an input coordinate (``Y``, ``X``) or the
    kernel is bounded by its sub-clusters only."""
    levels, units = _levels(layer, program, pes, constants)
    _, dims = maestro_layer(layer, program)
    extent: dict[str, int] = dict(dims)
    for d, (inp, kernel, axis) in _OUTPUT.items():
        if inp in dims:
            extent[d] = (dims[inp] - dims[kernel]) // layer.stride[axis] + 1
    busy = 1
    for maps, u in zip(levels, units, strict=True):
        tiles: int | None = 1
        child = dict(extent)
        for kind, dim, size, offset in maps:
            real_size = _real(layer, dim, size)
            real_offset = real_size if dim in _OUTPUT else offset
            e = extent.get(dim, 1)
            if kind == "spatial":
                if dim in ("Y", "X", "R", "S") or tiles is None:
                    tiles = None
                else:
                    tiles *= max(1, -(-max(e - real_size, 0) // real_offset) + 1)
            child[dim] = min(e, real_size)
        busy *= u if tiles is None else min(u, tiles)
        extent = child
    return max(busy, 0)


def step(extents: dict[int, int], tile: int, units: int) -> dict[int, int]:
    """The extents one level hands down along an axis (extent -> times on the critical path),
    for a temporal map (``units`` 0) or a spatial one over ``units`` sub-clusters: a temporal
    map takes ⌊x/t⌋ full steps and one of the remainder; a spatial one deals its tiles a round
    at a time, each round as long as its largest tile."""
    out: dict[int, int] = {}
    for x, m in extents.items():
        t = max(min(tile, x), 1)
        n, e = divmod(x, t)
        if units:
            k = n + (e > 0)
            rounds = -(-k // units)
            if e and (k - 1) % units == 0:  # the remainder alone in the last round
                out[t] = out.get(t, 0) + m * (rounds - 1)
                out[e] = out.get(e, 0) + m
            else:
                out[t] = out.get(t, 0) + m * rounds
        else:
            out[t] = out.get(t, 0) + m * n
            if e:
                out[e] = out.get(e, 0) + m
    return out


def critical_path(
    layer: Layer, program: Dataflow, pes: int, constants: Mapping[str, int] | None = None, simd: int = 1
) -> float | None:
    """The least cycles ``program`` can take on ``pes`` PEs of ``simd`` lanes: the MACs of the
    most loaded PE summed over the loop nest's steps (see the module docstring).  None for a
    program outside what this reads: a map whose offset is not its tile (a sliding window), a
    dimension mapped twice in a level, a parallel kernel or input coordinate."""
    levels, units = _levels(layer, program, pes, constants)
    axes = layer_axes(layer)
    total = 1.0
    for name, size in zip(axes.names, axes.sizes, strict=True):
        extents = {size: 1}
        for maps, u in zip(levels, units, strict=True):
            own = [(k, s, o) for k, d, s, o in maps if d == name]
            if len(own) > 1 or any(d in ("Y", "X") for _, d, _, _ in maps):
                return None
            if not own:
                continue
            kind, s, o = own[0]
            if name not in _OUTPUT and o != s:
                return None
            if kind == "spatial" and name in ("R", "S"):
                return None
            extents = step(extents, _real(layer, name, s), u if kind == "spatial" else 0)
        total *= sum(x * m for x, m in extents.items())
    return total / simd


def mapping_bound(
    layer: Layer, program: Dataflow, pes: int, constants: Mapping[str, int] | None = None, simd: int = 1
) -> float:
    """The strict bound a search holds results to: the critical path where
    :func:`critical_path` reads the program, else ``MACs / (busy · SIMD)``."""
    cp = critical_path(layer, program, pes, constants, simd)
    busy = busy_pes(layer, program, pes, constants)
    floor = layer.macs / (max(busy, 1) * simd)
    return floor if cp is None else max(cp, floor)
