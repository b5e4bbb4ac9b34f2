"""Regenerate tests/golden/maestro_ext_golden.csv from ../shared/reference/maestro_ext.csv.gz.

The subset covers every layer type x dataflow x status x (strided, batched, grouped) group of
the table: up to PER_GROUP seeded rows of each (all of a smaller group).  MAESTRO's own aborts
(status ``rejected_rc-6``) say nothing about a layer and are left out.  Run from the repository
root: ``python tests/golden/make_golden_ext.py``.  Uses only the standard library.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections import defaultdict
from pathlib import Path

from make_golden import COLUMNS

HERE = Path(__file__).resolve().parent
TABLE = HERE.parents[2] / "shared" / "reference" / "maestro_ext.csv.gz"
OUT = HERE / "maestro_ext_golden.csv"
PER_GROUP = 9
KEYS = [
    "type", "N", "G", "K", "C", "Y", "X", "R", "S", "stride_y", "stride_x", "dataflow", "num_pes", "ktile", "status"
]  # fmt: skip


def _group(r: dict[str, str]) -> tuple[str, ...]:
    strided = (r["stride_y"], r["stride_x"]) != ("1", "1")
    return (r["type"], r["dataflow"], r["status"], str(strided), str(r["N"] != "1"), str(r["G"] != "1"))


def main() -> None:
    with gzip.open(TABLE, "rt", newline="") as f:
        rows = [{k.strip(): v.strip() for k, v in r.items()} for r in csv.DictReader(f)]
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if r["status"] != "rejected_rc-6":
            groups[_group(r)].append(i)
    rng = random.Random(20261130)
    chosen = sorted(i for key in sorted(groups) for i in rng.sample(groups[key], min(PER_GROUP, len(groups[key]))))
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(KEYS + list(COLUMNS))
        for i in chosen:
            r = rows[i]
            w.writerow([r[k] for k in KEYS] + [r[c] if r["status"] == "ok" else "" for c in COLUMNS.values()])
    print(f"wrote {len(chosen)} rows ({len(groups)} groups) to {OUT}")


if __name__ == "__main__":
    main()
