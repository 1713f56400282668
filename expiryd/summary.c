/* SPDX-License-Identifier: BSD-3-Clause */
/* summary.c - a few keys of each holder in the admins' message */
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"

struct ref {
    struct ex_item *it;
    unsigned at; /* in all[] */
};

/* Holder by holder, each in the order given. */
static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    int c = strcmp(x->it->dn, y->it->dn);
    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

static void day(time_t t, char buf[16])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 16, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, 16, "?");
}

/* The line for refs[0..n), one holder's keys beyond the listed ones. */
static char *line(const struct ref *refs, unsigned n)
{
    time_t first = refs[0].it->id.expires, last = first;
    char a[16], b[16], *s = NULL;

    for (unsigned i = 1; i < n; i++) {
        time_t t = refs[i].it->id.expires;
        first = t < first ? t : first;
        last = t > last ? t : last;
    }
    day(first, a);
    day(last, b);
    if (asprintf(&s,
                 "... and %u more keys of %s (%s), expiring %s to %s: "
                 "apikey list %s shows them",
                 n, refs[0].it->owner, refs[0].it->dn, a, b,
                 refs[0].it->owner) < 0)
        return NULL;
    return s;
}

int ex_summary_build(struct ex_item *const *all, unsigned n_info, unsigned n,
                     const struct ex_outbox *out, struct ex_summary *s)
{
    struct ref *refs = calloc(n + 1, sizeof(*refs));
    bool *listed = calloc(n + 1, sizeof(*listed));
    int rc = AK_OK;

    memset(s, 0, sizeof(*s));
    s->listed = calloc(n + 1, sizeof(*s->listed));
    s->rec = calloc(n + 1, sizeof(*s->rec));
    s->lines = calloc(n + out->n_notes + 1, sizeof(*s->lines));
    if (refs == NULL || listed == NULL || s->listed == NULL || s->rec == NULL ||
        s->lines == NULL)
        rc = AK_ERR_NOMEM;
    for (unsigned i = 0; rc == AK_OK && i < n; i++)
        refs[i] = (struct ref){.it = all[i], .at = i};
    if (rc == AK_OK)
        qsort(refs, n, sizeof(*refs), ref_cmp);
    for (unsigned i = 0, k; rc == AK_OK && i < n; i += k) {
        for (k = 1;
             i + k < n && strcmp(refs[i + k].it->dn, refs[i].it->dn) == 0; k++)
            if (k < EX_ADMIN_LIST_PER_HOLDER)
                listed[refs[i + k].at] = true;
        listed[refs[i].at] = true;
        if (k <= EX_ADMIN_LIST_PER_HOLDER)
            continue;
        if ((s->lines[s->n_lines] = line(refs + i + EX_ADMIN_LIST_PER_HOLDER,
                                         k - EX_ADMIN_LIST_PER_HOLDER)) == NULL)
            rc = AK_ERR_NOMEM;
        else
            s->n_lines++;
        s->n_more += k - EX_ADMIN_LIST_PER_HOLDER;
    }
    for (unsigned i = 0; rc == AK_OK && i < n; i++) {
        if (listed[i]) {
            s->listed[s->n_listed++] = all[i];
            s->n_info += i < n_info;
        } else if (i >= n_info) {
            s->rec[s->n_rec++] = all[i];
        }
    }
    s->n_own_lines = s->n_lines;
    for (unsigned i = 0; rc == AK_OK && i < out->n_notes; i++)
        s->lines[s->n_lines++] = out->notes[i];
    free(refs);
    free(listed);
    if (rc != AK_OK)
        ex_summary_free(s);
    return rc;
}

void ex_summary_free(struct ex_summary *s)
{
    for (size_t i = 0; s->lines != NULL && i < s->n_own_lines; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->listed);
    free(s->rec);
    memset(s, 0, sizeof(*s));
}
