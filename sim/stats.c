/* stats.c - moments, exact quantiles by radix selection, proportions.
 *
 * See stats.h for the contracts.  Quantiles take three passes over the data (range,
 * counts per bucket, gather of the few needed buckets) and then repeat the same steps
 * inside the gathered buckets; x is never written and never sorted.  The steps are
 * separate so that a parallel version can agree on the range, add the integer counts
 * of its slices, and gather the needed buckets from each.  With a plan (stats_qplan,
 * "planned buckets" below) the first level's buckets are computed beforehand, while the
 * data are in cache, and the counting pass reads them instead of the values.
 */
#include "stats.h"

#include "isa.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif


/* ---------------------------------------------------------------- moments */

/* Corrected two-pass algorithm on the block (Chan, Golub & LeVeque 1983):
 *   mean = Σx / n,   d_i = x_i − mean,   M2 = Σd_i² − (Σd_i)²/n.
 * The second term removes most of the rounding error of the mean.  Each sum runs in
 * eight lanes (lane l takes the x_i with i ≡ l mod 8) that are added pairwise in a
 * fixed order at the end; the tail of n mod 8 values is added last, in order.  So the
 * result is a fixed function of x, whatever the vector width of the machine.
 *
 * The lanes are four GCC/Clang vectors of two doubles (element-wise arithmetic, the
 * same on SSE2, AVX2 or AVX-512); plain loops over lane arrays were left unvectorised
 * by GCC 12 at -O2, and vectors of four doubles are split badly without AVX.
 *
 * The first pass also finds min and max, for stats_block_of. */
typedef double stats_v2d __attribute__((vector_size(16)));
typedef int64_t stats_v2i __attribute__((vector_size(16)));

static inline stats_v2d v2_load(const double *x)
{
    stats_v2d v;
    memcpy(&v, x, sizeof v);
    return v;
}

/* Element-wise (a < b ? a : b) and (a > b ? a : b): minpd/maxpd on x86-64 (which the
 * compiler does not find in the portable form). */
static inline stats_v2d v2_min(stats_v2d a, stats_v2d b)
{
#ifdef __SSE2__
    return (stats_v2d)_mm_min_pd((__m128d)a, (__m128d)b);
#else
    const stats_v2i m = a < b;
    return (stats_v2d)((m & (stats_v2i)a) | (~m & (stats_v2i)b));
#endif
}
static inline stats_v2d v2_max(stats_v2d a, stats_v2d b)
{
#ifdef __SSE2__
    return (stats_v2d)_mm_max_pd((__m128d)a, (__m128d)b);
#else
    const stats_v2i m = a > b;
    return (stats_v2d)((m & (stats_v2i)a) | (~m & (stats_v2i)b));
#endif
}

/* Eight lanes v[j][e] (lane 2j + e) added pairwise: ((0+1)+(2+3)) + ((4+5)+(6+7)). */
static inline double lanes_sum(const stats_v2d v[4])
{
    return ((v[0][0] + v[0][1]) + (v[1][0] + v[1][1])) +
           ((v[2][0] + v[2][1]) + (v[3][0] + v[3][1]));
}

typedef struct {
    double sum, min, max;
} moments_pass1_out;

/* Pass 1 (n >= 1): Σx, min and max.  (Min and max are exact, so their lane layout,
 * two vectors each, does not matter; few accumulators keep them all in registers.) */
static moments_pass1_out moments_pass1(const double *x, size_t n)
{
    const size_t n8 = n & ~(size_t)7;
    const stats_v2d first = {x[0], x[0]};
    stats_v2d s[4], lo[2], hi[2];
    for (int j = 0; j < 4; j++) s[j] = first - first;
    lo[0] = lo[1] = hi[0] = hi[1] = first;
    for (size_t i = 0; i < n8; i += 8)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const stats_v2d v = v2_load(x + i + 2 * j);
            s[j] += v;
            lo[j & 1] = v2_min(v, lo[j & 1]);
            hi[j & 1] = v2_max(v, hi[j & 1]);
        }
    moments_pass1_out o = {lanes_sum(s), x[0], x[0]};
    for (int j = 0; j < 2; j++)
        for (int e = 0; e < 2; e++) {
            o.min = lo[j][e] < o.min ? lo[j][e] : o.min;
            o.max = hi[j][e] > o.max ? hi[j][e] : o.max;
        }
    for (size_t i = n8; i < n; i++) {
        o.sum += x[i];
        o.min = x[i] < o.min ? x[i] : o.min;
        o.max = x[i] > o.max ? x[i] : o.max;
    }
    return o;
}

/* The mean of x[0..n) as (Σ(x c) / n) / c: for a sum that overflowed although every
 * value is finite (c = 2^-e brings the largest |x| below 1). */
static double scaled_mean(const double *x, size_t n, double c)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += x[i] * c;
    return s / (double)n / c;
}

/* Pass 2 (n >= 1): mean, Σd, Σd² and the population standard deviation
 * sqrt(M2/n), given Σx and the range from pass 1.  The deviations are scaled by a power
 * of two c = 2^-e that brings max(|min|, |max|) below 1, so Σ(dc)² cannot overflow;
 * scaling by a power of two is exact, so the sums are the unscaled ones times c and c²
 * bit for bit (short of subnormals).  sqrt(M2/n) = sqrt((Σ(dc)² − (Σdc)²/n) / n) / c
 * is finite whenever the standard deviation is (M2, and even the variance, overflow
 * far sooner: demand after a few centuries of model time). */
static void moments_pass2(const double *x, size_t n, moments_pass1_out p1, stats_moments *out)
{
    const size_t n8 = n & ~(size_t)7;
    const double big = fmax(fabs(p1.min), fabs(p1.max));
    int e = 0;
    if (isfinite(big) && big > 0.0) (void)frexp(big, &e);
    const double c = ldexp(1.0, -e);
    const double mean = !isfinite(p1.sum) && isfinite(big) ? scaled_mean(x, n, c)
                                                           : p1.sum / (double)n;
    const stats_v2d m = {mean, mean}, cv = {c, c};
    stats_v2d d1[4], d2[4];
    for (int j = 0; j < 4; j++) d1[j] = d2[j] = m - m;
    for (size_t i = 0; i < n8; i += 8)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const stats_v2d d = (v2_load(x + i + 2 * j) - m) * cv;
            d1[j] += d;
            d2[j] += d * d;
        }
    double sum_d = lanes_sum(d1), sum_d2 = lanes_sum(d2);
    for (size_t i = n8; i < n; i++) {
        const double d = (x[i] - mean) * c;
        sum_d += d;
        sum_d2 += d * d;
    }
    const double nd = (double)n;
    const double v = (sum_d2 - sum_d * sum_d / nd) / nd;
    out->n = nd;
    out->mean = mean;
    out->sdp = v > 0.0 ? sqrt(v) / c : 0.0;
}

void stats_moments_of(const double *x, size_t n, stats_moments *out)
{
    if (n == 0) {
        *out = (stats_moments){0.0, 0.0, 0.0};
        return;
    }
    moments_pass2(x, n, moments_pass1(x, n), out);
}

/* Moments, then min, max and the count of non-finite values.  Any NaN makes the sum
 * NaN and any ±∞ makes max or min infinite, so when sum, min and max are all finite
 * every value is; only otherwise (or when a finite sum overflowed) are the non-finite
 * values counted, one by one (x − x is 0 only for finite x).  min and max are
 * meaningful only when nonfinite is 0. */
void stats_block_of(const double *x, size_t n, stats_block *out)
{
    if (n == 0) {
        *out = (stats_block){{0.0, 0.0, 0.0}, 0.0, 0.0, 0};
        return;
    }
    const moments_pass1_out p = moments_pass1(x, n);
    moments_pass2(x, n, p, &out->moments);
    out->min = p.min;
    out->max = p.max;
    out->nonfinite = 0;
    if (!isfinite(p.sum) || !isfinite(p.min) || !isfinite(p.max))
        for (size_t i = 0; i < n; i++) out->nonfinite += !(x[i] - x[i] == 0.0);
}

/* Chan et al. in terms of s = sqrt(M2/n): with n = n_a + n_b, w_a = n_a/n,
 * w_b = n_b/n and δ = mean_b − mean_a,
 *   mean = mean_a + δ w_b,   s² = w_a s_a² + w_b s_b² + w_a w_b δ²
 * (M2 = M2_a + M2_b + δ² n_a n_b / n divided by n), the squares taken after scaling by
 * the power of two h = 2^-e that brings max(s_a, s_b, |δ|) below 1, so that nothing
 * overflows: s = sqrt(w_a (h s_a)² + w_b (h s_b)² + w_a w_b (h δ)²) / h.  Merging an
 * empty block is a no-op; merging into an empty acc copies b. */
void stats_moments_merge(stats_moments *acc, const stats_moments *b)
{
    if (b->n == 0.0) return;
    if (acc->n == 0.0) {
        *acc = *b;
        return;
    }
    const double n = acc->n + b->n;
    const double wa = acc->n / n, wb = b->n / n;
    const double delta = b->mean - acc->mean;
    const double big = fmax(fmax(acc->sdp, b->sdp), fabs(delta));
    int e = 0;
    if (isfinite(big) && big > 0.0) (void)frexp(big, &e);
    const double h = ldexp(1.0, -e);
    const double sa = acc->sdp * h, sb = b->sdp * h, dh = delta * h;
    acc->mean += delta * wb;
    acc->sdp = sqrt(wa * (sa * sa) + wb * (sb * sb) + wa * wb * (dh * dh)) / h;
    acc->n = n;
}

/* sd = sqrt(M2 / (n − 1)) = s sqrt(n / (n − 1)); 0 when n < 2. */
double stats_moments_sd(const stats_moments *m)
{
    if (m->n < 2.0) return 0.0;
    return m->sdp * sqrt(m->n / (m->n - 1.0));
}

/* ---------------------------------------------------------------- keys */

#define KEY_SIGN UINT64_C(0x8000000000000000)

/* -0.0 and +0.0 get the same key, that of +0.0: x + 0.0 turns -0.0 into +0.0 and
 * leaves every other value (and its bits) unchanged.  So stats_unkey(stats_key(-0.0))
 * is +0.0, and the quantiles treat the two zeros as ties (they compare equal). */
uint64_t stats_key(double x)
{
    return stats_key_of_bits(stats_bits(x));
}

double stats_unkey(uint64_t key)
{
    const uint64_t u = (key & KEY_SIGN) ? key ^ KEY_SIGN : ~key;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---------------------------------------------------------------- quantiles */

/* Radix selection.  A set of keys with range [kmin, kmax] is split into nb ≈ min(m, 2^16)
 * buckets of equal key width, b(k) = (k − kmin) >> shift.  Counting the keys per bucket
 * and summing the counts locates the bucket of every wanted rank; only those buckets'
 * keys are gathered and the selection repeats inside each of them, with its own,
 * narrower key range.  Each level narrows the key range by a factor nb, so the work is
 * linear in the number of values; a bucket of at most QSEL_SORT keys is sorted, and a
 * bucket whose keys are all equal answers at once (ties).
 *
 * Because keys of doubles grow like the logarithm of the value, equal-width key
 * buckets are log-spaced in value, which suits data spanning many orders of magnitude.
 * The counts are integers, so histograms of slices of the data (threads, MPI ranks) add
 * up exactly once the slices agree on the range. */

enum {
    QSEL_MAX_BITS = 16, /* at most 2^16 buckets per level */
    QSEL_MIN_BITS = 4,
    QSEL_SORT = 48      /* buckets this small are sorted by insertion */
};

/* Workspace, owned by the caller (one per thread):
 *   arena  gathered keys: the top level's needed buckets, then each deeper level's,
 *          stacked (grows on demand; nmax keys at first, 8 nmax bytes)
 *   count  2^16 bucket counts (256 KiB), used by one level at a time
 *   slot   bucket -> index of a needed bucket or -1 (256 KiB); all -1 between uses
 *   bucket the top-level bucket of every value (2 nmax bytes), written by the counting
 *          pass so that the gathering pass reads 2 bytes per value instead of 8
 * About 10 nmax bytes + 512 KiB. */
struct stats_qsel {
    size_t nmax;
    uint64_t *arena;
    size_t arena_cap;
    uint32_t *count;
    int32_t *slot;
    uint16_t *bucket;
};

void stats_qsel_free(stats_qsel *ws)
{
    if (!ws) return;
    free(ws->arena);
    free(ws->count);
    free(ws->slot);
    free(ws->bucket);
    free(ws);
}

stats_qsel *stats_qsel_alloc(size_t nmax)
{
    stats_qsel *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->nmax = nmax;
    ws->arena_cap = nmax > 0 ? nmax : 1;
    ws->arena = malloc(ws->arena_cap * sizeof *ws->arena);
    ws->count = malloc(((size_t)1 << QSEL_MAX_BITS) * sizeof *ws->count);
    ws->slot = malloc(((size_t)1 << QSEL_MAX_BITS) * sizeof *ws->slot);
    ws->bucket = malloc((nmax > 0 ? nmax : 1) * sizeof *ws->bucket);
    if (ws->slot) memset(ws->slot, 0xff, ((size_t)1 << QSEL_MAX_BITS) * sizeof *ws->slot);
    if (!ws->arena || !ws->count || !ws->slot || !ws->bucket) {
        stats_qsel_free(ws);
        return NULL;
    }
    return ws;
}

/* Makes room for `need` keys in the arena; returns 0 or -1 (out of memory). */
static int arena_reserve(stats_qsel *ws, size_t need)
{
    if (need <= ws->arena_cap) return 0;
    size_t cap = ws->arena_cap * 2 > need ? ws->arena_cap * 2 : need;
    uint64_t *a = realloc(ws->arena, cap * sizeof *a);
    if (!a) return -1;
    ws->arena = a;
    ws->arena_cap = cap;
    return 0;
}

typedef struct {
    uint64_t lo;   /* kmin */
    unsigned shift;
    size_t nb;     /* buckets: ((kmax − kmin) >> shift) + 1 */
} qsel_geom;

/* About m buckets (a power of two between 2^4 and 2^16) over [kmin, kmax]. */
static qsel_geom qsel_geometry(uint64_t kmin, uint64_t kmax, size_t m)
{
    unsigned want = QSEL_MIN_BITS;
    while (want < QSEL_MAX_BITS && ((size_t)1 << want) < m) want++;
    const uint64_t span = kmax - kmin;
    const unsigned bits = span ? 64u - (unsigned)__builtin_clzll(span) : 0u;
    qsel_geom g = {kmin, bits > want ? bits - want : 0u, 0};
    g.nb = (size_t)(span >> g.shift) + 1;
    return g;
}

static inline size_t qsel_bucket(qsel_geom g, uint64_t k) { return (size_t)((k - g.lo) >> g.shift); }


static void sort_small(uint64_t *a, size_t m)
{
    for (size_t i = 1; i < m; i++) {
        uint64_t v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

/* A needed bucket: where its keys go in the arena, how many, which ranks it holds. */
typedef struct {
    size_t bucket, off, len, fill, below; /* below: keys in lower buckets */
    size_t r0, r1;                        /* its ranks: rank[r0 .. r1) */
} qsel_need;

/* From the bucket counts, finds the buckets of the sorted ranks rank[0..nr) (relative
 * to the set), numbers them in slot[], and lays them out in the arena from offset
 * `off`.  Fills need[] (at most nr entries); returns their number. */
static size_t qsel_locate(stats_qsel *ws, const size_t *rank, size_t nr, size_t off,
                          qsel_need *need)
{
    const uint32_t *count = ws->count;
    size_t nneed = 0, below = 0, b = 0;
    for (size_t i = 0; i < nr; i++) {
        while (below + count[b] <= rank[i]) below += count[b++];
        if (nneed == 0 || need[nneed - 1].bucket != b) {
            need[nneed] = (qsel_need){b, off, count[b], off, below, i, i + 1};
            ws->slot[b] = (int32_t)nneed;
            off += count[b];
            nneed++;
        } else {
            need[nneed - 1].r1 = i + 1;
        }
    }
    return nneed;
}

static gs_status select_keys(stats_qsel *ws, size_t off, size_t m, size_t free_off,
                             const size_t *rank, size_t nr, uint64_t *out);

/* After a gather: clears the slots (so deeper levels find them all -1), then selects
 * inside each gathered bucket; the arena from free_off on is free for them. */
static gs_status qsel_descend(stats_qsel *ws, const qsel_need *need, size_t nneed,
                              size_t free_off, const size_t *rank, uint64_t *out)
{
    for (size_t j = 0; j < nneed; j++) ws->slot[need[j].bucket] = -1;
    size_t sub[2 * STATS_MAX_LEVELS];
    for (size_t j = 0; j < nneed; j++) {
        for (size_t i = need[j].r0; i < need[j].r1; i++) sub[i - need[j].r0] = rank[i] - need[j].below;
        GS_FORWARD(select_keys(ws, need[j].off, need[j].len, free_off, sub,
                               need[j].r1 - need[j].r0, out + need[j].r0));
    }
    return GS_OK;
}

/* The keys of ranks rank[0..nr) (sorted, distinct, < m) of the m keys at
 * arena[off .. off+m) into out[0..nr).  May reorder those keys and use the arena
 * from free_off on (past every region still in use). */
static gs_status select_keys(stats_qsel *ws, size_t off, size_t m, size_t free_off,
                             const size_t *rank, size_t nr, uint64_t *out)
{
    uint64_t *a = ws->arena + off;
    if (m <= QSEL_SORT) {
        sort_small(a, m);
        for (size_t i = 0; i < nr; i++) out[i] = a[rank[i]];
        return GS_OK;
    }
    uint64_t kmin = a[0], kmax = a[0];
    for (size_t j = 1; j < m; j++) {
        kmin = a[j] < kmin ? a[j] : kmin;
        kmax = a[j] > kmax ? a[j] : kmax;
    }
    if (kmin == kmax) {
        for (size_t i = 0; i < nr; i++) out[i] = kmin;
        return GS_OK;
    }
    const qsel_geom g = qsel_geometry(kmin, kmax, m);
    uint32_t *count = ws->count;
    memset(count, 0, g.nb * sizeof *count);
    for (size_t j = 0; j < m; j++) count[qsel_bucket(g, a[j])]++;

    qsel_need need[2 * STATS_MAX_LEVELS];
    const size_t top = free_off;
    const size_t nneed = qsel_locate(ws, rank, nr, top, need);
    const size_t gathered = need[nneed - 1].off + need[nneed - 1].len - top;
    if (arena_reserve(ws, top + gathered) != 0) {
        for (size_t j = 0; j < nneed; j++) ws->slot[need[j].bucket] = -1;
        return GS_ERR_NOMEM;
    }
    a = ws->arena + off;
    uint64_t *dst = ws->arena;
    const int32_t *slot = ws->slot;
    for (size_t j = 0; j < m; j++) {
        const int32_t s = slot[qsel_bucket(g, a[j])];
        if (s >= 0) dst[need[s].fill++] = a[j];
    }
    return qsel_descend(ws, need, nneed, top + gathered, rank, out);
}

/* The wanted order statistics for levels: l = ⌊p (n_f − 1)⌋ and l + 1. */
size_t stats_wanted_ranks(const double *levels, size_t nlevels, size_t nf, size_t *rank)
{
    size_t nr = 0;
    for (size_t q = 0; q < nlevels; q++) {
        const size_t l = (size_t)(levels[q] * (double)(nf - 1));
        rank[nr++] = l;
        if (l + 1 < nf) rank[nr++] = l + 1;
    }
    /* sort (insertion: at most 2 × STATS_MAX_LEVELS) and drop duplicates */
    for (size_t i = 1; i < nr; i++) {
        size_t v = rank[i], j = i;
        for (; j > 0 && rank[j - 1] > v; j--) rank[j] = rank[j - 1];
        rank[j] = v;
    }
    size_t distinct = 0;
    for (size_t i = 0; i < nr; i++)
        if (distinct == 0 || rank[i] != rank[distinct - 1]) rank[distinct++] = rank[i];
    return distinct;
}

static size_t find_rank(const size_t *rank, size_t nr, size_t r)
{
    size_t i = 0;
    while (rank[i] != r) i++;
    (void)nr;
    return i;
}

static gs_status check_quantile_args(const stats_qsel *ws, const double *x, size_t n,
                                     const double *levels, size_t nlevels, gs_error *err)
{
    GS_RETURN_IF(!ws, err, GS_ERR_INTERNAL, "stats_quantiles: no workspace");
    GS_RETURN_IF(n > ws->nmax, err, GS_ERR_INTERNAL,
                 "stats_quantiles: %zu values exceed the workspace size %zu", n, ws->nmax);
    GS_RETURN_IF(n > 0 && !x, err, GS_ERR_INTERNAL, "stats_quantiles: no data");
    GS_RETURN_IF(nlevels > STATS_MAX_LEVELS, err, GS_ERR_INPUT,
                 "stats_quantiles: at most %d levels", STATS_MAX_LEVELS);
    for (size_t q = 0; q < nlevels; q++)
        GS_RETURN_IF(!(levels[q] >= 0.0 && levels[q] <= 1.0), err, GS_ERR_INPUT,
                     "quantile level %g: must be in [0, 1]", levels[q]);

    return GS_OK;
}

/* Pass 3 for all-finite data whose top-level buckets are bucket[0..n): gathers the keys
 * of the needed buckets need[0..nneed) and selects the ranks rank[] in them into key[].
 * A needed bucket holding more than QSEL_BIG values is not gathered at first: the pass
 * tracks only how many of its values have its smallest key (one such bucket: in
 * registers), or, with several, its smallest and largest key, and when every rank wanted
 * in the bucket falls among the values of its smallest key (a point mass: a share stuck at
 * 0, a whole number of labs) its ranks have that key and nothing is copied; otherwise
 * one more pass gathers it.  Copying every value of a point mass, each store waiting for the previous one's
 * fill counter, was the slowest part of the selection for such data. */
static gs_status gather_finite(stats_qsel *ws, const double *x, const uint16_t *bucket, size_t n,
                               qsel_need *need, size_t nneed, const size_t *rank, uint64_t *key)
{
    enum { QSEL_BIG = 4096 };
    uint64_t lo[2 * STATS_MAX_LEVELS], hi[2 * STATS_MAX_LEVELS];
    size_t fill[2 * STATS_MAX_LEVELS], eq[2 * STATS_MAX_LEVELS];
    size_t nbig = 0, big = 0;
    /* the needed buckets as a bitmap (8 KiB, in L1): most values are in none, and the
     * bit test spares them the load from the 256 KiB slot table */
    uint64_t needed[((size_t)1 << QSEL_MAX_BITS) / 64];
    memset(needed, 0, sizeof needed);
    for (size_t j = 0; j < nneed; j++) {
        fill[j] = need[j].off;
        lo[j] = UINT64_MAX, hi[j] = 0, eq[j] = 0;
        needed[need[j].bucket >> 6] |= (uint64_t)1 << (need[j].bucket & 63);
        if (need[j].len > QSEL_BIG) ws->slot[need[j].bucket] = -2 - (int32_t)j, nbig++, big = j;
    }
#define QSEL_NEEDED(b) ((needed[(b) >> 6] >> ((b) & 63)) & 1)
    const int32_t *slot = ws->slot;
    uint64_t *arena = ws->arena;
    if (nbig == 0) {
        for (size_t i = 0; i < n; i++) {
            const uint16_t b = bucket[i];
            if (QSEL_NEEDED(b)) arena[fill[slot[b]]++] = stats_key(x[i]);
        }
    } else if (nbig == 1) { /* the usual point mass: its minimum and count in registers */
        const uint16_t bb = (uint16_t)need[big].bucket;
        uint64_t m = UINT64_MAX;
        size_t c = 0;
        for (size_t i = 0; i < n; i++) {
            const uint16_t b = bucket[i];
            if (!QSEL_NEEDED(b)) continue;
            const uint64_t k = stats_key(x[i]);
            if (b == bb) {
                c = k == m ? c + 1 : k < m ? 1 : c;
                m = k < m ? k : m;
            } else {
                arena[fill[slot[b]]++] = k;
            }
        }
        lo[big] = m, eq[big] = c;
    } else {
        for (size_t i = 0; i < n; i++) {
            const uint16_t b = bucket[i];
            if (!QSEL_NEEDED(b)) continue;
            const int32_t s = slot[b];
            const uint64_t k = stats_key(x[i]);
            if (s >= 0) {
                arena[fill[s]++] = k;
            } else { /* stores only while the range grows: no chain through memory */
                const size_t j = (size_t)(-2 - s);
                if (k < lo[j]) lo[j] = k;
                if (k > hi[j]) hi[j] = k;
            }
        }
        for (size_t j = 0; j < nneed; j++) eq[j] = lo[j] == hi[j] ? need[j].len : 0;
    }
#undef QSEL_NEEDED
    /* a big bucket is resolved when its largest wanted rank lies among its smallest keys */
    int resolved[2 * STATS_MAX_LEVELS];
    for (size_t j = 0; j < nneed; j++) {
        resolved[j] = need[j].len > QSEL_BIG && rank[need[j].r1 - 1] - need[j].below < eq[j];
        if (need[j].len <= QSEL_BIG || resolved[j]) continue;
        const uint16_t b = (uint16_t)need[j].bucket;
        size_t f = need[j].off;
        for (size_t i = 0; i < n; i++)
            if (bucket[i] == b) arena[f++] = stats_key(x[i]);
    }
    for (size_t j = 0; j < nneed; j++) ws->slot[need[j].bucket] = -1;
    const size_t used = need[nneed - 1].off + need[nneed - 1].len;
    size_t sub[2 * STATS_MAX_LEVELS];
    for (size_t j = 0; j < nneed; j++) {
        if (resolved[j]) {
            for (size_t i = need[j].r0; i < need[j].r1; i++) key[i] = lo[j];
            continue;
        }
        for (size_t i = need[j].r0; i < need[j].r1; i++) sub[i - need[j].r0] = rank[i] - need[j].below;
        GS_FORWARD(select_keys(ws, need[j].off, need[j].len, used, sub, need[j].r1 - need[j].r0,
                               key + need[j].r0));
    }
    return GS_OK;
}

/* Whether the top level should split the finite values x[0..n) (keys kmin < kmax) into
 * buckets of equal width in value, b = ⌊(x − lo) scale⌋, rather than in key.  Both are
 * non-decreasing in x (rounding is monotone), so either locates the wanted ranks
 * exactly; they differ only in how many values share the buckets that hold them.  Key
 * buckets are log-spaced, which suits data spanning orders of magnitude but wastes
 * buckets on the empty binades between a value near 0 and the bulk (a share, a normal
 * variable crossing 0).  So: count a sample of 4096 values into 1024 buckets of each
 * kind and take the kind whose counts have the smaller sum of squares (the expected
 * number of values sharing a random value's bucket).  Needs a finite range. */
static int prefer_linear(stats_qsel *ws, const double *x, size_t n, uint64_t kmin, uint64_t kmax,
                         double lo, double range)
{
    enum { SAMPLE = 4096, SAMPLE_BUCKETS = 1024 };
    if (n < 4 * SAMPLE || !isfinite(range) || !(range > 0.0)) return 0;
    const qsel_geom g = qsel_geometry(kmin, kmax, SAMPLE_BUCKETS);
    const double s = (double)SAMPLE_BUCKETS / range;
    uint32_t *ck = ws->count, *cl = ws->count + g.nb;
    memset(ck, 0, (g.nb + SAMPLE_BUCKETS) * sizeof *ck);
    const size_t stride = n / SAMPLE;
    for (size_t i = 0; i < n; i += stride) {
        ck[qsel_bucket(g, stats_key(x[i]))]++;
        const size_t b = (size_t)((x[i] - lo) * s);
        cl[b < SAMPLE_BUCKETS - 1 ? b : SAMPLE_BUCKETS - 1]++;
    }
    uint64_t sk = 0, sl = 0;
    for (size_t b = 0; b < g.nb; b++) sk += (uint64_t)ck[b] * ck[b];
    for (size_t b = 0; b < SAMPLE_BUCKETS; b++) sl += (uint64_t)cl[b] * cl[b];
    return sl < sk;
}

/* Passes 2 and 3 and the selection, given the range [kmin, kmax] of the nf finite keys
 * of x[0..n) (kmin > kmax when there are none). */
static gs_status quantiles_in_range(stats_qsel *ws, const double *x, size_t n, uint64_t kmin,
                                    uint64_t kmax, size_t nf, const double *levels,
                                    size_t nlevels, double *out, size_t *n_nonfinite,
                                    gs_error *err)
{
    if (n_nonfinite) *n_nonfinite = n - nf;
    if (nf == 0) {
        for (size_t q = 0; q < nlevels; q++) out[q] = NAN;
        return GS_OK;
    }
    if (nlevels == 0) return GS_OK;
    size_t rank[2 * STATS_MAX_LEVELS];
    uint64_t key[2 * STATS_MAX_LEVELS];
    const size_t nr = stats_wanted_ranks(levels, nlevels, nf, rank);

    if (kmin == kmax) {
        for (size_t i = 0; i < nr; i++) key[i] = kmin;
    } else {
        /* Pass 2: counts per bucket (and, when all values are finite, each value's
         * bucket, 16 bits, for pass 3). */
        const qsel_geom g = qsel_geometry(kmin, kmax, nf);
        uint32_t *count = ws->count;
        uint16_t *bucket = ws->bucket;
        const double lo = stats_unkey(kmin), range = stats_unkey(kmax) - lo;
        const int linear = nf == n && prefer_linear(ws, x, n, kmin, kmax, lo, range);
        memset(count, 0, g.nb * sizeof *count); /* after prefer_linear, which uses it */
        if (linear) {
            const double scale = (double)g.nb / range;
            const size_t last = g.nb - 1;
            for (size_t i = 0; i < n; i++) {
                const size_t b = (size_t)((x[i] - lo) * scale);
                const size_t bk = b < last ? b : last;
                bucket[i] = (uint16_t)bk;
                count[bk]++;
            }
        } else if (nf == n) {
            for (size_t i = 0; i < n; i++) {
                const size_t bk = qsel_bucket(g, stats_key(x[i]));
                bucket[i] = (uint16_t)bk;
                count[bk]++;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                uint64_t u = stats_bits(x[i]);
                if (stats_bits_finite(u)) count[qsel_bucket(g, stats_key_of_bits(u))]++;
            }
        }
        /* Pass 3: gather the needed buckets' keys into the arena, then select. */
        qsel_need need[2 * STATS_MAX_LEVELS];
        const size_t nneed = qsel_locate(ws, rank, nr, 0, need);
        const int32_t *slot = ws->slot;
        if (nf == n) {
            if (gather_finite(ws, x, bucket, n, need, nneed, rank, key) != GS_OK)
                return gs_error_set(err, GS_ERR_NOMEM, "stats_quantiles: out of memory");
            stats_quantiles_of_keys(levels, nlevels, nf, rank, nr, key, out);
            return GS_OK;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t u = stats_bits(x[i]);
            if (!stats_bits_finite(u)) continue;
            const uint64_t k = stats_key_of_bits(u);
            const int32_t s = slot[qsel_bucket(g, k)];
            if (s >= 0) ws->arena[need[s].fill++] = k;
        }
        const size_t used = need[nneed - 1].off + need[nneed - 1].len;
        if (qsel_descend(ws, need, nneed, used, rank, key) != GS_OK)
            return gs_error_set(err, GS_ERR_NOMEM, "stats_quantiles: out of memory");
    }

    stats_quantiles_of_keys(levels, nlevels, nf, rank, nr, key, out);
    return GS_OK;
}

void stats_quantiles_of_keys(const double *levels, size_t nlevels, size_t nf, const size_t *rank,
                             size_t nr, const uint64_t *key, double *out)
{
    for (size_t q = 0; q < nlevels; q++) {
        if (nf == 0) {
            out[q] = NAN;
            continue;
        }
        const double h = levels[q] * (double)(nf - 1);
        const size_t l = (size_t)h;
        const double delta = h - (double)l;
        const double lo = stats_unkey(key[find_rank(rank, nr, l)]);
        if (l + 1 >= nf) {
            out[q] = lo;
            continue;
        }
        const double hi = stats_unkey(key[find_rank(rank, nr, l + 1)]);
        out[q] = lo == hi ? lo : (1.0 - delta) * lo + delta * hi;
    }
}

/* The arena as a caller's buffer of m keys (stats.h). */
uint64_t *stats_qsel_keys(stats_qsel *ws, size_t m)
{
    return arena_reserve(ws, m ? m : 1) == 0 ? ws->arena : NULL;
}

gs_status stats_qsel_select(stats_qsel *ws, size_t m, const size_t *rank, size_t nr,
                            uint64_t *out, gs_error *err)
{
    return stats_qsel_select_at(ws, 0, m, m, rank, nr, out, err);
}

gs_status stats_qsel_select_at(stats_qsel *ws, size_t off, size_t m, size_t used,
                               const size_t *rank, size_t nr, uint64_t *out, gs_error *err)
{
    if (nr == 0) return GS_OK;
    GS_RETURN_IF(m == 0 || rank[nr - 1] >= m || off + m > used || used > ws->arena_cap, err,
                 GS_ERR_INTERNAL, "stats_qsel_select: rank %zu of %zu keys", rank[nr - 1], m);
    if (select_keys(ws, off, m, used, rank, nr, out) != GS_OK)
        return gs_error_set(err, GS_ERR_NOMEM, "stats_qsel_select: out of memory");
    return GS_OK;
}

/* Type 7 with GSL's arithmetic, so the result equals gsl_stats_quantile_from_sorted_data
 * bit for bit: h = p (n − 1), l = ⌊h⌋, δ = h − l,
 *   Q = x_(l)                          when l = n − 1,
 *   Q = (1 − δ) x_(l) + δ x_(l+1)      otherwise,
 * except Q = x_(l) when x_(l) == x_(l+1): GSL's form can miss a tied value by one ulp,
 * and a constant variable must have constant quantiles.
 *
 * Three passes over x: range (and the finite count), counts, gather; then selection
 * inside the few gathered buckets. */
gs_status stats_quantiles(stats_qsel *ws, const double *x, size_t n, const double *levels,
                          size_t nlevels, double *out, size_t *n_nonfinite, gs_error *err)
{
    GS_FORWARD(check_quantile_args(ws, x, n, levels, nlevels, err));

    /* Pass 1: the range of the finite keys, and their number. */
    uint64_t kmin = UINT64_MAX, kmax = 0;
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = stats_bits(x[i]);
        if (!stats_bits_finite(u)) continue;
        const uint64_t k = stats_key_of_bits(u);
        kmin = k < kmin ? k : kmin;
        kmax = k > kmax ? k : kmax;
        nf++;
    }
    return quantiles_in_range(ws, x, n, kmin, kmax, nf, levels, nlevels, out, n_nonfinite, err);
}

gs_status stats_quantiles_finite(stats_qsel *ws, const double *x, size_t n, double min,
                                 double max, const double *levels, size_t nlevels, double *out,
                                 gs_error *err)
{
    GS_FORWARD(check_quantile_args(ws, x, n, levels, nlevels, err));
    if (n == 0) return quantiles_in_range(ws, x, 0, UINT64_MAX, 0, 0, levels, nlevels, out, NULL, err);
    return quantiles_in_range(ws, x, n, stats_key(min), stats_key(max), n, levels, nlevels, out,
                              NULL, err);
}

/* ---------------------------------------------------------------- planned buckets */

/* A key range [kmin, kmax] widened by half its span on each side, not across 0 (keys
 * of values of one sign stay of that sign: crossing 0 would add every binade of tiny
 * magnitudes) and within the finite values. */
static void widen_keys(uint64_t kmin, uint64_t kmax, uint64_t *klo, uint64_t *khi)
{
    const uint64_t half = (kmax - kmin) / 2, zero = stats_key(0.0);
    const uint64_t kfmin = stats_key(-DBL_MAX), kfmax = stats_key(DBL_MAX);
    uint64_t lo = kmin - kfmin > half ? kmin - half : kfmin;
    uint64_t hi = kfmax - kmax > half ? kmax + half : kfmax;
    if (kmin >= zero && lo < zero) lo = zero;
    if (kmax <= zero && hi > zero) hi = zero;
    *klo = lo, *khi = hi;
}

/* Whether a sample of 4096 of the n finite values x[] holds at most STATS_QPLAN_VALUES
 * distinct values; if so, sets p's value list (the buckets between the values catch any
 * value the sample missed). */
static int few_values(const double *x, size_t n, stats_qplan *p)
{
    enum { SAMPLE = 4096 };
    const size_t stride = n / SAMPLE;
    double v[STATS_QPLAN_VALUES];
    size_t nv = 0;
    for (size_t i = 0; i < n; i += stride) {
        const double xi = x[i] + 0.0; /* -0.0 counts as 0 */
        size_t j = 0;
        while (j < nv && v[j] < xi) j++;
        if (j < nv && v[j] == xi) continue;
        if (nv == STATS_QPLAN_VALUES) return 0;
        memmove(v + j + 1, v + j, (nv - j) * sizeof *v);
        v[j] = xi, nv++;
    }
    if (nv < 2) return 0; /* constant in the sample: the general plan */
    memcpy(p->value, v, nv * sizeof *v);
    p->nvalues = nv, p->nb = 2 * nv + 1;
    return 1;
}

void stats_qplan_make(stats_qsel *ws, const double *x, size_t n, double min, double max,
                      stats_qplan *p)
{
    memset(p, 0, sizeof *p);
    if (n < 4 * 4096 || !(min < max) || !isfinite(min) || !isfinite(max)) return;
    const double range = max - min;
    const uint64_t kmin = stats_key(min), kmax = stats_key(max);
    const size_t m = n < ((size_t)1 << QSEL_MAX_BITS) ? n : ((size_t)1 << QSEL_MAX_BITS);
    if (few_values(x, n, p)) return;
    if (prefer_linear(ws, x, n, kmin, kmax, min, range)) {
        const double lo = min - range / 2, hi = max + range / 2;
        if (!isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo)) return;
        p->linear = 1, p->lo = lo, p->hi = hi, p->nb = m;
        p->scale = (double)m / (hi - lo);
        return;
    }
    uint64_t klo, khi;
    widen_keys(kmin, kmax, &klo, &khi);
    p->lo = stats_unkey(klo), p->hi = stats_unkey(khi);
    klo = stats_key(p->lo), khi = stats_key(p->hi); /* -0.0 has the key of +0.0 */
    const qsel_geom g = qsel_geometry(klo, khi, m);
    p->klo = g.lo, p->shift = g.shift, p->nb = g.nb;
}

/* The planned buckets of x[0..n): one loop per kind of plan, compiled for each
 * instruction set (isa.h) like vmath_array.c's; integer results of the same double
 * operations, so every level writes the same buckets.  A value list's bucket is
 * b = Σ_j [x ≥ value[j]] + [x > value[j]] = 2 #{j : value[j] < x} + [x is one of the
 * values], non-decreasing in x (in chunks, one simple loop per listed value); the other
 * two kinds clamp to [lo, hi] first (qplan_clamp). */
/* x clamped to [lo, hi], NaN to lo (no conversion of a NaN); inlined into the kernels. */
static inline __attribute__((always_inline)) double qplan_clamp(double x, double lo, double hi)
{
    const double v = x >= lo ? x : lo;
    return v <= hi ? v : hi;
}

#define QPLAN_KERNELS(suffix, target)                                                  \
    target static void qplan_values_##suffix(const double *restrict x, size_t n,       \
                                             uint16_t *restrict bucket,                \
                                             const double *value, size_t nv)           \
    {                                                                                  \
        int64_t b[256];                                                                \
        for (size_t c = 0; c < n; c += 256) {                                          \
            const size_t m = n - c < 256 ? n - c : 256;                                \
            const double *xc = x + c;                                                  \
            for (size_t i = 0; i < m; i++) b[i] = 0;                                   \
            for (size_t j = 0; j < nv; j++) {                                          \
                const double v = value[j];                                             \
                _Pragma("omp simd") for (size_t i = 0; i < m; i++)                     \
                    b[i] += (xc[i] >= v ? 1 : 0) + (xc[i] > v ? 1 : 0);                \
            }                                                                          \
            _Pragma("omp simd") for (size_t i = 0; i < m; i++) bucket[c + i] = (uint16_t)b[i]; \
        }                                                                              \
    }                                                                                  \
    target static void qplan_linear_##suffix(const double *restrict x, size_t n,       \
                                             uint16_t *restrict bucket, double lo,     \
                                             double hi, double scale, double last)     \
    {                                                                                  \
        _Pragma("omp simd") for (size_t i = 0; i < n; i++) {                           \
            const double t = (qplan_clamp(x[i], lo, hi) - lo) * scale;                 \
            bucket[i] = (uint16_t)(int32_t)(t < last ? t : last);                      \
        }                                                                              \
    }                                                                                  \
    target static void qplan_key_##suffix(const double *restrict x, size_t n,          \
                                          uint16_t *restrict bucket, double lo,        \
                                          double hi, uint64_t klo, unsigned shift)     \
    {                                                                                  \
        _Pragma("omp simd") for (size_t i = 0; i < n; i++)                             \
            bucket[i] = (uint16_t)((stats_key(qplan_clamp(x[i], lo, hi)) - klo) >> shift); \
    }
QPLAN_KERNELS(portable, )
#if defined(__x86_64__) && defined(__GNUC__)
#define QPLAN_X86 1
QPLAN_KERNELS(avx2, ISA_TARGET_AVX2)
QPLAN_KERNELS(avx512, ISA_TARGET_AVX512)
#endif

void stats_qplan_bucket(isa_level isa, const stats_qplan *p, const double *restrict x, size_t n,
                        uint16_t *restrict bucket)
{
    const double lo = p->lo, hi = p->hi;
    const int level = (int)isa_runnable(isa);
    if (p->nvalues) {
#ifdef QPLAN_X86
        if (level == ISA_AVX512) return qplan_values_avx512(x, n, bucket, p->value, p->nvalues);
        if (level == ISA_AVX2) return qplan_values_avx2(x, n, bucket, p->value, p->nvalues);
#endif
        qplan_values_portable(x, n, bucket, p->value, p->nvalues);
        return;
    }
    if (p->linear) {
        const double scale = p->scale, last = (double)(p->nb - 1);
#ifdef QPLAN_X86
        if (level == ISA_AVX512) return qplan_linear_avx512(x, n, bucket, lo, hi, scale, last);
        if (level == ISA_AVX2) return qplan_linear_avx2(x, n, bucket, lo, hi, scale, last);
#endif
        qplan_linear_portable(x, n, bucket, lo, hi, scale, last);
    } else {
#ifdef QPLAN_X86
        if (level == ISA_AVX512) return qplan_key_avx512(x, n, bucket, lo, hi, p->klo, p->shift);
        if (level == ISA_AVX2) return qplan_key_avx2(x, n, bucket, lo, hi, p->klo, p->shift);
#endif
        qplan_key_portable(x, n, bucket, lo, hi, p->klo, p->shift);
    }
    (void)level;
}

gs_status stats_quantiles_planned(stats_qsel *ws, const stats_qplan *p, const uint16_t *bucket,
                                  const double *x, size_t n, double min, double max,
                                  const double *levels, size_t nlevels, double *out,
                                  gs_error *err)
{
    if (p->nb == 0 || n == 0 || nlevels == 0 || !(min < max))
        return stats_quantiles_finite(ws, x, n, min, max, levels, nlevels, out, err);
    GS_FORWARD(check_quantile_args(ws, x, n, levels, nlevels, err));
    uint32_t *count = ws->count;
    memset(count, 0, p->nb * sizeof *count);
    if (p->nb <= 64) { /* few buckets: four sets of counters, so that increments of one
                          bucket do not each wait for the last */
        uint32_t c4[4][64] = {{0}};
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            c4[0][bucket[i]]++, c4[1][bucket[i + 1]]++, c4[2][bucket[i + 2]]++, c4[3][bucket[i + 3]]++;
        for (; i < n; i++) c4[0][bucket[i]]++;
        for (size_t b = 0; b < p->nb; b++) count[b] = c4[0][b] + c4[1][b] + c4[2][b] + c4[3][b];
    } else {
        for (size_t i = 0; i < n; i++) count[bucket[i]]++;
    }
    size_t rank[2 * STATS_MAX_LEVELS];
    uint64_t key[2 * STATS_MAX_LEVELS];
    const size_t nr = stats_wanted_ranks(levels, nlevels, n, rank);
    qsel_need need[2 * STATS_MAX_LEVELS];
    size_t nneed = qsel_locate(ws, rank, nr, 0, need);
    if (p->nvalues) { /* the odd buckets hold one value each: their ranks have its key */
        size_t kept = 0;
        for (size_t j = 0; j < nneed; j++) {
            ws->slot[need[j].bucket] = -1;
            if (need[j].bucket & 1) {
                const uint64_t k = stats_key(p->value[need[j].bucket / 2]);
                for (size_t i = need[j].r0; i < need[j].r1; i++) key[i] = k;
            } else {
                need[kept++] = need[j];
            }
        }
        /* the rest (values the plan did not list) as usual, renumbered */
        for (size_t j = 0, off = 0; j < kept; j++) {
            need[j].off = need[j].fill = off, off += need[j].len;
            ws->slot[need[j].bucket] = (int32_t)j;
        }
        nneed = kept;
        if (nneed == 0) {
            stats_quantiles_of_keys(levels, nlevels, n, rank, nr, key, out);
            return GS_OK;
        }
    }
    /* a plan that missed the data: most values clamped into an edge bucket */
    for (size_t j = 0; j < nneed; j++)
        if (need[j].len > n / 16 && (need[j].bucket == 0 || need[j].bucket == p->nb - 1)) {
            for (size_t i = 0; i < nneed; i++) ws->slot[need[i].bucket] = -1;
            return stats_quantiles_finite(ws, x, n, min, max, levels, nlevels, out, err);
        }
    if (gather_finite(ws, x, bucket, n, need, nneed, rank, key) != GS_OK)
        return gs_error_set(err, GS_ERR_NOMEM, "stats_quantiles: out of memory");
    stats_quantiles_of_keys(levels, nlevels, n, rank, nr, key, out);
    return GS_OK;
}

/* ---------------------------------------------------------------- proportions */

/* p = c/n, se = sqrt(p(1-p)/n), and the Wilson score interval
 *   center = (p + z²/2n) / (1 + z²/n),
 *   half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²),
 * clipped to [0, 1].  The end at 0 for count = 0 (and at 1 for count = n) is exact
 * in theory; it is set exactly, since rounding can put it a hair inside and exclude p.
 * n = 0 or count > n gives NaN everywhere. */
void stats_proportion(uint64_t count, uint64_t n, double z, double *p, double *se,
                      double *lo, double *hi)
{
    if (n == 0 || count > n) {
        *p = *se = *lo = *hi = NAN;
        return;
    }
    const double nd = (double)n;
    const double ph = (double)count / nd;
    const double var = ph * (1.0 - ph) / nd;
    const double z2n = z * z / nd;
    const double denom = 1.0 + z2n;
    const double center = (ph + 0.5 * z2n) / denom;
    const double half = z / denom * sqrt(var + z * z / (4.0 * nd * nd));
    *p = ph;
    *se = sqrt(var);
    *lo = count == 0 ? 0.0 : fmax(0.0, center - half);
    *hi = count == n ? 1.0 : fmin(1.0, center + half);
}
