/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store.h - read and change key records in the directory (CLI, daemon) */
#ifndef AK_STORE_H
#define AK_STORE_H

#include <stdbool.h>
#include <time.h>

#include "ak_config.h"
#include "ak_holder.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_revocation.h"

/*
 * Find the user or service user named user (user_attr) under user_base or
 * service_base: the entry whose single user_attr value is user, byte for
 * byte (or but for ASCII case with user_name_match ascii-case), whatever
 * else the directory's matching rule lets the search find. AK_OK,
 * AK_ERR_NOT_FOUND, AK_ERR_CONFLICT (several entries answer to the name:
 * refused), AK_ERR_BACKEND.
 */
int ak_store_find_user(struct ak_conn *c, const struct ak_config *cfg,
                       const char *user, const struct ak_log *log,
                       struct ak_holder *out);

/* Find the entry holding key id kid. Same returns as above. */
int ak_store_find_key(struct ak_conn *c, const struct ak_config *cfg,
                      const char *kid, const struct ak_log *log,
                      struct ak_holder *out);

/*
 * Read the entry dn as a holder, if it lies under user_base or service_base
 * and matches user_filter or service_filter. AK_OK, AK_ERR_NOT_FOUND (no
 * such entry, not readable, or not a user/service user), AK_ERR_BACKEND.
 */
int ak_store_read_holder(struct ak_conn *c, const struct ak_config *cfg,
                         const char *dn, const struct ak_log *log,
                         struct ak_holder *out);

/*
 * One change to the keys of h, applied as one modify. Records are only
 * ever added, never rewritten or deleted (their owner may add but not
 * delete them: docs/key-records.md); the end of a key is an apiKeyRevoked
 * value. add: records, add_ids: their key ids, add_revoked / del_revoked:
 * apiKeyRevoked values (deleting one is for admins: undoing a rotation).
 * objectClass apiKeyHolder is added when h lacks it and records are added;
 * apiKeyExpires gets the expiry of each added record it lacks (it is the
 * expiry daemon's index, never deleted from here). assertion (NULL: none)
 * is an RFC 4528 filter the entry must still match when the server applies
 * the change: a concurrent change makes it fail with AK_ERR_CONFLICT and
 * nothing is written. Arrays are NULL-terminated; NULL = none.
 */
struct ak_change {
    const char *const *add;
    const char *const *add_ids;
    const char *const *add_revoked;
    const char *const *del_revoked;
    const char *assertion;
    bool relax; /* with the relax control, and no check of the bounds here
                   (ak_conn_modify_relaxed: a revocation through an entry
                   over a bound) */
};

int ak_store_change(struct ak_conn *c, const struct ak_holder *h,
                    const struct ak_change *ch, const struct ak_log *log);

/*
 * Add one record (already formatted) for key id parsed->id to h: the
 * record, its id, its expiry. A change as above.
 */
int ak_store_add_record(struct ak_conn *c, const struct ak_holder *h,
                        const char *record, const struct ak_record *parsed,
                        const struct ak_log *log);

/*
 * The RFC 4528 filter "the end of key kid is still as read in h": every
 * apiKeyRevoked value of kid that h holds is still there, no value of kid
 * for reason why was added, and (when h held none) no value of kid at all.
 * So two revocations, two rotations, or a rotation and a revocation of one
 * key racing each other have one winner. *out is malloc'd.
 */
int ak_store_end_unchanged(const struct ak_holder *h, const char *kid,
                           enum ak_end_reason why, char **out);

/* Revoke key kid of h now: one apiKeyRevoked value, added only while
 * ak_store_end_unchanged holds (AK_ERR_CONFLICT otherwise). A revocation
 * must take effect: when h holds as many ends as the bounds allow, the
 * end that decides least goes in the same change (ak_revocation_spare;
 * only admins may delete); when the directory refuses the change for a
 * bound anyway (an entry pushed over one), it is tried once more with the
 * relax control. AK_ERR_FULL when room could not be made. */
int ak_store_revoke(struct ak_conn *c, const struct ak_holder *h,
                    const char *kid, time_t now, const struct ak_log *log);

#endif
