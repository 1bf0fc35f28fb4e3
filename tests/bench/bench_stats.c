/* bench_stats.c - the exact quantiles of one cycle's recorded variable (stats_quantiles_finite,
 * the engine's path for finite data), in CPU time per value, on data shaped like gapsim's
 * records: normal, lognormal (sigma 1.5), uniform on [0, 1], a share with 30% of its values
 * exactly 0, small integers, and a Pareto tail; nine levels 0.01 ... 0.99.  Also the
 * moments of a block (stats_block_of) over the same data for scale.  Prints the results'
 * checksum too, so that two builds can be seen to agree.
 *
 * usage: bench_stats [N [REPEATS [SHAPE]]]   (default 1000000 values, 20 repeats, every
 *        shape; best of 3)
 * prints one line per shape: "stats SHAPE NS_PER_VALUE" and a total line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "stats.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { SHAPES = 6 };
static const char *const shape_name[SHAPES] = {"normal", "lognormal", "uniform",
                                               "share0",  "integer",   "pareto"};

static double draw(rng_pcg32 *r, int shape)
{
    switch (shape) {
    case 0: return 10.0 + 3.0 * rng_normal(r);
    case 1: return exp(1.5 * rng_normal(r));
    case 2: return rng_uniform(r);
    case 3: { const double u = rng_uniform(r); return u < 0.3 ? 0.0 : (u - 0.3) / 0.7; }
    case 4: return floor(1.0 + 8.0 * rng_uniform(r));
    default: return pow(rng_uniform(r), -1.0 / 1.5);
    }
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    const int reps = argc > 2 ? atoi(argv[2]) : 20;
    const char *only = argc > 3 ? argv[3] : NULL;
    static const double levels[9] = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
    double *x = malloc(n * sizeof *x);
    stats_qsel *ws = stats_qsel_alloc(n);
    if (!x || !ws || n == 0 || reps < 1) {
        fprintf(stderr, "bench_stats: bad arguments or out of memory\n");
        return 1;
    }
    double total = 0.0, check = 0.0;
    int shapes = 0;
    for (int s = 0; s < SHAPES; s++) {
        if (only && strcmp(only, shape_name[s]) != 0) continue;
        shapes++;
        rng_pcg32 r;
        rng_stream(&r, 20261201, 0, (uint64_t)s);
        for (size_t i = 0; i < n; i++) x[i] = draw(&r, s);
        stats_block blk;
        stats_block_of(x, n, &blk);
        double best = INFINITY, q[9];
        for (int round = 0; round < 3; round++) {
            const double t0 = cpu_seconds();
            for (int k = 0; k < reps; k++)
                if (stats_quantiles_finite(ws, x, n, blk.min, blk.max, levels, 9, q, NULL) != GS_OK) {
                    fprintf(stderr, "bench_stats: selection failed\n");
                    return 1;
                }
            const double t = (cpu_seconds() - t0) / ((double)reps * (double)n);
            best = t < best ? t : best;
        }
        for (int j = 0; j < 9; j++) check += q[j];
        printf("stats %-10s %6.2f ns/value\n", shape_name[s], 1e9 * best);
        total += best;
    }
    printf("stats mean      %6.2f ns/value (checksum %.17g)\n", 1e9 * total / (shapes ? shapes : 1), check);
    stats_qsel_free(ws);
    free(x);
    return 0;
}
