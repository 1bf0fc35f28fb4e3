/* test_extremes.c - every parameter at each end of its valid range (one at a time, the
 * others at their defaults) runs without a NaN or an infinity in any recorded
 * variable; so do one cycle, 1,000 cycles and one trajectory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "engine.h"
#include "scenario.h"
#include "point.h"

static gs_scenario base;

static int setup(void **state)
{
    (void)state;
    gs_error err;
    return scenario_init_default(&base, &err) == GS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    scenario_free(&base);
    return 0;
}

/* Runs p; returns the number of non-finite values (or fails the test on an error). */
static uint64_t nonfinite_of(const gs_params *p, uint64_t n, const char *what)
{
    gs_scenario sc = base;
    sc.params = *p;
    gs_run_options opt = {.trajectories = n, .seed_set = 1, .seed = 3, .threads = 0};
    gs_result r;
    gs_error err;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s: %s", what, err.msg);
    uint64_t bad = 0;
    for (int v = 0; v < VAR_COUNT; v++) {
        bad += r.nonfinite[v];
        for (int k = 0; k < r.n_cycles; k++)
            if (!isfinite(r.mean[result_ix(&r, v, k)]) || !isfinite(r.sd[result_ix(&r, v, k)])) {
                print_error("%s: %s_mean/sd at cycle %d = %g/%g\n", what, model_vars[v].name, k,
                            r.mean[result_ix(&r, v, k)], r.sd[result_ix(&r, v, k)]);
                bad++;
            }
    }
    engine_result_free(&r);
    return bad;
}

static void test_every_parameter_at_its_bounds(void **state)
{
    (void)state;
    int failures = 0, runs = 0;
    for (int id = 0; id < PARAM_COUNT; id++) {
        const gs_param_info *info = &params_table[id];
        double ends[2] = {info->lo, info->hi};
        if (info->flags & PF_LO_OPEN) ends[0] = info->lo + fmax(1e-9, fabs(info->lo) * 1e-9);
        if (info->flags & PF_HI_OPEN) ends[1] = info->hi - fmax(1e-9, fabs(info->hi) * 1e-9);
        if (id == PARAM_run_cycles) ends[1] = 64; /* 1,000 cycles has its own test */
        for (int e = 0; e < 2; e++) {
            gs_params p = base.params;
            *params_field(&p, (gs_param_id)id) = ends[e];
            gs_param_id bad_id;
            char msg[256];
            if (params_check_relations(&p, &bad_id, msg, sizeof msg) != GS_OK) continue;
            char what[128];
            snprintf(what, sizeof what, "%s = %g", info->key, ends[e]);
            runs++;
            if (nonfinite_of(&p, 300, what) != 0) {
                print_error("non-finite values with %s\n", what);
                failures++;
            }
        }
    }
    print_message("%d runs at parameter bounds\n", runs);
    assert_int_equal(failures, 0);
}

static void test_cycles_and_trajectories_extremes(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.run_cycles = 1;
    assert_int_equal(nonfinite_of(&p, 1000, "run.cycles = 1"), 0);
    p.run_cycles = 1000;
    assert_int_equal(nonfinite_of(&p, 200, "run.cycles = 1000"), 0);
    assert_int_equal(nonfinite_of(&base.params, 1, "one trajectory"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_parameter_at_its_bounds),
        cmocka_unit_test(test_cycles_and_trajectories_extremes),
    };
    return cmocka_run_group_tests_name("extremes", tests, setup, teardown);
}
