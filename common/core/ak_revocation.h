/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_revocation.h - apiKeyRevoked values: the end of a key, decided apart
 * from its record (pure) */
#ifndef AK_REVOCATION_H
#define AK_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_key.h"
#include "ak_record.h"
#include "ak_view.h"

/*
 * A record is written once and never rewritten: its owner may add records
 * but not change or delete them (packaging/ldap/apikey-acl.ldif), so what
 * the owner wrote cannot undo what an admin or the policy decided later.
 * The end of a key is therefore a value of its own, in apiKeyRevoked, which
 * the owner may add to and only admins may delete:
 *
 *   <keyid> <YYYYMMDDHHMMSSZ> revoked   the key was revoked at that time;
 *                                       it stops at once, whatever the
 *                                       time says (a host with a clock
 *                                       ahead must not delay a revocation)
 *   <keyid> <YYYYMMDDHHMMSSZ> rotated   it was replaced by a rotation and
 *                                       works until that time (the grace)
 *
 * Fail closed: a value that names a key id but is otherwise unreadable
 * (bad time, unknown reason, extra fields) revokes that key. A value that
 * does not start with a key id names no key and is ignored.
 */
#define AK_REVOCATION_MAX (AK_KEY_ID_LEN + 1 + 15 + 1 + 7)

enum ak_end_reason {
    AK_END_REVOKED,
    AK_END_ROTATED,
};

/* "revoked", "rotated": the last field of a value. */
const char *ak_end_reason_name(enum ak_end_reason why);

/* The canonical value for key kid ending at t for reason why. AK_OK or
 * AK_ERR_INVALID (kid not a key id, t not writable). */
int ak_revocation_format(const char *kid, time_t t, enum ak_end_reason why,
                         char buf[AK_REVOCATION_MAX + 1]);

/* True when the value v[0..len) is about key kid. */
bool ak_revocation_names(const char *v, size_t len, const char *kid);

/*
 * Fold one apiKeyRevoked value into r, the parsed record of its key: a
 * revocation sets r->is_revoked (r->revoked: the earliest time given), a
 * rotation sets r->has_end / r->end (the earliest). Values about other
 * keys change nothing. Returns true when the value was about r's key.
 */
bool ak_revocation_apply(struct ak_record *r, const char *v, size_t len);

/*
 * Which value of ends may go to make room for one more, when the entry
 * holds as many as the directory allows (ak_bounds.h): an owner who filled
 * her ends must not stop an admin's revocation. The index of the value
 * that carries the least, or -1 when there is none (ends empty). In order:
 * a value that names no key; an end that another end of the same key
 * makes moot (any end beside a revocation, a rotation beside an earlier
 * one); the earliest end of a key the entry holds no record of (has_record
 * says which keys it holds: such an end is either junk or the tombstone of
 * a key housekeeping removed, which its owner could then write again: the
 * last resort). O(n log n) in the number of values; ends must be valid
 * for the call. AK_ERR_NOMEM is -2.
 */
int ak_revocation_spare(const struct ak_values *ends,
                        bool (*has_record)(void *ctx, const char *kid),
                        void *ctx);

#endif
