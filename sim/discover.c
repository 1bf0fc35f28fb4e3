/* discover.c - scenario discovery on a result file (see discover.h). */
#define _POSIX_C_SOURCE 200809L

#include "discover.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5in.h"
#include "h5util.h"
#include "model.h"
#include "params.h"
#include "trajdata.h"

discover_options discover_options_default(void)
{
    discover_options o = {.metric = "premium", .outcome = "compound",
                          .prim = prim_options_default()};
    return o;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void discover_table_free(discover_table *t)
{
    if (!t) return;
    for (size_t j = 0; j < t->ncol; j++) {
        if (t->keys) free(t->keys[j]);
        if (t->labels) free(t->labels[j]);
        if (t->units) free(t->units[j]);
        if (t->cols) free(t->cols[j]);
    }
    free(t->keys), free(t->labels), free(t->units), free(t->cols);
    free(t->finite), free(t->cls), free(t->by), free(t->horizon), free(t->horizon_year);
    memset(t, 0, sizeof *t);
}

static int metric_index(const char *name)
{
    for (int q = 0; q < METRIC_COUNT; q++)
        if (!strcmp(model_vars[model_metrics[q]].name, name)) return q;
    return -1;
}

static int outcome_index(const char *name)
{
    for (int o = 0; o < OUTCOME_COUNT; o++)
        if (!strcmp(model_outcome_names[o], name)) return o;
    return -1;
}

static gs_status h5_cause(gs_error *err, gs_status code, const char *path, const char *doing)
{
    char cause[H5UTIL_CAUSE_MAX];
    h5util_cause(cause, sizeof cause);
    return gs_error_set(err, code, "%s: %s%s%s", path, doing, cause[0] ? ": " : "", cause);
}

/* Reads 1-D dataset `name` of n values under g into buf as memory type mtype. */
static gs_status read_1d(hid_t g, const char *path, const char *name, hid_t mtype, uint64_t n,
                         void *buf, gs_error *err)
{
    hsize_t want = n;
    GS_FORWARD(h5util_check_dset(g, path, name, H5T_NO_CLASS, 1, &want, NULL, err));
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (d >= 0) H5Dclose(d);
    if (rc < 0) {
        char doing[256];
        snprintf(doing, sizeof doing, "reading trajectories/%s", name);
        return h5_cause(err, GS_ERR_INPUT, path, doing);
    }
    return GS_OK;
}

/* Appends column `key` (label, unit) with its n values to the table. */
static gs_status add_column(discover_table *t, const char *key, const char *label,
                            const char *unit, float *values, gs_error *err)
{
    size_t j = t->ncol;
    char **k = realloc(t->keys, (j + 1) * sizeof *k);
    if (k) t->keys = k;
    char **l = k ? realloc(t->labels, (j + 1) * sizeof *l) : NULL;
    if (l) t->labels = l;
    char **u = l ? realloc(t->units, (j + 1) * sizeof *u) : NULL;
    if (u) t->units = u;
    float **c = u ? realloc(t->cols, (j + 1) * sizeof *c) : NULL;
    if (c) t->cols = c;
    if (!c) {
        free(values);
        return gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
    }
    t->keys[j] = dup_str(key), t->labels[j] = dup_str(label);
    t->units[j] = dup_str(unit && strcmp(unit, "1") ? unit : "");
    t->cols[j] = values;
    t->ncol++;
    GS_RETURN_IF(!t->keys[j] || !t->labels[j] || !t->units[j], err, GS_ERR_NOMEM,
                 "discover: out of memory");
    for (uint64_t i = 0; i < t->n; i++)
        if (isnan(values[i])) values[i] = INFINITY, t->finite[i] = 0;
    return GS_OK;
}

static gs_status read_table(hid_t file, const char *path, int q, discover_table *t,
                            gs_error *err)
{
    GS_RETURN_IF(H5Lexists(file, "trajectories", H5P_DEFAULT) <= 0, err, GS_ERR_INPUT,
                 "%s: no trajectories group: the run kept no per-trajectory draws (run it "
                 "with --keep-draws, or give the scenario a discover: section)", path);
    hid_t g = H5Gopen2(file, "trajectories", H5P_DEFAULT);
    if (g < 0) return h5_cause(err, GS_ERR_INPUT, path, "opening group trajectories");
    gs_status st = GS_OK;
    hsize_t dims[2];
    st = h5util_check_dset(g, path, "trajectory", H5T_INTEGER, 1, NULL, dims, err);
    t->n = st == GS_OK ? dims[0] : 0;
    if (st == GS_OK && t->n == 0)
        st = gs_error_set(err, GS_ERR_INPUT, "%s: trajectories group: no trajectories", path);
    const size_t n = (size_t)t->n;
    if (st == GS_OK) {
        t->finite = malloc(n), t->cls = malloc(n);
        if (!t->finite || !t->cls) st = gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
        else memset(t->finite, 1, n);
    }
    /* the draws, in the group's creation order */
    H5G_info_t info;
    if (st == GS_OK && H5Gget_info(g, &info) < 0)
        st = h5_cause(err, GS_ERR_INPUT, path, "listing group trajectories");
    for (hsize_t l = 0; st == GS_OK && l < info.nlinks; l++) {
        char name[256];
        ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, l, name,
                                         sizeof name, H5P_DEFAULT);
        if (len <= 0 || (size_t)len >= sizeof name || strncmp(name, "draw_", 5)) continue;
        float *v = malloc(n * sizeof *v);
        if (!v) {
            st = gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
            break;
        }
        st = read_1d(g, path, name, H5T_NATIVE_FLOAT, t->n, v, err);
        if (st != GS_OK) {
            free(v);
            break;
        }
        const int id = params_find(name + 5);
        st = add_column(t, name + 5, name + 5, id >= 0 ? params_table[id].unit : "", v, err);
        t->ndraws++;
    }
    if (st == GS_OK && t->ndraws == 0)
        st = gs_error_set(err, GS_ERR_INPUT,
                          "%s: a point-valued run (no uncertain parameters): nothing to "
                          "discover; give the scenario uncertain parameters (dist: ...)", path);
    /* the shock summaries */
    static const char *const words[TRAJ_SUMMARY_COUNT] = {
        "supply shocks", "breakthroughs", "governance switches", "lab entries", "lab exits"};
    for (int s = 0; st == GS_OK && s < TRAJ_SUMMARY_COUNT; s++) {
        float *v = malloc(n * sizeof *v);
        if (!v) {
            st = gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
            break;
        }
        st = read_1d(g, path, traj_summaries[s].name, H5T_NATIVE_FLOAT, t->n, v, err);
        if (st == GS_OK) st = add_column(t, traj_summaries[s].name, words[s], "", v, err);
        else free(v);
    }
    if (st == GS_OK) {
        float *v = malloc(n * sizeof *v);
        st = v ? read_1d(g, path, "mean_catch_up", H5T_NATIVE_FLOAT, t->n, v, err)
               : gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
        if (st == GS_OK) st = add_column(t, "mean_catch_up", "mean catch-up", "per cycle", v, err);
        else free(v);
    }
    /* the classes */
    char name[128];
    const char *metric = model_vars[model_metrics[q]].name;
    snprintf(name, sizeof name, "class_%s", metric);
    if (st == GS_OK) st = read_1d(g, path, name, H5T_NATIVE_INT8, t->n, t->cls, err);
    snprintf(name, sizeof name, "class_%s_by_cycle", metric);
    if (st == GS_OK && H5Lexists(g, name, H5P_DEFAULT) > 0) {
        st = h5util_check_dset(g, path, "horizon", H5T_INTEGER, 1, NULL, dims, err);
        hsize_t want[2] = {t->n, st == GS_OK ? dims[0] : 0};
        if (st == GS_OK) st = h5util_check_dset(g, path, name, H5T_INTEGER, 2, want, NULL, err);
        t->n_horizons = st == GS_OK ? (int)dims[0] : 0;
        const size_t H = (size_t)t->n_horizons;
        if (st == GS_OK) {
            t->by = malloc(n * (H ? H : 1)), t->horizon = malloc((H ? H : 1) * sizeof(int));
            t->horizon_year = calloc(H ? H : 1, sizeof(double));
            if (!t->by || !t->horizon || !t->horizon_year)
                st = gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
        }
        hid_t d = st == GS_OK ? H5Dopen2(g, name, H5P_DEFAULT) : H5I_INVALID_HID;
        if (st == GS_OK && (d < 0 || H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                             t->by) < 0))
            st = h5_cause(err, GS_ERR_INPUT, path, "reading the by-cycle classes");
        if (d >= 0) H5Dclose(d);
        if (st == GS_OK) st = read_1d(g, path, "horizon", H5T_NATIVE_INT, H, t->horizon, err);
        /* the start year of each horizon cycle: t0 + h Δ (the run's parameters) */
        double t0 = NAN, dt = NAN;
        if (st == GS_OK &&
            (h5util_read_double(file, path, "param_run_start_year", &t0, NULL) != GS_OK ||
             h5util_read_double(file, path, "param_run_cycle_years", &dt, NULL) != GS_OK))
            t0 = dt = NAN;
        for (size_t h = 0; st == GS_OK && h < H; h++) t->horizon_year[h] = t0 + t->horizon[h] * dt;
    }
    H5Gclose(g);
    return st;
}

gs_status discover_read(const char *path, const char *metric, discover_table *tab,
                        gs_error *err)
{
    memset(tab, 0, sizeof *tab);
    const int q = metric ? metric_index(metric) : -1;
    if (q < 0) {
        char list[256] = "";
        for (int m = 0; m < METRIC_COUNT; m++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", m ? ", " : "",
                     model_vars[model_metrics[m]].name);
        return gs_error_set(err, GS_ERR_INPUT, "--metric: '%s' is not an outcome metric (%s)",
                            metric ? metric : "", list);
    }
    h5in_info info;
    GS_FORWARD(h5in_probe(path, &info, err));
    GS_RETURN_IF(info.n_points > 0, err, GS_ERR_INPUT,
                 "%s: a sweep file; discovery works on single runs", path);
    h5util_init();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) return h5_cause(err, GS_ERR_INPUT, path, "opening");
    tab->metric = q;
    gs_status st = read_table(file, path, q, tab, err);
    H5Fclose(file);
    if (st != GS_OK) discover_table_free(tab);
    return st;
}

/* ---- running ---------------------------------------------------------------------- */

void discover_result_free(discover_result *r)
{
    if (!r) return;
    prim_result_free(&r->horizon);
    for (int c = 0; r->by_cycle && c < r->n_cycles; c++) prim_result_free(&r->by_cycle[c]);
    for (int c = 0; r->sentence && c <= r->n_cycles; c++) free(r->sentence[c]);
    free(r->by_cycle), free(r->cycle), free(r->cycle_year), free(r->sentence);
    memset(r, 0, sizeof *r);
}

/* The words of one result, as prim_describe writes them, into a new string. */
static char *describe(const discover_table *t, const prim_result *pr, const char *metric,
                      const char *outcome)
{
    char subject[160], positives[160];
    static const char *const verb[OUTCOME_COUNT] = {"compounds", "persists", "collapses"};
    static const char *const noun[OUTCOME_COUNT] = {"compounding", "persisting", "collapsing"};
    const int o = outcome_index(outcome);
    snprintf(subject, sizeof subject, "the %s %s", metric, o >= 0 ? verb[o] : outcome);
    snprintf(positives, sizeof positives, "%s ones", o >= 0 ? noun[o] : outcome);
    prim_words w = {.labels = (const char *const *)t->labels,
                    .units = (const char *const *)t->units,
                    .subject = subject, .positives = positives, .rows = "futures"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    gs_error e;
    prim_describe(f, pr, &w, &e);
    fclose(f);
    return buf;
}

/* One prim_run with the target class == o of cls[i * stride] (undefined classes and
 * rows with a column that is not a number take no part); *ran = 0 when no row is
 * positive (res stays empty). */
static gs_status run_one(const prim_data *data, const discover_table *t, const int8_t *cls,
                         size_t stride, int o, const prim_options *po, uint8_t *target,
                         uint8_t *keep, prim_result *res, int *ran, gs_error *err)
{
    uint64_t positives = 0, kept = 0;
    for (size_t i = 0; i < (size_t)t->n; i++) {
        const int8_t c = cls[i * stride];
        keep[i] = (uint8_t)(c != TRAJ_CLASS_UNDEFINED && t->finite[i]);
        target[i] = (uint8_t)(c == o);
        kept += keep[i];
        positives += keep[i] && target[i];
    }
    memset(res, 0, sizeof *res);
    *ran = positives > 0 && kept > 0;
    if (!*ran) return GS_OK;
    return prim_run(data, target, keep, po, res, err);
}

gs_status discover_run(const discover_table *t, const discover_options *opt,
                       discover_result *res, gs_error *err)
{
    memset(res, 0, sizeof *res);
    res->metric = t->metric;
    res->outcome = outcome_index(opt->outcome);
    if (res->outcome < 0)
        return gs_error_set(err, GS_ERR_INPUT,
                            "--outcome: '%s' is not an outcome (compound, persist, collapse)",
                            opt->outcome);
    const char *metric = model_vars[model_metrics[t->metric]].name;
    GS_RETURN_IF(opt->by_cycle && !t->by, err, GS_ERR_INPUT,
                 "--by-cycle: the file has no by-cycle classes of %s", metric);
    prim_data data;
    GS_FORWARD(prim_data_create(&data, (size_t)t->n, t->ncol, (const float *const *)t->cols,
                                opt->max_bins, opt->prim.threads, err));
    uint8_t *target = malloc((size_t)t->n), *keep = malloc((size_t)t->n);
    gs_status st = target && keep ? GS_OK : gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
    int ran = 0;
    if (st == GS_OK)
        st = run_one(&data, t, t->cls, 1, res->outcome, &opt->prim, target, keep, &res->horizon,
                     &ran, err);
    if (st == GS_OK && !ran)
        st = gs_error_set(err, GS_ERR_INPUT,
                          "--outcome: no trajectory's %s has the class %s: nothing to discover",
                          metric, opt->outcome);
    const int C = opt->by_cycle ? t->n_horizons : 0;
    if (st == GS_OK) {
        res->sentence = calloc((size_t)C + 1, sizeof *res->sentence);
        res->by_cycle = calloc((size_t)(C ? C : 1), sizeof *res->by_cycle);
        res->cycle = calloc((size_t)(C ? C : 1), sizeof *res->cycle);
        res->cycle_year = calloc((size_t)(C ? C : 1), sizeof *res->cycle_year);
        if (!res->sentence || !res->by_cycle || !res->cycle || !res->cycle_year)
            st = gs_error_set(err, GS_ERR_NOMEM, "discover: out of memory");
        else
            res->sentence[0] = describe(t, &res->horizon, metric, opt->outcome);
    }
    for (int c = 0; st == GS_OK && c < C; c++) {
        res->n_cycles = c + 1;
        res->cycle[c] = t->horizon[c], res->cycle_year[c] = t->horizon_year[c];
        st = run_one(&data, t, t->by + c, (size_t)t->n_horizons, res->outcome, &opt->prim,
                     target, keep, &res->by_cycle[c], &ran, err);
        if (st == GS_OK && ran) res->sentence[c + 1] = describe(t, &res->by_cycle[c], metric, opt->outcome);
    }
    free(target), free(keep);
    prim_data_free(&data);
    if (st != GS_OK) discover_result_free(res);
    return st;
}

void discover_print(FILE *out, const discover_table *t, const discover_result *r)
{
    fprintf(out, "%s", r->sentence && r->sentence[0] ? r->sentence[0] : "");
    const prim_result *h = &r->horizon;
    fprintf(out, "What decides it (density gain of each assumption's limits, "
                 "coverage-weighted):\n");
    int shown = 0;
    for (size_t k = 0; k < h->d && shown < 8; k++) {
        const size_t j = h->ranking[k];
        if (!(h->importance[j] > 0)) break;
        fprintf(out, "  %d. %-36s %+.3f\n", ++shown, t->labels[j], h->importance[j]);
    }
    if (!shown) fprintf(out, "  no assumption: no box is denser than the whole\n");
    if (r->n_cycles) fprintf(out, "\nBy cycle (that cycle taken as the horizon):\n");
    for (int c = 0; c < r->n_cycles; c++) {
        const prim_result *p = &r->by_cycle[c];
        fprintf(out, "  cycle %d (%.1f): ", r->cycle[c], r->cycle_year[c]);
        if (p->rows == 0) {
            fprintf(out, "no trajectory has the outcome\n");
            continue;
        }
        if (p->n_boxes == 0) {
            fprintf(out, "%.0f%% overall, no denser box\n", 100.0 * p->base_density);
            continue;
        }
        const prim_box *b = &p->boxes[0];
        fprintf(out, "%.0f%% in the box (vs %.0f%% overall), coverage %.0f%%; decided by",
                100.0 * b->box.density, 100.0 * p->base_density, 100.0 * b->box.coverage);
        int said = 0;
        for (size_t k = 0; k < p->d && said < 3; k++) {
            const size_t j = p->ranking[k];
            if (!(p->importance[j] > 0)) break;
            fprintf(out, "%s %s", said ? "," : "", t->labels[j]);
            said++;
        }
        fprintf(out, "%s\n", said ? "" : " nothing");
    }
}

/* ---- writing ---------------------------------------------------------------------- */

typedef struct {
    uint64_t rows, positives;
    double coverage, density, mass;
    uint32_t restricted;
    int32_t moved;
} step_rec;

typedef struct {
    double lower, upper, p_lower, p_upper, gain;
} limit_rec;

static herr_t put_attr(hid_t obj, const char *name, hid_t type, const void *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = s < 0 ? -1 : H5Acreate2(obj, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, v);
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    return rc;
}

static herr_t put_str(hid_t obj, const char *name, const char *v)
{
    hid_t t = h5util_str_type(strlen(v) + 1);
    herr_t rc = t < 0 ? -1 : put_attr(obj, name, t, v);
    if (t >= 0) H5Tclose(t);
    return rc;
}

static herr_t put_dset(hid_t loc, const char *name, hid_t type, hsize_t n, const void *data)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = s < 0 ? -1 : H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : n ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Sclose(s);
    return rc;
}

/* One prim_result into group g. */
static herr_t write_result(hid_t g, const discover_table *t, const prim_result *p,
                           const char *sentence)
{
    herr_t rc = put_attr(g, "rows", H5T_NATIVE_UINT64, &p->rows);
    if (rc >= 0) rc = put_attr(g, "positives", H5T_NATIVE_UINT64, &p->positives);
    if (rc >= 0) rc = put_attr(g, "base_density", H5T_NATIVE_DOUBLE, &p->base_density);
    uint64_t nb = p->n_boxes;
    if (rc >= 0) rc = put_attr(g, "boxes", H5T_NATIVE_UINT64, &nb);
    if (rc >= 0) rc = put_str(g, "sentence", sentence ? sentence : "");
    if (rc >= 0 && p->d) rc = put_dset(g, "importance", H5T_NATIVE_DOUBLE, p->d, p->importance);
    uint32_t *rank = malloc((p->d ? p->d : 1) * sizeof *rank);
    for (size_t j = 0; rank && j < p->d; j++) rank[j] = (uint32_t)p->ranking[j];
    if (rc >= 0) rc = rank ? (p->d ? put_dset(g, "ranking", H5T_NATIVE_UINT32, p->d, rank) : 0) : -1;
    free(rank);
    hid_t st_t = H5Tcreate(H5T_COMPOUND, sizeof(step_rec));
    hid_t li_t = H5Tcreate(H5T_COMPOUND, sizeof(limit_rec));
    if (st_t < 0 || li_t < 0) rc = -1;
    if (rc >= 0) {
        H5Tinsert(st_t, "rows", HOFFSET(step_rec, rows), H5T_NATIVE_UINT64);
        H5Tinsert(st_t, "positives", HOFFSET(step_rec, positives), H5T_NATIVE_UINT64);
        H5Tinsert(st_t, "coverage", HOFFSET(step_rec, coverage), H5T_NATIVE_DOUBLE);
        H5Tinsert(st_t, "density", HOFFSET(step_rec, density), H5T_NATIVE_DOUBLE);
        H5Tinsert(st_t, "mass", HOFFSET(step_rec, mass), H5T_NATIVE_DOUBLE);
        H5Tinsert(st_t, "restricted", HOFFSET(step_rec, restricted), H5T_NATIVE_UINT32);
        H5Tinsert(st_t, "moved", HOFFSET(step_rec, moved), H5T_NATIVE_INT32);
        H5Tinsert(li_t, "lower", HOFFSET(limit_rec, lower), H5T_NATIVE_DOUBLE);
        H5Tinsert(li_t, "upper", HOFFSET(limit_rec, upper), H5T_NATIVE_DOUBLE);
        H5Tinsert(li_t, "p_lower", HOFFSET(limit_rec, p_lower), H5T_NATIVE_DOUBLE);
        H5Tinsert(li_t, "p_upper", HOFFSET(limit_rec, p_upper), H5T_NATIVE_DOUBLE);
        H5Tinsert(li_t, "gain", HOFFSET(limit_rec, gain), H5T_NATIVE_DOUBLE);
    }
    (void)t;
    for (size_t b = 0; rc >= 0 && b < p->n_boxes; b++) {
        const prim_box *bx = &p->boxes[b];
        char name[32];
        snprintf(name, sizeof name, "box_%zu", b);
        hid_t bg = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (bg < 0) {
            rc = -1;
            break;
        }
        uint64_t chosen = bx->chosen, pastes = bx->pastes;
        rc = put_attr(bg, "chosen", H5T_NATIVE_UINT64, &chosen);
        if (rc >= 0) rc = put_attr(bg, "pastes", H5T_NATIVE_UINT64, &pastes);
        if (rc >= 0) rc = put_attr(bg, "rows", H5T_NATIVE_UINT64, &bx->box.rows);
        if (rc >= 0) rc = put_attr(bg, "positives", H5T_NATIVE_UINT64, &bx->box.positives);
        if (rc >= 0) rc = put_attr(bg, "coverage", H5T_NATIVE_DOUBLE, &bx->box.coverage);
        if (rc >= 0) rc = put_attr(bg, "density", H5T_NATIVE_DOUBLE, &bx->box.density);
        if (rc >= 0) rc = put_attr(bg, "mass", H5T_NATIVE_DOUBLE, &bx->box.mass);
        step_rec *s = malloc((bx->n_steps ? bx->n_steps : 1) * sizeof *s);
        limit_rec *l = malloc((p->d ? p->d : 1) * sizeof *l);
        if (!s || !l) rc = -1;
        for (size_t k = 0; rc >= 0 && k < bx->n_steps; k++) {
            const prim_step *ps = &bx->steps[k];
            s[k] = (step_rec){ps->rows, ps->positives, ps->coverage, ps->density, ps->mass,
                              ps->restricted, ps->moved};
        }
        for (size_t j = 0; rc >= 0 && j < p->d; j++)
            l[j] = (limit_rec){bx->lower[j], bx->upper[j], bx->p_lower[j], bx->p_upper[j],
                               bx->gain[j]};
        if (rc >= 0) rc = put_dset(bg, "trajectory", st_t, bx->n_steps, s);
        if (rc >= 0) rc = put_dset(bg, "limits", li_t, p->d, l);
        free(s), free(l);
        H5Gclose(bg);
    }
    if (st_t >= 0) H5Tclose(st_t);
    if (li_t >= 0) H5Tclose(li_t);
    return rc;
}

/* The group /discovery/<metric>_<outcome> into an open file. */
static herr_t write_group(hid_t file, const discover_table *t, const discover_options *opt,
                          const discover_result *r)
{
    char name[128];
    const char *metric = model_vars[model_metrics[r->metric]].name;
    snprintf(name, sizeof name, "%s_%s", metric, model_outcome_names[r->outcome]);
    hid_t top = H5Lexists(file, "discovery", H5P_DEFAULT) > 0
                    ? H5Gopen2(file, "discovery", H5P_DEFAULT)
                    : H5Gcreate2(file, "discovery", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (top < 0) return -1;
    herr_t rc = 0;
    if (H5Lexists(top, name, H5P_DEFAULT) > 0) rc = H5Ldelete(top, name, H5P_DEFAULT);
    hid_t g = rc < 0 ? -1 : H5Gcreate2(top, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) rc = -1;
    if (rc >= 0) rc = put_str(g, "metric", metric);
    if (rc >= 0) rc = put_str(g, "outcome", model_outcome_names[r->outcome]);
    if (rc >= 0) rc = put_attr(g, "peel_alpha", H5T_NATIVE_DOUBLE, &opt->prim.peel_alpha);
    if (rc >= 0) rc = put_attr(g, "paste_alpha", H5T_NATIVE_DOUBLE, &opt->prim.paste_alpha);
    if (rc >= 0) rc = put_attr(g, "min_mass", H5T_NATIVE_DOUBLE, &opt->prim.min_mass);
    if (rc >= 0)
        rc = put_str(g, "choice", opt->prim.choice == PRIM_CHOOSE_KNEE ? "knee" : "threshold");
    double thr = opt->prim.choice == PRIM_CHOOSE_THRESHOLD ? opt->prim.threshold : (double)NAN;
    if (rc >= 0) rc = put_attr(g, "threshold", H5T_NATIVE_DOUBLE, &thr);
    uint64_t bc = opt->prim.box_count;
    if (rc >= 0) rc = put_attr(g, "box_count", H5T_NATIVE_UINT64, &bc);
    /* the columns, as one newline-separated list and a string dataset */
    size_t len = 1;
    for (size_t j = 0; j < t->ncol; j++) len += strlen(t->keys[j]) + 1;
    char *cols = calloc(len, 1);
    for (size_t j = 0; cols && j < t->ncol; j++) strcat(strcat(cols, t->keys[j]), j + 1 < t->ncol ? "\n" : "");
    if (rc >= 0) rc = cols ? put_str(g, "columns", cols) : -1;
    free(cols);
    if (rc >= 0) rc = write_result(g, t, &r->horizon, r->sentence ? r->sentence[0] : NULL);
    for (int c = 0; rc >= 0 && c < r->n_cycles; c++) {
        char cn[32];
        snprintf(cn, sizeof cn, "cycle_%d", r->cycle[c]);
        hid_t cg = H5Gcreate2(g, cn, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (cg < 0) {
            rc = -1;
            break;
        }
        rc = put_attr(cg, "cycle", H5T_NATIVE_INT, &r->cycle[c]);
        if (rc >= 0) rc = put_attr(cg, "year", H5T_NATIVE_DOUBLE, &r->cycle_year[c]);
        if (rc >= 0) rc = write_result(cg, t, &r->by_cycle[c], r->sentence[c + 1]);
        H5Gclose(cg);
    }
    if (g >= 0) H5Gclose(g);
    H5Gclose(top);
    return rc;
}

/* Copies file src into the (empty, open-for-writing) dst. */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_TRUNC);
    int rc = in < 0 || out < 0 ? -1 : 0;
    char buf[1 << 16];
    while (rc == 0) {
        ssize_t got = read(in, buf, sizeof buf);
        if (got < 0) rc = -1;
        if (got <= 0) break;
        for (ssize_t off = 0; rc == 0 && off < got;) {
            ssize_t put = write(out, buf + off, (size_t)(got - off));
            if (put < 0) rc = -1;
            else off += put;
        }
    }
    if (rc == 0 && fsync(out) < 0) rc = -1;
    if (in >= 0) close(in);
    if (out >= 0 && close(out) < 0) rc = -1;
    return rc;
}

gs_status discover_write(const char *path, const char *output, const discover_table *tab,
                         const discover_options *opt, const discover_result *res,
                         gs_error *err)
{
    const int into_result = !output || !strcmp(output, path);
    const char *dest = into_result ? path : output;
    char target[H5UTIL_PATH_MAX], dir[H5UTIL_PATH_MAX], tmp[H5UTIL_PATH_MAX + 64];
    GS_FORWARD(h5util_output_target(dest, target, sizeof target, dir, sizeof dir, err));
    GS_FORWARD(h5util_tmp_create(target, tmp, sizeof tmp, err));
    h5util_init();
    gs_status st = GS_OK;
    if (into_result && copy_file(path, tmp) < 0)
        st = gs_error_set(err, GS_ERR_IO, "writing %s: copying it: %s", dest, strerror(errno));
    hid_t file = H5I_INVALID_HID;
    if (st == GS_OK) {
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fapl >= 0) H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
        file = into_result ? H5Fopen(tmp, H5F_ACC_RDWR, fapl)
                           : H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (fapl >= 0) H5Pclose(fapl);
        if (file < 0) st = h5_cause(err, GS_ERR_IO, dest, "opening the copy");
    }
    if (st == GS_OK && !into_result) {
        hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
        if (root < 0 || put_str(root, "discovery_of", path) < 0)
            st = h5_cause(err, GS_ERR_IO, dest, "writing attribute discovery_of");
        if (root >= 0) H5Gclose(root);
    }
    if (st == GS_OK && write_group(file, tab, opt, res) < 0)
        st = h5_cause(err, GS_ERR_IO, dest, "writing group discovery");
    if (file >= 0 && H5Fclose(file) < 0 && st == GS_OK)
        st = h5_cause(err, GS_ERR_IO, dest, "closing");
    if (st == GS_OK) {
        int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) < 0) st = gs_error_set(err, GS_ERR_IO, "writing %s: syncing: %s", dest, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (st == GS_OK && gs_interrupt_pending())
        st = gs_error_set(err, GS_ERR_INTERRUPTED, "writing %s: interrupted", dest);
    if (st == GS_OK && rename(tmp, target) < 0)
        st = gs_error_set(err, GS_ERR_IO, "writing %s: renaming: %s", dest, strerror(errno));
    if (st != GS_OK) unlink(tmp);
    return st;
}
