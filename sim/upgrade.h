/* upgrade.h - `gapsim check --upgrade FILE`: a scenario file written for model version 1
 * rewritten for version 2 (docs/model.md, "What changed from version 1").
 *
 * The rewrite works on the text, guided by libyaml's parse of it, so that the file's own
 * comments, order and layout survive (libyaml itself drops comments; nothing is
 * re-emitted from its tree):
 *   - the line `model: 2` goes before the first top-level key, under a comment saying
 *     where it came from (a `model: 1` line becomes `model: 2`);
 *   - every version 1 key kept its name; a key whose meaning changed gets a comment line
 *     above it, and a plain number (or a sweep's list of numbers) of a key whose unit
 *     changed is converted (params_v1_upgrade: training.budget0 per lab, pricing.capture
 *     of a lone lab); a distribution of such a key is annotated to convert by hand;
 *   - a key or section that version 2 does not know is commented out, with the reason.
 * The result must load as a version 2 scenario (scenario_parse), or the upgrade fails.
 */
#ifndef GAPSIM_UPGRADE_H
#define GAPSIM_UPGRADE_H

#include <stddef.h>

#include "error.h"

/* Rewrites text[0..len) (the contents of the file at path, named in messages) into a new
 * NUL-terminated *out of *out_len bytes, and *log, one line per change ("PATH:LINE: KEY:
 * what was done"); the caller frees both.  A file that already says `model: 2`, is not
 * YAML or does not load once upgraded is an input error ("PATH:LINE: KEY: problem",
 * GS_ERR_INPUT); nothing is allocated then. */
gs_status upgrade_scenario(const char *text, size_t len, const char *path, char **out,
                           size_t *out_len, char **log, gs_error *err);

#endif
