"""GEMM workloads (MAESTRO's GNMT and NCF model files) as lists of layers.

Each GEMM (M × K) · (K × N) is a 1×1 convolution (:meth:`Layer.gemm`).  The row count M is the
number of input vectors a GEMM processes at once (batch, or batch × time steps); ``batch``
multiplies it.
"""

from __future__ import annotations

from ..workload import Layer
from ._cnn import _check_int

# (M, N, K) at batch 1, in MAESTRO's model-file order.
_GNMT_LSTM = (128, 2048, 4096)  # LSTM gate GEMMs of the encoder
_GNMT_ATTN = (320, 3072, 4096)  # decoder steps with attention


def _gemms(name: str, shapes: list[tuple[int, int, int]], batch: int) -> list[Layer]:
    b = _check_int("batch", batch, 1)
    return [Layer.gemm(m * b, n, k, name=f"{name}.{i}") for i, (m, n, k) in enumerate(shapes)]


def gnmt(batch: int = 1) -> list[Layer]:
    """GNMT's GEMMs: two encoder LSTM layers, one decoder layer, two encoder, four decoder."""
    lstm, attn = _GNMT_LSTM, _GNMT_ATTN
    return _gemms("gnmt", [lstm, lstm, attn, lstm, lstm, attn, attn, attn, attn], batch)


def ncf(batch: int = 1) -> list[Layer]:
    """Neural collaborative filtering: embedding projections (M = users/items per step), the
    MLP tower on 2048 samples, and the prediction layers."""
    shapes = [
        (256, 128, 2048), (128, 64, 2048), (256, 256, 2048),          # embedding GEMMs
        (2048, 256, 256), (2048, 256, 256), (2048, 128, 256),         # MLP tower
        (2048, 256, 128), (2048, 128, 64), (2048, 64, 128),
        (128, 1, 2048), (2048, 1, 128), (2048, 128, 1),               # prediction
    ]  # fmt: skip
    return _gemms("ncf", shapes, batch)
