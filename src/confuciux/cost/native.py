"""Thin binding to the compiled kernel ``confuciux._cost_model`` (csrc/cost_model.c).

Converts validated NumPy arrays to the kernel's struct-of-arrays and makes one C call per batch.
``AVAILABLE`` is False when the extension was not built; callers then use the NumPy reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hardware import Hardware
from .reference import COPIES, DATAFLOW_IDS, DISTINCT_FIELDS, FLOAT_FIELDS, full_dims

try:
    from .._cost_model import ffi, lib  # type: ignore[import-not-found]

    AVAILABLE = True
except ImportError:  # built without a C compiler, or run from a source tree
    ffi = lib = None
    AVAILABLE = False

_DEPTHWISE = {False: ffi.new("uint8_t[1]", [0]), True: ffi.new("uint8_t[1]", [1])} if AVAILABLE else {}

__all__ = ["AVAILABLE", "evaluate_blocks", "evaluate_points", "area_power_points"]


def _hardware_struct(hw: Hardware) -> Any:
    """The kernel's struct for ``hw``, built once per Hardware instance (instances are frozen)."""
    struct = hw.__dict__.get("_cx_struct")
    if struct is None:
        struct = _build_hardware_struct(hw)
        object.__setattr__(hw, "_cx_struct", struct)
    return struct


def _build_hardware_struct(hw: Hardware) -> Any:
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


def evaluate_blocks(
    cols: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One kernel call for D designs x N layers.

    ``cols``: C-contiguous int64 (10, N), rows :data:`LAYER_COLUMNS`; ``depthwise``: contiguous uint8
    (N,); ``pes``, ``ktile``: contiguous int64 of size D*N (point ``d*N + l`` is layer ``l``).
    Returns ``ints`` int64 (11, D*N) in :data:`DISTINCT_FIELDS` order, ``reals`` float64
    (4, D*N) in :data:`FLOAT_FIELDS` order and ``status`` uint8 (D*N,)."""
    n_layers = cols.shape[1]
    n = pes.size
    ints = np.empty((len(DISTINCT_FIELDS), n), dtype=np.int64)
    reals = np.empty((len(FLOAT_FIELDS), n), dtype=np.float64)
    status = np.empty(n, dtype=np.uint8)
    fb = ffi.from_buffer
    rc = lib.cx_evaluate_blocks(
        fb("int64_t[]", cols), fb("uint8_t[]", depthwise), n_layers,
        fb("int64_t[]", pes), fb("int64_t[]", ktile), n // n_layers if n_layers else 0,
        DATAFLOW_IDS[dataflow], _hardware_struct(hardware),
        fb("int64_t[]", ints), fb("double[]", reals), fb("uint8_t[]", status),
    )  # fmt: skip
    if rc != 0:  # unreachable: the dataflow was validated by the caller
        raise ValueError(f"unknown dataflow {dataflow!r}")
    return ints, reals, status


def evaluate_one(
    dims: Any, depthwise: bool, pes: int, ktile: int, dataflow: str, hardware: Hardware
) -> tuple[list[int], list[float], int]:
    """One point, with as little Python overhead as possible: ``dims`` is a cdata
    ``int64_t[10]`` (see :func:`layer_dims`).  Returns (11 distinct ints, 4 floats, status)."""
    buf = ffi.new("int64_t[13]", [pes, ktile])  # P, k, then the 11 distinct integer outputs
    reals = ffi.new("double[4]")
    status = ffi.new("uint8_t[1]")
    lib.cx_evaluate_blocks(
        dims, _DEPTHWISE[depthwise], 1, buf, buf + 1, 1, DATAFLOW_IDS[dataflow],
        _hardware_struct(hardware), buf + 2, reals, status,
    )  # fmt: skip
    return ffi.unpack(buf + 2, 11), ffi.unpack(reals, 4), status[0]


def layer_dims(values: tuple[int, ...]) -> Any:
    """A cdata int64_t[10] with the :data:`LAYER_COLUMNS` of one layer (for :func:`evaluate_one`)."""
    return ffi.new("int64_t[10]", values)


def evaluate_points(
    dims: np.ndarray,
    depthwise: np.ndarray,
    pes: np.ndarray,
    ktile: np.ndarray,
    dataflow: str,
    hardware: Hardware,
) -> dict[str, np.ndarray]:
    """Same contract as :func:`confuciux.cost.reference.evaluate_points` (``dims`` int64 (N, 10)),
    except that ``pes`` and ``ktile`` may hold several designs: D*N values, point ``d*N + l``
    being layer ``l``."""
    cols = np.ascontiguousarray(full_dims(dims).T)
    dw = np.ascontiguousarray(depthwise, dtype=np.uint8)
    ints, reals, status = evaluate_blocks(
        cols, dw, np.ascontiguousarray(pes, dtype=np.int64),
        np.ascontiguousarray(ktile, dtype=np.int64), dataflow, hardware,
    )  # fmt: skip
    result = dict(zip(DISTINCT_FIELDS, ints, strict=False))
    result.update({copy: result[of] for copy, of in COPIES.items()})
    result.update(zip(FLOAT_FIELDS, reals, strict=False))
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
