"""Dataflow comparison at one absolute budget."""

from __future__ import annotations

import pytest

import confuciux as cx
from confuciux.compare import compare_dataflows, default_method


@pytest.fixture(scope="module")
def resnet() -> cx.Model:
    return cx.zoo.load("resnet50")


def test_every_dataflow_gets_the_reference_budget(resnet):
    c = compare_dataflows(resnet, ("dla", "shi", "eye"), reference="shi", mul=0.5)
    expected = cx.Platform.confuciux(resnet, "shi", "area", 0.5).budgets["area"]
    assert c.budgets == {"area": expected} and c.reference == "shi" and c.method == "exact"
    for d, r in c.results.items():
        assert r.platform["dataflow"] == d
        assert r.constraint_used["area"]["budget"] == expected
        assert r.feasible and r.constraint_used["area"]["used"] <= expected
    # the unfair alternative: the same mul gives the dataflows different budgets
    rel = {d: b["area"] for d, b in c.relative_budgets.items()}
    assert rel["shi"] == expected and rel["dla"] != expected
    # each result is what a single exact search under the fixed budget gives
    alone = cx.Explorer(resnet, cx.Platform("dla", budgets={"area": expected}), method="exact").run()
    assert c.results["dla"].objective_value == alone.objective_value
    best = min(c.results, key=lambda d: c.results[d].objective_value)
    assert c.best == best
    rows = c.rows()
    assert [r["dataflow"] for r in rows] == ["dla", "shi", "eye"]
    assert min(r["vs_best"] for r in rows) == 1.0
    text = c.summary()
    assert "same absolute budget" in text and "computed once from shi" in text and "would differ" in text
    assert f"best: {best}" in text


def test_absolute_budgets_and_search_methods(resnet):
    c = compare_dataflows(resnet, ("eye", "dla"), budgets={"area": 3e6, "power": 5000}, method="ga", epochs=5)
    assert c.reference is None and c.relative_budgets == {} and c.method == "ga"
    assert list(c.results) == ["eye", "dla"]
    for r in c.results.values():
        assert {k: u["budget"] for k, u in r.constraint_used.items()} == {"area": 3e6, "power": 5000.0}
    assert "area 3,000,000 µm², power 5,000 mW" in c.summary()


def test_default_method_and_errors(resnet):
    assert default_method("latency", "LP") == "exact" and default_method("edp", "LP") == "confuciux"
    assert default_method("latency", "LS") == "confuciux"
    with pytest.raises(ValueError, match="dataflows"):
        compare_dataflows(resnet, ("dla", "tpu"))
    with pytest.raises(ValueError, match="dataflows"):
        compare_dataflows(resnet, ("dla", "dla"))
    with pytest.raises(ValueError, match="not both"):
        compare_dataflows(resnet, budgets={"area": 1e6}, reference="dla")
    with pytest.raises(ValueError, match="reference"):
        compare_dataflows(resnet, reference="tpu")


def test_hostile_budget_and_reference_are_clear_errors(resnet):
    """A string budget said "Unknown format code 'g'"; a non-string reference raised AttributeError."""
    with pytest.raises(ValueError, match="budget 'area' must be a finite number > 0, got 'x'"):
        compare_dataflows(resnet, budgets={"area": "x"})
    with pytest.raises(ValueError, match="reference: unknown dataflow 3"):
        compare_dataflows(resnet, reference=3)


def test_per_layer_entry_is_never_worse_than_the_best_single_dataflow():
    model = cx.zoo.load("alexnet")
    c = compare_dataflows(model, ("dla", "eye"), per_layer=True)
    assert list(c.results) == ["dla", "eye", "dla+eye"]
    mixed = c.results["dla+eye"]
    assert mixed.feasible and mixed.platform["budgets"] == c.budgets
    best_single = min(c.results[d].objective_value for d in ("dla", "eye"))
    assert mixed.objective_value <= best_single * (1 + 1e-12)
    assert set(mixed.dataflows) <= {"dla", "eye", "dpt"}
    with pytest.raises(ValueError, match="at least two"):
        compare_dataflows(model, ("dla",), per_layer=True)


def test_user_programs_are_compared_under_the_same_budget():
    from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, Temporal

    mine = Dataflow([Temporal("K", 2), Temporal("C", 1), Spatial("Y'", 1), Temporal("X'", 4), Temporal("R", Sz("R")),
                     Temporal("S", Sz("S")), Cluster(4), Spatial("X'", 1), Temporal("R", Sz("R")),
                     Temporal("S", Sz("S"))])  # fmt: skip
    model = cx.zoo.load("resnet18")[:2]  # (the engine's Python reference costs 128 P a layer here)
    c = compare_dataflows(model, ["dla", mine], budgets={"pes": 40}, per_layer=True)
    assert list(c.results) == ["dla", "program", "dla+program"] and c.best == "dla+program"
    assert c.results["program"].dataflows == (mine, mine) and c.results["program"].feasible
    ref = compare_dataflows(model[1:], ["dla", mine], reference=mine, constraint="pes", mul=0.5)
    assert ref.reference == "program" and set(ref.relative_budgets) == {"dla", "program"}
