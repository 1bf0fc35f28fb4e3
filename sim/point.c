/* point.c - one full run at one parameter set (see point.h). */
#include "point.h"
#include "stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* True when every outcome probability's standard error √(p(1−p)/N) is below target. */
static int precise_enough(const uint64_t count[METRIC_COUNT][OUTCOME_COUNT], uint64_t n,
                          double target)
{
    for (int q = 0; q < METRIC_COUNT; q++)
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double p = (double)count[q][o] / (double)n;
            if (!(sqrt(p * (1 - p) / (double)n) < target)) return 0;
        }
    return 1;
}

/* --target-se: outcome-only batches of B trajectories, [0, B), [B, 2B), ..., until
 * every outcome probability's SE is below the target or the next batch would pass
 * the cap.  Counts are integers, so the number of batches depends only on the seed,
 * B, the target and the cap.  Returns the number of trajectories N to run in full. */
static gs_status target_batches(const gs_scenario *sc, engine_job job, uint64_t batch,
                                uint64_t cap, double target, const gs_run_options *opt,
                                uint64_t *n_out, uint64_t *batches, int *met, gs_error *err)
{
    uint64_t count[METRIC_COUNT][OUTCOME_COUNT] = {{0}};
    uint64_t n = 0;
    double *values = job.d ? malloc(batch * job.d * sizeof *values) : NULL;
    GS_RETURN_IF(job.d && !values, err, GS_ERR_NOMEM, "out of memory for %llu draws",
                 (unsigned long long)batch);
    gs_run_options quiet = *opt;
    quiet.paths = 0;
    quiet.progress = NULL;
    gs_status st = GS_OK;
    *met = 0;
    *batches = 0;
    do {
        if (job.d)
            st = uncertain_draw(sc, job.seed, ENGINE_PARAM_FAMILY + job.shock_point, n, batch,
                                batch, values, err);
        if (st != GS_OK) break;
        job.first = n, job.n = batch, job.values = values, job.outcomes_only = 1;
        gs_result part;
        st = engine_run_job(sc, &job, &quiet, &part, err);
        if (st != GS_OK) break;
        for (int q = 0; q < METRIC_COUNT; q++)
            for (int o = 0; o < OUTCOME_COUNT; o++) count[q][o] += part.outcome_count[q][o];
        engine_result_free(&part);
        n += batch;
        (*batches)++;
        *met = precise_enough(count, n, target);
        if (opt->progress && opt->progress(opt->progress_ctx, n < cap ? n : cap, cap)) {
            st = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted after %llu batches",
                              (unsigned long long)*batches);
            break;
        }
    } while (!*met && n + batch <= cap);
    free(values);
    *n_out = n;
    return st;
}

gs_status point_run(const gs_scenario *sc, const gs_params *params, uint64_t shock_point,
                    const gs_run_options *opt, gs_result *res, gs_uncertainty **draws,
                    gs_error *err)
{
    memset(res, 0, sizeof *res);
    if (draws) *draws = NULL;
    size_t d = sc->n_uncertain;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = sc->uncertain[j].id;
    uint64_t batch = opt->trajectories ? opt->trajectories : sc->trajectories;
    double target = opt->target_se > 0 ? opt->target_se : sc->target_se;
    engine_job job = {.params = *params, .seed = opt->seed_set ? opt->seed : sc->seed,
                      .shock_point = shock_point, .d = d, .ids = ids};
    uint64_t n = batch, batches = 0;
    int met = 0;
    if (target > 0) {
        uint64_t cap = sc->max_trajectories > batch ? sc->max_trajectories : batch;
        GS_FORWARD(target_batches(sc, job, batch, cap, target, opt, &n, &batches, &met, err));
    }
    GS_RETURN_IF(n > (uint64_t)SIZE_MAX / 1024, err, GS_ERR_INPUT,
                 "run.trajectories: %llu is too large for this machine", (unsigned long long)n);
    double *values = NULL;
    if (d) {
        values = malloc((size_t)n * d * sizeof *values);
        GS_RETURN_IF(!values, err, GS_ERR_NOMEM, "out of memory for %llu x %zu parameter draws",
                     (unsigned long long)n, d);
        gs_status st = uncertain_draw(sc, job.seed, ENGINE_PARAM_FAMILY + shock_point, 0,
                                      (size_t)n, target > 0 ? (size_t)batch : (size_t)n, values,
                                      err);
        if (st != GS_OK) {
            free(values);
            return st;
        }
    }
    job.n = (size_t)n;
    job.values = values;
    gs_status st = opt->memory > 0 ? stream_run_job(sc, &job, opt, res, err) /* --memory */
                                   : engine_run_job(sc, &job, opt, res, err);
    if (st == GS_OK && d && draws) st = uncertain_describe(sc, values, (size_t)n, draws, err);
    free(values);
    if (st != GS_OK) {
        engine_result_free(res);
        return st;
    }
    res->batches = batches;
    res->batch_size = target > 0 ? batch : 0;
    res->target_se = target;
    res->target_met = met;
    res->antithetic = sc->antithetic;
    return GS_OK;
}
