/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_policy.h - the expiry policy: effective expiry and creation limits (pure)
 */
#ifndef AK_POLICY_H
#define AK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_record.h"

/* A record may claim a creation time at most this far in the future
 * (clock skew between replicas and hosts); beyond it the record is refused,
 * because a future "created" would stretch the maximum lifetime. */
#define AK_CLOCK_SKEW 300
#define AK_MAX_LIFETIME_DAYS 36500

/* The organisation's key policy (objectClass apiKeyPolicy). */
struct ak_policy {
    bool require_expiry;        /* apiKeyRequireExpiry */
    unsigned max_lifetime_days; /* apiKeyMaxLifetime; 0 = no cap */
    unsigned n_notice_days;     /* apiKeyNoticeDays */
    unsigned notice_days[AK_NOTIFIED_MAX];
};

/*
 * Apply one attribute value of the policy entry. Attribute names are
 * compared case-insensitively; unknown attributes are ignored (AK_OK) so
 * the entry can carry other object classes. A bad value of a known
 * attribute is AK_ERR_MALFORMED with *why set: the caller fails closed.
 */
int ak_policy_set(struct ak_policy *p, const char *attr, const char *value,
                  size_t len, const char **why);

/*
 * The policy from its entry's values: the one reading of a policy entry
 * (verifier, management, daemon). apiKeyRequireExpiry and
 * apiKeyMaxLifetime hold at most one value; no attribute may come with
 * options. AK_OK, or AK_ERR_MALFORMED with *bad_attr naming the attribute:
 * the caller fails closed.
 */
struct ak_policy_view;
int ak_policy_from_view(const struct ak_policy_view *pv, struct ak_policy *out,
                        const char **bad_attr);

enum ak_key_verdict {
    AK_KEY_VALID,
    AK_KEY_REVOKED,
    AK_KEY_EXPIRED,           /* past effective expiry */
    AK_KEY_EXPIRY_REQUIRED,   /* policy requires an expiry, key has none */
    AK_KEY_REPLACED,          /* rotated, and its grace period is over */
    AK_KEY_CREATED_IN_FUTURE, /* record not trustworthy */
};

/*
 * The expiry that applies to r under p, whatever the record says: the
 * earliest of the record's expiry, created + max lifetime and the end a
 * rotation gave it (r->has_end). Returns false when the key never expires.
 */
bool ak_policy_effective_expiry(const struct ak_policy *p,
                                const struct ak_record *r, time_t *out);

/*
 * Judge a key at time now. A key is valid while now < effective expiry: at
 * the expiry second itself it is already expired. *eff / *has_eff receive
 * the effective expiry (may be NULL). A key whose rotation's grace period
 * is over is AK_KEY_REPLACED.
 */
enum ak_key_verdict ak_policy_judge(const struct ak_policy *p,
                                    const struct ak_record *r, time_t now,
                                    time_t *eff, bool *has_eff);

/*
 * May a new key with this expiry be created now? AK_OK, or AK_ERR_DENIED
 * with a sentence in why[0..whylen) that states the limit.
 */
int ak_policy_check_new(const struct ak_policy *p, time_t now, bool has_expires,
                        time_t expires, char *why, size_t whylen);

#endif
