"""Cost-model speed, reported as layer evaluations per second (``extra_info``).

Run: ``pytest benchmarks/bench_cost.py``; figures go to docs/performance.md.  Each test's
``extra_info`` holds ``evaluations`` (layer evaluations per call) and ``M_evaluations_per_s``
(from the median round).  On a shared machine, add ``--benchmark-timer=time.process_time`` to
count only this process's CPU time.

- the public ``evaluate`` on populations of 1,000 and 20,000 MobileNet-V2 designs (the zoo's
  52 stride-1 layers, and the recorded network's 53 with five strided ones), C kernel and NumPy
  reference side by side, every output and a two-output selection;
- the kernel alone on 400 designs x 274 layers of random realistic shapes, and on two threads;
- the NumPy reference with and without overflow checks on the same batch;
- the single-point paths (``evaluate_layer``, a one-layer ``evaluate``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import confuciux
from confuciux import DATAFLOWS, Hardware
from confuciux.cost import native, reference

needs_c = pytest.mark.skipif(confuciux.BACKEND != "c", reason="compiled kernel not built")
BACKENDS = [pytest.param("c", marks=needs_c), "numpy"]

N_LAYERS, N_DESIGNS = 274, 400
PE_CHOICES = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128]


def _record(benchmark, evaluations: int) -> None:
    benchmark.extra_info["evaluations"] = evaluations
    if benchmark.stats is not None:  # absent with --benchmark-disable
        median = benchmark.stats.stats.median
        benchmark.extra_info["M_evaluations_per_s"] = round(evaluations / median / 1e6, 2)


def _batch(seed: int = 0):
    rng = np.random.default_rng(seed)
    r = rng.choice([1, 3, 5, 7], N_LAYERS)
    y = r + rng.choice([6, 13, 27, 55, 111], N_LAYERS)
    dims = np.stack(
        [rng.integers(16, 1024, N_LAYERS), rng.integers(3, 1024, N_LAYERS), y, y, r, r], axis=1
    ).astype(np.int64)
    dw = rng.random(N_LAYERS) < 0.1
    pes = rng.choice(PE_CHOICES, (N_DESIGNS, N_LAYERS)).astype(np.int64).ravel()
    ktile = rng.integers(1, 13, (N_DESIGNS, N_LAYERS)).astype(np.int64).ravel()
    return np.ascontiguousarray(dims), dw, pes, ktile


BATCH = _batch()
POINTS = N_LAYERS * N_DESIGNS
MOBILENET = confuciux.zoo.load("mobilenet_v2")
# the network as recorded: 53 layers, five of them with stride 2 (the zoo default costs each
# strided layer as the stride-1 layer with the same output)
MOBILENET_STRIDED = confuciux.zoo.load("mobilenet_v2", record="network")
MODELS = {"mobilenet_v2": MOBILENET, "mobilenet_v2_strided": MOBILENET_STRIDED}


def _population(n_designs: int, n_layers: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n_designs, n_layers)
    return rng.choice(PE_CHOICES, shape).astype(np.int64), rng.integers(1, 13, shape).astype(np.int64)


POPULATIONS = {n: _population(n, len(MOBILENET)) for n in (1000, 20000)}
STRIDED_POPULATIONS = {n: _population(n, len(MOBILENET_STRIDED)) for n in (1000, 20000)}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("designs", [1000, 20000])
@pytest.mark.parametrize("model", list(MODELS))
def test_evaluate_mobilenet_population(benchmark, model, designs, backend):
    """The public path: validation, one kernel call (or the NumPy reference), LayerCosts; the
    zoo's stride-1 MobileNet-V2 and the recorded one with its strided layers."""
    pes, buffers = (POPULATIONS if model == "mobilenet_v2" else STRIDED_POPULATIONS)[designs]
    costs = benchmark(confuciux.evaluate, MODELS[model], pes, buffers, "dla", backend=backend)
    assert costs.shape == pes.shape and costs.valid.all()
    _record(benchmark, pes.size)


@needs_c
@pytest.mark.parametrize("designs", [1000, 20000])
def test_evaluate_mobilenet_population_results_kept(benchmark, designs):
    """As above, but the caller keeps the last two results: every call gets fresh output memory
    (first-touch page faults included), as for a caller that stores every population's costs."""
    pes, buffers = POPULATIONS[designs]
    kept: list = []

    def run():
        kept.append(confuciux.evaluate(MOBILENET, pes, buffers, "dla"))
        del kept[:-2]

    benchmark(run)
    assert kept[-1].valid.all()
    _record(benchmark, pes.size)


@needs_c
@pytest.mark.parametrize("designs", [1000, 20000])
def test_evaluate_mobilenet_two_outputs(benchmark, designs):
    """``outputs=("runtime", "energy")``: only those two arrays are allocated and written."""
    pes, buffers = POPULATIONS[designs]
    costs = benchmark(confuciux.evaluate, MOBILENET, pes, buffers, "dla", outputs=("runtime", "energy"))
    assert costs.computed == ("runtime", "energy")
    _record(benchmark, pes.size)


@needs_c
@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_c_batch(benchmark, dataflow):
    """The kernel through the internal entry point (every output, contiguous designs)."""
    dims, dw, pes, ktile = BATCH
    hw = Hardware.maestro()
    out = benchmark(native.evaluate_points, dims, dw, pes, ktile, dataflow, hw)
    assert np.count_nonzero(out["valid"]) > POINTS // 2  # printed (OK or IMPOSSIBLE)
    _record(benchmark, POINTS)


@pytest.mark.parametrize("checked", [True, False], ids=["reference", "plain"])
def test_numpy_batch(benchmark, checked):
    """The NumPy reference (checked arithmetic) and the same formulas without overflow checks."""
    dims, dw, pes, ktile = BATCH
    tiled, tdw = np.tile(dims, (N_DESIGNS, 1)), np.tile(dw, N_DESIGNS)
    hw = Hardware.maestro()
    out = benchmark(reference.evaluate_points, tiled, tdw, pes, ktile, "dla", hw, check_overflow=checked)
    assert np.count_nonzero(out["valid"]) == POINTS  # every point printed (some IMPOSSIBLE)
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
    _record(benchmark, 1)


def test_evaluate_layer_scalar(benchmark):
    """The scalar path for Python loops: one Layer, Python ints in, Python floats out."""
    layer = confuciux.Layer(64, 32, 58, 58, 3, 3)
    cost = benchmark(confuciux.evaluate_layer, layer, 64, 4, "dla")
    assert cost.valid
    _record(benchmark, 1)
