"""The objective table: every place that names objectives derives from it.

``adp`` below follows docs/architecture.md's checklist "adding an objective" once: a single
entry (an area-delay product, Σruntime × Σarea — it reads area, which no built-in objective
does), registered for the test and removed after it."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import confuciux as cx
from confuciux.cli import build_parser
from confuciux.compare import default_method
from confuciux.search import objectives
from confuciux.search.exact import exact_objectives, solve_exact
from confuciux.search.objectives import OBJECTIVES, Objective
from confuciux.search.problem import Problem

SMALL = dict(pe_levels=(1, 3, 6), buffer_levels=(1, 3))  # 18 options a layer
MODEL = cx.Model("toy", [cx.Layer(16, 8, 10, 10, 3, 3), cx.Layer(8, 16, 8, 8, 1, 1), cx.Layer(1, 8, 8, 8, 3, 3, "DSCONV")])


@pytest.fixture
def adp():
    o = Objective("adp", ("runtime", "area"), "product", "area-delay product: Σ runtime × Σ area")
    objectives.register(o)
    yield o
    objectives.unregister("adp")


def test_built_in_table():
    assert list(OBJECTIVES) == ["latency", "energy", "edp", "throughput"]
    assert [o.unit for o in OBJECTIVES.values()] == ["cycles", "nJ", "cycles·nJ", "cycles"]
    assert [o.kind for o in OBJECTIVES.values()] == ["additive", "additive", "product", "bottleneck"]
    assert OBJECTIVES["latency"].layer_field == "runtime" and OBJECTIVES["edp"].layer_field is None
    assert objectives.unit("edp") == "cycles·nJ" and objectives.unit("area") == "µm²" and objectives.unit("pes") == "PEs"
    per = {"runtime": np.array([[1.0, 2.0, 3.0]]), "energy": np.array([[4.0, 5.0, 6.0]])}
    assert [float(o.value(per)[0]) for o in OBJECTIVES.values()] == [6.0, 15.0, 90.0, 3.0]


def test_entries_are_checked():
    with pytest.raises(ValueError, match="reads 2 output"):
        Objective("x", ("runtime",), "product", "")
    with pytest.raises(ValueError, match="unknown output"):
        Objective("x", ("latency",), "additive", "")
    with pytest.raises(ValueError, match="kind must be"):
        Objective("x", ("runtime",), "mean", "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exists"):
        objectives.register(OBJECTIVES["latency"])
    with pytest.raises(ValueError, match="built-in"):
        objectives.unregister("latency")


def test_an_objective_reading_area_runs_everywhere(adp):
    platform = cx.Platform("dla", budgets={"pes": 12}, **SMALL)
    result = cx.Explorer(MODEL, platform, objective="adp", epochs=4, seed=0).run()  # KeyError 'area' before
    assert result.feasible
    c = result.costs
    assert result.objective_value == pytest.approx(float(np.sum(c.runtime) * np.sum(c.area)), rel=1e-12)
    assert "cycles·µm²" in result.summary()
    assert cx.Result.from_json(result.to_json()).objective == "adp"
    # the exact solver takes it by its kind, and proves the brute-force optimum
    problem = Problem(MODEL, platform, "adp")
    designs = np.array(list(itertools.product(range(problem.n_options), repeat=problem.n_layers)))
    s = problem.score(designs, count=False)
    best = float(np.where(s.feasible, s.objective, np.inf).min())
    r = solve_exact(problem)
    assert "adp" in exact_objectives() and r.objective == pytest.approx(best, rel=1e-12)
    assert r.lower_bound <= best * (1 + 1e-12)
    exact = cx.Explorer(MODEL, platform, objective="adp", method="exact").run()
    assert exact.objective_value == pytest.approx(best, rel=1e-12)
    front = cx.pareto_front(MODEL, cx.Platform("dla", **SMALL), objective="adp", resource="pes", levels=3)
    assert len(front) >= 1 and front.objective_name == "adp"
    assert default_method("adp", "LP") == "confuciux"  # a product: the solver may only bound it


def test_an_additive_objective_reading_area(adp):
    area = Objective("area_sum", ("area",), "additive", "Σ area")
    objectives.register(area)
    try:
        assert default_method("area_sum", "LP") == "exact"
        r = cx.Explorer(MODEL, cx.Platform("dla", **SMALL), objective="area_sum", method="exact").run()
        assert r.gap == 0 and int(r.pes.max()) == 1  # the least area: one PE a layer
        assert r.summary().splitlines()[0].endswith("µm²")
    finally:
        objectives.unregister("area_sum")


def test_the_command_line_lists_registered_objectives(adp, tmp_path):
    text = build_parser().format_help()
    explore = build_parser()._subparsers._group_actions[0].choices["explore"].format_help()  # type: ignore[union-attr]
    assert "adp: sum of layer runtime × sum of layer area (cycles·µm²)" in " ".join(explore.split())
    assert text
    out = tmp_path / "r.json"
    assert cx.cli.main(["explore", "--model", "example", "--objective", "adp", "--epochs", "3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["objective"] == "adp"
