"""The model zoo: generated models equal ConfuciuX's files; parameters; errors."""

from __future__ import annotations

import csv
import hashlib

import numpy as np
import pytest

import confuciux as cx
from conftest import GOLDEN_DIR, reference_file
from confuciux import zoo
from confuciux.workload import Model, layers_to_arrays

CONFUCIUX_MODELS = [
    "alexnet", "vgg16", "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50", "googlenet",
    "densenet", "squeezenet", "mobilenet_v2", "mnasnet", "shufflenet_v2", "example",
]  # fmt: skip


def test_names():
    assert zoo.names() == sorted(CONFUCIUX_MODELS + ["gnmt", "ncf"])


@pytest.mark.parametrize("name", zoo.names())
def test_every_model_loads_and_evaluates(name):
    m = zoo.load(name)
    assert isinstance(m, Model) and m.name == name and len(m) > 0
    costs = cx.evaluate(m, 16, 4, "dla")
    assert costs.valid.all() and np.all(costs.runtime > 0)


def _confuciux_rows(model: Model) -> list[list[int]]:
    """The model as ConfuciuX's CSV rows ``K,C,Y,X,R,S,T`` (T = 2: depthwise)."""
    return [[layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S, 2 if layer.depthwise else 1] for layer in model]


@pytest.mark.parametrize("name", CONFUCIUX_MODELS)
def test_equals_confuciux_csv_digest(name):
    """The zoo reproduces ConfuciuX's model file exactly (tests/golden/zoo_golden.csv: layer count
    and SHA-256 of the rows; tests/golden/make_golden_zoo.py; layer by layer in the deep test below)."""
    with open(GOLDEN_DIR / "zoo_golden.csv", newline="") as f:
        golden = {r["model"]: r for r in csv.DictReader(f)}
    rows = _confuciux_rows(zoo.load(name))
    text = "\n".join(",".join(map(str, r)) for r in rows)
    assert len(rows) == int(golden[name]["layers"])
    assert hashlib.sha256(text.encode()).hexdigest() == golden[name]["sha256"], f"{name} differs from ConfuciuX's file"


@pytest.mark.reference
@pytest.mark.parametrize("name", CONFUCIUX_MODELS)
def test_equals_confuciux_csv(name):
    ref = Model.from_csv(reference_file(f"zoo/{name}.csv", "ConfuciuX's model file"))
    dims, dw = layers_to_arrays(zoo.load(name))
    rdims, rdw = layers_to_arrays(ref)
    np.testing.assert_array_equal(dims, rdims)
    np.testing.assert_array_equal(dw, rdw)
    assert _confuciux_rows(zoo.load(name)) == _confuciux_rows(ref)


@pytest.mark.parametrize("name", ["gnmt", "ncf"])
def test_equals_maestro_model_file(name):
    """MAESTRO's shipped GEMM networks (whole copies in tests/golden/maestro_models/)."""
    ref = Model.from_maestro(GOLDEN_DIR / "maestro_models" / f"{name}_model.m")
    m = zoo.load(name)
    np.testing.assert_array_equal(layers_to_arrays(m)[0], layers_to_arrays(ref)[0])
    assert all(layer.kind == "GEMM" for layer in m)


def test_resolution_changes_feature_maps_only():
    a, b = zoo.load("resnet50"), zoo.load("resnet50", resolution=160)
    assert len(a) == len(b)
    assert [(l.K, l.C, l.R) for l in a] == [(l.K, l.C, l.R) for l in b]
    assert b[0].Y == 160 and b[-1].Y == 5  # 160 / 32
    assert zoo.load("mobilenet_v2", resolution=96)[-1].Y == 3


def test_resolution_scales_every_feature_map():
    base, double = zoo.load("vgg16"), zoo.load("vgg16", resolution=448)
    assert [l.Y for l in double] == [2 * l.Y for l in base] and [l.X for l in double] == [2 * l.X for l in base]
    # GoogLeNet's two auxiliary heads pool adaptively to 4x4 whatever the input size
    g, g2 = zoo.load("googlenet"), zoo.load("googlenet", resolution=448)
    fixed = [(a.C, a.Y, b.Y) for a, b in zip(g, g2, strict=False) if b.Y != 2 * a.Y]
    assert fixed == [(512, 4, 4), (528, 4, 4)]


def test_width_changes_channels_not_feature_maps():
    base, slim = zoo.load("mobilenet_v2"), zoo.load("mobilenet_v2", width=0.75)
    assert len(base) == len(slim) and [l.Y for l in base] == [l.Y for l in slim]
    assert [l.kind for l in base] == [l.kind for l in slim]
    assert slim.macs < base.macs and all(l.K % 8 == 0 for l in slim if not l.depthwise)


def test_width_multiplier():
    half = zoo.load("mobilenet_v2", width=0.5)
    assert half[0].K == 16 and half[-1].K == 1280  # last channel stays >= 1280
    wide = zoo.load("mobilenet_v2", width=1.4)
    assert wide[0].K == 48 and wide[-1].K == 1792
    assert zoo.load("shufflenet_v2", width=0.5)[-1].C == 192
    assert zoo.load("mnasnet", width=0.5)[0].K == 16


@pytest.mark.parametrize("name", ["gnmt", "ncf"])
def test_batch_scales_gemm_rows(name):
    one, four = zoo.load(name), zoo.load(name, batch=4)
    assert [l.Y * 4 for l in one] == [l.Y for l in four]
    assert [(l.K, l.C) for l in one] == [(l.K, l.C) for l in four]
    assert four.macs == 4 * one.macs


def test_names_are_case_insensitive():
    m = zoo.load("ResNet50")
    assert m.name == "resnet50" and m == zoo.load("resnet50")


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("lenet", {}, "unknown model"),
        ("vgg16", {"width": 2.0}, "no parameter"),
        ("mobilenet_v2", {"width": 0}, "width must be"),
        ("shufflenet_v2", {"width": 0.75}, "width must be one of"),
        ("resnet50", {"resolution": 3}, "resolution must be"),
        ("alexnet", {"resolution": 40}, "too small"),
        ("gnmt", {"batch": 0}, "batch must be"),
    ],
)
def test_errors(name, params, match):
    with pytest.raises(ValueError, match=match):
        zoo.load(name, **params)


def test_describe_lists_parameters():
    assert zoo.describe("mobilenet_v2") == {"resolution": 224, "width": 1.0}
    assert zoo.describe("ncf") == {"batch": 1}
    with pytest.raises(ValueError, match="available"):
        zoo.describe("lenet")


def test_error_messages_list_the_choices():
    with pytest.raises(ValueError) as info:
        zoo.load("lenet")
    assert all(n in str(info.value) for n in zoo.names())
    with pytest.raises(ValueError, match="resolution"):
        zoo.load("vgg16", width=2.0)
    with pytest.raises(ValueError, match=r"0\.5, 1\.0, 1\.5, 2\.0"):
        zoo.load("shufflenet_v2", width=0.75)


# record="network": the networks as they are --------------------------------------------------------
# torchvision's model tables (GMACs at 224×224, listed as "GFLOPS"); two decimals stand for
# anything that rounds to them.  ShuffleNet-V2 1.0× and MnasNet: the papers' 146 M and 312 M.
PUBLISHED_GMACS = {
    "alexnet": 0.71, "vgg16": 15.47, "resnet18": 1.81, "resnet50": 4.09, "resnext50_32x4d": 4.23,
    "wide_resnet50": 11.40, "googlenet": 1.50, "densenet": 7.73, "squeezenet": 0.82, "mobilenet_v2": 0.300,
    "mnasnet": 0.312, "shufflenet_v2": 0.146,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PUBLISHED_GMACS))
def test_network_record_has_the_published_mac_count(name):
    published = PUBLISHED_GMACS[name]
    gmacs = zoo.load(name, record="network").macs / 1e9
    decimals = len(f"{published:.6g}".partition(".")[2])
    assert abs(gmacs - published) <= max(0.01 * published, 0.5 * 10.0**-decimals), (gmacs, published)


def test_network_record_has_strides_groups_and_classifiers():
    r = zoo.load("resnet50", record="network")
    assert (r[0].stride, r[0].Y, r[0].out_y) == ((2, 2), 230, 112)  # padded input, true stride
    assert r[-1] == cx.Layer.gemm(1, 1000, 2048) and len(r) == 54
    x = zoo.load("resnext50_32x4d", record="network")
    grouped = [l for l in x if l.groups > 1]
    assert len(grouped) == 16 and all(l.groups == 32 and l.R == 3 for l in grouped)
    assert x.macs < zoo.load("resnext50_32x4d").macs / 3  # ConfuciuX's record: ungrouped, unstrided
    m = zoo.load("mobilenet_v2", record="network")
    dw = [l for l in m if l.depthwise]
    assert {l.stride for l in dw} == {(1, 1), (2, 2)} and all(l.out_y == (l.Y - 3) // l.stride_y + 1 for l in dw)
    g = zoo.load("googlenet", record="network")
    assert len(g) == len(zoo.load("googlenet")) - 2 + 1  # no auxiliary heads, one classifier
    for name in ("gnmt", "ncf"):
        assert zoo.load(name, record="network") == zoo.load(name)


def test_confuciux_record_is_the_default_and_unchanged():
    assert zoo.load("resnet50") == zoo.load("resnet50", record="confuciux")
    assert all(l.stride == (1, 1) and l.groups == 1 for l in zoo.load("resnext50_32x4d"))
    assert zoo.describe("resnet50") == {"resolution": 224}  # record is common to all models
    with pytest.raises(ValueError, match="record must be one of"):
        zoo.load("resnet50", record="paper")
    small = zoo.load("mobilenet_v2", record="network", resolution=96, width=0.5)
    assert small[0].out_y == 48 and small[0].K == 16


@pytest.mark.parametrize("name", zoo.names())
def test_network_record_evaluates_on_dla(name):
    costs = cx.evaluate(zoo.load(name, record="network"), 16, 4, "dla")
    assert costs.valid.all() and np.all(costs.runtime > 0)
