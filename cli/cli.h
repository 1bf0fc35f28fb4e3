/* cli.h - the gapsim program (cli/): the command table, the option parser and the
 * subcommands.  Each command returns the process exit status: 0 ok, 2 bad input or
 * usage, 1 runtime failure.  Only cli/ prints usage or exits; sim/ never does. */
#ifndef GAPSIM_CLI_H
#define GAPSIM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "discover.h"
#include "engine.h"
#include "error.h"

/* ---- the command table (cli_commands.c) ----------------------------------------------
 * One table {name, function, usage}: the usage (synopsis, summary, options, notes) is
 * the one source of `gapsim CMD --help`, `gapsim help`, the man page (gapsim help
 * --man), the bash completion (gapsim help --bash-completion), the README's command
 * reference (gapsim help --markdown) and of the getopt_long tables. */

/* Long-only options have a key >= CLI_LONG_ONLY; the others use their short letter. */
enum {
    CLI_LONG_ONLY = 256,
    OPT_SEED = CLI_LONG_ONLY,
    OPT_SET,
    OPT_PATHS,
    OPT_SHARD,
    OPT_DRY_RUN,
    OPT_RESUME,
    OPT_TARGET_SE,
    OPT_MAX_TRAJECTORIES,
    OPT_ANTITHETIC,
    OPT_CRN,
    OPT_NO_CRN,
    OPT_HISTORY,
    OPT_NO_HISTORY,
    OPT_POINT,
    OPT_POINT_A,
    OPT_POINT_B,
    OPT_FORMAT,
    OPT_DPI,
    OPT_ONLY,
    OPT_METRIC,
    OPT_KEEP_DRAWS,
    OPT_OUTCOME,
    OPT_BY_CYCLE,
    OPT_DENSITY,
    OPT_PEEL_ALPHA,
    OPT_PASTE_ALPHA,
    OPT_MIN_MASS,
    OPT_BOX_COUNT,
    OPT_ALL,
    OPT_MAN,
    OPT_MARKDOWN,
    OPT_COMPLETION,
    OPT_UPGRADE,
    OPT_MEMORY,
    OPT_HELP = 'h'
};

typedef struct {
    const char *name; /* long name, without "--" */
    int key;          /* the short letter, or an OPT_* code >= CLI_LONG_ONLY */
    const char *arg;  /* the value's name ("FILE"), NULL for a flag */
    const char *help; /* lines separated by '\n' */
    const char *set;  /* run options that stand for `--set KEY=VALUE`: "KEY=" (the
                         value is appended) or "KEY=VALUE" for a flag; else NULL */
} cli_option;

typedef struct {
    const char *name;
    int (*main)(int argc, char **argv); /* argv[0] "gapsim", argv[1] the command */
    const char *args;                   /* the synopsis after "gapsim NAME" */
    const char *summary;                /* one line */
    const cli_option *options;          /* ends with {0}; -h/--help is implied */
    const char *notes;                  /* a paragraph after the options, or NULL */
    const char *files;                  /* completion of positionals: "yaml", "h5", "" */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_command_count;

/* The command named name, or NULL. */
const cli_command *cli_find(const char *name);

/* Everything after the signal set-up of main: --help, --version, the table lookup and
 * the command.  Returns the exit status. */
int cli_dispatch(int argc, char **argv);

/* `gapsim CMD --help`: the command's usage text. */
void cli_print_usage(FILE *out, const cli_command *cmd);

/* "gapsim: <message>" and "Try 'gapsim CMD --help'." on standard error (the command
 * being run, else gapsim --help); each returns the matching exit status. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_report(const gs_error *err);

/* ---- the option parser (cli_commands.c) ---------------------------------------------
 * cli_parse runs getopt_long over argv[2..argc) of cmd (on a copy: argv keeps its
 * order), so that --opt=value, --opt value, -n500, -n 500, -qn 500 and unique
 * abbreviations of long options all work.  For each option it calls
 * on_option(ctx, option, value), which returns 0 or an exit status; positional
 * arguments go to pos[0..*npos), at most maxpos of them.  Returns 0, an exit status
 * (2 after a usage message), or CLI_HELP after printing the usage for -h/--help (the
 * caller exits 0). */
enum { CLI_HELP = -1 };
typedef int (*cli_option_fn)(void *ctx, const cli_option *option, const char *value);
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_option_fn on_option, void *ctx,
              const char **pos, int maxpos, int *npos);

/* The exit status for what cli_parse returned (CLI_HELP is success). */
static inline int cli_exit_status(int rc)
{
    return rc == CLI_HELP ? 0 : rc;
}

/* Parses a whole unsigned decimal number no larger than max; returns 0 on success. */
int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out);

/* ---- run, sweep and check (main.c; their options are parsed by cli_parse_run) ------- */
enum { CLI_MAX_SETS = 256, CLI_SET_BUFFER = 4096 };
typedef struct {
    const char *scenario, *output;
    const char *sets[CLI_MAX_SETS]; /* --set KEY=VALUE, in order */
    size_t nsets;
    gs_run_options run;
    int quiet, dry_run, resume;
    int upgrade; /* check --upgrade */
    char set_buffer[CLI_SET_BUFFER]; /* the KEY=VALUE texts of --target-se and the like */
    size_t set_used;
} cli_args;

/* The options of `gapsim run`/`sweep`/`check` (argv[1]) into *a (zeroed first).
 * Returns as cli_parse. */
int cli_parse_run(int argc, char **argv, cli_args *a);

/* 2 with "this is a result file; did you mean `gapsim summary`?" when path is an HDF5
 * file (a result given where a scenario belongs), else 0. */
int cli_refuse_result_file(const char *path);

int cli_run_main(int argc, char **argv);   /* run and sweep */
int cli_check_main(int argc, char **argv); /* check */
int cli_keys_main(int argc, char **argv);  /* keys */

/* cli_tools.c: `summary`, `compare`, `plot`, `report` and `export` on result files. */
int cli_summary_main(int argc, char **argv);
int cli_compare_main(int argc, char **argv);
int cli_plot_main(int argc, char **argv);
int cli_report_main(int argc, char **argv);
int cli_export_main(int argc, char **argv);
int cli_discover_main(int argc, char **argv);

/* Discovery on a result file (cli_discover.c): sentences on stdout unless quiet, the group
 * into output (NULL: into path).  Returns the exit status. */
int cli_discover_file(const char *path, const discover_options *opt, const char *output,
                      int quiet);
/* The discovery a scenario's `discover:` section asks for, into the result file just
 * written (0 when the scenario has none). */
int cli_discover_after_run(const gs_scenario *sc, const char *path, int quiet);

/* cli_merge.c: --shard I/N and `gapsim merge`.  cli_shard_parse reads "I/N" (0 <= I < N)
 * and returns 0, or -1 when malformed.  cli_shard_run runs slice I of N of the scenario
 * (opt->shard, opt->nshards) into the partial file `output`; cli_merge_main is
 * `gapsim merge -o OUT PART...`. */
int cli_shard_parse(const char *s, uint32_t *shard, uint32_t *nshards);
int cli_shard_run(const gs_scenario *sc, const gs_run_options *opt, const char *const *sets,
                  size_t nsets, const char *output, int quiet, gs_error *err);
int cli_merge_main(int argc, char **argv);

#endif
