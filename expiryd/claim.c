/* SPDX-License-Identifier: BSD-3-Clause */
/* claim.c - the daemon's bookkeeping writes, on the writable server: each
 * holder's claims in one modify, its outcomes in one modify */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "ak_store_notice.h"
#include "ex_pass.h"
#include "taken.h"
#include "testhook.h"

/* A pooled connection may have outlived its server (restarted while we
 * waited): a write that fails there is tried once more on a new one. Safe:
 * claims that did reach the server find their own values there the second
 * time and are refused like any lost race (taken over after the lease);
 * outcomes find their own values there, and taken.c sees they are ours. */
static int write_on(struct ex *e, const char *dn, struct ak_notice_write *w,
                    unsigned n, time_t now, bool relax)
{
    int rc = AK_ERR_BACKEND;

    for (int round = 0; round < 2 && rc == AK_ERR_BACKEND; round++) {
        struct ak_conn *c = NULL;
        rc = ak_dir_acquire(e->wr, round > 0, &e->log, &c);
        if (rc != AK_OK)
            return rc;
        rc = ak_store_notice_batch(c, dn, w, n, now, e->host, relax, &e->log);
        ak_dir_release(e->wr, c);
    }
    return rc;
}

/* An entry over one of the directory's bounds (its owner pushed it there
 * with the relax control, which slapd before 2.7 grants anyone) takes no
 * change without that control, ours included: the write is tried once
 * more with it, as apikey revoke does. Where the control is not ours
 * (slapd 2.7: manage access), the entry's notices wait for an admin, who
 * is told once (AK_ERR_FULL). */
static int write_batch(struct ex *e, const char *dn, struct ak_notice_write *w,
                       unsigned n, time_t now)
{
    bool relax = ex_written_relax(&e->written, dn, -1);
    int rc = write_on(e, dn, w, n, now, relax);

    if (rc != AK_ERR_INVALID || relax)
        return rc == AK_ERR_DENIED && relax ? AK_ERR_FULL : rc;
    ak_debug(&e->log,
             "%s: the directory's bounds refuse the change; trying once "
             "more with the relax control",
             dn);
    rc = write_on(e, dn, w, n, now, true);
    if (rc == AK_OK || rc == AK_ERR_CONFLICT)
        (void)ex_written_relax(&e->written, dn, 1);
    return rc == AK_ERR_DENIED || rc == AK_ERR_INVALID ? AK_ERR_FULL : rc;
}

/* Remember a write that went through: the first value it added (a copy
 * of the entry without it is older: written.h). */
static void note(struct ex *e, const char *dn, const struct ak_notice *first,
                 time_t now)
{
    char v[AK_NOTICE_MAX + 1];

    if (ak_notice_format(first, v) == AK_OK)
        ex_written_note(&e->written, dn, v, now, e->cfg->notice_lease);
}

static void to_write(const struct ex_due *d, time_t now,
                     struct ak_notice_write *w)
{
    const struct ak_notice_plan *p = &d->plan;

    memset(w, 0, sizeof(*w));
    switch (p->action) {
    case AK_NOTICE_TAKE_OVER:
        w->kind = AK_NW_TAKE_OVER;
        w->old = p->old;
        break;
    case AK_NOTICE_GIVE_UP:
        w->kind = AK_NW_REPLACE;
        w->old = p->old;
        w->next.id = p->old.id;
        w->next.state = AK_NOTICE_FAILED;
        w->next.at = now;
        snprintf(w->next.reason, sizeof(w->next.reason), "tempfail-24h");
        break;
    default:
        w->kind = AK_NW_CLAIM;
        w->id = p->id;
        w->n_skip = p->n_skip;
        memcpy(w->skip, p->skip, sizeof(w->skip));
        break;
    }
}

/* The batch went through: what each due notice became. */
static void claimed(struct ex *e, const char *dn, struct ex_due **d,
                    const struct ak_notice_write *w, unsigned n, time_t now)
{
    bool noted = false;

    for (unsigned i = 0; i < n; i++) {
        const struct ak_notice_plan *p = &d[i]->plan;
        if (w[i].left_out) { /* our own claim of this second */
            d[i]->rc = ex_claim_refused(e, p);
            continue;
        }
        d[i]->rc = AK_OK;
        d[i]->claimed = w[i].next;
        ex_mine_add(&e->mine, &w[i].next);
        if (!noted) {
            note(e, dn, &w[i].next, now);
            noted = true;
        }
        if (p->action == AK_NOTICE_TAKE_OVER)
            ak_log(&e->log, LOG_NOTICE, "key %s: took over notice (%s)",
                   p->id.kid, p->why ? p->why : "");
        else if (p->action == AK_NOTICE_GIVE_UP)
            ak_log(&e->log, LOG_ERR,
                   "key %s: a notice could not be delivered for 24 hours; "
                   "given up (the mailer kept failing)",
                   p->id.kid);
    }
    EX_CRASH_POINT("claimed");
}

/* Refused notices of one holder logged one by one; the rest in one line. */
#define EX_REFUSED_SAID 10

/*
 * Claim d[0..n) in one modify. Refused: the ones this daemon wrote itself
 * since the entry was read are dropped (EX_STALE) and the rest tried once
 * more. Refused whole by someone else, they are lost (another daemon has
 * them, or a key changed: the next look at the entry plans afresh), but a
 * holder refused twice running is split in halves until the notice the
 * directory keeps refusing is found, so that it alone is lost (a batch is
 * all or nothing; splitting at once would cost a daemon that lost a race
 * for n notices 2n - 1 refused modifies).
 */
static void claim_some(struct ex *e, const char *dn, struct ex_due **d,
                       unsigned n, time_t now, bool split)
{
    struct ak_notice_write *w = calloc(n, sizeof(*w));
    unsigned m = 0;
    int rc;

    if (w == NULL) {
        for (unsigned i = 0; i < n; i++)
            d[i]->rc = AK_ERR_NOMEM;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        to_write(d[i], now, &w[i]);
    rc = write_batch(e, dn, w, n, now);
    if (rc == AK_OK) {
        claimed(e, dn, d, w, n, now);
        (void)ex_written_refused(&e->written, dn, false);
    }
    free(w);
    if (rc == AK_OK)
        return;
    if (rc != AK_ERR_CONFLICT) { /* logged by the store */
        for (unsigned i = 0; i < n; i++)
            d[i]->rc = rc;
        return;
    }
    if (n == 1) {
        d[0]->rc = ex_claim_refused(e, &d[0]->plan);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        if (ex_claim_ours(e, &d[i]->plan))
            d[i]->rc = ex_claim_refused(e, &d[i]->plan); /* EX_STALE */
        else
            d[m++] = d[i];
    }
    if (m > 0 && m < n) {
        claim_some(e, dn, d, m, now, split);
    } else if (m > 0 && (split || ex_written_refused(&e->written, dn, true))) {
        claim_some(e, dn, d, m / 2, now, true);
        claim_some(e, dn, d + m / 2, m - m / 2, now, true);
    } else if (m > 0) {
        /* each logged as before, but a few a holder */
        for (unsigned i = 0; i < m; i++)
            d[i]->rc = i < EX_REFUSED_SAID ? ex_claim_refused(e, &d[i]->plan)
                                           : AK_ERR_CONFLICT;
        if (m > EX_REFUSED_SAID)
            ak_log(&e->log, LOG_INFO,
                   "%s: and %u more notices taken by another daemon (or "
                   "their keys changed since the entry was read)",
                   dn, m - EX_REFUSED_SAID);
    }
}

void ex_claim_batch(struct ex *e, const char *dn, struct ex_due *d, unsigned n,
                    time_t now)
{
    struct ex_due **p = calloc(n + 1, sizeof(*p));

    if (p == NULL) {
        for (unsigned i = 0; i < n; i++)
            d[i].rc = AK_ERR_NOMEM;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        p[i] = &d[i];
    if (n > 0)
        claim_some(e, dn, p, n, now, false);
    free(p);
}

/* The outcomes o[0..n), all of one holder, in one modify; refused (a claim
 * was taken over after its lease: rare), split until each refused one is
 * told apart (taken.c reads its value). */
static void settle_some(struct ex *e, struct ex_outcome *o, unsigned n)
{
    struct ak_notice_write *w = calloc(n, sizeof(*w));
    const char *dn = o[0].it->dn;
    int rc = AK_ERR_NOMEM;

    for (unsigned i = 0; w != NULL && i < n; i++) {
        w[i].kind = AK_NW_REPLACE;
        w[i].old = o[i].it->claimed;
        w[i].next = o[i].final;
    }
    if (w != NULL)
        rc = write_batch(e, dn, w, n, 0);
    free(w);
    if (rc == AK_OK) {
        note(e, dn, &o[0].final, ex_now());
        EX_CRASH_POINT("recorded");
    }
    if (rc == AK_ERR_CONFLICT && n > 1) {
        settle_some(e, o, n / 2);
        settle_some(e, o + n / 2, n - n / 2);
        return;
    }
    if (rc == AK_ERR_CONFLICT)
        rc = ex_settle_refused(e, o[0].it, &o[0].final);
    if (rc != AK_OK && rc != AK_ERR_CONFLICT && n == 1)
        ak_log(&e->log, LOG_ERR,
               "key %s: cannot record the notice as %s (%s); its claim "
               "expires after notice_lease",
               o[0].it->id.kid, ak_notice_state_name(o[0].final.state),
               ak_strerror(rc));
    else if (rc != AK_OK && rc != AK_ERR_CONFLICT)
        ak_log(&e->log, LOG_ERR,
               "%s: cannot record %u notices (%s); their claims expire "
               "after notice_lease",
               dn, n, ak_strerror(rc));
    for (unsigned i = 0; i < n; i++)
        o[i].rc = rc;
}

void ex_settle_batch(struct ex *e, struct ex_outcome *o, unsigned n)
{
    /* before: a lost answer is told apart */
    for (unsigned i = 0; i < n; i++)
        ex_mine_add(&e->mine, &o[i].final);
    if (n > 0)
        settle_some(e, o, n);
}
