/* SPDX-License-Identifier: BSD-3-Clause */
/* common.c - config loading, messages and output helpers for the CLI */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldap.h>

#include "ak_status.h"

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("apikey: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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

void cli_json_time(FILE *f, bool has, time_t t)
{
    char ts[32];
    if (has)
        fprintf(f, "\"%s\"", cli_iso(ts, sizeof(ts), t));
    else
        fputs("null", f);
}

void cli_test_delay(void)
{
    const char *v = getenv("APIKEY_TEST_DELAY_MS");
    char *end = NULL;
    long ms;

    if (v == NULL || *v == '\0')
        return;
    ms = strtol(v, &end, 10);
    if (*end == '\0' && ms > 0 && ms <= 60000)
        usleep((useconds_t)ms * 1000);
}

int cli_need_stdout(const struct cli *cli)
{
    if (!cli->stdout_closed)
        return EXIT_OK;
    cli_err("standard output is closed: the new key could not be shown, so "
            "none was made");
    return EXIT_NOT_SHOWN;
}

const char *cli_dn_name(char *buf, size_t size, const char *dn)
{
    LDAPDN p = NULL;

    snprintf(buf, size, "%s", dn);
    if (ldap_str2dn(dn, &p, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        p != NULL && p[0] != NULL && p[0][0] != NULL) {
        const struct berval *v = &p[0][0]->la_value;
        snprintf(buf, size, "%.*s", (int)v->bv_len, v->bv_val);
    }
    ldap_dnfree(p);
    return buf;
}

bool cli_mail_ok(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);

    if (n < 3 || n > 254 || at == NULL || at == s || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] >= 0x7f || strchr("<>()[],;:\"\\", s[i]))
            return false;
    return true;
}
