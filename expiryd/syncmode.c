/* SPDX-License-Identifier: BSD-3-Clause */
/* syncmode.c - driven by the directory: RFC 4533 refreshAndPersist feeds
 * each changed holder to the same planning as a scan, and the index wakes
 * the daemon when a tracked holder's next notice falls due */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ak_holder.h"
#include "ak_status.h"
#include "ex_pass.h"
#include "index.h"
#include "sync.h"
#include "testhook.h"

/* Consecutive sessions that failed before the directory answered in
 * full: from this many on, each failure is logged as an error (an alert:
 * no notice can be computed meanwhile). With the backoff (1, 2, 4 s ...)
 * that is about 7 s after the directory went away. */
#define EX_SYNC_ALERT_AFTER 4

/* persist's own end: the entries set aside changed (one more, or one
 * readable again), so a new session asks without them (ex_aside_filter). */
enum { EX_SYNC_REFILTER = 16 };

struct syncrun {
    struct ex *e;
    struct ak_holder_attrs attrs;
    struct ex_index *idx;
    struct ex_outbox out;
    bool save;              /* a cookie came: save the index with it */
    struct timespec opened; /* when the session's search went out */
    bool full;              /* the session started without a cookie */
    bool refreshed;         /* the session's refresh is complete */
    char path[4096];
    /* sessions that failed in a row (before a refresh completed), since
     * when, and the wait before the next one */
    unsigned failures, backoff;
    time_t since;
    unsigned aside_changes; /* e->aside.changes when the session began */
};

/* A changed holder. In the persist stage: plan and claim now. During the
 * refresh: plan only. A refresh the server cuts short (a size or time
 * limit, a lost connection) is partial data, from which nothing is mailed
 * (RELIABILITY N-09); what is due waits in the index, due now, for the
 * walk that follows a complete refresh (on_due reads it again). It also
 * keeps the daemon from writing the instant a refresh fails: slapd 2.5.13
 * was seen to crash on a write that close behind a refreshAndPersist
 * search ended by a size limit. */
static int on_entry(void *ctx, const uint8_t uuid[EX_UUID_LEN], LDAP *ld,
                    LDAPMessage *m, time_t *next_due)
{
    struct syncrun *r = ctx;
    time_t wake = 0;
    int rc = ex_entry(r->e, &r->attrs, ld, m, ex_now(),
                      r->refreshed ? &r->out : NULL, &wake);

    (void)uuid;
    *next_due = wake ? wake : EX_DUE_NEVER;
    return rc;
}

/* The refresh is over and the index complete: say how long it took and
 * what it holds (bench/expiryd measures the refresh by this line). The
 * directory answered in full: the next outage starts afresh (the backoff
 * from 1 s, the count of failures from 0). */
static void on_refresh_done(void *ctx)
{
    struct syncrun *r = ctx;
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ak_log(&r->e->log, LOG_INFO,
           "syncrepl: refresh done in %lld ms: %zu holders tracked, "
           "index %zu bytes",
           (long long)(now.tv_sec - r->opened.tv_sec) * 1000 +
               (now.tv_nsec - r->opened.tv_nsec) / 1000000,
           ex_index_count(r->idx), ex_index_bytes(r->idx));
    if (r->failures >= EX_SYNC_ALERT_AFTER)
        ak_log(&r->e->log, LOG_NOTICE,
               "syncrepl: the directory answers again (after %u failures)",
               r->failures);
    r->failures = 0;
    r->backoff = 1;
    r->refreshed = true;
    /* A refresh from nothing saw every holder: a complete pass, and the
     * housekeeping that follows one (at most hourly in a daemon). */
    if (r->full) {
        ex_pass_seen(r->e);
        ex_status_write(r->e);
        if (!ex_stop)
            (void)ex_cleanup(r->e, ex_now());
    }
}

static void on_cookie(void *ctx)
{
    struct syncrun *r = ctx;
    r->save = true;
}

/* "(entryUUID=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" */
static void uuid_filter(const uint8_t u[EX_UUID_LEN], char *buf, size_t len)
{
    snprintf(buf, len,
             "(entryUUID=%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x)",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
             u[11], u[12], u[13], u[14], u[15]);
}

/* The holder matching filter (its entryUUID) cannot be read: its DN, which
 * a "1.1" read gives whatever the entry holds, joins the set aside. */
static void aside_uuid(struct syncrun *r, const char *filter)
{
    struct ex *e = r->e;
    char *dn_only[] = {AK_LDAP_STR(LDAP_NO_ATTRS), NULL};
    struct ak_conn *c = NULL;
    LDAPMessage *res = NULL, *m;
    char *dn = NULL;

    if (ak_dir_acquire(e->rd, false, &e->log, &c) == AK_OK &&
        ak_conn_search(c, e->cfg->search_base, LDAP_SCOPE_SUBTREE, filter,
                       dn_only, 2, &e->log, &res) == AK_OK &&
        (m = ldap_first_entry(ak_conn_ld(c), res)) != NULL)
        dn = ldap_get_dn(ak_conn_ld(c), m);
    ex_aside_add(&e->aside, dn ? dn : filter, ak_strerror(AK_ERR_TOO_BIG),
                 &e->log);
    ldap_memfree(dn);
    ldap_msgfree(res);
    if (c != NULL)
        ak_dir_release(e->rd, c);
}

/* A tracked holder whose moment came: read it again and plan. */
static int on_due(void *ctx, const uint8_t uuid[EX_UUID_LEN], time_t due)
{
    struct syncrun *r = ctx;
    struct ex *e = r->e;
    struct ak_conn *c = NULL;
    LDAPMessage *res = NULL, *m;
    char filter[128];
    time_t wake = 0;
    int rc;

    (void)due;
    if (e->cfg->notice_rate > 0 && r->out.n >= ex_claim_cap(e))
        return AK_OK; /* notice_rate: after this batch is sent */
    uuid_filter(uuid, filter, sizeof(filter));
    rc = ak_dir_acquire(e->rd, false, &e->log, &c);
    if (rc == AK_OK)
        rc = ak_conn_search(c, e->cfg->search_base, LDAP_SCOPE_SUBTREE, filter,
                            r->attrs.list, 2, &e->log, &res);
    if (rc == AK_OK) {
        m = ldap_first_entry(ak_conn_ld(c), res);
        if (m != NULL)
            rc = ex_entry(e, &r->attrs, ak_conn_ld(c), m, ex_now(), &r->out,
                          &wake);
        ex_index_set_due(r->idx, uuid, wake ? wake : EX_DUE_NEVER);
    }
    ldap_msgfree(res);
    if (c != NULL)
        ak_dir_release(e->rd, c);
    if (rc == AK_ERR_TOO_BIG) {
        /* read again and again it would cost the server its size each
         * time: named and set aside; persist leaves it out from now on */
        aside_uuid(r, filter);
        ex_index_set_due(r->idx, uuid, EX_DUE_NEVER);
    }
    return rc == AK_ERR_NOMEM ? rc : AK_OK; /* a read fault: next time */
}

/* Deliver what the last steps claimed. */
static void flush(struct syncrun *r)
{
    if (r->out.n > 0 || r->out.n_notes > 0) {
        ex_resolve(r->e, &r->out);
        ex_deliver_all(r->e, &r->out, ex_now());
        ex_outbox_free(&r->out);
    }
    /* what went out or was lost, when it changed; not during a refresh,
     * which sends nothing (its end writes the file) */
    if (r->refreshed)
        ex_status_write(r->e);
}

static void save(struct syncrun *r, struct ex_sync *s)
{
    size_t len = 0;
    const uint8_t *cookie = ex_sync_cookie(s, &len);

    if (r->save && !r->e->dry_run &&
        ex_index_save(r->idx, r->path, cookie, len, &r->e->log) == AK_OK)
        EX_CRASH_POINT("stored");
    r->save = false;
}

/* The session until a signal, a lost connection or a resync. */
static int persist(struct syncrun *r, struct ex_sync *s)
{
    struct ex *e = r->e;
    struct timespec last, now;
    int rc = AK_OK;

    clock_gettime(CLOCK_MONOTONIC, &last);
    while (rc == AK_OK && !ex_stop && !ex_reload) {
        time_t due = 0;
        uint8_t uuid[EX_UUID_LEN];
        int wait = 1000;

        /* Each look for due holders walks the whole index; while the
         * refresh runs, ex_sync_poll returns whenever it has drained what
         * was there (often a few entries), and walking 100,000 slots twice
         * per slice was a third of the refresh. Every entry the refresh
         * sends is planned as it comes; what a loaded state file holds
         * waits for the refresh to end (refresh_idle bounds it). */
        if (ex_sync_refreshed(s) && ex_index_earliest(r->idx, &due, uuid) &&
            due != EX_DUE_NEVER && due - ex_now() < 1)
            wait = 0;
        rc = ex_sync_poll(s, wait);
        if (rc == AK_OK && ex_sync_refreshed(s))
            rc = ex_index_each_due(r->idx, ex_now(), on_due, r);
        flush(r);
        save(r, s);
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* The policy lies outside the holders' search: read it again now
         * and then, with a full pass (it also catches what a lost
         * change would hide). */
        if (rc == AK_OK &&
            now.tv_sec - last.tv_sec >= (time_t)e->cfg->notice_interval) {
            last = now;
            (void)ex_pass(e);
        }
        if (rc == AK_OK && e->aside.changes != r->aside_changes)
            rc = EX_SYNC_REFILTER;
    }
    return rc;
}

/* The entryUUID of each entry set aside that has none yet: a read of that
 * one attribute, small whatever the entry holds. One gone meanwhile keeps
 * none (nothing to leave out). */
static void aside_uuids(struct ex *e)
{
    char *attrs[] = {AK_LDAP_STR("entryUUID"), NULL};

    for (size_t i = 0; i < e->aside.n; i++) {
        struct ex_aside_entry *a = &e->aside.v[i];
        struct ak_conn *c = NULL;
        LDAPMessage *res = NULL, *m;
        struct berval **v = NULL;

        if (a->uuid != NULL ||
            ak_dir_acquire(e->rd, false, &e->log, &c) != AK_OK)
            continue;
        if (ak_conn_search(c, a->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
                           1, &e->log, &res) == AK_OK &&
            (m = ldap_first_entry(ak_conn_ld(c), res)) != NULL &&
            (v = ldap_get_values_len(ak_conn_ld(c), m, attrs[0])) != NULL &&
            v[0] != NULL)
            a->uuid = strndup(v[0]->bv_val, v[0]->bv_len);
        ldap_value_free_len(v);
        ldap_msgfree(res);
        ak_dir_release(e->rd, c);
    }
}

static int session(struct syncrun *r, uint8_t **cookie, size_t *cookie_len)
{
    struct ex *e = r->e;
    struct ex_sync_cb cb = {.entry = on_entry,
                            .refresh_done = on_refresh_done,
                            .cookie = on_cookie};
    char holders[2048], *filter = NULL;
    struct ex_sync_params p = {.base = e->cfg->search_base,
                               .attrs = r->attrs.list};
    struct ak_conn *c = NULL;
    struct ex_sync *s = NULL;
    int rc;

    /* An entry that left the set aside was not tracked meanwhile, and a
     * resume sends only what changed after the cookie: from nothing. */
    if (ex_aside_went(&e->aside)) {
        free(*cookie);
        *cookie = NULL;
        *cookie_len = 0;
    }
    p.cookie = *cookie;
    p.cookie_len = *cookie_len;
    aside_uuids(e);
    ex_filter(e, holders, sizeof(holders));
    r->aside_changes = e->aside.changes;
    if (ex_aside_filter(&e->aside, holders, &filter) != AK_OK)
        return AK_ERR_NOMEM;
    p.filter = filter;
    clock_gettime(CLOCK_MONOTONIC, &r->opened);
    r->full = *cookie == NULL;
    r->refreshed = false;
    if (r->full) { /* the status counts what this refresh sees */
        ex_stats_begin(e);
        e->next_due = 0;
    }
    rc = ak_dir_acquire(e->ps, true, &e->log, &c);
    if (rc == AK_OK)
        rc = ex_sync_open(c, r->idx, &p, &cb, r, &e->log, &s);
    if (rc == AK_OK) {
        ak_log(&e->log, LOG_INFO, "syncrepl: %s",
               *cookie ? "resumed" : "full refresh");
        rc = persist(r, s);
    }
    /* A session that never opened (the directory down) changes nothing:
     * the next one resumes from the same cookie, not from scratch. One the
     * server refused (4096, a cookie it cannot take) starts over. */
    if (s != NULL || rc == EX_SYNC_RESYNC || rc == AK_ERR_INVALID) {
        free(*cookie);
        *cookie = NULL;
        *cookie_len = 0;
    }
    if (s != NULL && rc != EX_SYNC_RESYNC) {
        /* resume from where the session got: the cookie covers the index */
        const uint8_t *k = ex_sync_cookie(s, cookie_len);
        if (k != NULL && (*cookie = malloc(*cookie_len)) != NULL)
            memcpy(*cookie, k, *cookie_len);
        else
            *cookie_len = 0;
    }
    flush(r);
    ex_sync_close(s);
    ak_conn_discard(c); /* it carried a persistent search */
    ak_dir_release(e->ps, c);
    free(filter);
    return rc;
}

/* The session lost its connection to an entry larger than the client
 * accepts, and cannot say which (its message was never read). A pass
 * names it and sets it aside (ak_scan), sending meanwhile what is due; the
 * next session leaves it out. True when the pass set one aside. */
static bool find_too_big(struct syncrun *r)
{
    unsigned before = r->e->aside.changes;

    (void)ex_pass(r->e);
    return r->e->aside.changes != before;
}

/* A session that failed: count it, log it, wait the backoff. */
static void failed(struct syncrun *r, int rc)
{
    struct ex *e = r->e;
    char when[32] = "?";
    struct tm tm;

    if (r->failures++ == 0)
        r->since = ex_now();
    if (gmtime_r(&r->since, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (r->failures >= EX_SYNC_ALERT_AFTER)
        ak_log(&e->log, LOG_ERR,
               "syncrepl: the directory failed %u times in a row (since %s; "
               "last: %s): no notice can be computed until it answers; "
               "again in %u s",
               r->failures, when, ex_sync_strerror(rc), r->backoff);
    else
        ak_log(&e->log, LOG_WARNING,
               "syncrepl: session ended (%s); again in %u s",
               ex_sync_strerror(rc), r->backoff);
    for (unsigned i = 0; i < r->backoff * 10 && !ex_stop && !ex_reload; i++)
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    r->backoff = r->backoff < 60 ? r->backoff * 2 : 60;
}

int ex_run_sync(struct ex *e)
{
    struct syncrun r = {.e = e, .backoff = 1};
    uint8_t *cookie = NULL;
    size_t cookie_len = 0;
    int rc;

    snprintf(r.path, sizeof(r.path), "%s/state", e->cfg->notice_state_dir);
    ex_attrs(e, &r.attrs);
    if (ex_index_new(&r.idx) != AK_OK)
        return AK_ERR_NOMEM;
    (void)ex_index_load(r.idx, r.path, &cookie, &cookie_len, &e->log);
    /* The policy, and everything due now. With a cookie, a pass: the
     * policy may have changed while the daemon was away, and the holders a
     * resume does not send again were planned under the old one. Without
     * one, the refresh sends every holder whole and each is planned as it
     * comes (on_entry), as a pass would: a pass first read them all twice
     * and doubled the time to a complete index. Only the policy then. */
    rc = cookie != NULL ? ex_pass(e) : ex_read_policy(e);
    while (!ex_stop && !ex_reload) {
        /* No holder is planned without the policy (its stages and admin
         * recipients): until it has been read once, no session starts.
         * Later failures keep the last policy read. */
        if (!e->have_policy && (rc = ex_read_policy(e)) != AK_OK) {
            failed(&r, rc);
            continue;
        }
        rc = session(&r, &cookie, &cookie_len);
        if (rc == EX_SYNC_UNSUPPORTED)
            break;
        if (rc == EX_SYNC_RESYNC) {
            ak_log(&e->log, LOG_NOTICE, "syncrepl: full refresh required");
            continue;
        }
        if (rc == EX_SYNC_REFILTER)
            continue; /* at once, without what is set aside */
        if (ex_stop || ex_reload)
            break;
        if (rc == AK_ERR_TOO_BIG && find_too_big(&r))
            continue;
        failed(&r, rc);
    }
    free(cookie);
    ex_index_free(r.idx);
    return rc == EX_SYNC_UNSUPPORTED ? rc : AK_OK;
}
