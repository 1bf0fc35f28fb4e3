/* design.c - Monte Carlo, Latin hypercube and Sobol designs; Gaussian copula (design.h). */
#include "design.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_sort.h>

#include "rng.h"

const char *const design_names[DESIGN_COUNT] = {"monte_carlo", "lhs", "sobol"};

int design_find(const char *name)
{
    for (int k = 0; k < DESIGN_COUNT; k++)
        if (strcmp(name, design_names[k]) == 0) return k;
    return -1;
}

/* A uniform in the open interval (0, 1): 53 random bits plus one half,
 * u = (m + ½) 2⁻⁵³, so that inverse CDFs never see 0 or 1. */
static double open_uniform(rng_pcg32 *r)
{
    return ((double)(rng_pcg32_next64(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Unbiased integer in [0, bound) by Lemire's multiply-and-reject on 32 bits. */
static uint32_t bounded(rng_pcg32 *r, uint32_t bound)
{
    uint64_t m = (uint64_t)rng_pcg32_next(r) * bound;
    uint32_t low = (uint32_t)m;
    if (low < bound) {
        uint32_t threshold = (uint32_t)(-bound) % bound;
        while (low < threshold) {
            m = (uint64_t)rng_pcg32_next(r) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

static void fill_monte_carlo(uint64_t seed, uint64_t family, uint64_t first, size_t n, size_t d,
                             double *u)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < n; r++) {
        rng_pcg32 g;
        rng_stream(&g, seed, family, first + r);
        for (size_t j = 0; j < d; j++) u[r * d + j] = open_uniform(&g);
    }
}

/* u_rj = (π_j(r) + v_rj) / n: the jitter v_rj is what monte_carlo would give, the
 * permutation π_j comes from its own stream (Fisher–Yates, Durstenfeld's form).  The
 * columns go in blocks of LHS_BLOCK, the blocks in parallel: each permutation is drawn
 * sequentially from its own stream as before, then one pass over the rows writes the
 * block's adjacent columns (a cache line of a row, not one strided pass per column). */
enum { LHS_BLOCK = 8 };

static gs_status fill_lhs(uint64_t seed, uint64_t family, uint64_t first, size_t n, size_t d,
                          double *u, gs_error *err)
{
    GS_RETURN_IF(n > UINT32_MAX, err, GS_ERR_INPUT, "lhs: at most 2^32 rows per batch");
    fill_monte_carlo(seed, family, first, n, d, u);
    const size_t blocks = (d + LHS_BLOCK - 1) / LHS_BLOCK;
    int nomem = 0;
#pragma omp parallel reduction(| : nomem)
    {
        uint32_t *perm = malloc(LHS_BLOCK * n * sizeof *perm);
        nomem = !perm;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < blocks; b++) {
            if (!perm) continue;
            size_t j0 = b * LHS_BLOCK, w = d - j0 < LHS_BLOCK ? d - j0 : LHS_BLOCK;
            for (size_t k = 0; k < w; k++) {
                uint32_t *pk = perm + k * n;
                rng_pcg32 g;
                rng_stream(&g, seed, family + 1, (first << 8) + j0 + k);
                for (size_t r = 0; r < n; r++) pk[r] = (uint32_t)r;
                for (size_t r = n; r > 1; r--) {
                    uint32_t s = bounded(&g, (uint32_t)r);
                    uint32_t t = pk[r - 1];
                    pk[r - 1] = pk[s];
                    pk[s] = t;
                }
            }
            for (size_t r = 0; r < n; r++)
                for (size_t k = 0; k < w; k++)
                    u[r * d + j0 + k] = (perm[k * n + r] + u[r * d + j0 + k]) / (double)n;
        }
        free(perm);
    }
    GS_RETURN_IF(nomem, err, GS_ERR_NOMEM, "lhs: out of memory for %zu rows", n);
    return GS_OK;
}

static gs_status fill_sobol(uint64_t first, size_t n, size_t d, double *u, gs_error *err)
{
    GS_RETURN_IF(d > DESIGN_SOBOL_MAX_DIM, err, GS_ERR_INPUT,
                 "uncertainty.design sobol: at most %d uncertain parameters (GSL's Sobol "
                 "sequence), got %zu; use lhs or monte_carlo",
                 DESIGN_SOBOL_MAX_DIM, d);
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d);
    GS_RETURN_IF(!q, err, GS_ERR_NOMEM, "sobol: cannot allocate the generator");
    double skip[DESIGN_MAX_DIM];
    for (uint64_t i = 0; i < first; i++) gsl_qrng_get(q, skip);
    for (size_t r = 0; r < n; r++) gsl_qrng_get(q, u + r * d);
    gsl_qrng_free(q);
    return GS_OK;
}

gs_status design_fill(design_kind kind, uint64_t seed, uint64_t family, uint64_t first,
                      size_t n, size_t d, double *u, gs_error *err)
{
    GS_RETURN_IF(d > DESIGN_MAX_DIM, err, GS_ERR_INPUT,
                 "a design has at most %d uncertain parameters, got %zu", DESIGN_MAX_DIM, d);
    if (n == 0 || d == 0) return GS_OK;
    switch (kind) {
    case DESIGN_LHS: return fill_lhs(seed, family, first, n, d, u, err);
    case DESIGN_SOBOL: return fill_sobol(first, n, d, u, err);
    default: fill_monte_carlo(seed, family, first, n, d, u); return GS_OK;
    }
}

gs_status design_copula_factor(size_t d, const double *rho, double *L)
{
    gsl_set_error_handler_off();
    for (size_t i = 0; i < d * d; i++) L[i] = 2 * sin(M_PI * rho[i] / 6);
    gsl_matrix_view m = gsl_matrix_view_array(L, d, d);
    if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS) return GS_ERR_INPUT;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++) L[i * d + j] = 0;
    return GS_OK;
}

void design_copula_apply(size_t n, size_t d, const double *L, double *u)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < n; r++) {
        double z[DESIGN_MAX_DIM];
        double *row = u + r * d;
        for (size_t j = 0; j < d; j++) z[j] = gsl_cdf_ugaussian_Pinv(row[j]);
        for (size_t j = 0; j < d; j++) {
            double s = 0;
            for (size_t l = 0; l <= j; l++) s += L[j * d + l] * z[l];
            /* Φ(s), kept inside (0, 1) */
            double p = s <= 0 ? gsl_cdf_ugaussian_P(s) : 1 - gsl_cdf_ugaussian_Q(s);
            row[j] = fmin(fmax(p, 0x1.0p-60), 1 - 0x1.0p-53);
        }
    }
}

/* Average ranks (1-based) of column c into rank[0..n): GSL's index sort of the strided
 * column (gsl_sort_index), then ties (equal values, in whatever order the sort left
 * them) share the mean of their positions, so the ranks do not depend on that order. */
static int column_ranks(size_t n, size_t d, const double *x, size_t c, double *rank)
{
    size_t *order = malloc(n * sizeof *order);
    if (!order) return -1;
    gsl_sort_index(order, x + c, d, n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[order[j + 1] * d + c] == x[order[i] * d + c]) j++;
        double avg = 0.5 * (double)(i + j) + 1;
        for (size_t k = i; k <= j; k++) rank[order[k]] = avg;
        i = j + 1;
    }
    free(order);
    return 0;
}

/* ρ_s = Pearson correlation of the ranks. */
double design_spearman(size_t n, size_t d, const double *x, size_t a, size_t b)
{
    if (n < 2) return NAN;
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    double result = NAN;
    if (ra && rb && !column_ranks(n, d, x, a, ra) && !column_ranks(n, d, x, b, rb)) {
        double mean = 0.5 * (double)(n + 1), sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < n; i++) {
            double p = ra[i] - mean, q = rb[i] - mean;
            sab += p * q, saa += p * p, sbb += q * q;
        }
        result = sab / sqrt(saa * sbb);
    }
    free(ra);
    free(rb);
    return result;
}
