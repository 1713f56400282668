/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_unit.c - pam_apikey's pure parts: arguments, the result mapping
 * (every row of the man page's table), the expiry warning, and the module
 * loading with RTLD_NOW (Linux-PAM tst-dlopen) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <security/_pam_types.h>

#include "pk_args.h"
#include "pk_map.h"

static char logbuf[4096];

static void sink(void *ctx, int prio, const char *msg)
{
    size_t n = strlen(logbuf);
    (void)ctx;
    snprintf(logbuf + n, sizeof(logbuf) - n, "<%d>%s\n", prio, msg);
}

static const struct ak_log log_ = {.sink = sink};

static int parse(struct pk_args *a, const char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL)
        argc++;
    logbuf[0] = '\0';
    return pk_args_parse(a, argc, argv, &log_);
}

static void test_args_defaults(void **state)
{
    struct pk_args a;
    const char *argv[] = {NULL};
    (void)state;
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_null(a.config);
    assert_string_equal(a.prompt, "API key: ");
    assert_false(a.debug);
    assert_false(a.use_first_pass);
    assert_false(a.try_first_pass);
    assert_false(a.ignore_non_keys);
    assert_int_equal(a.warn_days, 7);
    assert_string_equal(logbuf, "");
}

/* Every option flipped away from its default (pam-u2f cfg test). */
static void test_args_all(void **state)
{
    struct pk_args a;
    const char *argv[] = {"config=/etc/apikey/other.conf",
                          "debug",
                          "try_first_pass",
                          "ignore_non_keys",
                          "warn_days=30",
                          "prompt=Password or API key: ",
                          NULL};
    (void)state;
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_string_equal(a.config, "/etc/apikey/other.conf");
    assert_true(a.debug);
    assert_true(a.try_first_pass);
    assert_false(a.use_first_pass);
    assert_true(a.ignore_non_keys);
    assert_int_equal(a.warn_days, 30);
    assert_string_equal(a.prompt, "Password or API key: ");
    assert_string_equal(logbuf, "");
}

static void test_args_use_wins(void **state)
{
    struct pk_args a;
    const char *argv[] = {"try_first_pass", "use_first_pass", NULL};
    (void)state;
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_true(a.use_first_pass);
    assert_false(a.try_first_pass);
}

static void test_args_last_wins(void **state)
{
    struct pk_args a;
    const char *argv[] = {"warn_days=3", "warn_days=0", "config=/a",
                          "config=/b", NULL};
    (void)state;
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_int_equal(a.warn_days, 0);
    assert_string_equal(a.config, "/b");
}

static void test_args_unknown(void **state)
{
    struct pk_args a;
    const char *argv[] = {"nullok", "Debug", "config", "frob\x1b[31m", NULL};
    (void)state;
    /* Logged at LOG_ERR and ignored: the call goes on. */
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_false(a.debug);
    assert_null(a.config);
    assert_non_null(strstr(logbuf, "<3>unknown option nullok ignored"));
    assert_non_null(strstr(logbuf, "<3>unknown option Debug ignored"));
    assert_non_null(strstr(logbuf, "<3>unknown option config ignored"));
    /* quoted, so an argument cannot forge terminal or log control */
    assert_non_null(strstr(logbuf, "frob\\x1b[31m"));
}

static void test_args_bad_values(void **state)
{
    static const char *const bad[] = {
        "config=relative.conf",
        "config=",
        "config=~/x.conf",
        "warn_days=",
        "warn_days=-1",
        "warn_days=+3",
        "warn_days= 3",
        "warn_days=3x",
        "warn_days=3651",
        "warn_days=99999999999999999999",
        "prompt=",
        "prompt=bad\nprompt",
        "prompt=\xff\xfe",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pk_args a;
        const char *argv[] = {bad[i], NULL};
        if (parse(&a, argv) != AK_ERR_CONFIG)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(logbuf, "<3>"));
        assert_non_null(strstr(logbuf, "refusing to run"));
    }
}

static void test_args_edge_values(void **state)
{
    struct pk_args a;
    const char *argv[] = {"warn_days=3650", NULL};
    char prompt[7 + PK_PROMPT_MAX + 2] = "prompt="; /* one byte too many */
    const char *argv2[] = {prompt, NULL};
    (void)state;
    assert_int_equal(parse(&a, argv), AK_OK);
    assert_int_equal(a.warn_days, 3650);
    memset(prompt + 7, 'x', PK_PROMPT_MAX);
    assert_int_equal(parse(&a, argv2), AK_OK);
    prompt[7 + PK_PROMPT_MAX] = 'x';
    prompt[7 + PK_PROMPT_MAX + 1] = '\0';
    assert_int_equal(parse(&a, argv2), AK_ERR_CONFIG);
}

/* The table of pam_apikey(8) RETURN VALUES, row by row. */
static void test_map_outcomes(void **state)
{
    static const struct {
        enum ak_outcome o;
        int auth, auth_ignore, acct;
    } rows[] = {
        {AK_VERIFY_OK, PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS},
        {AK_VERIFY_MALFORMED, PAM_AUTH_ERR, PAM_IGNORE, PAM_PERM_DENIED},
        {AK_VERIFY_WRONG_KEY, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
        {AK_VERIFY_UNKNOWN_KEY, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
        {AK_VERIFY_EXPIRED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_ACCT_EXPIRED},
        {AK_VERIFY_REVOKED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
        {AK_VERIFY_OWNER_LOCKED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
        {AK_VERIFY_SCOPE_DENIED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED},
        {AK_VERIFY_UNAVAILABLE, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
         PAM_AUTHINFO_UNAVAIL},
        {AK_VERIFY_INTERNAL, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
        {(enum ak_outcome)99, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
        {(enum ak_outcome) - 1, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(pk_pam_code(PK_AUTH, AK_OK, rows[i].o, false),
                         rows[i].auth);
        assert_int_equal(pk_pam_code(PK_AUTH, AK_OK, rows[i].o, true),
                         rows[i].auth_ignore);
        assert_int_equal(pk_pam_code(PK_ACCT, AK_OK, rows[i].o, false),
                         rows[i].acct);
        assert_int_equal(pk_pam_code(PK_ACCT, AK_OK, rows[i].o, true),
                         rows[i].acct);
    }
}

static void test_map_status(void **state)
{
    static const struct {
        int status, pam;
    } rows[] = {
        {AK_ERR_NOMEM, PAM_BUF_ERR},
        {AK_ERR_IO,
         PAM_SERVICE_ERR}, /* unreadable apikey.conf: a config fault */
        {AK_ERR_CONFIG, PAM_SERVICE_ERR},
        {AK_ERR_BACKEND, PAM_AUTHINFO_UNAVAIL},
        {AK_ERR_MALFORMED, PAM_SYSTEM_ERR},
        {AK_ERR_NOT_FOUND, PAM_SERVICE_ERR},
        {AK_ERR_CONFLICT, PAM_SYSTEM_ERR},
        {AK_ERR_INVALID, PAM_SERVICE_ERR},
        {AK_ERR_DENIED, PAM_SERVICE_ERR},
        {AK_ERR_CRYPTO, PAM_SYSTEM_ERR},
        {-1000, PAM_SYSTEM_ERR},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (int ph = PK_AUTH; ph <= PK_ACCT; ph++)
            /* a local failure decides, whatever the outcome says */
            assert_int_equal(pk_pam_code((enum pk_phase)ph, rows[i].status,
                                         AK_VERIFY_OK, true),
                             rows[i].pam);
}

/* Nothing but a key the verifier accepted maps to PAM_SUCCESS. */
static void test_map_success_only_ok(void **state)
{
    (void)state;
    for (int o = -2; o < 20; o++)
        for (int st = -12; st <= 0; st++)
            for (int ph = PK_AUTH; ph <= PK_ACCT; ph++)
                for (int ig = 0; ig < 2; ig++) {
                    int c = pk_pam_code((enum pk_phase)ph, st,
                                        (enum ak_outcome)o, ig);
                    if (c == PAM_SUCCESS)
                        assert_true(st == AK_OK && o == AK_VERIFY_OK);
                    if (c == PAM_IGNORE)
                        assert_true(st == AK_OK && ph == PK_AUTH && ig &&
                                    o == AK_VERIFY_MALFORMED);
                }
}

static void test_notice(void **state)
{
    char buf[128];
    const time_t now = 1000000000; /* any fixed moment */
    (void)state;
    buf[0] = '\0';
    assert_false(pk_expiry_notice(buf, sizeof(buf), "abcdefghabcdefgh",
                                  now + 8 * 86400, now, 7));
    assert_string_equal(buf, "");
    assert_true(pk_expiry_notice(buf, sizeof(buf), "abcdefghabcdefgh",
                                 now + 7 * 86400, now, 7));
    assert_string_equal(buf,
                        "Your API key abcdefghabcdefgh expires in 7 days.");
    assert_true(pk_expiry_notice(buf, sizeof(buf), "abcdefghabcdefgh",
                                 now + 6 * 86400 + 1, now, 7));
    assert_string_equal(buf,
                        "Your API key abcdefghabcdefgh expires in 7 days.");
    assert_true(pk_expiry_notice(buf, sizeof(buf), "abcdefghabcdefgh",
                                 now + 86400, now, 7));
    assert_string_equal(buf, "Your API key abcdefghabcdefgh expires in 1 day.");
    assert_true(pk_expiry_notice(buf, sizeof(buf), "k", now + 1, now, 1));
    assert_string_equal(buf, "Your API key k expires in 1 day.");
    assert_true(pk_expiry_notice(buf, sizeof(buf), "k", now + 86401, now, 2));
    assert_string_equal(buf, "Your API key k expires in 2 days.");
    /* expired, expiring now, or warnings off: nothing */
    assert_false(pk_expiry_notice(buf, sizeof(buf), "k", now, now, 7));
    assert_false(pk_expiry_notice(buf, sizeof(buf), "k", now - 5, now, 7));
    assert_false(pk_expiry_notice(buf, sizeof(buf), "k", now + 60, now, 0));
    /* far future does not overflow */
    assert_false(
        pk_expiry_notice(buf, sizeof(buf), "k", (time_t)INT64_MAX, now, 3650));
}

static void test_dlopen(void **state)
{
    void *h;
    static const char *const entry[] = {"pam_sm_authenticate", "pam_sm_setcred",
                                        "pam_sm_acct_mgmt", "pam_sm_chauthtok"};
    static const char *const hidden[] = {
        "ak_verify",   "ak_config_load",      "pk_args_parse",
        "pk_pam_code", "pam_sm_open_session", "pam_sm_close_session"};
    (void)state;
    /* RTLD_NOW: every symbol resolves at load, as libpam loads modules */
    h = dlopen(AKTP_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        fail_msg("dlopen: %s", dlerror());
    for (size_t i = 0; i < sizeof(entry) / sizeof(entry[0]); i++)
        assert_non_null(dlsym(h, entry[i]));
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        assert_null(dlsym(h, hidden[i]));
    dlclose(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_defaults),
        cmocka_unit_test(test_args_all),
        cmocka_unit_test(test_args_use_wins),
        cmocka_unit_test(test_args_last_wins),
        cmocka_unit_test(test_args_unknown),
        cmocka_unit_test(test_args_bad_values),
        cmocka_unit_test(test_args_edge_values),
        cmocka_unit_test(test_map_outcomes),
        cmocka_unit_test(test_map_status),
        cmocka_unit_test(test_map_success_only_ok),
        cmocka_unit_test(test_notice),
        cmocka_unit_test(test_dlopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
