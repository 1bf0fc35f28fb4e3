/* cli_merge.c - `--shard I/N` (one slice of the trajectories into a partial file) and
 * `gapsim merge` (the partial files into the output of the single run, bit for bit).
 *
 * A shard runs the whole scenario (every sweep point) for its slice of the
 * trajectories, engine_slice(N_traj, I, N): whole blocks, as an MPI rank would.  It
 * computes no statistics: each cycle's recorded values of its trajectories go to the
 * partial file (sim/partial.c: the format, written atomically and read defensively),
 * about 8 x VAR_COUNT x (K+1) bytes per trajectory and point before compression.
 * Merge checks that the files are the N shards of one run (same gapsim version,
 * scenario text, --set overrides, seed and options; every shard 0..N-1 exactly once),
 * then runs the engine with the values read back instead of the model
 * (engine_values_fn source): the statistics, outcome counts and paths are computed
 * from the very same numbers by the very same code, so the result equals the single
 * run's.  Interrupted (SIGINT, SIGTERM), both stop within a cycle, remove their
 * temporary file and exit 128 + the signal, leaving the target untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "h5out.h"
#include "h5util.h"
#include "history.h"
#include "isa.h"
#include "model.h"
#include "partial.h"
#include "scenario.h"
#include "study.h"

int cli_shard_parse(const char *s, uint32_t *shard, uint32_t *nshards)
{
    unsigned long i, n;
    char tail;
    if (!s || sscanf(s, "%lu/%lu%c", &i, &n, &tail) != 2 || n == 0 || i >= n ||
        n > PARTIAL_MAX_SHARDS || strchr(s, '-'))
        return -1;
    *shard = (uint32_t)i, *nshards = (uint32_t)n;
    return 0;
}

int cli_shard_run(const gs_scenario *sc, const gs_run_options *opt, const char *const *sets,
                  size_t nsets, const char *output, int quiet, gs_error *err)
{
    if (opt->comm && opt->comm->size > 1)
        return cli_usage_error("--shard is for runs without MPI; under mpirun leave it out");
    uint64_t n = opt->trajectories ? opt->trajectories : sc->trajectories, first, count;
    engine_slice(n, opt->shard, opt->nshards, &first, &count);
    uint64_t points = sc->sweep.kind != SWEEP_NONE ? sc->sweep.points : 1;
    int cycles = (int)sc->params.run_cycles + 1;
    partial_writer *w;
    if (partial_create(output, sc, opt, sets, nsets, points, cycles, count, &w, err) != GS_OK)
        return cli_report(err);
    gs_run_options o = *opt;
    o.sink = partial_sink, o.sink_ctx = w, o.comm = NULL;
    o.history_out = partial_history_out; /* a history-matched run's decisions (history.h) */
    gs_study_result res;
    gs_status st = study_run(sc, &o, NULL, &res, err);
    if (st == GS_OK) { /* the level the kernels ran on; the engine's rule when none ran */
        char isa[sizeof res.run.isa];
        snprintf(isa, sizeof isa, "%s", res.run.isa);
        isa_level level;
        gs_error ierr;
        if (!isa[0] && isa_from_env(&level, &ierr) == GS_OK)
            snprintf(isa, sizeof isa, "%s", isa_name(isa_runnable(level)));
        if (isa[0]) st = partial_set_isa(w, isa, err);
        study_result_free(&res);
    }
    gs_error ferr;
    gs_status fst = partial_finish(w, st == GS_OK, &ferr);
    if (st == GS_OK && fst != GS_OK) st = fst, *err = ferr;
    if (gs_interrupt_pending()) {
        fprintf(stderr, "\ngapsim: interrupted; no output written\n");
        return 128 + gs_interrupt_pending();
    }
    if (st != GS_OK) return cli_report(err);
    if (!quiet)
        printf("Wrote shard %u of %u (trajectories %llu..%llu of %llu, %llu point%s) to %s\n",
               opt->shard, opt->nshards, (unsigned long long)first,
               (unsigned long long)(first + count) - (count > 0), (unsigned long long)n,
               (unsigned long long)points, points == 1 ? "" : "s", output);
    return 0;
}

/* ---- merge ------------------------------------------------------------------------- */

typedef struct {
    const char *output;
    int quiet;
} merge_args;

static int merge_option(void *ctx, const cli_option *o, const char *val)
{
    merge_args *m = ctx;
    if (o->key == 'o') m->output = val;
    if (o->key == 'q') m->quiet = 1;
    return 0;
}

int cli_merge_main(int argc, char **argv)
{
    merge_args m = {NULL, 0};
    const char **names = calloc((size_t)argc, sizeof *names);
    if (!names) return fprintf(stderr, "gapsim: out of memory\n"), 1;
    int npos = 0;
    int prc = cli_parse(cli_find("merge"), argc, argv, merge_option, &m, names, argc, &npos);
    if (prc) return free(names), cli_exit_status(prc);
    size_t nn = (size_t)npos;
    const char *output = m.output;
    int quiet = m.quiet;
    if (!output) return free(names), cli_usage_error("merge needs -o OUT.h5");
    if (nn == 0) return free(names), cli_usage_error("merge needs the partial files PART.h5 ...");
    h5util_init();
    partial_file *parts = calloc(nn, sizeof *parts);
    gs_error err;
    char target[H5UTIL_PATH_MAX], dir[H5UTIL_PATH_MAX];
    gs_status st = parts ? GS_OK : gs_error_set(&err, GS_ERR_NOMEM, "merge: out of memory");
    if (st == GS_OK) st = h5util_output_target(output, target, sizeof target, dir, sizeof dir, &err);
    size_t opened = 0;
    for (; st == GS_OK && opened < nn; opened++) st = partial_open(names[opened], &parts[opened], &err);
    if (st == GS_OK) st = partial_check_set(parts, nn, &err);
    gs_scenario sc;
    int have_sc = 0;
    const char *sets[PARTIAL_MAX_SETS];
    size_t nsets = 0;
    if (st == GS_OK) st = partial_sets(&parts[0], sets, &nsets, &err);
    if (st == GS_OK) {
        st = scenario_parse(parts[0].text, strlen(parts[0].text), parts[0].scenario_file, sets,
                            nsets, &sc, &err);
        have_sc = st == GS_OK;
    }
    gs_run_options opt = {0};
    partial_source src = {parts, nn, -1};
    if (st == GS_OK) {
        opt.trajectories = parts[0].trajectories, opt.seed = parts[0].seed;
        opt.seed_set = parts[0].seed_set, opt.paths = parts[0].paths;
        opt.keep_draws = parts[0].keep_draws != 0 || sc.discover.line;
        opt.source = partial_source_read, opt.source_ctx = &src;
        opt.history_in = partial_history_in;
        uint64_t points = sc.sweep.kind != SWEEP_NONE ? sc.sweep.points : 1;
        if (points != parts[0].points || (uint64_t)sc.params.run_cycles + 1 != parts[0].cycles)
            st = gs_error_set(&err, GS_ERR_INPUT,
                              "%s: attributes 'points' and 'cycles' (%llu, %llu) contradict its "
                              "scenario_text (%llu, %llu)",
                              parts[0].name, (unsigned long long)parts[0].points,
                              (unsigned long long)parts[0].cycles, (unsigned long long)points,
                              (unsigned long long)sc.params.run_cycles + 1);
    }
    if (st == GS_OK && parts[0].history != (sc.history_targets[0] != '\0'))
        st = gs_error_set(&err, GS_ERR_INPUT, "%s: attribute 'history' contradicts its scenario_text",
                          parts[0].name);
    if (st == GS_OK && parts[0].history) { /* the targets the summaries are made against */
        char hex[HASH_HEX_SIZE];
        st = partial_targets_hash(sc.history_targets, hex, &err);
        if (st == GS_OK && strcmp(hex, parts[0].targets_sha256))
            st = gs_error_set(&err, GS_ERR_INPUT,
                              "merge: the targets file %s has changed since the shards ran "
                              "(its SHA-256 differs from theirs)", sc.history_targets);
    }
    if (st == GS_OK)
        st = partial_check_shape(parts, nn, opt.trajectories ? opt.trajectories : sc.trajectories,
                                 &err);
    gs_study_result res;
    int have_res = 0;
    if (st == GS_OK) {
        st = study_run(&sc, &opt, NULL, &res, &err);
        have_res = st == GS_OK;
    }
    if (st == GS_OK) {
        partial_isa(parts, nn, res.run.isa, sizeof res.run.isa); /* the shards' level(s) */
        char command[512];
        snprintf(command, sizeof command, "gapsim merge of %zu shards of: gapsim run %s", nn, sc.path);
        h5out_meta meta = {GAPSIM_VERSION, GAPSIM_GIT, command};
        st = h5out_write(output, &sc, &res, &meta, &err);
    }
    int rc = 0;
    if (gs_interrupt_pending()) {
        fprintf(stderr, "\ngapsim: merge interrupted; %s not written\n", output);
        rc = 128 + gs_interrupt_pending();
    } else if (st != GS_OK) {
        fprintf(stderr, "gapsim: %s%s\n", strncmp(err.msg, "merge:", 6) ? "merge: " : "", err.msg);
        rc = gs_status_exit_code(st);
    } else if (!quiet && res.history) {
        printf("Merged %zu shards (%llu of %llu drawn trajectories consistent with history) "
               "into %s\n", nn, (unsigned long long)res.history->tally.accepted,
               (unsigned long long)res.history->tally.drawn, output);
    } else if (!quiet) {
        printf("Merged %zu shards (%llu trajectories) into %s\n", nn,
               (unsigned long long)res.run.trajectories, output);
    }
    if (rc == 0 && st == GS_OK && have_sc) rc = cli_discover_after_run(&sc, output, quiet);
    if (have_res) study_result_free(&res);
    if (have_sc) scenario_free(&sc);
    for (size_t i = 0; i < opened && parts; i++) partial_close(&parts[i]);
    free(parts);
    free(names);
    return rc;
}
