/* stats_dist.h - exact quantiles of data spread over the ranks of a communicator.
 *
 * The same type-7 quantiles as stats_quantiles (stats.h), bit for bit, when the values
 * are split into slices held by different processes: the ranks agree on the key range,
 * add their integer bucket counts (comm_sum_u64), locate the buckets holding the wanted
 * order statistics, and gather only those buckets' keys (comm_allgather_bytes); a bucket
 * too large to gather is refined the same way inside its own key range.  Every decision
 * depends only on reduced integers, so all ranks make the same collective calls.
 * Exact order statistics do not depend on how the data were split.
 */
#ifndef GAPSIM_STATS_DIST_H
#define GAPSIM_STATS_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "error.h"

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

#endif
