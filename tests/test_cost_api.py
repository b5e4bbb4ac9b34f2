"""The public cost API: shapes, broadcasting, totals, errors."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux import Hardware, area_power, evaluate, evaluate_layer

LAYERS = np.array(
    [
        [64, 3, 34, 34, 3, 3, 1],
        [128, 64, 18, 18, 3, 3, 1],
        [1, 128, 18, 18, 3, 3, 2],  # depthwise: dpt whatever dataflow is asked
        [256, 128, 8, 8, 1, 1, 1],
    ]
)


def test_shapes_and_broadcasting():
    n = len(LAYERS)
    assert evaluate(LAYERS, 16, 4).shape == (n,)
    assert evaluate(LAYERS, np.arange(1, n + 1), 4).shape == (n,)
    batch = evaluate(LAYERS, np.full((5, n), 16), np.arange(1, 6)[:, None])
    assert batch.shape == (5, n)
    for name in ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle"):
        assert getattr(batch, name).dtype == np.float64
    assert batch.valid.dtype == bool and len(batch.accesses) == 12
    # each design of the batch equals a separate call
    for d in range(5):
        one = evaluate(LAYERS, 16, d + 1)
        np.testing.assert_array_equal(batch.runtime[d], one.runtime)
        np.testing.assert_array_equal(batch.energy[d], one.energy)


def test_depthwise_uses_dpt_whatever_the_dataflow():
    dw = LAYERS[2:3]
    a, b = evaluate(dw, 8, 2, "dla"), evaluate(dw, 8, 2, "eye")
    np.testing.assert_array_equal(a.runtime, b.runtime)
    assert a.l1_bytes[0] == 6 * 2 * 9  # dpt L1 = 6kRS


def test_total_sums_layers():
    c = evaluate(LAYERS, np.full((3, len(LAYERS)), 32), 4, hardware=Hardware.maestro())
    t = c.total()
    assert t.shape == (3,)
    np.testing.assert_allclose(t.runtime, c.runtime.sum(axis=1))
    np.testing.assert_allclose(t.area, c.area.sum(axis=1))
    np.testing.assert_allclose(t.macs_per_cycle, c.macs.sum(axis=1) / c.runtime.sum(axis=1))
    assert t.valid.all()


def test_invalid_points_are_nan_never_zero():
    # shi with O_X < P <= X is a configuration MAESTRO reports with runtime 0
    layer = np.array([[8, 8, 10, 10, 3, 3]])
    c = evaluate(layer, 9, 1, "shi", Hardware.maestro())
    assert not c.valid[0] and c.status[0] == 1
    for name in ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle"):
        assert np.isnan(getattr(c, name)[0]), name
    assert c.total().valid == np.False_ and np.isnan(c.total().runtime)


def test_overflow_is_reported():
    c = evaluate(np.array([[2**40, 2**40, 2**20, 2**20, 3, 3]]), 1, 1)
    assert c.status[0] == 2 and not c.valid[0] and np.isnan(c.runtime[0])


def test_default_and_maestro_share_runtime_and_buffers():
    a = evaluate(LAYERS, 32, 6, "eye", Hardware.default())
    b = evaluate(LAYERS, 32, 6, "eye", Hardware.maestro())
    for name in ("runtime", "l1_bytes", "l2_bytes", "macs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert np.all(a.area < b.area) and np.all(a.energy > b.energy)


@pytest.mark.parametrize(
    "pes, buffers, exc, match",
    [
        (0, 4, ValueError, "pes must be >= 1"),
        (-3, 4, ValueError, "pes must be >= 1"),
        (16, 0, ValueError, "buffers must be >= 1"),
        (16.5, 4, ValueError, "whole numbers"),
        (np.nan, 4, ValueError, "whole numbers"),
        (True, 4, TypeError, "bool"),
        ("16", 4, TypeError, "integers"),
        (np.ones(3, dtype=int), 4, ValueError, "do not broadcast"),
        (2.0**70, 4, ValueError, "too large"),
    ],
)
def test_bad_designs(pes, buffers, exc, match):
    with pytest.raises(exc, match=match):
        evaluate(LAYERS, pes, buffers)


@pytest.mark.parametrize("pes", [np.ones(3, dtype=int), np.ones(0, dtype=int), [[1, 2]]])
def test_designs_whose_last_axis_is_not_the_one_layer_are_named(pes):
    """A vector against one layer broadcast to a last axis other than the layers' and failed in
    NumPy's reshape ("cannot reshape array of size 3 into shape (1,1)")."""
    with pytest.raises(ValueError, match=r"do not broadcast against 1 layers"):
        evaluate(LAYERS[:1], pes, 4)


def test_bad_design_error_names_the_layer():
    pes = np.array([16, 16, 0, 16])
    with pytest.raises(ValueError, match=r"layer 2"):
        evaluate(LAYERS, pes, 4)


@pytest.mark.parametrize(
    "layers, exc, match",
    [
        (np.array([[0, 3, 34, 34, 3, 3]]), ValueError, "layer 0: K must be >= 1"),
        (np.array([[4, 3, 34, 34, 3, 3], [4, 3, 2, 34, 3, 3]]), ValueError, r"layer 1: Y < R"),
        (np.array([[4, 3, 34, 2, 3, 3]]), ValueError, r"X < S"),
        (np.array([[4, 3, 34, 34, 3, 3, 5]]), ValueError, "T must be 1"),
        (np.array([[4, 3, 34, 34, 3]]), ValueError, "shape"),
        (np.array([[4.0, 3, 34, 34, 3, 3]]), TypeError, "integers"),
    ],
)
def test_bad_layers(layers, exc, match):
    with pytest.raises(exc, match=match):
        evaluate(layers, 16, 4)


def test_bad_options():
    with pytest.raises(ValueError, match="unknown dataflow"):
        evaluate(LAYERS, 16, 4, dataflow="tpu")
    with pytest.raises(TypeError, match="Hardware"):
        evaluate(LAYERS, 16, 4, hardware="maestro")
    with pytest.raises(ValueError, match="backend"):
        evaluate(LAYERS, 16, 4, backend="gpu")
    assert evaluate(LAYERS, 16, 4, dataflow="DLA").valid.all()  # case-insensitive


def test_area_power_matches_evaluate():
    hw = Hardware.default()
    c = evaluate(LAYERS, 48, 5, "dla", hw)
    a, p = area_power(48, c.l1_bytes.astype(int), c.l2_bytes.astype(int), hw)
    np.testing.assert_array_equal(a, c.area)
    np.testing.assert_array_equal(p, c.power)
    a2, _ = area_power(np.array([1, 2, 4]), 100, 1000, hw)
    assert a2.shape == (3,) and np.all(np.diff(a2) > 0)
    with pytest.raises(ValueError):
        area_power(0, 10, 10, hw)


def test_evaluate_layer_equals_evaluate():
    for i, _row in enumerate(LAYERS):
        one = evaluate_layer(LAYERS[i : i + 1], 24, 3, "shi", Hardware.maestro())
        arr = evaluate(LAYERS[i : i + 1], 24, 3, "shi", Hardware.maestro())
        assert one.runtime == arr.runtime[0] and one.energy == arr.energy[0]
        assert one.valid == bool(arr.valid[0]) and one.accesses["input_l2_read"] == arr.accesses["input_l2_read"][0]
    with pytest.raises(ValueError):
        evaluate_layer(LAYERS[:1], 0, 3)
    with pytest.raises(TypeError):
        evaluate_layer(LAYERS[:1], 2.5, 3)
    with pytest.raises(ValueError, match="one layer"):
        evaluate_layer(LAYERS, 4, 3)


def test_hardware_validation_and_presets():
    assert Hardware.maestro() is Hardware.maestro()  # presets are built once
    with pytest.raises(ValueError, match="l1_area"):
        Hardware(l1_area=-1.0)
    with pytest.raises(ValueError, match="finite"):
        Hardware(l2_energy=float("nan"))
    with pytest.raises(TypeError):
        Hardware(mac_area="283")
    with pytest.raises(TypeError):
        Hardware(arbiter_poly=(1.0, 2.0))


def test_numpy_backend_selectable_and_native_flag():
    a = evaluate(LAYERS, 16, 4, backend="numpy")
    assert a.valid.all()
    assert cx.BACKEND == cx.cost.BACKEND in ("c", "numpy")
    with pytest.warns(FutureWarning, match="BACKEND"):
        assert cx.native is (cx.BACKEND == "c")  # the former flag, for one release


def test_falls_back_to_numpy_with_a_warning_when_the_kernel_is_missing():
    import subprocess
    import sys

    code = """
import sys, warnings
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "confuciux._cost_model":
            raise ImportError("blocked for the test")
sys.meta_path.insert(0, Block())
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import confuciux
assert confuciux.BACKEND == "numpy", confuciux.BACKEND
assert any("NumPy reference" in str(x.message) for x in w), [str(x.message) for x in w]
import numpy as np
c = confuciux.evaluate(np.array([[64, 32, 58, 58, 3, 3]]), 64, 4)
assert c.valid[0] and c.runtime[0] > 0
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_outputs_selection_computes_only_what_is_asked():
    full = evaluate(LAYERS, np.full((2, len(LAYERS)), 16), 4, "eye")
    for backend in ("numpy", "c") if cx.BACKEND == "c" else ("numpy",):
        some = evaluate(LAYERS, np.full((2, len(LAYERS)), 16), 4, "eye", backend=backend, outputs=("energy", "runtime"))
        assert some.computed == ("runtime", "energy")
        np.testing.assert_array_equal(some.runtime, full.runtime)
        np.testing.assert_array_equal(some.energy, full.energy)
        np.testing.assert_array_equal(some.valid, full.valid)
        np.testing.assert_array_equal(some.status, full.status)
        assert some.accesses == {}
        with pytest.raises(AttributeError, match="outputs="):
            _ = some.area
        with pytest.raises(AttributeError):
            _ = some.nonsense
        t = some.total()
        assert t.computed == ("runtime", "energy") and t.shape == (2,)
        np.testing.assert_array_equal(t.runtime, full.total().runtime)
        assert "outputs=" in repr(some)


def test_outputs_selection_of_copies_and_accesses():
    full = evaluate(LAYERS, 16, 4)
    some = evaluate(LAYERS, 16, 4, outputs=["input_l1_read", "output_l2_write"])
    assert some.computed == ("input_l1_read", "output_l2_write")
    np.testing.assert_array_equal(some.accesses["input_l1_read"], full.macs)
    np.testing.assert_array_equal(some.accesses["output_l2_write"], full.accesses["output_l2_write"])
    with pytest.raises(AttributeError, match="macs"):
        _ = some.macs
    assert evaluate(LAYERS, 16, 4, outputs="macs_per_cycle").computed == ("macs_per_cycle",)
    assert full.computed == cx.cost.schema.DEFAULT
    with pytest.raises(ValueError, match="unknown outputs"):
        evaluate(LAYERS, 16, 4, outputs=("runtime", "latency"))


def test_no_stale_cache_for_mutable_containers():
    """Regression: a UserList (which has a __dict__) used to keep the first layers' arrays."""
    import collections

    u = collections.UserList([cx.Layer(64, 32, 58, 58, 3, 3)])
    first = evaluate(u, 4, 4).runtime[0]
    u[0] = cx.Layer(8, 8, 10, 10, 3, 3)
    assert evaluate(u, 4, 4).runtime[0] == evaluate(cx.Layer(8, 8, 10, 10, 3, 3), 4, 4).runtime[0] != first
    plain = [cx.Layer(64, 32, 58, 58, 3, 3)]
    evaluate(plain, 4, 4)
    plain.append(cx.Layer(8, 8, 10, 10, 3, 3))
    assert evaluate(plain, 4, 4).shape == (2,)


def test_layer_and_model_caches_follow_object_lifetime():
    import gc
    import pickle

    from confuciux.cost import _blocks, _points

    layer = cx.Layer(33, 17, 20, 20, 3, 3, name="tmp")
    model = cx.Model("tmp", [layer, cx.Layer(5, 5, 9, 9, 1, 1)])
    gc.collect()  # garbage left by earlier tests must not leave the caches during this test
    before = len(_blocks), len(_points)
    a = evaluate_layer(layer, 8, 2)
    b = evaluate(model, 8, 2)
    assert len(_blocks) > before[0] and len(_points) > before[1]
    assert evaluate_layer(layer, 8, 2) == a  # served from the cache
    back = pickle.loads(pickle.dumps(model))  # cached values do not travel
    assert "_cx_arrays" not in pickle.loads(pickle.dumps(model)).__dict__
    np.testing.assert_array_equal(evaluate(back, 8, 2).runtime, b.runtime)
    del layer, model, back
    gc.collect()
    assert (len(_blocks), len(_points)) == before


def test_broadcast_shapes_match_explicit_arrays():
    n = len(LAYERS)
    pes = np.array([4, 8, 16, 32])
    bufs = np.arange(1, 4)[:, None]
    got = evaluate(LAYERS, pes, bufs, "shi")
    want = evaluate(LAYERS, np.tile(pes, (3, 1)), np.repeat(bufs, n, axis=1), "shi")
    assert got.shape == (3, n)
    np.testing.assert_array_equal(got.runtime, want.runtime)
    rev = np.arange(1, 3 * n + 1).reshape(3, n)[::-1, ::-1]  # negative strides: copied, not refused
    np.testing.assert_array_equal(evaluate(LAYERS, rev, 2).runtime, evaluate(LAYERS, rev.copy(), 2).runtime)
    packed = np.zeros(3 * n, dtype=[("pes", np.int64), ("pad", np.int8)])
    packed["pes"] = 4
    odd = packed["pes"].reshape(3, n)  # a view with 9-byte strides
    assert odd.strides[1] == 9
    np.testing.assert_array_equal(evaluate(LAYERS, odd, 2).runtime, evaluate(LAYERS, 4, 2).runtime[None].repeat(3, 0))
    cube = evaluate(LAYERS, np.full((2, 3, n), 8), 2)
    assert cube.shape == (2, 3, n) and cube.valid.all()
    assert evaluate(LAYERS, np.full((0, n), 8), 2).shape == (0, n)


@pytest.mark.parametrize(
    "args, kwargs, exc",
    [
        ((1, 1, 1), {"hardware": "x"}, TypeError),
        ((1.5, 1, 1), {}, ValueError),
        ((0, 1, 1), {}, ValueError),
        ((1, -1, 1), {}, ValueError),
        ((1, 1, -1), {}, ValueError),
        (("1", 1, 1), {}, TypeError),
        ((True, 1, 1), {}, TypeError),
        ((np.ones(2, int), np.ones(3, int), 1), {}, ValueError),
        ((2.0**70, 1, 1), {}, ValueError),
    ],
)
def test_area_power_validates_its_arguments(args, kwargs, exc):
    with pytest.raises(exc):
        area_power(*args, **kwargs)


def test_layer_costs_pickle_full_and_partial():
    import pickle

    full = evaluate(LAYERS, 16, 4)
    back = pickle.loads(pickle.dumps(full))
    np.testing.assert_array_equal(back.runtime, full.runtime)
    assert back.computed == full.computed and back.accesses.keys() == full.accesses.keys()
    some = pickle.loads(pickle.dumps(evaluate(LAYERS, 16, 4, outputs=("area",))))
    assert some.computed == ("area",)
    with pytest.raises(AttributeError, match="outputs="):
        _ = some.runtime


def test_concurrent_calls_keep_their_results():
    """The kernel releases the GIL and the binding reuses output memory: results of calls made
    from several threads at once are each right and stay right."""
    from concurrent.futures import ThreadPoolExecutor

    model = cx.zoo.load("mobilenet_v2")
    rng = np.random.default_rng(1)
    designs = [rng.choice([1, 4, 16, 64], (600, len(model))) for _ in range(8)]
    expected = [evaluate(model, p, 3).runtime.copy() for p in designs]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: evaluate(model, p, 3), designs * 3))
    for i, costs in enumerate(results):
        np.testing.assert_array_equal(costs.runtime, expected[i % len(designs)])


# --- any dataflow: the closed forms where they hold, the general engine elsewhere -------------
def _mine():
    from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, Temporal

    return Dataflow([Temporal("K", 2), Temporal("C", 1), Spatial("Y'", 1), Temporal("X'", 4),
                     Temporal("R", Sz("R")), Temporal("S", Sz("S")), Cluster(4), Spatial("X'", 1),
                     Temporal("R", Sz("R")), Temporal("S", Sz("S"))])  # fmt: skip


def test_a_user_dataflow_is_costed_by_the_engine_as_written():
    from confuciux.cost import engine

    layer = cx.Layer(16, 8, 12, 12, 3, 3)
    mine = _mine()
    c = evaluate(layer, [[8], [16]], 1, mine, Hardware.maestro())
    for j, pes in enumerate((8, 16)):
        truth = engine.evaluate(layer, mine, pes)
        assert c.status[j, 0] == truth.status and c.runtime[j, 0] == truth["runtime"]
        assert c.energy[j, 0] == pytest.approx(truth["energy"], rel=1e-12) and c.area[j, 0] == truth["area"]
        assert c.l2_bytes[j, 0] == truth["l2_bytes"]
        one = evaluate_layer(layer, pes, 1, mine, Hardware.maestro())
        assert one.runtime == c.runtime[j, 0] and one.status == c.status[j, 0]
    # what MAESTRO's analysis refuses is a status (K on a depthwise layer of a multi-level program)...
    dw = cx.Layer(1, 8, 10, 10, 3, 3, "DSCONV", name="dw")
    assert evaluate(dw, 8, 1, mine).status[0] == cx.cost.schema.REFUSED
    # ... and what it refuses for the layer whatever the design a ValueError naming the layer, line and rule
    with pytest.raises(ValueError, match="layer 0 \\('dw'\\): line 6 .* has no dimension M"):
        evaluate(dw, 8, 1, "nmk")


def test_preset_names_work_everywhere_and_equal_programs_take_the_closed_forms():
    from confuciux.dataflow import Dataflow

    by_name = evaluate(LAYERS, 16, 2, "eye", Hardware.maestro())
    by_program = evaluate(LAYERS, 16, 2, Dataflow.parse(str(Dataflow.preset("eye"))), Hardware.maestro())
    np.testing.assert_array_equal(by_name.status[:2], by_program.status[:2])
    np.testing.assert_array_equal(by_name.runtime[[0, 1, 3]], by_program.runtime[[0, 1, 3]])
    # the depthwise layer runs eye's program as written (the name runs dpt): MAESTRO refuses K there
    kcp = evaluate(LAYERS[[0, 1, 3]], 64, 1, "kcp_ws", Hardware.maestro())
    assert kcp.valid.all() and kcp.runtime[0] > 0
    assert evaluate_layer(LAYERS[2:3], 8, 2, "dpt").runtime == evaluate_layer(LAYERS[2:3], 8, 2, "dla").runtime


def test_flags_constants_and_engine_outputs_leave_the_closed_forms_with_the_same_numbers():
    layer = cx.Layer(32, 16, 14, 14, 3, 3)
    base = evaluate(layer, 8, 2, "dla", Hardware.maestro())
    # ConfuciuX's flags spelled out, CTileSz given its own value, an engine output asked for: the engine
    same = [
        evaluate(layer, 8, 2, "dla", Hardware.maestro(noc_bandwidth=81_920_000, multicast=False)),
        evaluate(layer, 8, 2, "dla", Hardware.maestro(), constants={"CTileSz": 1}),
        evaluate(layer, 8, 2, "dla", Hardware.maestro(), outputs=(*cx.cost.schema.DEFAULT, "noc_bw")),
    ]
    for c in same:
        for name in cx.cost.schema.DEFAULT:
            np.testing.assert_array_equal(c[name], base[name], err_msg=name)
    assert same[2].noc_bw[0] >= 1 and same[2]["noc_bw"][0] == same[2].noc_bw[0]
    slow = evaluate(layer, 8, 2, "dla", Hardware.maestro(noc_bandwidth=1))  # a narrow NoC: slower
    assert slow.runtime[0] > base.runtime[0] and slow.l2_bytes[0] == base.l2_bytes[0]
    lanes = evaluate(layer, 8, 2, "dla", Hardware.maestro(simd_lanes=4))
    assert lanes.runtime[0] < base.runtime[0] and lanes.area[0] > base.area[0]
    with pytest.raises(AttributeError, match="not computed"):
        _ = base.noc_bw
    with pytest.raises(ValueError, match="constants"):
        evaluate(layer, 8, 2, "dla", constants={"x": 0})


def test_each_layer_runs_its_own_program_and_dla_without_one():
    mine = _mine()
    layers = [cx.Layer(16, 8, 12, 12, 3, 3), cx.Layer(8, 16, 10, 10, 3, 3)]
    model = cx.Model("two", layers, dataflows=(mine, None))
    own = evaluate(model, 16, 2)
    np.testing.assert_array_equal(own.runtime, evaluate(model, 16, 2, [mine, "dla"]).runtime)
    assert own.runtime[0] == evaluate(layers[0], 16, 2, mine).runtime[0]
    assert own.runtime[1] == evaluate(layers[1], 16, 2, "dla").runtime[0]
    assert evaluate(model, 16, 2, "shi").runtime[0] == evaluate(layers[0], 16, 2, "shi").runtime[0]


def test_physical_and_the_statuses_of_totals():
    dw = np.array([[1, 32, 112, 112, 3, 3, 2], [64, 3, 34, 34, 3, 3, 1]])
    c = evaluate(dw, 64, 4, "dla", Hardware.maestro())  # dpt, 8 of 64 PEs busy: MAESTRO drops one's outputs
    assert list(c.status) == [cx.cost.schema.IMPOSSIBLE, 0] and c.valid.all() and list(c.physical) == [False, True]
    assert c.total().valid and c.total().status == cx.cost.schema.IMPOSSIBLE and not c.total().physical
    bad = evaluate(np.array([[8, 8, 10, 10, 3, 3, 1]]), 9, 1, "shi")  # invalid
    both = evaluate(np.array([[8, 8, 10, 10, 3, 3, 1], [1, 32, 112, 112, 3, 3, 2]]), [9, 64], 4, "shi")
    assert not bad.valid[0] and both.total().status == cx.cost.schema.INVALID and not both.total().valid
    point = evaluate_layer(dw[:1], 64, 4, "dla", Hardware.maestro())
    assert point.valid and not point.physical and point.status == cx.cost.schema.IMPOSSIBLE


@pytest.mark.parametrize("name", ["kcp_ws", "rs", "nlr", "eye"])
def test_evaluate_layer_on_the_engine_equals_evaluate(name):
    """evaluate_layer's one-point path for programs (one C call, a compiled template kept per layer
    and program) gives evaluate's numbers and statuses, with any hardware."""
    import dataclasses

    from confuciux.dataflow import Dataflow

    model = cx.zoo.load("mobilenet_v2")
    layers = [model[i] for i in (0, 1, 2, 10, len(model) - 1)]  # CONV, DSCONV, 1x1, strided, the classifier
    program = Dataflow.preset(name)
    outputs = ("runtime", "energy", "area", "power", "l2_bytes", "macs_per_cycle", "filter_l2_read")
    for hw in (Hardware.default(), Hardware.maestro(), dataclasses.replace(Hardware.default(), noc_bandwidth=64)):
        for pes in (1, 7, 300):
            many = evaluate(layers, pes, 3, program, hw, outputs=outputs)
            for i, layer in enumerate(layers):
                one = evaluate_layer(layer, pes, 3, program, hw)
                assert one.status == many.status[i] and one.valid == many.valid[i]
                for out in outputs:
                    got = one.accesses[out] if out in one.accesses else getattr(one, out)
                    np.testing.assert_array_equal(got, many[out][i], err_msg=f"{name} {layer} P={pes} {out}")
