/* study.c - the dispatcher of studies (see study.h). */
#include "study.h"

#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "sensitivity.h"

size_t study_points(const gs_scenario *sc) { return scenario_sweep_points(sc); }

void study_result_free(gs_study_result *res)
{
    if (!res) return;
    engine_result_free(&res->run);
    uncertain_free(res->uncertainty);
    sweep_free(res->sweep);
    history_free(res->history);
    memset(res, 0, sizeof *res);
}

gs_status study_run(const gs_scenario *sc, const gs_run_options *opt, const point_hooks *hooks,
                    gs_study_result *res, gs_error *err)
{
    memset(res, 0, sizeof *res);
    if (history_enabled(sc))
        return history_run(sc, opt, &res->run, &res->uncertainty, &res->history, err);
    if (opt->antithetic > 0 || (opt->crn != 0 && sc->sweep.kind != SWEEP_NONE)) {
        /* options that the scenario carries: apply them to a copy */
        gs_scenario *copy = malloc(sizeof *copy);
        GS_RETURN_IF(!copy, err, GS_ERR_NOMEM, "out of memory");
        *copy = *sc;
        if (opt->antithetic > 0) copy->antithetic = 1;
        if (opt->crn) copy->sweep.crn = opt->crn > 0;
        gs_run_options o = *opt;
        o.antithetic = 0, o.crn = 0;
        gs_status st = study_run(copy, &o, hooks, res, err);
        free(copy);
        return st;
    }
    GS_RETURN_IF(sc->antithetic && sc->design != DESIGN_MONTE_CARLO, err, GS_ERR_INPUT,
                 "%s: run.antithetic: needs uncertainty.design monte_carlo (lhs and sobol "
                 "designs are balanced already)", sc->path);
    GS_RETURN_IF((opt->nshards || opt->source) &&
                     (sc->target_se > 0 || opt->target_se > 0 ||
                      (sc->n_uncertain && sc->sensitivity.line)),
                 err, GS_ERR_USAGE,
                 "%s: --shard and merge do not support --target-se or a sensitivity: section "
                 "(run those with MPI: mpirun -np R gapsim run ...)", sc->path);
    GS_RETURN_IF(opt->keep_draws && sc->sweep.kind != SWEEP_NONE, err, GS_ERR_USAGE,
                 "%s: --keep-draws (and discover:) work on single runs, not on sweeps", sc->path);
    if (sc->sweep.kind != SWEEP_NONE) return sweep_run(sc, opt, hooks, &res->run, &res->sweep, err);
    GS_FORWARD(point_run(sc, &sc->params, 0, opt, &res->run, &res->uncertainty, err));
    if (sc->n_uncertain && sc->sensitivity.line) {
        gs_run_options o = *opt;
        o.keep_draws = 0; /* the trajectories kept are the run's, not the analysis's */
        const double t0 = omp_get_wtime();
        gs_status st = sensitivity_run(sc, &o, res->uncertainty, err);
        if (st != GS_OK) {
            study_result_free(res);
            return st;
        }
        res->run.time_sensitivity = omp_get_wtime() - t0;
        res->run.time_total += res->run.time_sensitivity;
    }
    return GS_OK;
}
