"""Platforms and models by name: make_platform, ignored_options, parse_budget, load_model."""

from __future__ import annotations

import numpy as np
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


@pytest.mark.parametrize("bad", ["area=-5", "area=0", "area=nan", "area=inf", "power=1e400"])
def test_parse_budget_rejects_values_no_budget_can_have(bad):
    """Caught with the other malformed --budget values (a usage error), naming the item."""
    with pytest.raises(ValueError, match=f"--budget '{bad}': a budget is a finite number > 0"):
        parse_budget([bad])


@pytest.mark.parametrize(
    ("budgets", "message"),
    [({"area": "abc"}, "budget 'area' must be a finite number > 0, got 'abc'"),
     ({"area": True}, "budget 'area' must be a finite number > 0, got True"),
     ({"volume": 3.0}, "unknown budget 'volume'")],
)  # fmt: skip
def test_make_platform_checks_budgets_before_naming_them(budgets, message):
    """A string budget (a sweep file's ``budget = {area = "3e6"}``) said "Unknown format code 'g'"."""
    with pytest.raises(ValueError, match=message):
        make_platform(cx.zoo.load("alexnet"), budgets=budgets)
    assert make_platform(cx.zoo.load("alexnet"), budgets={"area": np.float64(3e6), "pes": np.int64(64)}).budgets


@pytest.mark.parametrize("hardware", [{"a": 1}, ["default"], None, 3])
def test_make_platform_unknown_hardware_is_a_clear_error(hardware):
    with pytest.raises(ValueError, match="unknown hardware"):
        make_platform(cx.zoo.load("alexnet"), hardware=hardware)


def test_load_model_suffixes_in_any_case(tmp_path):
    for suffix in (".CSV", ".M"):
        path = tmp_path / f"two{suffix}"
        model = cx.zoo.load("alexnet")[:2]
        model.to_csv(path) if suffix == ".CSV" else model.to_maestro(path)
        assert load_model(str(path)).layers == model.layers
