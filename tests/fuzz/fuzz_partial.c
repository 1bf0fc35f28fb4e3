/* fuzz_partial.c - libFuzzer target for the --shard partial-file reader (sim/partial.c):
 * the input bytes are written to a temporary file, which partial_open checks; a file it
 * accepts is then taken as the only shard of a run and its first cycle read back, as
 * `gapsim merge` would.  Any input must give GS_OK or an error with a message, never a
 * crash, a leak or undefined behaviour in gapsim's code. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "partial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/gapsim-fuzz-partial-%ld.h5", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    partial_file p;
    gs_error err;
    if (partial_open(path, &p, &err) == GS_OK) {
        const char *sets[PARTIAL_MAX_SETS];
        size_t nsets;
        gs_status st = partial_check_set(&p, 1, &err);
        if (st != GS_OK && err.msg[0] == '\0') abort();
        if (partial_sets(&p, sets, &nsets, &err) != GS_OK && err.msg[0] == '\0') abort();
        /* a small run read back as one shard: the slice is the whole run */
        uint64_t n = p.trajectories ? p.trajectories : 1000;
        if (st == GS_OK && n <= 100000 && partial_check_shape(&p, 1, n, &err) == GS_OK) {
            double *record = malloc((size_t)n * VAR_COUNT * sizeof *record);
            partial_source src = {&p, 1, -1};
            if (record && partial_source_read(&src, 0, 0, (size_t)n, record, &err) != GS_OK &&
                err.msg[0] == '\0')
                abort();
            free(record);
        }
        partial_close(&p);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    unlink(path);
    return 0;
}
