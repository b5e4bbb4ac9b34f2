"""The command line, run as a user runs it."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux
from confuciux.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "confuciux", *args], capture_output=True, text=True, timeout=300)


def test_evaluate_prints_table_and_totals(tmp_path):
    out_csv = tmp_path / "out.csv"
    r = run("evaluate", "--model", "mobilenet_v2", "--dataflow", "dla", "--pes", "64", "--buffers", "4",
            "--hardware", "maestro", "--csv", str(out_csv))  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("mobilenet_v2: 52 layers")
    assert "runtime_cycles" in lines[1] and lines[-1].startswith("total")
    assert len(lines) == 1 + 1 + 52 + 1
    # the one per-layer CSV writer (Result.to_csv's): its columns, full precision
    from confuciux._result_io import CSV_COLUMNS

    rows = list(csv.DictReader(open(out_csv)))
    model = confuciux.zoo.load("mobilenet_v2")
    costs = confuciux.evaluate(model, 64, 4, "dla", confuciux.Hardware.maestro())
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 52 and rows[0]["status"] == "0"
    assert [float(row["energy_nJ"]) for row in rows] == costs.energy.tolist()  # 6 significant digits before
    assert [int(row["runtime_cycles"]) for row in rows] == costs.runtime.astype(int).tolist()
    assert "note: mobilenet_v2 is ConfuciuX's record" in r.stderr


def test_old_option_spellings_warn_for_one_release(capsys):
    assert main(["evaluate", "--model", "example", "--buffer", "3", "--record", "confuciux"]) == 0
    assert "--buffer is deprecated" in capsys.readouterr().err
    assert main(["evaluate", "--model", "example", "--buffer", "3", "--buffers", "3"]) == 2
    assert main(["pareto", "--model", "example", "--dataflows", "dla", "eye"]) == 0
    captured = capsys.readouterr()
    assert "--dataflows is deprecated" in captured.err and "use --dataflow dla,eye" in captured.err
    assert " eye " in captured.out  # both fronts


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
    "args, code, message",
    [
        (["evaluate", "--model", "lenet"], 1, "unknown model"),
        (["evaluate", "--model", "example", "--pes", "0"], 2, "argument --pes: expected an integer in [1, "),
        (["evaluate", "--model", "example", "--pes", "1", "2", "3"], 2, "one value or one per layer"),
        (["evaluate", "--model", "no_such_file.csv"], 1, "No such file"),
    ],
)
def test_errors_are_reported_not_raised(args, code, message, capsys):
    assert main(args) == code
    assert message in capsys.readouterr().err


def test_explore_end_to_end(tmp_path):
    out = tmp_path / "r.json"
    r = run("explore", "--model", "example", "--dataflow", "dla", "--objective", "latency", "--constraint", "area",
            "--mul", "0.5", "--method", "confuciux", "--epochs", "30", "--seed", "0", "--json", str(out))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "epoch 30/30" in r.stderr and "budget used area" in r.stderr
    assert "\r" not in r.stderr  # not a terminal: plain lines, no bar redrawn in place
    assert "example: method confuciux, objective latency" in r.stdout
    from confuciux import Result

    res = Result.from_json(out.read_text())
    assert res.feasible and res.method == "confuciux" and len(res.pes) == 2


def test_explore_fpga_platform(capsys):
    assert main(["explore", "--model", "example", "--platform", "edge-fpga", "--epochs", "9", "--quiet"]) == 0
    assert "budget pes" in capsys.readouterr().out


# --- every defect found by attacking the command line: one line on stderr, documented exit codes ----


def one_error_line(err: str) -> str:
    """The single ``confuciux: error: ...`` line of ``err`` (no traceback)."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("confuciux: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_csv_field_over_the_csv_modules_limit(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("K,C,Y,X,R,S,T\n8," + "1" * 140_000 + ",8,8,3,3,1\n")
    r = run("evaluate", "--model", str(path))
    assert r.returncode == 1 and r.stdout == ""
    assert "wide.csv" in one_error_line(r.stderr) and len(r.stderr.splitlines()) == 1


def test_five_thousand_digit_number_names_file_and_line(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("K,C,Y,X,R,S,T\n8,8,8,8,3,3,1\n" + "1" * 5000 + ",3,8,8,3,3,1\n")
    r = run("evaluate", "--model", str(path))
    line = one_error_line(r.stderr)
    assert r.returncode == 1 and "big.csv" in line and "line 3" in line and "field K" in line
    assert len(line) < 300  # not the number itself


def test_header_only_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("K,C,Y,X,R,S,T\n")
    r = run("evaluate", "--model", str(path))  # was "'int' object is not iterable"
    assert r.returncode == 1 and "empty.csv" in one_error_line(r.stderr) and "no layers" in r.stderr


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775808", "1" * 5000, "-1", "1.5", "٣"])
def test_out_of_range_pes_is_a_usage_error(value):
    r = run("evaluate", "--model", "example", "--pes", value)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "argument --pes: expected an integer in [1, 9223372036854775807]" in r.stderr
    assert len(r.stderr) < 1000


def test_largest_pes_is_accepted():
    assert main(["evaluate", "--model", "example", "--pes", str(2**63 - 1)]) in (0, 3)


@pytest.mark.parametrize("args", [["--mul", "nan"], ["--mul", "1.5"], ["--epochs", "0"], ["--seed", "-1"]])
def test_explore_values_out_of_range_are_usage_errors(args, capsys):
    assert main(["explore", "--model", "example", *args]) == 2
    assert "expected" in capsys.readouterr().err


def test_closed_pipe_exits_quietly():
    # the reader is gone before the first write: `confuciux zoo | head -0`
    p = subprocess.Popen([sys.executable, "-m", "confuciux", "zoo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141 and err == b""  # 128 + SIGPIPE, as for any Unix tool; no "Broken pipe"


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"confuciux {confuciux.__version__}"


def test_unwritable_json_is_an_error_line(tmp_path, capsys):
    path = tmp_path / "no" / "r.json"
    code = main(["explore", "--model", "example", "--epochs", "3", "--quiet", "--json", str(path)])
    assert code == 1 and "No such file or directory" in one_error_line(capsys.readouterr().err)


def test_infeasible_exits_3(capsys):
    # every design of resnet18 on shi with P = 6 has invalid layers
    assert main(["evaluate", "--model", "resnet18", "--dataflow", "shi", "--pes", "6"]) == 3


def test_interrupted_explore_exits_130_and_writes_the_best_design(tmp_path, monkeypatch, capsys):
    import confuciux.cli

    class Interrupting(confuciux.cli.ProgressLine):  # Ctrl-C at epoch 50 of 500
        def update(self, done, total, text):  # type: ignore[no-untyped-def]
            if done == 50:
                raise KeyboardInterrupt
            super().update(done, total, text)

    monkeypatch.setattr(confuciux.cli, "ProgressLine", Interrupting)
    out = tmp_path / "r.json"
    code = main(["explore", "--model", "example", "--epochs", "500", "--seed", "0", "--json", str(out)])
    assert code == 130
    res = confuciux.Result.from_json(out.read_text())
    assert res.interrupted and len(res.pes) == 2 and res.evaluations > 0 and len(res.history) == 50
    assert "[interrupted]" in capsys.readouterr().out


def test_sigint_during_explore_exits_130(tmp_path):
    out = tmp_path / "r.json"
    p = subprocess.Popen(
        [sys.executable, "-m", "confuciux", "explore", "--model", "mobilenet_v2", "--epochs", "1000000000",
         "--json", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert p.stderr is not None
    seen = b""
    while b"epoch" not in seen:  # the search has started (progress on stderr)
        chunk = p.stderr.read1(4096)
        assert chunk, "explore ended before it was interrupted"
        seen += chunk
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 130 and b"Traceback" not in seen + stderr
    assert b"[interrupted]" in stdout and confuciux.Result.from_json(out.read_text()).interrupted


# --- fuzz: any argument list gives a documented exit code and never a traceback -------------------

_TOKENS = [
    "evaluate", "explore", "zoo", "--model", "example", "mobilenet_v2", "x.csv", "x.m", "--pes", "--buffer",
    "--dataflow", "dla", "shi", "eye", "dpt", "--hardware", "maestro", "default", "--csv", "--json", "out",
    "--objective", "latency", "edp", "--platform", "edge-fpga", "cloud-fpga", "--constraint", "pes", "area",
    "--mul", "--deployment", "LS", "--method", "exact", "heuristic", "ga", "--seed", "--quiet", "--help",
    "--version", "-h", "0", "1", "-1", "64", "1.5", "nan", "inf", "1e309", "99999999999999999999", "",
]  # fmt: skip
_arguments = st.lists(st.sampled_from(_TOKENS) | st.text(max_size=12).map(lambda t: t.replace("/", "_")), max_size=8)


@settings(max_examples=150, deadline=None)
@given(head=st.sampled_from(["evaluate", "explore", "zoo", ""]), args=_arguments)
def test_fuzz_arguments(head, args, tmp_path_factory):
    argv = [head, *args] if head else args
    if "explore" in argv:
        argv += ["--model", "example", "--epochs", "3"]  # keep each run short: the last value wins
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("fuzz"))  # any --csv/--json file lands here
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(cwd)
    text = err.getvalue()
    assert code in (0, 1, 2, 3), (argv, code, text)
    assert "Traceback" not in text and "internal error" not in text, (argv, text)
    if code == 1:
        one_error_line(text)


_cells = st.sampled_from(["K", "C", "Y", "X", "R", "S", "T", "1", "2", "3", "8", "0", "-1", "1.5", "", " ", '"', "9" * 25])
_csv_text = st.lists(st.lists(_cells | st.text(max_size=6), max_size=8).map(",".join), max_size=5).map("\n".join)
_m_tokens = st.sampled_from(["Network", "Layer", "Type:", "CONV", "DSCONV", "Dimensions", "{", "}", "K:", "C:", "Y:",
                             "X:", "R:", "S:", "N:", "3", "1", ",", ";", "//", "/*", "*/", "9" * 25, "\n"])  # fmt: skip
_m_text = st.lists(_m_tokens | st.text(max_size=4), max_size=40).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(csv_text=_csv_text | st.text(max_size=80), m_text=_m_text, header=st.booleans())
def test_fuzz_model_files(csv_text, m_text, header, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    (folder / "f.csv").write_text(("K,C,Y,X,R,S,T\n" if header else "") + csv_text)
    (folder / "f.m").write_text(m_text)
    for name in ("f.csv", "f.m"):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["evaluate", "--model", str(folder / name)])
        assert code in (0, 1, 3), (name, code, err.getvalue())
        if code == 1:
            assert name in one_error_line(err.getvalue())


def test_library_warnings_are_one_line(tmp_path):
    """A warning of the library (here: an ONNX compute node skipped) reads like the command
    line's own warnings, without Python's source path and code line."""
    onnx = pytest.importorskip("onnx")
    h, T = onnx.helper, onnx.TensorProto
    g = h.make_graph([h.make_node("MatMulInteger", ["x", "w"], ["y"], name="q")], "g",
                     [h.make_tensor_value_info("x", T.UINT8, [2, 3]), h.make_tensor_value_info("w", T.UINT8, [3, 4])],
                     [h.make_tensor_value_info("y", T.INT32, None)])  # fmt: skip
    m = tmp_path / "q.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), m)
    r = run("import", str(m), "-o", str(tmp_path / "q.csv"), "--no-strict")
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"confuciux: warning: {m}: 1 compute node(s) skipped, their work is not in the model: q (MatMulInteger)"
    ]


def test_closed_standard_streams_are_no_internal_error():
    """``confuciux zoo >&-``: an error line and exit 1, not "internal error (AttributeError)";
    with stderr closed too, the exit code alone."""
    code = "import sys; from confuciux.cli import main; sys.exit(main(['zoo']))"
    r = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       pass_fds=(), close_fds=True, preexec_fn=lambda: os.close(1))  # fmt: skip
    assert r.returncode == 1 and r.stderr == "confuciux: error: [Errno 9] standard output is closed\n"
    r = subprocess.run([sys.executable, "-c", code.replace("'zoo'", "'explore', '--model', 'nonexistent'")],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.close(2))  # fmt: skip
    assert r.returncode == 1 and r.stdout == b""


def test_usage_errors_after_parsing_show_the_commands_usage(capsys):
    assert main(["evaluate", "--model", "example", "--pes", "1", "2", "3"]) == 2
    err = capsys.readouterr().err
    assert "\nusage: confuciux evaluate " in err and err.endswith("--pes and --buffers take one value or one per layer (2 layers)\n")


def _loading(pid: int, library: str) -> bool:
    try:
        return library in open(f"/proc/{pid}/maps").read()
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_while_the_package_loads_ends_quietly():
    """Ctrl-C while ``confuciux`` imports NumPy and the kernel printed a Python traceback: the
    console script lives outside the package and keeps Ctrl-C's default action until the command
    line handles it."""
    script = os.path.join(os.path.dirname(sys.executable), "confuciux")
    if not os.path.exists(script):
        pytest.skip("the console script is not installed")
    p = subprocess.Popen([script, "zoo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not _loading(p.pid, "_multiarray_umath") and p.poll() is None:  # NumPy is being imported
        pass
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert b"Traceback" not in err and err == b"" and out == b""
    assert p.returncode == -signal.SIGINT  # ended by the signal, as any Unix tool: 130 in the shell


def test_reader_gone_mid_write_is_141_whatever_the_size():
    """``explore --json - | head -c 100`` with 86 KB of JSON: Python's buffered writer returned a
    short count when the reader went away in the middle of the write and its text layer dropped
    the rest, so the command exited 0 with its output cut; small outputs gave 141."""
    p = subprocess.Popen([sys.executable, "-m", "confuciux", "explore", "--model", "densenet", "--method", "heuristic",
                          "--quiet", "--json", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert p.stdout is not None and p.stderr is not None
    assert len(p.stdout.read(100)) == 100  # the JSON (over 64 KB, a pipe's buffer) is being written
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141 and b"Traceback" not in err and b"Broken pipe" not in err


# --- dataflows: presets, files, each layer's own; MAESTRO's flags ------------------------------
MAPPING = """Constant Tile 2;
Network two {
Layer a {
Type: CONV
Dimensions { K: 16, C: 8, Y: 12, X: 12, R: 3, S: 3 }
Dataflow {
  TemporalMap(Tile,Tile) K; TemporalMap(1,1) C; SpatialMap(1,1) Y'; TemporalMap(4,4) X';
  TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
  Cluster(4, P);
  SpatialMap(1,1) X'; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
}
}
Layer b {
Type: CONV
Dimensions { K: 8, C: 16, Y: 10, X: 10, R: 3, S: 3 }
}
}
"""


def test_evaluate_a_mapping_file_costs_each_layer_under_its_own_program(tmp_path, capsys):
    path = tmp_path / "two.m"
    path.write_text(MAPPING)
    out_csv = tmp_path / "two.csv"
    assert main(["evaluate", "--model", str(path), "--pes", "16", "--hardware", "maestro", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "dataflow program+dla (each layer's own program)" in out.splitlines()[0]
    model = confuciux.Model.from_maestro(path)
    costs = confuciux.evaluate(model, 16, 4, None, confuciux.Hardware.maestro())
    rows = list(csv.DictReader(open(out_csv)))
    assert [r["dataflow"] for r in rows] == ["program", "dla"]
    assert [int(r["runtime_cycles"]) for r in rows] == costs.runtime.astype(int).tolist()
    # --dataflow replaces the programs, for every layer or one per layer
    assert main(["evaluate", "--model", str(path), "--pes", "16", "--dataflow", "shi"]) == 0
    assert "dataflow shi (" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(path), "--pes", "16", "--dataflow", "model,eye"]) == 0
    assert "dataflow program+eye" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(path), "--dataflow", "dla,shi,eye"]) == 2
    assert "one dataflow or one per layer (2 layers)" in capsys.readouterr().err


def test_a_dataflow_from_a_file_and_the_presets(tmp_path, capsys):
    mine = tmp_path / "mine.m"
    mine.write_text("\n".join(MAPPING.splitlines()[5:11]) + "\n")  # a Dataflow block alone, Tile free
    code = main(["evaluate", "--model", "example", "--pes", "8", "--dataflow", f"dla,shi,{mine}"])
    assert code == 2 and "one dataflow or one per layer (2 layers)" in capsys.readouterr().err
    assert main(["evaluate", "--model", "example", "--pes", "8", "--dataflow", str(mine)]) == 1
    assert "the constant Tile has no value" in capsys.readouterr().err
    mine.write_text(mine.read_text().replace("Tile", "2"))
    assert main(["evaluate", "--model", "example", "--pes", "8", "--dataflow", f"dla,{mine}"]) == 0
    assert "dataflow dla+program (" in capsys.readouterr().out
    bad = tmp_path / "bad.m"
    bad.write_text("Dataflow {\n  SpatialMap(1,1) K;\n  TemporalMap(1,1) Q;\n}\n")
    assert main(["evaluate", "--model", "example", "--dataflow", str(bad)]) == 1
    assert f"{bad}, line 3" in capsys.readouterr().err
    assert main(["evaluate", "--model", "example", "--dataflow", "tpu"]) == 2
    assert "'tpu' is neither a dataflow preset" in capsys.readouterr().err
    assert main(["dataflows"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == len(confuciux.dataflow.PRESETS) and listing[0].split()[:3] == ["dla", "CONV/TRCONV/GEMM",
                                                                                          "closed"]  # fmt: skip
    assert any(line.startswith("kcp_ws") and " engine " in line for line in listing)
    assert main(["dataflows", "KCP_WS"]) == 0
    text = capsys.readouterr().out
    assert confuciux.Dataflow.parse(text) == confuciux.Dataflow.preset("kcp_ws")
    assert main(["dataflows", "tpu"]) == 2


def test_maestro_flags_and_impossible_designs_on_the_command_line(tmp_path, capsys):
    base = ["evaluate", "--model", "example", "--pes", "8", "--hardware", "maestro", "--csv"]
    assert main([*base, str(tmp_path / "a.csv")]) == 0
    assert main([*base, str(tmp_path / "b.csv"), "--noc-bandwidth", "1", "--simd-lanes", "2"]) == 0
    assert "noc_bandwidth 1" in capsys.readouterr().out.splitlines()[-len(confuciux.zoo.load("example")) - 3]
    a, b = (list(csv.DictReader(open(tmp_path / f"{x}.csv"))) for x in "ab")
    assert [r["l2_bytes"] for r in a] == [r["l2_bytes"] for r in b] and a != b
    assert main(["evaluate", "--model", "example", "--noc-hops", "-1"]) == 2
    strict = tmp_path / "strict.json"
    loose = tmp_path / "loose.json"
    common = ["explore", "--model", "vgg16", "--dataflow", "eye", "--method", "exact", "--quiet", "--pe-bounds",
              "1..4", "--budget", "area=3e6"]  # fmt: skip
    assert main([*common, "--json", str(strict)]) == 0
    assert main([*common, "--json", str(loose), "--allow-impossible"]) == 0
    s, lo = (confuciux.Result.from_json(p.read_text()) for p in (strict, loose))
    assert s.costs.physical.all() and not lo.costs.physical.all() and lo.objective_value < s.objective_value
