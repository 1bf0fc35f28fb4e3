/* test_design.c - sampling designs: Latin hypercube marginals exactly stratified,
 * Monte Carlo rows independent of how the rows are batched, Sobol points inside (0, 1)
 * and uniform, the Gaussian copula's achieved rank correlation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "design.h"

/* Every column of an LHS batch of n rows has exactly one value in each stratum
 * [k/n, (k+1)/n), for several n and for a batch that does not start at row 0. */
static void test_lhs_stratified(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 7, 100, 4096};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s], d = 5;
        double *u = malloc(n * d * sizeof *u);
        int *seen = calloc(n, sizeof *seen);
        gs_error err;
        assert_int_equal(design_fill(DESIGN_LHS, 42, 9, s * 1000, n, d, u, &err), GS_OK);
        for (size_t j = 0; j < d; j++) {
            memset(seen, 0, n * sizeof *seen);
            for (size_t r = 0; r < n; r++) {
                double x = u[r * d + j];
                assert_true(x > 0 && x < 1);
                size_t k = (size_t)floor(x * (double)n);
                assert_true(k < n);
                seen[k]++;
            }
            for (size_t k = 0; k < n; k++)
                if (seen[k] != 1) fail_msg("n=%zu column %zu stratum %zu holds %d values", n, j, k, seen[k]);
        }
        free(u);
        free(seen);
    }
}

/* Monte Carlo rows depend only on (seed, family, row): drawing rows 0..99 at once or as
 * 0..36 and 37..99 gives the same bits; another seed gives other values. */
static void test_monte_carlo_rows(void **state)
{
    (void)state;
    double a[100 * 3], b[100 * 3], c[100 * 3];
    gs_error err;
    assert_int_equal(design_fill(DESIGN_MONTE_CARLO, 1, 2, 0, 100, 3, a, &err), GS_OK);
    assert_int_equal(design_fill(DESIGN_MONTE_CARLO, 1, 2, 0, 37, 3, b, &err), GS_OK);
    assert_int_equal(design_fill(DESIGN_MONTE_CARLO, 1, 2, 37, 63, 3, b + 37 * 3, &err), GS_OK);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(design_fill(DESIGN_MONTE_CARLO, 2, 2, 0, 100, 3, c, &err), GS_OK);
    assert_true(memcmp(a, c, sizeof a) != 0);
}

/* Sobol: inside (0, 1); the first 2^k points of each column hit each of 2^k strata
 * exactly once (the (0, m, s)-net property in one dimension); rows [first, first + n)
 * equal the tail of a longer draw. */
static void test_sobol(void **state)
{
    (void)state;
    size_t n = 1024, d = 10;
    double *u = malloc(n * d * sizeof *u), *v = malloc(100 * d * sizeof *v);
    int *seen = calloc(n, sizeof *seen);
    gs_error err;
    assert_int_equal(design_fill(DESIGN_SOBOL, 0, 0, 0, n, d, u, &err), GS_OK);
    for (size_t j = 0; j < d; j++) {
        memset(seen, 0, n * sizeof *seen);
        for (size_t r = 0; r < n - 1; r++) { /* GSL skips the origin: rows 1..1023 + the next */
            assert_true(u[r * d + j] > 0 && u[r * d + j] < 1);
            seen[(size_t)floor(u[r * d + j] * (double)n)]++;
        }
        int empty = 0;
        for (size_t k = 0; k < n; k++) {
            assert_true(seen[k] <= 1);
            empty += seen[k] == 0;
        }
        assert_int_equal(empty, 1); /* the stratum of the skipped origin */
    }
    assert_int_equal(design_fill(DESIGN_SOBOL, 0, 0, 500, 100, d, v, &err), GS_OK);
    assert_memory_equal(v, u + 500 * d, 100 * d * sizeof *v);
    assert_int_equal(design_fill(DESIGN_SOBOL, 0, 0, 0, 4, DESIGN_MAX_DIM + 1, u, &err), GS_ERR_INPUT);
    free(u);
    free(v);
    free(seen);
}

/* The copula: target Spearman 0.6 and −0.3 achieved within 0.02 on 20000 rows (the SE
 * of a Spearman coefficient is about (1 − ρ²)/√n < 0.008); margins stay uniform (mean
 * 1/2 within 4 SE = 4 √(1/12/n)). */
static void test_copula(void **state)
{
    (void)state;
    size_t n = 20000, d = 3;
    double rho[9] = {1, 0.6, 0, 0.6, 1, -0.3, 0, -0.3, 1}, L[9];
    assert_int_equal(design_copula_factor(d, rho, L), GS_OK);
    double *u = malloc(n * d * sizeof *u);
    gs_error err;
    assert_int_equal(design_fill(DESIGN_MONTE_CARLO, 5, 0, 0, n, d, u, &err), GS_OK);
    design_copula_apply(n, d, L, u);
    assert_true(fabs(design_spearman(n, d, u, 0, 1) - 0.6) < 0.02);
    assert_true(fabs(design_spearman(n, d, u, 1, 2) + 0.3) < 0.02);
    assert_true(fabs(design_spearman(n, d, u, 0, 2) - 0.0) < 0.03);
    for (size_t j = 0; j < d; j++) {
        double m = 0;
        for (size_t r = 0; r < n; r++) m += u[r * d + j];
        assert_within_se(m / (double)n, 0.5, sqrt(1.0 / 12 / (double)n), 4);
    }
    free(u);
    /* contradictory targets are not positive definite */
    double bad[9] = {1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1};
    assert_int_equal(design_copula_factor(3, bad, L), GS_ERR_INPUT);
}

/* Spearman of a monotone transform is 1; with ties the average rank is used. */
static void test_spearman(void **state)
{
    (void)state;
    double x[] = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50};
    assert_true(fabs(design_spearman(5, 2, x, 0, 1) - 1) < 1e-12);
    double y[] = {1, -1, 2, -2, 3, -3};
    assert_true(fabs(design_spearman(3, 2, y, 0, 1) + 1) < 1e-12);
    double t[] = {1, 1, 1, 2, 2, 3, 3, 4};
    double r = design_spearman(4, 2, t, 0, 1);
    assert_true(r > 0.9 && r <= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lhs_stratified), cmocka_unit_test(test_monte_carlo_rows),
        cmocka_unit_test(test_sobol),          cmocka_unit_test(test_copula),
        cmocka_unit_test(test_spearman),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
