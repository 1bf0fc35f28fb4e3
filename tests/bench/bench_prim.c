/* bench_prim.c - time of PRIM scenario discovery (sim/prim.c); make bench-prim.
 *
 *   bench_prim [ROWS [COLUMNS [CYCLES [THREADS [MAX_BINS]]]]]   defaults 1000000 20 15 0 (all
 *   threads) 0 (PRIM_MAX_BINS)
 *
 * Data: ROWS × COLUMNS float32 uniform on [0, 1] (GSL mt19937, seed 1); the target is 1
 * with probability 0.9 inside x0 >= 0.3, x1 <= 0.7, x2 >= 0.2 and 0.1 outside; for the
 * by-cycle run, target vector k (k = 1 .. CYCLES) shifts the box: x0 >= 0.3 + 0.02 k.
 * Prints the time of coding the columns (once), one discovery (default options, one box)
 * with THREADS threads and with 1 thread, and CYCLES discoveries on the same coded data
 * (a by-cycle run: "compounds by cycle k"), plus the memory PRIM allocates.
 * Times are wall-clock seconds, with the CPU seconds of all threads in brackets (when other
 * work shares the cores, the wall time grows and the CPU time does not).  Asserts nothing; the target is under 5 s for 10^6 × 20.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "prim.h"

/* CPU seconds of the process (all threads): on a machine shared with other work the wall
 * time overstates what a run needs, the CPU time does not. */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void make_target(const float *x, size_t n, double shift, const double *u, uint8_t *y)
{
    for (size_t i = 0; i < n; i++) {
        const int in =
            (double)x[i] >= 0.3 + shift && (double)x[n + i] <= 0.7 && (double)x[2 * n + i] >= 0.2;
        y[i] = (uint8_t)(u[i] < (in ? 0.9 : 0.1));
    }
}

static const char *load_average(void)
{
    static char line[128] = "unknown\n";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) snprintf(line, sizeof line, "unknown\n");
        fclose(f);
    }
    return line;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    const size_t d = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 20;
    const int cycles = argc > 3 ? atoi(argv[3]) : 15;
    const int threads = argc > 4 && atoi(argv[4]) > 0 ? atoi(argv[4]) : omp_get_max_threads();
    const uint32_t max_bins = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0;
    if (d < 3 || n == 0) {
        fprintf(stderr, "bench_prim: need at least 3 columns and 1 row\n");
        return 2;
    }
    float *x = malloc(n * d * sizeof *x);
    double *u = malloc(n * sizeof *u);
    uint8_t *y = malloc(n);
    const float **col = malloc(d * sizeof *col);
    if (!x || !u || !y || !col) return 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    for (size_t k = 0; k < n * d; k++) x[k] = (float)gsl_rng_uniform(r);
    for (size_t i = 0; i < n; i++) u[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    for (size_t j = 0; j < d; j++) col[j] = x + j * n;

    gs_error err;
    prim_data data;
    prim_result res;
    prim_options opt = prim_options_default();
    printf("PRIM: %zu rows x %zu columns (float32 input %.0f MB), %d threads of %d cores\n", n,
           d, (double)(n * d * sizeof(float)) / 1e6, threads, omp_get_num_procs());
    printf("  load average at start: %s", load_average());
    double t0 = omp_get_wtime(), c0 = cpu_seconds();
    if (prim_data_create(&data, n, d, col, max_bins, threads, &err) != GS_OK) goto fail;
    double t1 = omp_get_wtime(), c1 = cpu_seconds();
    printf("  coding the columns into bins (once)   %7.3f s (cpu %6.3f)  (%zu bins in all, codes "
           "%.0f MB)\n",
           t1 - t0, c1 - c0, data.total_bins, (double)(n * d * sizeof(uint16_t)) / 1e6);
    make_target(x, n, 0.0, u, y);
    for (int pass = 0; pass < 2; pass++) {
        opt.threads = pass ? 1 : threads;
        t0 = omp_get_wtime(), c0 = cpu_seconds();
        if (prim_run(&data, y, NULL, &opt, &res, &err) != GS_OK) goto fail;
        t1 = omp_get_wtime(), c1 = cpu_seconds();
        printf("  one discovery, %d thread%s              %7.3f s (cpu %6.3f)  (%zu peels, %zu "
               "pastes, box mass %.3f density %.3f)\n",
               opt.threads, opt.threads > 1 ? "s" : " ", t1 - t0, c1 - c0, res.boxes[0].n_steps - 1,
               res.boxes[0].pastes, res.boxes[0].box.mass, res.boxes[0].box.density);
        prim_result_free(&res);
    }
    printf("  working memory of prim_run            %7.0f MB  (11 bytes per row + 24 per bin)\n",
           (11.0 * (double)n + 24.0 * (double)data.total_bins) / 1e6);
    opt.threads = threads;
    t0 = omp_get_wtime(), c0 = cpu_seconds();
    for (int k = 1; k <= cycles; k++) {
        make_target(x, n, 0.02 * k, u, y);
        if (prim_run(&data, y, NULL, &opt, &res, &err) != GS_OK) goto fail;
        prim_result_free(&res);
    }
    t1 = omp_get_wtime(), c1 = cpu_seconds();
    printf("  by-cycle: %2d target vectors           %7.3f s (cpu %6.3f)  (%.3f s each, coding "
           "not repeated)\n",
           cycles, t1 - t0, c1 - c0, cycles ? (t1 - t0) / cycles : 0.0);
    prim_data_free(&data);
    free(x);
    free(u);
    free(y);
    free(col);
    return 0;
fail:
    fprintf(stderr, "bench_prim: %s\n", err.msg);
    return 1;
}
