/* test_stats_hist.c - fixed-geometry key histograms: counts, exact merges, windows, and
 * quantiles through them equal to stats_quantiles bit for bit for any geometry (right,
 * too narrow, shifted, everything in underflow or overflow, one bucket).  Data from GSL's
 * mt19937 with fixed seeds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "testutil.h"

#include "stats.h"
#include "stats_hist.h"

static const double levels[] = {0.0, 0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99, 1.0};
enum { NL = sizeof levels / sizeof levels[0] };

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* The finite key range of x (kmin > kmax when none). */
static void key_range(const double *x, size_t n, uint64_t *kmin, uint64_t *kmax)
{
    *kmin = UINT64_MAX, *kmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        uint64_t k = stats_key(x[i]);
        *kmin = k < *kmin ? k : *kmin;
        *kmax = k > *kmax ? k : *kmax;
    }
    if (*kmin > *kmax) *kmin = *kmax = stats_key(0.0);
}

/* stats_hist_quantiles with geometry g equals stats_quantiles bit for bit. */
static void check_geometry(const double *x, size_t n, stats_hist_geom g, const char *what)
{
    stats_qsel *ws = stats_qsel_alloc(n);
    assert_non_null(ws);
    double want[NL], got[NL];
    gs_error err;
    assert_int_equal(stats_quantiles(ws, x, n, levels, NL, want, NULL, &err), GS_OK);
    if (stats_hist_quantiles(ws, g, x, n, levels, NL, got, &err) != GS_OK) fail_msg("%s: %s", what, err.msg);
    for (size_t q = 0; q < NL; q++)
        if (bits_of(got[q]) != bits_of(want[q]) && !(isnan(got[q]) && isnan(want[q])))
            fail_msg("%s, n=%zu, level %g: got %.17g, stats_quantiles %.17g", what, n, levels[q],
                     got[q], want[q]);
    /* counted in three slices, merged, then stats_hist_finish's single gathering pass */
    stats_hist h, part;
    assert_int_equal(stats_hist_init(&h, g, &err), GS_OK);
    assert_int_equal(stats_hist_init(&part, g, &err), GS_OK);
    const size_t cut[4] = {0, n / 3, n / 2, n};
    for (int c = 0; c < 3; c++) {
        stats_hist_clear(&part);
        stats_hist_count(&part, x + cut[c], cut[c + 1] - cut[c]);
        assert_int_equal(stats_hist_merge(&h, &part, &err), GS_OK);
    }
    int done = -1;
    assert_int_equal(stats_hist_finish(ws, &h, x, n, levels, NL, n, got, &done, &err), GS_OK);
    assert_int_equal(done, 1);
    for (size_t q = 0; q < NL; q++)
        if (bits_of(got[q]) != bits_of(want[q]) && !(isnan(got[q]) && isnan(want[q])))
            fail_msg("finish, %s, n=%zu, level %g: got %.17g, stats_quantiles %.17g", what, n,
                     levels[q], got[q], want[q]);
    /* a gathering cap below the windows' size: nothing done, the caller falls back */
    size_t rank[2 * NL], nr;
    stats_hist_window win[2 * NL];
    const size_t nw = stats_hist_windows(&h, levels, NL, rank, &nr, win);
    size_t total = 0;
    for (size_t j = 0; j < nw; j++) total += (size_t)win[j].count;
    if (total > 0) {
        assert_int_equal(stats_hist_finish(ws, &h, x, n, levels, NL, total - 1, got, &done, &err), GS_OK);
        assert_int_equal(done, 0);
    }
    stats_hist_free(&h), stats_hist_free(&part);
    stats_qsel_free(ws);
}

/* Every kind of geometry over the data x. */
static void check_all_geometries(const double *x, size_t n)
{
    uint64_t kmin, kmax;
    key_range(x, n, &kmin, &kmax);
    check_geometry(x, n, stats_hist_geometry(kmin, kmax, 65536), "exact range");
    check_geometry(x, n, stats_hist_geometry_widened(kmin, kmax, 1024), "widened");
    check_geometry(x, n, stats_hist_geometry(kmin, kmax, 2), "two buckets");
    const uint64_t mid = kmin + (kmax - kmin) / 2;
    check_geometry(x, n, stats_hist_geometry(mid, mid + (kmax - mid) / 4, 256), "too narrow");
    check_geometry(x, n, stats_hist_geometry(kmax == UINT64_MAX ? kmax : kmax + 1, UINT64_MAX - 1, 64),
                   "all in underflow");
    check_geometry(x, n, stats_hist_geometry(0, kmin ? kmin - 1 : 0, 64), "all in overflow");
    check_geometry(x, n, stats_hist_geometry(0, UINT64_MAX, 65536), "whole key space");
    check_geometry(x, n, stats_hist_geometry(kmin, kmin, 16), "one key");
}

typedef double (*draw_fn)(gsl_rng *r);
static double draw_normal(gsl_rng *r) { return gsl_ran_gaussian(r, 1.0); }
static double draw_lognormal(gsl_rng *r) { return gsl_ran_lognormal(r, 13.0, 5.0); }
static double draw_negative(gsl_rng *r) { return -gsl_ran_lognormal(r, 0.0, 3.0); }
static double draw_mixed(gsl_rng *r) /* heavy tails, zeros of both signs */
{
    const double u = gsl_rng_uniform(r);
    return u < 0.05 ? 0.0 : u < 0.10 ? -0.0 : gsl_ran_cauchy(r, 1e3);
}
static double draw_masses(gsl_rng *r) /* point masses and a continuous part */
{
    const double u = gsl_rng_uniform(r);
    return u < 0.4 ? 3.0 : u < 0.6 ? -1.0 : u < 0.7 ? 0.0 : gsl_ran_gaussian(r, 2.0);
}
static double draw_nonfinite(gsl_rng *r)
{
    const double u = gsl_rng_uniform(r);
    return u < 0.03 ? (double)NAN : u < 0.05 ? (double)INFINITY : u < 0.07 ? -(double)INFINITY : gsl_ran_gaussian(r, 1.0);
}

static void check_draws(draw_fn draw, unsigned long seed)
{
    static const size_t sizes[] = {1, 2, 7, 100, 5000, 200000};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double *x = malloc(sizes[s] * sizeof *x);
        assert_non_null(x);
        for (size_t i = 0; i < sizes[s]; i++) x[i] = draw(r);
        check_all_geometries(x, sizes[s]);
        free(x);
    }
    gsl_rng_free(r);
}

static void test_random(void **state)
{
    (void)state;
    check_draws(draw_normal, 1);
    check_draws(draw_lognormal, 2);
}
static void test_negative(void **state)
{
    (void)state;
    check_draws(draw_negative, 3);
    check_draws(draw_mixed, 4);
}
static void test_point_masses(void **state)
{
    (void)state;
    check_draws(draw_masses, 5);
}
static void test_nonfinite(void **state)
{
    (void)state;
    check_draws(draw_nonfinite, 6);
    double x[5] = {NAN, INFINITY, -INFINITY, NAN, NAN}; /* nothing finite: NaN quantiles */
    check_all_geometries(x, 5);
    stats_hist h;
    gs_error err;
    assert_int_equal(stats_hist_init(&h, stats_hist_geometry(0, 100, 16), &err), GS_OK);
    stats_hist_count(&h, x, 5);
    assert_int_equal(h.nonfinite, 5);
    assert_int_equal(stats_hist_total(&h), 0);
    size_t rank[2 * NL], nr = 7;
    stats_hist_window win[2 * NL];
    assert_int_equal(stats_hist_windows(&h, levels, NL, rank, &nr, win), 0);
    assert_int_equal(nr, 0);
    stats_hist_free(&h);
}
static void test_constant(void **state)
{
    (void)state;
    double *x = malloc(100000 * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < 100000; i++) x[i] = 0.7;
    check_all_geometries(x, 100000);
    /* a one-key geometry puts every value in one window of one key */
    stats_hist h;
    gs_error err;
    const uint64_t k = stats_key(0.7);
    assert_int_equal(stats_hist_init(&h, stats_hist_geometry(k, k, 16), &err), GS_OK);
    stats_hist_count(&h, x, 100000);
    size_t rank[2 * NL], nr;
    stats_hist_window win[2 * NL];
    size_t nw = stats_hist_windows(&h, levels, NL, rank, &nr, win);
    assert_int_equal(nw, 1);
    assert_true(win[0].klo == k && win[0].khi == k && win[0].count == 100000 && win[0].below == 0);
    stats_hist_free(&h);
    free(x);
}

/* Histograms of slices merged by adding counts equal the histogram of the whole. */
static void test_merge(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    enum { N = 30000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < N; i++) x[i] = draw_nonfinite(r);
    const stats_hist_geom g = stats_hist_geometry(stats_key(-0.5), stats_key(0.5), 4096);
    stats_hist whole, a, b;
    gs_error err;
    assert_int_equal(stats_hist_init(&whole, g, &err), GS_OK);
    assert_int_equal(stats_hist_init(&a, g, &err), GS_OK);
    assert_int_equal(stats_hist_init(&b, g, &err), GS_OK);
    stats_hist_count(&whole, x, N);
    stats_hist_count(&a, x, 12345);
    stats_hist_count(&b, x + 12345, N - 12345);
    assert_int_equal(stats_hist_merge(&a, &b, &err), GS_OK);
    assert_memory_equal(a.count, whole.count, (g.nb + 2) * sizeof *a.count);
    assert_int_equal(a.nonfinite, whole.nonfinite);
    assert_true(whole.count[0] > 0 && whole.count[g.nb + 1] > 0); /* both tails outside */
    stats_hist other;
    assert_int_equal(stats_hist_init(&other, stats_hist_geometry(0, 5, 16), &err), GS_OK);
    assert_int_equal(stats_hist_merge(&a, &other, &err), GS_ERR_INTERNAL);
    /* every window holds exactly its count of the data, and its ranks */
    size_t rank[2 * NL], nr;
    stats_hist_window win[2 * NL];
    size_t nw = stats_hist_windows(&whole, levels, NL, rank, &nr, win);
    assert_true(nw >= 2);
    for (size_t j = 0; j < nw; j++) {
        uint64_t in = 0, below = 0;
        for (size_t i = 0; i < N; i++) {
            if (!isfinite(x[i])) continue;
            uint64_t k = stats_key(x[i]);
            in += k >= win[j].klo && k <= win[j].khi;
            below += k < win[j].klo;
        }
        assert_int_equal(in, win[j].count);
        assert_int_equal(below, win[j].below);
        for (size_t i = win[j].r0; i < win[j].r1; i++)
            assert_true(rank[i] >= below && rank[i] < below + in);
    }
    stats_hist_free(&whole), stats_hist_free(&a), stats_hist_free(&b), stats_hist_free(&other);
    free(x);
    gsl_rng_free(r);
}

/* Bucket ranges tile the key space: consecutive, no gaps, at the ends of the space. */
static void test_bucket_ranges(void **state)
{
    (void)state;
    const stats_hist_geom gs[] = {stats_hist_geometry(100, 1000, 7), stats_hist_geometry(0, 50, 16),
                                  stats_hist_geometry(UINT64_MAX - 40, UINT64_MAX, 8),
                                  stats_hist_geometry(0, UINT64_MAX, 2)};
    for (size_t t = 0; t < sizeof gs / sizeof gs[0]; t++) {
        const stats_hist_geom g = gs[t];
        uint64_t next = 0;
        for (size_t b = 0; b < g.nb + 2; b++) {
            uint64_t lo, hi;
            stats_hist_bucket_range(g, b, &lo, &hi);
            if (lo > hi) continue; /* an empty under/overflow bucket */
            assert_true(lo == next);
            if (stats_hist_bucket(g, lo) != b) fail_msg("geometry %zu bucket %zu [%llu, %llu]: %zu", t, b, (unsigned long long)lo, (unsigned long long)hi, stats_hist_bucket(g, lo));
            assert_int_equal(stats_hist_bucket(g, hi), b);
            next = hi + 1;
            if (hi == UINT64_MAX) break;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),     cmocka_unit_test(test_negative),
        cmocka_unit_test(test_point_masses), cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_constant),   cmocka_unit_test(test_merge),
        cmocka_unit_test(test_bucket_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
