/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_server.c - server side of APIKEY, OAUTHBEARER and XOAUTH2: parse
 * the client's message, verify the key, hand the identities to libsasl2 */
#include "apikey_plugin.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ak_build.h"
#include "ak_config.h"
#include "ak_host.h"
#include "ak_log.h"
#include "ak_text.h"
#include "ak_verify.h"
#include "apikey_result.h"

struct server_ctx {
    const struct apikey_mech_def *mech;
    enum { ST_START, ST_ERROR_SENT, ST_DONE } state;
};

/* common/'s log lines go to the host through utils->log. */
struct sink {
    const sasl_utils_t *utils;
    const char *mech;
    bool syslog_accepted; /* sasl_syslog, once the config is loaded */
};

/* The verifier's line for an accepted key (ak_verify.c, log_outcome). */
static const char accepted_line[] = "accepted key ";

static void sink_line(void *ctx, int prio, const char *msg)
{
    const struct sink *s = ctx;
    s->utils->log(s->utils->conn, apikey_sasl_log_level(prio), "%s: %s",
                  s->mech, msg);
    /* Which key logged in, where the host's log does not show it: slapd
     * maps SASL_LOG_NOTE to its trace level, Postfix to smtpd -v. One
     * line to authpriv, as the PAM module's; the host owns openlog(). */
    if (s->syslog_accepted && prio == LOG_INFO &&
        strncmp(msg, accepted_line, sizeof(accepted_line) - 1) == 0)
        syslog(LOG_AUTHPRIV | LOG_INFO, "sasl_apikey: %s: %s", s->mech, msg);
}

/* apikey_conf from the host's SASL configuration (e.g. smtpd.conf), never
 * from the environment. NULL: the compiled-in default. */
static const char *conf_path(const sasl_utils_t *u)
{
    const char *v = NULL;
    unsigned len = 0;

    if (u->getopt != NULL &&
        u->getopt(u->getopt_context, "APIKEY", "apikey_conf", &v, &len) ==
            SASL_OK &&
        v != NULL && v[0] != '\0')
        return v;
    return NULL;
}

static int server_mech_new(void *glob, sasl_server_params_t *sp,
                           const char *challenge, unsigned challen,
                           void **conn_context)
{
    struct server_ctx *ctx = sp->utils->malloc(sizeof(*ctx));

    if (ctx == NULL) {
        sp->utils->seterror(sp->utils->conn, 0, "out of memory");
        return SASL_NOMEM;
    }
    ctx->mech = apikey_glob_mech(glob);
    ctx->state = ST_START;
    *conn_context = ctx;
    return SASL_OK;
}

static void server_mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
    if (conn_context != NULL)
        utils->free(conn_context);
}

/* Called once per mechanism by sasl_server_done; the first call drops the
 * shared configuration, the others find nothing left. */
static void server_mech_free(void *glob, const sasl_utils_t *utils)
{
    ak_host_shutdown();
}

/*
 * Give libsasl2 the identities: the authentication identity is the key's
 * owner as the verifier reported it, the entry's own user name. A
 * requested authorization identity that is that name (byte for byte, or
 * but for ASCII case under user_name_match ascii-case) is the owner,
 * spelled as the entry spells it; any other goes through canon_user and,
 * after this step returns, the host's proxy policy callback (BI-09).
 */
static int set_identities(sasl_server_params_t *sp, sasl_out_params_t *op,
                          const char *owner, const char *authz,
                          size_t authz_len, bool ascii_case)
{
    const unsigned verified = SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED;
    size_t olen = strlen(owner);
    int rc;

    if (authz_len == 0 ||
        ak_text_equal(authz, authz_len, owner, olen, ascii_case))
        return sp->canon_user(sp->utils->conn, owner, (unsigned)olen,
                              verified | SASL_CU_AUTHZID, op);
    rc = sp->canon_user(sp->utils->conn, owner, (unsigned)olen, verified, op);
    if (rc != SASL_OK)
        return rc;
    return sp->canon_user(sp->utils->conn, authz, (unsigned)authz_len,
                          SASL_CU_AUTHZID, op);
}

/* Step 1: the client's message in the mechanism's grammar. A refusal is
 * logged with the reason only: the bytes may hold a key typed into a
 * name. AK_OK or AK_ERR_MALFORMED. */
static int parse_message(const struct server_ctx *ctx,
                         const sasl_server_params_t *sp,
                         const struct ak_log *log, const char *lctx,
                         const char *in, unsigned inlen,
                         struct apikey_creds *cr)
{
    const char *why = NULL;
    int status = apikey_parse_client_first(ctx->mech->id, in, inlen, cr, &why);

    if (status != AK_OK)
        ak_log(log, LOG_NOTICE,
               "refused a malformed message (%s) service=%s %s", why,
               sp->service ? sp->service : "-", lctx);
    return status;
}

/* Step 2 failed: apikey.conf (path; NULL the default) could not be
 * loaded. The line before says which file and what is wrong with it; this
 * one says what it means, and the client only learns "unavailable" (a
 * temporary failure). Returns the SASL code. */
static int conf_unavailable(const char *path, int status,
                            const struct ak_log *log, const char *lctx)
{
    char q[256];
    int rc = apikey_sasl_result(status, AK_VERIFY_INTERNAL);

    if (path == NULL)
        path = AK_DEFAULT_CONF;
    ak_log(log, LOG_ERR,
           "apikey_conf %s not loaded (%s): every exchange fails with "
           "%s until it is fixed %s",
           ak_log_quote(q, sizeof(q), path, (unsigned)strlen(path)),
           ak_strerror(status), apikey_sasl_code_name(rc), lctx);
    return rc;
}

/* Step 3: the verifier's judgement of the credentials. */
static enum ak_outcome verify_creds(struct ak_dir *dir,
                                    const sasl_server_params_t *sp,
                                    const struct ak_log *log, const char *lctx,
                                    const struct apikey_creds *cr,
                                    struct ak_verify_result *res)
{
    struct ak_verify_request req = {0};

    /* A mechanism with an authcid (APIKEY) names its user there; the
     * bearer mechanisms (and an empty authcid) let the key's id find its
     * owner. */
    if (cr->authcid_len > 0) {
        req.user = cr->authcid;
        req.user_len = cr->authcid_len;
    }
    req.key = cr->key;
    req.key_len = cr->key_len;
    req.service = sp->service;
    req.log_context = lctx;
    return ak_verify(dir, &req, 0, log, res);
}

/* Step 4, accepted: the identities go to libsasl2 and the exchange ends.
 * A canon_user failure is logged here (the verifier logged the key as
 * accepted). Returns the SASL code. */
static int accept_key(struct server_ctx *ctx, sasl_server_params_t *sp,
                      const struct ak_log *log,
                      const struct ak_verify_result *res,
                      const struct apikey_creds *cr, bool ascii_case,
                      sasl_out_params_t *op)
{
    int rc;

    if (res->owner_name == NULL) {
        /* the verifier promises a name; fail closed */
        ak_log(log, LOG_ERR, "internal error: key %s accepted without a name",
               res->key_id);
        return SASL_UNAVAIL;
    }
    rc = set_identities(sp, op, res->owner_name, cr->authzid, cr->authzid_len,
                        ascii_case);
    if (rc == SASL_OK) {
        apikey_out_done(op);
        ctx->state = ST_DONE;
    } else if (rc == SASL_CONFIGERR) {
        /* the host's own canon_user or auxprop set-up: still a fault
         * on the server's side, temporary to the client */
        ak_log(log, LOG_ERR,
               "canon_user failed for the identities of key %s: %s "
               "(the host's SASL set-up)",
               res->key_id, apikey_sasl_code_name(rc));
        rc = SASL_UNAVAIL;
    } else {
        ak_log(log, LOG_NOTICE,
               "canon_user refused the identities of "
               "key %s: %s",
               res->key_id, apikey_sasl_code_name(rc));
    }
    return rc;
}

/* Step 4, refused: RFC 7628 3.2.2 gives an invalid token the JSON error,
 * and the exchange ends after the client's %x01. A mechanism without an
 * error challenge (APIKEY) fails at once. Returns the SASL code. */
static int refuse_key(struct server_ctx *ctx, const char **out,
                      unsigned *outlen)
{
    size_t n = 0;
    const char *chal = apikey_error_challenge(ctx->mech->id, &n);

    if (chal == NULL)
        return SASL_BADAUTH;
    *out = chal;
    *outlen = (unsigned)n;
    ctx->state = ST_ERROR_SENT;
    return SASL_CONTINUE;
}

static int first_step(struct server_ctx *ctx, sasl_server_params_t *sp,
                      struct ak_log *log, const char *lctx, const char *in,
                      unsigned inlen, const char **out, unsigned *outlen,
                      sasl_out_params_t *op)
{
    struct apikey_creds cr;
    struct ak_verify_result res = {0};
    struct ak_host *h = NULL;
    const struct ak_config *cfg;
    const char *path;
    enum ak_outcome outcome;
    bool ascii_case;
    int status, rc;

    status = parse_message(ctx, sp, log, lctx, in, inlen, &cr);
    if (status != AK_OK)
        return apikey_sasl_result(status, AK_VERIFY_INTERNAL);
    path = conf_path(sp->utils);
    status = ak_host_acquire(path, log, &h);
    if (status != AK_OK)
        return conf_unavailable(path, status, log, lctx);
    cfg = ak_host_config(h);
    log->debug = cfg->debug;
    /* log->ctx is step()'s sink */
    ((struct sink *)log->ctx)->syslog_accepted = cfg->sasl_syslog;
    ascii_case = cfg->user_name_ascii_case;
    outcome = verify_creds(ak_host_dir(h), sp, log, lctx, &cr, &res);
    ak_host_release(h);

    rc = apikey_sasl_result(AK_OK, outcome);
    if (rc == SASL_OK)
        rc = accept_key(ctx, sp, log, &res, &cr, ascii_case, op);
    else if (rc == SASL_BADAUTH)
        rc = refuse_key(ctx, out, outlen);
    ak_verify_result_clear(&res);
    return rc;
}

/* "mech=M rhost=ip;port" (rhost quoted: it comes from the host) for the
 * log lines of one step. */
static void log_context(char *buf, size_t size, const char *mech,
                        const sasl_server_params_t *sp)
{
    char rhost[96];

    if (sp->ipremoteport != NULL)
        snprintf(buf, size, "mech=%s rhost=%s", mech,
                 ak_log_quote(rhost, sizeof(rhost), sp->ipremoteport,
                              (unsigned)strlen(sp->ipremoteport)));
    else
        snprintf(buf, size, "mech=%s", mech);
}

/* The client's answer to the error challenge: the exchange fails either
 * way, BADAUTH when it acknowledged the error, BADPROT otherwise. */
static int error_answer(struct server_ctx *ctx, const struct ak_log *log,
                        const char *lctx, const char *in, unsigned inlen)
{
    ctx->state = ST_DONE;
    if (apikey_error_reply_ok(ctx->mech->id, in, inlen))
        return SASL_BADAUTH; /* the refusal itself is logged already */
    ak_log(log, LOG_NOTICE, "client answered the error challenge wrongly %s",
           lctx);
    return SASL_BADPROT;
}

/*
 * One uniform text for the client: slapd sends sasl_errdetail() in the
 * bind response. It says neither which check failed nor anything of
 * the input or of the server's configuration (the log does). It also
 * replaces whatever text a canon_user step set.
 */
static void set_client_error(const sasl_utils_t *u, int rc)
{
    switch (rc) {
    case SASL_OK:
    case SASL_CONTINUE:
        break;
    case SASL_UNAVAIL:
        u->seterror(u->conn, SASL_NOLOG, "authentication service unavailable");
        break;
    case SASL_NOMEM:
    case SASL_FAIL:
        u->seterror(u->conn, SASL_NOLOG, "authentication service error");
        break;
    default:
        u->seterror(u->conn, SASL_NOLOG, "authentication failed");
        break;
    }
}

static int server_mech_step(void *conn_context, sasl_server_params_t *sp,
                            const char *in, unsigned inlen, const char **out,
                            unsigned *outlen, sasl_out_params_t *op)
{
    struct server_ctx *ctx = conn_context;
    const sasl_utils_t *u = sp->utils;
    struct sink sink = {0};
    struct ak_log log = {sink_line, &sink, false};
    char lctx[160];
    int rc;

    *out = NULL;
    *outlen = 0;
    if (ctx == NULL) {
        /* libsasl2 disposes of the context when a step fails; a host that
         * steps that exchange again gets a protocol error, not a crash. */
        u->seterror(u->conn, SASL_NOLOG, "authentication failed");
        return SASL_BADPROT;
    }
    sink.utils = u;
    sink.mech = ctx->mech->name;
    log_context(lctx, sizeof(lctx), sink.mech, sp);

    switch (ctx->state) {
    case ST_START:
        rc = first_step(ctx, sp, &log, lctx, in, inlen, out, outlen, op);
        break;
    case ST_ERROR_SENT:
        rc = error_answer(ctx, &log, lctx, in, inlen);
        break;
    default:
        rc = SASL_BADPROT;
        break;
    }
    ak_debug(&log, "step done. [%s]", apikey_sasl_code_name(rc));
    set_client_error(u, rc);
    return rc;
}

/* The server plug table, one entry per mechanism row. */
static sasl_server_plug_t server_plugs[APIKEY_MECH_COUNT];
static pthread_once_t server_plugs_once = PTHREAD_ONCE_INIT;

static void fill_server_plugs(void)
{
    for (unsigned i = 0; i < APIKEY_MECH_COUNT; i++) {
        const struct apikey_mech_def *d = &apikey_mechs[i];
        server_plugs[i] = (sasl_server_plug_t){
            APIKEY_PLUG_FROM_ROW(d),       .mech_new = server_mech_new,
            .mech_step = server_mech_step, .mech_dispose = server_mech_dispose,
            .mech_free = server_mech_free,
        };
    }
}

sasl_server_plug_t *apikey_server_plugins(void)
{
    pthread_once(&server_plugs_once, fill_server_plugs);
    return server_plugs;
}
