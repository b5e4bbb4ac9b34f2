"""Platforms by name, as the command line and sweep specifications give them.

:func:`make_platform` is the one place that turns the options ``platform``, ``dataflow``,
``constraint``, ``mul``, ``budgets``, ``hardware`` and ``deployment`` into a :class:`Platform`,
and :func:`ignored_options` says which of them a given combination does not use (the command line
warns about those).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import numbers
import os
from collections.abc import Callable, Mapping
from typing import Any

from . import formats
from ._limits import KERNEL_INT_MAX
from .hardware import Hardware
from .platform import BUDGET_KEYS, CONFUCIUX_BUFFERS, CONFUCIUX_PES, Platform, PlatformDataflow
from .workload import Model

__all__ = [
    "HARDWARE",
    "PLATFORMS",
    "check_budgets",
    "load_model",
    "is_model_file",
    "make_platform",
    "ignored_options",
    "parse_budget",
    "parse_bounds",
    "record_note",
    "RECORD_SUFFIXES",
]

HARDWARE: dict[str, Callable[[], Hardware]] = {"default": Hardware.default, "maestro": Hardware.maestro}
#: ``confuciux``: the paper's relative budget (constraint, mul) or absolute ``budgets``;
#: ``cloud-fpga`` / ``edge-fpga``: the FPGA case study's fixed PE and L1 budgets.
PLATFORMS = ("confuciux", "cloud-fpga", "edge-fpga")


def make_platform(
    model: Model,
    platform: str = "confuciux",
    dataflow: PlatformDataflow = "dla",
    constraint: str = "area",
    mul: float = 0.5,
    budgets: Mapping[str, float] | None = None,
    hardware: str | Hardware = "default",
    deployment: str = "LP",
    pe_bounds: tuple[int, ...] = (),
    buffer_bounds: tuple[int, ...] = (),
    *,
    allow_impossible: bool = False,
) -> Platform:
    """The :class:`Platform` named by these options.

    ``budgets`` (absolute limits, e.g. ``{"area": 3e6, "power": 500}`` in µm² and mW) replace
    the relative ``constraint``/``mul`` budget of the ``confuciux`` platform; the FPGA platforms
    have fixed budgets and ignore ``constraint``, ``mul``, ``budgets`` and ``deployment``.
    ``pe_bounds`` / ``buffer_bounds``: the per-layer box ``(lo, hi)`` (default: the platform's);
    the RL agent's levels are ConfuciuX's, clipped into it.  ``allow_impossible``: see
    :class:`Platform`."""
    hw = _hardware(hardware)
    box = _box(pe_bounds, buffer_bounds)
    if allow_impossible:
        box["allow_impossible"] = True
    if platform in ("cloud-fpga", "edge-fpga"):
        fpga = Platform.cloud_fpga(dataflow, hw) if platform == "cloud-fpga" else Platform.edge_fpga(dataflow, hw)
        return dataclasses.replace(fpga, **box) if box else fpga
    if platform != "confuciux":
        raise ValueError(f"unknown platform {platform!r}; expected one of {list(PLATFORMS)}")
    if budgets:
        check_budgets(budgets)
        text = ", ".join(f"{k} {v:g}" for k, v in budgets.items())
        return Platform(dataflow, hardware=hw, deployment=deployment, budgets=dict(budgets),
                        name=f"absolute budget ({text})", **box)
    return Platform.confuciux(model, dataflow, constraint, mul, hw, deployment, **box)


def _box(pe_bounds: tuple[int, ...], buffer_bounds: tuple[int, ...]) -> dict[str, Any]:
    """Platform arguments for the bounds given: each with the RL agent's levels (ConfuciuX's)
    clipped into it, as the levels must lie within the bounds."""
    out: dict[str, Any] = {}
    for axis, bounds, levels in (("pe", pe_bounds, CONFUCIUX_PES), ("buffer", buffer_bounds, CONFUCIUX_BUFFERS)):
        if bounds:
            lo, hi = bounds
            out[f"{axis}_bounds"] = (lo, hi)
            out[f"{axis}_levels"] = tuple(sorted({min(max(v, lo), hi) for v in levels}))
    return out


def check_budgets(budgets: Mapping[str, object]) -> None:
    """Absolute budgets: known keys, finite numbers > 0 (before they are formatted into a name)."""
    for key, value in budgets.items():
        if key not in BUDGET_KEYS:
            raise ValueError(f"unknown budget {key!r}; expected some of {list(BUDGET_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"budget {key!r} must be a finite number > 0, got {value!r}")


def ignored_options(platform: str, given: set[str]) -> list[str]:
    """Which of the ``given`` option names :func:`make_platform` ignores for ``platform``."""
    if platform in ("cloud-fpga", "edge-fpga"):
        unused = {"constraint", "mul", "budgets", "deployment"}
    elif "budgets" in given:
        unused = {"constraint", "mul"}
    else:
        unused = set()
    return sorted(given & unused)


def _hardware(hardware: str | Hardware) -> Hardware:
    if isinstance(hardware, Hardware):
        return hardware
    if not isinstance(hardware, str) or hardware not in HARDWARE:
        raise ValueError(f"unknown hardware {hardware!r}; expected one of {sorted(HARDWARE)}")
    return HARDWARE[hardware]()


def parse_budget(items: list[str] | None) -> dict[str, float]:
    """``["area=3e6", "power=500"]`` → ``{"area": 3e6, "power": 500.0}``; ValueError naming the
    item that is not ``KEY=NUMBER`` with a key of :data:`BUDGET_KEYS`."""
    budgets: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in BUDGET_KEYS:
            raise ValueError(f"--budget {item!r}: expected KEY=NUMBER with KEY one of {list(BUDGET_KEYS)}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--budget {item!r}: {value.strip()!r} is not a number") from None
        if not (math.isfinite(number) and number > 0):
            raise ValueError(f"--budget {item!r}: a budget is a finite number > 0")
        if key in budgets:
            raise ValueError(f"--budget {key} given twice")
        budgets[key] = number
    return budgets


def is_model_file(spec: str) -> bool:
    """Whether :func:`load_model` reads ``spec`` as a file: a suffix of a registered format
    (:data:`confuciux.formats.FORMATS`), or an existing file (whose suffix it then refuses)."""
    return spec.lower().endswith(formats.suffixes()) or os.path.isfile(spec)


def load_model(spec: str, record: str | None = None) -> Model:
    """A zoo name or a model file of a registered format (ConfuciuX ``.csv``, MAESTRO ``.m``,
    ONNX ``.onnx``; :data:`confuciux.formats.FORMATS`); errors name the file.  A zoo model is
    ConfuciuX's record of the network unless ``record="network"`` or the name says so
    (``resnet50:network``; :func:`confuciux.zoo.load`)."""
    from . import zoo

    file = is_model_file(spec)
    name, _, named = spec.rpartition(":") if not file and spec.endswith(RECORD_SUFFIXES) else (spec, "", "")
    try:
        if record is not None and (file or named and named != record):
            raise ValueError(f"record {record!r} applies to zoo models only" if file
                             else f"the name says record {named!r}, the option {record!r}")  # fmt: skip
        model = Model.read(spec) if file else zoo.load(name, record=named or record or "confuciux")
    except ImportError as exc:  # the optional onnx extra is missing: an error of the setup
        raise ValueError(f"{spec}: {exc}") from None
    except (ValueError, csv.Error) as exc:  # csv.Error: the csv module's limits (a field over 131,072 characters)
        message = str(exc)
        raise ValueError(message if spec in message else f"{spec}: {message}") from None
    if len(model) == 0:
        raise ValueError(f"{spec}: the model has no layers")
    return model


#: The records a zoo name may end with (``resnet50:network``); see :func:`confuciux.zoo.load`.
RECORD_SUFFIXES = (":confuciux", ":network")


def record_note(spec: str) -> str | None:
    """For a zoo name given without a record whose two records differ: which one is used, and
    what the other one is (the command line prints it); None otherwise."""
    from . import zoo

    if spec.lower() not in zoo.names():
        return None
    ours, real = zoo.load(spec), zoo.load(spec, record="network")
    if ours.layers == real.layers:
        return None
    return (f"{ours.name} is ConfuciuX's record of the network ({ours.macs / 1e9:.3g} GMACs: strides dropped, "
            f"unpadded inputs, grouped convolutions whole, no classifier); --record network (or "
            f"{ours.name}:network) is the network as it is ({real.macs / 1e9:.3g} GMACs)")  # fmt: skip


def parse_bounds(text: str, what: str) -> tuple[int, int]:
    """``"LO..HI"`` → ``(LO, HI)``: inclusive integer bounds, 1 <= LO <= HI; ValueError naming
    ``what`` otherwise."""
    lo, sep, hi = str(text).partition("..")
    try:
        bounds = (int(lo), int(hi))
    except ValueError:
        bounds = (0, 0)
    if not sep or not 1 <= bounds[0] <= bounds[1] <= KERNEL_INT_MAX:
        raise ValueError(f"{what} {text!r}: expected LO..HI, two integers with 1 <= LO <= HI (e.g. 1..1024)")
    return bounds


def __getattr__(name: str) -> object:
    if name == "MODEL_SUFFIXES":  # the format registry holds them (formats registered later too)
        from ._deprecation import deprecated

        deprecated("confuciux.presets.MODEL_SUFFIXES", "confuciux.formats.suffixes()")
        return formats.suffixes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
