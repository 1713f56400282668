/* SPDX-License-Identifier: BSD-3-Clause */
/* outbox.h - the notices one pass claimed, waiting to be delivered */
#ifndef EX_OUTBOX_H
#define EX_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_notice.h"

/* One claimed notice (or, in a dry run, one that would be claimed). */
struct ex_item {
    char *dn; /* the holder's entry, where the claim lives */
    struct ak_notice_id id;
    /* the exact claim value written; a take-over of a deferred notice
     * carries its history (first failure, attempts) in it */
    struct ak_notice claimed;
    char *owner; /* the holder's user name */
    char *label;
    bool service;
    /* Owner class: who gets it ("a@x b@y", sorted, space-separated), or
     * NULL when nobody can (problem says why). */
    char *to;
    const char *problem;
    bool unresolved; /* the directory could not be read for to: deferred */
    char **owners;   /* a service user's apiKeyOwner DNs (NULL-terminated) */
    /* Nothing to deliver or record (its value is final already): the
     * admins are told of it in their message, as problem says (a notice
     * given up after 24 hours of temporary failures). */
    bool info_only;
    bool left; /* its message was not started: the lease would end first */
};

/* A delivery's outcome, to be recorded with the others of its holder. */
struct ex_outcome {
    struct ex_item *it;
    struct ak_notice final;
    int rc;
};

struct ex_outbox {
    struct ex_item *items;
    unsigned n, cap;
    struct timespec first;   /* CLOCK_MONOTONIC: when items[0] was added */
    struct ex_outcome *done; /* outcomes not yet recorded */
    unsigned n_done, cap_done;
    /* Lines for the admins about entries, not keys (an entry set aside):
     * each told once, in the pass's admin message. */
    char **notes;
    unsigned n_notes;
};

/* Make room for element n of the array *arr (cap elements of size bytes),
 * doubling it. AK_OK or AK_ERR_NOMEM (*arr unchanged). */
int ex_grow(void *arr, unsigned n, unsigned *cap, size_t size);

/* Append a copy of it (fields are taken over: the caller's pointers are
 * cleared). AK_OK or AK_ERR_NOMEM. */
int ex_outbox_add(struct ex_outbox *o, struct ex_item *it);
void ex_outbox_free(struct ex_outbox *o);

/* Append a copy of the outcome of it; AK_OK or AK_ERR_NOMEM. */
int ex_outbox_done(struct ex_outbox *o, struct ex_item *it,
                   const struct ak_notice *final);

/* Append a copy of the admins' note; AK_OK or AK_ERR_NOMEM. */
int ex_outbox_note(struct ex_outbox *o, const char *note);

#endif
