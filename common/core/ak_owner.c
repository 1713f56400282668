/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_owner.c - the owner-state attributes and what each value means */
#include "ak_owner.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "ak_status.h"
#include "ak_text.h"
#include "ak_time.h"
#include "ak_view.h"

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

static bool eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
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
        if (!ak_parse_int(value, len, -1, 10000000, &n))
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
        if (!ak_parse_int(value, len, INT32_MIN, UINT32_MAX, &n))
            return "unreadable userAccountControl";
        if ((unsigned long long)n & 0x2u)
            return "account disabled (userAccountControl)";
        return NULL;
    case AK_OWNER_AD_EXPIRES:
        /* 100 ns intervals since 1601-01-01 UTC; 0 and 2^63-1 = never */
        if (!ak_parse_int(value, len, 0, INT64_MAX, &n))
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
        if (!ak_parse_int(value, len, 0, INT64_MAX, &n))
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

const char *ak_owner_lock(const struct ak_holder_view *v, time_t now)
{
    for (unsigned a = 0; a < v->n_locks && a < AK_OWNER_N_ATTRS; a++) {
        const struct ak_values *vs = &v->locks[a];
        if (vs->tagged)
            return ak_owner_tagged_locks((enum ak_owner_attr)a);
        for (unsigned i = 0; i < vs->n; i++) {
            const char *why = ak_owner_value_locks((enum ak_owner_attr)a,
                                                   vs->v[i].p, vs->v[i].n, now);
            if (why != NULL)
                return why;
        }
    }
    return NULL;
}
