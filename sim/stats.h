/* stats.h - statistics that merge exactly across blocks, threads and (later) MPI ranks.
 *
 * Moments: each block of trajectories gives (n, mean, sqrt(M2/n)); blocks are merged in block
 * order with Chan et al.'s formula, so the result depends only on the block layout,
 * which is fixed (not on threads or ranks).
 *
 * Quantiles: exact order statistics, found by selection rather than sorting.  Each
 * double maps to a 64-bit key whose unsigned order is the numeric order; one pass
 * builds an integer histogram of the keys over the key range [min, max]; the buckets
 * holding the wanted ranks are gathered and sorted.  Integer histograms add up
 * exactly, which is what makes the result independent of how the data were split.
 *
 * Quantile definition: type 7 of Hyndman & Fan (numpy's default, GSL's
 * gsl_stats_quantile_from_sorted_data): h = (n-1)p, Q(p) = x_(⌊h⌋) + (h-⌊h⌋)(x_(⌊h⌋+1) - x_(⌊h⌋)),
 * with x_(i) the 0-based order statistics.
 */
#ifndef GAPSIM_STATS_H
#define GAPSIM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "isa.h"

typedef struct {
    double n;    /* count */
    double mean; /* mean */
    double sdp;  /* sqrt(M2 / n), the population standard deviation (M2 itself, and
                  * the variance, overflow long before it does) */
} stats_moments;

/* Moments of x[0..n), deterministic (fixed summation order). */
void stats_moments_of(const double *x, size_t n, stats_moments *out);

/* acc := acc ∪ b (Chan, Golub & LeVeque).  The order of merges matters to the last
 * bit: merge in block order. */
void stats_moments_merge(stats_moments *acc, const stats_moments *b);

/* What the engine keeps of one block of one variable, computed while the block is in
 * cache: its moments, its range, and how many values are not finite. */
typedef struct {
    stats_moments moments;
    double min, max; /* valid when nonfinite == 0 */
    size_t nonfinite;
} stats_block;
void stats_block_of(const double *x, size_t n, stats_block *out);

/* Sample standard deviation (divisor n-1; 0 when n < 2). */
double stats_moments_sd(const stats_moments *m);

/* The order-preserving key of a double (NaN must be filtered out first). */
uint64_t stats_key(double x);
double stats_unkey(uint64_t key);

/* The same for loops over many values, inline: the IEEE-754 bits of x + 0.0 (−0.0
 * becomes +0.0, every other value keeps its bits), whether they are finite, and the
 * key of finite bits.  stats_key(x) == stats_key_of_bits(stats_bits(x)). */
static inline uint64_t stats_bits(double x)
{
    uint64_t u;
    x += 0.0;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline int stats_bits_finite(uint64_t u)
{
    return (u & UINT64_C(0x7FF0000000000000)) != UINT64_C(0x7FF0000000000000);
}
/* A positive double gets its sign bit set (so it sorts above every negative one), a
 * negative double gets all bits flipped (so larger magnitudes sort lower). */
static inline uint64_t stats_key_of_bits(uint64_t u)
{
    return u ^ ((uint64_t)((int64_t)u >> 63) | UINT64_C(0x8000000000000000));
}

/* Workspace for quantile selection over up to nmax values; owned by the caller,
 * one per thread.  Returns NULL when out of memory. */
typedef struct stats_qsel stats_qsel;
enum { STATS_MAX_LEVELS = 128 }; /* most quantile levels one call takes */
stats_qsel *stats_qsel_alloc(size_t nmax);
void stats_qsel_free(stats_qsel *ws);

/* Exact type-7 quantiles of the finite values of x[0..n) at levels[0..nlevels)
 * (each in [0,1]) into out[0..nlevels).  Non-finite values (NaN, ±Inf) are skipped and
 * their number stored in *n_nonfinite (if non-NULL).  With no finite value every out
 * is NaN.  x is not modified.  Cost: three passes over x plus selection inside a few
 * buckets. */
gs_status stats_quantiles(stats_qsel *ws, const double *x, size_t n, const double *levels,
                          size_t nlevels, double *out, size_t *n_nonfinite, gs_error *err);

/* As stats_quantiles for data known to be all finite with known min and max (from
 * stats_block_of): skips the range pass. */
gs_status stats_quantiles_finite(stats_qsel *ws, const double *x, size_t n, double min,
                                 double max, const double *levels, size_t nlevels, double *out,
                                 gs_error *err);

/* The order statistics (0-based ranks among n values) that type-7 quantiles at
 * levels[0..nlevels) need: l = ⌊p (n − 1)⌋ and l + 1 (when < n) for each level, sorted,
 * without duplicates, into rank[0 .. 2 nlevels); returns their number.  n >= 1. */
size_t stats_wanted_ranks(const double *levels, size_t nlevels, size_t n, size_t *rank);

/* The type-7 quantiles at levels[0..nlevels) of nf values (every out NaN when nf = 0)
 * from the keys key[0..nr) of their order statistics rank[0..nr) (stats_wanted_ranks of
 * nf): the last step of stats_quantiles, for callers that select the keys themselves
 * (stats_hist.h). */
void stats_quantiles_of_keys(const double *levels, size_t nlevels, size_t nf, const size_t *rank,
                             size_t nr, const uint64_t *key, double *out);

/* Selection over a caller's keys, in the workspace: stats_qsel_keys returns room for m
 * keys (the workspace's arena, grown as needed; NULL when out of memory), which the
 * caller fills; stats_qsel_select then puts the keys of ranks rank[0..nr) (sorted,
 * distinct, < m) among those m keys into out[0..nr), by the radix selection of
 * stats_quantiles (the keys are reordered).  The arena is the workspace's: another
 * call on ws overwrites it. */
uint64_t *stats_qsel_keys(stats_qsel *ws, size_t m);
gs_status stats_qsel_select(stats_qsel *ws, size_t m, const size_t *rank, size_t nr,
                            uint64_t *out, gs_error *err);
/* As stats_qsel_select over the m keys at arena[off .. off + m) of keys filled up to
 * `used` (off + m <= used): the arena past `used` is the selection's scratch. */
gs_status stats_qsel_select_at(stats_qsel *ws, size_t off, size_t m, size_t used,
                               const size_t *rank, size_t nr, uint64_t *out, gs_error *err);

/* Quantiles with the top-level buckets computed while the data are in cache.
 *
 * The selection's first step puts every value in one of up to 2^16 buckets by a function
 * that only has to be non-decreasing in the value: any such function gives the exact
 * quantiles, and a good one keeps the buckets that hold the wanted ranks small.  A plan
 * fixes that function before the data exist (from the same variable one cycle earlier:
 * its range, widened by half on each side, and whether value-width or key-width buckets
 * suited it), so the engine can bucket each block's records as it writes them
 * (stats_qplan_bucket, 2 bytes per value) and the statistics read the 8-byte values
 * only to gather the few needed buckets.  Values outside the plan's range are clamped to
 * it, which keeps the function non-decreasing: a range that missed costs time (large
 * edge buckets; stats_quantiles_planned then falls back to stats_quantiles_finite),
 * never exactness.  The result equals stats_quantiles_finite bit for bit. */
enum { STATS_QPLAN_VALUES = 16 };
typedef struct {
    size_t nb;        /* buckets; 0: no plan (the caller uses stats_quantiles_finite) */
    int linear;       /* b = ⌊(x − lo) scale⌋, else b = (key(x) − klo) >> shift */
    double lo, hi;    /* values are clamped to [lo, hi] first */
    double scale;
    uint64_t klo;
    unsigned shift;
    /* A variable that took at most STATS_QPLAN_VALUES distinct values (a count of labs,
     * a 0/1 flag): nvalues > 0, value[] sorted, and the buckets are 2j + 1 for x equal to
     * value[j] and 2j for x between value[j − 1] and value[j] (nb = 2 nvalues + 1), so the
     * odd buckets hold one value each and answer their ranks without reading x. */
    size_t nvalues;
    double value[STATS_QPLAN_VALUES];
} stats_qplan;

/* The plan for the next cycle of a variable from this cycle's n values x (all finite,
 * range [min, max]); nb = 0 when none is worth making (constant or too few values). */
void stats_qplan_make(stats_qsel *ws, const double *x, size_t n, double min, double max,
                      stats_qplan *p);

/* The plan's bucket of each of x[0..n) into bucket[0..n), on the instruction set isa
 * (stepped down to one this CPU runs; every level writes the same buckets). */
void stats_qplan_bucket(isa_level isa, const stats_qplan *p, const double *restrict x, size_t n,
                        uint16_t *restrict bucket);

/* As stats_quantiles_finite, given bucket[0..n) = the plan's buckets of x[0..n). */
gs_status stats_quantiles_planned(stats_qsel *ws, const stats_qplan *p, const uint16_t *bucket,
                                  const double *x, size_t n, double min, double max,
                                  const double *levels, size_t nlevels, double *out,
                                  gs_error *err);

/* Outcome probability from a count: p = count/n, Monte Carlo standard error
 * sqrt(p(1-p)/n), and the Wilson score interval at z (1.959964 for 95%). */
void stats_proportion(uint64_t count, uint64_t n, double z, double *p, double *se,
                      double *lo, double *hi);

#endif
