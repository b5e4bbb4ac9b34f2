"""Rows of a mapping space: membership, programs, templates, keys, enumeration, operators."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux import Dataflow, Layer
from confuciux.cost.engine import evaluate
from confuciux.dataflow import compile
from confuciux.mapping import MappingSpace, polish_native
from confuciux.mapping.genome import FreeEncoding, divisors, snap_divisor
from confuciux.mapping.operators import Operators, breed

LAYERS = [
    Layer(16, 8, 12, 12, 3, 3),
    Layer(8, 3, 17, 17, 3, 3, stride=2),
    Layer(1, 12, 10, 10, 3, 3, "DSCONV"),
    Layer.gemm(24, 16, 8),
    Layer(8, 8, 6, 6, 1, 1, groups=2, batch=2),
]


def _members(enc: FreeEncoding, g: np.ndarray) -> None:
    """Every row is a member of the space (what repair promises)."""
    sizes = enc.axes.sizes
    lo, hi = enc.space.levels
    for r in g.tolist():
        assert lo <= r[0] <= hi
        parent = list(sizes)
        product = 1
        for lv in range(enc.L):
            b = enc.base(lv)
            tiles = r[b + 2 : b + 2 + enc.D]
            assert sorted(r[b + 2 + enc.D : b + 2 + 2 * enc.D]) == list(range(enc.D))
            assert r[b] in enc.spatial[lv]
            for d in range(enc.D):
                assert 1 <= tiles[d] <= parent[d]
                if d in enc.kernel:
                    assert tiles[d] == sizes[d]
                if enc.divisors_only:
                    assert parent[d] % tiles[d] == 0
            if 0 < lv < r[0]:
                product *= r[b + 1]
                assert 1 <= r[b + 1] <= parent[r[b]]
            if enc.orders[lv] is not None:
                assert tuple(r[b + 2 + enc.D : b + 2 + 2 * enc.D]) == enc.orders[lv]
            parent = tiles
        assert product <= enc.pe_cap or any(c is not None for c in enc.space.clusters)


@pytest.mark.parametrize("layer", LAYERS, ids=lambda l: l.kind + str(l.stride))
@pytest.mark.parametrize("tiles", ["all", "divisors"])
def test_random_rows_are_members_and_compile(layer, tiles):
    enc = FreeEncoding(MappingSpace(tiles=tiles), layer, 64)
    g = enc.random(np.random.default_rng(1), 40)
    _members(enc, g)
    assert np.array_equal(enc.repair(g), g)  # repair is idempotent on members
    for r, t in zip(g, enc.templates(g), strict=True):
        df = enc.program(r)
        assert Dataflow.parse(str(df)) == df
        assert t == compile(df, layer)
    assert (enc.min_pes(g) <= 64).all()


def test_repair_makes_any_row_a_member():
    layer = LAYERS[0]
    for tiles in ("all", "divisors"):
        enc = FreeEncoding(MappingSpace(tiles=tiles, levels=(1, 3)), layer, 12)
        rng = np.random.default_rng(5)
        junk = rng.integers(-5, 300, size=(60, enc.width))
        _members(enc, enc.repair(junk))


def test_restricted_classes_are_kept():
    layer = LAYERS[0]
    order = ("C", "K", "Y'", "X'", "R", "S")
    space = MappingSpace(levels=2, spatial=(("K",), ("C",)), orders=order, clusters=(4,))
    enc = FreeEncoding(space, layer, 64)
    rng = np.random.default_rng(2)
    g = enc.random(rng, 30)
    ops = Operators(order=1.0, parallel=1.0, tile=1.0, birth=1.0, death=1.0)
    for _ in range(3):
        g = breed(enc, g, g[::-1], rng, ops)
    for r in g:
        levels = enc.program(r).levels
        assert len(levels) == 2 and levels[1].cluster is not None and levels[1].cluster.size == 4
        for level, parallel in zip(levels, ("K", "C"), strict=True):
            assert tuple(m.dim for m in level.maps) == order
            assert [m.dim for m in level.maps if m.kind == "spatial"] == [parallel]


def test_operators_make_members_and_are_seeded():
    enc = FreeEncoding(MappingSpace(tiles="divisors"), LAYERS[1], 32)
    ops = Operators(birth=0.5, death=0.5)

    def run(seed):
        rng = np.random.default_rng(seed)
        g = enc.random(rng, 20)
        for _ in range(4):
            g = breed(enc, g, g[rng.permutation(20)], rng, ops)
        return g

    a, b = run(3), run(3)
    _members(enc, a)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, run(4))
    assert len(set(enc.levels(a).tolist())) > 1  # births and deaths happen


def _same(a, b) -> bool:
    if a.status != b.status:
        return False
    return not a.valid or (dict(a.ints) == dict(b.ints) and dict(a.floats) == pytest.approx(dict(b.floats), nan_ok=True))


def test_one_step_loops_can_stand_anywhere():
    """What keys() assumes: moving a loop of one step within its level changes no output."""
    rng = np.random.default_rng(11)
    checked = 0
    for layer in LAYERS[:3]:
        enc = FreeEncoding(MappingSpace(levels=(1, 2)), layer, 16)
        g = enc.random(rng, 12)
        for r in g.tolist():
            moved = list(r)
            parent = list(enc.axes.sizes)
            for lv in range(r[0]):
                b = enc.base(lv)
                o = b + 2 + enc.D
                tiles = r[b + 2 : b + 2 + enc.D]
                still = [d for d in r[o : o + enc.D] if d != r[b] and tiles[d] == parent[d]]
                moving = [d for d in r[o : o + enc.D] if d not in still]
                rng.shuffle(still)
                order = list(moving)
                for d in still:
                    order.insert(int(rng.integers(len(order) + 1)), d)
                moved[o : o + enc.D] = order
                parent = tiles
            assert enc.keys(np.array([r]))[0] == enc.keys(np.array([moved]))[0]
            if moved == r:
                continue
            pes = 16
            assert _same(evaluate(layer, enc.program(r), pes), evaluate(layer, enc.program(moved), pes))
            checked += 1
    assert checked >= 20


def test_enumeration_is_the_space_once():
    layer = Layer(4, 2, 3, 2, 1, 1)
    space = MappingSpace(levels=(1, 2), tiles="divisors", orders=("K", "C", "Y'", "X'", "R", "S"))
    enc = FreeEncoding(space, layer, 4)
    rows = np.concatenate(list(enc.enumerate(chunk=100)))
    keys = enc.keys(rows)
    assert len(set(keys)) == len(keys) == enc.count(10**6)
    _members(enc, rows)
    # a random member is among them
    g = enc.random(np.random.default_rng(0), 50)
    assert set(enc.keys(g)) <= set(keys)
    assert enc.count(5) is None


def test_count_is_the_enumeration_counted():
    # count() counts each subtree once; it must agree with walking the rows, under every limit
    for layer, levels, canonical in ((Layer(4, 2, 3, 2, 1, 1), (1, 1), True), (Layer(2, 2, 1, 1, 1, 1), (1, 1), False)):
        enc = FreeEncoding(MappingSpace(levels=levels), layer, 4)
        n = sum(1 for _ in enc._rows(canonical))
        for limit in (0, 1, n - 1, n, n + 1, 10**6):
            assert enc.count(limit, canonical) == (n if n <= limit else None)


def test_busy_pes_bound():
    layer = Layer(16, 8, 12, 12, 3, 3)
    enc = FreeEncoding(MappingSpace(levels=(1, 2)), layer, 64)
    g = enc.random(np.random.default_rng(9), 30)
    busy = enc.busy_pes(g, np.int64(64))
    assert ((busy >= 1) & (busy <= 64)).all()
    for r, u in zip(g, busy, strict=True):
        res = evaluate(layer, enc.program(r), 64)
        if res.valid:
            assert res["utilized_pes"] <= u + 1e-9


def test_divisor_helpers():
    assert divisors(12) == (1, 2, 3, 4, 6, 12)
    assert snap_divisor(12, 5) == 4 and snap_divisor(7, 6) == 1 and snap_divisor(9, 100) == 9


def test_bad_encodings():
    with pytest.raises(ValueError, match="parallel"):
        FreeEncoding(MappingSpace(spatial=("K",)), Layer(1, 8, 5, 5, 3, 3, "DSCONV"), 8)
    with pytest.raises(ValueError, match="pe_cap"):
        FreeEncoding(MappingSpace(), LAYERS[0], 0)
    with pytest.raises(ValueError, match="template"):
        FreeEncoding(MappingSpace.of_template("dla"), LAYERS[0], 8)


@pytest.mark.skipif(not polish_native.AVAILABLE, reason="the compiled extension is not built")
@pytest.mark.parametrize("tiles", ["all", "divisors"])
def test_compiled_directive_arrays_equal_the_reference(tiles):
    # csrc/polish.c's directive arrays are the NumPy reference's, over strided, depthwise and
    # GEMM layers and one to three levels; a row the C code cannot read is a ValueError
    rng = np.random.default_rng(4)
    for layer in (Layer(64, 32, 15, 15, 3, 3, stride=2), Layer(1, 32, 14, 14, 3, 3, "DSCONV"), Layer.gemm(64, 32, 48)):
        enc = FreeEncoding(MappingSpace(levels=(1, 3), tiles=tiles), layer, 64)
        rows = enc.random(rng, 200)
        first, got = enc.directive_arrays(rows)
        want_first, want = enc.directive_arrays_reference(rows)
        assert np.array_equal(first, want_first) and first[-1] > 0
        assert all(np.array_equal(got[k], want[k]) and got[k].dtype == want[k].dtype for k in want)
    bad = rows[:3].copy()
    bad[1, 0] = 0
    with pytest.raises(ValueError, match="row 1"):
        enc.directive_arrays(bad)


@pytest.mark.skipif(not polish_native.AVAILABLE, reason="the compiled extension is not built")
@pytest.mark.parametrize("space", [MappingSpace(levels=(1, 3)), MappingSpace(levels=(1, 3), tiles="divisors"),
                                   MappingSpace(levels=(2, 3), clusters=(4, None), tiles="divisors"),
                                   MappingSpace(levels=(1, 2), orders=(("K", "C"), None))])  # fmt: skip
def test_compiled_random_rows_equal_the_reference(space, monkeypatch):
    # csrc/polish.c's random rows from the draws are the NumPy reference's, and the generator's
    # stream is left where it leaves it
    for layer in (Layer(64, 32, 15, 15, 3, 3, stride=2), Layer(1, 32, 14, 14, 3, 3, "DSCONV"), Layer.gemm(64, 32, 48)):
        enc = FreeEncoding(space, layer, 64)
        a, b = np.random.default_rng(8), np.random.default_rng(8)
        got = enc.random(a, 300)
        with monkeypatch.context() as m:
            m.setattr(polish_native, "AVAILABLE", False)
            want = enc.random(b, 300)
        assert np.array_equal(got, want) and a.random() == b.random()
