/* The mapping search's per-search loops over genome rows (src/confuciux/mapping/polish_native.py
 * binds them; the NumPy references are in seeds.py and genome.py): the seeds' loops toward the
 * L2 cap, one row at a time (a row's steps depend on its own estimates only; each step repairs
 * the row with cxm_repair and estimates its buffers with cxm_estimate; floats are formed in the
 * reference's order), and the rows' programs as directive arrays.  Pure functions over
 * caller-owned arrays (FreeEncoding rows); nothing is allocated. */
#ifndef CONFUCIUX_POLISH_H
#define CONFUCIUX_POLISH_H

#include "mapping.h" /* the layer, space and row types */

/* seeds.py _fit_l2 on each of n rows on `pes` PEs: while the estimated L2 is above `cap` (up to
 * 64 times), the largest top-level tile of an axis neither kernel nor parallel at the top (the
 * first such) cut by max(sqrt(L2 / cap), 2) (at least 1; the tiles inside no larger, cut again
 * for each inner level that spreads the axis), and the row repaired.  Returns n, the index of
 * the first row the estimate refuses (a non-member; rows before it are done), or -1 for a bad
 * layer, space or n. */
long long cxp_fit_l2(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long pes, double cap, long long n, long long *rows);

/* seeds.py fill_l2's steps on each of n rows on pes[i] PEs, growing its top-level tile of axis
 * axis[i] (a row with live[i] == 0 stays): up to `steps` times, the tile times `factor` (2 at
 * first; at least one more, at most the axis's size), repaired, kept when the estimated L2 is at
 * most `cap` (and, when has_l1_cap, L1 at most l1_cap), else the factor square-rooted; stops when
 * the factor is 1.04 or less or the tile is whole.  Returns as cxp_fit_l2 (an axis outside
 * 0..D-1 is a bad input: -1). */
long long cxp_fill_l2(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                      const long long *pes, const long long *axis, const long long *live, double cap,
                      int has_l1_cap, double l1_cap, long long steps, long long n, long long *rows);

/* genome.py FreeEncoding.directive_arrays of n rows: row i's directives are first[i]..first[i+1]
 * (first has n + 1 entries) of kind (0 spatial, 1 temporal, 2 cluster), axis (-1 for a cluster),
 * size (a tile as MAESTRO reads it, s (t - 1) + 1 on an output stride s > 1, or the cluster size)
 * and whole (the layer's size of a kernel axis, else 0); per live level outer first, a cluster
 * (below the top) then a map per axis in the level's order.  The outputs hold n L (D + 1)
 * entries.  Returns n, the index of the first row with levels outside 1..L or a live level's
 * order entry outside 0..D-1 (nothing written for it or after it), or -1 for a bad layer. */
long long cxp_directives(const cxm_layer *layer, const cxm_space *space, long long n, const long long *rows,
                         long long *first, long long *kind, long long *axis, long long *size, long long *whole);

/* genome.py FreeEncoding.random's rows from its draws: n rows whose levels and each level's
 * parallel axis are set (row-major, width 1 + L (2 + 2D)), and per level lv (outer first) a block
 * of (k + D + c) n uniforms in [0, 1) in u (n_u in all), k the axes not kernel, c 1 when the
 * level's cluster size is drawn (below the top, not fixed) else 0: each free axis's tile (k
 * blocks of n, axes ascending) uniform in the tile above (an int below u times it, plus one; with
 * divisors_only the int-th of its divisors), the order the stable argsort of D keys a row, the
 * cluster size uniform in its domain (FreeEncoding.random_clusters); kernel tiles whole; then
 * every row repaired.  Returns n, or -1 for a bad layer or space, n_u not the draws' count, or a
 * level's parallel axis outside 0..D-1. */
long long cxp_random(const cxm_layer *layer, const cxm_space *space, const long long *divs, long long n_divs,
                     long long n, long long *rows, const double *u, long long n_u);

#endif
