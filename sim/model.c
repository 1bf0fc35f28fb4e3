/* model.c - the market model, version 2, over a block of trajectories.
 *
 * Symbols follow docs/model.md (§ numbers are its sections).  Record k describes the
 * market during cycle k from the state at the start of cycle k; advance moves the state from k to k+1.  The loops run
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
                                            VAR_rent,       VAR_closed_share, VAR_closed_labs};

/* Cap of the exponent of the success probability's logistic (§7). */
#define MODEL_LOGIT_CAP 600.0

const char *const model_outcome_names[OUTCOME_COUNT] = {"compound", "persist", "collapse"};

/* MODEL.md §8: shares on the odds S/(1−S), S clamped to [10⁻⁹, 1 − 10⁻⁹]; premium_q,
 * which can be negative, on 1 + π^Q; every other metric as it is. */
double model_metric_transform(int q, double x)
{
    if (model_metrics[q] == VAR_closed_share) {
        const double lo = 1e-9, hi = 1.0 - 1e-9;
        double s = x < lo ? lo : x > hi ? hi : x; /* NaN stays NaN */
        return s / (1.0 - s);
    }
    if (model_metrics[q] == VAR_premium_q) return 1.0 + x;
    return x;
}

int model_metric_arithmetic(int q) { return model_metrics[q] == VAR_closed_labs; }

/* r = horizon / reference: compound if r >= compound_ratio, collapse if r <=
 * collapse_ratio, else persist; undefined when r is not finite (a reference of 0, a
 * NaN or infinite metric) or negative. */
int model_classify(double reference, double horizon, double compound_ratio,
                   double collapse_ratio)
{
    double r = horizon / reference;
    if (!isfinite(r) || r < 0.0) return OUTCOME_UNDEFINED;
    if (r >= compound_ratio) return OUTCOME_COMPOUND;
    if (r <= collapse_ratio) return OUTCOME_COLLAPSE;
    return OUTCOME_PERSIST;
}

/* k_now = ⌊(now − t₀)/Δ + ½⌋ */
int model_k_now(const gs_params *p)
{
    return (int)floor((p->history_now - p->run_start_year) / p->run_cycle_years + 0.5);
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
    return model_init_factor(m, p, NULL, err);
}

gs_status model_init_factor(gs_model *m, const gs_params *p, const double *L, gs_error *err)
{
    memset(m, 0, sizeof *m);
    m->p = *p;
    m->cycles = (int)p->run_cycles;
    m->k_now = model_k_now(p);
    if (L)
        memcpy(m->L, L, sizeof m->L);
    else if (params_cholesky(p, m->L) != GS_OK)
        return gs_error_set(err, GS_ERR_INPUT,
                            "correlation: the correlation matrix is not positive definite");
    double dt = p->run_cycle_years;
    m->hw_decay = exp(-p->hardware_reversion * dt);
    m->hw_step = ou_step(p->hardware_vol, p->hardware_reversion, dt);
    m->power_decay = exp(-p->power_reversion * dt);
    m->power_step = ou_step(p->power_vol, p->power_reversion, dt);
    m->jump_prob = -expm1(-p->hardware_shock_rate * dt);
    m->breakthrough_prob = -expm1(-p->capability_breakthrough_rate * dt);
    m->switch_on_prob = -expm1(-p->governance_switch_on_rate * dt);
    m->switch_off_prob = -expm1(-p->governance_switch_off_rate * dt);
    m->closed_step = p->capability_closed_noise * sqrt(dt);
    m->demand_step = p->demand_vol * sqrt(dt);
    m->ready_step = p->demand_readiness_vol * sqrt(dt);
    m->budget_q = exp2(-dt / p->training_growth_halflife);
    m->demand_q = exp2(-dt / p->demand_growth_halflife);
    /* w₀ = logit(A₀ / A_max); A₀ >= A_max means A ≡ A_max (w = +∞, logistic(w) = 1) */
    double a = p->demand_readiness0 / p->demand_readiness_max;
    m->ready_logit0 = a >= 1.0 ? (double)INFINITY : log(a / (1.0 - a));
    /* p(Q^c_k) = 1 / (1 + exp(−(Q^c_k − Q^c_k + δ_d)/s_d)), the same every cycle (the
     * exponent capped as in model_record) */
    double zc = -p->intelligence_hard_task_offset / p->intelligence_difficulty_spread;
    m->p_hard_closed = 1.0 / (1.0 + exp(zc < MODEL_LOGIT_CAP ? zc : MODEL_LOGIT_CAP));
    m->capture_pow[0] = 1.0;
    /* n_k never exceeds n_max, so the table is filled only that far */
    const int n_fill = p->labs_max + 1 < MODEL_CAPTURE_TABLE ? (int)p->labs_max + 1 : MODEL_CAPTURE_TABLE;
    for (int n = 1; n < n_fill; n++)
        m->capture_pow[n] = p->pricing_competition_exponent == 0.0
                                ? 1.0
                                : exp(-p->pricing_competition_exponent * log((double)n));
    return GS_OK;
}

/* g_{B,k} = g_{B∞} + (g_B − g_{B∞}) 2^{−τ_k / T_B}, τ_k = kΔ */
double model_budget_growth(const gs_model *m, int k)
{
    const gs_params *p = &m->p;
    return p->training_growth_long +
           (p->training_growth - p->training_growth_long) * pow(m->budget_q, (double)k);
}

/* ln F_k = Σ_{j<k} g_{B,j} Δ = Δ [k g_{B∞} + (g_B − g_{B∞}) (1 − q^k)/(1 − q)], q = 2^{−Δ/T_B}
 * (the geometric sum in closed form; q → 1 gives k) */
double model_log_funding_trend(const gs_model *m, int k)
{
    const gs_params *p = &m->p;
    const double q = m->budget_q, dt = p->run_cycle_years;
    double geo = k == 0 ? 0.0 : q < 1.0 ? -expm1((double)k * log(q)) / (1.0 - q) : (double)k;
    return dt * ((double)k * p->training_growth_long +
                 (p->training_growth - p->training_growth_long) * geo);
}

/* g_{D,k} = g_∞ + (g_D − g_∞) 2^{−τ_k / T_D} */
double model_demand_growth(const gs_model *m, int k)
{
    const gs_params *p = &m->p;
    return p->demand_growth_long +
           (p->demand_growth - p->demand_growth_long) * pow(m->demand_q, (double)k);
}

/* Cycle 0: y₀ = e₀ = 0, Q^c₀, Q^o₀ = Q^c₀ (1 − G₀), D₀, w₀, g₀, n₀, S₀.  Π₋₁, R₋₁, R₀,
 * n₋₁ and ln X₋₁ are set by model_record at k = 0 (they need cycle 0's market). */
void model_start(const gs_model *m, gs_block *b)
{
    const gs_params *p = &m->p;
    const double q_open0 = p->capability_closed0 * (1.0 - p->capability_gap0);
    const double log_demand0 = log(p->demand_mtok0);
    double *const *x = b->x;
    for (size_t i = 0; i < b->n; i++) {
        x[ST_hw_dev][i] = 0.0;
        x[ST_power_dev][i] = 0.0;
        x[ST_q_closed][i] = p->capability_closed0;
        x[ST_q_open][i] = q_open0;
        x[ST_log_demand][i] = log_demand0;
        x[ST_ready_logit][i] = m->ready_logit0;
        x[ST_regime][i] = p->governance_restricted0;
        x[ST_labs][i] = p->labs_count0;
        x[ST_labs_prev][i] = p->labs_count0;
        x[ST_share][i] = p->demand_closed_share0;
        x[ST_profit_prev][i] = 0.0;
        x[ST_rent_prev][i] = 0.0;
        x[ST_rent0][i] = 0.0;
        x[ST_compute_prev][i] = 0.0;
        x[ST_compute_now][i] = 0.0;
        x[ST_cover][i] = 0.0;
    }
}

/* The loop over the block is written to vectorise (#pragma omp simd; exp and log from
 * vmath.h; max and min as comparisons, not fmax/fmin, whose NaN rules have no vector
 * instruction): every lane computes exactly what the scalar code would, so the numbers
 * do not depend on the vector width.  The market of cycle k (prices, routing, profit,
 * rent) does not depend on B_k, so it is computed first and the budget after it; at
 * k = 0 that gives Π₋₁ = Π₀ and R₋₁ = R₀ (MODEL.md §3.5). */
void model_record(const gs_model *m, gs_block *b, int k, double *const out[VAR_COUNT])
{
    const gs_params *p = &m->p;
    const size_t n = b->n;
    const double dt = p->run_cycle_years, t = k * dt; /* τ_k */
    /* Per-cycle constants: the deterministic trends at τ_k. */
    const double log_hw_trend = log(p->hardware_cost0) + p->hardware_trend * t;
    const double log_power_trend = log(p->power_price0) + p->power_trend * t;
    const double kwh_per_ah = p->energy_kwh_per_ah * exp(p->energy_trend * t); /* W_k */
    const double ah_per_mtok = p->serving_ah_per_mtok * exp(p->serving_trend * t);
    const double g_budget = model_budget_growth(m, k);                     /* g_{B,k} */
    const double g_x = g_budget + p->training_algorithmic - p->hardware_trend; /* g_{X,k} */
    const double budget_trend = p->training_budget0 * exp(model_log_funding_trend(m, k));
    const double log_compute_factor = log(dt) + p->training_algorithmic * t; /* ln(Δ e^{a τ}) */
    const double capture_t = p->pricing_capture * exp(p->pricing_capture_trend * t);
    const double eta = p->pricing_competition_exponent;
    const double lag_per_point = 12.0 / (p->capability_gain_per_efold * g_x);
    const double west_points = p->capability_gain_per_efold * g_x * p->governance_west_lag_months / 12.0;
    const double trend_step0 = (model_budget_growth(m, 0) + p->training_algorithmic -
                                p->hardware_trend) * dt; /* g_{X,0} Δ */
    const double q_closed0 = p->capability_closed0, nu = p->demand_value_elasticity;
    const double value0 = p->demand_value_per_mtok, omega = p->demand_value_dilution;
    const double log_demand0 = log(p->demand_mtok0);
    const double switching = k == 0 ? 0.0 : p->demand_switching;
    const double closed_ratio = p->serving_closed_size_ratio, reinvest = p->training_reinvest;
    const double open_markup = 1.0 + p->pricing_open_margin;
    const double sensitive = p->demand_sensitive_share, a_max = p->demand_readiness_max;
    const double phi0 = p->governance_restricted_share0, phi1 = p->governance_restricted_share1;
    const double psi = p->training_funding_elasticity;
    const double p_hard_closed = m->p_hard_closed, hard_offset = p->intelligence_hard_task_offset;
    const double inv_spread = 1.0 / p->intelligence_difficulty_spread;
    const int first = k == 0;

    double *const *x = b->x;
    const double *restrict hw_dev = x[ST_hw_dev], *restrict power_dev = x[ST_power_dev];
    const double *restrict q_closed = x[ST_q_closed], *restrict q_open = x[ST_q_open];
    const double *restrict log_demand = x[ST_log_demand], *restrict ready_logit = x[ST_ready_logit];
    const double *restrict regime = x[ST_regime], *restrict labs = x[ST_labs];
    double *restrict labs_prev = x[ST_labs_prev], *restrict share_state = x[ST_share];
    double *restrict profit_prev = x[ST_profit_prev], *restrict rent_prev = x[ST_rent_prev];
    double *restrict rent0 = x[ST_rent0], *restrict cover_state = x[ST_cover];
    double *restrict compute_prev = x[ST_compute_prev], *restrict compute_now = x[ST_compute_now];
    double *restrict o_value = out[VAR_value_at_stake], *restrict o_capture = out[VAR_capture];

    /* V_k = V₀ (Q^c_k / Q^c₀)^ν (D_k / D₀)^(−ω) and γ_k = min(1, γ₁ n_k^{−η} e^{μ_γ τ_k}),
     * in loops of their own so that ν = 1, ω = 0 and n_k < MODEL_CAPTURE_TABLE cost no
     * exp/log (n_k^{−η} from the table). */
    if (nu == 1.0 && omega == 0.0) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) o_value[i] = value0 * (q_closed[i] / q_closed0);
    } else if (nu == 1.0) {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            o_value[i] = value0 * (q_closed[i] / q_closed0) *
                         vm_exp(-omega * (log_demand[i] - log_demand0));
    } else {
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            o_value[i] = value0 * vm_exp(nu * vm_log(q_closed[i] / q_closed0) -
                                         omega * (log_demand[i] - log_demand0));
    }
    for (size_t i = 0; i < n; i++) {
        const double nl = labs[i];
        const double pw = nl < MODEL_CAPTURE_TABLE ? m->capture_pow[(int)nl] : exp(-eta * log(nl));
        const double c = capture_t * pw;
        o_capture[i] = c < 1.0 ? c : 1.0;
    }

#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* §3.1-3. H_k, E_k, u_k = H_k + W_k E_k */
        const double hw = vm_exp(log_hw_trend + hw_dev[i]);
        const double power = vm_exp(log_power_trend + power_dev[i]);
        const double compute = hw + kwh_per_ah * power;
        /* §3.4. s^o_k = n₀ e^{μ_n τ_k} u_k, s^c_k = r_c s^o_k */
        const double serve_open = ah_per_mtok * compute;
        const double serve_closed = closed_ratio * serve_open;
        /* G_k = (Q^c − Q^o)/Q^c; §4.3 Q^w_k = clamp(Q^o_k − b g_{X,k} ℓ_w/12, 0, Q^o_k);
         * G^w_k = (Q^c − Q^w)/Q^c */
        const double qc = q_closed[i], qo = q_open[i];
        const double gap_points = qc - qo;
        const double gap = gap_points / qc;
        const double qw_raw = qo - west_points;
        const double qw = qw_raw < 0.0 ? 0.0 : qw_raw > qo ? qo : qw_raw;
        const double gap_west = (qc - qw) / qc;
        const double value = o_value[i], capture = o_capture[i];
        /* §6.3. P^o = s^o (1 + m_o);  P^c = max(P^o, s^c + γ_k G_k V_k) */
        const double price_open = serve_open * open_markup;
        const double gap_value = gap * value, west_value = gap_west * value;
        const double ask = serve_closed + capture * gap_value;
        const double price_closed = ask > price_open ? ask : price_open;
        const double diff = price_closed - price_open; /* x_k */
        /* §5.3. σ_k(G) = f_s exp(−x_k/(G V_k)) for G V_k > 0, else 0 */
        const double sig_e = sensitive * vm_exp(-diff / gap_value);
        const double sig = gap_value > 0.0 ? sig_e : 0.0;
        const double sigw_e = sensitive * vm_exp(-diff / west_value);
        const double sigw = west_value > 0.0 ? sigw_e : 0.0;
        /* §5.2. A_k = A_max logistic(w_k);  §4.1 φ_k = φ₀ or φ₁ by regime */
        const double ready = a_max / (1.0 + vm_exp(-ready_logit[i]));
        const double phi = regime[i] > 0.5 ? phi1 : phi0;
        /* S*_k = (1 − A_k) + A_k [(1 − φ_k) σ_k(G_k) + φ_k σ_k(G^w_k)] */
        const double eq_share = (1.0 - ready) + ready * ((1.0 - phi) * sig + phi * sigw);
        /* §5.4. S_k = S_{k−1} + α (S*_k − S_{k−1}) (S₀ at k = 0) */
        const double share = share_state[i] + switching * (eq_share - share_state[i]);
        share_state[i] = share;
        const double demand = vm_exp(log_demand[i]);
        /* §6.4. Π_k = (P^c − s^c) S D;  R_k = (P^c − P^o) S D;  π_k = P^c/P^o − 1 */
        const double profit = (price_closed - serve_closed) * share * demand;
        const double rent = diff * share * demand;
        const double nl = labs[i];
        /* §3.5. R₋₁ = R₀, Π₋₁ = Π₀, n₋₁ = n₀ (the state is loaded unconditionally, so
         * that the selects below are branch-free and the loop vectorises) */
        const double r0_state = rent0[i], r_state = rent_prev[i];
        const double pi_state = profit_prev[i], n_state = labs_prev[i];
        const double r0 = first ? rent : r0_state;
        rent0[i] = r0;
        const double r_prev = first ? rent : r_state;
        const double pi_prev = first ? profit : pi_state;
        const double n_prev = first ? nl : n_state;
        /* M_k = ((R_{k−1} + R₀) / (2 R₀))^ψ (1 when R₀ = 0);
         * B_k = B₀ F_k M_k + ρ max(0, Π_{k−1}/n_{k−1}) */
        const double mult_e = vm_exp(psi * vm_log((r_prev + r0) / (2.0 * r0)));
        const double mult = r0 > 0.0 ? mult_e : 1.0;
        const double per_lab = pi_prev / n_prev;
        const double budget = budget_trend * mult + reinvest * (per_lab > 0.0 ? per_lab : 0.0);
        /* §6.1. ζ_k = Π_k / (n_k B_k) */
        const double cover = profit / (nl * budget);
        cover_state[i] = cover;
        profit_prev[i] = profit;
        rent_prev[i] = rent;
        labs_prev[i] = nl;
        /* §3.6. X_k = B_k Δ e^{a τ_k} / u_k, kept as ln X_k = ln B_k + ln Δ + a τ_k − ln u_k
         * (X itself overflows a double after a few centuries of model time; its logarithm
         * does not);  X₋₁ = X₀ e^{−g_{X,0} Δ} */
        const double log_x = vm_log(budget) + log_compute_factor - vm_log(compute);
        compute_now[i] = log_x;
        const double x_state = compute_prev[i];
        compute_prev[i] = first ? log_x - trend_step0 : x_state;
        /* §7. p(Q) = 1/(1 + exp(−(Q − Q^c_k + δ_d)/s_d));  L^x = P^x / p(Q^x);
         * π^Q = L^c/L^o − 1.  The exponent is capped at MODEL_LOGIT_CAP (p ≥ e^{−600}),
         * so that a model hopelessly far behind has a huge but finite cost per success */
        const double z_open = -(qo - qc + hard_offset) * inv_spread;
        const double p_open =
            1.0 / (1.0 + vm_exp(z_open < MODEL_LOGIT_CAP ? z_open : MODEL_LOGIT_CAP));
        const double lcoi_open = price_open / p_open, lcoi_closed = price_closed / p_hard_closed;

        out[VAR_hw_cost][i] = hw;
        out[VAR_power_price][i] = power;
        out[VAR_compute_cost][i] = compute;
        out[VAR_serving_cost_open][i] = serve_open;
        out[VAR_serving_cost_closed][i] = serve_closed;
        out[VAR_training_budget][i] = budget;
        out[VAR_funding_multiplier][i] = mult;
        out[VAR_quality_closed][i] = qc;
        out[VAR_quality_open][i] = qo;
        out[VAR_quality_open_west][i] = qw;
        out[VAR_gap][i] = gap;
        /* lag_months = 12 (Q^c − Q^o) / (b g_{X,k}) */
        out[VAR_lag_months][i] = lag_per_point * gap_points;
        out[VAR_price_open][i] = price_open;
        out[VAR_price_closed][i] = price_closed;
        out[VAR_readiness][i] = ready;
        out[VAR_restricted][i] = regime[i];
        out[VAR_restricted_share][i] = phi;
        out[VAR_closed_labs][i] = nl;
        out[VAR_profit_cover][i] = cover;
        out[VAR_equilibrium_share][i] = eq_share;
        out[VAR_closed_share][i] = share;
        out[VAR_demand][i] = demand;
        out[VAR_closed_profit][i] = profit;
        out[VAR_rent][i] = rent;
        out[VAR_premium][i] = price_closed / price_open - 1.0;
        out[VAR_premium_q][i] = lcoi_closed / lcoi_open - 1.0;
        out[VAR_lcoi_open][i] = lcoi_open;
        out[VAR_lcoi_closed][i] = lcoi_closed;
    }
}

/* The random numbers of one trajectory-cycle, always drawn in this order (MODEL.md §2):
 *   1. six normals z (ε = L z over hardware, power, closed, open, demand, readiness);
 *   2. the hardware supply-shock event (one 32-bit output);
 *   3. the open-model breakthrough event (one 32-bit output);
 *   4. the jump size J (a normal, drawn whether or not a shock happens, so that an
 *      antithetic pair stays in step);
 *   5. the governance switch (one 32-bit output);
 *   6. the closed-lab entry or exit (one 32-bit output).
 * An event with probability p happens when its output x < p 2³².  A mirrored trajectory
 * (b->mirror[i], antithetic variates) draws the same numbers from a copy of its
 * partner's generator and uses −z, −J and 2³²−1−x (u → 1 − u): its shocks are the
 * partner's reflected. */
void model_advance(const gs_model *m, gs_block *b, int k, rng_pcg32 *rng)
{
    const gs_params *p = &m->p;
    const double *L = m->L;
    const double dt = p->run_cycle_years;
    const double jump_threshold = m->jump_prob * 0x1.0p32;
    const double breakthrough_threshold = m->breakthrough_prob * 0x1.0p32;
    const double on_threshold = m->switch_on_prob * 0x1.0p32;
    const double off_threshold = m->switch_off_prob * 0x1.0p32;
    const double b_points = p->capability_gain_per_efold;
    const double catch_up = p->capability_catch_up, catch_up_sd = p->capability_catch_up_sd;
    const double cut = p->governance_catch_up_cut;
    const double close = p->capability_breakthrough_close;
    const double g_demand = model_demand_growth(m, k);
    const double demand_drift = (g_demand - 0.5 * p->demand_vol * p->demand_vol) * dt;
    const double ready_drift = p->demand_readiness_rate * dt;
    const double req = p->labs_required_cover, n_max = p->labs_max;
    const double entry_dt = p->labs_entry_rate * dt, exit_dt = p->labs_exit_rate * dt;
    double *const *x = b->x;

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
        const int shock = (double)(rng_pcg32_next(r) ^ flip) < jump_threshold;
        const int breakthrough = (double)(rng_pcg32_next(r) ^ flip) < breakthrough_threshold;
        const double jump = sign * rng_normal(r);
        const double u_regime = (double)(rng_pcg32_next(r) ^ flip);
        const double u_labs = (double)(rng_pcg32_next(r) ^ flip);

        /* §3.1. y_{k+1} = y_k e^{−θ_H Δ} + σ_H √((1−e^{−2θ_H Δ})/(2θ_H)) ε_hw + N_k J_k,
         *       J_k ~ N(m_J, s_J²) */
        double y = x[ST_hw_dev][i] * m->hw_decay + m->hw_step * eps[SHOCK_HARDWARE];
        if (shock) y += p->hardware_shock_mean + p->hardware_shock_sd * jump;
        x[ST_hw_dev][i] = y;
        /* §3.2. e_{k+1} = e_k e^{−θ_E Δ} + σ_E √(…) ε_power */
        x[ST_power_dev][i] = x[ST_power_dev][i] * m->power_decay + m->power_step * eps[SHOCK_POWER];
        /* §3.7. Q^c_{k+1} = Q^c_k + max(0, b ln(X_k/X_{k−1}) + σ_c √Δ ε_closed) */
        const double gain = b_points * (x[ST_compute_now][i] - x[ST_compute_prev][i]) +
                            m->closed_step * eps[SHOCK_CLOSED];
        const double qc = x[ST_q_closed][i] + fmax(0.0, gain);
        x[ST_compute_prev][i] = x[ST_compute_now][i];
        /* §4.2. κ_k = clamp(κ̄ (1 − δ_κ g_k) + σ_κ ε_open, 0, 1);
         *       Q^o_{k+1} = Q^o_k + κ_k (Q^c_{k+1} − Q^o_k); a breakthrough adds
         *       β (Q^c_{k+1} − Q^o_{k+1}) */
        const double g = x[ST_regime][i];
        const double kappa =
            fmin(1.0, fmax(0.0, catch_up * (1.0 - cut * g) + catch_up_sd * eps[SHOCK_OPEN]));
        double qo = x[ST_q_open][i] + kappa * (qc - x[ST_q_open][i]);
        if (breakthrough) qo += close * (qc - qo);
        x[ST_q_closed][i] = qc;
        x[ST_q_open][i] = qo;
        /* §5.1. ln D_{k+1} = ln D_k + (g_{D,k} − σ_D²/2) Δ + σ_D √Δ ε_demand */
        x[ST_log_demand][i] += demand_drift + m->demand_step * eps[SHOCK_DEMAND];
        /* §5.2. w_{k+1} = w_k + r_A Δ + σ_A √Δ ε_ready */
        x[ST_ready_logit][i] += ready_drift + m->ready_step * eps[SHOCK_READINESS];
        /* §4.1. g switches 0 → 1 with probability 1 − e^{−λ_on Δ}, 1 → 0 with 1 − e^{−λ_off Δ} */
        if (g > 0.5)
            x[ST_regime][i] = u_regime < off_threshold ? 0.0 : 1.0;
        else
            x[ST_regime][i] = u_regime < on_threshold ? 1.0 : 0.0;
        /* §6.1. ζ_k ≥ ζ*: one lab enters with probability 1 − exp(−λ_e Δ (ζ_k/ζ* − 1));
         *       ζ_k < ζ*: one lab exits with probability 1 − exp(−λ_x Δ (1 − ζ_k/ζ*));
         *       n_{k+1} = clamp(n_k ± 1, 1, n_max) */
        const double ratio = x[ST_cover][i] / req, nl = x[ST_labs][i];
        double nn = nl;
        if (ratio >= 1.0) {
            if (u_labs < (1.0 - vm_exp(-entry_dt * (ratio - 1.0))) * 0x1.0p32) nn = nl + 1.0;
        } else if (ratio < 1.0) {
            if (u_labs < (1.0 - vm_exp(-exit_dt * (1.0 - ratio))) * 0x1.0p32) nn = nl - 1.0;
        }
        x[ST_labs][i] = nn < 1.0 ? 1.0 : nn > n_max ? n_max : nn;
    }
}

/* The events of model_advance that the recorded values do not show: consumes exactly the
 * random numbers model_advance draws in each of `cycles` cycles (the order of its
 * comment above) and counts the supply shocks and breakthroughs.  Keep the two in step. */
void model_count_events(const gs_params *p, rng_pcg32 *r, int mirrored, int cycles,
                        unsigned *shocks, unsigned *breakthroughs)
{
    const double dt = p->run_cycle_years;
    const double jump_threshold = -expm1(-p->hardware_shock_rate * dt) * 0x1.0p32;
    const double breakthrough_threshold = -expm1(-p->capability_breakthrough_rate * dt) * 0x1.0p32;
    const uint32_t flip = mirrored ? UINT32_MAX : 0u;
    *shocks = 0, *breakthroughs = 0;
    for (int k = 0; k < cycles; k++) {
        for (int j = 0; j < SHOCK_COUNT; j++) (void)rng_normal(r);
        *shocks += (double)(rng_pcg32_next(r) ^ flip) < jump_threshold;
        *breakthroughs += (double)(rng_pcg32_next(r) ^ flip) < breakthrough_threshold;
        (void)rng_normal(r);     /* the jump size */
        (void)rng_pcg32_next(r); /* the governance switch */
        (void)rng_pcg32_next(r); /* the lab entry or exit */
    }
}
