/* scenario.c - scenario files (YAML, libyaml document API) and --set overrides.
 *
 * The file is loaded into a libyaml document (a tree of nodes with start marks, so
 * every key knows its line), then walked: top-level `name`, `description` and the
 * sections; in each section every key is looked up in params_table (or is one of
 * run.trajectories, run.seed, run.quantiles), its value parsed as a decimal number and
 * range-checked.  Overrides follow, then the relations between parameters.  Work is
 * done on a local scenario that is handed over only on success, so a failure leaves
 * the caller's scenario empty and nothing allocated.
 */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "input.h"
#include "model.h"

/* What changed from model version 1 and how to convert a file (docs/model.md). */
#define SCENARIO_V1_ADVICE                                                                 \
    "Version 2 starts at run.start_year 2024.0 with 20 cycles, gives each closed lab its "  \
    "own budget (training.budget0) with decaying growth and investor funding, makes "      \
    "capture follow the number of labs (labs.*, pricing.competition_exponent), lets "      \
    "demand growth decay and value dilute, adds open readiness (demand.readiness*), "      \
    "governance (governance.*), the cost of intelligence (intelligence.*) and windowed "  \
    "outcomes (outcome.window, history.now); its defaults describe 2024.0, not 2026. To "  \
    "convert: `gapsim check --upgrade FILE -o NEW.yaml` (or add the top-level line "        \
    "'model: 2'), then check every key you set against "                                   \
    "docs/calibration.md (gapsim keys lists them); keys you leave out take the version "   \
    "2 defaults."

static const double default_quantiles[] = {0.01, 0.05, 0.10, 0.25, 0.50,
                                           0.75, 0.90, 0.95, 0.99};
enum { DEFAULT_QUANTILE_COUNT = sizeof default_quantiles / sizeof default_quantiles[0] };

enum { MSG_MAX = 512, KEY_MAX = 128 };

typedef enum {
    KEY_PARAM,     /* a model parameter (params.def): id is its gs_param_id */
    KEY_RUN,       /* a scalar run key (runkeys.def): id is its runkey_id */
    KEY_QUANTILES, /* run.quantiles, a list */
    KEY_UNKNOWN
} key_kind;

const runkey_info runkeys_table[RUNKEY_COUNT] = {
#define RA(id, key, type, field, def, lo, hi, symbol, unit, range, meaning, attribute) \
    {key, type, offsetof(gs_scenario, field), def, lo, hi, symbol, unit, range, meaning, attribute},
#define R(id, key, type, field, def, lo, hi, symbol, unit, range, meaning) \
    RA(id, key, type, field, def, lo, hi, symbol, unit, range, meaning, "")
#include "runkeys.def"
#undef R
#undef RA
};

int scenario_runkey_find(const char *key)
{
    for (int i = 0; i < RUNKEY_COUNT; i++)
        if (strcmp(runkeys_table[i].key, key) == 0) return i;
    return -1;
}

/* ---- small helpers --------------------------------------------------------------- */

/* malloc'ed copy of s[0..n) plus a NUL, or NULL when out of memory. */
static char *copy_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

static char *copy_str(const char *s) { return copy_n(s, strlen(s)); }


/* run.seed: digits only (no sign, so "-1" is not silently 2^64-1), 0 .. 2^64-1. */
static int parse_seed(const char *text, uint64_t *out, char *msg, size_t size)
{
    int ok = *text != '\0';
    for (const char *c = text; *c; c++) ok &= *c >= '0' && *c <= '9';
    if (ok) {
        errno = 0;
        unsigned long long v = strtoull(text, NULL, 10);
        if (errno == 0) {
            *out = (uint64_t)v;
            return 0;
        }
    }
    snprintf(msg, size, "must be a whole number in [0, 18446744073709551615], got '%.40s'",
             text);
    return -1;
}

/* A count (run.trajectories): a whole number in [lo, hi] (1e5 is accepted). */
static int parse_count(const char *text, double lo, double hi, uint64_t *out, char *msg,
                       size_t size)
{
    double x;
    if (input_parse_number(text, &x, msg, size)) return -1;
    char got[40];
    input_format_number(got, sizeof got, x);
    if (x != floor(x)) {
        snprintf(msg, size, "must be a whole number, got %s", got);
        return -1;
    }
    if (x < lo || x > hi) {
        snprintf(msg, size, "must be in [%g, %g], got %s", lo, hi, got);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

/* Appends one quantile level to q[0..*n): a number in [0, 1], above the previous one,
 * at most SCENARIO_MAX_QUANTILES of them. */
static int add_quantile(double *q, size_t *n, const char *text, char *msg, size_t size)
{
    double x;
    if (*n >= SCENARIO_MAX_QUANTILES) {
        snprintf(msg, size, "at most %d levels are allowed", SCENARIO_MAX_QUANTILES);
        return -1;
    }
    if (input_parse_number(text, &x, msg, size)) return -1;
    char got[40], prev[40];
    input_format_number(got, sizeof got, x);
    if (!(x >= 0 && x <= 1)) {
        snprintf(msg, size, "levels must be in [0, 1], got %s", got);
        return -1;
    }
    if (*n > 0 && !(x > q[*n - 1])) {
        input_format_number(prev, sizeof prev, q[*n - 1]);
        snprintf(msg, size, "levels must be strictly increasing, got %s after %s", got,
                 prev);
        return -1;
    }
    q[(*n)++] = x;
    return 0;
}

/* A parameter of params.def or a key of runkeys.def (sweep.crn: for --set). */
static key_kind classify_key(const char *key, int *id)
{
    *id = params_find(key);
    if (*id >= 0) return KEY_PARAM;
    *id = scenario_runkey_find(key);
    if (*id < 0) return KEY_UNKNOWN;
    return runkeys_table[*id].type == RK_LEVELS ? KEY_QUANTILES : KEY_RUN;
}

/* YAML's true / false (also yes / no, on / off). */
static int parse_bool(const char *text, int *out, char *msg, size_t size)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(text, yes[i]) == 0) return *out = 1, 0;
        if (strcmp(text, no[i]) == 0) return *out = 0, 0;
    }
    snprintf(msg, size, "expected true or false, got '%.40s'", text);
    return -1;
}

/* Removes parameter id from the uncertain list (a plain number replaces a
 * distribution), dropping the rank correlations that involve it. */
static void drop_uncertain(gs_scenario *sc, gs_param_id id)
{
    int u = scenario_uncertain_index(sc, id);
    if (u < 0) return;
    size_t k = 0;
    for (size_t c = 0; c < sc->n_rank_corr; c++)
        if (sc->rank_corr[c].a != id && sc->rank_corr[c].b != id)
            sc->rank_corr[k++] = sc->rank_corr[c];
    sc->n_rank_corr = k;
    memmove(&sc->uncertain[u], &sc->uncertain[u + 1],
            (sc->n_uncertain - (size_t)u - 1) * sizeof sc->uncertain[0]);
    sc->n_uncertain--;
}

/* The index of word `text` among the words of `choices` ("max or second_max"). */
static int parse_choice(const char *choices, const char *text, int *out, char *msg, size_t size)
{
    int i = 0;
    for (const char *c = choices; c; i++) {
        const char *next = strstr(c, " or ");
        size_t len = next ? (size_t)(next - c) : strlen(c);
        if (len == strlen(text) && strncmp(c, text, len) == 0) return *out = i, 0;
        c = next ? next + 4 : NULL;
    }
    snprintf(msg, size, "expected %s, got '%.40s'", choices, text);
    return -1;
}

/* Word i of `choices` into buf. */
static void choice_text(const char *choices, int i, char *buf, size_t size)
{
    const char *c = choices;
    for (int j = 0; j < i && c; j++) {
        c = strstr(c, " or ");
        if (c) c += 4;
    }
    if (!c) c = "";
    const char *next = strstr(c, " or ");
    snprintf(buf, size, "%.*s", (int)(next ? (size_t)(next - c) : strlen(c)), c);
}

/* Sets the scalar run key k (runkeys.def) from its text, by its type; sc is unchanged
 * on failure. */
static int apply_run_key(gs_scenario *sc, runkey_id k, const char *text, char *msg, size_t size)
{
    const runkey_info *ri = &runkeys_table[k];
    void *field = (char *)sc + ri->offset;
    double x;
    switch (ri->type) {
    case RK_COUNT: return parse_count(text, ri->lo, ri->hi, field, msg, size);
    case RK_SEED: return parse_seed(text, field, msg, size);
    case RK_BOOL: return parse_bool(text, field, msg, size);
    case RK_FRACTION:
    case RK_REAL:
        if (input_parse_number(text, &x, msg, size)) return -1;
        if (ri->type == RK_FRACTION && !(x >= ri->lo && x < ri->hi)) {
            snprintf(msg, size, "must be in [%g, %g) (0 = off), got %g", ri->lo, ri->hi, x);
            return -1;
        }
        if (ri->type == RK_REAL && !(x >= ri->lo && x <= ri->hi)) {
            snprintf(msg, size, "must be in [%g, %g], got %g", ri->lo, ri->hi, x);
            return -1;
        }
        *(double *)field = x;
        return 0;
    case RK_SECTION:
        snprintf(msg, size, "is given in the scenario's %.*s: section, not with --set",
                 (int)strcspn(ri->key, "."), ri->key);
        return -1;
    case RK_TEXT:
        if (strlen(text) >= SCENARIO_TEXT_MAX) {
            snprintf(msg, size, "longer than %d bytes", SCENARIO_TEXT_MAX - 1);
            return -1;
        }
        snprintf(field, SCENARIO_TEXT_MAX, "%s", text);
        return 0;
    case RK_CHOICE: return parse_choice(ri->range, text, field, msg, size);
    default: snprintf(msg, size, "internal: not a scalar key"); return -1;
    }
}

void scenario_runkey_text(const gs_scenario *sc, runkey_id k, char *buf, size_t size)
{
    const runkey_info *ri = &runkeys_table[k];
    const void *field = (const char *)sc + ri->offset;
    size_t len = 0;
    buf[0] = '\0';
    switch (ri->type) {
    case RK_COUNT:
    case RK_SEED: snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case RK_BOOL: snprintf(buf, size, "%s", *(const int *)field ? "true" : "false"); break;
    case RK_FRACTION:
    case RK_REAL: input_format_number(buf, size, *(const double *)field); break;
    case RK_TEXT: snprintf(buf, size, "%s", (const char *)field); break;
    case RK_CHOICE: choice_text(ri->range, *(const int *)field, buf, size); break;
    case RK_LEVELS:
        for (size_t q = 0; q < sc->n_quantiles && len + 1 < size; q++) {
            char one[40];
            input_format_number(one, sizeof one, sc->quantiles[q]);
            len += (size_t)snprintf(buf + len, size - len, "%s%s", q ? " " : "", one);
        }
        break;
    case RK_SECTION: break; /* read by its section's code; no single value */
    }
}

/* Sets one scalar-valued key from its text; sc is unchanged on failure. */
static int apply_scalar(gs_scenario *sc, key_kind kind, int id, const char *text, char *msg,
                        size_t size)
{
    switch (kind) {
    case KEY_PARAM: {
        double x;
        if (input_parse_number(text, &x, msg, size)) return -1;
        if (params_check_value((gs_param_id)id, x, msg, size) != GS_OK) return -1;
        *params_field(&sc->params, (gs_param_id)id) = x;
        drop_uncertain(sc, (gs_param_id)id);
        return 0;
    }
    case KEY_RUN: return apply_run_key(sc, (runkey_id)id, text, msg, size);
    default: snprintf(msg, size, "internal: not a scalar key"); return -1;
    }
}

/* A section is the part before the dot of some key of params.def or runkeys.def. */
static int is_section(const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < RUNKEY_COUNT; i++)
        if (strncmp(runkeys_table[i].key, name, n) == 0 && runkeys_table[i].key[n] == '.')
            return 1;
    for (int i = 0; i < PARAM_COUNT; i++)
        if (strncmp(params_table[i].key, name, n) == 0 && params_table[i].key[n] == '.')
            return 1;
    return 0;
}

/* The scenario's name when the file has none: basename without .yaml / .yml. */
static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
        n -= 4;
    return copy_n(base, n);
}

static void set_defaults(gs_scenario *sc)
{
    params_defaults(&sc->params);
    memset(sc->line, 0, sizeof sc->line);
    for (int k = 0; k < RUNKEY_COUNT; k++) { /* runkeys.def's defaults */
        const runkey_info *ri = &runkeys_table[k];
        void *field = (char *)sc + ri->offset;
        switch (ri->type) {
        case RK_COUNT:
        case RK_SEED: *(uint64_t *)field = (uint64_t)ri->def; break;
        case RK_BOOL: *(int *)field = ri->def != 0; break;
        case RK_FRACTION:
        case RK_REAL: *(double *)field = ri->def; break;
        case RK_TEXT: *(char *)field = '\0'; break;
        case RK_CHOICE: *(int *)field = (int)ri->def; break;
        case RK_LEVELS:
        case RK_SECTION: break;
        }
    }
    sc->n_quantiles = DEFAULT_QUANTILE_COUNT;
    memcpy(sc->quantiles, default_quantiles, sizeof default_quantiles);
    sc->design = DESIGN_MONTE_CARLO;
    sc->sweep.metric = 1; /* premium */
    snprintf(sc->discover.metric, sizeof sc->discover.metric, "premium");
    snprintf(sc->discover.outcome, sizeof sc->discover.outcome, "compound");
    sc->discover.box_count = 1;
}

/* ---- relations ------------------------------------------------------------------- */

static int is_correlation(gs_param_id id)
{
    return id >= PARAM_correlation_hardware_power && id <= PARAM_correlation_demand_readiness;
}

/* params_check_relations blames one parameter without knowing what the user set.
 * Here we know: a broken correlation matrix is blamed on the first correlation key
 * set by an override, else on the one set first in the file; the other relations
 * keep params' choice if the user set it, else take the first related key the user
 * set, in the same order. */
static gs_param_id blame(const gs_scenario *sc, gs_param_id bad)
{
    static const gs_param_id outcome[] = {PARAM_outcome_collapse_ratio,
                                          PARAM_outcome_compound_ratio};
    static const gs_param_id trend[] = {PARAM_training_growth, PARAM_training_growth_long,
                                        PARAM_training_algorithmic, PARAM_hardware_trend};
    gs_param_id group[PARAM_COUNT];
    size_t n = 0;
    if (is_correlation(bad)) {
        for (int i = PARAM_correlation_hardware_power; i <= PARAM_correlation_demand_readiness; i++)
            group[n++] = (gs_param_id)i;
    } else {
        if (sc->line[bad] != 0) return bad;
        int is_trend = bad == PARAM_training_growth || bad == PARAM_training_growth_long;
        if (!is_trend && bad != PARAM_outcome_collapse_ratio) return bad;
        const gs_param_id *g = is_trend ? trend : outcome;
        n = is_trend ? 4 : 2;
        memcpy(group, g, n * sizeof *g);
    }
    /* rank: 0 = default (never chosen), 1 = override, line + 1 = in the file. */
    gs_param_id best = bad;
    unsigned best_rank = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned l = sc->line[group[i]];
        unsigned rank = l == SCENARIO_LINE_SET ? 1 : l == 0 ? 0 : l + 1;
        if (rank != 0 && (best_rank == 0 || rank < best_rank)) best = group[i], best_rank = rank;
    }
    return best;
}

/* Checks the relations and reports a failure where the blamed key was set:
 * "FILE:LINE: KEY: msg", "--set KEY=VALUE: KEY: msg" or "FILE:(default): KEY: msg". */
static gs_status check_relations(const gs_scenario *sc, gs_error *err)
{
    gs_param_id bad = 0;
    char msg[MSG_MAX];
    if (params_check_relations(&sc->params, &bad, msg, sizeof msg) == GS_OK) return GS_OK;
    bad = blame(sc, bad);
    const char *key = params_table[bad].key;
    unsigned line = sc->line[bad];
    if (line == SCENARIO_LINE_SET) {
        char value[40];
        input_format_number(value, sizeof value, params_get(&sc->params, bad));
        return gs_error_set(err, GS_ERR_INPUT, "--set %s=%s: %s: %s", key, value, key, msg);
    }
    if (line == 0)
        return gs_error_set(err, GS_ERR_INPUT, "%s:(default): %s: %s", sc->path, key, msg);
    return input_fail_at(err, sc->path, line, key, "%s", msg);
}

/* ---- the YAML walk --------------------------------------------------------------- */

static size_t node_line(const yaml_node_t *node) { return node->start_mark.line + 1; }

static const char *node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a value";
    }
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* An empty plain value ("hardware:" with nothing under it). */
static int is_null(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0 &&
           node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* If the scalar key of pairs[i] repeats an earlier key, its line; else 0. */
static size_t duplicate_line(yaml_document_t *doc, const yaml_node_pair_t *pairs, size_t i)
{
    const yaml_node_t *k = yaml_document_get_node(doc, pairs[i].key);
    for (size_t j = 0; j < i; j++) {
        const yaml_node_t *kj = yaml_document_get_node(doc, pairs[j].key);
        if (kj->type == YAML_SCALAR_NODE && strcmp(scalar(kj), scalar(k)) == 0)
            return node_line(kj);
    }
    return 0;
}

/* run.quantiles from a YAML list; errors at the line of the offending level. */
static gs_status read_quantiles(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *v,
                                size_t key_line, gs_error *err)
{
    const char *key = "run.quantiles";
    if (v->type != YAML_SEQUENCE_NODE)
        return input_fail_at(err, sc->path, key_line, key,
                       "expected a list of levels such as [0.05, 0.5, 0.95], got %s%s%.40s%s",
                       node_kind(v), v->type == YAML_SCALAR_NODE ? " '" : "",
                       v->type == YAML_SCALAR_NODE ? scalar(v) : "",
                       v->type == YAML_SCALAR_NODE ? "'" : "");
    double q[SCENARIO_MAX_QUANTILES];
    size_t n = 0;
    char msg[MSG_MAX];
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(doc, *it);
        if (item->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, node_line(item), key,
                           "expected a number, got %s", node_kind(item));
        if (add_quantile(q, &n, scalar(item), msg, sizeof msg))
            return input_fail_at(err, sc->path, node_line(item), key, "%s", msg);
    }
    if (n == 0)
        return input_fail_at(err, sc->path, key_line, key, "expected at least one level");
    memcpy(sc->quantiles, q, n * sizeof *q);
    sc->n_quantiles = n;
    return GS_OK;
}

/* ---- uncertain parameters, sweeps, sensitivity ---------------------------------- */

int scenario_uncertain_index(const gs_scenario *sc, gs_param_id id)
{
    for (size_t u = 0; u < sc->n_uncertain; u++)
        if (sc->uncertain[u].id == id) return (int)u;
    return -1;
}

size_t scenario_sweep_points(const gs_scenario *sc)
{
    return sc->sweep.kind == SWEEP_NONE ? 1 : sc->sweep.points;
}

/* The value node of `name` in a mapping, or NULL; *line gets its key's line. */
static const yaml_node_t *map_get(yaml_document_t *doc, const yaml_node_t *map,
                                  const char *name, size_t *line)
{
    for (const yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), name) == 0) {
            if (line) *line = node_line(k);
            return yaml_document_get_node(doc, pr->value);
        }
    }
    return NULL;
}

/* A number-valued node, or an error at line for key. */
static gs_status node_number(const gs_scenario *sc, const yaml_node_t *v, size_t line,
                             const char *key, const char *what, double *out, gs_error *err)
{
    char msg[MSG_MAX];
    if (v->type != YAML_SCALAR_NODE)
        return input_fail_at(err, sc->path, line, key, "%s: expected a number, got %s", what,
                       node_kind(v));
    if (input_parse_number(scalar(v), out, msg, sizeof msg))
        return input_fail_at(err, sc->path, line, key, "%s: %s", what, msg);
    return GS_OK;
}

/* (Study sections' scalar fields are read by read_study_fields; kept for hand readers.) */
__attribute__((unused))
static gs_status node_bool(const gs_scenario *sc, const yaml_node_t *v, size_t line,
                           const char *key, int *out, gs_error *err)
{
    char msg[MSG_MAX];
    if (v->type != YAML_SCALAR_NODE || parse_bool(scalar(v), out, msg, sizeof msg))
        return input_fail_at(err, sc->path, line, key, "expected true or false");
    return GS_OK;
}

/* Checks that every key of map is one of allowed[0..n) (a NULL-terminated list). */
static gs_status only_keys(const gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                           const char *prefix, const char *const *allowed, gs_error *err)
{
    for (const yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, node_line(k), prefix, "expected a key name");
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], scalar(k)) != 0) i++;
        if (!allowed[i]) {
            char list[MSG_MAX] = "";
            for (size_t j = 0; allowed[j]; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "",
                         allowed[j]);
            return input_fail_at(err, sc->path, node_line(k), prefix,
                           "unknown field '%.40s' (expected one of: %s)", scalar(k), list);
        }
        size_t first = duplicate_line(doc, map->data.mapping.pairs.start,
                                      (size_t)(pr - map->data.mapping.pairs.start));
        if (first)
            return input_fail_at(err, sc->path, node_line(k), prefix,
                           "duplicate field '%s' (first at line %zu)", scalar(k), first);
    }
    return GS_OK;
}

/* A key's valid range as truncation bounds (open bounds are handled at draw time). */
static void key_bounds(gs_param_id id, double *lo, double *hi)
{
    *lo = params_table[id].lo;
    *hi = params_table[id].hi;
}

/* Makes key id uncertain with distribution d (replacing an earlier one); its plain
 * value becomes the median. */
static gs_status add_uncertain(gs_scenario *sc, gs_param_id id, const gs_dist *d, size_t line,
                               gs_error *err)
{
    int u = scenario_uncertain_index(sc, id);
    if (u < 0) {
        GS_RETURN_IF(sc->n_uncertain == SCENARIO_MAX_UNCERTAIN, err, GS_ERR_INPUT,
                     "%s:%zu: %s: at most %d uncertain parameters", sc->path, line,
                     params_table[id].key, SCENARIO_MAX_UNCERTAIN);
        u = (int)sc->n_uncertain++;
    }
    sc->uncertain[u] = (scenario_uncertain){id, *d, (unsigned)line};
    /* the key's plain value becomes the median, for anything that wants one number */
    *params_field(&sc->params, id) = dist_quantile(d, 0.5);
    return GS_OK;
}

/* `KEY: {dist: FAMILY, <parameters>, lower: x, upper: y}` or `KEY: {p5: x, p95: y}`.
 * Truncation is the intersection of lower/upper with the key's valid range; the
 * interval shorthand is a lognormal when the key's range is positive, else a normal. */
static gs_status read_distribution(gs_scenario *sc, yaml_document_t *doc, gs_param_id id,
                                   const yaml_node_t *map, size_t line, gs_error *err)
{
    const char *key = params_table[id].key;
    char msg[MSG_MAX];
    GS_RETURN_IF(params_table[id].flags & PF_INT || strncmp(key, "run.", 4) == 0 ||
                     strncmp(key, "history.", 8) == 0, err,
                 GS_ERR_INPUT, "%s:%zu: %s: cannot be uncertain (it fixes the run's shape)",
                 sc->path, line, key);
    double lo, hi, lower, upper, x;
    key_bounds(id, &lo, &hi);
    size_t l;
    const yaml_node_t *v;
    if ((v = map_get(doc, map, "lower", &l))) {
        GS_FORWARD(node_number(sc, v, l, key, "lower", &x, err));
        if (x > lo) lo = x;
    }
    if ((v = map_get(doc, map, "upper", &l))) {
        GS_FORWARD(node_number(sc, v, l, key, "upper", &x, err));
        if (x < hi) hi = x;
    }
    lower = lo, upper = hi;
    gs_dist d;
    const yaml_node_t *fam = map_get(doc, map, "dist", &l);
    if (!fam) {
        static const char *const allowed[] = {"p5", "p95", "lower", "upper", NULL};
        size_t l5, l95;
        const yaml_node_t *v5 = map_get(doc, map, "p5", &l5), *v95 = map_get(doc, map, "p95", &l95);
        if (!v5 || !v95)
            return input_fail_at(err, sc->path, line, key,
                           "expected a number, or a distribution: `dist: FAMILY` (normal, "
                           "lognormal, uniform, loguniform, beta, triangular, pert), the "
                           "interval {p5: x, p95: y} or text such as '0.3 to 0.8'");
        GS_FORWARD(only_keys(sc, doc, map, key, allowed, err));
        double p5, p95;
        GS_FORWARD(node_number(sc, v5, l5, key, "p5", &p5, err));
        GS_FORWARD(node_number(sc, v95, l95, key, "p95", &p95, err));
        if (dist_fit_interval(&d, p5, p95, params_table[id].lo >= 0, lower, upper, msg,
                              sizeof msg) != GS_OK)
            return input_fail_at(err, sc->path, l5, key, "%s", msg);
    } else if (map_get(doc, map, "p5", NULL) && fam->type == YAML_SCALAR_NODE &&
               (strcmp(scalar(fam), "normal") == 0 || strcmp(scalar(fam), "lognormal") == 0 ||
                strcmp(scalar(fam), "beta") == 0)) {
        /* {dist: normal | lognormal | beta, p5: x, p95: y}: the family given by its 90%
         * interval (MODEL.md §9) */
        static const char *const allowed[] = {"dist", "p5", "p95", "lower", "upper", NULL};
        size_t l5, l95;
        const yaml_node_t *v5 = map_get(doc, map, "p5", &l5), *v95 = map_get(doc, map, "p95", &l95);
        if (!v95) return input_fail_at(err, sc->path, line, key, "an interval needs `p95:` too");
        GS_FORWARD(only_keys(sc, doc, map, key, allowed, err));
        double p5, p95;
        GS_FORWARD(node_number(sc, v5, l5, key, "p5", &p5, err));
        GS_FORWARD(node_number(sc, v95, l95, key, "p95", &p95, err));
        gs_status fs = scalar(fam)[0] == 'b'
                           ? dist_fit_beta_interval(&d, p5, p95, lower, upper, msg, sizeof msg)
                           : dist_fit_interval(&d, p5, p95, scalar(fam)[0] == 'l', lower, upper,
                                               msg, sizeof msg);
        if (fs != GS_OK) return input_fail_at(err, sc->path, l5, key, "%s", msg);
    } else {
        if (fam->type != YAML_SCALAR_NODE || dist_family_find(scalar(fam)) < 0)
            return input_fail_at(err, sc->path, l, key,
                           "unknown distribution '%.40s' (expected normal, lognormal, uniform, "
                           "loguniform, beta, triangular or pert; discrete is written as text: "
                           "'discrete({value: weight, ...})')",
                           fam->type == YAML_SCALAR_NODE ? scalar(fam) : "");
        dist_family f = (dist_family)dist_family_find(scalar(fam));
        const char *allowed[9] = {"dist", "lower", "upper"};
        size_t na = 3, np = dist_param_count(f);
        for (size_t i = 0; i < np; i++) allowed[na++] = dist_param_name(f, i);
        allowed[na] = NULL;
        GS_FORWARD(only_keys(sc, doc, map, key, allowed, err));
        double par[4] = {0, 0, 0, 1}; /* beta defaults to [0, 1] */
        for (size_t i = 0; i < np; i++) {
            size_t pl;
            const char *pname = dist_param_name(f, i);
            const yaml_node_t *pv = map_get(doc, map, pname, &pl);
            if (!pv) {
                if (f == DIST_BETA && i >= 2) continue;
                return input_fail_at(err, sc->path, line, key, "%s needs `%s:`", dist_family_names[f],
                               pname);
            }
            GS_FORWARD(node_number(sc, pv, pl, key, pname, &par[i], err));
        }
        if (dist_init(&d, f, par, lower, upper, msg, sizeof msg) != GS_OK)
            return input_fail_at(err, sc->path, line, key, "%s", msg);
    }
    return add_uncertain(sc, id, &d, line, err);
}

/* A distribution written as text ("0.3 to 0.8", "pert(0, 1, 4)", "discrete({..})", see
 * dist_parse) for key id, at line (SCENARIO_LINE_SET for --set; where names it in
 * messages).  Returns 1 (nothing done) when text is no such form. */
static int read_dist_text(gs_scenario *sc, gs_param_id id, const char *text, size_t line,
                          const char *where, gs_error *err, gs_status *st)
{
    const char *key = params_table[id].key;
    char msg[MSG_MAX];
    double lo, hi;
    key_bounds(id, &lo, &hi);
    gs_dist d;
    int rc = dist_parse(text, lo, hi, &d, msg, sizeof msg);
    if (rc == 1) return 1;
    if (rc == 0 && (params_table[id].flags & PF_INT || strncmp(key, "run.", 4) == 0)) {
        snprintf(msg, sizeof msg, "cannot be uncertain (it fixes the run's shape)");
        rc = -1;
    }
    if (rc < 0)
        *st = where ? gs_error_set(err, GS_ERR_INPUT, "%s: %s: %s", where, key, msg)
                    : input_fail_at(err, sc->path, line, key, "%s", msg);
    else
        *st = add_uncertain(sc, id, &d, line, err);
    return 0;
}

/* A known parameter key from a scalar node, with did-you-mean. */
static gs_status node_param_key(const gs_scenario *sc, const yaml_node_t *k, const char *where,
                                gs_param_id *id, gs_error *err)
{
    if (k->type != YAML_SCALAR_NODE)
        return input_fail_at(err, sc->path, node_line(k), where, "expected a key such as "
                       "capability.catch_up, got %s", node_kind(k));
    int i = params_find(scalar(k));
    if (i < 0) {
        const char *hint = params_suggest(scalar(k));
        if (hint)
            return input_fail_at(err, sc->path, node_line(k), scalar(k),
                           "unknown key; did you mean '%s'?", hint);
        return input_fail_at(err, sc->path, node_line(k), scalar(k), "unknown key");
    }
    *id = (gs_param_id)i;
    return GS_OK;
}

/* `uncertainty: {design: lhs, correlations: [[KEY, KEY, rho], ...]}` */
static gs_status read_uncertainty(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                                  gs_error *err)
{
    static const char *const allowed[] = {"design", "correlations", NULL};
    GS_FORWARD(only_keys(sc, doc, map, "uncertainty", allowed, err));
    size_t l;
    const yaml_node_t *v = map_get(doc, map, "design", &l);
    if (v) {
        int k = v->type == YAML_SCALAR_NODE ? design_find(scalar(v)) : -1;
        if (k < 0)
            return input_fail_at(err, sc->path, l, "uncertainty.design",
                           "expected monte_carlo, lhs or sobol");
        sc->design = (design_kind)k;
    }
    v = map_get(doc, map, "correlations", &l);
    if (!v) return GS_OK;
    if (v->type != YAML_SEQUENCE_NODE)
        return input_fail_at(err, sc->path, l, "uncertainty.correlations",
                       "expected a list of [KEY, KEY, rho]");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *e = yaml_document_get_node(doc, *it);
        size_t el = node_line(e);
        if (e->type != YAML_SEQUENCE_NODE || e->data.sequence.items.top - e->data.sequence.items.start != 3)
            return input_fail_at(err, sc->path, el, "uncertainty.correlations",
                           "each entry is [KEY, KEY, rho]");
        scenario_rank_corr rc = {0, 0, 0, (unsigned)el};
        GS_FORWARD(node_param_key(sc, yaml_document_get_node(doc, e->data.sequence.items.start[0]),
                                  "uncertainty.correlations", &rc.a, err));
        GS_FORWARD(node_param_key(sc, yaml_document_get_node(doc, e->data.sequence.items.start[1]),
                                  "uncertainty.correlations", &rc.b, err));
        GS_FORWARD(node_number(sc, yaml_document_get_node(doc, e->data.sequence.items.start[2]), el,
                               "uncertainty.correlations", "rho", &rc.rho, err));
        if (rc.a == rc.b || !(rc.rho > -1 && rc.rho < 1))
            return input_fail_at(err, sc->path, el, "uncertainty.correlations",
                           "needs two different keys and -1 < rho < 1");
        for (size_t c = 0; c < sc->n_rank_corr; c++) {
            const scenario_rank_corr *o = &sc->rank_corr[c];
            if ((o->a == rc.a && o->b == rc.b) || (o->a == rc.b && o->b == rc.a))
                return input_fail_at(err, sc->path, el, "uncertainty.correlations",
                               "the pair %s ~ %s is given twice (first at line %u)",
                               params_table[rc.a].key, params_table[rc.b].key, o->line);
        }
        GS_RETURN_IF(sc->n_rank_corr == SCENARIO_MAX_RANK_CORR, err, GS_ERR_INPUT,
                     "%s:%zu: uncertainty.correlations: at most %d entries", sc->path, el,
                     SCENARIO_MAX_RANK_CORR);
        sc->rank_corr[sc->n_rank_corr++] = rc;
    }
    return GS_OK;
}

/* The grid values of one swept key: a YAML list of numbers, each valid for the key. */
static gs_status read_grid_values(gs_scenario *sc, yaml_document_t *doc, size_t slot,
                                  const yaml_node_t *v, size_t line, gs_error *err)
{
    scenario_sweep *sw = &sc->sweep;
    const char *key = params_table[sw->keys[slot]].key;
    char msg[MSG_MAX];
    if (v->type != YAML_SEQUENCE_NODE)
        return input_fail_at(err, sc->path, line, key, "expected a list of values such as [0.3, 0.6]");
    size_t n = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        const yaml_node_t *e = yaml_document_get_node(doc, *it);
        GS_RETURN_IF(n == SWEEP_MAX_VALUES, err, GS_ERR_INPUT,
                     "%s:%zu: %s: at most %d values per key", sc->path, node_line(e), key,
                     SWEEP_MAX_VALUES);
        double x;
        GS_FORWARD(node_number(sc, e, node_line(e), key, "value", &x, err));
        if (params_check_value(sw->keys[slot], x, msg, sizeof msg) != GS_OK)
            return input_fail_at(err, sc->path, node_line(e), key, "%s", msg);
        sw->values[slot][n++] = x;
    }
    if (n == 0) return input_fail_at(err, sc->path, line, key, "expected at least one value");
    sw->n_values[slot] = n;
    return GS_OK;
}

/* A [lo, hi] range of one swept key, both ends valid for the key: read as a list of
 * values (the grid's reader), then moved to lo and hi. */
static gs_status read_range(gs_scenario *sc, yaml_document_t *doc, size_t slot,
                            const yaml_node_t *v, size_t line, gs_error *err)
{
    scenario_sweep *sw = &sc->sweep;
    const char *key = params_table[sw->keys[slot]].key;
    GS_FORWARD(read_grid_values(sc, doc, slot, v, line, err));
    if (sw->n_values[slot] != 2) return input_fail_at(err, sc->path, line, key, "expected a range [lo, hi]");
    if (!(sw->values[slot][0] < sw->values[slot][1]))
        return input_fail_at(err, sc->path, line, key, "lo must be below hi");
    sw->lo[slot] = sw->values[slot][0], sw->hi[slot] = sw->values[slot][1];
    sw->n_values[slot] = 0;
    return GS_OK;
}

/* The fields of the study section `section` (sweep, sensitivity, ...) from
 * runkeys.def: every key of map must be one of its keys "section.field" (else an error
 * with a did-you-mean and the list), given once.  Fields of a scalar type are read here
 * by their type into their gs_scenario member; RK_SECTION fields are left to the
 * section's own reader.  A new section: its R lines in runkeys.def, a reader that calls
 * this first, and its name in read_document. */
static gs_status read_study_fields(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                                   const char *section, gs_error *err)
{
    size_t n = strlen(section);
    char msg[MSG_MAX], key[KEY_MAX];
    for (const yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        size_t line = node_line(k);
        if (k->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, line, section, "expected a key name");
        snprintf(key, sizeof key, "%s.%s", section, scalar(k));
        int id = strlen(scalar(k)) < KEY_MAX - n - 1 ? scenario_runkey_find(key) : -1;
        if (id < 0) {
            char list[MSG_MAX] = "";
            for (int j = 0; j < RUNKEY_COUNT; j++)
                if (strncmp(runkeys_table[j].key, section, n) == 0 && runkeys_table[j].key[n] == '.')
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                             *list ? ", " : "", runkeys_table[j].key + n + 1);
            const char *hint = params_suggest(key);
            if (hint && strncmp(hint, key, n + 1) == 0)
                return input_fail_at(err, sc->path, line, section,
                                     "unknown field '%.40s'; did you mean '%s'? (expected one "
                                     "of: %s)", scalar(k), hint + n + 1, list);
            return input_fail_at(err, sc->path, line, section,
                                 "unknown field '%.40s' (expected one of: %s)", scalar(k), list);
        }
        size_t first = duplicate_line(doc, map->data.mapping.pairs.start,
                                      (size_t)(pr - map->data.mapping.pairs.start));
        if (first)
            return input_fail_at(err, sc->path, line, section,
                                 "duplicate field '%s' (first at line %zu)", scalar(k), first);
        if (runkeys_table[id].type == RK_SECTION) continue;
        if (v->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, line, key, "expected %s, got %s",
                                 runkeys_table[id].range, node_kind(v));
        if (apply_run_key(sc, (runkey_id)id, scalar(v), msg, sizeof msg))
            return input_fail_at(err, sc->path, line, key, "%s", msg);
    }
    return GS_OK;
}

/* `sweep: {grid: {KEY: [values]}, crn: true, metric: premium}` or
 * `sweep: {design: lhs | sobol, points: N, ranges: {KEY: [lo, hi]}, ...}`. */
static gs_status read_sweep(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                            size_t line, gs_error *err)
{
    GS_FORWARD(read_study_fields(sc, doc, map, "sweep", err)); /* and sweep.crn */
    scenario_sweep *sw = &sc->sweep;
    sw->line = (unsigned)line;
    size_t l;
    const yaml_node_t *v;
    if ((v = map_get(doc, map, "metric", &l))) {
        int m = -1;
        for (int q = 0; v->type == YAML_SCALAR_NODE && q < METRIC_COUNT; q++)
            if (strcmp(scalar(v), model_vars[model_metrics[q]].name) == 0) m = q;
        if (m < 0)
            return input_fail_at(err, sc->path, l, "sweep.metric",
                           "expected lag_months, premium, premium_q, rent or closed_share");
        sw->metric = m;
    }
    const yaml_node_t *grid = map_get(doc, map, "grid", NULL);
    const yaml_node_t *ranges = map_get(doc, map, "ranges", &l);
    if (!grid == !ranges)
        return input_fail_at(err, sc->path, line, "sweep",
                       "give either `grid: {KEY: [values]}` or `design:`, `points:` and "
                       "`ranges: {KEY: [lo, hi]}`");
    const yaml_node_t *keys = grid ? grid : ranges;
    if (keys->type != YAML_MAPPING_NODE)
        return input_fail_at(err, sc->path, line, grid ? "sweep.grid" : "sweep.ranges",
                       "expected a mapping of KEY: [...]");
    sw->kind = grid ? SWEEP_GRID : SWEEP_LHS;
    if (!grid) {
        size_t dl, pl;
        const yaml_node_t *dv = map_get(doc, map, "design", &dl);
        const yaml_node_t *pv = map_get(doc, map, "points", &pl);
        if (dv) {
            int k = dv->type == YAML_SCALAR_NODE ? design_find(scalar(dv)) : -1;
            if (k != DESIGN_LHS && k != DESIGN_SOBOL)
                return input_fail_at(err, sc->path, dl, "sweep.design", "expected lhs or sobol");
            sw->kind = k == DESIGN_LHS ? SWEEP_LHS : SWEEP_SOBOL;
        }
        double x = 0;
        if (!pv) return input_fail_at(err, sc->path, line, "sweep", "a design sweep needs `points: N`");
        GS_FORWARD(node_number(sc, pv, pl, "sweep.points", "points", &x, err));
        if (!(x >= 1 && x <= SWEEP_MAX_POINTS && x == floor(x)))
            return input_fail_at(err, sc->path, pl, "sweep.points", "must be a whole number in [1, %d]",
                           SWEEP_MAX_POINTS);
        sw->points = (size_t)x;
    } else if (map_get(doc, map, "design", &l) || map_get(doc, map, "points", &l)) {
        return input_fail_at(err, sc->path, l, "sweep", "a grid sweep takes no design or points");
    }
    sw->points = grid ? 1 : sw->points;
    for (const yaml_node_pair_t *pr = keys->data.mapping.pairs.start;
         pr < keys->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        const yaml_node_t *vals = yaml_document_get_node(doc, pr->value);
        gs_param_id id;
        GS_FORWARD(node_param_key(sc, k, "sweep", &id, err));
        for (size_t j = 0; j < sw->n_keys; j++)
            if (sw->keys[j] == id)
                return input_fail_at(err, sc->path, node_line(k), scalar(k), "swept twice");
        GS_RETURN_IF(sw->n_keys == SWEEP_MAX_KEYS, err, GS_ERR_INPUT,
                     "%s:%zu: %s: at most %d swept keys", sc->path, node_line(k), scalar(k),
                     SWEEP_MAX_KEYS);
        if (params_table[id].flags & PF_INT || strncmp(params_table[id].key, "run.", 4) == 0 ||
            strncmp(params_table[id].key, "history.", 8) == 0)
            return input_fail_at(err, sc->path, node_line(k), scalar(k),
                           "cannot be swept (it fixes the run's shape)");
        size_t slot = sw->n_keys++;
        sw->keys[slot] = id;
        sw->key_line[slot] = (unsigned)node_line(k);
        if (grid) {
            GS_FORWARD(read_grid_values(sc, doc, slot, vals, node_line(k), err));
            if ((double)sw->points * (double)sw->n_values[slot] > SWEEP_MAX_POINTS)
                return input_fail_at(err, sc->path, node_line(k), scalar(k),
                               "the grid has more than %d points", SWEEP_MAX_POINTS);
            sw->points *= sw->n_values[slot];
        } else {
            GS_FORWARD(read_range(sc, doc, slot, vals, node_line(k), err));
        }
    }
    if (sw->n_keys == 0) return input_fail_at(err, sc->path, line, "sweep", "no key to sweep");
    return GS_OK;
}

/* `sensitivity: {tornado: true, sobol: true, samples: 1024, bootstrap: 200, ...}`: every
 * field is a scalar key of runkeys.def. */
static gs_status read_sensitivity(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                                  size_t line, gs_error *err)
{
    sc->sensitivity.line = (unsigned)line;
    return read_study_fields(sc, doc, map, "sensitivity", err);
}

/* `discover: {metric: premium, outcome: compound, box_count: 1, by_cycle: false,
 * density: 0}` */
static gs_status read_discover(gs_scenario *sc, yaml_document_t *doc, const yaml_node_t *map,
                               size_t line, gs_error *err)
{
    static const char *const allowed[] = {"metric", "outcome", "box_count", "by_cycle",
                                          "density", NULL};
    GS_FORWARD(only_keys(sc, doc, map, "discover", allowed, err));
    scenario_discover *s = &sc->discover;
    s->line = (unsigned)line;
    size_t l;
    const yaml_node_t *v;
    if ((v = map_get(doc, map, "metric", &l))) {
        int ok = 0;
        for (int q = 0; v->type == YAML_SCALAR_NODE && q < METRIC_COUNT; q++)
            ok |= !strcmp(scalar(v), model_vars[model_metrics[q]].name);
        if (!ok)
            return input_fail_at(err, sc->path, l, "discover.metric",
                                 "'%.40s' is not an outcome metric (lag_months, premium, "
                                 "premium_q, rent, closed_share, closed_labs)",
                                 v->type == YAML_SCALAR_NODE ? scalar(v) : "");
        snprintf(s->metric, sizeof s->metric, "%s", scalar(v));
    }
    if ((v = map_get(doc, map, "outcome", &l))) {
        int ok = 0;
        for (int o = 0; v->type == YAML_SCALAR_NODE && o < OUTCOME_COUNT; o++)
            ok |= !strcmp(scalar(v), model_outcome_names[o]);
        if (!ok)
            return input_fail_at(err, sc->path, l, "discover.outcome",
                                 "'%.40s' is not an outcome (compound, persist, collapse)",
                                 v->type == YAML_SCALAR_NODE ? scalar(v) : "");
        snprintf(s->outcome, sizeof s->outcome, "%s", scalar(v));
    }
    if ((v = map_get(doc, map, "by_cycle", &l)))
        GS_FORWARD(node_bool(sc, v, l, "discover.by_cycle", &s->by_cycle, err));
    double x;
    if ((v = map_get(doc, map, "box_count", &l))) {
        GS_FORWARD(node_number(sc, v, l, "discover.box_count", "box_count", &x, err));
        if (!(x >= 1 && x <= 100 && x == floor(x)))
            return input_fail_at(err, sc->path, l, "discover.box_count",
                                 "must be a whole number in [1, 100]");
        s->box_count = (uint64_t)x;
    }
    if ((v = map_get(doc, map, "density", &l))) {
        GS_FORWARD(node_number(sc, v, l, "discover.density", "density", &x, err));
        if (!(x >= 0 && x <= 1))
            return input_fail_at(err, sc->path, l, "discover.density",
                                 "must be in [0, 1] (0: the knee of the coverage-density "
                                 "curve)");
        s->density = x;
    }
    return GS_OK;
}

/* The swept keys' values of grid point `point` into v[n_keys]: the point order of
 * scenario.h (the last key varies fastest).  The only copy of that rule. */
static void grid_values(const scenario_sweep *sw, size_t point, double *v)
{
    for (size_t j = sw->n_keys; j-- > 0;) {
        v[j] = sw->values[j][point % sw->n_values[j]];
        point /= sw->n_values[j];
    }
}

gs_status scenario_sweep_values(const gs_scenario *sc, uint64_t seed, double *values,
                                gs_error *err)
{
    const scenario_sweep *s = &sc->sweep;
    size_t P = s->points, K = s->n_keys;
    if (s->kind == SWEEP_GRID) {
        for (size_t p = 0; p < P; p++) grid_values(s, p, values + p * K);
        return GS_OK;
    }
    GS_FORWARD(design_fill(s->kind == SWEEP_LHS ? DESIGN_LHS : DESIGN_SOBOL, seed, SWEEP_FAMILY, 0,
                           P, K, values, err));
    for (size_t p = 0; p < P; p++)
        for (size_t j = 0; j < K; j++)
            values[p * K + j] = s->lo[j] + values[p * K + j] * (s->hi[j] - s->lo[j]);
    return GS_OK;
}

gs_status scenario_point_params(const gs_scenario *sc, size_t point, const double *values,
                                gs_params *out, gs_error *err)
{
    const scenario_sweep *sw = &sc->sweep;
    gs_params p = sc->params;
    for (size_t j = 0; j < sw->n_keys; j++) *params_field(&p, sw->keys[j]) = values[j];
    gs_param_id bad;
    char msg[MSG_MAX];
    if (params_check_relations(&p, &bad, msg, sizeof msg) != GS_OK)
        return input_fail_at(err, sc->path, sw->key_line[0], params_table[sw->keys[0]].key,
                       "sweep point %zu: %s", point, msg);
    *out = p;
    return GS_OK;
}

gs_status scenario_copula_factor(const gs_scenario *sc, double *L)
{
    size_t d = sc->n_uncertain;
    double rho[SCENARIO_MAX_UNCERTAIN * SCENARIO_MAX_UNCERTAIN];
    for (size_t i = 0; i < d * d; i++) rho[i] = i % (d + 1) == 0;
    for (size_t c = 0; c < sc->n_rank_corr; c++) {
        int a = scenario_uncertain_index(sc, sc->rank_corr[c].a);
        int b = scenario_uncertain_index(sc, sc->rank_corr[c].b);
        if (a < 0 || b < 0) return GS_ERR_INPUT;
        rho[(size_t)a * d + (size_t)b] = rho[(size_t)b * d + (size_t)a] = sc->rank_corr[c].rho;
    }
    return design_copula_factor(d, rho, L);
}

/* What can only be checked once the whole file and the overrides are in: rank
 * correlations name uncertain keys and form a valid matrix; a key is not both swept and
 * uncertain; every grid point satisfies the relations between parameters; sensitivity
 * has uncertain parameters to explain and no sweep. */
static gs_status check_extensions(gs_scenario *sc, gs_error *err)
{
    size_t d = sc->n_uncertain;
    double L[SCENARIO_MAX_UNCERTAIN * SCENARIO_MAX_UNCERTAIN];
    for (size_t c = 0; c < sc->n_rank_corr; c++) {
        const scenario_rank_corr *rc = &sc->rank_corr[c];
        int a = scenario_uncertain_index(sc, rc->a), b = scenario_uncertain_index(sc, rc->b);
        if (a < 0 || b < 0)
            return input_fail_at(err, sc->path, rc->line, params_table[a < 0 ? rc->a : rc->b].key,
                           "a rank correlation needs both keys to be distributions");
    }
    if (sc->n_rank_corr && scenario_copula_factor(sc, L) != GS_OK)
        return input_fail_at(err, sc->path, sc->rank_corr[0].line, "uncertainty.correlations",
                       "the rank correlations contradict each other (not positive definite)");
    const scenario_sweep *sw = &sc->sweep;
    for (size_t j = 0; j < sw->n_keys; j++)
        if (scenario_uncertain_index(sc, sw->keys[j]) >= 0)
            return input_fail_at(err, sc->path, sw->key_line[j], params_table[sw->keys[j]].key,
                           "a key cannot be both swept and a distribution");
    for (size_t pt = 0; sw->kind == SWEEP_GRID && pt < sw->points; pt++) {
        double v[SWEEP_MAX_KEYS];
        gs_params p;
        grid_values(sw, pt, v);
        GS_FORWARD(scenario_point_params(sc, pt, v, &p, err));
    }
    if (sc->sensitivity.line && sw->kind != SWEEP_NONE)
        return input_fail_at(err, sc->path, sc->sensitivity.line, "sensitivity",
                       "sensitivity analysis cannot be combined with a sweep");
    if (sc->discover.line && sw->kind != SWEEP_NONE)
        return input_fail_at(err, sc->path, sc->discover.line, "discover",
                       "scenario discovery works on single runs, not on sweeps");
    if (sc->discover.line && d == 0)
        return input_fail_at(err, sc->path, sc->discover.line, "discover",
                       "needs at least one uncertain parameter (a distribution): a "
                       "point-valued run has nothing to discover");
    if (sc->sensitivity.line && d == 0)
        return input_fail_at(err, sc->path, sc->sensitivity.line, "sensitivity",
                       "needs at least one uncertain parameter (a distribution)");
    return GS_OK;
}

/* history.targets as read from the file is relative to the file's directory: prefix
 * it (a relative path only, and only when the file is not in the working directory).
 * 0 when the result does not fit. */
static int relative_to_file(gs_scenario *sc)
{
    char *t = sc->history_targets;
    const char *slash = strrchr(sc->path, '/');
    if (!*t || t[0] == '/' || !slash) return 1;
    char joined[SCENARIO_TEXT_MAX];
    int len = snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - sc->path), sc->path, t);
    if (len < 0 || (size_t)len >= sizeof joined) return 0;
    memcpy(t, joined, (size_t)len + 1);
    return 1;
}

/* The keys of one section (a mapping of scalars). */
static gs_status read_section(gs_scenario *sc, yaml_document_t *doc, const char *section,
                              const yaml_node_t *map, gs_error *err)
{
    const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t npairs = (size_t)(map->data.mapping.pairs.top - pairs);
    char msg[MSG_MAX];
    for (size_t i = 0; i < npairs; i++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pairs[i].key);
        const yaml_node_t *v = yaml_document_get_node(doc, pairs[i].value);
        size_t line = node_line(k);
        if (k->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, line, section, "expected a key name, got %s",
                           node_kind(k));
        char key[KEY_MAX];
        snprintf(key, sizeof key, "%s.%s", section, scalar(k));
        size_t first = duplicate_line(doc, pairs, i);
        if (first)
            return input_fail_at(err, sc->path, line, key, "duplicate key (first at line %zu)", first);
        int id;
        key_kind kind = classify_key(key, &id);
        if (kind == KEY_UNKNOWN) {
            const char *hint = params_suggest(key);
            if (hint)
                return input_fail_at(err, sc->path, line, key, "unknown key; did you mean '%s'?", hint);
            return input_fail_at(err, sc->path, line, key, "unknown key");
        }
        if (kind == KEY_QUANTILES) {
            GS_FORWARD(read_quantiles(sc, doc, v, line, err));
            continue;
        }
        if (kind == KEY_PARAM && v->type == YAML_MAPPING_NODE) {
            GS_FORWARD(read_distribution(sc, doc, (gs_param_id)id, v, line, err));
            sc->line[id] = (unsigned)line;
            continue;
        }
        if (v->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, line, key, "expected a number, got %s", node_kind(v));
        gs_status dst = GS_OK;
        if (kind == KEY_PARAM &&
            read_dist_text(sc, (gs_param_id)id, scalar(v), line, NULL, err, &dst) == 0) {
            GS_FORWARD(dst);
            sc->line[id] = (unsigned)line;
            continue;
        }
        if (apply_scalar(sc, kind, id, scalar(v), msg, sizeof msg))
            return input_fail_at(err, sc->path, line, key, "%s", msg);
        if (kind == KEY_PARAM) sc->line[id] = (unsigned)line;
        if (kind == KEY_RUN && id == RUNKEY_HISTORY_TARGETS) {
            sc->history_line = (unsigned)line;
            if (!relative_to_file(sc))
                return input_fail_at(err, sc->path, line, key, "the path is too long");
        }
    }
    return GS_OK;
}

/* The top-level mapping: name, description and sections. */
static gs_status read_document(gs_scenario *sc, yaml_document_t *doc, gs_error *err)
{
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root)
        return input_fail_at(err, sc->path, 1, "file",
                       "empty scenario (expected name:, description: and sections such as "
                       "hardware:)");
    if (root->type != YAML_MAPPING_NODE)
        return input_fail_at(err, sc->path, node_line(root), "file",
                       "expected a mapping of sections at the top level, got %s",
                       node_kind(root));
    const yaml_node_pair_t *pairs = root->data.mapping.pairs.start;
    size_t npairs = (size_t)(root->data.mapping.pairs.top - pairs);
    for (size_t i = 0; i < npairs; i++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pairs[i].key);
        const yaml_node_t *v = yaml_document_get_node(doc, pairs[i].value);
        size_t line = node_line(k);
        if (k->type != YAML_SCALAR_NODE)
            return input_fail_at(err, sc->path, line, "file", "expected a section name, got %s",
                           node_kind(k));
        const char *name = scalar(k);
        size_t first = duplicate_line(doc, pairs, i);
        if (first)
            return input_fail_at(err, sc->path, line, name, "duplicate %s (first at line %zu)",
                           is_section(name) ? "section" : "key", first);

        if (strcmp(name, "model") == 0) {
            /* the model version marker (MODEL.md version 2); version 1 files are refused */
            if (v->type != YAML_SCALAR_NODE || strcmp(scalar(v), "2") != 0)
                return input_fail_at(err, sc->path, line, name,
                               "this scenario is for model version %s; gapsim runs model "
                               "version 2 only. %s",
                               v->type == YAML_SCALAR_NODE ? scalar(v) : "?",
                               SCENARIO_V1_ADVICE);
            sc->model_version = 2;
        } else if (strcmp(name, "name") == 0 || strcmp(name, "description") == 0) {
            if (v->type != YAML_SCALAR_NODE)
                return input_fail_at(err, sc->path, line, name, "expected a string, got %s",
                               node_kind(v));
            if (name[0] == 'n' && v->data.scalar.length == 0)
                return input_fail_at(err, sc->path, line, name, "must not be empty");
            /* the name makes the default output file output/<name>.h5: it must stay there */
            for (const char *c = scalar(v); name[0] == 'n' && *c; c++)
                if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f)
                    return input_fail_at(err, sc->path, line, name,
                                   "must not contain '/', '\\' or control characters (it names "
                                   "the output file output/<name>.h5), got '%.40s'",
                                   scalar(v));
            char *s = copy_str(scalar(v));
            if (!s) return input_fail_nomem(err, sc->path);
            char **slot = name[0] == 'n' ? &sc->name : &sc->description;
            free(*slot);
            *slot = s;
        } else if (strcmp(name, "discover") == 0) {
            if (v->type != YAML_MAPPING_NODE && !is_null(v))
                return input_fail_at(err, sc->path, line, name,
                               "a section must be a mapping of KEY: value, got %s", node_kind(v));
            if (v->type == YAML_MAPPING_NODE) GS_FORWARD(read_discover(sc, doc, v, line, err));
            else sc->discover.line = (unsigned)line;
        } else if (strcmp(name, "uncertainty") == 0 || strcmp(name, "sweep") == 0 ||
                   strcmp(name, "sensitivity") == 0) {
            if (v->type != YAML_MAPPING_NODE)
                return input_fail_at(err, sc->path, line, name,
                               "a section must be a mapping of KEY: value, got %s", node_kind(v));
            if (name[1] == 'n') GS_FORWARD(read_uncertainty(sc, doc, v, err));
            else if (name[1] == 'w') GS_FORWARD(read_sweep(sc, doc, v, line, err));
            else GS_FORWARD(read_sensitivity(sc, doc, v, line, err));
        } else if (is_section(name)) {
            if (is_null(v)) continue; /* an empty section sets nothing */
            if (v->type == YAML_SCALAR_NODE)
                return input_fail_at(err, sc->path, line, name,
                               "a section must be a mapping of KEY: value, got '%.40s'",
                               scalar(v));
            if (v->type != YAML_MAPPING_NODE)
                return input_fail_at(err, sc->path, line, name,
                               "a section must be a mapping of KEY: value, got %s",
                               node_kind(v));
            GS_FORWARD(read_section(sc, doc, name, v, err));
        } else if (v->type == YAML_MAPPING_NODE) {
            /* An unknown section: guess the intended one from its first key
             * ("hardwre: {vol: ..}" -> hardware.vol -> "hardware"). */
            const char *hint = NULL;
            if (v->data.mapping.pairs.top > v->data.mapping.pairs.start) {
                const yaml_node_t *k1 =
                    yaml_document_get_node(doc, v->data.mapping.pairs.start->key);
                char key[KEY_MAX];
                if (k1->type == YAML_SCALAR_NODE) {
                    snprintf(key, sizeof key, "%s.%s", name, scalar(k1));
                    hint = params_suggest(key);
                }
            }
            if (hint)
                return input_fail_at(err, sc->path, line, name,
                               "unknown section; did you mean '%.*s'?",
                               (int)(strchr(hint, '.') - hint), hint);
            return input_fail_at(err, sc->path, line, name, "unknown section");
        } else {
            /* A key outside its section ("vol: 0.3"). */
            const char *hint = params_suggest(name);
            if (hint)
                return input_fail_at(err, sc->path, line, name,
                               "unknown top-level key; did you mean '%s' (in its section)?",
                               hint);
            return input_fail_at(err, sc->path, line, name, "unknown top-level key");
        }
    }
    return GS_OK;
}

/* Line `line` (1-based) of the scenario text into buf; 0 if there is no such line. */
static int line_text(const gs_scenario *sc, size_t line, char *buf, size_t size)
{
    size_t i = 0;
    for (size_t l = 1; l < line && i < sc->text_len; i++)
        if (sc->text[i] == '\n') l++;
    if (i >= sc->text_len) return 0;
    size_t n = 0;
    while (i + n < sc->text_len && sc->text[i + n] != '\n') n++;
    snprintf(buf, size, "%.*s", (int)n, sc->text + i);
    return 1;
}

/* libyaml's problem and line, as "FILE:LINE: syntax error: problem (context)". */
static gs_status yaml_failure(const yaml_parser_t *parser, const gs_scenario *sc,
                              gs_error *err)
{
    if (parser->error == YAML_MEMORY_ERROR) return input_fail_nomem(err, sc->path);
    size_t line;
    if (parser->error == YAML_READER_ERROR) {
        /* The reader reports a byte offset, not a mark: count the lines before it. */
        line = 1;
        for (size_t i = 0; i < parser->problem_offset && i < sc->text_len; i++)
            line += sc->text[i] == '\n';
    } else {
        line = parser->problem_mark.line + 1;
    }
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    /* libyaml says "found character that cannot start any token" for a tab */
    size_t at = parser->problem_mark.index;
    if (parser->error != YAML_READER_ERROR && at < sc->text_len && sc->text[at] == '\t')
        return input_fail_at(err, sc->path, line, "syntax error",
                       "a tab character at column %zu: YAML indents with spaces only, replace "
                       "the tab by spaces", parser->problem_mark.column + 1);
    /* discrete({0.3: 1, ...}) unquoted: YAML reads "0.3: 1" as a mapping */
    char text[256];
    if (strstr(problem, "mapping values") && line_text(sc, line, text, sizeof text) &&
        strstr(text, "discrete("))
        return input_fail_at(err, sc->path, line, "syntax error",
                       "%s: put a discrete distribution in quotes, "
                       "KEY: 'discrete({0.3: 1, 0.6: 3})'", problem);
    if (parser->context)
        return input_fail_at(err, sc->path, line, "syntax error", "%s (%s at line %zu)", problem,
                       parser->context, parser->context_mark.line + 1);
    return input_fail_at(err, sc->path, line, "syntax error", "%s", problem);
}

/* Parses sc->text into sc (defaults already set): one YAML document, nothing after. */
static gs_status read_yaml(gs_scenario *sc, gs_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return input_fail_nomem(err, sc->path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)sc->text, sc->text_len);
    gs_status st;
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_failure(&parser, sc, err);
    } else {
        st = read_document(sc, &doc, err);
        yaml_document_delete(&doc);
        if (st == GS_OK) {
            if (!yaml_parser_load(&parser, &doc)) {
                st = yaml_failure(&parser, sc, err);
            } else {
                const yaml_node_t *extra = yaml_document_get_root_node(&doc);
                if (extra)
                    st = input_fail_at(err, sc->path, node_line(extra), "file",
                                 "only one YAML document is allowed");
                yaml_document_delete(&doc);
            }
        }
    }
    yaml_parser_delete(&parser);
    return st;
}

/* ---- overrides ------------------------------------------------------------------- */

/* Copies s[0..n) without surrounding blanks into buf (truncated to size). */
static void trimmed(char *buf, size_t size, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    snprintf(buf, size, "%.*s", (int)n, s);
}

/* One "KEY=VALUE" override without the relation check (scenario_load applies all of
 * them before checking, so their order does not matter).  sc is unchanged on failure. */
static gs_status apply_assignment(gs_scenario *sc, const char *assignment, gs_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return gs_error_set(err, GS_ERR_INPUT, "--set %s: expected KEY=VALUE", assignment);
    char key[KEY_MAX], value[MSG_MAX], msg[MSG_MAX];
    trimmed(key, sizeof key, assignment, (size_t)(eq - assignment));
    trimmed(value, sizeof value, eq + 1, strlen(eq + 1));
    if (!*key)
        return gs_error_set(err, GS_ERR_INPUT, "--set %s: expected KEY=VALUE", assignment);
    int id;
    key_kind kind = classify_key(key, &id);
    if (kind == KEY_UNKNOWN) {
        const char *hint = params_suggest(key);
        if (hint)
            return gs_error_set(err, GS_ERR_INPUT, "--set %s: %s: unknown key; did you mean '%s'?",
                                assignment, key, hint);
        return gs_error_set(err, GS_ERR_INPUT, "--set %s: %s: unknown key", assignment, key);
    }
    if (kind == KEY_QUANTILES) {
        /* A comma list: "0.1,0.5,0.9". */
        double q[SCENARIO_MAX_QUANTILES];
        size_t n = 0;
        const char *s = value;
        for (;;) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t)(comma - s) : strlen(s);
            char level[64];
            trimmed(level, sizeof level, s, len);
            if (add_quantile(q, &n, level, msg, sizeof msg))
                return gs_error_set(err, GS_ERR_INPUT, "--set %s: %s: %s", assignment, key, msg);
            if (!comma) break;
            s = comma + 1;
        }
        memcpy(sc->quantiles, q, n * sizeof *q);
        sc->n_quantiles = n;
        return GS_OK;
    }
    if (kind == KEY_PARAM) { /* --set KEY='0.3 to 0.8' and the other text forms */
        gs_status dst = GS_OK;
        char where[MSG_MAX];
        snprintf(where, sizeof where, "--set %s", assignment);
        if (read_dist_text(sc, (gs_param_id)id, value, SCENARIO_LINE_SET, where, err, &dst) == 0) {
            if (dst == GS_OK) sc->line[id] = SCENARIO_LINE_SET;
            return dst;
        }
    }
    if (apply_scalar(sc, kind, id, value, msg, sizeof msg))
        return gs_error_set(err, GS_ERR_INPUT, "--set %s: %s: %s", assignment, key, msg);
    if (kind == KEY_PARAM) sc->line[id] = SCENARIO_LINE_SET;
    if (kind == KEY_RUN && id == RUNKEY_HISTORY_TARGETS) sc->history_line = 0;
    return GS_OK;
}

/* ---- public ---------------------------------------------------------------------- */

void scenario_free(gs_scenario *sc)
{
    if (!sc) return;
    free(sc->path);
    free(sc->name);
    free(sc->description);
    free(sc->text);
    memset(sc, 0, sizeof *sc);
}

gs_status scenario_init_default(gs_scenario *sc, gs_error *err)
{
    memset(sc, 0, sizeof *sc);
    set_defaults(sc);
    sc->path = copy_str("(default)");
    sc->name = copy_str("default");
    sc->description = copy_str("");
    sc->text = copy_str("");
    if (!sc->path || !sc->name || !sc->description || !sc->text) {
        scenario_free(sc);
        return input_fail_nomem(err, "(default)");
    }
    return GS_OK;
}

/* Builds the scenario in a local copy: strings, defaults, the YAML walk, the
 * overrides, the relations; hands it to *sc only if all of that succeeded. */
gs_status scenario_parse(const char *text, size_t len, const char *path,
                         const char *const *sets, size_t nsets, gs_scenario *sc,
                         gs_error *err)
{
    gs_scenario tmp;
    memset(&tmp, 0, sizeof tmp);
    memset(sc, 0, sizeof *sc);
    if (!path) path = "(string)";
    set_defaults(&tmp);
    tmp.path = copy_str(path);
    tmp.text = copy_n(text ? text : "", text ? len : 0);
    tmp.text_len = text ? len : 0;
    tmp.description = copy_str("");
    if (!tmp.path || !tmp.text || !tmp.description) {
        scenario_free(&tmp);
        return input_fail_nomem(err, path);
    }
    /* limits first (size, depth, NULs), before libyaml builds a document */
    gs_status st = input_check_yaml(tmp.text, tmp.text_len, path, err);
    if (st == GS_OK) st = read_yaml(&tmp, err);
    for (size_t i = 0; st == GS_OK && i < nsets; i++) st = apply_assignment(&tmp, sets[i], err);
    if (st == GS_OK) st = check_relations(&tmp, err);
    if (st == GS_OK) st = check_extensions(&tmp, err);
    if (st == GS_OK && !tmp.name && !(tmp.name = file_stem(path))) st = input_fail_nomem(err, path);
    if (st != GS_OK) {
        scenario_free(&tmp);
        return st;
    }
    *sc = tmp;
    return GS_OK;
}

/* Reads the whole file (also a pipe; at most INPUT_MAX_BYTES) and parses it. */
gs_status scenario_load(const char *path, const char *const *sets, size_t nsets,
                        gs_scenario *sc, gs_error *err)
{
    memset(sc, 0, sizeof *sc);
    char *buf;
    size_t len;
    GS_FORWARD(input_read_file(path, &buf, &len, err));
    gs_status st = scenario_parse(buf, len, path, sets, nsets, sc, err);
    free(buf);
    /* A file must say which model it is for: a version 1 file has no marker and would
     * otherwise run silently under version 2. */
    if (st == GS_OK && sc->model_version != 2) {
        scenario_free(sc);
        st = gs_error_set(err, GS_ERR_INPUT,
                          "%s:1: model: no 'model: 2' line, so this is a scenario for model "
                          "version 1, which gapsim no longer runs. %s",
                          path, SCENARIO_V1_ADVICE);
    }
    return st;
}

/* Applies the override, then re-checks the relations; on failure the parameters and
 * their lines are restored, so sc stays a valid scenario. */
gs_status scenario_set(gs_scenario *sc, const char *assignment, gs_error *err)
{
    gs_params saved = sc->params;
    unsigned saved_line[PARAM_COUNT];
    memcpy(saved_line, sc->line, sizeof saved_line);
    GS_FORWARD(apply_assignment(sc, assignment, err));
    gs_status st = check_relations(sc, err);
    if (st != GS_OK) {
        sc->params = saved;
        memcpy(sc->line, saved_line, sizeof saved_line);
    }
    return st;
}
