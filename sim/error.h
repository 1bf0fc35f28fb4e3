/* error.h - status codes and error messages shared by every gapsim module.
 *
 * Library functions that can fail return a gs_status and, when given a non-NULL
 * gs_error, fill it with one line of context ("scenarios/x.yaml:12: hardware.vol:
 * must be >= 0, got -0.3").  Nothing in the library prints or exits; the CLI maps
 * codes to exit statuses with gs_status_exit_code().
 */
#ifndef GAPSIM_ERROR_H
#define GAPSIM_ERROR_H

#include <stdarg.h>

/* X(name, exit code, description): one list, so codes and texts cannot drift apart. */
#define GS_STATUS_LIST(X)                                                        \
    X(GS_OK, 0, "success")                                                       \
    X(GS_ERR_INPUT, 2, "bad input")                                              \
    X(GS_ERR_USAGE, 2, "bad usage")                                              \
    X(GS_ERR_NOMEM, 1, "out of memory")                                          \
    X(GS_ERR_IO, 1, "input/output failure")                                      \
    X(GS_ERR_NUMERIC, 1, "numerical failure")                                    \
    X(GS_ERR_INTERRUPTED, 1, "interrupted")                                      \
    X(GS_ERR_INTERNAL, 1, "internal error")

typedef enum {
#define GS_STATUS_ENUM(name, code, text) name,
    GS_STATUS_LIST(GS_STATUS_ENUM)
#undef GS_STATUS_ENUM
} gs_status;

enum { GS_ERROR_MSG_MAX = 1024 };

typedef struct {
    gs_status status;
    char msg[GS_ERROR_MSG_MAX];
} gs_error;

/* Sets err (if non-NULL) to status with a printf-style message; returns status. */
gs_status gs_error_set(gs_error *err, gs_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to GS_OK with an empty message. */
void gs_error_clear(gs_error *err);

/* The process exit status for a status: 0 ok, 2 bad input/usage, 1 anything else. */
int gs_status_exit_code(gs_status status);

/* A process-wide stop request: the CLI's SIGINT/SIGTERM handler raises it
 * (async-signal-safe: one sig_atomic_t store); long-running library code polls it (the
 * engine per block of trajectories, h5out between chunks of the paths, partial files
 * per cycle) and then fails with GS_ERR_INTERRUPTED.  pending gives 0 or the signal. */
void gs_interrupt_raise(int sig);
int gs_interrupt_pending(void);
void gs_interrupt_clear(void);

/* Propagation helpers in the style of zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR. */
#define GS_RETURN_IF(cond, err, status, ...)                                     \
    do {                                                                         \
        if (cond) return gs_error_set((err), (status), __VA_ARGS__);             \
    } while (0)
#define GS_FORWARD(expr)                                                         \
    do {                                                                         \
        gs_status gs_forward_status_ = (expr);                                   \
        if (gs_forward_status_ != GS_OK) return gs_forward_status_;              \
    } while (0)

#endif
