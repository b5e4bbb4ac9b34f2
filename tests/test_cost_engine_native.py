"""The compiled general engine (csrc/engine.c) against its specification, the Python reference.

Bit for bit: the same status for every point and, where MAESTRO prints a result, the same
float64 for every output (NaN where the reference's is NaN).  Random layers of every kind
(CONV, grouped, DSCONV, GEMM under GEMM and convolution programs, TRCONV; strides, batch),
random programs of one to five levels as compiled templates — several spatial maps a level,
sliding windows, output coordinates, tiles larger than the dimension, sizes bound from the
design knobs (ClusterSz <- P, KTileSz <- k), and programs the language refuses (no spatial map,
missing dimensions, five levels) — random hardware flags up to MAESTRO's 32-bit range, several
designs a call (so the compiled programs and inner-level analyses the C engine shares across
designs are exercised); then the committed golden subset of MAESTRO results.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confuciux.cost.engine import DEFAULTS, Status, evaluate
from confuciux.cost.engine import native as engine_native
from confuciux.cost.engine.outputs import OUTPUTS
from confuciux.dataflow import maestro_layer
from confuciux.dataflow.bind import _KNOB_CODE, Template
from confuciux.dataflow.bind import compile as compile_program
from confuciux.dataflow.program import DIMENSIONS
from confuciux.workload import Layer

pytestmark = pytest.mark.skipif(not engine_native.AVAILABLE, reason="compiled engine not built")

I32_MAX = 2**31 - 1
PES, BUFFERS = _KNOB_CODE["pes"], _KNOB_CODE["buffers"]


def reference(layer: Layer, t: Template, pes: int, k: int, flags: dict) -> tuple[int, dict[str, float]]:
    """The reference's status and outputs for one design (a bind refusal is REFUSED)."""
    try:
        bound = t.bind(pes, k)
    except ValueError:
        return Status.REFUSED, {}
    try:
        result = evaluate(layer, bound, pes, **flags)
    except ValueError:  # a layer MAESTRO cannot be given under this program
        return -1, {}
    return result.status, ({name: float(result[name]) for name in OUTPUTS} if result.valid else {})


def native(layers, templates, pes, ks, flags):
    return engine_native.evaluate(layers, templates, np.asarray(pes, dtype=np.int64),
                                  np.asarray(ks, dtype=np.int64), {**DEFAULTS, **flags}, OUTPUTS)  # fmt: skip


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def check(layers, templates, pes, ks, flags) -> None:
    values, status = native(layers, templates, pes, ks, flags)
    for d in range(len(pes)):
        for i, (layer, t) in enumerate(zip(layers, templates, strict=True)):
            want, outs = reference(layer, t, int(pes[d][i]), int(ks[d][i]), flags)
            if want == -1:
                continue
            got = int(status[d, i])
            assert got == want, (d, i, layer, t, Status(want).name, Status(got).name)
            for name, v in outs.items():
                assert same(values[name][d, i], v), (name, values[name][d, i], v, layer, t)
            if not outs:
                assert all(math.isnan(values[name][d, i]) for name in OUTPUTS)


# --- strategies ----------------------------------------------------------------------------------

BIG = st.sampled_from([2**20, 2**30, I32_MAX - 1, I32_MAX])


@st.composite
def layers(draw):
    kind = draw(st.sampled_from(["CONV", "CONV", "DSCONV", "GEMM", "TRCONV"]))
    small = st.integers(1, 12)
    if kind == "GEMM":
        return Layer(draw(small), draw(small), draw(small), 1, 1, 1, "GEMM")
    R, S = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    Y, X = R + draw(st.integers(0, 12)), S + draw(st.integers(0, 12))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    batch = draw(st.sampled_from([1, 1, 1, 2, 3]))
    if kind == "DSCONV":
        return Layer(1, draw(small), Y, X, R, S, "DSCONV", stride=stride, batch=batch)
    g = draw(st.sampled_from([1, 1, 1, 2, 3])) if kind == "CONV" else 1
    return Layer(g * draw(small), g * draw(small), Y, X, R, S, kind, stride=stride, batch=batch, groups=g)


def _vocabulary(layer: Layer, gemm: bool) -> list[str]:
    if gemm:
        return ["M", "N", "K"]
    kind, dims = maestro_layer(layer)
    return [*dims, "Y'", "X'"]


@st.composite
def programs(draw, layer: Layer):
    """A raw template: maps of the layer's dimensions (now and then one it lacks), one to five
    levels, sizes literal or a knob; temporal R/S maps cover the filter whole, as the language
    makes them (``whole``)."""
    gemm = layer.kind == "GEMM" and draw(st.booleans())
    vocab = _vocabulary(layer, gemm)
    _, declared = maestro_layer(layer, None if gemm else _conv_program())
    n_levels = draw(st.sampled_from([1, 1, 2, 2, 3, 3, 4, 5]))
    kinds, dims, size, offset, size_knob, offset_knob, whole = [], [], [], [], [], [], []
    for level in range(n_levels):
        if level:
            knob = draw(st.sampled_from([0, 0, 0, PES]))
            kinds.append("cluster"), dims.append(""), offset.append(0), offset_knob.append(0), whole.append(0)
            size.append(draw(st.integers(1, 6)) if not knob else 0), size_knob.append(knob)
        n_maps = draw(st.integers(0 if draw(st.integers(0, 30)) == 0 else 1, 4))
        spatial_at = draw(st.integers(0, max(n_maps - 1, 0)))
        for j in range(n_maps):
            dim = draw(st.sampled_from(vocab)) if draw(st.integers(0, 40)) else draw(st.sampled_from(DIMENSIONS))
            spatial = j == spatial_at or draw(st.integers(0, 5)) == 0
            extent = declared.get(dim.rstrip("'"), 4)
            if not spatial and dim in ("R", "S") and dim in declared:
                kinds.append("temporal"), dims.append(dim), whole.append(declared[dim])
                knob = draw(st.sampled_from([0, 0, BUFFERS]))
                size.append(0 if knob else declared[dim]), offset.append(0 if knob else declared[dim])
                size_knob.append(knob), offset_knob.append(knob)
                continue
            kinds.append("spatial" if spatial else "temporal"), dims.append(dim), whole.append(0)
            s = draw(st.integers(1, extent + 2))
            o = draw(st.sampled_from([s, 1, draw(st.integers(1, s + 2))]))
            sk, ok = draw(st.sampled_from([(0, 0)] * 6 + [(BUFFERS, BUFFERS), (PES, PES), (BUFFERS, 0), (0, PES)]))
            size.append(0 if sk else s), offset.append(0 if ok else o), size_knob.append(sk), offset_knob.append(ok)
    n = len(kinds)
    return Template(tuple(kinds), tuple(dims), (True,) * n, (0,) * n, tuple(size), tuple(offset),
                    tuple(size_knob), tuple(offset_knob), tuple(whole))  # fmt: skip


def _conv_program():
    from confuciux.dataflow import Dataflow

    return Dataflow.parse("SpatialMap(1,1) C;")


@st.composite
def flag_sets(draw):
    return {
        "noc_bw": draw(st.one_of(st.integers(1, 100), st.sampled_from([81_920_000, I32_MAX]))),
        "noc_hops": draw(st.integers(0, 4)),
        "noc_hop_latency": draw(st.one_of(st.integers(0, 3), st.sampled_from([2**16, I32_MAX]))),
        "multicast": draw(st.booleans()),
        "simd": draw(st.one_of(st.integers(1, 8), BIG)),
        "offchip_bw": draw(st.one_of(st.integers(1, 10**6), BIG)),
    }


@st.composite
def batches(draw):
    n_layers = draw(st.integers(1, 3))
    ls = [draw(layers()) for _ in range(n_layers)]
    ts = [draw(programs(layer)) for layer in ls]
    n_designs = draw(st.integers(1, 4))
    p_choice = st.one_of(st.integers(1, 40), st.integers(1, 4096), BIG)
    pes = [[draw(p_choice) for _ in ls] for _ in range(n_designs)]
    ks = [[draw(st.one_of(st.integers(1, 8), st.just(I32_MAX))) for _ in ls] for _ in range(n_designs)]
    return ls, ts, pes, ks, draw(flag_sets())


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batches())
def test_c_engine_equals_the_reference_on_random_programs(batch):
    check(*batch)


@st.composite
def language_batches(draw):
    """Programs as a user writes them: random MAESTRO text through the language (parse, compile),
    several designs a layer."""
    layer = draw(layers())
    gemm = layer.kind == "GEMM" and draw(st.booleans())
    vocab = _vocabulary(layer, gemm)
    lines = []
    for level in range(draw(st.integers(1, 3))):
        if level:
            lines.append(f"Cluster({draw(st.sampled_from(['2', '3', '4', 'ClusterSz', 'Sz(R)' if not gemm else '2']))}, P);")
        n_maps = draw(st.integers(1, 4))
        sp = draw(st.integers(0, n_maps - 1))
        for j in range(n_maps):
            dim = draw(st.sampled_from(vocab))
            if dim in ("R", "S") and j != sp:
                lines.append(f"TemporalMap(Sz({dim}),Sz({dim})) {dim};")
                continue
            size = draw(st.sampled_from(["1", "2", "3", "KTileSz", f"Sz({dim.rstrip(chr(39))})" if dim not in ("Y'", "X'") else "2"]))
            ofs = draw(st.sampled_from([size, "1", "2"]))
            lines.append(f"{'SpatialMap' if j == sp else 'TemporalMap'}({size},{ofs}) {dim};")
    from confuciux.dataflow import Dataflow

    try:
        t = compile_program(Dataflow.parse("\n".join(lines)), layer)
    except ValueError:
        return None
    n_designs = draw(st.integers(1, 5))
    pes = [[draw(st.integers(1, 300))] for _ in range(n_designs)]
    ks = [[draw(st.integers(1, 6))] for _ in range(n_designs)]
    return [layer], [t], pes, ks, draw(flag_sets())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(language_batches())
def test_c_engine_equals_the_reference_on_language_programs(batch):
    if batch is not None:
        check(*batch)


def test_presets_on_many_designs_share_compiled_programs():
    """The four ConfuciuX presets and MAESTRO's families over a grid of designs in one call (the
    compiled programs and inner analyses are shared across designs): point by point the
    reference's."""
    from confuciux.dataflow import Dataflow

    layer = Layer(24, 12, 14, 14, 3, 3, stride=2)
    names = ["dla", "shi", "eye", "kcp_ws", "ykp_os", "rs"]
    ts = [compile_program(Dataflow.preset(n), layer) for n in names]
    pes = [[p] * len(names) for p in (1, 7, 16, 64, 64, 100)]
    ks = [[k] * len(names) for k in (1, 3, 2, 2, 2, 5)]
    check([layer] * len(names), ts, pes, ks, {})
