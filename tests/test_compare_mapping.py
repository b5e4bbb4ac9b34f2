"""compare_dataflows with a searched mapping: one table of the presets and every layer's mapping
searched, under the same absolute budget."""

from __future__ import annotations

import json

import pytest

from confuciux import Explorer, Layer, Model, Platform
from confuciux.cli import main
from confuciux.compare import compare_dataflows
from confuciux.mapping import MappingSpace, options
from confuciux.mapping.settings import MappingSearch

MODEL = Model("two", [Layer(16, 8, 8, 8, 3, 3, name="c"), Layer(32, 16, 4, 4, 1, 1, name="pw")])
SPEC = MappingSearch(MappingSpace(levels=(1, 2)), evaluations=300, seed=1)


def test_the_mapping_is_one_more_entry_under_the_same_budget():
    options._CACHE.clear()
    c = compare_dataflows(MODEL, [SPEC, "dla", "eye"], per_layer=True)  # the budget: dla's, the first fixed one
    assert list(c.results) == ["mapping", "dla", "eye", "dla+eye"]
    assert c.reference == "dla" and set(c.relative_budgets) == {"dla", "eye"}
    budget = c.budgets["area"]
    direct = Explorer(MODEL, Platform(SPEC, budgets={"area": budget}), method="exact").run()
    mapped = c.results["mapping"]
    assert mapped.objective_value == direct.objective_value and mapped.feasible
    assert [str(d) for d in mapped.dataflows] == [str(d) for d in direct.dataflows]
    assert mapped.constraint_used["area"]["used"] <= budget
    assert all(r.constraint_used["area"]["budget"] == budget for r in c.results.values())
    assert "mapping" in c.summary()


def test_a_mapping_alone_needs_an_absolute_budget():
    with pytest.raises(ValueError, match="no relative budget"):
        compare_dataflows(MODEL, [MappingSpace()])
    with pytest.raises(ValueError, match="absolute budget"):
        compare_dataflows(MODEL, ["dla"], reference=MappingSpace())
    with pytest.raises(ValueError, match="two fixed dataflows"):
        compare_dataflows(MODEL, ["dla", SPEC], budgets={"area": 1e6}, per_layer=True)
    c = compare_dataflows(MODEL, [SPEC], budgets={"area": 1e6})
    assert list(c.results) == ["mapping"] and c.reference is None


def test_cli_compare_with_a_searched_mapping(tmp_path, capsys):
    out = tmp_path / "c.json"
    code = main(["compare", "--model", "alexnet", "--dataflow", "dla,eye", "--mapping", "search", "--levels", "1",
                 "--evaluations", "100", "--json", str(out)])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    assert list(data["results"]) == ["dla", "eye", "mapping"]
    assert data["results"]["mapping"]["space"]["evaluations"] == 100
    assert "mapping" in capsys.readouterr().out
    assert main(["compare", "--model", "alexnet", "--evaluations", "100"]) == 2  # without --mapping search
    assert "not used without --mapping search" in capsys.readouterr().err
