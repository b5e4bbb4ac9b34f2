"""Thin binding to the compiled kernel ``confuciux._cost_model`` (csrc/cost_model.c).

Converts validated NumPy arrays to the kernel's struct-of-arrays and makes one C call per batch.
``AVAILABLE`` is False when the extension was not built; callers then use the NumPy reference.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..hardware import Hardware
from .reference import DATAFLOW_IDS, FLOAT_FIELDS, INT_FIELDS

try:
    from .._cost_model import ffi, lib  # type: ignore[import-not-found]

    AVAILABLE = True
except ImportError:  # built without a C compiler, or run from a source tree
    ffi = lib = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "evaluate_points", "area_power_points"]


@lru_cache(maxsize=64)
def _hardware_struct(hw: Hardware) -> Any:
    a2, a1, a0 = hw.arbiter_poly
    return ffi.new(
        "cx_hardware *",
        {
            "mac_energy": hw.mac_energy,
            "l1_energy": hw.l1_energy,
            "l2_energy": hw.l2_energy,
            "maestro_energy": int(hw.maestro_energy),
            "mac_area": hw.mac_area,
            "l1_area": hw.l1_area,
            "l2_area": hw.l2_area,
            "mac_power": hw.mac_power,
            "l1_power": hw.l1_power,
            "l2_power": hw.l2_power,
            "noc_bandwidth": hw.noc_bandwidth,
            "noc_bandwidth_per_pe": hw.noc_bandwidth_per_pe,
            "bus_area_per_port": hw.bus_area_per_port,
            "bus_area_base": hw.bus_area_base,
            "bus_power_per_port": hw.bus_power_per_port,
            "bus_power_base": hw.bus_power_base,
            "arbiter_area": hw.arbiter_area,
            "arbiter_area_floor": hw.arbiter_area_floor,
            "arbiter_power": hw.arbiter_power,
            "arbiter_power_floor": hw.arbiter_power_floor,
            "arbiter_a2": a2,
            "arbiter_a1": a1,
            "arbiter_a0": a0,
        },
    )


def _i64(a: np.ndarray) -> Any:
    return ffi.from_buffer("int64_t[]", a)


def evaluate_points(
    dims: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
) -> dict[str, np.ndarray]:
    """Same contract as :func:`confuciux.cost.reference.evaluate_points`, except that ``pes`` and
    ``ktile`` may hold several designs: their size is a multiple ``D`` of the number of layers
    ``N`` and point ``d*N + l`` is layer ``l``.  ``dims`` must be C-contiguous int64 (N, 6)."""
    n_layers = dims.shape[0]
    n = pes.size
    n_designs = n // n_layers if n_layers else 0
    cols = np.ascontiguousarray(dims.T)  # (6, N): one row per dimension
    dw = np.ascontiguousarray(depthwise, dtype=np.uint8)
    ints = np.empty((len(INT_FIELDS), n), dtype=np.int64)
    reals = np.empty((len(FLOAT_FIELDS), n), dtype=np.float64)
    status = np.empty(n, dtype=np.uint8)

    layers = ffi.new("cx_layers *")
    base = _i64(cols)
    layers.K, layers.C, layers.Y = base, base + n_layers, base + 2 * n_layers
    layers.X, layers.R, layers.S = base + 3 * n_layers, base + 4 * n_layers, base + 5 * n_layers
    layers.depthwise = ffi.from_buffer("uint8_t[]", dw)
    out = ffi.new("cx_costs *")
    ip, rp = _i64(ints), ffi.from_buffer("double[]", reals)
    for j, name in enumerate(INT_FIELDS):
        setattr(out, name, ip + j * n)
    for j, name in enumerate(FLOAT_FIELDS):
        setattr(out, name, rp + j * n)
    out.status = ffi.from_buffer("uint8_t[]", status)
    rc = lib.cx_evaluate(
        layers, n_layers, _i64(pes), _i64(ktile), n_designs, DATAFLOW_IDS[dataflow],
        _hardware_struct(hardware), out,
    )  # fmt: skip
    if rc != 0:  # unreachable: the dataflow was validated by the caller
        raise ValueError(f"unknown dataflow {dataflow!r}")
    result = dict(zip(INT_FIELDS, ints))
    result.update(zip(FLOAT_FIELDS, reals))
    result["status"] = status
    return result


def area_power_points(
    pes: np.ndarray, l1_bytes: np.ndarray, l2_bytes: np.ndarray, hardware: Hardware
) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and power (mW) for contiguous int64 arrays of equal size."""
    area = np.empty(pes.size, dtype=np.float64)
    power = np.empty(pes.size, dtype=np.float64)
    lib.cx_area_power(
        _i64(pes), _i64(l1_bytes), _i64(l2_bytes), pes.size, _hardware_struct(hardware),
        ffi.from_buffer("double[]", area), ffi.from_buffer("double[]", power),
    )  # fmt: skip
    return area, power
