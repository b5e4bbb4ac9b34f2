"""The frontier helper: extraction, hulls, and the DP step with block pruning."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux.search import frontier as frontier_module
from confuciux.search.frontier import Front, Limits, backtrack, combine, frontier, hull, step

native = pytest.mark.skipif(not frontier_module._NATIVE, reason="the compiled kernel (confuciux._cost_model) is not built")


def _brute_frontier(w: np.ndarray, c: np.ndarray) -> set[tuple[float, float]]:
    return {(a, b) for a, b in zip(w, c, strict=True) if not np.any(((w <= a) & (c < b)) | ((w < a) & (c <= b)))}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=60))
def test_frontier_is_the_set_of_undominated_points(points):
    w = np.array([p[0] for p in points], dtype=float)
    c = np.array([p[1] for p in points], dtype=float)
    k = frontier(w, c)
    found = set(zip(w[k], c[k], strict=True))
    assert found == _brute_frontier(w, c) and len(k) == len(found)
    assert np.all(np.diff(w[k]) > 0) and np.all(np.diff(c[k]) < 0)


def _random_front(rng: np.random.Generator, n: int, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    w = rng.integers(0, 40, n).astype(float) if integer else rng.random(n)
    c = rng.integers(0, 40, n).astype(float) if integer else rng.random(n)
    k = frontier(w, c)
    return w[k], c[k]


def _front_of_kind(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A random frontier: small integers (many exact ties), floats, or values a few units in the
    last place apart with offsets of very different size (sums that round to equal weights)."""
    if kind == "ulps":
        w = 1.0 + rng.integers(0, 64, n) * 2.0**-52 + rng.choice([0.0, 0.5, 2.0**40, 2.0**52], n)
        c = 1.0 + rng.integers(0, 64, n) * 2.0**-52 + rng.choice([0.0, 3.0, 2.0**52], n)
        k = frontier(w, c)
        return w[k], c[k]
    return _random_front(rng, n, kind == "integer")


@native
@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["integer", "float", "ulps"]), st.booleans(), st.booleans())
def test_the_c_step_equals_the_numpy_reference_bit_for_bit(seed, kind, bound_w, bound_c):
    """Frontier, parents and option positions identical (rounding ties included), under limits."""
    rng = np.random.default_rng(seed)
    fw, fc = np.zeros(1), np.zeros(1)
    for _ in range(4):
        w, c = _front_of_kind(rng, int(rng.integers(1, 50)), kind)
        total = float(fw[-1] + w[-1]) if fw.size else 1.0
        limits = Limits(float(rng.random()), total * float(rng.uniform(0.3, 1.2)) if bound_w else np.inf,
                        float(rng.random()), float(fc[0] + c[0]) * float(rng.uniform(0.3, 1.2)) if bound_c else np.inf)
        a = step(fw, fc, w, c, limits, native=True)
        b = step(fw, fc, w, c, limits, native=False, block=int(rng.integers(2, 6)))
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
        assert np.all(np.diff(a[0]) > 0) and np.all(np.diff(a[1]) < 0)
        fw, fc = a[0], a[1]
        if fw.size == 0:
            break


@native
def test_the_c_step_edge_cases():
    empty = np.zeros(0)
    for args in ((empty, empty, np.ones(3), np.ones(3)), (np.ones(2), np.array([2.0, 1.0]), empty, empty)):
        out = step(*args, native=True)
        assert all(a.size == 0 for a in out)
    one = step(np.zeros(1), np.zeros(1), np.array([1.0]), np.array([5.0]), native=True)
    assert one[0].tolist() == [1.0] and one[1].tolist() == [5.0] and one[2].tolist() == [0] and one[3].tolist() == [0]
    # every one of the 100 sums on the frontier, more than the room first given (2 × (10 + 10))
    fw, fc = np.arange(10.0), 100.0 - 10.0 * np.arange(10)
    w, c = 0.1 * np.arange(10), 9.0 - np.arange(10)
    assert step(fw, fc, w, c, native=True)[0].size == 100
    with pytest.raises(TypeError, match="Limits"):
        step(fw, fc, w, c, keep=lambda a, b: a > 0, native=True)
    with pytest.raises(ValueError, match="differ in size"):
        step(fw, fc[:2], w, c, native=True)
    nan = step(np.array([0.0, np.nan]), np.array([1.0, 0.0]), w, c, native=True)  # garbage in, no crash
    assert nan[0].size <= 2 * w.size


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.booleans(), st.integers(2, 8))
def test_block_pruning_gives_the_same_frontier_and_parents(seed, integer, block):
    rng = np.random.default_rng(seed)
    fw, fc = np.zeros(1), np.zeros(1)
    for _ in range(5):  # a few layers so that the partial frontier grows past the block sizes
        w, c = _random_front(rng, int(rng.integers(5, 60)), integer)
        front = Front(w, c, np.arange(w.size))
        a = combine(fw, fc, front, block=block)
        b = combine(fw, fc, front, block=10**9)
        for x, y in zip(a[:2], b[:2], strict=True):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(a[2].parent, b[2].parent)
        np.testing.assert_array_equal(a[2].option, b[2].option)
        fw, fc = a[0], a[1]


def test_backtrack_recovers_the_designs():
    rng = np.random.default_rng(3)
    fronts = [Front(*_random_front(rng, 30, False), np.arange(0)) for _ in range(4)]
    fronts = [Front(f.weight, f.cost, np.arange(f.weight.size)) for f in fronts]
    fw, fc, parents = np.zeros(1), np.zeros(1), []
    for f in fronts:
        fw, fc, p = combine(fw, fc, f, block=3)
        parents.append(p)
    for last in (0, fw.size // 2, fw.size - 1):
        choice = backtrack(parents, last)
        total_w = 0.0
        for f, o in zip(fronts, choice, strict=True):
            total_w += f.weight[o]
        assert total_w == fw[last] and sum(f.cost[o] for f, o in zip(fronts, choice, strict=True)) == fc[last]


def test_hull_is_convex_and_keeps_the_ends():
    w = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    c = np.array([10.0, 6.0, 5.0, 1.0, 0.5])
    h = hull(w, c)
    assert h[0] == 0 and h[-1] == 4 and 2 not in h
