"""MAESTRO's view of a layer: the ``Type`` and ``Dimensions`` it is written with.

One function, :func:`maestro_layer`, decides how a layer reads in MAESTRO — the model and mapping
file writers (:mod:`confuciux.formats.maestro`) write exactly this, and binding a program
(:mod:`.bind`) takes ``Sz(D)`` from it — so a bound program and the file MAESTRO runs can never
disagree.  A layer is anything with the attributes of :class:`~confuciux.workload.Layer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .program import DIMENSIONS, Dataflow

__all__ = ["LayerShape", "maestro_layer", "analysed_dims", "is_gemm_program", "GEMM_DIMS"]

#: The dimensions of MAESTRO's GEMM layer: (M × K) · (K × N).
GEMM_DIMS = ("M", "N", "K")


class LayerShape(Protocol):
    """What MAESTRO's view reads of a layer (:class:`~confuciux.workload.Layer` has it)."""

    @property
    def K(self) -> int: ...
    @property
    def C(self) -> int: ...
    @property
    def Y(self) -> int: ...
    @property
    def X(self) -> int: ...
    @property
    def R(self) -> int: ...
    @property
    def S(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def batch(self) -> int: ...
    @property
    def groups(self) -> int: ...


def is_gemm_program(program: Dataflow) -> bool:
    """Whether ``program`` is written for MAESTRO's GEMM layer: it names ``M`` and no dimension
    outside M, N, K.  Any other program is a convolution's."""
    dims = program.dims
    return "M" in dims and dims <= set(GEMM_DIMS)


def maestro_layer(layer: LayerShape, program: Dataflow | None = None) -> tuple[str, dict[str, int]]:
    """``(type, dimensions)``: how ``layer`` is written for MAESTRO when it runs ``program``.

    * A GEMM is MAESTRO's ``GEMM`` with ``M = Y``, ``N = K``, ``K = C`` when ``program`` is a GEMM
      program (or None: a model file), and otherwise the equivalent 1×1 ``CONV`` (``K`` filters,
      ``C`` channels, ``Y`` × 1 input): MAESTRO refuses a convolution's program on a GEMM
      ("Cannot find the dimension R") and costs the CONV exactly as we cost the GEMM.  A GEMM
      whose ``X``, ``R``, ``S`` or batch is not 1 has no M/N/K form: its model-file type is
      ``GEMM`` with the convolution's dimensions (our reader takes those back).
    * A grouped CONV is ``NGCONV``, whose ``K`` and ``C`` are per group, with ``G``.
    * ``N`` (the batch) is written when it is not 1, or when ``program`` names it.

    Order: ``N G K C Y X R S`` (GEMM: ``M N K``).  A grouped TRCONV is a ValueError: MAESTRO
    has none (it drops ``G`` from a TRCONV, costing one group, and refuses a map on ``G``)."""
    kind = layer.kind.upper()
    g = layer.groups
    mnk = (layer.X, layer.R, layer.S, layer.batch) == (1, 1, 1, 1)
    if kind == "GEMM" and (program is None or is_gemm_program(program)):
        if mnk:
            return "GEMM", {"M": layer.Y, "N": layer.K, "K": layer.C}
        if program is not None:
            raise ValueError(
                f"a GEMM program (of {', '.join(sorted(program.dims))}) needs a GEMM layer with X = R = S = batch = 1, "
                f"got X={layer.X}, R={layer.R}, S={layer.S}, batch={layer.batch}"
            )
    if g != 1 and kind != "CONV":
        raise ValueError(
            f"MAESTRO has no grouped {kind}: it drops G from a {kind} (costing one group) and refuses a map on G; "
            "only a CONV has a grouped form (NGCONV)"
        )
    dims: dict[str, int] = {}
    if layer.batch != 1 or (program is not None and "N" in program.dims):
        dims["N"] = layer.batch
    if g != 1:
        dims["G"] = g
    dims.update(K=layer.K // g, C=layer.C // g, Y=layer.Y, X=layer.X, R=layer.R, S=layer.S)
    if kind == "GEMM":
        kind = "GEMM" if program is None else "CONV"
    return ("NGCONV" if g != 1 else kind), dims


def analysed_dims(kind: str, dims: Mapping[str, int]) -> frozenset[str]:
    """The dimensions MAESTRO's analysis finds for a layer written with ``dims``: those given,
    and for a convolution the output ``Y'``/``X'`` it derives from ``Y``/``X`` (or the input
    from the output).  A map of any other dimension is refused ("Dimension Q not found")."""
    out = set(dims)
    if kind.upper() != "GEMM":
        for a, b in (("Y", "Y'"), ("X", "X'")):
            if a in out or b in out:
                out |= {a, b}
    return frozenset(out & set(DIMENSIONS))
