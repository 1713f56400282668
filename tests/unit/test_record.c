/* SPDX-License-Identifier: BSD-3-Clause */
/* test_record.c - key records: canonical round trip and strict rejection */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_record.h"
#include "ak_status.h"

#define SALT "000102030405060708090a0b0c0d0e0f"
#define DIG "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b"
#define BASE                                                                   \
    "v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG                         \
    " created=20061127000000Z expires=20071127000000Z"

static int parse(const char *s, struct ak_record *r, const char **why)
{
    return ak_record_parse(s, strlen(s), r, why);
}

static void test_minimal(void **state)
{
    struct ak_record r;
    char out[AK_RECORD_MAX + 1];
    (void)state;
    assert_int_equal(parse(BASE, &r, NULL), AK_OK);
    assert_string_equal(r.id, "abcdefghijklmnop");
    assert_int_equal(r.salt[15], 0x0f);
    assert_int_equal(r.digest[0], 0x82);
    assert_true(r.has_expires);
    assert_int_equal(r.expires - r.created, 365 * 86400);
    assert_false(r.is_revoked);
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), AK_OK);
    assert_string_equal(out, BASE);
}

static void test_full_roundtrip(void **state)
{
    static const char full[] =
        BASE " revoked=20061201000000Z label=my%20laptop%20%C3%A9%25"
             " scope=sshd,smtp,imap notified=60,30,7 used=20061130120000Z";
    struct ak_record r, r2;
    char out[AK_RECORD_MAX + 1];
    (void)state;
    assert_int_equal(parse(full, &r, NULL), AK_OK);
    assert_string_equal(r.label, "my laptop \xc3\xa9%");
    assert_int_equal(r.n_scopes, 3);
    assert_string_equal(r.scopes[2], "imap");
    assert_int_equal(r.n_notified, 3);
    assert_int_equal(r.notified[2], 7);
    assert_true(r.is_revoked);
    assert_true(r.has_used);
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), AK_OK);
    assert_string_equal(out, full);
    /* fields in another order parse to the same record */
    assert_int_equal(
        parse("v1 scope=sshd,smtp,imap id=abcdefghijklmnop expires="
              "20071127000000Z used=20061130120000Z hash=b2b256:" SALT ":" DIG
              " notified=60,30,7 revoked=20061201000000Z"
              " created=20061127000000Z label=my%20laptop%20%c3%a9%25",
              &r2, NULL),
        AK_OK);
    assert_memory_equal(&r, &r2, sizeof(r));
}

static void test_never(void **state)
{
    struct ak_record r;
    char out[AK_RECORD_MAX + 1];
    (void)state;
    assert_int_equal(parse("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
                           " created=20061127000000Z expires=never",
                           &r, NULL),
                     AK_OK);
    assert_false(r.has_expires);
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), AK_OK);
    assert_non_null(strstr(out, "expires=never"));
}

static void bad(const char *s, const char *why_want)
{
    struct ak_record r;
    const char *why = NULL;
    assert_int_equal(parse(s, &r, &why), AK_ERR_MALFORMED);
    assert_non_null(why);
    if (why_want)
        assert_string_equal(why, why_want);
}

static void test_rejections(void **state)
{
    static char huge[1 << 20];
    (void)state;
    /* BI-12: each malformed stored value is refused, never crashes */
    bad("", "empty record");
    bad("v2 id=abcdefghijklmnop", "unknown record version");
    bad("v1", "unknown record version");
    bad("v1 ", "trailing space");
    bad(BASE " ", "trailing space");
    bad("v1  id=abcdefghijklmnop", "empty field");
    bad(BASE " bogus=1", "unknown field");
    bad(BASE " label", "field without value");
    bad(BASE " label=", "empty value");
    bad(BASE " id=abcdefghijklmnop", "duplicate field");
    bad("v1 hash=b2b256:" SALT ":" DIG " created=20061127000000Z expires=never",
        "missing id");
    bad("v1 id=abcdefghijklmnop created=20061127000000Z expires=never",
        "missing hash");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG " expires=never",
        "missing created");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z",
        "missing expires");
    bad("v1 id=ABCDEFGHIJKLMNOP hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=never",
        "bad id");
    /* hash: unknown algorithm, truncated argon2, wrong lengths, upper case */
    bad("v1 id=abcdefghijklmnop hash=$argon2id$v=19$m=65536"
        " created=20061127000000Z expires=never",
        "unknown hash algorithm");
    bad("v1 id=abcdefghijklmnop hash=sha256:" SALT ":" DIG
        " created=20061127000000Z expires=never",
        "unknown hash algorithm");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG "00"
        " created=20061127000000Z expires=never",
        "bad hash");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT
        " created=20061127000000Z expires=never",
        "bad hash");
    bad("v1 id=abcdefghijklmnop hash=b2b256:000102030405060708090A0B0C0D0E0F"
        ":" DIG " created=20061127000000Z expires=never",
        "bad hash");
    /* times: only canonical UTC seconds in records */
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=9999",
        "bad expires");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=19691231235959Z",
        "bad expires");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=20071127000000+0000",
        "bad expires");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=20071127000000.5Z",
        "bad expires");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=20061127000000Z expires=20070231000000Z",
        "bad expires");
    bad("v1 id=abcdefghijklmnop hash=b2b256:" SALT ":" DIG
        " created=2006112700000Z expires=never",
        "bad created");
    bad(BASE " revoked=yes", "bad revoked");
    bad(BASE " used=0", "bad used");
    /* labels: raw space, bad escapes, control chars, invalid UTF-8, long */
    bad(BASE " label=a%2", "bad label");
    bad(BASE " label=a%zz", "bad label");
    bad(BASE " label=a%0a", "bad label");
    bad(BASE " label=%ff", "bad label");
    bad(BASE " label=%c0%80", "bad label");
    bad(BASE " label=a/b", "bad label");
    bad(BASE
        " label=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaa",
        "bad label");
    /* scope */
    bad(BASE " scope=sshd,", "bad scope");
    bad(BASE " scope=,sshd", "bad scope");
    bad(BASE " scope=SSHD", "bad scope");
    bad(BASE " scope=sshd,sshd", "bad scope");
    bad(BASE " scope=a*b", "bad scope");
    /* notified */
    bad(BASE " notified=7,7", "bad notified");
    bad(BASE " notified=07", "bad notified");
    bad(BASE " notified=7,", "bad notified");
    bad(BASE " notified=-1", "bad notified");
    bad(BASE " notified=99999", "bad notified");
    bad(BASE " notified=1,2,3,4,5,6,7,8,9", "bad notified");
    /* 1 MiB value */
    memset(huge, 'a', sizeof(huge));
    {
        struct ak_record r;
        const char *why = NULL;
        assert_int_equal(ak_record_parse(huge, sizeof(huge), &r, &why),
                         AK_ERR_MALFORMED);
        assert_string_equal(why, "record too long");
    }
    /* embedded NUL inside a length-delimited value */
    {
        char v[] = BASE " label=ab";
        struct ak_record r;
        v[sizeof(v) - 2] = '\0';
        assert_int_equal(ak_record_parse(v, sizeof(v) - 1, &r, NULL),
                         AK_ERR_MALFORMED);
    }
}

static void test_peek(void **state)
{
    char id[AK_KEY_ID_LEN + 1];
    (void)state;
    assert_true(ak_record_peek_id(BASE, strlen(BASE), id));
    assert_string_equal(id, "abcdefghijklmnop");
    assert_true(ak_record_peek_id("v1 id=abcdefghijklmnop", 22, id));
    assert_false(ak_record_peek_id("v1 id=abcdefghijklmnopq", 23, id));
    assert_false(ak_record_peek_id("v1 id=abcdefghijklmno", 21, id));
    assert_false(ak_record_peek_id("v2 id=abcdefghijklmnop", 22, id));
    assert_false(ak_record_peek_id("v1 x=1 id=abcdefghijklmnop", 26, id));
}

static void test_service_scope(void **state)
{
    struct ak_record r;
    (void)state;
    assert_int_equal(parse(BASE, &r, NULL), AK_OK);
    assert_true(ak_record_allows_service(&r, "sshd"));
    assert_true(ak_record_allows_service(&r, NULL));
    assert_int_equal(parse(BASE " scope=sshd,smtp", &r, NULL), AK_OK);
    assert_true(ak_record_allows_service(&r, "sshd"));
    assert_true(ak_record_allows_service(&r, "SMTP"));
    assert_false(ak_record_allows_service(&r, "imap"));
    assert_false(ak_record_allows_service(&r, "ssh"));
    assert_false(ak_record_allows_service(&r, NULL));
    assert_false(ak_record_allows_service(&r, ""));
}

static void test_format_limits(void **state)
{
    struct ak_record r;
    char small[32];
    char out[AK_RECORD_MAX + 1];
    (void)state;
    assert_int_equal(parse(BASE, &r, NULL), AK_OK);
    assert_int_equal(ak_record_format(&r, small, sizeof(small)), AK_ERR_NOMEM);
    assert_string_equal(small, "");
    strcpy(r.label, "bad\nlabel");
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), AK_ERR_INVALID);
    r.label[0] = '\0';
    r.n_scopes = 1;
    strcpy(r.scopes[0], "Bad");
    assert_int_equal(ak_record_format(&r, out, sizeof(out)), AK_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_full_roundtrip),
        cmocka_unit_test(test_never),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_service_scope),
        cmocka_unit_test(test_format_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
