/* SPDX-License-Identifier: BSD-3-Clause */
/* outbox.c - the notices one pass claimed */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ak_status.h"
#include "ex_pass.h"
#include "outbox.h"

void ex_item_free(struct ex_item *it)
{
    free(it->dn);
    free(it->owner);
    free(it->label);
    free(it->to);
    for (unsigned i = 0; it->owners != NULL && it->owners[i] != NULL; i++)
        free(it->owners[i]);
    free(it->owners);
    memset(it, 0, sizeof(*it));
}

int ex_grow(void *arr, unsigned n, unsigned *cap, size_t size)
{
    void **p = arr, *np;
    unsigned c;

    if (n < *cap)
        return AK_OK;
    c = *cap ? *cap * 2 : 16;
    if (c < *cap || (size_t)c > SIZE_MAX / size ||
        (np = realloc(*p, (size_t)c * size)) == NULL)
        return AK_ERR_NOMEM;
    *p = np;
    *cap = c;
    return AK_OK;
}

int ex_outbox_add(struct ex_outbox *o, struct ex_item *it)
{
    if (o->n == 0)
        clock_gettime(CLOCK_MONOTONIC, &o->first);
    if (ex_grow(&o->items, o->n, &o->cap, sizeof(*o->items)) != AK_OK)
        return AK_ERR_NOMEM;
    o->items[o->n++] = *it;
    memset(it, 0, sizeof(*it)); /* the outbox owns the strings now */
    return AK_OK;
}

int ex_outbox_done(struct ex_outbox *o, struct ex_item *it,
                   const struct ak_notice *final)
{
    if (ex_grow(&o->done, o->n_done, &o->cap_done, sizeof(*o->done)) != AK_OK)
        return AK_ERR_NOMEM;
    o->done[o->n_done++] = (struct ex_outcome){.it = it, .final = *final};
    return AK_OK;
}

int ex_outbox_note(struct ex_outbox *o, const char *note)
{
    char **n = realloc(o->notes, (o->n_notes + 1) * sizeof(*n));

    if (n == NULL)
        return AK_ERR_NOMEM;
    o->notes = n;
    if ((n[o->n_notes] = strdup(note)) == NULL)
        return AK_ERR_NOMEM;
    o->n_notes++;
    return AK_OK;
}

void ex_outbox_free(struct ex_outbox *o)
{
    for (unsigned i = 0; i < o->n; i++)
        ex_item_free(&o->items[i]);
    for (unsigned i = 0; i < o->n_notes; i++)
        free(o->notes[i]);
    free(o->notes);
    free(o->done);
    free(o->items);
    memset(o, 0, sizeof(*o));
}
