/* Drives the general engine (csrc/engine.c) with adversarial input: random programs of up to
 * six levels and a dozen maps a level (any kind, dimension, knob; sizes and offsets 0, 1, small,
 * around the 32- and 64-bit limits, any bit pattern), random layers as MAESTRO sees them (sizes
 * up to INT64_MAX, strides, windows on and off, any tensor couplings), random designs and flags.
 * Built and run by tests/sanitize.sh under -fsanitize=address,undefined: any undefined behaviour
 * aborts.  Also checks the contract: the call returns 0 or -1 (malformed input, nothing written);
 * every status is a cxe_status; outputs are NaN unless the point is printed (CXE_OK,
 * CXE_IMPOSSIBLE), and a printed point has a runtime >= 1; the same designs in another order,
 * one at a time, or again with the state a cache kept (from these inputs or from others) give
 * the same values bit for bit: what the engine shares between designs and calls never changes a
 * result. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

#define NL 6           /* layers a call */
#define NDES 24        /* designs a call */
#define MAXDIR 64      /* directives a program */
#define NP (NL * NDES)

static const int64_t SPECIAL[] = {
    INT64_MIN, -4096, -1, 0, 1, 2, 3, 4, 7, 64, 4096, 65535, (1LL << 31) - 1, 1LL << 31,
    (1LL << 31) + 1, 3037000499LL, 1LL << 40, 1LL << 62, INT64_MAX - 1, INT64_MAX,
};
#define NSPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

static uint64_t state = 0x2545F4914F6CDD1DULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static int small_round;  /* rounds of small values only: most points then get costed */
static int64_t draw(void)
{
    if (small_round) return (int64_t)(next() % 12) + 1;
    switch (next() % 8) {
    case 0: return SPECIAL[next() % NSPECIAL];
    case 1: return (int64_t)next();
    case 2: case 3: return (int64_t)(next() % 40) + 1;
    default: return (int64_t)(next() % 9) + 1;
    }
}
/* >= 1, except in the rounds that test malformed input (then now and then anything) */
static int bad_round;
static int64_t draw_pos(void) { int64_t v = draw(); return bad_round && next() % 16 == 0 ? v : (v < 1 ? 1 : v); }
static int rare(void) { return bad_round && next() % 32 == 0; }

static int64_t dims[NL * CXE_N_DIMS], sy[NL], sx[NL];
static uint8_t windows[NL];
static int8_t tensors[NL * 3 * CXE_MAX_COUPLED];
static uint64_t bounds[NL * 8];
static int64_t first[NL + 1], size[NL * MAXDIR], offset[NL * MAXDIR], whole[NL * MAXDIR];
static uint8_t kind[NL * MAXDIR], size_knob[NL * MAXDIR], offset_knob[NL * MAXDIR];
static int8_t dim[NL * MAXDIR];
static int64_t pes[NP], ktile[NP];
static double values[CXE_N_OUTPUTS][NP], again[CXE_N_OUTPUTS][NP];
static int all_outputs[CXE_N_OUTPUTS];
static uint8_t status[NP], status2[NP];

static void random_layer(int l)
{
    static const int8_t couplings[][3][CXE_MAX_COUPLED] = {
        /* CONV: input C Y X, filter K C R S, output K Y X */
        {{CXE_DIM_C, CXE_DIM_Y, CXE_DIM_X, -1}, {CXE_DIM_K, CXE_DIM_C, CXE_DIM_R, CXE_DIM_S, -1},
         {CXE_DIM_K, CXE_DIM_Y, CXE_DIM_X, -1}},
        /* NGCONV with a batch */
        {{CXE_DIM_N, CXE_DIM_G, CXE_DIM_C, CXE_DIM_Y, CXE_DIM_X, -1},
         {CXE_DIM_G, CXE_DIM_K, CXE_DIM_C, CXE_DIM_R, CXE_DIM_S, -1},
         {CXE_DIM_N, CXE_DIM_G, CXE_DIM_K, CXE_DIM_C, CXE_DIM_Y, CXE_DIM_X}},
        /* GEMM */
        {{CXE_DIM_M, CXE_DIM_K, -1}, {CXE_DIM_K, CXE_DIM_N, -1}, {CXE_DIM_M, CXE_DIM_N, -1}},
    };
    int form = (int)(next() % 4);
    for (int d = 0; d < CXE_N_DIMS; d++) dims[l * CXE_N_DIMS + d] = next() % 3 ? draw_pos() : 0;
    if (rare()) dims[l * CXE_N_DIMS + next() % CXE_N_DIMS] = -3;
    if (form == 3) {  /* any couplings (malformed in bad rounds only) */
        for (int t = 0; t < 3; t++) {
            int8_t *c = tensors + (l * 3 + t) * CXE_MAX_COUPLED;
            int n = 1 + (int)(next() % CXE_MAX_COUPLED);
            for (int j = 0; j < CXE_MAX_COUPLED; j++) c[j] = j < n ? (int8_t)(next() % CXE_N_DIMS) : -1;
            if (rare()) c[next() % CXE_MAX_COUPLED] = (int8_t)((int)(next() % 40) - 20);
        }
    } else {
        memcpy(tensors + l * 3 * CXE_MAX_COUPLED, couplings[form], sizeof couplings[form]);
        for (int j = 0; j < 3 * CXE_MAX_COUPLED; j++)  /* the dimensions the tensors name are declared */
            if (tensors[l * 3 * CXE_MAX_COUPLED + j] >= 0 && next() % 8)
                dims[l * CXE_N_DIMS + tensors[l * 3 * CXE_MAX_COUPLED + j]] |= 1;
    }
    windows[l] = form == 2 ? 0 : (uint8_t)(next() % 8 != 0);
    if (rare()) windows[l] = (uint8_t)next();
    if (windows[l] && (!bad_round || next() % 8)) {
        for (int d = 0; d < CXE_N_DIMS; d++)
            if (d == CXE_DIM_X || d == CXE_DIM_Y || d == CXE_DIM_R || d == CXE_DIM_S)
                if (dims[l * CXE_N_DIMS + d] <= 0) dims[l * CXE_N_DIMS + d] = 3;
    }
    sy[l] = next() % 2 ? 1 : draw_pos();
    sx[l] = next() % 2 ? 1 : draw_pos();
    for (int k = 0; k < 8; k += 2) {  /* (high, low) halves: mostly small, sometimes anything */
        bounds[l * 8 + k] = next() % 4 ? 0 : next();
        bounds[l * 8 + k + 1] = next() % 2 ? (uint64_t)(next() % 16) : next();
    }
}

static void random_program(int l)
{
    int n = (int)(next() % (next() % 4 ? 16 : MAXDIR));
    if (n == 0 && next() % 4) n = 1;
    first[l + 1] = first[l] + n;
    for (int64_t j = first[l]; j < first[l + 1]; j++) {
        int r = (int)(next() % 10);
        kind[j] = r < 3 ? CXE_SPATIAL : r < 9 ? CXE_TEMPORAL : CXE_CLUSTER;
        if (rare()) kind[j] = (uint8_t)(next() % 5);
        dim[j] = (int8_t)(rare() ? (int)(next() % 20) - 5 : (int)(next() % CXE_N_DIMS));
        if (small_round && next() % 8) {  /* mostly the layer's own dimensions */
            int tries = 0;
            while (tries++ < 20 && !(dims[l * CXE_N_DIMS + dim[j]] > 0
                                     || (windows[l] && (dim[j] == CXE_DIM_X_OUT || dim[j] == CXE_DIM_Y_OUT))))
                dim[j] = (int8_t)(next() % CXE_N_DIMS);
        }
        size[j] = draw_pos();
        offset[j] = next() % 2 ? size[j] : draw_pos();
        size_knob[j] = (uint8_t)(next() % 5 ? 0 : next() % 3);
        offset_knob[j] = (uint8_t)(next() % 5 ? 0 : next() % 3);
        if (rare()) size_knob[j] = (uint8_t)(next() % 6);
        whole[j] = next() % 6 ? 0 : draw();
    }
}

static int check(int rc, const double (*v)[NP], const uint8_t *st, int n_points)
{
    if (rc != 0 && rc != -1) { fprintf(stderr, "cxe_evaluate returned %d\n", rc); return 1; }
    if (rc != 0) return 0;
    for (int i = 0; i < n_points; i++) {
        if (st[i] >= CXE_N_STATUSES) { fprintf(stderr, "point %d: status %d\n", i, st[i]); return 1; }
        int printed = st[i] == CXE_OK || st[i] == CXE_IMPOSSIBLE;
        for (int j = 0; j < CXE_N_OUTPUTS; j++)
            if (!printed && !isnan(v[j][i])) { fprintf(stderr, "point %d: output %d not NaN\n", i, j); return 1; }
        if (printed && !(v[CXE_OUT_RUNTIME][i] >= 1)) {
            fprintf(stderr, "point %d: printed with runtime %g\n", i, v[CXE_OUT_RUNTIME][i]);
            return 1;
        }
    }
    return 0;
}

static int same(double a, double b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

int main(void)
{
    cxe_layers ly = {dims, sy, sx, windows, tensors, bounds};
    cxe_programs pr = {first, kind, dim, size, offset, size_knob, offset_knob, whole};
    cx_hardware hw = {.l2_energy = 18.61, .l1_energy = 1.68, .maestro_energy = 1, .mac_area = 283, .l1_area = 0.1,
                      .l2_area = 0.1, .mac_power = 1.2, .bus_width = 81920000, .bus_area_per_port = 1492,
                      .arbiter_area = 395, .arbiter_area_floor = 1, .arbiter_a2 = 1.2886, .arbiter_a1 = 5.58,
                      .arbiter_a0 = -23.7};
    for (int j = 0; j < CXE_N_OUTPUTS; j++) all_outputs[j] = j;
    cxe_cache *cache = cxe_cache_new();
    if (!cache) return 1;
    long counts[CXE_N_STATUSES + 1] = {0}, calls = 0;
    for (int round = 0; round < 2000; round++) {
        bad_round = round % 4 == 3;
        small_round = round % 4 < 2;
        first[0] = 0;
        for (int l = 0; l < NL; l++) { random_layer(l); random_program(l); }
        for (int i = 0; i < NP; i++) {
            pes[i] = next() % 3 ? (int64_t)(next() % 64) + 1 : draw_pos();
            ktile[i] = draw_pos();
        }
        int64_t hops = next() % 2 ? 1 : draw(), hop_latency = next() % 2 ? 1 : draw();
        if (!bad_round) { hops = hops < 0 ? 0 : hops; hop_latency = hop_latency < 0 ? 0 : hop_latency; }
        cxe_flags fl = {next() % 2 ? 1 : draw_pos(), next() % 2 ? 81920000 : draw_pos(), hops, hop_latency,
                        next() % 2 ? 70000 : draw_pos()};
        cx_designs des = {pes, ktile, {NL, 1}, {NL, 1}};
        /* with the cache every other round (it then holds another round's inputs half the time) */
        int rc = cxe_evaluate(&ly, &pr, NL, &des, NDES, &fl, &hw, NULL, all_outputs, CXE_N_OUTPUTS, &values[0][0], status, NULL,
                              round % 2 ? cache : NULL);
        if (check(rc, values, status, NP)) return 1;
        if (rc != 0 && !bad_round) { fprintf(stderr, "round %d: well-formed input refused\n", round); return 1; }
        calls++;
        if (rc != 0) { counts[CXE_N_STATUSES]++; continue; }
        for (int i = 0; i < NP; i++) counts[status[i]]++;
        /* the designs in reverse order, then one at a time: the same values bit for bit */
        static int64_t rp[NP], rk[NP];
        for (int d = 0; d < NDES; d++) {
            memcpy(rp + d * NL, pes + (NDES - 1 - d) * NL, NL * sizeof *rp);
            memcpy(rk + d * NL, ktile + (NDES - 1 - d) * NL, NL * sizeof *rk);
        }
        cx_designs rev = {rp, rk, {NL, 1}, {NL, 1}};
        if (cxe_evaluate(&ly, &pr, NL, &rev, NDES, &fl, &hw, NULL, all_outputs, CXE_N_OUTPUTS, &again[0][0], status2, NULL,
                         round % 3 ? cache : NULL) != 0)
            return 1;
        for (int d = 0; d < NDES; d++)
            for (int l = 0; l < NL; l++) {
                int i = d * NL + l, k = (NDES - 1 - d) * NL + l;
                if (status[i] != status2[k]) { fprintf(stderr, "order changes point %d's status\n", i); return 1; }
                for (int j = 0; j < CXE_N_OUTPUTS; j++)
                    if (!same(values[j][i], again[j][k])) { fprintf(stderr, "order changes point %d\n", i); return 1; }
            }
        if (round % 10 == 0) {
            for (int d = 0; d < NDES; d++) {
                cx_designs one = {pes + d * NL, ktile + d * NL, {0, 1}, {0, 1}};
                static double single[CXE_N_OUTPUTS][NL];
                if (cxe_evaluate(&ly, &pr, NL, &one, 1, &fl, &hw, NULL, all_outputs, CXE_N_OUTPUTS, &single[0][0], status2, NULL,
                                 d % 2 ? cache : NULL) != 0)
                    return 1;
                for (int l = 0; l < NL; l++) {
                    int i = d * NL + l;
                    if (status[i] != status2[l]) { fprintf(stderr, "alone, point %d's status differs\n", i); return 1; }
                    for (int j = 0; j < CXE_N_OUTPUTS; j++)
                        if (!same(values[j][i], single[j][l])) { fprintf(stderr, "alone, point %d differs\n", i); return 1; }
                }
            }
        }
    }
    cxe_cache_free(cache);
    printf("engine stress: %ld calls, %ld refused; points by status:", calls, counts[CXE_N_STATUSES]);
    for (int s = 0; s < CXE_N_STATUSES; s++) printf(" %d:%ld", s, counts[s]);
    printf("\n");
    return 0;
}
