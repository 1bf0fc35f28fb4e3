/* fuzz_h5in.c - libFuzzer target for the result-file reader (sim/h5in.c): the input
 * bytes are written to a temporary file, which h5in_probe and h5in_read (the single
 * run, or point 0 of a sweep) open.  Any input must give GS_OK or an error with a
 * message, never a crash, a leak or undefined behaviour in gapsim's code.
 *
 * Seeded with real result files and damaged copies (make fuzz-long builds the corpus).
 * Crashes inside libhdf5 itself on malformed files are HDF5's (Debian's 1.10.8 is not
 * fuzz-clean); those found are listed in the README, not "fixed" here. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/gapsim-fuzz-h5in-%ld.h5", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    h5in_info info;
    gs_error err;
    if (h5in_probe(path, &info, &err) == GS_OK) {
        gs_scenario sc;
        gs_result res;
        long point = info.n_points > 0 ? 0 : H5IN_SINGLE;
        if (h5in_read(path, point, &sc, &res, &err) == GS_OK) {
            engine_result_free(&res);
            scenario_free(&sc);
        } else if (err.msg[0] == '\0') {
            abort(); /* every failure must say what is wrong */
        }
    } else if (err.msg[0] == '\0') {
        abort();
    }
    unlink(path);
    return 0;
}
