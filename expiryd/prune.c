/* SPDX-License-Identifier: BSD-3-Clause */
/* prune.c - housekeeping of ended keys (key_cleanup_days): one holder's
 * values of keys that ended long ago, deleted in one modify. Which values
 * go is ak_prune_plan's (core); the modify is ak_store_prune's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_bounds.h"
#include "ak_holder.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store_prune.h"
#include "ak_time.h"
#include "ex_pass.h"

/* Lines the modify logs, held until its outcome is known: a refusal by
 * the access rules is said once a pass, better than the server puts it,
 * and would otherwise be one error line for every holder. */
#define HELD_MAX 4
struct held {
    unsigned n;
    int prio[HELD_MAX];
    char line[HELD_MAX][AK_LOG_LINE_MAX];
};

static void hold(void *ctx, int prio, const char *msg)
{
    struct held *h = ctx;

    if (h->n < HELD_MAX) {
        h->prio[h->n] = prio;
        snprintf(h->line[h->n++], AK_LOG_LINE_MAX, "%s", msg);
    }
}

static void release(const struct held *h, const struct ak_log *to)
{
    for (unsigned i = 0; i < h->n; i++)
        ak_log(to, h->prio[i], "%s", h->line[i]);
}

/* On the writable server, as the notices' writes. */
static int apply(struct ex *e, const char *dn,
                 const struct ak_values *const vals[AK_PRUNE_N],
                 const struct ak_prune *p)
{
    struct held h = {0};
    struct ak_log quiet = {.sink = hold, .ctx = &h, .debug = e->log.debug};
    struct ak_conn *c = NULL;
    int rc = ak_dir_acquire(e->wr, false, &e->log, &c);

    if (rc != AK_OK)
        return rc;
    rc = ak_store_prune(c, dn, vals, p, &quiet);
    ak_dir_release(e->wr, c);
    if (rc != AK_ERR_DENIED)
        release(&h, &e->log);
    return rc;
}

/* "record, id, 2 last uses, 1 rotated end, expiry time" */
static void what_went(const struct ak_prune_key *k, char *buf, size_t len)
{
    int n = snprintf(buf, len, "record");

    if (k->n_ids > 0 && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n,
                      k->n_ids == 1 ? ", id" : ", %u ids", k->n_ids);
    if (k->n_last_used > 0 && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ", %u last use%s",
                      k->n_last_used, k->n_last_used == 1 ? "" : "s");
    if (k->n_rotated > 0 && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ", %u rotated end%s",
                      k->n_rotated, k->n_rotated == 1 ? "" : "s");
    if (k->expiry_goes && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", expiry time");
}

/* "rotated 20260101000000Z, 31 days ago" */
static void how_ended(const struct ak_prune_key *k, time_t now, char *buf,
                      size_t len)
{
    char t[AK_TIME_LEN + 1];

    if (ak_time_format(k->end, t) != AK_OK)
        snprintf(t, sizeof(t), "?");
    snprintf(buf, len, "%s %s, %lld days ago", ak_prune_cause_name(k->cause), t,
             (long long)((now - k->end) / 86400));
}

/* What went (or would go), one line a key, then the expiry values. */
static void report(struct ex *e, const char *dnq, const struct ak_prune *p,
                   const struct ak_values *expires, time_t now)
{
    for (unsigned i = 0; i < p->n_keys; i++) {
        char went[128], how[96];
        what_went(&p->keys[i], went, sizeof(went));
        how_ended(&p->keys[i], now, how, sizeof(how));
        if (e->dry_run)
            printf("--- would remove from %s: key %s: %s (%s)\n", dnq,
                   p->keys[i].kid, went, how);
        else
            ak_log(&e->log, LOG_INFO, "%s: key %s: removed %s (%s)", dnq,
                   p->keys[i].kid, went, how);
    }
    for (unsigned i = 0; i < p->n_del[AK_PRUNE_EXPIRES]; i++) {
        const struct ak_bytes *b = &expires->v[p->del[AK_PRUNE_EXPIRES][i]];
        char q[64];
        ak_log_quote(q, sizeof(q), b->p, (unsigned)b->n);
        if (e->dry_run)
            printf("--- would remove from %s: apiKeyExpires %s\n", dnq, q);
        else
            ak_log(&e->log, LOG_INFO,
                   "%s: removed apiKeyExpires %s (past, or of no key left)",
                   dnq, q);
    }
}

static unsigned total(const struct ak_prune *p)
{
    unsigned n = 0;

    for (unsigned a = 0; a < AK_PRUNE_N; a++)
        n += p->n_del[a];
    return n;
}

/* vs without the values at the ascending indices del[0..n), into *out
 * (the array malloc'ed into *owned). */
static int without(const struct ak_values *vs, const unsigned *del, unsigned n,
                   struct ak_values *out, struct ak_bytes **owned)
{
    unsigned k = 0, j = 0;

    *out = *vs;
    if (n == 0)
        return AK_OK;
    *owned = calloc(vs->n, sizeof(**owned));
    if (*owned == NULL)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < vs->n; i++) {
        if (j < n && del[j] == i)
            j++;
        else
            (*owned)[k++] = vs->v[i];
    }
    out->v = *owned;
    out->n = k;
    return AK_OK;
}

/* The holder as it is once p is applied (for the notice sweep). */
static void after_prune(const struct ak_prune *p, struct ex_pruned *after)
{
    if (without(&after->v.records, p->del[AK_PRUNE_RECORD],
                p->n_del[AK_PRUNE_RECORD], &after->v.records,
                &after->owned[0]) != AK_OK ||
        without(&after->ids, p->del[AK_PRUNE_ID], p->n_del[AK_PRUNE_ID],
                &after->ids, &after->owned[1]) != AK_OK) {
        /* no memory: the notice sweep judges the holder as read (it keeps
         * the notices of the keys that went, until the next sweep) */
        after->v.records = after->read.records;
        after->ids = after->read_ids;
    }
}

/* An entry pushed far past its bounds (the relax control before OpenLDAP
 * 2.7: docs/key-records.md, "Bounds") is an admin's to clean: slapd
 * compares each value a modify deletes with every value present, under
 * its write lock, so deleting thousands from an entry of a hundred
 * thousand would stall every write in the directory. Within four times
 * its bounds (an entry filled before the bounds were loaded among them)
 * that costs well under a millisecond. */
static bool oversized(const struct ak_values *const vals[AK_PRUNE_N])
{
    static const char *const attrs[AK_PRUNE_N] = {
        [AK_PRUNE_RECORD] = AK_AT_RECORD,       [AK_PRUNE_ID] = AK_AT_ID,
        [AK_PRUNE_LAST_USED] = AK_AT_LAST_USED, [AK_PRUNE_END] = AK_AT_REVOKED,
        [AK_PRUNE_EXPIRES] = AK_AT_EXPIRES,
    };
    unsigned long held = 0, room = 0;

    for (unsigned a = 0; a < AK_PRUNE_N; a++) {
        const struct ak_bound *b = ak_bound_find(attrs[a]);
        held += vals[a]->n;
        room += b != NULL ? b->count : ak_bounds_keys();
    }
    return held > 4 * room;
}

static void told_denied(struct ex *e, const char *dnq,
                        struct ex_prune_sweep *sw)
{
    if (sw->denied++ > 0)
        return;
    ak_log(&e->log, LOG_ERR,
           "%s: the directory does not let %s delete the values of ended "
           "keys (insufficient access): load the access rules of this "
           "version (packaging/ldap/apikey-acl.ldif, or apikey "
           "setup-directory; rules {2} and {3} let the daemon delete key "
           "records, ids, expiry times, last uses and rotations' ends, never "
           "a revocation), or set key_cleanup_days 0. Said once a pass; "
           "housekeeping goes on",
           dnq, e->cfg->notice_bind_dn ? e->cfg->notice_bind_dn : "the daemon");
}

void ex_prune_holder(struct ex *e, struct ak_entry *en,
                     const struct ak_holder_attrs *a,
                     const struct ak_holder_view *v, time_t now,
                     struct ex_prune_sweep *sw, struct ex_pruned *after)
{
    const struct ak_values *const vals[AK_PRUNE_N] = {
        [AK_PRUNE_RECORD] = &v->records,
        [AK_PRUNE_ID] = ak_holder_field(en, a, AK_HF_ID),
        [AK_PRUNE_LAST_USED] = ak_holder_field(en, a, AK_HF_LAST_USED),
        [AK_PRUNE_END] = &v->revoked,
        [AK_PRUNE_EXPIRES] = ak_holder_field(en, a, AK_HF_EXPIRES),
    };
    struct ak_prune p;
    char dnq[512];
    char *dn = NULL;
    int rc;

    memset(after, 0, sizeof(*after));
    after->v = after->read = *v;
    after->ids = after->read_ids = *vals[AK_PRUNE_ID];
    ak_log_quote(dnq, sizeof(dnq), v->dn, (unsigned)v->dn_len);
    if (oversized(vals)) {
        sw->oversized++;
        ak_log(&e->log, LOG_WARNING,
               "%s: holds far more key values than the directory's bounds "
               "allow (docs/key-records.md, Bounds): housekeeping leaves it "
               "to an admin (ldapmodify -e relax)",
               dnq);
        return;
    }
    rc = ak_prune_plan(v, vals[AK_PRUNE_ID], vals[AK_PRUNE_LAST_USED],
                       vals[AK_PRUNE_EXPIRES], now, e->cfg->key_cleanup_days,
                       &p);
    if (rc != AK_OK) {
        ak_log(&e->log, LOG_ERR, "%s: housekeeping of keys: %s", dnq,
               ak_strerror(rc));
        sw->failed++;
        return;
    }
    if (p.skipped != NULL || p.n_unreadable > 0 || p.n_several > 0)
        ak_debug(&e->log,
                 "%s: housekeeping of keys: %s%s%u records that cannot be "
                 "read and %u key ids with several records left alone",
                 dnq, p.skipped ? p.skipped : "", p.skipped ? "; " : "",
                 p.n_unreadable, p.n_several);
    if (!ak_prune_any(&p)) {
        ak_prune_free(&p);
        return;
    }
    if (e->dry_run)
        rc = AK_OK;
    else if ((dn = ak_entry_dn(en)) == NULL)
        rc = AK_ERR_NOMEM;
    else
        rc = apply(e, dn, vals, &p);
    free(dn);
    switch (rc) {
    case AK_OK:
        report(e, dnq, &p, vals[AK_PRUNE_EXPIRES], now);
        sw->keys += p.n_keys;
        sw->values += total(&p);
        after_prune(&p, after);
        break;
    case AK_ERR_CONFLICT:
        sw->changed++;
        ak_log(&e->log, LOG_INFO,
               "%s: changed meanwhile (a value gone, or a revocation taken "
               "back); its ended keys are looked at again next time",
               dnq);
        break;
    case AK_ERR_DENIED:
        told_denied(e, dnq, sw);
        break;
    default:
        sw->failed++;
        ak_log(&e->log, LOG_ERR,
               "%s: cannot remove the values of %u ended key%s: %s", dnq,
               p.n_keys, p.n_keys == 1 ? "" : "s", ak_strerror(rc));
        break;
    }
    ak_prune_free(&p);
}

void ex_pruned_free(struct ex_pruned *after)
{
    free(after->owned[0]);
    free(after->owned[1]);
    memset(after, 0, sizeof(*after));
}
