"""Test helpers for the cost engine: programs written as in the reference tables, layers of
table rows, and the comparison of an engine result with a MAESTRO CSV row.

The tables give a program as its lines joined with `` | ``, sizes as integers, ``Sz(D)`` or
constants (``KTileSz``...).  :func:`dataflow` reads one with the language
(:meth:`confuciux.Dataflow.parse`); :func:`raw_program` turns one into bound directives
without the language's checks, for the programs the language refuses but the engine must
still answer as MAESTRO does (no spatial map, five levels...).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from confuciux.cost.engine import EngineResult, evaluate
from confuciux.dataflow import Bound, Dataflow, maestro_layer
from confuciux.workload import Layer

_MAP = re.compile(
    r"^(SpatialMap|TemporalMap)\s*\(\s*([^,()]+(?:\([^)]*\))?)\s*,\s*([^,()]+(?:\([^)]*\))?)\s*\)\s*(\S+)$"
)
_CLUSTER = re.compile(r"^Cluster\s*\(\s*([^,()]+(?:\([^)]*\))?)\s*(?:,\s*([PL]))?\s*\)$")
_SZ = re.compile(r"^Sz\s*\(\s*(\S+?)\s*\)$")


def _value(token: str, dims: Mapping[str, int], constants: Mapping[str, int]) -> int:
    token = token.strip()
    m = _SZ.match(token)
    if m:
        return dims[m.group(1)]
    if token in constants:
        return constants[token]
    return int(token)


def dataflow(text: str) -> Dataflow:
    """The program of ``text`` (lines separated by newlines or `` | ``), read by the language."""
    return Dataflow.parse("\n".join(line.strip() for line in text.split(" | ")))


def raw_program(text: str, layer: Layer, constants: Mapping[str, int] | None = None) -> list[Bound]:
    """The directives of ``text`` (lines separated by newlines or `` | ``; ``//`` comments and
    a ``Dataflow { }`` wrapper allowed), sizes resolved against ``layer``'s MAESTRO dimensions
    and ``constants``, without the language's checks."""
    named = set(re.findall(r"\)\s*([A-Z]'?)\s*;", text))
    gemm = "M" in named and named <= {"M", "N", "K"}  # as the language decides (is_gemm_program)
    return parse_program(text, maestro_dims(layer, gemm), constants)


def engine_result(
    layer: Layer, text: str, pes: int, constants: Mapping[str, int] | None = None, **flags: Any
) -> tuple[EngineResult, bool]:
    """The engine's result for the program ``text`` and whether the language reads and binds
    it; a program the language refuses goes to the engine as :func:`raw_program`."""
    try:
        program = dataflow(text)
        program.bind(layer, pes=pes, constants=constants or None)
    except ValueError:
        return evaluate(layer, raw_program(text, layer, constants), pes, **flags), False
    return evaluate(layer, program, pes, constants=constants or None, **flags), True


def parse_program(text: str, dims: Mapping[str, int], constants: Mapping[str, int] | None = None) -> list[Bound]:
    """:func:`raw_program` against given dimension sizes."""
    constants = constants or {}
    out = []
    lines = [part for line in text.splitlines() for part in line.split(" | ")]
    for n, raw in enumerate(lines, 1):
        line = raw.split("//")[0].strip().rstrip(";").strip()
        if not line or line.startswith("Dataflow") or line in ("{", "}"):
            continue
        m = _MAP.match(line)
        if m:
            kind = "spatial" if m.group(1) == "SpatialMap" else "temporal"
            size, ofs = _value(m.group(2), dims, constants), _value(m.group(3), dims, constants)
            out.append(Bound(kind, m.group(4), size, ofs, True, n))
            continue
        m = _CLUSTER.match(line)
        if m:
            out.append(Bound("cluster", "", _value(m.group(1), dims, constants), 0, m.group(2) != "L", n))
            continue
        raise ValueError(f"line {n}: cannot read {raw!r}")
    return out


def maestro_dims(layer: Layer, gemm_form: bool = True) -> dict[str, int]:
    """The dimensions ``layer`` is written with for MAESTRO (what ``Sz()`` reads): the
    language's :func:`~confuciux.dataflow.maestro_layer`, under a GEMM program when
    ``gemm_form`` and a convolution's otherwise."""
    if layer.kind == "GEMM":
        return maestro_layer(layer, Dataflow.parse("SpatialMap(1,1) M;" if gemm_form else "SpatialMap(1,1) C;"))[1]
    return maestro_layer(layer)[1]


def layer_of_row(row: Mapping[str, str]) -> Layer:
    """The layer of a reference-table row (directives, grid or ext table)."""
    get = {k: int(float(row[k])) for k in ("K", "C", "Y", "X", "R", "S") if k in row}
    kind = row.get("type") or ("DSCONV" if row.get("T") == "2" else "CONV")
    if kind == "GEMM":
        return Layer(get["K"], get["C"], get["Y"], 1, 1, 1, "GEMM")
    g = int(row.get("G", "1") or 1)
    stride = (int(row.get("stride_y", "1") or 1), int(row.get("stride_x", "1") or 1))
    batch = int(row.get("N", "1") or 1)
    if kind == "NGCONV":
        kind, get["K"], get["C"] = "CONV", get["K"] * g, get["C"] * g
    return Layer(get["K"], get["C"], get["Y"], get["X"], get["R"], get["S"], kind, stride=stride, batch=batch, groups=g)


#: MAESTRO's CSV columns and the engine's names for them.
INT_COLUMNS = {
    "Runtime (Cycles)": "runtime", "NoC BW Req (Elements/cycle)": "noc_bw", "Peak BW Req": "peak_bw",
    "Vector Width": "vector_width", "Offchip BW Req (Elements/cycle)": "offchip_bw", "L2 SRAM Size Req (Bytes)": "l2_bytes",
    "L1 SRAM Size Req (Bytes)": "l1_bytes", "Num Total Input Pixels": "input_pixels",
    "Num Total Weight Pixels": "filter_pixels", "Num MACs": "macs",
    **{f"{t} {a}": f"{t}_{a.replace(' ', '_')}" for t in ("input", "filter", "output")
       for a in ("l1 read", "l1 write", "l2 read", "l2 write")},
    **{f"{d.capitalize()} Delay ({v})": f"{'compute' if d == 'compute' else d}_delay_{v.lower()}"
       for d in ("ingress", "egress", "compute") for v in ("Min", "Max", "Avg")},
}  # fmt: skip
FLOAT_COLUMNS = {
    "Activity count-based Energy (nJ)": "energy", "Throughput (MACs/Cycle)": "throughput",
    "Throughput Per Energy (GMACs/s*J)": "throughput_per_energy", "Area": "area", "Power": "power",
    "Avg BW Req": "avg_bw", "Multicasting Factor (Weight)": "multicast_filter",
    "Multicasting Factor (Input)": "multicast_input", "Ops/J": "ops_per_joule", "PE power": "pe_power",
    "L1 power": "l1_power", "L2 power": "l2_power", "NOC power": "noc_power",
    "input reuse factor": "input_reuse", "filter reuse factor": "filter_reuse", "output reuse factor": "output_reuse",
    "Avg number of utilized PEs": "utilized_pes", "Arithmetic Intensity": "arithmetic_intensity",
}  # fmt: skip


def _same_float(ours: float, theirs: float, rel: float) -> bool:
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    if math.isinf(theirs) or math.isinf(ours):
        return ours == theirs
    return abs(ours - theirs) <= rel * max(abs(theirs), 1e-300) or abs(ours - theirs) < 1e-300


def mismatches(result: EngineResult, row: Mapping[str, str], rel: float = 1e-5) -> list[str]:
    """Where ``result`` differs from MAESTRO's CSV ``row`` (integers exactly, floats within
    ``rel`` plus MAESTRO's 6 printed digits)."""
    out = []
    for col, name in INT_COLUMNS.items():
        if col in row and row[col] != "" and int(float(row[col])) != result[name]:
            out.append(f"{name}: {result[name]} != {row[col]}")
    for col, name in FLOAT_COLUMNS.items():
        if col in row and row[col] != "":
            theirs = float(row[col].replace("-nan", "nan"))
            if not _same_float(float(result[name]), theirs, max(rel, 5.01e-6)):
                out.append(f"{name}: {result[name]!r} != {row[col]}")
    return out
