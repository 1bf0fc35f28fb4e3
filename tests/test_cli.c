/* test_cli.c - the command table and the getopt_long option parser of cli/ (linked with
 * cli/cli_*.c; the commands of cli/main.c are the fuzz harness's stubs, the parser never
 * calls them), and the replay of the command-line fuzzer's seeds and regressions
 * (tests/fuzz/cli-seeds/, tests/fuzz/regressions-cli/) through its entry point.  Usage
 * messages of the refused argument lists go to standard error. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "cli.h"
#include "testutil.h"

#include "fuzz/fuzz_cli.c" /* LLVMFuzzerTestOneInput and the stubs of main.c's commands */

/* Parses "gapsim CMD ARGS..." (a NULL-terminated list) into *a; returns cli_parse_run's
 * status.  The argument list must keep its order. */
static int parse(cli_args *a, const char *cmd, ...)
{
    char *argv[40] = {"gapsim", (char *)cmd};
    int argc = 2;
    va_list ap;
    va_start(ap, cmd);
    for (char *s; argc < 39 && (s = va_arg(ap, char *));) argv[argc++] = s;
    va_end(ap);
    char *copy[40];
    memcpy(copy, argv, sizeof copy);
    int rc = cli_parse_run(argc, argv, a);
    for (int i = 0; i < argc; i++) assert_ptr_equal(argv[i], copy[i]);
    return rc;
}

static void bundled_short_options(void **state)
{
    (void)state;
    cli_args a;
    assert_int_equal(parse(&a, "run", "s.yaml", "-qn", "500", NULL), 0);
    assert_true(a.quiet);
    assert_int_equal(a.run.trajectories, 500);
    assert_string_equal(a.scenario, "s.yaml");
    assert_int_equal(parse(&a, "run", "-qn500", "-t2", "s.yaml", NULL), 0);
    assert_true(a.quiet);
    assert_int_equal(a.run.trajectories, 500);
    assert_int_equal(a.run.threads, 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "-n500", "-ox.h5", NULL), 0);
    assert_int_equal(a.run.trajectories, 500);
    assert_string_equal(a.output, "x.h5");
}

static void long_options_with_equals(void **state)
{
    (void)state;
    cli_args a;
    assert_int_equal(parse(&a, "run", "--trajectories=500", "--seed=18446744073709551615",
                           "--output=o.h5", "--set=hardware.vol=0.5", "s.yaml", NULL),
                     0);
    assert_int_equal(a.run.trajectories, 500);
    assert_true(a.run.seed_set);
    assert_true(a.run.seed == UINT64_MAX);
    assert_string_equal(a.output, "o.h5");
    assert_int_equal(a.nsets, 1);
    assert_string_equal(a.sets[0], "hardware.vol=0.5");
    /* a unique abbreviation of a long option */
    assert_int_equal(parse(&a, "run", "s.yaml", "--traj", "7", "--dry", NULL), 0);
    assert_int_equal(a.run.trajectories, 7);
    assert_true(a.dry_run);
}

/* Options after the scenario work whatever POSIXLY_CORRECT says; "--" ends them. */
static void order_and_double_dash(void **state)
{
    (void)state;
    cli_args a;
    setenv("POSIXLY_CORRECT", "1", 1);
    int rc = parse(&a, "run", "s.yaml", "-n", "5", "-q", NULL);
    unsetenv("POSIXLY_CORRECT");
    assert_int_equal(rc, 0);
    assert_int_equal(a.run.trajectories, 5);
    assert_true(a.quiet);
    assert_int_equal(parse(&a, "run", "-q", "--", "-odd.yaml", NULL), 0);
    assert_string_equal(a.scenario, "-odd.yaml");
    assert_int_equal(parse(&a, "run", "s.yaml", "--", "-n", NULL), 2); /* a second file */
}

static void alias_options_become_sets(void **state)
{
    (void)state;
    cli_args a;
    assert_int_equal(parse(&a, "sweep", "s.yaml", "--set", "a.b=1", "--target-se=0.01",
                           "--antithetic", "--no-crn", "--max-trajectories", "5000", NULL),
                     0);
    assert_int_equal(a.nsets, 5);
    assert_string_equal(a.sets[0], "a.b=1");
    assert_string_equal(a.sets[1], "run.target_se=0.01");
    assert_string_equal(a.sets[2], "run.antithetic=true");
    assert_string_equal(a.sets[3], "sweep.crn=false");
    assert_string_equal(a.sets[4], "run.max_trajectories=5000");
    assert_int_equal(parse(&a, "check", "s.yaml", "--crn", NULL), 0);
    assert_string_equal(a.sets[0], "sweep.crn=true");
}

static void usage_errors(void **state)
{
    (void)state;
    cli_args a;
    assert_int_equal(parse(&a, "run", "s.yaml", "--frob", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "-x", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "-n", NULL), 2); /* missing value */
    assert_int_equal(parse(&a, "run", "s.yaml", "--seed", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "-n", "0", NULL), 2); /* out of range */
    assert_int_equal(parse(&a, "run", "s.yaml", "-n", "5x", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "--threads=0", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "--shard", "3/3", NULL), 2);
    assert_int_equal(parse(&a, "run", "s.yaml", "--set", "hardware.vol", "0.5", NULL), 2);
    assert_int_equal(parse(&a, "run", "a.yaml", "b.yaml", NULL), 2);       /* two scenarios */
    assert_int_equal(parse(&a, "run", "-q", NULL), 2);                     /* no scenario */
    assert_int_equal(parse(&a, "run", "s.yaml", "--t", "5", NULL), 2);     /* ambiguous */
    assert_int_equal(parse(&a, "check", "s.yaml", "-n", "5", NULL), 2);   /* not check's */
    assert_int_equal(parse(&a, "check", "s.yaml", "--paths", "5", NULL), 2);
    /* check's -o goes with --upgrade (main.c refuses it alone) */
    assert_int_equal(parse(&a, "check", "--upgrade", "s.yaml", "-o", "n.yaml", NULL), 0);
    assert_true(a.upgrade);
    assert_string_equal(a.output, "n.yaml");
    assert_int_equal(parse(&a, "check", "s.yaml", "--target-se", NULL), 2);
}

static void help_is_not_an_error(void **state)
{
    (void)state;
    cli_args a;
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w");
    int rc1 = parse(&a, "run", "--help", NULL), rc2 = parse(&a, "check", "x.yaml", "-h", NULL);
    fclose(stdout);
    stdout = saved;
    assert_int_equal(rc1, CLI_HELP);
    assert_int_equal(rc2, CLI_HELP);
    assert_int_equal(cli_exit_status(CLI_HELP), 0);
}

/* Every command has a unique name, a summary and options with unique names and keys,
 * each with a help text: the table all the usage texts come from. */
static void command_table_is_consistent(void **state)
{
    (void)state;
    assert_true(cli_command_count >= 10);
    for (size_t i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        assert_non_null(c->main);
        assert_true(strlen(c->summary) > 10);
        assert_ptr_equal(cli_find(c->name), c);
        for (const cli_option *o = c->options; o->name; o++) {
            assert_true(o->help && *o->help);
            assert_true(o->key != 'h' && strcmp(o->name, "help"));
            for (const cli_option *p = o + 1; p->name; p++) {
                if (!strcmp(o->name, p->name) || o->key == p->key)
                    fail_msg("%s: options --%s and --%s clash", c->name, o->name, p->name);
            }
        }
    }
    assert_null(cli_find("frobnicate"));
}

/* Feeds every file of dir to the fuzz target (which must return, without leaking under
 * the sanitizer build); returns how many. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    int count = 0;
    struct dirent *e;
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w"); /* --help in an input prints the usage */
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        count++;
    }
    fclose(stdout);
    stdout = saved;
    closedir(d);
    return count;
}

static void fuzz_inputs_replay(void **state)
{
    (void)state;
    assert_true(replay_dir("tests/fuzz/cli-seeds") >= 4);
    assert_true(replay_dir("tests/fuzz/regressions-cli") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundled_short_options),
        cmocka_unit_test(long_options_with_equals),
        cmocka_unit_test(order_and_double_dash),
        cmocka_unit_test(alias_options_become_sets),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(help_is_not_an_error),
        cmocka_unit_test(command_table_is_consistent),
        cmocka_unit_test(fuzz_inputs_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
