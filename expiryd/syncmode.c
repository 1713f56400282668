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
#include "testhook.h"
#include "index.h"
#include "sync.h"

struct syncrun {
    struct ex *e;
    struct ak_holder_attrs attrs;
    struct ex_index *idx;
    struct ex_outbox out;
    bool save; /* a cookie came: save the index with it */
    char path[4096];
};

/* A changed holder (refresh or persist): plan and claim now. */
static int on_entry(void *ctx, const uint8_t uuid[EX_UUID_LEN], LDAP *ld,
                    LDAPMessage *m, time_t *next_due)
{
    struct syncrun *r = ctx;
    time_t wake = 0;
    int rc = ex_entry(r->e, &r->attrs, ld, m, ex_now(), &r->out, &wake);

    (void)uuid;
    *next_due = wake ? wake : EX_DUE_NEVER;
    return rc;
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
    return rc == AK_ERR_NOMEM ? rc : AK_OK; /* a read fault: next time */
}

/* Deliver what the last steps claimed. */
static void flush(struct syncrun *r)
{
    struct ak_conn *c = NULL;

    if (r->out.n == 0)
        return;
    if (ak_dir_acquire(r->e->rd, false, &r->e->log, &c) == AK_OK) {
        ex_resolve(r->e, c, &r->out);
        ak_dir_release(r->e->rd, c);
    }
    ex_deliver_all(r->e, &r->out, ex_now());
    ex_outbox_free(&r->out);
}

static void save(struct syncrun *r, struct ex_sync *s)
{
    size_t len = 0;
    const uint8_t *cookie = ex_sync_cookie(s, &len);

    if (r->save && !r->e->dry_run)
        (void)ex_index_save(r->idx, r->path, cookie, len, &r->e->log);
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

        if (ex_index_earliest(r->idx, &due, uuid) && due != EX_DUE_NEVER &&
            due - ex_now() < 1)
            wait = 0;
        rc = ex_sync_poll(s, wait);
        if (rc == AK_OK)
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
    }
    return rc;
}

static int session(struct syncrun *r, uint8_t **cookie, size_t *cookie_len)
{
    struct ex *e = r->e;
    struct ex_sync_cb cb = {.entry = on_entry, .cookie = on_cookie};
    char filter[2048];
    struct ex_sync_params p = {.base = e->cfg->search_base,
                               .filter = filter,
                               .attrs = r->attrs.list,
                               .cookie = *cookie,
                               .cookie_len = *cookie_len};
    struct ak_conn *c = NULL;
    struct ex_sync *s = NULL;
    int rc;

    ex_filter(e, filter, sizeof(filter));
    rc = ak_dir_acquire(e->rd, true, &e->log, &c);
    if (rc == AK_OK)
        rc = ex_sync_open(c, r->idx, &p, &cb, r, &e->log, &s);
    if (rc == AK_OK) {
        ak_log(&e->log, LOG_INFO, "syncrepl: %s",
               *cookie ? "resumed" : "full refresh");
        rc = persist(r, s);
    }
    free(*cookie);
    *cookie = NULL;
    *cookie_len = 0;
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
    ak_dir_release(e->rd, c);
    return rc;
}

int ex_run_sync(struct ex *e)
{
    struct syncrun r = {.e = e};
    uint8_t *cookie = NULL;
    size_t cookie_len = 0;
    unsigned backoff = 1;
    int rc;

    snprintf(r.path, sizeof(r.path), "%s/state", e->cfg->notice_state_dir);
    ex_attrs(e, &r.attrs);
    if (ex_index_new(&r.idx) != AK_OK)
        return AK_ERR_NOMEM;
    (void)ex_index_load(r.idx, r.path, &cookie, &cookie_len, &e->log);
    rc = ex_pass(e); /* the policy, and everything due now */
    while (!ex_stop && !ex_reload) {
        rc = session(&r, &cookie, &cookie_len);
        if (rc == EX_SYNC_UNSUPPORTED)
            break;
        if (rc == EX_SYNC_RESYNC) {
            ak_log(&e->log, LOG_NOTICE, "syncrepl: full refresh required");
            continue;
        }
        if (ex_stop || ex_reload)
            break;
        ak_log(&e->log, LOG_WARNING,
               "syncrepl: session ended (%s); again in %u s",
               ex_sync_strerror(rc), backoff);
        for (unsigned i = 0; i < backoff * 10 && !ex_stop && !ex_reload; i++)
            nanosleep(&(struct timespec){0, 100000000}, NULL);
        backoff = backoff < 60 ? backoff * 2 : 60;
    }
    free(cookie);
    ex_index_free(r.idx);
    return rc == EX_SYNC_UNSUPPORTED ? rc : AK_OK;
}
