/* SPDX-License-Identifier: BSD-3-Clause */
/* plan.c - one holder: each key planned over its own notice values, what
 * is due claimed in one modify, the claimed notices queued */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_holder.h"
#include "ak_judge.h"
#include "ak_mail.h"
#include "ak_notice_holder.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ex_pass.h"

struct run {
    struct ex *e;
    const struct ak_holder_attrs *a;
    struct ak_entry *en;
    struct ak_holder_view v;
    char *dn;
    struct ex_outbox *out;
    time_t now;
    time_t wake;
    struct ex_due *d; /* the due notices */
    unsigned n, cap;
    int rc;
};

static void wake_at(struct run *r, time_t t)
{
    if (r->wake == 0 || t < r->wake)
        r->wake = t;
}

static char *dup_bytes(const struct ak_bytes *b)
{
    return b ? strndup(b->p, b->n) : NULL;
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

/* Queue a notice claimed (or, in a dry run, to be claimed). */
static void queue(struct run *r, const struct ex_due *d)
{
    const struct ak_notice_plan *plan = &d->plan;
    struct ex_item it = {.id = plan->id, .claimed = d->claimed};
    struct ak_bytes name;

    if (plan->action == AK_NOTICE_GIVE_UP) {
        /* the admins are told, in their message (N-03) */
        it.info_only = true;
        it.problem = plan->id.class == AK_NOTICE_OWNER
                         ? "the owner's notice could not be delivered for "
                           "24 hours; given up"
                         : "the admins' notice could not be delivered for 24 "
                           "hours; given up";
    }
    it.dn = strdup(r->dn);
    it.owner = ak_view_name(&r->v, &name) ? dup_bytes(&name) : strdup("?");
    it.label = strdup(d->label);
    it.service = ak_values_has(&r->v.object_class, AK_OC_SERVICE_USER, true);
    /* The owner class's recipients of a person's key: the entry's single
     * valid mail. Service users' responsible people are looked up after
     * the scan (ex_resolve), one read per person, not per key. */
    if (plan->id.class == AK_NOTICE_OWNER && !it.service && !it.info_only)
        it.problem =
            ak_mail_single(ak_holder_field(r->en, r->a, AK_HF_MAIL), &it.to);
    if (plan->id.class == AK_NOTICE_OWNER && it.service && !it.info_only &&
        copy_owners(ak_holder_field(r->en, r->a, AK_HF_OWNER), &it) != AK_OK)
        r->rc = AK_ERR_NOMEM;
    if (it.dn == NULL || it.owner == NULL || it.label == NULL ||
        ex_outbox_add(r->out, &it) != AK_OK)
        r->rc = AK_ERR_NOMEM;
    ex_item_free(&it);
}

static int due_add(struct run *r, const struct ak_notice_plan *plan,
                   const struct ak_record *rec)
{
    if (ex_grow(&r->d, r->n, &r->cap, sizeof(*r->d)) != AK_OK)
        return AK_ERR_NOMEM;
    memset(&r->d[r->n], 0, sizeof(r->d[r->n]));
    r->d[r->n].plan = *plan;
    r->d[r->n].plan.first_garbage = NULL; /* pointed into the index */
    snprintf(r->d[r->n].label, sizeof(r->d[r->n].label), "%s", rec->label);
    r->n++;
    return AK_OK;
}

/* Every key of the holder, both classes: what is due into r->d. */
static void plan_keys(struct run *r, struct ak_notice_holder *h)
{
    struct ex *e = r->e;
    struct ak_notice_opts opts = ex_notice_opts(e);

    for (unsigned i = 0; i < r->v.records.n && r->rc == AK_OK; i++) {
        struct ak_record rec;
        if (ak_notice_holder_key(h, i, &rec, NULL) != AK_OK)
            continue; /* the verifier refuses it too: nothing expires */
        e->st.keys++;
        /* The verifier finds a key by its apiKeyId value, and a claim
         * asserts it: without one the key works nowhere, and its claim,
         * always refused, would take the holder's others with it. */
        if (!ak_notice_holder_has_id(h, rec.id))
            continue;
        for (int c = AK_NOTICE_OWNER; c <= AK_NOTICE_ADMIN; c++) {
            struct ak_notice_plan plan;
            if (c == AK_NOTICE_ADMIN && e->pol.n_recipients == 0)
                continue;
            ak_notice_holder_plan(h, &rec, &e->pol.p, (enum ak_notice_class)c,
                                  r->now, &opts, &plan);
            if (plan.n_garbage > 0 && r->out != NULL)
                ak_log(&e->log, LOG_WARNING,
                       "%s: key %s: an apiKeyNotice value cannot be read "
                       "(%s); it counts as taking its notice",
                       r->v.dn, rec.id, plan.why_garbage);
            if (plan.has_wake)
                wake_at(r, plan.wake);
            if (plan.action == AK_NOTICE_NOTHING)
                continue;
            if (r->out == NULL)
                wake_at(r, r->now); /* due now: claimed on a later read */
            else if (due_add(r, &plan, &rec) != AK_OK)
                r->rc = AK_ERR_NOMEM;
        }
    }
}

/* By notice (key id, expiry, stage, class): one key's notices side by
 * side (one assertion clause for the key), and a notice that two records
 * of one key id both plan is claimed once. */
static int due_cmp(const void *a, const void *b)
{
    const struct ak_notice_id *x = &((const struct ex_due *)a)->plan.id;
    const struct ak_notice_id *y = &((const struct ex_due *)b)->plan.id;
    int c = strcmp(x->kid, y->kid);

    if (c != 0)
        return c;
    if (x->expires != y->expires)
        return x->expires < y->expires ? -1 : 1;
    if (x->stage != y->stage)
        return x->stage < y->stage ? -1 : 1;
    return (x->class > y->class) - (x->class < y->class);
}

static unsigned dedupe(struct ex_due *d, unsigned n)
{
    unsigned m = 0;

    qsort(d, n, sizeof(*d), due_cmp);
    for (unsigned i = 0; i < n; i++)
        if (m == 0 || due_cmp(&d[m - 1], &d[i]) != 0)
            d[m++] = d[i];
    return m;
}

/* The admins' line about an entry whose notices wait for them: said and
 * told once. */
static void tell(struct run *r, const char *why)
{
    struct ex *e = r->e;
    char note[1024];

    if (!ex_written_tell(&e->written, r->dn))
        return;
    snprintf(note, sizeof(note), "%s: %u key records, %s", r->dn,
             r->v.records.n, why);
    ak_log(&e->log, LOG_WARNING, "%s", note);
    if (r->out != NULL && e->pol.n_recipients > 0 &&
        ex_outbox_note(r->out, note) != AK_OK)
        r->rc = AK_ERR_NOMEM;
}

/* Claim what is due (within notice_rate's bound) and queue it. */
static void claim_due(struct run *r)
{
    struct ex *e = r->e;
    unsigned n = dedupe(r->d, r->n);

    if (!e->dry_run && e->cfg->notice_rate > 0) {
        /* what notice_rate sends within half the lease: the rest waits for
         * the next pass, which comes at once */
        unsigned cap = ex_claim_cap(e);
        unsigned room = r->out->n < cap ? cap - r->out->n : 0;
        if (n > room) {
            e->st.postponed += n - room;
            wake_at(r, r->now);
            n = room;
        }
    }
    if (n > 0 && !e->dry_run)
        ex_claim_batch(e, r->dn, r->d, n, r->now);
    for (unsigned i = 0; i < n && r->rc == AK_OK; i++) {
        const struct ex_due *d = &r->d[i];
        if (d->rc == AK_ERR_CONFLICT)
            e->st.lost++; /* another daemon has it */
        else if (d->rc == AK_ERR_FULL && i == 0)
            tell(r, "over one of the directory's bounds, which refuse any "
                    "change of it without the relax control, and that "
                    "control is not the expiry daemon's: set aside, its "
                    "notices wait until an admin removes records "
                    "(ldapmodify -e relax)");
        else if (d->rc == AK_ERR_NOMEM)
            r->rc = AK_ERR_NOMEM; /* stops the scan */
        /* any other fault is logged; the notice stays due for the next
         * pass */
        if (d->rc != AK_OK)
            continue;
        if (d->plan.action == AK_NOTICE_GIVE_UP) {
            e->st.failed++; /* recorded as failed: nothing to send */
        } else {
            e->st.claimed++;
            e->st.skipped += d->plan.n_skip;
        }
        queue(r, d);
    }
}

/* More records than any use needs (ten times the directory's bound; only
 * the relax control, or an admin, gets an entry there): planning it would
 * cost every other holder's notices their time. */
static void set_aside(struct run *r)
{
    char why[256];

    snprintf(why, sizeof(why),
             "more than the %u the expiry daemon reads an entry for: set "
             "aside, no notice is computed for its keys until an admin "
             "removes records (ldapmodify -e relax)",
             EX_HOLDER_RECORDS_MAX);
    tell(r, why);
}

int ex_holder(struct ex *e, const struct ak_holder_attrs *a,
              struct ak_entry *en, struct ex_outbox *out, time_t now,
              time_t *wake)
{
    struct run r = {.e = e, .a = a, .en = en, .out = out, .now = now};
    const struct ak_values *notices = ak_holder_field(en, a, AK_HF_NOTICE);
    struct ak_notice_holder h;
    time_t until = 0;

    ak_holder_view_of(en, a, &r.v);
    e->st.holders++;
    r.dn = ak_entry_dn(en);
    if (r.dn == NULL)
        return AK_ERR_NOMEM;
    if (r.v.records.n > EX_HOLDER_RECORDS_MAX) {
        /* in a syncrepl refresh (nothing is mailed from it), once the
         * refresh is done */
        if (out == NULL)
            wake_at(&r, now);
        else
            set_aside(&r);
    } else if (ex_written_stale(&e->written, r.dn, notices, now, &until)) {
        ak_debug(&e->log,
                 "%s: read before this daemon's own last write to it; "
                 "planned from a newer copy",
                 r.dn);
        wake_at(&r, until);
    } else if (ak_notice_holder_open(&h, &r.v, notices,
                                     ak_holder_field(en, a, AK_HF_ID)) !=
               AK_OK) {
        r.rc = AK_ERR_NOMEM;
    } else {
        plan_keys(&r, &h);
        ak_notice_holder_close(&h);
        if (r.rc == AK_OK && r.n > 0)
            claim_due(&r);
    }
    free(r.d);
    free(r.dn);
    *wake = r.wake;
    return r.rc;
}
