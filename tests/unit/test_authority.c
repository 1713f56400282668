/* SPDX-License-Identifier: BSD-3-Clause */
/* test_authority.c - what decides about a key besides its record (pure):
 * apiKeyRevoked values, exact names, every lock attribute */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_owner.h"
#include "ak_policy.h"
#include "ak_revocation.h"
#include "ak_status.h"
#include "ak_text.h"
#include "ak_time.h"

#define DAY 86400
#define KID "abcdefghijklmnop"
#define OTHER "qrstuvwxyz234567"

static time_t now;

static int setup(void **state)
{
    (void)state;
    now = time(NULL);
    return 0;
}

static struct ak_record key(time_t created, time_t expires)
{
    struct ak_record r;
    memset(&r, 0, sizeof(r));
    memcpy(r.id, KID, sizeof(r.id));
    r.created = created;
    r.has_expires = true;
    r.expires = expires;
    return r;
}

static bool apply(struct ak_record *r, const char *v)
{
    return ak_revocation_apply(r, v, strlen(v));
}

static void value(char *buf, const char *kid, time_t t, const char *why)
{
    char ts[AK_TIME_LEN + 1];
    assert_int_equal(ak_time_format(t, ts), AK_OK);
    snprintf(buf, AK_REVOCATION_MAX + 32, "%s %s %s", kid, ts, why);
}

static void test_format(void **state)
{
    char buf[AK_REVOCATION_MAX + 1], want[AK_REVOCATION_MAX + 32];
    (void)state;
    assert_int_equal(ak_revocation_format(KID, now, AK_END_REVOKED, buf),
                     AK_OK);
    value(want, KID, now, "revoked");
    assert_string_equal(buf, want);
    assert_int_equal(ak_revocation_format(KID, now, AK_END_ROTATED, buf),
                     AK_OK);
    value(want, KID, now, "rotated");
    assert_string_equal(buf, want);
    assert_int_equal(strlen(buf), AK_REVOCATION_MAX);
    assert_int_equal(ak_revocation_format("short", now, AK_END_ROTATED, buf),
                     AK_ERR_INVALID);
    assert_string_equal(ak_end_reason_name(AK_END_ROTATED), "rotated");
}

/* A revocation stops the key whatever its time says (a host whose clock
 * runs ahead must not delay it); a rotation ends it at its time. */
static void test_apply(void **state)
{
    struct ak_record r = key(now - DAY, now + 30 * DAY);
    char v[AK_REVOCATION_MAX + 32];
    time_t eff = 0;
    bool has = false;
    (void)state;

    value(v, OTHER, now - DAY, "revoked");
    assert_false(apply(&r, v)); /* another key's */
    assert_int_equal(ak_policy_judge(NULL, &r, now, NULL, NULL), AK_KEY_VALID);

    value(v, KID, now + 2 * DAY, "rotated");
    assert_true(apply(&r, v));
    assert_int_equal(ak_policy_judge(NULL, &r, now, &eff, &has), AK_KEY_VALID);
    assert_true(has);
    assert_int_equal(eff, now + 2 * DAY); /* the rotation's end */
    assert_int_equal(ak_policy_judge(NULL, &r, now + 2 * DAY, NULL, NULL),
                     AK_KEY_REPLACED);
    /* a second, later rotation value does not stretch it */
    value(v, KID, now + 20 * DAY, "rotated");
    assert_true(apply(&r, v));
    assert_int_equal(ak_policy_judge(NULL, &r, now, &eff, &has), AK_KEY_VALID);
    assert_int_equal(eff, now + 2 * DAY);
    /* a revocation dated tomorrow stops it today */
    value(v, KID, now + DAY, "revoked");
    assert_true(apply(&r, v));
    assert_int_equal(ak_policy_judge(NULL, &r, now, NULL, NULL),
                     AK_KEY_REVOKED);
}

/* A rotation's end under the policy: the earliest of all wins. */
static void test_apply_with_policy(void **state)
{
    struct ak_policy p = {.max_lifetime_days = 10};
    struct ak_record r = key(now - 9 * DAY, now + 30 * DAY);
    char v[AK_REVOCATION_MAX + 32];
    time_t eff = 0;
    (void)state;
    value(v, KID, now + 5 * DAY, "rotated");
    apply(&r, v);
    assert_int_equal(ak_policy_judge(&p, &r, now, &eff, NULL), AK_KEY_VALID);
    assert_int_equal(eff, now + DAY); /* the lifetime ends first */
    assert_int_equal(ak_policy_judge(&p, &r, now + DAY, NULL, NULL),
                     AK_KEY_EXPIRED);
}

/* A value that names the key but says nothing readable revokes it. */
static void test_apply_fail_closed(void **state)
{
    static const char *const bad[] = {
        KID,
        KID " ",
        KID " soon revoked",
        KID " 20300101000000Z",
        KID " 20300101000000Z rotated extra",
        KID " 20300101000000Z ROTATED",
        KID " 20300101000000Z maybe",
        KID " 2030010100Z rotated",
        KID " 20300101000000+0100 rotated",
        KID "  20300101000000Z rotated",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ak_record r = key(now - DAY, now + DAY);
        assert_true(apply(&r, bad[i]));
        assert_int_equal(ak_policy_judge(NULL, &r, now, NULL, NULL),
                         AK_KEY_REVOKED);
    }
    /* values that name no key (or another one) are about nothing */
    {
        static const char *const none[] = {
            "", "x", "abcdefghijklmno",
            "abcdefghijklmnopq 20300101000000Z revoked", /* 17 letters */
            "ABCDEFGHIJKLMNOP 20300101000000Z revoked"};
        for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
            struct ak_record r = key(now - DAY, now + DAY);
            assert_false(apply(&r, none[i]));
            assert_int_equal(ak_policy_judge(NULL, &r, now, NULL, NULL),
                             AK_KEY_VALID);
        }
    }
}

/* Names: byte for byte, or ASCII case only; never width, spaces or any
 * other Unicode folding. */
static void test_names(void **state)
{
#define EQ(a, b, nocase) ak_text_equal(a, strlen(a), b, strlen(b), nocase)
    (void)state;
    assert_true(EQ("admin", "admin", false));
    assert_false(EQ("Admin", "admin", false));
    assert_true(EQ("Admin", "admin", true));
    assert_true(EQ("ADMIN", "admin", true));
    assert_false(EQ("admin ", "admin", true));
    assert_false(EQ(" admin", "admin", true));
    assert_false(EQ("\xef\xbd\x92\xef\xbd\x8f\xef\xbd\x8f\xef\xbd\x94", "root",
                    true));                                 /* ｒｏｏｔ */
    assert_false(EQ("\xc3\x89mile", "\xc3\xa9mile", true)); /* Émile */
    assert_true(ak_text_equal("ro\0t", 4, "RO\0T", 4, true));
    assert_false(ak_text_equal("ro\0t", 4, "ro\0u", 4, true));
#undef EQ
}

static const char *locks(enum ak_owner_attr a, const char *v)
{
    return ak_owner_value_locks(a, v, strlen(v), now);
}

static void gt(char *buf, time_t t)
{
    assert_int_equal(ak_time_format(t, buf), AK_OK);
}

/* ppolicy 2.5's validity window, and AD's expiry and lockout. */
static void test_more_locks(void **state)
{
    char t[32];
    long long ft;
    (void)state;
    gt(t, now + 3600);
    assert_non_null(locks(AK_OWNER_PWD_START, t));
    assert_null(locks(AK_OWNER_PWD_END, t));
    gt(t, now - 3600);
    assert_null(locks(AK_OWNER_PWD_START, t));
    assert_non_null(locks(AK_OWNER_PWD_END, t));
    gt(t, now);
    assert_null(locks(AK_OWNER_PWD_START, t));   /* from that second on */
    assert_non_null(locks(AK_OWNER_PWD_END, t)); /* no longer at it */
    assert_non_null(locks(AK_OWNER_PWD_START, "tomorrow"));
    assert_non_null(locks(AK_OWNER_PWD_END, ""));
    /* the forms servers write (fractions, offsets) parse */
    assert_null(locks(AK_OWNER_PWD_END, "99991231235959.5Z"));
    assert_null(locks(AK_OWNER_PWD_START, "19700101010000+0100"));

    /* accountExpires: 100 ns since 1601; 0 and 2^63-1 are "never" */
    assert_null(locks(AK_OWNER_AD_EXPIRES, "0"));
    assert_null(locks(AK_OWNER_AD_EXPIRES, "9223372036854775807"));
    ft = ((long long)now + 11644473600LL + DAY) * 10000000LL;
    snprintf(t, sizeof(t), "%lld", ft);
    assert_null(locks(AK_OWNER_AD_EXPIRES, t));
    ft = ((long long)now + 11644473600LL - 1) * 10000000LL;
    snprintf(t, sizeof(t), "%lld", ft);
    assert_non_null(locks(AK_OWNER_AD_EXPIRES, t));
    assert_non_null(locks(AK_OWNER_AD_EXPIRES, "9223372036854775808"));
    assert_non_null(locks(AK_OWNER_AD_EXPIRES, "-1"));
    assert_non_null(locks(AK_OWNER_AD_EXPIRES, "never"));
    /* lockoutTime: non-zero is locked out */
    assert_null(locks(AK_OWNER_AD_LOCKOUT, "0"));
    assert_non_null(locks(AK_OWNER_AD_LOCKOUT, "133000000000000000"));
    assert_non_null(locks(AK_OWNER_AD_LOCKOUT, "x"));
    /* which attributes apply */
    assert_int_equal(ak_owner_n_attrs("uid"), AK_OWNER_N_COMMON);
    assert_int_equal(ak_owner_n_attrs("sAMAccountName"), AK_OWNER_N_ATTRS);
    assert_int_equal(ak_owner_n_attrs("userprincipalname"), AK_OWNER_N_ATTRS);
    for (int a = 0; a < AK_OWNER_N_ATTRS; a++) {
        assert_non_null(ak_owner_attr_names[a]);
        assert_non_null(strstr(ak_owner_tagged_locks((enum ak_owner_attr)a),
                               ak_owner_attr_names[a]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_apply_with_policy),
        cmocka_unit_test(test_apply_fail_closed),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_more_locks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
