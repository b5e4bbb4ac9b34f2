/* Drives the cost-model kernel with adversarial integers (0, negatives, INT64_MIN/MAX, values
 * around overflow thresholds) for every dataflow and both energy accountings.  Built and run by
 * tests/sanitize.sh under -fsanitize=address,undefined: any undefined behaviour aborts.  Also
 * checks the output contract: status in 0..4, zeros and NaNs where status != CX_OK, positive
 * runtime and finite costs where it is.  Batch, groups and strides are drawn the same way (half
 * of the rounds with the stride-1 NULL columns), so strided edge steps, refusals and grouped
 * layers whose groups do not divide K or C all come up. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cost_model.h"

#define NL 64
#define ND 64

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
/* Batch, groups, strides: mostly small (so that most layers are well formed), sometimes wild. */
static int64_t draw_small(void) { return next() % 4 ? (int64_t)(next() % 5) + 1 : draw(); }

int main(void)
{
    static int64_t K[NL], C[NL], Y[NL], X[NL], R[NL], S[NL], N[NL], G[NL], SY[NL], SX[NL];
    static int64_t P[NL * ND], k[NL * ND];
    static uint8_t dw[NL], status[NL * ND];
    static int64_t ints[16][NL * ND];
    static double reals[4][NL * ND];
    cx_layers layers = {K, C, Y, X, R, S, N, G, SY, SX, dw};
    cx_costs out;
    int64_t **ip = &out.runtime;
    for (int j = 0; j < 16; j++) ip[j] = ints[j];
    out.energy = reals[0]; out.area = reals[1]; out.power = reals[2]; out.throughput = reals[3];
    out.status = status;
    cx_hardware hw[2] = {
        {.l2_energy = 1, .l1_energy = 0.1, .maestro_energy = 1, .mac_area = 283, .l1_area = 0.1,
         .l2_area = 0.1, .noc_bandwidth = 81920000, .bus_area_per_port = 1492, .arbiter_area = 395,
         .arbiter_area_floor = 1, .arbiter_a2 = 1.2886, .arbiter_a1 = 5.58, .arbiter_a0 = -23.7},
        {.mac_energy = 1, .l1_energy = 1, .l2_energy = 1, .mac_area = 283, .l1_area = 4, .l2_area = 1.5,
         .noc_bandwidth = 1, .bus_area_per_port = 150},
    };
    long counts[5] = {0, 0, 0, 0, 0};
    for (int round = 0; round < 400; round++) {
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
        layers.N = (round / 2) % 2 ? N : NULL;
        layers.G = (round / 2) % 2 ? G : NULL;
        layers.SY = (round / 2) % 2 ? SY : NULL;
        layers.SX = (round / 2) % 2 ? SX : NULL;
        for (int i = 0; i < NL * ND; i++) { P[i] = draw(); k[i] = draw(); }
        /* every third round leaves some outputs out (NULL), the path that tests each pointer */
        cx_costs some = out;
        some.input_l1_read = NULL;
        some.energy = NULL;
        for (int i = 0; i < NL * ND; i++) { ints[4][i] = 0; reals[0][i] = NAN; }
        for (int df = 0; df < 3; df++) {
            if (cx_evaluate(&layers, NL, P, k, ND, df, &hw[round % 2], round % 3 == 2 ? &some : &out) != 0) return 1;
            for (int i = 0; i < NL * ND; i++) {
                if (status[i] > 4) { fprintf(stderr, "bad status %d\n", status[i]); return 1; }
                counts[status[i]]++;
                if (status[i] == CX_OK) {
                    if (ints[0][i] < 1 || !isfinite(reals[1][i]) || (round % 3 != 2 && !isfinite(reals[0][i]))) {
                        fprintf(stderr, "point %d: ok but runtime %lld\n", i, (long long)ints[0][i]);
                        return 1;
                    }
                } else {
                    for (int j = 0; j < 16; j++) if (ints[j][i] != 0) { fprintf(stderr, "non-zero output\n"); return 1; }
                    for (int j = 0; j < 4; j++) if (!isnan(reals[j][i])) { fprintf(stderr, "non-NaN output\n"); return 1; }
                }
            }
        }
    }
    if (cx_evaluate(&layers, NL, P, k, ND, 7, &hw[0], &out) != -1) return 1;  /* unknown dataflow */
    printf("kernel stress: ok %ld, invalid %ld, overflow %ld, bad input %ld, not supported %ld\n",
           counts[0], counts[1], counts[2], counts[3], counts[4]);
    return (counts[0] && counts[1] && counts[2] && counts[3] && counts[4]) ? 0 : 1;
}
