/* uncertain.c - per-trajectory parameter draws and their summary (see uncertain.h). */
#include "uncertain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "design.h"
#include "stats.h"

/* Open bounds of a key (hardware.cost0 > 0) are never drawn: a value on such a bound
 * moves to the next double inside. */
static double inside_open_bounds(gs_param_id id, double x)
{
    const gs_param_info *pi = &params_table[id];
    if ((pi->flags & PF_LO_OPEN) && x <= pi->lo) x = nextafter(pi->lo, INFINITY);
    if ((pi->flags & PF_HI_OPEN) && x >= pi->hi) x = nextafter(pi->hi, -INFINITY);
    return x;
}

/* Rows [first, first + n): the design in batches that start at multiples of `batch`
 * (so a batch's LHS is the same whether it is drawn alone or with the others), odd rows
 * mirrored (u -> 1 - u of the row before) when antithetic, then the copula and the
 * inverse CDFs.  Finally every drawn parameter set must pass params_check_relations;
 * the first failing trajectory is reported at the line of the blamed key. */
gs_status uncertain_draw(const gs_scenario *sc, uint64_t seed, uint64_t family, uint64_t first,
                         size_t n, size_t batch, double *values, gs_error *err)
{
    size_t d = sc->n_uncertain;
    if (d == 0 || n == 0) return GS_OK;
    if (batch == 0) batch = n;
    for (size_t r = 0; r < n;) {
        uint64_t g = first + r, batch_start = g - g % batch;
        size_t rows = (size_t)(batch_start + batch - g);
        if (rows > n - r) rows = n - r;
        if (g == batch_start && rows == batch)
            GS_FORWARD(design_fill(sc->design, seed, family, g, rows, d, values + r * d, err));
        else {
            /* a partial batch: draw the whole batch and keep the rows wanted */
            double *tmp = malloc(batch * d * sizeof *tmp);
            GS_RETURN_IF(!tmp, err, GS_ERR_NOMEM, "out of memory drawing parameters");
            gs_status st = design_fill(sc->design, seed, family, batch_start, batch, d, tmp, err);
            if (st == GS_OK) memcpy(values + r * d, tmp + (g - batch_start) * d, rows * d * sizeof *tmp);
            free(tmp);
            GS_FORWARD(st);
        }
        r += rows;
    }
    if (sc->antithetic)
        for (size_t r = 0; r < n; r++) {
            if ((first + r) % 2 == 0) continue;
            double partner[DESIGN_MAX_DIM];
            GS_FORWARD(design_fill(DESIGN_MONTE_CARLO, seed, family, first + r - 1, 1, d, partner,
                                   err));
            for (size_t j = 0; j < d; j++) values[r * d + j] = 1 - partner[j];
        }
    if (sc->n_rank_corr) {
        double L[DESIGN_MAX_DIM * DESIGN_MAX_DIM];
        GS_RETURN_IF(scenario_copula_factor(sc, L) != GS_OK, err, GS_ERR_INPUT,
                     "%s: uncertainty.correlations: not positive definite", sc->path);
        design_copula_apply(n, d, L, values);
    }
    return uncertain_map(sc, first, n, values, err);
}

/* values[r][j]: uniforms in, parameter values out (inverse CDFs), then the relations. */
gs_status uncertain_map(const gs_scenario *sc, uint64_t first, size_t n, double *values,
                        gs_error *err)
{
    size_t d = sc->n_uncertain;
    size_t bad = SIZE_MAX;
    gs_param_id bad_id = 0;
    char bad_msg[512] = "";
    /* each distribution's constants once (the beta's ln B and ln Γ), not per value */
    gs_dist_prep *prep = malloc(d * sizeof *prep);
    GS_RETURN_IF(!prep, err, GS_ERR_NOMEM, "out of memory drawing parameters");
    for (size_t j = 0; j < d; j++) dist_prepare(&sc->uncertain[j].dist, &prep[j]);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < n; r++) {
        gs_params p = sc->params;
        for (size_t j = 0; j < d; j++) {
            const scenario_uncertain *u = &sc->uncertain[j];
            double x = inside_open_bounds(u->id, dist_quantile_prepared(&prep[j], values[r * d + j]));
            values[r * d + j] = x;
            *params_field(&p, u->id) = x;
        }
        gs_param_id id;
        char msg[512];
        if (params_check_relations(&p, &id, msg, sizeof msg) != GS_OK) {
#pragma omp critical(uncertain_draw_error)
            if (r < bad) bad = r, bad_id = id, memcpy(bad_msg, msg, sizeof msg);
        }
    }
    for (size_t j = 0; j < d; j++) dist_prep_free(&prep[j]);
    free(prep);
    if (bad == SIZE_MAX) return GS_OK;
    int u = scenario_uncertain_index(sc, bad_id);
    const scenario_uncertain *blamed = &sc->uncertain[u < 0 ? 0 : u];
    return gs_error_set(err, GS_ERR_INPUT, "%s:%u: %s: the draw of trajectory %llu breaks a relation: %s",
                        sc->path, blamed->line, params_table[blamed->id].key,
                        (unsigned long long)(first + bad), bad_msg);
}

/* ---- the summary of a run's draws ------------------------------------------------ */

void uncertain_free(gs_uncertainty *u)
{
    if (!u) return;
    free(u->first_by_cycle);
    free(u->total_by_cycle);
    free(u);
}

gs_status uncertain_describe(const gs_scenario *sc, const double *values, size_t n,
                             gs_uncertainty **out, gs_error *err)
{
    gs_uncertainty *u = calloc(1, sizeof *u);
    GS_RETURN_IF(!u, err, GS_ERR_NOMEM, "out of memory");
    size_t d = u->d = sc->n_uncertain;
    for (size_t j = 0; j < d; j++) {
        const gs_dist *dist = &sc->uncertain[j].dist;
        u->ids[j] = sc->uncertain[j].id;
        dist_describe(dist, u->dist_text[j], SENS_DIST_TEXT);
        u->p10[j] = dist_quantile(dist, 0.1);
        u->p50[j] = dist_quantile(dist, 0.5);
        u->p90[j] = dist_quantile(dist, 0.9);
    }
    /* the draws' means, each parameter's on its own column (the same bits in any order) */
    int nomem = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : nomem)
    for (size_t j = 0; j < d; j++) {
        double *col = malloc((n ? n : 1) * sizeof *col);
        if (!col) {
            nomem = 1;
            continue;
        }
        stats_moments m;
        for (size_t r = 0; r < n; r++) col[r] = values[r * d + j];
        stats_moments_of(col, n, &m);
        free(col);
        u->draw_mean[j] = m.mean;
    }
    if (nomem) {
        free(u);
        return gs_error_set(err, GS_ERR_NOMEM, "out of memory");
    }
    u->n_pairs = sc->n_rank_corr;
    for (size_t c = 0; c < sc->n_rank_corr; c++) {
        const scenario_rank_corr *rc = &sc->rank_corr[c];
        u->pair_a[c] = rc->a, u->pair_b[c] = rc->b, u->pair_target[c] = rc->rho;
        u->pair_achieved[c] = design_spearman(n, d, values, (size_t)scenario_uncertain_index(sc, rc->a),
                                              (size_t)scenario_uncertain_index(sc, rc->b));
    }
    *out = u;
    return GS_OK;
}
