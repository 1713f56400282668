/* SPDX-License-Identifier: BSD-3-Clause */
/* test_misc.c - UTF-8, log sanitising, DN comparison, filter escaping */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ak_dn.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_status.h"
#include "ak_text.h"

static void test_utf8(void **state)
{
    (void)state;
    assert_true(ak_utf8_valid("", 0));
    assert_true(ak_utf8_valid("plain", 5));
    assert_true(ak_utf8_valid("\xc3\xa9", 2));
    assert_true(ak_utf8_valid("\xe2\x82\xac", 3));
    assert_true(ak_utf8_valid("\xf0\x9f\x94\x91", 4));
    assert_false(ak_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(ak_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(ak_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(ak_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(ak_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(ak_utf8_valid("\xff", 1));
    assert_false(ak_utf8_valid("a\0b", 3));
    assert_true(ak_has_ctl("a\nb", 3));
    assert_true(ak_has_ctl("a\x7f", 2));
    assert_false(ak_has_ctl("a b", 3));
}

static void test_user_names(void **state)
{
    static char big[65536];
    (void)state;
    assert_true(ak_user_name_valid("alice", 5));
    assert_true(ak_user_name_valid("*", 1)); /* escaped, never rejected */
    assert_false(ak_user_name_valid("", 0));
    assert_false(ak_user_name_valid("alice\0bob", 9));
    assert_false(ak_user_name_valid("alice\r\n", 7));
    memset(big, 'a', sizeof(big));
    assert_true(ak_user_name_valid(big, 256));
    assert_false(ak_user_name_valid(big, 257));
    assert_false(ak_user_name_valid(big, 4096));
    assert_false(ak_user_name_valid(big, sizeof(big)));
}

static char last[AK_LOG_LINE_MAX + 16];
static int last_prio, n_lines;

static void sink(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    last_prio = prio;
    n_lines++;
    strcpy(last, msg);
}

static void test_log(void **state)
{
    struct ak_log log = {.sink = sink};
    char big[3000];
    (void)state;
    n_lines = 0;
    ak_log(&log, LOG_NOTICE, "user %s", "eve\nFAKE: root logged in\r");
    assert_int_equal(n_lines, 1);
    assert_int_equal(last_prio, LOG_NOTICE);
    assert_string_equal(last, "user eve?FAKE: root logged in?");
    ak_debug(&log, "hidden %d", 1);
    ak_log(&log, LOG_DEBUG, "hidden too");
    assert_int_equal(n_lines, 1);
    log.debug = true;
    ak_debug(&log, "shown %d", 2);
    assert_string_equal(last, "shown 2");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ak_log(&log, LOG_ERR, "%s", big);
    assert_int_equal(strlen(last), AK_LOG_LINE_MAX - 1);
    assert_non_null(strstr(last, "[truncated]"));
    ak_log(NULL, LOG_ERR, "no crash");
    errno = ENOENT;
    ak_log_errno(&log, LOG_ERR, "open %s", "x");
    assert_string_equal(last, "open x: No such file or directory");
}

static void test_quote(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(ak_log_quote(buf, sizeof(buf), "alice", 5), "alice");
    assert_string_equal(ak_log_quote(buf, sizeof(buf), "a\0b\n\\", 5),
                        "a\\x00b\\x0a\\x5c");
    assert_string_equal(ak_log_quote(buf, sizeof(buf), NULL, 0), "(none)");
    assert_string_equal(ak_log_quote(buf, 12, "abcdefghijklmnopqrstuvwxyz", 26),
                        "abcdefgh...");
}

static void test_dn(void **state)
{
    char *anc = NULL;
    (void)state;
    assert_true(ak_dn_valid("dc=example,dc=org"));
    assert_false(ak_dn_valid(""));
    assert_false(ak_dn_valid("not a dn"));
    assert_true(ak_dn_equal("uid=Alice, ou=People,DC=example,dc=org",
                            "uid=alice,ou=people,dc=example,dc=org"));
    assert_false(ak_dn_equal("uid=alice,ou=people,dc=example,dc=org",
                             "ou=people,dc=example,dc=org"));
    assert_true(ak_dn_is_under("uid=a,ou=people,dc=example,dc=org",
                               "ou=people,dc=example,dc=org"));
    assert_true(ak_dn_is_under("ou=people,dc=example,dc=org",
                               "ou=people,dc=example,dc=org"));
    assert_false(ak_dn_is_under("uid=a,ou=services,dc=example,dc=org",
                                "ou=people,dc=example,dc=org"));
    /* an escaped comma is part of a value, not an RDN boundary */
    assert_false(ak_dn_is_under("cn=x\\,ou=people,dc=example,dc=org",
                                "ou=people,dc=example,dc=org"));
    assert_false(ak_dn_is_under("uid=a,ou=xpeople,dc=example,dc=org",
                                "ou=people,dc=example,dc=org"));
    assert_int_equal(ak_dn_common_ancestor("ou=people,dc=example,dc=org",
                                           "ou=services,dc=example,dc=org",
                                           &anc),
                     AK_OK);
    assert_string_equal(anc, "dc=example,dc=org");
    free(anc);
    assert_int_equal(ak_dn_common_ancestor("ou=people,dc=example,dc=org",
                                           "ou=people,dc=example,dc=org", &anc),
                     AK_OK);
    assert_string_equal(anc, "ou=people,dc=example,dc=org");
    free(anc);
    assert_int_equal(ak_dn_common_ancestor("ou=a,dc=one", "ou=a,dc=two", &anc),
                     AK_ERR_NOT_FOUND);
}

static bool under(const char *dn, const char *base)
{
    return ak_dn_text_under(dn, strlen(dn), base);
}

static void test_dn_text(void **state)
{
    static const char *const people = "ou=people,dc=example,dc=org";
    (void)state;
    /* certain positives */
    assert_true(under("uid=a,ou=people,dc=example,dc=org", people));
    assert_true(under("UID=A,OU=People,DC=Example,DC=org", people));
    assert_true(under("ou=people,dc=example,dc=org", people));
    assert_true(under("uid=a\\\\,ou=people,dc=example,dc=org", people));
    assert_true(ak_dn_text_equal("CN=P,dc=x", 9, "cn=p,dc=x"));
    /* never a false "yes": escaped commas, other subtrees, partial RDNs */
    assert_false(under("cn=x\\,ou=people,dc=example,dc=org", people));
    assert_false(under("cn=x\\\\\\,ou=people,dc=example,dc=org", people));
    assert_false(under("uid=a,ou=xpeople,dc=example,dc=org", people));
    assert_false(under("uid=a,ou=services,dc=example,dc=org", people));
    assert_false(under("dc=example,dc=org", people));
    assert_false(under(",ou=people,dc=example,dc=org", people));
    assert_false(
        ak_dn_text_under("uid=a,ou=people,dc=example,dc=org", 10, people));
    assert_false(ak_dn_text_equal("cn=p,dc=x", 9, NULL));
    assert_false(ak_dn_text_equal("cn=p,dc=x", 9, "cn=p,dc=y"));
    /* spelled differently but equal: the fast path says "parse" */
    assert_false(under("uid=a,ou=people, dc=example,dc=org", people));
    assert_true(ak_dn_is_under("uid=a,ou=people, dc=example,dc=org", people));
}

static void filter(const char *value, size_t len, const char *want)
{
    char *f = NULL;
    assert_int_equal(ak_filter_eq("uid", value, len, &f), AK_OK);
    assert_string_equal(f, want);
    free(f);
}

static void test_filter_escape(void **state)
{
    (void)state;
    /* BI-01 vectors: every metacharacter RFC 4515-escaped */
    filter("*", 1, "(uid=\\2A)");
    filter("a*", 2, "(uid=a\\2A)");
    filter("*)(uid=*", 8, "(uid=\\2A\\29\\28uid=\\2A)");
    filter("admin)(|(uid=*", 14, "(uid=admin\\29\\28|\\28uid=\\2A)");
    filter("x)(|(uid=*))", 12, "(uid=x\\29\\28|\\28uid=\\2A\\29\\29)");
    filter("\\", 1, "(uid=\\5C)");
    filter("\\2a", 3, "(uid=\\5C2a)");
    filter("abc@def.ghi)(name=victim)(abc=xyz", 33,
           "(uid=abc@def.ghi\\29\\28name=victim\\29\\28abc=xyz)");
    filter("a\0b", 3, "(uid=a\\00b)");
}

static void test_strings(void **state)
{
    (void)state;
    for (int s = 1; s >= -12; s--)
        assert_non_null(ak_strerror(s));
    for (int o = 0; o < 12; o++)
        assert_non_null(ak_outcome_str((enum ak_outcome)o));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_user_names),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_dn),
        cmocka_unit_test(test_dn_text),
        cmocka_unit_test(test_filter_escape),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
