"""The cost engine pass by pass (confuciux.cost.engine), on small cases worked out by hand.

Fidelity to MAESTRO over many programs is tests/test_cost_engine_golden.py; here each pass is
checked on its own: MAESTRO's arithmetic, the layer as MAESTRO sees it, the completion of the
levels, the iteration cases, a step's traffic, the level analysis and the result's statuses.
"""

from __future__ import annotations

import dataclasses

import pytest

from confuciux.cost.engine import DEFAULTS, Status, evaluate
from confuciux.cost.engine.cases import EDGE, INIT, STEADY, cases, map_states
from confuciux.cost.engine.dims import Directive
from confuciux.cost.engine.levels import build_levels, edge_clusters, inherit, top_dims
from confuciux.cost.engine.problem import problem_of
from confuciux.cost.engine.quirks import cdiv, cmod, i32, noc_delay
from confuciux.cost.engine.reuse import spatial_ingress, sub_dims, tiles_of
from confuciux.cost.engine.status import Stop
from confuciux.dataflow import Bound
from confuciux.workload import Layer
from engine_support import dataflow, raw_program

SMALL = Layer(4, 2, 3, 3, 3, 3)  # one output pixel per filter
KC = "SpatialMap(1,1) K; | TemporalMap(1,1) C;"
EYE = (
    "TemporalMap(CTileSz,CTileSz) C; | TemporalMap(KTileSz,KTileSz) K; | SpatialMap(ClusterSz,ClusterSz) Y'; | "
    "TemporalMap(Sz(S),Sz(S)) X'; | TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S; | Cluster(ClusterSz, P); | "
    "TemporalMap(1,1) C; | SpatialMap(1,1) Y'; | SpatialMap(1,1) X'; | TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S;"
)


def program(text: str, layer: Layer = SMALL, **constants: int) -> tuple[Bound, ...]:
    """``text`` read and bound by the language."""
    return dataflow(text).bind(layer, constants=constants or None)


def levels(text: str, layer: Layer = SMALL, pes: int = 4, **constants: int):
    bound = program(text, layer, **constants)
    return build_levels(problem_of(layer, bound), bound, pes)


def stop_status(fn, *args) -> Status:
    with pytest.raises(Stop) as info:
        fn(*args)
    return info.value.status


# --- MAESTRO's arithmetic ----------------------------------------------------------------------


def test_c_division_truncates_and_zero_is_sigfpe():
    assert (cdiv(-7, 2), cmod(-7, 2), cdiv(7, -2), cdiv(7, 2)) == (-3, -1, -3, 3)
    assert stop_status(cdiv, 1, 0) is Status.SIGFPE
    assert i32(2**31 - 1, "x") == 2**31 - 1
    assert stop_status(i32, 2**31, "x") is Status.OVERFLOW


def test_noc_delay_is_latency_plus_extra_sends():
    assert noc_delay(1, 10, 1) == 1
    assert noc_delay(10, 10, 1) == 1
    assert noc_delay(11, 10, 1) == 2
    assert noc_delay(0, 10, 3) == 2  # no data still costs latency - 1
    assert noc_delay(-5, 3, 1) == 0  # C division of a negative volume


# --- pass 1: the layer as MAESTRO sees it -------------------------------------------------------


def test_conv_grouped_depthwise_and_batch():
    p = problem_of(Layer(8, 6, 10, 10, 3, 3, stride=2, batch=2, groups=2), [])
    assert p.kind == "NGCONV" and dict(p.dims) == {"N": 2, "G": 2, "K": 4, "C": 3, "Y": 10, "X": 10, "R": 3, "S": 3}
    assert p.output == ("N", "G", "K", "C", "Y", "X") and dict(p.strides) == {"X": 2, "Y": 2}
    assert p.input_vars == ("C", "G", "K", "N", "R", "S", "X", "Y")
    assert p.work == Layer(8, 6, 10, 10, 3, 3, stride=2, batch=2, groups=2).macs
    d = problem_of(Layer(1, 5, 8, 8, 3, 3, "DSCONV"), [])
    assert d.kind == "DSCONV" and "N" not in dict(d.dims) and d.filter == ("C", "R", "S")
    # a TRCONV is a CONV to MAESTRO's analysis
    tr = problem_of(Layer(4, 2, 9, 9, 3, 3, "TRCONV"), [])
    assert tr.kind == "TRCONV" and dataclasses.replace(tr, kind="CONV") == problem_of(Layer(4, 2, 9, 9, 3, 3), [])
    # a batch is declared when the program maps N, even of 1
    assert dict(problem_of(SMALL, [Bound("temporal", "N", 1, 1)]).dims)["N"] == 1


def test_gemm_in_maestro_form_under_a_gemm_program():
    g = Layer.gemm(M=7, N=5, K=3)
    gemm = problem_of(g, [Bound("spatial", "M", 1, 1), Bound("temporal", "K", 1, 1)])
    assert gemm.kind == "GEMM" and dict(gemm.dims) == {"M": 7, "N": 5, "K": 3} and gemm.work == 7 * 5 * 3
    conv = problem_of(g, [Bound("spatial", "K", 1, 1), Bound("temporal", "C", 1, 1)])
    assert conv.kind == "CONV" and dict(conv.dims)["K"] == 5 and dict(conv.dims)["C"] == 3
    with pytest.raises(ValueError, match="TRCONV"):  # MAESTRO has no grouped TRCONV
        problem_of(Layer(4, 4, 5, 5, 3, 3, "TRCONV", groups=2), [])


def test_inputs_a_stride_skips_are_not_needed():
    # 2 x 2 windows 3 apart over 7 x 7: rows and columns 0, 1, 3, 4
    assert problem_of(Layer(1, 1, 7, 7, 2, 2, stride=3), []).input_used == 4 * 4
    assert problem_of(Layer(1, 1, 7, 7, 3, 3, stride=2), []).input_used == 7 * 7


# --- pass 2: levels ---------------------------------------------------------------------------


def test_levels_inherit_in_reverse_unroll_sorted_and_size_windows():
    top, inner = levels(
        "SpatialMap(1,1) K; | TemporalMap(2,2) C; | TemporalMap(1,1) Y'; | TemporalMap(Sz(R),Sz(R)) R; | "
        "Cluster(2, P); | SpatialMap(1,1) C;"
    )
    # output rows as an input window; the layer's missing dimensions unrolled in sorted order
    assert [str(d) for d in top.maps] == [
        "SpatialMap(1,1) K", "TemporalMap(2,2) C", "TemporalMap(3,1) Y", "TemporalMap(3,3) R",
        "TemporalMap(3,3) S", "TemporalMap(3,3) X",
    ]  # fmt: skip
    # inherited maps in front, in reverse order, as temporal maps; the table is the tile above
    assert [str(d) for d in inner.maps] == [
        "TemporalMap(3,3) X", "TemporalMap(3,3) S", "TemporalMap(3,3) R", "TemporalMap(3,1) Y",
        "TemporalMap(1,1) K", "SpatialMap(1,1) C",
    ]  # fmt: skip
    assert inner.dims.sizes == {"C": 2, "K": 1, "R": 3, "S": 3, "X": 3, "Y": 3}
    assert (top.size, inner.size) == (2, 2)


def test_inherit_skips_dimensions_the_level_maps():
    above = (Directive(True, "K", 2, 2), Directive(False, "C", 3, 3))
    assert inherit(above, [Directive(True, "C", 1, 1)]) == [Directive(False, "K", 2, 2), Directive(True, "C", 1, 1)]


def test_pes_round_down_to_the_cluster_sizes():
    assert levels(KC + " | Cluster(4, P); | SpatialMap(1,1) C;", pes=10)[0].size == 2
    assert stop_status(levels, KC + " | Cluster(8, P); | SpatialMap(1,1) C;", SMALL, 4) is Status.SIGFPE


def test_strided_windows_step_by_the_stride():
    layer = Layer(2, 2, 9, 9, 3, 3, stride=2)
    top = levels("SpatialMap(1,1) K; | TemporalMap(Sz(R),1) Y; | TemporalMap(5,1) X;", layer)[0]
    y, x = top.first("Y"), top.first("X")
    assert (y.size, y.ofs) == (3, 2)  # one output row: 3 input rows, step 2 (the map's own offset ignored)
    assert (x.size, x.ofs) == (5, 4)  # two output columns


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("SpatialMap(1,1) K; | SpatialMap(1,1) C; | SpatialMap(1,1) R;", Status.REFUSED),  # three spatial maps
        ("TemporalMap(1,1) K;", Status.REFUSED),  # no spatial map
        ("SpatialMap(1,1) Y'; | TemporalMap(1,1) K;", Status.UNDEFINED),  # Y' without R: uninitialised
        ("", Status.CRASH),  # an empty Dataflow block: MAESTRO crashes
        (KC + " | Cluster(1,P); | SpatialMap(1,1) C;" * 4, Status.CRASH),  # five levels: past the NoCs
        (KC + " | Cluster(1,P); | SpatialMap(1,1) C;" * 5, Status.REFUSED),
    ],
)
def test_programs_maestro_stops_on(text, status):
    # the language refuses most of these before binding; the engine answers as MAESTRO does
    assert evaluate(SMALL, raw_program(text, SMALL), 4).status is status


def test_four_levels_are_analysed():
    text = KC + " | Cluster(1,P); | SpatialMap(1,1) C;" * 3
    assert len(levels(text)) == 4
    assert evaluate(SMALL, program(text), 4).valid


def test_edge_clusters_of_a_partial_spatial_step():
    assert edge_clusters(10, 1, 1, 4) == 2  # 10 over 4 sub-clusters: 4 + 4 + 2
    assert edge_clusters(3, 1, 1, 4) == 3
    assert edge_clusters(3, 4, 1, 4) == 1  # one tile covers it


# --- pass 3: cases ----------------------------------------------------------------------------


def test_states_of_a_window_and_of_a_partial_tile():
    top = levels("SpatialMap(1,1) K; | TemporalMap(Sz(R),1) Y; | TemporalMap(2,2) C;", Layer(4, 3, 7, 3, 3, 3))[0]
    states = dict(zip((d.dim for d in top.maps), map_states(top, top.dims), strict=True))
    assert [(s.position, s.count) for s in states["Y"]] == [(INIT, 1), (STEADY, 4)]  # 5 output rows
    assert [(s.position, s.count) for s in states["C"]] == [(INIT, 1), (EDGE, 1)]  # 2 + 1 channels
    assert [s.position for s in states["K"]] == [INIT]  # 4 filters over 4 PEs: one step


def test_cases_cover_every_combination_once_in_maestros_order():
    text = "SpatialMap(1,1) K; | TemporalMap(1,1) C; | TemporalMap(1,1) Y'; | TemporalMap(Sz(R),Sz(R)) R;"
    top = levels(text, Layer(4, 3, 5, 3, 3, 3))[0]
    all_cases = cases(top, top.dims)
    combos = [tuple(s.position for s in c.states) for c in all_cases]
    assert len(combos) == len(set(combos)) == 2 * 2  # C: Init, Steady; Y: Init, Steady; K and the rest: Init
    assert all_cases[0].all_init and combos[1] != (INIT,) * len(combos[0])  # not odometer order
    # a map's state index is ceil(c / cases inside it) mod its states: C has Y's 2 inside
    c_pos, inner = top.maps.index(top.first("C")), 2
    assert [c[c_pos] for c in combos] == [[INIT, STEADY][-(-i // inner) % 2] for i in range(len(combos))]
    assert sum(c.occurrences for c in all_cases) == 3 * 3  # channels x output rows


# --- pass 4: reuse ----------------------------------------------------------------------------


def test_stationary_filters_and_sliding_inputs():
    layer = Layer(4, 1, 5, 3, 3, 3)  # 3 output rows
    top = levels("SpatialMap(1,1) K; | TemporalMap(Sz(R),1) Y;", layer)[0]
    tiles = tiles_of(top)
    p = problem_of(layer, [])
    by = {c.states[top.maps.index(top.first("Y"))].position: c for c in cases(top, top.dims)}
    # first step: the whole window; then one new input row of 3 columns per step
    assert spatial_ingress(top, tiles, p.input, by[INIT]) == 3 * 3
    assert spatial_ingress(top, tiles, p.input, by[STEADY]) == 1 * 3
    # the filters do not depend on Y: not fetched again when Y advances
    assert spatial_ingress(top, tiles, p.filter, by[STEADY]) == 0
    assert spatial_ingress(top, tiles, p.filter, by[INIT]) == 4 * 9


def test_sub_cluster_tile_has_output_coordinates():
    top = levels(KC + " | TemporalMap(4,2) Y; | Cluster(2, P); | SpatialMap(1,1) C;", Layer(4, 2, 8, 3, 3, 3))[0]
    sub = sub_dims(top, tiles_of(top), cases(top, top.dims)[0], False)
    assert sub.sizes["Y"] == 4 and sub.sizes["Y'"] == 2 and sub.overlaps == (("X", "S"), ("Y", "R"))


# --- passes 5 and 6: analysis and the printed row -----------------------------------------------


def test_a_small_layer_worked_by_hand():
    # K over 4 PEs, 2 channels in turn, one output pixel: a fill step of 9 MACs + 1 cycle of
    # ingress, then 9 MACs; inputs 9 per channel, filters 4 x 9 per channel, MACs 2 x 4 x 9
    r = evaluate(SMALL, program(KC), 4)
    assert r.status is Status.OK
    assert (r["runtime"], r["input_l2_read"], r["filter_l2_read"], r["output_l2_write"], r["macs"]) == (19, 18, 72, 8, 72)
    assert (r["l1_bytes"], r["l2_bytes"]) == (2 * (9 + 9 + 9), 2 * (9 + 36 + 4))
    assert r["compute_delay_max"] == 9 and r["utilized_pes"] == 4
    assert r["input_l2_write"] == 2 * 9 and r["filter_l2_write"] == 4 * 2 * 9


def test_noc_bandwidth_and_latency_slow_a_step_and_multicast_is_ignored():
    base = evaluate(SMALL, program(KC), 4)
    assert evaluate(SMALL, program(KC), 4, noc_bw=1)["runtime"] > base["runtime"]
    assert evaluate(SMALL, program(KC), 4, noc_hops=2, noc_hop_latency=3)["runtime"] > base["runtime"]
    assert evaluate(SMALL, program(KC), 4, multicast=False) == base


def test_simd_lanes_divide_the_compute():
    assert evaluate(SMALL, program(KC), 4, simd=3)["compute_delay_max"] == 3


def test_corner_a_eye_strided_single_row_is_sigfpe():
    layer = Layer(1, 1, 1, 5, 1, 4, stride=(1, 3))
    assert evaluate(layer, program(EYE, layer, KTileSz=1, ClusterSz=2, CTileSz=1), 2).status is Status.SIGFPE


def test_corner_b_grouped_strided_eye_has_maestros_numbers():
    layer = Layer(6, 2, 9, 10, 7, 5, stride=4, groups=2)
    r = evaluate(layer, program(EYE, layer, KTileSz=2, ClusterSz=5, CTileSz=1), 5)
    assert r.valid and (r["runtime"], r["l2_bytes"], r["macs"]) == (282, 388, 2100)


def test_runtime_below_the_compute_bound_is_impossible_but_printed():
    # a directives-table row: 709 x 280 x 4 GEMM on 2 PEs in 11,869 cycles (bound 12,408)
    layer = Layer.gemm(M=4, N=709, K=280)
    text = "SpatialMap(1,1) N; | TemporalMap(3,3) M; | TemporalMap(187,187) K; | Cluster(2, P); | SpatialMap(59,59) K; | TemporalMap(1,1) N; | TemporalMap(1,1) M;"
    r = evaluate(layer, dataflow(text), 64)
    assert r.valid and r.status is Status.IMPOSSIBLE and "compute bound" in r.impossible
    assert r["runtime"] * 64 < layer.macs


def test_overflow_of_maestros_case_counts():
    layer = Layer(909, 995, 158, 158, 2, 2)
    eye = program(EYE, layer, KTileSz=3, ClusterSz=1, CTileSz=1)
    assert evaluate(layer, eye, 1).status is Status.OVERFLOW


def test_bad_arguments_are_errors_not_results():
    with pytest.raises(TypeError):
        evaluate("layer", program(KC), 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pes"):
        evaluate(SMALL, program(KC), 0)
    with pytest.raises(ValueError, match="line 3"):
        evaluate(SMALL, [Bound("spatial", "K", 1, 1), Bound("temporal", "C", 0, 1, line=3)], 4)
    with pytest.raises(TypeError):
        evaluate(SMALL, [Bound("spatial", "K", "Sz(K)", 1)], 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        evaluate(SMALL, program(KC), 4, multicast=1)  # type: ignore[arg-type]


def test_invalid_results_carry_no_numbers():
    r = evaluate(SMALL, raw_program("TemporalMap(1,1) K;", SMALL), 4)
    assert not r.valid and r.ints == {} and "spatial" in r.reason
    with pytest.raises(KeyError, match="REFUSED"):
        r["runtime"]
    with pytest.raises(KeyError, match="unknown"):
        evaluate(SMALL, program(KC), 4)["speed"]


def test_defaults_are_confuciux_flags():
    assert DEFAULTS["noc_bw"] == 81_920_000 and DEFAULTS["simd"] == 1 and DEFAULTS["offchip_bw"] == 70_000
    r = evaluate(SMALL, program(KC), 4)
    assert r == evaluate(SMALL, program(KC), 4, **DEFAULTS)  # type: ignore[arg-type]


def test_top_table_has_unstrided_output_coordinates():
    d = top_dims(problem_of(Layer(2, 2, 9, 9, 3, 3, stride=2), []))
    assert d.sizes["Y'"] == 7 and d.strides["Y"] == 2


def test_a_dataflow_is_bound_here_and_its_bound_directives_give_the_same():
    eye = dataflow(EYE)
    layer = Layer(8, 4, 12, 12, 3, 3)
    r = evaluate(layer, eye, 6, buffers=2)
    assert r == evaluate(layer, eye.bind(layer, pes=6, buffers=2), 6)
    with pytest.raises(TypeError, match="bind a Dataflow"):
        evaluate(layer, eye.bind(layer, pes=6, buffers=2), 6, buffers=2)
    with pytest.raises(ValueError):  # KTileSz has no value
        evaluate(layer, eye, 6)
    with pytest.raises(ValueError, match="TRCONV"):  # a layer MAESTRO cannot take
        evaluate(Layer(4, 4, 5, 5, 3, 3, "TRCONV", groups=2), eye, 6, buffers=2)
