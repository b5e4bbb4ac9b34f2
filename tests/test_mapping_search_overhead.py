"""The mapping search's bookkeeping shortcuts give what the plain computations give: the log's
doubling buffers, structure groups without np.unique, the PE step's draws with one PE count, the
engine's repeated layer row, the printed outputs alone under MAESTRO's hardware."""

from __future__ import annotations

import numpy as np

import confuciux as cx
from confuciux import Hardware
from confuciux.mapping import MappingSpace
from confuciux.mapping import search as search_mod
from confuciux.mapping.evaluate import OUTPUTS
from confuciux.mapping.search import _COSTS, _groups, _Log, _Run, _step_pes, best

LAYER = cx.zoo.load("resnet18").layers[6]


def test_log_buffers_equal_concatenation_and_keep_earlier_views():
    rng = np.random.default_rng(0)
    log, width = _Log(5), 5
    parts: list[dict[str, np.ndarray]] = []
    views = []
    for m in (3, 300, 1, 0, 700):  # past the first buffer's 256 and its doubling
        p = {"rows": rng.integers(0, 9, (m, width)), "pes": rng.integers(1, 9, m), "status": rng.integers(0, 3, m).astype(np.uint8),
             "valid": rng.random(m) < 0.5, "overuse": np.where(rng.random(m) < 0.2, np.inf, rng.random(m)),
             "estimate": rng.random(m), "l2_estimate": rng.random(m)}  # fmt: skip
        costs = {k: rng.random(m) for k in _COSTS}
        log.add(p["rows"], p["pes"], costs, p["status"], p["valid"], p["overuse"], p["estimate"], p["l2_estimate"])
        parts.append({**p, **{f"cost {k}": v for k, v in costs.items()}})
        views.append((log.rows, log.costs["energy"], len(log)))
    assert len(log) == 1004
    for name in ("rows", "pes", "status", "valid", "overuse", "estimate", "l2_estimate"):
        want = np.concatenate([p[name] for p in parts])
        assert getattr(log, name).dtype == want.dtype and np.array_equal(getattr(log, name), want)
    for k in _COSTS:
        assert np.array_equal(log.costs[k], np.concatenate([p[f"cost {k}"] for p in parts]))
    assert np.array_equal(log.physical, np.isfinite(log.overuse))
    for rows, energy, n in views:  # a view taken before the log grew keeps its values
        assert np.array_equal(rows, log.rows[:n]) and np.array_equal(energy, log.costs["energy"][:n])


def test_groups_are_np_unique():
    rng = np.random.default_rng(1)
    for n in (1, 2, 17, 400):
        v = rng.integers(0, 6, n)
        by, first = _groups(v)
        known, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
        assert np.array_equal(by, np.argsort(v, kind="stable"))
        assert np.array_equal(v[by][first], known)
        assert np.array_equal(np.diff(np.append(np.flatnonzero(first), n)), counts)
        assert np.array_equal((np.cumsum(first) - 1)[np.argsort(by)], inverse.reshape(-1))
        s = np.sort(v)
        assert np.array_equal(_groups(s, ordered=True)[1], first)


def _step_pes_plain(run, parent, rows, rng, rate):
    """The PE step written plainly (every draw, then the arithmetic, whatever P is)."""
    P = run.P
    i = np.searchsorted(P, parent)
    move = rng.random(i.size) < rate
    step = rng.integers(1, 4, size=i.size) * np.where(rng.random(i.size) < 0.5, 1, -1)
    far = rng.random(i.size) < 0.1
    j = np.where(move, np.where(far, rng.integers(P.size, size=i.size), i + step), i)
    j = np.clip(j, np.searchsorted(P, run.enc.min_pes(rows)).clip(max=P.size - 1), P.size - 1)
    return P[j]


def test_pe_step_is_the_plain_step():
    """The same PE counts and the same draws (the seed's stream goes on the same), with one PE
    count (its shortcut) and several."""
    for pes in ([168], [8, 16, 32, 64, 168], [1, 2, 3]):
        run = _Run(LAYER, MappingSpace(), np.array(pes), "latency", "pes", {}, Hardware.default(), "hardware", {},
                   None)  # fmt: skip
        rows = run.enc.random(np.random.default_rng(2), 50)
        parent = run.P[np.random.default_rng(4).integers(run.P.size, size=50)]
        a, b = np.random.default_rng(3), np.random.default_rng(3)
        assert np.array_equal(_step_pes(run, parent, rows, a, 0.5), _step_pes_plain(run, parent, rows, b, 0.5))
        assert a.random() == b.random()


def test_repeated_layer_row_is_the_stacked_list():
    from confuciux.cost.engine import native

    if not native.AVAILABLE:
        return
    row = native._problem_row(native.problem_of(LAYER, (), native._naming(sorted("KCYXRS"))))
    got = native._repeated(row, 7)
    names = ("dims", "sy", "sx", "windows", "tensors", "bounds")
    for j, name in enumerate(names):
        want = np.stack([np.asarray(row[j])] * 7) if np.ndim(row[j]) else np.array([row[j]] * 7)
        assert np.array_equal(got[name], want) and got[name].dtype == np.asarray(want, dtype=got[name].dtype).dtype


def test_printed_outputs_alone_give_the_same_search(monkeypatch):
    """Under MAESTRO's hardware the search asks the engine for its printed outputs only; asking
    for every output gives the same search bit for bit."""
    kw = {"pes": 168, "caps": {"l1_bytes": 512, "l2_bytes": 108_000}, "evaluations": 120, "hardware": Hardware.maestro(),
          "flags": {"noc_bw": 81_920_000, "offchip_bw": 2**30}, "method": "genetic"}  # fmt: skip
    short = best(LAYER, **kw)
    monkeypatch.setattr(search_mod, "_PRINTED", OUTPUTS)
    full = best(LAYER, **kw)
    assert short.evaluations == full.evaluations and short.programs == full.programs
    for k in ("runtime", "energy", "area", "power", "l1_bytes", "l2_bytes"):
        assert np.array_equal(getattr(short, k), getattr(full, k))
