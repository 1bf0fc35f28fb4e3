/* cli_sweep.c - `gapsim sweep` and the run options of uncertainty runs.
 *
 * `gapsim run` handles everything a scenario asks for (uncertain parameters, the
 * sensitivity analysis, sweeps): the library's engine_run dispatches on the scenario.
 * This file only turns the convenience options into scenario overrides before main.c
 * parses the command line, so that there is one run command:
 *
 *   gapsim sweep ...        is  gapsim run ...
 *   --target-se X           is  --set run.target_se=X
 *   --max-trajectories N    is  --set run.max_trajectories=N
 *   --antithetic            is  --set run.antithetic=true
 *   --no-crn / --crn        is  --set sweep.crn=false / true
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One option and the override it stands for (the option's value, if any, is appended). */
static const struct {
    const char *option, *assignment;
    int takes_value;
} cli_sweep_aliases[] = {
    {"--target-se", "run.target_se=", 1},
    {"--max-trajectories", "run.max_trajectories=", 1},
    {"--antithetic", "run.antithetic=true", 0},
    {"--no-crn", "sweep.crn=false", 0},
    {"--crn", "sweep.crn=true", 0},
};

/* The "--set" this file inserts (compared by address to find its own strings). */
static const char cli_set_option[] = "--set";

/* The rewritten argument list: kept here so it stays reachable until the process
 * exits, as the original argv does. */
static char **volatile rewritten_argv; /* volatile: the store must not be optimised away */

int cli_sweep_rewrite(int *argc, char ***argv)
{
    if (*argc < 2 || (strcmp((*argv)[1], "run") != 0 && strcmp((*argv)[1], "sweep") != 0 &&
                      strcmp((*argv)[1], "check") != 0))
        return 0;
    const size_t count = sizeof cli_sweep_aliases / sizeof cli_sweep_aliases[0];
    /* First the usage check, so that no allocation has to be undone on an error. */
    for (int i = 2; i < *argc; i++) {
        size_t a = 0;
        while (a < count && strcmp((*argv)[i], cli_sweep_aliases[a].option) != 0) a++;
        if (a == count || !cli_sweep_aliases[a].takes_value) continue;
        if (i + 1 >= *argc) {
            fprintf(stderr, "gapsim: %s needs a value\nTry 'gapsim --help'.\n", (*argv)[i]);
            return 1;
        }
        i++;
    }
    /* each alias becomes two arguments, so the new list is at most twice as long */
    char **out = calloc(2 * (size_t)*argc + 1, sizeof *out);
    if (!out) {
        fprintf(stderr, "gapsim: out of memory\n");
        return 1;
    }
    int n = 0;
    out[n++] = (*argv)[0];
    out[n++] = strcmp((*argv)[1], "check") == 0 ? "check" : "run";
    for (int i = 2; i < *argc; i++) {
        const char *arg = (*argv)[i];
        size_t a = 0;
        while (a < count && strcmp(arg, cli_sweep_aliases[a].option) != 0) a++;
        if (a == count) {
            out[n++] = (*argv)[i];
            continue;
        }
        const char *value = cli_sweep_aliases[a].takes_value ? (*argv)[++i] : "";
        size_t len = strlen(cli_sweep_aliases[a].assignment) + strlen(value) + 1;
        char *set = malloc(len); /* lives until the process exits, as argv does */
        if (!set) {
            fprintf(stderr, "gapsim: out of memory\n");
            for (int k = 3; k < n; k++)
                if (out[k - 1] == cli_set_option) free(out[k]);
            free(out);
            return 1;
        }
        snprintf(set, len, "%s%s", cli_sweep_aliases[a].assignment, value);
        out[n++] = (char *)cli_set_option;
        out[n++] = set;
    }
    out[n] = NULL;
    *argc = n;
    *argv = rewritten_argv = out;
    return 0;
}
