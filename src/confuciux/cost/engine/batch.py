"""Many designs of many layers in one call: the general engine's batch contract.

:func:`evaluate_batch` is the one entry point :func:`confuciux.evaluate` uses for programs the
closed forms do not cover.  It validates its arguments and hands them to the compiled engine
(:mod:`.native`, one C call) or, when that is not built or ``use_c=False``, to the Python
reference, which loops :func:`~confuciux.cost.engine.evaluate` point by point (about 2 ms a
point); both give the same numbers.  The contract: n_layers layers, one compiled program
(:class:`~confuciux.dataflow.Template`) per layer, the designs' PEs (``ClusterSz`` and
``--num_pes``) and buffers (``KTileSz``) as int64 arrays broadcastable to (n_designs, n_layers),
MAESTRO's hardware flags, and the engine outputs to return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ...dataflow.bind import Template
from ...hardware import Hardware
from ...workload import Layer
from .. import schema
from . import DEFAULTS, FLOAT_OUTPUTS, INT_OUTPUTS, evaluate, native
from .quirks import I32_MAX
from .status import Status

__all__ = ["evaluate_batch", "OUTPUTS"]

#: Every output the engine gives, by its name (:data:`INT_OUTPUTS`, :data:`FLOAT_OUTPUTS`).
OUTPUTS: tuple[str, ...] = (*INT_OUTPUTS, *FLOAT_OUTPUTS)
_KNOWN = frozenset(OUTPUTS)


def evaluate_batch(
    layers: Sequence[Layer],
    templates: Sequence[Template],
    pes: np.ndarray,
    buffers: np.ndarray,
    flags: Mapping[str, int | bool],
    outputs: Sequence[str],
    use_c: bool = True,
    priced: Hardware | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """MAESTRO's cost of every design on every layer.

    ``layers``: n_layers :class:`~confuciux.Layer`; ``templates``: one compiled program per
    layer (:func:`confuciux.dataflow.compile` of its program, layer and constants); ``pes`` and
    ``buffers``: int64 arrays broadcastable to (n_designs, n_layers) — design d runs layer l
    with ``pes[d, l]`` PEs (``--num_pes``, binding ``ClusterSz``) and ``KTileSz = buffers[d, l]``;
    ``flags``: MAESTRO's hardware flags as the engine's keywords (:data:`DEFAULTS`' keys: noc_bw,
    noc_hops, noc_hop_latency, multicast, simd, offchip_bw; missing ones take ConfuciuX's
    values); ``outputs``: engine output names (:data:`OUTPUTS`).

    Returns ``({name: float64 (n_designs, n_layers)}, status uint8 (n_designs, n_layers))``,
    statuses in the codes of :data:`confuciux.cost.schema.STATUSES`; an output is NaN where the
    status is not printed (OK, IMPOSSIBLE).  A design whose knob breaks a rule MAESTRO's parser
    checks (a temporal R/S tile not the whole filter) is REFUSED, one beyond MAESTRO's 32-bit
    flags OVERFLOW.  ``use_c``: the compiled engine where it is built (False: the Python
    reference).  ``priced``: a :class:`~confuciux.Hardware` whose prices replace MAESTRO's
    printed energy (nJ), area (µm²) and power (mW) — the counts priced as
    :func:`confuciux.evaluate` prices them, a point whose prices overflow a float64 OVERFLOW —;
    None: MAESTRO's.  Arguments that break this contract are a TypeError or ValueError."""
    layers, templates = list(layers), list(templates)
    n = len(layers)
    if len(templates) != n:
        raise ValueError(f"evaluate_batch: {len(templates)} templates for {n} layers")
    for i, (layer, t) in enumerate(zip(layers, templates, strict=True)):
        if not isinstance(layer, Layer) or not isinstance(t, Template):
            raise TypeError(f"evaluate_batch: layer {i} must be a Layer with a Template, got {layer!r}, {t!r}")
    names = tuple(outputs)
    unknown = [o for o in names if o not in _KNOWN]
    if unknown:
        raise ValueError(f"evaluate_batch: unknown engine outputs {unknown}; expected names from {OUTPUTS}")
    unknown = sorted(set(flags) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"evaluate_batch: unknown flags {unknown}; expected some of {list(DEFAULTS)}")
    p, k = (_ints(name, a) for name, a in (("pes", pes), ("buffers", buffers)))
    try:
        p, k = np.broadcast_arrays(p, k, np.empty((1, n), dtype=np.int64))[:2]
    except ValueError:
        raise ValueError(
            f"evaluate_batch: pes {p.shape} and buffers {k.shape} do not broadcast to (designs, {n})"
        ) from None
    if p.ndim != 2:
        raise ValueError(f"evaluate_batch: pes and buffers broadcast to {p.shape}, not (designs, {n})")
    if n == 0 or p.shape[0] == 0:
        return {name: np.full(p.shape, np.nan) for name in names}, np.empty(p.shape, dtype=np.uint8)
    if priced is not None and not isinstance(priced, Hardware):
        raise TypeError(f"evaluate_batch: priced must be a Hardware or None, got {type(priced).__name__}")
    if use_c and native.AVAILABLE:
        return native.evaluate(layers, templates, p, k, {**DEFAULTS, **flags}, names, priced)
    if priced is None:
        return _reference(layers, templates, p, k, {**DEFAULTS, **flags}, names)
    needed = tuple(dict.fromkeys((*names, *_COUNTS, "energy")))
    raw, status = _reference(layers, templates, p, k, {**DEFAULTS, **flags}, needed)
    return _price(raw, status, p, priced, names)


# The counts the schema's energy, area and power are priced from.
_COUNTS = tuple(name for name in schema.COUNTS if name in schema.CLOSED_FORM)


def _price(raw: dict[str, np.ndarray], status: np.ndarray, pes: np.ndarray, hw: Hardware,
           names: tuple[str, ...]) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """The reference's outputs with energy (nJ), area (µm²) and power (mW) priced with ``hw``,
    as the compiled engine prices them.  MAESTRO's energy counts L1 only where its top level
    never analysed a sub-cluster; the printed energy (MAESTRO's database) says where: it differs
    from its L2 part exactly there."""
    from ..reference import area_power_points, energy_points  # (the reference imports the package)

    flat = {n: raw[n].reshape(-1) for n in _COUNTS}
    with np.errstate(invalid="ignore"):
        l2_only = energy_points(flat, np.zeros(pes.size, dtype=bool), Hardware.maestro())
        single_level = np.abs(raw["energy"].reshape(-1) - l2_only) > 1e-9 * np.abs(l2_only)
        energy = energy_points(flat, single_level, hw)
        # MAESTRO's SRAMs have at least one cell (its area and power of an empty buffer)
        l1 = np.maximum(np.nan_to_num(flat["l1_bytes"]), 1).astype(np.int64)
        l2 = np.maximum(np.nan_to_num(flat["l2_bytes"]), 1).astype(np.int64)
    area, power = area_power_points(pes.reshape(-1), l1, l2, hw)
    printed = np.isin(status, tuple(schema.PRINTED))
    finite = (np.isfinite(energy) & np.isfinite(area) & np.isfinite(power)).reshape(status.shape)
    status = np.where(printed & ~finite, schema.OVERFLOW, status).astype(schema.STATUS_DTYPE)
    keep = np.isin(status, tuple(schema.PRINTED))
    prices = {"energy": energy, "area": area, "power": power}
    out = {n: np.where(keep, prices[n].reshape(status.shape) if n in prices else raw[n], np.nan) for n in names}
    return out, status


def _ints(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == bool or arr.dtype.kind not in "iu":
        raise TypeError(f"evaluate_batch: {name} must be integers, got dtype {arr.dtype}")
    if arr.size and np.min(arr) < 1:
        raise ValueError(f"evaluate_batch: {name} must be >= 1")
    return arr.astype(np.int64, copy=False)


def _reference(
    layers: list[Layer],
    templates: list[Template],
    pes: np.ndarray,
    buffers: np.ndarray,
    flags: Mapping[str, int | bool],
    names: tuple[str, ...],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The Python reference: the engine point by point."""
    shape = pes.shape
    values = {name: np.full(shape, np.nan) for name in names}
    status = np.empty(shape, dtype=np.uint8)
    for (d, l), p in np.ndenumerate(pes):
        k = int(buffers[d, l])
        if p > I32_MAX or k > I32_MAX:  # MAESTRO's --num_pes and KTileSz are 32-bit ints
            status[d, l] = Status.OVERFLOW
            continue
        try:
            program = templates[l].bind(int(p), k)
        except ValueError:  # the design's tile breaks a rule MAESTRO's parser checks
            status[d, l] = Status.REFUSED
            continue
        result = evaluate(layers[l], program, int(p), **flags)  # type: ignore[arg-type]
        status[d, l] = result.status
        if result.valid:
            for name in names:
                values[name][d, l] = result[name]
    return values, status
