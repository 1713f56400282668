/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_log.h - leveled logging through one sink that each front-end supplies */
#ifndef AK_LOG_H
#define AK_LOG_H

#include <stdbool.h>
#include <syslog.h>

/*
 * A sink receives one finished line (no trailing newline) at a syslog
 * priority. PAM routes it to pam_syslog, SASL to utils->log, the CLI to
 * stderr, tests to a buffer. The sink must not call back into common/.
 */
typedef void (*ak_log_sink)(void *ctx, int prio, const char *msg);

struct ak_log {
    ak_log_sink sink; /* NULL: discard everything */
    void *ctx;
    bool debug; /* pass LOG_DEBUG lines through */
};

/* Longest line handed to a sink, including the "[truncated]" mark. */
#define AK_LOG_LINE_MAX 1024

/*
 * Format and emit one line. Control characters in the result (CR, LF, ESC,
 * ...) are replaced by '?' so input copied into a message can never forge a
 * log line. LOG_DEBUG is dropped unless log->debug. log may be NULL.
 */
void ak_log(const struct ak_log *log, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As ak_log, appending ": <strerror(errno)>". */
void ak_log_errno(const struct ak_log *log, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copy untrusted text (a user name, a DN) into buf for a log line: printable
 * ASCII is kept, every other byte becomes \xNN, and the result is cut with
 * "..." at bufsize. Returns buf.
 */
const char *ak_log_quote(char *buf, unsigned bufsize, const char *s,
                         unsigned len);

#define ak_debug(log, ...)                                                     \
    do {                                                                       \
        if ((log) != NULL && (log)->debug)                                     \
            ak_log((log), LOG_DEBUG, __VA_ARGS__);                             \
    } while (0)

#endif
