/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_prune.h - housekeeping of ended keys (key_cleanup_days): which values
 * of one holder go (pure) */
#ifndef AK_PRUNE_H
#define AK_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_key.h"
#include "ak_view.h"

/*
 * Records are add-only for their owners, so without housekeeping an entry
 * fills with the records of dead keys until the directory's bound
 * (ak_bounds.h, 100) refuses the next key: a robot that rotates daily gets
 * there in about 100 days. The expiry daemon's account may delete, never
 * add, records, ids, expiry values, last uses and the ends rotations gave
 * (packaging/ldap/apikey-acl.ldif, rules {2} and {3}), never a revocation.
 * This decides which exact values it deletes.
 *
 * A key goes when it ended more than grace_days ago by what its record and
 * its ends say: the earliest of the record's own expires, its revoked=
 * field, a rotated end, a revoked end (an end naming it that cannot be read
 * is a revocation, fail closed, as ak_revocation_apply reads it, dated by
 * the time it carries; one without a readable time dates nothing). Never by
 * the policy's maximum lifetime: an admin may yet lift it, and the key
 * would live again. Its record, its apiKeyId value, its apiKeyLastUsed
 * values and its well-formed rotated ends go. Its revoked and unreadable
 * ends stay: they keep the key string dead should the owner write a record
 * for it again (she may add records), so a key whose only revocation is
 * its record's revoked= field (apikey 0.1) stays whole.
 *
 * An apiKeyExpires value goes when it is more than grace_days in the past,
 * or when it is the expiry of a key that goes and of no record that stays
 * (the daemon's index needs only the expiries of keys it may mail about;
 * a robot rotating daily to keys of a year would otherwise fill it).
 *
 * Never touched: a record whose key id cannot be read or that does not
 * parse, a key id with several records, a key that never expires and has
 * no end, and the whole entry when one of these attributes came with a
 * subtype (its values were not taken: the entry is an admin's to clean).
 */

/* The attributes values are deleted from. */
enum ak_prune_attr {
    AK_PRUNE_RECORD,    /* apiKeyRecord */
    AK_PRUNE_ID,        /* apiKeyId */
    AK_PRUNE_LAST_USED, /* apiKeyLastUsed */
    AK_PRUNE_END,       /* apiKeyRevoked: "<kid> <time> rotated" only */
    AK_PRUNE_EXPIRES,   /* apiKeyExpires */
    AK_PRUNE_N
};

/* What ended a key first. */
enum ak_prune_cause {
    AK_PRUNE_EXPIRED, /* its record's own expiry */
    AK_PRUNE_ROTATED, /* a rotation's end */
    AK_PRUNE_REVOKED, /* a revocation (or an end that cannot be read) */
};

/* "expired", "rotated", "revoked". */
const char *ak_prune_cause_name(enum ak_prune_cause c);

/* One key that goes. */
struct ak_prune_key {
    char kid[AK_KEY_ID_LEN + 1];
    enum ak_prune_cause cause;
    time_t end;      /* when it ended: the earliest of its ends */
    unsigned record; /* its record, an index in the view's records */
    unsigned n_ids, n_last_used, n_rotated; /* its values that go */
    bool expiry_goes; /* its record's expires value goes from the index */
};

/* The plan for one holder. Arrays are malloc'ed: ak_prune_free. */
struct ak_prune {
    const char *skipped; /* static: why the entry is left whole, or NULL */
    unsigned n_keys;
    struct ak_prune_key *keys; /* in key id order */
    /* The values that go, by enum ak_prune_attr: ascending indices into
     * the caller's values of that attribute. */
    unsigned n_del[AK_PRUNE_N];
    unsigned *del[AK_PRUNE_N];
    /* apiKeyRevoked values (indices) the plan relies on: revocations that
     * alone ended a key long enough ago. The deletion must be made only
     * while they are all still there (an admin who takes one back at the
     * same moment wins; rotated ends need no such test: they are deleted,
     * and a value gone fails the whole change). */
    unsigned n_assert;
    unsigned *assert_ends;
    unsigned n_unreadable;   /* records left: no key id, or malformed */
    unsigned n_several;      /* key ids left: held by several records */
    unsigned long long work; /* elementary steps (tests: the cost is
                                O(n log n) in the values) */
};

/*
 * Plan the housekeeping of holder v (its records and ends) whose apiKeyId,
 * apiKeyLastUsed and apiKeyExpires values are ids, last_used and expires
 * (NULL: none) at now, with grace_days of grace (0: off, nothing planned).
 * AK_OK (out filled; nothing to do is n_keys == 0 and every n_del 0) or
 * AK_ERR_NOMEM (out empty). Pure: callers pass now.
 */
int ak_prune_plan(const struct ak_holder_view *v, const struct ak_values *ids,
                  const struct ak_values *last_used,
                  const struct ak_values *expires, time_t now,
                  unsigned grace_days, struct ak_prune *out);

/* True when the plan deletes anything. */
bool ak_prune_any(const struct ak_prune *p);

void ak_prune_free(struct ak_prune *p);

/*
 * True when v[0..len) is a rotation's end exactly as the daemon's access
 * rule {3} lets it delete one: ^[a-z2-7]{16} [0-9]{14}Z rotated$. Every
 * end the planner deletes is one.
 */
bool ak_prune_rotation_value(const char *v, size_t len);

#endif
