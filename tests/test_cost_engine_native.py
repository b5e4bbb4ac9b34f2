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


@st.composite
def many_designs(draw):
    """One layer and program, many designs of nearby P and k: designs share compiled programs
    and the top level's per-sub-cluster values (its state shapes recur with other counts)."""
    layer = draw(layers())
    t = draw(programs(layer))
    n = draw(st.integers(8, 24))
    low = draw(st.sampled_from([1, 1, 5, 30]))
    pes = [[draw(st.integers(low, low + 12))] for _ in range(n)]
    ks = [[draw(st.integers(1, 3))] for _ in range(n)]
    return [layer], [t], pes, ks, draw(flag_sets())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(many_designs())
def test_c_engine_equals_the_reference_across_many_designs(batch):
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


# --- one source for the enums ----------------------------------------------------------------------


def test_engine_enums_are_generated_from_the_tables():
    """csrc/engine_enums.h is what csrc/build.py generates from the dimensions, statuses and
    outputs tables (read before the build module runs: its import rewrites a stale file)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "csrc" / "build.py").exists():
        pytest.skip("needs the source tree's csrc/")
    committed = (root / "csrc" / "engine_enums.h").read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_cx_build_for_engine_test", root / "csrc" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert committed == build.engine_enums_header(), "csrc/engine_enums.h is stale: run python csrc/build.py"
    for i, name in enumerate(OUTPUTS):
        assert f"CXE_OUT_{name.upper()} = {i}," in committed
    lib = engine_native.lib
    named = {engine_native._names(lib, "status", lib.CXE_N_STATUSES)[i] for i in range(lib.CXE_N_STATUSES)}
    # the engine names statuses of the table only (canonical names), every one but the closed
    # forms' BAD_INPUT (the engine raises instead) and the reserved UNSUPPORTED
    assert {s.name for s in Status} - named == {"BAD_INPUT", "UNSUPPORTED"}


def test_enum_check_catches_another_table():
    import types

    lib = engine_native.lib
    names = {"dim": lib.cxe_dim_name, "status": lib.cxe_status_name, "output": lib.cxe_output_name}
    engine_native.check_enums(lib)
    swapped = dict(names, output=lambda i: lib.cxe_output_name({0: 1, 1: 0}.get(i, i)))
    fake = types.SimpleNamespace(**{f"cxe_{k}_name": v for k, v in swapped.items()}, CXE_N_STATUSES=lib.CXE_N_STATUSES)
    with pytest.raises(ImportError, match="outputs"):
        engine_native.check_enums(fake)


# --- the golden subset: MAESTRO's own numbers, straight through the C engine ---------------------


def test_golden_subset_through_the_c_engine():
    """Every row of tests/golden/engine_golden.csv the language takes, as a one-design batch:
    the recorded engine status, and MAESTRO's printed numbers where it printed a cost."""
    from engine_support import dataflow, mismatches
    from test_cost_engine_golden import FLAGS, _golden, _layer

    class _Row:  # an EngineResult-like view of a batch's point for mismatches()
        def __init__(self, values, d, i):
            self.values, self.d, self.i = values, d, i

        def __getitem__(self, name):
            return self.values[name][self.d, self.i]

    seen = 0
    for row in _golden():
        constants = {k: int(v) for k, v in (kv.split("=") for kv in row["constants"].split(";") if kv)}
        layer = _layer(row)
        try:
            t = compile_program(dataflow(row["program"]), layer, constants or None)
            t.bind(int(row["pes"]), 1)
        except ValueError:
            continue
        flags = {k: int(row[k]) for k in FLAGS} | {"multicast": row["multicast"] == "1"}
        values, status = native([layer], [t], [[int(row["pes"])]], [[1]], flags)
        assert Status(int(status[0, 0])).name == row["engine_status"], row
        if row["maestro_status"] == "ok" and status[0, 0] in (Status.OK, Status.IMPOSSIBLE):
            assert not mismatches(_Row(values, 0, 0), row), (row, mismatches(_Row(values, 0, 0), row))
        seen += 1
    assert seen > 300


# --- the contract at the edges -------------------------------------------------------------------


def test_values_beyond_the_32_bit_range_overflow():
    """Sizes, P, k and flags MAESTRO reads into an int: beyond its range the point is OVERFLOW
    (the binding of confuciux.evaluate refuses them earlier; the kernel never wraps)."""
    from confuciux.dataflow import Dataflow

    layer = Layer(8, 8, 10, 10, 3, 3)
    t = compile_program(Dataflow.preset("dla"), layer)
    big = 2**31
    _, status = native([layer], [t], [[big], [4]], [[2], [big]], {})
    assert list(status[:, 0]) == [Status.OVERFLOW, Status.OVERFLOW]
    for flag in ("noc_bw", "simd", "offchip_bw", "noc_hops", "noc_hop_latency"):
        _, status = native([layer], [t], [[4]], [[2]], {flag: 2**40})
        assert status[0, 0] == Status.OVERFLOW, flag
    _, status = native([layer], [t], [[4]], [[2]], {"noc_hops": 2**16, "noc_hop_latency": 2**16})
    assert status[0, 0] == Status.OVERFLOW  # hops x latency beyond MAESTRO's int
    huge = Template(("spatial", "temporal"), ("K", "C"), (True, True), (0, 0), (2**40, 1), (1, 1), (0, 0), (0, 0), (0, 0))
    _, status = native([layer], [huge], [[4]], [[1]], {})
    assert status[0, 0] == Status.OVERFLOW


def test_malformed_input_is_a_value_error():
    from confuciux.dataflow import Dataflow

    layer = Layer(8, 8, 10, 10, 3, 3)
    t = compile_program(Dataflow.preset("dla"), layer)
    for pes, ks, flags in (([[0]], [[1]], {}), ([[4]], [[0]], {}), ([[4]], [[1]], {"simd": 0}),
                           ([[4]], [[1]], {"noc_hops": -1}), ([[-5]], [[1]], {})):  # fmt: skip
        with pytest.raises(ValueError):
            native([layer], [t], pes, ks, flags)
    zero = Template(("spatial",), ("K",), (True,), (0,), (0,), (1,), (0,), (0,), (0,))
    with pytest.raises(ValueError, match="refused its input"):
        native([layer], [zero], [[4]], [[1]], {})


def test_broadcast_designs_equal_explicit_ones():
    """pes and buffers as broadcast views (a value per layer, one for all) give the values of the
    same designs written out."""
    from confuciux.dataflow import Dataflow

    ls = [Layer(8, 8, 10, 10, 3, 3), Layer(1, 8, 9, 9, 3, 3, "DSCONV"), Layer(16, 32, 5, 1, 1, 1, "GEMM")]
    ts = [compile_program(Dataflow.preset(n), layer) for n, layer in zip(("eye", "dpt", "dla"), ls, strict=True)]
    per_layer = np.broadcast_to(np.array([3, 17, 64], dtype=np.int64), (5, 3))
    one = np.broadcast_to(np.int64(2), (5, 3))
    a, sa = engine_native.evaluate(ls, ts, per_layer, one, DEFAULTS, OUTPUTS)
    b, sb = engine_native.evaluate(ls, ts, np.ascontiguousarray(per_layer), np.full((5, 3), 2, np.int64), DEFAULTS,
                                   OUTPUTS)  # fmt: skip
    assert (sa == sb).all() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in OUTPUTS)


# --- the reference tables (../shared/reference), through the C engine -----------------------------


class _Point:
    """A batch's point as mismatches() reads a result."""

    def __init__(self, values: dict, d: int, i: int) -> None:
        self.values, self.d, self.i = values, d, i

    def __getitem__(self, name: str) -> float:
        return self.values[name][self.d, self.i]


@pytest.mark.reference
@pytest.mark.parametrize("table", ["grid", "ext"])
def test_preset_tables_through_the_c_engine(table):
    """The ConfuciuX presets as programs on the grid and ext tables, every design of a layer in
    one call: MAESTRO's outcome and numbers (sampled; all rows with CONFUCIUX_FULL_REFERENCE=1)."""
    from collections import defaultdict

    from confuciux.dataflow import Dataflow
    from engine_support import layer_of_row, mismatches
    from test_cost_engine_golden import ANY, CONSISTENT, _table

    groups = defaultdict(list)
    for row in _table(table):
        try:
            layer = layer_of_row(row)
        except ValueError:
            continue  # X < S: not a layer
        if row["status"] in CONSISTENT:
            groups[(layer, row["dataflow"])].append(row)
    failures, seen = [], 0
    for (layer, name), rows in groups.items():
        t = compile_program(Dataflow.preset(name), layer)
        pes = [[int(r["num_pes"])] for r in rows]
        values, status = native([layer], [t], pes, [[int(r["ktile"])] for r in rows], {})
        for d, row in enumerate(rows):
            st = Status(int(status[d, 0]))
            seen += 1
            if st not in CONSISTENT[row["status"]] | ANY:
                failures.append((layer, name, row["num_pes"], row["ktile"], row["status"], st.name))
            elif row["status"] == "ok" and st in (Status.OK, Status.IMPOSSIBLE):
                if problems := mismatches(_Point(values, d, 0), row):
                    failures.append((layer, name, row["num_pes"], row["ktile"], problems[:3]))
    assert not failures, failures[:10]
    assert seen > 100


@pytest.mark.reference
def test_directives_table_through_the_c_engine():
    """maestro_directives.csv.gz's programs the language takes, each at its flags: MAESTRO's
    outcome and numbers (sampled; all rows with CONFUCIUX_FULL_REFERENCE=1)."""
    from engine_support import dataflow, layer_of_row, mismatches
    from test_cost_engine_golden import ANY, CONSISTENT, _table

    failures, seen = [], 0
    for row in _table("directives"):
        try:
            layer = layer_of_row(row)
            t = compile_program(dataflow(row["dataflow"]), layer)
            t.bind(int(row["num_pes"]), None)
        except ValueError:
            continue  # not a layer, or the language's refusal (parse-time rules)
        values, status = native([layer], [t], [[int(row["num_pes"])]], [[1]],
                                {"noc_bw": int(row["noc_bw"]), "simd": int(row["simd"])})  # fmt: skip
        st = Status(int(status[0, 0]))
        seen += 1
        if st not in CONSISTENT.get(row["status"], set()) | ANY:
            failures.append((row["dataflow"], row["num_pes"], row["status"], st.name))
        elif row["status"] == "ok" and st in (Status.OK, Status.IMPOSSIBLE):
            if problems := mismatches(_Point(values, 0, 0), row):
                failures.append((row["dataflow"], row["num_pes"], problems[:3]))
    assert not failures, failures[:10]
    assert seen > 100


def test_state_kept_between_calls_changes_nothing():
    """The engine keeps what it compiled and analysed for the next call with the same layers,
    programs and flags: calls in any order, on two threads at once, and the single-point path
    give the values of a first call, bit for bit."""
    from concurrent.futures import ThreadPoolExecutor

    from confuciux.dataflow import Dataflow

    ls = [Layer(24, 12, 14, 14, 3, 3, stride=2), Layer(1, 16, 9, 9, 3, 3, "DSCONV"), Layer(16, 32, 5, 1, 1, 1, "GEMM")]
    ts = [compile_program(Dataflow.preset(n), layer) for n, layer in zip(("kcp_ws", "dpt", "dla"), ls, strict=True)]
    rng = np.random.default_rng(5)
    designs = [(rng.integers(1, 300, (40, 3)), rng.integers(1, 9, (40, 3))) for _ in range(3)]
    engine_native.release_memory()
    first = [native(ls, ts, p, k, {}) for p, k in designs]
    for flags in ({"simd": 2}, {}):  # another flag set in between, then these again
        again = [native(ls, ts, p, k, flags) for p, k in reversed(designs)][::-1]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda pk: native(ls, ts, pk[0], pk[1], {}), designs * 2))
    for (v0, s0), (v1, s1), (v2, s2) in zip(first, again, threaded, strict=False):
        assert (s0 == s1).all() and (s0 == s2).all()
        for name in OUTPUTS:
            assert np.array_equal(v0[name], v1[name], equal_nan=True) and np.array_equal(v0[name], v2[name], equal_nan=True)
    p, k = designs[0]
    for d in range(5):
        for i, (layer, t) in enumerate(zip(ls, ts, strict=True)):
            st, values = engine_native.evaluate_point(layer, t, int(p[d, i]), int(k[d, i]))
            assert st == first[0][1][d, i]
            assert all(same(a, first[0][0][name][d, i]) for a, name in zip(values, OUTPUTS, strict=True))


def test_program_batches_in_any_order_give_their_templates_values():
    """evaluate_programs keeps each layer's per-layer arrays (grown as batches grow) and one
    scratch engine state between calls: batches of two layers interleaved, small and large, on two
    threads at once, give what their templates give through evaluate, bit for bit; a result kept
    is not overwritten by later calls."""
    from concurrent.futures import ThreadPoolExecutor

    from confuciux.mapping import MappingSpace
    from confuciux.mapping.evaluate import OUTPUTS as SEARCH_OUTPUTS
    from confuciux.mapping.evaluate import engine_flags
    from confuciux.mapping.genome import FreeEncoding

    flags = engine_flags()
    batches = []
    for seed, (layer, n) in enumerate([(Layer.gemm(64, 96, 40), 5), (Layer(16, 8, 10, 10, 3, 3), 150),
                                       (Layer.gemm(64, 96, 40), 200), (Layer(16, 8, 10, 10, 3, 3), 3)]):  # fmt: skip
        enc = FreeEncoding(MappingSpace(), layer, 64)
        rows = enc.random(np.random.default_rng(seed), n)
        pes = np.maximum(enc.min_pes(rows), 16).reshape(1, -1).astype(np.int64)
        templates = enc.templates(rows)
        want, ws = engine_native.evaluate([layer] * n, templates, pes, np.ones_like(pes), flags, SEARCH_OUTPUTS)
        first, arrays = enc.directive_arrays(rows)
        batches.append(((layer, enc.axes.names, first, arrays, pes), {k: v.copy() for k, v in want.items()}, ws.copy()))

    def run(batch):
        return engine_native.evaluate_programs(*batch[0], flags, SEARCH_OUTPUTS)

    engine_native.release_memory()
    kept = [run(b) for b in batches]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(run, batches[::-1] * 2))[::-1]
    for (got, gs), (again, ags), (_, want, ws) in zip(kept, threaded, batches, strict=False):
        assert np.array_equal(gs, ws) and np.array_equal(ags, ws) and (ws == int(Status.OK)).any()
        for name in SEARCH_OUTPUTS:
            assert np.array_equal(got[name], want[name], equal_nan=True), name
            assert np.array_equal(again[name], want[name], equal_nan=True), name
