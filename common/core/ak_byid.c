/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_byid.c - values grouped by the key id they begin with */
#include "ak_byid.h"

#include <stdlib.h>
#include <string.h>

#include "ak_status.h"

/* A value and where it was, so that a key's values keep their order (the
 * planner takes the first of equals). */
struct ref {
    struct ak_bytes b;
    unsigned at;
};

static bool names_a_key(const struct ak_bytes *v)
{
    return v->n >= AK_KEY_ID_LEN &&
           (v->n == AK_KEY_ID_LEN || v->p[AK_KEY_ID_LEN] == ' ');
}

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    int c = memcmp(x->b.p, y->b.p, AK_KEY_ID_LEN);
    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

int ak_byid_build(struct ak_byid *b, const struct ak_values *vs)
{
    struct ref *refs;
    unsigned n = 0;

    memset(b, 0, sizeof(*b));
    if (vs == NULL || vs->n == 0)
        return AK_OK;
    b->tagged = vs->tagged;
    refs = calloc(vs->n, sizeof(*refs));
    b->v = calloc(vs->n, sizeof(*b->v));
    if (refs == NULL || b->v == NULL) {
        free(refs);
        ak_byid_free(b);
        return AK_ERR_NOMEM;
    }
    for (unsigned i = 0; i < vs->n; i++)
        if (names_a_key(&vs->v[i]))
            refs[n++] = (struct ref){.b = vs->v[i], .at = i};
    qsort(refs, n, sizeof(*refs), ref_cmp);
    for (unsigned i = 0; i < n; i++)
        b->v[i] = refs[i].b;
    b->n = n;
    free(refs);
    return AK_OK;
}

void ak_byid_free(struct ak_byid *b)
{
    free(b->v);
    memset(b, 0, sizeof(*b));
}

/* The first value at or after kid. */
static unsigned lower(const struct ak_byid *b, const char *kid)
{
    unsigned lo = 0, hi = b->n;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (memcmp(b->v[mid].p, kid, AK_KEY_ID_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct ak_values ak_byid_of(const struct ak_byid *b, const char *kid)
{
    struct ak_values out = {.tagged = b->tagged};
    unsigned i, k;

    if (b->n == 0)
        return out;
    i = k = lower(b, kid);
    while (k < b->n && memcmp(b->v[k].p, kid, AK_KEY_ID_LEN) == 0)
        k++;
    out.v = b->v + i;
    out.n = k - i;
    return out;
}

bool ak_byid_is(const struct ak_byid *b, const char *kid)
{
    struct ak_values s = ak_byid_of(b, kid);

    for (unsigned i = 0; i < s.n; i++)
        if (s.v[i].n == AK_KEY_ID_LEN)
            return true;
    return false;
}
