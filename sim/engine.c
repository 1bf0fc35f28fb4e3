/* engine.c - the Monte Carlo driver: blocks, threads, cycle loop, statistics.
 *
 * Layout in memory (N trajectories, B = ENGINE_BLOCK):
 *   state   MODEL_STATE_ARRAYS arrays of N doubles (structure of arrays)
 *   rng     N generators, trajectory i's from rng_stream(seed, 0, i)
 *   record  VAR_COUNT arrays of N doubles: the recorded variables of the current cycle
 *   metric0 METRIC_COUNT arrays of N doubles: the outcome metrics at cycle 0
 *   blocks  VAR_COUNT × (number of blocks) stats_block: each block's moments and range
 *           of the current cycle, computed right after model_record while the block is
 *           in cache; merged per variable in block order
 * Block j covers trajectories [jB, min(N, (j+1)B)).  The cycle loop is outside and the
 * blocks inside, because each cycle's statistics need every trajectory's value of that
 * cycle; the record buffer is reused from cycle to cycle.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "stats.h"

static double now_seconds(void) { return omp_get_wtime(); }

void engine_result_free(gs_result *res)
{
    if (!res) return;
    free(res->mean);
    free(res->sd);
    free(res->quantile);
    free(res->paths);
    memset(res, 0, sizeof *res);
}

/* Working memory of one run; freed by run_free. */
typedef struct {
    size_t n;
    double *state;   /* MODEL_STATE_ARRAYS × n */
    rng_pcg32 *rng;  /* n */
    double *record;  /* VAR_COUNT × n */
    double *metric0; /* METRIC_COUNT × n */
    stats_block *blocks; /* VAR_COUNT × nblocks */
    size_t nblocks;
    stats_qsel **qsel; /* one workspace per thread */
    int threads;
} run_memory;

static void run_free(run_memory *w)
{
    free(w->state);
    free(w->rng);
    free(w->record);
    free(w->metric0);
    free(w->blocks);
    if (w->qsel)
        for (int t = 0; t < w->threads; t++) stats_qsel_free(w->qsel[t]);
    free(w->qsel);
}

/* The view of block j of the state arrays. */
static gs_block block_view(const run_memory *w, size_t first, size_t count)
{
    double *s = w->state;
    size_t n = w->n;
    gs_block b = {
        .n = count,
        .hw_dev = s + 0 * n + first,
        .power_dev = s + 1 * n + first,
        .q_closed = s + 2 * n + first,
        .q_open = s + 3 * n + first,
        .log_demand = s + 4 * n + first,
        .share = s + 5 * n + first,
        .profit_prev = s + 6 * n + first,
        .compute_prev = s + 7 * n + first,
        .compute_now = s + 8 * n + first,
    };
    return b;
}

/* Runs record (and advance, before the horizon) of cycle k over all blocks. */
static void step_cycle(const gs_model *m, run_memory *w, int k, int last)
{
    size_t n = w->n, nblocks = w->nblocks;
#pragma omp parallel for schedule(static) num_threads(w->threads)
    for (size_t j = 0; j < nblocks; j++) {
        size_t first = j * ENGINE_BLOCK;
        size_t count = n - first < ENGINE_BLOCK ? n - first : ENGINE_BLOCK;
        gs_block b = block_view(w, first, count);
        double *out[VAR_COUNT];
        for (int v = 0; v < VAR_COUNT; v++) out[v] = w->record + (size_t)v * n + first;
        model_record(m, &b, k, out);
        for (int v = 0; v < VAR_COUNT; v++)
            stats_block_of(out[v], count, &w->blocks[(size_t)v * nblocks + j]);
        if (k == 0)
            for (int q = 0; q < METRIC_COUNT; q++)
                memcpy(w->metric0 + (size_t)q * n + first, out[model_metrics[q]],
                       count * sizeof(double));
        if (!last) model_advance(m, &b, k, w->rng + first);
    }
}

/* Mean, standard deviation and exact quantiles of every variable at cycle k.  One
 * thread handles a whole variable: the blocks' moments are merged in block order and
 * quantiles are exact, so the numbers do not depend on the thread count. */
static gs_status cycle_statistics(run_memory *w, gs_result *res, int k, gs_error *err)
{
    size_t n = w->n;
    gs_status status = GS_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->threads)
    for (int v = 0; v < VAR_COUNT; v++) {
        const double *x = w->record + (size_t)v * n;
        const stats_block *blk = w->blocks + (size_t)v * w->nblocks;
        stats_moments acc = {0, 0, 0};
        double min = blk[0].min, max = blk[0].max;
        size_t nonfinite = 0;
        for (size_t j = 0; j < w->nblocks; j++) {
            stats_moments_merge(&acc, &blk[j].moments);
            min = blk[j].min < min ? blk[j].min : min;
            max = blk[j].max > max ? blk[j].max : max;
            nonfinite += blk[j].nonfinite;
        }
        res->mean[result_ix(res, v, k)] = acc.mean;
        res->sd[result_ix(res, v, k)] = stats_moments_sd(&acc);
        double *q = res->quantile + result_qix(res, v, k, 0);
        stats_qsel *ws = w->qsel[omp_get_thread_num()];
        gs_error local;
        gs_status s = nonfinite == 0
                          ? stats_quantiles_finite(ws, x, n, min, max, res->quantile_levels,
                                                   res->n_quantiles, q, &local)
                          : stats_quantiles(ws, x, n, res->quantile_levels, res->n_quantiles, q,
                                            NULL, &local);
#pragma omp critical(engine_stats_error)
        {
            res->nonfinite[v] += nonfinite;
            if (s != GS_OK && status == GS_OK) {
                status = s;
                if (err) *err = local;
            }
        }
    }
    return status;
}

/* Outcome classes at the horizon: integer counts, then p, SE and Wilson intervals. */
static void outcomes(const run_memory *w, const gs_model *m, gs_result *res)
{
    size_t n = w->n;
    for (int q = 0; q < METRIC_COUNT; q++) {
        const double *m0 = w->metric0 + (size_t)q * n;
        const double *mk = w->record + (size_t)model_metrics[q] * n;
        uint64_t count[OUTCOME_COUNT] = {0, 0, 0};
        for (size_t i = 0; i < n; i++)
            count[model_classify(m0[i], mk[i], m->p.outcome_compound_ratio,
                                 m->p.outcome_collapse_ratio)]++;
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            res->outcome_count[q][o] = count[o];
            stats_proportion(count[o], n, 1.959963984540054, &res->outcome_probability[q][o],
                             &res->outcome_stderr[q][o], &res->outcome_ci_low[q][o],
                             &res->outcome_ci_high[q][o]);
        }
    }
}

/* Copies cycle k of the first n_paths trajectories into the path store. */
static void store_paths(const run_memory *w, gs_result *res, int k)
{
    for (int v = 0; v < VAR_COUNT; v++)
        for (uint64_t i = 0; i < res->n_paths; i++)
            res->paths[((size_t)v * res->n_paths + i) * (size_t)res->n_cycles + (size_t)k] =
                (float)w->record[(size_t)v * w->n + i];
}

static gs_status run_alloc(run_memory *w, gs_result *res, size_t n, gs_error *err)
{
    size_t nc = (size_t)res->n_cycles, nq = res->n_quantiles;
    w->state = malloc(MODEL_STATE_ARRAYS * n * sizeof(double));
    w->rng = malloc(n * sizeof(rng_pcg32));
    w->record = malloc(VAR_COUNT * n * sizeof(double));
    w->metric0 = malloc(METRIC_COUNT * n * sizeof(double));
    w->nblocks = (n + ENGINE_BLOCK - 1) / ENGINE_BLOCK;
    w->blocks = malloc(VAR_COUNT * w->nblocks * sizeof(stats_block));
    w->qsel = calloc((size_t)w->threads, sizeof *w->qsel);
    res->mean = calloc(VAR_COUNT * nc, sizeof(double));
    res->sd = calloc(VAR_COUNT * nc, sizeof(double));
    res->quantile = calloc(VAR_COUNT * nc * nq, sizeof(double));
    if (res->n_paths) res->paths = calloc(VAR_COUNT * res->n_paths * nc, sizeof(float));
    int ok = w->state && w->rng && w->record && w->metric0 && w->blocks && w->qsel && res->mean &&
             res->sd && res->quantile && (!res->n_paths || res->paths);
    for (int t = 0; ok && t < w->threads; t++) ok = (w->qsel[t] = stats_qsel_alloc(n)) != NULL;
    if (!ok)
        return gs_error_set(err, GS_ERR_NOMEM,
                            "out of memory allocating the state of %zu trajectories "
                            "(about %.0f MB)",
                            n, (double)n * (MODEL_STATE_ARRAYS + VAR_COUNT + METRIC_COUNT + 2) *
                                   8.0 / 1e6);
    return GS_OK;
}

gs_status engine_run(const gs_scenario *sc, const gs_run_options *opt, gs_result *res,
                     gs_error *err)
{
    double t_start = now_seconds();
    memset(res, 0, sizeof *res);
    gs_model model;
    GS_FORWARD(model_init(&model, &sc->params, err));

    uint64_t n64 = opt->trajectories ? opt->trajectories : sc->trajectories;
    GS_RETURN_IF(n64 == 0, err, GS_ERR_INPUT, "run.trajectories: must be at least 1");
    GS_RETURN_IF(n64 > (uint64_t)SIZE_MAX / 1024, err, GS_ERR_INPUT,
                 "run.trajectories: %llu is too large for this machine",
                 (unsigned long long)n64);
    size_t n = (size_t)n64;
    res->trajectories = n64;
    res->seed = opt->seed_set ? opt->seed : sc->seed;
    res->n_cycles = model.cycles + 1;
    res->cycle_years = sc->params.run_cycle_years;
    res->n_quantiles = sc->n_quantiles;
    memcpy(res->quantile_levels, sc->quantiles, sc->n_quantiles * sizeof(double));
    res->n_paths = opt->paths < n64 ? opt->paths : n64;
    res->threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();

    run_memory w = {.n = n, .threads = res->threads};
    gs_status status = run_alloc(&w, res, n, err);
    if (status != GS_OK) goto fail;

    /* Cycle 0: generators and state. */
#pragma omp parallel for schedule(static) num_threads(w.threads)
    for (size_t first = 0; first < n; first += ENGINE_BLOCK) {
        size_t count = n - first < ENGINE_BLOCK ? n - first : ENGINE_BLOCK;
        for (size_t i = 0; i < count; i++) rng_stream(&w.rng[first + i], res->seed, 0, first + i);
        gs_block b = block_view(&w, first, count);
        model_start(&model, &b);
    }

    uint64_t total = (uint64_t)n * (uint64_t)res->n_cycles;
    for (int k = 0; k < res->n_cycles; k++) {
        int last = k == res->n_cycles - 1;
        double t0 = now_seconds();
        step_cycle(&model, &w, k, last);
        double t1 = now_seconds();
        status = cycle_statistics(&w, res, k, err);
        if (status != GS_OK) goto fail;
        if (res->n_paths) store_paths(&w, res, k);
        if (last) outcomes(&w, &model, res);
        double t2 = now_seconds();
        res->time_model += t1 - t0;
        res->time_stats += t2 - t1;
        if (opt->progress && opt->progress(opt->progress_ctx, (uint64_t)(k + 1) * n, total)) {
            status = gs_error_set(err, GS_ERR_INTERRUPTED, "run interrupted at cycle %d of %d",
                                  k + 1, res->n_cycles);
            goto fail;
        }
    }
    run_free(&w);
    res->time_total = now_seconds() - t_start;
    return GS_OK;

fail:
    run_free(&w);
    engine_result_free(res);
    return status;
}
