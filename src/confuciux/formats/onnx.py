"""ONNX import: the compute operators of an ONNX graph as layers, with every shape resolved.

Needs the optional ``onnx`` package (``pip install confuciux[onnx]``), imported on first use.
The import reads the graph, never the weights: the file is parsed without its external data,
external data is never opened (not for initializers, not for ``Constant`` nodes), and only
initializer *dims* are used.

The passes, each over the whole graph:

1. parse the file (:func:`_load`);
2. inline model-local functions, after counting what inlining would add against
   :data:`MAX_INLINED_NODES` and :data:`MAX_INLINED_BYTES` (:func:`_inline`);
3. find which tensors' shapes the compute nodes need, and which tensors' *values* those shapes
   need (:func:`_needs`: the inputs ONNX's shape inference reads as data, :data:`_DATA_INPUTS`,
   and the shape arithmetic feeding them);
4. resolve shapes in node order (:func:`_resolve`): the graph inputs' symbolic batch dimension is
   set to ``batch``, each needed node's outputs are inferred by ONNX's own shape inference, and
   the values shapes need are constant-folded (:data:`_FOLD`) within :data:`MAX_FOLD_ELEMENTS`
   per value and :data:`MAX_FOLD_TOTAL` in all, sized by ONNX's inference before any is computed;
5. check each compute node against ONNX's operator spec (:data:`_ATTR_RULES`: every attribute's
   name, type and value; then the operands' shapes; then ONNX's own checker and shape inference
   of the node) and turn it into layer arguments (:data:`_COMPUTE`).

Every error is a ``ValueError`` that names the file, and the node (and the attribute or operand)
where there is one.
"""

from __future__ import annotations

import functools
import math
import re
import string
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._limits import KERNEL_INT_MAX

__all__ = [
    "Imported", "import_onnx", "COMPUTE_OPS", "UNSUPPORTED_COMPUTE_OPS",
    "MAX_FOLD_ELEMENTS", "MAX_FOLD_TOTAL", "MAX_INLINED_NODES", "MAX_INLINED_BYTES", "MAX_RANK",
]  # fmt: skip

#: Operators that become layers.
COMPUTE_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum")
#: Operators that do compute-heavy work but have no layer form: strict import refuses them.
UNSUPPORTED_COMPUTE_OPS = frozenset({
    "LSTM", "GRU", "RNN", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
    "DeformConv", "QGemm", "FusedConv", "FusedGemm", "FusedMatMul", "Attention",
    "MultiHeadAttention", "DynamicQuantizeMatMul", "MatMulNBits",
})  # fmt: skip

#: Elements in one constant-folded value.  Shape arithmetic works on vectors as long as a
#: tensor's rank; a value the shapes need that would be larger is refused (a ``ValueError``
#: naming the node) before it is computed.  Values no shape needs are never computed at all.
MAX_FOLD_ELEMENTS = 65_536
#: Elements in all the values folded in one import together (8 MB as int64).
MAX_FOLD_TOTAL = 1_048_576
#: Nodes that inlining model-local functions may add to the graph.  A function that calls
#: another twice, nested 20 deep, would add a million: refused before inlining starts.
MAX_INLINED_NODES = 100_000
#: Bytes (of serialized nodes) that inlining model-local functions may add to the graph.
MAX_INLINED_BYTES = 64 * 2**20
#: Dimensions of a tensor whose shape the compute nodes need (NumPy's limit too).  Each needed
#: tensor's shape is kept; a Reshape to a folded 65,536-long shape made 1 MB types, per tensor.
MAX_RANK = 64
# Files larger than protobuf's 2 GB limit cannot be ONNX files: refused before reading them.
_MAX_FILE_BYTES = 2**31

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
    warned about.  A compute node that ONNX's operator spec forbids, a file that is not a
    readable ONNX model, and a graph over the import's limits (:data:`MAX_FOLD_ELEMENTS`,
    :data:`MAX_FOLD_TOTAL`, :data:`MAX_INLINED_NODES`, :data:`MAX_INLINED_BYTES`) are a
    ``ValueError`` naming the file and the node."""
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


def _short(exc: BaseException | str, n: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text[:n] + ("…" if len(text) > n else "")


def _load(onnx: Any, source: Any) -> tuple[Any, str]:
    if isinstance(source, onnx.ModelProto):
        return source, f"ONNX model {_short(source.graph.name or '<unnamed>', 80)!r}"
    if not isinstance(source, (str, Path)) and not hasattr(source, "__fspath__"):
        raise TypeError(f"expected a path or an onnx.ModelProto, got {type(source).__name__}")
    path = Path(source)
    if path.is_file() and path.stat().st_size >= _MAX_FILE_BYTES:
        raise ValueError(f"{path}: not an ONNX model (over 2 GB, protobuf's limit: large models keep their weights "
                         "as external data)")  # fmt: skip
    data = path.read_bytes()  # OSError (missing file, ...) propagates as is
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ValueError(f"{path}: not an ONNX model (protobuf: {_short(exc)})") from None
    if not model.HasField("graph") or model.ir_version < 1 or not model.opset_import:
        raise ValueError(f"{path}: not an ONNX model (no graph, IR version or opset)")
    return model, str(path)


def _node_text(node: Any, index: int) -> str:
    """A node for messages: its name, or its index in the graph when it has none."""
    return f"{_short(node.name, 80)!r}" if node.name else f"#{index} (unnamed)"


def _where(label: str, node: Any, index: int) -> str:
    op = _short(node.op_type, 40)
    return f"{label}: node {_short(node.name, 80)!r} ({op})" if node.name else f"{label}: node #{index} ({op}, unnamed)"


def _is_compute(node: Any) -> bool:
    """A node that becomes layers: one of :data:`COMPUTE_OPS` of the default ONNX domain."""
    return node.op_type in _COMPUTE and node.domain in ("", "ai.onnx")


# ------------------------------------------------------------------------------------------------
# Model-local functions


_Key = tuple[str, str, str]  # a model-local function: (domain, name, overload)


def _key(f: Any) -> _Key:
    return f.domain, f.name, getattr(f, "overload", "")


def _call(node: Any, functions: dict[_Key, Any]) -> Any:
    """The model-local function ``node`` calls, or None."""
    return functions.get((node.domain, node.op_type, getattr(node, "overload", "")))


def _subgraph_nodes(node: Any) -> Iterator[Any]:
    """The nodes of ``node``'s subgraph attributes (If, Loop, Scan bodies), one level deep."""
    for a in node.attribute:
        for g in [*a.graphs, *([a.g] if a.HasField("g") else [])]:
            yield from g.node


def _walk(nodes: Iterable[Any]) -> Iterator[Any]:
    """``nodes`` and, depth first, the nodes of their subgraphs (without recursion)."""
    stack = [iter(nodes)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        stack.append(_subgraph_nodes(node))


def _call_order(functions: dict[_Key, Any], label: str) -> list[_Key]:
    """The model-local functions, each after every function it calls (calls inside subgraphs
    too); a recursive function is a ``ValueError`` naming it.  Depth first without recursion:
    call chains can be long."""
    order: list[_Key] = []
    state: dict[_Key, int] = {}  # 1: its callees are being ordered, 2: ordered
    for root in functions:
        stack = [root]
        while stack:
            key = stack[-1]
            if state.get(key, 0):
                if state[key] == 1:  # every callee is ordered now
                    order.append(key)
                    state[key] = 2
                stack.pop()
                continue
            state[key] = 1
            for f in (_call(n, functions) for n in _walk(functions[key].node)):
                if f is not None and state.get(_key(f)) == 1:  # an ancestor on this path
                    raise ValueError(f"{label}: model-local function {_short(f.name, 60)!r} calls itself, directly "
                                     "or through others (ONNX forbids recursive functions)")  # fmt: skip
                if f is not None and not state.get(_key(f)):
                    stack.append(_key(f))
    return order


def _inlined_sizes(model: Any, label: str) -> tuple[int, int]:
    """(nodes, bytes) that inlining every model-local function call would add to the graph,
    counted without building it (saturating just above the limits: the count of a function that
    calls another twice, nested 1,000 deep, would have 300 digits)."""
    functions = {_key(f): f for f in model.functions}
    own_n = len(model.graph.node) + sum(len(f.node) for f in model.functions)
    own_b = sum(n.ByteSize() for n in model.graph.node) + sum(n.ByteSize() for f in model.functions for n in f.node)
    cap_n, cap_b = own_n + MAX_INLINED_NODES + 1, own_b + MAX_INLINED_BYTES + 1
    cost: dict[_Key, tuple[int, int]] = {}  # a function's body, inlined: (nodes, bytes)

    def inlined(nodes: Iterable[Any]) -> tuple[int, int]:
        total_n = total_b = 0
        for node in _walk(nodes):
            f = _call(node, functions)
            n, b = cost[_key(f)] if f is not None else (1, node.ByteSize())
            total_n, total_b = min(total_n + n, cap_n), min(total_b + b, cap_b)
        return total_n, total_b

    for key in _call_order(functions, label):
        cost[key] = inlined(functions[key].node)
    total_n, total_b = inlined(model.graph.node)
    return max(total_n - own_n, 0), max(total_b - own_b, 0)


def _copy_fields(source: Any, target: Any, skip: str) -> None:
    """Copy every field of the protobuf message ``source`` but ``skip`` into ``target``."""
    for fd, value in source.ListFields():
        if fd.name != skip:
            _copy_fields_one(target, fd.name, value)


def _copy_fields_one(target: Any, name: str, value: Any) -> None:
    if hasattr(value, "extend"):  # a repeated field (protobuf's descriptors differ across versions)
        getattr(target, name).extend(value)
    elif hasattr(value, "CopyFrom"):  # a message
        getattr(target, name).CopyFrom(value)
    else:
        setattr(target, name, value)


def _stub(onnx: Any, tensor: Any) -> Any:
    """``tensor`` itself when shapes may read it, else its name, type and dims without data."""
    if math.prod(tensor.dims) <= MAX_FOLD_ELEMENTS:
        return tensor
    return onnx.TensorProto(name=tensor.name, data_type=tensor.data_type, dims=tensor.dims)


def _copy_nodes(onnx: Any, nodes: Any, target: Any) -> None:
    """Copy ``nodes`` into the repeated field ``target``, large tensor attributes as stubs."""
    for node in nodes:
        copy = target.add()
        _copy_fields(node, copy, skip="attribute")
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                attr = copy.attribute.add()
                _copy_fields(a, attr, skip="t")
                attr.t.CopyFrom(_stub(onnx, a.t))
            else:
                copy.attribute.add().CopyFrom(a)


def _without_weights(onnx: Any, model: Any) -> Any:
    """A copy of ``model`` whose large tensors (initializers, tensor attributes of the graph's
    and the functions' nodes) keep their dims but not their data, for the inliner, which
    serializes the whole model twice: a 346 MB ViT exported with functions took 5.3 s and 2 GB."""
    lite = onnx.ModelProto()
    _copy_fields(model, lite, skip="graph")
    del lite.functions[:]
    for f in model.functions:
        copy = lite.functions.add()
        _copy_fields(f, copy, skip="node")
        _copy_nodes(onnx, f.node, copy.node)
    for fd, value in model.graph.ListFields():
        if fd.name == "initializer":
            lite.graph.initializer.extend(_stub(onnx, t) for t in value)
        elif fd.name == "node":
            _copy_nodes(onnx, value, lite.graph.node)
        else:
            _copy_fields_one(lite.graph, fd.name, value)
    return lite


def _inline(onnx: Any, model: Any, label: str) -> Any:
    """``model`` with its model-local functions inlined (PyTorch's exporter can put whole blocks,
    convolutions included, in functions: called, they would be skipped as one unknown op).

    What inlining would add is counted first: over :data:`MAX_INLINED_NODES` nodes or
    :data:`MAX_INLINED_BYTES` bytes it is a ``ValueError`` (functions that each call the next
    twice grow exponentially: 2.7 KB of them made 2**21 nodes)."""
    if not len(model.functions):
        return model
    added_n, added_b = _inlined_sizes(model, label)
    if added_n > MAX_INLINED_NODES or added_b > MAX_INLINED_BYTES:
        raise ValueError(
            f"{label}: inlining its model-local functions would add "
            + (f"over {MAX_INLINED_NODES:,} nodes (MAX_INLINED_NODES)" if added_n > MAX_INLINED_NODES
               else f"over {MAX_INLINED_BYTES:,} bytes of nodes (MAX_INLINED_BYTES)")
            + "; functions that call others several times, nested, grow exponentially"
        )  # fmt: skip
    try:
        import onnx.inliner
    except ImportError:  # onnx < 1.16: such calls are refused below when their bodies compute
        return model
    try:
        return onnx.inliner.inline_local_functions(_without_weights(onnx, model))
    except Exception as exc:  # ONNX's own limits (call depth, function count) and malformed bodies
        raise ValueError(f"{label}: its model-local functions cannot be inlined ({_short(exc)})") from None


# ------------------------------------------------------------------------------------------------
# Which shapes and values the compute nodes need

#: Inputs whose *values* ONNX's shape inference reads (its ``getInputData``/``getShapeInput``
#: calls in onnx/defs, every opset): the only values the importer ever computes are these and
#: the shape arithmetic that feeds them.
_DATA_INPUTS: dict[str, tuple[int, ...]] = {
    "Reshape": (1,), "Expand": (1,), "ConstantOfShape": (0,), "Range": (0, 1, 2), "Tile": (1,),
    "Slice": (1, 2, 3, 4), "Squeeze": (1,), "Unsqueeze": (1,), "Split": (1,), "Pad": (1, 3),
    "Resize": (1, 2, 3), "Upsample": (1,), "TopK": (1,), "OneHot": (1,), "CenterCropPad": (1,),
    "ReduceSum": (1,), "ReduceMean": (1,), "ReduceMax": (1,), "ReduceMin": (1,), "ReduceProd": (1,),
    "ReduceL1": (1,), "ReduceL2": (1,), "ReduceLogSum": (1,), "ReduceLogSumExp": (1,), "ReduceSumSquare": (1,),
    "DFT": (1, 2), "STFT": (1, 3), "HannWindow": (0,), "HammingWindow": (0,), "BlackmanWindow": (0,),
    "MelWeightMatrix": (0, 1), "Col2Im": (1, 2), "AffineGrid": (1,), "SplitToSequence": (1,),
}  # fmt: skip


def _needs(nodes: Sequence[Any]) -> tuple[set[str], set[str]]:
    """(tensors whose shape is needed, tensors whose value is needed), backwards from the
    compute nodes' operands: a node whose output's shape is needed needs its inputs' shapes and
    the values of its :data:`_DATA_INPUTS`; a foldable node whose output's value is needed needs
    its inputs' values (``Shape`` and ``Size``: only its input's shape)."""
    need_shape = {i for n in nodes if _is_compute(n) for i in n.input if i}
    need_value: set[str] = set()
    for node in reversed(nodes):  # ONNX graphs are topologically sorted: consumers come later
        outs = [o for o in node.output if o]
        ins = [i for i in node.input if i]
        if node.op_type in _FOLD and any(o in need_value for o in outs):
            need_shape.update(ins)
            if node.op_type not in ("Shape", "Size"):
                need_value.update(ins)
        if any(o in need_shape for o in outs):
            need_shape.update(ins)
            need_value.update(node.input[k] for k in _DATA_INPUTS.get(node.op_type, ()) if k < len(node.input))
    need_value.discard("")
    return need_shape, need_value


# ------------------------------------------------------------------------------------------------
# Shapes


@dataclass
class _Found:
    """What the shape pass found: static shapes and ONNX types of tensors, the values folded for
    shapes, what ONNX's own checker said of each compute node (node index → its complaint), and
    the needed values that are stored as external data (never read)."""

    shapes: dict[str, Shape]
    types: dict[str, Any]
    values: dict[str, np.ndarray]
    rejected: dict[int, str]
    external: list[str]


@dataclass
class _FoldBudget:
    """The folding caps, counted over one import."""

    used: int = 0

    def admit(self, what: str, size: int) -> None:
        """Count a value of ``size`` elements about to be folded; ``what`` (file and node) names it."""
        if size > MAX_FOLD_ELEMENTS:
            raise ValueError(
                f"{what}: its value is needed for shapes but would hold {size:,} elements, over "
                f"MAX_FOLD_ELEMENTS = {MAX_FOLD_ELEMENTS:,} (constant folding is for shape arithmetic, not data)"
            )
        if self.used + size > MAX_FOLD_TOTAL:
            raise ValueError(
                f"{what}: the values needed for shapes would hold over MAX_FOLD_TOTAL = "
                f"{MAX_FOLD_TOTAL:,} elements in all (constant folding is for shape arithmetic, not data)"
            )
        self.used += size


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


def _external(onnx: Any, tensor: Any) -> bool:
    return bool(tensor.data_location == onnx.TensorProto.EXTERNAL)


def _tensor_value(onnx: Any, tensor: Any) -> np.ndarray | None:
    """The value of a tensor stored in the file, or None: never external data, never a tensor
    over :data:`MAX_FOLD_ELEMENTS` (checked from its dims, before reading), nothing but numbers."""
    dims = [int(d) for d in tensor.dims]
    if _external(onnx, tensor) or tensor.HasField("segment") or any(d < 0 for d in dims):
        return None
    if math.prod(dims) > MAX_FOLD_ELEMENTS:
        return None
    try:
        value = np.asarray(onnx.numpy_helper.to_array(tensor))
    except Exception:
        return None  # stored data that does not fit its dims, an unknown data type: unknown
    return value if value.dtype.kind in "biuf" else None


def _resolve(onnx: Any, model: Any, label: str, batch: int) -> _Found:
    """Static shapes of the tensors the compute nodes need: one pass in node order, each needed
    node's outputs inferred by ONNX from its inputs' types and, where folded, their values; the
    values shapes need folded on the way, within the folding caps."""
    graph = model.graph
    nodes = list(graph.node)
    need_shape, need_value = _needs(nodes)
    types = _input_types(onnx, graph, batch)
    found = _Found({k: s for k, tp in types.items() if (s := _static(tp)) is not None}, types, {}, {}, [])
    for name in need_shape & set(types):
        _check_rank(f"{label}: graph input or initializer {_short(name, 80)!r}", types[name])
    budget = _FoldBudget()
    _read_initializers(onnx, graph, need_value, found, budget, label)
    hints = {vi.name: vi.type for vi in graph.value_info}
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    for index, node in enumerate(nodes):
        outs = [o for o in node.output if o]
        compute = _is_compute(node)
        if not compute and not any(o in need_shape for o in outs):
            continue  # no compute node's shape depends on it
        inferred, complaint = _infer_node(onnx, node, found, opsets, model.opset_import)
        if compute and complaint:
            found.rejected[index] = complaint
        for o in outs:
            tp = inferred.get(o) or hints.get(o)
            if tp is None:
                continue
            _check_rank(f"{_where(label, node, index)}: output {_short(o, 80)!r}", tp)
            found.types[o] = tp
            if (s := _static(tp)) is not None:
                found.shapes[o] = s
        if outs and outs[0] in need_value and node.op_type in _FOLD:
            _fold(onnx, node, found, budget, _where(label, node, index))
    return found


def _read_initializers(onnx: Any, graph: Any, needed: set[str], found: _Found, budget: _FoldBudget, label: str) -> None:
    """The values of the initializers shapes need, within the folding caps; never external data."""
    for t in graph.initializer:
        if t.name not in needed:
            continue
        if _external(onnx, t):
            found.external.append(t.name)
            continue
        budget.admit(f"{label}: initializer {_short(t.name, 80)!r}", math.prod(max(int(d), 0) for d in t.dims))
        value = _tensor_value(onnx, t)
        if value is not None:
            found.values[t.name] = value


def _check_rank(what: str, type_proto: Any) -> None:
    rank = len(type_proto.tensor_type.shape.dim) if type_proto.HasField("tensor_type") else 0
    if rank > MAX_RANK:
        raise ValueError(f"{what}: rank {rank:,}, over MAX_RANK = {MAX_RANK} (no real tensor has that many dimensions)")


def _safe_for_onnx(node: Any) -> bool:
    """Whether ONNX's shape inference may be run on ``node``: its Einsum inference loops forever
    on an equation with a lone '.' ('i.j,jk->ik', onnx 1.23), so an equation must be ONNX's
    grammar first."""
    if node.op_type != "Einsum":
        return True
    for a in node.attribute:
        if a.name == "equation":
            eq = a.s.decode("utf-8", "replace").replace(" ", "")
            lhs, _, rhs = eq.partition("->")
            return all(_EINSUM_TERM.fullmatch(t) for t in [*lhs.split(","), rhs])
    return True


def _infer_node(onnx: Any, node: Any, found: _Found, opsets: dict[str, int], opset_import: Any) -> tuple[
    dict[str, Any], str
]:  # fmt: skip
    """ONNX's checker and shape inference of one node: (output types, '') or ({}, its complaint);
    ({}, '') when an input's type is unknown (nothing to check it with)."""
    if any(i and i not in found.types for i in node.input):
        return {}, ""
    if not _safe_for_onnx(node):
        return {}, "its attributes are malformed"
    domain = node.domain or "ai.onnx"
    try:
        schema = onnx.defs.get_schema(node.op_type, opsets.get(domain, 1), "" if domain == "ai.onnx" else domain)
    except Exception:
        return {}, f"ONNX has no {_short(node.op_type, 40)} in opset {opsets.get(domain, 1)} of domain {domain!r}"
    try:
        ins = {i: found.types[i] for i in node.input if i}
        data = {i: onnx.numpy_helper.from_array(found.values[i], i) for i in node.input if i in found.values}
        out: dict[str, Any] = onnx.shape_inference.infer_node_outputs(
            schema, node, ins, data, opset_imports=opset_import
        )
        return out, ""
    except Exception as exc:  # an unknown op, a node ONNX rejects: its outputs stay unresolved
        return {}, _short(exc, 300)


# ------------------------------------------------------------------------------------------------
# Constant folding of shape arithmetic


def _attrs(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _fold(onnx: Any, node: Any, found: _Found, budget: _FoldBudget, where: str) -> None:
    """Fold ``node``'s output: sized by ONNX's inference first (refused over the caps), computed
    with NumPy, kept only if it has the inferred shape."""
    out_name = node.output[0]
    shape = found.shapes.get(out_name)
    if node.op_type == "Constant":
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        if value is not None and _external(onnx, value):
            found.external.append(out_name)
            return
    if node.op_type in ("Shape", "Size"):
        if not node.input or node.input[0] not in found.shapes:
            return
        ins: list[Any] = [found.shapes[node.input[0]]]
    elif any(i and i not in found.values for i in node.input):
        return
    else:
        ins = [found.values[i] if i else None for i in node.input]
    if shape is None:
        return  # ONNX's inference could not size it: not computed
    budget.admit(where, math.prod(shape))
    try:
        with np.errstate(all="ignore"):
            out = _FOLD[node.op_type](onnx, _attrs(onnx, node), ins)
        if out is None:
            return
        out = np.asarray(out)
        dtype = onnx.helper.tensor_dtype_to_np_dtype(found.types[out_name].tensor_type.elem_type)
        if out.shape != shape or out.dtype.kind not in "biuf" or np.dtype(dtype).kind not in "biuf":
            return  # not what ONNX says this node makes: leave it unknown
        with np.errstate(all="ignore"):
            found.values[out_name] = out.astype(dtype)
    except Exception:
        return  # not foldable here (an unusual attribute, an index out of range): unknown


def _axes(a: dict[str, Any], ins: list[Any], index: int) -> list[int] | None:
    if len(ins) > index and ins[index] is not None:
        return [int(v) for v in np.asarray(ins[index]).ravel()]
    return [int(v) for v in a["axes"]] if "axes" in a else None


def _fold_constant(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray | None:
    if "value" in a:
        return _tensor_value(onnx, a["value"])
    for key in ("value_ints", "value_int"):
        if key in a:
            return np.asarray(a[key], dtype=np.int64)
    for key in ("value_floats", "value_float"):
        if key in a:
            return np.asarray(a[key], dtype=np.float32)
    return None  # strings, sparse tensors: not shape arithmetic


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
        if not np.all(y):
            raise ZeroDivisionError("integer division by zero")  # undefined in ONNX: not folded
        return np.asarray(np.trunc(x / y)).astype(np.result_type(x, y))  # ONNX's integer Div truncates
    return np.asarray(x / y)


def _fold_mod(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x, y = ins
    if np.issubdtype(np.result_type(x, y), np.integer) and not np.all(y):
        raise ZeroDivisionError("integer modulo by zero")
    return np.asarray(np.fmod(x, y) if a.get("fmod", 0) else np.mod(x, y))  # fmod=0: the sign of the divisor


def _fold_clip(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
    x = ins[0]
    lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min")  # inputs since opset 11
    hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max")
    return x if lo is None and hi is None else np.asarray(np.clip(x, lo, hi)).astype(x.dtype)


def _small(shape: Sequence[Any]) -> list[int]:
    """``shape`` when a tensor of it is small enough to fold (a guard before allocating, on top
    of the size ONNX's inference gave)."""
    dims = [int(v) for v in shape]
    if any(d < 0 for d in dims) or math.prod(dims) > MAX_FOLD_ELEMENTS:
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
        x, axes = ins[0], _axes(a, ins, 1)
        if not axes and a.get("noop_with_empty_axes", 0):
            return np.asarray(x)
        extra = {}
        if np_fn in (np.max, np.min):  # ONNX: over nothing, the lowest (highest) value of the type
            low, high = (np.iinfo(x.dtype).min, np.iinfo(x.dtype).max) if x.dtype.kind in "iu" else (-np.inf, np.inf)
            extra["initial"] = low if np_fn is np.max else high
        keep = bool(a.get("keepdims", 1))
        return np.asarray(np_fn(x, axis=None if not axes else tuple(axes), keepdims=keep, **extra))

    return fold


def _elementwise(np_fn: Callable[..., Any]) -> Callable[[Any, dict[str, Any], list[Any]], np.ndarray]:
    def fold(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
        return np.asarray(np_fn(*ins))

    return fold


def _variadic(np_fn: Callable[[Any, Any], Any]) -> Callable[[Any, dict[str, Any], list[Any]], np.ndarray]:
    def fold(onnx: Any, a: dict[str, Any], ins: list[Any]) -> np.ndarray:
        return np.asarray(functools.reduce(np_fn, ins))

    return fold


#: Shape arithmetic the importer computes, op type → NumPy: fold(onnx, attributes, input values).
_FOLD: dict[str, Callable[[Any, dict[str, Any], list[Any]], np.ndarray | None]] = {
    "Constant": _fold_constant,
    "Shape": _fold_shape,
    "Size": lambda onnx, a, ins: np.array(math.prod(ins[0]), dtype=np.int64),
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
    "Mod": _fold_mod,
    "Sum": _variadic(np.add),
    "Clip": _fold_clip,
    "Max": _variadic(np.maximum),
    "Min": _variadic(np.minimum),
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
# What ONNX's operator spec allows: attributes


@dataclass(frozen=True)
class _Rule:
    """What ONNX's operator spec allows as one attribute's value.  Its name, type and whether it
    is required come from ONNX's own schema of the node's opset (``onnx.defs``)."""

    per_axis: int = 0  # an INTS attribute with this many values per spatial axis (0: any count)
    minimum: int | None = None  # every value at least this
    choices: tuple[str, ...] = ()


_AUTO_PAD = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")
_CONV_RULES = {
    "auto_pad": _Rule(choices=_AUTO_PAD),
    "dilations": _Rule(per_axis=1, minimum=1),
    "group": _Rule(minimum=1),
    "kernel_shape": _Rule(per_axis=1, minimum=1),  # and equal to the weight's kernel (_check_kernel)
    "pads": _Rule(per_axis=2, minimum=0),  # and not with auto_pad (_check_pads)
    "strides": _Rule(per_axis=1, minimum=1),
}
#: Every attribute of every supported op, in every opset (a test checks them against ``onnx.defs``).
_ATTR_RULES: dict[str, dict[str, _Rule]] = {
    "Conv": _CONV_RULES,
    "ConvTranspose": {
        **_CONV_RULES,
        "output_padding": _Rule(per_axis=1, minimum=0),  # and less than stride or dilation
        "output_shape": _Rule(per_axis=1, minimum=1),  # (spatial) an output of 0 has no layer
    },
    "Gemm": {"alpha": _Rule(), "beta": _Rule(), "transA": _Rule(), "transB": _Rule(), "broadcast": _Rule()},
    "MatMul": {},
    "Einsum": {"equation": _Rule()},  # its grammar: _einsum_terms
}
_ATTR_TYPE_NAMES = {1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 5: "GRAPH", 6: "FLOATS", 7: "INTS",
                    8: "STRINGS", 9: "TENSORS", 10: "GRAPHS", 11: "SPARSE_TENSOR", 12: "SPARSE_TENSORS",
                    13: "TYPE_PROTO", 14: "TYPE_PROTOS"}  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Compute operators → layers


@dataclass
class _Context:
    onnx: Any
    label: str
    found: _Found
    opsets: dict[str, int]

    index: int = 0  # of the node being built, for messages

    def where(self, node: Any) -> str:
        return _where(self.label, node, self.index)

    def fail(self, node: Any, what: str, message: str) -> ValueError:
        """The error of ``node``: ``what`` names the attribute or operand ('' for the node)."""
        return ValueError(f"{self.where(node)}: {what + ': ' if what else ''}{message}")

    def maybe_shape(self, node: Any, index: int) -> Shape | None:
        name = node.input[index] if len(node.input) > index else ""
        return self.found.shapes.get(name) if name else None

    def shape(self, node: Any, index: int, what: str) -> Shape:
        name = node.input[index] if len(node.input) > index else ""
        if not name:
            raise self.fail(node, what, "missing (ONNX requires it)")
        if name not in self.found.shapes:
            note = ""
            if self.found.external:
                note = (f"; the shape arithmetic reads {_short(self.found.external[0], 60)!r}, stored as external "
                        "data, which the importer never reads")  # fmt: skip
            raise self.fail(
                node, what, f"the shape of {_short(name, 80)!r} cannot be resolved{note}; export with fixed "
                "sizes, or pass batch= for a dynamic batch"
            )  # fmt: skip
        shape = self.found.shapes[name]
        if 0 in shape:
            raise self.fail(node, what, f"an empty tensor (shape {shape}) has no layer")
        return shape

    def attributes(self, node: Any, spatial: int = 0) -> dict[str, Any]:
        """``node``'s attributes, each checked against ONNX's schema of its opset (name, type,
        required) and against :data:`_ATTR_RULES` (values; ``spatial`` axes for per-axis lists)."""
        schema = self.schema(node)
        rules = _ATTR_RULES[node.op_type]
        given: dict[str, Any] = {}
        for a in node.attribute:
            spec = schema.attributes.get(a.name)
            if spec is None:
                known = ", ".join(sorted(schema.attributes)) or "none"
                raise self.fail(node, f"attribute {_short(a.name, 40)}", f"not an attribute of {node.op_type} "
                                f"(opset {schema.since_version}: {known})")  # fmt: skip
            if a.name in given:
                raise self.fail(node, f"attribute {a.name}", "given twice")
            if a.type != int(spec.type.value):
                raise self.fail(node, f"attribute {a.name}", f"must be {_ATTR_TYPE_NAMES.get(int(spec.type.value))}, "
                                f"got {_ATTR_TYPE_NAMES.get(a.type, a.type)}")  # fmt: skip
            value = self.onnx.helper.get_attribute_value(a)
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            _check_rule(self, node, a.name, rules.get(a.name, _Rule()), value, spatial)
            given[a.name] = value
        for name, spec in schema.attributes.items():
            if spec.required and name not in given:
                raise self.fail(node, f"attribute {name}", "required, and missing")
        return given

    def schema(self, node: Any) -> Any:
        version = self.opsets.get("ai.onnx", 1)
        try:
            return self.onnx.defs.get_schema(node.op_type, version)
        except Exception:
            raise self.fail(node, "", f"ONNX has no {node.op_type} in opset {version}") from None

    def onnx_check(self, node: Any, index: int) -> None:
        """ONNX's own checker and shape inference of the node (element types, operand counts, ...:
        what the checks above do not cover) must accept it."""
        complaint = self.found.rejected.get(index)
        if complaint:
            raise self.fail(node, "", f"ONNX's checker rejects it ({complaint})")


def _check_rule(ctx: _Context, node: Any, name: str, rule: _Rule, value: Any, spatial: int) -> None:
    values = list(value) if isinstance(value, list) else [value]
    what = f"attribute {name}"
    if rule.per_axis and len(values) != rule.per_axis * spatial:
        raise ctx.fail(node, what, f"has {len(values)} values, expected {rule.per_axis * spatial} "
                       f"({rule.per_axis} per spatial axis of a {spatial}-D operand)")  # fmt: skip
    if rule.minimum is not None and any(v < rule.minimum for v in values):
        raise ctx.fail(node, what, f"must be >= {rule.minimum}, got {_short(repr(value), 80)}")
    if rule.choices and value not in rule.choices:
        raise ctx.fail(node, what, f"must be one of {', '.join(rule.choices)}; got {_short(repr(value), 80)}")


def _ints(a: dict[str, Any], key: str, default: int, n: int) -> list[int]:
    return [int(v) for v in a[key]] if key in a else [default] * n


def _conv_operands(ctx: _Context, node: Any) -> tuple[Shape, Shape, dict[str, Any]]:
    """(X, W, attributes) of a Conv or ConvTranspose, checked: ranks, attributes, kernel_shape
    against the weight, pads against auto_pad."""
    x, w = ctx.shape(node, 0, "input X"), ctx.shape(node, 1, "weight W")
    if len(x) < 3 or len(w) != len(x):
        raise ctx.fail(node, "weight W", f"input X {x} and weight W {w} must have the same rank, at least 3 "
                       "(N × C × D1… and its kernel)")  # fmt: skip
    spatial = len(x) - 2
    a = ctx.attributes(node, spatial)
    if "kernel_shape" in a and tuple(a["kernel_shape"]) != w[2:]:
        raise ctx.fail(node, "attribute kernel_shape", f"{a['kernel_shape']} contradicts the weight's kernel {w[2:]}")
    if "pads" in a and a.get("auto_pad", "NOTSET") != "NOTSET":
        raise ctx.fail(node, "attribute pads", f"cannot be used with auto_pad {a['auto_pad']} (ONNX's spec)")
    return x, w, a


def _check_bias(ctx: _Context, node: Any, channels: int) -> None:
    bias = ctx.maybe_shape(node, 2)
    if bias is not None and bias != (channels,):
        raise ctx.fail(node, "bias B", f"shape {bias}, expected ({channels},): one value per output channel")


def _layer_axes(spatial: int, values: Sequence[int], one: int) -> list[int]:
    """Two axes (Y, X) from ``spatial`` (1 or 2) values: a 1-D operator is one row high."""
    return [one, *values] if spatial == 1 else list(values)


def _conv(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    x, w, a = _conv_operands(ctx, node)
    g, (n, c), m = int(a.get("group", 1)), x[:2], w[0]
    if c != w[1] * g:
        raise ctx.fail(node, "weight W", f"input channels C = {c} must equal the weight's {w[1]} × group {g}")
    if m % g:
        raise ctx.fail(node, "attribute group", f"the weight's {m} output channels are not divisible by group {g}")
    _check_bias(ctx, node, m)
    ctx.onnx_check(node, index)
    spatial = len(x) - 2
    if spatial > 2:
        raise _NoLayerForm(f"a {spatial}-D convolution")
    strides, dil = _ints(a, "strides", 1, spatial), _ints(a, "dilations", 1, spatial)
    pads, auto = _ints(a, "pads", 0, 2 * spatial), a.get("auto_pad", "NOTSET")
    sizes = []
    for axis in range(spatial):
        size, kern, s, d = x[2 + axis], w[2 + axis], strides[axis], dil[axis]
        eff = (kern - 1) * d + 1
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            total = max((-(-size // s) - 1) * s + eff - size, 0)
        else:
            total = pads[axis] + pads[axis + spatial]  # NOTSET (pads or none) and VALID (none)
        padded = size + total
        if padded < eff:
            raise ctx.fail(node, "weight W", f"the kernel ({eff} wide, dilated) does not fit the padded input "
                           f"({padded}) on spatial axis {axis}: no output")  # fmt: skip
        o = (padded - eff) // s + 1
        # a dilated kernel: the k×k layer with the input that gives the same output (exact MACs)
        sizes.append(padded if d == 1 else (o - 1) * s + kern)
    ys, ks, ss = _layer_axes(spatial, sizes, 1), _layer_axes(spatial, w[2:], 1), _layer_axes(spatial, strides, 1)
    args = dict(K=m, C=c, Y=ys[0], X=ys[1], R=ks[0], S=ks[1], name=_node_label(node, index), stride=tuple(ss), batch=n)
    if g > 1 and g == c and m == c:
        return [{**args, "K": 1, "kind": "DSCONV"}]
    return [{**args, "kind": "CONV", "groups": g}]


def _conv_transpose(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    x, w, a = _conv_operands(ctx, node)
    g, c, spatial = int(a.get("group", 1)), x[1], len(x) - 2
    if w[0] != c:
        raise ctx.fail(node, "weight W", f"its first dimension {w[0]} must equal the input channels C = {c}")
    if c % g:
        raise ctx.fail(node, "attribute group", f"the input channels C = {c} are not divisible by group {g}")
    strides, dil = _ints(a, "strides", 1, spatial), _ints(a, "dilations", 1, spatial)
    extra = _ints(a, "output_padding", 0, spatial)
    if any(p >= max(s, d) for p, s, d in zip(extra, strides, dil, strict=True)):
        raise ctx.fail(node, "attribute output_padding", f"{extra} must be less than the stride or the dilation "
                       f"of its axis (strides {strides}, dilations {dil})")  # fmt: skip
    _check_bias(ctx, node, w[1] * g)
    ctx.onnx_check(node, index)
    if spatial > 2:
        raise _NoLayerForm(f"a {spatial}-D transposed convolution")
    pads, auto = _ints(a, "pads", 0, 2 * spatial), a.get("auto_pad", "NOTSET")
    outs = []
    for axis in range(spatial):
        size, kern, s, d = x[2 + axis], w[2 + axis], strides[axis], dil[axis]
        eff = (kern - 1) * d + 1
        if "output_shape" in a:
            o = int(a["output_shape"][axis])
            if o < size:  # ONNX's shape inference gives up there ("cannot be smaller than the input")
                raise ctx.fail(node, "attribute output_shape", f"{a['output_shape']} is smaller than the input "
                               f"{x[2:]} on spatial axis {axis}")  # fmt: skip
        else:  # ONNX's shape inference: SAME pads the difference of kernel and stride
            total = max(eff - s, 0) if auto in ("SAME_UPPER", "SAME_LOWER") else pads[axis] + pads[axis + spatial]
            o = s * (size - 1) + extra[axis] + eff - total
        if o < 1:
            raise ctx.fail(node, "attribute pads", f"the output on spatial axis {axis} would be {o} wide")
        outs.append(o)
    ys, ks = _layer_axes(spatial, outs, 1), _layer_axes(spatial, w[2:], 1)
    # MAESTRO's TRCONV: the direct convolution over the zero-upsampled, padded input, whose
    # output is the transposed convolution's (stride 1, input O + R − 1)
    return [dict(
        K=w[1] * g, C=c, Y=ys[0] + ks[0] - 1, X=ys[1] + ks[1] - 1, R=ks[0], S=ks[1], kind="TRCONV",
        name=_node_label(node, index), batch=x[0], groups=g,
    )]  # fmt: skip


def _node_label(node: Any, index: int) -> str:
    return node.name or f"{node.op_type}_{index}"


def _gemm_layer(name: str, m: int, n: int, k: int, groups: int = 1) -> dict[str, Any]:
    """``groups`` independent GEMMs (M × K)·(K × N): one GEMM layer, or a grouped 1×1 CONV."""
    if groups == 1:
        return dict(K=n, C=k, Y=m, X=1, R=1, S=1, kind="GEMM", name=name)
    return dict(K=n * groups, C=k * groups, Y=m, X=1, R=1, S=1, kind="CONV", name=name, groups=groups)


def _broadcast(ctx: _Context, node: Any, what: str, *shapes: Shape) -> Shape:
    """NumPy's multidirectional broadcast of ``shapes`` (ONNX's), or an error naming the node."""
    out: list[int] = []
    for dims in zip(*(((1,) * (max(map(len, shapes)) - len(s)) + s) for s in shapes), strict=True):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ctx.fail(node, what, f"{' and '.join(map(str, shapes))} do not broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _gemm(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    a_shape, b_shape = ctx.shape(node, 0, "A"), ctx.shape(node, 1, "B")
    for what, s in (("A", a_shape), ("B", b_shape)):
        if len(s) != 2:
            raise ctx.fail(node, what, f"must be a matrix, got shape {s}")
    at = ctx.attributes(node)
    m, k = a_shape[::-1] if at.get("transA", 0) else a_shape  # ONNX: any non-zero transA transposes
    k2, n = b_shape[::-1] if at.get("transB", 0) else b_shape
    if k != k2:
        raise ctx.fail(node, "B", f"inner sizes differ ({k} and {k2}; A {a_shape}, B {b_shape})")
    bias = ctx.maybe_shape(node, 2)
    if bias is not None and (len(bias) > 2 or _broadcast(ctx, node, "C", bias, (m, n)) != (m, n)):
        raise ctx.fail(node, "C", f"shape {bias} does not broadcast to the output ({m}, {n})")
    ctx.onnx_check(node, index)
    return [_gemm_layer(_node_label(node, index), m, n, k)]


def _matmul(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    a, b = ctx.shape(node, 0, "A"), ctx.shape(node, 1, "B")
    ctx.attributes(node)  # none: an unknown one is an error
    if not a or not b:
        raise ctx.fail(node, "", f"an operand is a scalar, got {a} and {b}")
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    m, k, k2, n = a2[-2], a2[-1], b2[-2], b2[-1]
    if k != k2:
        raise ctx.fail(node, "B", f"inner sizes differ, {a} and {b}")
    both = math.prod(_broadcast(ctx, node, "batch dimensions", a2[:-2], b2[:-2]))
    ctx.onnx_check(node, index)
    batch_a, batch_b = math.prod(a2[:-2]), math.prod(b2[:-2])
    name = _node_label(node, index)
    if batch_b == 1:  # a shared right operand (a Linear's weight): the batch is more rows
        return [_gemm_layer(name, m * batch_a, n, k)]
    if batch_a == 1:  # a shared left operand: the batch is more columns
        return [_gemm_layer(name, m, n * batch_b, k)]
    return [_gemm_layer(name, m, n, k, groups=both)]


_EINSUM_TERM = re.compile(r"[a-zA-Z]*(\.\.\.)?[a-zA-Z]*")


def _einsum_terms(eq: str, ranks: Sequence[int]) -> tuple[list[str], str]:
    """The operand terms and the output term of the Einsum ``eq`` over operands of ``ranks``,
    each ellipsis replaced by letters the equation does not use (right-aligned, as broadcasting
    aligns them).  A ``ValueError`` says what the equation breaks of ONNX's grammar."""
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"{len(terms)} operand term(s) for {len(ranks)} input(s)")
    for t in [*terms, *([rhs] if arrow else [])]:
        if not _EINSUM_TERM.fullmatch(t):
            raise ValueError(f"the term {_short(t, 40)!r} is not letters with at most one '...'")
    widths = [r - len(t.replace("...", "")) for t, r in zip(terms, ranks, strict=True)]
    for t, r, width in zip(terms, ranks, widths, strict=True):
        if width < 0 or (width and "..." not in t):
            raise ValueError(f"the term {t!r} does not match an operand of rank {r}")
    ell_width = max((wd for t, wd in zip(terms, widths, strict=True) if "..." in t), default=0)
    free = [c for c in string.ascii_letters if c not in eq]
    if ell_width > len(free):  # each dimension an ellipsis stands for needs a letter of its own
        raise ValueError(f"the ellipsis stands for {ell_width} dimensions, more than the {len(free)} letters "
                         "the equation leaves free")  # fmt: skip
    ell = "".join(free[:ell_width])
    out_terms = [t.replace("...", ell[ell_width - wd :]) for t, wd in zip(terms, widths, strict=True)]
    letters = "".join(t.replace("...", "") for t in terms)
    if not arrow:  # implicit output: the ellipsis, then the letters seen once, in ASCII order
        return out_terms, ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for c in rhs.replace("...", ""):
        if rhs.count(c) > 1:
            raise ValueError(f"the output term {rhs!r} repeats {c!r}")
        if c not in letters:
            raise ValueError(f"the output letter {c!r} is in no input term")
    return out_terms, rhs.replace("...", ell)


def _einsum_sizes(terms: Sequence[str], shapes: Sequence[Shape], ell: set[str]) -> dict[str, int]:
    """The size of each letter: equal wherever it appears (ellipsis letters broadcast)."""
    size: dict[str, int] = {}
    for t, s in zip(terms, shapes, strict=True):
        for c, d in zip(t, s, strict=True):
            old = size.setdefault(c, d)
            if old != d and not (c in ell and 1 in (old, d)):
                raise ValueError(f"index {c!r} is {old} in one place and {d} in another")
            size[c] = max(old, d)
    return size


def _einsum(ctx: _Context, node: Any, index: int) -> list[dict[str, Any]]:
    eq = ctx.attributes(node)["equation"]
    if len(node.input) == 1 and ctx.maybe_shape(node, 0) is None:
        return []  # one operand (a transpose, a trace, a sum): no layer, its shape not needed
    shapes = [ctx.shape(node, i, f"operand {i}") for i in range(len(node.input))]
    try:
        terms, out = _einsum_terms(eq, [len(s) for s in shapes])
        ell = {c for t in terms for c in t if c not in eq}  # the letters an ellipsis stands for
        size = _einsum_sizes(terms, shapes, ell)
    except ValueError as exc:
        raise ctx.fail(node, f"attribute equation {_short(repr(eq), 60)}", str(exc)) from None
    ctx.onnx_check(node, index)
    if len(terms) == 1:
        return []  # one operand: a transpose, a trace or a sum, no multiplications to speak of
    if len(terms) != 2:
        raise _NoLayerForm(f"an Einsum of {len(terms)} operands")
    ta, tb = terms
    if len(set(ta)) < len(ta) or len(set(tb)) < len(tb):
        raise _NoLayerForm(f"an Einsum {eq!r} that takes a diagonal (an index repeated in one operand)")
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


#: Compute operators → their layers (each checks its node against ONNX's spec first).
_COMPUTE: dict[str, Callable[[_Context, Any, int], list[dict[str, Any]]]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Einsum": _einsum,
}


class _NoLayerForm(ValueError):
    """A compute node this importer cannot express as layers (strict import refuses it)."""


def _inner_compute(node: Any, functions: dict[_Key, Any], memo: dict[int, frozenset[str]],
                   depth: int = 0) -> frozenset[str]:  # fmt: skip
    """Compute op types inside ``node``'s subgraphs (If, Loop, Scan) or its local function body
    (memoized per function: functions that call each other twice stay linear)."""
    callee = _call(node, functions)
    key = id(callee)
    if callee is not None and key in memo:
        return memo[key]
    found: set[str] = set()
    for n in [*_subgraph_nodes(node), *(callee.node if callee is not None else [])]:
        if n.op_type in _COMPUTE or n.op_type in UNSUPPORTED_COMPUTE_OPS:
            found.add(n.op_type)
        elif depth < 64:
            found |= _inner_compute(n, functions, memo, depth + 1)
    if callee is not None:
        memo[key] = frozenset(found)
    return frozenset(found)


def _refusal(node: Any, functions: dict[_Key, Any], memo: dict[int, frozenset[str]]) -> str:
    """Why strict import refuses ``node`` ('' when it does not)."""
    if node.op_type in UNSUPPORTED_COMPUTE_OPS:
        return "a compute operator with no layer form"
    if _is_compute(node):
        return ""
    inner = _inner_compute(node, functions, memo)
    if inner:
        return f"an operator whose subgraph or function body computes ({', '.join(sorted(inner))}), with no layer form"
    return ""


def _build(ctx: _Context, node: Any, index: int) -> tuple[list[dict[str, Any]], str]:
    """(layers, why strict import refuses it) of a compute node; any failure names the node."""
    ctx.index = index
    try:
        return _COMPUTE[node.op_type](ctx, node, index), ""
    except _NoLayerForm as exc:
        return [], str(exc)
    except ValueError:
        raise  # ours: it names the node
    except Exception as exc:  # a malformed node our checks let through: still name it
        raise ctx.fail(node, "", f"cannot be read ({type(exc).__name__}: {_short(exc)})") from None


def _check_graph(graph: Any, label: str) -> None:
    """ONNX's rules of a graph that shape resolution relies on: each tensor is assigned once (a
    graph input, an initializer or one node's output: static single assignment), the nodes are
    topologically sorted (a node's inputs are produced before it, so there is no cycle), and a
    graph input that has an initializer (its default value) is declared with the initializer's
    shape.  A tensor written by two nodes gave its consumers the last writer's shape, whichever
    came first; a ``ValueError`` names the node or the input instead."""
    defaults = {t.name: [int(d) for d in t.dims] for t in graph.initializer}
    for vi in graph.input:
        declared = _static(vi.type) if vi.name in defaults else None
        if declared is not None and list(declared) != defaults[vi.name]:
            raise ValueError(f"{label}: graph input {_short(vi.name, 80)!r} is declared {declared} but its "
                             f"initializer (its default value) is {tuple(defaults[vi.name])}")  # fmt: skip
    produced = set(defaults) | {vi.name for vi in graph.input}
    made_by_nodes = {o for n in graph.node for o in n.output if o}
    for index, node in enumerate(graph.node):
        for name in node.input:
            if name and name in made_by_nodes and name not in produced:
                raise ValueError(f"{_where(label, node, index)}: input {_short(name, 80)!r} is produced by this node "
                                 "or a later one (ONNX graphs are topologically sorted, without cycles)")  # fmt: skip
        for name in node.output:
            if not name:
                continue
            if name in produced:
                raise ValueError(f"{_where(label, node, index)}: output {_short(name, 80)!r} is already a graph input, "
                                 "an initializer or another node's output (ONNX assigns each tensor once)")  # fmt: skip
            produced.add(name)


def _import(onnx: Any, model: Any, label: str, batch: int, strict: bool) -> Imported:
    for i, node in enumerate(model.graph.node):
        if not isinstance(node.op_type, str) or not isinstance(node.name, str):
            raise ValueError(f"{label}: node {i}: its op type or name is not UTF-8 text (a corrupt file?)")
    model = _inline(onnx, model, label)
    _check_graph(model.graph, label)
    functions = {_key(f): f for f in model.functions}
    found = _resolve(onnx, model, label, batch)
    ctx = _Context(onnx, label, found, {o.domain or "ai.onnx": o.version for o in model.opset_import})
    layers: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    refused: list[str] = []
    memo: dict[int, frozenset[str]] = {}
    for i, node in enumerate(model.graph.node):
        made: list[dict[str, Any]] = []
        why = _refusal(node, functions, memo)
        if _is_compute(node):
            made, why = _build(ctx, node, i)
        if why:
            if strict:
                raise ValueError(
                    f"{_where(label, node, i)}: op {node.op_type} is {why} (strict=False skips it, counted and warned)"
                )
            refused.append(f"{node.name or f'#{i}'} ({node.op_type})")
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
