"""evaluate_design: per-layer dataflows, equal to evaluate layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux import Hardware, evaluate
from confuciux.cost.design import evaluate_design, per_layer_dataflows

MODEL = cx.zoo.load("mobilenet_v2")[:10]  # has depthwise layers


def test_equals_evaluate_layer_by_layer():
    rng = np.random.default_rng(0)
    n = len(MODEL)
    pes, bufs = rng.integers(1, 65, n), rng.integers(1, 13, n)
    names = tuple(rng.choice(["dla", "shi", "eye"], n).tolist())
    hw = Hardware.maestro()
    got = evaluate_design(MODEL, pes, bufs, names, hw)
    fields = ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle", "valid", "status")
    for i in range(n):
        want = evaluate(MODEL[i : i + 1], pes[i], bufs[i], names[i], hw)
        for f in fields:
            np.testing.assert_array_equal(getattr(got, f)[i], getattr(want, f)[0])
        for k, v in want.accesses.items():
            assert got.accesses[k][i] == v[0]


def test_one_name_is_evaluate_and_batches_broadcast():
    pes = np.array([[4] * len(MODEL), [16] * len(MODEL)])
    one = evaluate_design(MODEL, pes, 3, "EYE")
    np.testing.assert_array_equal(one.runtime, evaluate(MODEL, pes, 3, "eye").runtime)
    names = ["dla", "eye"] * (len(MODEL) // 2)
    mixed = evaluate_design(MODEL, pes, 3, names)
    assert mixed.shape == (2, len(MODEL))
    for d in ("dla", "eye"):
        cols = [i for i, x in enumerate(names) if x == d]
        np.testing.assert_array_equal(mixed.energy[:, cols], evaluate(MODEL, pes, 3, d).energy[:, cols])


def test_bad_dataflows_are_named():
    with pytest.raises(ValueError, match="layer 1: unknown dataflow 'xyz'"):
        per_layer_dataflows(["dla", "xyz"], 2)
    with pytest.raises(ValueError, match="names 2 layers but the model has 10"):
        evaluate_design(MODEL, 1, 1, ["dla", "eye"])
    assert per_layer_dataflows("Shi", 3) == ("shi", "shi", "shi")
