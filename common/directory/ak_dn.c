/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_dn.c - RDN-wise DN equality, subtree and common-ancestor tests */
#include "ak_dn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "ak_status.h"
#include "ak_text.h"

static int parse(const char *s, LDAPDN *dn)
{
    *dn = NULL;
    if (s == NULL || s[0] == '\0')
        return -1;
    if (ldap_str2dn(s, dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
        return -1;
    return *dn == NULL ? -1 : 0;
}

static int count(LDAPDN dn)
{
    int n = 0;
    while (dn[n] != NULL)
        n++;
    return n;
}

static bool bv_caseeq(const struct berval *a, const struct berval *b)
{
    return ak_text_equal(a->bv_val, a->bv_len, b->bv_val, b->bv_len, true);
}

static bool rdn_eq(LDAPRDN a, LDAPRDN b)
{
    int i;
    for (i = 0; a[i] != NULL && b[i] != NULL; i++)
        if (!bv_caseeq(&a[i]->la_attr, &b[i]->la_attr) ||
            !bv_caseeq(&a[i]->la_value, &b[i]->la_value))
            return false;
    return a[i] == NULL && b[i] == NULL;
}

/* Number of equal RDNs counted from the root end. */
static int common_tail(LDAPDN a, int na, LDAPDN b, int nb)
{
    int k = 0;
    while (k < na && k < nb && rdn_eq(a[na - 1 - k], b[nb - 1 - k]))
        k++;
    return k;
}

struct ak_dn {
    LDAPDN dn;
    int n;
};

int ak_dn_parse(const char *s, struct ak_dn **out)
{
    struct ak_dn *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return AK_ERR_NOMEM;
    if (parse(s, &d->dn) != 0) {
        free(d);
        return AK_ERR_MALFORMED;
    }
    d->n = count(d->dn);
    *out = d;
    return AK_OK;
}

void ak_dn_free(struct ak_dn *dn)
{
    if (dn == NULL)
        return;
    ldap_dnfree(dn->dn);
    free(dn);
}

bool ak_dnp_equal(const struct ak_dn *a, const struct ak_dn *b)
{
    return a != NULL && b != NULL && a->n == b->n &&
           common_tail(a->dn, a->n, b->dn, b->n) == b->n;
}

bool ak_dnp_is_under(const struct ak_dn *dn, const struct ak_dn *base)
{
    return dn != NULL && base != NULL && dn->n >= base->n &&
           common_tail(dn->dn, dn->n, base->dn, base->n) == base->n;
}

bool ak_dn_text_equal(const char *dn, size_t len, const char *conf)
{
    return conf != NULL && strlen(conf) == len &&
           strncasecmp(dn, conf, len) == 0;
}

bool ak_dn_text_under(const char *dn, size_t len, const char *base)
{
    size_t bl = base ? strlen(base) : 0;
    size_t slashes = 0;

    if (bl == 0 || len < bl)
        return false;
    if (len == bl)
        return strncasecmp(dn, base, len) == 0;
    if (len < bl + 2 || dn[len - bl - 1] != ',' ||
        strncasecmp(dn + len - bl, base, bl) != 0)
        return false;
    /* the comma must separate RDNs: not escaped by an odd run of '\' */
    for (size_t i = len - bl - 1; i > 0 && dn[i - 1] == '\\'; i--)
        slashes++;
    return slashes % 2 == 0;
}

bool ak_dn_valid(const char *dn)
{
    LDAPDN p;
    if (parse(dn, &p) != 0)
        return false;
    ldap_dnfree(p);
    return true;
}

static bool compare(const char *a, const char *b, bool subtree)
{
    LDAPDN pa, pb;
    bool r = false;
    int na, nb;

    if (parse(a, &pa) != 0)
        return false;
    if (parse(b, &pb) != 0) {
        ldap_dnfree(pa);
        return false;
    }
    na = count(pa);
    nb = count(pb);
    if (subtree ? na >= nb : na == nb)
        r = common_tail(pa, na, pb, nb) == nb;
    ldap_dnfree(pa);
    ldap_dnfree(pb);
    return r;
}

bool ak_dn_equal(const char *a, const char *b)
{
    return compare(a, b, false);
}

bool ak_dn_is_under(const char *dn, const char *base)
{
    return compare(dn, base, true);
}

int ak_dn_common_ancestor(const char *a, const char *b, char **out)
{
    LDAPDN pa, pb;
    char *s = NULL;
    int na, nb, k, rc;

    if (parse(a, &pa) != 0)
        return AK_ERR_MALFORMED;
    if (parse(b, &pb) != 0) {
        ldap_dnfree(pa);
        return AK_ERR_MALFORMED;
    }
    na = count(pa);
    nb = count(pb);
    k = common_tail(pa, na, pb, nb);
    if (k == 0) {
        rc = AK_ERR_NOT_FOUND;
    } else if (ldap_dn2str(pa + (na - k), &s, LDAP_DN_FORMAT_LDAPV3) !=
               LDAP_SUCCESS) {
        rc = AK_ERR_NOMEM;
    } else {
        *out = strdup(s);
        rc = *out ? AK_OK : AK_ERR_NOMEM;
        ldap_memfree(s);
    }
    ldap_dnfree(pa);
    ldap_dnfree(pb);
    return rc;
}
