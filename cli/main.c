/* main.c - the gapsim command: parses arguments, calls the library, maps errors to
 * exit codes.  The only place that prints usage or exits.
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
#include "scenario.h"
#include "summary.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif
#ifndef GAPSIM_GIT
#define GAPSIM_GIT "unknown"
#endif

enum { EXIT_USAGE = 2, MAX_SETS = 256 };

static const char usage_text[] =
    "usage: gapsim run SCENARIO.yaml [options]   simulate and write OUTPUT.h5\n"
    "       gapsim sweep SCENARIO.yaml [options]  the same as run (for scenarios with sweep:)\n"
    "       gapsim check SCENARIO.yaml [--set KEY=VALUE ...]   validate only\n"
    "       gapsim merge -o OUT.h5 PART.h5 ...   combine --shard partial files\n"
    "       gapsim keys               every scenario key (Markdown table)\n"
    "       gapsim summary FILE.h5 [--point I]   the console summary of a result file\n"
    "       gapsim compare A.h5 B.h5  differences beyond the Monte Carlo error\n"
    "       gapsim plot FILE.h5 [-o DIR]         figures, PNG + SVG (default output/)\n"
    "       gapsim report FILE.h5 [-o FILE.html] one self-contained HTML report\n"
    "       gapsim --help | --version\n"
    "\n"
    "run options:\n"
    "  -o, --output FILE      result file (default: output/<scenario name>.h5)\n"
    "  -n, --trajectories N   number of trajectories (default: run.trajectories)\n"
    "      --seed S           random seed, 0..2^64-1 (default: run.seed)\n"
    "  -t, --threads T        OpenMP threads (default: all cores); results do not\n"
    "                         depend on T\n"
    "      --set KEY=VALUE    override a scenario key, e.g. --set hardware.vol=0.5\n"
    "                         (repeatable; run.quantiles takes a comma list)\n"
    "      --paths N          also store the full paths of the first N trajectories\n"
    "      --shard I/N        run slice I (0-based) of N of the trajectories into a\n"
    "                         partial file; combine with gapsim merge\n"
    "  -q, --quiet            no summary, no progress (errors still go to stderr)\n"
    "      --dry-run          print the memory and time estimate, run nothing\n"
    "      --resume           continue an interrupted sweep from its checkpoints\n"
    "                         (OUTPUT.resume/); refused if the run differs\n"
    "      --target-se X      add batches of N trajectories until every outcome\n"
    "                         probability's standard error is below X\n"
    "      --max-trajectories M   cap of --target-se (default 10^7)\n"
    "      --antithetic       mirrored pairs of uncertain-parameter draws\n"
    "      --no-crn, --crn    sweeps: independent / common shock streams per point\n"
    "\n"
    "exit status: 0 success, 2 bad input or usage, 1 runtime failure,\n"
    "             130/143 interrupted by SIGINT/SIGTERM\n";

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

/* Prints "gapsim: <message>" and the --help hint; returns the usage exit status. */
int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gapsim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'gapsim --help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Parses a whole unsigned decimal number; returns 0 on success. */
static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

/* Progress: a bar on a terminal once a run has lasted a second, else a log line every
 * ten seconds. */
typedef struct {
    int tty, quiet, shown;
    double start, last;
} progress_state;

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
        fprintf(stderr, "\r[%s] %5.1f%%  %.0fs elapsed, %.0fs left ", bar, 100 * frac, elapsed,
                eta);
        if (done == total) fprintf(stderr, "\n");
        p->shown = 1;
    } else if (now - p->last >= 10.0 || (done == total && p->shown)) {
        time_t t = time(NULL);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
        fprintf(stderr, "%s gapsim: %.1f%% done (%llu of %llu trajectory-cycles), %.0fs\n",
                stamp, 100 * frac, (unsigned long long)done, (unsigned long long)total,
                elapsed);
        p->last = now;
        p->shown = 1;
    }
    return 0;
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

typedef struct {
    const char *scenario, *output;
    const char *sets[MAX_SETS];
    size_t nsets;
    gs_run_options run;
    int quiet, dry_run, resume;
} cli_args;

/* Parses the arguments after the subcommand; returns 0 or an exit code. */
static int parse_args(int argc, char **argv, int allow_run_options, cli_args *a)
{
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long v;
        int takes_value = 1;
        if (!strcmp(arg, "--set")) {
            if (!val) return cli_usage_error("%s needs KEY=VALUE", arg);
            if (a->nsets == MAX_SETS) return cli_usage_error("too many %s options", arg);
            a->sets[a->nsets++] = val;
        } else if (!strncmp(arg, "--set=", 6)) {
            if (a->nsets == MAX_SETS) return cli_usage_error("too many %s options", "--set");
            a->sets[a->nsets++] = arg + 6;
            takes_value = 0;
        } else if (!allow_run_options && arg[0] == '-' && arg[1]) {
            return cli_usage_error("unknown option '%s' for check", arg);
        } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
            if (!val) return cli_usage_error("%s needs a file name", arg);
            a->output = val;
        } else if (!strcmp(arg, "-n") || !strcmp(arg, "--trajectories")) {
            if (parse_u64(val, 1000000000000ULL, &v) || v == 0)
                return cli_usage_error("--trajectories needs a whole number from 1 to 10^12, "
                                   "got '%s'", val ? val : "");
            a->run.trajectories = v;
        } else if (!strcmp(arg, "--seed")) {
            if (parse_u64(val, ULLONG_MAX, &v))
                return cli_usage_error("--seed needs a whole number from 0 to 2^64-1, got '%s'",
                                   val ? val : "");
            a->run.seed = v;
            a->run.seed_set = 1;
        } else if (!strcmp(arg, "-t") || !strcmp(arg, "--threads")) {
            if (parse_u64(val, 4096, &v) || v == 0)
                return cli_usage_error("--threads needs a whole number from 1 to 4096, got '%s'",
                                   val ? val : "");
            a->run.threads = (int)v;
        } else if (!strcmp(arg, "--shard")) {
            if (cli_shard_parse(val, &a->run.shard, &a->run.nshards))
                return cli_usage_error("--shard needs I/N with 0 <= I < N <= 100000, got '%s'",
                                       val ? val : "");
        } else if (!strcmp(arg, "--paths")) {
            if (parse_u64(val, 1000000000000ULL, &v))
                return cli_usage_error("--paths needs a whole number, got '%s'", val ? val : "");
            a->run.paths = v;
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            a->quiet = 1;
            takes_value = 0;
        } else if (!strcmp(arg, "--dry-run")) {
            a->dry_run = 1;
            takes_value = 0;
        } else if (!strcmp(arg, "--resume")) {
            a->resume = 1;
            takes_value = 0;
        } else if (arg[0] == '-' && arg[1]) {
            return cli_usage_error("unknown option '%s'", arg);
        } else {
            if (a->scenario) return cli_usage_error("unexpected argument '%s'", arg);
            a->scenario = arg;
            takes_value = 0;
        }
        i += takes_value;
    }
    if (!a->scenario) return cli_usage_error("%s", "missing SCENARIO file");
    return 0;
}

/* Prints "gapsim: <message>"; returns the exit status of the error's status. */
int cli_report(const gs_error *err)
{
    fprintf(stderr, "gapsim: %s\n", err->msg);
    return gs_status_exit_code(err->status);
}

/* `gapsim keys`: every scenario key as a Markdown table (the README's table is this
 * output; a test keeps them in step). */
static int cmd_keys(void)
{
    printf("| key | symbol | unit | default | valid range | meaning |\n");
    printf("|---|---|---|---|---|---|\n");
    printf("| run.trajectories | N | 1 | 10000 | [1, 10^12] | number of Monte Carlo trajectories |\n");
    printf("| run.seed | | 1 | 20260501 | [0, 2^64-1] | random seed; with it every number is reproducible |\n");
    printf("| run.quantiles | | 1 | 0.01 0.05 0.1 0.25 0.5 0.75 0.9 0.95 0.99 | each in [0, 1], increasing "
           "| quantile levels recorded per cycle (a YAML list) |\n");
    for (int i = 0; i < PARAM_COUNT; i++) {
        const gs_param_info *p = &params_table[i];
        printf("| %s | %s | %s | %g | %c%g, %g%c | %s%s |\n", p->key, p->symbol, p->unit, p->def,
               p->flags & PF_LO_OPEN ? '(' : '[', p->lo, p->hi, p->flags & PF_HI_OPEN ? ')' : ']',
               p->meaning, p->flags & PF_INT ? " (whole number)" : "");
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    cli_args a = {0};
    int rc = parse_args(argc, argv, 0, &a);
    if (rc) return rc;
    gs_scenario sc;
    gs_error err;
    if (scenario_load(a.scenario, a.sets, a.nsets, &sc, &err) != GS_OK) return cli_report(&err);
    printf("%s: OK (scenario '%s', %d cycles, %llu trajectories)\n", a.scenario, sc.name,
           (int)sc.params.run_cycles, (unsigned long long)sc.trajectories);
    scenario_free(&sc);
    return 0;
}

/* Estimates memory and time before anything is allocated.  --dry-run prints the
 * estimate and returns 0; a run whose estimate exceeds 90% of the memory available is
 * refused (exit 1) with the largest trajectory count that would fit.  Returns -1 when
 * the run should go ahead. */
static int check_resources(const gs_scenario *sc, const cli_args *a, const char *output)
{
    gs_estimate e;
    estimate_run(sc, &a->run, &e);
    double avail = estimate_available_memory();
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
        return 0;
    }
    if (avail > 0 && e.bytes > 0.9 * avail) {
        fprintf(stderr,
                "gapsim: %s: the run needs about %.0f MB but only %.0f MB of memory are "
                "available; at most %llu trajectories fit (use --trajectories)\n",
                sc->name, e.bytes / 1e6, avail / 1e6, (unsigned long long)fit);
        return 1;
    }
    return -1;
}

static int cmd_run(int argc, char **argv)
{
    cli_args a = {0};
    int rc = parse_args(argc, argv, 1, &a);
    if (rc) return rc;
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
    a.run.progress_ctx = &progress;
    a.run.comm = &world;
    if (a.run.nshards) {
        rc = cli_shard_run(&sc, &a.run, a.sets, a.nsets, output, a.quiet, &err);
        scenario_free(&sc);
        return rc;
    }

    /* Sweeps keep checkpoints of finished points, so that --resume can continue. */
    gs_resume *checkpoint = NULL;
    /* (one process only: under MPI or --shard the ranks would race on the directory) */
    int checkpoints = scenario_sweep_points(&sc) && world.size == 1 && !a.run.nshards;
    if (a.resume && !checkpoints) {
        scenario_free(&sc);
        return cli_usage_error("--resume is for sweeps run by one process; %s %s", a.scenario,
                               scenario_sweep_points(&sc) ? "runs under MPI or --shard"
                                                          : "has no sweep: section");
    }
    if (checkpoints &&
        resume_open(output, &sc, &a.run, a.resume, &checkpoint, &err) != GS_OK) {
        scenario_free(&sc);
        return cli_report(&err);
    }
    a.run.checkpoint = checkpoint;

    gs_result res;
    rc = 0;
    if (engine_run(&sc, &a.run, &res, &err) != GS_OK) {
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
        printf("\nWrote %s (%.2fs: model %.2fs, statistics %.2fs, output %.2fs)\n", output,
               res.time_total + t_out, res.time_model, res.time_stats, t_out);
    }
    if (checkpoint && resume_loaded(checkpoint) && !a.quiet && rc == 0)
        printf("(resumed: %zu points were read back from checkpoints)\n",
               resume_loaded(checkpoint));
    resume_close(checkpoint, rc == 0);
    free(command);
    engine_result_free(&res);
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

    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (cli_sweep_rewrite(&argc, &argv)) return EXIT_USAGE; /* sweep = run; --target-se ... */
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("gapsim %s (git %s)\n", GAPSIM_VERSION, GAPSIM_GIT);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
    if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv);
    if (!strcmp(cmd, "keys")) return cmd_keys();
    if (!strcmp(cmd, "merge")) return cli_merge_main(argc, argv);
    if (cli_tools_handles(cmd)) return cli_tools_main(argc, argv);
    return cli_usage_error("unknown command '%s'", cmd);
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
