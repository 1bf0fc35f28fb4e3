/* dist.h - probability distributions of uncertain scenario parameters.
 *
 * A gs_dist is one family with its parameters and optional truncation bounds.  Values
 * are drawn by the inverse of the (truncated) CDF from a uniform u in (0, 1):
 *     x = F⁻¹(F(lo) + u (F(hi) − F(lo))),
 * so that a uniform from a trajectory's own PCG stream, a Latin-hypercube stratum or a
 * Sobol point all map to the same distribution, deterministically.  The CDFs and their
 * inverses are GSL's (gsl_cdf_*); the triangular one is closed-form.
 *
 * Families and their parameters (par[0..3]):
 *   normal      mean, sd                       sd > 0
 *   lognormal   mu, sigma   of ln x            sigma > 0 (median e^mu)
 *   uniform     min, max                       min < max
 *   beta        a, b, min, max  (Beta(a, b) rescaled to [min, max]; default [0, 1])
 *   triangular  min, mode, max                 min <= mode <= max, min < max
 *   pert        min, mode, max                 Beta(1 + 4(mode−min)/(max−min),
 *                                              1 + 4(max−mode)/(max−min)) on [min, max]
 *   loguniform  min, max                       0 < min < max, ln x uniform
 *   discrete    values v[i] with weights w[i]  up to DIST_DISCRETE_MAX, w > 0
 * plus the 90%-interval shorthand {p5, p95} (dist_fit_interval) and the text forms
 * of dist_parse ("0.3 to 0.8", "pert(0, 1, 4)", "discrete({0.1: 1, 0.5: 3})").
 */
#ifndef GAPSIM_DIST_H
#define GAPSIM_DIST_H

#include <stddef.h>

#include "error.h"

typedef enum {
    DIST_NORMAL,
    DIST_LOGNORMAL,
    DIST_UNIFORM,
    DIST_BETA,
    DIST_TRIANGULAR,
    DIST_PERT,
    DIST_LOGUNIFORM,
    DIST_DISCRETE,
    DIST_COUNT
} dist_family;

enum { DIST_DISCRETE_MAX = 16 }; /* most values of a discrete distribution */

extern const char *const dist_family_names[DIST_COUNT];

typedef struct {
    dist_family family;
    double par[4];     /* family parameters, see above */
    double lo, hi;     /* support after truncation (finite or ±inf) */
    double cdf_lo, cdf_hi; /* untruncated F(lo), F(hi) */
    size_t n_values;       /* discrete: values[0..n) ascending, cum[i] = P(X <= values[i]) */
    double values[DIST_DISCRETE_MAX], cum[DIST_DISCRETE_MAX];
} gs_dist;

/* The family called name ("normal"), or -1. */
int dist_family_find(const char *name);

/* Number of parameters of a family and their names ("mean", "sd"). */
size_t dist_param_count(dist_family f);
const char *dist_param_name(dist_family f, size_t i);

/* Sets up d: checks the parameters, intersects the support with [lower, upper]
 * (pass -INFINITY / INFINITY for none), computes the truncation.  On a problem writes
 * it into msg ("sd must be > 0, got -1", "the bounds [2, 3] exclude all the mass of
 * normal(0, 0.1)") and returns GS_ERR_INPUT. */
gs_status dist_init(gs_dist *d, dist_family f, const double par[4], double lower,
                    double upper, char *msg, size_t msg_size);

/* The 90%-interval shorthand: the normal (positive == 0) or lognormal (positive != 0)
 * whose 5th and 95th percentiles are p5 and p95, then truncated to [lower, upper].
 * Fails when p5 >= p95, or when positive and p5 <= 0. */
gs_status dist_fit_interval(gs_dist *d, double p5, double p95, int positive, double lower,
                            double upper, char *msg, size_t msg_size);

/* `{dist: beta, p5, p95}`: the beta on [0, 1] with those 5% and 95% quantiles
 * (0 < p5 < p95 < 1), then truncated to [lower, upper]. */
gs_status dist_fit_beta_interval(gs_dist *d, double p5, double p95, double lower, double upper,
                                 char *msg, size_t msg_size);
/* A discrete distribution of values[0..n) with weights[0..n) (any order, weights > 0,
 * values distinct, every value in [lower, upper]); fails with the problem in msg. */
gs_status dist_init_discrete(gs_dist *d, const double *values, const double *weights, size_t n,
                             double lower, double upper, char *msg, size_t msg_size);

/* Parses a distribution written as text, as Squiggle, @RISK and SALib users write them:
 *   "A to B"                 a 90% interval: lognormal when A > 0 and B > 0, else normal
 *   "FAMILY(p1, p2, ...)"    normal, lognormal, uniform, beta (2 or 4), triangular,
 *                            pert, loguniform: the parameters in the order above
 *   "discrete({v: w, ...})"  values with weights
 * truncated to [lower, upper].  Returns 1 if text is none of these forms (a plain number,
 * say: d untouched), 0 on success, -1 with the problem in msg. */
int dist_parse(const char *text, double lower, double upper, gs_dist *d, char *msg,
               size_t msg_size);

/* Untruncated CDF F(x) of d's family. */
double dist_cdf(const gs_dist *d, double x);

/* The u-quantile of the truncated distribution, u in [0, 1]; always in [lo, hi]. */
double dist_quantile(const gs_dist *d, double u);

/* dist_quantile for many values of one distribution: dist_prepare computes the
 * constants of d once, dist_quantile_prepared(p, u) returns exactly dist_quantile(d, u),
 * the same bits, faster for the beta and PERT.  GSL's gsl_cdf_beta_Pinv recomputes
 * ln B(a, b) and three ln Γ at every CDF evaluation of its bisection and Newton steps;
 * here they are computed once (in both orientations (a, b) and (b, a), for the upper
 * half's 1 − F⁻¹(1 − P; b, a)), log x and log(1 − x) are shared by the CDF and the
 * density at each Newton step, and the bisection from the mean (every P >= 0.1, the
 * first guess below that is P's own) walks a table of the CDF at every point that
 * bisection can visit, evaluated once.  The arithmetic of each evaluation is GSL's,
 * operation for operation (tests/test_dist.c compares with GSL bit for bit).  A shape
 * parameter above 1e5 (GSL's asymptotic branch) is left to GSL.  The prepared p keeps
 * a pointer to d; evaluating is pure (no GSL state): safe in parallel loops.  Free with
 * dist_prep_free. */
enum { DIST_BISECT_NODES = 1023 }; /* a binary tree of depth 10 */

typedef struct {
    double x, F; /* a bisection point and the CDF there */
    int eval;    /* 0: bisection stops here and returns x */
} dist_bisect_node;

typedef struct {
    double a, b, lnbeta, lnpdf, small, mean;
    dist_bisect_node *tree; /* DIST_BISECT_NODES, or NULL: bisect by evaluation */
} dist_beta_consts;

typedef struct {
    const gs_dist *d;
    int beta;                 /* 1: the beta iteration on ab[], 0: dist_quantile */
    dist_beta_consts ab[2];   /* [0]: (a, b), [1]: (b, a) */
} gs_dist_prep;

void dist_prepare(const gs_dist *d, gs_dist_prep *p);
double dist_quantile_prepared(const gs_dist_prep *p, double u);
void dist_prep_free(gs_dist_prep *p);

/* "beta(a=6, b=4, min=0, max=1) on [0.2, 1]" into buf. */
void dist_describe(const gs_dist *d, char *buf, size_t size);

#endif
