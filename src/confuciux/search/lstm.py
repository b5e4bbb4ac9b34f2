"""The REINFORCE policy of ConfuciuX, with hand-written backpropagation through time.

At step t (layer t, in the model's order) the input is that layer's features concatenated with
one-hot codes of the previous step's two actions.  An encoder (linear + tanh) feeds an LSTM cell
(hidden 128); two softmax heads pick the PE level and the buffer level.  Masks forbid actions.
:func:`policy_gradient` returns the gradient of ``Σ_t w_t (log π(pe_t) + log π(buf_t))`` (+ an
optional entropy bonus), checked against finite differences in the tests.

Speed (a 500-epoch search runs ~330 episodes): only the recurrence is stepped one layer at a
time — for a float32 policy in C (csrc/lstm.c: one call per episode for the forward pass, one for
the backward pass), else in NumPy (:func:`_steps_numpy`, :func:`_bptt_numpy`: the reference the
tests compare the kernel with, and the fallback when the extension is not built).  The two agree
to float32 rounding, not bit for bit; each is deterministic.  The
parameters live in one flat vector in three blocks, each a matrix with its bias as the last
column (gates: last row) — encoder ``[We | be]``, gates ``[Wx | Wh | b]ᵀ``, heads
``[Wp; Wb | bp; bb]`` — so a step is one matrix-vector product for the gates and one for both
heads, the gate gradient is one matrix product, and Adam updates one vector.
Actions are sampled by the Gumbel-max rule (argmax of logits plus Gumbel noise drawn for the
whole episode at once), so the softmax is needed only for the gradient, over all steps at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Policy", "init_policy", "rollout", "log_prob", "policy_gradient", "gradient_vector", "Adam",
           "clip_gradients"]  # fmt: skip

try:  # the C kernel of the per-step loops (csrc/lstm.c); NumPy below when it is not built
    from .._cost_model import ffi as _KERNEL_FFI  # type: ignore[import-not-found, unused-ignore]
    from .._cost_model import lib as _KERNEL  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    _KERNEL = _KERNEL_FFI = None

Params = dict[str, np.ndarray]
Array = np.ndarray[Any, Any]


@dataclass
class Policy:
    """Parameters (``params``: views into ``flat``) and sizes of the policy network."""

    params: Params
    n_features: int
    n_pe: int
    n_buf: int
    flat: Array
    hidden: int
    embed: int

    @property
    def blocks(self) -> tuple[Array, Array, Array]:
        """The encoder ``(E, D+1)``, transposed gate ``(E+H+1, 4H)`` and head ``(n_pe+n_buf, H+1)``
        matrices (views of ``flat``; the last column, for the gates the last row, is the bias)."""
        n_out = self.n_pe + self.n_buf
        return _blocks(self.flat, self.n_features + n_out, self.embed, self.hidden, n_out)


def _blocks(flat: Array, d_in: int, embed: int, hidden: int, n_out: int) -> tuple[Array, Array, Array]:
    a = embed * (d_in + 1)
    b = a + 4 * hidden * (embed + hidden + 1)
    return (flat[:a].reshape(embed, d_in + 1), flat[a:b].reshape(embed + hidden + 1, 4 * hidden),
            flat[b:].reshape(n_out, hidden + 1))  # fmt: skip


def _views(flat: Array, n_features: int, n_pe: int, n_buf: int, embed: int, hidden: int) -> Params:
    d_in = n_features + n_pe + n_buf
    enc, gates, heads = _blocks(flat, d_in, embed, hidden, n_pe + n_buf)
    return {
        "We": enc[:, :d_in], "be": enc[:, d_in],
        "Wx": gates[:embed].T, "Wh": gates[embed : embed + hidden].T, "b": gates[embed + hidden],
        "Wp": heads[:n_pe, :hidden], "bp": heads[:n_pe, hidden],
        "Wb": heads[n_pe:, :hidden], "bb": heads[n_pe:, hidden],
    }  # fmt: skip


def init_policy(n_features: int, n_pe: int, n_buf: int, *, hidden: int = 128, embed: int = 64,
                seed: int | np.random.Generator = 0, dtype: Any = np.float64) -> Policy:  # fmt: skip
    """A fresh policy (Glorot-uniform weights, forget-gate bias 1) in ``dtype`` (float64 or
    float32)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    d_in = n_features + n_pe + n_buf
    size = embed * (d_in + 1) + 4 * hidden * (embed + hidden + 1) + (n_pe + n_buf) * (hidden + 1)
    flat = np.zeros(size, dtype=dtype)
    p = _views(flat, n_features, n_pe, n_buf, embed, hidden)

    def glorot(a: int, b: int) -> Array:
        out: Array = rng.uniform(-1, 1, (a, b)) * np.sqrt(6.0 / (a + b))
        return out

    p["We"][...] = glorot(embed, d_in)
    p["Wx"][...] = glorot(4 * hidden, embed)
    p["Wh"][...] = glorot(4 * hidden, hidden)
    p["Wp"][...] = glorot(n_pe, hidden) * 0.1
    p["Wb"][...] = glorot(n_buf, hidden) * 0.1
    p["b"][hidden : 2 * hidden] = 1.0  # forget-gate bias: remember by default
    return Policy(p, n_features, n_pe, n_buf, flat, hidden, embed)


@dataclass
class _Cache:
    eh: Array  # (N+1, E+H+1): row t = [e_t, h_{t-1}, 1]; row t+1's [h_t, 1] feeds the heads
    xs: Array  # (N, D+1) encoder inputs with a trailing 1
    gates: Array  # (N, 4H) after nonlinearity: i, f, o, g
    cs: Array  # (N+1, H), cs[0] = 0
    pp: Array  # (N, n_pe) probabilities
    pb: Array
    pe: Array
    buf: Array


def _check_masks(pe_mask: Array | None, buf_mask: Array | None, n: int, n_pe: int, n_buf: int) -> None:
    for name, m, k in (("pe_mask", pe_mask, n_pe), ("buf_mask", buf_mask, n_buf)):
        if m is None:
            continue
        if m.shape != (n, k):
            raise ValueError(f"{name} must have shape {(n, k)}, got {m.shape}")
        if not np.all(m.any(axis=1)):
            raise ValueError(f"{name} leaves a step with no allowed action")


def _mask_logits(n: int, n_pe: int, n_buf: int, pe_mask: Array | None, buf_mask: Array | None) -> Array:
    """0 where an action is allowed, -inf where it is masked: (N, n_pe + n_buf)."""
    neg = np.zeros((n, n_pe + n_buf))
    if pe_mask is not None:
        neg[:, :n_pe] = np.where(pe_mask, 0.0, -np.inf)
    if buf_mask is not None:
        neg[:, n_pe:] = np.where(buf_mask, 0.0, -np.inf)
    return neg


def _softmax(logits: Array) -> Array:
    z: Array = np.exp(logits - logits.max(axis=1, keepdims=True))
    z /= z.sum(axis=1, keepdims=True)
    return z


def _forward(policy: Policy, features: Array, actions: tuple[Array, Array] | None, noise: Array | None,
             neg: Array, temperature: float = 1.0) -> _Cache:  # fmt: skip
    """Run the network over the layers.  ``actions`` given: score them; else pick, per step,
    the argmax of logits + ``noise`` (Gumbel noise: a sample; masks only: greedy)."""
    enc_w, gate_w, head_w = policy.blocks
    n, nf, n_pe, n_buf = features.shape[0], policy.n_features, policy.n_pe, policy.n_buf
    hidden, embed, dt = policy.hidden, policy.embed, policy.flat.dtype
    h3 = 3 * hidden
    enc = features @ enc_w[:, :nf].T + enc_w[:, -1]  # feature part of every step's encoder input
    # the one-hot part: one column for the previous PE level plus one for the buffer level
    prev = (enc_w[:, nf : nf + n_pe, None] + enc_w[:, nf + n_pe : -1][:, None, :]).reshape(embed, -1).T.copy()
    w = gate_w.copy()
    w[:, :h3] *= 0.5  # sigmoid(a) = (1 + tanh(a / 2)) / 2: one tanh for all four gates
    eh = np.zeros((n + 1, embed + hidden + 1), dtype=dt)
    eh[:, -1] = 1.0
    gates = np.empty((n, 4 * hidden), dtype=dt)
    cs = np.zeros((n + 1, hidden), dtype=dt)
    logits = np.empty((n, n_pe + n_buf), dtype=dt)
    pe = np.zeros(n, dtype=np.int64) if actions is None else np.ascontiguousarray(actions[0], dtype=np.int64)
    buf = np.zeros(n, dtype=np.int64) if actions is None else np.ascontiguousarray(actions[1], dtype=np.int64)
    z_noise = noise if actions is None else None
    if _KERNEL is not None and dt == np.float32:
        _steps_c(policy, enc, prev, w, head_w, z_noise, pe, buf, eh, gates, cs, logits)
    else:
        _steps_numpy(policy, enc, prev, w, head_w, z_noise, pe, buf, eh, gates, cs, logits)
    z = logits.astype(np.float64) / temperature + neg
    xs = np.zeros((n, nf + n_pe + n_buf + 1), dtype=dt)
    xs[:, :nf] = features
    xs[1 + np.arange(n - 1), nf + pe[:-1]] = 1.0
    xs[1 + np.arange(n - 1), nf + n_pe + buf[:-1]] = 1.0
    xs[:, -1] = 1.0
    return _Cache(eh, xs, gates, cs, _softmax(z[:, :n_pe]), _softmax(z[:, n_pe:]), pe, buf)


def _steps_numpy(
    policy: Policy,
    enc: Array,
    prev: Array,
    w: Array,
    head_w: Array,
    noise: Array | None,
    pe: Array,
    buf: Array,
    eh: Array,
    gates: Array,
    cs: Array,
    logits: Array,
) -> None:
    """The recurrence in NumPy (the reference for :func:`_steps_c`): fills ``eh``, ``gates``,
    ``cs``, ``logits`` and, when ``noise`` is given, the sampled ``pe`` and ``buf``."""
    n, n_pe, n_buf, hidden, embed, dt = enc.shape[0], policy.n_pe, policy.n_buf, policy.hidden, policy.embed, eh.dtype
    h3 = 3 * hidden
    tanh, dot, add, mul = np.tanh, np.dot, np.add, np.multiply  # local names: this loop is hot
    # per-step row views, made in one C loop each (list(array)) rather than by indexing per step
    xs_, ehs, hs_, heads_in = list(eh[:n, :embed]), list(eh), list(eh[:, embed : embed + hidden]), list(eh[:, embed:])
    gs, sigs, cs_ = list(gates), list(gates[:, :h3]), list(cs)
    i_s, f_s, o_s, g_s = (list(gates[:, k * hidden : (k + 1) * hidden]) for k in range(4))
    sample = noise is not None
    zs = list(logits if noise is None else noise)
    z_buf, ig = np.empty(n_pe + n_buf, dtype=dt), np.empty(hidden, dtype=dt)  # reused per step
    z_pe, z_buf_ = z_buf[:n_pe], z_buf[n_pe:]
    z_two = z_buf.reshape(2, n_pe) if n_pe == n_buf else None  # both heads' argmax in one call
    given = [] if sample else list(zip(pe.tolist(), buf.tolist(), strict=True))
    picked: list[int] = []
    last = 0
    for t, (x, lt, enc_t) in enumerate(zip(xs_, list(logits), list(enc), strict=True)):
        if t:
            add(enc_t, prev[last], out=x)
        else:
            x[...] = enc_t
        tanh(x, out=x)
        g = gs[t]
        dot(ehs[t], w, out=g)
        tanh(g, out=g)
        s = sigs[t]
        s *= 0.5
        s += 0.5
        c = cs_[t + 1]
        mul(f_s[t], cs_[t], out=c)
        mul(i_s[t], g_s[t], out=ig)
        c += ig
        h = hs_[t + 1]
        tanh(c, out=h)
        h *= o_s[t]
        dot(head_w, heads_in[t + 1], out=lt)
        if sample:
            add(lt, zs[t], out=z_buf)
            if z_two is not None:
                a, b = z_two.argmax(axis=1).tolist()
            else:
                a, b = int(z_pe.argmax()), int(z_buf_.argmax())
            picked += (a, b)
        else:
            a, b = given[t]
        last = a * n_buf + b
    if sample:
        pe[:], buf[:] = picked[0::2], picked[1::2]


def _steps_c(
    policy: Policy,
    enc: Array,
    prev: Array,
    w: Array,
    head_w: Array,
    noise: Array | None,
    pe: Array,
    buf: Array,
    eh: Array,
    gates: Array,
    cs: Array,
    logits: Array,
) -> None:
    """:func:`_steps_numpy` in one call of the C kernel (csrc/lstm.c, float32)."""
    n = enc.shape[0]
    head_t = np.ascontiguousarray(head_w.T)
    z = _KERNEL_FFI.NULL if noise is None else _ptr(noise, np.float32, (n, policy.n_pe + policy.n_buf))
    status = _KERNEL.cx_lstm_forward(
        n,
        policy.embed,
        policy.hidden,
        policy.n_pe,
        policy.n_buf,
        _ptr(enc, np.float32, (n, policy.embed)),
        _ptr(prev, np.float32, (policy.n_pe * policy.n_buf, policy.embed)),
        _ptr(w, np.float32, (policy.embed + policy.hidden + 1, 4 * policy.hidden)),
        _ptr(head_t, np.float32, (policy.hidden + 1, policy.n_pe + policy.n_buf)),
        z,
        _ptr(pe, np.int64, (n,)),
        _ptr(buf, np.int64, (n,)),
        _ptr(eh, np.float32, (n + 1, policy.embed + policy.hidden + 1)),
        _ptr(gates, np.float32, (n, 4 * policy.hidden)),
        _ptr(cs, np.float32, (n + 1, policy.hidden)),
        _ptr(logits, np.float32, (n, policy.n_pe + policy.n_buf)),
    )
    if status:
        raise ValueError(f"actions out of range: pe must be in 0..{policy.n_pe - 1}, buf in 0..{policy.n_buf - 1}")


def _ptr(a: Array, dtype: Any, shape: tuple[int, ...]) -> Any:
    """A C pointer to ``a`` after checking what C will assume: dtype, shape, C order."""
    if a.dtype != dtype or a.shape != shape or not a.flags.c_contiguous:
        raise ValueError(f"LSTM kernel: array {a.dtype}{a.shape} is not a C-ordered {np.dtype(dtype)}{shape}")
    ctype = "long long[]" if dtype == np.int64 else "float[]"
    return _KERNEL_FFI.from_buffer(ctype, a)


def rollout(policy: Policy, features: Array, rng: np.random.Generator, *, greedy: bool = False,
            temperature: float = 1.0, pe_mask: Array | None = None,
            buf_mask: Array | None = None) -> tuple[Array, Array, _Cache]:  # fmt: skip
    """One episode over the layers: (pe level per layer, buffer level per layer, cache)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != policy.n_features:
        raise ValueError(f"features must have shape (N, {policy.n_features}), got {features.shape}")
    if not temperature > 0:
        raise ValueError("temperature must be > 0")
    n = features.shape[0]
    _check_masks(pe_mask, buf_mask, n, policy.n_pe, policy.n_buf)
    neg = _mask_logits(n, policy.n_pe, policy.n_buf, pe_mask, buf_mask)
    noise = neg * 1.0
    if not greedy:  # Gumbel-max: argmax(logits / T + G) samples softmax(logits / T)
        with np.errstate(divide="ignore"):
            noise += -np.log(-np.log(rng.random(neg.shape)))
    noise *= temperature  # argmax(logits / T + G) = argmax(logits + T·G)
    dt = policy.flat.dtype
    cache = _forward(policy, features.astype(dt), None, noise.astype(dt), neg, temperature)
    return cache.pe.copy(), cache.buf.copy(), cache


def log_prob(policy: Policy, features: Any, pe: Any, buf: Any, weights: Any = 1.0, *, entropy: float = 0.0,
             pe_mask: np.ndarray | None = None, buf_mask: np.ndarray | None = None) -> float:  # fmt: skip
    """``Σ_t w_t (log π(pe_t) + log π(buf_t)) + entropy · Σ_t H_t`` for given actions."""
    feats = np.asarray(features, dtype=policy.flat.dtype)
    pe, buf = np.asarray(pe), np.asarray(buf)
    neg = _mask_logits(feats.shape[0], policy.n_pe, policy.n_buf, pe_mask, buf_mask)
    c = _forward(policy, feats, (pe, buf), None, neg)
    w = np.broadcast_to(np.asarray(weights, float), (len(pe),))
    rows = np.arange(len(pe))
    total = float(np.sum(w * (np.log(c.pp[rows, pe]) + np.log(c.pb[rows, buf]))))
    if entropy:
        total += entropy * float(_entropy(c.pp) + _entropy(c.pb))
    return total


def _entropy(p: Array) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.where(p > 0, p * np.log(p), 0.0)))


def _logit_gradient(cache: _Cache, w: Array, entropy: float) -> Array:
    """d objective / d logits, (N, n_pe + n_buf): w (onehot − p) + entropy · dH/dlogits."""
    rows = np.arange(cache.pe.size)
    out = []
    for probs, act in ((cache.pp, cache.pe), (cache.pb, cache.buf)):
        d = -probs * w[:, None]
        d[rows, act] += w
        if entropy:
            with np.errstate(divide="ignore", invalid="ignore"):
                logp = np.where(probs > 0, np.log(probs), 0.0)
            h = -np.sum(probs * logp, axis=1, keepdims=True)
            d += entropy * (-probs * (logp + h))
        out.append(d)
    return np.hstack(out)


def gradient_vector(policy: Policy, cache: _Cache, weights: Any = 1.0, *, entropy: float = 0.0) -> Array:
    """The gradient of :func:`log_prob`'s objective for the actions of ``cache``, by BPTT, as one
    vector laid out like ``policy.flat``."""
    enc_w, gate_w, head_w = policy.blocks
    n, hidden, embed, dt = cache.pe.size, policy.hidden, policy.embed, policy.flat.dtype
    grad = np.zeros_like(policy.flat)
    g_enc, g_gate, g_head = _blocks(grad, enc_w.shape[1] - 1, embed, hidden, head_w.shape[0])
    dlog = _logit_gradient(cache, np.broadcast_to(np.asarray(weights, float), (n,)), entropy).astype(dt)
    g_head[...] = _matmul(np.ascontiguousarray(dlog.T), cache.eh[1:, embed:])
    dh_heads = _matmul(dlog, head_w[:, :hidden])  # (N, H)
    gates = cache.gates
    i, f, o, gg = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
    tc = np.tanh(cache.cs[1:])
    dc_from_dh = o * (1 - tc * tc)
    # d a / d c for the gates driven by the cell (i, f, g; o's row is 0) and d a_o / d h
    q = np.stack([gg * i * (1 - i), cache.cs[:-1] * f * (1 - f), np.zeros_like(i), i * (1 - gg * gg)], axis=1)
    q_o = tc * o * (1 - o)
    if _KERNEL is not None and dt == np.float32:
        da_all = _bptt_c(gate_w[embed : embed + hidden], dh_heads, dc_from_dh, q, q_o, gates)
    else:
        da_all = _bptt_numpy(gate_w[embed : embed + hidden], dh_heads, dc_from_dh, q, q_o, f)
    g_gate[...] = _matmul(np.ascontiguousarray(cache.eh[:n].T), da_all)
    e = cache.eh[:n, :embed]
    de = _matmul(da_all, gate_w[:embed].T) * (1 - e * e)
    g_enc[...] = _matmul(np.ascontiguousarray(de.T), cache.xs)
    return grad


def _bptt_numpy(wh_t: Array, dh_heads: Array, dc_from_dh: Array, q: Array, q_o: Array, f: Array) -> Array:
    """d objective / d gate pre-activations (N, 4H), stepping back through time (the reference
    for :func:`_bptt_c`); ``wh_t`` is Whᵀ (H, 4H), ``f`` the forget gates (N, H)."""
    n, hidden = dh_heads.shape
    dt = dh_heads.dtype
    da_all = np.zeros((n, 4 * hidden), dtype=dt)
    dh_next = np.zeros(hidden, dtype=dt)
    dc_next = np.zeros(hidden, dtype=dt)
    da4 = da_all.reshape(n, 4, hidden)
    mul, dot, add = np.multiply, np.dot, np.add
    dh, dc = np.empty(hidden, dtype=dt), np.empty(hidden, dtype=dt)  # buffers reused per step
    # row views made in one C loop each (list(array)), walked backwards: this loop is hot
    steps = zip(list(dh_heads), list(dc_from_dh), list(q), list(q_o), list(da4), list(da_all), list(f), strict=True)
    for dh_t, dcdh_t, q_t, qo_t, da, da_flat, f_t in reversed(list(steps)):
        add(dh_t, dh_next, out=dh)
        mul(dh, dcdh_t, out=dc)
        dc += dc_next
        mul(q_t, dc, out=da)
        mul(dh, qo_t, out=da[2])
        dot(wh_t, da_flat, out=dh_next)
        mul(dc, f_t, out=dc_next)
    return da_all


def _bptt_c(wh_t: Array, dh_heads: Array, dc_from_dh: Array, q: Array, q_o: Array, gates: Array) -> Array:
    """:func:`_bptt_numpy` in one call of the C kernel (csrc/lstm.c, float32)."""
    n, hidden = dh_heads.shape
    f32 = np.float32
    wh = np.ascontiguousarray(wh_t.T)  # W_h (4H, H): dh_next is a sum of its rows
    da_all = np.empty((n, 4 * hidden), dtype=f32)
    scratch = np.empty((4, hidden), dtype=f32)
    _KERNEL.cx_lstm_backward(
        n,
        hidden,
        _ptr(dh_heads, f32, (n, hidden)),
        _ptr(dc_from_dh, f32, (n, hidden)),
        _ptr(q, f32, (n, 4, hidden)),
        _ptr(q_o, f32, (n, hidden)),
        _ptr(gates, f32, (n, 4 * hidden)),
        _ptr(wh, f32, (4 * hidden, hidden)),
        _ptr(da_all, f32, (n, 4 * hidden)),
        *(_ptr(row, f32, (hidden,)) for row in scratch),
    )
    return da_all


def policy_gradient(policy: Policy, cache: _Cache, weights: Any = 1.0, *, entropy: float = 0.0) -> Params:
    """:func:`gradient_vector` as a dict of arrays shaped like ``policy.params``."""
    grad = gradient_vector(policy, cache, weights, entropy=entropy)
    return _views(grad, policy.n_features, policy.n_pe, policy.n_buf, policy.embed, policy.hidden)


def _matmul(a: Array, b: Array, max_work: int = 1 << 18) -> Array:
    """``a @ b`` in tiles of at most ``max_work`` multiply-adds each.  OpenBLAS hands larger
    products to worker threads that keep spinning after the call; with two searches running
    side by side on two cores, a 500-epoch run went from 2 s to 16 s because of it.  Tiles this
    small stay on the calling thread; they are square-ish in the output (rows of ``a`` ×
    columns of ``b``), so long sequences (a big model's BPTT) do not become one matrix-vector
    product per row (results equal up to rounding; deterministic)."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n <= max_work:
        return a @ b
    if k > _LONG:  # a long inner dimension (a big model's BPTT): tiles of it too, summed
        return _matmul_long(a, b, max_work)
    side = max(1, int((max_work / max(k, 1)) ** 0.5))
    out = np.empty((m, n), dtype=np.result_type(a, b))
    for i in range(0, m, side):
        for j in range(0, n, side):
            out[i : i + side, j : j + side] = a[i : i + side] @ b[:, j : j + side]
    return out


#: Inner dimension above which :func:`_matmul` tiles it too: the square-ish output tiles would
#: otherwise be a few rows wide and walk the whole of ``a`` and ``b`` once each, out of cache (a
#: model of thousands of layers).  Up to it the products stay as they were, bit for bit.
_LONG = 1024


def _matmul_long(a: Array, b: Array, max_work: int) -> Array:
    """``a @ b`` in (rows × ``_LONG``) · (``_LONG`` × columns) tiles of at most ``max_work``
    multiply-adds, their products summed in order of the inner index (deterministic)."""
    m, k = a.shape
    n = b.shape[1]
    side = max(1, int((max_work / _LONG) ** 0.5))
    out = np.zeros((m, n), dtype=np.result_type(a, b))
    for c in range(0, k, _LONG):
        b_c = np.ascontiguousarray(b[c : c + _LONG])
        a_c = np.ascontiguousarray(a[:, c : c + _LONG])
        for i in range(0, m, side):
            for j in range(0, n, side):
                out[i : i + side, j : j + side] += a_c[i : i + side] @ b_c[:, j : j + side]
    return out


def clip_gradients(grads: Params, max_norm: float) -> tuple[Params, float]:
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if norm > max_norm > 0:
        scale = max_norm / norm
        grads = {k: g * scale for k, g in grads.items()}
    return grads, norm


class Adam:
    """Adam; ``step(..., ascend=True)`` moves up the gradient (REINFORCE maximises).  Works on a
    dict of arrays or, faster, on one flat vector (``Policy.flat`` and :func:`gradient_vector`)."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: Params = {}
        self.v: Params = {}
        self.t = 0

    def step(self, params: Params | Array, grads: Params | Array, *, ascend: bool = True) -> None:
        self.t += 1
        if isinstance(params, np.ndarray) and isinstance(grads, np.ndarray):
            pairs = [("", params, grads)]
        elif isinstance(params, dict) and isinstance(grads, dict):
            pairs = [(k, params[k], g) for k, g in grads.items()]
        else:
            raise TypeError("params and grads must both be arrays or both be dicts of arrays")
        # params += lr_t m / (sqrt(v / (1 - b2^t)) + eps), written as (lr_t rc) m / (sqrt(v) + eps rc)
        root_corr = np.sqrt(1 - self.beta2**self.t)
        step = (1.0 if ascend else -1.0) * self.lr / (1 - self.beta1**self.t) * root_corr
        for k, p, g in pairs:
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            tmp = g * (1 - self.beta1)
            m *= self.beta1
            m += tmp
            np.multiply(g, g, out=tmp)
            tmp *= 1 - self.beta2
            v *= self.beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += self.eps * root_corr
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p += tmp
