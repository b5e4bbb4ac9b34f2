"""Speed of the general cost engine (csrc/engine.c), reported as layer evaluations per second.

Run: ``pytest benchmarks/bench_engine.py``; figures go to docs/performance.md.  Each test's
``extra_info`` holds ``evaluations`` (layer evaluations per call) and ``M_evaluations_per_s``
(from the median round).  On a shared machine, add ``--benchmark-timer=time.process_time``.

The workload of issue 15: MobileNet-V2 as recorded (53 layers: CONV, DSCONV, GEMM, five strided),
each layer with its own random program (seeded), 1,000 designs a call, each design its own P and
k on every layer.  Programs are drawn as GAMMA draws its genomes (MAESTRO's directives table,
``genome`` family: one to three levels, one spatial map a level and temporal maps for the other
dimensions in random order, tiles within the level above's, R and S whole, Y and X as output
rows or as sliding windows, literal cluster sizes), with the top level's K or C tile set by
``KTileSz`` in a third of them so that k matters; only programs the language takes and MAESTRO
prints a cost for at P = 64, k = 4 are kept.  Designs: P uniform in 1..4,096 (nearly every design
its own P) or from ConfuciuX's twelve levels, k in 1..12.  Also: the same layers under programs
whose cluster size is the design's (``Cluster(ClusterSz)``, as in the ConfuciuX presets: nothing
is shared between designs of different P), the presets themselves, the C engine against the
Python reference on one layer, and the single-point path.
"""

from __future__ import annotations

import numpy as np
import pytest

import confuciux
from confuciux.cost.engine import DEFAULTS, evaluate
from confuciux.cost.engine import native as engine_native
from confuciux.cost.engine.outputs import OUTPUTS
from confuciux.dataflow import Dataflow, maestro_layer
from confuciux.dataflow.bind import compile as compile_program
from confuciux.workload import Layer

needs_c = pytest.mark.skipif(not engine_native.AVAILABLE, reason="compiled engine not built")
pytestmark = needs_c

N_DESIGNS = 1000
PE_LEVELS = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128]
MODEL = confuciux.zoo.load("mobilenet_v2", record="network")


def _record(benchmark, evaluations: int) -> None:
    benchmark.extra_info["evaluations"] = evaluations
    if benchmark.stats is not None:  # absent with --benchmark-disable
        median = benchmark.stats.stats.median
        benchmark.extra_info["M_evaluations_per_s"] = round(evaluations / median / 1e6, 2)


def genome(rng: np.random.Generator, layer: Layer, cluster_knob: bool = False) -> str:
    """A random program for ``layer`` in the style of GAMMA's genomes (MAESTRO text)."""
    gemm = layer.kind == "GEMM" and rng.random() < 0.5
    _, dims = maestro_layer(layer, Dataflow.parse("SpatialMap(1,1) M;" if gemm else "SpatialMap(1,1) C;"))
    names = ["M", "N", "K"] if gemm else [d for d in dims if d not in ("R", "S")]
    windows = {d: rng.random() < 0.5 for d in ("Y", "X")}  # sliding input windows or output rows
    tiles = {d: dims[d] if d not in ("Y", "X") else dims[d] - dims["R" if d == "Y" else "S"] + 1 for d in names}
    ktile = rng.random() < 1 / 3
    lines = []
    for level in range(int(rng.integers(1, 4))):
        if level:
            lines.append(f"Cluster({'ClusterSz' if cluster_knob else int(rng.integers(2, 17))}, P);")
        order = list(rng.permutation(names + ([] if gemm else ["R", "S"])))
        spatial = order[int(rng.integers(0, len(order)))]
        while spatial in ("R", "S"):
            spatial = order[int(rng.integers(0, len(order)))]
        for d in order:
            kind = "SpatialMap" if d == spatial else "TemporalMap"
            if d in ("R", "S"):
                lines.append(f"TemporalMap(Sz({d}),Sz({d})) {d};")
                continue
            tiles[d] = int(rng.integers(1, tiles[d] + 1))
            if d in ("Y", "X") and windows[d]:
                kernel = "R" if d == "Y" else "S"
                lines.append(f"{kind}(Sz({kernel}),1) {d};")
            elif d in ("Y", "X"):
                lines.append(f"{kind}({tiles[d]},{tiles[d]}) {d}';")
            elif level == 0 and ktile and d == ("K" if "K" in names else "C"):
                lines.append(f"{kind}(KTileSz,KTileSz) {d};")
            else:
                lines.append(f"{kind}({tiles[d]},{tiles[d]}) {d};")
    return "\n".join(lines)


def programs(layers: list[Layer], seed: int = 0, cluster_knob: bool = False) -> list[object]:
    """One compiled program per layer, each one MAESTRO prints a cost for at P = 64, k = 4."""
    rng = np.random.default_rng(seed)
    out = []
    for layer in layers:
        while True:
            try:
                program = Dataflow.parse(genome(rng, layer, cluster_knob))
                if evaluate(layer, program, 64, buffers=4).valid:
                    out.append(compile_program(program, layer))
                    break
            except ValueError:
                continue
    return out


LAYERS = list(MODEL.layers)
GENOMES = programs(LAYERS)
CLUSTER_KNOB = programs(LAYERS, seed=1, cluster_knob=True)
_rng = np.random.default_rng(2)
DESIGNS = {
    "P_uniform": (_rng.integers(1, 4097, (N_DESIGNS, len(LAYERS))), _rng.integers(1, 13, (N_DESIGNS, len(LAYERS)))),
    "P_levels": (_rng.choice(PE_LEVELS, (N_DESIGNS, len(LAYERS))), _rng.integers(1, 13, (N_DESIGNS, len(LAYERS)))),
}


@pytest.mark.parametrize("outputs", ["all", "runtime_energy"])
@pytest.mark.parametrize("designs", list(DESIGNS))
def test_engine_random_programs(benchmark, designs, outputs):
    """The issue's workload: 53 layers, each its own random program, 1,000 designs a call."""
    pes, buffers = (a.astype(np.int64) for a in DESIGNS[designs])
    names = OUTPUTS if outputs == "all" else ("runtime", "energy")
    values, status = benchmark(engine_native.evaluate, LAYERS, GENOMES, pes, buffers, DEFAULTS, names)
    assert np.isin(status, [0, 1]).mean() > 0.5  # most points are costed
    _record(benchmark, pes.size)


@pytest.mark.parametrize("designs", list(DESIGNS))
def test_engine_random_programs_cold(benchmark, designs):
    """The same call with nothing kept from an earlier one (the engine's caches dropped before
    every round): what a first call costs."""
    pes, buffers = (a.astype(np.int64) for a in DESIGNS[designs])
    args = (LAYERS, GENOMES, pes, buffers, DEFAULTS, ("runtime", "energy"))
    benchmark.pedantic(engine_native.evaluate, args, setup=engine_native.release_memory, rounds=15)
    _record(benchmark, pes.size)


@pytest.mark.parametrize("designs", list(DESIGNS))
def test_engine_cluster_size_from_pes(benchmark, designs):
    """The same with ``Cluster(ClusterSz)``: every distinct P is its own program (compiled and
    analysed whole, nothing shared with other P)."""
    pes, buffers = (a.astype(np.int64) for a in DESIGNS[designs])
    benchmark(engine_native.evaluate, LAYERS, CLUSTER_KNOB, pes, buffers, DEFAULTS, ("runtime", "energy"))
    _record(benchmark, pes.size)


def test_reference_one_layer(benchmark):
    """The Python reference on one point of the workload (the specification the C engine ports)."""
    layer, program = LAYERS[0], GENOMES[0]
    benchmark(evaluate, layer, program.bind(64, 4), 64)
    _record(benchmark, 1)


@pytest.mark.parametrize("varying", [False, True])
def test_engine_one_point(benchmark, varying):
    """``evaluate_point``: one design of one layer under a user program (MAESTRO's kcp_ws family),
    Python numbers out; the same design again and again, or a new P every call."""
    layer = Layer(64, 32, 58, 58, 3, 3)
    t = compile_program(Dataflow.preset("kcp_ws"), layer)
    if varying:
        it = iter(np.random.default_rng(3).integers(1, 4097, 10**7).tolist())
        benchmark(lambda: engine_native.evaluate_point(layer, t, next(it), 4))
    else:
        benchmark(engine_native.evaluate_point, layer, t, 256, 4)
    _record(benchmark, 1)


@pytest.mark.parametrize("varying", [False, True])
def test_evaluate_layer_user_program(benchmark, varying):
    """The public ``evaluate_layer`` with a user program (MAESTRO's kcp_ws family, a Dataflow):
    issue 15's target is 20 µs a call.  The same design again and again, or a new P every call."""
    layer = Layer(64, 32, 58, 58, 3, 3)
    program = Dataflow.preset("kcp_ws")
    cost = confuciux.evaluate_layer(layer, 256, 4, program)
    assert cost.valid and cost.runtime > 0
    if varying:
        it = iter(np.random.default_rng(3).integers(1, 4097, 10**7).tolist())
        benchmark(lambda: confuciux.evaluate_layer(layer, next(it), 4, program))
    else:
        benchmark(confuciux.evaluate_layer, layer, 256, 4, program)
    _record(benchmark, 1)
