/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_scan.c - a search over many entries that one unreadable entry cannot
 * stop */
#include "ak_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ak_status.h"

struct run {
    const struct ak_scan *s;
    const struct ak_log *log;
    /* what the entry callback saw, by a keyed 8-byte hash of the DN as the
     * server sent it (the "1.1" listing sends the same form) */
    unsigned char key[crypto_shorthash_KEYBYTES];
    uint64_t *seen;
    size_t n_seen, cap_seen;
    /* DNs left to read one by one, in the server's order */
    char **left;
    size_t n_left, cap_left;
};

static uint64_t dn_hash(const struct run *r, const struct berval *dn)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;

    crypto_shorthash(h, (const unsigned char *)dn->bv_val, dn->bv_len, r->key);
    memcpy(&v, h, sizeof(v));
    return v;
}

/* Grow *a (elements of size sz) so that one more fits. */
static int room(void **a, size_t n, size_t *cap, size_t sz)
{
    void *p;
    size_t c;

    if (n < *cap)
        return AK_OK;
    c = *cap ? *cap * 2 : 256;
    p = realloc(*a, c * sz);
    if (p == NULL)
        return AK_ERR_NOMEM;
    *a = p;
    *cap = c;
    return AK_OK;
}

/* Every entry read: remembered, then the caller's. */
static int note_entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct run *r = ctx;
    struct berval dn;

    /* no DN to remember: the caller's reader refuses the entry anyway */
    if (ldap_get_dn_ber(ld, m, NULL, &dn) == LDAP_SUCCESS) {
        if (room((void **)&r->seen, r->n_seen, &r->cap_seen,
                 sizeof(*r->seen)) != AK_OK)
            return AK_ERR_NOMEM;
        r->seen[r->n_seen++] = dn_hash(r, &dn);
    }
    return r->s->entry(r->s->ctx, ld, m);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The "1.1" listing: each DN not seen yet joins r->left. */
static int collect(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct run *r = ctx;
    struct berval dn;
    uint64_t h;

    if (ldap_get_dn_ber(ld, m, NULL, &dn) != LDAP_SUCCESS)
        return AK_OK;
    h = dn_hash(r, &dn);
    if (r->n_seen > 0 && /* none: r->seen is NULL, which bsearch may not take */
        bsearch(&h, r->seen, r->n_seen, sizeof(h), cmp_u64) != NULL)
        return AK_OK;
    if (room((void **)&r->left, r->n_left, &r->cap_left, sizeof(*r->left)) !=
            AK_OK ||
        (r->left[r->n_left] = strndup(dn.bv_val, dn.bv_len)) == NULL)
        return AK_ERR_NOMEM;
    r->n_left++;
    return AK_OK;
}

/* The entry dn alone, as the search would have sent it. A connection that
 * fails for a reason of its own (not the entry's size) is replaced and the
 * read tried once more. */
static int read_one(struct run *r, struct ak_conn **c, const char *dn)
{
    const struct ak_scan *s = r->s;
    int rc = AK_ERR_BACKEND;

    for (int attempt = 0; attempt < 2; attempt++) {
        rc = ak_manage_search(*c, s->cfg, dn, LDAP_SCOPE_BASE, s->filter,
                              s->attrs, 1, note_entry, r, r->log);
        if (rc == AK_OK || rc == AK_ERR_NOT_FOUND) /* gone meanwhile */
            return AK_OK;
        if (rc == AK_ERR_TOO_BIG) {
            s->aside(s->ctx, dn, rc);
            return s->reconnect(s->ctx, c);
        }
        if (rc != AK_ERR_BACKEND || !ak_conn_dropped(*c) ||
            (attempt == 0 && s->reconnect(s->ctx, c) != AK_OK))
            break;
    }
    return rc;
}

/* After AK_ERR_TOO_BIG: what the search had not sent, one entry at a
 * time, on another connection. */
static int recover(struct run *r, struct ak_conn **c)
{
    const struct ak_scan *s = r->s;
    char *dn_only[] = {AK_LDAP_STR(LDAP_NO_ATTRS), NULL};
    int rc = s->reconnect(s->ctx, c);

    if (rc != AK_OK)
        return rc;
    if (r->n_seen > 0) /* the first entry was too big: nothing seen */
        qsort(r->seen, r->n_seen, sizeof(*r->seen), cmp_u64);
    rc = ak_manage_search(*c, s->cfg, s->base, s->scope, s->filter, dn_only,
                          s->page_size, collect, r, r->log);
    if (rc != AK_OK)
        return rc;
    ak_log(r->log, LOG_INFO,
           "search %s: an entry is larger than the client accepts; reading "
           "the %zu %s not yet read one by one to find it",
           s->base, r->n_left, r->n_left == 1 ? "entry" : "entries");
    for (size_t i = 0; rc == AK_OK && i < r->n_left; i++)
        rc = read_one(r, c, r->left[i]);
    return rc;
}

int ak_scan_run(const struct ak_scan *s, struct ak_conn **c,
                const struct ak_log *log)
{
    struct run r = {.s = s, .log = log};
    int rc;

    crypto_shorthash_keygen(r.key);
    rc = ak_manage_search(*c, s->cfg, s->base, s->scope, s->filter, s->attrs,
                          s->page_size, note_entry, &r, log);
    if (rc == AK_ERR_TOO_BIG)
        rc = recover(&r, c);
    for (size_t i = 0; i < r.n_left; i++)
        free(r.left[i]);
    free(r.left);
    free(r.seen);
    return rc;
}
