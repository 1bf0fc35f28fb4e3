/* partial.h - the partial files of `gapsim run --shard I/N`, which `gapsim merge`
 * combines into the result of the single run, bit for bit.
 *
 * A partial file holds, for one slice of the trajectories, every cycle's recorded
 * values: root attributes gapsim_partial = 1, gapsim_version, scenario_text,
 * scenario_file, sets ("\n"-joined --set overrides), seed, seed_set, trajectories,
 * paths, shard, nshards, points, cycles, isa (the instruction set the shard's model
 * kernels ran on; absent from older partial files); dataset `values` [point][cycle]
 * [variable][trajectory of the slice] (float64, shuffle + deflate 1).
 *
 * Written atomically like a result file (a fresh temporary name beside the target,
 * renamed when complete).  Read defensively: every attribute's type and size and the
 * dataset's type and shape are checked, strings may be fixed- or variable-length, and
 * the counts must be in range (at most PARTIAL_MAX_SHARDS shards), before anything is
 * used; a problem is one line "FILE: attribute 'NAME': problem" (GS_ERR_INPUT).
 */
/* A history-matched run's shard (history.h) adds the attributes history = 1 and
 * history_targets_sha256, the datasets history_accepted, history_simulated and
 * history_counts (partial_history_out), and its `values` holds the slice's accepted
 * trajectories only; merge places them after the earlier shards' (partial_check_shape).
 */
#ifndef GAPSIM_PARTIAL_H
#define GAPSIM_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "engine.h"
#include "hash.h"
#include "error.h"
#include "scenario.h"

enum { PARTIAL_MAX_SHARDS = 100000, PARTIAL_MAX_SETS = 256, PARTIAL_ISA_MAX = 16 };

/* ---- writing (a shard) ------------------------------------------------------------- */

typedef struct partial_writer partial_writer;

/* Creates the temporary file for `path` with every attribute and an empty `values` of
 * [points][cycles][VAR_COUNT][count].  opt gives seed, seed_set, trajectories, paths,
 * shard and nshards.  On success *out owns the open file (finish with partial_finish). */
gs_status partial_create(const char *path, const gs_scenario *sc, const gs_run_options *opt,
                         const char *const *sets, size_t nsets, uint64_t points, int cycles,
                         uint64_t count, partial_writer **out, gs_error *err);

/* engine_values_fn for opt->sink: cycle k of the shard's n trajectories (points run in
 * order, each from k = 0).  Fails with GS_ERR_INTERRUPTED when an interrupt is pending. */
gs_status partial_sink(void *writer, int k, uint64_t first, size_t n, double *record,
                       gs_error *err);

/* Records the instruction set the shard ran on (gs_result.isa, "portable", ...) as the
 * root attribute isa; at most PARTIAL_ISA_MAX − 1 bytes of [a-z0-9_]. */
gs_status partial_set_isa(partial_writer *w, const char *isa, gs_error *err);

/* Closes the file; when ok, syncs it and renames it onto the target, else removes it.
 * Frees w.  Returns the first failure (err set), GS_OK otherwise. */
gs_status partial_finish(partial_writer *w, int ok, gs_error *err);

/* History-matched shards (history.h; attribute history = 1): `values` is created by the
 * first sink call with the shard's accepted trajectories (pass 2), in order; the
 * attribute history_targets_sha256 is the SHA-256 of the targets file.  For
 * opt->history_out (sink_ctx = the writer): writes pass 1's decisions of the slice,
 * datasets history_accepted uint8 [slice], history_simulated float64 [J][slice] and
 * history_counts uint64 [2 + TARGETS_MAX] (drawn, accepted, rejected per target). */
gs_status partial_history_out(void *writer, uint64_t n, uint64_t first, uint64_t count,
                              size_t J, const unsigned char *mask, const double *sim,
                              const uint64_t *counts, size_t nc, gs_error *err);

/* The SHA-256 of the file at path (at most TARGETS_FILE_MAX bytes are read). */
gs_status partial_targets_hash(const char *path, char hex[HASH_HEX_SIZE], gs_error *err);

/* ---- reading (merge) --------------------------------------------------------------- */

typedef struct {
    const char *name; /* the path as given (borrowed) */
    hid_t file, dset;
    uint64_t shard, nshards, seed, seed_set, trajectories, paths, points, cycles;
    uint64_t keep_draws;
    uint64_t history;      /* a history-matched run's shard */
    char targets_sha256[HASH_HEX_SIZE]; /* its targets file's digest ("" without history) */
    uint64_t hfirst, hcount; /* history: its slice of the drawn trajectories */
    uint64_t ntargets;     /* history: rows of history_simulated */
    char isa[PARTIAL_ISA_MAX]; /* the shard's instruction set ("" in older partial files) */
    char *version, *text, *sets, *scenario_file; /* owned */
    uint64_t first, count; /* the slice, set by partial_check_shape */
} partial_file;

/* Opens and checks one partial file.  On failure nothing stays open. */
gs_status partial_open(const char *path, partial_file *p, gs_error *err);

void partial_close(partial_file *p);

/* Checks that parts[0..n) are the N shards of one run, each exactly once (parts are
 * sorted by shard on success).  The message names two files that differ, a shard given
 * twice, or the missing shards (at most a few by number). */
gs_status partial_check_set(partial_file *parts, size_t n, gs_error *err);

/* The slice of every part for a run of n_total trajectories, and the check that each
 * `values` has the shape [points][cycles][VAR_COUNT][slice]. */
gs_status partial_check_shape(partial_file *parts, size_t n, uint64_t n_total, gs_error *err);

/* The merged file's root attribute isa from parts[0..n) (sorted by shard): the shards'
 * instruction set when they all ran the same, "mixed: a,b" (each level once, in shard
 * order) when they differ, "unknown" when any file does not record it.  out holds
 * sizeof gs_result.isa bytes. */
void partial_isa(const partial_file *parts, size_t n, char *out, size_t size);

/* Splits the "\n"-joined --set overrides of p in place into sets[0..*nsets)
 * (at most PARTIAL_MAX_SETS; more is an error). */
gs_status partial_sets(partial_file *p, const char **sets, size_t *nsets, gs_error *err);

/* A source for engine_run (opt->source): the values of every part, in shard order. */
typedef struct {
    partial_file *parts;
    size_t n;
    long point;
} partial_source;

/* engine_values_fn: cycle k of every part into the record of all trajectories; fails
 * with GS_ERR_INTERRUPTED when an interrupt is pending. */
/* For opt->history_in (source_ctx = a partial_source over history-matched parts checked
 * by partial_check_shape): every shard's decisions into mask[n], sim[J][n]; the counts
 * added. */
gs_status partial_history_in(void *source, uint64_t n, size_t J, unsigned char *mask, double *sim,
                             uint64_t *counts, size_t nc, gs_error *err);

gs_status partial_source_read(void *source, int k, uint64_t first, size_t n, double *record,
                              gs_error *err);

#endif
