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
#include "ak_lastuse.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_schema.h"
#include "ak_text.h"

/*
 * The attributes of the one search, by position: the entry reader answers
 * by slot, so each question costs no name lookup. The policy entry, in the
 * same answer or from the pipelined base search, is read with the same
 * list. Owner-state attributes follow from AT_OWNER, apiKeyLastUsed after
 * them when last use is tracked.
 */
enum {
    AT_USER,
    AT_OC,
    AT_ID,
    AT_RECORD,
    AT_REVOKED,
    AT_REQUIRE_EXPIRY,
    AT_MAX_LIFETIME,
    AT_NOTICE_DAYS,
    AT_OWNER,
};

/* What one search told us, before any secret is looked at. */
struct found {
    struct ak_entry holder; /* the entry owning the key id (if n_holders) */
    char *holder_dn;
    unsigned n_holders;
    unsigned at_last_used; /* slot of apiKeyLastUsed, 0: not requested */
    bool unreadable;       /* an entry of the answer could not be read whole */
    bool policy_found;
    bool policy_bad;
    const char *policy_bad_attr;
    struct ak_policy policy;
};

void ak_verify_result_clear(struct ak_verify_result *res)
{
    if (res == NULL)
        return;
    free(res->owner_dn);
    free(res->owner_name);
    memset(res, 0, sizeof(*res));
}

/* Same hashing work as a real comparison, for unknown users and keys. */
static void dummy_verify(const struct ak_verify_request *req)
{
    static const uint8_t salt[AK_HASH_SALT_LEN];
    static const uint8_t digest[AK_HASH_DIGEST_LEN];
    if (req->key != NULL) /* ak_verify_state() has no secret to hide */
        (void)ak_hash_verify(digest, req->key, req->key_len, salt);
}

static void read_policy(const struct ak_entry *en, struct found *f)
{
    static const char *const names[] = {AK_AT_REQUIRE_EXPIRY,
                                        AK_AT_MAX_LIFETIME, AK_AT_NOTICE_DAYS};
    memset(&f->policy, 0, sizeof(f->policy));
    f->policy_found = true;
    for (unsigned a = 0; a < 3; a++) {
        unsigned at = AT_REQUIRE_EXPIRY + a;
        BerVarray v = ak_entry_at(en, at);
        /* Single-valued by schema (be sure); and a value with options is
         * not the policy's value: an admin's entry we cannot read as
         * meant fails closed. */
        if ((ak_entry_count_at(en, at) > 1 && a < 2) ||
            ak_entry_tagged_at(en, at)) {
            f->policy_bad = true;
            f->policy_bad_attr = names[a];
        }
        for (int i = 0; v != NULL && v[i].bv_val != NULL; i++)
            if (ak_policy_set(&f->policy, names[a], v[i].bv_val, v[i].bv_len,
                              &f->policy_bad_attr) != AK_OK)
                f->policy_bad = true;
    }
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

static bool in_bases(struct ak_entry *en, const struct ak_config *cfg)
{
    if (ak_dn_text_under(en->dn.bv_val, en->dn.bv_len, cfg->user_base) ||
        ak_dn_text_under(en->dn.bv_val, en->dn.bv_len, cfg->service_base))
        return true;
    return ak_dnp_is_under(ak_entry_dnp(en), cfg->user_base_dn) ||
           ak_dnp_is_under(ak_entry_dnp(en), cfg->service_base_dn);
}

static void classify(LDAP *ld, LDAPMessage *res, char *const *want,
                     const struct ak_config *cfg, const char *kid,
                     const struct ak_log *log, struct found *f)
{
    char q[256];

    for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL;
         e = ldap_next_entry(ld, e)) {
        struct ak_entry en;
        const char *why = NULL;
        bool keep = false;

        if (ak_entry_open(ld, e, want, &en, &why) != AK_OK) {
            /* It may be the holder, or a second one: judge nothing. */
            char *dn = ldap_get_dn(ld, e);
            ak_log(log, LOG_ERR,
                   "entry %s in the answer for key id %s cannot be read "
                   "whole (%s); refusing the key",
                   dn ? ak_log_quote(q, sizeof(q), dn, (unsigned)strlen(dn))
                      : "(unreadable DN)",
                   kid, why ? why : "unknown reason");
            ldap_memfree(dn);
            f->unreadable = true;
            continue;
        }
        if (is_policy(&en, cfg)) {
            read_policy(&en, f);
        } else if (ak_entry_has_at(&en, AT_ID, kid, false)) {
            if (!in_bases(&en, cfg)) {
                ak_log(log, LOG_WARNING,
                       "entry %s holds key id %s but lies outside user_base "
                       "and service_base; ignored",
                       ak_log_quote(q, sizeof(q), en.dn.bv_val,
                                    (unsigned)en.dn.bv_len),
                       kid);
            } else if (f->n_holders++ == 0) {
                f->holder_dn = ak_entry_dn(&en);
                f->holder = en;
                keep = true;
            }
        } else if (ak_entry_tagged_at(&en, AT_ID)) {
            /* Matched (apiKeyId=K) through apiKeyId;<option> only: that is
             * not a key id (someone copied one into a subtype). */
            ak_log(log, LOG_WARNING,
                   "entry %s names key id %s only in a tagged apiKeyId "
                   "subtype; ignored",
                   ak_log_quote(q, sizeof(q), en.dn.bv_val,
                                (unsigned)en.dn.bv_len),
                   kid);
        }
        if (!keep)
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

/* The entry's own user name: its single, valid user_attr value (NULL
 * when it has none or several), as a copy. */
static char *entry_name(const struct ak_entry *en)
{
    BerVarray v = ak_entry_at(en, AT_USER);

    if (ak_entry_count_at(en, AT_USER) == 1 &&
        ak_user_name_valid(v[0].bv_val, v[0].bv_len))
        return strndup(v[0].bv_val, v[0].bv_len);
    return NULL;
}

/* Does the name the client gave name this entry? The directory found the
 * entry with its own matching rule (uid: caseIgnoreMatch, which folds
 * case, width and surrounding spaces); identity is decided here. */
static bool name_matches(const struct ak_verify_request *req,
                         const struct ak_config *cfg, const char *name)
{
    if (req->user == NULL)
        return true;
    return ak_text_equal(req->user, req->user_len, name, strlen(name),
                         cfg->user_name_ascii_case && !req->exact_name);
}

/* Find and parse the one record of kid. AK_OK, or detail set. */
static int find_record(const struct ak_entry *en, const char *kid,
                       struct ak_record *rec, const char **detail)
{
    BerVarray v = ak_entry_at(en, AT_RECORD);
    struct berval *match = NULL;
    unsigned n = 0;

    for (int i = 0; v != NULL && v[i].bv_val != NULL; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(v[i].bv_val, v[i].bv_len, id) &&
            strcmp(id, kid) == 0) {
            n++;
            match = &v[i];
        }
    }
    if (n == 0) {
        *detail = "no record for this key id";
        return AK_ERR_MALFORMED;
    }
    if (n > 1) {
        *detail = "several records for this key id";
        return AK_ERR_MALFORMED;
    }
    return ak_record_parse(match->bv_val, match->bv_len, rec, detail);
}

static const char *owner_lock(const struct ak_entry *en,
                              const struct ak_config *cfg, time_t now)
{
    int n = ak_owner_n_attrs(cfg->user_attr);

    for (int a = 0; a < n; a++) {
        BerVarray v = ak_entry_at(en, AT_OWNER + (unsigned)a);
        if (ak_entry_tagged_at(en, AT_OWNER + (unsigned)a))
            return ak_owner_tagged_locks((enum ak_owner_attr)a);
        for (int i = 0; v != NULL && v[i].bv_val != NULL; i++) {
            const char *why = ak_owner_value_locks(
                (enum ak_owner_attr)a, v[i].bv_val, v[i].bv_len, now);
            if (why != NULL)
                return why;
        }
    }
    return NULL;
}

/* What apiKeyRevoked says about the key of rec (revoked, or ended by a
 * rotation). Values with options are not the attribute: ignored. */
static void apply_revocations(const struct ak_entry *en, struct ak_record *rec)
{
    BerVarray v = ak_entry_at(en, AT_REVOKED);
    for (int i = 0; v != NULL && v[i].bv_val != NULL; i++)
        (void)ak_revocation_apply(rec, v[i].bv_val, v[i].bv_len);
}

/* Judge the holder entry once the search is in. */
static enum ak_outcome judge(struct found *f, const struct ak_config *cfg,
                             const struct ak_verify_request *req,
                             const char *kid, time_t now,
                             const struct ak_log *log,
                             struct ak_verify_result *res)
{
    const struct ak_entry *en = &f->holder;
    const struct ak_policy *pol = cfg->policy_dn ? &f->policy : NULL;
    struct ak_record rec;
    const char *why = NULL;
    char q[256];

    res->owner_dn = f->holder_dn ? strdup(f->holder_dn) : NULL;
    res->owner_name = entry_name(en);
    res->service_user = ak_entry_has_at(en, AT_OC, AK_OC_SERVICE_USER, true);
    if (res->owner_dn == NULL) {
        dummy_verify(req);
        return AK_VERIFY_INTERNAL;
    }
    if (res->owner_name == NULL) {
        dummy_verify(req);
        res->detail = "owner entry has no single valid user name";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    if (!name_matches(req, cfg, res->owner_name)) {
        dummy_verify(req);
        res->detail = req->exact_name || !cfg->user_name_ascii_case
                          ? "the name given is not the entry's user name "
                            "exactly"
                          : "the name given is not the entry's user name "
                            "(ASCII case aside)";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    if (find_record(en, kid, &rec, &why) != AK_OK) {
        dummy_verify(req);
        ak_log(log, LOG_WARNING, "entry %s: key %s: %s; record skipped",
               ak_log_quote(q, sizeof(q), f->holder_dn,
                            (unsigned)strlen(f->holder_dn)),
               kid, why);
        res->detail = "no usable record";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    /* ak_verify_state() judges a key whose secret was checked earlier. */
    if (req->key != NULL &&
        !ak_hash_verify(rec.digest, req->key, req->key_len, rec.salt))
        return AK_VERIFY_WRONG_KEY;
    apply_revocations(en, &rec);
    switch (ak_policy_judge(pol, &rec, now, &res->expires, &res->has_expiry)) {
    case AK_KEY_VALID:
        break;
    case AK_KEY_REVOKED:
        return AK_VERIFY_REVOKED;
    case AK_KEY_EXPIRED:
        res->detail = rec.has_expires && rec.expires == res->expires
                          ? "past its expiry"
                          : "past the policy's maximum lifetime";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_EXPIRY_REQUIRED:
        res->detail = "no expiry, and the policy requires one";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_REPLACED:
        res->detail = "replaced by a rotation; its grace period is over";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_CREATED_IN_FUTURE:
        ak_log(log, LOG_WARNING,
               "entry %s: key %s: record created in the future; skipped",
               ak_log_quote(q, sizeof(q), f->holder_dn,
                            (unsigned)strlen(f->holder_dn)),
               kid);
        res->detail = "record created in the future";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    res->detail = owner_lock(en, cfg, now);
    if (res->detail != NULL)
        return AK_VERIFY_OWNER_LOCKED;
    if (!ak_record_allows_service(&rec, req->service)) {
        res->detail = "service outside the key's scope";
        return AK_VERIFY_SCOPE_DENIED;
    }
    return AK_VERIFY_OK;
}

static void log_outcome(const struct ak_verify_request *req,
                        const struct ak_verify_result *res,
                        const struct ak_log *log)
{
    /* ak_verify_state(): a re-check of a key that logged in earlier. */
    const char *refused =
        req->key ? "refused key" : "account check refused key";
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
        if (req->key != NULL)
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

/*
 * The one search and the one judgement behind both entry points: with
 * req->key set (ak_verify) the secret must match; without (ak_verify_state)
 * the key with id kid is judged as if it had. res->key_id is already set.
 */
static void verify_kid(struct ak_dir *dir, const struct ak_verify_request *req,
                       const char *kid, time_t now, const struct ak_log *log,
                       struct ak_verify_result *res)
{
    const struct ak_config *cfg = ak_dir_config(dir);
    /* Every description read is requested by name, one slot each in the
     * entry reader: nothing an owner adds can push a lock out of view.
     * 9: user_attr, objectClass, id, record, revoked, 3 policy, last use. */
    char *attrs[AK_ENTRY_ATTRS_MAX + 1];
    _Static_assert(9 + AK_OWNER_N_ATTRS <= AK_ENTRY_ATTRS_MAX,
                   "the verifier's attribute list fits the entry reader");
    /* Last use is a fact about real logins: not about "what if" checks at
     * another time (apikey verify --at) nor re-checks, and only when
     * configured. */
    bool track_use = cfg->track_last_use && now == 0 && req->key != NULL;
    struct found f = {0};
    struct ak_conn *conn = NULL;
    LDAPMessage *sres = NULL, *pres = NULL;
    char *filter = NULL;
    size_t na = 0;
    int rc;

    if (now == 0)
        now = time(NULL);
    if (ak_crypto_init() != AK_OK) {
        res->detail = "libsodium unavailable";
        goto out;
    }
    if (req->user != NULL && !ak_user_name_valid(req->user, req->user_len)) {
        /* Cannot name any entry (NUL, control bytes, bad UTF-8, length). */
        dummy_verify(req);
        res->outcome = AK_VERIFY_UNKNOWN_KEY;
        res->detail = "invalid user name";
        goto out;
    }
    filter = build_filter(cfg, req, kid);
    if (filter == NULL)
        goto out;
    /* in the order of the AT_ slots */
    attrs[na++] = cfg->user_attr;
    attrs[na++] = AK_LDAP_STR("objectClass");
    attrs[na++] = AK_LDAP_STR(AK_AT_ID);
    attrs[na++] = AK_LDAP_STR(AK_AT_RECORD);
    attrs[na++] = AK_LDAP_STR(AK_AT_REVOKED);
    attrs[na++] = AK_LDAP_STR(AK_AT_REQUIRE_EXPIRY);
    attrs[na++] = AK_LDAP_STR(AK_AT_MAX_LIFETIME);
    attrs[na++] = AK_LDAP_STR(AK_AT_NOTICE_DAYS);
    for (int a = 0; a < ak_owner_n_attrs(cfg->user_attr); a++)
        attrs[na++] = AK_LDAP_STR(ak_owner_attr_names[a]);
    if (track_use) {
        f.at_last_used = (unsigned)na;
        attrs[na++] = AK_LDAP_STR(AK_AT_LAST_USED);
    }
    attrs[na] = NULL;

    rc = search(dir, filter, attrs, log, &conn, &sres, &pres);
    if (rc != AK_OK) {
        res->outcome =
            rc == AK_ERR_NOMEM ? AK_VERIFY_INTERNAL : AK_VERIFY_UNAVAILABLE;
        goto out;
    }
    classify(ak_conn_ld(conn), sres, attrs, cfg, kid, log, &f);
    if (pres != NULL)
        classify(ak_conn_ld(conn), pres, attrs, cfg, kid, log, &f);

    if (f.unreadable) {
        dummy_verify(req);
        res->outcome = AK_VERIFY_UNAVAILABLE;
        res->detail = "an entry of the answer could not be read whole";
    } else if (f.n_holders > 1) {
        dummy_verify(req);
        res->outcome = AK_VERIFY_UNAVAILABLE;
        res->detail = "key id held by more than one entry";
    } else if (cfg->policy_dn != NULL && (!f.policy_found || f.policy_bad)) {
        dummy_verify(req);
        res->outcome = AK_VERIFY_UNAVAILABLE;
        res->detail = f.policy_bad ? "policy entry has a bad value"
                                   : "policy entry not found or not readable";
        ak_log(log, LOG_ERR, "policy %s: %s%s%s", cfg->policy_dn, res->detail,
               f.policy_bad_attr ? " in " : "",
               f.policy_bad_attr ? f.policy_bad_attr : "");
    } else if (f.n_holders == 0) {
        dummy_verify(req);
        res->outcome = AK_VERIFY_UNKNOWN_KEY;
        res->detail = "no entry owns this key id for the given user";
    } else {
        res->outcome = judge(&f, cfg, req, kid, now, log, res);
        /* After the decision, never changing it; rate-limited per key. */
        if (res->outcome == AK_VERIFY_OK && track_use)
            ak_lastuse_note(conn, f.holder_dn,
                            ak_entry_at(&f.holder, f.at_last_used), kid, now,
                            cfg->last_use_interval, log);
    }
out:
    if (f.n_holders > 0)
        ak_entry_close(&f.holder);
    ldap_msgfree(sres);
    ldap_msgfree(pres);
    if (conn != NULL)
        ak_dir_release(dir, conn);
    free(f.holder_dn);
    free(filter);
}

enum ak_outcome ak_verify(struct ak_dir *dir,
                          const struct ak_verify_request *req, time_t now,
                          const struct ak_log *log,
                          struct ak_verify_result *res)
{
    struct ak_key key;
    const char *why;

    memset(res, 0, sizeof(*res));
    res->outcome = AK_VERIFY_INTERNAL;
    if (req->key == NULL ||
        ak_key_parse(req->key, req->key_len, &key, &why) != AK_OK) {
        res->outcome = AK_VERIFY_MALFORMED;
        res->detail = req->key == NULL ? "empty" : why;
    } else {
        memcpy(res->key_id, key.id, sizeof(res->key_id));
        verify_kid(dir, req, key.id, now, log, res);
    }
    log_outcome(req, res, log);
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

    memset(res, 0, sizeof(*res));
    res->outcome = AK_VERIFY_INTERNAL;
    if (user == NULL || kid == NULL || !ak_key_id_valid(kid, strlen(kid))) {
        res->outcome = AK_VERIFY_MALFORMED;
        res->detail = "not a key id";
    } else {
        memcpy(res->key_id, kid, sizeof(res->key_id));
        verify_kid(dir, &req, kid, now, log, res);
    }
    log_outcome(&req, res, log);
    return res->outcome;
}
