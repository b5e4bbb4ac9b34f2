"""confuciux.pareto: the exact front against brute force and the exact solver at many budgets."""

from __future__ import annotations

import dataclasses
import itertools
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Model, Platform
from confuciux.search.exact import solve_exact
from confuciux.search.problem import Problem

SMALL = dict(pe_levels=(1, 3, 6), buffer_levels=(1, 3))  # box: P 1..6 × k 1..3


def _model(seed: int, n: int = 4) -> Model:
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(n):
        r = int(rng.choice([1, 3]))
        y = r + int(rng.integers(2, 20))
        layers.append(cx.Layer(int(rng.integers(4, 96)), int(rng.integers(3, 96)), y, y, r, r, name=f"l{i}"))
    return Model("rand", layers)


def _brute_front(problem: Problem, resource: str) -> tuple[np.ndarray, np.ndarray]:
    designs = np.array(list(itertools.product(range(problem.n_options), repeat=problem.n_layers)))
    s = problem.score(designs, count=False)
    pl = problem.platform
    used = pl.limits.usage(problem.per_layer(designs, pl.limits.needs((resource,))), (resource,))[resource]
    ok = s.feasible
    order = np.lexsort((s.objective[ok], used[ok]))
    u, o = used[ok][order], s.objective[ok][order]
    keep = np.ones(u.size, dtype=bool)
    keep[1:] = o[1:] < np.minimum.accumulate(o)[:-1]
    k = np.flatnonzero(keep)
    keep[k[:-1][u[k][1:] == u[k][:-1]]] = False
    return u[keep], o[keep]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["latency", "energy", "throughput"]),
       st.sampled_from(["area", "power", "pes", "l1_bytes", "l2_bytes"]),
       st.sampled_from(["dla", "shi", "eye"]))  # fmt: skip
def test_exact_front_equals_brute_force(seed, objective, resource, dataflow):
    model = _model(seed)
    platform = Platform(dataflow, **SMALL)
    front = cx.pareto_front(model, platform, objective, resource)
    assert front.exact
    u, o = _brute_front(Problem(model, platform, objective), resource)
    np.testing.assert_array_equal(front.resource, u)
    np.testing.assert_allclose(front.objective, o, rtol=1e-12)
    assert np.all(np.diff(front.resource) > 0) and np.all(np.diff(front.objective) < 0)
    np.testing.assert_array_equal(front.bound, front.objective)


@pytest.mark.parametrize("objective", ["latency", "energy", "throughput"])
@pytest.mark.parametrize("resource", ["area", "pes"])
def test_front_agrees_with_the_exact_solver_at_many_budgets(objective, resource):
    model = _model(5, n=8)
    platform = Platform("dla", **SMALL)
    front = cx.pareto_front(model, platform, objective, resource)
    budgets = np.concatenate([front.resource, (front.resource[1:] + front.resource[:-1]) / 2,
                              [front.resource[0] * 0.999, front.resource[-1] * 2]])  # fmt: skip
    rng = np.random.default_rng(0)
    for b in rng.choice(budgets, min(40, budgets.size), replace=False):
        r = solve_exact(Problem(model, dataclasses.replace(platform, budgets={resource: float(b)}), objective))
        i = front.best_within(float(b))
        if i is None:
            assert r.choice is None
            continue
        assert r.exact and r.objective == pytest.approx(front.objective[i], rel=1e-12)


def test_designs_evaluate_to_their_points_and_csv(tmp_path):
    model = _model(3, n=6)
    platform = Platform("dla", **SMALL)
    front = cx.pareto_front(model, platform, "latency", "area")
    assert len(front) > 5 and front.choices.shape == (len(front), len(model))
    for i in (0, len(front) // 2, len(front) - 1):
        pes, bufs = front.design(i)
        costs = cx.evaluate(model, pes, bufs, "dla", platform.hardware)
        assert platform.usage(pes, costs)["area"] == front.resource[i]
        assert float(cx.budgets.lp_total(costs.runtime)) == front.objective[i]
    with pytest.raises(IndexError):
        front.design(len(front))
    with pytest.raises(ValueError):
        front.resource[0] = 0.0  # a frozen value
    assert front.best_within(front.resource[0] / 2) is None and front.best_within(1e300) == len(front) - 1
    path = tmp_path / "front.csv"
    front.to_csv(path)
    rows = path.read_text().splitlines()
    assert rows[0].startswith("index,area,latency,bound") and len(rows) == len(front) + 1
    assert float(rows[1].split(",")[1]) == front.resource[0]


def test_a_budget_on_the_resource_caps_the_front():
    model = _model(4, n=5)
    full = cx.pareto_front(model, Platform("dla", **SMALL), "latency", "pes")
    cap = float(full.resource[len(full) // 2])
    capped = cx.pareto_front(model, Platform("dla", budgets={"pes": cap}, **SMALL), "latency", "pes")
    np.testing.assert_array_equal(capped.resource, full.resource[full.resource <= cap])


@pytest.mark.parametrize("case", ["LS", "edp", "two budgets"])
def test_other_fronts_carry_certified_bounds(case):
    model = _model(6)
    if case == "LS":
        platform, objective = Platform("dla", deployment="LS", **SMALL), "latency"
    elif case == "edp":
        platform, objective = Platform("dla", **SMALL), "edp"
    else:
        l1 = Platform.confuciux(model, "dla", "l1_bytes", 0.5, **SMALL).budgets["l1_bytes"]
        platform, objective = Platform("dla", budgets={"l1_bytes": l1}, **SMALL), "latency"
    front = cx.pareto_front(model, platform, objective, "area", levels=6)
    assert not front.exact and len(front) >= 2
    assert np.all(np.diff(front.resource) > 0) and np.all(np.diff(front.objective) < 0)
    assert np.all(front.bound <= front.objective)
    for i in range(len(front)):
        budgets = {**platform.budgets, "area": float(front.resource[i])}
        r = solve_exact(Problem(model, dataclasses.replace(platform, budgets=budgets), objective))
        assert front.bound[i] <= r.objective * (1 + 1e-12) and r.objective <= front.objective[i] * (1 + 1e-12)


def test_plot_delegates_to_plot_fronts(monkeypatch):
    calls = []
    fake = types.ModuleType("confuciux.plot")
    fake.plot_fronts = lambda fronts, ax=None, labels=None: calls.append((fronts, ax, labels)) or "figure"
    monkeypatch.setitem(sys.modules, "confuciux.plot", fake)
    front = cx.pareto_front(_model(1), Platform("dla", **SMALL), "latency", "pes")
    assert front.plot(ax="axis", label="dla") == "figure"
    assert calls == [(front, "axis", ["dla"])]
    assert front.resource_name == "pes" and front.objective_name == "latency"


def test_uncostable_layer_gives_an_empty_front():
    m = Model("bad", [cx.Layer(8, 8, 10, 10, 3, 3, name="fine"), cx.Layer(8, 8, 3, 20, 3, 1, name="broken")])
    front = cx.pareto_front(m, Platform("shi", **SMALL), "latency", "area")
    assert len(front) == 0 and front.best_within(1e300) is None


@pytest.mark.parametrize("kwargs, exc", [(dict(resource="speed"), ValueError), (dict(objective="bogus"), ValueError),
                                         (dict(levels=1), ValueError)])  # fmt: skip
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        cx.pareto_front(_model(0), Platform(**SMALL), **kwargs)


def test_best_within_nan_is_an_error():
    front = cx.pareto_front(cx.zoo.load("example"), cx.Platform("dla"))
    with pytest.raises(ValueError, match="NaN"):
        front.best_within(float("nan"))
