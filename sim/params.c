/* params.c - the parameter table, range checks, did-you-mean and the shock
 * correlation matrix.  See params.h; the list itself lives in params.def. */
#include "params.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

const gs_param_info params_table[PARAM_COUNT] = {
#define X(field, key, symbol, unit, def, lo, hi, flags, meaning, source)        \
    [PARAM_##field] = {key,  symbol, unit,    (double)(def), (double)(lo), (double)(hi), \
                       flags, meaning, source, offsetof(gs_params, field)},
#include "params.def"
#undef X
};

/* Keys a scenario accepts besides the table (they are not model parameters, so they
 * have no gs_params field); listed here only so that did-you-mean knows them. */
static const char *const params_extra_keys[] = {
#define R(id, key, ...) key,
#include "runkeys.def"
#undef R
    "model",
};
enum { PARAMS_EXTRA_COUNT = sizeof params_extra_keys / sizeof params_extra_keys[0] };

void params_defaults(gs_params *p)
{
    for (int i = 0; i < PARAM_COUNT; i++) *params_field(p, (gs_param_id)i) = params_table[i].def;
}

double *params_field(gs_params *p, gs_param_id id)
{
    return (double *)((char *)p + params_table[id].offset);
}

double params_get(const gs_params *p, gs_param_id id)
{
    return *(const double *)((const char *)p + params_table[id].offset);
}

int params_find(const char *key)
{
    if (!key) return -1;
    for (int i = 0; i < PARAM_COUNT; i++)
        if (strcmp(key, params_table[i].key) == 0) return i;
    return -1;
}

/* ---- did-you-mean ---------------------------------------------------------------- */

enum { EDIT_MAX = 127 };

/* Optimal-string-alignment (restricted Damerau-Levenshtein) distance between a[0..na)
 * and b[0..nb), case-insensitive: insertions, deletions, substitutions and swaps of
 * two adjacent letters cost 1.  Three rolling rows of the usual DP table:
 *   d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + [a_i != b_j],
 *                 d[i-2][j-2] + 1 if a_i = b_{j-1} and a_{i-1} = b_j).
 * Strings longer than EDIT_MAX are treated as far from everything (2^20). */
static int edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > EDIT_MAX || nb > EDIT_MAX) return 1 << 20;
    int rows[3][EDIT_MAX + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (int)i;
        int ai = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= nb; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            int d = prev[j - 1] + (ai != bj);
            if (prev[j] + 1 < d) d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb];
}

/* The part after the last '.', or the whole string. */
static const char *key_name_part(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

static const char *known_key(int i)
{
    return i < PARAM_COUNT ? params_table[i].key : params_extra_keys[i - PARAM_COUNT];
}

/* Two passes over the known keys (the table plus run.trajectories/seed/quantiles):
 * 1. the key closest to the whole string, if its distance d <= 1 + len/5 (one typo in
 *    a short key, up to a few in a long one: "hardware.voll" -> "hardware.vol");
 * 2. otherwise a key whose name part (after the dot) is within len/4 of the given
 *    name part, i.e. the right name under the wrong section ("energy.vol" ->
 *    "power.vol"), ties broken by the distance of the whole key, then table order;
 * 3. otherwise a key whose name part begins the given one or the other way round
 *    (at least 3 letters: "power.volatility" -> "power.vol").
 * Returns a static string or NULL. */
const char *params_suggest(const char *key)
{
    if (!key || !*key) return NULL;
    size_t len = strlen(key);
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < PARAM_COUNT + PARAMS_EXTRA_COUNT; i++) {
        const char *k = known_key(i);
        int d = edit_distance(key, len, k, strlen(k));
        if (d < best_d) best = i, best_d = d;
    }
    if (best >= 0 && best_d <= 1 + (int)(len / 5)) return known_key(best);

    const char *name = key_name_part(key);
    size_t name_len = strlen(name);
    if (name_len == 0) return NULL;
    best = -1;
    int best_name_d = 1 << 30;
    best_d = 1 << 30;
    for (int i = 0; i < PARAM_COUNT + PARAMS_EXTRA_COUNT; i++) {
        const char *k = known_key(i), *kn = key_name_part(k);
        int dn = edit_distance(name, name_len, kn, strlen(kn));
        if (dn > (int)(name_len / 4)) continue;
        int d = edit_distance(key, len, k, strlen(k));
        if (dn < best_name_d || (dn == best_name_d && d < best_d))
            best = i, best_name_d = dn, best_d = d;
    }
    if (best >= 0) return known_key(best);

    /* 3. a name part that begins the other ("power.volatility" -> "power.vol"). */
    best_d = 1 << 30;
    for (int i = 0; i < PARAM_COUNT + PARAMS_EXTRA_COUNT; i++) {
        const char *k = known_key(i), *kn = key_name_part(k);
        size_t kn_len = strlen(kn), shorter = kn_len < name_len ? kn_len : name_len;
        if (shorter < 3 || strncasecmp(kn, name, shorter) != 0) continue;
        int d = edit_distance(key, len, k, strlen(k));
        if (d < best_d) best = i, best_d = d;
    }
    return best >= 0 ? known_key(best) : NULL;
}

/* ---- value checks -------------------------------------------------------------- */

/* Writes x with the fewest significant digits that read back exactly (0.3, not
 * 0.29999999999999999). */
static void format_number(char *buf, size_t size, double x)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* Order of the checks: finite, whole (PF_INT), range.  The range message names both
 * bounds when they are a natural interval (width <= 2: shares, probabilities,
 * correlations: "must be in [0, 1], got 1.2"); otherwise the upper bound is only a
 * sanity limit and the message names the side that was crossed ("must be >= 0, got
 * -0.3", "must be <= 1e+06, got 2e+06"). */
gs_status params_check_value(gs_param_id id, double value, char *msg, size_t msg_size)
{
    const gs_param_info *pi = &params_table[id];
    char got[40];
    format_number(got, sizeof got, value);
    if (!isfinite(value)) {
        snprintf(msg, msg_size, "must be a finite number, got %s", got);
        return GS_ERR_INPUT;
    }
    if ((pi->flags & PF_INT) && value != floor(value)) {
        snprintf(msg, msg_size, "must be a whole number, got %s", got);
        return GS_ERR_INPUT;
    }
    int lo_open = (pi->flags & PF_LO_OPEN) != 0, hi_open = (pi->flags & PF_HI_OPEN) != 0;
    int below = lo_open ? !(value > pi->lo) : !(value >= pi->lo);
    int above = hi_open ? !(value < pi->hi) : !(value <= pi->hi);
    if (!below && !above) return GS_OK;
    if (pi->hi - pi->lo <= 2)
        snprintf(msg, msg_size, "must be in %c%g, %g%c, got %s", lo_open ? '(' : '[', pi->lo,
                 pi->hi, hi_open ? ')' : ']', got);
    else if (below)
        snprintf(msg, msg_size, "must be %s %g, got %s", lo_open ? ">" : ">=", pi->lo, got);
    else
        snprintf(msg, msg_size, "must be %s %g, got %s", hi_open ? "<" : "<=", pi->hi, got);
    return GS_ERR_INPUT;
}

/* ---- correlation ----------------------------------------------------------------- */

/* The off-diagonal entries of R, one parameter each, in the order of params.def. */
static const struct {
    gs_param_id id;
    int row, col;
} corr_entries[] = {
    {PARAM_correlation_hardware_power, SHOCK_HARDWARE, SHOCK_POWER},
    {PARAM_correlation_hardware_closed, SHOCK_HARDWARE, SHOCK_CLOSED},
    {PARAM_correlation_hardware_open, SHOCK_HARDWARE, SHOCK_OPEN},
    {PARAM_correlation_hardware_demand, SHOCK_HARDWARE, SHOCK_DEMAND},
    {PARAM_correlation_hardware_readiness, SHOCK_HARDWARE, SHOCK_READINESS},
    {PARAM_correlation_power_closed, SHOCK_POWER, SHOCK_CLOSED},
    {PARAM_correlation_power_open, SHOCK_POWER, SHOCK_OPEN},
    {PARAM_correlation_power_demand, SHOCK_POWER, SHOCK_DEMAND},
    {PARAM_correlation_power_readiness, SHOCK_POWER, SHOCK_READINESS},
    {PARAM_correlation_closed_open, SHOCK_CLOSED, SHOCK_OPEN},
    {PARAM_correlation_closed_demand, SHOCK_CLOSED, SHOCK_DEMAND},
    {PARAM_correlation_closed_readiness, SHOCK_CLOSED, SHOCK_READINESS},
    {PARAM_correlation_open_demand, SHOCK_OPEN, SHOCK_DEMAND},
    {PARAM_correlation_open_readiness, SHOCK_OPEN, SHOCK_READINESS},
    {PARAM_correlation_demand_readiness, SHOCK_DEMAND, SHOCK_READINESS},
};
enum { CORR_ENTRY_COUNT = sizeof corr_entries / sizeof corr_entries[0] };

/* R_ii = 1, R_ij = R_ji = correlation.<i>_<j>. */
void params_correlation(const gs_params *p, double R[SHOCK_COUNT * SHOCK_COUNT])
{
    for (int i = 0; i < SHOCK_COUNT; i++)
        for (int j = 0; j < SHOCK_COUNT; j++) R[i * SHOCK_COUNT + j] = i == j;
    for (int e = 0; e < CORR_ENTRY_COUNT; e++) {
        double r = params_get(p, corr_entries[e].id);
        R[corr_entries[e].row * SHOCK_COUNT + corr_entries[e].col] = r;
        R[corr_entries[e].col * SHOCK_COUNT + corr_entries[e].row] = r;
    }
}

/* R = L Lᵀ by gsl_linalg_cholesky_decomp1, which leaves L in the lower triangle and
 * Lᵀ in the upper one; the upper triangle is zeroed.  GSL's error handler is switched
 * off (it would abort) and its GSL_EDOM return turned into GS_ERR_INPUT. */
gs_status params_cholesky(const gs_params *p, double L[SHOCK_COUNT * SHOCK_COUNT])
{
    gsl_set_error_handler_off();
    params_correlation(p, L);
    gsl_matrix_view m = gsl_matrix_view_array(L, SHOCK_COUNT, SHOCK_COUNT);
    if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS) return GS_ERR_INPUT;
    for (int i = 0; i < SHOCK_COUNT; i++)
        for (int j = i + 1; j < SHOCK_COUNT; j++) L[i * SHOCK_COUNT + j] = 0;
    return GS_OK;
}

/* Smallest eigenvalue of R (for the message), or NAN if GSL cannot say. */
static double smallest_eigenvalue(const double R[SHOCK_COUNT * SHOCK_COUNT])
{
    double a[SHOCK_COUNT * SHOCK_COUNT], ev[SHOCK_COUNT];
    memcpy(a, R, sizeof a);
    gsl_matrix_view m = gsl_matrix_view_array(a, SHOCK_COUNT, SHOCK_COUNT);
    gsl_vector_view v = gsl_vector_view_array(ev, SHOCK_COUNT);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(SHOCK_COUNT);
    if (!w) return NAN;
    int rc = gsl_eigen_symm(&m.matrix, &v.vector, w);
    gsl_eigen_symm_free(w);
    if (rc != GSL_SUCCESS) return NAN;
    double lo = ev[0];
    for (int i = 1; i < SHOCK_COUNT; i++)
        if (ev[i] < lo) lo = ev[i];
    return lo;
}

/* Relations, checked in this order:
 * 1. R positive definite (else no Cholesky factor, no shocks).  Blamed on the first
 *    non-zero correlation in table order (the caller, who knows which keys the user
 *    set, may pick a better one).
 * 2. outcome.collapse_ratio < outcome.compound_ratio (else the classes overlap).
 * 3. min(g_B, g_B∞) + a − μ_H > 0: the frontier progresses in trend in every cycle
 *    (g_{B,k} lies between g_B and g_B∞), so that the lag in months
 *    12 (Q^c − Q^o) / (b g_{X,k}) is defined and positive.
 * 4. labs.count0 <= labs.max.
 * 5. t₀ <= history.now <= t₀ + K Δ, so that k_now is a recorded cycle.
 * 6. outcome.window <= K + 1. */
gs_status params_check_relations(const gs_params *p, gs_param_id *bad_id, char *msg,
                                 size_t msg_size)
{
    double L[SHOCK_COUNT * SHOCK_COUNT];
    if (params_cholesky(p, L) != GS_OK) {
        gs_param_id blame = corr_entries[0].id;
        for (int e = 0; e < CORR_ENTRY_COUNT; e++)
            if (params_get(p, corr_entries[e].id) != 0) {
                blame = corr_entries[e].id;
                break;
            }
        double R[SHOCK_COUNT * SHOCK_COUNT];
        params_correlation(p, R);
        *bad_id = blame;
        snprintf(msg, msg_size,
                 "the correlation matrix of the shocks (hardware, power, closed, open, "
                 "demand, readiness) is not positive definite (smallest eigenvalue %.3g): the "
                 "correlations contradict each other",
                 smallest_eigenvalue(R));
        return GS_ERR_INPUT;
    }
    if (!(p->outcome_collapse_ratio < p->outcome_compound_ratio)) {
        *bad_id = PARAM_outcome_collapse_ratio;
        snprintf(msg, msg_size,
                 "outcome.collapse_ratio (%g) must be below outcome.compound_ratio (%g)",
                 p->outcome_collapse_ratio, p->outcome_compound_ratio);
        return GS_ERR_INPUT;
    }
    double g_min = p->training_growth < p->training_growth_long ? p->training_growth
                                                                 : p->training_growth_long;
    double progress = g_min + p->training_algorithmic - p->hardware_trend;
    if (!(progress > 0)) {
        *bad_id = p->training_growth <= p->training_growth_long ? PARAM_training_growth
                                                               : PARAM_training_growth_long;
        snprintf(msg, msg_size,
                 "min(training.growth, training.growth_long) + training.algorithmic - "
                 "hardware.trend must be > 0 (the frontier must progress in trend, otherwise "
                 "the lag in months is undefined), got %g + %g - (%g) = %g",
                 g_min, p->training_algorithmic, p->hardware_trend, progress);
        return GS_ERR_INPUT;
    }
    if (p->labs_count0 > p->labs_max) {
        *bad_id = PARAM_labs_count0;
        snprintf(msg, msg_size, "labs.count0 (%g) must not exceed labs.max (%g)",
                 p->labs_count0, p->labs_max);
        return GS_ERR_INPUT;
    }
    double end = p->run_start_year + p->run_cycles * p->run_cycle_years;
    if (!(p->history_now >= p->run_start_year && p->history_now <= end)) {
        *bad_id = PARAM_history_now;
        snprintf(msg, msg_size,
                 "history.now (%g) must lie inside the run, from run.start_year (%g) to "
                 "run.start_year + run.cycles * run.cycle_years (%g)",
                 p->history_now, p->run_start_year, end);
        return GS_ERR_INPUT;
    }
    if (p->outcome_window > p->run_cycles + 1) {
        *bad_id = PARAM_outcome_window;
        snprintf(msg, msg_size, "outcome.window (%g) must not exceed run.cycles + 1 (%g)",
                 p->outcome_window, p->run_cycles + 1);
        return GS_ERR_INPUT;
    }
    return GS_OK;
}

/* ---- model version 1 -> 2 ------------------------------------------------------------ */

/* The keys whose version 1 value described the market at the start, which version 1
 * placed in 2026 and version 2 at run.start_year (2024.0). */
static int v1_start_value(gs_param_id id)
{
    switch (id) {
    case PARAM_hardware_cost0: case PARAM_energy_kwh_per_ah: case PARAM_power_price0:
    case PARAM_serving_ah_per_mtok: case PARAM_capability_gap0: case PARAM_demand_mtok0:
    case PARAM_demand_closed_share0: case PARAM_demand_value_per_mtok: return 1;
    default: return 0;
    }
}

params_v1_change params_v1_upgrade(gs_param_id id, int have_value, double v1, double *v2,
                                   char *note, size_t size)
{
    const double n0 = params_table[PARAM_labs_count0].def;
    const double eta = params_table[PARAM_pricing_competition_exponent].def;
    const char *start = "a start value: version 1's described 2026, version 2's run starts at "
                        "run.start_year (2024.0 by default); check it against docs/calibration.md";
    char b[32];
    *v2 = v1;
    switch (id) {
    case PARAM_training_budget0:
        if (!have_value) break;
        *v2 = v1 / n0;
        format_number(b, sizeof b, n0);
        snprintf(note, size, "version 1's B0 was the budget of all closed labs together, "
                 "version 2's is one lab's: divided by labs.count0 (%s); %s", b, start);
        return PARAMS_V1_CONVERT;
    case PARAM_pricing_capture: {
        if (!have_value) break;
        double g = v1 * pow(n0, eta);
        *v2 = g < 1.0 ? g : 1.0;
        format_number(b, sizeof b, n0);
        char c[32];
        format_number(c, sizeof c, eta);
        snprintf(note, size, "version 1's capture was that of the closed labs together, "
                 "version 2's (gamma_1) is a lone lab's, gamma = gamma_1 n^-eta: times %s^%s "
                 "(labs.count0, pricing.competition_exponent)%s",
                 b, c, g > 1.0 ? ", capped at 1" : "");
        return PARAMS_V1_CONVERT;
    }
    case PARAM_pricing_capture_trend:
        snprintf(note, size, "version 1's trend stood for competition too; in version 2 the "
                 "entry of closed labs (labs.*) erodes capture, and the trend's default is 0");
        return PARAMS_V1_NOTE;
    case PARAM_training_growth:
        snprintf(note, size, "now the growth at the start, decaying toward "
                 "training.growth_long (default 0.25); set that to the same value for "
                 "version 1's constant growth");
        return PARAMS_V1_NOTE;
    case PARAM_demand_growth:
        snprintf(note, size, "now the growth at the start, decaying toward "
                 "demand.growth_long (default 0.35); set that to the same value for "
                 "version 1's constant growth");
        return PARAMS_V1_NOTE;
    case PARAM_demand_sensitive_share:
        snprintf(note, size, "now the share of the work of ready buyers only "
                 "(demand.readiness0, default 0.283); version 1's applied to all work");
        return PARAMS_V1_NOTE;
    case PARAM_run_cycles:
        snprintf(note, size, "version 1's cycles started in 2026, version 2's at "
                 "run.start_year (2024.0): the default 20 reach 2034");
        return PARAMS_V1_NOTE;
    case PARAM_outcome_compound_ratio: case PARAM_outcome_collapse_ratio:
        snprintf(note, size, "now the ratio of the mean of the last outcome.window cycles "
                 "to history.now's value, not of the last cycle to cycle 0's");
        return PARAMS_V1_NOTE;
    default:
        if (v1_start_value(id)) {
            snprintf(note, size, "%s", start);
            return PARAMS_V1_NOTE;
        }
        return PARAMS_V1_SAME;
    }
    snprintf(note, size, "its meaning changed (%s), and this value is not a plain number: "
             "convert it by hand", id == PARAM_training_budget0
                                      ? "version 2's budget0 is one lab's: divide by labs.count0"
                                      : "version 2's capture is a lone lab's: multiply by "
                                        "labs.count0^pricing.competition_exponent");
    return PARAMS_V1_NOTE;
}
