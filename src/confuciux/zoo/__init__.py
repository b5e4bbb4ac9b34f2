"""Built-in models, generated from compact architecture descriptions.

``zoo.names()`` lists them and ``zoo.load(name, **params)`` builds one.  The CNNs are the
torchvision architectures as ConfuciuX records them: every convolution in forward order
(training mode, so GoogLeNet's auxiliary heads appear), with the convolution's *input* feature
map as Y × X and its stride dropped (MAESTRO's stride-1 convention); a grouped convolution keeps
all its input channels as C; a depthwise one is a DSCONV with K = 1.  With default parameters
each model equals ConfuciuX's CSV file layer for layer.  GNMT and NCF are the GEMM workloads of
MAESTRO's model files.  Parameters: docs/workloads.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..workload import Layer, Model
from . import _cnn, _gemm

__all__ = ["names", "load", "describe"]

_MODELS: dict[str, Callable[..., list[Layer]]] = {
    "alexnet": _cnn.alexnet,
    "vgg16": _cnn.vgg16,
    "resnet18": _cnn.resnet18,
    "resnet50": _cnn.resnet50,
    "resnext50_32x4d": _cnn.resnext50_32x4d,
    "wide_resnet50": _cnn.wide_resnet50,
    "googlenet": _cnn.googlenet,
    "densenet": _cnn.densenet,
    "squeezenet": _cnn.squeezenet,
    "mobilenet_v2": _cnn.mobilenet_v2,
    "mnasnet": _cnn.mnasnet,
    "shufflenet_v2": _cnn.shufflenet_v2,
    "example": _cnn.example,
    "gnmt": _gemm.gnmt,
    "ncf": _gemm.ncf,
}


def names() -> list[str]:
    """Names of the built-in models, sorted."""
    return sorted(_MODELS)


def describe(name: str) -> dict[str, Any]:
    """The parameters ``load(name, ...)`` accepts, with their defaults (besides ``record``,
    which every model takes)."""
    builder = _builder(name)
    return {p.name: p.default for p in inspect.signature(builder).parameters.values() if p.name != "record"}


def load(name: str, *, record: str = "confuciux", **params: Any) -> Model:
    """Build the model ``name`` (see :func:`names`) with optional parameters, e.g.
    ``load("mobilenet_v2", resolution=160, width=0.75)``; unknown names or parameters and
    out-of-range values raise ``ValueError``.

    ``record="confuciux"`` (the default) records the CNNs as ConfuciuX's files do: each
    convolution's unpadded input, no stride, grouped convolutions ungrouped, no fully connected
    layers — it reproduces the paper.  ``record="network"`` gives the network as it is: padded
    inputs, true strides, real groups, the classifier's fully connected layers as GEMMs, the
    inference graph (no auxiliary heads); its ``macs`` are the architecture's true MAC count.
    GNMT and NCF are the same in both records."""
    builder = _builder(name)
    if record not in _cnn.RECORDS:
        raise ValueError(f"record must be one of {_cnn.RECORDS}, got {record!r}")
    allowed = describe(name)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"model {name!r} has no parameter(s) {unknown}; it takes {allowed}")
    if "record" in inspect.signature(builder).parameters:
        params["record"] = record
    return Model(name.lower(), tuple(builder(**params)))


def _builder(name: str) -> Callable[..., list[Layer]]:
    if not isinstance(name, str) or name.lower() not in _MODELS:
        raise ValueError(f"unknown model {name!r}; available: {names()}")
    return _MODELS[name.lower()]
