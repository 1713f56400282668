/* SPDX-License-Identifier: BSD-3-Clause */
/* audit.c - one syslog line per change: who did what to which key */
#include "cli.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Append text to buf as a quoted value: '"' and '\' escaped, control
 * characters (a forged second line) replaced by '?'. */
static void put_quoted(char *buf, size_t size, size_t *o, const char *s)
{
    if (*o + 1 < size)
        buf[(*o)++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*o + 3 >= size)
            break;
        if (*p == '"' || *p == '\\')
            buf[(*o)++] = '\\';
        buf[(*o)++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    if (*o + 1 < size)
        buf[(*o)++] = '"';
    buf[*o < size ? *o : size - 1] = '\0';
}

static const char *result_name(int exit_code)
{
    switch (exit_code) {
    case EXIT_OK:
        return "ok";
    case EXIT_DENIED:
        return "denied";
    case EXIT_CONFLICT:
        return "conflict";
    case EXIT_NOT_FOUND:
        return "not-found";
    case EXIT_NOT_SHOWN:
        return "not-shown";
    case EXIT_UNAVAILABLE:
        return "unavailable";
    default:
        return "error";
    }
}

void cli_audit(const struct cli *cli, const char *action, int exit_code,
               const char *kid, const char *target, const char *fmt, ...)
{
    char line[2048];
    size_t o;
    const char *file = getenv("APIKEY_AUDIT_FILE");

    o = (size_t)snprintf(line, sizeof(line), "%s result=%s", action,
                         result_name(exit_code));
    if (kid != NULL && o < sizeof(line))
        o += (size_t)snprintf(line + o, sizeof(line) - o, " key=%s", kid);
    if (target != NULL && o + 8 < sizeof(line)) {
        o += (size_t)snprintf(line + o, sizeof(line) - o, " target=");
        put_quoted(line, sizeof(line), &o, target);
    }
    if (o + 8 < sizeof(line)) {
        o += (size_t)snprintf(line + o, sizeof(line) - o, " actor=");
        put_quoted(line, sizeof(line), &o,
                   cli->actor == NULL      ? "?"
                   : cli->actor[0] == '\0' ? "anonymous"
                                           : cli->actor);
    }
    if (o + 8 < sizeof(line)) {
        o += (size_t)snprintf(line + o, sizeof(line) - o, " login=");
        put_quoted(line, sizeof(line), &o, cli->login);
    }
    if (fmt != NULL && o + 2 < sizeof(line)) {
        char extra[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(extra, sizeof(extra), fmt, ap);
        va_end(ap);
        for (char *p = extra; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        o += (size_t)snprintf(line + o, sizeof(line) - o, " %s", extra);
    }
    if (file != NULL && *file != '\0') {
        int fd = open(file,
                      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                          O_NOCTTY,
                      0600);
        if (fd >= 0) {
            size_t n = strlen(line);
            line[n] = '\n';
            if (write(fd, line, n + 1) < 0) {
                /* the test that reads it will notice */
            }
            line[n] = '\0';
            close(fd);
        }
    }
    /* Always syslog too: the variable is for tests to read the lines, it
     * must not let anyone keep a change out of the system log. */
    openlog("apikey", LOG_PID, LOG_AUTHPRIV);
    syslog(exit_code == EXIT_OK ? LOG_NOTICE : LOG_WARNING, "%s", line);
    closelog();
}
