/* SPDX-License-Identifier: BSD-3-Clause */
/* testhook.h - hooks for the daemon's tests, compiled to nothing in the
 * product: only tests/expiryd's apikey-expiryd-test executable is built
 * with -DEX_TEST_HOOKS. The product binary reads no test environment. */
#ifndef EX_TESTHOOK_H
#define EX_TESTHOOK_H

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

#endif
