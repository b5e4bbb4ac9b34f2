/* confuciux cost-model kernel: MAESTRO's results for the ConfuciuX dataflows in closed form.
 *
 * Every function is pure: no globals, no allocation, no I/O.  The declarations below are also
 * fed to cffi's cdef (csrc/build.py strips the preprocessor lines), so they use only plain C.
 * Units: runtime in cycles, sizes in bytes (one byte per element), energy in nJ, area in um^2,
 * power in mW. */
#ifndef CONFUCIUX_COST_MODEL_H
#define CONFUCIUX_COST_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Dataflows of CONV/GEMM layers; depthwise layers always use dpt. */
enum cx_dataflow { CX_DLA = 0, CX_SHI = 1, CX_EYE = 2 };

/* Per-point status. */
enum cx_status {
    CX_OK = 0,
    CX_INVALID = 1,    /* a configuration MAESTRO cannot cost (it prints runtime 0) */
    CX_OVERFLOW = 2,   /* some integer quantity does not fit in 64 bits */
    CX_BAD_INPUT = 3,  /* not a layer: a size < 1, Y < R or X < S, groups not dividing K and C
                          or on a depthwise layer, P < 1 or k < 1 */
    CX_UNSUPPORTED = 4 /* not costed yet: a strided CONV layer on shi or eye */
};

typedef struct {
    double mac_energy, l1_energy, l2_energy;   /* nJ per MAC / per byte accessed */
    int32_t maestro_energy;                    /* 1: MAESTRO's energy accounting */
    double mac_area, l1_area, l2_area;         /* um^2 per MAC unit / per byte */
    double mac_power, l1_power, l2_power;      /* mW per MAC unit / per byte */
    double noc_bandwidth, noc_bandwidth_per_pe;  /* elements/cycle: B = bw + bw_per_pe * P */
    double bus_area_per_port, bus_area_base;     /* um^2 per element/cycle of B */
    double bus_power_per_port, bus_power_base;   /* mW per element/cycle of B */
    double arbiter_area, arbiter_area_floor;
    double arbiter_power, arbiter_power_floor;
    double arbiter_a2, arbiter_a1, arbiter_a0;   /* arbiter complexity a2 P^2 + a1 P + a0 */
} cx_hardware;

/* n_layers layers, struct of arrays (K filters, C channels, Y x X input, R x S kernel, batch N,
 * G groups, strides SY, SX; K and C are totals over the groups).  N, G, SY, SX may be NULL
 * (all 1). */
typedef struct {
    const int64_t *K, *C, *Y, *X, *R, *S, *N, *G, *SY, *SX;
    const uint8_t *depthwise;                  /* non-zero: depthwise layer (dpt) */
} cx_layers;

/* Outputs, one entry per point; a NULL pointer skips that output.  Integer outputs are 0 and
 * floating outputs NaN where status != CX_OK. */
typedef struct {
    int64_t *runtime, *l1_bytes, *l2_bytes, *macs;
    int64_t *input_l1_read, *input_l1_write, *input_l2_read, *input_l2_write;
    int64_t *filter_l1_read, *filter_l1_write, *filter_l2_read, *filter_l2_write;
    int64_t *output_l1_read, *output_l1_write, *output_l2_read, *output_l2_write;
    double *energy, *area, *power, *throughput;
    uint8_t *status;
} cx_costs;

/* Evaluate n_designs x n_layers points: point d * n_layers + l is layer l with pes[point] PEs
 * and KTileSz ktile[point].  Returns 0, or -1 for an unknown dataflow (nothing written). */
int cx_evaluate(const cx_layers *layers, size_t n_layers, const int64_t *pes,
                const int64_t *ktile, size_t n_designs, int dataflow,
                const cx_hardware *hw, cx_costs *out);

/* The same with the layers and outputs in contiguous blocks, writing each distinct quantity
 * once: dims is 10 x n_layers (rows K, C, Y, X, R, S, N, G, SY, SX); ints is 11 x n, rows
 * runtime, l1_bytes, l2_bytes, macs, input_l2_read, input_l2_write, filter_l2_read,
 * filter_l2_write, output_l2_read, output_l2_write, output_l1_write; reals 4 x n (energy, area,
 * power, throughput); status n; n = n_designs * n_layers.  The other counters are copies: the
 * input and filter L1 reads equal macs, the output L1 read its L1 write, the input/filter L1
 * writes their L2 reads. */
int cx_evaluate_blocks(const int64_t *dims, const uint8_t *depthwise, size_t n_layers,
                       const int64_t *pes, const int64_t *ktile, size_t n_designs, int dataflow,
                       const cx_hardware *hw, int64_t *ints, double *reals, uint8_t *status);

/* Area (um^2) and power (mW) of n accelerators with pes[i] PEs, l1_bytes[i] of L1 per PE and
 * l2_bytes[i] of L2. */
void cx_area_power(const int64_t *pes, const int64_t *l1_bytes, const int64_t *l2_bytes,
                   size_t n, const cx_hardware *hw, double *area, double *power);

#endif
