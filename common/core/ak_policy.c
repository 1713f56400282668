/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_policy.c - the policy entry, effective expiry and creation limits */
#include "ak_policy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ak_schema.h"
#include "ak_status.h"
#include "ak_text.h"
#include "ak_time.h"
#include "ak_view.h"

int ak_policy_set(struct ak_policy *p, const char *attr, const char *value,
                  size_t len, const char **why)
{
    long long n;

    if (strcasecmp(attr, "apiKeyRequireExpiry") == 0) {
        /* LDAP BOOLEAN is exactly TRUE or FALSE (RFC 4517). */
        if (len == 4 && memcmp(value, "TRUE", 4) == 0)
            p->require_expiry = true;
        else if (len == 5 && memcmp(value, "FALSE", 5) == 0)
            p->require_expiry = false;
        else
            goto bad;
    } else if (strcasecmp(attr, "apiKeyMaxLifetime") == 0) {
        if (!ak_parse_int(value, len, 0, AK_MAX_LIFETIME_DAYS, &n))
            goto bad;
        p->max_lifetime_days = (unsigned)n;
    } else if (strcasecmp(attr, "apiKeyNoticeDays") == 0) {
        if (!ak_parse_int(value, len, 0, AK_NOTICE_DAYS_MAX, &n) ||
            p->n_notice_days >= AK_NOTIFIED_MAX)
            goto bad;
        p->notice_days[p->n_notice_days++] = (unsigned)n;
    }
    return AK_OK;
bad:
    *why = attr;
    return AK_ERR_MALFORMED;
}

bool ak_policy_effective_expiry(const struct ak_policy *p,
                                const struct ak_record *r, time_t *out)
{
    bool has = r->has_expires;
    time_t e = r->expires;

    if (p != NULL && p->max_lifetime_days > 0) {
        time_t cap = r->created + (time_t)p->max_lifetime_days * 86400;
        if (!has || cap < e)
            e = cap;
        has = true;
    }
    if (r->has_end && (!has || r->end < e)) {
        e = r->end;
        has = true;
    }
    if (has)
        *out = e;
    return has;
}

enum ak_key_verdict ak_policy_judge(const struct ak_policy *p,
                                    const struct ak_record *r, time_t now,
                                    time_t *eff, bool *has_eff)
{
    time_t e = 0;
    bool has = ak_policy_effective_expiry(p, r, &e);

    if (eff != NULL)
        *eff = e;
    if (has_eff != NULL)
        *has_eff = has;
    if (r->created > now + AK_CLOCK_SKEW)
        return AK_KEY_CREATED_IN_FUTURE;
    if (r->is_revoked)
        return AK_KEY_REVOKED;
    if (!has && p != NULL && p->require_expiry)
        return AK_KEY_EXPIRY_REQUIRED;
    if (has && now >= e)
        return r->has_end && r->end == e ? AK_KEY_REPLACED : AK_KEY_EXPIRED;
    return AK_KEY_VALID;
}

int ak_policy_check_new(const struct ak_policy *p, time_t now, bool has_expires,
                        time_t expires, char *why, size_t whylen)
{
    if (has_expires && expires <= now) {
        snprintf(why, whylen, "the expiry date lies in the past");
        return AK_ERR_DENIED;
    }
    if (p == NULL)
        return AK_OK;
    if (p->require_expiry && !has_expires) {
        if (p->max_lifetime_days > 0)
            snprintf(why, whylen,
                     "the policy requires an expiry date, at most %u days "
                     "from now",
                     p->max_lifetime_days);
        else
            snprintf(why, whylen, "the policy requires an expiry date");
        return AK_ERR_DENIED;
    }
    if (p->max_lifetime_days > 0) {
        time_t cap = now + (time_t)p->max_lifetime_days * 86400;
        if (!has_expires || expires > cap) {
            char ts[32] = "?";
            struct tm tm;
            if (gmtime_r(&cap, &tm) != NULL)
                strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M UTC", &tm);
            snprintf(why, whylen,
                     "the policy allows keys of at most %u days "
                     "(expiring by %s)",
                     p->max_lifetime_days, ts);
            return AK_ERR_DENIED;
        }
    }
    return AK_OK;
}

/* One attribute of the policy entry: single-valued unless multi, and a
 * subtype with options is not the policy's value (an admin's entry we
 * cannot read as meant fails closed). */
static int policy_attr(struct ak_policy *p, const char *name,
                       const struct ak_values *vs, bool multi,
                       const char **bad_attr)
{
    if (vs->tagged || (vs->n > 1 && !multi)) {
        *bad_attr = name;
        return AK_ERR_MALFORMED;
    }
    for (unsigned i = 0; i < vs->n; i++)
        if (ak_policy_set(p, name, vs->v[i].p, vs->v[i].n, bad_attr) != AK_OK)
            return AK_ERR_MALFORMED;
    return AK_OK;
}

int ak_policy_from_view(const struct ak_policy_view *pv, struct ak_policy *out,
                        const char **bad_attr)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = policy_attr(out, AK_AT_REQUIRE_EXPIRY, &pv->require_expiry, false,
                     bad_attr);
    if (rc == AK_OK)
        rc = policy_attr(out, AK_AT_MAX_LIFETIME, &pv->max_lifetime, false,
                         bad_attr);
    if (rc == AK_OK)
        rc = policy_attr(out, AK_AT_NOTICE_DAYS, &pv->notice_days, true,
                         bad_attr);
    return rc;
}
