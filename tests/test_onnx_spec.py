"""ONNX import against ONNX's operator spec: every attribute of every supported op checked (names,
types, values), operands checked against each other, every error a ValueError naming the file,
the node and the field; random valid and invalid nodes cross-checked with ONNX's own checker and
strict shape inference (we accept only what ONNX accepts, with ONNX's output shapes)."""

from __future__ import annotations

import math
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confuciux.workload import Model

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402

from confuciux.formats import onnx as fmt  # noqa: E402


def graph_model(node, inputs: dict[str, tuple], elem=T.FLOAT, opset=17) -> onnx.ModelProto:
    ins = [h.make_tensor_value_info(n, elem, list(s)) for n, s in inputs.items()]
    g = h.make_graph([node], "g", ins, [h.make_tensor_value_info(node.output[0], elem, None)])
    return h.make_model(g, opset_imports=[h.make_opsetid("", opset)])


def conv(op="Conv", x=(1, 3, 8, 8), w=(4, 3, 3, 3), bias=None, **attrs) -> onnx.ModelProto:
    inputs = {"x": x, "w": w, **({"b": bias} if bias is not None else {})}
    node = h.make_node(op, list(inputs), ["y"], name="n1")
    for key, value in attrs.items():  # an empty list too (make_node cannot type it)
        kind = onnx.AttributeProto.INTS if value == [] else None
        node.attribute.append(h.make_attribute(key, value, attr_type=kind))
    return graph_model(node, inputs)


def node_model(op, shapes, elem=T.FLOAT, opset=17, **attrs) -> onnx.ModelProto:
    names = [f"i{k}" for k in range(len(shapes))]
    return graph_model(h.make_node(op, names, ["y"], name="n1", **attrs), dict(zip(names, shapes, strict=True)), elem, opset)


# The defects of issue 18 (5 and 20), each with the node and the field in the message -------------
@pytest.mark.parametrize(
    "m, field",
    [
        (conv(dilations=[0, 1]), "attribute dilations: must be >= 1"),  # a layer of Y = 10 from 8 pixels before
        (conv(dilations=[-1, -1]), "attribute dilations: must be >= 1"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), strides=[0, 0]), "attribute strides: must be >= 1"),
        (conv(w=(4, 2, 3, 3)), "weight W: input channels C = 3 must equal the weight's 2 × group 1"),
        (conv(x=(1, 4, 8, 8), w=(4, 4, 3, 3), group=2), "weight W: input channels C = 4 must equal the weight's 4 × group 2"),
        (conv(kernel_shape=[2, 2]), "attribute kernel_shape: \\[2, 2\\] contradicts the weight's kernel \\(3, 3\\)"),
        (conv(strides=[1, 1, 1]), "attribute strides: has 3 values, expected 2"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="ij,jk->ikz"), "attribute equation 'ij,jk->ikz': the output letter 'z' is in no input term"),
        # 20: ZeroDivisionError, IndexError, KeyError and NumPy's broadcast message before
        (conv(strides=[0, 1]), "attribute strides: must be >= 1"),
        (conv(pads=[1, 1]), "attribute pads: has 2 values, expected 4"),
        (node_model("Einsum", [(2, 3), (3, 4)]), "attribute equation: required, and missing"),
        (node_model("MatMul", [(2, 3, 4), (5, 4, 6)]), "batch dimensions: \\(2,\\) and \\(5,\\) do not broadcast together"),
    ],
)
def test_forbidden_graphs_name_the_node_and_field(m, field):
    with pytest.raises(ValueError, match=f"^ONNX model 'g': node 'n1' \\([A-Za-z]+\\): {field}"):
        Model.from_onnx(m)


@pytest.mark.parametrize(
    "m, field",
    [
        (conv(foo=1), "attribute foo: not an attribute of Conv \\(opset 11: auto_pad, dilations, group, kernel_shape, pads, strides\\)"),
        (conv(strides=[1.0, 1.0]), "attribute strides: must be INTS, got FLOATS"),
        (conv(auto_pad="SAME"), "attribute auto_pad: must be one of NOTSET, SAME_UPPER, SAME_LOWER, VALID; got 'SAME'"),
        (conv(auto_pad="SAME_UPPER", pads=[1, 1, 1, 1]), "attribute pads: cannot be used with auto_pad SAME_UPPER"),
        (conv(group=0), "attribute group: must be >= 1, got 0"),
        (conv(pads=[0, -1, 0, 0]), "attribute pads: must be >= 0"),
        (conv(x=(1, 4, 8, 8), w=(6, 2, 3, 3), group=4), "weight W: input channels C = 4 must equal the weight's 2 × group 4"),
        (conv(x=(1, 4, 8, 8), w=(6, 2, 3, 3), group=2, bias=(4,)), "bias B: shape \\(4,\\), expected \\(6,\\)"),
        (conv(x=(1, 3, 8, 8), w=(4, 3, 3)), "weight W: input X \\(1, 3, 8, 8\\) and weight W \\(4, 3, 3\\) must have the same rank"),
        (conv(w=(4, 3, 9, 3)), "weight W: the kernel \\(9 wide, dilated\\) does not fit the padded input \\(8\\)"),
        (conv(w=(4, 3, 3, 3), dilations=[4, 1]), "weight W: the kernel \\(9 wide, dilated\\) does not fit"),
        (conv(x=(1, 3, 0, 8)), "input X: an empty tensor \\(shape \\(1, 3, 0, 8\\)\\) has no layer"),
        (conv("ConvTranspose", w=(5, 4, 3, 3)), "weight W: its first dimension 5 must equal the input channels C = 3"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), group=2), "attribute group: the input channels C = 3 are not divisible by group 2"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), strides=[2, 2], output_padding=[2, 0]), "attribute output_padding: \\[2, 0\\] must be less than the stride or the dilation"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), output_shape=[0, 5]), "attribute output_shape: must be >= 1"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), pads=[9, 0, 9, 0]), "attribute pads: the output on spatial axis 0 would be -8 wide"),
        (conv("ConvTranspose", w=(3, 4, 3, 3), bias=(3,)), "bias B: shape \\(3,\\), expected \\(4,\\)"),
        (node_model("Gemm", [(2, 3), (4, 5)]), "B: inner sizes differ \\(3 and 4"),
        (node_model("Gemm", [(2, 3, 1), (3, 5)]), "A: must be a matrix, got shape \\(2, 3, 1\\)"),
        (node_model("Gemm", [(2, 3), (3, 5), (3, 5)]), "C: \\(3, 5\\) and \\(2, 5\\) do not broadcast together"),
        (node_model("Gemm", [(2, 3), (3, 5), (2, 5, 1)]), "C: shape \\(2, 5, 1\\) does not broadcast to the output"),
        (node_model("Gemm", [(2, 3), (3, 5)], elem=T.INT8), "ONNX's checker rejects it \\(.*tensor\\(int8\\)"),
        (node_model("MatMul", [(2, 3), (4, 5)]), "B: inner sizes differ, \\(2, 3\\) and \\(4, 5\\)"),
        (node_model("MatMul", [(2, 3), (3, 5)], transA=1), "attribute transA: not an attribute of MatMul"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="ij,jk->ikk"), "attribute equation '.*': the output term 'ikk' repeats 'k'"),
        (node_model("Einsum", [(2, 3), (4, 4)], equation="ij,jk->ik"), "attribute equation '.*': index 'j' is 3 in one place and 4 in another"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="ijk,jk->ik"), "attribute equation '.*': the term 'ijk' does not match an operand of rank 2"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="ij,jk,kl->il"), "attribute equation '.*': 3 operand term\\(s\\) for 2 input\\(s\\)"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="i.j,jk->ik"), "attribute equation '.*': the term 'i.j' is not letters with at most one '...'"),
        (node_model("Einsum", [(2, 3), (3, 4)], equation="ij,jk->ik", opset=11), "ONNX has no Einsum in opset 11"),
    ],
)
def test_every_attribute_and_operand_is_checked(m, field):
    with pytest.raises(ValueError, match=f"^ONNX model 'g': node 'n1' \\([A-Za-z]+\\): {field}"):
        Model.from_onnx(m)


def test_unnamed_nodes_are_named_by_index(tmp_path):
    m = conv(dilations=[0, 1])
    m.graph.node[0].name = ""
    path = tmp_path / "net.onnx"
    onnx.save_model(m, path)
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}: node #0 \\(Conv, unnamed\\): attribute dilations"):
        Model.from_onnx(path)


def test_attribute_rules_cover_every_onnx_schema():
    """The rule table names exactly the attributes ONNX's schemas of the supported ops have, in
    every opset; the types and the 'required' flags come from those schemas."""
    for op in fmt.COMPUTE_OPS:
        seen: set[str] = set()
        for version in range(1, onnx.defs.onnx_opset_version() + 1):
            try:
                schema = onnx.defs.get_schema(op, version)
            except onnx.defs.SchemaError:
                continue
            seen |= set(schema.attributes)
        assert seen == set(fmt._ATTR_RULES[op]), op


# Random nodes against ONNX's checker and strict shape inference ----------------------------------
# What we refuse although ONNX's shape inference accepts it: its spec forbids it where inference
# does not look (channels, kernel_shape against the weight, pads with auto_pad, output_padding),
# or it has no layer (an empty output, a 3-D convolution, an Einsum that is not a product).
STRICTER = re.compile(
    "must equal the weight's|must equal the input channels|not divisible by group|contradicts the weight's kernel"
    "|cannot be used with auto_pad|must be one of|does not fit the padded input|must be less than the stride"
    "|would be -?\\d+ wide|bias B|an empty tensor|must be >= 1, got|-D (transposed )?convolution|is an Einsum"
    "|index .* is \\d+ in one place|does not broadcast to the output|repeats|must have the same rank"
    "|is smaller than the input|\\(Gemm\\): C: "
)


def onnx_verdict(m: onnx.ModelProto) -> tuple[bool, tuple[int, ...] | None]:
    """(ONNX's checker and strict shape inference accept it, the output shape they infer).  An
    Einsum equation outside ONNX's grammar counts as refused: ONNX's inference loops forever on
    some ('i.j,jk->ik', onnx 1.23), which is why the importer checks the grammar first."""
    if not fmt._safe_for_onnx(m.graph.node[0]):
        return False, None
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version, ctx.opset_imports = m.ir_version, {o.domain: o.version for o in m.opset_import}
    try:
        onnx.checker.check_node(m.graph.node[0], ctx)
        inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    except Exception:
        return False, None
    t = inferred.graph.output[0].type.tensor_type
    if not t.HasField("shape") or not all(d.HasField("dim_value") for d in t.shape.dim):
        return True, None
    return True, tuple(d.dim_value for d in t.shape.dim)


def ours(m: onnx.ModelProto) -> Model | ValueError:
    try:
        return Model.from_onnx(m)
    except ValueError as exc:
        assert re.match("^ONNX model 'g': node 'n1' \\(", str(exc)), exc  # the file and the node
        return exc


def small_ints(lo: int, hi: int, n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(lo, hi), min_size=n, max_size=n)


@st.composite
def conv_nodes(draw) -> tuple[onnx.ModelProto, dict]:
    """A Conv or ConvTranspose node: valid by construction half the time, else anything near."""
    valid = draw(st.booleans())
    op = draw(st.sampled_from(["Conv", "ConvTranspose"]))
    spatial = draw(st.sampled_from([1, 2] if valid else [1, 2, 2, 3]))
    c, m = draw(st.sampled_from([1, 2, 3, 4, 6])), draw(st.sampled_from([1, 2, 3, 4, 6]))
    groups = [g for g in (1, 2, 3) if c % g == 0 and m % g == 0] if valid else [1, 1, 2, 3, 0]
    group = draw(st.sampled_from(groups))
    kernel = draw(small_ints(1, 4, spatial))
    x = (draw(st.integers(1, 2)), c, *draw(small_ints(1 if not valid else 4, 9, spatial)))
    if op == "Conv":
        w = (m, c // group if valid else draw(st.sampled_from([max(c // max(group, 1), 1), 1, 2, 3])), *kernel)
    else:
        w = (c if valid else draw(st.sampled_from([c, c, 2])), m, *kernel)
    if not valid and draw(st.integers(0, 9)) == 0:
        w = w[:-1]  # a rank mismatch
    attrs: dict = {"group": group} if group != 1 else {}

    def maybe(name: str, values: st.SearchStrategy) -> None:
        if draw(st.booleans()):
            attrs[name] = draw(values)

    n = spatial if valid or draw(st.integers(0, 9)) else draw(st.integers(max(spatial - 1, 0), spatial + 1))
    positive = st.sampled_from([1, 1, 2, 3] if valid else [1, 1, 2, 3, 0, -1])
    maybe("strides", st.lists(positive, min_size=n, max_size=n))
    maybe("dilations", st.lists(positive, min_size=n, max_size=n))
    maybe("kernel_shape", st.sampled_from([list(kernel)] if valid else [list(kernel), [k + 1 for k in kernel]]))
    maybe("auto_pad", st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"] + ([] if valid else ["SAME"])))
    if not valid or attrs.get("auto_pad", "NOTSET") == "NOTSET":
        maybe("pads", st.lists(st.sampled_from([0, 0, 1, 2] if valid else [0, 1, 3, -1]), min_size=2 * n, max_size=2 * n))
    if op == "ConvTranspose":
        limit = [max(s, d) - 1 for s, d in zip(attrs.get("strides", [1] * n), attrs.get("dilations", [1] * n), strict=True)]
        maybe("output_padding", st.tuples(*(st.integers(0, lim if valid else 2) for lim in limit)).map(list))
        if draw(st.integers(0, 3)) == 0:
            attrs["output_shape"] = [draw(st.integers(d, 20) if valid else st.integers(0, 20)) for d in x[2 : 2 + n]]
    return conv(op, x, w, **attrs), dict(op=op, x=x, w=w, group=group, attrs=attrs)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv_nodes())
def test_random_convolutions_agree_with_onnx(case):
    m, info = case
    accepted, shape = onnx_verdict(m)
    got = ours(m)
    if isinstance(got, ValueError):
        assert not accepted or shape is None or STRICTER.search(str(got)), got  # None: ONNX did not look
        return
    assert accepted, "we accept a node ONNX rejects"
    (layer,) = got
    if shape is not None and len(shape) == len(info["x"]):  # ONNX's output shape: N, M, spatial
        assert (layer.batch, layer.K if layer.kind != "DSCONV" else layer.C) == shape[:2]
        assert (layer.out_y, layer.out_x) == ((1, *shape[2:]) if len(shape) == 3 else shape[2:])
    x, w, g = info["x"], info["w"], max(info["group"], 1)
    channels_in = x[1] // g if info["op"] == "Conv" else x[1] // g
    assert layer.macs == x[0] * layer.out_y * layer.out_x * (w[0] if info["op"] == "Conv" else w[1] * g) * channels_in * math.prod(w[2:])


@st.composite
def product_nodes(draw) -> tuple[onnx.ModelProto, str]:
    op = draw(st.sampled_from(["Gemm", "MatMul"]))
    dims = st.integers(1, 4)
    if op == "Gemm":
        m, k, n = draw(dims), draw(dims), draw(dims)
        ta, tb = draw(st.integers(0, 1)), draw(st.integers(0, 1))
        a, b = ((k, m) if ta else (m, k)), ((n, k) if tb else (k, n))
        if draw(st.integers(0, 4)) == 0:
            b = (draw(dims), draw(dims))
        if draw(st.integers(0, 9)) == 0:
            a = (*a, 1)
        shapes = [a, b]
        if draw(st.booleans()):
            shapes.append(draw(st.sampled_from([(n,), (m, n), (1, n), (m, 1), (1,), (), (draw(dims),), (m, n, 1)])))
        return node_model("Gemm", shapes, transA=ta, transB=tb), op
    batch = draw(st.lists(dims, max_size=2))
    a = (*draw(st.sampled_from([batch, batch[1:], []])), *draw(st.lists(dims, min_size=1, max_size=2)))
    inner = a[-1] if draw(st.integers(0, 5)) else draw(dims)
    b = (*draw(st.sampled_from([batch, batch[:1], [], [draw(dims)]])), inner, *draw(st.lists(dims, max_size=1)))
    return node_model("MatMul", [a, b]), op


@settings(max_examples=150, deadline=None)
@given(product_nodes())
def test_random_products_agree_with_onnx(case):
    m, op = case
    accepted, shape = onnx_verdict(m)
    got = ours(m)
    if isinstance(got, ValueError):
        assert not accepted or shape is None or STRICTER.search(str(got)), got  # None: ONNX did not look
        return
    assert accepted, "we accept a node ONNX rejects"
    (layer,) = got
    a = tuple(d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim)
    trans_a = any(at.name == "transA" and at.i for at in m.graph.node[0].attribute)
    k = a[0] if trans_a else a[-1]
    assert shape is not None and math.prod(shape) == layer.Y * layer.K  # the output elements
    assert layer.macs == math.prod(shape) * k


@st.composite
def einsum_nodes(draw) -> tuple[onnx.ModelProto, str]:
    letters = "ijkbB"
    size = {c: draw(st.integers(1, 3)) for c in letters}
    ell = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    terms, shapes = [], []
    for _ in range(draw(st.sampled_from([1, 2, 2, 2, 3]))):
        t = "".join(draw(st.lists(st.sampled_from(letters), max_size=3)))
        s = [size[c] if draw(st.integers(0, 15)) else size[c] + 1 for c in t]
        if draw(st.integers(0, 3)) == 0:
            cut = draw(st.integers(0, len(t)))
            width = draw(st.integers(0, len(ell)))
            t, s = t[:cut] + "..." + t[cut:], s[:cut] + list(ell[len(ell) - width :]) + s[cut:]
        terms.append(t)
        shapes.append(tuple(s))
    eq = ",".join(terms)
    if draw(st.booleans()):
        out = "".join(draw(st.lists(st.sampled_from(letters + "z"), max_size=4, unique=draw(st.booleans()))))
        eq += "->" + (("..." if draw(st.booleans()) else "") + out)
    if draw(st.integers(0, 15)) == 0:
        eq = draw(st.text(alphabet=string.ascii_letters + ".,->", max_size=12))
    return node_model("Einsum", shapes, equation=eq), eq


@settings(max_examples=200, deadline=None)
@given(einsum_nodes())
def test_random_einsums_agree_with_onnx(case):
    m, eq = case
    accepted, shape = onnx_verdict(m)
    got = ours(m)
    if isinstance(got, ValueError):
        assert not accepted or shape is None or STRICTER.search(str(got)), got  # None: ONNX did not look
        return
    assert accepted, f"we accept {eq!r}, which ONNX rejects"
    if len(got):
        (layer,) = got
        assert shape is not None and math.prod(shape) == layer.Y * layer.K  # the output elements


def test_agreement_cases_that_once_differed():
    """auto_pad SAME on a ConvTranspose (ignored before), a Conv with SAME_LOWER and a stride, a
    channel multiplier with a bias, a broadcast MatMul batch: ONNX's shapes."""
    for m, expected in (
        (conv("ConvTranspose", w=(3, 4, 3, 3), strides=[2, 2], auto_pad="SAME_UPPER"), (1, 4, 16, 16)),
        (conv("ConvTranspose", w=(3, 4, 1, 1), strides=[3, 3], auto_pad="SAME_LOWER"), (1, 4, 22, 22)),
        (conv(x=(1, 3, 9, 9), strides=[2, 2], auto_pad="SAME_LOWER"), (1, 4, 5, 5)),
        (conv(x=(1, 4, 7, 7), w=(8, 1, 3, 3), group=4, bias=(8,)), (1, 8, 5, 5)),
    ):
        assert onnx_verdict(m) == (True, expected)
        (layer,) = Model.from_onnx(m)
        assert (layer.batch, layer.K, layer.out_y, layer.out_x) == expected
    m = node_model("MatMul", [(2, 1, 3, 4), (5, 4, 6)])
    assert onnx_verdict(m) == (True, (2, 5, 3, 6))
    assert Model.from_onnx(m)[0].macs == 2 * 5 * 3 * 6 * 4
