"""The compiled mapping arithmetic (csrc/mapping.c through confuciux.mapping.native) equals its
NumPy reference bit for bit: the estimate, critical path, buffers, busy PEs and keys of random
rows of random layers and spaces; rows outside every space are refused with a ValueError."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux import Hardware, Layer
from confuciux.mapping import MappingSpace, native
from confuciux.mapping import estimate as est
from confuciux.mapping.genome import FreeEncoding
from confuciux.mapping.operators import Operators, breed, breed_at, breed_reference, draws
from confuciux.mapping.search import _Seen

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the compiled extension is not built")

LAYERS = [
    Layer(16, 8, 12, 12, 3, 3),
    Layer(8, 3, 17, 17, 3, 3, stride=2),
    Layer(64, 3, 224, 224, 7, 7, stride=2),
    Layer(1, 12, 10, 10, 3, 3, "DSCONV"),
    Layer(1, 32, 112, 112, 3, 3, "DSCONV", stride=2),
    Layer.gemm(24, 16, 8),
    Layer.gemm(512, 768, 3072),
    Layer(8, 8, 6, 6, 1, 1, groups=2, batch=2),
    Layer(96, 24, 57, 31, 1, 3),
]
SPACES = [MappingSpace(), MappingSpace(tiles="all"), MappingSpace(levels=(1, 2)), MappingSpace(levels=1),
          MappingSpace(orders=("C", "K", "Y'", "X'", "R", "S"))]  # fmt: skip


def _random_layer(rng: np.random.Generator) -> Layer:
    """A random layer: odd sizes, strides, batches and groups."""
    k, c = (int(v) for v in rng.integers(1, 40, size=2))
    y, x = (int(v) for v in rng.integers(3, 30, size=2))
    r, s = int(rng.integers(1, min(y, 4) + 1)), int(rng.integers(1, min(x, 4) + 1))
    kind = rng.integers(4)
    if kind == 0:
        return Layer(1, c, y, x, r, s, "DSCONV", stride=int(rng.integers(1, 3)))
    if kind == 1:
        return Layer.gemm(k, c, y)
    groups = int(rng.choice([1, 2])) if k % 2 == 0 and c % 2 == 0 else 1
    return Layer(k, c, y, x, r, s, stride=int(rng.integers(1, 4)), groups=groups, batch=int(rng.integers(1, 3)))


def _cases() -> list[tuple[FreeEncoding, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(16)
    layers = LAYERS + [_random_layer(rng) for _ in range(12)]
    out = []
    for i, layer in enumerate(layers):
        for space in SPACES[i % 2 :: 2] if i >= len(LAYERS) else SPACES:
            enc = FreeEncoding(space, layer, int(rng.choice([1, 7, 168, 1024])))
            g = enc.random(rng, 300)
            pes = rng.integers(enc.min_pes(g), enc.min_pes(g) * 4 + 200)
            out.append((enc, g, pes))
    return out


CASES = _cases()


@pytest.mark.parametrize("case", range(len(CASES)))
def test_estimate_equals_numpy(case: int) -> None:
    enc, g, pes = CASES[case]
    got = native.estimate(enc, g, pes, runtime=True, physical=True, buffers=True, busy=True)
    l1, l2 = est._buffers(enc, g, pes)
    assert np.array_equal(got["runtime"], est._runtime(enc, g, pes))
    assert np.array_equal(got["physical"], est._runtime(enc, g, pes, physical=True))
    assert np.array_equal(got["l1_bytes"], l1) and np.array_equal(got["l2_bytes"], l2)
    # the reference of busy_pes: a 2-D pes array takes its NumPy path
    assert np.array_equal(got["busy"], enc.busy_pes(g, pes[None, :])[0])
    # the public functions (which take the compiled path) agree too
    e = est.estimate(enc, g, pes)
    assert all(np.array_equal(a, b) for a, b in zip(e, (got["runtime"], l1, l2), strict=True))
    assert np.array_equal(est.critical_path(enc, g, pes, 4), got["physical"] / 4)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_traffic_equals_numpy(case: int) -> None:
    enc, g, pes = CASES[case]
    got, ref = native.traffic(enc, g, pes), est._traffic(enc, g, pes)
    assert got.keys() == ref.keys() and all(np.array_equal(got[k], ref[k]) for k in ref)
    assert all(np.array_equal(v, ref[k]) for k, v in est.traffic(enc, g, pes).items())


@pytest.mark.parametrize("case", range(0, len(CASES), 3))
def test_keys_equal_numpy(case: int) -> None:
    enc, g, pes = CASES[case]
    keys, hashes = native.keys(enc, g, pes)
    assert keys.view(f"V{8 * (enc.width + 1)}").ravel().tolist() == enc.keys(g, pes)
    assert hashes.dtype == np.uint64 and hashes.shape == (g.shape[0],)
    same = np.all(keys[:, None, :] == keys[None, :, :], axis=2)
    assert np.array_equal(same, hashes[:, None] == hashes[None, :])  # no collision among these


def test_invalid_rows_are_refused() -> None:
    enc, g, pes = CASES[0]
    for col, value in ((0, 0), (0, enc.L + 1), (enc.base(0), -1), (enc.base(0), enc.D), (enc.base(0) + 2, 0)):
        bad = g[:5].copy()
        bad[3, col] = value
        with pytest.raises(ValueError, match="row 3 is not a member"):
            native.estimate(enc, bad, pes[:5], runtime=True)
    with pytest.raises(ValueError, match="row 0"):
        native.estimate(enc, g[:1], 0, runtime=True)
    bad = g[:2].copy()
    bad[1, enc.base(0) + 2 + enc.D] = enc.D
    with pytest.raises(ValueError, match="row 1"):
        native.keys(enc, bad)
    if enc.L > 1:  # an inner cluster of 0, and clusters whose product overflows
        bad = g[:2].copy()
        bad[:, 0] = enc.L
        bad[1, enc.base(1) + 1] = 0
        with pytest.raises(ValueError, match="row 1"):
            native.estimate(enc, bad, 1, buffers=True)
        bad[1, [enc.base(lv) + 1 for lv in range(1, enc.L)]] = 2**40
        with pytest.raises(ValueError, match="row 1"):
            native.estimate(enc, bad, 1, busy=True)


def test_huge_values_do_not_crash() -> None:
    """Tiles and PEs up to 2^62 wrap as NumPy's int64 does (no undefined behaviour in C)."""
    enc = FreeEncoding(MappingSpace(tiles="all"), Layer(2**20, 2**20, 2**12, 2**12, 3, 3), 2**40)
    g = enc.random(np.random.default_rng(0), 50)
    pes = np.full(50, 2**62)
    got = native.estimate(enc, g, pes, runtime=True, physical=True, buffers=True, busy=True)
    with np.errstate(over="ignore"):
        assert np.array_equal(got["runtime"], est._runtime(enc, g, pes))
        assert np.array_equal(got["l2_bytes"], est._buffers(enc, g, pes)[1])


@pytest.mark.parametrize("kind", ["numpy", "c"])
@pytest.mark.parametrize("hashing", ["good", "bad", "one"])
def test_seen_is_exact_under_collisions(hashing: str, kind: str) -> None:
    """The dedup set takes every new key once, in order, with a good hash and when hashes collide."""
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 4, size=(400, 3))
    if hashing == "bad":  # almost everything collides
        hashes = (keys[:, 0] % 2).astype(np.uint64)
    elif hashing == "one":  # everything collides
        hashes = np.full(400, 2**64 - 1, dtype=np.uint64)
    else:
        hashes = (keys @ np.array([1, 4, 16]) * 2654435761 % 2**31).astype(np.uint64)  # distinct
    seen: _Seen | native.Seen = _Seen(3) if kind == "numpy" else native.Seen(3)
    first = seen.fresh(keys[:200], hashes[:200])
    copy = seen.copy()
    second = seen.fresh(keys[200:], hashes[200:])
    _, expect_first = np.unique(keys[:200], axis=0, return_index=True)
    assert np.array_equal(first, np.sort(expect_first))
    before = {tuple(r) for r in keys[:200].tolist()}
    expect_second = [i for i, r in enumerate(keys[200:].tolist())
                     if tuple(r) not in before and tuple(r) not in {tuple(q) for q in keys[200:][:i].tolist()}]  # fmt: skip
    assert second.tolist() == expect_second
    assert copy.fresh(keys[200:], hashes[200:]).tolist() == expect_second  # the copy did not see the second batch
    assert seen.fresh(keys, hashes).size == 0
    assert seen.fresh(keys[:0], hashes[:0]).size == 0


def test_seen_grows() -> None:
    """The compiled set keeps every key through its store's and table's growth."""
    rng = np.random.default_rng(5)
    seen = native.Seen(4)
    keys = rng.integers(0, 50, size=(5000, 4))
    hashes = (keys[:, 0] * 7 + keys[:, 1]).astype(np.uint64)  # many collisions, whole keys decide
    got = np.concatenate([seen.fresh(keys[i : i + 700], hashes[i : i + 700]) + i for i in range(0, 5000, 700)])
    _, first = np.unique(keys, axis=0, return_index=True)
    assert np.array_equal(got, np.sort(first)) and seen.count == first.size
    with pytest.raises(ValueError, match="hashes"):
        seen.fresh(keys[:3], hashes[:2])
    small = native.Seen(4)
    small.fresh(keys[:10], hashes[:10])
    for into in (None, native.Seen(4), seen):  # a copy made anew, into a small set, into a large one
        again = small.copy(into=into)
        assert again.count == small.count
        assert np.array_equal(again.fresh(keys[:20], hashes[:20]), small.copy().fresh(keys[:20], hashes[:20]))


@pytest.mark.parametrize(
    "space",
    [MappingSpace(), MappingSpace(tiles="all"), MappingSpace(levels=(1, 2)), MappingSpace(clusters=(4, None)),
     MappingSpace(orders=("C", "K", "Y'", "X'", "R", "S")), MappingSpace(spatial=("C",))],
)  # fmt: skip
def test_repair_equals_numpy(space: MappingSpace) -> None:
    """Rows of any integers (members nudged, some huge or negative values) repaired alike."""
    rng = np.random.default_rng(7)
    for layer in LAYERS[:6]:
        for cap in (1, 7, 168):
            enc = FreeEncoding(space, layer, cap)
            g = enc.random(rng, 200)
            g = g + rng.integers(-3, 4, size=g.shape) * (rng.random(g.shape) < 0.2)
            g = g + np.where(rng.random(g.shape) < 0.02, rng.integers(-(2**40), 2**40, size=g.shape), 0)
            got = enc.repair(g)
            assert np.array_equal(got, enc.repair_reference(g))
            assert np.array_equal(enc.repair(got), got)  # members stay as they are


def test_any_integers() -> None:
    """Rows of arbitrary int64s (extremes included) give results or a ValueError, never a crash
    (under the sanitizers, tests/sanitize.sh, no undefined behaviour); repaired, they give results."""
    rng = np.random.default_rng(11)
    extremes = np.array([-(2**63), -(2**62), -1, 0, 1, 2, 2**31, 2**62, 2**63 - 1], dtype=np.int64)
    for layer in (LAYERS[1], LAYERS[3], LAYERS[7]):
        enc = FreeEncoding(MappingSpace(), layer, 168)
        g = rng.integers(-5, 9, size=(300, enc.width))
        g = np.where(rng.random(g.shape) < 0.1, rng.choice(extremes, size=g.shape), g)
        pes = rng.choice(extremes, size=300)
        for i in range(0, 300, 10):
            rows, p = g[i : i + 10], pes[i : i + 10]
            for call, options in ((native.estimate, {"runtime": True, "physical": True, "buffers": True, "busy": True}),
                                  (native.traffic, {}), (native.keys, {})):  # fmt: skip
                try:
                    call(enc, rows, p, **options)  # type: ignore[operator]
                except ValueError:
                    pass
        fixed = enc.repair(g)
        got = native.estimate(enc, fixed, 168, runtime=True, physical=True, buffers=True, busy=True)
        assert all(v.shape == (300,) for v in got.values())
        assert native.traffic(enc, fixed, 168)["input_l2_read"].shape == (300,)


BREED_OPS = [Operators(), Operators(crossover=1.0, level_crossover=0.5, order=1.0, tile=1.0, tile_loci=5, local=0.3,
                                    parallel=0.5, birth=0.4, death=0.4), Operators(tile_loci=0, birth=1.0)]  # fmt: skip


@pytest.mark.parametrize("case", range(0, len(CASES), 3))
def test_breed_equals_numpy(case: int) -> None:
    """Children of random parents (members, and members nudged out of range) bred alike from
    the same draws, for several operator rates; the draws' count is the library's."""
    enc, g, _ = CASES[case]
    rng = np.random.default_rng(case)
    for ops in BREED_OPS:
        assert draws(enc, ops) == int(native.lib.cxm_breed_draws(enc.D, ops.tile_loci))
        a, b = g[rng.permutation(g.shape[0])][:120], g[:120]
        a = a + rng.integers(-2, 3, size=a.shape) * (rng.random(a.shape) < 0.05)
        u = rng.random((a.shape[0], draws(enc, ops)))
        u[:5] = np.where(rng.random(u[:5].shape) < 0.5, 0.0, np.nextafter(1.0, 0.0))  # the draws' edges
        got = native.breed(enc, a, b, u, ops)
        assert np.array_equal(got, breed_reference(enc, a, b, u, ops))
        assert np.array_equal(enc.repair(got), got)


@pytest.mark.parametrize("case", range(1, len(CASES), 4))
def test_breed_at_equals_breed(case: int) -> None:
    """Breeding pairs of rows by index equals breeding the gathered pairs, from the same draws."""
    enc, g, _ = CASES[case]
    rng = np.random.default_rng(case)
    ops = BREED_OPS[case % len(BREED_OPS)]
    ia, ib = rng.integers(g.shape[0], size=150), rng.integers(g.shape[0], size=150)
    u = rng.random((150, draws(enc, ops)))
    assert np.array_equal(native.breed_at(enc, g, ia, ib, u, ops), native.breed(enc, g[ia], g[ib], u, ops))
    one, two = np.random.default_rng(0), np.random.default_rng(0)
    assert np.array_equal(breed_at(enc, g, ia, ib, one, ops), breed(enc, g[ia], g[ib], two, ops))
    with pytest.raises(ValueError, match="index"):
        native.breed_at(enc, g, np.append(ia[:3], g.shape[0]), ib[:4], u[:4], ops)
    with pytest.raises(ValueError, match="draws"):
        native.breed_at(enc, g, ia, ib, u[:, :-1], ops)


def test_breed_any_integers() -> None:
    """Parents of arbitrary int64s and draws outside [0, 1) (NaN, infinities) breed members,
    never a crash (under the sanitizers no undefined behaviour); bad shapes are a ValueError."""
    rng = np.random.default_rng(12)
    extremes = np.array([-(2**63), -(2**62), -1, 0, 1, 2, 2**31, 2**62, 2**63 - 1], dtype=np.int64)
    odd = np.array([np.nan, np.inf, -np.inf, -1e300, 1e300, -0.0, 1.0, 2.5])
    for layer in (LAYERS[1], LAYERS[3], LAYERS[6]):
        for space in (MappingSpace(), MappingSpace(tiles="all")):
            enc = FreeEncoding(space, layer, 168)
            ops = BREED_OPS[1]
            a, b = (np.where(rng.random((200, enc.width)) < 0.2, rng.choice(extremes, size=(200, enc.width)),
                             rng.integers(-5, 9, size=(200, enc.width))) for _ in range(2))  # fmt: skip
            u = rng.random((200, draws(enc, ops)))
            u = np.where(rng.random(u.shape) < 0.1, rng.choice(odd, size=u.shape), u)
            got = native.breed(enc, a, b, u, ops)
            assert np.array_equal(enc.repair(got), got)
            with pytest.raises(ValueError, match="draws"):
                native.breed(enc, a, b, u[:, 1:], ops)


@pytest.mark.parametrize("case", range(0, len(CASES), 2))
def test_energy_equals_numpy(case: int) -> None:
    """(_energy's traffic and runtimes are the compiled ones, equal to NumPy's above.)"""
    enc, g, pes = CASES[case]
    for hw in (Hardware.default(), Hardware.maestro()):
        got = est.energy(enc, g, pes, hw)
        assert np.array_equal(got, est._energy(enc, g, pes, hw), equal_nan=True)
    with pytest.raises(ValueError, match="row 3"):
        bad = g[:5].copy()
        bad[3, 0] = 0
        native.energy(enc, bad, pes[:5], est._energy_constants(enc.layer, Hardware.default()))
    with pytest.raises(ValueError, match="8 constants"):
        native.energy(enc, g, pes, (1.0,))
