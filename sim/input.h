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

#endif
