"""Sweeps of a searched mapping: cases run in one process share each layer's search (the cache),
specifications say ``dataflow = "mapping"``, and a pool gives the same results."""

from __future__ import annotations

import numpy as np

from confuciux import Layer, Model, Platform
from confuciux.mapping import MappingSpace, options
from confuciux.mapping.settings import MappingSearch
from confuciux.sweeps import Case, cases_from_spec, process_pool, results_table, sweep

MODEL = Model("two", [Layer(16, 8, 8, 8, 3, 3, name="c"), Layer(32, 16, 4, 4, 1, 1, name="pw")])
SPEC = MappingSearch(MappingSpace(levels=(1, 2)), evaluations=300, seed=1)
BUDGETS = (3e5, 1e6, 3e6)


def _cases(spec: MappingSearch = SPEC) -> list[Case]:
    # the same PE counts for every budget (pe_bounds given): one search a layer for the whole sweep
    return [Case(MODEL, Platform(spec, budgets={"area": b}, pe_bounds=(1, 512)), method="exact") for b in BUDGETS]


def test_a_budget_sweep_searches_each_layer_once_and_equals_fresh_runs():
    options._CACHE.clear()
    results = sweep(_cases())
    assert [r.space["mapping_evaluations"] for r in results] == [600, 0, 0]
    values = [r.objective_value for r in results]
    assert values[0] >= values[1] >= values[2] and values[0] > values[2]  # more area, no slower
    for case, r in zip(_cases(), results, strict=True):
        options._CACHE.clear()
        fresh = case.run()
        assert fresh.objective_value == r.objective_value
        np.testing.assert_array_equal(fresh.pes, r.pes)
        assert [str(d) for d in fresh.dataflows] == [str(d) for d in r.dataflows]
    assert {row["dataflow"] for row in results_table(results)} == {"mapping"}


def test_a_pool_gives_the_results_of_one_process():
    options._CACHE.clear()
    here = sweep(_cases())
    with process_pool(2) as pool:
        there = sweep(_cases(MappingSearch(SPEC.space, 300, seed=1, workers=2)), executor=pool)
    assert [r.objective_value for r in there] == [r.objective_value for r in here]
    assert [[str(d) for d in r.dataflows] for r in there] == [[str(d) for d in r.dataflows] for r in here]


def test_spec_dataflow_mapping():
    spec = {"model": "alexnet", "dataflow": ["dla", "mapping"], "budget": {"area": 3e6}, "seed": 5,
            "method": "exact"}  # fmt: skip
    cases = cases_from_spec(spec)
    mapping = cases[1].platform.mapping
    assert cases[0].platform.mapping is None and mapping is not None and mapping.seed == 5
    assert mapping == MappingSearch(seed=5)
