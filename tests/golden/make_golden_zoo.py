"""Regenerate the model-zoo golden files from ../shared/reference/zoo (or the directory given).

* ``zoo_golden.csv`` — one line per ConfuciuX model file (``<name>.csv``, rows ``K,C,Y,X,R,S,T``):
  its layer count and the SHA-256 of its rows as integers (one ``K,C,Y,X,R,S,T`` line each), so
  a fresh clone checks that the zoo reproduces every file exactly; the layer-by-layer comparison
  stays in the deep test, which needs the files themselves.
* ``maestro_models/`` — MAESTRO's shipped model files (``.m``): the two small GEMM networks
  whole, and the first three and the last layer blocks of the two CNNs, in their own text (the
  reader is checked on their syntax: tabs, comments, ``Stride`` blocks, ``DSCONV``).

Run from the repository root: ``python tests/golden/make_golden_zoo.py [reference_dir]``.  Uses
only the standard library.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[2] / "shared" / "reference"
WHOLE = ("gnmt_model", "ncf_model")
EXCERPTS = ("MobileNetV2_model", "Resnet50_model")
KEPT_FIRST = 3


def digest(rows: list[list[int]]) -> str:
    """SHA-256 of the rows written as ``K,C,Y,X,R,S,T`` lines (no header), joined by newlines."""
    return hashlib.sha256("\n".join(",".join(map(str, r)) for r in rows).encode()).hexdigest()


def excerpt(text: str) -> str:
    """The head of a model file, its first KEPT_FIRST layer blocks and its last one."""
    starts = [m.start() for m in re.finditer(r"^[ \t]*Layer\s", text, flags=re.MULTILINE)]
    blocks = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)], strict=True)]
    return text[: starts[0]] + "".join(blocks[:KEPT_FIRST] + blocks[-1:])


def main(reference: Path) -> None:
    zoo = reference / "zoo"
    with open(HERE / "zoo_golden.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "layers", "sha256"])
        for path in sorted(zoo.glob("*.csv")):
            with open(path, newline="") as g:
                rows = [[int(v) for v in r] for r in list(csv.reader(g))[1:] if r]
            w.writerow([path.stem, len(rows), digest(rows)])
    out = HERE / "maestro_models"
    out.mkdir(exist_ok=True)
    for name in WHOLE + EXCERPTS:
        text = (zoo / f"{name}.m").read_text()
        (out / f"{name}.m").write_text(text if name in WHOLE else excerpt(text))
    print(f"wrote {HERE / 'zoo_golden.csv'} and {len(WHOLE + EXCERPTS)} files in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
