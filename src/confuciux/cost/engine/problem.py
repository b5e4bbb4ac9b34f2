"""Pass 1: a :class:`~confuciux.workload.Layer` as MAESTRO sees it.

MAESTRO knows a layer by its type, its declared dimensions (sizes and strides) and three tensors,
each coupled to a list of dimensions.  This pass writes our layer in those terms exactly as
confuciux writes it into a MAESTRO file (formats/maestro.py): a grouped CONV/TRCONV is an
``NGCONV`` with per-group ``K`` and ``C``; a TRCONV is a CONV (MAESTRO parses it as one, with an
inner stride no result depends on); the batch ``N`` is declared only when it is not 1; a GEMM is
MAESTRO's ``GEMM`` (``M``, ``N``, ``K``) when the program maps GEMM dimensions, else the
equivalent 1×1 CONV.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...workload import Layer
from .quirks import I32_MAX, INPUT_HEIGHT, INPUT_WIDTH
from .status import Status, Stop

__all__ = ["Problem", "problem_of", "CONV_ONLY_DIMS"]

#: Dimensions that only a convolution has: a GEMM layer whose program maps one of them is costed
#: as the equivalent 1×1 CONV.
CONV_ONLY_DIMS = frozenset({"C", "R", "S", "Y", "X", "Y'", "X'", "G"})


@dataclass(frozen=True)
class Problem:
    """One layer in MAESTRO's terms.

    ``kind``: MAESTRO's layer type (``CONV``, ``DSCONV``, ``NGCONV``, ``GEMM``); ``dims``: the
    declared dimensions and sizes in declaration order; ``strides``: ``Stride { }`` entries;
    ``input``, ``filter``, ``output``: the dimensions each tensor is coupled to, in MAESTRO's
    order; ``overlaps``: (reference, sliding) pairs of a sliding window (``Y`` over ``R``,
    ``X`` over ``S``).  For the impossibility checks, what the layer really needs: ``work``
    MACs, ``input_used`` input elements (those some window touches: a stride larger than the
    kernel skips rows and columns), ``filter_size`` weights and ``output_size`` outputs."""

    kind: str
    dims: tuple[tuple[str, int], ...]
    strides: tuple[tuple[str, int], ...]
    input: tuple[str, ...]
    filter: tuple[str, ...]
    output: tuple[str, ...]
    overlaps: tuple[tuple[str, str], ...]
    work: int
    input_used: int
    filter_size: int
    output_size: int

    def size(self, dim: str) -> int:
        return dict(self.dims)[dim]

    @property
    def input_vars(self) -> tuple[str, ...]:
        """The dimensions the input tensors (input, filter) are coupled to, sorted as MAESTRO
        sorts them (byte order): the dimensions every cluster level must map."""
        return tuple(sorted(set(self.input) | set(self.filter)))


def problem_of(layer: Layer, mapped: Iterable[str] = ()) -> Problem:
    """MAESTRO's view of ``layer``; ``mapped``: the dimensions the program names (it decides
    whether a GEMM is written as MAESTRO's GEMM or as a 1×1 CONV)."""
    if layer.kind == "GEMM" and not (set(mapped) & CONV_ONLY_DIMS):
        return _gemm(layer)
    return _conv(layer)


def _checked(dims: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    for name, size in dims:
        if size > I32_MAX:
            raise Stop(Status.OVERFLOW, f"dimension {name} = {size} does not fit MAESTRO's 32-bit int")
    return tuple(dims)


def _gemm(layer: Layer) -> Problem:
    # Layer.gemm stores (M x K)·(K x N) as K=N filters over C=K channels of an M x 1 input; a
    # batch stacks its rows (M·N_batch), as the weights are shared.
    m, n, k = layer.Y * layer.batch, layer.K, layer.C
    return Problem(
        kind="GEMM",
        dims=_checked([("M", m), ("N", n), ("K", k)]),
        strides=(),
        input=("M", "K"),
        filter=("K", "N"),
        output=("M", "N"),
        overlaps=(),
        work=m * n * k,
        input_used=m * k,
        filter_size=k * n,
        output_size=m * n,
    )


def _conv(layer: Layer) -> Problem:
    g, n = layer.groups, layer.batch
    batch = ("N",) if n != 1 else ()
    dims = [("N", n)] if n != 1 else []
    tensors: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    if layer.kind == "DSCONV":
        kind = "DSCONV"
        dims += [("K", layer.K), ("C", layer.C)]
        tensors = ((*batch, "C", "Y", "X"), ("C", "R", "S"), (*batch, "C", "Y", "X"))
        filter_size, channels_out = layer.C * layer.R * layer.S, layer.C
    elif g != 1:
        kind = "NGCONV"
        dims += [("G", g), ("K", layer.K // g), ("C", layer.C // g)]
        tensors = ((*batch, "G", "C", "Y", "X"), ("G", "K", "C", "R", "S"), (*batch, "G", "K", "C", "Y", "X"))
        filter_size, channels_out = layer.K * (layer.C // g) * layer.R * layer.S, layer.K
    else:
        kind = "CONV"  # CONV, TRCONV
        dims += [("K", layer.K), ("C", layer.C)]
        tensors = ((*batch, "C", "Y", "X"), ("K", "C", "R", "S"), (*batch, "K", "Y", "X"))
        filter_size, channels_out = layer.K * layer.C * layer.R * layer.S, layer.K
    dims += [(INPUT_HEIGHT, layer.Y), (INPUT_WIDTH, layer.X), ("R", layer.R), ("S", layer.S)]
    sy, sx = layer.stride
    strides = ((INPUT_WIDTH, sx), (INPUT_HEIGHT, sy)) if (sy, sx) != (1, 1) else ()
    return Problem(
        kind=kind,
        dims=_checked(dims),
        strides=strides,
        input=tensors[0],
        filter=tensors[1],
        output=tensors[2],
        overlaps=((INPUT_WIDTH, "S"), (INPUT_HEIGHT, "R")),
        work=layer.macs,
        input_used=n * layer.C * _touched(layer.out_y, sy, layer.R) * _touched(layer.out_x, sx, layer.S),
        filter_size=filter_size,
        output_size=n * channels_out * layer.out_y * layer.out_x,
    )


def _touched(outputs: int, stride: int, kernel: int) -> int:
    """Input rows (columns) some window touches: ``outputs`` windows of ``kernel`` rows,
    ``stride`` apart."""
    return (outputs - 1) * min(stride, kernel) + kernel
