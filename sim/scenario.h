/* scenario.h - a scenario file (YAML, read with libyaml) turned into checked parameters.
 *
 * File layout: top-level `name:` and `description:` strings, then sections whose
 * scalar keys are those of params.def (`hardware: {vol: 0.35}` is key hardware.vol),
 * plus run.trajectories, run.seed and run.quantiles (a list of levels).  Every error
 * reads "FILE:LINE: KEY: what is wrong".
 */
#ifndef GAPSIM_SCENARIO_H
#define GAPSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "params.h"

enum { SCENARIO_MAX_QUANTILES = 64 };

/* Value of line[id] for a parameter set by an override (--set / scenario_set). */
#define SCENARIO_LINE_SET 0xffffffffu

typedef struct {
    char *path;        /* file as given on the command line (owned) */
    char *name;        /* `name:` or the file's stem (owned) */
    char *description; /* `description:` or "" (owned) */
    char *text;        /* the file verbatim, NUL-terminated (owned) */
    size_t text_len;
    gs_params params;
    unsigned line[PARAM_COUNT]; /* line that set each parameter; 0 = default,
                                   SCENARIO_LINE_SET = an override */
    uint64_t trajectories;      /* run.trajectories, default 10000 */
    uint64_t seed;              /* run.seed, default 20260501 */
    size_t n_quantiles;         /* run.quantiles, default 0.01 0.05 0.10 0.25 0.50 0.75 0.90 0.95 0.99 */
    double quantiles[SCENARIO_MAX_QUANTILES];
} gs_scenario;

/* A scenario with every default and no file (for tests and tools); name "default". */
gs_status scenario_init_default(gs_scenario *sc, gs_error *err);

/* Reads and validates the file at path, then applies the overrides sets[0..nsets)
 * ("hardware.vol=0.5", also "run.trajectories=1000", "run.seed=7",
 * "run.quantiles=0.1,0.5,0.9"), then checks relations between parameters.  On
 * success sc owns its strings (free with scenario_free); on failure sc is left empty
 * and err says "FILE:LINE: KEY: problem" (or "--set KEY=VALUE: KEY: problem"). */
gs_status scenario_load(const char *path, const char *const *sets, size_t nsets,
                        gs_scenario *sc, gs_error *err);

/* As scenario_load, from text in memory; `path` only names it in messages. */
gs_status scenario_parse(const char *text, size_t len, const char *path,
                         const char *const *sets, size_t nsets, gs_scenario *sc,
                         gs_error *err);

/* Applies one "KEY=VALUE" override to a loaded scenario and re-checks relations. */
gs_status scenario_set(gs_scenario *sc, const char *assignment, gs_error *err);

void scenario_free(gs_scenario *sc);

#endif
