/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_map.c - verifier results to PAM codes, and the expiry warning */
#include "pk_map.h"

#include <stdio.h>

#include <security/_pam_types.h>

static int status_code(int status)
{
    switch (status) {
    case AK_ERR_NOMEM:
        return PAM_BUF_ERR;
    case AK_ERR_CONFIG:
    case AK_ERR_NOT_FOUND: /* the config or bind password file is missing */
    case AK_ERR_INVALID:
    case AK_ERR_DENIED: /* unsafe file ownership or mode */
        return PAM_SERVICE_ERR;
    case AK_ERR_BACKEND:
        return PAM_AUTHINFO_UNAVAIL;
    default:
        return PAM_SYSTEM_ERR;
    }
}

int pk_pam_code(enum pk_phase phase, int status, enum ak_outcome outcome,
                bool ignore_non_keys)
{
    const bool auth = phase == PK_AUTH;

    if (status != AK_OK)
        return status_code(status);
    switch (outcome) {
    case AK_VERIFY_OK:
        return PAM_SUCCESS;
    case AK_VERIFY_MALFORMED:
        if (auth)
            return ignore_non_keys ? PAM_IGNORE : PAM_AUTH_ERR;
        return PAM_PERM_DENIED;
    case AK_VERIFY_WRONG_KEY:
    case AK_VERIFY_UNKNOWN_KEY:
    case AK_VERIFY_REVOKED:
    case AK_VERIFY_OWNER_LOCKED:
    case AK_VERIFY_SCOPE_DENIED:
        return auth ? PAM_AUTH_ERR : PAM_PERM_DENIED;
    case AK_VERIFY_EXPIRED:
        return auth ? PAM_AUTH_ERR : PAM_ACCT_EXPIRED;
    case AK_VERIFY_UNAVAILABLE:
        return PAM_AUTHINFO_UNAVAIL;
    case AK_VERIFY_INTERNAL:
        break;
    }
    return PAM_SYSTEM_ERR; /* unknown values fail closed */
}

bool pk_expiry_notice(char *buf, size_t size, const char *kid, time_t expires,
                      time_t now, unsigned warn_days)
{
    const long long day = 86400;
    long long left, days;

    if (warn_days == 0 || expires <= now)
        return false;
    left = (long long)expires - (long long)now;
    days = (left + day - 1) / day; /* 1 s left is "1 day", never "0 days" */
    if (days > (long long)warn_days)
        return false;
    snprintf(buf, size, "Your API key %s expires in %lld day%s.", kid, days,
             days == 1 ? "" : "s");
    return true;
}
