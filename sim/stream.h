/* stream.h - streaming mode (--memory): a job too large for memory run in batches, with
 * the in-memory run's results bit for bit.
 *
 * The trajectories run in batches of B (a multiple of ENGINE_BLOCK chosen so that a
 * batch's state and the statistics fit the memory limit); each batch runs every cycle,
 * trajectory i with its own stream as in memory (engine batch jobs, engine.h), so the
 * results do not depend on B.
 *
 *  - Moments: each batch's block moments are folded, in block order, into a binary
 *    counter of completed aligned nodes of the engine's merge tree per (variable,
 *    cycle); the root is then evaluated with the tree's empty-node rule, so mean and sd
 *    equal the in-memory run's bit for bit.  Non-finite counts and outcome counts
 *    (antithetic pair counts included) are integers summed over the batches.
 *  - Quantiles, exact: pass 1 counts every (variable, cycle) into a stats_hist whose
 *    geometry comes from batch 0's exact range of it; the windows holding the wanted
 *    ranks are then gathered by running the batches again (the same streams give the
 *    same values), within a memory budget; a window too large for the budget is counted
 *    into a finer histogram over its own range instead (and its range tracked, so a
 *    point mass resolves at once) and gathered in a later pass.  Passes repeat until
 *    every wanted rank is known; the result records how many (gs_result.stream_passes).
 *
 * Not supported (stream_refusal says why): MPI ranks, --shard, --keep-draws,
 * uncertain parameters (their draws are a design over all N trajectories), sweeps,
 * history matching, --paths beyond the first batch.
 *
 * GAPSIM_STREAM_BUDGET=K (tests) caps the gathering budget at K keys, forcing more
 * passes; GAPSIM_STREAM_BATCH=B (tests) caps the batch at B trajectories (rounded up to
 * a multiple of ENGINE_BLOCK). */
#ifndef GAPSIM_STREAM_H
#define GAPSIM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "scenario.h"

typedef struct {
    uint64_t trajectories; /* N */
    uint64_t batch;        /* B */
    uint64_t batches;      /* ⌈N / B⌉ */
    size_t hist_buckets;   /* buckets of each pass-1 histogram */
    double gather_keys;    /* the gathering budget, keys (8 bytes each) */
    double bytes_batch;    /* the batch's working memory */
    double bytes_stats;    /* results, histograms and gathering budget */
    double bytes;          /* estimated peak */
} stream_plan;

/* The plan of a streaming run of n trajectories of sc within `limit` bytes on `threads`
 * threads; GS_ERR_INPUT (with the smallest limit that works) when it cannot fit. */
gs_status stream_plan_of(const gs_scenario *sc, uint64_t n, double limit, int threads,
                         uint64_t paths, stream_plan *plan, gs_error *err);

/* NULL when sc with opt can run in streaming mode, else a message saying why not. */
const char *stream_refusal(const gs_scenario *sc, const gs_run_options *opt);

/* Runs a job in streaming mode within opt->memory bytes (as engine_run_job). */
gs_status stream_run_job(const gs_scenario *sc, const engine_job *job, const gs_run_options *opt,
                         gs_result *res, gs_error *err);

#endif
