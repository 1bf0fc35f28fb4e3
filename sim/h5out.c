/* h5out.c - a run as a netCDF-4-compatible HDF5 file (shared/OUTPUT.md), written
 * atomically.
 *
 * Layout (root group; the `paths` group only when paths were stored):
 *
 *   cycle(cycle) int32 · time(cycle) double · quantile(quantile) double
 *   metric(metric), outcome(outcome), variable(variable): variable-length UTF-8
 *                                        strings (see scale_strings)
 *   <var>_mean(cycle), <var>_sd(cycle), <var>_quantile(cycle, quantile)  double
 *   outcome_probability, outcome_stderr, outcome_ci_low, outcome_ci_high
 *                                        (metric, outcome) double
 *   outcome_count(metric, outcome) uint64
 *   outcome_undefined(metric) uint64     trajectories whose outcome is undefined
 *   nonfinite_count(variable) uint64: non-finite values seen per recorded variable over
 *                                     all cycles (`ds.nonfinite_count.sel(variable="gap")`)
 *   paths/cycle, paths/time, paths/trajectory(trajectory) uint64,
 *   paths/<var>(trajectory, cycle) float32
 *
 * netCDF-4 compatibility: every dataset is either a dimension scale (named as its
 * dimension) or has a scale attached on every axis; creation order is tracked and
 * indexed on the file, its groups and datasets; library format bounds 1.8, so HDF5
 * 1.8 readers open the file and attributes larger than 64 KiB (the scenario text) go to
 * dense storage.  `time` is an auxiliary coordinate: every variable with a cycle axis
 * says `coordinates = "time"`, which xarray turns into a coordinate.  String
 * coordinates carry long_name but no units (CF gives strings none).  String attributes
 * are fixed-length, NUL-terminated UTF-8; root attributes: see root_attrs_write.
 *
 * Storage: every numeric dataset is one chunk, shuffle + deflate 4, except the paths:
 * balanced chunks of at most 512 KiB (paths_chunk), shuffle + deflate 2.
 *
 * Atomicity: everything goes to `<dir>/.<base>.tmp.<pid>`; `completed = 1` is the last
 * attribute written; then close, fsync, rename over the target, fsync the directory.
 * Any failure closes the file and unlinks the temporary file, so the target is either
 * the old file or the complete new one.
 *
 * Not thread-safe: one h5out_write at a time per process (HDF5 serial and the static
 * temporary-path buffer used by h5out_cleanup_on_signal).
 *
 * Across MPI ranks (h5out_write_comm, MPI build): every rank opens the temporary file
 * (named by rank 0) with the MPI-IO driver and makes every call, in the same order:
 * creating datasets, attributes, scales.  Data are written collectively; rank 0 writes
 * the statistics (every rank holds the same) and each rank its own rows of the full
 * paths (float32 memory into float32 file: no conversion, as collective writes of
 * filtered datasets require).  Parallel HDF5 1.10 cannot write variable-length strings,
 * so the string coordinates are created empty, and after the collective close rank 0
 * reopens the file alone to fill them and write `completed`, then renames.
 */
#define _POSIX_C_SOURCE 200809L

#include "h5out.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5util.h"
#include "hash.h"
#include "model.h"
#include "params.h"
#include "rng.h"
#include "study.h"
#include "trajdata.h"

enum {
    H5OUT_PATH_MAX = 4096,     /* longest output path accepted */
    CAUSE_MAX = 512,           /* innermost HDF5 error description kept */
    STATS_DEFLATE = 4,         /* deflate level of the per-cycle statistics */
    PATHS_DEFLATE = 2,         /* deflate level of the full paths */
    CONTIGUOUS = 0,            /* "level" of an unchunked, unfiltered dataset */
    PATHS_CHUNK_ELEMS = 131072 /* largest paths chunk: 512 KiB of float32 */
};

static const unsigned crt_order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;

/* The temporary file being written, for h5out_cleanup_on_signal: the path is complete
 * before `tmp_live` is raised, and `tmp_live` is lowered before the path changes. */
static char tmp_path[H5OUT_PATH_MAX + 64];
static char target_path[H5OUT_PATH_MAX]; /* the file replaced: the path, or a link's target */
static volatile sig_atomic_t tmp_live;

void h5out_cleanup_on_signal(void)
{
    if (tmp_live) unlink(tmp_path);
}

/* String coordinates created but not yet written (parallel writes). */
typedef struct h5_deferred {
    char dset[160];        /* full path of the dataset */
    size_t n;
    char **names;          /* copies */
    struct h5_deferred *next;
} h5_deferred;

/* The writer's context: the target path for messages and the caller's error; across
 * ranks also this rank, the collective transfer list, the rows of this rank (rows_*),
 * whether to skip the data (skip_data) and the deferred string coordinates. */
typedef struct {
    const char *path;
    gs_error *err;
    int par, rank;
    hid_t dxpl;
    const gs_comm *comm;
    int rows_active, skip_data;
    hsize_t rows_first, rows_count;
    h5_deferred **deferred;
} h5w;

/* ---- errors --------------------------------------------------------------------- */

/* Fails with GS_ERR_IO: "writing PATH: DOING: CAUSE", CAUSE being the innermost entry
 * of HDF5's error stack, plus the HDF5_USE_FILE_LOCKING hint when locking failed.
 * Must be called right after the failing HDF5 call: the next API call clears the stack. */
static gs_status h5_fail(const h5w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static gs_status h5_fail(const h5w *w, const char *fmt, ...)
{
    char doing[256], cause[CAUSE_MAX] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(doing, sizeof doing, fmt, ap);
    va_end(ap);
    const char *hint = h5util_cause(cause, sizeof cause) ? H5UTIL_LOCKING_HINT : "";
    return gs_error_set(w->err, GS_ERR_IO, "writing %s: %s: %s%s", w->path, doing, cause, hint);
}

/* Fails with GS_ERR_IO for a failed system call (errno still set). */
static gs_status sys_fail(const h5w *w, const char *doing, const char *what)
{
    return gs_error_set(w->err, GS_ERR_IO, "writing %s: %s %s: %s", w->path, doing, what,
                        strerror(errno));
}

/* ---- HDF5 building blocks ------------------------------------------------------- */

/* A fixed-length, NUL-terminated UTF-8 string type of `size` bytes (NUL included), or
 * variable-length with size H5T_VARIABLE; the caller closes it. */
static hid_t str_type(size_t size) { return h5util_str_type(size); }

/* Writes attribute `name` on obj: a scalar (n == 0) or a vector of n values of mtype
 * stored as ftype. */
static gs_status attr_write(const h5w *w, hid_t obj, const char *name, hid_t ftype,
                            hid_t mtype, hsize_t n, const void *data)
{
    char cause[CAUSE_MAX] = "";
    int rc = h5util_attr_write(obj, name, ftype, mtype, n, data, cause, sizeof cause);
    if (rc == 0) return GS_OK;
    return gs_error_set(w->err, GS_ERR_IO, "writing %s: writing attribute %s: %s%s", w->path,
                        name, cause, rc == -2 ? H5UTIL_LOCKING_HINT : "");
}

/* A string attribute of len bytes; s[len] must be the terminating NUL. */
static gs_status attr_text(const h5w *w, hid_t obj, const char *name, const char *s, size_t len)
{
    hid_t t = str_type(len + 1);
    if (t < 0) return h5_fail(w, "making the string type of attribute %s", name);
    gs_status st = attr_write(w, obj, name, t, t, 0, s);
    H5Tclose(t);
    return st;
}

static gs_status attr_str(const h5w *w, hid_t obj, const char *name, const char *s)
{
    return attr_text(w, obj, name, s, strlen(s));
}

static gs_status attr_double(const h5w *w, hid_t obj, const char *name, double v)
{
    return attr_write(w, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

static gs_status attr_int(const h5w *w, hid_t obj, const char *name, int v)
{
    return attr_write(w, obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, 0, &v);
}

static gs_status attr_u64(const h5w *w, hid_t obj, const char *name, uint64_t v)
{
    return attr_write(w, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
}

/* gapsim's units (model.h, params.def) in UDUNITS-2 spelling.  UDUNITS has no
 * currency: a US dollar counts as 1 (and a token, a count, as 1), so `units` keeps the
 * rest of the unit exactly (USD/Mtok -> 1e-6, USD/year -> year-1) and the unit with its
 * currency goes into the attribute gapsim_units and the long_name.  NULL: no UDUNITS
 * spelling (fractional powers: volatilities per √year), the variable gets no `units`. */
static const char *udunits_of(const char *unit)
{
    static const char *const map[][2] = {
        {"1", "1"},
        {"year", "year"},
        {"month", "month"},
        {"1/year", "year-1"},
        {"USD/(accelerator hour)", "h-1"},
        {"USD/kWh", "kW-1 h-1"},
        {"USD/Mtok", "1e-6"},
        {"USD/year", "year-1"},
        {"USD", "1"},
        {"Mtok/year", "1e6 year-1"},
        {"(accelerator hour)/Mtok", "1e-6 h"},
        {"kWh/(accelerator hour)", "kW"},
        {"1/year^0.5", NULL},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(unit, map[i][0]) == 0) return map[i][1];
    return unit; /* spelt for UDUNITS already (the test of every file's units checks) */
}

/* long_name, units (if non-NULL) and coordinates (if non-NULL) of a variable; units
 * are gapsim's, written in UDUNITS spelling (udunits_of) with the original in
 * gapsim_units and the long_name when the two differ. */
static gs_status var_labels(const h5w *w, hid_t dset, const char *long_name, const char *units,
                            const char *coordinates)
{
    const char *ud = units ? udunits_of(units) : NULL;
    if (units && (!ud || strcmp(ud, units) != 0)) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s [%s]", long_name, units);
        GS_FORWARD(attr_str(w, dset, "long_name", buf));
        GS_FORWARD(attr_str(w, dset, "gapsim_units", units));
    } else {
        GS_FORWARD(attr_str(w, dset, "long_name", long_name));
    }
    if (ud) GS_FORWARD(attr_str(w, dset, "units", ud));
    if (coordinates) GS_FORWARD(attr_str(w, dset, "coordinates", coordinates));
    return GS_OK;
}

/* Serially: a chunked two-dimensional dataset (the paths) one row of chunks at a time,
 * stopping between them (returning -1) when an interrupt is pending, so that SIGINT
 * acts within one chunk row instead of after the whole compressed write; anything
 * else in one call. */
static herr_t serial_write(hid_t dset, hid_t mtype, int rank, const hsize_t *dims,
                           const void *data)
{
    hsize_t chunk[2] = {0, 0};
    hid_t dcpl = rank == 2 ? H5Dget_create_plist(dset) : H5I_INVALID_HID;
    int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
                  H5Pget_chunk(dcpl, 2, chunk) == 2 && chunk[0] > 0 && chunk[0] < dims[0];
    if (dcpl >= 0) H5Pclose(dcpl);
    if (!chunked) return H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    size_t elem = H5Tget_size(mtype);
    herr_t rc = 0;
    for (hsize_t row = 0; rc >= 0 && row < dims[0]; row += chunk[0]) {
        if (gs_interrupt_pending()) return -1;
        hsize_t start[2] = {row, 0}, count[2] = {dims[0] - row < chunk[0] ? dims[0] - row : chunk[0], dims[1]};
        hid_t fs = H5Dget_space(dset), ms = H5Screate_simple(2, count, NULL);
        rc = fs < 0 || ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        if (rc >= 0)
            rc = H5Dwrite(dset, mtype, ms, fs, H5P_DEFAULT,
                          (const char *)data + (size_t)(row * dims[1]) * elem);
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
    }
    return rc;
}

/* Writes data into dset: serially all of it; across ranks collectively, rank 0 all of
 * it (or, with rows_active, each rank rows [rows_first, + rows_count) of axis 0 from a
 * buffer of rows_count rows), the other ranks nothing. */
static herr_t data_write(const h5w *w, hid_t dset, hid_t mtype, int rank, const hsize_t *dims,
                         const void *data)
{
    if (!w->par) return serial_write(dset, mtype, rank, dims, data);
    hsize_t mdims[8], start[8] = {0};
    for (int i = 0; i < rank; i++) mdims[i] = dims[i];
    int mine = w->rows_active ? w->rows_count > 0 : w->rank == 0;
    if (w->rows_active) mdims[0] = w->rows_count ? w->rows_count : 1;
    hid_t fspace = H5Dget_space(dset), mspace = H5Screate_simple(rank, mdims, NULL);
    herr_t rc = fspace < 0 || mspace < 0 ? -1 : 0;
    if (rc >= 0 && !mine) rc = H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0 ? -1 : 0;
    if (rc >= 0 && mine && w->rows_active) {
        start[0] = w->rows_first;
        rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, mdims, NULL);
    }
    if (rc >= 0) rc = H5Dwrite(dset, mtype, mspace, fspace, w->dxpl, data);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    return rc;
}

/* Creates dataset `name` in loc with dims[rank] of file type ftype and writes data
 * (memory type mtype) into it.  Datasets are chunked (chunk, or one chunk of the whole
 * dataset when chunk is NULL) with shuffle + deflate at `level`, except with level
 * CONTIGUOUS and when empty (an empty dataset cannot be chunked).  On success *out is
 * the open dataset (the caller closes it); on failure *out is invalid and nothing is
 * left open. */
static gs_status dset_write(const h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                            int rank, const hsize_t *dims, const hsize_t *chunk, unsigned level,
                            const void *data, hid_t *out)
{
    hsize_t nelem = 1;
    for (int i = 0; i < rank; i++) nelem *= dims[i];
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    herr_t rc = space < 0 || dcpl < 0 ? -1 : H5Pset_attr_creation_order(dcpl, crt_order);
    /* No modification times in object headers: identical runs give identical data. */
    if (rc >= 0) rc = H5Pset_obj_track_times(dcpl, 0);
    if (rc >= 0 && nelem > 0 && level != CONTIGUOUS) {
        rc = H5Pset_chunk(dcpl, rank, chunk ? chunk : dims);
        if (rc >= 0) rc = H5Pset_shuffle(dcpl);
        if (rc >= 0) rc = H5Pset_deflate(dcpl, level);
    }
    hid_t dset = rc < 0 ? H5I_INVALID_HID
                        : H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset >= 0 && nelem > 0 && !w->skip_data) rc = data_write(w, dset, mtype, rank, dims, data);
    gs_status st = dset < 0 || rc < 0 ? h5_fail(w, "writing dataset %s", name) : GS_OK;
    if (st != GS_OK && gs_interrupt_pending())
        st = gs_error_set(w->err, GS_ERR_INTERRUPTED, "writing %s: interrupted", w->path);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    if (st != GS_OK && dset >= 0) H5Dclose(dset), dset = H5I_INVALID_HID;
    *out = dset;
    return st;
}

/* A one-dimensional coordinate `name`(name) made a dimension scale of that name. */
static gs_status scale_write(const h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                             hsize_t n, unsigned level, const void *data, const char *long_name,
                             const char *units, hid_t *out)
{
    GS_FORWARD(dset_write(w, loc, name, ftype, mtype, 1, &n, NULL, level, data, out));
    gs_status st = GS_OK;
    if (H5DSset_scale(*out, name) < 0) st = h5_fail(w, "making %s a dimension scale", name);
    if (st == GS_OK) st = var_labels(w, *out, long_name, units, NULL);
    if (st != GS_OK) H5Dclose(*out), *out = H5I_INVALID_HID;
    return st;
}

static gs_status attach_close(const h5w *w, hid_t dset, const char *name, int rank,
                              const hid_t *scales);
static gs_status dim_write(const h5w *w, hid_t loc, const char *name, hsize_t n,
                           const int *data, hid_t *out);

/* A categorical coordinate of n labels, written so that every netCDF reader takes it
 * (Octave's netcdf package and CDO refuse netCDF string variables):
 *   name(name)            int32 0..n-1, flag_values and flag_meanings (CF flags: the
 *                         labels as blank-separated words, characters other than
 *                         letters, digits and _.+-@ as '_')
 *   name_label(name, name_strlen)  the exact labels as a char array (NUL-padded
 *                         UTF-8), name_strlen a dimension without a variable.
 * *out is the open int32 scale. */
static gs_status scale_strings(const h5w *w, hid_t loc, const char *name, size_t n,
                               const char *const *names, const char *long_name, hid_t *out)
{
    size_t len = 1, words = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        if (l > len) len = l;
        words += l + 1;
    }
    int *codes = malloc((n ? n : 1) * sizeof *codes);
    char *chars = calloc((n ? n : 1) * len, 1), *meanings = malloc(words + 1);
    gs_status st = codes && chars && meanings
                       ? GS_OK
                       : gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    size_t at = 0;
    for (size_t i = 0; st == GS_OK && i < n; i++) {
        codes[i] = (int)i;
        memcpy(chars + i * len, names[i], strlen(names[i]));
        if (i) meanings[at++] = ' ';
        for (const char *c = names[i]; *c; c++) {
            int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                       (*c >= '0' && *c <= '9') || strchr("_.+-@", *c);
            meanings[at++] = keep ? *c : '_';
        }
    }
    if (meanings) meanings[at] = '\0';
    *out = H5I_INVALID_HID;
    if (st == GS_OK)
        st = scale_write(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, n, CONTIGUOUS, codes,
                         long_name, NULL, out);
    if (st == GS_OK)
        st = attr_write(w, *out, "flag_values", H5T_STD_I32LE, H5T_NATIVE_INT, n, codes);
    if (st == GS_OK) st = attr_str(w, *out, "flag_meanings", meanings);
    char dname[96], lname[96], lab_long[256];
    snprintf(dname, sizeof dname, "%s_strlen", name);
    snprintf(lname, sizeof lname, "%s_label", name);
    snprintf(lab_long, sizeof lab_long, "%s (label of each %s)", long_name, name);
    hid_t strlen_dim = H5I_INVALID_HID, ct = H5I_INVALID_HID;
    if (st == GS_OK) st = dim_write(w, loc, dname, len, NULL, &strlen_dim);
    if (st == GS_OK && (ct = str_type(1)) < 0) st = h5_fail(w, "making the char type of %s", lname);
    if (st == GS_OK) {
        hsize_t dims[2] = {n, len};
        hid_t scales[2] = {*out, strlen_dim}, d;
        st = dset_write(w, loc, lname, ct, ct, 2, dims, NULL, CONTIGUOUS, chars, &d);
        if (st == GS_OK) {
            st = attr_str(w, d, "long_name", lab_long);
            if (st == GS_OK) st = attr_str(w, d, "_Encoding", "utf-8");
            if (st == GS_OK) st = attach_close(w, d, lname, 2, scales);
            else H5Dclose(d);
        }
    }
    if (ct >= 0) H5Tclose(ct);
    if (strlen_dim >= 0) H5Dclose(strlen_dim);
    if (st != GS_OK && *out >= 0) H5Dclose(*out), *out = H5I_INVALID_HID;
    free(codes), free(chars), free(meanings);
    return st;
}

/* Attaches scales[i] to axis i of dset for every axis, then closes dset (also on
 * failure). */
static gs_status attach_close(const h5w *w, hid_t dset, const char *name, int rank,
                              const hid_t *scales)
{
    gs_status st = GS_OK;
    for (int i = 0; i < rank && st == GS_OK; i++)
        if (H5DSattach_scale(dset, scales[i], (unsigned)i) < 0)
            st = h5_fail(w, "attaching dimension %d of %s", i, name);
    H5Dclose(dset);
    return st;
}

/* A labelled data variable: write, label, attach every axis, close. */
static gs_status var_write(const h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                           int rank, const hsize_t *dims, const hsize_t *chunk, unsigned level,
                           const void *data, const hid_t *scales, const char *long_name,
                           const char *units, const char *coordinates)
{
    hid_t dset;
    GS_FORWARD(dset_write(w, loc, name, ftype, mtype, rank, dims, chunk, level, data, &dset));
    gs_status st = var_labels(w, dset, long_name, units, coordinates);
    if (st != GS_OK) {
        H5Dclose(dset);
        return st;
    }
    return attach_close(w, dset, name, rank, scales);
}

/* netCDF-4's mark of a dimension that has no coordinate variable (netCDF-C's
 * DIM_WITHOUT_VARIABLE, followed by the length as netCDF-C writes it): the dataset is
 * the dimension, readers list no variable of that name. */
static const char dim_only_mark[] = "This is a netCDF dimension but not a netCDF variable.";

/* A dimension `name` of length n without a coordinate variable: a dimension scale
 * marked as netCDF marks such dimensions.  data (int32, n values, may be NULL for
 * zeros) is what h5py users see in the dataset.  *out stays open for the caller. */
static gs_status dim_write(const h5w *w, hid_t loc, const char *name, hsize_t n,
                           const int *data, hid_t *out)
{
    int *zeros = data ? NULL : calloc(n ? n : 1, sizeof *zeros);
    if (!data && !zeros) return gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    gs_status st = dset_write(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, 1, &n, NULL,
                              CONTIGUOUS, data ? (const void *)data : zeros, out);
    free(zeros);
    GS_FORWARD(st);
    char mark[sizeof dim_only_mark + 16];
    snprintf(mark, sizeof mark, "%s%10llu", dim_only_mark, (unsigned long long)n);
    if (H5DSset_scale(*out, mark) < 0) {
        H5Dclose(*out), *out = H5I_INVALID_HID;
        return h5_fail(w, "making %s a dimension", name);
    }
    return GS_OK;
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

/* The instant of decimal year t as days since 1970-01-01: a fraction that is a whole
 * number of months starts that month (2024.5 is 1 July 2024), any other fraction f is
 * that share of the year's days (2024.3 is 0.3 × 366 days after 1 January 2024). */
static double decimal_year_days(double t, int *y_out, int *m_out)
{
    double yf = floor(t), f = t - yf, months = f * 12;
    long y = (long)yf;
    if (fabs(months - nearbyint(months)) < 1e-9) {
        unsigned m = (unsigned)nearbyint(months);
        if (m >= 12) y++, m = 0;
        if (y_out) *y_out = (int)y, *m_out = (int)m + 1;
        return (double)days_from_civil(y, m + 1, 1);
    }
    if (y_out) *y_out = (int)y, *m_out = 0;
    double d0 = (double)days_from_civil(y, 1, 1);
    return d0 + f * ((double)days_from_civil(y + 1, 1, 1) - d0);
}

/* The calendar year of cycle 0 (t₀): the result's, or 2024.0 when unset. */
static double result_start_year(const gs_result *res)
{
    return res->start_year > 0 ? res->start_year : 2024.0;
}

/* The dimension `cycle` (0..K, a netCDF dimension without a variable, so that `time`
 * is the coordinate CDO decodes), `time` (CF: days since the start, calendar
 * "standard") and `year` (decimal calendar years) in loc; *cycle_scale stays open for
 * the caller. */
static gs_status cycle_time_write(const h5w *w, hid_t loc, const gs_result *res,
                                  hid_t *cycle_scale)
{
    hsize_t n = (hsize_t)res->n_cycles;
    int *cycles = malloc((size_t)n * sizeof *cycles);
    double *days = malloc((size_t)n * sizeof *days), *years = malloc((size_t)n * sizeof *years);
    gs_status st = GS_OK;
    if (!cycles || !days || !years)
        st = gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    double t0 = result_start_year(res);
    int y0 = 0, m0 = 0;
    double d0 = decimal_year_days(t0, &y0, &m0);
    char units[80];
    if (m0) {
        snprintf(units, sizeof units, "days since %04d-%02d-01 00:00:00", y0, m0);
    } else { /* a start inside a month: count from 1 January, the start is day d0 - jan1 */
        snprintf(units, sizeof units, "days since %04d-01-01 00:00:00", y0);
        d0 = (double)days_from_civil(y0, 1, 1);
    }
    for (int k = 0; st == GS_OK && k < res->n_cycles; k++) {
        cycles[k] = k;
        years[k] = t0 + k * res->cycle_years; /* t_k = t₀ + k Δ */
        days[k] = decimal_year_days(years[k], NULL, NULL) - d0;
    }
    if (st == GS_OK) st = dim_write(w, loc, "cycle", n, cycles, cycle_scale);
    if (st == GS_OK) {
        hid_t t;
        st = dset_write(w, loc, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                        STATS_DEFLATE, days, &t);
        if (st == GS_OK) {
            st = var_labels(w, t, "start of the release cycle", units, NULL);
            if (st == GS_OK) st = attr_str(w, t, "standard_name", "time");
            if (st == GS_OK) st = attr_str(w, t, "calendar", "standard");
            if (st == GS_OK) st = attr_str(w, t, "axis", "T");
            if (st == GS_OK) st = attach_close(w, t, "time", 1, cycle_scale);
            else H5Dclose(t);
        }
    }
    if (st == GS_OK)
        st = var_write(w, loc, "year", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                       STATS_DEFLATE, years, cycle_scale,
                       "calendar year of the start of the release cycle (decimal)", "1", NULL);
    if (st != GS_OK && *cycle_scale >= 0) H5Dclose(*cycle_scale), *cycle_scale = H5I_INVALID_HID;
    free(cycles);
    free(days);
    free(years);
    return st;
}

/* param_<key> with dots as underscores ("param_capability_catch_up"). */
static void param_var_name(char *buf, size_t size, gs_param_id id)
{
    snprintf(buf, size, "param_%s", params_table[id].key);
    for (char *c = buf; *c; c++)
        if (*c == '.') *c = '_';
}

/* Where the per-run variables come from: one result (a plain run: the variables keep
 * their shapes) or the P results of a sweep (each variable gets a leading `point` axis,
 * and the `coordinates` attribute names the param_<key> coordinates). */
typedef struct {
    const gs_result *pts;
    size_t P;
    int sweep;
    const gs_sweep *sw;                 /* the sweep, or NULL */
    const gs_uncertainty *uncertainty;  /* a single run's uncertain parameters, or NULL */
    const gs_history *history;          /* a history-matched run's matching, or NULL */
    hid_t point_scale;
    char coords_time[1024], coords[1024]; /* "time param_a ..." and "param_a ..." */
} run_layout;

/* ---- contents ------------------------------------------------------------------- */

/* The root attribute that records run key k (runkeys.def gives its name and, by the
 * key's type, its HDF5 type) with the value the run used: RK_COUNT uint64; RK_SEED
 * uint64 and the same number as the string <name>_text; RK_BOOL int32; RK_FRACTION and
 * RK_REAL float64; RK_LEVELS a vector of n float64. */
static gs_status runkey_attr(const h5w *w, hid_t obj, runkey_id k, const void *value, size_t n)
{
    const runkey_info *ri = &runkeys_table[k];
    char name[96], buf[32];
    if (!*ri->attribute) ri = NULL;
    switch (ri ? ri->type : RK_SECTION) {
    case RK_COUNT: return attr_u64(w, obj, ri->attribute, *(const uint64_t *)value);
    case RK_SEED:
        GS_FORWARD(attr_u64(w, obj, ri->attribute, *(const uint64_t *)value));
        /* Readers without unsigned 64-bit integers (R) get the seed exactly from the text. */
        snprintf(name, sizeof name, "%s_text", ri->attribute);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)value);
        return attr_str(w, obj, name, buf);
    case RK_BOOL: return attr_int(w, obj, ri->attribute, *(const int *)value);
    case RK_FRACTION:
    case RK_REAL: return attr_double(w, obj, ri->attribute, *(const double *)value);
    case RK_LEVELS:
        return attr_write(w, obj, ri->attribute, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, value);
    case RK_TEXT:
    case RK_CHOICE: /* not recorded as run attributes (the history group records them) */
    case RK_SECTION: break;
    }
    return gs_error_set(w->err, GS_ERR_INTERNAL, "writing %s: run key %s has no attribute",
                        w->path, runkeys_table[k].key);
}

/* Root attributes, all but `completed`.  Order: identification, provenance, scenario,
 * run, parameters. */
static gs_status root_attrs_write(const h5w *w, hid_t root, const gs_scenario *sc,
                                  const gs_result *res, const h5out_meta *meta)
{
    const char *version = meta && meta->version ? meta->version : "unknown";
    const char *git = meta && meta->git_revision ? meta->git_revision : "unknown";
    const char *cmd = meta && meta->command_line ? meta->command_line : "";
    const char *text = sc->text ? sc->text : "";
    size_t text_len = sc->text ? sc->text_len : 0;
    char created[32], sha[65], buf[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    hash_sha256_hex(text, text_len, sha);
    int threads = res->threads;
    if (w->par && w->comm) { /* every rank must write the same attribute values */
        comm_broadcast(w->comm, created, sizeof created);
        comm_broadcast(w->comm, &threads, sizeof threads);
    }
    char isa[sizeof res->isa]; /* rank 0's, as `threads` */
    snprintf(isa, sizeof isa, "%s", res->isa[0] ? res->isa : "unknown");
    if (w->par && w->comm) comm_broadcast(w->comm, isa, sizeof isa);

    GS_FORWARD(attr_str(w, root, "Conventions", "CF-1.8"));
    snprintf(buf, sizeof buf, "gapsim: %s", sc->name ? sc->name : "unnamed");
    GS_FORWARD(attr_str(w, root, "title", buf));
    snprintf(buf, sizeof buf, "gapsim %s (git %s)", version, git);
    GS_FORWARD(attr_str(w, root, "source", buf));
    size_t hlen = strlen(created) + 1 + strlen(cmd);
    char *history = malloc(hlen + 1);
    if (!history) return gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    snprintf(history, hlen + 1, "%s %s", created, cmd);
    gs_status st = attr_str(w, root, "history", history);
    free(history);
    GS_FORWARD(st);
    GS_FORWARD(attr_int(w, root, "gapsim_format_version", H5OUT_FORMAT_VERSION));
    GS_FORWARD(attr_str(w, root, "scenario_name", sc->name ? sc->name : ""));
    GS_FORWARD(attr_str(w, root, "scenario_description", sc->description ? sc->description : ""));
    GS_FORWARD(attr_str(w, root, "scenario_file", sc->path ? sc->path : ""));
    GS_FORWARD(attr_text(w, root, "scenario_text", text, text_len));
    GS_FORWARD(attr_str(w, root, "scenario_sha256", sha));
    GS_FORWARD(attr_str(w, root, "rng", rng_scheme));
    GS_FORWARD(runkey_attr(w, root, RUNKEY_SEED, &res->seed, 0)); /* seed, seed_text */
    GS_FORWARD(attr_double(w, root, "start_year", result_start_year(res)));
    GS_FORWARD(runkey_attr(w, root, RUNKEY_TRAJECTORIES, &res->trajectories, 0));
    GS_FORWARD(attr_int(w, root, "threads", threads));
    GS_FORWARD(attr_str(w, root, "isa", isa));
    char method[96] = "exact, in memory"; /* streaming mode: stream.h */
    if (res->stream_passes)
        snprintf(method, sizeof method, "exact, streaming in %u passes of %llu-trajectory batches",
                 res->stream_passes, (unsigned long long)res->stream_batch);
    GS_FORWARD(attr_str(w, root, "quantile_method", method));
    GS_FORWARD(attr_str(w, root, "created", created));
    if (res->n_quantiles)
        GS_FORWARD(runkey_attr(w, root, RUNKEY_QUANTILES, res->quantile_levels, res->n_quantiles));
    GS_FORWARD(attr_u64(w, root, "stored_paths", res->n_paths));
    for (int i = 0; i < PARAM_COUNT; i++) {
        /* param_<key>, dots becoming underscores: hardware.vol -> param_hardware_vol */
        param_var_name(buf, sizeof buf, (gs_param_id)i);
        GS_FORWARD(attr_double(w, root, buf, params_get(&sc->params, (gs_param_id)i)));
    }
    return GS_OK;
}

/* ---- sweeps and uncertain parameters --------------------------------------------- */

/* The `point` dimension of a sweep and its coordinates: point(point) = 0..P-1,
 * param_<key>(point) for every swept key, trajectories(point), batches(point); root
 * attributes sweep_kind, sweep_keys, sweep_coordinates, sweep_shape (grid), sweep_crn,
 * sweep_metric.  Fills lay (the point scale stays open in lay->point_scale). */
static gs_status sweep_coords_write(const h5w *w, hid_t root, run_layout *lay)
{
    const gs_sweep *sw = lay->sw;
    static const char *const kinds[] = {"none", "grid", "lhs", "sobol"};
    hsize_t P = sw->n_points;
    uint64_t *u = malloc(sw->n_points * sizeof *u);
    double *x = malloc(sw->n_points * sizeof *x);
    gs_status st = u && x ? GS_OK : gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    for (size_t p = 0; st == GS_OK && p < sw->n_points; p++) u[p] = p;
    if (st == GS_OK)
        st = scale_write(w, root, "point", H5T_STD_U64LE, H5T_NATIVE_UINT64, P, STATS_DEFLATE, u,
                         "sweep point", "1", &lay->point_scale);
    char name[160], keys[1024] = "", coords[1024] = "", long_name[256];
    for (size_t j = 0; st == GS_OK && j < sw->n_keys; j++) {
        const gs_param_info *pi = &params_table[sw->keys[j]];
        param_var_name(name, sizeof name, sw->keys[j]);
        for (size_t p = 0; p < sw->n_points; p++) x[p] = sw->values[p * sw->n_keys + j];
        snprintf(long_name, sizeof long_name, "swept %s: %s", pi->key, pi->meaning);
        st = var_write(w, root, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &P, NULL, STATS_DEFLATE,
                       x, &lay->point_scale, long_name, pi->unit, NULL);
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", j ? " " : "", pi->key);
        snprintf(coords + strlen(coords), sizeof coords - strlen(coords), "%s%s", j ? " " : "", name);
    }
    for (size_t p = 0; st == GS_OK && p < sw->n_points; p++) u[p] = sw->points[p].trajectories;
    if (st == GS_OK)
        st = var_write(w, root, "trajectories", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &P, NULL,
                       STATS_DEFLATE, u, &lay->point_scale, "trajectories run at each point", "1",
                       coords);
    for (size_t p = 0; st == GS_OK && p < sw->n_points; p++) u[p] = sw->points[p].batches;
    if (st == GS_OK && sw->points[0].target_se > 0)
        st = var_write(w, root, "batches", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &P, NULL,
                       STATS_DEFLATE, u, &lay->point_scale, "batches run for --target-se", "1",
                       coords);
    if (st == GS_OK) st = attr_str(w, root, "sweep_kind", kinds[sw->kind]);
    if (st == GS_OK) st = attr_str(w, root, "sweep_keys", keys);
    if (st == GS_OK) st = attr_str(w, root, "sweep_coordinates", coords);
    if (st == GS_OK && sw->kind == SWEEP_GRID) {
        int shape[SWEEP_MAX_KEYS];
        for (size_t j = 0; j < sw->n_keys; j++) shape[j] = (int)sw->shape[j];
        st = attr_write(w, root, "sweep_shape", H5T_STD_I32LE, H5T_NATIVE_INT, sw->n_keys, shape);
    }
    if (st == GS_OK) st = runkey_attr(w, root, RUNKEY_SWEEP_CRN, &sw->crn, 0);
    if (st == GS_OK) st = attr_str(w, root, "sweep_metric", model_vars[model_metrics[sw->metric]].name);
    snprintf(lay->coords_time, sizeof lay->coords_time, "time %s", coords);
    snprintf(lay->coords, sizeof lay->coords, "%s", coords);
    free(u);
    free(x);
    return st;
}

/* A small double variable with given scales (one chunk). */
static gs_status small_var(const h5w *w, hid_t loc, const char *name, int rank, const hsize_t *dims,
                           const double *data, const hid_t *scales, const char *long_name,
                           const char *units)
{
    return var_write(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, NULL,
                     STATS_DEFLATE, data, scales, long_name, units, NULL);
}

/* The uncertain parameters of a run and their sensitivity analysis (README, "The
 * output of uncertainty runs"): dims parameter, correlation_pair, side; variables
 * parameter_p10/p50/p90/draw_mean, rank_correlation_target/achieved, tornado_*,
 * sobol_* (and sobol_*_by_cycle). */
static gs_status uncertainty_write(const h5w *w, hid_t root, const gs_uncertainty *u,
                                   hid_t cycle_scale, hid_t metric_scale)
{
    size_t d = u->d;
    const char *keys[SCENARIO_MAX_UNCERTAIN];
    char dists[SCENARIO_MAX_UNCERTAIN * (SENS_DIST_TEXT + 64)] = "";
    for (size_t j = 0; j < d; j++) {
        keys[j] = params_table[u->ids[j]].key;
        snprintf(dists + strlen(dists), sizeof dists - strlen(dists), "%s%s: %s", j ? "; " : "",
                 keys[j], u->dist_text[j]);
    }
    hid_t par = H5I_INVALID_HID, pair = H5I_INVALID_HID, side = H5I_INVALID_HID;
    gs_status st = scale_strings(w, root, "parameter", d, keys, "uncertain parameter", &par);
    if (st == GS_OK) st = attr_str(w, par, "distributions", dists);
    if (st == GS_OK) st = attr_str(w, root, "uncertain_distributions", dists);
    if (st == GS_OK) { /* "key: unit; ..." for the variables over parameters */
        char each[SCENARIO_MAX_UNCERTAIN * 96] = "";
        for (size_t j = 0; j < d; j++)
            snprintf(each + strlen(each), sizeof each - strlen(each), "%s%s: %s", j ? "; " : "",
                     keys[j], params_table[u->ids[j]].unit);
        st = attr_str(w, par, "units_each", each);
    }
    hsize_t nd = d;
    static const struct {
        const char *name, *long_name;
        size_t offset;
    } pv[] = {{"parameter_p10", "10th percentile of the parameter's distribution", offsetof(gs_uncertainty, p10)},
              {"parameter_p50", "median of the parameter's distribution", offsetof(gs_uncertainty, p50)},
              {"parameter_p90", "90th percentile of the parameter's distribution", offsetof(gs_uncertainty, p90)},
              {"parameter_draw_mean", "mean of the run's draws of the parameter", offsetof(gs_uncertainty, draw_mean)}};
    for (size_t i = 0; st == GS_OK && i < sizeof pv / sizeof pv[0]; i++)
        st = small_var(w, root, pv[i].name, 1, &nd, (const double *)((const char *)u + pv[i].offset),
                       &par, pv[i].long_name, NULL); /* units differ: see parameter:units_each */
    if (st == GS_OK && u->n_pairs) {
        char names[SCENARIO_MAX_RANK_CORR][200];
        const char *np[SCENARIO_MAX_RANK_CORR];
        for (size_t c = 0; c < u->n_pairs; c++) {
            snprintf(names[c], sizeof names[c], "%s ~ %s", params_table[u->pair_a[c]].key,
                     params_table[u->pair_b[c]].key);
            np[c] = names[c];
        }
        hsize_t npairs = u->n_pairs;
        st = scale_strings(w, root, "correlation_pair", u->n_pairs, np,
                           "pair of uncertain parameters with a rank correlation", &pair);
        if (st == GS_OK)
            st = small_var(w, root, "rank_correlation_target", 1, &npairs, u->pair_target, &pair,
                           "Spearman rank correlation asked for", "1");
        if (st == GS_OK)
            st = small_var(w, root, "rank_correlation_achieved", 1, &npairs, u->pair_achieved, &pair,
                           "Spearman rank correlation of the run's draws", "1");
    }
    /* Variables over metrics with different units have no `units`; the metric
     * coordinate's units_each lists them. */
    const char *metric_units = NULL;
    if (st == GS_OK && u->has_tornado) {
        static const char *const sides[] = {"p10", "p90"};
        st = scale_strings(w, root, "side", 2, sides, "tornado swing: parameter at its 10th / 90th percentile", &side);
        hsize_t dims[3] = {nd, 2, METRIC_COUNT}, dims2[2] = {nd, 2}, nm = METRIC_COUNT;
        hid_t scales[3] = {par, side, metric_scale};
        double value[SCENARIO_MAX_UNCERTAIN * 2];
        for (size_t j = 0; j < d; j++) value[2 * j] = u->p10[j], value[2 * j + 1] = u->p90[j];
        if (st == GS_OK)
            st = small_var(w, root, "tornado_value", 2, dims2, value, scales,
                           "parameter value of the tornado swing", NULL);
        if (st == GS_OK)
            st = small_var(w, root, "tornado_compound", 3, dims, &u->tornado_compound[0][0][0], scales,
                           "P(compound) with one parameter swung, the others at their medians", "1");
        if (st == GS_OK)
            st = small_var(w, root, "tornado_median", 3, dims, &u->tornado_median[0][0][0], scales,
                           "median of the metric at the horizon with one parameter swung", metric_units);
        if (st == GS_OK)
            st = small_var(w, root, "tornado_base_compound", 1, &nm, u->tornado_base_compound,
                           &metric_scale, "P(compound) with every parameter at its median", "1");
        if (st == GS_OK)
            st = small_var(w, root, "tornado_base_median", 1, &nm, u->tornado_base_median,
                           &metric_scale, "median of the metric at the horizon, every parameter at its median",
                           metric_units);
        if (st == GS_OK)
            st = runkey_attr(w, root, RUNKEY_SENS_TRAJECTORIES, &u->tornado_trajectories, 0);
    }
    if (st == GS_OK && u->has_sobol) {
        hsize_t dims[2] = {nd, METRIC_COUNT}, nm = METRIC_COUNT;
        hid_t scales[2] = {par, metric_scale};
        const struct {
            const char *name, *long_name;
            const double *data;
        } sv[] = {
            {"sobol_first", "first-order Sobol index of the metric at the horizon (Saltelli 2010)", &u->first[0][0]},
            {"sobol_first_ci_low", "lower bound of the 95% bootstrap interval of sobol_first", &u->first_lo[0][0]},
            {"sobol_first_ci_high", "upper bound of the 95% bootstrap interval of sobol_first", &u->first_hi[0][0]},
            {"sobol_total", "total Sobol index of the metric at the horizon (Jansen 1999)", &u->total[0][0]},
            {"sobol_total_ci_low", "lower bound of the 95% bootstrap interval of sobol_total", &u->total_lo[0][0]},
            {"sobol_total_ci_high", "upper bound of the 95% bootstrap interval of sobol_total", &u->total_hi[0][0]},
        };
        for (size_t i = 0; st == GS_OK && i < sizeof sv / sizeof sv[0]; i++)
            st = small_var(w, root, sv[i].name, 2, dims, sv[i].data, scales, sv[i].long_name, "1");
        if (st == GS_OK)
            st = small_var(w, root, "sobol_variance", 1, &nm, u->sobol_variance, &metric_scale,
                           "variance of the metric at the horizon over the Sobol design", metric_units);
        if (st == GS_OK && u->first_by_cycle) {
            hsize_t dc[3] = {(hsize_t)u->n_cycles, nd, METRIC_COUNT};
            hid_t sc3[3] = {cycle_scale, par, metric_scale};
            st = small_var(w, root, "sobol_first_by_cycle", 3, dc, u->first_by_cycle, sc3,
                           "first-order Sobol index of the metric at each cycle", "1");
            if (st == GS_OK)
                st = small_var(w, root, "sobol_total_by_cycle", 3, dc, u->total_by_cycle, sc3,
                               "total Sobol index of the metric at each cycle", "1");
        }
        if (st == GS_OK) st = runkey_attr(w, root, RUNKEY_SENS_SAMPLES, &u->sobol_samples, 0);
        if (st == GS_OK) st = runkey_attr(w, root, RUNKEY_SENS_BOOTSTRAP, &u->sobol_bootstrap, 0);
    }
    if (par >= 0) H5Dclose(par);
    if (pair >= 0) H5Dclose(pair);
    if (side >= 0) H5Dclose(side);
    return st;
}

/* A child group of root that keeps creation order and no times (as every group of the
 * file): *grp on success. */
static gs_status group_create(const h5w *w, hid_t root, const char *name, hid_t *grp)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    herr_t rc = gcpl < 0 ? -1 : H5Pset_link_creation_order(gcpl, crt_order);
    if (rc >= 0) rc = H5Pset_attr_creation_order(gcpl, crt_order);
    if (rc >= 0) rc = H5Pset_obj_track_times(gcpl, 0);
    *grp = rc < 0 ? H5I_INVALID_HID : H5Gcreate2(root, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (gcpl >= 0) H5Pclose(gcpl);
    return *grp < 0 ? h5_fail(w, "creating group %s", name) : GS_OK;
}

/* The `history` group of a history-matched run (README, "The output of
 * history-matched runs"): counts as attributes; dims target, level, parameter, wave
 * (and accepted with --paths); per target the observation, band, rejections and
 * simulated quantiles; per parameter prior and posterior quantiles; per wave the
 * acceptance and outcome probabilities, and the movement between the last two. */
static gs_status history_write(const h5w *w, hid_t root, const gs_history *h, hid_t metric_scale,
                               hid_t outcome_scale)
{
    hid_t grp;
    gs_status st = group_create(w, root, "history", &grp);
    if (st != GS_OK) return st;
    const targets_tally *t = &h->tally;
    const size_t J = h->set.n, d = h->d, nw = h->n_waves;
    if (st == GS_OK) st = attr_str(w, grp, "long_name", "history matching: the trajectories consistent with the targets");
    if (st == GS_OK) st = attr_str(w, grp, "targets_file", h->set.path);
    if (st == GS_OK) st = attr_double(w, grp, "cutoff", h->cutoff);
    if (st == GS_OK) st = attr_str(w, grp, "rule", h->rule == TARGETS_RULE_SECOND_MAX ? "second_max" : "max");
    if (st == GS_OK) st = attr_u64(w, grp, "drawn", t->drawn);
    if (st == GS_OK) st = attr_u64(w, grp, "accepted", t->accepted);
    if (st == GS_OK)
        st = attr_double(w, grp, "acceptance_rate", t->drawn ? (double)t->accepted / (double)t->drawn : 0.0);
    if (st == GS_OK) st = attr_u64(w, grp, "waves", (uint64_t)nw);
    if (st == GS_OK) st = attr_str(w, grp, "waves_stopped", h->wave_stop);
    /* per target */
    const char *names[TARGETS_MAX];
    char vars[TARGETS_MAX * 24] = "", trans[TARGETS_MAX * 12] = "";
    double obs[TARGETS_MAX], sig[TARGETS_MAX], disc[TARGETS_MAX], share[TARGETS_MAX];
    int inband[TARGETS_MAX], kf[TARGETS_MAX], kl[TARGETS_MAX];
    for (size_t j = 0; j < J; j++) {
        const targets_target *g = &h->set.t[j];
        names[j] = g->name;
        snprintf(vars + strlen(vars), sizeof vars - strlen(vars), "%s%s", j ? " " : "",
                 model_vars[g->var].name);
        snprintf(trans + strlen(trans), sizeof trans - strlen(trans), "%s%s", j ? " " : "",
                 targets_transform_names[g->transform]);
        obs[j] = g->value, sig[j] = g->sigma, disc[j] = g->discrepancy;
        share[j] = t->drawn ? (double)t->rejected[j] / (double)t->drawn : 0.0;
        inband[j] = h->median_in_band[j], kf[j] = g->k_first, kl[j] = g->k_last;
    }
    hid_t tg = H5I_INVALID_HID, lv = H5I_INVALID_HID, par = H5I_INVALID_HID, wv = H5I_INVALID_HID,
          acc = H5I_INVALID_HID;
    if (st == GS_OK) st = scale_strings(w, grp, "target", J, names, "history target", &tg);
    if (st == GS_OK) st = attr_str(w, tg, "variables", vars);
    if (st == GS_OK) st = attr_str(w, tg, "transforms", trans);
    if (st == GS_OK)
        st = scale_write(w, grp, "level", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, TARGETS_N_LEVELS,
                         CONTIGUOUS, targets_levels, "quantile level of the history summaries", "1", &lv);
    hsize_t nj = J, dq[2] = {J, TARGETS_N_LEVELS};
    hid_t tl[2] = {tg, lv};
    const struct {
        const char *name, *long_name;
        const double *data;
        int rank;
    } tv[] = {
        {"observed", "observed value z (the variable's units)", obs, 1},
        {"sigma", "observation uncertainty (transformed units)", sig, 1},
        {"discrepancy", "model discrepancy (transformed units)", disc, 1},
        {"band_low", "lower end of the band h^-1(h(z) - c s) (the variable's units)", h->band_lo, 1},
        {"band_high", "upper end of the band h^-1(h(z) + c s) (the variable's units)", h->band_hi, 1},
        {"rejection_share", "share of the drawn trajectories whose implausibility exceeds the cutoff", share, 1},
        {"simulated_drawn", "quantiles of the simulated window mean over the drawn trajectories", h->sim_all, 2},
        {"simulated_accepted", "quantiles of the simulated window mean over the accepted trajectories", h->sim_accepted, 2},
    };
    for (size_t i = 0; st == GS_OK && i < sizeof tv / sizeof tv[0]; i++)
        st = small_var(w, grp, tv[i].name, tv[i].rank, tv[i].rank == 1 ? &nj : dq, tv[i].data, tl,
                       tv[i].long_name, NULL);
    if (st == GS_OK)
        st = var_write(w, grp, "rejected", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nj, NULL,
                       STATS_DEFLATE, t->rejected, &tg, "drawn trajectories rejected by the target", "1", NULL);
    if (st == GS_OK)
        st = var_write(w, grp, "median_in_band", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &nj, NULL,
                       STATS_DEFLATE, inband, &tg, "1 if the accepted median lies in the band", "1", NULL);
    if (st == GS_OK)
        st = var_write(w, grp, "cycle_first", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &nj, NULL,
                       STATS_DEFLATE, kf, &tg, "first cycle the target averages", "1", NULL);
    if (st == GS_OK)
        st = var_write(w, grp, "cycle_last", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &nj, NULL,
                       STATS_DEFLATE, kl, &tg, "last cycle the target averages", "1", NULL);
    /* per uncertain parameter */
    if (st == GS_OK && d) {
        const char *keys[SCENARIO_MAX_UNCERTAIN];
        static double pq[SCENARIO_MAX_UNCERTAIN * TARGETS_N_LEVELS], qq[SCENARIO_MAX_UNCERTAIN * TARGETS_N_LEVELS];
        double shift[SCENARIO_MAX_UNCERTAIN];
        for (size_t p = 0; p < d; p++) {
            keys[p] = params_table[h->ids[p]].key;
            memcpy(pq + p * TARGETS_N_LEVELS, h->param[p].prior, sizeof h->param[p].prior);
            memcpy(qq + p * TARGETS_N_LEVELS, h->param[p].posterior, sizeof h->param[p].posterior);
            shift[p] = h->param[p].shift;
        }
        st = scale_strings(w, grp, "parameter", d, keys, "uncertain parameter", &par);
        hsize_t np = d, dp[2] = {d, TARGETS_N_LEVELS};
        hid_t pl[2] = {par, lv};
        if (st == GS_OK)
            st = small_var(w, grp, "prior_quantile", 2, dp, pq, pl,
                           "quantiles of the parameter over the drawn trajectories (wave 1)", NULL);
        if (st == GS_OK)
            st = small_var(w, grp, "posterior_quantile", 2, dp, qq, pl,
                           "quantiles of the parameter over the accepted trajectories", NULL);
        if (st == GS_OK)
            st = small_var(w, grp, "shift", 1, &np, shift, &par,
                           "(posterior median - prior median) / prior interquartile range", "1");
        if (st == GS_OK && h->n_kept) {
            uint64_t *idx = h->kept_index;
            hsize_t na = h->n_kept, da[2] = {h->n_kept, d};
            st = scale_write(w, grp, "accepted", H5T_STD_U64LE, H5T_NATIVE_UINT64, na, STATS_DEFLATE,
                             idx, "index of the accepted trajectory among the drawn ones", "1", &acc);
            hid_t ap[2] = {acc, par};
            if (st == GS_OK)
                st = small_var(w, grp, "accepted_draws", 2, da, h->kept_draws, ap,
                               "parameter draws of the accepted trajectories", NULL);
        }
    }
    /* per wave */
    if (st == GS_OK) {
        int wi[HISTORY_MAX_WAVES];
        double rate[HISTORY_MAX_WAVES];
        for (size_t i = 0; i < nw; i++)
            wi[i] = (int)i + 1,
            rate[i] = h->wave_drawn[i] ? (double)h->wave_accepted[i] / (double)h->wave_drawn[i] : 0.0;
        hsize_t nwv = nw;
        st = scale_write(w, grp, "wave", H5T_STD_I32LE, H5T_NATIVE_INT, nwv, CONTIGUOUS, wi,
                         "wave (round of history matching)", "1", &wv);
        if (st == GS_OK)
            st = var_write(w, grp, "wave_drawn", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nwv, NULL,
                           STATS_DEFLATE, h->wave_drawn, &wv, "trajectories drawn in the wave", "1", NULL);
        if (st == GS_OK)
            st = var_write(w, grp, "wave_accepted", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nwv, NULL,
                           STATS_DEFLATE, h->wave_accepted, &wv, "trajectories accepted in the wave", "1", NULL);
        if (st == GS_OK)
            st = small_var(w, grp, "wave_acceptance", 1, &nwv, rate, &wv, "acceptance rate of the wave", "1");
        hsize_t dw[3] = {nw, METRIC_COUNT, OUTCOME_COUNT}, dm[2] = {METRIC_COUNT, OUTCOME_COUNT};
        hid_t wmo[3] = {wv, metric_scale, outcome_scale};
        if (st == GS_OK)
            st = small_var(w, grp, "wave_probability", 3, dw, &h->wave_probability[0][0][0], wmo,
                           "outcome probabilities of each wave's accepted trajectories", "1");
        if (st == GS_OK)
            st = small_var(w, grp, "wave_movement", 2, dm, &h->movement[0][0], wmo + 1,
                           "movement of each outcome probability between the last two waves, in "
                           "standard errors of the difference (NaN with one wave)", "1");
    }
    hid_t all[] = {tg, lv, par, wv, acc};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] >= 0) H5Dclose(all[i]);
    H5Gclose(grp);
    return st;
}

/* ---- per-run variables, with a leading `point` dimension in a sweep ---------------- */

typedef enum { F_MEAN, F_SD, F_QUANTILE, F_PROB, F_SE, F_LO, F_HI, F_COUNT, F_UNDEFINED, F_NONFINITE } run_field;

/* Point r's data of field f (variable v where it applies) and its number of elements. */
static const void *field_data(const gs_result *r, run_field f, int v, size_t *elems)
{
    size_t nc = (size_t)r->n_cycles, mo = METRIC_COUNT * OUTCOME_COUNT;
    switch (f) {
    case F_MEAN: *elems = nc; return r->mean + result_ix(r, v, 0);
    case F_SD: *elems = nc; return r->sd + result_ix(r, v, 0);
    case F_QUANTILE: *elems = nc * r->n_quantiles; return r->quantile + result_qix(r, v, 0, 0);
    case F_PROB: *elems = mo; return &r->outcome_probability[0][0];
    case F_SE: *elems = mo; return &r->outcome_stderr[0][0];
    case F_LO: *elems = mo; return &r->outcome_ci_low[0][0];
    case F_HI: *elems = mo; return &r->outcome_ci_high[0][0];
    case F_COUNT: *elems = mo; return &r->outcome_count[0][0];
    case F_UNDEFINED: *elems = METRIC_COUNT; return r->outcome_undefined;
    default: *elems = VAR_COUNT; return r->nonfinite;
    }
}

/* Writes one per-run variable: as is for a plain run; for a sweep the P points'
 * arrays are gathered into [P][...] with `point` as the first axis, or for a timed
 * variable into [cycle][P][...] with `point` second.  `timed` says
 * whether the variable has a cycle axis (coordinates "time ..."). */
static gs_status run_var_write(const h5w *w, hid_t loc, const run_layout *lay, run_field f, int v,
                               const char *name, hid_t ftype, hid_t mtype, size_t elem_size,
                               int rank, const hsize_t *dims, const hid_t *scales,
                               const char *long_name, const char *units, int timed)
{
    size_t elems;
    const void *data = field_data(&lay->pts[0], f, v, &elems);
    if (!lay->sweep)
        return var_write(w, loc, name, ftype, mtype, rank, dims, NULL, STATS_DEFLATE, data, scales,
                         long_name, units, timed ? "time" : NULL);
    /* A timed variable is (cycle, point, ...): CDO reads only variables whose first
     * axis is time.  The others are (point, ...). */
    int pax = timed ? 1 : 0;
    hsize_t pdims[4];
    hid_t pscales[4];
    for (int i = 0, j = 0; i <= rank; i++) {
        if (i == pax) pdims[i] = lay->P, pscales[i] = lay->point_scale;
        else pdims[i] = dims[j], pscales[i] = scales[j], j++;
    }
    char *buf = malloc(lay->P * elems * elem_size);
    if (!buf) return gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    size_t outer = timed ? dims[0] : 1, inner = elems / outer * elem_size; /* bytes per cycle */
    for (size_t p = 0; p < lay->P; p++) {
        const char *src = field_data(&lay->pts[p], f, v, &elems);
        for (size_t k = 0; k < outer; k++)
            memcpy(buf + (k * lay->P + p) * inner, src + k * inner, inner);
    }
    gs_status st = var_write(w, loc, name, ftype, mtype, rank + 1, pdims, NULL, STATS_DEFLATE, buf,
                             pscales, long_name, units, timed ? lay->coords_time : lay->coords);
    free(buf);
    return st;
}

/* The per-cycle statistics, outcomes and non-finite counts, each variable one chunk. */
static gs_status stats_write(const h5w *w, hid_t root, const gs_result *res, const run_layout *lay)
{
    enum { S_CYCLE, S_QUANTILE, S_METRIC, S_OUTCOME, S_VARIABLE, S_COUNT };
    hid_t sc[S_COUNT];
    for (int i = 0; i < S_COUNT; i++) sc[i] = H5I_INVALID_HID;
    const char *metric_names[METRIC_COUNT], *var_names[VAR_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++) metric_names[m] = model_vars[model_metrics[m]].name;
    for (int v = 0; v < VAR_COUNT; v++) var_names[v] = model_vars[v].name;
    hsize_t nc = (hsize_t)res->n_cycles, nq = res->n_quantiles;

    gs_status st = cycle_time_write(w, root, res, &sc[S_CYCLE]);
    if (st == GS_OK)
        st = scale_write(w, root, "quantile", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nq,
                         STATS_DEFLATE, res->quantile_levels, "quantile level", "1",
                         &sc[S_QUANTILE]);
    if (st == GS_OK)
        st = scale_strings(w, root, "metric", METRIC_COUNT, metric_names, "outcome metric",
                           &sc[S_METRIC]);
    if (st == GS_OK) {
        char each[METRIC_COUNT * 64] = "";
        for (int m = 0; m < METRIC_COUNT; m++)
            snprintf(each + strlen(each), sizeof each - strlen(each), "%s%s: %s", m ? "; " : "",
                     metric_names[m], model_vars[model_metrics[m]].units);
        st = attr_str(w, sc[S_METRIC], "units_each", each);
    }
    if (st == GS_OK)
        st = scale_strings(w, root, "outcome", OUTCOME_COUNT, model_outcome_names,
                           "outcome class of m_K / m_0", &sc[S_OUTCOME]);
    if (st == GS_OK)
        st = scale_strings(w, root, "variable", VAR_COUNT, var_names, "recorded variable",
                           &sc[S_VARIABLE]);

    char name[96], long_name[256];
    const hid_t by_cq[2] = {sc[S_CYCLE], sc[S_QUANTILE]};
    const hsize_t dims_cq[2] = {nc, nq};
    const size_t d8 = sizeof(double);
    for (int v = 0; st == GS_OK && v < VAR_COUNT; v++) {
        const gs_var_info *vi = &model_vars[v];
        snprintf(name, sizeof name, "%s_mean", vi->name);
        snprintf(long_name, sizeof long_name, "mean of %s", vi->long_name);
        st = run_var_write(w, root, lay, F_MEAN, v, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d8, 1,
                           &nc, &sc[S_CYCLE], long_name, vi->units, 1);
        if (st != GS_OK) break;
        snprintf(name, sizeof name, "%s_sd", vi->name);
        snprintf(long_name, sizeof long_name, "standard deviation of %s", vi->long_name);
        st = run_var_write(w, root, lay, F_SD, v, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d8, 1,
                           &nc, &sc[S_CYCLE], long_name, vi->units, 1);
        if (st != GS_OK) break;
        snprintf(name, sizeof name, "%s_quantile", vi->name);
        snprintf(long_name, sizeof long_name, "quantiles of %s", vi->long_name);
        st = run_var_write(w, root, lay, F_QUANTILE, v, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                           d8, 2, dims_cq, by_cq, long_name, vi->units, 1);
    }

    const hid_t by_mo[2] = {sc[S_METRIC], sc[S_OUTCOME]};
    const hsize_t dims_mo[2] = {METRIC_COUNT, OUTCOME_COUNT};
    const struct {
        run_field field;
        const char *name, *long_name;
    } outcome_vars[] = {
        {F_PROB, "outcome_probability", "probability of each outcome class"},
        {F_SE, "outcome_stderr", "Monte Carlo standard error of the outcome probability"},
        {F_LO, "outcome_ci_low", "lower bound of the 95% Wilson interval of the outcome probability"},
        {F_HI, "outcome_ci_high", "upper bound of the 95% Wilson interval of the outcome probability"},
    };
    for (size_t i = 0; st == GS_OK && i < sizeof outcome_vars / sizeof outcome_vars[0]; i++)
        st = run_var_write(w, root, lay, outcome_vars[i].field, 0, outcome_vars[i].name,
                           H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d8, 2, dims_mo, by_mo,
                           outcome_vars[i].long_name, "1", 0);
    if (st == GS_OK)
        st = run_var_write(w, root, lay, F_COUNT, 0, "outcome_count", H5T_STD_U64LE,
                           H5T_NATIVE_UINT64, sizeof(uint64_t), 2, dims_mo, by_mo,
                           "number of trajectories in each outcome class", "1", 0);
    const hsize_t nm = METRIC_COUNT;
    if (st == GS_OK)
        st = run_var_write(w, root, lay, F_UNDEFINED, 0, "outcome_undefined", H5T_STD_U64LE,
                           H5T_NATIVE_UINT64, sizeof(uint64_t), 1, &nm, &sc[S_METRIC],
                           "number of trajectories whose outcome ratio is not finite "
                           "(undefined; the probabilities are over the others)", "1", 0);
    const hsize_t nv = VAR_COUNT;
    if (st == GS_OK)
        st = run_var_write(w, root, lay, F_NONFINITE, 0, "nonfinite_count", H5T_STD_U64LE,
                           H5T_NATIVE_UINT64, sizeof(uint64_t), 1, &nv, &sc[S_VARIABLE],
                           "non-finite values seen over all cycles and trajectories", "1", 0);
    if (st == GS_OK && lay->uncertainty)
        st = uncertainty_write(w, root, lay->uncertainty, sc[S_CYCLE], sc[S_METRIC]);
    if (st == GS_OK && lay->history)
        st = history_write(w, root, lay->history, sc[S_METRIC], sc[S_OUTCOME]);
    for (int i = 0; i < S_COUNT; i++)
        if (sc[i] >= 0) H5Dclose(sc[i]);
    return st;
}

/* Balanced chunk of at most PATHS_CHUNK_ELEMS elements: halve the longer side
 * (rounding up) until it fits.  Large datasets get chunks of 64-128 Ki float32 values
 * (256-512 KiB), readable along trajectories and along cycles alike; a small dataset
 * is one chunk. */
static void paths_chunk(const hsize_t dims[2], hsize_t chunk[2])
{
    chunk[0] = dims[0], chunk[1] = dims[1];
    while (chunk[0] * chunk[1] > PATHS_CHUNK_ELEMS) {
        int i = chunk[0] >= chunk[1] ? 0 : 1;
        chunk[i] = (chunk[i] + 1) / 2;
    }
}

/* The self-contained `paths` group: its own cycle, time and trajectory coordinates and
 * one float32 variable (trajectory, cycle) per recorded variable. */
static gs_status paths_write(const h5w *w, hid_t root, const gs_result *res)
{
    hid_t grp;
    gs_status st = group_create(w, root, "paths", &grp);
    if (st != GS_OK) return st;

    hid_t scales[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* trajectory, cycle */
    hsize_t dims[2] = {res->n_paths, (hsize_t)res->n_cycles}, chunk[2];
    paths_chunk(dims, chunk);
    uint64_t *index = malloc((size_t)res->n_paths * sizeof *index);
    if (!index) st = gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    for (uint64_t i = 0; st == GS_OK && i < res->n_paths; i++) index[i] = i;
    if (st == GS_OK)
        st = attr_str(w, grp, "long_name", "full paths of the first trajectories of the run");
    if (st == GS_OK) st = cycle_time_write(w, grp, res, &scales[1]);
    if (st == GS_OK)
        st = scale_write(w, grp, "trajectory", H5T_STD_U64LE, H5T_NATIVE_UINT64, dims[0],
                         STATS_DEFLATE, index,
                         "trajectory index", "1", &scales[0]);
    /* across ranks each rank writes its own rows (res->paths holds only those) */
    h5w pw = *w;
    if (w->par) pw.rows_active = 1, pw.rows_first = res->paths_first, pw.rows_count = res->paths_count;
    size_t per_var = (size_t)(w->par ? res->paths_count : res->n_paths) * (size_t)res->n_cycles;
    static float none;
    for (int v = 0; st == GS_OK && v < VAR_COUNT; v++)
        st = var_write(&pw, grp, model_vars[v].name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims,
                       chunk, PATHS_DEFLATE, per_var ? res->paths + (size_t)v * per_var : &none,
                       scales, model_vars[v].long_name, model_vars[v].units, "time");
    for (int i = 0; i < 2; i++)
        if (scales[i] >= 0) H5Dclose(scales[i]);
    free(index);
    H5Gclose(grp);
    return st;
}

/* ---- the per-trajectory data of --keep-draws (trajdata.h) ------------------------- */

enum { TRAJ_CHUNK_ROWS = 65536, TRAJ_DEFLATE = 4 };

/* The `trajectories` group: one row per trajectory, 1-D datasets along `trajectory`
 * (and the by-cycle classes along `horizon` too), chunks of 65,536 rows, shuffle +
 * deflate 4.  Across ranks each rank writes its own rows. */
static gs_status traj_write(const h5w *w, hid_t root, const gs_result *res)
{
    const gs_trajdata *t = res->traj;
    hid_t grp;
    gs_status st = group_create(w, root, "trajectories", &grp);
    if (st != GS_OK) return st;
    const hsize_t N = t->n, H = (hsize_t)t->n_horizons;
    hsize_t chunk1 = N < TRAJ_CHUNK_ROWS ? N : TRAJ_CHUNK_ROWS;
    hsize_t chunk2[2] = {chunk1, H}, dims2[2] = {N, H};
    hid_t scales[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* trajectory, horizon */
    uint64_t *index = malloc((size_t)(N ? N : 1) * sizeof *index);
    int *horizon = malloc((size_t)(H ? H : 1) * sizeof *horizon);
    if (!index || !horizon) st = gs_error_set(w->err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    for (uint64_t i = 0; st == GS_OK && i < N; i++) index[i] = i;
    for (hsize_t h = 0; st == GS_OK && h < H; h++) horizon[h] = t->first_horizon + (int)h;
    if (st == GS_OK)
        st = attr_str(w, grp, "long_name",
                      "per-trajectory parameter draws, outcome classes and shock summaries");
    if (st == GS_OK) st = attr_int(w, grp, "k_now", t->k_now);
    if (st == GS_OK) st = attr_int(w, grp, "window", t->window);
    if (st == GS_OK)
        st = scale_write(w, grp, "trajectory", H5T_STD_U64LE, H5T_NATIVE_UINT64, N, TRAJ_DEFLATE,
                         index, "trajectory index", "1", &scales[0]);
    if (st == GS_OK)
        st = scale_write(w, grp, "horizon", H5T_STD_I32LE, H5T_NATIVE_INT, H, CONTIGUOUS,
                         horizon, "cycle taken as the horizon of the by-cycle classes", "1",
                         &scales[1]);
    h5w pw = *w;
    if (w->par) pw.rows_active = 1, pw.rows_first = t->first, pw.rows_count = t->count;
    const size_t per = (size_t)(w->par ? t->count : t->n);
    static float nonef;
    static int8_t nonei;
    static uint8_t noneu;
    char name[160], long_name[512];
    for (size_t j = 0; st == GS_OK && j < t->d; j++) {
        const gs_param_info *pi = &params_table[t->ids[j]];
        snprintf(name, sizeof name, "draw_%s", pi->key);
        snprintf(long_name, sizeof long_name, "draw of %s (%s)", pi->key, pi->meaning);
        hid_t dset;
        st = dset_write(&pw, grp, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &N, &chunk1,
                        TRAJ_DEFLATE, per ? t->draws + j * per : &nonef, &dset);
        if (st != GS_OK) break;
        st = var_labels(w, dset, long_name, pi->unit, NULL);
        if (st == GS_OK) st = attr_str(w, dset, "key", pi->key);
        if (st == GS_OK) st = attr_str(w, dset, "symbol", pi->symbol);
        if (st == GS_OK) st = attach_close(w, dset, name, 1, scales);
        else H5Dclose(dset);
    }
    static const int flag_values[4] = {TRAJ_CLASS_UNDEFINED, OUTCOME_COMPOUND, OUTCOME_PERSIST,
                                       OUTCOME_COLLAPSE};
    for (int q = 0; st == GS_OK && q < METRIC_COUNT; q++) {
        const char *metric = model_vars[model_metrics[q]].name;
        for (int by = 0; st == GS_OK && by < 2; by++) {
            if (by && H == 0) break;
            snprintf(name, sizeof name, by ? "class_%s_by_cycle" : "class_%s", metric);
            snprintf(long_name, sizeof long_name,
                     by ? "outcome class of %s if cycle `horizon` were the horizon"
                        : "outcome class of %s at the horizon",
                     metric);
            const int8_t *src = by ? t->cls_by_cycle + (size_t)q * per * (size_t)H
                                   : t->cls + (size_t)q * per;
            hid_t dset;
            st = dset_write(&pw, grp, name, H5T_STD_I8LE, H5T_NATIVE_INT8, by ? 2 : 1,
                            by ? dims2 : &N, by ? chunk2 : &chunk1, TRAJ_DEFLATE,
                            per ? (const void *)src : &nonei, &dset);
            if (st != GS_OK) break;
            st = var_labels(w, dset, long_name, NULL, NULL);
            if (st == GS_OK)
                st = attr_write(w, dset, "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT, 4,
                                flag_values);
            if (st == GS_OK) st = attr_str(w, dset, "flag_meanings", "undefined compound persist collapse");
            if (st == GS_OK) st = attach_close(w, dset, name, by ? 2 : 1, scales);
            else H5Dclose(dset);
        }
    }
    for (int s = 0; st == GS_OK && s < TRAJ_SUMMARY_COUNT; s++)
        st = var_write(&pw, grp, traj_summaries[s].name, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &N,
                       &chunk1, TRAJ_DEFLATE, per ? t->summary + (size_t)s * per : &noneu, scales,
                       traj_summaries[s].long_name, "1", NULL);
    if (st == GS_OK)
        st = var_write(&pw, grp, "mean_catch_up", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &N, &chunk1,
                       TRAJ_DEFLATE, per ? t->mean_catch_up : &nonef, scales,
                       "mean realised open catch-up fraction per cycle, "
                       "(Q^o_k - Q^o_{k-1}) / (Q^c_k - Q^o_{k-1})", "1", NULL);
    for (int i = 0; i < 2; i++)
        if (scales[i] >= 0) H5Dclose(scales[i]);
    free(index);
    free(horizon);
    H5Gclose(grp);
    return st;
}

/* ---- the atomic write ------------------------------------------------------------- */

/* Checks the target (h5util_output_target: no directory, FIFO or device; a symbolic
 * link is followed to its target, which is what gets replaced) and fills dir (its
 * directory), target_path and tmp_path (a new empty `<dir>/.<base>.tmp.<pid>.<n>`,
 * created exclusively; tmp_live is raised). */
static gs_status target_prepare(const h5w *w, char *dir, size_t dir_size)
{
    tmp_live = 0;
    GS_FORWARD(h5util_output_target(w->path, target_path, sizeof target_path, dir, dir_size,
                                    w->err));
    GS_FORWARD(h5util_tmp_create(target_path, tmp_path, sizeof tmp_path, w->err));
    tmp_live = 1;
    return GS_OK;
}

/* Flushes a file or directory to stable storage.  Directories on some filesystems
 * refuse fsync (EINVAL): nothing more can be done there, so that is not an error. */
static int sync_path(const char *p, int flags)
{
    int fd = open(p, flags);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc < 0 && errno == EINVAL && (flags & O_DIRECTORY)) rc = 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Root attributes of --target-se and antithetic runs. */
static gs_status run_extras_write(const h5w *w, hid_t root, const gs_result *res, int sweep)
{
    GS_FORWARD(runkey_attr(w, root, RUNKEY_ANTITHETIC, &res->antithetic, 0));
    if (!(res->target_se > 0)) return GS_OK;
    GS_FORWARD(runkey_attr(w, root, RUNKEY_TARGET_SE, &res->target_se, 0));
    GS_FORWARD(attr_u64(w, root, "batch_size", res->batch_size));
    GS_FORWARD(attr_u64(w, root, "batches", res->batches));
    if (!sweep) GS_FORWARD(attr_int(w, root, "target_met", res->target_met));
    return GS_OK;
}

/* Validates the result's shape before anything touches the disk. */
static gs_status result_check(const h5w *w, const gs_scenario *sc, const gs_study_result *study)
{
    GS_RETURN_IF(!sc || !study, w->err, GS_ERR_INTERNAL, "writing %s: no scenario or result",
                 w->path);
    const gs_result *res = study->sweep ? &study->sweep->points[0] : &study->run;
    GS_RETURN_IF(res->n_cycles < 1 || !res->mean || !res->sd ||
                     (res->n_quantiles && !res->quantile) ||
                     res->n_quantiles > SCENARIO_MAX_QUANTILES ||
                     (res->n_paths && !res->paths && res->paths_count),
                 w->err, GS_ERR_INTERNAL,
                 "writing %s: incomplete result (%d cycles, %zu quantiles)", w->path,
                 res->n_cycles, res->n_quantiles);
    /* every point of a sweep is laid out with point 0's shape */
    for (size_t p = 1; study->sweep && p < study->sweep->n_points; p++) {
        const gs_result *q = &study->sweep->points[p];
        GS_RETURN_IF(q->n_cycles != res->n_cycles || q->n_quantiles != res->n_quantiles ||
                         !q->mean || !q->sd || (q->n_quantiles && !q->quantile),
                     w->err, GS_ERR_INTERNAL,
                     "writing %s: sweep point %zu has another shape than point 0 (%d cycles, "
                     "%zu quantiles)", w->path, p, q->n_cycles, q->n_quantiles);
    }
    return GS_OK;
}

/* The file's contents, all but the string coordinates' data when across ranks. */
static gs_status contents_write(const h5w *w, hid_t root, const gs_scenario *sc,
                                const gs_study_result *study, const h5out_meta *meta)
{
    const gs_result *res = &study->run;
    gs_status st = root_attrs_write(w, root, sc, res, meta);
    run_layout lay = {.pts = res, .P = 1, .uncertainty = study->uncertainty,
                      .history = study->history, .point_scale = H5I_INVALID_HID};
    if (st == GS_OK && study->sweep) {
        lay.pts = study->sweep->points, lay.P = study->sweep->n_points, lay.sweep = 1;
        lay.sw = study->sweep;
        st = sweep_coords_write(w, root, &lay);
    }
    if (st == GS_OK && (res->target_se > 0 || res->antithetic))
        st = run_extras_write(w, root, res, lay.sweep);
    if (st == GS_OK) st = stats_write(w, root, res, &lay);
    if (lay.point_scale >= 0) H5Dclose(lay.point_scale);
    if (st == GS_OK && res->n_paths > 0) st = paths_write(w, root, res);
    if (st == GS_OK && res->traj) st = traj_write(w, root, res);
    return st;
}

/* File creation and access properties: creation order on the root group's links and
 * attributes; 1.8 object formats; a strong close so that H5Fclose also closes whatever
 * a failure left open; across ranks the MPI-IO driver. */
static gs_status file_props(const h5w *w, hid_t *fcpl, hid_t *fapl)
{
    *fcpl = H5Pcreate(H5P_FILE_CREATE), *fapl = H5Pcreate(H5P_FILE_ACCESS);
    herr_t rc = *fcpl < 0 || *fapl < 0 ? -1 : H5Pset_link_creation_order(*fcpl, crt_order);
    if (rc >= 0) rc = H5Pset_attr_creation_order(*fcpl, crt_order);
    if (rc >= 0) rc = H5Pset_libver_bounds(*fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
    if (rc >= 0) rc = H5Pset_fclose_degree(*fapl, H5F_CLOSE_STRONG);
#ifdef GAPSIM_MPI
    if (rc >= 0 && w->par) rc = H5Pset_fapl_mpio(*fapl, w->comm->handle, MPI_INFO_NULL);
#endif
    return rc < 0 ? h5_fail(w, "setting up file properties") : GS_OK;
}

static void deferred_free(h5_deferred *d)
{
    while (d) {
        h5_deferred *next = d->next;
        for (size_t i = 0; i < d->n; i++) free(d->names[i]);
        free(d->names);
        free(d);
        d = next;
    }
}

/* Rank 0 after the collective close: reopens the file alone, fills the string
 * coordinates and writes `completed`. */
static gs_status finish_alone(const h5w *w, const h5_deferred *d)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18);
    hid_t file = fapl < 0 ? H5I_INVALID_HID : H5Fopen(tmp_path, H5F_ACC_RDWR, fapl);
    gs_status st = file < 0 ? h5_fail(w, "reopening temporary file %s", tmp_path) : GS_OK;
    if (fapl >= 0) H5Pclose(fapl);
    hid_t t = str_type(H5T_VARIABLE);
    for (; st == GS_OK && d; d = d->next) {
        hid_t dset = H5Dopen2(file, d->dset, H5P_DEFAULT);
        if (dset < 0 || H5Dwrite(dset, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->names) < 0)
            st = h5_fail(w, "writing dataset %s", d->dset);
        if (dset >= 0) H5Dclose(dset);
    }
    if (t >= 0) H5Tclose(t);
    hid_t root = st == GS_OK ? H5Gopen2(file, "/", H5P_DEFAULT) : H5I_INVALID_HID;
    if (st == GS_OK && root < 0) st = h5_fail(w, "opening the root group");
    if (st == GS_OK) st = attr_int(w, root, "completed", 1);
    if (root >= 0) H5Gclose(root);
    if (file >= 0 && H5Fclose(file) < 0 && st == GS_OK)
        st = h5_fail(w, "closing temporary file %s", tmp_path);
    return st;
}

gs_status h5out_write(const char *path, const gs_scenario *sc, const gs_study_result *res,
                      const h5out_meta *meta, gs_error *err)
{
    return h5out_write_comm(path, sc, res, meta, NULL, err);
}

gs_status h5out_write_comm(const char *path, const gs_scenario *sc, const gs_study_result *res,
                           const h5out_meta *meta, const gs_comm *comm, gs_error *err)
{
    h5_deferred *deferred = NULL;
    h5w w = {path ? path : "", err, 0, 0, H5P_DEFAULT, comm, 0, 0, 0, 0, &deferred};
#ifdef GAPSIM_MPI
    w.par = comm && comm->size > 1;
    w.rank = comm ? comm->rank : 0;
#endif
    char dir[H5OUT_PATH_MAX];
    gs_error_clear(err);
    gs_status st = result_check(&w, sc, res);
    if (st == GS_OK && w.rank == 0) st = target_prepare(&w, dir, sizeof dir);
    if (w.par) { /* every rank stops on rank 0's verdict and uses its temporary name */
        if ((st = comm_agree(comm, st, err)) != GS_OK) {
            if (tmp_live) unlink(tmp_path), tmp_live = 0;
            return st;
        }
        comm_broadcast(comm, tmp_path, sizeof tmp_path);
        comm_broadcast(comm, dir, sizeof dir);
    } else if (st != GS_OK) {
        return st;
    }
    /* no HDF5 shutdown at exit (it crashes after a failed close), no error printing;
     * effective only as the process's first HDF5 call: main makes it first (h5util.h) */
    h5util_init();

    hid_t fcpl, fapl;
    st = file_props(&w, &fcpl, &fapl);
    hid_t file = H5I_INVALID_HID;
    if (st == GS_OK) {
        /* the file target_prepare created exclusively (rank 0): ours to truncate */
        file = H5Fcreate(tmp_path, H5F_ACC_TRUNC, fcpl, fapl);
        if (file < 0) st = h5_fail(&w, "creating temporary file %s", tmp_path);
    }
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
#ifdef GAPSIM_MPI
    if (w.par && st == GS_OK) {
        w.dxpl = H5Pcreate(H5P_DATASET_XFER);
        if (w.dxpl < 0 || H5Pset_dxpl_mpio(w.dxpl, H5FD_MPIO_COLLECTIVE) < 0)
            st = h5_fail(&w, "setting up collective transfers");
    }
    if (w.par) st = comm_agree(comm, st, err);
#endif

    hid_t root = H5I_INVALID_HID;
    if (st == GS_OK && (root = H5Gopen2(file, "/", H5P_DEFAULT)) < 0)
        st = h5_fail(&w, "opening the root group");
    if (st == GS_OK) st = contents_write(&w, root, sc, res, meta);
    if (st == GS_OK && !w.par) st = attr_int(&w, root, "completed", 1); /* last: the file is whole */
    if (root >= 0) H5Gclose(root);
    if (file >= 0 && H5Fclose(file) < 0 && st == GS_OK)
        st = h5_fail(&w, "closing temporary file %s", tmp_path);
    if (w.dxpl != H5P_DEFAULT && w.dxpl >= 0) H5Pclose(w.dxpl);
    if (w.par) {
        st = comm_agree(comm, st, err);
        if (st == GS_OK && w.rank == 0) st = finish_alone(&w, deferred);
    }
    deferred_free(deferred);

    if (w.rank == 0) {
        if (st == GS_OK && sync_path(tmp_path, O_RDONLY) < 0)
            st = sys_fail(&w, "syncing", tmp_path);
        /* an interrupt that came during the write: never replace the target */
        if (st == GS_OK && gs_interrupt_pending())
            st = gs_error_set(err, GS_ERR_INTERRUPTED, "writing %s: interrupted", w.path);
        if (st == GS_OK && rename(tmp_path, target_path) < 0)
            st = sys_fail(&w, "renaming", tmp_path);
        if (st != GS_OK && tmp_live) unlink(tmp_path);
        tmp_live = 0;
        if (st == GS_OK && sync_path(dir, O_RDONLY | O_DIRECTORY) < 0)
            st = sys_fail(&w, "file complete, but syncing its directory", dir);
    }
    if (w.par) st = comm_agree(comm, st, err);
    return st;
}
