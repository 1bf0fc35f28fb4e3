/* compare.c - `gapsim compare`: two runs side by side, every difference judged against
 * the Monte Carlo error.  Prints only to the FILE* it is given. */
#include "compare.h"

#include <math.h>
#include <stdio.h>

#include "model.h"
#include "params.h"

/* Index of the quantile level closest to want (as the summary picks its levels). */
static size_t nearest_level(const gs_result *r, double want)
{
    size_t best = 0;
    for (size_t q = 1; q < r->n_quantiles; q++)
        if (fabs(r->quantile_levels[q] - want) < fabs(r->quantile_levels[best] - want)) best = q;
    return best;
}

/* Monte Carlo standard error of the stored sample quantile q of variable v at the
 * horizon.  For the p-quantile of n draws (asymptotic normality of order statistics)
 *     se(q_p) = sqrt(p (1 - p) / n) / f(q_p),
 * with the density f(q_p) estimated from the neighbouring stored levels:
 *     1 / f(q_p) ≈ (q_{p+} - q_{p-}) / (p+ - p-).
 * NaN when there is no neighbouring level. */
double compare_quantile_se(const gs_result *r, int v, size_t q)
{
    int K = r->n_cycles - 1;
    size_t lo = q > 0 ? q - 1 : q, hi = q + 1 < r->n_quantiles ? q + 1 : q;
    double dp = r->quantile_levels[hi] - r->quantile_levels[lo];
    if (hi == lo || dp <= 0 || r->trajectories == 0) return NAN;
    double p = r->quantile_levels[q];
    double dq = r->quantile[result_qix(r, v, K, hi)] - r->quantile[result_qix(r, v, K, lo)];
    return sqrt(p * (1 - p) / (double)r->trajectories) * fabs(dq) / dp;
}

/* "yes" when |delta| > 2 se_delta (se_delta = sqrt(se_A² + se_B²)), "no" otherwise,
 * "?" when the error is unknown; counted in t. */
const char *compare_judge(compare_tally *t, double delta, double se_delta)
{
    t->compared++;
    if (delta == 0) return "no";
    if (!isfinite(se_delta)) return "?";
    if (fabs(delta) > 2 * se_delta) {
        t->differ++;
        return "yes";
    }
    return "no";
}

static void compare_header(FILE *out, const char *tag, const char *file, const gs_scenario *sc,
                           const gs_result *r, long point)
{
    fprintf(out, "  %s: %s", tag, file);
    if (point >= 0) fprintf(out, " (point %ld)", point);
    fprintf(out, "\n     scenario '%s', %llu trajectories, seed %llu, %d cycles of %g years\n",
            sc->name, (unsigned long long)r->trajectories, (unsigned long long)r->seed,
            r->n_cycles - 1, r->cycle_years);
}

/* The parameters whose values differ between the two runs. */
static void compare_params(FILE *out, const gs_scenario *a, const gs_scenario *b)
{
    int n = 0;
    for (int i = 0; i < PARAM_COUNT; i++)
        n += params_get(&a->params, (gs_param_id)i) != params_get(&b->params, (gs_param_id)i);
    if (n == 0) {
        fprintf(out, "\nAssumptions: all %d parameters equal.\n", PARAM_COUNT);
        return;
    }
    fprintf(out, "\nAssumptions that differ (%d of %d parameters):\n", n, PARAM_COUNT);
    fprintf(out, "  %-36s %12s %12s  %s\n", "key", "A", "B", "unit");
    for (int i = 0; i < PARAM_COUNT; i++) {
        double va = params_get(&a->params, (gs_param_id)i),
               vb = params_get(&b->params, (gs_param_id)i);
        if (va != vb)
            fprintf(out, "  %-36s %12.6g %12.6g  %s\n", params_table[i].key, va, vb,
                    params_table[i].unit);
    }
}

/* Outcome probabilities side by side; difference when |Δp| > 2 sqrt(se_A² + se_B²). */
static void compare_outcomes(FILE *out, const gs_result *a, const gs_result *b, compare_tally *t)
{
    fprintf(out, "\nOutcome probabilities at the horizon; differs: |change| > 2 SE,"
                 " SE = sqrt(se_A^2 + se_B^2)\n");
    fprintf(out, "  %-13s %-9s %8s %8s %9s %8s  %s\n", "metric", "outcome", "P(A)", "P(B)",
            "change", "2 SE", "differs");
    for (int m = 0; m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double pa = a->outcome_probability[m][o], pb = b->outcome_probability[m][o];
            double sa = a->outcome_stderr[m][o], sb = b->outcome_stderr[m][o];
            double se = sqrt(sa * sa + sb * sb);
            fprintf(out, "  %-13s %-9s %8.4f %8.4f %+9.4f %8.4f  %s\n",
                    model_vars[model_metrics[m]].name, model_outcome_names[o], pa, pb, pb - pa,
                    2 * se, compare_judge(t, pb - pa, se));
        }
}

/* Key horizon quantiles side by side (5%, median, 95%), with the rule of quantile_se. */
static void compare_quantiles(FILE *out, const gs_result *a, const gs_result *b, compare_tally *t)
{
    static const gs_var vars[] = {VAR_premium,    VAR_premium_q,    VAR_lag_months,
                                  VAR_price_open, VAR_price_closed, VAR_closed_share,
                                  VAR_rent,       VAR_lcoi_open,    VAR_lcoi_closed};
    static const double levels[] = {0.05, 0.5, 0.95};
    int Ka = a->n_cycles - 1, Kb = b->n_cycles - 1;
    fprintf(out,
            "\nQuantiles at the horizon (A: cycle %d, B: cycle %d); differs: |change| > 2 SE,\n"
            "  SE = sqrt(se_A^2 + se_B^2), se of a sample p-quantile = sqrt(p(1-p)/n) / f,\n"
            "  density f from the neighbouring stored quantile levels\n",
            Ka, Kb);
    if (!a->n_quantiles || !b->n_quantiles) {
        fprintf(out, "  (no quantiles stored)\n");
        return;
    }
    fprintf(out, "  %-14s %-9s %5s %11s %11s %11s %10s  %s\n", "variable", "unit", "level", "A",
            "B", "change", "2 SE", "differs");
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            int v = vars[i];
            size_t qa = nearest_level(a, levels[l]), qb = nearest_level(b, levels[l]);
            if (a->quantile_levels[qa] != b->quantile_levels[qb]) continue;
            double xa = a->quantile[result_qix(a, v, Ka, qa)];
            double xb = b->quantile[result_qix(b, v, Kb, qb)];
            double sa = compare_quantile_se(a, v, qa), sb = compare_quantile_se(b, v, qb);
            double se = sqrt(sa * sa + sb * sb);
            fprintf(out, "  %-14s %-9s %5.2f %11.4g %11.4g %+11.3g %10.3g  %s\n",
                    model_vars[v].name, model_vars[v].units, a->quantile_levels[qa], xa, xb,
                    xb - xa, 2 * se, compare_judge(t, xb - xa, se));
        }
}

compare_tally compare_write(FILE *out, const compare_side *a, const compare_side *b)
{
    fprintf(out, "gapsim compare: B against A\n");
    compare_header(out, "A", a->file, a->sc, a->res, a->point);
    compare_header(out, "B", b->file, b->sc, b->res, b->point);
    compare_params(out, a->sc, b->sc);
    compare_tally t = {0, 0};
    compare_outcomes(out, a->res, b->res, &t);
    compare_quantiles(out, a->res, b->res, &t);
    if (t.differ == 0)
        fprintf(out, "\nNo differences beyond the Monte Carlo error (%d numbers compared).\n",
                t.compared);
    else
        fprintf(out, "\n%d of %d numbers differ beyond the Monte Carlo error.\n", t.differ,
                t.compared);
    return t;
}
