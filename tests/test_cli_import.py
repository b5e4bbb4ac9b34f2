"""The command line's import parts: ``import``, ``--model NET.onnx``, ``evaluate --result``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import confuciux as cx
from confuciux.cli import main
from confuciux.workload import Layer, Model

onnx = pytest.importorskip("onnx")
from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402


@pytest.fixture()
def net(tmp_path):
    w = onnx.numpy_helper.from_array(np.zeros((16, 8, 3, 3), np.float32), "w")
    w2 = onnx.numpy_helper.from_array(np.zeros((16 * 10 * 10, 10), np.float32), "w2")
    shape = onnx.numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    nodes = [
        h.make_node("Conv", ["x", "w"], ["y"], name="conv"),
        h.make_node("Relu", ["y"], ["r"]),
        h.make_node("Reshape", ["r", "shape"], ["f"]),
        h.make_node("MatMul", ["f", "w2"], ["z"], name="fc"),
    ]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, [1, 8, 12, 12])],
                     [h.make_tensor_value_info("z", T.FLOAT, None)], [w, w2, shape])  # fmt: skip
    path = tmp_path / "net.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".m"])
def test_import_writes_and_summarises(net, tmp_path, capsys, suffix):
    out = tmp_path / f"net{suffix}"
    assert main(["import", str(net), "-o", str(out)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith(f"{net} -> {out}: 2 layers (1 CONV, 1 GEMM; 0 grouped)")
    assert text[1] == "layers from Conv 1, MatMul 1"
    assert text[2] == "skipped 2 ops: Relu 1, Reshape 1"
    back = Model.from_csv(out) if suffix == ".csv" else Model.from_maestro(out)
    assert list(back) == [Layer(16, 8, 12, 12, 3, 3), Layer.gemm(1, 10, 1600)]
    assert [l.name for l in back] == ["conv", "fc"]


def test_evaluate_takes_onnx(net, capsys):
    assert main(["evaluate", "--model", str(net), "--pes", "16"]) == 0
    assert capsys.readouterr().out.startswith("net: 2 layers")


@pytest.mark.parametrize(
    "args, code, match",
    [
        (["import", "{net}", "-o", "out.txt"], 2, "writes no '.txt' files; it writes .csv, .m"),
        (["import", "{bad}", "-o", "out.csv"], 1, "{bad}: not an ONNX model"),
        (["import", "{json}", "-o", "out.csv"], 1, "{json}: confuciux reads no '.json' files; it reads .csv, .m, .onnx"),
        (["evaluate"], 2, "needs --model"),
        (["evaluate", "--result", "{bad}"], 1, "{bad}"),
        (["evaluate", "--result", "{bad}", "--dataflow", "shi"], 2, "--dataflow does not apply"),
        (["import", "alexnet", "-o", "out.csv", "--batch", "4"], 2, "--batch does not apply to a zoo model (alexnet)"),
        (["import", "{net}", "-o", "out.csv", "--record", "network"], 2, "--record does not apply to ONNX .onnx files"),
        (["import", "{csv}", "-o", "out.m", "--no-strict"], 2, "--no-strict does not apply to ConfuciuX .csv"),
    ],
)
def test_errors_are_one_line(net, tmp_path, capsys, args, code, match):
    """One error line (after the command's usage for a usage error); ``import expected.json`` said
    "unknown model" for a file that exists with a suffix no reader takes."""
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage\xff" * 10)
    (tmp_path / "expected.json").write_text("{}")
    names = {"net": net, "bad": bad, "json": tmp_path / "expected.json", "csv": tmp_path / "m.csv"}
    args = [a.format(**names) for a in args]
    assert main(args) == code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert match.format(**names) in lines[-1] and "Traceback" not in err
    assert len(lines) == 1 if code == 1 else lines[0].startswith("usage: confuciux ")


def test_evaluate_result_reproduces_a_saved_design(tmp_path, capsys):
    saved = tmp_path / "r.json"
    assert main(["explore", "--model", "example", "--method", "heuristic", "--epochs", "1", "--quiet",
                 "--json", str(saved)]) in (0, 3)  # fmt: skip
    capsys.readouterr()
    assert main(["evaluate", "--result", str(saved), "--csv", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "the saved costs, objective, budget usage and feasibility are reproduced" in out
    assert (tmp_path / "r.csv").read_text() == _csv_of(cx.Result.from_json(saved.read_text()))
    assert out.startswith(f"{saved}: example, 2 layers")
    d = json.loads(saved.read_text())
    d["pes"] = [1 for _ in d["pes"]]  # a different design than the costs saved
    saved.write_text(json.dumps(d))
    assert main(["evaluate", "--result", str(saved)]) == 3
    assert "DIFFERENT" in capsys.readouterr().out


@pytest.mark.parametrize("field", ["area", "power", "l1_bytes", "l2_bytes", "macs", "status"])
def test_evaluate_result_checks_every_saved_cost(tmp_path, capsys, field):
    """A saved cost other than runtime and energy that the design does not give is reported
    DIFFERENT (huge PE counts give the same runtime but another area: it said "reproduced")."""
    saved = tmp_path / "r.json"
    assert main(["explore", "--model", "example", "--method", "exact", "--quiet", "--json", str(saved)]) == 0
    d = json.loads(saved.read_text())
    if field == "status":  # saved as not supported: a consistent document of an invalid layer
        for f in d["costs"]:
            d["costs"][f][0] = {"valid": False, "status": 4}.get(f)
        d.update(feasible=False, objective_value=None)
        d["constraint_used"]["area"].update(used=None, fraction=None)
    else:
        d["costs"][field][0] = d["costs"][field][0] + 1
    saved.write_text(json.dumps(d))
    capsys.readouterr()
    assert main(["evaluate", "--result", str(saved)]) == 3
    out = capsys.readouterr().out
    assert "DIFFERENT from the saved result: " in out and f"costs.{field}[0] (saved " in out


def _csv_of(result: cx.Result) -> str:
    import io

    out = io.StringIO()
    result.to_csv(out)
    return out.getvalue()


def _forge(d: dict, **changes: object) -> dict:
    d = json.loads(json.dumps(d))
    d.update(changes)
    return d


def test_evaluate_result_rederives_objective_usage_and_feasibility(tmp_path, capsys):
    """A forged file whose objective, usage and feasibility agree with each other but not with its
    design's costs said "the saved costs are reproduced" (exit 0); each field that disagrees is
    named now."""
    saved = tmp_path / "r.json"
    assert main(["explore", "--model", "example", "--method", "exact", "--quiet", "--json", str(saved)]) == 0
    d = json.loads(saved.read_text())
    budget = d["constraint_used"]["area"]["budget"]
    forged = _forge(d, objective_value=1.0, lower_bound=1.0,  # (a bound above the objective is refused on load)
                    constraint_used={"area": {"used": 1.0, "budget": budget, "fraction": 1.0 / budget}})  # fmt: skip
    saved.write_text(json.dumps(forged))
    capsys.readouterr()
    assert main(["evaluate", "--result", str(saved)]) == 3
    out = capsys.readouterr().out
    assert f"objective_value (saved 1, derived {d['objective_value']:.10g})" in out
    assert "constraint_used.area.used (saved 1, derived" in out and "constraint_used.area.fraction" in out
    low = _forge(d, constraint_used={"area": {"used": d["constraint_used"]["area"]["used"], "budget": 1.0,
                                              "fraction": d["constraint_used"]["area"]["used"]}},
                 feasible=False)  # fmt: skip
    saved.write_text(json.dumps(low))  # consistent in itself (over its budget: not feasible); the rest agrees
    assert main(["evaluate", "--result", str(saved)]) == 0
    assert "are reproduced" in capsys.readouterr().out


@pytest.mark.parametrize("dataflow", [["dla"], "bogus", None])
def test_evaluate_result_names_the_file_for_a_bad_dataflow(tmp_path, capsys, dataflow):
    saved = tmp_path / "r.json"
    assert main(["explore", "--model", "example", "--method", "exact", "--quiet", "--json", str(saved)]) == 0
    d = json.loads(saved.read_text())
    d["platform"]["dataflow"] = dataflow
    d.pop("dataflows", None)  # a file without per-layer dataflows: the platform's is used
    saved.write_text(json.dumps(d))
    capsys.readouterr()
    assert main(["evaluate", "--result", str(saved)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"confuciux: error: {saved}: platform.dataflow") and len(err.splitlines()) == 1


@pytest.mark.parametrize("batch", ["0", "-3", "1.5", "9" * 5000])
def test_import_batch_out_of_range_is_a_usage_error(net, tmp_path, capsys, batch):
    assert main(["import", str(net), "-o", str(tmp_path / "x.csv"), "--batch", batch]) == 2
    err = capsys.readouterr().err
    assert "argument --batch: expected an integer in [1, " in err and not (tmp_path / "x.csv").exists()


def test_evaluate_result_and_export_of_a_per_layer_dataflow_design(tmp_path, capsys):
    """A design whose layers use different dataflows (Result.dataflows) is re-costed layer by
    layer; it was refused ("platform.dataflow ... got 'dla+shi+eye'") and its MAESTRO export
    gave every layer the platform's label."""
    import confuciux as cx
    from confuciux.result import Result

    model = cx.zoo.load("example")
    result = cx.Explorer(model, cx.Platform(("dla", "shi", "eye"), budgets={"area": 3e5}), method="exact").run()
    d = json.loads(result.to_json())
    d["dataflows"] = ["dla", "eye"]
    costs = cx.evaluate(model, result.pes, result.buffers, ["dla", "eye"], result.hardware)
    for field in ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes", "macs", "macs_per_cycle"):
        d["costs"][field] = [float(v) for v in getattr(costs, field)]
    d["costs"]["status"] = [int(v) for v in costs.status]
    area = float(cx.budgets.lp_total(costs.area))  # the objective and usage of the new costs
    d["objective_value"] = float(cx.budgets.lp_total(costs.runtime))
    d["constraint_used"]["area"].update(used=area, fraction=area / 3e5)
    saved = tmp_path / "het.json"
    saved.write_text(json.dumps(d))
    assert main(["evaluate", "--result", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "dataflow dla+eye" in out and "are reproduced" in out
    paths = Result.from_json(saved.read_text()).to_maestro(tmp_path / "m")
    assert "SpatialMap(KTileSz,KTileSz) K;" in paths[1].read_text()  # dla's directives
    assert "SpatialMap(ClusterSz,ClusterSz) Y';" in paths[2].read_text()  # eye's
