/* discover.h - scenario discovery on a result file: `gapsim discover FILE --metric M
 * --outcome O` and the `discover:` scenario section.  Reads the `trajectories` group that
 * --keep-draws writes (trajdata.h), runs PRIM (prim.h) over the uncertain-parameter
 * draws and the shock summaries with "class of M = O" as the target, for the horizon and,
 * with by_cycle, for every forecast cycle taken as the horizon; describes the boxes in
 * words and writes a `discovery` group.  docs/discovery.md states the layout.
 *
 * Failures are one line, GS_ERR_INPUT (exit 2) for a file without a trajectories group,
 * a point-valued run (no uncertain parameters: nothing to discover), a metric or outcome
 * that does not exist, an outcome no trajectory has; GS_ERR_IO for a write that failed
 * (the result file is then untouched: the group is written into a copy that replaces the
 * file by rename).
 */
#ifndef GAPSIM_DISCOVER_H
#define GAPSIM_DISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "prim.h"

/* The columns and classes read from a file's trajectories group. */
typedef struct {
    uint64_t n;          /* trajectories */
    size_t ncol, ndraws; /* columns: the draws first, then the shock summaries */
    char **keys;         /* [ncol] dataset names without "draw_" (parameter keys) */
    char **labels;       /* [ncol] words for the sentences */
    char **units;        /* [ncol] units ("" for none) */
    float **cols;        /* [ncol][n] (NaN replaced by +inf; such rows take no part) */
    uint8_t *finite;     /* [n] 1 when every column of the row was a number */
    int8_t *cls;         /* [n] class of the metric at the horizon */
    int8_t *by;          /* [n][n_horizons] classes by cycle (NULL when none) */
    int n_horizons;
    int *horizon;        /* [n_horizons] cycles */
    double *horizon_year;/* [n_horizons] start year of each */
    int metric;          /* index of the metric (model_metrics) */
} discover_table;

typedef struct {
    const char *metric, *outcome; /* "premium", "compound" */
    prim_options prim;            /* peel_alpha, paste_alpha, min_mass, choice, threshold,
                                     box_count, threads */
    uint32_t max_bins;            /* 0: PRIM_MAX_BINS */
    int by_cycle;                 /* also every forecast cycle as the horizon */
} discover_options;

discover_options discover_options_default(void);

typedef struct {
    int metric, outcome;
    prim_result horizon;          /* the discovery at the horizon */
    int n_cycles;                 /* by_cycle: one result per horizon cycle (else 0) */
    int *cycle;                   /* [n_cycles] */
    double *cycle_year;
    prim_result *by_cycle;        /* [n_cycles]; n_boxes 0 and rows 0 when no positive */
    char **sentence;              /* [1 + n_cycles] the words of each (malloc'd) */
} discover_result;

/* Reads the trajectories group of a result file for metric `metric` (by name). */
gs_status discover_read(const char *path, const char *metric, discover_table *tab,
                        gs_error *err);
void discover_table_free(discover_table *tab);

/* Runs the discovery (opt->metric must be the table's). */
gs_status discover_run(const discover_table *tab, const discover_options *opt,
                       discover_result *res, gs_error *err);
void discover_result_free(discover_result *res);

/* The sentences and the importance ranking, for the console. */
void discover_print(FILE *out, const discover_table *tab, const discover_result *res);

/* Writes group /discovery/<metric>_<outcome> into `output`: a new file holding only that
 * group when output is not NULL and differs from path, else into the result file `path`
 * itself (through a copy renamed over it: the file is either as it was or complete with
 * the new group; an earlier group of the same name is replaced). */
gs_status discover_write(const char *path, const char *output, const discover_table *tab,
                         const discover_options *opt, const discover_result *res,
                         gs_error *err);

#endif
