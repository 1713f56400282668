/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cli_pure.c - the apikey command's dates, key filters and value rules */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_mail.h"
#include "ak_status.h"
#include "ak_store_service.h"
#include "ak_view.h"
#include "keysel.h"
#include "when.h"

#define DAY 86400
/* 2006-03-01T12:00:00Z */
static const time_t NOW = 1141214400;

static void test_days(void **state)
{
    long d = 0;
    (void)state;
    assert_int_equal(when_parse_days("30", 1, 100, &d), AK_OK);
    assert_int_equal(d, 30);
    assert_int_equal(when_parse_days("+30d", 1, 100, &d), AK_OK);
    assert_int_equal(d, 30);
    assert_int_equal(when_parse_days("7D", 1, 100, &d), AK_OK);
    assert_int_equal(d, 7);
    assert_int_equal(when_parse_days("0", 0, 100, &d), AK_OK);
    assert_int_equal(when_parse_days("0", 1, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("101", 1, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("", 1, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("d", 1, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("+", 1, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("-3", 0, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("3 ", 0, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("3x", 0, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("0x10", 0, 100, &d), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days("99999999999999999999", 0, 100, &d),
                     AK_ERR_MALFORMED);
    assert_int_equal(when_parse_days(NULL, 0, 100, &d), AK_ERR_MALFORMED);
}

static void test_dates(void **state)
{
    time_t t = 0;
    (void)state;
    assert_int_equal(when_parse_date("2007-01-31", NOW, &t), AK_OK);
    assert_int_equal(t, 1170201600); /* 2007-01-31T00:00:00Z */
    assert_int_equal(when_parse_date("2007-01-31T10:20Z", NOW, &t), AK_OK);
    assert_int_equal(t, 1170201600 + 10 * 3600 + 20 * 60);
    assert_int_equal(when_parse_date("20070131000000Z", NOW, &t), AK_OK);
    assert_int_equal(t, 1170201600);
    assert_int_equal(when_parse_date("+30d", NOW, &t), AK_OK);
    assert_int_equal(t, NOW + 30 * DAY);
    assert_int_equal(when_parse_date("30d", NOW, &t), AK_OK);
    assert_int_equal(t, NOW + 30 * DAY);
    assert_int_equal(when_parse_date("+30", NOW, &t), AK_OK);
    assert_int_equal(t, NOW + 30 * DAY);
    /* a bare number is no date, and no day count either */
    assert_int_equal(when_parse_date("30", NOW, &t), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_date("2007-02-30", NOW, &t), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_date("2007-1-31", NOW, &t), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_date("tomorrow", NOW, &t), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_date("+d", NOW, &t), AK_ERR_MALFORMED);
    assert_int_equal(when_parse_date("", NOW, &t), AK_ERR_MALFORMED);
}

static void test_relative(void **state)
{
    char b[64];
    (void)state;
    assert_string_equal(when_relative(b, sizeof(b), NOW + 30 * DAY, NOW),
                        "in 30 days");
    assert_string_equal(when_relative(b, sizeof(b), NOW - 3 * DAY, NOW),
                        "3 days ago");
    assert_string_equal(when_relative(b, sizeof(b), NOW + DAY + 5, NOW),
                        "in 1 day");
    assert_string_equal(when_relative(b, sizeof(b), NOW + 5 * 3600, NOW),
                        "in 5 h");
    assert_string_equal(when_relative(b, sizeof(b), NOW - 120, NOW),
                        "2 min ago");
    assert_string_equal(when_relative(b, sizeof(b), NOW + 10, NOW), "now");
    assert_int_equal(when_days_until(NOW + 30 * DAY, NOW), 30);
    assert_int_equal(when_days_until(NOW + 30 * DAY - 1, NOW), 29);
    assert_int_equal(when_days_until(NOW - 1, NOW), -1);
    assert_int_equal(when_days_until(NOW, NOW), 0);
    assert_string_equal(when_text(b, sizeof(b), true, NOW + 30 * DAY, NOW),
                        "2006-03-31 (in 30 days)");
    assert_string_equal(when_text(b, sizeof(b), false, 0, NOW), "-");
    /* a small buffer truncates, never overflows */
    assert_string_equal(when_text(b, 8, true, NOW, NOW), "2006-03");
}

static struct keysel_key key(enum ak_key_verdict v, long created_ago,
                             long expires_in, long used_ago)
{
    struct keysel_key k = {.verdict = v, .created = NOW - created_ago};
    k.has_expiry = expires_in != 0;
    k.expiry = NOW + expires_in;
    k.has_used = used_ago >= 0;
    k.used = NOW - used_ago;
    return k;
}

static void test_keysel(void **state)
{
    struct keysel s;
    struct keysel_key active = key(AK_KEY_VALID, 40 * DAY, 3 * DAY, -1);
    struct keysel_key later = key(AK_KEY_VALID, DAY, 60 * DAY, 2 * DAY);
    struct keysel_key forever = key(AK_KEY_VALID, DAY, 0, -1);
    struct keysel_key expired = key(AK_KEY_EXPIRED, 90 * DAY, -DAY, 50 * DAY);
    struct keysel_key required = key(AK_KEY_EXPIRY_REQUIRED, DAY, 0, -1);
    struct keysel_key revoked = key(AK_KEY_REVOKED, DAY, 9 * DAY, -1);
    (void)state;

    keysel_init(&s);
    assert_true(keysel_match(&s, &active, NOW));
    assert_true(keysel_match(&s, &revoked, NOW));
    assert_true(keysel_match(&s, &expired, NOW));

    keysel_init(&s);
    s.expired = true;
    assert_true(keysel_match(&s, &expired, NOW));
    assert_true(keysel_match(&s, &required, NOW)); /* refused: expired */
    assert_false(keysel_match(&s, &active, NOW));
    assert_false(keysel_match(&s, &revoked, NOW));
    s.revoked = true; /* states are alternatives */
    assert_true(keysel_match(&s, &revoked, NOW));
    assert_true(keysel_match(&s, &expired, NOW));
    assert_false(keysel_match(&s, &active, NOW));

    keysel_init(&s);
    s.expiring_days = 5;
    assert_true(keysel_match(&s, &active, NOW));
    assert_false(keysel_match(&s, &later, NOW));
    assert_false(keysel_match(&s, &forever, NOW));
    assert_false(keysel_match(&s, &expired, NOW)); /* already gone */
    assert_false(keysel_match(&s, &revoked, NOW));
    s.expiring_days = 0;
    assert_false(keysel_match(&s, &active, NOW));

    keysel_init(&s);
    s.never_used = true;
    assert_true(keysel_match(&s, &active, NOW));
    assert_false(keysel_match(&s, &later, NOW));

    keysel_init(&s);
    s.unused_days = 30;
    assert_true(keysel_match(&s, &active, NOW));   /* made 40 days ago */
    assert_false(keysel_match(&s, &forever, NOW)); /* made yesterday */
    assert_false(keysel_match(&s, &later, NOW));   /* used 2 days ago */
    assert_true(keysel_match(&s, &expired, NOW));  /* used 50 days ago */
    s.expired = true;                              /* and it combines */
    assert_false(keysel_match(&s, &active, NOW));

    assert_string_equal(keysel_state(AK_KEY_VALID), "active");
    assert_string_equal(keysel_state(AK_KEY_EXPIRY_REQUIRED), "expired");
    assert_string_equal(keysel_state(AK_KEY_REVOKED), "revoked");
    assert_string_equal(keysel_state(AK_KEY_CREATED_IN_FUTURE), "invalid");
}

/* The address a notice goes to: one value, one plain address. */
static void test_mail_single(void **state)
{
    struct ak_bytes two[] = {{"a@x.org", 7}, {"b@x.org", 7}};
    struct ak_bytes nul[] = {{"a@x.org\0b", 9}};
    struct ak_bytes crlf[] = {{"a@x.org\r\nBcc: e@v.org", 22}};
    struct ak_values vs = {two, 1, false};
    char *out = NULL;

    (void)state;
    assert_null(ak_mail_single(&vs, &out));
    assert_string_equal(out, "a@x.org");
    free(out);
    vs.n = 2; /* several: whom to write to is not ours to choose */
    assert_non_null(ak_mail_single(&vs, &out));
    assert_null(out);
    vs.n = 0;
    assert_non_null(ak_mail_single(&vs, &out));
    vs.n = 1;
    vs.tagged = true; /* mail;lang-x beside it */
    assert_non_null(ak_mail_single(&vs, &out));
    vs = (struct ak_values){nul, 1, false}; /* a NUL must not cut it short */
    assert_non_null(ak_mail_single(&vs, &out));
    assert_null(out);
    vs = (struct ak_values){crlf, 1, false};
    assert_non_null(ak_mail_single(&vs, &out));
    assert_null(out);
}

/* The addresses stored for notices: one recipient, no header. */
static void test_mail(void **state)
{
    struct ak_mail_list l;
    const char *bad = NULL;
    char many[AK_RECIPIENTS_MAX * 8 + 16] = "";

    (void)state;

    assert_true(ak_mail_ok("a@b"));
    assert_true(ak_mail_ok("ops+ci@example.org"));
    assert_false(ak_mail_ok("root"));
    assert_false(ak_mail_ok("@example.org"));
    assert_false(ak_mail_ok("a@"));
    assert_false(ak_mail_ok("a@b@c"));
    assert_false(ak_mail_ok("a@b.org\nBcc: x@y.org"));
    assert_false(ak_mail_ok("A <a@b.org>"));
    assert_false(ak_mail_ok("a@b.org,c@d.org"));
    assert_false(ak_mail_ok("\xc3\xa9@b.org"));

    assert_int_equal(ak_mail_list_parse("sec@x.org,ops@x.org", &l, &bad),
                     AK_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[1], "ops@x.org");
    assert_null(l.v[2]);
    assert_int_equal(ak_mail_list_parse("", &l, &bad), AK_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(ak_mail_list_parse("a@x.org,root", &l, &bad),
                     AK_ERR_INVALID);
    assert_string_equal(bad, "root");
    assert_int_equal(ak_mail_list_parse("a@x.org,A@X.org", &l, &bad),
                     AK_ERR_CONFLICT);
    assert_string_equal(bad, "A@X.org");
    for (int i = 0; i <= AK_RECIPIENTS_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%c@x.o",
                 i ? "," : "", 'a' + i);
    assert_int_equal(ak_mail_list_parse(many, &l, &bad), AK_ERR_INVALID);
    assert_string_equal(bad, "q@x.o"); /* the 17th */
}

/* Service users' names and texts. */
static void test_service_values(void **state)
{
    (void)state;
    assert_true(ak_service_name_ok("svc-ci"));
    assert_true(ak_service_name_ok("0backup.v2_x"));
    assert_false(ak_service_name_ok(""));
    assert_false(ak_service_name_ok("-svc"));
    assert_false(ak_service_name_ok("svc a"));
    assert_false(ak_service_name_ok("svc,ou=x"));
    assert_true(ak_service_name_ok(
        "a234567890123456789012345678901234567890123456789012345678901234"));
    assert_false(ak_service_name_ok(
        "a2345678901234567890123456789012345678901234567890123456789012345"));
    assert_true(ak_service_text_ok("CI robot \xc3\xa9", 64));
    assert_false(ak_service_text_ok("two\nlines", 64));
    assert_false(ak_service_text_ok("\xff", 64));
    assert_false(ak_service_text_ok("long", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_relative),
        cmocka_unit_test(test_keysel),
        cmocka_unit_test(test_mail),
        cmocka_unit_test(test_mail_single),
        cmocka_unit_test(test_service_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
