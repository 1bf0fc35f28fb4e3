/* sweep.h - a sweep: one full Monte Carlo run per point of a grid or a design.
 *
 * Points: a grid is the cartesian product of the listed values, point index
 * p = ((i_0 n_1 + i_1) n_2 + i_2) ... (the last key varies fastest, C order); an LHS or
 * Sobol sweep maps N design rows (design.h; LHS from rng_stream(seed, SWEEP_FAMILY, .))
 * onto the [lo, hi] ranges, x = lo + u (hi − lo).
 *
 * Streams: with common random numbers (default) every point uses the shock streams of
 * point 0, rng_stream(seed, 0, i), and the same parameter draws; without, point p uses
 * rng_stream(seed, p, i) and parameter family ENGINE_PARAM_FAMILY + p.
 */
#ifndef GAPSIM_SWEEP_H
#define GAPSIM_SWEEP_H

#include <stddef.h>

#include "engine.h"
#include "scenario.h"

#define SWEEP_FAMILY 0x5357455000000000ULL /* "SWEP": the design of LHS / Sobol sweeps */

typedef struct gs_sweep {
    sweep_kind kind;
    int crn, metric;
    size_t n_points, n_keys;
    gs_param_id keys[SWEEP_MAX_KEYS];
    size_t shape[SWEEP_MAX_KEYS]; /* grid: values per key (the grid's shape) */
    double *values;               /* [n_points][n_keys] the swept keys' values */
    gs_result *points;            /* [n_points] full results */
} gs_sweep;

/* The swept keys' values of every point into values[points][n_keys]. */
gs_status sweep_values(const gs_scenario *sc, uint64_t seed, double *values, gs_error *err);

/* Runs every point; res gets the run's shape (cycles, quantile levels, trajectories of
 * the first point) and owns res->sweep. */
gs_status sweep_run(const gs_scenario *sc, const gs_run_options *opt, gs_result *res,
                    gs_error *err);

void sweep_free(gs_sweep *sw);

#endif
