"""GEMM workloads (MAESTRO's GNMT and NCF model files) as lists of layers.

MAESTRO's model files list these networks as bare GEMM shapes without saying which operator each
one is, so the shapes below follow the files; only their regular structure is spelled out.  Each
GEMM (M × K) · (K × N) is a 1×1 convolution (:meth:`Layer.gemm`): ``K = N`` filters, ``C = K``
channels, ``Y = M`` rows.  ``batch`` multiplies every M: ``batch=b`` is b copies of the file's
workload processed together (the weights, N × K, are shared).
"""

from __future__ import annotations

from ..workload import Layer
from ._cnn import _check_int

_GNMT_HIDDEN = 1024


def _gemms(name: str, shapes: list[tuple[int, int, int]], batch: int) -> list[Layer]:
    b = _check_int("batch", batch, 1)
    return [Layer.gemm(m * b, n, k, name=f"{name}.{i}") for i, (m, n, k) in enumerate(shapes)]


def gnmt(batch: int = 1) -> list[Layer]:
    """GNMT's nine GEMMs in file order: four of shape M=128, N=2·1024, K=4·1024 (the sizes of a
    1024-wide LSTM's gate GEMM) and five of M=320, N=3·1024, K=4·1024 (layers with a third input
    of the hidden width), interleaved as MAESTRO lists them."""
    h = _GNMT_HIDDEN
    small, large = (128, 2 * h, 4 * h), (320, 3 * h, 4 * h)
    order = "SSLSSLLLL"  # MAESTRO's gnmt_model.m
    return _gemms("gnmt", [small if c == "S" else large for c in order], batch)


def ncf(batch: int = 1) -> list[Layer]:
    """NCF's twelve GEMMs in file order: three on the 2048-wide embedding side (M = 256 or 128
    rows), six MLP layers on 2048 rows between widths of 64 to 256, and three 1-wide
    prediction GEMMs."""
    rows = 2048
    embedding = [(256, 128, rows), (128, 64, rows), (256, 256, rows)]
    mlp = [(rows, n, k) for n, k in ((256, 256), (256, 256), (128, 256), (256, 128), (128, 64), (64, 128))]
    prediction = [(128, 1, rows), (rows, 1, 128), (rows, 128, 1)]
    return _gemms("ncf", embedding + mlp + prediction, batch)
