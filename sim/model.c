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

#include "rng_block.h"
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

/* The cycle-independent constants the loops read (model.h, MODEL_TRAJ), from the
 * parameters and the derived constants above: each is the value, or the expression,
 * the loops used before they had columns (log H₀, log Δ, log D₀, log q_B), so the bits
 * are the same. */
static void traj_of(gs_model *m)
{
    const gs_params *p = &m->p;
    model_traj *t = &m->t;
    t->dt = p->run_cycle_years;
    t->log_dt = log(p->run_cycle_years);
    t->log_hw0 = log(p->hardware_cost0);
    t->hardware_trend = p->hardware_trend;
    t->log_power0 = log(p->power_price0);
    t->power_trend = p->power_trend;
    t->kwh_per_ah0 = p->energy_kwh_per_ah;
    t->energy_trend = p->energy_trend;
    t->ah_per_mtok0 = p->serving_ah_per_mtok;
    t->serving_trend = p->serving_trend;
    t->energy_factor = exp(p->energy_trend * p->run_cycle_years);
    t->serving_factor = exp(p->serving_trend * p->run_cycle_years);
    t->growth = p->training_growth;
    t->growth_long = p->training_growth_long;
    t->budget_q = m->budget_q;
    t->log_budget_q = log(m->budget_q);
    t->budget0 = p->training_budget0;
    t->algorithmic = p->training_algorithmic;
    t->capture = p->pricing_capture;
    t->capture_trend = p->pricing_capture_trend;
    t->capture_factor = exp(p->pricing_capture_trend * p->run_cycle_years);
    t->eta = p->pricing_competition_exponent;
    t->gain_per_efold = p->capability_gain_per_efold;
    t->west_lag = p->governance_west_lag_months;
    t->q_closed0 = p->capability_closed0;
    t->nu = p->demand_value_elasticity;
    t->value0 = p->demand_value_per_mtok;
    t->omega = p->demand_value_dilution;
    t->log_demand0 = log(p->demand_mtok0);
    t->switching = p->demand_switching;
    t->closed_ratio = p->serving_closed_size_ratio;
    t->reinvest = p->training_reinvest;
    t->open_margin = p->pricing_open_margin;
    t->sensitive = p->demand_sensitive_share;
    t->a_max = p->demand_readiness_max;
    t->phi0 = p->governance_restricted_share0;
    t->phi1 = p->governance_restricted_share1;
    t->psi = p->training_funding_elasticity;
    t->p_hard_closed = m->p_hard_closed;
    t->hard_offset = p->intelligence_hard_task_offset;
    t->spread = p->intelligence_difficulty_spread;
    t->jump_prob = m->jump_prob;
    t->breakthrough_prob = m->breakthrough_prob;
    t->switch_on_prob = m->switch_on_prob;
    t->switch_off_prob = m->switch_off_prob;
    t->catch_up = p->capability_catch_up;
    t->catch_up_sd = p->capability_catch_up_sd;
    t->cut = p->governance_catch_up_cut;
    t->close = p->capability_breakthrough_close;
    t->demand_growth = p->demand_growth;
    t->demand_growth_long = p->demand_growth_long;
    t->demand_q = m->demand_q;
    t->demand_vol = p->demand_vol;
    t->readiness_rate = p->demand_readiness_rate;
    t->req = p->labs_required_cover;
    t->n_max = p->labs_max;
    t->entry_rate = p->labs_entry_rate;
    t->exit_rate = p->labs_exit_rate;
    t->hw_decay = m->hw_decay;
    t->hw_step = m->hw_step;
    t->power_decay = m->power_decay;
    t->power_step = m->power_step;
    t->closed_step = m->closed_step;
    t->demand_step = m->demand_step;
    t->ready_step = m->ready_step;
    t->shock_mean = p->hardware_shock_mean;
    t->shock_sd = p->hardware_shock_sd;
    /* derived, the same every cycle */
    t->open_markup = 1.0 + p->pricing_open_margin;
    t->inv_spread = 1.0 / p->intelligence_difficulty_spread;
    t->trend_step0 = (t->growth_long + (t->growth - t->growth_long) * pow(t->budget_q, 0.0) +
                      t->algorithmic - t->hardware_trend) * t->dt; /* g_{X,0} Δ */
    t->jump_threshold = m->jump_prob * 0x1.0p32;
    t->breakthrough_threshold = m->breakthrough_prob * 0x1.0p32;
    t->on_threshold = m->switch_on_prob * 0x1.0p32;
    t->off_threshold = m->switch_off_prob * 0x1.0p32;
    t->ready_drift = p->demand_readiness_rate * t->dt;
    t->entry_dt = p->labs_entry_rate * t->dt;
    t->exit_dt = p->labs_exit_rate * t->dt;
    t->cap_pw = 1.0; /* the first cycle computes n^{−η} */
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
    traj_of(m);
    m->isa = ISA_PORTABLE;
    return GS_OK;
}


/* g_{B,k} = g_{B∞} + (g_B − g_{B∞}) 2^{−τ_k / T_B}, τ_k = kΔ */
static double budget_growth(const model_traj *t, int k)
{
    return t->growth_long + (t->growth - t->growth_long) * pow(t->budget_q, (double)k);
}

/* ln F_k = Σ_{j<k} g_{B,j} Δ = Δ [k g_{B∞} + (g_B − g_{B∞}) (1 − q^k)/(1 − q)], q = 2^{−Δ/T_B}
 * (the geometric sum in closed form; q → 1 gives k) */
static double log_funding_trend(const model_traj *t, int k)
{
    const double q = t->budget_q, dt = t->dt;
    double geo = k == 0 ? 0.0 : q < 1.0 ? -expm1((double)k * t->log_budget_q) / (1.0 - q) : (double)k;
    return dt * ((double)k * t->growth_long + (t->growth - t->growth_long) * geo);
}

/* g_{D,k} = g_∞ + (g_D − g_∞) 2^{−τ_k / T_D} */
static double demand_growth(const model_traj *t, int k)
{
    return t->demand_growth_long +
           (t->demand_growth - t->demand_growth_long) * pow(t->demand_q, (double)k);
}

double model_budget_growth(const gs_model *m, int k) { return budget_growth(&m->t, k); }
double model_log_funding_trend(const gs_model *m, int k) { return log_funding_trend(&m->t, k); }
double model_demand_growth(const gs_model *m, int k) { return demand_growth(&m->t, k); }

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


/* ---- per-cycle constants ------------------------------------------------------------
 * The constants of cycle k that model_record and model_advance read, from one
 * trajectory's model_traj: computed once per call for a point-valued block, once per
 * trajectory and cycle (into columns of a chunk) for uncertain parameters. */

/* The cycle-dependent constants (computed per cycle, per trajectory with columns) and
 * those that are the same every cycle (fields of model_traj of the same name: columns
 * point at them directly). */
#define RECORD_KDEP(X)                                                                     \
    X(log_hw_trend) X(log_power_trend) X(kwh_per_ah) X(ah_per_mtok) X(budget_trend)         \
    X(log_compute_factor) X(capture_t) X(lag_per_point) X(west_points) X(switching)
#define RECORD_FIXED(X)                                                                    \
    X(eta) X(trend_step0) X(q_closed0) X(nu) X(value0) X(omega) X(log_demand0)              \
    X(closed_ratio) X(reinvest) X(open_markup) X(sensitive) X(a_max) X(phi0) X(phi1) X(psi) \
    X(p_hard_closed) X(hard_offset) X(inv_spread)
#define RECORD_CONSTS(X) RECORD_KDEP(X) RECORD_FIXED(X)

#define ADVANCE_KDEP(X) X(demand_drift)
#define ADVANCE_FIXED(X)                                                                   \
    X(jump_threshold) X(breakthrough_threshold) X(on_threshold) X(off_threshold)            \
    X(gain_per_efold) X(catch_up) X(catch_up_sd) X(cut) X(close) X(ready_drift) X(req)      \
    X(n_max) X(entry_dt) X(exit_dt) X(hw_decay) X(hw_step) X(power_decay) X(power_step)     \
    X(closed_step) X(demand_step) X(ready_step) X(shock_mean) X(shock_sd)
#define ADVANCE_CONSTS(X) ADVANCE_KDEP(X) ADVANCE_FIXED(X)

#define CONST_FIELD(name) double name;
#define CONST_COLUMN(name) double *name;
typedef struct { RECORD_CONSTS(CONST_FIELD) } record_consts;
/* vform: −1 when ν differs between the trajectories of the block, else the form their
 * common ν (and ω) select (0: ν = 1, a common ω = 0; 1: ν = 1, ω per trajectory, ω = 0
 * giving the bits of form 0; 2: otherwise); cap_table: NULL
 * when η differs, else n^{−η} of the common η for n < MODEL_CAPTURE_TABLE. */
typedef struct {
    RECORD_CONSTS(CONST_COLUMN) double *cap_pw;
    int vform;
    const double *cap_table;
    const double *log_n; /* when η differs: ln n from libm for 1 <= n < log_n_fill */
    int log_n_fill;
} record_columns;
typedef struct { ADVANCE_CONSTS(CONST_FIELD) } advance_consts;
typedef struct { ADVANCE_CONSTS(CONST_COLUMN) } advance_columns;
#define CONST_COUNT(name) +1
enum { RECORD_KDEP_COUNT = 0 RECORD_KDEP(CONST_COUNT),
       ADVANCE_KDEP_COUNT = 0 ADVANCE_KDEP(CONST_COUNT) };

/* Trajectories per chunk of the column kernels (their scratch is on the stack). */
enum { MODEL_CHUNK = 128 };

/* The deterministic trends at τ_k: the cycle-dependent constants of model_record. */
static void record_kdep_of(const model_traj *t, int k, record_consts *c)
{
    const double dt = t->dt, tau = k * dt; /* τ_k */
    c->log_hw_trend = t->log_hw0 + t->hardware_trend * tau;
    c->log_power_trend = t->log_power0 + t->power_trend * tau;
    c->kwh_per_ah = t->kwh_per_ah0 * exp(t->energy_trend * tau); /* W_k */
    c->ah_per_mtok = t->ah_per_mtok0 * exp(t->serving_trend * tau);
    const double g_budget = budget_growth(t, k);                      /* g_{B,k} */
    const double g_x = g_budget + t->algorithmic - t->hardware_trend; /* g_{X,k} */
    c->budget_trend = t->budget0 * exp(log_funding_trend(t, k));
    c->log_compute_factor = t->log_dt + t->algorithmic * tau; /* ln(Δ e^{a τ}) */
    c->capture_t = t->capture * exp(t->capture_trend * tau);
    c->lag_per_point = 12.0 / (t->gain_per_efold * g_x);
    c->west_points = t->gain_per_efold * g_x * t->west_lag / 12.0;
    c->switching = k == 0 ? 0.0 : t->switching;
}

static void record_consts_of(const model_traj *t, int k, record_consts *c)
{
    record_kdep_of(t, k, c);
#define CONST_COPY(name) c->name = t->name;
    RECORD_FIXED(CONST_COPY)
}

/* The cycle-dependent constant of model_advance. */
static void advance_kdep_of(const model_traj *t, int k, advance_consts *c)
{
    const double g_demand = demand_growth(t, k);
    c->demand_drift = (g_demand - 0.5 * t->demand_vol * t->demand_vol) * t->dt;
}

static void advance_consts_of(const model_traj *t, int k, advance_consts *c)
{
    advance_kdep_of(t, k, c);
    ADVANCE_FIXED(CONST_COPY)
#undef CONST_COPY
}

/* A constant of the kernels below: the block's scalar, or trajectory i's column, both
 * read into locals before the loops (KC_LOCALS) so that the loops vectorise. */
#define KC_LOCAL(name)                                                                     \
    const double *restrict col_##name __attribute__((unused)) = percol ? cc->name : NULL;  \
    const double k_##name __attribute__((unused)) = percol ? 0.0 : kc->name;
#define KC(name) (percol ? col_##name[i] : k_##name)

/* ---- model_record ---------------------------------------------------------------------
 * The loops over the block are written to vectorise (#pragma omp simd; exp and log from
 * vmath.h; max and min as comparisons, not fmax/fmin, whose NaN rules have no vector
 * instruction): every lane computes exactly what the scalar code would, so the numbers
 * do not depend on the vector width, and the kernel is compiled once per instruction set
 * (portable, AVX2, AVX-512) with the same bits.  The market of cycle k (prices, routing,
 * profit, rent) does not depend on B_k, so it is computed first and the budget after it;
 * at k = 0 that gives Π₋₁ = Π₀ and R₋₁ = R₀ (MODEL.md §3.5).  percol (a constant at
 * each call site) selects scalar constants kc or per-trajectory columns cc. */
static inline __attribute__((always_inline)) void
record_kernel(const int percol, const record_consts *kc, const record_columns *cc,
              const double *capture_pow, size_t n, int k, double *const *x,
              double *const *out)
{
    const int first = k == 0;
    RECORD_CONSTS(KC_LOCAL)
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
     * exp/log (n_k^{−η} from the table).  With columns whose ν differ, each trajectory
     * takes the branch its own ν and ω select (the three forms computed, one kept); with
     * a common ν (cc->vform >= 0) the one form, as a point-valued run, with each
     * trajectory's ω (the same bits as the branch it would take). */
    const int vform = percol ? cc->vform
                      : kc->nu == 1.0 && kc->omega == 0.0 ? 0
                      : kc->nu == 1.0                     ? 1
                                                          : 2;
    if (vform < 0) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            const double nu = KC(nu), omega = KC(omega), value0 = KC(value0);
            const double ratio = q_closed[i] / KC(q_closed0), dlog = log_demand[i] - KC(log_demand0);
            /* one exp for the two forms that need one: the bits of value0 · ratio ·
             * e^{−ω dlog} (ν = 1) and of value0 · e^{ν ln ratio − ω dlog} */
            const double v1 = value0 * ratio;
            const double arg = nu == 1.0 ? -omega * dlog : nu * vm_log(ratio) - omega * dlog;
            const double v23 = (nu == 1.0 ? v1 : value0) * vm_exp(arg);
            o_value[i] = nu == 1.0 && omega == 0.0 ? v1 : v23;
        }
    } else {
        /* the same expressions as the per-trajectory forms above (ω per trajectory: a
         * common ν with differing ω takes one of these forms too) */
        const double nu = percol ? cc->nu[0] : kc->nu;
        if (vform == 0) {
#pragma omp simd
            for (size_t i = 0; i < n; i++) o_value[i] = KC(value0) * (q_closed[i] / KC(q_closed0));
        } else if (vform == 1) {
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                const double omega = KC(omega), v1 = KC(value0) * (q_closed[i] / KC(q_closed0));
                const double v2 = v1 * vm_exp(-omega * (log_demand[i] - KC(log_demand0)));
                o_value[i] = omega == 0.0 ? v1 : v2;
            }
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++)
                o_value[i] = KC(value0) * vm_exp(nu * vm_log(q_closed[i] / KC(q_closed0)) -
                                                 KC(omega) * (log_demand[i] - KC(log_demand0)));
        }
    }
    if (percol && !cc->cap_table) {
        /* n^{−η} as model_init tabulates it: 1 when η = 0, else exp(−η ln n), cached per
         * trajectory (cap_pw) at its lab count of the cycle before, n_{k−1} (labs_prev:
         * each record sets it to n_k, as it computes the cache for n_k).  The cached value
         * for every trajectory in a loop that vectorises; then, n changing seldom, the
         * trajectories whose n changed (every one at k = 0) again with libm's exp and log
         * (the same bits as before), their cache written (its lines stay clean otherwise). */
        double *restrict cap_pw = cc->cap_pw;
        int changed = first;
#pragma omp simd reduction(| : changed)
        for (size_t i = 0; i < n; i++) {
            const double c = KC(capture_t) * cap_pw[i];
            o_capture[i] = c < 1.0 ? c : 1.0;
            changed |= labs[i] != labs_prev[i];
        }
        for (size_t i = 0; changed && i < n; i++) {
            const double nl = labs[i], eta = KC(eta);
            if (!first && nl == labs_prev[i]) continue;
            const double ln = nl < cc->log_n_fill ? cc->log_n[(int)nl] : log(nl);
            const double pw = eta == 0.0 ? 1.0 : exp(-eta * ln);
            cap_pw[i] = pw;
            const double c = KC(capture_t) * pw;
            o_capture[i] = c < 1.0 ? c : 1.0;
        }
    } else {
        const double eta = percol ? cc->eta[0] : kc->eta;
        const double *table = percol ? cc->cap_table : capture_pow;
        for (size_t i = 0; i < n; i++) {
            const double nl = labs[i];
            const double pw = nl < MODEL_CAPTURE_TABLE ? table[(int)nl] : exp(-eta * log(nl));
            const double c = KC(capture_t) * pw;
            o_capture[i] = c < 1.0 ? c : 1.0;
        }
    }

    /* The market of cycle k in stages, each its own loop over the chunk (n <= MODEL_CHUNK)
     * through chunk-sized scratch and the chunk's output arrays: one loop with all twelve
     * exp/log and sixteen divisions of a trajectory was longer than the processor's
     * reorder window, so it ran at the latency of its longest chain, one trajectory group
     * after the other; short loops of independent iterations overlap.  Every value is the
     * same expression as before, so the bits are unchanged. */
    double t_gap_value[MODEL_CHUNK], t_west_value[MODEL_CHUNK], t_diff[MODEL_CHUNK];
    double t_p_open[MODEL_CHUNK], t_log_ratio[MODEL_CHUNK];
    double *restrict o_hw = out[VAR_hw_cost], *restrict o_power = out[VAR_power_price];
    double *restrict o_compute = out[VAR_compute_cost];
    double *restrict o_serve_open = out[VAR_serving_cost_open];
    double *restrict o_serve_closed = out[VAR_serving_cost_closed];
    double *restrict o_budget = out[VAR_training_budget], *restrict o_mult = out[VAR_funding_multiplier];
    double *restrict o_qc = out[VAR_quality_closed], *restrict o_qo = out[VAR_quality_open];
    double *restrict o_qw = out[VAR_quality_open_west], *restrict o_gap = out[VAR_gap];
    double *restrict o_lag = out[VAR_lag_months];
    double *restrict o_price_open = out[VAR_price_open], *restrict o_price_closed = out[VAR_price_closed];
    double *restrict o_ready = out[VAR_readiness], *restrict o_restricted = out[VAR_restricted];
    double *restrict o_phi = out[VAR_restricted_share], *restrict o_labs = out[VAR_closed_labs];
    double *restrict o_cover = out[VAR_profit_cover], *restrict o_eq_share = out[VAR_equilibrium_share];
    double *restrict o_share = out[VAR_closed_share], *restrict o_demand = out[VAR_demand];
    double *restrict o_profit = out[VAR_closed_profit], *restrict o_rent = out[VAR_rent];
    double *restrict o_premium = out[VAR_premium], *restrict o_premium_q = out[VAR_premium_q];
    double *restrict o_lcoi_open = out[VAR_lcoi_open], *restrict o_lcoi_closed = out[VAR_lcoi_closed];

    /* §3.1-2. H_k, E_k; §5.1 D_k */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        o_hw[i] = vm_exp(KC(log_hw_trend) + hw_dev[i]);
        o_power[i] = vm_exp(KC(log_power_trend) + power_dev[i]);
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) o_demand[i] = vm_exp(log_demand[i]);
    /* §5.2. A_k = A_max logistic(w_k);  §7. p(Q) = 1/(1 + exp(−(Q − Q^c_k + δ_d)/s_d)),
     * the exponent capped at MODEL_LOGIT_CAP (p ≥ e^{−600}), so that a model hopelessly
     * far behind has a huge but finite cost per success */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        o_ready[i] = KC(a_max) / (1.0 + vm_exp(-ready_logit[i]));
        const double z_open = -(q_open[i] - q_closed[i] + KC(hard_offset)) * KC(inv_spread);
        t_p_open[i] = 1.0 / (1.0 + vm_exp(z_open < MODEL_LOGIT_CAP ? z_open : MODEL_LOGIT_CAP));
    }

    /* prices */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* §3.3. u_k = H_k + W_k E_k */
        const double hw = o_hw[i], power = o_power[i];
        const double compute = hw + KC(kwh_per_ah) * power;
        /* §3.4. s^o_k = n₀ e^{μ_n τ_k} u_k, s^c_k = r_c s^o_k */
        const double serve_open = KC(ah_per_mtok) * compute;
        const double serve_closed = KC(closed_ratio) * serve_open;
        /* G_k = (Q^c − Q^o)/Q^c; §4.3 Q^w_k = clamp(Q^o_k − b g_{X,k} ℓ_w/12, 0, Q^o_k);
         * G^w_k = (Q^c − Q^w)/Q^c */
        const double qc = q_closed[i], qo = q_open[i];
        const double gap_points = qc - qo;
        const double gap = gap_points / qc;
        const double qw_raw = qo - KC(west_points);
        const double qw = qw_raw < 0.0 ? 0.0 : qw_raw > qo ? qo : qw_raw;
        const double gap_west = (qc - qw) / qc;
        const double value = o_value[i], capture = o_capture[i];
        /* §6.3. P^o = s^o (1 + m_o);  P^c = max(P^o, s^c + γ_k G_k V_k) */
        const double price_open = serve_open * KC(open_markup);
        const double gap_value = gap * value, west_value = gap_west * value;
        const double ask = serve_closed + capture * gap_value;
        const double price_closed = ask > price_open ? ask : price_open;
        t_diff[i] = price_closed - price_open; /* x_k */
        t_gap_value[i] = gap_value, t_west_value[i] = west_value;
        o_compute[i] = compute;
        o_serve_open[i] = serve_open;
        o_serve_closed[i] = serve_closed;
        o_qc[i] = qc;
        o_qo[i] = qo;
        o_qw[i] = qw;
        o_gap[i] = gap;
        /* lag_months = 12 (Q^c − Q^o) / (b g_{X,k}) */
        o_lag[i] = KC(lag_per_point) * gap_points;
        o_price_open[i] = price_open;
        o_price_closed[i] = price_closed;
        /* §6.4. π_k = P^c/P^o − 1;  §7. L^c = P^c / p(Q^c) */
        o_premium[i] = price_closed / price_open - 1.0;
        o_lcoi_closed[i] = price_closed / KC(p_hard_closed);
    }

    /* §5.3-4. shares */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* σ_k(G) = f_s exp(−x_k/(G V_k)) for G V_k > 0, else 0 */
        const double diff = t_diff[i], gap_value = t_gap_value[i], west_value = t_west_value[i];
        const double sensitive = KC(sensitive);
        const double sig_e = sensitive * vm_exp(-diff / gap_value);
        const double sig = gap_value > 0.0 ? sig_e : 0.0;
        const double sigw_e = sensitive * vm_exp(-diff / west_value);
        const double sigw = west_value > 0.0 ? sigw_e : 0.0;
        /* §4.1 φ_k = φ₀ or φ₁ by regime */
        const double ready = o_ready[i];
        const double phi1 = KC(phi1), phi0 = KC(phi0); /* loaded unconditionally */
        const double phi = regime[i] > 0.5 ? phi1 : phi0;
        /* S*_k = (1 − A_k) + A_k [(1 − φ_k) σ_k(G_k) + φ_k σ_k(G^w_k)] */
        const double eq_share = (1.0 - ready) + ready * ((1.0 - phi) * sig + phi * sigw);
        /* §5.4. S_k = S_{k−1} + α (S*_k − S_{k−1}) (S₀ at k = 0) */
        const double share = share_state[i] + KC(switching) * (eq_share - share_state[i]);
        share_state[i] = share;
        const double demand = o_demand[i];
        /* §6.4. Π_k = (P^c − s^c) S D;  R_k = (P^c − P^o) S D */
        const double profit = (o_price_closed[i] - o_serve_closed[i]) * share * demand;
        const double rent = diff * share * demand;
        /* §3.5. R₋₁ = R₀ (the state is loaded unconditionally, so that the selects below
         * are branch-free and the loop vectorises) */
        const double r0_state = rent0[i], r_state = rent_prev[i];
        const double r0 = first ? rent : r0_state;
        rent0[i] = r0;
        const double r_prev = first ? rent : r_state;
        /* ln of M_k's base (R_{k−1} + R₀) / (2 R₀), used below */
        t_log_ratio[i] = vm_log((r_prev + r0) / (2.0 * r0));
        rent_prev[i] = rent;
        o_restricted[i] = regime[i];
        o_phi[i] = phi;
        o_eq_share[i] = eq_share;
        o_share[i] = share;
        o_profit[i] = profit;
        o_rent[i] = rent;
    }

    /* §3.5-6. budget, profit cover, effective compute */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double profit = o_profit[i], r0 = rent0[i], nl = labs[i];
        /* Π₋₁ = Π₀, n₋₁ = n₀ */
        const double pi_state = profit_prev[i], n_state = labs_prev[i];
        const double pi_prev = first ? profit : pi_state;
        const double n_prev = first ? nl : n_state;
        /* M_k = ((R_{k−1} + R₀) / (2 R₀))^ψ (1 when R₀ = 0);
         * B_k = B₀ F_k M_k + ρ max(0, Π_{k−1}/n_{k−1}) */
        const double mult_e = vm_exp(KC(psi) * t_log_ratio[i]);
        const double mult = r0 > 0.0 ? mult_e : 1.0;
        const double per_lab = pi_prev / n_prev;
        const double budget =
            KC(budget_trend) * mult + KC(reinvest) * (per_lab > 0.0 ? per_lab : 0.0);
        /* §6.1. ζ_k = Π_k / (n_k B_k) */
        const double cover = profit / (nl * budget);
        cover_state[i] = cover;
        profit_prev[i] = profit;
        labs_prev[i] = nl;
        o_budget[i] = budget;
        o_mult[i] = mult;
        o_labs[i] = nl;
        o_cover[i] = cover;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* §3.6. X_k = B_k Δ e^{a τ_k} / u_k, kept as ln X_k = ln B_k + ln Δ + a τ_k − ln u_k
         * (X itself overflows a double after a few centuries of model time; its logarithm
         * does not);  X₋₁ = X₀ e^{−g_{X,0} Δ} */
        const double log_x = vm_log(o_budget[i]) + KC(log_compute_factor) - vm_log(o_compute[i]);
        compute_now[i] = log_x;
        const double x_state = compute_prev[i];
        compute_prev[i] = first ? log_x - KC(trend_step0) : x_state;
    }
    /* §7. L^o = P^o / p(Q^o);  π^Q = L^c/L^o − 1 */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double lcoi_open = o_price_open[i] / t_p_open[i];
        o_lcoi_open[i] = lcoi_open;
        o_premium_q[i] = o_lcoi_closed[i] / lcoi_open - 1.0;
    }
}

/* ---- model_advance --------------------------------------------------------------------
 * The random numbers of one trajectory-cycle, always drawn in this order (MODEL.md §2):
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
 * partner's reflected.  The numbers of a chunk of trajectories are drawn at once by
 * rng_block_draw (plan ADVANCE_PLAN, vector generators on AVX2 / AVX-512, the same bits
 * as the scalar draws), then the kernel moves the chunk's state. */
#define ADVANCE_PLAN "NNNNNNWWNWW"
enum { ADVANCE_DRAWS = 11 };
enum { D_SHOCK = SHOCK_COUNT, D_BREAKTHROUGH, D_JUMP, D_REGIME, D_LABS };

/* The trajectories' own factors (an uncertain correlation), ε = L z into eps[j][i] for a
 * chunk, one pass over the chunk per term of L that is not zero for the whole view:
 * terms[j][l] < 0 is an entry that is zero for every trajectory of the view (skipped),
 * terms[j][l] = 0 an entry the same for all (value[j][l]), 1 one that differs (column
 * Lp[j][l]).  Row j is still ((0 + L_j0 z_0) + L_j1 z_1) + … in that order, and leaving
 * out a term L_jl z_l = ±0 (z finite) changes no bit: the sum starts at +0 and x + ±0 = x
 * for every x but −0, which a sum that starts at +0 never is.  So each ε is the bits of
 * advance_kernel's fused loop, which reads all 21 entries of every trajectory. */
typedef struct {
    signed char kind[SHOCK_COUNT * SHOCK_COUNT];
    double value[SHOCK_COUNT * SHOCK_COUNT];
} eps_terms;

static inline __attribute__((always_inline)) void
eps_kernel(const eps_terms *t, const double *const *Lp, size_t n, double *const *d,
           double (*eps)[MODEL_CHUNK])
{
    for (int j = 0; j < SHOCK_COUNT; j++) {
        double *restrict e = eps[j];
#pragma omp simd
        for (size_t i = 0; i < n; i++) e[i] = 0.0;
        for (int l = 0; l <= j; l++) {
            const int entry = j * SHOCK_COUNT + l;
            const double *restrict z = d[l];
            if (t->kind[entry] == 0) {
                const double v = t->value[entry];
#pragma omp simd
                for (size_t i = 0; i < n; i++) e[i] = e[i] + v * z[i];
            } else if (t->kind[entry] > 0) {
                const double *restrict col = Lp[entry];
#pragma omp simd
                for (size_t i = 0; i < n; i++) e[i] = e[i] + col[i] * z[i];
            }
        }
    }
}

/* eps_given: ε = L z with the model's factor L (0), or ε already in eps (1: eps_kernel's,
 * the trajectories' own factors) */
static inline __attribute__((always_inline)) void
advance_kernel(const int percol, const int eps_given, const advance_consts *kc,
               const advance_columns *cc, const double *L, size_t n, double *const *x,
               double *const *d, double (*eps)[MODEL_CHUNK])
{
    double *restrict hw_dev = x[ST_hw_dev], *restrict power_dev = x[ST_power_dev];
    double *restrict q_closed = x[ST_q_closed], *restrict q_open = x[ST_q_open];
    double *restrict log_demand = x[ST_log_demand], *restrict ready_logit = x[ST_ready_logit];
    double *restrict regime = x[ST_regime], *restrict labs = x[ST_labs];
    double *restrict compute_prev = x[ST_compute_prev];
    const double *restrict compute_now = x[ST_compute_now], *restrict cover = x[ST_cover];
    ADVANCE_CONSTS(KC_LOCAL)
    const double *restrict d0 = d[0], *restrict d1 = d[1], *restrict d2 = d[2];
    const double *restrict d3 = d[3], *restrict d4 = d[4], *restrict d5 = d[5];
    const double *restrict d_shock = d[D_SHOCK], *restrict d_breakthrough = d[D_BREAKTHROUGH];
    const double *restrict d_jump = d[D_JUMP], *restrict d_regime = d[D_REGIME];
    const double *restrict d_labs = d[D_LABS];
    double t_eps_own[SHOCK_COUNT][MODEL_CHUNK];
    double (*t_eps)[MODEL_CHUNK] = eps_given ? eps : t_eps_own;
#pragma omp simd
    for (size_t i = 0; i < (eps_given ? (size_t)0 : n); i++) {
        /* ε = L z, L lower triangular: row j is ((0 + L_j0 z_0) + L_j1 z_1) + … + L_jj z_j,
         * written out so that the loop over trajectories vectorises */
        const double z0 = d0[i], z1 = d1[i], z2 = d2[i], z3 = d3[i], z4 = d4[i], z5 = d5[i];
#define LZ(j, l) (L[(j) * SHOCK_COUNT + (l)] * z##l)
        const double e_hw = 0.0 + LZ(0, 0);
        const double e_power = 0.0 + LZ(1, 0) + LZ(1, 1);
        const double e_closed = 0.0 + LZ(2, 0) + LZ(2, 1) + LZ(2, 2);
        const double e_open = 0.0 + LZ(3, 0) + LZ(3, 1) + LZ(3, 2) + LZ(3, 3);
        const double e_demand = 0.0 + LZ(4, 0) + LZ(4, 1) + LZ(4, 2) + LZ(4, 3) + LZ(4, 4);
        const double e_ready =
            0.0 + LZ(5, 0) + LZ(5, 1) + LZ(5, 2) + LZ(5, 3) + LZ(5, 4) + LZ(5, 5);
#undef LZ
        t_eps[0][i] = e_hw, t_eps[1][i] = e_power, t_eps[2][i] = e_closed;
        t_eps[3][i] = e_open, t_eps[4][i] = e_demand, t_eps[5][i] = e_ready;
    }
    /* the state in loops of a few variables each (see record_kernel's stages) */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double e_hw = t_eps[0][i], e_power = t_eps[1][i], jump = d_jump[i];

        /* §3.1. y_{k+1} = y_k e^{−θ_H Δ} + σ_H √((1−e^{−2θ_H Δ})/(2θ_H)) ε_hw + N_k J_k,
         *       J_k ~ N(m_J, s_J²) */
        const double y = hw_dev[i] * KC(hw_decay) + KC(hw_step) * e_hw;
        const double y_jump = y + (KC(shock_mean) + KC(shock_sd) * jump);
        hw_dev[i] = d_shock[i] < KC(jump_threshold) ? y_jump : y;
        /* §3.2. e_{k+1} = e_k e^{−θ_E Δ} + σ_E √(…) ε_power */
        power_dev[i] = power_dev[i] * KC(power_decay) + KC(power_step) * e_power;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double e_closed = t_eps[2][i], e_open = t_eps[3][i];
        /* §3.7. Q^c_{k+1} = Q^c_k + max(0, b ln(X_k/X_{k−1}) + σ_c √Δ ε_closed)
         * (max as a comparison: the bits of fmax(0, x), NaN giving 0, without its call) */
        const double gain = KC(gain_per_efold) * (compute_now[i] - compute_prev[i]) +
                            KC(closed_step) * e_closed;
        const double qc = q_closed[i] + (gain > 0.0 ? gain : 0.0);
        compute_prev[i] = compute_now[i];
        /* §4.2. κ_k = clamp(κ̄ (1 − δ_κ g_k) + σ_κ ε_open, 0, 1);
         *       Q^o_{k+1} = Q^o_k + κ_k (Q^c_{k+1} − Q^o_k); a breakthrough adds
         *       β (Q^c_{k+1} − Q^o_{k+1}) */
        const double g = regime[i];
        const double kraw = KC(catch_up) * (1.0 - KC(cut) * g) + KC(catch_up_sd) * e_open;
        const double kpos = kraw > 0.0 ? kraw : 0.0;
        const double kappa = kpos < 1.0 ? kpos : 1.0;
        const double qo = q_open[i] + kappa * (qc - q_open[i]);
        q_closed[i] = qc;
        const double qo_jump = qo + KC(close) * (qc - qo);
        q_open[i] = d_breakthrough[i] < KC(breakthrough_threshold) ? qo_jump : qo;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double e_demand = t_eps[4][i], e_ready = t_eps[5][i];
        const double g = regime[i], u_regime = d_regime[i];
        /* §5.1. ln D_{k+1} = ln D_k + (g_{D,k} − σ_D²/2) Δ + σ_D √Δ ε_demand */
        log_demand[i] += KC(demand_drift) + KC(demand_step) * e_demand;
        /* §5.2. w_{k+1} = w_k + r_A Δ + σ_A √Δ ε_ready */
        ready_logit[i] += KC(ready_drift) + KC(ready_step) * e_ready;
        /* §4.1. g switches 0 → 1 with probability 1 − e^{−λ_on Δ}, 1 → 0 with 1 − e^{−λ_off Δ} */
        const double off_threshold = KC(off_threshold), on_threshold = KC(on_threshold);
        regime[i] = g > 0.5 ? (u_regime < off_threshold ? 0.0 : 1.0)
                            : (u_regime < on_threshold ? 1.0 : 0.0);
    }
    /* the lab count in a loop of its own (its exp; see record_kernel's stages) */
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        const double u_labs = d_labs[i];
        /* §6.1. ζ_k ≥ ζ*: one lab enters with probability 1 − exp(−λ_e Δ (ζ_k/ζ* − 1));
         *       ζ_k < ζ*: one lab exits with probability 1 − exp(−λ_x Δ (1 − ζ_k/ζ*));
         *       n_{k+1} = clamp(n_k ± 1, 1, n_max); a NaN ratio changes nothing */
        const double ratio = cover[i] / KC(req), nl = labs[i];
        const double entry_dt = KC(entry_dt), exit_dt = KC(exit_dt);
        const double arg = ratio >= 1.0 ? -entry_dt * (ratio - 1.0) : -exit_dt * (1.0 - ratio);
        const double threshold = (1.0 - vm_exp(arg)) * 0x1.0p32;
        const double n_up = u_labs < threshold ? nl + 1.0 : nl;
        const double n_down = u_labs < threshold ? nl - 1.0 : nl;
        const double nn = ratio >= 1.0 ? n_up : ratio < 1.0 ? n_down : nl;
        const double n_max = KC(n_max);
        labs[i] = nn < 1.0 ? 1.0 : nn > n_max ? n_max : nn;
    }
}

#undef KC

/* ---- one instantiation per instruction set ----------------------------------------- */

#define MODEL_KERNELS(suffix, attr)                                                          \
    attr static void record_point_##suffix(const record_consts *kc, const double *capture_pow, \
                                           size_t n, int k, double *const *x, double *const *out) \
    {                                                                                        \
        record_kernel(0, kc, NULL, capture_pow, n, k, x, out);                               \
    }                                                                                        \
    attr static void record_cols_##suffix(const record_columns *cc, size_t n, int k,         \
                                          double *const *x, double *const *out)              \
    {                                                                                        \
        record_kernel(1, NULL, cc, NULL, n, k, x, out);                                      \
    }                                                                                        \
    attr static void advance_point_##suffix(const advance_consts *kc, const double *L,       \
                                            size_t n, double *const *x, double *const *d)    \
    {                                                                                        \
        advance_kernel(0, 0, kc, NULL, L, n, x, d, NULL);                                    \
    }                                                                                        \
    attr static void advance_cols_##suffix(const advance_columns *cc, const double *L,       \
                                           const eps_terms *terms, const double *const *Lp,  \
                                           size_t n, double *const *x, double *const *d)     \
    {                                                                                        \
        if (Lp) { /* each trajectory's own factor (an uncertain correlation) */              \
            double eps[SHOCK_COUNT][MODEL_CHUNK];                                            \
            eps_kernel(terms, Lp, n, d, eps);                                                \
            advance_kernel(1, 1, NULL, cc, L, n, x, d, eps);                                 \
        } else                                                                               \
            advance_kernel(1, 0, NULL, cc, L, n, x, d, NULL);                                \
    }

MODEL_KERNELS(portable, )
#if defined(__x86_64__) && defined(__GNUC__)
#define MODEL_X86 1
MODEL_KERNELS(avx2, ISA_TARGET_AVX2)
MODEL_KERNELS(avx512, ISA_TARGET_AVX512)
#define MODEL_DISPATCH(isa, name, ...)                                                       \
    switch (isa_runnable(isa)) {                                                             \
    case ISA_AVX512: name##_avx512(__VA_ARGS__); break;                                      \
    case ISA_AVX2: name##_avx2(__VA_ARGS__); break;                                          \
    default: name##_portable(__VA_ARGS__); break;                                            \
    }
#else
#define MODEL_DISPATCH(isa, name, ...) name##_portable(__VA_ARGS__)
#endif

void model_record(const gs_model *m, gs_block *b, int k, double *const out[VAR_COUNT])
{
    record_consts kc;
    record_consts_of(&m->t, k, &kc);
    for (size_t c0 = 0; c0 < b->n; c0 += MODEL_CHUNK) { /* the kernel's scratch is a chunk */
        const size_t cn = b->n - c0 < MODEL_CHUNK ? b->n - c0 : MODEL_CHUNK;
        double *x[MODEL_STATE_ARRAYS], *o[VAR_COUNT];
        for (int s = 0; s < MODEL_STATE_ARRAYS; s++) x[s] = b->x[s] + c0;
        for (int v = 0; v < VAR_COUNT; v++) o[v] = out[v] + c0;
        MODEL_DISPATCH(m->isa, record_point, &kc, m->capture_pow, cn, k, x, o)
    }
}

static const rng_block_plan advance_plan = {ADVANCE_DRAWS, ADVANCE_PLAN};

void model_advance(const gs_model *m, gs_block *b, int k, rng_pcg32 *rng)
{
    advance_consts kc;
    advance_consts_of(&m->t, k, &kc);
    double draws[ADVANCE_DRAWS][MODEL_CHUNK];
    double *d[ADVANCE_DRAWS];
    for (size_t c0 = 0; c0 < b->n; c0 += MODEL_CHUNK) {
        const size_t cn = b->n - c0 < MODEL_CHUNK ? b->n - c0 : MODEL_CHUNK;
        for (int j = 0; j < ADVANCE_DRAWS; j++) d[j] = draws[j];
        rng_block_draw(m->isa, &advance_plan, rng + c0, cn, b->mirror ? b->mirror + c0 : NULL, d);
        double *x[MODEL_STATE_ARRAYS];
        for (int s = 0; s < MODEL_STATE_ARRAYS; s++) x[s] = b->x[s] + c0;
        MODEL_DISPATCH(m->isa, advance_point, &kc, m->L, cn, x, d)
    }
}

/* ---- uncertain parameters as columns --------------------------------------------------- */

void model_columns_store(const gs_columns *c, size_t i, const gs_model *mi)
{
#define MODEL_TRAJ_STORE(name) c->base[(size_t)MT_##name * c->stride + i] = mi->t.name;
    MODEL_TRAJ(MODEL_TRAJ_STORE)
#undef MODEL_TRAJ_STORE
    if (c->own_factor)
        for (size_t j = 0; j < SHOCK_COUNT * SHOCK_COUNT; j++)
            c->base[(MODEL_TRAJ_COLUMNS + j) * c->stride + i] = mi->L[j];
}

/* Whether column col is uniform in the view's plan. */
static inline int col_uniform(const gs_columns *c, int col)
{
    return c->uniform != NULL && ((c->uniform[col / 64] >> (col % 64)) & 1u) != 0;
}

/* Column col of the chunk of the view from trajectory c0 on: the first chunk's for a
 * uniform column (the same values; read by every chunk, it stays in the cache). */
static inline double *col_chunk(const gs_columns *c, int col, size_t c0)
{
    return c->base + (size_t)col * c->stride + (col_uniform(c, col) ? 0 : c0);
}

void model_columns_plan(const gs_columns *c, size_t n, uint64_t uniform[MODEL_COLUMN_WORDS])
{
    memset(uniform, 0, MODEL_COLUMN_WORDS * sizeof *uniform);
    const int ncols = c->own_factor ? MODEL_COLUMNS : MODEL_TRAJ_COLUMNS;
    for (int col = 0; col < ncols; col++) {
        if (col == MT_cap_pw) continue; /* written by the kernels */
        const double *v = c->base + (size_t)col * c->stride;
        int same = 1;
        for (size_t i = 1; i < n && same; i++) same = memcmp(&v[i], &v[0], sizeof *v) == 0;
        if (same) uniform[col / 64] |= (uint64_t)1 << (col % 64);
    }
}


/* ---- the cycle-dependent constants of a chunk of trajectories -----------------------
 * With columns, each trajectory's cycle-dependent constants (record_kdep_of,
 * advance_kdep_of) are computed for a whole chunk in loops that vectorise.  The trends
 * e^{c τ_k} and q^k are powers x^k of a per-cycle factor x (a column: e^{c Δ} from libm
 * at cycle 0, or q itself) and the funding trend's geometric sum is Σ_{j<k} q^j, both by
 * binary powering from the left over the bits of k, which is the same for every lane
 * (kdep_pow_*): at most 2 log₂ k multiplications instead of an exp, and no 1 − q^k to
 * cancel near q = 1.  One vm_exp per trajectory-cycle remains (the funding trend).
 * Every lane does exactly the scalar operations, so the bits do not depend on the vector
 * width, the chunk or the instruction set; they differ from the libm values of a
 * point-valued run in the last bits (x^k carries about k rounding errors: a relative
 * 10⁻¹⁴ at k = 40; docs/performance.md, "Uncertain parameters as columns"). */

/* Column `name` of trajectory i of the chunk, through a pointer set before the loop
 * (KCOL_DECL) so that the loop vectorises. */
#define KCOL_DECL(name) const double *restrict kcol_##name = col_chunk(c, MT_##name, c0);
#define KCOL(name) kcol_##name[i]
#define RECORD_KDEP_READS(X)                                                               \
    X(dt) X(log_hw0) X(hardware_trend) X(log_power0) X(power_trend) X(kwh_per_ah0)           \
    X(energy_factor) X(ah_per_mtok0) X(serving_factor) X(budget_q) X(growth)                 \
    X(growth_long) X(algorithmic) X(budget0) X(log_dt) X(capture) X(capture_factor)          \
    X(gain_per_efold) X(west_lag)
#define ADVANCE_KDEP_READS(X) X(dt) X(demand_q) X(demand_growth_long) X(demand_growth) X(demand_vol)
/* The columns each loop of record_kdep_kernel reads: a loop whose columns are all
 * uniform in the plan runs for a call's first chunk only (kdep_todo); the later chunks
 * keep its outputs in the call's scratch (the funding loop reads q^k and Σ_{j<k} q^j of
 * the growth loop, so it reads q too). */
#define KDEP_TRENDS_READS(X)                                                               \
    X(dt) X(log_hw0) X(hardware_trend) X(log_power0) X(power_trend) X(kwh_per_ah0)           \
    X(energy_factor) X(ah_per_mtok0) X(serving_factor) X(log_dt) X(algorithmic)
#define KDEP_GROWTH_READS(X)                                                               \
    X(capture) X(capture_factor) X(budget_q) X(growth) X(growth_long) X(algorithmic)          \
    X(hardware_trend) X(gain_per_efold) X(west_lag)
#define KDEP_FUNDING_READS(X) X(dt) X(budget_q) X(growth) X(growth_long) X(budget0)
enum { KDEP_TRENDS = 1, KDEP_GROWTH = 2, KDEP_FUNDING = 4, KDEP_ALL = 7 };
#define KDEP_UNIFORM(name) &&col_uniform(c, MT_##name)

/* The loops of a chunk's cycle-dependent constants to run: all for the first chunk
 * (c0 = 0), only those with a column that is not uniform for the others. */
static unsigned kdep_todo(const gs_columns *c, size_t c0)
{
    if (c0 == 0) return KDEP_ALL;
    unsigned todo = 0;
    if (!(1 KDEP_TRENDS_READS(KDEP_UNIFORM))) todo |= KDEP_TRENDS;
    if (!(1 KDEP_GROWTH_READS(KDEP_UNIFORM))) todo |= KDEP_GROWTH;
    if (!(1 KDEP_FUNDING_READS(KDEP_UNIFORM))) todo |= KDEP_FUNDING;
    return todo;
}

/* The highest set bit of k >= 1 (binary powering from the left starts below it). */
static inline int kdep_top_bit(unsigned k)
{
    int top = 0;
    while (k >> (top + 1)) top++;
    return top;
}

/* y[i] = x[i]^k for k >= 0 the same for every lane, by binary powering from the left:
 * y = x, then for each lower bit of k y = y·y and, where the bit is set, y = y·x (k = 0:
 * 1; k = 1: x exactly).  The first step reads x only (no copy of x into y). */
static inline __attribute__((always_inline)) void
kdep_pow(double *restrict y, const double *restrict x, size_t n, unsigned k)
{
    if (k <= 1) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] = k == 0 ? 1.0 : x[i];
        return;
    }
    /* the first step (the bit below the top one) from x, the others in place */
    const int top = kdep_top_bit(k);
    if ((k >> (top - 1)) & 1u) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] = x[i] * x[i] * x[i];
    } else {
#pragma omp simd
        for (size_t i = 0; i < n; i++) y[i] = x[i] * x[i];
    }
    for (int bit = top - 2; bit >= 0; bit--) {
        if ((k >> bit) & 1u) {
#pragma omp simd
            for (size_t i = 0; i < n; i++) y[i] = y[i] * y[i] * x[i];
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++) y[i] = y[i] * y[i];
        }
    }
}

/* p[i] = q[i]^k and s[i] = Σ_{j<k} q[i]^j (k for q = 1) by the same powering: from m = 1
 * (p = q, s = 1), m → 2m is s = s + s·p, p = p·p, and m → m + 1 is s = 1 + q·s, p = p·q.
 * Every term is a sum of non-negative terms for 0 <= q <= 1: no cancellation. */
static inline __attribute__((always_inline)) void
kdep_pow_geo(double *restrict p, double *restrict s, const double *restrict q, size_t n,
             unsigned k)
{
    if (k <= 1) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) p[i] = k == 0 ? 1.0 : q[i], s[i] = k == 0 ? 0.0 : 1.0;
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) p[i] = q[i], s[i] = 1.0;
    for (int bit = kdep_top_bit(k) - 1; bit >= 0; bit--) {
        if ((k >> bit) & 1u) {
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                const double s2 = s[i] + s[i] * p[i], p2 = p[i] * p[i];
                s[i] = 1.0 + q[i] * s2;
                p[i] = p2 * q[i];
            }
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++) {
                s[i] = s[i] + s[i] * p[i];
                p[i] = p[i] * p[i];
            }
        }
    }
}

static inline __attribute__((always_inline)) void
record_kdep_kernel(const gs_columns *c, size_t c0, size_t n, int k, const record_columns *cc,
                   double *restrict t_qk, double *restrict t_geo, unsigned todo)
{
    const double kd = (double)k;
    const unsigned ku = (unsigned)k;
    double *restrict log_hw_trend = cc->log_hw_trend, *restrict log_power_trend = cc->log_power_trend;
    double *restrict kwh_per_ah = cc->kwh_per_ah, *restrict ah_per_mtok = cc->ah_per_mtok;
    double *restrict budget_trend = cc->budget_trend, *restrict log_compute_factor = cc->log_compute_factor;
    double *restrict capture_t = cc->capture_t, *restrict lag_per_point = cc->lag_per_point;
    double *restrict west_points = cc->west_points;
    RECORD_KDEP_READS(KCOL_DECL)
    /* in three groups of loops (the reason: record_kernel's stages); t_qk and t_geo keep
     * q^k and Σ_{j<k} q^j for the third */
    if (todo & KDEP_TRENDS) {
        kdep_pow(kwh_per_ah, kcol_energy_factor, n, ku);
        kdep_pow(ah_per_mtok, kcol_serving_factor, n, ku);
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            const double dt = KCOL(dt), tau = kd * dt; /* τ_k */
            log_hw_trend[i] = KCOL(log_hw0) + KCOL(hardware_trend) * tau;
            log_power_trend[i] = KCOL(log_power0) + KCOL(power_trend) * tau;
            kwh_per_ah[i] = KCOL(kwh_per_ah0) * kwh_per_ah[i]; /* W_k */
            ah_per_mtok[i] = KCOL(ah_per_mtok0) * ah_per_mtok[i];
            log_compute_factor[i] = KCOL(log_dt) + KCOL(algorithmic) * tau; /* ln(Δ e^{a τ}) */
        }
    }
    if (todo & KDEP_GROWTH) {
        kdep_pow(capture_t, kcol_capture_factor, n, ku);
        kdep_pow_geo(t_qk, t_geo, kcol_budget_q, n, ku);
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            capture_t[i] = KCOL(capture) * capture_t[i];
            /* g_{B,k} = g_{B∞} + (g_B − g_{B∞}) q^k */
            const double g = KCOL(growth), gl = KCOL(growth_long);
            const double g_budget = gl + (g - gl) * t_qk[i];
            const double g_x = g_budget + KCOL(algorithmic) - KCOL(hardware_trend); /* g_{X,k} */
            const double b = KCOL(gain_per_efold);
            lag_per_point[i] = 12.0 / (b * g_x);
            west_points[i] = b * g_x * KCOL(west_lag) / 12.0;
        }
    }
    if (todo & KDEP_FUNDING) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            /* F_k = B₀ e^{Δ [k g_{B∞} + (g_B − g_{B∞}) Σ_{j<k} q^j]} */
            const double dt = KCOL(dt);
            const double g = KCOL(growth), gl = KCOL(growth_long);
            budget_trend[i] = KCOL(budget0) * vm_exp(dt * (kd * gl + (g - gl) * t_geo[i]));
        }
    }
}

static inline __attribute__((always_inline)) void
advance_kdep_kernel(const gs_columns *c, size_t c0, size_t n, int k, const advance_columns *cc)
{
    double *restrict demand_drift = cc->demand_drift;
    ADVANCE_KDEP_READS(KCOL_DECL)
    /* q_D^k into demand_drift first */
    kdep_pow(demand_drift, kcol_demand_q, n, (unsigned)k);
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        /* g_{D,k} = g_∞ + (g_D − g_∞) q_D^k */
        const double gl = KCOL(demand_growth_long);
        const double g_demand = gl + (KCOL(demand_growth) - gl) * demand_drift[i];
        const double vol = KCOL(demand_vol);
        demand_drift[i] = (g_demand - 0.5 * vol * vol) * KCOL(dt);
    }
}
#undef KCOL
#undef KCOL_DECL

#define KDEP_KERNELS(suffix, attr)                                                           \
    attr static void record_kdep_##suffix(const gs_columns *c, size_t c0, size_t n, int k,  \
                                          const record_columns *cc, double *t_qk,            \
                                          double *t_geo, unsigned todo)                      \
    {                                                                                        \
        record_kdep_kernel(c, c0, n, k, cc, t_qk, t_geo, todo);                              \
    }                                                                                        \
    attr static void advance_kdep_##suffix(const gs_columns *c, size_t c0, size_t n, int k,  \
                                           const advance_columns *cc)                        \
    {                                                                                        \
        advance_kdep_kernel(c, c0, n, k, cc);                                                \
    }

KDEP_KERNELS(portable, )
#ifdef MODEL_X86
KDEP_KERNELS(avx2, ISA_TARGET_AVX2)
KDEP_KERNELS(avx512, ISA_TARGET_AVX512)
#endif

/* One call of the column kernels over a view: what the chunks share (the scratch of
 * constants computed for the first chunk only, the plan's forms and tables), set up once
 * (record_setup / advance_setup), then one chunk at a time (record_chunk /
 * advance_chunk).  model_record_columns and model_advance_columns run every chunk of one
 * of them; model_step_columns runs record and advance chunk by chunk. */
typedef struct {
    double scratch[RECORD_KDEP_COUNT][MODEL_CHUNK], t_qk[MODEL_CHUNK], t_geo[MODEL_CHUNK];
    double zeros[MODEL_CHUNK]; /* α at k = 0 (S₀ stays) */
    double cap_table[MODEL_CAPTURE_TABLE];
    record_columns cc;
} record_call;

static void record_setup(const gs_columns *c, const gs_block *b, record_call *r)
{
    record_columns *cc = &r->cc;
    memset(r->zeros, 0, sizeof r->zeros);
    {
        int j = 0;
#define RECORD_COL_SCRATCH(name) cc->name = r->scratch[j++];
        RECORD_KDEP(RECORD_COL_SCRATCH)
#undef RECORD_COL_SCRATCH
    }
    /* ν and ω the same for the block: their one form */
    cc->vform = -1;
    if (b->n > 0 && col_uniform(c, MT_nu)) {
        const double nu = c->base[(size_t)MT_nu * c->stride];
        const double omega = c->base[(size_t)MT_omega * c->stride];
        const int omega0 = col_uniform(c, MT_omega) && omega == 0.0;
        cc->vform = nu == 1.0 && omega0 ? 0 : nu == 1.0 ? 1 : 2;
    }
    /* η the same: n^{−η} tabulated as model_init does (no exp/log per lab count) */
    cc->cap_table = NULL;
    cc->log_n = NULL, cc->log_n_fill = 0;
    /* as far as the block's lab counts reach (they are whole numbers >= 1) */
    double top = 1.0;
    for (size_t i = 0; i < b->n; i++) top = b->x[ST_labs][i] > top ? b->x[ST_labs][i] : top;
    const int fill = top + 1.0 < MODEL_CAPTURE_TABLE ? (int)top + 1 : MODEL_CAPTURE_TABLE;
    if (b->n > 0 && !col_uniform(c, MT_eta)) {
        /* η differs: ln n for the trajectories whose n changed (the same bits as libm's
         * log of n each time) */
        r->cap_table[0] = 0.0; /* not read */
        for (int n = 1; n < fill; n++) r->cap_table[n] = log((double)n);
        cc->log_n = r->cap_table, cc->log_n_fill = fill;
    }
    if (b->n > 0 && col_uniform(c, MT_eta)) {
        const double eta = c->base[(size_t)MT_eta * c->stride];
        r->cap_table[0] = 1.0;
        for (int n = fill; n < MODEL_CAPTURE_TABLE; n++) r->cap_table[n] = 0.0; /* not read */
        for (int n = 1; n < fill; n++)
            r->cap_table[n] = eta == 0.0 ? 1.0 : exp(-eta * log((double)n));
        cc->cap_table = r->cap_table;
    }
}

static void record_chunk(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                         double *const out[VAR_COUNT], record_call *r, size_t c0)
{
    const size_t cn = b->n - c0 < MODEL_CHUNK ? b->n - c0 : MODEL_CHUNK;
    record_columns *cc = &r->cc;
#define RECORD_COL_FIXED(name) cc->name = col_chunk(c, MT_##name, c0);
    RECORD_FIXED(RECORD_COL_FIXED)
#undef RECORD_COL_FIXED
    /* g_{X,0} Δ is read (for a select) but used at k = 0 only: later cycles read the
     * first chunk's, which stays in the cache, not the chunk's own from memory */
    if (k > 0) cc->trend_step0 = col_chunk(c, MT_trend_step0, 0);
    cc->cap_pw = c->base + (size_t)MT_cap_pw * c->stride + c0;
    /* α_k: 0 at k = 0, the column after */
    cc->switching = k == 0 ? r->zeros : col_chunk(c, MT_switching, c0);
    MODEL_DISPATCH(m->isa, record_kdep, c, c0, cn, k, cc, r->t_qk, r->t_geo, kdep_todo(c, c0))
    double *x[MODEL_STATE_ARRAYS], *o[VAR_COUNT];
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) x[s] = b->x[s] + c0;
    for (int v = 0; v < VAR_COUNT; v++) o[v] = out[v] + c0;
    MODEL_DISPATCH(m->isa, record_cols, cc, cn, k, x, o)
}

void model_record_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                          double *const out[VAR_COUNT])
{
    record_call r;
    record_setup(c, b, &r);
    for (size_t c0 = 0; c0 < b->n; c0 += MODEL_CHUNK) record_chunk(m, c, b, k, out, &r, c0);
}

#define ADVANCE_KDEP_UNIFORM (1 ADVANCE_KDEP_READS(KDEP_UNIFORM))

typedef struct {
    double scratch[ADVANCE_KDEP_COUNT][MODEL_CHUNK];
    double draws[ADVANCE_DRAWS][MODEL_CHUNK];
    advance_columns cc;
    int kdep_uniform;
    eps_terms terms;
} advance_call;

static void advance_setup(const gs_columns *c, const gs_block *b, advance_call *a)
{
    {
        int j = 0;
#define ADVANCE_COL_SCRATCH(name) a->cc.name = a->scratch[j++];
        ADVANCE_KDEP(ADVANCE_COL_SCRATCH)
#undef ADVANCE_COL_SCRATCH
    }
    a->kdep_uniform = ADVANCE_KDEP_UNIFORM;
    /* the factor's terms: zero for the whole view, the same for all, or per trajectory */
    for (int j = 0; c->own_factor && j < SHOCK_COUNT * SHOCK_COUNT; j++) {
        const double v = c->base[(size_t)(MODEL_TRAJ_COLUMNS + j) * c->stride];
        const int shared = b->n > 0 && col_uniform(c, MODEL_TRAJ_COLUMNS + j);
        a->terms.kind[j] = (signed char)(!shared ? 1 : v == 0.0 ? -1 : 0);
        a->terms.value[j] = v;
    }
}

static void advance_chunk(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                          rng_pcg32 *rng, advance_call *a, size_t c0)
{
    const size_t cn = b->n - c0 < MODEL_CHUNK ? b->n - c0 : MODEL_CHUNK;
    advance_columns *cc = &a->cc;
#define ADVANCE_COL_FIXED(name) cc->name = col_chunk(c, MT_##name, c0);
    ADVANCE_FIXED(ADVANCE_COL_FIXED)
#undef ADVANCE_COL_FIXED
    if (c0 == 0 || !a->kdep_uniform) /* else the first chunk's, kept in the scratch */
        MODEL_DISPATCH(m->isa, advance_kdep, c, c0, cn, k, cc)
    double *d[ADVANCE_DRAWS];
    for (int j = 0; j < ADVANCE_DRAWS; j++) d[j] = a->draws[j];
    rng_block_draw(m->isa, &advance_plan, rng + c0, cn, b->mirror ? b->mirror + c0 : NULL, d);
    double *x[MODEL_STATE_ARRAYS];
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) x[s] = b->x[s] + c0;
    const double *Lp[SHOCK_COUNT * SHOCK_COUNT];
    if (c->own_factor) /* each trajectory's own factor (an uncertain correlation) */
        for (int j = 0; j < SHOCK_COUNT * SHOCK_COUNT; j++)
            Lp[j] = col_chunk(c, MODEL_TRAJ_COLUMNS + j, c0);
    MODEL_DISPATCH(m->isa, advance_cols, cc, m->L, &a->terms, c->own_factor ? Lp : NULL, cn, x, d)
}

void model_advance_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                           rng_pcg32 *rng)
{
    advance_call a;
    advance_setup(c, b, &a);
    for (size_t c0 = 0; c0 < b->n; c0 += MODEL_CHUNK) advance_chunk(m, c, b, k, rng, &a, c0);
}

void model_step_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                        double *const out[VAR_COUNT], rng_pcg32 *rng)
{
    record_call r;
    advance_call a;
    record_setup(c, b, &r); /* before any chunk advances: the n^{−η} table's lab counts */
    if (rng) advance_setup(c, b, &a);
    for (size_t c0 = 0; c0 < b->n; c0 += MODEL_CHUNK) {
        record_chunk(m, c, b, k, out, &r, c0);
        if (rng) advance_chunk(m, c, b, k, rng, &a, c0);
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
