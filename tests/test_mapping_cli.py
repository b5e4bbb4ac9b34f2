"""The command line of searched mappings: ``explore --mapping search`` and ``map``."""

from __future__ import annotations

import csv
import json

import numpy as np

import confuciux as cx
from confuciux.cli import main
from confuciux.cost.engine import Status
from confuciux.cost.engine import evaluate as reference

SMALL = ["--levels", "1", "--parallel", "K,C", "--evaluations", "150"]


def test_map_prints_and_writes_the_frontier(tmp_path, capsys):
    out_json, out_csv = tmp_path / "f.json", tmp_path / "f.csv"
    code = main(["map", "--model", "resnet18", "--layer", "6", "--pes", "1..32", *SMALL, "--json", str(out_json),
                 "--csv", str(out_csv)])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "pes against latency frontier" in text and "best latency's program" in text and "SpatialMap" in text
    points = json.loads(out_json.read_text())
    rows = list(csv.DictReader(open(out_csv)))
    assert len(points) == len(rows) >= 2
    assert [p["pes"] for p in points] == sorted(p["pes"] for p in points)
    layer = cx.zoo.load("resnet18")[6]
    for p in points[:3]:
        r = reference(layer, cx.Dataflow.parse(p["program"]), p["pes"])
        assert r.status == Status.OK and r["runtime"] == p["runtime"] and r["l2_bytes"] == p["l2_bytes"]


def test_map_on_fixed_hardware_with_caps(capsys):
    code = main(["map", "--model", "resnet18", "--layer", "-1", "--pes", "64", "--l1", "200", "--l2", "20000",
                 "--objective", "energy", *SMALL])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "best mapping on 64 PEs" in text
    assert len([ln for ln in text.splitlines() if ln.strip().startswith("0 ")]) == 1


def test_map_errors(capsys):
    assert main(["map", "--model", "resnet18", "--layer", "99"]) == 2
    assert "layers 0..19" in capsys.readouterr().err
    assert main(["map", "--model", "resnet18", "--layer", "0", "--levels", "4"]) == 2
    assert main(["map", "--model", "resnet18", "--layer", "0", "--pes", "0"]) == 2
    assert main(["map", "--model", "resnet18", "--layer", "0", "--pes", "1..100000"]) == 2
    assert "PE counts" in capsys.readouterr().err


def test_explore_mapping_search(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["explore", "--model", "alexnet", "--mapping", "search", "--budget", "area=2e6", "--method", "exact",
                 "--fix-order", "K,C,Y',X',R,S", *SMALL, "--json", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    result = cx.Result.from_json(out.read_text())
    assert result.feasible and result.platform["dataflow"] == "mapping"
    assert all(isinstance(d, cx.Dataflow) for d in result.dataflows)
    model = cx.zoo.load("alexnet")
    costs = cx.evaluate(model, result.pes, result.buffers, result.dataflows)
    assert np.array_equal(costs.runtime, result.costs.runtime)
    assert "program" in capsys.readouterr().out


def test_explore_mapping_errors(capsys):
    base = ["explore", "--model", "alexnet", "--quiet"]
    assert main([*base, "--levels", "2"]) == 2
    assert "not used without --mapping search" in capsys.readouterr().err
    assert main([*base, "--mapping", "search"]) == 2
    assert "absolute --budget" in capsys.readouterr().err
    assert main([*base, "--mapping", "search", "--budget", "area=1e6", "--dataflow", "eye"]) == 2
    assert main([*base, "--mapping", "search", "--budget", "area=1e6", "--buffer-bounds", "1..4"]) == 2
    assert "--buffer-bounds is not used" in capsys.readouterr().err
