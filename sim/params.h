/* params.h - the checked parameter set of one scenario, generated from params.def.
 *
 * gs_params holds every scalar parameter of MODEL.md as a named double; the table
 * params_table[] describes each one (key, unit, default, range, meaning, source) so
 * that parsing, validation, --set, documentation and output all use one list.
 */
#ifndef GAPSIM_PARAMS_H
#define GAPSIM_PARAMS_H

#include <stddef.h>

#include "error.h"

enum { PF_INT = 1, PF_LO_OPEN = 2, PF_HI_OPEN = 4 };

typedef struct {
#define X(field, key, symbol, unit, def, lo, hi, flags, meaning, source) double field;
#include "params.def"
#undef X
} gs_params;

typedef enum {
#define X(field, key, symbol, unit, def, lo, hi, flags, meaning, source) PARAM_##field,
#include "params.def"
#undef X
    PARAM_COUNT
} gs_param_id;

typedef struct {
    const char *key;     /* "hardware.vol" */
    const char *symbol;  /* "σ_H" (UTF-8) */
    const char *unit;    /* "1/year^0.5" */
    double def;          /* default from CALIBRATION.md */
    double lo, hi;       /* valid range */
    int flags;           /* PF_* */
    const char *meaning; /* one line */
    const char *source;  /* calibration source */
    size_t offset;       /* offsetof(gs_params, field) */
} gs_param_info;

extern const gs_param_info params_table[PARAM_COUNT];

/* The six shocks, in the order of MODEL.md §2: ε = L z over (hardware, power, closed, open,
 * demand, readiness). */
enum {
    SHOCK_HARDWARE,
    SHOCK_POWER,
    SHOCK_CLOSED,
    SHOCK_OPEN,
    SHOCK_DEMAND,
    SHOCK_READINESS,
    SHOCK_COUNT
};

/* Fills p with the defaults of CALIBRATION.md. */
void params_defaults(gs_params *p);

/* Pointer to the field of parameter id inside p. */
double *params_field(gs_params *p, gs_param_id id);
double params_get(const gs_params *p, gs_param_id id);

/* Looks up a key ("hardware.vol"); returns its id or -1. */
int params_find(const char *key);

/* The known key closest to an unknown one (edit distance), or NULL if none is close. */
const char *params_suggest(const char *key);

/* Checks one value against the range and integrality of parameter id.  On failure
 * writes "must be >= 0, got -0.3" (no key, no file) into msg and returns GS_ERR_INPUT. */
gs_status params_check_value(gs_param_id id, double value, char *msg, size_t msg_size);

/* Checks relations between parameters (correlation matrix positive definite, collapse
 * ratio below compound ratio, a frontier that progresses in trend, labs.count0 <=
 * labs.max, history.now inside the run, outcome.window within the run).  On failure sets
 * *bad_id to the parameter the message is about, writes the message and returns
 * GS_ERR_INPUT. */
gs_status params_check_relations(const gs_params *p, gs_param_id *bad_id, char *msg,
                                 size_t msg_size);

/* The 6x6 correlation matrix R of the shocks (row-major) from p. */
void params_correlation(const gs_params *p, double R[SHOCK_COUNT * SHOCK_COUNT]);

/* Lower-triangular Cholesky factor L (row-major, zeros above the diagonal) with
 * L Lᵀ = R, computed with GSL.  Returns GS_ERR_INPUT if R is not positive definite. */
gs_status params_cholesky(const gs_params *p, double L[SHOCK_COUNT * SHOCK_COUNT]);

/* Model version 1 -> 2 (docs/model.md, "What changed from version 1"; `gapsim check
 * --upgrade`).  Every version 1 key kept its name; what changed is the meaning of some.
 * For the key id, set in a version 1 file to v1 (have_value = 0: not a plain number,
 * e.g. a distribution), returns how it is carried over:
 *   PARAMS_V1_SAME     as it is;
 *   PARAMS_V1_NOTE     as it is, *note says how its meaning changed (check it by hand);
 *   PARAMS_V1_CONVERT  *v2 is the version 2 value that means what v1 meant, *note the
 *                      computation (with have_value = 0 a NOTE asking for it by hand). */
typedef enum { PARAMS_V1_SAME, PARAMS_V1_NOTE, PARAMS_V1_CONVERT } params_v1_change;
params_v1_change params_v1_upgrade(gs_param_id id, int have_value, double v1, double *v2,
                                   char *note, size_t size);

#endif
