"""The compiled pre-screen (csrc/mapping.c cxm_screen, cxm_score, cxm_calibrate, cxm_top through
confuciux.mapping.native) equals its step-by-step reference bit for bit: the new candidates of
a batch with their structures and estimates (keys, the set of seen keys, the estimate), their
scores (search.py _score_reference: structure ratios, parents' ratios, the caps' filter, the
reference frontier, valid rates), the statistics of the log they are scored against
(_calibration_reference) and the choice of the best (a stable argsort, _niched), on random
inputs with NaN, infinities and ties; bad input is a ValueError."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux import Hardware, Layer
from confuciux.mapping import MappingSpace, native
from confuciux.mapping import estimate as est
from confuciux.mapping.evaluate import OK
from confuciux.mapping.genome import FreeEncoding
from confuciux.mapping.search import (
    _COSTS,
    _calibration_reference,
    _Log,
    _niched,
    _Run,
    _score_reference,
    _Stats,
    explore,
)

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the compiled extension is not built")

ENCODINGS = [
    FreeEncoding(MappingSpace(), Layer.gemm(512, 768, 64), 168),
    FreeEncoding(MappingSpace(tiles="all"), Layer(8, 3, 17, 17, 3, 3, stride=2), 64),
    FreeEncoding(MappingSpace(levels=(1, 2)), Layer(1, 12, 10, 10, 3, 3, "DSCONV"), 1024),
]


@pytest.mark.parametrize("case", range(len(ENCODINGS)))
@pytest.mark.parametrize("runtime", [True, False])
def test_screen_equals_its_steps(case: int, runtime: bool) -> None:
    enc = ENCODINGS[case]
    rng = np.random.default_rng(case)
    g = enc.random(rng, 300)
    rows = np.concatenate([g, g[:60], g[::7]])  # repeats within the batch
    pes = rng.integers(enc.min_pes(rows), enc.min_pes(rows) * 3 + 20)
    pes[300:360] = pes[:60]
    seen = native.Seen(enc.width + 1)
    seen.fresh(*native.keys(enc, rows[:40], pes[:40]))  # some seen before
    ref = seen.copy()
    idx, r, p, sig, rt, l1, l2 = native.screen(enc, seen, rows, pes, runtime=runtime)
    want = ref.fresh(*native.keys(enc, rows, pes))
    assert np.array_equal(idx, want) and 0 < idx.size < rows.shape[0] - 40
    assert np.array_equal(r, rows[want]) and np.array_equal(p, pes[want])
    assert np.array_equal(sig, enc.structure(rows[want]))
    assert (rt is None) != runtime
    if runtime:
        assert np.array_equal(rt, est._runtime(enc, rows[want], pes[want]))
    b1, b2 = est._buffers(enc, rows[want], pes[want])
    assert np.array_equal(l1, b1) and np.array_equal(l2, b2)
    assert seen.count == ref.count  # the set grew by the same keys
    assert seen.fresh(*native.keys(enc, rows, pes)).size == 0
    again = native.screen(enc, seen, rows, pes)
    assert all(a is None or a.shape[0] == 0 for a in again)


def test_screen_refuses_bad_rows_and_keeps_the_set() -> None:
    enc = ENCODINGS[0]
    g = enc.random(np.random.default_rng(1), 6)
    pes = enc.min_pes(g)
    seen = native.Seen(enc.width + 1)
    for col, value in ((0, 0), (enc.base(0), enc.D), (enc.base(0) + 2, 0), (enc.base(0) + 2 + enc.D, -1)):
        bad = g.copy()
        bad[3, col] = value
        with pytest.raises(ValueError, match="row 3 is not a member"):
            native.screen(enc, seen, bad, pes)
        assert seen.count == 0
    with pytest.raises(ValueError, match="row 0"):
        native.screen(enc, seen, g, np.zeros(6, dtype=np.int64))
    with pytest.raises(ValueError, match="words"):
        native.screen(enc, native.Seen(enc.width), g, pes)
    assert native.screen(enc, seen, g, pes)[0].size == 6 and seen.count == 6


def _stats(rng: np.random.Generator, n_sig: int) -> _Stats:
    """Random statistics of a log, with and without each table."""
    def sigs(k: int) -> np.ndarray:
        return np.sort(rng.choice(n_sig, size=k, replace=False)).astype(np.int64)

    ratios = None if rng.random() < 0.2 else (sigs(5), rng.uniform(0.5, 3.0, 5))
    counts = None
    if rng.random() < 0.8:
        known = sigs(8)
        n = rng.integers(1, 9, size=8)
        counts = (known, n, np.floor(rng.random(8) * (n + 1)))
    reference = None
    if rng.random() < 0.8:
        k = int(rng.integers(1, 12))
        res = np.sort(rng.choice([1.0, 8.0, 64.0, 100.0, 168.0, 300.0, 1e4, 1e5], size=k))
        reference = (res, np.minimum.accumulate(rng.uniform(1e3, 1e6, k)))
    low = float(rng.choice([0.25, 0.9, 1.5, np.nan]))
    return _Stats(float(rng.choice([1.0, 1.7])), ratios, counts, low, float(rng.choice([0.75, 1.2])), reference)


def _run(stats: _Stats, resource: str, caps: dict[str, float]) -> _Run:
    """A run whose log's statistics are ``stats`` (what the scoring reads of a run)."""
    run = _Run.__new__(_Run)
    run.log = _Log(3)
    run.calibration = (0, stats)
    run.resource, run.caps = resource, dict(caps)
    return run


CAPS = [{}, {"l1_bytes": 512.0}, {"l1_bytes": 512.0, "l2_bytes": 108_000.0}, {"pes": 64.0, "l2_bytes": 5e4}]


@pytest.mark.parametrize("seed", range(24))
def test_score_equals_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    stats = _stats(rng, 20)
    caps = CAPS[seed % len(CAPS)]
    resource = ("pes", "l1_bytes", "l2_bytes")[seed % 3]
    run = _run(stats, resource, caps)
    n = int(rng.integers(1, 200))
    pes = rng.integers(1, 300, size=n).astype(np.int64)
    sig = rng.integers(0, 20, size=n).astype(np.int64)
    est = rng.uniform(1e3, 1e6, n)
    l1 = rng.choice([100.0, 400.0, 511.0, 512.0, 513.0, 2000.0], size=n)
    l2 = rng.uniform(1e3, 3e5, n)
    if seed % 4 == 1:  # everything fits
        l1[:], l2[:] = 10.0, 10.0
    if seed % 5 == 2:  # no estimate finite
        est[:] = np.nan
    for a in (est, l1, l2):  # special values
        if seed % 5 != 2:
            a[rng.random(n) < 0.05] = rng.choice([np.nan, np.inf, 0.0])
    m = n + int(rng.integers(0, 50))
    fresh = np.sort(rng.choice(m, size=n, replace=False)).astype(np.int64)
    gaps = rng.choice([0.5, 1.0, 2.0, np.inf, 11.5], size=m)
    inherited = rng.choice([0.9, 1.3, np.nan, np.inf], size=m)
    cal = native.Calibration(stats.base, stats.ratios, stats.counts, stats.reference, stats.l2_low, stats.l2_median,
                             resource, caps)  # fmt: skip
    kept: list[bool] = []
    for parents in (None, (gaps, inherited)):
        keep, ratio, score = native.score(cal, pes, sig, est, l1, l2, fresh, *(parents or (None, None)))
        gap, inh = (None, None) if parents is None else (parents[0][fresh], parents[1][fresh])
        with np.errstate(all="ignore"):
            want = _score_reference(run, pes, sig, est, l1, l2, gap, inh)
        kept.append(keep.size < n)
        for got, ref in zip((keep, ratio, score), want, strict=True):
            assert got.shape == ref.shape
            assert np.array_equal(got, ref, equal_nan=got.dtype.kind == "f")
            if got.dtype.kind == "f":
                assert np.array_equal(np.signbit(got), np.signbit(ref))
    PARTIAL.append(kept[0])


PARTIAL: list[bool] = []


def test_score_cases_cover_a_partial_keep() -> None:
    assert not PARTIAL or any(PARTIAL)  # (run after test_score_equals_reference)


def test_score_refuses_bad_input() -> None:
    rng = np.random.default_rng(0)
    stats = _stats(rng, 20)
    cal = native.Calibration(stats.base, stats.ratios, stats.counts, stats.reference, 1.0, 1.0, "pes", {})
    one = np.ones(4)
    ints = np.ones(4, dtype=np.int64)
    with pytest.raises(ValueError, match="one length"):
        native.score(cal, ints, ints[:3], one, one, one)
    with pytest.raises(ValueError, match="need fresh"):
        native.score(cal, ints, ints, one, one, one, None, one)
    with pytest.raises(ValueError, match="fresh index"):
        native.score(cal, ints, ints, one, one, one, np.array([0, 1, 2, 9]), one, one)
    with pytest.raises(ValueError, match="parent_gap and parent_ratio"):
        native.score(cal, ints, ints, one, one, one, np.arange(4), one, np.ones(5))
    with pytest.raises(ValueError, match="resource and caps"):
        native.Calibration(1.0, None, None, None, 1.0, 1.0, "area", {})
    with pytest.raises(ValueError, match="resource and caps"):
        native.Calibration(1.0, None, None, None, 1.0, 1.0, "pes", {"power": 3.0})
    keep, _, score = native.score(cal, ints[:0], ints[:0], one[:0], one[:0], one[:0])
    assert keep.size == 0 and score.size == 0


def _random_log(seed: int) -> _Run:
    """A run over a log of random points (NaN, infinities, zeros, ties among them)."""
    rng = np.random.default_rng(seed)
    enc = ENCODINGS[seed % len(ENCODINGS)]
    run = _Run.__new__(_Run)
    run.enc, run.field, run.resource = enc, ("runtime", "energy")[seed % 2], ("pes", "l2_bytes", "area")[seed % 3]
    run.caps, run.calibration, run.native_screen, run.native_calibration = {}, None, None, None
    run.log_structures = np.zeros(0, dtype=np.int64)
    run.log = _Log(enc.width)
    n = int(rng.integers(0, 300)) if seed else 0
    costs = {k: rng.choice([1.0, 2.0, 3.5, 1e3, np.nan, np.inf, 0.0], size=n) * rng.integers(1, 4, size=n)
             for k in _COSTS}  # fmt: skip
    if seed % 4 == 3:  # no NaN at all
        costs = {k: np.nan_to_num(v, nan=7.0) for k, v in costs.items()}
    status = rng.choice([OK, OK, OK, 1, 2], size=n).astype(np.uint8)
    overuse = rng.choice([0.0, 0.5, np.inf], size=n)
    est = rng.choice([1.0, 2.0, 0.0, -1.0, np.nan, np.inf, 5.0], size=n)
    l2_est = rng.choice([1.0, 3.0, 0.0, np.nan, 100.0], size=n)
    rows = enc.random(rng, n)
    run.log.add(rows, rng.integers(1, 200, size=n), costs, status, rng.random(n) < 0.6, overuse, est, l2_est)
    return run


@pytest.mark.parametrize("seed", range(16))
def test_calibrate_equals_reference(seed: int) -> None:
    run = _random_log(seed)
    with np.errstate(all="ignore"):
        ref = _calibration_reference(run)
    log = run.log
    _, got = native.calibrate(log.costs[run.field], log.estimate, log.status, OK, log.costs["l2_bytes"],
                              log.l2_estimate, run.log_structures, log.physical, log.valid,
                              log.costs[run.resource])  # fmt: skip
    want = (ref.base, ref.ratios, ref.counts, ref.l2_low, ref.l2_median, ref.reference)
    for a, b in zip(got, want, strict=True):
        if isinstance(a, float):
            assert a == b or (np.isnan(a) and np.isnan(b))
            continue
        assert (a is None) == (b is None)
        for u, v in zip(a or (), b or (), strict=True):
            assert u.dtype == v.dtype and np.array_equal(u, v, equal_nan=True)


def test_calibrate_refuses_bad_input() -> None:
    one = np.ones(3)
    flags = np.ones(3, dtype=bool)
    with pytest.raises(ValueError, match="one length"):
        native.calibrate(one, one[:2], np.zeros(3, np.uint8), OK, one, one, None, flags, flags, one)
    with pytest.raises(ValueError, match="resource and caps"):
        native.calibrate(one, one, np.zeros(3, np.uint8), OK, one, one, None, flags, flags, one, "area", {})


@pytest.mark.parametrize("seed", range(12))
def test_top_equals_argsort_and_niched(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    score = rng.choice([0.5, 1.0, 1.0, 2.0, -0.0, 0.0, np.nan, np.inf, 10.5], size=n) + (rng.random(n) < 0.5) * 0.25
    sig = rng.integers(0, 1 + seed % 6, size=n).astype(np.int64) * 1000 - 3
    order = np.argsort(score, kind="stable")
    run = _Run.__new__(_Run)
    run.enc = ENCODINGS[0]
    for k in (0, 1, 2, n // 8, n // 5, n // 3, n, n + 5):
        assert np.array_equal(native.top(score, None, k, 1), order[:k])
        for share in (0.05, 0.3, 0.99, 1.0):
            cap = max(1, int(share * k)) if share < 1.0 else max(k, 1)
            got = native.top(score, sig, k, cap)
            assert np.array_equal(got, _niched(run, None, order, k, share, sig[order]))
    with pytest.raises(ValueError, match="mapping top"):
        native.top(score, sig[:-1] if n else np.zeros(1, np.int64), 3, 1)
    with pytest.raises(ValueError, match="mapping top"):
        native.top(score, None, 3, 0)


def test_screen_and_score_write_into_given_arrays() -> None:
    enc = ENCODINGS[0]
    rng = np.random.default_rng(5)
    rows = enc.random(rng, 200)
    pes = enc.min_pes(rows) * 2
    want = native.screen(enc, native.Seen(enc.width + 1), rows, pes)
    ints, floats = np.empty((3, 250), np.int64), np.empty((3, 250))
    room = np.empty((250, enc.width), np.int64)
    out = (ints[0], room[10:], ints[1, 10:], ints[2, 10:], floats[0, 10:], floats[1, 10:], floats[2, 10:])
    got = native.screen(enc, native.Seen(enc.width + 1), rows, pes, out=out)
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert np.shares_memory(got[1], room)
    with pytest.raises(ValueError, match="out must be"):
        native.screen(enc, native.Seen(enc.width + 1), rows, pes, out=(*out[:4], floats[0, 100:], *out[5:]))
    stats = _stats(rng, 20)
    cal = native.Calibration(stats.base, stats.ratios, stats.counts, stats.reference, 1.0, 1.0, "pes", {})
    _, _, _, sig, est, l1, l2 = want
    plain = native.score(cal, want[2], sig, est, l1, l2)
    into = (np.empty(300, np.int64), np.empty(300), np.empty(300))
    given = native.score(cal, want[2], sig, est, l1, l2, out=into)
    assert all(np.array_equal(a, b) for a, b in zip(given, plain, strict=True)) and np.shares_memory(given[2], into[2])
    with pytest.raises(ValueError, match="out must be"):
        native.score(cal, want[2], sig, est, l1, l2, out=(into[0], into[1], into[2][:5]))


@pytest.mark.parametrize("objective", ["latency", "energy"])
def test_search_logs_the_keys_it_hands_over(objective: str) -> None:
    """The keys the compiled pre-screen hands to the log are its points' own: every logged point's
    key is in the log's set, once."""
    layer = Layer.gemm(512, 768, 64)
    run, _ = explore(layer, pes=168, objective=objective, caps={"l1_bytes": 512, "l2_bytes": 108_000},
                     evaluations=150, hardware=Hardware.maestro(), method="genetic")  # fmt: skip
    assert run.room is not None and len(run.log) > 100
    assert run.log.seen.count == len(run.log)
    assert run.log.seen.copy().fresh(*run.keys(run.log.rows, run.log.pes)).size == 0


@pytest.mark.parametrize("cap", [512.0, 1e12, 1.0])
def test_screen_returns_the_kept(cap: float) -> None:
    """Given the calibration, the screen returns the new candidates the score keeps (some, all, or
    all when none fits), estimated, with where their keys are in the set; the set grows by every
    new one; what is scored is unchanged."""
    enc = ENCODINGS[0]
    rng = np.random.default_rng(7)
    rows = enc.random(rng, 300)
    rows = np.concatenate([rows, rows[:50]])  # some seen twice
    pes = enc.min_pes(rows) * 2
    stats = _stats(rng, 20)
    cal = native.Calibration(stats.base, stats.ratios, stats.counts, stats.reference, 0.5, 1.0, "pes",
                             {"l1_bytes": cap, "l2_bytes": 108_000.0 if cap == 512.0 else cap})  # fmt: skip
    every = native.Seen(enc.width + 1)
    want_idx, want_r, want_p, want_sig, want_rt, want_l1, want_l2 = native.screen(enc, every, rows, pes)
    assert want_rt is not None
    kept, want_ratio, want_score = native.score(cal, want_p, want_sig, want_rt, want_l1, want_l2)
    seen = native.Seen(enc.width + 1)
    slot = np.full(rows.shape[0], -1, dtype=np.int64)
    got = native.screen(enc, seen, rows, pes, cal=cal, slot=slot)
    want = (want_idx[kept], want_r[kept], want_p[kept], want_sig[kept], want_rt[kept], want_l1[kept], want_l2[kept])
    assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert seen.count == every.count and np.array_equal(seen.store[: seen.count], every.store[: every.count])
    assert np.array_equal(slot[: kept.size], kept)  # (one new key a new candidate, in order)
    keep, ratio, score = native.score(cal, got[2], got[3], got[4], got[5], got[6])
    assert np.array_equal(keep, np.arange(kept.size))
    assert np.array_equal(ratio, want_ratio) and np.array_equal(score, want_score)
    assert (kept.size < want_idx.size) == (cap == 512.0)
