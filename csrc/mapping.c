/* The mapping search's per-generation arithmetic: see mapping.h. */
#include "mapping.h"

#include <math.h>
#include <string.h>

typedef unsigned long long u64;

/* the columns of level lv of a row */
typedef struct {
    long long sp, cl;
    const long long *tile, *order;
} level_view;

static level_view level_of(const cxm_layer *ly, const long long *row, long long lv) {
    const long long *b = row + 1 + lv * (2 + 2 * ly->D);
    level_view v = {b[0], b[1], b + 2, b + 2 + ly->D};
    return v;
}

static int layer_ok(const cxm_layer *ly) {
    if (ly->D < 1 || ly->D > CXM_MAX_AXES || ly->L < 1 || ly->L > CXM_MAX_LEVELS) return 0;
    if (ly->stride_y < 1 || ly->stride_x < 1) return 0;
    for (long long d = 0; d < ly->D; d++)
        if (ly->sizes[d] < 1 || ly->out_strides[d] < 1 || ly->role[d] < 0 || ly->role[d] >= CXM_N_ROLES) return 0;
    return 1;
}

/* the width of a row (its level count, then per level: parallel axis, cluster, tiles, order) */
static long long row_width(const cxm_layer *ly) { return 1 + ly->L * (2 + 2 * ly->D); }

/* where[role] = the axis playing that role (-1: none) */
static void roles_of(const cxm_layer *ly, long long where[CXM_N_ROLES]) {
    for (int r = 0; r < CXM_N_ROLES; r++) where[r] = -1;
    for (long long d = 0; d < ly->D; d++) where[ly->role[d]] = d;
}

/* whether a row is a member of some space, and the product of its live inner clusters */
static int row_ok(const cxm_layer *ly, const long long *row, long long pes, long long *min_pes) {
    const long long nlev = row[0];
    if (nlev < 1 || nlev > ly->L || pes < 1) return 0;
    long long prod = 1;
    for (long long lv = 0; lv < nlev; lv++) {
        const level_view v = level_of(ly, row, lv);
        if (v.sp < 0 || v.sp >= ly->D) return 0;
        for (long long d = 0; d < ly->D; d++)
            if (v.tile[d] < 1) return 0;
        if (lv > 0) {
            if (v.cl < 1 || __builtin_mul_overflow(prod, v.cl, &prod) || prod > (1LL << 62)) return 0;
        }
    }
    *min_pes = prod;
    return 1;
}

/* a / b for a >= 0, b >= 1, in 32 bits when both fit (a 64-bit division costs several times more) */
static inline long long pos_div(long long a, long long b) {
    return ((u64)a | (u64)b) >> 32 ? a / b : (long long)((unsigned)a / (unsigned)b);
}

static long long ceil_div(long long a, long long b) { return a / b + (a % b != 0); } /* a >= 0, b >= 1 */

/* estimate.py _runtime for one row: per axis, the extents each level hands down along the
 * critical path (a full and an edge child per extent and level) and the times each is taken;
 * the work they add up to, multiplied over the axes in axis order.  Both charges at once:
 * `runtime` a strided output tile at MAESTRO's stride-1 count, `physical` at its rows.  Only the
 * extents taken a nonzero number of times are kept (the others add nothing: the sums wrap
 * modulo 2^64, so their order does not matter), and an extent no larger than the level's tile
 * is handed down whole without a division (one full child, taken as often as its parent). */
static void runtime_of(const cxm_layer *ly, const long long *row, long long top, double *runtime, double *physical) {
    const long long nlev = row[0], stride = 2 + 2 * ly->D;
    double out = 1.0, phys = 1.0;
    for (long long d = 0; d < ly->D; d++) {
        long long x[1 << CXM_MAX_LEVELS];
        u64 m[1 << CXM_MAX_LEVELS];
        long long k = 1;
        x[0] = ly->sizes[d];
        m[0] = 1;
        const long long *lvl = row + 1;
        /* a level a row does not have hands its extents down whole */
        for (long long lv = 0; lv < nlev; lv++, lvl += stride) {
            const long long tile = lvl[2 + d]; /* >= 1 (checked) */
            const int spatial = lvl[0] == d;
            const long long units = lv == 0 ? top : lvl[1];
            long long kept = k; /* the edge children go after the full ones */
            for (long long j = 0; j < k; j++) {
                const long long xe = x[j];
                if (tile >= xe) continue; /* handed down whole: x[j] and m[j] stay */
                const long long full = pos_div(xe, tile), edge = xe - full * tile;
                const int has_edge = edge > 0;
                u64 mf, me;
                if (spatial) {
                    /* rounds = ceil(kk / units); (kk - 1) % units == 0 read off the one division */
                    const long long kk = full + has_edge, q = pos_div(kk, units), r = kk - q * units;
                    const long long rounds = q + (r != 0);
                    const int alone = has_edge && (r == 1 || (r == 0 && units == 1));
                    mf = m[j] * (u64)(rounds - alone);
                    me = m[j] * (u64)alone;
                } else {
                    mf = m[j] * (u64)full;
                    me = m[j] * (u64)has_edge;
                }
                x[j] = tile;
                m[j] = mf;
                if (me) {
                    x[kept] = edge;
                    m[kept++] = me;
                }
            }
            k = kept;
        }
        const u64 st = (u64)ly->out_strides[d];
        u64 sum = 0, sum1 = 0;
        for (long long j = 0; j < k; j++) {
            sum += m[j] * (st * (u64)(x[j] - 1) + 1);
            sum1 += m[j] * (u64)x[j];
        }
        out = d == 0 ? (double)(long long)sum : out * (double)(long long)sum;
        phys = d == 0 ? (double)(long long)sum1 : phys * (double)(long long)sum1;
    }
    if (runtime) *runtime = out;
    if (physical) *physical = phys;
}

static u64 col(const long long *where, const long long *tile, int r) {
    return where[r] >= 0 ? (u64)tile[where[r]] : 1;
}

/* estimate.py _buffers' volumes of the input, filter and output tiles of one level */
static void volumes(const cxm_layer *ly, const long long *where, const long long *t, u64 *inp, u64 *flt, u64 *out) {
    const u64 rows = (col(where, t, CXM_Y_OUT) - 1) * (u64)ly->stride_y + col(where, t, CXM_R);
    const u64 cols = (col(where, t, CXM_X_OUT) - 1) * (u64)ly->stride_x + col(where, t, CXM_S);
    const u64 batch = col(where, t, CXM_N) * col(where, t, CXM_G);
    const u64 k = ly->depthwise ? 1 : col(where, t, CXM_K);
    const u64 c = col(where, t, CXM_C);
    *inp = batch * c * rows * cols;
    *flt = col(where, t, CXM_G) * k * c * col(where, t, CXM_R) * col(where, t, CXM_S);
    *out = batch * (ly->depthwise ? c : k) * rows * cols;
}

static void buffers_of(const cxm_layer *ly, const long long *where, const long long *row, long long top,
                       double *l1, double *l2) {
    u64 i1, f1, o1, i2, f2, o2;
    const level_view inner = level_of(ly, row, row[0] - 1), outer = level_of(ly, row, 0);
    volumes(ly, where, inner.tile, &i1, &f1, &o1);
    volumes(ly, where, outer.tile, &i2, &f2, &o2);
    const long long s = outer.sp, role = ly->role[s];
    const long long n_tiles = ceil_div(ly->sizes[s], outer.tile[s]);
    const u64 units = (u64)(top < n_tiles ? top : n_tiles);
    /* sub-clusters hold different tiles of the tensors the parallel axis indexes */
    const int in_ = role == CXM_N || role == CXM_G || role == CXM_C || role == CXM_Y_OUT || role == CXM_X_OUT;
    const int filt = role == CXM_G || role == CXM_K || role == CXM_C;
    const int out_ = role == CXM_N || role == CXM_G || role == CXM_K || role == CXM_Y_OUT || role == CXM_X_OUT ||
                     (role == CXM_C && ly->depthwise);
    *l1 = 2.0 * (double)(long long)(i1 + f1 + o1);
    *l2 = 2.0 * (double)(long long)(i2 * (in_ ? units : 1) + f2 * (filt ? units : 1) + o2 * (out_ ? units : 1));
}

/* FreeEncoding.busy_pes for one row */
static long long busy_of(const cxm_layer *ly, const long long *row, long long pes, long long inner) {
    u64 busy = 1;
    const long long *parent = ly->sizes;
    for (long long lv = 0; lv < row[0]; lv++) {
        const level_view v = level_of(ly, row, lv);
        const long long n_tiles = ceil_div(parent[v.sp], v.tile[v.sp]);
        const long long units = lv == 0 ? pes / inner : v.cl;
        busy *= (u64)(units < n_tiles ? units : n_tiles);
        parent = v.tile;
    }
    return (long long)busy;
}

long long cxm_estimate(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                       double *runtime, double *physical, double *l1, double *l2, long long *busy) {
    if (!layer_ok(layer) || n < 0) return -1;
    long long where[CXM_N_ROLES];
    roles_of(layer, where);
    const long long width = row_width(layer);
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        long long inner;
        if (!row_ok(layer, row, pes[i], &inner)) return i;
        const long long q = pes[i] / inner, top = q > 1 ? q : 1;
        if (runtime || physical) runtime_of(layer, row, top, runtime ? runtime + i : 0, physical ? physical + i : 0);
        if (l1 || l2) {
            double a, b;
            buffers_of(layer, where, row, top, &a, &b);
            if (l1) l1[i] = a;
            if (l2) l2[i] = b;
        }
        if (busy) busy[i] = busy_of(layer, row, pes[i], inner);
    }
    return n;
}

/* the roles that index each tensor (estimate.py _tensor_axes): 0 input, 1 filter, 2 output */
static int indexes(int tensor, long long role, long long depthwise) {
    switch (tensor) {
    case 0: return role == CXM_N || role == CXM_G || role == CXM_C || role == CXM_Y_OUT || role == CXM_X_OUT;
    case 1: return depthwise ? (role == CXM_C || role == CXM_R || role == CXM_S)
                             : (role == CXM_G || role == CXM_K || role == CXM_C || role == CXM_R || role == CXM_S);
    default: return depthwise ? (role == CXM_N || role == CXM_C || role == CXM_Y_OUT || role == CXM_X_OUT)
                              : (role == CXM_N || role == CXM_G || role == CXM_K || role == CXM_Y_OUT || role == CXM_X_OUT);
    }
}

/* MAESTRO's size of a tile of an axis (estimate.py _written) */
static u64 written(const cxm_layer *ly, long long d, long long tile) {
    const long long st = ly->out_strides[d];
    if (st <= 1) return (u64)tile;
    return tile > 0 ? (u64)st * (u64)(tile - 1) + 1 : 0;
}

/* one row's traffic (estimate.py traffic, the same operations in the same order) */
static void traffic_of(const cxm_layer *ly, const long long *where, const long long *row, long long pes,
                       long long inner, double out[3]) {
    const long long D = ly->D;
    const level_view top = level_of(ly, row, 0);
    const long long s = top.sp;
    const long long q = pes / inner, units = q > 1 ? q : 1;
    long long trips[CXM_MAX_AXES] = {0};
    for (long long d = 0; d < D; d++) trips[d] = ceil_div(ly->sizes[d], top.tile[d]);
    const long long n_tiles = trips[s];
    trips[s] = ceil_div(n_tiles, units);
    const long long busy = units < n_tiles ? units : n_tiles;
    long long t_ord[CXM_MAX_AXES];
    u64 before[CXM_MAX_AXES];
    for (long long j = 0; j < D; j++) {
        t_ord[j] = trips[top.order[j]];
        before[j] = j == 0 ? 1 : before[j - 1] * (u64)t_ord[j - 1];
    }
    for (int tensor = 0; tensor < 3; tensor++) {
        int mask[CXM_MAX_AXES] = {0};
        double vol = 1.0, slice[CXM_MAX_AXES];
        int sliced[CXM_MAX_AXES];
        for (long long d = 0; d < D; d++) {
            mask[d] = indexes(tensor, ly->role[d], ly->depthwise);
            sliced[d] = 0;
            if (!mask[d]) continue;
            double t = (double)top.tile[d];
            const long long role = ly->role[d];
            if (tensor == 0 && (role == CXM_Y_OUT || role == CXM_X_OUT)) {
                const long long st = role == CXM_Y_OUT ? ly->stride_y : ly->stride_x;
                const long long k = where[role == CXM_Y_OUT ? CXM_R : CXM_S];
                const double kernel = k >= 0 ? (double)ly->sizes[k] : 1.0;
                const double full = (t - 1) * (double)st + kernel;
                slice[d] = t * (double)st / full; /* a sliding window's new rows over its rows */
                sliced[d] = 1;
                t = full;
            }
            vol *= t;
        }
        if (tensor == 2) { /* every step writes its tiles: each output axis's extents add up */
            double total = 1.0;
            for (long long d = 0; d < D; d++) {
                if (mask[d]) {
                    const long long full = ly->sizes[d] / top.tile[d], edge = ly->sizes[d] % top.tile[d];
                    total *= (double)(long long)((u64)full * written(ly, d, top.tile[d]) +
                                                 (u64)(edge > 0) * written(ly, d, edge));
                } else {
                    total *= (double)trips[d];
                }
            }
            out[2] = total;
            continue;
        }
        const double v_full = vol * (double)(mask[s] ? busy : 1);
        int live[CXM_MAX_AXES];
        for (long long j = 0; j < D; j++) live[j] = mask[top.order[j]] && t_ord[j] > 1;
        double total = v_full;
        long long inside = 0; /* live loops inside position j */
        double add[CXM_MAX_AXES];
        for (long long j = D - 1; j >= 0; j--) {
            const long long moving = top.order[j];
            double share = 1.0;
            for (long long a = 0; a < D; a++)
                if (sliced[a] && moving == a) share = slice[a];
            const double per = inside > 0 ? 1.0 : share;
            add[j] = live[j] ? (double)(long long)((u64)(t_ord[j] - 1) * before[j]) * v_full * per : 0.0;
            inside += live[j];
        }
        for (long long j = 0; j < D; j++) total += add[j];
        out[tensor] = total;
    }
}

long long cxm_traffic(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                      double *input_read, double *filter_read, double *output_write) {
    if (!layer_ok(layer) || n < 0) return -1;
    long long where[CXM_N_ROLES];
    roles_of(layer, where);
    const long long width = row_width(layer);
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        long long inner;
        if (!row_ok(layer, row, pes[i], &inner)) return i;
        double out[3];
        traffic_of(layer, where, row, pes[i], inner, out);
        input_read[i] = out[0];
        filter_read[i] = out[1];
        output_write[i] = out[2];
    }
    return n;
}

/* whether a row's key is defined (levels in 1..L, each live level's order within 0..D-1) */
static int key_ok(const cxm_layer *layer, const long long *row) {
    const long long nlev = row[0];
    if (nlev < 1 || nlev > layer->L) return 0;
    for (long long lv = 0; lv < nlev; lv++) {
        const level_view v = level_of(layer, row, lv);
        for (long long j = 0; j < layer->D; j++)
            if (v.order[j] < 0 || v.order[j] >= layer->D) return 0;
    }
    return 1;
}

/* cxm_keys for one row (key_ok): its key (width + 1 words) and the key's hash */
static u64 key_of(const cxm_layer *layer, const long long *row, long long extra, long long *key) {
    const long long D = layer->D, stride = 2 + 2 * D, width = 1 + layer->L * stride;
    const long long nlev = row[0];
    for (long long c = 1 + nlev * stride; c < width; c++) key[c] = 0; /* the levels the row does not have */
    key[0] = nlev;
    const long long *parent = layer->sizes;
    for (long long lv = 0; lv < nlev; lv++) {
        const level_view v = level_of(layer, row, lv);
        long long *k = key + 1 + lv * stride;
        k[0] = v.sp;
        k[1] = v.cl;
        for (long long d = 0; d < D; d++) k[2 + d] = v.tile[d];
        /* the loops that move (more than one step, or the parallel one) in their order, then -1 */
        long long at = 0;
        for (long long j = 0; j < D; j++) {
            const long long d = v.order[j];
            if (v.tile[d] < parent[d] || d == v.sp) k[2 + D + at++] = d;
        }
        while (at < D) k[2 + D + at++] = -1;
        parent = v.tile;
    }
    key[width] = extra;
    /* four multiply-xor chains over the words (independent: no chain waits on another), joined
     * with rotations, then splitmix64's finish */
    const u64 p = 0x100000001b3ULL;
    u64 h0 = 0x9e3779b97f4a7c15ULL, h1 = 0x6a09e667f3bcc909ULL, h2 = 0xbb67ae8584caa73bULL, h3 = 0x3c6ef372fe94f82bULL;
    long long c = 0;
    for (; c + 4 <= width + 1; c += 4) {
        h0 = (h0 ^ (u64)key[c]) * p;
        h1 = (h1 ^ (u64)key[c + 1]) * p;
        h2 = (h2 ^ (u64)key[c + 2]) * p;
        h3 = (h3 ^ (u64)key[c + 3]) * p;
    }
    for (; c <= width; c++) h0 = (h0 ^ (u64)key[c]) * p;
    u64 h = h0 ^ ((h1 << 16) | (h1 >> 48)) ^ ((h2 << 32) | (h2 >> 32)) ^ ((h3 << 48) | (h3 >> 16));
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

long long cxm_keys(const cxm_layer *layer, long long n, const long long *rows, const long long *extra,
                   long long *keys, unsigned long long *hash) {
    if (!layer_ok(layer) || n < 0) return -1;
    const long long width = row_width(layer);
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        if (!key_ok(layer, row)) return i;
        hash[i] = key_of(layer, row, extra ? extra[i] : 0, keys + i * (width + 1));
    }
    return n;
}

/* NumPy's floor division and the largest of an axis's divisors (ascending, 0-padded) that divides p
 * and is at most v (1 if none), as genome.py's largest_divisor */
static long long floor_div(long long a, long long b) {
    if (b == 0) return 0; /* NumPy gives 0 (with a warning) */
    if (b == -1) return (long long)(0ULL - (u64)a);
    const long long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static long long largest_divisor(const long long *divs, long long n_divs, long long p, long long v) {
    /* the divisors are ascending (then the padding): from the top, the first that fits is the
     * largest, and most often the first tried (a division only for those at most v) */
    for (long long j = n_divs - 1; j >= 0; j--) {
        const long long d = divs[j];
        if (d > 1 && d <= v && p % d == 0) return d;
    }
    return 1;
}

static long long clip(long long v, long long lo, long long hi) { return v < lo ? lo : (v > hi ? hi : v); }

static int space_ok(const cxm_layer *ly, const cxm_space *sp, long long n_divs) {
    if (!layer_ok(ly) || n_divs < 0 || sp->lo < 1 || sp->lo > sp->hi || sp->hi > ly->L || sp->pe_cap < 1) return 0;
    for (long long lv = 0; lv < ly->L; lv++) {
        const long long f = sp->first_allowed[lv];
        if (f < 0 || f >= ly->D || !sp->allowed[lv * CXM_MAX_AXES + f]) return 0;
        const long long *o = sp->order + lv * CXM_MAX_AXES;
        if (o[0] >= 0) {
            long long seen = 0;
            for (long long j = 0; j < ly->D; j++) {
                if (o[j] < 0 || o[j] >= ly->D || (seen >> o[j]) & 1) return 0;
                seen |= 1LL << o[j];
            }
        }
    }
    return 1;
}

/* genome.py _fit_pes for one row: shrink the free inner cluster sizes, largest first, until
 * their product fits the cap */
static void fit_pes(const cxm_layer *ly, const cxm_space *sp, const long long *divs, long long n_divs, long long *row) {
    const long long D = ly->D, stride = 2 + 2 * D;
    for (long long it = 0; it < 64 * ly->L; it++) {
        u64 prod = 1;
        for (long long lv = 1; lv < ly->L; lv++)
            if (row[0] > lv) prod *= (u64)row[1 + lv * stride + 1];
        long long at = -1, c = 0; /* the largest free live cluster above 1, the first of equals */
        for (long long lv = 1; lv < ly->L; lv++) {
            const long long cl = row[1 + lv * stride + 1];
            const long long cand = (sp->cluster[lv] == 0 && row[0] > lv && cl > 1) ? cl : 0;
            if (cand > c) {
                c = cand;
                at = lv;
            }
        }
        if (!((long long)prod > sp->pe_cap && c > 0)) return;
        const long long others = floor_div((long long)prod, c);
        const long long cap_share = floor_div(sp->pe_cap, others);
        long long new_c = c - 1 < cap_share ? c - 1 : cap_share;
        if (new_c < 1) new_c = 1;
        if (sp->divisors_only) {
            long long *b = row + 1 + at * stride;
            const long long s = b[0], parent = row[1 + (at - 1) * stride + 2 + s];
            new_c = largest_divisor(divs + s * n_divs, n_divs, ceil_div(parent, b[2 + s]), new_c);
        }
        row[1 + at * stride + 1] = new_c;
    }
}

/* genome.py repair_reference for one row, in place */
static void repair_row(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                       long long *row) {
    const long long D = layer->D, stride = 2 + 2 * D;
    row[0] = clip(row[0], space->lo, space->hi);
    const long long *parent = layer->sizes;
    for (long long lv = 0; lv < layer->L; lv++) {
        long long *b = row + 1 + lv * stride, *t = b + 2, *o = b + 2 + D;
        for (long long d = 0; d < D; d++) {
            t[d] = clip(t[d], 1, parent[d]);
            if (space->kernel[d]) t[d] = layer->sizes[d];
            else if (space->divisors_only) t[d] = largest_divisor(divs + d * n_divs, n_divs, parent[d], t[d]);
        }
        long long s = clip(b[0], 0, D - 1);
        if (!space->allowed[lv * CXM_MAX_AXES + s]) s = space->first_allowed[lv];
        b[0] = s;
        const long long *fixed = space->order + lv * CXM_MAX_AXES;
        if (fixed[0] >= 0) {
            for (long long j = 0; j < D; j++) o[j] = fixed[j];
        } else {
            long long seen = 0; /* a permutation of 0..D-1 stays, anything else is 0..D-1 */
            for (long long j = 0; j < D; j++)
                seen |= o[j] < 0 || o[j] >= D ? 1LL << CXM_MAX_AXES : 1LL << o[j];
            if (seen != (1LL << D) - 1)
                for (long long j = 0; j < D; j++) o[j] = j;
        }
        /* the cluster (genome.py _cluster) */
        if (lv == 0) b[1] = 1;
        else if (space->cluster[lv]) b[1] = space->cluster[lv];
        else {
            const long long cap = parent[s] < space->pe_cap ? parent[s] : space->pe_cap;
            long long c = clip(b[1], 1, cap);
            if (space->divisors_only) c = largest_divisor(divs + s * n_divs, n_divs, ceil_div(parent[s], t[s]), c);
            b[1] = c;
        }
        parent = t;
    }
    fit_pes(layer, space, divs, n_divs, row);
}

long long cxm_repair(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long n, long long *rows) {
    if (!space_ok(layer, space, n_divs) || n < 0) return -1;
    const long long width = row_width(layer);
    for (long long i = 0; i < n; i++) repair_row(layer, space, divs, n_divs, rows + i * width);
    return n;
}

/* ---- breeding (operators.py breed_reference; the draws' layout is documented there) ---- */

typedef struct {
    const cxm_layer *ly;
    const cxm_space *sp;
    const long long *divs;
    long long n_divs;
    long long free[CXM_MAX_AXES], nfree;
} breeder;

/* floor(u * m), u in [0, 1): one of 0..m-1 (m - 1 when rounding reaches m; any u is clipped) */
static long long pick(double u, long long m) {
    const double x = u * (double)m;
    if (!(x < (double)m)) return m - 1;
    return x >= 0.0 ? (long long)x : 0;
}

/* how many of axis d's divisors divide p, and the rank (0-based) of the largest at most v */
static long long n_divisors(const breeder *br, long long d, long long p, long long v, long long *rank) {
    const long long *dv = br->divs + d * br->n_divs;
    long long count = 0, at_most = 0;
    for (long long j = 0; j < br->n_divs; j++)
        if (dv[j] > 0 && p % dv[j] == 0) {
            count++;
            at_most += dv[j] <= v;
        }
    if (rank) *rank = at_most - 1;
    return count;
}

/* the k-th (0-based, clipped) of axis d's divisors that divide p; 1 if none */
static long long kth_divisor(const breeder *br, long long d, long long p, long long k) {
    const long long *dv = br->divs + d * br->n_divs;
    long long last = 1;
    for (long long j = 0; j < br->n_divs; j++)
        if (dv[j] > 0 && p % dv[j] == 0) {
            last = dv[j];
            if (k-- <= 0) return last;
        }
    return last;
}

static long long *tile_at(const breeder *br, long long *row, long long lv, long long d) {
    return row + 1 + lv * (2 + 2 * br->ly->D) + 2 + d;
}

/* the enclosing tile of axis d at level lv, clipped into 1..the axis's extent */
static long long parent_tile(const breeder *br, long long *row, long long lv, long long d) {
    return lv == 0 ? br->ly->sizes[d] : clip(*tile_at(br, row, lv - 1, d), 1, br->ly->sizes[d]);
}

static void new_tile(const breeder *br, long long *row, long long lv, long long d, const double *u, double local) {
    static const long long steps[4] = {-2, -1, 1, 2};
    const long long parent = parent_tile(br, row, lv, d), step = steps[pick(u[1], 4)];
    long long *t = tile_at(br, row, lv, d);
    const long long cur = clip(*t, 1, parent);
    const int near = u[0] < local;
    if (!br->sp->divisors_only) {
        const long long stepped = step > 0 && cur > parent - step ? parent : clip(cur + step, 1, parent);
        *t = near ? stepped : pick(u[2], parent) + 1;
        return;
    }
    long long rank;
    const long long count = n_divisors(br, d, parent, cur, &rank);
    *t = kth_divisor(br, d, parent, near ? clip(rank + step, 0, count - 1) : pick(u[2], count));
}

static void new_parallel(const breeder *br, long long *row, long long lv, const double *u) {
    const cxm_space *sp = br->sp;
    long long allowed[CXM_MAX_AXES], m = 0;
    for (long long d = 0; d < br->ly->D; d++)
        if (sp->allowed[lv * CXM_MAX_AXES + d]) allowed[m++] = d;
    long long *b = row + 1 + lv * (2 + 2 * br->ly->D);
    const long long s = m ? allowed[pick(u[0], m)] : sp->first_allowed[lv];
    b[0] = s;
    if (lv == 0) b[1] = 1;
    else if (sp->cluster[lv]) b[1] = sp->cluster[lv];
    else {
        const long long parent = parent_tile(br, row, lv, s), tile = clip(b[2 + s], 1, br->ly->sizes[s]);
        const long long cap = parent < sp->pe_cap ? parent : sp->pe_cap;
        if (!sp->divisors_only) b[1] = pick(u[1], cap) + 1;
        else {
            const long long ntiles = ceil_div(parent, tile);
            long long rank;
            n_divisors(br, s, ntiles, cap, &rank);
            b[1] = kth_divisor(br, s, ntiles, pick(u[1], rank + 1));
        }
    }
}

static void crossover_row(const breeder *br, long long *c, const long long *b, const double *u, const cxm_ops *ops) {
    const long long D = br->ly->D, L = br->ly->L, stride = 2 + 2 * D;
    if (u[0] < ops->crossover && br->nfree) {
        const long long d = br->free[pick(u[1], br->nfree)];
        for (long long lv = 0; lv < L; lv++) c[1 + lv * stride + 2 + d] = b[1 + lv * stride + 2 + d];
    }
    if (u[2] < ops->level_crossover) {
        const long long lv = pick(u[3], L);
        for (long long j = 0; j < stride; j++) c[1 + lv * stride + j] = b[1 + lv * stride + j];
    }
}

static void birth(const breeder *br, long long *c, long long lv, const double *u) {
    const long long D = br->ly->D;
    long long *b = c + 1 + lv * (2 + 2 * D), *o = b + 2 + D;
    for (long long d = 0; d < D; d++) b[2 + d] = 1;
    if (br->sp->order[lv * CXM_MAX_AXES] < 0) { /* a random order: the axes by their draws, stable */
        for (long long j = 0; j < D; j++) {
            long long at = j;
            while (at > 0 && u[o[at - 1]] > u[j]) {
                o[at] = o[at - 1];
                at--;
            }
            o[at] = j;
        }
    }
    c[0] = lv + 1;
    new_parallel(br, c, lv, u + D);
}

static void mutate_row(const breeder *br, long long *c, const double *u, const cxm_ops *ops) {
    const long long D = br->ly->D, stride = 2 + 2 * D, lo = br->sp->lo, hi = br->sp->hi;
    const long long nlev = clip(c[0], lo, hi);
    c[0] = nlev;
    for (long long k = 0; k < ops->tile_loci; k++, u += 6) {
        if (!(u[0] < ops->tile)) continue;
        const long long lv = pick(u[1], nlev), gene = pick(u[2], br->nfree + 1);
        if (gene == br->nfree) new_parallel(br, c, lv, u + 3);
        else new_tile(br, c, lv, br->free[gene], u + 3, ops->local);
    }
    if (u[0] < ops->order) {
        const long long lv = pick(u[1], nlev);
        if (br->sp->order[lv * CXM_MAX_AXES] < 0) {
            long long *o = c + 1 + lv * stride + 2 + D;
            const long long i = pick(u[2], D), j = (i + 1 + pick(u[3], D - 1)) % D, oi = o[i];
            o[i] = o[j];
            o[j] = oi;
        }
    }
    u += 4;
    if (u[0] < ops->parallel) new_parallel(br, c, pick(u[1], nlev), u + 2);
    u += 4;
    const int born = u[0] < ops->birth && nlev < hi;
    if (born) birth(br, c, nlev, u + 1);
    u += 3 + D;
    if (!born && u[0] < ops->death && nlev > lo) c[0] = nlev - 1;
}

long long cxm_breed_draws(long long D, long long tile_loci) {
    if (D < 1 || D > CXM_MAX_AXES || tile_loci < 0 || tile_loci > CXM_MAX_TILE_LOCI) return -1;
    return 16 + 6 * tile_loci + D;
}

/* cxm_breed's and cxm_breed_at's work: the parents of child i are rows ia[i], ib[i] of a and b
 * (i when ia, ib are NULL) */
static long long breed_rows(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                            const cxm_ops *ops, long long n, const long long *a, const long long *b,
                            const long long *ia, const long long *ib, const double *u, long long k, long long *out) {
    if (!space_ok(layer, space, n_divs) || n < 0 || k != cxm_breed_draws(layer->D, ops->tile_loci)) return -1;
    breeder br = {layer, space, divs, n_divs, {0}, 0};
    for (long long d = 0; d < layer->D; d++)
        if (!space->kernel[d]) br.free[br.nfree++] = d;
    const long long width = row_width(layer);
    for (long long i = 0; i < n; i++) {
        long long *c = out + i * width;
        const double *ui = u + i * k;
        const long long *pa = a + (ia ? ia[i] : i) * width, *pb = b + (ib ? ib[i] : i) * width;
        for (long long j = 0; j < width; j++) c[j] = pa[j];
        crossover_row(&br, c, pb, ui, ops);
        mutate_row(&br, c, ui + 4, ops);
        repair_row(layer, space, divs, n_divs, c);
    }
    return n;
}

long long cxm_breed(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                    const cxm_ops *ops, long long n, const long long *a, const long long *b, const double *u,
                    long long k, long long *out) {
    return breed_rows(layer, space, divs, n_divs, ops, n, a, b, 0, 0, u, k, out);
}

long long cxm_breed_at(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                       const cxm_ops *ops, long long n, const long long *rows, long long n_rows, const long long *ia,
                       const long long *ib, const double *u, long long k, long long *out) {
    if (n < 0 || n_rows < 0) return -1;
    for (long long i = 0; i < n; i++)
        if (ia[i] < 0 || ia[i] >= n_rows || ib[i] < 0 || ib[i] >= n_rows) return -1;
    return breed_rows(layer, space, divs, n_divs, ops, n, rows, rows, ia, ib, u, k, out);
}

static int power_of_two(long long v) { return v > 0 && (v & (v - 1)) == 0; }

/* one key into the set: 1 when new (appended to the store), 0 when in it, -1 when the table does
 * not belong to the store */
static int seen_insert(long long kw, const long long *key, u64 hash, long long *store, u64 *store_hash,
                       long long *count, long long *table, long long table_size) {
    const u64 mask = (u64)table_size - 1;
    u64 at = hash & mask;
    long long probes = 0;
    for (long long j; (j = table[at]) >= 0; at = (at + 1) & mask) {
        if (j >= *count || ++probes > table_size) return -1; /* not a table of this store */
        if (store_hash[j] != hash) continue;
        const long long *other = store + j * kw;
        long long c = 0;
        while (c < kw && other[c] == key[c]) c++;
        if (c == kw) return 0;
    }
    for (long long c = 0; c < kw; c++) store[*count * kw + c] = key[c];
    store_hash[*count] = hash;
    table[at] = (*count)++;
    return 1;
}

long long cxm_seen_add(long long kw, long long n, const long long *keys, const unsigned long long *hash,
                       long long *store, unsigned long long *store_hash, long long count, long long store_cap,
                       long long *table, long long table_size, long long *fresh) {
    if (kw < 1 || n < 0 || count < 0 || !power_of_two(table_size) || store_cap - count < n ||
        table_size / 2 < count + n)
        return -1;
    long long made = 0;
    for (long long i = 0; i < n; i++) {
        const int got = seen_insert(kw, keys + i * kw, hash[i], store, store_hash, &count, table, table_size);
        if (got < 0) return -1;
        if (got) fresh[made++] = i;
    }
    return made;
}

long long cxm_seen_rebuild(long long count, const unsigned long long *store_hash, long long *table,
                           long long table_size) {
    if (count < 0 || !power_of_two(table_size) || table_size / 2 < count) return -1;
    const u64 mask = (u64)table_size - 1;
    for (long long j = 0; j < count; j++) {
        u64 at = store_hash[j] & mask;
        long long probes = 0;
        while (table[at] != -1) {
            if (++probes > table_size) return -1; /* the table was not empty */
            at = (at + 1) & mask;
        }
        table[at] = j;
    }
    return count;
}

/* the structure of a row (genome.py FreeEncoding.structure): its levels and each live level's
 * parallel axis as digits of base D + 1 (wrapping as NumPy's int64 would) */
static long long structure_of(const cxm_layer *ly, const long long *row) {
    const u64 base = (u64)ly->D + 1;
    const long long nlev = row[0];
    u64 top = 1;
    for (long long lv = 0; lv < ly->L; lv++) top *= base;
    u64 out = (u64)nlev * top;
    for (long long lv = 0; lv < ly->L; lv++) {
        top /= base;
        if (nlev > lv) out += ((u64)row[1 + lv * (2 + 2 * ly->D)] + 1) * top;
    }
    return (long long)out;
}

/* whether estimated buffers fit the caps as cxm_score reads them (search.py _fits_estimate) */
static int fits(const cxm_calibration *cal, double l1, double l2) {
    const double low = 1.0 < cal->l2_low ? 1.0 : cal->l2_low; /* Python's min(l2_low, 1.0) */
    return !(cal->capped[1] && l1 > cal->cap[1]) && !(cal->capped[2] && l2 * low > cal->cap[2]);
}

long long cxm_screen(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                     long long *store, unsigned long long *store_hash, long long count, long long store_cap,
                     long long *table, long long table_size, long long *fresh, long long *out_rows,
                     long long *out_pes, long long *sig, double *runtime, double *l1, double *l2,
                     const cxm_calibration *cal, long long *slot, long long *added) {
    if (!layer_ok(layer) || n < 0 || count < 0 || !power_of_two(table_size) || store_cap - count < n ||
        table_size / 2 < count + n)
        return -1;
    const long long width = row_width(layer), kw = width + 1, count0 = count;
    long long inner;
    for (long long i = 0; i < n; i++) { /* every row checked before the set changes */
        if (!key_ok(layer, rows + i * width) || !row_ok(layer, rows + i * width, pes[i], &inner)) return -2 - i;
        fresh[i] = inner; /* kept until row i is screened (fresh[j] is written for j <= i only) */
    }
    long long where[CXM_N_ROLES];
    roles_of(layer, where);
    long long key[2 + CXM_MAX_LEVELS * (2 + 2 * CXM_MAX_AXES)];
    long long out = 0, fit = 0; /* returned so far, and of them those that fit */
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        inner = fresh[i];
        const u64 h = key_of(layer, row, pes[i], key);
        const int got = seen_insert(kw, key, h, store, store_hash, &count, table, table_size);
        if (got < 0) return -1;
        if (!got) continue;
        const long long q = pes[i] / inner, top = q > 1 ? q : 1;
        double a, b;
        buffers_of(layer, where, row, top, &a, &b);
        const int ok = !cal || fits(cal, a, b);
        if (!ok && fit > 0) continue; /* dropped: others fit */
        if (ok && fit == 0) out = 0;  /* the first that fits: those before it (none fit) dropped */
        fit += ok;
        fresh[out] = i;
        for (long long c = 0; c < width; c++) out_rows[out * width + c] = row[c];
        out_pes[out] = pes[i];
        sig[out] = structure_of(layer, row);
        l1[out] = a;
        l2[out] = b;
        if (slot) slot[out] = count - 1; /* its key, the set's last */
        if (runtime) {
            if (ok) runtime_of(layer, row, top, runtime + out, 0);
            else runtime[out] = NAN; /* for now: estimated below if none fits */
        }
        out++;
    }
    if (runtime && fit == 0) /* none fits: every one is returned, estimated */
        for (long long j = 0; j < out; j++) {
            const long long *row = out_rows + j * width;
            row_ok(layer, row, out_pes[j], &inner);
            const long long q = out_pes[j] / inner, top = q > 1 ? q : 1;
            runtime_of(layer, row, top, runtime + j, 0);
        }
    if (added) *added = count - count0;
    return out;
}

/* NumPy's maximum (a NaN of either wins) and its float order (NaN last) */
static double np_maximum(double a, double b) { return (a >= b || a != a) ? a : b; }
static int np_less(double a, double b) { return a < b || (b != b && a == a); }

/* np.searchsorted(v, x, side="right") over n doubles ascending in NumPy's order */
static long long after(const double *v, long long n, double x) {
    long long lo = 0, hi = n;
    while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2;
        if (np_less(x, v[mid])) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* the position of x among n ascending int64s, -1 when absent */
static long long find(const long long *v, long long n, long long x) {
    long long lo = 0, hi = n;
    while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? lo : -1;
}

long long cxm_score(const cxm_calibration *cal, long long n, const long long *pes, const long long *sig,
                    const double *est, const double *l1, const double *l2, const long long *fresh,
                    const double *parent_gap, const double *parent_ratio, long long n_parents, long long *keep,
                    double *ratio, double *score) {
    if (n < 0 || cal->resource < 0 || cal->resource > 2 || cal->n_ratios < -1 || cal->n_counts < -1 ||
        cal->n_reference < -1 || ((parent_gap || parent_ratio) && !fresh))
        return -1;
    if (parent_gap || parent_ratio)
        for (long long i = 0; i < n; i++)
            if (fresh[i] < 0 || fresh[i] >= n_parents) return -1;
    long long m = 0;
    for (long long i = 0; i < n; i++)
        if (fits(cal, l1[i], l2[i])) keep[m++] = i;
    if (m == 0 || m == n) {
        for (long long i = 0; i < n; i++) keep[i] = i;
        m = n;
    }
    int any_finite = 0;
    for (long long j = 0; j < m; j++) {
        const long long i = keep[j];
        const long long at = cal->n_ratios > 0 ? find(cal->ratio_sig, cal->n_ratios, sig[i]) : -1;
        double r = at >= 0 ? cal->ratio_median[at] : cal->base;
        if (parent_ratio && at < 0 && isfinite(parent_ratio[fresh[i]])) r = parent_ratio[fresh[i]];
        ratio[j] = r;
        score[j] = est[i] * r; /* the calibrated estimate, for now */
        any_finite |= isfinite(score[j]);
    }
    if (!any_finite) {
        for (long long j = 0; j < m; j++) score[j] = parent_gap ? parent_gap[fresh[keep[j]]] : 0.0;
        return m;
    }
    for (long long j = 0; j < m; j++) {
        const long long i = keep[j];
        const double e = score[j];
        const double values[3] = {(double)pes[i], l1[i], l2[i] * cal->l2_median};
        double ref = INFINITY;
        if (cal->n_reference >= 0) {
            const long long pos = after(cal->reference_res, cal->n_reference, values[cal->resource]) - 1;
            if (pos >= 0) ref = cal->reference_best[pos];
        }
        double rate = 1.0;
        if (cal->n_counts > 0) {
            const long long at = find(cal->count_sig, cal->n_counts, sig[i]);
            if (at >= 0) rate = (cal->count_valid[at] + 1.0) / ((double)cal->count_n[at] + 1.0);
        }
        const double pred = e / (isfinite(ref) ? ref : e) / rate;
        double over = 0.0;
        for (int k = 0; k < 3; k++)
            if (cal->capped[k]) over = np_maximum(over, values[k] / cal->cap[k] - 1.0);
        score[j] = over > 0 ? 10.0 + over : pred;
    }
    return m;
}

/* a stable merge sort of the indices idx[0..n) by less(ctx, a, b), through tmp (n) */
typedef int (*index_less)(const void *ctx, long long a, long long b);

static void merge_sort(long long *idx, long long *tmp, long long n, index_less less, const void *ctx) {
    for (long long i = 1; i < n; i++) { /* runs of 8 by insertion first */
        if (i % 8 == 0) continue;
        const long long v = idx[i];
        long long j = i;
        while (j % 8 != 0 && less(ctx, v, idx[j - 1])) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    long long *src = idx, *dst = tmp;
    for (long long width = 8; width < n; width *= 2) {
        for (long long lo = 0; lo < n; lo += 2 * width) {
            const long long mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            long long a = lo, b = mid, k = lo;
            while (a < mid && b < hi) dst[k++] = less(ctx, src[b], src[a]) ? src[b++] : src[a++];
            while (a < mid) dst[k++] = src[a++];
            while (b < hi) dst[k++] = src[b++];
        }
        long long *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        for (long long i = 0; i < n; i++) idx[i] = src[i];
}

typedef struct {
    const long long *sig;
    const double *value;
} sig_value;

static int by_sig_value(const void *ctx, long long a, long long b) { /* np.lexsort((value, sig)) */
    const sig_value *c = ctx;
    if (c->sig[a] != c->sig[b]) return c->sig[a] < c->sig[b];
    return c->value ? np_less(c->value[a], c->value[b]) : 0;
}

static int by_value(const void *ctx, long long a, long long b) {
    const double *v = ctx;
    return np_less(v[a], v[b]);
}

/* np.median of v[0..n) (reordered; NaN if any is NaN) */
static double median_of(double *v, long long *idx, long long *tmp, long long n) {
    for (long long i = 0; i < n; i++) {
        if (v[i] != v[i]) return NAN;
        idx[i] = i;
    }
    merge_sort(idx, tmp, n, by_value, v);
    const long long h = n / 2;
    return n % 2 ? v[idx[h]] : (v[idx[h - 1]] + v[idx[h]]) / 2.0;
}

/* search.py _ratio: the median of actual / estimated over the points whose estimate is finite
 * and positive and whose status is ok, when there are 5 or more; else the default */
static double ratio_of(long long n, const double *actual, const double *estimated, const unsigned char *status,
                       unsigned char ok, double fallback, double *work, long long *idx, long long *tmp) {
    long long m = 0;
    for (long long i = 0; i < n; i++)
        if (isfinite(estimated[i]) && status[i] == ok && estimated[i] > 0) work[m++] = actual[i] / estimated[i];
    return m >= 5 ? median_of(work, idx, tmp, m) : fallback;
}

long long cxm_calibrate(long long n, const double *cost, const double *estimate, const unsigned char *status,
                        unsigned char ok, const double *l2, const double *l2_estimate, const long long *sig,
                        const unsigned char *physical, const unsigned char *valid, const double *resource,
                        double *work, long long *idx, long long *tmp, cxm_calibration *out, long long *ratio_sig,
                        double *ratio_median, long long *count_sig, long long *count_n, double *count_valid,
                        double *reference_res, double *reference_best) {
    if (n < 0) return -1;
    out->base = ratio_of(n, cost, estimate, status, ok, 1.0, work, idx, tmp);
    out->l2_median = ratio_of(n, l2, l2_estimate, status, ok, 0.75, work, idx, tmp);
    /* per structure: the lower median ratio among its ok points (estimate finite and positive) */
    out->n_ratios = out->n_counts = out->n_reference = -1;
    out->ratio_sig = ratio_sig;
    out->ratio_median = ratio_median;
    out->count_sig = count_sig;
    out->count_n = count_n;
    out->count_valid = count_valid;
    out->reference_res = reference_res;
    out->reference_best = reference_best;
    if (sig && n > 0) {
        long long m = 0;
        for (long long i = 0; i < n; i++) {
            work[i] = cost[i] / estimate[i];
            if (isfinite(estimate[i]) && status[i] == ok && estimate[i] > 0) idx[m++] = i;
        }
        if (m > 0) {
            const sig_value c = {sig, work};
            merge_sort(idx, tmp, m, by_sig_value, &c);
            long long k = 0;
            for (long long a = 0; a < m;) {
                long long b = a;
                while (b < m && sig[idx[b]] == sig[idx[a]]) b++;
                ratio_sig[k] = sig[idx[a]];
                ratio_median[k++] = work[idx[a + (b - a - 1) / 2]];
                a = b;
            }
            out->n_ratios = k;
        }
        for (long long i = 0; i < n; i++) idx[i] = i;
        const sig_value c = {sig, 0};
        merge_sort(idx, tmp, n, by_sig_value, &c);
        long long k = 0;
        for (long long a = 0; a < n;) {
            long long b = a;
            double v = 0.0;
            while (b < n && sig[idx[b]] == sig[idx[a]]) v += physical[idx[b++]] ? 1.0 : 0.0;
            count_sig[k] = sig[idx[a]];
            count_n[k] = b - a;
            count_valid[k++] = v;
            a = b;
        }
        out->n_counts = k;
    }
    /* the least ratio of engine to estimated L2 (NaN if any is), 0.25 before any */
    double low = 0.25;
    int any = 0;
    for (long long i = 0; i < n; i++) {
        if (!(isfinite(l2_estimate[i]) && status[i] == ok)) continue;
        const double r = l2[i] / l2_estimate[i];
        if (!any || r != r || (low == low && r < low)) low = r;
        any = 1;
    }
    out->l2_low = low;
    /* the valid points' resource ascending, and the least objective up to each */
    long long m = 0;
    for (long long i = 0; i < n; i++)
        if (valid[i]) idx[m++] = i;
    if (m > 0) {
        merge_sort(idx, tmp, m, by_value, resource);
        double best = 0.0;
        for (long long j = 0; j < m; j++) {
            const double v = cost[idx[j]];
            best = j == 0 ? v : ((best <= v || best != best) ? best : v); /* np.minimum: a NaN wins */
            reference_res[j] = resource[idx[j]];
            reference_best[j] = best;
        }
        out->n_reference = m;
    }
    return n;
}

/* a stable LSD radix sort of n (key, index) pairs by key, through tmp (n): every digit's
 * histogram in one pass, then a pass a byte where the keys differ */
typedef struct {
    u64 key;
    long long at;
} keyed;

static void radix_sort(keyed *v, keyed *tmp, long long n) {
    enum { bytes = 8 };
    long long count[bytes][256];
    memset(count, 0, sizeof count);
    for (long long j = 0; j < n; j++)
        for (int d = 0; d < bytes; d++) count[d][(v[j].key >> (8 * d)) & 255]++;
    keyed *src = v, *dst = tmp;
    for (int d = 0; d < bytes && n > 1; d++) {
        long long *c = count[d];
        if (c[(src[0].key >> (8 * d)) & 255] == n) continue; /* one digit: nothing moves */
        long long sum = 0;
        for (int x = 0; x < 256; x++) {
            const long long t = c[x];
            c[x] = sum;
            sum += t;
        }
        for (long long j = 0; j < n; j++) dst[c[(src[j].key >> (8 * d)) & 255]++] = src[j];
        keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

/* a double's key in NumPy's sort order: -0.0 as 0.0, every NaN last and alike */
static u64 float_key(double x) {
    if (x != x) return ~0ULL;
    if (x == 0.0) x = 0.0;
    u64 b;
    memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : b | (1ULL << 63);
}

/* the k-th smallest (0-based, k < n) of n keys, reordering them */
static u64 kth_key(u64 *v, long long n, long long k) {
    long long lo = 0, hi = n - 1;
    while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2; /* median of three as the pivot */
        u64 a = v[lo], b = v[mid], c = v[hi];
        const u64 pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        long long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                const u64 t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return v[k];
    }
    return v[k];
}

long long cxm_top(long long n, const double *score, const long long *sig, long long k, long long cap, long long *top,
                  long long *work) {
    if (n < 0 || k < 0 || cap < 1) return -1;
    keyed *order = (keyed *)work, *tmp = (keyed *)(work + 2 * n), *by = (keyed *)(work + 4 * n);
    long long *rank = work + 6 * n;
    if (k > n) k = n;
    for (long long i = 0; i < n; i++) {
        order[i].key = float_key(score[i]);
        order[i].at = i;
    }
    if ((!sig || cap >= k) && k < n / 4) { /* the first k only: those below the k-th key, then ties */
        if (k == 0) return 0;
        u64 *keys = (u64 *)tmp;
        for (long long i = 0; i < n; i++) keys[i] = order[i].key;
        const u64 kth = kth_key(keys, n, k - 1);
        long long below = 0, m = 0;
        for (long long i = 0; i < n; i++) below += order[i].key < kth;
        long long ties = k - below; /* of the k-th key, the first ones in index order */
        for (long long i = 0; i < n && m < k; i++)
            if (order[i].key < kth || (order[i].key == kth && ties-- > 0)) order[m++] = order[i];
        radix_sort(order, tmp, m);
        for (long long j = 0; j < m; j++) top[j] = order[j].at;
        return m;
    }
    radix_sort(order, tmp, n);
    if (!sig || cap >= k || n <= k) {
        for (long long j = 0; j < k; j++) top[j] = order[j].at;
        return k;
    }
    /* each position's rank among those of its structure before it */
    for (long long p = 0; p < n; p++) {
        by[p].key = (u64)sig[order[p].at] ^ (1ULL << 63);
        by[p].at = p;
    }
    radix_sort(by, tmp, n);
    for (long long a = 0; a < n;) {
        long long b = a;
        while (b < n && by[b].key == by[a].key) b++;
        for (long long j = a; j < b; j++) rank[by[j].at] = j - a;
        a = b;
    }
    long long m = 0;
    for (long long p = 0; p < n && m < k; p++)
        if (rank[p] < cap) top[m++] = order[p].at;
    for (long long p = 0; p < n && m < k; p++)
        if (rank[p] >= cap) top[m++] = order[p].at;
    return m;
}

long long cxm_energy(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                     const double *k, double *energy) {
    if (!layer_ok(layer) || n < 0) return -1;
    long long where[CXM_N_ROLES];
    roles_of(layer, where);
    const long long width = row_width(layer);
    int strided = 0;
    for (long long d = 0; d < layer->D; d++) strided |= layer->out_strides[d] > 1;
    for (long long i = 0; i < n; i++) {
        const long long *row = rows + i * width;
        long long inner;
        if (!row_ok(layer, row, pes[i], &inner)) return i;
        double t[3];
        traffic_of(layer, where, row, pes[i], inner, t);
        double macs = k[0];
        if (strided) { /* MAESTRO counts a strided output tile's MACs at its stride-1 size */
            const long long q = pes[i] / inner, top = q > 1 ? q : 1;
            double rt, ph;
            runtime_of(layer, row, top, &rt, &ph);
            macs = macs * rt / ph;
        }
        double l2 = t[0] + k[1] + t[1] + k[2] + t[2];
        const double l1 = macs + t[0] + macs + t[1] + macs + macs;
        if (k[7] != 0.0) {
            energy[i] = k[6] * l2 + (row[0] == 1 ? k[5] * l1 : 0.0);
        } else {
            l2 = l2 + k[3];
            energy[i] = k[4] * macs + k[5] * l1 + k[6] * l2;
        }
    }
    return n;
}
