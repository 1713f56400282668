/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_log.c - format bounded, sanitised log lines and hand them to a sink */
#include "ak_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char truncated_mark[] = " [truncated]";

__attribute__((format(printf, 3, 0))) static void emit(const struct ak_log *log,
                                                       int prio,
                                                       const char *fmt,
                                                       va_list ap, int errnum)
{
    char line[AK_LOG_LINE_MAX];
    char errbuf[128];
    bool cut = false;
    size_t len;
    int n;

    if (log == NULL || log->sink == NULL)
        return;
    if (prio == LOG_DEBUG && !log->debug)
        return;
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    len = (size_t)n;
    if (len >= sizeof(line)) {
        cut = true;
        len = sizeof(line) - 1;
    }
    if (errnum != 0 && !cut) {
        /* GNU strerror_r: thread-safe, returns the message. */
        const char *msg = strerror_r(errnum, errbuf, sizeof(errbuf));
        int m = snprintf(line + len, sizeof(line) - len, ": %s", msg);
        if (m < 0 || (size_t)m >= sizeof(line) - len)
            cut = true;
    }
    if (cut)
        memcpy(line + sizeof(line) - sizeof(truncated_mark), truncated_mark,
               sizeof(truncated_mark));
    for (char *p = line; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            *p = '?';
    }
    log->sink(log->ctx, prio, line);
}

void ak_log(const struct ak_log *log, int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(log, prio, fmt, ap, 0);
    va_end(ap);
}

void ak_log_errno(const struct ak_log *log, int prio, const char *fmt, ...)
{
    int errnum = errno;
    va_list ap;
    va_start(ap, fmt);
    emit(log, prio, fmt, ap, errnum);
    va_end(ap);
}

const char *ak_log_quote(char *buf, unsigned bufsize, const char *s,
                         unsigned len)
{
    static const char hex[] = "0123456789abcdef";
    unsigned o = 0;

    if (bufsize == 0)
        return buf;
    if (s == NULL) {
        snprintf(buf, bufsize, "(none)");
        return buf;
    }
    for (unsigned i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need + 4 > bufsize) {
            if (o + 4 <= bufsize) {
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}
