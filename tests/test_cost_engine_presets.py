"""The closed forms of the four presets agree with the general engine (both backends).

The presets dla, shi, eye (CONV) and dpt (depthwise) as programs (``Dataflow.preset``:
ConfuciuX's mapping files, with ``KTileSz = k``, ``ClusterSz = P``, ``CTileSz = 1``) go through
the general engine;
the closed forms (NumPy reference and C kernel) must give the same validity and, where valid,
the same status (OK or IMPOSSIBLE: the same physical bounds broken) and every integer output.  Random layers cover strides, batches, groups, transposed convolutions
and the corners where bands are wider than the output.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux.cost import BACKEND, reference
from confuciux.cost.engine import evaluate
from confuciux.dataflow import Dataflow
from confuciux.hardware import Hardware
from confuciux.workload import Layer

BACKENDS = [reference.evaluate_points]
if BACKEND == "c":
    from confuciux.cost import native

    BACKENDS.append(native.evaluate_points)


@st.composite
def points(draw):
    dw = draw(st.booleans())
    R, S = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    Y, X = R + draw(st.integers(0, 14)), S + draw(st.integers(0, 14))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    batch = draw(st.sampled_from([1, 1, 2, 3]))
    if dw:
        layer = Layer(1, draw(st.integers(1, 40)), Y, X, R, S, "DSCONV", stride=stride, batch=batch)
        df = "dpt"
    else:
        g = draw(st.sampled_from([1, 1, 2, 3]))
        K, C = g * draw(st.integers(1, 9)), g * draw(st.integers(1, 9))
        kind = "CONV" if g != 1 else draw(st.sampled_from(["CONV", "TRCONV"]))  # MAESTRO has no grouped TRCONV
        layer = Layer(K, C, Y, X, R, S, kind, stride=stride, batch=batch, groups=g)
        df = draw(st.sampled_from(["dla", "shi", "eye"]))
    return layer, df, draw(st.integers(1, 20)), draw(st.integers(1, 12))


@settings(max_examples=150, deadline=None)
@given(points())
def test_closed_forms_equal_the_general_engine(point):
    layer, df, pes, k = point
    truth = evaluate(layer, Dataflow.preset(df), pes, buffers=k)
    dims = np.array([[layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S, layer.batch, layer.groups, *layer.stride]])
    for points_fn in BACKENDS:
        out = points_fn(dims, np.array([layer.depthwise]), np.array([pes]), np.array([k]),
                        "dla" if df == "dpt" else df, Hardware.maestro())  # fmt: skip
        assert bool(out["valid"][0]) == truth.valid, (truth.status, truth.reason, int(out["status"][0]))
        if truth.valid:  # physically impossible exactly where the engine says so
            assert out["status"][0] == truth.status, (truth.status, truth.reason, int(out["status"][0]))
            for name in reference.INT_FIELDS:
                assert out[name][0] == truth[name], (name, out[name][0], truth[name])
            assert out["energy"][0] == truth["energy"] or abs(out["energy"][0] / truth["energy"] - 1) < 1e-9
