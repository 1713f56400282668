/* SPDX-License-Identifier: BSD-3-Clause */
/* test_failover.c - two servers: only transport failures fail over (F-04),
 * a hung first server hands over to the second (F-02/F-03) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_schema.h"
#include "ak_test.h"

static char key[AK_KEY_MAX_LEN + 1];
static char uris[512];
static const char *slog1, *slog2;

/* The same record on both servers, as replication would have it. */
static int setup(void **state)
{
    LDAP *a = akt_admin(), *b = NULL;
    const char *rv[2], *iv[2] = {NULL, NULL};
    struct ak_key k;
    struct berval pw = {strlen(akt_env("AK_TEST_ROOTPW")),
                        (char *)(uintptr_t)akt_env("AK_TEST_ROOTPW")};
    int v3 = 3;
    (void)state;
    akt_add_key(a, AKT_DN("alice"), NULL, key);
    ak_key_parse(key, strlen(key), &k, NULL);
    rv[0] = akt_last_record();
    rv[1] = NULL;
    iv[0] = k.id;
    assert_int_equal(ldap_initialize(&b, akt_env("AK_TEST2_URI")), 0);
    ldap_set_option(b, LDAP_OPT_PROTOCOL_VERSION, &v3);
    assert_int_equal(ldap_sasl_bind_s(b, akt_env("AK_TEST_ROOTDN"),
                                      LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL),
                     0);
    assert_int_equal(
        akt_modify(b, AKT_DN("alice"), LDAP_MOD_ADD, AK_AT_RECORD, rv), 0);
    assert_int_equal(akt_modify(b, AKT_DN("alice"), LDAP_MOD_ADD, AK_AT_ID, iv),
                     0);
    ldap_unbind_ext_s(a, NULL, NULL);
    ldap_unbind_ext_s(b, NULL, NULL);
    snprintf(uris, sizeof(uris), "%s %s", akt_env("AK_TEST_URI"),
             akt_env("AK_TEST2_URI"));
    slog1 = akt_env("AK_TEST_LOG");
    slog2 = akt_env("AK_TEST2_LOG");
    return 0;
}

static void test_wrong_key_does_not_fail_over(void **state)
{
    struct akt_verifier v;
    char wrong[AK_KEY_MAX_LEN + 1];
    long off2 = akt_slapd_log_size(slog2);
    (void)state;
    strcpy(wrong, key);
    akt_wrong_secret(wrong);
    akt_verifier_open(&v, akt_config("two.conf", uris, NULL));
    assert_int_equal(akt_verify(&v, "alice", wrong, "sshd", 0),
                     AK_VERIFY_WRONG_KEY);
    assert_int_equal(akt_verify(&v, "nosuchuser", key, "sshd", 0),
                     AK_VERIFY_UNKNOWN_KEY);
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0), AK_VERIFY_OK);
    akt_verifier_close(&v);
    /* server 2 never saw a connection */
    assert_int_equal(akt_slapd_log_count(slog2, off2, " ACCEPT "), 0);
}

static void test_hung_first_server(void **state)
{
    struct akt_verifier v;
    pid_t pid1 = (pid_t)atol(akt_env("AK_TEST_PID"));
    long off1, off2 = akt_slapd_log_size(slog2);
    double t0, took;
    (void)state;
    akt_verifier_open(&v, akt_config("two.conf", uris, NULL));
    akt_stop_pid(pid1);
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0), AK_VERIFY_OK);
    took = akt_now() - t0;
    kill(pid1, SIGCONT);
    printf("# first server hung: answered by the second after %.2f s\n", took);
    /* one operation timeout (2 s) on the first, then the second answers */
    assert_true(took < 2 + 1);
    assert_int_equal(akt_slapd_log_count(slog2, off2, " SRCH base="), 1);
    akt_verifier_close(&v);
    /* a new connection goes back to the first server once it is back */
    off1 = akt_slapd_log_size(slog1);
    akt_verifier_open(&v, akt_config("two.conf", uris, NULL));
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0), AK_VERIFY_OK);
    assert_int_equal(akt_slapd_log_count(slog1, off1, " SRCH base="), 1);
    akt_verifier_close(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_key_does_not_fail_over),
        cmocka_unit_test(test_hung_first_server),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
