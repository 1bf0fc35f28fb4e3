/* threadlog.c - an LD_PRELOAD shim for tests/e2e_cli.sh: every pthread_create appends a
 * line to the file named by THREADLOG, then creates the thread as usual.  It shows
 * whether a run given --threads 1 ever starts a second thread (OpenMP teams outside the
 * engine included). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                   void *arg)
{
    const char *log = getenv("THREADLOG");
    FILE *fp = log ? fopen(log, "a") : NULL;
    if (fp) {
        fputs("pthread_create\n", fp);
        fclose(fp);
    }
    create_fn real;
    *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    return real(thread, attr, start, arg);
}
