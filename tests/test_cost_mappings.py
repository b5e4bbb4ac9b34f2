"""MAESTRO's shipped mapping files costed as MAESTRO costs them: each layer under its own program
(``evaluate(model, pes, dataflow=None)``), at 256 and 1,024 PEs with ConfuciuX's flags.

A fresh clone checks the committed subset (tests/golden/maestro_mappings.json, made by
tests/golden/make_mapping_golden.py: layers of every file MAESTRO reads, each run alone through
MAESTRO 4eb08d1).  With ``MAESTRO_BIN`` (a MAESTRO 4eb08d1 binary) and ``MAESTRO_DATA`` (a
maestro checkout's data/ directory) every layer of every file is checked against MAESTRO run on
the whole file (a file MAESTRO dies on, layer by layer), and the files MAESTRO's parser refuses
are a ValueError naming the line.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import confuciux as cx
from conftest import GOLDEN_DIR
from confuciux import Dataflow, Hardware, Layer
from confuciux.cost import schema
from maestro_run import maestro_bin, run_maestro
from mapping_support import OUTPUTS, PES, l1_accesses, mismatches

GOLDEN = GOLDEN_DIR / "maestro_mappings.json"


def _golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_subset_of_the_shipped_mapping_files():
    d = _golden()
    columns, programs = d["columns"], [Dataflow.parse(text) for text in d["programs"]]
    assert len({e["file"] for e in d["entries"]}) >= 35 and {e["pes"] for e in d["entries"]} == set(PES)
    failures, statuses = [], Counter()
    for e in d["entries"]:
        args = dict(e["layer"], stride=tuple(e["layer"]["stride"]))
        layer = Layer(**args)
        costs = cx.evaluate(layer, e["pes"], 1, programs[e["program"]], Hardware.maestro(), outputs=OUTPUTS)
        statuses[schema.STATUSES[int(costs.status[0])].name] += 1
        if e["maestro"] == "ok":
            problems = mismatches(costs, 0, dict(zip(columns, e["row"], strict=True)))
        else:  # MAESTRO dies or refuses: no cost
            problems = [] if not costs.valid[0] else [f"MAESTRO {e['maestro']}, ours printed"]
        if problems:
            failures.append((e["file"], e["index"], e["pes"], problems[:3]))
    assert not failures, failures[:5]
    # the subset covers physically impossible layers and layers MAESTRO cannot cost
    assert statuses["OK"] > 100 and statuses["IMPOSSIBLE"] > 20 and statuses["SIGFPE"] + statuses["CRASH"] > 5


def test_a_mapping_file_costs_each_layer_under_its_own_program():
    d = _golden()
    entries = [e for e in d["entries"] if e["file"] == "Resnet50_kcp_ws.m" and e["pes"] == 256]
    layers = [Layer(**dict(e["layer"], stride=tuple(e["layer"]["stride"]))) for e in entries]
    programs = [Dataflow.parse(d["programs"][e["program"]]) for e in entries]
    model = cx.Model("r", layers, dataflows=programs)
    own = cx.evaluate(model, 256, 1, hardware=Hardware.maestro())  # dataflow=None: each layer's own
    np.testing.assert_array_equal(own.runtime, cx.evaluate(model, 256, 1, programs, Hardware.maestro()).runtime)
    assert not np.array_equal(own.runtime, cx.evaluate(model, 256, 1, "dla", Hardware.maestro()).runtime)
    text = io.StringIO()
    model.to_maestro(text)  # and the file written back costs the same
    back = cx.Model.from_maestro(text.getvalue())
    np.testing.assert_array_equal(cx.evaluate(back, 256, 1, hardware=Hardware.maestro()).runtime, own.runtime)


_MAESTRO_DATA = os.environ.get("MAESTRO_DATA")


@pytest.mark.skipif(not _MAESTRO_DATA, reason="MAESTRO_DATA (a maestro checkout's data/ directory) not set")
@pytest.mark.parametrize("pes", PES)
def test_every_shipped_mapping_file_equals_maestro(pes):
    binary = maestro_bin()
    files = sorted((Path(_MAESTRO_DATA or ".") / "mapping").glob("*.m"))
    assert len(files) >= 40
    failures, checked, refused = [], 0, 0
    for path in files:
        text = path.read_text()
        try:
            model = cx.Model.from_maestro(path)
        except ValueError as exc:  # MAESTRO's parser refuses it too, at the line named
            run = run_maestro(text, pes, binary)
            assert run.status == "parse" and f"line {run.line}" in str(exc), (path.name, run, exc)
            refused += 1
            continue
        costs = cx.evaluate(model, pes, 1, None, Hardware.maestro(), outputs=OUTPUTS)
        run = run_maestro(text, pes, binary)
        if run.status == "ok" and len(run.rows) == len(model):
            l1 = l1_accesses(costs)
            rows = [(i, row, l1[i - 1] if i else None) for i, row in enumerate(run.rows)]
        else:  # MAESTRO dies on some layer of the file: every layer alone
            rows = []
            for i in range(len(model)):
                alone = io.StringIO()
                model[i : i + 1].to_maestro(alone)
                one = run_maestro(alone.getvalue(), pes, binary)
                if one.status != "ok" and costs.valid[i]:
                    failures.append((path.name, i, f"MAESTRO {one.status}, ours status {int(costs.status[i])}"))
                rows += [(i, one.rows[0], None)] if one.status == "ok" else []
        for i, row, previous in rows:
            checked += 1
            problems = mismatches(costs, i, row, previous)
            if problems:
                failures.append((path.name, i, problems[:3]))
    assert not failures, failures[:5]
    assert checked > 1500 and refused == 4  # (1,600 layers a PE count, MAESTRO 4eb08d1's data/mapping)
