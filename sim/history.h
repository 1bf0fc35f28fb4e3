/* history.h - the history-matched run (docs/history.md): every trajectory draws its
 * parameters from their priors, simulates 2024.0 -> now, and is kept only when it
 * reproduces the observations of a targets file (targets.h); the run's statistics and
 * outcomes are those of the kept trajectories.  A study beside sweep.h and
 * sensitivity.h, above point.h / uncertain.h; study.h dispatches to it when the
 * scenario's history.targets is set.
 *
 * Design (two passes, nothing kept but the decisions):
 *   pass 1  an engine job of all N drawn trajectories that runs only the cycles of the
 *           history window up to the last targeted cycle (engine_job.cycles), without
 *           statistics; each cycle's records feed the targets accumulator
 *           (engine_job.observe); at the end every trajectory is decided (max or
 *           second_max rule at the cutoff);
 *   pass 2  an engine job of the accepted trajectories only, each with its own shock
 *           stream (engine_job.stream: its index among the drawn ones) and its own
 *           draws, so it re-simulates exactly the history it was accepted for, then the
 *           forecast; every statistic, of every cycle including the history window, and
 *           every outcome count is over the accepted trajectories.
 * Determinism: a decision depends only on the trajectory's own records; the counts are
 * integers; pass 2 is an ordinary engine job.  So results are bit-identical for any
 * number of threads and MPI ranks (pass 1 splits the drawn trajectories over the ranks,
 * the decisions and simulated target values are gathered).  When every trajectory is
 * accepted, pass 2 is the plain run of the N trajectories, bit for bit.
 *
 * Waves (history.waves W > 1): wave w draws from the priors truncated to the box of
 * wave w − 1's accepted draws widened by 10% per side (targets_wave_box), with shock
 * streams rng_stream(seed, w, i) and parameter family ENGINE_PARAM_FAMILY +
 * w HISTORY_WAVE_FAMILY (wave 0 is the plain run's; the step keeps clear of the LHS
 * family + 1); the result is the last wave's; every wave's counts and outcome
 * probabilities are kept.
 */
#ifndef GAPSIM_HISTORY_H
#define GAPSIM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "scenario.h"
#include "targets.h"
#include "uncertain.h"

enum { HISTORY_MAX_WAVES = 20 };
#define HISTORY_WAVE_FAMILY 0x100000ULL /* parameter family step per wave */

/* What a history-matched run found; owned by the study result (history_free). */
typedef struct gs_history {
    targets_set set;          /* the targets (owned) */
    double cutoff;
    int rule;                 /* targets_rule */
    targets_tally tally;      /* the last wave's counts */
    /* per target j: simulated window means (variable's units) over all drawn and over
     * the accepted trajectories at targets_levels; the band at the cutoff; whether the
     * accepted median lies in it */
    double *sim_all, *sim_accepted; /* [J][TARGETS_N_LEVELS] */
    double *band_lo, *band_hi;      /* [J] */
    int *median_in_band;            /* [J] */
    /* per uncertain parameter: prior quantiles (wave 1's draws), posterior (the last
     * wave's accepted draws), shift */
    size_t d;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    targets_param_summary param[SCENARIO_MAX_UNCERTAIN];
    /* waves */
    size_t n_waves;                 /* waves run (may stop before history.waves) */
    uint64_t wave_drawn[HISTORY_MAX_WAVES], wave_accepted[HISTORY_MAX_WAVES];
    double wave_probability[HISTORY_MAX_WAVES][METRIC_COUNT][OUTCOME_COUNT];
    double wave_stderr[HISTORY_MAX_WAVES][METRIC_COUNT][OUTCOME_COUNT];
    double movement[METRIC_COUNT][OUTCOME_COUNT]; /* last two waves, SE units (NaN: one wave) */
    char wave_stop[256];            /* why waves stopped early, or "" */
    /* with --paths: the accepted trajectories' index among the drawn ones and draws */
    uint64_t n_kept;                /* 0 unless --paths */
    uint64_t *kept_index;           /* [n_kept] */
    double *kept_draws;             /* [n_kept][d] */
} gs_history;

/* Non-zero when the scenario asks for history matching (history.targets is set). */
int history_enabled(const gs_scenario *sc);

/* The recorded variables as a targets table (name and kind), VAR_COUNT rows. */
const targets_var *history_vars(void);

/* Loads the scenario's targets file against the run's calendar (exit 2 on a bad file:
 * "FILE:LINE: KEY: problem") and checks that the scenario can be history-matched
 * (no sweep, no sensitivity section, no antithetic pairs; waves only without shards
 * and --target-se). */
/* Shards (opt->nshards, opt->history_out) run both passes on their slice of the drawn
 * trajectories, handing pass 1's decisions to history_out and pass 2's records to the
 * sink; merge (opt->source, opt->history_in) takes the decisions from history_in and
 * replays the accepted records: the serial run's result, bit for bit.  Not with waves.
 * --target-se (waves 1, no shards): batches of run.trajectories drawn trajectories until
 * the accepted ones' outcome probabilities meet the target; then the run of them all. */
gs_status history_load(const gs_scenario *sc, const gs_run_options *opt, targets_set *set,
                       gs_error *err);

/* The history-matched run (see above).  On success *res is the accepted trajectories'
 * result, *draws (may be NULL) the summary of the last wave's accepted draws (NULL
 * without uncertain parameters) and *hist what the matching found.  No accepted
 * trajectory: GS_ERR_NUMERIC (exit 1) with the targets that reject most. */
gs_status history_run(const gs_scenario *sc, const gs_run_options *opt, gs_result *res,
                      gs_uncertainty **draws, gs_history **hist, gs_error *err);

/* --dry-run's pilot: pass 1 of the first n drawn trajectories (their own Latin
 * hypercube or Monte Carlo draws of n rows) decided against the targets, counts into
 * *tally.  Loads the targets itself (the errors of history_load). */
gs_status history_pilot(const gs_scenario *sc, const gs_run_options *opt, size_t n,
                        targets_tally *tally, gs_error *err);

void history_free(gs_history *h);

#endif
