/* engine.h - one job: blocks of trajectories, threads, the cycle loop, and the per-cycle
 * statistics of one parameter set (with optional per-trajectory parameter values);
 * produces a gs_result.  The layer above, point.h, turns a scenario into jobs (batches,
 * draws); studies (sweep.h, sensitivity.h) run many points; study.h dispatches.  The
 * engine knows nothing of sweeps or uncertainty.
 *
 * Determinism: trajectory i draws its shocks only from rng_stream(seed, 0, i) (see
 * engine_job for sweeps and uncertain parameters); blocks have a
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

#include "comm.h"
#include "error.h"
#include "model.h"
#include "scenario.h"
#include "stats.h"

enum { ENGINE_BLOCK = 1024 };

/* Everything a run produces.  Arrays are owned by the result (engine_result_free). */
typedef struct {
    uint64_t trajectories;
    uint64_t seed;
    int n_cycles;             /* K + 1 records */
    double cycle_years;       /* Δ */
    double start_year;        /* t₀ = run.start_year: cycle k starts at t₀ + kΔ */
    int k_now;                /* the outcomes' reference cycle (history.now) */
    size_t n_quantiles;
    double quantile_levels[SCENARIO_MAX_QUANTILES];
    double *mean;             /* [VAR_COUNT][n_cycles] */
    double *sd;               /* [VAR_COUNT][n_cycles] */
    double *quantile;         /* [VAR_COUNT][n_cycles][n_quantiles] */
    uint64_t outcome_count[METRIC_COUNT][OUTCOME_COUNT];
    uint64_t outcome_undefined[METRIC_COUNT]; /* trajectories whose ratio is not finite;
                                 the probabilities are over the others (MODEL.md §8) */
    double outcome_probability[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_stderr[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_ci_low[METRIC_COUNT][OUTCOME_COUNT];
    double outcome_ci_high[METRIC_COUNT][OUTCOME_COUNT];
    uint64_t nonfinite[VAR_COUNT]; /* non-finite values seen per variable (all cycles) */
    uint64_t n_paths;         /* trajectories whose full paths are stored (all ranks) */
    float *paths;             /* [VAR_COUNT][paths_count][n_cycles] or NULL: the stored
                                 paths of trajectories paths_first .. + paths_count */
    uint64_t paths_first, paths_count; /* this rank's rows (serial: 0 and n_paths) */
    int threads;              /* threads used */
    char isa[48];             /* the instruction set the model kernels ran on (isa_name),
                                 "" when no model ran (a merge sets its shards': partial.h) */
    struct gs_trajdata *traj; /* --keep-draws: this rank's per-trajectory data (trajdata.h,
                                 rows traj->first ..), or NULL */
    /* wall-clock split of the run, seconds: the model's cycles, their statistics, and
     * (set above the engine, 0 for a bare job) the parameter draws with their summary
     * (point.h) and a sensitivity analysis after the run (study.h); time_total is the
     * whole, these and the rest (setup, target-SE pilots, merging) */
    double time_model, time_stats, time_draws, time_sensitivity, time_total;
    /* How the point layer (point.h) ran it (all zero for a bare job): */
    uint64_t batches;         /* --target-se: batches of `batch_size` trajectories run */
    uint64_t batch_size;
    double target_se;         /* the target (0 = none) and whether it was met */
    int target_met;
    int antithetic;
    /* Streaming (stream.h; 0 for a run in memory): quantiles from `stream_passes`
     * passes over batches of `stream_batch` trajectories. */
    uint32_t stream_passes;
    uint64_t stream_batch;
} gs_result;

/* Progress callback: called from the main thread after each cycle with done/total
 * trajectory-cycles; return non-zero to stop the run (GS_ERR_INTERRUPTED). */
typedef int (*engine_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* The recorded values of one cycle of trajectories [first, first + n):
 * record[v * n + i] for variable v.  A sink (--shard) receives them after each cycle; a
 * source (gapsim merge) supplies them instead of the model.  Called from the main
 * thread; jobs run in order (a sweep's points one after the other). */
typedef gs_status (*engine_values_fn)(void *ctx, int k, uint64_t first, size_t n,
                                      double *record, gs_error *err);

typedef struct {
    uint64_t trajectories; /* overrides the scenario's when non-zero */
    uint64_t seed_set;     /* non-zero: use `seed` instead of the scenario's */
    uint64_t seed;
    uint64_t paths;        /* store full paths of the first `paths` trajectories */
    double target_se;      /* > 0: overrides run.target_se */
    int antithetic;        /* > 0: overrides run.antithetic */
    int crn;               /* 1 on, -1 off, 0: the scenario's sweep.crn */
    int threads;           /* 0 = all cores (omp_get_max_threads) */
    int keep_draws;        /* keep the per-trajectory data (res->traj; not for outcome-only
                              jobs or shards) */
    engine_progress_fn progress;
    void *progress_ctx;
    /* Beyond one process (all zero / NULL for a plain run): */
    const gs_comm *comm;   /* MPI ranks sharing the trajectories (NULL: this process) */
    uint32_t shard, nshards; /* nshards > 0: run only slice `shard` and hand its values
                                to `sink`; no statistics (--shard I/N) */
    engine_values_fn sink, source; /* see engine_values_fn */
    void *sink_ctx, *source_ctx;
    /* History matching over shards (history.h): a shard hands pass 1's decisions of its
     * slice [first, first + count) of the n drawn trajectories to history_out(sink_ctx):
     * mask[n] (1 = accepted), sim[J][n] (the simulated target values) and counts[nc]
     * (the targets_tally as integers); merge gets every drawn trajectory's from
     * history_in(source_ctx), the counts added over the shards. */
    gs_status (*history_out)(void *ctx, uint64_t n, uint64_t first, uint64_t count, size_t J,
                             const unsigned char *mask, const double *sim,
                             const uint64_t *counts, size_t nc, gs_error *err);
    gs_status (*history_in)(void *ctx, uint64_t n, size_t J, unsigned char *mask, double *sim,
                            uint64_t *counts, size_t nc, gs_error *err);
    /* Streaming (stream.h).  memory > 0 (--memory, bytes): point_run runs the job in
     * batches through stream_run_job.  A batch job (batch_count > 0) runs only
     * trajectories [batch_first, batch_first + batch_count) of the job (batch_first a
     * multiple of ENGINE_BLOCK), with their own streams, and instead of the statistics
     * hands each cycle's records and block statistics (blocks[v * nblocks + j]) to
     * batch_cycle and, at the horizon, the integer outcome counts (res->outcome_count
     * and pair[][], engine_outcome_finish's) to batch_outcomes. */
    double memory;
    uint64_t batch_first, batch_count;
    gs_status (*batch_cycle)(void *ctx, int k, uint64_t first, size_t n, const double *record,
                             const stats_block *blocks, size_t nblocks, gs_error *err);
    void (*batch_outcomes)(void *ctx, const gs_result *res, const uint64_t *pair);
    void *batch_ctx;
    /* Streaming's passes for the progress display (optional, with progress_ctx): called
     * with finished = 0 before pass `pass` (1, 2, ...) runs, and with finished = 1 after
     * it, `more` saying whether another pass follows. */
    void (*pass_progress)(void *ctx, uint32_t pass, int finished, int more);
} gs_run_options;

/* The outcome counts beyond res->outcome_count, per metric: [0] undefined, [1] antithetic
 * pairs with both members defined, [2 + 2 o + j] pairs whose class-o indicators sum to
 * 1 + j.  engine_outcome_finish turns them and res->outcome_count, summed over the
 * n trajectories, into res's probabilities, standard errors and intervals. */
enum { ENGINE_PAIR_FIELDS = 2 + 2 * OUTCOME_COUNT };
void engine_outcome_finish(gs_result *res, uint64_t n, int antithetic,
                           const uint64_t pair[][ENGINE_PAIR_FIELDS]);

/* Trajectories [*first, *first + *count) of n that part `part` of `parts` (an MPI rank or
 * a shard) runs: whole blocks of ENGINE_BLOCK, blocks split as comm_split does. */
void engine_slice(uint64_t n, uint64_t part, uint64_t parts, uint64_t *first, uint64_t *count);

/* Non-zero when opt spreads runs over more than one MPI rank. */
int engine_distributed(const gs_run_options *opt);

/* One Monte Carlo run of n trajectories with explicit streams and per-trajectory
 * parameters: what point_run, the sweeps and the sensitivity analysis are built on.
 * Trajectory i (0 <= i < n) draws its shocks from rng_stream(seed, shock_point, s_i)
 * with s_i = stream ? stream[i] : first + i, and, when d > 0, runs with the base
 * parameters overridden by values[i d + j] for parameter ids[j]. */
typedef struct {
    gs_params params;         /* base parameters */
    uint64_t seed, shock_point, first;
    const uint64_t *stream;   /* optional stream index per trajectory (borrowed) */
    size_t n;
    size_t d;                 /* uncertain parameters */
    const gs_param_id *ids;   /* [d] (borrowed) */
    const double *values;     /* [n][d] (borrowed) */
    int outcomes_only;        /* outcome counts only: no per-cycle statistics */
    double *horizon_metrics;  /* optional output [METRIC_COUNT][n]: metrics at cycle K */
    double *cycle_metrics;    /* optional output [n_cycles][METRIC_COUNT][n] */
    /* A partial run (history matching, history.h): cycles > 0 runs only cycles
     * 0 .. cycles − 1, with no statistics and no outcomes (set outcomes_only too);
     * observe (optional) gets each cycle's records of this rank's trajectories, as a
     * sink does, whatever the run's options. */
    int cycles;
    engine_values_fn observe;
    void *observe_ctx;
} engine_job;

/* Runs a job (opt supplies paths, threads and progress; its trajectories and seed are
 * ignored).  With outcomes_only only outcome_count/probability/stderr/CIs are filled. */
gs_status engine_run_job(const gs_scenario *sc, const engine_job *job, const gs_run_options *opt,
                         gs_result *res, gs_error *err);

/* Stream families of rng_stream's `point` argument (documented in the README):
 * shocks use point 0 (or the sweep point index when common random numbers are off);
 * parameter draws use ENGINE_PARAM_FAMILY (+ the point index without CRN), so that the
 * shock streams are the same whether or not a parameter is uncertain. */
#define ENGINE_PARAM_FAMILY 0x5041524d00000000ULL  /* "PARM" */
#define ENGINE_BOOT_FAMILY 0x424f4f5400000000ULL   /* "BOOT": bootstrap resampling */

void engine_result_free(gs_result *res);

/* Non-zero when one of the d uncertain parameters ids is a correlation: each trajectory
 * then has its own Cholesky factor. */
int engine_own_factors(const gs_param_id *ids, size_t d);

/* Memory of a job with parameters p and d uncertain parameters ids, bytes per
 * trajectory: *running while it runs (the state, generator, record, outcome metrics,
 * block statistics, parameter columns and factors, with_stats: each of `threads`
 * threads' quantile workspace; keep_draws: the per-trajectory data, trajdata.h), *kept
 * what stays in the result after it (the --keep-draws data).  The caller's draws
 * (n x d doubles) are not included.  Used by estimate.h. */
void engine_job_bytes(const gs_params *p, const gs_param_id *ids, size_t d, int antithetic,
                      int with_stats, int threads, int keep_draws, double *running,
                      double *kept);

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
