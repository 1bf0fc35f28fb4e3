/* test_compare.c - the statistics of `gapsim compare` (sim/compare.c): the judgement
 * against 2 standard errors, the order-statistic standard error of a stored quantile,
 * and the whole comparison written to a FILE*. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "point.h"
#include "engine.h"
#include "scenario.h"
#include "testutil.h"

static void judge_against_two_se(void **state)
{
    (void)state;
    compare_tally t = {0, 0};
    assert_string_equal(compare_judge(&t, 0.0, NAN), "no"); /* equal: no error needed */
    assert_string_equal(compare_judge(&t, 2.5, 1.0), "yes");
    assert_string_equal(compare_judge(&t, -2.5, 1.0), "yes");
    assert_string_equal(compare_judge(&t, 1.9, 1.0), "no");
    assert_string_equal(compare_judge(&t, 2.0, 1.0), "no"); /* |delta| must exceed 2 SE */
    assert_string_equal(compare_judge(&t, 0.1, NAN), "?");
    assert_int_equal(t.compared, 6);
    assert_int_equal(t.differ, 2);
}

/* se(q_p) = sqrt(p(1-p)/n) (q_{p+} - q_{p-}) / (p+ - p-), on a hand-made result. */
static void quantile_standard_error(void **state)
{
    (void)state;
    gs_result r;
    memset(&r, 0, sizeof r);
    r.trajectories = 10000;
    r.n_cycles = 2;
    r.n_quantiles = 3;
    r.quantile_levels[0] = 0.25, r.quantile_levels[1] = 0.5, r.quantile_levels[2] = 0.75;
    r.quantile = calloc((size_t)VAR_COUNT * 2 * 3, sizeof *r.quantile);
    assert_non_null(r.quantile);
    const double q[3] = {-0.6744897501960817, 0.0, 0.6744897501960817}; /* N(0, 1) */
    for (size_t l = 0; l < 3; l++) r.quantile[result_qix(&r, 0, 1, l)] = q[l];
    double want = sqrt(0.25 / 1e4) * (q[2] - q[0]) / 0.5;
    assert_close_rel(compare_quantile_se(&r, 0, 1), want, 1e-14);
    /* close to the exact asymptotic SE of a normal median, sqrt(pi/2)/sqrt(n) */
    assert_close_rel(compare_quantile_se(&r, 0, 1), sqrt(3.14159265358979323846 / 2) / 100, 0.08);
    /* the lowest level uses the one-sided difference */
    assert_close_rel(compare_quantile_se(&r, 0, 0), sqrt(0.1875 / 1e4) * (q[1] - q[0]) / 0.25,
                     1e-14);
    r.n_quantiles = 1; /* no neighbour: unknown */
    assert_true(isnan(compare_quantile_se(&r, 0, 0)));
    free(r.quantile);
}

/* Writes the comparison of a against b to a string (malloc'd) and returns the tally. */
static compare_tally write_to_string(const compare_side *a, const compare_side *b, char **text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    compare_tally t = compare_write(f, a, b);
    fclose(f);
    *text = buf;
    return t;
}

static void whole_comparison(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    if (scenario_load("scenarios/baseline_point.yaml", NULL, 0, &sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    gs_run_options opt = {.trajectories = 2000, .seed_set = 1, .seed = 5, .threads = 1};
    gs_result r;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    compare_side a = {"a.h5", -1, &sc, &r}, b = {"b.h5", 3, &sc, &r};
    char *text;
    compare_tally t = write_to_string(&a, &b, &text);
    assert_true(t.compared > 30);
    assert_int_equal(t.differ, 0); /* a run against itself */
    assert_non_null(strstr(text, "B: b.h5 (point 3)"));
    assert_non_null(strstr(text, "all "));
    assert_non_null(strstr(text, "No differences beyond the Monte Carlo error"));
    free(text);

    /* B's premium compounds 0.3 more often, far beyond 2 SE at n = 2000 */
    gs_result shifted = r;
    shifted.outcome_probability[1][0] += 0.3;
    gs_scenario other = sc;
    other.params.hardware_vol *= 2;
    b.res = &shifted, b.sc = &other;
    t = write_to_string(&a, &b, &text);
    assert_int_equal(t.differ, 1);
    assert_non_null(strstr(text, "hardware.vol"));
    assert_non_null(strstr(text, "1 of "));
    free(text);
    engine_result_free(&r);
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(judge_against_two_se),
        cmocka_unit_test(quantile_standard_error),
        cmocka_unit_test(whole_comparison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
