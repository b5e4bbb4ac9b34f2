/* The per-step loops of the REINFORCE policy's LSTM in C: one call per episode for the forward
 * pass and one for the backward pass replace ~20 NumPy calls a step.  Every matrix-vector
 * product is written as a sum of scaled rows (out += x[k] * M[k, :]), accumulated in the order
 * of k: no reassociation, so the result does not depend on the compiler's vector width. */
#include "lstm.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* out[0:m] = sum_k x[k] * mat[k, 0:m], k = 0..rows-1 (mat row-major, rows × m).  Four rows a
 * pass so that out is loaded and stored a quarter as often; each out[j] still receives its terms
 * one at a time in the order of k.  GCC at -O2 vectorizes only loops of a known count: ask for
 * it here (4x faster); vector lanes do the same operations, so the bits do not change. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default"))) /* wider vectors where the CPU has them */
#endif
#endif
static void rows_product(const float *restrict x, const float *restrict mat, ptrdiff_t rows, ptrdiff_t m,
                         float *restrict out) {
    for (ptrdiff_t j = 0; j < m; j++) out[j] = 0.0f;
    ptrdiff_t k = 0;
    for (; k + 4 <= rows; k += 4) {
        const float x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
        const float *r0 = mat + k * m, *r1 = r0 + m, *r2 = r1 + m, *r3 = r2 + m;
        for (ptrdiff_t j = 0; j < m; j++) {
            float acc = out[j] + x0 * r0[j];
            acc = acc + x1 * r1[j];
            acc = acc + x2 * r2[j];
            out[j] = acc + x3 * r3[j];
        }
    }
    for (; k < rows; k++) {
        const float xk = x[k];
        const float *row = mat + k * m;
        for (ptrdiff_t j = 0; j < m; j++) out[j] += xk * row[j];
    }
}

/* tanh of float32, written so that a loop of it vectorizes (libm's tanhf is a call per element,
 * ~12 ns: 700 a step made it two thirds of the forward pass).  |x| < 0.4: the odd Taylor series
 * to x^15 (next term < 1e-10 relative); else 1 - 2 / (exp(2|x|) + 1) with exp(y) = 2^n · p(r),
 * y = n ln2 + r, |r| <= ln2/2, p the Taylor polynomial of degree 8 (error < 1e-9 relative);
 * |x| > 9 gives ±1 (tanh(9) rounds to 1 in float32).  Error: a few units in the last place. */
static inline float tanh_f32(float x) {
    /* the selects compare bit patterns as integers (for |x| they order like the floats): float
     * comparisons may trap, which keeps GCC from turning them into vector blends */
    int32_t xb, ab;
    memcpy(&xb, &x, sizeof xb);
    ab = xb & 0x7fffffff;
    const int32_t nine = 0x41100000, point4 = 0x3ecccccd, inf = 0x7f800000; /* 9.0f, 0.4f, inf */
    const int32_t cb = ab < nine ? ab : nine; /* min(|x|, 9); NaN: 9 */
    float ax;
    memcpy(&ax, &cb, sizeof ax);
    const float x2 = x * x;
    /* small |x|: x (1 + x2 (c3 + x2 (c5 + ...))) */
    float p = -0.00145583438705f; /* -929569/638512875 */
    p = p * x2 + 0.00359212803657f; /* 21844/6081075 */
    p = p * x2 - 0.00886323552990f; /* -1382/155925 */
    p = p * x2 + 0.02186948853616f; /* 62/2835 */
    p = p * x2 - 0.05396825396825f; /* -17/315 */
    p = p * x2 + 0.13333333333333f; /* 2/15 */
    p = p * x2 - 0.33333333333333f;
    const float small = x + x * (x2 * p);
    /* large |x|: exp(2|x|) by range reduction */
    const float y = 2.0f * ax;
    const int32_t n = (int32_t)(y * 1.44269504088896f + 0.5f); /* round to nearest: y in 0..18 */
    const float nf = (float)n;
    const float r = (y - nf * 0.693145751953125f) - nf * 1.42860682030941723e-6f; /* ln2 in two parts */
    float e = 1.0f / 40320.0f;
    e = e * r + 1.0f / 5040.0f;
    e = e * r + 1.0f / 720.0f;
    e = e * r + 1.0f / 120.0f;
    e = e * r + 1.0f / 24.0f;
    e = e * r + 1.0f / 6.0f;
    e = e * r + 0.5f;
    e = e * r + 1.0f;
    e = e * r + 1.0f;
    const int32_t sb = (n + 127) << 23; /* 2^n, n in 0..26 */
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    const float big = 1.0f - 2.0f / (e * scale + 1.0f);
    int32_t bb, smb;
    memcpy(&bb, &big, sizeof bb);
    memcpy(&smb, &small, sizeof smb);
    bb |= xb & INT32_MIN; /* the sign of x */
    /* selects by masks, not branches: GCC would sink the division into a branch it may not
     * then execute speculatively (it can trap), and the loop would not vectorize */
    const int32_t is_small = -(int32_t)(ab < point4), is_nan = -(int32_t)(ab > inf);
    const int32_t out = (smb & is_small) | (((xb & is_nan) | (bb & ~is_nan)) & ~is_small); /* NaN stays NaN */
    float res;
    memcpy(&res, &out, sizeof res);
    return res;
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
#endif
static void tanh_inplace(float *v, ptrdiff_t m) {
    for (ptrdiff_t j = 0; j < m; j++) v[j] = tanh_f32(v[j]);
}

/* index of the first maximum of a[0:m] + b[0:m] (NumPy's argmax rule; NaN never wins here) */
static ptrdiff_t argmax_sum(const float *a, const float *b, ptrdiff_t m) {
    ptrdiff_t best = 0;
    float top = a[0] + b[0];
    for (ptrdiff_t j = 1; j < m; j++) {
        const float v = a[j] + b[j];
        if (v > top) {
            top = v;
            best = j;
        }
    }
    return best;
}

/* enc (n, E): feature part of each step's encoder input (bias included); prev (n_pe*n_buf, E):
 * the one-hot part for each previous (pe, buf) pair; w (E+H+1, 4H): transposed gate matrix, the
 * i, f, o columns already halved (sigmoid(a) = (1 + tanh(a/2)) / 2); head_t (H+1, n_pe+n_buf):
 * transposed heads.  eh (n+1, E+H+1) comes with zeros and a last column of ones; cs (n+1, H)
 * with cs[0] = 0.  noise (n, n_pe+n_buf): sample pe/buf as argmax(logits + noise); NULL: score
 * the given pe/buf. */
int cx_lstm_forward(int n, int embed, int hidden, int n_pe, int n_buf, const float *enc, const float *prev,
                    const float *w, const float *head_t, const float *noise, long long *pe, long long *buf,
                    float *eh, float *gates, float *cs, float *logits) {
    if (n < 0 || embed < 0 || hidden < 0 || n_pe < 1 || n_buf < 1) return -1;
    const ptrdiff_t E = embed, H = hidden, NO = (ptrdiff_t)n_pe + n_buf, K = E + H + 1, G = 4 * H;
    if (noise == NULL) {
        for (ptrdiff_t t = 0; t < n; t++)
            if (pe[t] < 0 || pe[t] >= n_pe || buf[t] < 0 || buf[t] >= n_buf) return -1;
    }
    ptrdiff_t last = 0;
    for (ptrdiff_t t = 0; t < n; t++) {
        float *x = eh + t * K;
        const float *e_t = enc + t * E;
        if (t) {
            const float *p = prev + last * E;
            for (ptrdiff_t j = 0; j < E; j++) x[j] = e_t[j] + p[j];
        } else {
            for (ptrdiff_t j = 0; j < E; j++) x[j] = e_t[j];
        }
        tanh_inplace(x, E);
        float *g = gates + t * G;
        rows_product(x, w, K, G, g);
        tanh_inplace(g, G);
        for (ptrdiff_t j = 0; j < 3 * H; j++) g[j] = g[j] * 0.5f + 0.5f;
        const float *gi = g, *gf = g + H, *go = g + 2 * H, *gg = g + 3 * H;
        const float *c_prev = cs + t * H;
        float *c = cs + (t + 1) * H;
        float *h = eh + (t + 1) * K + E;
        for (ptrdiff_t j = 0; j < H; j++) {
            c[j] = gf[j] * c_prev[j] + gi[j] * gg[j];
            h[j] = c[j];
        }
        tanh_inplace(h, H);
        for (ptrdiff_t j = 0; j < H; j++) h[j] *= go[j];
        float *lt = logits + t * NO;
        rows_product(h, head_t, H + 1, NO, lt); /* h is followed by eh's column of ones */
        ptrdiff_t a, b;
        if (noise != NULL) {
            const float *z = noise + t * NO;
            a = argmax_sum(lt, z, n_pe);
            b = argmax_sum(lt + n_pe, z + n_pe, n_buf);
            pe[t] = a;
            buf[t] = b;
        } else {
            a = (ptrdiff_t)pe[t];
            b = (ptrdiff_t)buf[t];
        }
        last = a * n_buf + b;
    }
    return 0;
}

/* Backpropagation through time over the steps, last to first.  dh_heads, dc_from_dh, q_o (n, H);
 * q (n, 4, H): d a / d c per gate (o's row 0); gates (n, 4H) (the forget gate is read); wh
 * (4H, H): the recurrent matrix W_h.  Writes da (n, 4H); dh_next, dc_next, dh, dc (H) scratch. */
int cx_lstm_backward(int n, int hidden, const float *dh_heads, const float *dc_from_dh, const float *q,
                     const float *q_o, const float *gates, const float *wh, float *da, float *dh_next,
                     float *dc_next, float *dh, float *dc) {
    if (n < 0 || hidden < 0) return -1;
    const ptrdiff_t H = hidden, G = 4 * H;
    for (ptrdiff_t j = 0; j < H; j++) dh_next[j] = dc_next[j] = 0.0f;
    for (ptrdiff_t t = (ptrdiff_t)n - 1; t >= 0; t--) {
        const float *dht = dh_heads + t * H, *dcdh = dc_from_dh + t * H, *qt = q + t * G, *qo = q_o + t * H;
        const float *f = gates + t * G + H;
        float *d = da + t * G;
        for (ptrdiff_t j = 0; j < H; j++) {
            dh[j] = dht[j] + dh_next[j];
            dc[j] = dh[j] * dcdh[j] + dc_next[j];
        }
        for (ptrdiff_t k = 0; k < 4; k++)
            for (ptrdiff_t j = 0; j < H; j++) d[k * H + j] = qt[k * H + j] * dc[j];
        for (ptrdiff_t j = 0; j < H; j++) d[2 * H + j] = dh[j] * qo[j];
        rows_product(d, wh, G, H, dh_next);
        for (ptrdiff_t j = 0; j < H; j++) dc_next[j] = dc[j] * f[j];
    }
    return 0;
}
