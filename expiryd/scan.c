/* SPDX-License-Identifier: BSD-3-Clause */
/* scan.c - one pass over the key holders: what is due, claimed at once */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_holder.h"
#include "ak_judge.h"
#include "ak_mail.h"
#include "ak_manage.h"
#include "ak_scan.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store_notice.h"
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

static char *dup_bytes(const struct ak_bytes *b)
{
    return b ? strndup(b->p, b->n) : NULL;
}

/* The owner class's recipients of a person's key: the entry's single valid
 * mail. Service users' responsible people are looked up after the scan
 * (ex_resolve), one read per person, not per key. */
static void owner_mail(const struct ak_values *mail, struct ex_item *it)
{
    it->problem = ak_mail_single(mail, &it->to);
}

/* A service user's responsible people, by DN, for ex_resolve. */
static int copy_owners(const struct ak_values *owners, struct ex_item *it)
{
    it->owners = calloc(owners->n + 1, sizeof(char *));
    if (it->owners == NULL)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < owners->n; i++)
        if ((it->owners[i] = dup_bytes(&owners->v[i])) == NULL)
            return AK_ERR_NOMEM;
    if (owners->n == 0)
        it->problem = "the service user has no responsible people";
    return AK_OK;
}

/* Write the plan's claim (not in a dry run) and queue the notice. */
static void claim(struct scan *s, struct ak_entry *en,
                  const struct ak_holder_view *v, const struct ak_record *rec,
                  const struct ak_notice_plan *plan)
{
    struct ex *e = s->e;
    struct ex_item it = {.id = plan->id};
    struct ak_bytes name;
    char *dn = ak_entry_dn(en);
    int rc = dn ? AK_OK : AK_ERR_NOMEM;

    if (rc == AK_OK && !e->dry_run && e->cfg->notice_rate > 0 &&
        s->out->n >= ex_claim_cap(e)) {
        /* what notice_rate sends within half the lease: the rest waits for
         * the next pass, which comes at once */
        e->st.postponed++;
        s->wake = s->now;
        free(dn);
        return;
    }
    if (rc == AK_OK && !e->dry_run)
        rc = ex_claim(e, dn, plan, s->now, &it.claimed);
    if (rc == AK_ERR_CONFLICT)
        e->st.lost++; /* another daemon has it */
    else if (rc == AK_ERR_NOMEM)
        s->rc = rc; /* stops the scan */
    else if (rc == AK_OK && plan->action == AK_NOTICE_GIVE_UP)
        e->st.failed++; /* recorded as failed by ex_claim: nothing to send */
    /* any other fault is logged; the notice stays due for the next pass */
    if (rc != AK_OK) {
        free(dn);
        return;
    }
    if (plan->action == AK_NOTICE_GIVE_UP) {
        /* the admins are told, in their message (N-03) */
        it.info_only = true;
        it.problem = plan->id.class == AK_NOTICE_OWNER
                         ? "the owner's notice could not be delivered for "
                           "24 hours; given up"
                         : "the admins' notice could not be delivered for 24 "
                           "hours; given up";
    } else {
        e->st.claimed++;
        e->st.skipped += plan->n_skip;
    }
    it.dn = dn;
    it.owner = ak_view_name(v, &name) ? dup_bytes(&name) : strdup("?");
    it.label = strdup(rec->label);
    it.service = ak_values_has(&v->object_class, AK_OC_SERVICE_USER, true);
    if (plan->id.class == AK_NOTICE_OWNER && !it.service && !it.info_only)
        owner_mail(ak_holder_field(en, &s->attrs, AK_HF_MAIL), &it);
    if (plan->id.class == AK_NOTICE_OWNER && it.service && !it.info_only &&
        copy_owners(ak_holder_field(en, &s->attrs, AK_HF_OWNER), &it) != AK_OK)
        s->rc = AK_ERR_NOMEM;
    if (it.dn == NULL || it.owner == NULL || it.label == NULL ||
        ex_outbox_add(s->out, &it) != AK_OK)
        s->rc = AK_ERR_NOMEM;
    ex_item_free(&it);
}

/* Every key of one holder, for both classes. */
static void holder(struct scan *s, struct ak_entry *en)
{
    struct ex *e = s->e;
    struct ak_notice_opts opts = ex_notice_opts(e);
    const struct ak_values *notices =
        ak_holder_field(en, &s->attrs, AK_HF_NOTICE);
    struct ak_holder_view v;

    ak_holder_view_of(en, &s->attrs, &v);
    e->st.holders++;
    for (unsigned i = 0; i < v.records.n; i++) {
        struct ak_record rec;
        if (ak_view_key(&v, i, &rec, NULL) != AK_OK)
            continue; /* the verifier refuses it too: nothing expires */
        e->st.keys++;
        for (int c = AK_NOTICE_OWNER; c <= AK_NOTICE_ADMIN; c++) {
            struct ak_notice_plan plan;
            if (c == AK_NOTICE_ADMIN && e->pol.n_recipients == 0)
                continue;
            ak_notice_plan(&rec, &e->pol.p, (enum ak_notice_class)c, notices,
                           s->now, &opts, &plan);
            if (plan.n_garbage > 0 && s->out != NULL)
                ak_log(&e->log, LOG_WARNING,
                       "%s: key %s: an apiKeyNotice value cannot be read "
                       "(%s); it counts as taking its notice",
                       v.dn, rec.id, plan.why_garbage);
            if (plan.has_wake && (s->wake == 0 || plan.wake < s->wake))
                s->wake = plan.wake;
            if (plan.action == AK_NOTICE_NOTHING)
                continue;
            if (s->out != NULL)
                claim(s, en, &v, &rec, &plan);
            else if (s->wake == 0 || s->now < s->wake)
                s->wake = s->now; /* due now: claimed on a later read */
        }
    }
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
