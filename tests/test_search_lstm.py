"""The NumPy LSTM policy: gradients against finite differences, determinism, masks, learning."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux.search.lstm import Adam, clip_gradients, init_policy, log_prob, policy_gradient, rollout


def _setup(seed=0, n=5, f=3, n_pe=4, n_buf=3, masks=False):
    pol = init_policy(f, n_pe, n_buf, hidden=8, embed=6, seed=seed)
    rng = np.random.default_rng(seed)
    for k in pol.params:  # non-trivial biases so every path carries gradient
        pol.params[k] += rng.normal(0, 0.3, pol.params[k].shape)
    feats = rng.normal(size=(n, f))
    pm = bm = None
    if masks:
        pm = rng.random((n, n_pe)) < 0.7
        pm[:, 0] = True
        bm = rng.random((n, n_buf)) < 0.7
        bm[:, -1] = True
    return pol, feats, rng, pm, bm


@pytest.mark.parametrize("masks", [False, True])
@pytest.mark.parametrize("entropy", [0.0, 0.05])
def test_gradient_matches_finite_differences(masks, entropy):
    pol, feats, rng, pm, bm = _setup(masks=masks)
    pe, buf, cache = rollout(pol, feats, rng, pe_mask=pm, buf_mask=bm)
    w = rng.normal(size=pe.size)
    grads = policy_gradient(pol, cache, w, entropy=entropy)
    eps = 1e-6
    for name, value in pol.params.items():
        num = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            up = log_prob(pol, feats, pe, buf, w, entropy=entropy, pe_mask=pm, buf_mask=bm)
            value[idx] = old - eps
            down = log_prob(pol, feats, pe, buf, w, entropy=entropy, pe_mask=pm, buf_mask=bm)
            value[idx] = old
            num[idx] = (up - down) / (2 * eps)
        err = np.max(np.abs(num - grads[name])) / max(1e-8, np.max(np.abs(num)) + np.max(np.abs(grads[name])))
        assert err < 1e-6, (name, err)


def test_same_seed_same_rollout_and_masks_respected():
    pol1, feats, _, pm, bm = _setup(masks=True)
    pol2, _, _, _, _ = _setup(masks=True)
    a = rollout(pol1, feats, np.random.default_rng(3), pe_mask=pm, buf_mask=bm)
    b = rollout(pol2, feats, np.random.default_rng(3), pe_mask=pm, buf_mask=bm)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert np.all(pm[np.arange(len(a[0])), a[0]]) and np.all(bm[np.arange(len(a[1])), a[1]])
    g = rollout(pol1, feats, np.random.default_rng(0), greedy=True)
    np.testing.assert_array_equal(g[0], np.argmax(g[2].pp, axis=1))


def test_errors():
    pol, feats, rng, _, _ = _setup()
    with pytest.raises(ValueError, match="features"):
        rollout(pol, feats[:, :2], rng)
    with pytest.raises(ValueError, match="no allowed action"):
        rollout(pol, feats, rng, pe_mask=np.zeros((5, 4), dtype=bool))


def test_learns_a_bandit():
    pol = init_policy(2, 4, 3, hidden=16, embed=8, seed=1)
    feats = np.random.default_rng(0).normal(size=(4, 2))
    target_pe, target_buf = np.array([3, 0, 2, 1]), np.array([2, 2, 0, 1])
    opt, rng = Adam(lr=0.02), np.random.default_rng(0)
    for _ in range(300):
        pe, buf, cache = rollout(pol, feats, rng)
        # per-step credit: each layer is rewarded for its own two actions
        weights = (pe == target_pe).astype(float) + (buf == target_buf) - 1.0
        grads, _ = clip_gradients(policy_gradient(pol, cache, weights, entropy=0.01), 5.0)
        opt.step(pol.params, grads)
    p = np.exp(log_prob(pol, feats, target_pe, target_buf))
    assert p > 0.9
