"""Platform: the paper's budget, FPGA presets, resource usage, validation."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux import Hardware, Platform, evaluate


def test_confuciux_budget_is_min_plus_mul_range_of_corners():
    m = cx.zoo.load("mobilenet_v2")
    pl = Platform.confuciux(m, "shi", "area", 0.3, Hardware.maestro())
    corners = [evaluate(m, p, k, "shi", Hardware.maestro()).total().area for p in (1, 128) for k in (1, 12)]
    lo, hi = min(corners), max(corners)
    assert pl.budgets == {"area": pytest.approx(lo + 0.3 * (hi - lo))}
    assert Platform.confuciux(m, constraint="pes", mul=1.0).budgets["pes"] == 128 * len(m)
    assert Platform.confuciux(m, constraint="pes", mul=0.0).budgets["pes"] == len(m)


def test_fpga_presets():
    assert Platform.cloud_fpga().budgets == {"pes": 4096, "l1_bytes": 8192}
    assert Platform.edge_fpga("eye").budgets == {"pes": 256, "l1_bytes": 4096}


def test_usage_lp_sums_ls_takes_the_largest():
    m = cx.zoo.load("example")
    pes = np.array([8, 32])
    costs = evaluate(m, pes, [2, 5])
    lp = Platform(deployment="LP").usage(pes, costs)
    ls = Platform(deployment="LS").usage(pes, costs)
    assert lp["pes"] == 40 and ls["pes"] == 32
    assert lp["area"] == pytest.approx(costs.area.sum())
    a, _ = cx.area_power(32, int(costs.l1_bytes.max()), int(costs.l2_bytes.max()))
    assert ls["area"] == pytest.approx(a) and ls["l1_bytes"] == costs.l1_bytes.max()


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(dataflow="tpu"), ValueError),
        (dict(deployment="XX"), ValueError),
        (dict(budgets={"bandwidth": 3}), ValueError),
        (dict(budgets={"area": -1}), ValueError),
        (dict(budgets={"area": float("nan")}), ValueError),
        (dict(budgets={"area": "big"}), TypeError),
        (dict(pe_levels=(4, 2)), ValueError),
        (dict(pe_levels=()), ValueError),
        (dict(buffer_levels=(0, 1)), ValueError),
        (dict(hardware="maestro"), TypeError),
    ],
)
def test_validation(kwargs, exc):
    with pytest.raises(exc):
        Platform(**kwargs)


def test_confuciux_argument_errors():
    m = cx.zoo.load("example")
    with pytest.raises(ValueError, match="constraint"):
        Platform.confuciux(m, constraint="speed")
    with pytest.raises(ValueError, match="mul"):
        Platform.confuciux(m, mul=1.5)


@pytest.mark.parametrize(
    "levels, exc, message",
    [
        ((2**63,), ValueError, "pe_levels"),  # was accepted, then the explorer reported -2**63 PEs
        ((4, 10**5000), ValueError, "pe_levels"),
        (np.array([2**64 - 1], dtype=np.uint64), ValueError, "pe_levels"),
        ((2.0**70,), ValueError, "pe_levels"),
        ((1.5,), ValueError, "whole number"),
        ((float("inf"),), ValueError, "whole number"),  # was an OverflowError
        ((True, 2), TypeError, "must be an integer"),
        (("3",), TypeError, "must be an integer"),
        ("12", TypeError, "sequence of integers"),
        (7, TypeError, "sequence of integers"),
        ((0, 1), ValueError, "pe_levels"),
    ],
)
def test_levels_within_the_kernels_int64_range(levels, exc, message):
    with pytest.raises(exc, match=message):
        Platform(pe_levels=levels)


def test_levels_are_plain_ints():
    pl = Platform(pe_levels=np.array([1, 2, 4]), buffer_levels=(1.0, 4))
    assert pl.pe_levels == (1, 2, 4) and pl.buffer_levels == (1, 4)
    assert all(type(v) is int for v in pl.pe_levels + pl.buffer_levels)


@pytest.mark.parametrize(
    "value, exc, message",
    [
        (10**400, ValueError, r"budget 'area' must be a finite number > 0 \(µm²\), got a 1329-bit integer"),
        (float("inf"), ValueError, "finite number > 0"),
        (np.float64("nan"), ValueError, "finite number > 0"),
        (0, ValueError, "finite number > 0"),
        (-3.0, ValueError, "finite number > 0"),
        (True, TypeError, r"must be a number \(µm²\)"),
        ("1e6", TypeError, r"must be a number \(µm²\)"),
    ],
)
def test_budget_values_are_finite_positive_numbers(value, exc, message):
    with pytest.raises(exc, match=message):
        Platform(budgets={"area": value})


def test_budget_messages_name_the_unit():
    with pytest.raises(ValueError, match=r"budget 'power' .* \(mW\)"):
        Platform(budgets={"power": 0})
    assert Platform(budgets={"pes": np.int64(5)}).budgets == {"pes": 5.0}
def test_two_level_action_space_defaults():
    pl = Platform()
    assert pl.pe_bounds == (1, 128) and pl.buffer_bounds == (1, 12)
    assert pl.n_coarse == 144 and pl.n_options == 1536
    pes, bufs = pl.options()
    assert pes.size == 1536 and len(set(zip(pes.tolist(), bufs.tolist(), strict=True))) == 1536
    # the coarse grid first, in level order: option i*12 + j is (pe_levels[i], buffer_levels[j])
    assert pes[5 * 12 + 3] == pl.pe_levels[5] and bufs[5 * 12 + 3] == pl.buffer_levels[3]
    on_grid = np.isin(pes[144:], pl.pe_levels) & np.isin(bufs[144:], pl.buffer_levels)
    assert set(pes[144:].tolist()) <= set(range(1, 129)) and not np.any(on_grid)
    grid = Platform(space="grid")
    assert grid.n_options == 144 and np.array_equal(grid.options()[0], pes[:144])
    d = pl.describe_space()
    assert d["options"] == 1536 and d["pe_bounds"] == [1, 128] and d["space"] == "box"


def test_bounds_default_to_the_span_of_the_levels_and_are_validated():
    pl = Platform(pe_levels=(2, 8), buffer_levels=(1, 4))
    assert pl.pe_bounds == (2, 8) and pl.buffer_bounds == (1, 4) and pl.n_options == 7 * 4
    assert Platform(pe_levels=(2, 8), pe_bounds=(1, 16)).pe_bounds == (1, 16)
    for kwargs in (dict(pe_bounds=(4, 64)), dict(pe_bounds=(1,)), dict(pe_bounds=(9, 3)), dict(buffer_bounds=(0, 12)),
                   dict(space="lattice"), dict(pe_levels=(2**63,)), dict(pe_bounds=(1, 2**31)),
                   dict(pe_bounds=(1, 2**20), buffer_bounds=(1, 12))):  # fmt: skip
        with pytest.raises(ValueError):
            Platform(**kwargs)
    with pytest.raises(TypeError):
        Platform(pe_bounds=("a", "b"))


def test_problem_covers_the_box_and_encodes_integer_designs():
    from confuciux.search.problem import Problem

    m = cx.zoo.load("example")
    problem = Problem(m, Platform())
    assert problem.n_options == 1536 and problem.table["runtime"].shape == (len(m), 1536)
    choice = problem.encode([29, 96], [7, 3])
    assert list(problem.pes[choice]) == [29, 96] and list(problem.buffers[choice]) == [7, 3]
    costs = evaluate(m, [29, 96], [7, 3])
    assert np.array_equal(problem.table["runtime"][[0, 1], choice], costs.runtime)
    with pytest.raises(ValueError):
        problem.encode([129, 1], [1, 1])
    with pytest.raises(ValueError):
        Problem(m, Platform(space="grid")).encode([29, 96], [7, 3])


def test_several_dataflows_are_blocks_of_options():
    pl = Platform(("DLA", "eye"), pe_levels=(1, 3, 6), buffer_levels=(1, 3))
    assert pl.dataflow == ("dla", "eye") and pl.dataflows == ("dla", "eye") and pl.dataflow_label == "dla+eye"
    assert pl.n_block == 18 and pl.n_options == 36
    pes, bufs = pl.options()
    one = Platform("dla", pe_levels=(1, 3, 6), buffer_levels=(1, 3)).options()
    assert np.array_equal(pes, np.tile(one[0], 2)) and np.array_equal(bufs, np.tile(one[1], 2))
    assert np.array_equal(pl.option_dataflows(), np.repeat([0, 1], 18))
    assert pl.describe_space()["dataflows"] == ["dla", "eye"] and "dataflows" not in Platform().describe_space()
    assert Platform(("shi",)).dataflow == "shi" and Platform(["eye", "shi"]).dataflows == ("eye", "shi")


@pytest.mark.parametrize("bad, error, match", [
    ((), ValueError, "at least one"), (("dla", "dla"), ValueError, "twice"), (("dla", "tpu"), ValueError, "tpu"),
    (("dla", 3), TypeError, "a dataflow is a preset's name"), (5, TypeError, "dataflow must be"),
    ((None, None), ValueError, "twice"), (("kcp_ws", "KCP_WS"), ValueError, "twice"),
])  # fmt: skip
def test_bad_dataflow_tuples(bad, error, match):
    with pytest.raises(error, match=match):
        Platform(bad)


def test_ls_with_several_dataflows_is_refused():
    with pytest.raises(ValueError, match="one accelerator, which has one dataflow"):
        Platform(("dla", "eye"), deployment="LS")
    with pytest.raises(ValueError, match="one dataflow"):
        Platform.confuciux(cx.zoo.load("example"), ("dla", "eye"), deployment="LS")


def test_confuciux_budget_over_several_dataflows_spans_their_corners():
    m = cx.zoo.load("example")
    budgets = {d: Platform.confuciux(m, d, mul=0.0).budgets["area"] for d in ("dla", "eye")}
    tops = {d: Platform.confuciux(m, d, mul=1.0).budgets["area"] for d in ("dla", "eye")}
    both = Platform.confuciux(m, ("dla", "eye"), mul=0.0)
    assert both.dataflows == ("dla", "eye") and both.budgets["area"] == pytest.approx(min(budgets.values()))
    assert Platform.confuciux(m, ("dla", "eye"), mul=1.0).budgets["area"] == pytest.approx(max(tops.values()))
    assert Platform.edge_fpga(("dla", "shi")).dataflows == ("dla", "shi")


def test_confuciux_budget_when_a_corner_layer_cannot_be_costed():
    # issue 18 item 18: on shi a 3×3 output of a 3×3 kernel is costable at P = 2 only (of the
    # levels), so every corner design had an invalid layer: NumPy's "All-NaN axis" warning leaked
    # and the platform was refused although designs exist.  Such a layer now takes the costable
    # point nearest to the corner.
    import warnings

    m = cx.Model("corner", [cx.Layer(K=16, C=16, Y=3, X=3, R=3, S=3, name="small"),
                            cx.Layer(K=16, C=16, Y=8, X=8, R=3, S=3)])  # fmt: skip
    assert not evaluate(m, 128, 12, "shi").valid[0] and not evaluate(m, 1, 1, "shi").valid[0]
    # MAESTRO's costs of layer 0 at P = 2 and 3 read less input than the layer has: impossible, so
    # by default the layer has no option at all
    assert set(evaluate(m[:1], [[2], [3]], 1, "shi").status[:, 0]) == {cx.cost.schema.IMPOSSIBLE}
    with pytest.raises(ValueError, match="layer 0 .'small'. has no costable option on dataflow shi"):
        Platform.confuciux(m, "shi", "area", 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pl = Platform.confuciux(m, "shi", "area", 0.5, allow_impossible=True)
        r = cx.Explorer(m, pl, "latency", epochs=30, seed=0).run()
    # the corners: layer 0 (costable at P = 2 and 3 only) at its nearest costable point of the box
    # (same k; P = 3 for the P = 128 corners, 2 for the P = 1 ones), layer 1 at the corner
    lo_hi = []
    for p, k in ((128, 12), (1, 1), (128, 1), (1, 12)):
        a = evaluate(m[1:], p, k, "shi").total().area + evaluate(m[:1], 3 if p == 128 else 2, k, "shi").total().area
        lo_hi.append(a)
    assert pl.budgets["area"] == pytest.approx(min(lo_hi) + 0.5 * (max(lo_hi) - min(lo_hi)), rel=1e-12)
    assert r.feasible and r.objective_value == cx.Explorer(m, pl, "latency", "exact").run().objective_value


def test_confuciux_budget_names_a_layer_no_option_can_cost():
    m = cx.Model("broken", [cx.Layer(K=8, C=8, Y=8, X=8, R=3, S=3),
                            cx.Layer(K=8, C=8, Y=3, X=10, R=3, S=1, name="too-small")])  # fmt: skip
    with pytest.raises(ValueError, match=r"layer 1 \('too-small'\).*shi"):
        Platform.confuciux(m, "shi")
    assert Platform.confuciux(m, ("shi", "dla")).budgets["area"] > 0  # dla can cost it: its corners count


# --- programs, each layer's own, physically impossible options ---------------------------------
MINE = cx.Dataflow.parse("""
TemporalMap(2,2) K; TemporalMap(1,1) C; SpatialMap(1,1) Y'; TemporalMap(4,4) X';
TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
Cluster(4, P);
SpatialMap(1,1) X'; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
""")  # output stationary, no KTileSz
TWO = cx.Model("two", [cx.Layer(16, 8, 12, 12, 3, 3, name="a"), cx.Layer(8, 16, 10, 10, 3, 3, name="b")])


def test_programs_names_and_none_are_dataflows_of_a_platform():
    other = cx.Dataflow.parse(str(MINE).replace("TemporalMap(2,2) K", "TemporalMap(4,4) K"))
    pl = Platform(("DLA", MINE, None, cx.Dataflow.preset("kcp_ws"), other))
    assert pl.dataflows == ("dla", MINE, None, cx.Dataflow.preset("kcp_ws"), other)
    assert pl.dataflow_label == "dla+program+model+kcp_ws+program#2"
    assert Platform(MINE).dataflow is MINE and Platform(None).dataflow_label == "model"
    with pytest.raises(ValueError, match="twice"):
        Platform((MINE, cx.Dataflow.parse(str(MINE))))


def test_a_program_without_ktilesz_keeps_one_buffer_option_a_p():
    from confuciux.search.problem import Problem

    space = dict(pe_levels=(4, 6, 8), buffer_levels=(1, 2, 3))
    pr = Problem(TWO, Platform(MINE, **space), "latency")
    lowest = pr.buffers == 1
    assert pr.valid[:, ~lowest].sum() == 0 and pr.valid[:, lowest].sum() > 0
    for k in (2, 3):  # the same costs, marked not valid: no duplicate options
        np.testing.assert_array_equal(pr.table["runtime"][:, pr.buffers == k], pr.table["runtime"][:, lowest])
    np.testing.assert_array_equal(pr.table["runtime"][:, lowest], evaluate(TWO, pr.pes[lowest][:, None], 1, MINE,
                                                                          outputs=("runtime",)).runtime.T)  # fmt: skip
    own = Problem(cx.Model("two", list(TWO), dataflows=(MINE, None)), Platform(None, **space), "latency")
    assert own.valid[0, ~lowest].sum() == 0 and own.valid[1, ~lowest].sum() > 0  # layer b runs dla: k matters
    assert own.decode_dataflows(np.zeros(2, dtype=np.int64)) == (MINE, "dla")


def test_a_program_a_layer_cannot_take_leaves_it_no_option_and_says_why():
    from confuciux.search.problem import Problem

    pr = Problem(TWO, Platform("nmk", pe_levels=(100, 128), buffer_levels=(1, 2)), "latency")
    assert list(pr.uncostable) == [0, 1]
    assert "has no dimension M" in pr.infeasible_reason() and "layer 0 ('a')" in pr.infeasible_reason()
    both = Problem(TWO, Platform(("nmk", "dla"), pe_levels=(100, 128), buffer_levels=(1, 2)), "latency")
    assert not both.uncostable.size and not both.valid[:, : both.block].any()


def test_impossible_options_are_left_out_unless_allowed():
    import dataclasses

    from confuciux.search.problem import Problem

    m = cx.zoo.load("vgg16")[:4]  # eye: MAESTRO's double spatial map runs below the compute bound for P > 1
    pl = Platform("eye", pe_levels=(1, 2), buffer_levels=(1, 2))
    strict, loose = Problem(m, pl, "latency"), Problem(m, dataclasses.replace(pl, allow_impossible=True), "latency")
    costs = evaluate(m, strict.pes[:, None], strict.buffers[:, None], "eye", outputs=("runtime",))
    np.testing.assert_array_equal(strict.valid, costs.physical.T)
    np.testing.assert_array_equal(loose.valid, costs.valid.T)
    assert (loose.valid & ~strict.valid).any()
    budgets = {"area": float(np.sum(np.nanmax(strict.table["area"], axis=1)))}
    for allow in (False, True):
        r = cx.Explorer(m, Platform("eye", budgets=budgets, allow_impossible=allow, pe_levels=(1, 2),
                                    buffer_levels=(1, 2)), "latency", "exact").run()  # fmt: skip
        assert r.feasible and r.costs.physical.all() == (not allow)  # allowed: the faster, impossible P = 2
        assert (r.platform.get("allow_impossible") is True) == allow and (r.space.get("allow_impossible") is True) == allow
        back = cx.Result.from_json(r.to_json())
        assert back.feasible == r.feasible
    with pytest.raises(TypeError, match="allow_impossible"):
        Platform(allow_impossible=1)
