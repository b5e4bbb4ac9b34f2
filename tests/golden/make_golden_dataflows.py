"""Regenerate the dataflow golden files from ../shared/reference (or the directory given).

* ``dataflows/`` — ConfuciuX's four dataflow files (``dla.m``, ``shi.m``, ``eye.m``, ``dpt.m``),
  whole (a few hundred bytes each): the presets are checked against them on a fresh clone.
* ``maestro_directives_golden.csv`` — of ``maestro_directives.csv.gz`` (10,000 dataflows given to
  MAESTRO's parser), every row it refused and a seeded sample of the others, stratified by family
  and layer type, with only the columns the test reads.

Run from the repository root: ``python tests/golden/make_golden_dataflows.py [reference_dir]``.
Uses only the standard library.
"""

from __future__ import annotations

import csv
import gzip
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[2] / "shared" / "reference"
DATAFLOWS = ("dla", "shi", "eye", "dpt")
COLUMNS = ["family", "type", "N", "K", "C", "Y", "X", "R", "S", "stride_y", "stride_x", "dataflow", "num_pes", "msg"]
PER_GROUP = 25  # accepted rows per (family, type)


def main(reference: Path) -> None:
    out = HERE / "dataflows"
    out.mkdir(exist_ok=True)
    for name in DATAFLOWS:
        shutil.copyfile(reference / "dataflows" / f"{name}.m", out / f"{name}.m")
    with gzip.open(reference / "maestro_directives.csv.gz", "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    refused = [i for i, r in enumerate(rows) if "Invalid mapping" in r["msg"] or "Parse error" in r["msg"]]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        if i not in set(refused):
            groups.setdefault((r["family"], r["type"]), []).append(i)
    rng = random.Random(20261206)
    chosen = set(refused)
    for key in sorted(groups):
        chosen.update(rng.sample(groups[key], min(PER_GROUP, len(groups[key]))))
    with open(HERE / "maestro_directives_golden.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for i in sorted(chosen):
            w.writerow([rows[i][c] for c in COLUMNS])
    print(f"wrote {len(DATAFLOWS)} dataflow files and {len(chosen)} directive rows ({len(refused)} refused)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
