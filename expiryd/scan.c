/* SPDX-License-Identifier: BSD-3-Clause */
/* scan.c - one pass over the key holders: what is due, claimed at once */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_holder.h"
#include "ak_manage.h"
#include "ak_scan.h"
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

int ex_open_holder(struct ex *e, LDAP *ld, LDAPMessage *m, char *const *attrs,
                   struct ak_entry *en)
{
    const char *why = NULL;
    char text[256], *dn;
    int rc = ak_entry_open(ld, m, attrs, en, &why);

    if (rc == AK_OK && e->aside.n > 0) {
        /* one that was set aside may have been mended */
        if ((dn = ak_entry_dn(en)) == NULL) {
            ak_entry_close(en);
            return AK_ERR_NOMEM;
        }
        ex_aside_readable(&e->aside, dn, &e->log);
        free(dn);
    }
    if (rc == AK_OK || rc == AK_ERR_NOMEM)
        return rc;
    /* one unreadable entry: the others still count */
    snprintf(text, sizeof(text), "it cannot be read whole (%s)",
             why ? why : "unknown reason");
    dn = ldap_get_dn(ld, m);
    ex_aside_add(&e->aside, dn ? dn : "(unreadable DN)", text, &e->log);
    ldap_memfree(dn);
    return rc;
}

static void one_entry(struct scan *s, LDAP *ld, LDAPMessage *m)
{
    struct ak_entry en;
    int rc;

    s->wake = 0;
    rc = ex_open_holder(s->e, ld, m, s->attrs.list, &en);
    if (rc == AK_ERR_NOMEM)
        s->rc = rc;
    if (rc != AK_OK)
        return;
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

struct holders {
    struct ex *e;
    ak_manage_entry_fn fn;
    void *ctx;
};

static void set_aside(void *ctx, const char *dn, int why)
{
    struct holders *h = ctx;
    ex_aside_add(&h->e->aside, dn, ak_strerror(why), &h->e->log);
}

static int reconnect(void *ctx, struct ak_conn **c)
{
    struct holders *h = ctx;

    ak_dir_release(h->e->rd, *c);
    *c = NULL;
    return ak_dir_acquire(h->e->rd, false, &h->e->log, c);
}

static int holders_entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct holders *h = ctx;
    return h->fn(h->ctx, ld, m);
}

int ex_holders(struct ex *e, struct ak_conn **c, const char *filter,
               char **attrs, ak_manage_entry_fn fn, void *ctx)
{
    struct holders h = {.e = e, .fn = fn, .ctx = ctx};
    struct ak_scan s = {.cfg = e->cfg,
                        .base = e->cfg->search_base,
                        .scope = LDAP_SCOPE_SUBTREE,
                        .filter = filter,
                        .attrs = attrs,
                        .entry = holders_entry,
                        .aside = set_aside,
                        .reconnect = reconnect,
                        .ctx = &h};

    return ak_scan_run(&s, c, &e->log);
}

int ex_scan(struct ex *e, struct ak_conn **c, time_t now, struct ex_outbox *out)
{
    struct scan s = {.e = e, .out = out, .now = now};
    char filter[2048];
    int rc;

    ex_attrs(e, &s.attrs);
    ex_filter(e, filter, sizeof(filter));
    rc = ex_holders(e, c, filter, s.attrs.list, scan_entry, &s);
    return rc != AK_OK ? rc : s.rc;
}
