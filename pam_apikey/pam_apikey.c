/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_apikey.c - Linux-PAM module: log in with an API key kept in LDAP */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <sodium.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_PASSWORD
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "ak_config.h"
#include "ak_key.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_verify.h"
#include "pk_args.h"
#include "pk_map.h"

/* Everything else is hidden (-fvisibility=hidden) and the version script
 * exports nothing but these. */
#define PK_EXPORT __attribute__((visibility("default")))

/*
 * What authenticate leaves for acct_mgmt when a key was accepted:
 *  - pam_set_data (same process: su, saslauthd, pamtester, and sshd, whose
 *    keyboard-interactive child runs acct_mgmt itself), and
 *  - the public key id in the PAM environment, which sshd copies back from
 *    its auth child to the monitor; a process that finds only the variable
 *    re-reads the key's state from the directory by user and key id.
 * Neither holds anything secret.
 */
#define PK_DATA "pam_apikey:state"
#define PK_ENV "APIKEY_KEY_ID"

struct pk_state {
    char kid[AK_KEY_ID_LEN + 1];
    bool has_expiry;
    time_t expires;
    char user[]; /* PAM_USER that authenticated */
};

/* common/'s log lines go to syslog (authpriv) through libpam, which adds
 * "pam_apikey(service:type):". No openlog: the host owns syslog. */
static void pam_sink(void *ctx, int prio, const char *msg)
{
    pam_syslog((const pam_handle_t *)ctx, prio, "%s", msg);
}

/* libpam frees the saved state at pam_end or when it is replaced. */
static void state_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    free(data);
}

/* Forget what an earlier pam_authenticate on this handle concluded. */
static void state_clear(pam_handle_t *pamh)
{
    const void *old = NULL;

    if (pam_get_data(pamh, PK_DATA, &old) == PAM_SUCCESS && old != NULL)
        (void)pam_set_data(pamh, PK_DATA, NULL, NULL);
    if (pam_getenv(pamh, PK_ENV) != NULL)
        (void)pam_putenv(pamh, PK_ENV); /* "NAME" alone deletes it */
}

/* Leave what acct_mgmt needs of an accepted key (see PK_DATA). */
static int state_put(pam_handle_t *pamh, const char *user,
                     const struct ak_verify_result *res)
{
    size_t ulen = strlen(user);
    struct pk_state *st = calloc(1, sizeof(*st) + ulen + 1);
    char env[sizeof(PK_ENV) + AK_KEY_ID_LEN + 1];
    int rc;

    if (st == NULL)
        return PAM_BUF_ERR;
    memcpy(st->kid, res->key_id, sizeof(st->kid));
    st->has_expiry = res->has_expiry;
    st->expires = res->expires;
    memcpy(st->user, user, ulen + 1);
    rc = pam_set_data(pamh, PK_DATA, st, state_cleanup);
    if (rc != PAM_SUCCESS) {
        free(st);
        return rc;
    }
    snprintf(env, sizeof(env), "%s=%s", PK_ENV, res->key_id);
    return pam_putenv(pamh, env);
}

/* The last step of an accepted login: a key whose state cannot be kept
 * is no login at all (acct_mgmt would not know it), so nothing is left
 * half saved. PAM_SUCCESS, PAM_BUF_ERR or PAM_SYSTEM_ERR. */
static int state_save(pam_handle_t *pamh, const char *user,
                      const struct ak_verify_result *res,
                      const struct ak_log *log)
{
    int rc = state_put(pamh, user, res);

    if (rc == PAM_SUCCESS)
        return PAM_SUCCESS;
    ak_log(log, LOG_CRIT, "cannot keep the key's state: %s",
           pam_strerror(pamh, rc));
    state_clear(pamh);
    return rc == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_SYSTEM_ERR;
}

/* "rhost=<host>" for the verifier's log line, quoted: PAM_RHOST may come
 * from reverse DNS, i.e. from the client. */
static const char *log_context(pam_handle_t *pamh, char *buf, size_t size)
{
    const void *item = NULL;
    char q[256];

    if (pam_get_item(pamh, PAM_RHOST, &item) != PAM_SUCCESS || item == NULL ||
        *(const char *)item == '\0')
        return NULL;
    ak_log_quote(q, sizeof(q), item, (unsigned)strlen(item));
    snprintf(buf, size, "rhost=%s", q);
    return buf;
}

/*
 * The token, as pam_unix reads its password: use_first_pass takes only
 * PAM_AUTHTOK from an earlier module, try_first_pass takes it when set and
 * prompts otherwise, neither always prompts. A prompted token becomes
 * PAM_AUTHTOK so that later modules (pam_unix try_first_pass) can use it
 * without asking again. *tok points at libpam's copy of the item, which
 * libpam wipes at pam_end; our own copy (the conversation's answer) is
 * wiped here.
 */
static int read_token(pam_handle_t *pamh, const struct pk_args *args,
                      const struct ak_log *log, const char **tok)
{
    const void *item = NULL;
    char *resp = NULL;
    int rc;

    if (args->use_first_pass || args->try_first_pass) {
        rc = pam_get_item(pamh, PAM_AUTHTOK, &item);
        if (rc != PAM_SUCCESS)
            return rc;
        if (item != NULL) {
            *tok = item;
            return PAM_SUCCESS;
        }
        if (args->use_first_pass) {
            ak_log(log, LOG_ERR,
                   "use_first_pass: no token from an earlier "
                   "module in the stack");
            return PAM_AUTHTOK_RECOVERY_ERR;
        }
    }
    rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", args->prompt);
    if (rc != PAM_SUCCESS || resp == NULL) {
        if (resp != NULL) {
            sodium_memzero(resp, strlen(resp));
            free(resp);
        }
        ak_debug(log, "conversation failed: %s", pam_strerror(pamh, rc));
        /* Linux-PAM: a conversation that asks to be resumed is reported
         * as PAM_INCOMPLETE; any other failure as PAM_CONV_ERR. */
        if (rc == PAM_CONV_AGAIN)
            return PAM_INCOMPLETE;
        return rc == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_CONV_ERR;
    }
    rc = pam_set_item(pamh, PAM_AUTHTOK, resp);
    sodium_memzero(resp, strlen(resp));
    free(resp);
    if (rc != PAM_SUCCESS)
        return rc;
    rc = pam_get_item(pamh, PAM_AUTHTOK, &item);
    if (rc != PAM_SUCCESS || item == NULL)
        return rc != PAM_SUCCESS ? rc : PAM_AUTHTOK_RECOVERY_ERR;
    *tok = item;
    return PAM_SUCCESS;
}

/* PAM_SERVICE, which the verifier checks against the key's scope. */
static const char *service_of(pam_handle_t *pamh)
{
    const void *item = NULL;
    if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS)
        return NULL;
    return item;
}

/* Config and directory handle for one call. The handle makes no
 * connection until a lookup needs one; both are released by the caller. */
static int open_directory(const struct pk_args *args, struct ak_log *log,
                          struct ak_config **cfg, struct ak_dir **dir)
{
    int rc = ak_config_load(cfg, args->config, log);
    if (rc != AK_OK)
        return rc;
    if ((*cfg)->debug)
        log->debug = true;
    return ak_dir_open(dir, *cfg, log);
}

/* authenticate, first steps: the user name and the token (pam_get_user,
 * then read_token), as PAM codes. */
static int get_credentials(pam_handle_t *pamh, const struct pk_args *args,
                           const struct ak_log *log, const char **user,
                           const char **tok)
{
    int rc = pam_get_user(pamh, user, NULL);

    if (rc != PAM_SUCCESS || *user == NULL) {
        ak_log(log, LOG_ERR, "cannot determine the user name: %s",
               pam_strerror(pamh, rc));
        return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE
               : rc != PAM_SUCCESS  ? rc
                                    : PAM_USER_UNKNOWN;
    }
    return read_token(pamh, args, log, tok);
}

/*
 * authenticate, the check itself: load the config, open the directory and
 * let the verifier judge tok as user's key. AK_OK with the verdict in
 * *res, or the status that kept the verifier from running (logged). The
 * config and the handle live for this check only.
 */
static int verify_key(pam_handle_t *pamh, const struct pk_args *args,
                      struct ak_log *log, const char *user, const char *tok,
                      struct ak_verify_result *res)
{
    struct ak_config *cfg = NULL;
    struct ak_dir *dir = NULL;
    char ctx[300];
    int rc = open_directory(args, log, &cfg, &dir);

    if (rc != AK_OK) {
        ak_log(log, LOG_ERR, "cannot verify keys: %s", ak_strerror(rc));
        res->outcome = AK_VERIFY_INTERNAL; /* never judged: not OK */
    } else {
        struct ak_verify_request req = {
            .user = user,
            .user_len = strlen(user),
            .key = tok,
            .key_len = strlen(tok),
            .service = service_of(pamh),
            .log_context = log_context(pamh, ctx, sizeof(ctx)),
            /* PAM_USER is never rewritten: the key must be that very
             * name's, not one the directory's matching rule calls equal */
            .exact_name = true,
        };
        (void)ak_verify(dir, &req, 0, log, res);
    }
    ak_dir_close(dir);
    ak_config_free(cfg);
    return rc;
}

/* The login: user name, token, verification, and on success the state
 * acct_mgmt reads. */
PK_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                  const char **argv)
{
    struct ak_log log = {.sink = pam_sink, .ctx = pamh};
    struct ak_verify_result res = {0};
    struct pk_args args;
    const char *user = NULL, *tok = NULL;
    int rv = PAM_SYSTEM_ERR; /* fail closed: success is set once, below */
    int rc, code;

    state_clear(pamh);
    rc = pk_args_parse(&args, argc, argv, &log);
    log.debug = args.debug;
    ak_debug(&log, "authenticate: entry (flags=%#x)", (unsigned)flags);
    if (rc != AK_OK) {
        rv = pk_pam_code(PK_AUTH, rc, AK_VERIFY_INTERNAL, false);
        goto out;
    }
    rc = get_credentials(pamh, &args, &log, &user, &tok);
    if (rc != PAM_SUCCESS) {
        rv = rc;
        goto out;
    }
    /* Decided offline, before any file or network access: a password
     * typed here costs pam_unix after us no LDAP round trip. */
    if (args.ignore_non_keys &&
        ak_key_parse(tok, strlen(tok), NULL, NULL) != AK_OK) {
        ak_debug(&log, "token is not an API key; ignored (ignore_non_keys)");
        rv = pk_pam_code(PK_AUTH, AK_OK, AK_VERIFY_MALFORMED, true);
        goto out;
    }
    /* a status other than AK_OK decides by itself, whatever res says */
    rc = verify_key(pamh, &args, &log, user, tok, &res);
    code = pk_pam_code(PK_AUTH, rc, res.outcome, args.ignore_non_keys);
    if (code == PAM_SUCCESS)
        code = state_save(pamh, user, &res, &log);
    rv = code;
out:
    ak_verify_result_clear(&res);
    ak_debug(&log, "authenticate: done. [%s]", pam_strerror(pamh, rv));
    return rv;
}

/* Nothing to set: see below. */
PK_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                             const char **argv)
{
    /* A key grants no credentials beyond the login itself (no tickets,
     * no tokens), so there is nothing to establish or delete. */
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

/* acct_mgmt's user: whoever logged in (PAM_USER); this phase never
 * prompts. NULL (logged) when there is none. */
static const char *account_user(pam_handle_t *pamh, const struct ak_log *log)
{
    const void *item = NULL;

    if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL ||
        *(const char *)item == '\0') {
        ak_log(log, LOG_ERR, "account: no user name");
        return NULL;
    }
    return item;
}

/* acct_mgmt for a key this process verified moments ago: the user must be
 * the same, and only the clock is judged again. */
static int account_saved(const struct pk_state *st, const char *user,
                         time_t now, const struct ak_log *log)
{
    if (strcmp(st->user, user) != 0) {
        ak_log(log, LOG_ERR,
               "account: the user changed since key %s authenticated; "
               "refused",
               st->kid);
        return PAM_PERM_DENIED;
    }
    if (st->has_expiry && now >= st->expires) {
        ak_log(log, LOG_NOTICE,
               "account check of key %s: expired since it authenticated",
               st->kid);
        return pk_pam_code(PK_ACCT, AK_OK, AK_VERIFY_EXPIRED, false);
    }
    return pk_pam_code(PK_ACCT, AK_OK, AK_VERIFY_OK, false);
}

/* acct_mgmt for a key another process verified (sshd's auth child): the
 * key's current state, read from the directory by user and key id. The
 * caller closes *cfg and *dir, after the expiry warning: the connection
 * stays open across that conversation (tests/pam R-02 depends on it). */
static int account_remote(pam_handle_t *pamh, const struct pk_args *args,
                          struct ak_log *log, const char *user, const char *kid,
                          time_t now, struct ak_verify_result *ks,
                          struct ak_config **cfg, struct ak_dir **dir)
{
    enum ak_outcome o = AK_VERIFY_INTERNAL;
    int rc = open_directory(args, log, cfg, dir);

    if (rc != AK_OK)
        ak_log(log, LOG_ERR, "cannot check keys: %s", ak_strerror(rc));
    else
        o = ak_verify_state(*dir, user, kid, service_of(pamh), now, log, ks);
    return pk_pam_code(PK_ACCT, rc, o, false);
}

/* Like pam_unix's password-expiry warning: informational only, and not
 * under PAM_SILENT. */
static void expiry_warning(pam_handle_t *pamh, int flags,
                           const struct pk_args *args, const char *kid,
                           const struct ak_verify_result *ks, time_t now)
{
    char msg[128];

    if (ks->has_expiry && !(flags & PAM_SILENT) &&
        pk_expiry_notice(msg, sizeof(msg), kid, ks->expires, now,
                         args->warn_days))
        (void)pam_info(pamh, "%s", msg);
}

/* The account check of a key login: is the key that logged in still good
 * (expired, revoked, locked since)? Not ours to judge without one. */
PK_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
                               const char **argv)
{
    struct ak_log log = {.sink = pam_sink, .ctx = pamh};
    struct ak_config *cfg = NULL;
    struct ak_dir *dir = NULL;
    struct pk_args args;
    struct ak_verify_result ks = {0};
    const struct pk_state *st = NULL;
    const char *user, *kid;
    time_t now = time(NULL);
    int rv = PAM_SYSTEM_ERR; /* fail closed */
    int rc, code;

    rc = pk_args_parse(&args, argc, argv, &log);
    log.debug = args.debug;
    ak_debug(&log, "account: entry (flags=%#x)", (unsigned)flags);
    if (rc != AK_OK) {
        rv = pk_pam_code(PK_ACCT, rc, AK_VERIFY_INTERNAL, false);
        goto out;
    }
    user = account_user(pamh, &log);
    if (user == NULL) {
        rv = PAM_USER_UNKNOWN;
        goto out;
    }
    if (pam_get_data(pamh, PK_DATA, (const void **)&st) != PAM_SUCCESS)
        st = NULL;
    kid = pam_getenv(pamh, PK_ENV);
    if (st != NULL) {
        kid = st->kid;
        ks.has_expiry = st->has_expiry;
        ks.expires = st->expires;
        code = account_saved(st, user, now, &log);
    } else if (kid != NULL) {
        code =
            account_remote(pamh, &args, &log, user, kid, now, &ks, &cfg, &dir);
    } else {
        /* No key authenticated this transaction: not ours to judge. */
        ak_debug(&log, "account: no API key was used; ignored");
        rv = PAM_IGNORE;
        goto out;
    }
    if (code == PAM_SUCCESS)
        expiry_warning(pamh, flags, &args, kid, &ks, now);
    rv = code;
out:
    ak_verify_result_clear(&ks);
    ak_dir_close(dir);
    ak_config_free(cfg);
    ak_debug(&log, "account: done. [%s]", pam_strerror(pamh, rv));
    return rv;
}

/* The password phase: keys are not changed here; step aside and say how
 * they are. */
PK_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
                               const char **argv)
{
    struct ak_log log = {.sink = pam_sink, .ctx = pamh};
    struct pk_args args;

    (void)pk_args_parse(&args, argc, argv, &log);
    /* Keys are replaced with apikey(1), never typed into passwd: ignore,
     * so that pam_unix below still changes the password.
     * Say so once per change (the update pass, not the preliminary one). */
    if (flags & PAM_UPDATE_AUTHTOK)
        ak_log(&log, LOG_NOTICE,
               "API keys are not changed through the password stack; use "
               "'apikey rotate KEYID' (apikey(1)) to replace a key");
    return PAM_IGNORE;
}
