"""Hardware parameters of the cost model: MAESTRO's hardware flags, per-access energies, area and
power coefficients.

A :class:`Hardware` value is handed to the C kernel as one struct.  Runtime, L1 and L2 sizes
depend only on its MAESTRO flags (NoC bandwidth, hops, hop latency, multicast, SIMD lanes,
off-chip bandwidth), whose defaults are ConfuciuX's; energy, area and power on its coefficients.

Units: energy in nJ, area in µm², power in mW, bandwidth in elements per cycle, buffer sizes in
bytes (one byte per element, as in MAESTRO).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from ._deprecation import deprecated, renamed_keywords

__all__ = ["Hardware", "CONFUCIUX_FLAGS", "FLAGS"]

_PRESETS: dict[str, Hardware] = {}


_UNIT = 0.00023  # MAESTRO's MAC energy, nJ per 8-bit MAC
_BUS_PORT = 150.0  # µm² per PE port of a one-element bus (the default preset)
# Coefficients that must be > 0: every PE has a MAC, so any design then has a positive area and
# power and budgets on them mean something.  The others must be >= 0, the arbiter polynomial
# (a2, a1, a0) may have any finite coefficients (MAESTRO's a0 is negative).
_POSITIVE = ("mac_area", "mac_power")
#: MAESTRO reads its flags into 32-bit ints.
_FLAG_MAX = 2**31 - 1

#: MAESTRO's hardware flags as :class:`Hardware` fields, with ConfuciuX's values (its MAESTRO
#: command line; the off-chip bandwidth is MAESTRO's default, which ConfuciuX does not set): the
#: closed forms of the presets assume these.
CONFUCIUX_FLAGS: MappingProxyType[str, int | bool] = MappingProxyType({
    "noc_bandwidth": 81_920_000, "noc_hops": 1, "noc_hop_latency": 1, "multicast": True, "simd_lanes": 1,
    "offchip_bandwidth": 70_000,
})  # fmt: skip
#: Each flag's MAESTRO command-line option and the general engine's keyword
#: (:func:`confuciux.cost.engine.evaluate`).
FLAGS: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "noc_bandwidth": ("--noc_bw_cstr", "noc_bw"), "noc_hops": ("--noc_hops", "noc_hops"),
    "noc_hop_latency": ("--noc_hop_latency", "noc_hop_latency"), "multicast": ("--noc_mc_support", "multicast"),
    "simd_lanes": ("--num_simd_lanes", "simd"), "offchip_bandwidth": ("--offchip_bw_cstr", "offchip_bw"),
})  # fmt: skip
#: Flags that change no number MAESTRO prints (its analysis ignores multicast support: every
#: NoC it builds multicasts), so the closed forms hold whatever their value.
_IGNORED_FLAGS = ("multicast",)
_NOT_COEFFICIENTS = ("name", "maestro_energy", "arbiter_poly", *CONFUCIUX_FLAGS)


@renamed_keywords({"noc_bandwidth_per_pe": "bus_width_per_pe"})
@dataclass(frozen=True)
class Hardware:
    """MAESTRO's hardware flags and the energy, area and power coefficients of an accelerator
    built from P PEs, one private L1 per PE, one shared L2 and a bus with an arbiter.

    MAESTRO's flags (its command line; defaults :data:`CONFUCIUX_FLAGS`, ConfuciuX's): they
    change what MAESTRO's analysis gives — runtime, bandwidth needs, delays — never the traffic
    or the buffer sizes.  ``noc_bandwidth`` elements/cycle of every NoC (``--noc_bw_cstr``,
    81,920,000), ``noc_hops`` and ``noc_hop_latency`` (cycles per hop; 1 and 1), ``multicast``
    (``--noc_mc_support``, True; MAESTRO's analysis ignores it), ``simd_lanes`` MACs per PE
    (``--num_simd_lanes``, 1), ``offchip_bandwidth`` elements/cycle (``--offchip_bw_cstr``,
    70,000).  Integers in MAESTRO's 32-bit range (hops and latency >= 0, the others >= 1).  The
    closed forms of the presets assume ConfuciuX's values (:attr:`confuciux_flags`); with others
    every dataflow goes through the general engine (docs/dataflows.md).

    Energy (nJ) of one layer::

        mac_energy·MACs + l1_energy·(L1 reads + writes) + l2_energy·(L2 reads + writes)

    With ``maestro_energy=True`` the accounting is MAESTRO's instead: no MAC energy, no output
    L2 reads, and the L1 term only for single-level programs (``dpt``) — see docs/cost-model.md.

    Area (µm²) and power (mW) of one sub-accelerator with ``P`` PEs of ``simd_lanes`` MACs each,
    ``L1`` bytes per PE and an ``L2`` of ``L2`` bytes, with a bus built for
    ``B = bus_width + bus_width_per_pe·P`` elements/cycle::

        P·(simd_lanes·mac_area + l1_area·L1) + l2_area·L2
          + (bus_area_per_port·P + bus_area_base)·B
          + arbiter_area·max(arbiter_area_floor, q(P))

    and likewise for power, where ``q(P) = a2·P² + a1·P + a0`` is the arbiter's complexity
    (``arbiter_poly = (a2, a1, a0)``).  (Before 0.2 ``noc_bandwidth`` and ``noc_bandwidth_per_pe``
    sized this bus: ``bus_width_per_pe`` takes the old keyword with a FutureWarning until 0.3, and
    a float ``noc_bandwidth`` — the flag is an int — is read as ``bus_width`` with one.)

    Every coefficient is a finite real number (stored as float): ``mac_area`` and ``mac_power``
    > 0, the arbiter polynomial any sign, every other one >= 0; anything else is a ValueError or
    TypeError naming the field.  ``Hardware()`` has the coefficients and flags of :meth:`default`
    (a realistic design; name ``"custom"``), so ``Hardware(l2_area=2.0)`` changes one of them.
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
    # NoC: bus built for B elements/cycle over P ports
    bus_width: float = 1.0
    bus_width_per_pe: float = 0.0
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
    # MAESTRO's flags (ConfuciuX's values)
    noc_bandwidth: int = 81_920_000
    noc_hops: int = 1
    noc_hop_latency: int = 1
    multicast: bool = True
    simd_lanes: int = 1
    offchip_bandwidth: int = 70_000

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
        if isinstance(self.noc_bandwidth, (float, np.floating)):  # the field's meaning before 0.2: the bus
            deprecated("Hardware(noc_bandwidth=<float>) for the bus's size (noc_bandwidth is MAESTRO's NoC "
                       "bandwidth flag now, an int)", "bus_width=", user=True, stacklevel=5)  # fmt: skip
            object.__setattr__(self, "bus_width", self.noc_bandwidth)
            object.__setattr__(self, "noc_bandwidth", CONFUCIUX_FLAGS["noc_bandwidth"])
        for f in fields(self):
            if f.name in _NOT_COEFFICIENTS:
                continue
            v = _real(f.name, getattr(self, f.name))
            if f.name in _POSITIVE and not v > 0:
                raise ValueError(f"Hardware.{f.name} must be > 0 (every PE has a MAC), got {v!r}")
            if v < 0:
                raise ValueError(f"Hardware.{f.name} must be >= 0, got {v!r}")
            object.__setattr__(self, f.name, v)
        for flag in CONFUCIUX_FLAGS:
            object.__setattr__(self, flag, _flag(flag, getattr(self, flag)))

    @property
    def noc_bandwidth_per_pe(self) -> float:
        """Former name of :attr:`bus_width_per_pe` (FutureWarning until 0.3.0)."""
        deprecated("Hardware.noc_bandwidth_per_pe", "Hardware.bus_width_per_pe", user=True)
        return self.bus_width_per_pe

    @property
    def flags(self) -> dict[str, int | bool]:
        """MAESTRO's flags, by field name (:data:`CONFUCIUX_FLAGS`'s keys)."""
        return {flag: getattr(self, flag) for flag in CONFUCIUX_FLAGS}

    @property
    def engine_flags(self) -> dict[str, int | bool]:
        """The flags as the general engine's keywords (:func:`confuciux.cost.engine.evaluate`)."""
        return {FLAGS[flag][1]: value for flag, value in self.flags.items()}

    @functools.cached_property
    def confuciux_flags(self) -> bool:
        """Whether MAESTRO runs with ConfuciuX's flags here (up to flags it ignores): the closed
        forms of the presets hold only then."""
        return all(getattr(self, f) == v for f, v in CONFUCIUX_FLAGS.items() if f not in _IGNORED_FLAGS)

    @classmethod
    def maestro(cls, **flags: Any) -> Hardware:
        """MAESTRO's cost database as ConfuciuX runs it (``--noc_bw_cstr=81920000``), or with
        other MAESTRO ``flags`` (``noc_bandwidth=``, ``noc_hops=``, ``noc_hop_latency=``,
        ``multicast=``, ``simd_lanes=``, ``offchip_bandwidth=``; see :class:`Hardware`).

        Reproduces MAESTRO's printed energy, area and power, quirks included: its NoC bus is built
        for the NoC bandwidth (``bus_width = noc_bandwidth``): at 81,920,000 elements/cycle more
        than 99.99999 % of the area; energy leaves out MAC energy and, for dla/shi/eye, all L1
        traffic; a PE's MAC area and power grow with its SIMD lanes.
        """
        preset = _PRESETS.get("maestro")
        if preset is None:  # presets are immutable: build each once
            preset = _PRESETS["maestro"] = cls._maestro()
        if not flags:
            return preset
        _only_flags(flags)
        if "noc_bandwidth" in flags:  # MAESTRO builds its bus for the NoC bandwidth
            flags["bus_width"] = float(_flag("noc_bandwidth", flags["noc_bandwidth"]))
        return dataclasses.replace(preset, **flags)

    @classmethod
    def _maestro(cls) -> Hardware:
        unit = _UNIT
        return cls(
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
            bus_width=81_920_000.0,
            bus_width_per_pe=0.0,
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

    @classmethod
    def default(cls, **flags: Any) -> Hardware:
        """A realistic design: same runtime and buffer sizes as MAESTRO (with ConfuciuX's flags,
        or the MAESTRO ``flags`` given, as for :meth:`maestro`), but every access counted and
        buffers that cost area; the bus stays one element wide per port whatever the NoC
        bandwidth flag (set ``bus_width`` to size it).

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
        if not flags:
            return preset
        _only_flags(flags)
        return dataclasses.replace(preset, **flags)


def _only_flags(given: dict[str, Any]) -> None:
    unknown = sorted(set(given) - set(CONFUCIUX_FLAGS))
    if unknown:
        raise TypeError(f"unknown MAESTRO flag {unknown[0]!r}; the flags are {', '.join(CONFUCIUX_FLAGS)}")


def _flag(name: str, value: object) -> int | bool:
    """A MAESTRO flag checked: multicast a bool, the others ints in MAESTRO's 32-bit range."""
    if name == "multicast":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"Hardware.multicast must be a bool, got {value!r}")
        return bool(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Hardware.{name} must be an int (MAESTRO's {FLAGS[name][0]}), got {value!r}")
    low = 0 if name in ("noc_hops", "noc_hop_latency") else 1
    if not low <= int(value) <= _FLAG_MAX:
        raise ValueError(f"Hardware.{name} must be in {low}..{_FLAG_MAX} (MAESTRO's 32-bit {FLAGS[name][0]}), "
                         f"got {value!r}")  # fmt: skip
    return int(value)


def _real(name: str, value: object) -> float:
    """``value`` as a finite float, or a TypeError/ValueError naming the field."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"Hardware.{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"Hardware.{name} must be finite, got {value!r}")
    return v
