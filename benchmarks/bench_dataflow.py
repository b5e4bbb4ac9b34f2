"""The dataflow language's speed: reading MAESTRO text, binding a program to a layer and a design.

Run: ``pytest benchmarks/bench_dataflow.py --benchmark-timer=time.process_time``; figures go to
docs/performance.md ("Dataflow programs").

- ``Dataflow.parse`` of a typical three-level program (MAESTRO's maeri-style virtual-neuron
  mapping with its comments) and of ConfuciuX's two-level ``dla`` as its file writes it;
- ``str()`` of the three-level program;
- ``bind`` of ``dla`` to a layer for one design (the compiled template cached, as when the engine
  binds design after design), the template's own ``bind``, and ``compile`` from scratch;
- ``Template.arrays`` for 1,000 designs at once.
"""

from __future__ import annotations

import numpy as np

from confuciux.dataflow import Dataflow, compile, preset
from confuciux.dataflow.bind import _compile
from confuciux.dataflow.presets import PRESETS
from confuciux.workload import Layer

THREE_LEVELS = """Dataflow {
    // flexible: mapping size and offset, spatial or temporal
    TemporalMap(1,1) C;
    SpatialMap(1,1) K;
    TemporalMap(1,1) Y';
    TemporalMap(1,1) X';
    TemporalMap(Sz(R),Sz(R)) R; // whole filters
    TemporalMap(Sz(S),Sz(S)) S;
    // a virtual neuron of Sz(R) x Sz(S) PEs
    Cluster(Sz(R),P);
    SpatialMap(1,1) Y;
    SpatialMap(1,1) R;
    Cluster(Sz(S),P);
    SpatialMap(1,1) X;
    SpatialMap(1,1) S;
}
"""
LAYER = Layer(128, 64, 58, 58, 3, 3)


def test_parse_three_levels(benchmark):
    df = benchmark(Dataflow.parse, THREE_LEVELS)
    assert len(df.levels) == 3


def test_parse_dla(benchmark):
    text = "Dataflow {\n" + PRESETS["dla"].text.strip() + "\n}\n"
    assert benchmark(Dataflow.parse, text) == preset("dla")


def test_str_three_levels(benchmark):
    df = Dataflow.parse(THREE_LEVELS)
    assert Dataflow.parse(benchmark(str, df)) == df


def test_bind_one_design(benchmark):
    df = preset("dla")
    bound = benchmark(lambda: df.bind(LAYER, pes=64, buffers=4))
    assert bound[0].size == 4


def test_template_bind(benchmark):
    t = compile(preset("dla"), LAYER)
    assert benchmark(t.bind, 64, 4)[1].size == 64


def test_compile_uncached(benchmark):
    df = preset("dla")

    def fresh():
        _compile.cache_clear()
        return compile(df, LAYER)

    assert benchmark(fresh).knobs == {"pes", "buffers"}


def test_arrays_1000_designs(benchmark):
    t = compile(preset("dla"), LAYER)
    rng = np.random.default_rng(0)
    pes, buffers = rng.integers(1, 256, 1000), rng.integers(1, 13, 1000)
    size, _, ok = benchmark(t.arrays, pes, buffers)
    assert size.shape == (1000, 12) and ok.all()
