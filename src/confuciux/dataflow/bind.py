"""Binding a program to a layer: every size an integer, MAESTRO's layer rules checked.

Two steps, so that costing many designs stays cheap: :func:`compile` resolves everything the
layer and the constants fix (``Sz(D)``, declared constants) into a :class:`Template` and checks
MAESTRO's rules that need the layer; :meth:`Template.bind` (one design) and
:meth:`Template.arrays` (many designs, as int64 arrays for a batched engine) fill in the two
design knobs, ``ClusterSz`` ← PEs and ``KTileSz`` ← buffers.

Where a named size takes its value, first found first: the ``constants`` given to bind, the
program's own :attr:`~confuciux.dataflow.program.Dataflow.constants`, then the design —
``KTileSz`` ← ``buffers``, ``ClusterSz`` ← ``pes`` — and ``CTileSz`` = 1 (ConfuciuX's
convention).  Any other name without a value is a ValueError naming it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .dimensions import analysed_dims, maestro_layer
from .program import DIMENSIONS, FILTER_DIMS, INT_MAX, Bound, Cluster, Dataflow, Directive, Map, Size, Sz, describe

__all__ = ["KNOBS", "DEFAULTS", "Template", "compile", "bind", "check_layer"]

#: The design knobs: the name each takes its value from (``pes`` or ``buffers``).
KNOBS: dict[str, str] = {"ClusterSz": "pes", "KTileSz": "buffers"}
#: Values of names nothing else gives one (ConfuciuX writes ``CTileSz`` = 1).
DEFAULTS: dict[str, int] = {"CTileSz": 1}
_FIXED, _PES, _BUFFERS = 0, 1, 2
_KNOB_CODE = {"pes": _PES, "buffers": _BUFFERS}


@dataclass(frozen=True)
class Template:
    """A program bound to one layer and its constants, the design knobs still open.

    Per directive: ``kinds`` (``spatial``/``temporal``/``cluster``), ``dims`` (``""`` for a
    cluster), ``physical``, ``lines``; ``size``/``offset`` the fixed values (0 where a knob
    goes, and for a cluster's offset); ``size_knob``/``offset_knob`` which knob fills a slot
    (0 none, 1 ``pes``, 2 ``buffers``); ``whole`` the layer's size a temporal R/S map must
    equal (0 for other directives).  :attr:`table` gives the same as int64 arrays."""

    kinds: tuple[str, ...]
    dims: tuple[str, ...]
    physical: tuple[bool, ...]
    lines: tuple[int, ...]
    size: tuple[int, ...]
    offset: tuple[int, ...]
    size_knob: tuple[int, ...]
    offset_knob: tuple[int, ...]
    whole: tuple[int, ...]

    @cached_property
    def knobs(self) -> frozenset[str]:
        """The design knobs (``pes``, ``buffers``) this program needs."""
        codes = set(self.size_knob) | set(self.offset_knob)
        return frozenset(k for k, c in _KNOB_CODE.items() if c in codes)

    @cached_property
    def table(self) -> dict[str, np.ndarray]:
        """``size``, ``offset``, ``size_knob``, ``offset_knob``, ``whole`` as read-only int64
        arrays of one entry a directive (for a batched engine)."""
        out = {}
        for key in ("size", "offset", "size_knob", "offset_knob", "whole"):
            arr = np.array(getattr(self, key), dtype=np.int64)
            arr.flags.writeable = False
            out[key] = arr
        return out

    @cached_property
    def _fixed(self) -> tuple[tuple[Bound, ...], tuple[int, ...]]:
        """The bound directives with the knob slots still 0, and the indices of those."""
        bound = tuple(
            Bound(k, self.dims[i], self.size[i], self.offset[i], self.physical[i], self.lines[i])
            for i, k in enumerate(self.kinds)
        )
        return bound, tuple(i for i in range(len(bound)) if self.size_knob[i] or self.offset_knob[i])

    def bind(self, pes: int | None = None, buffers: int | None = None) -> tuple[Bound, ...]:
        """The bound program for one design (``pes`` PEs, ``buffers`` as KTileSz)."""
        knobs = self.knobs
        values = (0, _knob(pes, "pes", "pes" in knobs), _knob(buffers, "buffers", "buffers" in knobs))
        bound, open_slots = self._fixed
        if not open_slots:
            return bound
        out = list(bound)
        for i in open_slots:
            sk, ok = self.size_knob[i], self.offset_knob[i]
            size = values[sk] if sk else self.size[i]
            offset = values[ok] if ok else self.offset[i]
            whole = self.whole[i]
            if whole and not size == offset == whole:
                raise ValueError(_filter_message(self, i, size, offset, whole))
            out[i] = bound[i]._replace(size=size, offset=offset)
        return tuple(out)

    def arrays(self, pes: Any = None, buffers: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(size, offset, ok)`` for many designs at once: ``pes`` and ``buffers`` broadcast to
        one shape ``d`` (e.g. ``(n_designs,)``); ``size``/``offset`` int64 of shape
        ``d + (n_directives,)``; ``ok`` bool of shape ``d``, False where a knob's value breaks
        MAESTRO's rule that a temporal R/S map covers the filter whole (MAESTRO refuses those
        designs)."""
        t = self.table
        p = _knob_array(pes, "pes", "pes" in self.knobs)
        b = _knob_array(buffers, "buffers", "buffers" in self.knobs)
        p, b = np.broadcast_arrays(p, b)
        size = np.broadcast_to(t["size"], (*p.shape, len(self.kinds))).copy()
        offset = np.broadcast_to(t["offset"], size.shape).copy()
        for code, values in ((_PES, p), (_BUFFERS, b)):
            for arr, knob in ((size, t["size_knob"]), (offset, t["offset_knob"])):
                cols = np.flatnonzero(knob == code)
                if cols.size:
                    arr[..., cols] = values[..., None]
        rows = np.flatnonzero(t["whole"])
        w = t["whole"][rows]
        ok = np.all((size[..., rows] == w) & (offset[..., rows] == w), axis=-1)
        return size, offset, ok


def _knob(value: object, name: str, needed: bool) -> int:
    if value is None:
        if needed:
            free = next(k for k, v in KNOBS.items() if v == name)
            raise ValueError(f"the program uses {free}, set by {name}=: pass {name}= (or constants=)")
        return 0
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    v = int(value)
    if not 1 <= v <= INT_MAX:
        raise ValueError(f"{name} must be in 1..{INT_MAX}, got {v}")
    return v


def _knob_array(value: Any, name: str, needed: bool) -> np.ndarray:
    if value is None:
        _knob(None, name, needed)
        return np.zeros((), dtype=np.int64)
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be integers, got {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 1 or arr.max() > INT_MAX):
        raise ValueError(f"{name} must be in 1..{INT_MAX}")
    return arr


def _filter_message(t: Template, i: int, size: int, offset: int, whole: int) -> str:
    where = f"line {t.lines[i]}" if t.lines[i] else f"directive {i + 1}"
    return (
        f"{where}: TemporalMap({size},{offset}) {t.dims[i]}: a temporal map of {t.dims[i]} covers the filter whole "
        f"(tile == offset == the layer's {t.dims[i]} = {whole}; MAESTRO's 'Invalid mapping')"
    )


def _layer_dims(layer: Any, program: Dataflow) -> tuple[str, dict[str, int]]:
    """(type, Dimensions) of a Layer as MAESTRO is given it, or of a mapping of sizes."""
    if isinstance(layer, Mapping):
        dims: dict[str, int] = {}
        for k, v in layer.items():
            if k not in DIMENSIONS:
                raise ValueError(f"unknown dimension {k!r} in the layer; MAESTRO's are {', '.join(DIMENSIONS)}")
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 1 <= int(v) <= INT_MAX:
                raise ValueError(f"the layer's {k} must be an int in 1..{INT_MAX}, got {v!r}")
            dims[k] = int(v)
        return ("GEMM" if "M" in dims else "CONV"), dims
    if not all(hasattr(layer, a) for a in ("K", "C", "Y", "X", "R", "S", "kind", "batch", "groups")):
        raise TypeError(f"bind takes a Layer or a mapping of MAESTRO dimension sizes, got {type(layer).__name__}")
    return maestro_layer(layer, program)


def compile(  # noqa: A001 (the compiled form of a program, as re.compile)
    program: Dataflow, layer: Any, constants: Mapping[str, int] | None = None, *, free: bool = False
) -> Template:
    """The :class:`Template` of ``program`` on ``layer`` (a Layer or MAESTRO dimension sizes)
    with ``constants`` (over the program's own); checks the layer's rules, a ValueError naming
    the line and the rule.  A name without a value is a ValueError too, unless ``free``: then
    its slots hold 0 (for checking a program whose names are bound later)."""
    if not isinstance(program, Dataflow):
        raise TypeError(f"expected a Dataflow, got {type(program).__name__}")
    kind, dims = _layer_dims(layer, program)
    given = tuple(sorted(_given(constants).items()))
    lines = tuple(d.line for d in program.directives)  # equal programs from other lines: their own messages
    return _compile(program, lines, kind, tuple(dims.items()), given, free)


@lru_cache(maxsize=4096)
def _compile(
    program: Dataflow,
    source_lines: tuple[int, ...],
    kind: str,
    dim_items: tuple[tuple[str, int], ...],
    given: tuple[tuple[str, int], ...],
    free: bool,
) -> Template:
    """:func:`compile` on hashable arguments, cached: the engine binds one program per layer
    for design after design."""
    dims = dict(dim_items)
    found = analysed_dims(kind, dims)
    values = {**program.constants, **dict(given)}
    n = len(program.directives)
    size, offset, size_knob, offset_knob, whole = ([0] * n for _ in range(5))
    kinds, names, physical, lines = [], [], [], []
    for i, d in enumerate(program.directives):
        where = _Where(d, i)
        if isinstance(d, Cluster):
            size[i], size_knob[i] = _resolve(d.size, dims, values, where, free)
            kinds.append("cluster")
            names.append("")
            physical.append(d.physical)
            lines.append(d.line)
            continue
        size[i], size_knob[i] = _resolve(d.size, dims, values, where, free)
        offset[i], offset_knob[i] = _resolve(d.offset, dims, values, where, free)
        if d.kind == "temporal" and d.dim in FILTER_DIMS and d.dim in dims:
            whole[i] = dims[d.dim]
            fixed = [v for v, k in ((size[i], size_knob[i]), (offset[i], offset_knob[i])) if not k and v]
            if any(v != whole[i] for v in fixed):
                raise ValueError(
                    f"{where}: a temporal map of {d.dim} covers the filter whole: tile and offset must equal the "
                    f"layer's {d.dim} ({whole[i]}) (MAESTRO's 'Invalid mapping')"
                )
        kinds.append(d.kind)
        names.append(d.dim)
        physical.append(True)
        lines.append(d.line)
    # after the rules MAESTRO's parser applies, the one its analysis does
    for i, d in enumerate(program.directives):
        if isinstance(d, Map) and d.dim not in found:
            raise ValueError(
                f"{_Where(d, i)}: this {kind} layer has no dimension {d.dim} (MAESTRO: 'Dimension {d.dim} not "
                f"found'); it has {', '.join(sorted(found))}"
            )
    return Template(
        tuple(kinds), tuple(names), tuple(physical), tuple(lines),
        tuple(size), tuple(offset), tuple(size_knob), tuple(offset_knob), tuple(whole),
    )  # fmt: skip


class _Where:
    """A directive's place for messages, formatted only when a message is made."""

    def __init__(self, d: Directive, i: int) -> None:
        self.d, self.i = d, i

    def __str__(self) -> str:
        return describe(self.d, self.i)


def _given(constants: Mapping[str, int] | None) -> dict[str, int]:
    if constants is None:
        return {}
    if not isinstance(constants, Mapping):
        raise TypeError(f"constants must be a mapping of name to int, got {type(constants).__name__}")
    out = {}
    for k, v in constants.items():
        if not isinstance(k, str) or v is None:
            raise TypeError(f"constants: expected name -> int, got {k!r}: {v!r}")
        out[k] = _knob(v, f"constants[{k!r}]", False)
    return out


def _resolve(
    size: Size, dims: Mapping[str, int], values: Mapping[str, int], where: _Where, free: bool
) -> tuple[int, int]:
    """(value, knob code) of one size (value 0 for an unbound name when ``free``)."""
    if isinstance(size, int):
        return size, _FIXED
    if isinstance(size, Sz):
        if size.dim not in dims:
            raise ValueError(
                f"{where}: Sz({size.dim}): the layer has no dimension {size.dim} "
                f"(MAESTRO: 'Cannot find the dimension'); its dimensions are {', '.join(dims)}"
            )
        return dims[size.dim], _FIXED
    if size in values:
        return values[size], _FIXED
    if size in KNOBS:
        return 0, _KNOB_CODE[KNOBS[size]]
    if size in DEFAULTS:
        return DEFAULTS[size], _FIXED
    if free:
        return 0, _FIXED
    raise ValueError(
        f"{where}: the constant {size} has no value: give it in constants= (or a Constant line); "
        f"the design gives only {', '.join(KNOBS)} (and {', '.join(DEFAULTS)} = 1)"
    )


def bind(
    program: Dataflow,
    layer: Any,
    *,
    pes: int | None = None,
    buffers: int | None = None,
    constants: Mapping[str, int] | None = None,
) -> tuple[Bound, ...]:
    """``program`` bound to ``layer`` for one design: :func:`compile` then
    :meth:`Template.bind`."""
    return compile(program, layer, constants).bind(pes, buffers)


def check_layer(program: Dataflow, layer: Any, constants: Mapping[str, int] | None = None) -> None:
    """MAESTRO's rules that need the layer, with names still free (a model file's loader checks
    each layer's program this way): a ValueError naming the line and the rule."""
    compile(program, layer, constants, free=True)

