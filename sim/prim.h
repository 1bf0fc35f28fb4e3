/* prim.h - scenario discovery: PRIM, the patient rule induction method (Friedman & Fisher
 * 1999), over N rows (trajectories) × d columns (uncertain-parameter draws, shock
 * summaries) of float32 inputs and a 0/1 target (an outcome class).  docs/discovery.md
 * states the algorithm, the knee rule, the quasi-p values and the importance.
 *
 * Two steps:
 *   prim_data_create  codes every column once into ordered bins (uint16 per value):
 *                     the distinct values when a column has at most max_bins of them
 *                     (PRIM on the exact values), else bins of about N / max_bins rows
 *                     that never split equal values.
 *   prim_run          one discovery for one target vector and one optional row filter:
 *                     peeling, the choice of a step (knee or density threshold), pasting,
 *                     quasi-p values, importance, and `box_count` boxes in turn.  A
 *                     by-cycle discovery calls it once per target vector on the same data.
 *
 * Every decision is taken on integer counts that are sums over rows (per-bin histograms
 * of rows and positive rows, and box counts), so the result does not depend on the
 * thread count, and the rows may be spread over processes: give prim_run a `reduce`
 * callback that sums an array of counts over all processes in place (comm_sum_u64 does);
 * each process passes its own rows and the same bin edges (prim_data_create_with_edges),
 * and every process gets the same result without rows being gathered.
 *
 * Memory: prim_data holds 2 N d bytes of codes (half the float32 input) and the bin
 * edges; prim_run uses 11 N bytes (row lists, their targets, a row state) plus 24 bytes
 * per bin (48 with a reduce callback).
 * Nothing here prints except prim_describe to the FILE* it is given.
 */
#ifndef GAPSIM_PRIM_H
#define GAPSIM_PRIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

enum { PRIM_MAX_BINS = 65536 };

/* The coded columns.  Owned by whoever created it (prim_data_free). */
typedef struct {
    size_t n, d;           /* rows, columns */
    uint32_t *n_bins;      /* [d] bins of each column (>= 1) */
    size_t *bin_offset;    /* [d] where column j's bins start in the arrays below */
    size_t total_bins;     /* Σ n_bins */
    float *bin_min;        /* [total_bins] smallest value of each bin */
    float *bin_max;        /* [total_bins] largest value of each bin */
    uint16_t *code;        /* [d][n] bin of row i in column j: code[j * n + i] */
} prim_data;

/* Codes columns[j][0..n) for j < d (borrowed; finite or ±inf, not NaN; -0 counts as 0)
 * into bins, at most max_bins per column (0 = PRIM_MAX_BINS); uses `threads` OpenMP
 * threads (0 = all) over columns.  On success *data owns its arrays; on failure it is
 * empty and err names the problem (no rows, d = 0, a NaN at row i of column j). */
gs_status prim_data_create(prim_data *data, size_t n, size_t d, const float *const *columns,
                           uint32_t max_bins, int threads, gs_error *err);

/* As prim_data_create with the bins given: column j has n_bins[j] bins whose smallest
 * values are bin_min[bin_offset[j] + b], increasing in b (the first may be -inf); a value
 * goes to the last bin whose smallest value is <= it.  This is how processes that each
 * hold some rows share one set of bins (docs/discovery.md).  bin_max is then the next
 * bin's smallest value (the last: +inf), so limits are reported at the bin edges.  n may be
 * 0 here (a process holding no rows; prim_run accepts it with a reduce callback). */
gs_status prim_data_create_with_edges(prim_data *data, size_t n, size_t d,
                                      const float *const *columns, const uint32_t *n_bins,
                                      const float *bin_min, int threads, gs_error *err);

void prim_data_free(prim_data *data);

/* Sums counts[0..n) over every process in place; must be called by every process in the
 * same order (prim_run does).  NULL: this process holds every row. */
typedef gs_status (*prim_reduce_fn)(void *ctx, uint64_t *counts, size_t n, gs_error *err);

/* A prim_reduce_fn over MPI ranks: ctx is a const gs_comm * (comm_sum_u64); with the
 * serial build or one rank it leaves the counts as they are. */
gs_status prim_reduce_comm(void *ctx, uint64_t *counts, size_t n, gs_error *err);

typedef enum {
    PRIM_CHOOSE_KNEE,      /* the knee of the coverage-density curve (docs/discovery.md) */
    PRIM_CHOOSE_THRESHOLD  /* the step of largest coverage whose density >= threshold */
} prim_choice;

typedef struct {
    double peel_alpha;     /* share of the box's rows a peel removes, (0, 0.5]; 0.05 */
    double paste_alpha;    /* share of the box's rows a paste adds, [0, 0.5]; 0.05 (0: none) */
    double min_mass;       /* smallest box, as a share of the rows, (0, 1]; 0.05 */
    prim_choice choice;    /* PRIM_CHOOSE_KNEE */
    double threshold;      /* density threshold of PRIM_CHOOSE_THRESHOLD, (0, 1] */
    size_t box_count;      /* boxes found in turn, each on the rows no earlier box holds; 1 */
    int threads;           /* OpenMP threads, 0 = all */
    prim_reduce_fn reduce; /* see prim_reduce_fn */
    void *reduce_ctx;
} prim_options;

/* The defaults above. */
prim_options prim_options_default(void);

/* One box: its counts over the rows that take part in its search. */
typedef struct {
    uint64_t rows, positives; /* rows in the box and positive rows among them */
    double coverage;          /* positives / all positive rows (of every box's search) */
    double density;           /* positives / rows */
    double mass;              /* rows / all rows taking part */
    uint32_t restricted;      /* columns with at least one limit */
    int32_t moved;            /* the limit this step moved, 2 column + side (0 lower,
                                 1 upper); -1 for the unrestricted box and pasted boxes */
} prim_step;

typedef struct {
    size_t n_steps;           /* peeling trajectory: steps[0] is the unrestricted box */
    prim_step *steps;
    size_t chosen;            /* the step chosen by the rule (before pasting) */
    size_t pastes;            /* pastes applied to it */
    prim_step box;            /* the chosen box after pasting */
    uint32_t *lo_bin, *hi_bin; /* [d] the box in bins: lo_bin[j] <= code <= hi_bin[j] */
    double *lower, *upper;    /* [d] limits in values: lower <= x <= upper; -inf / +inf
                                 where the column is not restricted on that side */
    double *p_lower, *p_upper; /* [d] quasi-p of each limit; NaN where not restricted */
    double *gain;             /* [d] density of the box minus density of the box without
                                 column j's limits (0 where not restricted) */
} prim_box;

typedef struct {
    size_t d;
    uint64_t rows, positives; /* rows taking part (filter on) and positive rows */
    double base_density;      /* positives / rows */
    size_t n_boxes;           /* boxes found (<= box_count; 0 when none is denser) */
    prim_box *boxes;
    double *importance;       /* [d] coverage-weighted mean of the boxes' gains */
    size_t *ranking;          /* [d] columns by decreasing importance (ties: index) */
} prim_result;

/* One discovery.  target[i] != 0 marks row i positive; keep (NULL: every row) with
 * keep[i] == 0 leaves row i out (an undefined outcome, a rejected trajectory).  On success
 * *res owns its arrays (prim_result_free); on failure it is empty and err says why (no
 * rows left, no positive row, an option out of range, a reduce failure). */
gs_status prim_run(const prim_data *data, const uint8_t *target, const uint8_t *keep,
                   const prim_options *opt, prim_result *res, gs_error *err);

void prim_result_free(prim_result *res);

/* Words for prim_describe.  labels[j] and units[j] (NULL entries, or NULL arrays, fall
 * back to "x<j>" and no unit) name the columns; `subject` says what the target means
 * ("the premium compounds"), `positives` what the positive rows are ("compounding
 * ones"), `rows` what a row is ("futures"). */
typedef struct {
    const char *const *labels, *const *units;
    const char *subject, *positives, *rows;
} prim_words;

/* Writes one sentence per box to out, for example "the premium compounds in 83% of
 * futures (vs 43% overall) where capture >= 0.62 and catch_up <= 0.55; these futures
 * hold 71% of all compounding ones.", then the ranking of the columns by importance. */
gs_status prim_describe(FILE *out, const prim_result *res, const prim_words *words,
                        gs_error *err);

#endif
