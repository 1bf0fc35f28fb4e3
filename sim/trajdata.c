/* trajdata.c - the per-trajectory data of --keep-draws (see trajdata.h). */
#include "trajdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

const traj_summary_info traj_summaries[TRAJ_SUMMARY_COUNT] = {
#define TRAJ_SUMMARY_INFO(name, long_name) {#name, long_name},
    TRAJ_SUMMARIES(TRAJ_SUMMARY_INFO)
#undef TRAJ_SUMMARY_INFO
};

void trajdata_free(gs_trajdata *t)
{
    if (!t) return;
    free(t->draws);
    free(t->cls);
    free(t->cls_by_cycle);
    free(t->summary);
    free(t->mean_catch_up);
    trajdata_finish(t); /* frees the working state if still there */
    free(t);
}

static void working_free(gs_trajdata *t)
{
    free(t->ring), free(t->ref), free(t->prev), free(t->catch_sum), free(t->catch_n);
    free(t->compound_ratio), free(t->collapse_ratio);
    t->ring = t->ref = t->prev = t->catch_sum = NULL;
    t->catch_n = NULL;
    t->compound_ratio = t->collapse_ratio = NULL;
}

/* The horizons of the by-cycle classes: first .. K (n of them). */
static void horizons(int n_cycles, int k_now, int window, int *first, int *n)
{
    const int K = n_cycles - 1;
    *first = k_now + 1 > window - 1 ? k_now + 1 : window - 1;
    *n = K >= *first ? K - *first + 1 : 0;
}

void trajdata_row_bytes(size_t d, int n_cycles, int k_now, int window, double *kept,
                        double *working)
{
    int first, H;
    if (window < 1) window = 1;
    horizons(n_cycles, k_now, window, &first, &H);
    /* draws, class at the horizon and by cycle, summaries, mean catch-up */
    *kept = 4.0 * (double)d + METRIC_COUNT * (1.0 + H) + TRAJ_SUMMARY_COUNT + 4.0;
    /* ring, ref, prev, catch_sum, catch_n, the two thresholds */
    *working = 8.0 * METRIC_COUNT * (window + 1.0) + 32.0 + 8.0 + 4.0 + 16.0;
}

gs_status trajdata_create(gs_trajdata **out, uint64_t n, uint64_t first, uint64_t count,
                          size_t d, const gs_param_id *ids, const double *values,
                          const double *compound, const double *collapse, int n_cycles,
                          int k_now, int window, gs_error *err)
{
    *out = NULL;
    GS_RETURN_IF(d > sizeof ((gs_trajdata *)0)->ids / sizeof(gs_param_id), err, GS_ERR_INPUT,
                 "--keep-draws: at most 64 uncertain parameters (%zu given)", d);
    gs_trajdata *t = calloc(1, sizeof *t);
    GS_RETURN_IF(!t, err, GS_ERR_NOMEM, "out of memory for the trajectories' data");
    t->n = n, t->first = first, t->count = count, t->d = d;
    for (size_t j = 0; j < d; j++) t->ids[j] = ids[j];
    t->n_cycles = n_cycles, t->k_now = k_now, t->window = window < 1 ? 1 : window;
    horizons(n_cycles, k_now, t->window, &t->first_horizon, &t->n_horizons);
    const size_t c = count ? (size_t)count : 1, W = (size_t)t->window;
    t->draws = malloc((d ? d : 1) * c * sizeof(float));
    t->cls = malloc(METRIC_COUNT * c);
    t->cls_by_cycle = malloc(METRIC_COUNT * c * (size_t)(t->n_horizons ? t->n_horizons : 1));
    t->summary = calloc(TRAJ_SUMMARY_COUNT * c, 1);
    t->mean_catch_up = malloc(c * sizeof(float));
    t->ring = malloc(METRIC_COUNT * W * c * sizeof(double));
    t->ref = malloc(METRIC_COUNT * c * sizeof(double));
    t->prev = malloc(4 * c * sizeof(double));
    t->catch_sum = calloc(c, sizeof(double));
    t->catch_n = calloc(c, sizeof(uint32_t));
    t->compound_ratio = malloc(c * sizeof(double));
    t->collapse_ratio = malloc(c * sizeof(double));
    if (!t->draws || !t->cls || !t->cls_by_cycle || !t->summary || !t->mean_catch_up ||
        !t->ring || !t->ref || !t->prev || !t->catch_sum || !t->catch_n ||
        !t->compound_ratio || !t->collapse_ratio) {
        trajdata_free(t);
        return gs_error_set(err, GS_ERR_NOMEM,
                            "out of memory for the data of %llu trajectories (--keep-draws)",
                            (unsigned long long)count);
    }
    for (size_t i = 0; i < (size_t)count; i++) {
        for (size_t j = 0; j < d; j++) t->draws[j * (size_t)count + i] = (float)values[i * d + j];
        t->compound_ratio[i] = compound[i];
        t->collapse_ratio[i] = collapse[i];
    }
    *out = t;
    return GS_OK;
}

static int8_t classify(const gs_trajdata *t, int q, size_t i, double acc)
{
    const double W = (double)t->window;
    const double horizon = model_metric_arithmetic(q) ? acc / W : exp(acc / W);
    const int c = model_classify(t->ref[(size_t)q * t->count + i], horizon,
                                 t->compound_ratio[i], t->collapse_ratio[i]);
    return (int8_t)(c == OUTCOME_UNDEFINED ? TRAJ_CLASS_UNDEFINED : c);
}

static void bump(uint8_t *x)
{
    if (*x < UINT8_MAX) (*x)++;
}

void trajdata_cycle(gs_trajdata *t, size_t i0, size_t m, int k, double *const out[VAR_COUNT])
{
    const size_t N = (size_t)t->count, W = (size_t)t->window;
    const int K = t->n_cycles - 1;
    /* the window values and, from the first horizon on, the by-cycle classes: the sum of
     * the W values of cycles h-W+1 .. h in cycle order, as the engine sums them, so that
     * the class at h = K is the engine's */
    for (int q = 0; q < METRIC_COUNT; q++) {
        const double *v = out[model_metrics[q]];
        const int arith = model_metric_arithmetic(q);
        for (size_t a = 0; a < m; a++) {
            const size_t i = i0 + a;
            const double tv = model_metric_transform(q, v[a]);
            if (k == t->k_now) t->ref[(size_t)q * N + i] = tv;
            t->ring[((size_t)q * W + (size_t)k % W) * N + i] = arith ? tv : log(tv);
        }
        if (k < t->first_horizon && k != K) continue;
        const int c0 = k - (int)W + 1 > 0 ? k - (int)W + 1 : 0;
        for (size_t a = 0; a < m; a++) {
            const size_t i = i0 + a;
            double acc = 0.0;
            for (int c = c0; c <= k; c++) acc += t->ring[((size_t)q * W + (size_t)c % W) * N + i];
            const int8_t cl = classify(t, q, i, acc);
            if (k >= t->first_horizon)
                t->cls_by_cycle[((size_t)q * N + i) * (size_t)t->n_horizons +
                                (size_t)(k - t->first_horizon)] = cl;
            if (k == K) t->cls[(size_t)q * N + i] = cl;
        }
    }
    /* events visible in the recorded values, and the realised catch-up fraction
     * (Q^o_k − Q^o_{k−1}) / (Q^c_k − Q^o_{k−1}) of every cycle whose gap was open */
    const double *qo = out[VAR_quality_open], *qc = out[VAR_quality_closed];
    const double *g = out[VAR_restricted], *nl = out[VAR_closed_labs];
    double *p_qo = t->prev, *p_qc = t->prev + N, *p_g = t->prev + 2 * N, *p_n = t->prev + 3 * N;
    for (size_t a = 0; a < m; a++) {
        const size_t i = i0 + a;
        if (k > 0) {
            const double gap = qc[a] - p_qo[i];
            if (gap > 0.0 && isfinite(qo[a])) {
                t->catch_sum[i] += (qo[a] - p_qo[i]) / gap;
                t->catch_n[i]++;
            }
            if (g[a] != p_g[i]) bump(&t->summary[(size_t)TRAJ_governance_switches * N + i]);
            if (nl[a] > p_n[i]) bump(&t->summary[(size_t)TRAJ_lab_entries * N + i]);
            if (nl[a] < p_n[i]) bump(&t->summary[(size_t)TRAJ_lab_exits * N + i]);
        }
        p_qo[i] = qo[a], p_qc[i] = qc[a], p_g[i] = g[a], p_n[i] = nl[a];
    }
}

void trajdata_events(gs_trajdata *t, size_t i, const gs_params *p, uint64_t seed,
                     uint64_t point, uint64_t stream, int mirrored)
{
    rng_pcg32 r;
    rng_stream(&r, seed, point, mirrored ? stream & ~1ULL : stream);
    unsigned shocks = 0, breakthroughs = 0;
    model_count_events(p, &r, mirrored, t->n_cycles - 1, &shocks, &breakthroughs);
    const size_t N = (size_t)t->count;
    t->summary[(size_t)TRAJ_supply_shocks * N + i] = (uint8_t)(shocks < 255 ? shocks : 255);
    t->summary[(size_t)TRAJ_breakthroughs * N + i] =
        (uint8_t)(breakthroughs < 255 ? breakthroughs : 255);
}

void trajdata_finish(gs_trajdata *t)
{
    if (!t || !t->catch_n) return;
    for (size_t i = 0; i < (size_t)t->count; i++)
        t->mean_catch_up[i] =
            t->catch_n[i] ? (float)(t->catch_sum[i] / (double)t->catch_n[i]) : NAN;
    working_free(t);
}
