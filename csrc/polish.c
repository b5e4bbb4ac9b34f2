/* The mapping search's per-search loops over genome rows (polish.h). */
#include "mapping.h"
#include "polish.h"

#include <math.h>
#include <string.h>

enum { MAX_WIDTH = 1 + CXM_MAX_LEVELS * (2 + 2 * CXM_MAX_AXES) };

static long long ceil_div(long long a, long long b) { return a / b + (a % b != 0); } /* a >= 0, b >= 1 */

static int layer_fits(const cxm_layer *ly) {
    return ly->D >= 1 && ly->D <= CXM_MAX_AXES && ly->L >= 1 && ly->L <= CXM_MAX_LEVELS;
}

/* NumPy's astype(int64) of a float, for floats in range; out of range (or NaN) x86 gives the
 * least int64, which the callers' max() then lifts */
static long long as_int(double x) {
    return x > -9.2e18 && x < 9.2e18 ? (long long)x : -0x7fffffffffffffffLL - 1;
}

long long cxp_fit_l2(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long pes, double cap, long long n, long long *rows) {
    if (!layer_fits(layer) || n < 0 || pes < 1) return -1;
    const long long D = layer->D, stride = 2 + 2 * D, width = 1 + layer->L * stride;
    for (long long i = 0; i < n; i++) {
        long long *row = rows + i * width, *top = row + 3;
        for (int step = 0; step < 64; step++) {
            double l2;
            const long long got = cxm_estimate(layer, 1, row, &pes, 0, 0, 0, &l2, 0);
            if (got != 1) return got < 0 ? -1 : i;
            if (!(l2 > cap)) break;
            long long a = 0, best = -1;
            for (long long d = 0; d < D; d++) {
                const long long v = space->kernel[d] || d == row[1] ? 0 : top[d];
                if (v > best) best = v, a = d;
            }
            if (best <= 1) break;
            double factor = sqrt(l2 / cap);
            if (factor < 2.0) factor = 2.0;
            long long fresh = as_int((double)top[a] / factor);
            if (fresh < 1) fresh = 1;
            long long limit = fresh; /* the most the tile may be at each level, going in */
            for (long long lv = 1; lv < layer->L; lv++) {
                long long *b = row + 1 + lv * stride;
                if (row[0] <= lv) continue;
                if (b[0] == a) limit = b[1] >= 1 ? (limit - 1) / b[1] + 1 : 1; /* ceil; limit >= 1 */
                if (b[2 + a] > limit) b[2 + a] = limit;
            }
            top[a] = fresh;
            if (cxm_repair(layer, space, divs, n_divs, 1, row) != 1) return -1;
        }
    }
    return n;
}

long long cxp_fill_l2(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                      const long long *pes, const long long *axis, const long long *live, double cap,
                      int has_l1_cap, double l1_cap, long long steps, long long n, long long *rows) {
    if (!layer_fits(layer) || n < 0) return -1;
    const long long D = layer->D, width = 1 + layer->L * (2 + 2 * D);
    for (long long i = 0; i < n; i++) {
        if (axis[i] < 0 || axis[i] >= D) return -1;
    }
    long long trial[MAX_WIDTH];
    for (long long i = 0; i < n; i++) {
        long long *row = rows + i * width;
        const long long a = axis[i], whole = layer->sizes[a];
        double factor = 2.0;
        int going = live[i] != 0;
        for (long long step = 0; step < steps && going; step++) {
            const long long tile = row[3 + a];
            long long v = as_int((double)tile * factor);
            if (v < tile + 1) v = tile + 1;
            if (v > whole) v = whole;
            memcpy(trial, row, (size_t)width * sizeof *trial);
            trial[3 + a] = v;
            if (cxm_repair(layer, space, divs, n_divs, 1, trial) != 1) return -1;
            double l1, l2;
            const long long got = cxm_estimate(layer, 1, trial, pes + i, 0, 0, &l1, &l2, 0);
            if (got != 1) return got < 0 ? -1 : i;
            const int fits = l2 <= cap && (!has_l1_cap || l1 <= l1_cap);
            if (fits) memcpy(row, trial, (size_t)width * sizeof *trial);
            else factor = sqrt(factor);
            going = factor > 1.04 && row[3 + a] < whole;
        }
    }
    return n;
}

long long cxp_directives(const cxm_layer *layer, const cxm_space *space, long long n, const long long *rows,
                         long long *first, long long *kind, long long *axis, long long *size, long long *whole) {
    if (!layer_fits(layer) || n < 0) return -1;
    const long long D = layer->D, stride = 2 + 2 * D, width = 1 + layer->L * stride;
    long long m = 0;
    first[0] = 0;
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        if (row[0] < 1 || row[0] > layer->L) return i;
        for (long long lv = 0; lv < row[0]; lv++) {
            const long long *b = row + 1 + lv * stride, *o = b + 2 + D;
            for (long long j = 0; j < D; j++)
                if (o[j] < 0 || o[j] >= D) return i;
        }
        for (long long lv = 0; lv < row[0]; lv++) {
            const long long *b = row + 1 + lv * stride, *t = b + 2, *o = b + 2 + D;
            if (lv > 0) kind[m] = 2, axis[m] = -1, size[m] = b[1], whole[m] = 0, m++;
            for (long long j = 0; j < D; j++) {
                const long long d = o[j];
                const long long st = layer->out_strides[d];
                kind[m] = d == b[0] ? 0 : 1;
                axis[m] = d;
                /* as NumPy's int64 arithmetic, wrapping */
                const unsigned long long written = (unsigned long long)st * ((unsigned long long)t[d] - 1ULL) + 1ULL;
                size[m] = st > 1 ? (long long)written : t[d];
                whole[m] = space->kernel[d] ? layer->sizes[d] : 0;
                m++;
            }
        }
        first[i + 1] = m;
    }
    return n;
}

/* genome.py pick_divisor: the k-th (0-based, clipped) of divs[0..m) (ascending, 0-padded) that
 * divides p, at least 1 (divs[0] when none does) */
static long long pick_divisor(const long long *divs, long long m, long long p, long long k) {
    long long count = 0;
    for (long long j = 0; j < m; j++) count += divs[j] > 0 && p % divs[j] == 0;
    if (k > count - 1) k = count - 1;
    if (k < 0) k = 0;
    for (long long j = 0, seen = 0; j < m; j++) {
        if (divs[j] > 0 && p % divs[j] == 0 && seen++ == k) return divs[j] > 1 ? divs[j] : 1;
    }
    return divs[0] > 1 ? divs[0] : 1;
}

long long cxp_random(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long n, long long *rows, const double *u, long long n_u) {
    if (!layer_fits(layer) || n < 0 || n_divs < 1) return -1;
    const long long D = layer->D, L = layer->L, stride = 2 + 2 * D, width = 1 + L * stride;
    long long k = 0, free_axes[CXM_MAX_AXES], need = 0;
    for (long long d = 0; d < D; d++)
        if (!space->kernel[d]) free_axes[k++] = d;
    for (long long lv = 0; lv < L; lv++) need += (k + D + (lv > 0 && space->cluster[lv] == 0)) * n;
    if (need != n_u) return -1;
    for (long long i = 0; i < n; i++)
        for (long long lv = 0; lv < L; lv++) {
            const long long s = rows[i * width + 1 + lv * stride];
            if (s < 0 || s >= D) return -1;
        }
    const double *block = u;
    for (long long lv = 0; lv < L; lv++) {
        const int drawn = lv > 0 && space->cluster[lv] == 0;
        for (long long i = 0; i < n; i++) {
            long long *b = rows + i * width + 1 + lv * stride, *t = b + 2, *o = b + 2 + D;
            const long long *parent = lv == 0 ? layer->sizes : t - stride;
            for (long long d = 0; d < D; d++)
                if (space->kernel[d]) t[d] = layer->sizes[d];
            for (long long j = 0; j < k; j++) {
                const long long d = free_axes[j];
                const double x = block[j * n + i];
                if (!space->divisors_only) {
                    t[d] = (long long)(x * (double)parent[d]) + 1;
                } else {
                    const long long *dd = divs + d * n_divs;
                    long long count = 0;
                    for (long long q = 0; q < n_divs; q++) count += dd[q] > 0 && parent[d] % dd[q] == 0;
                    t[d] = pick_divisor(dd, n_divs, parent[d], (long long)(x * (double)count));
                }
            }
            /* the order: a stable argsort of the row's D keys (insertion sort) */
            const double *key = block + k * n + i * D;
            for (long long j = 0; j < D; j++) {
                long long m = j;
                while (m > 0 && key[o[m - 1]] > key[j]) o[m] = o[m - 1], m--;
                o[m] = j;
            }
            const long long s = b[0];
            if (lv == 0) {
                b[1] = 1;
            } else if (space->cluster[lv]) {
                b[1] = space->cluster[lv];
            } else {
                const double x = block[(k + D) * n + i];
                const long long cap = parent[s] < space->pe_cap ? parent[s] : space->pe_cap;
                if (!space->divisors_only) {
                    b[1] = (long long)(x * (double)cap) + 1;
                } else {
                    const long long ntiles = ceil_div(parent[s], t[s]), *ds = divs + s * n_divs;
                    long long rank = -1;
                    for (long long q = 0; q < n_divs; q++) rank += ds[q] > 0 && ntiles % ds[q] == 0 && ds[q] <= cap;
                    b[1] = pick_divisor(ds, n_divs, ntiles, (long long)(x * (double)(rank + 1)));
                }
            }
        }
        block += (k + D + drawn) * n;
    }
    return cxm_repair(layer, space, divs, n_divs, n, rows) == n ? n : -1;
}
