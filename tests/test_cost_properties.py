"""Monotonicity properties the cost model has (spec section 9), checked on random layers.

Only properties the model really has are asserted: runtime non-increasing in P (except eye with
a single output row and P < S, a MAESTRO quirk); area and power increasing in P; L1 increasing
in k; L2, area and power non-decreasing in k and L2 in P for the CONV dataflows (L2 in P outside
the "double negative" regime of spec 10.6, whose numbers are meaningless).  Runtime in k, energy
in P or k, macs_per_cycle <= P, L2 of depthwise layers and L2 in the double-negative regime are not
monotone (tests below show counterexamples).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux import DATAFLOWS as cx_dataflows
from confuciux import Hardware, evaluate

DATAFLOWS = st.sampled_from(cx_dataflows)
HARDWARE = st.sampled_from([Hardware.maestro(), Hardware.default()])


@st.composite
def layers(draw, depthwise=None):
    depthwise = st.booleans() if depthwise is None else depthwise
    r, s = draw(st.integers(1, 11)), draw(st.integers(1, 11))
    return (
        draw(st.integers(1, 1024)), draw(st.integers(1, 1024)),
        r + draw(st.integers(0, 120)), s + draw(st.integers(0, 120)),
        r, s, 2 if draw(depthwise) else 1,
    )  # fmt: skip


def sweep(layer, pes, buffers, df, hw):
    n = max(np.size(pes), np.size(buffers))
    dims = np.array([layer] * n)
    return evaluate(dims, pes, buffers, df, hw)


@settings(max_examples=200, deadline=None)
@given(layers(), st.integers(1, 64), DATAFLOWS, HARDWARE)
def test_in_pes(layer, k, df, hw):
    pes = np.arange(1, 4097)
    c = sweep(layer, pes, k, df, hw)
    both = c.valid[:-1] & c.valid[1:]
    if df == "eye" and layer[6] == 1 and layer[2] == layer[4]:
        # one output row: MAESTRO's edge-cluster quirk (spec 10.6) overcharges P < S
        both &= pes[:-1] >= layer[5]
    assert np.all(c.runtime[1:][both] <= c.runtime[:-1][both])
    ok = c.valid
    assert np.all(np.diff(c.area[ok]) > 0) and np.all(np.diff(c.power[ok]) > 0)
    if layer[6] == 1 and not _double_negative(layer, df):
        assert np.all(np.diff(c.l2_bytes[ok]) >= 0)


def _double_negative(layer, df):
    """Outputs smaller than the band MAESTRO tiles them with (shi: O_Y < R, eye: O_X < S):
    the valid points there are built from two negative extents (spec 10.6) and their L2 is
    meaningless; the spec's monotonicity of L2 is about the regime every real layer is in."""
    k_, c_, y, x, r, s, _ = layer
    return (df == "shi" and y - r + 1 < r) or (df == "eye" and x - s + 1 < s)


@settings(max_examples=200, deadline=None)
@given(layers(), st.integers(1, 4096), DATAFLOWS, HARDWARE)
def test_in_buffers(layer, p, df, hw):
    ks = np.arange(1, 65)
    c = sweep(layer, p, ks, df, hw)
    assert np.all(c.valid) or not np.any(c.valid)  # validity does not depend on k
    if not c.valid[0]:
        return
    assert np.all(np.diff(c.l1_bytes) > 0)
    if layer[6] == 1:
        assert np.all(np.diff(c.l2_bytes) >= 0)
        assert np.all(np.diff(c.area) >= 0) and np.all(np.diff(c.power) >= 0)


def test_not_monotone_where_the_spec_says_so():
    mx = Hardware.maestro()
    # runtime rises with k: K-tile padding ceil(K/k)*min(k,K) (K=64: k=11 -> 6*11, k=12 -> 6*12)
    c = sweep((64, 64, 10, 10, 3, 3, 1), 8, [11, 12], "dla", mx)
    assert c.runtime[1] > c.runtime[0]
    # depthwise L2 (and with it area) falls when the last PE of an under-filled array loses its
    # output: C=20, P=3, k=9 -> 10 (spec section 4, the `o` term)
    c = sweep((1, 20, 5, 5, 1, 1, 2), 3, [9, 10], "dla", mx)
    assert c.l2_bytes[1] < c.l2_bytes[0] and c.area[1] < c.area[0]
    # eye, one output row, P < S: the edge-cluster quirk (spec 10.6) makes runtime rise with P
    c = sweep((1, 1, 1, 5, 1, 3, 1), [1, 2], 1, "eye", mx)
    assert c.runtime[1] > c.runtime[0]
    # eye, output narrower than the kernel (O_X = 4 < S = 5), valid only with O_Y < P <= Y: two
    # negative extents multiply into an L2 that falls as P grows (spec 10.6)
    c = sweep((1, 1, 3, 8, 3, 5, 1), [2, 3], 1, "eye", mx)
    assert np.all(c.valid) and c.l2_bytes[1] < c.l2_bytes[0]
    # eye credits more MACs per cycle than it has PEs (quirk Q4)
    c = sweep((64, 64, 58, 58, 3, 3, 1), 4, 1, "eye", mx)
    assert c.macs_per_cycle[0] > 4


@st.composite
def strided_layers(draw, depthwise=False, unit_x=False):
    """A Layer with strides 1-4 on each axis (X stride 1 with ``unit_x``)."""
    from confuciux import Layer

    r, s = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    sy, sx = draw(st.integers(1, 4)), 1 if unit_x else draw(st.integers(1, 4))
    c = draw(st.integers(1, 300))
    return Layer(K=c if depthwise else draw(st.integers(1, 300)), C=c, Y=r + draw(st.integers(0, 60)),
                 X=s + draw(st.integers(0, 60)), R=r, S=s, kind="DSCONV" if depthwise else "CONV",
                 stride=(sy, sx))  # fmt: skip


def _along_pes(layer, k, df, hw, top=512):
    pes = np.arange(1, top + 1)
    c = evaluate([layer] * pes.size, pes, k, df, hw)
    return c, c.valid[:-1] & c.valid[1:]


@settings(max_examples=150, deadline=None)
@given(st.booleans().flatmap(lambda dw: strided_layers(depthwise=dw)), st.integers(1, 16), HARDWARE)
def test_dla_and_dpt_runtime_never_rises_with_pes_at_any_stride(layer, k, hw):
    # docs/cost-model.md: P enters dla only through ceil(C/P), dpt through ceil(C/(kP)) and the
    # last step's channels; the strided step counts do not depend on P
    c, both = _along_pes(layer, k, "dla", hw)
    assert np.all(c.runtime[1:][both] <= c.runtime[:-1][both])
    if not layer.depthwise:  # dla's L2 grows with P, so area and power strictly do
        assert np.all(np.diff(c.l2_bytes[c.valid]) >= 0)
        assert np.all(np.diff(c.area[c.valid]) > 0) and np.all(np.diff(c.power[c.valid]) > 0)


@settings(max_examples=150, deadline=None)
@given(strided_layers(unit_x=True), st.integers(1, 16), HARDWARE)
def test_shi_runtime_never_rises_with_pes_when_x_is_unstrided(layer, k, hw):
    c, both = _along_pes(layer, k, "shi", hw)
    assert np.all(c.runtime[1:][both] <= c.runtime[:-1][both])


def test_strided_shi_and_eye_are_not_monotone_in_pes():
    # docs/cost-model.md's examples (MAESTRO 4eb08d1 prints the same runtimes and L2 sizes)
    from confuciux import Layer

    hw = Hardware.default()
    shi = Layer(K=38, C=91, Y=13, X=30, R=6, S=3, stride=(2, 4))
    c = evaluate([shi, shi], [28, 29], 12, "shi", hw)
    assert c.runtime.tolist() == [393_849, 787_697]
    eye = Layer(K=28, C=217, Y=18, X=39, R=1, S=7, stride=(3, 4))
    c = evaluate([eye, eye], [9, 10], 12, "eye", hw)
    assert c.runtime.tolist() == [553_351, 1_103_446]
    eye = Layer(K=49, C=162, Y=47, X=19, R=4, S=5, stride=(1, 4))
    c = evaluate([eye, eye], [44, 45], 5, "eye", hw)
    assert c.l2_bytes.tolist() == [3246, 310] and c.area[1] < c.area[0]
