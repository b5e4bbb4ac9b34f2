"""ONNX import: graphs built with onnx.helper for every supported op and attribute; layers and
MAC counts against hand counts; shape chains; skipped ops; strict mode; corrupt files."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confuciux.workload import Layer, Model

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402


def weight(name: str, shape: list[int]) -> onnx.TensorProto:
    return onnx.numpy_helper.from_array(np.zeros(shape, np.float32), name)


def ints(name: str, values: list[int]) -> onnx.TensorProto:
    return h.make_tensor(name, T.INT64, [len(values)], values)


def model(nodes, inputs, inits=(), opset=17, outputs=None) -> onnx.ModelProto:
    ins = [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs]
    last = nodes[-1].output[0]
    outs = [h.make_tensor_value_info(o, T.FLOAT, None) for o in (outputs or [last])]
    g = h.make_graph(nodes, "g", ins, outs, list(inits))
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)])


def conv_model(x_shape, w_shape, **attrs) -> onnx.ModelProto:
    return model(
        [h.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)], [("x", x_shape)], [weight("w", w_shape)]
    )


def only(m: Model) -> Layer:
    assert len(m) == 1
    return m[0]


# Conv -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "x, w, attrs, out, layer_yx",
    [
        ((1, 3, 32, 32), (8, 3, 3, 3), {}, (30, 30), (32, 32)),
        ((1, 3, 224, 224), (64, 3, 7, 7), dict(strides=[2, 2], pads=[3, 3, 3, 3]), (112, 112), (230, 230)),
        ((1, 3, 20, 30), (4, 3, 3, 5), dict(strides=[1, 2], pads=[0, 1, 2, 3]), (20, 15), (22, 34)),  # asymmetric
        ((1, 3, 32, 32), (8, 3, 3, 3), dict(dilations=[2, 2], pads=[2, 2, 2, 2]), (32, 32), (34, 34)),
        ((1, 3, 33, 33), (8, 3, 3, 3), dict(strides=[2, 2], auto_pad="SAME_UPPER"), (17, 17), (35, 35)),
        ((1, 3, 33, 33), (8, 3, 3, 3), dict(auto_pad="VALID"), (31, 31), (33, 33)),
        ((2, 4, 50), (6, 4, 5), dict(strides=[3], pads=[2, 1]), (1, 17), (1, 53)),  # 1-D: one row
    ],
)
def test_conv_geometry(x, w, attrs, out, layer_yx):
    layer = only(Model.from_onnx(conv_model(x, w, **attrs)))
    assert (layer.kind, layer.name, layer.K, layer.C, layer.batch) == ("CONV", "conv", w[0], x[1], x[0])
    assert (layer.out_y, layer.out_x) == out and (layer.Y, layer.X) == layer_yx
    kernel = math.prod(w[2:])
    assert layer.macs == x[0] * w[0] * x[1] * kernel * out[0] * out[1]  # hand count


def test_grouped_depthwise_and_channel_multiplier():
    g = only(Model.from_onnx(conv_model((1, 64, 56, 56), (128, 2, 3, 3), group=32, pads=[1, 1, 1, 1])))
    assert (g.kind, g.K, g.C, g.groups) == ("CONV", 128, 64, 32)
    assert g.macs == 128 * 2 * 9 * 56 * 56
    dw = only(
        Model.from_onnx(conv_model((1, 32, 112, 112), (32, 1, 3, 3), group=32, strides=[2, 2], pads=[1, 1, 1, 1]))
    )
    assert (dw.kind, dw.C, dw.stride, dw.out_y) == ("DSCONV", 32, (2, 2), 56)
    assert dw.macs == 32 * 9 * 56 * 56
    mult = only(Model.from_onnx(conv_model((1, 16, 10, 10), (48, 1, 3, 3), group=16)))  # multiplier 3
    assert (mult.kind, mult.K, mult.C, mult.groups) == ("CONV", 48, 16, 16) and mult.macs == 48 * 9 * 64


# ConvTranspose ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "attrs, out",
    [
        (dict(strides=[2, 2]), (16, 16)),  # (8 - 1) * 2 + 2
        (dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], kernel_shape=[3, 3]), (16, 16)),
        (dict(strides=[2, 2], output_shape=[15, 15], kernel_shape=[3, 3]), (15, 15)),
    ],
)
def test_conv_transpose(attrs, out):
    k = attrs.get("kernel_shape", [2, 2])[0]
    m = model(
        [h.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", **attrs)],
        [("x", (1, 32, 8, 8))],
        [weight("w", [32, 16, k, k])],
    )
    layer = only(Model.from_onnx(m))
    assert (layer.kind, layer.K, layer.C, layer.R) == ("TRCONV", 16, 32, k)
    assert (layer.out_y, layer.out_x) == out and layer.Y == out[0] + k - 1
    assert layer.macs == 16 * 32 * k * k * out[0] * out[1]  # MAESTRO's form: the direct conv, zeros included


# Gemm, MatMul, Einsum ---------------------------------------------------------------------------
@pytest.mark.parametrize("trans_a, trans_b", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_gemm_transposes(trans_a, trans_b):
    a = (64, 16) if trans_a else (16, 64)
    b = (10, 64) if trans_b else (64, 10)
    m = model(
        [h.make_node("Gemm", ["a", "b"], ["y"], name="fc", transA=trans_a, transB=trans_b)],
        [("a", a)],
        [weight("b", list(b))],
    )
    assert only(Model.from_onnx(m)) == Layer.gemm(M=16, N=10, K=64)


@pytest.mark.parametrize(
    "a, b, layer, macs",
    [
        ((16, 64), (64, 10), Layer.gemm(16, 10, 64), 16 * 10 * 64),
        ((2, 197, 768), (768, 3072), Layer.gemm(2 * 197, 3072, 768), 2 * 197 * 3072 * 768),  # a Linear: batch in M
        ((64,), (64, 10), Layer.gemm(1, 10, 64), 640),  # 1-D left operand
        ((8, 64), (64,), Layer.gemm(8, 1, 64), 512),  # 1-D right operand
        ((2, 12, 197, 64), (2, 12, 64, 197), Layer(24 * 197, 24 * 64, 197, 1, 1, 1, groups=24), 24 * 197 * 197 * 64),
        ((1, 12, 197, 197), (3, 12, 197, 64), Layer(36 * 64, 36 * 197, 197, 1, 1, 1, groups=36), 36 * 197 * 64 * 197),
        ((16, 64), (4, 64, 10), Layer.gemm(16, 40, 64), 4 * 16 * 10 * 64),  # a shared left operand
    ],
)
def test_matmul(a, b, layer, macs):
    m = model([h.make_node("MatMul", ["a", "b"], ["y"], name="mm")], [("a", a), ("b", b)])
    got = only(Model.from_onnx(m))
    assert got == layer and got.macs == macs  # attention's QK^T: one grouped GEMM, not 24 layers


@pytest.mark.parametrize(
    "eq, a, b, layer",
    [
        ("ij,jk->ik", (16, 64), (64, 10), Layer.gemm(16, 10, 64)),
        ("ij,jk", (16, 64), (64, 10), Layer.gemm(16, 10, 64)),  # implicit output
        ("bhqd,bhkd->bhqk", (2, 12, 50, 64), (2, 12, 50, 64), Layer(24 * 50, 24 * 64, 50, 1, 1, 1, groups=24)),
        ("...qd,...kd->...qk", (2, 12, 50, 64), (2, 12, 50, 64), Layer(24 * 50, 24 * 64, 50, 1, 1, 1, groups=24)),
        ("bnd,de->bne", (4, 50, 64), (64, 32), Layer.gemm(200, 32, 64)),
    ],
)
def test_einsum(eq, a, b, layer):
    m = model([h.make_node("Einsum", ["a", "b"], ["y"], name="es", equation=eq)], [("a", a), ("b", b)])
    assert only(Model.from_onnx(m)) == layer


def test_einsum_one_operand_and_non_products():
    m = model([h.make_node("Einsum", ["a"], ["y"], equation="ij->ji")], [("a", (3, 4))])
    assert len(Model.from_onnx(m)) == 0 and Model.from_onnx(m).skipped == {"Einsum": 1}
    three = model([h.make_node("Einsum", ["a", "b", "c"], ["y"], name="e3", equation="ij,jk,kl->il")],
                  [("a", (3, 4)), ("b", (4, 5)), ("c", (5, 6))])  # fmt: skip
    with pytest.raises(ValueError, match="node 'e3' \\(Einsum\\): op Einsum is an Einsum of 3 operands"):
        Model.from_onnx(three)
    with pytest.warns(UserWarning, match="e3 \\(Einsum\\)"):
        assert Model.from_onnx(three, strict=False).skipped == {"Einsum": 1}
    bad = model(
        [h.make_node("Einsum", ["a", "b"], ["y"], name="e", equation="ij,kl->ik")], [("a", (3, 4)), ("b", (5, 6))]
    )
    with pytest.raises(ValueError, match="node 'e' \\(Einsum\\): op Einsum is an Einsum 'ij,kl->ik' that sums over an index of one"):
        Model.from_onnx(bad)
    with pytest.warns(UserWarning, match="e \\(Einsum\\)"):  # like any compute op with no layer form
        assert Model.from_onnx(bad, strict=False).skipped == {"Einsum": 1}


# Shapes that need folding: dynamic batch, channel split, class token, head split ----------------
def test_dynamic_batch_and_shape_chain():
    nodes = [
        h.make_node("Conv", ["x", "w1"], ["y"], name="c1", strides=[2, 2], pads=[1, 1, 1, 1]),
        h.make_node("Shape", ["y"], ["s"]),
        h.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        h.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        h.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        h.make_node("Reshape", ["y", "shape"], ["f"]),
        h.make_node("Gemm", ["f", "w2"], ["o"], transB=1, name="fc"),
    ]
    inits = [
        weight("w1", [8, 3, 3, 3]),
        h.make_tensor("zero", T.INT64, [], [0]),
        ints("ax", [0]),
        ints("minus1", [-1]),
        weight("w2", [10, 8 * 16 * 16]),
    ]
    m = model(nodes, [("x", ("N", 3, 32, 32))], inits)
    for batch in (1, 3):
        c1, fc = Model.from_onnx(m, batch=batch)
        assert c1.batch == batch and fc == Layer.gemm(batch, 10, 2048)
    assert Model.from_onnx(m).skipped == {"Concat": 1, "Gather": 1, "Reshape": 1, "Shape": 1, "Unsqueeze": 1}


def test_shufflenet_channel_split():
    # x: (N, 116, 28, 28) -> Split in two halves along C; branch 1x1 conv on one half;
    # Concat, then channel shuffle: Reshape (N, 2, 58, H, W) from Shape, Transpose, Reshape back
    nodes = [
        h.make_node("Split", ["x", "halves"], ["x1", "x2"], axis=1),
        h.make_node("Conv", ["x2", "w"], ["y2"], name="branch"),
        h.make_node("Concat", ["x1", "y2"], ["cat"], axis=1),
        h.make_node("Shape", ["cat"], ["s"]),
        h.make_node("Slice", ["s", "s0", "s1"], ["n"]),
        h.make_node("Slice", ["s", "s2", "s4"], ["hw"]),
        h.make_node("Concat", ["n", "two", "half", "hw"], ["shape5"], axis=0),
        h.make_node("Reshape", ["cat", "shape5"], ["r5"]),
        h.make_node("Transpose", ["r5"], ["t5"], perm=[0, 2, 1, 3, 4]),
        h.make_node("Concat", ["n", "full", "hw"], ["shape4"], axis=0),
        h.make_node("Reshape", ["t5", "shape4"], ["shuffled"]),
        h.make_node("Conv", ["shuffled", "w2"], ["out"], name="next"),
    ]
    inits = [ints("halves", [58, 58]), weight("w", [58, 58, 1, 1]), ints("s0", [0]), ints("s1", [1]), ints("s2", [2]),
             ints("s4", [4]), ints("two", [2]), ints("half", [58]), ints("full", [116]),
             weight("w2", [116, 116, 1, 1])]  # fmt: skip
    branch, nxt = Model.from_onnx(model(nodes, [("x", ("batch", 116, 28, 28))], inits), batch=2)
    assert (branch.C, branch.K, branch.Y, branch.batch) == (58, 58, 28, 2)
    assert (nxt.C, nxt.Y, nxt.X) == (116, 28, 28) and nxt.macs == 2 * 116 * 116 * 28 * 28


def test_vit_class_token_and_head_split():
    # patch embedding, flatten, class token expanded to the batch and concatenated, then the
    # attention's head split computed from Shape: (N, 197, 768) -> (N, 197, 12, 64) -> (N, 12, 197, 64)
    nodes = [
        h.make_node("Conv", ["x", "wp"], ["p"], name="patch", strides=[16, 16]),
        h.make_node("Reshape", ["p", "flat2"], ["pf"]),  # flatten(2): (N, 768, 196)
        h.make_node("Transpose", ["pf"], ["tokens"], perm=[0, 2, 1]),
        h.make_node("Shape", ["x"], ["xs"]),
        h.make_node("Gather", ["xs", "zero"], ["n"], axis=0),
        h.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        h.make_node("Concat", ["n1", "one", "dim"], ["cls_shape"], axis=0),
        h.make_node("Expand", ["cls", "cls_shape"], ["cls_b"]),
        h.make_node("Concat", ["cls_b", "tokens"], ["seq"], axis=1),
        h.make_node("MatMul", ["seq", "wq"], ["q"], name="q_proj"),
        h.make_node("Shape", ["q"], ["qs"]),
        h.make_node("Slice", ["qs", "s0", "s2"], ["nq"]),
        h.make_node("Concat", ["nq", "heads", "hd"], ["split_shape"], axis=0),
        h.make_node("Reshape", ["q", "split_shape"], ["q4"]),
        h.make_node("Transpose", ["q4"], ["qh"], perm=[0, 2, 1, 3]),
        h.make_node("Transpose", ["q4"], ["kh"], perm=[0, 2, 3, 1]),
        h.make_node("MatMul", ["qh", "kh"], ["att"], name="qk"),
        h.make_node("Softmax", ["att"], ["prob"], axis=-1),
        h.make_node("MatMul", ["prob", "qh"], ["ctx"], name="av"),
    ]
    inits = [weight("wp", [768, 3, 16, 16]), weight("cls", [1, 1, 768]), weight("wq", [768, 768]),
             h.make_tensor("zero", T.INT64, [], [0]), ints("ax", [0]), ints("one", [1]), ints("dim", [768]),
             ints("s0", [0]), ints("s2", [2]), ints("heads", [12]), ints("hd", [64]),
             ints("flat2", [0, 768, -1])]  # fmt: skip
    m = Model.from_onnx(model(nodes, [("x", ("N", 3, 224, 224))], inits), batch=2)
    patch, q, qk, av = m
    assert (patch.stride, patch.out_y, patch.macs) == ((16, 16), 14, 2 * 768 * 3 * 256 * 196)
    assert q == Layer.gemm(2 * 197, 768, 768)
    assert qk == Layer(24 * 197, 24 * 64, 197, 1, 1, 1, groups=24) and qk.macs == 24 * 197 * 197 * 64
    assert av == Layer(24 * 64, 24 * 197, 197, 1, 1, 1, groups=24) and av.macs == 24 * 197 * 64 * 197
    assert m.skipped["Softmax"] == 1 and m.skipped["Expand"] == 1


def test_swin_window_partition():
    # (N, 56, 56, 96) -> (N, 8, 7, 8, 7, 96) -> transpose -> (N*64, 49, 96) with the shape computed
    nodes = [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        h.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        h.make_node("Concat", ["n1", "win6"], ["shape6"], axis=0),
        h.make_node("Reshape", ["x", "shape6"], ["x6"]),
        h.make_node("Transpose", ["x6"], ["t6"], perm=[0, 1, 3, 2, 4, 5]),
        h.make_node("Reshape", ["t6", "flat"], ["windows"]),
        h.make_node("MatMul", ["windows", "w"], ["qkv"], name="qkv"),
    ]
    inits = [h.make_tensor("zero", T.INT64, [], [0]), ints("ax", [0]), ints("win6", [8, 7, 8, 7, 96]),
             ints("flat", [-1, 49, 96]), weight("w", [96, 288])]  # fmt: skip
    (qkv,) = Model.from_onnx(model(nodes, [("x", ("N", 56, 56, 96))], inits), batch=2)
    assert qkv == Layer.gemm(2 * 64 * 49, 288, 96)


def test_unresolvable_dimension_names_the_node():
    m = model([h.make_node("MatMul", ["a", "b"], ["y"], name="mm")], [("a", ("N", "seq", 64))], [weight("b", [64, 8])])
    with pytest.raises(ValueError, match="node 'mm' \\(MatMul\\): A: the shape of 'a' cannot be resolved"):
        Model.from_onnx(m)


# Skipped, strict, names -------------------------------------------------------------------------
def test_skipped_ops_are_counted():
    nodes = [
        h.make_node("Conv", ["x", "w"], ["y"]),
        h.make_node("BatchNormalization", ["y", "s", "b", "mu", "var"], ["bn"]),
        h.make_node("Relu", ["bn"], ["r"]),
        h.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        h.make_node("Relu", ["p"], ["r2"]),
        h.make_node("GlobalAveragePool", ["r2"], ["g"]),
    ]
    inits = [weight("w", [8, 3, 3, 3])] + [weight(n, [8]) for n in ("s", "b", "mu", "var")]
    m = Model.from_onnx(model(nodes, [("x", (1, 3, 16, 16))], inits), name="tiny")
    assert m.name == "tiny" and len(m) == 1 and m[0].name == "Conv_0"  # unnamed nodes: op and index
    assert m.skipped == {"BatchNormalization": 1, "GlobalAveragePool": 1, "MaxPool": 1, "Relu": 2}
    assert m[:1].skipped == m.skipped and m == Model("tiny", list(m))  # a record, not part of equality


@pytest.mark.parametrize("op", ["LSTM", "QLinearConv", "GRU", "MatMulInteger"])
def test_unsupported_compute_ops(op):
    m = model([h.make_node(op, ["x"], ["y"], name="rnn0"), h.make_node("Relu", ["y"], ["z"])], [("x", (1, 4, 8))])
    with pytest.raises(ValueError, match=f"node 'rnn0' \\({op}\\): op {op} is a compute operator"):
        Model.from_onnx(m)
    with pytest.warns(UserWarning, match=f"rnn0 \\({op}\\)"):
        loose = Model.from_onnx(m, strict=False)
    assert len(loose) == 0 and loose.skipped == {op: 1, "Relu": 1}


def test_arguments_are_checked():
    m = conv_model((1, 3, 8, 8), (4, 3, 3, 3))
    with pytest.raises(ValueError, match="batch must be an integer >= 1"):
        Model.from_onnx(m, batch=0)
    with pytest.raises(ValueError, match="batch must be an integer >= 1 .*, got 1180591620717411303424"):
        Model.from_onnx(m, batch=2**70)  # protobuf's "Value out of range" before
    assert Model.from_onnx(m, batch=np.int64(3))[0].batch == 1  # a NumPy integer is an integer (fixed batch here)
    dyn = conv_model(("N", 3, 8, 8), (4, 3, 3, 3))
    assert Model.from_onnx(dyn, batch=np.int64(3))[0].batch == 3
    with pytest.raises(TypeError, match="path or an onnx.ModelProto"):
        Model.from_onnx(42)


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install confuciux\[onnx\]"):
        Model.from_onnx("net.onnx")


# Files: weights never read, corrupt files -------------------------------------------------------
def test_external_weights_absent(tmp_path):
    conv = h.make_node("Conv", ["x", "w"], ["y"], name="c", pads=[1, 1, 1, 1])
    nodes = [conv, h.make_node("Gemm", ["f", "w2"], ["z"], name="g")]
    m = model(nodes,
              [("x", (1, 64, 28, 28)), ("f", (1, 512))], [weight("w", [64, 64, 3, 3]), weight("w2", [512, 1000])],
              outputs=["y", "z"])  # fmt: skip
    path = tmp_path / "net.onnx"
    onnx.save_model(
        m, path, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0
    )
    assert (tmp_path / "weights.bin").stat().st_size == 4 * (64 * 64 * 9 + 512 * 1000)
    (tmp_path / "weights.bin").unlink()  # the weights are gone: the graph alone is enough
    got = Model.from_onnx(path)
    assert got.name == "net" and [l.name for l in got] == ["c", "g"]
    assert got[0].macs == 64 * 64 * 9 * 28 * 28 and got[1] == Layer.gemm(1, 1000, 512)


@pytest.mark.parametrize(
    "content", [b"", b"not an onnx file at all\n", b"\x08\x07\x12\x05hello\xff\xff\xff", bytes(range(256))]
)
def test_not_onnx(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"{path}: not"):
        Model.from_onnx(path)


_GOOD = conv_model((1, 3, 16, 16), (8, 3, 3, 3)).SerializeToString()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, len(_GOOD)),
    flips=st.lists(st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 255)), max_size=4),
)
def test_truncated_or_garbled_files_give_clear_errors(tmp_path, cut, flips):
    data = bytearray(_GOOD[:cut] if not flips else _GOOD)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    path = tmp_path / "fuzz.onnx"
    path.write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = Model.from_onnx(path, strict=False)
        except ValueError as exc:
            assert str(path) in str(exc)
            return
    assert isinstance(m, Model) and all(layer.macs > 0 for layer in m)


def test_hostile_shape_arithmetic_is_not_folded():
    # a ConstantOfShape/Expand/Range asking for a gigantic tensor must not be allocated
    nodes = [
        h.make_node("ConstantOfShape", ["big"], ["c"]),
        h.make_node("Expand", ["one", "big"], ["e"]),
        h.make_node("Range", ["zero", "huge", "step"], ["r"]),
        h.make_node("Conv", ["x", "w"], ["y"], name="conv"),
    ]
    inits = [ints("big", [100_000, 100_000]), weight("one", [1]), weight("w", [4, 3, 3, 3]),
             h.make_tensor("zero", T.INT64, [], [0]), h.make_tensor("huge", T.INT64, [], [10**12]),
             h.make_tensor("step", T.INT64, [], [1])]  # fmt: skip
    m = model(nodes, [("x", (1, 3, 8, 8))], inits, outputs=["y"])
    got = Model.from_onnx(m)
    assert len(got) == 1 and got.skipped == {"ConstantOfShape": 1, "Expand": 1, "Range": 1}


def test_a_40_gb_model_imports_from_its_graph(tmp_path):
    # the weight's dims say 40 GB, stored externally in a file that does not exist
    big = onnx.TensorProto(name="w", data_type=T.FLOAT, dims=[100_000, 100_000])
    big.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", str(4 * 10**10))):
        entry = big.external_data.add()
        entry.key, entry.value = key, value
    m = model([h.make_node("MatMul", ["x", "w"], ["y"], name="huge")], [("x", ("N", 8, 100_000))], [big])
    path = tmp_path / "huge.onnx"
    onnx.save_model(m, path)
    assert path.stat().st_size < 10_000
    (layer,) = Model.from_onnx(path, batch=2)
    assert layer == Layer.gemm(16, 100_000, 100_000)


# Real networks in CI (no PyTorch): ResNet-50 and MobileNet-V2 written as ONNX graphs, weights as
# dims only (external data that does not exist), against the published MAC counts ----------------
class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def weight(self, shape: list[int]) -> str:
        name = f"w{len(self.inits)}"
        t = onnx.TensorProto(name=name, data_type=T.FLOAT, dims=shape)
        t.data_location = onnx.TensorProto.EXTERNAL
        entry = t.external_data.add()
        entry.key, entry.value = "location", "absent.bin"
        self.inits.append(t)
        return name

    def op(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = f"t{len(self.nodes)}"
        self.nodes.append(h.make_node(op, inputs, [out], name=f"{op.lower()}{len(self.nodes)}", **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, s: int = 1, g: int = 1, relu: bool = True) -> str:
        p = (k - 1) // 2
        y = self.op("Conv", [x, self.weight([cout, cin // g, k, k])], strides=[s, s], pads=[p] * 4, group=g)
        y = self.op("BatchNormalization", [y, *(self.weight([cout]) for _ in range(4))])
        return self.op("Relu", [y]) if relu else y

    def head(self, x: str, features: int) -> str:
        x = self.op("Flatten", [self.op("GlobalAveragePool", [x])])
        return self.op("Gemm", [x, self.weight([1000, features])], transB=1)

    def model(self, out: str) -> onnx.ModelProto:
        g = h.make_graph(self.nodes, "net", [h.make_tensor_value_info("x", T.FLOAT, ["N", 3, 224, 224])],
                         [h.make_tensor_value_info(out, T.FLOAT, None)], self.inits)  # fmt: skip
        return h.make_model(g, opset_imports=[h.make_opsetid("", 17)])


def _resnet50() -> onnx.ModelProto:
    g = _Graph()
    x = g.op("MaxPool", [g.conv("x", 3, 64, 7, 2)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
        for b in range(blocks):
            s = 2 if stage and not b else 1
            y = g.conv(g.conv(g.conv(x, cin, planes, 1), planes, planes, 3, s), planes, 4 * planes, 1, relu=False)
            short = g.conv(x, cin, 4 * planes, 1, s, relu=False) if b == 0 else x
            x, cin = g.op("Relu", [g.op("Add", [y, short])]), 4 * planes
    return g.model(g.head(x, 2048))


def _mobilenet_v2() -> onnx.ModelProto:
    g = _Graph()
    x, cin = g.conv("x", 3, 32, 3, 2), 32
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride, hidden = s if i == 0 else 1, cin * t
            y = g.conv(x, cin, hidden, 1) if t != 1 else x
            y = g.conv(g.conv(y, hidden, hidden, 3, stride, g=hidden), hidden, c, 1, relu=False)
            x, cin = (g.op("Add", [x, y]) if stride == 1 and cin == c else y), c
    return g.model(g.head(g.conv(x, 320, 1280, 1), 1280))


@pytest.mark.parametrize("build, layers, published", [(_resnet50, 54, 4.09), (_mobilenet_v2, 53, 0.300)])
def test_real_networks_as_onnx_graphs(tmp_path, build, layers, published):
    path = tmp_path / "net.onnx"
    onnx.save_model(build(), path)
    assert path.stat().st_size < 100_000  # dims only: the graph alone
    m = Model.from_onnx(path, batch=1)
    assert len(m) == layers and abs(m.macs / 1e9 - published) <= 0.01 * published
    assert m.skipped["BatchNormalization"] == layers - 1 and "Relu" in m.skipped
    assert Model.from_onnx(path, batch=4).macs == 4 * m.macs


def test_older_opsets_and_initializers_listed_as_inputs():
    # opset 11: Unsqueeze/Squeeze take axes as attributes; weights also listed as graph inputs
    nodes = [
        h.make_node("Conv", ["x", "w"], ["y"], name="c", pads=[1, 1, 1, 1]),
        h.make_node("Shape", ["y"], ["s"]),
        h.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        h.make_node("Unsqueeze", ["n"], ["n1"], axes=[0]),
        h.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        h.make_node("Reshape", ["y", "shape"], ["f"]),
        h.make_node("MatMul", ["f", "w2"], ["z"], name="fc"),
    ]
    inits = [weight("w", [4, 3, 3, 3]), h.make_tensor("zero", T.INT64, [], [0]), ints("minus1", [-1]), weight("w2", [256, 10])]
    inputs = [h.make_tensor_value_info("x", T.FLOAT, ["N", 3, 8, 8])]
    inputs += [h.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    g = h.make_graph(nodes, "old", inputs, [h.make_tensor_value_info("z", T.FLOAT, None)], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 11)], ir_version=6)
    c, fc = Model.from_onnx(m, batch=3)
    assert c.batch == 3 and c.out_y == 8 and fc == Layer.gemm(3, 10, 256)


def _conv_function_model() -> onnx.ModelProto:
    body = h.make_function("local", "Block", ["x", "w"], ["y"], [h.make_node("Conv", ["x", "w"], ["y"], name="inner")],
                           [h.make_opsetid("", 17)])  # fmt: skip
    g = h.make_graph([h.make_node("Block", ["x", "w"], ["y"], name="blk", domain="local")], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 3, 16, 16])],
                     [h.make_tensor_value_info("y", T.FLOAT, None)], [weight("w", [8, 3, 3, 3])])  # fmt: skip
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("local", 1)], functions=[body])


def test_model_local_functions_are_inlined():
    """A convolution inside a model-local function (as exporters write blocks) is a layer; it was
    skipped as one unknown op and the model lost its MACs."""
    m = Model.from_onnx(_conv_function_model())
    assert len(m) == 1 and m.macs == 8 * 3 * 9 * 14 * 14 and m.skipped == {}


def test_function_calls_not_inlined_are_refused(monkeypatch):
    from confuciux.formats import onnx as fmt

    monkeypatch.setattr(fmt, "_inline", lambda onnx, model, label: model)  # an onnx without the inliner
    with pytest.raises(ValueError, match="node 'blk' \\(Block\\): op Block is an operator whose subgraph or function body "
                                         "computes \\(Conv\\)"):  # fmt: skip
        Model.from_onnx(_conv_function_model())


def test_control_flow_with_compute_inside_is_refused_not_dropped():
    then = h.make_graph([h.make_node("Conv", ["x", "w"], ["y1"], name="inner")], "then", [],
                        [h.make_tensor_value_info("y1", T.FLOAT, [1, 8, 14, 14])])  # fmt: skip
    other = h.make_graph([h.make_node("Identity", ["x"], ["y2"])], "else", [],
                         [h.make_tensor_value_info("y2", T.FLOAT, [1, 3, 16, 16])])  # fmt: skip
    node = h.make_node("If", ["cond"], ["y"], name="branch", then_branch=then, else_branch=other)
    g = h.make_graph([node], "g", [h.make_tensor_value_info("cond", T.BOOL, []),
                                   h.make_tensor_value_info("x", T.FLOAT, [1, 3, 16, 16])],
                     [h.make_tensor_value_info("y", T.FLOAT, None)], [weight("w", [8, 3, 3, 3])])  # fmt: skip
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    with pytest.raises(ValueError, match="node 'branch' \\(If\\): op If is an operator whose subgraph .* \\(Conv\\)"):
        Model.from_onnx(m)
    with pytest.warns(UserWarning, match="branch \\(If\\)"):
        assert Model.from_onnx(m, strict=False).skipped == {"If": 1}


def test_matmul_with_a_scalar_operand_names_the_node():
    m = model([h.make_node("MatMul", ["a", "b"], ["y"], name="mm")], [("a", ()), ("b", (7,))])
    with pytest.raises(ValueError, match="node 'mm' \\(MatMul\\): an operand is a scalar"):
        Model.from_onnx(m)


@pytest.mark.parametrize(
    "nodes, outputs, match",
    [
        # c2 writes y again after c3 read it: c3 used to get c2's shape (Y = 4 instead of 6), silently
        ([("c1", "x", "w", "y"), ("c3", "y", "w3", "z"), ("c2", "x", "w2", "y")], ["z"], r"'c2' \(Conv\): output 'y' is already"),
        ([("c1", "x", "w", "x")], ["x"], r"'c1' \(Conv\): output 'x' is already a graph input"),
        ([("c1", "x", "w", "w")], ["w"], r"'c1' \(Conv\): output 'w' is already a graph input, an initializer"),
        ([("c3", "y", "w3", "z"), ("c1", "x", "w", "y")], ["z"], r"'c3' \(Conv\): input 'y' is produced by this node or a later"),
        ([("c1", "z", "w", "y"), ("c3", "y", "w3", "z")], ["z"], r"'c1' \(Conv\): input 'z' is produced"),  # a cycle
        ([("c1", "y", "w", "y")], ["y"], r"'c1' \(Conv\): input 'y' is produced by this node"),
    ],
)
def test_graphs_that_assign_a_tensor_twice_or_are_not_sorted_name_the_node(nodes, outputs, match):
    convs = [h.make_node("Conv", [i, w], [o], name=n) for n, i, w, o in nodes]
    inits = [weight("w", [4, 3, 3, 3]), weight("w2", [4, 3, 5, 5]), weight("w3", [2, 4, 3, 3])]
    m = model(convs, [("x", [1, 3, 8, 8])], inits, outputs=outputs)
    with pytest.raises(ValueError, match=match):
        Model.from_onnx(m)


def test_an_ellipsis_wider_than_the_free_letters_is_named():
    """'...ij,...jk->...ik' over a rank-52 operand: 50 dimensions for the 49 letters left; it
    failed inside the importer ("zip() argument 2 is longer than argument 1")."""
    node = h.make_node("Einsum", ["a", "b"], ["y"], name="e", equation="...ij,...jk->...ik")
    m = model([node], [("a", [1] * 50 + [4, 5]), ("b", [5, 6])])
    with pytest.raises(ValueError, match=r"node 'e' \(Einsum\).*ellipsis stands for 50 dimensions, more than the 49"):
        Model.from_onnx(m)


def test_a_graph_input_whose_initializer_has_another_shape_is_named():
    """ONNX's strict shape inference refuses it; the importer took the initializer's 16 × 16."""
    m = conv_model((1, 3, 8, 8), (4, 3, 3, 3))
    m.graph.initializer.append(weight("x", [1, 3, 16, 16]))
    with pytest.raises(ValueError, match=r"graph input 'x' is declared \(1, 3, 8, 8\) but its initializer .* \(1, 3, 16, 16\)"):
        Model.from_onnx(m)
