/* Drives the cost-model kernel with adversarial integers (0, negatives, INT64_MIN/MAX, values
 * around overflow thresholds) for every dataflow, both energy accountings and coefficients large
 * enough to overflow float64.  Built and run by tests/sanitize.sh under
 * -fsanitize=address,undefined: any undefined behaviour aborts.  Also checks the output
 * contract: status < CX_N_STATUSES, valid == printed (status CX_OK or CX_IMPOSSIBLE), NaN
 * everywhere where not printed, positive runtime and finite costs where printed (counts >= 0 except the output counters, which
 * MAESTRO lets go negative through the edge steps of a strided layer); broadcast designs (step 0) and the single-point
 * entry agree with the batch; unknown dataflows are refused.  Batch, groups and strides are
 * drawn the same way (half of the rounds with the NULL columns that mean 1), so strided edge
 * steps, refusals and groups that do not divide K or C all come up. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cost_model.h"

#define NL 64
#define ND 64
#define NP (NL * ND)

static const int64_t SPECIAL[] = {
    INT64_MIN, INT64_MIN + 1, -4096, -1, 0, 1, 2, 3, 7, 11, 64, 4096, 65535, 1LL << 31,
    (1LL << 31) + 1, 3037000499LL, 3037000500LL, 1LL << 40, 1LL << 62, INT64_MAX - 1, INT64_MAX,
};
#define NSPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

static uint64_t state = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static int64_t draw(void)
{
    switch (next() % 4) {
    case 0: return SPECIAL[next() % NSPECIAL];
    case 1: return (int64_t)(next() % 64) + 1;
    case 2: return (int64_t)(next() % 5000) + 1;
    default: return (int64_t)next();  /* any bit pattern */
    }
}

static int64_t K[NL], C[NL], Y[NL], X[NL], R[NL], S[NL], N[NL], G[NL], SY[NL], SX[NL], P[NP], k[NP];
static uint8_t dw[NL], status[NP], valid[NP];
static cx_layers layers = {K, C, Y, X, R, S, N, G, SY, SX, dw};
static double values[CX_N_OUTPUTS][NP];

static int check_point(int i, int all_asked, const cx_outputs *out)
{
    int printed = status[i] == CX_OK || status[i] == CX_IMPOSSIBLE;
    if (status[i] >= CX_N_STATUSES || valid[i] != printed) {
        fprintf(stderr, "point %d: status %d valid %d\n", i, status[i], valid[i]);
        return 1;
    }
    for (int j = 0; j < CX_N_OUTPUTS; j++) {
        if (!out->values[j]) continue;
        double v = values[j][i];
        int may_be_negative = j == CX_OUT_OUTPUT_L2_WRITE || j == CX_OUT_OUTPUT_L1_READ || j == CX_OUT_OUTPUT_L1_WRITE;
        if (printed ? !isfinite(v) || (v < 0 && !may_be_negative) : !isnan(v)) {
            fprintf(stderr, "point %d (status %d): output %d is %g\n", i, status[i], j, v);
            return 1;
        }
    }
    if (printed && all_asked && !(values[CX_OUT_RUNTIME][i] >= 1)) {
        fprintf(stderr, "point %d: ok but runtime %g\n", i, values[CX_OUT_RUNTIME][i]);
        return 1;
    }
    return 0;
}

/* The single-point entry gives the batch's values for point i (layer l). */
static int check_single(int i, int l, int df, const cx_hardware *hw)
{
    int64_t dims[10] = {K[l], C[l], Y[l], X[l], R[l], S[l], 1, 1, 1, 1};
    if (layers.N) { dims[6] = N[l]; dims[7] = G[l]; dims[8] = SY[l]; dims[9] = SX[l]; }
    cx_layers one = {dims, dims + 1, dims + 2, dims + 3, dims + 4, dims + 5, dims + 6, dims + 7,
                     dims + 8, dims + 9, &dw[l]};
    double v[CX_N_OUTPUTS];
    int st = cx_evaluate_point(&one, P[i], k[i], df, hw, v);
    if (st != status[i]) { fprintf(stderr, "point %d: single status %d, batch %d\n", i, st, status[i]); return 1; }
    for (int j = 0; j < CX_N_OUTPUTS; j++)
        if (memcmp(&v[j], &values[j][i], sizeof(double)) != 0 && !(isnan(v[j]) && isnan(values[j][i]))) {
            fprintf(stderr, "point %d: single output %d differs\n", i, j);
            return 1;
        }
    return 0;
}

/* Batch, groups, strides: mostly small (so that most layers are well formed), sometimes wild. */
static int64_t draw_small(void) { return next() % 4 ? (int64_t)(next() % 5) + 1 : draw(); }

int main(void)
{
    cx_outputs all, some;
    for (int j = 0; j < CX_N_OUTPUTS; j++) all.values[j] = values[j];
    all.status = status;
    all.valid = valid;
    some = all;  /* every third round leaves some outputs out (NULL): the path testing each pointer */
    some.values[CX_OUT_ENERGY] = NULL;
    some.values[CX_OUT_INPUT_L2_READ] = NULL;
    some.values[CX_OUT_AREA] = NULL;
    cx_hardware hw[3] = {
        {.l2_energy = 1, .l1_energy = 0.1, .maestro_energy = 1, .mac_area = 283, .l1_area = 0.1,
         .l2_area = 0.1, .bus_width = 81920000, .bus_area_per_port = 1492, .arbiter_area = 395,
         .arbiter_area_floor = 1, .arbiter_a2 = 1.2886, .arbiter_a1 = 5.58, .arbiter_a0 = -23.7},
        {.mac_energy = 1, .l1_energy = 1, .l2_energy = 1, .mac_area = 283, .l1_area = 4, .l2_area = 1.5,
         .bus_width = 1, .bus_area_per_port = 150},
        /* float results out of range: such points must come back CX_OVERFLOW */
        {.mac_energy = 1e308, .l1_energy = 1e308, .l2_energy = 1e308, .mac_area = 1e308, .l1_area = 1e300,
         .l2_area = 1, .mac_power = 1e308, .bus_width = 1e200, .bus_area_per_port = 1e200},
    };
    long counts[CX_N_STATUSES] = {0};
    for (int round = 0; round < 300; round++) {
        for (int l = 0; l < NL; l++) {
            K[l] = draw(); C[l] = draw(); R[l] = draw(); S[l] = draw(); dw[l] = next() % 3 == 0;
            /* keep a fair share of well-formed layers */
            Y[l] = next() % 2 ? draw() : (R[l] > 0 && R[l] < 1000 ? R[l] + (int64_t)(next() % 40) : draw());
            X[l] = next() % 2 ? draw() : (S[l] > 0 && S[l] < 1000 ? S[l] + (int64_t)(next() % 40) : draw());
            N[l] = draw_small(); SY[l] = draw_small(); SX[l] = draw_small();
            G[l] = next() % 3 ? 1 : draw_small();
            if (G[l] > 1 && G[l] < 64 && next() % 2) {  /* make it divide K and C most of the time */
                if (K[l] > 0 && K[l] < (1LL << 40)) K[l] *= G[l];
                if (C[l] > 0 && C[l] < (1LL << 40)) C[l] *= G[l];
            }
        }
        /* half of the rounds without the extra columns: NULL means all 1 */
        int extra = (round / 2) % 2;
        layers.N = extra ? N : NULL;
        layers.G = extra ? G : NULL;
        layers.SY = extra ? SY : NULL;
        layers.SX = extra ? SX : NULL;
        for (int i = 0; i < NP; i++) { P[i] = draw(); k[i] = draw(); }
        /* every fourth round broadcasts: pes per layer (step 0 over designs), ktile one value */
        int bcast = round % 4 == 3;
        cx_designs designs = {P, k, {bcast ? 0 : NL, 1}, {bcast ? 0 : NL, bcast ? 0 : 1}};
        const cx_outputs *out = round % 3 == 2 ? &some : &all;
        const cx_hardware *h = &hw[round % 3];
        for (int df = CX_DLA; df <= CX_EYE; df++) {
            for (int j = 0; j < CX_N_OUTPUTS; j++)
                for (int i = 0; i < NP; i++) values[j][i] = -1.0;  /* a value the kernel never writes */
            if (cx_evaluate(&layers, NL, &designs, ND, df, h, out) != 0) return 1;
            for (int i = 0; i < NP; i++) {
                if (check_point(i, out == &all, out)) return 1;
                counts[status[i]]++;
                int d = i / NL, l = i % NL;
                int64_t p = P[d * designs.pes_step[0] + l * designs.pes_step[1]];
                int64_t kt = k[d * designs.ktile_step[0] + l * designs.ktile_step[1]];
                if (out == &all && i % 7 == 0) {
                    int64_t save_p = P[i], save_k = k[i];
                    P[i] = p; k[i] = kt;  /* check_single reads the point's own P, k */
                    int bad = check_single(i, l, df, h);
                    P[i] = save_p; k[i] = save_k;
                    if (bad) return 1;
                }
            }
        }
    }
    double v[CX_N_OUTPUTS];
    cx_designs designs = {P, k, {NL, 1}, {NL, 1}};
    if (cx_evaluate(&layers, NL, &designs, ND, 7, &hw[0], &all) != -1) return 1;  /* unknown dataflow */
    if (cx_evaluate(&layers, NL, &designs, ND, CX_DPT, &hw[0], &all) != -1) return 1;  /* not selectable */
    if (cx_evaluate_point(&layers, 4, 4, -1, &hw[0], v) != -1) return 1;
    /* the block entry: rows in the order asked, bad output lists refused */
    static double rows[2][NP];
    const int good[2] = {CX_OUT_ENERGY, CX_OUT_RUNTIME}, twice[2] = {CX_OUT_AREA, CX_OUT_AREA},
              high[1] = {CX_N_OUTPUTS}, low[1] = {-1};
    if (cx_evaluate_rows(&layers, NL, &designs, ND, CX_DLA, &hw[1], good, 2, rows[0], status, valid) != 0) return 1;
    if (cx_evaluate(&layers, NL, &designs, ND, CX_DLA, &hw[1], &all) != 0) return 1;
    for (int i = 0; i < NP; i++)
        if (memcmp(&rows[0][i], &values[CX_OUT_ENERGY][i], sizeof(double))
            || memcmp(&rows[1][i], &values[CX_OUT_RUNTIME][i], sizeof(double))) {
            fprintf(stderr, "point %d: cx_evaluate_rows differs from cx_evaluate\n", i);
            return 1;
        }
    if (cx_evaluate_rows(&layers, NL, &designs, ND, CX_DLA, &hw[1], twice, 2, rows[0], status, valid) != -2) return 1;
    if (cx_evaluate_rows(&layers, NL, &designs, ND, CX_DLA, &hw[1], high, 1, rows[0], status, valid) != -2) return 1;
    if (cx_evaluate_rows(&layers, NL, &designs, ND, CX_DLA, &hw[1], low, 1, rows[0], status, valid) != -2) return 1;
    if (cx_evaluate_rows(&layers, NL, &designs, ND, CX_DLA, &hw[1], good, CX_N_OUTPUTS + 1, rows[0], status, valid) != -2) return 1;
    printf("kernel stress: ok %ld, invalid %ld, overflow %ld, bad input %ld, not supported %ld, impossible %ld\n",
           counts[CX_OK], counts[CX_INVALID], counts[CX_OVERFLOW], counts[CX_BAD_INPUT], counts[CX_UNSUPPORTED],
           counts[CX_IMPOSSIBLE]);
    /* status 4 (not supported) is no longer produced: every regime has its forms; the closed forms
     * report every point MAESTRO cannot cost as CX_INVALID (the general engine says how it fails) */
    for (int s = CX_IMPOSSIBLE + 1; s < CX_N_STATUSES; s++)
        if (counts[s]) return 1;
    return (counts[CX_OK] && counts[CX_INVALID] && counts[CX_OVERFLOW] && counts[CX_BAD_INPUT]
            && counts[CX_IMPOSSIBLE] && !counts[CX_UNSUPPORTED]) ? 0 : 1;
}
