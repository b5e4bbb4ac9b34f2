"""Pass 4: what one case of a level moves, holds and computes (MAESTRO's reuse analysis).

A level's *tiles* (:class:`Tiles`, from its static table) give, per dimension, the tile of a
full step (``mapped``), the part of it a step brings new (``unique``: the offset, or 0 for a
temporal map that covers the whole dimension) and the same two for the last, partial step
(``mapped_edge``, ``unique_edge``); an input coordinate's output coordinate gets the output
tile (window minus kernel plus one).  From them and a case's positions this module computes:

* the *ingress* of an input tensor: what the sub-clusters receive in that step.  If no loop the
  tensor depends on has just moved, nothing (it stays where it is); otherwise the new slice
  along the moving loop times the full tile of every other loop — unless a loop inside it that
  the tensor depends on restarts, then the whole tile again.  With a spatial map the first
  sub-cluster receives its tile and the others only the part their neighbour does not share.
* the *egress* of the output tensor (the output tile each sub-cluster writes) and its partial
  sums (the output tile times the reduction tiles), for the critical sub-cluster and in total;
* the tile a sub-cluster of the next level works on (:func:`sub_dims`).

Quirks reproduced (all MAESTRO's, see the docstrings below): a step in the Steady *or Edge*
position of a non-moving loop is charged the full tile (edge tiles are padded); a tensor is
not refetched when a loop it does not depend on advances, even when loops it does depend on
restart; at a spatial edge the output extent of the first sub-cluster is read from the input
coordinate's edge tile; edge-sub-cluster counts come from the static table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .cases import INIT, STEADY, Case, State
from .dims import Dims, dims_of
from .levels import Level
from .quirks import INPUT_HEIGHT, INPUT_WIDTH, OUTPUT_HEIGHT, OUTPUT_OF, OUTPUT_WIDTH, add, cdiv, mul
from .status import Status, Stop

__all__ = [
    "Tiles", "tiles_of", "spatial_ingress", "spatial_egress", "critical_partial_sums",
    "output_mapping", "mapped_volume", "sub_dims",
]  # fmt: skip


@dataclass(frozen=True)
class Tiles:
    """Per-dimension tiles of a level (see the module docstring); a dimension absent from a
    table reads as 0, as from MAESTRO's ``std::map::operator[]``."""

    mapped: dict[str, int]
    unique: dict[str, int]
    mapped_edge: dict[str, int]
    unique_edge: dict[str, int]

    def m(self, dim: str) -> int:
        return self.mapped.get(dim, 0)

    def u(self, dim: str) -> int:
        return self.unique.get(dim, 0)

    def me(self, dim: str) -> int:
        return self.mapped_edge.get(dim, 0)

    def ue(self, dim: str) -> int:
        return self.unique_edge.get(dim, 0)

    def tile(self, dim: str, edge: bool) -> int:
        return self.me(dim) if edge else self.m(dim)


def tiles_of(level: Level) -> Tiles:
    """The tiles of ``level``'s maps over its static table; a later map of a dimension overwrites
    an earlier one."""
    m: dict[str, int] = {}
    u: dict[str, int] = {}
    me: dict[str, int] = {}
    ue: dict[str, int] = {}
    for d in level.maps:
        extent = level.dims.size(d.dim)
        steady = max(cdiv(extent - d.size, d.ofs, "offset"), 0)
        partial = steady * d.ofs + d.size < extent or d.size > extent
        m[d.dim] = d.size
        u[d.dim] = 0 if not d.spatial and extent <= d.size else min(d.size, d.ofs)
        edge = extent - (steady + 1) * d.ofs
        edge = extent if edge < 0 else edge
        me[d.dim] = edge if partial else d.size
        ue[d.dim] = max(d.ofs - (d.size - edge), 0)
    for d in level.maps:
        if level.dims.is_reference(d.dim):
            kernel = level.dims.counterpart(d.dim)
            out = OUTPUT_HEIGHT if d.dim == INPUT_HEIGHT else OUTPUT_WIDTH
            m[out] = m[d.dim] - m.setdefault(kernel, 0) + 1
            u[out] = min(d.ofs, d.size)
            me[out] = me[d.dim] - me.setdefault(kernel, 0) + 1
            ue[out] = min(d.ofs, me[out])
    return Tiles(m, u, me, ue)


def mapped_volume(tiles: Tiles, coupled: tuple[str, ...]) -> int:
    """The tensor's tile in one sub-cluster (product of its dimensions' full tiles; the output's
    ``Y``/``X`` in input coordinates — quirk: its L1 share holds a window, not the outputs)."""
    out = 1
    for dim in coupled:
        if dim in tiles.mapped:
            out = mul(out, tiles.mapped[dim], "tile volume")
    return out


# --- ingress ---------------------------------------------------------------------------------


def _pe_mapped_factor(tiles: Tiles, dim: str, st: State, edges: int, first: bool, spee: bool) -> int:
    if not st.edge:
        return tiles.m(dim)
    if edges == 1 and (first or spee):
        return tiles.me(dim)
    if edges > 1:
        return tiles.tile(dim, spee)
    return 1


def _pe_mapped(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case, first: bool, spee: bool) -> int:
    """A sub-cluster's full tile of a tensor in this case (edge tiles where the step is
    partial)."""
    out = 1
    for d in level.maps:
        if d.dim not in coupled:
            continue
        st = case.by_dim[d.dim]
        if d.spatial:
            factor = _pe_mapped_factor(tiles, d.dim, st, level.edge_clusters, first, spee)
        else:
            factor = tiles.tile(d.dim, st.edge)
        out = mul(out, factor, "tile volume")
    return out


def _moving(level: Level, case: Case) -> int:
    """Index of the innermost map not at its first step (-1 in the all-Init case)."""
    moving = -1
    for i, d in enumerate(level.maps):
        if case.by_dim[d.dim].position != INIT:
            moving = i
    return moving


def _restarts(level: Level, coupled: tuple[str, ...], case: Case, moving: int) -> bool:
    """A loop inside the moving one, that the tensor depends on and that iterates, has just
    restarted: the tensor is fetched whole again."""
    for i, d in enumerate(level.maps):
        st = case.by_dim[d.dim]
        if i > moving and st.position == INIT and d.dim in coupled and not st.unrolled:
            return True
    return False


def _temporal_ingress(tiles: Tiles, dim: str, st: State, new_slice: bool) -> int:
    if st.position == INIT:
        return tiles.tile(dim, st.edge)
    if new_slice:
        if tiles.u(dim) == 0:
            raise Stop(Status.REFUSED, f"no new elements when {dim} advances (MAESTRO terminates)")
        return max(tiles.u(dim), 1)
    return tiles.m(dim)  # quirk: a moving loop's Edge step is charged the full tile


def _spatial_ingress_factor(tiles: Tiles, dim: str, st: State, first: bool, spee: bool, share: bool) -> int:
    """``share``: this (non-first) sub-cluster only receives what its neighbour does not hold."""
    if first or not share:
        return tiles.tile(dim, spee)
    return tiles.ue(dim) if spee else tiles.u(dim)


def _pe_ingress(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case, first: bool, spee: bool) -> int:
    """What one sub-cluster receives of a tensor in this case (MAESTRO's GetPEIngressVolume)."""
    moving = _moving(level, case)
    if moving == -1:
        return _pe_mapped(level, tiles, coupled, case, first, spee)
    if level.maps[moving].dim not in coupled:
        return 0  # quirk: stationary across a loop it does not depend on
    restarts = _restarts(level, coupled, case, moving)
    out = 1
    for i, d in enumerate(level.maps):
        if d.dim not in coupled:
            continue
        st = case.by_dim[d.dim]
        if not d.spatial:
            factor = _temporal_ingress(tiles, d.dim, st, i == moving and not restarts)
        elif st.position == INIT:
            factor = _spatial_ingress_factor(tiles, d.dim, st, first, spee, i > moving)
        else:
            factor = _spatial_ingress_factor(tiles, d.dim, st, first, spee, i == moving and not restarts)
        out = mul(out, factor, "ingress volume")
    return out


def _spatial_state(level: Level, coupled: tuple[str, ...], case: Case) -> tuple[State | None, bool]:
    """The state of the tensor's (last) spatially mapped dimension, and whether any of its
    spatial dimensions is at a partial step; a dimension with no map at all is a null pointer
    in MAESTRO."""
    sp_state: State | None = None
    edge = False
    for dim in coupled:
        first = level.first(dim)
        if first is None:
            raise Stop(Status.CRASH, f"no map of {dim} in cluster level {level.index} (null pointer)")
        if first.spatial:
            sp_state = case.by_dim[dim]
            edge = edge or sp_state.edge
    return sp_state, edge


def _spread(level: Level, sp_state: State, pe: Callable[[bool, bool], int], first_full: bool) -> int:
    """Sum over the sub-clusters of a spatial edge step: the first, the full ones and the
    partial last one; ``pe(first, spee)`` is one sub-cluster's volume; ``first_full``: the full
    ones are costed as first sub-clusters (output mapping).  MAESTRO evaluates the full and the
    partial term whenever there is more than one edge sub-cluster, even when their count is 0."""
    edges = level.edge_clusters
    spee = sp_state.sp_edge_edge
    out = pe(True, True) if edges == 1 and spee else pe(True, False)
    if edges > 1:
        n_spee = 1 if spee else 0
        full = max(edges - n_spee - 1, 0)
        out = add(out, mul(full, pe(first_full, False), "volume"), "volume")
        out = add(out, mul(n_spee, pe(False, True), "volume"), "volume")
    return out


def _all_sub_clusters(level: Level, pe: Callable[[bool, bool], int]) -> int:
    """The first sub-cluster's volume plus the other ``size - 1``'s."""
    first = pe(True, False)
    return add(first, mul(level.size - 1, pe(False, False), "volume"), "volume")


def spatial_ingress(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case) -> int:
    """What all sub-clusters of ``level`` receive of an input tensor in ``case``."""
    sp_state, edge = _spatial_state(level, coupled, case)

    def pe(first: bool, spee: bool) -> int:
        return _pe_ingress(level, tiles, coupled, case, first, spee)

    if sp_state is None:
        return pe(True, False)
    if not edge:
        return _all_sub_clusters(level, pe)
    return _spread(level, sp_state, pe, first_full=False)


# --- egress and partial sums -------------------------------------------------------------------


def _psum_spatial(tiles: Tiles, dim: str, st: State, edges: int, first: bool, spee: bool) -> int:
    """A spatial reduction loop's factor in the partial sums of one sub-cluster."""
    u = tiles.u(dim) or 1
    if st.position == INIT and st.edge and spee:
        return tiles.me(dim)
    if st.position in (INIT, STEADY):
        return tiles.m(dim) if first else u
    if edges == 1 and (first or spee):
        return tiles.me(dim)
    if edges > 1:
        return tiles.ue(dim) if spee else (tiles.m(dim) if first else u)
    return 1


def _output_spatial(tiles: Tiles, dim: str, st: State, edges: int, flags: tuple[bool, bool, bool]) -> int:
    """A spatial output loop's factor in one sub-cluster's output tile."""
    first, spee, reuse_edge = flags
    actual = OUTPUT_OF.get(dim, dim)
    u = tiles.u(actual) or 1
    if st.position == INIT and st.edge and spee:
        if edges == 1:
            return tiles.me(actual)
        return tiles.ue(actual) if reuse_edge else tiles.me(actual)
    if st.position in (INIT, STEADY):
        return tiles.m(actual) if first else u
    if edges == 1 and (first or spee):
        return tiles.me(dim)  # quirk: the input coordinate's edge tile, not the output's
    if edges > 1:
        return tiles.ue(actual) if spee else (tiles.m(actual) if first else u)
    return 1


def _output_temporal(tiles: Tiles, dim: str, st: State) -> int:
    actual = OUTPUT_OF.get(dim, dim)
    if st.position == INIT:
        return tiles.tile(actual, st.edge)
    return tiles.m(actual) if st.position == STEADY else tiles.me(actual)


def _pe_egress(
    level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case, psums: bool, flags: tuple[bool, bool, bool]
) -> int:
    """One sub-cluster's output tile (``psums``: times its reduction tiles) in this case
    (MAESTRO's GetPEEgressVolume); ``flags`` = (first, sp_edge_edge, reuse at edge)."""
    first, spee, _ = flags
    out = 1
    if psums:
        for d in level.maps:
            if d.dim in coupled:
                continue
            st = case.by_dim[d.dim]
            if d.spatial:
                factor = _psum_spatial(tiles, d.dim, st, level.edge_clusters, first, spee)
            else:
                factor = tiles.tile(d.dim, st.edge)
            out = mul(out, factor, "partial sums")
    for dim in coupled:
        directive = level.first(dim)
        if directive is None:
            raise Stop(Status.CRASH, f"no map of {dim} in cluster level {level.index} (null pointer)")
        st = case.by_dim[dim]
        if directive.spatial:
            factor = _output_spatial(tiles, dim, st, level.edge_clusters, flags)
        else:
            factor = _output_temporal(tiles, dim, st)
        out = mul(out, factor, "output volume")
    return out


def spatial_egress(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case) -> int:
    """What all sub-clusters of ``level`` write of the output in ``case``."""
    sp_state, edge = _spatial_state(level, coupled, case)

    def pe(first: bool, spee: bool) -> int:
        return _pe_egress(level, tiles, coupled, case, False, (first, spee, True))

    if sp_state is None:
        return pe(True, False)
    if not edge:
        return _all_sub_clusters(level, pe)
    return _spread(level, sp_state, pe, first_full=False)


def critical_partial_sums(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case) -> int:
    """The partial sums of the first sub-cluster in ``case``: the step's critical path."""
    sp_state, edge = _spatial_state(level, coupled, case)
    spee = sp_state is not None and edge and level.edge_clusters == 1 and sp_state.sp_edge_edge
    return _pe_egress(level, tiles, coupled, case, True, (True, spee, True))


def output_mapping(level: Level, tiles: Tiles, coupled: tuple[str, ...], case: Case) -> int:
    """The partial sums of all sub-clusters in ``case`` (its MAC count).  Quirk: here a level
    with a spatial map on a reduction dimension counts as spatially mapped, the state being the
    level's last spatial map's, and the full sub-clusters of an edge step are costed as first
    ones."""
    sp_state, edge = _spatial_state(level, coupled, case)
    for d in level.maps:
        if d.spatial:
            sp_state = case.by_dim[d.dim]
            edge = edge or sp_state.edge

    def pe(first: bool, spee: bool) -> int:
        return _pe_egress(level, tiles, coupled, case, True, (first, spee, first or not spee))

    if sp_state is None or not edge:
        return mul(level.size, pe(True, False), "MACs")
    return _spread(level, sp_state, pe, first_full=True)


# --- the tile handed down ------------------------------------------------------------------------


def _sub_size(tiles: Tiles, spatial: bool, dim: str, st: State, edges: int, spee: bool) -> int:
    if not spatial:
        return tiles.tile(dim, st.edge)
    if st.position == STEADY or (st.position == INIT and not st.edge):
        return tiles.m(dim)
    return tiles.me(dim) if edges == 1 or spee else tiles.m(dim)


def sub_dims(level: Level, tiles: Tiles, case: Case, spee: bool) -> Dims:
    """The dimension table of one sub-cluster of ``level`` in ``case``: each mapped dimension's
    tile in this step (``spee``: the partial last sub-cluster of a spatial edge step), plus the
    output coordinates of its windows.  Strides carry over from the level's static table."""
    entries = []
    for d in level.maps:
        st = case.by_dim[d.dim]
        entries.append(
            (d.dim, _sub_size(tiles, d.spatial, d.dim, st, level.edge_clusters, spee), level.dims.stride(d.dim))
        )
    table = dims_of(entries, ())
    outputs = []
    overlaps = set()
    for d in level.maps:
        if d.dim in (INPUT_HEIGHT, INPUT_WIDTH):
            kernel = "R" if d.dim == INPUT_HEIGHT else "S"
            outputs.append((OUTPUT_OF[d.dim], table.size(d.dim) - table.size(kernel) + 1, 1))
        if level.dims.is_reference(d.dim):
            overlaps.add((d.dim, level.dims.counterpart(d.dim)))
    return dims_of(entries + outputs, tuple(sorted(overlaps)))
