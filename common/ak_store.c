/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store.c - find holders, read the policy, add and change records */
#include "ak_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_dn.h"
#include "ak_lastuse.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_time.h"

static void free_strv(char **v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ak_holder_free(struct ak_holder *h)
{
    if (h == NULL)
        return;
    free_strv(h->records, h->n_records);
    free_strv(h->expires, h->n_expires);
    free_strv(h->last_used, h->n_last_used);
    free_strv(h->owners, h->n_owners);
    free(h->dn);
    free(h->name);
    memset(h, 0, sizeof(*h));
}

void ak_holder_attrs(const struct ak_config *cfg,
                     char *attrs[AK_HOLDER_N_ATTRS + 1])
{
    attrs[0] = cfg->user_attr;
    attrs[1] = AK_LDAP_STR("objectClass");
    attrs[2] = AK_LDAP_STR(AK_AT_RECORD);
    attrs[3] = AK_LDAP_STR(AK_AT_EXPIRES);
    attrs[4] = AK_LDAP_STR(AK_AT_LAST_USED);
    attrs[5] = AK_LDAP_STR(AK_AT_DISABLED);
    attrs[6] = AK_LDAP_STR(AK_AT_OWNER);
    attrs[7] = NULL;
}

static bool bv_is(const struct berval *v, const char *s)
{
    return v->bv_len == strlen(s) && strncasecmp(v->bv_val, s, v->bv_len) == 0;
}

/* Copy every value of attr into *out (NUL-terminated strings). */
static int copy_values(LDAP *ld, LDAPMessage *e, const char *attr, char ***out,
                       unsigned *n_out)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    int n = ldap_count_values_len(v);
    int rc = AK_OK;

    *out = NULL;
    *n_out = 0;
    if (n > 0) {
        *out = calloc((size_t)n, sizeof(char *));
        if (*out == NULL)
            rc = AK_ERR_NOMEM;
        for (int i = 0; i < n && rc == AK_OK; i++) {
            (*out)[i] = strndup(v[i]->bv_val, v[i]->bv_len);
            if ((*out)[i] == NULL)
                rc = AK_ERR_NOMEM;
            else
                (*n_out)++;
        }
    }
    ldap_value_free_len(v);
    return rc;
}

int ak_holder_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                   struct ak_holder *h)
{
    struct berval **v;
    char *dn = ldap_get_dn(ld, e);
    int rc;

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
        if (bv_is(v[i], AK_OC_SERVICE_USER))
            h->service_user = true;
        if (bv_is(v[i], AK_OC_HOLDER))
            h->has_holder_class = true;
    }
    ldap_value_free_len(v);
    v = ldap_get_values_len(ld, e, AK_AT_DISABLED);
    /* as the verifier judges it: anything but FALSE disables */
    for (int i = 0; v != NULL && v[i] != NULL; i++)
        if (!(v[i]->bv_len == 5 && memcmp(v[i]->bv_val, "FALSE", 5) == 0))
            h->disabled = true;
    ldap_value_free_len(v);
    rc = copy_values(ld, e, AK_AT_RECORD, &h->records, &h->n_records);
    if (rc == AK_OK)
        rc = copy_values(ld, e, AK_AT_EXPIRES, &h->expires, &h->n_expires);
    if (rc == AK_OK)
        rc =
            copy_values(ld, e, AK_AT_LAST_USED, &h->last_used, &h->n_last_used);
    if (rc == AK_OK)
        rc = copy_values(ld, e, AK_AT_OWNER, &h->owners, &h->n_owners);
    if (rc != AK_OK)
        ak_holder_free(h);
    return rc;
}

static bool under_bases(const struct ak_config *cfg, const char *dn)
{
    return ak_dn_is_under(dn, cfg->user_base) ||
           ak_dn_is_under(dn, cfg->service_base);
}

/* Search for exactly one holder under the user or service base. */
static int find_one(struct ak_conn *c, const struct ak_config *cfg,
                    const char *base, int scope, const char *filter,
                    const struct ak_log *log, struct ak_holder *out)
{
    char *attrs[AK_HOLDER_N_ATTRS + 1];
    LDAPMessage *res = NULL;
    LDAP *ld = ak_conn_ld(c);
    LDAPMessage *hit = NULL;
    unsigned n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    ak_holder_attrs(cfg, attrs);
    rc = ak_conn_search(c, base, scope, filter, attrs, 0, log, &res);
    if (rc != AK_OK)
        return rc;
    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL;
         e = ldap_next_entry(ld, e)) {
        char *dn = ldap_get_dn(ld, e);
        if (dn != NULL && under_bases(cfg, dn)) {
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
        rc = ak_holder_fill(ld, hit, cfg, out);
    ldap_msgfree(res);
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
    rc = find_one(c, cfg, cfg->search_base, LDAP_SCOPE_SUBTREE, filter, log,
                  out);
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
    rc = find_one(c, cfg, cfg->search_base, LDAP_SCOPE_SUBTREE, filter, log,
                  out);
    free(idf);
    free(filter);
    return rc;
}

int ak_store_read_holder(struct ak_conn *c, const struct ak_config *cfg,
                         const char *dn, const struct ak_log *log,
                         struct ak_holder *out)
{
    char *filter = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!under_bases(cfg, dn))
        return AK_ERR_NOT_FOUND;
    if (asprintf(&filter, "(|%s%s)", cfg->user_filter, cfg->service_filter) < 0)
        return AK_ERR_NOMEM;
    rc = find_one(c, cfg, dn, LDAP_SCOPE_BASE, filter, log, out);
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

bool ak_holder_last_used(const struct ak_holder *h, const char *kid, time_t *t)
{
    return ak_lastuse_latest(h->last_used, h->n_last_used, kid, t);
}

static unsigned count_strv(const char *const *v)
{
    unsigned n = 0;
    while (v != NULL && v[n] != NULL)
        n++;
    return n;
}

static bool in_strv(const char *const *v, const char *s)
{
    for (unsigned i = 0; v != NULL && v[i] != NULL; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* The expiry an unrevoked, well-formed record contributes to apiKeyExpires. */
static bool record_expiry(const char *rec, time_t *t)
{
    struct ak_record r;
    if (ak_record_parse(rec, strlen(rec), &r, NULL) != AK_OK ||
        !r.has_expires || r.is_revoked)
        return false;
    *t = r.expires;
    return true;
}

static bool in_times(const time_t *v, unsigned n, time_t t)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] == t)
            return true;
    return false;
}

/*
 * Work out the apiKeyExpires delta for a change: *want gets the distinct
 * expiries of the records as they will be, *del the values read that are
 * no longer wanted (as read, for exact deletes), *add the wanted ones not
 * present (canonical text in add_buf).
 */
struct expiry_delta {
    time_t *want;
    unsigned n_want;
    char **del;
    unsigned n_del;
    char (*add_buf)[AK_TIME_LEN + 1];
    char **add;
    unsigned n_add;
};

static void delta_free(struct expiry_delta *d)
{
    free(d->want);
    free(d->del);
    free(d->add_buf);
    free(d->add);
}

static int expiry_delta(const struct ak_holder *h, const struct ak_change *ch,
                        struct expiry_delta *d)
{
    unsigned n_add = count_strv(ch->add);
    unsigned cap = h->n_records + n_add + 1;
    time_t *have;
    unsigned n_have = 0;

    memset(d, 0, sizeof(*d));
    d->want = calloc(cap, sizeof(time_t));
    have = calloc(h->n_expires + 1, sizeof(time_t));
    d->del = calloc(h->n_expires + 1, sizeof(char *));
    d->add_buf = calloc(cap, sizeof(*d->add_buf));
    d->add = calloc(cap, sizeof(char *));
    if (d->want == NULL || have == NULL || d->del == NULL ||
        d->add_buf == NULL || d->add == NULL) {
        free(have);
        delta_free(d);
        return AK_ERR_NOMEM;
    }
    for (unsigned i = 0; i < h->n_records + n_add; i++) {
        const char *v =
            i < h->n_records ? h->records[i] : ch->add[i - h->n_records];
        time_t t;
        if (i < h->n_records && in_strv(ch->del, v))
            continue;
        if (record_expiry(v, &t) && !in_times(d->want, d->n_want, t))
            d->want[d->n_want++] = t;
    }
    for (unsigned i = 0; i < h->n_expires; i++) {
        time_t t;
        bool ok = ak_time_parse(h->expires[i], strlen(h->expires[i]), false,
                                &t) == AK_OK;
        if (ok && in_times(d->want, d->n_want, t) && !in_times(have, n_have, t))
            have[n_have++] = t;
        else /* unparsable, duplicate or no longer needed */
            d->del[d->n_del++] = h->expires[i];
    }
    for (unsigned i = 0; i < d->n_want; i++) {
        if (in_times(have, n_have, d->want[i]))
            continue;
        if (ak_time_format(d->want[i], d->add_buf[d->n_add]) != AK_OK) {
            free(have);
            delta_free(d);
            return AK_ERR_INVALID;
        }
        d->add[d->n_add] = d->add_buf[d->n_add];
        d->n_add++;
    }
    free(have);
    return AK_OK;
}

int ak_store_change(struct ak_conn *c, const struct ak_holder *h,
                    const struct ak_change *ch, const struct ak_log *log)
{
    char *oc_vals[] = {AK_LDAP_STR(AK_OC_HOLDER), NULL};
    LDAPMod oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc_vals}};
    LDAPMod del = {LDAP_MOD_DELETE,
                   AK_LDAP_STR(AK_AT_RECORD),
                   {(char **)(uintptr_t)ch->del}};
    LDAPMod add = {
        LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_RECORD), {(char **)(uintptr_t)ch->add}};
    LDAPMod ids = {
        LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_ID), {(char **)(uintptr_t)ch->add_ids}};
    LDAPMod exp_del = {LDAP_MOD_DELETE, AK_LDAP_STR(AK_AT_EXPIRES), {NULL}};
    LDAPMod exp_add = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_EXPIRES), {NULL}};
    LDAPMod *mods[7];
    struct expiry_delta d;
    size_t n = 0;
    int rc;

    if (count_strv(ch->del) + count_strv(ch->add) == 0)
        return AK_ERR_INVALID;
    rc = expiry_delta(h, ch, &d);
    if (rc != AK_OK)
        return rc;
    if (!h->has_holder_class && count_strv(ch->add) > 0)
        mods[n++] = &oc;
    /* Deletes first: if any exact value is gone, nothing is written. */
    if (count_strv(ch->del) > 0)
        mods[n++] = &del;
    if (d.n_del > 0) {
        d.del[d.n_del] = NULL;
        exp_del.mod_values = d.del;
        mods[n++] = &exp_del;
    }
    if (count_strv(ch->add) > 0)
        mods[n++] = &add;
    if (count_strv(ch->add_ids) > 0)
        mods[n++] = &ids;
    if (d.n_add > 0) {
        d.add[d.n_add] = NULL;
        exp_add.mod_values = d.add;
        mods[n++] = &exp_add;
    }
    mods[n] = NULL;
    rc = ak_conn_modify(c, h->dn, mods, log);
    delta_free(&d);
    return rc;
}

int ak_store_add_record(struct ak_conn *c, const struct ak_holder *h,
                        const char *record, const struct ak_record *parsed,
                        const struct ak_log *log)
{
    const char *add[] = {record, NULL};
    const char *ids[] = {parsed->id, NULL};
    struct ak_change ch = {.add = add, .add_ids = ids};

    return ak_store_change(c, h, &ch, log);
}

int ak_store_replace_record(struct ak_conn *c, const struct ak_holder *h,
                            const char *old, const char *new_value,
                            const struct ak_log *log)
{
    const char *del[] = {old, NULL};
    const char *add[] = {new_value, NULL};
    struct ak_change ch = {.del = del, .add = add};

    return ak_store_change(c, h, &ch, log);
}
