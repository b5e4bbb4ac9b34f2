"""Self-contained results and their exports: strict JSON round trip with layers, hardware and
access counts; MAESTRO files to re-run each layer; the per-layer CSV."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

import confuciux as cx
from confuciux import Explorer, Layer, Model, Platform, Result


@pytest.fixture(scope="module")
def result() -> Result:
    model = Model("mix", (Layer(16, 8, 12, 12, 3, 3, name="c1"), Layer(1, 16, 10, 10, 3, 3, "DSCONV", name="dw"),
                          Layer.gemm(8, 32, 16, name="fc")))  # fmt: skip
    platform = Platform.confuciux(model, "dla", "area", 0.5)
    return Explorer(model, platform, "latency", "heuristic", epochs=2, seed=0).run()


def _no_constants(text: str) -> None:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-strict JSON constant {name}")

    json.loads(text, parse_constant=refuse)


def test_json_is_strict_and_self_contained(result):
    text = result.to_json()
    _no_constants(text)
    d = json.loads(text)
    assert [l["name"] for l in d["layers"]] == ["c1", "dw", "fc"] and d["layers"][2]["kind"] == "GEMM"
    assert d["hardware_coefficients"]["name"] == result.hardware.name
    assert d["platform"]["pe_levels"] == list(Platform.confuciux(result.workload, "dla", "area", 0.5).pe_levels)
    assert set(d["accesses"]) == set(result.costs.accesses) and len(d["accesses"]["input_l2_read"]) == 3
    back = Result.from_json(text)
    assert back.workload == result.workload and [l.name for l in back.workload] == ["c1", "dw", "fc"]
    assert back.hardware == result.hardware
    for k, v in result.costs.accesses.items():
        np.testing.assert_array_equal(back.costs.accesses[k], v)
    np.testing.assert_array_equal(back.pes, result.pes)
    assert Result.from_json(back.to_json()).to_json() == text  # stable


def test_non_finite_numbers_become_null(result):
    odd = dataclasses.replace(result, seconds=float("inf"), objective_value=float("nan"))
    text = odd.to_json()
    _no_constants(text)
    assert json.loads(text)["seconds"] is None and json.loads(text)["objective_value"] is None


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d["layers"].pop(), "'layers' must be a list of 3"),
        (lambda d: d["layers"][1].update(K=0), r"layers\[1\]: .*K must be >= 1"),
        (lambda d: d["layers"][0].update(Q=3), r"layers\[0\] must be an object"),
        (lambda d: d["layers"][0].update(stride=[1, 2, 3]), r"layers\[0\]: .*stride"),
        (lambda d: d["hardware_coefficients"].update(bogus=1), "hardware_coefficients"),
        (lambda d: d.update(hardware_coefficients=[1]), "'hardware_coefficients' must be an object"),
        (lambda d: d["accesses"].update(input_l2_read=[1, "x", 3]), r"accesses\['input_l2_read'\]"),
        # integers beyond any float: OverflowError escaped from_json
        (lambda d: d["accesses"].update(input_l2_read=[10**400] * 3), r"accesses\['input_l2_read'\] holds a number too"),
        (lambda d: d["hardware_coefficients"].update(mac_energy=10**400), "hardware_coefficients: .*too large"),
    ],
)
def test_hostile_documents(result, change, match):
    d = json.loads(result.to_json())
    change(d)
    with pytest.raises(ValueError, match=match):
        Result.from_json(json.dumps(d))


def test_to_maestro_writes_files_maestro_runs(result, tmp_path):
    paths = result.to_maestro(tmp_path / "out")
    names = [p.relative_to(tmp_path / "out").as_posix() for p in paths]
    assert names == ["mix.m", "layers/000_c1.m", "layers/001_dw.m", "layers/002_fc.m", "run_maestro.sh"]
    assert Model.from_maestro(paths[0]) == result.workload
    for i, path in enumerate(paths[1:4]):
        text = path.read_text()
        assert f"Constant KTileSz {int(result.buffers[i])};" in text
        assert f"Constant ClusterSz {int(result.pes[i])};" in text
        one = Model.from_maestro(path)
        layer = result.workload[i]
        # a GEMM under dla's convolution program is written as the equivalent CONV (MAESTRO runs that)
        same = dataclasses.replace(layer, kind="CONV") if layer.kind == "GEMM" else layer
        assert list(one) == [same] and one.custom_dataflow == (True,) and one[0].macs == layer.macs
        dataflow = "dpt" if layer.depthwise else "dla"
        assert one.dataflows[0].directives == cx.dataflow.preset(dataflow).directives
    script = paths[-1].read_text().splitlines()
    runs = [line for line in script if line.startswith("maestro ")]
    assert len(runs) == 3 and all(f"--num_pes={int(p)} " in r for r, p in zip(runs, result.pes, strict=True))
    assert "--Mapping_file=layers/001_dw.m" in runs[1]


def test_to_maestro_names_cannot_collide(result, tmp_path):
    """A model named ``000_c1`` whose layer 0 is ``c1``: the mapping file overwrote the model file
    and the returned list named it twice."""
    named = dataclasses.replace(result, model_name="000_c1")
    paths = named.to_maestro(tmp_path)
    assert len(set(paths)) == len(paths) == 5 and all(p.exists() for p in paths)
    assert Model.from_maestro(paths[0]) == result.workload  # the whole model, not one layer's mapping


def test_to_maestro_files_of_long_names_fit_the_file_system(result, tmp_path):
    """Names of 300 characters (or 200 three-byte ones) made "File name too long" after some
    files were written; file names keep the first NAME_BYTES bytes, the files keep the names."""
    from confuciux._result_io import NAME_BYTES

    names = ["a" * 300, "中" * 200, "fc"]
    layers = [dataclasses.replace(layer, name=name) for layer, name in zip(result.workload, names, strict=True)]
    named = dataclasses.replace(result, model_name="m" * 300, workload=Model("m" * 300, tuple(layers)))
    paths = named.to_maestro(tmp_path)
    assert len(set(paths)) == len(paths) == 5 and all(p.exists() for p in paths)
    assert max(len(p.name.encode()) for p in paths) <= NAME_BYTES + len("000_.m")
    assert [layer.name for layer in Model.from_maestro(paths[0])] == names


def test_to_maestro_needs_the_layers(result, tmp_path):
    bare = dataclasses.replace(result, workload=None)
    with pytest.raises(ValueError, match="does not carry its layers"):
        bare.to_maestro(tmp_path)


def test_to_csv(result, tmp_path):
    path = tmp_path / "r.csv"
    result.to_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert [r["name"] for r in rows] == ["c1", "dw", "fc"] and [r["kind"] for r in rows] == ["CONV", "DSCONV", "GEMM"]
    assert [int(r["pes"]) for r in rows] == [int(p) for p in result.pes]
    assert [float(r["runtime_cycles"]) for r in rows] == [float(v) for v in result.costs.runtime]
    assert [r["dataflow"] for r in rows] == list(result.dataflows)  # per layer: designs may mix dataflows
