/* SPDX-License-Identifier: BSD-3-Clause */
/* test_env.c - LDAP* variables, ldaprc files and HOME cannot redirect the
 * verifier or weaken its TLS (F-09, S-07) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ak_test.h"

static char key[AK_KEY_MAX_LEN + 1];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_plain_uri_not_redirected(void **state)
{
    struct akt_verifier v;
    (void)state;
    akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0), AK_VERIFY_OK);
    akt_verifier_close(&v);
}

static void test_tls_still_verified(void **state)
{
    struct akt_verifier v;
    char extra[512];
    (void)state;
    /* LDAPTLS_REQCERT=never and ldaprc "TLS_REQCERT never" are ignored */
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_OTHER_CA"));
    akt_verifier_open(&v, akt_config("otherca.conf", NULL, extra));
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    akt_verifier_close(&v);
    /* LDAPTLS_CACERT names the right CA, but the config names none: the
     * system store (which lacks the test CA) is what counts */
    akt_verifier_open(&v, akt_config("sysca.conf", NULL, "start_tls yes"));
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    akt_verifier_close(&v);
    /* the configured CA works, whatever the variables say */
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_CA"));
    akt_verifier_open(&v, akt_config("goodca.conf", NULL, extra));
    assert_int_equal(akt_verify(&v, "alice", key, "sshd", 0), AK_VERIFY_OK);
    akt_verifier_close(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_uri_not_redirected),
        cmocka_unit_test(test_tls_still_verified),
    };
    char home[512], path[600], rc[600];
    const char *dir = akt_env("AK_TEST_DIR");
    LDAP *admin;

    /* Poison everything libldap reads at its first initialisation, before
     * anything in this process touches libldap. We run in the work dir. */
    snprintf(home, sizeof(home), "%s/evilhome", dir);
    mkdir(home, 0755);
    snprintf(rc, sizeof(rc),
             "URI ldap://127.0.0.1:9\nTLS_REQCERT never\nTLS_CACERT %s\n"
             "SIZELIMIT 1\nREFERRALS on\nDEREF always\n",
             akt_env("AK_TEST_CA"));
    write_text("ldaprc", rc);
    write_text(".ldaprc", rc);
    snprintf(path, sizeof(path), "%s/.ldaprc", home);
    write_text(path, rc);
    snprintf(path, sizeof(path), "%s/evil.conf", home);
    write_text(path, rc);
    unsetenv("LDAPNOINIT");
    setenv("HOME", home, 1);
    setenv("LDAPCONF", path, 1);
    setenv("LDAPRC", "ldaprc", 1);
    setenv("LDAPURI", "ldap://127.0.0.1:9", 1);
    setenv("LDAPTLS_REQCERT", "never", 1);
    setenv("LDAPTLS_CACERT", akt_env("AK_TEST_CA"), 1);
    setenv("LDAPSIZELIMIT", "1", 1);
    setenv("LDAPTIMELIMIT", "1", 1);
    setenv("LDAPDEREF", "always", 1);
    setenv("LDAPREFERRALS", "on", 1);
    setenv("LDAPNETWORK_TIMEOUT", "0", 1);
    setenv("LDAPTIMEOUT", "0", 1);
    setenv("XDG_CONFIG_HOME", home, 1);
    setenv("TMPDIR", home, 1);

    admin = akt_admin();
    akt_add_key(admin, AKT_DN("alice"), NULL, key);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
