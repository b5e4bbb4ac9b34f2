"""Frontier moves: the one-budget pair search against brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from confuciux.search.moves import _best_partners


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
