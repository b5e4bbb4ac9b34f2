"""Layers and models: validation, CSV and MAESTRO formats, GEMM and strided layers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import reference_dir

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


def test_gemm_is_a_1x1_conv():
    g = Layer.gemm(M=128, N=2048, K=4096)
    assert (g.K, g.C, g.Y, g.X, g.R, g.S, g.kind) == (2048, 4096, 128, 1, 1, 1, "GEMM")
    assert g.macs == 128 * 2048 * 4096
    conv = Layer(2048, 4096, 128, 1, 1, 1)
    np.testing.assert_array_equal(cx.evaluate(g, 16, 4).runtime, cx.evaluate(conv, 16, 4).runtime)
    with pytest.raises(ValueError, match="M must be"):
        Layer.gemm(0, 1, 1)


def test_conv_expresses_stride_and_padding():
    # ResNet's first layer: 224x224, 7x7, stride 2, padding 3 -> 112x112 outputs
    layer = Layer.conv(3, 64, 224, 224, kernel=7, stride=2, padding=3)
    assert (layer.out_y, layer.out_x) == (112, 112) and (layer.Y, layer.R) == (118, 7)
    assert layer.macs == 64 * 3 * 49 * 112 * 112
    dw = Layer.conv(32, 32, 112, 112, kernel=3, stride=2, padding=1, depthwise=True)
    assert dw.kind == "DSCONV" and dw.K == 1 and dw.out_y == 56
    rect = Layer.conv(8, 8, 20, 30, kernel=(3, 5), stride=(1, 2), padding=(1, 2))
    assert (rect.out_y, rect.out_x) == (20, 15)
    with pytest.raises(ValueError, match="padding"):
        Layer.conv(3, 64, 224, 224, kernel=7, padding=-1)
    with pytest.raises(ValueError, match="does not fit"):
        Layer.conv(3, 64, 4, 4, kernel=7)


def test_model_container():
    layers = [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV")]
    m = Model("tiny", layers)
    assert len(m) == 2 and list(m) == layers and m[1].depthwise and isinstance(m[:1], Model)
    assert m.macs == sum(layer.macs for layer in layers)
    assert "tiny" in repr(m) and "2 layers" in repr(m)
    with pytest.raises(TypeError, match="layer 1 is not a Layer"):
        Model("bad", [layers[0], (1, 2, 3)])
    with pytest.raises(TypeError):
        Model("bad", "layers")


def test_csv_round_trip(tmp_path):
    m = Model("m", [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV"), Layer.gemm(4, 5, 6)])
    path = tmp_path / "m.csv"
    m.to_csv(path)
    assert path.read_text().splitlines()[0] == "K,C,Y,X,R,S,T"
    back = Model.from_csv(path)
    assert back.name == "m" and len(back) == 3
    assert [l.kind for l in back] == ["CONV", "DSCONV", "CONV"]  # GEMM is written as T=1
    np.testing.assert_array_equal(layers_to_arrays(back)[0], layers_to_arrays(m)[0])
    buf = io.StringIO()
    m.to_csv(buf)
    assert Model.from_csv(io.StringIO(buf.getvalue()), name="x").name == "x"


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty CSV"),
        ("K,C,Y,X\n1,2,3,4\n", "lacks"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1\n", "line 2: expected 7 fields"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1,1,1\n8,a,3,3,1,1,1\n", "line 3: field C is not an integer"),
        ("K,C,Y,X,R,S,T\n1,2,3,4,1,1,3\n", "field T must be 1"),
        ("K,C,Y,X,R,S,T\n1,2,2,4,3,1,1\n", "line 2: .*Y \\(2\\) < R"),
    ],
)
def test_csv_errors(text, match):
    with pytest.raises(ValueError, match=match):
        Model.from_csv(io.StringIO(text))


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
        ("Network n { Layer a { Type: FC Dimensions { K: 1, C: 1, Y: 3, X: 3, R: 1, S: 1 } } }", "kind must be"),
    ],
)
def test_from_maestro_errors(text, match):
    with pytest.raises(ValueError, match=match):
        Model.from_maestro(text)


@pytest.mark.reference
@pytest.mark.parametrize("name, n", [("MobileNetV2_model", 56), ("Resnet50_model", 66), ("gnmt_model", 9), ("ncf_model", 12)])
def test_from_maestro_files(name, n):
    m = Model.from_maestro(reference_dir() / "zoo" / f"{name}.m")
    assert len(m) == n
    assert cx.evaluate(m, 16, 4).valid.all()


def test_layers_to_arrays():
    m = Model("m", [Layer(8, 3, 10, 10, 3, 3), Layer(1, 8, 8, 8, 3, 3, "DSCONV")])
    dims, dw = layers_to_arrays(m)
    assert dims.dtype == np.int64 and dims.shape == (2, 6) and list(dw) == [False, True]
    assert layers_to_arrays(m[0])[0].shape == (1, 6)
    assert layers_to_arrays([])[0].shape == (0, 6)
    with pytest.raises(TypeError):
        layers_to_arrays([m[0], "x"])
    with pytest.raises(TypeError):
        layers_to_arrays(42)


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
