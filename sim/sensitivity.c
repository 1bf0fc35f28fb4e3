/* sensitivity.c - tornado and Sobol indices with bootstrap intervals (see sensitivity.h
 * for the estimators). */
#include "sensitivity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "design.h"
#include "rng.h"
#include "stats.h"

/* ---- estimators ------------------------------------------------------------------ */

void sensitivity_indices(size_t n, size_t d, const double *yA, const double *yB,
                         const double *yAB, const uint32_t *rows, double *first, double *total,
                         double *variance)
{
    /* V over the 2n values of A and B (two-pass: mean, then squared deviations) */
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = rows ? rows[i] : i;
        mean += yA[r] + yB[r];
    }
    mean /= (double)(2 * n);
    for (size_t i = 0; i < n; i++) {
        size_t r = rows ? rows[i] : i;
        var += (yA[r] - mean) * (yA[r] - mean) + (yB[r] - mean) * (yB[r] - mean);
    }
    var /= (double)(2 * n - 1);
    if (variance) *variance = var;
    for (size_t j = 0; j < d; j++) {
        const double *yj = yAB + j * n;
        double s1 = 0, st = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = rows ? rows[i] : i;
            s1 += yB[r] * (yj[r] - yA[r]);          /* Saltelli 2010 */
            st += (yA[r] - yj[r]) * (yA[r] - yj[r]); /* Jansen 1999 */
        }
        first[j] = var > 0 ? s1 / (double)n / var : 0;
        total[j] = var > 0 ? st / (double)(2 * n) / var : 0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Type-7 quantile of sorted x[0..n). */
static double sorted_quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return x[lo] + (h - (double)lo) * (x[hi] - x[lo]);
}

gs_status sensitivity_bootstrap(size_t n, size_t d, const double *yA, const double *yB,
                                const double *yAB, size_t nboot, uint64_t seed,
                                double *first_lo, double *first_hi, double *total_lo,
                                double *total_hi, gs_error *err)
{
    if (nboot < 2 || n > UINT32_MAX) {
        for (size_t j = 0; j < d; j++) first_lo[j] = first_hi[j] = total_lo[j] = total_hi[j] = NAN;
        return GS_OK;
    }
    double *f = malloc(nboot * d * sizeof *f), *t = malloc(nboot * d * sizeof *t);
    uint32_t *rows = malloc(n * sizeof *rows);
    double *col = malloc(nboot * sizeof *col);
    gs_status st = GS_OK;
    if (!f || !t || !rows || !col) {
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory for the bootstrap");
        goto done;
    }
    for (size_t b = 0; b < nboot; b++) {
        rng_pcg32 g;
        rng_stream(&g, seed, ENGINE_BOOT_FAMILY, b);
        /* row index r = ⌊u n⌋ with u of 53 bits: uniform on 0..n-1 to within 2^-53 n */
        for (size_t i = 0; i < n; i++) rows[i] = (uint32_t)(rng_uniform(&g) * (double)n);
        sensitivity_indices(n, d, yA, yB, yAB, rows, f + b * d, t + b * d, NULL);
    }
    for (size_t j = 0; j < d; j++) {
        for (int which = 0; which < 2; which++) {
            const double *src = which ? t : f;
            for (size_t b = 0; b < nboot; b++) col[b] = src[b * d + j];
            qsort(col, nboot, sizeof *col, cmp_double);
            (which ? total_lo : first_lo)[j] = sorted_quantile(col, nboot, 0.025);
            (which ? total_hi : first_hi)[j] = sorted_quantile(col, nboot, 0.975);
        }
    }
done:
    free(f);
    free(t);
    free(rows);
    free(col);
    return st;
}

void sensitivity_rank(const gs_uncertainty *u, int q, size_t *order)
{
    for (size_t j = 0; j < u->d; j++) order[j] = j;
    /* insertion sort: d is small, and it is stable */
    for (size_t j = 1; j < u->d; j++) {
        size_t x = order[j], i = j;
        double key = u->has_sobol ? u->total[x][q]
                                  : fabs(u->tornado_compound[x][1][q] - u->tornado_compound[x][0][q]);
        while (i > 0) {
            size_t y = order[i - 1];
            double ky = u->has_sobol ? u->total[y][q]
                                     : fabs(u->tornado_compound[y][1][q] - u->tornado_compound[y][0][q]);
            if (!(key > ky)) break;
            order[i] = y;
            i--;
        }
        order[i] = x;
    }
}

/* ---- tornado --------------------------------------------------------------------- */

/* One run at fixed parameters p (shock streams of point 0): P(compound) and the exact
 * median of each metric at the horizon. */
static gs_status tornado_run(const gs_scenario *sc, const gs_params *p, size_t n, uint64_t seed,
                             const gs_run_options *opt, stats_qsel *ws, double *horizon,
                             double compound[METRIC_COUNT], double median[METRIC_COUNT],
                             gs_error *err)
{
    engine_job job = {.params = *p, .seed = seed, .n = n, .outcomes_only = 1,
                      .horizon_metrics = horizon};
    gs_result res;
    GS_FORWARD(engine_run_job(sc, &job, opt, &res, err));
    for (int q = 0; q < METRIC_COUNT; q++) compound[q] = res.outcome_probability[q][OUTCOME_COMPOUND];
    engine_result_free(&res);
    const double half = 0.5;
    for (int q = 0; q < METRIC_COUNT; q++)
        GS_FORWARD(stats_quantiles(ws, horizon + (size_t)q * n, n, &half, 1, &median[q], NULL, err));
    return GS_OK;
}

static gs_status tornado(const gs_scenario *sc, const gs_run_options *opt, uint64_t seed,
                         gs_uncertainty *u, gs_error *err)
{
    /* -n on the command line, else sensitivity.trajectories, else run.trajectories */
    size_t n = (size_t)(opt->trajectories ? opt->trajectories
                        : sc->sensitivity.trajectories ? sc->sensitivity.trajectories
                                                       : sc->trajectories);
    gs_params base = sc->params;
    for (size_t j = 0; j < u->d; j++) *params_field(&base, u->ids[j]) = u->p50[j];
    double *horizon = malloc((size_t)METRIC_COUNT * n * sizeof *horizon);
    stats_qsel *ws = stats_qsel_alloc(n);
    gs_status st = !horizon || !ws ? gs_error_set(err, GS_ERR_NOMEM, "out of memory (tornado)")
                                   : GS_OK;
    gs_run_options o = *opt;
    o.paths = 0, o.progress = NULL;
    if (st == GS_OK)
        st = tornado_run(sc, &base, n, seed, &o, ws, horizon, u->tornado_base_compound,
                         u->tornado_base_median, err);
    for (size_t j = 0; st == GS_OK && j < u->d; j++)
        for (int side = 0; st == GS_OK && side < 2; side++) {
            gs_params p = base;
            *params_field(&p, u->ids[j]) = side ? u->p90[j] : u->p10[j];
            gs_param_id bad;
            char msg[512];
            if (params_check_relations(&p, &bad, msg, sizeof msg) != GS_OK) {
                st = gs_error_set(err, GS_ERR_INPUT, "%s:%u: %s: tornado at its %s: %s", sc->path,
                                  sc->uncertain[j].line, params_table[u->ids[j]].key,
                                  side ? "90th percentile" : "10th percentile", msg);
                break;
            }
            st = tornado_run(sc, &p, n, seed, &o, ws, horizon, u->tornado_compound[j][side],
                             u->tornado_median[j][side], err);
        }
    free(horizon);
    stats_qsel_free(ws);
    if (st == GS_OK) u->has_tornado = 1, u->tornado_trajectories = n;
    return st;
}

/* ---- Sobol indices ------------------------------------------------------------------ */

/* The design: rows A (0..N-1), B (N..2N-1), AB_j (2N + jN + r) from one design of 2d
 * columns, mapped through the inverse CDFs; streams r, N + r, r.  The design is the
 * Sobol sequence while GSL has one of 2d dimensions, else a Latin hypercube
 * (sensitivity.h). */
static gs_status sobol_design(const gs_scenario *sc, size_t N, uint64_t seed, double *values,
                              uint64_t *stream, gs_error *err)
{
    size_t d = sc->n_uncertain;
    double *ab = malloc(N * 2 * d * sizeof *ab);
    GS_RETURN_IF(!ab, err, GS_ERR_NOMEM, "out of memory (Sobol design)");
    gs_status st = 2 * d <= DESIGN_SOBOL_MAX_DIM
                       ? design_fill(DESIGN_SOBOL, 0, 0, 0, N, 2 * d, ab, err)
                       : design_fill(DESIGN_LHS, seed, SENS_SOBOL_FAMILY, 0, N, 2 * d, ab, err);
    for (size_t r = 0; st == GS_OK && r < N; r++) {
        const double *a = ab + r * 2 * d, *b = a + d;
        memcpy(values + r * d, a, d * sizeof *a);
        memcpy(values + (N + r) * d, b, d * sizeof *b);
        stream[r] = r, stream[N + r] = N + r;
        for (size_t j = 0; j < d; j++) {
            double *row = values + (2 * N + j * N + r) * d;
            memcpy(row, a, d * sizeof *a);
            row[j] = b[j];
            stream[2 * N + j * N + r] = r;
        }
    }
    free(ab);
    if (st == GS_OK) st = uncertain_map(sc, 0, N * (d + 2), values, err);
    return st;
}

static gs_status sobol(const gs_scenario *sc, const gs_run_options *opt, uint64_t seed,
                       gs_uncertainty *u, gs_error *err)
{
    size_t d = u->d, N = (size_t)sc->sensitivity.samples, rows = N * (d + 2);
    GS_RETURN_IF(2 * d > DESIGN_MAX_DIM, err, GS_ERR_INPUT,
                 "%s:%u: sensitivity: Sobol indices take at most %d uncertain parameters", sc->path,
                 sc->sensitivity.line, DESIGN_MAX_DIM / 2);
    int cycles = (int)sc->params.run_cycles + 1, per_cycle = sc->sensitivity.per_cycle;
    double *values = malloc(rows * d * sizeof *values);
    uint64_t *stream = malloc(rows * sizeof *stream);
    double *y = malloc((size_t)METRIC_COUNT * rows * sizeof *y);
    double *yc = per_cycle ? malloc((size_t)cycles * METRIC_COUNT * rows * sizeof *yc) : NULL;
    gs_status st = GS_OK;
    if (!values || !stream || !y || (per_cycle && !yc))
        st = gs_error_set(err, GS_ERR_NOMEM, "out of memory (Sobol indices)");
    if (st == GS_OK) st = sobol_design(sc, N, seed, values, stream, err);
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = u->ids[j];
    engine_job job = {.params = sc->params, .seed = seed, .stream = stream, .n = rows, .d = d,
                      .ids = ids, .values = values, .outcomes_only = 1, .horizon_metrics = y,
                      .cycle_metrics = yc};
    gs_run_options o = *opt;
    o.paths = 0, o.progress = NULL;
    gs_result res;
    if (st == GS_OK && (st = engine_run_job(sc, &job, &o, &res, err)) == GS_OK)
        engine_result_free(&res);
    double f[SCENARIO_MAX_UNCERTAIN], t[SCENARIO_MAX_UNCERTAIN], flo[SCENARIO_MAX_UNCERTAIN],
        fhi[SCENARIO_MAX_UNCERTAIN], tlo[SCENARIO_MAX_UNCERTAIN], thi[SCENARIO_MAX_UNCERTAIN];
    for (int q = 0; st == GS_OK && q < METRIC_COUNT; q++) {
        const double *yq = y + (size_t)q * rows;
        sensitivity_indices(N, d, yq, yq + N, yq + 2 * N, NULL, f, t, &u->sobol_variance[q]);
        st = sensitivity_bootstrap(N, d, yq, yq + N, yq + 2 * N, (size_t)sc->sensitivity.bootstrap,
                                   seed, flo, fhi, tlo, thi, err);
        for (size_t j = 0; j < d; j++) {
            u->first[j][q] = f[j], u->first_lo[j][q] = flo[j], u->first_hi[j][q] = fhi[j];
            u->total[j][q] = t[j], u->total_lo[j][q] = tlo[j], u->total_hi[j][q] = thi[j];
        }
    }
    if (st == GS_OK && per_cycle) {
        u->first_by_cycle = malloc((size_t)cycles * d * METRIC_COUNT * sizeof(double));
        u->total_by_cycle = malloc((size_t)cycles * d * METRIC_COUNT * sizeof(double));
        if (!u->first_by_cycle || !u->total_by_cycle)
            st = gs_error_set(err, GS_ERR_NOMEM, "out of memory (Sobol indices per cycle)");
        for (int k = 0; st == GS_OK && k < cycles; k++)
            for (int q = 0; q < METRIC_COUNT; q++) {
                const double *yq = yc + ((size_t)k * METRIC_COUNT + (size_t)q) * rows;
                sensitivity_indices(N, d, yq, yq + N, yq + 2 * N, NULL, f, t, NULL);
                for (size_t j = 0; j < d; j++) {
                    size_t ix = ((size_t)k * d + j) * METRIC_COUNT + (size_t)q;
                    u->first_by_cycle[ix] = f[j], u->total_by_cycle[ix] = t[j];
                }
            }
        u->n_cycles = cycles;
    }
    free(values);
    free(stream);
    free(y);
    free(yc);
    if (st == GS_OK)
        u->has_sobol = 1, u->sobol_samples = N, u->sobol_bootstrap = sc->sensitivity.bootstrap;
    return st;
}

gs_status sensitivity_run(const gs_scenario *sc, const gs_run_options *opt, gs_uncertainty *u,
                          gs_error *err)
{
    uint64_t seed = opt->seed_set ? opt->seed : sc->seed;
    if (sc->sensitivity.tornado) GS_FORWARD(tornado(sc, opt, seed, u, err));
    if (sc->sensitivity.sobol) GS_FORWARD(sobol(sc, opt, seed, u, err));
    return GS_OK;
}
