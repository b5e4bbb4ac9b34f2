"""The LSTM policy: gradients against finite differences, determinism, masks, learning; the C kernel against the NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest

from confuciux.search import lstm
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


# --- the C kernel of the per-step loops (csrc/lstm.c) against the NumPy reference -----------------

kernel = pytest.mark.skipif(lstm._KERNEL is None, reason="the C kernel is not built (NumPy-only install)")


def _float32_setup(seed, n, f, n_pe, n_buf, hidden, embed, masks):
    pol = init_policy(f, n_pe, n_buf, hidden=hidden, embed=embed, seed=seed, dtype=np.float32)
    rng = np.random.default_rng(seed)
    pol.flat += rng.normal(0, 0.3, pol.flat.shape).astype(np.float32)
    feats = rng.normal(size=(n, f))
    pm = bm = None
    if masks:
        pm, bm = rng.random((n, n_pe)) < 0.6, rng.random((n, n_buf)) < 0.6
        pm[np.arange(n), rng.integers(0, n_pe, n)] = True
        bm[np.arange(n), rng.integers(0, n_buf, n)] = True
    return pol, feats, pm, bm


def _both(monkeypatch, fn):
    """``fn()`` with the C kernel, then with the NumPy reference."""
    with_c = fn()
    monkeypatch.setattr(lstm, "_KERNEL", None)
    reference = fn()
    monkeypatch.undo()
    return with_c, reference


@kernel
@pytest.mark.parametrize(
    ("seed", "n", "n_pe", "n_buf", "hidden", "embed", "masks"),
    [
        (0, 7, 4, 3, 8, 6, False),
        (1, 40, 12, 12, 33, 17, True),
        (2, 1, 5, 2, 5, 3, True),
        (3, 120, 12, 12, 128, 64, False),
    ],
)
def test_kernel_matches_numpy_forward_and_backward(monkeypatch, seed, n, n_pe, n_buf, hidden, embed, masks):
    pol, feats, pm, bm = _float32_setup(seed, n, 3, n_pe, n_buf, hidden, embed, masks)
    w = np.random.default_rng(seed + 9).normal(size=n)

    def run():
        pe, buf, cache = rollout(pol, feats, np.random.default_rng(seed), pe_mask=pm, buf_mask=bm)
        return pe, buf, cache, lstm.gradient_vector(pol, cache, w, entropy=0.02)

    (pe, buf, c, g), (pe_r, buf_r, c_r, g_r) = _both(monkeypatch, run)
    # near-ties in argmax could legitimately flip; these seeds have none, so the samples agree
    np.testing.assert_array_equal(pe, pe_r)
    np.testing.assert_array_equal(buf, buf_r)
    for name in ("eh", "gates", "cs", "pp", "pb", "xs"):  # atol: float32 rounding carried over 120 steps
        np.testing.assert_allclose(getattr(c, name), getattr(c_r, name), rtol=1e-5, atol=2e-5, err_msg=name)
    np.testing.assert_allclose(g, g_r, rtol=1e-4, atol=1e-5 * np.abs(g_r).max())
    assert c.gates.dtype == np.float32 and g.dtype == np.float32


@kernel
def test_kernel_scores_given_actions_like_numpy(monkeypatch):
    pol, feats, pm, bm = _float32_setup(4, 25, 3, 6, 4, 16, 8, True)
    pe, buf, _ = rollout(pol, feats, np.random.default_rng(1), pe_mask=pm, buf_mask=bm)
    a, b = _both(monkeypatch, lambda: log_prob(pol, feats, pe, buf, 0.5, entropy=0.1, pe_mask=pm, buf_mask=bm))
    assert a == pytest.approx(b, rel=1e-5)


@kernel
def test_kernel_gradient_matches_finite_differences():
    """The float32 C gradient against central differences of the float64 NumPy log-probability of
    the same parameters and actions (tolerance for float32 rounding)."""
    pol, feats, pm, bm = _float32_setup(5, 6, 3, 4, 3, 8, 6, True)
    pe, buf, cache = rollout(pol, feats, np.random.default_rng(2), pe_mask=pm, buf_mask=bm)
    w = np.random.default_rng(3).normal(size=pe.size)
    grad = lstm.gradient_vector(pol, cache, w, entropy=0.05).astype(np.float64)
    ref = init_policy(3, 4, 3, hidden=8, embed=6, dtype=np.float64)
    ref.flat[:] = pol.flat
    eps, num = 1e-6, np.zeros_like(ref.flat)
    for i in range(ref.flat.size):
        old = ref.flat[i]
        ref.flat[i] = old + eps
        up = log_prob(ref, feats, pe, buf, w, entropy=0.05, pe_mask=pm, buf_mask=bm)
        ref.flat[i] = old - eps
        down = log_prob(ref, feats, pe, buf, w, entropy=0.05, pe_mask=pm, buf_mask=bm)
        ref.flat[i] = old
        num[i] = (up - down) / (2 * eps)
    assert np.max(np.abs(grad - num)) < 1e-4 * np.max(np.abs(num))


@kernel
def test_kernel_same_seed_same_bits_and_bad_actions():
    pol, feats, pm, bm = _float32_setup(6, 30, 3, 12, 12, 32, 16, True)
    a = rollout(pol, feats, np.random.default_rng(7), pe_mask=pm, buf_mask=bm)
    b = rollout(pol, feats, np.random.default_rng(7), pe_mask=pm, buf_mask=bm)
    for x, y in zip(a[:2] + (a[2].gates, a[2].eh), b[:2] + (b[2].gates, b[2].eh), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(lstm.gradient_vector(pol, a[2], 1.0), lstm.gradient_vector(pol, b[2], 1.0))
    pe = a[0].copy()
    pe[3] = 12
    with pytest.raises(ValueError, match="out of range"):
        log_prob(pol, feats, pe, a[1])
