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
 * does. Either is first classified (ak_status_class, ak_outcome_class) and
 * the class decides. This is the table of pam_apikey(8), RETURN VALUES:
 *
 *   class (status / outcome)     authenticate           acct_mgmt
 *   --------------------------   --------------------   ----------------
 *   OK                           PAM_SUCCESS            PAM_SUCCESS
 *   NOT_A_KEY (MALFORMED)        PAM_AUTH_ERR, or       PAM_PERM_DENIED
 *                                PAM_IGNORE with
 *                                ignore_non_keys
 *   REFUSED (WRONG_KEY,          PAM_AUTH_ERR           PAM_PERM_DENIED
 *    UNKNOWN_KEY, REVOKED,
 *    OWNER_LOCKED, SCOPE_DENIED)
 *   EXPIRED                      PAM_AUTH_ERR           PAM_ACCT_EXPIRED
 *   UNAVAILABLE (UNAVAILABLE,    PAM_AUTHINFO_UNAVAIL   PAM_AUTHINFO_UNAVAIL
 *    AK_ERR_BACKEND)
 *   LOCAL_CONFIG (AK_ERR_CONFIG, PAM_SERVICE_ERR        PAM_SERVICE_ERR
 *    AK_ERR_IO), NOT_FOUND,
 *    DENIED, INVALID
 *   NOMEM (AK_ERR_NOMEM)         PAM_BUF_ERR            PAM_BUF_ERR
 *   INTERNAL (INTERNAL,          PAM_SYSTEM_ERR         PAM_SYSTEM_ERR
 *    AK_ERR_CRYPTO), BAD_INPUT,
 *    CONFLICT, UNKNOWN (any
 *    value without a row)
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
