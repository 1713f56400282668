/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.h - the expiry daemon's test hooks. They exist only in the test
 * build (apikey-expiryd-test, compiled with -DEX_TEST_HOOKS and testhook.c
 * in tests/expiryd/meson.build); the product binary apikey-expiryd has
 * none and reads no test environment variable. */
#ifndef EX_TESTHOOK_H
#define EX_TESTHOOK_H

#include <time.h>

/* --- the clock ---
 * The daemon's one read of the wall clock, for every notice decision
 * (what is due, claim and record times, the next wake-up). Intervals use
 * CLOCK_MONOTONIC, never this.
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

/* --- crash points (N-01) ---
 * EX_CRASH_POINT("name") marks a step of claim -> send -> settle or of
 * the syncrepl state. With hooks, when EX_TEST_CRASH_AT equals name the
 * process does raise(SIGKILL) there (after EX_TEST_CRASH_SKIP, default
 * 0, earlier passes through that point). The names, in order:
 *   read      a candidate holder was read, nothing written for it yet
 *   claimed   a claim (or take-over) was written
 *   handed    the message is on the mailer's stdin, its exit not read
 *   accepted  the mailer exited 0, the sent state not recorded
 *   recorded  the outcome was recorded in the directory
 *   stored    the syncrepl cookie and index were saved (state file) */
#ifdef EX_TEST_HOOKS
void ex_crash_point(const char *name);
#define EX_CRASH_POINT(name) ex_crash_point(name)
#else
#define EX_CRASH_POINT(name) ((void)0)
#endif

/* --- keys in one message ---
 * A message lists at most this many keys; more go in the next one (the
 * owner's and the admins' alike). With hooks, EX_TEST_GROUP_MAX (a number
 * from 1 to EX_GROUP_MAX) sets it, so that a test sees the split without
 * thousands of keys; anything else there stops the daemon (abort). */
#define EX_GROUP_MAX 4096u
#ifdef EX_TEST_HOOKS
unsigned ex_group_max(void);
#else
static inline unsigned ex_group_max(void)
{
    return EX_GROUP_MAX;
}
#endif

#endif
