/* SPDX-License-Identifier: BSD-3-Clause */
/* test_sasl_proto.c - the pure parts of sasl_apikey: message parsers and
 * builders of the three mechanisms, the result table, the log levels */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <syslog.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "ak_status.h"
#include "apikey_proto.h"
#include "apikey_result.h"

#define KEY                                                                    \
    "ak_abcdefghijklmnop_"                                                     \
    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwxyzabcdefg"

static int parse(enum apikey_mech m, const char *s, size_t len,
                 struct apikey_creds *c)
{
    const char *why = NULL;
    int rc = apikey_parse_client_first(m, s, len, c, &why);
    /* every refusal says why; a success never does */
    if (rc == AK_OK)
        assert_null(why);
    else
        assert_non_null(why);
    return rc;
}

static void assert_field(const char *p, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_apikey_parse(void **state)
{
    struct apikey_creds c;
    static const char m1[] = "\0alice\0" KEY;
    static const char m2[] = "bob\0alice\0" KEY;
    static const char m3[] = "\0\0" KEY;
    static const char m4[] = "\0alice\0";
    (void)state;

    assert_int_equal(parse(APIKEY_MECH_APIKEY, m1, sizeof(m1) - 1, &c), AK_OK);
    assert_int_equal(c.authzid_len, 0);
    assert_field(c.authcid, c.authcid_len, "alice");
    assert_field(c.key, c.key_len, KEY);

    assert_int_equal(parse(APIKEY_MECH_APIKEY, m2, sizeof(m2) - 1, &c), AK_OK);
    assert_field(c.authzid, c.authzid_len, "bob");
    assert_field(c.authcid, c.authcid_len, "alice");

    /* no user: the key finds its owner */
    assert_int_equal(parse(APIKEY_MECH_APIKEY, m3, sizeof(m3) - 1, &c), AK_OK);
    assert_int_equal(c.authcid_len, 0);
    /* empty key: framing is fine, the verifier refuses it (BI-04) */
    assert_int_equal(parse(APIKEY_MECH_APIKEY, m4, sizeof(m4) - 1, &c), AK_OK);
    assert_int_equal(c.key_len, 0);

    assert_int_equal(parse(APIKEY_MECH_APIKEY, "alice", 5, &c),
                     AK_ERR_MALFORMED);
    assert_int_equal(parse(APIKEY_MECH_APIKEY, "\0alice", 6, &c),
                     AK_ERR_MALFORMED);
    assert_int_equal(parse(APIKEY_MECH_APIKEY, "\0a\0k\0j", 7, &c),
                     AK_ERR_MALFORMED); /* BI-03 */
    assert_int_equal(parse(APIKEY_MECH_APIKEY, "\0a\tb\0k", 7, &c),
                     AK_ERR_MALFORMED);
    assert_int_equal(parse(APIKEY_MECH_APIKEY, "\xc0\xaf\0a\0k", 6, &c),
                     AK_ERR_MALFORMED); /* overlong UTF-8 */
    assert_int_equal(parse(APIKEY_MECH_APIKEY, "", 0, &c), AK_ERR_MALFORMED);
    assert_int_equal(parse(APIKEY_MECH_APIKEY, NULL, 0, &c), AK_ERR_MALFORMED);
    /* failure leaves nothing pointing into the input */
    assert_null(c.key);
    assert_int_equal(c.key_len, 0);
}

static void test_oauthbearer_parse(void **state)
{
    struct apikey_creds c;
    static const char rfc[] =
        "n,a=user@example.com,\x01"
        "host=server.example.com\x01port=143\x01"
        "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
    static const char esc[] = "y,a=a=2Cb=3Dc,\x01"
                              "auth=BEARER  tok\x01\x01";
    static const char noz[] = "n,,\x01"
                              "auth=Bearer tok\x01\x01";
    (void)state;

    assert_int_equal(parse(APIKEY_MECH_OAUTHBEARER, rfc, sizeof(rfc) - 1, &c),
                     AK_OK);
    assert_field(c.authzid, c.authzid_len, "user@example.com");
    assert_field(c.key, c.key_len,
                 "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    assert_int_equal(c.authcid_len, 0);

    assert_int_equal(parse(APIKEY_MECH_OAUTHBEARER, esc, sizeof(esc) - 1, &c),
                     AK_OK);
    assert_field(c.authzid, c.authzid_len, "a,b=c");
    assert_field(c.key, c.key_len, "tok");

    assert_int_equal(parse(APIKEY_MECH_OAUTHBEARER, noz, sizeof(noz) - 1, &c),
                     AK_OK);
    assert_int_equal(c.authzid_len, 0);

    /* every prefix of a valid message is refused (truncated GS2 header,
     * Cyrus #888 class, missing separators) */
    for (size_t n = 0; n < sizeof(rfc) - 1; n++)
        assert_int_equal(parse(APIKEY_MECH_OAUTHBEARER, rfc, n, &c),
                         AK_ERR_MALFORMED);
}

static void test_xoauth2_parse(void **state)
{
    struct apikey_creds c;
    static const char ok[] =
        "user=someuser@example.com\x01"
        "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\x01\x01";
    static const char utf8[] = "user=j\xc3\xb6rg\x01"
                               "auth=Bearer t\x01\x01";
    static const char bad[] = "user=\xff\x01"
                              "auth=Bearer t\x01\x01";
    (void)state;

    assert_int_equal(parse(APIKEY_MECH_XOAUTH2, ok, sizeof(ok) - 1, &c), AK_OK);
    assert_field(c.authzid, c.authzid_len, "someuser@example.com");
    assert_field(c.key, c.key_len,
                 "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg");
    assert_int_equal(parse(APIKEY_MECH_XOAUTH2, utf8, sizeof(utf8) - 1, &c),
                     AK_OK);
    assert_field(c.authzid, c.authzid_len, "j\xc3\xb6rg");
    for (size_t n = 0; n < sizeof(ok) - 1; n++)
        assert_int_equal(parse(APIKEY_MECH_XOAUTH2, ok, n, &c),
                         AK_ERR_MALFORMED);
    assert_int_equal(parse(APIKEY_MECH_XOAUTH2, bad, sizeof(bad) - 1, &c),
                     AK_ERR_MALFORMED);
}

static void test_size_limit(void **state)
{
    static char big[APIKEY_MSG_MAX + 1];
    struct apikey_creds c;
    (void)state;
    memset(big, 'k', sizeof(big));
    big[0] = big[1] = '\0';
    assert_int_equal(parse(APIKEY_MECH_APIKEY, big, APIKEY_MSG_MAX, &c), AK_OK);
    assert_int_equal(parse(APIKEY_MECH_APIKEY, big, APIKEY_MSG_MAX + 1, &c),
                     AK_ERR_MALFORMED);
}

/* What the client builds, the server parses back to the same fields. */
static void test_build_roundtrip(void **state)
{
    struct names {
        const char *authz, *authn;
    } names[] = {{NULL, "alice"},
                 {"bob", "alice"},
                 {NULL, NULL},
                 {"a,b=c", NULL},
                 {"j\xc3\xb6rg", "x"}};
    char buf[APIKEY_MSG_MAX];
    (void)state;

    for (int m = 0; m < APIKEY_MECH_COUNT; m++) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            struct apikey_creds c;
            size_t n = 0;
            const char *az = names[i].authz, *an = names[i].authn;
            int rc = apikey_build_client_first(
                (enum apikey_mech)m, az, az ? strlen(az) : 0, an,
                an ? strlen(an) : 0, KEY, strlen(KEY),
                m == APIKEY_MECH_OAUTHBEARER ? "imap.example.org" : NULL, buf,
                sizeof(buf), &n);
            if (m == APIKEY_MECH_XOAUTH2 && az == NULL && an == NULL) {
                assert_int_equal(rc, AK_ERR_INVALID); /* needs a user */
                continue;
            }
            assert_int_equal(rc, AK_OK);
            assert_int_equal(parse((enum apikey_mech)m, buf, n, &c), AK_OK);
            assert_field(c.key, c.key_len, KEY);
            if (m == APIKEY_MECH_APIKEY) {
                assert_field(c.authzid, c.authzid_len, az ? az : "");
                assert_field(c.authcid, c.authcid_len, an ? an : "");
            } else {
                const char *one = az ? az : an;
                if (m == APIKEY_MECH_OAUTHBEARER)
                    one = az; /* the builder's caller picks the name */
                assert_field(c.authzid, c.authzid_len, one ? one : "");
            }
        }
    }
}

static void test_build_refuses(void **state)
{
    char buf[64];
    size_t n;
    (void)state;
    /* a NUL in an APIKEY key, a space in a bearer token, a control byte in
     * a name, a too small buffer */
    assert_int_equal(apikey_build_client_first(APIKEY_MECH_APIKEY, NULL, 0, "a",
                                               1, "k\0j", 3, NULL, buf,
                                               sizeof(buf), &n),
                     AK_ERR_INVALID);
    assert_int_equal(apikey_build_client_first(APIKEY_MECH_OAUTHBEARER, NULL, 0,
                                               NULL, 0, "a b", 3, NULL, buf,
                                               sizeof(buf), &n),
                     AK_ERR_INVALID);
    assert_int_equal(apikey_build_client_first(APIKEY_MECH_XOAUTH2, "a\x01", 2,
                                               NULL, 0, "t", 1, NULL, buf,
                                               sizeof(buf), &n),
                     AK_ERR_INVALID);
    assert_int_equal(apikey_build_client_first(APIKEY_MECH_APIKEY, NULL, 0,
                                               "alice", 5, KEY, strlen(KEY),
                                               NULL, buf, sizeof(buf), &n),
                     AK_ERR_INVALID);
}

static void test_error_flow(void **state)
{
    size_t n;
    const char *chal;
    (void)state;
    chal = apikey_error_challenge(APIKEY_MECH_OAUTHBEARER, &n);
    assert_non_null(chal);
    assert_int_equal(n, strlen("{\"status\":\"invalid_token\"}"));
    assert_memory_equal(chal, "{\"status\":\"invalid_token\"}", n);
    assert_non_null(apikey_error_challenge(APIKEY_MECH_XOAUTH2, &n));
    assert_null(apikey_error_challenge(APIKEY_MECH_APIKEY, &n));

    assert_true(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "\x01", 1));
    /* msmtp's empty answer acknowledges the error too */
    assert_true(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "", 0));
    assert_true(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, NULL, 0));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "\x01\x01", 2));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "x", 1));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "\0", 1));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, "\r\n", 2));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, " ", 1));
    assert_true(apikey_error_reply_ok(APIKEY_MECH_XOAUTH2, "", 0));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_XOAUTH2, "\x01", 1));
    assert_false(apikey_error_reply_ok(APIKEY_MECH_APIKEY, "", 0));

    chal = apikey_error_reply(APIKEY_MECH_OAUTHBEARER, &n);
    assert_true(apikey_error_reply_ok(APIKEY_MECH_OAUTHBEARER, chal, n));
    chal = apikey_error_reply(APIKEY_MECH_XOAUTH2, &n);
    assert_true(apikey_error_reply_ok(APIKEY_MECH_XOAUTH2, chal, n));
}

/* The mechanism table: every row complete and where its id says, with
 * the security properties sasl_apikey(8) documents for all three. */
static void test_mech_table(void **state)
{
    (void)state;
    for (int m = 0; m < APIKEY_MECH_COUNT; m++) {
        const struct apikey_mech_def *d = &apikey_mechs[m];
        size_t n = 0;
        assert_int_equal(d->id, m);
        assert_non_null(d->name);
        assert_string_equal(apikey_mech_name((enum apikey_mech)m), d->name);
        assert_non_null(d->parse);
        assert_non_null(d->build);
        assert_non_null(d->error_reply);
        /* never anonymous, and nothing claims a security layer */
        assert_true(d->security_flags & SASL_SEC_NOANONYMOUS);
        assert_false(d->security_flags & SASL_SEC_NOPLAINTEXT);
        assert_true(d->features & SASL_FEAT_WANT_CLIENT_FIRST);
        /* a challenge has an answer the server takes */
        if (d->error_challenge != NULL)
            assert_true(apikey_error_reply_ok(
                (enum apikey_mech)m,
                apikey_error_reply((enum apikey_mech)m, &n), n));
        for (int o = 0; o < m; o++)
            assert_string_not_equal(apikey_mechs[o].name, d->name);
    }
    assert_string_equal(apikey_mech_name(APIKEY_MECH_COUNT), "?");
}

/* The documented table, row by row (sasl_apikey(8), README.md). */
static void test_result_table(void **state)
{
    static const struct {
        enum ak_outcome o;
        int want;
    } rows[] = {
        {AK_VERIFY_OK, SASL_OK},
        {AK_VERIFY_MALFORMED, SASL_BADAUTH},
        {AK_VERIFY_WRONG_KEY, SASL_BADAUTH},
        {AK_VERIFY_UNKNOWN_KEY, SASL_BADAUTH},
        {AK_VERIFY_EXPIRED, SASL_BADAUTH},
        {AK_VERIFY_REVOKED, SASL_BADAUTH},
        {AK_VERIFY_OWNER_LOCKED, SASL_BADAUTH},
        {AK_VERIFY_SCOPE_DENIED, SASL_BADAUTH},
        {AK_VERIFY_UNAVAILABLE, SASL_UNAVAIL},
        {AK_VERIFY_INTERNAL, SASL_UNAVAIL},
        {(enum ak_outcome)99, SASL_FAIL},
    };
    static const struct {
        int status;
        int want;
    } st[] = {
        {AK_ERR_MALFORMED, SASL_BADPROT}, {AK_ERR_NOMEM, SASL_NOMEM},
        {AK_ERR_CONFIG, SASL_UNAVAIL},    {AK_ERR_NOT_FOUND, SASL_UNAVAIL},
        {AK_ERR_IO, SASL_UNAVAIL},        {AK_ERR_INVALID, SASL_UNAVAIL},
        {AK_ERR_BACKEND, SASL_UNAVAIL},   {AK_ERR_CRYPTO, SASL_UNAVAIL},
        {AK_ERR_DENIED, SASL_FAIL},       {-99, SASL_FAIL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(apikey_sasl_result(AK_OK, rows[i].o), rows[i].want);
    /* a status other than AK_OK wins over any outcome */
    for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
        assert_int_equal(apikey_sasl_result(st[i].status, AK_VERIFY_OK),
                         st[i].want);
    /* SASL_CONFIGERR is Postfix's permanent 535 "error when parsing
     * configuration file": no status and no outcome ever gives it. */
    for (int status = -20; status <= 0; status++)
        for (int o = AK_VERIFY_OK; o <= AK_VERIFY_INTERNAL + 1; o++)
            assert_int_not_equal(apikey_sasl_result(status, (enum ak_outcome)o),
                                 SASL_CONFIGERR);
    assert_string_equal(apikey_sasl_code_name(SASL_BADAUTH), "SASL_BADAUTH");
    assert_non_null(apikey_sasl_code_name(12345));
}

static void test_log_levels(void **state)
{
    (void)state;
    assert_int_equal(apikey_sasl_log_level(LOG_CRIT), SASL_LOG_ERR);
    assert_int_equal(apikey_sasl_log_level(LOG_ERR), SASL_LOG_ERR);
    assert_int_equal(apikey_sasl_log_level(LOG_WARNING), SASL_LOG_WARN);
    assert_int_equal(apikey_sasl_log_level(LOG_NOTICE), SASL_LOG_FAIL);
    assert_int_equal(apikey_sasl_log_level(LOG_INFO), SASL_LOG_NOTE);
    assert_int_equal(apikey_sasl_log_level(LOG_DEBUG), SASL_LOG_DEBUG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apikey_parse),
        cmocka_unit_test(test_oauthbearer_parse),
        cmocka_unit_test(test_xoauth2_parse),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_build_roundtrip),
        cmocka_unit_test(test_build_refuses),
        cmocka_unit_test(test_error_flow),
        cmocka_unit_test(test_mech_table),
        cmocka_unit_test(test_result_table),
        cmocka_unit_test(test_log_levels),
    };
    return cmocka_run_group_tests_name("sasl-proto", tests, NULL, NULL);
}
