/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_entry.c - one pass over a search entry with ldap_get_attribute_ber */
#include "ak_entry.h"

#include <stdlib.h>
#include <string.h>

#include "ak_log.h"
#include "ak_status.h"
#include "ak_text.h"

/* The slot of the requested description name, or -1; *tagged when name is
 * that description followed by options (";lang-x..."). */
static int slot_of(const struct ak_entry *en, const struct berval *name,
                   bool *tagged)
{
    const char *semi = memchr(name->bv_val, ';', name->bv_len);
    size_t n = semi ? (size_t)(semi - name->bv_val) : name->bv_len;

    *tagged = semi != NULL;
    for (unsigned i = 0; i < en->n_want; i++)
        if (en->want_len[i] == n &&
            ak_text_equal(name->bv_val, n, en->want[i], n, true))
            return (int)i;
    return -1;
}

/* Point a plain view at every value read (ak_entry_values). */
static int make_views(struct ak_entry *en)
{
    unsigned total = 0, k = 0;

    for (unsigned i = 0; i < en->n_want; i++)
        total += ak_entry_count_at(en, i);
    if (total > 0) {
        en->bytes = calloc(total, sizeof(*en->bytes));
        if (en->bytes == NULL)
            return AK_ERR_NOMEM;
    }
    for (unsigned i = 0; i < en->n_want; i++) {
        BerVarray v = en->vals[i];
        en->values[i].v = en->bytes + k;
        en->values[i].tagged = en->tagged[i];
        for (unsigned j = 0; v != NULL && v[j].bv_val != NULL; j++) {
            en->bytes[k].p = v[j].bv_val;
            en->bytes[k++].n = v[j].bv_len;
            en->values[i].n++;
        }
    }
    return AK_OK;
}

int ak_entry_open(LDAP *ld, LDAPMessage *e, char *const *want,
                  struct ak_entry *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    out->want = want;
    for (; want[out->n_want] != NULL; out->n_want++) {
        size_t n = strlen(want[out->n_want]);
        if (out->n_want == AK_ENTRY_ATTRS_MAX || n > 255) {
            memset(out, 0, sizeof(*out));
            *why = "too many or too long attribute names requested";
            return AK_ERR_INVALID;
        }
        out->want_len[out->n_want] = (unsigned char)n;
    }
    if (ldap_get_dn_ber(ld, e, &out->ber, &out->dn) != LDAP_SUCCESS) {
        ak_entry_close(out);
        *why = "its DN cannot be decoded";
        return AK_ERR_MALFORMED;
    }
    for (;;) {
        struct berval name = {0, NULL};
        BerVarray vals = NULL;
        bool tagged = false;
        int i;

        if (ldap_get_attribute_ber(ld, e, out->ber, &name, &vals) !=
            LDAP_SUCCESS) {
            ak_entry_close(out);
            *why = "an attribute cannot be decoded";
            return AK_ERR_MALFORMED;
        }
        if (name.bv_val == NULL)
            break;
        i = slot_of(out, &name, &tagged);
        if (i >= 0 && tagged) {
            out->tagged[i] = true;
        } else if (i >= 0 && out->vals[i] == NULL) {
            out->vals[i] = vals;
            vals = NULL;
        } else if (i >= 0) {
            /* RFC 4511 4.1.7: each description appears once. A second
             * copy could hold values the first hides: read neither. */
            ber_memfree(vals);
            ak_entry_close(out);
            *why = "an attribute is returned twice";
            return AK_ERR_MALFORMED;
        }
        ber_memfree(vals); /* not asked for, or a tagged subtype */
    }
    if (make_views(out) != AK_OK) {
        ak_entry_close(out);
        *why = "out of memory";
        return AK_ERR_NOMEM;
    }
    return AK_OK;
}

int ak_entry_open_logged(LDAP *ld, LDAPMessage *e, char *const *want,
                         const struct ak_log *log, struct ak_entry *out)
{
    const char *why = NULL;
    char q[256];
    char *dn;
    int rc = ak_entry_open(ld, e, want, out, &why);

    if (rc == AK_OK || rc == AK_ERR_NOMEM)
        return rc;
    dn = ldap_get_dn(ld, e);
    ak_log(log, LOG_ERR, "entry %s cannot be read whole (%s); not judged",
           dn ? ak_log_quote(q, sizeof(q), dn, (unsigned)strlen(dn))
              : "(unreadable DN)",
           why ? why : "unknown reason");
    ldap_memfree(dn);
    return rc;
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
    for (unsigned i = 0; i < en->n_want; i++)
        ber_memfree(en->vals[i]);
    if (en->ber != NULL)
        ber_free(en->ber, 0);
    ak_dn_free(en->parsed);
    free(en->bytes);
    memset(en, 0, sizeof(*en));
}

BerVarray ak_entry_at(const struct ak_entry *en, unsigned i)
{
    return i < en->n_want ? en->vals[i] : NULL;
}

const struct ak_values *ak_entry_values(const struct ak_entry *en, unsigned i)
{
    static const struct ak_values none;
    return i < en->n_want ? &en->values[i] : &none;
}

unsigned ak_entry_count_at(const struct ak_entry *en, unsigned i)
{
    BerVarray v = ak_entry_at(en, i);
    unsigned n = 0;
    while (v != NULL && v[n].bv_val != NULL)
        n++;
    return n;
}

char *ak_entry_dn(const struct ak_entry *en)
{
    if (en->dn.bv_val == NULL)
        return NULL;
    return strndup(en->dn.bv_val, en->dn.bv_len);
}
