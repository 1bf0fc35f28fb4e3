/* test_engine.c - the analytic special cases of the model (docs/model.md, "Checks"), the
 * calibration's start values at cycle 0, windowed outcomes with undefined counts,
 * antithetic standard errors, and bit-identical results for any thread count.  Statistical checks state their
 * tolerance in standard errors (SE) and use fixed seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "engine.h"
#include "input.h"
#include "scenario.h"
#include "point.h"
#include "trajdata.h"

static gs_scenario base;

static int setup(void **state)
{
    (void)state;
    gs_error err;
    if (scenario_init_default(&base, &err) != GS_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scenario_free(&base);
    return 0;
}

static void run(const gs_params *p, uint64_t n, uint64_t seed, int threads, gs_result *res)
{
    gs_scenario sc = base;
    sc.params = *p;
    gs_run_options opt = {.trajectories = n, .seed_set = 1, .seed = seed, .threads = threads};
    gs_error err;
    gs_status s = point_run(&sc, &sc.params, 0, &opt, res, NULL, &err);
    if (s != GS_OK) fail_msg("point_run: %s", err.msg);
}

static size_t level_index(const gs_result *r, double level)
{
    for (size_t q = 0; q < r->n_quantiles; q++)
        if (fabs(r->quantile_levels[q] - level) < 1e-12) return q;
    fail_msg("quantile level %g not in the run", level);
    return 0;
}

/* σ_H = 0 and no supply shocks: ln H_k = ln H₀ + μ_H t_k exactly, in every trajectory. */
static void test_hardware_trend_without_shocks(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.hardware_vol = 0;
    p.hardware_shock_rate = 0;
    gs_result r;
    run(&p, 5000, 11, 0, &r);
    for (int k = 0; k < r.n_cycles; k++) {
        double want = p.hardware_cost0 * exp(p.hardware_trend * k * p.run_cycle_years);
        for (size_t q = 0; q < r.n_quantiles; q++)
            assert_close_rel(r.quantile[result_qix(&r, VAR_hw_cost, k, q)], want, 1e-13);
        assert_true(r.sd[result_ix(&r, VAR_hw_cost, k)] <= 1e-13 * want);
    }
    engine_result_free(&r);
}

/* θ_H > 0, no jumps: y_k ~ N(0, v_k), v_k = σ_H² (1 − e^{−2θ_H t_k}) / (2θ_H); θ_H = 0,
 * no jumps: v_k = σ_H² t_k (a random walk).
 * Checked through H_k = H₀ e^{μ_H t_k + y_k}: its median is H₀ e^{μ_H t_k}, its 90%
 * quantile H₀ e^{μ_H t_k + 1.2816 √v_k}, its mean H₀ e^{μ_H t_k + v_k/2}.  Tolerance 5 SE,
 * with the SE of a sample quantile sqrt(p(1−p)/N) / f(x_p). */
static void test_hardware_ou_variance(void **state)
{
    (void)state;
    for (int walk = 0; walk < 2; walk++) {
        gs_params p = base.params;
        p.hardware_shock_rate = 0;
        p.hardware_vol = 0.4;
        p.hardware_reversion = walk ? 0.0 : 0.8; /* θ_H = 0: a random walk, variance σ_H² τ_k */
        const uint64_t n = 200000;
        gs_result r;
        run(&p, n, 12, 0, &r);
        size_t q50 = level_index(&r, 0.5), q90 = level_index(&r, 0.9);
        const double z90 = 1.2815515655446004, phi90 = exp(-0.5 * z90 * z90) / 2.5066282746310002;
        for (int k = 1; k < r.n_cycles; k += 3) {
            double t = k * p.run_cycle_years, theta = p.hardware_reversion;
            double v = walk ? p.hardware_vol * p.hardware_vol * t
                            : p.hardware_vol * p.hardware_vol * -expm1(-2 * theta * t) / (2 * theta);
            double trend = log(p.hardware_cost0) + p.hardware_trend * t;
            /* median of y: SE = sqrt(0.25/N) / (φ(0)/√v) */
            double y50 = log(r.quantile[result_qix(&r, VAR_hw_cost, k, q50)]) - trend;
            assert_within_se(y50, 0.0, sqrt(0.25 / (double)n) * sqrt(v) / 0.3989422804014327, 5);
            double y90 = log(r.quantile[result_qix(&r, VAR_hw_cost, k, q90)]) - trend;
            assert_within_se(y90, z90 * sqrt(v), sqrt(0.09 / (double)n) * sqrt(v) / phi90, 5);
            double mean = r.mean[result_ix(&r, VAR_hw_cost, k)];
            double se = r.sd[result_ix(&r, VAR_hw_cost, k)] / sqrt((double)n);
            assert_within_se(mean, exp(trend + v / 2), se, 5);
        }
        engine_result_free(&r);
    }
}

/* E[D_k] = D₀ exp(Σ_{j<k} g_{D,j} Δ) with σ_D > 0 (decaying growth), and D₀ e^{g_D τ_k}
 * when g_∞ = g_D.  Tolerance 5 SE (SE = sd/√N). */
static void test_demand_mean(void **state)
{
    (void)state;
    for (int constant = 0; constant < 2; constant++) {
        gs_params p = base.params;
        p.demand_vol = 0.5;
        if (constant) p.demand_growth_long = p.demand_growth = 0.7;
        const uint64_t n = 200000;
        gs_result r;
        run(&p, n, 13, 0, &r);
        gs_model m;
        assert_int_equal(model_init(&m, &p, NULL), GS_OK);
        double log_sum = 0.0;
        for (int k = 0; k < r.n_cycles; k++) {
            double want = constant ? p.demand_mtok0 * exp(p.demand_growth * k * p.run_cycle_years)
                                   : p.demand_mtok0 * exp(log_sum);
            log_sum += model_demand_growth(&m, k) * p.run_cycle_years;
            double se = r.sd[result_ix(&r, VAR_demand, k)] / sqrt((double)n);
            if (k == 0) assert_close_rel(r.mean[result_ix(&r, VAR_demand, k)], want, 1e-14);
            else assert_within_se(r.mean[result_ix(&r, VAR_demand, k)], want, se, 5);
        }
        engine_result_free(&r);
    }
}

/* Every shock and event of the closed and open frontier off: W₀ = 0, σ_H = 0, λ_J = 0,
 * σ_κ = 0, λ_B = 0, σ_c = 0, ρ = 0, ψ = 0, g₀ = 0, λ_on = 0 and g_{B∞} = g_B.  The gap in
 * points converges to r (1 − κ̄)/κ̄ with r = b g_X Δ, g_X = g_B + a − μ_H. */
static void test_gap_converges(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.energy_kwh_per_ah = 0;
    p.hardware_vol = 0;
    p.hardware_shock_rate = 0;
    p.capability_catch_up_sd = 0;
    p.capability_breakthrough_rate = 0;
    p.capability_closed_noise = 0;
    p.training_reinvest = 0;
    p.training_funding_elasticity = 0;
    p.governance_restricted0 = 0;
    p.governance_switch_on_rate = 0;
    p.training_growth_long = p.training_growth;
    p.run_cycles = 80;
    gs_result r;
    run(&p, 100, 14, 0, &r);
    double kappa = p.capability_catch_up;
    double step = p.capability_gain_per_efold *
                  (p.training_growth + p.training_algorithmic - p.hardware_trend) *
                  p.run_cycle_years;
    double want = step * (1 - kappa) / kappa;
    int K = r.n_cycles - 1;
    double got = r.mean[result_ix(&r, VAR_quality_closed, K)] -
                 r.mean[result_ix(&r, VAR_quality_open, K)];
    assert_close_rel(got, want, 1e-9);
    /* and every trajectory is the same */
    assert_true(r.sd[result_ix(&r, VAR_quality_open, K)] <= 1e-9 * want);
    engine_result_free(&r);
}

/* γ = 1 (γ₁ = 1, η = 0, μ_γ = 0), s^c = P^o (r_c = 1 + m_o), A ≡ 1 (A₀ = A_max = 1) and
 * φ = 0 (φ₀ = φ₁ = 0): S* = f_s e^{−1} in every trajectory and cycle. */
static void test_equilibrium_share_monopoly(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.pricing_capture = 1;
    p.pricing_competition_exponent = 0;
    p.pricing_capture_trend = 0;
    p.serving_closed_size_ratio = 1 + p.pricing_open_margin;
    p.demand_readiness0 = p.demand_readiness_max = 1;
    p.governance_restricted_share0 = p.governance_restricted_share1 = 0;
    gs_result r;
    run(&p, 20000, 15, 0, &r);
    double want = p.demand_sensitive_share * exp(-1.0);
    for (int k = 0; k < r.n_cycles; k++) {
        assert_close_rel(r.quantile[result_qix(&r, VAR_equilibrium_share, k, 0)], want, 1e-12);
        assert_close_rel(r.quantile[result_qix(&r, VAR_equilibrium_share, k, r.n_quantiles - 1)],
                         want, 1e-12);
    }
    engine_result_free(&r);
}

/* σ_A = 0: A_k = A_max logistic(w₀ + r_A τ_k) exactly, in every trajectory. */
static void test_readiness_logistic(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.demand_readiness_vol = 0;
    gs_result r;
    run(&p, 3000, 21, 0, &r);
    double a = p.demand_readiness0 / p.demand_readiness_max, w0 = log(a / (1 - a));
    for (int k = 0; k < r.n_cycles; k++) {
        double want = p.demand_readiness_max /
                      (1 + exp(-(w0 + p.demand_readiness_rate * k * p.run_cycle_years)));
        assert_close_rel(r.quantile[result_qix(&r, VAR_readiness, k, 0)], want, 1e-12);
        assert_close_rel(r.quantile[result_qix(&r, VAR_readiness, k, r.n_quantiles - 1)], want,
                         1e-12);
    }
    engine_result_free(&r);
}

/* λ_e = λ_x = 0: n_k = n₀; ψ = 0: M_k = 1; g_{B∞} = g_B and ρ = 0: B_k = B₀ e^{g_B τ_k};
 * ω = 0: V_k = V₀ (Q^c_k/Q^c₀)^ν; λ_on = 0, g₀ = 0: φ_k = φ₀ and g_k = 0.  Checked on
 * the smallest and largest quantiles, i.e. in every trajectory. */
static void test_switches_off(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.labs_entry_rate = p.labs_exit_rate = 0;
    p.training_funding_elasticity = 0;
    p.training_growth_long = p.training_growth;
    p.training_reinvest = 0;
    p.demand_value_dilution = 0;
    p.demand_value_elasticity = 1.3;
    p.governance_switch_on_rate = 0;
    gs_result r;
    run(&p, 3000, 22, 0, &r);
    const size_t lo = 0, hi = r.n_quantiles - 1;
    for (int k = 0; k < r.n_cycles; k++) {
        double t = k * p.run_cycle_years;
        for (size_t q = lo; q <= hi; q += hi) {
            assert_true(r.quantile[result_qix(&r, VAR_closed_labs, k, q)] == p.labs_count0);
            assert_true(r.quantile[result_qix(&r, VAR_funding_multiplier, k, q)] == 1.0);
            assert_close_rel(r.quantile[result_qix(&r, VAR_training_budget, k, q)],
                             p.training_budget0 * exp(p.training_growth * t), 1e-12);
            assert_true(r.quantile[result_qix(&r, VAR_restricted_share, k, q)] ==
                        p.governance_restricted_share0);
            assert_true(r.quantile[result_qix(&r, VAR_restricted, k, q)] == 0.0);
        }
        /* V_k = V₀ (Q^c_k/Q^c₀)^ν, monotone in Q^c: its extreme quantiles are those of Q^c
         * mapped (to 1e-6: a quantile interpolates between two neighbouring trajectories,
         * and the map is not linear) */
        double vlo = r.quantile[result_qix(&r, VAR_value_at_stake, k, lo)];
        double qlo = r.quantile[result_qix(&r, VAR_quality_closed, k, lo)];
        double vhi = r.quantile[result_qix(&r, VAR_value_at_stake, k, hi)];
        double qhi = r.quantile[result_qix(&r, VAR_quality_closed, k, hi)];
        double scale = p.demand_value_per_mtok, q0 = p.capability_closed0;
        assert_close_rel(vlo, scale * pow(qlo / q0, 1.3), 1e-6);
        assert_close_rel(vhi, scale * pow(qhi / q0, 1.3), 1e-6);
    }
    engine_result_free(&r);
}

/* MODEL.md checks: with σ_D = 0 and g_D = g_∞ = 0, V_k = V₀ (Q^c_k/Q^c₀)^ν whatever ω
 * (demand stays D₀, so dilution never acts), in every trajectory. */
static void test_value_without_demand_growth(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.demand_vol = 0;
    p.demand_growth = p.demand_growth_long = 0;
    p.demand_value_dilution = 0.6;
    p.demand_value_elasticity = 1.3;
    gs_result r;
    run(&p, 2000, 23, 0, &r);
    const size_t lo = 0, hi = r.n_quantiles - 1;
    for (int k = 0; k < r.n_cycles; k++) {
        for (size_t q = lo; q <= hi; q += hi) {
            assert_close_rel(r.quantile[result_qix(&r, VAR_demand, k, q)], p.demand_mtok0, 1e-12);
            double v = r.quantile[result_qix(&r, VAR_value_at_stake, k, q)];
            double qc = r.quantile[result_qix(&r, VAR_quality_closed, k, q)];
            assert_close_rel(v, p.demand_value_per_mtok * pow(qc / p.capability_closed0, 1.3), 1e-6);
        }
    }
    engine_result_free(&r);
}

/* MODEL.md checks: with A₀ = A_max = 1, φ₀ = 0, g₀ = λ_on = 0, λ_e = λ_x = 0,
 * η = ψ = ω = 0, g_∞ = g_D, g_{B∞} = g_B and ρ = 0 the records are version 1's, with
 * version 1's values of the shared parameters (tests/data/v1/v1_baseline.yaml, the last
 * version 1 baseline).  Version 2 draws its shocks in another layout, so the comparison
 * is on the path without noise or events (σ's and event rates 0), against version 1's
 * equations written out below (its sim/model.c), every cycle to 1e-9 relative.  The
 * cost of intelligence (premium_q, lcoi_*) changed its definition (§7) and is left out. */
static void test_version1_records(void **state)
{
    (void)state;
    char *text;
    size_t len;
    gs_error err;
    if (input_read_file("tests/data/v1/v1_baseline.yaml", &text, &len, &err) != GS_OK) fail_msg("%s", err.msg);
    gs_scenario sc;
    if (scenario_parse(text, len, "v1.yaml", NULL, 0, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
    free(text);
    gs_params p = sc.params;
    assert_true(p.training_budget0 == 2.0e10 && p.pricing_capture == 0.6); /* version 1's */
    p.demand_readiness0 = p.demand_readiness_max = 1;
    p.governance_restricted_share0 = 0, p.governance_restricted0 = 0;
    p.governance_switch_on_rate = 0;
    p.labs_entry_rate = p.labs_exit_rate = 0;
    p.pricing_competition_exponent = p.training_funding_elasticity = p.demand_value_dilution = 0;
    p.demand_growth_long = p.demand_growth, p.training_growth_long = p.training_growth;
    p.training_reinvest = 0;
    p.hardware_vol = p.hardware_shock_rate = p.power_vol = p.capability_closed_noise = 0;
    p.capability_catch_up_sd = p.capability_breakthrough_rate = p.demand_vol = 0;
    gs_result r;
    run(&p, 16, 3, 0, &r);
    /* version 1 */
    const double dt = p.run_cycle_years, g_x = p.training_growth + p.training_algorithmic - p.hardware_trend;
    double qc = p.capability_closed0, qo = qc * (1 - p.capability_gap0), share = p.demand_closed_share0;
    double log_d = log(p.demand_mtok0), log_x_prev = 0;
    for (int k = 0; k < r.n_cycles; k++) {
        double t = k * dt;
        double hw = p.hardware_cost0 * exp(p.hardware_trend * t);
        double power = p.power_price0 * exp(p.power_trend * t);
        double u = hw + p.energy_kwh_per_ah * exp(p.energy_trend * t) * power;
        double so = p.serving_ah_per_mtok * exp(p.serving_trend * t) * u, sc_ = p.serving_closed_size_ratio * so;
        double budget = p.training_budget0 * exp(p.training_growth * t);
        double log_x = log(budget) + log(dt) + p.training_algorithmic * t - log(u);
        if (k == 0) log_x_prev = log_x - g_x * dt;
        double capture = fmin(1.0, p.pricing_capture * exp(p.pricing_capture_trend * t));
        double value = p.demand_value_per_mtok * pow(qc / p.capability_closed0, p.demand_value_elasticity);
        double gap = (qc - qo) / qc, po = so * (1 + p.pricing_open_margin);
        double pc = fmax(po, sc_ + capture * gap * value);
        double eq = gap * value > 0 ? p.demand_sensitive_share * exp(-(pc - po) / (gap * value)) : 0;
        share += (k == 0 ? 0 : p.demand_switching) * (eq - share);
        double d = exp(log_d);
        struct { gs_var v; double want; } rec[] = {
            {VAR_hw_cost, hw}, {VAR_power_price, power}, {VAR_compute_cost, u},
            {VAR_serving_cost_open, so}, {VAR_serving_cost_closed, sc_},
            {VAR_training_budget, budget}, {VAR_quality_closed, qc}, {VAR_quality_open, qo},
            {VAR_gap, gap}, {VAR_lag_months, 12 * (qc - qo) / (p.capability_gain_per_efold * g_x)},
            {VAR_value_at_stake, value}, {VAR_price_open, po}, {VAR_price_closed, pc},
            {VAR_equilibrium_share, eq}, {VAR_closed_share, share}, {VAR_demand, d},
            {VAR_closed_profit, (pc - sc_) * share * d}, {VAR_rent, (pc - po) * share * d},
            {VAR_premium, pc / po - 1}, {VAR_capture, capture},
        };
        for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++) {
            double got = r.mean[result_ix(&r, rec[i].v, k)];
            if (!(fabs(got - rec[i].want) <= 1e-9 * fabs(rec[i].want)))
                fail_msg("cycle %d: %s = %.12g, version 1 gives %.12g", k, model_vars[rec[i].v].name,
                         got, rec[i].want);
        }
        /* version 1's advance */
        double qc_next = qc + fmax(0.0, p.capability_gain_per_efold * (log_x - log_x_prev));
        log_x_prev = log_x;
        qo += p.capability_catch_up * (qc_next - qo);
        qc = qc_next;
        log_d += p.demand_growth * dt;
    }
    engine_result_free(&r);
    scenario_free(&sc);
}

/* §3.5 with ψ = 0 and g_{B∞} ≠ g_B: F_k = exp(Σ_{j<k} g_{B,j} Δ) (the closed form of
 * model_log_funding_trend against the plain sum), and B₀ F_k exactly when ρ = 0. */
static void test_budget_decay(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.training_funding_elasticity = 0;
    p.training_reinvest = 0;
    gs_model m;
    assert_int_equal(model_init(&m, &p, NULL), GS_OK);
    gs_result r;
    run(&p, 500, 23, 0, &r);
    double sum = 0;
    for (int k = 0; k < r.n_cycles; k++) {
        assert_close_rel(model_log_funding_trend(&m, k) + 1e-300, sum + 1e-300, 1e-12);
        double want = p.training_budget0 * exp(sum);
        assert_close_rel(r.quantile[result_qix(&r, VAR_training_budget, k, 0)], want, 1e-12);
        double g = p.training_growth_long + (p.training_growth - p.training_growth_long) *
                                                pow(2.0, -k * p.run_cycle_years /
                                                             p.training_growth_halflife);
        sum += g * p.run_cycle_years;
    }
    engine_result_free(&r);
}

/* The start values of CALIBRATION §12 (docs/calibration.md) from scenarios/baseline_point.yaml
 * at cycle 0, each to the precision quoted there (half a unit of its last digit). */
static void test_baseline_start_values(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    if (scenario_load("scenarios/baseline_point.yaml", NULL, 0, &sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    gs_run_options opt = {.trajectories = 2000, .threads = 0};
    gs_result r;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    struct { gs_var v; double want, tol; } start[] = {
        {VAR_compute_cost, 1.51, 0.005},        {VAR_serving_cost_open, 0.30, 0.005},
        {VAR_price_open, 0.60, 0.005},          {VAR_serving_cost_closed, 0.60, 0.005},
        {VAR_price_closed, 10.9, 0.05},         {VAR_premium, 17.0, 0.05},
        {VAR_equilibrium_share, 0.80, 0.005},   {VAR_closed_share, 0.80, 1e-12},
        {VAR_profit_cover, 0.21, 0.005},        {VAR_capture, 0.52, 0.005},
        {VAR_gap, 0.06, 1e-12},                 {VAR_lag_months, 5.4, 0.05},
        {VAR_value_at_stake, 330, 0.5},         {VAR_premium_q, 10.6, 0.05},
        {VAR_readiness, 0.28, 0.005},           {VAR_training_budget, 3.21e9, 0.005e9},
        {VAR_closed_profit, 2.06e9, 0.005e9},   {VAR_funding_multiplier, 1.0, 1e-12},
        {VAR_closed_labs, 3, 0},                {VAR_restricted, 0, 0},
    };
    for (size_t i = 0; i < sizeof start / sizeof start[0]; i++) {
        double got = r.mean[result_ix(&r, start[i].v, 0)];
        if (fabs(got - start[i].want) > start[i].tol)
            fail_msg("%s at cycle 0 = %.5g, CALIBRATION §12 says %.4g (+- %g)",
                     model_vars[start[i].v].name, got, start[i].want, start[i].tol);
    }
    /* L^c/L^o = 11.6, closed revenue P^c S D = $2.18B/yr, the ready buyers' closed share
     * (S* − (1 − A))/A = 0.29, and sd = 0: cycle 0 has no randomness */
    double ratio = r.mean[result_ix(&r, VAR_lcoi_closed, 0)] / r.mean[result_ix(&r, VAR_lcoi_open, 0)];
    assert_true(fabs(ratio - 11.6) <= 0.05);
    double revenue = r.mean[result_ix(&r, VAR_price_closed, 0)] *
                     r.mean[result_ix(&r, VAR_closed_share, 0)] * r.mean[result_ix(&r, VAR_demand, 0)];
    assert_true(fabs(revenue - 2.18e9) <= 0.005e9);
    double a = r.mean[result_ix(&r, VAR_readiness, 0)];
    double ready = (r.mean[result_ix(&r, VAR_equilibrium_share, 0)] - (1 - a)) / a;
    assert_true(fabs(ready - 0.29) <= 0.005);
    for (int v = 0; v < VAR_COUNT; v++)
        assert_true(r.sd[result_ix(&r, v, 0)] <= 1e-12 * fabs(r.mean[result_ix(&r, v, 0)]));
    engine_result_free(&r);
    scenario_free(&sc);
}

/* Outcome probabilities: each metric's three classes sum to 1 over the defined
 * trajectories, SE = sqrt(p(1−p)/N_defined), the Wilson interval contains p, and
 * counts plus undefined make N. */
static void test_outcome_table(void **state)
{
    (void)state;
    gs_result r;
    run(&base.params, 10000, 16, 0, &r);
    for (int q = 0; q < METRIC_COUNT; q++) {
        double sum = 0;
        uint64_t count = 0;
        double nd = (double)(10000 - r.outcome_undefined[q]);
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double p = r.outcome_probability[q][o];
            sum += p;
            count += r.outcome_count[q][o];
            assert_close_rel(r.outcome_stderr[q][o] + 1e-300, sqrt(p * (1 - p) / nd) + 1e-300, 1e-12);
            assert_true(r.outcome_ci_low[q][o] <= p && p <= r.outcome_ci_high[q][o]);
        }
        assert_close_rel(sum, 1.0, 1e-12);
        assert_int_equal(count + r.outcome_undefined[q], 10000);
    }
    engine_result_free(&r);
}

/* v1's endpoint classification of r = m_K / m_0 (m_0 > 0 here). */
static int v1_classify(double m0, double mk, double up, double down)
{
    double ratio = mk / m0;
    return ratio >= up ? OUTCOME_COMPOUND : ratio <= down ? OUTCOME_COLLAPSE : OUTCOME_PERSIST;
}

/* W = 1 and now = t₀: the classification of lag_months, premium and rent is version 1's
 * (horizon value m_K, reference m_0), trajectory by trajectory; with the default window
 * it is not (the window and reference differ), which shows the check can fail. */
static void test_window_one_is_endpoint(void **state)
{
    (void)state;
    for (int v2 = 0; v2 < 2; v2++) {
        gs_params p = base.params;
        if (!v2) p.outcome_window = 1, p.history_now = p.run_start_year;
        const size_t n = 4000;
        const int nc = (int)p.run_cycles + 1;
        double *cm = malloc((size_t)nc * METRIC_COUNT * n * sizeof *cm);
        assert_non_null(cm);
        engine_job job = {.params = p, .seed = 31, .n = n, .cycle_metrics = cm};
        gs_run_options opt = {.threads = 0};
        gs_result r;
        gs_error err;
        if (engine_run_job(&base, &job, &opt, &r, &err) != GS_OK) fail_msg("%s", err.msg);
        const gs_var which[] = {VAR_lag_months, VAR_premium, VAR_rent};
        int same = 1;
        for (int q = 0; q < METRIC_COUNT; q++) {
            int used = 0;
            for (int j = 0; j < 3; j++) used |= model_metrics[q] == which[j];
            if (!used) continue;
            uint64_t count[OUTCOME_COUNT] = {0};
            for (size_t i = 0; i < n; i++) {
                double m0 = cm[((size_t)0 * METRIC_COUNT + (size_t)q) * n + i];
                double mk = cm[((size_t)(nc - 1) * METRIC_COUNT + (size_t)q) * n + i];
                count[v1_classify(m0, mk, p.outcome_compound_ratio, p.outcome_collapse_ratio)]++;
            }
            same &= memcmp(count, r.outcome_count[q], sizeof count) == 0;
            if (!v2) assert_memory_equal(count, r.outcome_count[q], sizeof count);
        }
        if (v2) assert_false(same);
        engine_result_free(&r);
        free(cm);
    }
}

/* MODEL.md §8 / issue 16: a metric that is not finite makes the trajectory undefined,
 * never "persist".  An electricity price that overflows to +inf (μ_E = 5/yr over
 * centuries) while W_k underflows to 0 makes u = 0·∞ = NaN, so every price and the
 * premium are NaN in every trajectory: all undefined, no class counted. */
static void test_nonfinite_is_undefined(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.run_cycle_years = 10;
    p.run_cycles = 200;
    p.power_trend = 5;
    gs_result r;
    run(&p, 2000, 17, 0, &r);
    int q_premium = -1;
    for (int q = 0; q < METRIC_COUNT; q++)
        if (model_metrics[q] == VAR_premium) q_premium = q;
    assert_int_equal(r.outcome_undefined[q_premium], 2000);
    for (int o = 0; o < OUTCOME_COUNT; o++) assert_int_equal(r.outcome_count[q_premium][o], 0);
    engine_result_free(&r);
}

/* P(lag compounds) and its standard error for parameters p (n trajectories, seed). */
static double lag_compounds(const gs_params *p, uint64_t n, uint64_t seed, double *se)
{
    int q_lag = 0;
    for (int q = 0; q < METRIC_COUNT; q++)
        if (model_metrics[q] == VAR_lag_months) q_lag = q;
    gs_result r;
    run(p, n, seed, 0, &r);
    double pc = r.outcome_probability[q_lag][OUTCOME_COMPOUND];
    *se = r.outcome_stderr[q_lag][OUTCOME_COMPOUND];
    engine_result_free(&r);
    return pc;
}

/* Reinvestment and funding matter (issue 11; docs/model.md, "Funding and the lag"):
 * P(lag compounds) at ψ = 0.8 and ψ = 0 differ by more than 10 SE of the difference
 * (40000 trajectories each, seed 50), which version 1's inert loop could not.  The sign
 * depends on the reference cycle, and the test asserts both:
 *  - against 2024.0 (history.now = run.start_year), ψ = 0.8 makes the lag compound MORE
 *    often (measured 0.182 against 0.085, +41 SE): funding that follows the rent widens
 *    the lag;
 *  - against the baseline's 2026.5, LESS often (0.298 against 0.354, −17 SE): the lag in months
 *    follows the frontier's current progress rate, ψ adds b ψ Δln(R_{k−1} + R₀) to it,
 *    and the rent grows fastest in 2024-27 (demand growth decays from 2.2/yr with a
 *    half-life of 2 years), so the 2026.5 reference lag is lifted more (mean 4.33 →
 *    5.82 months) than the 2032-34 horizon's (5.15 → 6.08).
 * The closed share's 5-95% band at the horizon is wider than 0.05 in the baseline. */
static void test_funding_matters(void **state)
{
    (void)state;
    for (int ref = 0; ref < 2; ref++) {
        double p[2], se[2];
        for (int j = 0; j < 2; j++) {
            gs_params pp = base.params;
            pp.training_funding_elasticity = j ? 0.8 : 0.0;
            if (ref == 0) pp.history_now = pp.run_start_year;
            p[j] = lag_compounds(&pp, 40000, 50, &se[j]);
        }
        double z = (p[1] - p[0]) / sqrt(se[0] * se[0] + se[1] * se[1]);
        print_message("P(lag compounds) against %s: psi = 0 %.4f +- %.4f, psi = 0.8 %.4f +- "
                      "%.4f (%+.1f SE)\n",
                      ref ? "history.now" : "run.start_year", p[0], se[0], p[1], se[1], z);
        if (ref == 0)
            assert_true(z > 10);
        else
            assert_true(z < -10);
    }
    /* the baseline's band */
    gs_result r;
    run(&base.params, 20000, 51, 0, &r);
    int K = r.n_cycles - 1;
    size_t q5 = level_index(&r, 0.05), q95 = level_index(&r, 0.95);
    double band = r.quantile[result_qix(&r, VAR_closed_share, K, q95)] -
                  r.quantile[result_qix(&r, VAR_closed_share, K, q5)];
    print_message("baseline closed share 5-95%% band at the horizon: %.4f\n", band);
    assert_true(band > 0.05);
    engine_result_free(&r);
}

/* Antithetic standard errors (docs/model.md §8): over 200 seeds of a small run (1000
 * trajectories, outcomes only), the empirical standard deviation of each outcome
 * probability is within 0.85-1.15x the mean reported standard error, with plain Monte
 * Carlo (SE √(p(1−p)/N)) and with antithetic pairing (SE from the pair means).  The
 * standard deviation of 200 draws has a relative error of about 5%, so the band is 3
 * of its standard errors; classes with a mean p below 0.03 or above 0.97 (where the
 * reported SE itself is noisy) are skipped.  Fixed seeds 1000-1199. */
static void test_antithetic_se_calibration(void **state)
{
    (void)state;
    enum { SEEDS = 200, N = 1000 };
    for (int anti = 0; anti < 2; anti++) {
        gs_scenario sc = base;
        sc.antithetic = anti;
        double sum[METRIC_COUNT][OUTCOME_COUNT] = {{0}}, sum2[METRIC_COUNT][OUTCOME_COUNT] = {{0}};
        double se_sum[METRIC_COUNT][OUTCOME_COUNT] = {{0}};
        for (int s = 0; s < SEEDS; s++) {
            engine_job job = {.params = base.params, .seed = 1000 + (uint64_t)s, .n = N,
                              .outcomes_only = 1};
            gs_run_options opt = {.threads = 0};
            gs_result r;
            gs_error err;
            if (engine_run_job(&sc, &job, &opt, &r, &err) != GS_OK) fail_msg("%s", err.msg);
            for (int q = 0; q < METRIC_COUNT; q++)
                for (int o = 0; o < OUTCOME_COUNT; o++) {
                    double pq = r.outcome_probability[q][o];
                    sum[q][o] += pq, sum2[q][o] += pq * pq;
                    se_sum[q][o] += r.outcome_stderr[q][o];
                }
            engine_result_free(&r);
        }
        int checked = 0;
        for (int q = 0; q < METRIC_COUNT; q++)
            for (int o = 0; o < OUTCOME_COUNT; o++) {
                double mean = sum[q][o] / SEEDS;
                if (mean < 0.03 || mean > 0.97) continue;
                double sd = sqrt((sum2[q][o] - SEEDS * mean * mean) / (SEEDS - 1));
                double ratio = sd / (se_sum[q][o] / SEEDS);
                print_message("%s %s %s: p %.3f, sd over seeds %.4f, mean SE %.4f, ratio %.3f\n",
                              anti ? "antithetic" : "plain", model_vars[model_metrics[q]].name,
                              model_outcome_names[o], mean, sd, se_sum[q][o] / SEEDS, ratio);
                if (!(ratio >= 0.85 && ratio <= 1.15))
                    fail_msg("%s %s %s: sd/SE = %.3f outside 0.85-1.15", anti ? "antithetic" : "plain",
                             model_vars[model_metrics[q]].name, model_outcome_names[o], ratio);
                checked++;
            }
        assert_true(checked >= 8);
    }
}

/* Same seed, 1, 2 and 3 threads, a trajectory count that leaves a partial block:
 * every statistic identical bit for bit. */
static void test_threads_bit_identical(void **state)
{
    (void)state;
    gs_result r[3];
    const uint64_t n = 3 * ENGINE_BLOCK + 17;
    for (int t = 0; t < 3; t++) {
        gs_scenario sc = base;
        gs_run_options opt = {.trajectories = n, .seed_set = 1, .seed = 99, .threads = t + 1,
                              .paths = 5};
        gs_error err;
        if (point_run(&sc, &sc.params, 0, &opt, &r[t], NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    }
    size_t ns = (size_t)VAR_COUNT * (size_t)r[0].n_cycles;
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(r[0].mean, r[t].mean, ns * sizeof(double));
        assert_memory_equal(r[0].sd, r[t].sd, ns * sizeof(double));
        assert_memory_equal(r[0].quantile, r[t].quantile, ns * r[0].n_quantiles * sizeof(double));
        assert_memory_equal(r[0].outcome_count, r[t].outcome_count, sizeof r[0].outcome_count);
        assert_memory_equal(r[0].paths, r[t].paths, ns * 5 * sizeof(float));
    }
    /* a different seed gives different numbers */
    gs_result other;
    run(&base.params, n, 100, 0, &other);
    assert_true(memcmp(r[0].mean, other.mean, ns * sizeof(double)) != 0);
    engine_result_free(&other);
    for (int t = 0; t < 3; t++) engine_result_free(&r[t]);
}

/* Paths hold the first trajectories exactly (as float) and agree with the statistics
 * of a one-trajectory run. */
static void test_paths_match_single_trajectory(void **state)
{
    (void)state;
    gs_scenario sc = base;
    gs_run_options opt = {.trajectories = 50, .seed_set = 1, .seed = 5, .paths = 3};
    gs_run_options one = {.trajectories = 1, .seed_set = 1, .seed = 5};
    gs_result r, r1;
    gs_error err;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    if (point_run(&sc, &sc.params, 0, &one, &r1, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    for (int v = 0; v < VAR_COUNT; v++)
        for (int k = 0; k < r.n_cycles; k++)
            assert_true(r.paths[((size_t)v * 3 + 0) * (size_t)r.n_cycles + (size_t)k] ==
                        (float)r1.mean[result_ix(&r1, v, k)]);
    engine_result_free(&r);
    engine_result_free(&r1);
}

/* --keep-draws (trajdata.h): the per-trajectory classes add up to the outcome counts of
 * the run; without supply shocks and breakthroughs their counts are 0; with rates λ the
 * mean count is K (1 − e^{−λΔ}) (within 5 SE of a mean of N binomial counts); the by-cycle
 * class of the last horizon is the class; catch-up fractions lie in [0, 1]. */
static void test_keep_draws(void **state)
{
    (void)state;
    gs_scenario sc = base;
    for (int with_events = 0; with_events < 2; with_events++) {
        sc.params.hardware_shock_rate = with_events ? 0.3 : 0.0;
        sc.params.capability_breakthrough_rate = with_events ? 0.5 : 0.0;
        const uint64_t n = 4000;
        gs_run_options opt = {.trajectories = n, .seed_set = 1, .seed = 17, .keep_draws = 1};
        gs_result r;
        gs_error err;
        if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
        const gs_trajdata *t = r.traj;
        assert_non_null(t);
        assert_int_equal(t->count, n);
        assert_int_equal(t->d, 0);
        for (int q = 0; q < METRIC_COUNT; q++) {
            uint64_t c[OUTCOME_COUNT] = {0}, undef = 0;
            for (size_t i = 0; i < n; i++) {
                const int8_t k = t->cls[(size_t)q * n + i];
                if (k == TRAJ_CLASS_UNDEFINED) undef++;
                else c[k]++;
                assert_int_equal(k, t->cls_by_cycle[((size_t)q * n + i) * (size_t)t->n_horizons +
                                                    (size_t)t->n_horizons - 1]);
            }
            for (int o = 0; o < OUTCOME_COUNT; o++) assert_int_equal(c[o], r.outcome_count[q][o]);
            assert_int_equal(undef, r.outcome_undefined[q]);
        }
        const double K = sc.params.run_cycles, dt = sc.params.run_cycle_years;
        const double rates[2] = {sc.params.hardware_shock_rate, sc.params.capability_breakthrough_rate};
        const int which[2] = {TRAJ_supply_shocks, TRAJ_breakthroughs};
        for (int e = 0; e < 2; e++) {
            double sum = 0;
            for (size_t i = 0; i < n; i++) sum += t->summary[(size_t)which[e] * n + i];
            const double p = -expm1(-rates[e] * dt), want = K * p;
            const double se = sqrt(K * p * (1 - p) / (double)n);
            if (!with_events) assert_true(sum == 0);
            else assert_true(fabs(sum / (double)n - want) < 5 * se + 1e-12);
        }
        for (size_t i = 0; i < n; i++)
            assert_true(!(t->mean_catch_up[i] < 0) && !(t->mean_catch_up[i] > 1));
        engine_result_free(&r);
    }
    /* the replayed supply-shock count is the model's: with σ_H = 0 the log deviation of
     * accelerator cost from trend decays exactly (y_{k+1} = e^{−θ_H Δ} y_k) except in a
     * cycle with a shock; counted on the stored paths of 300 trajectories */
    sc.params.hardware_vol = 0;
    sc.params.hardware_shock_rate = 0.5;
    gs_run_options opt = {.trajectories = 300, .seed_set = 1, .seed = 3, .keep_draws = 1,
                          .paths = 300};
    gs_result r;
    gs_error err;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    const double dt = sc.params.run_cycle_years, decay = exp(-sc.params.hardware_reversion * dt);
    uint64_t total = 0;
    for (size_t i = 0; i < 300; i++) {
        unsigned jumps = 0;
        double y_prev = 0;
        for (int k = 0; k < r.n_cycles; k++) {
            const double h = r.paths[((size_t)VAR_hw_cost * 300 + i) * (size_t)r.n_cycles + (size_t)k];
            const double y = log(h) - log(sc.params.hardware_cost0) - sc.params.hardware_trend * k * dt;
            if (k > 0 && fabs(y - decay * y_prev) > 1e-3) jumps++;
            y_prev = y;
        }
        assert_int_equal(jumps, r.traj->summary[(size_t)TRAJ_supply_shocks * 300 + i]);
        total += jumps;
    }
    assert_true(total > 100); /* 300 x 20 cycles x 0.22: about 1,300 */
    engine_result_free(&r);
}

/* Antithetic variates (run.antithetic): trajectory 2j+1 reflects the shocks of 2j, so
 * the pair's log demand deviations cancel exactly, and the spread of a monotone
 * estimator across seeds shrinks.  20 seeds x 2000 trajectories each way; the variance
 * of the horizon mean of demand must fall below half (for log-normal demand with this
 * volatility it falls far more; plain-MC noise alone makes a ratio below 0.5 about a
 * 10^-3 event at 19 degrees of freedom each). */
static void test_antithetic_pairs_and_variance(void **state)
{
    (void)state;
    gs_scenario sc = base;
    sc.antithetic = 1;
    gs_run_options opt = {.trajectories = 2000, .seed_set = 1, .seed = 40, .paths = 2};
    gs_result r;
    gs_error err;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    int K = r.n_cycles - 1;
    gs_model m;
    assert_int_equal(model_init(&m, &sc.params, NULL), GS_OK);
    double trend = log(sc.params.demand_mtok0);
    for (int k = 0; k < K; k++)
        trend += (model_demand_growth(&m, k) - 0.5 * sc.params.demand_vol * sc.params.demand_vol) *
                 sc.params.run_cycle_years;
    const float *d = r.paths + (size_t)VAR_demand * 2 * (size_t)r.n_cycles;
    double dev0 = log(d[K]) - trend, dev1 = log(d[r.n_cycles + K]) - trend;
    assert_true(fabs(dev0) > 0.05);              /* a real shock ... */
    assert_true(fabs(dev0 + dev1) < 1e-5);       /* ... reflected (float32 paths) */
    engine_result_free(&r);

    double var[2];
    for (int anti = 0; anti < 2; anti++) {
        double sum = 0, sum2 = 0;
        for (uint64_t s = 0; s < 20; s++) {
            sc.antithetic = anti;
            gs_run_options o = {.trajectories = 2000, .seed_set = 1, .seed = 100 + s};
            if (point_run(&sc, &sc.params, 0, &o, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
            double mean = r.mean[result_ix(&r, VAR_demand, K)];
            sum += mean, sum2 += mean * mean;
            engine_result_free(&r);
        }
        var[anti] = (sum2 - sum * sum / 20) / 19;
    }
    print_message("variance of the mean of demand: plain %.4g, antithetic %.4g (ratio %.3f)\n",
                  var[0], var[1], var[1] / var[0]);
    assert_true(var[1] < 0.5 * var[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hardware_trend_without_shocks),
        cmocka_unit_test(test_hardware_ou_variance),
        cmocka_unit_test(test_demand_mean),
        cmocka_unit_test(test_gap_converges),
        cmocka_unit_test(test_equilibrium_share_monopoly),
        cmocka_unit_test(test_readiness_logistic),
        cmocka_unit_test(test_switches_off),
        cmocka_unit_test(test_value_without_demand_growth),
        cmocka_unit_test(test_version1_records),
        cmocka_unit_test(test_budget_decay),
        cmocka_unit_test(test_baseline_start_values),
        cmocka_unit_test(test_outcome_table),
        cmocka_unit_test(test_window_one_is_endpoint),
        cmocka_unit_test(test_nonfinite_is_undefined),
        cmocka_unit_test(test_funding_matters),
        cmocka_unit_test(test_antithetic_se_calibration),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_paths_match_single_trajectory),
        cmocka_unit_test(test_antithetic_pairs_and_variance),
        cmocka_unit_test(test_keep_draws),
    };
    return cmocka_run_group_tests_name("engine", tests, setup, teardown);
}
