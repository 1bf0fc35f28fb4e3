/* cli_discover.c - `gapsim discover RESULT.h5 --metric premium --outcome compound`:
 * scenario discovery (PRIM) on the trajectories a run kept with --keep-draws
 * (sim/discover.h), and the discovery a `discover:` scenario section asks for after a
 * run (cli_discover_after_run). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discover.h"
#include "h5util.h"
#include "scenario.h"

typedef struct {
    discover_options opt;
    const char *output;
    int quiet;
} discover_args;

static int number_in(const char *opt, const char *val, double lo, double hi, int open_lo,
                     double *out)
{
    char *end;
    double v = val ? strtod(val, &end) : (double)NAN;
    if (!val || !*val || *end || !(open_lo ? v > lo : v >= lo) || !(v <= hi))
        return cli_usage_error("--%s needs a number in %s%g, %g], got '%s'", opt,
                               open_lo ? "(" : "[", lo, hi, val ? val : "");
    *out = v;
    return 0;
}

static int discover_option(void *ctx, const cli_option *o, const char *val)
{
    discover_args *a = ctx;
    unsigned long long v;
    switch (o->key) {
    case OPT_METRIC: a->opt.metric = val; return 0;
    case OPT_OUTCOME: a->opt.outcome = val; return 0;
    case OPT_BY_CYCLE: a->opt.by_cycle = 1; return 0;
    case 'o': a->output = val; return 0;
    case 'q': a->quiet = 1; return 0;
    case OPT_DENSITY:
        a->opt.prim.choice = PRIM_CHOOSE_THRESHOLD;
        return number_in("density", val, 0, 1, 1, &a->opt.prim.threshold);
    case OPT_PEEL_ALPHA: return number_in("peel-alpha", val, 0, 0.5, 1, &a->opt.prim.peel_alpha);
    case OPT_PASTE_ALPHA: return number_in("paste-alpha", val, 0, 0.5, 0, &a->opt.prim.paste_alpha);
    case OPT_MIN_MASS: return number_in("min-mass", val, 0, 1, 1, &a->opt.prim.min_mass);
    case OPT_BOX_COUNT:
        if (cli_parse_u64(val, 100, &v) || v == 0)
            return cli_usage_error("--box-count needs a whole number from 1 to 100, got '%s'", val);
        a->opt.prim.box_count = (size_t)v;
        return 0;
    case 't':
        if (cli_parse_u64(val, 4096, &v) || v == 0)
            return cli_usage_error("--threads needs a whole number from 1 to 4096, got '%s'", val);
        a->opt.prim.threads = (int)v;
        return 0;
    }
    return cli_usage_error("--%s: not handled", o->name);
}

int cli_discover_file(const char *path, const discover_options *opt, const char *output,
                      int quiet)
{
    discover_table tab;
    discover_result res;
    gs_error err;
    const double t0 = omp_get_wtime();
    if (discover_read(path, opt->metric, &tab, &err) != GS_OK) return cli_report(&err);
    const double t1 = omp_get_wtime();
    if (discover_run(&tab, opt, &res, &err) != GS_OK) {
        discover_table_free(&tab);
        return cli_report(&err);
    }
    const double t2 = omp_get_wtime();
    gs_status st = discover_write(path, output, &tab, opt, &res, &err);
    const double t3 = omp_get_wtime();
    if (st == GS_OK && !quiet) {
        discover_print(stdout, &tab, &res);
        printf("\nWrote the discovery to %s (group discovery/%s_%s; %.2fs: reading %.2fs, "
               "PRIM %.2fs, writing %.2fs)\n",
               output ? output : path, opt->metric, opt->outcome, t3 - t0, t1 - t0, t2 - t1,
               t3 - t2);
    }
    discover_result_free(&res);
    discover_table_free(&tab);
    return st == GS_OK ? 0 : cli_report(&err);
}

int cli_discover_main(int argc, char **argv)
{
    discover_args a = {.opt = discover_options_default()};
    const char *file = NULL;
    int npos = 0;
    int rc = cli_parse(cli_find("discover"), argc, argv, discover_option, &a, &file, 1, &npos);
    if (rc) return cli_exit_status(rc);
    if (!file) return cli_usage_error("discover needs a result file RESULT.h5");
    h5util_init();
    return cli_discover_file(file, &a.opt, a.output, a.quiet);
}

int cli_discover_after_run(const gs_scenario *sc, const char *path, int quiet)
{
    if (!sc->discover.line) return 0;
    discover_options opt = discover_options_default();
    opt.metric = sc->discover.metric, opt.outcome = sc->discover.outcome;
    opt.by_cycle = sc->discover.by_cycle;
    opt.prim.box_count = (size_t)sc->discover.box_count;
    if (sc->discover.density > 0)
        opt.prim.choice = PRIM_CHOOSE_THRESHOLD, opt.prim.threshold = sc->discover.density;
    if (!quiet) printf("\nScenario discovery (discover: section):\n");
    return cli_discover_file(path, &opt, NULL, quiet);
}
