/* SPDX-License-Identifier: BSD-3-Clause */
/* scan.c - one pass over the key holders: what is due, claimed at once */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_holder.h"
#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ex.h"
#include "ex_pass.h"
#include "testhook.h"

/* What the reading of one holder needs (a scan, or a syncrepl change). */
struct scan {
    struct ex *e;
    struct ak_holder_attrs attrs;
    struct ex_outbox *out; /* NULL: plan only, claim nothing */
    time_t now;
    time_t wake; /* the holder's next moment, 0: none */
    int rc;      /* the first local fault (memory): stops the scan */
};

/* Every key of one holder, for both classes (plan.c). */
static void holder(struct scan *s, struct ak_entry *en)
{
    time_t wake = 0;
    int rc = ex_holder(s->e, &s->attrs, en, s->out, s->now, &wake);

    if (rc != AK_OK)
        s->rc = rc; /* stops the scan */
    if (wake != 0 && (s->wake == 0 || wake < s->wake))
        s->wake = wake;
}

static void one_entry(struct scan *s, LDAP *ld, LDAPMessage *m)
{
    struct ak_entry en;

    s->wake = 0;
    if (ak_entry_open_logged(ld, m, s->attrs.list, &s->e->log, &en) != AK_OK)
        return; /* one unreadable entry: the others still count */
    EX_CRASH_POINT("read");
    if (ak_holder_in_bases(&en, s->e->cfg))
        holder(s, &en);
    ak_entry_close(&en);
    if (s->wake != 0 && (s->e->next_due == 0 || s->wake < s->e->next_due))
        s->e->next_due = s->wake;
}

static int scan_entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct scan *s = ctx;
    one_entry(s, ld, m);
    return s->rc;
}

struct ak_notice_opts ex_notice_opts(const struct ex *e)
{
    return (struct ak_notice_opts){.lease = e->cfg->notice_lease,
                                   .expired_days = e->cfg->notice_expired_days,
                                   .cleanup_days = e->cfg->notice_cleanup_days};
}

unsigned ex_claim_cap(const struct ex *e)
{
    unsigned long long cap =
        (unsigned long long)e->cfg->notice_rate * e->cfg->notice_lease / 2;
    return cap < 1 ? 1 : cap > 1000000 ? 1000000 : (unsigned)cap;
}

void ex_attrs(const struct ex *e, struct ak_holder_attrs *a)
{
    ak_holder_attrs_init(a, e->cfg, AK_READ_MANAGE | AK_READ_NOTICE);
}

void ex_filter(const struct ex *e, char *buf, size_t len)
{
    snprintf(buf, len,
             "(&(objectClass=" AK_OC_HOLDER ")(" AK_AT_RECORD "=*)(|%s%s))",
             e->cfg->user_filter, e->cfg->service_filter);
}

int ex_entry(struct ex *e, const struct ak_holder_attrs *a, LDAP *ld,
             LDAPMessage *m, time_t now, struct ex_outbox *out, time_t *wake)
{
    struct scan s = {.e = e, .attrs = *a, .out = out, .now = now};

    one_entry(&s, ld, m);
    *wake = s.wake;
    return s.rc;
}

int ex_scan(struct ex *e, struct ak_conn *c, time_t now, struct ex_outbox *out)
{
    struct scan s = {.e = e, .out = out, .now = now};
    char filter[2048];
    int rc;

    ex_attrs(e, &s.attrs);
    ex_filter(e, filter, sizeof(filter));
    rc = ak_manage_search(c, e->cfg, e->cfg->search_base, LDAP_SCOPE_SUBTREE,
                          filter, s.attrs.list, 0, scan_entry, &s, &e->log);
    return rc != AK_OK ? rc : s.rc;
}
