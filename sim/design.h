/* design.h - sampling designs for uncertain parameters: n rows of d uniforms in (0, 1).
 *
 *   monte_carlo  row r takes d uniforms from its own PCG stream rng_stream(seed, family, r)
 *   lhs          Latin hypercube: in each column the rows of a batch fall one in each of
 *                its n equal strata, u = (π_j(r) + v) / n, with π_j a random permutation
 *                (Fisher–Yates on rng_stream(seed, family + 1, (first << 8) + j)) and the
 *                jitter v from the row's own stream
 *   sobol        GSL's Sobol sequence (gsl_qrng_sobol, at most 40 columns), row r is
 *                point first + r + 1 of the sequence (the origin is skipped by GSL)
 *
 * A design over rows [first, first + n) depends only on (kind, seed, family, first, n,
 * d): never on threads.  An LHS is stratified within each call (one batch).
 *
 * Rank correlations: a Gaussian copula, z = Φ⁻¹(u), z' = L z with L Lᵀ = P the Pearson
 * matrix P_ij = 2 sin(π ρ_ij / 6) that gives Spearman ρ_ij for normal margins, u' = Φ(z').
 * It keeps every margin uniform (so a distribution's inverse CDF still applies) but not
 * the LHS strata; design_spearman measures the rank correlation achieved.
 */
#ifndef GAPSIM_DESIGN_H
#define GAPSIM_DESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum { DESIGN_MONTE_CARLO, DESIGN_LHS, DESIGN_SOBOL, DESIGN_COUNT } design_kind;
/* DESIGN_MAX_DIM columns: two per uncertain parameter (SCENARIO_MAX_UNCERTAIN) in the
 * Saltelli design of the Sobol indices; the LHS permutation streams index columns in 8
 * bits, so it must stay below 256. */
enum { DESIGN_MAX_DIM = 128, DESIGN_SOBOL_MAX_DIM = 40 /* GSL's Sobol generator */ };

extern const char *const design_names[DESIGN_COUNT];

/* The design called name ("lhs"), or -1. */
int design_find(const char *name);

/* Fills u[r * d + j] (r < n, j < d) with rows [first, first + n) of the design.
 * Fails (GS_ERR_INPUT) when d > DESIGN_MAX_DIM, GS_ERR_NOMEM when out of memory. */
gs_status design_fill(design_kind kind, uint64_t seed, uint64_t family, uint64_t first,
                      size_t n, size_t d, double *u, gs_error *err);

/* Makes the Gaussian-copula factor L (row-major d × d) for target Spearman correlations
 * rho (row-major d × d, symmetric, ones on the diagonal).  Returns GS_ERR_INPUT when the
 * implied Pearson matrix is not positive definite. */
gs_status design_copula_factor(size_t d, const double *rho, double *L);

/* Applies the copula with factor L to each row of u (n × d) in place. */
void design_copula_apply(size_t n, size_t d, const double *L, double *u);

/* Spearman rank correlation of columns a and b of the n × d matrix x (ties get their
 * average rank).  Returns NaN when out of memory or n < 2. */
double design_spearman(size_t n, size_t d, const double *x, size_t a, size_t b);

#endif
