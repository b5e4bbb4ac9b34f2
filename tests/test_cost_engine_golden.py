"""The cost engine against MAESTRO: the committed golden subset (always) and the reference
tables (when ../shared/reference is present).

tests/golden/engine_golden.csv (made by tests/golden/make_engine_golden.py) holds MAESTRO's own
results for programs from the directives table, the ConfuciuX presets of the grid and ext
tables, and fresh random points with random hardware flags.  Every row must give its recorded
engine status, a status consistent with what MAESTRO did, and — where MAESTRO printed a cost —
every number MAESTRO printed (integers exactly, floats within 1e-5 and MAESTRO's 6 digits).
"""

from __future__ import annotations

import csv
import gzip
import os
from collections import Counter
from pathlib import Path

import pytest

from conftest import reference_file
from confuciux.cost.engine import Status, evaluate
from confuciux.dataflow import Dataflow
from confuciux.workload import Layer
from engine_support import dataflow, engine_result, layer_of_row, mismatches

GOLDEN = Path(__file__).resolve().parent / "golden" / "engine_golden.csv"
# MAESTRO's outcome -> the engine statuses that reproduce it (UNDEFINED: MAESTRO read garbage,
# any outcome; OVERFLOW: its integers wrapped, it prints garbage or aborts)
CONSISTENT = {
    "ok": {Status.OK, Status.IMPOSSIBLE},
    "bad_value": {Status.INVALID},
    "rejected_rc-8": {Status.SIGFPE},
    "rejected_rc255": {Status.REFUSED},
    "rejected_rc-6": {Status.CRASH},
    "rejected_rc-11": {Status.CRASH},
}
ANY = {Status.UNDEFINED, Status.OVERFLOW}
# every 1 in SAMPLE rows of the reference tables unless CONFUCIUX_FULL_REFERENCE=1
SAMPLE = {"directives": 7, "grid": 400, "ext": 40}
FLAGS = ("noc_bw", "noc_hops", "noc_hop_latency", "simd", "offchip_bw")
TABLES = {
    "directives": "MAESTRO's 10,000 runs of random and shipped dataflow programs",
    "grid": "MAESTRO's 111,456 ConfuciuX points",
    "ext": "MAESTRO's 12,000 strided/grouped/transposed points",
}


def _golden() -> list[dict[str, str]]:
    with open(GOLDEN, newline="") as f:
        return list(csv.DictReader(f))


def _layer(row: dict[str, str]) -> Layer:
    g = {k: int(row[k]) for k in ("N", "K", "C", "Y", "X", "R", "S", "G", "stride_y", "stride_x")}
    return Layer(g["K"], g["C"], g["Y"], g["X"], g["R"], g["S"], row["kind"],
                 stride=(g["stride_y"], g["stride_x"]), batch=g["N"], groups=g["G"])  # fmt: skip


def _check(result, maestro_status: str, row: dict[str, str]) -> list[str]:
    if result.status not in CONSISTENT.get(maestro_status, set()) | ANY:
        return [f"MAESTRO {maestro_status}, engine {result.status.name}: {result.reason}"]
    if maestro_status == "ok" and result.valid:
        return mismatches(result, row)
    return []


def test_golden_subset_covers_every_family():
    rows = _golden()
    statuses = Counter(Status[r["engine_status"]] for r in rows)
    assert set(Status) - set(statuses) <= {Status.OVERFLOW, Status.BAD_INPUT, Status.UNSUPPORTED}, statuses
    assert {r["source"] for r in rows} == {"directives", "grid", "ext", "fresh"}
    assert {r["kind"] for r in rows} == {"CONV", "DSCONV", "GEMM", "TRCONV"}
    assert {r["program"].count("Cluster(") + 1 for r in rows} >= {1, 2, 3, 4, 5, 6}
    flags = [r for r in rows if (r["noc_hops"], r["noc_hop_latency"], r["offchip_bw"]) != ("1", "1", "70000")]
    assert len(flags) > 20 and any(r["G"] != "1" for r in rows) and any(r["language"] == "refused" for r in rows)


def test_golden_subset_matches_maestro():
    """Every row: the recorded engine status, consistent with MAESTRO, MAESTRO's numbers where
    it printed a cost; the language refuses only programs MAESTRO prints no cost for."""
    failures = []
    for i, row in enumerate(_golden()):
        constants = {k: int(v) for k, v in (kv.split("=") for kv in row["constants"].split(";") if kv)}
        flags = {k: int(row[k]) for k in FLAGS}
        result, language = engine_result(_layer(row), row["program"], int(row["pes"]), constants,
                                         multicast=row["multicast"] == "1", **flags)  # fmt: skip
        problems = _check(result, row["maestro_status"], row)
        if result.status != Status[row["engine_status"]]:
            problems.append(f"engine {result.status.name}, recorded {row['engine_status']}")
        if language != (row["language"] == "ok") or (not language and row["maestro_status"] == "ok"):
            problems.append(f"language {'takes' if language else 'refuses'} it, MAESTRO {row['maestro_status']}")
        if problems:
            failures.append((i, row["source"], problems[:3]))
    assert not failures, failures[:10]


def _table(name: str) -> list[dict[str, str]]:
    with gzip.open(reference_file(f"maestro_{name}.csv.gz", TABLES[name]), "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    step = 1 if os.environ.get("CONFUCIUX_FULL_REFERENCE") == "1" else SAMPLE[name]
    return rows[::step]


@pytest.mark.reference
def test_directives_table():
    """Programs of maestro_directives.csv.gz: `ok` rows exact, the others invalid with MAESTRO's
    outcome; the parse-time refusals are the language's (a ValueError there) and rows that are
    not layers (X < S) are left out."""
    failures, seen = [], Counter()
    for row in _table("directives"):
        try:
            layer = layer_of_row(row)
        except ValueError:
            continue
        if row["status"] == "rejected_rc255" and "Invalid mapping" in row["msg"]:
            with pytest.raises(ValueError, match="Invalid mapping"):
                dataflow(row["dataflow"]).bind(layer, pes=int(row["num_pes"]))
            continue
        flags = {"noc_bw": int(row["noc_bw"]), "simd": int(row["simd"])}
        result, language = engine_result(layer, row["dataflow"], int(row["num_pes"]), **flags)
        seen[row["status"]] += 1
        if not language and row["status"] == "ok":
            failures.append((row["dataflow"], "the language refuses a program MAESTRO costs"))
        if problems := _check(result, row["status"], row):
            failures.append((row["dataflow"], problems[:3]))
    assert not failures, failures[:10]
    assert seen["ok"] > 0


@pytest.mark.reference
@pytest.mark.parametrize("table", ["grid", "ext"])
def test_presets_as_programs(table):
    """The ConfuciuX presets written as programs (KTileSz = k, ClusterSz = P, CTileSz = 1) give
    MAESTRO's numbers on the grid and ext tables."""
    failures = []
    for row in _table(table):
        try:
            layer = layer_of_row(row)
        except ValueError:
            continue  # X < S: not a layer
        if row["status"] not in CONSISTENT:
            continue
        result = evaluate(layer, Dataflow.preset(row["dataflow"]), int(row["num_pes"]), buffers=int(row["ktile"]))
        if problems := _check(result, row["status"], row):
            failures.append((layer, row["dataflow"], row["num_pes"], row["ktile"], problems[:3]))
    assert not failures, failures[:10]
