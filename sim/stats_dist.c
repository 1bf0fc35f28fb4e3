/* stats_dist.c - see stats_dist.h.  Uses only stats.h's public keys (stats_key,
 * stats_unkey) and comm.h's collectives. */
#include "stats_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

enum {
    DIST_MAX_BITS = 16,          /* at most 2^16 buckets per level */
    DIST_MIN_BITS = 4,
    DIST_GATHER_MAX = 1 << 18,   /* a needed bucket this small is gathered whole */
    DIST_MAX_RANKS = 2 * STATS_MAX_LEVELS
};

/* x is finite (NaN and ±Inf are skipped everywhere). */
static int finite_value(double x) { return x - x == 0.0; }

gs_status stats_dist_range(const gs_comm *c, const double *x, size_t n, uint64_t *kmin,
                           uint64_t *kmax, uint64_t *nf, gs_error *err)
{
    uint64_t lo = UINT64_MAX, hi = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!finite_value(x[i])) continue;
        const uint64_t k = stats_key(x[i]);
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
        count++;
    }
    /* max of (hi, ~lo) gives the max of hi and the min of lo in one reduction */
    uint64_t buf[2] = {hi, ~lo};
    GS_RETURN_IF(comm_max_u64(c, buf, 2) != GS_OK || comm_sum_u64(c, &count, 1) != GS_OK, err,
                 GS_ERR_INTERNAL, "MPI reduction of the quantile range failed");
    *kmin = ~buf[1], *kmax = buf[0], *nf = count;
    return GS_OK;
}

/* The wanted order statistics: l = ⌊p (nf − 1)⌋ and l + 1 for every level, sorted,
 * without duplicates (as stats.c's wanted_ranks). */
static size_t wanted_ranks(const double *levels, size_t nlevels, uint64_t nf, uint64_t *rank)
{
    size_t nr = 0;
    for (size_t q = 0; q < nlevels; q++) {
        const uint64_t l = (uint64_t)(levels[q] * (double)(nf - 1));
        rank[nr++] = l;
        if (l + 1 < nf) rank[nr++] = l + 1;
    }
    for (size_t i = 1; i < nr; i++) {
        uint64_t v = rank[i];
        size_t j = i;
        for (; j > 0 && rank[j - 1] > v; j--) rank[j] = rank[j - 1];
        rank[j] = v;
    }
    size_t distinct = 0;
    for (size_t i = 0; i < nr; i++)
        if (distinct == 0 || rank[i] != rank[distinct - 1]) rank[distinct++] = rank[i];
    return distinct;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One needed bucket: its index, global count, keys below it, and its ranks r0..r1. */
typedef struct {
    uint64_t bucket, count, below;
    size_t r0, r1;
} dist_need;

/* The keys of global ranks rank[0..nr) (sorted, relative to the keys in [lo, hi]) of the
 * finite values in [lo, hi] into out[0..nr).  Collective; recursive on large buckets.
 *
 * Buckets: b(k) = (k − lo) >> shift with about min(2^16, m/64) buckets, m the global
 * number of keys in range (equal on every rank). */
static gs_status dist_select(const gs_comm *c, const double *x, size_t n, uint64_t lo,
                             uint64_t hi, uint64_t m, const uint64_t *rank, size_t nr,
                             uint64_t *out, gs_error *err)
{
    if (lo == hi) {
        for (size_t i = 0; i < nr; i++) out[i] = lo;
        return GS_OK;
    }
    unsigned want = DIST_MIN_BITS;
    while (want < DIST_MAX_BITS && ((uint64_t)64 << want) < m) want++;
    const uint64_t span = hi - lo;
    const unsigned bits = 64u - (unsigned)__builtin_clzll(span);
    const unsigned shift = bits > want ? bits - want : 0u;
    const size_t nb = (size_t)(span >> shift) + 1;
    uint64_t *count = calloc(nb, sizeof *count);
    int32_t *slot = malloc(nb * sizeof *slot);
    gs_status st = !count || !slot ? gs_error_set(err, GS_ERR_NOMEM,
                                                  "out of memory selecting quantiles")
                                   : GS_OK;
    if ((st = comm_agree(c, st, err)) != GS_OK) {
        free(count), free(slot);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        if (!finite_value(x[i])) continue;
        const uint64_t k = stats_key(x[i]);
        if (k >= lo && k <= hi) count[(k - lo) >> shift]++;
    }
    if (comm_sum_u64(c, count, nb) != GS_OK)
        st = gs_error_set(err, GS_ERR_INTERNAL, "MPI sum of bucket counts failed");
    /* locate the bucket of every wanted rank */
    dist_need need[DIST_MAX_RANKS];
    size_t nneed = 0;
    uint64_t below = 0;
    size_t b = 0;
    for (size_t i = 0; st == GS_OK && i < nr; i++) {
        while (below + count[b] <= rank[i]) below += count[b++];
        if (nneed == 0 || need[nneed - 1].bucket != b)
            need[nneed++] = (dist_need){b, count[b], below, i, i + 1};
        else
            need[nneed - 1].r1 = i + 1;
    }
    free(count);
    /* gather the small needed buckets in one collective */
    memset(slot, 0xff, nb * sizeof *slot);
    size_t local = 0, nsmall = 0;
    for (size_t j = 0; j < nneed; j++)
        if (need[j].count <= DIST_GATHER_MAX) slot[need[j].bucket] = (int32_t)j, nsmall++;
    uint64_t *mine = NULL;
    if (st == GS_OK && nsmall) {
        size_t cap = 0;
        for (size_t i = 0; i < n; i++) {
            if (!finite_value(x[i])) continue;
            const uint64_t k = stats_key(x[i]);
            if (k >= lo && k <= hi && slot[(k - lo) >> shift] >= 0) cap++;
        }
        mine = malloc((cap ? cap : 1) * sizeof *mine);
        if (!mine) st = gs_error_set(err, GS_ERR_NOMEM, "out of memory selecting quantiles");
        for (size_t i = 0; st == GS_OK && i < n; i++) {
            if (!finite_value(x[i])) continue;
            const uint64_t k = stats_key(x[i]);
            if (k >= lo && k <= hi && slot[(k - lo) >> shift] >= 0) mine[local++] = k;
        }
    }
    void *all = NULL;
    size_t all_bytes = 0;
    if (nsmall) {
        /* every rank calls the allgather (nsmall is the same everywhere); a rank that
         * failed above sends nothing and reports after the agreement */
        gs_status gs = comm_allgather_bytes(c, mine, st == GS_OK ? local * sizeof *mine : 0,
                                            &all, &all_bytes);
        if (st == GS_OK && gs != GS_OK)
            st = gs_error_set(err, gs, "MPI gather of quantile buckets failed");
    }
    free(mine);
    st = comm_agree(c, st, err);
    uint64_t *keys = all;
    size_t nkeys = all_bytes / sizeof *keys;
    if (st == GS_OK && nsmall) qsort(keys, nkeys, sizeof *keys, cmp_u64);
    /* each needed bucket: pick from the sorted gathered keys, or refine */
    for (size_t j = 0; st == GS_OK && j < nneed; j++) {
        const dist_need *d = &need[j];
        uint64_t sub[DIST_MAX_RANKS];
        for (size_t i = d->r0; i < d->r1; i++) sub[i - d->r0] = rank[i] - d->below;
        const uint64_t blo = lo + ((uint64_t)d->bucket << shift);
        const uint64_t bhi = d->bucket == nb - 1 ? hi : blo + (((uint64_t)1 << shift) - 1);
        if (d->count > DIST_GATHER_MAX) {
            st = dist_select(c, x, n, blo, bhi, d->count, sub, d->r1 - d->r0, out + d->r0, err);
            continue;
        }
        /* the bucket's keys are a contiguous run of the sorted gathered keys */
        size_t first = 0;
        while (first < nkeys && keys[first] < blo) first++;
        for (size_t i = d->r0; i < d->r1; i++) out[i] = keys[first + sub[i - d->r0]];
    }
    free(all);
    free(slot);
    return st;
}

/* Type 7 with stats.c's arithmetic (so the same bits): h = p (nf − 1), l = ⌊h⌋,
 * δ = h − l, Q = x_(l) when l = nf − 1 or x_(l) == x_(l+1), else
 * (1 − δ) x_(l) + δ x_(l+1). */
gs_status stats_dist_quantiles(const gs_comm *c, const double *x, size_t n, uint64_t kmin,
                               uint64_t kmax, uint64_t nf, const double *levels, size_t nlevels,
                               double *out, gs_error *err)
{
    GS_RETURN_IF(nlevels > STATS_MAX_LEVELS, err, GS_ERR_INPUT,
                 "stats_quantiles: at most %d levels", STATS_MAX_LEVELS);
    if (nf == 0) {
        for (size_t q = 0; q < nlevels; q++) out[q] = NAN;
        return GS_OK;
    }
    if (nlevels == 0) return GS_OK;
    uint64_t rank[DIST_MAX_RANKS], key[DIST_MAX_RANKS];
    const size_t nr = wanted_ranks(levels, nlevels, nf, rank);
    GS_FORWARD(dist_select(c, x, n, kmin, kmax, nf, rank, nr, key, err));
    for (size_t q = 0; q < nlevels; q++) {
        const double h = levels[q] * (double)(nf - 1);
        const uint64_t l = (uint64_t)h;
        const double delta = h - (double)l;
        size_t i = 0;
        while (rank[i] != l) i++;
        const double lo = stats_unkey(key[i]);
        if (l + 1 >= nf) {
            out[q] = lo;
            continue;
        }
        const double hi = stats_unkey(key[i + 1]);
        out[q] = lo == hi ? lo : (1.0 - delta) * lo + delta * hi;
    }
    return GS_OK;
}
