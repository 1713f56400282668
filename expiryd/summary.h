/* SPDX-License-Identifier: BSD-3-Clause */
/* summary.h - the admins' message of a pass: a few keys of each holder
 * listed, the rest summed up in one line */
#ifndef EX_SUMMARY_H
#define EX_SUMMARY_H

#include <stddef.h>

#include "outbox.h"

/* The keys of one holder an admin message lists; one line stands for the
 * rest (issue 16: one person's 1,000 fake keys made a 140 KB mail every
 * pass, which buried everyone else's). */
#define EX_ADMIN_LIST_PER_HOLDER 10

struct ex_summary {
    struct ex_item **listed; /* in the order given: the first n_info are
                                information only */
    unsigned n_listed, n_info;
    struct ex_item **rec; /* the admins' own notices summed up: recorded
                             with the message that carries the lines */
    unsigned n_rec;
    char **lines; /* a summary line per holder, then out->notes */
    size_t n_lines, n_own_lines;
    size_t n_more; /* keys the summary lines stand for */
};

/* From all[0..n) (the first n_info information only) and out's notes.
 * AK_OK or AK_ERR_NOMEM. */
int ex_summary_build(struct ex_item *const *all, unsigned n_info, unsigned n,
                     const struct ex_outbox *out, struct ex_summary *s);
void ex_summary_free(struct ex_summary *s);

#endif
