/* SPDX-License-Identifier: BSD-3-Clause */
/* apikey_client.c - client side of APIKEY, OAUTHBEARER and XOAUTH2, for
 * ldapwhoami, ldapsearch and anything else built on libsasl2 */
#include "apikey_plugin.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "ak_status.h"

struct client_ctx {
    const struct apikey_mech_def *mech;
    enum { CL_START, CL_SENT, CL_ANSWERED, CL_DONE } state;
    char *out;                /* APIKEY_MSG_MAX bytes; holds the key */
    sasl_interact_t *prompts; /* ours, while the application answers */
};

/* The key is required; the names are optional (the server can find the
 * owner from the key). libsasl2 hides a mechanism whose required prompts
 * the application cannot answer. */
static const unsigned long required_prompts[] = {SASL_CB_PASS,
                                                 SASL_CB_LIST_END};

static const sasl_interact_t *answered(const sasl_interact_t *p,
                                       unsigned long id)
{
    for (; p != NULL && p->id != SASL_CB_LIST_END; p++)
        if (p->id == id)
            return p;
    return NULL;
}

/* libsasl2 hands callbacks out as int (*)(void); going through
 * void (*)(void) is the sanctioned way to convert function pointers. */
typedef void (*any_fn)(void);

/*
 * AUTHNAME or USER: from an answered prompt, the application's callback,
 * or (SASL_INTERACT from the callback lookup) ask for a prompt. A value
 * nobody provides is "not given" (*res NULL).
 */
static int get_name(const sasl_utils_t *u, const sasl_interact_t *prompts,
                    unsigned long id, const char **res, bool *ask)
{
    const sasl_interact_t *p = answered(prompts, id);
    sasl_callback_ft fp = NULL;
    void *fctx = NULL;
    int rc;

    *res = NULL;
    if (p != NULL) {
        *res = p->result;
        return SASL_OK;
    }
    rc = u->getcallback(u->conn, id, &fp, &fctx);
    if (rc == SASL_INTERACT) {
        *ask = true;
        return SASL_OK;
    }
    if (rc != SASL_OK || fp == NULL)
        return SASL_OK;
    rc = ((sasl_getsimple_t *)(any_fn)fp)(fctx, (int)id, res, NULL);
    if (rc == SASL_INTERACT) {
        *ask = true;
        rc = SASL_OK;
    }
    return rc;
}

static int get_key(const sasl_utils_t *u, const sasl_interact_t *prompts,
                   const char **key, size_t *len, bool *ask)
{
    const sasl_interact_t *p = answered(prompts, SASL_CB_PASS);
    sasl_callback_ft fp = NULL;
    void *fctx = NULL;
    sasl_secret_t *secret = NULL;
    int rc;

    *key = NULL;
    *len = 0;
    if (p != NULL) {
        if (p->result == NULL)
            return SASL_BADPARAM;
        *key = p->result;
        *len = p->len;
        return SASL_OK;
    }
    rc = u->getcallback(u->conn, SASL_CB_PASS, &fp, &fctx);
    if (rc == SASL_INTERACT) {
        *ask = true;
        return SASL_OK;
    }
    if (rc != SASL_OK || fp == NULL)
        return SASL_BADPARAM;
    rc = ((sasl_getsecret_t *)(any_fn)fp)(u->conn, fctx, SASL_CB_PASS, &secret);
    if (rc == SASL_INTERACT) {
        *ask = true;
        return SASL_OK;
    }
    if (rc != SASL_OK)
        return rc;
    if (secret == NULL)
        return SASL_BADPARAM;
    *key = (const char *)secret->data;
    *len = secret->len;
    return SASL_OK;
}

static int ask(const sasl_utils_t *u, struct client_ctx *ctx, bool user,
               bool authname, bool pass, sasl_interact_t **prompt_need)
{
    unsigned n = (unsigned)user + (unsigned)authname + (unsigned)pass, i = 0;
    sasl_interact_t *p;

    if (prompt_need == NULL) {
        u->seterror(u->conn, 0,
                    "%s needs an API key, and the application "
                    "offers neither a callback nor prompts",
                    ctx->mech->name);
        return SASL_BADPARAM;
    }
    p = u->malloc((n + 1) * sizeof(*p));
    if (p == NULL)
        return SASL_NOMEM;
    memset(p, 0, (n + 1) * sizeof(*p));
    if (user) {
        p[i].id = SASL_CB_USER;
        p[i].challenge = "Authorization name";
        p[i++].prompt = "Please enter your authorization name";
    }
    if (authname) {
        p[i].id = SASL_CB_AUTHNAME;
        p[i].challenge = "Authentication name";
        p[i++].prompt = "Please enter your authentication name";
    }
    if (pass) {
        p[i].id = SASL_CB_PASS;
        p[i].challenge = "API key";
        p[i++].prompt = "Please enter your API key";
    }
    p[i].id = SASL_CB_LIST_END;
    ctx->prompts = p;
    *prompt_need = p;
    return SASL_INTERACT;
}

static int canon(sasl_client_params_t *cp, const char *name, unsigned flags,
                 sasl_out_params_t *op)
{
    return cp->canon_user(cp->utils->conn, name, (unsigned)strlen(name), flags,
                          op);
}

/*
 * The client's view of the identities (sasl_getprop SASL_USERNAME). With
 * no name at all the server decides from the key; libsasl2 still wants
 * both fields set, so they are empty.
 */
static int client_identities(sasl_client_params_t *cp, const char *authn,
                             const char *authz, sasl_out_params_t *op)
{
    static const char none[] = "";
    int rc;

    if (authn != NULL && *authn != '\0') {
        if (authz != NULL && *authz != '\0' && strcmp(authz, authn) != 0) {
            rc = canon(cp, authz, SASL_CU_AUTHZID, op);
            return rc == SASL_OK ? canon(cp, authn, SASL_CU_AUTHID, op) : rc;
        }
        return canon(cp, authn, SASL_CU_AUTHID | SASL_CU_AUTHZID, op);
    }
    if (authz != NULL && *authz != '\0')
        return canon(cp, authz, SASL_CU_AUTHID | SASL_CU_AUTHZID, op);
    op->authid = op->user = none;
    op->alen = op->ulen = 0;
    return SASL_OK;
}

/* What the application gave: answered prompts or its callbacks. A name
 * nobody gives is NULL; ask_* say which prompts are still needed. */
struct answers {
    const char *authz, *authn, *key;
    size_t key_len;
    bool ask_user, ask_authn, ask_pass;
};

static int read_answers(const sasl_utils_t *u, const struct client_ctx *ctx,
                        struct answers *a)
{
    int rc;

    memset(a, 0, sizeof(*a));
    rc = get_name(u, ctx->prompts, SASL_CB_USER, &a->authz, &a->ask_user);
    if (rc == SASL_OK)
        rc = get_name(u, ctx->prompts, SASL_CB_AUTHNAME, &a->authn,
                      &a->ask_authn);
    if (rc == SASL_OK)
        rc = get_key(u, ctx->prompts, &a->key, &a->key_len, &a->ask_pass);
    return rc;
}

/* The client-first message into ctx->out (*n bytes), with the names the
 * mechanism carries. Returns the SASL code, with an error text set. */
static int build_message(struct client_ctx *ctx, const sasl_client_params_t *cp,
                         const struct answers *a, size_t *n)
{
    const sasl_utils_t *u = cp->utils;
    const char *wire_authz;

    if (ctx->out == NULL && (ctx->out = u->malloc(APIKEY_MSG_MAX)) == NULL)
        return SASL_NOMEM;
    /* APIKEY sends an authzid only when it asks for another identity;
     * the bearer mechanisms carry one name, the authzid if given. */
    if (!ctx->mech->one_name)
        wire_authz = strcmp(a->authz, a->authn) != 0 ? a->authz : "";
    else
        wire_authz = *a->authz != '\0' ? a->authz : a->authn;
    if (apikey_build_client_first(ctx->mech->id, wire_authz, strlen(wire_authz),
                                  a->authn, strlen(a->authn), a->key,
                                  a->key_len, cp->serverFQDN, ctx->out,
                                  APIKEY_MSG_MAX, n) != AK_OK) {
        u->seterror(u->conn, 0, "%s cannot carry this name or key",
                    ctx->mech->name);
        return SASL_BADPARAM;
    }
    return SASL_OK;
}

/* Our prompts, once read (their answers are copied into the message) or
 * before asking anew. */
static void drop_prompts(const sasl_utils_t *u, struct client_ctx *ctx,
                         sasl_interact_t **prompt_need)
{
    if (ctx->prompts == NULL)
        return;
    u->free(ctx->prompts);
    ctx->prompts = NULL;
    if (prompt_need != NULL)
        *prompt_need = NULL;
}

static int first_step(struct client_ctx *ctx, sasl_client_params_t *cp,
                      sasl_interact_t **prompt_need, const char **out,
                      unsigned *outlen, sasl_out_params_t *op)
{
    const sasl_utils_t *u = cp->utils;
    struct answers a;
    size_t n = 0;
    int rc;

    /* The key travels as is: nothing here adds a security layer. */
    if (cp->props.min_ssf > cp->external_ssf) {
        u->seterror(u->conn, 0, "%s offers no security layer", ctx->mech->name);
        return SASL_TOOWEAK;
    }
    rc = read_answers(u, ctx, &a);
    if (rc != SASL_OK) {
        u->seterror(u->conn, 0, "%s: no API key given", ctx->mech->name);
        goto out;
    }
    if (a.ask_user || a.ask_authn || a.ask_pass) {
        drop_prompts(u, ctx, NULL);
        return ask(u, ctx, a.ask_user, a.ask_authn, a.ask_pass, prompt_need);
    }
    if (a.authz == NULL)
        a.authz = "";
    if (a.authn == NULL)
        a.authn = "";
    rc = build_message(ctx, cp, &a, &n);
    if (rc == SASL_OK)
        rc = client_identities(cp, a.authn, a.authz, op);
    if (rc != SASL_OK)
        goto out;
    *out = ctx->out;
    *outlen = (unsigned)n;
    if (ctx->mech->error_challenge == NULL) {
        /* no error challenge can follow (APIKEY): done */
        apikey_out_done(op);
        ctx->state = CL_DONE;
        rc = SASL_OK;
    } else {
        ctx->state = CL_SENT; /* the server may still answer with an error */
        rc = SASL_CONTINUE;
    }
out:
    drop_prompts(u, ctx, prompt_need);
    return rc;
}

static int client_mech_new(void *glob, sasl_client_params_t *cp,
                           void **conn_context)
{
    struct client_ctx *ctx = cp->utils->malloc(sizeof(*ctx));

    if (ctx == NULL) {
        cp->utils->seterror(cp->utils->conn, 0, "out of memory");
        return SASL_NOMEM;
    }
    memset(ctx, 0, sizeof(*ctx));
    ctx->mech = apikey_glob_mech(glob);
    ctx->state = CL_START;
    *conn_context = ctx;
    return SASL_OK;
}

static int client_mech_step(void *conn_context, sasl_client_params_t *cp,
                            const char *in, unsigned inlen,
                            sasl_interact_t **prompt_need, const char **out,
                            unsigned *outlen, sasl_out_params_t *op)
{
    struct client_ctx *ctx = conn_context;
    size_t n = 0;

    *out = NULL;
    *outlen = 0;
    switch (ctx->state) {
    case CL_START:
        return first_step(ctx, cp, prompt_need, out, outlen, op);
    case CL_SENT:
        if (inlen == 0) { /* the server's empty "success" */
            apikey_out_done(op);
            ctx->state = CL_DONE;
            return SASL_OK;
        }
        /* An error challenge: answer as RFC 7628 prescribes (%x01 for
         * OAUTHBEARER, whatever servers accept besides); the server then
         * fails the exchange. */
        *out = apikey_error_reply(ctx->mech->id, &n);
        *outlen = (unsigned)n;
        ctx->state = CL_ANSWERED;
        return SASL_CONTINUE;
    default:
        cp->utils->seterror(cp->utils->conn, 0,
                            "%s: the server went on after the exchange",
                            ctx->mech->name);
        return SASL_BADPROT;
    }
}

static void client_mech_dispose(void *conn_context, const sasl_utils_t *u)
{
    struct client_ctx *ctx = conn_context;

    if (ctx == NULL)
        return;
    if (ctx->out != NULL) {
        sodium_memzero(ctx->out, APIKEY_MSG_MAX);
        u->free(ctx->out);
    }
    if (ctx->prompts != NULL)
        u->free(ctx->prompts);
    u->free(ctx);
}

/* The client plug table, one entry per mechanism row. */
static sasl_client_plug_t client_plugs[APIKEY_MECH_COUNT];
static pthread_once_t client_plugs_once = PTHREAD_ONCE_INIT;

static void fill_client_plugs(void)
{
    for (unsigned i = 0; i < APIKEY_MECH_COUNT; i++) {
        const struct apikey_mech_def *d = &apikey_mechs[i];
        client_plugs[i] = (sasl_client_plug_t){
            APIKEY_PLUG_FROM_ROW(d),
            .required_prompts = required_prompts,
            .mech_new = client_mech_new,
            .mech_step = client_mech_step,
            .mech_dispose = client_mech_dispose,
        };
    }
}

sasl_client_plug_t *apikey_client_plugins(void)
{
    pthread_once(&client_plugs_once, fill_client_plugs);
    return client_plugs;
}
