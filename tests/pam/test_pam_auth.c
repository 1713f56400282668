/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_auth.c - pam_apikey through libpam (pam_wrapper, libpamtest)
 * against a throwaway slapd: every verifier outcome to its PAM code, the
 * pass options, stacks with a password module, ignore_non_keys without
 * LDAP traffic, acct_mgmt and its expiry warning, arguments, logging and
 * S-01 (no key in any log at any debug level) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

#include "ak_test.h"
#include "ak_test_pam.h"
#include "ak_time.h"

static LDAP *admin;
static const char *slog;

/* Keys planted by setup; each with its id. */
struct tkey {
    char key[AK_KEY_MAX_LEN + 1];
    char id[AK_KEY_ID_LEN + 1];
};
static struct tkey alice, alice_soon, bob, bob_revoked, bob_expired, carol,
    dave, erin, scoped, svc;
static char alice_wrong[AK_KEY_MAX_LEN + 1];

/* Every key a test ever typed: S-01 looks for them in all captured logs. */
static char *all_logs;
static size_t all_logs_len;

static void keep_log(char *text)
{
    size_t n = strlen(text);
    all_logs = realloc(all_logs, all_logs_len + n + 1);
    assert_non_null(all_logs);
    memcpy(all_logs + all_logs_len, text, n + 1);
    all_logs_len += n;
    free(text);
}

static void plant(struct tkey *k, const char *dn, const struct akt_key_opts *o)
{
    struct ak_key parsed;
    akt_add_key(admin, dn, o, k->key);
    assert_int_equal(ak_key_parse(k->key, strlen(k->key), &parsed, NULL),
                     AK_OK);
    memcpy(k->id, parsed.id, sizeof(k->id));
}

static int setup(void **state)
{
    char t1[AK_TIME_LEN + 1], t2[AK_TIME_LEN + 1];
    struct akt_key_opts soon = {.expires =
                                    akt_time(t1, time(NULL) + 3 * 86400)};
    struct akt_key_opts revoked = {.revoked = true};
    struct akt_key_opts expired = {.created = time(NULL) - 10 * 86400,
                                   .expires = akt_time(t2, time(NULL) - 86400)};
    struct akt_key_opts sshd_only = {.scope = "sshd"};
    (void)state;
    slog = akt_env("AK_TEST_LOG");
    admin = akt_admin();
    plant(&alice, AKT_DN("alice"), NULL);
    plant(&alice_soon, AKT_DN("alice"), &soon);
    plant(&bob, AKT_DN("bob"), NULL);
    plant(&bob_revoked, AKT_DN("bob"), &revoked);
    plant(&bob_expired, AKT_DN("bob"), &expired);
    plant(&carol, AKT_DN("carol"), NULL);
    plant(&dave, AKT_DN("dave"), NULL);
    plant(&erin, AKT_DN("erin"), NULL);
    plant(&scoped, AKT_DN("alice"), &sshd_only);
    plant(&svc, AKT_SVC_DN("svc-backup"), NULL);
    strcpy(alice_wrong, alice.key);
    akt_wrong_secret(alice_wrong);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ldap_unbind_ext_s(admin, NULL, NULL);
    free(all_logs);
    return 0;
}

/* pam_authenticate through libpamtest's own conversation. */
static int pt_auth(const char *service, const char *user, const char *tok)
{
    const char *echo_off[] = {tok, NULL};
    struct pamtest_conv_data conv = {.in_echo_off = echo_off};
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
    };
    enum pamtest_err e = run_pamtest(service, user, &conv, tests, NULL);
    assert_true(e == PAMTEST_ERR_OK || e == PAMTEST_ERR_CASE);
    return tests[0].op_rv;
}

/* Authenticate once, capturing the log. */
static int logged_auth(const char *service, const char *user, const char *tok,
                       char **log)
{
    int rc;
    aktp_capture_begin();
    rc = pt_auth(service, user, tok);
    *log = aktp_capture_end();
    return rc;
}

#define AUTH_IS(service, user, tok, want)                                      \
    do {                                                                       \
        int rc_ = pt_auth(service, user, tok);                                 \
        if (rc_ != (want))                                                     \
            fail_msg("%s %s: got %s, want %s", service, user,                  \
                     aktp_code_name(rc_), aktp_code_name(want));               \
    } while (0)

/* pattern with its one "%s" replaced by id (no format string from data) */
static void fill(char *buf, size_t size, const char *pattern, const char *id)
{
    const char *p = strstr(pattern, "%s");
    if (p == NULL)
        snprintf(buf, size, "%s", pattern);
    else
        snprintf(buf, size, "%.*s%s%s", (int)(p - pattern), pattern, id, p + 2);
}

/* Each verifier outcome maps to the code of pam_apikey(8). */
static void test_outcomes(void **state)
{
    static const struct {
        const char *service, *user;
        const char *tok; /* NULL: filled below */
        int want;
        const char *log; /* expected in the log, "%s" = key id */
    } rows[] = {
        {"apikey", "alice", NULL, PAM_SUCCESS, "accepted key %s of user=alice"},
        /* PAM_USER must be the entry's name itself, not a caseIgnoreMatch
         * equal of it (with user_name_match ascii-case too) */
        {"apikey", "ALICE", NULL, PAM_AUTH_ERR,
         "not the entry's user name exactly"},
        {"apikey", "alice", NULL, PAM_AUTH_ERR, "refused key %s of user=alice"},
        {"apikey", "bob", NULL, PAM_AUTH_ERR, "unknown key"},
        {"apikey", "nosuchuser", NULL, PAM_AUTH_ERR, "unknown key"},
        {"apikey", "nokeys", NULL, PAM_AUTH_ERR, "unknown key"},
        {"apikey", "bob", NULL, PAM_AUTH_ERR, ": revoked"},
        {"apikey", "bob", NULL, PAM_AUTH_ERR, ": expired"},
        {"apikey", "carol", NULL, PAM_AUTH_ERR, "owner locked"},
        {"apikey", "dave", NULL, PAM_AUTH_ERR, "owner locked"},
        {"apikey", "erin", NULL, PAM_AUTH_ERR, "owner locked"},
        {"apikey", "alice", NULL, PAM_AUTH_ERR, "not valid for this service"},
        {"sshd", "alice", NULL, PAM_SUCCESS, "accepted key %s"},
        {"apikey", "svc-backup", NULL, PAM_SUCCESS, "accepted key %s"},
        {"apikey", "alice", "alice-password", PAM_AUTH_ERR, "not an API key"},
        {"apikey", "alice", "", PAM_AUTH_ERR, "not an API key"},
        /* the module ignores; libpam turns a stack where every module
         * ignored into PAM_PERM_DENIED. The debug line names the code. */
        {"apikey-ignore", "alice", "alice-password", PAM_PERM_DENIED,
         "done. [The return value should be ignored by PAM dispatch]"},
        {"apikey-down", "alice", NULL, PAM_AUTHINFO_UNAVAIL,
         "directory unavailable"},
        {"apikey-badconf", "alice", NULL, PAM_SERVICE_ERR,
         "cannot verify keys: configuration error"},
        {"apikey-relconf", "alice", NULL, PAM_SERVICE_ERR,
         "config= needs an absolute path"},
        {"apikey-badvalue", "alice", NULL, PAM_SERVICE_ERR, "warn_days="},
    };
    const struct tkey *keys[] = {
        &alice,       &alice, NULL,  &alice, &alice,  &alice,  &bob_revoked,
        &bob_expired, &carol, &dave, &erin,  &scoped, &scoped, &svc,
        NULL,         NULL,   NULL,  &alice, &alice,  &alice,  &alice};
    (void)state;
    assert_int_equal(sizeof(keys) / sizeof(keys[0]),
                     sizeof(rows) / sizeof(rows[0]));
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *tok = rows[i].tok;
        const char *id = keys[i] ? keys[i]->id : "";
        char want_log[256], *log;
        int rc;
        if (tok == NULL)
            tok = keys[i] ? keys[i]->key : alice_wrong;
        if (keys[i] == NULL && rows[i].tok == NULL)
            id = alice.id; /* the wrong key keeps alice's id */
        rc = logged_auth(rows[i].service, rows[i].user, tok, &log);
        fill(want_log, sizeof(want_log), rows[i].log, id);
        if (rc != rows[i].want)
            fail_msg("row %zu (%s %s): got %s, want %s", i, rows[i].service,
                     rows[i].user, aktp_code_name(rc),
                     aktp_code_name(rows[i].want));
        if (strstr(log, want_log) == NULL)
            fail_msg("row %zu: log lacks \"%s\":\n%s", i, want_log, log);
        keep_log(log);
    }
}

/* Unknown user, like a wrong key: the name that matched nothing is not
 * logged (it may be a mistyped password, S-02). */
static void test_unknown_user_not_logged(void **state)
{
    char *log;
    (void)state;
    assert_int_equal(logged_auth("apikey", "zq-typo-Secret1", alice.key, &log),
                     PAM_AUTH_ERR);
    assert_null(strstr(log, "zq-typo-Secret1"));
    keep_log(log);
    assert_int_equal(
        logged_auth("apikey-debug", "zq-typo-Secret1", alice.key, &log),
        PAM_AUTH_ERR);
    assert_null(strstr(log, "zq-typo-Secret1"));
    keep_log(log);
}

/* A token that is not a key, with ignore_non_keys: PAM_IGNORE and no LDAP
 * traffic at all; a key costs one bind and one search. */
static void test_ignore_non_keys_no_traffic(void **state)
{
    long off;
    (void)state;
    off = akt_slapd_log_size(slog);
    AUTH_IS("apikey-ignore", "alice", "alice-password", PAM_PERM_DENIED);
    AUTH_IS("apikey-ignore", "alice", "ak_notakey", PAM_PERM_DENIED);
    AUTH_IS("keyfirst", "alice", "alice-password", PAM_SUCCESS);
    assert_int_equal(akt_slapd_log_count(slog, off, "ACCEPT"), 0);
    assert_int_equal(akt_slapd_log_count(slog, off, " SRCH base="), 0);
    assert_int_equal(akt_slapd_log_count(slog, off, "mech=SIMPLE"), 0);

    /* control: the same counters see a key's traffic */
    off = akt_slapd_log_size(slog);
    AUTH_IS("apikey-ignore", "alice", alice.key, PAM_SUCCESS);
    assert_int_equal(akt_slapd_log_count(slog, off, "ACCEPT"), 1);
    assert_int_equal(akt_slapd_log_count(slog, off, "mech=SIMPLE"), 1);
    assert_int_equal(akt_slapd_log_count(slog, off, " SRCH base="), 1);
    assert_int_equal(akt_slapd_log_count(slog, off, " UNBIND"), 1);
    /* a malformed key without the option: refused offline too */
    off = akt_slapd_log_size(slog);
    AUTH_IS("apikey", "alice", "alice-password", PAM_AUTH_ERR);
    assert_int_equal(akt_slapd_log_count(slog, off, "ACCEPT"), 0);
}

/* A broken apikey configuration does not stop password logins when
 * ignore_non_keys is on: the token is judged before the file is read. */
static void test_ignore_before_config(void **state)
{
    char *log;
    (void)state;
    assert_int_equal(
        logged_auth("apikey-ignore-badconf", "alice", "alice-password", &log),
        PAM_SUCCESS); /* pam_permit decides after the module ignored */
    assert_null(strstr(log, "configuration error"));
    assert_non_null(strstr(log, "ignored (ignore_non_keys)"));
    keep_log(log);
    assert_int_equal(
        logged_auth("apikey-ignore-badconf", "alice", alice.key, &log),
        PAM_SERVICE_ERR);
    assert_non_null(strstr(log, "configuration error"));
    keep_log(log);
}

/* pam_apikey sufficient + a password module: either works. */
static void test_fallback_stack(void **state)
{
    struct aktp_conv c = {.answers = {alice.key}};
    (void)state;
    assert_int_equal(aktp_login("fallback", "alice", &c, 0, NULL), PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 1);
    assert_string_equal(c.prompts[0], "API key: ");

    aktp_conv_reset(&c);
    c.answers[0] = "alice-password";
    c.answers[1] = "alice-password";
    assert_int_equal(aktp_login("fallback", "alice", &c, 0, NULL), PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 2);
    assert_string_equal(c.prompts[1], "Password: ");

    aktp_conv_reset(&c);
    c.answers[0] = alice_wrong;
    c.answers[1] = "not-her-password";
    assert_int_equal(aktp_login("fallback", "alice", &c, 0, NULL),
                     PAM_AUTH_ERR);
    aktp_conv_reset(&c);
    c.answers[0] = "wrong-password";
    c.answers[1] = "wrong-password";
    assert_int_equal(aktp_login("fallback", "alice", &c, 0, NULL),
                     PAM_AUTH_ERR);
}

/* The recommended line: one prompt serves a key or a password; the
 * password module gets the token through try_first_pass. */
static void test_keyfirst_stack(void **state)
{
    struct aktp_conv c = {.answers = {alice.key}};
    char *log;
    (void)state;
    assert_int_equal(aktp_login("keyfirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 1);
    assert_string_equal(c.prompts[0], "Password or API key: ");

    aktp_conv_reset(&c);
    c.answers[0] = "alice-password";
    aktp_capture_begin();
    assert_int_equal(aktp_login("keyfirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    log = aktp_capture_end();
    assert_int_equal(c.n_prompts, 1);
    assert_non_null(strstr(log, "pam_testpw checked a password"));
    keep_log(log);

    /* a wrong key dies at pam_apikey: the password module never sees it */
    aktp_conv_reset(&c);
    c.answers[0] = alice_wrong;
    aktp_capture_begin();
    assert_int_equal(aktp_login("keyfirst", "alice", &c, 0, NULL),
                     PAM_AUTH_ERR);
    log = aktp_capture_end();
    assert_null(strstr(log, "pam_testpw checked a password"));
    assert_int_equal(c.n_prompts, 1);
    keep_log(log);

    /* directory down: the key fails closed at pam_apikey and is never
     * handed to the password module; a password never needs the
     * directory and still logs in */
    aktp_conv_reset(&c);
    c.answers[0] = alice.key;
    aktp_capture_begin();
    assert_int_equal(aktp_login("keyfirst-down", "alice", &c, 0, NULL),
                     PAM_AUTHINFO_UNAVAIL);
    log = aktp_capture_end();
    assert_null(strstr(log, "pam_testpw checked a password"));
    keep_log(log);
    aktp_conv_reset(&c);
    c.answers[0] = "alice-password";
    assert_int_equal(aktp_login("keyfirst-down", "alice", &c, 0, NULL),
                     PAM_SUCCESS);
}

static void test_pass_options(void **state)
{
    struct aktp_conv c = {.answers = {alice.key}};
    (void)state;
    /* pam_testpw asks "Password: ", sets PAM_AUTHTOK and fails (optional);
     * we take its token */
    assert_int_equal(aktp_login("usefirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 1);
    assert_string_equal(c.prompts[0], "Password: ");
    aktp_conv_reset(&c);
    assert_int_equal(aktp_login("tryfirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 1);
    aktp_conv_reset(&c);
    c.answers[0] = alice_wrong;
    assert_int_equal(aktp_login("tryfirst", "alice", &c, 0, NULL),
                     PAM_AUTH_ERR);
    assert_int_equal(c.n_prompts, 1); /* as pam_unix: no second prompt */

    /* nothing to take: use_first_pass fails without asking */
    aktp_conv_reset(&c);
    c.answers[0] = alice.key;
    assert_int_equal(aktp_login("usefirst-alone", "alice", &c, 0, NULL),
                     PAM_AUTHTOK_RECOVERY_ERR);
    assert_int_equal(c.n_prompts, 0);
    /* ...and try_first_pass asks */
    aktp_conv_reset(&c);
    assert_int_equal(aktp_login("tryfirst-alone", "alice", &c, 0, NULL),
                     PAM_SUCCESS);
    assert_int_equal(c.n_prompts, 1);
    assert_string_equal(c.prompts[0], "API key: ");
}

/* A prompted token becomes PAM_AUTHTOK (for later modules), and the key
 * id goes to the PAM environment (for acct_mgmt in another process). */
static void test_authtok_and_env(void **state)
{
    const char *echo_off[] = {alice.key, NULL};
    struct pamtest_conv_data conv = {.in_echo_off = echo_off};
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
    };
    char want_tok[128], want_id[64];
    bool tok = false, id = false;
    (void)state;
    assert_int_equal(run_pamtest("authtok", "alice", &conv, tests, NULL),
                     PAMTEST_ERR_OK);
    snprintf(want_tok, sizeof(want_tok), "PAM_AUTHTOK=%s", alice.key);
    snprintf(want_id, sizeof(want_id), "APIKEY_KEY_ID=%s", alice.id);
    for (char **e = tests[1].case_out.envlist; e && *e; e++) {
        tok |= strcmp(*e, want_tok) == 0;
        id |= strcmp(*e, want_id) == 0;
    }
    pamtest_free_env(tests[1].case_out.envlist);
    assert_true(tok);
    assert_true(id);
}

static int acct_after_auth(const char *service, const char *user,
                           const char *key, int acct_flags,
                           char info[][PAM_MAX_MSG_SIZE], int *acct_rc)
{
    const char *echo_off[] = {key, NULL};
    char *out_info[4] = {info[0], info[1], info[2], info[3]};
    struct pamtest_conv_data conv = {.in_echo_off = echo_off,
                                     .out_info = out_info};
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test_flags(PAMTEST_ACCOUNT, PAM_SUCCESS, acct_flags),
    };
    enum pamtest_err e;
    memset(info, 0, 4 * PAM_MAX_MSG_SIZE);
    e = run_pamtest(service, user, &conv, tests, NULL);
    assert_true(e == PAMTEST_ERR_OK || e == PAMTEST_ERR_CASE);
    *acct_rc = tests[1].op_rv;
    return tests[0].op_rv;
}

/* acct_mgmt warns through the conversation, like pam_unix's password
 * expiry warning (libpamtest out_info). */
static void test_acct_warning(void **state)
{
    char info[4][PAM_MAX_MSG_SIZE];
    char want[128];
    int acct;
    (void)state;
    snprintf(want, sizeof(want), "Your API key %s expires in 3 days.",
             alice_soon.id);
    assert_int_equal(
        acct_after_auth("apikey", "alice", alice_soon.key, 0, info, &acct),
        PAM_SUCCESS);
    assert_int_equal(acct, PAM_SUCCESS);
    assert_string_equal(info[0], want);
    assert_string_equal(info[1], "");
    /* a key with a year left: no warning */
    assert_int_equal(
        acct_after_auth("apikey", "alice", alice.key, 0, info, &acct),
        PAM_SUCCESS);
    assert_int_equal(acct, PAM_SUCCESS);
    assert_string_equal(info[0], "");
    /* PAM_SILENT, warn_days=0 and warn_days=2 keep quiet */
    assert_int_equal(acct_after_auth("apikey", "alice", alice_soon.key,
                                     PAM_SILENT, info, &acct),
                     PAM_SUCCESS);
    assert_int_equal(acct, PAM_SUCCESS);
    assert_string_equal(info[0], "");
    assert_int_equal(acct_after_auth("apikey-nowarn", "alice", alice_soon.key,
                                     0, info, &acct),
                     PAM_SUCCESS);
    assert_string_equal(info[0], "");
    assert_int_equal(
        acct_after_auth("apikey-warn", "alice", alice_soon.key, 0, info, &acct),
        PAM_SUCCESS);
    assert_int_equal(acct, PAM_SUCCESS);
    assert_string_equal(info[0], "");
}

/* Without a key in this transaction the account phase is not ours. */
static void test_acct_without_key(void **state)
{
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    struct pam_testcase alone[] = {
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
    };
    char *log;
    (void)state;
    aktp_capture_begin();
    assert_int_equal(run_pamtest("acct-permit", "alice", NULL, tests, NULL),
                     PAMTEST_ERR_OK);
    log = aktp_capture_end();
    assert_non_null(strstr(log, "account: no API key was used; ignored"));
    assert_non_null(strstr(log, "account: done. [The return value should be "
                                "ignored by PAM dispatch]"));
    keep_log(log);
    /* libpam: a stack where every module ignored is a denial */
    assert_int_equal(run_pamtest("acct-only", "alice", NULL, alone, NULL),
                     PAMTEST_ERR_OK);
}

/* The key expires between authenticate and acct_mgmt (same process). */
static void test_acct_expired_since_auth(void **state)
{
    struct tkey k;
    char ts[AK_TIME_LEN + 1];
    struct akt_key_opts o = {.created = time(NULL) - 60};
    struct aktp_conv c = {.answers = {NULL}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    time_t exp = time(NULL) + 3;
    (void)state;
    ak_time_format(exp, ts);
    o.expires = ts;
    plant(&k, AKT_DN("bob"), &o);
    c.answers[0] = k.key;
    assert_int_equal(pam_start("apikey", "bob", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
    while (time(NULL) < exp)
        usleep(100000);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_ACCT_EXPIRED);
    pam_end(ph, PAM_ACCT_EXPIRED);
}

/* The user changed between the phases: the key vouches for nobody else. */
static void test_acct_user_changed(void **state)
{
    struct aktp_conv c = {.answers = {alice.key}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    (void)state;
    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
    assert_int_equal(pam_set_item(ph, PAM_USER, "bob"), PAM_SUCCESS);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
}

/* A second pam_authenticate on the same handle forgets the first. */
static void test_reauth_clears_state(void **state)
{
    struct aktp_conv c = {.answers = {alice.key, alice_wrong}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    (void)state;
    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
    assert_non_null(pam_getenv(ph, "APIKEY_KEY_ID"));
    assert_int_equal(pam_authenticate(ph, 0), PAM_AUTH_ERR);
    assert_null(pam_getenv(ph, "APIKEY_KEY_ID"));
    /* nothing left for the account phase to vouch for */
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_AUTH_ERR);
}

static void test_setcred_chauthtok(void **state)
{
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
        pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS),
    };
    const char *echo_off[] = {NULL};
    struct pamtest_conv_data conv = {.in_echo_off = echo_off};
    char *log;
    (void)state;
    aktp_capture_begin();
    assert_int_equal(run_pamtest("apikey", "alice", &conv, tests, NULL),
                     PAMTEST_ERR_OK);
    log = aktp_capture_end();
    /* ignored (pam_permit after it decides), with a hint in the log */
    assert_non_null(strstr(log, "not changed through the password stack"));
    keep_log(log);
}

static void test_arguments(void **state)
{
    char *log;
    struct aktp_conv c = {.answers = {alice.key}};
    (void)state;
    /* unknown arguments: logged at LOG_ERR, ignored, the login works */
    assert_int_equal(logged_auth("apikey-badargs", "alice", alice.key, &log),
                     PAM_SUCCESS);
    assert_non_null(strstr(log, "SYSLOG(3): unknown option frobnicate"));
    assert_non_null(strstr(log, "SYSLOG(3): unknown option nullok=1"));
    keep_log(log);
    /* a prompt with spaces, bracketed in the service file */
    assert_int_equal(aktp_login("apikey-prompt", "alice", &c, 0, NULL),
                     PAM_SUCCESS);
    assert_string_equal(c.prompts[0], "Password or API key: ");
}

static void test_debug_lines(void **state)
{
    char *log;
    (void)state;
    assert_int_equal(logged_auth("apikey-debug", "alice", alice.key, &log),
                     PAM_SUCCESS);
    assert_non_null(strstr(log, "SYSLOG(7): authenticate: entry"));
    assert_non_null(strstr(log, "SYSLOG(6): accepted key"));
    assert_non_null(strstr(log, "SYSLOG(7): authenticate: done. [Success]"));
    keep_log(log);
    /* without debug: only the one verifier line */
    assert_int_equal(logged_auth("apikey", "alice", alice.key, &log),
                     PAM_SUCCESS);
    assert_null(strstr(log, "SYSLOG(7)"));
    assert_non_null(strstr(log, "SYSLOG(6): accepted key"));
    keep_log(log);
}

/* PAM_RHOST reaches the log line, quoted (it may come from reverse DNS). */
static void test_rhost_logged(void **state)
{
    struct aktp_conv c = {.answers = {alice_wrong}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    char *log;
    (void)state;
    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_set_item(ph, PAM_RHOST, "evil\n.example\x1b[0m"),
                     PAM_SUCCESS);
    aktp_capture_begin();
    assert_int_equal(pam_authenticate(ph, 0), PAM_AUTH_ERR);
    log = aktp_capture_end();
    pam_end(ph, PAM_AUTH_ERR);
    assert_non_null(strstr(log, "rhost=evil\\x0a.example\\x1b[0m"));
    keep_log(log);
}

/* The conversation gives no answer. */
static void test_no_answer(void **state)
{
    struct aktp_conv c = {.answers = {NULL}};
    (void)state;
    assert_int_equal(aktp_login("apikey", "alice", &c, 0, NULL), PAM_CONV_ERR);
    assert_int_equal(c.n_prompts, 1);
}

/* Secrets a log must never show: each key whole, and every 8-character
 * piece of its secret part (the id before it is public by design). */
static void assert_no_secret(const char *text, const char *key)
{
    const char *secret = strchr(strchr(key, '_') + 1, '_') + 1;
    size_t n = strlen(secret);
    assert_null(strstr(text, key));
    for (size_t i = 0; i + 8 <= n; i++) {
        char piece[9];
        memcpy(piece, secret + i, 8);
        piece[8] = '\0';
        if (strstr(text, piece) != NULL)
            fail_msg("log holds a piece of a key: %s", piece);
    }
}

/* S-01: after every test above (debug on and off, every outcome), no log
 * holds a key, a piece of one, or the service bind password. Runs last. */
static void test_s01_no_secret_in_logs(void **state)
{
    const struct tkey *keys[] = {&alice,       &alice_soon, &bob,  &bob_revoked,
                                 &bob_expired, &carol,      &dave, &erin,
                                 &scoped,      &svc};
    char *log;
    (void)state;
    /* more lines at the highest debug level, from the config file too */
    assert_int_equal(logged_auth("apikey-debug", "bob", bob_revoked.key, &log),
                     PAM_AUTH_ERR);
    keep_log(log);
    assert_int_equal(logged_auth("apikey-cfgdebug", "alice", alice.key, &log),
                     PAM_SUCCESS);
    assert_non_null(strstr(log, "SYSLOG(7): authenticate: done. [Success]"));
    keep_log(log);
    assert_int_equal(logged_auth("apikey-cfgdebug", "alice", alice_wrong, &log),
                     PAM_AUTH_ERR);
    keep_log(log);
    assert_int_equal(logged_auth("apikey-debug", "carol", carol.key, &log),
                     PAM_AUTH_ERR);
    keep_log(log);
    assert_int_equal(logged_auth("apikey-debug", "alice", alice_wrong, &log),
                     PAM_AUTH_ERR);
    keep_log(log);

    assert_true(all_logs_len > 2000); /* the scan saw real logs */
    assert_non_null(strstr(all_logs, alice.id));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_no_secret(all_logs, keys[i]->key);
    assert_no_secret(all_logs, alice_wrong);
    assert_null(strstr(all_logs, "verifier-secret"));
    assert_null(strstr(all_logs, "alice-password"));
}

int main(int argc, char **argv)
{
    char uri[64], down[512], bad[512], dbg[512], passdb[512];
    const struct aktp_subst subst[] = {
        {"CONF", akt_env("AK_TEST_CONF")},
        {"DOWNCONF", down},
        {"BADCONF", bad},
        {"DEBUGCONF", dbg},
        {NULL, NULL},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_unknown_user_not_logged),
        cmocka_unit_test(test_ignore_non_keys_no_traffic),
        cmocka_unit_test(test_ignore_before_config),
        cmocka_unit_test(test_fallback_stack),
        cmocka_unit_test(test_keyfirst_stack),
        cmocka_unit_test(test_pass_options),
        cmocka_unit_test(test_authtok_and_env),
        cmocka_unit_test(test_acct_warning),
        cmocka_unit_test(test_acct_without_key),
        cmocka_unit_test(test_acct_expired_since_auth),
        cmocka_unit_test(test_acct_user_changed),
        cmocka_unit_test(test_reauth_clears_state),
        cmocka_unit_test(test_setcred_chauthtok),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_debug_lines),
        cmocka_unit_test(test_rhost_logged),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_s01_no_secret_in_logs),
    };
    FILE *f;

    (void)argc;
    if (getenv("PAM_WRAPPER") == NULL) {
        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", akt_closed_port());
        snprintf(down, sizeof(down), "%s", akt_config("down.conf", uri, NULL));
        snprintf(bad, sizeof(bad), "%s",
                 akt_config("bad.conf", NULL, "no_such_setting 1"));
        snprintf(dbg, sizeof(dbg), "%s",
                 akt_config("debug.conf", NULL, "debug"));
        snprintf(passdb, sizeof(passdb), "passdb");
        f = fopen(passdb, "w");
        assert_non_null(f);
        fputs("alice:alice-password:fallback\n", f);
        fclose(f);
    }
    aktp_init(argv, AKTP_SERVICES, subst);
    return cmocka_run_group_tests(tests, setup, teardown);
}
