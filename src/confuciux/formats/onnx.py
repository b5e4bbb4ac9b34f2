"""ONNX import: the compute operators of an ONNX graph as layers, with every shape resolved.

Needs the optional ``onnx`` package (``pip install confuciux[onnx]``), imported on first use.
Weight data is never read: the file is loaded without its external data and only initializer
*dims* are used (small integer initializers, the shape arguments of ``Reshape`` and friends,
are read when they are stored inline).

Shapes come from ONNX's shape inference (with data propagation), after the graph inputs'
symbolic batch dimension is set to ``batch``.  What inference leaves symbolic — a ``Reshape``
whose target is computed by a ``Shape → Gather → Concat`` chain, as PyTorch exports with a
dynamic batch — is resolved by constant-folding those chains here (:data:`_FOLD`) and running
inference again on the graph with the folded values in place, until nothing changes.
"""

from __future__ import annotations

import math
import re
import string
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._limits import KERNEL_INT_MAX

__all__ = ["Imported", "import_onnx", "COMPUTE_OPS", "UNSUPPORTED_COMPUTE_OPS"]

#: Operators that become layers.
COMPUTE_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum")
#: Operators that do compute-heavy work but have no layer form: strict import refuses them.
UNSUPPORTED_COMPUTE_OPS = frozenset({
    "LSTM", "GRU", "RNN", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
    "DeformConv", "QGemm", "FusedConv", "FusedGemm", "FusedMatMul", "Attention",
    "MultiHeadAttention", "DynamicQuantizeMatMul", "MatMulNBits",
})  # fmt: skip

_MAX_FOLD = 4096  # elements: folding is for shape arithmetic, never for tensors of data

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Imported:
    """What :func:`import_onnx` found: Layer keyword arguments in node order, the operators
    that made layers (op type → layers made) and those that made none (op type → count)."""

    name: str
    source: str
    layers: list[dict[str, Any]]
    skipped: dict[str, int]
    made: dict[str, int] = field(default_factory=dict)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("importing ONNX models needs the 'onnx' package: pip install confuciux[onnx]") from None
    return onnx


def import_onnx(source: Any, *, batch: int | np.integer[Any] = 1, strict: bool = True) -> Imported:
    """Read ``source`` (a path or an ``onnx.ModelProto``) into layer descriptions.

    ``batch`` replaces a symbolic (dynamic) first dimension of the graph inputs.  Compute
    operators become layers (see docs/workloads.md for each one's form); every other operator
    is counted in ``skipped``.  An operator of :data:`UNSUPPORTED_COMPUTE_OPS` raises a
    ``ValueError`` naming the node and the op, or with ``strict=False`` is skipped, counted and
    warned about.  A file that is not a readable ONNX model is a ``ValueError`` naming it."""
    onnx = _onnx()
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or not 1 <= batch <= KERNEL_INT_MAX:
        raise ValueError(f"batch must be an integer >= 1 (and < 2**63: an ONNX dimension), got {batch!r}")
    batch = int(batch)  # NumPy integers too
    model, label = _load(onnx, source)
    try:
        return _import(onnx, model, label, batch, strict)
    except (ValueError, TypeError) as exc:
        if label in str(exc):
            raise  # ours: it names the file and the node
        raise ValueError(f"{label}: not a usable ONNX graph ({_short(exc)})") from None
    except Exception as exc:  # onnx/protobuf internals on a malformed graph: name the file
        raise ValueError(f"{label}: not a usable ONNX graph ({type(exc).__name__}: {_short(exc)})") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def _load(onnx: Any, source: Any) -> tuple[Any, str]:
    if isinstance(source, onnx.ModelProto):
        return source, f"ONNX model {source.graph.name or '<unnamed>'!r}"
    if not isinstance(source, (str, Path)) and not hasattr(source, "__fspath__"):
        raise TypeError(f"expected a path or an onnx.ModelProto, got {type(source).__name__}")
    path = Path(source)
    data = path.read_bytes()  # OSError (missing file, ...) propagates as is
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ValueError(f"{path}: not an ONNX model (protobuf: {_short(exc)})") from None
    if not model.HasField("graph") or model.ir_version < 1 or not model.opset_import:
        raise ValueError(f"{path}: not an ONNX model (no graph, IR version or opset)")
    return model, str(path)


# ------------------------------------------------------------------------------------------------
# Shapes


def _static(type_proto: Any) -> Shape | None:
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims = type_proto.tensor_type.shape.dim
    if any(not d.HasField("dim_value") or d.dim_value < 0 for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def _input_types(onnx: Any, graph: Any, batch: int) -> dict[str, Any]:
    """Types of the graph inputs with a symbolic first dimension set to ``batch``, and of the
    initializers (from their dims alone)."""
    types: dict[str, Any] = {}
    for t in graph.initializer:
        types[t.name] = onnx.helper.make_tensor_type_proto(t.data_type, [int(d) for d in t.dims])
    for vi in graph.input:
        if vi.name in types or not vi.type.HasField("tensor_type"):
            continue
        tp = onnx.TypeProto()
        tp.CopyFrom(vi.type)
        dims = tp.tensor_type.shape.dim
        if len(dims) and not dims[0].HasField("dim_value"):
            dims[0].Clear()
            dims[0].dim_value = batch
        types[vi.name] = tp
    return types


def _inline_values(onnx: Any, graph: Any) -> dict[str, np.ndarray]:
    """Small integer initializers stored in the file (shape arguments), never weights."""
    values: dict[str, np.ndarray] = {}
    ints = {onnx.TensorProto.INT64, onnx.TensorProto.INT32}
    for t in graph.initializer:
        external = t.data_location == onnx.TensorProto.EXTERNAL
        if t.data_type in ints and not external and math.prod(t.dims) <= _MAX_FOLD:
            try:
                values[t.name] = onnx.numpy_helper.to_array(t)
            except ValueError:
                continue  # stored data that does not fit its dims: leave it to inference
    return values


def _resolve(onnx: Any, model: Any, batch: int) -> dict[str, Shape]:
    """Static shapes of every tensor that can have one: one pass in node order, each node's
    outputs inferred by ONNX from its inputs' types and, where folded, their values."""
    graph = model.graph
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    types = _input_types(onnx, graph, batch)
    shapes = {k: s for k, tp in types.items() if (s := _static(tp)) is not None}
    hints = {vi.name: vi.type for vi in graph.value_info}
    values = _inline_values(onnx, graph)
    for node in graph.node:
        _fold_node(onnx, node, shapes, values)
        outs = [o for o in node.output if o]
        if outs and all(o in values for o in outs):
            for o in outs:
                v = values[o]
                types[o] = onnx.helper.make_tensor_type_proto(
                    onnx.helper.np_dtype_to_tensor_dtype(v.dtype), list(v.shape)
                )
            continue
        inferred = _infer_node(onnx, node, types, values, opsets, model.opset_import)
        for o in outs:
            tp = inferred.get(o) or hints.get(o)
            if tp is None:
                continue
            types[o] = tp
            if (s := _static(tp)) is not None:
                shapes[o] = s
    return shapes


def _infer_node(onnx: Any, node: Any, types: dict[str, Any], values: dict[str, np.ndarray],
                opsets: dict[str, int], opset_import: Any) -> dict[str, Any]:  # fmt: skip
    domain = node.domain or "ai.onnx"
    try:
        schema = onnx.defs.get_schema(node.op_type, opsets.get(domain, 1), "" if domain == "ai.onnx" else domain)
        ins = {i: types[i] for i in node.input if i in types}
        data = {i: onnx.numpy_helper.from_array(values[i], i) for i in node.input if i in values}
        out: dict[str, Any] = onnx.shape_inference.infer_node_outputs(
            schema, node, ins, data, opset_imports=opset_import
        )
        return out
    except Exception:
        return {}  # an unknown op or an input ONNX cannot type: its outputs stay unresolved


# ------------------------------------------------------------------------------------------------
# Constant folding of shape arithmetic


def _attrs(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _fold_node(onnx: Any, node: Any, shapes: dict[str, Shape], values: dict[str, np.ndarray]) -> None:
    fn = _FOLD.get(node.op_type)
    if fn is None or not node.output:
        return
    if node.op_type == "Shape":
        if node.input[0] not in shapes:
            return
        ins: list[Any] = [shapes[node.input[0]]]
    elif node.op_type == "Constant":
        ins = []
    else:
        if any(i and i not in values for i in node.input):
            return
        ins = [values[i] if i else None for i in node.input]
    try:
        out = fn(onnx, _attrs(onnx, node), ins)
    except Exception:
        return  # not foldable here (an unusual attribute): inference may still manage
    if out is not None and out.size <= _MAX_FOLD:
        values[node.output[0]] = np.asarray(out)
        shapes.setdefault(node.output[0], tuple(out.shape))


def _axes(a: dict[str, Any], ins: list[Any], index: int) -> list[int] | None:
    if len(ins) > index and ins[index] is not None:
        return [int(v) for v in np.asarray(ins[index]).ravel()]
    return [int(v) for v in a["axes"]] if "axes" in a else None


def _fold_constant(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray | None:
    if "value" in a:
        return np.asarray(onnx.numpy_helper.to_array(a["value"]))
    for key in ("value_ints", "value_floats"):
        if key in a:
            return np.asarray(a[key])
    for key in ("value_int", "value_float"):
        if key in a:
            return np.asarray(a[key])
    return None


def _fold_shape(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    shape = ins[0]
    return np.array(shape[slice(a.get("start", 0), a.get("end"))], dtype=np.int64)


def _fold_gather(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    return np.asarray(np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0)))


def _fold_concat(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    return np.concatenate([np.atleast_1d(x) for x in ins], axis=a.get("axis", 0))


def _fold_unsqueeze(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x, axes = ins[0], _axes(a, ins, 1) or []
    rank = x.ndim + len(axes)
    for ax in sorted(v % rank for v in axes):
        x = np.expand_dims(x, ax)
    return np.asarray(x)


def _fold_squeeze(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    axes = _axes(a, ins, 1)
    x = ins[0]
    return np.asarray(np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(v % x.ndim for v in axes)))


def _fold_slice(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x = ins[0]
    if len(ins) >= 3:
        starts, ends = list(ins[1].ravel()), list(ins[2].ravel())
        axes = list(ins[3].ravel()) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = list(ins[4].ravel()) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    else:
        starts, ends = list(a["starts"]), list(a["ends"])
        axes, steps = list(a.get("axes", range(len(starts)))), [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps, strict=True):
        index[int(ax) % x.ndim] = slice(int(s), int(e), int(st))
    return np.asarray(x[tuple(index)])


def _fold_reshape(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x, target = ins[0], [int(v) for v in ins[1].ravel()]
    if not a.get("allowzero", 0):
        target = [x.shape[i] if v == 0 else v for i, v in enumerate(target)]
    return np.asarray(x.reshape(target))


def _fold_cast(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    return np.asarray(ins[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"])))


def _fold_div(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x, y = ins
    if np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer):
        return np.asarray(np.trunc(x / y)).astype(np.result_type(x, y))  # ONNX's integer Div truncates
    return np.asarray(x / y)


def _small(shape: Sequence[int]) -> list[int]:
    """``shape`` when a tensor of it is small enough to fold (never allocate a big one)."""
    dims = [int(v) for v in shape]
    if any(d < 0 for d in dims) or math.prod(dims) > _MAX_FOLD:
        raise ValueError("too large to fold")
    return dims


def _fold_range(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    start, limit, delta = (np.asarray(v).item() for v in ins)
    _small([max(0, math.ceil((limit - start) / delta))])
    return np.arange(start, limit, delta, dtype=np.asarray(ins[0]).dtype)


def _fold_constant_of_shape(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    fill = onnx.numpy_helper.to_array(a["value"]).ravel() if "value" in a else np.zeros(1, np.float32)
    return np.full(_small(ins[0].ravel()), fill[0], dtype=fill.dtype)


def _fold_expand(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    shape = np.broadcast_shapes(ins[0].shape, tuple(_small(ins[1].ravel())))
    out: np.ndarray = np.array(np.broadcast_to(ins[0], _small(shape)))
    return out


def _fold_reduce(np_fn: Callable[..., Any]) -> Callable[[Any, dict[str, Any], list[Any]], np.ndarray]:
    def fold(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
        axes = _axes(a, ins, 1)
        keep = bool(a.get("keepdims", 1))
        return np.asarray(np_fn(ins[0], axis=None if not axes else tuple(axes), keepdims=keep))

    return fold


def _elementwise(np_fn: Callable[..., Any]) -> Callable[[Any, dict[str, Any], list[Any]], np.ndarray]:
    def fold(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
        return np.asarray(np_fn(*ins))

    return fold


_FOLD: dict[str, Callable[[Any, dict[str, Any], list[Any]], np.ndarray | None]] = {
    "Constant": _fold_constant,
    "Shape": _fold_shape,
    "Size": lambda onnx, a, ins: np.array(ins[0].size, dtype=np.int64),
    "Gather": _fold_gather,
    "Concat": _fold_concat,
    "Unsqueeze": _fold_unsqueeze,
    "Squeeze": _fold_squeeze,
    "Slice": _fold_slice,
    "Reshape": _fold_reshape,
    "Flatten": lambda onnx, a, ins: ins[0].reshape(math.prod(ins[0].shape[: a.get("axis", 1)]), -1),
    "Cast": _fold_cast,
    "Identity": lambda onnx, a, ins: ins[0],
    "Transpose": lambda onnx, a, ins: np.transpose(ins[0], a.get("perm")),
    "Expand": _fold_expand,
    "Range": _fold_range,
    "ConstantOfShape": _fold_constant_of_shape,
    "Add": _elementwise(np.add),
    "Sub": _elementwise(np.subtract),
    "Mul": _elementwise(np.multiply),
    "Div": _fold_div,
    "Mod": _elementwise(np.mod),
    "Max": _elementwise(np.maximum),
    "Min": _elementwise(np.minimum),
    "Neg": _elementwise(np.negative),
    "Abs": _elementwise(np.abs),
    "Floor": _elementwise(np.floor),
    "Ceil": _elementwise(np.ceil),
    "Sqrt": _elementwise(np.sqrt),
    "Equal": _elementwise(np.equal),
    "Less": _elementwise(np.less),
    "Greater": _elementwise(np.greater),
    "Not": _elementwise(np.logical_not),
    "And": _elementwise(np.logical_and),
    "Or": _elementwise(np.logical_or),
    "Where": _elementwise(np.where),
    "ReduceProd": _fold_reduce(np.prod),
    "ReduceSum": _fold_reduce(np.sum),
    "ReduceMax": _fold_reduce(np.max),
    "ReduceMin": _fold_reduce(np.min),
}


# ------------------------------------------------------------------------------------------------
# Compute operators → layers


@dataclass
class _Context:
    onnx: Any
    label: str
    shapes: dict[str, Shape]

    def shape(self, node: Any, index: int, what: str) -> Shape:
        name = node.input[index] if len(node.input) > index else ""
        if name and name in self.shapes:
            return self.shapes[name]
        raise ValueError(
            f"{self.label}: node {node.name or '<unnamed>'!r} ({node.op_type}): the shape of its {what} "
            f"({name!r}) cannot be resolved; export with fixed sizes, or pass batch= for a dynamic batch"
        )


def _node_label(node: Any, index: int) -> str:
    return node.name or f"{node.op_type}_{index}"


def _spatial(ctx: _Context, node: Any, x: Shape, w: Shape) -> tuple[int, int, int, int]:
    """(H, W, kh, kw) of a 1-D or 2-D convolution; a 1-D one is 1 row high."""
    if len(x) == 3 and len(w) == 3:
        return 1, x[2], 1, w[2]
    if len(x) == 4 and len(w) == 4:
        return x[2], x[3], w[2], w[3]
    raise ValueError(
        f"{ctx.label}: node {node.name!r} ({node.op_type}): only 1-D and 2-D convolutions have a layer "
        f"form; input shape {x}, weight shape {w}"
    )


def _pair_attr(a: dict[str, Any], key: str, default: int, rank: int) -> list[int]:
    v = [int(x) for x in a.get(key, [])]
    return v if v else [default] * rank


def _conv_geometry(
    a: dict[str, Any], hw: tuple[int, int], k: tuple[int, int], one_d: bool
) -> list[tuple[int, int, int, int]]:
    """Per spatial axis: (padded input, kernel, stride, dilation) of a Conv."""
    rank = 1 if one_d else 2
    strides = _pair_attr(a, "strides", 1, rank)
    dil = _pair_attr(a, "dilations", 1, rank)
    pads = _pair_attr(a, "pads", 0, 2 * rank)
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if one_d:
        strides, dil, pads = [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]]
    out = []
    for axis in range(2):
        size, kern, s, d = hw[axis], k[axis], strides[axis], dil[axis]
        eff = (kern - 1) * d + 1
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            total = max((-(-size // s) - 1) * s + eff - size, 0)
        elif auto == "VALID":
            total = 0
        else:
            total = pads[axis] + pads[axis + 2]
        out.append((size + total, kern, s, d))
    return out


def _conv(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    x, w = ctx.shape(node, 0, "input"), ctx.shape(node, 1, "weight")
    a = _attrs(ctx.onnx, node)
    h, wd, kh, kw = _spatial(ctx, node, x, w)
    geo = _conv_geometry(a, (h, wd), (kh, kw), len(x) == 3)
    sizes, strides = [], []
    for padded, kern, s, d in geo:
        eff = (kern - 1) * d + 1
        if padded < eff:
            raise ValueError(f"{ctx.label}: node {node.name!r} (Conv): the kernel does not fit its padded input")
        o = (padded - eff) // s + 1
        # a dilated kernel: the k×k layer with the input that gives the same output (exact MACs)
        sizes.append(padded if d == 1 else (o - 1) * s + kern)
        strides.append(s)
    g = int(a.get("group", 1))
    n, c, k = x[0], x[1], w[0]
    args = dict(
        K=k, C=c, Y=sizes[0], X=sizes[1], R=kh, S=kw, name=_node_label(node, index), stride=tuple(strides), batch=n
    )
    if g > 1 and g == c and k == c:
        return [{**args, "K": 1, "kind": "DSCONV"}]
    return [{**args, "kind": "CONV", "groups": g}]


def _conv_transpose(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    x, w = ctx.shape(node, 0, "input"), ctx.shape(node, 1, "weight")
    a = _attrs(ctx.onnx, node)
    h, wd, kh, kw = _spatial(ctx, node, x, w)
    rank = 1 if len(x) == 3 else 2
    strides = _pair_attr(a, "strides", 1, rank)
    dil = _pair_attr(a, "dilations", 1, rank)
    pads = _pair_attr(a, "pads", 0, 2 * rank)
    extra = _pair_attr(a, "output_padding", 0, rank)
    shape_out = [int(v) for v in a.get("output_shape", [])]
    if rank == 1:
        strides, dil, pads, extra = [1, *strides], [1, *dil], [0, pads[0], 0, pads[1]], [0, *extra]
        shape_out = [1, *shape_out] if shape_out else []
    outs = []
    for axis, (size, kern) in enumerate(((h, kh), (wd, kw))):
        if shape_out:
            outs.append(shape_out[-2 + axis])
        else:
            eff = (kern - 1) * dil[axis] + 1
            outs.append(strides[axis] * (size - 1) + extra[axis] + eff - pads[axis] - pads[axis + 2])
    g = int(a.get("group", 1))
    # MAESTRO's TRCONV: the direct convolution over the zero-upsampled, padded input, whose
    # output is the transposed convolution's (stride 1, input O + R − 1)
    return [dict(
        K=w[1] * g, C=x[1], Y=outs[0] + kh - 1, X=outs[1] + kw - 1, R=kh, S=kw, kind="TRCONV",
        name=_node_label(node, index), batch=x[0], groups=g,
    )]  # fmt: skip


def _gemm_layer(name: str, m: int, n: int, k: int, groups: int = 1) -> dict[str, Any]:
    """``groups`` independent GEMMs (M × K)·(K × N): one GEMM layer, or a grouped 1×1 CONV."""
    if groups == 1:
        return dict(K=n, C=k, Y=m, X=1, R=1, S=1, kind="GEMM", name=name)
    return dict(K=n * groups, C=k * groups, Y=m, X=1, R=1, S=1, kind="CONV", name=name, groups=groups)


def _gemm(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    a_shape, b_shape = ctx.shape(node, 0, "A"), ctx.shape(node, 1, "B")
    at = _attrs(ctx.onnx, node)
    if len(a_shape) != 2 or len(b_shape) != 2:
        raise ValueError(
            f"{ctx.label}: node {node.name!r} (Gemm): A and B must be matrices, got {a_shape} and {b_shape}"
        )
    m, k = a_shape[::-1] if at.get("transA", 0) else a_shape
    k2, n = b_shape[::-1] if at.get("transB", 0) else b_shape
    if k != k2:
        raise ValueError(f"{ctx.label}: node {node.name!r} (Gemm): inner sizes differ ({k} and {k2})")
    return [_gemm_layer(_node_label(node, index), m, n, k)]


def _matmul(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    a, b = ctx.shape(node, 0, "A"), ctx.shape(node, 1, "B")
    if not a or not b:
        raise ValueError(f"{ctx.label}: node {node.name!r} (MatMul): an operand is a scalar, got {a} and {b}")
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    m, k, k2, n = a2[-2], a2[-1], b2[-2], b2[-1]
    if k != k2:
        raise ValueError(f"{ctx.label}: node {node.name!r} (MatMul): inner sizes differ, {a} and {b}")
    batch_a, batch_b = math.prod(a2[:-2]), math.prod(b2[:-2])
    both = math.prod(np.broadcast_shapes(a2[:-2], b2[:-2]))
    name = _node_label(node, index)
    if batch_b == 1:  # a shared right operand (a Linear's weight): the batch is more rows
        return [_gemm_layer(name, m * batch_a, n, k)]
    if batch_a == 1:  # a shared left operand: the batch is more columns
        return [_gemm_layer(name, m, n * batch_b, k)]
    return [_gemm_layer(name, m, n, k, groups=both)]


_EINSUM_TERM = re.compile(r"^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$")


def _einsum_terms(eq: str, ranks: Sequence[int]) -> tuple[list[str], str]:
    eq = eq.replace(" ", "")
    lhs, _, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks) or not all(_EINSUM_TERM.match(t) for t in [*terms, rhs]):
        raise ValueError(f"equation {eq!r} does not match {len(ranks)} operand(s)")
    spare = [c for c in string.ascii_letters if c not in eq]
    width = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks, strict=True) if "..." in t), default=0)
    ell = "".join(spare[:width])
    out = []
    for t, r in zip(terms, ranks, strict=True):
        if "..." in t:
            t = t.replace("...", ell[width - (r - len(t.replace("...", ""))) :])
        if len(t) != r:
            raise ValueError(f"term {t!r} does not match an operand of rank {r}")
        out.append(t)
    if "->" not in eq:
        letters = "".join(out)
        rhs = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return out, rhs.replace("...", ell)


def _einsum(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    eq = _attrs(ctx.onnx, node)["equation"]
    eq = eq.decode() if isinstance(eq, bytes) else str(eq)
    if len(node.input) == 1:
        return []  # one operand: a transpose, a trace or a sum, no multiplications to speak of
    if len(node.input) != 2:
        raise _NoLayerForm(f"an Einsum of {len(node.input)} operands")
    a, b = ctx.shape(node, 0, "first operand"), ctx.shape(node, 1, "second operand")
    where = f"{ctx.label}: node {node.name!r} (Einsum {eq!r})"
    try:
        (ta, tb), out = _einsum_terms(eq, (len(a), len(b)))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    size = {**dict(zip(tb, b, strict=True)), **{c: v for c, v in zip(ta, a, strict=True) if v != 1 or c not in tb}}
    only_a = set(ta) - set(tb) - set(out)
    only_b = set(tb) - set(ta) - set(out)
    if only_a or only_b:  # no layer form: strict import refuses it, strict=False skips it
        raise _NoLayerForm(f"an Einsum {eq!r} that sums over an index of one operand only (not a matrix product)")

    def prod(letters: set[str]) -> int:
        return math.prod(size[c] for c in letters)

    batch = prod(set(ta) & set(tb) & set(out))
    k = prod((set(ta) & set(tb)) - set(out))
    m, n = prod(set(ta) - set(tb)), prod(set(tb) - set(ta))
    return [_gemm_layer(_node_label(node, index), m, n, k, groups=batch)]


_COMPUTE: dict[str, Callable[[_Context, Any, int], list[dict[str, Any]]]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Einsum": _einsum,
}


class _NoLayerForm(ValueError):
    """A compute node this importer cannot express as layers (strict import refuses it)."""


def _inline(onnx: Any, model: Any) -> Any:
    """``model`` with its model-local functions inlined (PyTorch's exporter can put whole blocks,
    convolutions included, in functions: called, they would be skipped as one unknown op)."""
    if not len(model.functions):
        return model
    try:
        import onnx.inliner
    except ImportError:  # onnx < 1.16: such calls are refused below when their bodies compute
        return model
    return onnx.inliner.inline_local_functions(model)


def _inner_compute(node: Any, functions: dict[tuple[str, str], Any], depth: int = 0) -> set[str]:
    """Compute op types inside ``node``'s subgraphs (If, Loop, Scan) or its local function body."""
    bodies = [list(g.node) for a in node.attribute for g in [*a.graphs, *([a.g] if a.HasField("g") else [])]]
    if (node.domain, node.op_type) in functions:
        bodies.append(list(functions[(node.domain, node.op_type)].node))
    found: set[str] = set()
    for nodes in bodies:
        for n in nodes:
            if n.op_type in _COMPUTE or n.op_type in UNSUPPORTED_COMPUTE_OPS:
                found.add(n.op_type)
            elif depth < 64:
                found |= _inner_compute(n, functions, depth + 1)
    return found


def _refusal(node: Any, functions: dict[tuple[str, str], Any]) -> str:
    """Why strict import refuses ``node`` ('' when it does not)."""
    if node.op_type in UNSUPPORTED_COMPUTE_OPS:
        return "a compute operator with no layer form"
    if node.op_type in _COMPUTE:
        return ""
    inner = _inner_compute(node, functions)
    if inner:
        return f"an operator whose subgraph or function body computes ({', '.join(sorted(inner))}), with no layer form"
    return ""


def _import(onnx: Any, model: Any, label: str, batch: int, strict: bool) -> Imported:
    model = _inline(onnx, model)
    functions = {(f.domain, f.name): f for f in model.functions}
    shapes = _resolve(onnx, model, batch)
    ctx = _Context(onnx, label, shapes)
    layers: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    refused: list[str] = []
    for i, node in enumerate(model.graph.node):
        if not isinstance(node.op_type, str) or not isinstance(node.name, str):
            raise ValueError(f"{label}: node {i}: its op type or name is not UTF-8 text (a corrupt file?)")
        build = _COMPUTE.get(node.op_type)
        made: list[dict[str, Any]] = []
        why = _refusal(node, functions)
        if build is not None:
            try:
                made = build(ctx, node, i)
            except _NoLayerForm as exc:
                why = str(exc)
        if why:
            if strict:
                raise ValueError(
                    f"{label}: node {node.name or '<unnamed>'!r}: op {node.op_type} is {why} "
                    "(strict=False skips it, counted and warned)"
                )
            refused.append(f"{node.name or '<unnamed>'} ({node.op_type})")
        layers.extend(made)
        if made:
            counts[node.op_type] += len(made)
        else:
            skipped[node.op_type] += 1
    if refused:
        warnings.warn(
            f"{label}: {len(refused)} compute node(s) skipped, their work is not in the model: "
            + ", ".join(refused[:5])
            + (" …" if len(refused) > 5 else ""),
            stacklevel=3,
        )
    name = Path(label).stem if label.endswith(".onnx") else (model.graph.name or "onnx")
    return Imported(name, label, layers, dict(sorted(skipped.items())), dict(sorted(counts.items())))
