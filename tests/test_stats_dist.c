/* test_stats_dist.c - the cross-rank quantile selection (stats_dist.h) and block
 * slicing, on one process: the distributed algorithm must give stats_quantiles's bits
 * on data that force its refinement levels (heavy ties, huge buckets, NaN and ±Inf,
 * values spanning hundreds of orders of magnitude). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "comm.h"
#include "engine.h"
#include "rng.h"
#include "stats.h"
#include "stats_dist.h"

/* NaN and -Inf as doubles, for the conditionals (-Wdouble-promotion) */
static const double qnan = NAN, inf = INFINITY;
static const double levels[] = {0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};
enum { NL = sizeof levels / sizeof levels[0] };

/* Both algorithms on x[0..n); the results must be equal bit for bit (NaN = NaN). */
static void compare(const double *x, size_t n)
{
    gs_comm c = comm_world();
    gs_error err;
    double want[NL], got[NL];
    stats_qsel *ws = stats_qsel_alloc(n);
    assert_non_null(ws);
    assert_int_equal(stats_quantiles(ws, x, n, levels, NL, want, NULL, &err), GS_OK);
    uint64_t kmin, kmax, nf;
    assert_int_equal(stats_dist_range(&c, x, n, &kmin, &kmax, &nf, &err), GS_OK);
    assert_int_equal(stats_dist_quantiles(&c, x, n, kmin, kmax, nf, levels, NL, got, &err), GS_OK);
    for (int q = 0; q < NL; q++)
        if (!(isnan(want[q]) && isnan(got[q])) && memcmp(&want[q], &got[q], sizeof(double)))
            fail_msg("level %g: stats_dist %.17g, stats_quantiles %.17g", levels[q], got[q], want[q]);
    stats_qsel_free(ws);
}

static void test_dist_equals_serial(void **state)
{
    (void)state;
    enum { N = 600000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    rng_pcg32 g;
    rng_stream(&g, 42, 0, 0);
    for (size_t i = 0; i < N; i++) x[i] = rng_normal(&g);
    compare(x, N); /* plain normal data */
    for (size_t i = 0; i < N; i++) x[i] = i % 3 ? 1.0 : rng_normal(&g) * 1e-9 + 1.0;
    compare(x, N); /* two thirds tied: a bucket too big to gather, refined */
    for (size_t i = 0; i < N; i++) x[i] = exp(700 * rng_normal(&g) / 3);
    compare(x, N); /* hundreds of orders of magnitude */
    for (size_t i = 0; i < N; i++) x[i] = i % 7 == 0 ? qnan : i % 11 == 0 ? -inf : rng_normal(&g);
    compare(x, N); /* non-finite values skipped */
    for (size_t i = 0; i < N; i++) x[i] = i % 2 ? -0.0 : 0.0;
    compare(x, N); /* signed zeros are ties */
    compare(x, 1);
    for (size_t i = 0; i < 5; i++) x[i] = NAN;
    compare(x, 5); /* nothing finite: NaN */
    free(x);
}

/* The batched calls (stats_dist_range_many, stats_dist_quantiles_many) on several
 * variables at once, with 2 threads, some needing refinement and some nothing finite:
 * every variable's quantiles equal stats_quantiles's bits. */
static void test_dist_batch_equals_serial(void **state)
{
    (void)state;
    enum { N = 300000, V = 6 };
    double *x = malloc((size_t)V * N * sizeof *x), out[V][NL];
    assert_non_null(x);
    rng_pcg32 g;
    rng_stream(&g, 7, 0, 0);
    for (size_t i = 0; i < N; i++) {
        double *row = x + i;
        row[0 * N] = rng_normal(&g);
        row[1 * N] = i % 3 ? 1.0 : rng_normal(&g) * 1e-9 + 1.0;
        row[2 * N] = exp(700 * rng_normal(&g) / 3);
        row[3 * N] = i % 7 == 0 ? qnan : i % 11 == 0 ? -inf : rng_normal(&g);
        row[4 * N] = i % 2 ? -0.0 : 0.0;
        row[5 * N] = NAN;
    }
    gs_comm c = comm_world();
    gs_error err;
    stats_dist_var v[V];
    for (int j = 0; j < V; j++)
        v[j] = (stats_dist_var){.x = x + (size_t)j * N, .n = N, .out = out[j]};
    assert_int_equal(stats_dist_range_many(&c, v, V, 2, &err), GS_OK);
    assert_true(v[5].nf == 0 && v[0].nf == N && v[3].nf < N);
    assert_int_equal(stats_dist_quantiles_many(&c, v, V, levels, NL, 2, &err), GS_OK);
    stats_qsel *ws = stats_qsel_alloc(N);
    assert_non_null(ws);
    for (int j = 0; j < V; j++) {
        double want[NL];
        assert_int_equal(stats_quantiles(ws, v[j].x, N, levels, NL, want, NULL, &err), GS_OK);
        for (int q = 0; q < NL; q++)
            if (!(isnan(want[q]) && isnan(out[j][q])) &&
                memcmp(&want[q], &out[j][q], sizeof(double)))
                fail_msg("variable %d level %g: batch %.17g, stats_quantiles %.17g", j, levels[q],
                         out[j][q], want[q]);
    }
    stats_qsel_free(ws);
    free(x);
}

/* Slices of whole blocks, contiguous, covering [0, n), empty for parts past the blocks. */
static void test_slices(void **state)
{
    (void)state;
    const uint64_t ns[] = {1, 1023, 1024, 1025, 5000, 1500, 1u << 20};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++)
        for (uint64_t parts = 1; parts <= 7; parts++) {
            uint64_t next = 0;
            for (uint64_t p = 0; p < parts; p++) {
                uint64_t first, count;
                engine_slice(ns[t], p, parts, &first, &count);
                assert_true(first == next);
                assert_true(count == 0 || first % ENGINE_BLOCK == 0);
                next = first + count;
            }
            assert_true(next == ns[t]);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_equals_serial),
        cmocka_unit_test(test_dist_batch_equals_serial),
        cmocka_unit_test(test_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
