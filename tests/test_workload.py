"""Layers and models: validation, CSV and MAESTRO formats, GEMM and strided layers."""

from __future__ import annotations

import dataclasses
import io
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux.workload import Layer, Model, layers_to_arrays


def test_layer_basics():
    layer = Layer(K=64, C=32, Y=58, X=30, R=3, S=5, kind="conv", name="c1")
    assert layer.kind == "CONV" and (layer.out_y, layer.out_x) == (56, 26)
    assert layer.macs == 64 * 32 * 3 * 5 * 56 * 26
    dw = Layer(1, 32, 10, 10, 3, 3, "DSCONV")
    assert dw.depthwise and dw.macs == 32 * 9 * 64
    assert Layer(np.int64(4), 4, 4, 4, 1, 1).K == 4 and type(Layer(np.int64(4), 4, 4, 4, 1, 1).K) is int
    assert Layer(1, 2, 3, 3, 3, 3) == Layer(1, 2, 3, 3, 3, 3, name="other")  # names do not compare


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(K=0), ValueError, "K must be >= 1"),
        (dict(C=-2), ValueError, "C must be >= 1"),
        (dict(Y=3.5), TypeError, "Y must be an integer"),
        (dict(X=float("nan")), TypeError, "X must be an integer"),
        (dict(R=True), TypeError, "R must be an integer"),
        (dict(S="3"), TypeError, "S must be an integer"),
        (dict(Y=2), ValueError, r"Y \(2\) < R \(3\) is not a convolution"),
        (dict(X=1), ValueError, "X .* < S"),
        (dict(kind="pool"), ValueError, "kind must be one of"),
        (dict(K=2**64), ValueError, "64 bits"),
    ],
)
def test_layer_errors_name_the_field_and_layer(kwargs, exc, match):
    base = dict(K=8, C=8, Y=10, X=10, R=3, S=3, name="conv7")
    base.update(kwargs)
    with pytest.raises(exc, match=match) as info:
        Layer(**base)
    assert "conv7" in str(info.value)


def test_stride_batch_groups_are_keyword_fields():
    a = Layer(64, 32, 57, 30, 3, 5, stride=2, batch=4, groups=8, name="s")
    assert a.stride == (2, 2) and (a.stride_y, a.stride_x) == (2, 2)
    assert a == Layer(64, 32, 57, 30, 3, 5, stride=(2, 2), batch=4, groups=8)  # normalised
    assert hash(a) == hash(Layer(64, 32, 57, 30, 3, 5, stride=(2, 2), batch=4, groups=8))
    assert a != Layer(64, 32, 57, 30, 3, 5, stride=(2, 1), batch=4, groups=8)
    assert (a.out_y, a.out_x) == ((57 - 3) // 2 + 1, (30 - 5) // 2 + 1) == (28, 13)
    assert a.macs == 4 * 64 * (32 // 8) * 3 * 5 * 28 * 13
    assert Layer(8, 8, 10, 9, 3, 3, stride=(3, 2)).stride == (3, 2)
    assert Layer(8, 8, 10, 10, 3, 3) == Layer(8, 8, 10, 10, 3, 3, stride=1, batch=1, groups=1)
    assert repr(a) == (
        "Layer(K=64, C=32, Y=57, X=30, R=3, S=5, kind='CONV', name='s', stride=2, batch=4, groups=8)"
    )
    assert repr(Layer(8, 8, 10, 9, 3, 3, stride=(3, 2))).endswith("kind='CONV', stride=(3, 2))")
    assert repr(Layer(8, 8, 10, 10, 3, 3)) == "Layer(K=8, C=8, Y=10, X=10, R=3, S=3, kind='CONV')"
    assert pickle.loads(pickle.dumps(a)) == a and pickle.loads(pickle.dumps(a)).name == "s"
    assert dataclasses.replace(a, batch=2).batch == 2 and dataclasses.replace(a, batch=2).stride == (2, 2)
    with pytest.raises(TypeError):
        Layer(8, 8, 10, 10, 3, 3, "CONV", "n", 2)  # type: ignore[misc]  # stride is keyword-only
    dw = Layer(1, 16, 10, 10, 3, 3, "DSCONV", stride=2, batch=3)
    assert dw.macs == 3 * 16 * 9 * 4 * 4


def test_trconv_is_the_direct_convolution_maestro_runs():
    t = Layer(16, 8, 34, 34, 4, 4, "trconv", groups=2)
    assert t.kind == "TRCONV" and (t.out_y, t.out_x) == (31, 31)
    assert t.macs == 16 * 4 * 16 * 31 * 31


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(stride=0), ValueError, "stride must be >= 1"),
        (dict(stride=(1, 2, 3)), ValueError, "stride must be an integer or a pair"),
        (dict(stride=1.5), TypeError, "stride must be an integer"),
        (dict(batch=0), ValueError, "batch must be >= 1"),
        (dict(batch=2.0), TypeError, "batch must be an integer"),
        (dict(groups=3), ValueError, r"K \(8\) is not a multiple of groups \(3\)"),
        (dict(K=6, groups=3), ValueError, r"C \(8\) is not a multiple of groups \(3\)"),
        (dict(kind="DSCONV", groups=2), ValueError, "groups .* is for CONV and TRCONV"),
        (dict(kind="GEMM", stride=2), ValueError, "GEMM layer has stride 1"),
    ],
)
def test_new_fields_are_validated(kwargs, exc, match):
    base = dict(K=8, C=8, Y=10, X=10, R=3, S=3, name="conv9")
    base.update(kwargs)
    with pytest.raises(exc, match=match) as info:
        Layer(**base)
    assert "conv9" in str(info.value)


def test_evaluate_costs_strided_batched_grouped_layers_on_every_dataflow():
    m = Model("m", [Layer(4, 4, 6, 6, 3, 3), Layer(8, 8, 21, 21, 3, 3, stride=2, batch=2, groups=4, name="s2")])
    for df in ("dla", "shi", "eye"):
        assert cx.evaluate(m, 8, 2, df).valid.all()
    # (21 - 3) % 2 == 0: no edge step, so dla counts the real work (shi/eye credit MAESTRO's
    # band edges with their input rows, as at stride 1)
    assert cx.evaluate(m, 8, 2, "dla").macs[1] == m[1].macs
    dw = Layer(1, 8, 10, 10, 3, 3, "DSCONV", stride=2)  # depthwise layers use dpt whatever the dataflow
    assert cx.evaluate(dw, 4, 2, "shi").valid.all()


def test_gemm_is_a_1x1_conv():
    g = Layer.gemm(M=128, N=2048, K=4096)
    assert (g.K, g.C, g.Y, g.X, g.R, g.S, g.kind) == (2048, 4096, 128, 1, 1, 1, "GEMM")
    assert g.macs == 128 * 2048 * 4096
    conv = Layer(2048, 4096, 128, 1, 1, 1)
    np.testing.assert_array_equal(cx.evaluate(g, 16, 4).runtime, cx.evaluate(conv, 16, 4).runtime)
    with pytest.raises(ValueError, match="M must be"):
        Layer.gemm(0, 1, 1)


def test_macs_are_what_the_cost_model_counts():
    m = Model("mix", [Layer(8, 3, 10, 12, 3, 5), Layer(7, 8, 9, 9, 3, 3, "DSCONV"), Layer.gemm(5, 6, 7)])
    np.testing.assert_array_equal(cx.evaluate(m, 4, 2).macs, [layer.macs for layer in m])
    assert m.macs == 8 * 3 * 15 * 8 * 8 + 8 * 9 * 7 * 7 + 5 * 6 * 7


def test_conv_expresses_stride_and_padding():
    # ResNet's first layer: 224x224, 7x7, stride 2, padding 3 -> 112x112 outputs
    layer = Layer.conv(3, 64, 224, 224, kernel=7, stride=2, padding=3)
    assert (layer.out_y, layer.out_x) == (112, 112) and (layer.Y, layer.R, layer.stride) == (230, 7, (2, 2))
    assert layer == Layer(64, 3, 230, 230, 7, 7, stride=2)
    assert layer.macs == 64 * 3 * 49 * 112 * 112
    dw = Layer.conv(32, 32, 112, 112, kernel=3, stride=2, padding=1, depthwise=True)
    assert dw.kind == "DSCONV" and dw.K == 1 and dw.out_y == 56 and dw.macs == 32 * 9 * 56 * 56
    rect = Layer.conv(8, 8, 20, 30, kernel=(3, 5), stride=(1, 2), padding=(1, 2))
    assert (rect.out_y, rect.out_x, rect.stride) == (20, 15, (1, 2))
    grouped = Layer.conv(64, 128, 16, 16, kernel=3, padding=1, groups=32, batch=4)
    assert (grouped.groups, grouped.batch) == (32, 4) and grouped.macs == 4 * 128 * 2 * 9 * 16 * 16
    with pytest.raises(ValueError, match="conv 'g'.*C \\(64\\) is not a multiple of groups \\(3\\)"):
        Layer.conv(64, 96, 16, 16, kernel=3, groups=3, name="g")
    with pytest.raises(ValueError, match="depthwise layer takes groups"):
        Layer.conv(32, 32, 10, 10, kernel=3, depthwise=True, groups=4)
    with pytest.raises(ValueError, match="padding"):
        Layer.conv(3, 64, 224, 224, kernel=7, padding=-1)
    with pytest.raises(ValueError, match="does not fit"):
        Layer.conv(3, 64, 4, 4, kernel=7)
    with pytest.raises(ValueError, match="out_channels == in_channels"):
        Layer.conv(32, 64, 10, 10, kernel=3, depthwise=True)
    with pytest.raises(TypeError, match="out_channels"):
        Layer.conv(32, 2.5, 10, 10, kernel=3)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 64), k=st.integers(1, 7), stride=st.integers(1, 4), pad=st.integers(0, 3),
    c=st.integers(1, 16), out=st.integers(1, 16),
)
def test_conv_output_and_macs_match_the_framework_formula(h, k, stride, pad, c, out):
    if h + 2 * pad < k:
        with pytest.raises(ValueError, match="does not fit"):
            Layer.conv(c, out, h, h, kernel=k, stride=stride, padding=pad)
        return
    layer = Layer.conv(c, out, h, h, kernel=k, stride=stride, padding=pad, name="l")
    o = (h + 2 * pad - k) // stride + 1  # PyTorch's Conv2d output size
    assert (layer.out_y, layer.out_x, layer.R, layer.S) == (o, o, k, k)
    assert (layer.Y, layer.stride) == (h + 2 * pad, (stride, stride))
    assert layer.macs == out * c * k * k * o * o


def test_model_container():
    layers = [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV")]
    m = Model("tiny", layers)
    assert len(m) == 2 and list(m) == layers and m[1].depthwise and isinstance(m[:1], Model)
    assert m.macs == sum(layer.macs for layer in layers)
    assert "tiny" in repr(m) and "2 layers" in repr(m)
    assert repr(m).endswith(f"{m.macs / 1e3:.3g} kMACs)")
    big = cx.zoo.load("resnet50")
    assert repr(big).endswith(f"{big.macs / 1e9:.3g} GMACs)") and len(repr(big)) < 100  # no layer list
    with pytest.raises(TypeError, match="layer 1 is not a Layer"):
        Model("bad", [layers[0], (1, 2, 3)])
    with pytest.raises(TypeError):
        Model("bad", "layers")


def test_csv_round_trip(tmp_path):
    m = Model("m", [
        Layer(8, 3, 10, 10, 3, 3, name="a"), Layer(1, 8, 8, 8, 3, 3, "DSCONV"), Layer.gemm(4, 5, 6, name="g, quoted"),
        Layer(8, 4, 11, 9, 3, 3, stride=(2, 1), batch=2, groups=2), Layer(4, 4, 9, 9, 2, 2, "TRCONV"),
    ])  # fmt: skip
    path = tmp_path / "m.csv"
    m.to_csv(path)
    assert path.read_text().splitlines()[0] == "K,C,Y,X,R,S,T,kind,stride_y,stride_x,batch,groups,name"
    back = Model.from_csv(path)
    assert back.name == "m" and back == m
    assert [l.kind for l in back] == ["CONV", "DSCONV", "GEMM", "CONV", "TRCONV"]  # kinds kept
    assert [l.name for l in back] == [l.name for l in m]  # names kept, commas quoted
    buf = io.StringIO()
    m.to_csv(buf)
    assert Model.from_csv(io.StringIO(buf.getvalue()), name="x").name == "x"
    # ConfuciuX's own files: only K..T; GEMM columns of ConfuciuX (T=1) read as CONV
    assert Model.from_csv(io.StringIO("K,C,Y,X,R,S,T\n4,5,6,1,1,1,1\n"))[0].kind == "CONV"


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty CSV"),
        ("K,C,Y,X\n1,2,3,4\n", "lacks"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1\n", "line 2: expected 7 fields"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1,1,1\n8,a,3,3,1,1,1\n", "line 3: field C is not an integer"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1,1,3\n", "field T must be 1"),
        ("K,C,Y,X,R,S,T\n1,2,2,4,3,1,1\n", "line 2: .*Y \\(2\\) < R"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1,1,1,9\n", "line 2: expected 7 fields"),
        ("K,C,Y,X,R,S,T\n1_0,2,3,4,1,1,1\n", "field K is not an integer"),
        ("K,C,Y,X,R,S,T\n1,2,3.0,4,1,1,1\n", "field Y is not an integer"),
        ("K,C,Y,X,R,S,T\n\n1,2,3,4,1,1,1\n1,0,3,4,1,1,1\n", "line 4: .*C must be >= 1"),
        # issue 11: a header-only file, a 5,000-digit number, a field over the csv module's limit
        ("K,C,Y,X,R,S,T\n", "header but no layers"),
        ("K,C,Y,X,R,S,T\n\n\n", "header but no layers"),
        ("K,C,Y,X,R,S,T\n" + "9" * 5000 + ",2,3,4,1,1,1\n", "line 2: field K is too large"),
        (
            "K,C,Y,X,R,S,T\n1,2,3,4,1,1,1\n\"" + "x" * 140_000 + "\",1,1,1,1,1,1\n",
            "line 3: a field is longer than 131,072",
        ),
        ("K,C,Y,X,R,S,T,kind\n1,2,3,4,1,1,2,CONV\n", "T \\(2\\) contradicts kind 'CONV'"),
        ("K,C,Y,X,R,S,kind\n1,2,3,4,1,1,POOL\n", "line 2: .*kind must be one of"),
        ("K,C,Y,X,R,S,batch\n1,2,3,4,1,1,0\n", "line 2: .*batch must be >= 1"),
        # a column given twice: the last one counted, silently
        ("K,C,Y,X,R,S,T,K\n8,4,10,10,3,3,1,9\n", "line 1: CSV header has column 'K' more than once"),
        ("K,C,Y,X,R,S,groups,groups\n8,4,10,10,3,3,1,2\n", "line 1: CSV header has column 'groups' more"),
    ],
)
def test_csv_errors(text, match):
    with pytest.raises(ValueError, match=match) as info:
        Model.from_csv(io.StringIO(text))
    assert len(str(info.value)) < 300  # a message, not the file


def test_csv_errors_name_the_file(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("K,C,Y,X,R,S,T\n1,2,3,x,1,1,1\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 2: field X")):
        Model.from_csv(path)
    path.write_bytes(b"K,C,Y,X,R,S\n\xff\xfe1,2,3,4,1,1\n")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        Model.from_csv(path)


def test_csv_details(tmp_path):
    # byte-order mark, spaces, blank lines, missing T column (CONV), an open file names the model
    m = Model.from_csv(io.StringIO("\ufeffK, C, Y, X, R, S\n 4 ,3,8,8,3,3\n\n"))
    assert len(m) == 1 and (m[0].K, m[0].kind) == (4, "CONV")
    path = tmp_path / "net.csv"
    path.write_text("K,C,Y,X,R,S,T\n1,8,8,8,3,3,2\n")
    with open(path) as f:
        assert Model.from_csv(f).name == "net"


_LAYERS = st.builds(
    lambda k, c, y, x, kind, s, n, g, name: Layer(
        k * (g if kind == "CONV" else 1), c * (g if kind == "CONV" else 1), y, x, min(3, y), min(3, x), kind, name,
        stride=s if kind in ("CONV", "DSCONV") else 1, batch=n, groups=g if kind == "CONV" else 1,
    ),
    st.integers(1, 300), st.integers(1, 300), st.integers(1, 30), st.integers(1, 30),
    st.sampled_from(["CONV", "DSCONV", "GEMM", "TRCONV"]), st.tuples(st.integers(1, 4), st.integers(1, 4)),
    st.integers(1, 8), st.integers(1, 4),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=8),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(_LAYERS, min_size=1, max_size=8))
def test_csv_round_trip_property(layers):
    buf = io.StringIO()
    Model("p", layers).to_csv(buf)
    back = Model.from_csv(io.StringIO(buf.getvalue()), name="p")
    assert back == Model("p", layers) and [l.name for l in back] == [l.name for l in layers]


MAESTRO_TEXT = """
// a comment
Network tiny {
  Layer CONV1 {   /* block
                     comment */
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { K: 32, C: 3, R: 3, S: 3, Y: 224, X: 224 }
  }
  Layer DW {
    Type: DSCONV
    Dimensions { K: 1, C: 32, R: 3, S: 3, Y: 112, X: 112 }
  }
  Layer G {
    Type: GEMM
    Dimensions { K: 64, C: 128, Y: 16, X: 1, R: 1, S: 1 }
  }
}
"""


def test_from_maestro_text():
    m = Model.from_maestro(MAESTRO_TEXT)
    assert m.name == "tiny" and [l.name for l in m] == ["CONV1", "DW", "G"]
    assert [l.kind for l in m] == ["CONV", "DSCONV", "GEMM"]
    assert (m[0].K, m[0].C, m[0].Y, m[0].R) == (32, 3, 224, 3)


@pytest.mark.parametrize(
    "text, match",
    [
        ("Layer x { }", "starts with 'Network"),
        ("Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1 } } }", r"lack \['S'\]"),
        ("Network n { Layer a { Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }", "no 'Type:'"),
        ("Network n { Layer a { Type: CONV Dimensions { K: x } } }", "needs an integer"),
        ("Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } }", "expected '}'"),
        (
            "Network n { Layer a { Type: FC Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }",
            "type 'FC' is not one MAESTRO costs",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1, Q: 2 } } }",
            "unknown dimension 'Q'",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, K: 2, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }",
            "K is given twice",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3.5, X: 3, R: 1, S: 1 } } }",
            "Y needs an integer or a Constant, got '3.5'",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } } }",
            "after the end of network 'n'",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 0, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }",
            "layer 'a': dimension K must be >= 1",
        ),
        ("Network n { Layer a { Type: CONV Stride { X: 1 ", "line 1: layer 'a': expected '}', got the end"),
        ("Network n { Layer a { Type: CONV Dataflow { X: 1 ", "line 1: expected SpatialMap, TemporalMap, Cluster or .}., got .X."),
        ("Network n { Layer a { Type: CONV Dataflow { SpatialMap(1,1) K ", "line 1: the Dataflow block is never closed"),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }",
            "expected '}', got the end",
        ),
        (
            "Network n { Layer a { Type: CONV Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } # }",
            "unexpected character '#'",
        ),
        ("", "starts with 'Network"),
    ],
)
def test_from_maestro_errors(text, match):
    with pytest.raises(ValueError, match=match):
        Model.from_maestro(text)


def test_from_maestro_errors_name_the_line():
    text = "Network n {\n Layer a {\n Type: CONV\n Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 }\n }\n" \
        " Layer b {\n Type: CONV\n Dimensions { K: 1, C: 1, Y: x,\n X: 3, R: 1, S: 1 }\n }\n}\n"
    with pytest.raises(ValueError, match=r"<text>, line 8: layer 'b': dimension Y needs an integer"):
        Model.from_maestro(text)


def test_from_maestro_mapping_file_parts():
    # a mapping file: Constant lines, N: 1, a Dataflow block with directives, unnamed network
    text = """Constant KTileSz 4;
Constant CTileSz 1;
Network {
Layer 1x1conv {
Type: conv
Dimensions { N: 1, K: 16, C: 8, Y: 7, X: 7, R: 1, S: 1 }
Dataflow { SpatialMap(1,1) K; TemporalMap(KTileSz,KTileSz) C; Cluster(ClusterSz, P); SpatialMap(1,1) C; }
}
}"""
    m = Model.from_maestro(text)
    assert m.name == "network" and m[0].name == "1x1conv" and m[0] == Layer(16, 8, 7, 7, 1, 1)
    assert m.dataflows[0].constants == {"KTileSz": 4} and m.dataflows[0].free_names == {"ClusterSz"}


def test_layers_to_arrays():
    m = Model("m", [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV", stride=(2, 1), batch=4)])
    dims, dw = layers_to_arrays(m)
    assert dims.dtype == np.int64 and dims.shape == (2, 10) and list(dw) == [False, True]
    assert dims[1].tolist() == [1, 8, 8, 8, 3, 3, 4, 1, 2, 1]
    assert layers_to_arrays(m[0])[0].shape == (1, 10)
    assert layers_to_arrays([])[0].shape == (0, 10)
    with pytest.raises(TypeError):
        layers_to_arrays([m[0], "x"])
    with pytest.raises(TypeError):
        layers_to_arrays(42)


def test_layers_to_arrays_returns_fresh_arrays_for_models():
    m = cx.zoo.load("mobilenet_v2")
    dims, dw = layers_to_arrays(m)
    expected = np.array([[l.K, l.C, l.Y, l.X, l.R, l.S, l.batch, l.groups, *l.stride] for l in m])
    np.testing.assert_array_equal(dims, expected)
    np.testing.assert_array_equal(dw, [l.kind == "DSCONV" for l in m])
    np.testing.assert_array_equal(layers_to_arrays(list(m))[0], expected)  # same as uncached
    dims[:] = 0  # the caller owns the arrays: the cache stays intact
    dw[:] = True
    again, dw_again = layers_to_arrays(m)
    np.testing.assert_array_equal(again, expected)
    assert dw_again.sum() == sum(l.depthwise for l in m)


def test_evaluate_takes_layers_models_and_lists():
    m = Model("m", [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV")])
    a = cx.evaluate(m, 4, 2)
    b = cx.evaluate(list(m), 4, 2)
    c = cx.evaluate(np.array([[8, 3, 10, 10, 3, 3, 1], [1, 8, 8, 8, 3, 3, 2]]), 4, 2)
    for other in (b, c):
        np.testing.assert_array_equal(a.runtime, other.runtime)
    assert cx.evaluate(Model("empty", []), 4, 2).shape == (0,)
    with pytest.raises(ValueError, match=r"layer 1 \('dw'\)"):
        cx.evaluate([Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV", name="dw")], [4, 0], 2)


def test_pickle_and_copy_after_evaluation():
    import copy
    import pickle

    m = cx.zoo.load("example")
    hw = cx.Hardware.maestro()
    cx.evaluate(m, 4, 2, hardware=hw)
    cx.evaluate_layer(m[0], 4, 2, hardware=hw)  # attaches cffi objects as caches
    for obj in (m, m[0], hw):
        back = pickle.loads(pickle.dumps(obj))
        assert back == obj and copy.deepcopy(obj) == obj
    np.testing.assert_array_equal(cx.evaluate(pickle.loads(pickle.dumps(m)), 4, 2).runtime, cx.evaluate(m, 4, 2).runtime)
    assert cx.evaluate_layer(pickle.loads(pickle.dumps(m[0])), 4, 2).runtime == cx.evaluate_layer(m[0], 4, 2).runtime


def test_gemm_on_shi_as_documented():
    # docs/workloads.md: X = 1 leaves shi nothing to spread across PEs; the transposed form does
    g, t = Layer.gemm(128, 256, 512), Layer(256, 512, 1, 128, 1, 1)
    assert g.macs == t.macs
    shi = [float(cx.evaluate(g, p, 4, "shi").runtime[0]) for p in (1, 16, 64)]
    assert shi[0] == shi[1] == shi[2]
    shi_t = [float(cx.evaluate(t, p, 4, "shi").runtime[0]) for p in (1, 16, 64)]
    assert shi_t[0] == shi[0] and shi_t[0] > shi_t[1] > shi_t[2]
    eye_t = [float(cx.evaluate(t, p, 4, "eye").runtime[0]) for p in (1, 16)]
    assert eye_t[0] == eye_t[1]
