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

static const double default_quantiles[] = {0.01, 0.05, 0.10, 0.25, 0.50,
                                           0.75, 0.90, 0.95, 0.99};
enum { DEFAULT_QUANTILE_COUNT = sizeof default_quantiles / sizeof default_quantiles[0] };
static const uint64_t default_trajectories = 10000;
static const uint64_t default_seed = 20260501;
static const double max_trajectories = 1e12;

enum { MSG_MAX = 512, KEY_MAX = 128 };

typedef enum { KEY_PARAM, KEY_TRAJECTORIES, KEY_SEED, KEY_QUANTILES, KEY_UNKNOWN } key_kind;

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

/* "path:line: key: message" into err.  Every error of the file goes through here. */
static gs_status fail_at(gs_error *err, const char *path, size_t line, const char *key,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static gs_status fail_at(gs_error *err, const char *path, size_t line, const char *key,
                         const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gs_error_set(err, GS_ERR_INPUT, "%s:%zu: %s: %s", path, line, key, msg);
}

static gs_status fail_nomem(gs_error *err, const char *path)
{
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
}

/* The fewest significant digits that read back exactly. */
static void format_number(char *buf, size_t size, double x)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* A decimal number as YAML writes ints and floats: optional sign, digits, optional
 * fraction and exponent ("16", "-0.3", "1.25e10").  Anything else is rejected before
 * strtod sees it (so no "inf", "nan", hex or locale surprises), strtod must consume
 * the whole text, and the result must be finite.  On failure writes the problem. */
static int parse_number(const char *text, double *out, char *msg, size_t size)
{
    if (!*text) {
        snprintf(msg, size, "expected a number, got nothing");
        return -1;
    }
    for (const char *c = text; *c; c++)
        if (!strchr("0123456789+-.eE", *c)) goto bad;
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end) goto bad;
    if (!isfinite(x)) {
        snprintf(msg, size, "must be a finite number, got '%.40s'", text);
        return -1;
    }
    *out = x;
    return 0;
bad:
    snprintf(msg, size, "expected a number, got '%.40s'", text);
    return -1;
}

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

/* run.trajectories: a whole number in [1, 1e12] (1e5 is accepted). */
static int parse_trajectories(const char *text, uint64_t *out, char *msg, size_t size)
{
    double x;
    if (parse_number(text, &x, msg, size)) return -1;
    char got[40];
    format_number(got, sizeof got, x);
    if (x != floor(x)) {
        snprintf(msg, size, "must be a whole number, got %s", got);
        return -1;
    }
    if (x < 1 || x > max_trajectories) {
        snprintf(msg, size, "must be in [1, %g], got %s", max_trajectories, got);
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
    if (parse_number(text, &x, msg, size)) return -1;
    char got[40], prev[40];
    format_number(got, sizeof got, x);
    if (!(x >= 0 && x <= 1)) {
        snprintf(msg, size, "levels must be in [0, 1], got %s", got);
        return -1;
    }
    if (*n > 0 && !(x > q[*n - 1])) {
        format_number(prev, sizeof prev, q[*n - 1]);
        snprintf(msg, size, "levels must be strictly increasing, got %s after %s", got,
                 prev);
        return -1;
    }
    q[(*n)++] = x;
    return 0;
}

/* run.trajectories / run.seed / run.quantiles or a parameter of the table. */
static key_kind classify_key(const char *key, int *id)
{
    *id = params_find(key);
    if (*id >= 0) return KEY_PARAM;
    if (strcmp(key, "run.trajectories") == 0) return KEY_TRAJECTORIES;
    if (strcmp(key, "run.seed") == 0) return KEY_SEED;
    if (strcmp(key, "run.quantiles") == 0) return KEY_QUANTILES;
    return KEY_UNKNOWN;
}

/* Sets one scalar-valued key from its text; sc is unchanged on failure. */
static int apply_scalar(gs_scenario *sc, key_kind kind, int id, const char *text, char *msg,
                        size_t size)
{
    switch (kind) {
    case KEY_PARAM: {
        double x;
        if (parse_number(text, &x, msg, size)) return -1;
        if (params_check_value((gs_param_id)id, x, msg, size) != GS_OK) return -1;
        *params_field(&sc->params, (gs_param_id)id) = x;
        return 0;
    }
    case KEY_TRAJECTORIES: return parse_trajectories(text, &sc->trajectories, msg, size);
    case KEY_SEED: return parse_seed(text, &sc->seed, msg, size);
    default: snprintf(msg, size, "internal: not a scalar key"); return -1;
    }
}

/* A section is "run" or the part before the dot of some key of the table. */
static int is_section(const char *name)
{
    if (strcmp(name, "run") == 0) return 1;
    size_t n = strlen(name);
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
    sc->trajectories = default_trajectories;
    sc->seed = default_seed;
    sc->n_quantiles = DEFAULT_QUANTILE_COUNT;
    memcpy(sc->quantiles, default_quantiles, sizeof default_quantiles);
}

/* ---- relations ------------------------------------------------------------------- */

static int is_correlation(gs_param_id id)
{
    return id >= PARAM_correlation_hardware_power && id <= PARAM_correlation_open_demand;
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
    static const gs_param_id trend[] = {PARAM_training_growth, PARAM_training_algorithmic,
                                        PARAM_hardware_trend};
    gs_param_id group[PARAM_COUNT];
    size_t n = 0;
    if (is_correlation(bad)) {
        for (int i = PARAM_correlation_hardware_power; i <= PARAM_correlation_open_demand; i++)
            group[n++] = (gs_param_id)i;
    } else {
        if (sc->line[bad] != 0) return bad;
        const gs_param_id *g = bad == PARAM_training_growth ? trend : outcome;
        n = bad == PARAM_training_growth ? 3 : 2;
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
        format_number(value, sizeof value, params_get(&sc->params, bad));
        return gs_error_set(err, GS_ERR_INPUT, "--set %s=%s: %s: %s", key, value, key, msg);
    }
    if (line == 0)
        return gs_error_set(err, GS_ERR_INPUT, "%s:(default): %s: %s", sc->path, key, msg);
    return fail_at(err, sc->path, line, key, "%s", msg);
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
        return fail_at(err, sc->path, key_line, key,
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
            return fail_at(err, sc->path, node_line(item), key,
                           "expected a number, got %s", node_kind(item));
        if (add_quantile(q, &n, scalar(item), msg, sizeof msg))
            return fail_at(err, sc->path, node_line(item), key, "%s", msg);
    }
    if (n == 0)
        return fail_at(err, sc->path, key_line, key, "expected at least one level");
    memcpy(sc->quantiles, q, n * sizeof *q);
    sc->n_quantiles = n;
    return GS_OK;
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
            return fail_at(err, sc->path, line, section, "expected a key name, got %s",
                           node_kind(k));
        char key[KEY_MAX];
        snprintf(key, sizeof key, "%s.%s", section, scalar(k));
        size_t first = duplicate_line(doc, pairs, i);
        if (first)
            return fail_at(err, sc->path, line, key, "duplicate key (first at line %zu)", first);
        int id;
        key_kind kind = classify_key(key, &id);
        if (kind == KEY_UNKNOWN) {
            const char *hint = params_suggest(key);
            if (hint)
                return fail_at(err, sc->path, line, key, "unknown key; did you mean '%s'?", hint);
            return fail_at(err, sc->path, line, key, "unknown key");
        }
        if (kind == KEY_QUANTILES) {
            GS_FORWARD(read_quantiles(sc, doc, v, line, err));
            continue;
        }
        if (v->type != YAML_SCALAR_NODE)
            return fail_at(err, sc->path, line, key, "expected a number, got %s", node_kind(v));
        if (apply_scalar(sc, kind, id, scalar(v), msg, sizeof msg))
            return fail_at(err, sc->path, line, key, "%s", msg);
        if (kind == KEY_PARAM) sc->line[id] = (unsigned)line;
    }
    return GS_OK;
}

/* The top-level mapping: name, description and sections. */
static gs_status read_document(gs_scenario *sc, yaml_document_t *doc, gs_error *err)
{
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root)
        return fail_at(err, sc->path, 1, "file",
                       "empty scenario (expected name:, description: and sections such as "
                       "hardware:)");
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(err, sc->path, node_line(root), "file",
                       "expected a mapping of sections at the top level, got %s",
                       node_kind(root));
    const yaml_node_pair_t *pairs = root->data.mapping.pairs.start;
    size_t npairs = (size_t)(root->data.mapping.pairs.top - pairs);
    for (size_t i = 0; i < npairs; i++) {
        const yaml_node_t *k = yaml_document_get_node(doc, pairs[i].key);
        const yaml_node_t *v = yaml_document_get_node(doc, pairs[i].value);
        size_t line = node_line(k);
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(err, sc->path, line, "file", "expected a section name, got %s",
                           node_kind(k));
        const char *name = scalar(k);
        size_t first = duplicate_line(doc, pairs, i);
        if (first)
            return fail_at(err, sc->path, line, name, "duplicate %s (first at line %zu)",
                           is_section(name) ? "section" : "key", first);

        if (strcmp(name, "name") == 0 || strcmp(name, "description") == 0) {
            if (v->type != YAML_SCALAR_NODE)
                return fail_at(err, sc->path, line, name, "expected a string, got %s",
                               node_kind(v));
            if (name[0] == 'n' && v->data.scalar.length == 0)
                return fail_at(err, sc->path, line, name, "must not be empty");
            char *s = copy_str(scalar(v));
            if (!s) return fail_nomem(err, sc->path);
            char **slot = name[0] == 'n' ? &sc->name : &sc->description;
            free(*slot);
            *slot = s;
        } else if (is_section(name)) {
            if (is_null(v)) continue; /* an empty section sets nothing */
            if (v->type == YAML_SCALAR_NODE)
                return fail_at(err, sc->path, line, name,
                               "a section must be a mapping of KEY: value, got '%.40s'",
                               scalar(v));
            if (v->type != YAML_MAPPING_NODE)
                return fail_at(err, sc->path, line, name,
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
                return fail_at(err, sc->path, line, name,
                               "unknown section; did you mean '%.*s'?",
                               (int)(strchr(hint, '.') - hint), hint);
            return fail_at(err, sc->path, line, name, "unknown section");
        } else {
            /* A key outside its section ("vol: 0.3"). */
            const char *hint = params_suggest(name);
            if (hint)
                return fail_at(err, sc->path, line, name,
                               "unknown top-level key; did you mean '%s' (in its section)?",
                               hint);
            return fail_at(err, sc->path, line, name, "unknown top-level key");
        }
    }
    return GS_OK;
}

/* libyaml's problem and line, as "FILE:LINE: syntax error: problem (context)". */
static gs_status yaml_failure(const yaml_parser_t *parser, const gs_scenario *sc,
                              gs_error *err)
{
    if (parser->error == YAML_MEMORY_ERROR) return fail_nomem(err, sc->path);
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
    if (parser->context)
        return fail_at(err, sc->path, line, "syntax error", "%s (%s at line %zu)", problem,
                       parser->context, parser->context_mark.line + 1);
    return fail_at(err, sc->path, line, "syntax error", "%s", problem);
}

/* Parses sc->text into sc (defaults already set): one YAML document, nothing after. */
static gs_status read_yaml(gs_scenario *sc, gs_error *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return fail_nomem(err, sc->path);
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
                    st = fail_at(err, sc->path, node_line(extra), "file",
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
    if (apply_scalar(sc, kind, id, value, msg, sizeof msg))
        return gs_error_set(err, GS_ERR_INPUT, "--set %s: %s: %s", assignment, key, msg);
    if (kind == KEY_PARAM) sc->line[id] = SCENARIO_LINE_SET;
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
        return fail_nomem(err, "(default)");
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
        return fail_nomem(err, path);
    }
    gs_status st = read_yaml(&tmp, err);
    for (size_t i = 0; st == GS_OK && i < nsets; i++) st = apply_assignment(&tmp, sets[i], err);
    if (st == GS_OK) st = check_relations(&tmp, err);
    if (st == GS_OK && !tmp.name && !(tmp.name = file_stem(path))) st = fail_nomem(err, path);
    if (st != GS_OK) {
        scenario_free(&tmp);
        return st;
    }
    *sc = tmp;
    return GS_OK;
}

/* Reads the whole file (any size, also a pipe) and parses it. */
gs_status scenario_load(const char *path, const char *const *sets, size_t nsets,
                        gs_scenario *sc, gs_error *err)
{
    memset(sc, 0, sizeof *sc);
    FILE *f = fopen(path, "rb");
    if (!f) return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (!buf) return fail_nomem(err, path);
    if (read_errno) {
        free(buf);
        return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path,
                            strerror(read_errno));
    }
    gs_status st = scenario_parse(buf, len, path, sets, nsets, sc, err);
    free(buf);
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
