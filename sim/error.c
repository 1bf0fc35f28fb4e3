/* error.c - see error.h. */
#include "error.h"

#include <signal.h>
#include <stdio.h>

gs_status gs_error_set(gs_error *err, gs_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void gs_error_clear(gs_error *err)
{
    if (err) {
        err->status = GS_OK;
        err->msg[0] = '\0';
    }
}

int gs_status_exit_code(gs_status status)
{
    switch (status) {
#define GS_STATUS_CODE(name, code, text)                                         \
    case name: return code;
        GS_STATUS_LIST(GS_STATUS_CODE)
#undef GS_STATUS_CODE
    }
    return 1;
}

static volatile sig_atomic_t interrupt_signal;

void gs_interrupt_raise(int sig) { interrupt_signal = sig ? sig : SIGINT; }

int gs_interrupt_pending(void) { return interrupt_signal; }

void gs_interrupt_clear(void) { interrupt_signal = 0; }
