"""Strided, batched, grouped and transposed layers (MAESTRO's Stride block, N, NGCONV, TRCONV).

Fidelity to MAESTRO on ../shared/reference/maestro_ext.csv.gz (every row when present, the
committed subset tests/golden/maestro_ext_golden.csv always), the two backends agreeing on
random layers, the properties the closed forms have, and the searches on such layers.
Every regime has its forms: no point is "not supported" (status 4) any more.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux
import confuciux as cx
from conftest import reference_file
from confuciux import Explorer, Hardware, Layer, Model, Platform, evaluate, evaluate_layer
from confuciux.cost import reference, schema
from confuciux.workload import LAYER_COLUMNS

GOLDEN_EXT = Path(__file__).resolve().parent / "golden" / "maestro_ext_golden.csv"
BACKENDS = ["numpy"] + (["c"] if confuciux.BACKEND == "c" else [])
INT_COLUMNS = ["runtime", "l1_bytes", "l2_bytes", "macs"] + [
    f"{t}_{a}" for t in ("input", "filter", "output") for a in ("l1_read", "l1_write", "l2_read", "l2_write")
]
FLOAT_COLUMNS = ["energy", "area", "power", "macs_per_cycle"]
MAESTRO_COLUMNS = {  # our name -> MAESTRO's CSV column
    "runtime": "Runtime (Cycles)", "energy": "Activity count-based Energy (nJ)", "area": "Area",
    "power": "Power", "macs_per_cycle": "Throughput (MACs/Cycle)", "l1_bytes": "L1 SRAM Size Req (Bytes)",
    "l2_bytes": "L2 SRAM Size Req (Bytes)", "macs": "Num MACs",
    **{f"{t}_{a.replace(' ', '_')}": f"{t} {a}" for t in ("input", "filter", "output")
       for a in ("l1 read", "l1 write", "l2 read", "l2 write")},
}  # fmt: skip


def _points(backend: str):
    if backend == "c":
        from confuciux.cost import native

        return native.evaluate_points
    return reference.evaluate_points


def _table_dims(t: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """MAESTRO's row as our layer columns: NGCONV's K and C are per group, ours are totals."""
    g = t["G"][rows].astype(np.int64)
    cols = {c: t[c][rows].astype(np.int64) for c in ("K", "C", "Y", "X", "R", "S", "N", "stride_y", "stride_x")}
    cols["K"], cols["C"], cols["G"] = cols["K"] * g, cols["C"] * g, g
    return np.stack([cols[c] for c in LAYER_COLUMNS], axis=1)


def check_ext(t: dict[str, np.ndarray], backend: str) -> dict[str, int]:
    """Every row: valid ones match MAESTRO, the others are flagged; returns counts of what was
    checked."""
    counts = {"matched": 0, "flagged": 0, "not_supported": 0, "impossible": 0}
    keep = t["status"] != "rejected_rc-6"  # MAESTRO's own aborts say nothing about the layer
    for df in ("dla", "shi", "eye", "dpt"):
        rows = (t["dataflow"] == df) & keep
        if not rows.any():
            continue
        dims = _table_dims(t, rows)
        out = _points(backend)(
            dims, t["type"][rows] == "DSCONV", t["num_pes"][rows].astype(np.int64),
            t["ktile"][rows].astype(np.int64), "dla" if df == "dpt" else df, Hardware.maestro(),
        )  # fmt: skip
        ok = t["status"][rows] == "ok"
        counts["not_supported"] += int((out["status"] == schema.UNSUPPORTED).sum())
        assert not np.any(out["valid"][~ok]), f"{df}: a point MAESTRO cannot cost came back valid"
        counts["flagged"] += int((~ok).sum())
        cmp = ok
        np.testing.assert_array_equal(out["valid"][cmp], True, err_msg=f"{df}: validity")
        assert set(out["status"][cmp]) <= schema.PRINTED
        counts["impossible"] += int((out["status"][cmp] == schema.IMPOSSIBLE).sum())
        for col in INT_COLUMNS:
            np.testing.assert_array_equal(out[col][cmp], t[col][rows][cmp].astype(np.float64), err_msg=f"{df}: {col}")
        for col in FLOAT_COLUMNS:
            want = t[col][rows][cmp].astype(np.float64)
            np.testing.assert_allclose(out[col][cmp], want, rtol=1e-5, atol=0, err_msg=f"{df}: {col}")
        counts["matched"] += int(cmp.sum())
    return counts


def _load_golden_ext() -> dict[str, np.ndarray]:
    with open(GOLDEN_EXT, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_golden_ext_subset_matches_maestro(backend):
    """Every type x dataflow x status group of the table: all valid points match MAESTRO (the
    strided eye row with a Y band wider than the output too), all others are invalid."""
    t = _load_golden_ext()
    counts = check_ext(t, backend)
    # every type x dataflow x status group of the table is in the subset
    assert counts["matched"] > 330 and counts["flagged"] > 100 and counts["not_supported"] == 0
    assert {"CONV", "DSCONV", "NGCONV", "TRCONV"} == set(t["type"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_maestro_ext_table(backend):
    path = reference_file("maestro_ext.csv.gz", "MAESTRO's 12,000 strided/grouped/transposed points")
    with gzip.open(path, "rt", newline="") as f:
        rows = [{k.strip(): v.strip() for k, v in r.items()} for r in csv.DictReader(f)]
    t = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    for ours, theirs in MAESTRO_COLUMNS.items():
        t[ours] = np.where(t["status"] == "ok", t[theirs], "0")
    counts = check_ext(t, backend)
    # 11,806 valid rows: all match
    assert counts["matched"] >= 11806 and counts["flagged"] > 150 and counts["not_supported"] == 0


def test_public_api_on_the_golden_subset():
    """Layer -> evaluate_layer / evaluate on the valid rows: the groups translation and the layer
    columns."""
    t = _load_golden_ext()
    hw = Hardware.maestro()
    checked = 0
    for i in range(len(t["type"])):
        if t["status"][i] != "ok":
            continue
        g, kind = int(t["G"][i]), str(t["type"][i])
        layer = Layer(
            int(t["K"][i]) * g, int(t["C"][i]) * g, *(int(t[d][i]) for d in "YXRS"),
            "CONV" if kind == "NGCONV" else kind, stride=(int(t["stride_y"][i]), int(t["stride_x"][i])),
            batch=int(t["N"][i]), groups=g,
        )  # fmt: skip
        df, p, k = str(t["dataflow"][i]), int(t["num_pes"][i]), int(t["ktile"][i])
        df = "dla" if df == "dpt" else df
        one = evaluate_layer(layer, p, k, df, hw)
        batch = evaluate(Model("m", [layer]), p, k, df, hw)
        assert one.valid and one.runtime == float(t["runtime"][i]) == batch.runtime[0]
        assert one.accesses["output_l1_write"] == float(t["output_l1_write"][i])
        assert one.energy == pytest.approx(float(t["energy"][i]), rel=1e-5)
        checked += 1
    assert checked > 250


# --- the two backends ------------------------------------------------------------------------

layer_row = st.tuples(
    st.integers(1, 300), st.integers(1, 300),  # K, C (totals)
    st.integers(1, 80), st.integers(1, 80), st.integers(1, 9), st.integers(1, 9),  # Y, X, R, S
    st.sampled_from([1, 1, 2, 3, 8]), st.sampled_from([1, 1, 2, 3, 4, 8]),  # N, G
    st.integers(1, 5), st.integers(1, 5),  # strides
)
wild = st.integers(-3, 2**62)


@pytest.mark.skipif(confuciux.BACKEND != "c", reason="compiled kernel not built")
@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.one_of(layer_row, layer_row, st.tuples(*[wild] * len(LAYER_COLUMNS))), min_size=1, max_size=12),
    dw=st.lists(st.booleans(), min_size=12, max_size=12),
    pes=st.lists(st.one_of(st.integers(1, 300), wild), min_size=12, max_size=12),
    ktile=st.lists(st.one_of(st.integers(1, 40), wild), min_size=12, max_size=12),
    dataflow=st.sampled_from(["dla", "shi", "eye"]),
    maestro=st.booleans(),
)
def test_c_equals_numpy_on_strided_batched_grouped_layers(rows, dw, pes, ktile, dataflow, maestro):
    from confuciux.cost import native

    n = len(rows)
    dims = np.array(rows, dtype=np.int64)
    hw = Hardware.maestro() if maestro else Hardware.default()
    args = (dims, np.array(dw[:n]), np.array(pes[:n], np.int64), np.array(ktile[:n], np.int64), dataflow, hw)
    a, b = native.evaluate_points(*args), reference.evaluate_points(*args)
    np.testing.assert_array_equal(a["status"], b["status"])
    for name in schema.CLOSED_FORM:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)  # NaN where not valid, in both


# --- properties ------------------------------------------------------------------------------

conv_layer = st.builds(
    lambda k, c, g, y, x, r, s, sy, sx, n, kind: Layer(
        k * g, c * g, max(y, r), max(x, s), r, s, kind, stride=(sy, sx), batch=n, groups=g
    ),
    st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 4]), st.integers(1, 60), st.integers(1, 60),
    st.integers(1, 7), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4), st.sampled_from([1, 2, 3, 8]),
    st.sampled_from(["CONV", "TRCONV"]),
)
dw_layer = st.builds(
    lambda c, y, x, r, s, sy, sx, n: Layer(1, c, max(y, r), max(x, s), r, s, "DSCONV", stride=(sy, sx), batch=n),
    st.integers(1, 200), st.integers(1, 60), st.integers(1, 60), st.integers(1, 7), st.integers(1, 7),
    st.integers(1, 4), st.integers(1, 4), st.sampled_from([1, 2, 3, 8]),
)


@settings(max_examples=150, deadline=None)
@given(layer=st.one_of(conv_layer, dw_layer), k=st.integers(1, 16))
def test_runtime_never_increases_with_pes(layer, k):
    """Verified numerically over P = 1..256 before being asserted: more PEs never slow a layer
    down (dla and dpt with strides, batch and groups; the forms' P-dependence is a ceiling)."""
    pes = np.arange(1, 257)
    c = evaluate(Model("m", [layer]), pes[:, None], k, "dla", Hardware.maestro())
    rt = c.runtime[:, 0]
    ok = c.valid[:, 0]
    assert ok.all() or not ok.any()  # validity does not depend on P for dla/dpt
    if ok.any():
        assert np.all(np.diff(rt) <= 0)


@settings(max_examples=100, deadline=None)
@given(layer=st.one_of(conv_layer, dw_layer), p=st.integers(1, 128), k=st.integers(1, 16))
def test_macs_are_the_real_work_when_the_strides_divide(layer, p, k):
    """dla's MAC count is Layer.macs (N·K·(C/G)·R·S·O_Y·O_X) unless a window ends in an edge
    step (then it can count the edge's meaningless extents); dpt's is at most that (MAESTRO
    drops k channels when the last spatial step has a partial PE, as at stride 1)."""
    c = evaluate_layer(layer, p, k, "dla", Hardware.maestro())
    divides = (layer.Y - layer.R) % layer.stride_y == 0 and (layer.X - layer.S) % layer.stride_x == 0
    if divides:
        assert c.valid and (c.macs <= layer.macs if layer.depthwise else c.macs == layer.macs)
    if c.valid:
        assert c.runtime >= 1 and c.energy >= 0


@pytest.mark.parametrize("dataflow", ["shi", "eye"])
def test_batch_and_groups_on_shi_and_eye_scale_the_work(dataflow):
    """At stride 1 batch and groups multiply every inner step's MACs: runtime grows with them
    and the MAC count is N·G times that of one group of one image."""
    base = Layer(8, 8, 20, 20, 3, 3)
    hw = Hardware.maestro()
    one = evaluate_layer(base, 4, 2, dataflow, hw)
    big = evaluate_layer(Layer(32, 32, 20, 20, 3, 3, batch=2, groups=4), 4, 2, dataflow, hw)
    assert big.valid and big.macs == 8 * one.macs and big.runtime > one.runtime


def test_trconv_costs_like_the_conv_maestro_runs():
    hw = Hardware.maestro()
    for df in ("dla", "shi", "eye"):
        a = evaluate_layer(Layer(16, 8, 34, 30, 4, 4, "TRCONV", batch=2), 8, 3, df, hw)
        b = evaluate_layer(Layer(16, 8, 34, 30, 4, 4, batch=2), 8, 3, df, hw)
        assert a == b


def test_refusals_are_invalid():
    # MAESTRO exits with code 255 on these (a stride larger than the kernel whose last window
    # would start past the input)
    layer = Layer(5, 6, 103, 9, 2, 2, stride=(4, 1))
    c = evaluate_layer(layer, 8, 5, "dla", Hardware.maestro())
    assert not c.valid and c.status == schema.INVALID and np.isnan(c.runtime)
    assert evaluate_layer(Layer(5, 6, 103, 9, 2, 2, stride=(3, 3)), 8, 5, "dla", Hardware.maestro()).valid


# --- the searches ----------------------------------------------------------------------------

EXT_MODEL = Model(
    "ext",
    [
        Layer.conv(3, 16, 32, 32, kernel=3, stride=2, padding=1, batch=2, name="stem"),
        Layer.conv(16, 16, 16, 16, kernel=3, padding=1, depthwise=True, stride=2, name="dw"),
        Layer.conv(16, 32, 8, 8, kernel=3, padding=1, groups=4, name="grouped"),
        Layer(16, 32, 12, 12, 4, 4, "TRCONV", name="up"),
        Layer.gemm(4, 10, 32, name="fc"),
    ],
)


@pytest.mark.parametrize("method", list(cx.explorer.METHODS))
def test_every_method_on_strided_grouped_batched_transposed_layers(method):
    pl = Platform.confuciux(EXT_MODEL, "dla", "area", 0.5, Hardware.default())
    r = Explorer(EXT_MODEL, pl, "latency", method, epochs=30, seed=3).run()
    assert r.feasible
    costs = evaluate(EXT_MODEL, r.pes, r.buffers, "dla", pl.hardware)
    assert costs.valid.all() and r.objective_value == pytest.approx(float(np.sum(costs.runtime)), rel=0, abs=0)
    assert pl.usage(r.pes, costs)["area"] <= pl.budgets["area"]


@pytest.mark.parametrize("dataflow", ["shi", "eye"])
def test_searches_on_shi_and_eye_with_strided_layers(dataflow):
    pl = Platform.confuciux(EXT_MODEL, dataflow, "area", 0.5, Hardware.default())
    r = Explorer(EXT_MODEL, pl, "latency", "exact").run()
    assert r.feasible
    costs = evaluate(EXT_MODEL, r.pes, r.buffers, dataflow, pl.hardware)
    assert costs.valid.all() and r.objective_value == pytest.approx(float(np.sum(costs.runtime)), rel=0, abs=0)


# MAESTRO runs (commit 4eb08d1, as ../shared/reference/README.md says) of strided CONV layers in
# the shi/eye regimes of the one-row / one-column quirks (docs/cost-model.md, "Strides"), three
# of them with strides > 4 (not in maestro_ext): dataflow, (K, C, Y, X, R, S, stride_y,
# stride_x), P, k, runtime (cycles), energy (nJ).
QUIRK_POINTS = [
    ("shi", (4, 206, 66, 99, 2, 2, 4, 4), 1, 2, 4440537, 22473.6),  # fallback X tile, inner edge
    ("shi", (3, 1, 2, 70, 2, 2, 5, 6), 2, 13, 386, 1.96466),  # fallback X tile, partial step
    ("eye", (28, 3, 17, 17, 7, 7, 2, 3), 1, 5, 291277, 124.968),  # one PE, X tiles ending in an edge
    ("eye", (100, 48, 10, 9, 7, 7, 1, 5), 1, 14, 5270017, 2722.89),  # a single X tile wider than X
    ("eye", (275, 738, 36, 36, 7, 7, 2, 2), 2, 1, 2240568001, 4.10285e6),
    ("eye", (16, 3, 8, 42, 2, 5, 5, 1), 3, 4, 103489, 99.3629),  # fallback Y tile x X quirk
    ("eye", (4, 3, 27, 27, 2, 2, 4, 4), 2, 10, 10993, 70.6892),  # both bands fall back
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_strided_quirk_points_match_maestro(backend):
    for df, (K, C, Y, X, R, S, sy, sx), p, k, runtime, energy in QUIRK_POINTS:
        dims = np.array([[K, C, Y, X, R, S, 1, 1, sy, sx]], dtype=np.int64)
        out = _points(backend)(dims, np.array([False]), np.array([p]), np.array([k]), df, Hardware.maestro())
        assert out["valid"][0], (df, K, C, Y, X)
        assert out["runtime"][0] == runtime, (df, K, C, Y, X)
        assert out["energy"][0] == pytest.approx(energy, rel=1e-5), (df, K, C, Y, X)


# MAESTRO runs (commit 4eb08d1, as ../shared/reference/README.md says) of strided CONV layers
# whose Y band and X band are both wider than the output (docs/cost-model.md, "Bands wider than
# the output"): dataflow, (K, C, Y, X, R, S, stride_y, stride_x), P, k, then runtime (cycles),
# L2 (bytes), MACs, energy (nJ), or None where MAESTRO aborts with SIGFPE (we say invalid).
WIDE_BAND_POINTS = [
    ("shi", (3, 2, 11, 3, 7, 3, 2, 1), 2, 4, (129, 150, 378, 1.46386)),
    ("shi", (2, 4, 11, 8, 7, 5, 2, 1), 8, 1, (289, 94, 3360, 4.31454)),
    ("shi", (8, 2, 4, 4, 3, 3, 1, 2), 3, 4, (149, 88, 288, 1.50667)),
    ("shi", (2, 4, 8, 7, 7, 7, 2, 1), 2, 1, None),  # first Y tile's inner window: an edge step
    ("shi", (3, 1, 10, 11, 7, 5, 2, 1), 8, 3, None),
    ("shi", (3, 2, 12, 4, 7, 3, 2, 1), 4, 4, None),
    ("eye", (2, 3, 7, 8, 7, 7, 3, 1), 4, 1, (301, 150, 7350, 3.89079)),
    ("eye", (8, 3, 7, 7, 7, 5, 1, 2), 6, 2, (853, 202, 12600, 9.37386)),
    ("eye", (2, 4, 9, 3, 5, 3, 2, 1), 8, 4, (125, 84, 720, 1.695)),
    ("eye", (3, 2, 7, 8, 7, 7, 2, 2), 6, 2, None),  # one output row, X window ends in an edge step
    ("eye", (3, 4, 7, 10, 7, 7, 2, 4), 3, 1, None),
    ("eye", (8, 2, 5, 4, 5, 3, 2, 2), 3, 3, None),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_bands_wider_than_the_output_match_maestro(backend):
    for df, (K, C, Y, X, R, S, sy, sx), p, k, want in WIDE_BAND_POINTS:
        dims = np.array([[K, C, Y, X, R, S, 1, 1, sy, sx]], dtype=np.int64)
        out = _points(backend)(dims, np.array([False]), np.array([p]), np.array([k]), df, Hardware.maestro())
        if want is None:
            assert out["status"][0] == schema.INVALID and np.isnan(out["runtime"][0]), (df, K, C, Y, X)
            continue
        runtime, l2, macs, energy = want
        assert out["valid"][0], (df, K, C, Y, X)
        assert (out["runtime"][0], out["l2_bytes"][0], out["macs"][0]) == (runtime, l2, macs), (df, K, C, Y, X)
        assert out["energy"][0] == pytest.approx(energy, rel=1e-5), (df, K, C, Y, X)


# MAESTRO runs with a Y band wider than the output and the X band not: dataflow, (K, C, Y, X, R,
# S, stride_y, stride_x), P, k, and MAESTRO's (runtime, L2 bytes, MACs, energy nJ) where it prints
# costs, None where it does not (runtime 0, negative counts or a SIGFPE abort; we say invalid).
Y_WIDE_X_FINE_POINTS = [
    ("shi", (2, 1, 4, 5, 3, 5, 2, 2), 6, 1, None),  # a single X tile
    ("shi", (3, 4, 7, 17, 5, 3, 3, 1), 3, 4, None),  # no X edge tile
    ("shi", (2, 2, 12, 7, 7, 5, 6, 4), 2, 1, None),  # SIGFPE: the Y window ends in an edge step
    ("shi", (2, 3, 6, 6, 5, 5, 3, 5), 4, 2, None),  # SIGFPE
    ("shi", (3, 2, 3, 4, 3, 3, 1, 3), 1, 2, (76, 76, 108, 0.487954)),
    ("shi", (2, 2, 9, 32, 7, 5, 1, 5), 2, 1, (144, 306, 1120, 3.26159)),
    ("eye", (2, 2, 4, 3, 3, 3, 2, 6), 4, 2, None),
    ("eye", (3, 1, 7, 1, 5, 1, 2, 2), 5, 4, None),
    ("eye", (8, 4, 8, 4, 7, 3, 4, 4), 6, 3, (768, 198, 8064, 4.24606)),
    ("eye", (3, 2, 7, 43, 7, 7, 1, 5), 2, 3, (296, 632, 882, 3.72386)),
    ("eye", (374, 30, 16, 16, 3, 3, 2, 3), 16, 12, (104640, 264, 201960, 80.8977)),  # a maestro_ext row
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_y_band_wider_than_the_output_with_x_fine(backend):
    """Invalid where MAESTRO prints no costs, its numbers where it does."""
    for df, (K, C, Y, X, R, S, sy, sx), p, k, want in Y_WIDE_X_FINE_POINTS:
        dims = np.array([[K, C, Y, X, R, S, 1, 1, sy, sx]], dtype=np.int64)
        out = _points(backend)(dims, np.array([False]), np.array([p]), np.array([k]), df, Hardware.maestro())
        if want is None:
            assert out["status"][0] == schema.INVALID and np.isnan(out["runtime"][0]), (df, K, C, Y, X)
            continue
        runtime, l2, macs, energy = want
        assert out["valid"][0], (df, K, C, Y, X)
        assert (out["runtime"][0], out["l2_bytes"][0], out["macs"][0]) == (runtime, l2, macs), (df, K, C, Y, X)
        assert out["energy"][0] == pytest.approx(energy, rel=1e-5), (df, K, C, Y, X)


# The same regime with a batch: dataflow, (K, C, Y, X, R, S, N, stride_y, stride_x), P, k and
# MAESTRO's (runtime, L2 bytes, MACs, energy nJ).
# (dataflow, (K, C, Y, X, R, S, N, G, stride_y, stride_x), P, k, MAESTRO's (runtime, L2, MACs, energy))
Y_WIDE_X_FINE = [
    ("eye", (3, 2, 7, 43, 7, 7, 2, 1, 1, 5), 2, 3, (590, 970, 1764, 6.18931)),
    ("shi", (2, 2, 9, 32, 7, 5, 3, 1, 1, 5), 2, 1, (424, 498, 3360, 7.98704)),
    # grouped (issue 15: these were status 4, "not supported"): G = 2, 3 filters and 2 channels
    # per group; the last is MAESTRO's runtime 282, L2 388, MACs 2,100
    ("eye", (6, 4, 7, 43, 7, 7, 1, 2, 1, 5), 2, 3, (590, 1264, 1764, 7.44772)),
    ("eye", (6, 2, 9, 10, 7, 5, 1, 2, 4, 4), 5, 2, (282, 388, 2100, 1.42106)),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_or_groups_under_a_wide_y_band_with_x_fine(backend):
    """Batched and grouped points of the regime have MAESTRO's numbers."""
    for df, dims_, p, k, (runtime, l2, macs, energy) in Y_WIDE_X_FINE:
        dims = np.array([dims_], dtype=np.int64)
        out = _points(backend)(dims, np.array([False]), np.array([p]), np.array([k]), df, Hardware.maestro())
        assert out["valid"][0], (df, dims_)
        assert (out["runtime"][0], out["l2_bytes"][0], out["macs"][0]) == (runtime, l2, macs), (df, dims_)
        assert out["energy"][0] == pytest.approx(energy, rel=1e-5), (df, dims_)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eye_with_an_empty_first_inner_step_is_invalid(backend):
    """eye, strided, one output row in the first Y tile, one output column with a partial
    remainder and an X band whose offset runs past the row, P > 1: MAESTRO dies of SIGFPE
    (issue 15).  The same layer on one PE, or with a whole last column, is costed."""
    dims = np.array([[1, 1, 1, 5, 1, 4, 1, 1, 1, 3], [1, 1, 1, 5, 1, 4, 1, 1, 1, 3], [1, 1, 1, 4, 1, 4, 1, 1, 1, 3]])
    out = _points(backend)(dims, np.zeros(3, bool), np.array([2, 1, 2]), np.array([1, 1, 1]), "eye", Hardware.maestro())
    assert out["status"][0] == schema.INVALID and list(out["valid"]) == [False, True, True]
