"""The design-space-exploration parts of the command line: absolute budgets, --json -, --plot,
ignored-flag warnings, ``confuciux sweep`` and ``confuciux compare``."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from proc_support import alive, pool_workers


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "confuciux", *args], capture_output=True, text=True, timeout=300)


def test_explore_absolute_budgets_json_to_stdout():
    r = run("explore", "--model", "alexnet", "--budget", "area=3e6", "--budget", "power=500", "--epochs", "20",
            "--quiet", "--json", "-")  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)  # stdout is the JSON alone
    assert d["platform"]["budgets"] == {"area": 3e6, "power": 500.0}
    assert d["constraint_used"]["power"]["used"] <= 500
    assert "budget power" in r.stderr and "warning" not in r.stderr  # the summary went to stderr


@pytest.mark.parametrize(
    ("args", "warned"),
    [
        (("--platform", "edge-fpga", "--mul", "0.3"), ["--mul is ignored with --platform edge-fpga"]),
        (("--platform", "cloud-fpga", "--budget", "area=1e6", "--deployment", "LP"),
         ["--budget is ignored with --platform cloud-fpga", "--deployment is ignored with --platform cloud-fpga"]),
        (("--budget", "area=3e6", "--constraint", "power", "--mul", "0.1"),
         ["--constraint is ignored with --budget", "--mul is ignored with --budget"]),
        (("--method", "exact", "--epochs", "30", "--seed", "4"),
         ["--epochs is ignored with --method exact", "--seed is ignored with --method exact"]),
        (("--mul", "0.5", "--constraint", "area", "--epochs", "5"), []),
    ],
)  # fmt: skip
def test_explore_warns_about_ignored_flags(args, warned):
    r = run("explore", "--model", "alexnet", "--quiet", "--epochs", "5", *args)
    assert r.returncode == 0, r.stderr
    warnings = [line.removeprefix("confuciux: warning: ") for line in r.stderr.splitlines() if "warning" in line]
    assert warnings == warned


def test_explore_bad_budget_is_a_usage_error():
    r = run("explore", "--model", "alexnet", "--budget", "area")
    assert r.returncode == 2 and "--budget 'area': expected KEY=NUMBER" in r.stderr
    r = run("explore", "--model", "alexnet", "--budget", "area=1", "--budget", "area=2")
    assert r.returncode == 2 and "given twice" in r.stderr


def test_explore_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "d.png"
    r = run("explore", "--model", "alexnet", "--epochs", "5", "--quiet", "--plot", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_sweep_on_workers_resumes_from_checkpoint(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"model": ["alexnet", "vgg16"], "dataflow": ["dla", "eye"], "method": "rl",
                                "epochs": 10, "seed": [0, 1]}))  # fmt: skip
    ck, first, second = tmp_path / "ck.jsonl", tmp_path / "a.csv", tmp_path / "b.csv"
    r = run("sweep", str(spec), "--workers", "2", "--checkpoint", str(ck), "--csv", str(first))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split()[:3] == ["model", "dataflow", "platform"]
    assert len(r.stdout.splitlines()) == 1 + 8 and len(ck.read_text().splitlines()) == 8
    r = run("sweep", str(spec), "--checkpoint", str(ck), "--csv", str(second), "--json", "-")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 8
    a, b = list(csv.DictReader(open(first))), list(csv.DictReader(open(second)))
    assert [row["objective_value"] for row in a] == [row["objective_value"] for row in b]
    assert [(row["model"], row["dataflow"], row["seed"]) for row in a][:3] == [
        ("alexnet", "dla", "0"), ("alexnet", "dla", "1"), ("alexnet", "eye", "0")]  # fmt: skip


def test_sweep_warns_about_ignored_spec_keys(tmp_path):
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"model": "alexnet", "platform": ["edge-fpga", "confuciux"], "mul": 0.3,
                                "epochs": 3, "method": "ga"}))  # fmt: skip
    r = run("sweep", str(spec))
    assert r.returncode == 0, r.stderr
    assert [line for line in r.stderr.splitlines() if "warning" in line] == [
        f"confuciux: warning: {spec}: 'mul' is ignored with platform edge-fpga"
    ]


def test_sweep_bad_spec_names_file_and_key(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('model = "alexnet"\nmethod = ["rl", "magic"]\n')
    r = run("sweep", str(spec))
    assert r.returncode == 1
    assert "bad.toml" in r.stderr and "'magic'" in r.stderr and "Traceback" not in r.stderr
    r = run("sweep", str(spec), "--workers", "2", "--scheduler", "tcp://x:1")
    assert r.returncode == 2  # one or the other


def test_compare_states_the_common_budget(tmp_path):
    r = run("compare", "--model", "resnet50", "--json", str(tmp_path / "c.json"))
    assert r.returncode == 0, r.stderr
    assert "every dataflow gets the same absolute budget" in r.stdout and "would differ" in r.stdout
    d = json.loads((tmp_path / "c.json").read_text())
    budgets = {df: res["platform"]["budgets"] for df, res in d["results"].items()}
    assert list(budgets) == ["dla", "shi", "eye"] and len({json.dumps(b) for b in budgets.values()}) == 1
    assert d["best"] in budgets and d["method"] == "exact"
    r = run("compare", "--model", "resnet50", "--budget", "area=3e6", "--reference", "dla")
    assert r.returncode == 2 and "--reference" in r.stderr
    r = run("compare", "--model", "alexnet", "--platform", "edge-fpga", "--dataflows", "shi", "eye", "--mul", "0.2")
    assert r.returncode == 0 and "--mul is ignored with --platform edge-fpga" in r.stderr
    assert "pes 256 PEs, l1_bytes 4,096 bytes" in r.stdout


def test_pareto_command(tmp_path, capsys):
    """--csv and --json hold every point kept (--max-points) with its per-layer design."""
    import confuciux
    from confuciux.cli import main

    png, out_csv = tmp_path / "f.png", tmp_path / "f.csv"
    code = main(["pareto", "--model", "alexnet", "--dataflow", "dla,eye", "--csv", str(out_csv),
                 "--plot", str(png), "--json", "-", "--max-points", "3"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert [d["dataflow"] for d in data] == ["dla", "eye"] and len(data[0]["points"]) == 3
    assert "Pareto-optimal (area, latency) designs, 6 points" in captured.err
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == 6 and float(rows[0]["area_um2"]) == data[0]["points"][0][0]
    model = confuciux.zoo.load("alexnet")
    for row, design in zip(rows[3:], data[1]["designs"], strict=True):  # eye's points: design = costs
        pes, bufs = [int(v) for v in row["pes"].split()], [int(v) for v in row["buffers"].split()]
        assert pes == design["pes"] and bufs == design["buffers"] and design["dataflows"] == ["eye"] * len(model)
        assert row["dataflows"] == " ".join(design["dataflows"]) and int(row["pes_total"]) == sum(pes)
        platform = confuciux.Platform("eye")
        costs = confuciux.evaluate(model, pes, bufs, "eye", platform.hardware)
        assert platform.usage(np.array(pes), costs)["area"] == float(row["area_um2"])
        assert float(confuciux.budgets.lp_total(costs.runtime)) == float(row["latency"])
    assert data[0]["layers"] == [layer.name for layer in model]
    if png.exists():  # matplotlib installed
        assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("command", ["explore", "compare", "pareto"])
@pytest.mark.parametrize("where", ["dir", "design", "design.csv"])
def test_plot_path_is_checked_before_any_work(command, where, tmp_path, capsys, monkeypatch):
    """A directory or a name matplotlib cannot write is a usage error at once (matplotlib would
    have written ``<dir>.png`` next to the directory, after the whole search)."""
    from confuciux.cli import main

    target = tmp_path if where == "dir" else tmp_path / where
    monkeypatch.chdir(tmp_path)
    assert main([command, "--model", "alexnet", "--plot", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--plot" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / f"{tmp_path.name}.png").exists()


def test_plot_without_matplotlib_fails_before_the_search(monkeypatch, capsys):
    import importlib.util

    from confuciux.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["explore", "--model", "alexnet", "--epochs", "100000", "--plot", "x.png"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("confuciux: error: --plot needs matplotlib") and "epoch" not in err


def test_pareto_terminal_table_is_thinned_files_hold_every_point(tmp_path, capsys):
    """mobilenet_v2 on three dataflows printed 146,664 rows; the terminal now gets evenly spaced
    points of each front (ends kept), the CSV all of them."""
    from confuciux.cli import PARETO_ROWS, main

    out_csv = tmp_path / "f.csv"
    assert main(["pareto", "--model", "resnet18", "--dataflows", "dla", "eye", "--csv", str(out_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    total = int(lines[0].split(", ")[-1].split()[0])
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == total > 2 * PARETO_ROWS
    table = lines[2:-1]
    assert len(table) == 2 * PARETO_ROWS and lines[-1].startswith(f"({2 * PARETO_ROWS} of {total} points shown")
    for flow in ("dla", "eye"):
        points = [r["point"] for r in rows if r["dataflow"] == flow]
        shown = [line.split()[1] for line in table if line.split()[0] == flow]
        assert shown[0] == points[0] and shown[-1] == points[-1]


def test_pareto_duplicate_dataflows_is_a_usage_error(capsys):
    from confuciux.cli import main

    assert main(["pareto", "--model", "alexnet", "--dataflows", "dla", "dla"]) == 2
    assert "--dataflows lists a dataflow twice" in capsys.readouterr().err


def test_explore_with_several_dataflows_picks_one_per_layer():
    r = run("explore", "--model", "alexnet", "--dataflow", "dla,eye", "--method", "exact", "--json", "-", "--quiet")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["dataflows"]) == len(d["pes"]) and set(d["dataflows"]) <= {"dla", "eye"}
    bad = run("explore", "--model", "alexnet", "--dataflow", "dla,xyz")
    assert bad.returncode == 2 and "'xyz' is neither a dataflow preset" in bad.stderr and "Traceback" not in bad.stderr


def test_compare_per_layer_row():
    r = run("compare", "--model", "alexnet", "--dataflows", "dla", "eye", "--per-layer")
    assert r.returncode == 0, r.stderr
    assert "dla+eye" in r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_sweep_leaves_no_worker(tmp_path, sig):
    """``confuciux sweep --workers 2`` killed by SIGTERM or SIGKILL: its pool workers ran on,
    re-parented to init, for more than a minute; now none is left after 5 s."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"model": "alexnet", "method": "rl", "epochs": 10**8, "seed": [0, 1, 2, 3]}))
    err = tmp_path / "err.txt"
    with open(err, "w") as stderr:  # a file, not a pipe: workers left behind would hold a pipe open
        proc = subprocess.Popen([sys.executable, "-m", "confuciux", "sweep", str(spec), "--workers", "2", "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers := pool_workers(proc.pid, least_threads=2)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)]
    finally:
        for pid in [proc.pid, *workers]:  # nothing left running, whatever happened
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    if sig == signal.SIGTERM:  # handled as Ctrl-C: the pool is killed, one line says why
        assert proc.returncode == 143 and err.read_text().splitlines() == ["confuciux: error: terminated"]
    else:
        assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    "args",
    [
        ["explore", "--epochs", "3000", "--json", "{out}/x.json"],
        ["explore", "--plot", "{out}/x.png"],
        ["sweep", "{spec}", "--csv", "{out}/x.csv"],
        ["sweep", "{spec}", "--json", "{out}/x.json"],
        ["sweep", "{spec}", "--checkpoint", "{file}/ck.jsonl"],
        ["evaluate", "--model", "alexnet", "--csv", "{out}/x.csv"],
        ["compare", "--json", "{out}/x.json"],
        ["pareto", "--csv", "{out}/x.csv"],
        ["pareto", "--json", "{out}/x.json"],
        ["import", "alexnet", "--output", "{out}/x.m"],
    ],
)
def test_every_output_is_checked_before_the_work(args, tmp_path, monkeypatch, capsys):
    """``explore --epochs 3000 --json nodir/x.json`` searched, then exited 1 without a word of
    the result; ``sweep --csv nodir/x.csv`` lost every result.  Each output of each command is
    checked before anything is loaded or run."""
    import confuciux.cli
    import confuciux.sweeps
    from confuciux.cli import main

    def no_work(*a: object, **k: object) -> None:
        raise AssertionError("the work started")

    monkeypatch.setattr(confuciux.cli, "load_model", no_work)
    monkeypatch.setattr(confuciux.sweeps, "load_spec", no_work)
    (tmp_path / "file").write_text("")
    names = {"out": tmp_path / "nodir", "spec": tmp_path / "s.json", "file": tmp_path / "file"}
    argv = [a.format(**names) for a in args]
    assert main(argv) == 1
    err = capsys.readouterr().err
    option = next(a for a in argv if a.startswith("-") and "{" not in a and a not in ("--epochs", "--model"))
    assert err.startswith("confuciux: error: [Errno ") and f"{option} " in err and "(nothing was run)" in err


def test_record_bounds_and_one_dataflow_syntax(tmp_path, capsys):
    """``--record network`` (or ``NAME:network``) picks the zoo's real network and the default
    says which record it is; ``--pe-bounds``/``--buffer-bounds`` set the per-layer box; compare
    takes ``--dataflow a,b`` (``compare --dataflow shi`` was silently ignored)."""
    import confuciux as cx
    from confuciux.cli import main

    assert main(["evaluate", "--model", "resnet50", "--pes", "16"]) == 0
    r = capsys.readouterr()
    assert "note: resnet50 is ConfuciuX's record of the network (5.82 GMACs" in r.err and "(4.09 GMACs)" in r.err
    assert r.out.splitlines()[0].startswith("resnet50: 53 layers")
    for args in (["--model", "resnet50", "--record", "network"], ["--model", "resnet50:network"]):
        assert main(["evaluate", *args, "--pes", "16"]) == 0
        r = capsys.readouterr()
        assert "note:" not in r.err
        assert r.out.splitlines()[0].startswith(f"resnet50: {len(cx.zoo.load('resnet50', record='network'))} layers")
    assert main(["evaluate", "--model", "x.csv", "--record", "network"]) == 2
    assert "--record: x.csv: record 'network' applies to zoo models only" in capsys.readouterr().err
    assert main(["explore", "--model", "alexnet", "--method", "exact", "--pe-bounds", "2..300", "--buffer-bounds",
                 "1..4", "--budget", "area=2e7", "--json", "-", "--quiet"]) == 0  # fmt: skip
    d = json.loads(capsys.readouterr().out)
    assert d["space"]["pe_bounds"] == [2, 300] and d["space"]["buffer_bounds"] == [1, 4]
    assert all(2 <= p <= 300 for p in d["pes"]) and all(1 <= b <= 4 for b in d["buffers"])
    assert main(["explore", "--pe-bounds", "9..3"]) == 2
    assert "--pe-bounds '9..3': expected LO..HI" in capsys.readouterr().err
    assert main(["compare", "--model", "alexnet", "--dataflow", "dla,eye", "--budget", "area=3e6", "--method",
                 "exact"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert " dla " in out and " eye " in out and " shi " not in out
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"model": "resnet18", "record": "network", "pe_bounds": "1..64", "method": "exact",
                                "budget": {"area": 5e6}}))  # fmt: skip
    assert main(["sweep", str(spec), "--json", "-", "--quiet"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert len(result["pes"]) == len(cx.zoo.load("resnet18", record="network")) and max(result["pes"]) <= 64
