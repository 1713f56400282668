/* SPDX-License-Identifier: BSD-3-Clause */
/* test_policy.c - policy arithmetic and owner state (pure) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_owner.h"
#include "ak_policy.h"
#include "ak_status.h"

#define DAY 86400
static const time_t NOW = 1164632400; /* 2006-11-27T13:00:00Z */

static struct ak_record rec(time_t created, bool has_exp, time_t exp)
{
    struct ak_record r;
    memset(&r, 0, sizeof(r));
    r.created = created;
    r.has_expires = has_exp;
    r.expires = exp;
    return r;
}

static void test_no_policy(void **state)
{
    struct ak_record r = rec(NOW - DAY, false, 0);
    time_t eff;
    bool has;
    (void)state;
    assert_int_equal(ak_policy_judge(NULL, &r, NOW, &eff, &has), AK_KEY_VALID);
    assert_false(has);
    r = rec(NOW - DAY, true, NOW + 10);
    assert_int_equal(ak_policy_judge(NULL, &r, NOW, &eff, &has), AK_KEY_VALID);
    assert_int_equal(eff, NOW + 10);
}

static void test_boundary(void **state)
{
    /* BI-16: valid while now < expiry; at the expiry second it is over */
    struct ak_policy p = {0};
    struct ak_record r;
    (void)state;
    r = rec(NOW - DAY, true, NOW + 1);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_VALID);
    r = rec(NOW - DAY, true, NOW);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_EXPIRED);
    r = rec(NOW - DAY, true, NOW - 1);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_EXPIRED);
}

static void test_require_expiry(void **state)
{
    struct ak_policy p = {.require_expiry = true};
    struct ak_record r = rec(NOW - DAY, false, 0);
    (void)state;
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL),
                     AK_KEY_EXPIRY_REQUIRED);
    /* with a maximum lifetime, the cap is the expiry */
    p.max_lifetime_days = 30;
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_VALID);
    r = rec(NOW - 30 * DAY, false, 0);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_EXPIRED);
}

static void test_max_lifetime(void **state)
{
    struct ak_policy p = {.max_lifetime_days = 90};
    struct ak_record r;
    time_t eff;
    bool has;
    (void)state;
    /* written by hand with a far expiry: the policy caps it from creation */
    r = rec(NOW - 100 * DAY, true, NOW + 1000 * DAY);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, &eff, &has), AK_KEY_EXPIRED);
    assert_true(has);
    assert_int_equal(eff, NOW - 10 * DAY);
    r = rec(NOW - 89 * DAY, true, NOW + 1000 * DAY);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, &eff, &has), AK_KEY_VALID);
    assert_int_equal(eff, NOW + DAY);
    /* an earlier own expiry wins over the cap */
    r = rec(NOW - DAY, true, NOW + DAY);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, &eff, &has), AK_KEY_VALID);
    assert_int_equal(eff, NOW + DAY);
}

static void test_revoked_and_future(void **state)
{
    struct ak_policy p = {0};
    struct ak_record r = rec(NOW - DAY, true, NOW + DAY);
    (void)state;
    r.is_revoked = true;
    r.revoked = NOW + 100; /* even a future revocation counts now */
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_REVOKED);
    r = rec(NOW + AK_CLOCK_SKEW + 1, true, NOW + DAY);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL),
                     AK_KEY_CREATED_IN_FUTURE);
    r = rec(NOW + AK_CLOCK_SKEW, true, NOW + DAY);
    assert_int_equal(ak_policy_judge(&p, &r, NOW, NULL, NULL), AK_KEY_VALID);
}

static void test_check_new(void **state)
{
    struct ak_policy p = {0};
    char why[256];
    (void)state;
    assert_int_equal(ak_policy_check_new(&p, NOW, false, 0, why, sizeof(why)),
                     AK_OK);
    assert_int_equal(
        ak_policy_check_new(&p, NOW, true, NOW - 1, why, sizeof(why)),
        AK_ERR_DENIED);
    assert_non_null(strstr(why, "past"));
    p.require_expiry = true;
    assert_int_equal(ak_policy_check_new(&p, NOW, false, 0, why, sizeof(why)),
                     AK_ERR_DENIED);
    assert_non_null(strstr(why, "requires an expiry"));
    p.max_lifetime_days = 30;
    assert_int_equal(
        ak_policy_check_new(&p, NOW, true, NOW + 31 * DAY, why, sizeof(why)),
        AK_ERR_DENIED);
    assert_non_null(strstr(why, "30 days"));
    assert_non_null(strstr(why, "2006-12-27 13:00 UTC"));
    assert_int_equal(
        ak_policy_check_new(&p, NOW, true, NOW + 30 * DAY, why, sizeof(why)),
        AK_OK);
    p.require_expiry = false;
    assert_int_equal(ak_policy_check_new(&p, NOW, false, 0, why, sizeof(why)),
                     AK_ERR_DENIED);
}

static int set(struct ak_policy *p, const char *a, const char *v)
{
    const char *why = NULL;
    return ak_policy_set(p, a, v, strlen(v), &why);
}

static void test_policy_set(void **state)
{
    struct ak_policy p = {0};
    (void)state;
    assert_int_equal(set(&p, "apiKeyRequireExpiry", "TRUE"), AK_OK);
    assert_true(p.require_expiry);
    assert_int_equal(set(&p, "apikeyrequireexpiry", "FALSE"), AK_OK);
    assert_false(p.require_expiry);
    assert_int_equal(set(&p, "apiKeyRequireExpiry", "true"), AK_ERR_MALFORMED);
    assert_int_equal(set(&p, "apiKeyMaxLifetime", "365"), AK_OK);
    assert_int_equal(p.max_lifetime_days, 365);
    assert_int_equal(set(&p, "apiKeyMaxLifetime", "-1"), AK_ERR_MALFORMED);
    assert_int_equal(set(&p, "apiKeyMaxLifetime", "36501"), AK_ERR_MALFORMED);
    assert_int_equal(set(&p, "apiKeyMaxLifetime", "1x"), AK_ERR_MALFORMED);
    assert_int_equal(set(&p, "apiKeyMaxLifetime", ""), AK_ERR_MALFORMED);
    assert_int_equal(set(&p, "apiKeyNoticeDays", "30"), AK_OK);
    assert_int_equal(set(&p, "apiKeyNoticeDays", "7"), AK_OK);
    assert_int_equal(p.n_notice_days, 2);
    assert_int_equal(set(&p, "cn", "anything"), AK_OK);
}

static const char *locks(enum ak_owner_attr a, const char *v)
{
    return ak_owner_value_locks(a, v, strlen(v), NOW);
}

static void test_owner_state(void **state)
{
    long today = (long)(NOW / DAY);
    char buf[32];
    (void)state;
    assert_non_null(locks(AK_OWNER_PWD_LOCKED, "000001010000Z"));
    assert_non_null(locks(AK_OWNER_PWD_LOCKED, "20060101000000Z"));
    assert_null(locks(AK_OWNER_SHADOW_EXPIRE, "-1"));
    snprintf(buf, sizeof(buf), "%ld", today + 1);
    assert_null(locks(AK_OWNER_SHADOW_EXPIRE, buf));
    snprintf(buf, sizeof(buf), "%ld", today);
    assert_non_null(locks(AK_OWNER_SHADOW_EXPIRE, buf));
    assert_non_null(locks(AK_OWNER_SHADOW_EXPIRE, "1"));
    assert_non_null(locks(AK_OWNER_SHADOW_EXPIRE, "0"));
    assert_non_null(locks(AK_OWNER_SHADOW_EXPIRE, "soon")); /* fail closed */
    assert_non_null(locks(AK_OWNER_DISABLED, "TRUE"));
    assert_null(locks(AK_OWNER_DISABLED, "FALSE"));
    assert_non_null(locks(AK_OWNER_DISABLED, "maybe"));
    assert_non_null(locks(AK_OWNER_NS_LOCK, "true"));
    assert_non_null(locks(AK_OWNER_NS_LOCK, "TRUE"));
    assert_null(locks(AK_OWNER_NS_LOCK, "false"));
    assert_null(locks(AK_OWNER_AD_UAC, "512"));
    assert_non_null(locks(AK_OWNER_AD_UAC, "514"));
    assert_non_null(locks(AK_OWNER_AD_UAC, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_policy),
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_require_expiry),
        cmocka_unit_test(test_max_lifetime),
        cmocka_unit_test(test_revoked_and_future),
        cmocka_unit_test(test_check_new),
        cmocka_unit_test(test_policy_set),
        cmocka_unit_test(test_owner_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
