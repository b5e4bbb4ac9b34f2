/* confuciux cost-model kernel.  Closed forms: docs/cost-model.md.
 *
 * The NumPy reference (confuciux/cost/reference.py) performs the same set of checked integer
 * operations on the same operands, so both agree on every value and on which points overflow.
 * Integer arithmetic is 64-bit with overflow checks (__builtin_*_overflow): a point whose any
 * checked step overflows is reported CX_OVERFLOW and computation of it stops before a wrapped
 * value can reach a division or an unchecked step, so no input has undefined behaviour. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cost_model.h"

typedef int64_t i64;

/* Checked arithmetic (GNU C statement expressions): on overflow jump to the enclosing
 * function's `overflow` label.  Bailing out at the first overflow leaves the status the same as
 * the NumPy reference's "some checked step overflowed" and never lets a wrapped value reach a
 * division. */
#define CHECKED(op, a, b) ({ i64 r_; if (__builtin_##op##_overflow((i64)(a), (i64)(b), &r_)) goto overflow; r_; })
#define MUL(a, b) CHECKED(mul, a, b)
#define ADD(a, b) CHECKED(add, a, b)
#define SUB(a, b) CHECKED(sub, a, b)
#define MUL3(a, b, c) MUL(MUL(a, b), c)
#define MUL4(a, b, c, d) MUL(MUL3(a, b, c), d)
#define MUL5(a, b, c, d, e) MUL(MUL4(a, b, c, d), e)

/* Quotient and remainder for a >= 0, b > 0.  Layer-sized operands fit in 32 bits, where the
 * hardware divide is several times faster than the 64-bit one. */
static inline i64 qdiv(i64 a, i64 b)
{
    if (((uint64_t)a | (uint64_t)b) >> 32 == 0) return (i64)((uint32_t)a / (uint32_t)b);
    return a / b;
}
static inline i64 qrem(i64 a, i64 b)
{
    if (((uint64_t)a | (uint64_t)b) >> 32 == 0) return (i64)((uint32_t)a % (uint32_t)b);
    return a % b;
}
/* Ceiling of a/b for a >= 0, b > 0. */
static inline i64 cdiv(i64 a, i64 b) { return qdiv(a, b) + (qrem(a, b) != 0); }
/* The same when a is usually at most b (a kernel width against the PE count): no divide then. */
static inline i64 cdiv_small(i64 a, i64 b) { return a <= b ? (a > 0) : cdiv(a, b); }
static inline i64 min64(i64 a, i64 b) { return a < b ? a : b; }
/* q is always finite, so a plain comparison does what NumPy's maximum does (and needs no libm). */
static inline double max_d(double a, double b) { return a < b ? b : a; }

/* A point: K and C per group; N batch, G groups (ng: a grouped layer, MAESTRO's NGCONV),
 * strides sy, sx; OY, OX the strided output.  The strided windows end with an edge step when
 * (Y-R) % sy != 0: hy/hx say whether there is one, ey/ex are its output extents (r - s + 1 <= 0,
 * or Y - R + 1 when MAESTRO's edge tile is negative: big_y/big_x). */
typedef struct {
    i64 K, C, Y, X, R, S, P, k, OY, OX, N, G, NG, sy, sx, ey, ex;
    int ng, hy, hx, big_y, big_x;
} point;

/* The distinct numbers a dataflow decides; everything else follows from them (section 10.1). */
typedef struct { i64 runtime, l1, l2, i_rd, w_rd, o_wr, macs, o_l1; } traffic;

static inline i64 max64(i64 a, i64 b) { return a > b ? a : b; }

/* Sums over the (Y step, X step) cases (docs/cost-model.md, "Strides"): MAC-weighted steps,
 * steps with extents clamped to 1, output extents, rows entered at the first X position and X
 * steps after it.  Every checked operation is done unconditionally, as in the NumPy reference. */
typedef struct { i64 macs, clamped, out, rows, xsteps; } grid;

static int make_grid(const point *p, grid *g)
{
    if (!p->hy && !p->hx) {
        /* no edge step (every stride-1 layer): the same values, and the same overflow status,
         * from two products */
        g->macs = g->clamped = g->out = MUL(p->OY, p->OX);
        g->rows = p->OY;
        g->xsteps = MUL(p->OY, p->OX - 1);
        return 0;
    }
    int py = p->hy && p->ey > 0, px = p->hx && p->ex > 0;
    int both = p->hy && p->hx && ((p->ey > 0) == (p->ex > 0)) && p->ey != 0 && p->ex != 0;
    i64 base = MUL(p->OY, p->OX);
    i64 side = ADD(MUL(px ? p->OY : 0, p->ex), MUL(py ? p->OX : 0, p->ey));
    i64 bs = ADD(base, side);
    g->macs = ADD(bs, MUL(both ? p->ey : 0, p->ex));
    i64 cl = MUL(max64(p->ey, 1), max64(p->ex, 1));
    g->clamped = ADD(bs, both ? cl : 0);
    g->out = MUL(ADD(p->OY, p->hy ? p->ey : 0), ADD(p->OX, p->hx ? p->ex : 0));
    g->rows = ADD(p->OY, py);
    i64 per_row = ADD(p->OX - 1, px);
    i64 edge_row = p->ey > 0 ? per_row : ((p->ey < 0 && p->hx && p->ex < 0) ? 1 : 0);
    g->xsteps = ADD(MUL(p->OY, per_row), p->hy ? edge_row : 0);
    return 0;
overflow:
    return 1;
}

static int dla(const point *p, traffic *t)
{
    i64 nK = cdiv(p->K, p->k), kh = min64(p->k, p->K);
    i64 nC = cdiv(p->C, p->P), ch = min64(p->C, p->P);
    i64 RS = MUL(p->R, p->S);
    grid g;
    if (make_grid(p, &g)) goto overflow;
    i64 steps = MUL3(nK, nC, g.clamped);
    t->runtime = ADD(MUL(steps, ADD(MUL3(p->NG, kh, RS), 1)), 1);
    t->l1 = MUL(MUL3(2, RS, p->G), ADD(ADD(p->N, p->k), MUL(p->N, p->k)));
    i64 out_c = p->ng ? ch : 1;
    t->l2 = MUL(MUL(2, p->G), ADD(ADD(MUL3(p->N, ch, RS), MUL3(kh, ch, RS)), MUL3(p->N, kh, out_c)));
    i64 nKC = MUL(nK, nC);
    i64 rho = p->X > p->S ? p->R : min64(p->R, p->sy);
    t->i_rd = MUL(p->NG, ADD(ADD(MUL5(ch, p->R, min64(p->S, p->sx), nKC, g.xsteps),
                                 MUL5(ch, p->S, rho, nKC, g.rows - 1)),
                             MUL(MUL(ch, RS), ADD(MUL(nK, nC - 1), 1))));
    t->w_rd = MUL5(p->G, nKC, kh, ch, RS);
    t->o_wr = MUL4(p->NG, p->K, g.out, p->ng ? p->C : nC);
    t->macs = MUL5(p->NG, p->K, p->C, RS, g.macs);
    t->o_l1 = MUL5(p->NG, p->K, p->C, RS, g.out);
    return 0;
overflow:
    return 1;
}

static int shi(const point *p, traffic *t)
{
    i64 nK = cdiv(p->K, p->k), kh = min64(p->k, p->K);
    i64 RS = MUL(p->R, p->S);
    i64 nY = cdiv(p->OY, p->R), nX = cdiv(p->OX, p->P);
    int y_full = p->OY >= p->R, x_full = p->OX >= p->P, x_wide = p->P > p->X;
    i64 two_r1 = SUB(MUL(2, p->R), 1);
    i64 band = SUB(ADD(p->P, p->S), 1);  /* input columns of one X band */
    i64 rows = y_full ? p->OY : 1;
    t->runtime = ADD(MUL(MUL3(nK, p->C, nX), ADD(MUL4(rows, kh, RS, p->NG), nY)), 1);
    i64 yi = y_full ? two_r1 : p->OY - 1;
    i64 x0 = x_full ? band : (x_wide ? p->X : p->X - p->P);
    i64 yf = y_full ? p->R : p->OY - p->R;
    i64 xf = x_full ? p->P : (x_wide ? p->OX : p->OX - p->P);
    i64 khRS = MUL(kh, RS);
    i64 yix0 = MUL(yi, x0);
    t->l2 = MUL(2, ADD(ADD(MUL(p->NG, yix0), MUL(p->G, khRS)), MUL4(p->NG, kh, yf, xf)));
    t->l1 = MUL(MUL3(2, RS, p->G), ADD(ADD(p->N, p->k), MUL(p->N, p->k)));
    i64 yrem = qrem(p->OY, p->R);
    i64 yedge = SUB(ADD(yrem, p->R), 1);
    i64 yo_full = ADD(MUL(p->R, qdiv(p->OY, p->R)), yrem != 0 ? yedge : 0);
    i64 yo = y_full ? yo_full : p->OY - p->R;
    i64 xo = (x_full || x_wide) ? p->OX : p->OX - p->P;
    i64 nKnY = MUL(nK, nY);
    t->i_rd = MUL(p->NG, ADD(ADD(MUL(MUL4(nK, p->C - 1, nY, yi), ADD(x0, MUL(nX - 1, band))),
                                 MUL4(nKnY, yi, nX - 1, p->C > 1 ? band : p->P)),
                             ADD(MUL4(nK, nY - 1, two_r1, x0), yix0)));
    t->w_rd = MUL(MUL(p->G, MUL3(RS, nK, kh)), ADD(MUL3(p->C - 1, nY, nX), 1));
    t->o_wr = MUL5(p->NG, p->K, p->C, yo, xo);
    t->macs = MUL(MUL5(p->NG, p->K, p->C, RS, yo), xo);
    t->o_l1 = t->macs;
    return 0;
overflow:
    return 1;
}

static int eye(const point *p, traffic *t)
{
    i64 nK = cdiv(p->K, p->k), kh = min64(p->k, p->K);
    i64 RS = MUL(p->R, p->S);
    i64 nY = cdiv(p->OY, p->P), nX = cdiv(p->OX, p->S);
    int y_full = p->OY >= p->P, x_full = p->OX >= p->S, y_tall = p->P > p->Y;
    i64 khRS = MUL(kh, RS);
    i64 work = MUL(khRS, p->NG);  /* MACs per PE and inner step */
    /* runtime: bands of S output columns; both output dims are spread over the P PEs */
    i64 w_edge = qrem(p->OX, p->S);
    int one_row = p->OY == 1;
    i64 steps_full = ADD(cdiv_small(p->S, p->P),
                         MUL(p->S - 1, one_row && p->S > p->P && qrem(p->S, p->P) != 0));
    i64 steps_edge = ADD(cdiv_small(w_edge, p->P),
                         MUL(p->S - 1, one_row && w_edge > p->P && qrem(w_edge, p->P) != 0));
    i64 per_full = ADD(MUL(steps_full, work), 1);
    i64 per_edge_v = ADD(MUL(steps_edge, work), 1);
    i64 per_edge = w_edge > 0 ? per_edge_v : 0;
    i64 bands_full = ADD(MUL(qdiv(p->OX, p->S), per_full), per_edge);
    i64 bands_narrow = ADD(work, 1);
    i64 bands = x_full ? bands_full : bands_narrow;
    t->runtime = ADD(MUL(MUL3(p->C, nK, nY), bands), 1);
    i64 yi_full = SUB(ADD(p->P, p->R), 1);
    i64 yi = y_full ? yi_full : (y_tall ? p->Y : p->Y - p->P);
    i64 two_s1 = SUB(MUL(2, p->S), 1);
    i64 x0 = x_full ? two_s1 : p->OX - 1;
    i64 yf = y_full ? p->P : (y_tall ? p->OY : p->OY - p->P);
    i64 xf = x_full ? p->S : p->OX - p->S;
    t->l2 = MUL(2, ADD(ADD(MUL3(p->NG, yi, x0), MUL(p->G, khRS)), MUL4(p->NG, kh, yf, xf)));
    t->l1 = MUL(MUL3(2, RS, p->G), ADD(ADD(p->N, p->k), MUL(p->N, p->k)));
    i64 yrem = qrem(p->OY, p->P);
    i64 yedge = SUB(ADD(yrem, p->R), 1);
    i64 yo_full = ADD(MUL(p->P, qdiv(p->OY, p->P)), yrem != 0 ? yedge : 0);
    i64 yo = y_full ? yo_full : (y_tall ? p->OY : p->OY - p->P);
    i64 xo = x_full ? p->OX : p->OX - p->S;
    t->i_rd = MUL3(p->NG, MUL(p->C, yi),
                   ADD(ADD(x0, MUL3(nK, nY - 1, x0)), MUL4(nK, nY, nX - 1, p->S)));
    t->w_rd = MUL4(p->G, p->C, nK, khRS);
    t->o_wr = MUL5(p->NG, p->C, p->K, yo, xo);
    t->macs = MUL(MUL5(p->NG, p->C, p->K, RS, yo), xo);
    t->o_l1 = t->macs;
    return 0;
overflow:
    return 1;
}

static int dpt(const point *p, traffic *t)
{
    i64 k = p->k, C = p->C;
    i64 RS = MUL(p->R, p->S);
    i64 kP = MUL(k, p->P);
    grid g;
    if (make_grid(p, &g)) goto overflow;
    /* runtime: n spatial steps of k channels per PE, the last with rho channels */
    i64 n = cdiv(C, kP);
    i64 rho = SUB(C, MUL(n - 1, kP));
    i64 c_last = rho < k ? rho
               : (n > 1 && rho > k && rho - k < k && qrem(rho, k) != 0) ? qrem(rho, k) : k;
    t->runtime = ADD(MUL(MUL3(g.macs, RS, p->N), ADD(MUL(n - 1, k), c_last)), 1);
    t->l1 = MUL4(2, k, RS, ADD(MUL(2, p->N), 1));
    i64 cp = min64(C, kP);
    int under = k < C && C < kP && qrem(C, k) == 0;  /* the last PE of an under-filled array loses its output */
    t->l2 = MUL(2, ADD(ADD(MUL3(p->N, cp, RS), MUL(cp, RS)), MUL(p->N, under ? cp - k : cp)));
    /* channels fetched (c_t), multiplied (m_c) and written (e_c) per pixel */
    int more = C > kP;
    i64 rem = qrem(C, kP);
    int lost = more && rem > k && qrem(rem, k) != 0;
    i64 pad = (more && rem > 0 && rem < k) ? k - rem : 0;
    i64 klost = lost ? k : 0;
    i64 c_t = SUB(ADD(C, pad), klost);
    i64 m_c = SUB(C, klost);
    i64 e_c = SUB(m_c, under ? k : 0);
    i64 rho_y = p->X > p->S ? p->R : min64(p->R, p->sy);  /* input rows a new output row brings */
    t->i_rd = MUL3(p->N, c_t, ADD(ADD(RS, MUL3(g.rows - 1, p->S, rho_y)),
                                  MUL3(g.xsteps, p->R, min64(p->S, p->sx))));
    t->w_rd = MUL(c_t, RS);
    t->o_wr = MUL3(p->N, g.out, e_c);
    t->macs = MUL4(p->N, g.macs, RS, m_c);
    t->o_l1 = MUL4(p->N, g.out, RS, m_c);
    return 0;
overflow:
    return 1;
}

/* ---- strided shi and eye: sums over the (Y band, X band) states (docs/cost-model.md) ---- */

/* A top-level band of u outputs (map m, offset o after MAESTRO's ApplyOuterStride) over a
 * dimension of D elements: its Init, Steady and Edge states as counts c[i] and tile sizes t[i]
 * (count 0: no such state); big: the edge tile fell back to the whole dimension. */
typedef struct { i64 m, o, c[3], t[3]; int big; } tiles;

static int make_tiles(i64 D, i64 W, i64 s, i64 u, tiles *b)
{
    b->m = ADD(MUL(u, min64(s, W)), max64(W - s, 0));
    b->o = MUL(u, s);
    i64 m = b->m, o = b->o;
    int over = m >= D;
    i64 t0 = m == D ? D : (o <= D ? D - o : D);
    i64 ns = qdiv(max64(D - m, 0), o);
    i64 covered = ADD(MUL(ns, o), m);
    int has_edge = !over && covered < D;
    i64 e = D - MUL(ns + 1, o);
    b->big = has_edge && e < 0;
    b->c[0] = 1;
    b->c[1] = over ? 0 : ns;
    b->c[2] = has_edge;
    b->t[0] = over ? t0 : m;
    b->t[1] = over ? 0 : m;
    b->t[2] = has_edge ? (e < 0 ? D : e) : 0;
    return 0;
overflow:
    return 1;
}

/* Window positions (size W, step sp) over a tile of t elements, edge step included. */
static inline i64 positions(i64 t, i64 W, i64 sp) { return t <= W ? 1 : cdiv(t - W, sp) + 1; }

/* The same for a temporal window whose edge step is skipped when its output extent
 * r - sp + 1 is negative. */
static inline i64 rows_of(i64 t, i64 W, i64 sp)
{
    if (t <= W) return 1;
    i64 d = t - W, r = qrem(d, sp);
    return qdiv(d, sp) + 1 + (r != 0 && r - sp + 1 >= 0);
}

/* Runtime, L2, input and filter L2 reads and MACs of a Y band wider than the output over a fine X
 * band that ends in an edge tile of negative output extent (docs/cost-model.md, "X fine under a
 * wide Y band"); any batch and groups.  L2 holds MAESTRO's first case: the input and filter it loads and the
 * outputs of the edge tile (of the last K tile when there are two).  Returns 1 on overflow. */
static int x_fine(int eye, const point *p, const tiles *ys, const tiles *xs, traffic *t)
{
    i64 K = p->K, C = p->C, k = p->k, nK = cdiv(K, k), kh = min64(k, K);
    i64 RS = MUL(p->R, p->S), khRS = MUL(kh, RS);
    i64 ty0 = ys->t[0], tx0 = xs->t[0];
    i64 yf = ty0 - p->R + 1, xe = xs->t[2] - p->S + 1;
    i64 newx = min64(tx0, xs->o), n1 = (xs->c[1] > 0) + 1;  /* n1: X states after the first */
    i64 NG = p->NG, G = p->G;
    t->runtime = MUL(MUL(nK, C), ADD(MUL(khRS, NG), 1));
    t->macs = MUL(MUL5(NG, K, C, RS, yf), xe);
    i64 out = MUL4(NG, nK == 2 ? K - k : kh, yf, xe), l2_in, l2_w;
    if (eye) {
        t->i_rd = MUL5(NG, nK, C, ty0, newx);
        t->w_rd = 0;
        l2_in = MUL3(NG, ty0, ADD(tx0, MUL(n1, newx)));
        l2_w = MUL(G, khRS);
    } else {
        t->i_rd = MUL5(NG, nK, C, ty0, C > 1 ? tx0 : newx);
        t->w_rd = MUL5(G, RS, nK, kh, C - 1);
        l2_in = MUL3(NG, ty0, C > 1 ? MUL3(2, n1, tx0) : ADD(tx0, MUL(n1, newx)));
        l2_w = MUL3(G, C > 1 ? n1 + 1 : 1, khRS);
    }
    t->l2 = MUL(2, ADD(ADD(l2_in, l2_w), out));
    return 0;
overflow:
    return 1;
}

/* Status of a strided shi (eye = 0) or eye (eye = 1) point and its traffic (CX_OK only). */
static int banded(int eye, point *p, traffic *t)
{
    i64 nK = cdiv(p->K, p->k), kh = min64(p->k, p->K);
    i64 R = p->R, S = p->S, P = p->P, Y = p->Y, X = p->X;
    i64 uy = qdiv((eye ? P : R) - 1, p->sy) + 1;  /* outputs per band */
    i64 ux = qdiv((eye ? S : P) - 1, p->sx) + 1;
    tiles ys, xs;
    if (make_tiles(Y, R, p->sy, uy, &ys) || make_tiles(X, S, p->sx, ux, &xs)) return CX_OVERFLOW;
    i64 ty0 = ys.t[0], tx0 = xs.t[0], yf = ty0 - R + 1, xf = tx0 - S + 1;
    i64 syp = min64(p->sy, R), sxp = min64(p->sx, S);
    int valid = ((yf > 0) == (xf > 0)) && yf != 0 && xf != 0;
    /* A Y band wider than the output (yf < 0; an empty first tile has yf < 0 too, as it needs
     * R > 1; docs/cost-model.md, "Bands wider than the output"): with the X band wider too the
     * forms give MAESTRO's costs, but it aborts (SIGFPE, invalid) when the inner window of the
     * first Y tile (shi) or, on a single output row (Y = R), of the first X tile (eye) ends in an
     * edge step.  With X fine MAESTRO prints costs (forms: x_fine, any batch and groups) only
     * when the X edge tile has a negative output extent too (and, on shi, the Y window no edge
     * step); otherwise invalid.  No other regime is left (xf = 0 cannot happen).  (ty0, tx0,
     * xs.t[2] >= 0, R, S, syp, sxp >= 1: the remainders and differences cannot overflow.) */
    int both = yf < 0 && xf < 0;
    int y_edge0 = (ty0 - R) % syp != 0;
    int maybe = xs.c[2] > 0 && xs.t[2] - S + 1 < 0 && (eye || !y_edge0);
    if (eye) {
        valid = valid && !(both && Y == R && (tx0 - S) % sxp != 0);
        /* one output row in the first Y tile, a single X tile (the band covers the row and its
         * offset runs past it) over one output column with a partial remainder, P > 1: the inner
         * cluster computes nothing in the first step and MAESTRO divides by that zero delay
         * (SIGFPE; docs/engine.md) */
        int one_col = qdiv(X - S, p->sx) == 0 && qrem(X - S, p->sx) != 0;
        valid = valid && !(yf == 1 && one_col && xs.o > X && xs.m >= X && P > 1);
    } else {
        valid = valid && !ys.big && !(both && y_edge0);  /* ys.big: exit code 255 */
    }
    int fine = yf < 0 && xf > 0 && maybe && (eye || !ys.big);
    if (!valid && !fine) return CX_INVALID;
    if (__builtin_mul_overflow(p->N, p->G, &p->NG)) return CX_OVERFLOW;
    i64 RS = MUL(R, S);
    i64 w = MUL3(kh, RS, p->NG);
    int one_row = min64(ys.m, Y) - R + 1 == 1;
    int act_y[3], act_x[3];
    for (int i = 0; i < 3; i++) {
        act_y[i] = ys.c[i] > 0 && (i == 0 || ys.t[i] > 0);
        act_x[i] = xs.c[i] > 0 && (i == 0 || xs.t[i] >= S);
    }
    /* shi: a fallback X tile under a band of one output column takes S - 1 more spatial steps
     * per row when it needs more than one and its inner window ends in an edge step or its last
     * spatial step is partial (the one-row quirk of eye, on X) */
    int x_quirk = xs.big && ux == 1, x_edge = qrem(X - S, sxp) != 0;
    int y_quirk = ys.big && uy == 1, y_edge = qrem(Y - R, syp) != 0;  /* eye */
    i64 total = 0;
    for (int i = 0; i < 3; i++) {
        i64 wy = positions(ys.t[i], R, syp);
        for (int j = 0; j < 3; j++) {
            i64 wx = positions(xs.t[j], S, sxp), steps;
            if (eye) {
                /* the one-row quirk: S - 1 more steps when the X positions leave a partial
                 * last step or end in an edge step (t - s_x - 1 for the single tile of a band wider
                 * than X) */
                i64 tj = xs.t[j];
                int edge = tj > S && qrem(tj - S, sxp) != 0;
                int quirk = one_row && wx > P && (edge || qrem(wx, P) != 0);
                i64 extra = edge && xs.m >= X ? tj - sxp - 1 : S - 1;
                i64 ysteps = cdiv(wy, P);
                /* the same on Y for a fallback Y tile (shi's X quirk, transposed) */
                if (i == 2 && y_quirk && wy > P && (y_edge || qrem(wy, P) != 0)) ysteps = ADD(ysteps, R - 1);
                steps = MUL(ysteps, ADD(cdiv(wx, P), quirk ? extra : 0));
            } else {
                i64 rows = ys.m > Y ? rows_of(ys.t[i], R, syp) : wy;
                int quirk = j == 2 && x_quirk && wx > P && (x_edge || qrem(wx, P) != 0);
                i64 xsteps = ADD(cdiv(wx, P), quirk ? S - 1 : 0);
                steps = MUL(rows, xsteps);
            }
            i64 cost = MUL(MUL(ys.c[i], xs.c[j]), ADD(MUL(steps, w), 1));
            total = ADD(total, act_y[i] && act_x[j] ? cost : 0);
        }
    }
    t->runtime = ADD(MUL3(nK, p->C, total), 1);
    i64 khRS = MUL(kh, RS);
    t->l2 = MUL(2, ADD(ADD(MUL3(p->NG, ty0, tx0), MUL(p->G, khRS)), MUL4(p->NG, kh, yf, xf)));
    t->l1 = MUL4(2, RS, p->G, ADD(ADD(p->N, p->k), MUL(p->N, p->k)));
    i64 nY = ADD(ADD(ys.c[0], act_y[1] ? ys.c[1] : 0), act_y[2] ? ys.c[2] : 0);
    i64 nX = ADD(ADD(xs.c[0], act_x[1] ? xs.c[1] : 0), act_x[2] ? xs.c[2] : 0);
    i64 newx = min64(xs.m, xs.o);
    if (eye) {
        t->i_rd = MUL4(p->NG, p->C, ty0, ADD(ADD(tx0, MUL3(nK, nY - 1, tx0)), MUL4(nK, nY, nX - 1, newx)));
        t->w_rd = MUL4(p->G, p->C, nK, khRS);
    } else {
        i64 first = MUL5(nK, p->C - 1, nY, ty0, ADD(tx0, MUL(nX - 1, xs.m)));
        i64 xstep = MUL5(nK, nY, ty0, nX - 1, p->C > 1 ? xs.m : newx);
        i64 ystep = MUL4(nK, nY - 1, ys.m, tx0);
        t->i_rd = MUL(p->NG, ADD(ADD(ADD(first, xstep), ystep), MUL(ty0, tx0)));
        t->w_rd = MUL5(p->G, RS, nK, kh, ADD(MUL3(p->C - 1, nY, nX), 1));
    }
    /* output rows credited per Y state (a spatial edge band: its input rows), columns per X state */
    i64 yo = 0, xo = 0, xo_all = 0;
    for (int i = 0; i < 3; i++) {
        i64 rows = MUL(ys.c[i], i == 2 ? ys.t[i] : ys.t[i] - R + 1);
        yo = ADD(yo, act_y[i] ? rows : 0);
        i64 cols = MUL(xs.c[i], xs.t[i] - S + 1);
        xo = ADD(xo, act_x[i] ? cols : 0);
        xo_all = ADD(xo_all, cols);
    }
    t->o_wr = MUL5(p->NG, p->K, p->C, yo, xo_all);
    i64 base = MUL5(p->NG, p->K, p->C, RS, yo);
    t->macs = MUL(base, xo);
    t->o_l1 = MUL(base, xo_all);
    if (fine && x_fine(eye, p, &ys, &xs, t)) return CX_OVERFLOW;
    return CX_OK;
overflow:
    return CX_OVERFLOW;
}

/* Full tensor sizes as MAESTRO counts them: input and filter L2 writes (one fill each), output
 * L2 reads (the stride-1 output size, times the channels of a grouped layer). */
static int tensor_sizes(const point *p, int dw, i64 *i_wr, i64 *w_wr, i64 *o_rd)
{
    *i_wr = MUL4(p->NG, p->C, p->Y, p->X);
    i64 o_full = MUL(p->Y - p->R + 1, p->X - p->S + 1);
    if (dw) {
        *w_wr = MUL3(p->C, p->R, p->S);
        *o_rd = MUL3(p->N, p->C, o_full);
    } else {
        *w_wr = MUL5(p->G, p->K, p->C, p->R, p->S);
        *o_rd = MUL4(p->NG, p->K, o_full, p->ng ? p->C : 1);
    }
    return 0;
overflow:
    return 1;
}

static int is_valid(int df, int depthwise, const point *p)
{
    if (depthwise) return 1;
    if (df == CX_DLA) return !(p->big_y || p->big_x);  /* MAESTRO refuses these (exit code 255) */
    if (df == CX_SHI) return (p->OY >= p->R) == (p->OX >= p->P || p->P > p->X);
    return (p->OY >= p->P || p->P > p->Y) == (p->OX >= p->S);
}

/* Not a layer: a size < 1, Y < R, X < S, groups not dividing K and C, groups on a depthwise
 * layer, P < 1 or k < 1. */
static int is_bad_input(const point *p, int dw)
{
    if (p->K < 1 || p->C < 1 || p->R < 1 || p->S < 1 || p->Y < p->R || p->X < p->S || p->P < 1
        || p->k < 1 || p->N < 1 || p->G < 1 || p->sy < 1 || p->sx < 1)
        return 1;
    if (p->G == 1) return 0;  /* the common case, without divisions */
    return qrem(p->K, p->G) != 0 || qrem(p->C, p->G) != 0 || dw;
}

/* The strided windows (after is_bad_input, so every operand is valid). */
static void strided(point *p)
{
    p->ng = p->G > 1;
    if (p->ng) {
        p->K = qdiv(p->K, p->G);
        p->C = qdiv(p->C, p->G);
    }
    /* stride 1 (the common case) without divisions */
    i64 dy = p->Y - p->R, dx = p->X - p->S;
    i64 ry = p->sy == 1 ? 0 : qrem(dy, p->sy), rx = p->sx == 1 ? 0 : qrem(dx, p->sx);
    p->OY = (p->sy == 1 ? dy : qdiv(dy, p->sy)) + 1;
    p->OX = (p->sx == 1 ? dx : qdiv(dx, p->sx)) + 1;
    p->hy = ry != 0;
    p->hx = rx != 0;
    p->big_y = p->hy && p->R + ry < p->sy;
    p->big_x = p->hx && p->S + rx < p->sx;
    p->ey = p->big_y ? dy + 1 : ry - p->sy + 1;
    p->ex = p->big_x ? dx + 1 : rx - p->sx + 1;
}

static inline void area_power(i64 pes, i64 l1, i64 l2, const cx_hardware *hw, double *area, double *power)
{
    double p = (double)pes, b1 = (double)l1, b2 = (double)l2;
    double bw = hw->bus_width + hw->bus_width_per_pe * p;
    double q = (hw->arbiter_a2 * p + hw->arbiter_a1) * p + hw->arbiter_a0;
    *area = p * (hw->mac_area + hw->l1_area * b1) + hw->l2_area * b2
          + (hw->bus_area_per_port * p + hw->bus_area_base) * bw
          + hw->arbiter_area * max_d(hw->arbiter_area_floor, q);
    *power = p * (hw->mac_power + hw->l1_power * b1) + hw->l2_power * b2
           + (hw->bus_power_per_port * p + hw->bus_power_base) * bw
           + hw->arbiter_power * max_d(hw->arbiter_power_floor, q);
}

/* Every hardware coefficient at most 1e100 in magnitude: then no float result can leave the
 * finite range for any integer inputs (each term is at most about 1e100 * (2^63)^2), so a point's
 * status never depends on float work that was not asked for. */
static int floats_bounded(const cx_hardware *hw)
{
    const double c[] = {hw->mac_energy, hw->l1_energy, hw->l2_energy, hw->mac_area, hw->l1_area,
                        hw->l2_area, hw->mac_power, hw->l1_power, hw->l2_power, hw->bus_width,
                        hw->bus_width_per_pe, hw->bus_area_per_port, hw->bus_area_base,
                        hw->bus_power_per_port, hw->bus_power_base, hw->arbiter_area,
                        hw->arbiter_area_floor, hw->arbiter_power, hw->arbiter_power_floor,
                        hw->arbiter_a2, hw->arbiter_a1, hw->arbiter_a0};
    for (size_t j = 0; j < sizeof c / sizeof c[0]; j++)
        if (!(c[j] <= 1e100 && c[j] >= -1e100)) return 0;  /* also for NaN */
    return 1;
}

/* `mode` is a compile-time constant in each specialised loop: DISTINCT_OUTPUTS has every output
 * that is not a copy (and status, valid) non-NULL and tests only the five copies; SOME_OUTPUTS
 * tests each pointer. */
enum { SOME_OUTPUTS, DISTINCT_OUTPUTS };
#define OUT(name) (out->values[CX_OUT_##name])
#define STORE(name, value) \
    do { if (mode != SOME_OUTPUTS || OUT(name)) OUT(name)[i] = (value); } while (0)
#define STORE_COPY(name, value) \
    do { if (OUT(name)) OUT(name)[i] = (value); } while (0)

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* The status of one point and its integer results (zero unless CX_OK or CX_IMPOSSIBLE). */
static inline double energy_of(const traffic *t, i64 i_wr, i64 w_wr, i64 o_rd, int dw, const cx_hardware *hw);

/* A layer's fields after the checks and the strided windows, which do not depend on the
 * design: prepared once per layer, not once per point.  P and k are set per point.  work,
 * in_used, w_size, o_size: what the layer really needs (MACs, input elements some window
 * touches, weights, outputs), for the physical bounds. */
typedef struct { point p; int dw, bad; i64 work, in_used, w_size, o_size; } layer_prep;

/* A product of factors >= 0 saturated at INT64_MAX: the exact value when it fits, else INT64_MAX
 * ("at least that").  For factors >= 1 this is min(true product, INT64_MAX) in any order. */
static inline i64 sat_mul(i64 a, i64 b)
{
    i64 r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

/* What the layer needs (after strided(): K and C per group), the operands of the physical
 * bounds (docs/engine.md, "Physically impossible results"; the NumPy reference's _needs). */
static void layer_needs(layer_prep *lp)
{
    const point *p = &lp->p;
    i64 RS = sat_mul(p->R, p->S);
    i64 out = sat_mul(p->OY, p->OX);
    i64 channels = lp->dw ? p->C : sat_mul(p->G, p->C);         /* input channels in all */
    i64 filters = lp->dw ? p->C : sat_mul(p->G, p->K);          /* output channels in all */
    i64 per_filter = lp->dw ? 1 : p->C;                         /* channels a filter reads */
    lp->work = sat_mul(sat_mul(sat_mul(p->N, filters), sat_mul(per_filter, RS)), out);
    /* rows (columns) some window touches: (O - 1) * min(s, R) + R <= Y, no overflow */
    i64 rows = (p->OY - 1) * min64(p->sy, p->R) + p->R;
    i64 cols = (p->OX - 1) * min64(p->sx, p->S) + p->S;
    lp->in_used = sat_mul(sat_mul(p->N, channels), sat_mul(rows, cols));
    lp->w_size = sat_mul(sat_mul(filters, per_filter), RS);
    lp->o_size = sat_mul(sat_mul(p->N, filters), out);
}

/* Whether a printed result breaks a physical bound (the general engine's BOUNDS, on the outputs
 * the closed forms compute; one SIMD lane): fewer cycles than the work over the PEs, fewer MACs
 * than the work, less input, filter or output traffic than the tensors, an empty buffer. */
static inline int impossible(const layer_prep *lp, const traffic *t, i64 pes)
{
    return sat_mul(t->runtime, pes) < lp->work || t->macs < lp->work || t->i_rd < lp->in_used
           || t->w_rd < lp->w_size || t->o_wr < lp->o_size || t->l1 <= 0 || t->l2 <= 0;
}

static void prepare_layer(const cx_layers *layers, size_t l, layer_prep *lp)
{
    point p = {0};
    p.K = layers->K[l]; p.C = layers->C[l]; p.Y = layers->Y[l]; p.X = layers->X[l];
    p.R = layers->R[l]; p.S = layers->S[l]; p.P = 1; p.k = 1;
    p.N = layers->N ? layers->N[l] : 1;
    p.G = layers->G ? layers->G[l] : 1;
    p.sy = layers->SY ? layers->SY[l] : 1;
    p.sx = layers->SX ? layers->SX[l] : 1;
    lp->dw = layers->depthwise[l] != 0;
    lp->bad = is_bad_input(&p, lp->dw);
    if (!lp->bad) strided(&p);
    lp->p = p;
    lp->work = lp->in_used = lp->w_size = lp->o_size = 0;
    if (!lp->bad) layer_needs(lp);
}

static ALWAYS_INLINE int point_status(int dataflow, const layer_prep *lp, i64 pes, i64 ktile,
                                      const cx_hardware *hw, traffic *t, i64 *i_wr, i64 *w_wr, i64 *o_rd)
{
    point p = lp->p;
    p.P = pes;
    p.k = ktile;
    int dw = lp->dw;
    int status;
    if (lp->bad || pes < 1 || ktile < 1) {
        status = CX_BAD_INPUT;
    } else {
        if (!dw && dataflow != CX_DLA && (p.sy != 1 || p.sx != 1)) {
            status = banded(dataflow == CX_EYE, &p, t);
            if (status == CX_OK) {
                int o = tensor_sizes(&p, dw, i_wr, w_wr, o_rd);
                int negative = !o && (t->o_wr < 0 || t->o_l1 < 0)
                               && energy_of(t, *i_wr, *w_wr, *o_rd, dw, hw) < 0;
                status = o ? CX_OVERFLOW : negative ? CX_INVALID : CX_OK;
            }
        } else if (!is_valid(dataflow, dw, &p)) {
            status = CX_INVALID;
        } else {
            int o = __builtin_mul_overflow(p.N, p.G, &p.NG);
            if (!o) o = dw ? dpt(&p, t)
                      : dataflow == CX_DLA ? dla(&p, t)
                      : dataflow == CX_SHI ? shi(&p, t) : eye(&p, t);
            if (!o) o = tensor_sizes(&p, dw, i_wr, w_wr, o_rd);
            /* The edge steps of a strided layer can make the output counters negative (as in
             * MAESTRO); when that makes the energy negative, the point cannot be costed (MAESTRO
             * prints such points with a negative energy).  Independent of the outputs asked. */
            int negative = !o && (t->o_wr < 0 || t->o_l1 < 0)
                           && energy_of(t, *i_wr, *w_wr, *o_rd, dw, hw) < 0;
            status = o ? CX_OVERFLOW : negative ? CX_INVALID : CX_OK;
        }
        if (status == CX_OK && impossible(lp, t, pes)) status = CX_IMPOSSIBLE;
    }
    if (status != CX_OK && status != CX_IMPOSSIBLE) {
        memset(t, 0, sizeof *t);
        *i_wr = *w_wr = *o_rd = 0;
    }
    return status;
}

/* Energy in nJ; same summation order as the NumPy reference. */
static inline double energy_of(const traffic *t, i64 i_wr, i64 w_wr, i64 o_rd, int dw, const cx_hardware *hw)
{
    double l2 = (double)t->i_rd + (double)i_wr + (double)t->w_rd + (double)w_wr + (double)t->o_wr;
    double macs = (double)t->macs, ol1 = (double)t->o_l1;
    double l1 = macs + (double)t->i_rd + macs + (double)t->w_rd + ol1 + ol1;
    if (hw->maestro_energy)
        return hw->l2_energy * l2 + (dw ? hw->l1_energy * l1 : 0.0);
    return hw->mac_energy * macs + hw->l1_energy * l1 + hw->l2_energy * (l2 + (double)o_rd);
}

static ALWAYS_INLINE void store_invalid(int mode, int status, const cx_outputs *out, size_t i)
{
    for (int j = 0; j < CX_N_OUTPUTS; j++)  /* (rare: no specialisation) */
        if (out->values[j]) out->values[j][i] = NAN;
    if (mode != SOME_OUTPUTS || out->status) out->status[i] = (uint8_t)status;
    if (mode != SOME_OUTPUTS || out->valid) out->valid[i] = 0;
}

/* One point: computes what the outputs need and stores it as float64.  Inlined into one loop
 * per dataflow and mode so that both tests leave the hot loop. */
static ALWAYS_INLINE void eval_point(int dataflow, int mode, const layer_prep *lp, i64 pes,
                                     i64 ktile, const cx_hardware *hw, int bounded,
                                     const cx_outputs *out, size_t i)
{
    traffic t = {0, 0, 0, 0, 0, 0, 0, 0};
    i64 i_wr = 0, w_wr = 0, o_rd = 0;
    int status = point_status(dataflow, lp, pes, ktile, hw, &t, &i_wr, &w_wr, &o_rd);
    double energy = 0.0, area = 0.0, power = 0.0;
    int printed = status == CX_OK || status == CX_IMPOSSIBLE;  /* the point has numbers */
    if (printed) {
        /* unbounded coefficients: compute every float, a non-finite one makes the point overflow */
        if (mode != SOME_OUTPUTS || !bounded || OUT(ENERGY))
            energy = energy_of(&t, i_wr, w_wr, o_rd, lp->dw, hw);
        if (mode != SOME_OUTPUTS || !bounded || OUT(AREA) || OUT(POWER))
            area_power(pes, t.l1, t.l2, hw, &area, &power);
        if (!bounded && !(isfinite(energy) && isfinite(area) && isfinite(power))) {
            status = CX_OVERFLOW;
            printed = 0;
        }
    }
    if (!printed) {
        store_invalid(mode, status, out, i);
        return;
    }
    double macs = (double)t.macs, i_rd = (double)t.i_rd, w_rd = (double)t.w_rd;
    STORE(RUNTIME, (double)t.runtime);
    STORE(ENERGY, energy);
    STORE(AREA, area);
    STORE(POWER, power);
    STORE(L1_BYTES, (double)t.l1);
    STORE(L2_BYTES, (double)t.l2);
    STORE(MACS, macs);
    STORE(MACS_PER_CYCLE, macs / (double)t.runtime);
    STORE_COPY(INPUT_L1_READ, macs);
    STORE_COPY(INPUT_L1_WRITE, i_rd);
    STORE(INPUT_L2_READ, i_rd);
    STORE(INPUT_L2_WRITE, (double)i_wr);
    STORE_COPY(FILTER_L1_READ, macs);
    STORE_COPY(FILTER_L1_WRITE, w_rd);
    STORE(FILTER_L2_READ, w_rd);
    STORE(FILTER_L2_WRITE, (double)w_wr);
    STORE_COPY(OUTPUT_L1_READ, (double)t.o_l1);
    STORE(OUTPUT_L1_WRITE, (double)t.o_l1);
    STORE(OUTPUT_L2_READ, (double)o_rd);
    STORE(OUTPUT_L2_WRITE, (double)t.o_wr);
    if (mode != SOME_OUTPUTS || out->status) out->status[i] = (uint8_t)status;
    if (mode != SOME_OUTPUTS || out->valid) out->valid[i] = 1;
}

#define EVAL_LOOP(df, mode)                                                                  \
    for (size_t d = 0, i = 0; d < n_designs; d++) {                                          \
        const int64_t *pes = des.pes + d * des.pes_step[0];                                  \
        const int64_t *ktile = des.ktile + d * des.ktile_step[0];                            \
        for (size_t l = 0; l < n_layers; l++, i++)                                           \
            eval_point(df, mode, prep + l, pes[l * des.pes_step[1]], ktile[l * des.ktile_step[1]], \
                       hw, bounded, out, i);                                                 \
    }

/* The dataflows a caller selects (dpt is applied to depthwise layers by point_status): one loop
 * each, and the only list of them in this file besides point_status's dispatch. */
#define SELECTABLE_DATAFLOWS(X) X(CX_DLA) X(CX_SHI) X(CX_EYE)

#define EVAL_CASE(df) case df: EVAL_LOOP(df, mode_); break;
#define EVAL_DATAFLOW(mode)                                                        \
    do {                                                                           \
        enum { mode_ = mode };                                                     \
        switch (dataflow) { SELECTABLE_DATAFLOWS(EVAL_CASE) default: break; }      \
    } while (0)

static int conv_dataflow(int dataflow)
{
#define IS_DATAFLOW(df) || dataflow == df
    return 0 SELECTABLE_DATAFLOWS(IS_DATAFLOW);
#undef IS_DATAFLOW
}

static int distinct_outputs(const cx_outputs *out)
{
    static const int copies[] = {CX_OUT_INPUT_L1_READ, CX_OUT_INPUT_L1_WRITE, CX_OUT_FILTER_L1_READ,
                                 CX_OUT_FILTER_L1_WRITE, CX_OUT_OUTPUT_L1_READ};
    int n_null = 0;
    for (int j = 0; j < CX_N_OUTPUTS; j++) n_null += out->values[j] == NULL;
    for (size_t c = 0; c < sizeof copies / sizeof copies[0]; c++) n_null -= out->values[copies[c]] == NULL;
    return n_null == 0 && out->status && out->valid;
}

#if defined(__GNUC__) && !defined(__clang__)
/* inline the closed forms into each specialised loop */
__attribute__((flatten))
#endif
int cx_evaluate(const cx_layers *layers, size_t n_layers, const cx_designs *designs,
                size_t n_designs, int dataflow, const cx_hardware *hw_in, const cx_outputs *out_in)
{
    if (!conv_dataflow(dataflow)) return -1;
    /* Local copies: the compiler then knows that stores to the outputs cannot change the
     * coefficients, the steps or the output pointers, and keeps them out of the loop. */
    const cx_hardware hw_copy = *hw_in;
    const cx_outputs out_copy = *out_in;
    const cx_designs des = *designs;
    const cx_hardware *hw = &hw_copy;
    const cx_outputs *out = &out_copy;
    int bounded = floats_bounded(hw);
    layer_prep small[64];
    layer_prep *prep = small;
    if (n_layers > sizeof small / sizeof small[0]) {
        if (n_layers > SIZE_MAX / sizeof *prep) return -3;
        prep = malloc(n_layers * sizeof *prep);
        if (!prep) return -3;
    }
    for (size_t l = 0; l < n_layers; l++) prepare_layer(layers, l, prep + l);
    if (distinct_outputs(out)) EVAL_DATAFLOW(DISTINCT_OUTPUTS);
    else EVAL_DATAFLOW(SOME_OUTPUTS);
    if (prep != small) free(prep);
    return 0;
}

int cx_evaluate_rows(const cx_layers *layers, size_t n_layers, const cx_designs *designs,
                     size_t n_designs, int dataflow, const cx_hardware *hw, const int *outputs,
                     size_t n_outputs, double *rows, uint8_t *status, uint8_t *valid)
{
    cx_outputs out;
    size_t n = n_designs * n_layers;
    for (int j = 0; j < CX_N_OUTPUTS; j++) out.values[j] = NULL;
    if (n_outputs > CX_N_OUTPUTS) return -2;
    for (size_t j = 0; j < n_outputs; j++) {
        if (outputs[j] < 0 || outputs[j] >= CX_N_OUTPUTS || out.values[outputs[j]]) return -2;
        out.values[outputs[j]] = rows + j * n;
    }
    out.status = status;
    out.valid = valid;
    return cx_evaluate(layers, n_layers, designs, n_designs, dataflow, hw, &out);
}

int cx_evaluate_point(const cx_layers *layer, int64_t pes, int64_t ktile, int dataflow,
                      const cx_hardware *hw, double *values)
{
    if (!conv_dataflow(dataflow)) return -1;
    uint8_t status = CX_OK, valid = 0;
    cx_outputs out_copy;
    for (int j = 0; j < CX_N_OUTPUTS; j++) out_copy.values[j] = values + j;
    out_copy.status = &status;
    out_copy.valid = &valid;
    const cx_outputs *out = &out_copy;
    layer_prep lp;
    prepare_layer(layer, 0, &lp);
    eval_point(dataflow, DISTINCT_OUTPUTS, &lp, pes, ktile, hw, floats_bounded(hw), out, 0);
    return status;
}

void cx_area_power(const int64_t *pes, const int64_t *l1_bytes, const int64_t *l2_bytes,
                   size_t n, const cx_hardware *hw, double *area, double *power)
{
    for (size_t i = 0; i < n; i++) {
        double a, w;
        area_power(pes[i], l1_bytes[i], l2_bytes[i], hw, &a, &w);
        int finite = isfinite(a) && isfinite(w);
        area[i] = finite ? a : NAN;
        power[i] = finite ? w : NAN;
    }
}
