"""Budgets: the one summation, feasibility at the boundary, LS sizing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux import Platform
from confuciux.budgets import Budgets, lp_total
from confuciux.explorer import METHODS


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-3, 1e9), min_size=1, max_size=60))
def test_lp_total_is_the_sequential_sum(values):
    total = 0.0
    for v in values:
        total += v
    assert lp_total(np.array(values)) == total
    assert np.array_equal(lp_total(np.array([values, values[::-1]]))[:1], [total])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-3, 1e9), min_size=1, max_size=60), st.sampled_from(["area", "power"]))
def test_a_budget_equal_to_the_usage_admits_and_a_hair_less_rejects(values, key):
    per = {key: np.array([values])}
    used = float(Budgets({}, "LP").usage(per, (key,))[key][0])
    b = Budgets({key: used}, "LP")
    usage, fits, over = b.check(per)
    assert fits[0] and over[0] == 0
    tight = Budgets({key: math.nextafter(used, 0)}, "LP")
    _, fits, over = tight.check(per)
    assert not fits[0] and over[0] > 0


def test_ls_sizes_one_accelerator_and_nan_fits_nothing():
    b = Budgets({"area": 1e12, "pes": 64}, "LS")
    per = {"pes": np.array([[8.0, 64.0]]), "l1_bytes": np.array([[10.0, 30.0]]), "l2_bytes": np.array([[100.0, 50.0]])}
    usage = b.usage(per, ("pes", "l1_bytes", "l2_bytes", "area"))
    assert usage["pes"][0] == 64 and usage["l1_bytes"][0] == 30 and usage["l2_bytes"][0] == 100
    assert usage["area"][0] == cx.area_power(64, 30, 100)[0]
    assert b.fits(usage)[0]
    per["l1_bytes"][0, 0] = np.nan
    _, fits, over = b.check(per)
    assert not fits[0] and over[0] == np.inf


@pytest.mark.parametrize("deployment", ["LP", "LS"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_is_admitted_by_a_budget_equal_to_a_designs_own_usage(method, deployment):
    """The lightest design under its own usage as the budget: only it (and designs no heavier)
    fits, and every method must return a feasible design."""
    model = cx.zoo.load("example")
    base = Platform("dla", deployment=deployment, pe_levels=(1, 2, 4), buffer_levels=(1, 2))
    pes, bufs = np.array([3, 2]), np.array([2, 1])  # an off-grid design in the box
    costs = cx.evaluate(model, pes, bufs)
    used = base.usage(pes, costs)
    platform = Platform("dla", deployment=deployment, budgets={"area": float(used["area"]), "pes": float(used["pes"])},
                        pe_levels=(1, 2, 4), buffer_levels=(1, 2))  # fmt: skip
    r = cx.Explorer(model, platform, "latency", method, epochs=30, seed=0).run()
    assert r.feasible, r.reason
