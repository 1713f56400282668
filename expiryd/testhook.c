/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.c - the test hooks of testhook.h (nothing without EX_TEST_HOOKS) */
#include "testhook.h"

#ifdef EX_TEST_HOOKS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

time_t ex_now(void)
{
    const char *path = getenv("EX_TEST_CLOCK_FILE");
    char buf[32], *end;
    long long off;
    size_t n;
    FILE *f;

    if (path == NULL || path[0] == '\0')
        return time(NULL);
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return time(NULL);
        fprintf(stderr, "apikey-expiryd-test: %s: cannot read\n", path);
        abort();
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    errno = 0;
    off = strtoll(buf, &end, 10);
    while (*end == '\n' || *end == ' ')
        end++;
    if (n == 0 || end == buf || *end != '\0' || errno != 0 ||
        off < -(100LL * 366 * 86400) || off > 100LL * 366 * 86400) {
        fprintf(stderr, "apikey-expiryd-test: %s: not a number of seconds\n",
                path);
        abort();
    }
    return time(NULL) + (time_t)off;
}
#else
/* ISO C wants something in a translation unit. */
typedef int ex_testhook_empty;
#endif
