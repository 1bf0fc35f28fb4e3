/* h5in.c - a gapsim result file read back into a scenario and a result (see h5in.h).
 *
 * The reader trusts nothing: every dataset's rank and extent are checked against the
 * coordinates before it is read, labels are matched by name, and every HDF5 call is
 * checked with automatic error printing off.  A sweep file is recognised by its
 * `point` coordinate; then every per-run variable has a leading point axis and one
 * hyperslab row of it is read.
 *
 * Not thread-safe (HDF5 serial); nothing is left open after a call returns.
 */
#define _POSIX_C_SOURCE 200809L

#include "h5in.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "h5out.h"
#include "h5util.h"
#include "hash.h"
#include "model.h"
#include "params.h"
#include "scenario.h"
#include "sensitivity.h"

/* The root attribute that records run key RUNKEY_<k> (runkeys.def's RA lines: the name
 * h5out writes), so that the list stays the one source of these names. */
#define RUNKEY_ATTR(k) (runkeys_table[RUNKEY_##k].attribute)

enum {
    CAUSE_MAX = 512, /* innermost HDF5 error description kept */
    LABEL_MAX = 128, /* longest coordinate label kept, NUL included */
    MAX_LABELS = 256 /* most entries of a string coordinate */
};

/* The reader's context: the path for messages, the caller's error, the open file and
 * the sweep point (-1 for a single run) with the number of points. */
typedef struct {
    const char *path;
    gs_error *err;
    hid_t file;
    long point;
    hsize_t n_points;
} h5r;

/* ---- errors --------------------------------------------------------------------- */

/* Fails with GS_ERR_INPUT: "PATH: problem". */
static gs_status bad(const h5r *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static gs_status bad(const h5r *r, const char *fmt, ...)
{
    char what[GS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gs_error_set(r->err, GS_ERR_INPUT, "%s: %s", r->path, what);
}

/* As bad(), with the innermost cause of HDF5's error stack appended ("...: CAUSE").
 * Must follow the failing HDF5 call directly: the next API call clears the stack. */
static gs_status bad_h5(const h5r *r, const char *doing)
{
    char cause[CAUSE_MAX];
    const char *hint = h5util_cause(cause, sizeof cause) ? H5UTIL_LOCKING_HINT : "";
    return bad(r, "%s: %s%s", doing, cause, hint);
}

static gs_status nomem(const h5r *r)
{
    return gs_error_set(r->err, GS_ERR_NOMEM, "%s: out of memory", r->path);
}

/* ---- attributes ------------------------------------------------------------------- */

static int attr_has(const h5r *r, const char *name)
{
    return H5Aexists(r->file, name) > 0;
}

/* Reads the numeric root attribute `name` (one value) converted to mtype into out:
 * H5T_NATIVE_UINT64 and _LLONG / _INT need an integer (a non-negative one for UINT64;
 * _INT within int's range), H5T_NATIVE_DOUBLE any number.  Fails if it is missing, of
 * another type or holds more than one value (h5util). */
static gs_status attr_num(const h5r *r, const char *name, hid_t mtype, void *out)
{
    if (H5Tequal(mtype, H5T_NATIVE_UINT64) > 0)
        return h5util_read_u64(r->file, r->path, name, out, r->err);
    if (H5Tequal(mtype, H5T_NATIVE_DOUBLE) > 0)
        return h5util_read_double(r->file, r->path, name, out, r->err);
    long long v;
    int is_int = H5Tequal(mtype, H5T_NATIVE_INT) > 0;
    GS_FORWARD(h5util_read_i64(r->file, r->path, name, is_int ? INT_MIN : LLONG_MIN,
                               is_int ? INT_MAX : LLONG_MAX, &v, r->err));
    if (is_int)
        *(int *)out = (int)v;
    else
        *(long long *)out = v;
    return GS_OK;
}

/* Reads the string root attribute `name` (fixed-length or variable-length) into a new
 * NUL-terminated string *out (the caller frees it) of length *len (may be NULL). */
static gs_status attr_string(const h5r *r, const char *name, char **out, size_t *len)
{
    return h5util_read_string(r->file, r->path, name, out, len, r->err);
}

/* ---- datasets --------------------------------------------------------------------- */

static int dset_has(const h5r *r, const char *name)
{
    return H5Lexists(r->file, name, H5P_DEFAULT) > 0;
}

/* The length of the one-dimensional root dataset `name` (a coordinate). */
static gs_status coord_len(const h5r *r, const char *name, hsize_t *n)
{
    if (!dset_has(r, name)) return bad(r, "no coordinate '%s'", name);
    H5T_class_t cls = H5T_NO_CLASS;
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    if (t >= 0) cls = H5Tget_class(t);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    if (d < 0) return bad_h5(r, "opening a coordinate");
    /* string coordinates hold names, the others numbers */
    return h5util_check_dset(r->file, r->path, name, cls == H5T_STRING ? H5T_STRING : H5T_NO_CLASS,
                             1, NULL, n, r->err);
}

/* Reads dataset `name` of shape dims[0..rank) (rank 0..3), converted to mtype, into buf.
 * A per-run variable (per_run != 0) of a sweep file has a point axis: its shape must be
 * (n_points, dims...), or for a per-cycle statistic (per_run == PER_RUN_TIMED)
 * (cycle, n_points, dims[1]...), and point r->point is read. */
enum { PER_RUN_TIMED = 2 };
static gs_status dset_read(const h5r *r, const char *name, int per_run, int rank,
                           const hsize_t *dims, hid_t mtype, void *buf)
{
    if (!dset_has(r, name)) return bad(r, "no dataset '%s'", name);
    /* counts must be stored as integers, the rest may be any number */
    int want_int = H5Tequal(mtype, H5T_NATIVE_UINT64) > 0 || H5Tequal(mtype, H5T_NATIVE_INT) > 0;
    int lead = per_run && r->point >= 0;
    GS_FORWARD(h5util_check_dset(r->file, r->path, name, want_int ? H5T_INTEGER : H5T_NO_CLASS,
                                 rank + lead, NULL, NULL, r->err));
    int pax = per_run == PER_RUN_TIMED ? 1 : 0; /* the point axis of a sweep file */
    hsize_t fdims[H5S_MAX_RANK], start[4] = {0}, count[4];
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    hid_t fs = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    gs_status st = fs < 0 ? bad_h5(r, "opening a dataset") : GS_OK;
    int frank = st == GS_OK ? H5Sget_simple_extent_ndims(fs) : -1;
    int ok = st == GS_OK && frank == rank + lead && frank <= 4 &&
             H5Sget_simple_extent_dims(fs, fdims, NULL) >= 0;
    for (int i = 0; ok && i < rank; i++) ok = fdims[lead && i >= pax ? i + 1 : i] == dims[i];
    if (ok && lead) ok = fdims[pax] == r->n_points;
    if (st == GS_OK && !ok)
        st = bad(r, "dataset '%s' does not have the shape of its coordinates", name);
    hid_t ms = H5I_INVALID_HID;
    if (st == GS_OK) {
        for (int i = 0; i < frank; i++) count[i] = fdims[i];
        if (lead) start[pax] = (hsize_t)r->point, count[pax] = 1;
        ms = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf) < 0)
            st = bad_h5(r, "reading a dataset");
    }
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
    return st;
}

/* The labels of an integer-coded coordinate `name` from its char array
 * name_label(name, name_strlen) into lab[0..n) (NUL-padded, cut at LABEL_MAX - 1). */
static gs_status char_labels_read(const h5r *r, const char *name, hsize_t n,
                                  char (*lab)[LABEL_MAX])
{
    char lname[LABEL_MAX + 8];
    snprintf(lname, sizeof lname, "%s_label", name);
    if (!dset_has(r, lname)) return bad(r, "coordinate '%s' has no labels '%s'", name, lname);
    hid_t d = H5Dopen2(r->file, lname, H5P_DEFAULT);
    hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t s = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    gs_status st = t < 0 || s < 0 ? bad_h5(r, "opening a coordinate") : GS_OK;
    if (st == GS_OK && (H5Tget_class(t) != H5T_STRING || H5Tget_size(t) != 1 ||
                        H5Sget_simple_extent_ndims(s) != 2 ||
                        H5Sget_simple_extent_dims(s, dims, NULL) < 0 || dims[0] != n ||
                        dims[1] == 0 || dims[1] > 4096))
        st = bad(r, "'%s' is not a char array of the labels of '%s'", lname, name);
    char *buf = st == GS_OK ? calloc(n ? n * dims[1] : 1, 1) : NULL;
    if (st == GS_OK && !buf) st = nomem(r);
    if (st == GS_OK && n && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = bad_h5(r, "reading a coordinate");
    for (hsize_t i = 0; st == GS_OK && i < n; i++) {
        size_t len = strnlen(buf + i * dims[1], dims[1]);
        snprintf(lab[i], LABEL_MAX, "%.*s", (int)len, buf + i * dims[1]);
    }
    free(buf);
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    return st;
}

/* Reads the coordinate `name` into a new array *out of *n labels (the caller frees it;
 * labels longer than LABEL_MAX - 1 bytes are cut): an integer-coded coordinate's
 * name_label char array, or (files of before) fixed- or variable-length strings. */
static gs_status labels_read(const h5r *r, const char *name, char (**out)[LABEL_MAX], hsize_t *n)
{
    *out = NULL;
    GS_FORWARD(coord_len(r, name, n));
    if (*n > MAX_LABELS) return bad(r, "coordinate '%s' has too many labels", name);
    char(*lab)[LABEL_MAX] = calloc(*n ? *n : 1, sizeof *lab);
    char **vlen = calloc(*n ? *n : 1, sizeof *vlen);
    hid_t d = H5Dopen2(r->file, name, H5P_DEFAULT);
    hid_t t = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hid_t m = t < 0 ? H5I_INVALID_HID : H5Tcopy(H5T_C_S1);
    gs_status st = !lab || !vlen ? nomem(r) : m < 0 ? bad_h5(r, "opening a coordinate") : GS_OK;
    if (st == GS_OK && H5Tget_class(t) == H5T_INTEGER) {
        st = char_labels_read(r, name, *n, lab);
    } else if (st == GS_OK && H5Tget_class(t) != H5T_STRING)
        st = bad(r, "coordinate '%s' is not a list of names", name);
    else if (st == GS_OK && H5Tset_cset(m, H5Tget_cset(t)) < 0) st = bad_h5(r, "reading a coordinate");
    else if (st == GS_OK && H5Tis_variable_str(t) > 0) {
        if (H5Tset_size(m, H5T_VARIABLE) < 0 ||
            H5Dread(d, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, vlen) < 0)
            st = bad_h5(r, "reading a coordinate");
        for (hsize_t i = 0; st == GS_OK && i < *n; i++)
            snprintf(lab[i], LABEL_MAX, "%s", vlen[i] ? vlen[i] : "");
        for (hsize_t i = 0; i < *n; i++)
            if (vlen[i]) H5free_memory(vlen[i]);
    } else if (st == GS_OK) {
        if (H5Tset_size(m, LABEL_MAX) < 0 || H5Tset_strpad(m, H5T_STR_NULLTERM) < 0 ||
            H5Dread(d, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) < 0)
            st = bad_h5(r, "reading a coordinate");
    }
    if (m >= 0) H5Tclose(m);
    if (t >= 0) H5Tclose(t);
    if (d >= 0) H5Dclose(d);
    free(vlen);
    if (st != GS_OK)
        free(lab);
    else
        *out = lab;
    return st;
}

/* Matches the string coordinate `name` against the names gapsim writes: on success
 * file_ix[j] is the position in the file of names[j] for j < n.  The file may hold the
 * labels in any order but must hold all of them. */
static gs_status labels_match(const h5r *r, const char *name, const char *const *names, size_t n,
                              int *file_ix, hsize_t *n_file)
{
    char(*lab)[LABEL_MAX];
    GS_FORWARD(labels_read(r, name, &lab, n_file));
    gs_status st = GS_OK;
    for (size_t j = 0; st == GS_OK && j < n; j++) {
        file_ix[j] = -1;
        for (hsize_t i = 0; i < *n_file; i++)
            if (!strcmp(lab[i], names[j])) file_ix[j] = (int)i;
        if (file_ix[j] < 0) st = bad(r, "coordinate '%s' lacks '%s'", name, names[j]);
    }
    free(lab);
    return st;
}

/* ---- opening ---------------------------------------------------------------------- */

/* Opens r->path read-only and checks what makes it a readable gapsim file: HDF5, a
 * gapsim_format_version this build reads, completed = 1.  Reads the number of sweep
 * points.  On failure nothing is open. */
static gs_status file_open(h5r *r)
{
    struct stat sb;
    r->file = H5I_INVALID_HID;
    if (stat(r->path, &sb) != 0)
        return gs_error_set(r->err, GS_ERR_INPUT, "%s: cannot read: %s", r->path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return bad(r, "is a directory, not a result file");
    /* As in h5out: no HDF5 shutdown at exit, no automatic error printing. */
    h5util_init();
    r->file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->file < 0) return bad_h5(r, "not a readable HDF5 file (truncated or damaged?)");

    long long version = 0, completed = 0;
    gs_status st = GS_OK;
    if (!attr_has(r, "gapsim_format_version"))
        st = bad(r, "not a gapsim result file (no gapsim_format_version attribute)");
    if (st == GS_OK) st = attr_num(r, "gapsim_format_version", H5T_NATIVE_LLONG, &version);
    if (st == GS_OK && version != H5OUT_FORMAT_VERSION)
        st = bad(r,
                 "gapsim format version %lld is not supported (this gapsim reads version %d); "
                 "%s",
                 version, H5OUT_FORMAT_VERSION,
                 version < H5OUT_FORMAT_VERSION ? "re-run the scenario to make a current file"
                                                : "use a newer gapsim");
    if (st == GS_OK &&
        (!attr_has(r, "completed") ||
         attr_num(r, "completed", H5T_NATIVE_LLONG, &completed) != GS_OK || completed != 1))
        st = bad(r, "incomplete file (no completed = 1: the run that wrote it did not finish)");
    r->n_points = 0;
    if (st == GS_OK && dset_has(r, "point")) st = coord_len(r, "point", &r->n_points);
    if (st != GS_OK) {
        H5Fclose(r->file);
        r->file = H5I_INVALID_HID;
    }
    return st;
}

gs_status h5in_probe(const char *path, h5in_info *info, gs_error *err)
{
    h5r r = {.path = path ? path : "", .err = err, .point = H5IN_SINGLE};
    gs_error_clear(err);
    GS_FORWARD(file_open(&r));
    info->format_version = H5OUT_FORMAT_VERSION;
    info->n_points = (long)r.n_points;
    H5Fclose(r.file);
    return GS_OK;
}

/* ---- the result --------------------------------------------------------------------- */

/* The statistics of every recorded variable: <var>_mean, <var>_sd (cycle) and
 * <var>_quantile (cycle, quantile), whose file layout per variable is the result's. */
static gs_status stats_read(const h5r *r, gs_result *res)
{
    size_t nc = (size_t)res->n_cycles, nq = res->n_quantiles;
    res->mean = malloc(VAR_COUNT * nc * sizeof *res->mean);
    res->sd = malloc(VAR_COUNT * nc * sizeof *res->sd);
    res->quantile = malloc(VAR_COUNT * nc * (nq ? nq : 1) * sizeof *res->quantile);
    if (!res->mean || !res->sd || !res->quantile) return nomem(r);
    const hsize_t dims[2] = {nc, nq};
    char name[96];
    for (int v = 0; v < VAR_COUNT; v++) {
        snprintf(name, sizeof name, "%s_mean", model_vars[v].name);
        GS_FORWARD(
            dset_read(r, name, PER_RUN_TIMED, 1, dims, H5T_NATIVE_DOUBLE, res->mean + result_ix(res, v, 0)));
        snprintf(name, sizeof name, "%s_sd", model_vars[v].name);
        GS_FORWARD(
            dset_read(r, name, PER_RUN_TIMED, 1, dims, H5T_NATIVE_DOUBLE, res->sd + result_ix(res, v, 0)));
        snprintf(name, sizeof name, "%s_quantile", model_vars[v].name);
        if (nq)
            GS_FORWARD(dset_read(r, name, PER_RUN_TIMED, 2, dims, H5T_NATIVE_DOUBLE,
                                 res->quantile + result_ix(res, v, 0) * nq));
    }
    return GS_OK;
}

/* The outcome tables (metric, outcome), reordered from the file's label order to
 * model_metrics[] x model_outcome_names[]. */
static gs_status outcomes_read(const h5r *r, gs_result *res)
{
    const char *metric_names[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++) metric_names[m] = model_vars[model_metrics[m]].name;
    int mix[METRIC_COUNT], oix[OUTCOME_COUNT];
    hsize_t dims[2];
    GS_FORWARD(labels_match(r, "metric", metric_names, METRIC_COUNT, mix, &dims[0]));
    GS_FORWARD(labels_match(r, "outcome", model_outcome_names, OUTCOME_COUNT, oix, &dims[1]));
    struct {
        const char *name;
        double (*dst)[OUTCOME_COUNT];
    } tables[] = {
        {"outcome_probability", res->outcome_probability},
        {"outcome_stderr", res->outcome_stderr},
        {"outcome_ci_low", res->outcome_ci_low},
        {"outcome_ci_high", res->outcome_ci_high},
    };
    size_t cells = (size_t)(dims[0] * dims[1]);
    double *buf = malloc(cells * sizeof *buf);
    uint64_t *counts = malloc(cells * sizeof *counts);
    gs_status st = buf && counts ? GS_OK : nomem(r);
    for (size_t i = 0; st == GS_OK && i < sizeof tables / sizeof tables[0]; i++) {
        st = dset_read(r, tables[i].name, 1, 2, dims, H5T_NATIVE_DOUBLE, buf);
        for (int m = 0; st == GS_OK && m < METRIC_COUNT; m++)
            for (int o = 0; o < OUTCOME_COUNT; o++)
                tables[i].dst[m][o] = buf[(size_t)mix[m] * (size_t)dims[1] + (size_t)oix[o]];
    }
    /* outcome_count is gapsim's own addition to the contract: optional (zeros). */
    int have_counts = dset_has(r, "outcome_count");
    if (st == GS_OK && have_counts)
        st = dset_read(r, "outcome_count", 1, 2, dims, H5T_NATIVE_UINT64, counts);
    for (int m = 0; st == GS_OK && m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++)
            res->outcome_count[m][o] =
                have_counts ? counts[(size_t)mix[m] * (size_t)dims[1] + (size_t)oix[o]] : 0;
    /* every trajectory falls in at most one class of each metric */
    for (hsize_t m = 0; st == GS_OK && have_counts && m < dims[0]; m++) {
        uint64_t sum = 0;
        for (hsize_t o = 0; o < dims[1]; o++) sum += counts[m * dims[1] + o];
        if (sum > res->trajectories)
            st = bad(r, "dataset 'outcome_count' counts %llu trajectories of a run of %llu",
                     (unsigned long long)sum, (unsigned long long)res->trajectories);
    }
    /* outcome_undefined(metric), likewise optional (zeros without it) */
    if (st == GS_OK && dset_has(r, "outcome_undefined")) {
        st = dset_read(r, "outcome_undefined", 1, 1, dims, H5T_NATIVE_UINT64, counts);
        for (int m = 0; st == GS_OK && m < METRIC_COUNT; m++)
            res->outcome_undefined[m] = counts[mix[m]];
    }
    free(buf);
    free(counts);
    return st;
}

/* nonfinite_count(variable), optional (not part of the contract): zeros without it. */
static gs_status nonfinite_read(const h5r *r, gs_result *res)
{
    memset(res->nonfinite, 0, sizeof res->nonfinite);
    if (!dset_has(r, "nonfinite_count") || !dset_has(r, "variable")) return GS_OK;
    const char *names[VAR_COUNT];
    for (int v = 0; v < VAR_COUNT; v++) names[v] = model_vars[v].name;
    int vix[VAR_COUNT];
    hsize_t n;
    GS_FORWARD(labels_match(r, "variable", names, VAR_COUNT, vix, &n));
    uint64_t *buf = malloc((size_t)n * sizeof *buf);
    if (!buf) return nomem(r);
    gs_status st = dset_read(r, "nonfinite_count", 1, 1, &n, H5T_NATIVE_UINT64, buf);
    for (int v = 0; st == GS_OK && v < VAR_COUNT; v++) res->nonfinite[v] = buf[vix[v]];
    free(buf);
    return st;
}

/* ---- uncertain parameters and their sensitivity -------------------------------------- */

/* Reads `name`, of dims ([rows,] [sides,] metric) in the file's metric order, into dst
 * laid out [rows][sides][METRIC_COUNT] in model_metrics order (mix from labels_match). */
static gs_status metric_table_read(const h5r *r, const char *name, size_t rows, int sides,
                                   const int *mix, hsize_t n_metric, double *dst)
{
    hsize_t dims[3];
    int rank = 0;
    if (rows) dims[rank++] = rows;
    if (sides) dims[rank++] = (hsize_t)sides;
    dims[rank++] = n_metric;
    size_t lines = (rows ? rows : 1) * (size_t)(sides ? sides : 1);
    double *buf = malloc(lines * (size_t)n_metric * sizeof *buf);
    if (!buf) return nomem(r);
    gs_status st = dset_read(r, name, 0, rank, dims, H5T_NATIVE_DOUBLE, buf);
    for (size_t l = 0; st == GS_OK && l < lines; l++)
        for (int q = 0; q < METRIC_COUNT; q++)
            dst[l * METRIC_COUNT + (size_t)q] = buf[l * (size_t)n_metric + (size_t)mix[q]];
    free(buf);
    return st;
}

/* The distribution text of `key` from "key: text; key: text" into out ("" if absent). */
static void dist_text_of(const char *all, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    out[0] = '\0';
    for (const char *p = all; p && *p; p = strstr(p, "; "), p = p ? p + 2 : NULL)
        if (!strncmp(p, key, klen) && !strncmp(p + klen, ": ", 2)) {
            const char *text = p + klen + 2, *end = strstr(text, "; ");
            snprintf(out, size, "%.*s", (int)(end ? (size_t)(end - text) : strlen(text)), text);
            return;
        }
}

/* The tornado's and the Sobol analysis's tables, where the file has them. */
static gs_status sensitivity_read(const h5r *r, gs_uncertainty *u, const int *mix, hsize_t nm)
{
    size_t d = u->d;
    if (dset_has(r, "tornado_compound")) {
        u->has_tornado = 1;
        GS_FORWARD(
            metric_table_read(r, "tornado_compound", d, 2, mix, nm, &u->tornado_compound[0][0][0]));
        GS_FORWARD(
            metric_table_read(r, "tornado_median", d, 2, mix, nm, &u->tornado_median[0][0][0]));
        GS_FORWARD(
            metric_table_read(r, "tornado_base_compound", 0, 0, mix, nm, u->tornado_base_compound));
        GS_FORWARD(
            metric_table_read(r, "tornado_base_median", 0, 0, mix, nm, u->tornado_base_median));
        if (attr_has(r, RUNKEY_ATTR(SENS_TRAJECTORIES)))
            GS_FORWARD(attr_num(r, RUNKEY_ATTR(SENS_TRAJECTORIES), H5T_NATIVE_UINT64,
                                &u->tornado_trajectories));
    }
    if (!dset_has(r, "sobol_first")) return GS_OK;
    u->has_sobol = 1;
    const struct {
        const char *name;
        double (*dst)[METRIC_COUNT];
    } tables[] = {{"sobol_first", u->first},
                  {"sobol_first_ci_low", u->first_lo},
                  {"sobol_first_ci_high", u->first_hi},
                  {"sobol_total", u->total},
                  {"sobol_total_ci_low", u->total_lo},
                  {"sobol_total_ci_high", u->total_hi}};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        GS_FORWARD(metric_table_read(r, tables[i].name, d, 0, mix, nm, &tables[i].dst[0][0]));
    if (dset_has(r, "sobol_variance"))
        GS_FORWARD(metric_table_read(r, "sobol_variance", 0, 0, mix, nm, u->sobol_variance));
    if (attr_has(r, RUNKEY_ATTR(SENS_SAMPLES)))
        GS_FORWARD(attr_num(r, RUNKEY_ATTR(SENS_SAMPLES), H5T_NATIVE_UINT64, &u->sobol_samples));
    if (attr_has(r, RUNKEY_ATTR(SENS_BOOTSTRAP)))
        GS_FORWARD(attr_num(r, RUNKEY_ATTR(SENS_BOOTSTRAP), H5T_NATIVE_UINT64, &u->sobol_bootstrap));
    return GS_OK;
}

/* The rank correlations asked for and achieved: correlation_pair labels "a ~ b". */
static gs_status pairs_read(const h5r *r, gs_uncertainty *u)
{
    if (!dset_has(r, "correlation_pair")) return GS_OK;
    char(*lab)[LABEL_MAX];
    hsize_t n;
    GS_FORWARD(labels_read(r, "correlation_pair", &lab, &n));
    gs_status st = n > SCENARIO_MAX_RANK_CORR ? bad(r, "too many correlation pairs") : GS_OK;
    for (hsize_t c = 0; st == GS_OK && c < n; c++) {
        char *tilde = strstr(lab[c], " ~ ");
        if (tilde) *tilde = '\0';
        int a = params_find(lab[c]), b = tilde ? params_find(tilde + 3) : -1;
        if (a < 0 || b < 0)
            st = bad(r, "correlation pair %llu names an unknown key", (unsigned long long)c);
        u->pair_a[c] = (gs_param_id)a, u->pair_b[c] = (gs_param_id)b;
    }
    u->n_pairs = (size_t)n;
    if (st == GS_OK)
        st = dset_read(r, "rank_correlation_target", 0, 1, &n, H5T_NATIVE_DOUBLE, u->pair_target);
    if (st == GS_OK)
        st = dset_read(r, "rank_correlation_achieved", 0, 1, &n, H5T_NATIVE_DOUBLE,
                       u->pair_achieved);
    free(lab);
    return st;
}

/* A run with uncertain parameters (a `parameter` coordinate; single runs only): the
 * parameters, their distributions and percentiles, the rank correlations and the
 * sensitivity tables, into a new *out, as the summary prints them. */
static gs_status uncertainty_read(const h5r *r, gs_uncertainty **out)
{
    if (r->point >= 0 || !dset_has(r, "parameter")) return GS_OK;
    char(*lab)[LABEL_MAX];
    hsize_t d, nm;
    GS_FORWARD(labels_read(r, "parameter", &lab, &d));
    gs_uncertainty *u = calloc(1, sizeof *u);
    char *dists = NULL;
    gs_status st = !u                           ? nomem(r)
                   : d > SCENARIO_MAX_UNCERTAIN ? bad(r, "too many uncertain parameters")
                                                : GS_OK;
    if (st == GS_OK && attr_has(r, "uncertain_distributions"))
        st = attr_string(r, "uncertain_distributions", &dists, NULL);
    for (hsize_t j = 0; st == GS_OK && j < d; j++) {
        int id = params_find(lab[j]);
        if (id < 0)
            st = bad(r, "uncertain parameter '%s' is not a known key", lab[j]);
        else
            u->ids[j] = (gs_param_id)id;
        if (dists) dist_text_of(dists, lab[j], u->dist_text[j], sizeof u->dist_text[j]);
    }
    if (st == GS_OK) u->d = (size_t)d;
    const struct {
        const char *name;
        double *dst;
    } pv[] = {{"parameter_p10", u ? u->p10 : NULL},
              {"parameter_p50", u ? u->p50 : NULL},
              {"parameter_p90", u ? u->p90 : NULL},
              {"parameter_draw_mean", u ? u->draw_mean : NULL}};
    for (size_t i = 0; st == GS_OK && i < sizeof pv / sizeof pv[0]; i++)
        if (dset_has(r, pv[i].name))
            st = dset_read(r, pv[i].name, 0, 1, &d, H5T_NATIVE_DOUBLE, pv[i].dst);
    if (st == GS_OK) st = pairs_read(r, u);
    const char *metric_names[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++) metric_names[m] = model_vars[model_metrics[m]].name;
    int mix[METRIC_COUNT];
    if (st == GS_OK) st = labels_match(r, "metric", metric_names, METRIC_COUNT, mix, &nm);
    if (st == GS_OK) st = sensitivity_read(r, u, mix, nm);
    free(lab);
    free(dists);
    if (st != GS_OK) {
        uncertain_free(u);
        return st;
    }
    *out = u;
    return GS_OK;
}

/* Shape and identity of the run: cycles, quantile levels, seed, trajectories, threads,
 * and the --target-se / antithetic settings when the file has them. */
static gs_status shape_read(const h5r *r, gs_result *res)
{
    hsize_t nc, nq;
    GS_FORWARD(coord_len(r, "cycle", &nc));
    GS_FORWARD(coord_len(r, "quantile", &nq));
    if (nc < 1 || nc > 1000000)
        return bad(r, "coordinate 'cycle' has %llu entries", (unsigned long long)nc);
    if (nq > SCENARIO_MAX_QUANTILES)
        return bad(r, "%llu quantile levels, at most %d are supported", (unsigned long long)nq,
                   SCENARIO_MAX_QUANTILES);
    res->n_cycles = (int)nc;
    res->n_quantiles = (size_t)nq;
    if (nq)
        GS_FORWARD(dset_read(r, "quantile", 0, 1, &nq, H5T_NATIVE_DOUBLE, res->quantile_levels));
    const char *seed_name = RUNKEY_ATTR(SEED);
    char text_name[96];
    snprintf(text_name, sizeof text_name, "%s_text", seed_name); /* as h5out writes it */
    GS_FORWARD(attr_num(r, seed_name, H5T_NATIVE_UINT64, &res->seed));
    if (attr_has(r, text_name)) { /* the seed as text, for readers without uint64 (R) */
        char *seed_text = NULL, want[32];
        GS_FORWARD(attr_string(r, text_name, &seed_text, NULL));
        snprintf(want, sizeof want, "%llu", (unsigned long long)res->seed);
        int same = strcmp(seed_text, want) == 0;
        free(seed_text);
        if (!same) return bad(r, "attribute '%s' contradicts '%s' (%s)", text_name, seed_name, want);
    }
    GS_FORWARD(attr_num(r, RUNKEY_ATTR(TRAJECTORIES), H5T_NATIVE_UINT64, &res->trajectories));
    /* A sweep may run a different number of trajectories per point (--target-se). */
    if (r->point >= 0 && dset_has(r, "trajectories"))
        GS_FORWARD(dset_read(r, "trajectories", 1, 0, NULL, H5T_NATIVE_UINT64, &res->trajectories));
    res->threads = 0;
    if (attr_has(r, "threads")) GS_FORWARD(attr_num(r, "threads", H5T_NATIVE_INT, &res->threads));
    res->isa[0] = '\0'; /* optional (files before it was recorded) */
    if (attr_has(r, "isa")) {
        char *isa = NULL;
        GS_FORWARD(attr_string(r, "isa", &isa, NULL));
        if (strcmp(isa, "unknown") != 0) snprintf(res->isa, sizeof res->isa, "%s", isa);
        free(isa);
    }
    /* Optional: what --target-se and antithetic runs add (they show in the summary). */
    const struct {
        const char *name;
        hid_t type;
        void *dst;
    } extras[] = {
        {RUNKEY_ATTR(ANTITHETIC), H5T_NATIVE_INT, &res->antithetic},
        {RUNKEY_ATTR(TARGET_SE), H5T_NATIVE_DOUBLE, &res->target_se},
        {"batch_size", H5T_NATIVE_UINT64, &res->batch_size},
        {"batches", H5T_NATIVE_UINT64, &res->batches},
        {"target_met", H5T_NATIVE_INT, &res->target_met},
    };
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++)
        if (attr_has(r, extras[i].name))
            GS_FORWARD(attr_num(r, extras[i].name, extras[i].type, extras[i].dst));
    if (r->point >= 0 && dset_has(r, "batches"))
        GS_FORWARD(dset_read(r, "batches", 1, 0, NULL, H5T_NATIVE_UINT64, &res->batches));
    return GS_OK;
}

/* ---- the scenario --------------------------------------------------------------------- */

/* Replaces the owned string *dst by a copy of src. */
static gs_status replace_string(const h5r *r, char **dst, const char *src)
{
    char *copy = strdup(src);
    if (!copy) return nomem(r);
    free(*dst);
    *dst = copy;
    return GS_OK;
}

/* The scenario the run used.  scenario_text is parsed again (as the run did, without
 * its --set overrides) for the name, description and which line set each parameter;
 * if it no longer parses (written by a gapsim that knew other keys), the defaults
 * stand in.  Then every parameter takes the value recorded in the file, which is what
 * the run really used: a sweep's param_<key>(point) coordinate, else the param_<key>
 * attribute.  Values that differ from the text are marked as overrides. */
static gs_status scenario_rebuild(const h5r *r, gs_scenario *sc, int res_cycles)
{
    char *text = NULL, *file = NULL, *name = NULL, *desc = NULL;
    size_t len = 0;
    GS_FORWARD(attr_string(r, "scenario_text", &text, &len));
    /* the text must be the one the run hashed: a changed text would put other
     * assumptions beside the data */
    char *sha = NULL, want[65];
    gs_status st = attr_string(r, "scenario_sha256", &sha, NULL);
    if (st == GS_OK) {
        hash_sha256_hex(text, len, want);
        if (strcmp(sha, want) != 0)
            st = bad(r, "attribute 'scenario_text' contradicts 'scenario_sha256' (the text was "
                        "changed after the run)");
    }
    free(sha);
    if (st == GS_OK && attr_has(r, "scenario_file"))
        st = attr_string(r, "scenario_file", &file, NULL);
    if (st == GS_OK && attr_has(r, "scenario_name"))
        st = attr_string(r, "scenario_name", &name, NULL);
    if (st == GS_OK && attr_has(r, "scenario_description"))
        st = attr_string(r, "scenario_description", &desc, NULL);
    gs_error perr;
    int parsed = 0;
    if (st == GS_OK) {
        const char *label = file && *file ? file : r->path;
        parsed = scenario_parse(text, len, label, NULL, 0, sc, &perr) == GS_OK;
        if (!parsed && perr.status == GS_ERR_NOMEM)
            st = nomem(r);
        else if (!parsed && scenario_init_default(sc, r->err) != GS_OK)
            st = nomem(r);
        if (!parsed && st == GS_OK) {
            free(sc->text);
            sc->text = text, sc->text_len = len, text = NULL;
        }
    }
    char key[128];
    for (int i = 0; st == GS_OK && i < PARAM_COUNT; i++) {
        snprintf(key, sizeof key, "param_%s", params_table[i].key);
        for (char *c = key; *c; c++)
            if (*c == '.') *c = '_';
        double v;
        if (r->point >= 0 && dset_has(r, key))
            st = dset_read(r, key, 1, 0, NULL, H5T_NATIVE_DOUBLE, &v);
        else if (attr_has(r, key))
            st = attr_num(r, key, H5T_NATIVE_DOUBLE, &v);
        else if (!parsed)
            st = bad(r, "no '%s' and the scenario_text does not parse (%s)", key, perr.msg);
        else
            continue;
        double *field = params_field(&sc->params, (gs_param_id)i);
        if (st == GS_OK && memcmp(field, &v, sizeof v) != 0) {
            *field = v;
            sc->line[i] = SCENARIO_LINE_SET;
        }
    }
    if (st == GS_OK && (int)sc->params.run_cycles + 1 != res_cycles)
        st = bad(r, "run.cycles = %d (scenario_text and param_run_cycles) contradicts the %d "
                    "cycles of the data",
                 (int)sc->params.run_cycles, res_cycles);
    if (st == GS_OK && file && *file) st = replace_string(r, &sc->path, file);
    if (st == GS_OK && name && *name) st = replace_string(r, &sc->name, name);
    if (st == GS_OK && desc) st = replace_string(r, &sc->description, desc);
    if (st != GS_OK) scenario_free(sc);
    free(text);
    free(file);
    free(name);
    free(desc);
    return st;
}

/* h5in_read, and the uncertain parameters into *u when u is non-NULL. */
static gs_status read_run(const char *path, long point, gs_scenario *sc, gs_result *res,
                          gs_uncertainty **u, gs_error *err)
{
    h5r r = {.path = path ? path : "", .err = err, .point = point};
    memset(sc, 0, sizeof *sc);
    memset(res, 0, sizeof *res);
    if (u) *u = NULL;
    gs_error_clear(err);
    GS_FORWARD(file_open(&r));
    gs_status st = GS_OK;
    if (r.n_points == 0 && point != H5IN_SINGLE)
        st = gs_error_set(err, GS_ERR_USAGE, "%s: not a sweep file, it has no point %ld", r.path,
                          point);
    else if (r.n_points > 0 && point == H5IN_SINGLE)
        st = gs_error_set(
            err, GS_ERR_USAGE, "%s: a sweep of %llu points: choose one with --point I (0 to %llu)",
            r.path, (unsigned long long)r.n_points, (unsigned long long)r.n_points - 1);
    else if (r.n_points > 0 && (point < 0 || (hsize_t)point >= r.n_points))
        st = gs_error_set(err, GS_ERR_USAGE, "%s: no point %ld (the sweep has points 0 to %llu)",
                          r.path, point, (unsigned long long)r.n_points - 1);
    if (st == GS_OK) st = shape_read(&r, res);
    if (st == GS_OK) st = stats_read(&r, res);
    if (st == GS_OK) st = outcomes_read(&r, res);
    if (st == GS_OK) st = nonfinite_read(&r, res);
    if (st == GS_OK && u) st = uncertainty_read(&r, u);
    if (st == GS_OK) st = scenario_rebuild(&r, sc, res->n_cycles);
    H5Fclose(r.file);
    if (st != GS_OK) {
        engine_result_free(res);
        if (u) uncertain_free(*u), *u = NULL;
        return st;
    }
    res->cycle_years = sc->params.run_cycle_years;
    res->start_year = sc->params.run_start_year;
    res->k_now = model_k_now(&sc->params);
    sc->trajectories = res->trajectories;
    sc->seed = res->seed;
    sc->n_quantiles = res->n_quantiles;
    memcpy(sc->quantiles, res->quantile_levels, sizeof sc->quantiles);
    return GS_OK;
}

gs_status h5in_read(const char *path, long point, gs_scenario *sc, gs_result *res, gs_error *err)
{
    return read_run(path, point, sc, res, NULL, err);
}

/* ---- the history group of a history-matched run ------------------------------------ */

/* A string attribute of the object `name` in r's location into buf (truncated). */
static gs_status obj_attr_text(const h5r *r, const char *name, const char *attr, char *buf,
                               size_t size)
{
    hid_t o = H5Oopen(r->file, name, H5P_DEFAULT);
    if (o < 0) return bad_h5(r, "opening a history dataset");
    char *text = NULL;
    gs_status st = h5util_read_string(o, r->path, attr, &text, NULL, r->err);
    H5Oclose(o);
    if (st == GS_OK) snprintf(buf, size, "%s", text);
    free(text);
    return st;
}

/* The variable called name, or -1. */
static int var_index(const char *name)
{
    for (int v = 0; v < VAR_COUNT; v++)
        if (strcmp(model_vars[v].name, name) == 0) return v;
    return -1;
}

/* Group `history` (README, the output section) into a new *out, or *out = NULL when the
 * file has none.  Reads what summary_print shows. */
static gs_status history_read(const h5r *root, gs_history **out)
{
    *out = NULL;
    if (!dset_has(root, "history")) return GS_OK;
    h5r r = *root;
    r.point = -1;
    r.file = H5Gopen2(root->file, "history", H5P_DEFAULT);
    if (r.file < 0) return bad_h5(root, "opening group history");
    gs_history *h = calloc(1, sizeof *h);
    char(*lab)[LABEL_MAX] = NULL, (*plab)[LABEL_MAX] = NULL;
    char *text = NULL;
    hsize_t J = 0, d = 0, nw = 0;
    gs_status st = h ? GS_OK : nomem(&r);
    if (st == GS_OK) st = attr_num(&r, "drawn", H5T_NATIVE_UINT64, &h->tally.drawn);
    if (st == GS_OK) st = attr_num(&r, "accepted", H5T_NATIVE_UINT64, &h->tally.accepted);
    if (st == GS_OK) st = attr_num(&r, "cutoff", H5T_NATIVE_DOUBLE, &h->cutoff);
    if (st == GS_OK && (st = attr_string(&r, "rule", &text, NULL)) == GS_OK)
        h->rule = strcmp(text, "second_max") == 0 ? TARGETS_RULE_SECOND_MAX : TARGETS_RULE_MAX;
    free(text), text = NULL;
    if (st == GS_OK && (st = attr_string(&r, "targets_file", &text, NULL)) == GS_OK)
        h->set.path = text, text = NULL;
    if (st == GS_OK && (st = attr_string(&r, "waves_stopped", &text, NULL)) == GS_OK)
        snprintf(h->wave_stop, sizeof h->wave_stop, "%s", text);
    free(text), text = NULL;
    if (st == GS_OK) st = labels_read(&r, "target", &lab, &J);
    if (st == GS_OK && (J == 0 || J > TARGETS_MAX)) st = bad(&r, "history: %llu targets", (unsigned long long)J);
    char vars[TARGETS_MAX * 64] = "";
    if (st == GS_OK) st = obj_attr_text(&r, "target", "variables", vars, sizeof vars);
    if (st == GS_OK) {
        h->set.n = (size_t)J;
        h->set.t = calloc((size_t)J, sizeof *h->set.t);
        h->sim_all = calloc((size_t)J * TARGETS_N_LEVELS, sizeof(double));
        h->sim_accepted = calloc((size_t)J * TARGETS_N_LEVELS, sizeof(double));
        h->band_lo = calloc((size_t)J, sizeof(double));
        h->band_hi = calloc((size_t)J, sizeof(double));
        h->median_in_band = calloc((size_t)J, sizeof(int));
        if (!h->set.t || !h->sim_all || !h->sim_accepted || !h->band_lo || !h->band_hi ||
            !h->median_in_band)
            st = nomem(&r);
    }
    double obs[TARGETS_MAX];
    int kf[TARGETS_MAX], kl[TARGETS_MAX];
    hsize_t dq[2] = {J, TARGETS_N_LEVELS};
    if (st == GS_OK) st = dset_read(&r, "observed", 0, 1, &J, H5T_NATIVE_DOUBLE, obs);
    if (st == GS_OK) st = dset_read(&r, "cycle_first", 0, 1, &J, H5T_NATIVE_INT, kf);
    if (st == GS_OK) st = dset_read(&r, "cycle_last", 0, 1, &J, H5T_NATIVE_INT, kl);
    if (st == GS_OK) st = dset_read(&r, "band_low", 0, 1, &J, H5T_NATIVE_DOUBLE, h->band_lo);
    if (st == GS_OK) st = dset_read(&r, "band_high", 0, 1, &J, H5T_NATIVE_DOUBLE, h->band_hi);
    if (st == GS_OK) st = dset_read(&r, "median_in_band", 0, 1, &J, H5T_NATIVE_INT, h->median_in_band);
    if (st == GS_OK) st = dset_read(&r, "rejected", 0, 1, &J, H5T_NATIVE_UINT64, h->tally.rejected);
    if (st == GS_OK) st = dset_read(&r, "simulated_drawn", 0, 2, dq, H5T_NATIVE_DOUBLE, h->sim_all);
    if (st == GS_OK)
        st = dset_read(&r, "simulated_accepted", 0, 2, dq, H5T_NATIVE_DOUBLE, h->sim_accepted);
    char *word = strtok(vars, " ");
    for (hsize_t j = 0; st == GS_OK && j < J; j++, word = strtok(NULL, " ")) {
        targets_target *t = &h->set.t[j];
        int v = word ? var_index(word) : -1;
        if (v < 0) {
            st = bad(&r, "history: target %s has no known variable", lab[j]);
            break;
        }
        snprintf(t->name, sizeof t->name, "%s", lab[j]);
        t->var = (size_t)v, t->value = obs[j], t->k_first = kf[j], t->k_last = kl[j];
    }
    if (st == GS_OK && dset_has(&r, "parameter")) {
        st = labels_read(&r, "parameter", &plab, &d);
        if (st == GS_OK && d > SCENARIO_MAX_UNCERTAIN) st = bad(&r, "history: too many parameters");
        double pq[SCENARIO_MAX_UNCERTAIN * TARGETS_N_LEVELS], qq[SCENARIO_MAX_UNCERTAIN * TARGETS_N_LEVELS];
        double shift[SCENARIO_MAX_UNCERTAIN];
        hsize_t dp[2] = {d, TARGETS_N_LEVELS};
        if (st == GS_OK) st = dset_read(&r, "prior_quantile", 0, 2, dp, H5T_NATIVE_DOUBLE, pq);
        if (st == GS_OK) st = dset_read(&r, "posterior_quantile", 0, 2, dp, H5T_NATIVE_DOUBLE, qq);
        if (st == GS_OK) st = dset_read(&r, "shift", 0, 1, &d, H5T_NATIVE_DOUBLE, shift);
        for (hsize_t p = 0; st == GS_OK && p < d; p++) {
            int id = params_find(plab[p]);
            if (id < 0) {
                st = bad(&r, "history: unknown parameter '%s'", plab[p]);
                break;
            }
            h->ids[p] = (gs_param_id)id;
            memcpy(h->param[p].prior, pq + p * TARGETS_N_LEVELS, sizeof h->param[p].prior);
            memcpy(h->param[p].posterior, qq + p * TARGETS_N_LEVELS, sizeof h->param[p].posterior);
            h->param[p].shift = shift[p];
        }
        if (st == GS_OK) h->d = (size_t)d;
    }
    if (st == GS_OK) st = coord_len(&r, "wave", &nw);
    if (st == GS_OK && (nw == 0 || nw > HISTORY_MAX_WAVES)) st = bad(&r, "history: %llu waves", (unsigned long long)nw);
    hsize_t dm[2] = {METRIC_COUNT, OUTCOME_COUNT};
    if (st == GS_OK) st = dset_read(&r, "wave_drawn", 0, 1, &nw, H5T_NATIVE_UINT64, h->wave_drawn);
    if (st == GS_OK) st = dset_read(&r, "wave_accepted", 0, 1, &nw, H5T_NATIVE_UINT64, h->wave_accepted);
    if (st == GS_OK) st = dset_read(&r, "wave_movement", 0, 2, dm, H5T_NATIVE_DOUBLE, h->movement);
    if (st == GS_OK) h->n_waves = (size_t)nw;
    free(lab);
    free(plab);
    H5Gclose(r.file);
    if (st != GS_OK) {
        history_free(h);
        return st;
    }
    *out = h;
    return GS_OK;
}

gs_status h5in_read_study(const char *path, long point, gs_scenario *sc, gs_study_result *res,
                          gs_error *err)
{
    memset(res, 0, sizeof *res);
    GS_FORWARD(read_run(path, point, sc, &res->run, &res->uncertainty, err));
    if (point != H5IN_SINGLE) return GS_OK; /* history-matched runs are single runs */
    h5r r = {.path = path ? path : "", .err = err, .point = point};
    gs_status st = file_open(&r);
    if (st == GS_OK) {
        st = history_read(&r, &res->history);
        H5Fclose(r.file);
    }
    if (st != GS_OK) {
        study_result_free(res);
        scenario_free(sc);
    }
    return st;
}
