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

/* The enums cx_dataflow (CX_DLA, ...), cx_status (CX_OK, ...) and cx_output (CX_OUT_RUNTIME, ...)
 * are generated from Python's tables (confuciux/cost/dataflows.py, schema.py) by csrc/build.py. */
#include "cost_model_enums.h"

typedef struct {
    double mac_energy, l1_energy, l2_energy;   /* nJ per MAC / per byte accessed */
    int32_t maestro_energy;                    /* 1: MAESTRO's energy accounting */
    double mac_area, l1_area, l2_area;         /* um^2 per MAC unit / per byte */
    double mac_power, l1_power, l2_power;      /* mW per MAC unit / per byte */
    double bus_width, bus_width_per_pe;        /* elements/cycle the bus is built for: B = w + w_per_pe * P */
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

/* The design of every point: point (d, l) -- design d, layer l -- has P = pes[d * pes_step[0] +
 * l * pes_step[1]] PEs and KTileSz k = ktile[d * ktile_step[0] + l * ktile_step[1]] (steps in
 * elements; 0 broadcasts a value).  The caller guarantees the indices stay inside the arrays. */
typedef struct {
    const int64_t *pes, *ktile;
    size_t pes_step[2], ktile_step[2];
} cx_designs;

/* Where the results go, one entry per point (point (d, l) at index d * n_layers + l).  A NULL
 * value pointer skips that output (only the float work it alone needs is skipped: the integer
 * closed forms of a point are computed together, since any overflow among them decides the
 * status).  Outputs are NaN unless status is CX_OK or CX_IMPOSSIBLE (MAESTRO prints the point;
 * CX_IMPOSSIBLE: it breaks a physical bound).  status and valid (1 for those two statuses,
 * else 0) may be NULL too. */
typedef struct {
    double *values[CX_N_OUTPUTS];
    uint8_t *status;
    uint8_t *valid;
} cx_outputs;

/* Evaluate n_designs x n_layers points with one dataflow for CONV/GEMM layers (CX_DLA, CX_SHI
 * or CX_EYE; depthwise layers use dpt).  Returns 0, -1 for any other dataflow, or -3 when
 * the per-layer scratch (more than 64 layers) cannot be allocated (nothing written). */
int cx_evaluate(const cx_layers *layers, size_t n_layers, const cx_designs *designs,
                size_t n_designs, int dataflow, const cx_hardware *hw, const cx_outputs *out);

/* cx_evaluate with the outputs in one block: output outputs[j] (an enum cx_output value) of
 * point i at rows[j * n + i], n = n_designs * n_layers; status and valid as in cx_outputs.
 * Returns 0, -1 for a dataflow cx_evaluate refuses, -2 for an output index out of range or
 * repeated, -3 when out of memory (nothing written). */
int cx_evaluate_rows(const cx_layers *layers, size_t n_layers, const cx_designs *designs,
                     size_t n_designs, int dataflow, const cx_hardware *hw, const int *outputs,
                     size_t n_outputs, double *rows, uint8_t *status, uint8_t *valid);

/* One point, layer 0 of `layer`: writes all CX_N_OUTPUTS values to values[] and returns the
 * status, or -1 for a dataflow cx_evaluate refuses (nothing written). */
int cx_evaluate_point(const cx_layers *layer, int64_t pes, int64_t ktile, int dataflow,
                      const cx_hardware *hw, double *values);

/* Area (um^2) and power (mW) of n accelerators with pes[i] PEs, l1_bytes[i] of L1 per PE and
 * l2_bytes[i] of L2. */
void cx_area_power(const int64_t *pes, const int64_t *l1_bytes, const int64_t *l2_bytes,
                   size_t n, const cx_hardware *hw, double *area, double *power);

#endif
