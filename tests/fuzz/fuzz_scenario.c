/* fuzz_scenario.c - libFuzzer target for the scenario loader (YAML text and --set
 * overrides).  The first line of the input, if it starts with "--set ", is split at
 * spaces into overrides; the rest is the scenario text.  Any input must give GS_OK or
 * GS_ERR_INPUT with a message, never a crash, a leak or undefined behaviour.  The same
 * text also goes through `gapsim check --upgrade` (upgrade_scenario), under the same
 * rule.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined; crashes found
 * are kept in tests/fuzz/regressions/ and replayed by tests/test_fuzz_regressions.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "upgrade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *sets[16];
    size_t nsets = 0;
    char *body = text;
    if (strncmp(text, "--set ", 6) == 0) {
        char *eol = strchr(text, '\n');
        if (eol) {
            *eol = '\0';
            body = eol + 1;
        } else {
            body = text + size;
        }
        for (char *tok = strtok(text + 6, " "); tok && nsets < 16; tok = strtok(NULL, " "))
            sets[nsets++] = tok;
    }
    gs_scenario sc;
    gs_error err;
    size_t len = size - (size_t)(body - text);
    if (body > text + size) len = 0;
    if (scenario_parse(body, strlen(body) < len ? strlen(body) : len, "fuzz.yaml", sets, nsets,
                       &sc, &err) == GS_OK)
        scenario_free(&sc);
    else if (err.msg[0] == '\0')
        abort(); /* every failure must say what is wrong */
    char *up, *log;
    size_t up_len;
    err.msg[0] = '\0';
    if (upgrade_scenario(body, strlen(body) < len ? strlen(body) : len, "fuzz.yaml", &up, &up_len,
                         &log, &err) == GS_OK) {
        if (!up || !log || strlen(up) != up_len) abort();
        free(up);
        free(log);
    } else if (err.msg[0] == '\0') {
        abort();
    }
    free(text);
    return 0;
}
