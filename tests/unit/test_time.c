/* SPDX-License-Identifier: BSD-3-Clause */
/* test_time.c - the one GeneralizedTime parser (BI-16) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "ak_time.h"

static time_t p(const char *s, bool strict)
{
    time_t t = -1;
    assert_int_equal(ak_time_parse(s, strlen(s), strict, &t), AK_OK);
    return t;
}

static void bad(const char *s, bool strict)
{
    time_t t;
    assert_int_equal(ak_time_parse(s, strlen(s), strict, &t), AK_ERR_MALFORMED);
}

static void test_known(void **state)
{
    (void)state;
    assert_int_equal(p("19700101000000Z", true), 0);
    assert_int_equal(p("20000301000000Z", true), 951868800);
    assert_int_equal(p("20380119031408Z", true), 2147483648LL);
    assert_int_equal(p("20240229120000Z", true), 1709208000);
    assert_int_equal(p("99991231235959Z", true), 253402300799LL);
}

static void test_forms_agree(void **state)
{
    time_t t = p("20061127130000Z", true);
    (void)state;
    /* Z vs +0000, fractions dropped, offsets applied, short forms */
    assert_int_equal(p("20061127130000+0000", false), t);
    assert_int_equal(p("20061127130000.999Z", false), t);
    assert_int_equal(p("20061127130000,5Z", false), t);
    assert_int_equal(p("20061127140000+0100", false), t);
    assert_int_equal(p("20061127083000-0430", false), t);
    assert_int_equal(p("20061127140000+01", false), t);
    assert_int_equal(p("200611271300Z", false), t);
    assert_int_equal(p("2006112713Z", false), t);
    /* a leap second counts as the next second, in both modes */
    assert_int_equal(p("20161231235960Z", false), p("20170101000000Z", true));
    assert_int_equal(p("20161231235960Z", true), p("20170101000000Z", true));
}

static void test_rejects(void **state)
{
    (void)state;
    bad("", false);
    bad("2006112713", false); /* no zone: local time */
    bad("20061127130000", false);
    bad("20061127130000+0000", true); /* strict: only Z */
    bad("20061127130000.5Z", true);
    bad("200611271300Z", true);
    bad("20061127130000Z ", false);
    bad(" 20061127130000Z", false);
    bad("20061127130000z", false);
    bad("20061327130000Z", false); /* month 13 */
    bad("20060431130000Z", false); /* 31 April */
    bad("20230229130000Z", false); /* not a leap year */
    bad("20061127240000Z", false);
    bad("20061127136000Z", false);
    bad("20061127130061Z", false);
    bad("19691231235959Z", false); /* before 1970 */
    bad("9999", false);
    bad("20061127130000+2400", false);
    bad("20061127130000+0060", false);
    bad("20061127130000.Z", false);
    bad("2006-11-27T13:00:00Z", false);
}

static void test_format(void **state)
{
    char buf[AK_TIME_LEN + 1];
    (void)state;
    assert_int_equal(ak_time_format(0, buf), AK_OK);
    assert_string_equal(buf, "19700101000000Z");
    assert_int_equal(ak_time_format(1709208000, buf), AK_OK);
    assert_string_equal(buf, "20240229120000Z");
    assert_int_equal(ak_time_format(-1, buf), AK_ERR_INVALID);
    assert_int_equal(ak_time_format(253402300800LL, buf), AK_ERR_INVALID);
    for (time_t t = 0; t < 4000000000LL; t += 86399 * 37) {
        assert_int_equal(ak_time_format(t, buf), AK_OK);
        assert_int_equal(p(buf, true), t);
    }
}

static void test_human(void **state)
{
    time_t t;
    (void)state;
    assert_int_equal(ak_time_parse_human("2007-01-31", &t), AK_OK);
    assert_int_equal(t, p("20070131000000Z", true));
    assert_int_equal(ak_time_parse_human("2007-01-31T12:30Z", &t), AK_OK);
    assert_int_equal(t, p("20070131123000Z", true));
    assert_int_equal(ak_time_parse_human("2007-01-31T12:30:15Z", &t), AK_OK);
    assert_int_equal(t, p("20070131123015Z", true));
    assert_int_equal(ak_time_parse_human("20070131123015Z", &t), AK_OK);
    assert_int_equal(ak_time_parse_human("2007-02-30", &t), AK_ERR_MALFORMED);
    assert_int_equal(ak_time_parse_human("2007-1-31", &t), AK_ERR_MALFORMED);
    assert_int_equal(ak_time_parse_human("2007-01-31T12:30", &t),
                     AK_ERR_MALFORMED);
    assert_int_equal(ak_time_parse_human("2007-01-31 ", &t), AK_ERR_MALFORMED);
    assert_int_equal(ak_time_parse_human("tomorrow", &t), AK_ERR_MALFORMED);
    assert_int_equal(ak_time_parse_human("", &t), AK_ERR_MALFORMED);
}

static void test_tz_independent(void **state)
{
    (void)state;
    setenv("TZ", "America/New_York", 1);
    assert_int_equal(p("20061127130000Z", true), 1164632400);
    setenv("TZ", "Asia/Kolkata", 1);
    assert_int_equal(p("20061127130000Z", true), 1164632400);
    unsetenv("TZ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),   cmocka_unit_test(test_forms_agree),
        cmocka_unit_test(test_rejects), cmocka_unit_test(test_format),
        cmocka_unit_test(test_human),   cmocka_unit_test(test_tz_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
