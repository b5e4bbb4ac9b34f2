/* The frontier of the sums of two frontiers, output-sensitively: a k-way merge of the option
 * rows (row j: every point i of the partial frontier plus option j, in order of i) through a
 * loser tree, in order of (weight, cost, i, j).  The cheapest of the sums of one weight is on
 * the frontier when it is strictly cheaper than every lighter sum; a popped row skips
 * (galloping) to its first sum cheaper than the cheapest so far, so a dominated run costs a
 * binary search, not a pop per sum.  Sums are formed as fw[i] + ow[j] and fc[i] + oc[j], the
 * NumPy reference's expressions, so the bits agree, and ties follow the reference's rule: of
 * sums equal in weight the cheapest, of sums equal in both the one with the smallest i, then j.
 * Rounding can make consecutive sums of a row equal in weight (the later one then cheaper), so
 * all the sums of one weight are gathered before the cheapest is taken. */
#include "frontier.h"

#include <limits.h>
#include <math.h>

typedef struct {
    long long m, k;             /* points of the partial frontier; leaves of the tree (rows >= l are padding) */
    const double *kw, *kc;      /* weight and cost of each row's current sum */
    const long long *cursor;    /* each row's current point; m once the row is spent */
    int *tree;                  /* tree[0]: the winner; tree[1..k-1]: the loser of each match */
} merge;

/* does row a's current sum come before row b's?  Spent rows carry weight +inf and come after
 * every live row (a live sum of weight +inf too: the tie is decided by the spent flag). */
static inline int before(const merge *s, int a, int b) {
    const double wa = s->kw[a], wb = s->kw[b];
    if (wa < wb) return 1;
    if (wb < wa) return 0;
    const long long ia = s->cursor[a], ib = s->cursor[b];
    if ((ia >= s->m) != (ib >= s->m)) return ia < s->m;
    const double ca = s->kc[a], cb = s->kc[b];
    if (ca < cb) return 1;
    if (cb < ca) return 0;
    if (ia != ib) return ia < ib;
    return a < b;
}

/* the winner of the subtree at node `node`, its matches' losers stored on the way (depth <= 31) */
static int build(merge *s, long long node) {
    if (node >= s->k) return (int)(node - s->k);
    const int a = build(s, 2 * node), b = build(s, 2 * node + 1);
    if (before(s, a, b)) {
        s->tree[node] = b;
        return a;
    }
    s->tree[node] = a;
    return b;
}

/* row j's sum changed: replay its matches up to the root */
static void replay(merge *s, int j) {
    int w = j;
    for (long long node = (s->k + j) / 2; node >= 1; node /= 2) {
        const int o = s->tree[node];
        if (before(s, o, w)) {
            s->tree[node] = w;
            w = o;
        }
    }
    s->tree[0] = w;
}

/* The first i in (from, m) whose sum with option cost oc is cheaper than best, else m.  A row's
 * sums do not increase in cost (fc strictly descending, rounding monotone), so gallop forward
 * and then bisect: cost O(log gap). */
static long long next_cheaper(const double *fc, long long m, double oc, long long from, double best) {
    long long lo = from, hi = from + 1, step = 1; /* the answer is in (lo, hi] (hi = m: none) */
    while (hi < m && !(fc[hi] + oc < best)) {
        lo = hi;
        if (step < LLONG_MAX / 4) step *= 2;
        hi = m - lo > step ? lo + step : m;
    }
    while (hi - lo > 1) {
        const long long mid = lo + (hi - lo) / 2;
        if (fc[mid] + oc < best) hi = mid;
        else lo = mid;
    }
    return hi;
}

long long cx_front_sum(long long m, const double *fw, const double *fc, long long l, const double *ow,
                       const double *oc, double w_rest, double w_limit, double c_rest, double c_limit,
                       long long cap, double *out_w, double *out_c, int *out_parent, int *out_option,
                       double *keys, long long *cursor, int *tree) {
    if (m < 0 || l < 0 || cap < 0 || m >= INT_MAX || l > (1LL << 30)) return -1;
    if (m == 0 || l == 0) return 0;
    long long k = 1;
    while (k < l) k *= 2;
    double *kw = keys, *kc = keys + k;
    for (long long j = 0; j < k; j++) {
        cursor[j] = j < l ? 0 : m;
        kw[j] = j < l ? fw[0] + ow[j] : INFINITY;
        kc[j] = j < l ? fc[0] + oc[j] : INFINITY;
    }
    merge s = {m, k, kw, kc, cursor, tree};
    tree[0] = build(&s, 1);
    double best = INFINITY; /* the cheapest sum taken so far */
    long long n = 0;
    while (cursor[tree[0]] < m) {
        const double gw = kw[tree[0]];
        if (!(gw + w_rest <= w_limit)) break; /* every later sum is at least as heavy (NaN: stop) */
        const double before_group = best;
        double gc = INFINITY;
        long long gi = -1, gj = -1;
        for (;;) { /* every sum of weight gw; the least (cost, i, j) */
            const int j = tree[0];
            const long long i = cursor[j];
            if (i >= m || !(kw[j] == gw)) break;
            const double c = kc[j];
            if (gi < 0 || c < gc || (c == gc && (i < gi || (i == gi && j < gj)))) {
                gc = c;
                gi = i;
                gj = j;
            }
            const long long next = next_cheaper(fc, m, oc[j], i, before_group);
            cursor[j] = next;
            kw[j] = next < m ? fw[next] + ow[j] : INFINITY;
            kc[j] = next < m ? fc[next] + oc[j] : INFINITY;
            replay(&s, j);
        }
        if (gc < before_group) {
            if (gc + c_rest <= c_limit) {
                if (n == cap) return -2;
                out_w[n] = gw;
                out_c[n] = gc;
                out_parent[n] = (int)gi;
                out_option[n] = (int)gj;
                n++;
            }
            best = gc;
        }
    }
    return n;
}
