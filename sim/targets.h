/* targets.h - history matching (MODEL.md §9): targets files, implausibility and
 * acceptance over blocks of trajectories, waves, prior/posterior summaries.
 *
 * The module knows nothing of the model's variable list: the caller passes a table of
 * the recorded variables (name and kind), and the accumulator is fed the records in the
 * engine's layout (out[var][i], one array of n doubles per variable of the table).
 *
 * Targets file (docs/history.md has every key):
 *
 *   targets:
 *     - name: T01                      # optional; default "T<position>", two digits
 *       variable: price_closed         # a recorded variable
 *       window: [2024.0, 2024.5]       # [from, to): the cycles whose start lies in it
 *       # or  date: 2024.2             # the cycle containing the date
 *       transform: log                 # log | logit | identity
 *       value: 10.9                    # z, in the variable's units
 *       sigma: 0.20                    # observation uncertainty σ > 0 (transformed units)
 *       discrepancy: 0.30              # model discrepancy d >= 0 (transformed units)
 *       source: "vendor price lists"   # where z comes from
 *
 * For trajectory i and target j the simulated value is
 *     f_ij = h_j(mean of v_j over the target's cycles)
 * and its implausibility
 *     I_ij = |f_ij − h_j(z_j)| / √(σ_j² + d_j²),        I_ij = ∞ when f_ij is not finite.
 * A trajectory is accepted when max_j I_ij ≤ c (rule max) or the second largest I_ij ≤ c
 * (rule second_max; with one target the largest).
 *
 * Determinism: everything is per trajectory (sums over cycles in cycle order) or an
 * integer count, so results do not depend on blocks, threads, ranks or shards.
 */
#ifndef GAPSIM_TARGETS_H
#define GAPSIM_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum {
    TARGETS_MAX = 256,          /* targets in one file */
    TARGETS_NAME_MAX = 64,      /* bytes of a name, NUL included */
    TARGETS_SOURCE_MAX = 4096,  /* bytes of a source, NUL included */
    TARGETS_FILE_MAX = 1 << 20, /* bytes of a targets file */
    TARGETS_DEPTH_MAX = 32,     /* nesting of lists and mappings in a targets file */
    TARGETS_N_LEVELS = 5        /* quantile levels of the summaries */
};

#define TARGETS_DEFAULT_CUTOFF 3.0
#define TARGETS_WAVE_WIDEN     0.1 /* each side, as a share of the accepted range's width */

/* ---- the variable table ------------------------------------------------------------ */

/* What values a recorded variable takes: any real, positive (>= 0), or a share in
 * [0, 1].  logit is allowed only on shares; a target's value must lie in its
 * variable's domain (and in (0, ∞) under log, (0, 1) under logit). */
typedef enum { TARGETS_VAR_REAL, TARGETS_VAR_POSITIVE, TARGETS_VAR_SHARE } targets_var_kind;

typedef struct {
    const char *name; /* as in the targets file: "price_closed" */
    targets_var_kind kind;
} targets_var;

/* The run's calendar: cycle k is [start_year + k cycle_years, start_year + (k+1)
 * cycle_years), records exist for k = 0 .. n_cycles − 1 (gs_result's n_cycles, K + 1),
 * and the history window is [start_year, now). */
typedef struct {
    double start_year;  /* t₀, run.start_year */
    double cycle_years; /* Δ > 0, run.cycle_years */
    int n_cycles;       /* number of records, K + 1 */
    double now;         /* history.now, > start_year */
} targets_calendar;

/* ---- a loaded targets file ---------------------------------------------------------- */

typedef enum { TARGETS_IDENTITY, TARGETS_LOG, TARGETS_LOGIT } targets_transform;
extern const char *const targets_transform_names[3]; /* "identity", "log", "logit" */

typedef struct {
    char name[TARGETS_NAME_MAX];
    char *source; /* owned by the set */
    size_t var;   /* index into the variable table */
    targets_transform transform;
    int is_window; /* 1: window [from, to); 0: date (from = to = the date) */
    double from, to;
    int k_first, k_last; /* the cycles averaged, inclusive */
    double value;        /* z_j, untransformed */
    double sigma, discrepancy;
    double h_value; /* h_j(z_j) */
    double scale;   /* √(σ_j² + d_j²) */
    unsigned line;  /* line of the target's entry in the file */
} targets_target;

typedef struct {
    char *path;        /* owned */
    size_t n;          /* J >= 1 */
    targets_target *t; /* [n], owned */
    int last_cycle;    /* max_j k_last: decide after feeding this cycle */
} targets_set;

/* Loads and checks a targets file against the variable table vars[0..n_vars) and the
 * calendar.  On success fills *set (free with targets_free); on failure *set is empty
 * and err says "FILE:LINE: KEY: problem" (status GS_ERR_INPUT, exit 2), or GS_ERR_NOMEM.
 * Rejected: syntax errors, unknown or duplicate keys, missing keys, an unknown variable
 * (with a did-you-mean), a date outside the history window [start, now) or outside the
 * run, a window outside the history window or holding no cycle start, σ <= 0, d < 0, a
 * value outside the variable's domain, log of a value <= 0, logit of a value outside
 * (0, 1) or of a variable that is not a share, duplicate names, more than TARGETS_MAX
 * targets, files above TARGETS_FILE_MAX bytes, holding a NUL byte or nesting lists and
 * mappings deeper than TARGETS_DEPTH_MAX. */
gs_status targets_load(const char *path, const targets_var *vars, size_t n_vars,
                       const targets_calendar *cal, targets_set *set, gs_error *err);

/* As targets_load on text[0..len) (path only names it in messages). */
gs_status targets_parse(const char *text, size_t len, const char *path, const targets_var *vars,
                        size_t n_vars, const targets_calendar *cal, targets_set *set,
                        gs_error *err);

void targets_free(targets_set *set);

/* h(x) of a transform: x, ln x, ln(x / (1 − x)); NaN or ±∞ outside the domain. */
double targets_transform_apply(targets_transform h, double x);

/* h⁻¹(y): y, e^y, 1 / (1 + e^−y). */
double targets_transform_invert(targets_transform h, double y);

/* The observation's band at cutoff c, in the variable's units:
 *   [h⁻¹(h(z) − c s), h⁻¹(h(z) + c s)],  s = √(σ² + d²),
 * the simulated values (window means) whose I is at most c: the error bar of figures,
 * and the band that "the accepted median reproduces the observation" refers to. */
void targets_band(const targets_target *t, double cutoff, double *lo, double *hi);

/* ---- implausibility and acceptance --------------------------------------------------- */

typedef enum { TARGETS_RULE_MAX, TARGETS_RULE_SECOND_MAX } targets_rule;

/* "max" / "second_max" -> rule; -1 if neither. */
int targets_rule_find(const char *name);

/* Integer counts: merge across blocks, threads, ranks and shards by adding
 * (targets_tally_add), exactly. */
typedef struct {
    uint64_t drawn;                 /* trajectories decided */
    uint64_t accepted;              /* of which consistent with history */
    uint64_t rejected[TARGETS_MAX]; /* per target: trajectories with I_ij > c */
} targets_tally;

void targets_tally_clear(targets_tally *t);
void targets_tally_add(targets_tally *acc, const targets_tally *b);

/* The targets ordered by rejection count, most first (ties by position), into
 * order[0..set->n). */
void targets_rank_rejections(const targets_set *set, const targets_tally *tally, size_t *order);

/* The first `count` targets of that order with their rejection shares (rejected /
 * drawn), "T15 57.4%, T03 55.0%, T06 43.7%", into buf (truncated to size): for the
 * low-acceptance warning and the message of a run that accepts nothing. */
void targets_describe_rejections(const targets_set *set, const targets_tally *tally, size_t count,
                                 char *buf, size_t size);

/* The accumulator of n trajectories (a block, or all the trajectories of a rank).
 * Memory: 2 n J + 2 n doubles-or-bytes (sums then f_ij, I_ij, the score, the mask). */
typedef struct targets_acc targets_acc;

/* Allocates an accumulator for n >= 1 trajectories of set (borrowed: set must outlive
 * it); sums start at zero.  NULL when out of memory. */
targets_acc *targets_acc_alloc(const targets_set *set, size_t n);
void targets_acc_free(targets_acc *acc);

/* Zeroes the sums (a new block of the same size, or a new wave). */
void targets_acc_reset(targets_acc *acc);

/* 1 if some target averages cycle k, else 0. */
int targets_acc_needs(const targets_acc *acc, int k);

/* Adds cycle k's records of trajectories [first, first + count) of the accumulator:
 * out[v] points at count doubles, the values of variable v (index into the variable
 * table) of those trajectories, as model_record writes them.  Cycles no target uses are
 * ignored, so a caller may feed every cycle.  Feeds of disjoint ranges may run in
 * parallel; feed every used cycle, in increasing k, before deciding. */
void targets_acc_feed(targets_acc *acc, int k, size_t first, size_t count,
                      const double *const *out);

/* Decides trajectories [first, first + count): f_ij, I_ij, the score (max or second
 * max of I_ij over j), the mask (score <= cutoff) and adds the counts to *tally.
 * cutoff > 0.  Disjoint ranges may be decided in parallel with distinct tallies. */
void targets_acc_decide(targets_acc *acc, targets_rule rule, double cutoff, size_t first,
                        size_t count, targets_tally *tally);

/* After decide, borrowed views (valid until the next reset/free):
 * f_ij and I_ij of target j ([n] each), the score and the accept mask ([n]). */
const double *targets_acc_simulated(const targets_acc *acc, size_t j);
const double *targets_acc_implausibility(const targets_acc *acc, size_t j);
const double *targets_acc_score(const targets_acc *acc);
const unsigned char *targets_acc_accepted(const targets_acc *acc);

/* After decide: type-7 quantiles at targets_levels of target j's simulated value in the
 * variable's units, h⁻¹(f_ij) (the window mean), over the accumulator's n trajectories,
 * or over the accepted ones when accepted_only.  Non-finite f_ij are skipped; *n_used
 * (if non-NULL) gets the number of values used; with none, every quantile is NaN.
 * For one process's trajectories: across MPI ranks use the engine's distributed
 * quantiles on targets_acc_simulated instead.  GS_ERR_NOMEM on allocation failure. */
gs_status targets_acc_quantiles(const targets_acc *acc, size_t j, int accepted_only,
                                double out[TARGETS_N_LEVELS], size_t *n_used, gs_error *err);

/* ---- waves --------------------------------------------------------------------------- */

/* The next wave's truncation box from the accepted draws (n rows of d values,
 * draws[i * d + p], the engine's layout): for each parameter p the accepted range
 * [m_p, M_p] widened by widen (TARGETS_WAVE_WIDEN) × (M_p − m_p) on each side and
 * intersected with [prior_lo[p], prior_hi[p]] (±INFINITY allowed), into lo[p], hi[p].
 * accept (NULL = every row) selects the rows.  Fails (GS_ERR_NUMERIC, message naming
 * the parameter index) with fewer than two accepted rows, a non-finite draw, or a
 * parameter whose accepted draws are all equal (a zero-width box). */
gs_status targets_wave_box(const double *draws, size_t n, size_t d, const unsigned char *accept,
                           const double *prior_lo, const double *prior_hi, double widen, double *lo,
                           double *hi, gs_error *err);

/* The movement of a probability between two waves in standard errors of the
 * difference: (p2 − p1) / √(se1² + se2²); 0 when both are equal and both se are 0. */
double targets_wave_movement(double p1, double se1, double p2, double se2);

/* ---- prior and posterior summaries --------------------------------------------------- */

extern const double targets_levels[TARGETS_N_LEVELS]; /* 0.05 0.25 0.5 0.75 0.95 */

typedef struct {
    double prior[TARGETS_N_LEVELS];     /* quantiles of every row */
    double posterior[TARGETS_N_LEVELS]; /* quantiles of the accepted rows (NaN if none) */
    double shift; /* (posterior median − prior median) / prior IQR; ±∞ if the IQR is 0
                     and the median moved, 0 if it did not, NaN with no accepted row */
} targets_param_summary;

/* Exact type-7 quantiles (as stats.h) of parameter p over all n rows and over the
 * accepted ones (accept[i] != 0), for every p < d, into out[0..d).  Deterministic: the
 * values are sorted.  GS_ERR_NOMEM, or GS_ERR_NUMERIC on a non-finite draw. */
gs_status targets_summarize(const double *draws, size_t n, size_t d, const unsigned char *accept,
                            targets_param_summary *out, gs_error *err);

/* Type-7 quantiles at targets_levels of x[0..m) (finite or ±∞, no NaN; reordered in
 * place by selection, not sorted) into out; every quantile NaN when m = 0.  The
 * arithmetic of targets_summarize and targets_acc_quantiles. */
void targets_quantiles5(double *x, size_t m, double out[TARGETS_N_LEVELS]);

/* The parameters ordered by |shift| descending (NaN last, ties by index) into
 * order[0..d). */
void targets_rank_moved(const targets_param_summary *s, size_t d, size_t *order);

#endif
