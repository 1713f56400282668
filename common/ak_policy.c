/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_policy.c - effective expiry, creation limits and owner state */
#include "ak_policy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ak_status.h"
#include "ak_time.h"

const char *const ak_owner_attr_names[AK_OWNER_N_ATTRS] = {
    "pwdAccountLockedTime", "shadowExpire",       "apiKeyDisabled",
    "nsAccountLock",        "userAccountControl",
};

/* Parse a decimal integer (optional leading '-') with no junk. */
static bool parse_int(const char *s, size_t len, long long min, long long max,
                      long long *out)
{
    long long v = 0;
    bool neg = false;
    size_t i = 0;

    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len || len - i > 18)
        return false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

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
        if (!parse_int(value, len, 0, AK_MAX_LIFETIME_DAYS, &n))
            goto bad;
        p->max_lifetime_days = (unsigned)n;
    } else if (strcasecmp(attr, "apiKeyNoticeDays") == 0) {
        if (!parse_int(value, len, 0, AK_NOTICE_DAYS_MAX, &n) ||
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
        return AK_KEY_EXPIRED;
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

const char *ak_owner_value_locks(enum ak_owner_attr which, const char *value,
                                 size_t len, time_t now)
{
    long long n;

    switch (which) {
    case AK_OWNER_PWD_LOCKED:
        /* Any value: ppolicy clears it when the lock ends. */
        return "account locked (pwdAccountLockedTime)";
    case AK_OWNER_SHADOW_EXPIRE:
        if (!parse_int(value, len, -1, 10000000, &n))
            return "unreadable shadowExpire";
        /* As pam_unix: expired once today >= shadowExpire; -1 = never. */
        if (n >= 0 && (long long)(now / 86400) >= n)
            return "account expired (shadowExpire)";
        return NULL;
    case AK_OWNER_DISABLED:
        if (len == 5 && memcmp(value, "FALSE", 5) == 0)
            return NULL;
        return "account disabled (apiKeyDisabled)";
    case AK_OWNER_NS_LOCK:
        if (eq(value, len, "false"))
            return NULL;
        return "account locked (nsAccountLock)";
    case AK_OWNER_AD_UAC:
        if (!parse_int(value, len, INT32_MIN, UINT32_MAX, &n))
            return "unreadable userAccountControl";
        if ((unsigned long long)n & 0x2u)
            return "account disabled (userAccountControl)";
        return NULL;
    case AK_OWNER_N_ATTRS:
        break;
    }
    return "unknown owner attribute";
}
