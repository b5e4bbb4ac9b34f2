/* The step of the exact solver's dynamic program over (resource, cost) frontiers
 * (src/confuciux/search/frontier.py): the frontier of every sum of a point of one frontier and an
 * option of a layer's frontier.  A pure function over caller-owned arrays; nothing is allocated.
 * The scratch arrays hold k entries each, k = the least power of two >= l: `keys` 2k doubles,
 * `cursor` k, `tree` k.  Returns the number of points written; -1 when a size is negative or
 * too large for the int indices (nothing written); -2 when the frontier has more than `cap`
 * points (the first `cap` are written; call again with more room). */

long long cx_front_sum(long long m, const double *fw, const double *fc, long long l, const double *ow,
                       const double *oc, double w_rest, double w_limit, double c_rest, double c_limit,
                       long long cap, double *out_w, double *out_c, int *out_parent, int *out_option,
                       double *keys, long long *cursor, int *tree);
