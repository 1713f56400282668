/* SPDX-License-Identifier: BSD-3-Clause */
/* resolve.c - who receives a service user's notices: the mail of each of
 * its responsible people (apiKeyOwner), read once per person per pass */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_entry.h"
#include "ak_mail.h"
#include "ak_status.h"
#include "ex_pass.h"

#define EX_OWNERS_MAX 64 /* addresses in one owner message */

/* One responsible person, as read: their single valid mail, or NULL. */
struct person {
    char *dn;
    char *mail;
    bool fault; /* the read failed: nothing is known about the mail */
};

struct people {
    struct person *p;
    unsigned n, cap;
};

/* The single valid mail of the entry dn (ak_mail_single), or NULL: no
 * entry, none, several, or not valid (the admins are told instead); or
 * NULL and *fault when the read itself failed (c NULL: no connection). */
static char *read_mail(struct ex *e, struct ak_conn *c, const char *dn,
                       bool *fault)
{
    char *attrs[] = {AK_LDAP_STR("mail"), NULL};
    LDAPMessage *res = NULL, *m;
    struct ak_entry en;
    char *mail = NULL;
    int rc;

    *fault = false;
    rc = c == NULL ? AK_ERR_BACKEND
                   : ak_conn_search(c, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
                                    attrs, 1, &e->log, &res);
    if (rc == AK_ERR_NOT_FOUND)
        return NULL; /* no such entry: a verdict */
    if (rc != AK_OK) {
        ldap_msgfree(res);
        *fault = true;
        return NULL;
    }
    m = ldap_first_entry(ak_conn_ld(c), res);
    if (m != NULL &&
        ak_entry_open_logged(ak_conn_ld(c), m, attrs, &e->log, &en) == AK_OK) {
        (void)ak_mail_single(ak_entry_values(&en, 0), &mail);
        ak_entry_close(&en);
    }
    ldap_msgfree(res);
    return mail;
}

/* The person's mail (NULL: none); *fault: it could not be read. */
static const char *mail_of(struct ex *e, struct ak_conn *c, struct people *pp,
                           const char *dn, bool *fault)
{
    struct person *n;

    *fault = false;
    for (unsigned i = 0; i < pp->n; i++)
        if (strcmp(pp->p[i].dn, dn) == 0) {
            *fault = pp->p[i].fault;
            return pp->p[i].mail;
        }
    if (pp->n == pp->cap) {
        unsigned cap = pp->cap ? pp->cap * 2 : 8;
        n = realloc(pp->p, cap * sizeof(*n));
        if (n == NULL) {
            *fault = true; /* out of memory: no verdict either */
            return NULL;
        }
        pp->p = n;
        pp->cap = cap;
    }
    n = &pp->p[pp->n];
    n->dn = strdup(dn);
    if (n->dn == NULL) {
        *fault = true;
        return NULL;
    }
    n->mail = read_mail(e, c, dn, &n->fault);
    *fault = n->fault;
    if (n->fault)
        ak_log(&e->log, LOG_WARNING,
               "responsible person %s: cannot read the entry now; the "
               "notice is deferred",
               dn);
    else if (n->mail == NULL)
        ak_log(&e->log, LOG_WARNING,
               "responsible person %s has no single valid mail address", dn);
    pp->n++;
    return n->mail;
}

/* ASCII case aside first, as a message's recipients are told apart
 * (ak_msg_build), then bytes: the same set always gives the same string. */
static int cmp_str(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = strcasecmp(x, y);
    return c != 0 ? c : strcmp(x, y);
}

/* "a b c": the distinct addresses, sorted, so that one person's notices
 * from several service users go out as one message. Two people with one
 * mailbox in other cases are one recipient: a message naming it twice is
 * not built, and neither would get the notice. */
static char *join(const char **addrs, unsigned n)
{
    size_t len = 1;
    char *s;

    qsort(addrs, n, sizeof(*addrs), cmp_str);
    for (unsigned i = 0; i < n; i++)
        len += strlen(addrs[i]) + 1;
    s = calloc(1, len);
    for (unsigned i = 0; s != NULL && i < n; i++) {
        if (i > 0 && strcasecmp(addrs[i], addrs[i - 1]) == 0)
            continue;
        if (s[0] != '\0')
            strcat(s, " ");
        strcat(s, addrs[i]);
    }
    return s;
}

static void resolve_item(struct ex *e, struct ak_conn *c, struct people *pp,
                         struct ex_item *it)
{
    const char *addrs[EX_OWNERS_MAX];
    unsigned n = 0;

    for (unsigned i = 0; it->owners[i] != NULL; i++) {
        bool fault;
        const char *m = mail_of(e, c, pp, it->owners[i], &fault);
        if (fault) {
            /* no verdict on anyone's address: try again later, whole */
            it->unresolved = true;
            return;
        }
        if (m != NULL && n < EX_OWNERS_MAX)
            addrs[n++] = m;
    }
    if (n == 0) {
        if (it->problem == NULL)
            it->problem = "no responsible person has a valid mail address";
        return;
    }
    it->to = join(addrs, n);
}

/* One round over the items not resolved yet; true when a read failed. */
static bool resolve_round(struct ex *e, struct ak_conn *c,
                          struct ex_outbox *out)
{
    struct people pp = {0};
    bool faults = false;

    for (unsigned i = 0; i < out->n; i++) {
        struct ex_item *it = &out->items[i];
        if (it->id.class == AK_NOTICE_OWNER && it->service &&
            it->owners != NULL && it->owners[0] != NULL && it->to == NULL) {
            it->unresolved = false;
            resolve_item(e, c, &pp, it);
            faults = faults || it->unresolved;
        }
    }
    for (unsigned i = 0; i < pp.n; i++) {
        free(pp.p[i].dn);
        free(pp.p[i].mail);
    }
    free(pp.p);
    return faults;
}

void ex_resolve(struct ex *e, struct ex_outbox *out)
{
    /* A pooled connection may have outlived its server (a restart while
     * we waited): after a fault, once more on a new connection. */
    for (int round = 0; round < 2; round++) {
        struct ak_conn *c = NULL;
        bool faults;

        if (ak_dir_acquire(e->rd, round > 0, &e->log, &c) != AK_OK)
            c = NULL;
        faults = resolve_round(e, c, out);
        if (c != NULL)
            ak_dir_release(e->rd, c);
        if (!faults)
            return;
    }
}
