/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_state.c - re-check a key by user and key id, without its secret */
#include "pk_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_dn.h"
#include "ak_key.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_schema.h"
#include "ak_store.h"
#include "ak_text.h"

/* The same owner filter as ak_verify(): the user (or service user) named
 * user that holds key id kid. */
static char *holder_filter(const struct ak_config *cfg, const char *user,
                           const char *kid)
{
    char *id_f = NULL, *user_f = NULL, *filter = NULL;

    if (ak_filter_eq(AK_AT_ID, kid, strlen(kid), &id_f) != AK_OK ||
        ak_filter_eq(cfg->user_attr, user, strlen(user), &user_f) != AK_OK)
        goto out;
    if (asprintf(&filter,
                 "(&(objectClass=" AK_OC_HOLDER ")%s(|(&%s%s)(&%s%s)))", id_f,
                 cfg->user_filter, user_f, cfg->service_filter, user_f) < 0)
        filter = NULL;
out:
    free(id_f);
    free(user_f);
    return filter;
}

/* The one record of kid on entry e. */
static bool find_record(LDAP *ld, LDAPMessage *e, const char *kid,
                        struct ak_record *rec, const char **why)
{
    struct berval **v = ldap_get_values_len(ld, e, AK_AT_RECORD);
    struct berval *match = NULL;
    unsigned n = 0;
    bool ok = false;

    for (int i = 0; v != NULL && v[i] != NULL; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(v[i]->bv_val, v[i]->bv_len, id) &&
            strcmp(id, kid) == 0) {
            n++;
            match = v[i];
        }
    }
    if (n == 0)
        *why = "no record for this key id";
    else if (n > 1)
        *why = "several records for this key id";
    else
        ok = ak_record_parse(match->bv_val, match->bv_len, rec, why) == AK_OK;
    ldap_value_free_len(v);
    return ok;
}

static const char *owner_lock(LDAP *ld, LDAPMessage *e, time_t now)
{
    for (int a = 0; a < AK_OWNER_N_ATTRS; a++) {
        struct berval **v = ldap_get_values_len(ld, e, ak_owner_attr_names[a]);
        const char *why = NULL;
        for (int i = 0; v != NULL && v[i] != NULL && why == NULL; i++)
            why = ak_owner_value_locks((enum ak_owner_attr)a, v[i]->bv_val,
                                       v[i]->bv_len, now);
        ldap_value_free_len(v);
        if (why != NULL)
            return why;
    }
    return NULL;
}

/* Judge the holder entry e. */
static enum ak_outcome judge(LDAP *ld, LDAPMessage *e,
                             const struct ak_policy *pol, const char *kid,
                             const char *service, time_t now,
                             struct pk_key_state *out)
{
    struct ak_record rec;
    const char *why = NULL;

    if (!find_record(ld, e, kid, &rec, &why)) {
        out->detail = why;
        return AK_VERIFY_UNKNOWN_KEY;
    }
    switch (ak_policy_judge(pol, &rec, now, &out->expires, &out->has_expiry)) {
    case AK_KEY_VALID:
        break;
    case AK_KEY_REVOKED:
        return AK_VERIFY_REVOKED;
    case AK_KEY_EXPIRED:
        out->detail = "past its effective expiry";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_EXPIRY_REQUIRED:
        out->detail = "no expiry, and the policy requires one";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_CREATED_IN_FUTURE:
        out->detail = "record created in the future";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    out->detail = owner_lock(ld, e, now);
    if (out->detail != NULL)
        return AK_VERIFY_OWNER_LOCKED;
    if (!ak_record_allows_service(&rec, service)) {
        out->detail = "service outside the key's scope";
        return AK_VERIFY_SCOPE_DENIED;
    }
    return AK_VERIFY_OK;
}

enum ak_outcome pk_key_state(struct ak_dir *dir, const char *user,
                             const char *kid, const char *service, time_t now,
                             const struct ak_log *log, struct pk_key_state *out)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    char *attrs[2 + AK_OWNER_N_ATTRS];
    struct ak_conn *conn = NULL;
    struct ak_policy policy;
    LDAPMessage *res = NULL, *hit = NULL;
    enum ak_outcome o = AK_VERIFY_INTERNAL;
    char *filter = NULL;
    unsigned n = 0;
    size_t na = 0;
    LDAP *ld;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!ak_key_id_valid(kid, strlen(kid))) {
        out->detail = "not a key id";
        o = AK_VERIFY_MALFORMED;
        goto out;
    }
    if (!ak_user_name_valid(user, strlen(user))) {
        out->detail = "invalid user name";
        o = AK_VERIFY_UNKNOWN_KEY;
        goto out;
    }
    filter = holder_filter(cfg, user, kid);
    if (filter == NULL)
        goto out;
    attrs[na++] = AK_LDAP_STR(AK_AT_RECORD);
    for (int a = 0; a < AK_OWNER_N_ATTRS; a++)
        attrs[na++] = AK_LDAP_STR(ak_owner_attr_names[a]);
    attrs[na] = NULL;

    rc = ak_dir_acquire(dir, false, log, &conn);
    if (rc == AK_OK)
        rc = ak_conn_search(conn, cfg->search_base, LDAP_SCOPE_SUBTREE, filter,
                            attrs, AK_VERIFY_SIZELIMIT, log, &res);
    if (rc == AK_OK)
        rc = ak_store_read_policy(conn, cfg, log, &policy);
    if (rc != AK_OK) {
        o = rc == AK_ERR_NOMEM ? AK_VERIFY_INTERNAL : AK_VERIFY_UNAVAILABLE;
        goto out;
    }
    ld = ak_conn_ld(conn);
    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL;
         e = ldap_next_entry(ld, e)) {
        char *dn = ldap_get_dn(ld, e);
        if (dn != NULL && (ak_dn_is_under(dn, cfg->user_base) ||
                           ak_dn_is_under(dn, cfg->service_base))) {
            n++;
            hit = e;
        }
        ldap_memfree(dn);
    }
    if (n > 1) {
        out->detail = "key id held by more than one entry";
        o = AK_VERIFY_UNAVAILABLE;
    } else if (n == 0) {
        out->detail = "no entry owns this key id for the user any more";
        o = AK_VERIFY_UNKNOWN_KEY;
    } else {
        o = judge(ld, hit, cfg->policy_dn != NULL ? &policy : NULL, kid,
                  service, now, out);
    }
out:
    ldap_msgfree(res);
    if (conn != NULL)
        ak_dir_release(dir, conn);
    free(filter);
    if (o != AK_VERIFY_OK)
        ak_log(log,
               o == AK_VERIFY_UNAVAILABLE || o == AK_VERIFY_INTERNAL
                   ? LOG_ERR
                   : LOG_NOTICE,
               "account check of key %s service=%s: %s%s%s",
               o == AK_VERIFY_MALFORMED ? "(invalid)" : kid,
               service ? service : "-", ak_outcome_str(o),
               out->detail ? ": " : "", out->detail ? out->detail : "");
    return o;
}
