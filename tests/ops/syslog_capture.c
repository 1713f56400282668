/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syslog_capture.c - an LD_PRELOAD stand-in for the syslog daemon: every
 * syslog()/vsyslog() of the process is appended to the file named by
 * AKT_SYSLOG_FILE as rsyslog's traditional file format writes it,
 *
 *     Mmm dd hh:mm:ss HOST IDENT[PID]: MESSAGE
 *
 * so that log-reading tools (fail2ban-regex) see what they would read in
 * /var/log/auth.log. IDENT is AKT_SYSLOG_IDENT when set (the daemon the
 * test stands in for: sshd, su, ...), else openlog()'s ident, else the
 * program's name. Nothing reaches the real syslog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *open_ident;

/* glibc's fortified entry points (declared only under _FORTIFY_SOURCE) */
void __syslog_chk(int prio, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

__attribute__((format(printf, 1, 0))) static void capture(const char *fmt,
                                                          va_list ap)
{
    const char *path = getenv("AKT_SYSLOG_FILE");
    const char *ident = getenv("AKT_SYSLOG_IDENT");
    int saved = errno; /* %m */
    char stamp[32], msg[2048];
    time_t now = time(NULL);
    struct tm tm;
    FILE *f;

    if (path == NULL)
        return;
    if (ident == NULL || ident[0] == '\0')
        ident = open_ident != NULL ? open_ident : program_invocation_short_name;
    errno = saved;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
    f = fopen(path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%s localhost %s[%ld]: %s\n", stamp, ident, (long)getpid(), msg);
    fclose(f);
}

void openlog(const char *ident, int option, int facility)
{
    (void)option;
    (void)facility;
    open_ident = ident;
}

void closelog(void)
{
}

void vsyslog(int prio, const char *fmt, va_list ap)
{
    (void)prio;
    capture(fmt, ap);
}

void syslog(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsyslog(prio, fmt, ap);
    va_end(ap);
}

/* _FORTIFY_SOURCE callers */
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    vsyslog(prio, fmt, ap);
}

void __syslog_chk(int prio, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    vsyslog(prio, fmt, ap);
    va_end(ap);
}
