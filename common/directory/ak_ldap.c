/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_ldap.c - bound LDAP connections with failover, deadlines and a pool */
#include "ak_ldap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_secure.h"
#include "ak_sock.h"
#include "ak_status.h"

/* A connection to a non-primary URI is given up after this many seconds
 * so that a long-running host returns to the first URI once it is back. */
#define AK_FAILBACK_SECONDS 60
#define AK_BINDPW_MAX 1024

/*
 * libldap writes with write(2): a server that closed the connection makes
 * that raise SIGPIPE, which kills hosts that keep the default action. A
 * module may not change the process's signal dispositions (C-05). Once a
 * connection is up, ak_sock_harden() makes its writes use MSG_NOSIGNAL; for
 * the writes before that (connecting, an ldaps handshake) and for a handle
 * that could not be hardened, SIGPIPE is blocked in the calling thread
 * only, one it raised itself is consumed, and the mask is restored.
 */
struct pipe_guard {
    sigset_t old;
    bool was_pending;
};

static void pipe_block(struct pipe_guard *g)
{
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void pipe_restore(struct pipe_guard *g)
{
    sigset_t set;
    struct timespec zero = {0, 0};

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending)
        while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
            ;
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

struct ak_conn {
    LDAP *ld;
    pid_t pid;
    const char *uri;
    unsigned timeout;
    unsigned uri_index;
    struct timespec since;
    struct timespec deadline;
    bool reused;
    bool broken;
    bool dropped;
    bool nosig; /* writes use MSG_NOSIGNAL (ak_sock_harden) */
    struct ak_conn *next;
};

struct ak_dir {
    const struct ak_config *cfg;
    char *bind_dn;   /* NULL: no simple bind */
    char *bind_mech; /* "EXTERNAL" or NULL */
    char *bindpw;    /* ak_secret_alloc'd, NULL without simple bind */
    size_t bindpw_len;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct ak_conn *idle;
    unsigned n_open;
    int last_uri;   /* for logging failover once per transition */
    char *only_uri; /* ak_bind.uri: this server only, no failover */
};

static struct timespec mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static struct timespec mono_after(unsigned seconds)
{
    struct timespec ts = mono_now();
    ts.tv_sec += (time_t)seconds;
    return ts;
}

/* Time left until deadline as a timeval; false when it has passed. */
static bool time_left(const struct timespec *deadline, struct timeval *tv)
{
    struct timespec now = mono_now();
    long long ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
                   (deadline->tv_nsec - now.tv_nsec);
    if (ns <= 0)
        return false;
    tv->tv_sec = (time_t)(ns / 1000000000LL);
    tv->tv_usec = (suseconds_t)((ns % 1000000000LL) / 1000);
    if (tv->tv_sec == 0 && tv->tv_usec == 0)
        tv->tv_usec = 1;
    return true;
}

static int ld_errno(LDAP *ld)
{
    int err = LDAP_OTHER;
    ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
    return err;
}

static void log_ld(const struct ak_log *log, int prio, LDAP *ld,
                   const char *uri, const char *what, int err)
{
    char *diag = NULL;

    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    ak_log(log, prio, "%s: %s: %s%s%s", uri, what, ldap_err2string(err),
           diag && *diag ? "; " : "", diag && *diag ? diag : "");
    ldap_memfree(diag);
}

int ak_filter_eq(const char *attr, const char *value, size_t len, char **out)
{
    struct berval in = {.bv_len = len, .bv_val = (char *)(uintptr_t)value};
    struct berval esc = {0, NULL};
    size_t n;
    char *f;

    if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
        return AK_ERR_NOMEM;
    n = strlen(attr) + esc.bv_len + 4;
    f = malloc(n);
    if (f != NULL)
        snprintf(f, n, "(%s=%s)", attr, esc.bv_val);
    ber_memfree(esc.bv_val);
    if (f == NULL)
        return AK_ERR_NOMEM;
    *out = f;
    return AK_OK;
}

/* The server's answers that say it may be going away (busy, unavailable,
 * shutting down): the connection is not used again. */
static bool server_going(int code)
{
    return code == LDAP_BUSY || code == LDAP_UNAVAILABLE ||
           code == LDAP_UNWILLING_TO_PERFORM || code == LDAP_OTHER ||
           code == LDAP_REFERRAL;
}

int ak_conn_check(struct ak_conn *c, int code, int err_no)
{
    if (code == LDAP_SUCCESS)
        return AK_OK;
    if (code > 0 && !server_going(code))
        return ak_ldap_status(code); /* an answer: the connection is fine */
    c->broken = true;
    /* liblber refuses a message longer than AK_MAX_INCOMING with ERANGE and
     * libldap then reports the connection lost: the entry is too big, the
     * server did nothing wrong, and another connection would fare no
     * better (not "dropped"). */
    if (code == LDAP_SERVER_DOWN && err_no == ERANGE) {
        c->dropped = false;
        return AK_ERR_TOO_BIG;
    }
    c->dropped = code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR;
    return code == LDAP_NO_MEMORY ? AK_ERR_NOMEM : AK_ERR_BACKEND;
}

/* Wait for msgid until the connection's deadline. */
static int wait_result(struct ak_conn *c, int msgid, int all,
                       const struct ak_log *log, const char *what,
                       LDAPMessage **res)
{
    struct timeval tv;
    int rc, err_no = 0;

    *res = NULL;
    for (;;) {
        if (!time_left(&c->deadline, &tv)) {
            rc = 0;
            break;
        }
        rc = ldap_result(c->ld, msgid, all, &tv, res);
        err_no = errno; /* ERANGE: an answer over the receive cap */
        if (rc != 0)
            break;
    }
    if (rc == 0) {
        ak_log(log, LOG_ERR, "%s: %s: no answer within %u s", c->uri, what,
               c->timeout);
        ldap_abandon_ext(c->ld, msgid, NULL, NULL);
        c->broken = true;
        return AK_ERR_BACKEND;
    }
    if (rc < 0) {
        int err = ld_errno(c->ld);
        c->broken = true; /* whatever libldap says the code was */
        rc = ak_conn_check(c, err, err_no);
        if (rc == AK_ERR_TOO_BIG)
            ak_log(log, LOG_ERR,
                   "%s: %s: %s (the entry's size, not the server)", c->uri,
                   what, ak_strerror(rc));
        else
            log_ld(log, LOG_ERR, c->ld, c->uri, what, err);
        return rc == AK_OK ? AK_ERR_BACKEND : rc;
    }
    return AK_OK;
}

/* The result code of a finished non-search operation; fails closed on any
 * response control we did not ask for. */
static int op_result(struct ak_conn *c, LDAPMessage *res, int freeit,
                     const struct ak_log *log, const char *what, int *code)
{
    LDAPControl **ctrls = NULL;
    char *diag = NULL;
    int err = LDAP_OTHER, rc;

    *code = LDAP_OTHER;
    rc = ldap_parse_result(c->ld, res, &err, NULL, &diag, NULL, &ctrls, freeit);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, what, rc);
        c->broken = true;
        ldap_memfree(diag);
        return AK_ERR_BACKEND;
    }
    *code = err;
    if (err != LDAP_SUCCESS) {
        /* A lost race (an assertion, an exact value gone or already
         * there) is an answer, not a fault: the caller says what it
         * means (another daemon's claim, a concurrent change). */
        bool race = err == LDAP_ASSERTION_FAILED ||
                    err == LDAP_NO_SUCH_ATTRIBUTE ||
                    err == LDAP_TYPE_OR_VALUE_EXISTS;
        ak_log(log, race ? LOG_DEBUG : LOG_ERR, "%s: %s: %s%s%s", c->uri, what,
               ldap_err2string(err), diag && *diag ? "; " : "",
               diag && *diag ? diag : "");
        if (server_going(err))
            c->broken = true;
    } else if (ctrls != NULL) {
        ak_log(log, LOG_ERR, "%s: %s: unexpected response control %s", c->uri,
               what, ctrls[0]->ldctl_oid);
        c->broken = true;
        err = LDAP_OTHER;
        *code = err; /* fail closed: the caller must not see success */
    }
    ldap_controls_free(ctrls);
    ldap_memfree(diag);
    return err == LDAP_SUCCESS ? AK_OK : AK_ERR_BACKEND;
}

static bool uri_is(const char *uri, const char *scheme)
{
    size_t n = strlen(scheme);
    return strncasecmp(uri, scheme, n) == 0 && uri[n] == ':';
}

static int tls_opts(const struct ak_config *cfg, LDAP *ld,
                    const struct ak_log *log, const char *uri)
{
    static const int reqcert[] = {
        [AK_TLS_NEVER] = LDAP_OPT_X_TLS_NEVER,
        [AK_TLS_ALLOW] = LDAP_OPT_X_TLS_ALLOW,
        [AK_TLS_TRY] = LDAP_OPT_X_TLS_TRY,
        [AK_TLS_DEMAND] = LDAP_OPT_X_TLS_DEMAND,
        [AK_TLS_HARD] = LDAP_OPT_X_TLS_HARD,
    };
    int req = reqcert[cfg->tls_reqcert], zero = 0, rc;

    /* libldap opens these files by name when NEWCTX builds the context: a
     * FIFO among them would block this login (or the host) for good. */
    if (ak_file_type_check("tls_cacert", cfg->tls_cacert, false, log) !=
            AK_OK ||
        ak_file_type_check("tls_cacertdir", cfg->tls_cacertdir, true, log) !=
            AK_OK ||
        ak_file_type_check("tls_cert", cfg->tls_cert, false, log) != AK_OK ||
        ak_file_type_check("tls_key", cfg->tls_key, false, log) != AK_OK)
        return AK_ERR_CONFIG;
    /*
     * Every TLS option is set on this handle, NULL included, so nothing
     * inherited from LDAPTLS_* variables or an ldaprc can apply; NEWCTX
     * then builds this handle's own TLS context from them.
     */
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->tls_cacert) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, cfg->tls_cacertdir) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, cfg->tls_cert) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, cfg->tls_key)) {
        ak_log(log, LOG_ERR, "%s: cannot set TLS options", uri);
        return AK_ERR_CONFIG;
    }
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    if (rc != LDAP_OPT_SUCCESS) {
        log_ld(log, LOG_ERR, ld, uri, "cannot create TLS context", rc);
        return AK_ERR_CONFIG;
    }
    return AK_OK;
}

static int handle_opts(const struct ak_config *cfg, LDAP *ld,
                       const struct ak_log *log, const char *uri)
{
    int v3 = LDAP_VERSION3, deref = LDAP_DEREF_NEVER, zero = 0;
    struct timeval ntv = {.tv_sec = (time_t)cfg->network_timeout};
    struct timeval tv = {.tv_sec = (time_t)cfg->timeout};

    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) ||
        ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
        ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) ||
        ldap_set_option(ld, LDAP_OPT_DEREF, &deref) ||
        ldap_set_option(ld, LDAP_OPT_SIZELIMIT, &zero) ||
        ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &zero) ||
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ntv) ||
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) {
        ak_log(log, LOG_ERR, "%s: cannot set connection options", uri);
        return AK_ERR_CONFIG;
    }
    if (uri_is(uri, "ldaps") || (cfg->start_tls && uri_is(uri, "ldap")))
        return tls_opts(cfg, ld, log, uri);
    return AK_OK;
}

static int start_tls(struct ak_conn *c, const struct ak_log *log)
{
    LDAPMessage *res = NULL;
    int msgid, rc, code;

    rc = ldap_extended_operation(c->ld, LDAP_EXOP_START_TLS, NULL, NULL, NULL,
                                 &msgid);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, "StartTLS", rc);
        return AK_ERR_BACKEND;
    }
    rc = wait_result(c, msgid, LDAP_MSG_ALL, log, "StartTLS", &res);
    if (rc == AK_OK)
        rc = op_result(c, res, 1, log, "StartTLS", &code);
    else
        ldap_msgfree(res);
    if (rc != AK_OK)
        return rc;
    rc = ldap_install_tls(c->ld);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, "TLS handshake", rc);
        return AK_ERR_BACKEND;
    }
    return AK_OK;
}

static int service_bind(struct ak_dir *dir, struct ak_conn *c,
                        const struct ak_log *log)
{
    struct berval cred = {0, NULL};
    LDAPMessage *res = NULL;
    const char *mech, *what;
    int msgid, rc, code;

    if (dir->bind_dn != NULL) {
        mech = LDAP_SASL_SIMPLE;
        cred.bv_val = dir->bindpw;
        cred.bv_len = dir->bindpw_len;
        what = "bind";
    } else if (dir->bind_mech != NULL) {
        /* EXTERNAL in one step, no libsasl2 needed: an empty (present, not
         * absent) initial response asks for the identity the transport
         * proved, so the server has nothing left to challenge. */
        mech = dir->bind_mech;
        cred.bv_val = AK_LDAP_STR("");
        what = "SASL EXTERNAL bind";
    } else {
        return AK_OK; /* anonymous: LDAPv3 needs no bind */
    }
    rc = ldap_sasl_bind(c->ld, dir->bind_dn, mech, &cred, NULL, NULL, &msgid);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, what, rc);
        c->dropped = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
        return AK_ERR_BACKEND;
    }
    rc = wait_result(c, msgid, LDAP_MSG_ALL, log, what, &res);
    if (rc != AK_OK) {
        ldap_msgfree(res);
        return rc;
    }
    return op_result(c, res, 1, log, what, &code);
}

static void conn_free(struct ak_conn *c)
{
    struct pipe_guard g;

    if (!c->nosig) /* the unbind writes */
        pipe_block(&g);
    if (c->ld != NULL) {
        if (c->pid == getpid()) {
            ldap_unbind_ext(c->ld, NULL, NULL);
        } else {
            /*
             * Made by our parent before fork(): the socket is shared with
             * it. Point our copy of the descriptor at /dev/null first, so
             * the unbind (and TLS close) libldap sends go nowhere and the
             * parent's conversation is untouched.
             */
            ber_socket_t fd = -1;
            int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
            ldap_get_option(c->ld, LDAP_OPT_DESC, &fd);
            if (nul >= 0 && fd >= 0 && dup3(nul, fd, O_CLOEXEC) >= 0)
                ldap_unbind_ext(c->ld, NULL, NULL);
            /* else: leak the handle rather than disturb the parent */
            if (nul >= 0)
                close(nul);
        }
    }
    if (!c->nosig)
        pipe_restore(&g);
    free(c);
}

/* Try one URI: connect, StartTLS if configured, bind. */
static int connect_one(struct ak_dir *dir, unsigned idx,
                       const struct ak_log *log, struct ak_conn **out)
{
    const struct ak_config *cfg = dir->cfg;
    struct ak_conn *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL)
        return AK_ERR_NOMEM;
    c->pid = getpid();
    c->uri = dir->only_uri ? dir->only_uri : cfg->uri[idx];
    c->timeout = cfg->timeout;
    c->uri_index = idx;
    c->since = mono_now();
    c->deadline = mono_after(cfg->timeout);
    rc = ldap_initialize(&c->ld, c->uri);
    if (rc != LDAP_SUCCESS) {
        ak_log(log, LOG_ERR, "%s: %s", c->uri, ldap_err2string(rc));
        c->ld = NULL;
        rc = rc == LDAP_NO_MEMORY ? AK_ERR_NOMEM : AK_ERR_CONFIG;
        goto fail;
    }
    rc = handle_opts(cfg, c->ld, log, c->uri);
    if (rc != AK_OK)
        goto fail;
    rc = ldap_connect(c->ld);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_WARNING, c->ld, c->uri, "cannot connect", rc);
        rc = AK_ERR_BACKEND;
        goto fail;
    }
    c->nosig = ak_sock_harden(c->ld);
    /* Connecting may take network_timeout; bind + search get timeout. */
    c->deadline = mono_after(cfg->timeout);
    if (cfg->start_tls && uri_is(c->uri, "ldap")) {
        rc = start_tls(c, log);
        if (rc != AK_OK)
            goto fail;
    }
    rc = service_bind(dir, c, log);
    if (rc != AK_OK)
        goto fail;
    *out = c;
    return AK_OK;
fail:
    conn_free(c);
    return rc;
}

static int connect_any(struct ak_dir *dir, const struct ak_log *log,
                       struct ak_conn **out)
{
    const struct ak_config *cfg = dir->cfg;
    unsigned n = dir->only_uri ? 1 : cfg->n_uri;
    int rc = AK_ERR_BACKEND;

    for (unsigned i = 0; i < n; i++) {
        struct pipe_guard g;
        pipe_block(&g); /* connecting writes before ak_sock_harden */
        rc = connect_one(dir, i, log, out);
        pipe_restore(&g);
        if (rc == AK_OK) {
            pthread_mutex_lock(&dir->lock);
            if (dir->last_uri != (int)i && (dir->last_uri >= 0 || i > 0))
                ak_log(log, LOG_NOTICE, "directory: now using %s%s",
                       dir->only_uri ? dir->only_uri : cfg->uri[i],
                       i > 0 ? " (failover)" : "");
            dir->last_uri = (int)i;
            pthread_mutex_unlock(&dir->lock);
            return AK_OK;
        }
        if (rc == AK_ERR_NOMEM)
            return rc;
    }
    ak_log(log, LOG_ERR, "directory unavailable: none of %u URI(s) answered",
           n);
    return rc == AK_ERR_CONFIG ? AK_ERR_CONFIG : AK_ERR_BACKEND;
}

static struct ak_dir *dir_new(const struct ak_config *cfg)
{
    struct ak_dir *dir;
    pthread_condattr_t ca;

    if (ak_crypto_init() != AK_OK) /* libsodium before any use */
        return NULL;
    dir = calloc(1, sizeof(*dir));
    if (dir == NULL)
        return NULL;
    dir->cfg = cfg;
    dir->last_uri = -1;
    pthread_mutex_init(&dir->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&dir->cond, &ca);
    pthread_condattr_destroy(&ca);
    return dir;
}

/* An empty simple-bind password is an unauthenticated bind (RFC 4513
 * 5.1.2): the server would silently treat us as anonymous. */
static int refuse_empty_pw(struct ak_dir *dir, const char *what,
                           const struct ak_log *log)
{
    if (dir->bindpw_len > 0)
        return AK_OK;
    ak_log(log, LOG_ERR, "%s: empty password refused", what);
    return AK_ERR_CONFIG;
}

static int set_mech(struct ak_dir *dir, const char *mech)
{
    dir->bind_mech = strdup(mech);
    return dir->bind_mech ? AK_OK : AK_ERR_NOMEM;
}

/* Hand out the pool, or close what was half built. */
static int finish_open(struct ak_dir *dir, int rc, struct ak_dir **out)
{
    if (rc != AK_OK) {
        ak_dir_close(dir);
        return rc;
    }
    *out = dir;
    return AK_OK;
}

int ak_bindpw_read(const char *path, const struct ak_log *log, char **pw,
                   size_t *len)
{
    int rc = ak_file_read(path, AK_FILE_SECRET, AK_BINDPW_MAX, log, pw, len);

    if (rc != AK_OK)
        return rc == AK_ERR_NOMEM ? rc : AK_ERR_CONFIG;
    /* One trailing newline is the file's, not the password's. */
    if (*len > 0 && (*pw)[*len - 1] == '\n')
        (*pw)[--*len] = '\0';
    if (*len > 0 && (*pw)[*len - 1] == '\r')
        (*pw)[--*len] = '\0';
    return AK_OK;
}

int ak_dir_open(struct ak_dir **out, const struct ak_config *cfg,
                const struct ak_log *log)
{
    struct ak_dir *dir = dir_new(cfg);
    int rc = AK_OK;

    if (dir == NULL)
        return AK_ERR_NOMEM;
    if (cfg->bind_dn != NULL) {
        dir->bind_dn = strdup(cfg->bind_dn);
        if (dir->bind_dn == NULL) {
            rc = AK_ERR_NOMEM;
            goto out;
        }
        rc = ak_bindpw_read(cfg->bind_pw_file, log, &dir->bindpw,
                            &dir->bindpw_len);
        if (rc != AK_OK)
            goto out;
        rc = refuse_empty_pw(dir, cfg->bind_pw_file, log);
    } else if (cfg->sasl_mech != NULL) {
        rc = set_mech(dir, cfg->sasl_mech);
    }
out:
    return finish_open(dir, rc, out);
}

int ak_dir_open_bind(struct ak_dir **out, const struct ak_config *cfg,
                     const struct ak_bind *bind, const struct ak_log *log)
{
    struct ak_dir *dir = dir_new(cfg);
    int rc = AK_OK;

    if (dir == NULL)
        return AK_ERR_NOMEM;
    if (bind->uri != NULL && (dir->only_uri = strdup(bind->uri)) == NULL) {
        rc = AK_ERR_NOMEM;
        goto out;
    }
    if (bind->dn != NULL) {
        dir->bind_dn = strdup(bind->dn);
        dir->bindpw = ak_secret_alloc(bind->pw_len + 1);
        if (dir->bind_dn == NULL || dir->bindpw == NULL) {
            rc = AK_ERR_NOMEM;
            goto out;
        }
        if (bind->pw_len > 0)
            memcpy(dir->bindpw, bind->pw, bind->pw_len);
        dir->bindpw[bind->pw_len] = '\0';
        dir->bindpw_len = bind->pw_len;
        rc = refuse_empty_pw(dir, bind->dn, log);
    } else if (bind->mech != NULL) {
        rc = set_mech(dir, bind->mech);
    }
out:
    return finish_open(dir, rc, out);
}

void ak_dir_close(struct ak_dir *dir)
{
    if (dir == NULL)
        return;
    while (dir->idle != NULL) {
        struct ak_conn *c = dir->idle;
        dir->idle = c->next;
        conn_free(c);
    }
    pthread_cond_destroy(&dir->cond);
    pthread_mutex_destroy(&dir->lock);
    ak_secret_free(dir->bindpw); /* wipes */
    free(dir->bind_dn);
    free(dir->bind_mech);
    free(dir->only_uri);
    free(dir);
}

const struct ak_config *ak_dir_config(const struct ak_dir *dir)
{
    return dir->cfg;
}

/* Pop a usable idle connection, dropping foreign or stale ones.
 * Called with dir->lock held. */
static struct ak_conn *take_idle(struct ak_dir *dir)
{
    struct timespec now = mono_now();

    while (dir->idle != NULL) {
        struct ak_conn *c = dir->idle;
        dir->idle = c->next;
        c->next = NULL;
        if (c->pid == getpid() &&
            !(c->uri_index > 0 &&
              now.tv_sec - c->since.tv_sec > AK_FAILBACK_SECONDS))
            return c;
        dir->n_open--;
        conn_free(c);
    }
    return NULL;
}

int ak_dir_acquire(struct ak_dir *dir, bool fresh, const struct ak_log *log,
                   struct ak_conn **out)
{
    struct timespec wait_until = mono_after(dir->cfg->timeout);
    struct ak_conn *c = NULL;
    int rc;

    pthread_mutex_lock(&dir->lock);
    for (;;) {
        if (!fresh && (c = take_idle(dir)) != NULL)
            break;
        if (fresh && dir->idle != NULL) {
            /* Make room: a fresh connection replaces an idle one. */
            struct ak_conn *old = dir->idle;
            dir->idle = old->next;
            dir->n_open--;
            conn_free(old);
        }
        if (dir->n_open < dir->cfg->pool_size)
            break;
        if (pthread_cond_timedwait(&dir->cond, &dir->lock, &wait_until) ==
            ETIMEDOUT) {
            pthread_mutex_unlock(&dir->lock);
            ak_log(log, LOG_ERR, "directory: all %u connections busy for %u s",
                   dir->cfg->pool_size, dir->cfg->timeout);
            return AK_ERR_BACKEND;
        }
    }
    if (c != NULL) {
        pthread_mutex_unlock(&dir->lock);
        c->reused = true;
        c->broken = false;
        c->dropped = false;
        c->deadline = mono_after(dir->cfg->timeout);
        *out = c;
        return AK_OK;
    }
    dir->n_open++; /* reserve the slot while connecting unlocked */
    pthread_mutex_unlock(&dir->lock);
    rc = connect_any(dir, log, &c);
    if (rc != AK_OK) {
        pthread_mutex_lock(&dir->lock);
        dir->n_open--;
        pthread_cond_signal(&dir->cond);
        pthread_mutex_unlock(&dir->lock);
        return rc;
    }
    *out = c;
    return AK_OK;
}

void ak_dir_release(struct ak_dir *dir, struct ak_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&dir->lock);
    /* acquire checked the pid: one process takes and gives back */
    if (c->broken) {
        dir->n_open--;
        conn_free(c);
    } else {
        c->next = dir->idle;
        dir->idle = c;
    }
    pthread_cond_signal(&dir->cond);
    pthread_mutex_unlock(&dir->lock);
}

void ak_conn_discard(struct ak_conn *c)
{
    if (c != NULL)
        c->broken = true;
}

LDAP *ak_conn_ld(struct ak_conn *c)
{
    return c->ld;
}

bool ak_conn_reused(const struct ak_conn *c)
{
    return c->reused;
}

bool ak_conn_dropped(const struct ak_conn *c)
{
    return c->dropped;
}

int ak_conn_search_send(struct ak_conn *c, const char *base, int scope,
                        const char *filter, char **attrs, int sizelimit,
                        const struct ak_log *log, int *msgid)
{
    struct timeval tl = {.tv_sec = (time_t)c->timeout};
    int rc;

    rc = ldap_search_ext(c->ld, base, scope, filter, attrs, 0, NULL, NULL, &tl,
                         sizelimit, msgid);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, "search", rc);
        c->broken = true;
        c->dropped = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
        return AK_ERR_BACKEND;
    }
    return AK_OK;
}

int ak_conn_search_recv(struct ak_conn *c, int msgid, const struct ak_log *log,
                        LDAPMessage **res)
{
    LDAPMessage *chain = NULL, *m;
    int rc;

    rc = wait_result(c, msgid, LDAP_MSG_ALL, log, "search", &chain);
    if (rc != AK_OK) {
        ldap_msgfree(chain);
        return rc;
    }
    rc = AK_ERR_BACKEND;
    for (m = ldap_first_message(c->ld, chain); m != NULL;
         m = ldap_next_message(c->ld, m)) {
        if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) {
            int code;
            rc = op_result(c, m, 0, log, "search", &code);
            break;
        }
    }
    if (m == NULL) {
        ak_log(log, LOG_ERR, "%s: search: answer without a result", c->uri);
        c->broken = true;
    }
    if (rc != AK_OK) {
        ldap_msgfree(chain);
        return rc;
    }
    *res = chain;
    return AK_OK;
}

int ak_conn_search(struct ak_conn *c, const char *base, int scope,
                   const char *filter, char **attrs, int sizelimit,
                   const struct ak_log *log, LDAPMessage **res)
{
    int msgid, rc;

    rc = ak_conn_search_send(c, base, scope, filter, attrs, sizelimit, log,
                             &msgid);
    if (rc != AK_OK)
        return rc;
    return ak_conn_search_recv(c, msgid, log, res);
}

int ak_conn_modify(struct ak_conn *c, const char *dn, LDAPMod **mods,
                   const struct ak_log *log)
{
    return ak_conn_modify_if(c, dn, mods, NULL, log);
}

/* Send a modify of mods to dn, under the RFC 4528 assertion (critical: a
 * server that cannot test it must not apply the change untested; NULL:
 * none) and with the relax control when relax. *msgid: its message id.
 * AK_OK, AK_ERR_BACKEND (logged; connection marked broken), AK_ERR_NOMEM,
 * AK_ERR_INVALID (the assertion does not encode). */
static int send_modify(struct ak_conn *c, const char *dn, LDAPMod **mods,
                       const char *assertion, bool relax,
                       const struct ak_log *log, int *msgid)
{
    LDAPControl *assert_ctrl = NULL, relax_ctrl, *ctrls[3] = {NULL};
    size_t n_ctrls = 0;
    int rc;

    if (assertion != NULL) {
        rc = ldap_create_assertion_control(c->ld, (char *)(uintptr_t)assertion,
                                           1, &assert_ctrl);
        if (rc != LDAP_SUCCESS) {
            ak_log(log, LOG_ERR, "modify: cannot encode the assertion %s",
                   assertion);
            return rc == LDAP_NO_MEMORY ? AK_ERR_NOMEM : AK_ERR_INVALID;
        }
        ctrls[n_ctrls++] = assert_ctrl;
    }
    if (relax) {
        memset(&relax_ctrl, 0, sizeof(relax_ctrl));
        relax_ctrl.ldctl_oid = AK_LDAP_STR(LDAP_CONTROL_RELAX);
        ctrls[n_ctrls++] = &relax_ctrl;
    }
    rc = ldap_modify_ext(c->ld, dn, mods, n_ctrls > 0 ? ctrls : NULL, NULL,
                         msgid);
    ldap_control_free(assert_ctrl);
    if (rc != LDAP_SUCCESS) {
        log_ld(log, LOG_ERR, c->ld, c->uri, "modify", rc);
        c->broken = true;
        c->dropped = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR;
        return AK_ERR_BACKEND;
    }
    return AK_OK;
}

static int modify_ctrl(struct ak_conn *c, const char *dn, LDAPMod **mods,
                       const char *assertion, bool relax,
                       const struct ak_log *log)
{
    LDAPMessage *res = NULL;
    int msgid, rc, code = LDAP_OTHER;

    rc = send_modify(c, dn, mods, assertion, relax, log, &msgid);
    if (rc != AK_OK)
        return rc;
    rc = wait_result(c, msgid, LDAP_MSG_ALL, log, "modify", &res);
    if (rc != AK_OK) {
        ldap_msgfree(res);
        return rc;
    }
    rc = op_result(c, res, 1, log, "modify", &code);
    if (rc == AK_OK)
        return AK_OK;
    if (assertion != NULL && code == LDAP_UNAVAILABLE_CRITICAL_EXTENSION) {
        ak_log(log, LOG_ERR,
               "%s: the server does not support the LDAP assertion control "
               "(RFC 4528), which changes to keys need; nothing was written",
               c->uri);
        return AK_ERR_INVALID;
    }
    rc = ak_ldap_status(code);
    return rc == AK_OK ? AK_ERR_BACKEND : rc; /* never success here */
}

int ak_conn_modify_if(struct ak_conn *c, const char *dn, LDAPMod **mods,
                      const char *assertion, const struct ak_log *log)
{
    return modify_ctrl(c, dn, mods, assertion, false, log);
}

int ak_conn_modify_relaxed(struct ak_conn *c, const char *dn, LDAPMod **mods,
                           const char *assertion, const struct ak_log *log)
{
    return modify_ctrl(c, dn, mods, assertion, true, log);
}

int ak_conn_modify_probe(struct ak_conn *c, const char *dn, LDAPMod **mods,
                         bool relax, const struct ak_log *log, int *code)
{
    LDAPMessage *res = NULL;
    char *diag = NULL;
    int msgid, rc;

    *code = LDAP_OTHER;
    /* The assertion only with relax: slapo-unique runs its own search with
     * the operation's controls, and the assertion would answer for it. */
    rc = send_modify(c, dn, mods, relax ? "(!(objectClass=*))" : NULL, relax,
                     log, &msgid);
    if (rc != AK_OK)
        return rc;
    rc = wait_result(c, msgid, LDAP_MSG_ALL, log, "modify (probe)", &res);
    if (rc != AK_OK) {
        ldap_msgfree(res);
        return rc;
    }
    rc = ldap_parse_result(c->ld, res, code, NULL, &diag, NULL, NULL, 1);
    ldap_memfree(diag);
    if (rc != LDAP_SUCCESS) {
        c->broken = true;
        return AK_ERR_BACKEND;
    }
    return AK_OK;
}

int ak_ldap_status(int code)
{
    switch (code) {
    case LDAP_SUCCESS:
        return AK_OK;
    case LDAP_NO_SUCH_ATTRIBUTE:
    case LDAP_TYPE_OR_VALUE_EXISTS:
    case LDAP_ASSERTION_FAILED:
    case LDAP_ALREADY_EXISTS:
    case LDAP_NOT_ALLOWED_ON_NONLEAF:
        return AK_ERR_CONFLICT;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_ADMINLIMIT_EXCEEDED:
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_TIMELIMIT_EXCEEDED:
        return AK_ERR_DENIED;
    case LDAP_NO_SUCH_OBJECT:
        return AK_ERR_NOT_FOUND;
    case LDAP_OBJECT_CLASS_VIOLATION:
    case LDAP_CONSTRAINT_VIOLATION:
    case LDAP_INVALID_SYNTAX:
    case LDAP_UNDEFINED_TYPE:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_NAMING_VIOLATION:
        return AK_ERR_INVALID;
    case LDAP_NO_MEMORY:
        return AK_ERR_NOMEM;
    default:
        return AK_ERR_BACKEND;
    }
}
