"""The closed forms of the four presets agree with the general engine (both backends).

The presets dla, shi, eye (CONV) and dpt (depthwise) written as programs — ConfuciuX's mapping
files with ``KTileSz = k``, ``ClusterSz = P``, ``CTileSz = 1`` — go through the general engine;
the closed forms (NumPy reference and C kernel) must give the same validity and, where valid,
every integer output.  Random layers cover strides, batches, groups, transposed convolutions
and the corners where bands are wider than the output.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux
from confuciux.cost import reference
from confuciux.cost.engine import evaluate
from confuciux.hardware import Hardware
from confuciux.workload import Layer
from engine_support import maestro_dims, parse_program

PRESETS = {  # ConfuciuX's mapping files (maestro-project/confuciux, data/dataflow/*.m)
    "dla": "SpatialMap(KTileSz,KTileSz) K; | TemporalMap(ClusterSz,ClusterSz) C; | TemporalMap(Sz(R),Sz(R)) R; | "
    "TemporalMap(Sz(S),Sz(S)) S; | TemporalMap(Sz(R),1) Y; | TemporalMap(Sz(S),1) X; | Cluster(ClusterSz, P); | "
    "SpatialMap(1,1) C; | TemporalMap(Sz(R),1) Y; | TemporalMap(Sz(S),1) X; | TemporalMap(Sz(R),Sz(R)) R; | "
    "TemporalMap(Sz(S),Sz(S)) S;",
    "shi": "TemporalMap(KTileSz,KTileSz) K; | SpatialMap(Sz(R),Sz(R)) Y'; | TemporalMap(ClusterSz,ClusterSz) X'; | "
    "TemporalMap(CTileSz,CTileSz) C; | TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S; | "
    "Cluster(ClusterSz, P); | TemporalMap(1,1) C; | TemporalMap(1,1) Y'; | SpatialMap(1,1) X'; | "
    "TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S;",
    "eye": "TemporalMap(CTileSz,CTileSz) C; | TemporalMap(KTileSz,KTileSz) K; | SpatialMap(ClusterSz,ClusterSz) Y'; | "
    "TemporalMap(Sz(S),Sz(S)) X'; | TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S; | "
    "Cluster(ClusterSz, P); | TemporalMap(1,1) C; | SpatialMap(1,1) Y'; | SpatialMap(1,1) X'; | "
    "TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S;",
    "dpt": "SpatialMap(KTileSz,KTileSz) C; | TemporalMap(Sz(R),1) Y; | TemporalMap(Sz(S),1) X; | "
    "TemporalMap(Sz(R),Sz(R)) R; | TemporalMap(Sz(S),Sz(S)) S;",
}
BACKENDS = [reference.evaluate_points]
if confuciux.native:
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
        layer = Layer(K, C, Y, X, R, S, draw(st.sampled_from(["CONV", "TRCONV"])), stride=stride, batch=batch, groups=g)
        df = draw(st.sampled_from(["dla", "shi", "eye"]))
    return layer, df, draw(st.integers(1, 20)), draw(st.integers(1, 12))


@settings(max_examples=150, deadline=None)
@given(points())
def test_closed_forms_equal_the_general_engine(point):
    layer, df, pes, k = point
    program = parse_program(PRESETS[df], maestro_dims(layer), {"KTileSz": k, "ClusterSz": pes, "CTileSz": 1})
    truth = evaluate(layer, program, pes)
    dims = np.array([[layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S, layer.batch, layer.groups, *layer.stride]])
    for points_fn in BACKENDS:
        out = points_fn(dims, np.array([layer.depthwise]), np.array([pes]), np.array([k]),
                        "dla" if df == "dpt" else df, Hardware.maestro())  # fmt: skip
        assert bool(out["valid"][0]) == truth.valid, (truth.status, truth.reason, int(out["status"][0]))
        if truth.valid:
            for name in reference.INT_FIELDS:
                assert out[name][0] == truth[name], (name, out[name][0], truth[name])
            assert out["energy"][0] == truth["energy"] or abs(out["energy"][0] / truth["energy"] - 1) < 1e-9
