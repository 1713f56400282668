/* SPDX-License-Identifier: BSD-3-Clause */
/* deliver.h - hand one message to the mailer (or notify_command) */
#ifndef EX_DELIVER_H
#define EX_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

/* What became of one delivery. */
enum ex_delivery_result {
    EX_DELIVER_SENT,      /* exit 0, all of the input read */
    EX_DELIVER_TEMPORARY, /* exit 75 (EX_TEMPFAIL), a signal, the timeout,
                           * a local fault (fork, pipe, exec's EAGAIN):
                           * try again later */
    EX_DELIVER_PERMANENT, /* any other exit, a command that does not exist
                           * or cannot run, input left unread: record it
                           * failed and tell the admins */
};

/* "sent", "temporary", "permanent"; "?" for another value. */
const char *ex_delivery_result_str(enum ex_delivery_result r);

#define EX_REASON_MAX 32
#define EX_OUTPUT_MAX 512
#define EX_ARGS_MAX 32
#define EX_COMMAND_MAX 1024

struct ex_delivery {
    enum ex_delivery_result result;
    /* One word for the bookkeeping and the log, [a-z0-9-]{1,32}: "sent",
     * "exit-1", "exit-75", "signal-9", "timeout", "not-found",
     * "not-executable", "exec-failed", "input-unread", "bad-command",
     * "fork-failed", "pipe-failed", "wait-failed". */
    char reason[EX_REASON_MAX + 1];
    int wait_status;                /* waitpid's status; -1 when none */
    unsigned elapsed_ms;            /* from fork to the end (CLOCK_MONOTONIC) */
    size_t input_written;           /* bytes of the input the command read */
    char output[EX_OUTPUT_MAX + 1]; /* the first bytes of its stdout and
                                     * stderr together, for the log: bytes
                                     * outside printable ASCII become '?',
                                     * line ends and tabs ' ' */
    bool output_truncated;          /* it wrote more */
};

/*
 * Split command on spaces (no shell, no quoting, no PATH lookup) into at
 * most EX_ARGS_MAX words; the first must be an absolute path. true, or
 * false with a sentence in err. For the daemon's (re)load of
 * notice_sendmail and notify_command, so a bad one is refused before any
 * message is due (whether the program exists is seen at delivery: a
 * package may install it later).
 */
bool ex_deliver_command_ok(const char *command, char *err, size_t errsize);

/*
 * Run command (as for ex_deliver_command_ok) with input[0..len) on its
 * standard input and its standard output and error captured; wait for it
 * at most timeout_s seconds (1..86400; CLOCK_MONOTONIC), then SIGTERM to
 * its process group, 2 s, SIGKILL. *out is always filled in.
 *
 * The child gets stdin, stdout and stderr only (every other descriptor is
 * closed), the default signal dispositions and an empty signal mask, its
 * own process group, and the caller's environment. It is killed
 * (PR_SET_PDEATHSIG) if the calling thread dies before reaping it: a
 * mailer still busy when the daemon is killed does not go on to accept a
 * message whose outcome nobody records (the claim is taken over after its
 * lease and the notice sent then; a set-user-ID mailer loses this, the
 * kernel clears it at exec). A command that does
 * not read its input cannot block us (non-blocking writes under poll);
 * SIGPIPE is blocked in the calling thread for the writes and a pending
 * one consumed, so the process's disposition is left alone. The child is
 * always reaped; nothing is left open. The caller must not have SIGCHLD
 * set to SIG_IGN (the child would be reaped behind our back: "wait-failed").
 *
 * Returns AK_OK when the command ran (its outcome is in out->result),
 * AK_ERR_CONFIG when command is unusable (out: PERMANENT "bad-command"),
 * AK_ERR_INVALID for a bad timeout (PERMANENT "bad-command"), AK_ERR_IO
 * when a local system call failed (out: TEMPORARY, "pipe-failed",
 * "fork-failed", "wait-failed").
 */
int ex_deliver(const char *command, const char *input, size_t len,
               unsigned timeout_s, struct ex_delivery *out);

#endif
