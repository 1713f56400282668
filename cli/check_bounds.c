/* SPDX-License-Identifier: BSD-3-Clause */
/* check_bounds.c - probe the directory's bounds without writing */
#include "check_bounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_bounds.h"
#include "ak_schema.h"
#include "ak_status.h"

enum verdict { HOLDS, MISSING, UNKNOWN };

/* Value i of attr, len bytes at least, valid in attr's syntax (the server
 * checks syntax before the bounds): a GeneralizedTime for apiKeyExpires
 * (a longer fraction for a longer value), printable ASCII otherwise. */
static char *probe_value(const char *attr, unsigned i, size_t len)
{
    bool time = strcasecmp(attr, AK_AT_EXPIRES) == 0;
    size_t n = len > 32 ? len : 32;
    char *v = malloc(n + 2);

    if (v == NULL)
        return NULL;
    if (time) {
        /* 2030-01-01 plus i seconds, then fraction digits up to len */
        unsigned s = i % 60, m = i / 60 % 60, h = i / 3600 % 24,
                 d = i / 86400 % 28 + 1;
        int k = snprintf(v, n + 2, "203001%02u%02u%02u%02u", d, h, m, s);
        if (len > 15) {
            v[k++] = '.';
            while ((size_t)k + 1 < len)
                v[k++] = '0';
            v[k - 1] = '1'; /* a fraction of zeros would be dropped */
        }
        v[k++] = 'Z';
        v[k] = '\0';
    } else {
        int k = snprintf(v, n + 2, "apikey-probe-%u", i);
        while ((size_t)k < len)
            v[k++] = 'x';
        v[k] = '\0';
    }
    return v;
}

static void free_values(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* Send n values of attr, each len bytes, under the false assertion. */
static int probe(struct ak_conn *c, const char *dn, const char *attr,
                 unsigned n, size_t len, bool relax, const struct ak_log *log,
                 enum verdict *out)
{
    char **vals = calloc(n + 1, sizeof(char *));
    LDAPMod mod = {LDAP_MOD_ADD, AK_LDAP_STR(attr), {NULL}};
    LDAPMod *mods[] = {&mod, NULL};
    int rc = AK_ERR_NOMEM, code;

    for (unsigned i = 0; vals != NULL && i < n; i++)
        if ((vals[i] = probe_value(attr, i, len)) == NULL)
            goto out;
    if (vals == NULL)
        goto out;
    mod.mod_values = vals;
    rc = ak_conn_modify_probe(c, dn, mods, relax, log, &code);
    if (rc != AK_OK)
        goto out;
    /* 19: slapo-constraint. Past it (access control, the schema or the
     * assertion answered), the bound did not hold. Anything else says
     * nothing either way. */
    *out = code == LDAP_CONSTRAINT_VIOLATION ? HOLDS
           : code == LDAP_ASSERTION_FAILED ||
                   code == LDAP_OBJECT_CLASS_VIOLATION ||
                   code == LDAP_INSUFFICIENT_ACCESS
               ? MISSING
               : UNKNOWN;
out:
    free_values(vals);
    return rc;
}

int check_bounds(struct ak_conn *c, const char *dn, const struct ak_log *log,
                 bool *problem)
{
    size_t n;
    const struct ak_bound *b = ak_bounds_all(&n);
    unsigned unknown = 0;
    enum verdict count, size, relax = UNKNOWN;
    int rc = AK_OK;

    *problem = false;
    for (size_t i = 0; rc == AK_OK && i < n; i++) {
        rc = probe(c, dn, b[i].attr, b[i].count + 1, 8, false, log, &count);
        if (rc == AK_OK)
            rc = probe(c, dn, b[i].attr, 1, b[i].size + 1, false, log, &size);
        if (rc != AK_OK)
            break;
        if (count == MISSING)
            printf("problem: bounds: %s: more than %u values are accepted on "
                   "one entry, so a person can grow hers without limit: load "
                   "apikey-bounds.ldif (apikey setup-directory --part config "
                   "prints it)\n",
                   b[i].attr, b[i].count);
        if (size == MISSING)
            printf("problem: bounds: %s: values over %u bytes are accepted "
                   "(slapd ignores a schema's length): load "
                   "apikey-bounds.ldif\n",
                   b[i].attr, b[i].size);
        *problem = *problem || count == MISSING || size == MISSING;
        unknown += count == UNKNOWN || size == UNKNOWN;
    }
    if (rc == AK_OK && n > 0)
        rc = probe(c, dn, b[0].attr, 1, b[0].size + 1, true, log, &relax);
    if (rc != AK_OK)
        return rc;
    if (!*problem && unknown == 0)
        printf("ok bounds: the directory refuses more values, or larger ones, "
               "than apikey's bounds on all %zu attributes (%u keys an "
               "entry)%s\n",
               n, ak_bounds_keys(),
               relax == HOLDS ? ", with or without the relax control" : "");
    /* Not a problem an admin can fix in the configuration (only a newer
     * slapd does), so a note: docs/key-records.md, "Bounds". */
    if (relax == MISSING)
        printf("note: bounds: a client that sends the relax control skips "
               "them (slapo-constraint before OpenLDAP 2.7, ITS#9204): see "
               "docs/key-records.md, \"Bounds\"\n");
    if (unknown > 0 || relax == UNKNOWN)
        printf("note: bounds: the directory's answer to %u of %zu probes "
               "says nothing (a server other than OpenLDAP, or without the "
               "assertion control: see docs/key-records.md, \"Bounds\")\n",
               unknown + (relax == UNKNOWN), 2 * n + 1);
    return AK_OK;
}
