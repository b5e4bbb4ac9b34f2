"""The output schema and the dataflow table: consistent, tied to the C enums, used everywhere."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import numpy as np
import pytest

import confuciux
from confuciux import DATAFLOWS, Hardware, PointCost, evaluate, evaluate_layer
from confuciux.cost import dataflows, native, reference, schema

ROOT = Path(__file__).resolve().parents[1]
needs_c = pytest.mark.skipif(confuciux.BACKEND != "c", reason="compiled kernel not built")

LAYERS = np.array([[64, 3, 34, 34, 3, 3, 1], [1, 128, 18, 18, 3, 3, 2], [256, 128, 8, 8, 1, 1, 1]])


def test_schema_is_consistent():
    assert len(set(schema.NAMES)) == len(schema.NAMES)
    assert schema.MAIN + schema.ACCESSES + schema.EXTRA == schema.NAMES
    assert schema.CLOSED_FORM == schema.MAIN + schema.ACCESSES == schema.DEFAULT  # the engine's: the extra ones
    closed_copies = {c for c in schema.SAME_AS if c in schema.CLOSED_FORM}
    assert set(schema.DISTINCT) | closed_copies == set(schema.CLOSED_FORM)
    for copy, of in schema.SAME_AS.items():
        assert of in schema.DISTINCT or of in schema.EXTRA, (copy, of)
    assert all(o.unit for o in schema.OUTPUTS)
    assert PointCost._fields == (*schema.MAIN, "valid", "status", "accesses")
    assert confuciux.cost.OUTPUTS == schema.NAMES
    from confuciux.cost.engine.batch import OUTPUTS as ENGINE

    assert set(schema.ENGINE_NAME.values()) <= set(ENGINE)  # every output has the engine's name


def test_select_checks_names_and_orders_them():
    assert schema.select(None) == schema.DEFAULT
    assert schema.select(["energy", "runtime"]) == ("runtime", "energy")
    assert schema.select("macs") == ("macs",)
    with pytest.raises(ValueError, match="unknown outputs"):
        schema.select(["runtime", "latency"])
    with pytest.raises(TypeError, match="output names"):
        schema.select(3)  # type: ignore[arg-type]


def test_dataflow_table():
    assert len({d.kernel_id for d in dataflows.TABLE}) == len(dataflows.TABLE)
    assert DATAFLOWS == ("dla", "shi", "eye")
    assert dataflows.DEPTHWISE.name == "dpt" and not dataflows.DEPTHWISE.selectable
    assert dataflows.lookup("EYE").name == "eye"
    for bad in ("dpt", "tpu", 1, None):
        with pytest.raises(ValueError, match="unknown dataflow"):
            dataflows.lookup(bad)
    kinds = {k for d in dataflows.TABLE for k in d.kinds}
    assert kinds == set(confuciux.workload.KINDS)  # every layer kind is served


@needs_c
def test_kernel_enums_match_the_tables():
    native.check_enums(native.lib)  # what the import did
    fake = types.SimpleNamespace(**{n: getattr(native.lib, n) for n in dir(native.lib) if n.startswith("CX_")})
    fake.CX_OUT_ENERGY, fake.CX_OUT_AREA = fake.CX_OUT_AREA, fake.CX_OUT_ENERGY
    with pytest.raises(ImportError, match="CX_OUT_ENERGY: tables 1, kernel 2"):
        native.check_enums(fake)
    fake = types.SimpleNamespace(**{n: getattr(native.lib, n) for n in dir(native.lib) if n.startswith("CX_")})
    fake.CX_N_DATAFLOWS = 5
    with pytest.raises(ImportError, match="CX_N_DATAFLOWS"):
        native.check_enums(fake)


def _build_module():
    spec = importlib.util.spec_from_file_location("_cx_build_for_test", ROOT / "csrc" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (ROOT / "csrc" / "build.py").exists(), reason="needs the source tree's csrc/")
def test_c_enums_are_generated_from_the_tables():
    """csrc/cost_model_enums.h is what csrc/build.py generates from schema.py and dataflows.py
    (read before the build module runs: its import rewrites a stale file)."""
    committed = (ROOT / "csrc" / "cost_model_enums.h").read_text(encoding="utf-8")
    text = _build_module().enums_header()
    assert committed == text, "csrc/cost_model_enums.h is stale: run python csrc/build.py"
    for i, name in enumerate(schema.CLOSED_FORM):
        assert f"CX_OUT_{name.upper()} = {i}," in text
    assert "CX_OUT_NOC_BW" not in text  # the engine's outputs are not the closed forms
    for s in schema.STATUSES:
        assert f"CX_{s.name} = {s.code}," in text
    for d in dataflows.TABLE:
        assert f"CX_{d.name.upper()} = {d.kernel_id}," in text
    assert "enum cx_output {" not in (ROOT / "csrc" / "cost_model.h").read_text(), "generated, not hand-written"


def test_status_table():
    assert [s.code for s in schema.STATUSES] == list(range(len(schema.STATUSES)))
    assert schema.STATUS[schema.OK] == "ok" and schema.STATUS[schema.UNSUPPORTED] == "not supported"
    assert confuciux.STATUS == schema.STATUS
    assert schema.PRINTED == {schema.OK, schema.IMPOSSIBLE}
    # the codes saved results hold never change meaning
    assert (schema.OK, schema.INVALID, schema.OVERFLOW, schema.BAD_INPUT, schema.UNSUPPORTED) == (0, 1, 2, 3, 4)
    from confuciux.cost.engine import Status

    assert {s.name: int(s) for s in Status} == {s.name: s.code for s in schema.STATUSES}
    assert Status.BAD_VALUE is Status.INVALID  # the engine's former name


def test_units_come_from_the_schema():
    assert schema.unit("runtime") == "cycles" and schema.unit("area") == "µm²" and schema.unit("pes") == "PEs"
    assert schema.unit("macs_per_cycle") == "MACs/cycle" and schema.unit("nothing") == ""
    closed = set(schema.COUNTS) & set(schema.CLOSED_FORM)
    assert closed == set(schema.CLOSED_FORM) - {"energy", "area", "power", "macs_per_cycle"}
    assert schema.unit("noc_bw") == "elements/cycle" and schema.unit("compute_delay_max") == "cycles"


def test_former_output_name_warns():
    c = evaluate(LAYERS, 8, 2)
    with pytest.warns(FutureWarning, match="macs_per_cycle"):
        old = c.throughput
    np.testing.assert_array_equal(old, c.macs_per_cycle)
    with pytest.warns(FutureWarning):
        assert evaluate(LAYERS, 8, 2, outputs=["throughput"]).computed == ("macs_per_cycle",)
    with pytest.warns(FutureWarning):
        assert evaluate_layer(LAYERS[:1], 8, 2).throughput == c.macs_per_cycle[0]


@pytest.fixture
def energy_per_mac():
    """The docs/architecture.md checklist "adding an output", followed once: one entry (its
    derive function is its code), registered for the test and removed after it."""
    out = schema.Output("energy_per_mac", "nJ/MAC", "energy per MAC", count=False, needs=("energy", "macs"),
                        derive=lambda v: v["energy"] / v["macs"], total=lambda t: t["energy"] / t["macs"])
    schema.register(out)
    yield out
    schema.unregister(out.name)


def test_a_derived_output_is_one_entry(energy_per_mac):
    c = evaluate(LAYERS, np.array([[2, 8, 32]]), 2)
    np.testing.assert_array_equal(c.energy_per_mac, c.energy / c.macs)
    np.testing.assert_array_equal(c["energy_per_mac"], c.energy_per_mac)
    assert c.computed[-1] == "energy_per_mac" and schema.unit("energy_per_mac") == "nJ/MAC"
    t = c.total()
    np.testing.assert_allclose(t.energy_per_mac, c.energy.sum(axis=-1) / c.macs.sum(axis=-1))
    only = evaluate(LAYERS, 8, 2, outputs=["energy_per_mac"])  # computed with what it needs
    assert only.computed == ("energy", "macs", "energy_per_mac")
    np.testing.assert_array_equal(only.energy_per_mac, evaluate(LAYERS, 8, 2).energy_per_mac)
    np.testing.assert_array_equal(evaluate(LAYERS, 8, 2, backend="numpy").energy_per_mac, only.energy_per_mac)
    with pytest.raises(ValueError, match="taken"):
        schema.register(energy_per_mac)
    with pytest.raises(ValueError, match="needs known outputs"):
        schema.register(schema.Output("x", "", "", needs=("nope",), derive=lambda v: v["nope"]))
    with pytest.raises(TypeError):
        schema.register(schema.Output("y", "", ""))


def test_derived_outputs_leave_with_unregister(energy_per_mac):
    schema.unregister("energy_per_mac")
    try:
        assert "energy_per_mac" not in evaluate(LAYERS, 8, 2).computed
        with pytest.raises(ValueError, match="unknown outputs"):
            evaluate(LAYERS, 8, 2, outputs=["energy_per_mac"])
    finally:
        schema.register(energy_per_mac)  # for the fixture's teardown


def _all(costs):
    return {name: getattr(costs, name) if name in schema.MAIN else costs.accesses[name] for name in schema.CLOSED_FORM}


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("hardware", [Hardware.default(), Hardware.maestro()], ids=["default", "maestro"])
def test_every_dataflow_both_backends_every_output(dataflow, hardware):
    pes = np.array([[1, 8, 64], [3, 17, 128]])
    ref = _all(evaluate(LAYERS, pes, 3, dataflow, hardware, backend="numpy"))
    if confuciux.BACKEND == "c":
        c = _all(evaluate(LAYERS, pes, 3, dataflow, hardware, backend="c"))
        for name in schema.CLOSED_FORM:
            np.testing.assert_array_equal(c[name], ref[name], err_msg=name)
    for copy, of in schema.SAME_AS.items():
        if copy in ref:
            np.testing.assert_array_equal(ref[copy], ref[of])
    for i, row in enumerate(LAYERS):
        one = evaluate_layer(row[None], int(pes[1, i]), 3, dataflow, hardware)
        assert one.runtime == ref["runtime"][1, i] and one.accesses["output_l2_write"] == ref["output_l2_write"][1, i]


@needs_c
@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_kernel_writes_copies_when_asked(dataflow):
    """Asked for separately (as a C caller may), the five L1 counters equal what they copy."""
    cols = np.ascontiguousarray(reference.full_dims(LAYERS[:, :6]).T)
    dw = (LAYERS[:, 6] == 2).astype(np.uint8)
    pes = np.array([[4, 16, 32]], dtype=np.int64)
    values, status, valid = native.evaluate_blocks(cols, dw, pes, pes, dataflow, Hardware.default(), schema.CLOSED_FORM)
    assert valid.all() and set(status) <= schema.PRINTED
    for copy, of in ((c, o) for c, o in schema.SAME_AS.items() if c in values):
        np.testing.assert_array_equal(values[copy], values[of], err_msg=copy)
