"""The exact solver against brute force on instances small enough to enumerate."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Hardware, Model, Platform
from confuciux.search.exact import solve_exact
from confuciux.search.problem import Problem

SMALL = dict(pe_levels=(1, 2, 4, 8, 16), buffer_levels=(1, 2, 4))  # 15 options per layer


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


def _brute(problem: Problem) -> float:
    all_designs = np.array(list(itertools.product(range(problem.n_options), repeat=problem.n_layers)))
    s = problem.score(all_designs, count=False)
    obj = np.where(s.feasible, s.objective, np.inf)
    return float(obj.min())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.95), st.sampled_from(["dla", "shi", "eye"]),
       st.sampled_from(["latency", "energy", "throughput"]), st.sampled_from(["area", "pes", "power", "l1_bytes"]),
       st.booleans())  # fmt: skip
def test_exact_equals_brute_force(seed, mul, dataflow, objective, constraint, maestro):
    model = _model(seed)
    hw = Hardware.maestro() if maestro else Hardware.default()
    platform = Platform.confuciux(model, dataflow, constraint, mul, hw, **SMALL)
    problem = Problem(model, platform, objective)
    best = _brute(problem)
    r = solve_exact(problem)
    if not np.isfinite(best):
        assert r.choice is None
        return
    assert r.exact and r.objective == pytest.approx(best, rel=1e-12)
    s = problem.score(r.choice)
    assert s.feasible[0] and s.objective[0] == pytest.approx(best, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.floats(0.02, 0.9), min_size=3, max_size=3),
       st.sampled_from([("area", "pes"), ("pes", "l1_bytes"), ("power", "l1_bytes", "pes")]),
       st.sampled_from(["latency", "energy"]), st.sampled_from(["dla", "shi", "eye"]))  # fmt: skip
def test_several_budgets_exact_equals_brute_force(seed, muls, keys, objective, dataflow):
    model = _model(seed)
    budgets = {k: Platform.confuciux(model, dataflow, k, m, **SMALL).budgets[k] for k, m in zip(keys, muls, strict=False)}
    problem = Problem(model, Platform(dataflow, budgets=budgets, **SMALL), objective)
    best = _brute(problem)
    r = solve_exact(problem)
    assert r.exact  # the Lagrangian bound, closed by branch and bound
    if not np.isfinite(best):
        assert r.choice is None
        return
    assert r.objective == pytest.approx(best, rel=1e-12) and r.lower_bound == pytest.approx(best, rel=1e-12)
    s = problem.score(r.choice)
    assert s.feasible[0] and s.objective[0] == pytest.approx(best, rel=1e-12)


def test_bound_is_kept_when_the_search_would_be_too_large(monkeypatch):
    from confuciux.search import exact

    model = _model(3, n=6)
    budgets = {k: Platform.confuciux(model, "dla", k, 0.4, **SMALL).budgets[k] for k in ("area", "l1_bytes")}
    problem = Problem(model, Platform("dla", budgets=budgets, **SMALL), "latency")
    full = solve_exact(problem)
    monkeypatch.setattr(exact, "_multi_dp", lambda *args, **kw: None)
    r = solve_exact(problem)
    assert r.lower_bound <= full.objective * (1 + 1e-12)
    if r.choice is not None:
        assert r.objective >= full.objective * (1 - 1e-12) and problem.score(r.choice).feasible[0]
        assert r.exact == (r.objective == pytest.approx(r.lower_bound, rel=1e-9))


def test_unsupported_cases_raise():
    m = _model(0)
    with pytest.raises(ValueError, match="additive"):
        solve_exact(Problem(m, Platform.confuciux(m, **SMALL), "edp"))
    with pytest.raises(ValueError, match="LP"):
        solve_exact(Problem(m, Platform.confuciux(m, deployment="LS", **SMALL), "latency"))


def test_budget_below_the_smallest_design_is_infeasible():
    m = _model(1)
    r = solve_exact(Problem(m, Platform("dla", budgets={"pes": 1}, **SMALL), "latency"))
    assert r.choice is None and np.isnan(r.objective)


def test_two_budgets_on_a_zoo_model_are_solved_to_optimality():
    model = cx.zoo.load("mobilenet_v2")
    problem = Problem(model, Platform.edge_fpga("dla"), "latency")
    r = solve_exact(problem)
    assert r.exact and r.lower_bound == r.objective
    s = problem.score(r.choice)
    assert s.feasible[0] and s.objective[0] == pytest.approx(r.objective, rel=1e-12)
    # a design the search methods find is never better
    ga = cx.Explorer(model, Platform.edge_fpga("dla"), "latency", "ga", 30, seed=0).run()
    assert ga.objective_value >= r.objective * (1 - 1e-12)
