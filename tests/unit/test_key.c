/* SPDX-License-Identifier: BSD-3-Clause */
/* test_key.c - key format: generation, parsing, every rejection */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_hash.h"
#include "ak_key.h"
#include "ak_status.h"

static void gen(char *buf, struct ak_key *k)
{
    assert_int_equal(ak_key_generate("ak", buf, AK_KEY_MAX_LEN + 1, k), AK_OK);
}

static void test_generate_parse_roundtrip(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        char buf[AK_KEY_MAX_LEN + 1];
        struct ak_key k, p;
        gen(buf, &k);
        assert_true(strlen(buf) < 100);
        assert_int_equal(ak_key_parse(buf, strlen(buf), &p, NULL), AK_OK);
        assert_string_equal(p.prefix, "ak");
        assert_string_equal(p.id, k.id);
        assert_memory_equal(buf + 3, k.id, AK_KEY_ID_LEN);
        /* URL- and shell-safe alphabet only */
        assert_int_equal(strspn(buf, "abcdefghijklmnopqrstuvwxyz234567_"),
                         strlen(buf));
    }
}

static void test_generate_unique(void **state)
{
    char a[AK_KEY_MAX_LEN + 1], b[AK_KEY_MAX_LEN + 1];
    struct ak_key ka, kb;
    (void)state;
    gen(a, &ka);
    gen(b, &kb);
    assert_string_not_equal(a, b);
    assert_string_not_equal(ka.id, kb.id);
}

static void test_prefixes(void **state)
{
    char buf[AK_KEY_MAX_LEN + 1];
    struct ak_key k;
    (void)state;
    assert_int_equal(ak_key_generate("acme2026", buf, sizeof(buf), &k), AK_OK);
    assert_int_equal(ak_key_parse(buf, strlen(buf), &k, NULL), AK_OK);
    assert_string_equal(k.prefix, "acme2026");
    assert_int_equal(ak_key_generate("abcdefghij", buf, sizeof(buf), &k),
                     AK_OK);
    assert_int_equal(strlen(buf), AK_KEY_MAX_LEN);
    assert_int_equal(ak_key_parse(buf, strlen(buf), &k, NULL), AK_OK);
    assert_int_equal(ak_key_generate("abcdefghijk", buf, sizeof(buf), &k),
                     AK_ERR_INVALID);
    assert_int_equal(ak_key_generate("1ak", buf, sizeof(buf), &k),
                     AK_ERR_INVALID);
    assert_int_equal(ak_key_generate("Ak", buf, sizeof(buf), &k),
                     AK_ERR_INVALID);
    assert_int_equal(ak_key_generate("", buf, sizeof(buf), &k), AK_ERR_INVALID);
    assert_int_equal(ak_key_generate("ak", buf, AK_KEY_MAX_LEN, &k),
                     AK_ERR_INVALID);
}

static void expect_bad(const char *s, size_t len, const char *why_want)
{
    const char *why = NULL;
    struct ak_key k;
    assert_int_equal(ak_key_parse(s, len, &k, &why), AK_ERR_MALFORMED);
    assert_non_null(why);
    if (why_want != NULL)
        assert_string_equal(why, why_want);
}

static void test_reject_variants(void **state)
{
    char buf[AK_KEY_MAX_LEN + 1], m[2 * AK_KEY_MAX_LEN];
    struct ak_key k;
    size_t n;
    (void)state;
    gen(buf, &k);
    n = strlen(buf);

    expect_bad(NULL, 0, "empty");
    expect_bad("", 0, "empty");
    expect_bad("a", 1, NULL);
    /* BI-11: last byte dropped, one appended, prefix alone */
    expect_bad(buf, n - 1, "wrong length");
    memcpy(m, buf, n);
    m[n] = 'a';
    expect_bad(m, n + 1, "wrong length");
    expect_bad(buf, 3, NULL);
    /* every single-character substitution is caught by the checksum */
    for (size_t i = 3; i < n; i++) {
        if (buf[i] == '_')
            continue;
        memcpy(m, buf, n);
        m[i] = m[i] == 'a' ? 'b' : 'a';
        expect_bad(m, n, NULL);
    }
    /* transposition of two neighbours */
    memcpy(m, buf, n);
    for (size_t i = 25; i < n - 1; i++) {
        if (m[i] != m[i + 1]) {
            char t = m[i];
            m[i] = m[i + 1];
            m[i + 1] = t;
            expect_bad(m, n, "checksum mismatch");
            break;
        }
    }
    /* upper case is a different key */
    memcpy(m, buf, n);
    for (size_t i = 3; i < n; i++)
        if (m[i] >= 'a' && m[i] <= 'z') {
            m[i] = (char)(m[i] - 'a' + 'A');
            break;
        }
    expect_bad(m, n, NULL);
    /* BI-03: embedded NUL, length-delimited */
    memcpy(m, buf, n);
    m[20] = '\0';
    expect_bad(m, n, "bad character");
    memcpy(m, buf, n);
    m[n] = '\0';
    memcpy(m + n + 1, "junk", 4);
    expect_bad(m, n + 5, NULL);
    /* separators missing or moved */
    memcpy(m, buf, n);
    m[2] = 'x';
    expect_bad(m, n, NULL);
    memcpy(m, buf, n);
    m[3 + AK_KEY_ID_LEN] = 'a';
    expect_bad(m, n, NULL);
    /* too long before any other work: 8 KiB */
    {
        static char big[8192];
        memset(big, 'a', sizeof(big));
        expect_bad(big, sizeof(big), "too long");
    }
    /* whitespace around a good key is not trimmed by the parser */
    m[0] = ' ';
    memcpy(m + 1, buf, n);
    expect_bad(m, n + 1, NULL);
}

static void test_crc32_vector(void **state)
{
    (void)state;
    /* The standard check value of CRC-32/ISO-HDLC. */
    assert_int_equal(ak_crc32("123456789", 9), 0xcbf43926UL);
    assert_int_equal(ak_crc32("", 0), 0);
}

static void test_id_valid(void **state)
{
    (void)state;
    assert_true(ak_key_id_valid("abcdefghijklmnop", 16));
    assert_true(ak_key_id_valid("234567abcdefghij", 16));
    assert_false(ak_key_id_valid("abcdefghijklmno", 15));
    assert_false(ak_key_id_valid("abcdefghijklmno1", 16));
    assert_false(ak_key_id_valid("ABCDEFGHIJKLMNOP", 16));
    assert_false(ak_key_id_valid("abcdefghijklmno*", 16));
}

static void test_hash(void **state)
{
    uint8_t salt[AK_HASH_SALT_LEN], salt2[AK_HASH_SALT_LEN];
    uint8_t d1[AK_HASH_DIGEST_LEN], d2[AK_HASH_DIGEST_LEN];
    char buf[AK_KEY_MAX_LEN + 1];
    struct ak_key k;
    (void)state;
    gen(buf, &k);
    ak_hash_new_salt(salt);
    memcpy(salt2, salt, sizeof(salt));
    salt2[0] ^= 1;
    assert_int_equal(ak_hash_compute(d1, buf, strlen(buf), salt), AK_OK);
    assert_int_equal(ak_hash_compute(d2, buf, strlen(buf), salt), AK_OK);
    assert_memory_equal(d1, d2, sizeof(d1));
    assert_true(ak_hash_verify(d1, buf, strlen(buf), salt));
    /* another salt, a shorter key, a longer key: all different */
    assert_false(ak_hash_verify(d1, buf, strlen(buf), salt2));
    assert_false(ak_hash_verify(d1, buf, strlen(buf) - 1, salt));
    buf[strlen(buf) - 1] ^= 1;
    assert_false(ak_hash_verify(d1, buf, strlen(buf), salt));
}

static void test_hash_vector(void **state)
{
    /* Known answer: BLAKE2b-256, salt 00..0f, personal "apikey-v1". A change
     * here would invalidate every stored key. */
    static const char key[] =
        "ak_aaaaaaaaaaaaaaaa_"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbaaaaaaa";
    uint8_t salt[AK_HASH_SALT_LEN], d[AK_HASH_DIGEST_LEN];
    char hex[2 * AK_HASH_DIGEST_LEN + 1];
    (void)state;
    for (int i = 0; i < AK_HASH_SALT_LEN; i++)
        salt[i] = (uint8_t)i;
    assert_int_equal(ak_hash_compute(d, key, strlen(key), salt), AK_OK);
    for (int i = 0; i < AK_HASH_DIGEST_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    /* computed independently with Python's hashlib.blake2b */
    assert_string_equal(
        hex,
        "8209ae87f14d09c68d63b0a7b1f9ddc89215e8b29df33cb94abd433ffe24d50b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_parse_roundtrip),
        cmocka_unit_test(test_generate_unique),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_reject_variants),
        cmocka_unit_test(test_crc32_vector),
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_hash_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
