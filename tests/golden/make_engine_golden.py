"""Regenerate tests/golden/engine_golden.csv: MAESTRO's results for the cost engine's tests.

Rows come from three sources, each stratified so every group is present:

* ``directives``: ../shared/reference/maestro_directives.csv.gz, up to PER_GROUP seeded rows of
  each (family, type, cluster levels, status, strided, batched) group (parse-time refusals left
  out: they are the language's);
* ``grid``/``ext``: the ConfuciuX presets (../shared/reference/dataflows/*.m) from
  maestro_grid.csv.gz / maestro_ext.csv.gz, per (type, dataflow, status);
* ``fresh``: seeded random layers (CONV, DSCONV, GEMM in both forms, TRCONV, grouped, strided,
  batched), random 1-4-level programs and random hardware flags (NoC bandwidth, hops, hop latency,
  multicast, SIMD lanes, off-chip bandwidth), run through MAESTRO itself — the oracle at
  /work/oracle (MAESTRO 4eb08d1 built locally); never needed by the tests.

Each row records the layer, the program (``|``-joined lines, with ``constants``), the flags,
MAESTRO's status and CSV values, whether the language (``Dataflow.parse``/``bind``) takes the
program, and the engine status the row must give.  The layer is written for MAESTRO as the
language writes it (``maestro_layer``).  Run from the repository root with the package installed: ``python tests/golden/make_engine_golden.py``.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from confuciux.dataflow import Dataflow, maestro_layer  # noqa: E402
from confuciux.workload import Layer  # noqa: E402
from engine_support import FLOAT_COLUMNS, INT_COLUMNS, engine_result, layer_of_row, raw_program  # noqa: E402

SHARED = Path(os.environ.get("CONFUCIUX_REFERENCE", HERE.parents[2] / "shared" / "reference"))
MAESTRO = "/work/oracle/maestro/maestro"
OUT = HERE / "engine_golden.csv"
PER_GROUP = 2
FRESH_DRAWS, FRESH_PER_GROUP = 3000, 3
FLAGS = ("pes", "noc_bw", "noc_hops", "noc_hop_latency", "multicast", "simd", "offchip_bw")
DEFAULT_FLAGS = {"noc_bw": 81920000, "noc_hops": 1, "noc_hop_latency": 1, "multicast": True, "simd": 1, "offchip_bw": 70000}
LAYER_KEYS = ("kind", "N", "K", "C", "Y", "X", "R", "S", "G", "stride_y", "stride_x")
HEADER = ["source", *LAYER_KEYS, "program", "constants", *FLAGS, "maestro_status", "language", "engine_status",
          *INT_COLUMNS, *FLOAT_COLUMNS]  # fmt: skip


def _layer_fields(layer: Layer) -> dict[str, object]:
    return {
        "kind": layer.kind, "N": layer.batch, "K": layer.K, "C": layer.C, "Y": layer.Y, "X": layer.X, "R": layer.R,
        "S": layer.S, "G": layer.groups, "stride_y": layer.stride[0], "stride_x": layer.stride[1],
    }  # fmt: skip


def _row(source, layer, program, constants, flags, status, maestro_row) -> dict[str, object]:
    out: dict[str, object] = {"source": source, **_layer_fields(layer), "program": program}
    out["constants"] = ";".join(f"{k}={v}" for k, v in constants.items())
    out.update({k: int(v) for k, v in flags.items()})
    out["maestro_status"] = status
    kw = {k: v for k, v in flags.items() if k != "pes"}
    result, language = engine_result(layer, program, int(flags["pes"]), constants, **kw)  # type: ignore[arg-type]
    out["language"] = "ok" if language else "refused"
    out["engine_status"] = result.status.name
    for col in (*INT_COLUMNS, *FLOAT_COLUMNS):
        out[col] = (maestro_row or {}).get(col, "")
    return out


def _read(name: str) -> list[dict[str, str]]:
    with gzip.open(SHARED / name, "rt", newline="") as f:
        return list(csv.DictReader(f))


def _sample(groups: dict[object, list], per_group: int, rng: random.Random) -> list:
    out = []
    for key in sorted(groups, key=str):
        rows = groups[key]
        out += rows if len(rows) <= per_group else rng.sample(rows, per_group)
    return out


def directives(rng: random.Random) -> list[dict[str, object]]:
    groups = defaultdict(list)
    for r in _read("maestro_directives.csv.gz"):
        if r["status"] == "rejected_rc255" and "Invalid mapping" in r["msg"]:
            continue
        try:
            layer_of_row(r)
        except ValueError:
            continue  # X < S: not a layer
        key = (r["family"], r["type"], r["dataflow"].count("Cluster"), r["status"], r["stride_y"] != "1", r["N"] != "1")
        groups[key].append(r)
    out = []
    for r in _sample(groups, PER_GROUP, rng):
        layer = layer_of_row(r)
        flags = {**DEFAULT_FLAGS, "pes": int(r["num_pes"]), "noc_bw": int(r["noc_bw"]), "simd": int(r["simd"])}
        out.append(_row("directives", layer, r["dataflow"], {}, flags, r["status"], r))
    return out


def presets(rng: random.Random, table: str, per_group: int) -> list[dict[str, object]]:
    texts = {}
    for df in ("dla", "shi", "eye", "dpt"):
        lines = (SHARED / "dataflows" / f"{df}.m").read_text().splitlines()
        texts[df] = " | ".join(line.strip() for line in lines if line.strip() and line.strip() not in ("{", "}")
                               and not line.strip().startswith("Dataflow"))  # fmt: skip
    groups = defaultdict(list)
    for r in _read(f"maestro_{table}.csv.gz"):
        if r["status"] in ("ok", "bad_value", "rejected_rc255"):
            groups[(r.get("type", r.get("layer_type")), r["dataflow"], r["status"])].append(r)
    out = []
    for r in _sample(groups, per_group, rng):
        try:
            layer = layer_of_row(r)
        except ValueError:
            continue
        constants = {"KTileSz": int(r["ktile"]), "ClusterSz": int(r["num_pes"]), "CTileSz": 1}
        flags = {**DEFAULT_FLAGS, "pes": int(r["num_pes"])}
        out.append(_row(table, layer, texts[r["dataflow"]], constants, flags, r["status"], r))
    return out


# --- fresh points through MAESTRO -----------------------------------------------------------------


def _loguni(rng: random.Random, lo: int, hi: int) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def _random_layer(rng: random.Random) -> Layer:
    kind = rng.choices(["CONV", "DSCONV", "GEMM", "TRCONV", "GCONV"], weights=[35, 15, 15, 12, 13])[0]
    regime = rng.choices(["tiny", "mid", "big"], weights=[35, 45, 20])[0]
    if kind == "GEMM":
        lo, hi = {"tiny": (1, 8), "mid": (1, 512), "big": (64, 4096)}[regime]
        return Layer.gemm(_loguni(rng, lo, hi), _loguni(rng, lo, hi), _loguni(rng, lo, hi))
    if regime == "tiny":
        R, S, K, C = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 8), rng.randint(1, 8)
        Y, X = R + rng.randint(0, 8), S + rng.randint(0, 8)
    elif regime == "mid":
        R = rng.choice([1, 1, 3, 3, 5, 7])
        S = R if rng.random() < 0.8 else rng.choice([1, 3, 5])
        K, C = _loguni(rng, 1, 256), _loguni(rng, 1, 256)
        Y, X = R + _loguni(rng, 1, 64) - 1, S + _loguni(rng, 1, 64) - 1
    else:
        R = S = rng.choice([1, 3, 5, 7, 11])
        K, C = _loguni(rng, 32, 1024), _loguni(rng, 16, 1024)
        Y = X = R + _loguni(rng, 6, 224) - 1
    stride = 1 if rng.random() < 0.5 else (rng.randint(1, 4), rng.randint(1, 4))
    batch = 1 if rng.random() < 0.6 else rng.choice([2, 3, 4, 8])
    if kind == "DSCONV":
        return Layer(1, C, Y, X, R, S, "DSCONV", stride=stride, batch=batch)
    groups = 1
    if kind == "GCONV":
        groups = rng.choice([2, 3, 4, 8, 16, 32])
        K, C, kind = max(1, K // groups) * groups, max(1, C // groups) * groups, "CONV"  # no grouped TRCONV
    return Layer(K, C, Y, X, R, S, kind, stride=stride, batch=batch, groups=groups)


def _tile(rng: random.Random, extent: int) -> int:
    r = rng.random()
    if r < 0.15:
        return 1
    if r < 0.25:
        return extent
    if r < 0.30:
        return extent + rng.randint(1, 5)
    return max(1, _loguni(rng, 1, max(extent, 1)))


def _map(rng: random.Random, d: str, kind: str, dims: dict[str, int], layer: Layer, gemm: bool) -> str:
    if d in ("R", "S"):
        if kind == "TemporalMap":
            return f"TemporalMap(Sz({d}),Sz({d})) {d};"
        t = rng.randint(1, dims[d])
        return f"SpatialMap({t},{t}) {d};"
    if d in ("Y", "X") and not gemm:
        if rng.random() < 0.5:
            t = _tile(rng, layer.out_y if d == "Y" else layer.out_x)
            ofs = t if rng.random() < 0.85 else rng.randint(1, t + 2)
            return f"{kind}({t},{ofs}) {d}';"
        kernel = "R" if d == "Y" else "S"
        ofs = 1 if rng.random() < 0.6 else rng.randint(1, 4)
        size = f"Sz({kernel})" if rng.random() < 0.6 else str(dims[kernel] + rng.randint(0, 6))
        return f"{kind}({size},{ofs}) {d};"
    t = _tile(rng, dims[d])
    r = rng.random()
    ofs = t if r < 0.75 else (rng.randint(1, t) if r < 0.92 else t + rng.randint(1, 4))
    return f"{kind}({t},{ofs}) {d};"


def _random_program(rng: random.Random, layer: Layer, dims: dict[str, int], gemm: bool, shipped: list[str]) -> str:
    if rng.random() < 0.15:
        return rng.choice(shipped)
    names = [d for d in dims if d not in ("Y", "X")] + ([] if gemm else ["Y", "X"])
    lines = []
    for i in range(rng.choices([1, 2, 3, 4, 5, 6], weights=[25, 40, 28, 7, 1, 1])[0]):
        if i:
            lines.append(f"Cluster({rng.choice([1, 2, 3, 4, 8, rng.randint(1, 64)])}, P);")
        picked = [d for d in names if (d in ("R", "S") and rng.random() < 0.95) or rng.random() < 0.8]
        picked = picked or [rng.choice(names)]
        spatial = set(rng.sample(picked, min(rng.choices([1, 2, 3], weights=[80, 18, 2])[0], len(picked))))
        level = [_map(rng, d, "SpatialMap" if d in spatial else "TemporalMap", dims, layer, gemm) for d in picked]
        rng.shuffle(level)
        lines += level
    return " | ".join(lines)


def _random_flags(rng: random.Random) -> dict[str, object]:
    return {
        "pes": rng.choice([_loguni(rng, 1, 4096), _loguni(rng, 1, 64), 2 ** rng.randint(0, 12)]),
        "noc_bw": 81920000 if rng.random() < 0.35 else _loguni(rng, 1, 10**8),
        "noc_hops": 1 if rng.random() < 0.7 else rng.randint(1, 4),
        "noc_hop_latency": 1 if rng.random() < 0.7 else rng.randint(0, 3),
        "multicast": rng.random() < 0.8,
        "simd": 1 if rng.random() < 0.6 else rng.choice([2, 3, 4, 8]),
        "offchip_bw": 70000 if rng.random() < 0.6 else _loguni(rng, 1, 10**6),
    }


def _mapping_file(layer: Layer, kind: str, dims: dict[str, int], program: str) -> str:
    out = ["Network t {", "Layer L {", f"Type: {kind}"]
    if layer.stride != (1, 1):
        out.append(f"Stride {{ X: {layer.stride[1]}, Y: {layer.stride[0]} }}")
    out.append("Dimensions { " + ", ".join(f"{k}: {v}" for k, v in dims.items()) + " }")
    return "\n".join([*out, "Dataflow {", *program.split(" | "), "}", "}", "}"]) + "\n"


def run_maestro(text: str, flags: dict[str, object]) -> tuple[str, dict[str, str] | None]:
    """MAESTRO's status and CSV row for one mapping file (the oracle's command line, with these
    flags)."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "m.m").write_text(text)
        cmd = [MAESTRO, "--Mapping_file=m.m", "--full_buffer=false", f"--noc_bw_cstr={flags['noc_bw']}",
               f"--noc_hops={flags['noc_hops']}", f"--noc_hop_latency={flags['noc_hop_latency']}",
               f"--noc_mc_support={'true' if flags['multicast'] else 'false'}", f"--num_pes={flags['pes']}",
               f"--num_simd_lanes={flags['simd']}", f"--offchip_bw_cstr={flags['offchip_bw']}",
               "--l1_size_cstr=819200000", "--l2_size_cstr=819200000", "--print_res=false", "--print_res_csv_file=true",
               "--print_log_file=false", "--print_design_space=false", "--msg_print_lv=0"]  # fmt: skip
        p = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            return f"rejected_rc{p.returncode}", None
        with open(Path(d, "m.csv"), newline="") as f:
            lines = list(csv.reader(f))
    header = [h.strip() for h in lines[0]]
    seen: set[str] = set()
    for i, h in enumerate(header):
        header[i] = h.replace("(Min)", "(Max)") if h in seen else h
        seen.add(h)
    row = {h: v.strip() for h, v in zip(header, lines[1], strict=False)}
    ok = float(row["Runtime (Cycles)"]) > 0 and float(row["Activity count-based Energy (nJ)"]) >= 0
    return ("ok" if ok else "bad_value"), row


def fresh(rng: random.Random) -> list[dict[str, object]]:
    shipped = sorted({r["dataflow"] for r in _read("maestro_directives.csv.gz") if r["family"] == "shipped"})
    groups = defaultdict(list)
    for _ in range(FRESH_DRAWS):
        layer = _random_layer(rng)
        gemm = layer.kind == "GEMM" and rng.random() < 0.8  # else a convolution's program on it
        kind, dims = maestro_layer(layer, Dataflow.parse("SpatialMap(1,1) M;" if gemm else "SpatialMap(1,1) C;"))
        program = _random_program(rng, layer, dims, kind == "GEMM", shipped)
        named = sorted(set(re.findall(r"\)\s*([A-Z]'?)\s*;", program)))
        if named:  # the type and dimensions as the language writes them for this very program
            naming = [f"SpatialMap(1,1) {named[0]};", *(f"TemporalMap(1,1) {d};" for d in named[1:])]
            kind, dims = maestro_layer(layer, Dataflow.parse("\n".join(naming)))
        flags = _random_flags(rng)
        try:
            prog = raw_program(program, layer)
        except KeyError:
            continue  # Sz() of a dimension the layer does not have: a parse error
        if any(b.kind == "temporal" and b.dim in ("R", "S") and (b.size, b.offset) != (dims[b.dim],) * 2 for b in prog):
            continue  # MAESTRO's parse-time rule on R/S tiles: the language's
        status, row = run_maestro(_mapping_file(layer, kind, dims, program), flags)
        entry = _row("fresh", layer, program, {}, flags, status, row)
        levels = program.count("Cluster(") + 1
        groups[(entry["engine_status"], levels, layer.kind)].append(entry)
    return _sample(groups, FRESH_PER_GROUP, random.Random(2))


def main() -> None:
    rng = random.Random(20240615)
    rows = directives(rng) + presets(rng, "grid", 3) + presets(rng, "ext", 2) + fresh(random.Random(7))
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} rows")


if __name__ == "__main__":
    main()
