"""Physical bounds of a mapping, from its structure alone.

MAESTRO's printed runtime can be lower than the layer's work allows.  The engine flags results
below the *compute bound* (true MACs / (P · SIMD)) as IMPOSSIBLE; a mapping also has its own,
tighter bound: at each level, no more sub-clusters work at once than there are tiles of the
parallel dimensions in the enclosing tile, so at most :func:`busy_pes` PEs are ever busy and the
layer takes at least ``MACs / (busy · SIMD)`` cycles.  MAESTRO breaks this bound too (GAMMA's
best ResNet-18 mappings at 168 PEs do, on layers where they respect the compute bound), and a
mapping search excludes such points as physically impossible (``strict=True``, the default).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..dataflow import Dataflow, compile
from ..dataflow.dimensions import maestro_layer
from ..workload import Layer

__all__ = ["busy_pes"]

_OUTPUT = {"Y'": ("Y", "R", 0), "X'": ("X", "S", 1)}


def busy_pes(layer: Layer, program: Dataflow, pes: int, constants: Mapping[str, int] | None = None) -> int:
    """An upper bound on the PEs ``program`` keeps busy at once on ``pes`` PEs: the product over
    levels of the level's sub-clusters (the top level's: ``pes`` over the inner cluster sizes)
    and the tiles of its parallel dimensions in the enclosing tile, whichever is smaller.  A
    level that spreads an input coordinate (``Y``, ``X``) or the kernel is not bounded by its
    tiles (only by its sub-clusters)."""
    template = compile(program, layer, constants)
    bound = template.bind(pes if "pes" in template.knobs else None)
    _, dims = maestro_layer(layer, program)
    extent: dict[str, int] = dict(dims)
    strides = layer.stride
    for d, (inp, kernel, axis) in _OUTPUT.items():
        if inp in dims:
            extent[d] = (dims[inp] - dims[kernel]) // strides[axis] + 1
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
    busy = 1
    for lv, maps in enumerate(levels):
        units = max(pes // inner, 0) if lv == 0 else clusters[lv - 1]
        tiles: int | None = 1
        child = dict(extent)
        for kind, dim, size, offset in maps:
            real_size, real_offset = size, offset
            if dim in _OUTPUT:  # MAESTRO's output tile of w holds (w - 1 + s) // s output rows
                s = strides[_OUTPUT[dim][2]]
                real_size = real_offset = (size - 1 + s) // s
            e = extent.get(dim, 1)
            if kind == "spatial":
                if dim in ("Y", "X", "R", "S") or tiles is None:
                    tiles = None
                else:
                    tiles *= max(1, -(-max(e - real_size, 0) // real_offset) + 1)
            child[dim] = min(e, real_size)
        busy *= units if tiles is None else min(units, tiles)
        extent = child
    return max(busy, 0)
