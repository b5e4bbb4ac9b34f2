"""Cost-model speed: batched C kernel vs the NumPy reference, single-layer call overhead and
two-thread scaling.  Run: ``pytest benchmarks/bench_cost.py``; figures go to docs/performance.md.

The batch: 400 designs x 274 layers of realistic shapes (random, seeded) with PE counts and
buffer settings from ConfuciuX's action space, all outputs computed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import confuciux
from confuciux import Hardware
from confuciux.cost import native, reference

N_LAYERS, N_DESIGNS = 274, 400
needs_c = pytest.mark.skipif(not confuciux.native, reason="compiled kernel not built")


def _batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    r = rng.choice([1, 3, 5, 7], N_LAYERS)
    y = r + rng.choice([6, 13, 27, 55, 111], N_LAYERS)
    dims = np.stack(
        [rng.integers(16, 1024, N_LAYERS), rng.integers(3, 1024, N_LAYERS), y, y, r, r], axis=1
    ).astype(np.int64)
    dw = rng.random(N_LAYERS) < 0.1
    pes = rng.choice([1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128], (N_DESIGNS, N_LAYERS)).astype(np.int64).ravel()
    ktile = rng.integers(1, 13, (N_DESIGNS, N_LAYERS)).astype(np.int64).ravel()
    return np.ascontiguousarray(dims), dw, pes, ktile


BATCH = _batch()
POINTS = N_LAYERS * N_DESIGNS


def _record(benchmark, points: int) -> None:
    benchmark.extra_info["points"] = points
    if benchmark.stats is not None:  # absent with --benchmark-disable
        benchmark.extra_info["million_points_per_s"] = round(points / benchmark.stats.stats.median / 1e6, 2)


@needs_c
@pytest.mark.parametrize("dataflow", ["dla", "shi", "eye"])
def test_c_batch(benchmark, dataflow):
    dims, dw, pes, ktile = BATCH
    hw = Hardware.maestro()
    out = benchmark(native.evaluate_points, dims, dw, pes, ktile, dataflow, hw)
    assert np.count_nonzero(out["status"] == 0) > POINTS // 2
    _record(benchmark, POINTS)


@pytest.mark.parametrize("checked", [True, False], ids=["reference", "plain"])
def test_numpy_batch(benchmark, checked):
    """The NumPy reference (checked arithmetic) and the same formulas without overflow checks."""
    dims, dw, pes, ktile = BATCH
    tiled, tdw = np.tile(dims, (N_DESIGNS, 1)), np.tile(dw, N_DESIGNS)
    hw = Hardware.maestro()
    out = benchmark(reference.evaluate_points, tiled, tdw, pes, ktile, "dla", hw, check_overflow=checked)
    assert np.count_nonzero(out["status"] == 0) == POINTS
    _record(benchmark, POINTS)


@needs_c
def test_c_batch_two_threads(benchmark):
    """The kernel releases the GIL: two threads each evaluate half of the batch."""
    dims, dw, pes, ktile = BATCH
    hw = Hardware.maestro()
    half = (N_DESIGNS // 2) * N_LAYERS
    parts = [(pes[:half], ktile[:half]), (pes[half:], ktile[half:])]
    with ThreadPoolExecutor(2) as pool:

        def run():
            return list(pool.map(lambda pk: native.evaluate_points(dims, dw, pk[0], pk[1], "dla", hw), parts))

        outs = benchmark(run)
    assert sum(o["status"].size for o in outs) == POINTS
    _record(benchmark, POINTS)


def test_evaluate_one_layer_array(benchmark):
    """Full public path for one layer given as an array: validation, one C call, LayerCosts."""
    layer = np.array([[64, 32, 58, 58, 3, 3]])
    costs = benchmark(confuciux.evaluate, layer, 64, 4, "dla")
    assert costs.valid[0]


def test_evaluate_layer_scalar(benchmark):
    """The scalar path for Python loops: one Layer, Python ints in, Python floats out."""
    layer = confuciux.Layer(64, 32, 58, 58, 3, 3)
    cost = benchmark(confuciux.evaluate_layer, layer, 64, 4, "dla")
    assert cost.valid


def test_evaluate_model_population(benchmark):
    """A population of 100 designs of MobileNet-V2 (52 layers) through the public API."""
    model = confuciux.zoo.load("mobilenet_v2")
    rng = np.random.default_rng(0)
    pes = rng.choice([1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128], (100, len(model)))
    costs = benchmark(confuciux.evaluate, model, pes, 4, "dla")
    assert costs.shape == (100, len(model))
    _record(benchmark, pes.size)
