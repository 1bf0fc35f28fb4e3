/* cli.h - subcommands of the gapsim program that live outside main.c (sim/cli_*.c).
 * Each returns the process exit status: 0 ok, 2 bad input or usage, 1 runtime failure. */
#ifndef GAPSIM_CLI_H
#define GAPSIM_CLI_H

/* cli_tools.c: `summary`, `compare`, `plot` and `report` on result files. */
int cli_tools_handles(const char *command); /* non-zero if command is one of them */
int cli_tools_main(int argc, char **argv);  /* argv[1] is the command */

/* cli_sweep.c: `gapsim sweep` (an alias of run) and the options --target-se X,
 * --max-trajectories N, --antithetic, --crn / --no-crn, rewritten into `run ... --set
 * KEY=VALUE` before parsing.  Returns 0 (argc/argv possibly replaced; the new argv lives
 * until exit) or 1 after printing a usage error. */
int cli_sweep_rewrite(int *argc, char ***argv);

#endif
