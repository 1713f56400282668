/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_judge.c - the decision about one key, over a plain holder view */
#include "ak_judge.h"

#include <string.h>

#include "ak_hash.h"
#include "ak_owner.h"
#include "ak_revocation.h"
#include "ak_schema.h"
#include "ak_text.h"

static const uint8_t dummy_salt[AK_HASH_SALT_LEN];
static const uint8_t dummy_digest[AK_HASH_DIGEST_LEN];

void ak_hash_dummy(const char *key, size_t key_len)
{
    (void)ak_hash_verify(dummy_digest, key, key_len, dummy_salt);
}

int ak_view_record_index(const struct ak_holder_view *v, const char *kid,
                         unsigned *index)
{
    unsigned n = 0;

    for (unsigned i = 0; i < v->records.n; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(v->records.v[i].p, v->records.v[i].n, id) &&
            strcmp(id, kid) == 0) {
            *index = i;
            n++;
        }
    }
    return n == 1 ? AK_OK : n == 0 ? AK_ERR_NOT_FOUND : AK_ERR_CONFLICT;
}

int ak_view_key(const struct ak_holder_view *v, unsigned i,
                struct ak_record *out, const char **why)
{
    const char *w = NULL;

    if (i >= v->records.n)
        return AK_ERR_INVALID;
    if (ak_record_parse(v->records.v[i].p, v->records.v[i].n, out, &w) !=
        AK_OK) {
        if (why != NULL)
            *why = w;
        return AK_ERR_MALFORMED;
    }
    /* Values with options are not the attribute: never in v->revoked. */
    for (unsigned k = 0; k < v->revoked.n; k++)
        (void)ak_revocation_apply(out, v->revoked.v[k].p, v->revoked.v[k].n);
    return AK_OK;
}

bool ak_view_name(const struct ak_holder_view *v, struct ak_bytes *out)
{
    if (v->name.n != 1 || !ak_user_name_valid(v->name.v[0].p, v->name.v[0].n))
        return false;
    *out = v->name.v[0];
    return true;
}

static void log_record(const struct ak_holder_view *v, const struct ak_claim *c,
                       const struct ak_log *log, const char *why)
{
    char q[256];
    ak_log(log, LOG_WARNING, "entry %s: key %s: %s; record skipped",
           ak_log_quote(q, sizeof(q), v->dn, (unsigned)v->dn_len), c->kid, why);
}

/* Whose key is it, and which record: everything before the secret. */
static enum ak_outcome locate(const struct ak_holder_view *v,
                              const struct ak_claim *c,
                              const struct ak_log *log, struct ak_record *rec,
                              struct ak_judgement *out)
{
    const char *why = NULL;
    unsigned i = 0;
    int rc;

    if (v == NULL) {
        out->detail = "no entry owns this key id for the given user";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    out->service_user =
        ak_values_has(&v->object_class, AK_OC_SERVICE_USER, true);
    if (!ak_view_name(v, &out->owner_name)) {
        out->detail = "owner entry has no single valid user name";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    /* The directory found the entry with its own matching rule (uid:
     * caseIgnoreMatch folds case, width and spaces); identity is here. */
    if (c->user != NULL &&
        !ak_text_equal(c->user, c->user_len, out->owner_name.p,
                       out->owner_name.n, c->name_ascii_case)) {
        out->detail = c->name_ascii_case
                          ? "the name given is not the entry's user name "
                            "(ASCII case aside)"
                          : "the name given is not the entry's user name "
                            "exactly";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    rc = ak_view_record_index(v, c->kid, &i);
    if (rc == AK_OK)
        rc = ak_view_key(v, i, rec, &why);
    else
        why = rc == AK_ERR_NOT_FOUND ? "no record for this key id"
                                     : "several records for this key id";
    if (rc != AK_OK) {
        log_record(v, c, log, why);
        out->detail = "no usable record";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    return AK_VERIFY_OK;
}

/* The key's own state under the policy. */
static enum ak_outcome
key_state(const struct ak_holder_view *v, const struct ak_policy *policy,
          const struct ak_claim *c, const struct ak_record *rec, time_t now,
          const struct ak_log *log, struct ak_judgement *out)
{
    switch (
        ak_policy_judge(policy, rec, now, &out->expires, &out->has_expiry)) {
    case AK_KEY_VALID:
        return AK_VERIFY_OK;
    case AK_KEY_REVOKED:
        return AK_VERIFY_REVOKED;
    case AK_KEY_EXPIRED:
        out->detail = rec->has_expires && rec->expires == out->expires
                          ? "past its expiry"
                          : "past the policy's maximum lifetime";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_EXPIRY_REQUIRED:
        out->detail = "no expiry, and the policy requires one";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_REPLACED:
        out->detail = "replaced by a rotation; its grace period is over";
        return AK_VERIFY_EXPIRED;
    case AK_KEY_CREATED_IN_FUTURE:
        log_record(v, c, log, "record created in the future");
        out->detail = "record created in the future";
        return AK_VERIFY_UNKNOWN_KEY;
    }
    return AK_VERIFY_INTERNAL; /* a verdict this switch does not know */
}

enum ak_outcome ak_judge(const struct ak_holder_view *v,
                         const struct ak_policy *policy,
                         const struct ak_claim *c, time_t now,
                         const struct ak_log *log, struct ak_judgement *out)
{
    struct ak_record rec;
    enum ak_outcome o;
    bool match = false;

    memset(out, 0, sizeof(*out));
    o = locate(v, c, log, &rec, out);
    /* One hash on every path, found or not: timing tells nothing. */
    if (c->check == AK_CHECK_SECRET) {
        bool found = o == AK_VERIFY_OK;
        match = ak_hash_verify(found ? rec.digest : dummy_digest, c->key,
                               c->key_len, found ? rec.salt : dummy_salt);
        out->hashed = true;
    }
    if (o == AK_VERIFY_OK && c->check == AK_CHECK_SECRET && !match)
        o = AK_VERIFY_WRONG_KEY;
    if (o == AK_VERIFY_OK)
        o = key_state(v, policy, c, &rec, now, log, out);
    if (o == AK_VERIFY_OK) {
        out->detail = ak_owner_lock(v, now);
        if (out->detail != NULL)
            o = AK_VERIFY_OWNER_LOCKED;
    }
    if (o == AK_VERIFY_OK && !ak_record_allows_service(&rec, c->service)) {
        out->detail = "service outside the key's scope";
        o = AK_VERIFY_SCOPE_DENIED;
    }
    out->outcome = o;
    return o;
}
