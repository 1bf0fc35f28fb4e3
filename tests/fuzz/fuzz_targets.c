/* fuzz_targets.c - libFuzzer target for the targets-file loader (sim/targets.h).  Any
 * input must give GS_OK or GS_ERR_INPUT with a "FILE:LINE: KEY: problem" message, never
 * a crash, a leak or undefined behaviour; a loaded set is then run through the
 * accumulator once (one trajectory, every cycle, records of 1) and freed.
 *
 * Build and run (clang, libFuzzer; no Makefile change needed, the fuzz_% rule builds it):
 *   make build/fuzz_targets
 *   mkdir -p build/fuzz-targets-corpus
 *   (copy the .yaml files of scenarios/history and tests/data/targets_bad into it)
 *   build/fuzz_targets -max_total_time=120 -max_len=4096 -timeout=5 build/fuzz-targets-corpus */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const targets_var vars[] = {
    {"price_closed", TARGETS_VAR_POSITIVE}, {"price_open", TARGETS_VAR_POSITIVE},
    {"closed_share", TARGETS_VAR_SHARE},    {"lag_months", TARGETS_VAR_REAL},
    {"closed_labs", TARGETS_VAR_POSITIVE},  {"closed_profit", TARGETS_VAR_REAL},
};
enum { N_VARS = sizeof vars / sizeof vars[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const targets_calendar cal = {2024.0, 0.5, 21, 2026.5};
    targets_set set;
    gs_error err;
    gs_error_clear(&err);
    gs_status st =
        targets_parse((const char *)data, size, "fuzz.yaml", vars, N_VARS, &cal, &set, &err);
    if (st != GS_OK) {
        if (st != GS_ERR_INPUT || strncmp(err.msg, "fuzz.yaml", 9) != 0) abort();
        if (set.t || set.path || set.n) abort();
        return 0;
    }
    targets_acc *acc = targets_acc_alloc(&set, 1);
    if (acc) {
        double one = 1;
        const double *out[N_VARS];
        for (size_t v = 0; v < N_VARS; v++) out[v] = &one;
        for (int k = 0; k <= set.last_cycle; k++) targets_acc_feed(acc, k, 0, 1, out);
        targets_tally tally;
        targets_tally_clear(&tally);
        targets_acc_decide(acc, TARGETS_RULE_SECOND_MAX, 3, 0, 1, &tally);
        if (tally.drawn != 1) abort();
        targets_acc_free(acc);
    }
    targets_free(&set);
    return 0;
}
