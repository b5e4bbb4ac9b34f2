"""The output schema and the dataflow table: consistent, tied to the C enums, used everywhere."""

from __future__ import annotations

import types

import numpy as np
import pytest

import confuciux
from confuciux import DATAFLOWS, Hardware, PointCost, evaluate, evaluate_layer
from confuciux.cost import dataflows, native, reference, schema

needs_c = pytest.mark.skipif(not confuciux.native, reason="compiled kernel not built")

LAYERS = np.array([[64, 3, 34, 34, 3, 3, 1], [1, 128, 18, 18, 3, 3, 2], [256, 128, 8, 8, 1, 1, 1]])


def test_schema_is_consistent():
    assert len(set(schema.NAMES)) == len(schema.NAMES)
    assert schema.MAIN + schema.ACCESSES == schema.NAMES
    assert set(schema.DISTINCT) | set(schema.SAME_AS) == set(schema.NAMES)
    for copy, of in schema.SAME_AS.items():
        assert of in schema.DISTINCT, (copy, of)
    assert all(o.unit for o in schema.OUTPUTS)
    assert PointCost._fields == (*schema.MAIN, "valid", "status", "accesses")
    assert confuciux.cost.OUTPUTS == schema.NAMES


def test_select_checks_names_and_orders_them():
    assert schema.select(None) == schema.NAMES
    assert schema.select(["energy", "runtime"]) == ("runtime", "energy")
    assert schema.select("macs") == ("macs",)
    with pytest.raises(ValueError, match="unknown outputs"):
        schema.select(["runtime", "latency"])
    with pytest.raises(TypeError, match="output names"):
        schema.select(3)  # type: ignore[arg-type]


def test_dataflow_table():
    assert len({d.c_id for d in dataflows.TABLE}) == len(dataflows.TABLE)
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
    with pytest.raises(ImportError, match="output energy"):
        native.check_enums(fake)
    fake = types.SimpleNamespace(**{n: getattr(native.lib, n) for n in dir(native.lib) if n.startswith("CX_")})
    fake.CX_N_DATAFLOWS = 5
    with pytest.raises(ImportError, match="dataflows"):
        native.check_enums(fake)


def _all(costs):
    return {name: getattr(costs, name) if name in schema.MAIN else costs.accesses[name] for name in schema.NAMES}


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("hardware", [Hardware.default(), Hardware.maestro()], ids=["default", "maestro"])
def test_every_dataflow_both_backends_every_output(dataflow, hardware):
    pes = np.array([[1, 8, 64], [3, 17, 128]])
    ref = _all(evaluate(LAYERS, pes, 3, dataflow, hardware, backend="numpy"))
    if confuciux.native:
        c = _all(evaluate(LAYERS, pes, 3, dataflow, hardware, backend="c"))
        for name in schema.NAMES:
            np.testing.assert_array_equal(c[name], ref[name], err_msg=name)
    for copy, of in schema.SAME_AS.items():
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
    values, status, valid = native.evaluate_blocks(cols, dw, pes, pes, dataflow, Hardware.default(), schema.NAMES)
    assert valid.all() and (status == 0).all()
    for copy, of in schema.SAME_AS.items():
        np.testing.assert_array_equal(values[copy], values[of], err_msg=copy)
