/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_entry.c - one pass over a search entry with ldap_get_attribute_ber */
#include "ak_entry.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_status.h"

static bool bv_eq(const struct berval *bv, const char *s, bool nocase)
{
    size_t n = strlen(s);
    if (bv->bv_len != n)
        return false;
    return nocase ? strncasecmp(bv->bv_val, s, n) == 0
                  : memcmp(bv->bv_val, s, n) == 0;
}

int ak_entry_open(LDAP *ld, LDAPMessage *e, struct ak_entry *out)
{
    memset(out, 0, sizeof(*out));
    if (ldap_get_dn_ber(ld, e, &out->ber, &out->dn) != LDAP_SUCCESS)
        return AK_ERR_MALFORMED;
    for (;;) {
        struct berval name = {0, NULL};
        BerVarray vals = NULL;
        if (ldap_get_attribute_ber(ld, e, out->ber, &name, &vals) !=
            LDAP_SUCCESS) {
            ak_entry_close(out);
            return AK_ERR_MALFORMED;
        }
        if (name.bv_val == NULL)
            break;
        if (out->n < AK_ENTRY_ATTRS_MAX) {
            out->attr[out->n].name = name;
            out->attr[out->n].vals = vals;
            out->n++;
        } else {
            ber_memfree(vals);
        }
    }
    return AK_OK;
}

const struct ak_dn *ak_entry_dnp(struct ak_entry *en)
{
    char *s;

    if (en->parsed != NULL || en->parse_failed)
        return en->parsed;
    /* ak_dn_parse wants a string; the DN in the message is not one. */
    s = ak_entry_dn(en);
    if (s == NULL || ak_dn_parse(s, &en->parsed) != AK_OK) {
        en->parsed = NULL;
        en->parse_failed = true;
    }
    free(s);
    return en->parsed;
}

void ak_entry_close(struct ak_entry *en)
{
    for (unsigned i = 0; i < en->n; i++)
        ber_memfree(en->attr[i].vals);
    if (en->ber != NULL)
        ber_free(en->ber, 0);
    ak_dn_free(en->parsed);
    memset(en, 0, sizeof(*en));
}

BerVarray ak_entry_get(const struct ak_entry *en, const char *attr)
{
    for (unsigned i = 0; i < en->n; i++)
        if (bv_eq(&en->attr[i].name, attr, true))
            return en->attr[i].vals;
    return NULL;
}

unsigned ak_entry_count(const struct ak_entry *en, const char *attr)
{
    BerVarray v = ak_entry_get(en, attr);
    unsigned n = 0;
    while (v != NULL && v[n].bv_val != NULL)
        n++;
    return n;
}

bool ak_entry_has(const struct ak_entry *en, const char *attr, const char *want,
                  bool nocase)
{
    BerVarray v = ak_entry_get(en, attr);
    for (unsigned i = 0; v != NULL && v[i].bv_val != NULL; i++)
        if (bv_eq(&v[i], want, nocase))
            return true;
    return false;
}

char *ak_entry_dn(const struct ak_entry *en)
{
    if (en->dn.bv_val == NULL)
        return NULL;
    return strndup(en->dn.bv_val, en->dn.bv_len);
}
