/* nolock.c - an LD_PRELOAD shim for the file-locking tests of tests/e2e_reliability.sh:
 * flock() fails as on a filesystem without locks (errno ENOSYS, the default) or, with
 * NOLOCK_ERRNO=EWOULDBLOCK, as if another process held the lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

int flock(int fd, int operation)
{
    (void)fd, (void)operation;
    const char *e = getenv("NOLOCK_ERRNO");
    errno = e && !strcmp(e, "EWOULDBLOCK") ? EWOULDBLOCK : ENOSYS;
    return -1;
}
