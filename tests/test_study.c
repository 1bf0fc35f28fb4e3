/* test_study.c - the study layer: study_run dispatches (single, uncertain, sweep) into a
 * gs_study_result, and a sweep reports its points through point_hooks: `finished` once per
 * point that ran, `restore` before each point, a restored point not run again and the
 * study's result the same bits as without hooks. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "study.h"

static gs_scenario parse(const char *text)
{
    gs_scenario sc;
    gs_error err;
    if (scenario_parse(text, strlen(text), "t.yaml", NULL, 0, &sc, &err) != GS_OK)
        fail_msg("scenario_parse: %s", err.msg);
    return sc;
}

static const char *const sweep_text =
    "name: t\nrun: {trajectories: 700}\n"
    "sweep: {grid: {capability.catch_up: [0.3, 0.6, 0.9], training.reinvest: [0.2, 0.5]}}\n";

/* Hooks that count calls and restore point 4 from a copy made by a first run. */
typedef struct {
    int restores[6], finishes[6];
    const gs_result *saved; /* point 4 of an earlier run (borrowed) */
} counter;

static int count_restore(void *ctx, size_t p, gs_result *res, gs_uncertainty **draws)
{
    counter *c = ctx;
#pragma omp atomic
    c->restores[p]++;
    *draws = NULL;
    if (p != 4 || !c->saved) return 0;
    /* a deep copy of the saved point: the study owns what restore gives it */
    *res = *c->saved;
    size_t cells = (size_t)VAR_COUNT * (size_t)res->n_cycles;
    res->mean = malloc(cells * sizeof(double));
    res->sd = malloc(cells * sizeof(double));
    res->quantile = malloc(cells * res->n_quantiles * sizeof(double));
    res->paths = NULL;
    memcpy(res->mean, c->saved->mean, cells * sizeof(double));
    memcpy(res->sd, c->saved->sd, cells * sizeof(double));
    memcpy(res->quantile, c->saved->quantile, cells * res->n_quantiles * sizeof(double));
    return 1;
}

static gs_status count_finished(void *ctx, size_t p, const gs_result *res,
                                const gs_uncertainty *draws, gs_error *err)
{
    (void)res, (void)draws, (void)err;
    counter *c = ctx;
#pragma omp atomic
    c->finishes[p]++;
    return GS_OK;
}

static void assert_same_points(const gs_study_result *a, const gs_study_result *b)
{
    assert_non_null(a->sweep);
    assert_non_null(b->sweep);
    assert_int_equal(a->sweep->n_points, b->sweep->n_points);
    for (size_t p = 0; p < a->sweep->n_points; p++) {
        const gs_result *x = &a->sweep->points[p], *y = &b->sweep->points[p];
        size_t cells = (size_t)VAR_COUNT * (size_t)x->n_cycles;
        assert_memory_equal(x->mean, y->mean, cells * sizeof(double));
        assert_memory_equal(x->quantile, y->quantile, cells * x->n_quantiles * sizeof(double));
        assert_memory_equal(x->outcome_count, y->outcome_count, sizeof x->outcome_count);
    }
}

/* Every point is offered to restore once and reported finished once; a point restored
 * is not reported (it did not run); the results equal a run without hooks. */
static void test_sweep_hooks(void **state)
{
    (void)state;
    gs_scenario sc = parse(sweep_text);
    gs_run_options opt = {.threads = 2};
    gs_error err;
    gs_study_result plain, hooked, restored;
    assert_int_equal(study_run(&sc, &opt, NULL, &plain, &err), GS_OK);
    assert_null(plain.uncertainty);
    assert_null(plain.run.mean); /* a sweep's run holds its shape only */
    assert_int_equal(plain.run.n_cycles, plain.sweep->points[0].n_cycles);

    counter c = {{0}, {0}, NULL};
    point_hooks hooks = {count_restore, count_finished, &c};
    assert_int_equal(study_run(&sc, &opt, &hooks, &hooked, &err), GS_OK);
    for (int p = 0; p < 6; p++) {
        assert_int_equal(c.restores[p], 1);
        assert_int_equal(c.finishes[p], 1);
    }
    assert_same_points(&plain, &hooked);

    counter r = {{0}, {0}, &plain.sweep->points[4]};
    hooks.ctx = &r;
    assert_int_equal(study_run(&sc, &opt, &hooks, &restored, &err), GS_OK);
    assert_int_equal(r.finishes[4], 0); /* restored, not run */
    for (int p = 0; p < 6; p++) assert_int_equal(r.finishes[p], p == 4 ? 0 : 1);
    assert_same_points(&plain, &restored);
    study_result_free(&plain);
    study_result_free(&hooked);
    study_result_free(&restored);
    scenario_free(&sc);
}

/* A failure reported by `finished` stops the study with that error and an empty result. */
static gs_status fail_at_2(void *ctx, size_t p, const gs_result *res, const gs_uncertainty *d,
                           gs_error *err)
{
    (void)ctx, (void)res, (void)d;
    return p == 2 ? gs_error_set(err, GS_ERR_IO, "disk full at point %zu", p) : GS_OK;
}

static void test_hook_failure_stops(void **state)
{
    (void)state;
    gs_scenario sc = parse(sweep_text);
    gs_run_options opt = {.threads = 1};
    point_hooks hooks = {NULL, fail_at_2, NULL};
    gs_study_result res;
    gs_error err;
    assert_int_equal(study_run(&sc, &opt, &hooks, &res, &err), GS_ERR_IO);
    assert_string_equal(err.msg, "disk full at point 2");
    assert_null(res.sweep);
    assert_null(res.run.mean);
    scenario_free(&sc);
}

/* The dispatcher: a plain scenario gives statistics and no study parts; an uncertain one
 * also the draws' summary. */
static void test_dispatch(void **state)
{
    (void)state;
    gs_scenario sc = parse("name: t\nrun: {trajectories: 500}\n");
    gs_run_options opt = {0};
    gs_study_result res;
    gs_error err;
    assert_int_equal(study_points(&sc), 1);
    assert_int_equal(study_run(&sc, &opt, NULL, &res, &err), GS_OK);
    assert_non_null(res.run.mean);
    assert_null(res.sweep);
    assert_null(res.uncertainty);
    study_result_free(&res);
    scenario_free(&sc);
    sc = parse("name: t\nrun: {trajectories: 500}\n"
               "training: {reinvest: {dist: uniform, min: 0.1, max: 0.5}}\n");
    assert_int_equal(study_run(&sc, &opt, NULL, &res, &err), GS_OK);
    assert_non_null(res.uncertainty);
    assert_int_equal(res.uncertainty->d, 1);
    /* uniform(0.1, 0.5): mean 0.3, SE of the mean of 500 draws 0.4 / sqrt(12 * 500) */
    assert_within_se(res.uncertainty->draw_mean[0], 0.3, 0.4 / sqrt(12.0 * 500), 5);
    study_result_free(&res);
    scenario_free(&sc);
    sc = parse(sweep_text);
    assert_int_equal(study_points(&sc), 6);
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_hooks),
        cmocka_unit_test(test_hook_failure_stops),
        cmocka_unit_test(test_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
