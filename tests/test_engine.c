/* test_engine.c - the analytic checks of MODEL.md, the calibration's start values, and
 * bit-identical results for any thread count.  Statistical checks state their
 * tolerance in standard errors (SE) and use fixed seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "engine.h"
#include "scenario.h"
#include "point.h"

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

/* θ_H > 0, no jumps: y_k ~ N(0, v_k), v_k = σ_H² (1 − e^{−2θ_H t_k}) / (2θ_H).
 * Checked through H_k = H₀ e^{μ_H t_k + y_k}: its median is H₀ e^{μ_H t_k}, its 90%
 * quantile H₀ e^{μ_H t_k + 1.2816 √v_k}, its mean H₀ e^{μ_H t_k + v_k/2}.  Tolerance 5 SE,
 * with the SE of a sample quantile sqrt(p(1−p)/N) / f(x_p). */
static void test_hardware_ou_variance(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.hardware_shock_rate = 0;
    p.hardware_vol = 0.4;
    p.hardware_reversion = 0.8;
    const uint64_t n = 200000;
    gs_result r;
    run(&p, n, 12, 0, &r);
    size_t q50 = level_index(&r, 0.5), q90 = level_index(&r, 0.9);
    const double z90 = 1.2815515655446004, phi90 = exp(-0.5 * z90 * z90) / 2.5066282746310002;
    for (int k = 1; k < r.n_cycles; k += 3) {
        double t = k * p.run_cycle_years, theta = p.hardware_reversion;
        double v = p.hardware_vol * p.hardware_vol * -expm1(-2 * theta * t) / (2 * theta);
        double trend = log(p.hardware_cost0) + p.hardware_trend * t;
        /* median of y: SE = sqrt(0.25/N) / (φ(0)/√v) */
        double y50 = log(r.quantile[result_qix(&r, VAR_hw_cost, k, q50)]) - trend;
        assert_within_se(y50, 0.0, sqrt(0.25 / n) * sqrt(v) / 0.3989422804014327, 5);
        double y90 = log(r.quantile[result_qix(&r, VAR_hw_cost, k, q90)]) - trend;
        assert_within_se(y90, z90 * sqrt(v), sqrt(0.09 / n) * sqrt(v) / phi90, 5);
        double mean = r.mean[result_ix(&r, VAR_hw_cost, k)];
        double se = r.sd[result_ix(&r, VAR_hw_cost, k)] / sqrt((double)n);
        assert_within_se(mean, exp(trend + v / 2), se, 5);
    }
    engine_result_free(&r);
}

/* E[D_k] = D₀ e^{g_D t_k} with σ_D > 0.  Tolerance 5 SE (SE = sd/√N). */
static void test_demand_mean(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.demand_vol = 0.5;
    const uint64_t n = 200000;
    gs_result r;
    run(&p, n, 13, 0, &r);
    for (int k = 0; k < r.n_cycles; k++) {
        double want = p.demand_mtok0 * exp(p.demand_growth * k * p.run_cycle_years);
        double se = r.sd[result_ix(&r, VAR_demand, k)] / sqrt((double)n);
        if (k == 0) assert_close_rel(r.mean[result_ix(&r, VAR_demand, k)], want, 1e-14);
        else assert_within_se(r.mean[result_ix(&r, VAR_demand, k)], want, se, 5);
    }
    engine_result_free(&r);
}

/* Deterministic special case: the gap in points converges to r (1 − κ̄)/κ̄ with
 * r = b (g_B + a − μ_H) Δ. */
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

/* γ = 1 (no erosion) and s^c = P^o (r_c = 1 + m_o): S* = f_s e^{−1} in every
 * trajectory and cycle. */
static void test_equilibrium_share_monopoly(void **state)
{
    (void)state;
    gs_params p = base.params;
    p.pricing_capture = 1;
    p.pricing_capture_trend = 0;
    p.serving_closed_size_ratio = 1 + p.pricing_open_margin;
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

/* The start values of CALIBRATION.md from scenarios/baseline.yaml:
 * u₀ ≈ 1.11, s^o₀ ≈ 0.244, P^o₀ ≈ 0.49, s^c₀ ≈ 0.37, P^c₀ ≈ 4.0, π₀ ≈ 7.2, S*₀ ≈ 0.20,
 * each to the precision CALIBRATION.md quotes it (half a unit of its last digit). */
static void test_baseline_start_values(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    if (scenario_load("scenarios/baseline.yaml", NULL, 0, &sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    gs_run_options opt = {.trajectories = 2000, .threads = 0};
    gs_result r;
    if (point_run(&sc, &sc.params, 0, &opt, &r, NULL, &err) != GS_OK) fail_msg("%s", err.msg);
    struct { gs_var v; double want, tol; } start[] = {
        {VAR_compute_cost, 1.11, 0.005},       {VAR_serving_cost_open, 0.244, 0.0005},
        {VAR_price_open, 0.49, 0.005},         {VAR_serving_cost_closed, 0.37, 0.005},
        {VAR_price_closed, 4.0, 0.05},         {VAR_premium, 7.2, 0.05},
        {VAR_equilibrium_share, 0.20, 0.005},  {VAR_closed_share, 0.80, 1e-12},
        {VAR_gap, 0.05, 1e-12},
    };
    for (size_t i = 0; i < sizeof start / sizeof start[0]; i++) {
        double got = r.mean[result_ix(&r, start[i].v, 0)];
        if (fabs(got - start[i].want) > start[i].tol)
            fail_msg("%s at cycle 0 = %.5g, CALIBRATION.md says %.4g (+- %g)",
                     model_vars[start[i].v].name, got, start[i].want, start[i].tol);
    }
    engine_result_free(&r);
    scenario_free(&sc);
}

/* Outcome probabilities: each metric's three classes sum to 1, SE = sqrt(p(1−p)/N),
 * and the Wilson interval contains p. */
static void test_outcome_table(void **state)
{
    (void)state;
    gs_result r;
    run(&base.params, 10000, 16, 0, &r);
    for (int q = 0; q < METRIC_COUNT; q++) {
        double sum = 0;
        uint64_t count = 0;
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double p = r.outcome_probability[q][o];
            sum += p;
            count += r.outcome_count[q][o];
            assert_close_rel(r.outcome_stderr[q][o], sqrt(p * (1 - p) / 10000), 1e-12);
            assert_true(r.outcome_ci_low[q][o] <= p && p <= r.outcome_ci_high[q][o]);
        }
        assert_close_rel(sum, 1.0, 1e-12);
        assert_int_equal(count, 10000);
    }
    engine_result_free(&r);
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
    double trend = log(sc.params.demand_mtok0) +
                   (sc.params.demand_growth - 0.5 * sc.params.demand_vol * sc.params.demand_vol) *
                       K * sc.params.run_cycle_years;
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
            double m = r.mean[result_ix(&r, VAR_demand, K)];
            sum += m, sum2 += m * m;
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
        cmocka_unit_test(test_baseline_start_values),
        cmocka_unit_test(test_outcome_table),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_paths_match_single_trajectory),
        cmocka_unit_test(test_antithetic_pairs_and_variance),
    };
    return cmocka_run_group_tests_name("engine", tests, setup, teardown);
}
