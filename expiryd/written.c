/* SPDX-License-Identifier: BSD-3-Clause */
/* written.c - the daemon's memory of the entries it wrote to */
#include "written.h"

#include <string.h>

static uint64_t hash(struct ex_written *w, const char *s, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    if (!w->keyed) {
        randombytes_buf(w->key, sizeof(w->key));
        w->keyed = true;
    }
    crypto_shorthash(out, (const unsigned char *)s, len, w->key);
    memcpy(&h, out, sizeof(h));
    return h | 1; /* never 0: a free slot */
}

/* dn's slot; with take, a slot of another DN becomes dn's (emptied). */
static unsigned slot(struct ex_written *w, const char *dn, bool take,
                     bool *found)
{
    uint64_t h = hash(w, dn, strlen(dn));
    unsigned i = (unsigned)(h % EX_WRITTEN_SLOTS);

    *found = w->s[i].dn == h;
    if (!*found && take) {
        memset(&w->s[i], 0, sizeof(w->s[i]));
        w->s[i].dn = h;
    }
    return i;
}

void ex_written_note(struct ex_written *w, const char *dn, const char *v,
                     time_t now, unsigned ttl)
{
    bool found;
    unsigned i = slot(w, dn, true, &found);

    w->s[i].value = hash(w, v, strlen(v));
    w->s[i].until = now + (time_t)ttl;
}

bool ex_written_stale(struct ex_written *w, const char *dn,
                      const struct ak_values *notices, time_t now,
                      time_t *until)
{
    bool found;
    unsigned i = slot(w, dn, false, &found);

    if (!found || w->s[i].value == 0)
        return false;
    if (now >= w->s[i].until) {
        w->s[i].value = 0;
        return false;
    }
    for (unsigned k = 0; notices != NULL && k < notices->n; k++)
        if (hash(w, notices->v[k].p, notices->v[k].n) == w->s[i].value) {
            w->s[i].value = 0; /* this copy is newer: so are later ones */
            return false;
        }
    *until = w->s[i].until;
    return true;
}

bool ex_written_refused(struct ex_written *w, const char *dn, bool refused)
{
    bool found;
    unsigned i = slot(w, dn, refused, &found);
    bool before = found && w->s[i].refused;

    if (found || refused)
        w->s[i].refused = refused;
    return before;
}

bool ex_written_tell(struct ex_written *w, const char *dn)
{
    bool found;
    unsigned i = slot(w, dn, true, &found);

    if (found && w->s[i].told)
        return false;
    w->s[i].told = true;
    return true;
}

bool ex_written_relax(struct ex_written *w, const char *dn, int relax)
{
    bool found;
    unsigned i = slot(w, dn, relax > 0, &found);

    if (found || relax > 0)
        w->s[i].relax = relax > 0 || (relax < 0 && w->s[i].relax);
    return found || relax > 0 ? w->s[i].relax : false;
}
