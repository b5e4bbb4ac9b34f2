"""The format registry: one table of model file formats drives Model.read/write, load_model,
``confuciux import``, sweep specifications and help texts.

``toy_json`` below follows docs/architecture.md's checklist "adding a format" once: a reader
and a writer (its code) and one :class:`~confuciux.formats.Format` entry, registered for the
test and removed after it."""

from __future__ import annotations

import json

import pytest

import confuciux as cx
from confuciux import formats
from confuciux.cli import build_parser, main
from confuciux.formats import Format, Network
from confuciux.presets import load_model
from confuciux.sweeps import cases_from_spec, load_spec

MODEL = cx.Model("toy", [cx.Layer(16, 8, 10, 10, 3, 3, name="a"), cx.Layer(1, 16, 8, 8, 3, 3, "DSCONV", name="b")])


def _read_json(path, **options):
    if options:
        raise TypeError(f"the json reader takes no options, got {sorted(options)}")
    text, source, stem = formats.read_text(path)
    doc = json.loads(text)
    layers = tuple(doc["layers"])
    where = tuple(f"{source}, layer {i}" for i in range(len(layers)))
    return Network(doc.get("name", stem), layers, where, model_args={"skipped": doc.get("skipped", {})})


def _write_json(name, layers, f):
    keys = ("K", "C", "Y", "X", "R", "S", "kind", "name")
    json.dump({"name": name, "layers": [{k: getattr(l, k) for k in keys} for l in layers], "skipped": {"Relu": 2}}, f)


@pytest.fixture
def toy_json():
    formats.register(Format("json", (".json",), "JSON .json", _read_json, _write_json))
    yield
    formats.unregister("json")


def test_built_in_formats():
    assert formats.suffixes() == (".csv", ".m", ".onnx") and formats.suffixes(writable=True) == (".csv", ".m")
    assert formats.describe() == "ConfuciuX .csv, MAESTRO .m or ONNX .onnx"
    assert formats.format_for("NET.ONNX").name == "onnx"
    with pytest.raises(ValueError, match=r"x\.json: confuciux reads no '\.json' files; it reads \.csv, \.m, \.onnx"):
        formats.format_for("x.json")
    with pytest.raises(ValueError, match=r"writes no '\.onnx' files"):
        formats.format_for("x.onnx", write=True)
    with pytest.raises(ValueError, match="taken"):
        formats.register(Format("csv2", (".csv",), "", _read_json))
    with pytest.raises(ValueError, match="built-in"):
        formats.unregister("csv")


@pytest.mark.parametrize("suffix", [".csv", ".m"])
def test_model_read_and_write_by_suffix(tmp_path, suffix):
    path = tmp_path / f"toy{suffix}"
    MODEL.write(path)
    back = cx.Model.read(path)
    assert back == MODEL and [l.name for l in back] == ["a", "b"]
    assert load_model(str(path)) == MODEL
    with pytest.raises(TypeError, match="takes no options"):
        cx.Model.read(path, batch=2)


def test_an_existing_file_of_no_format_is_named_not_taken_for_a_zoo_name(tmp_path):
    path = tmp_path / "expected.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match=r"reads no '\.json' files"):
        load_model(str(path))
    with pytest.raises(ValueError, match="unknown model"):
        load_model("no-such-network")


def test_a_registered_format_works_everywhere(toy_json, tmp_path, capsys):
    path = tmp_path / "toy.json"
    MODEL.write(path)
    assert cx.Model.read(path) == MODEL and load_model(str(path)) == MODEL
    assert cx.Model.read(path).skipped == {"Relu": 2}  # a further Model argument the format carries
    # confuciux import, both ways
    assert main(["import", str(path), "-o", str(tmp_path / "toy.csv")]) == 0
    assert cx.Model.from_csv(tmp_path / "toy.csv") == MODEL
    assert main(["import", str(tmp_path / "toy.csv"), "-o", str(tmp_path / "again.json")]) == 0
    assert cx.Model.read(tmp_path / "again.json") == MODEL
    # a sweep specification naming the file relative to itself
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"model": "toy.json", "method": "random", "epochs": 1}))
    (case,) = cases_from_spec(load_spec(spec), str(spec), base=tmp_path)
    assert case.model == MODEL
    # help texts
    helps = " ".join(build_parser()._subparsers._group_actions[0].choices[c].format_help()  # type: ignore[union-attr]
                     for c in ("import", "explore"))
    assert "JSON .json" in " ".join(helps.split())
    # errors name the file and the layer
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"layers": [{"K": 0, "C": 1, "Y": 1, "X": 1, "R": 1, "S": 1}]}))
    with pytest.raises(ValueError, match=r"bad\.json, layer 0: .*K must be >= 1"):
        cx.Model.read(bad)
    capsys.readouterr()
