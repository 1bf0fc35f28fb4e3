/* test_scenario.c - the parameter table, scenario files and --set overrides.
 *
 * Deterministic tests only (no randomness).  Paths are relative to the repository
 * root, where the tests are run from. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "scenario.h"
#include "testutil.h"

/* |got - want| <= tol, in doubles (cmocka's assert_float_equal rounds to float). */
#define assert_near(got, want, tol)                                              \
    do {                                                                         \
        double got_ = (got), want_ = (want);                                     \
        if (!(fabs(got_ - want_) <= (tol)))                                      \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #got, got_, want_, \
                     (double)(tol));                                             \
    } while (0)

#define SCENARIO_DIR "scenarios"
#define BAD_DIR "tests/data/bad"

/* Loads from a string; returns the status and leaves the message in err. */
static gs_status parse_text(const char *text, gs_scenario *sc, gs_error *err)
{
    gs_error_clear(err);
    return scenario_parse(text, strlen(text), "mem.yaml", NULL, 0, sc, err);
}

static void assert_empty(const gs_scenario *sc)
{
    assert_null(sc->path);
    assert_null(sc->name);
    assert_null(sc->description);
    assert_null(sc->text);
}

static void assert_contains(const char *msg, const char *part)
{
    if (!strstr(msg, part)) fail_msg("message \"%s\" does not contain \"%s\"", msg, part);
}

/* ---- the table ------------------------------------------------------------------- */

static void test_defaults_match_calibration(void **state)
{
    (void)state;
    gs_params p;
    params_defaults(&p);
    /* A sample of CALIBRATION.md's table, typed in by hand (not from params.def). */
    static const struct {
        const char *key;
        double value;
    } want[] = {
        {"run.start_year", 2024.0},
        {"run.cycles", 20},
        {"run.cycle_years", 0.5},
        {"history.now", 2026.5},
        {"hardware.cost0", 1.40},
        {"hardware.trend", -0.357},
        {"hardware.reversion", 0.8},
        {"hardware.vol", 0.35},
        {"hardware.shock_rate", 0.15},
        {"hardware.shock_mean", 0.40},
        {"hardware.shock_sd", 0.15},
        {"energy.kwh_per_ah", 1.3},
        {"energy.trend", -0.41},
        {"power.price0", 0.085},
        {"power.trend", 0.03},
        {"power.reversion", 1.0},
        {"power.vol", 0.12},
        {"serving.ah_per_mtok", 0.20},
        {"serving.trend", 0.25},
        {"serving.closed_size_ratio", 2.0},
        {"pricing.open_margin", 1.0},
        {"pricing.capture", 0.9},
        {"pricing.competition_exponent", 0.5},
        {"pricing.capture_trend", 0},
        {"capability.closed0", 100},
        {"capability.gap0", 0.06},
        {"capability.gain_per_efold", 7.2},
        {"capability.closed_noise", 2.0},
        {"capability.catch_up", 0.60},
        {"capability.catch_up_sd", 0.15},
        {"capability.breakthrough_rate", 0.25},
        {"capability.breakthrough_close", 0.5},
        {"training.budget0", 3.0e9},
        {"training.growth", 0.45},
        {"training.growth_long", 0.25},
        {"training.growth_halflife", 3.0},
        {"training.algorithmic", 1.04},
        {"training.reinvest", 0.3},
        {"training.funding_elasticity", 0.35},
        {"governance.restricted0", 0},
        {"governance.restricted_share0", 0.30},
        {"governance.restricted_share1", 0.70},
        {"governance.switch_on_rate", 0.15},
        {"governance.switch_off_rate", 0.10},
        {"governance.catch_up_cut", 0.25},
        {"governance.west_lag_months", 6},
        {"demand.mtok0", 2.5e8},
        {"demand.growth", 2.2},
        {"demand.growth_long", 0.35},
        {"demand.growth_halflife", 2.0},
        {"demand.vol", 0.25},
        {"demand.readiness0", 0.283},
        {"demand.readiness_max", 0.70},
        {"demand.readiness_rate", 0.40},
        {"demand.readiness_vol", 0.30},
        {"demand.sensitive_share", 0.45},
        {"demand.closed_share0", 0.80},
        {"demand.switching", 0.30},
        {"demand.value_per_mtok", 330},
        {"demand.value_elasticity", 1.0},
        {"demand.value_dilution", 0.25},
        {"labs.count0", 3},
        {"labs.max", 8},
        {"labs.required_cover", 0.15},
        {"labs.entry_rate", 0.8},
        {"labs.exit_rate", 0.3},
        {"intelligence.hard_task_offset", 0},
        {"intelligence.difficulty_spread", 8},
        {"correlation.hardware_power", 0.3},
        {"correlation.closed_demand", 0.2},
        {"correlation.open_readiness", 0.3},
        {"correlation.power_open", 0},
        {"outcome.window", 4},
        {"outcome.compound_ratio", 1.5},
        {"outcome.collapse_ratio", 0.5},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int id = params_find(want[i].key);
        if (id < 0) fail_msg("key %s not in params_table", want[i].key);
        if (params_get(&p, (gs_param_id)id) != want[i].value)
            fail_msg("%s = %g, CALIBRATION.md says %g", want[i].key,
                     params_get(&p, (gs_param_id)id), want[i].value);
    }
    assert_near(p.hardware_vol, 0.35, 0);
    assert_near(p.demand_value_per_mtok, 330, 0);
}

/* Every entry: unique key, found by params_find, default inside its own range, field
 * reached through params_field is the named member. */
static void test_table_consistent(void **state)
{
    (void)state;
    gs_params p;
    params_defaults(&p);
    char msg[256];
    for (int i = 0; i < PARAM_COUNT; i++) {
        assert_int_equal(params_find(params_table[i].key), i);
        if (params_check_value((gs_param_id)i, params_table[i].def, msg, sizeof msg) != GS_OK)
            fail_msg("default of %s out of its range: %s", params_table[i].key, msg);
        assert_true(params_field(&p, (gs_param_id)i) == (double *)&p + i);
        assert_non_null(strchr(params_table[i].key, '.'));
    }
    assert_ptr_equal(params_field(&p, PARAM_demand_switching), &p.demand_switching);
    assert_int_equal(params_find("hardware.voll"), -1);
    assert_int_equal(params_find("run.seed"), -1); /* not a parameter */
    gs_param_id bad;
    assert_int_equal(params_check_relations(&p, &bad, msg, sizeof msg), GS_OK);
}

static void test_check_value_messages(void **state)
{
    (void)state;
    char msg[256];
    assert_int_equal(params_check_value(PARAM_hardware_vol, -0.3, msg, sizeof msg), GS_ERR_INPUT);
    assert_string_equal(msg, "must be >= 0, got -0.3");
    assert_int_equal(params_check_value(PARAM_run_cycles, 16.5, msg, sizeof msg), GS_ERR_INPUT);
    assert_string_equal(msg, "must be a whole number, got 16.5");
    assert_int_equal(params_check_value(PARAM_demand_closed_share0, 1.2, msg, sizeof msg),
                     GS_ERR_INPUT);
    assert_string_equal(msg, "must be in [0, 1], got 1.2");
    assert_int_equal(params_check_value(PARAM_run_cycle_years, 0, msg, sizeof msg), GS_ERR_INPUT);
    assert_string_equal(msg, "must be > 0, got 0");
    assert_int_equal(params_check_value(PARAM_capability_gap0, 1, msg, sizeof msg), GS_ERR_INPUT);
    assert_string_equal(msg, "must be in [0, 1), got 1");
    assert_int_equal(params_check_value(PARAM_hardware_cost0, 2e6, msg, sizeof msg), GS_ERR_INPUT);
    assert_string_equal(msg, "must be <= 1e+06, got 2e+06");
    assert_int_equal(params_check_value(PARAM_power_vol, NAN, msg, sizeof msg), GS_ERR_INPUT);
    assert_contains(msg, "must be a finite number");
    assert_int_equal(params_check_value(PARAM_power_vol, INFINITY, msg, sizeof msg), GS_ERR_INPUT);
    /* Bounds themselves: closed bounds are valid, open ones are not. */
    assert_int_equal(params_check_value(PARAM_demand_closed_share0, 1, msg, sizeof msg), GS_OK);
    assert_int_equal(params_check_value(PARAM_demand_closed_share0, 0, msg, sizeof msg), GS_OK);
    assert_int_equal(params_check_value(PARAM_run_cycles, 1, msg, sizeof msg), GS_OK);
    assert_int_equal(params_check_value(PARAM_outcome_compound_ratio, 1, msg, sizeof msg),
                     GS_ERR_INPUT);
}

static void test_relations(void **state)
{
    (void)state;
    gs_params p;
    gs_param_id bad;
    char msg[512];
    /* Outside the ranges on purpose: params_check_relations checks relations only. */
    params_defaults(&p);
    p.outcome_collapse_ratio = 1.6;
    assert_int_equal(params_check_relations(&p, &bad, msg, sizeof msg), GS_ERR_INPUT);
    assert_int_equal(bad, PARAM_outcome_collapse_ratio);
    assert_contains(msg, "outcome.compound_ratio");

    params_defaults(&p);
    p.training_growth = -1.0;
    p.training_algorithmic = 0.5;
    p.hardware_trend = 0.5; /* -1 + 0.5 - 0.5 < 0 */
    assert_int_equal(params_check_relations(&p, &bad, msg, sizeof msg), GS_ERR_INPUT);
    assert_int_equal(bad, PARAM_training_growth);
    assert_contains(msg, "must be > 0");

    params_defaults(&p);
    p.correlation_hardware_power = 0;
    p.correlation_power_closed = 0.9;
    p.correlation_hardware_closed = -0.9;
    p.correlation_hardware_open = 0.9;
    assert_int_equal(params_check_relations(&p, &bad, msg, sizeof msg), GS_ERR_INPUT);
    assert_int_equal(bad, PARAM_correlation_hardware_closed); /* first non-zero entry */
    assert_contains(msg, "not positive definite");
}

/* L Lᵀ = R to 1e-12, L lower triangular with a positive diagonal. */
static void test_cholesky(void **state)
{
    (void)state;
    gs_params p;
    params_defaults(&p);
    double L[SHOCK_COUNT * SHOCK_COUNT], R[SHOCK_COUNT * SHOCK_COUNT];
    assert_int_equal(params_cholesky(&p, L), GS_OK);
    params_correlation(&p, R);
    assert_near(R[SHOCK_HARDWARE * SHOCK_COUNT + SHOCK_POWER], 0.3, 0);
    assert_near(R[SHOCK_DEMAND * SHOCK_COUNT + SHOCK_CLOSED], 0.2, 0);
    for (int i = 0; i < SHOCK_COUNT; i++) {
        assert_true(L[i * SHOCK_COUNT + i] > 0);
        for (int j = 0; j < SHOCK_COUNT; j++) {
            if (j > i) assert_near(L[i * SHOCK_COUNT + j], 0, 0);
            double s = 0;
            for (int k = 0; k < SHOCK_COUNT; k++) s += L[i * SHOCK_COUNT + k] * L[j * SHOCK_COUNT + k];
            assert_near(s, R[i * SHOCK_COUNT + j], 1e-12);
        }
    }
    p.correlation_hardware_power = 0.99;
    p.correlation_power_closed = 0.99;
    p.correlation_hardware_closed = -0.99;
    assert_int_equal(params_cholesky(&p, L), GS_ERR_INPUT);
}

static void test_suggest(void **state)
{
    (void)state;
    assert_string_equal(params_suggest("hardware.voll"), "hardware.vol");
    assert_string_equal(params_suggest("hardwre.vol"), "hardware.vol");
    assert_string_equal(params_suggest("demand.growht"), "demand.growth");
    assert_string_equal(params_suggest("capability.catchup"), "capability.catch_up");
    assert_string_equal(params_suggest("run.sed"), "run.seed");
    assert_string_equal(params_suggest("training.reinvest_share"), "training.reinvest");
    /* The right name under the wrong section. */
    assert_string_equal(params_suggest("energy.price0"), "power.price0");
    assert_string_equal(params_suggest("demand.reinvest"), "training.reinvest");
    const char *vol = params_suggest("energy.vol");
    assert_non_null(vol);
    assert_string_equal(strchr(vol, '.'), ".vol");
    assert_non_null(params_suggest("vol"));
    assert_null(params_suggest("zzzzzzzz.qqqqqq"));
    assert_null(params_suggest(""));
}

/* ---- scenario files -------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* baseline_point.yaml carries every key, each at the default of params.def: the file and the
 * table cannot drift apart. */
static void test_baseline_equals_defaults(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    gs_status st = scenario_load(SCENARIO_DIR "/baseline_point.yaml", NULL, 0, &sc, &err);
    if (st != GS_OK) fail_msg("%s", err.msg);
    for (int i = 0; i < PARAM_COUNT; i++) {
        if (sc.line[i] == 0) fail_msg("baseline_point.yaml does not set %s", params_table[i].key);
        if (params_get(&sc.params, (gs_param_id)i) != params_table[i].def)
            fail_msg("baseline_point.yaml:%u: %s = %.17g, default %.17g", sc.line[i],
                     params_table[i].key, params_get(&sc.params, (gs_param_id)i),
                     params_table[i].def);
    }
    assert_string_equal(sc.name, "baseline_point");
    assert_string_equal(sc.path, SCENARIO_DIR "/baseline_point.yaml");
    assert_true(strlen(sc.description) > 0);
    assert_int_equal(sc.trajectories, 100000);
    assert_int_equal(sc.seed, 20260501);
    assert_int_equal(sc.n_quantiles, 9);
    assert_near(sc.quantiles[0], 0.01, 0);
    assert_near(sc.quantiles[8], 0.99, 0);
    size_t len;
    char *text = slurp(SCENARIO_DIR "/baseline_point.yaml", &len);
    assert_int_equal(sc.text_len, len);
    assert_memory_equal(sc.text, text, len);
    assert_int_equal(sc.text[len], '\0');
    free(text);
    scenario_free(&sc);
    assert_empty(&sc);
}

/* The contrasting scenarios load, take their name from `name:` (= the stem) and
 * differ from the calibration somewhere. */
static void test_contrasting_scenarios_load(void **state)
{
    (void)state;
    static const char *const names[] = {"open_catches_up", "closed_pulls_away", "chip_crunch",
                                        "power_crunch"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        char path[256];
        snprintf(path, sizeof path, SCENARIO_DIR "/%s.yaml", names[n]);
        gs_scenario sc;
        gs_error err;
        if (scenario_load(path, NULL, 0, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
        assert_string_equal(sc.name, names[n]);
        int differ = 0, set = 0;
        for (int i = 0; i < PARAM_COUNT; i++) {
            differ += params_get(&sc.params, (gs_param_id)i) != params_table[i].def;
            set += sc.line[i] != 0;
        }
        if (differ < 3) fail_msg("%s differs from the baseline in %d keys only", path, differ);
        /* Short files: only the keys that differ are set. */
        assert_int_equal(differ, set);
        scenario_free(&sc);
    }
}

/* Every file of tests/data/bad fails with GS_ERR_INPUT, and the message names the
 * file, line and key of its first-line comment "# expect: LINE: KEY". */
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
        gs_scenario sc;
        gs_error err;
        gs_error_clear(&err);
        gs_status st = scenario_load(path, NULL, 0, &sc, &err);
        if (st != GS_ERR_INPUT) fail_msg("%s: status %d, expected GS_ERR_INPUT", path, (int)st);
        if (err.status != GS_ERR_INPUT) fail_msg("%s: err.status not set", path);
        if (!strstr(err.msg, want)) fail_msg("%s: message \"%s\" lacks \"%s\"", path, err.msg, want);
        assert_empty(&sc);
        count++;
    }
    closedir(dir);
    if (count < 12) fail_msg("only %d bad files in " BAD_DIR, count);
}

static void test_did_you_mean_message(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_load(BAD_DIR "/unknown_key.yaml", NULL, 0, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "did you mean 'hardware.vol'?");
    assert_int_equal(scenario_load(BAD_DIR "/unknown_section.yaml", NULL, 0, &sc, &err),
                     GS_ERR_INPUT);
    assert_contains(err.msg, "did you mean 'hardware'?");
    assert_int_equal(parse_text("vol: 0.3\n", &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:1: vol: unknown top-level key; did you mean '");
}

static void test_missing_file(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_load("no/such/file.yaml", NULL, 0, &sc, &err), GS_ERR_INPUT);
    assert_string_equal(err.msg, "no/such/file.yaml: cannot read: No such file or directory");
    assert_int_equal(err.status, GS_ERR_INPUT);
    assert_empty(&sc);
}

/* Parsing details: numbers, names, empty files, documents, run.* limits. */
static void test_parse_details(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;

    assert_int_equal(parse_text("", &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:1: file: empty");
    assert_empty(&sc);
    assert_int_equal(parse_text("# only a comment\n", &sc, &err), GS_ERR_INPUT);
    assert_int_equal(parse_text("- 1\n- 2\n", &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:1: file: expected a mapping");
    assert_int_equal(parse_text("hardware: {vol: 0.3}\n---\npower: {vol: 0.1}\n", &sc, &err),
                     GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:3: file: only one YAML document");

    /* Numbers YAML writes, the line of each key, name from the file's stem. */
    const char *ok = "# comment\n"
                     "demand:\n"
                     "  mtok0: 1.25e10\n"
                     "  growth: +0.9\n"
                     "  vol: 0\n"
                     "hardware:\n"
                     "  cost0: 2\n"
                     "empty_section_ok: \n";
    assert_int_equal(parse_text(ok, &sc, &err), GS_ERR_INPUT); /* unknown top-level key */
    assert_contains(err.msg, "mem.yaml:8: empty_section_ok:");
    const char *ok2 = "demand:\n  mtok0: 1.25e10\n  growth: +0.9\n  vol: 0\nhardware:\n  cost0: 2\npower:\n";
    if (parse_text(ok2, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
    assert_near(sc.params.demand_mtok0, 1.25e10, 0);
    assert_near(sc.params.demand_growth, 0.9, 0);
    assert_near(sc.params.demand_vol, 0, 0);
    assert_near(sc.params.hardware_cost0, 2, 0);
    assert_int_equal(sc.line[PARAM_demand_mtok0], 2);
    assert_int_equal(sc.line[PARAM_hardware_cost0], 6);
    assert_int_equal(sc.line[PARAM_hardware_vol], 0);
    assert_near(sc.params.hardware_vol, 0.35, 0);
    assert_string_equal(sc.name, "mem");
    assert_string_equal(sc.description, "");
    assert_int_equal(sc.trajectories, 10000);
    assert_int_equal(sc.seed, 20260501);
    assert_int_equal(sc.n_quantiles, 9);
    scenario_free(&sc);
    assert_empty(&sc);

    assert_int_equal(scenario_parse("name: x\n", 8, "dir/some.file.yml", NULL, 0, &sc, &err), GS_OK);
    assert_string_equal(sc.name, "x");
    scenario_free(&sc);
    assert_int_equal(scenario_parse("description: d\n", 15, "dir/some.file.yml", NULL, 0, &sc, &err),
                     GS_OK);
    assert_string_equal(sc.name, "some.file");
    assert_string_equal(sc.description, "d");
    scenario_free(&sc);

    static const char *const rejected[] = {
        "power:\n  vol: nan\n",         "power:\n  vol: inf\n",
        "power:\n  vol: 1e999\n",       "power:\n  vol: 0x10\n",
        "power:\n  vol:\n",             "power:\n  vol: [1]\n",
        "power:\n  vol: 0.1 0.2\n",     "run:\n  seed: 18446744073709551616\n",
        "run:\n  seed: 1.5\n",          "run:\n  seed: ' 7'\n",
        "run:\n  trajectories: 1000000000001\n", "run:\n  trajectories: 2.5\n",
        "run:\n  quantiles: []\n",      "run:\n  quantiles: 0.5\n",
        "run:\n  quantiles: [[0.5]]\n", "name: [a]\n",
        "name: ''\n",                   "hardware: [1, 2]\n",
        "hardware:\n  vol: 0.3\n  {a: 1}: 2\n",
    };
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        if (parse_text(rejected[i], &sc, &err) != GS_ERR_INPUT)
            fail_msg("accepted: %s", rejected[i]);
        assert_contains(err.msg, "mem.yaml:");
        assert_empty(&sc);
    }

    assert_int_equal(parse_text("run:\n  seed: 18446744073709551615\n  trajectories: 1e12\n", &sc, &err),
                     GS_OK);
    assert_true(sc.seed == UINT64_MAX);
    assert_true(sc.trajectories == 1000000000000ull);
    scenario_free(&sc);

    /* 64 levels are allowed, 65 are not. */
    char buf[2048];
    size_t n = (size_t)snprintf(buf, sizeof buf, "run:\n  quantiles: [0");
    for (int i = 1; i < SCENARIO_MAX_QUANTILES; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ", %g", i / 100.0);
    snprintf(buf + n, sizeof buf - n, "]\n");
    if (parse_text(buf, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
    assert_int_equal(sc.n_quantiles, SCENARIO_MAX_QUANTILES);
    scenario_free(&sc);
    snprintf(buf + n, sizeof buf - n, ", 0.99]\n");
    assert_int_equal(parse_text(buf, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "run.quantiles: at most 64");

    /* A relation broken by a key other than the one params blames: reported where the
     * user set it. */
    assert_int_equal(parse_text("# x\nhardware:\n  trend: 5\n", &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:3: hardware.trend: min(training.growth, training.growth_long) + ");
}

/* ---- overrides ------------------------------------------------------------------- */

static void test_set(void **state)
{
    (void)state;
    const char *const sets[] = {"hardware.vol=0.5", "run.trajectories=1000", "run.seed=7",
                                "run.quantiles=0.1, 0.5,0.9", " demand.growth = 0.4 "};
    gs_scenario sc;
    gs_error err;
    if (scenario_load(SCENARIO_DIR "/baseline_point.yaml", sets, 5, &sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    assert_near(sc.params.hardware_vol, 0.5, 0);
    assert_near(sc.params.demand_growth, 0.4, 0);
    assert_int_equal(sc.line[PARAM_hardware_vol], SCENARIO_LINE_SET);
    assert_int_equal(sc.trajectories, 1000);
    assert_int_equal(sc.seed, 7);
    assert_int_equal(sc.n_quantiles, 3);
    assert_near(sc.quantiles[1], 0.5, 0);

    /* Bad overrides are rejected with "--set KEY=VALUE: KEY: problem" and change nothing. */
    static const struct {
        const char *assignment, *message;
    } bad[] = {
        {"hardware.vol=-0.3", "--set hardware.vol=-0.3: hardware.vol: must be >= 0, got -0.3"},
        {"hardware.voll=0.3", "--set hardware.voll=0.3: hardware.voll: unknown key; did you mean 'hardware.vol'?"},
        {"hardware.vol=abc", "--set hardware.vol=abc: hardware.vol: expected a number, got 'abc'"},
        {"hardware.vol", "--set hardware.vol: expected KEY=VALUE"},
        {"=3", "--set =3: expected KEY=VALUE"},
        {"run.cycles=16.5", "--set run.cycles=16.5: run.cycles: must be a whole number, got 16.5"},
        {"run.seed=-3", "--set run.seed=-3: run.seed: must be a whole number"},
        {"run.trajectories=0", "--set run.trajectories=0: run.trajectories: must be in [1, "},
        {"run.quantiles=0.5,0.1", "--set run.quantiles=0.5,0.1: run.quantiles: levels must be strictly increasing"},
        {"run.quantiles=", "--set run.quantiles=: run.quantiles: expected a number, got nothing"},
        {"training.growth=-2", "--set training.growth=-2: training.growth: min(training.growth, training.growth_long) + "},
    };
    gs_scenario before = sc;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_error_clear(&err);
        assert_int_equal(scenario_set(&sc, bad[i].assignment, &err), GS_ERR_INPUT);
        assert_int_equal(err.status, GS_ERR_INPUT);
        if (strncmp(err.msg, bad[i].message, strlen(bad[i].message)) != 0)
            fail_msg("--set %s: got \"%s\", expected \"%s...\"", bad[i].assignment, err.msg,
                     bad[i].message);
        assert_memory_equal(&sc.params, &before.params, sizeof sc.params);
        assert_memory_equal(sc.line, before.line, sizeof sc.line);
        assert_true(sc.trajectories == before.trajectories && sc.seed == before.seed);
        assert_int_equal(sc.n_quantiles, before.n_quantiles);
        assert_memory_equal(sc.quantiles, before.quantiles, sizeof sc.quantiles);
    }
    assert_int_equal(scenario_set(&sc, "capability.catch_up=0.7", &err), GS_OK);
    assert_near(sc.params.capability_catch_up, 0.7, 0);
    scenario_free(&sc);

    /* A matrix broken by several overrides together: blamed on the first correlation. */
    const char *const corr[] = {"correlation.power_closed=0.99",
                                "correlation.hardware_closed=-0.99",
                                "correlation.hardware_power=0.99"};
    assert_int_equal(scenario_load(SCENARIO_DIR "/baseline_point.yaml", corr, 3, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "--set correlation.hardware_power=0.99: correlation.hardware_power: ");
    assert_contains(err.msg, "not positive definite");
    assert_empty(&sc);
    /* Overrides may pass through a broken state when the end result is fine: relations
     * are checked once, after all of them (2 + 1.04 - 2 > 0, but 0.45 + 1.04 - 2 < 0). */
    const char *const swap[] = {"hardware.trend=2", "training.growth=2", "training.growth_long=2"};
    assert_int_equal(scenario_load(SCENARIO_DIR "/baseline_point.yaml", swap, 3, &sc, &err), GS_OK);
    scenario_free(&sc);

    /* A relation broken by a default the user never set. */
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    assert_string_equal(sc.name, "default");
    sc.params.training_growth = -3;
    assert_int_equal(scenario_set(&sc, "demand.vol=0.3", &err), GS_ERR_INPUT);
    assert_contains(err.msg, "(default): training.growth: ");
    assert_near(sc.params.demand_vol, 0.25, 0);
    scenario_free(&sc);
    assert_empty(&sc);
}

/* The distribution forms people already write: "A to B", pert(...), loguniform(...),
 * discrete({...}), in the file and with --set; bad ones name file, line and key. */
static void test_distribution_text(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    const char *text = "name: d\n"
                       "capability:\n"
                       "  catch_up: 0.3 to 0.8\n"
                       "  breakthrough_rate: pert(0.05, 0.2, 0.6)\n"
                       "training:\n"
                       "  reinvest: 'discrete({0.2: 1, 0.5: 3})'\n"
                       "  growth: loguniform(0.2, 1.2)\n";
    if (parse_text(text, &sc, &err) != GS_OK) fail_msg("%s", err.msg);
    assert_int_equal(sc.n_uncertain, 4);
    int u = scenario_uncertain_index(&sc, PARAM_capability_catch_up);
    assert_true(u >= 0);
    assert_int_equal(sc.uncertain[u].dist.family, DIST_LOGNORMAL);
    assert_int_equal(sc.uncertain[u].line, 3);
    /* 5th and 95th percentiles 0.3 and 0.8 before truncation to the key's range [0, 1] */
    assert_near(sc.uncertain[u].dist.par[0], 0.5 * (log(0.3) + log(0.8)), 1e-12);
    assert_near(sc.uncertain[u].dist.par[1], log(0.8 / 0.3) / (2 * 1.6448536269514722), 1e-12);
    assert_true(sc.uncertain[u].dist.hi == 1);
    u = scenario_uncertain_index(&sc, PARAM_capability_breakthrough_rate);
    assert_int_equal(sc.uncertain[u].dist.family, DIST_PERT);
    u = scenario_uncertain_index(&sc, PARAM_training_reinvest);
    assert_int_equal(sc.uncertain[u].dist.family, DIST_DISCRETE);
    assert_near(sc.params.training_reinvest, 0.5, 0); /* the median */
    u = scenario_uncertain_index(&sc, PARAM_training_growth);
    assert_int_equal(sc.uncertain[u].dist.family, DIST_LOGUNIFORM);
    scenario_free(&sc);

    const char *const sets[] = {"capability.catch_up=0.3 to 0.8"};
    if (scenario_load(SCENARIO_DIR "/baseline_point.yaml", sets, 1, &sc, &err) != GS_OK)
        fail_msg("%s", err.msg);
    u = scenario_uncertain_index(&sc, PARAM_capability_catch_up);
    assert_true(u >= 0);
    assert_near(sc.uncertain[u].dist.par[0], 0.5 * (log(0.3) + log(0.8)), 1e-12);
    assert_int_equal(sc.line[PARAM_capability_catch_up], SCENARIO_LINE_SET);
    scenario_free(&sc);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"name: d\ncapability:\n  catch_up: 0.8 to 0.3\n",
         "mem.yaml:3: capability.catch_up: 'A to B' needs A < B, got 0.8 to 0.3"},
        {"name: d\ncapability:\n  catch_up: pert(0.1, 0.3)\n",
         "mem.yaml:3: capability.catch_up: pert takes 3 numbers (min, mode, max), got 2"},
        {"name: d\ncapability:\n  catch_up: 'discrete({0.2: 1, 1.5: 1})'\n",
         "mem.yaml:3: capability.catch_up: discrete: value 1.5 is outside the range [0, 1]"},
        {"name: d\ncapability:\n  catch_up: discrete({0.2: 1, 0.5: 1})\n",
         "mem.yaml:3: syntax error: mapping values are not allowed in this context: put a "
         "discrete distribution in quotes"},
        {"name: d\nrun:\n  cycles: 1 to 3\n",
         "mem.yaml:3: run.cycles: cannot be uncertain (it fixes the run's shape)"},
        {"name: d\nhardware:\n\tvol: 0.3\n",
         "mem.yaml:3: syntax error: a tab character in the indentation (YAML indents with spaces only)"},
        {"name: d\ncapability:\n  catch_up: {dist: discrete}\n",
         "write a discrete distribution as text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_text(bad[i].text, &sc, &err), GS_ERR_INPUT);
        assert_contains(err.msg, bad[i].message);
        assert_empty(&sc);
    }
    const char *const bad_set[] = {"capability.catch_up=loguniform(0, 1)"};
    assert_int_equal(scenario_load(SCENARIO_DIR "/baseline_point.yaml", bad_set, 1, &sc, &err),
                     GS_ERR_INPUT);
    assert_contains(err.msg, "--set capability.catch_up=loguniform(0, 1): capability.catch_up: "
                             "need 0 < min < max");
}

static void test_init_default(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    gs_params p;
    params_defaults(&p);
    assert_memory_equal(&sc.params, &p, sizeof p);
    for (int i = 0; i < PARAM_COUNT; i++) assert_int_equal(sc.line[i], 0);
    assert_int_equal(sc.trajectories, 10000);
    assert_int_equal(sc.n_quantiles, 9);
    assert_non_null(sc.text);
    scenario_free(&sc);
    assert_empty(&sc);
    scenario_free(&sc); /* twice is harmless */
}

/* The study sections' fields come from runkeys.def: each listed field is known to its
 * section's reader, scalar ones are read by their type, defaults come from the list. */
static void test_study_sections(void **state)
{
    (void)state;
    gs_scenario sc;
    gs_error err;
    assert_int_equal(scenario_init_default(&sc, &err), GS_OK);
    assert_int_equal(sc.sensitivity.samples, runkeys_table[RUNKEY_SENS_SAMPLES].def);
    assert_int_equal(sc.sensitivity.bootstrap, runkeys_table[RUNKEY_SENS_BOOTSTRAP].def);
    assert_int_equal(sc.sensitivity.tornado, 1);
    assert_int_equal(sc.sensitivity.per_cycle, 0);
    scenario_free(&sc);
    const char *unc = "model: 2\ncapability:\n  catch_up: {dist: uniform, min: 0.2, max: 0.6}\n";
    char text[1024];
    snprintf(text, sizeof text, "%ssensitivity: {tornado: false, sobol: no, per_cycle: true, "
             "samples: 1e3, bootstrap: 0, trajectories: 777}\n", unc);
    assert_int_equal(parse_text(text, &sc, &err), GS_OK);
    assert_int_equal(sc.sensitivity.tornado, 0);
    assert_int_equal(sc.sensitivity.sobol, 0);
    assert_int_equal(sc.sensitivity.per_cycle, 1);
    assert_int_equal(sc.sensitivity.samples, 1000);
    assert_int_equal(sc.sensitivity.bootstrap, 0);
    assert_int_equal(sc.sensitivity.trajectories, 777);
    assert_int_equal(sc.sensitivity.line, 4);
    scenario_free(&sc);
    /* every field of the list is known to its section (other problems may remain) */
    int fields = 0;
    for (int k = 0; k < RUNKEY_COUNT; k++) {
        const char *key = runkeys_table[k].key, *dot = strchr(key, '.');
        int sweep = strncmp(key, "sweep.", 6) == 0;
        if (!sweep && strncmp(key, "sensitivity.", 12) != 0) continue;
        snprintf(text, sizeof text, "%s%.*s: {%s: 1}\n", unc, (int)(dot - key), key, dot + 1);
        if (parse_text(text, &sc, &err) == GS_OK) scenario_free(&sc);
        else if (strstr(err.msg, "unknown field")) fail_msg("%s: %s", key, err.msg);
        fields++;
    }
    assert_int_equal(fields, 12);
    snprintf(text, sizeof text, "%ssensitivity: {sampels: 64}\n", unc);
    assert_int_equal(parse_text(text, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:4: sensitivity: unknown field 'sampels'; did you mean 'samples'?");
    snprintf(text, sizeof text, "%ssensitivity: {samples: 8}\n", unc);
    assert_int_equal(parse_text(text, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:4: sensitivity.samples: must be in [16, 1e+07], got 8");
    snprintf(text, sizeof text, "%ssensitivity: {samples: 64, samples: 65}\n", unc);
    assert_int_equal(parse_text(text, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "duplicate field 'samples'");
    snprintf(text, sizeof text, "%ssweep: {grid: {hardware.vol: [0.1, 0.2]}, crn: maybe}\n", unc);
    assert_int_equal(parse_text(text, &sc, &err), GS_ERR_INPUT);
    assert_contains(err.msg, "mem.yaml:4: sweep.crn: expected true or false, got 'maybe'");
    /* a field read by its section's code is not for --set; a scalar one is */
    const char *sets[] = {"sweep.points=5"};
    snprintf(text, sizeof text, "%s", unc);
    assert_int_equal(scenario_parse(text, strlen(text), "mem.yaml", sets, 1, &sc, &err),
                     GS_ERR_INPUT);
    assert_contains(err.msg, "sweep.points: is given in the scenario's sweep: section");
    const char *sets2[] = {"sensitivity.samples=64"};
    assert_int_equal(scenario_parse(text, strlen(text), "mem.yaml", sets2, 1, &sc, &err), GS_OK);
    assert_int_equal(sc.sensitivity.samples, 64);
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_calibration),
        cmocka_unit_test(test_table_consistent),
        cmocka_unit_test(test_check_value_messages),
        cmocka_unit_test(test_relations),
        cmocka_unit_test(test_cholesky),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_baseline_equals_defaults),
        cmocka_unit_test(test_contrasting_scenarios_load),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_did_you_mean_message),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_parse_details),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_distribution_text),
        cmocka_unit_test(test_init_default),
        cmocka_unit_test(test_study_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
