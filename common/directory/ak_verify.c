/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_verify.c - verify(user, key, service) against the directory */
#include "ak_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ak_dn.h"
#include "ak_entry.h"
#include "ak_hash.h"
#include "ak_holder.h"
#include "ak_judge.h"
#include "ak_lastuse.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_schema.h"
#include "ak_text.h"

/* What one search told us, before any secret is looked at. */
struct found {
    struct ak_holder_attrs attrs; /* the search's list, by field */
    struct ak_entry holder; /* the entry owning the key id (if n_holders) */
    unsigned n_holders;
    bool unreadable; /* an entry of the answer could not be read whole */
    bool policy_found;
    bool policy_bad;
    const char *policy_bad_attr;
    struct ak_policy policy;
};

/* How one call checks: the secret or the account, at which moment, and
 * whether a success is a real login whose last use is recorded. */
struct check {
    const struct ak_verify_request *req;
    enum ak_check mode;
    const char *kid;
    time_t now;
    bool record_use;
};

void ak_verify_result_clear(struct ak_verify_result *res)
{
    if (res == NULL)
        return;
    free(res->owner_dn);
    free(res->owner_name);
    memset(res, 0, sizeof(*res));
}

static void read_policy(const struct ak_entry *en, struct found *f)
{
    struct ak_policy_view pv;

    f->policy_found = true;
    ak_policy_view_of(en, &f->attrs, &pv);
    f->policy_bad =
        ak_policy_from_view(&pv, &f->policy, &f->policy_bad_attr) != AK_OK;
}

/* DN tests: the textual fast path where it is certain, else parsed. An
 * entry whose DN does not parse is neither the policy nor in the bases. */
static bool is_policy(struct ak_entry *en, const struct ak_config *cfg)
{
    if (cfg->policy_dn == NULL)
        return false;
    if (ak_dn_text_equal(en->dn.bv_val, en->dn.bv_len, cfg->policy_dn))
        return true;
    return ak_dnp_equal(ak_entry_dnp(en), cfg->policy_dnp);
}

/* An entry of the answer that is not the holder, and why (a warning:
 * someone put a key id where it does not count). */
static void ignored(const struct ak_entry *en, const char *kid, const char *why,
                    const struct ak_log *log)
{
    char q[256];
    ak_log(log, LOG_WARNING, "entry %s: key id %s %s; ignored",
           ak_log_quote(q, sizeof(q), en->dn.bv_val, (unsigned)en->dn.bv_len),
           kid, why);
}

static void classify(LDAP *ld, LDAPMessage *res, const struct ak_config *cfg,
                     const char *kid, const struct ak_log *log, struct found *f)
{
    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL;
         e = ldap_next_entry(ld, e)) {
        struct ak_entry en;
        const struct ak_values *ids;
        bool keep = false;

        if (ak_entry_open_logged(ld, e, f->attrs.list, log, &en) != AK_OK) {
            /* It may be the holder, or a second one: judge nothing. */
            f->unreadable = true;
            continue;
        }
        ids = ak_holder_field(&en, &f->attrs, AK_HF_ID);
        if (is_policy(&en, cfg)) {
            read_policy(&en, f);
        } else if (ak_values_has(ids, kid, false)) {
            if (!ak_holder_in_bases(&en, cfg))
                ignored(&en, kid, "held outside user_base and service_base",
                        log);
            else if (f->n_holders++ == 0)
                keep = true;
        } else if (ids->tagged) {
            /* Matched (apiKeyId=K) through apiKeyId;<option> only: that is
             * not a key id (someone copied one into a subtype). */
            ignored(&en, kid, "only in a tagged apiKeyId subtype", log);
        }
        if (keep)
            f->holder = en;
        else
            ak_entry_close(&en);
    }
}

/* One search (plus the policy entry), retried once on a fresh connection
 * when a pooled one had been dropped by the server. */
static int search(struct ak_dir *dir, const char *filter, char **attrs,
                  const struct ak_log *log, struct ak_conn **conn,
                  LDAPMessage **res, LDAPMessage **pres)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    bool policy_apart = cfg->policy_dn != NULL && !cfg->policy_in_search;
    int rc = AK_ERR_BACKEND;

    for (int attempt = 0; attempt < 2; attempt++) {
        struct ak_conn *c = NULL;
        int m1 = -1, m2 = -1;
        bool retry;

        rc = ak_dir_acquire(dir, attempt > 0, log, &c);
        if (rc != AK_OK)
            return rc;
        rc = ak_conn_search_send(c, cfg->search_base, LDAP_SCOPE_SUBTREE,
                                 filter, attrs, AK_VERIFY_SIZELIMIT, log, &m1);
        /* Pipelined: both requests are on the wire before we wait. */
        if (rc == AK_OK && policy_apart)
            rc = ak_conn_search_send(c, cfg->policy_dn, LDAP_SCOPE_BASE,
                                     "(objectClass=" AK_OC_POLICY ")", attrs, 1,
                                     log, &m2);
        if (rc == AK_OK)
            rc = ak_conn_search_recv(c, m1, log, res);
        if (rc == AK_OK && policy_apart) {
            rc = ak_conn_search_recv(c, m2, log, pres);
            if (rc != AK_OK) {
                ldap_msgfree(*res);
                *res = NULL;
            }
        }
        if (rc == AK_OK) {
            *conn = c;
            return AK_OK;
        }
        retry = ak_conn_reused(c) && ak_conn_dropped(c);
        ak_dir_release(dir, c);
        if (!retry)
            break;
        ak_log(log, LOG_INFO,
               "directory: pooled connection was closed by "
               "the server; reconnecting");
    }
    return rc;
}

/*
 * (|(&(apiKeyId=K)(uid=U)(|USER_FILTER
 * SERVICE_FILTER))(objectClass=apiKeyPolicy)) The policy branch is there only
 * when the policy entry lies under the search base. Short on purpose: libldap's
 * filter encoder is a good part of a verification's client-side cost.
 */
static char *build_filter(const struct ak_config *cfg,
                          const struct ak_verify_request *req, const char *kid)
{
    char *id_f = NULL, *user_f = NULL, *holder = NULL, *filter = NULL;

    if (ak_filter_eq(AK_AT_ID, kid, strlen(kid), &id_f) != AK_OK)
        goto out;
    if (req->user != NULL && ak_filter_eq(cfg->user_attr, req->user,
                                          req->user_len, &user_f) != AK_OK)
        goto out;
    if (asprintf(&holder, "(&%s%s(|%s%s))", id_f, user_f ? user_f : "",
                 cfg->user_filter, cfg->service_filter) < 0) {
        holder = NULL;
        goto out;
    }
    if (cfg->policy_in_search) {
        if (asprintf(&filter, "(|%s(objectClass=" AK_OC_POLICY "))", holder) <
            0)
            filter = NULL;
    } else {
        filter = holder;
        holder = NULL;
    }
out:
    free(id_f);
    free(user_f);
    free(holder);
    return filter;
}

static void log_outcome(const struct ak_verify_request *req, enum ak_check mode,
                        const struct ak_verify_result *res,
                        const struct ak_log *log)
{
    /* ak_verify_state(): a re-check of a key that logged in earlier. */
    bool secret = mode == AK_CHECK_SECRET;
    const char *refused = secret ? "refused key" : "account check refused key";
    const char *svc = req->service ? req->service : "-";
    const char *ctx = req->log_context ? req->log_context : "";
    const char *sep = req->log_context ? " " : "";
    const char *out = ak_outcome_str(res->outcome);
    const char *det = res->detail ? res->detail : "";
    const char *dsep = res->detail ? ": " : "";
    char name[128], dn[256];

    if (res->owner_dn != NULL) {
        ak_log_quote(dn, sizeof(dn), res->owner_dn,
                     (unsigned)strlen(res->owner_dn));
        ak_log_quote(name, sizeof(name), res->owner_name,
                     res->owner_name ? (unsigned)strlen(res->owner_name) : 0);
    }
    switch (res->outcome) {
    case AK_VERIFY_OK:
        if (secret)
            ak_log(log, LOG_INFO,
                   "accepted key %s of user=%s (%s) service=%s%s%s",
                   res->key_id, name, dn, svc, sep, ctx);
        else
            ak_debug(log, "account check of key %s of user=%s: ok", res->key_id,
                     name);
        break;
    case AK_VERIFY_MALFORMED:
        ak_log(log, LOG_NOTICE,
               "refused a token that is not an API key (%s) service=%s%s%s",
               det, svc, sep, ctx);
        break;
    case AK_VERIFY_UNAVAILABLE:
    case AK_VERIFY_INTERNAL:
        ak_log(log, LOG_ERR, "could not verify key %s service=%s: %s%s%s%s%s",
               res->key_id, svc, out, dsep, det, sep, ctx);
        break;
    default:
        if (res->owner_dn != NULL)
            ak_log(log, LOG_NOTICE,
                   "%s %s of user=%s (%s) service=%s: %s%s%s%s%s", refused,
                   res->key_id, name, dn, svc, out, dsep, det, sep, ctx);
        else /* no entry matched: the name may be a mistyped password */
            ak_log(log, LOG_NOTICE, "%s %s service=%s: %s%s%s%s%s", refused,
                   res->key_id, svc, out, dsep, det, sep, ctx);
        break;
    }
}

/* Refusals decided from the answer as a whole, before any entry is
 * judged; NULL when the holder (or its absence) can be judged. */
static const char *answer_unusable(const struct found *f,
                                   const struct ak_config *cfg,
                                   const struct ak_log *log)
{
    const char *why = NULL;

    if (f->unreadable)
        return "an entry of the answer could not be read whole";
    if (f->n_holders > 1)
        return "key id held by more than one entry";
    if (cfg->policy_dn == NULL || (f->policy_found && !f->policy_bad))
        return NULL;
    why = f->policy_bad ? "policy entry has a bad value"
                        : "policy entry not found or not readable";
    ak_log(log, LOG_ERR, "policy %s: %s%s%s", cfg->policy_dn, why,
           f->policy_bad_attr ? " in " : "",
           f->policy_bad_attr ? f->policy_bad_attr : "");
    return why;
}

/* Judge the holder (or its absence) and fill res from the judgement. */
static void decide(const struct check *ck, const struct ak_config *cfg,
                   struct found *f, const struct ak_log *log,
                   struct ak_verify_result *res, bool *hashed)
{
    const struct ak_verify_request *req = ck->req;
    struct ak_holder_view view;
    struct ak_judgement j;
    struct ak_claim claim = {
        .check = ck->mode,
        .key = req->key,
        .key_len = req->key_len,
        .kid = ck->kid,
        .user = req->user,
        .user_len = req->user_len,
        .name_ascii_case = cfg->user_name_ascii_case && !req->exact_name,
        .service = req->service,
    };

    if (f->n_holders > 0)
        ak_holder_view_of(&f->holder, &f->attrs, &view);
    res->outcome =
        ak_judge(f->n_holders > 0 ? &view : NULL,
                 cfg->policy_dn ? &f->policy : NULL, &claim, ck->now, log, &j);
    *hashed = j.hashed;
    res->detail = j.detail;
    res->service_user = j.service_user;
    res->has_expiry = j.has_expiry;
    res->expires = j.expires;
    if (f->n_holders == 0)
        return;
    res->owner_dn = ak_entry_dn(&f->holder);
    if (j.owner_name.p != NULL)
        res->owner_name = strndup(j.owner_name.p, j.owner_name.n);
    if (res->owner_dn == NULL ||
        (j.owner_name.p != NULL && res->owner_name == NULL)) {
        res->outcome = AK_VERIFY_INTERNAL;
        res->detail = "out of memory";
    }
}

/* The search for kid's holder (and the policy) and its classification. */
static int query(struct ak_dir *dir, const struct check *ck, struct found *f,
                 const struct ak_log *log, struct ak_conn **conn,
                 LDAPMessage **sres, LDAPMessage **pres)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    char *filter = build_filter(cfg, ck->req, ck->kid);
    int rc;

    if (filter == NULL)
        return AK_ERR_NOMEM;
    rc = search(dir, filter, f->attrs.list, log, conn, sres, pres);
    free(filter);
    if (rc != AK_OK)
        return rc;
    classify(ak_conn_ld(*conn), *sres, cfg, ck->kid, log, f);
    if (*pres != NULL)
        classify(ak_conn_ld(*conn), *pres, cfg, ck->kid, log, f);
    return AK_OK;
}

/*
 * The one search and the one judgement behind both entry points; res->key_id
 * is already set. Every path of AK_CHECK_SECRET hashes exactly once: the
 * judge does, and a refusal decided before it hashes a dummy here.
 */
static void verify_kid(struct ak_dir *dir, const struct check *ck,
                       const struct ak_log *log, struct ak_verify_result *res)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    const struct ak_verify_request *req = ck->req;
    /* Every description read is requested by name, one slot each in the
     * entry reader: nothing an owner adds can push a lock out of view. */
    struct found f = {0};
    struct ak_conn *conn = NULL;
    LDAPMessage *sres = NULL, *pres = NULL;
    bool hashed = false;
    int rc;

    ak_holder_attrs_init(&f.attrs, cfg,
                         AK_READ_POLICY |
                             (ck->record_use ? AK_READ_LAST_USE : 0));
    if (ak_crypto_init() != AK_OK) {
        res->detail = "libsodium unavailable";
        return; /* nothing can be hashed */
    }
    if (req->user != NULL && !ak_user_name_valid(req->user, req->user_len)) {
        /* Cannot name any entry (NUL, control bytes, bad UTF-8, length). */
        res->outcome = AK_VERIFY_UNKNOWN_KEY;
        res->detail = "invalid user name";
        goto out;
    }
    rc = query(dir, ck, &f, log, &conn, &sres, &pres);
    if (rc != AK_OK) {
        res->outcome =
            rc == AK_ERR_NOMEM ? AK_VERIFY_INTERNAL : AK_VERIFY_UNAVAILABLE;
        goto out;
    }
    res->detail = answer_unusable(&f, cfg, log);
    if (res->detail != NULL) {
        res->outcome = AK_VERIFY_UNAVAILABLE;
        goto out;
    }
    decide(ck, cfg, &f, log, res, &hashed);
    /* After the decision, never changing it; rate-limited per key. */
    if (res->outcome == AK_VERIFY_OK && ck->record_use)
        ak_lastuse_note(
            conn, res->owner_dn,
            ak_entry_at(&f.holder, (unsigned)f.attrs.slot[AK_HF_LAST_USED]),
            ck->kid, ck->now, cfg->last_use_interval, log);
out:
    if (ck->mode == AK_CHECK_SECRET && !hashed)
        ak_hash_dummy(req->key, req->key_len);
    if (f.n_holders > 0)
        ak_entry_close(&f.holder);
    ldap_msgfree(sres);
    ldap_msgfree(pres);
    if (conn != NULL)
        ak_dir_release(dir, conn);
}

enum ak_outcome ak_verify(struct ak_dir *dir,
                          const struct ak_verify_request *req, time_t now,
                          const struct ak_log *log,
                          struct ak_verify_result *res)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    struct ak_key key;
    const char *why;

    memset(res, 0, sizeof(*res));
    res->outcome = AK_VERIFY_INTERNAL;
    if (req->key == NULL ||
        ak_key_parse(req->key, req->key_len, &key, &why) != AK_OK) {
        res->outcome = AK_VERIFY_MALFORMED;
        res->detail = req->key == NULL ? "empty" : why;
    } else {
        /* Last use is a fact about real logins: not about "what if"
         * checks at another time (apikey verify --at), and only when
         * configured. */
        struct check ck = {
            .req = req,
            .mode = AK_CHECK_SECRET,
            .kid = key.id,
            .now = now != 0 ? now : time(NULL),
            .record_use = cfg->track_last_use && now == 0,
        };
        memcpy(res->key_id, key.id, sizeof(res->key_id));
        verify_kid(dir, &ck, log, res);
    }
    log_outcome(req, AK_CHECK_SECRET, res, log);
    return res->outcome;
}

enum ak_outcome ak_verify_state(struct ak_dir *dir, const char *user,
                                const char *kid, const char *service,
                                time_t now, const struct ak_log *log,
                                struct ak_verify_result *res)
{
    struct ak_verify_request req = {
        .user = user,
        .user_len = user ? strlen(user) : 0,
        .service = service,
        .exact_name = true,
    };
    struct check ck = {
        .req = &req,
        .mode = AK_CHECK_ACCOUNT,
        .kid = kid,
        .now = now != 0 ? now : time(NULL),
    };

    memset(res, 0, sizeof(*res));
    res->outcome = AK_VERIFY_INTERNAL;
    if (user == NULL || kid == NULL || !ak_key_id_valid(kid, strlen(kid))) {
        res->outcome = AK_VERIFY_MALFORMED;
        res->detail = "not a key id";
    } else {
        memcpy(res->key_id, kid, sizeof(res->key_id));
        verify_kid(dir, &ck, log, res);
    }
    log_outcome(&req, AK_CHECK_ACCOUNT, res, log);
    return res->outcome;
}
