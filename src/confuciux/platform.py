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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._limits import KERNEL_INT_MAX
from .cost import DATAFLOWS, evaluate
from .hardware import Hardware

__all__ = ["Platform", "BUDGET_KEYS", "DEPLOYMENTS", "CONFUCIUX_PES", "CONFUCIUX_BUFFERS"]

BUDGET_KEYS = ("area", "power", "pes", "l1_bytes", "l2_bytes")
DEPLOYMENTS = ("LP", "LS")
#: ConfuciuX's action space: PE levels and buffer (KTileSz) levels.
CONFUCIUX_PES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128)
CONFUCIUX_BUFFERS = tuple(range(1, 13))


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
    if not 1 <= level <= KERNEL_INT_MAX:
        raise ValueError(
            f"{name}[{i}] must be in [1, 2**63 - 1] (the cost model computes in 64-bit integers), got {_show(level)}"
        )
    return level


def _levels(name: str, values: Any) -> tuple[int, ...]:
    """An action-space axis: a non-empty, strictly increasing sequence of whole numbers within
    the kernel's range [1, 2**63 - 1]."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of integers, got {_show(values)}")
    levels = tuple(_level(name, i, v) for i, v in enumerate(values))
    if not levels:
        raise ValueError(f"{name} must not be empty")
    if list(levels) != sorted(set(levels)):
        raise ValueError(f"{name} must be strictly increasing, got {_show(levels)}")
    return levels


#: Units of each budget, for messages (module docstring).
_BUDGET_UNITS = {"area": "µm²", "power": "mW", "pes": "PEs", "l1_bytes": "bytes", "l2_bytes": "bytes"}


def _budget(key: Any, value: Any) -> float:
    """One budget limit: a known key and a finite positive number."""
    if key not in BUDGET_KEYS:
        raise ValueError(f"unknown budget {_show(key)}; expected some of {list(BUDGET_KEYS)}")
    unit = _BUDGET_UNITS[key]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"budget {key!r} must be a number ({unit}), got {_show(value)}")
    try:
        limit = float(value)
    except OverflowError:  # an int beyond the float range
        limit = math.inf
    if not math.isfinite(limit) or limit <= 0:
        raise ValueError(f"budget {key!r} must be a finite number > 0 ({unit}), got {_show(value)}")
    return limit


@dataclass(frozen=True)
class Platform:
    """What a design must fit: ``dataflow`` (dla/shi/eye; depthwise layers use dpt),
    ``hardware`` coefficients, ``deployment`` (LP or LS), ``budgets`` (a mapping from
    :data:`BUDGET_KEYS` to limits in µm², mW, PEs or bytes) and the action space
    (``pe_levels`` × ``buffer_levels``, ConfuciuX's by default)."""

    dataflow: str = "dla"
    hardware: Hardware = field(default_factory=Hardware.default)
    deployment: str = "LP"
    budgets: Mapping[str, float] = field(default_factory=dict)
    pe_levels: tuple[int, ...] = CONFUCIUX_PES
    buffer_levels: tuple[int, ...] = CONFUCIUX_BUFFERS
    name: str = "custom"

    def __post_init__(self) -> None:
        if not isinstance(self.dataflow, str) or self.dataflow.lower() not in DATAFLOWS:
            raise ValueError(f"unknown dataflow {self.dataflow!r}; expected one of {list(DATAFLOWS)}")
        object.__setattr__(self, "dataflow", self.dataflow.lower())
        if not isinstance(self.hardware, Hardware):
            raise TypeError(f"hardware must be a confuciux.Hardware, got {type(self.hardware).__name__}")
        if not isinstance(self.deployment, str) or self.deployment.upper() not in DEPLOYMENTS:
            raise ValueError(f"unknown deployment {self.deployment!r}; expected 'LP' or 'LS'")
        object.__setattr__(self, "deployment", self.deployment.upper())
        if not isinstance(self.budgets, Mapping):
            raise TypeError("budgets must be a mapping such as {'area': 1e6}")
        budgets = {key: _budget(key, value) for key, value in self.budgets.items()}
        object.__setattr__(self, "budgets", budgets)
        object.__setattr__(self, "pe_levels", _levels("pe_levels", self.pe_levels))
        object.__setattr__(self, "buffer_levels", _levels("buffer_levels", self.buffer_levels))

    @classmethod
    def confuciux(
        cls,
        model: Any,
        dataflow: str = "dla",
        constraint: str = "area",
        mul: float = 0.5,
        hardware: Hardware | None = None,
        deployment: str = "LP",
        pe_levels: tuple[int, ...] = CONFUCIUX_PES,
        buffer_levels: tuple[int, ...] = CONFUCIUX_BUFFERS,
    ) -> Platform:
        """The ConfuciuX paper's budget: ``min + mul·(max − min)`` of the ``constraint``
        resource over the four corner designs (every layer at (Pmax, kmax), (Pmin, kmin),
        (Pmax, kmin), (Pmin, kmax))."""
        hardware = Hardware.default() if hardware is None else hardware
        if constraint not in BUDGET_KEYS:
            raise ValueError(f"unknown constraint {constraint!r}; expected one of {list(BUDGET_KEYS)}")
        if isinstance(mul, bool) or not isinstance(mul, (int, float)) or not 0 <= mul <= 1:
            raise ValueError(f"mul must be a number in [0, 1], got {mul!r}")
        base = cls(dataflow, hardware, deployment, {}, pe_levels, buffer_levels)
        corners = []
        for p in (base.pe_levels[-1], base.pe_levels[0]):
            for k in (base.buffer_levels[-1], base.buffer_levels[0]):
                costs = evaluate(model, p, k, base.dataflow, hardware)
                corners.append(base.usage(np.full(len(costs.runtime), p), costs)[constraint])
        lo, hi = float(np.nanmin(corners)), float(np.nanmax(corners))
        if not math.isfinite(lo):
            raise ValueError("no corner design of this model can be costed on this dataflow")
        budget = lo + mul * (hi - lo)
        return cls(base.dataflow, hardware, base.deployment, {constraint: budget}, base.pe_levels,
                   base.buffer_levels, name=f"confuciux {constraint} x{mul:g}")  # fmt: skip

    @classmethod
    def cloud_fpga(cls, dataflow: str = "dla", hardware: Hardware | None = None) -> Platform:
        """The ConfuciuX FPGA case study's cloud device: 4096 PEs and 8 KiB of L1 in all.

        Interpretation (docs/problem.md): layer-pipelined, the PE budget is ΣP_i and the L1
        budget is the per-PE L1 size summed over layers, as ConfuciuX's "buffer" resource."""
        return cls(dataflow, Hardware.default() if hardware is None else hardware, "LP",
                   {"pes": 4096, "l1_bytes": 8 * 1024}, name="cloud FPGA")  # fmt: skip

    @classmethod
    def edge_fpga(cls, dataflow: str = "dla", hardware: Hardware | None = None) -> Platform:
        """The edge device of the FPGA case study: 256 PEs and 4 KiB of L1 (see cloud_fpga)."""
        return cls(dataflow, Hardware.default() if hardware is None else hardware, "LP",
                   {"pes": 256, "l1_bytes": 4 * 1024}, name="edge FPGA")  # fmt: skip

    def usage(self, pes: np.ndarray, costs: Any) -> dict[str, np.ndarray]:
        """Resources a design uses, per budget key, from its per-layer ``pes`` (..., N) and
        ``costs`` (a :class:`LayerCosts` of the same shape): sums (LP) or one accelerator sized
        for the largest need (LS)."""
        from .cost import area_power

        pes = np.asarray(pes, dtype=np.float64)
        if self.deployment == "LP":
            return {
                "area": np.sum(costs.area, axis=-1),
                "power": np.sum(costs.power, axis=-1),
                "pes": np.sum(pes, axis=-1),
                "l1_bytes": np.sum(costs.l1_bytes, axis=-1),
                "l2_bytes": np.sum(costs.l2_bytes, axis=-1),
            }
        p, l1, l2 = (np.max(a, axis=-1) for a in (pes, costs.l1_bytes, costs.l2_bytes))
        ok = np.isfinite(l1) & np.isfinite(l2)
        area = np.full(p.shape, np.nan)
        power = np.full(p.shape, np.nan)
        if np.any(ok):
            a, w = area_power(p[ok].astype(np.int64), l1[ok].astype(np.int64), l2[ok].astype(np.int64), self.hardware)
            area[ok], power[ok] = a, w
        return {"area": area, "power": power, "pes": p, "l1_bytes": l1, "l2_bytes": l2}
