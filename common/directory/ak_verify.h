/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_verify.h - the one key verifier every component calls */
#ifndef AK_VERIFY_H
#define AK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_key.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_status.h"

struct ak_verify_request {
    /* Who claims the key; length-delimited, may hold any byte. NULL: find
     * the owner from the key id (SASL without a user name). */
    const char *user;
    size_t user_len;
    /* The presented key, length-delimited. Never copied, never logged. */
    const char *key;
    size_t key_len;
    /* The PAM or SASL service asking ("sshd", "smtp"); checked against the
     * key's scope. May be NULL. */
    const char *service;
    /* Extra context for the log line only ("rhost=..."); may be NULL. */
    const char *log_context;
    /* The name must be the entry's user_attr value byte for byte, even
     * with user_name_match ascii-case: PAM keeps PAM_USER as it is and
     * the account it names is the one the session is for. */
    bool exact_name;
};

struct ak_verify_result {
    enum ak_outcome outcome;
    char key_id[AK_KEY_ID_LEN + 1]; /* "" when the key did not parse */
    char *owner_dn;                 /* malloc, NULL when not found */
    char *owner_name;               /* user name of the owner, malloc */
    bool service_user;              /* owner is an apiKeyServiceUser */
    bool has_expiry; /* effective expiry known (policy applied) */
    time_t expires;
    const char *detail; /* static phrase with the precise reason, or NULL */
};

/*
 * Verify one key at time now (0: the current time).
 *
 * Fails closed: the outcome is AK_VERIFY_OK only when the key parses, one
 * entry under user_base/service_base owns its id (and, when a user name is
 * given, the entry's single user_attr value is that name: byte for byte,
 * or but for ASCII case under user_name_match ascii-case; never by the
 * directory's looser matching rule), every entry of the answer could be
 * read whole,
 * exactly one well-formed record matches the secret (constant-time), the
 * record is neither revoked (in the record or in apiKeyRevoked) nor
 * expired under the policy or by a rotation, the owner is not locked,
 * disabled or expired (a lock attribute with options, "attr;x", locks too),
 * and the service is within the key's scope. res->owner_name is always the
 * entry's own user_attr value, never the name as the client spelled it.
 *
 * Cost: a malformed key makes no LDAP traffic; anything else makes exactly
 * one search on a pooled connection (two, pipelined, when policy_dn lies
 * outside the search base), plus one retry on a fresh connection when a
 * pooled one turns out dead. An unknown user or key costs a hash like a
 * wrong key, so timing does not reveal which users exist.
 *
 * One line is logged per call: LOG_INFO on success, LOG_NOTICE on refusal
 * (with the precise reason), LOG_ERR when the directory is unavailable.
 * The user name is not logged when no entry matched (it may be a mistyped
 * password). res must be cleared with ak_verify_result_clear().
 */
enum ak_outcome ak_verify(struct ak_dir *dir,
                          const struct ak_verify_request *req, time_t now,
                          const struct ak_log *log,
                          struct ak_verify_result *res);

/*
 * Judge the key with id kid of user exactly as ak_verify() would once its
 * secret matched (revoked, expired under the policy, owner locked, out of
 * scope for service), with the same single search, but without any secret.
 * This never authenticates anybody: it re-checks a key whose secret was
 * verified earlier in the same PAM transaction, when acct_mgmt runs in
 * another process (sshd's auth child hands its PAM environment back to the
 * monitor). user is required and must be the entry's name exactly (PAM).
 * A refusal is logged as an "account check".
 */
enum ak_outcome ak_verify_state(struct ak_dir *dir, const char *user,
                                const char *kid, const char *service,
                                time_t now, const struct ak_log *log,
                                struct ak_verify_result *res);

void ak_verify_result_clear(struct ak_verify_result *res);

#endif
