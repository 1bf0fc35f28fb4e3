/* partial.c - --shard partial files: written atomically, read defensively (partial.h). */
#define _POSIX_C_SOURCE 200809L

#include "partial.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "hash.h"
#include "model.h"
#include "targets.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif

struct partial_writer {
    hid_t file, dset;
    long point; /* the sweep point being written (the engine runs them in order) */
    int deferred;  /* history-matched: `values` is created by the first sink call */
    uint64_t points;
    int cycles;
    char path[H5UTIL_PATH_MAX];
    char target[H5UTIL_PATH_MAX];
    char tmp[H5UTIL_PATH_MAX + 64];
};

/* ---- writing --------------------------------------------------------------------- */

static int put_u64(hid_t obj, const char *name, uint64_t v)
{
    return h5util_attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v, NULL, 0);
}

static int put_str(hid_t obj, const char *name, const char *s)
{
    hid_t t = h5util_str_type(strlen(s) + 1);
    int rc = t < 0 ? -1 : h5util_attr_write(obj, name, t, t, 0, s, NULL, 0);
    if (t >= 0) H5Tclose(t);
    return rc;
}

/* The run options that decide the numbers, as attributes. */
static int options_write(hid_t root, const gs_scenario *sc, const gs_run_options *opt,
                         const char *const *sets, size_t nsets, uint64_t points, int cycles)
{
    size_t len = 0;
    for (size_t i = 0; i < nsets; i++) len += strlen(sets[i]) + 1;
    char *joined = calloc(len + 1, 1);
    if (!joined) return -1;
    for (size_t i = 0; i < nsets; i++) strcat(strcat(joined, sets[i]), "\n");
    int rc = put_u64(root, "gapsim_partial", 1) | put_str(root, "gapsim_version", GAPSIM_VERSION) |
             put_str(root, "scenario_text", sc->text ? sc->text : "") |
             put_str(root, "scenario_file", sc->path) | put_str(root, "sets", joined) |
             put_u64(root, "seed", opt->seed) | put_u64(root, "seed_set", opt->seed_set) |
             put_u64(root, "trajectories", opt->trajectories) | put_u64(root, "paths", opt->paths) |
             put_u64(root, "shard", opt->shard) | put_u64(root, "nshards", opt->nshards) |
             put_u64(root, "points", points) | put_u64(root, "cycles", (uint64_t)cycles) |
             put_u64(root, "keep_draws", opt->keep_draws ? 1 : 0);
    free(joined);
    return rc;
}

static gs_status write_fail(const partial_writer *w, const char *doing, gs_error *err)
{
    char cause[H5UTIL_CAUSE_MAX];
    h5util_cause(cause, sizeof cause);
    return gs_error_set(err, GS_ERR_IO, "writing %s: %s: %s", w->path, doing, cause);
}

/* `values` of [points][cycles][VAR_COUNT][count], or a negative id. */
static hid_t values_create(hid_t file, uint64_t points, int cycles, uint64_t count)
{
    hsize_t dims[4] = {points, (hsize_t)cycles, VAR_COUNT, count};
    hsize_t chunk[4] = {1, 1, VAR_COUNT, count > (1u << 16) ? (1u << 16) : (count ? count : 1)};
    hid_t sp = H5Screate_simple(4, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (count && dcpl >= 0) H5Pset_chunk(dcpl, 4, chunk), H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 1);
    hid_t d = sp < 0 || dcpl < 0 ? H5I_INVALID_HID
                                 : H5Dcreate2(file, "values", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                                              dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return d;
}

gs_status partial_targets_hash(const char *path, char hex[HASH_HEX_SIZE], gs_error *err)
{
    FILE *f = fopen(path, "rb");
    GS_RETURN_IF(!f, err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    char *buf = malloc(TARGETS_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, TARGETS_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read", path);
    }
    hash_sha256_hex(buf, len, hex);
    free(buf);
    return GS_OK;
}

/* A 1-D or 2-D dataset `name` of ftype written from data of mtype (contiguous). */
static int small_write(hid_t file, const char *name, hid_t ftype, hid_t mtype, int rank,
                       const hsize_t *dims, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = sp < 0 ? H5I_INVALID_HID
                     : H5Dcreate2(file, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

gs_status partial_history_out(void *writer, uint64_t n, uint64_t first, uint64_t count,
                              size_t J, const unsigned char *mask, const double *sim,
                              const uint64_t *counts, size_t nc, gs_error *err)
{
    partial_writer *w = writer;
    double *mine = malloc((J * count > 0 ? J * count : 1) * sizeof *mine);
    if (!mine) return gs_error_set(err, GS_ERR_NOMEM, "writing %s: out of memory", w->path);
    for (size_t j = 0; j < J; j++)
        if (count) memcpy(mine + j * count, sim + j * n + first, count * sizeof *mine);
    hsize_t dm[1] = {count}, ds[2] = {J, count}, dc[1] = {nc};
    int rc = small_write(w->file, "history_accepted", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, dm,
                         count ? mask + first : mask) |
             small_write(w->file, "history_simulated", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, ds,
                         mine) |
             small_write(w->file, "history_counts", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, dc,
                         counts);
    free(mine);
    return rc ? write_fail(w, "writing the history decisions", err) : GS_OK;
}

gs_status partial_create(const char *path, const gs_scenario *sc, const gs_run_options *opt,
                         const char *const *sets, size_t nsets, uint64_t points, int cycles,
                         uint64_t count, partial_writer **out, gs_error *err)
{
    *out = NULL;
    h5util_init();
    partial_writer *w = calloc(1, sizeof *w);
    if (!w) return gs_error_set(err, GS_ERR_NOMEM, "writing %s: out of memory", path);
    w->file = w->dset = H5I_INVALID_HID;
    w->point = -1;
    snprintf(w->path, sizeof w->path, "%s", path);
    char dir[H5UTIL_PATH_MAX];
    gs_status st = h5util_output_target(path, w->target, sizeof w->target, dir, sizeof dir, err);
    /* a new file of our own: concurrent shards to one target never share it */
    if (st == GS_OK) st = h5util_tmp_create(w->target, w->tmp, sizeof w->tmp, err);
    if (st == GS_OK && (w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        st = write_fail(w, "creating the partial file", err);
        unlink(w->tmp);
    }
    if (st != GS_OK) {
        free(w);
        return st;
    }
    w->points = points, w->cycles = cycles;
    w->deferred = sc->history_targets[0] != '\0';
    if (!w->deferred) w->dset = values_create(w->file, points, cycles, count);
    if (!w->deferred && w->dset < 0)
        st = write_fail(w, "creating dataset values", err);
    else if (options_write(w->file, sc, opt, sets, nsets, points, cycles) != 0)
        st = write_fail(w, "writing the attributes", err);
    if (st == GS_OK && w->deferred) {
        char hex[HASH_HEX_SIZE];
        st = partial_targets_hash(sc->history_targets, hex, err);
        if (st == GS_OK && (put_u64(w->file, "history", 1) | put_str(w->file, "history_targets_sha256", hex)))
            st = write_fail(w, "writing the history attributes", err);
    }
    if (st != GS_OK) {
        partial_finish(w, 0, NULL);
        return st;
    }
    *out = w;
    return GS_OK;
}

/* The file space of `values` with [point][k][all variables][first..first+count)
 * selected (the caller closes it), or a negative id. */
static hid_t values_slab(hid_t dset, long point, int k, uint64_t first, uint64_t count)
{
    hsize_t start[4] = {(hsize_t)point, (hsize_t)k, 0, first}, cnt[4] = {1, 1, VAR_COUNT, count};
    hid_t fs = H5Dget_space(dset);
    if (fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0)
        H5Sclose(fs), fs = H5I_INVALID_HID;
    return fs;
}

gs_status partial_sink(void *writer, int k, uint64_t first, size_t n, double *record,
                       gs_error *err)
{
    partial_writer *w = writer;
    (void)first;
    if (k == 0) w->point++;
    if (w->deferred && w->dset < 0 && (w->dset = values_create(w->file, w->points, w->cycles, n)) < 0)
        return write_fail(w, "creating dataset values", err);
    GS_RETURN_IF(gs_interrupt_pending(), err, GS_ERR_INTERRUPTED,
                 "writing %s: interrupted at cycle %d", w->path, k);
    if (n == 0) return GS_OK;
    hsize_t count[4] = {1, 1, VAR_COUNT, n};
    hid_t fs = values_slab(w->dset, w->point, k, 0, n), ms = H5Screate_simple(4, count, NULL);
    herr_t rc = fs < 0 || ms < 0 ? -1 : H5Dwrite(w->dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, record);
    gs_status st = GS_OK;
    if (rc < 0) { /* the cause first: closing the spaces clears HDF5's error stack */
        char doing[96];
        snprintf(doing, sizeof doing, "cycle %d of point %ld", k, w->point);
        st = write_fail(w, doing, err);
    }
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return st;
}

/* An instruction-set name as partial files hold it: 1 .. PARTIAL_ISA_MAX − 1 bytes of
 * [a-z0-9_]. */
static int isa_name_ok(const char *s, size_t len)
{
    if (len == 0 || len >= PARTIAL_ISA_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

gs_status partial_set_isa(partial_writer *w, const char *isa, gs_error *err)
{
    GS_RETURN_IF(!isa_name_ok(isa, strlen(isa)), err, GS_ERR_INTERNAL,
                 "writing %s: '%.40s' is not an instruction-set name", w->path, isa);
    if (put_str(w->file, "isa", isa)) return write_fail(w, "writing attribute isa", err);
    return GS_OK;
}

void partial_isa(const partial_file *parts, size_t n, char *out, size_t size)
{
    int same = 1;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].isa[0]) {
            snprintf(out, size, "unknown");
            return;
        }
        same &= strcmp(parts[i].isa, parts[0].isa) == 0;
    }
    if (n == 0) {
        snprintf(out, size, "unknown");
        return;
    }
    if (same) {
        snprintf(out, size, "%s", parts[0].isa);
        return;
    }
    size_t used = (size_t)snprintf(out, size, "mixed: ");
    for (size_t i = 0; i < n && used < size; i++) {
        size_t j = 0;
        while (j < i && strcmp(parts[j].isa, parts[i].isa) != 0) j++;
        if (j < i) continue; /* named already */
        used += (size_t)snprintf(out + used, size - used, "%s%s", used > 7 ? "," : "", parts[i].isa);
    }
}

gs_status partial_finish(partial_writer *w, int ok, gs_error *err)
{
    if (!w) return GS_OK;
    gs_status st = GS_OK;
    /* a history-matched shard that accepted none of its slice: an empty `values` */
    if (ok && w->deferred && w->dset < 0 && (w->dset = values_create(w->file, w->points, w->cycles, 0)) < 0)
        st = write_fail(w, "creating dataset values", err), ok = 0;
    if (w->dset >= 0) H5Dclose(w->dset);
    if (w->file >= 0 && H5Fclose(w->file) < 0 && ok)
        st = write_fail(w, "closing the partial file (disk full?)", err);
    if (ok && st == GS_OK && gs_interrupt_pending())
        st = gs_error_set(err, GS_ERR_INTERRUPTED, "writing %s: interrupted", w->path);
    if (ok && st == GS_OK) {
        int fd = open(w->tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            st = gs_error_set(err, GS_ERR_IO, "writing %s: syncing: %s", w->path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (ok && st == GS_OK && rename(w->tmp, w->target) != 0)
        st = gs_error_set(err, GS_ERR_IO, "writing %s: renaming: %s", w->path, strerror(errno));
    if (!ok || st != GS_OK) unlink(w->tmp);
    free(w);
    return st;
}

/* ---- reading ---------------------------------------------------------------------- */

void partial_close(partial_file *p)
{
    if (p->dset >= 0) H5Dclose(p->dset);
    if (p->file >= 0) H5Fclose(p->file);
    free(p->version), free(p->text), free(p->sets), free(p->scenario_file);
    p->version = p->text = p->sets = p->scenario_file = NULL;
    p->file = p->dset = H5I_INVALID_HID;
}

/* An unsigned attribute in [lo, hi]. */
static gs_status u64_in(const partial_file *p, const char *name, uint64_t lo, uint64_t hi,
                        uint64_t *out, gs_error *err)
{
    GS_FORWARD(h5util_read_u64(p->file, p->name, name, out, err));
    GS_RETURN_IF(*out < lo || *out > hi, err, GS_ERR_INPUT,
                 "%s: attribute '%s': %llu is outside [%llu, %llu]", p->name, name,
                 (unsigned long long)*out, (unsigned long long)lo, (unsigned long long)hi);
    return GS_OK;
}

gs_status partial_open(const char *path, partial_file *p, gs_error *err)
{
    memset(p, 0, sizeof *p);
    p->name = path;
    p->file = p->dset = H5I_INVALID_HID;
    h5util_init();
    p->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (p->file < 0) {
        char cause[H5UTIL_CAUSE_MAX];
        h5util_cause(cause, sizeof cause);
        return gs_error_set(err, GS_ERR_INPUT, "%s: cannot open (not an HDF5 file?): %s", path,
                            cause);
    }
    uint64_t flag = 0;
    gs_status st = GS_OK;
    if (!h5util_attr_exists(p->file, "gapsim_partial"))
        st = gs_error_set(err, GS_ERR_INPUT, "%s: not a gapsim --shard partial file", path);
    if (st == GS_OK) st = u64_in(p, "gapsim_partial", 1, 1, &flag, err);
    if (st == GS_OK) st = h5util_read_string(p->file, path, "gapsim_version", &p->version, NULL, err);
    if (st == GS_OK) st = h5util_read_string(p->file, path, "scenario_text", &p->text, NULL, err);
    if (st == GS_OK) st = h5util_read_string(p->file, path, "sets", &p->sets, NULL, err);
    if (st == GS_OK)
        st = h5util_read_string(p->file, path, "scenario_file", &p->scenario_file, NULL, err);
    if (st == GS_OK) st = u64_in(p, "nshards", 1, PARTIAL_MAX_SHARDS, &p->nshards, err);
    if (st == GS_OK) st = u64_in(p, "shard", 0, p->nshards - 1, &p->shard, err);
    if (st == GS_OK) st = u64_in(p, "seed", 0, UINT64_MAX, &p->seed, err);
    if (st == GS_OK) st = u64_in(p, "seed_set", 0, 1, &p->seed_set, err);
    if (st == GS_OK) st = u64_in(p, "trajectories", 0, 1000000000000ULL, &p->trajectories, err);
    if (st == GS_OK) st = u64_in(p, "paths", 0, 1000000000000ULL, &p->paths, err);
    if (st == GS_OK) st = u64_in(p, "points", 1, SWEEP_MAX_POINTS, &p->points, err);
    /* --keep-draws (absent from the partial files of older versions: 0) */
    if (st == GS_OK && H5Aexists_by_name(p->file, "/", "keep_draws", H5P_DEFAULT) > 0)
        st = u64_in(p, "keep_draws", 0, 1, &p->keep_draws, err);
    if (st == GS_OK) st = u64_in(p, "cycles", 2, 10001, &p->cycles, err);
    /* the shard's instruction set (absent from older partial files: "") */
    if (st == GS_OK && H5Aexists_by_name(p->file, "/", "isa", H5P_DEFAULT) > 0) {
        char *isa = NULL;
        size_t len = 0;
        st = h5util_read_string(p->file, path, "isa", &isa, &len, err);
        if (st == GS_OK && !isa_name_ok(isa, len))
            st = gs_error_set(err, GS_ERR_INPUT,
                              "%s: attribute 'isa': not an instruction-set name", path);
        if (st == GS_OK) memcpy(p->isa, isa, len + 1);
        free(isa);
    }
    /* a history-matched run's shard (absent from older partial files: 0) */
    if (st == GS_OK && H5Aexists_by_name(p->file, "/", "history", H5P_DEFAULT) > 0)
        st = u64_in(p, "history", 0, 1, &p->history, err);
    if (st == GS_OK && p->history) {
        char *hex = NULL;
        size_t len = 0;
        st = h5util_read_string(p->file, path, "history_targets_sha256", &hex, &len, err);
        if (st == GS_OK && len != HASH_HEX_SIZE - 1)
            st = gs_error_set(err, GS_ERR_INPUT,
                              "%s: attribute 'history_targets_sha256': not a SHA-256 digest", path);
        if (st == GS_OK) memcpy(p->targets_sha256, hex, HASH_HEX_SIZE);
        free(hex);
    }
    hsize_t dims[4];
    if (st == GS_OK) st = h5util_check_dset(p->file, path, "values", H5T_FLOAT, 4, NULL, dims, err);
    if (st == GS_OK && (dims[0] != p->points || dims[1] != p->cycles || dims[2] != VAR_COUNT))
        st = gs_error_set(err, GS_ERR_INPUT,
                          "%s: dataset 'values': shape [%llu][%llu][%llu][...] does not match "
                          "points %llu, cycles %llu, %d variables",
                          path, (unsigned long long)dims[0], (unsigned long long)dims[1],
                          (unsigned long long)dims[2], (unsigned long long)p->points,
                          (unsigned long long)p->cycles, VAR_COUNT);
    if (st == GS_OK && (p->dset = H5Dopen2(p->file, "values", H5P_DEFAULT)) < 0)
        st = gs_error_set(err, GS_ERR_INPUT, "%s: dataset 'values': cannot be opened", path);
    if (st != GS_OK) partial_close(p);
    return st;
}

static int by_shard(const void *x, const void *y)
{
    const partial_file *a = x, *b = y;
    return (a->shard > b->shard) - (a->shard < b->shard);
}

gs_status partial_check_set(partial_file *parts, size_t n, gs_error *err)
{
    GS_RETURN_IF(n == 0, err, GS_ERR_USAGE, "merge: no partial files");
    const partial_file *a = &parts[0];
    for (size_t i = 1; i < n; i++) {
        const partial_file *b = &parts[i];
        const char *what = strcmp(a->version, b->version) ? "gapsim versions"
                           : strcmp(a->text, b->text)     ? "scenarios (scenario_text differs)"
                           : strcmp(a->sets, b->sets)     ? "--set overrides"
                           : a->seed != b->seed || a->seed_set != b->seed_set ? "seeds"
                           : a->trajectories != b->trajectories ? "trajectory counts"
                           : a->paths != b->paths               ? "--paths"
                           : a->keep_draws != b->keep_draws     ? "--keep-draws"
                           : a->history != b->history           ? "history matching"
                           : strcmp(a->targets_sha256, b->targets_sha256)
                               ? "targets files (the contents of history.targets)"
                           : a->points != b->points || a->cycles != b->cycles ? "shapes"
                           : a->nshards != b->nshards ? "shard counts (N of --shard I/N)"
                                                      : NULL;
        GS_RETURN_IF(what, err, GS_ERR_INPUT,
                     "merge: %s and %s are not shards of the same run: different %s", a->name,
                     b->name, what);
    }
    qsort(parts, n, sizeof *parts, by_shard);
    for (size_t i = 1; i < n; i++)
        GS_RETURN_IF(parts[i].shard == parts[i - 1].shard, err, GS_ERR_INPUT,
                     "merge: shard %llu/%llu given twice: %s and %s",
                     (unsigned long long)parts[i].shard, (unsigned long long)parts[0].nshards,
                     parts[i - 1].name, parts[i].name);
    uint64_t N = parts[0].nshards;
    if (n == N) return GS_OK; /* n distinct shards, each < N: all of them */
    /* the first few missing shards by number, found in one pass over the sorted parts */
    char list[256] = "";
    size_t shown = 0, j = 0;
    for (uint64_t s = 0; s < N && shown < 5; s++) {
        while (j < n && parts[j].shard < s) j++;
        if (j < n && parts[j].shard == s) continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%llu/%llu", shown ? ", " : "",
                 (unsigned long long)s, (unsigned long long)N);
        shown++;
    }
    if (N - n == 1)
        return gs_error_set(err, GS_ERR_INPUT,
                            "merge: shard %s is missing (run it with --shard %s)", list, list);
    return gs_error_set(err, GS_ERR_INPUT,
                        "merge: %llu of %llu shards missing: %s%s (run each with --shard I/%llu)",
                        (unsigned long long)(N - n), (unsigned long long)N, list,
                        N - n > shown ? ", ..." : "", (unsigned long long)N);
}

/* A history-matched shard: its decisions cover its slice of the drawn trajectories
 * (hfirst, hcount), `values` holds its accepted ones, which come after those of the
 * shards before it (first, count). */
static gs_status history_shape(partial_file *p, uint64_t *kept, gs_error *err)
{
    p->hfirst = p->first, p->hcount = p->count;
    hsize_t dm[1] = {p->hcount}, ds[2], dc[1] = {2 + TARGETS_MAX};
    GS_FORWARD(h5util_check_dset(p->file, p->name, "history_accepted", H5T_INTEGER, 1, dm, NULL, err));
    GS_FORWARD(h5util_check_dset(p->file, p->name, "history_simulated", H5T_FLOAT, 2, NULL, ds, err));
    GS_FORWARD(h5util_check_dset(p->file, p->name, "history_counts", H5T_INTEGER, 1, dc, NULL, err));
    GS_RETURN_IF(ds[1] != p->hcount || ds[0] < 1 || ds[0] > TARGETS_MAX, err, GS_ERR_INPUT,
                 "%s: dataset 'history_simulated': shape [%llu][%llu], want [targets][%llu]",
                 p->name, (unsigned long long)ds[0], (unsigned long long)ds[1],
                 (unsigned long long)p->hcount);
    p->ntargets = ds[0];
    unsigned char *mask = malloc(p->hcount ? p->hcount : 1);
    GS_RETURN_IF(!mask, err, GS_ERR_NOMEM, "%s: out of memory", p->name);
    hid_t d = H5Dopen2(p->file, "history_accepted", H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask);
    if (d >= 0) H5Dclose(d);
    uint64_t ones = 0, bad = 0;
    for (uint64_t i = 0; rc >= 0 && i < p->hcount; i++) ones += mask[i] == 1, bad += mask[i] > 1;
    free(mask);
    GS_RETURN_IF(rc < 0 || bad, err, GS_ERR_INPUT,
                 "%s: dataset 'history_accepted': %s", p->name,
                 rc < 0 ? "cannot be read (damaged?)" : "values other than 0 and 1");
    p->first = *kept, p->count = ones;
    *kept += ones;
    return GS_OK;
}

gs_status partial_history_in(void *source, uint64_t n, size_t J, unsigned char *mask, double *sim,
                             uint64_t *counts, size_t nc, gs_error *err)
{
    partial_source *m = source;
    memset(counts, 0, nc * sizeof *counts);
    GS_RETURN_IF(nc != 2 + TARGETS_MAX, err, GS_ERR_INTERNAL, "merge: history counts of %zu", nc);
    uint64_t mine[2 + TARGETS_MAX];
    for (size_t i = 0; i < m->n; i++) {
        const partial_file *p = &m->parts[i];
        GS_RETURN_IF(!p->history || p->ntargets != J || p->hfirst + p->hcount > n, err,
                     GS_ERR_INPUT, "%s: its history decisions (%llu targets) do not match the "
                     "targets file (%zu targets)", p->name, (unsigned long long)p->ntargets, J);
        double *rows = malloc((J * p->hcount > 0 ? J * p->hcount : 1) * sizeof *rows);
        GS_RETURN_IF(!rows, err, GS_ERR_NOMEM, "merge: out of memory");
        const char *names[3] = {"history_accepted", "history_simulated", "history_counts"};
        hid_t types[3] = {H5T_NATIVE_UCHAR, H5T_NATIVE_DOUBLE, H5T_NATIVE_UINT64};
        void *into[3] = {mask + p->hfirst, rows, mine};
        herr_t rc = 0;
        for (int q = 0; q < 3 && rc >= 0; q++) {
            if (q < 2 && !p->hcount) continue;
            hid_t d = H5Dopen2(p->file, names[q], H5P_DEFAULT);
            rc = d < 0 ? -1 : H5Dread(d, types[q], H5S_ALL, H5S_ALL, H5P_DEFAULT, into[q]);
            if (d >= 0) H5Dclose(d);
        }
        for (size_t j = 0; rc >= 0 && j < J; j++)
            if (p->hcount) memcpy(sim + j * n + p->hfirst, rows + j * p->hcount, p->hcount * sizeof *rows);
        free(rows);
        GS_RETURN_IF(rc < 0, err, GS_ERR_INPUT, "%s: the history decisions cannot be read (damaged?)",
                     p->name);
        GS_RETURN_IF(mine[0] != p->hcount || mine[1] != p->count, err, GS_ERR_INPUT,
                     "%s: dataset 'history_counts': %llu drawn, %llu accepted contradict its "
                     "%llu decisions, %llu accepted", p->name, (unsigned long long)mine[0],
                     (unsigned long long)mine[1], (unsigned long long)p->hcount,
                     (unsigned long long)p->count);
        for (size_t c = 0; c < nc; c++) counts[c] += mine[c];
    }
    return GS_OK;
}

gs_status partial_check_shape(partial_file *parts, size_t n, uint64_t n_total, gs_error *err)
{
    uint64_t kept = 0; /* history: the accepted trajectories of the shards before */
    for (size_t i = 0; i < n; i++) {
        partial_file *p = &parts[i];
        engine_slice(n_total, p->shard, p->nshards, &p->first, &p->count);
        if (p->history) GS_FORWARD(history_shape(p, &kept, err));
        hsize_t want[4] = {p->points, p->cycles, VAR_COUNT, p->count};
        GS_FORWARD(h5util_check_dset(p->file, p->name, "values", H5T_FLOAT, 4, want, NULL, err));
    }
    return GS_OK;
}

gs_status partial_sets(partial_file *p, const char **sets, size_t *nsets, gs_error *err)
{
    size_t n = 0;
    for (char *s = p->sets; *s;) {
        GS_RETURN_IF(n == PARTIAL_MAX_SETS, err, GS_ERR_INPUT,
                     "%s: attribute 'sets': more than %d --set overrides", p->name,
                     PARTIAL_MAX_SETS);
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        sets[n++] = s;
        if (!nl) break;
        s = nl + 1;
    }
    *nsets = n;
    return GS_OK;
}

gs_status partial_source_read(void *source, int k, uint64_t first, size_t n, double *record,
                              gs_error *err)
{
    partial_source *m = source;
    (void)first;
    if (k == 0) m->point++;
    GS_RETURN_IF(gs_interrupt_pending(), err, GS_ERR_INTERRUPTED,
                 "merge: interrupted at cycle %d", k);
    hsize_t mdims[2] = {VAR_COUNT, n};
    for (size_t i = 0; i < m->n; i++) {
        const partial_file *p = &m->parts[i];
        if (!p->count) continue;
        hsize_t mstart[2] = {0, p->first}, mcount[2] = {VAR_COUNT, p->count};
        hid_t fs = values_slab(p->dset, m->point, k, 0, p->count),
              ms = H5Screate_simple(2, mdims, NULL);
        herr_t rc = fs < 0 || ms < 0 ? -1
                                     : H5Sselect_hyperslab(ms, H5S_SELECT_SET, mstart, NULL,
                                                           mcount, NULL);
        if (rc >= 0) rc = H5Dread(p->dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, record);
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
        if (rc < 0) {
            char cause[H5UTIL_CAUSE_MAX];
            h5util_cause(cause, sizeof cause);
            return gs_error_set(err, GS_ERR_INPUT,
                                "%s: dataset 'values': reading cycle %d of point %ld failed "
                                "(damaged?): %s",
                                p->name, k, m->point, cause);
        }
    }
    return GS_OK;
}
