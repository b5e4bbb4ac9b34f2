"""Costing candidate mappings: the evaluator contract, its reference, and the design's costs.

An evaluator has the signature of the engine's batch entry point
(``confuciux.cost.engine.evaluate_batch``): ``evaluator(layers, templates, pes, buffers, flags,
outputs)`` with one compiled program per layer, ``pes`` broadcastable to ``(n_designs,
n_layers)``, MAESTRO's flags as a mapping (``noc_bw``, ``noc_hops``, ``noc_hop_latency``,
``multicast``, ``simd``, ``offchip_bw``) and the output names wanted; it returns a dict of
float64 arrays ``(n_designs, n_layers)`` and a uint8 status array (the engine's
:class:`~confuciux.cost.engine.Status` codes).  A mapping search puts one layer ``n`` times
with ``n`` candidate programs.  :func:`reference_batch` is the contract over the Python
reference engine (about 2 ms a point); :func:`default_evaluator` picks the compiled engine when
it is there.

:func:`design_costs` turns the engine's counts into a design's costs: MAESTRO's own energy,
area and power with ``Hardware.maestro()``, any other :class:`~confuciux.hardware.Hardware`'s
accounting otherwise, and DiGamma's area formula on request (:data:`AREA_MODELS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..cost import engine
from ..cost.reference import area_power_points, energy_points
from ..cost.schema import COUNTS
from ..dataflow import Template
from ..hardware import Hardware
from ..workload import Layer

__all__ = [
    "Evaluator", "OUTPUTS", "AREA_MODELS", "OK", "reference_batch", "default_evaluator", "design_costs",
    "digamma_area", "engine_flags",
]  # fmt: skip

#: What a mapping search reads of the engine: MAESTRO's printed energy, area and power, and the
#: counts another hardware's energy is computed from.
OUTPUTS: tuple[str, ...] = ("energy", "area", "power", *COUNTS)
#: The engine's status of a result MAESTRO prints that breaks no physical bound.
OK = int(engine.Status.OK)

Evaluator = Callable[
    [Sequence[Layer], Sequence[Template], np.ndarray, "np.ndarray | None", Mapping[str, Any], Sequence[str]],
    tuple[dict[str, np.ndarray], np.ndarray],
]


def engine_flags(flags: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """MAESTRO's flags for the engine: its defaults (ConfuciuX's command line) overridden by
    ``flags``; an unknown name is a ValueError."""
    out = dict(engine.DEFAULTS)
    for k, v in (flags or {}).items():
        if k not in out:
            raise ValueError(f"unknown engine flag {k!r}; MAESTRO's are {', '.join(out)}")
        out[k] = v
    return out


def reference_batch(
    layers: Sequence[Layer],
    templates: Sequence[Template],
    pes: np.ndarray,
    buffers: np.ndarray | None = None,
    flags: Mapping[str, Any] | None = None,
    outputs: Sequence[str] = OUTPUTS,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The evaluator contract over :func:`confuciux.cost.engine.evaluate`, one point at a time
    (the specification the compiled batch is tested against; slow)."""
    if len(layers) != len(templates):
        raise ValueError(f"{len(layers)} layers but {len(templates)} templates: one program per layer")
    n = len(layers)
    p = np.asarray(pes, dtype=np.int64)
    if p.ndim > 2:
        raise ValueError(f"pes must broadcast to (n_designs, n_layers), got shape {p.shape}")
    shape = np.broadcast_shapes(p.shape, (1, n))
    p = np.broadcast_to(p, shape)
    b = None if buffers is None else np.broadcast_to(np.asarray(buffers, dtype=np.int64), shape)
    f = engine_flags(flags)
    out = {name: np.full(shape, np.nan) for name in outputs}
    status = np.zeros(shape, dtype=np.uint8)
    for j, (layer, t) in enumerate(zip(layers, templates, strict=True)):
        for i in range(shape[0]):
            pe = int(p[i, j])
            buf = int(b[i, j]) if b is not None and "buffers" in t.knobs else None
            r = engine.evaluate(layer, t.bind(pe if "pes" in t.knobs else None, buf), pe, **f)
            status[i, j] = int(r.status)
            if r.valid:
                for name in outputs:
                    out[name][i, j] = float(r[name])
    return out, status


def default_evaluator() -> Evaluator:
    """The engine's batch entry point (``confuciux.cost.engine.evaluate_batch``, compiled when
    built) when the package has it, else the compiled engine's binding directly, else
    :func:`reference_batch`."""
    batch = getattr(engine, "evaluate_batch", None)
    if callable(batch):
        return _with_buffers(batch)
    try:
        from ..cost.engine import native  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return reference_batch
    if not getattr(native, "AVAILABLE", False):
        return reference_batch
    return _with_buffers(native.evaluate)


#: The compiled engine's entry for candidate programs given as directive arrays
#: (``native.evaluate_programs``; :meth:`FreeEncoding.directive_arrays`), None when not built.
DirectEvaluator = Callable[..., tuple[dict[str, np.ndarray], np.ndarray]]


def direct_evaluator() -> DirectEvaluator | None:
    """The compiled engine's array entry point (no :class:`Template` a candidate: 2–3× less
    Python a candidate than :func:`default_evaluator`, the same numbers bit for bit), or None
    when the engine is not built."""
    try:
        from ..cost.engine import native  # type: ignore[attr-defined, unused-ignore]
    except ImportError:  # pragma: no cover - a source tree without the extension
        return None
    return native.evaluate_programs if getattr(native, "AVAILABLE", False) else None


def _with_buffers(batch: Callable[..., tuple[dict[str, np.ndarray], np.ndarray]]) -> Evaluator:
    """``batch`` with the contract's arrays made explicit: contiguous int64 (n_designs, n_layers)
    PEs and buffers (1 where a program has no KTileSz) and every flag."""

    def call(
        layers: Sequence[Layer], templates: Sequence[Template], pes: np.ndarray, buffers: np.ndarray | None = None,
        flags: Mapping[str, Any] | None = None, outputs: Sequence[str] = OUTPUTS,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
        n = len(layers)
        p = np.asarray(pes, dtype=np.int64)
        shape = np.broadcast_shapes(p.shape, (1, n))
        p = np.ascontiguousarray(np.broadcast_to(p, shape))
        b = np.ones(shape, dtype=np.int64) if buffers is None else np.ascontiguousarray(
            np.broadcast_to(np.asarray(buffers, dtype=np.int64), shape))  # fmt: skip
        return batch(layers, templates, p, b, engine_flags(flags), outputs)

    return call


#: Area models a search can price designs with: ``"hardware"`` (the given
#: :class:`~confuciux.hardware.Hardware`'s formula) and ``"digamma"`` (:func:`digamma_area`).
AREA_MODELS = ("hardware", "digamma")
#: DiGamma's area model (maestro-project/gamma, src/GAMMA/gamma.py): an int8 MAC per PE and
#: 0.086 µm² a bit of SRAM, 8 bits an element.
DIGAMMA_MAC_AREA = 282.0
DIGAMMA_BIT_AREA = 0.086


def digamma_area(pes: np.ndarray, l1_bytes: np.ndarray, l2_bytes: np.ndarray) -> np.ndarray:
    """DiGamma's area in µm²: ``P·282 + (L1·P + L2)·0.086·8`` with L1 per PE and L2 shared
    (bytes, one byte an element)."""
    p = np.asarray(pes, dtype=np.float64)
    sram = np.asarray(l1_bytes, dtype=np.float64) * p + np.asarray(l2_bytes, dtype=np.float64)
    area: np.ndarray = p * DIGAMMA_MAC_AREA + sram * DIGAMMA_BIT_AREA * 8
    return area


def design_costs(
    raw: Mapping[str, np.ndarray],
    pes: np.ndarray,
    levels: np.ndarray,
    hardware: Hardware,
    area_model: str = "hardware",
) -> dict[str, np.ndarray]:
    """The costs of evaluated points (arrays of one shape): ``runtime`` (cycles), ``energy``
    (nJ), ``area`` (µm²), ``power`` (mW), ``l1_bytes`` (per PE), ``l2_bytes``, ``pes``.

    With ``Hardware.maestro()`` energy, area and power are MAESTRO's printed values; with
    another hardware they are its formulas over the counts (energy in MAESTRO's accounting when
    ``hardware.maestro_energy``, L1 then counted for one-level programs, as MAESTRO does for
    them).  ``area_model="digamma"`` prices area with :func:`digamma_area`."""
    if area_model not in AREA_MODELS:
        raise ValueError(f"area_model must be one of {', '.join(AREA_MODELS)}, got {area_model!r}")
    p = np.asarray(pes, dtype=np.float64)
    out = {k: np.asarray(raw[k], dtype=np.float64) for k in ("runtime", "l1_bytes", "l2_bytes")}
    out["pes"] = np.broadcast_to(p, out["runtime"].shape).copy()
    if hardware == Hardware.maestro():
        out["energy"] = np.asarray(raw["energy"], dtype=np.float64)
        out["area"] = np.asarray(raw["area"], dtype=np.float64)
        out["power"] = np.asarray(raw["power"], dtype=np.float64)
    else:
        counts = {k: np.nan_to_num(np.asarray(raw[k], dtype=np.float64)) for k in COUNTS}
        with np.errstate(invalid="ignore"):
            energy = energy_points(counts, np.broadcast_to(np.asarray(levels) == 1, p.shape), hardware)
        valid = np.isfinite(np.asarray(raw["runtime"], dtype=np.float64))
        out["energy"] = np.where(valid, energy, np.nan)
        area, power = area_power_points(out["pes"], out["l1_bytes"], out["l2_bytes"], hardware)
        out["area"], out["power"] = area, power
    if area_model == "digamma":
        out["area"] = digamma_area(out["pes"], out["l1_bytes"], out["l2_bytes"])
    return out
