/* SPDX-License-Identifier: BSD-3-Clause */
/* ex_pass.h - the steps of one pass: scan and claim, resolve, deliver */
#ifndef EX_PASS_H
#define EX_PASS_H

#include "ak_ldap.h"
#include "ak_manage.h"
#include "ak_message.h"
#include "ak_notice.h"
#include "ex.h"
#include "outbox.h"

/* Scan every key holder (paged) and claim what is due into out. AK_OK only
 * when the scan saw every holder but those set aside (ex_holders). *c, of
 * e->rd, may be replaced. */
int ex_scan(struct ex *e, struct ak_conn **c, time_t now,
            struct ex_outbox *out);

/* Every holder matching filter, read with attrs, to fn (as
 * ak_manage_search's). An entry the daemon cannot read (larger than the
 * client accepts) is set aside (e->aside: named once a run) and every
 * other still read (ak_scan). *c, of e->rd, may be replaced. */
int ex_holders(struct ex *e, struct ak_conn **c, const char *filter,
               char **attrs, ak_manage_entry_fn fn, void *ctx);

/* Open a holder entry read with attrs: AK_OK (en to close); an entry that
 * cannot be read whole is set aside (AK_ERR_MALFORMED: skip it), and one
 * set aside before that reads whole again leaves the set. */
struct ak_entry;
int ex_open_holder(struct ex *e, LDAP *ld, LDAPMessage *m, char *const *attrs,
                   struct ak_entry *en);

/* The attribute list and filter of every read of key holders. */
struct ak_holder_attrs;
void ex_attrs(const struct ex *e, struct ak_holder_attrs *a);
void ex_filter(const struct ex *e, char *buf, size_t len);

/* One holder entry (read with ex_attrs): plan, claim into out; *wake the
 * holder's next moment (0: none). With out NULL, plan only: nothing is
 * claimed, and a holder with a notice due has *wake = now (a syncrepl
 * refresh, which may yet fail, is not data to mail from: RELIABILITY
 * N-09). AK_OK or AK_ERR_NOMEM. */
int ex_entry(struct ex *e, const struct ak_holder_attrs *a, LDAP *ld,
             LDAPMessage *m, time_t now, struct ex_outbox *out, time_t *wake);

/* Find the addresses of service users' responsible people, on a
 * connection of e->rd of its own (after a fault, once more on a new one).
 * A read that still fails marks the notice unresolved: deferred, a
 * temporary failure, never "no-mail". */
void ex_resolve(struct ex *e, struct ex_outbox *out);

/* Compose, deliver and record every queued notice. */
void ex_deliver_all(struct ex *e, struct ex_outbox *out, time_t now);

/* What a message says about one notice. */
struct ak_msg_key ex_msg_key(const struct ex_item *it);

/* Run notify_command (when set) for each notice the delivery made (not
 * one left for the lease or whose recipients could not be read), after
 * the mail: the notice as JSON (ak_msg_json) with the mail's recipients.
 * Its exit status is logged; the bookkeeping is the mail's. */
void ex_notify_all(struct ex *e, const struct ex_outbox *out, time_t now);

/* The recipients of a notice, one address each in out[0..max), the count
 * returned. Owner class: to ("a b": resolve.c's distinct addresses)
 * split at its spaces into *buf, which the entries point into and the
 * caller frees (NULL: to was NULL, or no memory). Admin class: the
 * policy's recipients that are mail addresses, each once (ASCII case
 * aside), a warning for each one left out when say. */
size_t ex_owner_rcpts(const char *to, char **buf, struct ak_msg_rcpt *out,
                      size_t max);
size_t ex_admin_rcpts(const struct ex *e, struct ak_msg_rcpt *out, size_t max,
                      bool say);

/* notice_rate: wait for the slot on the clock *next (the mailer's
 * e->rate_next, notify_command's e->notify_next: each program is started
 * at most notice_rate times a second) and move it on. No slot is saved
 * up while idle; a signal to stop ends the wait. */
void ex_throttle(const struct ex *e, struct timespec *next);

/* The planner's options from the config (ak_notice_plan, ak_notice_sweep). */
struct ak_notice_opts ex_notice_opts(const struct ex *e);

/* With notice_rate: the most notices one pass claims (what the rate sends
 * in half of notice_lease). */
unsigned ex_claim_cap(const struct ex *e);

struct ak_entry;
struct ak_holder_attrs;

/* One due notice of a holder (ex_holder), and what became of it. */
struct ex_due {
    struct ak_notice_plan plan;
    char label[AK_LABEL_MAX + 1]; /* its key's */
    struct ak_notice claimed;     /* the claim written (or failed value) */
    int rc;
};

/* An entry holding more records than this is set aside (ex_holder). */
#define EX_HOLDER_RECORDS_MAX 1024

/* One holder entry en (read with a): each key planned over its own values
 * (ak_notice_holder), what is due claimed in one modify (ex_claim_batch),
 * queued into out; *wake the holder's next moment (0: none). With out
 * NULL, as ex_entry. An entry with more than EX_HOLDER_RECORDS_MAX records
 * is set aside, and one read before this daemon's own last write to it
 * (written.h) waits for a newer copy. AK_OK or AK_ERR_NOMEM. */
int ex_holder(struct ex *e, const struct ak_holder_attrs *a,
              struct ak_entry *en, struct ex_outbox *out, time_t now,
              time_t *wake);

/* The bookkeeping writes, on the writable server (ak_store_notice_batch),
 * each value remembered as ours (e->mine), the holder's last write too
 * (e->written).
 *
 * ex_claim_batch: claim (take over, give up) d[0..n), all of holder dn, in
 * one modify. Each d[i].rc: AK_OK (d[i].claimed is the value written);
 * AK_ERR_CONFLICT when another daemon (or an admin) holds the notice or
 * the key changed (to be counted as lost); EX_STALE when nothing is to be
 * done though no one raced us: the notice is ours already (planned from an
 * entry read before our write); another AK_ERR_* (logged).
 *
 * ex_settle_batch: record the outcomes o[0..n), all of one holder, in one
 * modify. Each o[i].rc: AK_OK (also when a retried write finds its own
 * outcome there), AK_ERR_CONFLICT when the claim was taken over. */
#define EX_STALE 1
void ex_claim_batch(struct ex *e, const char *dn, struct ex_due *d, unsigned n,
                    time_t now);
void ex_settle_batch(struct ex *e, struct ex_outcome *o, unsigned n);

void ex_item_free(struct ex_item *it);

/* Housekeeping, in a daemon at most once an hour, in one search of the
 * holders: the values of keys that ended more than key_cleanup_days ago
 * (ex_prune_holder), then the apiKeyNotice values of keys gone or ended
 * more than notice_cleanup_days ago (nothing when both are 0; a dry run
 * prints what would go). AK_OK when the search went through (or was not
 * due). */
int ex_cleanup(struct ex *e, time_t now);

/* What the housekeeping of keys did in one sweep. */
struct ex_prune_sweep {
    unsigned keys, values; /* removed (in a dry run: would be) */
    unsigned changed;      /* holders changed meanwhile: next sweep */
    unsigned denied;       /* holders the access rules refused */
    unsigned failed;       /* other faults */
    unsigned oversized;    /* holders far past their bounds: left alone */
};

/* A holder once its ended keys are gone: what the notice sweep judges,
 * so that their notices go in the same sweep (as a gone key's). */
struct ak_entry;
struct ex_pruned {
    struct ak_holder_view v;
    struct ak_values ids;
    struct ak_holder_view read; /* as read */
    struct ak_values read_ids;
    struct ak_bytes *owned[2];
};

/* The housekeeping of ended keys (key_cleanup_days) of holder en, read
 * with a, whose view is v: plan (ak_prune_plan), delete in one modify on
 * the writable server (ak_store_prune; a dry run prints instead), log
 * each key that went, count into sw. *after receives the holder without
 * what went (as read when nothing went); ex_pruned_free it. A refusal by
 * the access rules is logged once a sweep (sw->denied). */
void ex_prune_holder(struct ex *e, struct ak_entry *en,
                     const struct ak_holder_attrs *a,
                     const struct ak_holder_view *v, time_t now,
                     struct ex_prune_sweep *sw, struct ex_pruned *after);
void ex_pruned_free(struct ex_pruned *after);

#endif
