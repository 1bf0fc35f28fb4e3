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

/* One full run of the scenario at parameters `params` (a sweep point), shock streams
 * from `shock_point`.  On success *res owns its arrays and, when draws is non-NULL and
 * the scenario has uncertain parameters, *draws the summary of their draws (else NULL;
 * free with uncertain_free); on failure both are empty. */
gs_status point_run(const gs_scenario *sc, const gs_params *params, uint64_t shock_point,
                    const gs_run_options *opt, gs_result *res, gs_uncertainty **draws,
                    gs_error *err);

#endif
