/* uncertain.h - per-trajectory parameter draws: the design (design.h), antithetic
 * mirroring, the rank-correlation copula, the inverse CDFs, the relation checks of every
 * draw, and the summary of a run's draws.
 *
 * Streams: the draws of a point come from family ENGINE_PARAM_FAMILY + shock point
 * (engine.h), so that the shock streams are the same whether or not a parameter is
 * uncertain.  A draw depends only on (seed, family, trajectory index, batch), never on
 * threads or ranks.
 */
#ifndef GAPSIM_UNCERTAIN_H
#define GAPSIM_UNCERTAIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "scenario.h"

enum { SENS_DIST_TEXT = 160 };

/* What a run's uncertain parameters were (uncertain_describe: the distributions, their
 * percentiles, the draws' means and achieved rank correlations) and, when the
 * scenario asks for it, what decides the outcome (filled by sensitivity_run: the
 * tornado and the Sobol indices).  Owned by the study result (uncertain_free). */

typedef struct gs_uncertainty {
    size_t d;                                     /* uncertain parameters */
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    char dist_text[SCENARIO_MAX_UNCERTAIN][SENS_DIST_TEXT]; /* "beta(a=6, b=4, ...)" */
    double p10[SCENARIO_MAX_UNCERTAIN], p50[SCENARIO_MAX_UNCERTAIN], p90[SCENARIO_MAX_UNCERTAIN];
    double draw_mean[SCENARIO_MAX_UNCERTAIN];     /* sample mean of the run's draws */
    /* rank correlations asked for, and achieved by the draws (Spearman) */
    size_t n_pairs;
    gs_param_id pair_a[SCENARIO_MAX_RANK_CORR], pair_b[SCENARIO_MAX_RANK_CORR];
    double pair_target[SCENARIO_MAX_RANK_CORR], pair_achieved[SCENARIO_MAX_RANK_CORR];
    /* tornado: [parameter][0 = p10, 1 = p90][metric] */
    int has_tornado;
    uint64_t tornado_trajectories;
    double tornado_base_compound[METRIC_COUNT], tornado_base_median[METRIC_COUNT];
    double tornado_compound[SCENARIO_MAX_UNCERTAIN][2][METRIC_COUNT];
    double tornado_median[SCENARIO_MAX_UNCERTAIN][2][METRIC_COUNT];
    /* Sobol indices [parameter][metric] with 95% bootstrap intervals */
    int has_sobol;
    uint64_t sobol_samples, sobol_bootstrap;
    double sobol_variance[METRIC_COUNT];
    double first[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT], first_lo[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT],
        first_hi[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT];
    double total[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT], total_lo[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT],
        total_hi[SCENARIO_MAX_UNCERTAIN][METRIC_COUNT];
    /* per cycle (sensitivity.per_cycle), point estimates: [cycle][parameter][metric] */
    int n_cycles;
    double *first_by_cycle, *total_by_cycle;
} gs_uncertainty;

/* Draws the uncertain parameters of trajectories [first, first + n) into values[n][d]
 * (d = sc->n_uncertain, in sc->uncertain order): the design of sc (in batches of `batch`
 * rows), antithetic mirroring, the rank-correlation copula (scenario_copula_factor), the
 * inverse CDFs; then checks the relations between parameters for every draw. */
gs_status uncertain_draw(const gs_scenario *sc, uint64_t seed, uint64_t family, uint64_t first,
                         size_t n, size_t batch, double *values, gs_error *err);

/* The last step of uncertain_draw: maps uniforms values[n][d] in place to parameter values
 * through each distribution's inverse CDF and checks the relations of every row
 * (trajectory numbers in messages start at `first`). */
gs_status uncertain_map(const gs_scenario *sc, uint64_t first, size_t n, double *values,
                        gs_error *err);

/* Summarises a run's draws values[n][d] (percentiles of each distribution, sample means,
 * achieved rank correlations) into a new *out (free with uncertain_free). */
gs_status uncertain_describe(const gs_scenario *sc, const double *values, size_t n,
                             gs_uncertainty **out, gs_error *err);

void uncertain_free(gs_uncertainty *u);

#endif
