/* stats_dist.h - exact quantiles of data spread over the ranks of a communicator.
 *
 * The same type-7 quantiles as stats_quantiles (stats.h), bit for bit, when the values
 * are split into slices held by different processes: the ranks agree on the key range,
 * add their integer bucket counts (comm_sum_u64), locate the buckets holding the wanted
 * order statistics, and gather only those buckets' keys (comm_allgather_bytes); a bucket
 * too large to gather is refined the same way inside its own key range.  Every decision
 * depends only on reduced integers, so all ranks make the same collective calls.
 * Exact order statistics do not depend on how the data were split.
 *
 * The _many calls handle a batch of variables together: one reduction of all their
 * ranges, and per refinement level one sum of all their bucket counts and one gather of
 * all their needed keys, so the number of collective calls does not grow with the
 * number of variables; the local passes run in parallel over the variables (OpenMP,
 * `threads` threads; MPI is called from the calling thread only).
 */
#ifndef GAPSIM_STATS_DIST_H
#define GAPSIM_STATS_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "error.h"

/* One variable of a batch: this rank's values x[0..n), the global key range
 * [kmin, kmax] and number nf of the finite values (inputs of stats_dist_quantiles_many,
 * outputs of stats_dist_range_many), and where its quantiles go (out[0..nlevels)). */
typedef struct {
    const double *x;
    size_t n;
    uint64_t kmin, kmax, nf;
    double *out;
} stats_dist_var;

/* Collective.  The key range [*kmin, *kmax] and number *nf of the finite values of
 * every rank's x[0..n) (*kmin > *kmax when there are none). */
gs_status stats_dist_range(const gs_comm *c, const double *x, size_t n, uint64_t *kmin,
                           uint64_t *kmax, uint64_t *nf, gs_error *err);

/* Collective.  Type-7 quantiles at levels[0..nlevels) of the finite values of every
 * rank's x[0..n), given their global key range and count (stats_dist_range, or the
 * keys of the global min and max when every value is finite).  NaN when nf = 0. */
gs_status stats_dist_quantiles(const gs_comm *c, const double *x, size_t n, uint64_t kmin,
                               uint64_t kmax, uint64_t nf, const double *levels, size_t nlevels,
                               double *out, gs_error *err);

/* Collective.  stats_dist_range for every variable v[0..nvar) (sets kmin, kmax, nf). */
gs_status stats_dist_range_many(const gs_comm *c, stats_dist_var *v, size_t nvar, int threads,
                                gs_error *err);

/* Collective.  stats_dist_quantiles for every variable v[0..nvar) at once, the same bits. */
gs_status stats_dist_quantiles_many(const gs_comm *c, const stats_dist_var *v, size_t nvar,
                                    const double *levels, size_t nlevels, int threads,
                                    gs_error *err);

#endif
