"""What makes a saved :class:`~confuciux.result.Result` self-contained, and its exports.

A result that knows its layers and hardware (``Result.workload``, ``Result.hardware``) is saved
with them — the layers, the hardware coefficients, the action space (PE and buffer levels, in
``platform``) and the per-tensor access counts — so that ``confuciux evaluate --result r.json``
re-evaluates the design from the file alone.  The exports: a MAESTRO model file plus one mapping
file per layer with the chosen PEs and KTileSz and the MAESTRO command line (``to_maestro``),
and a per-layer CSV table (``to_csv``).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from .cost import schema
from .cost.design import DataflowLike, label, preset_name
from .dataflow.program import Dataflow
from .formats import maestro as _maestro
from .hardware import Hardware
from .workload import Layer, Model

if TYPE_CHECKING:
    from .result import Result

_LAYER_KEYS = ("K", "C", "Y", "X", "R", "S", "kind", "name", "stride", "batch", "groups")


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float as None and NumPy scalars as Python numbers (strict JSON)."""
    if isinstance(obj, Mapping):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [finite(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def layer_dict(layer: Layer) -> dict[str, Any]:
    return {k: list(layer.stride) if k == "stride" else getattr(layer, k) for k in _LAYER_KEYS}


def extra_dict(result: Result) -> dict[str, Any]:
    """The keys :meth:`Result.to_dict` adds for a self-contained file (empty when unknown)."""
    out: dict[str, Any] = {}
    workload = getattr(result, "workload", None)
    hardware = getattr(result, "hardware", None)
    if workload is not None:
        out["layers"] = [layer_dict(layer) for layer in workload]
    if hardware is not None:
        out["hardware_coefficients"] = finite(dataclasses.asdict(hardware))
    if result.costs.accesses:
        out["accesses"] = {k: finite(np.asarray(v)) for k, v in result.costs.accesses.items()}
    return out


def restore(result: Result, d: Mapping[str, Any]) -> Result:
    """``result`` with the layers, hardware and access counts the document ``d`` carries."""
    n = len(result.pes)
    changes: dict[str, Any] = {}
    if "layers" in d:
        changes["workload"] = _workload(d["layers"], result.model_name, n)
    if "hardware_coefficients" in d:
        changes["hardware"] = _hardware(d["hardware_coefficients"])
    if "accesses" in d:
        changes["costs"] = dataclasses.replace(result.costs, accesses=_accesses(d["accesses"], n))
    return dataclasses.replace(result, **changes) if changes else result


def _workload(layers: Any, name: str, n: int) -> Model:
    if not isinstance(layers, list) or len(layers) != n:
        raise ValueError(f"result: 'layers' must be a list of {n} layers (one per entry of 'pes')")
    out = []
    for i, item in enumerate(layers):
        keys = set(item) if isinstance(item, dict) else set()
        if not isinstance(item, dict) or keys - set(_LAYER_KEYS) or not {"K", "C", "Y", "X", "R", "S"} <= keys:
            raise ValueError(f"result: layers[{i}] must be an object with keys {list(_LAYER_KEYS)}")
        args = dict(item)
        if isinstance(args.get("stride"), list):
            args["stride"] = tuple(args["stride"])
        try:
            out.append(Layer(**args))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"result: layers[{i}]: {exc}") from None
    return Model(name, tuple(out))


def _hardware(coefficients: Any) -> Hardware:
    if not isinstance(coefficients, dict):
        raise ValueError("result: 'hardware_coefficients' must be an object")
    args = dict(coefficients)
    if "bus_width" not in args:  # a file written before 0.2: noc_bandwidth(_per_pe) sized the bus
        for old, new in (("noc_bandwidth", "bus_width"), ("noc_bandwidth_per_pe", "bus_width_per_pe")):
            if old in args:
                args[new] = args.pop(old)
    if isinstance(args.get("arbiter_poly"), list):
        args["arbiter_poly"] = tuple(args["arbiter_poly"])
    try:
        return Hardware(**args)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an integer beyond any float
        raise ValueError(f"result: hardware_coefficients: {exc}") from None


def _accesses(accesses: Any, n: int) -> dict[str, np.ndarray]:
    if not isinstance(accesses, dict):
        raise ValueError("result: 'accesses' must be an object of per-layer lists")
    out = {}
    for k, v in accesses.items():
        ok = isinstance(v, list) and len(v) == n
        if not ok or not all(x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)) for x in v):
            raise ValueError(f"result: accesses[{k!r}] must be a list of {n} numbers or nulls")
        try:
            out[k] = np.array([math.nan if x is None else x for x in v], dtype=np.float64)
        except OverflowError:  # an integer beyond any float
            raise ValueError(f"result: accesses[{k!r}] holds a number too large for a float") from None
    return out


def dataflow_entries(dataflows: tuple[DataflowLike, ...]) -> list[Any]:
    """``Result.dataflows`` as JSON: a preset's name as itself, a program as ``{"program": its
    MAESTRO text}``."""
    return [d if isinstance(d, str) else {"program": str(d)} for d in dataflows]


def read_dataflows(entries: Any, n: int) -> tuple[DataflowLike, ...]:
    """The ``dataflows`` of a result document: one entry a layer (a preset's name, or a program's
    text read by MAESTRO's rules), or none (files written before the field existed); a ValueError
    naming the entry otherwise."""
    if not isinstance(entries, list) or (entries and len(entries) != n):
        raise ValueError(f"dataflows must be a list of {n} entries (one per layer), got {_short(entries)}")
    out: list[DataflowLike] = []
    for i, entry in enumerate(entries):
        where = f"dataflows[{i}]"
        if isinstance(entry, str):
            out.append(preset_name(entry, f"result: {where}: "))
        elif isinstance(entry, dict) and set(entry) == {"program"} and isinstance(entry["program"], str):
            out.append(Dataflow.parse(entry["program"], f"result {where}"))
        else:
            raise ValueError(f"result: {where} must be a preset's name or {{\"program\": text}}, got {_short(entry)}")
    return tuple(out)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def _need_workload(result: Result) -> Model:
    workload = getattr(result, "workload", None)
    if workload is None:
        raise ValueError(
            f"result {result.model_name!r} does not carry its layers (a file saved without them); "
            "run the search again with this version to export it"
        )
    if not isinstance(workload, Model):
        raise TypeError(f"result.workload must be a Model, got {type(workload).__name__}")
    return workload


#: The folder of :func:`write_maestro`'s per-layer mapping files, apart from the model file so that
#: no model or layer name can make two files the same (a model named ``000_conv1`` whose layer 0 is
#: ``conv1`` overwrote its model file with a mapping when they shared a folder).
MAPPINGS = "layers"


def write_maestro(result: Result, directory: str | os.PathLike[str]) -> list[Path]:
    """Write ``<model>.m`` (the model), one mapping file per layer (``layers/<i>_<layer>.m``, with
    the chosen PEs as ``ClusterSz`` and ``--num_pes``, the buffer as ``KTileSz``, the dataflow's
    directives) and ``run_maestro.sh`` (the MAESTRO command line of every layer, run from
    ``directory``) into ``directory`` (created when missing).  Returns the paths written, each
    once."""
    workload = _need_workload(result)
    # each layer's dataflow: the per-layer choice of a heterogeneous design, else the platform's
    dataflows = result._layer_dataflows()
    out = Path(directory)
    (out / MAPPINGS).mkdir(parents=True, exist_ok=True)
    model_name = _file_stem(result.model_name, "model")
    paths = [out / f"{model_name}.m"]
    workload.to_maestro(paths[0])
    commands = ["#!/bin/sh", "# one MAESTRO run per layer, as confuciux and ConfuciuX run it", 'cd "$(dirname "$0")"',
                "set -e"]  # fmt: skip
    for i, layer in enumerate(workload):
        pes, ktile = int(result.pes[i]), int(result.buffers[i])
        name = f"{MAPPINGS}/{i:03d}_{_file_stem(layer.name, f'layer{i}')}.m"
        (out / name).write_text(_maestro.mapping_file(layer, i, dataflows[i], pes, ktile), encoding="utf-8")
        paths.append(out / name)
        commands.append(_maestro.MAESTRO_COMMAND.format(file=name, pes=pes))
    script = out / "run_maestro.sh"
    script.write_text("\n".join(commands) + "\n", encoding="utf-8")
    return [*paths, script]


#: Bytes of a model's or layer's name kept in a file name (most file systems allow 255 a name):
#: an ONNX node's name can be longer ("File name too long" after some files were written).
NAME_BYTES = 100


def _file_stem(name: str, fallback: str) -> str:
    """``name`` as MAESTRO reads a word (:func:`~confuciux.formats.maestro.token_name`), cut to
    :data:`NAME_BYTES` bytes of UTF-8 at a character boundary."""
    return _maestro.token_name(name, fallback).encode("utf-8")[:NAME_BYTES].decode("utf-8", "ignore") or fallback


CSV_COLUMNS = (
    "layer", "name", "kind", "K", "C", "Y", "X", "R", "S", "stride_y", "stride_x", "batch", "groups",
    "dataflow", "pes", "buffer", *(schema.column(name) for name in schema.MAIN), "valid", "status",
)  # fmt: skip
_CSV_COSTS = schema.MAIN


def write_csv(result: Result, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
    """:meth:`Result.to_csv`: :func:`write_layer_csv` of the result's design."""
    dataflows = tuple(result.dataflows) or (str(result.platform.get("dataflow", "")),) * len(result.pes)
    workload = getattr(result, "workload", None)
    write_layer_csv(path_or_file, result.pes, result.buffers, dataflows, result.costs, workload)


def write_layer_csv(path_or_file: str | os.PathLike[str] | IO[str], pes: Any, buffers: Any, dataflows: Any,
                    costs: Any, workload: Model | None = None) -> None:  # fmt: skip
    """The per-layer CSV table (:data:`CSV_COLUMNS`), the one writer of it (``Result.to_csv``,
    ``confuciux evaluate --csv``): one row per layer with the layer (when ``workload`` is given),
    its dataflow, PEs and buffer, its costs at full precision (cycles, nJ, µm², mW, bytes; whole
    numbers without a fraction; empty when not valid), valid and status (:data:`confuciux.STATUS`)."""
    n = len(pes)

    def rows(f: IO[str]) -> None:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for i in range(n):
            layer = workload[i] if workload is not None else None
            shape: list[Any] = (
                [layer.name, layer.kind, layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S, *layer.stride,
                 layer.batch, layer.groups] if layer is not None else [""] * 12
            )  # fmt: skip
            cells = [_cell(float(getattr(costs, f)[i])) for f in _CSV_COSTS]
            state = [int(bool(costs.valid[i])), int(costs.status[i])]
            w.writerow([i, *shape, label(dataflows[i]), int(pes[i]), int(buffers[i]), *cells, *state])

    if hasattr(path_or_file, "write"):
        rows(path_or_file)  # type: ignore[arg-type]
    else:
        with open(path_or_file, "w", newline="", encoding="utf-8") as f:
            rows(f)


def _cell(x: float) -> str:
    """A cost as its shortest exact text: ``1234`` for a whole number below 2**53, else ``repr``."""
    if not math.isfinite(x):
        return ""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)
