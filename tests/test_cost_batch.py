"""The general engine's batch contract (confuciux.cost.engine.evaluate_batch): layers, one
compiled program each, designs broadcast to (n_designs, n_layers), MAESTRO's flags, engine
outputs; the same numbers as the engine point by point."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux import Layer
from confuciux.cost import schema
from confuciux.cost.engine import DEFAULTS, Status, evaluate, evaluate_batch
from confuciux.dataflow import Dataflow, compile

LAYERS = [Layer(16, 8, 12, 12, 3, 3), Layer(1, 8, 10, 10, 3, 3, "DSCONV"), Layer.gemm(8, 32, 16)]
PROGRAMS = [Dataflow.preset("eye"), Dataflow.preset("dpt"), Dataflow.preset("nmk")]


def test_the_contract_equals_the_engine_point_by_point():
    templates = [compile(p, layer) for p, layer in zip(PROGRAMS, LAYERS, strict=True)]
    pes = np.array([[4, 4, 100], [9, 16, 200]])
    values, status = evaluate_batch(LAYERS, templates, pes, np.array([[1], [3]]), DEFAULTS, ("runtime", "noc_bw"))
    assert status.shape == values["runtime"].shape == (2, 3) and status.dtype == np.uint8
    for (d, i), p in np.ndenumerate(pes):
        truth = evaluate(LAYERS[i], PROGRAMS[i], int(p), buffers=[1, 3][d])
        assert status[d, i] == truth.status
        if truth.valid:
            assert values["runtime"][d, i] == truth["runtime"] and values["noc_bw"][d, i] == truth["noc_bw"]
        else:
            assert np.isnan(values["runtime"][d, i])
    assert set(status.ravel()) <= {s.code for s in schema.STATUSES}


def test_designs_maestro_refuses_and_flags():
    # a temporal R tile bound to the buffers must cover the filter: other values are MAESTRO's refusal
    rs = Dataflow.parse("SpatialMap(1,1) K; TemporalMap(KTileSz,KTileSz) R; TemporalMap(Sz(S),Sz(S)) S;")
    layer = Layer(4, 4, 8, 8, 3, 3)
    values, status = evaluate_batch([layer], [compile(rs, layer)], np.array([[4], [4]]), np.array([[3], [2]]),
                                    {"noc_bw": 64}, ["runtime"])  # fmt: skip
    assert status[0, 0] in (Status.OK, Status.IMPOSSIBLE) and status[1, 0] == Status.REFUSED
    _, big = evaluate_batch([layer], [compile(rs, layer)], np.array([[2**31]]), np.array([[3]]), {}, ["runtime"])
    assert big[0, 0] == Status.OVERFLOW  # MAESTRO's --num_pes is a 32-bit int


@pytest.mark.parametrize("kwargs, error, match", [
    ({"outputs": ["latency"]}, ValueError, "unknown engine outputs"),
    ({"flags": {"bandwidth": 1}}, ValueError, "unknown flags"),
    ({"pes": np.array([[0, 1, 1]])}, ValueError, "pes must be >= 1"),
    ({"pes": np.array([1.5])}, TypeError, "integers"),
    ({"buffers": np.ones((2, 2), dtype=np.int64)}, ValueError, "broadcast"),
    ({"templates": PROGRAMS}, TypeError, "Template"),
])  # fmt: skip
def test_contract_errors(kwargs, error, match):
    args = {"layers": LAYERS, "templates": [compile(p, layer) for p, layer in zip(PROGRAMS, LAYERS, strict=True)],
            "pes": np.array([4, 4, 100]), "buffers": np.array([1]), "flags": {}, "outputs": ["runtime"], **kwargs}
    with pytest.raises(error, match=match):
        evaluate_batch(**args)


@pytest.mark.parametrize("hardware", ["default", "maestro", "simd"])
def test_priced_outputs_are_the_same_on_the_compiled_engine_and_the_reference(hardware):
    """``priced``: energy, area and power of the caller's Hardware, bit for bit on both paths
    (the C engine prices in C; the reference prices MAESTRO's counts in NumPy)."""
    import dataclasses

    from confuciux import Hardware
    from confuciux.cost.engine import native

    if not native.AVAILABLE:
        pytest.skip("compiled engine not built")
    hw = {"default": Hardware.default(), "maestro": Hardware.maestro(),
          "simd": dataclasses.replace(Hardware.default(), simd_lanes=2)}[hardware]  # fmt: skip
    templates = [compile(p, layer) for p, layer in zip(PROGRAMS, LAYERS, strict=True)]
    pes = np.array([[1, 1, 1], [4, 4, 100], [9, 16, 200], [64, 3, 7]])
    names = ("runtime", "energy", "area", "power", "l1_bytes")
    flags = dict(hw.engine_flags)
    c, sc = evaluate_batch(LAYERS, templates, pes, np.array([[2]]), flags, names, priced=hw)
    r, sr = evaluate_batch(LAYERS, templates, pes, np.array([[2]]), flags, names, use_c=False, priced=hw)
    np.testing.assert_array_equal(sc, sr)
    for name in names:
        np.testing.assert_array_equal(c[name], r[name], err_msg=name)
    maestro, _ = evaluate_batch(LAYERS, templates, pes, np.array([[2]]), flags, ("energy",))
    if hardware == "default":  # the general accounting charges MACs: not MAESTRO's printed energy
        assert np.all(c["energy"][sc == 0] > maestro["energy"][sc == 0])
    with pytest.raises(TypeError, match="priced must be a Hardware"):
        evaluate_batch(LAYERS, templates, pes, np.array([[2]]), flags, names, priced="maestro")  # type: ignore[arg-type]
