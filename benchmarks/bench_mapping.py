"""Mapping search speed: one layer's frontier (latency against area over P 1..128 and the
mapping), the engine's share of it (one batch of candidate programs of one layer), and a whole
network co-optimised — every layer's mapping and PEs under one area budget — MobileNet-V2 (52
layers) and ResNet-50 (53), from cold caches; and GAMMA's setting (one layer's best mapping on
168 PEs, L1 512 B, L2 108,000 B, ~200 evaluations, docs/scripts/gamma_compare.py's call).  The smoke run (``--benchmark-disable``, CI) runs
each once at a small size.  Run: ``pytest benchmarks/bench_mapping.py``; figures go to
docs/performance.md."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux.mapping import MappingSpace, seeds
from confuciux.mapping import options as mapping_options
from confuciux.mapping.evaluate import OUTPUTS, default_evaluator, direct_evaluator, engine_flags
from confuciux.mapping.genome import FreeEncoding
from confuciux.mapping.search import best, search
from confuciux.mapping.settings import PLATFORM_GENETIC, Genetic, MappingSearch

LAYERS = {
    "resnet18.conv3x3": cx.zoo.load("resnet18").layers[6],
    "mobilenet_v2.pointwise": cx.zoo.load("mobilenet_v2").layers[5],
    "mobilenet_v2.depthwise": cx.zoo.load("mobilenet_v2").layers[4],
}
PES = list(range(1, 129))
AREA = 2e7  # µm²: about 4 % of it buys one layer 256 PEs


def _cold() -> None:
    """Forget every search and cached seed table (each round starts from nothing)."""
    mapping_options._CACHE.clear()
    seeds._least_work.cache_clear()
    seeds._best_tile.cache_clear()
    seeds._structure_tables.cache_clear()


@pytest.mark.parametrize("settings", ["platform", "search-default"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_frontier(benchmark, name, settings):
    """One layer's frontier, 2,000 engine evaluations: the platform's settings
    (:data:`PLATFORM_GENETIC`) and :func:`search`'s default (a heavier pre-screen)."""
    ga = PLATFORM_GENETIC if settings == "platform" else Genetic()
    evaluations = 2000 if not benchmark.disabled else 200

    def run() -> object:
        _cold()
        return search(LAYERS[name], MappingSpace(), pes=PES, resource="area", evaluations=evaluations, seed=0,
                      genetic=ga)  # fmt: skip

    front = benchmark.pedantic(run, rounds=3, iterations=1)
    assert len(front) > 0 and front.evaluations == evaluations


@pytest.mark.parametrize("path", ["templates", "arrays"])
def test_engine_batch(benchmark, path):
    """The engine's part: 2,000 random programs of one layer costed in one call — compiled to
    templates first (``evaluate_batch``), or given as directive arrays (the search's default)."""
    layer = LAYERS["resnet18.conv3x3"]
    enc = FreeEncoding(MappingSpace(), layer, 128)
    rows = enc.random(np.random.default_rng(0), 2000)
    pes = np.maximum(enc.min_pes(rows), 64).reshape(1, -1).astype(np.int64)
    flags = engine_flags()
    evaluator, direct = default_evaluator(), direct_evaluator()
    if path == "arrays" and direct is None:
        pytest.skip("the compiled engine is not built")

    def run() -> np.ndarray:
        if path == "arrays":
            first, arrays = enc.directive_arrays(rows)
            return direct(layer, enc.axes.names, first, arrays, pes, flags, OUTPUTS)[1]  # type: ignore[misc]
        templates = enc.templates(rows)
        return evaluator([layer] * len(templates), templates, pes, None, flags, OUTPUTS)[1]

    status = benchmark.pedantic(run, rounds=5, iterations=1)
    assert status.size == 2000


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("model", ["mobilenet_v2", "resnet50"])
def test_network_coopt(benchmark, model, workers):
    """Every layer's mapping and PEs under one area budget: the Problem table (the layers'
    searches, :data:`~confuciux.mapping.settings.DEFAULT_EVALUATIONS` each, in this process or
    on a pool of ``workers``, whose start-up is counted) and the exact solver, from cold caches."""
    net = cx.zoo.load(model)
    spec = MappingSearch(MappingSpace(), workers=workers)
    if benchmark.disabled:  # smoke: a few layers, few evaluations
        net = cx.Model(net.name, list(net)[:4])
        spec = MappingSearch(MappingSpace(), evaluations=100, workers=workers)
    platform = cx.Platform(spec, budgets={"area": AREA})

    def run() -> cx.Result:
        _cold()
        return cx.Explorer(net, platform, method="exact", seed=0).run()

    result = benchmark.pedantic(run, rounds=1 if benchmark.disabled else 2, iterations=1)
    assert result.feasible


GAMMA_LAYERS = {  # GAMMA's workloads (its data/model/*.csv) at its candidate counts a layer
    "transformer.ffn": (cx.Layer.gemm(512, 768, 3072), 197),
    "resnet18.conv3x3": (cx.Layer(64, 64, 56, 56, 3, 3), 214),
}


@pytest.mark.parametrize("objective", ["latency", "energy"])
@pytest.mark.parametrize("name", list(GAMMA_LAYERS))
def test_gamma_best(benchmark, name, objective):
    """GAMMA's fixed hardware: ``best(...)`` as gamma_compare.py calls it, ~200 evaluations (the
    seeds' structure table warm, as in runs 2-3 of a layer there)."""
    layer, evaluations = GAMMA_LAYERS[name]

    def run() -> object:
        return best(layer, MappingSpace(), pes=168, objective=objective, caps={"l1_bytes": 512, "l2_bytes": 108000},
                    evaluations=evaluations, seed=0, hardware=cx.Hardware.maestro(),
                    flags={"noc_bw": 81920000, "offchip_bw": 2**30})  # fmt: skip

    run()
    front = benchmark.pedantic(run, rounds=1 if benchmark.disabled else 10, iterations=1)
    assert len(front) > 0 and front.evaluations == evaluations
