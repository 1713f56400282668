/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_view.h - an entry's values as plain bytes: what the pure core judges */
#ifndef AK_VIEW_H
#define AK_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "ak_owner.h"

/*
 * The decision (ak_judge) must not depend on where an entry came from: a
 * libldap search result today (ak_entry, ak_holder), a slapd Entry inside
 * the directory server tomorrow, a table in a unit test. So it reads this:
 * length-delimited values that point into someone else's memory, and the
 * one fact about subtypes the reader noted (RFC 4512 2.5 attribute options:
 * "apiKeyRecord;lang-x" came back, and its values were not taken).
 */
struct ak_bytes {
    const char *p; /* not NUL-terminated */
    size_t n;
};

struct ak_values {
    const struct ak_bytes *v;
    unsigned n;
    bool tagged; /* a subtype with options was present */
};

/* True when one value equals s (nocase: but for ASCII case). */
bool ak_values_has(const struct ak_values *vs, const char *s, bool nocase);

/* A key holder (person or service user) as the decision needs it. */
struct ak_holder_view {
    const char *dn; /* for log lines; may hold any byte */
    size_t dn_len;
    struct ak_values name;         /* user_attr */
    struct ak_values object_class; /* objectClass */
    struct ak_values records;      /* apiKeyRecord */
    struct ak_values revoked;      /* apiKeyRevoked */
    /* Owner-state attributes, by enum ak_owner_attr; the first n_locks
     * apply (ak_owner_n_attrs: the AD ones only on AD). */
    unsigned n_locks;
    struct ak_values locks[AK_OWNER_N_ATTRS];
};

/* The policy entry's values (objectClass apiKeyPolicy). */
struct ak_policy_view {
    struct ak_values require_expiry; /* apiKeyRequireExpiry */
    struct ak_values max_lifetime;   /* apiKeyMaxLifetime */
    struct ak_values notice_days;    /* apiKeyNoticeDays */
};

#endif
