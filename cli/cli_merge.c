/* cli_merge.c - `--shard I/N` (one slice of the trajectories into a partial file) and
 * `gapsim merge` (the partial files into the output of the single run, bit for bit).
 *
 * A shard runs the whole scenario (every sweep point) for its slice of the
 * trajectories, engine_slice(N_traj, I, N): whole blocks, as an MPI rank would.  It
 * computes no statistics: each cycle's recorded values of its trajectories go to the
 * partial file (float64, shuffle + deflate 1), about 8 × VAR_COUNT × (K+1) bytes per
 * trajectory and point before compression.  Merge checks that the files are the N
 * shards of one run (same gapsim version, scenario text, --set overrides, seed and
 * options; every shard 0..N-1 exactly once), then runs the engine with the values read
 * back instead of the model (engine_values_fn source): the statistics, outcome counts
 * and paths are computed from the very same numbers by the very same code, so the
 * result equals the single run's.
 *
 * Partial file: root attributes gapsim_partial = 1, gapsim_version, scenario_text,
 * scenario_file, sets ("\n"-joined --set overrides), seed, seed_set, trajectories,
 * paths, shard, nshards, points, cycles; dataset `values` [point][cycle][variable]
 * [trajectory of the slice].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cli.h"
#include "h5out.h"
#include "model.h"
#include "scenario.h"
#include "study.h"

enum { MERGE_MAX_SHARDS = 100000, MERGE_SETS_MAX = 65536 };

int cli_shard_parse(const char *s, uint32_t *shard, uint32_t *nshards)
{
    unsigned long i, n;
    char tail;
    if (!s || sscanf(s, "%lu/%lu%c", &i, &n, &tail) != 2 || n == 0 || i >= n ||
        n > MERGE_MAX_SHARDS || strchr(s, '-'))
        return -1;
    *shard = (uint32_t)i, *nshards = (uint32_t)n;
    return 0;
}

/* ---- small HDF5 helpers ------------------------------------------------------------ */

static int put_u64(hid_t obj, const char *name, uint64_t v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, H5T_NATIVE_UINT64, &v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

static int put_str(hid_t obj, const char *name, const char *s, size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len + 1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, t, s) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static int get_u64(hid_t obj, const char *name, uint64_t *v)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    int rc = a >= 0 && H5Aread(a, H5T_NATIVE_UINT64, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* A string attribute, malloc'd (NULL when missing). */
static char *get_str(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a);
    size_t len = t >= 0 ? H5Tget_size(t) : 0;
    char *s = len ? calloc(len + 1, 1) : NULL;
    if (s && H5Aread(a, t, s) < 0) free(s), s = NULL;
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return s;
}

/* The file space of `values` with the slab [point][k][all variables][0..count) selected
 * (the caller closes it), or a negative id. */
static hid_t values_slab(hid_t dset, long point, int k, uint64_t count)
{
    hsize_t start[4] = {(hsize_t)point, (hsize_t)k, 0, 0}, cnt[4] = {1, 1, VAR_COUNT, count};
    hid_t fs = H5Dget_space(dset);
    if (fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0)
        H5Sclose(fs), fs = H5I_INVALID_HID;
    return fs;
}

/* ---- the shard ---------------------------------------------------------------------- */

typedef struct {
    hid_t file, dset;
    long point; /* the sweep point being run (the engine runs them in order) */
    int cycles;
} shard_sink;

/* engine_values_fn: cycle k of this shard's trajectories into values[point][k]. */
static gs_status shard_write(void *ctx, int k, uint64_t first, size_t n, double *record,
                             gs_error *err)
{
    shard_sink *s = ctx;
    (void)first;
    if (k == 0) s->point++;
    if (n == 0) return GS_OK;
    hsize_t count[4] = {1, 1, VAR_COUNT, n};
    hid_t fs = values_slab(s->dset, s->point, k, n), ms = H5Screate_simple(4, count, NULL);
    herr_t rc = fs < 0 || ms < 0 ? -1 : H5Dwrite(s->dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, record);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    GS_RETURN_IF(rc < 0, err, GS_ERR_IO, "writing the partial file: cycle %d of point %ld failed "
                 "(disk full?)", k, s->point);
    return GS_OK;
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
    int rc = put_u64(root, "gapsim_partial", 1) | put_str(root, "gapsim_version", GAPSIM_VERSION, strlen(GAPSIM_VERSION)) |
             put_str(root, "scenario_text", sc->text ? sc->text : "", sc->text ? sc->text_len : 0) |
             put_str(root, "scenario_file", sc->path, strlen(sc->path)) |
             put_str(root, "sets", joined, strlen(joined)) | put_u64(root, "seed", opt->seed) |
             put_u64(root, "seed_set", opt->seed_set) | put_u64(root, "trajectories", opt->trajectories) |
             put_u64(root, "paths", opt->paths) | put_u64(root, "shard", opt->shard) |
             put_u64(root, "nshards", opt->nshards) | put_u64(root, "points", points) |
             put_u64(root, "cycles", (uint64_t)cycles);
    free(joined);
    return rc;
}

int cli_shard_run(const gs_scenario *sc, const gs_run_options *opt, const char *const *sets,
                  size_t nsets, const char *output, int quiet, gs_error *err)
{
    if (opt->comm && opt->comm->size > 1)
        return cli_usage_error("--shard is for runs without MPI; under mpirun leave it out");
    uint64_t n = opt->trajectories ? opt->trajectories : sc->trajectories, first, count;
    engine_slice(n, opt->shard, opt->nshards, &first, &count);
    uint64_t points = sc->sweep.kind != SWEEP_NONE ? sc->sweep.points : 1;
    int cycles = (int)sc->params.run_cycles + 1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", output);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        gs_error_set(err, GS_ERR_IO, "writing %s: cannot create the partial file", output);
        return cli_report(err);
    }
    hsize_t dims[4] = {points, (hsize_t)cycles, VAR_COUNT, count ? count : 0};
    hsize_t chunk[4] = {1, 1, VAR_COUNT, count > (1u << 16) ? (1u << 16) : (count ? count : 1)};
    hid_t sp = H5Screate_simple(4, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (count) H5Pset_chunk(dcpl, 4, chunk), H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, 1);
    shard_sink sink = {file, H5Dcreate2(file, "values", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT), -1,
                       cycles};
    H5Pclose(dcpl);
    H5Sclose(sp);
    int bad = sink.dset < 0 || options_write(file, sc, opt, sets, nsets, points, cycles) != 0;
    gs_run_options o = *opt;
    o.sink = shard_write, o.sink_ctx = &sink, o.comm = NULL;
    gs_study_result res;
    gs_status st = bad ? gs_error_set(err, GS_ERR_IO, "writing %s: partial file setup failed", output)
                       : study_run(sc, &o, NULL, &res, err);
    if (st == GS_OK) study_result_free(&res);
    if (sink.dset >= 0) H5Dclose(sink.dset);
    if (H5Fclose(file) < 0 && st == GS_OK)
        st = gs_error_set(err, GS_ERR_IO, "writing %s: closing failed (disk full?)", output);
    if (st == GS_OK && rename(tmp, output) != 0)
        st = gs_error_set(err, GS_ERR_IO, "writing %s: rename failed", output);
    if (st != GS_OK) {
        remove(tmp);
        return cli_report(err);
    }
    if (!quiet)
        printf("Wrote shard %u of %u (trajectories %llu..%llu of %llu, %llu point%s) to %s\n",
               opt->shard, opt->nshards, (unsigned long long)first,
               (unsigned long long)(first + count) - (count > 0), (unsigned long long)n,
               (unsigned long long)points, points == 1 ? "" : "s", output);
    return 0;
}

/* ---- merge ------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    hid_t file, dset;
    uint64_t shard, nshards, seed, seed_set, trajectories, paths, points, cycles;
    char *version, *text, *sets, *path;
    uint64_t first, count;
} part;

typedef struct {
    part *parts;
    size_t n;
    long point;
} merge_source;

/* engine_values_fn: cycle k of every shard into the record of all trajectories. */
static gs_status merge_read(void *ctx, int k, uint64_t first, size_t n, double *record,
                            gs_error *err)
{
    merge_source *m = ctx;
    (void)first;
    if (k == 0) m->point++;
    hsize_t mdims[2] = {VAR_COUNT, n};
    for (size_t i = 0; i < m->n; i++) {
        const part *p = &m->parts[i];
        if (!p->count) continue;
        hsize_t mstart[2] = {0, p->first}, mcount[2] = {VAR_COUNT, p->count};
        hid_t fs = values_slab(p->dset, m->point, k, p->count), ms = H5Screate_simple(2, mdims, NULL);
        herr_t rc = fs < 0 || ms < 0 ? -1 : H5Sselect_hyperslab(ms, H5S_SELECT_SET, mstart, NULL, mcount, NULL);
        if (rc >= 0) rc = H5Dread(p->dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, record);
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
        GS_RETURN_IF(rc < 0, err, GS_ERR_IO, "merge: %s: reading cycle %d of point %ld failed",
                     p->name, k, m->point);
    }
    return GS_OK;
}

static void part_close(part *p)
{
    if (p->dset >= 0) H5Dclose(p->dset);
    if (p->file >= 0) H5Fclose(p->file);
    free(p->version), free(p->text), free(p->sets), free(p->path);
}

/* Opens a partial file and reads its attributes; 0 or an exit code (message printed). */
static int part_open(part *p, const char *name)
{
    memset(p, 0, sizeof *p);
    p->name = name, p->dset = H5I_INVALID_HID;
    p->file = H5Fopen(name, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (p->file < 0) return fprintf(stderr, "gapsim: merge: %s: cannot open (not an HDF5 file?)\n", name), 2;
    uint64_t flag = 0;
    if (get_u64(p->file, "gapsim_partial", &flag) || flag != 1)
        return fprintf(stderr, "gapsim: merge: %s: not a gapsim --shard partial file\n", name), 2;
    p->version = get_str(p->file, "gapsim_version");
    p->text = get_str(p->file, "scenario_text");
    p->sets = get_str(p->file, "sets");
    p->path = get_str(p->file, "scenario_file");
    int bad = !p->version || !p->text || !p->sets || !p->path || get_u64(p->file, "shard", &p->shard) ||
              get_u64(p->file, "nshards", &p->nshards) || get_u64(p->file, "seed", &p->seed) ||
              get_u64(p->file, "seed_set", &p->seed_set) || get_u64(p->file, "trajectories", &p->trajectories) ||
              get_u64(p->file, "paths", &p->paths) || get_u64(p->file, "points", &p->points) ||
              get_u64(p->file, "cycles", &p->cycles);
    if (!bad) p->dset = H5Dopen2(p->file, "values", H5P_DEFAULT);
    if (bad || p->dset < 0)
        return fprintf(stderr, "gapsim: merge: %s: damaged partial file (attributes missing)\n", name), 2;
    return 0;
}

/* Splits the "\n"-joined sets in place into sets[]; returns their number. */
static size_t split_sets(char *joined, const char **sets, size_t max)
{
    size_t n = 0;
    for (char *s = joined; *s && n < max;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        sets[n++] = s;
        if (!nl) break;
        s = nl + 1;
    }
    return n;
}

/* The checks that the parts are the N shards of one run, each once. */
static int parts_check(part *parts, size_t n)
{
    const part *a = &parts[0];
    for (size_t i = 1; i < n; i++) {
        const part *b = &parts[i];
        const char *what = strcmp(a->version, b->version) ? "gapsim versions"
                           : strcmp(a->text, b->text)     ? "scenarios (scenario_text differs)"
                           : strcmp(a->sets, b->sets)     ? "--set overrides"
                           : a->seed != b->seed || a->seed_set != b->seed_set ? "seeds"
                           : a->trajectories != b->trajectories ? "trajectory counts"
                           : a->paths != b->paths           ? "--paths"
                           : a->nshards != b->nshards       ? "shard counts (N of --shard I/N)"
                                                            : NULL;
        if (what) {
            fprintf(stderr, "gapsim: merge: %s and %s are not shards of the same run: different %s\n",
                    a->name, b->name, what);
            return 2;
        }
    }
    int rc = 0;
    for (uint64_t s = 0; s < a->nshards; s++) {
        const part *seen = NULL;
        for (size_t i = 0; i < n; i++) {
            if (parts[i].shard != s) continue;
            if (seen) {
                fprintf(stderr, "gapsim: merge: shard %llu/%llu given twice: %s and %s\n",
                        (unsigned long long)s, (unsigned long long)a->nshards, seen->name, parts[i].name);
                return 2;
            }
            seen = &parts[i];
        }
        if (!seen) {
            fprintf(stderr, "gapsim: merge: shard %llu/%llu is missing (run it with --shard %llu/%llu)\n",
                    (unsigned long long)s, (unsigned long long)a->nshards, (unsigned long long)s,
                    (unsigned long long)a->nshards);
            rc = 2;
        }
    }
    return rc;
}

static int by_shard(const void *x, const void *y)
{
    const part *a = x, *b = y;
    return (a->shard > b->shard) - (a->shard < b->shard);
}

/* merge's options (the table is in cli_commands.c). */
typedef struct {
    const char *output;
    int quiet;
} merge_args;

static int merge_option(void *ctx, const cli_option *o, const char *val)
{
    merge_args *m = ctx;
    if (o->key == 'o') m->output = val;
    if (o->key == 'q') m->quiet = 1;
    return 0;
}

int cli_merge_main(int argc, char **argv)
{
    merge_args m = {NULL, 0};
    const char **names = calloc((size_t)argc, sizeof *names);
    if (!names) return fprintf(stderr, "gapsim: out of memory\n"), 1;
    int npos = 0;
    int prc = cli_parse(cli_find("merge"), argc, argv, merge_option, &m, names, argc, &npos);
    if (prc) return free(names), cli_exit_status(prc);
    size_t nn = (size_t)npos;
    const char *output = m.output;
    int quiet = m.quiet;
    if (!output) return free(names), cli_usage_error("merge needs -o OUT.h5");
    if (nn == 0) return free(names), cli_usage_error("merge needs the partial files PART.h5 ...");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    part *parts = calloc(nn, sizeof *parts);
    int rc = parts ? 0 : 1;
    size_t opened = 0;
    for (; rc == 0 && opened < nn; opened++) {
        rc = part_open(&parts[opened], names[opened]);
    }
    if (rc == 0) rc = parts_check(parts, nn);
    gs_scenario sc;
    int have_sc = 0;
    gs_error err;
    if (rc == 0) {
        qsort(parts, nn, sizeof *parts, by_shard);
        const char *sets[256];
        size_t nsets = split_sets(parts[0].sets, sets, 256);
        if (scenario_parse(parts[0].text, strlen(parts[0].text), parts[0].path, sets, nsets, &sc,
                           &err) != GS_OK)
            rc = cli_report(&err);
        else
            have_sc = 1;
    }
    gs_run_options opt = {0};
    merge_source src = {parts, nn, -1};
    if (rc == 0) {
        opt.trajectories = parts[0].trajectories, opt.seed = parts[0].seed;
        opt.seed_set = parts[0].seed_set, opt.paths = parts[0].paths;
        opt.source = merge_read, opt.source_ctx = &src;
        uint64_t n = opt.trajectories ? opt.trajectories : sc.trajectories;
        for (size_t i = 0; i < nn; i++) {
            engine_slice(n, parts[i].shard, parts[i].nshards, &parts[i].first, &parts[i].count);
            hid_t fs = H5Dget_space(parts[i].dset);
            hsize_t dims[4] = {0, 0, 0, 0};
            H5Sget_simple_extent_dims(fs, dims, NULL);
            H5Sclose(fs);
            if (dims[0] != parts[i].points || dims[1] != parts[i].cycles || dims[2] != VAR_COUNT ||
                dims[3] != parts[i].count) {
                fprintf(stderr, "gapsim: merge: %s: values have the wrong shape for shard %llu/%llu\n",
                        parts[i].name, (unsigned long long)parts[i].shard,
                        (unsigned long long)parts[i].nshards);
                rc = 2;
                break;
            }
        }
    }
    gs_study_result res;
    if (rc == 0 && study_run(&sc, &opt, NULL, &res, &err) != GS_OK) rc = cli_report(&err);
    else if (rc == 0) {
        char command[512];
        snprintf(command, sizeof command, "gapsim merge of %zu shards of: gapsim run %s", nn, sc.path);
        h5out_meta meta = {GAPSIM_VERSION, GAPSIM_GIT, command};
        if (h5out_write(output, &sc, &res, &meta, &err) != GS_OK)
            rc = cli_report(&err);
        else if (!quiet)
            printf("Merged %zu shards (%llu trajectories) into %s\n", nn,
                   (unsigned long long)res.run.trajectories, output);
        study_result_free(&res);
    }
    if (have_sc) scenario_free(&sc);
    for (size_t i = 0; i < opened && parts; i++) part_close(&parts[i]);
    free(parts);
    free(names);
    return rc;
}
