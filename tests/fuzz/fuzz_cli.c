/* fuzz_cli.c - libFuzzer target for the command-line parser: the option rewriting of
 * cli_sweep.c and main.c's parse_args, on argument lists made from the input (one
 * argument per line, at most 32).  Parsing only: nothing is run or written.  Any input
 * must parse or be refused with an exit status, never crash or leak.  (make fuzz runs
 * it with -close_fd_mask=2: the parser's usage messages would flood the output.)
 *
 * main.c is compiled into this file (its main renamed) so that its static parser can
 * be called directly. */
#define _POSIX_C_SOURCE 200809L /* as main.c, which needs POSIX (sigaction, PATH_MAX) */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define main gapsim_fuzz_unused_main
#include "../../cli/main.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[36] = {"gapsim", "run"};
    int argc = 2;
    for (char *tok = strtok(buf, "\n"); tok && argc < 34; tok = strtok(NULL, "\n"))
        argv[argc++] = tok;
    if (argc > 2 && (!strcmp(argv[2], "check") || !strcmp(argv[2], "sweep")))
        argv[1] = argv[2], argv[2] = "scenario.yaml";
    argv[argc] = NULL;
    char **av = argv;
    int ac = argc;
    if (cli_sweep_rewrite(&ac, &av) == 0) {
        cli_args a = {0};
        parse_args(ac, av, strcmp(av[1], "check") != 0, &a);
        if (av != argv) { /* the rewritten list and its "--set KEY=VALUE" strings */
            for (int i = ac - 1; i >= 1; i--) /* downwards: av[i - 1] is not freed yet */
                if (!strcmp(av[i - 1], "--set") && strcmp(av[i], "--set") &&
                    (av[i] < buf || av[i] > buf + size)) /* a KEY=VALUE the rewrite made */
                    free(av[i]);
            free(av);
        }
    }
    free(buf);
    return 0;
}
