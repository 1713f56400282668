/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_map.h - what pam_apikey answers libpam: the one mapping, and the
 * expiry warning (pure) */
#ifndef PK_MAP_H
#define PK_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_status.h"

enum pk_phase {
    PK_AUTH, /* pam_sm_authenticate */
    PK_ACCT, /* pam_sm_acct_mgmt */
};

/*
 * The PAM return code for one result. A local failure (status != AK_OK:
 * config, memory, ...) decides by itself; otherwise the verifier's outcome
 * does. This is the table of pam_apikey(8), RETURN VALUES:
 *
 *   status / outcome        authenticate           acct_mgmt
 *   ---------------------   --------------------   --------------------
 *   AK_ERR_NOMEM            PAM_BUF_ERR            PAM_BUF_ERR
 *   AK_ERR_CONFIG,          PAM_SERVICE_ERR        PAM_SERVICE_ERR
 *    _NOT_FOUND, _INVALID,
 *    _DENIED
 *   AK_ERR_BACKEND          PAM_AUTHINFO_UNAVAIL   PAM_AUTHINFO_UNAVAIL
 *   any other AK_ERR_*      PAM_SYSTEM_ERR         PAM_SYSTEM_ERR
 *   OK                      PAM_SUCCESS            PAM_SUCCESS
 *   MALFORMED (not a key)   PAM_AUTH_ERR, or       PAM_PERM_DENIED
 *                           PAM_IGNORE with
 *                           ignore_non_keys
 *   WRONG_KEY, UNKNOWN_KEY  PAM_AUTH_ERR           PAM_PERM_DENIED
 *   EXPIRED                 PAM_AUTH_ERR           PAM_ACCT_EXPIRED
 *   REVOKED, OWNER_LOCKED,  PAM_AUTH_ERR           PAM_PERM_DENIED
 *    SCOPE_DENIED
 *   UNAVAILABLE             PAM_AUTHINFO_UNAVAIL   PAM_AUTHINFO_UNAVAIL
 *   INTERNAL, anything else PAM_SYSTEM_ERR         PAM_SYSTEM_ERR
 *
 * Authentication failures are deliberately uniform (no oracle for which
 * users or keys exist); the log line carries the precise reason. In the
 * account phase the key already proved itself, so the code is precise.
 */
int pk_pam_code(enum pk_phase phase, int status, enum ak_outcome outcome,
                bool ignore_non_keys);

/*
 * The acct_mgmt warning for a key expiring at expires, seen at now: writes
 * "Your API key <kid> expires in N day(s)." into buf and returns true when
 * 0 < expires - now <= warn_days days (N rounded up, so never 0); false
 * (buf untouched) otherwise or when warn_days is 0.
 */
bool pk_expiry_notice(char *buf, size_t size, const char *kid, time_t expires,
                      time_t now, unsigned warn_days);

#endif
