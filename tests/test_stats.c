/* test_stats.c - moments, keys, exact quantiles and Wilson intervals.
 *
 * Quantiles are checked bit for bit against gsl_stats_quantile_from_sorted_data on a
 * sorted copy of the finite values, with one documented exception (stats.c): where
 * the two order statistics around a level are equal, the answer is that value
 * exactly (GSL's (1-δ)v + δv can be one ulp off).  Zero is compared with == (the sign
 * of a zero order statistic depends on how the sort placed -0.0 and +0.0).
 * All data come from GSL's mt19937 with fixed seeds.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "testutil.h"

#include "stats.h"

static const double default_levels[] = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
enum { N_DEFAULT = sizeof default_levels / sizeof default_levels[0] };

/* Times the tie exception actually differed from GSL (reported by a test below). */
static size_t tie_overrides;

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* The reference: GSL on a sorted copy of the finite values, tie rule applied. */
static double reference_quantile(const double *sorted, size_t nf, double p)
{
    const double gsl = gsl_stats_quantile_from_sorted_data(sorted, 1, nf, p);
    const size_t l = (size_t)(p * (double)(nf - 1));
    if (l + 1 < nf && sorted[l] == sorted[l + 1]) {
        if (bits_of(gsl) != bits_of(sorted[l]) && gsl != 0.0) tie_overrides++;
        return sorted[l];
    }
    return gsl;
}

/* Runs stats_quantiles on x[0..n) at the levels and checks: GS_OK, the non-finite
 * count, every output against the reference, and that x is unchanged. */
static void check_quantiles_at(const double *x, size_t n, const double *levels, size_t nlevels)
{
    stats_qsel *ws = stats_qsel_alloc(n);
    assert_non_null(ws);
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    double *out = malloc((nlevels ? nlevels : 1) * sizeof *out);
    assert_true(copy && sorted && out);
    memcpy(copy, x, n * sizeof *x);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) sorted[nf++] = x[i];
    gsl_sort(sorted, 1, nf);

    size_t n_nonfinite = 12345;
    gs_error err;
    gs_error_clear(&err);
    assert_int_equal(stats_quantiles(ws, x, n, levels, nlevels, out, &n_nonfinite, &err), GS_OK);
    assert_int_equal(n_nonfinite, n - nf);
    assert_memory_equal(copy, x, n * sizeof *x);
    for (size_t q = 0; q < nlevels; q++) {
        if (nf == 0) {
            assert_true(isnan(out[q]));
            continue;
        }
        const double want = reference_quantile(sorted, nf, levels[q]);
        if (want == 0.0 ? out[q] != 0.0 : bits_of(out[q]) != bits_of(want))
            fail_msg("n=%zu level %.17g: got %.17g, want %.17g", n, levels[q], out[q], want);
    }
    /* The same workspace again gives the same answer (no state left behind). */
    double *again = malloc((nlevels ? nlevels : 1) * sizeof *again);
    assert_non_null(again);
    assert_int_equal(stats_quantiles(ws, x, n, levels, nlevels, again, NULL, &err), GS_OK);
    assert_memory_equal(again, out, nlevels * sizeof *out);
    free(again);
    free(out);
    free(sorted);
    free(copy);
    stats_qsel_free(ws);
}

/* Levels 0 and 1, the default set, and a dense grid of 101 levels. */
static void check_quantiles(const double *x, size_t n)
{
    static const double ends[] = {0.0, 1.0};
    double grid[101];
    for (int i = 0; i <= 100; i++) grid[i] = i / 100.0;
    check_quantiles_at(x, n, ends, 2);
    check_quantiles_at(x, n, default_levels, N_DEFAULT);
    check_quantiles_at(x, n, grid, 101);
}

static const size_t sizes[] = {1, 2, 3, 10, 33, 1000, 100000};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

typedef double (*draw_fn)(gsl_rng *r);

static double draw_normal(gsl_rng *r) { return gsl_ran_gaussian(r, 1.0); }
/* ln x ~ N(13, 5): ±3σ spans e^±15, 13 orders of magnitude around 4e5. */
static double draw_lognormal(gsl_rng *r) { return gsl_ran_lognormal(r, 13.0, 5.0); }
static double draw_neg_lognormal(gsl_rng *r) { return -gsl_ran_lognormal(r, 0.0, 3.0); }
/* Mixed sign, heavy tails, and exact zeros of both signs. */
static double draw_mixed(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    if (u < 0.05) return 0.0;
    if (u < 0.10) return -0.0;
    return gsl_ran_cauchy(r, 1e3);
}
static double draw_three(gsl_rng *r)
{
    static const double set[] = {-1.0, 0.1, 7.0};
    return set[gsl_rng_uniform_int(r, 3)];
}

static void check_distribution(draw_fn draw, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t s = 0; s < N_SIZES; s++) {
        double *x = malloc(sizes[s] * sizeof *x);
        assert_non_null(x);
        for (size_t i = 0; i < sizes[s]; i++) x[i] = draw(r);
        check_quantiles(x, sizes[s]);
        free(x);
    }
    gsl_rng_free(r);
}

static void test_quantiles_normal(void **state)
{
    (void)state;
    check_distribution(draw_normal, 1);
}

static void test_quantiles_lognormal(void **state)
{
    (void)state;
    check_distribution(draw_lognormal, 2);
}

static void test_quantiles_negative(void **state)
{
    (void)state;
    check_distribution(draw_neg_lognormal, 3);
}

static void test_quantiles_mixed_sign(void **state)
{
    (void)state;
    check_distribution(draw_mixed, 4);
}

static void test_quantiles_ties(void **state)
{
    (void)state;
    check_distribution(draw_three, 5);
}

/* The selection's faster paths for large data (stats.c: value-width top-level buckets
 * chosen from a sample, and big needed buckets resolved without gathering when their
 * wanted ranks lie in a point mass at the bucket's smallest key, gathered in a second pass
 * otherwise), each against the sorted reference at 200,000 values, with the 101-level
 * grid reaching ranks both inside and past each point mass. */
enum { BIG_N = 200000 };
/* a share: 30% exactly 0, the rest uniform on (0, 1): one big bucket, a point mass */
static double draw_share0(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    return u < 0.3 ? 0.0 : (u - 0.3) / 0.7;
}
/* 30% spread over [0, 1e-9] and a point mass of 10% at 1e-9: a big bucket that is
 * not a point mass at its smallest key (the second gathering pass) */
static double draw_share_tiny(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    if (u < 0.3) return 1e-9 * u / 0.3;
    if (u < 0.4) return 1e-9;
    return u;
}
/* whole numbers 1..8: several big buckets, each a point mass */
static double draw_labs(gsl_rng *r) { return floor(1.0 + 8.0 * gsl_rng_uniform(r)); }
/* two values a hair apart (same top-level bucket) and a normal: several big buckets,
 * one holding two distinct values */
static double draw_two_close(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    if (u < 0.25) return 1.0;
    if (u < 0.5) return 1.0 + 0x1p-40;
    if (u < 0.75) return 3.0;
    return 2.0 + gsl_ran_gaussian(r, 0.5);
}
/* a normal crossing 0, where key buckets waste most of their range on tiny magnitudes */
static double draw_normal_offset(gsl_rng *r) { return 0.5 + gsl_ran_gaussian(r, 3.0); }

static void check_big(draw_fn draw, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *x = malloc(BIG_N * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < BIG_N; i++) x[i] = draw(r);
    check_quantiles(x, BIG_N);
    /* stats_quantiles_finite (the engine's call) agrees with stats_quantiles */
    stats_block blk;
    stats_block_of(x, BIG_N, &blk);
    stats_qsel *ws = stats_qsel_alloc(BIG_N);
    double a[N_DEFAULT], b[N_DEFAULT];
    assert_int_equal(stats_quantiles(ws, x, BIG_N, default_levels, N_DEFAULT, a, NULL, NULL), GS_OK);
    assert_int_equal(stats_quantiles_finite(ws, x, BIG_N, blk.min, blk.max, default_levels,
                                            N_DEFAULT, b, NULL),
                     GS_OK);
    assert_memory_equal(a, b, sizeof a);
    stats_qsel_free(ws);
    free(x);
    gsl_rng_free(r);
}

/* A point mass whose last value is a wanted rank's neighbour: 50,000 values 0.5 (ranks
 * 0..49999), then 10,000 values a few ulps above it (rank 50000 = the 0.25 level's
 * l + 1 at n = 200,000), the rest uniform on (0.6, 1), shuffled: the 0.25 quantile needs
 * the first value past the mass, in the same bucket. */
static void test_quantiles_mass_edge(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    double *x = malloc(BIG_N * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < BIG_N; i++)
        x[i] = i < 50000 ? 0.5 : i < 60000 ? 0.5 + (double)(i - 49999) * 0x1p-53
                                           : 0.6 + 0.4 * gsl_rng_uniform_pos(r);
    gsl_ran_shuffle(r, x, BIG_N, sizeof *x);
    check_quantiles(x, BIG_N);
    stats_qsel *ws = stats_qsel_alloc(BIG_N);
    const double quarter = 0.25;
    double q;
    assert_int_equal(stats_quantiles(ws, x, BIG_N, &quarter, 1, &q, NULL, NULL), GS_OK);
    const double h = 0.25 * (BIG_N - 1), d = h - floor(h);
    assert_true(q == (1.0 - d) * 0.5 + d * (0.5 + 0x1p-53)); /* GSL's form, l = 49999 */
    stats_qsel_free(ws);
    free(x);
    gsl_rng_free(r);
}

static void test_quantiles_big_paths(void **state)
{
    (void)state;
    check_big(draw_share0, 11);
    check_big(draw_share_tiny, 12);
    check_big(draw_labs, 13);
    check_big(draw_two_close, 14);
    check_big(draw_normal_offset, 15);
    check_big(draw_lognormal, 16);
}

/* Planned buckets (stats_qplan): a plan made from one cycle's data, applied to the next
 * cycle's (here: other data), gives exactly stats_quantiles_finite's quantiles, whether
 * the plan fits the new data, is shifted or scaled away from it (values clamped into
 * the edge buckets), or misses it entirely (the fallback); for value-width, key-width and
 * value-list plans (a few distinct values, some too rare for the plan's sample), each
 * shape planned from each other shape. */
static void fill_shape(double *x, size_t n, int shape, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) switch (shape) {
        case 0: x[i] = draw_share0(r); break;
        case 1: x[i] = draw_labs(r); break;
        case 2: x[i] = draw_normal_offset(r); break;
        case 3: x[i] = draw_lognormal(r); break;
        case 4: x[i] = draw_neg_lognormal(r); break;
        case 5: x[i] = 1.3 * draw_normal_offset(r) + 2.0; break; /* the normal, moved */
        case 6: { /* whole numbers with rare values a sample of 4096 misses */
            const double u = gsl_rng_uniform(r);
            x[i] = u < 1e-4 ? 100.0 : u < 2e-4 ? 0.5 : u < 0.02 ? 2.5 : draw_labs(r);
            break;
        }
        default: x[i] = 1e6 + draw_share0(r); break;               /* far from the rest */
        }
}

static void test_quantiles_planned(void **state)
{
    (void)state;
    enum { SHAPES = 8 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 18);
    double *a = malloc(BIG_N * sizeof *a), *b = malloc(BIG_N * sizeof *b);
    uint16_t *bucket = malloc(BIG_N * sizeof *bucket), *other = malloc(BIG_N * sizeof *other);
    stats_qsel *ws = stats_qsel_alloc(BIG_N);
    assert_true(a && b && bucket && other && ws);
    int linear = 0, keyed = 0, valued = 0;
    for (int from = 0; from < SHAPES; from++) {
        fill_shape(a, BIG_N, from, r);
        stats_block ba;
        stats_block_of(a, BIG_N, &ba);
        stats_qplan plan;
        stats_qplan_make(ws, a, BIG_N, ba.min, ba.max, &plan);
        assert_true(plan.nb > 0 && plan.nb <= 65536);
        linear += plan.linear, valued += plan.nvalues > 0, keyed += !plan.linear && !plan.nvalues;
        for (int to = 0; to < SHAPES; to++) {
            fill_shape(b, BIG_N, to, r);
            stats_block bb;
            stats_block_of(b, BIG_N, &bb);
            stats_qplan_bucket(ISA_PORTABLE, &plan, b, BIG_N, bucket);
            /* every instruction set writes the same buckets (a level this CPU lacks
             * steps down, and then compares the portable loop with itself) */
            for (int level = ISA_AVX2; level <= ISA_AVX512; level++) {
                stats_qplan_bucket((isa_level)level, &plan, b, BIG_N, other);
                assert_memory_equal(bucket, other, BIG_N * sizeof *bucket);
            }
            for (size_t i = 1; i < BIG_N; i++) /* non-decreasing: spot check on pairs */
                if (b[i - 1] <= b[i]) assert_true(bucket[i - 1] <= bucket[i]);
            double want[101], got[101], grid[101];
            for (int i = 0; i <= 100; i++) grid[i] = i / 100.0;
            assert_int_equal(stats_quantiles_finite(ws, b, BIG_N, bb.min, bb.max, grid, 101, want,
                                                    NULL),
                             GS_OK);
            assert_int_equal(stats_quantiles_planned(ws, &plan, bucket, b, BIG_N, bb.min, bb.max,
                                                     grid, 101, got, NULL),
                             GS_OK);
            for (int i = 0; i <= 100; i++)
                if (bits_of(got[i]) != bits_of(want[i]))
                    fail_msg("plan from shape %d on shape %d, level %d: got %.17g, want %.17g",
                             from, to, i, got[i], want[i]);
        }
    }
    assert_true(linear > 0 && keyed > 0 && valued > 0); /* every kind of plan was exercised */
    /* A list plan whose wanted ranks all fall between its values (none in a value's own
     * bucket): half the values 1, half 8, 1% between 4 and 5, only the median wanted. */
    {
        stats_qplan lp;
        for (size_t i = 0; i < BIG_N; i++) a[i] = draw_labs(r);
        stats_qplan_make(ws, a, BIG_N, 1.0, 8.0, &lp);
        assert_true(lp.nvalues == 8);
        for (size_t i = 0; i < BIG_N; i++) {
            const double u = gsl_rng_uniform(r);
            b[i] = u < 0.495 ? 1.0 : u < 0.99 ? 8.0 : 4.0 + gsl_rng_uniform_pos(r);
        }
        stats_block bb;
        stats_block_of(b, BIG_N, &bb);
        stats_qplan_bucket(ISA_PORTABLE, &lp, b, BIG_N, bucket);
        const double half = 0.5;
        double want, got;
        assert_int_equal(stats_quantiles_finite(ws, b, BIG_N, bb.min, bb.max, &half, 1, &want, NULL),
                         GS_OK);
        assert_int_equal(stats_quantiles_planned(ws, &lp, bucket, b, BIG_N, bb.min, bb.max, &half,
                                                 1, &got, NULL),
                         GS_OK);
        assert_true(bits_of(got) == bits_of(want) && want > 4.0 && want < 5.0);
    }
    /* no plan for constant data or too few values */
    stats_qplan plan;
    stats_qplan_make(ws, a, BIG_N, 1.0, 1.0, &plan);
    assert_int_equal(plan.nb, 0);
    stats_qplan_make(ws, a, 100, 0.0, 1.0, &plan);
    assert_int_equal(plan.nb, 0);
    stats_qsel_free(ws);
    free(other);
    free(bucket);
    free(b);
    free(a);
    gsl_rng_free(r);
}

/* Constant data: every quantile is the constant, exactly. */
static void test_quantiles_all_equal(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SIZES; s++) {
        double *x = malloc(sizes[s] * sizeof *x);
        assert_non_null(x);
        for (size_t i = 0; i < sizes[s]; i++) x[i] = 0.1;
        check_quantiles(x, sizes[s]);
        stats_qsel *ws = stats_qsel_alloc(sizes[s]);
        double out[N_DEFAULT];
        assert_int_equal(
            stats_quantiles(ws, x, sizes[s], default_levels, N_DEFAULT, out, NULL, NULL), GS_OK);
        for (size_t q = 0; q < N_DEFAULT; q++) assert_true(out[q] == 0.1);
        stats_qsel_free(ws);
        free(x);
    }
}

/* NaN and ±Inf are skipped and counted; all-non-finite and empty data give NaN. */
static void test_quantiles_nonfinite(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 6);
    const size_t n = 10000;
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    const double qnan = NAN, inf = INFINITY; /* double, for the conditionals */
    for (size_t i = 0; i < n; i++) {
        const double u = gsl_rng_uniform(r);
        x[i] = u < 0.01 ? qnan : u < 0.02 ? inf : u < 0.03 ? -inf : u < 0.035 ? -qnan
                                                                   : draw_normal(r);
    }
    check_quantiles(x, n);
    /* Finite values only where the range sample does not look (odd indices). */
    for (size_t i = 0; i < n; i++) x[i] = i % 2 ? draw_normal(r) : qnan;
    check_quantiles(x, n);
    for (size_t i = 0; i < 7; i++) x[i] = i % 2 ? NAN : -INFINITY;
    check_quantiles(x, 7);
    check_quantiles(x, 0);

    stats_qsel *ws = stats_qsel_alloc(7);
    double out[N_DEFAULT];
    size_t bad = 0;
    assert_int_equal(stats_quantiles(ws, x, 7, default_levels, N_DEFAULT, out, &bad, NULL), GS_OK);
    assert_int_equal(bad, 7);
    for (size_t q = 0; q < N_DEFAULT; q++) assert_true(isnan(out[q]));
    stats_qsel_free(ws);
    free(x);
    gsl_rng_free(r);
}

/* 10^5 equal values plus a few outliers on both sides, in shuffled positions; and a
 * cluster of 10^5 distinct values one ulp apart around 1 with outliers at ±1e300,
 * which puts the whole cluster in one top-level bucket and forces the refinement. */
static void test_quantiles_clustered(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const size_t n = 100006;
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) x[i] = 3.7;
    const double outliers[] = {-1e12, -2.0, 1e-300, 5.0, 1e15, DBL_MAX};
    for (size_t j = 0; j < 6; j++) x[n - 1 - j] = outliers[j];
    gsl_ran_shuffle(r, x, n, sizeof *x);
    check_quantiles(x, n);

    for (size_t i = 0; i < n; i++) x[i] = nextafter(1.0, 2.0) + (double)i * DBL_EPSILON;
    x[0] = -1e300;
    x[1] = 1e300;
    x[2] = -DBL_MAX;
    gsl_ran_shuffle(r, x, n, sizeof *x);
    check_quantiles(x, n);

    /* 90% ties at 3.7 with values close around it, on both sides of the tie, in the
     * same top-level buckets: the probed-bucket path with ranks below, at and above
     * the pivot; then the tie as a minority of its bucket (pivot often not the tie). */
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_rng_uniform(r) < 0.9 ? 3.7 : 3.7 + gsl_ran_gaussian(r, 1e-3);
    check_quantiles(x, n);
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_rng_uniform(r) < 0.3 ? 3.7 : 3.7 + gsl_ran_gaussian(r, 1e-9);
    check_quantiles(x, n);

    /* Ranks exactly at the edges of a tie inside one probed bucket.  n - 1 = 10^5:
     * an outlier -1e10 (rank 0), 9999 distinct keys just below 3.7 (ranks 1..9999),
     * 4*10^4 ties at 3.7 (10000..49999), 5*10^4 distinct keys just above (50000..
     * 99999), an outlier 1e10 (100000).  The levels 0.1 and 0.5 land on the first tie
     * and on the first key above the ties.  The range sample (x[0], x[24], x[48], ...)
     * sees the outliers, so the cluster is one bucket, and x[0], a tie, is its pivot. */
    {
        const size_t m = 100001;
        const double ulp = 4.440892098500626e-16; /* of 3.7 */
        double *rest = malloc(m * sizeof *rest);
        assert_non_null(rest);
        size_t k = 0;
        for (size_t i = 1; i < 40000; i++) rest[k++] = 3.7;
        for (size_t i = 1; i <= 9999; i++) rest[k++] = 3.7 - (double)i * ulp;
        for (size_t i = 1; i <= 50000; i++) rest[k++] = 3.7 + (double)i * ulp;
        gsl_ran_shuffle(r, rest, k, sizeof *rest);
        for (size_t i = 0, j = 0; i < m; i++)
            x[i] = i == 0 ? 3.7 : i == 24 ? -1e10 : i == 48 ? 1e10 : rest[j++];
        free(rest);
        check_quantiles(x, m);
    }

    /* Denormals, zeros and the largest doubles together. */
    for (size_t i = 0; i < n; i++) {
        const double u = gsl_rng_uniform(r);
        x[i] = u < 0.3 ? DBL_TRUE_MIN * (double)gsl_rng_uniform_int(r, 100)
               : u < 0.6 ? -DBL_MAX * gsl_rng_uniform(r)
                         : DBL_MAX * gsl_rng_uniform(r);
    }
    check_quantiles(x, n);
    free(x);
    gsl_rng_free(r);
}

/* STATS_MAX_LEVELS random, unsorted levels; one more is refused. */
static void test_quantiles_many_levels(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 8);
    const size_t n = 20000, nl = STATS_MAX_LEVELS;
    double *x = malloc(n * sizeof *x), *levels = malloc(nl * sizeof *levels);
    assert_true(x && levels);
    for (size_t i = 0; i < n; i++) x[i] = draw_lognormal(r);
    for (size_t q = 0; q < nl; q++) levels[q] = gsl_rng_uniform(r);
    check_quantiles_at(x, n, levels, nl);
    /* one level more than the limit is refused, not truncated */
    stats_qsel *ws = stats_qsel_alloc(n);
    double *out = malloc((nl + 1) * sizeof *out), *more = malloc((nl + 1) * sizeof *more);
    assert_true(ws && out && more);
    memcpy(more, levels, nl * sizeof *more);
    more[nl] = 0.5;
    gs_error err;
    assert_int_equal(stats_quantiles(ws, x, n, more, nl + 1, out, NULL, &err), GS_ERR_INPUT);
    free(more);
    free(out);
    stats_qsel_free(ws);
    free(levels);
    free(x);
    gsl_rng_free(r);
}

/* Bad levels and oversize input are errors with a message. */
static void test_quantiles_errors(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, 4}, out[1];
    stats_qsel *ws = stats_qsel_alloc(3);
    assert_non_null(ws);
    gs_error err;
    const double bad_levels[] = {-0.1, 1.5, NAN};
    for (size_t q = 0; q < 3; q++) {
        gs_error_clear(&err);
        assert_int_equal(stats_quantiles(ws, x, 3, &bad_levels[q], 1, out, NULL, &err),
                         GS_ERR_INPUT);
        assert_true(strlen(err.msg) > 0);
    }
    const double half = 0.5;
    assert_int_not_equal(stats_quantiles(ws, x, 4, &half, 1, out, NULL, &err), GS_OK);
    assert_int_equal(stats_quantiles(ws, x, 3, &half, 1, out, NULL, &err), GS_OK);
    assert_true(out[0] == 2.0);
    stats_qsel_free(ws);
    stats_qsel_free(NULL);
}

/* The tie rule is not vacuous: GSL's own formula misses tied values in these data. */
static void test_quantiles_tie_rule_matters(void **state)
{
    (void)state;
    assert_true(tie_overrides > 0);
}

/* Keys: order preserved over special values, round trip, equal zeros. */
static void test_keys(void **state)
{
    (void)state;
    const double v[] = {-INFINITY, -DBL_MAX, -1e300, -1.0, -DBL_MIN, -DBL_TRUE_MIN, 0.0,
                        DBL_TRUE_MIN, DBL_MIN, 0.1, 1.0, nextafter(1.0, 2.0), 1e300,
                        DBL_MAX, INFINITY};
    const size_t nv = sizeof v / sizeof v[0];
    for (size_t i = 0; i < nv; i++) {
        assert_true(bits_of(stats_unkey(stats_key(v[i]))) == bits_of(v[i]));
        if (i > 0) assert_true(stats_key(v[i - 1]) < stats_key(v[i]));
    }
    assert_true(stats_key(-0.0) == stats_key(0.0));
    assert_true(stats_unkey(stats_key(-0.0)) == 0.0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 9);
    for (int i = 0; i < 100000; i++) {
        const double a = draw_mixed(r), b = draw_mixed(r);
        assert_true((a < b) == (stats_key(a) < stats_key(b)));
        assert_true((a == b) == (stats_key(a) == stats_key(b)));
        assert_true(stats_unkey(stats_key(a)) == a);
    }
    gsl_rng_free(r);
}

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, tol);
}

/* Moments merged over uneven blocks (including empty ones) equal the moments of the
 * whole within 1e-12 relative; sd equals gsl_stats_sd within 1e-12 relative. */
static void test_moments(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 10);
    const size_t n = 100000;
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (int dataset = 0; dataset < 3; dataset++) {
        for (size_t i = 0; i < n; i++)
            x[i] = dataset == 0   ? draw_normal(r)
                   : dataset == 1 ? 1e3 + draw_normal(r)
                                  : gsl_ran_lognormal(r, 0.0, 2.0);
        stats_moments whole, acc = {0, 0, 0}, block;
        stats_moments_of(x, n, &whole);
        size_t i = 0;
        while (i < n) {
            size_t len = gsl_rng_uniform_int(r, 3000);
            if (len > n - i) len = n - i;
            stats_moments_of(x + i, len, &block);
            stats_moments_merge(&acc, &block);
            i += len;
        }
        assert_true(acc.n == (double)n);
        assert_rel(acc.mean, whole.mean, 1e-12);
        assert_rel(acc.sdp, whole.sdp, 1e-12);
        assert_rel(whole.mean, gsl_stats_mean(x, 1, n), 1e-12);
        assert_rel(stats_moments_sd(&whole), gsl_stats_sd(x, 1, n), 1e-12);
        assert_rel(stats_moments_sd(&acc), gsl_stats_sd(x, 1, n), 1e-12);
    }
    /* Small cases: n = 0 and 1 give sd 0; two values. */
    stats_moments m;
    stats_moments_of(x, 0, &m);
    assert_true(m.n == 0.0 && stats_moments_sd(&m) == 0.0);
    stats_moments_of(x, 1, &m);
    assert_true(m.mean == x[0] && stats_moments_sd(&m) == 0.0);
    const double two[] = {1.0, 3.0};
    stats_moments_of(two, 2, &m);
    assert_true(m.mean == 2.0 && m.sdp == 1.0);
    assert_rel(stats_moments_sd(&m), sqrt(2.0), 1e-15);
    /* Huge values.  x 2^k is exact, so the answers are those of x scaled: (1) values
     * near 2^1020, all equal: the sum overflows, the mean must not; (2) values near
     * 2^600 with sd near 2^597: M2 (and the variance) overflow, the sd must not. */
    const size_t nh = 1000;
    double *huge = malloc(nh * sizeof *huge), *unit = malloc(nh * sizeof *unit);
    assert_true(huge && unit);
    for (size_t j = 0; j < nh; j++) huge[j] = ldexp(0.75, 1020);
    stats_block blk;
    stats_block_of(huge, nh, &blk);
    assert_true(blk.nonfinite == 0 && blk.moments.mean == ldexp(0.75, 1020));
    assert_true(stats_moments_sd(&blk.moments) == 0.0);
    for (size_t j = 0; j < nh; j++) {
        unit[j] = 0.5 + 0.5 * gsl_rng_uniform(r);
        huge[j] = ldexp(unit[j], 600);
    }
    stats_block_of(huge, nh, &blk);
    assert_true(blk.nonfinite == 0);
    assert_rel(blk.moments.mean, ldexp(gsl_stats_mean(unit, 1, nh), 600), 1e-12);
    assert_rel(stats_moments_sd(&blk.moments), ldexp(gsl_stats_sd(unit, 1, nh), 600), 1e-12);
    stats_moments whole_h = {0, 0, 0};
    for (size_t j = 0; j < nh; j += 100) {
        stats_moments part;
        stats_moments_of(huge + j, 100, &part);
        stats_moments_merge(&whole_h, &part);
    }
    assert_rel(stats_moments_sd(&whole_h), ldexp(gsl_stats_sd(unit, 1, nh), 600), 1e-12);
    /* and non-finite values are still counted */
    huge[7] = INFINITY;
    huge[8] = NAN;
    stats_block_of(huge, nh, &blk);
    assert_true(blk.nonfinite == 2);
    free(huge);
    free(unit);
    free(x);
    gsl_rng_free(r);
}

/* Wilson intervals at z = 1.959964 against 40-digit hand computation. */
static void test_proportion(void **state)
{
    (void)state;
    const struct {
        uint64_t count, n;
        double lo, hi, se;
    } cases[] = {
        {0, 10, 0.0, 0.2775328030260577190890899, 0.0},
        {5, 10, 0.2365930890114793708428161, 0.7634069109885206291571839,
         0.1581138830084189665999447},
        {10, 10, 0.7224671969739422809109101, 1.0, 0.0},
        {1, 3, 0.0614919440209308384874747, 0.7923404011921757088406025,
         0.2721655269759086775774760},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double p, se, lo, hi;
        stats_proportion(cases[c].count, cases[c].n, 1.959964, &p, &se, &lo, &hi);
        assert_true(p == (double)cases[c].count / (double)cases[c].n);
        assert_true(fabs(se - cases[c].se) <= 1e-15);
        assert_true(fabs(lo - cases[c].lo) <= 1e-15);
        assert_true(fabs(hi - cases[c].hi) <= 1e-15);
        assert_true(lo <= p && p <= hi);
        assert_true(0.0 <= lo && hi <= 1.0);
    }
    double p, se, lo, hi;
    stats_proportion(0, 0, 1.959964, &p, &se, &lo, &hi);
    assert_true(isnan(p) && isnan(se) && isnan(lo) && isnan(hi));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_proportion),
        cmocka_unit_test(test_quantiles_normal),
        cmocka_unit_test(test_quantiles_lognormal),
        cmocka_unit_test(test_quantiles_negative),
        cmocka_unit_test(test_quantiles_mixed_sign),
        cmocka_unit_test(test_quantiles_ties),
        cmocka_unit_test(test_quantiles_all_equal),
        cmocka_unit_test(test_quantiles_big_paths),
        cmocka_unit_test(test_quantiles_mass_edge),
        cmocka_unit_test(test_quantiles_planned),
        cmocka_unit_test(test_quantiles_nonfinite),
        cmocka_unit_test(test_quantiles_clustered),
        cmocka_unit_test(test_quantiles_many_levels),
        cmocka_unit_test(test_quantiles_errors),
        cmocka_unit_test(test_quantiles_tie_rule_matters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
