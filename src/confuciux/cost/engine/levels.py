"""Pass 2: the program cut into cluster levels and completed, as MAESTRO's cluster analysis does.

A program is a list of maps with ``Cluster(n)`` directives between levels.  MAESTRO completes
every level before it analyses anything (``ClusterAnalysis`` in its source):

1. output coordinates (``Y'``, ``X'``) become input coordinates with a window
   (:func:`convert_output_coordinates`);
2. a level inherits, as temporal maps put in front and in reverse order, the maps of the level
   above on dimensions it does not map itself (:func:`inherit`);
3. every input-tensor dimension still unmapped gets a full-size temporal map (:func:`unroll`);
4. a strided layer's window maps on ``Y``/``X`` get the strided tile and step
   (:func:`apply_outer_stride`);
5. the level's dimension table is the tile of the level above (:func:`lower_dims`).

At most four levels (three ``Cluster`` directives): MAESTRO has one NoC per level.  The top
level has ``P // (n1·n2·…)`` sub-clusters (MAESTRO rounds the PEs down to a multiple of
the cluster sizes), each inner level as many as its ``Cluster`` directive says; the innermost
level's size is repeated by an implicit last ``Cluster``.  Each level is then preprocessed as
MAESTRO's ``ClusterUnit`` (:func:`unit`).  Everything here depends on the layer, the program and
P only, not on the hardware flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ...dataflow.program import Bound
from .dims import Dims, Directive, dims_of
from .problem import Problem
from .quirks import INPUT_HEIGHT, INPUT_WIDTH, OUTPUT_HEIGHT, OUTPUT_WIDTH, cdiv, i32
from .status import Status, Stop

__all__ = ["Level", "build_levels", "top_dims", "NOC_LEVELS"]

#: NoCs MAESTRO's command line builds, one per cluster level: a program has at most this many
#: levels (three ``Cluster`` directives).
NOC_LEVELS = 4


@dataclass(frozen=True)
class Level:
    """One completed cluster level.  ``index`` 0 is the top (outermost); ``size`` its number of
    sub-clusters; ``maps`` its completed directives in order; ``dims`` its static dimension table
    (the tile the level above hands down; the layer at the top); ``spatial`` the index of its
    first spatial map; ``edge_clusters`` the sub-clusters active in a spatial edge step (MAESTRO
    computes it once, from the static table)."""

    index: int
    size: int
    maps: tuple[Directive, ...]
    dims: Dims
    spatial: int
    edge_clusters: int

    def first(self, dim: str) -> Directive | None:
        """The first map of ``dim`` (MAESTRO's ``FindDirective``)."""
        return next((d for d in self.maps if d.dim == dim), None)


def top_dims(problem: Problem) -> Dims:
    """The layer's dimension table: every declared dimension with its stride, and for a CONV the
    output coordinates ``Y' = Y - R + 1``, ``X' = X - S + 1`` (unstrided: MAESTRO sizes them
    before it applies any stride)."""
    strides = dict(problem.strides)
    entries = [(name, size, strides.get(name, 1)) for name, size in problem.dims]
    if problem.overlaps:
        sizes = dict(problem.dims)
        x, y = sizes[INPUT_WIDTH], sizes[INPUT_HEIGHT]
        entries.append((OUTPUT_WIDTH, x - sizes["S"] + 1, strides.get(INPUT_WIDTH, 1)))
        entries.append((OUTPUT_HEIGHT, y - sizes["R"] + 1, strides.get(INPUT_HEIGHT, 1)))
    return dims_of(entries, problem.overlaps)


def build_levels(problem: Problem, program: Sequence[Bound], pes: int) -> tuple[Level, ...]:
    """The completed levels of ``program`` on ``problem`` with ``pes`` PEs, top first.
    ``Cluster(n, L)`` and ``Cluster(n, P)`` are analysed alike (MAESTRO stores the type only)."""
    if not program:
        # an empty Dataflow block: MAESTRO's parser copies the previous layer's, and there is none
        raise Stop(Status.CRASH, "empty program (MAESTRO dereferences a null pointer)")
    groups, clusters = _split(program)
    if len(clusters) >= NOC_LEVELS:
        # MAESTRO indexes its four NoCs by level: a fourth Cluster reads past the end (abort),
        # a fifth fails its own check first.
        if len(clusters) == NOC_LEVELS:
            raise Stop(Status.CRASH, "five cluster levels: MAESTRO reads past its four NoCs (std::out_of_range)")
        raise Stop(Status.REFUSED, f"NoC is not defined at cluster level {len(clusters)}")
    uppermost = 1
    for c in clusters:
        uppermost = i32(uppermost * c, "product of the cluster sizes")
    sizes = [cdiv(pes, uppermost, "PEs / cluster sizes"), *clusters]
    full = top_dims(problem)
    vars_ = problem.input_vars
    levels: list[Level] = []
    dims = full
    prev: tuple[Directive, ...] | None = None
    for index, user in enumerate(groups):
        draft = convert_output_coordinates(user)
        draft = inherit(prev, draft)
        draft = unroll(vars_, dims, draft)
        draft = apply_outer_stride(index == 0, draft, dims, full)
        maps = convert_remaining_output_coordinates(draft)
        levels.append(unit(index, sizes[index], maps, dims))
        dims = lower_dims(vars_, dims, maps)
        prev = maps
    return tuple(levels)


def _split(program: Sequence[Bound]) -> tuple[list[list[Directive]], list[int]]:
    """The maps of each level and the cluster sizes between them."""
    groups: list[list[Directive]] = [[]]
    clusters: list[int] = []
    for b in program:
        if b.kind == "cluster":
            clusters.append(b.size)
            groups.append([])
        elif b.kind in ("spatial", "temporal"):
            groups[-1].append(Directive(b.kind == "spatial", b.dim, b.size, b.offset))
        else:
            raise ValueError(f"line {b.line}: unknown directive kind {b.kind!r}")
    return groups, clusters


def convert_output_coordinates(maps: list[Directive]) -> list[Directive]:
    """A level's first map of ``Y'`` (``X'``) becomes a map of ``Y`` (``X``) whose tile is that
    many output rows plus the kernel (``size + R - 1``), unless the level also maps ``Y``.

    Quirks (MAESTRO's ``ClusterAnalysis::ConvertToInputCentric``): the size used is the *last*
    ``Y'`` map's of the level, applied to the first; ``R`` is the level's own last ``R`` map —
    when the level has none MAESTRO reads an uninitialised variable (``Status.UNDEFINED``)."""
    last = {d.dim: d.size for d in maps}
    out = list(maps)
    for inp, outp, kernel in ((INPUT_WIDTH, OUTPUT_WIDTH, "S"), (INPUT_HEIGHT, OUTPUT_HEIGHT, "R")):
        if inp in last or outp not in last:
            continue
        if kernel not in last:
            raise Stop(Status.UNDEFINED, f"{outp} mapped in a level without a map of {kernel}")
        i = next(j for j, d in enumerate(out) if d.dim == outp)
        out[i] = replace(out[i], dim=inp, size=i32(last[outp] + last[kernel] - 1, f"{inp} tile"))
    return out


def convert_remaining_output_coordinates(maps: list[Directive]) -> tuple[Directive, ...]:
    """Output-coordinate maps that survived :func:`convert_output_coordinates` (the level maps
    both ``Y`` and ``Y'``, or ``Y'`` twice) are converted again when MAESTRO builds the level's
    ``ClusterUnit``, each with its own size plus the level's last ``R`` (``S``) tile.  Quirk:
    MAESTRO initialises the ``R`` it uses to 0 but not the ``S``."""
    last = {d.dim: d.size for d in maps}
    out = []
    for d in maps:
        if d.dim == OUTPUT_WIDTH:
            if "S" not in last:
                raise Stop(Status.UNDEFINED, "X' mapped in a level without a map of S")
            d = replace(d, dim=INPUT_WIDTH, size=i32(d.size + last["S"] - 1, "X tile"))
        elif d.dim == OUTPUT_HEIGHT:
            d = replace(d, dim=INPUT_HEIGHT, size=i32(d.size + last.get("R", 0) - 1, "Y tile"))
        out.append(d)
    return tuple(out)


def inherit(prev: tuple[Directive, ...] | None, maps: list[Directive]) -> list[Directive]:
    """The level above's maps on dimensions this level leaves out, as temporal maps of the same
    size and offset, each put in front (so they end up in reverse order)."""
    out = list(maps)
    for upper in prev or ():
        if all(d.dim != upper.dim for d in out):
            out.insert(0, Directive(False, upper.dim, upper.size, upper.ofs))
    return out


def unroll(vars_: tuple[str, ...], dims: Dims, maps: list[Directive]) -> list[Directive]:
    """A full-size temporal map, appended in sorted order, for every input-tensor dimension the
    level still leaves out (and the level's table has)."""
    out = list(maps)
    for var in vars_:
        if all(d.dim != var for d in out) and dims.has(var):
            size = dims.size(var)
            out.append(Directive(False, var, size, size))
    return out


def apply_outer_stride(top: bool, maps: list[Directive], dims: Dims, full: Dims) -> list[Directive]:
    """A map on ``Y`` (``X``) whose tile covers the kernel, on a strided layer, becomes the tile
    of the output rows it holds: ``n = (size + s - R) // s`` rows need ``n·min(s, R) + max(R - s,
    0)`` input rows and the window steps by ``n·s`` (``n·R`` below the top when ``R < s``).

    Quirks: the map's own offset is ignored; the result is written to the *first* map of the
    dimension; every level applies it again, to inherited and unrolled maps as well."""
    out = list(maps)
    for d in maps:
        stride = dims.stride(d.dim)
        if not (dims.is_reference(d.dim) and stride != 1):
            continue
        kernel = full.size(dims.counterpart(d.dim))
        dims.size(d.dim)
        if d.size < kernel:
            continue
        rows = cdiv(i32(d.size + stride - kernel, "strided tile"), stride, "stride")
        size = i32(rows * min(stride, kernel) + max(kernel - stride, 0), "strided tile")
        ofs = i32(rows * (kernel if not top and kernel < stride else stride), "strided offset")
        i = next(j for j, m in enumerate(out) if m.dim == d.dim)
        out[i] = replace(out[i], size=size, ofs=ofs)
    return out


def lower_dims(vars_: tuple[str, ...], dims: Dims, maps: tuple[Directive, ...]) -> Dims:
    """The dimension table of the level below: for each input-tensor dimension, this level's
    (first) tile, clipped to the dimension."""
    entries = []
    for var in vars_:
        first = next((d for d in maps if d.dim == var), None)
        if first is None:
            raise Stop(Status.CRASH, f"no map of {var} when sizing the level below (null pointer)")
        entries.append((var, min(first.size, dims.size(var)), dims.stride(var)))
    return dims_of(entries, dims.overlaps)


def unit(index: int, size: int, maps: tuple[Directive, ...], dims: Dims) -> Level:
    """MAESTRO's ``ClusterUnit`` preprocessing of a level: find its spatial maps (one or two),
    check the sizes it reads, and count the sub-clusters active in a spatial edge step."""
    spatial = [i for i, d in enumerate(maps) if d.spatial]
    if len(spatial) > 2:
        raise Stop(Status.REFUSED, f"cluster level {index}: more than two spatial maps")
    if not spatial:
        raise Stop(Status.REFUSED, f"cluster level {index}: no spatial map")
    sp = spatial[0]
    for d in maps[sp:]:
        if not d.spatial:
            dims.size(d.dim)  # MAESTRO reads it to find the innermost iterating temporal map
    sp_map = maps[sp]
    extent = dims.size(sp_map.dim)
    cdiv(extent, i32(sp_map.ofs * size, "spatial coverage"), f"cluster level {index} has {size} sub-clusters")
    edge = edge_clusters(extent, sp_map.size, sp_map.ofs, size)
    for name in dims.sizes:
        if dims.is_reference(name):
            dims.size(dims.counterpart(name))
    return Level(index, size, maps, dims, sp, edge)


def edge_clusters(extent: int, size: int, ofs: int, n: int) -> int:
    """Sub-clusters active in the last, partial spatial step of a map of ``size``/``ofs`` over
    ``extent`` on ``n`` sub-clusters (MAESTRO's ``AnalyzeSpatialEdgeCase``, from the static
    table; the cases' own tiles do not change it — quirk)."""
    full = i32(ofs * (n - 1) + size, "spatial coverage")
    if extent > full:
        steady = cdiv(cdiv(extent - size, ofs, "offset") + 1, n, "sub-clusters") - 1
        remaining = i32(extent - (steady + 1) * ofs * n, "spatial remainder")
        count = 1 if remaining < size else cdiv(remaining - size, ofs, "offset") + 1
    elif extent > size:
        count = cdiv(extent - size, ofs, "offset") + 1
        if ofs * (count - 1) + size < extent:
            count += 1
    else:
        count = 1
    return 1 if extent <= size else count
