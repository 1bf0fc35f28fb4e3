/* bench_columns.c - the model alone, point-valued against uncertain parameters as
 * columns (docs/performance.md, "Uncertain parameters as columns"), in CPU time.
 *
 * One block of N trajectories runs CYCLES cycles of model_record + model_advance (one
 * parameter set, the default one) and of model_record_columns + model_advance_columns
 * (each trajectory's own model: the defaults with every parameter that is not a whole
 * number scaled by a factor within ±2.5%, so that neighbours share no constant).  Both on
 * one thread, on the instruction set GAPSIM_ISA chooses; the setup (model_init per
 * trajectory) is not timed.  CPU time of the process (CLOCK_PROCESS_CPUTIME_ID), best of
 * 3, so that other work on the machine does not count.
 *
 * usage: bench_columns N CYCLES
 * prints: "columns POINT_NS UNCERTAIN_NS RATIO" (ns per trajectory-cycle)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "params.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 4096;
    const int cycles = argc > 2 ? atoi(argv[2]) : 20;
    gs_params p;
    params_defaults(&p);
    gs_model m;
    gs_error err = {0};
    if (model_init(&m, &p, &err) != GS_OK || isa_from_env(&m.isa, &err) != GS_OK) {
        fprintf(stderr, "bench_columns: %s\n", err.msg);
        return 1;
    }
    double *state = malloc(MODEL_STATE_ARRAYS * n * sizeof(double));
    double *rec = malloc(VAR_COUNT * n * sizeof(double));
    double *cols = malloc(MODEL_COLUMNS * n * sizeof(double));
    rng_pcg32 *rng = malloc(n * sizeof *rng);
    if (!state || !rec || !cols || !rng) return 1;
    gs_block b = {.n = n};
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b.x[s] = state + (size_t)s * n;
    double *out[VAR_COUNT];
    for (int v = 0; v < VAR_COUNT; v++) out[v] = rec + (size_t)v * n;
    const gs_columns c = {cols, n, 0};
    double best[2] = {1e300, 1e300}, check = 0.0;
    for (int rep = 0; rep < 3; rep++)
        for (int mode = 0; mode < 2; mode++) {
            for (size_t i = 0; i < n; i++) rng_stream(&rng[i], 1, 0, i);
            if (mode == 0) {
                model_start(&m, &b);
            } else {
                for (size_t i = 0; i < n; i++) {
                    gs_params q = p;
                    const double f = 1.0 + 0.05 * ((double)(i % 97) / 97.0 - 0.5);
                    for (int j = 0; j < PARAM_COUNT; j++) { /* not the whole numbers */
                        double *v = params_field(&q, (gs_param_id)j);
                        if (*v != floor(*v)) *v *= f;
                    }
                    gs_model mi;
                    model_init_factor(&mi, &q, m.L, NULL);
                    gs_block b1 = {.n = 1};
                    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b1.x[s] = b.x[s] + i;
                    model_start(&mi, &b1);
                    model_columns_store(&c, i, &mi);
                }
            }
            const double t0 = cpu_seconds();
            for (int k = 0; k <= cycles; k++) {
                if (mode == 0) {
                    model_record(&m, &b, k, out);
                    if (k < cycles) model_advance(&m, &b, k, rng);
                } else {
                    model_record_columns(&m, &c, &b, k, out);
                    if (k < cycles) model_advance_columns(&m, &c, &b, k, rng);
                }
            }
            const double t = cpu_seconds() - t0;
            if (t < best[mode]) best[mode] = t;
            check += rec[n / 2];
        }
    const double tc = (double)n * (cycles + 1);
    printf("columns %.1f %.1f %.2f (checksum %g)\n", 1e9 * best[0] / tc, 1e9 * best[1] / tc,
           best[1] / best[0], check);
    return 0;
}
