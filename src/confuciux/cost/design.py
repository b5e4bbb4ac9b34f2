"""Which program each layer runs, and which path costs it: the closed forms or the general engine.

A dataflow is given as a preset's name (``"dla"``, ``"kcp_ws"``, ...; case-insensitive), a
:class:`~confuciux.dataflow.Dataflow`, one of those per layer, or None: each layer's own program
(``Model.dataflows``), :data:`DEFAULT_PRESET` for a layer without one.  :func:`layer_specs`
checks such an argument and gives one entry per layer; :func:`program_of` the program a layer
runs for it (ConfuciuX's convention: a depthwise layer runs ``dpt`` when dla, shi or eye is
named; a program given as a :class:`Dataflow` runs as written); :func:`closed_form` the preset
whose closed form in the kernel computes exactly that program on the layer, if any.

:func:`engine_costs` costs layers on the general engine (:func:`confuciux.cost.engine.
evaluate_batch`) and gives the schema's outputs: energy, area and power from the counts with the
caller's :class:`~confuciux.Hardware` (the engine's own are MAESTRO's cost database).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..dataflow import presets as _presets
from ..dataflow.bind import Template
from ..dataflow.bind import compile as compile_program
from ..dataflow.program import Dataflow
from ..formats.maestro import layer_program
from ..hardware import Hardware
from ..workload import Layer
from . import dataflows as _dataflows
from . import schema

__all__ = [
    "DEFAULT_PRESET", "DataflowLike", "DataflowSpec", "layer_specs", "program_of", "closed_form", "label", "labels",
    "templates", "point_template", "refusal", "engine_costs", "evaluate_design", "per_layer_dataflows",
]  # fmt: skip

#: The preset of a layer that has no program of its own when ``dataflow=None`` (ConfuciuX's
#: default; depthwise layers run ``dpt``).
DEFAULT_PRESET = "dla"
#: One layer's dataflow: a preset's name or a program.
DataflowLike = str | Dataflow
#: What ``evaluate``, ``Platform`` and the exports take as a design's dataflow.
DataflowSpec = DataflowLike | Sequence[DataflowLike | None] | None

_KERNEL = frozenset(_dataflows.DATAFLOWS)  # the names whose closed forms the kernel runs for CONV layers
_DEPTHWISE = _dataflows.DEPTHWISE.name


def preset_name(name: object, where: str = "") -> str:
    """A preset's name, lower-case (:data:`confuciux.dataflow.PRESETS`), or a ValueError listing them."""
    key = name.lower() if isinstance(name, str) else None
    if key not in _presets.PRESETS:
        known = ", ".join(_presets.PRESETS)
        raise ValueError(f"{where}unknown dataflow {name!r}; expected a Dataflow or one of {known}")
    return key


def layer_specs(dataflow: Any, n_layers: int, own: Sequence[Dataflow | None] = ()) -> tuple[DataflowLike, ...]:
    """One dataflow per layer: ``dataflow`` (a name, a :class:`Dataflow`, one of those or None
    per layer, or None) checked, names lower-case; None takes the layer's program from ``own``
    (a model's ``dataflows``), else :data:`DEFAULT_PRESET`."""
    if dataflow is None or isinstance(dataflow, (str, Dataflow)):
        given: list[Any] = [dataflow] * n_layers
    else:
        try:
            given = list(dataflow)
        except TypeError:
            raise TypeError(
                f"dataflow must be a preset's name, a Dataflow, one per layer, or None; got {dataflow!r}"
            ) from None
        if len(given) != n_layers:
            raise ValueError(f"dataflow gives {len(given)} dataflows for {n_layers} layers")
    out: list[DataflowLike] = []
    for i, d in enumerate(given):
        if d is None:
            d = own[i] if i < len(own) and own[i] is not None else DEFAULT_PRESET
        if isinstance(d, Dataflow):
            out.append(d)
        elif isinstance(d, str):
            out.append(preset_name(d, f"layer {i}: " if len(given) > 1 and not isinstance(dataflow, str) else ""))
        else:
            raise TypeError(f"layer {i}: a dataflow is a preset's name or a Dataflow, got {type(d).__name__}")
    return tuple(out)


def program_of(layer: Layer, spec: DataflowLike) -> Dataflow:
    """The program ``layer`` runs for ``spec``: the program itself, or the named preset (its
    grouped form on a grouped layer) — ``dpt`` for a depthwise layer when dla, shi or eye is
    named, as ConfuciuX runs it."""
    return layer_program(layer, spec)  # (the one rule, shared with the MAESTRO file writers)


def closed_form(layer: Layer, spec: DataflowLike) -> str | None:
    """The kernel's dataflow (dla, shi or eye; depthwise layers run dpt under any of them) whose
    closed form computes what ``spec`` runs on ``layer``, or None when only the general engine
    can cost it.  A :class:`Dataflow` equal to a preset's program takes that preset's closed form
    where the kernel runs that very program on the layer."""
    depthwise = layer.kind == "DSCONV"
    if isinstance(spec, str):
        if depthwise and spec in _presets.CONFUCIUX:
            return DEFAULT_PRESET  # the kernel runs dpt for a depthwise layer whatever it is named
        return spec if spec in _KERNEL and not depthwise else None
    if depthwise:
        return DEFAULT_PRESET if spec == _presets.preset(_DEPTHWISE) else None
    return next((name for name in _dataflows.DATAFLOWS if spec == _presets.preset(name)), None)


def label(spec: DataflowLike | None | object) -> str:
    """A dataflow for messages and records: a preset's name, the name of the preset a program
    equals, ``"program"`` for any other program and ``"model"`` for None (each layer's own)."""
    if spec is None:
        return "model"
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, Dataflow):  # a searched mapping (confuciux.mapping), which names itself
        return str(getattr(spec, "label", "program"))
    return next((name for name in _presets.PRESETS if spec == _presets.preset(name)), "program")


def labels(specs: Sequence[DataflowLike | None]) -> tuple[str, ...]:
    """:func:`label` of each entry, made distinct (a second program is ``program#2``, ...)."""
    out: list[str] = []
    for spec in specs:
        name = label(spec)
        n = 1
        while (name if n == 1 else f"{name}#{n}") in out:
            n += 1
        out.append(name if n == 1 else f"{name}#{n}")
    return tuple(out)


def templates(
    layers: Sequence[Layer], programs: Sequence[Dataflow], constants: Mapping[str, int] | None = None
) -> list[Template]:
    """Each program compiled for its layer (:func:`confuciux.dataflow.compile`); a program MAESTRO
    refuses for its layer is a ValueError naming the layer, the line and the rule."""
    out = []
    for i, (layer, program) in enumerate(zip(layers, programs, strict=True)):
        try:
            out.append(compile_program(program, layer, constants))
        except ValueError as exc:
            name = f" ({layer.name!r})" if layer.name else ""
            raise ValueError(f"layer {i}{name}: {exc}") from None
    return out


def refusal(layer: Layer, spec: DataflowLike, hardware: Hardware) -> str | None:
    """Why MAESTRO refuses ``spec``'s program for ``layer`` whatever the design (the
    ValueError :func:`templates` gives), or None: None too where the closed forms cost the layer
    (they cost, e.g., a grouped TRCONV as the CONV it computes, which MAESTRO has no file form for)."""
    if hardware.confuciux_flags and closed_form(layer, spec) is not None:
        return None
    try:
        templates([layer], [program_of(layer, spec)])
    except ValueError as exc:
        return str(exc).removeprefix("layer 0: ").removeprefix(f"layer 0 ({layer.name!r}): ")
    return None


def engine_costs(
    layers: Sequence[Layer],
    programs: Sequence[Dataflow],
    pes: np.ndarray,
    buffers: np.ndarray,
    hardware: Hardware,
    asked: Sequence[str],
    constants: Mapping[str, int] | None = None,
    use_c: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The schema's outputs ``asked`` (each float64 (D, N); NaN where not printed) and the
    status (uint8 (D, N)) of ``layers`` under ``programs`` on the general engine, for ``pes`` and
    ``buffers`` of shape (D, N), with ``hardware``'s MAESTRO flags and prices (``use_c``: the
    compiled engine where built)."""
    from .engine.batch import evaluate_batch  # (the engine imports the reference, which imports this package)

    compiled = templates(layers, programs, constants)
    names = [schema.ENGINE_NAME[n] for n in asked]
    raw, status = evaluate_batch(layers, compiled, pes, buffers, hardware.engine_flags, names, use_c, priced=hardware)
    return {n: raw[schema.ENGINE_NAME[n]] for n in asked}, status


def per_layer_dataflows(dataflows: str | Sequence[str], n_layers: int) -> tuple[str, ...]:
    """``dataflows`` as one lower-case preset name per layer (a string: every layer); former
    helper of :func:`evaluate_design` (use :func:`layer_specs`)."""
    return tuple(str(d) for d in layer_specs(dataflows, n_layers))


# evaluate_layer's programs: (layer, spec) -> (layer, spec, template), by identity (both frozen;
# the entry holds them, so their ids stay theirs); cleared when full.
_POINT_TEMPLATES: dict[tuple[int, int], tuple[Layer, Any, Template]] = {}
_MAX_POINT_TEMPLATES = 1024


def point_template(layer: Layer, spec: DataflowLike) -> Template:
    """``spec``'s program compiled for ``layer`` (:func:`templates`), kept for the next call with
    the same objects: :func:`confuciux.evaluate_layer` costs one design at a time."""
    key = (id(layer), id(spec))
    hit = _POINT_TEMPLATES.get(key)
    if hit is not None and hit[0] is layer and hit[1] is spec:
        return hit[2]
    template = templates([layer], [program_of(layer, spec)])[0]
    if len(_POINT_TEMPLATES) >= _MAX_POINT_TEMPLATES:
        _POINT_TEMPLATES.clear()
    _POINT_TEMPLATES[key] = (layer, spec, template)
    return template


def evaluate_design(model: Any, pes: ArrayLike, buffers: ArrayLike, dataflows: DataflowSpec,
                    hardware: Hardware | None = None) -> Any:  # fmt: skip
    """Former name of :func:`confuciux.evaluate` with one dataflow per layer (FutureWarning until
    0.3): ``evaluate(model, pes, buffers, dataflows, hardware)``."""
    from .._deprecation import deprecated
    from . import evaluate

    deprecated("evaluate_design(model, pes, buffers, dataflows, hardware)", "evaluate(model, pes, buffers, "
               "dataflows, hardware): it takes one dataflow per layer", user=True)  # fmt: skip
    return evaluate(model, pes, buffers, dataflows, hardware)
