"""Regenerate tests/golden/maestro_mappings.json: MAESTRO's costs of layers of its own shipped
mapping files, each layer run alone, for tests/test_cost_mappings.py on a fresh clone.

For every file of a maestro checkout's data/mapping/ (``MAESTRO_DATA`` names its data/
directory) that MAESTRO's parser takes, the first, middle and last layers, and the first that we
find physically impossible or that MAESTRO cannot cost, each written alone (``Model.to_maestro``
of the one layer: its Type, Dimensions and Dataflow block) and run through MAESTRO 4eb08d1
(``MAESTRO_BIN``) with ConfuciuX's flags at 256 and 1,024 PEs.  Each entry records the layer, its
program (MAESTRO text), the PEs and MAESTRO's status and CSV row (the columns we compare).  Run
from the repository root with the package installed:
``MAESTRO_BIN=... MAESTRO_DATA=.../data python tests/golden/make_mapping_golden.py``.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import confuciux as cx  # noqa: E402
from confuciux._result_io import layer_dict  # noqa: E402
from confuciux.cost import schema  # noqa: E402
from maestro_run import run_maestro  # noqa: E402
from mapping_support import COLUMN, OUTPUTS, PES  # noqa: E402

OUT = HERE / "maestro_mappings.json"


def main() -> None:
    data = Path(os.environ["MAESTRO_DATA"]) / "mapping"
    binary = os.environ["MAESTRO_BIN"]
    columns = sorted({"Runtime (Cycles)", "Activity count-based Energy (nJ)", *(COLUMN[n] for n in OUTPUTS)})
    entries: list[dict[str, object]] = []
    programs: dict[str, int] = {}  # each program's text once
    for path in sorted(data.glob("*.m")):
        try:
            model = cx.Model.from_maestro(path)
        except ValueError:
            continue  # MAESTRO's parser refuses it too (tests/test_maestro_files.py)
        costs = cx.evaluate(model, PES[0], 1, None, cx.Hardware.maestro())
        n = len(model)
        picks = [0, n // 2, n - 1]
        for status in (schema.IMPOSSIBLE, *(s for s in range(len(schema.STATUSES)) if s not in schema.PRINTED)):
            hit = [i for i in range(n) if costs.status[i] == status]
            picks += hit[:1]
        for i in dict.fromkeys(picks):
            layer, program = model[i], model.dataflows[i]
            text = io.StringIO()
            model[i : i + 1].to_maestro(text)
            for pes in PES:
                run = run_maestro(text.getvalue(), pes, binary)
                row = [run.rows[0][c] for c in columns] if run.status == "ok" else []
                key = programs.setdefault(str(program), len(programs))
                entries.append({"file": path.name, "index": i, "layer": layer_dict(layer), "program": key,
                                "pes": pes, "maestro": run.status, "row": row})  # fmt: skip
        print(path.name, len(entries), flush=True)
    lines = [json.dumps({"maestro": "4eb08d1", "columns": columns, "programs": list(programs)})[:-1] + ', "entries": [']
    lines += [json.dumps(e, separators=(",", ":")) + ("," if k < len(entries) - 1 else "") for k, e in enumerate(entries)]
    OUT.write_text("\n".join([*lines, "]}"]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
