/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store.c - find holders, add and change records */
#include "ak_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_bounds.h"
#include "ak_dn.h"
#include "ak_judge.h"
#include "ak_lastuse.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_text.h"
#include "ak_time.h"

/* True when the entry's own name is name (the config's rule). */
static bool named(const struct ak_holder_view *v, const struct ak_config *cfg,
                  const char *name)
{
    struct ak_bytes own;
    return ak_view_name(v, &own) &&
           ak_text_equal(own.p, own.n, name, strlen(name),
                         cfg->user_name_ascii_case);
}

/* Is entry e a holder we may answer with? 1 yes, 0 no, <0 an error. */
static int candidate(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                     const struct ak_holder_attrs *a, const char *name,
                     const struct ak_log *log, struct ak_entry *en)
{
    struct ak_holder_view v;
    int rc = ak_entry_open_logged(ld, e, a->list, log, en);

    if (rc != AK_OK)
        return rc == AK_ERR_NOMEM ? rc : AK_ERR_MALFORMED;
    ak_holder_view_of(en, a, &v);
    if (ak_holder_in_bases(en, cfg) && (name == NULL || named(&v, cfg, name)))
        return 1;
    ak_entry_close(en);
    return 0;
}

/* Search for exactly one holder under the user or service base (named
 * name, when not NULL). An entry that cannot be read whole makes the
 * answer unusable: it may be the one. */
static int find_one(struct ak_conn *c, const struct ak_config *cfg,
                    const char *base, int scope, const char *filter,
                    const char *name, const struct ak_log *log,
                    struct ak_holder *out)
{
    struct ak_holder_attrs a;
    struct ak_entry hit;
    LDAPMessage *res = NULL;
    LDAP *ld = ak_conn_ld(c);
    unsigned n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    ak_holder_attrs_init(&a, cfg, AK_READ_MANAGE);
    rc = ak_conn_search(c, base, scope, filter, a.list, 0, log, &res);
    if (rc != AK_OK)
        return rc;
    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL && rc == AK_OK;
         e = ldap_next_entry(ld, e)) {
        struct ak_entry en;
        int k = candidate(ld, e, cfg, &a, name, log, &en);
        if (k < 0)
            rc = k;
        else if (k > 0 && n++ == 0)
            hit = en;
        else if (k > 0)
            ak_entry_close(&en);
    }
    if (rc == AK_OK && n == 1)
        rc = ak_holder_copy(&hit, &a, time(NULL), out);
    else if (rc == AK_OK)
        rc = n == 0 ? AK_ERR_NOT_FOUND : AK_ERR_CONFLICT;
    if (n > 0)
        ak_entry_close(&hit);
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
    if (!ak_holder_dn_in_bases(cfg, dn))
        return AK_ERR_NOT_FOUND;
    if (asprintf(&filter, "(|%s%s)", cfg->user_filter, cfg->service_filter) < 0)
        return AK_ERR_NOMEM;
    rc = find_one(c, cfg, dn, LDAP_SCOPE_BASE, filter, NULL, log, out);
    free(filter);
    return rc;
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

/* True when h would hold more values of attr than the directory's bound
 * (ak_bounds.h) after adding add and deleting del: logged, so the caller's
 * message can say what to do. Checked here as well as by the directory, so
 * that a directory without the bounds (389-ds, AD) holds the same limits. */
static bool over_bound(const struct ak_holder *h, const char *attr,
                       unsigned have, unsigned add, unsigned del,
                       const struct ak_log *log)
{
    const struct ak_bound *b = ak_bound_find(attr);

    if (b == NULL || add <= del || have + add - del <= b->count)
        return false;
    ak_log(log, LOG_ERR,
           "%s holds %u %s values; %u more would pass the %u the directory "
           "allows",
           h->dn, have, attr, add - del, b->count);
    return true;
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
    if (!ch->relax &&
        (over_bound(h, AK_AT_RECORD, h->n_records, count_strv(ch->add), 0,
                    log) ||
         over_bound(h, AK_AT_ID, h->n_strs[AK_HF_ID], count_strv(ch->add_ids),
                    0, log) ||
         over_bound(h, AK_AT_REVOKED, h->n_revoked, count_strv(ch->add_revoked),
                    count_strv(ch->del_revoked), log) ||
         over_bound(h, AK_AT_EXPIRES, h->n_expires,
                    count_strv((const char *const *)exp_vals), 0, log))) {
        free(exp_buf);
        free(exp_vals);
        return AK_ERR_FULL;
    }
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
    rc = ch->relax ? ak_conn_modify_relaxed(c, h->dn, mods, ch->assertion, log)
                   : ak_conn_modify_if(c, h->dn, mods, ch->assertion, log);
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

    for (unsigned i = 0; ok && i < h->view.revoked.n; i++) {
        const struct ak_bytes *v = &h->view.revoked.v[i];
        if (!ak_revocation_names(v->p, v->n, kid))
            continue;
        seen = true;
        ok = ak_filter_eq(AK_AT_REVOKED, v->p, v->n, &eq) == AK_OK &&
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

/* For ak_revocation_spare: does h hold a record of kid? */
static bool holds_record(void *ctx, const char *kid)
{
    const struct ak_holder *h = ctx;
    char id[AK_KEY_ID_LEN + 1];

    for (unsigned i = 0; i < h->n_records; i++)
        if (ak_record_peek_id(h->records[i], strlen(h->records[i]), id) &&
            strcmp(id, kid) == 0)
            return true;
    return false;
}

int ak_store_revoke(struct ak_conn *c, const struct ak_holder *h,
                    const char *kid, time_t now, const struct ak_log *log)
{
    const struct ak_bound *b = ak_bound_find(AK_AT_REVOKED);
    char value[AK_REVOCATION_MAX + 1];
    const char *add[] = {value, NULL}, *del[] = {NULL, NULL};
    struct ak_change ch = {.add_revoked = add};
    char *assertion = NULL;
    int rc;

    if (ak_revocation_format(kid, now, AK_END_REVOKED, value) != AK_OK)
        return AK_ERR_INVALID;
    rc = ak_store_end_unchanged(h, kid, AK_END_REVOKED, &assertion);
    if (rc != AK_OK)
        return rc;
    ch.assertion = assertion;
    /* A full entry: the value that decides least makes room, in the same
     * modify (only admins may delete ends: an owner who filled her own
     * entry cannot, and asks one; her junk cannot stop their revocation). */
    if (b != NULL && h->n_revoked >= b->count) {
        int spare = ak_revocation_spare(&h->view.revoked, holds_record,
                                        (void *)(uintptr_t)h);
        if (spare == -2) {
            free(assertion);
            return AK_ERR_NOMEM;
        }
        if (spare >= 0) {
            del[0] = h->revoked[spare];
            ch.del_revoked = del;
            ak_log(log, LOG_WARNING,
                   "%s holds %u ends of keys, the most the directory "
                   "allows: removing \"%s\" to make room",
                   h->dn, h->n_revoked, del[0]);
        }
    }
    rc = ak_store_change(c, h, &ch, log);
    if (rc == AK_ERR_DENIED && ch.del_revoked != NULL)
        rc = AK_ERR_FULL; /* not allowed to make room */
    if (rc == AK_ERR_FULL || rc == AK_ERR_INVALID) {
        /* An entry over a bound takes no change without relax (slapo-
         * constraint checks the whole entry); slapd before 2.7 lets anyone
         * relax, 2.7 those with manage access. */
        ak_log(log, LOG_WARNING,
               "%s: the directory's bounds refuse the revocation of %s; "
               "trying once more with the relax control",
               h->dn, kid);
        ch.del_revoked = NULL;
        ch.relax = true;
        rc = ak_store_change(c, h, &ch, log);
        if (rc == AK_ERR_DENIED)
            rc = AK_ERR_FULL; /* the relax control is not this caller's */
    }
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
