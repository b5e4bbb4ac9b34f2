"""Costs of a design whose layers may use different dataflows (a heterogeneous layer-pipelined
design: every layer's sub-accelerator has its own dataflow)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..hardware import Hardware
from . import DATAFLOWS, LayerCosts, LayersLike, evaluate

__all__ = ["evaluate_design", "per_layer_dataflows"]


def per_layer_dataflows(dataflows: str | Sequence[str], n_layers: int) -> tuple[str, ...]:
    """``dataflows`` as one lower-case name per layer: a string applies to every layer, a
    sequence must name one dataflow (``dla``, ``shi`` or ``eye``) for each of the ``n_layers``."""
    names = (dataflows,) * n_layers if isinstance(dataflows, str) else tuple(dataflows)
    if len(names) != n_layers:
        raise ValueError(f"dataflows names {len(names)} layers but the model has {n_layers}")
    out = []
    for i, d in enumerate(names):
        if not isinstance(d, str) or d.lower() not in DATAFLOWS:
            raise ValueError(f"layer {i}: unknown dataflow {d!r}; expected one of {list(DATAFLOWS)}")
        out.append(d.lower())
    return tuple(out)


def evaluate_design(model: LayersLike, pes: ArrayLike, buffers: ArrayLike, dataflows: str | Sequence[str],
                    hardware: Hardware | None = None) -> LayerCosts:  # fmt: skip
    """Per-layer costs (:class:`LayerCosts`, shape (..., N)) of a design in which layer i runs
    with ``pes[..., i]`` PEs, buffer setting ``buffers[..., i]`` and dataflow ``dataflows[i]``
    (a string: every layer; depthwise layers always use dpt, as in :func:`evaluate`).  Equal to
    :func:`evaluate` layer by layer; units as there (cycles, nJ, µm², mW, bytes)."""
    n = len(evaluate(model, 1, 1, "dla", hardware).runtime)  # the layer count, checked by evaluate
    names = per_layer_dataflows(dataflows, n)
    distinct = tuple(dict.fromkeys(names))
    if len(distinct) == 1:
        return evaluate(model, pes, buffers, distinct[0], hardware)
    parts = [evaluate(model, pes, buffers, d, hardware) for d in distinct]
    which = np.array([distinct.index(d) for d in names])

    def pick(arrays: list[np.ndarray]) -> np.ndarray:
        out = np.array(arrays[0], copy=True)
        for j in range(1, len(arrays)):
            out = np.where(which == j, arrays[j], out)
        return np.asarray(out)

    picked = {name: pick([p[name] for p in parts]) for name in parts[0].computed}
    return LayerCosts._of(picked, pick([p.valid for p in parts]), pick([p.status for p in parts]))
