/* summary.c - the console report (see summary.h). */
#include "summary.h"

#include <math.h>
#include <string.h>

#include "sensitivity.h"
#include "sweep.h"

/* Index of the quantile level closest to want. */
static size_t nearest_level(const gs_result *r, double want)
{
    size_t best = 0;
    for (size_t q = 1; q < r->n_quantiles; q++)
        if (fabs(r->quantile_levels[q] - want) < fabs(r->quantile_levels[best] - want)) best = q;
    return best;
}

/* Formats x in a width-9 field: fixed for moderate magnitudes, engineering-like
 * suffixes (k, M, B, T) for large ones. */
static const char *fmt_value(char *buf, size_t size, double x)
{
    double a = fabs(x);
    if (!isfinite(x)) snprintf(buf, size, "%9s", isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf"));
    else if (a >= 1e15) snprintf(buf, size, "%9.2e", x);
    else if (a >= 1e12) snprintf(buf, size, "%8.3gT", x / 1e12);
    else if (a >= 1e9) snprintf(buf, size, "%8.3gB", x / 1e9);
    else if (a >= 1e6) snprintf(buf, size, "%8.3gM", x / 1e6);
    else if (a >= 1e4) snprintf(buf, size, "%8.3gk", x / 1e3);
    else if (a >= 100) snprintf(buf, size, "%9.1f", x);
    else if (a >= 0.01 || a == 0) snprintf(buf, size, "%9.3f", x);
    else snprintf(buf, size, "%9.2e", x);
    return buf;
}

/* Variables shown in the horizon table, with a short label and unit. */
static const struct {
    gs_var var;
    const char *label, *unit;
} horizon_rows[] = {
    {VAR_price_open, "open price", "$/Mtok"},
    {VAR_price_closed, "closed price", "$/Mtok"},
    {VAR_premium, "premium P^c/P^o - 1", "x"},
    {VAR_premium_q, "quality-adj. premium", "x"},
    {VAR_gap, "relative gap", "1"},
    {VAR_lag_months, "lag", "months"},
    {VAR_closed_share, "closed share", "1"},
    {VAR_readiness, "open readiness", "1"},
    {VAR_closed_labs, "closed labs", "labs"},
    {VAR_training_budget, "budget per lab", "$/yr"},
    {VAR_rent, "rent", "$/yr"},
    {VAR_closed_profit, "closed profit", "$/yr"},
    {VAR_lcoi_open, "LCOI open", "$/Mtok"},
    {VAR_lcoi_closed, "LCOI closed", "$/Mtok"},
    {VAR_hw_cost, "accelerator cost", "$/A.h"},
    {VAR_power_price, "electricity", "$/kWh"},
};

static void print_start(FILE *f, const gs_result *r)
{
    char a[32], b[32], c[32];
    fprintf(f, "Starting market (cycle 0, %.1f)\n", r->start_year);
    fprintf(f, "  open price %s $/Mtok   closed price %s $/Mtok   premium %s x\n",
            fmt_value(a, sizeof a, r->mean[result_ix(r, VAR_price_open, 0)]),
            fmt_value(b, sizeof b, r->mean[result_ix(r, VAR_price_closed, 0)]),
            fmt_value(c, sizeof c, r->mean[result_ix(r, VAR_premium, 0)]));
    fprintf(f, "  gap %.1f%% (%.1f months)   closed share %.2f   equilibrium share %.2f\n",
            100.0 * r->mean[result_ix(r, VAR_gap, 0)], r->mean[result_ix(r, VAR_lag_months, 0)],
            r->mean[result_ix(r, VAR_closed_share, 0)],
            r->mean[result_ix(r, VAR_equilibrium_share, 0)]);
}

static void print_horizon(FILE *f, const gs_result *r)
{
    int K = r->n_cycles - 1;
    size_t lo = nearest_level(r, 0.05), md = nearest_level(r, 0.5), hi = nearest_level(r, 0.95);
    fprintf(f, "\nAt the horizon (cycle %d, %.1f): median and %g%%-%g%% band\n", K,
            r->start_year + K * r->cycle_years, 100 * r->quantile_levels[lo],
            100 * r->quantile_levels[hi]);
    fprintf(f, "  %-22s %-10s %9s %9s %9s %9s\n", "variable", "unit", "start", "low",
            "median", "high");
    for (size_t i = 0; i < sizeof horizon_rows / sizeof horizon_rows[0]; i++) {
        int v = horizon_rows[i].var;
        char s0[32], s1[32], s2[32], s3[32];
        fprintf(f, "  %-22s %-10s %s %s %s %s\n", horizon_rows[i].label, horizon_rows[i].unit,
                fmt_value(s0, sizeof s0, r->mean[result_ix(r, v, 0)]),
                fmt_value(s1, sizeof s1, r->quantile[result_qix(r, v, K, lo)]),
                fmt_value(s2, sizeof s2, r->quantile[result_qix(r, v, K, md)]),
                fmt_value(s3, sizeof s3, r->quantile[result_qix(r, v, K, hi)]));
    }
}

/* The outcome table (MODEL.md §8): the window, the reference cycle, each class's P and
 * SE over the defined trajectories, and the undefined share beside them.  The answer
 * line names the premium's most likely class only when at most 1% of trajectories are
 * undefined for it. */
static void print_outcomes(FILE *f, const gs_scenario *sc, const gs_result *r)
{
    const gs_params *p = &sc->params;
    int K = r->n_cycles - 1, W = (int)p->outcome_window, k_now = model_k_now(p);
    double t0 = p->run_start_year, dt = r->cycle_years;
    fprintf(f, "\nOutcome, r = horizon / reference: horizon = geometric mean over cycles %d-%d "
               "(%.1f-%.1f),\n  reference = cycle %d (%.1f, history.now); closed_share on the odds "
               "S/(1-S), premium_q on 1 + pi^Q,\n  closed_labs arithmetic mean\n",
            K - W + 1, K, t0 + (K - W + 1) * dt, t0 + K * dt, k_now, t0 + k_now * dt);
    fprintf(f, "  compound: r >= %g   collapse: r <= %g   persist: between"
               "   (P +- 1 standard error%s)\n",
            p->outcome_compound_ratio, p->outcome_collapse_ratio,
            r->antithetic ? ", from antithetic pair means" : "");
    fprintf(f, "  %-14s %-17s %-17s %-17s %s\n", "metric", "P(compound)", "P(persist)",
            "P(collapse)", "undefined");
    for (int q = 0; q < METRIC_COUNT; q++) {
        fprintf(f, "  %-14s", model_vars[model_metrics[q]].name);
        for (int o = 0; o < OUTCOME_COUNT; o++)
            fprintf(f, " %6.4f +- %-6.4f", r->outcome_probability[q][o], r->outcome_stderr[q][o]);
        fprintf(f, " %llu\n", (unsigned long long)r->outcome_undefined[q]);
    }
    /* The headline: the premium's most likely fate with its 95% Wilson interval. */
    int q = 1, best = 0;
    for (int o = 1; o < OUTCOME_COUNT; o++)
        if (r->outcome_probability[q][o] > r->outcome_probability[q][best]) best = o;
    double undefined = r->trajectories ? (double)r->outcome_undefined[q] / (double)r->trajectories : 0;
    /* More than 1% undefined names an outcome only when it would stay the most likely
     * even if every undefined trajectory belonged to the runner-up. */
    uint64_t second = 0;
    for (int o = 0; o < OUTCOME_COUNT; o++)
        if (o != best && r->outcome_count[q][o] > second) second = r->outcome_count[q][o];
    int robust = r->outcome_count[q][best] > second + r->outcome_undefined[q];
    if ((undefined > 0.01 && !robust) || !(r->outcome_probability[q][best] >= 0)) {
        fprintf(f, "\nAnswer: none: the premium's outcome is undefined (not finite) in %.1f%% of the\n"
                   "        %llu trajectories (more than 1%%), so no outcome is named (seed %llu).\n",
                100.0 * undefined, (unsigned long long)r->trajectories, (unsigned long long)r->seed);
        return;
    }
    fprintf(f, "\nAnswer: the closed premium most likely %ss (P = %.3f, 95%% CI %.3f-%.3f,\n"
               "        %llu trajectories, seed %llu).\n",
            model_outcome_names[best], r->outcome_probability[q][best],
            r->outcome_ci_low[q][best], r->outcome_ci_high[q][best],
            (unsigned long long)r->trajectories, (unsigned long long)r->seed);
    if (undefined > 0.01)
        fprintf(f, "        %.1f%% of them are undefined for the premium: too few to change the answer\n"
                   "        even if all were the runner-up.\n", 100.0 * undefined);
}

/* The uncertain parameters, the achieved rank correlations and, when run, the ranked
 * sensitivity table for the premium (Sobol indices with 95% bootstrap intervals, and
 * the tornado's swing of P(compound)). */
static void print_uncertainty(FILE *f, const gs_uncertainty *u)
{
    fprintf(f, "\nUncertain parameters (drawn once per trajectory)\n");
    for (size_t j = 0; j < u->d; j++)
        fprintf(f, "  %-28s %s\n", params_table[u->ids[j]].key, u->dist_text[j]);
    for (size_t c = 0; c < u->n_pairs; c++)
        fprintf(f, "  rank correlation %s ~ %s: asked %.3f, achieved %.3f\n",
                params_table[u->pair_a[c]].key, params_table[u->pair_b[c]].key, u->pair_target[c],
                u->pair_achieved[c]);
    if (!u->has_sobol && !u->has_tornado) return;
    for (int q = 0; q < METRIC_COUNT; q++) {
        if (q != 1 && q != 0) continue; /* premium and lag in the console; all in the file */
        size_t order[SCENARIO_MAX_UNCERTAIN];
        sensitivity_rank(u, q, order);
        fprintf(f, "\nWhat decides %s at the horizon (ranked%s)\n", model_vars[model_metrics[q]].name,
                u->has_sobol ? " by total Sobol index" : " by tornado swing");
        if (u->has_sobol)
            fprintf(f, "  %-28s %-21s %-21s", "parameter", "first-order [95% CI]", "total [95% CI]");
        else
            fprintf(f, "  %-28s", "parameter");
        if (u->has_tornado) fprintf(f, " P(compound) p10 -> p90");
        fprintf(f, "\n");
        for (size_t i = 0; i < u->d; i++) {
            size_t j = order[i];
            fprintf(f, "  %-28s", params_table[u->ids[j]].key);
            if (u->has_sobol)
                fprintf(f, " %5.2f [%5.2f,%5.2f]  %5.2f [%5.2f,%5.2f] ", u->first[j][q], u->first_lo[j][q],
                        u->first_hi[j][q], u->total[j][q], u->total_lo[j][q], u->total_hi[j][q]);
            if (u->has_tornado)
                fprintf(f, " %.3f -> %.3f (%+.3f)", u->tornado_compound[j][0][q],
                        u->tornado_compound[j][1][q],
                        u->tornado_compound[j][1][q] - u->tornado_compound[j][0][q]);
            fprintf(f, "\n");
        }
        if (u->has_tornado)
            fprintf(f, "  (every parameter at its median: P(compound) = %.3f, median %s = %.4g)\n",
                    u->tornado_base_compound[q], model_vars[model_metrics[q]].name,
                    u->tornado_base_median[q]);
    }
    if (u->has_sobol)
        fprintf(f, "  Sobol: %llu base samples, %llu bootstrap resamples; 1 - sum of first-order\n"
                   "  indices is the share of variance from interactions and the per-cycle shocks.\n",
                (unsigned long long)u->sobol_samples, (unsigned long long)u->sobol_bootstrap);
}

/* One line per point: the swept values and P(compound), P(persist), P(collapse) of the
 * sweep's metric with their standard errors. */
static void print_sweep(FILE *f, const gs_scenario *sc, const gs_result *res, const gs_sweep *sw)
{
    static const char *const kinds[] = {"none", "grid", "lhs", "sobol"};
    int q = sw->metric;
    fprintf(f, "gapsim: scenario '%s' (%s)\n", sc->name, sc->path ? sc->path : "");
    fprintf(f, "  %s sweep of %zu points, %llu trajectories each, seed %llu, common random "
               "numbers %s\n\n",
            kinds[sw->kind], sw->n_points, (unsigned long long)res->trajectories,
            (unsigned long long)res->seed, sw->crn ? "on" : "off");
    fprintf(f, "Outcome of %s at the horizon per point (P +- 1 standard error)\n",
            model_vars[model_metrics[q]].name);
    fprintf(f, "  %5s", "point");
    for (size_t j = 0; j < sw->n_keys; j++) fprintf(f, " %14.14s", params_table[sw->keys[j]].key + (strchr(params_table[sw->keys[j]].key, '.') - params_table[sw->keys[j]].key) + 1);
    fprintf(f, "  %-17s %-17s %-17s\n", "P(compound)", "P(persist)", "P(collapse)");
    for (size_t p = 0; p < sw->n_points; p++) {
        const gs_result *r = &sw->points[p];
        fprintf(f, "  %5zu", p);
        for (size_t j = 0; j < sw->n_keys; j++) fprintf(f, " %14.6g", sw->values[p * sw->n_keys + j]);
        for (int o = 0; o < OUTCOME_COUNT; o++)
            fprintf(f, "  %6.4f +- %-6.4f", r->outcome_probability[q][o], r->outcome_stderr[q][o]);
        if (r->batches) fprintf(f, "  (%llu traj.)", (unsigned long long)r->trajectories);
        fprintf(f, "\n");
    }
}

/* The History block of a history-matched run (docs/history.md): accepted of drawn, each
 * target's observation, accepted median, band and rejection share, the parameters that
 * moved most, the waves, and a warning below 1% acceptance. */
static void print_history(FILE *f, const gs_scenario *sc, const gs_history *h)
{
    const targets_tally *t = &h->tally;
    double rate = t->drawn ? (double)t->accepted / (double)t->drawn : 0;
    fprintf(f, "\nHistory: %llu of %llu drawn trajectories are consistent with %g-%g (%.1f%%)\n"
               "  cutoff %g, rule %s, targets %s\n"
               "  (the statistics above and the outcomes below are over the accepted ones)\n",
            (unsigned long long)t->accepted, (unsigned long long)t->drawn,
            sc->params.run_start_year, sc->params.history_now, 100 * rate, h->cutoff,
            h->rule == TARGETS_RULE_SECOND_MAX ? "second_max" : "max", h->set.path);
    fprintf(f, "  %-5s %-16s %-7s %9s %9s  %-21s %8s\n", "name", "variable", "cycles", "observed",
            "accepted", "band (median in?)", "rejects");
    for (size_t j = 0; j < h->set.n; j++) {
        const targets_target *g = &h->set.t[j];
        char cyc[16], a[32], b[32], lo[32], hi[32];
        if (g->k_first == g->k_last) snprintf(cyc, sizeof cyc, "c%d", g->k_first);
        else snprintf(cyc, sizeof cyc, "c%d-c%d", g->k_first, g->k_last);
        fmt_value(a, sizeof a, g->value);
        fmt_value(b, sizeof b, h->sim_accepted[j * TARGETS_N_LEVELS + 2]);
        fmt_value(lo, sizeof lo, h->band_lo[j]);
        fmt_value(hi, sizeof hi, h->band_hi[j]);
        char *l = lo, *r = hi;
        while (*l == ' ') l++;
        while (*r == ' ') r++;
        char band[96];
        snprintf(band, sizeof band, "[%s, %s] %s", l, r, h->median_in_band[j] ? "yes" : "NO");
        fprintf(f, "  %-5s %-16s %-7s %s %s  %-21s %7.1f%%\n", g->name,
                model_vars[g->var].name, cyc, a, b, band,
                t->drawn ? 100.0 * (double)t->rejected[j] / (double)t->drawn : 0.0);
    }
    if (h->d) {
        size_t order[SCENARIO_MAX_UNCERTAIN];
        targets_rank_moved(h->param, h->d, order);
        fprintf(f, "  moved most by history (median, prior -> posterior; shift in prior IQRs):\n");
        for (size_t i = 0; i < 3 && i < h->d; i++) {
            const targets_param_summary *s = &h->param[order[i]];
            fprintf(f, "    %-34s %10.4g -> %-10.4g (%+.2f)\n", params_table[h->ids[order[i]]].key,
                    s->prior[2], s->posterior[2], s->shift);
        }
    }
    if (h->n_waves > 1 || h->wave_stop[0]) {
        fprintf(f, "  waves:");
        for (size_t w = 0; w < h->n_waves; w++)
            fprintf(f, " %zu: %.1f%%", w + 1,
                    h->wave_drawn[w] ? 100.0 * (double)h->wave_accepted[w] / (double)h->wave_drawn[w] : 0.0);
        fprintf(f, "\n");
        if (h->n_waves > 1) {
            double m = 0;
            for (int q = 0; q < METRIC_COUNT; q++)
                for (int o = 0; o < OUTCOME_COUNT; o++)
                    if (fabs(h->movement[q][o]) > fabs(m)) m = h->movement[q][o];
            fprintf(f, "  largest movement of an outcome probability between the last two waves: "
                       "%+.2f SE\n", m);
        }
        if (h->wave_stop[0]) fprintf(f, "  waves stopped: %s\n", h->wave_stop);
    }
    if (rate < 0.01) {
        char why[512];
        targets_describe_rejections(&h->set, t, 3, why, sizeof why);
        fprintf(f, "Warning: fewer than 1%% of the drawn trajectories are consistent with history;"
                   "\n  the targets that reject most: %s\n", why);
    }
}

void summary_print(FILE *f, const gs_scenario *sc, const gs_study_result *study)
{
    const gs_result *res = &study->run;
    if (study->sweep) {
        print_sweep(f, sc, res, study->sweep);
        return;
    }
    fprintf(f, "gapsim: scenario '%s'", sc->name);
    if (sc->path) fprintf(f, " (%s)", sc->path);
    fprintf(f, "\n  %llu trajectories x %d cycles of %g years, seed %llu, %d threads\n\n",
            (unsigned long long)res->trajectories, res->n_cycles - 1, res->cycle_years,
            (unsigned long long)res->seed, res->threads);
    print_start(f, res);
    print_horizon(f, res);
    if (study->history) print_history(f, sc, study->history);
    print_outcomes(f, sc, res);
    if (study->history)
        fprintf(f, "        Conditioned on history: %llu of %llu drawn trajectories kept.\n",
                (unsigned long long)study->history->tally.accepted,
                (unsigned long long)study->history->tally.drawn);
    if (res->target_se > 0 && study->history) /* the batches are of drawn trajectories */
        fprintf(f, "\n--target-se %g: %llu batches of %llu drawn trajectories (%llu drawn, %llu "
                   "accepted); the target was %s.\n",
                res->target_se, (unsigned long long)res->batches,
                (unsigned long long)res->batch_size,
                (unsigned long long)study->history->tally.drawn,
                (unsigned long long)res->trajectories,
                res->target_met ? "met" : "NOT met (the cap run.max_trajectories was reached)");
    else if (res->target_se > 0)
        fprintf(f, "\n--target-se %g: %llu batches of %llu trajectories (%llu in all); the target "
                   "was %s.\n",
                res->target_se, (unsigned long long)res->batches,
                (unsigned long long)res->batch_size, (unsigned long long)res->trajectories,
                res->target_met ? "met" : "NOT met (the cap run.max_trajectories was reached)");
    if (res->antithetic) fprintf(f, "Antithetic pairs of parameter draws.\n");
    if (study->uncertainty) print_uncertainty(f, study->uncertainty);
    uint64_t bad = 0;
    for (int v = 0; v < VAR_COUNT; v++) bad += res->nonfinite[v];
    if (bad)
        fprintf(f, "\nWarning: %llu non-finite values were excluded from the quantiles.\n",
                (unsigned long long)bad);
}
