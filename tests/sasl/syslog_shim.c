/* SPDX-License-Identifier: BSD-3-Clause */
/* syslog_shim.c - LD_PRELOAD into a test's slapd: every syslog(3) line of
 * the process (ours, from the SASL plug-in, and slapd's own) is appended
 * to the file AK_TEST_SYSLOG_FILE names, as "<facility>.<level> <text>",
 * instead of going to /dev/log (which a test machine may not have, and
 * whose lines a test cannot read). Test code only: never installed. */
#undef _FORTIFY_SOURCE /* no fortified syslog inline here: we define it */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

void __syslog_chk(int prio, int flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

__attribute__((format(printf, 2, 0))) static void put(int prio, const char *fmt,
                                                      va_list ap)
{
    const char *path = getenv("AK_TEST_SYSLOG_FILE");
    char line[2048];
    int n, fd;

    if (path == NULL || path[0] == '\0')
        return;
    n = snprintf(line, sizeof(line), "%d.%d ", LOG_FAC(prio), LOG_PRI(prio));
    if (n < 0)
        return;
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n) {
        /* a test reads what is there; nothing to do */
    }
    close(fd);
}

void vsyslog(int prio, const char *fmt, va_list ap)
{
    put(prio, fmt, ap);
}

void syslog(int prio, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(prio, fmt, ap);
    va_end(ap);
}

void __vsyslog_chk(int prio, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    put(prio, fmt, ap);
}

void __syslog_chk(int prio, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    put(prio, fmt, ap);
    va_end(ap);
}
