/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ad.c - the verifier where user_attr says Active Directory: it also
 * judges accountExpires and lockoutTime, and names are still exact. Runs
 * against slapd with tests/ldap/ad-test-schema.ldif (AD's attribute names
 * and syntaxes), since a real AD is not at hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_test.h"

#define ADAM "cn=adam," AKT_PEOPLE
/* seconds from 1601-01-01 (AD FILETIME) to the Unix epoch */
#define AD_EPOCH 11644473600LL

static LDAP *admin;
static struct akt_verifier V;
static char key[AK_KEY_MAX_LEN + 1];

static void filetime(char *buf, size_t size, time_t t)
{
    snprintf(buf, size, "%lld", ((long long)t + AD_EPOCH) * 10000000LL);
}

static int setup(void **state)
{
    static const char *const oc[] = {"applicationProcess", "adTestUser",
                                     "apiKeyHolder", NULL};
    (void)state;
    admin = akt_admin();
    akt_add_entry(admin, ADAM, oc, "sAMAccountName", "Adam");
    akt_add_key(admin, ADAM, NULL, key);
    akt_verifier_open(&V, akt_config("ad.conf", NULL,
                                     "user_attr sAMAccountName\n"
                                     "user_filter (objectClass=adTestUser)"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&V);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

static void test_name(void **state)
{
    struct ak_verify_result res;
    (void)state;
    assert_int_equal(
        akt_verify_len(&V, NULL, 0, key, strlen(key), "sshd", 0, &res),
        AK_VERIFY_OK);
    assert_string_equal(res.owner_name, "Adam");
    ak_verify_result_clear(&res);
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
    /* sAMAccountName is caseIgnoreMatch, as in AD; identity is not */
    assert_int_equal(akt_verify(&V, "adam", key, "sshd", 0),
                     AK_VERIFY_UNKNOWN_KEY);
}

static void test_account_expires(void **state)
{
    char v[32];
    (void)state;
    akt_set(admin, ADAM, "accountExpires", "9223372036854775807"); /* never */
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
    akt_set(admin, ADAM, "accountExpires", "0"); /* never, too */
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
    filetime(v, sizeof(v), time(NULL) + 86400);
    akt_set(admin, ADAM, "accountExpires", v);
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
    filetime(v, sizeof(v), time(NULL) - 60);
    akt_set(admin, ADAM, "accountExpires", v);
    akt_log_reset();
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0),
                     AK_VERIFY_OWNER_LOCKED);
    assert_non_null(strstr(akt_logbuf, "accountExpires"));
    akt_set(admin, ADAM, "accountExpires", NULL);
}

static void test_lockout_and_uac(void **state)
{
    char v[32];
    (void)state;
    akt_set(admin, ADAM, "lockoutTime", "0");
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
    filetime(v, sizeof(v), time(NULL) - 60);
    akt_set(admin, ADAM, "lockoutTime", v);
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0),
                     AK_VERIFY_OWNER_LOCKED);
    akt_set(admin, ADAM, "lockoutTime", NULL);
    akt_set(admin, ADAM, "userAccountControl", "514"); /* 512 | DISABLED */
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0),
                     AK_VERIFY_OWNER_LOCKED);
    akt_set(admin, ADAM, "userAccountControl", "512");
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0), AK_VERIFY_OK);
}

/* With user_attr uid the AD attributes mean nothing and are not read: an
 * attribute of the same name elsewhere must not lock everybody. */
static void test_not_ad(void **state)
{
    struct akt_verifier w;
    char v[32];
    char *oc[] = {AK_LDAP_STR("uidObject"), NULL};
    char *uid[] = {AK_LDAP_STR("adam"), NULL};
    LDAPMod m_oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc}};
    LDAPMod m_uid = {LDAP_MOD_ADD, AK_LDAP_STR("uid"), {uid}};
    LDAPMod *mods[] = {&m_oc, &m_uid, NULL};
    (void)state;
    assert_int_equal(ldap_modify_ext_s(admin, ADAM, mods, NULL, NULL),
                     LDAP_SUCCESS);
    filetime(v, sizeof(v), time(NULL) - 60);
    akt_set(admin, ADAM, "lockoutTime", v);
    akt_verifier_open(&w, akt_config("uid.conf", NULL,
                                     "user_filter (objectClass=adTestUser)"));
    assert_int_equal(akt_verify(&w, "adam", key, "sshd", 0), AK_VERIFY_OK);
    akt_verifier_close(&w);
    assert_int_equal(akt_verify(&V, "Adam", key, "sshd", 0),
                     AK_VERIFY_OWNER_LOCKED);
    akt_set(admin, ADAM, "lockoutTime", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_account_expires),
        cmocka_unit_test(test_lockout_and_uac),
        cmocka_unit_test(test_not_ad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
