/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syslog_capture.c - an LD_PRELOAD stand-in for the syslog daemon, for
 * tests only (never installed): every syslog(3)/vsyslog(3) line of the
 * process (ours, a host's such as slapd's) is appended to the file named
 * by AK_TEST_SYSLOG_FILE instead of going to /dev/log, which a test
 * machine may not have and whose lines a test cannot read. Two formats:
 *
 *   AK_TEST_SYSLOG_FORMAT=rsyslog   what rsyslog's traditional file
 *       format writes, "Mmm dd hh:mm:ss HOST IDENT[PID]: MESSAGE", so that
 *       log readers (fail2ban-regex) see a /var/log/auth.log; IDENT is
 *       AK_TEST_SYSLOG_IDENT when set (the daemon the test stands in for:
 *       sshd, su, ...), else openlog()'s ident, else the program's name
 *   otherwise                       "FACILITY.LEVEL MESSAGE" in numbers
 *       (authpriv.info is "10.6"), so a test can check where a line goes
 *
 * Each line is one write(2) on an O_APPEND descriptor: the lines of a
 * threaded host (slapd) never interleave.
 */
#undef _FORTIFY_SOURCE /* no fortified syslog inline here: we define it */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *open_ident;
static int open_facility;

/* glibc's fortified entry points (declared only under _FORTIFY_SOURCE) */
void __syslog_chk(int prio, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int head(char *buf, size_t size, int prio)
{
    const char *format = getenv("AK_TEST_SYSLOG_FORMAT");
    const char *ident = getenv("AK_TEST_SYSLOG_IDENT");
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (format == NULL || strcmp(format, "rsyslog") != 0) {
        int fac = LOG_FAC(prio) ? LOG_FAC(prio) : LOG_FAC(open_facility);
        return snprintf(buf, size, "%d.%d ", fac, LOG_PRI(prio));
    }
    if (ident == NULL || ident[0] == '\0')
        ident = open_ident != NULL ? open_ident : program_invocation_short_name;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
    return snprintf(buf, size, "%s localhost %s[%ld]: ", stamp, ident,
                    (long)getpid());
}

__attribute__((format(printf, 2, 0))) static void
capture(int prio, const char *fmt, va_list ap)
{
    const char *path = getenv("AK_TEST_SYSLOG_FILE");
    int saved = errno; /* for %m */
    char line[2048];
    int n, fd;

    if (path == NULL || path[0] == '\0')
        return;
    n = head(line, sizeof(line), prio);
    if (n < 0 || (size_t)n >= sizeof(line) - 2)
        return;
    errno = saved;
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n) {
        /* a test reads what is there; nothing more to do */
    }
    close(fd);
    errno = saved;
}

void openlog(const char *ident, int option, int facility)
{
    (void)option;
    open_ident = ident;
    open_facility = facility;
}

void closelog(void)
{
}

void vsyslog(int prio, const char *fmt, va_list ap)
{
    capture(prio, fmt, ap);
}

void syslog(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    capture(prio, fmt, ap);
    va_end(ap);
}

void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    capture(prio, fmt, ap);
}

void __syslog_chk(int prio, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    capture(prio, fmt, ap);
    va_end(ap);
}
