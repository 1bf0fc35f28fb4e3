#define _DEFAULT_SOURCE /* M_PI */
/* test_sensitivity.c - the Sobol-index estimators on functions with known indices
 * (Ishigami; a linear model), recovered within their 95% bootstrap intervals; the
 * tornado and Sobol analysis of a real scenario find the parameter that matters; more
 * than 32 parameters (the Latin-hypercube design beyond GSL's 40 Sobol columns). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "design.h"
#include "params.h"
#include "scenario.h"
#include "sensitivity.h"
#include "study.h"

/* Evaluates f on the Saltelli design from a Sobol sequence of 2d columns, mapping each
 * uniform u to lo + u (hi − lo): yA[n], yB[n], yAB[d][n]. */
static void saltelli(size_t n, size_t d, double lo, double hi, double (*f)(const double *),
                     double *yA, double *yB, double *yAB)
{
    double *u = malloc(n * 2 * d * sizeof *u);
    gs_error err;
    if (design_fill(DESIGN_SOBOL, 0, 0, 0, n, 2 * d, u, &err) != GS_OK) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n * 2 * d; i++) u[i] = lo + u[i] * (hi - lo);
    for (size_t r = 0; r < n; r++) {
        const double *a = u + r * 2 * d, *b = a + d;
        double x[8];
        yA[r] = f(a);
        yB[r] = f(b);
        for (size_t j = 0; j < d; j++) {
            memcpy(x, a, d * sizeof *x);
            x[j] = b[j];
            yAB[j * n + r] = f(x);
        }
    }
    free(u);
}

/* Ishigami: f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [−π, π]³, a = 7, b = 0.1.
 * V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0,
 * V13 = b²π⁸ (1/18 − 1/50); S_T1 = (V1 + V13)/V, S_T2 = V2/V, S_T3 = V13/V. */
static double ishigami(const double *x)
{
    return sin(x[0]) + 7 * sin(x[1]) * sin(x[1]) + 0.1 * pow(x[2], 4) * sin(x[0]);
}

static void check_within(const char *what, size_t j, double got, double lo, double hi, double want)
{
    if (!(want >= lo && want <= hi))
        fail_msg("%s[%zu] = %.4f, CI [%.4f, %.4f] misses the exact %.4f", what, j, got, lo, hi, want);
}

static void test_ishigami(void **state)
{
    (void)state;
    size_t n = 8192, d = 3;
    double a = 7, b = 0.1, p4 = pow(M_PI, 4), p8 = p4 * p4;
    double V = a * a / 8 + b * p4 / 5 + b * b * p8 / 18 + 0.5;
    double V1 = 0.5 * (1 + b * p4 / 5) * (1 + b * p4 / 5), V2 = a * a / 8;
    double V13 = b * b * p8 * (1.0 / 18 - 1.0 / 50);
    double S[3] = {V1 / V, V2 / V, 0}, ST[3] = {(V1 + V13) / V, V2 / V, V13 / V};
    double *yA = malloc(n * sizeof *yA), *yB = malloc(n * sizeof *yB), *yAB = malloc(d * n * sizeof *yAB);
    saltelli(n, d, -M_PI, M_PI, ishigami, yA, yB, yAB);
    double f[3], t[3], flo[3], fhi[3], tlo[3], thi[3], var;
    sensitivity_indices(n, d, yA, yB, yAB, NULL, f, t, &var);
    gs_error err;
    assert_int_equal(sensitivity_bootstrap(n, d, yA, yB, yAB, 500, 7, flo, fhi, tlo, thi, &err), GS_OK);
    for (size_t j = 0; j < d; j++) {
        print_message("Ishigami S%zu = %.4f [%.4f, %.4f] (exact %.4f), ST%zu = %.4f [%.4f, %.4f] (exact %.4f)\n",
                      j + 1, f[j], flo[j], fhi[j], S[j], j + 1, t[j], tlo[j], thi[j], ST[j]);
        check_within("first", j, f[j], flo[j], fhi[j], S[j]);
        check_within("total", j, t[j], tlo[j], thi[j], ST[j]);
        assert_true(fhi[j] - flo[j] < 0.1); /* the intervals are informative */
    }
    assert_within_se(var, V, V * 0.02, 1); /* V within 2% */
    free(yA);
    free(yB);
    free(yAB);
}

/* Linear: f = x1 + 2 x2 + 3 x3 on [0, 1]³ has S_j = S_Tj = c_j² / Σ c² = 1/14, 4/14, 9/14. */
static double linear(const double *x) { return x[0] + 2 * x[1] + 3 * x[2]; }

static void test_linear(void **state)
{
    (void)state;
    size_t n = 4096, d = 3;
    double *yA = malloc(n * sizeof *yA), *yB = malloc(n * sizeof *yB), *yAB = malloc(d * n * sizeof *yAB);
    saltelli(n, d, 0, 1, linear, yA, yB, yAB);
    double f[3], t[3], flo[3], fhi[3], tlo[3], thi[3];
    sensitivity_indices(n, d, yA, yB, yAB, NULL, f, t, NULL);
    gs_error err;
    assert_int_equal(sensitivity_bootstrap(n, d, yA, yB, yAB, 500, 8, flo, fhi, tlo, thi, &err), GS_OK);
    for (size_t j = 0; j < d; j++) {
        double want = (double)((j + 1) * (j + 1)) / 14;
        check_within("first", j, f[j], flo[j], fhi[j], want);
        check_within("total", j, t[j], tlo[j], thi[j], want);
    }
    free(yA);
    free(yB);
    free(yAB);
}

/* On the model itself: with catch-up uncertain over a wide range and reinvestment over
 * a narrow one, both the tornado and the Sobol indices rank catch-up first for the lag,
 * its total index is large and reinvestment's small.  (Version 2 compares the horizon
 * with 2026.5, so more catch-up shortens both and P(lag compounds) has no fixed sign
 * of response; the tornado's swing is checked instead.) */
static void test_model_ranking(void **state)
{
    (void)state;
    const char *text = "name: t\nrun: {trajectories: 2000}\n"
                       "capability: {catch_up: {dist: uniform, min: 0.3, max: 0.9}}\n"
                       "training: {reinvest: {dist: uniform, min: 0.29, max: 0.31}}\n"
                       "sensitivity: {samples: 256, bootstrap: 100, trajectories: 2000}\n";
    gs_scenario sc;
    gs_error err;
    if (scenario_parse(text, strlen(text), "t.yaml", NULL, 0, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
    gs_run_options opt = {0};
    gs_study_result res;
    if (study_run(&sc, &opt, NULL, &res, &err) != GS_OK) fail_msg("%s", err.msg);
    const gs_uncertainty *u = res.uncertainty;
    assert_non_null(u);
    assert_true(u->has_tornado && u->has_sobol);
    size_t order[SCENARIO_MAX_UNCERTAIN];
    sensitivity_rank(u, 0, order); /* lag_months */
    assert_int_equal(u->ids[order[0]], PARAM_capability_catch_up);
    assert_true(u->total[0][0] > 0.3);
    assert_true(u->total[1][0] < 0.05);
    /* the tornado swing of P(lag compounds) is larger for catch-up than reinvestment */
    assert_true(fabs(u->tornado_compound[0][1][0] - u->tornado_compound[0][0][0]) >
                fabs(u->tornado_compound[1][1][0] - u->tornado_compound[1][0][0]));
    study_result_free(&res);
    scenario_free(&sc);
}

/* More parameters than GSL's Sobol sequence has columns for (2d > 40): the indices use a
 * Latin hypercube of 2d columns (sensitivity.h).  f = Σ c_j x_j on [0, 1]^40 with
 * c = 3, 2, 1 and 0.1 for the 37 others: S_j = S_Tj = c_j² / Σ c².  The three large
 * indices lie in their 95% bootstrap intervals; of all 80 intervals at most 10 miss
 * (expected 4; P(more than 10) ≈ 0.3%); the 37 small total indices sum to < 0.05
 * (exact 0.026). */
enum { MANY = 40 };
static double coef(size_t j) { return j == 0 ? 3 : j == 1 ? 2 : j == 2 ? 1 : 0.1; }
static double linear_many(const double *x)
{
    double s = 0;
    for (size_t j = 0; j < MANY; j++) s += coef(j) * x[j];
    return s;
}

static void test_linear_many(void **state)
{
    (void)state;
    size_t n = 4096, d = MANY;
    double *u = malloc(n * 2 * d * sizeof *u);
    double *yA = malloc(n * sizeof *yA), *yB = malloc(n * sizeof *yB), *yAB = malloc(d * n * sizeof *yAB);
    gs_error err;
    if (design_fill(DESIGN_LHS, 9, SENS_SOBOL_FAMILY, 0, n, 2 * d, u, &err) != GS_OK) fail_msg("%s", err.msg);
    for (size_t r = 0; r < n; r++) {
        const double *a = u + r * 2 * d, *b = a + d;
        double x[MANY];
        yA[r] = linear_many(a);
        yB[r] = linear_many(b);
        for (size_t j = 0; j < d; j++) {
            memcpy(x, a, d * sizeof *x);
            x[j] = b[j];
            yAB[j * n + r] = linear_many(x);
        }
    }
    double sum2 = 0;
    for (size_t j = 0; j < d; j++) sum2 += coef(j) * coef(j);
    double f[MANY], t[MANY], flo[MANY], fhi[MANY], tlo[MANY], thi[MANY], small = 0;
    sensitivity_indices(n, d, yA, yB, yAB, NULL, f, t, NULL);
    assert_int_equal(sensitivity_bootstrap(n, d, yA, yB, yAB, 300, 10, flo, fhi, tlo, thi, &err), GS_OK);
    int miss = 0;
    for (size_t j = 0; j < d; j++) {
        double want = coef(j) * coef(j) / sum2;
        if (j < 3) {
            check_within("first", j, f[j], flo[j], fhi[j], want);
            check_within("total", j, t[j], tlo[j], thi[j], want);
        } else {
            small += t[j];
        }
        miss += !(want >= flo[j] && want <= fhi[j]) + !(want >= tlo[j] && want <= thi[j]);
    }
    print_message("40 parameters: S1 %.4f S2 %.4f S3 %.4f (exact %.4f %.4f %.4f), small totals "
                  "sum %.4f (exact %.4f), %d of 80 intervals miss\n",
                  f[0], f[1], f[2], 9 / sum2, 4 / sum2, 1 / sum2, small, 37 * 0.01 / sum2, miss);
    assert_true(miss <= 10);
    assert_true(small < 0.05);
    free(u);
    free(yA);
    free(yB);
    free(yAB);
}

/* The model with 40 uncertain parameters (more than the old limit of 32): catch-up over
 * a wide range, 39 other real-valued keys within ±0.1% of their defaults.  The Sobol
 * indices are computed (on the Latin-hypercube design), catch-up ranks first for the lag
 * with a large total index, and the results are the same for 1 and 2 threads. */
static void test_model_many(void **state)
{
    (void)state;
    char text[16384];
    size_t len = (size_t)snprintf(text, sizeof text,
                                  "name: t\nrun: {trajectories: 500}\n"
                                  "sensitivity: {tornado: false, samples: 128, bootstrap: 50}\n");
    int count = 0, have_catch_up = 0;
    char section[64] = "";
    for (int i = 0; i < PARAM_COUNT; i++) {
        const char *key = params_table[i].key, *dot = strchr(key, '.');
        double v = params_table[i].def;
        int wide = i == PARAM_capability_catch_up;
        if (!wide && (count >= MANY - 1 + have_catch_up || params_table[i].flags & PF_INT ||
                      !strncmp(key, "run.", 4) || !strncmp(key, "history.", 8) ||
                      !strncmp(key, "outcome.", 8) || !strncmp(key, "correlation.", 12) || v <= 0))
            continue;
        if (strncmp(section, key, (size_t)(dot - key)) || section[dot - key] != '\0') {
            snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
            len += (size_t)snprintf(text + len, sizeof text - len, "%s:\n", section);
        }
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "  %s: {dist: uniform, min: %.17g, max: %.17g}\n", dot + 1,
                                wide ? 0.3 : v * (1 - 1e-3), wide ? 0.9 : v * (1 + 1e-3));
        count++;
        have_catch_up |= wide;
    }
    assert_int_equal(count, MANY);
    assert_true(len < sizeof text);
    gs_study_result res[2];
    for (int th = 0; th < 2; th++) {
        gs_scenario sc;
        gs_error err;
        if (scenario_parse(text, len, "t.yaml", NULL, 0, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
        assert_int_equal((int)sc.n_uncertain, MANY);
        gs_run_options opt = {.threads = th + 1};
        if (study_run(&sc, &opt, NULL, &res[th], &err) != GS_OK) fail_msg("%s", err.msg);
        scenario_free(&sc);
    }
    const gs_uncertainty *u = res[0].uncertainty;
    assert_true(u->has_sobol);
    assert_int_equal((int)u->d, MANY);
    size_t order[SCENARIO_MAX_UNCERTAIN];
    sensitivity_rank(u, 0, order); /* lag_months */
    print_message("40 parameters: lag_months total index of %s %.3f, next %s %.3f\n",
                  params_table[u->ids[order[0]]].key, u->total[order[0]][0],
                  params_table[u->ids[order[1]]].key, u->total[order[1]][0]);
    assert_int_equal(u->ids[order[0]], PARAM_capability_catch_up);
    assert_true(u->total[order[0]][0] > 0.3);
    assert_memory_equal(u->first, res[1].uncertainty->first, sizeof u->first);
    assert_memory_equal(u->total, res[1].uncertainty->total, sizeof u->total);
    study_result_free(&res[0]);
    study_result_free(&res[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ishigami),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_model_ranking),
        cmocka_unit_test(test_linear_many),
        cmocka_unit_test(test_model_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
