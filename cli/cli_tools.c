/* cli_tools.c - the commands that work on result files rather than scenarios:
 *
 *   gapsim summary FILE.h5 [--point I]          the console summary of the run again
 *   gapsim compare A.h5 B.h5 [--point-a I] [--point-b J]
 *                                               differences beyond Monte Carlo error
 *   gapsim plot FILE.h5 [-o DIR]                figures (PNG + SVG) via analysis/
 *   gapsim report FILE.h5 [-o FILE.html]        one self-contained HTML report
 *
 * summary and compare read the file with h5in; plot and report check it with
 * h5in_probe (so a bad file gets the same one-line error everywhere) and then run the
 * Python scripts of analysis/ under /usr/bin/python3.  The scripts are found in, in
 * order: $GAPSIM_ANALYSIS_DIR, <bin>/../share/gapsim/analysis (make install),
 * <bin>/../analysis (a build in the source tree), GAPSIM_DATADIR/analysis and
 * GAPSIM_SOURCE_ANALYSIS (compile-time defines set by the Makefile).  $GAPSIM_PYTHON
 * replaces the interpreter.
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

/* The arguments of the four commands: up to two files and the options they take. */
typedef struct {
    const char *file[2];
    int n_files;
    const char *output;
    long point[2];
} tool_args;

/* Parses argv[2..argc): want_files positional files; -o/--output when allow_output;
 * --point (both files), --point-a, --point-b when allow_point.  Returns 0 or the exit
 * status of a usage error. */
static int tool_parse(int argc, char **argv, int want_files, int allow_output, int allow_point,
                      tool_args *a)
{
    memset(a, 0, sizeof *a);
    a->point[0] = a->point[1] = H5IN_SINGLE;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (allow_output && (!strcmp(arg, "-o") || !strcmp(arg, "--output"))) {
            if (!val) return cli_usage_error("%s needs a path", arg);
            a->output = val, i++;
        } else if (allow_point && (!strcmp(arg, "--point") || !strcmp(arg, "--point-a") ||
                                   !strcmp(arg, "--point-b"))) {
            long p;
            if (parse_point(val, &p))
                return cli_usage_error("%s needs a point index (0, 1, ...), got '%s'", arg,
                                   val ? val : "");
            if (strcmp(arg, "--point-b")) a->point[0] = p;
            if (strcmp(arg, "--point-a")) a->point[1] = p;
            i++;
        } else if (arg[0] == '-' && arg[1]) {
            return cli_usage_error("unknown option '%s' for %s", arg, argv[1]);
        } else {
            if (a->n_files == want_files) return cli_usage_error("unexpected argument '%s'", arg);
            a->file[a->n_files++] = arg;
        }
    }
    if (a->n_files < want_files)
        return cli_usage_error("%s needs %s", argv[1],
                           want_files == 2 ? "two result files" : "a result file");
    return 0;
}

/* ---- summary ---------------------------------------------------------------------- */

/* `gapsim summary FILE.h5`: summary_print of the scenario and result read back, which
 * is the run's own console summary (without its "Wrote ..." timing line). */
static int cmd_summary(int argc, char **argv)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 1, 0, 1, &a);
    if (rc) return rc;
    gs_scenario sc;
    gs_result res;
    gs_error err;
    if (h5in_read(a.file[0], a.point[0], &sc, &res, &err) != GS_OK) return cli_report(&err);
    summary_print(stdout, &sc, &res);
    engine_result_free(&res);
    scenario_free(&sc);
    return 0;
}

/* ---- compare ---------------------------------------------------------------------- */

/* Index of the quantile level closest to want (as the summary picks its levels). */
static size_t nearest_level(const gs_result *r, double want)
{
    size_t best = 0;
    for (size_t q = 1; q < r->n_quantiles; q++)
        if (fabs(r->quantile_levels[q] - want) < fabs(r->quantile_levels[best] - want)) best = q;
    return best;
}

/* Monte Carlo standard error of the stored sample quantile q of variable v at the
 * horizon.  For the p-quantile of n draws (asymptotic normality of order statistics)
 *     se(q_p) = sqrt(p (1 - p) / n) / f(q_p),
 * with the density f(q_p) estimated from the neighbouring stored levels:
 *     1 / f(q_p) ≈ (q_{p+} - q_{p-}) / (p+ - p-).
 * NaN when there is no neighbouring level. */
static double quantile_se(const gs_result *r, int v, size_t q)
{
    int K = r->n_cycles - 1;
    size_t lo = q > 0 ? q - 1 : q, hi = q + 1 < r->n_quantiles ? q + 1 : q;
    double dp = r->quantile_levels[hi] - r->quantile_levels[lo];
    if (hi == lo || dp <= 0 || r->trajectories == 0) return NAN;
    double p = r->quantile_levels[q];
    double dq = r->quantile[result_qix(r, v, K, hi)] - r->quantile[result_qix(r, v, K, lo)];
    return sqrt(p * (1 - p) / (double)r->trajectories) * fabs(dq) / dp;
}

/* Counts of compared numbers and of differences beyond the Monte Carlo error. */
typedef struct {
    int compared, differ;
} tally;

/* "yes" when |delta| > 2 se_delta (se_delta = sqrt(se_A² + se_B²)), "no" otherwise,
 * "?" when the error is unknown; counted in t. */
static const char *judge(tally *t, double delta, double se_delta)
{
    t->compared++;
    if (delta == 0) return "no";
    if (!isfinite(se_delta)) return "?";
    if (fabs(delta) > 2 * se_delta) {
        t->differ++;
        return "yes";
    }
    return "no";
}

static void compare_header(const char *tag, const char *file, const gs_scenario *sc,
                           const gs_result *r, long point)
{
    printf("  %s: %s", tag, file);
    if (point >= 0) printf(" (point %ld)", point);
    printf("\n     scenario '%s', %llu trajectories, seed %llu, %d cycles of %g years\n", sc->name,
           (unsigned long long)r->trajectories, (unsigned long long)r->seed, r->n_cycles - 1,
           r->cycle_years);
}

/* The parameters whose values differ between the two runs. */
static void compare_params(const gs_scenario *a, const gs_scenario *b)
{
    int n = 0;
    for (int i = 0; i < PARAM_COUNT; i++)
        n += params_get(&a->params, (gs_param_id)i) != params_get(&b->params, (gs_param_id)i);
    if (n == 0) {
        printf("\nAssumptions: all %d parameters equal.\n", PARAM_COUNT);
        return;
    }
    printf("\nAssumptions that differ (%d of %d parameters):\n", n, PARAM_COUNT);
    printf("  %-36s %12s %12s  %s\n", "key", "A", "B", "unit");
    for (int i = 0; i < PARAM_COUNT; i++) {
        double va = params_get(&a->params, (gs_param_id)i),
               vb = params_get(&b->params, (gs_param_id)i);
        if (va != vb)
            printf("  %-36s %12.6g %12.6g  %s\n", params_table[i].key, va, vb,
                   params_table[i].unit);
    }
}

/* Outcome probabilities side by side; difference when |Δp| > 2 sqrt(se_A² + se_B²). */
static void compare_outcomes(const gs_result *a, const gs_result *b, tally *t)
{
    printf("\nOutcome probabilities at the horizon; differs: |change| > 2 SE,"
           " SE = sqrt(se_A^2 + se_B^2)\n");
    printf("  %-13s %-9s %8s %8s %9s %8s  %s\n", "metric", "outcome", "P(A)", "P(B)", "change",
           "2 SE", "differs");
    for (int m = 0; m < METRIC_COUNT; m++)
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            double pa = a->outcome_probability[m][o], pb = b->outcome_probability[m][o];
            double sa = a->outcome_stderr[m][o], sb = b->outcome_stderr[m][o];
            double se = sqrt(sa * sa + sb * sb);
            printf("  %-13s %-9s %8.4f %8.4f %+9.4f %8.4f  %s\n", model_vars[model_metrics[m]].name,
                   model_outcome_names[o], pa, pb, pb - pa, 2 * se, judge(t, pb - pa, se));
        }
}

/* Key horizon quantiles side by side (5%, median, 95%), with the rule of quantile_se. */
static void compare_quantiles(const gs_result *a, const gs_result *b, tally *t)
{
    static const gs_var vars[] = {VAR_premium,    VAR_premium_q,    VAR_lag_months,
                                  VAR_price_open, VAR_price_closed, VAR_closed_share,
                                  VAR_rent,       VAR_lcoi_open,    VAR_lcoi_closed};
    static const double levels[] = {0.05, 0.5, 0.95};
    int Ka = a->n_cycles - 1, Kb = b->n_cycles - 1;
    printf("\nQuantiles at the horizon (A: cycle %d, B: cycle %d); differs: |change| > 2 SE,\n"
           "  SE = sqrt(se_A^2 + se_B^2), se of a sample p-quantile = sqrt(p(1-p)/n) / f,\n"
           "  density f from the neighbouring stored quantile levels\n",
           Ka, Kb);
    if (!a->n_quantiles || !b->n_quantiles) {
        printf("  (no quantiles stored)\n");
        return;
    }
    printf("  %-14s %-9s %5s %11s %11s %11s %10s  %s\n", "variable", "unit", "level", "A", "B",
           "change", "2 SE", "differs");
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
            int v = vars[i];
            size_t qa = nearest_level(a, levels[l]), qb = nearest_level(b, levels[l]);
            if (a->quantile_levels[qa] != b->quantile_levels[qb]) continue;
            double xa = a->quantile[result_qix(a, v, Ka, qa)];
            double xb = b->quantile[result_qix(b, v, Kb, qb)];
            double sa = quantile_se(a, v, qa), sb = quantile_se(b, v, qb);
            double se = sqrt(sa * sa + sb * sb);
            printf("  %-14s %-9s %5.2f %11.4g %11.4g %+11.3g %10.3g  %s\n", model_vars[v].name,
                   model_vars[v].units, a->quantile_levels[qa], xa, xb, xb - xa, 2 * se,
                   judge(t, xb - xa, se));
        }
}

/* `gapsim compare A.h5 B.h5`: assumptions, outcome probabilities and horizon
 * quantiles side by side, each difference judged against the Monte Carlo error. */
static int cmd_compare(int argc, char **argv)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 2, 0, 1, &a);
    if (rc) return rc;
    gs_scenario sc[2];
    gs_result res[2];
    gs_error err;
    if (h5in_read(a.file[0], a.point[0], &sc[0], &res[0], &err) != GS_OK) return cli_report(&err);
    if (h5in_read(a.file[1], a.point[1], &sc[1], &res[1], &err) != GS_OK) {
        engine_result_free(&res[0]);
        scenario_free(&sc[0]);
        return cli_report(&err);
    }
    printf("gapsim compare: B against A\n");
    compare_header("A", a.file[0], &sc[0], &res[0], a.point[0]);
    compare_header("B", a.file[1], &sc[1], &res[1], a.point[1]);
    compare_params(&sc[0], &sc[1]);
    tally t = {0, 0};
    compare_outcomes(&res[0], &res[1], &t);
    compare_quantiles(&res[0], &res[1], &t);
    if (t.differ == 0)
        printf("\nNo differences beyond the Monte Carlo error (%d numbers compared).\n",
               t.compared);
    else
        printf("\n%d of %d numbers differ beyond the Monte Carlo error.\n", t.differ, t.compared);
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

/* Runs the interpreter on args (args[0] is the interpreter, NULL-terminated) and
 * returns the script's exit status (1 if it could not run or died of a signal). */
static int run_python(char *const args[])
{
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

/* `gapsim plot FILE [-o DIR]` and `gapsim report FILE [-o FILE.html]`: check the file,
 * then hand it to analysis/gapsim_plot.py or analysis/gapsim_report.py. */
static int cmd_python(int argc, char **argv, int is_report)
{
    tool_args a;
    int rc = tool_parse(argc, argv, 1, 1, 0, &a);
    if (rc) return rc;
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
    snprintf(script, sizeof script, "%s/%s", dir,
             is_report ? "gapsim_report.py" : "gapsim_plot.py");
    file_stem(a.file[0], stem, sizeof stem);
    if (a.output)
        snprintf(out, sizeof out, "%s", a.output);
    else if (is_report)
        snprintf(out, sizeof out, "output/%s.html", stem);
    else
        snprintf(out, sizeof out, "output");
    if (!a.output && mkdir("output", 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gapsim: cannot create directory 'output': %s\n", strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    char params[PATH_MAX] = "";
    if (is_report && params_table_file(a.file[0], params, sizeof params)) {
        fprintf(stderr, "gapsim: cannot write a temporary file: %s\n", strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    char *args[] = {(char *)python, script, (char *)a.file[0],
                    "-o",           out,    is_report ? "--params" : NULL,
                    params,         NULL};
    rc = run_python(args);
    if (params[0]) unlink(params);
    return rc;
}

int cli_tools_handles(const char *command)
{
    return !strcmp(command, "summary") || !strcmp(command, "compare") || !strcmp(command, "plot") ||
           !strcmp(command, "report");
}

int cli_tools_main(int argc, char **argv)
{
    const char *cmd = argv[1];
    if (!strcmp(cmd, "summary")) return cmd_summary(argc, argv);
    if (!strcmp(cmd, "compare")) return cmd_compare(argc, argv);
    if (!strcmp(cmd, "plot")) return cmd_python(argc, argv, 0);
    if (!strcmp(cmd, "report")) return cmd_python(argc, argv, 1);
    return cli_usage_error("unknown command '%s'", cmd);
}
