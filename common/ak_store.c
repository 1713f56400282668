/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store.c - find holders, read the policy, add and replace records */
#include "ak_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_dn.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_time.h"

void ak_holder_free(struct ak_holder *h)
{
    if (h == NULL)
        return;
    for (unsigned i = 0; i < h->n_records; i++)
        free(h->records[i]);
    free(h->records);
    free(h->dn);
    free(h->name);
    memset(h, 0, sizeof(*h));
}

static int fill_holder(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                       struct ak_holder *h)
{
    struct berval **v;
    char *dn = ldap_get_dn(ld, e);
    int n;

    memset(h, 0, sizeof(*h));
    h->dn = dn ? strdup(dn) : NULL;
    ldap_memfree(dn);
    if (h->dn == NULL)
        return AK_ERR_NOMEM;
    v = ldap_get_values_len(ld, e, cfg->user_attr);
    if (ldap_count_values_len(v) == 1)
        h->name = strndup(v[0]->bv_val, v[0]->bv_len);
    ldap_value_free_len(v);
    v = ldap_get_values_len(ld, e, "objectClass");
    for (int i = 0; v != NULL && v[i] != NULL; i++) {
        if (strncasecmp(v[i]->bv_val, AK_OC_SERVICE_USER, v[i]->bv_len) == 0 &&
            v[i]->bv_len == strlen(AK_OC_SERVICE_USER))
            h->service_user = true;
        if (strncasecmp(v[i]->bv_val, AK_OC_HOLDER, v[i]->bv_len) == 0 &&
            v[i]->bv_len == strlen(AK_OC_HOLDER))
            h->has_holder_class = true;
    }
    ldap_value_free_len(v);
    v = ldap_get_values_len(ld, e, AK_AT_RECORD);
    n = ldap_count_values_len(v);
    if (n > 0) {
        h->records = calloc((size_t)n, sizeof(char *));
        if (h->records == NULL) {
            ldap_value_free_len(v);
            return AK_ERR_NOMEM;
        }
        for (int i = 0; i < n; i++) {
            h->records[i] = strndup(v[i]->bv_val, v[i]->bv_len);
            if (h->records[i] == NULL) {
                ldap_value_free_len(v);
                return AK_ERR_NOMEM;
            }
            h->n_records++;
        }
    }
    ldap_value_free_len(v);
    return AK_OK;
}

/* Search for exactly one holder under the user or service base. */
static int find_one(struct ak_conn *c, const struct ak_config *cfg,
                    const char *filter, const struct ak_log *log,
                    struct ak_holder *out)
{
    char *attrs[] = {cfg->user_attr, AK_LDAP_STR("objectClass"),
                     AK_LDAP_STR(AK_AT_RECORD), NULL};
    LDAPMessage *res = NULL;
    LDAP *ld = ak_conn_ld(c);
    LDAPMessage *hit = NULL;
    unsigned n = 0;
    int rc;

    rc = ak_conn_search(c, cfg->search_base, LDAP_SCOPE_SUBTREE, filter, attrs,
                        0, log, &res);
    if (rc != AK_OK)
        return rc;
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
    if (n == 0)
        rc = AK_ERR_NOT_FOUND;
    else if (n > 1)
        rc = AK_ERR_CONFLICT;
    else
        rc = fill_holder(ld, hit, cfg, out);
    ldap_msgfree(res);
    if (rc != AK_OK && rc != AK_ERR_NOT_FOUND && rc != AK_ERR_CONFLICT)
        ak_holder_free(out);
    return rc;
}

int ak_store_find_user(struct ak_conn *c, const struct ak_config *cfg,
                       const char *user, const struct ak_log *log,
                       struct ak_holder *out)
{
    char *uf = NULL, *filter = NULL;
    int rc;

    rc = ak_filter_eq(cfg->user_attr, user, strlen(user), &uf);
    if (rc != AK_OK)
        return rc;
    if (asprintf(&filter, "(|(&%s%s)(&%s%s))", cfg->user_filter, uf,
                 cfg->service_filter, uf) < 0) {
        free(uf);
        return AK_ERR_NOMEM;
    }
    rc = find_one(c, cfg, filter, log, out);
    free(uf);
    free(filter);
    return rc;
}

int ak_store_find_key(struct ak_conn *c, const struct ak_config *cfg,
                      const char *kid, const struct ak_log *log,
                      struct ak_holder *out)
{
    char *idf = NULL, *filter = NULL;
    int rc;

    rc = ak_filter_eq(AK_AT_ID, kid, strlen(kid), &idf);
    if (rc != AK_OK)
        return rc;
    if (asprintf(&filter, "(&(objectClass=" AK_OC_HOLDER ")%s)", idf) < 0) {
        free(idf);
        return AK_ERR_NOMEM;
    }
    rc = find_one(c, cfg, filter, log, out);
    free(idf);
    free(filter);
    return rc;
}

int ak_store_read_policy(struct ak_conn *c, const struct ak_config *cfg,
                         const struct ak_log *log, struct ak_policy *out)
{
    static const char *const names[] = {AK_AT_REQUIRE_EXPIRY,
                                        AK_AT_MAX_LIFETIME, AK_AT_NOTICE_DAYS};
    char *attrs[] = {AK_LDAP_STR(AK_AT_REQUIRE_EXPIRY),
                     AK_LDAP_STR(AK_AT_MAX_LIFETIME),
                     AK_LDAP_STR(AK_AT_NOTICE_DAYS), NULL};
    LDAPMessage *res = NULL, *e;
    LDAP *ld = ak_conn_ld(c);
    int rc;

    memset(out, 0, sizeof(*out));
    if (cfg->policy_dn == NULL)
        return AK_OK;
    rc = ak_conn_search(c, cfg->policy_dn, LDAP_SCOPE_BASE,
                        "(objectClass=" AK_OC_POLICY ")", attrs, 1, log, &res);
    if (rc != AK_OK)
        return rc;
    e = ldap_first_entry(ld, res);
    if (e == NULL) {
        ak_log(log, LOG_ERR, "policy %s: not found or not readable",
               cfg->policy_dn);
        rc = AK_ERR_NOT_FOUND;
    }
    for (size_t a = 0; e != NULL && a < 3 && rc == AK_OK; a++) {
        struct berval **v = ldap_get_values_len(ld, e, names[a]);
        for (int i = 0; v != NULL && v[i] != NULL && rc == AK_OK; i++) {
            const char *why = NULL;
            if (ak_policy_set(out, names[a], v[i]->bv_val, v[i]->bv_len,
                              &why) != AK_OK) {
                ak_log(log, LOG_ERR, "policy %s: bad value of %s",
                       cfg->policy_dn, names[a]);
                rc = AK_ERR_MALFORMED;
            }
        }
        ldap_value_free_len(v);
    }
    ldap_msgfree(res);
    return rc;
}

const char *ak_holder_record(const struct ak_holder *h, const char *kid)
{
    const char *hit = NULL;
    unsigned n = 0;

    for (unsigned i = 0; i < h->n_records; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(h->records[i], strlen(h->records[i]), id) &&
            strcmp(id, kid) == 0) {
            hit = h->records[i];
            n++;
        }
    }
    return n == 1 ? hit : NULL;
}

int ak_store_add_record(struct ak_conn *c, const struct ak_holder *h,
                        const char *record, const struct ak_record *parsed,
                        const struct ak_log *log)
{
    char ts[AK_TIME_LEN + 1];
    char *oc_vals[] = {AK_LDAP_STR(AK_OC_HOLDER), NULL};
    char *rec_vals[] = {AK_LDAP_STR(record), NULL};
    char *id_vals[] = {AK_LDAP_STR(parsed->id), NULL};
    char *exp_vals[] = {ts, NULL};
    LDAPMod oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc_vals}};
    LDAPMod rec = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_RECORD), {rec_vals}};
    LDAPMod id = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_ID), {id_vals}};
    LDAPMod exp = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_EXPIRES), {exp_vals}};
    LDAPMod *mods[5];
    size_t n = 0;
    bool exp_present = false;

    if (!h->has_holder_class)
        mods[n++] = &oc;
    mods[n++] = &rec;
    mods[n++] = &id;
    if (parsed->has_expires) {
        if (ak_time_format(parsed->expires, ts) != AK_OK)
            return AK_ERR_INVALID;
        /* apiKeyExpires holds distinct times; another key may share it. */
        for (unsigned i = 0; i < h->n_records && !exp_present; i++) {
            struct ak_record r;
            if (ak_record_parse(h->records[i], strlen(h->records[i]), &r,
                                NULL) == AK_OK &&
                r.has_expires && r.expires == parsed->expires)
                exp_present = true;
        }
        if (!exp_present)
            mods[n++] = &exp;
    }
    mods[n] = NULL;
    return ak_conn_modify(c, h->dn, mods, log);
}

int ak_store_replace_record(struct ak_conn *c, const struct ak_holder *h,
                            const char *old, const char *new_value,
                            const struct ak_log *log)
{
    char *old_vals[] = {AK_LDAP_STR(old), NULL};
    char *new_vals[] = {AK_LDAP_STR(new_value), NULL};
    char **exp_vals = NULL;
    char(*times)[AK_TIME_LEN + 1] = NULL;
    LDAPMod del = {LDAP_MOD_DELETE, AK_LDAP_STR(AK_AT_RECORD), {old_vals}};
    LDAPMod add = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_RECORD), {new_vals}};
    LDAPMod exp = {LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_EXPIRES), {NULL}};
    LDAPMod *mods[4] = {&del, &add, &exp, NULL};
    unsigned n = 0;
    int rc;

    /* The expiries of the records as they will be after this change. */
    times = calloc(h->n_records + 1, sizeof(*times));
    exp_vals = calloc(h->n_records + 2, sizeof(char *));
    if (times == NULL || exp_vals == NULL) {
        rc = AK_ERR_NOMEM;
        goto out;
    }
    for (unsigned i = 0; i <= h->n_records; i++) {
        const char *v = i < h->n_records ? h->records[i] : new_value;
        struct ak_record r;
        bool dup = false;
        if (i < h->n_records && strcmp(v, old) == 0)
            continue;
        if (ak_record_parse(v, strlen(v), &r, NULL) != AK_OK ||
            !r.has_expires || r.is_revoked ||
            ak_time_format(r.expires, times[n]) != AK_OK)
            continue;
        for (unsigned k = 0; k < n && !dup; k++)
            dup = strcmp(times[k], times[n]) == 0;
        if (!dup) {
            exp_vals[n] = times[n];
            n++;
        }
    }
    exp_vals[n] = NULL;
    exp.mod_values = n > 0 ? exp_vals : NULL;
    rc = ak_conn_modify(c, h->dn, mods, log);
out:
    free(times);
    free(exp_vals);
    return rc;
}
