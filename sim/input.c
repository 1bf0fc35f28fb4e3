/* input.c - limits on YAML input (see input.h).
 *
 * libyaml builds a document in time that grows with the square of the nesting depth (a
 * million nested `[` takes minutes), and hands scalars over as (pointer, length), so a
 * "\0" escape silently cuts a C string short.  The check therefore runs libyaml's event
 * parser first, with a stack of at most INPUT_MAX_DEPTH frames: it stops at the first
 * collection nested too deep, the first scalar holding a NUL, or the first syntax error,
 * having built nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include "input.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

enum { KEY_MAX = 96, PATH_TEXT_MAX = 256 };

/* The line (1-based) of byte offset `at` of text. */
static size_t line_of(const char *text, size_t len, size_t at)
{
    size_t line = 1;
    for (size_t i = 0; i < at && i < len; i++) line += text[i] == '\n';
    return line;
}

gs_status input_read_file(const char *path, char **text, size_t *len, gs_error *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf && n <= (size_t)INPUT_MAX_BYTES) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap > (size_t)INPUT_MAX_BYTES) break; /* read one byte past the limit: enough */
        char *bigger = realloc(buf, 2 * cap + 1);
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
    if (!buf) return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    if (read_errno) {
        free(buf);
        return gs_error_set(err, GS_ERR_INPUT, "%s: cannot read: %s", path, strerror(read_errno));
    }
    if (n > (size_t)INPUT_MAX_BYTES) {
        size_t line = line_of(buf, n, INPUT_MAX_BYTES);
        free(buf);
        return gs_error_set(err, GS_ERR_INPUT,
                            "%s:%zu: file: larger than the limit of %d bytes (1 MiB)", path, line,
                            INPUT_MAX_BYTES);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return GS_OK;
}

/* One open mapping or list of the event stream; `key` is the mapping's current key. */
typedef struct {
    int mapping, expect_key;
    char key[KEY_MAX];
} frame;

/* The dotted keys of the mappings open in stack[0..depth) ("file" when none). */
static void key_path(const frame *stack, int depth, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int i = 0; i < depth; i++) {
        if (!stack[i].mapping || !stack[i].key[0]) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? "." : "", stack[i].key);
    }
    if (!buf[0]) snprintf(buf, size, "file");
}

/* libyaml's syntax error, with "tab" said plainly when the line is indented with one. */
static gs_status syntax_error(const yaml_parser_t *p, const char *text, size_t len,
                              const char *path, gs_error *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    size_t line = p->error == YAML_READER_ERROR ? line_of(text, len, p->problem_offset)
                                                : p->problem_mark.line + 1;
    /* the start of that line, then its indentation */
    size_t at = 0;
    for (size_t l = 1; l < line && at < len; at++) l += text[at] == '\n';
    for (; at < len && (text[at] == ' ' || text[at] == '\t'); at++)
        if (text[at] == '\t')
            return gs_error_set(err, GS_ERR_INPUT,
                                "%s:%zu: syntax error: a tab character in the indentation "
                                "(YAML indents with spaces only)",
                                path, line);
    const char *problem = p->problem ? p->problem : "invalid YAML";
    /* discrete({0.3: 1, ...}) unquoted: YAML reads "0.3: 1" as a mapping */
    size_t end = at;
    while (end < len && text[end] != '\n') end++;
    int discrete = 0;
    for (size_t i = at; !discrete && i + 9 <= end; i++) discrete = !memcmp(text + i, "discrete(", 9);
    if (strstr(problem, "mapping values") && discrete)
        return gs_error_set(err, GS_ERR_INPUT,
                            "%s:%zu: syntax error: %s: put a discrete distribution in quotes, "
                            "KEY: 'discrete({0.3: 1, 0.6: 3})'",
                            path, line, problem);
    if (p->context)
        return gs_error_set(err, GS_ERR_INPUT, "%s:%zu: syntax error: %s (%s at line %zu)", path,
                            line, problem, p->context, p->context_mark.line + 1);
    return gs_error_set(err, GS_ERR_INPUT, "%s:%zu: syntax error: %s", path, line, problem);
}

/* Handles one event; *done is raised at the end of the stream. */
static gs_status on_event(const yaml_event_t *ev, frame *stack, int *depth, int *done,
                          const char *path, gs_error *err)
{
    char where[PATH_TEXT_MAX];
    size_t line = ev->start_mark.line + 1;
    frame *top = *depth > 0 ? &stack[*depth - 1] : NULL;
    int is_key = top && top->mapping && top->expect_key;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT: *done = 1; return GS_OK;
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;
        if (memchr(v, '\0', n)) {
            if (is_key) {
                key_path(stack, *depth - 1, where, sizeof where);
                return gs_error_set(err, GS_ERR_INPUT,
                             "%s:%zu: %s: a key holds a NUL character (after '%.40s')", path, line,
                             where, v);
            } else {
                key_path(stack, *depth, where, sizeof where);
                return gs_error_set(err, GS_ERR_INPUT,
                             "%s:%zu: %s: the value holds a NUL character (after '%.40s')", path,
                             line, where, v);
            }
        }
        if (is_key) snprintf(top->key, sizeof top->key, "%.*s", (int)(n < KEY_MAX ? n : KEY_MAX - 1), v);
        if (top && top->mapping) top->expect_key = !top->expect_key;
        return GS_OK;
    }
    case YAML_ALIAS_EVENT:
        if (is_key) snprintf(top->key, sizeof top->key, "*");
        if (top && top->mapping) top->expect_key = !top->expect_key;
        return GS_OK;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (*depth >= INPUT_MAX_DEPTH) {
            key_path(stack, *depth, where, sizeof where);
            return gs_error_set(err, GS_ERR_INPUT,
                                "%s:%zu: %s: nested deeper than %d levels of mappings and lists",
                                path, line, where, INPUT_MAX_DEPTH);
        }
        if (is_key) snprintf(top->key, sizeof top->key, "?");
        if (top && top->mapping) top->expect_key = !top->expect_key;
        stack[*depth] = (frame){ev->type == YAML_MAPPING_START_EVENT, 1, ""};
        (*depth)++;
        return GS_OK;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (*depth > 0) (*depth)--;
        return GS_OK;
    default: return GS_OK;
    }
}

gs_status input_check_yaml(const char *text, size_t len, const char *path, gs_error *err)
{
    if (!path) path = "(string)";
    if (len > (size_t)INPUT_MAX_BYTES)
        return gs_error_set(err, GS_ERR_INPUT,
                            "%s:%zu: file: larger than the limit of %d bytes (1 MiB)", path,
                            line_of(text, len, INPUT_MAX_BYTES), INPUT_MAX_BYTES);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""),
                                 text ? len : 0);
    frame *stack = malloc(INPUT_MAX_DEPTH * sizeof *stack);
    int depth = 0, done = 0;
    gs_status st = stack ? GS_OK : gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
    while (st == GS_OK && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            st = syntax_error(&parser, text ? text : "", text ? len : 0, path, err);
            break;
        }
        st = on_event(&ev, stack, &depth, &done, path, err);
        yaml_event_delete(&ev);
    }
    free(stack);
    yaml_parser_delete(&parser);
    return st;
}

gs_status input_fail_at(gs_error *err, const char *path, size_t line, const char *key,
                        const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gs_error_set(err, GS_ERR_INPUT, "%s:%zu: %s: %s", path, line, key, msg);
}

gs_status input_fail_nomem(gs_error *err, const char *path)
{
    return gs_error_set(err, GS_ERR_NOMEM, "%s: out of memory", path);
}

void input_format_number(char *buf, size_t size, double x)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

int input_parse_number(const char *text, double *out, char *msg, size_t size)
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
