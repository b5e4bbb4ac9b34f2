"""Sweeps (module confuciux.sweeps): the same results in process, on a process pool and on a Dask
cluster; checkpoints that survive a kill."""

from __future__ import annotations

import concurrent.futures as cf
import csv
import dataclasses
import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import confuciux as cx
from confuciux.sweeps import Case, cases_from_spec, load_spec, results_table, sweep


def _cases() -> list[Case]:
    alexnet, vgg = cx.zoo.load("alexnet"), cx.zoo.load("vgg16")
    cases = []
    for model in (alexnet, vgg):
        for dataflow in ("dla", "shi"):
            platform = cx.Platform.confuciux(model, dataflow, "area", 0.5)
            for method, seed in (("rl", 0), ("confuciux", 1)):
                cases.append(Case(model, platform, method=method, epochs=15, seed=seed))
    return cases


class ThirdParty:
    """A third party's search method, defined here and registered nowhere: each epoch, ``count``
    random valid designs (a plain class, not a dataclass: recorded by its attributes)."""

    name = "third-party"

    def __init__(self, count: int = 4) -> None:
        self.count = count

    def run(self, problem, tracker, rng, epochs, start=None):  # type: ignore[no-untyped-def]
        from confuciux.search.random_search import random_designs

        for _ in range(epochs):
            tracker.score(random_designs(problem, rng, self.count))
            tracker.end_epoch(self.name)
        return None


def _instance_cases() -> list[Case]:
    from confuciux.search import Genetic

    m = cx.zoo.load("alexnet")
    pl = cx.Platform.confuciux(m, "dla", "area", 0.5)
    return [Case(m, pl, method=Genetic(population=40), epochs=6), Case(m, pl, method=ThirdParty(count=3), epochs=6),
            Case(m, pl, method=ThirdParty(), epochs=6), Case(m, pl, method="ga", epochs=6)]  # fmt: skip


def _same(a: list[cx.Result], b: list[cx.Result]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        dx, dy = x.to_dict(), y.to_dict()
        dx.pop("seconds")
        dy.pop("seconds")
        assert dx == dy


@pytest.fixture(scope="module")
def in_process() -> list[cx.Result]:
    return sweep(_cases())


def test_in_process_results_are_in_case_order(in_process):
    cases = _cases()
    assert [(r.model_name, r.method, r.seed, r.platform["dataflow"]) for r in in_process] == [
        (c.model.name, c.method, c.seed, c.platform.dataflow) for c in cases
    ]
    _same(in_process, [c.run() for c in cases[:2]] + in_process[2:])


def test_process_pool_equals_in_process(in_process):
    with cf.ProcessPoolExecutor(2) as pool:
        results = sweep(_cases(), executor=pool)
    _same(results, in_process)


def test_dask_local_cluster_equals_in_process(in_process):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            results = sweep(_cases(), executor=client)
    _same(results, in_process)


_LOAD_ELSEWHERE = """
import sys
import confuciux as cx
for line in open(sys.argv[1]):
    r = cx.Result.from_json(line)
    print(r.method, r.feasible)
"""


def test_method_instances_run_in_pools_and_on_dask_and_their_results_load_elsewhere(tmp_path):
    """``Case(method=instance)``: a built-in method with other parameters and a third party's method
    defined in this module run in process, on a process pool and on a Dask LocalCluster with the
    same results; they are labelled by their parameters; a result saved in a file loads in a fresh
    process that never heard of the method."""
    from confuciux.search import check_method
    from confuciux.sweeps import method_spec, process_pool

    check_method(ThirdParty(count=3))  # the third party's own conformance test
    cases = _instance_cases()
    assert len({c.key() for c in cases}) == 4
    spec = method_spec(cases[1].method)
    assert spec == {"name": "third-party", "type": "test_sweeps.ThirdParty", "params": {"count": 3}} or spec == {
        "name": "third-party", "type": "tests.test_sweeps.ThirdParty", "params": {"count": 3}}  # fmt: skip
    path = tmp_path / "ck.jsonl"
    results = sweep(cases, checkpoint=path)
    assert [r.method for r in results] == ["ga(population=40)", "third-party(count=3)", "third-party", "ga"]
    assert [json.loads(line)["method"]["params"] for line in path.read_text().splitlines()[:3]] == [
        {**method_spec(cases[0].method)["params"]}, {"count": 3}, {"count": 4}]  # type: ignore[index]  # fmt: skip
    assert results[0].to_dict()["evaluations"] != results[3].to_dict()["evaluations"]  # 40 designs a generation
    with process_pool(2) as pool:
        _same(sweep(_instance_cases(), executor=pool), results)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            _same(sweep(_instance_cases(), executor=client), results)
    saved = tmp_path / "results.jsonl"
    saved.write_text("".join(r.to_json() + "\n" for r in results))
    out = subprocess.run([sys.executable, "-c", _LOAD_ELSEWHERE, str(saved)], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout  # fmt: skip
    assert out.splitlines() == [f"{r.method} True" for r in results]


def test_method_parameters_a_case_cannot_record_are_a_type_error():
    m = cx.zoo.load("alexnet")
    pl = cx.Platform.confuciux(m)
    method = ThirdParty()
    method.count = object()  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"method 'third-party'.count is a object"):
        Case(m, pl, method=method, epochs=2)


def test_a_lost_dask_scheduler_is_named():
    """The scheduler going away mid-sweep was "internal error (FutureCancelledError ...); please
    report it" on the command line: now a ConnectionError that says what happened."""
    distributed = pytest.importorskip("distributed")
    import threading

    import dask

    m = cx.zoo.load("alexnet")
    cases = [Case(m, cx.Platform.confuciux(m), method="rl", epochs=10**8, seed=s) for s in range(2)]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)

        def lose_the_scheduler() -> None:
            deadline = time.monotonic() + 60
            while not any(client.processing().values()) and time.monotonic() < deadline:
                time.sleep(0.05)
            cluster.close()

        killer = threading.Thread(target=lose_the_scheduler)
        killer.start()
        try:
            with pytest.raises(ConnectionError, match=r"the Dask cluster went away .*0 of 2 cases finished"):
                sweep(cases, executor=client)
        finally:
            killer.join()
            client.close()


def test_case_is_picklable_and_its_key_stable_across_processes():
    case = _cases()[3]
    assert pickle.loads(pickle.dumps(case)).key() == case.key()
    code = textwrap.dedent(
        """
        import confuciux as cx
        from confuciux.sweeps import Case
        m = cx.zoo.load("alexnet")
        print(Case(m, cx.Platform.confuciux(m, "dla", "area", 0.5), method="confuciux", epochs=15, seed=1).key())
        """
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == _cases()[1].key()
    assert len({c.key() for c in _cases()}) == len(_cases())
    # the label names a case but does not change what it computes
    assert Case(case.model, case.platform, method="rl", epochs=15, seed=0, label="x").key() == _cases()[2].key()


def test_case_validation():
    m = cx.zoo.load("alexnet")
    pl = cx.Platform.confuciux(m)
    assert Case("alexnet", pl).model == m
    with pytest.raises(ValueError, match="integer seed"):
        Case(m, pl, seed=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown method"):
        Case(m, pl, method="magic")
    with pytest.raises(ValueError, match="epochs"):
        Case(m, pl, epochs=0)
    with pytest.raises(TypeError, match="cases\\[1\\]"):
        sweep([Case(m, pl, epochs=2), "not a case"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="executor"):
        sweep([Case(m, pl, epochs=2)], executor=object())


def test_identical_cases_run_once_and_progress_reports_each():
    m = cx.zoo.load("alexnet")
    case = Case(m, cx.Platform.confuciux(m), method="rl", epochs=5, seed=3)
    seen: list[tuple[int, int]] = []
    results = sweep([case, case], progress=lambda done, total: seen.append((done, total)))
    assert results[0] is results[1]
    assert seen == [(0, 2), (2, 2)]


def test_models_with_equal_layers_are_different_cases():
    """The zoo's resnext50_32x4d and wide_resnet50 have the same layers in ConfuciuX's record: a
    sweep over both ran one and labelled both rows with its name."""
    a, b = cx.zoo.load("resnext50_32x4d"), cx.zoo.load("wide_resnet50")
    assert a.layers == b.layers and a.name != b.name
    cases = [Case(m, cx.Platform.confuciux(m, "dla", "area", 0.5), method="heuristic", epochs=1) for m in (a, b)]
    assert cases[0].key() != cases[1].key()
    ran: list[int] = []
    results = sweep(cases, progress=lambda done, total: ran.append(done))
    assert [r.model_name for r in results] == ["resnext50_32x4d", "wide_resnet50"] and ran == [0, 1, 2]
    assert [row["model"] for row in results_table(results)] == ["resnext50_32x4d", "wide_resnet50"]
    renamed = cx.Platform.confuciux(a, "dla", "area", 0.5)
    renamed = dataclasses.replace(renamed, name="other")  # the platform's name is recorded too
    assert Case(a, renamed, method="heuristic", epochs=1).key() != cases[0].key()


def test_checkpoint_skips_finished_cases(tmp_path, in_process):
    path = tmp_path / "ck.jsonl"
    cases = _cases()
    first = sweep(cases[:3], checkpoint=path)
    assert len(path.read_text().splitlines()) == 3
    seen: list[int] = []
    results = sweep(cases, checkpoint=path, progress=lambda done, total: seen.append(done))
    assert seen[0] == 3  # three were read back, not run
    assert len(path.read_text().splitlines()) == len(cases)
    _same(results, in_process)
    _same(first, in_process[:3])


_KILLED_SWEEP = """
import sys, time
import confuciux as cx
from confuciux.sweeps import Case, sweep
sys.path.insert(0, {tests!r})
from test_sweeps import _cases
# a pause after each case so that the kill lands part-way through the sweep
sweep(_cases(), checkpoint={path!r}, progress=lambda done, total: time.sleep(0.4))
"""


def test_killed_sweep_resumes_from_its_checkpoint(tmp_path, in_process):
    path = tmp_path / "ck.jsonl"
    script = _KILLED_SWEEP.format(tests=os.path.dirname(__file__), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    kept = len([line for line in path.read_text().split("\n") if line.endswith("}")])
    assert 3 <= kept < len(in_process)
    seen: list[int] = []
    results = sweep(_cases(), checkpoint=path, progress=lambda done, total: seen.append(done))
    assert seen[0] >= 3  # finished cases were not run again
    _same(results, in_process)
    assert len(path.read_text().strip().split("\n")) >= len(in_process)


_FULL_DISK_SWEEP = """
import resource, sys
sys.path.insert(0, {tests!r})
from confuciux.sweeps import sweep
from test_sweeps import _cases
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))  # as `ulimit -f`: the disk is full here
sweep(_cases(), checkpoint={path!r})
"""


def test_checkpoint_cut_mid_record_by_a_full_disk_stays_readable(tmp_path, in_process):
    """A write cut mid-record (a full disk; a kill) is dropped when the sweep resumes, and the file
    stays readable on every later resume (it used to fail "not a sweep checkpoint record" from the
    second resume on)."""
    two = tmp_path / "two.jsonl"
    sweep(_cases()[:2], checkpoint=two)
    limit = two.stat().st_size + 1000  # the third record is cut 1,000 bytes in
    path = tmp_path / "ck.jsonl"
    script = _FULL_DISK_SWEEP.format(tests=os.path.dirname(__file__), path=str(path), limit=limit)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "File too large" in r.stderr
    data = path.read_bytes()
    assert len(data) == limit and not data.endswith(b"\n")  # cut mid-record
    seen: list[int] = []
    for _ in range(2):  # resume, then resume again
        seen.clear()
        results = sweep(_cases(), checkpoint=path, progress=lambda done, total: seen.append(done))
        _same(results, in_process)
        lines = path.read_text().splitlines()
        assert len(lines) == len(in_process) and all(json.loads(line)["key"] for line in lines)
    assert seen[0] == len(in_process)  # the second resume ran nothing


def test_checkpoint_cut_records_anywhere_are_ignored_and_bad_lines_named(tmp_path, in_process):
    path = tmp_path / "ck.jsonl"
    cases = _cases()[:3]
    sweep(cases[:2], checkpoint=path)
    first, second = path.read_text().splitlines()
    # as an earlier version left a cut record: ended with a newline, then appended after
    path.write_text(first + "\n" + second[:500] + "\n" + second + "\n" + '{"ke')
    seen: list[int] = []
    results = sweep(cases, checkpoint=path, progress=lambda done, total: seen.append(done))
    _same(results, in_process[:3])
    assert seen[0] == 2  # both whole records were read back
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[3])["key"] == cases[2].key()  # the cut tail dropped
    path.write_text("garbage\n" + "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"ck.jsonl, line 1: not a sweep checkpoint record"):
        sweep(cases, checkpoint=path)
    path.write_text('{"key":"x","result":{}}\n')  # whole, but not a record
    with pytest.raises(ValueError, match=r"ck.jsonl, line 1: not a sweep checkpoint record"):
        sweep(cases, checkpoint=path)
    path.write_text(first)  # a whole record that lost only its newline is kept
    sweep(cases[:2], checkpoint=path)
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == [c.key() for c in cases[:2]]


def test_sweeps_sharing_a_checkpoint_keep_each_others_records(tmp_path, in_process):
    """A sweep that loaded the checkpoint before another sweep appended to it used to truncate the
    file back to what it had loaded when it opened it (to drop a cut record): the other sweep's
    records were lost (18 of 60 in a run of two `race` processes)."""
    path = tmp_path / "ck.jsonl"
    cases = _cases()[:3]
    sweep(cases[:1], checkpoint=path)
    calls: list[int] = []

    def meanwhile(done: int, total: int) -> None:  # called after the load, before the file is opened
        if not calls:
            calls.append(done)
            sweep(cases[1:2], checkpoint=path)

    results = sweep(cases[2:3], checkpoint=path, progress=meanwhile)
    _same(results, in_process[2:3])
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == [c.key() for c in cases]


def test_a_checkpoint_that_is_not_a_regular_file_is_refused():
    """/dev/full as the checkpoint used to hang the sweep: it was read (endless zeros) to its end."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with pytest.raises(ValueError, match="/dev/full: a sweep checkpoint is a regular file"):
        sweep(_cases()[:1], checkpoint="/dev/full")


def test_results_table_csv_and_dataframe(tmp_path, in_process):
    rows = results_table(in_process)
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
    assert rows[0]["model"] == "alexnet" and rows[0]["dataflow"] == "dla" and rows[0]["method"] == "rl"
    for row, r in zip(rows, in_process, strict=True):
        assert row["objective_value"] == r.objective_value == row["runtime_cycles"]
        assert row["used_area"] <= row["budget_area"]
        assert row["feasible"] is True and row["epochs"] == 15
    out = tmp_path / "t.csv"
    rows.to_csv(out)
    back = list(csv.DictReader(open(out)))
    assert len(back) == len(rows) and float(back[3]["objective_value"]) == rows[3]["objective_value"]
    assert back[0]["lower_bound"] == ""
    pd = pytest.importorskip("pandas")
    df = rows.to_dataframe()
    assert isinstance(df, pd.DataFrame) and df.shape[0] == len(rows)


def test_spec_product_and_errors(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('model = ["alexnet", "vgg16"]\ndataflow = ["dla", "shi", "eye"]\nseed = [0, 1]\nepochs = 10\n'
                    'budget = {area = 3e6, power = 900}\n')  # fmt: skip
    cases = cases_from_spec(load_spec(toml), str(toml))
    assert len(cases) == 12
    assert {c.platform.budgets["area"] for c in cases} == {3e6} and cases[0].epochs == 10
    js = tmp_path / "s.json"
    js.write_text(json.dumps({"model": "alexnet", "mul": [0.25, 0.75], "platform": "confuciux"}))
    cases = cases_from_spec(load_spec(js), str(js))
    assert [c.platform.name for c in cases] == ["confuciux area x0.25", "confuciux area x0.75"]
    with pytest.raises(ValueError, match="unknown key.*'datafow'"):
        cases_from_spec({"model": "alexnet", "datafow": "dla"}, "x.toml")
    with pytest.raises(ValueError, match="x.toml: 'model' is required"):
        cases_from_spec({"dataflow": "dla"}, "x.toml")
    with pytest.raises(ValueError, match="x.toml: case .*'dataflow': 'tpu'.*unknown dataflow"):
        cases_from_spec({"model": "alexnet", "dataflow": ["dla", "tpu"]}, "x.toml")
    # model files are read relative to the specification's folder
    (tmp_path / "nets").mkdir()
    cx.zoo.load("vgg16")[:3].to_csv(tmp_path / "nets" / "three.csv")
    (tmp_path / "nets" / "s.json").write_text(json.dumps({"model": "three.csv", "epochs": 2}))
    cases = cases_from_spec(load_spec(tmp_path / "nets" / "s.json"), "s.json", tmp_path / "nets")
    assert len(cases) == 1 and len(cases[0].model) == 3
    bad = tmp_path / "bad.toml"
    bad.write_text("model = [\n")
    with pytest.raises(ValueError, match="bad.toml"):
        load_spec(bad)


def test_ctrl_c_stops_an_in_process_sweep_after_checkpointing(tmp_path, monkeypatch, in_process):
    cases = _cases()[:3]
    real_run = Case.run

    def run(self: Case) -> cx.Result:
        result = real_run(self)
        if self is cases[1]:  # as Explorer returns a run cut short by Ctrl-C
            return dataclasses.replace(result, interrupted=True)
        return result

    monkeypatch.setattr(Case, "run", run)
    path = tmp_path / "ck.jsonl"
    with pytest.raises(KeyboardInterrupt):
        sweep(cases, checkpoint=path)
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == [cases[0].key()]  # the interrupted case is not kept
    monkeypatch.setattr(Case, "run", real_run)
    _same(sweep(cases, checkpoint=path), in_process[:3])


def test_progress_on_stderr_is_plain_lines_when_not_a_terminal(capsys):
    m = cx.zoo.load("alexnet")
    sweep([Case(m, cx.Platform.confuciux(m), method="rl", epochs=2, seed=s) for s in range(2)], progress=True)
    err = capsys.readouterr().err
    assert "\r" not in err and err.splitlines() == ["[" + "." * 20 + "] 0/2 cases", "[" + "#" * 20 + "] 2/2 cases"]


def test_spec_nested_too_deep_is_a_clear_error(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    with pytest.raises(ValueError, match="deep.json: not a readable specification"):
        load_spec(deep)


def test_spec_reads_relative_onnx_and_upper_case_suffixes_from_its_folder(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    (tmp_path / "nets").mkdir()
    w = onnx.numpy_helper.from_array(np.zeros((8, 3, 3, 3), np.float32), "w")
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])  # fmt: skip
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "nets" / "net.onnx")
    cx.zoo.load("vgg16")[:3].to_csv(tmp_path / "nets" / "THREE.CSV")
    cases = cases_from_spec({"model": ["net.onnx", "THREE.CSV"]}, "s.json", tmp_path / "nets")
    assert [len(c.model) for c in cases] == [1, 3] and cases[0].model.layers[0].name == "c"


def test_checkpoint_that_is_not_text_names_the_file(tmp_path):
    bad = tmp_path / "ck.jsonl"
    bad.write_bytes(bytes(range(128, 256)))
    with pytest.raises(ValueError, match="ck.jsonl: not a sweep checkpoint"):
        sweep(_cases()[:1], checkpoint=bad)
