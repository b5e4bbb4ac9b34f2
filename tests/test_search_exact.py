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


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.2, 0.9), st.floats(0.2, 0.9))
def test_two_budgets_bound_brackets_the_optimum(seed, m1, m2):
    model = _model(seed, n=3)
    a = Platform.confuciux(model, "dla", "area", m1, **SMALL).budgets["area"]
    p = Platform.confuciux(model, "dla", "pes", m2, **SMALL).budgets["pes"]
    problem = Problem(model, Platform("dla", budgets={"area": a, "pes": p}, **SMALL), "latency")
    best = _brute(problem)
    r = solve_exact(problem)
    if r.choice is not None:
        assert r.lower_bound <= best * (1 + 1e-9) and r.objective >= best * (1 - 1e-12)
        assert problem.score(r.choice).feasible[0]


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
