"""Searched mappings as a platform's dataflow: every layer's found points become its options, the
cross-layer combination is exact given them, and every method, Result, JSON, to_maestro and
pareto carry the programs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import confuciux as cx
from confuciux import Explorer, Layer, Model, Platform, Result
from confuciux.cost.engine import Status, evaluate_batch
from confuciux.cost.engine import evaluate as reference
from confuciux.dataflow import compile as compile_program
from confuciux.mapping import MappingSpace, options
from confuciux.mapping.evaluate import digamma_area
from confuciux.mapping.options import FIELDS, layer_options, nondominated
from confuciux.mapping.search import explore, search
from confuciux.mapping.settings import PLATFORM_GENETIC, Genetic, MappingSearch
from confuciux.search import Problem

ORDER = ("K", "C", "Y'", "X'", "R", "S")
SPACE = MappingSpace(levels=(1, 2), tiles="divisors", orders=ORDER, spatial=("K", "Y'"))
TOY = Model("toy", [Layer(6, 1, 3, 1, 1, 1, name="a"), Layer(4, 2, 2, 2, 1, 1, name="b"),
                    Layer(6, 1, 3, 1, 1, 1, name="a2")])  # fmt: skip
PES = dict(pe_levels=(1, 2, 4), buffer_levels=(1,), pe_bounds=(1, 4), buffer_bounds=(1, 1))
EXHAUSTIVE = MappingSearch(SPACE, evaluations=100_000, method="exhaustive")


def _platform(budget: float, spec: MappingSearch = EXHAUSTIVE, **kw: object) -> Platform:
    return Platform(spec, budgets={"area": budget}, **PES, **kw)  # type: ignore[arg-type]


def _every_point(layer: Layer) -> dict[str, np.ndarray]:
    """Every valid (P, mapping) of ``layer`` in the toy space (an exhaustive run's whole log)."""
    run, method = explore(layer, SPACE, pes=(1, 2, 3, 4), resource="area", evaluations=100_000, method="exhaustive")
    assert method == "exhaustive"
    v = np.flatnonzero(run.log.valid)
    return {f: run.log.costs[f][v] for f in FIELDS}


def test_options_are_the_non_dominated_points():
    opts = layer_options(list(TOY), EXHAUSTIVE, np.arange(1, 5), cx.Hardware.default(), "latency")
    for i, layer in enumerate(TOY):
        every = _every_point(layer)
        keep = nondominated(np.stack([every[f] for f in FIELDS], axis=1))
        got = {tuple(opts.costs[f][i, g] for f in FIELDS) for g in range(opts.costs["runtime"].shape[1])}
        assert got == {tuple(every[f][j] for f in FIELDS) for j in keep}
    assert opts.evaluations > 0 and np.array_equal(opts.costs["runtime"][0], opts.costs["runtime"][2])


@pytest.mark.parametrize("budget", [900.0, 1.2e3, 1.5e3, 3.0e3, 1.0e4])
def test_exact_is_brute_force_given_every_point(budget):
    """Exhaustive layer searches: exact over the options equals brute force over every valid
    (P, mapping) pair of the two layers (dominated points never help)."""
    two = Model("two", list(TOY)[:2])
    result = Explorer(two, _platform(budget), method="exact").run()
    a, b = (_every_point(layer) for layer in two)
    area = a["area"][:, None] + b["area"][None, :]
    runtime = a["runtime"][:, None] + b["runtime"][None, :]
    best = float(np.min(np.where(area <= budget, runtime, np.inf)))
    assert np.isfinite(best) == result.feasible
    if result.feasible:
        assert result.objective_value == best
        assert result.constraint_used["area"]["used"] <= budget


def _problem_and_choice(platform: Platform, method: str = "exact") -> tuple[Problem, Result]:
    result = Explorer(TOY, platform, method=method, seed=0).run()
    return Problem(TOY, platform), result


def test_result_carries_the_programs_and_their_costs(tmp_path):
    platform = _platform(6.0e4)
    problem, result = _problem_and_choice(platform)
    assert result.feasible and all(isinstance(d, cx.Dataflow) for d in result.dataflows)
    assert result.platform["dataflow"] == "mapping" and result.space["evaluations"] == EXHAUSTIVE.evaluations
    assert np.all(result.buffers == 1)
    # the space record says what was searched: PE counts, not the fixed-dataflow box's option count
    assert "options" not in result.space and result.space["pe_counts"] == platform.mapping_pes().size == 4  # P 1..4
    # and what the layers' searches took (cached searches count once: at least 0 fresh evaluations)
    assert result.space["mapping_evaluations"] >= 0 and result.space["mapping_seconds"] >= 0
    assert "mapping searches: " in result.summary() and "engine evaluations in" in result.summary()
    # each layer's program costs what its table entry says, on the compiled engine and the reference
    compiled = [compile_program(d, layer) for d, layer in zip(result.dataflows, TOY, strict=True)]
    pes = np.asarray(result.pes, dtype=np.int64).reshape(1, -1)
    raw, status = evaluate_batch(list(TOY), compiled, pes, np.ones_like(pes), {}, ("runtime", "l2_bytes"))
    assert np.all(status == int(Status.OK))
    assert np.array_equal(raw["runtime"][0], result.costs.runtime)
    for i, layer in enumerate(TOY):
        r = reference(layer, result.dataflows[i], int(result.pes[i]))
        assert r.status == Status.OK and r["runtime"] == result.costs.runtime[i]
        g = np.flatnonzero((problem.pes[i] == result.pes[i]) & (problem.table["runtime"][i] == r["runtime"]))
        assert g.size and problem.table["area"][i, g[0]] == pytest.approx(result.costs.area[i], rel=1e-12)
    # JSON round trip and the MAESTRO export
    back = Result.from_json(result.to_json())
    assert back.dataflows == result.dataflows and back.objective_value == result.objective_value
    written = result.to_maestro(tmp_path)
    text = "".join(p.read_text() for p in written if p.parent.name == "layers")
    assert all(str(d).splitlines()[1].strip() in text for d in result.dataflows)


def test_every_method_works_and_none_beats_exact():
    platform = _platform(6.0e4)
    exact = Explorer(TOY, platform, method="exact").run().objective_value
    for method in ("confuciux", "ga", "anneal", "random", "heuristic", "rl"):
        r = Explorer(TOY, platform, method=method, epochs=30, seed=1).run()
        assert r.feasible and r.objective_value >= exact, method
        assert all(isinstance(d, cx.Dataflow) for d in r.dataflows)


def test_pareto_front_has_the_programs():
    platform = Platform(EXHAUSTIVE, **PES)
    front = cx.pareto_front(TOY, platform, "latency", "area")
    assert front.exact and len(front) > 1
    for i in (0, len(front) - 1):
        pes, _ = front.design(i)
        programs = front.programs(i)
        total = sum(reference(layer, d, int(p))["runtime"] for layer, d, p in zip(TOY, programs, pes, strict=True))
        assert total == front.objective[i]
    with pytest.raises(ValueError, match="fixed dataflows"):
        cx.pareto_front(TOY, Platform("dla", **PES)).programs(0)


def test_restricted_classes_are_respected():
    space = MappingSpace(levels=1, spatial=("K",), orders=ORDER)
    spec = MappingSearch(space, evaluations=300, genetic=Genetic(population=30))
    result = Explorer(TOY, _platform(1e6, spec), method="exact").run()
    for program in result.dataflows:
        lines = [ln.strip() for ln in str(program).splitlines()[1:-1]]
        assert not any(ln.startswith("Cluster") for ln in lines)
        assert [ln for ln in lines if ln.startswith("SpatialMap")] == [ln for ln in lines if ln.endswith(" K;")]
        assert [ln.split()[-1].rstrip(";") for ln in lines] == [d for d in ORDER if d + ";" in " ".join(lines)]


def test_same_seed_same_result():
    layers = Model("two", [Layer(16, 8, 10, 10, 3, 3), Layer(8, 16, 8, 8, 1, 1)])
    spec = MappingSearch(MappingSpace(levels=(1, 2)), evaluations=150, seed=5, genetic=Genetic(population=30))
    platform = Platform(spec, budgets={"area": 3e5}, **PES)

    def table(p: Platform) -> np.ndarray:
        options._CACHE.clear()
        return Problem(layers, p).table["runtime"]

    a, b = table(platform), table(platform)
    assert np.array_equal(a, b, equal_nan=True)
    other = table(dataclasses.replace(platform, dataflow=dataclasses.replace(spec, seed=6)))
    assert not np.array_equal(a, other, equal_nan=True)


def test_platform_search_small_area_end():
    """The platform's layer searches over P 1..128 (area the resource) keep three tile mutations a
    child: with four (search()'s default) T5's second feed-forward GEMM stopped at 1.342e8 cycles within
    2,900 µm² at seeds 0-2 (1.05e8-1.20e8 with three, mean 1.11e8), as the models' fronts of
    docs/scripts/mapping_fronts.py lost 5-10 % at their small area budgets."""
    layer = Layer.gemm(512, 2048, 512)
    best = []
    for seed in range(3):
        f = search(layer, pes=range(1, 129), resource="area", evaluations=1000, seed=seed, genetic=PLATFORM_GENETIC)
        best.append(min(r for a, r in zip(f.area, f.runtime, strict=True) if a <= 2900.0))
    assert PLATFORM_GENETIC.operators.tile_loci == 3
    assert max(best) < 1.3e8 and np.mean(best) < 1.2e8, best


def test_digamma_area_model():
    platform = _platform(1e6, area_model="digamma")
    problem = Problem(TOY, platform)
    ok = problem.valid
    want = digamma_area(problem.pes[ok], problem.table["l1_bytes"][ok], problem.table["l2_bytes"][ok])
    assert np.allclose(problem.table["area"][ok], want, rtol=1e-12)
    result = Explorer(TOY, platform, method="exact").run()
    assert np.allclose(result.costs.area, digamma_area(result.pes, result.costs.l1_bytes, result.costs.l2_bytes))
    assert "digamma" in platform.hardware.name and platform.describe_space()["area_model"] == "digamma"


def test_errors():
    with pytest.raises(ValueError, match="layer-pipelined"):
        Platform(MappingSpace(), deployment="LS")
    with pytest.raises(ValueError, match="only dataflow"):
        Platform(("dla", MappingSpace()))
    with pytest.raises(ValueError, match="absolute budget"):
        Platform.confuciux(TOY, MappingSpace())
    with pytest.raises(ValueError, match="area_model"):
        Platform("dla", area_model="gamma")
    with pytest.raises(ValueError, match="evaluations"):
        MappingSearch(evaluations=0)
    with pytest.raises(ValueError, match="method"):
        MappingSearch(method="anneal")
    with pytest.raises(TypeError, match="Genetic"):
        MappingSearch(genetic=3)  # type: ignore[arg-type]
    problem = Problem(TOY, _platform(1e6))
    with pytest.raises(ValueError, match="points found per layer"):
        problem.encode([1, 1, 1], [1, 1, 1])


def test_gym_refuses_a_searched_mapping():
    pytest.importorskip("gymnasium")
    from confuciux.gym import AllocationEnv

    with pytest.raises(ValueError, match="fixed dataflow"):
        AllocationEnv(TOY, _platform(1e6))


def test_an_objective_reading_other_outputs_is_refused():
    from confuciux.search import Objective, register_objective, unregister_objective

    register_objective(Objective("noc_total", ("noc_bw",), "additive", "the layers' NoC bandwidths added up"))
    try:
        with pytest.raises(ValueError, match="noc_bw"):
            Problem(TOY, _platform(1e6), "noc_total")
    finally:
        unregister_objective("noc_total")
