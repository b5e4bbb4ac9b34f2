"""The exact solver against brute force on instances small enough to enumerate (the integer box
P 1..6 × k 1..3, four layers: 18⁴ designs)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Hardware, Model, Platform
from confuciux.search.exact import exact_objectives, solve_exact
from confuciux.search.problem import Problem

SMALL = dict(pe_levels=(1, 3, 6), buffer_levels=(1, 3))  # box: P 1..6 × k 1..3, 18 options a layer
KEYS = ("area", "power", "pes", "l1_bytes", "l2_bytes")


def _model(seed: int, n: int = 4) -> Model:
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(n):
        r = int(rng.choice([1, 3]))
        y = r + int(rng.integers(2, 20))
        dw = rng.random() < 0.25
        layers.append(cx.Layer(1 if dw else int(rng.integers(4, 96)), int(rng.integers(3, 96)), y, y, r, r,
                               "DSCONV" if dw else "CONV", name=f"l{i}"))  # fmt: skip
    return Model("rand", layers)


def _designs(problem: Problem) -> np.ndarray:
    return np.array(list(itertools.product(range(problem.n_options), repeat=problem.n_layers)))


def _brute(problem: Problem) -> float:
    s = problem.score(_designs(problem), count=False)
    return float(np.where(s.feasible, s.objective, np.inf).min())


def _budgets(model: Model, keys, muls, dataflow: str, deployment: str = "LP") -> dict[str, float]:
    return {k: Platform.confuciux(model, dataflow, k, m, deployment=deployment, **SMALL).budgets[k]
            for k, m in zip(keys, muls, strict=False)}  # fmt: skip


def _check(problem: Problem, best: float, r, exact_expected: bool = True) -> None:
    if not np.isfinite(best):
        assert r.choice is None
        return
    assert r.choice is not None
    s = problem.score(r.choice, count=False)
    assert s.feasible[0] and s.objective[0] == r.objective
    assert r.lower_bound <= best * (1 + 1e-12) and r.objective >= best * (1 - 1e-12)
    if exact_expected:
        assert r.exact
    if r.exact:
        assert r.objective == pytest.approx(best, rel=1e-12) and r.lower_bound == pytest.approx(best, rel=1e-12)


def test_the_box_is_searched():
    model = _model(0)
    problem = Problem(model, Platform(**SMALL), "latency")
    assert problem.n_options == 18 and problem.n_coarse == 6
    r = solve_exact(problem)
    assert r.exact and r.objective == pytest.approx(_brute(problem), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.95), st.sampled_from(["dla", "shi", "eye"]),
       st.sampled_from(["latency", "energy", "throughput", "edp"]), st.sampled_from(KEYS), st.booleans())  # fmt: skip
def test_one_budget_equals_brute_force(seed, mul, dataflow, objective, constraint, maestro):
    model = _model(seed)
    hw = Hardware.maestro() if maestro else Hardware.default()
    problem = Problem(model, Platform.confuciux(model, dataflow, constraint, mul, hw, **SMALL), objective)
    _check(problem, _brute(problem), solve_exact(problem), exact_expected=objective != "edp")


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.floats(0.02, 0.9), min_size=3, max_size=3),
       st.sampled_from([("area", "pes"), ("pes", "l1_bytes"), ("power", "l1_bytes", "pes")]),
       st.sampled_from(["latency", "energy", "throughput", "edp"]), st.sampled_from(["dla", "shi", "eye"]))  # fmt: skip
def test_several_budgets_equal_brute_force(seed, muls, keys, objective, dataflow):
    model = _model(seed)
    problem = Problem(model, Platform(dataflow, budgets=_budgets(model, keys, muls, dataflow), **SMALL), objective)
    exact_expected = objective in ("latency", "energy") or (objective == "throughput" and len(keys) == 2)
    _check(problem, _brute(problem), solve_exact(problem), exact_expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.floats(0.05, 0.95), min_size=2, max_size=2),
       st.sampled_from([("area",), ("power",), ("pes", "l2_bytes"), ("area", "l1_bytes")]),
       st.sampled_from(["latency", "energy", "throughput", "edp"]), st.sampled_from(["dla", "shi", "eye"]))  # fmt: skip
def test_layer_sequential_equals_brute_force(seed, muls, keys, objective, dataflow):
    model = _model(seed)
    budgets = _budgets(model, keys, muls, dataflow, "LS")
    problem = Problem(model, Platform(dataflow, deployment="LS", budgets=budgets, **SMALL), objective)
    _check(problem, _brute(problem), solve_exact(problem), exact_expected=objective != "edp")


@pytest.mark.parametrize("objective", ["latency", "energy", "throughput", "edp"])
def test_edp_and_every_objective_without_budget_is_exact(objective):
    model = _model(7)
    problem = Problem(model, Platform(**SMALL), objective)
    _check(problem, _brute(problem), solve_exact(problem))


@pytest.mark.parametrize("deployment", ["LP", "LS"])
@pytest.mark.parametrize("objective", exact_objectives())
def test_a_budget_equal_to_a_designs_own_usage_admits_it(deployment, objective):
    model = _model(11, n=5)
    base = Problem(model, Platform(deployment=deployment, **SMALL), objective)
    rng = np.random.default_rng(0)
    for _ in range(5):
        design = np.array([rng.choice(np.flatnonzero(v)) for v in base.valid])
        for keys in (("area",), ("power", "pes"), ("l1_bytes", "area")):
            pl = Platform(deployment=deployment, **SMALL)
            usage = pl.limits.usage(base.per_layer(design[None, :], ("area", "power", "pes", "l1_bytes", "l2_bytes")),
                                    keys)  # fmt: skip
            budgets = {k: float(usage[k][0]) for k in keys}
            problem = Problem(model, Platform(deployment=deployment, budgets=budgets, **SMALL), objective)
            assert problem.score(design, count=False).feasible[0]  # the design fits its own usage
            r = solve_exact(problem)
            assert r.choice is not None and r.objective <= float(problem.score(design, count=False).objective[0])


def test_bound_is_kept_when_the_search_would_be_too_large():
    model = _model(3, n=6)
    budgets = _budgets(model, ("area", "l1_bytes"), (0.4, 0.4), "dla")
    problem = Problem(model, Platform("dla", budgets=budgets, **SMALL), "latency")
    full = solve_exact(problem)
    r = solve_exact(problem, max_candidates=1)
    assert r.lower_bound <= full.objective * (1 + 1e-12)
    if r.choice is not None:
        assert r.objective >= full.objective * (1 - 1e-12) and problem.score(r.choice).feasible[0]
        assert r.exact == (r.objective == pytest.approx(r.lower_bound, rel=1e-9))


def test_objectives_outside_the_allow_list_raise(monkeypatch):
    from dataclasses import replace

    from confuciux.search import objectives

    m = _model(0)
    monkeypatch.setitem(objectives.OBJECTIVES, "energy", replace(objectives.OBJECTIVES["energy"], exact=False))
    assert "energy" not in exact_objectives()
    with pytest.raises(ValueError, match="accepts the objectives"):
        solve_exact(Problem(m, Platform.confuciux(m, **SMALL), "energy"))


def test_budget_below_the_smallest_design_is_infeasible():
    m = _model(1)
    r = solve_exact(Problem(m, Platform("dla", budgets={"pes": 1}, **SMALL), "latency"))
    assert r.choice is None and np.isnan(r.objective)


def test_a_layer_no_option_can_cost_is_infeasible_and_named():
    # shi cannot cost a layer with O_Y < R and a wide output for any P <= 6 (docs/cost-model.md)
    m = Model("bad", [cx.Layer(8, 8, 10, 10, 3, 3, name="fine"), cx.Layer(8, 8, 3, 20, 3, 1, name="broken")])
    problem = Problem(m, Platform("shi", **SMALL), "latency")
    assert list(problem.uncostable) == [1] and "broken" in problem.infeasible_reason()
    assert solve_exact(problem).choice is None
    r = cx.Explorer(m, Platform("shi", **SMALL), "latency", "exact").run()
    assert not r.feasible and "broken" in r.reason


def test_two_budgets_on_a_zoo_model_are_solved_to_optimality():
    model = cx.zoo.load("mobilenet_v2")
    problem = Problem(model, Platform.edge_fpga("dla"), "latency")
    assert problem.n_options == 1632  # P 1..128, then geometric steps to the 256-PE budget
    r = solve_exact(problem)
    assert r.exact and r.lower_bound == r.objective
    s = problem.score(r.choice)
    assert s.feasible[0] and s.objective[0] == r.objective
    grid = solve_exact(Problem(model, Platform.edge_fpga("dla").__class__(**{**_fields(Platform.edge_fpga("dla")),
                                                                             "space": "grid"}), "latency"))  # fmt: skip
    assert r.objective <= grid.objective  # the box contains the grid


def _fields(pl: Platform) -> dict:
    import dataclasses

    return {f.name: getattr(pl, f.name) for f in dataclasses.fields(pl)}
