"""The binding to the kernel checks every array it hands to C: a wrong size is a ValueError,
never an out-of-bounds access; output memory is reused only when nobody holds it."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import confuciux
from confuciux import Hardware, evaluate
from confuciux.cost import native, reference, schema

pytestmark = pytest.mark.skipif(confuciux.BACKEND != "c", reason="compiled kernel not built")

HW = Hardware.default()
DIMS = np.array([[64, 32, 58, 58, 3, 3], [8, 8, 10, 10, 3, 3], [16, 16, 9, 9, 1, 1]], dtype=np.int64)
COLS = np.ascontiguousarray(reference.full_dims(DIMS).T)  # the 10 layer columns
DW = np.zeros(3, dtype=np.uint8)
P2 = np.full((2, 3), 4, dtype=np.int64)


@pytest.mark.parametrize(
    "pes, ktile",
    [
        (np.full(5, 4), np.full(6, 4)),  # short pes: was a heap overflow under ASan
        (np.full(6, 4), np.full(5, 4)),
        (np.full(7, 4), np.full(7, 4)),  # not a multiple of the layer count
        (np.full((2, 3), 4), np.full((2, 3), 4)),  # not flat
    ],
)
def test_evaluate_points_checks_sizes(pes, ktile):
    with pytest.raises(ValueError):
        native.evaluate_points(DIMS, np.zeros(3, bool), pes, ktile, "dla", HW)


def test_evaluate_points_checks_layers():
    with pytest.raises(ValueError, match="dims"):
        native.evaluate_points(DIMS[:, :5], np.zeros(3, bool), np.full(3, 4), np.full(3, 4), "dla", HW)
    with pytest.raises(ValueError, match="depthwise"):
        native.evaluate_points(DIMS, np.zeros(2, bool), np.full(3, 4), np.full(3, 4), "dla", HW)
    with pytest.raises(ValueError, match="unknown dataflow"):
        native.evaluate_points(DIMS, np.zeros(3, bool), np.full(3, 4), np.full(3, 4), "dpt", HW)
    with pytest.raises(TypeError, match="Hardware"):
        native.evaluate_points(DIMS, np.zeros(3, bool), np.full(3, 4), np.full(3, 4), "dla", "maestro")


@pytest.mark.parametrize(
    "cols, dw, pes, ktile, exc",
    [
        (COLS[:5], DW, P2, P2, ValueError),  # 5 rows
        (COLS.astype(np.int32), DW, P2, P2, TypeError),
        (np.asfortranarray(COLS), DW, P2, P2, ValueError),  # not C-contiguous
        (COLS, DW[:2], P2, P2, ValueError),  # short depthwise
        (COLS, DW.astype(bool), P2, P2, TypeError),
        (COLS, DW, P2[:, :2], P2, ValueError),  # pes of 2 layers
        (COLS, DW, P2, P2[:1], ValueError),  # ktile of 1 design, pes of 2
        (COLS, DW, P2.astype(np.float64), P2, TypeError),
        (COLS, DW, P2.ravel(), P2, ValueError),  # 1-d
        (COLS, DW, P2[:, ::-1], P2, ValueError),  # negative stride
        (COLS, DW, list(P2), P2, ValueError),
    ],
)
def test_evaluate_blocks_checks_every_array(cols, dw, pes, ktile, exc):
    with pytest.raises(exc):
        native.evaluate_blocks(cols, dw, pes, ktile, "dla", HW)


def test_evaluate_blocks_checks_outputs():
    with pytest.raises(ValueError, match="outputs"):
        native.evaluate_blocks(COLS, DW, P2, P2, "dla", HW, ("runtime", "latency"))
    with pytest.raises(ValueError, match="outputs"):
        native.evaluate_blocks(COLS, DW, P2, P2, "dla", HW, ("runtime", "runtime"))


def test_broadcast_designs_read_only_their_elements():
    """Stride-0 views (a scalar or per-layer vector) give what full arrays give."""
    full_p = np.array([[4, 8, 16], [4, 8, 16]], dtype=np.int64)
    full_k = np.full((2, 3), 3, dtype=np.int64)
    a, sa, _ = native.evaluate_blocks(COLS, DW, full_p, full_k, "eye", HW)
    bp = np.broadcast_to(np.array([4, 8, 16], dtype=np.int64), (2, 3))
    bk = np.broadcast_to(np.int64(3), (2, 3))
    b, sb, _ = native.evaluate_blocks(COLS, DW, bp, bk, "eye", HW)
    np.testing.assert_array_equal(sa, sb)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_area_power_points_checks_sizes():
    ok = np.array([1, 2], dtype=np.int64)
    with pytest.raises(ValueError):
        native.area_power_points(ok, ok[:1], ok, HW)
    with pytest.raises(TypeError):
        native.area_power_points(ok, ok.astype(np.int32), ok, HW)
    with pytest.raises(ValueError):
        native.area_power_points(ok, ok, np.array([[1, 2]], dtype=np.int64), HW)


def test_layer_struct_checks_length():
    with pytest.raises(ValueError, match="dimensions"):
        native.layer_struct((1, 2, 3), False)


def test_a_kept_result_is_never_overwritten():
    """The output memory of a large call is reused only once nobody refers to it."""
    model = confuciux.zoo.load("mobilenet_v2")
    pes = np.random.default_rng(0).choice([1, 4, 16, 64], (2000, len(model)))
    first = evaluate(model, pes, 4)
    runtime, l2 = first.runtime.copy(), first.accesses["input_l2_read"].copy()
    second = evaluate(model, pes * 2, 4)
    np.testing.assert_array_equal(first.runtime, runtime)
    np.testing.assert_array_equal(first.accesses["input_l2_read"], l2)
    kept = first.energy  # one array of the result is enough to keep the block
    del first, second
    gc.collect()
    third = evaluate(model, pes * 2, 4)
    assert not np.shares_memory(kept, third.runtime)
    fresh = evaluate(model, pes, 4, outputs=("energy",))
    np.testing.assert_array_equal(kept, fresh.energy)
    del third, kept, fresh
    fourth = evaluate(model, pes, 4)
    np.testing.assert_array_equal(fourth.runtime, runtime)  # reused memory, right values
    native.release_memory()
    assert native._recycler.block is None


def test_status_and_valid_agree():
    values, status, valid = native.evaluate_blocks(COLS, DW, np.full((1, 3), 9, dtype=np.int64), P2[:1], "shi", HW)
    np.testing.assert_array_equal(valid, status == schema.OK)
    assert not valid.all()  # shi with O_X < P <= X on the second layer
    assert np.isnan(values["runtime"][~valid]).all()


def test_dropped_output_memory_is_reused():
    model = confuciux.zoo.load("mobilenet_v2")
    pes = np.full((3000, len(model)), 8)
    first = evaluate(model, pes, 4)
    address = first.runtime.__array_interface__["data"][0]
    del first
    again = evaluate(model, pes, 4)
    assert again.runtime.__array_interface__["data"][0] == address
    other = evaluate(model, pes, 4)  # `again` is alive: fresh memory
    assert not np.shares_memory(other.runtime, again.runtime)
