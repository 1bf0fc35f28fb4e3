/* point.h - one full run of the scenario at one parameter set: the uncertain parameters'
 * draws (uncertain.h), --target-se batches and antithetic pairs, on top of engine jobs.
 * Studies (sweep.h, sensitivity.h) run points; study.h dispatches.
 *
 * Streams: shocks from rng_stream(seed, shock_point, i), parameter draws from family
 * ENGINE_PARAM_FAMILY + shock_point.
 *
 * --target-se: outcome-only batches of B = run.trajectories trajectories, [0, B),
 * [B, 2B), ..., until every outcome probability's standard error √(p(1−p)/N) is below
 * the target or the next batch would pass run.max_trajectories; then one full run of
 * the N trajectories.  Counts are integers, so N depends only on the seed, B, the target
 * and the cap.
 */
#ifndef GAPSIM_POINT_H
#define GAPSIM_POINT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "scenario.h"
#include "uncertain.h"

/* How a study hands its finished points to its caller (checkpoints, resume.h), instead of
 * calling it from inside its loop.  Both may be NULL; both may be called from several
 * threads at once (for different points).
 *   restore   before point p runs: fills *res and *draws (the caller then owns them) and
 *             returns 1 when p is already known (a verified checkpoint), else returns 0
 *             and leaves them empty; the point is then run
 *   finished  after point p ran: GS_OK, or a failure that stops the study */
typedef struct {
    int (*restore)(void *ctx, size_t point, gs_result *res, gs_uncertainty **draws);
    gs_status (*finished)(void *ctx, size_t point, const gs_result *res,
                          const gs_uncertainty *draws, gs_error *err);
    void *ctx;
} point_hooks;

/* The --target-se loop, shared by point_run and the history-matched run: calls
 * batch(ctx, first, B, count, &kept, err) for first = 0, B, 2B, ... (B = `batch_size`);
 * each call runs its batch, adds its outcome counts into count and sets kept to the
 * number of trajectories they count (B, or a history batch's accepted ones).  Stops when
 * every outcome probability over all kept so far has its standard error √(p(1−p)/K)
 * below `target`, when the next batch would pass `cap`, on a failed batch, or when
 * opt->progress (called after each batch with min(N, cap), cap) asks to stop
 * (GS_ERR_INTERRUPTED).  *n_out: the trajectories drawn, N; *batches: the batches run;
 * *met: whether the target was met. */
typedef gs_status (*point_batch_fn)(void *ctx, uint64_t first, uint64_t n,
                                    uint64_t count[METRIC_COUNT][OUTCOME_COUNT],
                                    uint64_t *kept, gs_error *err);

gs_status point_target_batches(uint64_t batch_size, uint64_t cap, double target,
                               const gs_run_options *opt, point_batch_fn batch, void *ctx,
                               uint64_t *n_out, uint64_t *batches, int *met, gs_error *err);

/* One full run of the scenario at parameters `params` (a sweep point), shock streams
 * from `shock_point`.  On success *res owns its arrays and, when draws is non-NULL and
 * the scenario has uncertain parameters, *draws the summary of their draws (else NULL;
 * free with uncertain_free); on failure both are empty. */
gs_status point_run(const gs_scenario *sc, const gs_params *params, uint64_t shock_point,
                    const gs_run_options *opt, gs_result *res, gs_uncertainty **draws,
                    gs_error *err);

#endif
