"""Pass 1: a :class:`~confuciux.workload.Layer` as MAESTRO sees it.

MAESTRO knows a layer by its type, its declared dimensions (sizes and strides) and three tensors,
each coupled to a list of dimensions.  The type and dimensions are the language's
(:func:`confuciux.dataflow.maestro_layer`, the one place that decides how a layer is written for
MAESTRO: a grouped CONV is an ``NGCONV`` with per-group ``K`` and ``C``, a TRCONV a CONV, ``N``
declared when the batch is not 1 or the program maps it, a GEMM MAESTRO's ``GEMM`` under a GEMM
program and the equivalent 1×1 CONV otherwise); this pass adds the tensors, the strides and the
sliding windows, and what the layer really needs (for the impossibility checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...dataflow.dimensions import maestro_layer
from ...dataflow.program import Bound, Dataflow, Spatial, Temporal
from ...workload import Layer
from .quirks import I32_MAX, INPUT_HEIGHT, INPUT_WIDTH
from .status import Status, Stop

__all__ = ["Problem", "problem_of"]

#: MAESTRO's tensors per layer type: (input, filter, output) coupled dimensions, without the
#: batch (``N`` leads the input and output when declared).
_TENSORS = {
    "CONV": (("C", "Y", "X"), ("K", "C", "R", "S"), ("K", "Y", "X")),
    "TRCONV": (("C", "Y", "X"), ("K", "C", "R", "S"), ("K", "Y", "X")),  # a CONV to MAESTRO's analysis
    "DSCONV": (("C", "Y", "X"), ("C", "R", "S"), ("C", "Y", "X")),
    "NGCONV": (("G", "C", "Y", "X"), ("G", "K", "C", "R", "S"), ("G", "K", "C", "Y", "X")),
    "GEMM": (("M", "K"), ("K", "N"), ("M", "N")),
}


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

    @property
    def input_vars(self) -> tuple[str, ...]:
        """The dimensions the input tensors (input, filter) are coupled to, sorted as MAESTRO
        sorts them (byte order): the dimensions every cluster level must map."""
        return tuple(sorted(set(self.input) | set(self.filter)))


def problem_of(layer: Layer, program: Sequence[Bound], dataflow: Dataflow | None = None) -> Problem:
    """MAESTRO's view of ``layer`` under ``program`` (bound directives; ``dataflow`` the program
    they were bound from, if known: it decides the GEMM form exactly as binding did).  A layer
    MAESTRO cannot be given under this program (a grouped TRCONV; a GEMM program on a GEMM with
    X, R, S or batch not 1) is a ValueError."""
    if dataflow is None:
        dataflow = _naming(b.dim for b in program if b.kind != "cluster")
    kind, declared = maestro_layer(layer, dataflow)
    dims = _checked(list(declared.items()))
    batch = ("N",) if "N" in declared else ()
    if kind == "GEMM":
        m, n, k = declared["M"], declared["N"], declared["K"]
        return Problem(kind, dims, (), *_TENSORS["GEMM"], (), m * n * k, m * k, k * n, m * n)
    inp, flt, out = _TENSORS[kind]
    sy, sx = layer.stride
    return Problem(
        kind=kind,
        dims=dims,
        strides=((INPUT_WIDTH, sx), (INPUT_HEIGHT, sy)) if (sy, sx) != (1, 1) else (),
        input=(*batch, *inp),
        filter=flt,
        output=(*batch, *out),
        overlaps=((INPUT_WIDTH, "S"), (INPUT_HEIGHT, "R")),
        work=layer.macs,
        input_used=layer.batch * layer.C * _touched(layer.out_y, sy, layer.R) * _touched(layer.out_x, sx, layer.S),
        filter_size=layer.C * layer.R * layer.S * (1 if layer.depthwise else layer.K // layer.groups),
        output_size=layer.batch * (layer.C if layer.depthwise else layer.K) * layer.out_y * layer.out_x,
    )


def _naming(dims: Iterable[str]) -> Dataflow | None:
    """A program that names exactly ``dims`` (one level, one spatial map), None for no
    dimension: what :func:`maestro_layer` reads of a program is the dimensions it names.  An
    unknown dimension is a ValueError."""
    names = list(dict.fromkeys(dims))
    if not names:
        return None
    return Dataflow([Spatial(names[0], 1), *(Temporal(d, 1) for d in names[1:])])


def _checked(dims: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    for name, size in dims:
        if size > I32_MAX:
            raise Stop(Status.OVERFLOW, f"dimension {name} = {size} does not fit MAESTRO's 32-bit int")
    return tuple(dims)


def _touched(outputs: int, stride: int, kernel: int) -> int:
    """Input rows (columns) some window touches: ``outputs`` windows of ``kernel`` rows,
    ``stride`` apart."""
    return (outputs - 1) * min(stride, kernel) + kernel
