/* stats_hist.h - integer histograms of order-preserving keys with a geometry fixed before
 * counting, and exact quantiles from them.
 *
 * A histogram counts the keys (stats_key) of finite doubles in nb equal-width key
 * buckets starting at key `lo`, bucket b = (k − lo) >> shift, plus an underflow bucket
 * (k < lo) and an overflow bucket (past the last bucket); non-finite values are counted
 * apart and skipped, as stats_quantiles skips them.  The geometry is chosen before any
 * value is seen (for example from a first slice of the data), so slices counted apart
 * (threads, batches, MPI ranks) merge exactly by adding counts, and values outside the
 * expected range only cost more: they land in the underflow or overflow bucket.
 *
 * Exact quantiles in two steps: stats_hist_windows locates, from the counts, the
 * buckets ("windows": a key range and the number of finite values below it) that hold
 * the order statistics type-7 quantiles need (stats_wanted_ranks); the values falling in
 * those windows are gathered (in the same pass over data still in memory, or by
 * recomputing them) and stats_hist_select selects the wanted ones exactly.  A window
 * too large to gather can be counted again into a histogram over its own key range
 * (stats_hist_geometry), which narrows it by the bucket count per round.  The result
 * equals stats_quantiles bit for bit whatever the geometry; the geometry changes only
 * the cost.
 */
#ifndef GAPSIM_STATS_HIST_H
#define GAPSIM_STATS_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stats.h"

typedef struct {
    uint64_t lo;    /* key of the first bucket's lower end */
    unsigned shift; /* bucket width 2^shift keys (shift <= 63) */
    size_t nb;      /* buckets inside; index 0 is underflow, nb + 1 overflow */
} stats_hist_geom;

typedef struct {
    stats_hist_geom g;
    uint64_t *count;    /* [nb + 2] */
    uint64_t nonfinite; /* NaN, ±Inf: not in any bucket */
} stats_hist;

/* The geometry of at most max_buckets (>= 2) buckets of equal width covering the keys
 * [kmin, kmax] (kmin <= kmax). */
stats_hist_geom stats_hist_geometry(uint64_t kmin, uint64_t kmax, size_t max_buckets);

/* As stats_hist_geometry over [kmin, kmax] widened on both sides by a quarter of its width
 * (at least a few keys; clipped to the key space), for a range seen in part of the data. */
stats_hist_geom stats_hist_geometry_widened(uint64_t kmin, uint64_t kmax, size_t max_buckets);

/* Allocates zero counts for geometry g; returns GS_OK or GS_ERR_NOMEM. */
gs_status stats_hist_init(stats_hist *h, stats_hist_geom g, gs_error *err);
void stats_hist_free(stats_hist *h);
void stats_hist_clear(stats_hist *h);

/* The bucket index (0 underflow, 1..nb, nb + 1 overflow) of key k. */
static inline size_t stats_hist_bucket(stats_hist_geom g, uint64_t k)
{
    if (k < g.lo) return 0;
    const uint64_t b = (k - g.lo) >> g.shift;
    return b < (uint64_t)g.nb ? (size_t)b + 1 : g.nb + 1;
}

/* The key range [*klo, *khi] of bucket index b. */
void stats_hist_bucket_range(stats_hist_geom g, size_t b, uint64_t *klo, uint64_t *khi);

/* Counts the finite values of x[0..n) (a tight loop). */
void stats_hist_count(stats_hist *h, const double *x, size_t n);

/* dst += src; the geometries must be equal (GS_ERR_INTERNAL otherwise). */
gs_status stats_hist_merge(stats_hist *dst, const stats_hist *src, gs_error *err);

/* Finite values counted. */
uint64_t stats_hist_total(const stats_hist *h);

/* A key range holding wanted order statistics: keys klo..khi (inclusive), `below`
 * finite values with smaller keys, `count` values inside; the wanted ranks rank[r0..r1)
 * (of stats_hist_windows' rank array) fall inside it. */
typedef struct {
    uint64_t klo, khi;
    uint64_t below, count;
    size_t r0, r1;
} stats_hist_window;

/* The wanted ranks of the type-7 quantiles at levels (stats_wanted_ranks over the nf
 * finite values counted, nf >= 1) into rank[0 .. 2 nlevels), and the windows holding
 * them, in key order, into win[0 .. 2 nlevels); returns the number of windows (0 when
 * nothing finite was counted; *nr is then 0). */
size_t stats_hist_windows(const stats_hist *h, const double *levels, size_t nlevels, size_t *rank,
                          size_t *nr, stats_hist_window *win);

/* The windows of the ranks rank[0..nr) (sorted, relative to the values counted in h,
 * which are those of one window [g.lo ..] counted again) into win[]; returns their
 * number.  Used to narrow a window: ranks relative to the outer window's `below`. */
size_t stats_hist_locate(const stats_hist *h, const size_t *rank, size_t nr,
                         stats_hist_window *win);

/* The keys of the ranks rank[0..nr) (sorted, distinct, relative to the whole data), given
 * the keys of the values in a window: keys[0..m) of window w (m == w->count; reordered),
 * into out[w->r0 .. w->r1).  keys must be stats_qsel_keys(ws, m). */
gs_status stats_hist_select(stats_qsel *ws, const stats_hist_window *w, size_t m,
                            const size_t *rank, uint64_t *out, gs_error *err);

/* Exact type-7 quantiles of x[0..n), given h, the counts of exactly those values (in
 * any slices, merged): the windows, one gathering pass over x (a bucket-to-window table,
 * 4 bytes per bucket), the selection inside each window.  When the windows hold more than
 * max_gather values (a geometry far from the data) nothing is done and *done is 0: the
 * caller uses stats_quantiles.  Equal to stats_quantiles bit for bit. */
gs_status stats_hist_finish(stats_qsel *ws, const stats_hist *h, const double *x, size_t n,
                            const double *levels, size_t nlevels, size_t max_gather,
                            double *out, int *done, gs_error *err);

/* Exact type-7 quantiles of x[0..n) through a histogram of geometry g: count, windows,
 * gather, select.  Equal to stats_quantiles bit for bit (for any g); for tests and as the
 * reference of the two-step use. */
gs_status stats_hist_quantiles(stats_qsel *ws, stats_hist_geom g, const double *x, size_t n,
                               const double *levels, size_t nlevels, double *out, gs_error *err);

#endif
