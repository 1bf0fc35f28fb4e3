/* test_h5in.c - the result-file reader: a real small run written with h5out_write and
 * read back with h5in_read gives the same numbers bit for bit and the same scenario
 * (an override included); files that are missing, not HDF5, truncated, of another
 * format version, incomplete or not gapsim's are refused with GS_ERR_INPUT and a
 * one-line message naming the file; a point of a single-run file is a usage error.
 */
#define _DEFAULT_SOURCE /* mkdtemp */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "testutil.h"

#include "engine.h"
#include "h5in.h"
#include "h5out.h"
#include "scenario.h"
#include "point.h"

static const char scenario_text[] = "name: readback\n"
                                    "description: the h5in test\n"
                                    "run:\n"
                                    "  cycles: 4\n"
                                    "  quantiles: [0.05, 0.25, 0.5, 0.75, 0.95]\n"
                                    "history:\n"
                                    "  now: 2025.0\n"
                                    "capability:\n"
                                    "  catch_up: 0.5\n";

typedef struct {
    char dir[64], path[128];
    gs_scenario sc;
    gs_result res;
} fixture;

/* Runs the scenario above (1500 trajectories, training.reinvest overridden) and writes
 * it to dir/run.h5. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_h5in.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/run.h5", f->dir);
    gs_error err;
    const char *sets[] = {"training.reinvest=0.35"};
    if (scenario_parse(scenario_text, strlen(scenario_text), "scenarios/readback.yaml", sets, 1,
                       &f->sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    gs_run_options opt = {.trajectories = 1500, .threads = 1};
    assert_int_equal(point_run(&f->sc, &f->sc.params, 0, &opt, &f->res, NULL, &err), GS_OK);
    h5out_meta meta = {"9.9.9", "abc1234", "gapsim run scenarios/readback.yaml"};
    if (h5out_write(f->path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err) != GS_OK) fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];
    engine_result_free(&f->res);
    scenario_free(&f->sc);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void assert_same_doubles(const double *a, const double *b, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0)
            fail_msg("%s[%zu]: read %.17g, written %.17g", what, i, b[i], a[i]);
}

/* Everything summary_print uses comes back identical. */
static void test_roundtrip(void **state)
{
    fixture *f = *state;
    gs_scenario sc;
    gs_result res;
    gs_error err;
    if (h5in_read(f->path, H5IN_SINGLE, &sc, &res, &err) != GS_OK) fail_msg("%s", err.msg);
    const gs_result *w = &f->res;
    assert_int_equal(res.n_cycles, w->n_cycles);
    assert_int_equal(res.n_cycles, 5);
    assert_int_equal(res.n_quantiles, 5);
    assert_same_doubles(w->quantile_levels, res.quantile_levels, 5, "quantile_levels");
    size_t n = (size_t)VAR_COUNT * (size_t)w->n_cycles;
    assert_same_doubles(w->mean, res.mean, n, "mean");
    assert_same_doubles(w->sd, res.sd, n, "sd");
    assert_same_doubles(w->quantile, res.quantile, n * w->n_quantiles, "quantile");
    assert_same_doubles(&w->outcome_probability[0][0], &res.outcome_probability[0][0],
                        METRIC_COUNT * OUTCOME_COUNT, "outcome_probability");
    assert_same_doubles(&w->outcome_stderr[0][0], &res.outcome_stderr[0][0],
                        METRIC_COUNT * OUTCOME_COUNT, "outcome_stderr");
    assert_same_doubles(&w->outcome_ci_low[0][0], &res.outcome_ci_low[0][0],
                        METRIC_COUNT * OUTCOME_COUNT, "outcome_ci_low");
    assert_same_doubles(&w->outcome_ci_high[0][0], &res.outcome_ci_high[0][0],
                        METRIC_COUNT * OUTCOME_COUNT, "outcome_ci_high");
    assert_memory_equal(w->outcome_count, res.outcome_count, sizeof w->outcome_count);
    assert_memory_equal(w->nonfinite, res.nonfinite, sizeof w->nonfinite);
    assert_true(res.trajectories == 1500 && res.seed == w->seed);
    assert_int_equal(res.threads, 1);
    assert_true(res.cycle_years == w->cycle_years);
    assert_null(res.paths);

    /* The scenario: every parameter as the run used it, the override marked as such. */
    assert_memory_equal(&sc.params, &f->sc.params, sizeof sc.params);
    assert_true(sc.params.training_reinvest == 0.35);
    assert_int_equal(sc.line[PARAM_training_reinvest], SCENARIO_LINE_SET);
    assert_int_equal(sc.line[PARAM_capability_catch_up], 9); /* line of catch_up: */
    assert_int_equal(sc.line[PARAM_hardware_vol], 0);        /* a default */
    assert_string_equal(sc.name, "readback");
    assert_string_equal(sc.path, "scenarios/readback.yaml");
    assert_string_equal(sc.description, "the h5in test");
    assert_int_equal(sc.text_len, strlen(scenario_text));
    assert_string_equal(sc.text, scenario_text);

    h5in_info info;
    assert_int_equal(h5in_probe(f->path, &info, &err), GS_OK);
    assert_int_equal(info.n_points, 0);
    assert_int_equal(info.format_version, H5OUT_FORMAT_VERSION);
    engine_result_free(&res);
    scenario_free(&sc);
}

/* Reads path expecting failure with status want and a one-line message that names the
 * path and contains needle; the outputs must come back empty. */
static void expect_refused(const char *path, long point, gs_status want, const char *needle)
{
    gs_scenario sc;
    gs_result res;
    gs_error err;
    gs_status st = h5in_read(path, point, &sc, &res, &err);
    if (st != want) fail_msg("status %d, wanted %d: %s", st, want, err.msg);
    if (!strstr(err.msg, path) || !strstr(err.msg, needle) || strchr(err.msg, '\n'))
        fail_msg("message '%s' should name %s, say '%s', on one line", err.msg, path, needle);
    assert_null(res.mean);
    assert_null(sc.name);
}

static void copy_prefix(const char *from, const char *to, long bytes)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    for (long i = 0; i < bytes; i++) {
        int c = fgetc(in);
        if (c == EOF) break;
        fputc(c, out);
    }
    fclose(in);
    fclose(out);
}

static void test_missing_and_garbage(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/nope.h5", f->dir);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "No such file");
    snprintf(path, sizeof path, "%s/text.h5", f->dir);
    FILE *t = fopen(path, "w");
    assert_non_null(t);
    fputs("name: not an hdf5 file\n", t);
    fclose(t);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "not a readable HDF5 file");
    expect_refused(f->dir, H5IN_SINGLE, GS_ERR_INPUT, "directory");
}

/* Cut at several lengths: the superblock alone, half, all but the last byte. */
static void test_truncated(void **state)
{
    fixture *f = *state;
    FILE *in = fopen(f->path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fclose(in);
    const long cuts[] = {100, size / 2, size - 1};
    char path[160];
    snprintf(path, sizeof path, "%s/cut.h5", f->dir);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        copy_prefix(f->path, path, cuts[i]);
        expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "truncated");
    }
}

/* Rewrites (or with value < 0 deletes) integer root attribute name of a copy. */
static void edit_attribute(const char *from, const char *to, const char *name, int value)
{
    copy_prefix(from, to, 1L << 40);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    if (value < 0) {
        assert_true(H5Adelete(file, name) >= 0);
    } else {
        hid_t a = H5Aopen(file, name, H5P_DEFAULT);
        assert_true(a >= 0);
        assert_true(H5Awrite(a, H5T_NATIVE_INT, &value) >= 0);
        H5Aclose(a);
    }
    assert_true(H5Fclose(file) >= 0);
}

static void test_versions_and_completion(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/edited.h5", f->dir);
    edit_attribute(f->path, path, "gapsim_format_version", 0);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "format version 0 is not supported");
    edit_attribute(f->path, path, "gapsim_format_version", H5OUT_FORMAT_VERSION + 1);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "use a newer gapsim");
    edit_attribute(f->path, path, "gapsim_format_version", -1);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "not a gapsim result file");
    edit_attribute(f->path, path, "completed", 0);
    expect_refused(path, H5IN_SINGLE, GS_ERR_INPUT, "incomplete");
    h5in_info info;
    gs_error err;
    assert_int_equal(h5in_probe(path, &info, &err), GS_ERR_INPUT);
}

static void test_point_of_single_run(void **state)
{
    fixture *f = *state;
    expect_refused(f->path, 0, GS_ERR_USAGE, "not a sweep");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),           cmocka_unit_test(test_missing_and_garbage),
        cmocka_unit_test(test_truncated),           cmocka_unit_test(test_versions_and_completion),
        cmocka_unit_test(test_point_of_single_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
