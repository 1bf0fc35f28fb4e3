/* upgrade.c - see upgrade.h. */
#include "upgrade.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "input.h"
#include "params.h"
#include "scenario.h"

enum { NOTE_MAX = 640, WRAP = 88 };

/* A growing NUL-terminated string; `bad` once an allocation failed. */
typedef struct {
    char *s;
    size_t len, cap;
    int bad;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->bad) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[2 * NOTE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    sb_add(b, tmp, strlen(tmp));
}

/* The edits, by line of the input: comment lines to put before a line, byte ranges of
 * a line to replace, lines to comment out. */
typedef struct {
    size_t line;
    char *text; /* comment text, without '#' and indentation */
} note;
typedef struct {
    size_t from, to; /* byte offsets in the input */
    char *with;
} repl;
typedef struct {
    const char *text, *path;
    size_t len, nlines;
    size_t *start; /* start[i]: offset of line i; start[nlines] = len */
    unsigned char *dropped;
    note *notes;
    size_t nnotes, cap_notes;
    repl *repls;
    size_t nrepls, cap_repls;
    sbuf log;
    int nomem;
} upgrader;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

static void add_note(upgrader *u, size_t line, const char *text)
{
    if (u->nnotes == u->cap_notes) {
        size_t cap = u->cap_notes ? 2 * u->cap_notes : 32;
        note *p = realloc(u->notes, cap * sizeof *p);
        if (!p) {
            u->nomem = 1;
            return;
        }
        u->notes = p, u->cap_notes = cap;
    }
    char *t = dup_str(text);
    if (!t) {
        u->nomem = 1;
        return;
    }
    u->notes[u->nnotes++] = (note){line, t};
}

static void add_repl(upgrader *u, size_t from, size_t to, const char *with)
{
    if (u->nrepls == u->cap_repls) {
        size_t cap = u->cap_repls ? 2 * u->cap_repls : 32;
        repl *p = realloc(u->repls, cap * sizeof *p);
        if (!p) {
            u->nomem = 1;
            return;
        }
        u->repls = p, u->cap_repls = cap;
    }
    char *t = dup_str(with);
    if (!t) {
        u->nomem = 1;
        return;
    }
    u->repls[u->nrepls++] = (repl){from, to, t};
}

static const char *scalar(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* The byte offset of a node's start (libyaml counts columns in characters: walk the
 * line's UTF-8). */
static size_t node_offset(const upgrader *u, const yaml_node_t *n)
{
    size_t line = n->start_mark.line, col = n->start_mark.column;
    if (line >= u->nlines) return u->len;
    size_t off = u->start[line], end = u->start[line + 1];
    for (size_t c = 0; c < col && off < end; c++) {
        off++;
        while (off < end && ((unsigned char)u->text[off] & 0xC0) == 0x80) off++;
    }
    return off;
}

/* The byte range of a plain scalar in the input, or 0 when it cannot be found there
 * exactly (a quoted or multi-line scalar). */
static int scalar_range(const upgrader *u, const yaml_node_t *n, size_t *from, size_t *to)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    size_t off = node_offset(u, n), len = n->data.scalar.length;
    if (off + len > u->len || memcmp(u->text + off, n->data.scalar.value, len) != 0) return 0;
    *from = off, *to = off + len;
    return 1;
}

/* The last input line a pair (key k, value v) occupies: a block value's end mark sits at
 * column 0 of the line after it. */
static size_t last_line(const yaml_node_t *k, const yaml_node_t *v)
{
    size_t last = v->end_mark.line;
    if (v->end_mark.column == 0 && last > k->start_mark.line) last--;
    return last;
}

static void drop_pair(upgrader *u, const char *key, const yaml_node_t *k, const yaml_node_t *v,
                      const char *why)
{
    size_t first = k->start_mark.line, last = last_line(k, v);
    for (size_t l = first; l <= last && l < u->nlines; l++) u->dropped[l] = 1;
    char t[NOTE_MAX];
    snprintf(t, sizeof t, "dropped by gapsim check --upgrade: %s %s", key, why);
    add_note(u, first, t);
    sb_printf(&u->log, "%s:%zu: %s: dropped (%s)\n", u->path, first + 1, key, why);
}

/* A version 2 number as a scenario would write it: 6 significant digits, the exponent
 * without '+' and leading zeros (6.66667e9). */
static void format_value(char *buf, size_t size, double x)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.6g", x);
    char *e = strchr(tmp, 'e');
    if (!e) {
        snprintf(buf, size, "%s", tmp);
        return;
    }
    *e = '\0';
    const char *p = e + 1;
    int neg = *p == '-';
    if (*p == '+' || *p == '-') p++;
    while (*p == '0' && p[1]) p++;
    snprintf(buf, size, "%se%s%s", tmp, neg ? "-" : "", p);
}

/* Converts the plain number n of key id in place; returns 0 when n is not one. */
static int convert_scalar(upgrader *u, gs_param_id id, const yaml_node_t *n, char *note_text,
                          size_t size, char *was, size_t was_size)
{
    double x, y;
    char msg[128];
    size_t from, to;
    if (n->type != YAML_SCALAR_NODE || input_parse_number(scalar(n), &x, msg, sizeof msg) != 0 ||
        !scalar_range(u, n, &from, &to))
        return 0;
    if (params_v1_upgrade(id, 1, x, &y, note_text, size) != PARAMS_V1_CONVERT) return 0;
    char v[64 + 64];
    format_value(v, sizeof v - 64, y);
    /* keep a trailing comment in its column: pad a shorter value with blanks, let a
     * longer one take blanks that follow it (leaving one) */
    size_t old_len = to - from, new_len = strlen(v), blanks = 0;
    while (to + blanks < u->len && u->text[to + blanks] == ' ') blanks++;
    if (blanks && to + blanks < u->len && u->text[to + blanks] == '#') {
        if (new_len < old_len) {
            size_t pad = old_len - new_len;
            memset(v + new_len, ' ', pad < 63 ? pad : 63);
            v[new_len + (pad < 63 ? pad : 63)] = '\0';
        } else {
            size_t take = new_len - old_len;
            to += take < blanks ? take : blanks - 1;
        }
    }
    add_repl(u, from, to, v);
    v[new_len] = '\0';
    snprintf(was, was_size, "%s -> %s", scalar(n), v);
    return 1;
}

/* Converts every number of the list v in place into *all ("a -> b, ..."); on failure
 * takes its replacements back and returns 0. */
static int convert_list(upgrader *u, yaml_document_t *doc, gs_param_id id, const yaml_node_t *v,
                        char *note_text, size_t size, sbuf *all)
{
    size_t keep = u->nrepls;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        char one[256];
        const yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!e || !convert_scalar(u, id, e, note_text, size, one, sizeof one)) {
            while (u->nrepls > keep) free(u->repls[--u->nrepls].with);
            return 0;
        }
        sb_printf(all, "%s%s", all->len ? ", " : "", one);
    }
    return !all->bad && all->len > 0;
}

/* One key of a version 1 file: its value node v (a number, a list of numbers in a sweep,
 * a distribution). */
static void upgrade_key(upgrader *u, yaml_document_t *doc, const char *key, gs_param_id id,
                        const yaml_node_t *k, const yaml_node_t *v)
{
    char by_hand[NOTE_MAX], note_text[NOTE_MAX], t[2 * NOTE_MAX];
    double y;
    size_t line = k->start_mark.line;
    /* have_value = 0: SAME, or the note to write when the value is not converted */
    if (params_v1_upgrade(id, 0, 0.0, &y, by_hand, sizeof by_hand) == PARAMS_V1_SAME) return;
    int converts = params_v1_upgrade(id, 1, 1.0, &y, note_text, sizeof note_text) == PARAMS_V1_CONVERT;
    if (converts) {
        sbuf all = {0};
        int done = 0;
        if (v->type == YAML_SCALAR_NODE) {
            char was[256];
            done = convert_scalar(u, id, v, note_text, sizeof note_text, was, sizeof was);
            if (done) sb_printf(&all, "%s", was);
        } else if (v->type == YAML_SEQUENCE_NODE) {
            done = convert_list(u, doc, id, v, note_text, sizeof note_text, &all);
        }
        if (done && !all.bad) {
            snprintf(t, sizeof t, "upgraded from version 1 (%s): %s", all.s, note_text);
            add_note(u, line, t);
            sb_printf(&u->log, "%s:%zu: %s: converted %s (%s)\n", u->path, line + 1, key, all.s,
                      note_text);
            free(all.s);
            return;
        }
        free(all.s);
    }
    snprintf(t, sizeof t, "version 2: %s", by_hand);
    add_note(u, line, t);
    sb_printf(&u->log, "%s:%zu: %s: kept; %s\n", u->path, line + 1, key, by_hand);
}

/* The sweep section: the keys of its grid and ranges. */
static void upgrade_sweep(upgrader *u, yaml_document_t *doc, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE || v->type != YAML_MAPPING_NODE) continue;
        if (strcmp(scalar(k), "grid") != 0 && strcmp(scalar(k), "ranges") != 0) continue;
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
            const yaml_node_t *kk = yaml_document_get_node(doc, q->key);
            const yaml_node_t *vv = yaml_document_get_node(doc, q->value);
            if (!kk || !vv || kk->type != YAML_SCALAR_NODE) continue;
            int id = params_find(scalar(kk));
            if (id >= 0) upgrade_key(u, doc, scalar(kk), (gs_param_id)id, kk, vv);
        }
    }
}

/* A section of model parameters (or run keys): each of its keys. */
static void upgrade_section(upgrader *u, yaml_document_t *doc, const char *name,
                            const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) return;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE) continue;
        char key[256];
        snprintf(key, sizeof key, "%s.%s", name, scalar(k));
        int id = params_find(key);
        if (id >= 0)
            upgrade_key(u, doc, key, (gs_param_id)id, k, v);
        else if (scenario_runkey_find(key) < 0)
            drop_pair(u, key, k, v, "is not a key of model version 2");
    }
}

/* Is name the section of some key (the part before its dot)? */
static int known_section(const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < PARAM_COUNT; i++)
        if (strncmp(params_table[i].key, name, n) == 0 && params_table[i].key[n] == '.') return 1;
    for (int i = 0; i < RUNKEY_COUNT; i++)
        if (strncmp(runkeys_table[i].key, name, n) == 0 && runkeys_table[i].key[n] == '.') return 1;
    return 0;
}

/* Writes text as comment lines "<indent># ..." wrapped at WRAP columns. */
static void put_comment(sbuf *b, const char *indent, size_t nindent, const char *text)
{
    const char *s = text;
    while (*s) {
        size_t room = WRAP > nindent + 2 ? WRAP - nindent - 2 : 40, n = strlen(s);
        if (n > room) {
            size_t cut = room;
            while (cut > 0 && s[cut] != ' ') cut--;
            n = cut ? cut : room;
        }
        sb_add(b, indent, nindent);
        sb_add(b, "# ", 2);
        sb_add(b, s, n);
        sb_add(b, "\n", 1);
        s += n;
        while (*s == ' ') s++;
    }
}

static int by_from(const void *a, const void *b)
{
    const repl *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

static gs_status assemble(upgrader *u, size_t header_line, int add_model, sbuf *out)
{
    if (u->nrepls) qsort(u->repls, u->nrepls, sizeof *u->repls, by_from); /* repls may be NULL */
    size_t r = 0;
    for (size_t l = 0; l < u->nlines; l++) {
        const char *line = u->text + u->start[l];
        size_t n = u->start[l + 1] - u->start[l], ind = 0;
        while (ind < n && line[ind] == ' ') ind++;
        if (add_model && l == header_line) {
            put_comment(out, "", 0,
                        "Upgraded from model version 1 by `gapsim check --upgrade`: every key "
                        "kept its name; those whose meaning changed are converted or annotated "
                        "where they are set (docs/model.md, \"What changed from version 1\"). "
                        "Keys this file leaves out take version 2's defaults, which describe "
                        "the market at run.start_year, 2024.0 (docs/calibration.md).");
            sb_add(out, "model: 2\n\n", 10);
        }
        for (size_t i = 0; i < u->nnotes; i++)
            if (u->notes[i].line == l) put_comment(out, line, ind, u->notes[i].text);
        if (u->dropped[l]) {
            sb_add(out, line, ind);
            sb_add(out, "# ", 2);
            sb_add(out, line + ind, n - ind);
            if (n == 0 || line[n - 1] != '\n') sb_add(out, "\n", 1);
            while (r < u->nrepls && u->repls[r].from < u->start[l + 1]) r++;
            continue;
        }
        size_t pos = u->start[l];
        while (r < u->nrepls && u->repls[r].from < u->start[l + 1]) {
            sb_add(out, u->text + pos, u->repls[r].from - pos);
            sb_add(out, u->repls[r].with, strlen(u->repls[r].with));
            pos = u->repls[r].to;
            r++;
        }
        sb_add(out, u->text + pos, u->start[l + 1] - pos);
        if (l + 1 == u->nlines && n > 0 && line[n - 1] != '\n') sb_add(out, "\n", 1);
    }
    if (add_model && header_line >= u->nlines) sb_add(out, "model: 2\n", 9);
    return out->bad ? GS_ERR_NOMEM : GS_OK;
}

static gs_status walk(upgrader *u, yaml_document_t *doc, sbuf *out, gs_error *err)
{
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return input_fail_at(err, u->path, root ? root->start_mark.line + 1 : 1, "file",
                             "expected a mapping of sections");
    size_t header_line = u->nlines;
    int add_model = 1;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE) continue;
        const char *name = scalar(k);
        if (p == root->data.mapping.pairs.start) header_line = k->start_mark.line;
        if (strcmp(name, "model") == 0) {
            size_t from, to;
            if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "2") == 0)
                return input_fail_at(err, u->path, k->start_mark.line + 1, "model",
                                     "this scenario is for model version 2 already; nothing "
                                     "to upgrade");
            if (!scalar_range(u, v, &from, &to))
                return input_fail_at(err, u->path, k->start_mark.line + 1, "model",
                                     "expected a version number");
            add_repl(u, from, to, "2");
            sb_printf(&u->log, "%s:%zu: model: %s -> 2\n", u->path, k->start_mark.line + 1,
                      scalar(v));
            add_model = 0;
        } else if (!strcmp(name, "name") || !strcmp(name, "description") ||
                   !strcmp(name, "uncertainty") || !strcmp(name, "sensitivity")) {
            continue;
        } else if (!strcmp(name, "sweep")) {
            upgrade_sweep(u, doc, v);
        } else if (known_section(name)) {
            upgrade_section(u, doc, name, v);
        } else {
            drop_pair(u, name, k, v, "is not a section of model version 2");
        }
    }
    if (add_model) { /* the first line of the log */
        sbuf first = {0};
        sb_printf(&first, "%s:%zu: model: added 'model: 2'\n", u->path,
                  (header_line < u->nlines ? header_line : u->nlines) + 1);
        if (u->log.s) sb_add(&first, u->log.s, u->log.len);
        free(u->log.s);
        u->log = first;
    }
    if (u->nomem || u->log.bad) return input_fail_nomem(err, u->path);
    if (assemble(u, header_line, add_model, out) != GS_OK) return input_fail_nomem(err, u->path);
    return GS_OK;
}

gs_status upgrade_scenario(const char *text, size_t len, const char *path, char **out,
                           size_t *out_len, char **log, gs_error *err)
{
    *out = NULL, *log = NULL, *out_len = 0;
    GS_FORWARD(input_check_yaml(text, len, path, err));
    upgrader u = {.text = text, .path = path, .len = len};
    for (size_t i = 0; i < len; i++) u.nlines += text[i] == '\n';
    if (len && text[len - 1] != '\n') u.nlines++;
    u.start = malloc((u.nlines + 1) * sizeof *u.start);
    u.dropped = calloc(u.nlines + 1, 1);
    if (!u.start || !u.dropped) {
        free(u.start), free(u.dropped);
        return input_fail_nomem(err, path);
    }
    size_t l = 0;
    u.start[l++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n' && l <= u.nlines) u.start[l++] = i + 1;
    u.start[u.nlines] = len;

    yaml_parser_t parser;
    yaml_document_t doc;
    sbuf result = {0};
    gs_status st;
    if (!yaml_parser_initialize(&parser)) {
        st = input_fail_nomem(err, path);
    } else {
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        if (!yaml_parser_load(&parser, &doc)) {
            st = input_fail_at(err, path, parser.problem_mark.line + 1, "syntax error", "%s",
                               parser.problem ? parser.problem : "not YAML");
        } else {
            st = walk(&u, &doc, &result, err);
            yaml_document_delete(&doc);
        }
        yaml_parser_delete(&parser);
    }
    /* the upgraded text must be a scenario version 2 loads */
    if (st == GS_OK) {
        gs_scenario sc;
        gs_error e2;
        if (scenario_parse(result.s, result.len, path, NULL, 0, &sc, &e2) != GS_OK)
            st = gs_error_set(err, GS_ERR_INPUT, "%s (after the upgrade to model version 2)",
                              e2.msg);
        else
            scenario_free(&sc);
    }
    for (size_t i = 0; i < u.nnotes; i++) free(u.notes[i].text);
    for (size_t i = 0; i < u.nrepls; i++) free(u.repls[i].with);
    free(u.notes), free(u.repls), free(u.start), free(u.dropped);
    if (st != GS_OK) {
        free(result.s), free(u.log.s);
        return st;
    }
    *out = result.s, *out_len = result.len;
    *log = u.log.s ? u.log.s : dup_str("");
    if (!*log) {
        free(result.s);
        *out = NULL;
        return input_fail_nomem(err, path);
    }
    return GS_OK;
}
