/* compare.h - the statistics of `gapsim compare`: two results side by side (assumptions,
 * outcome probabilities, horizon quantiles), each difference judged against the Monte
 * Carlo error.  Nothing is printed except to the FILE* given. */
#ifndef GAPSIM_COMPARE_H
#define GAPSIM_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"
#include "scenario.h"

/* Counts of compared numbers and of differences beyond the Monte Carlo error. */
typedef struct {
    int compared, differ;
} compare_tally;

/* One side of a comparison: the file's name (for the header), its sweep point (< 0 for
 * a single run), its scenario and result (borrowed). */
typedef struct {
    const char *file;
    long point;
    const gs_scenario *sc;
    const gs_result *res;
} compare_side;

/* Monte Carlo standard error of the stored sample quantile q of variable v at the
 * horizon: se(q_p) = sqrt(p (1 - p) / n) / f(q_p), the density f(q_p) estimated from
 * the neighbouring stored levels, 1 / f ≈ (q_{p+} - q_{p-}) / (p+ - p-).  NaN when
 * there is no neighbouring level. */
double compare_quantile_se(const gs_result *r, int v, size_t q);

/* "yes" when |delta| > 2 se_delta, "no" otherwise (or when delta is 0), "?" when the
 * error is unknown; counted in t. */
const char *compare_judge(compare_tally *t, double delta, double se_delta);

/* The whole comparison of b against a, written to out; returns the tally. */
compare_tally compare_write(FILE *out, const compare_side *a, const compare_side *b);

#endif
