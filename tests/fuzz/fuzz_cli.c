/* fuzz_cli.c - libFuzzer target for the command-line parser: cli_parse_run (the
 * getopt_long parser of cli/cli_commands.c with the option table of run, sweep and
 * check), on argument lists made from the input (one argument per line, at most 32).
 * Parsing only: nothing is run or written.  Any input must parse or be refused with an
 * exit status, never crash or leak.  (make fuzz runs it with -close_fd_mask=3: the
 * parser's usage messages and --help texts would flood the output.)
 *
 * The harness is built from the library and cli/cli_*.c; the commands of cli/main.c
 * (run, check, keys), which the command table names but the parser never calls, are
 * stubs here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_run_main(int argc, char **argv)
{
    return (void)argc, (void)argv, 0;
}
int cli_check_main(int argc, char **argv)
{
    return (void)argc, (void)argv, 0;
}
int cli_keys_main(int argc, char **argv)
{
    return (void)argc, (void)argv, 0;
}

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
    cli_args a;
    cli_parse_run(argc, argv, &a);
    free(buf);
    return 0;
}
