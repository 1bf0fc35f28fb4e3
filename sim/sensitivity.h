/* sensitivity.h - a study: which uncertain parameters decide the outcome, a tornado and
 * variance-based (Sobol) indices (the summary of a run's draws is uncertain.h's).
 *
 * Tornado: each uncertain parameter at its 10th and 90th percentile with every other at
 * its median; one Monte Carlo run per setting (common random numbers: the same shock
 * streams in every run), reporting P(compound) and the median of each outcome metric at
 * the horizon.
 *
 * Sobol indices of Y = an outcome metric at the horizon (or at each cycle), on a design
 * of 2d columns: A = the first d, B = the last d, AB_j = A with column j from B;
 * N (d + 2) trajectories.  The design is GSL's Sobol (quasi-random) sequence when
 * 2d <= DESIGN_SOBOL_MAX_DIM (d <= 20, GSL's limit), else a Latin hypercube of 2d columns
 * over the N rows from rng_stream(seed, SENS_SOBOL_FAMILY (+ 1), .) (d up to
 * SCENARIO_MAX_UNCERTAIN = 64); the estimators below need only independent A and B.  Trajectory rows of A and AB_j share their
 * shock stream r, rows of B use stream N + r, so the shocks act as one more (unlisted)
 * input and the indices are those of the parameters, noise included in V:
 *     V      = variance of Y over the 2N rows of A and B
 *     S_j    = (1/N) Σ_r f(B)_r (f(AB_j)_r − f(A)_r) / V           (Saltelli et al. 2010)
 *     S_Tj   = (1/(2N)) Σ_r (f(A)_r − f(AB_j)_r)² / V               (Jansen 1999)
 * Confidence intervals: percentile bootstrap over the rows r (B resamples of N rows,
 * each from rng_stream(seed, ENGINE_BOOT_FAMILY, b)), 95%.
 * Rank correlations between parameters are ignored by the Sobol design (the indices
 * assume independent inputs).
 */
#ifndef GAPSIM_SENSITIVITY_H
#define GAPSIM_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"
#include "model.h"
#include "scenario.h"
#include "uncertain.h"

/* Stream family of the Latin-hypercube design of the Sobol indices ("SOBL"). */
#define SENS_SOBOL_FAMILY 0x534f424c00000000ULL


/* Runs the tornado and/or the Sobol analysis the scenario asks for into u. */
gs_status sensitivity_run(const gs_scenario *sc, const gs_run_options *opt, gs_uncertainty *u,
                          gs_error *err);

/* The estimators on given outputs: yA[n], yB[n], yAB[d][n]; rows[n] selects the rows of
 * a bootstrap resample (NULL = rows 0..n-1).  first[d], total[d]; *variance gets V. */
void sensitivity_indices(size_t n, size_t d, const double *yA, const double *yB,
                         const double *yAB, const uint32_t *rows, double *first, double *total,
                         double *variance);

/* Percentile-bootstrap 95% intervals of the indices from nboot resamples. */
gs_status sensitivity_bootstrap(size_t n, size_t d, const double *yA, const double *yB,
                                const double *yAB, size_t nboot, uint64_t seed,
                                double *first_lo, double *first_hi, double *total_lo,
                                double *total_hi, gs_error *err);

/* Order of the parameters by decreasing total index of metric q (ties: first index). */
void sensitivity_rank(const gs_uncertainty *u, int q, size_t *order);

#endif
