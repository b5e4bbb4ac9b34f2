/* confuciux general cost engine: MAESTRO 4eb08d1's analysis of any dataflow program.
 *
 * A port of the Python reference (src/confuciux/cost/engine/, docs/engine.md), pass by pass and
 * function by function: each static function below names the reference function it ports, and
 * MAESTRO's quirks are explained there, once.  Bit for bit: the same integer operations in the
 * same order, each checked where the reference checks it (64-bit `long` sums and products,
 * 32-bit `int` sizes; a failed check is CXE_OVERFLOW), the same floating operations in the same
 * order (built with -ffp-contract=off).  Where the reference stops (its Stop exception) this
 * code longjmps to the point's handler with the same status.
 *
 * What depends on what (docs/engine.md): a layer's program bound for a design is compiled once
 * (completed levels, static tiles), shared by every design that binds it the same way (a
 * program that does not use ClusterSz and KTileSz binds the same for every design); a level
 * below the top depends only on its compiled program and the tile it is handed, so its analysis
 * is memoised per compiled program, across designs; only the top level, whose number of
 * sub-clusters is P's, is analysed per design. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define CXE_NAME_TABLES
#include "engine.h"

typedef int64_t i64;
typedef __int128 i128;
typedef unsigned __int128 u128;

#define I32MAX 2147483647LL
#define ND CXE_N_DIMS
#define BIT(d) (1u << (d))
#define MAX_LEVELS 4       /* MAESTRO's NoCs: one per cluster level */
#define MAX_CASES (1 << 24) /* the reference's cases.MAX_CASES */
#define OOM 255            /* not a status: the call fails (-3) */
#define MAX_DIRECTIVES (1 << 20)  /* a longer program is malformed input */

enum { INIT, STEADY, EDGE };        /* a map's position (cases.py) */
enum { T_IN, T_FILT, T_OUT, NT };   /* tensors (analysis.py's INPUT, FILTER, OUTPUT) */
enum { OVL_X = 1, OVL_Y = 2 };      /* sliding windows: X over S, Y over R */
enum { D_X = CXE_DIM_X, D_Y = CXE_DIM_Y, D_R = CXE_DIM_R, D_S = CXE_DIM_S,
       D_XO = CXE_DIM_X_OUT, D_YO = CXE_DIM_Y_OUT };

const char *cxe_dim_name(int i) { return i >= 0 && i < CXE_N_DIMS ? cxe_dim_names[i] : ""; }
const char *cxe_status_name(int i)
{
    static const char *const names[] = {"OK", "IMPOSSIBLE", "INVALID", "SIGFPE", "CRASH", "REFUSED", "OVERFLOW",
                                        "UNDEFINED"};
    _Static_assert(sizeof names / sizeof names[0] == CXE_N_STATUSES, "a name for every status");
    return i >= 0 && i < CXE_N_STATUSES ? names[i] : "";
}
const char *cxe_output_name(int i) { return i >= 0 && i < CXE_N_OUTPUTS ? cxe_output_names[i] : ""; }

/* ---- scratch memory: chunks kept for the whole call, bump-allocated, released to a mark ---- */

typedef struct chunk { struct chunk *next; size_t cap, used; _Alignas(16) unsigned char data[]; } chunk;
typedef struct { chunk *head, *cur; size_t live; } arena;  /* live: bytes since the last reset */
typedef struct { chunk *cur; size_t used, live; } amark;

typedef struct ctx {
    jmp_buf *jb;
    int status;
    arena *tmp;     /* per analysis: states, cases */
    i64 simd, noc_bw, latency, offchip_bw;
} ctx;

static _Noreturn void fail(ctx *c, int status)
{
    c->status = status;
    longjmp(*c->jb, 1);
}

static void *aalloc(ctx *c, arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->cur && a->head) {  /* released to the very beginning */
        a->cur = a->head;
        a->cur->used = 0;
    }
    for (;;) {
        if (a->cur && a->cur->cap - a->cur->used >= n) break;
        if (a->cur && a->cur->next && a->cur->next->cap >= n) {  /* a spare chunk, released before */
            a->cur = a->cur->next;
            a->cur->used = 0;
            continue;
        }
        size_t cap = n > ((size_t)1 << 16) ? n : ((size_t)1 << 16);
        if (cap > SIZE_MAX - sizeof(chunk)) fail(c, OOM);
        chunk *k = malloc(sizeof(chunk) + cap);
        if (!k) fail(c, OOM);
        k->cap = cap;
        k->used = 0;
        if (a->cur) { k->next = a->cur->next; a->cur->next = k; }
        else { k->next = a->head; a->head = k; }
        a->cur = k;
    }
    void *p = a->cur->data + a->cur->used;
    a->cur->used += n;
    a->live += n;
    return p;
}
static amark amark_of(const arena *a) { amark m = {a->cur, a->cur ? a->cur->used : 0, a->live}; return m; }
static void arelease(arena *a, amark m)
{
    a->cur = m.cur;
    if (a->cur) a->cur->used = m.used;
    a->live = m.live;
}
static void afree(arena *a)
{
    for (chunk *k = a->head, *n; k; k = n) { n = k->next; free(k); }
    a->head = a->cur = NULL;
    a->live = 0;
}

/* ---- MAESTRO's arithmetic (quirks.py) ---- */

static inline i64 add(ctx *c, i64 a, i64 b)
{
    i64 r;
    if (__builtin_add_overflow(a, b, &r)) fail(c, CXE_OVERFLOW);
    return r;
}
static inline i64 mul(ctx *c, i64 a, i64 b)
{
    i64 r;
    if (__builtin_mul_overflow(a, b, &r)) fail(c, CXE_OVERFLOW);
    return r;
}
/* i32(): the value of a 128-bit expression if it fits MAESTRO's int */
static inline i64 i32(ctx *c, i128 v)
{
    if (v < -I32MAX - 1 || v > I32MAX) fail(c, CXE_OVERFLOW);
    return (i64)v;
}
/* i64() of a 128-bit expression */
static inline i64 n64(ctx *c, i128 v)
{
    if (v < INT64_MIN || v > INT64_MAX) fail(c, CXE_OVERFLOW);
    return (i64)v;
}
/* C's truncating division: a zero divisor is SIGFPE, LONG_MIN / -1 an overflow */
static inline i64 cdiv(ctx *c, i64 a, i64 b)
{
    if (b > 0 && a >= 0) {  /* the usual case: no division below the divisor, 32 bits when they fit */
        if (a < b) return 0;
        if (((uint64_t)a | (uint64_t)b) >> 32 == 0) return (i64)((uint32_t)a / (uint32_t)b);
        return a / b;
    }
    if (b == 0) fail(c, CXE_SIGFPE);
    if (b == -1) { if (a == INT64_MIN) fail(c, CXE_OVERFLOW); return -a; }
    return a / b;
}
static inline i64 min64(i64 a, i64 b) { return a < b ? a : b; }
static inline i64 max64(i64 a, i64 b) { return a > b ? a : b; }

/* (long) ceil((double) a / (double) b) */
static inline i64 ceil_div_double(ctx *c, i64 a, i64 b)
{
    double q = ceil((double)a / (double)b);
    if (!(q >= -9223372036854775808.0 && q < 9223372036854775808.0)) fail(c, CXE_OVERFLOW);
    return (i64)q;
}

/* C's a / 2 (no failure possible) */
static inline i64 half(i64 a) { return a / 2; }

/* noc_delay(): latency - 1 + ceil-ish(volume / bandwidth), bandwidth >= 1 */
static inline i64 noc_delay(ctx *c, i64 volume, i64 bandwidth, i64 latency)
{
    i64 sends = cdiv(c, volume, bandwidth);
    if (volume - sends * bandwidth != 0) sends += 1;  /* cmod(); |sends| <= 2^62 when bandwidth >= 2 */
    return add(c, latency - 1, sends);
}

/* C's float division as the reference's _fdiv/_div: x/0 is +-inf by x's sign, 0/0 NaN */
static inline double fdiv(double a, double b)
{
    if (b == 0) return (a == 0 || isnan(a)) ? NAN : copysign(INFINITY, a);
    return a / b;
}

/* ---- dimension tables (dims.py) ---- */

typedef struct {
    i64 size[ND], stride[ND];  /* 0 where absent, so that equal tables compare equal bytewise */
    uint32_t has;              /* dimensions present */
    uint32_t ovl;              /* OVL_X, OVL_Y: the sliding windows */
} dims_t;

static inline i64 dsize(ctx *c, const dims_t *t, int d)
{
    if (d < 0 || !(t->has & BIT(d))) fail(c, CXE_REFUSED);  /* MAESTRO's MissingDimension */
    return t->size[d];
}
static inline i64 dstride(ctx *c, const dims_t *t, int d)
{
    if (d < 0 || !(t->has & BIT(d))) fail(c, CXE_REFUSED);
    return t->stride[d];
}
/* first entry of a name wins (dims_of) */
static inline void dput(dims_t *t, int d, i64 size, i64 stride)
{
    if (t->has & BIT(d)) return;
    t->has |= BIT(d);
    t->size[d] = size;
    t->stride[d] = stride;
}
static inline int overlapped(const dims_t *t, int d)
{
    return ((d == D_X || d == D_S) && (t->ovl & OVL_X)) || ((d == D_Y || d == D_R) && (t->ovl & OVL_Y));
}
static inline int is_reference(const dims_t *t, int d)
{
    return (d == D_X && (t->ovl & OVL_X)) || (d == D_Y && (t->ovl & OVL_Y));
}
static inline int counterpart(const dims_t *t, int d)
{
    if (t->ovl & OVL_X) { if (d == D_X) return D_S; if (d == D_S) return D_X; }
    if (t->ovl & OVL_Y) { if (d == D_Y) return D_R; if (d == D_R) return D_Y; }
    return -1;
}

/* ---- the layer (problem.py, computed by the binding) ---- */

typedef struct {
    i64 dims[ND];             /* declared sizes, 0 where not declared */
    i64 sy, sx;
    int windows;
    int8_t coupled[NT][CXE_MAX_COUPLED];
    int n_coupled[NT];
    uint32_t mask[NT];        /* the coupled dimensions as a set */
    uint32_t vars;            /* input_vars: the input and filter dimensions */
    u128 bound[4];            /* work, input_used, filter_size, output_size */
} problem_t;

/* ---- levels (levels.py) ---- */

typedef struct { i64 size, ofs; int dim, spatial; } dir_t;

typedef struct {
    i64 m[ND], u[ND], me[ND], ue[ND];  /* 0 where absent, as Tiles reads a missing dimension */
    uint32_t m_has;                    /* dimensions in Tiles.mapped */
} tiles_t;

typedef struct {
    int index, n_maps, spatial;  /* spatial: the first spatial map */
    i64 size, edge_clusters;     /* the top level's are the design's */
    dir_t *maps;
    dims_t dims;                 /* the static table */
    int32_t first[ND], last[ND];  /* first and last map of each dimension, -1 */
    tiles_t tiles;
    /* per tensor, for the volumes: the maps of its dimensions (in map order), the coupled
     * dimensions whose first map is spatial (in coupled order), the first coupled dimension
     * without a map (-1: none); the maps of the dimensions the output is not coupled to */
    int32_t *cmaps[3], n_cmaps[3], *omaps, n_omaps;
    int8_t spd[3][CXE_MAX_COUPLED];
    int n_spd[3], unmapped[3];
} level_t;

/* A directive of a bound program. */
typedef struct { i64 size, ofs; int kind, dim; } bound_t;

/* The result of an inner level's analysis that the level above reads: its runtime, average
 * active sub-clusters, and the L1 sizes of its leaf (LevelResult.leaf); status != -1: the
 * analysis stopped there (the same for every design that hands down this tile). */
typedef struct memo_entry {
    dims_t dims;
    int index, status;
    i64 runtime;
    double avg_active;
    i64 leaf_l1[NT];
} memo_entry;

typedef struct {
    memo_entry **slots;
    size_t cap, n;
} memo_t;

/* One layer's program bound for a design and compiled: the completed levels with their tiles.
 * err_pre: where the reference stops before the top level's P-dependent checks (every design
 * that binds this way); err_post: after them; -1 when it does not.  The top level's size and
 * edge sub-clusters are filled per design. */
struct top_t;

typedef struct {
    int err_pre, err_post, n_levels;
    i64 uppermost, pes_key, buf_key;
    level_t lv[MAX_LEVELS];
    memo_t memo;
    struct top_t *top;  /* the top level's cache across designs (made at the second design) */
    int uses;           /* designs evaluated on this program */
} prog_t;

static uint32_t map_mask(const dir_t *maps, int n)
{
    uint32_t m = 0;
    for (int i = 0; i < n; i++) m |= BIT(maps[i].dim);
    return m;
}
static int first_of(const dir_t *maps, int n, int d)
{
    for (int i = 0; i < n; i++)
        if (maps[i].dim == d) return i;
    return -1;
}

/* top_dims(): every declared dimension with its stride; a convolution's output coordinates
 * (unstrided: MAESTRO sizes them before it applies any stride) */
static void top_dims(const problem_t *pb, dims_t *t)
{
    memset(t, 0, sizeof *t);
    for (int d = 0; d < ND; d++)
        if (pb->dims[d]) dput(t, d, pb->dims[d], d == D_X ? pb->sx : d == D_Y ? pb->sy : 1);
    if (pb->windows) {
        dput(t, D_XO, pb->dims[D_X] - pb->dims[D_S] + 1, pb->sx);
        dput(t, D_YO, pb->dims[D_Y] - pb->dims[D_R] + 1, pb->sy);
        t->ovl = OVL_X | OVL_Y;
    }
}

/* convert_output_coordinates() */
static void convert_output_coordinates(ctx *c, dir_t *maps, int n)
{
    i64 last[ND] = {0};
    uint32_t has = 0;
    for (int i = 0; i < n; i++) { last[maps[i].dim] = maps[i].size; has |= BIT(maps[i].dim); }
    static const int pairs[2][3] = {{D_X, D_XO, D_S}, {D_Y, D_YO, D_R}};
    for (int p = 0; p < 2; p++) {
        int in = pairs[p][0], out = pairs[p][1], kernel = pairs[p][2];
        if ((has & BIT(in)) || !(has & BIT(out))) continue;
        if (!(has & BIT(kernel))) fail(c, CXE_UNDEFINED);
        int i = first_of(maps, n, out);
        maps[i].dim = in;
        maps[i].size = i32(c, (i128)last[out] + last[kernel] - 1);
    }
}

/* convert_remaining_output_coordinates() */
static void convert_remaining_output_coordinates(ctx *c, dir_t *maps, int n)
{
    i64 last[ND] = {0};
    uint32_t has = 0;
    for (int i = 0; i < n; i++) { last[maps[i].dim] = maps[i].size; has |= BIT(maps[i].dim); }
    for (int i = 0; i < n; i++) {
        if (maps[i].dim == D_XO) {
            if (!(has & BIT(D_S))) fail(c, CXE_UNDEFINED);
            maps[i].dim = D_X;
            maps[i].size = i32(c, (i128)maps[i].size + last[D_S] - 1);
        } else if (maps[i].dim == D_YO) {
            maps[i].dim = D_Y;
            maps[i].size = i32(c, (i128)maps[i].size + ((has & BIT(D_R)) ? last[D_R] : 0) - 1);
        }
    }
}

/* inherit() then unroll(): maps becomes [inherited in reverse order, user maps, unrolled];
 * `out` has room for n + 2 * ND maps.  Returns the new count. */
static int inherit_and_unroll(ctx *c, const dir_t *prev, int n_prev, const dir_t *user, int n,
                              uint32_t vars, const dims_t *dims, dir_t *out)
{
    uint32_t has = map_mask(user, n);
    dir_t inherited[ND];
    int k = 0;
    for (int i = 0; i < n_prev; i++) {
        if (has & BIT(prev[i].dim)) continue;
        has |= BIT(prev[i].dim);
        inherited[k++] = (dir_t){prev[i].size, prev[i].ofs, prev[i].dim, 0};
    }
    int m = 0;
    for (int i = k - 1; i >= 0; i--) out[m++] = inherited[i];
    for (int i = 0; i < n; i++) out[m++] = user[i];
    for (int d = 0; d < ND; d++) {
        if (!(vars & BIT(d)) || (has & BIT(d)) || !(dims->has & BIT(d))) continue;
        i64 size = dsize(c, dims, d);
        out[m++] = (dir_t){size, size, d, 0};
        has |= BIT(d);
    }
    return m;
}

/* apply_outer_stride() */
static void apply_outer_stride(ctx *c, int top, dir_t *maps, int n, const dims_t *dims, const dims_t *full)
{
    dir_t orig_small[64];
    dir_t *orig = n <= 64 ? orig_small : aalloc(c, c->tmp, (size_t)n * sizeof *orig);
    memcpy(orig, maps, (size_t)n * sizeof *orig);
    for (int j = 0; j < n; j++) {
        const dir_t *d = &orig[j];
        i64 stride = dstride(c, dims, d->dim);
        if (!(is_reference(dims, d->dim) && stride != 1)) continue;
        i64 kernel = dsize(c, full, counterpart(dims, d->dim));
        dsize(c, dims, d->dim);
        if (d->size < kernel) continue;
        i64 rows = cdiv(c, i32(c, (i128)d->size + stride - kernel), stride);
        i64 size = i32(c, (i128)rows * min64(stride, kernel) + max64(kernel - stride, 0));
        i64 ofs = i32(c, (i128)rows * (!top && kernel < stride ? kernel : stride));
        int i = first_of(maps, n, d->dim);
        maps[i].size = size;
        maps[i].ofs = ofs;
    }
}

/* edge_clusters() */
static i64 edge_clusters(ctx *c, i64 extent, i64 size, i64 ofs, i64 n)
{
    i64 full = i32(c, (i128)ofs * (n - 1) + size), count;
    if (extent > full) {
        i64 steady = cdiv(c, cdiv(c, extent - size, ofs) + 1, n) - 1;
        i64 remaining = i32(c, (i128)extent - (i128)(steady + 1) * ofs * n);
        count = remaining < size ? 1 : cdiv(c, remaining - size, ofs) + 1;
    } else if (extent > size) {
        count = cdiv(c, extent - size, ofs) + 1;
        if ((i128)ofs * (count - 1) + size < extent) count += 1;
    } else {
        count = 1;
    }
    return extent <= size ? 1 : count;
}

/* unit(), the part before the P-dependent checks: the spatial maps, the sizes MAESTRO reads */
static void unit_pre(ctx *c, level_t *L)
{
    int n_spatial = 0, sp = -1;
    for (int i = 0; i < L->n_maps; i++)
        if (L->maps[i].spatial) { n_spatial++; if (sp < 0) sp = i; }
    if (n_spatial > 2 || n_spatial == 0) fail(c, CXE_REFUSED);
    L->spatial = sp;
    for (int i = sp; i < L->n_maps; i++)
        if (!L->maps[i].spatial) dsize(c, &L->dims, L->maps[i].dim);
    dsize(c, &L->dims, L->maps[sp].dim);
}
/* ... the part that depends on the level's size (P's at the top): its edge sub-clusters */
static i64 unit_size(ctx *c, const level_t *L, i64 size)
{
    const dir_t *sp = &L->maps[L->spatial];
    i64 extent = L->dims.size[sp->dim];
    cdiv(c, extent, i32(c, (i128)sp->ofs * size));
    return edge_clusters(c, extent, sp->size, sp->ofs, size);
}
/* ... and the last check */
static void unit_post(ctx *c, const level_t *L)
{
    for (int d = 0; d < ND; d++)
        if ((L->dims.has & BIT(d)) && is_reference(&L->dims, d)) dsize(c, &L->dims, counterpart(&L->dims, d));
}

/* lower_dims() */
static void lower_dims(ctx *c, uint32_t vars, const dims_t *dims, const level_t *L, dims_t *out)
{
    memset(out, 0, sizeof *out);
    for (int d = 0; d < ND; d++) {
        if (!(vars & BIT(d))) continue;
        int f = L->first[d];
        if (f < 0) fail(c, CXE_CRASH);  /* a null pointer in MAESTRO */
        i64 size = min64(L->maps[f].size, dsize(c, dims, d));
        dput(out, d, size, dstride(c, dims, d));
    }
    out->ovl = dims->ovl;
}

/* tiles_of() */
static void tiles_of(ctx *c, level_t *L)
{
    tiles_t *t = &L->tiles;
    memset(t, 0, sizeof *t);
    for (int i = 0; i < L->n_maps; i++) {
        const dir_t *d = &L->maps[i];
        i64 extent = dsize(c, &L->dims, d->dim);
        i64 steady = max64(cdiv(c, extent - d->size, d->ofs), 0);
        int partial = (i128)steady * d->ofs + d->size < extent || d->size > extent;
        t->m[d->dim] = d->size;
        t->m_has |= BIT(d->dim);
        t->u[d->dim] = !d->spatial && extent <= d->size ? 0 : min64(d->size, d->ofs);
        i64 edge = n64(c, (i128)extent - (i128)(steady + 1) * d->ofs);
        edge = edge < 0 ? extent : edge;
        t->me[d->dim] = partial ? edge : d->size;
        t->ue[d->dim] = max64(n64(c, (i128)d->ofs - ((i128)d->size - edge)), 0);
    }
    for (int i = 0; i < L->n_maps; i++) {
        const dir_t *d = &L->maps[i];
        if (!is_reference(&L->dims, d->dim)) continue;
        int kernel = counterpart(&L->dims, d->dim), out = d->dim == D_Y ? D_YO : D_XO;
        t->m_has |= BIT(kernel);  /* setdefault */
        t->m[out] = n64(c, (i128)t->m[d->dim] - t->m[kernel] + 1);
        t->m_has |= BIT(out);
        t->u[out] = min64(d->ofs, d->size);
        t->me[out] = n64(c, (i128)t->me[d->dim] - t->me[kernel] + 1);
        t->ue[out] = min64(d->ofs, t->me[out]);
    }
}

static void index_maps(level_t *L)
{
    memset(L->first, -1, sizeof L->first);
    memset(L->last, -1, sizeof L->last);
    for (int i = 0; i < L->n_maps; i++) {
        int d = L->maps[i].dim;
        if (L->first[d] < 0) L->first[d] = i;
        L->last[d] = i;
    }
}

/* ---- compiling a bound program (build_levels) ---- */

typedef struct {
    const problem_t *pb;
    const bound_t *prog;
    int n;
    /* the levels' user maps and the cluster sizes */
    int group_start[MAX_LEVELS + 2], group_len[MAX_LEVELS + 2], n_groups;
    i64 clusters[MAX_LEVELS + 1];
    dims_t full, dims;  /* the layer's table; the table of the level being built */
} build_t;

static void complete_level(ctx *c, arena *perm, prog_t *g, build_t *b, int index)
{
    level_t *L = &g->lv[index];
    int n_user = b->group_len[index];
    const bound_t *src = b->prog + b->group_start[index];
    dir_t *user = aalloc(c, c->tmp, ((size_t)n_user + 1) * sizeof *user);
    for (int i = 0; i < n_user; i++)
        user[i] = (dir_t){src[i].size, src[i].ofs, src[i].dim, src[i].kind == CXE_SPATIAL};
    convert_output_coordinates(c, user, n_user);
    const level_t *prev = index ? &g->lv[index - 1] : NULL;
    dir_t *maps = aalloc(c, perm, ((size_t)n_user + 2 * ND) * sizeof *maps);
    int n = inherit_and_unroll(c, prev ? prev->maps : NULL, prev ? prev->n_maps : 0, user, n_user,
                               b->pb->vars, &b->dims, maps);
    apply_outer_stride(c, index == 0, maps, n, &b->dims, &b->full);
    convert_remaining_output_coordinates(c, maps, n);
    L->index = index;
    L->maps = maps;
    L->n_maps = n;
    L->dims = b->dims;
    L->size = index ? b->clusters[index - 1] : 0;
    index_maps(L);
    unit_pre(c, L);
}

static void finish_level(ctx *c, prog_t *g, build_t *b, int index)
{
    level_t *L = &g->lv[index];
    if (index) L->edge_clusters = unit_size(c, L, L->size);
    unit_post(c, L);
    dims_t below;
    lower_dims(c, b->pb->vars, &b->dims, L, &below);
    b->dims = below;
}

/* Stage A: everything before the top level's P-dependent checks. */
static void compile_pre(ctx *c, arena *perm, prog_t *g, build_t *b)
{
    const problem_t *pb = b->pb;
    for (int d = 0; d < ND; d++)
        if (pb->dims[d] > I32MAX) fail(c, CXE_OVERFLOW);  /* problem_of's _checked */
    if (b->n == 0) fail(c, CXE_CRASH);  /* an empty program: a null pointer in MAESTRO */
    int n_clusters = 0;
    b->n_groups = 1;
    b->group_start[0] = 0;
    for (int i = 0; i < b->n; i++)
        if (b->prog[i].kind == CXE_CLUSTER) n_clusters++;
    if (n_clusters >= MAX_LEVELS) fail(c, n_clusters == MAX_LEVELS ? CXE_CRASH : CXE_REFUSED);
    for (int i = 0, gi = 0; i < b->n; i++) {
        if (b->prog[i].kind == CXE_CLUSTER) {
            b->group_len[gi] = i - b->group_start[gi];
            b->clusters[gi++] = b->prog[i].size;
            b->group_start[gi] = i + 1;
            b->n_groups = gi + 1;
        }
    }
    b->group_len[b->n_groups - 1] = b->n - b->group_start[b->n_groups - 1];
    i64 uppermost = 1;
    for (int i = 0; i < n_clusters; i++) uppermost = i32(c, (i128)uppermost * b->clusters[i]);
    g->uppermost = uppermost;
    g->n_levels = b->n_groups;
    top_dims(pb, &b->full);
    b->dims = b->full;
    complete_level(c, perm, g, b, 0);
}

/* The maps each tensor's volumes read (level_t's cmaps ... unmapped). */
static void tensor_maps(ctx *c, arena *perm, const problem_t *pb, level_t *L)
{
    for (int t = 0; t < NT; t++) {
        L->cmaps[t] = aalloc(c, perm, ((size_t)L->n_maps + 1) * sizeof *L->cmaps[t]);
        L->n_cmaps[t] = L->n_spd[t] = 0;
        L->unmapped[t] = -1;
        for (int i = 0; i < L->n_maps; i++)
            if (pb->mask[t] & BIT(L->maps[i].dim)) L->cmaps[t][L->n_cmaps[t]++] = i;
        for (int j = 0; j < pb->n_coupled[t]; j++) {
            int d = pb->coupled[t][j], f = L->first[d];
            if (f < 0 && L->unmapped[t] < 0) L->unmapped[t] = j;
            if (f >= 0 && L->maps[f].spatial) L->spd[t][L->n_spd[t]++] = (int8_t)d;
        }
    }
    L->omaps = aalloc(c, perm, ((size_t)L->n_maps + 1) * sizeof *L->omaps);
    L->n_omaps = 0;
    for (int i = 0; i < L->n_maps; i++)
        if (!(pb->mask[T_OUT] & BIT(L->maps[i].dim))) L->omaps[L->n_omaps++] = i;
}

/* Stage B: the rest of the top level, the levels below, the tiles. */
static void compile_post(ctx *c, arena *perm, prog_t *g, build_t *b)
{
    finish_level(c, g, b, 0);
    for (int i = 1; i < g->n_levels; i++) {
        complete_level(c, perm, g, b, i);
        finish_level(c, g, b, i);
    }
    for (int i = 0; i < g->n_levels; i++) {
        tiles_of(c, &g->lv[i]);
        tensor_maps(c, perm, b->pb, &g->lv[i]);
    }
}

/* Runs a stage with its own handler: -1, or the status it stopped with (scratch released). */
typedef void stage_fn(ctx *c, arena *perm, prog_t *g, build_t *b);
static int caught(ctx *c, stage_fn *stage, arena *perm, prog_t *g, build_t *b)
{
    jmp_buf jb, *outer = c->jb;
    amark m = amark_of(c->tmp);
    c->jb = &jb;
    if (setjmp(jb) != 0) {
        c->jb = outer;
        arelease(c->tmp, m);
        return c->status;
    }
    stage(c, perm, g, b);
    c->jb = outer;
    arelease(c->tmp, m);
    return -1;
}

static void compile(ctx *c, arena *perm, prog_t *g, const problem_t *pb, const bound_t *prog, int n)
{
    build_t b;
    memset(&b, 0, sizeof b);
    b.pb = pb;
    b.prog = prog;
    b.n = n;
    g->err_pre = caught(c, compile_pre, perm, g, &b);
    g->err_post = g->err_pre < 0 ? caught(c, compile_post, perm, g, &b) : -1;
    if (g->err_pre == OOM || g->err_post == OOM) fail(c, OOM);
}

/* ---- iteration cases (cases.py) ---- */

typedef struct { i64 count; int pos, unrolled, init_edge, spee; } state_t;

static inline int is_edge(const state_t *s) { return s->pos == EDGE || s->init_edge; }

/* _temporal() */
static int temporal_states(ctx *c, i64 extent, i64 size, i64 ofs, state_t *s)
{
    int n = 0;
    s[n++] = (state_t){1, INIT, extent <= size, extent < size, 0};
    i64 steady = cdiv(c, extent - size, ofs);
    if (size < extent && steady > 0) s[n++] = (state_t){steady, STEADY, 0, 0, 0};
    if (!(extent < size) && (i128)steady * ofs + size < extent) s[n++] = (state_t){1, EDGE, 0, 0, 0};
    return n;
}

/* _spatial() */
static int spatial_states(ctx *c, i64 extent, i64 size, i64 ofs, i64 n_sub, state_t *s)
{
    i64 cover = i32(c, (i128)size + (i128)ofs * (n_sub - 1));
    int unrolled = extent <= cover, init_edge = extent < cover, n = 0;
    s[n++] = (state_t){1, INIT, unrolled, init_edge, init_edge};
    i64 step = i32(c, (i128)ofs * n_sub);
    i64 steady = cdiv(c, cdiv(c, extent - size, ofs) + 1, n_sub) - 1;
    int has_edge = !unrolled && i32(c, (i128)(steady + 1) * step + cover) > extent
                   && (i128)steady * step + cover != extent;
    if (cover < extent && steady > 0) s[n++] = (state_t){steady, STEADY, 0, 0, 0};
    i64 remaining = i32(c, (i128)extent - (i128)(steady + 1) * step);
    i64 active = remaining < size ? 1 : cdiv(c, remaining - size, ofs) + 1;
    int partial = (i128)(active - 1) * ofs + size < remaining;
    if (!init_edge && has_edge) s[n++] = (state_t){1, EDGE, 0, 0, partial};
    return n;
}

/* One case: each dimension's state (by_dim: the last map's), its occurrences, the innermost
 * moving map (_moving) and whether every dimension is at its first step. */
typedef struct {
    const state_t *by_dim[ND];
    i64 occ;
    int moving, all_init;
} case_t;

/* ---- what a case moves (reuse.py) ---- */

typedef struct {
    const level_t *L;
    const tiles_t *T;
    const case_t *cs;
} view_t;

static inline i64 tile(const tiles_t *T, int d, int edge) { return edge ? T->me[d] : T->m[d]; }

/* mapped_volume() */
static i64 mapped_volume(ctx *c, const tiles_t *T, const problem_t *pb, int t)
{
    i64 out = 1;
    for (int j = 0; j < pb->n_coupled[t]; j++) {
        int d = pb->coupled[t][j];
        if (T->m_has & BIT(d)) out = mul(c, out, T->m[d]);
    }
    return out;
}

/* _pe_mapped_factor() */
static inline i64 pe_mapped_factor(const tiles_t *T, int d, const state_t *st, i64 edges, int first, int spee)
{
    if (!is_edge(st)) return T->m[d];
    if (edges == 1 && (first || spee)) return T->me[d];
    if (edges > 1) return tile(T, d, spee);
    return 1;
}

/* _pe_mapped() */
static i64 pe_mapped(ctx *c, const view_t *v, int t, int first, int spee)
{
    const level_t *L = v->L;
    i64 out = 1;
    for (int j = 0; j < L->n_cmaps[t]; j++) {
        int i = L->cmaps[t][j], d = L->maps[i].dim;
        const state_t *st = v->cs->by_dim[d];
        i64 f = L->maps[i].spatial ? pe_mapped_factor(v->T, d, st, L->edge_clusters, first, spee)
                                   : tile(v->T, d, is_edge(st));
        out = mul(c, out, f);
    }
    return out;
}

/* _restarts() */
static int restarts(const view_t *v, int t, int moving)
{
    const level_t *L = v->L;
    for (int j = L->n_cmaps[t] - 1; j >= 0 && L->cmaps[t][j] > moving; j--) {
        const state_t *st = v->cs->by_dim[L->maps[L->cmaps[t][j]].dim];
        if (st->pos == INIT && !st->unrolled) return 1;
    }
    return 0;
}

/* _temporal_ingress() */
static inline i64 temporal_ingress(ctx *c, const tiles_t *T, int d, const state_t *st, int new_slice)
{
    if (st->pos == INIT) return tile(T, d, is_edge(st));
    if (new_slice) {
        if (T->u[d] == 0) fail(c, CXE_REFUSED);  /* no new elements: MAESTRO terminates */
        return max64(T->u[d], 1);
    }
    return T->m[d];
}

/* _spatial_ingress_factor() */
static inline i64 spatial_ingress_factor(const tiles_t *T, int d, int first, int spee, int share)
{
    if (first || !share) return tile(T, d, spee);
    return spee ? T->ue[d] : T->u[d];
}

/* _pe_ingress() */
static i64 pe_ingress(ctx *c, const view_t *v, const problem_t *pb, int t, int first, int spee)
{
    const level_t *L = v->L;
    int moving = v->cs->moving;
    if (moving == -1) return pe_mapped(c, v, t, first, spee);
    if (!(pb->mask[t] & BIT(L->maps[moving].dim))) return 0;
    int rs = restarts(v, t, moving);
    i64 out = 1;
    for (int j = 0; j < L->n_cmaps[t]; j++) {
        int i = L->cmaps[t][j], d = L->maps[i].dim;
        const state_t *st = v->cs->by_dim[d];
        i64 f;
        if (!L->maps[i].spatial) f = temporal_ingress(c, v->T, d, st, i == moving && !rs);
        else if (st->pos == INIT) f = spatial_ingress_factor(v->T, d, first, spee, i > moving);
        else f = spatial_ingress_factor(v->T, d, first, spee, i == moving && !rs);
        out = mul(c, out, f);
    }
    return out;
}

/* _spatial_state(): the state of the tensor's last spatially mapped dimension (NULL: none) and
 * whether any of its spatial dimensions is at a partial step */
static const state_t *spatial_state(ctx *c, const view_t *v, const problem_t *pb, int t, int *edge)
{
    (void)pb;
    const level_t *L = v->L;
    if (L->unmapped[t] >= 0) fail(c, CXE_CRASH);  /* a null pointer in MAESTRO */
    const state_t *sp = NULL;
    *edge = 0;
    for (int j = 0; j < L->n_spd[t]; j++) {
        sp = v->cs->by_dim[L->spd[t][j]];
        *edge = *edge || is_edge(sp);
    }
    return sp;
}

/* The volume of one sub-cluster: ingress, egress, or the partial sums of output_mapping. */
enum { VOL_INGRESS, VOL_EGRESS, VOL_MACS };
static i64 pe_egress(ctx *c, const view_t *v, const problem_t *pb, int psums, int first, int spee,
                     int reuse_edge);

static i64 pe_volume(ctx *c, const view_t *v, const problem_t *pb, int t, int kind, int first, int spee)
{
    if (kind == VOL_INGRESS) return pe_ingress(c, v, pb, t, first, spee);
    if (kind == VOL_EGRESS) return pe_egress(c, v, pb, 0, first, spee, 1);
    return pe_egress(c, v, pb, 1, first, spee, first || !spee);
}

/* _spread() */
static i64 spread(ctx *c, const view_t *v, const problem_t *pb, int t, int kind, const state_t *sp, int first_full)
{
    i64 edges = v->L->edge_clusters;
    int spee = sp->spee;
    i64 out = edges == 1 && spee ? pe_volume(c, v, pb, t, kind, 1, 1) : pe_volume(c, v, pb, t, kind, 1, 0);
    if (edges > 1) {
        i64 n_spee = spee ? 1 : 0, full = max64(edges - n_spee - 1, 0);
        out = add(c, out, mul(c, full, pe_volume(c, v, pb, t, kind, first_full, 0)));
        out = add(c, out, mul(c, n_spee, pe_volume(c, v, pb, t, kind, 0, 1)));
    }
    return out;
}

/* _all_sub_clusters() */
static i64 all_sub_clusters(ctx *c, const view_t *v, const problem_t *pb, int t, int kind)
{
    i64 first = pe_volume(c, v, pb, t, kind, 1, 0);
    return add(c, first, mul(c, v->L->size - 1, pe_volume(c, v, pb, t, kind, 0, 0)));
}

/* spatial_ingress() (t an input tensor) and spatial_egress() (t the output) */
static i64 spatial_traffic(ctx *c, const view_t *v, const problem_t *pb, int t, int kind)
{
    int edge;
    const state_t *sp = spatial_state(c, v, pb, t, &edge);
    if (!sp) return pe_volume(c, v, pb, t, kind, 1, 0);
    if (!edge) return all_sub_clusters(c, v, pb, t, kind);
    return spread(c, v, pb, t, kind, sp, 0);
}

/* _psum_spatial() */
static inline i64 psum_spatial(const tiles_t *T, int d, const state_t *st, i64 edges, int first, int spee)
{
    i64 u = T->u[d] ? T->u[d] : 1;
    if (st->pos == INIT && is_edge(st) && spee) return T->me[d];
    if (st->pos == INIT || st->pos == STEADY) return first ? T->m[d] : u;
    if (edges == 1 && (first || spee)) return T->me[d];
    if (edges > 1) return spee ? T->ue[d] : (first ? T->m[d] : u);
    return 1;
}

static inline int output_of(int d) { return d == D_Y ? D_YO : d == D_X ? D_XO : d; }

/* _output_spatial() */
static inline i64 output_spatial(const tiles_t *T, int d, const state_t *st, i64 edges, int first, int spee,
                                 int reuse_edge)
{
    int a = output_of(d);
    i64 u = T->u[a] ? T->u[a] : 1;
    if (st->pos == INIT && is_edge(st) && spee) {
        if (edges == 1) return T->me[a];
        return reuse_edge ? T->ue[a] : T->me[a];
    }
    if (st->pos == INIT || st->pos == STEADY) return first ? T->m[a] : u;
    if (edges == 1 && (first || spee)) return T->me[d];  /* the input coordinate's edge tile */
    if (edges > 1) return spee ? T->ue[a] : (first ? T->m[a] : u);
    return 1;
}

/* _output_temporal() */
static inline i64 output_temporal(const tiles_t *T, int d, const state_t *st)
{
    int a = output_of(d);
    if (st->pos == INIT) return tile(T, a, is_edge(st));
    return st->pos == STEADY ? T->m[a] : T->me[a];
}

/* _pe_egress() */
static i64 pe_egress(ctx *c, const view_t *v, const problem_t *pb, int psums, int first, int spee, int reuse_edge)
{
    const level_t *L = v->L;
    i64 out = 1;
    if (psums) {
        for (int j = 0; j < L->n_omaps; j++) {
            int i = L->omaps[j], d = L->maps[i].dim;
            const state_t *st = v->cs->by_dim[d];
            i64 f = L->maps[i].spatial ? psum_spatial(v->T, d, st, L->edge_clusters, first, spee)
                                       : tile(v->T, d, is_edge(st));
            out = mul(c, out, f);
        }
    }
    for (int j = 0; j < pb->n_coupled[T_OUT]; j++) {
        int d = pb->coupled[T_OUT][j], f = L->first[d];
        if (f < 0) fail(c, CXE_CRASH);
        const state_t *st = v->cs->by_dim[d];
        i64 x = L->maps[f].spatial ? output_spatial(v->T, d, st, L->edge_clusters, first, spee, reuse_edge)
                                   : output_temporal(v->T, d, st);
        out = mul(c, out, x);
    }
    return out;
}

/* critical_partial_sums() */
static i64 critical_partial_sums(ctx *c, const view_t *v, const problem_t *pb)
{
    int edge;
    const state_t *sp = spatial_state(c, v, pb, T_OUT, &edge);
    int spee = sp && edge && v->L->edge_clusters == 1 && sp->spee;
    return pe_egress(c, v, pb, 1, 1, spee, 1);
}

/* output_mapping() */
static i64 output_mapping(ctx *c, const view_t *v, const problem_t *pb)
{
    int edge;
    const state_t *sp = spatial_state(c, v, pb, T_OUT, &edge);
    for (int i = 0; i < v->L->n_maps; i++) {
        if (!v->L->maps[i].spatial) continue;
        sp = v->cs->by_dim[v->L->maps[i].dim];
        edge = edge || is_edge(sp);
    }
    if (!sp || !edge) return mul(c, v->L->size, pe_volume(c, v, pb, T_OUT, VOL_MACS, 1, 0));
    return spread(c, v, pb, T_OUT, VOL_MACS, sp, 1);
}

/* _sub_size() */
static inline i64 sub_size(const tiles_t *T, int spatial, int d, const state_t *st, i64 edges, int spee)
{
    if (!spatial) return tile(T, d, is_edge(st));
    if (st->pos == STEADY || (st->pos == INIT && !is_edge(st))) return T->m[d];
    return edges == 1 || spee ? T->me[d] : T->m[d];
}

/* sub_dims() */
static void sub_dims(ctx *c, const view_t *v, int spee, dims_t *out)
{
    const level_t *L = v->L;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < L->n_maps; i++) {
        int d = L->maps[i].dim;
        i64 size = sub_size(v->T, L->maps[i].spatial, d, v->cs->by_dim[d], L->edge_clusters, spee);
        dput(out, d, size, dstride(c, &L->dims, d));
    }
    dims_t table = *out;
    for (int i = 0; i < L->n_maps; i++) {
        int d = L->maps[i].dim;
        if (d == D_Y || d == D_X) {
            int kernel = d == D_Y ? D_R : D_S;
            dput(out, output_of(d), dsize(c, &table, d) - dsize(c, &table, kernel) + 1, 1);
        }
        if (is_reference(&L->dims, d)) out->ovl |= d == D_X ? OVL_X : OVL_Y;
    }
}

/* ---- the level analysis (analysis.py) ---- */

typedef struct {
    i64 l2_read[NT], l2_write[NT], l1_read[NT], l1_write[NT], l2_size[NT], l1_size[NT];
    i64 runtime, computations, peak_bw, avg_bw, offchip_bw, total;
    i64 dmin[3], dmax[3], dsum[3];
    double active;
    i64 last_macs, last_ingress;  /* of the last kept case: its arithmetic intensity is printed */
    int recursed;
    i64 leaf_l1[NT];  /* the first leaf's L1 sizes (LevelResult.leaf) */
} acc_t;

typedef struct {
    const problem_t *pb;
    prog_t *g;
    arena *perm;
} analysis_t;

static const memo_entry *inner_level(ctx *c, analysis_t *an, int index, const dims_t *dims);

/* a tensor's size on a table (_size_buffers: the output's windows in output coordinates) */
static i64 tensor_size(ctx *c, const problem_t *pb, const dims_t *dims, int t)
{
    i64 size = 1;
    for (int j = 0; j < pb->n_coupled[t]; j++) {
        int d = pb->coupled[t][j];
        i64 extent;
        if (t == T_OUT && overlapped(dims, d)) {
            i64 a = dsize(c, dims, d);
            extent = a - dsize(c, dims, counterpart(dims, d)) + 1;
        } else {
            extent = dsize(c, dims, d);
        }
        size = mul(c, size, extent);
    }
    return size;
}

/* _size_buffers() */
static void size_buffers(ctx *c, const view_t *v, const problem_t *pb, const dims_t *dims, acc_t *acc)
{
    for (int t = T_IN; t <= T_FILT; t++) {
        i64 size = tensor_size(c, pb, dims, t);
        acc->l2_size[t] = add(c, acc->l2_size[t], mul(c, 2, spatial_traffic(c, v, pb, t, VOL_INGRESS)));
        acc->l2_write[t] = size;
        acc->l1_size[t] = add(c, acc->l1_size[t], mul(c, 2, mapped_volume(c, v->T, pb, t)));
    }
    i64 size = tensor_size(c, pb, dims, T_OUT);
    acc->l2_size[T_OUT] = mul(c, 2, spatial_traffic(c, v, pb, T_OUT, VOL_EGRESS));
    acc->l2_read[T_OUT] = size;
    acc->l1_size[T_OUT] = mul(c, 2, mapped_volume(c, v->T, pb, T_OUT));
}

/* _compute(): the compute delay and the sub-clusters' average activity (or the level's active
 * sub-clusters when there is none) */
static i64 compute_step(ctx *c, analysis_t *an, const view_t *v, acc_t *acc, i64 psums, i64 *active,
                        double *sub_active, int *has_subs)
{
    const level_t *L = v->L;
    const state_t *sp = v->cs->by_dim[L->maps[L->spatial].dim];
    *active = is_edge(sp) ? L->edge_clusters : L->size;
    *sub_active = 0.0;
    *has_subs = 0;
    if (L->index == an->g->n_levels - 1) return ceil_div_double(c, psums, c->simd);
    const memo_entry *r[2] = {NULL, NULL};
    i64 n[2] = {0, 0};
    dims_t sd;
    if (is_edge(sp) && sp->spee) {
        sub_dims(c, v, 1, &sd);
        r[0] = inner_level(c, an, L->index + 1, &sd);
        n[0] = 1;
        if (L->edge_clusters - 1 > 0) {
            sub_dims(c, v, 0, &sd);
            r[1] = inner_level(c, an, L->index + 1, &sd);
            n[1] = L->edge_clusters - 1;
        }
    } else {
        sub_dims(c, v, 0, &sd);
        r[0] = inner_level(c, an, L->index + 1, &sd);
        n[0] = *active;
    }
    if (!acc->recursed) {
        acc->recursed = 1;
        memcpy(acc->leaf_l1, r[0]->leaf_l1, sizeof acc->leaf_l1);
    }
    *has_subs = 1;
    i64 compute = 0;
    for (int k = 0; k < 2 && r[k]; k++) {
        compute = max64(compute, r[k]->runtime);
        *sub_active += r[k]->avg_active * (double)n[k];
    }
    return compute;
}

/* _offchip() */
static i64 offchip(ctx *c, acc_t *acc, i64 step, i64 compute)
{
    i64 bw = c->offchip_bw, out_req = acc->l2_size[T_OUT];
    i64 in_req = add(c, acc->l2_size[T_IN], acc->l2_size[T_FILT]);
    i64 ingress = half(cdiv(c, in_req, bw)), egress = half(cdiv(c, out_req, bw));
    step = max64(max64(ingress, step), egress);
    i64 req = max64(acc->offchip_bw, cdiv(c, out_req, compute));
    req = max64(req, cdiv(c, in_req, compute));
    acc->offchip_bw = half(req);
    return step;
}

/* The rest of _case() once a kept case's volumes and compute delay are known: the step's delays,
 * runtime and counters.  sub_active: sum(r.avg_active * n) over the sub-clusters, which starts
 * from the int 0 — with none it is 0, and a sum that is 0 also gives way to the level's own
 * active sub-clusters. */
static void finish_case(ctx *c, acc_t *acc, int top, int all_init, i64 occ, i64 ingress, i64 egress, i64 macs,
                        i64 compute, i64 active, double sub_active)
{
    i64 d_in = noc_delay(c, ingress, c->noc_bw, c->latency), d_out = noc_delay(c, egress, c->noc_bw, c->latency);
    i64 step = all_init ? add(c, compute, d_in) : max64(max64(d_out, compute), d_in);
    if (top) step = offchip(c, acc, step, compute);
    acc->runtime = add(c, acc->runtime, mul(c, occ, step));
    acc->computations = add(c, acc->computations, mul(c, occ, macs));
    if (sub_active != 0) acc->active += sub_active * (double)occ;
    else acc->active += (double)((i128)active * occ);
    if (compute == 0) compute = 1;
    i64 traffic = max64(ingress, egress);
    acc->peak_bw = max64(acc->peak_bw, cdiv(c, traffic, compute));
    acc->avg_bw = add(c, acc->avg_bw, cdiv(c, mul(c, occ, traffic), compute));
    const i64 delays[3] = {d_in, d_out, compute};
    for (int k = 0; k < 3; k++) {
        if (acc->total == 0 || delays[k] < acc->dmin[k]) acc->dmin[k] = delays[k];
        acc->dmax[k] = max64(acc->dmax[k], delays[k]);  /* from 0: the maximum of non-positive delays prints 0 */
        acc->dsum[k] = add(c, acc->dsum[k], mul(c, occ, delays[k]));
    }
    acc->total += occ;
}

/* _case(): cost one case; 0 when MAESTRO skips it */
static int analyse_case(ctx *c, analysis_t *an, const view_t *v, acc_t *acc)
{
    const problem_t *pb = an->pb;
    i64 occ = v->cs->occ;
    i64 egress = spatial_traffic(c, v, pb, T_OUT, VOL_EGRESS);
    i64 macs = output_mapping(c, v, pb);
    acc->l2_write[T_OUT] = add(c, acc->l2_write[T_OUT], mul(c, occ, egress));
    acc->l1_write[T_OUT] = add(c, acc->l1_write[T_OUT], mul(c, occ, macs));
    acc->l1_read[T_OUT] = add(c, acc->l1_read[T_OUT], mul(c, occ, macs));
    i64 psums = critical_partial_sums(c, v, pb);
    if (psums <= 0) return 0;
    i64 ingress = 0;
    for (int t = T_IN; t <= T_FILT; t++) {
        i64 volume = spatial_traffic(c, v, pb, t, VOL_INGRESS);
        ingress = add(c, ingress, volume);
        acc->l2_read[t] = add(c, acc->l2_read[t], mul(c, occ, volume));
        acc->l1_write[t] = acc->l2_read[t];
        acc->l1_read[t] = add(c, acc->l1_read[t], mul(c, occ, macs));
    }
    acc->last_macs = macs;
    acc->last_ingress = ingress;
    i64 active;
    double sub_active;
    int has_subs;
    i64 compute = compute_step(c, an, v, acc, psums, &active, &sub_active, &has_subs);
    finish_case(c, acc, v->L->index == 0, v->cs->all_init, occ, ingress, egress, macs, compute, active,
                has_subs ? sub_active : 0.0);
    return 1;
}

/* _analyse(): every case of level L over the tile `dims`, in MAESTRO's order */
static void analyse(ctx *c, analysis_t *an, const level_t *L, const dims_t *dims, acc_t *acc)
{
    memset(acc, 0, sizeof *acc);
    amark m = amark_of(c->tmp);
    int n = L->n_maps;
    state_t *states = aalloc(c, c->tmp, (size_t)n * 3 * sizeof *states);
    int *n_states = aalloc(c, c->tmp, (size_t)n * 2 * sizeof *n_states), *idx = n_states + n;
    i64 *inner = aalloc(c, c->tmp, (size_t)n * 2 * sizeof *inner), *countdown = inner + n;
    for (int i = 0; i < n; i++) {  /* map_states() */
        const dir_t *d = &L->maps[i];
        i64 extent = dsize(c, dims, d->dim);
        n_states[i] = d->spatial ? spatial_states(c, extent, d->size, d->ofs, L->size, states + 3 * i)
                                 : temporal_states(c, extent, d->size, d->ofs, states + 3 * i);
    }
    /* cases(): the number of cases (the engine's limit), then every case's occurrences in
     * MAESTRO's 32-bit int (the largest is the product of each map's largest count) */
    i64 total = 1, most = 1;
    for (int i = n - 1; i >= 0; i--) {
        inner[i] = total;
        total *= n_states[i];
        if (total > MAX_CASES) fail(c, CXE_OVERFLOW);
    }
    for (int i = 0; i < n; i++) {
        i64 top = 0;
        for (int k = 0; k < n_states[i]; k++) top = max64(top, states[3 * i + k].count);
        most = i32(c, (i128)most * top);
        idx[i] = 0;
        countdown[i] = 0;
    }
    case_t cs;
    view_t v = {L, &L->tiles, &cs};
    int first_done = 0;
    for (i64 k = 0; k < total; k++) {
        cs.occ = 1;
        for (int i = 0; i < n; i++) cs.occ *= states[3 * i + idx[i]].count;  /* <= most */
        cs.all_init = 1;
        cs.moving = -1;
        for (int i = 0; i < n; i++) {
            int d = L->maps[i].dim;
            const state_t *st = &states[3 * L->last[d] + idx[L->last[d]]];
            cs.by_dim[d] = st;
            if (st->pos != INIT) { cs.all_init = 0; cs.moving = i; }
        }
        if (!first_done) size_buffers(c, &v, an->pb, dims, acc);
        if (analyse_case(c, an, &v, acc)) first_done = 1;
        /* MAESTRO advances a map's state after case k when k is a multiple of the number of
         * cases inside it: the case index ceil(k / inner) mod n (cases.py) */
        for (int i = 0; i < n; i++) {
            if (countdown[i] == 0) {
                countdown[i] = inner[i];
                if (++idx[i] == n_states[i]) idx[i] = 0;
            }
            countdown[i]--;
        }
    }
    if (!acc->recursed) memcpy(acc->leaf_l1, acc->l1_size, sizeof acc->leaf_l1);
    arelease(c->tmp, m);
}

static inline double avg_active(const acc_t *acc)
{
    return acc->total ? acc->active / (double)acc->total : acc->active;
}

/* ---- the memo of inner levels: (level, tile) -> result, per compiled program ---- */

static uint64_t hash_dims(int index, const dims_t *d)
{
    /* independent multiplies (no chain through h), mixed at the end */
    const uint64_t *w = (const uint64_t *)(const void *)d;
    uint64_t h = (uint64_t)index;
    for (size_t i = 0; i < sizeof *d / sizeof *w; i++) h += w[i] * (0x9E3779B97F4A7C15ULL + 2 * i);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}

static void memo_insert(ctx *c, arena *perm, memo_t *memo, memo_entry *e)
{
    if (2 * (memo->n + 1) > memo->cap) {  /* grow (the old table stays in the arena) */
        size_t cap = memo->cap ? 2 * memo->cap : 16;
        memo_entry **slots = aalloc(c, perm, cap * sizeof *slots);
        memset(slots, 0, cap * sizeof *slots);
        for (size_t i = 0; i < memo->cap; i++) {
            memo_entry *x = memo->slots[i];
            if (!x) continue;
            size_t j = hash_dims(x->index, &x->dims) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = x;
        }
        memo->slots = slots;
        memo->cap = cap;
    }
    size_t j = hash_dims(e->index, &e->dims) & (memo->cap - 1);
    while (memo->slots[j]) j = (j + 1) & (memo->cap - 1);
    memo->slots[j] = e;
    memo->n++;
}

/* analyse() with its own handler: -1, or the status it stopped with (scratch released). */
static int analyse_caught(ctx *c, analysis_t *an, const level_t *L, const dims_t *dims, acc_t *acc)
{
    jmp_buf jb, *outer = c->jb;
    amark m = amark_of(c->tmp);
    c->jb = &jb;
    if (setjmp(jb) != 0) {
        c->jb = outer;
        arelease(c->tmp, m);
        return c->status;
    }
    analyse(c, an, L, dims, acc);
    c->jb = outer;
    arelease(c->tmp, m);
    return -1;
}

/* Analysis.level() for a level below the top: memoised by (level, tile), failures included
 * (the analysis of a tile stops the same way for every design that hands it down). */
static const memo_entry *inner_level(ctx *c, analysis_t *an, int index, const dims_t *dims)
{
    memo_t *memo = &an->g->memo;
    if (memo->cap) {
        size_t j = hash_dims(index, dims) & (memo->cap - 1);
        for (const memo_entry *x; (x = memo->slots[j]); j = (j + 1) & (memo->cap - 1)) {
            if (x->index == index && memcmp(&x->dims, dims, sizeof *dims) == 0) {
                if (x->status >= 0) fail(c, x->status);
                return x;
            }
        }
    }
    memo_entry *e = aalloc(c, an->perm, sizeof *e);
    e->dims = *dims;
    e->index = index;
    acc_t acc;
    e->status = analyse_caught(c, an, &an->g->lv[index], dims, &acc);
    if (e->status == OOM) fail(c, OOM);
    if (e->status < 0) {
        e->runtime = acc.runtime;
        e->avg_active = avg_active(&acc);
        memcpy(e->leaf_l1, acc.leaf_l1, sizeof e->leaf_l1);
    }
    memo_insert(c, an->perm, memo, e);
    if (e->status >= 0) fail(c, e->status);
    return e;
}

/* ---- the top level across designs ----
 *
 * The top level is the only one whose analysis depends on P (its number of sub-clusters).  P
 * changes the states of its spatial maps (their counts, and which positions exist), the number
 * of sub-clusters and of edge sub-clusters; what a case moves per sub-cluster (the volumes of
 * _pe_ingress and _pe_egress, the critical partial sums, the tile handed down) depends only on
 * the positions and flags of the case's states and on whether one sub-cluster or several are
 * busy at a spatial edge.  So every design whose top-level states have the same shape
 * (positions and flags, counts aside) and the same kind of edge shares those per-sub-cluster
 * values: each is computed once, when a design first needs it (a failure is kept, and raised
 * where the reference raises it), and each design replays the analysis with its own counts,
 * sub-cluster numbers and flags, doing every checked operation of the reference in the
 * reference's order. */

typedef struct { i64 v; int16_t status; uint8_t known; } val_t;  /* status -1: a value */

/* Top levels with more cases are analysed case by case for every design. */
#define SHAPE_MAX_CASES 4096

enum { TR_EG, TR_IN, TR_FI, TR_MACS, N_TR };   /* egress, ingress of input and filter, MACs */
enum { MODE_ONE, MODE_ALL, MODE_SPREAD };        /* no spatial map / all sub-clusters alike / an edge step */

typedef struct {
    uint8_t known, mode, spee;
    int16_t sp_status;  /* _spatial_state's failure (-1: none) */
    val_t pe[4];        /* per mode: pe(1,0); ALL: pe(0,0); SPREAD: pe(1,1), pe(0,0), pe(0,1) */
} traffic_rec;

typedef struct {
    const uint8_t *idx;  /* each map's state index */
    i64 fixed_occ;       /* the product of the temporal maps' counts */
    uint8_t sp_steady;   /* bit j: the level's spatial map j is at STEADY (its count multiplies) */
    uint8_t all_init, sp_edge, sp_spee;
    traffic_rec tr[N_TR];
    val_t psums;
    val_t sub[2];        /* the tile handed down ([0]: the partial last sub-cluster's, [1]: the
                          * others'): v is the memo entry's index in `subs` */
} case_rec;

typedef struct shape_t {
    uint64_t key;
    i64 n_cases;
    case_rec *cases;
} shape_t;

typedef struct top_t {
    level_t L;                 /* the top level with the current design's sizes */
    int n_sp, sp_map[2];       /* its spatial maps (one or two) */
    const state_t **mst;       /* per map: its states (temporal: tstates; spatial: the design's) */
    state_t *tstates;          /* 3 per map: the temporal maps' states */
    int *n_states;
    int tfail_map, tfail_status;  /* the first temporal map whose states fail, -1 */
    i64 t_total, t_most;       /* products of the temporal maps' state and largest counts, saturated */
    val_t tsize[NT], mvol[NT]; /* tensor sizes on the top table, mapped volumes */
    state_t sp_states[2][3];   /* the design's spatial states */
    uint64_t *shape_keys;      /* the shapes seen, by key */
    struct shape_t **shape_of;
    int n_shapes, cap_shapes;
    const memo_entry **subs;   /* the sub-level results the cases point to */
    size_t n_subs, cap_subs;
} top_t;

/* A lazily computed value: what it is and where. */
enum { IT_PE, IT_SPSTATE, IT_PSUMS, IT_SUB, IT_TSIZE, IT_MVOL, IT_TSTATES };
typedef struct {
    analysis_t *an;
    view_t *v;
    int what, t, kind, first, spee;
    i64 value;
    const state_t *sp;
    int edge;
    const memo_entry *entry;
} item_t;

static void item(ctx *c, item_t *it)
{
    const problem_t *pb = it->an->pb;
    top_t *tp = it->an->g->top;
    switch (it->what) {
    case IT_PE: it->value = pe_volume(c, it->v, pb, it->t, it->kind, it->first, it->spee); break;
    case IT_SPSTATE: it->sp = spatial_state(c, it->v, pb, it->t, &it->edge); break;
    case IT_PSUMS: it->value = critical_partial_sums(c, it->v, pb); break;
    case IT_SUB: {
        dims_t sd;
        sub_dims(c, it->v, it->spee, &sd);
        it->entry = inner_level(c, it->an, 1, &sd);
        break;
    }
    case IT_TSIZE: it->value = tensor_size(c, pb, &tp->L.dims, it->t); break;
    case IT_MVOL: it->value = mapped_volume(c, &tp->L.tiles, pb, it->t); break;
    default: {  /* IT_TSTATES: the temporal maps' states, in map order */
        const level_t *L = &tp->L;
        for (int i = 0; i < L->n_maps; i++) {
            const dir_t *d = &L->maps[i];
            if (d->spatial) continue;
            tp->tfail_map = i;
            i64 extent = dsize(c, &L->dims, d->dim);
            tp->n_states[i] = temporal_states(c, extent, d->size, d->ofs, tp->tstates + 3 * i);
        }
        tp->tfail_map = -1;
    }
    }
}

/* item() with its own handler: -1, or the status it stopped with */
static int item_caught(ctx *c, item_t *it)
{
    jmp_buf jb, *outer = c->jb;
    amark m = amark_of(c->tmp);
    c->jb = &jb;
    if (setjmp(jb) != 0) {
        c->jb = outer;
        arelease(c->tmp, m);
        if (c->status == OOM) fail(c, OOM);
        return c->status;
    }
    item(c, it);
    c->jb = outer;
    arelease(c->tmp, m);
    return -1;
}

static val_t val_of(ctx *c, item_t *it)
{
    val_t r;
    r.status = (int16_t)item_caught(c, it);
    r.v = r.status < 0 ? it->value : 0;
    r.known = 1;
    return r;
}

static i64 use(ctx *c, const val_t *x)
{
    if (x->status >= 0) fail(c, x->status);
    return x->v;
}

/* The top level's design-independent part, made when a second design uses a compiled program. */
static top_t *prep_top(ctx *c, analysis_t *an, const level_t *top_level)
{
    prog_t *g = an->g;
    top_t *tp = aalloc(c, an->perm, sizeof *tp);
    memset(tp, 0, sizeof *tp);
    tp->L = *top_level;
    const level_t *L = &tp->L;
    int n = L->n_maps;
    tp->mst = aalloc(c, an->perm, (size_t)n * sizeof *tp->mst);
    tp->tstates = aalloc(c, an->perm, (size_t)n * 3 * sizeof *tp->tstates);
    tp->n_states = aalloc(c, an->perm, (size_t)n * sizeof *tp->n_states);
    for (int i = 0; i < n; i++) {
        tp->mst[i] = tp->tstates + 3 * i;
        tp->n_states[i] = 1;
        if (L->maps[i].spatial && tp->n_sp < 2) tp->sp_map[tp->n_sp++] = i;
    }
    g->top = tp;
    item_t it = {an, NULL, IT_TSTATES, 0, 0, 0, 0, 0, NULL, 0, NULL};
    tp->tfail_status = item_caught(c, &it);
    if (tp->tfail_status < 0) tp->tfail_map = -1;
    tp->t_total = tp->t_most = 1;
    for (int i = 0; i < n; i++) {
        if (L->maps[i].spatial) continue;
        i64 most = 0;
        for (int k = 0; k < tp->n_states[i]; k++) most = max64(most, tp->tstates[3 * i + k].count);
        tp->t_total = min64(tp->t_total * tp->n_states[i], (i64)MAX_CASES + 1);  /* saturated */
        i128 m = (i128)tp->t_most * most;
        tp->t_most = m > I32MAX ? I32MAX + 1 : (i64)m;
    }
    for (int t = 0; t < NT; t++) {
        item_t a = {an, NULL, IT_TSIZE, t, 0, 0, 0, 0, NULL, 0, NULL};
        tp->tsize[t] = val_of(c, &a);
        a.what = IT_MVOL;
        tp->mvol[t] = val_of(c, &a);
    }
    return tp;
}

static uint64_t shape_key(const top_t *tp, int edges_one)
{
    uint64_t key = (uint64_t)edges_one;
    for (int j = 0; j < tp->n_sp; j++) {
        int i = tp->sp_map[j];
        key = key << 2 | (uint64_t)tp->n_states[i];
        for (int k = 0; k < tp->n_states[i]; k++) {
            const state_t *s = &tp->mst[i][k];
            key = key << 5 | (uint64_t)(s->pos | s->unrolled << 2 | s->init_edge << 3 | s->spee << 4);
        }
    }
    return key;
}

/* The cases of a shape, in MAESTRO's order (as analyse() walks them). */
static shape_t *make_shape(ctx *c, analysis_t *an, top_t *tp, uint64_t key, i64 total)
{
    const level_t *L = &tp->L;
    int n = L->n_maps;
    shape_t *sh = aalloc(c, an->perm, sizeof *sh);
    sh->key = key;
    sh->n_cases = total;
    sh->cases = aalloc(c, an->perm, (size_t)total * sizeof *sh->cases);
    memset(sh->cases, 0, (size_t)total * sizeof *sh->cases);
    uint8_t *idx = aalloc(c, an->perm, (size_t)total * (size_t)n);
    i64 *inner = aalloc(c, c->tmp, (size_t)n * 2 * sizeof *inner), *countdown = inner + n;
    uint8_t *cur = aalloc(c, c->tmp, (size_t)n);
    i64 prod = 1;
    for (int i = n - 1; i >= 0; i--) { inner[i] = prod; prod *= tp->n_states[i]; countdown[i] = 0; cur[i] = 0; }
    for (i64 k = 0; k < total; k++) {
        case_rec *r = &sh->cases[k];
        memcpy(idx + k * n, cur, (size_t)n);
        r->idx = idx + k * n;
        r->fixed_occ = 1;
        for (int i = 0; i < n; i++)
            if (!L->maps[i].spatial) r->fixed_occ *= tp->mst[i][cur[i]].count;  /* <= t_most <= I32MAX */
        for (int j = 0; j < tp->n_sp; j++)
            if (tp->mst[tp->sp_map[j]][cur[tp->sp_map[j]]].pos == STEADY) r->sp_steady |= (uint8_t)(1 << j);
        r->all_init = 1;
        for (int i = 0; i < n; i++) {
            int last = L->last[L->maps[i].dim];
            if (tp->mst[last][cur[last]].pos != INIT) r->all_init = 0;
        }
        int spd = L->last[L->maps[L->spatial].dim];
        const state_t *sp = &tp->mst[spd][cur[spd]];
        r->sp_edge = (uint8_t)is_edge(sp);
        r->sp_spee = (uint8_t)sp->spee;
        for (int i = 0; i < n; i++) {
            if (countdown[i] == 0) {
                countdown[i] = inner[i];
                if (++cur[i] == tp->n_states[i]) cur[i] = 0;
            }
            countdown[i]--;
        }
    }
    if (tp->n_shapes == tp->cap_shapes) {
        int cap = tp->cap_shapes ? 2 * tp->cap_shapes : 8;
        uint64_t *keys = aalloc(c, an->perm, (size_t)cap * sizeof *keys);
        shape_t **of = aalloc(c, an->perm, (size_t)cap * sizeof *of);
        if (tp->n_shapes) {
            memcpy(keys, tp->shape_keys, (size_t)tp->n_shapes * sizeof *keys);
            memcpy(of, tp->shape_of, (size_t)tp->n_shapes * sizeof *of);
        }
        tp->shape_keys = keys;
        tp->shape_of = of;
        tp->cap_shapes = cap;
    }
    tp->shape_keys[tp->n_shapes] = key;
    tp->shape_of[tp->n_shapes++] = sh;
    return sh;
}

/* One design's replay: its counts and sizes, the shape's cases. */
typedef struct {
    analysis_t *an;
    top_t *tp;
    const case_rec *r;
    i64 size, edges, sp_count[2];
    case_t cs;
    int have_cs;
} replay_t;

static view_t *replay_view(replay_t *R, view_t *v)
{
    if (!R->have_cs) {
        const level_t *L = &R->tp->L;
        int moving = -1, all_init = 1;
        for (int i = 0; i < L->n_maps; i++) {
            int d = L->maps[i].dim, last = L->last[d];
            const state_t *st = &R->tp->mst[last][R->r->idx[last]];
            R->cs.by_dim[d] = st;
            if (st->pos != INIT) { all_init = 0; moving = i; }
        }
        R->cs.moving = moving;
        R->cs.all_init = all_init;
        R->cs.occ = 0;  /* not read by the volumes */
        R->have_cs = 1;
    }
    v->L = &R->tp->L;
    v->T = &R->tp->L.tiles;
    v->cs = &R->cs;
    return v;
}

static int tensor_of(int which) { return which == TR_IN ? T_IN : which == TR_FI ? T_FILT : T_OUT; }

#define COLD __attribute__((noinline, cold))
#define HOT static inline __attribute__((always_inline))

static COLD void fill_pe(ctx *c, replay_t *R, val_t *x, int which, int first, int spee)
{
    view_t v;
    int kind = which == TR_MACS ? VOL_MACS : which == TR_EG ? VOL_EGRESS : VOL_INGRESS;
    item_t it = {R->an, replay_view(R, &v), IT_PE, tensor_of(which), kind, first, spee, 0, NULL, 0, NULL};
    *x = val_of(c, &it);
}

/* pe value `slot` of a traffic, computed with (first, spee) when first needed */
HOT i64 pe_slot(ctx *c, replay_t *R, traffic_rec *tr, int which, int slot, int first, int spee)
{
    val_t *x = &tr->pe[slot];
    if (__builtin_expect(!x->known, 0)) fill_pe(c, R, x, which, first, spee);
    return use(c, x);
}

/* how a traffic spreads over the sub-clusters (the first time a shape's case needs it) */
static COLD void fill_mode(ctx *c, replay_t *R, traffic_rec *tr, int which)
{
    {
        view_t v;
        item_t it = {R->an, replay_view(R, &v), IT_SPSTATE, tensor_of(which), 0, 0, 0, 0, NULL, 0, NULL};
        tr->sp_status = (int16_t)item_caught(c, &it);
        if (tr->sp_status < 0 && which == TR_MACS) {  /* output_mapping: the last spatial map's state */
            for (int i = 0; i < v.L->n_maps; i++) {
                if (!v.L->maps[i].spatial) continue;
                it.sp = v.cs->by_dim[v.L->maps[i].dim];
                it.edge = it.edge || is_edge(it.sp);
            }
        }
        tr->mode = !it.sp ? MODE_ONE : !it.edge ? MODE_ALL : MODE_SPREAD;
        if (which == TR_MACS && tr->mode == MODE_ONE) tr->mode = MODE_ALL;
        tr->spee = it.sp ? (uint8_t)it.sp->spee : 0;
        tr->known = 1;
    }
}

/* spatial_ingress() / spatial_egress() / output_mapping() of the replayed case */
HOT i64 traffic(ctx *c, replay_t *R, int which)
{
    traffic_rec *tr = (traffic_rec *)&R->r->tr[which];
    if (__builtin_expect(!tr->known, 0)) fill_mode(c, R, tr, which);
    if (tr->sp_status >= 0) fail(c, tr->sp_status);
    if (tr->mode == MODE_ONE) return pe_slot(c, R, tr, which, 0, 1, 0);
    if (tr->mode == MODE_ALL) {
        if (which == TR_MACS) return mul(c, R->size, pe_slot(c, R, tr, which, 0, 1, 0));
        i64 first = pe_slot(c, R, tr, which, 0, 1, 0);
        return add(c, first, mul(c, R->size - 1, pe_slot(c, R, tr, which, 1, 0, 0)));
    }
    i64 edges = R->edges;  /* _spread() */
    int spee = tr->spee, first_full = which == TR_MACS;
    i64 out = edges == 1 && spee ? pe_slot(c, R, tr, which, 1, 1, 1) : pe_slot(c, R, tr, which, 0, 1, 0);
    if (edges > 1) {
        i64 n_spee = spee ? 1 : 0, full = max64(edges - n_spee - 1, 0);
        i64 f = first_full ? pe_slot(c, R, tr, which, 0, 1, 0) : pe_slot(c, R, tr, which, 2, 0, 0);
        out = add(c, out, mul(c, full, f));
        out = add(c, out, mul(c, n_spee, pe_slot(c, R, tr, which, 3, 0, 1)));
    }
    return out;
}

static const memo_entry *replay_sub(ctx *c, replay_t *R, int spee)
{
    val_t *x = (val_t *)&R->r->sub[spee ? 0 : 1];
    top_t *tp = R->tp;
    if (!x->known) {
        view_t v;
        item_t it = {R->an, replay_view(R, &v), IT_SUB, 0, 0, 0, spee, 0, NULL, 0, NULL};
        x->status = (int16_t)item_caught(c, &it);
        x->known = 1;
        if (x->status < 0) {
            if (tp->n_subs == tp->cap_subs) {
                size_t cap = tp->cap_subs ? 2 * tp->cap_subs : 16;
                const memo_entry **subs = aalloc(c, R->an->perm, cap * sizeof *subs);
                if (tp->n_subs) memcpy(subs, tp->subs, tp->n_subs * sizeof *subs);
                tp->subs = subs;
                tp->cap_subs = cap;
            }
            x->v = (i64)tp->n_subs;
            tp->subs[tp->n_subs++] = it.entry;
        }
    }
    return tp->subs[use(c, x)];
}

/* _size_buffers() */
static void replay_size_buffers(ctx *c, replay_t *R, acc_t *acc)
{
    top_t *tp = R->tp;
    for (int t = T_IN; t <= T_FILT; t++) {
        i64 size = use(c, &tp->tsize[t]);
        acc->l2_size[t] = add(c, acc->l2_size[t], mul(c, 2, traffic(c, R, t == T_IN ? TR_IN : TR_FI)));
        acc->l2_write[t] = size;
        acc->l1_size[t] = add(c, acc->l1_size[t], mul(c, 2, use(c, &tp->mvol[t])));
    }
    i64 size = use(c, &tp->tsize[T_OUT]);
    acc->l2_size[T_OUT] = mul(c, 2, traffic(c, R, TR_EG));
    acc->l2_read[T_OUT] = size;
    acc->l1_size[T_OUT] = mul(c, 2, use(c, &tp->mvol[T_OUT]));
}

/* _case() */
static int replay_case(ctx *c, replay_t *R, i64 occ, acc_t *acc)
{
    const case_rec *r = R->r;
    i64 egress = traffic(c, R, TR_EG);
    i64 macs = traffic(c, R, TR_MACS);
    acc->l2_write[T_OUT] = add(c, acc->l2_write[T_OUT], mul(c, occ, egress));
    acc->l1_write[T_OUT] = add(c, acc->l1_write[T_OUT], mul(c, occ, macs));
    acc->l1_read[T_OUT] = add(c, acc->l1_read[T_OUT], mul(c, occ, macs));
    val_t *ps = (val_t *)&r->psums;
    if (!ps->known) {
        view_t v;
        item_t it = {R->an, replay_view(R, &v), IT_PSUMS, 0, 0, 0, 0, 0, NULL, 0, NULL};
        *ps = val_of(c, &it);
    }
    i64 psums = use(c, ps);
    if (psums <= 0) return 0;
    i64 ingress = 0;
    for (int t = T_IN; t <= T_FILT; t++) {
        i64 volume = traffic(c, R, t == T_IN ? TR_IN : TR_FI);
        ingress = add(c, ingress, volume);
        acc->l2_read[t] = add(c, acc->l2_read[t], mul(c, occ, volume));
        acc->l1_write[t] = acc->l2_read[t];
        acc->l1_read[t] = add(c, acc->l1_read[t], mul(c, occ, macs));
    }
    acc->last_macs = macs;
    acc->last_ingress = ingress;
    /* _compute() */
    i64 active = r->sp_edge ? R->edges : R->size, compute;
    double sub_active = 0.0;
    int has_subs = 0;
    if (R->an->g->n_levels == 1) {
        compute = ceil_div_double(c, psums, c->simd);
    } else {
        const memo_entry *sub[2] = {NULL, NULL};
        i64 n[2] = {0, 0};
        if (r->sp_edge && r->sp_spee) {
            sub[0] = replay_sub(c, R, 1);
            n[0] = 1;
            if (R->edges - 1 > 0) { sub[1] = replay_sub(c, R, 0); n[1] = R->edges - 1; }
        } else {
            sub[0] = replay_sub(c, R, 0);
            n[0] = active;
        }
        if (!acc->recursed) {
            acc->recursed = 1;
            memcpy(acc->leaf_l1, sub[0]->leaf_l1, sizeof acc->leaf_l1);
        }
        has_subs = 1;
        compute = 0;
        for (int k = 0; k < 2 && sub[k]; k++) {
            compute = max64(compute, sub[k]->runtime);
            sub_active += sub[k]->avg_active * (double)n[k];
        }
    }
    finish_case(c, acc, 1, r->all_init, occ, ingress, egress, macs, compute, active, has_subs ? sub_active : 0.0);
    return 1;
}

/* _analyse() of the top level for one design (size and edge sub-clusters already set) */
static void analyse_top(ctx *c, analysis_t *an, i64 size, i64 edges, acc_t *acc)
{
    prog_t *g = an->g;
    top_t *tp = g->top ? g->top : prep_top(c, an, &g->lv[0]);
    level_t *L = &tp->L;
    L->size = size;
    L->edge_clusters = edges;
    memset(acc, 0, sizeof *acc);
    /* map_states(): the spatial maps' states are the design's */
    for (int i = 0, j = 0; i < L->n_maps; i++) {
        const dir_t *d = &L->maps[i];
        if (!d->spatial) {
            if (i == tp->tfail_map) fail(c, tp->tfail_status);
            continue;
        }
        state_t *s = j < 2 ? tp->sp_states[j] : NULL;
        i64 extent = dsize(c, &L->dims, d->dim);
        state_t spare[3];
        int ns = spatial_states(c, extent, d->size, d->ofs, L->size, s ? s : spare);
        if (s) { tp->n_states[i] = ns; tp->mst[i] = s; }
        j++;
    }
    i64 total = tp->t_total, most = tp->t_most, sp_count[2] = {1, 1};
    for (int j = 0; j < tp->n_sp; j++) {
        int i = tp->sp_map[j];
        total *= tp->n_states[i];
        i64 top = 0;
        for (int k = 0; k < tp->n_states[i]; k++) {
            top = max64(top, tp->mst[i][k].count);
            if (tp->mst[i][k].pos == STEADY) sp_count[j] = tp->mst[i][k].count;
        }
        most = (i128)most * top > I32MAX ? I32MAX + 1 : most * top;
    }
    if (total > MAX_CASES) fail(c, CXE_OVERFLOW);
    if (most > I32MAX) fail(c, CXE_OVERFLOW);
    if (total > SHAPE_MAX_CASES) {  /* a shape this large is not worth keeping: the plain analysis */
        analyse(c, an, L, &L->dims, acc);
        return;
    }
    uint64_t key = shape_key(tp, L->edge_clusters == 1);
    shape_t *sh = NULL;
    for (int j = 0; j < tp->n_shapes; j++)
        if (tp->shape_keys[j] == key) { sh = tp->shape_of[j]; break; }
    if (!sh) sh = make_shape(c, an, tp, key, total);
    replay_t R = {an, tp, NULL, L->size, L->edge_clusters, {sp_count[0], sp_count[1]}, {{0}, 0, 0, 0}, 0};
    int first_done = 0;
    for (i64 k = 0; k < sh->n_cases; k++) {
        const case_rec *r = &sh->cases[k];
        R.r = r;
        R.have_cs = 0;
        i64 occ = r->fixed_occ;
        if (r->sp_steady & 1) occ *= R.sp_count[0];
        if (r->sp_steady & 2) occ *= R.sp_count[1];
        if (!first_done) replay_size_buffers(c, &R, acc);
        if (replay_case(c, &R, occ, acc)) first_done = 1;
    }
    if (!acc->recursed) memcpy(acc->leaf_l1, acc->l1_size, sizeof acc->leaf_l1);
}

/* ---- the printed row (report.py) and the physical bounds (BOUNDS) ---- */

#define OUT(name) out[CXE_OUT_##name]

static i64 pixels(ctx *c, const problem_t *pb, int t)
{
    i64 size = 1;
    for (int d = 0; d < ND; d++)
        if (pb->dims[d] && (pb->mask[t] & BIT(d))) size = mul(c, size, pb->dims[d]);
    return size;
}

/* row(): every output into out[CXE_N_OUTPUTS] */
/* Energy (nJ), area (um^2) and power (mW) of a point from its outputs' counts and sizes, with the
 * cost database hw: energy_points() (MAESTRO's accounting, whose L1 term counts only where the top
 * level never recursed, or the general one), summed in the reference's order, and cx_area_power. */
static void price(const acc_t *a, i64 pes, const cx_hardware *hw, const double *out, double *energy,
                  double *area, double *power)
{
    double l2_acc = OUT(INPUT_L2_READ) + OUT(INPUT_L2_WRITE) + OUT(FILTER_L2_READ) + OUT(FILTER_L2_WRITE)
                    + OUT(OUTPUT_L2_WRITE);
    double l1_acc = OUT(INPUT_L1_READ) + OUT(INPUT_L1_WRITE) + OUT(FILTER_L1_READ) + OUT(FILTER_L1_WRITE)
                    + OUT(OUTPUT_L1_READ) + OUT(OUTPUT_L1_WRITE);
    if (hw->maestro_energy) *energy = hw->l2_energy * l2_acc + (!a->recursed ? hw->l1_energy * l1_acc : 0.0);
    else *energy = hw->mac_energy * OUT(MACS) + hw->l1_energy * l1_acc + hw->l2_energy * (l2_acc + OUT(OUTPUT_L2_READ));
    int64_t p = pes, l1_cells = OUT(L1_BYTES) > 0 ? (int64_t)OUT(L1_BYTES) : 1;  /* an SRAM has at least one cell */
    int64_t l2_cells = OUT(L2_BYTES) > 0 ? (int64_t)OUT(L2_BYTES) : 1;
    cx_area_power(&p, &l1_cells, &l2_cells, 1, hw, area, power);
}

static void report(ctx *c, const problem_t *pb, const acc_t *a, i64 pes, const cx_hardware *hw, double *out)
{
    i64 l2 = i32(c, (i128)a->l2_size[0] + a->l2_size[1] + a->l2_size[2]);
    i64 l1 = i32(c, (i128)a->leaf_l1[0] + a->leaf_l1[1] + a->leaf_l1[2]);
    OUT(RUNTIME) = (double)a->runtime;
    OUT(NOC_BW) = OUT(PEAK_BW) = (double)a->peak_bw;
    OUT(VECTOR_WIDTH) = (double)c->simd;
    OUT(OFFCHIP_BW) = (double)a->offchip_bw;
    OUT(L2_BYTES) = (double)l2;
    OUT(L1_BYTES) = (double)l1;
    OUT(INPUT_PIXELS) = (double)pixels(c, pb, T_IN);
    OUT(FILTER_PIXELS) = (double)pixels(c, pb, T_FILT);
    OUT(MACS) = (double)a->computations;
    static const int counters[NT][4] = {
        {CXE_OUT_INPUT_L1_READ, CXE_OUT_INPUT_L1_WRITE, CXE_OUT_INPUT_L2_READ, CXE_OUT_INPUT_L2_WRITE},
        {CXE_OUT_FILTER_L1_READ, CXE_OUT_FILTER_L1_WRITE, CXE_OUT_FILTER_L2_READ, CXE_OUT_FILTER_L2_WRITE},
        {CXE_OUT_OUTPUT_L1_READ, CXE_OUT_OUTPUT_L1_WRITE, CXE_OUT_OUTPUT_L2_READ, CXE_OUT_OUTPUT_L2_WRITE},
    };
    for (int t = 0; t < NT; t++) {
        out[counters[t][0]] = (double)a->l1_read[t];
        out[counters[t][1]] = (double)a->l1_write[t];
        out[counters[t][2]] = (double)a->l2_read[t];
        out[counters[t][3]] = (double)a->l2_write[t];
    }
    static const int delays[3][3] = {
        {CXE_OUT_INGRESS_DELAY_MIN, CXE_OUT_INGRESS_DELAY_MAX, CXE_OUT_INGRESS_DELAY_AVG},
        {CXE_OUT_EGRESS_DELAY_MIN, CXE_OUT_EGRESS_DELAY_MAX, CXE_OUT_EGRESS_DELAY_AVG},
        {CXE_OUT_COMPUTE_DELAY_MIN, CXE_OUT_COMPUTE_DELAY_MAX, CXE_OUT_COMPUTE_DELAY_AVG},
    };
    for (int k = 0; k < 3; k++) {
        out[delays[k][0]] = a->total ? (double)a->dmin[k] : 0.0;
        out[delays[k][1]] = (double)a->dmax[k];
        out[delays[k][2]] = a->total ? (double)cdiv(c, a->dsum[k], a->total) : 0.0;
    }
    int64_t l1_cells = l1 ? l1 : 1, l2_cells = l2 ? l2 : 1;  /* an SRAM has at least one cell */
    double energy, area, power;
    price(a, pes, hw, out, &energy, &area, &power);
    double macs = OUT(MACS), runtime = OUT(RUNTIME);
    double pe_power = (double)pes * hw->mac_power;
    double l1_power = (double)pes * hw->l1_power * (double)l1_cells;
    double l2_power = hw->l2_power * (double)l2_cells;
    OUT(ENERGY) = energy;
    OUT(THROUGHPUT) = fdiv(macs, runtime);
    OUT(THROUGHPUT_PER_ENERGY) = fdiv(fdiv(macs, runtime), energy) * 1e9;
    OUT(AREA) = area;
    OUT(POWER) = power;
    OUT(AVG_BW) = fdiv((double)a->avg_bw, (double)a->total);
    OUT(MULTICAST_FILTER) = fdiv(OUT(FILTER_L1_WRITE), OUT(FILTER_L2_READ));
    OUT(MULTICAST_INPUT) = fdiv(OUT(INPUT_L1_WRITE), OUT(INPUT_L2_READ));
    OUT(OPS_PER_JOULE) = fdiv(macs, energy) * 1e9;
    OUT(PE_POWER) = pe_power;
    OUT(L1_POWER) = l1_power;
    OUT(L2_POWER) = l2_power;
    OUT(NOC_POWER) = power - pe_power - l1_power - l2_power;
    OUT(INPUT_REUSE) = fdiv(OUT(INPUT_L1_READ), OUT(INPUT_L1_WRITE));
    OUT(FILTER_REUSE) = fdiv(OUT(FILTER_L1_READ), OUT(FILTER_L1_WRITE));
    OUT(OUTPUT_REUSE) = fdiv(OUT(OUTPUT_L1_READ), OUT(OUTPUT_L1_WRITE));
    OUT(UTILIZED_PES) = avg_active(a);
    OUT(ARITHMETIC_INTENSITY) = a->total ? fdiv((double)a->last_macs, (double)a->last_ingress) : 0.0;
}

/* evaluate()'s last steps: INVALID, else OK or IMPOSSIBLE by the physical bounds */
static int printed_status(const problem_t *pb, const acc_t *a, i64 pes, i64 simd, const double *out)
{
    double energy = OUT(ENERGY);
    if (a->runtime <= 0 || energy < 0 || isnan(energy)) return CXE_INVALID;
    const i128 work = (i128)pb->bound[0], input_used = (i128)pb->bound[1];
    const i128 filter_size = (i128)pb->bound[2], output_size = (i128)pb->bound[3];
    int broken = (i128)a->runtime * pes * simd < work             /* compute bound */
                 || (i128)a->computations < work                   /* work */
                 || OUT(UTILIZED_PES) > (double)pes                /* utilized PEs */
                 || (i128)a->l2_read[T_IN] < input_used            /* input traffic */
                 || (i128)a->l2_read[T_FILT] < filter_size         /* filter traffic */
                 || (i128)a->l2_write[T_OUT] < output_size         /* output traffic */
                 || OUT(L1_BYTES) <= 0 || OUT(L2_BYTES) <= 0;      /* buffer size */
    return broken ? CXE_IMPOSSIBLE : CXE_OK;
}

/* evaluate() of one design on a compiled program: the status; the outputs into out[] */
static int eval_point(ctx *c, analysis_t *an, i64 pes, i64 hops, i64 hop_latency, const cx_hardware *hw,
                      const cx_hardware *priced, double *out)
{
    prog_t *g = an->g;
    if (g->err_pre >= 0) return g->err_pre;
    jmp_buf jb;
    amark m = amark_of(c->tmp);
    c->jb = &jb;
    if (setjmp(jb)) {
        arelease(c->tmp, m);
        return c->status;
    }
    i64 size = pes / g->uppermost, edges = unit_size(c, &g->lv[0], size);
    if (g->err_post >= 0) fail(c, g->err_post);
    c->latency = i32(c, (i128)hops * hop_latency);
    acc_t *acc = aalloc(c, c->tmp, sizeof *acc);
    if (g->top || g->uses++ > 0) {
        analyse_top(c, an, size, edges, acc);
    } else {  /* a program one design uses needs no cache */
        level_t *top = aalloc(c, c->tmp, sizeof *top);
        *top = g->lv[0];
        top->size = size;
        top->edge_clusters = edges;
        analyse(c, an, top, &top->dims, acc);
    }
    report(c, an->pb, acc, pes, hw, out);
    int status = printed_status(an->pb, acc, pes, c->simd, out);
    if (priced && (status == CXE_OK || status == CXE_IMPOSSIBLE)) {
        /* the caller's cost database: MAESTRO's counts priced as confuciux prices them (the status
         * above stays MAESTRO's: its printed energy decides whether it prints a cost) */
        price(acc, pes, priced, out, &out[CXE_OUT_ENERGY], &out[CXE_OUT_AREA], &out[CXE_OUT_POWER]);
        if (!(isfinite(out[CXE_OUT_ENERGY]) && isfinite(out[CXE_OUT_AREA]) && isfinite(out[CXE_OUT_POWER])))
            status = CXE_OVERFLOW;
    }
    arelease(c->tmp, m);
    return status;
}

/* ---- the batch: inputs checked, programs bound and compiled per layer, points evaluated ---- */

/* a tensor's dimensions: known ones up to the first -1 (or CXE_MAX_COUPLED), at least one */
static int tensor_ok(const int8_t *dims)
{
    int n = 0;
    while (n < CXE_MAX_COUPLED && dims[n] != -1) {
        if (dims[n] < 0 || dims[n] >= ND) return 0;
        n++;
    }
    return n > 0;
}

/* 1 when layer l and its program are well formed (see cxe_evaluate); *knobs: the knobs it uses */
static int layer_ok(const cxe_layers *ly, const cxe_programs *pr, size_t l, int *knobs)
{
    const int64_t *dims = ly->dims + l * ND;
    for (int d = 0; d < ND; d++)
        if (dims[d] < 0) return 0;
    if (ly->stride_y[l] < 1 || ly->stride_x[l] < 1 || ly->windows[l] > 1) return 0;
    if (ly->windows[l] && !(dims[D_X] && dims[D_Y] && dims[D_R] && dims[D_S])) return 0;
    for (int t = 0; t < NT; t++)
        if (!tensor_ok(ly->tensors + (l * NT + (size_t)t) * CXE_MAX_COUPLED)) return 0;
    if (pr->first[l] < 0 || pr->first[l + 1] < pr->first[l] || pr->first[l + 1] - pr->first[l] > MAX_DIRECTIVES)
        return 0;
    *knobs = 0;
    for (int64_t j = pr->first[l]; j < pr->first[l + 1]; j++) {
        int kind = pr->kind[j], cluster = kind == CXE_CLUSTER;
        if (kind > CXE_CLUSTER || pr->size_knob[j] > CXE_KNOB_BUFFERS || pr->offset_knob[j] > CXE_KNOB_BUFFERS)
            return 0;
        if (!cluster && (pr->dim[j] < 0 || pr->dim[j] >= ND)) return 0;
        if (!pr->size_knob[j] && pr->size[j] < 1) return 0;
        if (!cluster && !pr->offset_knob[j] && pr->offset[j] < 1) return 0;
        *knobs |= 1 << pr->size_knob[j];
        if (!cluster) *knobs |= 1 << pr->offset_knob[j];
    }
    return 1;
}

static void problem_of(const cxe_layers *ly, size_t l, problem_t *pb)
{
    memset(pb, 0, sizeof *pb);
    memcpy(pb->dims, ly->dims + l * ND, sizeof pb->dims);
    pb->sy = ly->stride_y[l];
    pb->sx = ly->stride_x[l];
    pb->windows = ly->windows[l];
    for (int t = 0; t < NT; t++) {
        const int8_t *src = ly->tensors + (l * NT + (size_t)t) * CXE_MAX_COUPLED;
        while (pb->n_coupled[t] < CXE_MAX_COUPLED && src[pb->n_coupled[t]] != -1) {
            int d = src[pb->n_coupled[t]];
            pb->coupled[t][pb->n_coupled[t]++] = (int8_t)d;
            pb->mask[t] |= BIT(d);
        }
    }
    pb->vars = pb->mask[T_IN] | pb->mask[T_FILT];
    for (int k = 0; k < 4; k++)
        pb->bound[k] = (u128)ly->bounds[(l * 4 + k) * 2] << 64 | ly->bounds[(l * 4 + k) * 2 + 1];
}

/* The program of layer l bound for (pes, k): Template.bind.  Returns the status that stops
 * the point before the analysis (-1: none): OVERFLOW for a value beyond MAESTRO's int, REFUSED
 * where a temporal R/S map does not cover the filter whole. */
static int bind_program(const cxe_programs *pr, size_t l, i64 pes, i64 k, bound_t *out)
{
    int status = -1;
    for (int64_t j = pr->first[l], i = 0; j < pr->first[l + 1]; j++, i++) {
        i64 knob[3] = {0, pes, k};
        i64 size = pr->size_knob[j] ? knob[pr->size_knob[j]] : pr->size[j];
        i64 ofs = pr->kind[j] == CXE_CLUSTER ? 0 : pr->offset_knob[j] ? knob[pr->offset_knob[j]] : pr->offset[j];
        out[i] = (bound_t){size, ofs, pr->kind[j], pr->dim[j]};
        if (pr->whole[j] > 0 && !(size == pr->whole[j] && ofs == pr->whole[j]) && status < 0) status = CXE_REFUSED;
        if (size > I32MAX || ofs > I32MAX) status = CXE_OVERFLOW;
    }
    return status;
}

/* The compiled programs of one layer, by the design knobs they were bound with. */
typedef struct {
    prog_t **slots;
    size_t cap, n;
} prog_cache;

static uint64_t hash_key(i64 p, i64 k) { return ((uint64_t)p * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)k * 0xC2B2AE3D27D4EB4FULL); }

static prog_t *cache_find(prog_cache *pc, i64 p, i64 k)
{
    if (!pc->cap) return NULL;
    for (size_t j = hash_key(p, k) & (pc->cap - 1); pc->slots[j]; j = (j + 1) & (pc->cap - 1))
        if (pc->slots[j]->pes_key == p && pc->slots[j]->buf_key == k) return pc->slots[j];
    return NULL;
}

static void cache_insert(ctx *c, arena *perm, prog_cache *pc, prog_t *g)
{
    if (2 * (pc->n + 1) > pc->cap) {
        size_t cap = pc->cap ? 2 * pc->cap : 64;
        prog_t **slots = aalloc(c, perm, cap * sizeof *slots);
        memset(slots, 0, cap * sizeof *slots);
        for (size_t i = 0; i < pc->cap; i++) {
            prog_t *x = pc->slots[i];
            if (!x) continue;
            size_t j = hash_key(x->pes_key, x->buf_key) & (cap - 1);
            while (slots[j]) j = (j + 1) & (cap - 1);
            slots[j] = x;
        }
        pc->slots = slots;
        pc->cap = cap;
    }
    size_t j = hash_key(g->pes_key, g->buf_key) & (pc->cap - 1);
    while (pc->slots[j]) j = (j + 1) & (pc->cap - 1);
    pc->slots[j] = g;
    pc->n++;
}

/* the compiled programs and memos of one layer are dropped past this many bytes */
#define PERM_LIMIT ((size_t)32 << 20)

typedef struct {
    const cxe_layers *ly;
    const cxe_programs *pr;
    const cx_designs *des;
    const cxe_flags *fl;
    const cx_hardware *hw, *priced;
    const int *outputs;
    size_t n_outputs;
    double *rows;
    uint8_t *status;
    const uint8_t *codes;
    size_t n_layers, n_designs;
} batch_t;

static void store(const batch_t *b, size_t i, int status, const double *out)
{
    int printed = status == CXE_OK || status == CXE_IMPOSSIBLE;
    size_t n = b->n_designs * b->n_layers;
    for (size_t j = 0; j < b->n_outputs; j++) b->rows[j * n + i] = printed ? out[b->outputs[j]] : NAN;
    b->status[i] = b->codes ? b->codes[status] : (uint8_t)status;
}

/* A layer's state across the designs: its problem, its program's length, the knobs it uses,
 * its compiled programs. */
typedef struct {
    problem_t pb;
    int n, knobs;
    prog_cache pc;
} layer_state;

/* Point (d, l); fails (OOM) through c->jb. */
static void eval_one(ctx *c, const batch_t *b, layer_state *ls, size_t d, size_t l, arena *perm, bound_t *bound)
{
    size_t i = d * b->n_layers + l;
    double out[CXE_N_OUTPUTS];
    i64 pes = b->des->pes[d * b->des->pes_step[0] + l * b->des->pes_step[1]];
    i64 k = (ls->knobs & (1 << CXE_KNOB_BUFFERS)) ? b->des->ktile[d * b->des->ktile_step[0] + l * b->des->ktile_step[1]] : 0;
    i64 pkey = (ls->knobs & (1 << CXE_KNOB_PES)) ? pes : 0;
    const i64 hops = b->fl->noc_hops, lat = b->fl->noc_hop_latency;
    if (c->simd > I32MAX || c->noc_bw > I32MAX || c->offchip_bw > I32MAX || hops > I32MAX || lat > I32MAX
        || pes > I32MAX || k > I32MAX) {
        store(b, i, CXE_OVERFLOW, out);
        return;
    }
    prog_t *g = cache_find(&ls->pc, pkey, k);
    if (!g) {
        int st = bind_program(b->pr, l, pes, k, bound);
        if (st >= 0) {
            store(b, i, st, out);
            return;
        }
        g = aalloc(c, perm, sizeof *g);
        memset(g, 0, sizeof *g);
        g->pes_key = pkey;
        g->buf_key = k;
        compile(c, perm, g, &ls->pb, bound, ls->n);
        cache_insert(c, perm, &ls->pc, g);
    }
    analysis_t an = {&ls->pb, g, perm};
    jmp_buf *outer = c->jb;
    int st = eval_point(c, &an, pes, hops, lat, b->hw, b->priced, out);
    c->jb = outer;
    if (st == OOM) fail(c, OOM);
    store(b, i, st, out);
}

/* The state kept between calls: the layer states, compiled programs and memos of one set of
 * inputs (layers, programs, flags), and the scratch memory. */
struct cxe_cache {
    arena perm, tmp;
    int64_t *inputs;   /* the inputs the kept state belongs to, serialised */
    size_t n_inputs;
    layer_state *ls;   /* NULL: nothing kept */
    amark base;        /* perm after the layer states: compiled programs and memos above */
};

cxe_cache *cxe_cache_new(void) { return calloc(1, sizeof(cxe_cache)); }

void cxe_cache_free(cxe_cache *k)
{
    if (!k) return;
    afree(&k->perm);
    afree(&k->tmp);
    free(k->inputs);
    free(k);
}

static void cache_clear(cxe_cache *k)
{
    arelease(&k->perm, (amark){NULL, 0, 0});
    k->ls = NULL;
    free(k->inputs);
    k->inputs = NULL;
    k->n_inputs = 0;
}

/* The inputs a cache's state depends on, as int64 words (NULL when out of memory). */
static int64_t *serialise(const batch_t *b, size_t *n)
{
    const cxe_layers *ly = b->ly;
    const cxe_programs *pr = b->pr;
    size_t L = b->n_layers, dirs = (size_t)(pr->first[L] - pr->first[0]);
    size_t per_layer = ND + 4 + 3 * CXE_MAX_COUPLED + 8 + 1;
    *n = 5 + L * per_layer + 7 * dirs;
    int64_t *w = malloc(*n * sizeof *w), *p = w;
    if (!w) return NULL;
    const cxe_flags *f = b->fl;
    *p++ = f->simd; *p++ = f->noc_bw; *p++ = f->noc_hops; *p++ = f->noc_hop_latency; *p++ = f->offchip_bw;
    for (size_t l = 0; l < L; l++) {
        for (int d = 0; d < ND; d++) *p++ = ly->dims[l * ND + d];
        *p++ = ly->stride_y[l]; *p++ = ly->stride_x[l]; *p++ = ly->windows[l];
        for (int j = 0; j < 3 * CXE_MAX_COUPLED; j++) *p++ = ly->tensors[l * 3 * CXE_MAX_COUPLED + j];
        for (int j = 0; j < 8; j++) *p++ = (int64_t)ly->bounds[l * 8 + j];
        *p++ = pr->first[l + 1] - pr->first[l];
        *p++ = pr->first[l] - pr->first[0];
    }
    for (int64_t j = pr->first[0]; j < pr->first[L]; j++) {
        *p++ = pr->kind[j]; *p++ = pr->dim[j]; *p++ = pr->size[j]; *p++ = pr->offset[j];
        *p++ = pr->size_knob[j]; *p++ = pr->offset_knob[j]; *p++ = pr->whole[j];
    }
    *n = (size_t)(p - w);
    return w;
}

/* Every point, design by design (so that the outputs are written in order), with the state kept
 * in `k`; 0, or -3 when out of memory (the only failure that reaches the call). */
static int run_batch(ctx *c, const batch_t *b, const int *knobs, int64_t longest, cxe_cache *k)
{
    jmp_buf jb;
    c->jb = &jb;
    if (setjmp(jb) != 0) return -3;
    arena *perm = &k->perm;
    bound_t *bound = aalloc(c, c->tmp, (size_t)(longest + 1) * sizeof *bound);
    amark after_bound = amark_of(c->tmp);
    if (!k->ls) {
        k->ls = aalloc(c, perm, (b->n_layers ? b->n_layers : 1) * sizeof *k->ls);
        for (size_t l = 0; l < b->n_layers; l++) {
            problem_of(b->ly, l, &k->ls[l].pb);
            k->ls[l].n = (int)(b->pr->first[l + 1] - b->pr->first[l]);
            k->ls[l].knobs = knobs[l];
            k->ls[l].pc = (prog_cache){NULL, 0, 0};
        }
        k->base = amark_of(perm);
    }
    layer_state *ls = k->ls;
    for (size_t d = 0; d < b->n_designs; d++) {
        if (perm->live - k->base.live > PERM_LIMIT) {  /* drop every compiled program and memo */
            arelease(perm, k->base);
            for (size_t l = 0; l < b->n_layers; l++) ls[l].pc = (prog_cache){NULL, 0, 0};
        }
        for (size_t l = 0; l < b->n_layers; l++) {
            eval_one(c, b, &ls[l], d, l, perm, bound);
            arelease(c->tmp, after_bound);
        }
    }
    return 0;
}

int cxe_evaluate(const cxe_layers *layers, const cxe_programs *programs, size_t n_layers,
                 const cx_designs *designs, size_t n_designs, const cxe_flags *flags,
                 const cx_hardware *hw, const cx_hardware *priced, const int *outputs, size_t n_outputs,
                 double *rows, uint8_t *status, const uint8_t *codes, cxe_cache *cache)
{
    if (flags->simd < 1 || flags->noc_bw < 1 || flags->offchip_bw < 1 || flags->noc_hops < 0
        || flags->noc_hop_latency < 0)
        return -1;
    for (size_t j = 0; j < n_outputs; j++)
        if (outputs[j] < 0 || outputs[j] >= CXE_N_OUTPUTS) return -1;
    int64_t longest = 0;
    int *knobs = malloc((n_layers ? n_layers : 1) * sizeof *knobs);
    if (!knobs) return -3;
    for (size_t l = 0; l < n_layers; l++) {
        if (!layer_ok(layers, programs, l, &knobs[l])) {
            free(knobs);
            return -1;
        }
        if (programs->first[l + 1] - programs->first[l] > longest) longest = programs->first[l + 1] - programs->first[l];
        for (size_t d = 0; d < n_designs; d++) {
            if (designs->pes[d * designs->pes_step[0] + l * designs->pes_step[1]] < 1
                || ((knobs[l] & (1 << CXE_KNOB_BUFFERS))
                    && designs->ktile[d * designs->ktile_step[0] + l * designs->ktile_step[1]] < 1)) {
                free(knobs);
                return -1;
            }
        }
    }
    batch_t b = {layers, programs, designs, flags, hw, priced, outputs, n_outputs, rows, status, codes, n_layers, n_designs};
    cxe_cache local;
    memset(&local, 0, sizeof local);
    cxe_cache *k = cache ? cache : &local;
    if (cache) {  /* keep the state only for the very inputs it was made from */
        size_t n;
        int64_t *w = serialise(&b, &n);
        if (!w) { free(knobs); return -3; }
        if (k->ls && n == k->n_inputs && memcmp(w, k->inputs, n * sizeof *w) == 0) {
            free(w);
        } else {
            cache_clear(k);
            k->inputs = w;
            k->n_inputs = n;
        }
    }
    ctx c;
    memset(&c, 0, sizeof c);
    c.tmp = &k->tmp;
    c.simd = flags->simd;
    c.noc_bw = flags->noc_bw;
    c.offchip_bw = flags->offchip_bw;
    int rc = run_batch(&c, &b, knobs, longest, k);
    arelease(&k->tmp, (amark){NULL, 0, 0});
    if (rc != 0 && cache) cache_clear(k);  /* a failure may leave a half-made state */
    if (!cache) {
        afree(&local.tmp);
        afree(&local.perm);
    }
    free(knobs);
    return rc;
}
