/* bench_columns.c - the model alone, point-valued against uncertain parameters as
 * columns (docs/performance.md, "Uncertain parameters as columns"), in CPU time.
 *
 * N trajectories run CYCLES cycles as the engine runs them: each cycle over every block
 * of ENGINE_BLOCK trajectories in turn (so that with N beyond a few blocks the state,
 * the record and the columns come from memory each cycle, as in a run), with
 * model_record + model_advance (one parameter set) and with model_step_columns (record
 * and advance chunk by chunk with each trajectory's own model; each block a view of the
 * columns with its own plan of which columns it shares).
 * Without SCENARIO: the defaults, and every parameter that is not a whole number scaled
 * per trajectory by a factor within ±2.5%, so that neighbours share no constant (the
 * correlation factor stays shared).  With SCENARIO: its point values, and only its
 * uncertain parameters scaled so (those that are not whole numbers), each trajectory
 * with its own correlation factor when a correlation is among them; so the columns the
 * run shares are those a run of that scenario shares.  With `draws` after SCENARIO: each
 * trajectory takes the scenario's own draws instead (uncertain_draw, seed 1, as a run
 * draws them), so that every uncertain parameter varies over its prior, as in the
 * program (the scaled form leaves out those whose point value is a whole number, e.g.
 * ν = 1, and varies the rest by ±2.5% only).  Both on one thread, on the
 * instruction set GAPSIM_ISA chooses; the setup (model_init per trajectory) is not
 * timed.  CPU time of the process (CLOCK_PROCESS_CPUTIME_ID), the best of 15 runs up
 * to N = 4096 (a run of one block takes about a millisecond) and of 3 beyond, so that
 * other work on the machine does not count.  The plan counted in the output line is the
 * first block's.
 *
 * usage: bench_columns N CYCLES [SCENARIO [draws]]
 * prints: "columns POINT_NS UNCERTAIN_NS RATIO (...)" (ns per trajectory-cycle)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "params.h"
#include "engine.h"
#include "scenario.h"
#include "uncertain.h"

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
    gs_error err = {0};
    int vary[PARAM_COUNT], own_factor = 0, nvary = 0;
    gs_scenario sc;
    double *drawn = NULL; /* [n][nd] with `draws` */
    size_t nd = 0;
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    if (argc > 3) {
        if (scenario_load(argv[3], NULL, 0, &sc, &err) != GS_OK) {
            fprintf(stderr, "bench_columns: %s\n", err.msg);
            return 1;
        }
        p = sc.params;
        for (int j = 0; j < PARAM_COUNT; j++) vary[j] = 0;
        for (size_t u = 0; u < sc.n_uncertain; u++) vary[sc.uncertain[u].id] = 1;
        if (argc > 4 && strcmp(argv[4], "draws") != 0) {
            fprintf(stderr, "bench_columns: the fourth argument can only be 'draws', not '%s'\n", argv[4]);
            return 2;
        }
        if (argc > 4) {
            nd = sc.n_uncertain;
            for (size_t u = 0; u < nd; u++) ids[u] = sc.uncertain[u].id;
            drawn = malloc((n ? n : 1) * (nd ? nd : 1) * sizeof *drawn);
            if (!drawn || uncertain_draw(&sc, 1, ENGINE_PARAM_FAMILY, 0, n, n, drawn, &err) != GS_OK) {
                fprintf(stderr, "bench_columns: %s\n", drawn ? err.msg : "out of memory");
                return 1;
            }
        }
        scenario_free(&sc);
    } else {
        params_defaults(&p);
        for (int j = 0; j < PARAM_COUNT; j++) vary[j] = 1;
    }
    gs_model m;
    if (model_init(&m, &p, &err) != GS_OK || isa_from_env(&m.isa, &err) != GS_OK) {
        fprintf(stderr, "bench_columns: %s\n", err.msg);
        return 1;
    }
    for (int j = 0; j < PARAM_COUNT; j++) { /* not the whole numbers */
        const double v = *params_field(&p, (gs_param_id)j);
        vary[j] = vary[j] && (drawn || v != floor(v));
        nvary += vary[j];
        if (argc > 3 && vary[j] && j >= PARAM_correlation_hardware_power &&
            j <= PARAM_correlation_demand_readiness)
            own_factor = 1; /* as the engine: its own factor */
    }
    double *state = malloc(MODEL_STATE_ARRAYS * n * sizeof(double));
    double *rec = malloc(VAR_COUNT * n * sizeof(double));
    /* the engine's layout (engine.c): blocks of ENGINE_BLOCK, each a view of the
     * columns with its own plan */
    const size_t nblocks = (n + ENGINE_BLOCK - 1) / ENGINE_BLOCK;
    double *cols = malloc(MODEL_COLUMNS * n * sizeof(double));
    uint64_t *plans = malloc(nblocks * MODEL_COLUMN_WORDS * sizeof *plans);
    const gs_columns all = {cols, n, own_factor, NULL}; /* every trajectory, for the store */
    rng_pcg32 *rng = malloc(n * sizeof *rng);
    if (!state || !rec || !cols || !plans || !rng) return 1;
    gs_block b = {.n = n};
    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b.x[s] = state + (size_t)s * n;
    double *out[VAR_COUNT];
    for (int v = 0; v < VAR_COUNT; v++) out[v] = rec + (size_t)v * n;
    double best[2] = {1e300, 1e300}, check = 0.0;
    int uniform = 0;
    const int reps = n <= 4096 ? 15 : 3;
    for (int rep = 0; rep < reps; rep++)
        for (int mode = 0; mode < 2; mode++) {
            for (size_t i = 0; i < n; i++) rng_stream(&rng[i], 1, 0, i);
            if (mode == 0) {
                model_start(&m, &b);
            } else {
                for (size_t i = 0; i < n; i++) {
                    gs_params q = p;
                    const double f = 1.0 + 0.05 * ((double)(i % 97) / 97.0 - 0.5);
                    for (size_t u = 0; u < nd; u++) *params_field(&q, ids[u]) = drawn[i * nd + u];
                    for (int j = 0; j < PARAM_COUNT && !drawn; j++)
                        if (vary[j]) *params_field(&q, (gs_param_id)j) *= f;
                    gs_model mi;
                    double L[SHOCK_COUNT * SHOCK_COUNT];
                    if (own_factor && params_cholesky(&q, L) != GS_OK) return 1;
                    model_init_factor(&mi, &q, own_factor ? L : m.L, NULL);
                    gs_block b1 = {.n = 1};
                    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) b1.x[s] = b.x[s] + i;
                    model_start(&mi, &b1);
                    model_columns_store(&all, i, &mi);
                }
                uniform = 0;
                for (size_t j = 0; j < nblocks; j++) {
                    const size_t first = j * ENGINE_BLOCK;
                    const gs_columns cb = {cols + first, n, own_factor, NULL};
                    uint64_t *plan = plans + j * MODEL_COLUMN_WORDS;
                    model_columns_plan(&cb, n - first < ENGINE_BLOCK ? n - first : ENGINE_BLOCK, plan);
                    for (int col = 0; j == 0 && col < MODEL_COLUMNS; col++)
                        uniform += (int)((plan[col / 64] >> (col % 64)) & 1u);
                }
            }
            const double t0 = cpu_seconds();
            for (int k = 0; k <= cycles; k++)
                for (size_t j = 0; j < nblocks; j++) {
                    const size_t first = j * ENGINE_BLOCK;
                    const size_t count = n - first < ENGINE_BLOCK ? n - first : ENGINE_BLOCK;
                    gs_block bj = {.n = count};
                    for (int s = 0; s < MODEL_STATE_ARRAYS; s++) bj.x[s] = b.x[s] + first;
                    double *oj[VAR_COUNT];
                    for (int v = 0; v < VAR_COUNT; v++) oj[v] = out[v] + first;
                    if (mode == 0) {
                        model_record(&m, &bj, k, oj);
                        if (k < cycles) model_advance(&m, &bj, k, rng + first);
                    } else {
                        const gs_columns cb = {cols + first, n, own_factor,
                                               plans + j * MODEL_COLUMN_WORDS};
                        model_step_columns(&m, &cb, &bj, k, oj, k < cycles ? rng + first : NULL);
                    }
                }
            const double t = cpu_seconds() - t0;
            if (t < best[mode]) best[mode] = t;
            check += rec[n / 2];
        }
    const double tc = (double)n * (cycles + 1);
    printf("columns %.1f %.1f %.2f (%d parameters vary%s, %s factor, %d of %d columns shared; "
           "checksum %g)\n",
           1e9 * best[0] / tc, 1e9 * best[1] / tc, best[1] / best[0], nvary,
           drawn ? " over their priors" : " by ±2.5%",
           own_factor ? "own" : "shared", uniform, own_factor ? MODEL_COLUMNS : MODEL_TRAJ_COLUMNS,
           check);
    free(drawn);
    free(plans);
    return 0;
}
