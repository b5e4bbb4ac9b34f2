"""Frontier moves: the pair searches against brute force, moves scored from aggregates, the
budgets' Lagrangian prices, and the two-budget search on a network beyond the zoo."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux.search.moves import _best_partners, _best_partners_multi, _cheapest_two, _single_batch


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 6), st.floats(0, 3))
def test_best_partner_is_the_cheapest_fitting_move_of_another_layer(seed, n_moves, n_layers, slack):
    rng = np.random.default_rng(seed)
    dc = np.round(rng.normal(size=n_moves), 1)  # rounded: ties happen
    dw = np.round(rng.normal(size=n_moves), 1)
    layer = rng.integers(0, n_layers, n_moves)
    up, down = np.flatnonzero(dc < 0), np.flatnonzero(dc >= 0)
    if not (up.size and down.size):
        return
    b, gain = _best_partners(up, down, dc, dw, layer, slack)
    for i, u in enumerate(up):
        fits = (layer[down] != layer[u]) & (dw[down] <= slack - dw[u])
        best = dc[u] + dc[down][fits].min() if fits.any() else np.inf
        assert gain[i] == best
        if np.isfinite(best):
            d = down[b[i]]
            assert layer[d] != layer[u] and dw[d] <= slack - dw[u] and dc[u] + dc[d] == best


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 6), st.floats(0, 3), st.floats(0, 3))
def test_best_partner_under_two_budgets_is_the_cheapest_fitting_move_of_another_layer(seed, n_moves, n_layers, s1, s2):
    rng = np.random.default_rng(seed)
    dc = np.round(rng.normal(size=n_moves), 1)
    dw = {"a": np.round(rng.normal(size=n_moves), 1), "b": np.round(rng.normal(size=n_moves), 1)}
    slack = {"a": s1, "b": s2}
    layer = rng.integers(0, n_layers, n_moves)
    up, down = np.flatnonzero(dc < 0), np.flatnonzero(dc >= 0)
    if not (up.size and down.size):
        return
    b, gain = _best_partners_multi(up, down, dc, dw, layer, slack)
    for i, u in enumerate(up):
        fits = (layer[down] != layer[u]) & (dw["a"][u] + dw["a"][down] <= s1) & (dw["b"][u] + dw["b"][down] <= s2)
        best = dc[u] + dc[down][fits].min() if fits.any() else np.inf
        assert gain[i] == best
        if np.isfinite(best):
            d = down[b[i]]
            assert layer[d] != layer[u] and dc[u] + dc[d] == best
            assert all(dw[k][u] + dw[k][d] <= slack[k] for k in slack)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 6))
def test_a_batch_of_single_moves_fits_every_budget_and_changes_each_layer_once(seed, n_moves, n_layers):
    rng = np.random.default_rng(seed)
    dc = rng.normal(size=n_moves)
    dw = {"a": rng.normal(size=n_moves), "b": rng.normal(size=n_moves)}
    slack = {"a": 0.5, "b": 0.5}
    layer = rng.integers(0, n_layers, n_moves)
    batch = _single_batch(dc, dw, slack, layer)
    if batch is None:
        return
    m = np.array(batch)
    assert len(m) >= 2 and np.all(dc[m] < 0) and len(set(layer[m].tolist())) == len(m)
    assert all(dw[k][m].sum() <= slack[k] + 1e-12 for k in slack)


def test_polish_memory_is_bounded_on_a_300_layer_edp_problem():
    # the old polish built every pair move as a full design (memory ~ layers cubed: GBs here);
    # run it in a subprocess under an address-space limit, with a few generations of the GA
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import resource, tracemalloc
        import confuciux as cx
        from confuciux.search.methods import Genetic
        layers = []
        for name in ("densenet", "googlenet", "mobilenet_v2"):
            layers += list(cx.zoo.load(name))
        model = cx.Model("big", layers[:300])
        pl = cx.Platform.confuciux(model, "dla", "area", 0.5)
        tracemalloc.start()
        r = cx.Explorer(model, pl, "edp", Genetic(population=6), epochs=3, seed=0).run()
        peak = tracemalloc.get_traced_memory()[1]
        assert r.feasible, r.reason
        print(peak)
    """)
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
    out = subprocess.run([sys.executable, "-c", limit + code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    peak = int(out.stdout.split()[-1])
    # the cost table (300 layers x 1,536 options x 7 fields) is ~26 MB; the search adds O(N x options)
    assert peak < 400e6, peak


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.integers(1, 5), st.integers(1, 6))
def test_cheapest_two_are_the_first_cheapest_and_first_cheapest_on_another_layer(seed, n, n_layers, n_values):
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, n_values, n).astype(float)  # few values: many ties, the first must win
    lay = rng.integers(0, n_layers, n)
    first, second = _cheapest_two(cost, lay)
    for j in range(n):
        assert first[j] == int(np.argmin(cost[: j + 1]))  # argmin: the first of the ties
        other = np.flatnonzero(lay[: j + 1] != lay[first[j]])
        assert second[j] == (int(other[np.argmin(cost[other])]) if other.size else -1)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp", "throughput"])
@pytest.mark.parametrize("deployment", ["LP", "LS"])
def test_moves_scored_from_aggregates_rank_as_whole_designs_do(objective, deployment):
    # issue 18 item 13: the general polish scores one- and two-layer moves from the current
    # design's sums and top three instead of building every design (layers² entries a round)
    import confuciux as cx
    from confuciux.search.moves import Frontiers, _MoveScores
    from confuciux.search.problem import Problem

    m = cx.zoo.load("mobilenet_v2")[:14]
    pl = cx.Platform(budgets={"area": 6e5, "pes": 300}, deployment=deployment, pe_levels=(1, 8, 32), pe_bounds=(1, 32))
    pr = Problem(m, pl, objective)
    fr = Frontiers(pr)
    rng = np.random.default_rng(0)
    current = fr.to_choice((rng.random(len(m)) * fr.length).astype(np.int64))
    scores = _MoveScores(pr, current)
    for k in (1, 2):
        layers = np.stack([rng.choice(len(m), k, replace=False) for _ in range(200)])
        options = fr.options[layers, (rng.random(layers.shape) * fr.length[layers]).astype(np.int64)]
        designs = np.repeat(current[None, :], 200, axis=0)
        designs[np.arange(200)[:, None], layers] = options
        whole = pr.fitness_key(pr.score(designs))
        np.testing.assert_allclose(scores.keys(layers, options), whole, rtol=1e-12)


def test_lagrangian_prices_price_only_the_binding_budgets():
    import dataclasses

    import confuciux as cx
    from confuciux.search.moves import lagrangian_prices
    from confuciux.search.problem import Problem

    m = cx.zoo.load("mobilenet_v2")
    # (with MAESTRO's impossible dpt costs, as ConfuciuX takes them, both budgets bind at the optimum)
    pr = Problem(m, dataclasses.replace(cx.Platform.edge_fpga(), allow_impossible=True))
    shares = {k: pr.table[k] / b for k, b in pr.platform.budgets.items()}
    lam = lagrangian_prices(pr.table["runtime"], shares, pr.valid)
    assert lam["pes"] > 0 and lam["l1_bytes"] > 0  # both bind on the edge FPGA
    rows = np.arange(len(m))
    pick = np.argmin(np.where(pr.valid, pr.table["runtime"], np.inf) + sum(lam[k] * shares[k] for k in shares), axis=1)
    assert all(np.sum(shares[k][rows, pick]) <= 1.0 for k in shares)  # the relaxed design fits
    loose = {"pes": shares["pes"] / 100, "l1_bytes": shares["l1_bytes"]}  # 100 times the PEs: not binding
    assert lagrangian_prices(pr.table["runtime"], loose, pr.valid)["pes"] == 0.0


def test_the_default_search_trades_l1_for_a_pe_on_efficientnet_at_the_edge():
    # issue 17 item 6: seed 2 ended 3.2 % above the certified bound, one depthwise layer holding
    # 540 bytes of L1 that a dozen 1x1 layers needed; the exchanges are now seeded by moves that
    # pay at the design's marginal rates (one more PE for that layer, its L1 to the others)
    from pathlib import Path

    import confuciux as cx

    m = cx.Model.from_csv(Path(__file__).parent / "golden" / "efficientnet_b0.csv", name="efficientnet_b0")
    pl = cx.Platform.edge_fpga()
    bound = cx.Explorer(m, pl, "latency", "exact").run()
    r = cx.Explorer(m, pl, "latency", "confuciux", 500, seed=2).run()
    assert r.feasible and r.objective_value <= 1.01 * (bound.lower_bound or bound.objective_value)
