"""confuciux.dataflow.bind: a program bound to a layer and a design — constants, Sz(), MAESTRO's
layer rules, and the compiled form that binds many designs at once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux.dataflow import Bound, Cluster, Dataflow, Spatial, Sz, Temporal, compile, preset
from confuciux.workload import Layer

CONV = Layer(64, 32, 10, 12, 3, 5)


def test_dla_binds_like_confuciux_runs_it():
    bound = preset("dla").bind(CONV, pes=8, buffers=4)
    assert bound[0] == Bound("spatial", "K", 4, 4, True, 2)  # KTileSz <- buffers
    assert bound[1][:4] == ("temporal", "C", 8, 8)  # ClusterSz <- pes
    assert bound[4][:4] == ("temporal", "Y", 3, 1)  # Sz(R)
    assert bound[5][:4] == ("temporal", "X", 5, 1)  # Sz(S)
    assert bound[6] == Bound("cluster", "", 8, 0, True, 8)
    assert [b.kind for b in bound].count("cluster") == 1 and len(bound) == 12
    shi = preset("shi").bind(CONV, pes=8, buffers=4)
    assert shi[3][:4] == ("temporal", "C", 1, 1)  # CTileSz = 1


def test_where_names_take_their_values():
    df = Dataflow([Spatial("K", "KTileSz"), Temporal("C", "T"), Cluster("ClusterSz"), Spatial("C", 1)], {"T": 2})
    b = df.bind(CONV, pes=16, buffers=3)
    assert (b[0].size, b[1].size, b[2].size) == (3, 2, 16)
    # constants= beats the program's own, and both beat the design's knobs
    b = df.bind(CONV, pes=16, buffers=3, constants={"T": 5, "KTileSz": 7})
    assert (b[0].size, b[1].size, b[2].size) == (7, 5, 16)
    with pytest.raises(ValueError, match="the program uses KTileSz, set by buffers=: pass buffers="):
        df.bind(CONV, pes=16)
    with pytest.raises(ValueError, match="line|directive 2 \\(TemporalMap\\(U,U\\) C\\): the constant U has no value"):
        Dataflow([Spatial("K", 1), Temporal("C", "U")]).bind(CONV)
    with pytest.raises(ValueError, match="pes must be in 1..2147483647"):
        df.bind(CONV, pes=0, buffers=1)
    with pytest.raises(TypeError, match="constants: expected name -> int, got 'T': None"):
        df.bind(CONV, pes=1, buffers=1, constants={"T": None})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="buffers must be an int"):
        df.bind(CONV, pes=1, buffers=2.0)  # type: ignore[arg-type]


def test_layer_rules():
    # Sz of a dimension the layer lacks (MAESTRO: "Cannot find the dimension")
    with pytest.raises(ValueError, match="directive 1 \\(SpatialMap\\(Sz\\(G\\),1\\) K\\): Sz\\(G\\): the layer has no dimension G"):
        Dataflow([Spatial("K", Sz("G"), 1)]).bind(CONV)
    # a program that names N gets it written (N: 1 for a batch of one), as the writer does
    assert Dataflow([Spatial("K", Sz("N"), 1)]).bind(CONV)[0].size == 1
    assert Dataflow([Spatial("K", Sz("N"), 1)]).bind(Layer(8, 8, 4, 4, 1, 1, batch=3))[0].size == 3
    # a temporal R/S map covers the filter whole (MAESTRO's "Invalid mapping")
    with pytest.raises(ValueError, match="TemporalMap\\(3,3\\) S\\): a temporal map of S covers the filter whole.*S \\(5\\)"):
        Dataflow([Spatial("K", 1), Temporal("S", 3)]).bind(CONV)
    with pytest.raises(ValueError, match="TemporalMap\\(Sz\\(R\\),1\\) R\\): .*R \\(3\\)"):
        Dataflow([Spatial("K", 1), Temporal("R", Sz("R"), 1)]).bind(CONV)
    # ... also when a design knob gives the tile
    knob = Dataflow([Spatial("K", 1), Temporal("R", "KTileSz")])
    assert knob.bind(CONV, buffers=3)[1].size == 3
    with pytest.raises(ValueError, match="TemporalMap\\(4,4\\) R: a temporal map of R covers the filter whole"):
        knob.bind(CONV, buffers=4)
    # a map of a dimension the layer lacks (MAESTRO: "Dimension G not found")
    with pytest.raises(ValueError, match="this CONV layer has no dimension G .*Dimension G not found"):
        Dataflow([Temporal("G", 1), Spatial("K", 1)]).bind(CONV)
    grouped = Layer(64, 32, 10, 12, 3, 5, groups=4)
    assert Dataflow([Temporal("G", 1), Spatial("K", 1)]).bind(grouped)[0][:4] == ("temporal", "G", 1, 1)
    # output coordinates are the analysis's; Sz() reads only the dimensions written
    assert Dataflow([Spatial("Y'", 2)]).bind(CONV)[0].dim == "Y'"
    with pytest.raises(ValueError, match="Sz\\(Y'\\): the layer has no dimension Y'"):
        Dataflow([Spatial("Y'", Sz("Y'"))]).bind(CONV)


def test_the_layer_rules_come_in_maestros_order():
    # MAESTRO's parser checks the R tile before its analysis looks for M: we name the R tile first
    df = Dataflow([Spatial("C", 1), Temporal("M", 1), Temporal("R", 1)])
    with pytest.raises(ValueError, match="directive 3 \\(TemporalMap\\(1,1\\) R\\)"):
        df.bind(CONV)


def test_gemm_layers_take_gemm_or_conv_programs():
    g = Layer.gemm(M=50, N=60, K=70)
    nmk = preset("nmk").bind(g)
    assert [(b.dim, b.size) for b in nmk if b.kind != "cluster"][:3] == [("N", 1), ("M", 1), ("K", 100)]
    assert Dataflow([Spatial("M", Sz("M")), Temporal("K", Sz("K"))]).bind(g)[1].size == 70
    dla = preset("dla").bind(g, pes=4, buffers=2)  # the GEMM as the equivalent 1x1 CONV
    assert dla[4][:4] == ("temporal", "Y", 1, 1) and dla[1].size == 4
    with pytest.raises(ValueError, match="this CONV layer has no dimension M"):
        preset("nmk").bind(CONV)


def test_mappings_of_dimension_sizes():
    dims = {"K": 64, "C": 32, "Y": 10, "X": 12, "R": 3, "S": 5}
    assert preset("dla").bind(dims, pes=8, buffers=4) == preset("dla").bind(CONV, pes=8, buffers=4)
    assert preset("nmk").bind({"M": 50, "N": 60, "K": 70}) == preset("nmk").bind(Layer.gemm(50, 60, 70))
    with pytest.raises(ValueError, match="unknown dimension 'Q' in the layer"):
        preset("dla").bind({"Q": 1})
    with pytest.raises(ValueError, match="the layer's K must be an int"):
        preset("dla").bind({"K": 0})
    with pytest.raises(TypeError, match="bind takes a Layer or a mapping"):
        preset("dla").bind("CONV")


def test_grouped_trconv_is_refused():
    with pytest.raises(ValueError, match="MAESTRO has no grouped TRCONV"):
        preset("dla").bind(Layer(8, 8, 6, 6, 3, 3, "TRCONV", groups=2), pes=2, buffers=1)


def test_template_arrays():
    t = compile(preset("dla"), CONV)
    assert t.knobs == {"pes", "buffers"} and t.bind(8, 4) == preset("dla").bind(CONV, pes=8, buffers=4)
    pes, buffers = np.array([1, 2, 8, 64]), np.array([[1], [3]])
    size, offset, ok = t.arrays(pes, buffers)
    assert size.shape == offset.shape == (2, 4, 12) and ok.shape == (2, 4) and ok.all()
    for i in range(2):
        for j in range(4):
            bound = t.bind(int(pes[j]), int(buffers[i, 0]))
            assert size[i, j].tolist() == [b.size for b in bound] and offset[i, j].tolist() == [b.offset for b in bound]
    knob = compile(Dataflow([Spatial("K", 1), Temporal("S", "KTileSz")]), CONV)
    assert knob.arrays(buffers=np.arange(1, 8))[2].tolist() == [k == 5 for k in range(1, 8)]
    with pytest.raises(ValueError, match="pes must be in"):
        t.arrays(np.array([0]), 1)
    with pytest.raises(TypeError, match="pes must be integers"):
        t.arrays(np.array([1.5]), 1)
    assert t.table["size"].flags.writeable is False


_PES = st.integers(1, 4096)


@settings(max_examples=100, deadline=None)
@given(_PES, st.integers(1, 64), st.sampled_from(["dla", "shi", "eye", "kcp_ws", "yxp_os", "rs"]))
def test_arrays_agree_with_bind(pes, buffers, name):
    t = compile(preset(name), CONV)
    size, offset, ok = t.arrays(pes, buffers)
    bound = t.bind(pes, buffers)
    assert bool(ok) and size.tolist() == [b.size for b in bound] and offset.tolist() == [b.offset for b in bound]


def test_compile_is_cached_but_keeps_each_programs_lines():
    a = Dataflow.parse("SpatialMap(1,1) K;\nTemporalMap(S2,S2) S;")
    b = Dataflow.parse("\n\nSpatialMap(1,1) K;\nTemporalMap(S2,S2) S;")
    assert a == b and compile(a, CONV, {"S2": 5}) is compile(a, CONV, {"S2": 5})
    with pytest.raises(ValueError, match="line 2 "):
        a.bind(CONV, constants={"S2": 4})
    with pytest.raises(ValueError, match="line 4 "):
        b.bind(CONV, constants={"S2": 4})
