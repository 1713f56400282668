/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_zero.c - S-03: no copy of a key survives in freed memory. A
 * preloaded free()/realloc() (freecheck.c) searches every block handed
 * back to the allocator for any 8 bytes of the keys' secret parts, while
 * logins run through every path that handles the key: prompt, try/use
 * first pass, success, wrong key, refusal, account phase, 1 MiB junk.
 * Skipped under ASan, which owns the allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "ak_test.h"
#include "ak_test_pam.h"

static void (*arm)(const char *secret, size_t len);
static void (*disarm)(void);
static unsigned long (*hits)(void);
static unsigned long (*checked)(void);

static char alice_key[AK_KEY_MAX_LEN + 1], wrong[AK_KEY_MAX_LEN + 1];
static char revoked[AK_KEY_MAX_LEN + 1];

static const char *secret_of(const char *key)
{
    return strchr(strchr(key, '_') + 1, '_') + 1;
}

static int setup(void **state)
{
    LDAP *admin = akt_admin();
    struct akt_key_opts rev = {.revoked = true};
    (void)state;
    akt_add_key(admin, AKT_DN("alice"), NULL, alice_key);
    akt_add_key(admin, AKT_DN("alice"), &rev, revoked);
    strcpy(wrong, alice_key);
    akt_wrong_secret(wrong);
    ldap_unbind_ext_s(admin, NULL, NULL);

    *(void **)&arm = dlsym(RTLD_DEFAULT, "aktp_freecheck_arm");
    *(void **)&disarm = dlsym(RTLD_DEFAULT, "aktp_freecheck_disarm");
    *(void **)&hits = dlsym(RTLD_DEFAULT, "aktp_freecheck_hits");
    *(void **)&checked = dlsym(RTLD_DEFAULT, "aktp_freecheck_checked");
    assert_non_null(arm);
    assert_non_null(disarm);
    assert_non_null(hits);
    assert_non_null(checked);
    return 0;
}

static void arm_all(void)
{
    arm(secret_of(alice_key), strlen(secret_of(alice_key)));
    arm(secret_of(wrong), strlen(secret_of(wrong)));
    arm(secret_of(revoked), strlen(secret_of(revoked)));
}

/* The probe works: an unwiped copy is caught, a wiped one is not. */
static void test_probe_catches(void **state)
{
    unsigned long h0;
    char *copy;
    (void)state;
    arm_all();
    h0 = hits();
    copy = strdup(alice_key);
    free(copy);
    assert_int_equal(hits(), h0 + 1);
    copy = strdup(secret_of(alice_key) + 20); /* 8+ bytes from the middle */
    copy[9] = '\0';
    free(copy);
    assert_int_equal(hits(), h0 + 2);
    copy = strdup(alice_key);
    explicit_bzero(copy, strlen(copy)); /* memset before free is elided */
    free(copy);
    assert_int_equal(hits(), h0 + 2);
    disarm();
}

static void test_no_key_in_freed_memory(void **state)
{
    static char big[1 << 20];
    unsigned long h0, c0;
    int acct = -1;
    struct aktp_conv c = {.answers = {alice_key}};
    (void)state;

    memset(big, 'x', sizeof(big) - 1);
    memcpy(big, alice_key, strlen(alice_key)); /* a key inside junk */
    arm_all();
    h0 = hits();
    c0 = checked();
    assert_int_equal(aktp_login("apikey", "alice", &c, 0, &acct), PAM_SUCCESS);
    assert_int_equal(acct, PAM_SUCCESS);
    assert_int_equal(aktp_auth1("apikey-debug", "alice", wrong), PAM_AUTH_ERR);
    assert_int_equal(aktp_auth1("apikey", "alice", revoked), PAM_AUTH_ERR);
    assert_int_equal(aktp_auth1("apikey", "nosuchuser", alice_key),
                     PAM_AUTH_ERR);
    assert_int_equal(aktp_auth1("apikey", "alice", big), PAM_AUTH_ERR);
    assert_int_equal(aktp_auth1("apikey-down", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    aktp_conv_reset(&c);
    assert_int_equal(aktp_login("usefirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    aktp_conv_reset(&c);
    assert_int_equal(aktp_login("tryfirst-alone", "alice", &c, 0, NULL),
                     PAM_SUCCESS);
    aktp_conv_reset(&c);
    assert_int_equal(aktp_login("keyfirst", "alice", &c, 0, NULL), PAM_SUCCESS);
    print_message("freecheck: %lu blocks searched, %lu held key bytes\n",
                  checked() - c0, hits() - h0);
    assert_true(checked() - c0 > 1000); /* the probe really ran */
    assert_int_equal(hits(), h0);
    disarm();
}

int main(int argc, char **argv)
{
    char uri[64], down[512], preload[4096];
    const struct aktp_subst subst[] = {
        {"CONF", akt_env("AK_TEST_CONF")},
        {"DOWNCONF", down},
        {NULL, NULL},
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_catches),
        cmocka_unit_test(test_no_key_in_freed_memory),
    };

    (void)argc;
    if (aktp_slow()) {
        fprintf(stderr, "S-03 probe replaces free(): not under ASan or "
                        "valgrind, which own the allocator\n");
        return 77;
    }
    if (getenv("PAM_WRAPPER") == NULL) {
        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", akt_closed_port());
        snprintf(down, sizeof(down), "%s", akt_config("down.conf", uri, NULL));
        /* aktp_init puts pam_wrapper in front of what is preloaded;
         * keep what already was (libfaketime under meson test --setup
         * future) */
        const char *old = getenv("LD_PRELOAD");
        snprintf(preload, sizeof(preload), "%s%s%s", AKTP_FREECHECK,
                 old && *old ? ":" : "", old && *old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
    }
    aktp_init(argv, AKTP_SERVICES, subst);
    return cmocka_run_group_tests(tests, setup, NULL);
}
