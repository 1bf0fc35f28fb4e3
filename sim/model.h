/* model.h - the market model of MODEL.md over a block of trajectories.
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

#include "params.h"
#include "rng.h"

/* Recorded variables: X(name, long_name, units).  Order is the output order. */
#define MODEL_VARS(X)                                                                     \
    X(hw_cost, "accelerator cost per accelerator-hour (H)", "USD/(accelerator hour)")     \
    X(power_price, "electricity price (E)", "USD/kWh")                                    \
    X(compute_cost, "compute cost per accelerator-hour, hardware plus energy (u)",        \
      "USD/(accelerator hour)")                                                           \
    X(serving_cost_open, "serving cost of the open model (s^o)", "USD/Mtok")              \
    X(serving_cost_closed, "serving cost of the closed model (s^c)", "USD/Mtok")          \
    X(training_budget, "closed frontier training budget (B)", "USD/year")                 \
    X(quality_closed, "closed frontier quality (Q^c)", "1")                               \
    X(quality_open, "open frontier quality (Q^o)", "1")                                   \
    X(gap, "relative quality gap (Q^c - Q^o) / Q^c (G)", "1")                             \
    X(lag_months, "quality gap in months of trend frontier progress", "month")            \
    X(value_at_stake, "value at stake per Mtok of sensitive work (V)", "USD/Mtok")        \
    X(price_open, "price of open-model tokens (P^o)", "USD/Mtok")                         \
    X(price_closed, "price of closed-model tokens (P^c)", "USD/Mtok")                     \
    X(equilibrium_share, "equilibrium closed share of work (S*)", "1")                    \
    X(closed_share, "realised closed share of work (S)", "1")                             \
    X(demand, "total work demanded (D)", "Mtok/year")                                     \
    X(closed_profit, "closed operating profit rate (Pi)", "USD/year")                     \
    X(rent, "rent: payments above the open price (R)", "USD/year")                        \
    X(premium, "closed price premium P^c/P^o - 1 (pi)", "1")                              \
    X(premium_q, "quality-adjusted premium L^c/L^o - 1 (pi^Q)", "1")                      \
    X(lcoi_open, "levelized cost of intelligence, open (L^o)", "USD/Mtok")                \
    X(lcoi_closed, "levelized cost of intelligence, closed (L^c)", "USD/Mtok")

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

/* Outcome metrics, in MODEL.md's order, as indices into the recorded variables. */
enum { METRIC_COUNT = 5 };
extern const gs_var model_metrics[METRIC_COUNT];

enum { OUTCOME_COMPOUND, OUTCOME_PERSIST, OUTCOME_COLLAPSE, OUTCOME_COUNT };
extern const char *const model_outcome_names[OUTCOME_COUNT];

/* Classifies r = m_K / m_0 of one trajectory (see model.c for the zero cases). */
int model_classify(double m0, double mK, double compound_ratio, double collapse_ratio);

/* Per-run constants derived from the parameters once (Cholesky factor, decay factors). */
typedef struct {
    gs_params p;
    int cycles;                       /* K */
    double L[SHOCK_COUNT * SHOCK_COUNT]; /* Cholesky factor of the correlation */
    double hw_decay, hw_step;         /* e^{-θ_H Δ}, σ_H √((1-e^{-2θ_H Δ})/(2θ_H)) */
    double power_decay, power_step;   /* same for electricity */
    double jump_prob, breakthrough_prob; /* 1 - e^{-λΔ} */
    double closed_step, demand_drift, demand_step; /* σ_c√Δ, (g_D-σ_D²/2)Δ, σ_D√Δ */
    double trend_growth;              /* g_B + a - μ_H, effective compute growth /yr */
} gs_model;

/* Derives the run constants; fails with GS_ERR_INPUT if R is not positive definite. */
gs_status model_init(gs_model *m, const gs_params *p, gs_error *err);

/* State of a block of n trajectories, structure of arrays; each pointer is an array of
 * n doubles owned by whoever made the block (the engine). */
typedef struct {
    size_t n;
    double *hw_dev;       /* y: log deviation of accelerator cost from trend */
    double *power_dev;    /* e: log deviation of electricity price from trend */
    double *q_closed;     /* Q^c */
    double *q_open;       /* Q^o */
    double *log_demand;   /* ln D */
    double *share;        /* S, realised closed share (before this cycle's update) */
    double *profit_prev;  /* Π_{k-1} */
    double *compute_prev; /* ln X_{k-1} */
    double *compute_now;  /* ln X_k, set by model_record for model_advance */
    const unsigned char *mirror; /* NULL, or per trajectory 1 = the antithetic partner of
                                    the trajectory before it: it draws from a copy of that
                                    trajectory's generator and uses −z and 2³²−1−x */
} gs_block;

enum { MODEL_STATE_ARRAYS = 9 };

/* Sets the state of cycle 0. */
void model_start(const gs_model *m, gs_block *b);

/* Computes the recorded variables of cycle k into out[var][i] (out[var] points at n
 * doubles, i.e. the block's slice of that variable's buffer) and updates the share. */
void model_record(const gs_model *m, gs_block *b, int k, double *const out[VAR_COUNT]);

/* Draws cycle k's shocks from each trajectory's generator rng[i] and moves the block
 * from cycle k to k+1.  Must follow model_record(…, k, …). */
void model_advance(const gs_model *m, gs_block *b, int k, rng_pcg32 *rng);

#endif
