"""Hardware parameters of the cost model: per-access energies, area and power coefficients.

A :class:`Hardware` value is handed to the C kernel as one struct.  Runtime, L1 and L2 sizes do
not depend on it (the NoC never limits runtime in this model: every transfer costs one cycle);
only energy, area and power do.

Units: energy in nJ, area in µm², power in mW, bandwidth in elements per cycle, buffer sizes in
bytes (one byte per element, as in MAESTRO).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Hardware"]

_PRESETS: dict[str, Hardware] = {}


_UNIT = 0.00023  # MAESTRO's MAC energy, nJ per 8-bit MAC
_BUS_PORT = 150.0  # µm² per PE port of a one-element bus (the default preset)
# Coefficients that must be > 0: every PE has a MAC, so any design then has a positive area and
# power and budgets on them mean something.  The others must be >= 0, the arbiter polynomial
# (a2, a1, a0) may have any finite coefficients (MAESTRO's a0 is negative).
_POSITIVE = ("mac_area", "mac_power")


@dataclass(frozen=True)
class Hardware:
    """Energy, area and power coefficients of an accelerator built from P PEs, one private L1
    per PE, one shared L2 and a bus with an arbiter.

    Energy (nJ) of one layer::

        mac_energy·MACs + l1_energy·(L1 reads + writes) + l2_energy·(L2 reads + writes)

    With ``maestro_energy=True`` the accounting is MAESTRO's instead: no MAC energy, no output
    L2 reads, and the L1 term only for depthwise (``dpt``) layers — see docs/cost-model.md.

    Area (µm²) and power (mW) of one sub-accelerator with ``P`` PEs, ``L1`` bytes per PE and an
    ``L2`` of ``L2`` bytes, with ``B = noc_bandwidth + noc_bandwidth_per_pe·P``::

        P·(mac_area + l1_area·L1) + l2_area·L2
          + (bus_area_per_port·P + bus_area_base)·B
          + arbiter_area·max(arbiter_area_floor, q(P))

    and likewise for power, where ``q(P) = a2·P² + a1·P + a0`` is the arbiter's complexity
    (``arbiter_poly = (a2, a1, a0)``).

    Every coefficient is a finite real number (stored as float): ``mac_area`` and ``mac_power``
    > 0, the arbiter polynomial any sign, every other one >= 0; anything else is a ValueError or
    TypeError naming the field.  ``Hardware()`` has the coefficients of :meth:`default` (a
    realistic design; name ``"custom"``), so ``Hardware(l2_area=2.0)`` changes one of them.
    A point whose energy, area or power does not fit a float64 (huge coefficients) is reported
    as an overflow (invalid), never as ``inf``.
    """

    # energy, nJ per MAC / per byte accessed
    mac_energy: float = _UNIT
    l1_energy: float = 1.68 * _UNIT
    l2_energy: float = 18.61 * _UNIT
    maestro_energy: bool = False
    # area, µm² per MAC unit / per byte of SRAM
    mac_area: float = 283.0
    l1_area: float = 0.127 * 8 / 0.25
    l2_area: float = 0.127 * 8 / 0.70
    # power, mW per MAC unit / per byte of SRAM
    mac_power: float = 1.2223
    l1_power: float = 0.00345
    l2_power: float = 0.00345
    # NoC: bus of B elements/cycle over P ports
    noc_bandwidth: float = 1.0
    noc_bandwidth_per_pe: float = 0.0
    bus_area_per_port: float = _BUS_PORT
    bus_area_base: float = 0.0
    bus_power_per_port: float = _BUS_PORT * (0.8e-3 / 101.7938)
    bus_power_base: float = 0.0
    # arbiter
    arbiter_area: float = 0.0
    arbiter_area_floor: float = 0.0
    arbiter_power: float = 0.0
    arbiter_power_floor: float = 0.0
    arbiter_poly: tuple[float, float, float] = (0.0, 0.0, 0.0)
    name: str = "custom"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Hardware.name must be a str, got {type(self.name).__name__}")
        if not isinstance(self.maestro_energy, (bool, np.bool_)):
            raise TypeError(f"Hardware.maestro_energy must be a bool, got {self.maestro_energy!r}")
        object.__setattr__(self, "maestro_energy", bool(self.maestro_energy))
        poly = self.arbiter_poly
        if not isinstance(poly, (tuple, list)) or len(poly) != 3:
            raise TypeError(f"Hardware.arbiter_poly must be a tuple (a2, a1, a0), got {poly!r}")
        object.__setattr__(self, "arbiter_poly", tuple(_real(f"arbiter_poly[{i}]", v) for i, v in enumerate(poly)))
        for f in fields(self):
            if f.name in ("name", "maestro_energy", "arbiter_poly"):
                continue
            v = _real(f.name, getattr(self, f.name))
            if f.name in _POSITIVE and not v > 0:
                raise ValueError(f"Hardware.{f.name} must be > 0 (every PE has a MAC), got {v!r}")
            if v < 0:
                raise ValueError(f"Hardware.{f.name} must be >= 0, got {v!r}")
            object.__setattr__(self, f.name, v)

    @classmethod
    def maestro(cls) -> Hardware:
        """MAESTRO's cost database as ConfuciuX runs it (``--noc_bw_cstr=81920000``).

        Reproduces MAESTRO's printed energy, area and power, quirks included: the NoC bus sized
        for 81,920,000 elements/cycle is more than 99.99999 % of the area, and energy leaves out
        MAC energy and, for dla/shi/eye, all L1 traffic.
        """
        preset = _PRESETS.get("maestro")
        if preset is not None:  # presets are immutable: build each once
            return preset
        unit = _UNIT
        preset = _PRESETS["maestro"] = cls(
            mac_energy=unit,
            l1_energy=1.68 * unit,
            l2_energy=18.61 * unit,
            maestro_energy=True,
            mac_area=283.0,
            l1_area=0.104,
            l2_area=0.104,
            mac_power=1.2223,
            l1_power=0.00345,
            l2_power=0.00345,
            noc_bandwidth=81_920_000.0,
            noc_bandwidth_per_pe=0.0,
            bus_area_per_port=101.7938 * 14.662,
            bus_area_base=101.7938 * 28.895,
            bus_power_per_port=0.8 * 14.662 / 1000.0,
            bus_power_base=0.8 * 28.895 / 1000.0,
            arbiter_area=395.473,
            arbiter_area_floor=1.0,
            arbiter_power=0.34 / 1000.0,
            arbiter_power_floor=1000.0,
            arbiter_poly=(1.2886, 5.5814, -23.711),
            name="maestro",
        )
        return preset

    @classmethod
    def default(cls) -> Hardware:
        """A realistic design: same runtime and buffer sizes as MAESTRO, but every access counted
        and buffers that cost area.

        Energy: MAESTRO's per-access energies (MAC 0.23 pJ, L1 1.68x, L2 18.61x a MAC), with MAC
        energy, all L1 traffic and output L2 reads counted.  Area: 283 µm² per MAC (MAESTRO),
        SRAM from a 0.127 µm² 28 nm bitcell at 25 % array efficiency for small per-PE L1s
        (4.0 µm²/byte) and 70 % for the L2 macro (1.5 µm²/byte); a NoC one element wide with
        150 µm² per PE port and no quadratic matrix arbiter.  Power: MAESTRO's MAC and SRAM
        coefficients, NoC at MAESTRO's power/area ratio.  Sources: docs/cost-model.md.
        """
        preset = _PRESETS.get("default")
        if preset is None:  # presets are immutable: build each once
            preset = _PRESETS["default"] = cls(name="default")  # the field defaults are this design
        return preset


def _real(name: str, value: object) -> float:
    """``value`` as a finite float, or a TypeError/ValueError naming the field."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"Hardware.{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"Hardware.{name} must be finite, got {value!r}")
    return v
