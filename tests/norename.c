/* norename.c - an LD_PRELOAD shim for tests/e2e_checkpoints.sh: rename() onto a path whose
 * file name starts with "blocked" fails with EIO, every other rename is the real one.  A
 * sweep writing -o .../blocked.h5 then fails at its very last step, after every point
 * has been checkpointed, which is how the test keeps a full set of checkpoints. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int rename(const char *from, const char *to)
{
    const char *base = strrchr(to, '/');
    base = base ? base + 1 : to;
    if (strncmp(base, "blocked", 7) == 0) {
        errno = EIO;
        return -1;
    }
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    return real ? real(from, to) : (errno = ENOSYS, -1);
}
