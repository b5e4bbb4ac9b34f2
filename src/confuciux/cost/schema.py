"""The cost model's outputs and statuses: names, order, units and copies, in one place.

:data:`OUTPUTS` lists what the kernel computes, in the order of its enum; the C enums
``cx_output`` and ``cx_status`` are generated from this module when the kernel is built
(csrc/build.py), and the NumPy reference, :func:`~confuciux.evaluate`,
:class:`~confuciux.LayerCosts`, :func:`~confuciux.evaluate_layer`, result files and messages
take names, order and units from here.

Every output is a float64 per point; counts (cycles, bytes, MACs, accesses) are whole numbers,
exact below 2**53.  Besides them every evaluation gives ``status`` (uint8, :data:`STATUSES`),
``valid`` (bool: MAESTRO prints this result, status :data:`OK` or :data:`IMPOSSIBLE`) and
``physical`` (status :data:`OK` only: printed and within every physical bound).  Points that are
not valid hold NaN in every output.

The closed forms of the four ConfuciuX presets (the C kernel) compute the outputs marked
``closed_form``, a prefix of :data:`OUTPUTS` (:data:`CLOSED_FORM`); the general engine
(:mod:`confuciux.cost.engine`) computes every output, each under its ``engine`` name.

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
    "CLOSED_FORM",
    "DEFAULT",
    "ENGINE_NAME",
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
    "IMPOSSIBLE",
    "SIGFPE",
    "CRASH",
    "REFUSED",
    "UNDEFINED",
    "PRINTED",
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
    Σmacs / Σruntime); None: the sum over layers.
    ``closed_form``: the closed forms of the presets compute it (the C kernel's outputs);
    otherwise only the general engine does, and asking a preset for it routes the preset to the
    engine.  ``engine``: the engine's name for it (:data:`confuciux.cost.engine.INT_OUTPUTS`,
    ``FLOAT_OUTPUTS``), when not the same."""

    name: str
    unit: str
    description: str
    same_as: str | None = None
    count: bool = True
    group: Literal["main", "access", "extra"] = "extra"
    needs: tuple[str, ...] = ()
    derive: Formula | None = None
    total: Formula | None = None
    closed_form: bool = True
    engine: str | None = None


def _macs_per_cycle(v: Mapping[str, Any]) -> Any:
    return v["macs"] / v["runtime"]


def _ratio(a: str, b: str) -> Formula:
    """A design's value of a per-layer ratio: the ratio of the summed counters."""
    return lambda v: v[a] / v[b]


def _engine_only(name: str, unit: str, description: str, count: bool = True, **more: Any) -> Output:
    """An output only the general engine computes (group ``extra``)."""
    return Output(name, unit, description, count=count, group="extra", closed_form=False, **more)


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
           group="main", needs=("macs", "runtime"), total=_macs_per_cycle, engine="throughput"),  # fmt: skip
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
    # what only the general engine computes (MAESTRO's further columns); a design's value: the sum
    # over its layers (each has its own sub-accelerator and NoC), a factor the ratio of the sums
    _engine_only("noc_bw", "elements/cycle", "NoC bandwidth the layer needs (MAESTRO's 'NoC BW Req', the peak "
                 "over its steps)"),  # fmt: skip
    _engine_only("peak_bw", "elements/cycle", "peak NoC bandwidth requirement (MAESTRO's 'Peak BW Req')",
                 same_as="noc_bw"),  # fmt: skip
    _engine_only("avg_bw", "elements/cycle", "average NoC bandwidth requirement (MAESTRO's 'Avg BW Req')",
                 count=False),  # fmt: skip
    _engine_only("offchip_bw", "elements/cycle", "off-chip bandwidth the layer needs (MAESTRO's 'Offchip BW Req')"),
    _engine_only("utilized_pes", "PEs", "average number of busy PEs", count=False),
    *(_engine_only(f"{what}_delay_{stat}", "cycles", f"{label} delay of a step, {long}")
      for what, label in (("ingress", "ingress (data into the PEs)"), ("egress", "egress (outputs out)"),
                          ("compute", "compute"))
      for stat, long in (("min", "smallest"), ("max", "largest"), ("avg", "average (truncated)"))),  # fmt: skip
    _engine_only("multicast_input", "×", "input multicast factor (L1 writes per L2 read)", count=False,
                 needs=("input_l1_write", "input_l2_read"), total=_ratio("input_l1_write", "input_l2_read")),
    _engine_only("multicast_filter", "×", "filter multicast factor (L1 writes per L2 read)", count=False,
                 needs=("filter_l1_write", "filter_l2_read"), total=_ratio("filter_l1_write", "filter_l2_read")),
    _engine_only("input_reuse", "×", "input reuse factor (L1 reads per L1 write)", count=False,
                 needs=("input_l1_read", "input_l1_write"), total=_ratio("input_l1_read", "input_l1_write")),
    _engine_only("filter_reuse", "×", "filter reuse factor (L1 reads per L1 write)", count=False,
                 needs=("filter_l1_read", "filter_l1_write"), total=_ratio("filter_l1_read", "filter_l1_write")),
    _engine_only("output_reuse", "×", "output reuse factor (L1 reads per L1 write)", count=False,
                 needs=("output_l1_read", "output_l1_write"), total=_ratio("output_l1_read", "output_l1_write")),
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
#: Outputs the kernel computes in their own right (its other outputs are copies of these).
DISTINCT: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.same_as is None and o.closed_form)
SAME_AS: dict[str, str] = {o.name: o.same_as for o in OUTPUTS if o.same_as is not None}
#: Outputs that are whole numbers.
COUNTS: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.count)
#: The outputs the closed forms (the C kernel) compute, in the kernel's order (``enum cx_output``):
#: a prefix of :data:`NAMES`.
CLOSED_FORM: tuple[str, ...] = tuple(o.name for o in OUTPUTS if o.closed_form)
if NAMES[: len(CLOSED_FORM)] != CLOSED_FORM:
    raise ImportError("schema.OUTPUTS must list the closed forms' outputs first")
#: What :func:`~confuciux.evaluate` computes when no ``outputs=`` are asked for (and the derived
#: outputs that need only these): the closed forms' outputs, so that a preset never leaves its
#: fast path unasked.
DEFAULT: tuple[str, ...] = CLOSED_FORM
#: The general engine's name of each output (:data:`confuciux.cost.engine.INT_OUTPUTS` and
#: ``FLOAT_OUTPUTS``).
ENGINE_NAME: dict[str, str] = {o.name: o.engine or o.name for o in OUTPUTS}
#: Former output names (old name → current name), accepted with a FutureWarning for one release.
RENAMED: dict[str, str] = {"throughput": "macs_per_cycle"}


@dataclass(frozen=True)
class Status:
    """One status value of a point: ``code`` (the kernel's ``CX_<name>``, the general engine's
    ``Status.<name>``), ``meaning`` (short, for messages and :data:`STATUS`), ``description``
    and ``printed``: MAESTRO prints this result, so the point has numbers (``valid``)."""

    code: int
    name: str
    meaning: str
    description: str
    printed: bool = False


#: Every status, by code: the one table of the closed forms (``enum cx_status``, generated from it),
#: the general engine (:class:`confuciux.cost.engine.Status`) and saved results.  Codes never
#: change meaning (files keep them); a retired code stays reserved.
STATUSES: tuple[Status, ...] = (
    Status(0, "OK", "ok", "costed: MAESTRO prints this result and it breaks no physical bound", printed=True),
    Status(1, "INVALID", "invalid configuration", "a configuration MAESTRO cannot cost: it prints runtime <= 0 (or "
           "a negative energy)"),  # fmt: skip
    Status(2, "OVERFLOW", "overflow", "some integer quantity does not fit in 64 bits (MAESTRO's 32- or 64-bit "
           "integers, for the general engine), or a float result is not finite"),  # fmt: skip
    Status(3, "BAD_INPUT", "bad input", "not a layer: a size < 1, Y < R or X < S, groups not dividing K and C "
           "or on a depthwise layer, P < 1 or k < 1"),  # fmt: skip
    Status(4, "UNSUPPORTED", "not supported", "reserved, no longer produced (a corner regime of strided shi and "
           "eye before 0.2; saved results may hold it)"),  # fmt: skip
    Status(5, "IMPOSSIBLE", "physically impossible", "MAESTRO prints this result, but it breaks a physical bound: "
           "fewer cycles than the work needs, fewer MACs than the layer has, less traffic than its tensors "
           "(docs/engine.md); searches exclude it unless asked not to", printed=True),  # fmt: skip
    Status(6, "SIGFPE", "MAESTRO dies (SIGFPE)", "MAESTRO dies of an integer division by zero"),
    Status(7, "CRASH", "MAESTRO crashes", "MAESTRO aborts (a failed assertion, an index out of range) or "
           "dereferences a null pointer"),  # fmt: skip
    Status(8, "REFUSED", "refused by MAESTRO", "MAESTRO refuses the program for this layer and design (its "
           "analysis exits with an error, or a design's tile breaks its mapping rules)"),  # fmt: skip
    Status(9, "UNDEFINED", "undefined", "MAESTRO reads an uninitialised value (an output coordinate Y'/X' in a "
           "level without R/S): what it prints is not a cost"),  # fmt: skip
)

_CODES = {s.name: s.code for s in STATUSES}
OK: int = _CODES["OK"]
INVALID: int = _CODES["INVALID"]
OVERFLOW: int = _CODES["OVERFLOW"]
BAD_INPUT: int = _CODES["BAD_INPUT"]
UNSUPPORTED: int = _CODES["UNSUPPORTED"]
IMPOSSIBLE: int = _CODES["IMPOSSIBLE"]
SIGFPE: int = _CODES["SIGFPE"]
CRASH: int = _CODES["CRASH"]
REFUSED: int = _CODES["REFUSED"]
UNDEFINED: int = _CODES["UNDEFINED"]
#: Meaning of each status value.
STATUS: dict[int, str] = {s.code: s.meaning for s in STATUSES}
#: The statuses of results MAESTRO prints (``valid``: the point has numbers).
PRINTED: frozenset[int] = frozenset(s.code for s in STATUSES if s.printed)

#: NumPy dtypes of the outputs and of ``status`` (names: NumPy accepts them wherever a dtype goes).
DTYPE = "float64"
STATUS_DTYPE = "uint8"

#: Names an output cannot take (LayerCosts' other attributes).
_RESERVED = frozenset({"valid", "status", "physical", "accesses", "computed", "shape", "total"})
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
    """The outputs asked for, checked and in order: the schema's in schema order, then derived ones
    in registration order.  None: :data:`DEFAULT` and the derived outputs that need only those
    (and derived ones)."""
    if outputs is None:
        return (*DEFAULT, *_default_derived())
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


def _default_derived() -> tuple[str, ...]:
    """The derived outputs computed by default: those whose needs are default outputs (or such
    derived outputs), in registration order."""
    ok: set[str] = set(DEFAULT)
    for out in DERIVED.values():
        if all(n in ok for n in out.needs):
            ok.add(out.name)
    return tuple(n for n in DERIVED if n in ok)
