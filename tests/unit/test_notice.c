/* SPDX-License-Identifier: BSD-3-Clause */
/* test_notice.c - apiKeyNotice values and the notice planner (pure) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_notice.h"
#include "ak_status.h"
#include "ak_time.h"

#define DAY 86400L
#define HOUR 3600L
#define KID "abcdefghijklmnop"
#define OTHER_KID "bcdefghijklmnopq"

/* From the clock, whole seconds: the tests pass on any day. */
static time_t NOW;

static int setup(void **state)
{
    (void)state;
    NOW = time(NULL);
    return 0;
}

static const char *ts(char buf[AK_TIME_LEN + 1], time_t t)
{
    assert_int_equal(ak_time_format(t, buf), AK_OK);
    return buf;
}

/* {K} the key id, {E} the expiry, {T} a time. */
static size_t expand(char *out, size_t size, const char *tmpl, time_t e)
{
    char et[AK_TIME_LEN + 1], tt[AK_TIME_LEN + 1];
    size_t n = 0;

    ts(et, e);
    ts(tt, NOW - 60);
    for (const char *p = tmpl; *p != '\0' && n + 20 < size; p++) {
        const char *sub = NULL;
        if (strncmp(p, "{K}", 3) == 0)
            sub = KID;
        else if (strncmp(p, "{E}", 3) == 0)
            sub = et;
        else if (strncmp(p, "{T}", 3) == 0)
            sub = tt;
        if (sub != NULL) {
            memcpy(out + n, sub, strlen(sub));
            n += strlen(sub);
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return n;
}

/* --- values --------------------------------------------------------- */

static void test_round_trip(void **state)
{
    static const struct {
        enum ak_notice_state st;
        unsigned attempts;
        const char *host, *reason, *tail;
    } rows[] = {
        {AK_NOTICE_CLAIMED, 0, "mx-1.example.org", NULL,
         "claimed {T} mx-1.example.org"},
        {AK_NOTICE_CLAIMED, 4, "mx-1.example.org", NULL,
         "claimed {T} mx-1.example.org {T} 4"}, /* with its history */
        {AK_NOTICE_SENT, 0, NULL, NULL, "sent {T}"},
        {AK_NOTICE_DEFERRED, 3, NULL, NULL, "deferred {T} 3"},
        {AK_NOTICE_FAILED, 0, NULL, "tempfail-24h", "failed {T} tempfail-24h"},
        {AK_NOTICE_SKIPPED, 0, NULL, NULL, "skipped {T}"},
    };
    char e[AK_TIME_LEN + 1];
    char buf[AK_NOTICE_MAX + 1], want[AK_NOTICE_MAX + 64], tail[80];
    char prefix[AK_NOTICE_PREFIX_MAX + 1];
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct ak_notice n, back;
        memset(&n, 0, sizeof(n));
        memcpy(n.id.kid, KID, sizeof(n.id.kid));
        n.id.expires = NOW + 7 * DAY;
        n.id.stage = 7;
        n.id.class = i % 2 ? AK_NOTICE_ADMIN : AK_NOTICE_OWNER;
        n.state = rows[i].st;
        n.at = NOW - 60; /* {T} */
        n.attempts = rows[i].attempts;
        if (n.state == AK_NOTICE_CLAIMED && n.attempts > 0)
            n.first_failure = NOW - 60; /* {T} */
        if (rows[i].host)
            strcpy(n.host, rows[i].host);
        if (rows[i].reason)
            strcpy(n.reason, rows[i].reason);
        assert_int_equal(ak_notice_format(&n, buf), AK_OK);
        assert_int_equal(ak_notice_prefix(&n.id, prefix), AK_OK);
        expand(tail, sizeof(tail), rows[i].tail, 0);
        snprintf(want, sizeof(want), KID " %s 7 %s %s", ts(e, n.id.expires),
                 ak_notice_class_name(n.id.class), tail);
        assert_string_equal(buf, want);
        assert_memory_equal(buf, prefix, strlen(prefix));
        assert_int_equal(ak_notice_parse(buf, strlen(buf), &back, NULL), AK_OK);
        assert_memory_equal(&back, &n, sizeof(n));
        assert_int_equal(ak_notice_match(buf, strlen(buf), &n.id, NULL, NULL),
                         AK_NOTICE_THIS);
    }
}

static void test_format_refuses(void **state)
{
    struct ak_notice n;
    char buf[AK_NOTICE_MAX + 1], prefix[AK_NOTICE_PREFIX_MAX + 1];
    (void)state;

    memset(&n, 0, sizeof(n));
    memcpy(n.id.kid, KID, sizeof(n.id.kid));
    n.id.expires = NOW;
    n.at = NOW;
    n.state = AK_NOTICE_CLAIMED; /* no host */
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    strcpy(n.host, "a b");
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    strcpy(n.host, "mx-1");
    n.attempts = AK_NOTICE_ATTEMPTS_MAX + 1; /* a history out of range */
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    n.attempts = 2;
    n.first_failure = (time_t)-100000000000LL; /* not a record time */
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    n.first_failure = NOW;
    assert_int_equal(ak_notice_format(&n, buf), AK_OK);
    n.attempts = 0;
    n.state = AK_NOTICE_DEFERRED; /* attempts 0 */
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    n.state = AK_NOTICE_FAILED;
    strcpy(n.reason, "Upper");
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    n.state = AK_NOTICE_SENT;
    n.id.stage = AK_NOTICE_DAYS_MAX + 1;
    assert_int_equal(ak_notice_format(&n, buf), AK_ERR_INVALID);
    n.id.stage = 1;
    n.id.class = (enum ak_notice_class)7;
    assert_int_equal(ak_notice_prefix(&n.id, prefix), AK_ERR_INVALID);
    n.id.class = AK_NOTICE_OWNER;
    memcpy(n.id.kid, "ABCDEFGHIJKLMNOP", sizeof(n.id.kid));
    assert_int_equal(ak_notice_prefix(&n.id, prefix), AK_ERR_INVALID);
    memcpy(n.id.kid, KID, sizeof(n.id.kid));
    assert_int_equal(ak_notice_format(&n, buf), AK_OK);
    assert_true(strlen(buf) <= AK_NOTICE_MAX);
}

static void test_parse_refuses(void **state)
{
    static const struct {
        const char *v, *why;
    } rows[] = {
        {"{K} {E} 7 owner sent {T}", NULL},
        {"{K} {E} 0 admin skipped {T}", NULL},
        {"{K} {E} 3650 owner deferred {T} 999999", NULL},
        {"{K} {E} 7 owner sent {T} ", "extra field"},
        {"{K} {E} 7 owner sent {T} x", "extra field"},
        {"{K} {E}  7 owner sent {T}", "bad stage"},
        {" {K} {E} 7 owner sent {T}", "bad key id"},
        {"{K} {E} 07 owner sent {T}", "bad stage"},
        {"{K} {E} 3651 owner sent {T}", "bad stage"},
        {"{K} {E} -1 owner sent {T}", "bad stage"},
        {"{K} {E} 7 Owner sent {T}", "bad class"},
        {"{K} {E} 7 owner Sent {T}", "bad state"},
        {"{K} {E} 7 owner mailed {T}", "bad state"},
        {"{K} {E} 7 owner claimed {T}", "bad host"},
        {"{K} {E} 7 owner claimed {T} a_b", "bad host"},
        {"{K} {E} 7 owner claimed {T} "
         "a1234567890123456789012345678901234567890123456789012345678901234",
         "bad host"},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 2", NULL},
        {"{K} {E} 3650 owner claimed {T} "
         "a123456789012345678901234567890123456789012345678901234567890123 "
         "{T} 999999",
         NULL}, /* the longest value fits the schema's 160 */
        {"{K} {E} 7 owner claimed {T} mx-1 {T}", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 0", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 02", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 1000000", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 2 {T}", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 soon 2", "bad history"},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 2 x", "too many fields"},
        {"{K} {E} 7 owner deferred {T} 1 {T}", "bad attempts"},
        {"{K} {E} 7 owner deferred {T} 0", "bad attempts"},
        {"{K} {E} 7 owner deferred {T} 01", "bad attempts"},
        {"{K} {E} 7 owner deferred {T} 1000000", "bad attempts"},
        {"{K} {E} 7 owner deferred {T}", "bad attempts"},
        {"{K} {E} 7 owner failed {T} No-Mail", "bad reason"},
        {"{K} {E} 7 owner failed {T}", "bad reason"},
        {"{K} 19991301000000Z 7 owner sent {T}", "bad expiry"},
        {"{K} {E} 7 owner sent 1234567890123Z", "bad time"},
        {"{K} {E} 7 owner sent {T}z", "bad time"},
        {"{K} {E} 7 owner sent 20960101235960Z", "bad time"}, /* leap */
        {"{K} {E} 7 owner", "too few fields"},
        {"{K}", "too few fields"},
        {"", "too few fields"},
        {"a b c d e f g h i j", "too many fields"},
        {"ABCDEFGHIJKLMNOP {E} 7 owner sent {T}", "bad key id"},
    };
    char v[256];
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct ak_notice n;
        const char *why = NULL;
        assert_true(strlen(rows[i].v) < 160);
        size_t len = expand(v, sizeof(v), rows[i].v, NOW + DAY);
        int rc = ak_notice_parse(v, len, &n, &why);
        if (rows[i].why == NULL) {
            char back[AK_NOTICE_MAX + 1];
            assert_int_equal(rc, AK_OK);
            assert_int_equal(ak_notice_format(&n, back), AK_OK);
            assert_string_equal(back, v); /* canonical */
        } else {
            if (rc != AK_ERR_MALFORMED || why == NULL ||
                strcmp(why, rows[i].why) != 0)
                fail_msg("row %zu \"%s\": rc %d why %s, wanted %s", i, v, rc,
                         why ? why : "(null)", rows[i].why);
        }
    }
    /* a NUL inside, and more than the schema allows */
    expand(v, sizeof(v), "{K} {E} 7 owner sent {T}", NOW + DAY);
    v[20] = '\0';
    assert_int_equal(ak_notice_parse(v, strlen(v + 21) + 21, NULL, NULL),
                     AK_ERR_MALFORMED);
    memset(v, 'a', 200);
    assert_int_equal(ak_notice_parse(v, 200, NULL, NULL), AK_ERR_MALFORMED);
}

static void test_match(void **state)
{
    static const struct {
        const char *v;
        enum ak_notice_match want;
    } rows[] = {
        {"{K} {E} 7 owner sent {T}", AK_NOTICE_THIS},
        {OTHER_KID " {E} 7 owner sent {T}", AK_NOTICE_OTHER},
        {OTHER_KID " junk", AK_NOTICE_OTHER},
        {"hello", AK_NOTICE_OTHER},
        {"{K}x {E} 7 owner sent {T}", AK_NOTICE_OTHER},
        {"{K} {T} 7 owner sent {T}", AK_NOTICE_OTHER},    /* other expiry */
        {"{K} {E} 1 owner sent {T}", AK_NOTICE_OTHER},    /* other stage */
        {"{K} {E} 7 admin sent {T}", AK_NOTICE_OTHER},    /* other class */
        {"{K} {E} 1 owner junk junk", AK_NOTICE_OTHER},   /* other stage */
        {"{K}", AK_NOTICE_GARBAGE},                       /* no expiry */
        {"{K} soon 7 owner sent {T}", AK_NOTICE_GARBAGE}, /* bad expiry */
        {"{K} {E} seven owner sent {T}", AK_NOTICE_GARBAGE},
        {"{K} {E} 7 OWNER sent {T}", AK_NOTICE_GARBAGE},
        {"{K} {E} 7 owner sent", AK_NOTICE_GARBAGE},
        {"{K} {E} 7 owner sent {T} extra", AK_NOTICE_GARBAGE},
        {"{K} {E} 7 owner claimed {T} bad_host", AK_NOTICE_GARBAGE},
        {"{K} {E} 7 owner claimed {T} mx-1 {T} 0", AK_NOTICE_GARBAGE},
    };
    struct ak_notice_id id;
    char v[256];
    (void)state;

    memset(&id, 0, sizeof(id));
    memcpy(id.kid, KID, sizeof(id.kid));
    id.expires = NOW + 7 * DAY;
    id.stage = 7;
    id.class = AK_NOTICE_OWNER;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len = expand(v, sizeof(v), rows[i].v, id.expires);
        enum ak_notice_match m = ak_notice_match(v, len, &id, NULL, NULL);
        if (m != rows[i].want)
            fail_msg("row %zu \"%s\": %d, wanted %d", i, v, m, rows[i].want);
    }
}

static void test_backoff(void **state)
{
    struct ak_notice n;
    (void)state;

    assert_int_equal(ak_notice_backoff(1), 2 * 60);
    assert_int_equal(ak_notice_backoff(2), 4 * 60);
    assert_int_equal(ak_notice_backoff(5), 32 * 60);
    assert_int_equal(ak_notice_backoff(6), 3600);
    assert_int_equal(ak_notice_backoff(AK_NOTICE_ATTEMPTS_MAX), 3600);
    memset(&n, 0, sizeof(n));
    n.at = NOW;
    n.attempts = 1;
    assert_int_equal(ak_notice_retry_at(&n), NOW + 120);
    n.attempts = 3;
    assert_int_equal(ak_notice_retry_at(&n), NOW + (2 + 4 + 8) * 60);
    n.attempts = 7;
    assert_int_equal(ak_notice_retry_at(&n), NOW + 62 * 60 + 2 * 3600);
    n.attempts = AK_NOTICE_ATTEMPTS_MAX; /* no overflow */
    assert_true(ak_notice_retry_at(&n) > NOW + AK_NOTICE_GIVE_UP_AFTER);
}

/* --- the planner ---------------------------------------------------- */

struct built {
    int stage; /* -1: end of list */
    enum ak_notice_class cls;
    enum ak_notice_state st;
    long at_off; /* at - NOW */
    unsigned attempts;
    long e_delta;
    long first_off; /* claimed with attempts: first failure - NOW */
};

struct row {
    const char *name;
    unsigned n_days;
    unsigned days[4];
    bool no_policy;
    unsigned max_lifetime;
    long created_off; /* created - NOW; 0: a year ago */
    bool no_expiry;
    long exp_off; /* record expiry - NOW */
    bool revoked, rotated;
    time_t end_after; /* rotated: the end this long after the expiry */
    bool end_far;     /* rotated: the end 9999-12-31T23:59:59Z */
    enum ak_notice_class cls;
    unsigned lease;
    struct built v[4];
    const char *raw[3];
    enum ak_notice_action want;
    int want_stage;
    unsigned n_skip;
    unsigned skip[3];
    bool want_wake;
    long wake_off; /* wake - NOW */
    unsigned garbage;
};

#define END                                                                    \
    {                                                                          \
        .stage = -1                                                            \
    }
#define V(s, c, st, off)                                                       \
    {                                                                          \
        (s), AK_NOTICE_##c, AK_NOTICE_##st, (off), 0, 0, 0                     \
    }
#define VD(s, off, n)                                                          \
    {                                                                          \
        (s), AK_NOTICE_OWNER, AK_NOTICE_DEFERRED, (off), (n), 0, 0             \
    }
/* a claim with a history: first failure at NOW + first, n attempts */
#define VC(s, off, first, n)                                                   \
    {                                                                          \
        (s), AK_NOTICE_OWNER, AK_NOTICE_CLAIMED, (off), (n), 0, (first)        \
    }
#define D3 .n_days = 3, .days = {30, 7, 1}

static const struct row rows[] = {
    {"nothing due yet", D3, .exp_off = 40 * DAY, .v = {END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 10 * DAY},
    {"the widest stage falls due", D3, .exp_off = 30 * DAY - 10, .v = {END},
     .want = AK_NOTICE_CLAIM, .want_stage = 30, .want_wake = true,
     .wake_off = 23 * DAY - 10},
    {"crossing with >=: due at the second itself", D3, .exp_off = 7 * DAY,
     .v = {V(30, OWNER, SENT, -23 * DAY), END}, .want = AK_NOTICE_CLAIM,
     .want_stage = 7, .want_wake = true, .wake_off = 6 * DAY},
    {"one second before a stage", D3, .exp_off = 7 * DAY + 1,
     .v = {V(30, OWNER, SENT, -23 * DAY), END}, .want = AK_NOTICE_NOTHING,
     .want_wake = true, .wake_off = 1},
    {"catch-up: three stages passed, only the tightest, the others skipped", D3,
     .exp_off = 12 * HOUR, .v = {END}, .want = AK_NOTICE_CLAIM, .want_stage = 1,
     .n_skip = 2, .skip = {30, 7}, .want_wake = true, .wake_off = 12 * HOUR},
    {"catch-up after one was sent: the other one skipped", D3,
     .exp_off = 12 * HOUR, .v = {V(30, OWNER, SENT, -29 * DAY), END},
     .want = AK_NOTICE_CLAIM, .want_stage = 1, .n_skip = 1, .skip = {7},
     .want_wake = true, .wake_off = 12 * HOUR},
    {"a wider stage in flight is neither skipped nor retried", D3,
     .exp_off = 12 * HOUR, .v = {VD(7, -HOUR, 2), END}, .want = AK_NOTICE_CLAIM,
     .want_stage = 1, .n_skip = 1, .skip = {30}, .want_wake = true,
     .wake_off = 12 * HOUR},
    {"has expired: the expired notice", D3, .exp_off = -HOUR, .v = {END},
     .want = AK_NOTICE_CLAIM, .want_stage = 0, .n_skip = 3, .skip = {30, 7, 1}},
    {"expired 29 days ago: still told", D3, .exp_off = -29 * DAY,
     .v = {V(1, OWNER, SENT, -30 * DAY), END}, .want = AK_NOTICE_CLAIM,
     .want_stage = 0, .n_skip = 2, .skip = {30, 7}},
    {"expired more than 30 days ago: nothing, no wake-up", D3,
     .exp_off = -31 * DAY, .v = {END}, .want = AK_NOTICE_NOTHING},
    {"revoked: nothing", D3, .exp_off = 12 * HOUR, .revoked = true, .v = {END},
     .want = AK_NOTICE_NOTHING},
    {"rotated: nothing (the owner replaced it)", D3, .exp_off = 12 * HOUR,
     .rotated = true, .v = {END}, .want = AK_NOTICE_NOTHING},
    {"rotated, its end before the expiry: nothing", D3, .exp_off = 12 * HOUR,
     .rotated = true, .end_after = -6 * HOUR, .v = {END},
     .want = AK_NOTICE_NOTHING},
    /* issue 16: an end its owner wrote after the expiry (9999 here) */
    {"an end after the expiry changes nothing: the notice is due", D3,
     .exp_off = 12 * HOUR, .rotated = true, .end_far = true, .v = {END},
     .want = AK_NOTICE_CLAIM, .want_stage = 1, .n_skip = 2, .skip = {30, 7},
     .want_wake = true, .wake_off = 12 * HOUR},
    {"an end a second after the expiry: the notice is due", D3,
     .exp_off = 12 * HOUR, .rotated = true, .end_after = 1, .v = {END},
     .want = AK_NOTICE_CLAIM, .want_stage = 1, .n_skip = 2, .skip = {30, 7},
     .want_wake = true, .wake_off = 12 * HOUR},
    {"an end after the policy's lifetime changes nothing", D3,
     .no_expiry = true, .max_lifetime = 10,
     .created_off = -10 * DAY + 12 * HOUR, .rotated = true,
     .end_after = 5 * DAY, .v = {END}, .want = AK_NOTICE_CLAIM, .want_stage = 1,
     .n_skip = 2, .skip = {30, 7}, .want_wake = true, .wake_off = 12 * HOUR},
    {"never expires, rotated: nothing (the end is its only end)", D3,
     .no_expiry = true, .rotated = true, .v = {END}, .want = AK_NOTICE_NOTHING},
    {"never expires: nothing", D3, .no_expiry = true, .v = {END},
     .want = AK_NOTICE_NOTHING},
    {"the policy's lifetime gives the expiry", D3, .no_expiry = true,
     .max_lifetime = 10, .created_off = -10 * DAY + 12 * HOUR, .v = {END},
     .want = AK_NOTICE_CLAIM, .want_stage = 1, .n_skip = 2, .skip = {30, 7},
     .want_wake = true, .wake_off = 12 * HOUR},
    {"renewed: a new expiry starts the stages again", D3,
     .exp_off = 30 * DAY - 10,
     .v = {{30, AK_NOTICE_OWNER, AK_NOTICE_SENT, -20 * DAY, 0, -20 * DAY, 0},
           {7, AK_NOTICE_OWNER, AK_NOTICE_SENT, -DAY, 0, -20 * DAY, 0},
           {1, AK_NOTICE_OWNER, AK_NOTICE_SENT, -60, 0, -20 * DAY, 0},
           END},
     .want = AK_NOTICE_CLAIM, .want_stage = 30, .want_wake = true,
     .wake_off = 23 * DAY - 10},
    {"sent: done until the next stage", D3, .exp_off = 12 * HOUR,
     .v = {V(1, OWNER, SENT, -60), V(30, OWNER, SKIPPED, -60),
           V(7, OWNER, SKIPPED, -60), END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 12 * HOUR},
    {"failed is final", D3, .exp_off = 12 * HOUR,
     .v = {V(1, OWNER, FAILED, -60), END}, .want = AK_NOTICE_NOTHING,
     .want_wake = true, .wake_off = 12 * HOUR},
    {"a skipped wide stage does not block the next", D3, .exp_off = 5 * DAY,
     .v = {V(30, OWNER, SKIPPED, -60), END}, .want = AK_NOTICE_CLAIM,
     .want_stage = 7, .want_wake = true, .wake_off = 4 * DAY},
    {"the other class's value does not count", D3, .exp_off = 12 * HOUR,
     .cls = AK_NOTICE_ADMIN, .v = {V(1, OWNER, SENT, -60), END},
     .want = AK_NOTICE_CLAIM, .want_stage = 1, .n_skip = 2, .skip = {30, 7},
     .want_wake = true, .wake_off = 12 * HOUR},
    {"a fresh claim is left alone until its lease ends", D3,
     .exp_off = 12 * HOUR, .v = {V(1, OWNER, CLAIMED, -100), END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 500},
    {"a claim one second short of the lease", D3, .exp_off = 12 * HOUR,
     .v = {V(1, OWNER, CLAIMED, -599), END}, .want = AK_NOTICE_NOTHING,
     .want_wake = true, .wake_off = 1},
    {"a claim past its lease is taken over", D3, .exp_off = 12 * HOUR,
     .v = {V(1, OWNER, CLAIMED, -600), END}, .want = AK_NOTICE_TAKE_OVER,
     .want_stage = 1, .want_wake = true, .wake_off = 12 * HOUR},
    {"the lease is the caller's", D3, .exp_off = 12 * HOUR, .lease = 60,
     .v = {V(1, OWNER, CLAIMED, -60), END}, .want = AK_NOTICE_TAKE_OVER,
     .want_stage = 1, .want_wake = true, .wake_off = 12 * HOUR},
    {"a final value wins over a stale claim", D3, .exp_off = 12 * HOUR,
     .v = {V(1, OWNER, CLAIMED, -9000), V(1, OWNER, SENT, -60), END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 12 * HOUR},
    {"deferred once: retried after 2 minutes", D3, .exp_off = 12 * HOUR,
     .v = {VD(1, -119, 1), END}, .want = AK_NOTICE_NOTHING, .want_wake = true,
     .wake_off = 1},
    {"deferred once, 2 minutes later: taken over", D3, .exp_off = 12 * HOUR,
     .v = {VD(1, -120, 1), END}, .want = AK_NOTICE_TAKE_OVER, .want_stage = 1,
     .want_wake = true, .wake_off = 12 * HOUR},
    {"deferred three times: 2+4+8 minutes from the first failure", D3,
     .exp_off = 12 * HOUR, .v = {VD(1, -14 * 60, 3), END},
     .want = AK_NOTICE_TAKE_OVER, .want_stage = 1, .want_wake = true,
     .wake_off = 12 * HOUR},
    {"deferred, the give-up comes before the next retry", D3,
     .exp_off = 12 * HOUR, .v = {VD(1, -23 * HOUR, 30), END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = HOUR},
    {"deferred for 24 hours: given up", D3, .exp_off = 12 * HOUR,
     .v = {VD(1, -24 * HOUR, 20), END}, .want = AK_NOTICE_GIVE_UP,
     .want_stage = 1, .want_wake = true, .wake_off = 12 * HOUR},
    {"a stale claim with a history is taken over within the 24 hours", D3,
     .exp_off = 12 * HOUR, .v = {VC(1, -700, -23 * HOUR, 5), END},
     .want = AK_NOTICE_TAKE_OVER, .want_stage = 1, .want_wake = true,
     .wake_off = 12 * HOUR},
    {"a stale claim 24 hours after its first failure: given up", D3,
     .exp_off = 12 * HOUR, .v = {VC(1, -700, -24 * HOUR, 5), END},
     .want = AK_NOTICE_GIVE_UP, .want_stage = 1, .want_wake = true,
     .wake_off = 12 * HOUR},
    {"a fresh claim with a history is left alone until its lease ends", D3,
     .exp_off = 12 * HOUR, .v = {VC(1, -100, -25 * HOUR, 5), END},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 500},
    {"garbage about the due notice takes it", D3, .exp_off = 12 * HOUR,
     .v = {END}, .raw = {"{K} {E} 1 owner sent {T} junk"},
     .want = AK_NOTICE_NOTHING, .want_wake = true, .wake_off = 12 * HOUR,
     .garbage = 1},
    {"garbage with a bad stage takes every stage of that expiry", D3,
     .exp_off = 12 * HOUR, .v = {END}, .raw = {"{K} {E} one owner sent {T}"},
     .want = AK_NOTICE_NOTHING, .garbage = 1},
    {"garbage with a bad expiry takes every notice of the key", D3,
     .exp_off = 12 * HOUR, .v = {END},
     .raw = {"{K} tomorrow 1 owner sent {T}", "{K}"}, .want = AK_NOTICE_NOTHING,
     .garbage = 2},
    {"garbage of another key, or of no key, is ignored", D3,
     .exp_off = 12 * HOUR, .v = {END},
     .raw = {OTHER_KID " junk", "hello world", ""}, .want = AK_NOTICE_CLAIM,
     .want_stage = 1, .n_skip = 2, .skip = {30, 7}, .want_wake = true,
     .wake_off = 12 * HOUR},
    {"repeated policy days count once", .n_days = 3, .days = {7, 7, 1},
     .exp_off = 5 * DAY, .v = {END}, .want = AK_NOTICE_CLAIM, .want_stage = 7,
     .want_wake = true, .wake_off = 4 * DAY},
    {"no policy: only the expired notice", .no_policy = true,
     .exp_off = 5 * DAY, .v = {END}, .want = AK_NOTICE_NOTHING,
     .want_wake = true, .wake_off = 5 * DAY},
};

static void run_row(const struct row *r)
{
    struct ak_policy p;
    struct ak_record key;
    struct ak_notice_opts opts = {.lease = r->lease, .expired_days = 30};
    struct ak_notice_plan plan;
    char vals[8][AK_NOTICE_MAX + 64];
    struct ak_bytes b[8];
    struct ak_values vs = {.v = b};
    time_t e;

    memset(&p, 0, sizeof(p));
    p.n_notice_days = r->n_days;
    memcpy(p.notice_days, r->days, sizeof(r->days));
    p.max_lifetime_days = r->max_lifetime;
    memset(&key, 0, sizeof(key));
    memcpy(key.id, KID, sizeof(key.id));
    key.created = NOW + (r->created_off != 0 ? r->created_off : -365 * DAY);
    key.has_expires = !r->no_expiry;
    key.expires = NOW + r->exp_off;
    if (r->revoked) {
        key.is_revoked = true;
        key.revoked = NOW - 60;
    }
    if (r->rotated) {
        key.has_end = true;
        key.end =
            r->end_far ? (time_t)253402300799 : NOW + r->exp_off + r->end_after;
    }
    assert_true(
        ak_policy_effective_expiry(r->no_policy ? NULL : &p, &key, &e) ||
        r->no_expiry);
    for (unsigned i = 0; r->v[i].stage >= 0; i++) {
        struct ak_notice n;
        memset(&n, 0, sizeof(n));
        memcpy(n.id.kid, KID, sizeof(n.id.kid));
        n.id.expires = e + r->v[i].e_delta;
        n.id.stage = (unsigned)r->v[i].stage;
        n.id.class = r->v[i].cls;
        n.state = r->v[i].st;
        n.at = NOW + r->v[i].at_off;
        n.attempts = r->v[i].attempts;
        n.first_failure = NOW + r->v[i].first_off;
        strcpy(n.host, "other-host");
        strcpy(n.reason, "exit-1");
        assert_int_equal(ak_notice_format(&n, vals[vs.n]), AK_OK);
        b[vs.n].p = vals[vs.n];
        b[vs.n].n = strlen(vals[vs.n]);
        vs.n++;
    }
    for (unsigned i = 0; i < 3 && r->raw[i] != NULL; i++) {
        b[vs.n].n = expand(vals[vs.n], sizeof(vals[vs.n]), r->raw[i], e);
        b[vs.n].p = vals[vs.n];
        vs.n++;
    }
    ak_notice_plan(&key, r->no_policy ? NULL : &p, r->cls, &vs, NOW, &opts,
                   &plan);
    if (plan.action != r->want)
        fail_msg("%s: action %d (%s), wanted %d", r->name, plan.action,
                 plan.why ? plan.why : "", r->want);
    assert_non_null(plan.why);
    if (r->want != AK_NOTICE_NOTHING) {
        if (plan.id.stage != (unsigned)r->want_stage)
            fail_msg("%s: stage %u, wanted %d", r->name, plan.id.stage,
                     r->want_stage);
        assert_string_equal(plan.id.kid, KID);
        assert_int_equal(plan.id.expires, e);
        assert_int_equal(plan.id.class, r->cls);
    }
    if (plan.n_skip != r->n_skip)
        fail_msg("%s: %u skipped, wanted %u", r->name, plan.n_skip, r->n_skip);
    for (unsigned i = 0; i < r->n_skip; i++)
        assert_int_equal(plan.skip[i], r->skip[i]);
    if (plan.has_wake != r->want_wake ||
        (r->want_wake && plan.wake != NOW + r->wake_off))
        fail_msg("%s: wake %d at now%+ld, wanted %d at now%+ld", r->name,
                 plan.has_wake, (long)(plan.wake - NOW), r->want_wake,
                 r->wake_off);
    if (plan.has_wake)
        assert_true(plan.wake > NOW);
    if (plan.n_garbage != r->garbage)
        fail_msg("%s: %u garbage, wanted %u", r->name, plan.n_garbage,
                 r->garbage);
    if (r->garbage > 0) {
        assert_non_null(plan.first_garbage);
        assert_non_null(plan.why_garbage);
    }
    if (plan.action == AK_NOTICE_TAKE_OVER ||
        plan.action == AK_NOTICE_GIVE_UP) {
        /* the exact value found, to delete */
        char old[AK_NOTICE_MAX + 1];
        bool found = false;
        assert_int_equal(ak_notice_format(&plan.old, old), AK_OK);
        for (unsigned i = 0; i < vs.n; i++)
            found = found ||
                    (b[i].n == strlen(old) && memcmp(b[i].p, old, b[i].n) == 0);
        if (!found)
            fail_msg("%s: old value %s is not one of the values", r->name, old);
    }
}

static void test_plan_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        run_row(&rows[i]);
}

/* A deferred notice taken over, its claim's daemon killed, the claim taken
 * over after the lease, the mailer failing again: the history goes on
 * from the first failure (the 24-hour bound and the backoff hold). */
static void test_history(void **state)
{
    struct ak_notice deferred, claim, claim2, next, plain;
    char buf[AK_NOTICE_MAX + 1];
    const time_t first = NOW - 3 * HOUR;
    (void)state;

    memset(&deferred, 0, sizeof(deferred));
    memcpy(deferred.id.kid, KID, sizeof(deferred.id.kid));
    deferred.id.expires = NOW + DAY;
    deferred.id.stage = 1;
    deferred.state = AK_NOTICE_DEFERRED;
    deferred.at = first;
    deferred.attempts = 3;

    memset(&claim, 0, sizeof(claim));
    claim.id = deferred.id;
    claim.state = AK_NOTICE_CLAIMED;
    claim.at = NOW - HOUR;
    strcpy(claim.host, "mx-1");
    ak_notice_carry(&deferred, &claim);
    assert_int_equal(claim.attempts, 3);
    assert_int_equal(claim.first_failure, first);
    assert_int_equal(ak_notice_format(&claim, buf), AK_OK);
    assert_int_equal(ak_notice_parse(buf, strlen(buf), &claim2, NULL), AK_OK);
    assert_memory_equal(&claim2, &claim, sizeof(claim));

    /* the claimer died: taken over, the history stays */
    memset(&claim2, 0, sizeof(claim2));
    claim2.id = claim.id;
    claim2.state = AK_NOTICE_CLAIMED;
    claim2.at = NOW;
    strcpy(claim2.host, "mx-2");
    ak_notice_carry(&claim, &claim2);
    assert_int_equal(claim2.attempts, 3);
    assert_int_equal(claim2.first_failure, first);

    ak_notice_deferred(&claim2, NOW, &next);
    assert_int_equal(next.state, AK_NOTICE_DEFERRED);
    assert_memory_equal(&next.id, &claim2.id, sizeof(next.id));
    assert_int_equal(next.at, first);
    assert_int_equal(next.attempts, 4);
    assert_int_equal(ak_notice_format(&next, buf), AK_OK);

    /* a claim without history: the first failure is now */
    memset(&plain, 0, sizeof(plain));
    plain.id = claim.id;
    plain.state = AK_NOTICE_CLAIMED;
    plain.at = NOW - 10;
    strcpy(plain.host, "mx-1");
    ak_notice_carry(&plain, &claim2); /* a claim without history carries none */
    assert_int_equal(claim2.attempts, 0);
    ak_notice_deferred(&plain, NOW, &next);
    assert_int_equal(next.at, NOW);
    assert_int_equal(next.attempts, 1);
    /* nothing else carries a history */
    deferred.state = AK_NOTICE_SENT;
    claim2.attempts = 9;
    ak_notice_carry(&deferred, &claim2);
    assert_int_equal(claim2.attempts, 0);
    /* the count stops at the largest value the format takes */
    plain.attempts = AK_NOTICE_ATTEMPTS_MAX;
    plain.first_failure = first;
    ak_notice_deferred(&plain, NOW, &next);
    assert_int_equal(next.attempts, AK_NOTICE_ATTEMPTS_MAX);
    assert_int_equal(ak_notice_format(&next, buf), AK_OK);
}

/* Walk one key's life hour by hour, settling each claim as sent: each
 * stage is sent exactly once, in order, none early, none skipped. */
static void test_life(void **state)
{
    struct ak_policy p;
    struct ak_record key;
    char vals[8][AK_NOTICE_MAX + 1];
    struct ak_bytes b[8];
    struct ak_values vs = {.v = b};
    unsigned sent[8], n_sent = 0;
    const time_t e = NOW + 40 * DAY + 1234;
    (void)state;

    memset(&p, 0, sizeof(p));
    p.n_notice_days = 3;
    p.notice_days[0] = 1;
    p.notice_days[1] = 30;
    p.notice_days[2] = 7;
    memset(&key, 0, sizeof(key));
    memcpy(key.id, KID, sizeof(key.id));
    key.created = NOW - DAY;
    key.has_expires = true;
    key.expires = e;
    for (time_t t = NOW; t < e + 40 * DAY; t += HOUR) {
        struct ak_notice_plan plan;
        struct ak_notice n;
        ak_notice_plan(&key, &p, AK_NOTICE_OWNER, &vs, t, NULL, &plan);
        if (plan.has_wake)
            assert_true(plan.wake > t);
        if (plan.action == AK_NOTICE_NOTHING)
            continue;
        assert_int_equal(plan.action, AK_NOTICE_CLAIM);
        assert_int_equal(plan.n_skip, 0);
        assert_true(t >= e - (time_t)plan.id.stage * DAY);
        assert_true(t < e - (time_t)plan.id.stage * DAY + HOUR);
        assert_true(n_sent < 8);
        sent[n_sent++] = plan.id.stage;
        memset(&n, 0, sizeof(n));
        n.id = plan.id;
        n.state = AK_NOTICE_SENT;
        n.at = t;
        assert_int_equal(ak_notice_format(&n, vals[vs.n]), AK_OK);
        b[vs.n].p = vals[vs.n];
        b[vs.n].n = strlen(vals[vs.n]);
        vs.n++;
    }
    assert_int_equal(n_sent, 4);
    assert_int_equal(sent[0], 30);
    assert_int_equal(sent[1], 7);
    assert_int_equal(sent[2], 1);
    assert_int_equal(sent[3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_plan_table),
        cmocka_unit_test(test_life),
        cmocka_unit_test(test_history),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
