/* SPDX-License-Identifier: BSD-3-Clause */
/* aside.c - holder entries the daemon cannot read */
#include "aside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_ldap.h"
#include "ak_status.h"

/* Where dn is, or would go, in a->v; *found when it is there. */
static size_t find(const struct ex_aside *a, const char *dn, bool *found)
{
    size_t lo = 0, hi = a->n;

    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(a->v[mid].dn, dn);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int insert(struct ex_aside *a, size_t at, const char *dn,
                  const char *why)
{
    struct ex_aside_entry en = {strdup(dn), strdup(why), NULL};

    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        struct ex_aside_entry *v = realloc(a->v, cap * sizeof(*v));
        if (v == NULL)
            en.dn = NULL; /* fails below, and frees */
        else {
            a->v = v;
            a->cap = cap;
        }
    }
    if (en.dn == NULL || en.why == NULL) {
        free(en.dn);
        free(en.why);
        return AK_ERR_NOMEM;
    }
    memmove(&a->v[at + 1], &a->v[at], (a->n - at) * sizeof(*a->v));
    a->v[at] = en;
    a->n++;
    a->changes++;
    return AK_OK;
}

bool ex_aside_add(struct ex_aside *a, const char *dn, const char *why,
                  const struct ak_log *log)
{
    char q[512];
    bool found;
    size_t at = find(a, dn, &found);

    if (found)
        return false; /* told already */
    (void)insert(a, at, dn, why);
    ak_log(log, LOG_WARNING,
           "%s: set aside: %s; no expiry notice of its keys goes out until it "
           "can be read (apikey-expiryd(8), ENTRIES SET ASIDE); every other "
           "holder's do",
           ak_log_quote(q, sizeof(q), dn, (unsigned)strlen(dn)), why);
    return true;
}

void ex_aside_readable(struct ex_aside *a, const char *dn,
                       const struct ak_log *log)
{
    char q[512];
    bool found;
    size_t at;

    if (a->n == 0)
        return; /* the common case: nothing to look up */
    at = find(a, dn, &found);
    if (!found)
        return;
    ak_log(log, LOG_NOTICE, "%s: readable again; its notices are planned again",
           ak_log_quote(q, sizeof(q), dn, (unsigned)strlen(dn)));
    free(a->v[at].dn);
    free(a->v[at].why);
    free(a->v[at].uuid);
    memmove(&a->v[at], &a->v[at + 1], (a->n - at - 1) * sizeof(*a->v));
    a->n--;
    a->changes++;
    a->went = true;
}

bool ex_aside_went(struct ex_aside *a)
{
    bool went = a->went;
    a->went = false;
    return went;
}

int ex_aside_filter(const struct ex_aside *a, const char *filter, char **out)
{
    size_t len = strlen(filter) + 4;
    char **eq = calloc(a->n + 1, sizeof(*eq));
    char *f = NULL;
    int rc = eq ? AK_OK : AK_ERR_NOMEM;

    size_t n_eq = 0;

    for (size_t i = 0; rc == AK_OK && i < a->n; i++) {
        const char *u = a->v[i].uuid;
        if (u == NULL)
            continue;
        rc = ak_filter_eq("entryUUID", u, strlen(u), &eq[n_eq]);
        if (rc == AK_OK)
            len += strlen(eq[n_eq++]) + 3;
    }
    if (rc == AK_OK && (f = malloc(len)) == NULL)
        rc = AK_ERR_NOMEM;
    if (rc == AK_OK && n_eq == 0) {
        snprintf(f, len, "%s", filter);
    } else if (rc == AK_OK) {
        size_t at = (size_t)snprintf(f, len, "(&%s", filter);
        for (size_t i = 0; i < n_eq; i++)
            at += (size_t)snprintf(f + at, len - at, "(!%s)", eq[i]);
        snprintf(f + at, len - at, ")");
    }
    for (size_t i = 0; eq != NULL && i < n_eq; i++)
        free(eq[i]);
    free(eq);
    if (rc == AK_OK)
        *out = f;
    return rc;
}

void ex_aside_free(struct ex_aside *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].dn);
        free(a->v[i].why);
        free(a->v[i].uuid);
    }
    free(a->v);
    memset(a, 0, sizeof(*a));
}
