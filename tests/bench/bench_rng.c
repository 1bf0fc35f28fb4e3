/* bench_rng.c - times the random numbers a run draws, alone: for N trajectories and K
 * cycles, each trajectory-cycle draws five normals and two 32-bit event outputs, as
 * model_advance does.  Prints the wall time so bench.sh can split the model time into
 * random numbers and the rest.  usage: bench_rng N K THREADS */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "rng.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_rng N K THREADS\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    int cycles = atoi(argv[2]), threads = atoi(argv[3]);
    rng_pcg32 *rng = malloc(n * sizeof *rng);
    if (!rng) return 1;
    for (size_t i = 0; i < n; i++) rng_stream(&rng[i], 1, 0, i);
    double sink = 0, t0 = omp_get_wtime();
    for (int k = 0; k < cycles; k++) {
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : sink)
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < 5; j++) s += rng_normal(&rng[i]);
            s += rng_pcg32_next(&rng[i]) & 1u;
            s += rng_pcg32_next(&rng[i]) & 1u;
            sink += s;
        }
    }
    double t = omp_get_wtime() - t0;
    printf("%.4f %g\n", t, sink);
    free(rng);
    return 0;
}
