/* cli_commands.c - the command table of gapsim, its usage texts and the option parser.
 *
 * The table below is the one source of every command's usage: `gapsim CMD --help`,
 * `gapsim help [CMD]`, the man page (`gapsim help --man`), the bash completion
 * (`gapsim help --bash-completion`), the README's command reference (`gapsim help
 * --markdown`, compared by a test) and the getopt_long tables all come from it.  To add
 * a command: a function `int cli_NAME_main(int argc, char **argv)` (cli.h), an options
 * array and one row of cli_commands[].
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#ifndef GAPSIM_VERSION
#define GAPSIM_VERSION "0.0.0"
#endif
#ifndef GAPSIM_GIT
#define GAPSIM_GIT "unknown"
#endif

enum { EXIT_USAGE = 2 };

/* ---- options ---------------------------------------------------------------------- */

/* The rows shared by the option tables of run and check. */
/* clang-format off */
#define OPT_SET_ROW {"set", OPT_SET, "KEY=VALUE", \
    "override a scenario key, e.g. --set hardware.vol=0.5\n" \
    "(repeatable; run.quantiles takes a comma list)", NULL}
#define OPT_UNCERTAIN_ROWS \
    {"target-se", OPT_TARGET_SE, "X", "add batches of N trajectories until every outcome\n" \
     "probability's standard error is below X (run.target_se)", "run.target_se="}, \
    {"max-trajectories", OPT_MAX_TRAJECTORIES, "M", \
     "cap of --target-se (run.max_trajectories, default 10^7)", "run.max_trajectories="}, \
    {"antithetic", OPT_ANTITHETIC, NULL, "mirrored pairs of uncertain-parameter draws\n" \
     "(run.antithetic=true)", "run.antithetic=true"}, \
    {"crn", OPT_CRN, NULL, "sweeps: common shock streams for every point (sweep.crn=true,\n" \
     "the default)", "sweep.crn=true"}, \
    {"no-crn", OPT_NO_CRN, NULL, "sweeps: independent shock streams per point (sweep.crn=false)", \
     "sweep.crn=false"}, \
    {"history", OPT_HISTORY, "FILE", "history-match against the targets file FILE\n" \
     "(history.targets=FILE; docs/history.md)", "history.targets="}, \
    {"no-history", OPT_NO_HISTORY, NULL, "ignore the scenario's history: section's targets:\n" \
     "a plain run of the drawn trajectories (history.targets=)", "history.targets="}
/* clang-format on */

static const cli_option run_options[] = {
    {"output", 'o', "FILE", "result file (default: output/<scenario name>.h5)", NULL},
    {"trajectories", 'n', "N", "number of trajectories (default: run.trajectories)", NULL},
    {"seed", OPT_SEED, "S", "random seed, 0..2^64-1 (default: run.seed)", NULL},
    {"threads", 't', "T", "OpenMP threads (default: all cores); results do not\ndepend on T", NULL},
    OPT_SET_ROW,
    {"paths", OPT_PATHS, "N", "also store the full paths of the first N trajectories", NULL},
    {"keep-draws", OPT_KEEP_DRAWS, NULL,
     "store every trajectory's parameter draws, outcome classes\n"
     "and shock summaries (the trajectories group; gapsim discover)", NULL},
    {"shard", OPT_SHARD, "I/N",
     "run slice I (0-based) of N of the trajectories into a\n"
     "partial file; combine with gapsim merge",
     NULL},
    {"quiet", 'q', NULL, "no summary, no progress (errors still go to stderr)", NULL},
    {"dry-run", OPT_DRY_RUN, NULL, "print the memory and time estimate, run nothing", NULL},
    {"memory", OPT_MEMORY, "LIMIT",
     "streaming mode: run in batches within LIMIT bytes of memory\n"
     "(e.g. 4G, 512M; exact results, quantiles by re-running passes)", NULL},
    {"resume", OPT_RESUME, NULL,
     "continue an interrupted sweep from its checkpoints\n"
     "(OUTPUT.gapsim-checkpoints/); each is verified, a point that\n"
     "does not match is run again",
     NULL},
    OPT_UNCERTAIN_ROWS,
    {0},
};

static const cli_option check_options[] = {
    OPT_SET_ROW, OPT_UNCERTAIN_ROWS,
    {"upgrade", OPT_UPGRADE, NULL,
     "SCENARIO is a model version 1 file: write it rewritten for\n"
     "version 2 (model: 2 added, keys whose meaning changed converted\n"
     "or annotated, unknown keys commented out; the file's comments\n"
     "are kept) and list the changes on stderr",
     NULL},
    {"output", 'o', "FILE", "with --upgrade: write the upgraded scenario to FILE\n(default: standard output)", NULL},
    {0},
};

static const cli_option merge_options[] = {
    {"output", 'o', "OUT.h5", "the merged result file (required)", NULL},
    {"quiet", 'q', NULL, "no closing line", NULL},
    {0},
};

static const cli_option no_options[] = {{0}};

static const cli_option summary_options[] = {
    {"point", OPT_POINT, "I", "the sweep point to summarise (0, 1, ...; required for sweeps)",
     NULL},
    {0},
};

static const cli_option compare_options[] = {
    {"point", OPT_POINT, "I", "sweep point I of both files", NULL},
    {"point-a", OPT_POINT_A, "I", "sweep point I of file A", NULL},
    {"point-b", OPT_POINT_B, "J", "sweep point J of file B", NULL},
    {0},
};

static const cli_option plot_options[] = {
    {"output", 'o', "DIR", "directory of the figures (default: output)", NULL},
    {"format", OPT_FORMAT, "LIST", "comma list of formats, e.g. png,svg,pdf (default: png,svg)",
     NULL},
    {"dpi", OPT_DPI, "N", "resolution of the PNG figures", NULL},
    {"only", OPT_ONLY, "LIST", "comma list of figure name prefixes, e.g. premium,sobol", NULL},
    {"metric", OPT_METRIC, "M", "outcome metric of the sweep and sensitivity figures", NULL},
    {0},
};

static const cli_option report_options[] = {
    {"output", 'o', "FILE.html", "the report (default: output/<file stem>.html)", NULL},
    {"metric", OPT_METRIC, "M", "the headline's outcome metric", NULL},
    {0},
};

static const cli_option export_options[] = {
    {"format", OPT_FORMAT, "csv|json", "csv (spreadsheets) or json (scripts); default csv", NULL},
    {"output", 'o', "PATH", "where to write (default: next to FILE.h5, see the script)", NULL},
    {0},
};

static const cli_option discover_cli_options[] = {
    {"metric", OPT_METRIC, "M", "the outcome metric (default premium)", NULL},
    {"outcome", OPT_OUTCOME, "O", "compound, persist or collapse (default compound)", NULL},
    {"density", OPT_DENSITY, "X", "choose the box of largest coverage with density >= X\n"
     "(default: the knee of the coverage-density curve)", NULL},
    {"box-count", OPT_BOX_COUNT, "K", "find up to K boxes in turn (default 1)", NULL},
    {"by-cycle", OPT_BY_CYCLE, NULL, "also every forecast cycle taken as the horizon", NULL},
    {"peel-alpha", OPT_PEEL_ALPHA, "A", "share of the box a peel removes (default 0.05)", NULL},
    {"paste-alpha", OPT_PASTE_ALPHA, "A", "share a paste adds, 0 = no pasting (default 0.05)",
     NULL},
    {"min-mass", OPT_MIN_MASS, "M", "smallest box as a share of the futures (default 0.05)",
     NULL},
    {"output", 'o', "FILE", "write the discovery group to FILE (default: into RESULT.h5)",
     NULL},
    {"threads", 't', "T", "OpenMP threads (default: all cores); results do not\ndepend on T",
     NULL},
    {"quiet", 'q', NULL, "no sentences", NULL},
    {0},
};

static const char discover_notes[] =
    "Needs a single run kept with --keep-draws (or a discover: section).  PRIM over the\n"
    "uncertain-parameter draws and the shock summaries; prints one sentence per box and\n"
    "the ranking of the assumptions, and writes the group discovery/<metric>_<outcome>\n"
    "(docs/discovery.md).";

static const cli_option help_options[] = {
    {"all", OPT_ALL, NULL, "the usage of every command", NULL},
    {"man", OPT_MAN, NULL, "the manual page gapsim.1 (roff), from this same text", NULL},
    {"markdown", OPT_MARKDOWN, NULL, "the command reference in Markdown (the README's)", NULL},
    {"bash-completion", OPT_COMPLETION, NULL, "the bash completion script", NULL},
    {0},
};

static int help_main(int argc, char **argv);

/* ---- the command table ------------------------------------------------------------ */

static const char run_notes[] =
    "Uncertain parameters, the sensitivity analysis and sweeps are all run by run, as the\n"
    "scenario asks.  On a terminal a progress bar appears once a run has taken a second;\n"
    "otherwise a time-stamped log line every ten seconds.";

const cli_command cli_commands[] = {
    {"run", cli_run_main, "SCENARIO.yaml [options]",
     "simulate a scenario and write the result file (HDF5/netCDF-4)", run_options, run_notes,
     "yaml"},
    {"sweep", cli_run_main, "SCENARIO.yaml [options]",
     "the same as run (for scenarios with a sweep: section)", run_options, NULL, "yaml"},
    {"check", cli_check_main, "SCENARIO.yaml [options]",
     "validate a scenario and its overrides, run nothing", check_options, NULL, "yaml"},
    {"merge", cli_merge_main, "-o OUT.h5 PART.h5 ...",
     "combine the partial files of --shard into the result of the single run", merge_options, NULL,
     "h5"},
    {"keys", cli_keys_main, "", "every scenario key, as a Markdown table", no_options, NULL, ""},
    {"summary", cli_summary_main, "FILE.h5 [--point I]", "the console summary of a result file",
     summary_options, NULL, "h5"},
    {"compare", cli_compare_main, "A.h5 B.h5 [options]",
     "differences between two runs beyond the Monte Carlo error", compare_options, NULL, "h5"},
    {"plot", cli_plot_main, "FILE.h5 [options]",
     "figures of a result file (analysis/gapsim_plot.py)", plot_options, NULL, "h5"},
    {"report", cli_report_main, "FILE.h5 [options]",
     "one self-contained HTML report (analysis/gapsim_report.py)", report_options, NULL, "h5"},
    {"export", cli_export_main, "FILE.h5 [--format csv|json]",
     "per-cycle statistics and outcomes in tidy form (analysis/gapsim_export.py)", export_options,
     NULL, "h5"},
    {"discover", cli_discover_main, "RESULT.h5 [--metric M] [--outcome O] [options]",
     "scenario discovery: under which assumptions the outcome happens (PRIM)",
     discover_cli_options, discover_notes, "h5"},
    {"help", help_main, "[COMMAND] [options]", "the usage of gapsim or of one command",
     help_options, NULL, "command"},
};
const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

static const char exit_status_text[] =
    "exit status: 0 success, 2 bad input or usage, 1 runtime failure,\n"
    "             130/143 interrupted by SIGINT/SIGTERM";

const cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (!strcmp(cli_commands[i].name, name)) return &cli_commands[i];
    return NULL;
}

/* Edit distance of a and b (insertions, deletions, substitutions), capped at 9. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 9;
    int row[41];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb] < 9 ? row[lb] : 9;
}

/* The command or (with cmd) long option closest to word, within 2 edits (3 for words of
 * 6 letters or more), or NULL. */
static const char *closest(const cli_command *cmd, const char *word)
{
    const char *best = NULL;
    int d = strlen(word) >= 6 ? 4 : 3;
    if (cmd) {
        for (const cli_option *o = cmd->options; o->name; o++)
            if (distance(word, o->name) < d) d = distance(word, o->name), best = o->name;
    } else {
        for (size_t i = 0; i < cli_command_count; i++)
            if (distance(word, cli_commands[i].name) < d)
                d = distance(word, cli_commands[i].name), best = cli_commands[i].name;
    }
    return best;
}

/* The command being run (for the usage hint of errors). */
static const cli_command *current;

/* ---- errors ------------------------------------------------------------------------ */

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gapsim: ");
    vfprintf(stderr, fmt, ap);
    if (current)
        fprintf(stderr, "\nTry 'gapsim %s --help'.\n", current->name);
    else
        fprintf(stderr, "\nTry 'gapsim --help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

int cli_report(const gs_error *err)
{
    fprintf(stderr, "gapsim: %s\n", err->msg);
    return gs_status_exit_code(err->status);
}

int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

/* ---- usage texts -------------------------------------------------------------------- */

static const cli_option help_option = {"help", OPT_HELP, NULL, "this help", NULL};

/* "-o, --output FILE" or "    --seed S" into buf. */
static void option_label(const cli_option *o, char *buf, size_t size)
{
    if (o->key < CLI_LONG_ONLY)
        snprintf(buf, size, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(buf, size, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* One option: the label in a 25-column field, then the help lines. */
static void print_option(FILE *out, const cli_option *o)
{
    char label[96];
    option_label(o, label, sizeof label);
    const char *h = o->help;
    int width = fprintf(out, "  %s", label);
    for (int first = 1; *h || first; first = 0) {
        const char *nl = strchr(h, '\n');
        int len = nl ? (int)(nl - h) : (int)strlen(h);
        if (first && width > 24) width = fprintf(out, "\n") - 1;
        fprintf(out, "%*s%.*s\n", first ? 25 - width : 25, "", len, h);
        h += len + (nl != NULL);
    }
}

void cli_print_usage(FILE *out, const cli_command *cmd)
{
    fprintf(out, "usage: gapsim %s%s%s\n%s\n", cmd->name, *cmd->args ? " " : "", cmd->args,
            cmd->summary);
    fprintf(out, "\noptions:\n");
    for (const cli_option *o = cmd->options; o->name; o++) print_option(out, o);
    print_option(out, &help_option);
    if (cmd->notes) fprintf(out, "\n%s\n", cmd->notes);
}

/* `gapsim --help`: one line per command. */
static void print_overview(FILE *out)
{
    int width = 0;
    for (size_t i = 0; i < cli_command_count; i++) {
        int w = (int)(strlen(cli_commands[i].name) + strlen(cli_commands[i].args)) + 8;
        width = w > width ? w : width;
    }
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        char left[96];
        snprintf(left, sizeof left, "gapsim %s %s", c->name, c->args);
        fprintf(out, "%s %-*s %s\n", i ? "      " : "usage:", width, left, c->summary);
    }
    fprintf(out,
            "       gapsim --help | --version\n\n"
            "'gapsim COMMAND --help' or 'gapsim help COMMAND' gives a command's options.\n"
            "\n%s\n",
            exit_status_text);
}

/* roff text: backslashes, hyphens and a leading dot or quote escaped. */
static void roff(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        char c = s[i];
        if ((i == 0 || s[i - 1] == '\n') && (c == '.' || c == '\'')) fputs("\\&", out);
        if (c == '\\')
            fputs("\\e", out);
        else if (c == '-')
            fputs("\\-", out);
        else
            fputc(c, out);
    }
}
static void roffs(FILE *out, const char *s)
{
    roff(out, s, strlen(s));
}

/* The roff body of one option's help (the lines joined). */
static void man_option_help(FILE *out, const char *help)
{
    for (const char *h = help; *h;) {
        const char *nl = strchr(h, '\n');
        size_t len = nl ? (size_t)(nl - h) : strlen(h);
        roff(out, h, len);
        fputc(nl ? ' ' : '\n', out);
        h += len + (nl != NULL);
    }
}

static void print_man(FILE *out)
{
    fprintf(out, ".\\\" gapsim.1 - written by 'gapsim help --man' from the usage texts\n");
    fprintf(out, ".TH GAPSIM 1 \"\" \"gapsim %s\" \"User Commands\"\n", GAPSIM_VERSION);
    fprintf(out, ".SH NAME\ngapsim \\- Monte Carlo scenarios of the closed- vs open-weight "
                 "AI model premium\n.SH SYNOPSIS\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        fprintf(out, ".B gapsim %s\n", cli_commands[i].name);
        if (*cli_commands[i].args) roffs(out, cli_commands[i].args), fputc('\n', out);
        fprintf(out, ".br\n");
    }
    fprintf(out, ".B gapsim\n\\-\\-help | \\-\\-version\n");
    fprintf(out, ".SH DESCRIPTION\ngapsim steps thousands to millions of possible futures "
                 "of the market for AI models through frontier release cycles and reports "
                 "how likely the closed-weight models' price premium is to compound, persist "
                 "or collapse.  Scenarios are YAML files; results are HDF5 (netCDF-4) "
                 "files.\n.SH COMMANDS\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        fprintf(out, ".SS \"gapsim %s ", c->name);
        roffs(out, c->args);
        fprintf(out, "\"\n");
        roffs(out, c->summary);
        fprintf(out, ".\n");
        for (const cli_option *o = c->options; o->name; o++) {
            fprintf(out, ".TP\n");
            if (o->key < CLI_LONG_ONLY) fprintf(out, "\\fB\\-%c\\fR, ", o->key);
            fprintf(out, "\\fB\\-\\-");
            roffs(out, o->name);
            fprintf(out, "\\fR");
            if (o->arg) fprintf(out, " \\fI"), roffs(out, o->arg), fprintf(out, "\\fR");
            fputc('\n', out);
            man_option_help(out, o->help);
        }
        if (c->notes) fprintf(out, ".PP\n"), roffs(out, c->notes), fputc('\n', out);
    }
    fprintf(out, ".SH OPTIONS\nEvery command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR.  "
                 "Long options take their value as \\fB\\-\\-opt=value\\fR or "
                 "\\fB\\-\\-opt value\\fR; short ones as \\fB\\-n500\\fR or \\fB\\-n 500\\fR, "
                 "and flags bundle (\\fB\\-qn 500\\fR).\n");
    fprintf(out, ".SH EXIT STATUS\n0 success, 2 bad input or usage, 1 runtime failure, "
                 "130 or 143 when interrupted by SIGINT or SIGTERM.\n");
    fprintf(out, ".SH ENVIRONMENT\n.TP\n.B GAPSIM_ANALYSIS_DIR\nthe directory of the analysis "
                 "scripts (gapsim_plot.py, ...) used by plot, report and export.\n.TP\n"
                 ".B GAPSIM_PYTHON\nthe Python interpreter of those scripts "
                 "(default /usr/bin/python3).\n");
    fprintf(out, ".SH FILES\n.TP\n.I PREFIX/share/gapsim/scenarios/\nthe shipped scenarios\n"
                 ".TP\n.I PREFIX/share/gapsim/analysis/\nthe analysis scripts\n");
}

/* A table cell: '|', '<' and '>' escaped, lines joined. */
static void markdown_cell(FILE *out, const char *s)
{
    for (; *s; s++)
        fputs(*s == '|'    ? "\\|"
              : *s == '\n' ? " "
              : *s == '<'  ? "&lt;"
              : *s == '>'  ? "&gt;"
                           : (char[2]){*s, 0},
              out);
}

static void print_markdown(FILE *out)
{
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        fprintf(out, "%s### `gapsim %s%s%s`\n\n%c%s.\n\n", i ? "\n" : "", c->name,
                *c->args ? " " : "", c->args,
                c->summary[0] - ('a' <= c->summary[0] && c->summary[0] <= 'z' ? 'a' - 'A' : 0),
                c->summary + 1);
        fprintf(out, "| option | meaning |\n|---|---|\n");
        for (const cli_option *o = c->options; o->name; o++) {
            char label[96];
            option_label(o, label, sizeof label);
            fprintf(out, "| `%s` | ", label + (o->key < CLI_LONG_ONLY ? 0 : 4));
            markdown_cell(out, o->help);
            fprintf(out, " |\n");
        }
        fprintf(out, "| `-h, --help` | this help |\n");
        if (c->notes) fprintf(out, "\n"), markdown_cell(out, c->notes), fputc('\n', out);
    }
}

static void print_completion(FILE *out)
{
    fprintf(out, "# bash completion for gapsim, written by 'gapsim help --bash-completion'\n"
                 "_gapsim()\n{\n"
                 "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
                 "    local commands=\"");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "%s%s", i ? " " : "", cli_commands[i].name);
    fprintf(out, "\"\n    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
                 "        COMPREPLY=($(compgen -W \"$commands --help --version\" -- \"$cur\"))\n"
                 "        return\n    fi\n"
                 "    local opts=\"--help -h\" valued= files=\n"
                 "    case ${COMP_WORDS[1]} in\n");
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        fprintf(out, "    %s) opts=\"$opts", c->name);
        for (const cli_option *o = c->options; o->name; o++) fprintf(out, " --%s", o->name);
        fprintf(out, "\" valued=\"");
        int first = 1;
        for (const cli_option *o = c->options; o->name; o++) {
            if (!o->arg) continue;
            fprintf(out, "%s--%s", first ? "" : " ", o->name);
            if (o->key < CLI_LONG_ONLY) fprintf(out, " -%c", o->key);
            first = 0;
        }
        fprintf(out, "\" files=%s ;;\n", c->files);
    }
    fprintf(out, "    *) return ;;\n    esac\n"
                 "    if [ \"$prev\" = --set ]; then\n"
                 "        compopt -o nospace 2>/dev/null\n"
                 "        COMPREPLY=($(compgen -W \"");
    for (int i = 0; i < PARAM_COUNT; i++) fprintf(out, "%s%s=", i ? " " : "", params_table[i].key);
    fprintf(out, "\" -- \"$cur\"))\n        return\n    fi\n"
                 "    case \" $valued \" in *\" $prev \"*)\n"
                 "        COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n    esac\n"
                 "    if [[ $cur == -* ]]; then\n"
                 "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
                 "    elif [ \"$files\" = command ]; then\n"
                 "        COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n"
                 "    elif [ -n \"$files\" ]; then\n"
                 "        COMPREPLY=($(compgen -f -X \"!*.$files\" -- \"$cur\") "
                 "$(compgen -d -S / -- \"$cur\"))\n"
                 "        compopt -o nospace 2>/dev/null\n"
                 "    fi\n}\ncomplete -F _gapsim gapsim\n");
}

/* `gapsim help [COMMAND] [--all | --man | --markdown | --bash-completion]`. */
typedef struct {
    int what;
} help_args;

static int help_option_fn(void *ctx, const cli_option *o, const char *value)
{
    (void)value;
    ((help_args *)ctx)->what = o->key;
    return 0;
}

static int help_main(int argc, char **argv)
{
    help_args h = {0};
    const char *name = NULL;
    int npos = 0;
    int rc = cli_parse(current, argc, argv, help_option_fn, &h, &name, 1, &npos);
    if (rc) return cli_exit_status(rc);
    if (name && h.what) return cli_usage_error("give either a command or an option");
    if (name) {
        const cli_command *c = cli_find(name);
        if (!c) return cli_usage_error("unknown command '%s'", name);
        cli_print_usage(stdout, c);
    } else if (h.what == OPT_ALL) {
        for (size_t i = 0; i < cli_command_count; i++)
            printf("%s", i ? "\n" : ""), cli_print_usage(stdout, &cli_commands[i]);
    } else if (h.what == OPT_MAN) {
        print_man(stdout);
    } else if (h.what == OPT_MARKDOWN) {
        print_markdown(stdout);
    } else if (h.what == OPT_COMPLETION) {
        print_completion(stdout);
    } else {
        print_overview(stdout);
    }
    return 0;
}

/* ---- the parser ---------------------------------------------------------------------- */

enum { MAX_OPTIONS = 64 };

/* One positional argument into pos[*npos], or the usage error of one too many. */
static int add_positional(const cli_command *cmd, const char *arg, const char **pos, int maxpos,
                          int *npos)
{
    if (*npos == maxpos)
        return maxpos ? cli_usage_error("%s: unexpected argument '%s'", cmd->name, arg)
                      : cli_usage_error("%s takes no arguments, got '%s'", cmd->name, arg);
    pos[(*npos)++] = arg;
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_option_fn on_option, void *ctx,
              const char **pos, int maxpos, int *npos)
{
    /* the getopt tables: long options and "-:o:n:qt:h" ('-': positional arguments come
     * back in order as code 1, whatever POSIXLY_CORRECT says; ':': missing values are
     * told apart from unknown options) */
    struct option longopts[MAX_OPTIONS + 2];
    const cli_option *by_index[MAX_OPTIONS + 1];
    char shortopts[3 * MAX_OPTIONS + 5] = "-:";
    size_t n = 0, s = 2;
    for (const cli_option *o = cmd->options; o->name && n < MAX_OPTIONS; o++, n++) {
        longopts[n] =
            (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
        by_index[n] = o;
        if (o->key < CLI_LONG_ONLY) {
            shortopts[s++] = (char)o->key;
            if (o->arg) shortopts[s++] = ':';
        }
    }
    longopts[n] = (struct option){"help", no_argument, NULL, OPT_HELP};
    by_index[n] = &help_option;
    longopts[n + 1] = (struct option){0, 0, 0, 0};
    shortopts[s++] = 'h';
    shortopts[s] = '\0';

    /* getopt may permute its argument list: give it a copy, from the command on */
    int ac = argc - 1;
    char **av = malloc(((size_t)(ac > 0 ? ac : 0) + 1) * sizeof *av);
    if (!av) {
        fprintf(stderr, "gapsim: out of memory\n");
        return 1;
    }
    for (int i = 0; i < ac; i++) av[i] = argv[i + 1];
    av[ac] = NULL;
    *npos = 0;
    int rc = 0, c, index;
    opterr = 0;
    optind = 0; /* glibc: start afresh (the fuzz harness and tests parse many times) */
    while (rc == 0 && (c = getopt_long(ac, av, shortopts, longopts, &index)) != -1) {
        const char *bad = optind > 1 && optind - 1 < ac ? av[optind - 1] : "";
        if (c == '?') {
            if (optopt && optopt < CLI_LONG_ONLY && strncmp(bad, "--", 2))
                rc = cli_usage_error("%s: unknown option '-%c'", cmd->name, optopt);
            else {
                const char *near = NULL;
                if (!strncmp(bad, "--", 2)) {
                    char name[64];
                    const char *word = bad + 2;
                    snprintf(name, sizeof name, "%.*s", (int)strcspn(word, "="), word);
                    near = closest(cmd, name);
                }
                if (near)
                    rc = cli_usage_error("%s: unknown option '%s'; did you mean '--%s'?", cmd->name,
                                         bad, near);
                else
                    rc = cli_usage_error("%s: unknown option '%s'", cmd->name, bad);
            }
        } else if (c == ':') {
            const cli_option *o = NULL;
            for (size_t i = 0; i < n; i++)
                if (by_index[i]->key == optopt) o = by_index[i];
            if (o)
                rc = cli_usage_error("%s: --%s needs a value (%s)", cmd->name, o->name, o->arg);
            else
                rc = cli_usage_error("%s: option '%s' needs a value", cmd->name, bad);
        } else if (c == 1) {
            rc = add_positional(cmd, optarg, pos, maxpos, npos);
        } else if (c == OPT_HELP) {
            cli_print_usage(stdout, cmd);
            rc = CLI_HELP;
        } else {
            const cli_option *o = NULL;
            for (size_t i = 0; i < n && !o; i++)
                if (by_index[i]->key == c) o = by_index[i];
            rc = o ? on_option(ctx, o, optarg)
                   : cli_usage_error("%s: internal option error", cmd->name);
        }
    }
    for (int i = optind; rc == 0 && i < ac; i++) /* after "--" */
        rc = add_positional(cmd, av[i], pos, maxpos, npos);
    free(av);
    return rc;
}

/* ---- run, sweep and check ------------------------------------------------------------ */

/* Adds one --set KEY=VALUE. */
static int add_set(cli_args *a, const char *kv)
{
    if (a->nsets == CLI_MAX_SETS) return cli_usage_error("too many --set options");
    a->sets[a->nsets++] = kv;
    return 0;
}

/* The value that followed the option being handled, for the hint of --set K V. */
static const char *next_argument(const char *value, int argc, char **argv)
{
    for (int i = 2; i + 1 < argc; i++)
        if (argv[i] == value ||
            (argv[i][0] == '-' && strchr(argv[i], '=') && strchr(argv[i], '=') + 1 == value))
            return argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
    return NULL;
}

typedef struct {
    cli_args *a;
    int argc;
    char **argv;
} run_ctx;

static int run_option(void *ctx, const cli_option *o, const char *val)
{
    run_ctx *r = ctx;
    cli_args *a = r->a;
    unsigned long long v;
    if (o->set) { /* --target-se X is --set run.target_se=X, and so on */
        size_t len = strlen(o->set) + (val ? strlen(val) : 0) + 1;
        if (len > sizeof a->set_buffer - a->set_used)
            return cli_usage_error("--%s: value too long", o->name);
        char *kv = a->set_buffer + a->set_used;
        snprintf(kv, len, "%s%s", o->set, val ? val : "");
        a->set_used += len;
        return add_set(a, kv);
    }
    switch (o->key) {
    case OPT_SET:
        if (!strchr(val, '=')) {
            const char *next = next_argument(val, r->argc, r->argv);
            if (next)
                return cli_usage_error("--set %s %s: use KEY=VALUE, as in --set %s=%s", val, next,
                                       val, next);
            return cli_usage_error("--set needs KEY=VALUE, got '%s' (use KEY=VALUE, e.g. "
                                   "--set hardware.vol=0.5)",
                                   val);
        }
        return add_set(a, val);
    case 'o':
        a->output = val;
        return 0;
    case 'n':
        if (cli_parse_u64(val, 1000000000000ULL, &v) || v == 0)
            return cli_usage_error("--trajectories needs a whole number from 1 to 10^12, "
                                   "got '%s'",
                                   val);
        a->run.trajectories = v;
        return 0;
    case OPT_SEED:
        if (cli_parse_u64(val, ULLONG_MAX, &v))
            return cli_usage_error("--seed needs a whole number from 0 to 2^64-1, got '%s'", val);
        a->run.seed = v;
        a->run.seed_set = 1;
        return 0;
    case 't':
        if (cli_parse_u64(val, 4096, &v) || v == 0)
            return cli_usage_error("--threads needs a whole number from 1 to 4096, got '%s'", val);
        a->run.threads = (int)v;
        return 0;
    case OPT_SHARD:
        if (cli_shard_parse(val, &a->run.shard, &a->run.nshards))
            return cli_usage_error("--shard needs I/N with 0 <= I < N <= 100000, got '%s'", val);
        return 0;
    case OPT_PATHS:
        if (cli_parse_u64(val, 1000000000000ULL, &v))
            return cli_usage_error("--paths needs a whole number, got '%s'", val);
        a->run.paths = v;
        return 0;
    case OPT_KEEP_DRAWS:
        a->run.keep_draws = 1;
        return 0;
    case 'q':
        a->quiet = 1;
        return 0;
    case OPT_DRY_RUN:
        a->dry_run = 1;
        return 0;
    case OPT_RESUME:
        a->resume = 1;
        return 0;
    case OPT_MEMORY: {
        char *end;
        double x = strtod(val, &end), unit = 1;
        if (end != val && end[0] && !end[1]) {
            switch (end[0]) {
            case 'k': case 'K': unit = 1024.0; end++; break;
            case 'm': case 'M': unit = 1048576.0; end++; break;
            case 'g': case 'G': unit = 1073741824.0; end++; break;
            case 't': case 'T': unit = 1099511627776.0; end++; break;
            }
        }
        if (end == val || *end || !(x > 0) || !(x * unit >= 1048576.0) || !(x * unit < 1e18))
            return cli_usage_error("--memory needs a size of at least 1M, such as 4G or 512M, "
                                   "got '%s'", val);
        a->run.memory = x * unit;
        return 0;
    }
    case OPT_UPGRADE:
        a->upgrade = 1;
        return 0;
    }
    return cli_usage_error("--%s: not handled", o->name);
}

int cli_parse_run(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    const cli_command *cmd = argc > 1 ? cli_find(argv[1]) : NULL;
    if (!cmd) return cli_usage_error("unknown command '%s'", argc > 1 ? argv[1] : "");
    run_ctx r = {a, argc, argv};
    int npos = 0;
    int rc = cli_parse(cmd, argc, argv, run_option, &r, &a->scenario, 1, &npos);
    if (rc) return rc;
    if (!a->scenario) return cli_usage_error("%s: missing SCENARIO file", cmd->name);
    /* --threads T bounds every OpenMP team, not only the engine's: the parameter
     * draws, designs and summaries run with the default team size (on a cluster node
     * shared with other jobs, "all cores" is wrong when the job asked for T) */
    if (a->run.threads > 0) omp_set_num_threads(a->run.threads);
    return 0;
}

int cli_refuse_result_file(const char *path)
{
    static const unsigned char hdf5[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8];
    FILE *f = fopen(path, "rb");
    if (!f) return 0; /* the scenario loader says why */
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got != sizeof head || memcmp(head, hdf5, sizeof head)) return 0;
    fprintf(stderr, "gapsim: %s: this is a result file; did you mean `gapsim summary %s`?\n", path,
            path);
    return EXIT_USAGE;
}

/* ---- dispatch -------------------------------------------------------------------------- */

int cli_dispatch(int argc, char **argv)
{
    current = NULL;
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        print_overview(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("gapsim %s (git %s)\n", GAPSIM_VERSION, GAPSIM_GIT);
        return 0;
    }
    const cli_command *c = cli_find(cmd);
    if (!c && closest(NULL, cmd))
        return cli_usage_error("unknown command '%s'; did you mean '%s'?", cmd, closest(NULL, cmd));
    if (!c) return cli_usage_error("unknown command '%s'", cmd);
    current = c;
    return c->main(argc, argv);
}
