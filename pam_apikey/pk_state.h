/* SPDX-License-Identifier: BSD-3-Clause */
/* pk_state.h - the state of a key that authenticated, read without its
 * secret, for acct_mgmt in another process than authenticate */
#ifndef PK_STATE_H
#define PK_STATE_H

#include <stdbool.h>
#include <time.h>

#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_status.h"

struct pk_key_state {
    bool has_expiry; /* effective expiry (policy applied) known */
    time_t expires;
    const char *detail; /* static phrase with the precise reason, or NULL */
};

/*
 * Judge key kid of user now, as ak_verify() would judge it after the
 * secret matched: revoked, expired under the policy, owner locked, out of
 * scope for service. No secret is involved, so this never authenticates
 * anybody; it only re-checks a key whose secret was verified earlier in
 * the same PAM transaction, in another process (sshd's privilege-separated
 * auth child hands its PAM environment back to the monitor).
 *
 * Cost: one search for the holder entry plus, when policy_dn is set, one
 * base search for the policy, on one connection. One line is logged when
 * the key is refused or cannot be checked.
 *
 * Returns AK_VERIFY_OK, _MALFORMED (kid is not a key id), _UNKNOWN_KEY (no
 * such key for this user, or its record is unusable), _EXPIRED, _REVOKED,
 * _OWNER_LOCKED, _SCOPE_DENIED, _UNAVAILABLE or _INTERNAL.
 */
enum ak_outcome pk_key_state(struct ak_dir *dir, const char *user,
                             const char *kid, const char *service, time_t now,
                             const struct ak_log *log,
                             struct pk_key_state *out);

#endif
