/* SPDX-License-Identifier: BSD-3-Clause */
/* output.c - how apikey prints values: JSON strings, dates, names in DNs */
#include "cli.h"

#include <stdio.h>

#include <ldap.h>

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
