/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_ldap.h - LDAP connections: failover, TLS, timeouts, pool, fork safety */
#ifndef AK_LDAP_H
#define AK_LDAP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ldap.h>

#include "ak_config.h"
#include "ak_log.h"

/*
 * A directory handle: the configuration, the service-bind secret and a pool
 * of up to cfg->pool_size bound connections. Safe to share between threads;
 * each connection is used by one thread at a time (acquire/release).
 *
 * Connections are made per handle with explicit options only: URI from the
 * config (never LDAPURI / ldaprc), protocol 3, referrals off, dereferencing
 * off, network and operation timeouts, and TLS settings followed by
 * LDAP_OPT_X_TLS_NEWCTX so they really apply. No libldap global option is
 * ever changed (the host process owns those).
 *
 * After fork() a child never touches its parent's sockets: a pooled
 * connection made by another pid is dropped without sending anything.
 */
struct ak_dir;
struct ak_conn;

/* libldap takes attribute lists as char **; our names are literals. */
#define AK_LDAP_STR(s) ((char *)(uintptr_t)(s))

/*
 * Read a bind password file (bind_pw_file, notice_bind_pw_file) with
 * ak_file_read()'s rules for secrets, without its one line ending. *pw
 * is secret memory: free it with ak_file_free(*pw, *len, AK_FILE_SECRET).
 * AK_OK, AK_ERR_CONFIG (missing, unsafe, too long), AK_ERR_NOMEM.
 */
int ak_bindpw_read(const char *path, const struct ak_log *log, char **pw,
                   size_t *len);

/*
 * Create a handle. Reads bind_pw_file now (AK_FILE_SECRET rules) so a bad
 * file is reported at start-up, not at the first login. No connection is
 * made yet. cfg must outlive the handle. AK_OK or AK_ERR_*.
 */
int ak_dir_open(struct ak_dir **out, const struct ak_config *cfg,
                const struct ak_log *log);

/*
 * Credentials other than the config's service bind: the CLI binds as the
 * person running it. dn + pw: simple bind (pw must not be empty); mech
 * "EXTERNAL": SASL EXTERNAL (ldapi peer credentials or a TLS client
 * certificate); all NULL: anonymous. The password is copied into locked
 * memory and wiped on close.
 */
struct ak_bind {
    const char *dn;
    const char *pw;
    size_t pw_len;
    const char *mech;
    const char *uri; /* this server only (a provider for writes); NULL: the
                        config's URIs with failover */
};

int ak_dir_open_bind(struct ak_dir **out, const struct ak_config *cfg,
                     const struct ak_bind *bind, const struct ak_log *log);

/* Unbind every pooled connection (only those this process made). */
void ak_dir_close(struct ak_dir *dir);

const struct ak_config *ak_dir_config(const struct ak_dir *dir);

/*
 * Take a bound connection: a healthy pooled one, or a new one made by
 * trying each configured URI in order. fresh forces a new connection.
 * A server that hung up never raises SIGPIPE in the host (see ak_sock.h).
 * Waits for a free slot at most cfg->timeout seconds. AK_OK or
 * AK_ERR_BACKEND (logged: which URI failed and why) / AK_ERR_NOMEM.
 */
/* Mark c not to be pooled again: ak_dir_release then closes it (a
 * connection whose state we no longer trust, such as one that carried an
 * abandoned persistent search). */
struct ak_conn;
void ak_conn_discard(struct ak_conn *c);

int ak_dir_acquire(struct ak_dir *dir, bool fresh, const struct ak_log *log,
                   struct ak_conn **out);

/* Give a connection back; a connection that failed is unbound instead. */
void ak_dir_release(struct ak_dir *dir, struct ak_conn *c);

LDAP *ak_conn_ld(struct ak_conn *c);

/* True when the connection came from the pool (may have gone stale). */
bool ak_conn_reused(const struct ak_conn *c);

/* True when the last failure was a transport error (not a timeout), so a
 * retry on a fresh connection is worth one attempt. */
bool ak_conn_dropped(const struct ak_conn *c);

/*
 * For callers of libldap on ak_conn_ld(c) (ak_manage.c, the daemon's
 * syncrepl session): libldap answered code for an operation on c, a
 * result code or one of its own negative errors, with err_no the errno
 * right after the call. Every one of its own errors (the connection lost,
 * an answer it could not decode or that passed the receive cap, a
 * timeout, a local fault) and the server's signs of going away mark c
 * broken: ak_dir_release then closes it. Reused, such a handle would fail
 * again, open a connection without our bind, or abort in liblber
 * (sb_rdahead_read's assertion on a buffer it had freed). Returns AK_OK,
 * AK_ERR_TOO_BIG (an entry larger than AK_MAX_INCOMING: not "dropped",
 * another connection fares no better), AK_ERR_NOMEM, AK_ERR_BACKEND for
 * the other errors of libldap, ak_ldap_status(code) for an answer.
 */
int ak_conn_check(struct ak_conn *c, int code, int err_no);

/*
 * Send a subtree (or base) search; the answer must come before the
 * connection's deadline (cfg->timeout from acquire). AK_OK and *msgid, or
 * AK_ERR_BACKEND.
 */
int ak_conn_search_send(struct ak_conn *c, const char *base, int scope,
                        const char *filter, char **attrs, int sizelimit,
                        const struct ak_log *log, int *msgid);

/*
 * Collect the whole answer of msgid into *res (free with ldap_msgfree).
 * Fails closed (AK_ERR_BACKEND, connection marked broken) on timeout,
 * transport error, any result code but success (sizeLimitExceeded,
 * referral, busy, ...) and any response control. Continuation references
 * are left in the chain; callers ignore them (referrals are never chased).
 */
int ak_conn_search_recv(struct ak_conn *c, int msgid, const struct ak_log *log,
                        LDAPMessage **res);

/* Send + receive. */
int ak_conn_search(struct ak_conn *c, const char *base, int scope,
                   const char *filter, char **attrs, int sizelimit,
                   const struct ak_log *log, LDAPMessage **res);

/*
 * Apply mods to dn and wait for the answer. AK_OK; AK_ERR_CONFLICT when a
 * value to delete is gone or one to add exists (someone else changed the
 * entry: nothing was written); AK_ERR_DENIED (access control);
 * AK_ERR_NOT_FOUND (no such entry); AK_ERR_INVALID (schema violation);
 * AK_ERR_BACKEND otherwise. Errors are logged with the server's text.
 */
int ak_conn_modify(struct ak_conn *c, const char *dn, LDAPMod **mods,
                   const struct ak_log *log);

/*
 * The same, applied only while the RFC 4528 assertion filter holds on the
 * entry (tested and applied as one operation by the server): otherwise
 * AK_ERR_CONFLICT and nothing is written. A server without the control
 * gives AK_ERR_INVALID with a log line saying so. NULL: no assertion.
 */
int ak_conn_modify_if(struct ak_conn *c, const char *dn, LDAPMod **mods,
                      const char *assertion, const struct ak_log *log);

/*
 * The same with the relax control too (draft-zeilenga-ldap-relax, not
 * critical): for a change that must go through an entry the directory's
 * bounds would refuse whole (slapo-constraint refuses any change to an
 * entry that holds more values than a bound allows, whichever attribute
 * it touches). slapd before 2.7 honours it from anyone, 2.7 from those
 * with manage access (ITS#9204); elsewhere it is ignored.
 */
int ak_conn_modify_relaxed(struct ak_conn *c, const char *dn, LDAPMod **mods,
                           const char *assertion, const struct ak_log *log);

/*
 * Send mods to dn to learn what the server thinks of them, never to write
 * them: dn must be an entry the bound identity may not change and whose
 * classes allow none of the values (the policy entry for the verifier), so
 * that access control and the schema refuse the change once its bounds
 * (slapo-constraint, checked before them) let it pass. With relax, which lifts
 * the schema check, the change also carries an assertion that no entry matches
 * (RFC 4528). *code is the server's answer. AK_OK (whatever *code),
 * AK_ERR_BACKEND (no answer; connection marked broken), AK_ERR_NOMEM.
 */
int ak_conn_modify_probe(struct ak_conn *c, const char *dn, LDAPMod **mods,
                         bool relax, const struct ak_log *log, int *code);

/*
 * The status for an LDAP result code: conflicts (a value gone or already
 * there, an entry that exists), access and limits (DENIED), no such object
 * (NOT_FOUND), schema violations (INVALID), anything else BACKEND.
 */
int ak_ldap_status(int ldap_code);

/*
 * Build "(attr=value)" with value escaped by ldap_bv2escaped_filter_value
 * (RFC 4515) into *out (malloc). value is length-delimited. AK_OK or
 * AK_ERR_NOMEM.
 */
int ak_filter_eq(const char *attr, const char *value, size_t len, char **out);

#endif
