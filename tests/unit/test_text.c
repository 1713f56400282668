/* SPDX-License-Identifier: BSD-3-Clause */
/* test_text.c - terminal-active code points (issue 16): the one list, the
 * check of text people choose, and how any bytes are shown */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ak_record.h"
#include "ak_text.h"

/* The review's label, verbatim: CSI "2J" (clears the screen), then an RLO
 * that shows "evil" reversed and everything after it. */
static const char review[] = "ok\xc2\x9b"
                             "2J\xe2\x80\xae"
                             "evil";

static void test_kinds(void **state)
{
    static const struct {
        uint32_t cp;
        enum ak_cp_kind kind;
    } t[] = {
        {0x00, AK_CP_C0},
        {0x09, AK_CP_C0},
        {0x0a, AK_CP_C0},
        {0x1b, AK_CP_C0},
        {0x1f, AK_CP_C0},
        {0x7f, AK_CP_C0},
        {0x80, AK_CP_C1},
        {0x85, AK_CP_C1},
        {0x9b, AK_CP_C1},
        {0x9d, AK_CP_C1},
        {0x9f, AK_CP_C1},
        {0x061c, AK_CP_BIDI},
        {0x200e, AK_CP_BIDI},
        {0x200f, AK_CP_BIDI},
        {0x202a, AK_CP_BIDI},
        {0x202e, AK_CP_BIDI},
        {0x2066, AK_CP_BIDI},
        {0x2069, AK_CP_BIDI},
        {0x2028, AK_CP_LINE},
        {0x2029, AK_CP_LINE},
        {0xfeff, AK_CP_FORMAT},
        {0x206a, AK_CP_FORMAT},
        {0x206f, AK_CP_FORMAT},
        {0xfff9, AK_CP_FORMAT},
        {0xfffb, AK_CP_FORMAT},
        /* neighbours and what people write stay plain */
        {0x20, AK_CP_PLAIN},
        {0x7e, AK_CP_PLAIN},
        {0xa0, AK_CP_PLAIN},
        {0xe9, AK_CP_PLAIN},
        {0x061b, AK_CP_PLAIN},
        {0x200d, AK_CP_PLAIN},
        {0x2027, AK_CP_PLAIN},
        {0x202f, AK_CP_PLAIN},
        {0x2065, AK_CP_PLAIN},
        {0x2070, AK_CP_PLAIN},
        {0xfffc, AK_CP_PLAIN},
        {0xfffd, AK_CP_PLAIN},
        {0x1f680, AK_CP_PLAIN},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (ak_cp_kind(t[i].cp) != t[i].kind)
            fail_msg("U+%04X: kind %d, want %d", (unsigned)t[i].cp,
                     (int)ak_cp_kind(t[i].cp), (int)t[i].kind);
}

static void test_next(void **state)
{
    uint32_t cp = 0;
    (void)state;
    assert_int_equal(ak_utf8_next("a", 1, &cp), 1);
    assert_int_equal(cp, 'a');
    assert_int_equal(ak_utf8_next("\xc2\x9b", 2, &cp), 2);
    assert_int_equal(cp, 0x9b);
    assert_int_equal(ak_utf8_next("\xe2\x80\xae", 3, &cp), 3);
    assert_int_equal(cp, 0x202e);
    assert_int_equal(ak_utf8_next("\xf0\x9f\x9a\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1f680);
    assert_int_equal(ak_utf8_next("\xe2\x80\xae", 2, &cp), 0); /* cut */
    assert_int_equal(ak_utf8_next("\x80", 1, &cp), 0);
    assert_int_equal(ak_utf8_next("\xc0\x80", 2, &cp), 0); /* overlong NUL */
    assert_int_equal(ak_utf8_next("\xed\xa0\x80", 3, &cp), 0);
}

static void test_shown_ok(void **state)
{
    char why[96];
    (void)state;
    assert_false(
        ak_text_shown_ok(review, strlen(review), 64, why, sizeof(why)));
    assert_string_equal(why, "U+009B (a C1 control character) at byte 3");
    assert_false(ak_text_shown_ok("x\xe2\x80\xaey", 5, 64, why, sizeof(why)));
    assert_string_equal(why, "U+202E (a bidirectional control) at byte 2");
    assert_false(ak_text_shown_ok("x\x1b[2J", 5, 64, why, sizeof(why)));
    assert_string_equal(why, "U+001B (a C0 control character) at byte 2");
    assert_false(ak_text_shown_ok("a\xe2\x80\xa8", 4, 64, why, sizeof(why)));
    assert_string_equal(why,
                        "U+2028 (a line or paragraph separator) at byte 2");
    assert_false(ak_text_shown_ok("\xef\xbb\xbfx", 4, 64, why, sizeof(why)));
    assert_string_equal(why, "U+FEFF (an invisible format control) at byte 1");
    assert_false(ak_text_shown_ok("a\xff", 2, 64, why, sizeof(why)));
    assert_string_equal(why, "not UTF-8 at byte 2");
    assert_false(ak_text_shown_ok("a\0b", 3, 64, why, sizeof(why)));
    assert_string_equal(why, "U+0000 (a C0 control character) at byte 2");
    assert_false(ak_text_shown_ok("abc", 3, 2, why, sizeof(why)));
    assert_string_equal(why, "3 bytes, at most 2");
    /* what people write */
    assert_true(ak_text_shown_ok("", 0, 64, why, sizeof(why)));
    assert_true(ak_text_shown_ok("Laptop (Z\xc3\xbcrich)", 15, 64, NULL, 0));
    assert_true(ak_text_shown_ok("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 8, 64,
                                 NULL, 0)); /* Hebrew: no control needed */
    assert_true(ak_text_shown_ok("CI \xf0\x9f\x9a\x80", 7, 64, NULL, 0));
    assert_true(ak_text_shown_ok("a\\b", 3, 64, NULL, 0));
    /* a small buffer is cut, never overrun */
    assert_false(ak_text_shown_ok(review, strlen(review), 64, why, 5));
    assert_string_equal(why, "U+00");
}

static void test_escape(void **state)
{
    char out[64], small[8];
    (void)state;
    assert_int_equal(ak_text_escape(out, sizeof(out), review, strlen(review)),
                     strlen("ok\\u009b2J\\u202eevil"));
    assert_string_equal(out, "ok\\u009b2J\\u202eevil");
    ak_text_escape(out, sizeof(out), "a\x1b[2J\r\n\tb\x7f", 10);
    assert_string_equal(out, "a\\x1b[2J\\x0d\\x0a\\x09b\\x7f");
    ak_text_escape(out, sizeof(out), "a\xff\xc0\xaf", 4);
    assert_string_equal(out, "a\\xff\\xc0\\xaf");
    ak_text_escape(out, sizeof(out), "Z\xc3\xbcrich \xf0\x9f\x9a\x80", 12);
    assert_string_equal(out, "Z\xc3\xbcrich \xf0\x9f\x9a\x80");
    /* a NUL in the value is shown, not an end */
    ak_text_escape(out, sizeof(out), "a\0b", 3);
    assert_string_equal(out, "a\\x00b");
    /* cut at whole pieces: never half an escape or half a character */
    assert_int_equal(
        ak_text_escape(small, sizeof(small), review, strlen(review)), 20);
    assert_string_equal(small, "ok");
    assert_int_equal(ak_text_escape(small, 3, "\xc3\xa9\xc3\xa9", 4), 4);
    assert_string_equal(small, "\xc3\xa9");
    assert_int_equal(ak_text_escape(NULL, 0, review, strlen(review)), 20);
}

/* A stored record keeps working whatever its label shows (the verifier is
 * unchanged); only a new label is held to the terminal rule. */
static void test_labels(void **state)
{
    static const char rec[] =
        "v1 id=abcdefghijklmnop hash=b2b256:"
        "000102030405060708090a0b0c0d0e0f:"
        "82838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1"
        " created=20061127000000Z expires=20071127000000Z"
        " label=ok%C2%9B2J%E2%80%AEevil";
    struct ak_record r;
    char out[AK_RECORD_MAX + 1], why[96];
    const char *bad = NULL;
    (void)state;
    assert_int_equal(ak_record_parse(rec, strlen(rec), &r, &bad), 0);
    assert_string_equal(r.label, review);
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), 0);
    assert_string_equal(out, rec);
    assert_true(ak_label_valid(review, strlen(review)));
    assert_false(ak_label_check(review, strlen(review), why, sizeof(why)));
    assert_string_equal(why, "U+009B (a C1 control character) at byte 3");
    assert_true(ak_label_check("laptop", 6, why, sizeof(why)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),    cmocka_unit_test(test_next),
        cmocka_unit_test(test_shown_ok), cmocka_unit_test(test_escape),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
