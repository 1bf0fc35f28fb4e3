/* prim_tool.c - test helper for the PRIM module (not part of the program).
 *
 *   prim_tool gen SCENARIO N SEED           writes to stdout a CSV of N trajectories of a
 *       real gapsim run of SCENARIO through the library (uncertain_draw of the uncertain
 *       parameters, engine_run_job with the per-cycle metrics): one float32 column per
 *       uncertain parameter (rounded to 5 significant digits, %.5g, to keep the file small:
 *       ties are then common, which the test wants too) and premium_class, the class of the premium at
 *       the horizon (0 compound, 1 persist, 2 collapse).  tests/data/prim_uncertain.csv.gz
 *       was made with  prim_tool gen scenarios/uncertain.yaml 20000 20260601.
 *   prim_tool run CSV [peel_alpha paste_alpha min_mass box_count]
 *       reads such a CSV, runs prim_run with target "class == 0" (compound) and prints
 *       every box's peeling trajectory (%.17g), chosen step, pasted box and limits, then
 *       the sentences of prim_describe.  tests/e2e_prim.sh compares this output with
 *       tests/prim_reference.py.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "engine.h"
#include "prim.h"
#include "scenario.h"
#include "uncertain.h"

static int fail(const gs_error *err)
{
    fprintf(stderr, "prim_tool: %s\n", err->msg);
    return 2;
}

static int gen(const char *path, size_t n, uint64_t seed)
{
    gs_scenario sc;
    gs_error err;
    if (scenario_load(path, NULL, 0, &sc, &err) != GS_OK) return fail(&err);
    const size_t d = sc.n_uncertain, cycles = (size_t)sc.params.run_cycles + 1;
    double *values = malloc(n * (d ? d : 1) * sizeof *values);
    double *metrics = malloc(cycles * METRIC_COUNT * n * sizeof *metrics);
    if (!values || !metrics) return 1;
    if (uncertain_draw(&sc, seed, ENGINE_PARAM_FAMILY, 0, n, n, values, &err) != GS_OK)
        return fail(&err);
    gs_param_id ids[SCENARIO_MAX_UNCERTAIN];
    for (size_t j = 0; j < d; j++) ids[j] = sc.uncertain[j].id;
    engine_job job = {.params = sc.params, .seed = seed, .n = n, .d = d, .ids = ids,
                      .values = values, .outcomes_only = 1, .cycle_metrics = metrics};
    gs_run_options opt = {0};
    gs_result res;
    if (engine_run_job(&sc, &job, &opt, &res, &err) != GS_OK) return fail(&err);
    engine_result_free(&res);
    int q = 0;
    while (model_metrics[q] != VAR_premium) q++;
    for (size_t j = 0; j < d; j++) printf("%s,", params_table[ids[j]].key);
    printf("premium_class\n");
    /* the class of the horizon value against cycle 0 with a one-cycle window (version 1's
     * rule; the stored data set tests/data/prim_uncertain.csv.gz was made with version 1) */
    const double *m0 = metrics + (size_t)q * n;
    const double *mk = metrics + ((cycles - 1) * METRIC_COUNT + (size_t)q) * n;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) printf("%.5g,", (double)(float)values[i * d + j]);
        printf("%d\n", model_classify(m0[i], mk[i], sc.params.outcome_compound_ratio,
                                      sc.params.outcome_collapse_ratio));
    }
    free(values);
    free(metrics);
    scenario_free(&sc);
    return 0;
}

enum { MAX_COLS = 64 };

static int run(const char *path, int argc, char **argv)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char line[8192];
    char *names[MAX_COLS];
    size_t ncol = 0;
    if (!fgets(line, sizeof line, f)) return 1;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *tok = strtok(line, ","); tok && ncol < MAX_COLS; tok = strtok(NULL, ","))
        names[ncol++] = strdup(tok);
    const size_t d = ncol - 1;
    size_t cap = 1024, n = 0;
    float *rows = malloc(cap * d * sizeof *rows);
    uint8_t *y = malloc(cap);
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            rows = realloc(rows, cap * d * sizeof *rows);
            y = realloc(y, cap);
        }
        char *s = line;
        for (size_t j = 0; j < d; j++) rows[n * d + j] = strtof(s, &s), s++;
        y[n++] = (uint8_t)(strtol(s, NULL, 10) == 0);
    }
    fclose(f);
    float *cols = malloc(n * d * sizeof *cols);
    const float *colp[MAX_COLS];
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++) cols[j * n + i] = rows[i * d + j];
        colp[j] = cols + j * n;
    }
    prim_options opt = prim_options_default();
    if (argc > 0) opt.peel_alpha = atof(argv[0]);
    if (argc > 1) opt.paste_alpha = atof(argv[1]);
    if (argc > 2) opt.min_mass = atof(argv[2]);
    if (argc > 3) opt.box_count = (size_t)atoi(argv[3]);
    prim_data data;
    prim_result res;
    gs_error err;
    if (prim_data_create(&data, n, d, colp, 0, 0, &err) != GS_OK) return fail(&err);
    if (prim_run(&data, y, NULL, &opt, &res, &err) != GS_OK) return fail(&err);
    printf("rows %llu positives %llu boxes %zu\n", (unsigned long long)res.rows,
           (unsigned long long)res.positives, res.n_boxes);
    for (size_t b = 0; b < res.n_boxes; b++) {
        const prim_box *bx = &res.boxes[b];
        printf("box %zu steps %zu chosen %zu pastes %zu\n", b, bx->n_steps, bx->chosen,
               bx->pastes);
        for (size_t t = 0; t < bx->n_steps; t++) {
            const prim_step *s = &bx->steps[t];
            printf("step %zu %llu %llu %.17g %.17g %.17g %u %d\n", t,
                   (unsigned long long)s->rows, (unsigned long long)s->positives, s->coverage,
                   s->density, s->mass, s->restricted, s->moved);
        }
        printf("final %llu %llu %.17g %.17g %.17g %u\n", (unsigned long long)bx->box.rows,
               (unsigned long long)bx->box.positives, bx->box.coverage, bx->box.density,
               bx->box.mass, bx->box.restricted);
        for (size_t j = 0; j < d; j++)
            printf("limit %zu %.9g %.9g %.17g %.17g %.17g\n", j, bx->lower[j], bx->upper[j],
                   bx->p_lower[j], bx->p_upper[j], bx->gain[j]);
    }
    const prim_words words = {.labels = (const char *const *)names, .subject =
                              "the premium compounds", .rows = "futures",
                              .positives = "compounding ones"};
    if (prim_describe(stdout, &res, &words, &err) != GS_OK) return fail(&err);
    prim_result_free(&res);
    prim_data_free(&data);
    free(rows);
    free(cols);
    free(y);
    for (size_t j = 0; j < ncol; j++) free(names[j]);
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc == 5 && !strcmp(argv[1], "gen"))
        return gen(argv[2], (size_t)strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    if (argc >= 3 && !strcmp(argv[1], "run")) return run(argv[2], argc - 3, argv + 3);
    fprintf(stderr, "usage: prim_tool gen SCENARIO N SEED | prim_tool run CSV [peel paste mass "
                    "boxes]\n");
    return 2;
}
