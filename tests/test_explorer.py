"""Explorer end to end: every method, feasibility, fidelity to evaluate, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Explorer, Hardware, Platform, Result, evaluate

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
    assert r.objective_value == pytest.approx(float(np.sum(costs.runtime)), rel=0, abs=0)
    np.testing.assert_array_equal(r.costs.energy, costs.energy)
    used = platform.usage(r.pes, costs)["area"]
    assert r.constraint_used["area"]["used"] == pytest.approx(float(used)) and used <= platform.budgets["area"]
    assert r.objective_value >= optimum.objective_value * (1 - 1e-12)  # nothing beats the optimum
    assert len(r.history) >= 1 and r.evaluations >= 1
    assert set(r.pes) <= set(platform.pe_levels) and set(r.buffers) <= set(platform.buffer_levels)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["mobilenet_v2", "resnet50", "vgg16", "mnasnet", "gnmt"]), st.integers(0, 40), st.integers(3, 10),
    st.sampled_from(["dla", "shi", "eye"]), st.sampled_from(["latency", "energy"]), st.sampled_from(["area", "power"]),
    st.floats(0.05, 0.95), st.booleans(), st.sampled_from(["confuciux", "rl", "ga", "random", "anneal", "heuristic"]),
    st.integers(0, 2**32),
)  # fmt: skip
def test_no_method_beats_the_exact_optimum_and_results_match_evaluate(name, start, length, dataflow, objective,
                                                                       constraint, mul, maestro, method, seed):  # fmt: skip
    full = cx.zoo.load(name)
    model = full[start % len(full) : start % len(full) + length]
    hw = Hardware.maestro() if maestro else Hardware.default()
    pl = Platform.confuciux(model, dataflow, constraint, mul, hw)
    best = Explorer(model, pl, objective, "exact").run()
    r = Explorer(model, pl, objective, method, epochs=12, seed=seed).run()
    assert best.feasible and r.feasible  # mul > 0: the all-smallest corner design fits
    assert r.objective_value >= best.objective_value * (1 - 1e-12)
    costs = evaluate(model, r.pes, r.buffers, dataflow, hw)
    total = costs.total()
    assert r.objective_value == float(total.runtime if objective == "latency" else total.energy)
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
    assert len(text.splitlines()) == 2 + len(MODEL) + 4


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
    assert all(b < a for a, b in zip(best, best[1:], strict=False)) and evals == sorted(evals) and evals[-1] <= r.evaluations
    # each epoch's best-so-far is the last improvement met by then
    for h in r.history:
        seen = [i["best"] for i in r.improvements if i["evaluations"] <= h["evaluations"]]
        np.testing.assert_equal(seen[-1] if seen else np.nan, h["best"])
