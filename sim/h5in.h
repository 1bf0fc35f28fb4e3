/* h5in.h - reads a gapsim result file (shared/OUTPUT.md) back into the scenario and the
 * result that produced it, for `gapsim summary` and `gapsim compare`.
 *
 * Only the documented layout is read: root attributes (gapsim_format_version,
 * completed, scenario_text, param_<key>, seed, trajectories), the coordinates cycle,
 * quantile, metric and outcome (matched by label, not by position), and per variable
 * <var>_mean, <var>_sd, <var>_quantile, plus the outcome_* tables; where present, the
 * --target-se / antithetic attributes and, for a run with uncertain parameters, the
 * `parameter` coordinate with the tornado_* and sobol_* tables (res->uncertainty), and
 * for a history-matched run the `history` group (res->history, h5in_read_study), so
 * that summary_print repeats the run's console summary.  A sweep file (a leading
 * `point` dimension) is read one point at a time.
 *
 * Every failure is one line "PATH: problem": GS_ERR_INPUT for a file that is missing,
 * not HDF5, truncated, not written by gapsim, of an unsupported format version,
 * incomplete or inconsistent; GS_ERR_USAGE for a point that does not exist;
 * GS_ERR_NOMEM when out of memory.
 */
#ifndef GAPSIM_H5IN_H
#define GAPSIM_H5IN_H

#include "engine.h"
#include "error.h"
#include "scenario.h"
#include "study.h"

/* `point` argument of h5in_read for a single-run file. */
#define H5IN_SINGLE (-1L)

typedef struct {
    int format_version; /* gapsim_format_version of the file */
    long n_points;      /* sweep points, 0 for a single run */
} h5in_info;

/* Opens path, checks that it is a complete gapsim file of a supported format version,
 * and reports its shape in *info.  Nothing stays open. */
gs_status h5in_probe(const char *path, h5in_info *info, gs_error *err);

/* Reads point `point` of a sweep file, or the single run (point == H5IN_SINGLE), into
 * *sc and *res.  The scenario is rebuilt from the scenario_text attribute and then
 * every parameter is set from the values the run used (param_<key> attributes, and
 * the param_<key>(point) coordinates of a sweep), so --set overrides and swept values
 * are honoured; a parameter whose value differs from the text gets line
 * SCENARIO_LINE_SET.  res has no paths, no sweep and zero timings.  On success the caller owns
 * both (scenario_free, engine_result_free); on failure both are empty. */
gs_status h5in_read(const char *path, long point, gs_scenario *sc, gs_result *res, gs_error *err);

/* As h5in_read, into res->run, plus a single run's uncertain parameters and sensitivity
 * tables into res->uncertainty (NULL when the file has none; res->sweep stays NULL).  The
 * caller owns res (study_result_free). */
gs_status h5in_read_study(const char *path, long point, gs_scenario *sc, gs_study_result *res,
                          gs_error *err);

#endif
