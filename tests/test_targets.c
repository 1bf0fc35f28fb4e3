/* test_targets.c - history matching building blocks (sim/targets.h): targets files,
 * implausibility and acceptance, waves, prior/posterior summaries.
 *
 * The variable table is that of MODEL.md §8 (model version 2), written here, so the
 * module is tested without depending on model.h's list.  Paths are relative to the
 * repository root, where the tests are run from.  The statistical test uses fixed
 * seeds and states its tolerance in standard errors. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>

#include "rng.h"
#include "targets.h"
#include "testutil.h"

#define assert_near(got, want, tol)                                                                \
    do {                                                                                           \
        double got_ = (got), want_ = (want);                                                       \
        if (!(fabs(got_ - want_) <= (tol)))                                                        \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #got, got_, want_,               \
                     (double)(tol));                                                               \
    } while (0)

#define BAD_DIR  "tests/data/targets_bad"
#define OBSERVED "scenarios/history/observed_2024_2026.yaml"

/* The recorded variables of MODEL.md §8, version 2, with their domains. */
#define P TARGETS_VAR_POSITIVE
#define S TARGETS_VAR_SHARE
#define R TARGETS_VAR_REAL
static const targets_var v2_vars[] = {
    {"hw_cost", P},
    {"power_price", P},
    {"compute_cost", P},
    {"serving_cost_open", P},
    {"serving_cost_closed", P},
    {"training_budget", P},
    {"funding_multiplier", P},
    {"quality_closed", P},
    {"quality_open", P},
    {"quality_open_west", P},
    {"gap", R},
    {"lag_months", R},
    {"value_at_stake", P},
    {"price_open", P},
    {"price_closed", P},
    {"readiness", S},
    {"restricted", S},
    {"restricted_share", S},
    {"closed_labs", P},
    {"profit_cover", R},
    {"capture", S},
    {"equilibrium_share", S},
    {"closed_share", S},
    {"demand", P},
    {"closed_profit", R},
    {"rent", R},
    {"premium", R},
    {"premium_q", R},
    {"lcoi_open", P},
    {"lcoi_closed", P},
};
#undef P
#undef S
#undef R
enum { N_VARS = sizeof v2_vars / sizeof v2_vars[0] };

/* Version 2's default calendar: 2024.0, half-year cycles, K = 20, now 2026.5. */
static const targets_calendar v2_cal = {2024.0, 0.5, 21, 2026.5};

static size_t var_index(const char *name)
{
    for (size_t i = 0; i < N_VARS; i++)
        if (strcmp(v2_vars[i].name, name) == 0) return i;
    fail_msg("no variable %s", name);
    return 0;
}

static gs_status parse(const char *text, targets_set *set, gs_error *err)
{
    gs_error_clear(err);
    return targets_parse(text, strlen(text), "mem.yaml", v2_vars, N_VARS, &v2_cal, set, err);
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part)) fail_msg("\"%s\" lacks \"%s\"", s, part);
}

/* ---- loading --------------------------------------------------------------------------- */

/* The shipped file: 16 targets in HISTORY's order, windows as cycles, h(z) and
 * √(σ² + d²) as in the mean-path table of the calibration (3 decimals there). */
static void test_observed_file(void **state)
{
    (void)state;
    targets_set set;
    gs_error err;
    gs_error_clear(&err);
    gs_status st = targets_load(OBSERVED, v2_vars, N_VARS, &v2_cal, &set, &err);
    if (st != GS_OK) fail_msg("%s", err.msg);
    assert_int_equal(set.n, 16);
    assert_int_equal(set.last_cycle, 4);
    static const struct {
        const char *var;
        int k0, k1;
        double h, scale;
    } want[16] = {
        {"price_closed", 0, 0, 2.389, 0.361},   {"price_closed", 2, 3, 1.705, 0.424},
        {"price_closed", 4, 4, 1.825, 0.361},   {"price_open", 0, 0, -0.511, 0.461},
        {"price_open", 2, 3, -0.462, 0.461},    {"price_open", 4, 4, -0.051, 0.461},
        {"premium", 2, 3, 1.872, 0.403},        {"lag_months", 0, 3, 3.50, 2.375},
        {"lag_months", 4, 4, 4.00, 1.616},      {"quality_closed", 4, 4, 128.0, 4.243},
        {"closed_share", 2, 2, 1.386, 0.650},   {"closed_share", 3, 3, 0.708, 0.650},
        {"hw_cost", 2, 4, 0.077, 0.391},        {"closed_labs", 2, 4, 4, 0.583},
        {"closed_profit", 4, 4, 24.377, 0.610}, {"training_budget", 4, 4, 23.208, 0.500},
    };
    for (size_t j = 0; j < 16; j++) {
        const targets_target *t = &set.t[j];
        char name[8];
        snprintf(name, sizeof name, "T%02zu", j + 1);
        assert_string_equal(t->name, name);
        assert_string_equal(v2_vars[t->var].name, want[j].var);
        assert_int_equal(t->k_first, want[j].k0);
        assert_int_equal(t->k_last, want[j].k1);
        assert_near(t->h_value, want[j].h, 0.0006);
        assert_near(t->scale, want[j].scale, 0.0006);
        assert_true(t->is_window);
        assert_true(strlen(t->source) > 20);
    }
    targets_free(&set);
    assert_null(set.t);
    targets_free(&set); /* twice is harmless */
}

/* Feeds one trajectory's cycles 0..last_cycle from rec[k * N_VARS + v]. */
static void feed_one(targets_acc *acc, const targets_set *set, const double *rec)
{
    for (int k = 0; k <= set->last_cycle; k++) {
        const double *out[N_VARS];
        for (size_t v = 0; v < N_VARS; v++) out[v] = &rec[(size_t)k * N_VARS + v];
        targets_acc_feed(acc, k, 0, 1, out);
    }
}

/* The calibration's mean-path check (HISTORY's table, computed independently): with
 * each target's variable at the mean path's simulated value over the target's cycles,
 * the implausibilities are those of the table (given to 2 decimals, from simulated
 * values given to 3 significant digits: tolerance 0.02), the largest is T14's 1.71 and
 * the second T06's 1.45, and the mean path is consistent with history under both rules. */
static void test_observed_mean_path(void **state)
{
    (void)state;
    targets_set set;
    gs_error err;
    if (targets_load(OBSERVED, v2_vars, N_VARS, &v2_cal, &set, &err) != GS_OK)
        fail_msg("%s", err.msg);
    static const double simulated[16] = {10.89, 4.98, 4.06,    0.604,  0.528, 0.486,
                                         8.42,  4.66, 4.64,    128.8,  0.782, 0.766,
                                         0.828, 3,    2.46e10, 1.33e10};
    static const double I_table[16] = {0.00, 0.24, 1.17, 0.02, 0.38, 1.45, 0.64, 0.49,
                                       0.39, 0.20, 0.17, 0.74, 0.68, 1.71, 0.74, 0.21};
    double rec[N_VARS * 5] = {0};
    for (size_t j = 0; j < 16; j++)
        for (int k = set.t[j].k_first; k <= set.t[j].k_last; k++)
            rec[(size_t)k * N_VARS + set.t[j].var] = simulated[j];
    for (int rule = 0; rule < 2; rule++) {
        targets_acc *acc = targets_acc_alloc(&set, 1);
        assert_non_null(acc);
        feed_one(acc, &set, rec);
        targets_tally t;
        targets_tally_clear(&t);
        targets_acc_decide(acc, (targets_rule)rule, TARGETS_DEFAULT_CUTOFF, 0, 1, &t);
        for (size_t j = 0; j < 16; j++)
            assert_near(targets_acc_implausibility(acc, j)[0], I_table[j], 0.02);
        assert_near(targets_acc_score(acc)[0], rule ? 1.45 : 1.71, 0.02);
        assert_int_equal(t.accepted, 1);
        targets_acc_free(acc);
    }
    targets_free(&set);
}

/* Every file of tests/data/targets_bad fails with GS_ERR_INPUT (exit 2), the message
 * names the file, line and key of its first-line comment "# expect: LINE: KEY", and the
 * set is left empty. */
static void test_bad_files(void **state)
{
    (void)state;
    DIR *dir = opendir(BAD_DIR);
    assert_non_null(dir);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0) continue;
        char path[512], first[256], want[1024];
        snprintf(path, sizeof path, BAD_DIR "/%s", de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        assert_non_null(fgets(first, sizeof first, f));
        fclose(f);
        unsigned line;
        char key[128];
        if (sscanf(first, "# expect: %u: %127[^\n]", &line, key) != 2)
            fail_msg("%s: first line is not '# expect: LINE: KEY'", path);
        snprintf(want, sizeof want, "%s:%u: %s:", path, line, key);
        targets_set set;
        gs_error err;
        gs_error_clear(&err);
        gs_status st = targets_load(path, v2_vars, N_VARS, &v2_cal, &set, &err);
        if (st != GS_ERR_INPUT) fail_msg("%s: status %d, expected GS_ERR_INPUT", path, (int)st);
        assert_int_equal(gs_status_exit_code(st), 2);
        if (!strstr(err.msg, want))
            fail_msg("%s: message \"%s\" lacks \"%s\"", path, err.msg, want);
        assert_null(set.t);
        assert_null(set.path);
        assert_int_equal(set.n, 0);
        count++;
    }
    closedir(dir);
    if (count < 25) fail_msg("only %d bad files in " BAD_DIR, count);
}

/* The messages say what is wrong, not only where. */
static void test_messages(void **state)
{
    (void)state;
    static const struct {
        const char *file, *part;
    } cases[] = {
        {"unknown_variable", "unknown variable 'price_clossed'; did you mean 'price_closed'?"},
        {"date_outside_history", "2027 is outside the history window [2024, 2026.5)"},
        {"window_no_cycle", "[2024.1, 2024.4) holds no cycle start"},
        {"sigma_zero", "must be > 0"},
        {"logit_share_outside", "must lie in (0, 1), got 1.2"},
        {"log_nonpositive", "must be > 0 under transform log (line 7), got 0"},
        {"missing_value", "A.value: missing"},
        {"unknown_key", "unknown field 'sgima'"},
        {"duplicate_name", "duplicate target name 'A' (first at line 4"},
        {"logit_not_share", "price_closed is not a share"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[256];
        snprintf(path, sizeof path, BAD_DIR "/%s.yaml", cases[c].file);
        targets_set set;
        gs_error err;
        gs_error_clear(&err);
        assert_int_equal(targets_load(path, v2_vars, N_VARS, &v2_cal, &set, &err), GS_ERR_INPUT);
        assert_contains(err.msg, cases[c].part);
    }
    /* a variable far from every name gets no suggestion */
    targets_set set;
    gs_error err;
    assert_int_equal(parse("targets:\n  - name: A\n    variable: zzzzzzzzzz\n", &set, &err),
                     GS_ERR_INPUT);
    assert_string_equal(err.msg, "mem.yaml:3: A.variable: unknown variable 'zzzzzzzzzz'");
}

/* Calendar details: the cycle holding a date, a run shorter than the history window, a
 * NUL byte, a missing file, a file with a default name, and a calendar of quarters. */
static void test_parse_details(void **state)
{
    (void)state;
    targets_set set;
    gs_error err;
#define ONE_DATE                                                                                   \
    "targets:\n"                                                                                   \
    "  - variable: lag_months\n"                                                                   \
    "    date: %s\n"                                                                               \
    "    transform: identity\n"                                                                    \
    "    value: -2\n"                                                                              \
    "    sigma: 1\n"                                                                               \
    "    discrepancy: 0\n"                                                                         \
    "    source: \"x\"\n"
    static const struct {
        const char *date;
        int k;
    } dates[] = {{"2024.0", 0}, {"2024.49", 0}, {"2024.5", 1}, {"2026.4999", 4}, {"2025.75", 3}};
    for (size_t c = 0; c < sizeof dates / sizeof dates[0]; c++) {
        char text[512];
        snprintf(text, sizeof text, ONE_DATE, dates[c].date);
        if (parse(text, &set, &err) != GS_OK) fail_msg("%s", err.msg);
        assert_string_equal(set.t[0].name, "T01");
        assert_int_equal(set.t[0].k_first, dates[c].k);
        assert_int_equal(set.t[0].k_last, dates[c].k);
        assert_false(set.t[0].is_window);
        assert_near(set.t[0].h_value, -2, 0);
        assert_int_equal(set.last_cycle, dates[c].k);
        targets_free(&set);
    }
    /* a run of 3 records (2024.0 .. 2025.5) and a date inside history but after it */
    char text[512];
    snprintf(text, sizeof text, ONE_DATE, "2025.5");
    targets_calendar shortrun = {2024.0, 0.5, 3, 2026.5};
    assert_int_equal(
        targets_parse(text, strlen(text), "mem.yaml", v2_vars, N_VARS, &shortrun, &set, &err),
        GS_ERR_INPUT);
    assert_string_equal(err.msg, "mem.yaml:3: T01.date: 2025.5 is after the run's last cycle");
    /* quarters: [2024.25, 2024.75) holds the starts 2024.25 and 2024.5 (cycles 1, 2) */
    const char *q = "targets:\n"
                    "  - name: q\n"
                    "    variable: closed_share\n"
                    "    window: [2024.25, 2024.75]\n"
                    "    transform: logit\n"
                    "    value: 0.5\n"
                    "    sigma: 1\n"
                    "    discrepancy: 0\n"
                    "    source: x\n";
    targets_calendar quarters = {2024.0, 0.25, 41, 2026.5};
    assert_int_equal(targets_parse(q, strlen(q), "q.yaml", v2_vars, N_VARS, &quarters, &set, &err),
                     GS_OK);
    assert_int_equal(set.t[0].k_first, 1);
    assert_int_equal(set.t[0].k_last, 2);
    assert_near(set.t[0].h_value, 0, 0);
    targets_free(&set);
    /* a NUL byte, reported at its line */
    const char nul[] = "targets:\n  - name: A\0\n";
    assert_int_equal(
        targets_parse(nul, sizeof nul - 1, "nul.yaml", v2_vars, N_VARS, &v2_cal, &set, &err),
        GS_ERR_INPUT);
    assert_string_equal(err.msg, "nul.yaml:2: file: holds a NUL byte (not a text file)");
    /* hostile sizes: 1 MiB of "[" is refused at once (libyaml's scanner would take
     * minutes over it), and a file one byte above the limit is refused unread */
    size_t big = TARGETS_FILE_MAX;
    char *deep = malloc(big + 2);
    assert_non_null(deep);
    memcpy(deep, "targets: ", 9);
    memset(deep + 9, '[', big - 9);
    assert_int_equal(targets_parse(deep, big, "deep.yaml", v2_vars, N_VARS, &v2_cal, &set, &err),
                     GS_ERR_INPUT);
    assert_string_equal(err.msg,
                        "deep.yaml:1: file: lists and mappings nested deeper than 32 levels");
    memset(deep + 9, ' ', big + 1 - 9);
    assert_int_equal(targets_parse(deep, big + 1, "big.yaml", v2_vars, N_VARS, &v2_cal, &set, &err),
                     GS_ERR_INPUT);
    assert_string_equal(err.msg, "big.yaml:1: file: larger than 1048576 bytes");
    free(deep);
    /* a missing file */
    assert_int_equal(
        targets_load("tests/data/no_such_targets.yaml", v2_vars, N_VARS, &v2_cal, &set, &err),
        GS_ERR_INPUT);
    assert_contains(err.msg, "tests/data/no_such_targets.yaml: cannot read:");
    /* a bad calendar is the caller's input error, not the file's */
    targets_calendar backwards = {2024.0, 0.5, 21, 2024.0};
    assert_int_equal(targets_parse(q, strlen(q), "q.yaml", v2_vars, N_VARS, &backwards, &set, &err),
                     GS_ERR_INPUT);
    assert_contains(err.msg, "history.now must be after run.start_year");
}

/* ---- implausibility and acceptance ------------------------------------------------------- */

/* A set of targets from YAML text (fails the test on error). */
static void load_text(const char *text, targets_set *set)
{
    gs_error err;
    if (parse(text, set, &err) != GS_OK) fail_msg("%s", err.msg);
}

/* out[v] for a record buffer rec[N_VARS][n]. */
static void views(double *rec, size_t n, const double *out[N_VARS])
{
    for (size_t v = 0; v < N_VARS; v++) out[v] = rec + v * n;
}

/* A target with a huge σ accepts every trajectory whose transform is finite, with no
 * rejection anywhere (MODEL.md §9's check). */
static void test_huge_sigma_accepts_all(void **state)
{
    (void)state;
    targets_set set;
    load_text("targets:\n"
              "  - {name: wide, variable: price_closed, window: [2024.0, 2026.5], "
              "transform: log, value: 10, sigma: 1e12, discrepancy: 0, source: x}\n",
              &set);
    enum { N = 3000 };
    double *rec = calloc((size_t)N_VARS * N, sizeof *rec);
    assert_non_null(rec);
    const double *out[N_VARS];
    views(rec, N, out);
    targets_acc *acc = targets_acc_alloc(&set, N);
    assert_non_null(acc);
    rng_pcg32 r;
    rng_pcg32_seed(&r, 12345, 1);
    size_t pc = var_index("price_closed");
    for (int k = 0; k < 21; k++) {
        for (size_t i = 0; i < N; i++) rec[pc * N + i] = exp(10 * rng_normal(&r)); /* 1e-40..1e40 */
        targets_acc_feed(acc, k, 0, N, out);
    }
    targets_tally tally;
    targets_tally_clear(&tally);
    targets_acc_decide(acc, TARGETS_RULE_MAX, TARGETS_DEFAULT_CUTOFF, 0, N, &tally);
    assert_int_equal(tally.drawn, N);
    assert_int_equal(tally.accepted, N);
    assert_int_equal(tally.rejected[0], 0);
    const unsigned char *a = targets_acc_accepted(acc);
    for (size_t i = 0; i < N; i++) assert_int_equal(a[i], 1);
    targets_acc_free(acc);
    free(rec);
    targets_free(&set);
}

/* Truncated normal N(μ, τ²) on [L, U]: mean, sd, median (closed form). */
static void truncated_normal(double mu, double tau, double L, double U, double *mean, double *sd,
                             double *median, double *mass)
{
    double a = (L - mu) / tau, b = (U - mu) / tau;
    double Z = gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a);
    double pa = gsl_ran_ugaussian_pdf(a), pb = gsl_ran_ugaussian_pdf(b);
    double r = (pa - pb) / Z;
    *mean = mu + tau * r;
    *sd = tau * sqrt(1 + (a * pa - b * pb) / Z - r * r);
    *median =
        mu + tau * gsl_cdf_ugaussian_Pinv(0.5 * (gsl_cdf_ugaussian_P(a) + gsl_cdf_ugaussian_P(b)));
    *mass = Z;
}

/* The synthetic case with a known posterior.  θ ~ N(μ₀, τ²) (each trajectory's own
 * stream); the recorded variable is noise-free and linear, f = a + bθ, in every cycle;
 * the target observes it over a window with Gaussian error σ (d = 0), identity
 * transform.  Rejection with the box kernel |f − z| ≤ c σ keeps θ in
 * [(z − cσ − a)/b, (z + cσ − a)/b]: the posterior is the prior truncated there.  The
 * accepted θ's mean, sd and median (targets_summarize) and the acceptance rate agree
 * with the truncated normal's within 4 standard errors. */
static void test_known_posterior(void **state)
{
    (void)state;
    const double mu0 = 1.0, tau = 0.5, a = 2.0, b = 3.0, z = 6.5, sigma = 0.4, c = 2.0;
    targets_set set;
    char text[512];
    snprintf(text, sizeof text,
             "targets:\n"
             "  - {name: linear, variable: quality_open, window: [2024.5, 2026.0], "
             "transform: identity, value: %g, sigma: %g, discrepancy: 0, source: synthetic}\n",
             z, sigma);
    load_text(text, &set);
    enum { N = 200000, BLOCK = 1024 };
    double *theta = malloc(N * sizeof *theta);
    double *rec = calloc((size_t)N_VARS * BLOCK, sizeof *rec);
    assert_non_null(theta);
    assert_non_null(rec);
    for (size_t i = 0; i < N; i++) {
        rng_pcg32 r;
        rng_stream(&r, 20260501, 0, i);
        theta[i] = mu0 + tau * rng_normal(&r);
    }
    targets_acc *acc = targets_acc_alloc(&set, N);
    assert_non_null(acc);
    const double *out[N_VARS];
    views(rec, BLOCK, out);
    size_t qo = var_index("quality_open");
    /* the engine's order: per cycle, per block; cycle 0 and 4.. are not in the window */
    for (int k = 0; k < 21; k++) {
        for (size_t first = 0; first < N; first += BLOCK) {
            size_t count = N - first < BLOCK ? N - first : BLOCK;
            for (size_t i = 0; i < count; i++) rec[qo * BLOCK + i] = a + b * theta[first + i];
            targets_acc_feed(acc, k, first, count, out);
        }
    }
    targets_tally tally;
    targets_tally_clear(&tally);
    targets_acc_decide(acc, TARGETS_RULE_MAX, c, 0, N, &tally);
    const unsigned char *accepted = targets_acc_accepted(acc);

    double mean, sd, median, mass;
    truncated_normal(mu0, tau, (z - c * sigma - a) / b, (z + c * sigma - a) / b, &mean, &sd,
                     &median, &mass);
    /* acceptance: Binomial(N, mass) */
    assert_within_se((double)tally.accepted / N, mass, sqrt(mass * (1 - mass) / N), 4);
    assert_int_equal(tally.accepted + tally.rejected[0], N);
    /* accepted θ: sample mean, sd and fourth central moment */
    double m1 = 0, m2 = 0, m4 = 0, n = (double)tally.accepted;
    for (size_t i = 0; i < N; i++)
        if (accepted[i]) m1 += theta[i];
    m1 /= n;
    for (size_t i = 0; i < N; i++)
        if (accepted[i]) {
            double e = theta[i] - m1;
            m2 += e * e, m4 += e * e * e * e;
        }
    m2 /= n - 1, m4 /= n;
    double s = sqrt(m2);
    assert_within_se(m1, mean, sd / sqrt(n), 4);
    /* se of the sample sd: √((μ₄ − σ⁴) / (4 σ² n)), delta method */
    assert_within_se(s, sd, sqrt((m4 - m2 * m2) / (4 * m2 * n)), 4);
    /* the summary's posterior median; se √(1/4 / n) / density at the median */
    targets_param_summary sum;
    gs_error err;
    assert_int_equal(targets_summarize(theta, N, 1, accepted, &sum, &err), GS_OK);
    double dens = gsl_ran_gaussian_pdf(median - mu0, tau) / mass;
    assert_within_se(sum.posterior[2], median, 0.5 / sqrt(n) / dens, 4);
    /* the prior median and quartiles, se as above for N(μ₀, τ²) */
    assert_within_se(sum.prior[2], mu0, 0.5 / sqrt((double)N) / gsl_ran_gaussian_pdf(0, tau), 4);
    double q75 = mu0 + tau * gsl_cdf_ugaussian_Pinv(0.75);
    assert_within_se(sum.prior[3], q75,
                     sqrt(0.75 * 0.25 / N) / gsl_ran_gaussian_pdf(q75 - mu0, tau), 4);
    assert_true(sum.posterior[0] >= (z - c * sigma - a) / b);
    assert_true(sum.posterior[4] <= (z + c * sigma - a) / b);
    assert_near(sum.shift, (sum.posterior[2] - sum.prior[2]) / (sum.prior[3] - sum.prior[1]),
                1e-15);

    /* the same trajectories split into two accumulators of other sizes, decided in
     * other pieces: the same mask and the same counts (integers add exactly) */
    const size_t split = 77777;
    targets_acc *a1 = targets_acc_alloc(&set, split), *a2 = targets_acc_alloc(&set, N - split);
    assert_non_null(a1);
    assert_non_null(a2);
    for (int k = 1; k <= 3; k++) {
        for (size_t i = 0; i < N; i++) {
            double x = a + b * theta[i];
            const double *o[N_VARS] = {0};
            o[qo] = &x;
            if (i < split)
                targets_acc_feed(a1, k, i, 1, o);
            else
                targets_acc_feed(a2, k, i - split, 1, o);
        }
    }
    targets_tally t1, t2;
    targets_tally_clear(&t1);
    targets_tally_clear(&t2);
    targets_acc_decide(a1, TARGETS_RULE_MAX, c, 0, 1000, &t1);
    targets_acc_decide(a1, TARGETS_RULE_MAX, c, 1000, split - 1000, &t2);
    targets_acc_decide(a2, TARGETS_RULE_MAX, c, 0, N - split, &t2);
    targets_tally_add(&t1, &t2);
    assert_memory_equal(&t1, &tally, sizeof tally);
    assert_memory_equal(targets_acc_accepted(a1), accepted, split);
    assert_memory_equal(targets_acc_accepted(a2), accepted + split, N - split);
    assert_memory_equal(targets_acc_implausibility(a2, 0),
                        targets_acc_implausibility(acc, 0) + split, (N - split) * sizeof(double));
    targets_acc_free(a1);
    targets_acc_free(a2);
    targets_acc_free(acc);
    free(rec);
    free(theta);
    targets_free(&set);
}

/* Three date targets with known implausibilities; max vs second_max; one target. */
static void test_rules(void **state)
{
    (void)state;
    targets_set set;
    load_text("targets:\n"
              "  - {name: a, variable: lag_months, date: 2024.0, transform: identity, value: 0, "
              "sigma: 1, discrepancy: 0, source: x}\n"
              "  - {name: b, variable: gap, date: 2024.0, transform: identity, value: 0, "
              "sigma: 0.6, discrepancy: 0.8, source: x}\n"
              "  - {name: c, variable: premium, date: 2024.0, transform: identity, value: 0, "
              "sigma: 2, discrepancy: 0, source: x}\n",
              &set);
    assert_near(set.t[1].scale, 1.0, 1e-15);
    /* trajectory: I_a, I_b, I_c */
    enum { N = 5 };
    static const double I[N][3] = {
        {5, 1, 0.5}, /* max rejects, second_max accepts */
        {5, 4, 0},   /* both reject */
        {1, 2, 3},   /* both accept: the max is exactly the cutoff */
        {4, 4, 1},   /* a tie above the cutoff: second max is 4 */
        {0, 0, 0},
    };
    double rec[N_VARS * N] = {0};
    const double *out[N_VARS];
    views(rec, N, out);
    size_t va = var_index("lag_months"), vb = var_index("gap"), vc = var_index("premium");
    for (size_t i = 0; i < N; i++) {
        rec[va * N + i] = I[i][0];
        rec[vb * N + i] = -I[i][1]; /* |f − z| */
        rec[vc * N + i] = 2 * I[i][2];
    }
    static const unsigned char want_max[N] = {0, 0, 1, 0, 1}, want_second[N] = {1, 0, 1, 0, 1};
    for (int rule = 0; rule < 2; rule++) {
        targets_acc *acc = targets_acc_alloc(&set, N);
        assert_non_null(acc);
        targets_acc_feed(acc, 0, 0, N, out);
        targets_acc_feed(acc, 1, 0, N, out); /* cycle 1 is no target's: ignored */
        assert_true(targets_acc_needs(acc, 0));
        assert_false(targets_acc_needs(acc, 1));
        targets_tally t;
        targets_tally_clear(&t);
        targets_acc_decide(acc, (targets_rule)rule, 3, 0, N, &t);
        assert_memory_equal(targets_acc_accepted(acc), rule ? want_second : want_max, N);
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < 3; j++)
                assert_near(targets_acc_implausibility(acc, j)[i], I[i][j], 1e-15);
        assert_near(targets_acc_score(acc)[0], rule ? 1 : 5, 0);
        assert_near(targets_acc_score(acc)[3], 4, 0);
        assert_int_equal(t.rejected[0], 3); /* 5, 5, 4 > 3 */
        assert_int_equal(t.rejected[1], 2);
        assert_int_equal(t.rejected[2], 0);
        assert_int_equal(t.accepted, rule ? 3 : 2);
        targets_acc_free(acc);
    }
    /* with one target second_max is the max */
    targets_set one = set;
    one.n = 1;
    targets_acc *acc = targets_acc_alloc(&one, N);
    assert_non_null(acc);
    targets_acc_feed(acc, 0, 0, N, out);
    targets_tally t;
    targets_tally_clear(&t);
    targets_acc_decide(acc, TARGETS_RULE_SECOND_MAX, 3, 0, N, &t);
    static const unsigned char want_one[N] = {0, 0, 1, 0, 1};
    assert_memory_equal(targets_acc_accepted(acc), want_one, N);
    targets_acc_free(acc);
    /* which targets reject most: a (3 of 5), b (2), c (0) */
    char buf[128];
    targets_tally rt;
    targets_tally_clear(&rt);
    rt.drawn = 5, rt.rejected[0] = 2, rt.rejected[1] = 3, rt.rejected[2] = 2;
    size_t order[3];
    targets_rank_rejections(&set, &rt, order);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0); /* a tie: position order */
    assert_int_equal(order[2], 2);
    targets_describe_rejections(&set, &rt, 2, buf, sizeof buf);
    assert_string_equal(buf, "b 60.0%, a 40.0%");
    targets_describe_rejections(&set, &rt, 10, buf, 12); /* truncated, still a string */
    assert_string_equal(buf, "b 60.0%, a ");
    targets_free(&set);
    assert_int_equal(targets_rule_find("max"), TARGETS_RULE_MAX);
    assert_int_equal(targets_rule_find("second_max"), TARGETS_RULE_SECOND_MAX);
    assert_int_equal(targets_rule_find("median"), -1);
}

/* A window target is h of the mean over its cycles (not the mean of h); non-finite
 * simulated values (log of 0, NaN, ∞) make I infinite and reject under max, while
 * second_max still accepts a trajectory with one infinite I. */
static void test_windows_and_nonfinite(void **state)
{
    (void)state;
    targets_set set;
    load_text("targets:\n"
              "  - {name: w, variable: price_open, window: [2024.0, 2025.5], transform: log, "
              "value: 2, sigma: 0.1, discrepancy: 0, source: x}\n"
              "  - {name: s, variable: closed_share, window: [2025.5, 2026.5], transform: logit, "
              "value: 0.5, sigma: 1, discrepancy: 0, source: x}\n",
              &set);
    assert_int_equal(set.t[0].k_first, 0);
    assert_int_equal(set.t[0].k_last, 2);
    assert_int_equal(set.t[1].k_first, 3);
    assert_int_equal(set.t[1].k_last, 4);
    enum { N = 6 };
    /* price_open in cycles 0, 1, 2 per trajectory; closed_share in cycles 3, 4 */
    static const double po[N][3] = {{1, 2, 3},        {0, 0, 0}, {1, NAN, 3},
                                    {1, INFINITY, 3}, {1, 2, 3}, {-1, -1, -1}};
    static const double cs[N][2] = {{0.4, 0.6}, {0.5, 0.5}, {0.5, 0.5},
                                    {0.5, 0.5}, {1, 1},     {0.5, 0.5}};
    double rec[N_VARS * N] = {0};
    const double *out[N_VARS];
    views(rec, N, out);
    size_t vp = var_index("price_open"), vs = var_index("closed_share");
    for (int rule = 0; rule < 2; rule++) {
        targets_acc *acc = targets_acc_alloc(&set, N);
        assert_non_null(acc);
        for (int k = 0; k < 6; k++) {
            for (size_t i = 0; i < N; i++) {
                rec[vp * N + i] = k < 3 ? po[i][k] : 1e300; /* later cycles are ignored */
                rec[vs * N + i] = k >= 3 && k < 5 ? cs[i][k - 3] : -7;
            }
            targets_acc_feed(acc, k, 0, N, out);
        }
        targets_tally t;
        targets_tally_clear(&t);
        targets_acc_decide(acc, (targets_rule)rule, 3, 0, N, &t);
        const double *f = targets_acc_simulated(acc, 0), *I0 = targets_acc_implausibility(acc, 0);
        const double *I1 = targets_acc_implausibility(acc, 1);
        assert_near(f[0], log(2), 1e-15); /* ln mean(1, 2, 3), not mean of ln */
        assert_near(I0[0], 0, 1e-15);
        assert_near(targets_acc_simulated(acc, 1)[0], 0, 1e-15); /* logit(mean(0.4, 0.6)) */
        assert_true(isinf(I0[1]) && I0[1] > 0);                  /* ln 0 */
        assert_true(isinf(I0[2]) && I0[2] > 0);                  /* NaN */
        assert_true(isinf(I0[3]) && I0[3] > 0);                  /* ∞ */
        assert_true(isinf(I1[4]) && I1[4] > 0);                  /* logit 1 */
        assert_true(isinf(I0[5]) && I0[5] > 0);                  /* ln of a negative mean */
        static const unsigned char want_max[N] = {1, 0, 0, 0, 0, 0};
        static const unsigned char want_second[N] = {1, 1, 1, 1, 1, 1};
        assert_memory_equal(targets_acc_accepted(acc), rule ? want_second : want_max, N);
        assert_int_equal(t.rejected[0], 4);
        assert_int_equal(t.rejected[1], 1);
        /* a reset accumulator starts again from zero */
        targets_acc_reset(acc);
        for (int k = 0; k < 3; k++) {
            for (size_t i = 0; i < N; i++) rec[vp * N + i] = 2;
            targets_acc_feed(acc, k, 0, N, out);
        }
        targets_tally_clear(&t);
        targets_acc_decide(acc, (targets_rule)rule, 3, 0, N, &t);
        assert_near(targets_acc_simulated(acc, 0)[5], log(2), 1e-15);
        targets_acc_free(acc);
    }
    targets_free(&set);
}

/* The band h⁻¹(h(z) ± c s) in the variable's units, the inverse transforms, and a
 * target's simulated quantiles: a value inside the band is accepted, one outside is
 * not, and the accepted window means lie inside the band. */
static void test_band_and_quantiles(void **state)
{
    (void)state;
    targets_set set;
    load_text("targets:\n"
              "  - {name: p, variable: price_closed, date: 2025.0, transform: log, value: 5, "
              "sigma: 0.3, discrepancy: 0.4, source: x}\n"
              "  - {name: s, variable: closed_share, date: 2025.0, transform: logit, value: 0.8, "
              "sigma: 0.25, discrepancy: 0, source: x}\n"
              "  - {name: m, variable: lag_months, date: 2025.0, transform: identity, value: 4, "
              "sigma: 1.2, discrepancy: 1.6, source: x}\n",
              &set);
    double lo, hi;
    targets_band(&set.t[0], 3, &lo, &hi);
    assert_near(lo, 5 * exp(-1.5), 1e-14);
    assert_near(hi, 5 * exp(1.5), 1e-13);
    targets_band(&set.t[1], 2, &lo, &hi);
    assert_near(lo, 1 / (1 + exp(-(log(4) - 0.5))), 1e-15);
    assert_near(hi, 1 / (1 + exp(-(log(4) + 0.5))), 1e-15);
    targets_band(&set.t[2], 3, &lo, &hi);
    assert_near(lo, -2, 1e-15);
    assert_near(hi, 10, 1e-15);
    for (int h = 0; h < 3; h++)
        assert_near(targets_transform_invert((targets_transform)h,
                                             targets_transform_apply((targets_transform)h, 0.3)),
                    0.3, 1e-15);

    /* 1000 trajectories: price on a grid 1 .. 100, share 0.8, months 4 */
    enum { N = 1000 };
    double rec[N_VARS * N] = {0};
    const double *out[N_VARS];
    views(rec, N, out);
    size_t vp = var_index("price_closed"), vs = var_index("closed_share"),
           vm = var_index("lag_months");
    for (size_t i = 0; i < N; i++) {
        rec[vp * N + i] = 1 + 99.0 * (double)i / (N - 1);
        rec[vs * N + i] = 0.8;
        rec[vm * N + i] = 4;
    }
    rec[vp * N + 7] = 0; /* log 0: not finite, skipped by the quantiles */
    targets_acc *acc = targets_acc_alloc(&set, N);
    assert_non_null(acc);
    targets_acc_feed(acc, 2, 0, N, out);
    targets_tally t;
    targets_tally_clear(&t);
    targets_acc_decide(acc, TARGETS_RULE_MAX, 3, 0, N, &t);
    targets_band(&set.t[0], 3, &lo, &hi);
    const unsigned char *a = targets_acc_accepted(acc);
    size_t inside = 0;
    for (size_t i = 0; i < N; i++) {
        double x = rec[vp * N + i];
        int in = x >= lo * (1 + 1e-12) && x <= hi * (1 - 1e-12);
        int out_ = x < lo * (1 - 1e-12) || x > hi * (1 + 1e-12);
        if (in) assert_int_equal(a[i], 1);
        if (out_) assert_int_equal(a[i], 0);
        inside += a[i];
    }
    assert_int_equal(t.accepted, inside);
    double q[TARGETS_N_LEVELS];
    size_t used;
    gs_error err;
    assert_int_equal(targets_acc_quantiles(acc, 0, 0, q, &used, &err), GS_OK);
    assert_int_equal(used, N - 1);
    assert_near(q[2], rec[vp * N + 500], 1e-12); /* the median of 999 values: row 500 */
    assert_int_equal(targets_acc_quantiles(acc, 0, 1, q, &used, &err), GS_OK);
    assert_int_equal(used, inside);
    assert_true(q[0] >= lo && q[4] <= hi);
    assert_int_equal(targets_acc_quantiles(acc, 1, 1, q, &used, &err), GS_OK);
    for (int l = 0; l < TARGETS_N_LEVELS; l++) assert_near(q[l], 0.8, 1e-15);
    targets_acc_free(acc);
    targets_free(&set);
}

/* ---- waves and summaries ------------------------------------------------------------------ */

static void test_wave_box(void **state)
{
    (void)state;
    /* 4 rows, 2 parameters; row 3 is not accepted */
    const double draws[] = {1.0, 10, 2.0, 20, 3.0, 15, 100, -5};
    const unsigned char accept[] = {1, 1, 1, 0};
    const double plo[] = {0.0, 12}, phi[] = {INFINITY, 100};
    double lo[2], hi[2];
    gs_error err;
    assert_int_equal(
        targets_wave_box(draws, 4, 2, accept, plo, phi, TARGETS_WAVE_WIDEN, lo, hi, &err), GS_OK);
    assert_near(lo[0], 0.8, 1e-15); /* [1, 3] widened by 0.2 each side */
    assert_near(hi[0], 3.2, 1e-15);
    assert_near(lo[1], 12, 0); /* 10 − 1 = 9, cut at the prior's 12 */
    assert_near(hi[1], 21, 1e-14);
    /* every row (accept NULL) */
    assert_int_equal(targets_wave_box(draws, 4, 2, NULL, plo, phi, 0.1, lo, hi, &err), GS_OK);
    assert_near(lo[0], 0.0, 0); /* 1 − 9.9 cut at 0 */
    assert_near(hi[0], 109.9, 1e-12);
    /* fewer than two accepted, equal draws, a non-finite draw */
    const unsigned char one[] = {0, 1, 0, 0};
    assert_int_equal(targets_wave_box(draws, 4, 2, one, plo, phi, 0.1, lo, hi, &err),
                     GS_ERR_NUMERIC);
    assert_contains(err.msg, "1 accepted trajectories, at least 2");
    const double same[] = {1, 5, 1, 6};
    assert_int_equal(targets_wave_box(same, 2, 2, NULL, plo, phi, 0.1, lo, hi, &err),
                     GS_ERR_NUMERIC);
    assert_contains(err.msg, "parameter 0: every accepted draw equals 1");
    const double nan[] = {1, 5, NAN, 6};
    assert_int_equal(targets_wave_box(nan, 2, 2, NULL, plo, phi, 0.1, lo, hi, &err),
                     GS_ERR_NUMERIC);
    /* movement in standard errors of the difference */
    assert_near(targets_wave_movement(0.50, 0.01, 0.53, 0.01), 0.03 / sqrt(2e-4), 1e-12);
    assert_near(targets_wave_movement(0.5, 0.03, 0.46, 0.04), -0.8, 1e-12);
    assert_near(targets_wave_movement(0.5, 0, 0.5, 0), 0, 0);
    assert_true(isinf(targets_wave_movement(0.5, 0, 0.6, 0)));
}

/* Exact quantiles of small samples, the shift and the "moved most" order. */
static void test_summaries(void **state)
{
    (void)state;
    /* 5 rows, 3 parameters: p0 = 0..4 (posterior rows 3, 4), p1 constant, p2 = 4..0 */
    const double draws[] = {0, 7, 4, 1, 7, 3, 2, 7, 2, 3, 7, 1, 4, 7, 0};
    const unsigned char accept[] = {0, 0, 0, 1, 1};
    targets_param_summary s[3];
    gs_error err;
    assert_int_equal(targets_summarize(draws, 5, 3, accept, s, &err), GS_OK);
    const double prior0[] = {0.2, 1, 2, 3, 3.8}, post0[] = {3.05, 3.25, 3.5, 3.75, 3.95};
    for (int l = 0; l < TARGETS_N_LEVELS; l++) {
        assert_near(s[0].prior[l], prior0[l], 1e-15);
        assert_near(s[0].posterior[l], post0[l], 1e-15);
        assert_near(s[1].prior[l], 7, 0);
    }
    assert_near(s[0].shift, 0.75, 1e-15); /* (3.5 − 2) / (3 − 1) */
    assert_near(s[1].shift, 0, 0);        /* no IQR, no move */
    assert_near(s[2].shift, -0.75, 1e-15);
    size_t order[3];
    targets_rank_moved(s, 3, order);
    assert_int_equal(order[0], 0); /* |0.75| ties: lower index first */
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 1);
    /* no accepted row: NaN posterior, NaN shift, ranked last */
    const unsigned char none[] = {0, 0, 0, 0, 0};
    assert_int_equal(targets_summarize(draws, 5, 3, none, s, &err), GS_OK);
    assert_true(isnan(s[0].posterior[2]) && isnan(s[0].shift));
    targets_param_summary mixed[3] = {{.shift = NAN}, {.shift = -2}, {.shift = INFINITY}};
    targets_rank_moved(mixed, 3, order);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
    assert_int_equal(order[2], 0);
    /* a non-finite draw is an error */
    const double bad[] = {1, INFINITY};
    const unsigned char both[] = {1, 1};
    assert_int_equal(targets_summarize(bad, 2, 1, both, s, &err), GS_ERR_NUMERIC);
}

/* targets_quantiles5 against sorting: the bits of every level on samples with many ties,
 * ±∞ and sizes 1 to 60000 (its one-descent selection), and the values with both zeros
 * (its rank-by-rank path); targets_summarize in blocks of parameters (20 parameters:
 * blocks of 8 and a partial one) against each column alone, and the first non-finite
 * draw named by its parameter and row. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sorted_levels(const double *x, size_t m, double out[TARGETS_N_LEVELS])
{
    double *y = malloc(m * sizeof *y);
    memcpy(y, x, m * sizeof *y);
    qsort(y, m, sizeof *y, cmp_double);
    for (int q = 0; q < TARGETS_N_LEVELS; q++) {
        const double h = targets_levels[q] * (double)(m - 1);
        const size_t l = (size_t)h;
        const double delta = h - (double)l, lo = y[l];
        out[q] = l + 1 >= m || lo == y[l + 1] ? lo : (1.0 - delta) * lo + delta * y[l + 1];
    }
    free(y);
}

static void test_quantiles_exact(void **state)
{
    (void)state;
    uint64_t g = 88172645463325252ULL;
    const size_t sizes[] = {1, 2, 3, 5, 10, 11, 100, 999, 4096, 60000};
    double *x = malloc(60000 * sizeof *x), *c = malloc(60000 * sizeof *c);
    for (size_t t = 0; t < 40; t++) {
        size_t m = sizes[t % 10];
        for (size_t i = 0; i < m; i++) {
            g ^= g << 13, g ^= g >> 7, g ^= g << 17;
            double u = (double)(g >> 11) * 0x1.0p-53;
            x[i] = t % 3 == 0 ? floor(u * 7) - 3           /* ties */
                   : t % 3 == 1 ? u * 1e3 - 500 : exp(40 * u - 20);
            if (t % 4 == 3 && i % 97 == 5) x[i] = i % 2 ? INFINITY : -INFINITY;
            if (t % 5 == 4 && x[i] == 0) x[i] = i % 2 ? -0.0 : 0.0; /* both zeros */
        }
        double want[TARGETS_N_LEVELS], got[TARGETS_N_LEVELS];
        sorted_levels(x, m, want);
        memcpy(c, x, m * sizeof *c);
        targets_quantiles5(c, m, got);
        for (int q = 0; q < TARGETS_N_LEVELS; q++) {
            int zeros = t % 5 == 4;
            if (zeros ? !(got[q] == want[q] || (isnan(got[q]) && isnan(want[q])))
                      : memcmp(&got[q], &want[q], sizeof got[q]) != 0)
                fail_msg("sample %zu (m %zu), level %d: %.17g, sorted %.17g", t, m, q, got[q],
                         want[q]);
        }
    }
    /* 20 parameters in blocks against each parameter alone */
    enum { R = 3001, D = 20 };
    double *draws = malloc(R * D * sizeof *draws);
    unsigned char *acc = malloc(R);
    for (size_t i = 0; i < R; i++) {
        acc[i] = i % 7 == 2;
        for (size_t p = 0; p < D; p++) {
            g ^= g << 13, g ^= g >> 7, g ^= g << 17;
            draws[i * D + p] = (double)(g >> 11) * 0x1.0p-53 * (double)(p + 1);
        }
    }
    targets_param_summary s[D];
    gs_error err;
    assert_int_equal(targets_summarize(draws, R, D, acc, s, &err), GS_OK);
    for (size_t p = 0; p < D; p++) {
        size_t m = 0;
        for (size_t i = 0; i < R; i++) c[i] = draws[i * D + p];
        double prior[TARGETS_N_LEVELS], post[TARGETS_N_LEVELS];
        targets_quantiles5(c, R, prior);
        for (size_t i = 0; i < R; i++)
            if (acc[i]) c[m++] = draws[i * D + p];
        targets_quantiles5(c, m, post);
        assert_memory_equal(prior, s[p].prior, sizeof prior);
        assert_memory_equal(post, s[p].posterior, sizeof post);
    }
    draws[1234 * D + 9] = NAN, draws[2000 * D + 9] = INFINITY, draws[5 * D + 17] = NAN;
    assert_int_equal(targets_summarize(draws, R, D, acc, s, &err), GS_ERR_NUMERIC);
    if (!strstr(err.msg, "parameter 9: draw of row 1234 is not finite"))
        fail_msg("message: %s", err.msg);
    free(draws), free(acc), free(x), free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observed_file),
        cmocka_unit_test(test_observed_mean_path),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_parse_details),
        cmocka_unit_test(test_huge_sigma_accepts_all),
        cmocka_unit_test(test_known_posterior),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_windows_and_nonfinite),
        cmocka_unit_test(test_band_and_quantiles),
        cmocka_unit_test(test_wave_box),
        cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_quantiles_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
