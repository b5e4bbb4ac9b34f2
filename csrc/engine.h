/* confuciux general cost engine: MAESTRO 4eb08d1's analysis of any dataflow program, in C.
 *
 * The specification is the Python reference, src/confuciux/cost/engine/ (docs/engine.md): passes
 * 2-6 of it (levels, cases, reuse, analysis, printed row) are ported here function by function,
 * with the same checked arithmetic, so both give the same numbers and the same status for every
 * input.  Pass 1 (the layer as MAESTRO sees it) is the reference's own, done by the binding
 * (src/confuciux/cost/engine/native.py) once per layer.
 *
 * Every function is pure: no globals, no I/O; memory is per-call scratch, freed before returning.
 * The declarations below are also fed to cffi's cdef (csrc/build.py strips the preprocessor
 * lines), so they use only plain C.  Units: cycles, elements, bytes, nJ, um^2, mW. */
#ifndef CONFUCIUX_ENGINE_H
#define CONFUCIUX_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "cost_model.h"
/* The enums cxe_dim (CXE_DIM_C, ...) and cxe_output (CXE_OUT_RUNTIME, ...) are generated from the
 * Python tables (confuciux/dataflow/program.py's DIMENSIONS, confuciux/cost/engine/outputs.py)
 * by csrc/build.py. */
#include "engine_enums.h"

/* What happens to a point, named as the engine's statuses (confuciux.cost.engine.Status; their
 * numbers are the caller's: cxe_evaluate's `codes`).  OK and IMPOSSIBLE are printed results. */
enum cxe_status {
    CXE_OK, CXE_IMPOSSIBLE, CXE_INVALID, CXE_SIGFPE, CXE_CRASH, CXE_REFUSED, CXE_OVERFLOW, CXE_UNDEFINED,
    CXE_N_STATUSES
};

/* A directive's kind and where a size comes from (a literal, or a design knob). */
enum cxe_kind { CXE_SPATIAL = 0, CXE_TEMPORAL = 1, CXE_CLUSTER = 2 };
enum cxe_knob { CXE_FIXED = 0, CXE_KNOB_PES = 1, CXE_KNOB_BUFFERS = 2 };
/* The most dimensions a tensor is coupled to (NGCONV's output: N, G, K, C, Y, X). */
enum { CXE_MAX_COUPLED = 6 };

/* n_layers layers as MAESTRO sees them (the reference's Problem), struct of arrays.
 * dims: n_layers x CXE_N_DIMS declared sizes (0: not declared; Y' and X' are derived).
 * stride_y, stride_x: the layer's strides (1 for a GEMM).  windows: 1 for the convolutions (Y
 * slides over R, X over S), 0 for a GEMM.  tensors: n_layers x 3 x CXE_MAX_COUPLED, the
 * dimensions the input, filter and output are coupled to, in MAESTRO's order, -1 after the last.
 * bounds: n_layers x 4 x 2, the layer's MACs, the input elements some window touches, the
 * weights and the outputs (the physical bounds), each min(value, 2^126) as (high, low) 64-bit
 * halves. */
typedef struct {
    const int64_t *dims, *stride_y, *stride_x;
    const uint8_t *windows;
    const int8_t *tensors;
    const uint64_t *bounds;
} cxe_layers;

/* One program template per layer (the language's Template: sizes fixed or a design knob),
 * concatenated: layer l's directives are first[l] .. first[l + 1] - 1.  kind: enum cxe_kind;
 * dim: enum cxe_dim (ignored for a cluster); size, offset: the fixed values; size_knob,
 * offset_knob: enum cxe_knob (a knob's value replaces the fixed one); whole: > 0 for a temporal
 * R/S map whose bound size and offset must both equal it (else MAESTRO refuses the design). */
typedef struct {
    const int64_t *first;
    const uint8_t *kind;
    const int8_t *dim;
    const int64_t *size, *offset;
    const uint8_t *size_knob, *offset_knob;
    const int64_t *whole;
} cxe_programs;

/* MAESTRO's hardware flags: SIMD lanes per PE, NoC bandwidth (elements/cycle, every level),
 * hops and cycles per hop, off-chip bandwidth (elements/cycle).  (--noc_mc_support changes
 * nothing in MAESTRO's analysis.) */
typedef struct {
    int64_t simd, noc_bw, noc_hops, noc_hop_latency, offchip_bw;
} cxe_flags;

/* The state an evaluation keeps for the next (compiled programs, inner-level analyses, the top
 * level's cases, scratch memory), for one set of layers, programs and flags: a call with other
 * inputs starts afresh.  Not for two calls at the same time. */
typedef struct cxe_cache cxe_cache;
cxe_cache *cxe_cache_new(void);    /* NULL when out of memory */
void cxe_cache_free(cxe_cache *cache);

/* Evaluate n_designs x n_layers points: point (d, l) costs layer l under its program bound with
 * ClusterSz <- P and KTileSz <- k of design d (designs->pes, designs->ktile as for cx_evaluate).
 * hw: the cost database of MAESTRO's printed energy, area and power (Hardware.maestro() with these
 * flags); priced: NULL, or the database whose energy, area and power replace those outputs of the
 * printed points (the status stays MAESTRO's; a point they do not fit a double is CXE_OVERFLOW).
 * Output outputs[j] (an enum cxe_output) of point i = d * n_layers + l goes to
 * rows[j * n_designs * n_layers + i]: NaN unless the point is printed (CXE_OK, CXE_IMPOSSIBLE);
 * status[i] receives codes[s] for the point's enum cxe_status s (codes NULL: s itself; the
 * binding passes confuciux's status codes, by name).  cache: NULL, or state kept from a previous
 * call (used only if that call had the same layers, programs and flags).
 * Sizes, P, k and flags above MAESTRO's 32-bit range give CXE_OVERFLOW.  Returns 0; -1 when an
 * input is malformed (a size, stride, P, k or flag < 1, hops or latency < 0, an unknown kind,
 * dimension, knob or output, a tensor without dimensions, a program of more than 2^20
 * directives; nothing written); -3 when out of memory (the outputs are then undefined). */
int cxe_evaluate(const cxe_layers *layers, const cxe_programs *programs, size_t n_layers,
                 const cx_designs *designs, size_t n_designs, const cxe_flags *flags,
                 const cx_hardware *hw, const cx_hardware *priced, const int *outputs, size_t n_outputs,
                 double *rows, uint8_t *status, const uint8_t *codes, cxe_cache *cache);

/* The name of dimension, status or output i (the Python tables' names), "" out of range: the
 * binding checks the enums against the tables, and maps the statuses to its codes, with these. */
const char *cxe_dim_name(int i);
const char *cxe_status_name(int i);
const char *cxe_output_name(int i);

#endif
