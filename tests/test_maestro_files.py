"""MAESTRO model and mapping files: every shape MAESTRO reads, its semantics, round trips.

The files below are written here in the shapes of MAESTRO's own data/model/*.m and
data/mapping/*.m (maestro-project/maestro): blocks with and without colons, Constants used as
sizes, batch N, Stride blocks, GEMMs in M/N/K form, NGCONV, TRCONV, Dataflow blocks, comments.
When the environment variable MAESTRO_DATA names a checkout's data/ directory, every file there
is also read and checked against an independent reading.
"""

from __future__ import annotations

import io
import math
import os
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from conftest import GOLDEN_DIR, reference_file
from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, Temporal
from confuciux.workload import Layer, Model
from maestro_run import maestro_bin, run_maestro

# A model file as MAESTRO's transformer and ResNeXt files are written: a Constant as a size,
# N as batch, Stride blocks, NGCONV with per-group K and C, comments of both kinds, tabs.
MODEL_FILE = """\ufeff// N d_mod d_ff h
Constant Seq_Len 128;

Network Mixed {
\tLayer FC_VKQ { //Batched FC layer
\t\tType: CONV
\t\tStride { X: 1, Y: 1 }\t// k = 3 * 512
\t\tDimensions { N: Seq_Len, K: 1536, C: 1, R: 1, S: 512, Y:1, X:512 }
\t} //good
\t/* a block comment
\t   over lines */
\tLayer CONV1 {
\t\tType: CONV
\t\tStride { X: 2, Y: 2 }
\t\tDimensions { K: 64, C: 3, R: 7, S: 7, Y:230, X:230 }
\t}
\tLayer CONV2_1_2 {
\t\tType: NGCONV
\t\tStride { X: 1, Y: 1 }
\t\tDimensions { G: 32, K: 4, C: 4, R: 3, S: 3, Y: 58, X: 58 }
\t}
\tLayer TRCONV1 {
\t\tType: TRCONV
\t\tDimensions { K: 512, C: 1024, R: 2, S: 2, Y: 28, X: 28 }
\t}
\tLayer Conv2d-7 {
\t\tType: DSCONV
\t\tStride { X: 2, Y: 1 }
\t\tDimensions { K: 1, C: 32, R: 3, S: 3, Y: 113, X: 113 }
\t}
}
"""

# A mapping file as MAESTRO's gnmt_nmk.m / UNet_RS.m are written: Constants, GEMM in M/N/K
# form, dimensions without colons, a repeated N, Dataflow blocks (one layer without).
MAPPING_FILE = """Constant MTileSz 1;
Constant KTileSz 100;
Network gnmt_gemm {
Layer GEMM0 {
Type: GEMM
Dimensions { N: 2048, K: 4096, M: 128 }
Dataflow {
\t\t\tTemporalMap(NTileSz,NTileSz) N;
\t\t\tSpatialMap(MTileSz,MTileSz) M;
\t\t\tCluster(KTileSz, P);
\t\t\tSpatialMap(1,1) K;
\t\t}
}
Layer c2 {
Type: CONV
Dimensions { K 64,C 3,R 3,S 3,Y 34,X 34 }
}
Layer c3 {
Type: CONV
Dimensions { N: 1, N: 1, K: 8, C: 64, R: 3, S: 3, Y: 32, X: 32 }
\t\tDataflow {
\t\t\tTemporalMap(1,1) K;
\t\t\tSpatialMap(Sz(R),1) Y;
\t\t}
}
}
"""


def _load(text: str | io.StringIO) -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Model.from_maestro(text)


def test_model_file_semantics():
    m = _load(MODEL_FILE)
    assert m.name == "Mixed" and [l.name for l in m] == ["FC_VKQ", "CONV1", "CONV2_1_2", "TRCONV1", "Conv2d-7"]
    fc, conv1, ng, tr, dw = m
    assert (fc.batch, fc.K, fc.S, fc.X) == (128, 1536, 512, 512)  # the Constant as a batch size
    assert conv1.stride == (2, 2) and (conv1.out_y, conv1.out_x) == (112, 112)  # (230 - 7) // 2 + 1
    # NGCONV: MAESTRO's K and C are per group; the layer holds PyTorch's totals
    assert (ng.kind, ng.groups, ng.K, ng.C) == ("CONV", 32, 128, 128)
    assert ng.macs == 32 * 4 * 4 * 9 * 56 * 56  # MAESTRO's G·K·C·R·S·O
    assert (tr.kind, tr.K, tr.C, tr.out_y) == ("TRCONV", 512, 1024, 27)
    assert dw.kind == "DSCONV" and dw.stride == (1, 2) and (dw.out_y, dw.out_x) == (111, 56)
    assert fc.macs == 128 * 1536 * 512  # N·K·C·R·S·O
    assert m.custom_dataflow == (False,) * 5


def test_mapping_file_semantics():
    m = Model.from_maestro(MAPPING_FILE)
    g, c2, c3 = m
    assert g == Layer.gemm(M=128, N=2048, K=4096) and g.kind == "GEMM"  # N here is GEMM's N
    assert c2 == Layer(64, 3, 34, 34, 3, 3)  # no colons
    assert c3 == Layer(8, 64, 32, 32, 3, 3)  # N given twice, equal
    assert m.custom_dataflow == (True, False, True)
    assert m[1:].custom_dataflow == (False, True)
    # the blocks are kept, with the file's constants they name (NTileSz is free: bound when costed)
    assert m.constants == {"MTileSz": 1, "KTileSz": 100}
    assert m.dataflows[0] == Dataflow(
        [Temporal("N", "NTileSz"), Spatial("M", "MTileSz"), Cluster("KTileSz"), Spatial("K", 1)],
        {"MTileSz": 1, "KTileSz": 100},
    )
    assert m.dataflows[1] is None and m.dataflows[2] == Dataflow([Temporal("K", 1), Spatial("Y", Sz("R"), 1)])
    assert m[1:].dataflows == m.dataflows[1:]


def test_output_sizes_and_gemm_conv_form():
    text = (
        "Network n { Layer a { Type: CONV Stride { Y: 2 } Dimensions { K: 2, C: 3, R: 3, S: 1, Y': 10, X': 7 } }"
        " Layer g { Type: GEMM Dimensions { K: 64, C: 128, Y: 16, X: 1, R: 1, S: 1 } } }"
    )
    a, g = _load(text)
    assert (a.Y, a.X, a.out_y, a.out_x) == (21, 7, 10, 7)
    assert g == Layer.gemm(16, 64, 128)


@pytest.mark.parametrize(
    "body, match",
    [
        ("Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1, G: 2 }", "unknown dimension 'G' for a CONV"),
        ("Type: NGCONV Dimensions { G: 2, K: 1, C: 1, Y: 3, Y': 3, X: 3, R: 1, S: 1 }", "both Y and Y'"),
        ("Type: CONV Stride { K: 2 } Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "unknown stride 'K'"),
        ("Type: GEMM Dimensions { M: 2, N: 3 }", r"lack \['K'\]"),
        ("Type: GEMM Dimensions { M: 2, N: 3, K: 4, C: 1 }", "unknown dimension 'C' for a GEMM"),
        (
            "Type: CONV Dimensions { K: Seq, C: 1, Y: 3, X: 3, R: 1, S: 1 }",
            "K needs an integer or a Constant, got 'Seq'",
        ),
        ("Type: CONV Dimensions { K: 1, K: 2, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "K is given twice, as 1 and 2"),
        # two types: the last one was taken silently
        ("Type: CONV Type: DSCONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "Type is given twice"),
        ("Type: CONV Dimensions { K: 99999999999999999999999, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "too large"),
        ("Type: CONV Dimensions { K: " + "9" * 5000 + ", C: 1, Y: 3, X: 3, R: 1, S: 1 }", "5000 digits"),
        ("Type: CONV Stride { X: 0 } Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "stride X must be >= 1"),
        ("Type: CONV Padding: 1 Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }", "unexpected 'Padding'"),
        ("Type: LSTM Dimensions { K: 1 }", "type 'LSTM' is not one MAESTRO costs"),
        ("Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } /* open", "comment is never closed"),
        ("Type: CONV Dimensions { K: 2, C: 1, Y: 3, X: 3, R: 1, S: 1, N: 2 }", None),
    ],
)
def test_layer_errors_name_file_line_and_layer(body, match):
    text = "Constant Q 4;\nNetwork n {\nLayer a {\n" + body + "\n}\n}\n"
    if match is None:
        assert _load(text)[0].batch == 2
        return
    with pytest.raises(ValueError, match=match) as info:
        _load(text)
    assert "<text>, line" in str(info.value) and len(str(info.value)) < 300


def test_file_errors_name_the_path(tmp_path):
    path = tmp_path / "net.m"
    path.write_text("Network n {\n Layer a {\n Type: CONV\n Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 4, S: 1 }\n }\n}\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 2: layer 'a': Y (3) < R (4)")):
        Model.from_maestro(path)
    path.write_bytes(b"Network n { \xff }")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        Model.from_maestro(path)
    with pytest.raises(ValueError, match="second 'Network'"):
        _load("Network a { } Network b { }")


def test_comments_many_and_unclosed():
    # many block comments and one never closed: each is scanned once (linear time)
    text = (
        "Network n { "
        + "/* c */ " * 20_000
        + "Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }"
    )
    assert len(_load(text)) == 1
    with pytest.raises(ValueError, match="line 1: a /\\* comment is never closed"):
        _load("Network n { " + "/* " * 20_000)


_LAYERS = st.builds(
    lambda k, c, y, x, r, kind, sy, sx, n, g: Layer(
        k * (g if kind == "CONV" else 1), c * (g if kind == "CONV" else 1), y + r, x + r, r, r, kind,
        stride=(sy, sx) if kind in ("CONV", "DSCONV") else 1, batch=n if kind != "GEMM" else 1,
        groups=g if kind == "CONV" else 1,
    ),
    st.integers(1, 64), st.integers(1, 64), st.integers(0, 30), st.integers(0, 30), st.integers(1, 5),
    st.sampled_from(["CONV", "DSCONV", "TRCONV", "GEMM"]), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4),
    st.integers(1, 4),
)  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(st.lists(_LAYERS, max_size=6))
def test_to_maestro_round_trip(layers):
    layers = [Layer.gemm(l.Y, l.K, l.C) if l.kind == "GEMM" else l for l in layers]
    m = Model("net", [Layer(**_args(l), name=f"L{i}-x") for i, l in enumerate(layers)])
    buf = io.StringIO()
    m.to_maestro(buf)
    back = _load(buf.getvalue())
    assert back == m and [l.name for l in back] == [l.name for l in m] and [l.kind for l in back] == [l.kind for l in m]


def _args(l: Layer) -> dict:
    return dict(K=l.K, C=l.C, Y=l.Y, X=l.X, R=l.R, S=l.S, kind=l.kind, stride=l.stride, batch=l.batch, groups=l.groups)


def test_to_maestro_file_and_names(tmp_path):
    m = Model("my net", [Layer(8, 8, 10, 10, 3, 3, name="a b"), Layer(8, 8, 10, 10, 3, 3)])
    m.to_maestro(tmp_path / "m.m")
    text = (tmp_path / "m.m").read_text()
    assert "Network my_net {" in text and "Layer a_b {" in text and "Layer layer1 {" in text
    assert list(Model.from_maestro(tmp_path / "m.m")) == list(m)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("NetworkLayerTypeCONVDimensions{}:,;/*' \n0123456789KCYXRSG")), max_size=200)
)
def test_garbage_text_gives_clear_errors(text):
    try:
        _load(io.StringIO(text))
    except ValueError as exc:
        assert "line" in str(exc) or "<text>" in str(exc)


def test_dataflows_round_trip_through_to_maestro():
    clash = Dataflow([Spatial("K", "T"), Temporal("C", 2)], {"T": 3})
    m = Model(
        "net",
        [Layer(8, 8, 10, 10, 3, 3, name="a"), Layer(8, 8, 10, 10, 3, 3, name="b"), Layer.gemm(4, 5, 6, name="g"),
         Layer(8, 8, 10, 10, 3, 3, name="c"), Layer(8, 16, 10, 10, 3, 3, groups=4, name="d")],
        dataflows=[Dataflow([Spatial("K", "T"), Temporal("C", "KTileSz")], {"T": 2}), None, Dataflow.preset("nmk"),
                   clash, Dataflow.preset("kcp_ws", grouped=True)],
        constants={"Unused": 5},
    )  # fmt: skip
    buf = io.StringIO()
    m.to_maestro(buf)
    text = buf.getvalue()
    assert text.startswith("Constant Unused 5;\nConstant T 2;\nConstant MTileSz 1;\nConstant NTileSz 1;\nConstant ClusterC 64;")
    back = Model.from_maestro(text)
    assert list(back) == list(m) and back.constants["T"] == 2 and back.custom_dataflow == (True, False, True, True, True)
    # constants are global in a MAESTRO file: the clashing T is written as its value, and nmk's
    # KTileSz too (layer a leaves it free); the rest kept
    assert back.dataflows[3] == clash.inline() and back.dataflows[2] == m.dataflows[2].inline(["KTileSz"])
    assert back.dataflows[0] == m.dataflows[0] and back.dataflows[0].free_names == {"KTileSz"}
    assert back.dataflows[1] is None and back.dataflows[4] == m.dataflows[4]
    assert back[1:3].dataflows == back.dataflows[1:3] and Model("x", list(m)).dataflows == ()
    with pytest.raises(ValueError, match="dataflows has 1 entries for 5 layers"):
        Model("x", list(m), dataflows=[None])
    with pytest.raises(TypeError, match="dataflows\\[0\\] is not a Dataflow"):
        Model("x", list(m)[:1], dataflows=["dla"])


def test_dataflow_blocks_are_read_as_maestro_reads_them():
    head = "Constant CTile 4;\nNetwork n {\nLayer a {\nType: CONV\nDimensions { K: 8, C: 8, Y: 10, X: 10, R: 3, S: 3 }\n"
    m = Model.from_maestro(head + "Dataflow {\n SpatialMap(1,1) K; // x } y\n TemporalMap(CTile,CTile) C;\n}\n}\n}\n")
    assert m.dataflows[0] == Dataflow([Spatial("K", 1), Temporal("C", "CTile")], {"CTile": 4})
    # two blocks in one layer add up (MAESTRO appends to one table); an empty block is no program
    m = Model.from_maestro(head + "Dataflow { SpatialMap(1,1) K; }\nDataflow { Cluster(2, P); SpatialMap(1,1) C; }\n}\n}")
    assert len(m.dataflows[0].levels) == 2
    assert Model.from_maestro(head + "Dataflow { }\n}\n}").dataflows == ()
    for block, match in [
        ("Dataflow { SpatialMap(1,1) K}\n}\n}\n", "line 6: SpatialMap\\(1,1\\) K}: unknown dimension 'K}'"),
        ("Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) R; }\n}\n}\n", "layer 'a', line 6 \\(TemporalMap\\(1,1\\) R\\): a temporal map of R covers the filter whole"),
        ("Dataflow { SpatialMap(1,1) K; Cluster(2, P); }\n}\n}\n", "line 6: layer 'a': level 2 .* has no SpatialMap"),
        ("Dataflow { SpatialMap(1,1) K; TemporalMap(1,1) G; }\n}\n}\n", "this CONV layer has no dimension G"),
        ("Dataflow { SpatialMap(1,1) K; /* c */ }\n}\n}\n", "line 6: expected SpatialMap, TemporalMap, Cluster or '}', got '/\\*'"),
    ]:
        with pytest.raises(ValueError, match=match):
            Model.from_maestro(head + block)
    with pytest.raises(ValueError, match="line 4: layer 'a': Sz\\(R\\) before the layer's Dimensions"):
        Model.from_maestro("Network n {\nLayer a {\nType: CONV\nDataflow { SpatialMap(Sz(R),1) K; }\n"
                           "Dimensions { K: 8, C: 8, Y: 10, X: 10, R: 3, S: 3 }\n}\n}")


def test_grouped_trconv_cannot_be_written(tmp_path):
    """Issue 18, defect 21: MAESTRO has no grouped transposed convolution (checked with MAESTRO
    4eb08d1: a TRCONV drops G and costs one group; a map of G is refused; NGCONV reads back as
    a CONV), so the writers refuse it clearly."""
    m = Model("tr", [Layer(8, 8, 10, 10, 3, 3, "TRCONV", groups=2, name="up")])
    with pytest.raises(ValueError, match="layer 0 \\('up'\\): MAESTRO has no grouped TRCONV"):
        m.to_maestro(io.StringIO())
    platform = cx.Platform.confuciux(m, "dla", "area", 0.5)
    result = cx.Explorer(m, platform, "latency", "heuristic", epochs=1, seed=0).run()
    with pytest.raises(ValueError, match="MAESTRO has no grouped TRCONV"):
        result.to_maestro(tmp_path)


# a user program for convolutions (output stationary, rows across clusters of 4) and MAESTRO's GEMM one
_MINE = Dataflow([Temporal("K", 2), Temporal("C", 1), Spatial("Y'", 1), Temporal("X'", 4), Temporal("R", Sz("R")),
                  Temporal("S", Sz("S")), Cluster(4), Spatial("X'", 1), Temporal("R", Sz("R")),
                  Temporal("S", Sz("S"))])  # fmt: skip


@pytest.mark.parametrize("dataflow", ["dla", "shi", "eye", ("kcp_ws", "dpt"), (_MINE, "dpt"), ("dla", "nmk"),
                                      (_MINE, "nmk", "dpt"), None],
                         ids=["dla", "shi", "eye", "kcp_ws+dpt", "program+dpt", "dla+nmk", "program+nmk+dpt",
                              "own"])  # fmt: skip
def test_exported_designs_with_gemms_run_in_maestro(tmp_path, dataflow):
    """Every mapping file Result.to_maestro writes runs in MAESTRO (GEMMs under a convolution's
    program as the equivalent CONV, under a GEMM program as MAESTRO's GEMM) and gives our costs,
    for presets and user programs alike (a per-layer choice: nmk for GEMMs, dpt for the depthwise
    layer, where the others map K, which a depthwise layer lacks)."""
    from mapping_support import OUTPUTS, mismatches

    binary = maestro_bin()
    # dataflow None: each layer's own program, MAESTRO's GEMM one (M, N, K) for the GEMMs
    own = (_MINE, Dataflow.preset("dpt"), Dataflow.preset("nmk"), Dataflow.preset("nmk")) if dataflow is None else ()
    model = Model("mixed", [Layer(16, 8, 12, 12, 3, 3, name="c"), Layer(1, 16, 10, 10, 3, 3, "DSCONV", name="dw"),
                            Layer.gemm(8, 32, 16, name="fc"), Layer.gemm(3, 7, 5, name="fc2")], dataflows=own)  # fmt: skip
    space = dict(pe_levels=(1, 8, 128), buffer_levels=(1, 2))  # small: the engine's Python reference costs them
    platform = cx.Platform.confuciux(model, dataflow, "area", 0.5, **space)
    result = cx.Explorer(model, platform, "latency", "heuristic", epochs=1, seed=0).run()
    assert result.feasible
    paths = result.to_maestro(tmp_path)
    if dataflow is None:  # the GEMMs in MAESTRO's GEMM form, under nmk
        assert result.dataflows[2:] == own[2:] and "Type: GEMM" in paths[3].read_text()
    costs = cx.evaluate(model, result.pes, result.buffers, result.dataflows, platform.hardware, outputs=OUTPUTS)
    maestro = cx.evaluate(model, result.pes, result.buffers, result.dataflows, cx.Hardware.maestro(), outputs=OUTPUTS)
    for i, path in enumerate(paths[1:-1]):
        run = run_maestro(path.read_text(), int(result.pes[i]), binary)
        assert run.status == "ok", (path.name, run.message)
        assert float(run.rows[0]["Runtime (Cycles)"]) == result.costs.runtime[i] == costs.runtime[i], path.name
        assert not mismatches(maestro, i, run.rows[0]), (path.name, mismatches(maestro, i, run.rows[0]))


# Independent reading: regular expressions over the text, MAESTRO's arithmetic --------------------
def _independent_macs(text: str) -> tuple[list[str], int]:
    text = re.sub(r"//[^\n]*", "", text)
    consts = {k: int(v) for k, v in re.findall(r"Constant\s+(\w+)\s+(\d+)", text)}
    names, total = [], 0
    for chunk in re.split(r"\bLayer\s+", text)[1:]:
        names.append(chunk.split()[0])
        kind = re.search(r"Type\s*:?\s*(\w+)", chunk).group(1)
        dims_text = re.search(r"Dimensions\s*\{([^}]*)\}", chunk).group(1)
        dims = {}
        for k, v in re.findall(r"(\w'?)\s*:?\s*(\w+)", dims_text):
            dims.setdefault(k, int(consts.get(v, v)))
        block = re.search(r"Stride\s*\{([^}]*)\}", chunk)
        stride = dict(re.findall(r"(\w)\s*:?\s*(\d+)", block.group(1))) if block else {}
        if kind == "GEMM" and "M" in dims:
            total += dims["M"] * dims["N"] * dims["K"]
            continue
        oy = (dims["Y"] - dims["R"]) // int(stride.get("Y", 1)) + 1
        ox = (dims["X"] - dims["S"]) // int(stride.get("X", 1)) + 1
        work = dims.get("N", 1) * dims["C"] * dims["R"] * dims["S"] * oy * ox
        total += work if kind == "DSCONV" else work * dims["K"] * dims.get("G", 1)
    return names, total


def _check_file(path: Path) -> Model:
    text = path.read_text()
    m = _load(text)
    names, macs = _independent_macs(text)
    assert [l.name for l in m] == names and len(m) > 0
    assert m.macs == macs, path.name
    return m


def test_own_files_against_the_independent_reading():
    for text in (MODEL_FILE, MAPPING_FILE):
        names, macs = _independent_macs(text.lstrip("\ufeff"))
        m = _load(text)
        assert [l.name for l in m] == names and m.macs == macs


MAESTRO_MODELS = ["MobileNetV2_model", "Resnet50_model", "gnmt_model", "ncf_model"]


@pytest.mark.parametrize("name", MAESTRO_MODELS)
def test_maestro_model_files_golden(name):
    """MAESTRO's shipped model files in their own syntax (tests/golden/maestro_models/: the GEMM
    networks whole, the CNNs' first three and last layers)."""
    m = _check_file(GOLDEN_DIR / "maestro_models" / f"{name}.m")
    if name == "Resnet50_model":
        assert m[0].stride == (2, 2) and m[0].out_y == 109  # (224 - 7) // 2 + 1: MAESTRO pads nothing
    if name == "MobileNetV2_model":
        assert any(layer.depthwise for layer in m)


@pytest.mark.reference
@pytest.mark.parametrize("name", MAESTRO_MODELS)
def test_reference_model_files(name):
    m = _check_file(reference_file(f"zoo/{name}.m", "MAESTRO's shipped model file, whole"))
    if name == "Resnet50_model":
        assert m[0].stride == (2, 2) and m[0].out_y == 109  # (224 - 7) // 2 + 1: MAESTRO pads nothing


_MAESTRO_DATA = os.environ.get("MAESTRO_DATA")


# MAESTRO 4eb08d1 refuses these shipped mapping files while parsing (checked with the oracle),
# at the line given: a temporal R tile that is not the layer's whole filter.
_REFUSED = {"UNet_kcp_ws.m": 8, "googlenet_ykp_os.m": 32, "mnasnet_ykp_os.m": 15, "squeezenet1_0_ykp_os.m": 32}


@pytest.mark.skipif(not _MAESTRO_DATA, reason="MAESTRO_DATA (a maestro checkout's data/ directory) not set")
def test_every_maestro_shipped_file():
    files = sorted(Path(_MAESTRO_DATA or ".").glob("*/*.m"))
    files = [f for f in files if f.parent.name in ("model", "mapping")]
    assert len(files) >= 50
    for f in files:
        if f.name in _REFUSED:
            with pytest.raises(ValueError, match=rf"line {_REFUSED[f.name]} \(TemporalMap.*\) R\): a temporal map of R"):
                Model.from_maestro(f)
            continue
        m = _check_file(f)
        assert math.isfinite(m.macs)
        blocks = len(re.findall(r"^\s*Dataflow\s*\{", f.read_text(), re.M))  # commented-out ones start with //
        assert sum(df is not None for df in m.dataflows) == blocks, f.name
        if f.parent.name == "mapping":  # every layer of a mapping file has its program
            assert len(m.dataflows) == len(m) and all(df is not None for df in m.dataflows), f.name
