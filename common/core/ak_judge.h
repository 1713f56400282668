/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_judge.h - the whole decision about one key, over a plain holder view */
#ifndef AK_JUDGE_H
#define AK_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_key.h"
#include "ak_log.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_status.h"
#include "ak_view.h"

/*
 * Pure: no directory, no I/O but the log line about a bad record. The
 * verifier (ak_verify.c) finds the holder entry and the policy, and this
 * decides; a module inside slapd will call it over an Entry, the unit test
 * over a table.
 */

/* What is being checked: a presented secret (a login), or the state of a
 * key whose secret was checked earlier in the same PAM transaction. */
enum ak_check {
    AK_CHECK_SECRET,
    AK_CHECK_ACCOUNT,
};

/* What the client claimed. */
struct ak_claim {
    enum ak_check check;
    const char *key; /* the presented key (AK_CHECK_SECRET); never logged */
    size_t key_len;
    const char *kid;  /* its key id, valid (ak_key_id_valid) */
    const char *user; /* the name given, NULL: none (found by key id) */
    size_t user_len;
    /* The name may differ from the entry's in ASCII case only
     * (user_name_match ascii-case, and not a PAM request). */
    bool name_ascii_case;
    const char *service; /* checked against the key's scope; may be NULL */
};

struct ak_judgement {
    enum ak_outcome outcome;
    const char *detail;         /* static reason, or NULL */
    struct ak_bytes owner_name; /* the entry's own name; p NULL: none */
    bool service_user;
    bool has_expiry; /* the effective expiry (policy applied) */
    time_t expires;
    /* A key was hashed (AK_CHECK_SECRET, always exactly once): a caller
     * that refuses before judging hashes a dummy instead (ak_hash_dummy),
     * so every refusal costs the same. */
    bool hashed;
};

/*
 * Judge claim c against holder v (NULL: no entry owns the key id for the
 * name given) under policy (NULL: none configured) at time now. In order:
 * the entry has one valid user name, the name given is that name (byte for
 * byte, or but for ASCII case when allowed), exactly one well-formed record
 * has the key id, the secret matches (constant time; AK_CHECK_SECRET), the
 * key is neither revoked nor ended nor expired under the policy, the owner
 * is not locked, and the service is in the key's scope. Never fails open:
 * every value it cannot read refuses.
 */
enum ak_outcome ak_judge(const struct ak_holder_view *v,
                         const struct ak_policy *policy,
                         const struct ak_claim *c, time_t now,
                         const struct ak_log *log, struct ak_judgement *out);

/* The hashing work of one comparison, for a refusal decided before any
 * record was found. */
void ak_hash_dummy(const char *key, size_t key_len);

/*
 * The index of the one record of kid on v: AK_OK, AK_ERR_NOT_FOUND (none)
 * or AK_ERR_CONFLICT (several: none of them counts). Only the record's
 * key id is looked at.
 */
int ak_view_record_index(const struct ak_holder_view *v, const char *kid,
                         unsigned *index);

/*
 * Record i of v, parsed, with what v's apiKeyRevoked values say about its
 * key folded in (ak_revocation_apply): the key as the verifier judges it.
 * AK_OK or AK_ERR_MALFORMED with *why (may be NULL).
 */
int ak_view_key(const struct ak_holder_view *v, unsigned i,
                struct ak_record *out, const char **why);

/* The entry's own user name: its single valid user_attr value. */
bool ak_view_name(const struct ak_holder_view *v, struct ak_bytes *out);

#endif
