/* SPDX-License-Identifier: BSD-3-Clause */
/* test_status.c - the one classification (ak_status.h) and the three front
 * ends that map it: every AK_ERR_* and every AK_VERIFY_* through
 * pam_apikey, sasl_apikey and apikey(1), each answering as its class says */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include <sasl/sasl.h>
#include <security/_pam_types.h>

#include "ak_status.h"
#include "apikey_result.h"
#include "cli.h"
#include "pk_map.h"

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* What each class means on each front end: pam_apikey(8) RETURN VALUES,
 * sasl_apikey(8) RESULT CODES, apikey(1) EXIT STATUS. */
static const struct expect {
    enum ak_class cls;
    int auth, auth_ignore, acct; /* pam_sm_authenticate (ignore_non_keys),
                                  * pam_sm_acct_mgmt */
    int sasl;
    int cli;
} expect[] = {
    {AK_CLASS_UNKNOWN, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR,
     SASL_FAIL, EXIT_INTERNAL},
    {AK_CLASS_OK, PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS, SASL_OK, EXIT_OK},
    {AK_CLASS_REFUSED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_PERM_DENIED,
     SASL_BADAUTH, EXIT_REFUSED},
    {AK_CLASS_EXPIRED, PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_ACCT_EXPIRED,
     SASL_BADAUTH, EXIT_REFUSED},
    {AK_CLASS_NOT_A_KEY, PAM_AUTH_ERR, PAM_IGNORE, PAM_PERM_DENIED,
     SASL_BADAUTH, EXIT_REFUSED},
    {AK_CLASS_UNAVAILABLE, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
     PAM_AUTHINFO_UNAVAIL, SASL_UNAVAIL, EXIT_UNAVAILABLE},
    {AK_CLASS_LOCAL_CONFIG, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR,
     SASL_UNAVAIL, EXIT_CONFIG},
    {AK_CLASS_NOMEM, PAM_BUF_ERR, PAM_BUF_ERR, PAM_BUF_ERR, SASL_NOMEM,
     EXIT_INTERNAL},
    {AK_CLASS_INTERNAL, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR,
     SASL_UNAVAIL, EXIT_INTERNAL},
    {AK_CLASS_BAD_INPUT, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR,
     SASL_BADPROT, EXIT_USAGE},
    {AK_CLASS_NOT_FOUND, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR,
     SASL_UNAVAIL, EXIT_NOT_FOUND},
    {AK_CLASS_CONFLICT, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR,
     SASL_FAIL, EXIT_CONFLICT},
    {AK_CLASS_DENIED, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR,
     SASL_FAIL, EXIT_DENIED},
    {AK_CLASS_INVALID, PAM_SERVICE_ERR, PAM_SERVICE_ERR, PAM_SERVICE_ERR,
     SASL_UNAVAIL, EXIT_DENIED},
};

static const struct expect *expect_for(enum ak_class cls)
{
    for (size_t i = 0; i < N_ROWS(expect); i++)
        if (expect[i].cls == cls)
            return &expect[i];
    fail_msg("class %d (%s) has no row here", (int)cls, ak_class_str(cls));
    return NULL;
}

/* The five codes one result gets. status != AK_OK: a local failure (the
 * outcome is then ignored); else the outcome. */
struct got {
    int auth, auth_ignore, acct, acct_ignore, sasl, cli;
};

static struct got codes_of(int status, enum ak_outcome o)
{
    struct got g;
    g.auth = pk_pam_code(PK_AUTH, status, o, false);
    g.auth_ignore = pk_pam_code(PK_AUTH, status, o, true);
    g.acct = pk_pam_code(PK_ACCT, status, o, false);
    g.acct_ignore = pk_pam_code(PK_ACCT, status, o, true);
    g.sasl = apikey_sasl_result(status, o);
    g.cli = status != AK_OK ? cli_exit_for(status) : cli_exit_for_outcome(o);
    return g;
}

static void check(const char *what, int value, enum ak_class cls, struct got g)
{
    const struct expect *e = expect_for(cls);
    if (e == NULL)
        return; /* failed already */
    if (g.auth != e->auth || g.auth_ignore != e->auth_ignore ||
        g.acct != e->acct || g.acct_ignore != e->acct || g.sasl != e->sasl ||
        g.cli != e->cli)
        fail_msg("%s %d (class %s): PAM %d/%d/%d SASL %d exit %d, the class "
                 "says %d/%d/%d %d %d",
                 what, value, ak_class_str(cls), g.auth, g.auth_ignore, g.acct,
                 g.sasl, g.cli, e->auth, e->auth_ignore, e->acct, e->sasl,
                 e->cli);
}

/* Every class has one row in the test, and a name. */
static void test_classes(void **state)
{
    (void)state;
    for (int c = 0; c <= AK_CLASS_LAST; c++) {
        int rows = 0;
        for (size_t i = 0; i < N_ROWS(expect); i++)
            rows += expect[i].cls == (enum ak_class)c;
        if (rows != 1)
            fail_msg("class %d: %d rows", c, rows);
        for (int d = 0; d < c; d++)
            assert_string_not_equal(ak_class_str((enum ak_class)c),
                                    ak_class_str((enum ak_class)d));
    }
    assert_int_equal((int)N_ROWS(expect), AK_CLASS_LAST + 1);
    assert_string_equal(ak_class_str((enum ak_class)(AK_CLASS_LAST + 1)),
                        "unknown");
}

/* Every status AK_OK .. AK_ERR_LAST has a row (a name and a class other
 * than UNKNOWN), and every front end answers it as that class says. */
static void test_every_status(void **state)
{
    bool seen[AK_CLASS_LAST + 1] = {false};
    (void)state;
    for (int s = 0; s >= AK_ERR_LAST; s--) {
        enum ak_class c = ak_status_class(s);
        if (c == AK_CLASS_UNKNOWN || c > AK_CLASS_LAST)
            fail_msg("status %d (%s) has no class", s, ak_strerror(s));
        assert_string_not_equal(ak_strerror(s), "unknown error");
        seen[c] = true;
        /* a local failure decides, whatever the outcome says */
        for (int o = 0; o <= AK_VERIFY_LAST + 1; o++)
            if (s != AK_OK)
                check("status", s, c, codes_of(s, (enum ak_outcome)o));
        if (s == AK_OK)
            assert_int_equal(cli_exit_for(s), EXIT_OK);
    }
    /* the statuses reach the local-fault classes, not the verdicts */
    assert_true(seen[AK_CLASS_OK] && seen[AK_CLASS_LOCAL_CONFIG] &&
                seen[AK_CLASS_UNAVAILABLE] && seen[AK_CLASS_NOMEM]);
    assert_false(seen[AK_CLASS_REFUSED] || seen[AK_CLASS_EXPIRED] ||
                 seen[AK_CLASS_NOT_A_KEY]);
    /* the reason for the class: an unopenable apikey.conf (IO) is the same
     * local configuration fault as an unsafe or invalid one (CONFIG) */
    assert_int_equal(ak_status_class(AK_ERR_IO), AK_CLASS_LOCAL_CONFIG);
    assert_int_equal(ak_status_class(AK_ERR_CONFIG), AK_CLASS_LOCAL_CONFIG);
}

/* Every outcome AK_VERIFY_OK .. AK_VERIFY_LAST likewise. */
static void test_every_outcome(void **state)
{
    (void)state;
    for (int o = 0; o <= AK_VERIFY_LAST; o++) {
        enum ak_class c = ak_outcome_class((enum ak_outcome)o);
        if (c == AK_CLASS_UNKNOWN || c > AK_CLASS_LAST)
            fail_msg("outcome %d (%s) has no class", o,
                     ak_outcome_str((enum ak_outcome)o));
        assert_string_not_equal(ak_outcome_str((enum ak_outcome)o),
                                "unknown outcome");
        check("outcome", o, c, codes_of(AK_OK, (enum ak_outcome)o));
    }
}

/* Every class but UNKNOWN is some status's or outcome's: no dead row. */
static void test_no_dead_class(void **state)
{
    (void)state;
    for (int c = AK_CLASS_UNKNOWN + 1; c <= AK_CLASS_LAST; c++) {
        bool used = false;
        for (int s = 0; s >= AK_ERR_LAST; s--)
            used = used || ak_status_class(s) == (enum ak_class)c;
        for (int o = 0; o <= AK_VERIFY_LAST; o++)
            used = used ||
                   ak_outcome_class((enum ak_outcome)o) == (enum ak_class)c;
        if (!used)
            fail_msg("class %s: no status or outcome has it",
                     ak_class_str((enum ak_class)c));
    }
}

/* Values outside the enums are UNKNOWN and fail closed everywhere. */
static void test_unknown_values(void **state)
{
    static const int bad_status[] = {1,   2,     AK_ERR_LAST - 1,
                                     -64, -1000, INT32_MIN};
    static const int bad_outcome[] = {-1, AK_VERIFY_LAST + 1, 64, INT32_MAX};
    (void)state;
    for (size_t i = 0; i < N_ROWS(bad_status); i++) {
        assert_int_equal(ak_status_class(bad_status[i]), AK_CLASS_UNKNOWN);
        assert_string_equal(ak_strerror(bad_status[i]), "unknown error");
        check("status", bad_status[i], AK_CLASS_UNKNOWN,
              codes_of(bad_status[i], AK_VERIFY_OK));
    }
    for (size_t i = 0; i < N_ROWS(bad_outcome); i++) {
        enum ak_outcome o = (enum ak_outcome)bad_outcome[i];
        assert_int_equal(ak_outcome_class(o), AK_CLASS_UNKNOWN);
        assert_string_equal(ak_outcome_str(o), "unknown outcome");
        check("outcome", bad_outcome[i], AK_CLASS_UNKNOWN, codes_of(AK_OK, o));
    }
}

/*
 * Whatever the table says, these hold for every status and outcome, and
 * for a few values beyond both:
 *  - only OK succeeds: PAM_SUCCESS, SASL_OK, EXIT_OK;
 *  - PAM_IGNORE only for a token that is not a key, with ignore_non_keys;
 *  - a local failure never looks like the credential's fault (no
 *    PAM_AUTH_ERR, SASL_BADAUTH or EXIT_REFUSED for a status);
 *  - every refusal looks the same to a client (no oracle): PAM_AUTH_ERR,
 *    SASL_BADAUTH;
 *  - never SASL_CONFIGERR (Postfix's permanent 535).
 */
static void test_invariants(void **state)
{
    (void)state;
    for (int s = 2; s >= AK_ERR_LAST - 2; s--)
        for (int o = -1; o <= AK_VERIFY_LAST + 1; o++) {
            struct got g = codes_of(s, (enum ak_outcome)o);
            enum ak_class c = s != AK_OK ? ak_status_class(s)
                                         : ak_outcome_class((enum ak_outcome)o);
            bool ok = c == AK_CLASS_OK;
            bool refusal = c == AK_CLASS_REFUSED || c == AK_CLASS_EXPIRED ||
                           c == AK_CLASS_NOT_A_KEY;

            assert_true(ok == (s == AK_OK && o == AK_VERIFY_OK));
            assert_true(ok == (g.auth == PAM_SUCCESS));
            assert_true(ok == (g.auth_ignore == PAM_SUCCESS));
            assert_true(ok == (g.acct == PAM_SUCCESS));
            assert_true(ok == (g.sasl == SASL_OK));
            assert_true(ok == (g.cli == EXIT_OK));
            assert_true((g.auth_ignore == PAM_IGNORE) ==
                        (s == AK_OK && o == AK_VERIFY_MALFORMED));
            assert_int_not_equal(g.auth, PAM_IGNORE);
            assert_int_not_equal(g.acct, PAM_IGNORE);
            assert_true(refusal == (g.auth == PAM_AUTH_ERR));
            assert_true(refusal == (g.sasl == SASL_BADAUTH));
            assert_true(refusal == (g.cli == EXIT_REFUSED));
            if (s != AK_OK)
                assert_false(refusal);
            assert_int_not_equal(g.sasl, SASL_CONFIGERR);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_every_status),
        cmocka_unit_test(test_every_outcome),
        cmocka_unit_test(test_no_dead_class),
        cmocka_unit_test(test_unknown_values),
        cmocka_unit_test(test_invariants),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
