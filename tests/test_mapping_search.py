"""One layer's mapping frontier: exact on small spaces, valid points only, re-evaluable, seeded."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from confuciux import Dataflow, Hardware, Layer
from confuciux.cost.engine import Status, evaluate
from confuciux.mapping import MappingSpace
from confuciux.mapping.estimate import estimate
from confuciux.mapping.evaluate import digamma_area, reference_batch
from confuciux.mapping.genome import FreeEncoding, divisors
from confuciux.mapping.search import Genetic, search
from confuciux.search.frontier import frontier

ORDER = ("K", "C", "Y'", "X'", "R", "S")
TINY = Layer(6, 1, 3, 1, 1, 1)
TINY_SPACE = MappingSpace(levels=(1, 2), tiles="divisors", orders=ORDER, spatial=("K", "Y'"))
TINY_PES = (1, 2, 4)


def _level(tiles: dict[str, int], parallel: str) -> str:
    return " ".join(
        f"{'SpatialMap' if d == parallel else 'TemporalMap'}({tiles[d]},{tiles[d]}) {d};" for d in ORDER
    )


def _brute_force() -> tuple[np.ndarray, np.ndarray]:
    """The tiny space written out by hand (docs: tiles divide the enclosing tile, a cluster size
    divides the parallel axis's number of tiles and is at most its enclosing tile) and every
    program costed on every PE count it runs on."""
    sizes = {"K": 6, "C": 1, "Y'": 3, "X'": 1, "R": 1, "S": 1}
    points = []
    for s0 in ("K", "Y'"):
        for t0 in product(*(divisors(sizes[d]) for d in ORDER)):
            top = dict(zip(ORDER, t0, strict=True))
            programs = [(_level(top, s0), 1)]
            for s1 in ("K", "Y'"):
                for t1 in product(*(divisors(top[d]) for d in ORDER)):
                    inner = dict(zip(ORDER, t1, strict=True))
                    for c in divisors(-(-top[s1] // inner[s1])):
                        if c <= min(top[s1], 4):
                            programs.append((f"{_level(top, s0)} Cluster({c},P); {_level(inner, s1)}", c))
            for text, c in programs:
                for p in TINY_PES:
                    if p >= c:
                        r = evaluate(TINY, Dataflow.parse(text), p)
                        if r.status == Status.OK:
                            points.append((p, r["runtime"]))
    a = np.array(points, dtype=np.float64)
    keep = frontier(a[:, 0], a[:, 1])
    return a[keep, 0], a[keep, 1]


@pytest.fixture(scope="module")
def brute():
    return _brute_force()


def test_exhaustive_is_brute_force(brute):
    f = search(TINY, TINY_SPACE, pes=TINY_PES, evaluations=10_000)
    assert f.method == "exhaustive"
    assert np.array_equal(f.pes, brute[0]) and np.array_equal(f.runtime, brute[1])


def test_genetic_finds_the_exact_frontier_of_a_small_space(brute):
    f = search(TINY, TINY_SPACE, pes=TINY_PES, evaluations=250, method="genetic", seed=3,
               genetic=Genetic(population=25))
    assert f.method == "genetic" and f.evaluations <= 250
    assert np.array_equal(f.pes, brute[0]) and np.array_equal(f.runtime, brute[1])


def _re_evaluate(f, hardware_maestro: bool) -> None:
    assert len(f) >= 1
    for i in range(len(f)):
        r = evaluate(f.layer, f.programs[i], int(f.pes[i]))
        assert r.status == Status.OK
        assert r["runtime"] == f.runtime[i] and r["l1_bytes"] == f.l1_bytes[i] and r["l2_bytes"] == f.l2_bytes[i]
        assert r["runtime"] * f.pes[i] >= f.layer.macs
        if hardware_maestro:
            assert (r["energy"], r["area"], r["power"]) == (f.energy[i], f.area[i], f.power[i])


def test_programs_re_evaluate_to_the_reported_costs():
    layer = Layer(16, 8, 10, 10, 3, 3, stride=(1, 2))
    f = search(layer, MappingSpace(levels=(1, 2)), pes=[4, 8, 16, 24], evaluations=120, seed=1,
               hardware=Hardware.maestro(), genetic=Genetic(population=30))
    _re_evaluate(f, True)
    assert np.all(np.diff(f.pes) > 0) and np.all(np.diff(f.runtime) < 0)
    # priced with another hardware: same runtimes, that hardware's area
    g = search(layer, MappingSpace(levels=(1, 2)), pes=[4, 8, 16, 24], evaluations=120, seed=1,
               genetic=Genetic(population=30))
    _re_evaluate(g, False)
    d = search(layer, MappingSpace(levels=(1, 2)), pes=[4, 8, 16, 24], evaluations=120, seed=1, resource="area",
               area_model="digamma", genetic=Genetic(population=30))
    assert np.allclose(d.area, digamma_area(d.pes, d.l1_bytes, d.l2_bytes))
    assert np.all(np.diff(d.area) > 0)


def test_impossible_results_are_never_returned():
    # eye's double spatial map breaks the compute bound on many points (docs/engine.md)
    layer = Layer(8, 4, 12, 12, 3, 3)
    f = search(layer, MappingSpace.of_template("eye"), pes=[4, 6, 8, 12, 16], evaluations=400)
    assert f.statuses.get("IMPOSSIBLE", 0) > 0
    _re_evaluate(f, False)
    assert np.all(f.runtime >= f.bound)


def test_caps_and_fixed_hardware():
    layer = Layer(32, 16, 14, 14, 3, 3)
    caps = {"l1_bytes": 100, "l2_bytes": 3000}
    f = search(layer, MappingSpace(levels=(1, 2)), pes=16, caps=caps, evaluations=100, seed=2,
               genetic=Genetic(population=25))
    assert len(f) == 1 and f.pes[0] == 16
    assert f.l1_bytes[0] <= 100 and f.l2_bytes[0] <= 3000
    assert f.statuses.get("OVER_CAP", 0) + f.statuses["OK"] <= f.evaluations
    _re_evaluate(f, False)


def test_same_seed_same_result():
    layer = Layer(16, 8, 10, 10, 3, 3)
    kw = dict(pes=[4, 8, 16], evaluations=60, method="genetic", genetic=Genetic(population=20))
    a = search(layer, seed=7, **kw)
    b = search(layer, seed=7, **kw)
    c = search(layer, seed=8, **kw)
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.runtime, b.runtime) and a.programs == b.programs
    assert a.evaluations == b.evaluations == 60
    assert not (np.array_equal(a.rows, c.rows) and a.statuses == c.statuses)


def test_energy_objective_and_restricted_space():
    layer = Layer(16, 8, 10, 10, 3, 3)
    space = MappingSpace(levels=2, spatial=(("K",), ("C",)), orders=ORDER)
    f = search(layer, space, pes=[8, 16], objective="energy", evaluations=60, seed=0, genetic=Genetic(population=20))
    assert len(f) >= 1 and np.all(np.diff(f.energy) < 0)
    for df in f.programs:
        assert len(df.levels) == 2
        for level, parallel in zip(df.levels, ("K", "C"), strict=True):
            assert [m.dim for m in level.maps] == list(ORDER)
            assert [m.dim for m in level.maps if m.kind == "spatial"] == [parallel]


def test_template_space_searches_only_its_names():
    layer = Layer(16, 8, 10, 10, 3, 3)
    f = search(layer, MappingSpace.of_template("kcp_ws"), pes=[4, 8, 16], evaluations=100)
    base = Dataflow.preset("kcp_ws")
    assert f.method == "exhaustive" and len(f) >= 1
    for df in f.programs:
        assert df.directives == base.directives and set(df.constants) == {"ClusterC"}


def test_estimate_is_exact_on_one_level():
    for layer in (Layer(16, 8, 10, 10, 3, 3), Layer(8, 4, 17, 13, 3, 3, stride=2), Layer(1, 8, 9, 9, 3, 3, "DSCONV")):
        enc = FreeEncoding(MappingSpace(levels=1), layer, 24)
        g = enc.random(np.random.default_rng(4), 15)
        out, status = reference_batch([layer] * 15, enc.templates(g), np.full((1, 15), 24))
        rt, l1, _ = estimate(enc, g, 24)
        ok = status[0] == 0
        assert ok.sum() >= 10
        assert np.allclose(out["runtime"][0][ok], rt[ok], rtol=0.02)
        assert np.array_equal(out["l1_bytes"][0][ok], l1[ok])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pes": 0}, "pes"),
        ({"pes": []}, "pes"),
        ({"pes": 4, "objective": "edp"}, "objective"),
        ({"pes": 4, "resource": "cycles"}, "resource"),
        ({"pes": 4, "caps": {"bytes": 3}}, "cap"),
        ({"pes": 4, "caps": {"area": -1}}, "cap"),
        ({"pes": 4, "method": "fast"}, "method"),
        ({"pes": 4, "evaluations": 0}, "evaluations"),
        ({"pes": 4, "method": "exhaustive", "evaluations": 5}, "evaluations="),
        ({"pes": 4, "area_model": "mine"}, "area_model"),
        ({"pes": 4, "flags": {"bw": 3}}, "flag"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        search(Layer(4, 4, 5, 5, 3, 3), **kwargs)
    with pytest.raises(TypeError):
        search("layer", pes=4)  # type: ignore[arg-type]


@pytest.mark.parametrize("layer", [Layer(16, 8, 10, 10, 3, 3, stride=(1, 2)), Layer(32, 32, 14, 14, 3, 3, kind="DSCONV"),
                                   Layer(8, 4, 6, 6, 1, 1, batch=2)])  # fmt: skip
def test_direct_arrays_equal_the_templates(layer):
    """The search's default path (candidates as directive arrays, one C call) gives what their
    compiled templates give through the engine's batch entry point, bit for bit."""
    from confuciux.cost.engine import native
    from confuciux.mapping.evaluate import OUTPUTS, default_evaluator, direct_evaluator, engine_flags

    if direct_evaluator() is None:
        pytest.skip("the compiled engine is not built")
    enc = FreeEncoding(MappingSpace(), layer, 64)
    rows = enc.random(np.random.default_rng(0), 400)
    pes = np.maximum(enc.min_pes(rows), 16).reshape(1, -1).astype(np.int64)
    templates = enc.templates(rows)
    a, sa = default_evaluator()([layer] * len(templates), templates, pes, None, engine_flags(), OUTPUTS)
    a, sa = {k: v.copy() for k, v in a.items()}, sa.copy()
    first, arrays = enc.directive_arrays(rows)
    b, sb = native.evaluate_programs(layer, enc.axes.names, first, arrays, pes, engine_flags(), OUTPUTS)
    assert np.array_equal(sa, sb) and (sb == int(Status.OK)).sum() > 100
    for k in OUTPUTS:
        assert np.array_equal(a[k], b[k], equal_nan=True), k
    f = search(layer, MappingSpace(levels=(1, 2)), pes=[4, 16, 64], evaluations=150, seed=2,
               genetic=Genetic(population=30))
    g = search(layer, MappingSpace(levels=(1, 2)), pes=[4, 16, 64], evaluations=150, seed=2,
               genetic=Genetic(population=30), evaluator=default_evaluator())
    assert np.array_equal(f.rows, g.rows) and np.array_equal(f.energy, g.energy) and f.statuses == g.statuses


def test_fill_l2_grows_outer_tiles_within_the_cap():
    """The L2-filling seeds: every row's estimated L2 stays within the cap, none shrinks, most grow
    (one axis a row, so some stop where their axis is whole), a share to near the cap."""
    from confuciux.mapping.estimate import buffers
    from confuciux.mapping.seeds import fill_l2, seed_rows

    enc = FreeEncoding(MappingSpace(), Layer(512, 512, 7, 7, 3, 3), 168)
    rows = seed_rows(enc, 168, np.random.default_rng(0), 60, l2_cap=20_000)
    grown = fill_l2(enc, rows, 168, 108_000, np.random.default_rng(1), l1_cap=512)
    (l1a, before), (l1b, after) = buffers(enc, rows, 168), buffers(enc, grown, 168)
    assert np.all(before <= 20_000) and np.all(after <= 108_000) and np.all(after >= before)
    assert np.mean(after > before) > 0.5 and np.mean(after > 0.9 * 108_000) > 0.2
    assert np.all((l1b <= 512) | (l1b <= l1a))


def test_lightest_corner_is_on_the_frontier():
    """A frontier over PE counts starts at one PE with the least buffer (all tiles 1), which
    random mappings rarely reach."""
    layer = Layer(64, 32, 14, 14, 3, 3)
    f = search(layer, MappingSpace(), pes=range(1, 65), resource="area", evaluations=120, seed=0)
    one = Dataflow.parse("TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),Sz(R)) R; "
                         "TemporalMap(Sz(S),Sz(S)) S; TemporalMap(1,1) Y'; SpatialMap(1,1) X';")  # fmt: skip
    r = evaluate(layer, one, 1)
    assert r.status == Status.OK and f.pes[0] == 1
    assert f.l1_bytes[0] <= r["l1_bytes"] and f.l2_bytes[0] <= r["l2_bytes"]


def test_capped_search_reaches_the_budget_edge():
    """Under an area cap over many PE counts the search's fastest point uses most of the budget
    (a share of children is moved to the most PEs the estimate says fit) — at most seeds: one
    seed in four or five misses it at this small budget."""
    layer = Layer(64, 64, 56, 56, 3, 3)
    cap = 215_215.0
    used = []
    for seed in range(5):
        f = search(layer, MappingSpace(), pes=range(1, 24_823), resource="area", caps={"area": cap},
                   area_model="digamma", evaluations=230, seed=seed, hardware=Hardware.maestro())  # fmt: skip
        assert f.area[f.best] <= cap
        used.append(f.area[f.best] / cap)
    assert np.median(used) > 0.9


def test_frontier_polish_starts_at_the_fastest_point(monkeypatch):
    """Over several PE counts every frontier point has gap 1: the polish takes the one of most
    resource first (the fastest, the point a capped search reports), not the first logged."""
    from confuciux.mapping import search as module

    layer = Layer(64, 32, 14, 14, 3, 3)
    run, _ = module.explore(layer, MappingSpace(), pes=range(1, 65), resource="area", evaluations=300, seed=0,
                            genetic=Genetic(polish=0.0, short_polish=0.0))  # fmt: skip
    front = run.frontier("genetic")
    asked: list[int] = []
    real = module.neighbours

    def spy(enc, row, pes, *args):  # type: ignore[no-untyped-def]
        asked.append(pes)
        return real(enc, row, pes, *args)

    monkeypatch.setattr(module, "neighbours", spy)
    module._polish(run, len(run.log) + 1)
    assert len(front.pes) > 2 and asked[0] == front.pes[-1] != front.pes[0]
