"""The platform a search designs for: dataflow, hardware, deployment, budgets, action space.

Deployments (docs/problem.md):

* ``"LP"`` layer-pipelined — every layer has its own sub-accelerator; a design's area, power,
  PEs and buffer bytes are sums over layers.
* ``"LS"`` layer-sequential — one accelerator runs the layers one after another, sized for the
  largest need: P = max P_i, L1 = max L1_i, L2 = max L2_i; area and power are that
  accelerator's.

Budgets may be set on ``area`` (µm²), ``power`` (mW), ``pes`` (PEs), ``l1_bytes`` (the per-PE L1
size, summed over layers for LP — ConfuciuX's "buffer" resource — or the largest for LS) and
``l2_bytes`` (bytes of L2, likewise), several at once.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import numpy as np

from ._deprecation import keyword_only_after
from .budgets import BUDGET_KEYS, DEPLOYMENTS, Budgets
from .cost import LayersLike, area_power, evaluate, schema
from .cost.design import DataflowLike, label, labels, layer_specs, preset_name, refusal
from .dataflow.program import Dataflow
from .hardware import Hardware
from .mapping.settings import MappingSearch, mapping_spec
from .mapping.space import MappingSpace
from .workload import Layer

__all__ = ["Platform", "PlatformDataflow", "BUDGET_KEYS", "DEPLOYMENTS", "CONFUCIUX_PES", "CONFUCIUX_BUFFERS", "SPACES",
           "MAX_VALUE", "MAX_OPTIONS", "PE_STEP"]  # fmt: skip

#: ConfuciuX's action space: PE levels and buffer (KTileSz) levels.
CONFUCIUX_PES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128)
CONFUCIUX_BUFFERS = tuple(range(1, 13))
#: What the search covers: every integer point of the bounds (``"box"``) or the levels only.
SPACES = ("box", "grid")
#: Largest PE count or buffer setting accepted (the kernel's 32-bit operand range).
MAX_VALUE = 2**31 - 1
#: Largest number of options a layer may have (the cost table holds layers × options).
MAX_OPTIONS = 1 << 20
#: Growth of the PE axis past ``pe_dense`` (budget-grown bounds): each P value about 9 % above
#: the last (eight steps per doubling), so a box up to 2³¹ PEs keeps a few hundred P values.
PE_STEP = 2 ** (1 / 8)


def _whole(name: str, values: Any) -> tuple[int, ...]:
    try:
        seq = tuple(values)
        ints = tuple(int(v) for v in seq)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be a sequence of integers, got {values!r}") from None
    for v, w in zip(ints, seq, strict=True):
        if isinstance(w, bool) or float(v) != float(w) or not 1 <= v <= MAX_VALUE:
            raise ValueError(f"{name} must hold whole numbers in 1..{MAX_VALUE}, got {values!r}")
    return ints


def _show(v: Any) -> str:
    """A short repr for messages (an int of thousands of digits cannot even be printed)."""
    if isinstance(v, int) and v.bit_length() > 128:
        return f"a {v.bit_length()}-bit {'negative ' if v < 0 else ''}integer"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _level(name: str, i: int, v: Any) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}[{i}] must be an integer, got {_show(v)}")
    if isinstance(v, (float, np.floating)) and not (math.isfinite(v) and v == math.floor(v)):
        raise ValueError(f"{name}[{i}] must be a whole number, got {_show(v)}")
    level = int(v)
    if not 1 <= level <= MAX_VALUE:
        raise ValueError(f"{name}[{i}] must be in [1, {MAX_VALUE}] (the kernel's operand range), got {_show(level)}")
    return level


def _levels(name: str, values: Any) -> tuple[int, ...]:
    """An action-space axis: a non-empty, strictly increasing sequence of whole numbers within
    1..MAX_VALUE (the kernel's 32-bit operand range)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of integers, got {_show(values)}")
    levels = tuple(_level(name, i, v) for i, v in enumerate(values))
    if not levels:
        raise ValueError(f"{name} must not be empty")
    if list(levels) != sorted(set(levels)):
        raise ValueError(f"{name} must be strictly increasing, got {_show(levels)}")
    return levels


def _budget(key: Any, value: Any) -> float:
    """One budget limit: a known key and a finite positive number."""
    if key not in BUDGET_KEYS:
        raise ValueError(f"unknown budget {_show(key)}; expected some of {list(BUDGET_KEYS)}")
    unit = schema.unit(key)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"budget {key!r} must be a number ({unit}), got {_show(value)}")
    try:
        limit = float(value)
    except OverflowError:  # an int beyond the float range
        limit = math.inf
    if not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"budget {key!r} must be a finite number > 0 ({unit}), got {_show(value)}")
    return limit


def _bounds(name: str, values: Any, levels: tuple[int, ...], levels_name: str) -> tuple[int, int]:
    """Integer bounds (lo, hi) of the box; ``()`` means the span of the levels."""
    bounds = _whole(name, values)
    if not bounds:
        return levels[0], levels[-1]
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        raise ValueError(f"{name} must be (lo, hi) with 1 <= lo <= hi, got {values!r}")
    if levels[0] < bounds[0] or levels[-1] > bounds[1]:
        raise ValueError(f"{levels_name} {levels} must lie within {name} {bounds}")
    return bounds[0], bounds[1]


def _affordable_pes(budgets: Mapping[str, float], hardware: Hardware) -> int:
    """The most PEs one layer's accelerator can have within the budgets that limit P — a PE
    budget, or area or power of that many PEs with no buffer at all (both grow with P when the
    arbiter polynomial's a2, a1 >= 0) — capped at :data:`MAX_VALUE`; 0 when no budget limits P."""
    cap = MAX_VALUE if "pes" not in budgets else min(MAX_VALUE, int(budgets["pes"]))
    priced = [k for k in ("area", "power") if k in budgets]
    a2, a1, _ = hardware.arbiter_poly
    if not priced or a2 < 0 or a1 < 0:
        return cap if "pes" in budgets else 0

    def fits(p: int) -> bool:
        area, power = area_power(p, 0, 0, hardware)
        used = {"area": float(area), "power": float(power)}
        return all(used[k] <= budgets[k] for k in priced)

    if not fits(1):
        return 1 if "pes" in budgets else 0
    lo, hi = 1, cap + 1  # fits(lo); hi: past the cap, or a count that does not fit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


class _Uncostable(ValueError):
    """A layer that no option of the space can cost (ConfuciuX's corner budget is then undefined)."""


#: What a platform's dataflow is: a preset's name, a program, None (each layer's own program), a
#: tuple of two or more of those for a per-layer choice, or a searched mapping.
PlatformDataflow = DataflowLike | None | tuple[DataflowLike | None, ...] | MappingSpace | MappingSearch
#: Area models: the hardware's formula, or DiGamma's (:func:`digamma_hardware`).
AREA_MODELS = ("hardware", "digamma")


def digamma_hardware(hardware: Hardware) -> Hardware:
    """``hardware`` with DiGamma's area formula (maestro-project/gamma): 282 µm² a PE's MAC and
    0.086 µm² a bit of SRAM, 8 bits a byte, for L1 (per PE) and L2 alike; no bus or arbiter
    area.  Energy, power and MAESTRO's flags stay ``hardware``'s."""
    tag = ", digamma area"
    name = hardware.name if hardware.name.endswith(tag) else hardware.name + tag
    return dataclasses.replace(hardware, mac_area=282.0 / hardware.simd_lanes, l1_area=0.086 * 8, l2_area=0.086 * 8,
                               bus_area_per_port=0.0, bus_area_base=0.0, arbiter_area=0.0, name=name)  # fmt: skip


def _dataflow(value: Any) -> PlatformDataflow:
    """A preset's name (lower-case), a :class:`Dataflow`, None, a tuple of two or more distinct
    ones (one alone: itself), or a searched mapping (a :class:`MappingSearch`)."""
    searched = mapping_spec(value)
    if searched is not None:
        return searched
    entries = (value,) if value is None or isinstance(value, (str, Dataflow)) else value
    try:
        entries = tuple(entries)
    except TypeError:
        raise TypeError(
            f"dataflow must be a preset's name, a Dataflow, None or a tuple of them, got {value!r}"
        ) from None
    if not entries:
        raise ValueError(f"dataflow must give at least one dataflow, got {value!r}")
    out: list[DataflowLike | None] = []
    for d in entries:
        if mapping_spec(d) is not None:
            raise ValueError("a searched mapping (MappingSpace) is a platform's only dataflow: it already chooses "
                             "each layer's program")  # fmt: skip
        if d is not None and not isinstance(d, (str, Dataflow)):
            raise TypeError(f"a dataflow is a preset's name, a Dataflow or None, got {type(d).__name__}")
        out.append(preset_name(d) if isinstance(d, str) else d)
    if len(set(out)) != len(out):
        raise ValueError(f"dataflow gives a dataflow twice: {value!r}")
    return out[0] if len(out) == 1 else tuple(out)


@keyword_only_after(1)
@dataclass(frozen=True)
class Platform:
    """What a design must fit: ``dataflow`` — a preset's name (dla, shi, eye, ... : depthwise
    layers run dpt under dla, shi and eye; :data:`confuciux.dataflow.PRESETS`), a
    :class:`~confuciux.Dataflow`, or None for each layer's own program (``Model.dataflows``; dla
    for a layer without one) — or a tuple of several, e.g. ``("dla", "shi", mine)``, to let each
    layer also choose its sub-accelerator's dataflow (layer-pipelined only; see
    :attr:`dataflows`), ``hardware`` (coefficients and MAESTRO's flags), ``deployment`` (LP or
    LS), ``budgets`` (a mapping from :data:`BUDGET_KEYS` to limits in µm², mW, PEs or bytes) and
    the action space.

    ``allow_impossible``: keep the options MAESTRO costs below a physical bound (status
    IMPOSSIBLE: below the compute bound, short of the layer's work or traffic; docs/engine.md)
    in the search; by default they are left out like options it cannot cost, as a design that
    runs faster than its work allows is not a design.  True reproduces ConfuciuX, which takes
    every number MAESTRO prints.

    The action space has two levels, as in ConfuciuX: the coarse ``pe_levels`` × ``buffer_levels``
    the RL agent picks from (ConfuciuX's 12 × 12 by default), and the integer box
    ``pe_bounds`` × ``buffer_bounds`` (inclusive; default: the span of the levels, P 1..128 and
    k 1..12) that fine-tuning and the exact solver search.  ``space="grid"`` restricts every
    method to the levels.  ``pe_dense`` > 0 keeps every integer P up to it only, then steps of
    :data:`PE_STEP`.  Without ``pe_bounds``, absolute budgets that limit P (pes, area, power)
    grow the box to the most PEs one layer can buy within them (``pe_dense`` = the largest
    level): a budget is not left unused because of the default cap.

    A program's options: P is MAESTRO's ``--num_pes`` and binds ``ClusterSz``; the buffer setting
    binds ``KTileSz``, so for a layer whose program does not use ``KTileSz`` only the options of
    the lowest buffer setting are kept (the others would repeat them).

    A searched mapping — ``dataflow=MappingSpace(...)`` or a
    :class:`~confuciux.mapping.options.MappingSearch` — searches every layer's program on the
    PE counts of the space (docs/mapping.md): a layer's options are then the points its search
    finds (each with its P and program; no buffer setting), layer-pipelined only.
    ``area_model="digamma"`` prices area with DiGamma's formula (:func:`digamma_hardware`)."""

    dataflow: PlatformDataflow = "dla"
    _: KW_ONLY  # everything after the dataflow by keyword (by position: a FutureWarning until 0.3)
    hardware: Hardware = field(default_factory=Hardware.default)
    deployment: str = "LP"
    budgets: Mapping[str, float] = field(default_factory=dict)
    pe_levels: tuple[int, ...] = CONFUCIUX_PES
    buffer_levels: tuple[int, ...] = CONFUCIUX_BUFFERS
    name: str = "custom"
    pe_bounds: tuple[int, ...] = ()
    buffer_bounds: tuple[int, ...] = ()
    space: str = "box"
    pe_dense: int = 0
    allow_impossible: bool = False
    area_model: str = "hardware"

    def __post_init__(self) -> None:
        object.__setattr__(self, "dataflow", _dataflow(self.dataflow))
        if not isinstance(self.allow_impossible, (bool, np.bool_)):
            raise TypeError(f"allow_impossible must be a bool, got {self.allow_impossible!r}")
        object.__setattr__(self, "allow_impossible", bool(self.allow_impossible))
        if not isinstance(self.hardware, Hardware):
            raise TypeError(f"hardware must be a confuciux.Hardware, got {type(self.hardware).__name__}")
        if not isinstance(self.deployment, str) or self.deployment.upper() not in DEPLOYMENTS:
            raise ValueError(f"unknown deployment {self.deployment!r}; expected 'LP' or 'LS'")
        object.__setattr__(self, "deployment", self.deployment.upper())
        self._area_and_mapping()
        if self.deployment == "LS" and len(self.dataflows) > 1:
            # one accelerator runs every layer, and an accelerator has one dataflow
            raise ValueError(f"LS deployment runs every layer on one accelerator, which has one dataflow; got "
                             f"{list(self.dataflows)} (compare one Platform per dataflow instead)")  # fmt: skip
        if not isinstance(self.budgets, Mapping):
            raise TypeError("budgets must be a mapping such as {'area': 1e6}")
        budgets = {key: _budget(key, value) for key, value in self.budgets.items()}
        object.__setattr__(self, "budgets", budgets)
        object.__setattr__(self, "pe_levels", _levels("pe_levels", self.pe_levels))
        object.__setattr__(self, "buffer_levels", _levels("buffer_levels", self.buffer_levels))
        grown = not self.pe_bounds and _affordable_pes(budgets, self.hardware)
        if grown and grown > self.pe_levels[-1]:  # absolute budgets: P up to what they can buy
            object.__setattr__(self, "pe_bounds", (self.pe_levels[0], grown))
            object.__setattr__(self, "pe_dense", self.pe_dense or self.pe_levels[-1])
        object.__setattr__(self, "pe_bounds", _bounds("pe_bounds", self.pe_bounds, self.pe_levels, "pe_levels"))
        dense = self.pe_dense
        if isinstance(dense, bool) or not isinstance(dense, (int, np.integer)) or dense < 0:
            raise ValueError(f"pe_dense must be an integer >= 0 (0: every P of pe_bounds), got {_show(dense)}")
        object.__setattr__(self, "pe_dense", int(dense))
        object.__setattr__(self, "buffer_bounds", _bounds("buffer_bounds", self.buffer_bounds, self.buffer_levels,
                                                          "buffer_levels"))  # fmt: skip
        if self.space not in SPACES:
            raise ValueError(f"unknown space {self.space!r}; expected one of {list(SPACES)}")
        if self.n_options > MAX_OPTIONS:
            raise ValueError(f"the action space has {self.n_options:,} options a layer; at most {MAX_OPTIONS:,} "
                             "(narrow pe_bounds or buffer_bounds)")  # fmt: skip

    def _area_and_mapping(self) -> None:
        if self.area_model not in AREA_MODELS:
            raise ValueError(f"area_model must be one of {', '.join(AREA_MODELS)}, got {self.area_model!r}")
        if self.area_model == "digamma":  # (idempotent: dataclasses.replace runs this again)
            object.__setattr__(self, "hardware", digamma_hardware(self.hardware))
        if self.deployment == "LS" and self.mapping is not None:
            raise ValueError("a searched mapping gives each layer its own P and program: layer-pipelined (LP) only")

    @property
    def dataflows(self) -> tuple[DataflowLike | None, ...]:
        """The dataflows a layer may choose from, in the order of the option blocks (a searched
        mapping: its one :class:`MappingSearch`)."""
        return self.dataflow if isinstance(self.dataflow, tuple) else (self.dataflow,)  # type: ignore[return-value]

    @property
    def mapping(self) -> MappingSearch | None:
        """The searched mapping, when the dataflow is one."""
        return self.dataflow if isinstance(self.dataflow, MappingSearch) else None

    @property
    def dataflow_label(self) -> str:
        """The dataflow, or the choices joined by ``+`` (e.g. ``dla+eye``), for records and labels
        (:func:`confuciux.cost.design.labels`: a program by its preset's name, else ``program``,
        ``program#2``, ...; None, the model's own programs, is ``model``)."""
        return "+".join(labels(self.dataflows))

    def usable(self, costs: Any) -> np.ndarray:
        """Which points of ``costs`` (a :class:`~confuciux.LayerCosts`) a design may use: the
        physical ones, or every valid one with ``allow_impossible``."""
        return np.asarray(costs.valid if self.allow_impossible else costs.physical)

    @property
    def n_block(self) -> int:
        """Options of one dataflow: (P, k) points of the space (the box, or the coarse grid)."""
        if self.space == "grid":
            return self.n_coarse
        (p0, p1), (k0, k1) = self.pe_bounds, self.buffer_bounds
        dense = not self.pe_dense or self.pe_dense >= p1  # counted, not listed: the box may be huge
        return (p1 - p0 + 1 if dense else len(self.pe_values())) * (k1 - k0 + 1)

    def mapping_pes(self) -> np.ndarray:
        """The PE counts a searched mapping's layer searches cover (int64, ascending): the coarse
        levels on the grid, else the box's :meth:`pe_values`."""
        return np.asarray(self.pe_levels if self.space == "grid" else self.pe_values(), dtype=np.int64)

    def pe_values(self) -> np.ndarray:
        """The PE counts of the box, ascending (int64): every integer of ``pe_bounds`` up to
        ``pe_dense`` (all of them when it is 0), then geometric steps of :data:`PE_STEP` (each
        at least one more), ending at the upper bound."""
        p0, p1 = self.pe_bounds
        dense = self.pe_dense
        if not dense or dense >= p1:
            return np.arange(p0, p1 + 1, dtype=np.int64)
        values = list(range(p0, max(dense, p0) + 1))
        while values[-1] < p1:
            values.append(min(p1, max(values[-1] + 1, round(values[-1] * PE_STEP))))
        return np.array(values, dtype=np.int64)

    @property
    def n_coarse(self) -> int:
        """Number of coarse options (|pe_levels| · |buffer_levels|): options 0..n_coarse-1."""
        return len(self.pe_levels) * len(self.buffer_levels)

    @property
    def n_options(self) -> int:
        """Options a layer has in the space searched (the box, or the coarse grid), over every
        dataflow: ``len(dataflows) · n_block``."""
        return len(self.dataflows) * self.n_block

    def options(self) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) of every option a layer has, int64 arrays of length :attr:`n_options`.

        One block of :attr:`n_block` options per dataflow, in the order of :attr:`dataflows`
        (option ``d·n_block + g`` is point g with dataflow d; :meth:`option_dataflows`).  In a
        block the coarse grid comes first, in level order (point ``i·|buffer_levels| + j`` is
        (pe_levels[i], buffer_levels[j])), then the other integer points of the box in (P, k)
        order; so the RL agent's level pair maps to the same option index on the grid or the box.
        """
        pes, bufs = self._block()
        n = len(self.dataflows)
        return np.tile(pes, n), np.tile(bufs, n)

    def option_dataflows(self) -> np.ndarray:
        """Index into :attr:`dataflows` of every option (int64, length :attr:`n_options`)."""
        return np.repeat(np.arange(len(self.dataflows), dtype=np.int64), self.n_block)

    def _block(self) -> tuple[np.ndarray, np.ndarray]:
        """(pes, buffers) of the points of one dataflow's block."""
        p_grid, k_grid = np.meshgrid(self.pe_levels, self.buffer_levels, indexing="ij")
        pes, bufs = p_grid.ravel().astype(np.int64), k_grid.ravel().astype(np.int64)
        if self.space == "grid":
            return pes, bufs
        k0, k1 = self.buffer_bounds
        box_p, box_k = np.meshgrid(self.pe_values(), np.arange(k0, k1 + 1, dtype=np.int64), indexing="ij")
        bp, bk = box_p.ravel(), box_k.ravel()
        on_grid = np.isin(bp, pes) & np.isin(bk, bufs)
        return np.concatenate([pes, bp[~on_grid]]), np.concatenate([bufs, bk[~on_grid]])

    def _corner(self, model: Any, dataflow: DataflowLike | None, pe: int, buffer: int) -> tuple[np.ndarray, Any]:
        """A corner design of ConfuciuX's budget — every layer at (``pe``, ``buffer``) — as per-layer
        PEs and costs.  A layer the cost model cannot cost there takes the costable point of the
        space nearest to the corner instead (distance: |ΔP| / P span + |Δk| / k span over the
        levels; ties to the point listed first, the coarse grid first), so that a budget exists
        whenever every layer has some costable option; :class:`_Uncostable` names a layer that
        has none."""
        layers = list(model)
        specs = layer_specs(dataflow, len(layers), getattr(model, "dataflows", ()))
        for n, (layer, spec) in enumerate(zip(layers, specs, strict=True)):
            why = refusal(layer, spec, self.hardware) if isinstance(layer, Layer) else None  # (array rows: presets)
            if why is not None:  # a program MAESTRO refuses for a layer: no option on this dataflow
                raise _Uncostable(f"on dataflow {label(dataflow)}, layer {n} ({layer.name!r}): {why}")
        costs = evaluate(model, pe, buffer, dataflow, self.hardware)
        pes = np.full(len(costs.runtime), pe, dtype=np.int64)
        bad = np.flatnonzero(~self.usable(costs))
        if bad.size == 0:
            return pes, costs
        p_all, k_all = self._block()
        span_p = max(self.pe_levels[-1] - self.pe_levels[0], 1)
        span_k = max(self.buffer_levels[-1] - self.buffer_levels[0], 1)
        dist = np.abs(p_all - pe) / span_p + np.abs(k_all - buffer) / span_k
        order = np.argsort(dist, kind="stable")
        bufs = np.full(pes.size, buffer, dtype=np.int64)
        for n in bad.tolist():
            first = self._nearest_usable(layers[n], specs[n], p_all[order], k_all[order])
            if first is None:
                raise _Uncostable(f"layer {n} ({getattr(layers[n], 'name', '')!r}) has no costable option on "
                                  f"dataflow {label(specs[n])} in this action space")  # fmt: skip
            pes[n], bufs[n] = p_all[order][first], k_all[order][first]
        return pes, evaluate(model, pes, bufs, dataflow, self.hardware)

    def _nearest_usable(self, layer: Any, spec: DataflowLike, pes: np.ndarray, bufs: np.ndarray) -> int | None:
        """The first of the points (``pes``, ``bufs``) the layer can use, or None: costed a growing
        chunk at a time (a point near the corner usually is; the general engine costs each)."""
        start, size = 0, 64
        while start < pes.size:
            stop = min(pes.size, start + size)
            ok = self.usable(evaluate([layer], pes[start:stop, None], bufs[start:stop, None], spec, self.hardware,
                                      outputs=("runtime",)))[:, 0]  # fmt: skip
            if ok.any():
                return start + int(np.argmax(ok))
            start, size = stop, 4 * size
        return None

    def describe_space(self) -> dict[str, Any]:
        """The space searched, for :attr:`Result.space` (JSON-ready)."""
        return {
            "space": self.space, "pe_bounds": list(self.pe_bounds), "buffer_bounds": list(self.buffer_bounds),
            **({"pe_dense": self.pe_dense} if self.pe_dense else {}),
            "pe_levels": list(self.pe_levels), "buffer_levels": list(self.buffer_levels),
            # a searched mapping's options are the points its searches find (Problem), over these PE counts
            **({"options": self.n_options} if self.mapping is None else {"pe_counts": int(self.mapping_pes().size)}),
            **({"dataflows": list(labels(self.dataflows))} if len(self.dataflows) > 1 else {}),
            **({"allow_impossible": True} if self.allow_impossible else {}),
            **(self.mapping.describe() if self.mapping is not None else {}),
            **({"area_model": self.area_model} if self.area_model != "hardware" else {}),
        }  # fmt: skip

    @functools.cached_property
    def limits(self) -> Budgets:
        """The :class:`~confuciux.budgets.Budgets` that computes usage and feasibility."""
        return Budgets(dict(self.budgets), self.deployment, self.hardware)

    @classmethod
    def confuciux(
        cls,
        model: LayersLike,
        dataflow: PlatformDataflow = "dla",
        constraint: str = "area",
        mul: float = 0.5,
        hardware: Hardware | None = None,
        deployment: str = "LP",
        pe_levels: tuple[int, ...] = CONFUCIUX_PES,
        buffer_levels: tuple[int, ...] = CONFUCIUX_BUFFERS,
        pe_bounds: tuple[int, ...] = (),
        buffer_bounds: tuple[int, ...] = (),
        space: str = "box",
        allow_impossible: bool = False,
    ) -> Platform:
        """The ConfuciuX paper's budget: ``min + mul·(max − min)`` of the ``constraint``
        resource over the four corner designs (every layer at (Pmax, kmax), (Pmin, kmin),
        (Pmax, kmin), (Pmin, kmax)); a layer a corner cannot use (not costable, or impossible
        unless ``allow_impossible``) takes the usable option nearest to it.  With several
        dataflows, min and max are taken over the corner designs of every dataflow (so the budget
        differs from each single dataflow's: compare dataflows at one absolute budget, not at one
        ``mul``)."""
        hardware = Hardware.default() if hardware is None else hardware
        if constraint not in BUDGET_KEYS:
            raise ValueError(f"unknown constraint {constraint!r}; expected one of {list(BUDGET_KEYS)}")
        if isinstance(mul, bool) or not isinstance(mul, (int, float)) or not 0 <= mul <= 1:
            raise ValueError(f"mul must be a number in [0, 1], got {mul!r}")
        if mapping_spec(dataflow) is not None:
            raise ValueError("Platform.confuciux's budget comes from fixed-dataflow corner designs; a searched "
                             "mapping has none: give an absolute budget, Platform(MappingSpace(), budgets={...})")
        base = cls(dataflow, hardware=hardware, deployment=deployment, pe_levels=pe_levels, buffer_levels=buffer_levels,
                   pe_bounds=pe_bounds, buffer_bounds=buffer_bounds, space=space,
                   allow_impossible=allow_impossible)  # fmt: skip
        corners: list[float] = []
        problem = None
        for dataflow_name in base.dataflows:
            try:
                for p in (base.pe_levels[-1], base.pe_levels[0]):
                    for k in (base.buffer_levels[-1], base.buffer_levels[0]):
                        pes, costs = base._corner(model, dataflow_name, p, k)
                        corners.append(float(base.usage(pes, costs)[constraint]))
            except _Uncostable as e:  # this dataflow cannot run the model: its corners do not count
                problem = problem or str(e)
        if not corners:
            raise ValueError(f"no design of model {getattr(model, 'name', '?')!r} can be costed: {problem}")
        lo, hi = min(corners), max(corners)
        budget = lo + mul * (hi - lo)
        return dataclasses.replace(base, budgets={constraint: budget}, name=f"confuciux {constraint} x{mul:g}")

    @classmethod
    def cloud_fpga(cls, dataflow: PlatformDataflow = "dla", hardware: Hardware | None = None) -> Platform:
        """The ConfuciuX FPGA case study's cloud device: 4096 PEs and 8 KiB of L1 in all.

        Interpretation (docs/problem.md): layer-pipelined, the PE budget is ΣP_i and the L1
        budget is the per-PE L1 size summed over layers, as ConfuciuX's "buffer" resource."""
        return cls(dataflow, hardware=Hardware.default() if hardware is None else hardware, deployment="LP",
                   budgets={"pes": 4096, "l1_bytes": 8 * 1024}, name="cloud FPGA")  # fmt: skip

    @classmethod
    def edge_fpga(cls, dataflow: PlatformDataflow = "dla", hardware: Hardware | None = None) -> Platform:
        """The edge device of the FPGA case study: 256 PEs and 4 KiB of L1 (see cloud_fpga)."""
        return cls(dataflow, hardware=Hardware.default() if hardware is None else hardware, deployment="LP",
                   budgets={"pes": 256, "l1_bytes": 4 * 1024}, name="edge FPGA")  # fmt: skip

    def usage(self, pes: np.ndarray, costs: Any) -> dict[str, np.ndarray]:
        """Resources a design uses, per budget key, from its per-layer ``pes`` (..., N) and
        ``costs`` (a :class:`LayerCosts` of the same shape): sums (LP) or one accelerator sized
        for the largest need (LS), computed by :class:`~confuciux.budgets.Budgets`."""
        per = {k: np.asarray(getattr(costs, k), dtype=np.float64) for k in ("area", "power", "l1_bytes", "l2_bytes")}
        per["pes"] = np.asarray(pes, dtype=np.float64)
        return self.limits.usage(per, BUDGET_KEYS)
