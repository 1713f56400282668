/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_revocation.c - libFuzzer target: an apiKeyRevoked value never
 * crashes the parser and can only shorten a key's life: whatever a value
 * says, a revoked key stays revoked and the effective expiry never moves
 * later */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_policy.h"
#include "ak_revocation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data;
    struct ak_record r;
    time_t before = 0, after = 0;
    bool has_before, has_after, named;

    memset(&r, 0, sizeof(r));
    /* the key the value is about, when it names one (else a fixed id) */
    if (size >= AK_KEY_ID_LEN && ak_key_id_valid(v, AK_KEY_ID_LEN))
        memcpy(r.id, v, AK_KEY_ID_LEN);
    else
        memcpy(r.id, "abcdefghijklmnop", AK_KEY_ID_LEN);
    r.created = 1000000000;
    r.has_expires = (size & 1) != 0;
    r.expires = 4000000000;
    has_before = ak_policy_effective_expiry(NULL, &r, &before);
    named = ak_revocation_apply(&r, v, size);
    has_after = ak_policy_effective_expiry(NULL, &r, &after);
    if (named != ak_revocation_names(v, size, r.id))
        abort();
    if (!named && (r.is_revoked || r.has_end))
        abort();
    if (has_before && (!has_after || after > before))
        abort(); /* a value stretched the key's life */
    if (named && !r.is_revoked && !r.has_end)
        abort(); /* named the key and said nothing */
    return 0;
}
