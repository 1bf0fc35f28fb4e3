/* scenario.h - a scenario file (YAML, read with libyaml) turned into checked parameters.
 *
 * File layout: top-level `model: 2` (the model version; a file without it is a version
 * 1 scenario and scenario_load refuses it), `name:` and `description:` strings, then
 * sections whose
 * scalar keys are those of params.def (`hardware: {vol: 0.35}` is key hardware.vol),
 * plus run.trajectories, run.seed and run.quantiles (a list of levels).  Every error
 * reads "FILE:LINE: KEY: what is wrong".
 *
 * Extensions (README "Uncertainty, sweeps and sensitivity"):
 *   - any parameter may be a distribution, a mapping instead of a number:
 *       catch_up: {dist: beta, a: 6, b: 4}        catch_up_sd: {p5: 0.08, p95: 0.25}
 *     with optional truncation `lower:` / `upper:` (always also the key's valid range);
 *   - run.antithetic, run.target_se, run.max_trajectories;
 *   - `uncertainty:` {design: monte_carlo | lhs | sobol,
 *                     correlations: [[KEY, KEY, rho], ...]} (Spearman rank correlations);
 *   - `sweep:` {grid: {KEY: [values]}} or {design: lhs | sobol, points: N,
 *                ranges: {KEY: [lo, hi]}}, plus crn: true|false, metric: NAME;
 *   - `sensitivity:` {tornado: bool, sobol: bool, samples: N, bootstrap: B,
 *                     per_cycle: bool, trajectories: N}.
 */
#ifndef GAPSIM_SCENARIO_H
#define GAPSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "design.h"
#include "dist.h"
#include "error.h"
#include "params.h"

enum {
    SCENARIO_MAX_QUANTILES = 64,
    SCENARIO_MAX_UNCERTAIN = DESIGN_MAX_DIM / 2, /* uncertain parameters in one scenario (64;
                                                   * the Sobol indices take 2 columns each) */
    SCENARIO_MAX_RANK_CORR = 64,             /* rank correlations between them */
    SWEEP_MAX_KEYS = 8,                      /* swept keys */
    SWEEP_MAX_VALUES = 256,                  /* grid values per swept key */
    SWEEP_MAX_POINTS = 100000,               /* points of one sweep */
    SCENARIO_TEXT_MAX = 1024                 /* bytes of a text run key, NUL included */
};

/* One uncertain parameter: `capability: {catch_up: {dist: beta, a: 6, b: 4}}`. */
typedef struct {
    gs_param_id id;
    gs_dist dist;
    unsigned line;
} scenario_uncertain;

/* A target rank (Spearman) correlation between the uncertain parameters a and b. */
typedef struct {
    gs_param_id a, b;
    double rho;
    unsigned line;
} scenario_rank_corr;

typedef enum { SWEEP_NONE, SWEEP_GRID, SWEEP_LHS, SWEEP_SOBOL } sweep_kind;

/* The `sweep:` section: a grid (cartesian product of listed values, the last key varying
 * fastest) or `points` points of an LHS / Sobol design over [lo, hi] ranges. */
typedef struct {
    sweep_kind kind;
    int crn;       /* common random numbers: the same shock streams at every point */
    int metric;    /* index into model_metrics of the console table's metric */
    size_t n_keys;
    gs_param_id keys[SWEEP_MAX_KEYS];
    unsigned key_line[SWEEP_MAX_KEYS];
    size_t n_values[SWEEP_MAX_KEYS];                 /* grid */
    double values[SWEEP_MAX_KEYS][SWEEP_MAX_VALUES]; /* grid */
    double lo[SWEEP_MAX_KEYS], hi[SWEEP_MAX_KEYS];   /* lhs / sobol */
    size_t points;                                   /* number of points */
    unsigned line;                                   /* of `sweep:` */
} scenario_sweep;

/* The `sensitivity:` section (runs with uncertain parameters only). */
typedef struct {
    int tornado, sobol, per_cycle;
    uint64_t samples;      /* Sobol base sample N: N (d + 2) trajectories */
    uint64_t bootstrap;    /* bootstrap replicates of the confidence intervals */
    uint64_t trajectories; /* trajectories of each tornado run (0 = the run's) */
    unsigned line;
} scenario_sensitivity;

/* The `discover:` section: scenario discovery after the run (discover.h); the run then
 * keeps the per-trajectory data (--keep-draws). */
typedef struct {
    char metric[32], outcome[16]; /* default premium, compound */
    uint64_t box_count;           /* default 1 */
    int by_cycle;                 /* default false */
    double density;               /* density threshold; 0 = the knee (default) */
    unsigned line;                /* of `discover:`; 0 = no section */
} scenario_discover;

/* Value of line[id] for a parameter set by an override (--set / scenario_set). */
#define SCENARIO_LINE_SET 0xffffffffu

typedef struct {
    char *path;        /* file as given on the command line (owned) */
    char *name;        /* `name:` or the file's stem (owned) */
    char *description; /* `description:` or "" (owned) */
    char *text;        /* the file verbatim, NUL-terminated (owned) */
    int model_version; /* top-level `model:` (2), 0 when absent: scenario_load refuses
                          that (a version 1 file); scenario_parse of text accepts it */
    size_t text_len;
    gs_params params;
    unsigned line[PARAM_COUNT]; /* line that set each parameter; 0 = default,
                                   SCENARIO_LINE_SET = an override */
    uint64_t trajectories;      /* run.trajectories, default 10000 */
    uint64_t seed;              /* run.seed, default 20260501 */
    size_t n_quantiles;         /* run.quantiles, default 0.01 0.05 0.10 0.25 0.50 0.75 0.90 0.95 0.99 */
    double quantiles[SCENARIO_MAX_QUANTILES];
    /* run extras */
    int antithetic;             /* run.antithetic: pairs of mirrored parameter draws */
    double target_se;           /* run.target_se: 0 = off */
    uint64_t max_trajectories;  /* run.max_trajectories: cap of --target-se */
    /* uncertainty */
    size_t n_uncertain;
    scenario_uncertain uncertain[SCENARIO_MAX_UNCERTAIN];
    design_kind design;         /* uncertainty.design, default monte_carlo */
    size_t n_rank_corr;
    scenario_rank_corr rank_corr[SCENARIO_MAX_RANK_CORR];
    scenario_sweep sweep;
    scenario_sensitivity sensitivity;
    /* history matching (history.h; history.now is a model parameter) */
    char history_targets[SCENARIO_TEXT_MAX]; /* history.targets: "" = off; a path in the
                                   file is stored relative to the working directory */
    double history_cutoff;      /* history.cutoff c > 0 */
    int history_rule;           /* history.rule: index into "max | second_max" */
    uint64_t history_waves;     /* history.waves >= 1 */
    unsigned history_line;      /* line of history.targets in the file (0: none or --set) */
    scenario_discover discover;
} gs_scenario;

/* The run and study keys that are not model parameters (runkeys.def). */
typedef enum {
    RK_COUNT, RK_SEED, RK_LEVELS, RK_BOOL, RK_FRACTION, RK_REAL, RK_TEXT, RK_CHOICE,
    RK_SECTION /* a study section's field read by the section's own code */
} runkey_type;
typedef enum {
#define R(id, key, type, field, def, lo, hi, symbol, unit, range, meaning) RUNKEY_##id,
#include "runkeys.def"
#undef R
    RUNKEY_COUNT
} runkey_id;
typedef struct {
    const char *key;
    runkey_type type;
    size_t offset;       /* of the field in gs_scenario */
    double def, lo, hi;  /* default and valid range of scalar types */
    const char *symbol, *unit, *range, *meaning;
    const char *attribute; /* root attribute of the result file ("" = none) */
} runkey_info;
extern const runkey_info runkeys_table[RUNKEY_COUNT];

/* The index in runkeys_table of key ("run.seed"), or -1. */
int scenario_runkey_find(const char *key);

/* The value of run key k in sc as text ("10000", "true", "0.05 0.5 0.95"; levels
 * separated by spaces, numbers in the fewest digits that read back exactly). */
void scenario_runkey_text(const gs_scenario *sc, runkey_id k, char *buf, size_t size);

/* Index of id in sc->uncertain, or -1 if the parameter is a plain number. */
int scenario_uncertain_index(const gs_scenario *sc, gs_param_id id);

/* Number of points of the sweep (1 when there is none). */
size_t scenario_sweep_points(const gs_scenario *sc);

/* Stream family of the design of LHS / Sobol sweeps ("SWEP"). */
#define SWEEP_FAMILY 0x5357455000000000ULL

/* The swept keys' values of every point into values[points][n_keys].  Points: a grid is
 * the cartesian product of the listed values, point index
 * p = ((i_0 n_1 + i_1) n_2 + i_2) ... (the last key varies fastest, C order); an LHS or
 * Sobol sweep maps N design rows (design.h; LHS from rng_stream(seed, SWEEP_FAMILY, .))
 * onto the [lo, hi] ranges, x = lo + u (hi − lo). */
gs_status scenario_sweep_values(const gs_scenario *sc, uint64_t seed, double *values,
                                gs_error *err);

/* The parameters of sweep point `point` whose swept keys take values[n_keys] into *out,
 * checked against the relations between parameters ("FILE:LINE: KEY: sweep point P: ..."
 * on failure, *out untouched).  The loader checks every grid point with it; the sweep
 * checks each point before running it. */
gs_status scenario_point_params(const gs_scenario *sc, size_t point, const double *values,
                                gs_params *out, gs_error *err);

/* The Gaussian-copula factor L (d x d, design_copula_factor) of the rank-correlation
 * matrix of the uncertain parameters: ones on the diagonal, uncertainty.correlations
 * off it.  GS_ERR_INPUT (no message) when a correlation names a key that is not
 * uncertain or the matrix is not positive definite. */
gs_status scenario_copula_factor(const gs_scenario *sc, double *L);

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
