"""The polish after a large genetic search: single-gene neighbours, a local optimum at the end;
the short polish of a small one."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux import Hardware, Layer
from confuciux.mapping import MappingSpace, polish
from confuciux.mapping.genome import FreeEncoding
from confuciux.mapping.polish import neighbours, transposed
from confuciux.mapping.search import Genetic, explore, search

LAYER = Layer(64, 64, 14, 14, 3, 3)
SETTING = dict(pes=168, caps={"l1_bytes": 512, "l2_bytes": 108_000}, hardware=Hardware.maestro(),
               flags={"noc_bw": 81_920_000, "offchip_bw": 2**30})  # fmt: skip


def _unseen_neighbours(genetic: Genetic, evaluations: int = 1000) -> tuple[int, float]:
    """How many single-move neighbours of the search's best point it never evaluated, and the
    best's runtime (cycles)."""
    run, _ = explore(LAYER, MappingSpace(), evaluations=evaluations, seed=0, genetic=genetic, **SETTING)  # type: ignore[arg-type]
    rt = np.where(run.log.valid, run.log.costs["runtime"], np.inf)
    b = int(np.argmin(rt))
    assert isinstance(run.enc, FreeEncoding)
    rows, pes = neighbours(run.enc, run.log.rows[b], int(run.log.pes[b]), run.P)
    return int(run.log.seen.copy().fresh(*run.keys(rows, pes)).size), float(rt[b])


def test_polished_best_has_no_better_neighbour():
    # every neighbour of the best was evaluated and none is better (the best is the log's least):
    # a local optimum of the moves; the genetic search alone leaves some unseen
    unseen, polished = _unseen_neighbours(Genetic())
    assert unseen == 0
    unseen_before, before = _unseen_neighbours(Genetic(polish=0.0))
    assert unseen_before > 0
    assert polished <= before


def test_small_budgets_are_unchanged():
    a = search(LAYER, MappingSpace(), evaluations=300, seed=1, **SETTING)  # type: ignore[arg-type]
    b = search(LAYER, MappingSpace(), evaluations=300, seed=1, genetic=Genetic(polish=0.0), **SETTING)  # type: ignore[arg-type]
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.runtime, b.runtime)
    assert a.evaluations == b.evaluations == 300


def test_polish_spends_the_budget_and_is_seeded():
    a = search(LAYER, MappingSpace(), evaluations=1000, seed=3, **SETTING)  # type: ignore[arg-type]
    b = search(LAYER, MappingSpace(), evaluations=1000, seed=3, **SETTING)  # type: ignore[arg-type]
    assert a.evaluations == 1000
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.runtime, b.runtime)


def test_neighbours_are_members_one_move_away():
    enc = FreeEncoding(MappingSpace(), LAYER, 168)
    row = enc.random(np.random.default_rng(0), 8)
    row = row[np.argmax(row[:, 0])]  # one with the most levels
    counts = np.array([64, 128, 168])
    rows, pes = neighbours(enc, row, 128, counts)
    assert rows.shape[0] > 20
    assert np.array_equal(enc.repair(rows), rows)  # members of the space
    assert np.all(enc.min_pes(rows) <= pes)
    assert set(pes.tolist()) == {64, 128, 168}
    same = np.all(rows == row, axis=1)
    assert np.all(pes[same] != 128)  # the unchanged row only on another PE count
    # the adjacent swap of a level's first two loops is among them
    swapped = row.copy()
    o = enc.parts(swapped[None, :])[4][0, 0]
    o[0], o[1] = o[1], o[0]
    assert np.any(np.all(rows == enc.repair(swapped[None, :])[0], axis=1))


def test_transposed_splits_are_neighbours_with_the_axes_swapped():
    enc = FreeEncoding(MappingSpace(), LAYER, 168)
    rows = enc.random(np.random.default_rng(1), 64)
    _, sp, _, _, _ = enc.parts(rows)
    row = rows[np.flatnonzero((rows[:, 0] == 2) & (sp[:, 0] != sp[:, 1]))[0]]
    got = transposed(enc, row, 168, 108_000)
    assert got.shape[0] > 0
    _, gsp, _, _, _ = enc.parts(got)
    assert np.all(gsp[:, 0] == enc.parts(row[None, :])[1][0, 1])
    assert np.all(gsp[:, 1] == enc.parts(row[None, :])[1][0, 0])
    near, _ = neighbours(enc, row, 168, np.array([168]), 108_000)
    assert all(np.any(np.all(near == g, axis=1)) for g in got)


def test_small_search_polishes_its_best_a_little():
    # GAMMA's ResNet-18 L20 at its 210 candidates (GAMMA: 367,189 cycles): the genetic search
    # alone stops at another structure (~368,700); the transposed splits of the best structures'
    # seeds reach the one the estimate ranks first (~358,000-359,000)
    layer = Layer(512, 512, 7, 7, 3, 3)
    runs = [search(layer, MappingSpace(), evaluations=210, seed=0, genetic=g, **SETTING)  # type: ignore[arg-type]
            for g in (Genetic(), Genetic(short_polish=0.0))]  # fmt: skip
    assert runs[0].evaluations == runs[1].evaluations == 210
    assert runs[1].runtime[runs[1].best] > 367_189 > runs[0].runtime[runs[0].best]


@pytest.mark.parametrize("kwargs", [{"polish": 1.5}, {"polish": -0.1}, {"polish_from": 0}, {"polish_from": 2.5},
                                    {"short_polish": 2.0}])
def test_bad_polish_settings(kwargs):
    with pytest.raises(ValueError, match="Genetic.(short_)?polish"):
        Genetic(**kwargs)



def _runtime(layer: Layer, enc: FreeEncoding, row: np.ndarray) -> float:
    """The engine's runtime of a row on 168 PEs (cycles; inf when invalid or over the caps)."""
    from confuciux.cost.engine import Status, evaluate

    res = evaluate(layer, enc.program(row), 168, **SETTING["flags"])  # type: ignore[arg-type]
    fits = res.ints["l1_bytes"] <= 512 and res.ints["l2_bytes"] <= 108_000
    return float(res.ints["runtime"]) if res.status == Status.OK and fits else np.inf


def test_transposed_split_is_a_neighbour():
    # ResNet-18's L17 at GAMMA's setting: the genetic search's best, K over 12 sub-clusters outside
    # and C over 14 PEs inside (358,105 cycles), has no better valid single-gene neighbour; the
    # transposed split (C outside, K inside, K cut into two steps of whole rounds to fit L2) is
    # GAMMA's design at 358,050 cycles
    layer = Layer(512, 512, 7, 7, 3, 3)
    enc = FreeEncoding(MappingSpace(), layer, 168)
    row = np.array([2, 0, 1, 1, 182, 5, 5, 3, 3, 4, 2, 5, 1, 3, 0, 1, 14, 1, 1, 1, 3, 3, 3, 4, 0, 3, 2, 5, 1, 3,
                    1, 1, 1, 1, 1, 3, 3, 3, 0, 5, 1, 2, 4])  # fmt: skip
    assert np.array_equal(enc.repair(row[None, :])[0], row)
    rows, _ = neighbours(enc, row, 168, np.array([168]))
    assert _runtime(layer, enc, row) == 358_105
    assert min(_runtime(layer, enc, r) for r in rows) <= 358_050


def test_transposed_split_grown_to_the_l2_cap():
    # ResNet-18's L7 at 100 x 100 (632,769 cycles, K outside, C inside): transposed (C over 33
    # sub-clusters, K over 5 PEs in three steps) and the X' tile grown to the L2 cap, GAMMA's
    # layout at 632,761; without the cap the polish does not know how far to grow
    layer = Layer(128, 128, 28, 28, 3, 3)
    enc = FreeEncoding(MappingSpace(), layer, 168)
    row = np.array([2, 0, 1, 26, 32, 13, 7, 3, 3, 0, 1, 2, 3, 4, 5, 1, 32, 8, 1, 1, 1, 3, 3, 0, 1, 2, 3, 4, 5,
                    1, 1, 8, 1, 1, 1, 3, 3, 0, 1, 2, 3, 4, 5])  # fmt: skip
    assert np.array_equal(enc.repair(row[None, :])[0], row)
    assert _runtime(layer, enc, row) == 632_769
    capped, _ = neighbours(enc, row, 168, np.array([168]), l2_cap=108_000)
    free, _ = neighbours(enc, row, 168, np.array([168]))
    assert min(_runtime(layer, enc, r) for r in capped) <= 632_761
    assert min(_runtime(layer, enc, r) for r in free) > 632_761


@pytest.mark.parametrize("layer", [LAYER, Layer(128, 64, 28, 28, 3, 3, stride=2), Layer.gemm(512, 512, 64)])
def test_grown_solved_equals_every_choice_estimated(layer, monkeypatch):
    # tiles="all": the last fitting top tile solved from the L2 estimate's form is the one
    # estimating every choice finds (the same rows in the same order); its check never fails
    enc = FreeEncoding(MappingSpace(), layer, 168)
    rows = enc.random(np.random.default_rng(5), 200)
    rows = rows[rows[:, 0] >= 2]
    _, sp, _, _, _ = enc.parts(rows)
    free = enc.free_axes
    i, j = np.nonzero((free[None, :] != sp[:, :1]) & (free[None, :] != sp[:, 1:2]))
    caps = (2_000.0, 108_000.0, 5e6, np.inf)
    want = [polish._grown_every(enc, rows, i, free[j], 168, cap)[1] for cap in caps]
    monkeypatch.setattr(polish, "_grown_every", None)  # (a failed check would call it)
    for cap, w in zip(caps, want, strict=True):
        assert np.array_equal(polish._grown_solved(enc, rows, i, free[j], 168, cap)[1], w)
        assert np.array_equal(polish._grown(enc, rows, 168, cap), w)
    found = [w.shape[0] for w in want]
    assert 0 < max(found) and min(found) < i.size  # some pairs grow, some cannot


def test_grown_solved_falls_back_where_its_check_fails(monkeypatch):
    # an L2 estimate of another form (still nondecreasing): the pairs whose solved tile fails
    # the check are estimated choice by choice, and the rows are those of every choice estimated
    enc = FreeEncoding(MappingSpace(), LAYER, 168)
    rows = enc.random(np.random.default_rng(6), 100)
    rows = rows[rows[:, 0] >= 2]
    _, sp, _, _, _ = enc.parts(rows)
    free = enc.free_axes
    i, j = np.nonzero((free[None, :] != sp[:, :1]) & (free[None, :] != sp[:, 1:2]))
    plain = polish.buffers
    monkeypatch.setattr(polish, "buffers", lambda e, g, p: (plain(e, g, p)[0], plain(e, g, p)[1] ** 1.5 / 50))
    want = polish._grown_every(enc, rows, i, free[j], 168, 108_000.0)[1]
    calls = []
    every = polish._grown_every
    monkeypatch.setattr(polish, "_grown_every", lambda *a: calls.append(a[2].size) or every(*a))
    assert np.array_equal(polish._grown_solved(enc, rows, i, free[j], 168, 108_000.0)[1], want)
    assert calls and 0 < calls[0] < i.size
