"""Hardware: validated coefficients, a useful Hardware(), and no inf reported as a valid cost."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import confuciux
from confuciux import Hardware, Layer, area_power, evaluate, evaluate_layer

BACKENDS = ["numpy", "c"] if confuciux.BACKEND == "c" else ["numpy"]
LAYER = Layer(64, 32, 58, 58, 3, 3)


def test_hardware_without_arguments_is_the_default_design():
    hw = Hardware()
    assert dataclasses.replace(hw, name="default") == Hardware.default()
    assert hw.name == "custom" and Hardware.default().name == "default"
    c = evaluate(LAYER, 16, 4, hardware=hw)
    assert c.valid.all() and c.area[0] > 0 and c.power[0] > 0 and c.energy[0] > 0
    assert Hardware(l2_area=2.0).l2_area == 2.0 and Hardware(l2_area=2.0).mac_area == hw.mac_area


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"mac_area": 0.0}, ValueError, "mac_area must be > 0"),
        ({"mac_power": 0}, ValueError, "mac_power must be > 0"),
        ({"l1_area": -1.0}, ValueError, "l1_area must be >= 0"),
        ({"bus_width": -1e-9}, ValueError, "bus_width"),
        ({"noc_bandwidth": 0}, ValueError, "noc_bandwidth must be in 1..2147483647"),
        ({"noc_bandwidth": 2**31}, ValueError, "noc_bandwidth"),
        ({"noc_hops": -1}, ValueError, "noc_hops must be in 0.."),
        ({"simd_lanes": 2.0}, TypeError, "simd_lanes must be an int"),
        ({"offchip_bandwidth": True}, TypeError, "offchip_bandwidth"),
        ({"multicast": 1}, TypeError, "multicast must be a bool"),
        ({"l2_energy": float("nan")}, ValueError, "finite"),
        ({"mac_area": float("inf")}, ValueError, "finite"),
        ({"mac_area": "283"}, TypeError, "real number"),
        ({"mac_area": True}, TypeError, "real number"),
        ({"mac_area": None}, TypeError, "real number"),
        ({"arbiter_poly": (1.0, 2.0)}, TypeError, "arbiter_poly"),
        ({"arbiter_poly": "abc"}, TypeError, "arbiter_poly"),
        ({"arbiter_poly": (1.0, float("nan"), 0.0)}, ValueError, r"arbiter_poly\[1\]"),
        ({"maestro_energy": 1}, TypeError, "maestro_energy"),
        ({"name": 3}, TypeError, "name"),
    ],
)
def test_bad_coefficients(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Hardware(**kwargs)


def test_numbers_are_stored_as_floats():
    hw = Hardware(mac_area=300, arbiter_poly=[1, -2, 3], maestro_energy=np.bool_(True))
    assert type(hw.mac_area) is float and hw.arbiter_poly == (1.0, -2.0, 3.0)
    assert all(type(v) is float for v in hw.arbiter_poly) and hw.maestro_energy is True
    assert Hardware(arbiter_poly=(0.0, 0.0, -5.0)).arbiter_poly[2] == -5.0  # any sign


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"mac_area": 1e308},
        {"l2_energy": 1e308},
        {"mac_power": 1e308},
        {"bus_width": 1e200, "bus_area_per_port": 1e200},
    ],
)
def test_float_overflow_is_an_overflow_status_not_inf(backend, kwargs):
    hw = Hardware(**kwargs)
    c = evaluate(LAYER, 1 << 20, 4, hardware=hw, backend=backend)
    assert not c.valid[0] and c.status[0] == 2
    assert np.isnan(c.area[0]) and np.isnan(c.energy[0]) and np.isnan(c.runtime[0])
    point = evaluate_layer(LAYER, 1 << 20, 4, hardware=hw)
    assert not point.valid and point.status == 2 and np.isnan(point.area)
    # the status does not depend on which outputs are asked for
    only = evaluate(LAYER, 1 << 20, 4, hardware=hw, backend=backend, outputs=("runtime",))
    assert only.status[0] == 2 and np.isnan(only.runtime[0])


def test_large_but_finite_results_stay_valid():
    hw = Hardware(mac_area=1e250)  # beyond the kernel's "always finite" bound, yet finite here
    c = evaluate(LAYER, 16, 4, hardware=hw)
    assert c.valid[0] and np.isfinite(c.area[0]) and c.area[0] > 1e250
    ref = evaluate(LAYER, 16, 4, hardware=hw, backend="numpy")
    np.testing.assert_array_equal(ref.area, c.area)


def test_area_power_never_returns_inf():
    a, p = area_power(np.array([1, 1 << 40]), 10, 10, Hardware(mac_area=1e300))
    assert np.isfinite(a[0]) and np.isnan(a[1]) and np.isnan(p[1])


def test_pickle_and_equality_after_use():
    hw = Hardware(mac_area=250.0, name="mine")
    evaluate(LAYER, 16, 4, hardware=hw)  # the kernel's struct is cached for hw
    back = pickle.loads(pickle.dumps(hw))
    assert back == hw and hash(back) == hash(hw)
    np.testing.assert_array_equal(evaluate(LAYER, 16, 4, hardware=back).area, evaluate(LAYER, 16, 4, hardware=hw).area)
    assert pickle.loads(pickle.dumps(Hardware.maestro())) == Hardware.maestro()


def test_maestro_flags_are_fields_with_confuciux_values():
    for hw in (Hardware(), Hardware.default(), Hardware.maestro()):
        assert hw.flags == dict(confuciux.hardware.CONFUCIUX_FLAGS) and hw.confuciux_flags
        assert hw.engine_flags == {"noc_bw": 81_920_000, "noc_hops": 1, "noc_hop_latency": 1, "multicast": True,
                                   "simd": 1, "offchip_bw": 70_000}  # fmt: skip
    mine = Hardware.maestro(noc_bandwidth=64, simd_lanes=4)
    assert mine.noc_bandwidth == 64 and mine.bus_width == 64.0 and mine.simd_lanes == 4 and not mine.confuciux_flags
    assert Hardware.maestro(multicast=False).confuciux_flags  # MAESTRO's analysis ignores it
    assert Hardware.default(noc_hops=3).bus_width == 1.0 and Hardware.default(noc_hops=3).noc_hops == 3
    with pytest.raises(TypeError, match="unknown MAESTRO flag 'l1_area'"):
        Hardware.maestro(l1_area=2.0)


def test_simd_lanes_are_macs_of_a_pe():
    one, four = Hardware.maestro(), Hardware.maestro(simd_lanes=4)
    a1, w1 = area_power(16, 10, 100, one)
    a4, w4 = area_power(16, 10, 100, four)
    assert a4 - a1 == pytest.approx(16 * 3 * one.mac_area) and w4 - w1 == pytest.approx(16 * 3 * one.mac_power)


def test_the_bus_fields_former_names_warn_and_old_files_load():
    with pytest.warns(FutureWarning, match="bus_width_per_pe"):
        hw = Hardware(noc_bandwidth_per_pe=2.0)
    assert hw.bus_width_per_pe == 2.0
    with pytest.warns(FutureWarning, match="noc_bandwidth_per_pe"):
        assert hw.noc_bandwidth_per_pe == 2.0
    with pytest.warns(FutureWarning, match="bus_width="):  # a float: the bus, as before 0.2
        old = Hardware(noc_bandwidth=4.0)
    assert old.bus_width == 4.0 and old.noc_bandwidth == 81_920_000
    with pytest.raises(TypeError, match="both"):
        Hardware(noc_bandwidth_per_pe=1.0, bus_width_per_pe=1.0)
