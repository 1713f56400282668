/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_byid.h - the values of one attribute grouped by the key id they
 * begin with, sorted once (pure) */
#ifndef AK_BYID_H
#define AK_BYID_H

#include "ak_key.h"
#include "ak_view.h"

/*
 * apiKeyRevoked and apiKeyNotice values are about the key whose id they
 * begin with (alone, or followed by a space: ak_revocation_names,
 * ak_notice_match), and an apiKeyId value is one. Looking at every value
 * for each key was O(keys x values) per holder: 2.2 s of CPU for one
 * entry with 1,000 fake records (issue 16). Sorted once, O(n log n), each
 * key's values are a slice found in O(log n).
 */
struct ak_byid {
    struct ak_bytes *v; /* the values that begin with a key id, by it */
    unsigned n;
    bool tagged; /* as the values given */
};

/* Group vs (may be NULL: none). AK_OK or AK_ERR_NOMEM (*b empty). */
int ak_byid_build(struct ak_byid *b, const struct ak_values *vs);
void ak_byid_free(struct ak_byid *b);

/* The values about key kid (AK_KEY_ID_LEN characters), in the order they
 * were given; they point into b (until ak_byid_free). */
struct ak_values ak_byid_of(const struct ak_byid *b, const char *kid);

/* True when a value is exactly kid (an apiKeyId value of that key). */
bool ak_byid_is(const struct ak_byid *b, const char *kid);

#endif
