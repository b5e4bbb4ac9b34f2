"""Regenerate tests/golden/maestro_golden.csv from ../shared/reference/maestro_grid.csv.gz.

The subset: every point MAESTRO reports invalid, the extremes of each output per dataflow, and a
seeded random sample of each dataflow.  Run from the repository root:
``python tests/golden/make_golden.py``.  Uses only the standard library.
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRID = HERE.parents[2] / "shared" / "reference" / "maestro_grid.csv.gz"
OUT = HERE / "maestro_golden.csv"
PER_DATAFLOW = 220

# Our column name -> MAESTRO's CSV column.
COLUMNS = {
    "runtime": "Runtime (Cycles)",
    "energy": "Activity count-based Energy (nJ)",
    "area": "Area",
    "power": "Power",
    "macs_per_cycle": "Throughput (MACs/Cycle)",
    "l1_bytes": "L1 SRAM Size Req (Bytes)",
    "l2_bytes": "L2 SRAM Size Req (Bytes)",
    "macs": "Num MACs",
}
for tensor in ("input", "filter", "output"):
    for access in ("l1 read", "l1 write", "l2 read", "l2 write"):
        COLUMNS[f"{tensor}_{access.replace(' ', '_')}"] = f"{tensor} {access}"
KEYS = ["K", "C", "Y", "X", "R", "S", "T", "dataflow", "num_pes", "ktile", "valid"]


def main() -> None:
    with gzip.open(GRID, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    chosen: dict[int, dict[str, str]] = {}
    rng = random.Random(20261124)
    for df in ("dla", "shi", "eye", "dpt"):
        idx = [i for i, r in enumerate(rows) if r["dataflow"] == df]
        valid = [i for i in idx if rows[i]["valid"] == "1"]
        for i in idx:
            if rows[i]["valid"] != "1":
                chosen[i] = rows[i]
        for col in COLUMNS.values():
            for pick in (min, max):
                i = pick(valid, key=lambda j: float(rows[j][col]))
                chosen[i] = rows[i]
        for i in rng.sample(valid, PER_DATAFLOW):
            chosen[i] = rows[i]
    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(KEYS + list(COLUMNS))
        for i in sorted(chosen):
            r = chosen[i]
            w.writerow([r[k] for k in KEYS] + [r[c] for c in COLUMNS.values()])
    print(f"wrote {len(chosen)} rows to {OUT}")


if __name__ == "__main__":
    main()
