/* sweep.c - points of a sweep and the loop of runs over them (see sweep.h). */
#include "sweep.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

void sweep_free(gs_sweep *sw)
{
    if (!sw) return;
    for (size_t p = 0; sw->points && p < sw->n_points; p++) engine_result_free(&sw->points[p]);
    for (size_t p = 0; sw->draws && p < sw->n_points; p++) uncertain_free(sw->draws[p]);
    free(sw->points);
    free(sw->draws);
    free(sw->values);
    free(sw);
}

/* Progress over the whole sweep: point p's (done, total) becomes
 * (p total + done, P total). */
typedef struct {
    const gs_run_options *outer;
    size_t point, n_points;
} sweep_progress;

static int on_point_progress(void *ctx, uint64_t done, uint64_t total)
{
    const sweep_progress *sp = ctx;
    return sp->outer->progress(sp->outer->progress_ctx, sp->point * total + done,
                               sp->n_points * total);
}

/* Point p: its parameters (checked against the relations), then a full run. */
static gs_status run_one_point(const gs_scenario *sc, gs_sweep *sw, size_t p,
                               const gs_run_options *o, sweep_progress *sp, gs_error *err)
{
    const scenario_sweep *s = &sc->sweep;
    gs_params params;
    GS_FORWARD(scenario_point_params(sc, p, sw->values + p * s->n_keys, &params, err));
    if (sp) sp->point = p;
    return point_run(sc, &params, s->crn ? 0 : p, o, &sw->points[p], &sw->draws[p], err);
}

gs_status sweep_run(const gs_scenario *sc, const gs_run_options *opt, const point_hooks *hooks,
                    gs_result *res, gs_sweep **out, gs_error *err)
{
    double t0 = omp_get_wtime();
    memset(res, 0, sizeof *res);
    *out = NULL;
    const point_hooks none = {0};
    if (!hooks) hooks = &none;
    const scenario_sweep *s = &sc->sweep;
    uint64_t seed = opt->seed_set ? opt->seed : sc->seed;
    gs_sweep *sw = calloc(1, sizeof *sw);
    GS_RETURN_IF(!sw, err, GS_ERR_NOMEM, "out of memory");
    sw->kind = s->kind, sw->crn = s->crn, sw->metric = s->metric;
    sw->n_points = s->points, sw->n_keys = s->n_keys;
    for (size_t j = 0; j < s->n_keys; j++)
        sw->keys[j] = s->keys[j], sw->shape[j] = s->kind == SWEEP_GRID ? s->n_values[j] : 0;
    sw->values = malloc(s->points * s->n_keys * sizeof *sw->values);
    sw->points = calloc(s->points, sizeof *sw->points);
    sw->draws = calloc(s->points, sizeof *sw->draws);
    gs_status st = !sw->values || !sw->points || !sw->draws
                       ? gs_error_set(err, GS_ERR_NOMEM, "out of memory")
                       : scenario_sweep_values(sc, seed, sw->values, err);
    gs_run_options o = *opt;
    o.paths = 0; /* full paths are not kept for sweeps */
    int threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    /* Many points: one point per thread, each run single-threaded (no per-cycle
     * barriers; a point's numbers do not depend on its thread count).  Few points: one
     * at a time, each with every thread. */
    /* Across MPI ranks, or when values stream to or from files (--shard, merge), the
     * points go one after the other, each over every rank and thread. */
    int across = s->points >= 2 * (size_t)threads && threads > 1 && !engine_distributed(opt) &&
                 !opt->sink && !opt->source;
    sweep_progress sp = {opt, 0, s->points};
    if (opt->progress && !across) o.progress = on_point_progress, o.progress_ctx = &sp;
    if (across) o.threads = 1, o.progress = NULL;
    size_t failed = SIZE_MAX;
    gs_error first_err;
    int stop = 0; /* set by the first failure or interruption: later points are skipped */
    if (st == GS_OK) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(across ? threads : 1)
        for (size_t p = 0; p < s->points; p++) {
            int stopped;
#pragma omp atomic read
            stopped = stop;
            if (stopped) continue;
            gs_error e;
            gs_status ps = GS_OK;
            /* a point known to the caller (a checkpoint) is not run again */
            if (!hooks->restore || !hooks->restore(hooks->ctx, p, &sw->points[p], &sw->draws[p])) {
                ps = run_one_point(sc, sw, p, &o, across ? NULL : &sp, &e);
                if (ps == GS_OK && hooks->finished)
                    ps = hooks->finished(hooks->ctx, p, &sw->points[p], sw->draws[p], &e);
            }
            if (ps == GS_OK && across && opt->progress) {
#pragma omp critical(sweep_progress)
                if (opt->progress(opt->progress_ctx, p + 1, s->points)) ps = GS_ERR_INTERRUPTED,
                    gs_error_set(&e, ps, "sweep interrupted");
            }
            if (ps != GS_OK) {
#pragma omp atomic write
                stop = 1;
#pragma omp critical(sweep_error)
                if (p < failed) failed = p, first_err = e, st = ps;
            }
        }
    }
    if (st != GS_OK && failed != SIZE_MAX && err) *err = first_err;
    if (st != GS_OK) {
        sweep_free(sw);
        return st;
    }
    const gs_result *first = &sw->points[0];
    res->trajectories = first->trajectories;
    res->seed = seed;
    res->n_cycles = first->n_cycles;
    res->cycle_years = first->cycle_years;
    res->n_quantiles = first->n_quantiles;
    memcpy(res->quantile_levels, first->quantile_levels, sizeof res->quantile_levels);
    res->threads = threads;
    memcpy(res->isa, first->isa, sizeof res->isa);
    res->target_se = first->target_se;
    res->batch_size = first->batch_size;
    res->antithetic = first->antithetic;
    for (size_t p = 0; p < sw->n_points; p++) {
        res->time_model += sw->points[p].time_model;
        res->time_stats += sw->points[p].time_stats;
        res->batches += sw->points[p].batches;
    }
    *out = sw;
    res->time_total = omp_get_wtime() - t0;
    return GS_OK;
}
