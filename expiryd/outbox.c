/* SPDX-License-Identifier: BSD-3-Clause */
/* outbox.c - the notices one pass claimed */
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

int ex_outbox_add(struct ex_outbox *o, struct ex_item *it)
{
    if (o->n == 0)
        clock_gettime(CLOCK_MONOTONIC, &o->first);
    if (o->n == o->cap) {
        unsigned cap = o->cap ? o->cap * 2 : 16;
        struct ex_item *n = realloc(o->items, cap * sizeof(*n));
        if (n == NULL)
            return AK_ERR_NOMEM;
        o->items = n;
        o->cap = cap;
    }
    o->items[o->n++] = *it;
    memset(it, 0, sizeof(*it)); /* the outbox owns the strings now */
    return AK_OK;
}

void ex_outbox_free(struct ex_outbox *o)
{
    for (unsigned i = 0; i < o->n; i++)
        ex_item_free(&o->items[i]);
    free(o->items);
    memset(o, 0, sizeof(*o));
}
