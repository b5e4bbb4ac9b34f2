"""MappingSpace (a checked value) and a layer's axes."""

from __future__ import annotations

import pytest

from confuciux import Dataflow, Layer
from confuciux.mapping import MappingSpace, layer_axes


def test_defaults_cover_gamma():
    s = MappingSpace()
    assert s.levels == (1, 3)
    assert s.spatial == (("K", "C", "Y'", "X'"),) * 3
    assert s.tiles == "all" and s.orders == (None, None, None) and s.clusters == (None, None, None)
    assert s.template is None


def test_per_level_settings():
    s = MappingSpace(levels=2, spatial=(("K",), ("C", "X'")), orders=(None, ("K", "C", "Y'", "X'", "R", "S")),
                     clusters=(16,), tiles="divisors")
    assert s.levels == (2, 2)
    assert s.spatial == (("K",), ("C", "X'"))
    assert s.orders[0] is None and s.orders[1] == ("K", "C", "Y'", "X'", "R", "S")
    assert s.clusters == (None, 16)
    assert MappingSpace(spatial=("K",)).spatial == (("K",),) * 3
    assert "parallel K" in MappingSpace(spatial=("K",)).describe()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"levels": 0}, "levels"),
        ({"levels": (2, 1)}, "levels"),
        ({"levels": 4}, "levels"),
        ({"levels": True}, "levels"),
        ({"tiles": "some"}, "tiles"),
        ({"spatial": ("Q",)}, "unknown dimension"),
        ({"spatial": ("K", "K")}, "twice"),
        ({"spatial": "K"}, "sequence"),
        ({"orders": (("K",), ("C",))}, "levels given"),
        ({"clusters": (0, None)}, "cluster size"),
        ({"clusters": (4,)}, "inner-level sizes"),
        ({"template": "dla"}, "Dataflow"),
    ],
)
def test_bad_spaces(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MappingSpace(**kwargs)


def test_of_template():
    s = MappingSpace.of_template("dla")
    assert s.template == Dataflow.preset("dla")
    assert "KTileSz" in s.describe()


def test_axes():
    a = layer_axes(Layer(64, 32, 58, 58, 3, 3))
    assert a.names == ("K", "C", "Y'", "X'", "R", "S") and a.sizes == (64, 32, 56, 56, 3, 3)
    strided = layer_axes(Layer(64, 3, 229, 229, 7, 7, stride=2))
    assert strided.size("Y'") == 112 and strided.size("R") == 7
    dw = layer_axes(Layer(1, 32, 114, 114, 3, 3, "DSCONV"))
    assert "K" not in dw.names and dw.size("C") == 32
    g = layer_axes(Layer(64, 32, 10, 10, 3, 3, groups=4, batch=2))
    assert g.names[:4] == ("N", "G", "K", "C") and g.sizes[:4] == (2, 4, 16, 8)
    gemm = layer_axes(Layer.gemm(128, 64, 32))
    assert gemm.sizes == (64, 32, 128, 1, 1, 1)
    with pytest.raises(TypeError):
        layer_axes("conv")  # type: ignore[arg-type]
