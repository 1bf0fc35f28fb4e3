/* cli_tools.c - the commands that work on result files rather than scenarios:
 *
 *   gapsim summary FILE.h5 [--point I]          the console summary of the run again
 *   gapsim compare A.h5 B.h5 [--point-a I] [--point-b J]
 *                                               differences beyond Monte Carlo error
 *   gapsim plot FILE.h5 [-o DIR]                figures (PNG + SVG) via analysis/
 *   gapsim report FILE.h5 [-o FILE.html]        one self-contained HTML report
 *   gapsim export FILE.h5 [--format csv|json]   tidy tables via analysis/
 *
 * (options and usage texts: cli_commands.c).
 * summary and compare read the file with h5in; plot, report and export check it with
 * h5in_probe (so a bad file gets the same one-line error everywhere) and then run the
 * Python scripts of analysis/ under /usr/bin/python3.  The scripts are found in, in
 * order: $GAPSIM_ANALYSIS_DIR, <bin>/../share/gapsim/analysis (make install),
 * <bin>/../analysis (a build in the source tree), GAPSIM_DATADIR/analysis and
 * GAPSIM_SOURCE_ANALYSIS (compile-time defines set by the Makefile).  $GAPSIM_PYTHON
 * replaces the interpreter.  The Python package beside them (../python) goes on the
 * scripts' PYTHONPATH.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"
#include "engine.h"
#include "error.h"
#include "h5in.h"
#include "model.h"
#include "params.h"
#include "scenario.h"
#include "summary.h"

enum { EXIT_USAGE = 2, EXIT_FAILURE_RUN = 1 };

static const char default_python[] = "/usr/bin/python3";


/* Parses a sweep point index (0..LONG_MAX); returns 0 on success. */
static int parse_point(const char *s, long *out)
{
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* The arguments of the commands on result files: up to two files and their options
 * (the option table is in cli_commands.c). */
typedef struct {
    const char *file[2];
    int n_files;
    const char *output, *format, *dpi, *only, *metric;
    long point[2];
} tool_args;

static int tool_option(void *ctx, const cli_option *o, const char *val)
{
    tool_args *a = ctx;
    unsigned long long v;
    long p;
    switch (o->key) {
    case 'o':
        a->output = val;
        return 0;
    case OPT_POINT:
    case OPT_POINT_A:
    case OPT_POINT_B:
        if (parse_point(val, &p))
            return cli_usage_error("--%s needs a point index (0, 1, ...), got '%s'", o->name,
                                   val);
        if (o->key != OPT_POINT_B) a->point[0] = p;
        if (o->key != OPT_POINT_A) a->point[1] = p;
        return 0;
    case OPT_FORMAT:
        a->format = val;
        return 0;
    case OPT_DPI:
        if (cli_parse_u64(val, 10000, &v) || v == 0)
            return cli_usage_error("--dpi needs a whole number from 1 to 10000, got '%s'", val);
        a->dpi = val;
        return 0;
    case OPT_ONLY:
        a->only = val;
        return 0;
    case OPT_METRIC:
        a->metric = val;
        return 0;
    }
    return cli_usage_error("--%s: not handled", o->name);
}

/* Parses the options and want_files result files of command argv[1].  Returns as
 * cli_parse (CLI_HELP after --help). */
static int tool_parse(int argc, char **argv, int want_files, tool_args *a)
{
    memset(a, 0, sizeof *a);
    a->point[0] = a->point[1] = H5IN_SINGLE;
    const cli_command *cmd = cli_find(argv[1]);
    int rc = cli_parse(cmd, argc, argv, tool_option, a, a->file, want_files, &a->n_files);
    if (rc) return rc;
    if (a->n_files < want_files)
        return cli_usage_error("%s needs %s", argv[1],
                               want_files == 2 ? "two result files" : "a result file");
    return 0;
}

/* ---- summary ---------------------------------------------------------------------- */

/* `gapsim summary FILE.h5`: summary_print of the scenario and result read back, which
 * is the run's own console summary (without its "Wrote ..." timing line). */
int cli_summary_main(int argc, char **argv)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 1, &a);
    if (rc) return cli_exit_status(rc);
    gs_scenario sc;
    gs_study_result res;
    gs_error err;
    if (h5in_read_study(a.file[0], a.point[0], &sc, &res, &err) != GS_OK) return cli_report(&err);
    summary_print(stdout, &sc, &res);
    study_result_free(&res);
    scenario_free(&sc);
    return 0;
}

/* ---- compare ---------------------------------------------------------------------- */

/* `gapsim compare A.h5 B.h5`: assumptions, outcome probabilities and horizon
 * quantiles side by side, each difference judged against the Monte Carlo error. */
int cli_compare_main(int argc, char **argv)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 2, &a);
    if (rc) return cli_exit_status(rc);
    gs_scenario sc[2];
    gs_result res[2];
    gs_error err;
    if (h5in_read(a.file[0], a.point[0], &sc[0], &res[0], &err) != GS_OK) return cli_report(&err);
    if (h5in_read(a.file[1], a.point[1], &sc[1], &res[1], &err) != GS_OK) {
        engine_result_free(&res[0]);
        scenario_free(&sc[0]);
        return cli_report(&err);
    }
    compare_side side[2] = {{a.file[0], a.point[0], &sc[0], &res[0]},
                            {a.file[1], a.point[1], &sc[1], &res[1]}};
    compare_write(stdout, &side[0], &side[1]);
    for (int i = 0; i < 2; i++) {
        engine_result_free(&res[i]);
        scenario_free(&sc[i]);
    }
    return 0;
}

/* ---- plot and report: the Python side ---------------------------------------------- */

/* Whether dir holds the analysis scripts. */
static int is_analysis_dir(const char *dir)
{
    char probe[PATH_MAX];
    if (snprintf(probe, sizeof probe, "%s/gapsim_plot.py", dir) >= (int)sizeof probe) return 0;
    return access(probe, R_OK) == 0;
}

/* Finds the analysis/ directory (order in the file comment) into buf; 0 on success. */
static int analysis_dir(char *buf, size_t size)
{
    const char *env = getenv("GAPSIM_ANALYSIS_DIR");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return is_analysis_dir(buf) ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *rel[] = {"../share/gapsim/analysis", "../analysis"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            int len = snprintf(buf, size, "%s/%s", exe, rel[i]);
            if (len > 0 && (size_t)len < size && is_analysis_dir(buf)) return 0;
        }
    }
#ifdef GAPSIM_DATADIR
    snprintf(buf, size, "%s/analysis", GAPSIM_DATADIR);
    if (is_analysis_dir(buf)) return 0;
#endif
#ifdef GAPSIM_SOURCE_ANALYSIS
    snprintf(buf, size, "%s", GAPSIM_SOURCE_ANALYSIS);
    if (is_analysis_dir(buf)) return 0;
#endif
    return -1;
}

/* Runs the interpreter on args (args[0] is the interpreter, NULL-terminated), with
 * pythonpath (if not NULL) in front of $PYTHONPATH, and returns the script's exit status (1 if it could not run or died of a signal). */
static int run_python(char *const args[], const char *pythonpath)
{
    if (pythonpath) { /* set here, before the fork: the child only calls execv */
        const char *old = getenv("PYTHONPATH");
        size_t len = strlen(pythonpath) + (old ? strlen(old) : 0) + 2;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s%s%s", pythonpath, old && *old ? ":" : "", old ? old : "");
            setenv("PYTHONPATH", path, 1);
            free(path);
        }
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "gapsim: cannot start %s: %s\n", args[0], strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    if (pid == 0) {
        execv(args[0], args);
        fprintf(stderr, "gapsim: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(EXIT_FAILURE_RUN);
    }
    /* SIGINT/SIGTERM sent to gapsim alone (timeout, kill) go on to the script, which
     * removes its temporary files and exits 128 + the signal; never exit 0 then */
    int status, forwarded = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return EXIT_FAILURE_RUN;
        if (gs_interrupt_pending() && !forwarded) kill(pid, gs_interrupt_pending()), forwarded = 1;
    }
    if (gs_interrupt_pending()) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
            fprintf(stderr, "gapsim: interrupted\n");
        return 128 + gs_interrupt_pending();
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    fprintf(stderr, "gapsim: %s died of signal %d\n", args[0], WTERMSIG(status));
    return EXIT_FAILURE_RUN;
}

/* The parameter table (key, unit, symbol, meaning, source, origin) as tab-separated
 * lines in a new temporary file whose name goes to path; origin says where a single
 * run's value came from (scenario line, default, or override).  0 on success. */
static int params_table_file(const char *h5, char *path, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/gapsim-params-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        return -1;
    }
    gs_scenario sc;
    gs_result res;
    gs_error err;
    int have_sc = h5in_read(h5, H5IN_SINGLE, &sc, &res, &err) == GS_OK;
    fprintf(f, "key\tunit\tsymbol\tmeaning\tsource\torigin\n");
    for (int i = 0; i < PARAM_COUNT; i++) {
        const gs_param_info *p = &params_table[i];
        char origin[64] = "";
        if (have_sc && sc.line[i] == SCENARIO_LINE_SET)
            snprintf(origin, sizeof origin, "override (--set)");
        else if (have_sc && sc.line[i])
            snprintf(origin, sizeof origin, "scenario line %u", sc.line[i]);
        else if (have_sc)
            snprintf(origin, sizeof origin, "default");
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", p->key, p->unit, p->symbol, p->meaning, p->source,
                origin);
    }
    if (have_sc) {
        engine_result_free(&res);
        scenario_free(&sc);
    }
    if (fclose(f) != 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

/* The file's stem: "output/run.h5" -> "run". */
static void file_stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    snprintf(buf, size, "%.*s", (int)n, base);
}

/* The scripts of the commands that hand a result file to Python. */
enum { PY_PLOT, PY_REPORT, PY_EXPORT };
static const char *const py_scripts[] = {"gapsim_plot.py", "gapsim_report.py",
                                         "gapsim_export.py"};

/* `gapsim plot FILE [-o DIR]`, `gapsim report FILE [-o FILE.html]` and `gapsim export
 * FILE [--format csv|json] [-o PATH]`: check the file, then hand it to the script of
 * analysis/ with the options given. */
static int cmd_python(int argc, char **argv, int kind)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 1, &a);
    if (rc) return cli_exit_status(rc);
    if (kind == PY_EXPORT && a.format && strcmp(a.format, "csv") && strcmp(a.format, "json"))
        return cli_usage_error("--format needs csv or json, got '%s'", a.format);
    h5in_info info;
    gs_error err;
    if (h5in_probe(a.file[0], &info, &err) != GS_OK) return cli_report(&err);
    char dir[PATH_MAX], script[PATH_MAX + 32], out[PATH_MAX], stem[256];
    if (analysis_dir(dir, sizeof dir)) {
        fprintf(stderr, "gapsim: cannot find the analysis scripts (gapsim_plot.py); set "
                        "GAPSIM_ANALYSIS_DIR to the analysis/ directory of the source tree\n");
        return EXIT_FAILURE_RUN;
    }
    const char *python = getenv("GAPSIM_PYTHON");
    if (!python || !*python) python = default_python;
    snprintf(script, sizeof script, "%s/%s", dir, py_scripts[kind]);
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "gapsim: %s needs the script %s, which is missing (%s)\n", argv[1],
                script, strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    file_stem(a.file[0], stem, sizeof stem);
    if (a.output)
        snprintf(out, sizeof out, "%s", a.output);
    else if (kind == PY_REPORT)
        snprintf(out, sizeof out, "output/%s.html", stem);
    else
        snprintf(out, sizeof out, "output");
    if (!a.output && kind != PY_EXPORT && mkdir("output", 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gapsim: cannot create directory 'output': %s\n", strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    char params[PATH_MAX] = "";
    if (kind == PY_REPORT && params_table_file(a.file[0], params, sizeof params)) {
        fprintf(stderr, "gapsim: cannot write a temporary file: %s\n", strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    /* the interpreter, the script, the file, then each option given */
    char *args[16] = {(char *)python, script, (char *)a.file[0]};
    int n = 3;
    if (a.output || kind != PY_EXPORT) args[n++] = "-o", args[n++] = out;
    if (params[0]) args[n++] = "--params", args[n++] = params;
    if (a.format) args[n++] = "--format", args[n++] = (char *)a.format;
    if (a.dpi) args[n++] = "--dpi", args[n++] = (char *)a.dpi;
    if (a.only) args[n++] = "--only", args[n++] = (char *)a.only;
    if (a.metric) args[n++] = "--metric", args[n++] = (char *)a.metric;
    args[n] = NULL;
    /* the Python package beside the scripts (python/ of the source tree, or
     * share/gapsim/python of an installation) goes on the scripts' path */
    char package[PATH_MAX + 16];
    snprintf(package, sizeof package, "%s/../python", dir);
    struct stat st;
    rc = run_python(args, stat(package, &st) == 0 && S_ISDIR(st.st_mode) ? package : NULL);
    if (params[0]) unlink(params);
    return rc;
}

int cli_plot_main(int argc, char **argv) { return cmd_python(argc, argv, PY_PLOT); }
int cli_report_main(int argc, char **argv) { return cmd_python(argc, argv, PY_REPORT); }
int cli_export_main(int argc, char **argv) { return cmd_python(argc, argv, PY_EXPORT); }
