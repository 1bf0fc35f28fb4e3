/* engine.h - runs the Monte Carlo: blocks of trajectories, threads, the cycle loop,
 * and the per-cycle statistics; produces a gs_result.
 *
 * Determinism: trajectory i draws only from rng_stream(seed, 0, i); blocks have a
 * fixed size (ENGINE_BLOCK) whatever the thread count; moments are merged in block
 * order and quantiles are exact.  Hence results are identical bit for bit for any
 * number of threads.
 *
 * Memory: the state (MODEL_STATE_ARRAYS doubles + one generator per trajectory), one
 * buffer of VAR_COUNT doubles per trajectory reused every cycle, the cycle-0 values of
 * the outcome metrics, and the optional paths: O(trajectories), not O(trajectories ×
 * cycles).
 */
#ifndef GAPSIM_ENGINE_H
#define GAPSIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "scenario.h"

enum { ENGINE_BLOCK = 1024 };

/* Everything a run produces.  Arrays are owned by the result (engine_result_free). */
typedef struct {
    uint64_t trajectories;
    uint64_t seed;
    int n_cycles;             /* K + 1 records */
    double cycle_years;       /* Δ */
    size_t n_quantiles;
    double quantile_levels[SCENARIO_MAX_QUANTILES];
    double *mean;             /* [VAR_COUNT][n_cycles] */
    double *sd;               /* [VAR_COUNT][n_cycles] */
    double *quantile;         /* [VAR_COUNT][n_cycles][n_quantiles] */
    uint64_t outcome_count[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_probability[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_stderr[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_ci_low[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_ci_high[METRIC_COUNT][OUTCOME_COUNT];
    uint64_t nonfinite[VAR_COUNT]; /* non-finite values seen per variable (all cycles) */
    uint64_t n_paths;         /* trajectories whose full paths are stored */
    float *paths;             /* [VAR_COUNT][n_paths][n_cycles] or NULL */
    int threads;              /* threads used */
    /* wall-clock split of the run, seconds */
    double time_model, time_stats, time_total;
} gs_result;

/* Progress callback: called from the main thread after each cycle with done/total
 * trajectory-cycles; return non-zero to stop the run (GS_ERR_INTERRUPTED). */
typedef int (*engine_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct {
    uint64_t trajectories; /* overrides the scenario's when non-zero */
    uint64_t seed_set;     /* non-zero: use `seed` instead of the scenario's */
    uint64_t seed;
    uint64_t paths;        /* store full paths of the first `paths` trajectories */
    int threads;           /* 0 = all cores (omp_get_max_threads) */
    engine_progress_fn progress;
    void *progress_ctx;
} gs_run_options;

/* Runs the scenario.  On success *res owns its arrays; on failure *res is empty. */
gs_status engine_run(const gs_scenario *sc, const gs_run_options *opt, gs_result *res,
                     gs_error *err);

void engine_result_free(gs_result *res);

/* The statistics arrays' index helpers. */
static inline size_t result_ix(const gs_result *r, int var, int cycle)
{
    return (size_t)var * (size_t)r->n_cycles + (size_t)cycle;
}
static inline size_t result_qix(const gs_result *r, int var, int cycle, size_t q)
{
    return result_ix(r, var, cycle) * r->n_quantiles + q;
}

#endif
