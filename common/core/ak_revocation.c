/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_revocation.c - parse, write and apply apiKeyRevoked values */
#include "ak_revocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "ak_time.h"

static const char *const reason_names[] = {
    [AK_END_REVOKED] = "revoked",
    [AK_END_ROTATED] = "rotated",
};

const char *ak_end_reason_name(enum ak_end_reason why)
{
    return reason_names[why == AK_END_ROTATED ? AK_END_ROTATED
                                              : AK_END_REVOKED];
}

int ak_revocation_format(const char *kid, time_t t, enum ak_end_reason why,
                         char buf[AK_REVOCATION_MAX + 1])
{
    char ts[AK_TIME_LEN + 1];

    if (kid == NULL || !ak_key_id_valid(kid, strlen(kid)) ||
        (why != AK_END_REVOKED && why != AK_END_ROTATED) ||
        ak_time_format(t, ts) != AK_OK)
        return AK_ERR_INVALID;
    snprintf(buf, AK_REVOCATION_MAX + 1, "%s %s %s", kid, ts,
             reason_names[why]);
    return AK_OK;
}

bool ak_revocation_names(const char *v, size_t len, const char *kid)
{
    return len >= AK_KEY_ID_LEN && memcmp(v, kid, AK_KEY_ID_LEN) == 0 &&
           (len == AK_KEY_ID_LEN || v[AK_KEY_ID_LEN] == ' ');
}

static void earliest(bool *has, time_t *at, time_t t)
{
    if (!*has || t < *at)
        *at = t;
    *has = true;
}

bool ak_revocation_apply(struct ak_record *r, const char *v, size_t len)
{
    const size_t t_off = AK_KEY_ID_LEN + 1, r_off = t_off + AK_TIME_LEN + 1;
    time_t t;

    if (!ak_revocation_names(v, len, r->id))
        return false;
    if (len > r_off && v[r_off - 1] == ' ' &&
        ak_time_parse(v + t_off, AK_TIME_LEN, true, &t) == AK_OK) {
        const char *why = v + r_off;
        size_t wl = len - r_off;
        if (wl == strlen(reason_names[AK_END_ROTATED]) &&
            memcmp(why, reason_names[AK_END_ROTATED], wl) == 0) {
            earliest(&r->has_end, &r->end, t);
            return true;
        }
        if (wl == strlen(reason_names[AK_END_REVOKED]) &&
            memcmp(why, reason_names[AK_END_REVOKED], wl) == 0) {
            earliest(&r->is_revoked, &r->revoked, t);
            return true;
        }
    }
    /* Names this key, says nothing we can read: it is revoked. */
    earliest(&r->is_revoked, &r->revoked, 0);
    return true;
}

/* One value that names a key, for ak_revocation_spare's sort. */
struct end_ref {
    const char *kid; /* AK_KEY_ID_LEN bytes into the value */
    int strength;    /* 0: revoked (or unreadable: revoked), 1: rotated */
    time_t at;
    unsigned index;
};

static int end_cmp(const void *a, const void *b)
{
    const struct end_ref *x = a, *y = b;
    int c = memcmp(x->kid, y->kid, AK_KEY_ID_LEN);

    if (c != 0)
        return c;
    if (x->strength != y->strength)
        return x->strength - y->strength;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

int ak_revocation_spare(const struct ak_values *ends,
                        bool (*has_record)(void *ctx, const char *kid),
                        void *ctx)
{
    struct end_ref *refs;
    unsigned n = 0;
    int spare = -1, best = -1;

    if (ends->n == 0)
        return -1;
    refs = calloc(ends->n, sizeof(*refs));
    if (refs == NULL)
        return -2;
    for (unsigned i = 0; i < ends->n; i++) {
        const struct ak_bytes *v = &ends->v[i];
        struct ak_record r;
        if (v->n < AK_KEY_ID_LEN || !ak_key_id_valid(v->p, AK_KEY_ID_LEN) ||
            (v->n > AK_KEY_ID_LEN && v->p[AK_KEY_ID_LEN] != ' ')) {
            free(refs); /* names no key: it decides nothing */
            return (int)i;
        }
        memset(&r, 0, sizeof(r));
        memcpy(r.id, v->p, AK_KEY_ID_LEN);
        ak_revocation_apply(&r, v->p, v->n);
        refs[n].kid = v->p;
        refs[n].strength = r.is_revoked ? 0 : 1;
        refs[n].at = r.is_revoked ? r.revoked : r.end;
        refs[n].index = i;
        n++;
    }
    qsort(refs, n, sizeof(*refs), end_cmp);
    /* The first of each key's run decides; any other is moot. */
    for (unsigned i = 1; i < n && spare < 0; i++)
        if (memcmp(refs[i].kid, refs[i - 1].kid, AK_KEY_ID_LEN) == 0)
            spare = (int)refs[i].index;
    /* Else the earliest end of a key without a record. */
    for (unsigned i = 0; spare < 0 && i < n; i++) {
        char kid[AK_KEY_ID_LEN + 1];
        memcpy(kid, refs[i].kid, AK_KEY_ID_LEN);
        kid[AK_KEY_ID_LEN] = '\0';
        if (!has_record(ctx, kid) && (best < 0 || refs[i].at < refs[best].at))
            best = (int)i;
    }
    if (spare < 0 && best >= 0)
        spare = (int)refs[best].index;
    free(refs);
    return spare;
}
