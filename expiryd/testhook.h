/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.h - the expiry daemon's test hooks. They exist only in the test
 * build (apikey-expiryd-test, compiled with -DEX_TEST_HOOKS in
 * tests/expiryd/meson.build); the product binary apikey-expiryd has none
 * and reads no test environment variable. */
#ifndef EX_TESTHOOK_H
#define EX_TESTHOOK_H

#include <time.h>

/* The clock: the daemon's one read of the wall clock, for every notice
 * decision (what is due, claim and record times, the next wake-up).
 * Intervals use CLOCK_MONOTONIC, never this.
 *
 * With EX_TEST_HOOKS: time(NULL) plus the whole number of seconds (may be
 * negative) in the file named by EX_TEST_CLOCK_FILE, read again on every
 * call, so a test can step the clock of a running daemon (write a new file
 * and rename it over the old one). No variable or no file: no offset. A
 * file that holds anything else stops the daemon (abort): a test must not
 * pass on a clock it did not set. */
#ifdef EX_TEST_HOOKS
time_t ex_now(void);
#else
static inline time_t ex_now(void)
{
    return time(NULL);
}
#endif

#endif
