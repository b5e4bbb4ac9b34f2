"""Which program each layer runs and which path costs it (cost/design.py); evaluate with one
dataflow per layer equals evaluate layer by layer; the former evaluate_design."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux import Dataflow, Hardware, Layer, evaluate
from confuciux.cost import design
from confuciux.cost.design import closed_form, evaluate_design, label, layer_specs, per_layer_dataflows, program_of

MODEL = cx.zoo.load("mobilenet_v2")[:10]  # has depthwise layers
CONV, DW = Layer(8, 4, 10, 10, 3, 3), Layer(1, 8, 10, 10, 3, 3, "DSCONV")


def test_equals_evaluate_layer_by_layer():
    rng = np.random.default_rng(0)
    n = len(MODEL)
    pes, bufs = rng.integers(1, 65, n), rng.integers(1, 13, n)
    names = tuple(rng.choice(["dla", "shi", "eye"], n).tolist())
    hw = Hardware.maestro()
    got = evaluate(MODEL, pes, bufs, names, hw)
    fields = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle", "valid", "status")
    for i in range(n):
        want = evaluate(MODEL[i : i + 1], pes[i], bufs[i], names[i], hw)
        for f in fields:
            np.testing.assert_array_equal(getattr(got, f)[i], getattr(want, f)[0])
        for k, v in want.accesses.items():
            assert got.accesses[k][i] == v[0]


def test_one_name_per_layer_and_batches_broadcast():
    pes = np.array([[4] * len(MODEL), [16] * len(MODEL)])
    one = evaluate(MODEL, pes, 3, ["EYE"] * len(MODEL))
    np.testing.assert_array_equal(one.runtime, evaluate(MODEL, pes, 3, "eye").runtime)
    names = ["dla", "eye"] * (len(MODEL) // 2)
    mixed = evaluate(MODEL, pes, 3, names)
    assert mixed.shape == (2, len(MODEL))
    for d in ("dla", "eye"):
        cols = [i for i, x in enumerate(names) if x == d]
        np.testing.assert_array_equal(mixed.energy[:, cols], evaluate(MODEL, pes, 3, d).energy[:, cols])


def test_evaluate_design_is_a_deprecated_alias():
    pes = np.arange(1, len(MODEL) + 1)
    with pytest.warns(FutureWarning, match="evaluate_design"):
        old = evaluate_design(MODEL, pes, 2, ["dla", "shi"] * 5)
    np.testing.assert_array_equal(old.runtime, evaluate(MODEL, pes, 2, ["dla", "shi"] * 5).runtime)
    assert cx.evaluate_design is evaluate_design


def test_bad_dataflows_are_named():
    with pytest.raises(ValueError, match="layer 1: unknown dataflow 'xyz'"):
        per_layer_dataflows(["dla", "xyz"], 2)
    with pytest.raises(ValueError, match="2 dataflows for 10 layers"):
        evaluate(MODEL, 1, 1, ["dla", "eye"])
    with pytest.raises(TypeError, match="preset's name or a Dataflow"):
        layer_specs([3, "dla"], 2)
    with pytest.raises(ValueError, match="unknown dataflow 'tpu'"):
        evaluate(MODEL, 1, 1, "tpu")
    assert per_layer_dataflows("Shi", 3) == ("shi", "shi", "shi")


def test_specs_take_the_layers_own_programs_then_dla():
    own = Dataflow.preset("kcp_ws")
    assert layer_specs(None, 3, (None, own, None)) == ("dla", own, "dla")
    assert layer_specs([None, "EYE", own], 3, (own, None, None)) == (own, "eye", own)
    assert layer_specs(own, 2) == (own, own)


def test_programs_follow_confuciux_for_depthwise_layers_and_run_dataflows_as_written():
    assert program_of(DW, "dla") == Dataflow.preset("dpt") == program_of(DW, "eye")
    assert program_of(CONV, "shi") == Dataflow.preset("shi")
    assert program_of(DW, Dataflow.preset("dla")) == Dataflow.preset("dla")  # as written
    grouped = Layer(8, 4, 10, 10, 3, 3, groups=2)
    assert program_of(grouped, "kcp_ws") == Dataflow.preset("kcp_ws", grouped=True)


def test_closed_forms_cover_exactly_the_programs_the_kernel_runs():
    assert closed_form(CONV, "eye") == "eye" and closed_form(DW, "eye") == "dla"  # the kernel runs dpt for DW
    assert closed_form(CONV, Dataflow.preset("shi")) == "shi"
    assert closed_form(DW, Dataflow.preset("dpt")) == "dla" and closed_form(DW, "dpt") == "dla"
    assert closed_form(DW, Dataflow.preset("dla")) is None  # dla's program on a depthwise layer, as written
    assert closed_form(CONV, "dpt") is None and closed_form(CONV, "kcp_ws") is None
    assert closed_form(CONV, Dataflow.parse(str(Dataflow.preset("eye")))) == "eye"  # equal programs
    assert label(Dataflow.preset("kcp_ws")) == "kcp_ws" and label(None) == "model" and label("dla") == "dla"
    assert label(Dataflow([cx.dataflow.Spatial("K", 1)])) == "program"


def test_engine_costs_equal_the_closed_forms_with_any_hardware():
    layers = [CONV, DW, Layer(6, 4, 9, 11, 3, 2, stride=2, groups=2)]
    pes = np.array([[3, 3, 3], [16, 5, 40]])
    bufs = np.array([[1, 2, 3], [4, 1, 12]])
    for hw in (Hardware.default(), Hardware.maestro(), Hardware(l1_area=9.0, maestro_energy=True)):
        for name in ("dla", "shi", "eye"):
            want = evaluate(layers, pes, bufs, name, hw)
            programs = [program_of(layer, name) for layer in layers]
            got, status = design.engine_costs(layers, programs, pes, bufs, hw, cx.cost.schema.CLOSED_FORM)
            np.testing.assert_array_equal(status, want.status)
            for out in cx.cost.schema.CLOSED_FORM:
                np.testing.assert_array_equal(got[out], want[out], err_msg=f"{hw.name} {name} {out}")
