/* SPDX-License-Identifier: BSD-3-Clause */
/* send.c - compose the pass's messages, deliver them, record the outcome */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_message.h"
#include "ak_secure.h"
#include "ak_status.h"
#include "deliver.h"
#include "ex_pass.h"
#include "summary.h"
#include "testhook.h"

static long long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - t->tv_sec) * 1000 +
           (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Whether a message may still start. Its notices were claimed at
 * out->first or later and must be recorded within notice_lease: an older
 * claim may be taken over by another daemon, which would send it again.
 * One delivery takes at most notice_timeout. A notice not sent for this
 * stays claimed and is taken over (by any daemon) when the lease ends. */
static bool within_lease(const struct ex *e, const struct ex_outbox *out)
{
    long long lease = (long long)e->cfg->notice_lease * 1000;
    long long timeout = (long long)e->cfg->notice_timeout * 1000;
    long long budget = timeout < lease / 2 ? lease - timeout - 1000 : lease / 2;

    return ms_since(&out->first) < budget;
}

/* The template of a class from notice_template_dir (NULL: built in),
 * read once per configuration (ex_templates_load), not per message. */
static char *read_template(struct ex *e, enum ak_msg_class cls, size_t *len)
{
    char path[4096], err[256];
    char *buf = NULL;

    *len = 0;
    if (e->cfg->notice_template_dir == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s.txt", e->cfg->notice_template_dir,
             cls == AK_MSG_OWNER ? "owner" : "admin");
    if (ak_file_read(path, AK_FILE_CONFIG, AK_MSG_TEMPLATE_MAX, &e->log, &buf,
                     len) != AK_OK)
        return NULL; /* logged; the built-in text still tells people */
    if (ak_msg_template_check(buf, *len, err, sizeof(err)) != AK_OK) {
        ak_log(&e->log, LOG_ERR, "%s: %s; using the built-in text", path, err);
        ak_file_free(buf, *len, AK_FILE_CONFIG);
        *len = 0;
        return NULL;
    }
    return buf;
}

void ex_templates_free(struct ex *e)
{
    for (int c = 0; c < 2; c++) {
        if (e->tmpl[c] != NULL)
            ak_file_free(e->tmpl[c], e->tmpl_len[c], AK_FILE_CONFIG);
        e->tmpl[c] = NULL;
        e->tmpl_len[c] = 0;
    }
}

void ex_templates_load(struct ex *e)
{
    ex_templates_free(e);
    e->tmpl[AK_MSG_OWNER] =
        read_template(e, AK_MSG_OWNER, &e->tmpl_len[AK_MSG_OWNER]);
    e->tmpl[AK_MSG_ADMIN] =
        read_template(e, AK_MSG_ADMIN, &e->tmpl_len[AK_MSG_ADMIN]);
}

struct ak_msg_key ex_msg_key(const struct ex_item *it)
{
    struct ak_msg_key k = {
        .key_id = it->id.kid,
        .label = it->label,
        .owner = it->owner,
        .service = it->service,
        .expires = it->id.expires,
        .stage = it->id.stage,
        .problem = it->problem,
    };
    return k;
}

/* What the bookkeeping says after a delivery: at the moment of its
 * outcome, not of the claim (the pass's time). A delivery may take up to
 * notice_timeout and wait for notice_rate, and a deferred notice's
 * retries and its 24 hours count from its first failure. Written with the
 * holder's other outcomes of the message (record_all). */
static void record(struct ex *e, struct ex_outbox *out, struct ex_item *it,
                   const struct ex_delivery *d)
{
    time_t now = ex_now();
    struct ak_notice final = {.id = it->id, .at = now};

    if (e->dry_run)
        return;
    if (d->result == EX_DELIVER_SENT) {
        final.state = AK_NOTICE_SENT;
        e->st.sent++;
    } else if (d->result == EX_DELIVER_TEMPORARY) {
        /* counted from the first failure the claim carries */
        ak_notice_deferred(&it->claimed, now, &final);
        e->st.deferred++;
    } else {
        final.state = AK_NOTICE_FAILED;
        snprintf(final.reason, sizeof(final.reason), "%s", d->reason);
        e->st.failed++;
    }
    if (ex_outbox_done(out, it, &final) != AK_OK)
        ak_log(&e->log, LOG_ERR,
               "key %s: out of memory recording the notice; its claim "
               "expires after notice_lease",
               it->id.kid);
}

/* Holder by holder, then as recorded. */
static int by_holder(const void *a, const void *b)
{
    const struct ex_outcome *x = a, *y = b;
    int c = strcmp(x->it->dn, y->it->dn);
    return c != 0 ? c : (x->it > y->it) - (x->it < y->it);
}

/* Write the outcomes recorded so far, one modify per holder (issue 16:
 * one per notice was 2,000 modifies of one entry for 1,000 keys). */
static void record_all(struct ex *e, struct ex_outbox *out)
{
    if (out->n_done == 0)
        return;
    qsort(out->done, out->n_done, sizeof(*out->done), by_holder);
    for (unsigned i = 0, n; i < out->n_done; i += n) {
        for (n = 1; i + n < out->n_done &&
                    strcmp(out->done[i + n].it->dn, out->done[i].it->dn) == 0;
             n++)
            ;
        ex_settle_batch(e, out->done + i, n);
        for (unsigned k = i; k < i + n; k++)
            if (out->done[k].rc == AK_ERR_CONFLICT &&
                out->done[k].final.state == AK_NOTICE_SENT)
                e->st.maybe_twice++; /* logged: it may go out twice */
    }
    out->n_done = 0;
}

/* One message to to[0..n_to) about its[0..n): deliver it, then record
 * its[n_info..n); the first n_info are information only (the owners'
 * problems in the admin message, whose bookkeeping is already done).
 * sum (may be NULL): the admins' summary lines it carries, and the
 * notices they stand for, recorded with it. */
static void one_message(struct ex *e, struct ex_outbox *out,
                        enum ak_msg_class cls, const struct ak_msg_rcpt *to,
                        size_t n_to, struct ex_item **its, unsigned n_info,
                        unsigned n, time_t now, const struct ex_summary *sum)
{
    struct ak_msg_key *keys = calloc(n + 1, sizeof(*keys));
    unsigned n_rec = sum != NULL ? sum->n_rec : 0;
    struct ex_delivery d = {.result = EX_DELIVER_TEMPORARY};
    char err[256] = "", *msg = NULL;
    size_t len = 0;
    struct ak_msg_in in = {.cls = cls,
                           .to = to,
                           .n_to = n_to,
                           .from = e->cfg->notice_from,
                           .keys = keys,
                           .n_keys = n,
                           .now = now,
                           .tmpl = e->tmpl[cls],
                           .tmpl_len = e->tmpl_len[cls]};

    if (sum != NULL) {
        in.notes = (const char *const *)sum->lines;
        in.n_notes = sum->n_lines;
        in.n_more = sum->n_more;
    }

    if (!e->dry_run) {
        ex_throttle(e, &e->rate_next);
        /* (a message of the admins' lines alone records no claim) */
        if (n - n_info + n_rec > 0 && !within_lease(e, out)) {
            /* recorded nothing: still claimed */
            e->st.left += n - n_info + n_rec;
            for (unsigned i = n_info; i < n; i++)
                its[i]->left = true;
            for (unsigned i = 0; i < n_rec; i++)
                sum->rec[i]->left = true;
            free(keys);
            return;
        }
    }
    if (keys == NULL) {
        snprintf(d.reason, sizeof(d.reason), "no-memory");
    } else {
        for (unsigned i = 0; i < n; i++)
            keys[i] = ex_msg_key(its[i]);
        if (ak_msg_build(&in, &msg, &len, err, sizeof(err)) != AK_OK) {
            ak_log(&e->log, LOG_ERR, "cannot compose a notice to %s: %s",
                   to[0].addr, err);
            d.result = EX_DELIVER_PERMANENT;
            snprintf(d.reason, sizeof(d.reason), "bad-message");
        } else if (e->dry_run) {
            printf("--- would send to %s (%u key%s)\n%s\n", to[0].addr, n,
                   n == 1 ? "" : "s", msg);
        } else if (ex_deliver(e->cfg->notice_sendmail, msg, len,
                              e->cfg->notice_timeout, &d) != AK_OK ||
                   d.result != EX_DELIVER_SENT) {
            ak_log(&e->log, LOG_WARNING, "notice to %s (%u key%s): %s (%s)%s%s",
                   to[0].addr, n, n == 1 ? "" : "s",
                   ex_delivery_result_str(d.result), d.reason,
                   d.output[0] ? ": " : "", d.output);
        } else {
            EX_CRASH_POINT("accepted");
            ak_log(&e->log, LOG_INFO, "sent a notice to %s about %u key%s",
                   to[0].addr, n, n == 1 ? "" : "s");
        }
    }
    for (unsigned i = n_info; i < n; i++) {
        if (d.result == EX_DELIVER_PERMANENT && cls == AK_MSG_OWNER &&
            its[i]->problem == NULL)
            its[i]->problem = "the notice could not be delivered";
        record(e, out, its[i], &d);
    }
    for (unsigned i = 0; i < n_rec; i++)
        record(e, out, sum->rec[i], &d);
    record_all(e, out);
    free(msg);
    free(keys);
}

/* Owner notices by recipients, then by place in the outbox (stable). */
static int by_recipients(const void *a, const void *b)
{
    const struct ex_item *x = *(struct ex_item *const *)a;
    const struct ex_item *y = *(struct ex_item *const *)b;
    int c = strcmp(x->to, y->to);
    return c != 0 ? c : (x > y) - (x < y);
}

/* The owner class: one message per set of recipients (a run of the
 * sorted notices, split at ex_group_max()); items without recipients fail
 * at once ("no-mail") and go to the admins. Sorted rather than compared
 * pairwise: 100,000 notices due in one pass were 5e9 comparisons. */
static void owner_messages(struct ex *e, struct ex_outbox *out, time_t now)
{
    struct ex_delivery none = {.result = EX_DELIVER_PERMANENT};
    struct ex_delivery later = {.result = EX_DELIVER_TEMPORARY};
    struct ex_item **its = calloc(out->n + 1, sizeof(*its));
    unsigned m = 0, max = ex_group_max();

    snprintf(none.reason, sizeof(none.reason), "no-mail");
    snprintf(later.reason, sizeof(later.reason), "directory-unavailable");
    if (its == NULL) {
        ak_log(&e->log, LOG_ERR, "out of memory composing the owner notices");
        return; /* still claimed: taken over after the lease */
    }
    for (unsigned i = 0; i < out->n; i++) {
        struct ex_item *it = &out->items[i];
        if (it->info_only || it->id.class != AK_NOTICE_OWNER)
            continue;
        if (it->to == NULL && it->unresolved) {
            /* the recipients could not be read: a temporary failure, not
             * a verdict (and nothing for the admins to hear yet) */
            it->problem = NULL;
            record(e, out, it, &later);
        } else if (it->to == NULL) {
            record(e, out, it, &none);
        } else {
            its[m++] = it;
        }
    }
    record_all(e, out);
    qsort(its, m, sizeof(*its), by_recipients);
    for (unsigned i = 0, n; i < m; i += n) {
        struct ak_msg_rcpt to[AK_MSG_RCPT_MAX];
        char *addrs = NULL;
        size_t n_to = ex_owner_rcpts(its[i]->to, &addrs, to, AK_MSG_RCPT_MAX);

        for (n = 1;
             i + n < m && n < max && strcmp(its[i + n]->to, its[i]->to) == 0;
             n++)
            ;
        if (n_to > 0)
            one_message(e, out, AK_MSG_OWNER, to, n_to, its + i, 0, n, now,
                        NULL);
        else if (addrs == NULL)
            ak_log(&e->log, LOG_ERR, "out of memory composing a notice");
        else /* never a silent drop (owner_mail keeps only valid ones) */
            for (unsigned k = 0; k < n; k++)
                record(e, out, its[i + k], &none);
        record_all(e, out);
        free(addrs);
    }
    free(its);
}

/* The admin class: one message to every policy recipient with the
 * pass's admin notices and every owner notice that had a problem. Owner
 * notices appear there only as information: their bookkeeping is done. */
static void admin_message(struct ex *e, struct ex_outbox *out, time_t now)
{
    struct ak_msg_rcpt to[AK_MSG_RCPT_MAX];
    struct ex_item **its = calloc(out->n + 1, sizeof(*its));
    struct ex_item **own = calloc(out->n + 1, sizeof(*own));
    unsigned n = 0, n_own = 0, max = ex_group_max();
    size_t n_to = 0;

    for (unsigned i = 0; its != NULL && own != NULL && i < out->n; i++) {
        struct ex_item *it = &out->items[i];
        if (it->info_only ||
            (it->id.class == AK_NOTICE_OWNER && it->problem != NULL))
            own[n_own++] = it; /* information: nothing to record */
        else if (it->id.class == AK_NOTICE_ADMIN)
            its[n++] = it;
    }
    if (n + n_own > 0 || out->n_notes > 0)
        n_to = ex_admin_rcpts(e, to, AK_MSG_RCPT_MAX, true);
    if (its == NULL || own == NULL) {
        ak_log(&e->log, LOG_ERR, "out of memory composing the admin notice");
    } else if (n_to == 0) {
        /* every recipient of the policy was left out: the admins' own
         * notices fail as an owner's without mail does, never stay claimed */
        struct ex_delivery none = {.result = EX_DELIVER_PERMANENT};
        snprintf(none.reason, sizeof(none.reason), "no-mail");
        for (unsigned i = 0; i < n_own; i++)
            ak_log(&e->log, LOG_WARNING,
                   "key %s of %s: %s, and the policy names no admin "
                   "recipients",
                   own[i]->id.kid, own[i]->owner, own[i]->problem);
        for (unsigned i = 0; i < n; i++)
            record(e, out, its[i], &none);
        record_all(e, out);
    } else if (n + n_own > 0 || out->n_notes > 0) {
        /* the owners' problems first, then the admins' own notices, a few
         * of each holder (summary.h); at most ex_group_max() keys a
         * message, as for the owners; the summary in the first */
        struct ex_item **all = calloc(n + n_own + 1, sizeof(*all));
        struct ex_summary sum;
        if (all != NULL) {
            memcpy(all, own, n_own * sizeof(*all));
            memcpy(all + n_own, its, n * sizeof(*all));
        }
        if (all == NULL ||
            ex_summary_build(all, n_own, n + n_own, out, &sum) != AK_OK) {
            ak_log(&e->log, LOG_ERR,
                   "out of memory composing the admin notice");
        } else {
            for (unsigned off = 0; off == 0 || off < sum.n_listed; off += max) {
                unsigned c = sum.n_listed - off;
                unsigned info = off < sum.n_info ? sum.n_info - off : 0;
                c = c < max ? c : max;
                one_message(e, out, AK_MSG_ADMIN, to, n_to, sum.listed + off,
                            info < c ? info : c, c, now,
                            off == 0 ? &sum : NULL);
            }
            ex_summary_free(&sum);
        }
        free(all);
    }
    free(its);
    free(own);
}

void ex_deliver_all(struct ex *e, struct ex_outbox *out, time_t now)
{
    unsigned left = e->st.left;

    owner_messages(e, out, now);
    admin_message(e, out, now);
    ex_notify_all(e, out, now);
    if (e->st.left > left)
        ak_log(&e->log, LOG_WARNING,
               "%u notices left claimed, not sent: their lease (notice_lease "
               "%u s) would end before they were delivered; any daemon "
               "takes them over when it has",
               e->st.left - left, e->cfg->notice_lease);
}
