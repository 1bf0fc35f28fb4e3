/* bench_rng.c - times the random numbers a run draws, alone: for N trajectories and K
 * cycles, each trajectory-cycle draws what model_advance of model version 2 draws, six
 * normals, two 32-bit event outputs, the jump normal and two more event outputs (plan
 * NNNNNNWWNWW), the same way: rng_block_draw on the instruction set GAPSIM_ISA chooses
 * (the widest this CPU runs when unset), chunks of 128 trajectories inside blocks of
 * 1024.  Prints the wall time and the ISA so bench.sh can split the model time into
 * random numbers and the rest.  usage: bench_rng N K THREADS */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "rng.h"
#include "rng_block.h"

enum { BLOCK = 1024, CHUNK = 128, DRAWS = 11 };

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_rng N K THREADS\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    int cycles = atoi(argv[2]), threads = atoi(argv[3]);
    isa_level isa;
    gs_error err;
    rng_block_plan plan;
    if (isa_from_env(&isa, &err) != GS_OK ||
        rng_block_plan_parse(&plan, "NNNNNNWWNWW", &err) != GS_OK) {
        fprintf(stderr, "bench_rng: %s\n", err.msg);
        return 2;
    }
    rng_pcg32 *rng = malloc(n * sizeof *rng);
    if (!rng) return 1;
    for (size_t i = 0; i < n; i++) rng_stream(&rng[i], 1, 0, i);
    double sink = 0, t0 = omp_get_wtime();
    for (int k = 0; k < cycles; k++) {
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : sink)
        for (size_t b = 0; b < n; b += BLOCK) {
            double draws[DRAWS][CHUNK], *d[DRAWS];
            for (int j = 0; j < DRAWS; j++) d[j] = draws[j];
            const size_t end = n - b < BLOCK ? n : b + BLOCK;
            for (size_t c = b; c < end; c += CHUNK) {
                const size_t cn = end - c < CHUNK ? end - c : CHUNK;
                rng_block_draw(isa, &plan, rng + c, cn, NULL, d);
                sink += draws[0][0] + draws[DRAWS - 1][cn - 1];
            }
        }
    }
    double t = omp_get_wtime() - t0;
    printf("%.4f %s %g\n", t, isa_name(isa), sink);
    free(rng);
    return 0;
}
