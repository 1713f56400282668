/* SPDX-License-Identifier: BSD-3-Clause */
/* keysel.c - the key filters of `apikey list` (pure: takes "now") */
#include "keysel.h"

void keysel_init(struct keysel *s)
{
    s->active = s->expired = s->revoked = false;
    s->expiring_days = -1;
    s->unused_days = -1;
    s->never_used = false;
}

const char *keysel_state(enum ak_key_verdict v)
{
    switch (v) {
    case AK_KEY_VALID:
        return "active";
    case AK_KEY_REVOKED:
        return "revoked";
    case AK_KEY_EXPIRED:
    case AK_KEY_EXPIRY_REQUIRED:
        return "expired";
    case AK_KEY_REPLACED: /* its rotation's grace is over */
        return "expired";
    case AK_KEY_CREATED_IN_FUTURE:
        return "invalid";
    }
    return "?";
}

bool keysel_match(const struct keysel *s, const struct keysel_key *k,
                  time_t now)
{
    bool is_active = k->verdict == AK_KEY_VALID;
    bool is_expired = k->verdict == AK_KEY_EXPIRED ||
                      k->verdict == AK_KEY_EXPIRY_REQUIRED ||
                      k->verdict == AK_KEY_REPLACED;
    bool is_revoked = k->verdict == AK_KEY_REVOKED;

    if ((s->active || s->expired || s->revoked) &&
        !((s->active && is_active) || (s->expired && is_expired) ||
          (s->revoked && is_revoked)))
        return false;
    if (s->expiring_days >= 0 &&
        !(is_active && k->has_expiry &&
          k->expiry - now <= (time_t)s->expiring_days * 86400))
        return false;
    if (s->never_used && k->has_used)
        return false;
    if (s->unused_days >= 0) {
        /* A key never used counts from its creation: a key made yesterday
         * has not been "unused for 30 days". */
        time_t since = k->has_used ? k->used : k->created;
        if (now - since < (time_t)s->unused_days * 86400)
            return false;
    }
    return true;
}
