/* point.c - one full run at one parameter set (see point.h). */
#include "point.h"
#include "stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

/* True when every outcome probability's standard error √(p(1−p)/N) is below target. */
static int precise_enough(const uint64_t count[METRIC_COUNT][OUTCOME_COUNT], uint64_t n,
                          double target)
{
    if (n == 0) return 0;
    for (int q = 0; q < METRIC_COUNT; q++)
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double p = (double)count[q][o] / (double)n;
            if (!(sqrt(p * (1 - p) / (double)n) < target)) return 0;
        }
    return 1;
}

gs_status point_target_batches(uint64_t batch_size, uint64_t cap, double target,
                               const gs_run_options *opt, point_batch_fn batch, void *ctx,
                               uint64_t *n_out, uint64_t *batches, int *met, gs_error *err)
{
    uint64_t count[METRIC_COUNT][OUTCOME_COUNT] = {{0}};
    uint64_t n = 0, kept = 0;
    gs_status st = GS_OK;
    *met = 0;
    *batches = 0;
    do {
        uint64_t k = 0;
        st = batch(ctx, n, batch_size, count, &k, err);
        if (st != GS_OK) break;
        kept += k;
        n += batch_size;
        (*batches)++;
        *met = precise_enough(count, kept, target);
        if (opt->progress && opt->progress(opt->progress_ctx, n < cap ? n : cap, cap)) {
            st = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted after %llu batches",
                              (unsigned long long)*batches);
            break;
        }
    } while (!*met && n + batch_size <= cap);
    *n_out = n;
    return st;
}

/* --target-se: outcome-only batches of B trajectories, [0, B), [B, 2B), ..., until
 * every outcome probability's SE is below the target or the next batch would pass
 * the cap.  Counts are integers, so the number of batches depends only on the seed,
 * B, the target and the cap.  point_target_batches returns the number of trajectories
 * N to run in full. */
typedef struct {
    const gs_scenario *sc;
    engine_job job;
    const gs_run_options *quiet;
    double *values;
} point_batches;

static gs_status point_batch(void *ctx, uint64_t first, uint64_t n,
                             uint64_t count[METRIC_COUNT][OUTCOME_COUNT], uint64_t *kept,
                             gs_error *err)
{
    point_batches *b = ctx;
    engine_job job = b->job;
    if (job.d)
        GS_FORWARD(uncertain_draw(b->sc, job.seed, ENGINE_PARAM_FAMILY + job.shock_point, first,
                                  (size_t)n, (size_t)n, b->values, err));
    job.first = first, job.n = (size_t)n, job.values = b->values, job.outcomes_only = 1;
    gs_result part;
    GS_FORWARD(engine_run_job(b->sc, &job, b->quiet, &part, err));
    for (int q = 0; q < METRIC_COUNT; q++)
        for (int o = 0; o < OUTCOME_COUNT; o++) count[q][o] += part.outcome_count[q][o];
    engine_result_free(&part);
    *kept = n;
    return GS_OK;
}

static gs_status target_batches(const gs_scenario *sc, engine_job job, uint64_t batch,
                                uint64_t cap, double target, const gs_run_options *opt,
                                uint64_t *n_out, uint64_t *batches, int *met, gs_error *err)
{
    double *values = job.d ? malloc(batch * job.d * sizeof *values) : NULL;
    GS_RETURN_IF(job.d && !values, err, GS_ERR_NOMEM, "out of memory for %llu draws",
                 (unsigned long long)batch);
    gs_run_options quiet = *opt;
    quiet.paths = 0;
    quiet.progress = NULL;
    point_batches b = {.sc = sc, .job = job, .quiet = &quiet, .values = values};
    gs_status st = point_target_batches(batch, cap, target, opt, point_batch, &b, n_out, batches,
                                        met, err);
    free(values);
    return st;
}

gs_status point_run(const gs_scenario *sc, const gs_params *params, uint64_t shock_point,
                    const gs_run_options *opt, gs_result *res, gs_uncertainty **draws,
                    gs_error *err)
{
    const double t_start = omp_get_wtime();
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
    double t_draws = omp_get_wtime();
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
    t_draws = omp_get_wtime() - t_draws;
    job.n = (size_t)n;
    job.values = values;
    gs_status st = opt->memory > 0 ? stream_run_job(sc, &job, opt, res, err) /* --memory */
                                   : engine_run_job(sc, &job, opt, res, err);
    const double t_describe = omp_get_wtime();
    if (st == GS_OK && d && draws) st = uncertain_describe(sc, values, (size_t)n, draws, err);
    free(values);
    if (st != GS_OK) {
        engine_result_free(res);
        return st;
    }
    res->time_draws = d ? t_draws + (omp_get_wtime() - t_describe) : 0.0;
    res->time_total = omp_get_wtime() - t_start;
    res->batches = batches;
    res->batch_size = target > 0 ? batch : 0;
    res->target_se = target;
    res->target_met = met;
    res->antithetic = sc->antithetic;
    return GS_OK;
}
