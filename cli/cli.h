/* cli.h - subcommands of the gapsim program that live outside main.c (cli/cli_*.c).
 * Each returns the process exit status: 0 ok, 2 bad input or usage, 1 runtime failure. */
#ifndef GAPSIM_CLI_H
#define GAPSIM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "error.h"

/* main.c: "gapsim: <message>" (plus the --help hint for usage errors) on standard
 * error; each returns the matching exit status. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_report(const gs_error *err);

/* cli_tools.c: `summary`, `compare`, `plot` and `report` on result files. */
int cli_tools_handles(const char *command); /* non-zero if command is one of them */
int cli_tools_main(int argc, char **argv);  /* argv[1] is the command */

/* cli_sweep.c: `gapsim sweep` (an alias of run) and the options --target-se X,
 * --max-trajectories N, --antithetic, --crn / --no-crn, rewritten into `run ... --set
 * KEY=VALUE` before parsing.  Returns 0 (argc/argv possibly replaced; the new argv lives
 * until exit) or 1 after printing a usage error. */
int cli_sweep_rewrite(int *argc, char ***argv);

/* cli_merge.c: --shard I/N and `gapsim merge`.  cli_shard_parse reads "I/N" (0 <= I < N)
 * and returns 0, or -1 when malformed.  cli_shard_run runs slice I of N of the scenario
 * (opt->shard, opt->nshards) into the partial file `output`; cli_merge_main is
 * `gapsim merge -o OUT PART...`. */
int cli_shard_parse(const char *s, uint32_t *shard, uint32_t *nshards);
int cli_shard_run(const gs_scenario *sc, const gs_run_options *opt, const char *const *sets,
                  size_t nsets, const char *output, int quiet, gs_error *err);
int cli_merge_main(int argc, char **argv);

#endif
