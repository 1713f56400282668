/* SPDX-License-Identifier: BSD-3-Clause */
/* access_check.c - apikey check-config: what the verifier's bind can read,
 * compared with what a key admin sees */
#include "access_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_holder.h"
#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "cli.h"

/*
 * The verifier decides from what it can read: an attribute its ACL hides
 * reads as absent, and an absent lock or end of key means "not locked",
 * "not revoked". LDAP never says an attribute was withheld, so the only
 * way to know is to look at an entry that has it, once as someone who
 * sees everything and once as the verifier.
 */

/* The first entry of a search, by DN (malloc). */
static int first_dn(void *ctx, LDAP *ld, LDAPMessage *e)
{
    char **dn = ctx;
    char *d = ldap_get_dn(ld, e);

    *dn = d ? strdup(d) : NULL;
    ldap_memfree(d);
    return *dn ? 1 : AK_ERR_NOMEM; /* 1: stop, we have one */
}

/* Does the verifier get attr when it reads dn? */
static int verifier_reads(struct ak_conn *vc, const char *dn, const char *attr,
                          const struct ak_log *log, bool *sees_entry,
                          bool *reads)
{
    char *attrs[] = {(char *)(uintptr_t)attr, NULL};
    LDAPMessage *res = NULL, *e;
    LDAP *ld = ak_conn_ld(vc);
    int rc;

    *sees_entry = *reads = false;
    rc = ak_conn_search(vc, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1,
                        log, &res);
    if (rc == AK_ERR_NOT_FOUND || rc == AK_ERR_DENIED)
        return AK_OK; /* it cannot see the entry at all */
    if (rc != AK_OK)
        return rc;
    e = ldap_first_entry(ld, res);
    if (e != NULL) {
        struct berval **v = ldap_get_values_len(ld, e, attr);
        *sees_entry = true;
        *reads = ldap_count_values_len(v) > 0;
        ldap_value_free_len(v);
    }
    ldap_msgfree(res);
    return AK_OK;
}

/* One attribute under one base: a line, and whether it is a problem. */
static int check_one(struct ak_conn *ac, struct ak_conn *vc,
                     const struct ak_config *cfg, const char *what,
                     const char *base, const char *class_filter,
                     const char *attr, const struct ak_log *log, bool *problem)
{
    char *attrs[] = {AK_LDAP_STR("1.1"), NULL};
    char filter[512], *dn = NULL;
    bool sees = false, reads = false;
    int rc;

    snprintf(filter, sizeof(filter), "(&%s(%s=*))", class_filter, attr);
    rc = ak_manage_search(ac, cfg, base, LDAP_SCOPE_SUBTREE, filter, attrs, 1,
                          first_dn, &dn, log);
    if (rc != 1 && rc != AK_OK)
        return rc;
    if (dn == NULL) {
        printf("  %-22s %s: no entry has it that you may see; not checked\n",
               attr, what);
        return AK_OK;
    }
    rc = verifier_reads(vc, dn, attr, log, &sees, &reads);
    if (rc == AK_OK && reads)
        printf("  %-22s %s: the verifier reads it (seen on %s)\n", attr, what,
               cli_show(dn));
    else if (rc == AK_OK) {
        printf(
            "  %-22s %s: PROBLEM: the verifier %s (on %s); keys it should "
            "stop would work: grant its bind read access (apikey-acl.ldif)\n",
            attr, what, sees ? "cannot read it" : "cannot read the entry",
            cli_show(dn));
        *problem = true;
    }
    free(dn);
    return rc;
}

int access_check(struct ak_conn *ac, struct ak_dir *verifier,
                 const struct ak_config *cfg, const struct ak_log *log,
                 bool *problem)
{
    struct ak_holder_attrs a;
    struct ak_conn *vc = NULL;
    int rc;

    *problem = false;
    /* The verifier's own list (ak_holder.h), so a new lock attribute is
     * checked here too; objectClass every reader may read. */
    ak_holder_attrs_init(&a, cfg, 0);
    rc = ak_dir_acquire(verifier, false, log, &vc);
    printf("what the verifier reads (compared with your view):\n");
    for (size_t i = 0; rc == AK_OK && a.list[i] != NULL; i++) {
        if ((int)i == a.slot[AK_HF_OC])
            continue;
        rc = check_one(ac, vc, cfg, "people", cfg->user_base, cfg->user_filter,
                       a.list[i], log, problem);
        if (rc == AK_OK)
            rc = check_one(ac, vc, cfg, "service users", cfg->service_base,
                           cfg->service_filter, a.list[i], log, problem);
    }
    if (vc != NULL)
        ak_dir_release(verifier, vc);
    return rc;
}
