/* input.h - limits on the YAML files gapsim reads (scenario files, targets files),
 * checked before the document is built, so that hostile input is refused at once.
 *
 * Limits (README "What gapsim guarantees"):
 *   - a file of at most INPUT_MAX_BYTES bytes (1 MiB; shipped scenarios are < 8 KiB);
 *   - mappings and lists nested at most INPUT_MAX_DEPTH deep (64);
 *   - no scalar (key or value) holding a NUL character (YAML's "\0", "\x00",
 *     "\u0000" escapes), which C strings would silently cut short.
 * libyaml's own syntax errors are reported as "FILE:LINE: syntax error: problem", with a
 * plain word for the commonest one: a tab character in the indentation.
 */
#ifndef GAPSIM_INPUT_H
#define GAPSIM_INPUT_H

#include <stddef.h>

#include "error.h"

enum {
    INPUT_MAX_BYTES = 1 << 20, /* largest YAML file accepted */
    INPUT_MAX_DEPTH = 64       /* deepest nesting of mappings and lists */
};

/* Reads the file at path (also a pipe) into a new NUL-terminated buffer *text of
 * *len bytes (the caller frees it).  Reads at most INPUT_MAX_BYTES + 1 bytes, so
 * /dev/zero or a huge file is refused without reading it all: "PATH:LINE: file: larger
 * than ...".  GS_ERR_INPUT when the file cannot be read or is too large. */
gs_status input_read_file(const char *path, char **text, size_t *len, gs_error *err);

/* Checks text[0..len) against the limits above with libyaml's event parser (a depth
 * counter; nothing is built, and parsing stops at the first problem).  On failure err
 * says "PATH:LINE: KEY: problem" (KEY the dotted path of the enclosing keys, "file" at
 * the top) or "PATH:LINE: syntax error: problem", status GS_ERR_INPUT (GS_ERR_NOMEM when
 * out of memory). */
gs_status input_check_yaml(const char *text, size_t len, const char *path, gs_error *err);


/* "path:line: key: message" into err as GS_ERR_INPUT; every input error of a scenario or
 * targets file goes through here.  Returns GS_ERR_INPUT. */
gs_status input_fail_at(gs_error *err, const char *path, size_t line, const char *key,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "path: out of memory" into err; returns GS_ERR_NOMEM. */
gs_status input_fail_nomem(gs_error *err, const char *path);

/* x with the fewest significant digits (6 to 17) that read back exactly, into buf. */
void input_format_number(char *buf, size_t size, double x);

/* A decimal number as YAML writes ints and floats: optional sign, digits, optional
 * fraction and exponent ("16", "-0.3", "1.25e10").  Anything else is rejected before
 * strtod sees it (no "inf", "nan", hex or locale surprises), strtod must consume the
 * whole text, and the result must be finite.  Returns 0, or -1 with the problem in msg. */
int input_parse_number(const char *text, double *out, char *msg, size_t size);

#endif
