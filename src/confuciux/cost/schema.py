"""The cost model's outputs and statuses: names, order, units and copies, in one place.

:data:`OUTPUTS` lists what the kernel computes, in the order of its enum; the C enums
``cx_output`` and ``cx_status`` are generated from this module when the kernel is built
(csrc/build.py), and the NumPy reference, :func:`~confuciux.evaluate`,
:class:`~confuciux.LayerCosts`, :func:`~confuciux.evaluate_layer`, result files and messages
take names, order and units from here.

Every output is a float64 per point; counts (cycles, bytes, MACs, accesses) are whole numbers,
exact below 2**53.  Besides them every evaluation gives ``status`` (uint8, :data:`STATUS`) and
``valid`` (bool, ``status == 0``).  Points that are not valid hold NaN in every output.

Derived outputs (:func:`register`) are computed in Python from kernel outputs after each
evaluation: adding one is a single :class:`Output` with its ``derive`` function, no C code.

This module imports nothing but the standard library: the kernel's build reads it before the
package (or NumPy) can be imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Output",
    "OUTPUTS",
    "NAMES",
    "INDEX",
    "MAIN",
    "ACCESSES",
    "EXTRA",
    "DISTINCT",
    "SAME_AS",
    "COUNTS",
    "RENAMED",
    "renamed",
    "Status",
    "STATUSES",
    "STATUS",
    "OK",
    "INVALID",
    "OVERFLOW",
    "BAD_INPUT",
    "UNSUPPORTED",
    "DTYPE",
    "STATUS_DTYPE",
    "DERIVED",
    "register",
    "unregister",
    "output",
    "unit",
    "column",
    "select",
]

#: A function of outputs by name (arrays of one shape) to an array of that shape.
Formula = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Output:
    """One output of the cost model.

    ``same_as`` names the output it equals by construction (the L1 counters of the model are
    copies of the MAC count or of an L2 read count); the kernel writes such an output only when
    asked for it separately, and :class:`~confuciux.LayerCosts` shares the memory of the two.
    ``count``: whole numbers (cycles, bytes, MACs, accesses) rather than a float quantity.
    ``group``: ``"main"`` — an attribute of :class:`~confuciux.LayerCosts` and
    :class:`~confuciux.PointCost`, stored in result files and per-layer tables (a change of the
    public API: those classes list them); ``"access"`` — an access counter
    (``LayerCosts.accesses``); ``"extra"`` — any other output (``costs[name]`` and
    ``costs.<name>``; :func:`~confuciux.evaluate` only).  The table lists main outputs first,
    then access counters, then extra ones.
    ``derive``: for a derived output, how it is computed per point from the outputs it
    ``needs`` (NumPy arrays in and out); None for the kernel's outputs.  ``total``: how a whole
    layer-pipelined design's value follows from the totals of ``needs`` (MACs per cycle is
    Σmacs / Σruntime); None: the sum over layers."""

    name: str
    unit: str
    description: str
    same_as: str | None = None
    count: bool = True
    group: Literal["main", "access", "extra"] = "extra"
    needs: tuple[str, ...] = ()
    derive: Formula | None = None
    total: Formula | None = None


def _macs_per_cycle(v: Mapping[str, Any]) -> Any:
    return v["macs"] / v["runtime"]


#: The kernel's outputs, in the kernel's order (``enum cx_output``, generated from this table).
OUTPUTS: tuple[Output, ...] = (
    Output("runtime", "cycles", "cycles to run the layer", group="main"),
    Output("energy", "nJ", "energy of the layer's accesses (and MACs, unless maestro_energy)", count=False,
           group="main"),  # fmt: skip
    Output("area", "µm²", "area of the layer's sub-accelerator", count=False, group="main"),
    Output("power", "mW", "power of the layer's sub-accelerator", count=False, group="main"),
    Output("l1_bytes", "bytes", "L1 buffer needed per PE", group="main"),
    Output("l2_bytes", "bytes", "shared L2 buffer needed", group="main"),
    Output("macs", "MACs", "multiply-accumulates as the cost model counts them", group="main"),
    Output("macs_per_cycle", "MACs/cycle", "macs / runtime (MAESTRO's throughput; higher is better)", count=False,
           group="main", needs=("macs", "runtime"), total=_macs_per_cycle),  # fmt: skip
    Output("input_l1_read", "elements", "input reads from L1", same_as="macs", group="access"),
    Output("input_l1_write", "elements", "input writes to L1", same_as="input_l2_read", group="access"),
    Output("input_l2_read", "elements", "input reads from L2", group="access"),
    Output("input_l2_write", "elements", "input writes to L2 (one fill)", group="access"),
    Output("filter_l1_read", "elements", "filter reads from L1", same_as="macs", group="access"),
    Output("filter_l1_write", "elements", "filter writes to L1", same_as="filter_l2_read", group="access"),
    Output("filter_l2_read", "elements", "filter reads from L2", group="access"),
    Output("filter_l2_write", "elements", "filter writes to L2 (one fill)", group="access"),
    Output("output_l1_read", "elements", "partial-sum reads from L1", same_as="output_l1_write", group="access"),
    # = macs, except for strided layers: MAESTRO counts their edge steps here with their
    # (negative) output extents
    Output("output_l1_write", "elements", "partial-sum writes to L1", group="access"),
    Output("output_l2_read", "elements", "output reads from L2 (one drain)", group="access"),
    Output("output_l2_write", "elements", "output writes to L2", group="access"),
)

NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
#: Outputs that are attributes of LayerCosts / PointCost, in order.
MAIN: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.group == "main")
#: Access counters (``LayerCosts.accesses``), per tensor and buffer level, in order.
ACCESSES: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.group == "access")
#: The kernel's other outputs (``costs[name]``), in order.
EXTRA: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.group == "extra")
if NAMES != MAIN + ACCESSES + EXTRA:
    raise ImportError("schema.OUTPUTS must list main outputs, then access counters, then extra outputs")
#: Outputs the kernel computes in their own right (the others are copies of these).
DISTINCT: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.same_as is None)
SAME_AS: dict[str, str] = {o.name: o.same_as for o in OUTPUTS if o.same_as is not None}
#: Outputs that are whole numbers.
COUNTS: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.count)
#: Former output names (old name → current name), accepted with a FutureWarning for one release.
RENAMED: dict[str, str] = {"throughput": "macs_per_cycle"}


@dataclass(frozen=True)
class Status:
    """One status value of a point: ``code`` (the kernel's ``CX_<name>``), ``meaning`` (short, for
    messages and :data:`STATUS`) and ``description`` (when the kernel gives it)."""

    code: int
    name: str
    meaning: str
    description: str


#: Every status, by code (``enum cx_status``, generated from this table).
STATUSES: tuple[Status, ...] = (
    Status(0, "OK", "ok", "costed"),
    Status(1, "INVALID", "invalid configuration", "a configuration MAESTRO cannot cost (it prints runtime 0)"),
    Status(2, "OVERFLOW", "overflow",
           "some integer quantity does not fit in 64 bits, or a float result is not finite"),  # fmt: skip
    Status(3, "BAD_INPUT", "bad input", "not a layer: a size < 1, Y < R or X < S, groups not dividing K and C "
           "or on a depthwise layer, P < 1 or k < 1"),  # fmt: skip
    Status(4, "UNSUPPORTED", "not supported", "not costed yet: a corner regime of a strided CONV layer on shi or "
           "eye (docs/cost-model.md)"),  # fmt: skip
)

_CODES = {s.name: s.code for s in STATUSES}
OK: int = _CODES["OK"]
INVALID: int = _CODES["INVALID"]
OVERFLOW: int = _CODES["OVERFLOW"]
BAD_INPUT: int = _CODES["BAD_INPUT"]
UNSUPPORTED: int = _CODES["UNSUPPORTED"]
#: Meaning of each status value.
STATUS: dict[int, str] = {s.code: s.meaning for s in STATUSES}

#: NumPy dtypes of the outputs and of ``status`` (names: NumPy accepts them wherever a dtype goes).
DTYPE = "float64"
STATUS_DTYPE = "uint8"

#: Names an output cannot take (LayerCosts' other attributes).
_RESERVED = frozenset({"valid", "status", "accesses", "computed", "shape", "total"})
#: Derived outputs by name (:func:`register`), computed after the kernel's.
DERIVED: dict[str, Output] = {}


def register(out: Output) -> None:
    """Add a derived output: ``out.derive`` computes it from ``out.needs`` (outputs of the kernel
    or derived outputs registered before), per point.  :func:`~confuciux.evaluate` then gives it
    (by default, and when asked for in ``outputs=``) as ``costs[name]`` and ``costs.<name>``."""
    if not isinstance(out, Output) or out.derive is None:
        raise TypeError("a derived output is an Output with a derive function")
    taken = out.name in INDEX or out.name in DERIVED or out.name in RENAMED or out.name in _RESERVED
    if not out.name.isidentifier() or out.name.startswith("_") or taken:
        raise ValueError(f"output name {out.name!r} is taken or not an identifier")
    missing = [n for n in out.needs if n not in INDEX and n not in DERIVED]
    if not out.needs or missing:
        raise ValueError(f"derived output {out.name!r} needs known outputs, got {list(out.needs)}")
    DERIVED[out.name] = out


def unregister(name: str) -> None:
    """Remove the derived output ``name`` (KeyError if there is none)."""
    users = [o.name for o in DERIVED.values() if name in o.needs]
    if users:
        raise ValueError(f"derived outputs {users} need {name!r}")
    del DERIVED[name]


def output(name: str) -> Output:
    """The :class:`Output` called ``name`` (kernel or derived); ValueError naming the known ones."""
    if name in INDEX:
        return OUTPUTS[INDEX[name]]
    if name in DERIVED:
        return DERIVED[name]
    raise ValueError(f"unknown output {name!r}; expected one of {[*NAMES, *DERIVED]}")


#: Units of the design quantities that are not outputs (budgets on PEs, axes of plots).
_QUANTITY_UNITS = {"pes": "PEs"}


def unit(name: str) -> str:
    """The unit of an output or of a design quantity (``"pes"``); "" for anything else."""
    if name in INDEX or name in DERIVED:
        return output(name).unit
    return _QUANTITY_UNITS.get(name, "")


def column(name: str) -> str:
    """A table column (CSV header) for an output: its name with its unit in ASCII unless the
    name already says it (``runtime_cycles``, ``energy_nJ``, ``area_um2``, ``l1_bytes``)."""
    plain = unit(name).replace("µm²", "um2").replace("/", "_per_")
    return name if not plain or plain.lower() in name.lower() else f"{name}_{plain}"


def renamed(name: str, stacklevel: int = 4) -> str:
    """``name``, or its current name if it is a former one (:data:`RENAMED`), with a FutureWarning
    (``stacklevel`` 4: at the caller of the function that calls this one)."""
    new = RENAMED.get(name) if isinstance(name, str) else None
    if new is None:
        return name
    from .._deprecation import deprecated  # (not at the top: csrc/build.py runs this module on its own)

    deprecated(f"the output {name!r}", repr(new), user=True, stacklevel=stacklevel)
    return new


def select(outputs: Iterable[str] | None) -> tuple[str, ...]:
    """The outputs asked for, checked and in order: the kernel's in schema order, then derived ones
    in registration order (all of them for None)."""
    if outputs is None:
        return (*NAMES, *DERIVED)
    if isinstance(outputs, str):
        outputs = (outputs,)
    try:
        asked = set()
        for name in outputs:
            asked.add(renamed(name, stacklevel=5))  # the caller of evaluate(outputs=...)
    except TypeError:
        raise TypeError(f"outputs must be a sequence of output names, got {outputs!r}") from None
    unknown = [name for name in asked if not isinstance(name, str) or (name not in INDEX and name not in DERIVED)]
    if unknown:
        raise ValueError(f"unknown outputs {sorted(map(repr, unknown))}; expected names from {[*NAMES, *DERIVED]}")
    return tuple(name for name in (*NAMES, *DERIVED) if name in asked)
