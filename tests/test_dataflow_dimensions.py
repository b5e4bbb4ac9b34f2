"""confuciux.dataflow.dimensions: how a layer is written for MAESTRO (one function for the file
writers and for Sz() when binding)."""

from __future__ import annotations

import pytest

from confuciux.dataflow import Dataflow, Spatial, Sz, Temporal, maestro_layer, preset
from confuciux.dataflow.dimensions import analysed_dims, is_gemm_program
from confuciux.workload import Layer


def test_convolutions():
    assert maestro_layer(Layer(8, 4, 10, 12, 3, 5)) == ("CONV", dict(K=8, C=4, Y=10, X=12, R=3, S=5))
    kind, dims = maestro_layer(Layer(8, 4, 10, 12, 3, 5, batch=2, groups=2))
    assert kind == "NGCONV" and list(dims.items()) == [("N", 2), ("G", 2), ("K", 4), ("C", 2), ("Y", 10), ("X", 12), ("R", 3), ("S", 5)]
    assert maestro_layer(Layer(1, 4, 10, 12, 3, 3, "DSCONV"))[0] == "DSCONV"
    assert maestro_layer(Layer(8, 4, 10, 12, 3, 3, "TRCONV"))[0] == "TRCONV"
    # N is written for a batch of one when the program names it
    assert "N" in maestro_layer(Layer(8, 4, 10, 12, 3, 5), Dataflow([Spatial("N", 1)]))[1]
    assert "N" in maestro_layer(Layer(8, 4, 10, 12, 3, 5), Dataflow([Spatial("K", Sz("N"))]))[1]
    assert "N" not in maestro_layer(Layer(8, 4, 10, 12, 3, 5), preset("dla"))[1]


def test_gemms():
    g = Layer.gemm(M=5, N=6, K=7)
    assert maestro_layer(g) == ("GEMM", {"M": 5, "N": 6, "K": 7})  # a model file
    assert maestro_layer(g, preset("nmk")) == ("GEMM", {"M": 5, "N": 6, "K": 7})
    # under a convolution's program: the equivalent 1x1 CONV, which MAESTRO runs
    assert maestro_layer(g, preset("dla")) == ("CONV", dict(K=6, C=7, Y=5, X=1, R=1, S=1))
    wide = Layer(6, 7, 5, 3, 1, 3, "GEMM")  # a GEMM in convolution form: no M/N/K
    assert maestro_layer(wide) == ("GEMM", dict(K=6, C=7, Y=5, X=3, R=1, S=3))
    assert maestro_layer(wide, preset("shi"))[0] == "CONV"
    with pytest.raises(ValueError, match="a GEMM program \\(of K, M, N\\) needs a GEMM layer with X = R = S = batch = 1"):
        maestro_layer(wide, preset("nmk"))
    assert is_gemm_program(preset("nmk")) and not is_gemm_program(preset("dla"))
    assert not is_gemm_program(Dataflow([Spatial("M", 1), Temporal("R", 1)]))


def test_grouped_trconv_has_no_maestro_form():
    with pytest.raises(ValueError, match="MAESTRO has no grouped TRCONV: it drops G from a TRCONV"):
        maestro_layer(Layer(8, 4, 10, 12, 3, 3, "TRCONV", groups=2))


def test_analysed_dims():
    assert analysed_dims("CONV", dict(K=1, C=1, Y=3, X=3, R=1, S=1)) == {"K", "C", "Y", "X", "R", "S", "Y'", "X'"}
    assert analysed_dims("CONV", {"K": 1, "Y'": 3}) == {"K", "Y", "Y'"}
    assert analysed_dims("GEMM", {"M": 1, "N": 1, "K": 1}) == {"M", "N", "K"}
