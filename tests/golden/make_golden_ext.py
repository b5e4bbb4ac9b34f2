"""Regenerate tests/golden/maestro_ext_golden.csv from ../shared/reference/maestro_ext.csv.gz.

The subset covers every layer type x dataflow x status x (strided, batched, grouped) x regime
group of the table (regime: strided shi/eye bands wider than the output, or falling back to the
whole dimension): up to PER_GROUP seeded rows of each (all of a smaller group).  MAESTRO's own aborts
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


def _band(D: int, W: int, s: int, u: int) -> tuple[int, bool]:
    """A shi/eye top-level band of u outputs over D elements (docs/cost-model.md, "Strides"):
    its first tile and whether its edge tile falls back to the whole dimension."""
    m, o = u * min(s, W) + max(W - s, 0), u * s
    if m >= D:
        return (D if m == D or o > D else D - o), False
    n = (D - m) // o
    return m, n * o + m < D and D - (n + 1) * o < 0


def _regime(r: dict[str, str]) -> str:
    """Strided shi/eye rows: "wide" (a band wider than the output), "fallback" (a band falling
    back to the whole dimension) or "" (the others, and every other row)."""
    sy, sx = int(r["stride_y"]), int(r["stride_x"])
    if r["dataflow"] not in ("shi", "eye") or (sy, sx) == (1, 1):
        return ""
    Y, X, R, S, P = (int(r[c]) for c in ("Y", "X", "R", "S", "num_pes"))
    eye = r["dataflow"] == "eye"
    ty, big_y = _band(Y, R, sy, ((P if eye else R) - 1) // sy + 1)
    tx, big_x = _band(X, S, sx, ((S if eye else P) - 1) // sx + 1)
    if ty - R + 1 < 0 or tx - S + 1 < 0 or ty == 0 or tx == 0:
        return "wide"
    return "fallback" if big_y or big_x else ""


def _group(r: dict[str, str]) -> tuple[str, ...]:
    strided = (r["stride_y"], r["stride_x"]) != ("1", "1")
    return (r["type"], r["dataflow"], r["status"], str(strided), str(r["N"] != "1"), str(r["G"] != "1"), _regime(r))


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
