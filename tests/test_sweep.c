/* test_sweep.c - sweeps and uncertain runs: common random numbers reduce the noise of
 * differences between nearby points (both variances measured), grid order, results
 * bit-identical for 1 and 2 threads, the per-trajectory path agrees with the fast path,
 * --target-se batches are deterministic and equal a plain run of the same size, and
 * malformed distributions and sweeps are rejected with file, line and key. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "engine.h"
#include "scenario.h"
#include "sweep.h"
#include "study.h"

static gs_scenario parse(const char *text)
{
    gs_scenario sc;
    gs_error err;
    if (scenario_parse(text, strlen(text), "t.yaml", NULL, 0, &sc, &err) != GS_OK)
        fail_msg("scenario_parse: %s", err.msg);
    return sc;
}

/* P(compound) of the premium and the mean premium at the horizon of one point. */
static void point(const gs_scenario *sc, double catch_up, uint64_t shock_point, uint64_t seed,
                  double *p, double *mean)
{
    gs_params params = sc->params;
    params.capability_catch_up = catch_up;
    gs_run_options opt = {.trajectories = 2000, .seed_set = 1, .seed = seed};
    gs_result res;
    gs_error err;
    if (point_run(sc, &params, shock_point, &opt, &res, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    *p = res.outcome_probability[1][OUTCOME_COMPOUND];
    *mean = res.mean[result_ix(&res, VAR_premium, res.n_cycles - 1)];
    engine_result_free(&res);
}

/* Two points 0.02 apart in catch-up, 30 seeds: the variance over seeds of the
 * difference in P(compound) and in the mean premium, with the same shock streams at
 * both points (CRN) and with independent ones (point index in the stream).  CRN must
 * cut both variances at least fourfold (measured: far more). */
static void test_crn_reduces_variance(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\n");
    enum { R = 30 };
    double dp[2][R], dm[2][R];
    for (int mode = 0; mode < 2; mode++)
        for (uint64_t s = 0; s < R; s++) {
            double p0, m0, p1, m1;
            point(&sc, 0.60, 0, 1000 + s, &p0, &m0);
            point(&sc, 0.62, mode == 0 ? 0 : 1, 1000 + s, &p1, &m1);
            dp[mode][s] = p1 - p0, dm[mode][s] = m1 - m0;
        }
    double var[2][2];
    for (int mode = 0; mode < 2; mode++)
        for (int which = 0; which < 2; which++) {
            const double *x = which ? dm[mode] : dp[mode];
            double mean = 0, ss = 0;
            for (int s = 0; s < R; s++) mean += x[s] / R;
            for (int s = 0; s < R; s++) ss += (x[s] - mean) * (x[s] - mean);
            var[mode][which] = ss / (R - 1);
        }
    print_message("Var of P(compound) difference: CRN %.3g, independent %.3g (ratio %.1f)\n",
                  var[0][0], var[1][0], var[1][0] / var[0][0]);
    print_message("Var of mean-premium difference: CRN %.3g, independent %.3g (ratio %.1f)\n",
                  var[0][1], var[1][1], var[1][1] / var[0][1]);
    assert_true(var[0][0] * 4 < var[1][0]);
    assert_true(var[0][1] * 4 < var[1][1]);
    scenario_free(&sc);
}

/* Grid points in C order (the last key fastest), values as listed. */
static void test_grid_order(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\nsweep:\n  grid:\n    capability.catch_up: [0.3, 0.6]\n"
                           "    training.reinvest: [0.1, 0.2, 0.3]\n");
    assert_int_equal(scenario_sweep_points(&sc), 6);
    double v[12];
    gs_error err;
    assert_int_equal(scenario_sweep_values(&sc, 1, v, &err), GS_OK);
    const double want[12] = {0.3, 0.1, 0.3, 0.2, 0.3, 0.3, 0.6, 0.1, 0.6, 0.2, 0.6, 0.3};
    assert_memory_equal(v, want, sizeof want);
    scenario_free(&sc);
}

static void run_threads(const gs_scenario *sc, int threads, gs_study_result *res)
{
    gs_run_options opt = {.trajectories = 3000, .threads = threads};
    gs_error err;
    if (study_run(sc, &opt, NULL, res, &err) != GS_OK) fail_msg("%s", err.msg);
}

static void assert_same_result(const gs_result *a, const gs_result *b)
{
    size_t cells = (size_t)VAR_COUNT * (size_t)a->n_cycles;
    assert_memory_equal(a->mean, b->mean, cells * sizeof(double));
    assert_memory_equal(a->sd, b->sd, cells * sizeof(double));
    assert_memory_equal(a->quantile, b->quantile, cells * a->n_quantiles * sizeof(double));
    assert_memory_equal(a->outcome_count, b->outcome_count, sizeof a->outcome_count);
}

/* An LHS sweep of uncertain runs with rank correlations: 1 and 2 threads give the same
 * bits at every point. */
static void test_threads_identical(void **state)
{
    (void)state;
    gs_scenario sc = parse(
        "name: t\ncapability: {catch_up: {dist: beta, a: 6, b: 4}}\n"
        "training: {growth: {p5: 0.3, p95: 0.8}}\n"
        "uncertainty: {correlations: [[capability.catch_up, training.growth, -0.3]]}\n"
        "sweep: {design: lhs, points: 3, ranges: {training.reinvest: [0, 0.8]}}\n");
    gs_study_result one, two;
    run_threads(&sc, 1, &one);
    run_threads(&sc, 2, &two);
    assert_int_equal(one.sweep->n_points, 3);
    assert_memory_equal(one.sweep->values, two.sweep->values, 3 * sizeof(double));
    for (size_t p = 0; p < 3; p++) assert_same_result(&one.sweep->points[p], &two.sweep->points[p]);
    study_result_free(&one);
    study_result_free(&two);
    scenario_free(&sc);
}

/* The per-trajectory path (a model per trajectory) with every draw equal to the base
 * value reproduces the fast path to rounding (1e-12 relative on every mean). */
static void test_uncertain_path_matches_fast_path(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\n");
    enum { N = 3000 };
    double *values = malloc(N * sizeof *values);
    for (int i = 0; i < N; i++) values[i] = sc.params.capability_catch_up;
    gs_param_id id = PARAM_capability_catch_up;
    engine_job plain = {.params = sc.params, .seed = 3, .n = N};
    engine_job per = plain;
    per.d = 1, per.ids = &id, per.values = values;
    gs_run_options opt = {0};
    gs_result a, b;
    gs_error err;
    assert_int_equal(engine_run_job(&sc, &plain, &opt, &a, &err), GS_OK);
    assert_int_equal(engine_run_job(&sc, &per, &opt, &b, &err), GS_OK);
    for (size_t i = 0; i < (size_t)VAR_COUNT * (size_t)a.n_cycles; i++)
        if (!(fabs(a.mean[i] - b.mean[i]) <= 1e-12 * fabs(a.mean[i])))
            fail_msg("mean %zu: %.17g vs %.17g", i, a.mean[i], b.mean[i]);
    assert_memory_equal(a.outcome_count, b.outcome_count, sizeof a.outcome_count);
    engine_result_free(&a);
    engine_result_free(&b);
    free(values);
    scenario_free(&sc);
}

/* --target-se: the same seed gives the same number of batches; the SE target holds for
 * every outcome probability; and the result is bit for bit a plain run of that size. */
static void test_target_se(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\n");
    gs_run_options opt = {.trajectories = 1000, .target_se = 0.006};
    gs_result a, b, plain;
    gs_error err;
    assert_int_equal(point_run(&sc, &sc.params, 0, &opt, &a, NULL, &err), GS_OK);
    assert_int_equal(point_run(&sc, &sc.params, 0, &opt, &b, NULL, &err), GS_OK);
    assert_int_equal(a.batches, b.batches);
    assert_true(a.batches > 1 && a.target_met);
    assert_int_equal(a.trajectories, a.batches * 1000);
    for (int q = 0; q < METRIC_COUNT; q++)
        for (int o = 0; o < OUTCOME_COUNT; o++) assert_true(a.outcome_stderr[q][o] < 0.006);
    gs_run_options po = {.trajectories = a.trajectories};
    assert_int_equal(point_run(&sc, &sc.params, 0, &po, &plain, NULL, &err), GS_OK);
    assert_same_result(&a, &plain);
    /* a cap below what the target needs stops early and says so */
    gs_scenario capped = sc;
    capped.max_trajectories = 2000;
    gs_result c;
    assert_int_equal(point_run(&capped, &capped.params, 0, &opt, &c, NULL, &err), GS_OK);
    assert_int_equal(c.trajectories, 2000);
    assert_false(c.target_met);
    engine_result_free(&a);
    engine_result_free(&b);
    engine_result_free(&c);
    engine_result_free(&plain);
    scenario_free(&sc);
}

/* Antithetic pairs: trajectory 2j+1's uniform is 1 − trajectory 2j's, so a uniform
 * parameter's draws average to the midpoint exactly (to rounding). */
static void test_antithetic(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\nrun: {antithetic: true}\n"
                           "training: {reinvest: {dist: uniform, min: 0.1, max: 0.5}}\n");
    double v[1000];
    gs_error err;
    assert_int_equal(uncertain_draw(&sc, 9, ENGINE_PARAM_FAMILY, 0, 1000, 1000, v, &err), GS_OK);
    for (int j = 0; j < 500; j++) assert_true(fabs(v[2 * j] + v[2 * j + 1] - 0.6) < 1e-12);
    scenario_free(&sc);
}

/* Malformed distributions and sweeps: "t.yaml:LINE: KEY:" in the message. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"name: t\ncapability:\n  catch_up: {dist: gamma, a: 2}\n", "t.yaml:3: capability.catch_up: unknown distribution"},
        {"name: t\ncapability:\n  catch_up: {p5: 0.8, p95: 0.4}\n", "t.yaml:3: capability.catch_up: p5 must be below p95"},
        {"name: t\ncapability:\n  catch_up: {dist: normal, mean: 0.5, sd: 0.01, lower: 0.9}\n",
         "t.yaml:3: capability.catch_up: the bounds"},
        {"name: t\nsweep:\n  grid:\n    capability.catchup: [0.1, 0.2]\n", "t.yaml:4: capability.catchup: unknown key"},
        {"name: t\nsweep:\n  grid:\n    training.reinvest: [0.1, 1.5]\n", "t.yaml:4: training.reinvest: must be in"},
        {"name: t\nrun:\n  cycles: {dist: uniform, min: 4, max: 8}\n", "t.yaml:3: run.cycles: cannot be uncertain"},
        {"name: t\nsensitivity: {samples: 64}\n", "t.yaml:2: sensitivity: needs at least one"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gs_scenario sc;
        gs_error err;
        gs_status st = scenario_parse(cases[i].text, strlen(cases[i].text), "t.yaml", NULL, 0, &sc, &err);
        if (st != GS_ERR_INPUT) fail_msg("case %zu accepted", i);
        if (!strstr(err.msg, cases[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crn_reduces_variance),
        cmocka_unit_test(test_grid_order),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_uncertain_path_matches_fast_path),
        cmocka_unit_test(test_target_se),
        cmocka_unit_test(test_antithetic),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
