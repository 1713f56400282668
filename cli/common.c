/* SPDX-License-Identifier: BSD-3-Clause */
/* common.c - config loading, binding and output helpers for the CLI */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_secure.h"
#include "ak_status.h"

#define PW_MAX 1024

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("apikey: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int status)
{
    switch (status) {
    case AK_OK:
        return EXIT_OK;
    case AK_ERR_CONFIG:
    case AK_ERR_IO:
        return EXIT_CONFIG;
    case AK_ERR_BACKEND:
        return EXIT_UNAVAILABLE;
    case AK_ERR_NOT_FOUND:
        return EXIT_NOT_FOUND;
    case AK_ERR_DENIED:
    case AK_ERR_INVALID:
        return EXIT_DENIED;
    case AK_ERR_CONFLICT:
        return EXIT_CONFLICT;
    case AK_ERR_MALFORMED:
        return EXIT_USAGE;
    default:
        return EXIT_INTERNAL;
    }
}

int cli_load_config(struct cli *cli)
{
    int rc;

    if (cli->cfg != NULL)
        return EXIT_OK;
    rc = ak_config_load(&cli->cfg, cli->config_path, &cli->log);
    if (rc != AK_OK)
        return rc == AK_ERR_NOMEM ? EXIT_INTERNAL : EXIT_CONFIG;
    if (cli->verbose > 1)
        cli->cfg->debug = true;
    cli->log.debug = cli->cfg->debug;
    if (cli->uri != NULL) {
        char *u = strdup(cli->uri);
        if (u == NULL)
            return EXIT_INTERNAL;
        for (unsigned i = 0; i < cli->cfg->n_uri; i++)
            free(cli->cfg->uri[i]);
        cli->cfg->uri[0] = u;
        cli->cfg->n_uri = 1;
    }
    return EXIT_OK;
}

/* Read a password from the terminal without echo. */
static int prompt_password(char *buf, size_t size, size_t *len)
{
    struct termios old, quiet;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    size_t n = 0;
    bool restore = false;

    if (fd < 0) {
        cli_err("-W needs a terminal: %s", strerror(errno));
        return EXIT_USAGE;
    }
    if (write(fd, "LDAP password: ", 15) < 0) {
        close(fd);
        return EXIT_USAGE;
    }
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || c == '\n')
            break;
        if (n + 1 < size)
            buf[n++] = c;
    }
    buf[n] = '\0';
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* the prompt's newline is cosmetic */
    }
    close(fd);
    *len = n;
    return EXIT_OK;
}

int cli_open(struct cli *cli)
{
    struct ak_bind bind = {0};
    char *pw = NULL;
    size_t pw_len = 0;
    int rc;

    rc = cli_load_config(cli);
    if (rc != EXIT_OK)
        return rc;
    if (cli->dir != NULL)
        return EXIT_OK;
    if (cli->bind_dn == NULL && cli->mech == NULL && !cli->pw_prompt &&
        cli->pw_file == NULL) {
        rc = ak_dir_open(&cli->dir, cli->cfg, &cli->log);
        return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
    }
    if (cli->mech != NULL) {
        bind.mech = cli->mech;
    } else {
        if (cli->bind_dn == NULL) {
            cli_err("-y and -W need -D BINDDN");
            return EXIT_USAGE;
        }
        bind.dn = cli->bind_dn;
        if (cli->pw_file != NULL) {
            rc = ak_file_read(cli->pw_file, AK_FILE_SECRET, PW_MAX, &cli->log,
                              &pw, &pw_len);
            if (rc != AK_OK)
                return EXIT_CONFIG;
            if (pw_len > 0 && pw[pw_len - 1] == '\n')
                pw[--pw_len] = '\0';
        } else if (cli->pw_prompt) {
            pw = sodium_malloc(PW_MAX);
            if (pw == NULL)
                return EXIT_INTERNAL;
            rc = prompt_password(pw, PW_MAX, &pw_len);
            if (rc != EXIT_OK) {
                sodium_free(pw);
                return rc;
            }
        } else {
            cli_err("-D needs -y FILE or -W");
            return EXIT_USAGE;
        }
        bind.pw = pw;
        bind.pw_len = pw_len;
    }
    rc = ak_dir_open_bind(&cli->dir, cli->cfg, &bind, &cli->log);
    if (pw != NULL && cli->pw_file != NULL)
        ak_file_free(pw, pw_len, AK_FILE_SECRET); /* wipes */
    else if (pw != NULL)
        sodium_free(pw); /* wipes */
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

const char *cli_date(char *buf, size_t size, bool has, time_t t)
{
    struct tm tm;
    if (!has || gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "-");
        return buf;
    }
    strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

const char *cli_iso(char *buf, size_t size, time_t t)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "?");
        return buf;
    }
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
