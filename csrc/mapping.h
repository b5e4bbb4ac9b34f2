/* The mapping search's per-generation arithmetic over a batch of genome rows
 * (src/confuciux/mapping/native.py binds it; the NumPy reference is mapping/estimate.py and
 * genome.py).  Pure functions over caller-owned arrays; nothing is allocated.
 *
 * A row is FreeEncoding's: [levels | per level: parallel axis, cluster, tile[D], order[D]],
 * width 1 + L (2 + 2D).  Arithmetic on counts wraps modulo 2^64 exactly as NumPy's int64 does;
 * floats are formed in the reference's order, so the results agree bit for bit. */

#ifndef CONFUCIUX_MAPPING_H
#define CONFUCIUX_MAPPING_H

/* The axes' roles, in the genome's order (mapping/space.py AXES); Y_OUT, X_OUT are Y', X'. */
enum cxm_role {
    CXM_N = 0,
    CXM_G = 1,
    CXM_K = 2,
    CXM_C = 3,
    CXM_Y_OUT = 4,
    CXM_X_OUT = 5,
    CXM_R = 6,
    CXM_S = 7,
    CXM_N_ROLES = 8
};

enum cxm_limits {
    CXM_MAX_AXES = 8,
    CXM_MAX_LEVELS = 4,
    CXM_MAX_TILE_LOCI = 64
};

/* One layer's encoding: D axes (role[d] names axis d's role), L levels a row carries, the
 * extent of each axis, MAESTRO's output stride of each (1 but for Y', X' of a strided layer),
 * the layer's strides and whether it is depthwise. */
typedef struct {
    long long D, L;
    long long role[CXM_MAX_AXES];
    long long sizes[CXM_MAX_AXES];
    long long out_strides[CXM_MAX_AXES];
    long long stride_y, stride_x;
    long long depthwise;
} cxm_layer;

/* For each of n rows on pes[i] PEs: the estimated runtime (cycles, a strided output tile charged
 * MAESTRO's stride-1 count), the physical critical path (its real rows), L1 bytes per PE, L2
 * bytes, and the busy-PE bound.  Any output pointer may be NULL (not computed).  Returns n, or
 * the index of the first row that is not a member of some space (levels outside 1..L, a live
 * level's parallel axis outside 0..D-1, a tile or inner cluster below 1, the inner clusters'
 * product above 2^62, pes below 1; nothing is written for it or after it), or -1 for a bad
 * layer. */
long long cxm_estimate(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                       double *runtime, double *physical, double *l1, double *l2, long long *busy);

/* estimate.py traffic for each of n rows on pes[i] PEs: the L2 traffic (elements) of its top
 * level, input_l2_read, filter_l2_read and output_l2_write.  Returns as cxm_estimate. */
long long cxm_traffic(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                      double *input_read, double *filter_read, double *output_write);

/* For each of n rows: its canonical key (width + 1 int64s, row-major in `keys`: equal for rows
 * that write the same program up to the position of loops of one step and the unused levels;
 * the last column is extra[i], 0 when extra is NULL) and a 64-bit hash of the key.  Returns n,
 * the index of the first row with levels outside 1..L or a live level's order not a
 * permutation of 0..D-1, or -1 for a bad layer. */
long long cxm_keys(const cxm_layer *layer, long long n, const long long *rows, const long long *extra,
                   long long *keys, unsigned long long *hash);

/* A space's rules for one layer (FreeEncoding's): levels lo..hi, the inner clusters' product at
 * most pe_cap, tiles only divisors when divisors_only; per level, the axes allowed in parallel
 * (allowed[lv * CXM_MAX_AXES + d]) and the first of them, a fixed loop order (order[lv *
 * CXM_MAX_AXES + j], or -1 at j = 0 for any order), a fixed cluster size (0: free); per axis,
 * whether it is a kernel axis (taken whole). */
typedef struct {
    long long lo, hi, pe_cap, divisors_only;
    long long allowed[CXM_MAX_LEVELS * CXM_MAX_AXES];
    long long first_allowed[CXM_MAX_LEVELS];
    long long order[CXM_MAX_LEVELS * CXM_MAX_AXES];
    long long cluster[CXM_MAX_LEVELS];
    long long kernel[CXM_MAX_AXES];
} cxm_space;

/* FreeEncoding.repair, in place, on n rows of any integers: each made a member of the space.
 * `divs` holds each axis's divisors ascending, 0-padded, n_divs a row (D rows).  Returns n, or -1
 * for a bad layer or space. */
long long cxm_repair(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long n, long long *rows);

/* GAMMA's operators' rates (operators.py Operators): per child, probabilities of each operator;
 * tile_loci tile mutations tried, each at rate `tile`, a share `local` of them stepping. */
typedef struct {
    double crossover, level_crossover, order, tile, local, parallel, birth, death;
    long long tile_loci;
} cxm_ops;

/* How many uniform draws in [0, 1) a child consumes (its row of `u` in cxm_breed), or -1 for
 * D outside 1..CXM_MAX_AXES or tile_loci outside 0..CXM_MAX_TILE_LOCI. */
long long cxm_breed_draws(long long D, long long tile_loci);

/* operators.py breed_reference: for each of n pairs of rows a[i], b[i] (any integers), a child
 * in out[i] (crossover, mutation, repair into the space), every random choice from the k draws
 * u[i * k ...] (each in [0, 1); k = cxm_breed_draws).  Returns n, or -1 for a bad layer, space,
 * ops or k. */
long long cxm_breed(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                    const cxm_ops *ops, long long n, const long long *a, const long long *b, const double *u,
                    long long k, long long *out);

/* cxm_breed of the pairs of rows ia[i], ib[i] of `rows` (n_rows of them).  Returns n, or -1 as
 * cxm_breed or for an index outside 0..n_rows-1. */
long long cxm_breed_at(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                       const cxm_ops *ops, long long n, const long long *rows, long long n_rows, const long long *ia,
                       const long long *ib, const double *u, long long k, long long *out);

/* An exact set of keys of kw int64s (the search's points seen): `store` holds `count` keys
 * (row-major) and `store_hash` their hashes; `table` (table_size slots, a power of two) holds
 * store indices, -1 for an empty slot, probed linearly from hash & (table_size - 1).  A hash
 * matches only when the whole key does.
 *
 * cxm_seen_add: each of the n keys not in the set nor equal to an earlier one of them is
 * appended to the store, its index i written to fresh (ascending); returns how many.  The caller
 * makes room first: store_cap >= count + n and table_size >= 2 (count + n).  Returns -1 when
 * that does not hold or a size is negative.
 * cxm_seen_rebuild: the table (table_size slots, every one -1) filled with the store's count
 * keys; returns count, or -1 when the table is not a power of two at least 2 count. */
long long cxm_seen_add(long long kw, long long n, const long long *keys, const unsigned long long *hash,
                       long long *store, unsigned long long *store_hash, long long count, long long store_cap,
                       long long *table, long long table_size, long long *fresh);
long long cxm_seen_rebuild(long long count, const unsigned long long *store_hash, long long *table,
                           long long table_size);

/* What the pre-screen knows of the points evaluated so far (search.py _Stats): the base ratio
 * of engine to estimated cost; the structures with a median ratio (ascending; n_ratios -1:
 * none); per structure evaluated (ascending) the points and the physically valid ones
 * (n_counts -1: none); the valid points' resource ascending and the least objective up to each
 * (n_reference -1: none); the least and the median ratio of engine to estimated L2; the
 * resource (0 PEs, 1 L1 bytes, 2 L2 bytes) and the caps on each (capped[k]: whether). */
typedef struct {
    double base;
    long long n_ratios;
    const long long *ratio_sig;
    const double *ratio_median;
    long long n_counts;
    const long long *count_sig;
    const long long *count_n;
    const double *count_valid;
    long long n_reference;
    const double *reference_res;
    const double *reference_best;
    double l2_low, l2_median;
    long long resource;
    long long capped[3];
    double cap[3];
} cxm_calibration;

/* The pre-screen's first step over a batch of n candidates (search.py _Candidates.of): each
 * row's key on its pes[i] PEs (cxm_keys, the PEs last) into the set of cxm_seen_add (the same
 * room made first; how many were new in *added, when added is not NULL); for each new one, in
 * order, its index i in fresh (room for n: it is also scratch), the row in out_rows, its PEs in
 * out_pes, its parallel structure in sig (genome.py FreeEncoding.structure), its estimated
 * runtime in runtime (NULL: not computed), buffers in l1, l2 (cxm_estimate) and the index of its
 * key in the set in slot (NULL: not written).  With a calibration `cal` (else NULL) only the new
 * ones cxm_score would keep under it are returned (those whose estimated buffers fit the caps;
 * all when none does).  Returns how many it returned; -1 for a bad layer or set, or -2 - i when
 * row i is not a member of some space (as cxm_keys and cxm_estimate check; every row is checked
 * before the set changes). */
long long cxm_screen(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                     long long *store, unsigned long long *store_hash, long long count, long long store_cap,
                     long long *table, long long table_size, long long *fresh, long long *out_rows,
                     long long *out_pes, long long *sig, double *runtime, double *l1, double *l2,
                     const cxm_calibration *cal, long long *slot, long long *added);

/* The pre-screen's scoring of n new candidates (search.py _score_reference): those whose
 * estimated buffers fit the caps (all when none or all do) in keep, how many returned; for each
 * kept one j its ratio of engine to estimated cost (its structure's median, else a parent's
 * parent_ratio[fresh[i]] when finite, else the base) and its predicted gap in score (10 + the
 * predicted overuse of a cap, else the calibrated estimate over the reference cost at its
 * estimated resource over its structure's valid rate; the parent's gap, or 0, when no calibrated
 * estimate is finite).  parent_gap, parent_ratio (n_parents each, indexed by fresh) may be
 * NULL.  Returns -1 for a bad calibration or a fresh index out of range. */
long long cxm_score(const cxm_calibration *cal, long long n, const long long *pes, const long long *sig,
                    const double *est, const double *l1, const double *l2, const long long *fresh,
                    const double *parent_gap, const double *parent_ratio, long long n_parents, long long *keep,
                    double *ratio, double *score);

/* search.py _calibration over a log of n points: in `out`, the base ratio of engine to
 * estimated cost (the median over the points whose estimate is finite and positive and whose
 * status is ok, when 5 or more, else 1), the median ratio of engine to estimated L2 (likewise,
 * else 0.75) and the least (over the ok points with a finite L2 estimate; NaN if any is NaN;
 * 0.25 before any); when sig (each point's structure) is given, per structure with ok points
 * its lower median ratio (ratio_sig, ratio_median), per structure its points and physically
 * valid ones (count_sig, count_n, count_valid); the valid points' resource ascending (ties in
 * their order) and the least cost up to each (reference_res, reference_best); the array
 * pointers of `out` set to these (n each), the counts -1 where none.  work (n doubles), idx and
 * tmp (n each) are scratch.  Its resource and caps are left to the caller.  Returns n, -1 for
 * n < 0. */
long long cxm_calibrate(long long n, const double *cost, const double *estimate, const unsigned char *status,
                        unsigned char ok, const double *l2, const double *l2_estimate, const long long *sig,
                        const unsigned char *physical, const unsigned char *valid, const double *resource,
                        double *work, long long *idx, long long *tmp, cxm_calibration *out, long long *ratio_sig,
                        double *ratio_median, long long *count_sig, long long *count_n, double *count_valid,
                        double *reference_res, double *reference_best);

/* The first k of n candidates by score ascending (np.argsort(score, kind="stable"): ties in
 * their order, NaN last) into top, at most cap of them from one structure (sig[i]; NULL: no
 * limit) while others remain, then the rest in score order (search.py _niched).  work holds 7n
 * scratch.  Returns min(k, n), -1 for n or k below 0 or cap below 1. */
long long cxm_top(long long n, const double *score, const long long *sig, long long k, long long cap, long long *top,
                  long long *work);

/* estimate.py energy for each of n rows on pes[i] PEs: the estimated energy (nJ) from the
 * traffic of cxm_traffic, with the constants k = {the layer's MACs, input L2 writes, filter L2
 * writes, output L2 reads, the MAC, L1 and L2 energies, MAESTRO's accounting (0 or 1)},
 * summed in reference.py _energy's order.  Returns as cxm_estimate. */
long long cxm_energy(const cxm_layer *layer, long long n, const long long *rows, const long long *pes,
                     const double *k, double *energy);

#endif
