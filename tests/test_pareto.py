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
from confuciux.pareto import ParetoFront
from confuciux.search.exact import solve_exact
from confuciux.search.problem import Problem

PARETO = sys.modules["confuciux.pareto"]  # the module

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


def _check_designs(front: ParetoFront, problem: Problem, resource: str) -> None:
    """Every point's design scores (the budgets' summation) exactly to the point."""
    choices = np.asarray(front.choices, dtype=np.int64)
    s = problem.score(choices, count=False)
    pl = problem.platform
    used = pl.limits.usage(problem.per_layer(choices, pl.limits.needs((resource,))), (resource,))[resource]
    np.testing.assert_array_equal(used, front.resource)
    np.testing.assert_array_equal(s.objective, front.objective)
    assert np.all(s.feasible)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["latency", "energy", "throughput"]),
       st.sampled_from(["area", "power", "pes", "l1_bytes", "l2_bytes"]),
       st.sampled_from(["dla", "shi", "eye"]), st.sampled_from([None, 40]))  # fmt: skip
def test_exact_front_equals_brute_force(seed, objective, resource, dataflow, trace_bytes):
    """Values equal to brute force's; designs that score to them, also when the DP's record is
    too small to hold (``trace_bytes``: steps recomputed by halving)."""
    model = _model(seed)
    platform = Platform(dataflow, **SMALL)
    with pytest.MonkeyPatch.context() as mp:
        if trace_bytes is not None:
            mp.setattr(PARETO, "TRACE_BYTES", trace_bytes)
        front = cx.pareto_front(model, platform, objective, resource)
        assert front.exact
        problem = Problem(model, platform, objective)
        u, o = _brute_front(problem, resource)
        np.testing.assert_array_equal(front.resource, u)
        np.testing.assert_array_equal(front.objective, o)
        assert np.all(np.diff(front.resource) > 0) and np.all(np.diff(front.objective) < 0)
        np.testing.assert_array_equal(front.bound, front.objective)
        _check_designs(front, problem, resource)


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


def _big_front(n: int = 10) -> tuple[Model, Platform, ParetoFront]:
    model, platform = _model(11, n=n), Platform("dla", **SMALL)
    return model, platform, cx.pareto_front(model, platform, "latency", "area")


@pytest.mark.parametrize("layers, trace_bytes, checkpoints", [(10, 0, 1), (10, 64, 1), (10, 2_000, 1),
                                                               (200, 300_000, 2)])  # fmt: skip
def test_replayed_designs_equal_recorded_ones(monkeypatch, layers, trace_bytes, checkpoints):
    """A record over TRACE_BYTES keeps checkpoints; the designs recomputed from them (segments
    halved until their record fits, down to one layer for 0 bytes) are the recorded ones."""
    model = _model(11, n=layers)
    platform = Platform("dla", **SMALL) if layers < 20 else Platform("dla", pe_levels=(1, 2, 3), buffer_levels=(1,))
    recorded = cx.pareto_front(model, platform, "latency", "area")
    assert len(recorded._designs.parents) == len(model) and not recorded._designs.checkpoints  # all recorded
    monkeypatch.setattr(PARETO, "TRACE_BYTES", trace_bytes)
    replayed = cx.pareto_front(model, platform, "latency", "area")
    trace = replayed._designs
    assert len(trace.parents) < len(model) and len(trace.checkpoints) == checkpoints
    assert sum(p.nbytes + q.nbytes for p, q in trace.parents) <= trace_bytes
    if checkpoints > 1:
        assert sum(w.nbytes + c.nbytes for _, w, c in trace.checkpoints) <= trace_bytes // 4
    np.testing.assert_array_equal(replayed.resource, recorded.resource)
    np.testing.assert_array_equal(replayed.choices, recorded.choices)
    idx = np.array([len(recorded) - 1, 0, 3, 3, -1])
    for a, b in zip(replayed.designs(idx), recorded.designs(idx), strict=True):
        np.testing.assert_array_equal(a, b)
    _check_designs(replayed, Problem(model, platform, "latency"), "area")


def test_the_front_holds_no_points_by_layers_table():
    """Issue 18 (defect 14): memory grew as points × layers (the designs table and 16 bytes of
    parents per point and layer).  The front now holds its values (points), the per-layer
    frontiers (layers × options) and the DP's record (5 bytes per point of each partial front,
    at most TRACE_BYTES); nothing of points × layers × 8 bytes."""
    model, _, front = _big_front(12)
    trace = front._designs
    record = sum(p.nbytes + q.nbytes for p, q in trace.parents)
    assert record == 5 * int(trace.sizes[1:].sum()) and record <= PARETO.TRACE_BYTES
    arrays = [a for a in vars(front).values() if isinstance(a, np.ndarray)]
    arrays += [a for a in vars(trace).values() if isinstance(a, np.ndarray)]
    assert max(a.nbytes for a in arrays) < 8 * len(front) * len(model)


def test_thinned_front_and_its_full_front(monkeypatch):
    model, platform, full = _big_front()
    thinned = cx.pareto_front(model, platform, "latency", "area", max_points=7)
    assert len(thinned) == 7 and thinned.complete_size == len(full) > 7
    for a, b in ((thinned.resource, full.resource), (thinned.objective, full.objective)):
        assert a[0] == b[0] and a[-1] == b[-1] and np.all(np.isin(a, b))
    assert thinned._designs.table.shape == (7, len(model))  # the kept designs, decoded once
    assert thinned.full()._designs.parents == []  # ... and the record released
    keep = np.searchsorted(full.resource, thinned.resource)
    np.testing.assert_array_equal(thinned.choices, full.choices[keep])
    again = thinned.full()  # every point again, designs recomputed (record rebuilt: it fits)
    np.testing.assert_array_equal(again.resource, full.resource)
    np.testing.assert_array_equal(again.choices, full.choices)
    assert again.full() is again and full.thin(len(full)) is full
    twice = full.thin(20).thin(3)
    assert len(twice) == 3 and twice.full() is full and twice.resource[-1] == full.resource[-1]
    np.testing.assert_array_equal(twice.choices, full.choices[np.searchsorted(full.resource, twice.resource)])
    assert len(full.thin(1)) == 1
    for bad in (0, -1, 2.5, True, None):
        with pytest.raises(ValueError, match="max_points"):
            full.thin(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_points"):
        cx.pareto_front(model, platform, max_points=0)


def test_iter_designs_and_bulk_designs_agree_with_design():
    _, _, front = _big_front(6)
    blocks = list(front.iter_designs(chunk=7))
    assert [b.points[0] for b in blocks] == list(range(0, len(front), 7))
    pes = np.concatenate([b.pes for b in blocks])
    bufs = np.concatenate([b.buffers for b in blocks])
    all_pes, all_bufs = front.designs(np.arange(len(front)))
    np.testing.assert_array_equal(pes, all_pes)
    np.testing.assert_array_equal(bufs, all_bufs)
    for i in (0, len(front) // 2, -1):
        p, b = front.design(i)
        np.testing.assert_array_equal(p, all_pes[i])
        np.testing.assert_array_equal(b, all_bufs[i])
    assert np.all(np.concatenate([b.dataflows for b in blocks]) == 0)
    assert front.designs([])[0].shape == (0, 6)
    with pytest.raises(IndexError):
        front.designs([len(front)])
    with pytest.raises(TypeError):
        front.designs([[0]])
    with pytest.raises(ValueError, match="chunk"):
        next(front.iter_designs(chunk=0))


def test_a_front_beyond_max_front_points_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(PARETO, "MAX_FRONT_POINTS", 50)
    with pytest.raises(ValueError, match=r"layer \d+ \('l\d+'\).*MAX_FRONT_POINTS = 50"):
        _big_front()


def test_the_numpy_step_gives_the_same_front(monkeypatch):
    """Without the compiled kernel the DP runs on the NumPy reference step: the same front and designs."""
    _, _, native = _big_front(8)
    monkeypatch.setattr(sys.modules["confuciux.search.frontier"], "_NATIVE", False)
    _, _, numpy = _big_front(8)
    np.testing.assert_array_equal(numpy.resource, native.resource)
    np.testing.assert_array_equal(numpy.objective, native.objective)
    np.testing.assert_array_equal(numpy.choices, native.choices)


def test_a_front_of_a_user_program_and_of_the_models_own_programs():
    from confuciux.dataflow import Dataflow

    mine = Dataflow.parse(
        "TemporalMap(2,2) K; TemporalMap(1,1) C; SpatialMap(1,1) Y'; TemporalMap(4,4) X'; TemporalMap(Sz(R),Sz(R)) R; "
        "TemporalMap(Sz(S),Sz(S)) S; Cluster(4, P); SpatialMap(1,1) X'; TemporalMap(Sz(R),Sz(R)) R; "
        "TemporalMap(Sz(S),Sz(S)) S;"
    )
    model = cx.zoo.load("resnet18")[:2]
    space = dict(pe_levels=(4, 8, 16), buffer_levels=(1, 2))
    front = cx.pareto_front(model, Platform(mine, **space))
    assert front.exact and len(front) > 3 and front.label == "program" and front.dataflows(0) == ("program",) * 2
    for i in (0, len(front) - 1):
        pes, buffers = front.design(i)
        assert list(buffers) == [1, 1]  # the program uses no KTileSz
        assert cx.evaluate(model, pes, buffers, mine).total().runtime == front.objective[i]
    own = cx.pareto_front(Model("own", list(model), dataflows=(mine, None)), Platform(None, **space))
    both = cx.pareto_front(model, Platform(("dla", mine), **space))
    assert own.label == "model" and both.dataflow_names == ("dla", "program")
    assert both.objective[-1] <= min(own.objective[-1], front.objective[-1]) * (1 + 1e-12)
