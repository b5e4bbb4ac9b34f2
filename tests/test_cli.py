"""The command line, run as a user runs it."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from confuciux.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "confuciux", *args], capture_output=True, text=True, timeout=300)


def test_evaluate_prints_table_and_totals(tmp_path):
    out_csv = tmp_path / "out.csv"
    r = run("evaluate", "--model", "mobilenet_v2", "--dataflow", "dla", "--pes", "64", "--buffer", "4",
            "--hardware", "maestro", "--csv", str(out_csv))  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("mobilenet_v2: 52 layers")
    assert "runtime_cycles" in lines[1] and lines[-1].startswith("total")
    assert len(lines) == 1 + 1 + 52 + 1
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == 52 and rows[0]["status"] == "ok"
    assert sum(int(r["runtime_cycles"]) for r in rows) > 0


def test_evaluate_per_layer_values_and_invalid_points(capsys):
    # shi with O_X < P <= X is invalid: resnet18's 3x3 layers on 7x7 inputs (O_X = 5) with P = 6
    code = main(["evaluate", "--model", "resnet18", "--dataflow", "shi", "--pes", "6"])
    out = capsys.readouterr().out
    assert code == 3 and "invalid configuration" in out and "invalid layer(s)" in out


def test_zoo_lists_models(capsys):
    assert main(["zoo"]) == 0
    out = capsys.readouterr().out
    assert "mobilenet_v2" in out and "gnmt" in out and len(out.splitlines()) == 15


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "--model", "lenet"], "unknown model"),
        (["evaluate", "--model", "example", "--pes", "0"], "pes must be >= 1"),
        (["evaluate", "--model", "example", "--pes", "1", "2", "3"], "one value or one per layer"),
        (["evaluate", "--model", "no_such_file.csv"], "No such file"),
    ],
)
def test_errors_are_reported_not_raised(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_explore_end_to_end(tmp_path):
    out = tmp_path / "r.json"
    r = run("explore", "--model", "example", "--dataflow", "dla", "--objective", "latency", "--constraint", "area",
            "--mul", "0.5", "--method", "confuciux", "--epochs", "30", "--seed", "0", "--json", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "epoch 30/30" in r.stderr and "budget used area" in r.stderr
    assert "example: method confuciux, objective latency" in r.stdout
    from confuciux import Result

    res = Result.from_json(out.read_text())
    assert res.feasible and res.method == "confuciux" and len(res.pes) == 2


def test_explore_fpga_platform(capsys):
    assert main(["explore", "--model", "example", "--platform", "edge-fpga", "--epochs", "9", "--quiet"]) == 0
    assert "budget pes" in capsys.readouterr().out
