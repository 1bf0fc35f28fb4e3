/* estimate.h - what a run will need before it runs: memory and time.
 *
 * The memory estimate adds up the engine's working arrays (engine_job_bytes, see
 * engine.c's layout comment), the parameter draws, the --keep-draws data and history
 * matching's pass-1 arrays for the trajectories that are in memory at once, at the
 * largest phase of the run; the time estimate scales a
 * measured cost per trajectory-cycle.  Used by `gapsim run` to refuse a run that would
 * not fit (with the largest size that would) and by `--dry-run`.
 */
#ifndef GAPSIM_ESTIMATE_H
#define GAPSIM_ESTIMATE_H

#include <stdint.h>

#include "engine.h"
#include "scenario.h"

typedef struct {
    uint64_t trajectories;    /* per run (per sweep point) */
    uint64_t points;          /* sweep points (1 for a plain run) */
    int concurrent;           /* runs in memory at once (sweeps run a point per thread) */
    double bytes;             /* peak working memory, bytes */
    double bytes_per_trajectory;
    double bytes_fixed;       /* independent of the trajectory count */
    double seconds;           /* rough wall time on `threads` threads */
    int threads;
} gs_estimate;

/* Estimates the run of sc with options opt (trajectories, threads, paths, keep_draws).
 * A history-matched run is estimated as if every drawn trajectory were kept (an upper
 * bound: pass 2 runs the kept ones); estimate_run_kept takes the fraction kept. */
void estimate_run(const gs_scenario *sc, const gs_run_options *opt, gs_estimate *out);
void estimate_run_kept(const gs_scenario *sc, const gs_run_options *opt, double kept_fraction,
                       gs_estimate *out);

/* Memory available to this process, bytes: the smallest of MemAvailable, the cgroup
 * limit minus current use, and RLIMIT_AS; 0 if none can be read. */
double estimate_available_memory(void);

/* The largest trajectory count per run whose estimate fits into `bytes`. */
uint64_t estimate_max_trajectories(const gs_estimate *e, double bytes);

#endif
