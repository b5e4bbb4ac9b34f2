"""A dataflow program as a value: MAESTRO's data-centric directives.

A program is a sequence of directives.  ``Spatial`` and ``Temporal`` maps place one dimension of
the layer over the PEs (spatial: each sub-cluster gets its own tile) or over time (temporal: every
sub-cluster sees the same tile, step after step); ``Cluster`` splits the PEs into groups and starts
the next, inner level, whose maps run inside each group.  Sizes and offsets are integers, ``Sz(D)``
(the layer's size of dimension D) or the name of a constant, bound when the program is costed.

:class:`Dataflow` is the validated program: every rule MAESTRO 4eb08d1 applies whatever the layer
(known dimensions, positive 32-bit sizes, filter tiles whole, one or two spatial maps a level, at
most four levels) holds for every value.  Parsing and printing MAESTRO text live in
:mod:`.text`, binding to a layer in :mod:`.bind`, the presets in :mod:`.presets`.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = [
    "Sz", "Size", "Map", "Spatial", "Temporal", "Cluster", "Directive", "Bound", "Level", "Dataflow",
    "DIMENSIONS", "MAX_DIRECTIVES", "MAX_LEVELS", "MAX_SPATIAL", "INT_MAX", "RESERVED", "describe",
]  # fmt: skip

#: Every dimension name a MAESTRO layer can have, so every name a map may use: batch ``N``,
#: groups ``G`` (NGCONV), filters ``K``, channels ``C``, the kernel ``R`` × ``S``, the input
#: ``Y`` × ``X``, the output ``Y'`` × ``X'`` and GEMM's ``M`` (with its ``N`` and ``K``).
#: MAESTRO's parser takes any word here; its analysis refuses one the layer lacks
#: ("Dimension Q not found"), so we refuse names outside this list when the program is built.
DIMENSIONS: tuple[str, ...] = ("N", "G", "K", "C", "R", "S", "Y", "X", "Y'", "X'", "M")
#: MAESTRO 4eb08d1 builds four NoCs, one per cluster level; a fifth level aborts
#: (``vector::at`` out of range in its cluster analysis).
MAX_LEVELS = 4
#: MAESTRO refuses a level without a spatial map ("No spatial map in a cluster") and one with
#: three or more ("Found too many spatial maps within a single cluster").
MAX_SPATIAL = 2
#: The most directives a program may have: MAESTRO reads any number, but real programs have a
#: few dozen (six maps a level, four levels), and a hostile file of a million costs seconds.
MAX_DIRECTIVES = 1000
#: MAESTRO reads every size into a C ``int``; larger literals wrap (see :mod:`.text`).
INT_MAX = 2**31 - 1
#: MAESTRO's filter dimensions: a temporal map of one must cover it whole (tile == offset ==
#: the layer's size), MAESTRO's "Invalid mapping" rule, checked while parsing.
FILTER_DIMS = ("R", "S")

#: Words that cannot be free (undeclared) constants: the dimensions and the language's keywords
#: (MAESTRO reads an undeclared word as 0, so such a word is almost surely a slip: ``TemporalMap(S,S)``
#: for ``Sz(S)``).  A constant the program declares may have any name: MAESTRO looks constants up first.
RESERVED = frozenset(DIMENSIONS) | {"SpatialMap", "TemporalMap", "Cluster", "P", "L", "Dataflow", "Constant"}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SZ = "Sz"  # MAESTRO's size indicator; as a name it could not be read back


@dataclass(frozen=True)
class Sz:
    """The layer's size of dimension ``dim`` (MAESTRO's ``Sz(R)``)."""

    dim: str

    def __post_init__(self) -> None:
        if self.dim not in DIMENSIONS:
            raise ValueError(f"Sz({self.dim!r}): unknown dimension; MAESTRO's are {', '.join(DIMENSIONS)}")

    def __repr__(self) -> str:
        return f"Sz({self.dim!r})"

    def __str__(self) -> str:
        return f"Sz({self.dim})"


#: A map's size or offset, or a cluster's size: an integer, ``Sz(D)`` or a named constant.
Size = int | Sz | str


def is_name(text: str) -> bool:
    """Whether ``text`` can name a constant: an identifier other than ``Sz``."""
    return bool(_NAME.match(text)) and text != _SZ


def check_size(value: object, what: str) -> Size:
    """``value`` as a :data:`Size` (NumPy integers become ``int``), or a TypeError/ValueError."""
    if isinstance(value, Sz):
        return value
    if isinstance(value, str):
        if not is_name(value):
            raise ValueError(f"{what}: {value!r} is not a constant's name (letters, digits, _; not 'Sz')")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, Sz(dim) or a constant's name, got {value!r}")
    v = int(value)
    if not 1 <= v <= INT_MAX:
        raise ValueError(f"{what} must be in 1..{INT_MAX} (MAESTRO reads sizes as 32-bit ints), got {v}")
    return v


def _text(value: Size) -> str:
    return str(value)


@dataclass(frozen=True)
class Map:
    """One map directive: ``kind`` spatial or temporal, of dimension ``dim`` (one of
    :data:`DIMENSIONS`, as MAESTRO names it), tile ``size`` and ``offset`` (the step from one
    tile to the next; equal to ``size`` when not given).  ``line`` is the source line it was
    read from (0 when built in Python); it takes no part in equality.

    A temporal map of ``R`` or ``S`` must step by its whole tile (``size == offset``): MAESTRO
    refuses anything else, so we do when both are known (:meth:`Dataflow.bind` checks the rest)."""

    kind: Literal["spatial", "temporal"]
    dim: str
    size: Size
    offset: Size
    line: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("spatial", "temporal"):
            raise ValueError(f"a map's kind is 'spatial' or 'temporal', got {self.kind!r}")
        if not isinstance(self.dim, str) or self.dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.dim!r}; MAESTRO's are {', '.join(DIMENSIONS)}")
        object.__setattr__(self, "size", check_size(self.size, f"{self.directive}: size"))
        object.__setattr__(self, "offset", check_size(self.offset, f"{self.directive}: offset"))
        known = all(isinstance(v, int) for v in (self.size, self.offset)) or self.size == self.offset
        if self.kind == "temporal" and self.dim in FILTER_DIMS and known and self.size != self.offset:
            raise ValueError(
                f"{self.text()}: a temporal map of {self.dim} must step by its whole tile "
                f"(size {self.size} == offset {self.offset}; MAESTRO's 'Invalid mapping')"
            )

    @property
    def directive(self) -> str:
        """MAESTRO's keyword: ``SpatialMap`` or ``TemporalMap``."""
        return "SpatialMap" if self.kind == "spatial" else "TemporalMap"

    def text(self) -> str:
        """The directive in MAESTRO syntax, e.g. ``TemporalMap(Sz(R),1) Y;``."""
        return f"{self.directive}({_text(self.size)},{_text(self.offset)}) {self.dim};"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Map):
            return NotImplemented
        return (self.kind, self.dim, self.size, self.offset) == (other.kind, other.dim, other.size, other.offset)

    def __hash__(self) -> int:
        return hash((self.kind, self.dim, self.size, self.offset))

    def __repr__(self) -> str:
        name = "Spatial" if self.kind == "spatial" else "Temporal"
        offset = "" if self.offset == self.size else f", {self.offset!r}"
        return f"{name}({self.dim!r}, {self.size!r}{offset})"


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", check_size(self.size, "Cluster: size"))
        if not isinstance(self.physical, bool):
            raise TypeError(f"Cluster: physical must be a bool (P: True, L: False), got {self.physical!r}")

    def text(self) -> str:
        """The directive in MAESTRO syntax, e.g. ``Cluster(64, P);``."""
        return f"Cluster({_text(self.size)}, {'P' if self.physical else 'L'});"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cluster):
            return NotImplemented
        return (self.size, self.physical) == (other.size, other.physical)

    def __hash__(self) -> int:
        return hash((self.size, self.physical))

    def __repr__(self) -> str:
        return f"Cluster({self.size!r}{'' if self.physical else ', physical=False'})"


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


class Level(NamedTuple):
    """One level of a program: the ``Cluster`` that opens it (None for the outermost level) and
    its maps, in order (outer loop first)."""

    cluster: Cluster | None
    maps: tuple[Map, ...]


def describe(d: Directive, index: int) -> str:
    """Where a directive is, for messages: its source line, else its position in the program."""
    where = f"line {d.line}" if d.line else f"directive {index + 1}"
    return f"{where} ({d.text().rstrip(';')})"


@dataclass(frozen=True, init=False, eq=False, repr=False)
class Dataflow:
    """A dataflow program: ``directives`` (maps and clusters, outer level first) and
    ``constants``, values for named sizes declared with the program (MAESTRO's ``Constant``
    lines; read-only).

    Built in Python — ``Dataflow([Spatial("K", 1), Temporal("C", 64), Cluster(64),
    Spatial("C", 1)])`` — read from MAESTRO text with :meth:`parse`, or taken from the presets
    with :meth:`preset`; ``str()`` gives the MAESTRO text.  Equality and hashing go by content
    (source lines take no part).  The rules MAESTRO applies whatever the layer are checked here
    (a ValueError naming the directive); the ones that need the layer when binding
    (:meth:`bind`).  :attr:`levels` holds the directives cut at each ``Cluster``."""

    directives: tuple[Directive, ...]
    constants: Mapping[str, int]
    levels: tuple[Level, ...]
    _named: tuple[frozenset[str], frozenset[str]]

    def __init__(self, directives: Iterable[Directive], constants: Mapping[str, int] | None = None) -> None:
        given: object = directives
        if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise TypeError(
                f"Dataflow takes a sequence of directives (Spatial, Temporal, Cluster), got {type(given).__name__}; "
                "for MAESTRO text use Dataflow.parse"
            )
        program = tuple(given)
        if len(program) > MAX_DIRECTIVES:
            raise ValueError(f"a program of {len(program)} directives: at most {MAX_DIRECTIVES} (MAX_DIRECTIVES)")
        for i, d in enumerate(program):
            if not isinstance(d, (Map, Cluster)):
                raise TypeError(f"directive {i + 1} is not a Map or a Cluster: {d!r}")
        object.__setattr__(self, "directives", program)
        object.__setattr__(self, "constants", _constants({} if constants is None else constants))
        object.__setattr__(self, "levels", _levels(program))
        object.__setattr__(self, "_named", _named(program))
        reserved = sorted(self.free_names & RESERVED)
        if reserved:
            raise ValueError(
                f"{reserved[0]!r} is used as a size but is a dimension or a keyword: declare it in constants "
                f"(or write Sz({reserved[0]}) for the layer's size)"
            )

    # -- construction from text and presets (defined in sibling modules) --------------------
    @classmethod
    def parse(cls, text: str, source: str = "<text>") -> Dataflow:
        """Read MAESTRO's directive syntax, exactly as MAESTRO 4eb08d1 reads a ``Dataflow``
        block: optional leading ``Constant name value;`` lines, then the directives, with or
        without the ``Dataflow { }`` wrapper.  What MAESTRO refuses is a ValueError naming
        ``source``, the line and the rule; see :func:`confuciux.dataflow.text.parse`."""
        from .text import parse

        return parse(text, source)

    @classmethod
    def preset(cls, name: str, grouped: bool = False) -> Dataflow:
        """A named dataflow: ConfuciuX's ``dla``, ``shi``, ``eye``, ``dpt`` and the families of
        MAESTRO's shipped mappings (:data:`confuciux.dataflow.presets.PRESETS`); ``grouped``
        gives a family's form for a grouped layer (groups stepped one at a time first)."""
        from .presets import preset

        return preset(name, grouped)

    # -- reading -------------------------------------------------------------------------------
    @property
    def maps(self) -> tuple[Map, ...]:
        """Every map, outer level first."""
        return tuple(d for d in self.directives if isinstance(d, Map))

    @property
    def dims(self) -> frozenset[str]:
        """The dimensions the program names: mapped, or read with ``Sz()``."""
        return self._named[0]

    @property
    def names(self) -> frozenset[str]:
        """The named constants the program uses."""
        return self._named[1]

    @property
    def free_names(self) -> frozenset[str]:
        """The named constants used but not given a value in :attr:`constants`: bound when the
        program is costed (``KTileSz``, ``ClusterSz``, ``CTileSz`` from the design)."""
        return self.names - set(self.constants)

    def inline(self, names: Iterable[str] | None = None) -> Dataflow:
        """The program with the named constants (by default all of :attr:`constants`) written as
        their values, and dropped from :attr:`constants`."""
        chosen = set(self.constants if names is None else names)
        values = {k: v for k, v in self.constants.items() if k in chosen}
        if not values:
            return self

        def sub(s: Size) -> Size:
            return values.get(s, s) if isinstance(s, str) else s

        directives = [
            Map(d.kind, d.dim, sub(d.size), sub(d.offset), d.line)
            if isinstance(d, Map)
            else Cluster(sub(d.size), d.physical, d.line)
            for d in self.directives
        ]
        return Dataflow(directives, {k: v for k, v in self.constants.items() if k not in values})

    def bind(
        self,
        layer: Any,
        *,
        pes: int | None = None,
        buffers: int | None = None,
        constants: Mapping[str, int] | None = None,
    ) -> tuple[Bound, ...]:
        """The program with every size an integer, for ``layer`` (a
        :class:`~confuciux.workload.Layer`, or MAESTRO dimension sizes as a mapping such as
        ``{"K": 64, "C": 3, "R": 3, "S": 3, "Y": 224, "X": 224}``).  Named sizes take their value
        from ``constants`` (given here, then the program's own :attr:`constants`), else
        ``KTileSz`` from ``buffers``, ``ClusterSz`` from ``pes`` and ``CTileSz`` is 1
        (ConfuciuX's convention); ``Sz(D)`` is the layer's size of D in MAESTRO's dimension
        table.  Checks the rules that need the layer (a ValueError naming the line and the
        rule); see :func:`confuciux.dataflow.bind.bind`."""
        from .bind import bind

        return bind(self, layer, pes=pes, buffers=buffers, constants=constants)

    def __str__(self) -> str:
        from .text import format_dataflow

        return format_dataflow(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataflow):
            return NotImplemented
        return self.directives == other.directives and dict(self.constants) == dict(other.constants)

    def __hash__(self) -> int:
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:  # a program is immutable: hash it once (binding looks it up per design)
            cached = hash((self.directives, tuple(sorted(self.constants.items()))))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hash", None)  # str hashes differ between processes
        return state

    def __repr__(self) -> str:
        constants = f", constants={dict(self.constants)!r}" if self.constants else ""
        return f"Dataflow([{', '.join(repr(d) for d in self.directives)}]{constants})"

    def __len__(self) -> int:
        return len(self.directives)

    def __iter__(self) -> Iterator[Directive]:
        return iter(self.directives)


def _named(directives: tuple[Directive, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(dimensions named, constants named) by a program."""
    dims: set[str] = set()
    names: set[str] = set()
    for d in directives:
        sizes = (d.size, d.offset) if isinstance(d, Map) else (d.size,)
        if isinstance(d, Map):
            dims.add(d.dim)
        for s in sizes:
            if isinstance(s, Sz):
                dims.add(s.dim)
            elif isinstance(s, str):
                names.add(s)
    return frozenset(dims), frozenset(names)


def _constants(given: object) -> dict[str, int]:
    if not isinstance(given, Mapping):
        raise TypeError(f"Dataflow.constants must be a mapping of name to int, got {type(given).__name__}")
    out: dict[str, int] = {}
    for name, value in sorted(given.items()):
        if not isinstance(name, str) or not is_name(name):
            raise ValueError(f"Dataflow.constants: {name!r} is not a constant's name (letters, digits, _; not 'Sz')")
        v = check_size(value, f"Dataflow.constants[{name!r}]")
        if not isinstance(v, int):
            raise TypeError(f"Dataflow.constants[{name!r}] must be an int, got {value!r}")
        out[name] = v
    return out


def _levels(directives: tuple[Directive, ...]) -> tuple[Level, ...]:
    """The directives cut at each Cluster, with MAESTRO's layer-independent rules checked."""
    levels: list[Level] = []
    starts: list[int] = []  # index of the directive that opens each level
    opener: Cluster | None = None
    maps: list[Map] = []
    for i, d in enumerate((*directives, None)):
        if isinstance(d, Map):
            maps.append(d)
            continue
        levels.append(Level(opener, tuple(maps)))
        starts.append(i - len(maps) - (opener is not None))
        if d is not None:
            opener, maps = d, []
    if len(levels) > MAX_LEVELS:
        k = starts[MAX_LEVELS]
        raise ValueError(
            f"{describe(directives[k], k)}: opens level {MAX_LEVELS + 1}; MAESTRO analyses at most "
            f"{MAX_LEVELS} levels (one NoC a level)"
        )
    for n, (level, k) in enumerate(zip(levels, starts, strict=True)):
        spatial = sum(m.kind == "spatial" for m in level.maps)
        if 1 <= spatial <= MAX_SPATIAL:
            continue
        where = describe(directives[k], k) if k < len(directives) else "the end of the program"
        problem = "no SpatialMap" if not spatial else f"{spatial} SpatialMaps"
        raise ValueError(
            f"level {n + 1} (from {where}) has {problem}: MAESTRO needs one or two a level "
            "(a Cluster opens a level)"
        )
    return tuple(levels)
