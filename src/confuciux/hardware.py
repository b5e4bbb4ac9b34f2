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

from ._cache import state_without_caches

__all__ = ["Hardware"]

_PRESETS: dict[str, Hardware] = {}


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
    """

    # energy, nJ per MAC / per byte accessed
    mac_energy: float = 0.0
    l1_energy: float = 0.0
    l2_energy: float = 0.0
    maestro_energy: bool = False
    # area, µm² per MAC unit / per byte of SRAM
    mac_area: float = 0.0
    l1_area: float = 0.0
    l2_area: float = 0.0
    # power, mW per MAC unit / per byte of SRAM
    mac_power: float = 0.0
    l1_power: float = 0.0
    l2_power: float = 0.0
    # NoC: bus of B elements/cycle over P ports
    noc_bandwidth: float = 0.0
    noc_bandwidth_per_pe: float = 0.0
    bus_area_per_port: float = 0.0
    bus_area_base: float = 0.0
    bus_power_per_port: float = 0.0
    bus_power_base: float = 0.0
    # arbiter
    arbiter_area: float = 0.0
    arbiter_area_floor: float = 0.0
    arbiter_power: float = 0.0
    arbiter_power_floor: float = 0.0
    arbiter_poly: tuple[float, float, float] = (0.0, 0.0, 0.0)
    name: str = "custom"

    __getstate__ = state_without_caches

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "name":
                if not isinstance(value, str):
                    raise TypeError(f"Hardware.name must be a str, got {type(value).__name__}")
                continue
            if f.name == "maestro_energy":
                if not isinstance(value, bool):
                    raise TypeError("Hardware.maestro_energy must be a bool")
                continue
            values = value if f.name == "arbiter_poly" else (value,)
            if f.name == "arbiter_poly" and (not isinstance(value, tuple) or len(value) != 3):
                raise TypeError("Hardware.arbiter_poly must be a tuple (a2, a1, a0)")
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise TypeError(f"Hardware.{f.name} must be a real number, got {v!r}")
                if not math.isfinite(v):
                    raise ValueError(f"Hardware.{f.name} must be finite, got {v!r}")
                if f.name != "arbiter_poly" and v < 0:
                    raise ValueError(f"Hardware.{f.name} must be >= 0, got {v!r}")

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
        unit = 0.00023  # MAESTRO's MAC energy unit, nJ
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
        if preset is not None:
            return preset
        unit = 0.00023  # nJ per 8-bit MAC
        bus_port = 150.0  # µm² per PE port of a one-element bus
        preset = _PRESETS["default"] = cls(
            mac_energy=unit,
            l1_energy=1.68 * unit,
            l2_energy=18.61 * unit,
            maestro_energy=False,
            mac_area=283.0,
            l1_area=0.127 * 8 / 0.25,
            l2_area=0.127 * 8 / 0.70,
            mac_power=1.2223,
            l1_power=0.00345,
            l2_power=0.00345,
            noc_bandwidth=1.0,
            noc_bandwidth_per_pe=0.0,
            bus_area_per_port=bus_port,
            bus_area_base=0.0,
            bus_power_per_port=bus_port * (0.8e-3 / 101.7938),
            bus_power_base=0.0,
            name="default",
        )
        return preset
