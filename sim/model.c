/* model.c - the market model of MODEL.md over a block of trajectories.
 *
 * Symbols follow MODEL.md.  Record k describes the market during cycle k from the
 * state at the start of cycle k; advance moves the state from k to k+1.  The loops run
 * over the trajectories of one block (structure of arrays); per-cycle constants are
 * computed once per call, outside the loops.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#include "vmath.h"

const gs_var_info model_vars[VAR_COUNT] = {
#define MODEL_VAR_INFO(name, long_name, units) {#name, long_name, units},
    MODEL_VARS(MODEL_VAR_INFO)
#undef MODEL_VAR_INFO
};

const gs_var model_metrics[METRIC_COUNT] = {VAR_lag_months, VAR_premium, VAR_premium_q,
                                            VAR_rent, VAR_closed_share};

const char *const model_outcome_names[OUTCOME_COUNT] = {"compound", "persist", "collapse"};

/* r = m_K / m_0: compound if r >= compound_ratio, collapse if r <= collapse_ratio, else
 * persist.  Every metric is >= 0 by construction.  When m_0 = 0 the ratio is undefined:
 * a metric that starts at zero and stays at zero persists, one that becomes positive
 * compounds.  Non-finite values are classified by the same comparisons (NaN persists;
 * the engine counts non-finite values separately). */
int model_classify(double m0, double mK, double compound_ratio, double collapse_ratio)
{
    if (m0 <= 0.0) return mK > 0.0 ? OUTCOME_COMPOUND : OUTCOME_PERSIST;
    double r = mK / m0;
    if (r >= compound_ratio) return OUTCOME_COMPOUND;
    if (r <= collapse_ratio) return OUTCOME_COLLAPSE;
    return OUTCOME_PERSIST;
}

/* σ √((1 − e^{−2θΔ}) / (2θ)): the standard deviation an Ornstein–Uhlenbeck process with
 * rate θ and volatility σ adds over Δ; σ √Δ in the limit θ → 0 (a random walk). */
static double ou_step(double sigma, double theta, double dt)
{
    if (theta * dt < 1e-12) return sigma * sqrt(dt);
    return sigma * sqrt(-expm1(-2.0 * theta * dt) / (2.0 * theta));
}

gs_status model_init(gs_model *m, const gs_params *p, gs_error *err)
{
    memset(m, 0, sizeof *m);
    m->p = *p;
    m->cycles = (int)p->run_cycles;
    if (params_cholesky(p, m->L) != GS_OK)
        return gs_error_set(err, GS_ERR_INPUT,
                            "correlation: the correlation matrix is not positive definite");
    double dt = p->run_cycle_years;
    m->hw_decay = exp(-p->hardware_reversion * dt);
    m->hw_step = ou_step(p->hardware_vol, p->hardware_reversion, dt);
    m->power_decay = exp(-p->power_reversion * dt);
    m->power_step = ou_step(p->power_vol, p->power_reversion, dt);
    m->jump_prob = -expm1(-p->hardware_shock_rate * dt);
    m->breakthrough_prob = -expm1(-p->capability_breakthrough_rate * dt);
    m->closed_step = p->capability_closed_noise * sqrt(dt);
    m->demand_drift = (p->demand_growth - 0.5 * p->demand_vol * p->demand_vol) * dt;
    m->demand_step = p->demand_vol * sqrt(dt);
    m->trend_growth = p->training_growth + p->training_algorithmic - p->hardware_trend;
    return GS_OK;
}

/* Cycle 0: y₀ = e₀ = 0, Q^c₀, Q^o₀ = Q^c₀ (1 − G₀), D₀, S₀, Π₋₁ = 0. */
void model_start(const gs_model *m, gs_block *b)
{
    const gs_params *p = &m->p;
    double q_open0 = p->capability_closed0 * (1.0 - p->capability_gap0);
    double log_demand0 = log(p->demand_mtok0);
    for (size_t i = 0; i < b->n; i++) {
        b->hw_dev[i] = 0.0;
        b->power_dev[i] = 0.0;
        b->q_closed[i] = p->capability_closed0;
        b->q_open[i] = q_open0;
        b->log_demand[i] = log_demand0;
        b->share[i] = p->demand_closed_share0;
        b->profit_prev[i] = 0.0;
        b->compute_prev[i] = 0.0;
        b->compute_now[i] = 0.0;
    }
}

/* The loop over the block is written to vectorise (#pragma omp simd; exp and log from
 * vmath.h; max and min as comparisons, not fmax/fmin, whose NaN rules have no vector
 * instruction): every lane computes exactly what the scalar code would, so the numbers
 * do not depend on the vector width.  V_k is computed first, in a loop of its own, so
 * that ν = 1 (the default) costs no exp/log. */
void model_record(const gs_model *m, gs_block *b, int k, double *const out[VAR_COUNT])
{
    const gs_params *p = &m->p;
    const size_t n = b->n;
    const double dt = p->run_cycle_years, t = k * dt;
    /* Per-cycle constants: the deterministic trends at t_k. */
    const double log_hw_trend = log(p->hardware_cost0) + p->hardware_trend * t;
    const double log_power_trend = log(p->power_price0) + p->power_trend * t;
    const double kwh_per_ah = p->energy_kwh_per_ah * exp(p->energy_trend * t); /* W_k */
    const double ah_per_mtok = p->serving_ah_per_mtok * exp(p->serving_trend * t);
    const double budget_trend = p->training_budget0 * exp(p->training_growth * t);
    const double log_compute_factor = log(dt) + p->training_algorithmic * t; /* ln(Δ e^{a t}) */
    const double capture = fmin(1.0, p->pricing_capture * exp(p->pricing_capture_trend * t));
    const double lag_per_point = 12.0 / (p->capability_gain_per_efold * m->trend_growth);
    const double trend_step = m->trend_growth * dt; /* ln X_k − ln X_{k−1} on trend */
    const double q_closed0 = p->capability_closed0, nu = p->demand_value_elasticity;
    const double value0 = p->demand_value_per_mtok;
    const double switching = k == 0 ? 0.0 : p->demand_switching;
    const double closed_ratio = p->serving_closed_size_ratio, reinvest = p->training_reinvest;
    const double open_markup = 1.0 + p->pricing_open_margin;
    const double sensitive = p->demand_sensitive_share;
    const int first = k == 0;

    const double *restrict hw_dev = b->hw_dev, *restrict power_dev = b->power_dev;
    const double *restrict q_closed = b->q_closed, *restrict q_open = b->q_open;
    const double *restrict log_demand = b->log_demand;
    double *restrict share_state = b->share, *restrict profit_prev = b->profit_prev;
    double *restrict compute_prev = b->compute_prev, *restrict compute_now = b->compute_now;
    double *restrict o_value = out[VAR_value_at_stake];

    /* V_k = V₀ (Q^c_k / Q^c₀)^ν */
    if (nu == 1.0) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) o_value[i] = value0 * (q_closed[i] / q_closed0);
    } else {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            o_value[i] = value0 * vm_exp(nu * vm_log(q_closed[i] / q_closed0));
    }

#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* 1-3. H_k, E_k, u_k = H_k + W_k E_k */
        const double hw = vm_exp(log_hw_trend + hw_dev[i]);
        const double power = vm_exp(log_power_trend + power_dev[i]);
        const double compute = hw + kwh_per_ah * power;
        /* 4. s^o_k = n₀ e^{μ_n t} u_k, s^c_k = r_c s^o_k */
        const double serve_open = ah_per_mtok * compute;
        const double serve_closed = closed_ratio * serve_open;
        /* 5. B_k = B₀ e^{g_B t} + ρ max(0, Π_{k−1});  X_k = B_k Δ e^{a t} / u_k, kept as
         *    ln X_k = ln B_k + ln Δ + a t − ln u_k (X_k itself overflows a double after
         *    a few centuries of model time; its logarithm does not) */
        const double profit_pos = profit_prev[i] > 0.0 ? profit_prev[i] : 0.0;
        const double budget = budget_trend + reinvest * profit_pos;
        const double log_x = vm_log(budget) + log_compute_factor - vm_log(compute);
        compute_now[i] = log_x;
        compute_prev[i] = first ? log_x - trend_step : compute_prev[i]; /* X₋₁ on trend */
        /* G_k and the lag in months of trend progress */
        const double qc = q_closed[i], qo = q_open[i];
        const double gap_points = qc - qo;
        const double gap = gap_points / qc;
        const double value = o_value[i];
        /* P^o = s^o (1 + m_o);  P^c = max(P^o, s^c + γ_k G_k V_k) */
        const double price_open = serve_open * open_markup;
        const double gap_value = gap * value;
        const double ask = serve_closed + capture * gap_value;
        const double price_closed = ask > price_open ? ask : price_open;
        /* S*_k = f_s exp(−(P^c − P^o)/(G V)), 0 without a gap;
         * S_k = S_{k−1} + α (S*_k − S_{k−1}) */
        const double eq_exp = sensitive * vm_exp(-(price_closed - price_open) / gap_value);
        const double eq_share = gap_value > 0.0 ? eq_exp : 0.0;
        const double share = share_state[i] + switching * (eq_share - share_state[i]);
        share_state[i] = share;
        const double demand = vm_exp(log_demand[i]);
        /* Π_k = (P^c − s^c) S D;  R_k = (P^c − P^o) S D */
        const double profit = (price_closed - serve_closed) * share * demand;
        profit_prev[i] = profit;
        const double lcoi_open = price_open / qo, lcoi_closed = price_closed / qc;

        out[VAR_hw_cost][i] = hw;
        out[VAR_power_price][i] = power;
        out[VAR_compute_cost][i] = compute;
        out[VAR_serving_cost_open][i] = serve_open;
        out[VAR_serving_cost_closed][i] = serve_closed;
        out[VAR_training_budget][i] = budget;
        out[VAR_quality_closed][i] = qc;
        out[VAR_quality_open][i] = qo;
        out[VAR_gap][i] = gap;
        out[VAR_lag_months][i] = lag_per_point * gap_points;
        out[VAR_price_open][i] = price_open;
        out[VAR_price_closed][i] = price_closed;
        out[VAR_equilibrium_share][i] = eq_share;
        out[VAR_closed_share][i] = share;
        out[VAR_demand][i] = demand;
        out[VAR_closed_profit][i] = profit;
        out[VAR_rent][i] = (price_closed - price_open) * share * demand;
        out[VAR_premium][i] = price_closed / price_open - 1.0;
        out[VAR_premium_q][i] = lcoi_closed / lcoi_open - 1.0;
        out[VAR_lcoi_open][i] = lcoi_open;
        out[VAR_lcoi_closed][i] = lcoi_closed;
    }
}

/* The random numbers of one trajectory-cycle, always drawn in this order: five normals
 * z (ε = L z), the supply-shock and breakthrough events (one 32-bit output each), and the
 * jump size J (drawn whether or not a shock happens, so that an antithetic pair stays in
 * step).  A mirrored trajectory (b->mirror[i], antithetic variates) draws the same
 * numbers from a copy of its partner's generator and uses −z, −J and 2³²−1−x for the
 * events: its shocks are the partner's reflected. */
void model_advance(const gs_model *m, gs_block *b, int k, rng_pcg32 *rng)
{
    (void)k;
    const gs_params *p = &m->p;
    const double *L = m->L;
    const double jump_threshold = m->jump_prob * 0x1.0p32;
    const double breakthrough_threshold = m->breakthrough_prob * 0x1.0p32;
    const double b_points = p->capability_gain_per_efold;
    const double catch_up = p->capability_catch_up, catch_up_sd = p->capability_catch_up_sd;
    const double close = p->capability_breakthrough_close;

    for (size_t i = 0; i < b->n; i++) {
        rng_pcg32 *r = &rng[i];
        double z[SHOCK_COUNT], eps[SHOCK_COUNT];
        const int mirrored = b->mirror && b->mirror[i];
        const double sign = mirrored ? -1.0 : 1.0;
        const uint32_t flip = mirrored ? UINT32_MAX : 0u;
        for (int j = 0; j < SHOCK_COUNT; j++) z[j] = sign * rng_normal(r);
        /* ε = L z, L lower triangular */
        for (int j = 0; j < SHOCK_COUNT; j++) {
            double s = 0.0;
            for (int l = 0; l <= j; l++) s += L[j * SHOCK_COUNT + l] * z[l];
            eps[j] = s;
        }
        int shock = (double)(rng_pcg32_next(r) ^ flip) < jump_threshold;
        int breakthrough = (double)(rng_pcg32_next(r) ^ flip) < breakthrough_threshold;
        double jump = sign * rng_normal(r);

        /* 1. y_{k+1} = y_k e^{−θ_H Δ} + σ_H √((1−e^{−2θ_H Δ})/(2θ_H)) ε_hw + N_k J_k */
        double y = b->hw_dev[i] * m->hw_decay + m->hw_step * eps[SHOCK_HARDWARE];
        if (shock) y += p->hardware_shock_mean + p->hardware_shock_sd * jump;
        b->hw_dev[i] = y;
        /* 2. e_{k+1} = e_k e^{−θ_E Δ} + σ_E √(…) ε_power */
        b->power_dev[i] = b->power_dev[i] * m->power_decay + m->power_step * eps[SHOCK_POWER];
        /* 6. Q^c_{k+1} = Q^c_k + max(0, b ln(X_k/X_{k−1}) + σ_c √Δ ε_closed) */
        double gain = b_points * (b->compute_now[i] - b->compute_prev[i]) +
                      m->closed_step * eps[SHOCK_CLOSED];
        double qc = b->q_closed[i] + fmax(0.0, gain);
        b->compute_prev[i] = b->compute_now[i];
        /* 7. κ = clamp(κ̄ + σ_κ ε_open, 0, 1);  Q^o_{k+1} = Q^o_k + κ (Q^c_{k+1} − Q^o_k);
         *    a breakthrough adds β (Q^c_{k+1} − Q^o_{k+1}) */
        double kappa = fmin(1.0, fmax(0.0, catch_up + catch_up_sd * eps[SHOCK_OPEN]));
        double qo = b->q_open[i] + kappa * (qc - b->q_open[i]);
        if (breakthrough) qo += close * (qc - qo);
        b->q_closed[i] = qc;
        b->q_open[i] = qo;
        /* 8. ln D_{k+1} = ln D_k + (g_D − σ_D²/2) Δ + σ_D √Δ ε_demand */
        b->log_demand[i] += m->demand_drift + m->demand_step * eps[SHOCK_DEMAND];
    }
}
