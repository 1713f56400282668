/* SPDX-License-Identifier: BSD-3-Clause */
/* sync.h - RFC 4533 refreshAndPersist as a source of holder changes */
#ifndef EX_SYNC_H
#define EX_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldap.h>

#include "ak_ldap.h"
#include "ak_log.h"
#include "index.h"

/*
 * Our own control handling over one connection (not libldap's ldap_sync_*:
 * ldap_sync_init loops until refreshDone with no overall bound, and
 * ldap_sync_destroy frees the search parameters and unbinds). Every wait is
 * an ldap_result with a timeout; the socket gets TCP keepalive and
 * TCP_USER_TIMEOUT, so a peer that vanished is noticed in persist mode too.
 *
 * State is kept by entryUUID in an ex_index. The session owns the index's
 * present/delete bookkeeping:
 *  - every refresh is treated as a possible present phase: marks are cleared
 *    when it starts; entries sent whole (add/modify), present entries and
 *    syncIdSets with refreshDeletes FALSE mark; at refreshPresent (or a
 *    syncDone with refreshDeletes FALSE) every unmarked UUID is removed and
 *    reported through cb->deleted. A resume without syncprov's session log
 *    IS such a present phase, so a delete while the daemon was down is seen.
 *  - delete entries and syncIdSets with refreshDeletes TRUE remove at once.
 *  - a refreshDelete ends the refresh without removing anything, except
 *    after a start without a cookie: then the server sent the whole
 *    content, so whatever it did not send is gone (a stale index from a
 *    refused state file or an e-syncRefreshRequired is cleaned up).
 *
 * Cookies: the cookie a session hands out (ex_sync_cookie, cb->cookie) is
 * COMMITTED: it never runs ahead of what the index holds. Cookies seen
 * during the refresh stay pending until refreshDone; in persist mode an
 * entry's cookie commits once the entry has gone through cb->entry and the
 * index. So saving the index with ex_sync_cookie() after any return of
 * ex_sync_poll is always safe.
 *
 * A cookie in OpenLDAP's format ("rid=NNN[,sid=SSS],csn=CSN[;CSN...]")
 * is merged, not replaced: syncprov's per-entry cookies in persist mode
 * carry only the CSN of that change, so for a multi-provider directory
 * (one CSN per server id) the newest CSN of each SID is kept. The "sid="
 * field is dropped from what we send back: it names the consumer's own
 * server id, and syncprov skips changes that originated at the server id a
 * consumer claims (we are not a server). Any other cookie is opaque
 * (RFC 4533) and kept exactly as the server last sent it.
 */

/* Returns beyond the AK_ERR_* set (positive, so they never collide). */
enum {
    /* The database under base does not do RFC 4533 (the server answered
     * unavailableCriticalExtension 12 or unwillingToPerform 53, even
     * though its root DSE may list the control): use paged searches. */
    EX_SYNC_UNSUPPORTED = 1,
    /* Start again from scratch: e-syncRefreshRequired (4096), or the
     * server broke the protocol (bad phase transition, an entryUUID that
     * is not 16 bytes, a missing or malformed control). The cookie is
     * dropped (ex_sync_cookie gives none): close, open again without a
     * cookie; that full refresh is a present phase and removes what is
     * gone. */
    EX_SYNC_RESYNC = 2,
    /* From cb->entry only: do not track this entry (it is removed from
     * the index if it was there). */
    EX_SYNC_SKIP = 3,
};

struct ex_sync_cb {
    /*
     * An entry was added or changed (or sent whole by a refresh). ld/e are
     * valid only during the call. Return AK_OK and *next_due (EX_DUE_NEVER:
     * tracked, nothing due) to track it, EX_SYNC_SKIP not to, or a negative
     * AK_ERR_* to stop: ex_sync_poll returns it, the entry's cookie is not
     * committed, and a session reopened with ex_sync_cookie() sees the
     * entry again.
     */
    int (*entry)(void *ctx, const uint8_t uuid[EX_UUID_LEN], LDAP *ld,
                 LDAPMessage *e, time_t *next_due);
    /* A tracked UUID is gone (deleted, out of scope, or not present at the
     * end of a present phase); already removed from the index. May be
     * NULL. */
    void (*deleted)(void *ctx, const uint8_t uuid[EX_UUID_LEN]);
    /* The refresh stage is over: the index is complete. May be NULL. */
    void (*refresh_done)(void *ctx);
    /* The committed cookie changed (the daemon may save the index and
     * ex_sync_cookie() now or later). May be NULL. */
    void (*cookie)(void *ctx);
};

struct ex_sync_params {
    const char *base; /* subtree searched */
    const char
        *filter;  /* e.g. "(&(objectClass=apiKeyHolder)(apiKeyRecord=*))" */
    char **attrs; /* NULL-terminated; NULL: all user attributes */
    const uint8_t *cookie; /* NULL: full refresh */
    size_t cookie_len;
    /* Longest silence accepted while the refresh runs (and for the first
     * answer), seconds; 0: 30. In persist mode silence is normal. */
    unsigned refresh_idle;
    /* TCP keepalive / TCP_USER_TIMEOUT, seconds; 0: 30. */
    unsigned tcp_timeout;
};

struct ex_sync;

/*
 * Send the refreshAndPersist search on c (the caller's dedicated
 * connection: the session never unbinds it, and it must not be used for
 * anything else until ex_sync_close) and wait, at most refresh_idle
 * seconds, for the server's first answer, which is processed (callbacks
 * may run). p is not kept. AK_OK and *out; EX_SYNC_UNSUPPORTED;
 * EX_SYNC_RESYNC; AK_ERR_BACKEND (timeout, connection lost, the server
 * refused the search: logged); AK_ERR_TOO_BIG (an entry larger than the
 * client accepts: the connection is lost, which entry is unknown);
 * AK_ERR_DENIED (insufficientAccess);
 * AK_ERR_INVALID (bad cookie length); AK_ERR_NOMEM; or cb->entry's error.
 * On any failure nothing is left to close.
 */
int ex_sync_open(struct ak_conn *c, struct ex_index *idx,
                 const struct ex_sync_params *p, const struct ex_sync_cb *cb,
                 void *ctx, const struct ak_log *log, struct ex_sync **out);

/*
 * Wait up to timeout_ms for the server (0: only what is already there);
 * once something arrives, process it and whatever else is already
 * there, and return (a long refresh is taken in slices), so the caller
 * acts on a change at once. AK_OK: the session goes on. EX_SYNC_RESYNC: see
 * above. AK_ERR_BACKEND: the connection dropped, the server ended the search or
 * the refresh stalled longer than refresh_idle: close, back off, reopen
 * with ex_sync_cookie(). AK_ERR_TOO_BIG: an entry was larger than the
 * client accepts (a scan names it: ak_scan.h). cb->entry's error as it
 * returned it. After any
 * return but AK_OK the session is dead: only ex_sync_cookie and
 * ex_sync_close may be called.
 */
int ex_sync_poll(struct ex_sync *s, int timeout_ms);

/* True once the refresh stage ended (the index is complete). */
bool ex_sync_refreshed(const struct ex_sync *s);

/* The committed cookie (NULL, *len 0: none). Valid until the next
 * ex_sync_poll or ex_sync_close. */
const uint8_t *ex_sync_cookie(const struct ex_sync *s, size_t *len);

/* Abandon the search (if the session is alive) and free the session. The
 * connection stays the caller's; after an error it should be released as
 * failed / dropped. NULL is accepted. */
void ex_sync_close(struct ex_sync *s);

/* A word for an ex_sync_* or AK_ERR_* return, for logs. */
const char *ex_sync_strerror(int rc);

/* The server id of a CSN "YYYYmmddHHMMSS.uuuuuuZ#cccccc#sid#mmmmmm" (the
 * sid in hex): of a cookie's csn= or of a contextCSN value. -1 when v is
 * not a CSN. */
int ex_csn_sid(const char *v, size_t len);

#endif
