/* SPDX-License-Identifier: BSD-3-Clause */
/* mine.c - the apiKeyNotice values this daemon wrote lately */
#include "mine.h"

#include <string.h>

#include "ak_status.h"

static uint64_t hash(const struct ex_mine *m, const char *s, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)s, len, m->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

static bool id_hash(const struct ex_mine *m, const struct ak_notice_id *id,
                    uint64_t *h)
{
    char p[AK_NOTICE_PREFIX_MAX + 1];

    if (ak_notice_prefix(id, p) != AK_OK)
        return false;
    *h = hash(m, p, strlen(p));
    return true;
}

static bool value_hash(const struct ex_mine *m, const struct ak_notice *n,
                       uint64_t *h)
{
    char v[AK_NOTICE_MAX + 1];

    if (ak_notice_format(n, v) != AK_OK)
        return false;
    *h = hash(m, v, strlen(v));
    return true;
}

void ex_mine_add(struct ex_mine *m, const struct ak_notice *n)
{
    uint64_t id, value;

    if (m->n == 0 && m->next == 0)
        randombytes_buf(m->key, sizeof(m->key));
    if (!id_hash(m, &n->id, &id) || !value_hash(m, n, &value))
        return;
    m->w[m->next].id = id;
    m->w[m->next].value = value;
    m->next = (m->next + 1) % EX_MINE_MAX;
    if (m->n < EX_MINE_MAX)
        m->n++;
}

bool ex_mine_wrote(const struct ex_mine *m, const char *v, size_t len)
{
    uint64_t h;

    if (m->n == 0)
        return false;
    h = hash(m, v, len);
    for (unsigned i = 0; i < m->n; i++)
        if (m->w[i].value == h)
            return true;
    return false;
}

enum ex_mine_last ex_mine_last(const struct ex_mine *m,
                               const struct ak_notice_id *id,
                               const struct ak_notice *n)
{
    uint64_t h, v = 0;
    bool have_v = n != NULL && value_hash(m, n, &v);

    if (m->n == 0 || !id_hash(m, id, &h))
        return EX_MINE_NOTHING;
    /* newest first: next - 1, next - 2, ... */
    for (unsigned k = 1; k <= m->n; k++) {
        unsigned i = (m->next + EX_MINE_MAX - k) % EX_MINE_MAX;
        if (m->w[i].id == h)
            return have_v && m->w[i].value == v ? EX_MINE_THIS : EX_MINE_ELSE;
    }
    return EX_MINE_NOTHING;
}
