/* resume.c - see resume.h. */
#include "resume.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h5in.h"
#include "h5out.h"
#include "params.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif

struct gs_resume {
    char dir[4096];
    size_t loaded;
    const gs_scenario *sc;
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
    PUT("seed %llu\n", (unsigned long long)(opt->seed_set ? opt->seed : sc->seed));
    PUT("trajectories %llu\n",
        (unsigned long long)(opt->trajectories ? opt->trajectories : sc->trajectories));
    PUT("quantiles");
    for (size_t q = 0; q < sc->n_quantiles; q++) PUT(" %.17g", sc->quantiles[q]);
    PUT("\nantithetic %d target_se %.17g max_trajectories %llu\n", sc->antithetic,
        sc->target_se, (unsigned long long)sc->max_trajectories);
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

/* Reads a whole small file (owned by the caller), or NULL. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Removes the checkpoint files and the directory (ignores what is not there). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
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
    snprintf(r->dir, sizeof r->dir, "%s.resume", output);
    char path[4200];
    snprintf(path, sizeof path, "%s/MANIFEST", r->dir);
    gs_status st = GS_OK;
    if (resume) {
        char *old = read_file(path);
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
    } else {
        remove_dir(r->dir);
        FILE *f = NULL;
        if (mkdir(r->dir, 0777) != 0 || !(f = fopen(path, "wb")) ||
            fwrite(manifest, 1, strlen(manifest), f) != strlen(manifest))
            st = gs_error_set(err, GS_ERR_IO, "cannot write checkpoints to %s: %s", r->dir,
                              strerror(errno));
        if (f && fclose(f) != 0 && st == GS_OK)
            st = gs_error_set(err, GS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    free(manifest);
    if (st != GS_OK) {
        free(r);
        return st;
    }
    r->sc = sc;
    *out = r;
    return GS_OK;
}

int resume_load(gs_resume *r, size_t point, gs_result *res, gs_uncertainty **draws)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/point_%06zu.h5", r->dir, point);
    if (access(path, R_OK) != 0) return 0;
    gs_scenario sc;
    gs_error err;
    gs_status st;
#pragma omp critical(gapsim_hdf5)
    {
        gs_study_result sr;
        st = h5in_read_study(path, H5IN_SINGLE, &sc, &sr, &err);
        if (st == GS_OK) *res = sr.run, *draws = sr.uncertainty;
    }
    if (st != GS_OK) return 0; /* a damaged checkpoint: run the point again */
    scenario_free(&sc);
#pragma omp atomic
    r->loaded++;
    return 1;
}

gs_status resume_save(gs_resume *r, size_t point, const gs_result *res,
                      const gs_uncertainty *draws, gs_error *err)
{
    const gs_scenario *sc = r->sc;
    gs_study_result sr = {.run = *res, .uncertainty = (gs_uncertainty *)draws};
    char path[4200];
    snprintf(path, sizeof path, "%s/point_%06zu.h5", r->dir, point);
    h5out_meta meta = {GAPSIM_VERSION, "checkpoint", "checkpoint"};
    gs_status st;
#pragma omp critical(gapsim_hdf5)
    st = h5out_write(path, sc, &sr, &meta, err);
    return st;
}

size_t resume_loaded(const gs_resume *r) { return r ? r->loaded : 0; }

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
    if (done) remove_dir(r->dir);
    free(r);
}
