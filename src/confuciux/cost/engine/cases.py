"""Pass 3: the iteration cases of a level and how often each occurs.

MAESTRO does not walk a level's loop nest.  For each map it distinguishes the positions a loop
can be in — the first step (*Init*), the full steps after it (*Steady*, n times) and a last
partial step (*Edge*) — and a *case* is one combination of positions over all maps of the level,
occurring as often as the product of its positions' counts.  The number of cases is at most
3^(number of maps) and independent of the sizes; the counts carry the sizes.

The positions depend on the level's maps, its number of sub-clusters and the tile this case of
the level above hands down (``dims``); never on the hardware flags.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dims import Dims
from .levels import Level
from .quirks import cdiv, i32
from .status import Status, Stop

__all__ = ["INIT", "STEADY", "EDGE", "MAX_CASES", "State", "Case", "map_states", "cases"]

INIT, STEADY, EDGE = 0, 1, 2
#: The most iteration cases one level analysis may have (the engine's limit, not MAESTRO's: a
#: level of many maps that all iterate has up to 3^maps cases, and MAESTRO builds a table of
#: every one in memory — beyond 2^31 its 32-bit case count overflows).  Above it: OVERFLOW.
MAX_CASES = 2**24


@dataclass(frozen=True)
class State:
    """One map's position in a case: ``position`` (INIT, STEADY, EDGE), ``count`` (steps in
    that position), ``unrolled`` (the first step covers the whole dimension), ``init_edge`` (the
    first step is already partial), ``sp_edge_edge`` (in a spatial edge step, the last active
    sub-cluster gets a partial tile)."""

    position: int
    count: int
    unrolled: bool = False
    init_edge: bool = False
    sp_edge_edge: bool = False

    @property
    def edge(self) -> bool:
        """The step is partial: the Edge position, or an Init that already overruns."""
        return self.position == EDGE or self.init_edge


@dataclass(frozen=True)
class Case:
    """One iteration case: ``states[i]`` is map i's state, ``occurrences`` how often the case
    happens, ``by_dim`` each dimension's state — a dimension mapped twice in a level takes the
    state of its last map (MAESTRO keys the states by dimension)."""

    states: tuple[State, ...]
    occurrences: int
    by_dim: dict[str, State]

    @property
    def all_init(self) -> bool:
        """Every dimension at its first step: the pipeline-fill case."""
        return all(s.position == INIT for s in self.by_dim.values())


def _temporal(extent: int, size: int, ofs: int) -> list[State]:
    states = [State(INIT, 1, unrolled=extent <= size, init_edge=extent < size)]
    steady = cdiv(extent - size, ofs, "offset")
    if size < extent and steady > 0:
        states.append(State(STEADY, steady))
    if not extent < size and steady * ofs + size < extent:
        states.append(State(EDGE, 1))
    return states


def _spatial(extent: int, size: int, ofs: int, n: int) -> list[State]:
    cover = i32(size + ofs * (n - 1), "spatial coverage")
    unrolled, init_edge = extent <= cover, extent < cover
    states = [State(INIT, 1, unrolled=unrolled, init_edge=init_edge, sp_edge_edge=init_edge)]
    step = i32(ofs * n, "spatial step")
    steady = cdiv(cdiv(extent - size, ofs, "offset") + 1, n, "sub-clusters") - 1
    has_edge = (
        not unrolled
        and i32((steady + 1) * step + cover, "spatial coverage") > extent
        and steady * step + cover != extent
    )
    if cover < extent and steady > 0:
        states.append(State(STEADY, steady))
    remaining = i32(extent - (steady + 1) * step, "spatial remainder")
    active = 1 if remaining < size else cdiv(remaining - size, ofs, "offset") + 1
    partial = (active - 1) * ofs + size < remaining
    if not init_edge and has_edge:
        states.append(State(EDGE, 1, sp_edge_edge=partial))
    return states


def map_states(level: Level, dims: Dims) -> list[list[State]]:
    """The possible states of each map of ``level`` over the tile ``dims``."""
    out = []
    for d in level.maps:
        extent = dims.size(d.dim)
        out.append(_spatial(extent, d.size, d.ofs, level.size) if d.spatial else _temporal(extent, d.size, d.ofs))
    return out


def cases(level: Level, dims: Dims) -> list[Case]:
    """Every case of ``level`` over ``dims``, in MAESTRO's order.

    Quirk (MAESTRO's ``ConstructIterationStatusTable``): a map's state index advances *after*
    case c is built whenever c is a multiple of the number of cases of the maps inside it, so the
    cases come as ``ceil(c / inner) mod n`` in each position — every combination once, all-Init
    first, but not in odometer order.  The order decides which case sizes the buffers and which
    sets the printed arithmetic intensity.  Case counts are 32-bit in MAESTRO."""
    per_map = map_states(level, dims)
    inner = [1] * len(per_map)
    for i in range(len(per_map) - 2, -1, -1):
        inner[i] = inner[i + 1] * len(per_map[i + 1])
    total = inner[0] * len(per_map[0]) if per_map else 1
    if total > MAX_CASES:
        raise Stop(Status.OVERFLOW, f"{total} iteration cases in cluster level {level.index} (more than {MAX_CASES})")
    out = []
    for c in range(total):
        states = tuple(states_[-(-c // inner[i]) % len(states_)] for i, states_ in enumerate(per_map))
        occ = 1
        for s in states:
            occ *= s.count
        by_dim = {d.dim: s for d, s in zip(level.maps, states, strict=True)}
        out.append(Case(states, i32(occ, "case occurrences"), by_dim))
    return out
