/* test_fuzz_regressions.c - replays every input in tests/fuzz/regressions/ (inputs
 * that once crashed or hung the scenario loader, found by `make fuzz`) and the shipped
 * and malformed scenarios through the fuzz target's entry point: each must return
 * with GS_OK or an error message.  Under `make SANITIZE=address,undefined test` this
 * also proves them free of memory errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#include "fuzz/fuzz_scenario.c"

/* Feeds every regular file of dir to the target; returns how many. */
static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        count++;
    }
    closedir(d);
    return count;
}

static void test_replay_regressions(void **state)
{
    (void)state;
    replay_dir("tests/fuzz/regressions");
}

static void test_replay_seed_corpus(void **state)
{
    (void)state;
    assert_true(replay_dir("scenarios") >= 5);
    assert_true(replay_dir("tests/data/bad") >= 12);
    assert_true(replay_dir("tests/data/v1") >= 3); /* version 1 files, for the upgrade */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_regressions),
        cmocka_unit_test(test_replay_seed_corpus),
    };
    return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
