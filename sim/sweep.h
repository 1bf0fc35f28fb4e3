/* sweep.h - a study: one full run (point.h) per point of a grid or a design.
 *
 * Points and their order: scenario_sweep_values (scenario.h).
 *
 * Streams: with common random numbers (default) every point uses the shock streams of
 * point 0, rng_stream(seed, 0, i), and the same parameter draws; without, point p uses
 * rng_stream(seed, p, i) and parameter family ENGINE_PARAM_FAMILY + p.
 */
#ifndef GAPSIM_SWEEP_H
#define GAPSIM_SWEEP_H

#include <stddef.h>

#include "engine.h"
#include "point.h"
#include "scenario.h"
#include "uncertain.h"

typedef struct gs_sweep {
    sweep_kind kind;
    int crn, metric;
    size_t n_points, n_keys;
    gs_param_id keys[SWEEP_MAX_KEYS];
    size_t shape[SWEEP_MAX_KEYS]; /* grid: values per key (the grid's shape) */
    double *values;               /* [n_points][n_keys] the swept keys' values */
    gs_result *points;            /* [n_points] full results */
    gs_uncertainty **draws;       /* [n_points] each point's draws summary (NULL entries
                                     when nothing is uncertain) */
} gs_sweep;

/* Runs every point (hooks: see point_hooks; NULL for none).  On success *shape gets the
 * run's shape (cycles, quantile levels, trajectories of the first point, summed timings;
 * no statistics) and *out owns the points (sweep_free); on failure both are empty. */
gs_status sweep_run(const gs_scenario *sc, const gs_run_options *opt, const point_hooks *hooks,
                    gs_result *shape, gs_sweep **out, gs_error *err);

void sweep_free(gs_sweep *sw);

#endif
