/* test_h5out.c - the HDF5 writer: a small synthetic result written and read back with
 * the HDF5 API (values, dimension scales, chunking, attributes, SHA-256 vectors), and
 * the failure paths (missing directory, directory as target, a write that runs out of
 * file size, a locked temporary file): GS_ERR_IO, a message naming the path, no
 * temporary file left, an existing target untouched.
 *
 * GAPSIM_H5OUT_KEEP=FILE also writes the synthetic file to FILE, for
 * tests/check_output.py.
 */
#define _DEFAULT_SOURCE /* mkdtemp, flock, setrlimit */

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "testutil.h"

#include "h5out.h"
#include "model.h"
#include "params.h"

enum { NC = 3, NQ = 2, NP = 2 };

/* A synthetic run: every number is exact in binary so read-back compares with ==. */
typedef struct {
    char dir[64];
    gs_scenario sc;
    gs_result res;
    double mean[VAR_COUNT * NC], sd[VAR_COUNT * NC], quantile[VAR_COUNT * NC * NQ];
    float paths[VAR_COUNT * NP * NC];
    char text[64];
} fixture;

static const h5out_meta meta = {"9.9.9", "abc1234", "gapsim run test.yaml --paths 2"};

static double mean_value(int v, int c) { return 100.0 * v + c + 0.25; }
static double sd_value(int v, int c) { return v + 0.5 * c; }
static double quantile_value(int v, int c, int q) { return 1000.0 * v + 10.0 * c + q; }
static float path_value(int v, int p, int c)
{
    return (float)v + 0.5f * (float)p + 0.125f * (float)c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_h5out.XXXXXX");
    assert_non_null(mkdtemp(f->dir));

    snprintf(f->text, sizeof f->text, "abc");
    f->sc.path = "scenarios/test.yaml";
    f->sc.name = "test";
    f->sc.description = "synthetic result of the h5out test";
    f->sc.text = f->text;
    f->sc.text_len = 3;
    params_defaults(&f->sc.params);
    f->sc.trajectories = 1000;
    f->sc.seed = 42;
    f->sc.n_quantiles = NQ;
    f->sc.quantiles[0] = 0.125, f->sc.quantiles[1] = 0.875;

    gs_result *r = &f->res;
    r->trajectories = 1000;
    r->seed = UINT64_MAX; /* the largest seed comes back exactly, also as text */
    r->n_cycles = NC;
    r->cycle_years = 0.5;
    r->n_quantiles = NQ;
    r->quantile_levels[0] = 0.125, r->quantile_levels[1] = 0.875;
    r->mean = f->mean, r->sd = f->sd, r->quantile = f->quantile;
    for (int v = 0; v < VAR_COUNT; v++) {
        r->nonfinite[v] = (uint64_t)v;
        for (int c = 0; c < NC; c++) {
            f->mean[result_ix(r, v, c)] = mean_value(v, c);
            f->sd[result_ix(r, v, c)] = sd_value(v, c);
            for (int q = 0; q < NQ; q++)
                f->quantile[result_qix(r, v, c, (size_t)q)] = quantile_value(v, c, q);
            for (int p = 0; p < NP; p++) /* paths: [var][trajectory][cycle] */
                f->paths[((size_t)v * NP + (size_t)p) * NC + (size_t)c] = path_value(v, p, c);
        }
    }
    for (int m = 0; m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            r->outcome_count[m][o] = (uint64_t)(10 * m + o);
            r->outcome_probability[m][o] = (10 * m + o) / 128.0;
            r->outcome_stderr[m][o] = 0.0625 * (m + 1);
            r->outcome_ci_low[m][o] = r->outcome_probability[m][o] - 0.03125;
            r->outcome_ci_high[m][o] = r->outcome_probability[m][o] + 0.03125;
        }
    r->n_paths = NP;
    r->paths = f->paths;
    r->threads = 2;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

/* Names in directory d other than . and .., joined by spaces into out. */
static int dir_entries(const char *d, char *out, size_t size)
{
    DIR *dp = opendir(d);
    int n = 0;
    out[0] = '\0';
    if (!dp) return -1;
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        strncat(out, e->d_name, size - strlen(out) - 2);
        strncat(out, " ", size - strlen(out) - 1);
    }
    closedir(dp);
    return n;
}

/* ---- readers ------------------------------------------------------------------- */

static char *read_attr_string(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) fail_msg("attribute %s missing", name);
    hid_t t = H5Aget_type(a);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    assert_false(H5Tis_variable_str(t));
    assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
    assert_int_equal(H5Tget_strpad(t), H5T_STR_NULLTERM);
    size_t size = H5Tget_size(t);
    char *s = calloc(size + 1, 1);
    assert_non_null(s);
    assert_true(H5Aread(a, t, s) >= 0);
    H5Tclose(t);
    H5Aclose(a);
    return s;
}

static void assert_attr_string(hid_t obj, const char *name, const char *want)
{
    char *s = read_attr_string(obj, name);
    if (strcmp(s, want)) fail_msg("attribute %s = \"%s\", expected \"%s\"", name, s, want);
    free(s);
}

static double read_attr_double(hid_t obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) fail_msg("attribute %s missing", name);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

static uint64_t read_attr_u64(hid_t obj, const char *name)
{
    uint64_t v = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) fail_msg("attribute %s missing", name);
    assert_true(H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0);
    H5Aclose(a);
    return v;
}

/* Reads dataset `name` (n values of mtype) into out, checking its element count. */
static void read_dataset(hid_t loc, const char *name, hid_t mtype, void *out, hssize_t n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) fail_msg("dataset %s missing", name);
    hid_t s = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(s), n);
    assert_true(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Sclose(s);
    H5Dclose(d);
}

/* A string coordinate: n variable-length UTF-8 strings into out (free_strings). */
/* A categorical coordinate: int32 codes 0..n-1 (a scale with flag_values and
 * flag_meanings) and its labels in the char array <name>_label; out[i] are copies
 * (free_strings frees them). */
static void read_strings(hid_t loc, const char *name, char **out, hssize_t n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) fail_msg("dataset %s missing", name);
    hid_t t = H5Dget_type(d);
    assert_int_equal(H5Tget_class(t), H5T_INTEGER);
    hid_t s = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(s), n);
    assert_int_equal(H5DSis_scale(d), 1);
    assert_int_equal(H5Aexists(d, "long_name"), 1);
    assert_int_equal(H5Aexists(d, "flag_values"), 1);
    assert_int_equal(H5Aexists(d, "flag_meanings"), 1);
    int codes[256];
    assert_true(n <= 256);
    assert_true(H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes) >= 0);
    for (hssize_t i = 0; i < n; i++) assert_int_equal(codes[i], i);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    char lname[128];
    snprintf(lname, sizeof lname, "%s_label", name);
    d = H5Dopen2(loc, lname, H5P_DEFAULT);
    if (d < 0) fail_msg("dataset %s missing", lname);
    t = H5Dget_type(d);
    assert_int_equal(H5Tget_class(t), H5T_STRING);
    assert_int_equal(H5Tget_size(t), 1);
    s = H5Dget_space(d);
    hsize_t dims[2];
    assert_int_equal(H5Sget_simple_extent_ndims(s), 2);
    H5Sget_simple_extent_dims(s, dims, NULL);
    assert_int_equal(dims[0], n);
    char *buf = calloc(dims[0] * dims[1], 1);
    assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    for (hssize_t i = 0; i < n; i++) {
        out[i] = calloc(dims[1] + 1, 1);
        memcpy(out[i], buf + (size_t)i * dims[1], dims[1]);
    }
    free(buf);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++) free(s[i]);
}

static void assert_variable(hid_t loc, const char *name, int rank, const char *const *scale_names)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) fail_msg("dataset %s missing", name);
    hid_t s = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_ndims(s), rank);
    for (int i = 0; i < rank; i++) {
        hid_t sc = H5Dopen2(loc, scale_names[i], H5P_DEFAULT);
        assert_true(sc >= 0);
        assert_int_equal(H5DSis_scale(sc), 1);
        if (H5DSis_attached(d, sc, (unsigned)i) != 1)
            fail_msg("%s: scale %s not attached on axis %d", name, scale_names[i], i);
        assert_int_equal(H5DSget_num_scales(d, (unsigned)i), 1);
        H5Dclose(sc);
    }
    assert_int_equal(H5Aexists(d, "long_name"), 1);
    assert_int_equal(H5Aexists(d, "units"), 1);
    hid_t dcpl = H5Dget_create_plist(d);
    assert_int_equal(H5Pget_layout(dcpl), H5D_CHUNKED);
    assert_int_equal(H5Pget_nfilters(dcpl), 2);
    unsigned flags, cd[8];
    size_t ncd = 8;
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
    ncd = 8;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
    H5Pclose(dcpl);
    H5Sclose(s);
    H5Dclose(d);
}

/* Every dataset in group g is a dimension scale or has one scale on each axis. */
static herr_t scales_everywhere_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    int *n_datasets = data;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    assert_true(o >= 0);
    if (H5Iget_type(o) == H5I_DATASET) {
        ++*n_datasets;
        if (H5DSis_scale(o) != 1) {
            hid_t s = H5Dget_space(o);
            int rank = H5Sget_simple_extent_ndims(s);
            for (int i = 0; i < rank; i++)
                if (H5DSget_num_scales(o, (unsigned)i) != 1)
                    fail_msg("dataset %s: axis %d has no dimension scale", name, i);
            H5Sclose(s);
        }
    }
    H5Oclose(o);
    return 0;
}

static int count_datasets_with_scales(hid_t g)
{
    int n = 0;
    assert_true(H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, scales_everywhere_cb, &n) >=
                0);
    return n;
}

/* ---- tests --------------------------------------------------------------------- */

/* Writes the fixture, reads every kind of object back and compares exactly. */
static void test_write_read_back(void **state)
{
    fixture *f = *state;
    char path[128], names[256];
    snprintf(path, sizeof path, "%s/out.h5", f->dir);
    gs_error err;
    gs_error_clear(&err);
    gs_status st = h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err);
    if (st != GS_OK) fail_msg("h5out_write: %s", err.msg);
    const char *keep = getenv("GAPSIM_H5OUT_KEEP");
    if (keep && *keep) assert_int_equal(h5out_write(keep, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err), GS_OK);
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 1); /* no temporary file */

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    hid_t gcpl = H5Gget_create_plist(root);
    unsigned order = 0;
    assert_true(H5Pget_link_creation_order(gcpl, &order) >= 0);
    assert_int_equal(order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    assert_true(H5Pget_attr_creation_order(gcpl, &order) >= 0);
    assert_int_equal(order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pclose(gcpl);
    H5Gclose(root);

    /* attributes */
    assert_attr_string(file, "Conventions", "CF-1.8");
    assert_attr_string(file, "title", "gapsim: test");
    assert_attr_string(file, "source", "gapsim 9.9.9 (git abc1234)");
    assert_attr_string(file, "scenario_name", "test");
    assert_attr_string(file, "scenario_file", "scenarios/test.yaml");
    assert_attr_string(file, "scenario_text", "abc");
    /* FIPS 180-2 test vector: SHA-256("abc") */
    assert_attr_string(file, "scenario_sha256",
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char *s = read_attr_string(file, "history");
    assert_non_null(strstr(s, " gapsim run test.yaml --paths 2"));
    free(s);
    s = read_attr_string(file, "created");
    assert_int_equal(strlen(s), 20); /* 2026-05-01T12:00:00Z */
    assert_int_equal(s[10], 'T');
    free(s);
    s = read_attr_string(file, "rng");
    assert_non_null(strstr(s, "pcg32"));
    free(s);
    assert_true(read_attr_double(file, "gapsim_format_version") == H5OUT_FORMAT_VERSION);
    assert_true(read_attr_u64(file, "seed") == UINT64_MAX);
    assert_true(read_attr_u64(file, "trajectories") == 1000);
    assert_true(read_attr_double(file, "threads") == 2);
    gs_params p;
    params_defaults(&p);
    assert_true(read_attr_double(file, "param_hardware_vol") == p.hardware_vol);
    assert_true(read_attr_double(file, "param_outcome_collapse_ratio") == p.outcome_collapse_ratio);
    for (int i = 0; i < PARAM_COUNT; i++) {
        char name[96];
        snprintf(name, sizeof name, "param_%s", params_table[i].key);
        for (char *c = name; *c; c++)
            if (*c == '.') *c = '_';
        if (H5Aexists(file, name) != 1) fail_msg("attribute %s missing", name);
    }
    assert_true(read_attr_double(file, "completed") == 1);
    char last[64] = "";
    assert_true(H5Aget_name_by_idx(file, "/", H5_INDEX_CRT_ORDER, H5_ITER_DEC, 0, last,
                                   sizeof last, H5P_DEFAULT) > 0);
    assert_string_equal(last, "completed");

    /* coordinates */
    int cycles[NC];
    double d[NC * NQ > METRIC_COUNT * OUTCOME_COUNT ? NC * NQ : METRIC_COUNT * OUTCOME_COUNT];
    read_dataset(file, "cycle", H5T_NATIVE_INT, cycles, NC);
    for (int c = 0; c < NC; c++) assert_int_equal(cycles[c], c);
    /* CF time: days since the start (2024.0 when unset), half-years starting 1 July */
    hid_t tv = H5Dopen2(file, "time", H5P_DEFAULT);
    assert_attr_string(tv, "units", "days since 2024-01-01 00:00:00");
    assert_attr_string(tv, "calendar", "standard");
    H5Dclose(tv);
    read_dataset(file, "time", H5T_NATIVE_DOUBLE, d, NC);
    static const double days[] = {0, 182, 366, 547, 731, 912, 1096, 1277};
    for (int c = 0; c < NC && c < 8; c++) assert_true(d[c] == days[c]);
    read_dataset(file, "year", H5T_NATIVE_DOUBLE, d, NC);
    for (int c = 0; c < NC; c++) assert_true(d[c] == 2024.0 + 0.5 * c);
    assert_attr_string(file, "seed_text", "18446744073709551615");
    read_dataset(file, "quantile", H5T_NATIVE_DOUBLE, d, NQ);
    assert_true(d[0] == 0.125 && d[1] == 0.875);
    char *labels[VAR_COUNT];
    read_strings(file, "outcome", labels, OUTCOME_COUNT);
    for (int o = 0; o < OUTCOME_COUNT; o++) assert_string_equal(labels[o], model_outcome_names[o]);
    free_strings(labels, OUTCOME_COUNT);
    read_strings(file, "metric", labels, METRIC_COUNT);
    assert_string_equal(labels[0], "lag_months");
    for (int m = 0; m < METRIC_COUNT; m++)
        assert_string_equal(labels[m], model_vars[model_metrics[m]].name);
    free_strings(labels, METRIC_COUNT);
    read_strings(file, "variable", labels, VAR_COUNT);
    for (int v = 0; v < VAR_COUNT; v++) assert_string_equal(labels[v], model_vars[v].name);
    free_strings(labels, VAR_COUNT);

    /* statistics: every variable, exact values and scales */
    const char *by_c[] = {"cycle"}, *by_cq[] = {"cycle", "quantile"};
    const char *by_mo[] = {"metric", "outcome"};
    for (int v = 0; v < VAR_COUNT; v++) {
        char name[96];
        snprintf(name, sizeof name, "%s_mean", model_vars[v].name);
        assert_variable(file, name, 1, by_c);
        read_dataset(file, name, H5T_NATIVE_DOUBLE, d, NC);
        for (int c = 0; c < NC; c++) assert_true(d[c] == mean_value(v, c));
        hid_t dd = H5Dopen2(file, name, H5P_DEFAULT);
        /* gapsim's unit as is, or in UDUNITS spelling with the original beside it */
        char *units = read_attr_string(dd, H5Aexists(dd, "gapsim_units") > 0 ? "gapsim_units" : "units");
        assert_string_equal(units, model_vars[v].units);
        free(units);
        units = read_attr_string(dd, "units");
        assert_true(strstr(units, "USD") == NULL);
        free(units);
        char *coords = read_attr_string(dd, "coordinates");
        assert_string_equal(coords, "time");
        free(coords);
        H5Dclose(dd);
        snprintf(name, sizeof name, "%s_sd", model_vars[v].name);
        assert_variable(file, name, 1, by_c);
        read_dataset(file, name, H5T_NATIVE_DOUBLE, d, NC);
        for (int c = 0; c < NC; c++) assert_true(d[c] == sd_value(v, c));
        snprintf(name, sizeof name, "%s_quantile", model_vars[v].name);
        assert_variable(file, name, 2, by_cq);
        read_dataset(file, name, H5T_NATIVE_DOUBLE, d, NC * NQ);
        for (int c = 0; c < NC; c++)
            for (int q = 0; q < NQ; q++) assert_true(d[c * NQ + q] == quantile_value(v, c, q));
    }
    const char *outcome_vars[] = {"outcome_probability", "outcome_stderr", "outcome_ci_low",
                                  "outcome_ci_high", "outcome_count"};
    for (int i = 0; i < 5; i++) assert_variable(file, outcome_vars[i], 2, by_mo);
    read_dataset(file, "outcome_ci_high", H5T_NATIVE_DOUBLE, d, METRIC_COUNT * OUTCOME_COUNT);
    for (int m = 0; m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++)
            assert_true(d[m * OUTCOME_COUNT + o] == f->res.outcome_ci_high[m][o]);
    uint64_t counts[METRIC_COUNT * OUTCOME_COUNT], nonfinite[VAR_COUNT];
    read_dataset(file, "outcome_count", H5T_NATIVE_UINT64, counts, METRIC_COUNT * OUTCOME_COUNT);
    for (int m = 0; m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++)
            assert_true(counts[m * OUTCOME_COUNT + o] == f->res.outcome_count[m][o]);
    const char *by_v[] = {"variable"};
    assert_variable(file, "nonfinite_count", 1, by_v);
    read_dataset(file, "nonfinite_count", H5T_NATIVE_UINT64, nonfinite, VAR_COUNT);
    for (int v = 0; v < VAR_COUNT; v++) assert_true(nonfinite[v] == (uint64_t)v);
    uint64_t undefined[METRIC_COUNT];
    const char *by_m[] = {"metric"};
    assert_variable(file, "outcome_undefined", 1, by_m);
    read_dataset(file, "outcome_undefined", H5T_NATIVE_UINT64, undefined, METRIC_COUNT);
    for (int m = 0; m < METRIC_COUNT; m++) assert_true(undefined[m] == f->res.outcome_undefined[m]);
    /* coordinates: cycle, time, year, quantile, and 3 for each of metric, outcome,
     * variable (codes, labels, label length) + statistics 3 per variable + outcomes 5
     * + undefined 1 + nonfinite 1 */
    assert_int_equal(count_datasets_with_scales(file), 13 + 3 * VAR_COUNT + 5 + 1 + 1);

    /* paths */
    hid_t g = H5Gopen2(file, "paths", H5P_DEFAULT);
    assert_true(g >= 0);
    uint64_t traj[NP];
    read_dataset(g, "trajectory", H5T_NATIVE_UINT64, traj, NP);
    assert_true(traj[0] == 0 && traj[1] == 1);
    read_dataset(g, "cycle", H5T_NATIVE_INT, cycles, NC);
    assert_int_equal(cycles[NC - 1], NC - 1);
    const char *by_tc[] = {"trajectory", "cycle"};
    float pv[NP * NC];
    for (int v = 0; v < VAR_COUNT; v++) {
        assert_variable(g, model_vars[v].name, 2, by_tc);
        hid_t dd = H5Dopen2(g, model_vars[v].name, H5P_DEFAULT);
        hid_t ft = H5Dget_type(dd);
        assert_true(H5Tequal(ft, H5T_IEEE_F32LE) > 0);
        H5Tclose(ft);
        H5Dclose(dd);
        read_dataset(g, model_vars[v].name, H5T_NATIVE_FLOAT, pv, NP * NC);
        for (int p2 = 0; p2 < NP; p2++)
            for (int c = 0; c < NC; c++) assert_true(pv[p2 * NC + c] == path_value(v, p2, c));
    }
    assert_int_equal(count_datasets_with_scales(g), 4 + VAR_COUNT); /* trajectory, cycle, time, year */
    H5Gclose(g);
    H5Fclose(file);
}

/* SHA-256 of multi-block texts (FIPS 180-2 vectors), the second 1 MB: also a
 * scenario_text attribute far beyond the 64 KiB of compact attribute storage. */
static void test_sha256_and_large_text(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *text;
        size_t repeat;
        const char *sha;
    } vec[] = {
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
        {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    char path[128];
    snprintf(path, sizeof path, "%s/sha.h5", f->dir);
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        size_t unit = strlen(vec[i].text), len = unit * vec[i].repeat;
        char *text = malloc(len + 1);
        assert_non_null(text);
        for (size_t r = 0; r < vec[i].repeat; r++) memcpy(text + r * unit, vec[i].text, unit);
        text[len] = '\0';
        f->sc.text = text, f->sc.text_len = len;
        f->res.n_paths = 0; /* also: no paths group */
        gs_error err;
        if (h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err) != GS_OK) fail_msg("%s", err.msg);
        hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(file >= 0);
        assert_attr_string(file, "scenario_sha256", vec[i].sha);
        char *back = read_attr_string(file, "scenario_text");
        assert_int_equal(strlen(back), len);
        assert_memory_equal(back, text, len);
        assert_int_equal(H5Lexists(file, "paths", H5P_DEFAULT), 0);
        free(back);
        H5Fclose(file);
        free(text);
    }
}

/* A target whose directory does not exist. */
static void test_missing_directory(void **state)
{
    fixture *f = *state;
    char path[128], names[256];
    snprintf(path, sizeof path, "%s/missing/out.h5", f->dir);
    gs_error err;
    assert_int_equal(h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err), GS_ERR_IO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 0);
}

/* A target that is a directory, with and without a trailing slash. */
static void test_target_is_directory(void **state)
{
    fixture *f = *state;
    char path[128], names[256];
    snprintf(path, sizeof path, "%s/sub", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    gs_error err;
    assert_int_equal(h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err), GS_ERR_IO);
    assert_non_null(strstr(err.msg, path));
    strcat(path, "/");
    assert_int_equal(h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err), GS_ERR_IO);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 1);
    assert_string_equal(names, "sub ");
    assert_int_equal(dir_entries(path, names, sizeof names), 0);
}

static void write_file(const char *path, const char *content)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(content, fp);
    assert_int_equal(fclose(fp), 0);
}

static void assert_file_content(const char *path, const char *content)
{
    char buf[64] = "";
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    assert_string_equal(buf, content);
}

/* A write that fails half-way (file size limit below what the 1 MB scenario text
 * needs: the kernel refuses with EFBIG) leaves the old target as it was and no
 * temporary file; h5out_cleanup_on_signal is then a no-op. */
static void test_failed_write_keeps_target(void **state)
{
    fixture *f = *state;
    char path[128], names[256];
    snprintf(path, sizeof path, "%s/keep.h5", f->dir);
    write_file(path, "precious");
    size_t len = 1000000;
    char *text = malloc(len + 1);
    assert_non_null(text);
    memset(text, 'x', len);
    text[len] = '\0';
    f->sc.text = text, f->sc.text_len = len;

    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    gs_error err;
    gs_status st = h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    free(text);

    assert_int_equal(st, GS_ERR_IO);
    assert_non_null(strstr(err.msg, path));
    assert_null(strchr(err.msg, '\n'));
    assert_file_content(path, "precious");
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 1);
    h5out_cleanup_on_signal();
    assert_file_content(path, "precious");
}

/* Temporary names are never shared: a file at the name an earlier gapsim would have
 * used (`.NAME.tmp.PID`), locked by another process, used to make the write fail; now
 * every write creates its own file exclusively, so the write succeeds and leaves that
 * file alone.  (The lock-failure message and its HDF5_USE_FILE_LOCKING hint are tested
 * with an LD_PRELOAD shim in tests/e2e_reliability.sh.) */
static void test_tmp_name_not_shared(void **state)
{
    fixture *f = *state;
    char path[128], tmp[160], names[256];
    snprintf(path, sizeof path, "%s/locked.h5", f->dir);
    snprintf(tmp, sizeof tmp, "%s/.locked.h5.tmp.%ld", f->dir, (long)getpid());
    int fd = open(tmp, O_CREAT | O_RDWR, 0600);
    assert_true(fd >= 0);
    int locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
    gs_error err;
    gs_status st = h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err);
    close(fd);
    if (st != GS_OK) print_error("%s\n", err.msg);
    assert_int_equal(st, GS_OK);
    (void)locked;
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 2); /* output + the other file */
    unlink(tmp);
    unlink(path);
}

/* Two processes writing one target at the same time: each has its own temporary file,
 * both succeed, the last rename wins, the file is complete and no temporary file is
 * left.  (A guard: a fixed temporary name, as --shard's `OUT.tmp` was, fails it.) */
static void test_concurrent_writers(void **state)
{
    fixture *f = *state;
    char path[128], names[256];
    snprintf(path, sizeof path, "%s/both.h5", f->dir);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            gs_error err;
            int bad = 0;
            for (int i = 0; i < 4; i++) bad |= h5out_write(path, &f->sc, &(gs_study_result){.run = f->res}, &meta, &err) != GS_OK;
            _exit(bad);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status;
        assert_true(waitpid(kids[k], &status, 0) == kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Aexists(file, "completed") > 0);
    H5Fclose(file);
    assert_int_equal(dir_entries(f->dir, names, sizeof names), 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_and_large_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_is_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_keeps_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmp_name_not_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
