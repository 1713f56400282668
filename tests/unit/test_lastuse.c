/* SPDX-License-Identifier: BSD-3-Clause */
/* test_lastuse.c - apiKeyLastUsed values, the interval rule, config keys */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ak_config.h"
#include "ak_lastuse.h"
#include "ak_status.h"

static const time_t NOW = 1141214400; /* 2006-03-01T12:00:00Z */
#define KID "abcdefghijklmnop"

static void test_format_parse(void **state)
{
    char buf[AK_LASTUSE_LEN + 1], kid[AK_KEY_ID_LEN + 1];
    time_t t = 0;
    (void)state;
    assert_int_equal(ak_lastuse_format(KID, NOW, buf), AK_OK);
    assert_string_equal(buf, KID " 20060301120000Z");
    assert_true(ak_lastuse_parse(buf, strlen(buf), kid, &t));
    assert_string_equal(kid, KID);
    assert_int_equal(t, NOW);
    /* not NUL-terminated: only len counts */
    assert_true(
        ak_lastuse_parse(KID " 20060301120000Zjunk", AK_LASTUSE_LEN, kid, &t));
    assert_int_equal(ak_lastuse_format("short", NOW, buf), AK_ERR_INVALID);
    assert_int_equal(ak_lastuse_format("ABCDEFGHIJKLMNOP", NOW, buf),
                     AK_ERR_INVALID);
    assert_false(ak_lastuse_parse("", 0, kid, &t));
    assert_false(ak_lastuse_parse(KID "20060301120000Z", 31, kid, &t));
    assert_false(ak_lastuse_parse(KID " 20060301120000", 32, kid, &t));
    assert_false(ak_lastuse_parse(KID " 2006030112000Z ", 32, kid, &t));
    assert_false(ak_lastuse_parse(KID " 20060230120000Z", 32, kid, &t));
    assert_false(
        ak_lastuse_parse("abcdefghijklmno1 20060301120000Z", 32, kid, &t));
    assert_false(ak_lastuse_parse(KID "  0060301120000Z", 32, kid, &t));
}

static void test_latest(void **state)
{
    char *vals[] = {
        (char *)(uintptr_t)KID " 20060301120000Z",
        (char *)(uintptr_t) "qrstuvwxyz234567 20070101000000Z",
        (char *)(uintptr_t)KID " 20060302120000Z",
        (char *)(uintptr_t)KID " garbage",
    };
    time_t t = 0;
    (void)state;
    assert_true(ak_lastuse_latest(vals, 4, KID, &t));
    assert_int_equal(t, NOW + 86400);
    assert_true(ak_lastuse_latest(vals, 4, "qrstuvwxyz234567", &t));
    assert_false(ak_lastuse_latest(vals, 4, "aaaaaaaaaaaaaaaa", &t));
    assert_false(ak_lastuse_latest(vals, 0, KID, &t));
}

static void test_due(void **state)
{
    (void)state;
    assert_true(ak_lastuse_due(false, 0, NOW, 15));
    assert_false(ak_lastuse_due(true, NOW, NOW, 15));
    assert_false(ak_lastuse_due(true, NOW - 14 * 60 - 59, NOW, 15));
    assert_true(ak_lastuse_due(true, NOW - 15 * 60, NOW, 15));
    assert_true(ak_lastuse_due(true, NOW - 86400, NOW, 15));
    /* another host's clock a little ahead: leave it */
    assert_false(ak_lastuse_due(true, NOW + 60, NOW, 15));
    assert_false(ak_lastuse_due(true, NOW + 15 * 60, NOW, 15));
    /* far in the future: no skew explains it, rewrite */
    assert_true(ak_lastuse_due(true, NOW + 15 * 60 + 1, NOW, 15));
    assert_true(ak_lastuse_due(true, NOW - 60, NOW, 1));
}

static void test_config_keys(void **state)
{
    static const char base[] = "uri ldap://x\nuser_base dc=x\n";
    struct ak_config *c = NULL;
    char buf[256];
    (void)state;
    assert_int_equal(ak_config_parse(&c, base, strlen(base), "t", NULL), AK_OK);
    assert_false(c->track_last_use); /* off by default */
    assert_int_equal(c->last_use_interval, 15);
    ak_config_free(c);
    snprintf(buf, sizeof(buf), "%strack_last_use\n", base);
    assert_int_equal(ak_config_parse(&c, buf, strlen(buf), "t", NULL), AK_OK);
    assert_true(c->track_last_use);
    assert_int_equal(c->last_use_interval, 15);
    ak_config_free(c);
    snprintf(buf, sizeof(buf), "%strack_last_use yes\nlast_use_interval 60\n",
             base);
    assert_int_equal(ak_config_parse(&c, buf, strlen(buf), "t", NULL), AK_OK);
    assert_int_equal(c->last_use_interval, 60);
    ak_config_free(c);
    c = NULL;
    snprintf(buf, sizeof(buf), "%slast_use_interval 0\n", base);
    assert_int_equal(ak_config_parse(&c, buf, strlen(buf), "t", NULL),
                     AK_ERR_CONFIG);
    snprintf(buf, sizeof(buf), "%slast_use_interval 1441\n", base);
    assert_int_equal(ak_config_parse(&c, buf, strlen(buf), "t", NULL),
                     AK_ERR_CONFIG);
    snprintf(buf, sizeof(buf), "%strack_last_use sometimes\n", base);
    assert_int_equal(ak_config_parse(&c, buf, strlen(buf), "t", NULL),
                     AK_ERR_CONFIG);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_latest),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
