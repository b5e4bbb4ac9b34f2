"""The C kernel and the NumPy reference give identical results, statuses included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux
from confuciux import DATAFLOWS, Hardware, evaluate
from confuciux.cost import native, reference, schema

pytestmark = pytest.mark.skipif(confuciux.BACKEND != "c", reason="compiled kernel not built")

INT64_MAX = np.iinfo(np.int64).max
# Mostly layer-sized values, sometimes huge ones (overflow), sometimes zero or negative (bad input).
value = st.one_of(
    st.integers(1, 64),
    st.integers(1, 5000),
    st.integers(2**20, 2**40),
    st.integers(2**40, INT64_MAX),
    st.integers(-(2**63), 0),
)
kernel = st.one_of(st.integers(1, 12), value)
point = st.tuples(value, value, value, value, kernel, kernel, value, value, st.booleans())
hardware = st.sampled_from([Hardware.maestro(), Hardware.default()])


def run_both(points, dataflow, hw):
    a = np.array([p[:8] for p in points], dtype=np.int64)
    dims = np.ascontiguousarray(a[:, :6])
    dw = np.array([p[8] for p in points])
    pes, ktile = np.ascontiguousarray(a[:, 6]), np.ascontiguousarray(a[:, 7])
    # native takes designs x layers; one design of len(points) layers covers the general case
    return (
        reference.evaluate_points(dims, dw, pes, ktile, dataflow, hw),
        native.evaluate_points(dims, dw, pes, ktile, dataflow, hw),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(point, min_size=1, max_size=40), st.sampled_from(DATAFLOWS), hardware)
def test_identical_on_any_integers(points, dataflow, hw):
    ref, c = run_both(points, dataflow, hw)
    assert ref.keys() == c.keys()
    for name in ref:
        np.testing.assert_array_equal(ref[name], c[name], err_msg=name)


def _layer():
    return st.tuples(
        st.integers(1, 600), st.integers(1, 600), st.integers(0, 40), st.integers(0, 40),
        st.integers(1, 11), st.integers(1, 11), st.integers(1, 2),
    ).map(lambda t: (t[0], t[1], t[4] + t[2], t[5] + t[3], t[4], t[5], t[6]))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_layer(), min_size=1, max_size=12),
    st.integers(1, 5),
    st.data(),
    st.sampled_from(DATAFLOWS),
    hardware,
)
def test_identical_through_evaluate_batches(layers, n_designs, data, dataflow, hw):
    dims = np.array(layers, dtype=np.int64)
    shape = (n_designs, len(layers))
    size = shape[0] * shape[1]
    pes = np.array(data.draw(st.lists(st.integers(1, 4096), min_size=size, max_size=size))).reshape(shape)
    buf = np.array(data.draw(st.lists(st.integers(1, 64), min_size=size, max_size=size))).reshape(shape)
    a = evaluate(dims, pes, buf, dataflow, hw, backend="c")
    b = evaluate(dims, pes, buf, dataflow, hw, backend="numpy")
    for name in ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle", "status", "valid"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in a.accesses:
        np.testing.assert_array_equal(a.accesses[name], b.accesses[name], err_msg=name)


def test_statuses_reach_the_kernel():
    """Each status value is produced, and both backends agree on it."""
    pts = [
        (64, 32, 56, 56, 3, 3, 16, 4, False),  # ok
        (8, 8, 10, 10, 3, 3, 9, 1, False),  # shi: OX = 8 < P = 9 <= X = 10 -> invalid
        (2**40, 2**40, 2**20, 2**20, 3, 3, 1, 1, False),  # overflow
        (0, 8, 10, 10, 3, 3, 4, 1, False),  # bad input
        (1, 32, 112, 112, 3, 3, 64, 4, True),  # dpt, 8 of 64 PEs busy: MAESTRO drops the last one's outputs
    ]
    ref, c = run_both(pts, "shi", Hardware.maestro())
    assert list(ref["status"]) == [0, 1, 2, 3, schema.IMPOSSIBLE]
    np.testing.assert_array_equal(ref["status"], c["status"])
    np.testing.assert_array_equal(ref["valid"], [True, False, False, False, True])
    np.testing.assert_array_equal(c["valid"], ref["valid"])
    assert ref["runtime"][0] > 0 and np.all(np.isnan(ref["runtime"][1:4]))  # NaN wherever not valid
    assert np.all(np.isnan(c["energy"][1:4])) and np.isfinite(c["energy"][0]) and np.isfinite(c["energy"][4])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_layer(), min_size=1, max_size=6),
    st.lists(st.sampled_from(schema.CLOSED_FORM), min_size=1, max_size=6),
    st.sampled_from(DATAFLOWS),
    st.integers(1, 300),
    st.integers(1, 16),
    hardware,
)
def test_any_output_selection_equals_the_full_result(layers, asked, dataflow, pes, buf, hw):
    dims = np.array(layers, dtype=np.int64)
    full = evaluate(dims, pes, buf, dataflow, hw)
    for backend in ("c", "numpy"):
        some = evaluate(dims, pes, buf, dataflow, hw, backend=backend, outputs=asked)
        assert set(some.computed) == set(asked)
        np.testing.assert_array_equal(some.status, full.status)
        for name in asked:
            got = some.accesses[name] if name in some.accesses else getattr(some, name)
            want = full.accesses[name] if name in full.accesses else getattr(full, name)
            np.testing.assert_array_equal(got, want, err_msg=f"{backend} {name}")
