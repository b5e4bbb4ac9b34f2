"""Platforms and models by name: make_platform, ignored_options, parse_budget, load_model."""

from __future__ import annotations

import pytest

import confuciux as cx
from confuciux.presets import ignored_options, load_model, make_platform, parse_budget


def test_make_platform_variants():
    m = cx.zoo.load("alexnet")
    assert make_platform(m) == cx.Platform.confuciux(m, "dla", "area", 0.5)
    assert make_platform(m, dataflow="eye", constraint="power", mul=0.2, deployment="LS") == cx.Platform.confuciux(
        m, "eye", "power", 0.2, deployment="LS"
    )
    absolute = make_platform(m, dataflow="shi", budgets={"area": 3e6, "power": 500}, mul=0.9)
    assert absolute.budgets == {"area": 3e6, "power": 500.0} and absolute.dataflow == "shi"
    assert absolute.name == "absolute budget (area 3e+06, power 500)"
    assert make_platform(m, "edge-fpga", "eye", budgets={"area": 1.0}) == cx.Platform.edge_fpga("eye")
    maestro = make_platform(m, "cloud-fpga", hardware="maestro")
    assert maestro.hardware == cx.Hardware.maestro() and maestro.budgets == {"pes": 4096, "l1_bytes": 8192}
    with pytest.raises(ValueError, match="unknown platform 'tpu'"):
        make_platform(m, "tpu")
    with pytest.raises(ValueError, match="unknown hardware 'fast'"):
        make_platform(m, hardware="fast")


def test_ignored_options():
    assert ignored_options("edge-fpga", {"mul", "budgets", "deployment"}) == ["budgets", "deployment", "mul"]
    assert ignored_options("confuciux", {"budgets", "mul", "constraint", "deployment"}) == ["constraint", "mul"]
    assert ignored_options("confuciux", {"mul", "constraint", "deployment"}) == []


def test_parse_budget():
    assert parse_budget(["area=3e6", " power = 500"]) == {"area": 3e6, "power": 500.0}
    assert parse_budget(None) == {}
    for bad, message in (("area", "expected KEY=NUMBER"), ("volume=3", "expected KEY=NUMBER"),
                         ("area=big", "'big' is not a number")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            parse_budget([bad])
    with pytest.raises(ValueError, match="given twice"):
        parse_budget(["area=1", "area=2"])


def test_load_model(tmp_path):
    assert load_model("alexnet") == cx.zoo.load("alexnet")
    path = tmp_path / "two.csv"
    cx.zoo.load("alexnet")[:2].to_csv(path)
    assert len(load_model(str(path))) == 2
    empty = tmp_path / "empty.csv"
    empty.write_text("K,C,Y,X,R,S,T\n")
    with pytest.raises(ValueError, match="empty.csv"):
        load_model(str(empty))
    with pytest.raises(ValueError):
        load_model("no_such_network")
