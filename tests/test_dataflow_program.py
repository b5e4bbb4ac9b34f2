"""confuciux.dataflow.program: the Dataflow value — building, levels, equality, repr, the rules
MAESTRO applies whatever the layer."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, Temporal
from confuciux.dataflow.program import MAX_LEVELS, Map

DLA_LIKE = [
    Spatial("K", 1), Temporal("C", 64), Temporal("R", Sz("R")), Temporal("S", Sz("S")),
    Temporal("Y", Sz("R"), 1), Temporal("X", Sz("S"), 1),
    Cluster(64),
    Spatial("C", 1), Temporal("Y", Sz("R"), 1), Temporal("X", Sz("S"), 1),
]  # fmt: skip


def test_build_levels_and_reading():
    df = Dataflow(DLA_LIKE)
    assert len(df) == 10 and len(df.levels) == 2
    outer, inner = df.levels
    assert outer.cluster is None and [m.dim for m in outer.maps] == ["K", "C", "R", "S", "Y", "X"]
    assert inner.cluster == Cluster(64) and inner.maps[0] == Spatial("C", 1)
    assert df.dims == {"K", "C", "R", "S", "Y", "X"} and df.names == frozenset() and df.free_names == frozenset()
    assert df.maps == tuple(d for d in DLA_LIKE if isinstance(d, Map))
    named = Dataflow([Spatial("K", "KTileSz"), Cluster("ClusterSz", physical=False), Spatial("C", "T")], {"T": 2})
    assert named.names == {"KTileSz", "ClusterSz", "T"} and named.free_names == {"KTileSz", "ClusterSz"}


def test_equality_and_hash_ignore_lines_but_not_constants():
    a = Dataflow(DLA_LIKE)
    b = Dataflow([Map(d.kind, d.dim, d.size, d.offset, 7) if isinstance(d, Map) else d for d in DLA_LIKE])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Dataflow([Spatial("K", "T")], {"T": 2}) != Dataflow([Spatial("K", "T")], {"T": 3})
    assert Dataflow([Spatial("K", "T")]) != Dataflow([Spatial("K", "T")], {"T": 3})
    assert Spatial("Y", 3) == Spatial("Y", 3, 3) != Temporal("Y", 3)
    assert Cluster(4) != Cluster(4, physical=False)
    assert a != "dla" and (a == object()) is False


def test_repr_reads_as_the_python_that_builds_it():
    df = Dataflow([Spatial("K", 1), Temporal("Y", Sz("R"), 1), Cluster("ClusterSz", False), Spatial("C", 1)], {"X": 2})
    text = repr(df)
    assert text == (
        "Dataflow([Spatial('K', 1), Temporal('Y', Sz('R'), 1), Cluster('ClusterSz', physical=False), "
        "Spatial('C', 1)], constants={'X': 2})"
    )
    assert eval(text) == df  # noqa: S307 (the repr is the builder)


def test_sizes_accept_numpy_ints_and_refuse_the_rest():
    assert Spatial("K", np.int64(4)).size == 4 and type(Spatial("K", np.int32(4)).size) is int
    with pytest.raises(TypeError, match="must be an int"):
        Spatial("K", 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        Spatial("K", True)
    for bad, match in [(0, "1..2147483647"), (2**31, "32-bit"), ("Sz", "not a constant's name"), ("4x", "name")]:
        with pytest.raises(ValueError, match=match):
            Spatial("K", bad)
    with pytest.raises(ValueError, match="unknown dimension 'Q'"):
        Temporal("Q", 1)
    with pytest.raises(ValueError, match="Sz\\('Q'\\): unknown dimension"):
        Sz("Q")
    with pytest.raises(TypeError, match="physical must be a bool"):
        Cluster(4, "P")  # type: ignore[arg-type]


def test_filter_tiles_step_whole():
    # MAESTRO's "Invalid mapping": a temporal map of R or S steps by its whole tile
    with pytest.raises(ValueError, match="TemporalMap\\(3,1\\) R;: a temporal map of R must step by its whole tile"):
        Temporal("R", 3, 1)
    Temporal("S", Sz("S"), 1)  # undecidable here: checked when bound
    Spatial("R", 3, 1)  # MAESTRO checks temporal maps only


def test_level_rules():
    with pytest.raises(ValueError, match="level 1 \\(from the end of the program\\) has no SpatialMap"):
        Dataflow([])
    with pytest.raises(ValueError, match="level 2 \\(from directive 2 \\(Cluster\\(4, P\\)\\)\\) has no SpatialMap"):
        Dataflow([Spatial("K", 1), Cluster(4)])
    with pytest.raises(ValueError, match="level 1 .* has 3 SpatialMaps"):
        Dataflow([Spatial("K", 1), Spatial("C", 1), Spatial("Y", 1)])
    two = Dataflow([Spatial("Y", 1), Spatial("R", 1)])  # two are fine (rs)
    deep = [Spatial("K", 1)] + [d for _ in range(MAX_LEVELS - 1) for d in (Cluster(2), Spatial("C", 1))]
    assert len(Dataflow(deep).levels) == MAX_LEVELS and len(two.levels) == 1
    with pytest.raises(ValueError, match="directive 8 \\(Cluster\\(2, P\\)\\): opens level 5; MAESTRO analyses at most 4"):
        Dataflow([*deep, Cluster(2), Spatial("K", 1)])


def test_construction_errors():
    with pytest.raises(TypeError, match="for MAESTRO text use Dataflow.parse"):
        Dataflow("SpatialMap(1,1) K;")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="directive 2 is not a Map or a Cluster"):
        Dataflow([Spatial("K", 1), "Cluster(2, P)"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'S' is used as a size but is a dimension"):
        Dataflow([Spatial("K", "S")])  # a slip for Sz(S)
    assert Dataflow([Spatial("K", "S")], {"S": 2}).constants == {"S": 2}  # declared: any name
    with pytest.raises(ValueError, match="not a constant's name"):
        Dataflow([Spatial("K", 1)], {"a b": 1})
    with pytest.raises(ValueError, match="1..2147483647"):
        Dataflow([Spatial("K", 1)], {"T": 0})
    with pytest.raises(TypeError, match="mapping"):
        Dataflow([Spatial("K", 1)], [("T", 1)])  # type: ignore[arg-type]


def test_inline_and_pickle():
    df = Dataflow([Spatial("K", "T"), Cluster("U"), Spatial("C", "T", 1)], {"T": 2, "U": 4})
    assert df.inline() == Dataflow([Spatial("K", 2), Cluster(4), Spatial("C", 2, 1)])
    assert df.inline(["U"]) == Dataflow([Spatial("K", "T"), Cluster(4), Spatial("C", "T", 1)], {"T": 2})
    assert df.inline([]) is df
    hash(df)
    back = pickle.loads(pickle.dumps(df))
    assert "_hash" not in back.__dict__  # str hashes differ between processes: never pickled
    assert back == df and hash(back) == hash(df)
    with pytest.raises(AttributeError):
        df.constants = {}  # type: ignore[misc]
