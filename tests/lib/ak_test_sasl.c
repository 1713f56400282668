/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test_sasl.c - an in-process libsasl2 client and server for the
 * sasl_apikey tests and benchmark (no cmocka: the benchmark links it too) */
#include "ak_test_sasl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/saslplug.h>
#include <sodium.h>

#define DIE(...)                                                               \
    do {                                                                       \
        fprintf(stderr, "ak_test_sasl: " __VA_ARGS__);                         \
        fputc('\n', stderr);                                                   \
        abort();                                                               \
    } while (0)

/* libsasl2 keeps callbacks as int (*)(void). */
#define CB(f) ((int (*)(void))(void (*)(void))(f))

/* ---- counting allocator (R-03) ---- */

static atomic_long balance;

static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    if (p != NULL)
        atomic_fetch_add(&balance, 1);
    return p;
}

static void *count_calloc(size_t n, size_t m)
{
    void *p = calloc(n, m);
    if (p != NULL)
        atomic_fetch_add(&balance, 1);
    return p;
}

static void *count_realloc(void *old, size_t n)
{
    void *p = realloc(old, n);
    if (old == NULL && p != NULL)
        atomic_fetch_add(&balance, 1);
    else if (old != NULL && p == NULL && n == 0)
        atomic_fetch_sub(&balance, 1);
    return p;
}

static void count_free(void *p)
{
    if (p != NULL)
        atomic_fetch_sub(&balance, 1);
    free(p);
}

static void *mutex_new(void)
{
    pthread_mutex_t *m = malloc(sizeof(*m));
    if (m != NULL)
        pthread_mutex_init(m, NULL);
    return m;
}

static int mutex_lock(void *m)
{
    return pthread_mutex_lock(m) == 0 ? SASL_OK : SASL_FAIL;
}

static int mutex_unlock(void *m)
{
    return pthread_mutex_unlock(m) == 0 ? SASL_OK : SASL_FAIL;
}

static void mutex_free(void *m)
{
    if (m != NULL)
        pthread_mutex_destroy(m);
    free(m);
}

void akts_install_allocator(void)
{
    sasl_set_alloc(count_malloc, count_calloc, count_realloc, count_free);
    sasl_set_mutex(mutex_new, mutex_lock, mutex_unlock, mutex_free);
}

long akts_alloc_balance(void)
{
    return atomic_load(&balance);
}

/* ---- captured log ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;
static bool log_echo;
static bool log_discard;

static void log_add(const char *level, const char *msg)
{
    size_t n = strlen(level) + 2 + strlen(msg) + 1;

    if (log_discard)
        return;
    pthread_mutex_lock(&log_lock);
    if (log_echo)
        fprintf(stderr, "%s: %s\n", level, msg);
    if (log_len + n + 1 > log_cap) {
        size_t cap = log_cap ? log_cap * 2 : 1 << 16;
        char *b;
        while (cap < log_len + n + 1)
            cap *= 2;
        b = realloc(log_buf, cap);
        if (b == NULL)
            DIE("out of memory for the log");
        log_buf = b;
        log_cap = cap;
    }
    log_len += (size_t)snprintf(log_buf + log_len, log_cap - log_len,
                                "%s: %s\n", level, msg);
    pthread_mutex_unlock(&log_lock);
}

void akts_log_reset(void)
{
    pthread_mutex_lock(&log_lock);
    log_len = 0;
    if (log_buf != NULL)
        log_buf[0] = '\0';
    pthread_mutex_unlock(&log_lock);
}

char *akts_log_copy(void)
{
    char *c;
    pthread_mutex_lock(&log_lock);
    c = strndup(log_buf ? log_buf : "", log_len);
    pthread_mutex_unlock(&log_lock);
    if (c == NULL)
        DIE("out of memory");
    return c;
}

void akts_log_echo(bool on)
{
    log_echo = on;
}

void akts_log_discard(bool on)
{
    log_discard = on;
}

static int log_cb(void *ctx, int level, const char *msg)
{
    static const char *const names[] = {"none", "err",   "fail",  "warn",
                                        "note", "debug", "trace", "pass"};
    (void)ctx;
    log_add(level >= 0 && level <= 7 ? names[level] : "?", msg ? msg : "");
    return SASL_OK;
}

void akts_record_detail(sasl_conn_t *conn)
{
    log_add("errdetail", sasl_errdetail(conn));
}

/* ---- library set-up ---- */

static const char *plugin_path;
static const char *_Atomic conf_path;

static int getpath_cb(void *ctx, const char **path)
{
    (void)ctx;
    *path = plugin_path;
    return SASL_OK;
}

static int getopt_cb(void *ctx, const char *plugin, const char *option,
                     const char **result, unsigned *len)
{
    const char *p = atomic_load(&conf_path);
    (void)ctx;
    (void)plugin;
    if (strcmp(option, "apikey_conf") != 0 || p == NULL)
        return SASL_FAIL;
    *result = p;
    if (len != NULL)
        *len = (unsigned)strlen(p);
    return SASL_OK;
}

static const sasl_callback_t global_cbs[] = {
    {SASL_CB_GETPATH, CB(getpath_cb), NULL},
    {SASL_CB_GETOPT, CB(getopt_cb), NULL},
    {SASL_CB_LOG, CB(log_cb), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

/*
 * A directory of users for libsasl2's auxprop layer, as slapd registers
 * its own: every name exists and has no properties. Without any auxprop
 * plug-in, libsasl2 fails canon_user(authzid, SASL_CU_AUTHZID) with
 * SASL_NOMECH before the proxy policy is ever asked (PLAIN and GSSAPI
 * behave the same); real hosts have slapd's, sasldb or ldapdb.
 */
static int aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
                      const char *user, unsigned ulen)
{
    return SASL_OK;
}

static sasl_auxprop_plug_t aux_plug = {
    .auxprop_lookup = aux_lookup,
    .name = (char *)(uintptr_t) "akts",
};

static int aux_init(const sasl_utils_t *utils, int max_version,
                    int *out_version, sasl_auxprop_plug_t **plug,
                    const char *name)
{
    if (max_version < SASL_AUXPROP_PLUG_VERSION)
        return SASL_BADVERS;
    *out_version = SASL_AUXPROP_PLUG_VERSION;
    *plug = &aux_plug;
    return SASL_OK;
}

void akts_set_conf(const char *path)
{
    atomic_store(&conf_path, path);
}

void akts_init(const char *dir)
{
    int rc;

    plugin_path = dir;
    /* AKTS_LOG_ECHO=1 shows every libsasl2 / plug-in line while debugging */
    if (getenv("AKTS_LOG_ECHO") != NULL)
        log_echo = true;
    rc = sasl_auxprop_add_plugin("akts", aux_init);
    if (rc != SASL_OK)
        DIE("sasl_auxprop_add_plugin: %s", sasl_errstring(rc, NULL, NULL));
    rc = sasl_server_init(global_cbs, "akts");
    if (rc != SASL_OK)
        DIE("sasl_server_init: %s", sasl_errstring(rc, NULL, NULL));
    rc = sasl_client_init(global_cbs);
    if (rc != SASL_OK)
        DIE("sasl_client_init: %s", sasl_errstring(rc, NULL, NULL));
}

void akts_done(void)
{
    sasl_server_done();
    sasl_client_done();
}

/* ---- one exchange ---- */

struct client_input {
    const struct akts_req *rq;
    sasl_secret_t *secret;
};

static int simple_cb(void *ctx, int id, const char **result, unsigned *len)
{
    const struct client_input *in = ctx;
    const char *v = id == SASL_CB_AUTHNAME ? in->rq->authcid : in->rq->authzid;
    *result = v ? v : "";
    if (len != NULL)
        *len = (unsigned)strlen(*result);
    return SASL_OK;
}

static int secret_cb(sasl_conn_t *conn, void *ctx, int id,
                     sasl_secret_t **psecret)
{
    struct client_input *in = ctx;
    (void)conn;
    (void)id;
    *psecret = in->secret;
    return SASL_OK;
}

static int allow_all(sasl_conn_t *conn, void *ctx, const char *requested,
                     unsigned rlen, const char *auth, unsigned alen,
                     const char *realm, unsigned urlen, struct propctx *pctx)
{
    return SASL_OK;
}

static int strict(sasl_conn_t *conn, void *ctx, const char *requested,
                  unsigned rlen, const char *auth, unsigned alen,
                  const char *realm, unsigned urlen, struct propctx *pctx)
{
    if (rlen == 0 || (rlen == alen && memcmp(requested, auth, rlen) == 0))
        return SASL_OK;
    sasl_seterror(conn, SASL_NOLOG, "not authorized");
    return SASL_NOAUTHZ;
}

static const sasl_callback_t allow_cbs[] = {
    {SASL_CB_PROXY_POLICY, CB(allow_all), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

static const sasl_callback_t strict_cbs[] = {
    {SASL_CB_PROXY_POLICY, CB(strict), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

sasl_conn_t *akts_server_new(const char *service, enum akts_proxy proxy)
{
    sasl_conn_t *s = NULL;
    const sasl_callback_t *cbs = proxy == AKTS_PROXY_ALLOW    ? allow_cbs
                                 : proxy == AKTS_PROXY_STRICT ? strict_cbs
                                                              : NULL;
    int rc = sasl_server_new(service ? service : "smtp", "localhost", NULL,
                             "127.0.0.1;25", "127.0.0.2;40000", cbs, 0, &s);
    if (rc != SASL_OK)
        DIE("sasl_server_new: %s", sasl_errstring(rc, NULL, NULL));
    return s;
}

static void copy_prop(sasl_conn_t *c, int prop, char *buf, size_t size)
{
    const void *v = NULL;
    buf[0] = '\0';
    if (sasl_getprop(c, prop, &v) == SASL_OK && v != NULL)
        snprintf(buf, size, "%s", (const char *)v);
}

int akts_exchange(const struct akts_req *rq, struct akts_res *rs)
{
    size_t klen = rq->key_len ? rq->key_len : strlen(rq->key);
    struct client_input in = {rq, NULL};
    sasl_callback_t ccbs[] = {
        {SASL_CB_AUTHNAME, CB(simple_cb), &in},
        {SASL_CB_USER, CB(simple_cb), &in},
        {SASL_CB_PASS, CB(secret_cb), &in},
        {SASL_CB_LIST_END, NULL, NULL},
    };
    sasl_conn_t *c = NULL, *s = NULL;
    sasl_interact_t *prompts = NULL;
    const char *cout = NULL, *sout = NULL, *chosen = NULL;
    unsigned coutlen = 0, soutlen = 0;
    int crc, src;

    memset(rs, 0, sizeof(*rs));
    in.secret = malloc(sizeof(sasl_secret_t) + klen);
    if (in.secret == NULL)
        DIE("out of memory");
    in.secret->len = klen;
    memcpy(in.secret->data, rq->key, klen);

    crc = sasl_client_new("smtp", "localhost", NULL, NULL, ccbs, 0, &c);
    if (crc != SASL_OK)
        DIE("sasl_client_new: %s", sasl_errstring(crc, NULL, NULL));
    s = akts_server_new(rq->service, rq->proxy);

    crc = sasl_client_start(c, rq->mech, &prompts, &cout, &coutlen, &chosen);
    if (crc != SASL_OK && crc != SASL_CONTINUE) {
        src = crc;
        goto out;
    }
    src = sasl_server_start(s, rq->mech, cout, coutlen, &sout, &soutlen);
    while (src == SASL_CONTINUE && rs->round_trips < 8) {
        if (soutlen > 0 && soutlen < sizeof(rs->challenge)) {
            memcpy(rs->challenge, sout, soutlen);
            rs->challenge[soutlen] = '\0';
            rs->challenge_len = soutlen;
        }
        crc = sasl_client_step(c, sout, soutlen, &prompts, &cout, &coutlen);
        if (crc != SASL_OK && crc != SASL_CONTINUE)
            break;
        rs->round_trips++;
        src = sasl_server_step(s, cout, coutlen, &sout, &soutlen);
    }
    /* The bearer clients wait for the server's (empty) last word. */
    if (src == SASL_OK && crc == SASL_CONTINUE)
        crc = sasl_client_step(c, sout, soutlen, &prompts, &cout, &coutlen);
out:
    rs->rc = src;
    rs->client_rc = crc;
    if (src == SASL_OK) {
        copy_prop(s, SASL_USERNAME, rs->user, sizeof(rs->user));
        copy_prop(s, SASL_AUTHUSER, rs->authid, sizeof(rs->authid));
    } else {
        snprintf(rs->detail, sizeof(rs->detail), "%s", sasl_errdetail(s));
        akts_record_detail(s);
        akts_record_detail(c);
    }
    sasl_dispose(&s);
    sasl_dispose(&c);
    sodium_memzero(in.secret->data, klen);
    free(in.secret);
    return src;
}
