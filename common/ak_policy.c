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
    "pwdAccountLockedTime", "pwdStartTime",   "pwdEndTime",
    "shadowExpire",         "apiKeyDisabled", "nsAccountLock",
    "userAccountControl",   "accountExpires", "lockoutTime",
};

int ak_owner_n_attrs(const char *user_attr)
{
    if (user_attr != NULL && (strcasecmp(user_attr, "sAMAccountName") == 0 ||
                              strcasecmp(user_attr, "userPrincipalName") == 0))
        return AK_OWNER_N_ATTRS;
    return AK_OWNER_N_COMMON;
}

/* Parse a decimal integer (optional leading '-') with no junk, into
 * [min, max]; up to 19 digits (AD's accountExpires "never" is 2^63-1). */
static bool parse_int(const char *s, size_t len, long long min, long long max,
                      long long *out)
{
    unsigned long long v = 0;
    long long r;
    bool neg = false;
    size_t i = 0;

    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len || len - i > 19)
        return false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0'); /* 19 digits fit in 64 bits */
    }
    if (v > (unsigned long long)INT64_MAX)
        return false;
    r = neg ? -(long long)v : (long long)v;
    if (r < min || r > max)
        return false;
    *out = r;
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

/* Seconds from 1601-01-01 (the AD FILETIME epoch) to 1970-01-01. */
#define AD_EPOCH_OFFSET 11644473600LL

const char *ak_owner_value_locks(enum ak_owner_attr which, const char *value,
                                 size_t len, time_t now)
{
    long long n;
    time_t t;

    switch (which) {
    case AK_OWNER_PWD_LOCKED:
        /* Any value: ppolicy clears it when the lock ends. */
        return "account locked (pwdAccountLockedTime)";
    case AK_OWNER_PWD_START:
        /* ppolicy 2.5: no authentication before this time */
        if (ak_time_parse(value, len, false, &t) != AK_OK)
            return "unreadable pwdStartTime";
        return now < t ? "account not yet valid (pwdStartTime)" : NULL;
    case AK_OWNER_PWD_END:
        /* ppolicy 2.5: no authentication from this time on */
        if (ak_time_parse(value, len, false, &t) != AK_OK)
            return "unreadable pwdEndTime";
        return now >= t ? "account no longer valid (pwdEndTime)" : NULL;
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
    case AK_OWNER_AD_EXPIRES:
        /* 100 ns intervals since 1601-01-01 UTC; 0 and 2^63-1 = never */
        if (!parse_int(value, len, 0, INT64_MAX, &n))
            return "unreadable accountExpires";
        if (n == 0 || n == INT64_MAX)
            return NULL;
        if (n / 10000000 - AD_EPOCH_OFFSET <= (long long)now)
            return "account expired (accountExpires)";
        return NULL;
    case AK_OWNER_AD_LOCKOUT:
        /* Non-zero while locked out. AD leaves it set after an automatic
         * unlock until the next password logon or an admin's unlock, so
         * keys may stay locked longer than passwords (documented). */
        if (!parse_int(value, len, 0, INT64_MAX, &n))
            return "unreadable lockoutTime";
        return n != 0 ? "account locked out (lockoutTime)" : NULL;
    case AK_OWNER_N_ATTRS:
        break;
    }
    return "unknown owner attribute";
}

const char *ak_owner_tagged_locks(enum ak_owner_attr which)
{
    static const char *const why[AK_OWNER_N_ATTRS] = {
        "tagged pwdAccountLockedTime", "tagged pwdStartTime",
        "tagged pwdEndTime",           "tagged shadowExpire",
        "tagged apiKeyDisabled",       "tagged nsAccountLock",
        "tagged userAccountControl",   "tagged accountExpires",
        "tagged lockoutTime",
    };
    return (unsigned)which < AK_OWNER_N_ATTRS ? why[which]
                                              : "unknown owner attribute";
}
