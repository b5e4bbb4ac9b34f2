"""Explorer end to end: every method, feasibility, fidelity to evaluate, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Explorer, Hardware, Platform, Result, evaluate
from confuciux.budgets import lp_total

MODEL = cx.zoo.load("mobilenet_v2")[:12]  # the first 12 layers: quick, still interesting


@pytest.fixture(scope="module")
def platform():
    return Platform.confuciux(MODEL, "dla", "area", 0.5, Hardware.default())


@pytest.fixture(scope="module")
def optimum(platform):
    return Explorer(MODEL, platform, "latency", "exact").run()


@pytest.mark.parametrize("method", ["confuciux", "rl", "ga", "random", "anneal", "heuristic", "exact"])
def test_methods_return_feasible_designs_that_evaluate_agrees_with(method, platform, optimum):
    r = Explorer(MODEL, platform, "latency", method, epochs=60, seed=1).run()
    assert r.feasible and r.method == method
    costs = evaluate(MODEL, r.pes, r.buffers, platform.dataflow, platform.hardware)
    assert r.objective_value == float(lp_total(costs.runtime))  # the budgets' summation order
    np.testing.assert_array_equal(r.costs.energy, costs.energy)
    used = platform.usage(r.pes, costs)["area"]
    assert r.constraint_used["area"]["used"] == pytest.approx(float(used)) and used <= platform.budgets["area"]
    assert r.objective_value >= optimum.objective_value * (1 - 1e-12)  # nothing beats the optimum
    assert len(r.history) >= 1 and r.evaluations >= 1
    (p0, p1), (k0, k1) = platform.pe_bounds, platform.buffer_bounds
    assert np.all((r.pes >= p0) & (r.pes <= p1)) and np.all((r.buffers >= k0) & (r.buffers <= k1))
    assert r.space["options"] == platform.n_options


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["mobilenet_v2", "resnet50", "vgg16", "mnasnet", "gnmt"]), st.integers(0, 40), st.integers(3, 10),
    st.sampled_from(["dla", "shi", "eye"]), st.sampled_from(["latency", "energy"]), st.sampled_from(["area", "power"]),
    st.floats(0.05, 0.95), st.booleans(), st.sampled_from(["confuciux", "rl", "ga", "random", "anneal", "heuristic"]),
    st.integers(0, 2**32),
)  # fmt: skip
def test_no_method_beats_the_exact_optimum_and_results_match_evaluate(name, start, length, dataflow, objective,
                                                                       constraint, mul, maestro, method,
                                                                       seed):  # fmt: skip
    full = cx.zoo.load(name)
    model = full[start % len(full) : start % len(full) + length]
    hw = Hardware.maestro() if maestro else Hardware.default()
    pl = Platform.confuciux(model, dataflow, constraint, mul, hw)
    best = Explorer(model, pl, objective, "exact").run()
    r = Explorer(model, pl, objective, method, epochs=12, seed=seed).run()
    assert best.feasible and r.feasible  # mul > 0: the all-smallest corner design fits
    assert r.objective_value >= best.objective_value * (1 - 1e-12)
    costs = evaluate(model, r.pes, r.buffers, dataflow, hw)
    assert r.objective_value == float(lp_total(costs.runtime if objective == "latency" else costs.energy))
    used = float(pl.usage(r.pes, costs)[constraint])
    assert r.constraint_used[constraint]["used"] == used
    assert r.feasible == (bool(np.all(costs.valid)) and used <= pl.budgets[constraint])


def test_exact_reports_its_bound(optimum):
    assert optimum.lower_bound == pytest.approx(optimum.objective_value) and optimum.gap == pytest.approx(0.0)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp", "throughput"])
def test_same_seed_bit_identical_and_global_rng_untouched(objective, platform):
    state = np.random.get_state()[1].copy()
    a = Explorer(MODEL, platform, objective, "confuciux", epochs=30, seed=7).run()
    b = Explorer(MODEL, platform, objective, "confuciux", epochs=30, seed=7).run()
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    da, db = a.to_dict(), b.to_dict()
    da.pop("seconds"), db.pop("seconds")
    assert json.dumps(da) == json.dumps(db)


def test_seed_none_is_recorded_and_replays(platform):
    a = Explorer(MODEL, platform, "latency", "ga", epochs=10).run()
    b = Explorer(MODEL, platform, "latency", "ga", epochs=10, seed=a.seed).run()
    np.testing.assert_array_equal(a.pes, b.pes)
    assert a.history == b.history


def test_confuciux_reaches_the_optimum_on_mobilenet_v2():
    model = cx.zoo.load("mobilenet_v2")
    for hw, df in ((Hardware.default(), "dla"), (Hardware.maestro(), "eye")):
        pl = Platform.confuciux(model, df, "area", 0.5, hw)
        best = Explorer(model, pl, "latency", "exact").run().objective_value
        r = Explorer(model, pl, "latency", "confuciux", epochs=500, seed=0).run()
        assert r.feasible and r.objective_value <= best * 1.01


def test_interrupt_returns_best_so_far(platform):
    def stop(progress):
        if progress.epoch == 15:
            raise KeyboardInterrupt

    r = Explorer(MODEL, platform, "latency", "ga", epochs=100, seed=0, callback=stop).run()
    assert r.interrupted and len(r.history) == 15 and r.feasible  # epoch 15 completed, then Ctrl-C


def test_budget_below_smallest_design_gives_an_infeasible_result():
    pl = Platform("dla", budgets={"area": 1.0})
    for method in ("confuciux", "exact", "heuristic"):
        r = Explorer(MODEL, pl, "latency", method, epochs=9, seed=0).run()
        assert not r.feasible and r.constraint_used["area"]["fraction"] > 1


def test_callback_sees_progress(platform):
    seen = []
    Explorer(MODEL, platform, "latency", "confuciux", epochs=9, seed=0, callback=seen.append).run()
    assert [p.epoch for p in seen] == list(range(1, 10))
    assert {p.stage for p in seen} == {"rl", "ga"} and seen[-1].feasible


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(objective="speed"), ValueError),
        (dict(method="pso"), ValueError),
        (dict(epochs=0), ValueError),
        (dict(epochs=2.5), ValueError),
        (dict(seed=-1), ValueError),
        (dict(callback=3), TypeError),
    ],
)
def test_bad_arguments(kwargs, exc, platform):
    with pytest.raises(exc):
        Explorer(MODEL, platform, **kwargs)


def test_bad_model_and_platform(platform):
    with pytest.raises(ValueError, match="no layers"):
        Explorer(cx.Model("empty", []), platform)
    with pytest.raises(TypeError):
        Explorer(MODEL, "cloud")


def test_result_json_round_trip_and_summary(platform):
    r = Explorer(MODEL, platform, "latency", "exact").run()
    back = Result.from_json(r.to_json())
    np.testing.assert_array_equal(back.pes, r.pes)
    np.testing.assert_array_equal(back.costs.runtime, r.costs.runtime)
    assert back.objective_value == r.objective_value and back.constraint_used == r.constraint_used
    assert back.history == r.history and back.improvements == r.improvements and len(r.improvements) == 1
    text = r.summary()
    assert "latency" in text and "budget area" in text and "lower bound" in text
    assert r.on_bound and back.on_bound == r.on_bound  # k = 12 is ConfuciuX's cap; some layers want more
    assert "on the space's upper bound:" in text and len(text.splitlines()) == 2 + len(MODEL) + 5


def test_ls_deployment_and_fpga_platforms():
    r = Explorer(MODEL, Platform.confuciux(MODEL, deployment="LS"), "latency", "ga", epochs=20, seed=0).run()
    assert r.feasible
    for pl in (Platform.cloud_fpga(), Platform.edge_fpga()):
        r = Explorer(MODEL, pl, "latency", "confuciux", epochs=30, seed=0).run()
        assert r.feasible and r.constraint_used["pes"]["used"] <= pl.budgets["pes"]


@pytest.mark.parametrize("method", ["confuciux", "ga", "anneal", "random", "heuristic"])
def test_improvements_trace_the_best_design(method, platform):
    r = Explorer(MODEL, platform, "latency", method, epochs=40, seed=3).run()
    best = [h["best"] for h in r.improvements]
    evals = [h["evaluations"] for h in r.improvements]
    assert r.feasible and best and best[-1] == r.objective_value
    assert all(b < a for a, b in zip(best, best[1:], strict=False))
    assert evals == sorted(evals) and evals[-1] <= r.evaluations
    # each epoch's best-so-far is the last improvement met by then
    for h in r.history:
        seen = [i["best"] for i in r.improvements if i["evaluations"] <= h["evaluations"]]
        np.testing.assert_equal(seen[-1] if seen else np.nan, h["best"])


def test_a_user_defined_method_plugs_in(platform):
    from confuciux.search.methods import METHODS, register
    from confuciux.search.random_search import random_designs

    class Greedy:  # keeps the best of a few random designs an epoch, stepping nothing
        name = "greedy-test"

        def __init__(self, per_epoch):
            self.per_epoch = per_epoch

        def run(self, problem, tracker, rng, epochs, start=None):
            for _ in range(epochs):
                tracker.score(random_designs(problem, rng, self.per_epoch))
                tracker.end_epoch(self.name)
            return None

    r = Explorer(MODEL, platform, "latency", Greedy(5), epochs=7, seed=0).run()
    assert r.method == "greedy-test" and len(r.history) == 7 and r.evaluations >= 35 and r.feasible
    again = Explorer(MODEL, platform, "latency", Greedy(5), epochs=7, seed=0).run()
    np.testing.assert_array_equal(r.pes, again.pes)
    register(Greedy(3))
    try:
        named = Explorer(MODEL, platform, "latency", "greedy-test", epochs=4, seed=0).run()
        assert named.method == "greedy-test" and len(named.history) == 4
    finally:
        del METHODS["greedy-test"]
    with pytest.raises(TypeError, match="SearchMethod"):
        Explorer(MODEL, platform, "latency", object())


def test_builtin_methods_expose_hyperparameters_and_compose(platform):
    from confuciux.search.methods import Anneal, Genetic, RandomSearch, Reinforce, TwoStage

    r = Explorer(MODEL, platform, "latency", Genetic(population=8, elite=1), epochs=5, seed=0).run()
    assert r.method == "ga" and r.evaluations >= 8 * 5
    two = TwoStage(RandomSearch(population=3), Anneal(batch=4), share=0.5, name="random+anneal")
    seen = []
    r = Explorer(MODEL, platform, "latency", two, epochs=10, seed=0, callback=seen.append).run()
    assert r.method == "random+anneal" and [p.stage for p in seen] == ["random"] * 5 + ["anneal"] * 5
    ref = Explorer(MODEL, platform, "latency", "confuciux", epochs=9, seed=2).run()
    same = Explorer(MODEL, platform, "latency", TwoStage(Reinforce(), Genetic()), epochs=9, seed=2).run()
    np.testing.assert_array_equal(ref.pes, same.pes)
    assert ref.history == same.history
    with pytest.raises(ValueError):
        Genetic(population=4, elite=4)


@pytest.mark.parametrize("method", ["confuciux", "rl", "ga", "random", "anneal", "heuristic", "exact"])
def test_a_layer_no_option_can_cost_gives_an_infeasible_result_naming_it(method):
    # on shi a layer with O_Y < R but O_X >= P for every P <= X (S = 1) is never valid
    # (docs/cost-model.md); the rest of the model can be costed
    bad = cx.Model("broken", [*MODEL[:3], cx.Layer(K=8, C=8, Y=3, X=10, R=3, S=1, name="too-small")])
    pl = Platform("shi", budgets={"area": 1e12})
    valid = cx.evaluate(bad, np.arange(1, 129)[:, None].repeat(len(bad), 1), 4, "shi").valid
    assert not valid[:, 3].any() and valid[:, :3].any(axis=0).all()
    r = Explorer(bad, pl, "latency", method, epochs=6, seed=0).run()
    assert not r.feasible and "too-small" in r.reason and "layer 3" in r.reason


def test_the_ga_fine_tunes_off_the_coarse_grid():
    # RL picks coarse levels; the GA steps over the integer box, so the two-stage search can beat
    # the best design of the coarse grid, with PE counts that are not levels
    from dataclasses import replace

    pl = Platform.edge_fpga()  # two budgets: ~4 PEs a layer, where the levels are coarse
    grid_optimum = Explorer(MODEL, replace(pl, space="grid"), "latency", "exact").run()
    r = Explorer(MODEL, pl, "latency", "confuciux", epochs=150, seed=0).run()
    assert r.feasible and r.objective_value < grid_optimum.objective_value
    assert not set(r.pes.tolist()) <= set(pl.pe_levels)


def test_epochs_beyond_the_limit_are_refused():
    from confuciux.explorer import MAX_EPOCHS

    m = cx.zoo.load("example")
    with pytest.raises(ValueError, match="epochs"):
        cx.Explorer(m, cx.Platform("dla", budgets={"pes": 64}), epochs=MAX_EPOCHS + 1)


def test_layer_features_of_a_huge_layer_are_finite():
    from confuciux.search.problem import Problem
    from confuciux.search.reinforce import layer_features

    big = cx.Model("x", (cx.Layer(2**40, 2**40, 2**20, 2**20, 3, 3),))
    feats = layer_features(Problem(big, cx.Platform("dla", budgets={"area": 1e7}), "latency"))
    assert np.all(np.isfinite(feats))


@pytest.mark.parametrize("method", ["confuciux", "ga"])
@pytest.mark.parametrize("objective, deployment", [("throughput", "LP"), ("edp", "LP"), ("latency", "LS")])
def test_frontiers_of_one_option_each_leave_the_polish_nothing_to_move(method, objective, deployment):
    # issue 18 item 8: on shi GNMT's GEMMs get no faster with more PEs, so under a PE budget every
    # layer's frontier is its one lightest option; the general polish then had no move and died
    # with "attempt to get argmin of an empty sequence"
    from confuciux.search.moves import Frontiers
    from confuciux.search.problem import Problem

    m = cx.zoo.load("gnmt")
    pl = Platform("shi", budgets={"pes": 100}, deployment=deployment)
    assert np.all(Frontiers(Problem(m, pl, objective)).length == 1)
    r = Explorer(m, pl, objective, method, epochs=12, seed=0).run()
    best = Explorer(m, pl, objective, "exact").run()
    assert r.feasible and r.objective_value == best.objective_value


def test_a_budget_the_lightest_design_exceeds_is_reported_before_any_search(capsys):
    # issue 17: the least L1 of DenseNet's layers adds up to more than the edge FPGA's 4 KiB; this used to surface after 500 epochs as "no design
    # within the budgets was found"
    from confuciux.cli import main
    from confuciux.search.problem import Problem

    m = cx.zoo.load("densenet")
    pl = Platform.edge_fpga()
    pr = Problem(m, pl)
    floors = pr.budget_floors()
    least_l1 = np.min(np.where(pr.valid, pr.table["l1_bytes"], np.inf), axis=1)
    assert floors["l1_bytes"][0] == lp_total(least_l1) > 4096 and floors["pes"][0] == len(m) <= 256
    assert floors["l1_bytes"][1][0] == (int(np.argmax(least_l1)), float(least_l1.max()))
    for method in ("confuciux", "exact"):
        e = Explorer(m, pl, "latency", method, epochs=500, seed=0)
        reason = e.check()
        assert reason is not None and f"l1_bytes needs at least {lp_total(least_l1):,.6g} bytes" in reason
        assert "of the budget 4,096" in reason and "pes" not in reason
        r = e.run()
        assert not r.feasible and r.reason == reason and r.evaluations == 0
    assert main(["explore", "--model", "densenet", "--platform", "edge-fpga"]) == 3
    err = capsys.readouterr().err
    assert "\nconfuciux: infeasible: " in "\n" + err and "l1_bytes needs at least" in err and "epoch" not in err


def test_budget_floors_of_a_layer_sequential_accelerator():
    from confuciux.search.problem import Problem

    pl = Platform(budgets={"pes": 4, "area": 500.0}, deployment="LS")
    pr = Problem(MODEL, pl)
    floors = pr.budget_floors()
    least = {k: np.min(np.where(pr.valid, pr.table[k], np.inf), axis=1) for k in ("pes", "l1_bytes", "l2_bytes")}
    area, _ = cx.area_power(*(int(least[k].max()) for k in ("pes", "l1_bytes", "l2_bytes")))
    assert floors["pes"][0] == 1 and floors["area"][0] == pytest.approx(float(area), rel=1e-12)
    assert "area needs at least" in pr.infeasible_reason() and "one accelerator" in pr.infeasible_reason()
    assert Problem(MODEL, Platform(budgets={"pes": 4, "area": 1e5}, deployment="LS")).infeasible_reason() is None


def test_absolute_budgets_grow_the_pe_bound_to_what_they_can_buy():
    # issue 17 item 4: with the default box (P <= 128 a layer) an absolute budget could go mostly
    # unused; now P reaches what the budget buys (every integer to 128, then steps of ~9 %)
    from confuciux.platform import PE_STEP

    one = cx.Model("one", [cx.Layer(K=512, C=512, Y=28, X=28, R=3, S=3, name="big")])
    budget = {"pes": 1000, "l1_bytes": 1e4}
    grown = Platform(budgets=budget)
    box = Platform(budgets=budget, pe_bounds=(1, 128))
    assert grown.pe_bounds == (1, 1000) and grown.pe_dense == 128 and box.pe_dense == 0
    values = grown.pe_values()
    assert values[:128].tolist() == list(range(1, 129)) and values[-1] == 1000
    assert np.all(np.diff(values[128:]) <= values[128:-1] * (PE_STEP - 1) + 1)
    # the ConfuciuX box's options come first, in the same order
    for a, b in zip(box.options(), grown.options(), strict=True):
        np.testing.assert_array_equal(a, b[: box.n_options])
    capped = Explorer(one, box, "latency", "exact").run()
    free = Explorer(one, grown, "latency", "exact").run()
    assert capped.on_bound == {"pes": [0]} and "1 at P = 128" in capped.summary()
    assert free.pes[0] > 128 and free.objective_value < capped.objective_value / 3.9 and free.feasible
    assert free.space["pe_dense"] == 128
    r = Explorer(one, grown, "latency", "confuciux", epochs=60, seed=0).run()
    assert r.feasible and r.pes[0] > 128
    # ConfuciuX's own platform keeps its box; area budgets grow P to the largest bare PE array that fits
    assert Platform.confuciux(MODEL).pe_bounds == (1, 128)
    area = Platform(budgets={"area": 3e6})
    p = area.pe_bounds[1]
    assert cx.area_power(p, 0, 0)[0] <= 3e6 < cx.area_power(p + 1, 0, 0)[0]


def test_a_design_that_runs_slower_with_its_pes_than_with_fewer_warns():
    # issue 17: strided shi layers can get slower with more PEs (docs/cost-model.md); a result
    # whose design uses such a P says so with a warning category of ours
    strided = cx.Layer(K=38, C=91, Y=13, X=30, R=6, S=3, stride=(2, 4), name="strided")
    m = cx.Model("s", [strided, cx.Layer(K=16, C=16, Y=8, X=8, R=3, S=3)])
    pl = Platform("shi", budgets={"pes": 58}, pe_levels=(29,), buffer_levels=(12,))
    with pytest.warns(cx.SlowerWithMorePEs, match=r"1 layer\(s\) of the design \(0\)"):
        r = Explorer(m, pl, "latency", "exact").run()
    assert r.feasible and r.pes.tolist() == [29, 29]
    from confuciux.result import slower_with_more_pes

    assert slower_with_more_pes(m, [28, 29], [12, 12], ("shi", "shi"), pl.hardware) == []
