/* SPDX-License-Identifier: BSD-3-Clause */
/* keysel.h - which keys a listing shows: state, expiry and use filters */
#ifndef AK_CLI_KEYSEL_H
#define AK_CLI_KEYSEL_H

#include <stdbool.h>
#include <time.h>

#include "ak_policy.h"

/* Everything a filter looks at in one key. */
struct keysel_key {
    enum ak_key_verdict verdict;
    time_t created;
    bool has_expiry; /* effective expiry (policy applied) */
    time_t expiry;
    bool has_used; /* last use recorded */
    time_t used;
};

/*
 * The conditions of `apikey list`; all given ones must hold. With none of
 * active/expired/revoked set, every state is shown.
 */
struct keysel {
    bool active, expired, revoked;
    long expiring_days; /* -1: off; else active and expiring within */
    long unused_days;   /* -1: off; else no use (or creation) for so long */
    bool never_used;
};

void keysel_init(struct keysel *s);

/* True when the listing should show k at now. */
bool keysel_match(const struct keysel *s, const struct keysel_key *k,
                  time_t now);

/* "active", "expired", "revoked" or "invalid" */
const char *keysel_state(enum ak_key_verdict v);

#endif
