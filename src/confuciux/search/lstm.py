"""The REINFORCE policy of ConfuciuX, in NumPy with hand-written backpropagation through time.

At step t (layer t, in the model's order) the input is that layer's features concatenated with
one-hot codes of the previous step's two actions.  An encoder (linear + tanh) feeds an LSTM cell
(hidden 128); two softmax heads pick the PE level and the buffer level.  Masks forbid actions.
:func:`policy_gradient` returns the gradient of ``Σ_t w_t (log π(pe_t) + log π(buf_t))`` (+ an
optional entropy bonus), checked against finite differences in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Policy", "init_policy", "rollout", "log_prob", "policy_gradient", "Adam", "clip_gradients"]

Params = dict[str, np.ndarray]


@dataclass
class Policy:
    params: Params
    n_features: int
    n_pe: int
    n_buf: int


def init_policy(n_features: int, n_pe: int, n_buf: int, *, hidden: int = 128, embed: int = 64, seed: int | np.random.Generator = 0) -> Policy:
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d_in = n_features + n_pe + n_buf

    def glorot(a: int, b: int) -> np.ndarray:
        return rng.uniform(-1, 1, (a, b)) * np.sqrt(6.0 / (a + b))

    p = {
        "We": glorot(embed, d_in), "be": np.zeros(embed),
        "Wx": glorot(4 * hidden, embed), "Wh": glorot(4 * hidden, hidden), "b": np.zeros(4 * hidden),
        "Wp": glorot(n_pe, hidden) * 0.1, "bp": np.zeros(n_pe),
        "Wb": glorot(n_buf, hidden) * 0.1, "bb": np.zeros(n_buf),
    }  # fmt: skip
    p["b"][hidden : 2 * hidden] = 1.0  # forget-gate bias: remember by default
    return Policy(p, n_features, n_pe, n_buf)


@dataclass
class _Cache:
    xs: np.ndarray
    es: np.ndarray
    gates: np.ndarray  # (N, 4H) after nonlinearity: i, f, o, g
    cs: np.ndarray  # (N+1, H), cs[0] = 0
    hs: np.ndarray  # (N+1, H)
    pp: np.ndarray  # (N, n_pe) probabilities
    pb: np.ndarray
    pe: np.ndarray
    buf: np.ndarray


def _check_masks(pe_mask, buf_mask, n, n_pe, n_buf):
    for name, m, k in (("pe_mask", pe_mask, n_pe), ("buf_mask", buf_mask, n_buf)):
        if m is None:
            continue
        if m.shape != (n, k):
            raise ValueError(f"{name} must have shape {(n, k)}, got {m.shape}")
        if not np.all(m.any(axis=1)):
            raise ValueError(f"{name} leaves a step with no allowed action")


def _forward(policy: Policy, features, pe, buf, rng, greedy, pe_mask, buf_mask, temperature=1.0) -> _Cache:
    p = policy.params
    n = features.shape[0]
    hidden = p["Wh"].shape[1]
    nf, n_pe, n_buf = policy.n_features, policy.n_pe, policy.n_buf
    # the encoder's input is [features, one-hot previous PE, one-hot previous buffer]: its
    # feature part is projected for all steps at once, the one-hots add single columns
    enc = features @ p["We"][:, :nf].T + p["be"]
    w_pe, w_buf = p["We"][:, nf : nf + n_pe], p["We"][:, nf + n_pe :]
    w_gates = np.hstack([p["Wx"], p["Wh"]])  # one matrix-vector product per step for [e; h]
    eh = np.empty(p["Wx"].shape[1] + hidden)
    n_e = p["Wx"].shape[1]
    heads_w = np.vstack([p["Wp"], p["Wb"]])
    heads_b = np.concatenate([p["bp"], p["bb"]])
    neg_p = None if pe_mask is None else np.where(pe_mask, 0.0, -np.inf)
    neg_b = None if buf_mask is None else np.where(buf_mask, 0.0, -np.inf)
    xs = np.zeros((n, p["We"].shape[1]))
    xs[:, :nf] = features
    es = np.empty((n, p["We"].shape[0]))
    gates = np.empty((n, 4 * hidden))
    cs = np.zeros((n + 1, hidden))
    hs = np.zeros((n + 1, hidden))
    pp = np.empty((n, n_pe))
    pb = np.empty((n, n_buf))
    sample = pe is None
    pe = np.zeros(n, dtype=np.int64) if sample else pe
    buf = np.zeros(n, dtype=np.int64) if sample else buf
    draws = rng.random((n, 2)) if sample and not greedy else None
    h3 = 3 * hidden
    for t in range(n):
        pre = enc[t]
        if t > 0:
            xs[t, nf + pe[t - 1]] = 1.0
            xs[t, nf + n_pe + buf[t - 1]] = 1.0
            pre = pre + w_pe[:, pe[t - 1]] + w_buf[:, buf[t - 1]]
        e = np.tanh(pre)
        eh[:n_e] = e
        eh[n_e:] = hs[t]
        a = w_gates @ eh + p["b"]
        g = gates[t]
        g[:h3] = 0.5 * (1.0 + np.tanh(0.5 * a[:h3]))  # sigmoid of i, f, o
        g[h3:] = np.tanh(a[h3:])
        cs[t + 1] = g[hidden : 2 * hidden] * cs[t] + g[:hidden] * g[h3:]
        hs[t + 1] = g[2 * hidden : h3] * np.tanh(cs[t + 1])
        es[t] = e
        logits = (heads_w @ hs[t + 1] + heads_b) / temperature
        lp, lb = logits[:n_pe], logits[n_pe:]
        if neg_p is not None:
            lp = lp + neg_p[t]
        if neg_b is not None:
            lb = lb + neg_b[t]
        ep, eb = np.exp(lp - lp.max()), np.exp(lb - lb.max())
        pp[t] = ep / ep.sum()
        pb[t] = eb / eb.sum()
        if sample:
            if greedy:
                pe[t], buf[t] = int(np.argmax(pp[t])), int(np.argmax(pb[t]))
            else:  # inverse-CDF sampling; skip back over masked actions that rounding can hit
                i = min(int(np.searchsorted(np.cumsum(pp[t]), draws[t, 0], side="right")), n_pe - 1)
                while pp[t, i] == 0:
                    i -= 1
                j = min(int(np.searchsorted(np.cumsum(pb[t]), draws[t, 1], side="right")), n_buf - 1)
                while pb[t, j] == 0:
                    j -= 1
                pe[t], buf[t] = i, j
    return _Cache(xs, es, gates, cs, hs, pp, pb, pe, buf)


def rollout(policy: Policy, features: np.ndarray, rng: np.random.Generator, *, greedy: bool = False, temperature: float = 1.0,
            pe_mask: np.ndarray | None = None, buf_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, _Cache]:  # fmt: skip
    """One episode over the layers: (pe level per layer, buffer level per layer, cache)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != policy.n_features:
        raise ValueError(f"features must have shape (N, {policy.n_features}), got {features.shape}")
    if not temperature > 0:
        raise ValueError("temperature must be > 0")
    _check_masks(pe_mask, buf_mask, features.shape[0], policy.n_pe, policy.n_buf)
    cache = _forward(policy, features, None, None, rng, greedy, pe_mask, buf_mask, temperature)
    return cache.pe.copy(), cache.buf.copy(), cache


def log_prob(policy: Policy, features, pe, buf, weights=1.0, *, entropy: float = 0.0, pe_mask=None, buf_mask=None) -> float:
    """``Σ_t w_t (log π(pe_t) + log π(buf_t)) + entropy · Σ_t H_t`` for given actions."""
    c = _forward(policy, np.asarray(features, float), np.asarray(pe), np.asarray(buf), None, False, pe_mask, buf_mask)
    w = np.broadcast_to(np.asarray(weights, float), (len(pe),))
    rows = np.arange(len(pe))
    total = float(np.sum(w * (np.log(c.pp[rows, pe]) + np.log(c.pb[rows, buf]))))
    if entropy:
        total += entropy * float(_entropy(c.pp) + _entropy(c.pb))
    return total


def _entropy(p: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.where(p > 0, p * np.log(p), 0.0)))


def policy_gradient(policy: Policy, cache: _Cache, weights=1.0, *, entropy: float = 0.0) -> Params:
    """Gradient of :func:`log_prob`'s objective for the actions of ``cache``, by BPTT."""
    p = policy.params
    n = cache.pe.size
    hidden = p["Wh"].shape[1]
    w = np.broadcast_to(np.asarray(weights, float), (n,))
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    rows = np.arange(n)
    # d objective / d logits: w (onehot - p) + entropy * dH/dlogits
    dlp = -cache.pp * w[:, None]
    dlp[rows, cache.pe] += w
    dlb = -cache.pb * w[:, None]
    dlb[rows, cache.buf] += w
    if entropy:
        for probs, d in ((cache.pp, dlp), (cache.pb, dlb)):
            with np.errstate(divide="ignore", invalid="ignore"):
                logp = np.where(probs > 0, np.log(probs), 0.0)
            h = -np.sum(probs * logp, axis=1, keepdims=True)
            d += entropy * (-probs * (logp + h))
    hs = cache.hs[1:]
    grads["Wp"] = dlp.T @ hs
    grads["bp"] = dlp.sum(axis=0)
    grads["Wb"] = dlb.T @ hs
    grads["bb"] = dlb.sum(axis=0)
    dh_heads = dlp @ p["Wp"] + dlb @ p["Wb"]  # (N, H)
    dh_next = np.zeros(hidden)
    dc_next = np.zeros(hidden)
    da_all = np.zeros((n, 4 * hidden))
    for t in range(n - 1, -1, -1):
        g = cache.gates[t]
        i, f, o, gg = g[:hidden], g[hidden : 2 * hidden], g[2 * hidden : 3 * hidden], g[3 * hidden :]
        c, c_prev = cache.cs[t + 1], cache.cs[t]
        tc = np.tanh(c)
        dh = dh_heads[t] + dh_next
        do = dh * tc
        dc = dh * o * (1 - tc * tc) + dc_next
        di, df, dg = dc * gg, dc * c_prev, dc * i
        dc_next = dc * f
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - gg * gg)])
        da_all[t] = da
        dh_next = p["Wh"].T @ da
    grads["Wx"] = _matmul(da_all.T, cache.es)
    grads["Wh"] = _matmul(da_all.T, cache.hs[:-1])
    grads["b"] = da_all.sum(axis=0)
    de = _matmul(da_all, p["Wx"]) * (1 - cache.es * cache.es)
    grads["We"] = de.T @ cache.xs
    grads["be"] = de.sum(axis=0)
    return grads


def _matmul(a: np.ndarray, b: np.ndarray, max_work: int = 1 << 18) -> np.ndarray:
    """``a @ b`` in row blocks of at most ``max_work`` multiply-adds each.  OpenBLAS hands
    larger products to worker threads that keep spinning after the call; with two searches
    running side by side on two cores, a 500-epoch run went from 2 s to 16 s because of it.
    Blocks this small stay on the calling thread (results equal up to rounding; deterministic)."""
    rows = max(1, max_work // max(1, a.shape[1] * b.shape[1]))
    if a.shape[0] <= rows:
        return a @ b
    return np.concatenate([a[i : i + rows] @ b for i in range(0, a.shape[0], rows)])


def clip_gradients(grads: Params, max_norm: float) -> tuple[Params, float]:
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if norm > max_norm > 0:
        scale = max_norm / norm
        grads = {k: g * scale for k, g in grads.items()}
    return grads, norm


class Adam:
    """Adam; ``step(..., ascend=True)`` moves up the gradient (REINFORCE maximises)."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: Params = {}
        self.v: Params = {}
        self.t = 0

    def step(self, params: Params, grads: Params, *, ascend: bool = True) -> None:
        self.t += 1
        sign = 1.0 if ascend else -1.0
        step = sign * self.lr / (1 - self.beta1**self.t)
        root_corr = np.sqrt(1 - self.beta2**self.t)
        for k, g in grads.items():
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * (g * g)
            # params += step * m / (sqrt(v / (1 - b2^t)) + eps), with few temporaries
            denom = np.sqrt(v)
            denom /= root_corr
            denom += self.eps
            params[k] += step * m / denom
