/* model.h - the market model (version 2, docs/model.md) over a block of trajectories.
 *
 * The state of a block is a structure of arrays (one array per state variable, one
 * element per trajectory).  model_record() computes the recorded variables of cycle k
 * from the state at the start of cycle k; model_advance() draws the shocks and moves
 * the state to cycle k+1.  No I/O, no threads, no allocation here.
 */
#ifndef GAPSIM_MODEL_H
#define GAPSIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "isa.h"
#include "params.h"
#include "rng.h"

/* Recorded variables (MODEL.md §8): X(name, long_name, units).  Order is the output order. */
#define MODEL_VARS(X)                                                                     \
    X(hw_cost, "accelerator cost per accelerator-hour (H)", "USD/(accelerator hour)")     \
    X(power_price, "electricity price (E)", "USD/kWh")                                    \
    X(compute_cost, "compute cost per accelerator-hour, hardware plus energy (u)",        \
      "USD/(accelerator hour)")                                                           \
    X(serving_cost_open, "serving cost of the open model (s^o)", "USD/Mtok")              \
    X(serving_cost_closed, "serving cost of the closed model (s^c)", "USD/Mtok")          \
    X(training_budget, "training budget of one frontier closed lab (B)", "USD/year")      \
    X(funding_multiplier, "investor funding multiplier of the budget (M)", "1")           \
    X(quality_closed, "closed frontier quality (Q^c)", "1")                               \
    X(quality_open, "open frontier quality (Q^o)", "1")                                   \
    X(quality_open_west, "best non-China open quality (Q^w)", "1")                        \
    X(gap, "relative quality gap (Q^c - Q^o) / Q^c (G)", "1")                             \
    X(lag_months, "quality gap in months of trend frontier progress", "month")            \
    X(value_at_stake, "value at stake per Mtok of sensitive work (V)", "USD/Mtok")        \
    X(price_open, "price of open-model tokens (P^o)", "USD/Mtok")                         \
    X(price_closed, "price of closed-model tokens (P^c)", "USD/Mtok")                     \
    X(readiness, "share of demand ready to route to open models (A)", "1")                \
    X(restricted, "governance regime, 1 = restricted (g)", "1")                           \
    X(restricted_share, "share of ready demand barred from China-origin open models (phi)", \
      "1")                                                                                \
    X(closed_labs, "number of closed frontier labs (n)", "1")                             \
    X(profit_cover, "profit cover of one lab Pi / (n B) (zeta)", "1")                     \
    X(capture, "share of the value-based markup the closed labs keep (gamma)", "1")       \
    X(equilibrium_share, "equilibrium closed share of work (S*)", "1")                    \
    X(closed_share, "realised closed share of work (S)", "1")                             \
    X(demand, "total work demanded (D)", "Mtok/year")                                     \
    X(closed_profit, "closed operating profit rate (Pi)", "USD/year")                     \
    X(rent, "rent: payments above the open price (R)", "USD/year")                        \
    X(premium, "closed price premium P^c/P^o - 1 (pi)", "1")                              \
    X(premium_q, "quality-adjusted premium L^c/L^o - 1 (pi^Q)", "1")                      \
    X(lcoi_open, "levelized cost of intelligence, open, per solved hard task (L^o)",      \
      "USD/Mtok")                                                                         \
    X(lcoi_closed, "levelized cost of intelligence, closed, per solved hard task (L^c)",  \
      "USD/Mtok")

typedef enum {
#define MODEL_VAR_ENUM(name, long_name, units) VAR_##name,
    MODEL_VARS(MODEL_VAR_ENUM)
#undef MODEL_VAR_ENUM
        VAR_COUNT
} gs_var;

typedef struct {
    const char *name, *long_name, *units;
} gs_var_info;
extern const gs_var_info model_vars[VAR_COUNT];

/* Outcome metrics, in MODEL.md §8's order, as indices into the recorded variables. */
enum { METRIC_COUNT = 6 };
extern const gs_var model_metrics[METRIC_COUNT];

enum { OUTCOME_COMPOUND, OUTCOME_PERSIST, OUTCOME_COLLAPSE, OUTCOME_COUNT };
extern const char *const model_outcome_names[OUTCOME_COUNT];
/* model_classify's answer for a ratio that is not finite (MODEL.md §8: undefined). */
enum { OUTCOME_UNDEFINED = -1 };

/* The value of metric q that the outcome compares (MODEL.md §8): the odds S/(1−S) for
 * closed_share (S clamped to [1e-9, 1 − 1e-9]), 1 + π^Q for premium_q, the metric
 * itself otherwise. */
double model_metric_transform(int q, double x);
/* Non-zero when metric q's horizon value is the arithmetic mean over the window
 * (closed_labs); otherwise it is the geometric mean. */
int model_metric_arithmetic(int q);

/* Classifies r = horizon / reference of one trajectory: compound if r >= compound_ratio,
 * collapse if r <= collapse_ratio, persist otherwise, OUTCOME_UNDEFINED when r is not
 * finite (a NaN or infinite metric, or a reference of 0). */
int model_classify(double reference, double horizon, double compound_ratio,
                   double collapse_ratio);

/* k_now = ⌊(now − t₀)/Δ + ½⌋, the outcomes' reference cycle (MODEL.md §1). */
int model_k_now(const gs_params *p);

enum { MODEL_CAPTURE_TABLE = 32 }; /* n^{−η} tabulated for n < 32 */

/* The constants of one trajectory that do not depend on the cycle: the parameters that
 * model_record and model_advance read, and the run constants derived from them
 * (docs/performance.md, "Uncertain parameters as columns").  A point-valued run has one
 * (gs_model.t); a run with uncertain parameters keeps one column per field, filled once
 * at cycle 0 (model_columns_store), and the per-cycle constants of each trajectory are
 * computed from its columns (model_record_columns). */
#define MODEL_TRAJ(X)                                                                    \
    X(dt) X(log_dt) X(log_hw0) X(hardware_trend) X(log_power0) X(power_trend)             \
    X(kwh_per_ah0) X(energy_trend) X(ah_per_mtok0) X(serving_trend) X(growth)             \
    X(growth_long) X(budget_q) X(log_budget_q) X(budget0) X(algorithmic) X(capture)       \
    X(capture_trend) X(eta) X(gain_per_efold) X(west_lag) X(q_closed0) X(nu) X(value0)    \
    X(omega) X(log_demand0) X(switching) X(closed_ratio) X(reinvest) X(open_margin)       \
    X(sensitive) X(a_max) X(phi0) X(phi1) X(psi) X(p_hard_closed) X(hard_offset)          \
    X(spread) X(jump_prob) X(breakthrough_prob) X(switch_on_prob) X(switch_off_prob)      \
    X(catch_up) X(catch_up_sd) X(cut) X(close) X(demand_growth) X(demand_growth_long)     \
    X(demand_q) X(demand_vol) X(readiness_rate) X(req) X(n_max)            \
    X(entry_rate)                                                                        \
    X(exit_rate) X(hw_decay) X(hw_step) X(power_decay) X(power_step) X(closed_step)       \
    X(demand_step) X(ready_step) X(shock_mean) X(shock_sd) X(open_markup) X(inv_spread)    \
    X(trend_step0) X(jump_threshold) X(breakthrough_threshold) X(on_threshold)            \
    X(off_threshold) X(ready_drift) X(entry_dt) X(exit_dt)                                \
    X(energy_factor) X(serving_factor) X(capture_factor) /* e^{trend·Δ}: columns' trends */ \
    X(cap_pw) /* not a constant: a column run's cache of n^{−η} at the last n */

typedef struct {
#define MODEL_TRAJ_FIELD(name) double name;
    MODEL_TRAJ(MODEL_TRAJ_FIELD)
#undef MODEL_TRAJ_FIELD
} model_traj;

enum {
#define MODEL_TRAJ_ENUM(name) MT_##name,
    MODEL_TRAJ(MODEL_TRAJ_ENUM)
#undef MODEL_TRAJ_ENUM
        MODEL_TRAJ_COLUMNS
};

/* Per-run constants derived from the parameters once (Cholesky factor, decay factors). */
typedef struct {
    gs_params p;
    int cycles;                       /* K */
    int k_now;                        /* reference cycle of the outcomes */
    double L[SHOCK_COUNT * SHOCK_COUNT]; /* Cholesky factor of the correlation */
    double hw_decay, hw_step;         /* e^{-θ_H Δ}, σ_H √((1-e^{-2θ_H Δ})/(2θ_H)) */
    double power_decay, power_step;   /* same for electricity */
    double jump_prob, breakthrough_prob; /* 1 - e^{-λΔ} */
    double switch_on_prob, switch_off_prob; /* 1 - e^{-λ_on Δ}, 1 - e^{-λ_off Δ} */
    double closed_step, demand_step, ready_step; /* σ_c√Δ, σ_D√Δ, σ_A√Δ */
    double budget_q, demand_q;        /* 2^{-Δ/T_B}, 2^{-Δ/T_D} */
    double ready_logit0;              /* w₀ = logit(A₀/A_max), +inf when A₀ >= A_max */
    double p_hard_closed;             /* p(Q^c) = 1/(1 + e^{−δ_d/s_d}) */
    double capture_pow[MODEL_CAPTURE_TABLE]; /* n^{−η} */
    model_traj t;                     /* the cycle-independent constants above, as read
                                         by the loops */
    isa_level isa;                    /* the kernels' instruction set (ISA_PORTABLE
                                         after model_init; the engine sets its choice):
                                         every level computes the same bits */
} gs_model;

/* Derives the run constants; fails with GS_ERR_INPUT if R is not positive definite. */
gs_status model_init(gs_model *m, const gs_params *p, gs_error *err);

/* As model_init with the Cholesky factor L (SHOCK_COUNT² doubles) given, or computed
 * when L is NULL: with L given no GSL function (and no GSL global state) is touched, so
 * it is safe inside a parallel loop. */
gs_status model_init_factor(gs_model *m, const gs_params *p, const double *L, gs_error *err);

/* The trend growth rates of cycle k: g_{B,k} (budget) and g_{X,k} = g_{B,k} + a − μ_H
 * (effective compute), /yr, and ln F_k = Σ_{j<k} g_{B,j} Δ. */
double model_budget_growth(const gs_model *m, int k);
double model_log_funding_trend(const gs_model *m, int k);
/* g_{D,k}, the demand growth rate of cycle k, /yr. */
double model_demand_growth(const gs_model *m, int k);

/* The state arrays of a block, in this order (MODEL_STATE_ARRAYS of them). */
#define MODEL_STATE(X)                                                                   \
    X(hw_dev)       /* y: log deviation of accelerator cost from trend */                \
    X(power_dev)    /* e: log deviation of electricity price from trend */               \
    X(q_closed)     /* Q^c */                                                            \
    X(q_open)       /* Q^o */                                                            \
    X(log_demand)   /* ln D */                                                           \
    X(ready_logit)  /* w: log-odds of A / A_max */                                       \
    X(regime)       /* g ∈ {0, 1} */                                                     \
    X(labs)         /* n */                                                              \
    X(labs_prev)    /* n_{k−1} */                                                        \
    X(share)        /* S, realised closed share (before this cycle's update) */          \
    X(profit_prev)  /* Π_{k−1} */                                                        \
    X(rent_prev)    /* R_{k−1} */                                                        \
    X(rent0)        /* R₀ */                                                             \
    X(compute_prev) /* ln X_{k−1} */                                                     \
    X(compute_now)  /* ln X_k, set by model_record for model_advance */                  \
    X(cover)        /* ζ_k, set by model_record for model_advance */

typedef enum {
#define MODEL_STATE_ENUM(name) ST_##name,
    MODEL_STATE(MODEL_STATE_ENUM)
#undef MODEL_STATE_ENUM
        MODEL_STATE_ARRAYS
} gs_state_var;

/* State of a block of n trajectories, structure of arrays; x[s] is an array of n doubles
 * owned by whoever made the block (the engine). */
typedef struct {
    size_t n;
    double *x[MODEL_STATE_ARRAYS];
    const unsigned char *mirror; /* NULL, or per trajectory 1 = the antithetic partner of
                                    the trajectory before it: it draws from a copy of that
                                    trajectory's generator and uses −z and 2³²−1−x */
} gs_block;

/* Sets the state of cycle 0. */
void model_start(const gs_model *m, gs_block *b);

/* Computes the recorded variables of cycle k into out[var][i] (out[var] points at n
 * doubles, i.e. the block's slice of that variable's buffer) and updates the share,
 * the previous profit, rent and lab count, ln X and the profit cover. */
void model_record(const gs_model *m, gs_block *b, int k, double *const out[VAR_COUNT]);

/* Draws cycle k's shocks and events from each trajectory's generator rng[i] and moves
 * the block from cycle k to k+1.  Must follow model_record(…, k, …). */
void model_advance(const gs_model *m, gs_block *b, int k, rng_pcg32 *rng);

/* Replays `cycles` cycles of one trajectory's random numbers from r (as model_advance
 * draws them; mirrored as for an antithetic partner) and counts its hardware supply
 * shocks and open-model breakthroughs, with the event rates of p (--keep-draws). */
void model_count_events(const gs_params *p, rng_pcg32 *r, int mirrored, int cycles,
                        unsigned *shocks, unsigned *breakthroughs);

/* Uncertain parameters as columns (structure of arrays): column c of trajectory i of a
 * block is base[c * stride + i], c < MODEL_COLUMNS: the MODEL_TRAJ fields in order, then
 * the trajectory's Cholesky factor (SHOCK_COUNT² columns, row-major).  own_factor = 0:
 * every trajectory uses the model's factor (the factor columns are unused). */
enum { MODEL_COLUMNS = MODEL_TRAJ_COLUMNS + SHOCK_COUNT * SHOCK_COUNT };
enum { MODEL_COLUMN_WORDS = (MODEL_COLUMNS + 63) / 64 };
typedef struct {
    double *base;
    size_t stride;
    int own_factor;
    /* NULL, or the view's plan (model_columns_plan): bit c of uniform[c / 64] set when
     * column c holds the same bits for every trajectory of the view.  The kernels then
     * read that column's first chunk for every chunk (it stays in the cache), compute a
     * cycle-dependent constant whose inputs are all uniform once per call, and take the
     * point-valued forms where ν and ω, or η, are uniform.  The plan changes no bit. */
    const uint64_t *uniform;
} gs_columns;

/* The plan of the view's first n trajectories, once their columns are stored (at cycle
 * 0): which columns are the same for all of them (a parameter that is not uncertain in
 * the run and every constant derived only from such parameters, the factor entries that
 * an uncertain correlation leaves alone).  The cache column cap_pw never is. */
void model_columns_plan(const gs_columns *c, size_t n, uint64_t uniform[MODEL_COLUMN_WORDS]);

/* Writes the cycle-independent constants of trajectory i's own model mi (model_init_factor
 * of its parameters) into its columns: done once per trajectory, at cycle 0. */
void model_columns_store(const gs_columns *c, size_t i, const gs_model *mi);

/* model_record and model_advance of a block whose trajectories each have their own
 * constants in c (the block's view), every other quantity from m (cycles, isa): the
 * operations of model_record / model_advance with that trajectory's own model, except
 * that the cycle-dependent constants (the trends at τ_k and q^k as powers x^k of
 * per-cycle factors, Σ_{j<k} q^j by the same powering, F_k with vmath.h's exp; not libm's
 * exp, expm1 and pow) are computed for a whole chunk, so they may differ from a
 * point-valued run's in the last bits.  The bits do not depend on the block's split, the
 * thread, the rank or the instruction set.  Cycles run in order from 0 (as the engine
 * calls them); each call depends only on k, not on the calls before. */
void model_record_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                          double *const out[VAR_COUNT]);
void model_advance_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                           rng_pcg32 *rng);
/* model_record_columns and then, when rng is not NULL, model_advance_columns, the two
 * run chunk by chunk (each chunk's record, then its advance), so that a chunk's state
 * and columns are still in the cache when it advances: the same bits as the two calls
 * (a trajectory's record and advance read and write only its own state). */
void model_step_columns(const gs_model *m, const gs_columns *c, gs_block *b, int k,
                        double *const out[VAR_COUNT], rng_pcg32 *rng);

#endif
