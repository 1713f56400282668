/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_prune.c - libFuzzer target: the housekeeping of ended keys over any
 * holder never crashes, deletes only what the daemon's access rules let it
 * and what belongs to a key that goes, never a revocation (a revoked key's
 * tombstone stays), and never a key the verifier would still accept.
 *
 * Input: lines; the first byte of each says whose value the rest is:
 * 'r' apiKeyRecord, 'e' apiKeyRevoked, 'i' apiKeyId, 'u' apiKeyLastUsed,
 * 'x' apiKeyExpires (anything else: ignored). The first byte of the input
 * is the grace in days. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_judge.h"
#include "ak_policy.h"
#include "ak_prune.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXV 256
static const char kinds[] = "reiux";
enum { RECS, ENDS, IDS, USED, EXPS, NV };

static bool is_key(const struct ak_prune *p, const char *kid)
{
    for (unsigned k = 0; k < p->n_keys; k++)
        if (memcmp(p->keys[k].kid, kid, AK_KEY_ID_LEN) == 0)
            return true;
    return false;
}

/* The record of key k is the only one whose id it is, and the verifier
 * would refuse the key now whatever the policy says. */
static void check_key(const struct ak_holder_view *v,
                      const struct ak_prune_key *k, time_t now)
{
    struct ak_record rec;
    unsigned index;

    if (ak_view_record_index(v, k->kid, &index) != AK_OK ||
        index != k->record || ak_view_key(v, index, &rec, NULL) != AK_OK)
        abort();
    if (ak_policy_judge(NULL, &rec, now, NULL, NULL) == AK_KEY_VALID)
        abort(); /* a key that still works */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ak_bytes b[NV][MAXV];
    struct ak_values vs[NV] = {{0}};
    struct ak_holder_view v;
    struct ak_prune p;
    const char *s = (const char *)data, *end = s + size;
    const time_t now = 1800000000;
    unsigned grace;

    if (size == 0)
        return 0;
    grace = data[0] % 64;
    s++;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        const char *k = e > s ? strchr(kinds, s[0]) : NULL;
        if (k != NULL && s[0] != '\0') {
            int a = (int)(k - kinds);
            if (vs[a].n < MAXV)
                b[a][vs[a].n++] = (struct ak_bytes){s + 1, (size_t)(e - s - 1)};
        }
        s = e + 1;
    }
    for (int a = 0; a < NV; a++)
        vs[a].v = b[a];
    memset(&v, 0, sizeof(v));
    v.records = vs[RECS];
    v.revoked = vs[ENDS];
    if (ak_prune_plan(&v, &vs[IDS], &vs[USED], &vs[EXPS], now, grace, &p) !=
        AK_OK)
        return 0; /* out of memory */
    for (unsigned k = 0; k < p.n_keys; k++)
        check_key(&v, &p.keys[k], now);
    for (unsigned i = 0; i < p.n_del[AK_PRUNE_RECORD]; i++) {
        char kid[AK_KEY_ID_LEN + 1];
        const struct ak_bytes *r = &b[RECS][p.del[AK_PRUNE_RECORD][i]];
        if (!ak_record_peek_id(r->p, r->n, kid) || !is_key(&p, kid))
            abort();
    }
    for (unsigned i = 0; i < p.n_del[AK_PRUNE_ID]; i++) {
        const struct ak_bytes *r = &b[IDS][p.del[AK_PRUNE_ID][i]];
        if (r->n != AK_KEY_ID_LEN || !is_key(&p, r->p))
            abort();
    }
    for (unsigned i = 0; i < p.n_del[AK_PRUNE_LAST_USED]; i++) {
        const struct ak_bytes *r = &b[USED][p.del[AK_PRUNE_LAST_USED][i]];
        if (r->n < AK_KEY_ID_LEN || !is_key(&p, r->p))
            abort();
    }
    for (unsigned i = 0; i < p.n_del[AK_PRUNE_END]; i++) {
        const struct ak_bytes *r = &b[ENDS][p.del[AK_PRUNE_END][i]];
        struct ak_record one;
        memset(&one, 0, sizeof(one));
        memcpy(one.id, r->p, AK_KEY_ID_LEN);
        /* what rule {3} lets the daemon delete, and never a revocation */
        if (!ak_prune_rotation_value(r->p, r->n) || !is_key(&p, r->p) ||
            !ak_revocation_apply(&one, r->p, r->n) || one.is_revoked)
            abort();
    }
    for (unsigned i = 0; i < p.n_assert; i++) {
        const struct ak_bytes *r = &b[ENDS][p.assert_ends[i]];
        struct ak_record one;
        memset(&one, 0, sizeof(one));
        memcpy(one.id, r->p, AK_KEY_ID_LEN);
        if (r->n < AK_KEY_ID_LEN || !is_key(&p, r->p) ||
            !ak_revocation_apply(&one, r->p, r->n) || !one.is_revoked)
            abort(); /* only revocations are relied on */
    }
    for (int a = 0; a < AK_PRUNE_N; a++)
        for (unsigned i = 1; i < p.n_del[a]; i++)
            if (p.del[a][i] <= p.del[a][i - 1])
                abort(); /* ascending, each value once */
    if (grace == 0 && ak_prune_any(&p))
        abort(); /* off means off */
    ak_prune_free(&p);
    return 0;
}
