/* SPDX-License-Identifier: BSD-3-Clause */
/* mine.c - the apiKeyNotice values this daemon wrote lately */
#include "mine.h"

#include <string.h>

#include "ak_status.h"

static uint64_t hash(const struct ex_mine *m, const char *v, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)v, len, m->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

void ex_mine_add(struct ex_mine *m, const struct ak_notice *n)
{
    char v[AK_NOTICE_MAX + 1];

    if (ak_notice_format(n, v) != AK_OK)
        return;
    if (m->n == 0 && m->next == 0)
        randombytes_buf(m->key, sizeof(m->key));
    m->h[m->next] = hash(m, v, strlen(v));
    m->next = (m->next + 1) % EX_MINE_MAX;
    if (m->n < EX_MINE_MAX)
        m->n++;
}

bool ex_mine_has(const struct ex_mine *m, const char *v, size_t len)
{
    uint64_t h;

    if (m->n == 0)
        return false;
    h = hash(m, v, len);
    for (unsigned i = 0; i < m->n; i++)
        if (m->h[i] == h)
            return true;
    return false;
}
