/* main.c - the gapsim command: run, sweep, check and keys (their options are parsed in
 * cli_commands.c, which also holds the command table), mapping errors to exit codes.
 *
 * Exit codes: 0 success; 2 bad input or usage (scenario, --set, options); 1 runtime
 * failure (memory, output file); 128+signal when interrupted (130 SIGINT, 143 SIGTERM).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <omp.h>

#include "cli.h"
#include "comm.h"
#include "engine.h"
#include "error.h"
#include "estimate.h"
#include "resume.h"
#include "h5out.h"
#include "h5util.h"
#include "input.h"
#include "scenario.h"
#include "stream.h"
#include "study.h"
#include "summary.h"
#include "upgrade.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif
#ifndef GAPSIM_GIT
#define GAPSIM_GIT "unknown"
#endif

static volatile sig_atomic_t interrupted;
static gs_comm world; /* the MPI ranks (one process in the serial build) */

/* SIGINT/SIGTERM: the engine stops at the next progress check; a write in progress
 * removes its temporary file. */
static void on_signal(int sig)
{
    interrupted = sig;
    gs_interrupt_raise(sig); /* the engine and the writers stop within a block or chunk */
    h5out_cleanup_on_signal();
}

/* Progress: a bar on a terminal once a run has lasted a second, else a log line every
 * ten seconds. */
typedef struct {
    int tty, quiet, shown;
    double start, last;
    unsigned pass; /* streaming mode: the pass running (0 for a run in memory) */
} progress_state;

/* The time now as an ISO 8601 UTC stamp for log lines. */
static void utc_stamp(char stamp[32])
{
    time_t t = time(NULL);
    strftime(stamp, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_state *p = ctx;
    if (interrupted) return 1;
    if (p->quiet) return 0;
    double now = omp_get_wtime(), elapsed = now - p->start;
    double frac = total ? (double)done / (double)total : 1.0;
    if (p->tty) {
        if (elapsed < 1.0 && !p->shown) return 0;
        int width = 40, fill = (int)(frac * width + 0.5);
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
        char pass[32] = "";
        if (p->pass) snprintf(pass, sizeof pass, "pass %u  ", p->pass);
        fprintf(stderr, "\r[%s] %5.1f%%  %s%.0fs elapsed, %.0fs left ", bar, 100 * frac, pass,
                elapsed, eta);
        if (done == total) fprintf(stderr, "\n");
        p->shown = 1;
    } else if (now - p->last >= 10.0 || (done == total && p->shown && !p->pass)) {
        char stamp[32], pass[32] = "";
        utc_stamp(stamp);
        if (p->pass) snprintf(pass, sizeof pass, "pass %u: ", p->pass);
        fprintf(stderr, "%s gapsim: %s%.1f%% done (%llu of %llu trajectory-cycles), %.0fs\n",
                stamp, pass, 100 * frac, (unsigned long long)done, (unsigned long long)total,
                elapsed);
        p->last = now;
        p->shown = 1;
    }
    return 0;
}

/* Streaming mode's passes: the bar and the log lines name the pass; without a terminal
 * each finished pass is one log line (the end of a pass is not the end of the run). */
static void on_pass(void *ctx, uint32_t pass, int finished, int more)
{
    progress_state *p = ctx;
    p->pass = pass;
    if (!finished || p->quiet || p->tty) return;
    char stamp[32];
    utc_stamp(stamp);
    fprintf(stderr, "%s gapsim: streaming pass %u done, %.0fs%s\n", stamp, pass,
            omp_get_wtime() - p->start,
            more ? "; another pass follows" : "; every quantile is known");
    p->last = omp_get_wtime();
    p->shown = 1;
}

/* The command line as one string for the provenance (arguments with spaces quoted). */
static char *join_command_line(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 3;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) {
        int quote = strpbrk(argv[i], " \t") != NULL;
        p += sprintf(p, i ? (quote ? " '%s'" : " %s") : (quote ? "'%s'" : "%s"), argv[i]);
    }
    return s;
}

/* The default output path, output/<name>.h5, creating output/ if needed. */
static int default_output(const gs_scenario *sc, char *buf, size_t size)
{
    if (mkdir("output", 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gapsim: cannot create directory 'output': %s\n", strerror(errno));
        return -1;
    }
    snprintf(buf, size, "output/%s.h5", sc->name);
    return 0;
}

/* `gapsim keys`: every scenario key as a Markdown table (the README's table is this
 * output; a test keeps them in step). */
int cli_keys_main(int argc, char **argv)
{
    int npos = 0;
    int rc = cli_parse(cli_find("keys"), argc, argv, NULL, NULL, NULL, 0, &npos);
    if (rc) return cli_exit_status(rc);
    printf("| key | symbol | unit | default | valid range | meaning |\n");
    printf("|---|---|---|---|---|---|\n");
    gs_scenario def;
    gs_error err;
    if (scenario_init_default(&def, &err) != GS_OK) return cli_report(&err);
    for (int k = 0; k < RUNKEY_COUNT; k++) { /* runkeys.def, defaults as a scenario has them */
        const runkey_info *r = &runkeys_table[k];
        char value[1024];
        scenario_runkey_text(&def, (runkey_id)k, value, sizeof value);
        printf("| %s | %s%s| %s | %s | %s | %s |\n", r->key, r->symbol, *r->symbol ? " " : "",
               r->unit, value, r->range, r->meaning);
    }
    scenario_free(&def);
    for (int i = 0; i < PARAM_COUNT; i++) {
        const gs_param_info *p = &params_table[i];
        printf("| %s | %s | %s | %g | %c%g, %g%c | %s%s |\n", p->key, p->symbol, p->unit, p->def,
               p->flags & PF_LO_OPEN ? '(' : '[', p->lo, p->hi, p->flags & PF_HI_OPEN ? ')' : ']',
               p->meaning, p->flags & PF_INT ? " (whole number)" : "");
    }
    return 0;
}

/* Writes text[0..len) to path through a temporary file in the same directory, renamed
 * over it only when complete (no half-written file).  Returns 0, or 1 with a message. */
static int write_whole_file(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 32);
    if (!tmp) return fprintf(stderr, "gapsim: %s: out of memory\n", path), 1;
    snprintf(tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int bad = !f;
    if (f) {
        bad |= fwrite(text, 1, len, f) != len;
        bad |= fclose(f) != 0;
    }
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "gapsim: %s: cannot write: %s\n", path, strerror(errno));
        if (f) unlink(tmp);
        free(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}

/* `gapsim check --upgrade FILE [-o OUT]`: the version 2 text on stdout or in OUT, the
 * list of changes on stderr. */
static int check_upgrade(const cli_args *a)
{
    if (a->nsets)
        return cli_usage_error("check --upgrade: --set and the run options do not apply "
                               "(upgrade the file, then check the result with them)");
    char *text, *out, *log;
    size_t len, out_len;
    gs_error err;
    if (input_read_file(a->scenario, &text, &len, &err) != GS_OK) return cli_report(&err);
    gs_status st = upgrade_scenario(text, len, a->scenario, &out, &out_len, &log, &err);
    free(text);
    if (st != GS_OK) return cli_report(&err);
    fputs(log, stderr);
    int rc = 0;
    if (a->output) {
        rc = write_whole_file(a->output, out, out_len);
        if (!rc) fprintf(stderr, "gapsim: wrote %s (model version 2)\n", a->output);
    } else if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
        fprintf(stderr, "gapsim: cannot write the upgraded scenario: %s\n", strerror(errno));
        rc = 1;
    }
    free(out);
    free(log);
    return rc;
}

int cli_check_main(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse_run(argc, argv, &a);
    if (rc) return cli_exit_status(rc);
    if ((rc = cli_refuse_result_file(a.scenario))) return rc;
    if (a.upgrade) return check_upgrade(&a);
    if (a.output) return cli_usage_error("check: -o/--output is for --upgrade");
    gs_scenario sc;
    gs_error err;
    if (scenario_load(a.scenario, a.sets, a.nsets, &sc, &err) != GS_OK) return cli_report(&err);
    targets_set targets = {0};
    if (history_enabled(&sc) && history_load(&sc, &a.run, &targets, &err) != GS_OK) {
        scenario_free(&sc);
        return cli_report(&err);
    }
    printf("%s: OK (scenario '%s', %d cycles, %llu trajectories)\n", a.scenario, sc.name,
           (int)sc.params.run_cycles, (unsigned long long)sc.trajectories);
    if (targets.n)
        printf("  history-matched against %zu targets of %s\n", targets.n, targets.path);
    targets_free(&targets);
    scenario_free(&sc);
    return 0;
}

/* Estimates memory and time before anything is allocated.  --dry-run prints the
 * estimate and returns 0; a run whose estimate exceeds 90% of the memory available is
 * refused (exit 1) with the largest trajectory count that would fit.  Returns -1 when
 * the run should go ahead. */
/* Streaming mode (--memory, or chosen here when the run would take more than 80% of the
 * physical memory): refuses what it cannot run (exit 2), prints the plan for --dry-run.
 * Returns -1 to go ahead, else the exit status. */
static int check_streaming(const gs_scenario *sc, cli_args *a, const gs_estimate *e,
                           double avail)
{
    const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const int asked = a->run.memory > 0;
    const char *why = stream_refusal(sc, &a->run);
    if (!asked) {
        if (why || !(phys > 0 && e->bytes > 0.8 * phys)) return -1;
        a->run.memory = 0.7 * (avail > 0 && avail < phys ? avail : phys);
        fprintf(stderr,
                "gapsim: %s: the run needs about %.0f MB in memory, more than 80%% of the %.0f MB "
                "of this machine: streaming mode within %.0f MB (--memory)\n",
                sc->name, e->bytes / 1e6, phys / 1e6, a->run.memory / 1e6);
    }
    if (why) return cli_usage_error("--memory: %s", why);
    stream_plan plan;
    gs_error err;
    uint64_t paths = a->run.paths < e->trajectories ? a->run.paths : e->trajectories;
    if (stream_plan_of(sc, e->trajectories, a->run.memory, e->threads, paths, &plan, &err) != GS_OK)
        return cli_report(&err);
    if (paths > plan.batch)
        return cli_usage_error("--paths %llu: in streaming mode at most the first batch (%llu "
                               "trajectories) can be stored", (unsigned long long)paths,
                               (unsigned long long)plan.batch);
    if (a->dry_run) {
        printf("gapsim: dry run of scenario '%s' in streaming mode (--memory %.0f MB)\n", sc->name,
               a->run.memory / 1e6);
        printf("  %llu trajectories x %d cycles, %d threads\n",
               (unsigned long long)plan.trajectories, (int)sc->params.run_cycles, e->threads);
        printf("  batches: %llu of %llu trajectories (%.1f MB of state each)\n",
               (unsigned long long)plan.batches, (unsigned long long)plan.batch,
               plan.bytes_batch / 1e6);
        printf("  statistics: %.0f MB (histograms of %zu buckets per variable and cycle, "
               "gathering up to %.0f values per pass)\n",
               plan.bytes_stats / 1e6, plan.hist_buckets, plan.gather_keys);
        printf("  memory: about %.0f MB at the peak\n", plan.bytes / 1e6);
        printf("  passes: at least 2 (every pass runs the model again), about %.1f s each\n",
               e->seconds);
        return 0;
    }
    if (avail > 0 && plan.bytes > 0.9 * avail) {
        fprintf(stderr, "gapsim: %s: --memory %.0f MB: only %.0f MB of memory are available\n",
                sc->name, a->run.memory / 1e6, avail / 1e6);
        return 1;
    }
    return -1;
}

static int check_resources(const gs_scenario *sc, cli_args *a, const char *output)
{
    gs_estimate e, bound;
    estimate_run(sc, &a->run, &e);
    double avail = estimate_available_memory();
    /* history matching: e assumes every drawn trajectory is kept; a pilot of the history
     * window (--dry-run, or when that bound would not fit) gives the fraction kept,
     * taken 3 standard errors high */
    targets_tally t = {0};
    bound = e;
    if (history_enabled(sc) && (a->dry_run || (avail > 0 && e.bytes > 0.9 * avail))) {
        gs_error err;
        size_t pilot = e.trajectories < 4096 ? (size_t)e.trajectories : 4096;
        if (history_pilot(sc, &a->run, pilot, &t, &err) != GS_OK) return cli_report(&err);
        double r = (double)t.accepted / (double)t.drawn;
        double kept = r + 3 * sqrt((r * (1 - r) + 1.0 / (double)t.drawn) / (double)t.drawn);
        estimate_run_kept(sc, &a->run, kept < 1 ? kept : 1, &e);
    }
    int srm = check_streaming(sc, a, &e, avail);
    if (srm >= 0 || a->run.memory > 0) return srm;
    uint64_t fit = estimate_max_trajectories(&e, 0.9 * avail);
    if (a->dry_run) {
        printf("gapsim: dry run of scenario '%s' -> %s\n", sc->name, output);
        printf("  %llu trajectories x %d cycles", (unsigned long long)e.trajectories,
               (int)sc->params.run_cycles);
        if (e.points > 1) printf(" x %llu sweep points", (unsigned long long)e.points);
        printf(", %d threads\n", e.threads);
        printf("  memory: about %.0f MB (%.0f bytes per trajectory", e.bytes / 1e6,
               e.bytes_per_trajectory);
        if (e.concurrent > 1) printf(", %d points at once", e.concurrent);
        printf(")\n  time:   about %.1f s (rough: ~200 ns of CPU per trajectory-cycle)\n",
               e.seconds);
        if (avail > 0)
            printf("  available memory %.0f MB: at most %llu trajectories per run fit\n",
                   avail / 1e6, (unsigned long long)fit);
        if (history_enabled(sc)) { /* the pilot of the history window: how many are kept */
            double rate = (double)t.accepted / (double)t.drawn;
            printf("  history: a pilot of %llu drawn trajectories kept %llu (%.1f%%), so about\n"
                   "  %.0f of the %llu drawn would be kept (standard error of a probability\n"
                   "  <= %.4f)\n",
                   (unsigned long long)t.drawn, (unsigned long long)t.accepted, 100 * rate,
                   rate * (double)e.trajectories, (unsigned long long)e.trajectories,
                   rate > 0 ? sqrt(0.25 / (rate * (double)e.trajectories)) : 1.0);
            printf("  memory: the figure above counts the pilot's fraction kept + 3 standard "
                   "errors;\n  about %.0f MB if every drawn trajectory were kept\n",
                   bound.bytes / 1e6);
            double target = a->run.target_se > 0 ? a->run.target_se : sc->target_se;
            if (target > 0) { /* batches of B drawn until SE <= target at p = 1/2, worst case */
                uint64_t B = a->run.trajectories ? a->run.trajectories : sc->trajectories;
                uint64_t cap = sc->max_trajectories > B ? sc->max_trajectories : B;
                double need = rate > 0 ? 0.25 / (target * target) / rate : (double)INFINITY;
                double nb = ceil(need / (double)B);
                uint64_t drawn = nb * (double)B < (double)cap ? (uint64_t)nb * B : cap / B * B;
                printf("  --target-se %g: about %.0f accepted trajectories needed (at P = 0.5), so\n"
                       "  about %llu drawn in %llu batches of %llu%s\n",
                       target, 0.25 / (target * target), (unsigned long long)drawn,
                       (unsigned long long)(drawn / B), (unsigned long long)B,
                       nb * (double)B > (double)cap ? " (capped by run.max_trajectories)" : "");
            }
        }
        return 0;
    }
    if (avail > 0 && e.bytes > 0.9 * avail) {
        fprintf(stderr,
                "gapsim: %s: the run needs about %.0f MB for %llu trajectories, more than 90%% "
                "of the %.0f MB of memory available; at most %llu trajectories fit (lower "
                "--trajectories%s%s)\n",
                sc->name, e.bytes / 1e6, (unsigned long long)e.trajectories, avail / 1e6,
                (unsigned long long)fit,
                (a->run.target_se > 0 || sc->target_se > 0)
                    ? ", or run.max_trajectories, which caps --target-se"
                    : "",
                sc->n_uncertain == 0 ? ", or stream the statistics with --memory" : "");
        return 1;
    }
    return -1;
}

int cli_run_main(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse_run(argc, argv, &a);
    if (rc) return cli_exit_status(rc);
    if ((rc = cli_refuse_result_file(a.scenario))) return rc;
    gs_scenario sc;
    gs_error err;
    if (scenario_load(a.scenario, a.sets, a.nsets, &sc, &err) != GS_OK) return cli_report(&err);

    char default_path[PATH_MAX];
    const char *output = a.output;
    if (!output) {
        if (default_output(&sc, default_path, sizeof default_path)) {
            scenario_free(&sc);
            return 1;
        }
        output = default_path;
    }

    /* a FIFO, device or directory as output is refused before anything runs */
    char out_target[H5UTIL_PATH_MAX], out_dir[H5UTIL_PATH_MAX];
    if (!a.dry_run && h5util_output_target(output, out_target, sizeof out_target, out_dir,
                                           sizeof out_dir, &err) != GS_OK) {
        scenario_free(&sc);
        return cli_report(&err);
    }

    a.run.comm = &world; /* streaming mode refuses MPI */
    rc = check_resources(&sc, &a, output);
    if (rc >= 0) {
        scenario_free(&sc);
        return rc;
    }
    rc = 0;

    progress_state progress = {.tty = isatty(STDERR_FILENO), .quiet = a.quiet,
                               .start = omp_get_wtime()};
    progress.last = progress.start;
    a.run.progress = on_progress;
    a.run.pass_progress = on_pass;
    a.run.progress_ctx = &progress;
    a.run.comm = &world;
    if (a.resume && a.run.nshards) {
        scenario_free(&sc);
        return cli_usage_error("--resume cannot be combined with --shard (checkpoints are "
                               "for sweeps run by one process; run the shard again)");
    }
    if (sc.discover.line) a.run.keep_draws = 1; /* discovery needs the trajectories */
    if (a.run.nshards) {
        rc = cli_shard_run(&sc, &a.run, a.sets, a.nsets, output, a.quiet, &err);
        scenario_free(&sc);
        return rc;
    }

    /* Studies of several points (sweeps) keep checkpoints of finished points, so that
     * --resume can continue; a plain run has none.  One process only: under MPI the
     * ranks would race on the directory. */
    gs_resume *checkpoint = NULL;
    int several = study_points(&sc) > 1;
    int checkpoints = several && world.size == 1;
    if (a.resume && !checkpoints) {
        scenario_free(&sc);
        return cli_usage_error("--resume is for sweeps run by one process; %s %s", a.scenario,
                               several ? "runs under MPI" : "has no sweep of several points");
    }
    if (checkpoints &&
        resume_open(output, &sc, &a.run, a.resume, &checkpoint, &err) != GS_OK) {
        scenario_free(&sc);
        return cli_report(&err);
    }
    point_hooks hooks = resume_hooks(checkpoint);

    gs_study_result res;
    rc = 0;
    if (study_run(&sc, &a.run, checkpoint ? &hooks : NULL, &res, &err) != GS_OK) {
        resume_close(checkpoint, 0);
        rc = interrupted ? 128 + interrupted : cli_report(&err);
        if (interrupted) fprintf(stderr, "\ngapsim: interrupted; no output written\n");
        scenario_free(&sc);
        return rc;
    }
    char *command = join_command_line(argc, argv);
    h5out_meta meta = {GAPSIM_VERSION, GAPSIM_GIT, command ? command : argv[0]};
    double t0 = omp_get_wtime();
    gs_status s = h5out_write_comm(output, &sc, &res, &meta, &world, &err);
    double t_out = omp_get_wtime() - t0;
    if (interrupted) {
        if (s == GS_OK) /* the signal came after the rename: say so */
            fprintf(stderr, "gapsim: interrupted after %s was written\n", output);
        else
            fprintf(stderr, "gapsim: interrupted; no output written\n");
        rc = 128 + interrupted;
    } else if (s != GS_OK) {
        rc = cli_report(&err);
    } else if (!a.quiet) {
        summary_print(stdout, &sc, &res);
        /* every phase that took time: the draws and a sensitivity analysis only when
         * the run had them (the parsers of this line read "(T s:" and "model M s") */
        printf("\nWrote %s (%.2fs: ", output, res.run.time_total + t_out);
        if (res.run.time_draws > 0) printf("draws %.2fs, ", res.run.time_draws);
        printf("model %.2fs, statistics %.2fs, ", res.run.time_model, res.run.time_stats);
        if (res.run.time_sensitivity > 0) printf("sensitivity %.2fs, ", res.run.time_sensitivity);
        printf("output %.2fs)\n", t_out);
        if (res.run.stream_passes)
            printf("Quantiles exact, streaming in %u passes of %llu-trajectory batches "
                   "(--memory %.0f MB)\n",
                   res.run.stream_passes, (unsigned long long)res.run.stream_batch,
                   a.run.memory / 1e6);
    }
    if (rc == 0 && s == GS_OK && world.rank == 0) rc = cli_discover_after_run(&sc, output, a.quiet);
    if (checkpoint && (resume_loaded(checkpoint) || resume_recomputed(checkpoint)) && !a.quiet &&
        rc == 0)
        printf("(resumed: %zu points were read back from checkpoints, %zu that did not prove "
               "to be this run's were run again)\n",
               resume_loaded(checkpoint), resume_recomputed(checkpoint));
    resume_close(checkpoint, rc == 0);
    free(command);
    study_result_free(&res);
    scenario_free(&sc);
    return rc;
}

static int gapsim_main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    return cli_dispatch(argc, argv);
}

/* MPI (make MPI=1): every rank runs the same command; ranks other than 0 send their
 * standard output and error to /dev/null, so rank 0 alone prints the progress, the
 * summary and the (agreed, see comm_agree) error message. */
int main(int argc, char **argv)
{
    gs_error err;
    h5util_init(); /* before anything touches HDF5: no crash in its exit handler */
    if (comm_start(&argc, &argv, &err) != GS_OK) {
        fprintf(stderr, "gapsim: %s\n", err.msg);
        return 1;
    }
    world = comm_world();
    if (world.rank != 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
        comm_abort(&world, 1);
    int rc = gapsim_main(argc, argv);
    comm_stop();
    return rc;
}
