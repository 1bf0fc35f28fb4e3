/* targets.c - see targets.h.
 *
 * The targets file is loaded into a libyaml document (every node knows its line), then
 * walked: the top level (`name`, `description`, `targets`), then each entry of
 * `targets:`.  Each entry is checked whole against the variable table and the calendar
 * before the next is read; errors read "FILE:LINE: NAME.FIELD: problem" with NAME the
 * target's name (given, or T<position>).  Work happens on a local set handed over only
 * on success.
 */
#include "targets.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "input.h"
#include "stats.h"

const char *const targets_transform_names[3] = {"identity", "log", "logit"};
const double targets_levels[TARGETS_N_LEVELS] = {0.05, 0.25, 0.5, 0.75, 0.95};

/* Calendar dates within this many cycles of a cycle start count as that start, so that
 * 2025.0 is the start of cycle 2 even when t₀ + kΔ is inexact in binary. */
static const double cycle_eps = 1e-9;

enum { MSG_MAX = 512, KEY_MAX = 96 }; /* a key is NAME (< 64) "." FIELD (< 21) */

/* ---- messages ------------------------------------------------------------------------ */


/* Levenshtein distance of a[0..na) and b[0..nb), for did-you-mean (names are short;
 * longer ones are capped). */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    enum { CAP = 63 };
    size_t row[CAP + 1];
    if (na > CAP) na = CAP;
    if (nb > CAP) nb = CAP;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* ---- the YAML walk ------------------------------------------------------------------- */

typedef struct {
    const char *path;
    yaml_document_t *doc;
    const targets_var *vars;
    size_t n_vars;
    const targets_calendar *cal;
} walk;

static size_t node_line(const yaml_node_t *node)
{
    return node->start_mark.line + 1;
}

static const char *node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a value";
    }
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static const yaml_node_t *node_at(const walk *w, int id)
{
    return yaml_document_get_node(w->doc, id);
}

/* The value node of field `name` of a mapping, or NULL; *line gets its key's line. */
static const yaml_node_t *map_get(const walk *w, const yaml_node_t *map, const char *name,
                                  size_t *line)
{
    for (const yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = node_at(w, pr->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), name) == 0) {
            *line = node_line(k);
            return node_at(w, pr->value);
        }
    }
    return NULL;
}

/* Every key of map is a scalar in allowed[] (NULL-terminated) and appears once. */
static gs_status only_keys(const walk *w, const yaml_node_t *map, const char *where,
                           const char *const *allowed, gs_error *err)
{
    const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t n = (size_t)(map->data.mapping.pairs.top - pairs);
    for (size_t p = 0; p < n; p++) {
        const yaml_node_t *k = node_at(w, pairs[p].key);
        if (k->type != YAML_SCALAR_NODE)
            return input_fail_at(err, w->path, node_line(k), where, "expected a field name, got %s",
                           node_kind(k));
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], scalar(k)) != 0) i++;
        if (!allowed[i]) {
            char list[MSG_MAX] = "";
            for (size_t j = 0; allowed[j]; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", j ? ", " : "",
                         allowed[j]);
            return input_fail_at(err, w->path, node_line(k), where,
                           "unknown field '%.40s' (expected one of: %s)", scalar(k), list);
        }
        for (size_t q = 0; q < p; q++) {
            const yaml_node_t *kq = node_at(w, pairs[q].key);
            if (kq->type == YAML_SCALAR_NODE && strcmp(scalar(kq), scalar(k)) == 0)
                return input_fail_at(err, w->path, node_line(k), where,
                               "duplicate field '%s' (first at line %zu)", scalar(k),
                               node_line(kq));
        }
    }
    return GS_OK;
}

/* A number field: "NAME.FIELD: expected a number, got ..." on anything else. */
static gs_status field_number(const walk *w, const yaml_node_t *v, size_t line, const char *key,
                              double *out, gs_error *err)
{
    char msg[MSG_MAX];
    if (v->type != YAML_SCALAR_NODE)
        return input_fail_at(err, w->path, line, key, "expected a number, got %s", node_kind(v));
    if (input_parse_number(scalar(v), out, msg, sizeof msg))
        return input_fail_at(err, w->path, line, key, "%s", msg);
    return GS_OK;
}

/* "target.field" into buf. */
static const char *field_key(char *buf, size_t size, const char *target, const char *field)
{
    snprintf(buf, size, "%.63s.%.20s", target, field);
    return buf;
}

/* A required field of entry `map`: its node, or "missing" at the entry's line. */
static gs_status required(const walk *w, const yaml_node_t *map, const char *target,
                          const char *field, const yaml_node_t **v, size_t *line, gs_error *err)
{
    char key[KEY_MAX];
    *v = map_get(w, map, field, line);
    if (!*v)
        return input_fail_at(err, w->path, node_line(map), field_key(key, sizeof key, target, field),
                       "missing (every target needs variable, date or window, transform, "
                       "value, sigma, discrepancy and source)");
    return GS_OK;
}

/* A name: 1 .. TARGETS_NAME_MAX − 1 characters of [A-Za-z0-9_.-]. */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= TARGETS_NAME_MAX) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* The variable of a target: an exact name of the table, or an error with the nearest
 * name when it is close (edit distance at most 2, or a third of the name). */
static gs_status read_variable(const walk *w, const yaml_node_t *v, size_t line, const char *key,
                               size_t *var, gs_error *err)
{
    if (v->type != YAML_SCALAR_NODE)
        return input_fail_at(err, w->path, line, key, "expected a variable name, got %s", node_kind(v));
    const char *name = scalar(v);
    size_t len = strlen(name), best = SIZE_MAX, best_d = SIZE_MAX;
    for (size_t i = 0; i < w->n_vars; i++) {
        if (strcmp(w->vars[i].name, name) == 0) {
            *var = i;
            return GS_OK;
        }
        size_t d = edit_distance(name, len, w->vars[i].name, strlen(w->vars[i].name));
        if (d < best_d) best = i, best_d = d;
    }
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    if (best != SIZE_MAX && best_d <= limit)
        return input_fail_at(err, w->path, line, key, "unknown variable '%.40s'; did you mean '%s'?",
                       name, w->vars[best].name);
    return input_fail_at(err, w->path, line, key, "unknown variable '%.40s'", name);
}

/* date: the cycle k containing t (t_k <= t < t_k + Δ) inside the history window and
 * the run; window [a, b): the cycles whose start lies in it, the window inside the
 * history window [t₀, now). */
static gs_status read_when(const walk *w, const yaml_node_t *map, const char *target,
                           targets_target *t, gs_error *err)
{
    const targets_calendar *cal = w->cal;
    char key[KEY_MAX], lo[40], hi[40], a_text[40], b_text[40];
    size_t ld = 0, lw = 0;
    const yaml_node_t *date = map_get(w, map, "date", &ld);
    const yaml_node_t *win = map_get(w, map, "window", &lw);
    input_format_number(lo, sizeof lo, cal->start_year);
    input_format_number(hi, sizeof hi, cal->now);
    if (date && win)
        return input_fail_at(err, w->path, lw, field_key(key, sizeof key, target, "window"),
                       "give either date or window, not both (date at line %zu)", ld);
    if (!date && !win)
        return input_fail_at(err, w->path, node_line(map), field_key(key, sizeof key, target, "date"),
                       "missing (give date: YEAR or window: [FROM, TO])");
    if (date) {
        field_key(key, sizeof key, target, "date");
        double x;
        GS_FORWARD(field_number(w, date, ld, key, &x, err));
        input_format_number(a_text, sizeof a_text, x);
        if (!(x >= cal->start_year && x < cal->now))
            return input_fail_at(err, w->path, ld, key,
                           "%s is outside the history window [%s, %s) (run.start_year, "
                           "history.now)",
                           a_text, lo, hi);
        double c = floor((x - cal->start_year) / cal->cycle_years + cycle_eps);
        if (c >= cal->n_cycles)
            return input_fail_at(err, w->path, ld, key, "%s is after the run's last cycle", a_text);
        t->is_window = 0;
        t->from = t->to = x;
        t->k_first = t->k_last = (int)c;
        return GS_OK;
    }
    field_key(key, sizeof key, target, "window");
    if (win->type != YAML_SEQUENCE_NODE ||
        win->data.sequence.items.top - win->data.sequence.items.start != 2)
        return input_fail_at(err, w->path, lw, key, "expected [FROM, TO] (the years [FROM, TO)), got %s",
                       win->type == YAML_SEQUENCE_NODE ? "a list of another length"
                                                       : node_kind(win));
    double a, b;
    GS_FORWARD(field_number(w, node_at(w, win->data.sequence.items.start[0]), lw, key, &a, err));
    GS_FORWARD(field_number(w, node_at(w, win->data.sequence.items.start[1]), lw, key, &b, err));
    input_format_number(a_text, sizeof a_text, a);
    input_format_number(b_text, sizeof b_text, b);
    if (!(a < b))
        return input_fail_at(err, w->path, lw, key, "FROM must be below TO, got [%s, %s)", a_text,
                       b_text);
    if (!(a >= cal->start_year && b <= cal->now))
        return input_fail_at(err, w->path, lw, key,
                       "[%s, %s) reaches outside the history window [%s, %s) (run.start_year, "
                       "history.now)",
                       a_text, b_text, lo, hi);
    double ka = ceil((a - cal->start_year) / cal->cycle_years - cycle_eps);
    double kb = ceil((b - cal->start_year) / cal->cycle_years - cycle_eps) - 1;
    if (ka > kb)
        return input_fail_at(err, w->path, lw, key,
                       "[%s, %s) holds no cycle start (cycles start every %g years from %s)",
                       a_text, b_text, cal->cycle_years, lo);
    if (kb >= cal->n_cycles)
        return input_fail_at(err, w->path, lw, key, "[%s, %s) reaches past the run's last cycle", a_text,
                       b_text);
    t->is_window = 1;
    t->from = a, t->to = b;
    t->k_first = (int)ka, t->k_last = (int)kb;
    return GS_OK;
}

/* One entry of `targets:` (position j, 0-based) into t; names of earlier entries are
 * t[-j .. -1] for the duplicate check. */
static gs_status read_target(const walk *w, const yaml_node_t *map, size_t j,
                             const targets_target *earlier, targets_target *t, gs_error *err)
{
    static const char *const allowed[] = {"name",  "variable", "date",        "window", "transform",
                                          "value", "sigma",    "discrepancy", "source", NULL};
    char key[KEY_MAX], where[KEY_MAX], got[40];
    size_t line;
    const yaml_node_t *v;
    snprintf(where, sizeof where, "targets[%zu]", j + 1);
    if (map->type != YAML_MAPPING_NODE)
        return input_fail_at(err, w->path, node_line(map), where,
                       "each target is a mapping (name:, variable:, ...), got %s", node_kind(map));
    t->line = (unsigned)node_line(map);

    /* name first: the other messages carry it */
    snprintf(t->name, sizeof t->name, "T%02zu", j + 1);
    if ((v = map_get(w, map, "name", &line))) {
        if (v->type != YAML_SCALAR_NODE || !valid_name(scalar(v)))
            return input_fail_at(err, w->path, line, field_key(key, sizeof key, where, "name"),
                           "expected 1 to %d characters of letters, digits, '_', '-' or '.'",
                           TARGETS_NAME_MAX - 1);
        snprintf(t->name, sizeof t->name, "%s", scalar(v));
    }
    for (size_t q = 0; q < j; q++)
        if (strcmp(earlier[q].name, t->name) == 0)
            return input_fail_at(err, w->path, v ? line : t->line,
                           field_key(key, sizeof key, t->name, "name"),
                           "duplicate target name '%s' (first at line %u; unnamed targets "
                           "are called T<position>)",
                           t->name, earlier[q].line);
    GS_FORWARD(only_keys(w, map, t->name, allowed, err));

    GS_FORWARD(required(w, map, t->name, "variable", &v, &line, err));
    GS_FORWARD(
        read_variable(w, v, line, field_key(key, sizeof key, t->name, "variable"), &t->var, err));
    const targets_var *var = &w->vars[t->var];

    GS_FORWARD(read_when(w, map, t->name, t, err));

    GS_FORWARD(required(w, map, t->name, "transform", &v, &line, err));
    field_key(key, sizeof key, t->name, "transform");
    int h = -1;
    for (int i = 0; v->type == YAML_SCALAR_NODE && i < 3; i++)
        if (strcmp(scalar(v), targets_transform_names[i]) == 0) h = i;
    if (h < 0)
        return input_fail_at(err, w->path, line, key, "expected log, logit or identity, got '%.40s'",
                       v->type == YAML_SCALAR_NODE ? scalar(v) : node_kind(v));
    t->transform = (targets_transform)h;
    if (t->transform == TARGETS_LOGIT && var->kind != TARGETS_VAR_SHARE)
        return input_fail_at(err, w->path, line, key,
                       "logit needs a share in (0, 1), and %s is not a share (use log or "
                       "identity)",
                       var->name);
    size_t transform_line = line;

    GS_FORWARD(required(w, map, t->name, "value", &v, &line, err));
    field_key(key, sizeof key, t->name, "value");
    GS_FORWARD(field_number(w, v, line, key, &t->value, err));
    input_format_number(got, sizeof got, t->value);
    if (t->transform == TARGETS_LOG && !(t->value > 0))
        return input_fail_at(err, w->path, line, key,
                       "must be > 0 under transform log (line %zu), got %s", transform_line, got);
    if (t->transform == TARGETS_LOGIT && !(t->value > 0 && t->value < 1))
        return input_fail_at(err, w->path, line, key,
                       "a share under transform logit (line %zu) must lie in (0, 1), got %s",
                       transform_line, got);
    if (var->kind == TARGETS_VAR_SHARE && !(t->value >= 0 && t->value <= 1))
        return input_fail_at(err, w->path, line, key, "%s is a share: must lie in [0, 1], got %s",
                       var->name, got);
    if (var->kind == TARGETS_VAR_POSITIVE && !(t->value >= 0))
        return input_fail_at(err, w->path, line, key, "%s is never negative, got %s", var->name, got);

    GS_FORWARD(required(w, map, t->name, "sigma", &v, &line, err));
    field_key(key, sizeof key, t->name, "sigma");
    GS_FORWARD(field_number(w, v, line, key, &t->sigma, err));
    input_format_number(got, sizeof got, t->sigma);
    if (!(t->sigma > 0))
        return input_fail_at(err, w->path, line, key,
                       "the observation uncertainty must be > 0 (in transformed units), got %s",
                       got);

    GS_FORWARD(required(w, map, t->name, "discrepancy", &v, &line, err));
    field_key(key, sizeof key, t->name, "discrepancy");
    GS_FORWARD(field_number(w, v, line, key, &t->discrepancy, err));
    input_format_number(got, sizeof got, t->discrepancy);
    if (!(t->discrepancy >= 0))
        return input_fail_at(err, w->path, line, key,
                       "the model discrepancy must be >= 0 (in transformed units), got %s", got);

    GS_FORWARD(required(w, map, t->name, "source", &v, &line, err));
    field_key(key, sizeof key, t->name, "source");
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        return input_fail_at(err, w->path, line, key, "expected a non-empty text, got %s",
                       v->type == YAML_SCALAR_NODE ? "nothing" : node_kind(v));
    if (v->data.scalar.length >= TARGETS_SOURCE_MAX)
        return input_fail_at(err, w->path, line, key, "at most %d characters", TARGETS_SOURCE_MAX - 1);
    t->source = malloc(v->data.scalar.length + 1);
    if (!t->source) return input_fail_nomem(err, w->path);
    memcpy(t->source, scalar(v), v->data.scalar.length + 1);

    t->h_value = targets_transform_apply(t->transform, t->value);
    t->scale = hypot(t->sigma, t->discrepancy);
    return GS_OK;
}

/* The top-level mapping: name, description (texts, unused here) and targets. */
static gs_status read_document(const walk *w, targets_set *set, gs_error *err)
{
    static const char *const allowed[] = {"name", "description", "targets", NULL};
    const yaml_node_t *root = yaml_document_get_root_node(w->doc);
    if (!root)
        return input_fail_at(err, w->path, 1, "targets", "empty file (expected targets: and a list)");
    if (root->type != YAML_MAPPING_NODE)
        return input_fail_at(err, w->path, node_line(root), "file",
                       "expected a mapping (targets: ...) at the top level, got %s",
                       node_kind(root));
    GS_FORWARD(only_keys(w, root, "file", allowed, err));
    size_t line;
    const yaml_node_t *v;
    for (int i = 0; i < 2; i++)
        if ((v = map_get(w, root, allowed[i], &line)) && v->type != YAML_SCALAR_NODE)
            return input_fail_at(err, w->path, line, allowed[i], "expected a text, got %s", node_kind(v));
    v = map_get(w, root, "targets", &line);
    if (!v) return input_fail_at(err, w->path, node_line(root), "targets", "missing");
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return input_fail_at(err, w->path, line, "targets", "expected a non-empty list of targets");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > TARGETS_MAX)
        return input_fail_at(err, w->path, line, "targets", "at most %d targets, got %zu", TARGETS_MAX,
                       n);
    set->t = calloc(n, sizeof *set->t);
    if (!set->t) return input_fail_nomem(err, w->path);
    set->n = n; /* zeroed entries: targets_free may free them whatever happens next */
    set->last_cycle = 0;
    for (size_t j = 0; j < n; j++) {
        GS_FORWARD(read_target(w, node_at(w, v->data.sequence.items.start[j]), j, set->t,
                               &set->t[j], err));
        if (set->t[j].k_last > set->last_cycle) set->last_cycle = set->t[j].k_last;
    }
    return GS_OK;
}

/* libyaml's problem as "FILE:LINE: syntax error: problem". */
static gs_status yaml_failure(const yaml_parser_t *parser, const char *path, const char *text,
                              size_t len, gs_error *err)
{
    if (parser->error == YAML_MEMORY_ERROR) return input_fail_nomem(err, path);
    size_t line = 1;
    if (parser->error == YAML_READER_ERROR) {
        for (size_t i = 0; i < parser->problem_offset && i < len; i++) line += text[i] == '\n';
    } else {
        line = parser->problem_mark.line + 1;
    }
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    if (parser->context)
        return input_fail_at(err, path, line, "syntax error", "%s (%s at line %zu)", problem,
                       parser->context, parser->context_mark.line + 1);
    return input_fail_at(err, path, line, "syntax error", "%s", problem);
}

/* Walks the events of text[0..len) and fails as soon as mappings and lists nest deeper
 * than TARGETS_DEPTH_MAX ("FILE:LINE: file: ...") or the YAML is malformed.  Run before
 * the document is built: libyaml's scanner spends time quadratic in the depth of
 * nesting, so a 1 MiB file of "[[[[..." would otherwise take minutes; the event pass
 * stops at the first level too deep. */
static gs_status check_depth(const char *text, size_t len, const char *path, gs_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return input_fail_nomem(err, path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    gs_status st = GS_OK;
    int depth = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            st = yaml_failure(&parser, path, text, len, err);
            break;
        }
        yaml_event_type_t type = ev.type;
        size_t line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            if (++depth > TARGETS_DEPTH_MAX) {
                st = input_fail_at(err, path, line, "file",
                             "lists and mappings nested deeper than %d levels", TARGETS_DEPTH_MAX);
                break;
            }
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (type == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    return st;
}

/* ---- public: loading ----------------------------------------------------------------- */

void targets_free(targets_set *set)
{
    if (!set) return;
    for (size_t j = 0; set->t && j < set->n; j++) free(set->t[j].source);
    free(set->t);
    free(set->path);
    memset(set, 0, sizeof *set);
}

double targets_transform_apply(targets_transform h, double x)
{
    switch (h) {
    case TARGETS_LOG:
        return x >= 0 ? log(x) : (double)NAN;
    case TARGETS_LOGIT:
        return x >= 0 && x <= 1 ? log(x / (1 - x)) : (double)NAN;
    default:
        return x;
    }
}

double targets_transform_invert(targets_transform h, double y)
{
    switch (h) {
    case TARGETS_LOG:
        return exp(y);
    case TARGETS_LOGIT:
        return 1 / (1 + exp(-y));
    default:
        return y;
    }
}

void targets_band(const targets_target *t, double cutoff, double *lo, double *hi)
{
    *lo = targets_transform_invert(t->transform, t->h_value - cutoff * t->scale);
    *hi = targets_transform_invert(t->transform, t->h_value + cutoff * t->scale);
}

gs_status targets_parse(const char *text, size_t len, const char *path, const targets_var *vars,
                        size_t n_vars, const targets_calendar *cal, targets_set *set, gs_error *err)
{
    memset(set, 0, sizeof *set);
    if (!path) path = "(string)";
    if (!(cal->cycle_years > 0 && isfinite(cal->cycle_years) && isfinite(cal->start_year) &&
          cal->n_cycles >= 1 && isfinite(cal->now) && cal->now > cal->start_year))
        return gs_error_set(err, GS_ERR_INPUT,
                            "%s: history.now must be after run.start_year, with cycle_years > 0 "
                            "and at least one cycle",
                            path);
    if (len > TARGETS_FILE_MAX)
        return input_fail_at(err, path, 1, "file", "larger than %d bytes", TARGETS_FILE_MAX);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        size_t line = 1;
        for (const char *c = text; c < nul; c++) line += *c == '\n';
        return input_fail_at(err, path, line, "file", "holds a NUL byte (not a text file)");
    }
    GS_FORWARD(check_depth(text, len, path, err));
    targets_set tmp = {0};
    tmp.path = malloc(strlen(path) + 1);
    if (!tmp.path) return input_fail_nomem(err, path);
    strcpy(tmp.path, path);

    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        targets_free(&tmp);
        return input_fail_nomem(err, path);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    gs_status st;
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_failure(&parser, path, text, len, err);
    } else {
        walk w = {path, &doc, vars, n_vars, cal};
        st = read_document(&w, &tmp, err);
        yaml_document_delete(&doc);
        if (st == GS_OK) {
            if (!yaml_parser_load(&parser, &doc)) {
                st = yaml_failure(&parser, path, text, len, err);
            } else {
                const yaml_node_t *extra = yaml_document_get_root_node(&doc);
                if (extra)
                    st = input_fail_at(err, path, node_line(extra), "file",
                                 "only one YAML document is allowed");
                yaml_document_delete(&doc);
            }
        }
    }
    yaml_parser_delete(&parser);
    if (st != GS_OK) {
        targets_free(&tmp);
        return st;
    }
    *set = tmp;
    return GS_OK;
}

gs_status targets_load(const char *path, const targets_var *vars, size_t n_vars,
                       const targets_calendar *cal, targets_set *set, gs_error *err)
{
    memset(set, 0, sizeof *set);
    FILE *f = fopen(path, "rb");
    if (!f) return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    /* read at most one byte past the limit, so an oversized file is reported as such */
    size_t cap = TARGETS_FILE_MAX + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return input_fail_nomem(err, path);
    }
    size_t len = fread(buf, 1, cap, f);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) {
        free(buf);
        return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(read_errno));
    }
    gs_status st = targets_parse(buf, len, path, vars, n_vars, cal, set, err);
    free(buf);
    return st;
}

/* ---- implausibility and acceptance --------------------------------------------------- */

int targets_rule_find(const char *name)
{
    if (strcmp(name, "max") == 0) return TARGETS_RULE_MAX;
    if (strcmp(name, "second_max") == 0) return TARGETS_RULE_SECOND_MAX;
    return -1;
}

void targets_tally_clear(targets_tally *t)
{
    memset(t, 0, sizeof *t);
}

void targets_tally_add(targets_tally *acc, const targets_tally *b)
{
    acc->drawn += b->drawn;
    acc->accepted += b->accepted;
    for (size_t j = 0; j < TARGETS_MAX; j++) acc->rejected[j] += b->rejected[j];
}

void targets_rank_rejections(const targets_set *set, const targets_tally *tally, size_t *order)
{
    for (size_t i = 0; i < set->n; i++) { /* insertion sort: stable, J is small */
        size_t j = i;
        while (j > 0 && tally->rejected[i] > tally->rejected[order[j - 1]]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

void targets_describe_rejections(const targets_set *set, const targets_tally *tally, size_t count,
                                 char *buf, size_t size)
{
    size_t order[TARGETS_MAX];
    targets_rank_rejections(set, tally, order);
    if (size == 0) return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t r = 0; r < count && r < set->n && used < size; r++) {
        size_t j = order[r];
        double share =
            tally->drawn ? (double)tally->rejected[j] / (double)tally->drawn : (double)NAN;
        int w = snprintf(buf + used, size - used, "%s%s %.1f%%", r ? ", " : "", set->t[j].name,
                         100 * share);
        if (w < 0) break;
        used += (size_t)w;
    }
}

struct targets_acc {
    const targets_set *set; /* borrowed */
    size_t n;
    double *sum;           /* [J][n]: Σ_k v_j over the target's cycles, then f_ij */
    double *impl;          /* [J][n]: I_ij */
    double *score;         /* [n]: max or second max of I_ij over j */
    unsigned char *accept; /* [n] */
};

targets_acc *targets_acc_alloc(const targets_set *set, size_t n)
{
    if (n == 0 || set->n == 0 || n > SIZE_MAX / sizeof(double) / set->n) return NULL;
    targets_acc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->set = set;
    a->n = n;
    a->sum = calloc(set->n * n, sizeof *a->sum);
    a->impl = calloc(set->n * n, sizeof *a->impl);
    a->score = calloc(n, sizeof *a->score);
    a->accept = calloc(n, 1);
    if (!a->sum || !a->impl || !a->score || !a->accept) {
        targets_acc_free(a);
        return NULL;
    }
    return a;
}

void targets_acc_free(targets_acc *acc)
{
    if (!acc) return;
    free(acc->sum);
    free(acc->impl);
    free(acc->score);
    free(acc->accept);
    free(acc);
}

void targets_acc_reset(targets_acc *acc)
{
    memset(acc->sum, 0, acc->set->n * acc->n * sizeof *acc->sum);
    memset(acc->impl, 0, acc->set->n * acc->n * sizeof *acc->impl);
    memset(acc->score, 0, acc->n * sizeof *acc->score);
    memset(acc->accept, 0, acc->n);
}

int targets_acc_needs(const targets_acc *acc, int k)
{
    for (size_t j = 0; j < acc->set->n; j++)
        if (k >= acc->set->t[j].k_first && k <= acc->set->t[j].k_last) return 1;
    return 0;
}

void targets_acc_feed(targets_acc *acc, int k, size_t first, size_t count, const double *const *out)
{
    const size_t n = acc->n;
    for (size_t j = 0; j < acc->set->n; j++) {
        const targets_target *t = &acc->set->t[j];
        if (k < t->k_first || k > t->k_last) continue;
        double *restrict s = acc->sum + j * n + first;
        const double *restrict x = out[t->var];
        for (size_t i = 0; i < count; i++) s[i] += x[i];
    }
}

/*   f_ij = h_j(Σ_k v_ijk / m_j)   (m_j cycles),
 *   I_ij = |f_ij − h_j(z_j)| / √(σ_j² + d_j²), ∞ when f_ij is not finite;
 *   score_i = max_j I_ij, or the second largest (the largest when J = 1);
 *   accepted when score_i <= c; target j rejects i when I_ij > c. */
void targets_acc_decide(targets_acc *acc, targets_rule rule, double cutoff, size_t first,
                        size_t count, targets_tally *tally)
{
    const size_t n = acc->n, J = acc->set->n;
    for (size_t j = 0; j < J; j++) {
        const targets_target *t = &acc->set->t[j];
        const double cycles = (double)(t->k_last - t->k_first + 1);
        double *f = acc->sum + j * n + first, *I = acc->impl + j * n + first;
        uint64_t rejected = 0;
        for (size_t i = 0; i < count; i++) {
            f[i] = targets_transform_apply(t->transform, f[i] / cycles);
            I[i] = isfinite(f[i]) ? fabs(f[i] - t->h_value) / t->scale : (double)INFINITY;
            rejected += I[i] > cutoff;
        }
        tally->rejected[j] += rejected;
    }
    uint64_t accepted = 0;
    for (size_t i = first; i < first + count; i++) {
        double top = -1, second = -1; /* I >= 0, so -1 is below every value */
        for (size_t j = 0; j < J; j++) {
            double x = acc->impl[j * n + i];
            if (x > top)
                second = top, top = x;
            else if (x > second)
                second = x;
        }
        double s = rule == TARGETS_RULE_SECOND_MAX && J > 1 ? second : top;
        acc->score[i] = s;
        acc->accept[i] = s <= cutoff;
        accepted += acc->accept[i];
    }
    tally->drawn += count;
    tally->accepted += accepted;
}

const double *targets_acc_simulated(const targets_acc *acc, size_t j)
{
    return acc->sum + j * acc->n;
}

const double *targets_acc_implausibility(const targets_acc *acc, size_t j)
{
    return acc->impl + j * acc->n;
}

const double *targets_acc_score(const targets_acc *acc)
{
    return acc->score;
}

const unsigned char *targets_acc_accepted(const targets_acc *acc)
{
    return acc->accept;
}

gs_status targets_acc_quantiles(const targets_acc *acc, size_t j, int accepted_only,
                                double out[TARGETS_N_LEVELS], size_t *n_used, gs_error *err)
{
    const targets_target *t = &acc->set->t[j];
    const double *f = targets_acc_simulated(acc, j);
    double *buf = malloc(acc->n * sizeof *buf);
    GS_RETURN_IF(!buf, err, GS_ERR_NOMEM, "%s: out of memory for %zu simulated values", t->name,
                 acc->n);
    size_t m = 0;
    for (size_t i = 0; i < acc->n; i++)
        if (isfinite(f[i]) && (!accepted_only || acc->accept[i]))
            buf[m++] = targets_transform_invert(t->transform, f[i]);
    targets_quantiles5(buf, m, out);
    free(buf);
    if (n_used) *n_used = m;
    return GS_OK;
}

/* ---- waves --------------------------------------------------------------------------- */

gs_status targets_wave_box(const double *draws, size_t n, size_t d, const unsigned char *accept,
                           const double *prior_lo, const double *prior_hi, double widen, double *lo,
                           double *hi, gs_error *err)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += !accept || accept[i];
    GS_RETURN_IF(kept < 2, err, GS_ERR_NUMERIC,
                 "waves: %zu accepted trajectories, at least 2 are needed for the next wave", kept);
    for (size_t p = 0; p < d; p++) {
        double m = INFINITY, M = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            if (accept && !accept[i]) continue;
            double x = draws[i * d + p];
            GS_RETURN_IF(!isfinite(x), err, GS_ERR_NUMERIC,
                         "waves: parameter %zu: draw of row %zu is not finite", p, i);
            if (x < m) m = x;
            if (x > M) M = x;
        }
        GS_RETURN_IF(!(M > m), err, GS_ERR_NUMERIC,
                     "waves: parameter %zu: every accepted draw equals %g (no range to widen)", p,
                     m);
        /* [m − w (M − m), M + w (M − m)] ∩ [prior_lo, prior_hi] */
        double width = M - m;
        lo[p] = fmax(m - widen * width, prior_lo[p]);
        hi[p] = fmin(M + widen * width, prior_hi[p]);
    }
    return GS_OK;
}

double targets_wave_movement(double p1, double se1, double p2, double se2)
{
    double se = hypot(se1, se2);
    if (p1 == p2) return 0;
    return (p2 - p1) / se; /* ±∞ when both se are 0 */
}

/* ---- prior and posterior summaries --------------------------------------------------- */

/* One three-way partition of x[lo..hi) (hi - lo > 1) around the median of its first,
 * middle and last values: afterwards [lo, *lt) < pivot, [*lt, *gt) == pivot and
 * [*gt, hi) > pivot. */
static void partition3(double *x, size_t lo, size_t hi, size_t *lt_out, size_t *gt_out)
{
    double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi - 1];
    double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    size_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
        double v = x[i];
        if (v < pivot) {
            x[i] = x[lt], x[lt] = v;
            lt++, i++;
        } else if (v > pivot) {
            gt--;
            x[i] = x[gt], x[gt] = v;
        } else {
            i++;
        }
    }
    *lt_out = lt, *gt_out = gt;
}

/* Moves the k-th smallest of x[lo..hi) (0-based, lo <= k < hi) to x[k], with every
 * value before it <= x[k] <= every value after it (quickselect with a three-way
 * partition and a median-of-three pivot; no NaN in x).  The order statistic is exact
 * whatever the pivots. */
static void select_rank(double *x, size_t lo, size_t hi, size_t k)
{
    while (hi - lo > 1) {
        size_t lt, gt;
        partition3(x, lo, hi, &lt, &gt);
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return; /* x[k] == pivot, in its place */
    }
}

/* Moves each of the order statistics rank[0..nr) (ascending, distinct, all in
 * [lo, hi)) of x[lo..hi) to its place, in one descent: the partition of select_rank,
 * then only the sides that hold wanted ranks (the side with fewer ranks by recursion,
 * the other by the loop).  Expected work about n log2(nr) instead of nr passes over
 * the tail. */
static void select_ranks(double *x, size_t lo, size_t hi, const size_t *rank, size_t nr)
{
    while (nr > 0 && hi - lo > 1) {
        size_t lt, gt;
        partition3(x, lo, hi, &lt, &gt);
        size_t nl = 0, nh = nr; /* rank[0..nl) < lt, rank[nh..nr) >= gt */
        while (nl < nr && rank[nl] < lt) nl++;
        while (nh > nl && rank[nh - 1] >= gt) nh--;
        if (nl <= nr - nh) {
            select_ranks(x, lo, lt, rank, nl);
            lo = gt, rank += nh, nr -= nh;
        } else {
            select_ranks(x, gt, hi, rank + nh, nr - nh);
            hi = lt, nr = nl;
        }
    }
}

void targets_quantiles5(double *x, size_t m, double out[TARGETS_N_LEVELS])
{
    if (m == 0) {
        for (int l = 0; l < TARGETS_N_LEVELS; l++) out[l] = NAN;
        return;
    }
    /* the order statistics l and l + 1 of each level, ascending and distinct */
    size_t rank[2 * TARGETS_N_LEVELS];
    const size_t nu = stats_wanted_ranks(targets_levels, TARGETS_N_LEVELS, m, rank);
    /* Without −0 (and NaN, which the caller excludes) equal values have equal bits, so
     * every exact selection leaves the same bits at the wanted ranks: one descent for
     * all of them.  With −0 among the values, which of the two zeros lands at a rank
     * depends on the steps taken: the selections in increasing order, as always. */
    int signed_zero = 0;
    for (size_t i = 0; i < m; i++) signed_zero |= (x[i] == 0 && signbit(x[i])) || isnan(x[i]);
    if (!signed_zero) {
        select_ranks(x, 0, m, rank, nu);
    } else {
        size_t from = 0;
        for (size_t i = 0; i < nu; i++) {
            select_rank(x, from, m, rank[i]);
            from = rank[i] + 1;
        }
    }
    for (int q = 0; q < TARGETS_N_LEVELS; q++) {
        /* h = p (m − 1), l = ⌊h⌋: x_(l) + (h − l)(x_(l+1) − x_(l)) in stats_quantiles'
         * arithmetic (GSL's, exact when the two order statistics are equal), so the
         * engine's distributed quantiles of the same values agree to the bit */
        const double h = targets_levels[q] * (double)(m - 1);
        const size_t l = (size_t)h;
        const double delta = h - (double)l, lo = x[l];
        if (l + 1 >= m) {
            out[q] = lo;
            continue;
        }
        const double hi = x[l + 1];
        out[q] = lo == hi ? lo : (1.0 - delta) * lo + delta * hi;
    }
}

/* Parameters in blocks of SUMMARY_BLOCK, the blocks in parallel: one pass over the
 * rows gathers a block's columns (8 adjacent doubles of a row, one cache line, instead
 * of one strided pass per parameter).  Each parameter's quantiles are exact order
 * statistics of its own values, so neither the blocks nor the threads change a bit;
 * a non-finite draw is reported for the first parameter, and its first row, as before. */
enum { SUMMARY_BLOCK = 8 };

static void summarize_block(const double *draws, size_t n, size_t d, const unsigned char *accept,
                            size_t p0, size_t w, double *buf, size_t *bad,
                            targets_param_summary *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < w; k++) buf[k * n + i] = draws[i * d + p0 + k];
    int any_bad = 0;
    for (size_t k = 0; k < w; k++) {
        bad[p0 + k] = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(buf[k * n + i])) {
                bad[p0 + k] = i, any_bad = 1;
                break;
            }
    }
    if (any_bad) return;
    for (size_t k = 0; k < w; k++) targets_quantiles5(buf + k * n, n, out[p0 + k].prior);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (accept[i]) {
            for (size_t k = 0; k < w; k++) buf[k * n + m] = draws[i * d + p0 + k];
            m++;
        }
    for (size_t k = 0; k < w; k++) {
        targets_param_summary *s = &out[p0 + k];
        targets_quantiles5(buf + k * n, m, s->posterior);
        /* shift = (median_post − median_prior) / (Q75_prior − Q25_prior) */
        double move = s->posterior[2] - s->prior[2], iqr = s->prior[3] - s->prior[1];
        if (m == 0)
            s->shift = NAN;
        else if (move == 0)
            s->shift = 0;
        else if (iqr > 0)
            s->shift = move / iqr;
        else
            s->shift = move > 0 ? INFINITY : -INFINITY;
    }
}

gs_status targets_summarize(const double *draws, size_t n, size_t d, const unsigned char *accept,
                            targets_param_summary *out, gs_error *err)
{
    const size_t blocks = (d + SUMMARY_BLOCK - 1) / SUMMARY_BLOCK;
    size_t *bad = malloc((d ? d : 1) * sizeof *bad);
    GS_RETURN_IF(!bad, err, GS_ERR_NOMEM, "history summaries: out of memory for %zu draws", n);
    int nomem = 0;
#pragma omp parallel reduction(| : nomem)
    {
        double *buf = malloc(SUMMARY_BLOCK * (n ? n : 1) * sizeof *buf);
        nomem = !buf;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < blocks; b++) {
            size_t p0 = b * SUMMARY_BLOCK, w = d - p0 < SUMMARY_BLOCK ? d - p0 : SUMMARY_BLOCK;
            if (buf) summarize_block(draws, n, d, accept, p0, w, buf, bad, out);
        }
        free(buf);
    }
    if (nomem) {
        free(bad);
        return gs_error_set(err, GS_ERR_NOMEM, "history summaries: out of memory for %zu draws", n);
    }
    for (size_t p = 0; p < d; p++)
        if (bad[p] != SIZE_MAX) {
            size_t i = bad[p];
            free(bad);
            return gs_error_set(err, GS_ERR_NUMERIC,
                                "history summaries: parameter %zu: draw of row %zu is not finite",
                                p, i);
        }
    free(bad);
    return GS_OK;
}

/* a before b: |shift| larger, NaN last, then the lower index. */
static int moved_before(const targets_param_summary *s, size_t a, size_t b)
{
    double x = fabs(s[a].shift), y = fabs(s[b].shift);
    if (isnan(x) != isnan(y)) return isnan(y);
    if (!isnan(x) && x != y) return x > y;
    return a < b;
}

void targets_rank_moved(const targets_param_summary *s, size_t d, size_t *order)
{
    for (size_t i = 0; i < d; i++) {
        size_t j = i;
        while (j > 0 && moved_before(s, i, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}
