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
#include "ak_text.h"
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
    free_strv(h->revoked, h->n_revoked);
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
    attrs[7] = AK_LDAP_STR(AK_AT_REVOKED);
    attrs[8] = NULL;
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
        rc = copy_values(ld, e, AK_AT_REVOKED, &h->revoked, &h->n_revoked);
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

/* True when entry e's single user_attr value is name (the config's rule). */
static bool named(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                  const char *name)
{
    struct berval **v = ldap_get_values_len(ld, e, cfg->user_attr);
    bool ok = ldap_count_values_len(v) == 1 &&
              ak_text_equal(v[0]->bv_val, v[0]->bv_len, name, strlen(name),
                            cfg->user_name_ascii_case);
    ldap_value_free_len(v);
    return ok;
}

/* Search for exactly one holder under the user or service base (named
 * name, when not NULL). */
static int find_one(struct ak_conn *c, const struct ak_config *cfg,
                    const char *base, int scope, const char *filter,
                    const char *name, const struct ak_log *log,
                    struct ak_holder *out)
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
        if (dn != NULL && under_bases(cfg, dn) &&
            (name == NULL || named(ld, e, cfg, name))) {
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
    rc = find_one(c, cfg, cfg->search_base, LDAP_SCOPE_SUBTREE, filter, user,
                  log, out);
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
    rc = find_one(c, cfg, cfg->search_base, LDAP_SCOPE_SUBTREE, filter, NULL,
                  log, out);
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
    rc = find_one(c, cfg, dn, LDAP_SCOPE_BASE, filter, NULL, log, out);
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

int ak_holder_record_index(const struct ak_holder *h, const char *kid)
{
    int hit = -1;
    unsigned n = 0;

    for (unsigned i = 0; i < h->n_records; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(h->records[i], strlen(h->records[i]), id) &&
            strcmp(id, kid) == 0) {
            hit = (int)i;
            n++;
        }
    }
    return n == 1 ? hit : -1;
}

int ak_holder_key(const struct ak_holder *h, unsigned i, struct ak_record *out,
                  const char **why)
{
    const char *w = NULL;
    int rc;

    if (i >= h->n_records)
        return AK_ERR_INVALID;
    rc = ak_record_parse(h->records[i], strlen(h->records[i]), out, &w);
    if (rc != AK_OK) {
        if (why != NULL)
            *why = w;
        return rc;
    }
    for (unsigned k = 0; k < h->n_revoked; k++)
        (void)ak_revocation_apply(out, h->revoked[k], strlen(h->revoked[k]));
    return AK_OK;
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

/* The expiry a well-formed record contributes to apiKeyExpires. */
static bool record_expiry(const char *rec, time_t *t)
{
    struct ak_record r;
    if (ak_record_parse(rec, strlen(rec), &r, NULL) != AK_OK ||
        !r.has_expires || r.is_revoked)
        return false;
    *t = r.expires;
    return true;
}

/* apiKeyExpires already holds t (values as read, any valid form). */
static bool has_expiry(const struct ak_holder *h, time_t t)
{
    for (unsigned i = 0; i < h->n_expires; i++) {
        time_t v;
        if (ak_time_parse(h->expires[i], strlen(h->expires[i]), false, &v) ==
                AK_OK &&
            v == t)
            return true;
    }
    return false;
}

/*
 * The apiKeyExpires values to add for the records added: each distinct
 * expiry not already there (canonical text in buf[i], pointers in out,
 * NULL-terminated). Values are never deleted here: it is the expiry
 * daemon's index of candidates, and a stale value only makes it look at
 * an entry once more, while a missing one would hide a key.
 */
static int expiry_adds(const struct ak_holder *h, const char *const *add,
                       char (**buf)[AK_TIME_LEN + 1], char ***out)
{
    unsigned n_add = count_strv(add), n = 0;
    time_t *seen = calloc(n_add + 1, sizeof(time_t));

    *buf = calloc(n_add + 1, sizeof(**buf));
    *out = calloc(n_add + 1, sizeof(char *));
    if (seen == NULL || *buf == NULL || *out == NULL) {
        free(seen);
        free(*buf);
        free(*out);
        return AK_ERR_NOMEM;
    }
    for (unsigned i = 0; i < n_add; i++) {
        time_t t;
        bool dup = false;
        if (!record_expiry(add[i], &t) || has_expiry(h, t))
            continue;
        for (unsigned k = 0; k < n; k++)
            dup = dup || seen[k] == t;
        if (dup)
            continue;
        if (ak_time_format(t, (*buf)[n]) != AK_OK) {
            free(seen);
            free(*buf);
            free(*out);
            return AK_ERR_INVALID;
        }
        seen[n] = t;
        (*out)[n] = (*buf)[n];
        n++;
    }
    free(seen);
    return AK_OK;
}

int ak_store_change(struct ak_conn *c, const struct ak_holder *h,
                    const struct ak_change *ch, const struct ak_log *log)
{
    char *oc_vals[] = {AK_LDAP_STR(AK_OC_HOLDER), NULL};
    LDAPMod oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc_vals}};
    LDAPMod add = {
        LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_RECORD), {(char **)(uintptr_t)ch->add}};
    LDAPMod ids = {
        LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_ID), {(char **)(uintptr_t)ch->add_ids}};
    LDAPMod rev_del = {LDAP_MOD_DELETE,
                       AK_LDAP_STR(AK_AT_REVOKED),
                       {(char **)(uintptr_t)ch->del_revoked}};
    LDAPMod rev_add = {LDAP_MOD_ADD,
                       AK_LDAP_STR(AK_AT_REVOKED),
                       {(char **)(uintptr_t)ch->add_revoked}};
    LDAPMod exp_add = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_EXPIRES), {NULL}};
    LDAPMod *mods[7];
    char(*exp_buf)[AK_TIME_LEN + 1] = NULL;
    char **exp_vals = NULL;
    size_t n = 0;
    int rc;

    if (count_strv(ch->add) + count_strv(ch->add_revoked) +
            count_strv(ch->del_revoked) ==
        0)
        return AK_ERR_INVALID;
    rc = expiry_adds(h, ch->add, &exp_buf, &exp_vals);
    if (rc != AK_OK)
        return rc;
    if (!h->has_holder_class && count_strv(ch->add) > 0)
        mods[n++] = &oc;
    /* Deletes first: if an exact value is gone, nothing is written. */
    if (count_strv(ch->del_revoked) > 0)
        mods[n++] = &rev_del;
    if (count_strv(ch->add) > 0)
        mods[n++] = &add;
    if (count_strv(ch->add_ids) > 0)
        mods[n++] = &ids;
    if (count_strv(ch->add_revoked) > 0)
        mods[n++] = &rev_add;
    if (exp_vals[0] != NULL) {
        exp_add.mod_values = exp_vals;
        mods[n++] = &exp_add;
    }
    mods[n] = NULL;
    rc = ak_conn_modify_if(c, h->dn, mods, ch->assertion, log);
    free(exp_buf);
    free(exp_vals);
    return rc;
}

/* Append to a malloc'd string; false on allocation failure. */
static bool append(char **s, const char *piece)
{
    size_t a = *s ? strlen(*s) : 0, b = strlen(piece);
    char *n = realloc(*s, a + b + 1);
    if (n == NULL)
        return false;
    memcpy(n + a, piece, b + 1);
    *s = n;
    return true;
}

int ak_store_end_unchanged(const struct ak_holder *h, const char *kid,
                           enum ak_end_reason why, char **out)
{
    char tail[64];
    char *f = NULL, *eq = NULL;
    bool ok = ak_key_id_valid(kid, strlen(kid)) && append(&f, "(&"),
         seen = false;

    for (unsigned i = 0; ok && i < h->n_revoked; i++) {
        if (!ak_revocation_names(h->revoked[i], strlen(h->revoked[i]), kid))
            continue;
        seen = true;
        ok = ak_filter_eq(AK_AT_REVOKED, h->revoked[i], strlen(h->revoked[i]),
                          &eq) == AK_OK &&
             append(&f, eq);
        free(eq);
        eq = NULL;
    }
    /* "<kid> <time> <reason>": key ids and reason words are [a-z2-7],
     * nothing to escape. */
    snprintf(tail, sizeof(tail), "(!(" AK_AT_REVOKED "=%s *%s))", kid,
             ak_end_reason_name(why));
    ok = ok && append(&f, tail);
    if (!seen) {
        snprintf(tail, sizeof(tail), "(!(" AK_AT_REVOKED "=%s *))", kid);
        ok = ok && append(&f, tail);
    }
    ok = ok && append(&f, ")");
    if (!ok) {
        free(f);
        return ak_key_id_valid(kid, strlen(kid)) ? AK_ERR_NOMEM
                                                 : AK_ERR_INVALID;
    }
    *out = f;
    return AK_OK;
}

int ak_store_revoke(struct ak_conn *c, const struct ak_holder *h,
                    const char *kid, time_t now, const struct ak_log *log)
{
    char value[AK_REVOCATION_MAX + 1];
    const char *add[] = {value, NULL};
    struct ak_change ch = {.add_revoked = add};
    char *assertion = NULL;
    int rc;

    if (ak_revocation_format(kid, now, AK_END_REVOKED, value) != AK_OK)
        return AK_ERR_INVALID;
    rc = ak_store_end_unchanged(h, kid, AK_END_REVOKED, &assertion);
    if (rc != AK_OK)
        return rc;
    ch.assertion = assertion;
    rc = ak_store_change(c, h, &ch, log);
    free(assertion);
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
