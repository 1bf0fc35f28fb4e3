/* stats_hist.c - fixed-geometry key histograms and exact quantiles from them
 * (see stats_hist.h).  The selection inside the gathered windows is stats.c's. */
#include "stats_hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a + b, saturated at UINT64_MAX */
static inline uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

stats_hist_geom stats_hist_geometry(uint64_t kmin, uint64_t kmax, size_t max_buckets)
{
    if (max_buckets < 2) max_buckets = 2;
    if (kmax < kmin) kmax = kmin;
    const uint64_t span = kmax - kmin;
    unsigned shift = 0;
    while (shift < 63 && (span >> shift) >= (uint64_t)max_buckets) shift++;
    stats_hist_geom g = {kmin, shift, (size_t)(span >> shift) + 1};
    return g;
}

stats_hist_geom stats_hist_geometry_widened(uint64_t kmin, uint64_t kmax, size_t max_buckets)
{
    if (kmax < kmin) kmax = kmin;
    uint64_t pad = (kmax - kmin) / 4;
    if (pad < 4) pad = 4;
    const uint64_t lo = kmin > pad ? kmin - pad : 0;
    return stats_hist_geometry(lo, add_sat(kmax, pad), max_buckets);
}

gs_status stats_hist_init(stats_hist *h, stats_hist_geom g, gs_error *err)
{
    h->g = g;
    h->nonfinite = 0;
    h->count = calloc(g.nb + 2, sizeof *h->count);
    GS_RETURN_IF(!h->count, err, GS_ERR_NOMEM, "out of memory for a histogram of %zu buckets",
                 g.nb);
    return GS_OK;
}

void stats_hist_free(stats_hist *h)
{
    if (!h) return;
    free(h->count);
    h->count = NULL;
}

void stats_hist_clear(stats_hist *h)
{
    memset(h->count, 0, (h->g.nb + 2) * sizeof *h->count);
    h->nonfinite = 0;
}

void stats_hist_bucket_range(stats_hist_geom g, size_t b, uint64_t *klo, uint64_t *khi)
{
    const uint64_t width1 = ((uint64_t)1 << g.shift) - 1; /* shift <= 63 */
    if (b == 0) { /* underflow: [0, lo) (empty when lo = 0: klo > khi) */
        *klo = g.lo ? 0 : 1;
        *khi = g.lo ? g.lo - 1 : 0;
        return;
    }
    const uint64_t last = add_sat(g.lo, (uint64_t)(g.nb - 1) << g.shift); /* last bucket's start */
    const uint64_t end = add_sat(last, width1);                            /* its last key */
    if (b <= g.nb) {
        *klo = g.lo + ((uint64_t)(b - 1) << g.shift);
        *khi = add_sat(*klo, width1);
        return;
    }
    /* overflow: past the last bucket (empty when it ends at the top of the key space) */
    *klo = end == UINT64_MAX ? UINT64_MAX : end + 1;
    *khi = UINT64_MAX;
}

void stats_hist_count(stats_hist *h, const double *x, size_t n)
{
    const stats_hist_geom g = h->g;
    uint64_t *count = h->count, nonfinite = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = stats_bits(x[i]);
        if (!stats_bits_finite(u)) {
            nonfinite++;
            continue;
        }
        const uint64_t k = stats_key_of_bits(u);
        count[stats_hist_bucket(g, k)]++;
    }
    h->nonfinite += nonfinite;
}

gs_status stats_hist_merge(stats_hist *dst, const stats_hist *src, gs_error *err)
{
    GS_RETURN_IF(dst->g.lo != src->g.lo || dst->g.shift != src->g.shift || dst->g.nb != src->g.nb,
                 err, GS_ERR_INTERNAL, "stats_hist_merge: the geometries differ");
    for (size_t b = 0; b < dst->g.nb + 2; b++) dst->count[b] += src->count[b];
    dst->nonfinite += src->nonfinite;
    return GS_OK;
}

uint64_t stats_hist_total(const stats_hist *h)
{
    uint64_t t = 0;
    for (size_t b = 0; b < h->g.nb + 2; b++) t += h->count[b];
    return t;
}

size_t stats_hist_locate(const stats_hist *h, const size_t *rank, size_t nr,
                         stats_hist_window *win)
{
    size_t nw = 0, b = 0;
    uint64_t below = 0;
    const size_t nbt = h->g.nb + 2;
    for (size_t i = 0; i < nr; i++) {
        while (b < nbt && below + h->count[b] <= (uint64_t)rank[i]) below += h->count[b++];
        if (b >= nbt) break; /* not reached: the ranks are below the total */
        if (nw == 0 || win[nw - 1].r1 != i || win[nw - 1].below != below) {
            stats_hist_window w = {0, 0, below, h->count[b], i, i + 1};
            stats_hist_bucket_range(h->g, b, &w.klo, &w.khi);
            win[nw++] = w;
        } else {
            win[nw - 1].r1 = i + 1;
        }
    }
    return nw;
}

size_t stats_hist_windows(const stats_hist *h, const double *levels, size_t nlevels, size_t *rank,
                          size_t *nr, stats_hist_window *win)
{
    const uint64_t nf = stats_hist_total(h);
    *nr = 0;
    if (nf == 0) return 0;
    *nr = stats_wanted_ranks(levels, nlevels, (size_t)nf, rank);
    return stats_hist_locate(h, rank, *nr, win);
}

gs_status stats_hist_select(stats_qsel *ws, const stats_hist_window *w, size_t m,
                            const size_t *rank, uint64_t *out, gs_error *err)
{
    GS_RETURN_IF(m != w->count, err, GS_ERR_INTERNAL,
                 "stats_hist_select: %zu keys gathered, the window holds %llu", m,
                 (unsigned long long)w->count);
    size_t sub[2 * STATS_MAX_LEVELS];
    for (size_t i = w->r0; i < w->r1; i++) sub[i - w->r0] = rank[i] - (size_t)w->below;
    return stats_qsel_select(ws, m, sub, w->r1 - w->r0, out + w->r0, err);
}

gs_status stats_hist_quantiles(stats_qsel *ws, stats_hist_geom g, const double *x, size_t n,
                               const double *levels, size_t nlevels, double *out, gs_error *err)
{
    GS_RETURN_IF(nlevels > STATS_MAX_LEVELS, err, GS_ERR_INPUT,
                 "stats_hist_quantiles: at most %d levels", STATS_MAX_LEVELS);
    stats_hist h;
    GS_FORWARD(stats_hist_init(&h, g, err));
    stats_hist_count(&h, x, n);
    size_t rank[2 * STATS_MAX_LEVELS], nr;
    stats_hist_window win[2 * STATS_MAX_LEVELS];
    const size_t nw = stats_hist_windows(&h, levels, nlevels, rank, &nr, win);
    const size_t nf = (size_t)stats_hist_total(&h);
    stats_hist_free(&h);
    uint64_t key[2 * STATS_MAX_LEVELS];
    for (size_t j = 0; j < nw; j++) {
        const stats_hist_window *w = &win[j];
        uint64_t *keys = stats_qsel_keys(ws, (size_t)w->count);
        GS_RETURN_IF(!keys, err, GS_ERR_NOMEM, "stats_hist_quantiles: out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const uint64_t u = stats_bits(x[i]);
            if (!stats_bits_finite(u)) continue;
            const uint64_t k = stats_key_of_bits(u);
            if (k >= w->klo && k <= w->khi) keys[m++] = k;
        }
        GS_FORWARD(stats_hist_select(ws, w, m, rank, key, err));
    }
    stats_quantiles_of_keys(levels, nlevels, nf, rank, nr, key, out);
    return GS_OK;
}

gs_status stats_hist_finish(stats_qsel *ws, const stats_hist *h, const double *x, size_t n,
                            const double *levels, size_t nlevels, size_t max_gather,
                            double *out, int *done, gs_error *err)
{
    *done = 0;
    GS_RETURN_IF(nlevels > STATS_MAX_LEVELS, err, GS_ERR_INPUT,
                 "stats_hist_finish: at most %d levels", STATS_MAX_LEVELS);
    size_t rank[2 * STATS_MAX_LEVELS], nr;
    stats_hist_window win[2 * STATS_MAX_LEVELS];
    const size_t nw = stats_hist_windows(h, levels, nlevels, rank, &nr, win);
    const size_t nf = (size_t)stats_hist_total(h);
    uint64_t key[2 * STATS_MAX_LEVELS];
    size_t off[2 * STATS_MAX_LEVELS], fill[2 * STATS_MAX_LEVELS], total = 0;
    for (size_t j = 0; j < nw; j++) off[j] = fill[j] = total, total += (size_t)win[j].count;
    if (total > max_gather) return GS_OK;
    if (nw) {
        const stats_hist_geom g = h->g;
        int32_t *slot = malloc((g.nb + 2) * sizeof *slot);
        uint64_t *keys = stats_qsel_keys(ws, total);
        if (!slot || !keys) {
            free(slot);
            return gs_error_set(err, GS_ERR_NOMEM, "stats_hist_finish: out of memory");
        }
        memset(slot, 0xff, (g.nb + 2) * sizeof *slot);
        for (size_t j = 0; j < nw; j++) slot[stats_hist_bucket(g, win[j].klo)] = (int32_t)j;
        for (size_t i = 0; i < n; i++) {
            const uint64_t u = stats_bits(x[i]);
            if (!stats_bits_finite(u)) continue;
            const uint64_t k = stats_key_of_bits(u);
            const int32_t sj = slot[stats_hist_bucket(g, k)];
            if (sj >= 0) keys[fill[sj]++] = k;
        }
        free(slot);
        for (size_t j = 0; j < nw; j++) {
            GS_RETURN_IF(fill[j] != off[j] + win[j].count, err, GS_ERR_INTERNAL,
                         "stats_hist_finish: the histogram does not count these values");
            size_t sub[2 * STATS_MAX_LEVELS];
            for (size_t i = win[j].r0; i < win[j].r1; i++) sub[i - win[j].r0] = rank[i] - (size_t)win[j].below;
            GS_FORWARD(stats_qsel_select_at(ws, off[j], (size_t)win[j].count, total, sub,
                                            win[j].r1 - win[j].r0, key + win[j].r0, err));
        }
    }
    stats_quantiles_of_keys(levels, nlevels, nf, rank, nr, key, out);
    *done = 1;
    return GS_OK;
}
