/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.c - the test hooks of testhook.h (apikey-expiryd-test only) */
#include "testhook.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#ifndef EX_TEST_HOOKS
#error "testhook.c belongs to the test executable only (-DEX_TEST_HOOKS)"
#endif

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
