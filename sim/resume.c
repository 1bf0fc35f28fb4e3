/* resume.c - see resume.h. */
/* flock (BSD), lstat, O_NOFOLLOW (POSIX 2008) */
#define _DEFAULT_SOURCE
#include "resume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "h5in.h"
#include "h5out.h"
#include "params.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif

enum { PATH_LEN = 4200 };

struct gs_resume {
    char dir[4096];
    int lock_fd;              /* holds flock(LOCK_EX) on dir/LOCK while open */
    size_t loaded, recomputed;
    const gs_scenario *sc;    /* borrowed */
    char manifest_sha[HASH_HEX_SIZE];
    uint64_t seed;
    size_t points;
    int cycles;
    size_t quantiles;
};

/* The exact description of the run that the checkpoints belong to (owned by the
 * caller).  Two runs with the same manifest produce the same points. */
static char *manifest_text(const gs_scenario *sc, const gs_run_options *opt)
{
    size_t cap = sc->text_len + 16384;
    char *m = malloc(cap);
    if (!m) return NULL;
    size_t len = 0;
#define PUT(...) len += (size_t)snprintf(m + len, len < cap ? cap - len : 0, __VA_ARGS__)
    PUT("gapsim %s checkpoint\n", GAPSIM_VERSION);
    for (int k = 0; k < RUNKEY_COUNT; k++) { /* every run key (runkeys.def) */
        char value[2048];
        if (runkeys_table[k].type == RK_SECTION) continue; /* the sweep line below */
        scenario_runkey_text(sc, (runkey_id)k, value, sizeof value);
        PUT("%s %s\n", runkeys_table[k].key, value);
    }
    PUT("options seed %llu trajectories %llu target_se %.17g antithetic %d crn %d\n",
        (unsigned long long)(opt->seed_set ? opt->seed : sc->seed),
        (unsigned long long)(opt->trajectories ? opt->trajectories : sc->trajectories),
        opt->target_se, opt->antithetic, opt->crn);
    for (int i = 0; i < PARAM_COUNT; i++)
        PUT("%s %.17g\n", params_table[i].key, params_get(&sc->params, (gs_param_id)i));
    PUT("sweep kind %d crn %d metric %d points %zu keys", (int)sc->sweep.kind, sc->sweep.crn,
        sc->sweep.metric, sc->sweep.points);
    for (size_t j = 0; j < sc->sweep.n_keys; j++) PUT(" %s", params_table[sc->sweep.keys[j]].key);
    PUT("\n--- scenario text ---\n");
#undef PUT
    if (len + sc->text_len + 1 > cap) {
        free(m);
        return NULL;
    }
    memcpy(m + len, sc->text, sc->text_len);
    m[len + sc->text_len] = '\0';
    return m;
}

/* Reads a whole small file (owned by the caller; *len its length), or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap + 1);
    while (s) {
        n += fread(s + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = realloc(s, 2 * cap + 1);
        if (!bigger) free(s);
        s = bigger, cap *= 2;
    }
    if (s && ferror(f)) free(s), s = NULL;
    fclose(f);
    if (s) s[n] = '\0';
    if (len) *len = n;
    return s;
}

/* Writes text to dir/name atomically (a temporary file renamed over it). */
static int write_file_atomic(const char *dir, const char *name, const char *text)
{
    char path[PATH_LEN], tmp[PATH_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    int bad = fwrite(text, 1, strlen(text), f) != strlen(text);
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A file gapsim keeps in a checkpoint directory: MANIFEST, LOCK, point_NNNNNN.h5 and
 * its .id, and their temporary files (".point_...", ".MANIFEST..."). */
static int ours(const char *name)
{
    const char *n = name[0] == '.' ? name + 1 : name;
    return strncmp(n, "point_", 6) == 0 || strncmp(n, "MANIFEST", 8) == 0 ||
           strcmp(name, "LOCK") == 0;
}

/* Removes gapsim's files from dir (never anything else), the lock file last if
 * with_lock; then the directory if that left it empty. */
static void remove_ours(const char *dir, int with_lock)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_LEN];
    while ((e = readdir(d)))
        if (ours(e->d_name) && (with_lock || strcmp(e->d_name, "LOCK") != 0)) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    if (with_lock) rmdir(dir); /* fails, harmlessly, if anything else is in it */
}

/* The directory part of path ("." when it has none). */
static void parent_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* Creates (or finds) the directory and takes its lock; the lock is what keeps two runs
 * writing the same output apart. */
static gs_status lock_dir(gs_resume *r, const char *output, int resume, gs_error *err)
{
    char parent[PATH_LEN];
    struct stat sb;
    parent_of(output, parent, sizeof parent);
    if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return gs_error_set(err, GS_ERR_IO, "writing %s: directory %s: %s", output, parent,
                            stat(parent, &sb) != 0 ? (errno == ENOENT ? "No such file or directory "
                                                     "(it must exist)" : strerror(errno))
                                                   : "not a directory");
    if (lstat(r->dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return gs_error_set(err, GS_ERR_IO, "%s exists and is not a directory: gapsim keeps a "
                            "sweep's checkpoints there; move it away", r->dir);
    if (resume && lstat(r->dir, &sb) != 0)
        return gs_error_set(err, GS_ERR_INPUT,
                            "--resume: no checkpoints at %s (nothing to resume; run without "
                            "--resume)", r->dir);
    if (mkdir(r->dir, 0777) != 0 && errno != EEXIST)
        return gs_error_set(err, GS_ERR_IO, "cannot create the checkpoint directory %s: %s",
                            r->dir, strerror(errno));
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/LOCK", r->dir);
    r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (r->lock_fd < 0)
        return gs_error_set(err, GS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        /* a filesystem without locks: carry on unlocked, as HDF5 does */
        if (e == ENOSYS || e == ENOLCK || e == EOPNOTSUPP) return GS_OK;
        close(r->lock_fd);
        r->lock_fd = -1;
        if (e == EWOULDBLOCK)
            return gs_error_set(err, GS_ERR_IO,
                                "another gapsim run is writing %s (it holds the lock of %s); "
                                "wait for it to finish or choose another output file",
                                output, r->dir);
        return gs_error_set(err, GS_ERR_IO, "cannot lock %s: %s", path, strerror(e));
    }
    return GS_OK;
}

gs_status resume_open(const char *output, const gs_scenario *sc, const gs_run_options *opt,
                      int resume, gs_resume **out, gs_error *err)
{
    *out = NULL;
    gs_resume *r = calloc(1, sizeof *r);
    char *manifest = manifest_text(sc, opt);
    if (!r || !manifest) {
        free(r), free(manifest);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory preparing checkpoints");
    }
    r->lock_fd = -1;
    r->sc = sc;
    r->seed = opt->seed_set ? opt->seed : sc->seed;
    r->points = scenario_sweep_points(sc);
    r->cycles = (int)sc->params.run_cycles + 1;
    r->quantiles = sc->n_quantiles;
    hash_sha256_hex(manifest, strlen(manifest), r->manifest_sha);
    snprintf(r->dir, sizeof r->dir, "%s" RESUME_DIR_SUFFIX, output);
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/MANIFEST", r->dir);
    gs_status st = lock_dir(r, output, resume, err);
    if (st == GS_OK && resume) {
        char *old = read_file(path, NULL);
        if (!old)
            st = gs_error_set(err, GS_ERR_INPUT,
                              "--resume: no checkpoints at %s (nothing to resume; run without "
                              "--resume)", r->dir);
        else if (strcmp(old, manifest) != 0)
            st = gs_error_set(err, GS_ERR_INPUT,
                              "--resume: the checkpoints at %s belong to a different run "
                              "(scenario, --set, seed, trajectories or version changed); "
                              "remove them or run without --resume", r->dir);
        free(old);
    } else if (st == GS_OK) {
        remove_ours(r->dir, 0); /* a fresh start: old points go, the lock stays held */
        if (write_file_atomic(r->dir, "MANIFEST", manifest) != 0)
            st = gs_error_set(err, GS_ERR_IO, "cannot write checkpoints to %s: %s", r->dir,
                              strerror(errno));
    }
    free(manifest);
    if (st != GS_OK) {
        if (r->lock_fd >= 0) close(r->lock_fd);
        free(r);
        return st;
    }
    *out = r;
    return GS_OK;
}

/* The identity record of a checkpoint: which run (the manifest's hash), seed, point and
 * shape it belongs to, and the SHA-256 of the point file's bytes.  Written after the
 * point file, so a point without a matching record is never used. */
static void identity_text(const gs_resume *r, size_t point, const gs_result *res,
                          const char *file_sha, char *buf, size_t size)
{
    snprintf(buf, size,
             "gapsim checkpoint 1\nmanifest_sha256 %s\nseed %" PRIu64 "\npoint %zu\npoints %zu\n"
             "cycles %d\nquantiles %zu\ntrajectories %" PRIu64 "\nfile_sha256 %s\n",
             r->manifest_sha, r->seed, point, r->points, res->n_cycles, res->n_quantiles,
             res->trajectories, file_sha);
}

/* Checks the point read back against what this run expects; 0 when it is the point. */
static int result_matches(const gs_resume *r, const gs_result *res, const gs_scenario *sc)
{
    if (res->n_cycles != r->cycles || res->n_quantiles != r->quantiles || res->seed != r->seed)
        return -1;
    (void)sc; /* the scenario in the file: its text is covered by the record's hashes */
    return memcmp(res->quantile_levels, r->sc->quantiles, r->quantiles * sizeof(double)) == 0 ? 0
                                                                                          : -1;
}

int resume_load(gs_resume *r, size_t point, gs_result *res, gs_uncertainty **draws)
{
    char path[PATH_LEN], idpath[PATH_LEN];
    snprintf(path, sizeof path, "%s/point_%06zu.h5", r->dir, point);
    snprintf(idpath, sizeof idpath, "%s/point_%06zu.id", r->dir, point);
    memset(res, 0, sizeof *res);
    *draws = NULL;
    if (access(path, F_OK) != 0 && access(idpath, F_OK) != 0) return 0; /* not run yet */
    size_t len = 0;
    char *bytes = read_file(path, &len), *id = read_file(idpath, NULL);
    char sha[HASH_HEX_SIZE] = "";
    if (bytes) hash_sha256_hex(bytes, len, sha);
    free(bytes);
    gs_scenario sc;
    gs_error err;
    gs_status st = GS_ERR_INPUT;
    gs_study_result sr;
    memset(&sr, 0, sizeof sr);
    if (bytes && id) {
#pragma omp critical(gapsim_hdf5)
        st = h5in_read_study(path, H5IN_SINGLE, &sc, &sr, &err); /* checks completed = 1 */
    }
    int ok = st == GS_OK && result_matches(r, &sr.run, &sc) == 0;
    if (ok) { /* the record must name this run, this point, this shape and these bytes */
        char want[1024];
        identity_text(r, point, &sr.run, sha, want, sizeof want);
        ok = strcmp(id, want) == 0;
    }
    if (st == GS_OK) scenario_free(&sc);
    free(id);
    if (!ok) { /* damaged, foreign or reshaped: run the point again */
        study_result_free(&sr);
#pragma omp atomic
        r->recomputed++;
        return 0;
    }
    *res = sr.run;
    *draws = sr.uncertainty;
#pragma omp atomic
    r->loaded++;
    return 1;
}

gs_status resume_save(gs_resume *r, size_t point, const gs_result *res,
                      const gs_uncertainty *draws, gs_error *err)
{
    char path[PATH_LEN], name[64];
    snprintf(path, sizeof path, "%s/point_%06zu.h5", r->dir, point);
    snprintf(name, sizeof name, "point_%06zu.id", point);
    h5out_meta meta = {GAPSIM_VERSION, "checkpoint", "checkpoint"};
    gs_study_result sr = {.run = *res, .uncertainty = (gs_uncertainty *)draws};
    gs_status st;
#pragma omp critical(gapsim_hdf5)
    {
        char idpath[PATH_LEN];
        snprintf(idpath, sizeof idpath, "%s/%s", r->dir, name);
        unlink(idpath); /* a stale record must never vouch for the new file */
        st = h5out_write(path, r->sc, &sr, &meta, err);
    }
    GS_FORWARD(st);
    size_t len = 0;
    char *bytes = read_file(path, &len);
    GS_RETURN_IF(!bytes, err, GS_ERR_IO, "cannot read back checkpoint %s: %s", path,
                 strerror(errno));
    char sha[HASH_HEX_SIZE], id[1024];
    hash_sha256_hex(bytes, len, sha);
    free(bytes);
    identity_text(r, point, res, sha, id, sizeof id);
    GS_RETURN_IF(write_file_atomic(r->dir, name, id) != 0, err, GS_ERR_IO,
                 "cannot write checkpoint record %s/%s: %s", r->dir, name, strerror(errno));
    return GS_OK;
}

size_t resume_loaded(const gs_resume *r) { return r ? r->loaded : 0; }

size_t resume_recomputed(const gs_resume *r) { return r ? r->recomputed : 0; }

const char *resume_dir(const gs_resume *r) { return r ? r->dir : ""; }

static int hook_restore(void *ctx, size_t point, gs_result *res, gs_uncertainty **draws)
{
    return resume_load(ctx, point, res, draws);
}

static gs_status hook_finished(void *ctx, size_t point, const gs_result *res,
                               const gs_uncertainty *draws, gs_error *err)
{
    return resume_save(ctx, point, res, draws, err);
}

point_hooks resume_hooks(gs_resume *r)
{
    point_hooks h = {hook_restore, hook_finished, r};
    return h;
}

void resume_close(gs_resume *r, int done)
{
    if (!r) return;
    if (done) remove_ours(r->dir, 1); /* the lock is released with its file */
    if (r->lock_fd >= 0) close(r->lock_fd);
    free(r);
}
