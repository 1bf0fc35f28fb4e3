/* study.h - the one entry point of a run: study_run looks at the scenario and runs a
 * single point (point.h), a point with its sensitivity analysis (sensitivity.h), or a
 * sweep (sweep.h); it owns what a study produces beyond one run.  The command-line
 * program calls this and nothing below it.
 *
 *   single       gs_study_result.run
 *   uncertain    .run + .uncertainty (draws summary; tornado and Sobol indices when the
 *                scenario has a `sensitivity:` section)
 *   sweep        .run holds the shape only (no statistics), .sweep one result per point
 *   history      history.targets set: .run and .uncertainty over the accepted
 *                trajectories, .history the matching (history.h)
 */
#ifndef GAPSIM_STUDY_H
#define GAPSIM_STUDY_H

#include <stddef.h>

#include "engine.h"
#include "error.h"
#include "history.h"
#include "point.h"
#include "scenario.h"
#include "sweep.h"
#include "uncertain.h"

/* Everything a study produces; owned by it (study_result_free). */
typedef struct {
    gs_result run;                /* the run (a sweep: its shape, no statistics) */
    gs_uncertainty *uncertainty;  /* uncertain parameters: draws, sensitivity (or NULL) */
    gs_sweep *sweep;              /* a sweep's points (or NULL) */
    gs_history *history;          /* a history-matched run: what the matching found (or
                                     NULL); .run and .uncertainty are then the accepted
                                     trajectories' */
} gs_study_result;

/* Points of the study of sc: a sweep's points, else 1.  Checkpoints (resume.h) exist only
 * for studies of more than one point. */
size_t study_points(const gs_scenario *sc);

/* Runs the study the scenario describes (opt's overrides applied).  hooks (may be NULL)
 * see each finished point of a study of several points.  On success *res owns its
 * parts; on failure *res is empty. */
gs_status study_run(const gs_scenario *sc, const gs_run_options *opt, const point_hooks *hooks,
                    gs_study_result *res, gs_error *err);

void study_result_free(gs_study_result *res);

#endif
