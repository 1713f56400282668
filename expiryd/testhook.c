/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.c - the test hooks of testhook.h (apikey-expiryd-test only) */
#include "testhook.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EX_TEST_HOOKS
#error "testhook.c belongs to the test executable only (-DEX_TEST_HOOKS)"
#endif

/* --- the clock --- */
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

/* --- crash points --- */
void ex_crash_point(const char *name)
{
    static long passed;
    const char *at = getenv("EX_TEST_CRASH_AT");
    const char *skip = getenv("EX_TEST_CRASH_SKIP");

    if (at == NULL || strcmp(at, name) != 0)
        return;
    if (skip != NULL && passed++ < strtol(skip, NULL, 10))
        return;
    raise(SIGKILL);
}

/* --- keys in one message --- */
unsigned ex_group_max(void)
{
    const char *v = getenv("EX_TEST_GROUP_MAX");
    char *end;
    unsigned long n;

    if (v == NULL || v[0] == '\0')
        return EX_GROUP_MAX;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*end != '\0' || errno != 0 || n < 1 || n > EX_GROUP_MAX) {
        fprintf(stderr, "apikey-expiryd-test: EX_TEST_GROUP_MAX: not 1 to %u\n",
                EX_GROUP_MAX);
        abort();
    }
    return (unsigned)n;
}
