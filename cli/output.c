/* SPDX-License-Identifier: BSD-3-Clause */
/* output.c - how apikey prints values: text from the directory, JSON
 * strings, dates, names in DNs */
#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "ak_text.h"

/*
 * What cli_show returned lately: each string lives until SHOW_KEEP more
 * calls, so that one printf can take several. Reachable to the end (no
 * leak report); a CLI run prints a bounded number of lines.
 */
#define SHOW_KEEP 8
static char *shown[SHOW_KEEP];
static unsigned shown_next;

const char *cli_show_cut(const char *s, size_t max)
{
    size_t len, need, size;
    char *out, **slot;

    if (s == NULL)
        return "";
    len = strlen(s);
    need = ak_text_escape(NULL, 0, s, len);
    size = (max > 0 && need > max ? max : need) + 1;
    out = malloc(size);
    if (out == NULL)
        return "?";
    ak_text_escape(out, size, s, len);
    slot = &shown[shown_next++ % SHOW_KEEP];
    free(*slot);
    *slot = out;
    return out;
}

const char *cli_show(const char *s)
{
    return cli_show_cut(s, 0);
}

void cli_put(FILE *f, const char *s)
{
    char buf[1024], *big = NULL, *out = buf;
    size_t len = strlen(s), need = ak_text_escape(buf, sizeof(buf), s, len);

    if (need >= sizeof(buf) && (big = malloc(need + 1)) != NULL) {
        ak_text_escape(big, need + 1, s, len);
        out = big;
    }
    fputs(out, f);
    free(big);
}

/* JSON carries any code point, escaped; those that act on a terminal are
 * escaped too, so that the JSON itself can be shown on one. Bytes that are
 * not UTF-8 cannot be carried: U+FFFD stands for each. */
void cli_json_str(FILE *f, const char *s)
{
    size_t len = s ? strlen(s) : 0;

    fputc('"', f);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = ak_utf8_next(s + i, len - i, &cp);
        if (n == 0) {
            fputs("\\ufffd", f);
            n = 1;
        } else if (cp == '"' || cp == '\\') {
            fprintf(f, "\\%c", (char)cp);
        } else if (ak_cp_kind(cp) != AK_CP_PLAIN) {
            fprintf(f, "\\u%04x", (unsigned)cp); /* all in the BMP */
        } else {
            fwrite(s + i, 1, n, f);
        }
        i += n;
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
