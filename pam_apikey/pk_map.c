/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_map.c - verifier results to PAM codes, and the expiry warning */
#include "pk_map.h"

#include <stdio.h>

#include <security/_pam_types.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One row per class (ak_status.h): authenticate, authenticate with
 * ignore_non_keys, acct_mgmt. Classes the module meets only through a file
 * or not at all answer as the local faults they would be.
 */
static const struct pam_row {
    enum ak_class cls;
    int auth, auth_ignore, acct;
} pam_rows[] = {
    {AK_CLASS_UNKNOWN, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
    {AK_CLASS_OK, PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS},
    {AK_CLASS_REFUSED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
    {AK_CLASS_EXPIRED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_ACCT_EXPIRED},
    {AK_CLASS_NOT_A_KEY, PAM_AUTH_ERR, PAM_IGNORE, PAM_PERM_DENIED},
    {AK_CLASS_UNAVAILABLE, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
     PAM_AUTHINFO_UNAVAIL},
    /* apikey.conf missing, unreadable, unsafe or invalid, or a bad module
     * argument: this service's setup is broken, which is what
     * PAM_SERVICE_ERR says (PAM_SYSTEM_ERR is for the rest) */
    {AK_CLASS_LOCAL_CONFIG, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR},
    {AK_CLASS_NOMEM, PAM_BUF_ERR, PAM_BUF_ERR, PAM_BUF_ERR},
    {AK_CLASS_INTERNAL, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
    /* the module parses no framing of its own */
    {AK_CLASS_BAD_INPUT, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
    /* only apikey.conf can be missing here: as LOCAL_CONFIG */
    {AK_CLASS_NOT_FOUND, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR},
    {AK_CLASS_CONFLICT, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
    /* not met (the verifier's refusals are outcomes); the directory
     * refusing the service account would be the admin's to fix */
    {AK_CLASS_DENIED, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR},
    {AK_CLASS_INVALID, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR},
};
_Static_assert(N_ROWS(pam_rows) == AK_CLASS_LAST + 1, "one row a class");

int pk_pam_code(enum pk_phase phase, int status, enum ak_outcome outcome,
                bool ignore_non_keys)
{
    /* A local failure decides by itself; otherwise the outcome does. */
    enum ak_class cls =
        status != AK_OK ? ak_status_class(status) : ak_outcome_class(outcome);

    for (size_t i = 0; i < N_ROWS(pam_rows); i++) {
        const struct pam_row *r = &pam_rows[i];
        if (r->cls != cls)
            continue;
        if (phase != PK_AUTH)
            return r->acct;
        return ignore_non_keys ? r->auth_ignore : r->auth;
    }
    return PAM_SYSTEM_ERR; /* a class without a row fails closed */
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
