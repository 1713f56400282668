/* SPDX-License-Identifier: BSD-3-Clause */
/* sync.c - RFC 4533 refreshAndPersist client with bounded waits */
#include "sync.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <lber.h>

#include "ak_status.h"

enum phase {
    PH_REFRESH,         /* refresh stage, the phase not yet known */
    PH_REFRESH_DELETES, /* after refreshPresent{refreshDone FALSE} */
    PH_PERSIST,         /* refreshDone seen: changes as they happen */
};

/* One CSN per server id, for OpenLDAP cookies. */
struct csn {
    char *val;
    int sid;
};

struct cookie {
    bool opaque; /* not OpenLDAP's format: raw holds it verbatim */
    uint8_t *raw;
    size_t raw_len;
    int rid; /* -1: none */
    struct csn *csn;
    size_t n_csn;
};

struct ex_sync {
    struct ak_conn *conn;
    LDAP *ld;
    struct ex_index *idx;
    struct ex_sync_cb cb;
    void *ctx;
    const struct ak_log *log;
    int msgid;
    bool alive;
    enum phase phase;
    bool saw_present; /* a present entry or present id set in this refresh */
    bool full;        /* opened without a cookie: every entry is sent */
    unsigned refresh_idle;
    struct timespec last_msg;
    struct cookie committed;
    struct cookie pending; /* refresh-stage cookies, committed at the end */
    bool have_pending;
    uint8_t *out; /* the committed cookie as sent back (built lazily) */
    size_t out_len;
};

static struct timespec mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static long long ms_since(struct timespec a, struct timespec b)
{
    return (long long)(b.tv_sec - a.tv_sec) * 1000 +
           (b.tv_nsec - a.tv_nsec) / 1000000;
}

const char *ex_sync_strerror(int rc)
{
    switch (rc) {
    case EX_SYNC_UNSUPPORTED:
        return "sync not offered for this base";
    case EX_SYNC_RESYNC:
        return "full refresh required";
    case EX_SYNC_SKIP:
        return "entry not tracked";
    default:
        return ak_strerror(rc);
    }
}

/* ---- cookies ------------------------------------------------------------ */

static void cookie_clear(struct cookie *c)
{
    free(c->raw);
    for (size_t i = 0; i < c->n_csn; i++)
        free(c->csn[i].val);
    free(c->csn);
    memset(c, 0, sizeof *c);
    c->rid = -1;
}

static bool is_empty(const struct cookie *c)
{
    return c->opaque ? c->raw_len == 0 : c->n_csn == 0 && c->rid < 0;
}

int ex_csn_sid(const char *v, size_t len)
{
    if (len != 40 || v[14] != '.' || v[21] != 'Z' || v[22] != '#' ||
        v[29] != '#' || v[33] != '#')
        return -1;
    int sid = 0;
    for (int i = 30; i < 33; i++) {
        char ch = v[i];
        int d = (ch >= '0' && ch <= '9')   ? ch - '0'
                : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
                : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                           : -1;
        if (d < 0)
            return -1;
        sid = sid * 16 + d;
    }
    return sid;
}

/* Keep the newest CSN per SID (CSNs of one format sort as text). */
static int merge_csn(struct cookie *c, const char *v, size_t len, int sid)
{
    for (size_t i = 0; i < c->n_csn; i++) {
        if (c->csn[i].sid != sid)
            continue;
        if (memcmp(v, c->csn[i].val, len) > 0) {
            char *n = strndup(v, len);
            if (n == NULL)
                return AK_ERR_NOMEM;
            free(c->csn[i].val);
            c->csn[i].val = n;
        }
        return AK_OK;
    }
    struct csn *a = realloc(c->csn, (c->n_csn + 1) * sizeof *a);
    if (a == NULL)
        return AK_ERR_NOMEM;
    c->csn = a;
    char *n = strndup(v, len);
    if (n == NULL)
        return AK_ERR_NOMEM;
    size_t at = c->n_csn;
    while (at > 0 && c->csn[at - 1].sid > sid) {
        c->csn[at] = c->csn[at - 1];
        at--;
    }
    c->csn[at] = (struct csn){.val = n, .sid = sid};
    c->n_csn++;
    return AK_OK;
}

/* Parse an OpenLDAP cookie into csns (and *rid). False when it is not in
 * that format (then it is treated as opaque). */
static bool parse_openldap(const uint8_t *raw, size_t len, struct cookie *into,
                           int *rid)
{
    *rid = -1;
    size_t i = 0;
    bool any = false;
    while (i < len) {
        size_t end = i;
        while (end < len && raw[end] != ',')
            end++;
        const char *f = (const char *)raw + i;
        size_t flen = end - i;
        if (flen > 4 && memcmp(f, "rid=", 4) == 0) {
            int v = 0;
            for (size_t k = 4; k < flen; k++) {
                if (f[k] < '0' || f[k] > '9' || k > 7)
                    return false;
                v = v * 10 + (f[k] - '0');
            }
            *rid = v;
        } else if (flen > 4 && memcmp(f, "sid=", 4) == 0) {
            /* the sender's server id: never echoed (see sync.h) */
        } else if (flen > 4 && memcmp(f, "csn=", 4) == 0) {
            size_t k = 4;
            while (k < flen) {
                size_t e = k;
                while (e < flen && f[e] != ';')
                    e++;
                int sid = ex_csn_sid(f + k, e - k);
                if (sid < 0 || merge_csn(into, f + k, e - k, sid) != AK_OK)
                    return false;
                any = true;
                k = e + 1;
            }
        } else {
            return false; /* a field we do not know: keep it opaque */
        }
        i = end + 1;
    }
    return any || *rid >= 0;
}

/* Fold a cookie the server sent into c. */
static int cookie_update(struct cookie *c, const struct berval *bv)
{
    if (bv == NULL || bv->bv_len == 0)
        return AK_OK;
    if (bv->bv_len > EX_COOKIE_MAX)
        return AK_ERR_INVALID;
    const uint8_t *raw = (const uint8_t *)bv->bv_val;
    struct cookie n = {.rid = -1};
    int rid;
    if (!c->opaque) {
        /* merge into a copy, so a half-parsed cookie changes nothing */
        for (size_t i = 0; i < c->n_csn; i++) {
            if (merge_csn(&n, c->csn[i].val, strlen(c->csn[i].val),
                          c->csn[i].sid) != AK_OK) {
                cookie_clear(&n);
                return AK_ERR_NOMEM;
            }
        }
        if (parse_openldap(raw, bv->bv_len, &n, &rid)) {
            n.rid = rid >= 0 ? rid : c->rid;
            cookie_clear(c);
            *c = n;
            return AK_OK;
        }
        cookie_clear(&n);
    }
    /* opaque: the server's latest, as given */
    n = (struct cookie){.opaque = true, .rid = -1};
    n.raw = malloc(bv->bv_len);
    if (n.raw == NULL)
        return AK_ERR_NOMEM;
    memcpy(n.raw, raw, bv->bv_len);
    n.raw_len = bv->bv_len;
    cookie_clear(c);
    *c = n;
    return AK_OK;
}

static int cookie_copy(struct cookie *dst, const struct cookie *src)
{
    cookie_clear(dst);
    dst->opaque = src->opaque;
    dst->rid = src->rid;
    if (src->raw_len > 0) {
        dst->raw = malloc(src->raw_len);
        if (dst->raw == NULL)
            return AK_ERR_NOMEM;
        memcpy(dst->raw, src->raw, src->raw_len);
        dst->raw_len = src->raw_len;
    }
    for (size_t i = 0; i < src->n_csn; i++) {
        if (merge_csn(dst, src->csn[i].val, strlen(src->csn[i].val),
                      src->csn[i].sid) != AK_OK)
            return AK_ERR_NOMEM;
    }
    return AK_OK;
}

/* The wire form: "rid=NNN,csn=a;b" or the opaque bytes. */
static int cookie_render(const struct cookie *c, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (is_empty(c))
        return AK_OK;
    if (c->opaque) {
        *out = malloc(c->raw_len);
        if (*out == NULL)
            return AK_ERR_NOMEM;
        memcpy(*out, c->raw, c->raw_len);
        *len = c->raw_len;
        return AK_OK;
    }
    size_t n = 16 + c->n_csn * 41;
    char *s = malloc(n), *p = s;
    if (s == NULL)
        return AK_ERR_NOMEM;
    if (c->rid >= 0)
        p += snprintf(p, n, "rid=%03d", c->rid);
    for (size_t i = 0; i < c->n_csn; i++) {
        if (i == 0)
            p += snprintf(p, n - (size_t)(p - s),
                          "%scsn=", c->rid >= 0 ? "," : "");
        else
            *p++ = ';';
        size_t l = strlen(c->csn[i].val);
        memcpy(p, c->csn[i].val, l);
        p += l;
    }
    *out = (uint8_t *)s;
    *len = (size_t)(p - s);
    return AK_OK;
}

static int commit(struct ex_sync *s, const struct cookie *c)
{
    int rc = cookie_copy(&s->committed, c);
    if (rc != AK_OK)
        return rc;
    free(s->out);
    s->out = NULL;
    rc = cookie_render(&s->committed, &s->out, &s->out_len);
    if (rc == AK_OK && s->cb.cookie != NULL)
        s->cb.cookie(s->ctx);
    return rc;
}

static int commit_pending(struct ex_sync *s)
{
    if (!s->have_pending)
        return AK_OK;
    s->have_pending = false;
    return commit(s, &s->pending);
}

static int protocol(struct ex_sync *s, const char *what);

/* A cookie that came with a message: pending during the refresh,
 * committed at once in persist mode (the message was processed). */
static int take_cookie(struct ex_sync *s, const struct berval *bv)
{
    if (bv == NULL || bv->bv_len == 0)
        return AK_OK;
    if (!s->have_pending) {
        int rc = cookie_copy(&s->pending, &s->committed);
        if (rc != AK_OK)
            return rc;
        s->have_pending = true;
    }
    int rc = cookie_update(&s->pending, bv);
    if (rc == AK_ERR_INVALID)
        return protocol(s, "a cookie longer than 64 KiB");
    if (rc != AK_OK)
        return rc;
    return s->phase == PH_PERSIST ? commit_pending(s) : AK_OK;
}

/* ---- protocol ------------------------------------------------------------ */

static int protocol(struct ex_sync *s, const char *what)
{
    ak_log(s->log, LOG_ERR, "sync: %s; dropping the cookie for a full refresh",
           what);
    cookie_clear(&s->committed);
    cookie_clear(&s->pending);
    s->have_pending = false;
    free(s->out);
    s->out = NULL;
    s->out_len = 0;
    return EX_SYNC_RESYNC;
}

static void gone(void *ctx, const uint8_t uuid[EX_UUID_LEN])
{
    struct ex_sync *s = ctx;
    if (s->cb.deleted != NULL)
        s->cb.deleted(s->ctx, uuid);
}

static void delete_uuid(struct ex_sync *s, const uint8_t *uuid)
{
    if (ex_index_remove(s->idx, uuid) && s->cb.deleted != NULL)
        s->cb.deleted(s->ctx, uuid);
}

/* The refresh is over: persist mode from now on. */
static int refresh_over(struct ex_sync *s, bool present_phase)
{
    /* Without a cookie the server sends the whole content (RFC 4533 3.3:
     * the client's content is empty), whichever way it ends the refresh:
     * whatever it did not send is gone. */
    if (present_phase || s->full) {
        size_t n = ex_index_end_present(s->idx, gone, s);
        if (n > 0)
            ak_log(s->log, LOG_INFO,
                   "sync: %zu holder(s) not present after the refresh "
                   "removed",
                   n);
    }
    s->phase = PH_PERSIST;
    int rc = commit_pending(s);
    if (rc != AK_OK)
        return rc;
    if (s->cb.refresh_done != NULL)
        s->cb.refresh_done(s->ctx);
    return AK_OK;
}

static int on_entry(struct ex_sync *s, LDAPMessage *e)
{
    LDAPControl **ctrls = NULL;
    if (ldap_get_entry_controls(s->ld, e, &ctrls) != LDAP_SUCCESS)
        return protocol(s, "unreadable entry controls");
    LDAPControl *ctl = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL);
    if (ctl == NULL) {
        ldap_controls_free(ctrls);
        return protocol(s, "an entry without a syncState control");
    }
    BerElement *ber = ber_init(&ctl->ldctl_value);
    if (ber == NULL) {
        ldap_controls_free(ctrls);
        return AK_ERR_NOMEM;
    }
    ber_int_t state;
    struct berval uuid = {0}, cookie = {0};
    int rc;
    ber_len_t len;
    if (ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR) {
        rc = protocol(s, "a malformed syncState control");
        goto done;
    }
    if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
        ber_scanf(ber, "m", &cookie) == LBER_ERROR) {
        rc = protocol(s, "a malformed syncState cookie");
        goto done;
    }
    if (uuid.bv_len != EX_UUID_LEN) {
        rc = protocol(s, "an entryUUID that is not 16 bytes");
        goto done;
    }
    const uint8_t *u = (const uint8_t *)uuid.bv_val;
    switch (state) {
    case LDAP_SYNC_PRESENT:
        if (s->phase != PH_REFRESH) {
            rc = protocol(s, "a present entry outside a present phase");
            goto done;
        }
        s->saw_present = true;
        ex_index_mark_present(s->idx, u);
        break;
    case LDAP_SYNC_ADD:
    case LDAP_SYNC_MODIFY: {
        time_t due = EX_DUE_NEVER;
        rc = s->cb.entry(s->ctx, u, s->ld, e, &due);
        if (rc == EX_SYNC_SKIP) {
            delete_uuid(s, u);
        } else if (rc == AK_OK) {
            rc = ex_index_put(s->idx, u, due);
            if (rc != AK_OK)
                goto done;
        } else {
            goto done;
        }
        break;
    }
    case LDAP_SYNC_DELETE:
        delete_uuid(s, u);
        break;
    default:
        rc = protocol(s, "an unknown syncState");
        goto done;
    }
    rc = take_cookie(s, &cookie);
done:
    ber_free(ber, 1);
    ldap_controls_free(ctrls);
    return rc;
}

/* The head that refreshDelete, refreshPresent, syncIdSet and syncDone
 * share:
 * SEQUENCE { cookie OPTIONAL, BOOLEAN DEFAULT ... }. *flag keeps its
 * default when the boolean is absent. False when malformed. */
static bool seq_head(BerElement *ber, struct berval *cookie, ber_int_t *flag)
{
    ber_len_t len;
    if (ber_skip_tag(ber, &len) == LBER_DEFAULT)
        return false;
    if (ber_peek_tag(ber, &len) == LBER_OCTETSTRING &&
        ber_scanf(ber, "m", cookie) == LBER_ERROR)
        return false;
    return ber_peek_tag(ber, &len) != LBER_BOOLEAN ||
           ber_scanf(ber, "b", flag) != LBER_ERROR;
}

/* refreshDelete / refreshPresent: { cookie OPTIONAL, refreshDone DEFAULT
 * TRUE } */
static int on_refresh_end(struct ex_sync *s, BerElement *ber, bool present)
{
    struct berval cookie = {0};
    ber_int_t done = 1;
    if (!seq_head(ber, &cookie, &done))
        return protocol(s, "a malformed syncInfo");
    if (s->phase == PH_PERSIST)
        return protocol(s, "a refresh phase ended in persist mode");
    if (present && s->phase == PH_REFRESH_DELETES)
        return protocol(s, "a present phase after a delete phase");
    if (!present && s->saw_present)
        return protocol(s, "a delete phase ended a present phase");
    if (!present && !done)
        return protocol(s, "a delete phase that does not end the refresh");
    int rc = take_cookie(s, &cookie);
    if (rc != AK_OK)
        return rc;
    if (present && !done) {
        /* present phase over, a delete phase follows */
        (void)ex_index_end_present(s->idx, gone, s);
        s->phase = PH_REFRESH_DELETES;
        s->saw_present = false;
        return AK_OK;
    }
    return refresh_over(s, present);
}

/* syncIdSet: { cookie OPTIONAL, refreshDeletes DEFAULT FALSE, SET OF uuid } */
static int on_id_set(struct ex_sync *s, BerElement *ber)
{
    ber_len_t len;
    struct berval cookie = {0};
    ber_int_t deletes = 0;
    if (!seq_head(ber, &cookie, &deletes))
        return protocol(s, "a malformed syncIdSet");
    if (!deletes) {
        if (s->phase != PH_REFRESH)
            return protocol(s, "a present id set outside a present phase");
        s->saw_present = true;
    }
    if (ber_peek_tag(ber, &len) != LBER_SET)
        return protocol(s, "a syncIdSet without its set");
    ber_tag_t tag;
    char *last;
    for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
         tag = ber_next_element(ber, &len, last)) {
        struct berval u;
        if (ber_scanf(ber, "m", &u) == LBER_ERROR)
            return protocol(s, "a malformed syncIdSet UUID");
        if (u.bv_len != EX_UUID_LEN)
            return protocol(s, "an entryUUID that is not 16 bytes");
        if (deletes)
            delete_uuid(s, (const uint8_t *)u.bv_val);
        else
            ex_index_mark_present(s->idx, (const uint8_t *)u.bv_val);
    }
    return take_cookie(s, &cookie);
}

static int on_intermediate(struct ex_sync *s, LDAPMessage *m)
{
    char *oid = NULL;
    struct berval *data = NULL;
    if (ldap_parse_intermediate(s->ld, m, &oid, &data, NULL, 0) != LDAP_SUCCESS)
        return protocol(s, "an unreadable intermediate response");
    int rc;
    if (oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL) {
        rc = protocol(s, "an intermediate response that is not syncInfo");
        goto out;
    }
    BerElement *ber = ber_init(data);
    if (ber == NULL) {
        rc = AK_ERR_NOMEM;
        goto out;
    }
    ber_len_t len;
    switch (ber_peek_tag(ber, &len)) {
    case LDAP_TAG_SYNC_NEW_COOKIE: {
        struct berval cookie = {0};
        if (ber_scanf(ber, "m", &cookie) == LBER_ERROR)
            rc = protocol(s, "a malformed newcookie");
        else
            rc = take_cookie(s, &cookie);
        break;
    }
    case LDAP_TAG_SYNC_REFRESH_DELETE:
        rc = on_refresh_end(s, ber, false);
        break;
    case LDAP_TAG_SYNC_REFRESH_PRESENT:
        rc = on_refresh_end(s, ber, true);
        break;
    case LDAP_TAG_SYNC_ID_SET:
        rc = on_id_set(s, ber);
        break;
    default:
        rc = protocol(s, "an unknown syncInfo choice");
    }
    ber_free(ber, 1);
out:
    ldap_memfree(oid);
    ber_bvfree(data);
    return rc;
}

/* searchResultDone: the server ended the search. */
static int on_done(struct ex_sync *s, LDAPMessage *m, bool first)
{
    int err = LDAP_OTHER, rc;
    char *text = NULL;
    LDAPControl **ctrls = NULL;
    s->alive = false;
    if (ldap_parse_result(s->ld, m, &err, NULL, &text, NULL, &ctrls, 0) !=
        LDAP_SUCCESS) {
        ak_log(s->log, LOG_ERR, "sync: unreadable search result");
        return AK_ERR_BACKEND;
    }
    if (err == LDAP_SYNC_REFRESH_REQUIRED) {
        rc = protocol(s, "the server requires a full refresh (4096)");
    } else if (err == LDAP_UNAVAILABLE_CRITICAL_EXTENSION ||
               err == LDAP_UNWILLING_TO_PERFORM) {
        ak_log(s->log, first ? LOG_NOTICE : LOG_ERR,
               "sync: the server does not offer content synchronisation "
               "here (%d %s%s%s)",
               err, ldap_err2string(err), text != NULL ? ": " : "",
               text != NULL ? text : "");
        rc = first ? EX_SYNC_UNSUPPORTED : AK_ERR_BACKEND;
    } else if (err == LDAP_SUCCESS) {
        /* syncDone { cookie OPTIONAL, refreshDeletes DEFAULT FALSE } */
        LDAPControl *ctl =
            ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls, NULL);
        rc = AK_ERR_BACKEND;
        if (ctl != NULL && s->phase != PH_PERSIST) {
            BerElement *ber = ber_init(&ctl->ldctl_value);
            struct berval cookie = {0};
            ber_int_t deletes = 0;
            if (ber == NULL) {
                rc = AK_ERR_NOMEM;
            } else if (!seq_head(ber, &cookie, &deletes)) {
                rc = protocol(s, "a malformed syncDone control");
            } else if (!deletes && s->phase == PH_REFRESH_DELETES) {
                rc = protocol(s, "a present phase after a delete phase");
            } else if ((rc = take_cookie(s, &cookie)) == AK_OK &&
                       (rc = refresh_over(s, !deletes)) == AK_OK) {
                rc = AK_ERR_BACKEND; /* complete, but the search is over */
            }
            ber_free(ber, 1);
        }
        if (rc == AK_ERR_BACKEND)
            ak_log(s->log, LOG_NOTICE, "sync: the server ended the search");
    } else {
        /* a limit is the daemon's account's, and no retry lifts it */
        bool limit = err == LDAP_SIZELIMIT_EXCEEDED ||
                     err == LDAP_TIMELIMIT_EXCEEDED ||
                     err == LDAP_ADMINLIMIT_EXCEEDED;
        ak_log(s->log, LOG_ERR, "sync: search failed: %d %s%s%s%s", err,
               ldap_err2string(err), text != NULL && *text ? ": " : "",
               text != NULL ? text : "",
               limit ? " (the refresh is incomplete and nothing is mailed "
                       "from it: the daemon's account needs size=unlimited "
                       "time=unlimited, the limits line of apikey-acl.ldif)"
                     : "");
        rc = err == LDAP_INSUFFICIENT_ACCESS ? AK_ERR_DENIED : AK_ERR_BACKEND;
    }
    ldap_memfree(text);
    ldap_controls_free(ctrls);
    return rc;
}

static int handle(struct ex_sync *s, LDAPMessage *m, bool first)
{
    s->last_msg = mono();
    switch (ldap_msgtype(m)) {
    case LDAP_RES_SEARCH_ENTRY:
        return on_entry(s, m);
    case LDAP_RES_SEARCH_REFERENCE:
        return AK_OK; /* referrals are never chased */
    case LDAP_RES_INTERMEDIATE:
        return on_intermediate(s, m);
    case LDAP_RES_SEARCH_RESULT:
        return on_done(s, m, first);
    default:
        return protocol(s, "an unexpected message type");
    }
}

/* Wait at most ms for one message and handle it. 0 and *got false: none
 * came. */
static int one(struct ex_sync *s, long long ms, bool first, bool *got)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
                         .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    LDAPMessage *m = NULL;
    *got = false;
    int r = ldap_result(s->ld, s->msgid, LDAP_MSG_ONE, &tv, &m);
    int err_no = errno; /* ERANGE: a message over the receive cap */
    if (r == 0)
        return AK_OK;
    if (r < 0 || m == NULL) {
        int err = LDAP_OTHER, rc;
        ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &err);
        rc = ak_conn_check(s->conn, err == LDAP_SUCCESS ? LDAP_OTHER : err,
                           err_no);
        if (rc == AK_ERR_TOO_BIG)
            ak_log(s->log, LOG_WARNING,
                   "sync: an entry the server sent cannot be read: %s (the "
                   "entry's size, not the server)",
                   ak_strerror(rc));
        else
            ak_log(s->log, LOG_ERR, "sync: connection lost: %s",
                   ldap_err2string(err));
        ldap_msgfree(m);
        s->alive = false;
        return rc == AK_ERR_TOO_BIG ? rc : AK_ERR_BACKEND;
    }
    *got = true;
    int rc = handle(s, m, first);
    ldap_msgfree(m);
    if (rc != AK_OK && s->alive) {
        ldap_abandon_ext(s->ld, s->msgid, NULL, NULL);
        s->alive = false;
    }
    return rc;
}

static void harden_socket(LDAP *ld, unsigned secs, const struct ak_log *log)
{
    int fd = -1;
    if (ldap_get_option(ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0)
        return;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return; /* ldapi: the kernel knows when the peer goes */
    int on = 1, idle = (int)(secs / 2 > 0 ? secs / 2 : 1), cnt = 3;
    int intvl =
        (int)((secs - (unsigned)idle) / 3 > 0 ? (secs - (unsigned)idle) / 3
                                              : 1);
    unsigned user = secs * 1000;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof user) != 0)
        ak_log_errno(log, LOG_WARNING,
                     "sync: cannot set TCP keepalive on the connection");
}

int ex_sync_open(struct ak_conn *c, struct ex_index *idx,
                 const struct ex_sync_params *p, const struct ex_sync_cb *cb,
                 void *ctx, const struct ak_log *log, struct ex_sync **out)
{
    if (c == NULL || idx == NULL || p == NULL || p->base == NULL ||
        p->filter == NULL || cb == NULL || cb->entry == NULL ||
        p->cookie_len > EX_COOKIE_MAX ||
        (p->cookie == NULL && p->cookie_len != 0))
        return AK_ERR_INVALID;
    struct ex_sync *s = calloc(1, sizeof *s);
    if (s == NULL)
        return AK_ERR_NOMEM;
    s->conn = c;
    s->ld = ak_conn_ld(c);
    s->idx = idx;
    s->cb = *cb;
    s->ctx = ctx;
    s->log = log;
    s->committed.rid = s->pending.rid = -1;
    s->refresh_idle = p->refresh_idle ? p->refresh_idle : 30;
    int rc;
    if (p->cookie_len > 0) {
        struct berval bv = {.bv_len = p->cookie_len,
                            .bv_val = (char *)(uintptr_t)p->cookie};
        rc = cookie_update(&s->committed, &bv);
        if (rc == AK_OK)
            rc = cookie_render(&s->committed, &s->out, &s->out_len);
        if (rc != AK_OK) {
            ex_sync_close(s);
            return rc;
        }
    }
    harden_socket(s->ld, p->tcp_timeout ? p->tcp_timeout : 30, log);

    /* syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie OPTIONAL,
     * reloadHint BOOLEAN DEFAULT FALSE } */
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    struct berval val = {0};
    if (ber == NULL) {
        ex_sync_close(s);
        return AK_ERR_NOMEM;
    }
    struct berval ck = {.bv_len = s->out_len, .bv_val = (char *)s->out};
    ber_int_t mode = LDAP_SYNC_REFRESH_AND_PERSIST;
    int br = s->out_len > 0 ? ber_printf(ber, "{eO}", mode, &ck)
                            : ber_printf(ber, "{e}", mode);
    if (br < 0 || ber_flatten2(ber, &val, 0) < 0) {
        ber_free(ber, 1);
        ex_sync_close(s);
        return AK_ERR_NOMEM;
    }
    LDAPControl ctl = {.ldctl_oid = AK_LDAP_STR(LDAP_CONTROL_SYNC),
                       .ldctl_value = val,
                       .ldctl_iscritical = 1};
    LDAPControl *sctrls[] = {&ctl, NULL};
    /* every holder under base is wanted, so we start a full present
     * phase's bookkeeping whatever the server chooses */
    ex_index_begin_present(idx);
    int lrc = ldap_search_ext(s->ld, p->base, LDAP_SCOPE_SUBTREE, p->filter,
                              p->attrs, 0, sctrls, NULL, NULL, 0, &s->msgid);
    ber_free(ber, 1);
    if (lrc != LDAP_SUCCESS) {
        ak_log(log, LOG_ERR, "sync: cannot send the search: %s",
               ldap_err2string(lrc));
        ex_sync_close(s);
        return AK_ERR_BACKEND;
    }
    s->alive = true;
    s->phase = PH_REFRESH;
    s->full = s->out_len == 0;
    s->last_msg = mono();
    bool got;
    rc = one(s, (long long)s->refresh_idle * 1000, true, &got);
    if (rc == AK_OK && !got) {
        ak_log(log, LOG_ERR, "sync: no answer within %u s", s->refresh_idle);
        rc = AK_ERR_BACKEND;
    }
    if (rc != AK_OK) {
        ex_sync_close(s);
        return rc;
    }
    *out = s;
    return AK_OK;
}

int ex_sync_poll(struct ex_sync *s, int timeout_ms)
{
    if (!s->alive)
        return AK_ERR_BACKEND;
    struct timespec start = mono();
    if (timeout_ms < 0)
        timeout_ms = 0;
    bool any = false;
    for (;;) {
        long long left = timeout_ms - ms_since(start, mono());
        /* once something came, only drain what is already there: the
         * caller acts on a change now, not at the end of its slice */
        if (left < 0 || any)
            left = 0;
        bool got;
        int rc = one(s, left, false, &got);
        if (rc != AK_OK)
            return rc;
        if (s->phase != PH_PERSIST &&
            ms_since(s->last_msg, mono()) > (long long)s->refresh_idle * 1000) {
            ak_log(s->log, LOG_ERR,
                   "sync: the refresh stalled (nothing for %u s)",
                   s->refresh_idle);
            ldap_abandon_ext(s->ld, s->msgid, NULL, NULL);
            s->alive = false;
            return AK_ERR_BACKEND;
        }
        any = any || got;
        /* with timeout 0: drain what is there, for about 1 ms */
        if (!got ||
            ms_since(start, mono()) >= (timeout_ms > 0 ? timeout_ms : 1))
            return AK_OK;
    }
}

bool ex_sync_refreshed(const struct ex_sync *s)
{
    return s->phase == PH_PERSIST;
}

const uint8_t *ex_sync_cookie(const struct ex_sync *s, size_t *len)
{
    *len = s->out_len;
    return s->out_len > 0 ? s->out : NULL;
}

void ex_sync_close(struct ex_sync *s)
{
    if (s == NULL)
        return;
    if (s->alive)
        ldap_abandon_ext(s->ld, s->msgid, NULL, NULL);
    cookie_clear(&s->committed);
    cookie_clear(&s->pending);
    free(s->out);
    free(s);
}
