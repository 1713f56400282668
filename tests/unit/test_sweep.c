/* SPDX-License-Identifier: BSD-3-Clause */
/* test_sweep.c - housekeeping of apiKeyNotice values: which may go (pure) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_notice.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_status.h"
#include "ak_time.h"

#define DAY 86400L
#define KID "abcdefghijklmnop"
#define OTHER "bcdefghijklmnopq"

/* From the clock: the tests pass on any day. */
static time_t NOW;

static int setup(void **state)
{
    (void)state;
    NOW = time(NULL);
    return 0;
}

/* A record of kid created `age` ago expiring at now + left (left
 * LONG_MIN: never). */
#define NEVER LONG_MIN
static void record(char *buf, const char *kid, long age, long left)
{
    struct ak_record r;

    memset(&r, 0, sizeof(r));
    memcpy(r.id, kid, AK_KEY_ID_LEN);
    memset(r.salt, 0x11, sizeof(r.salt));
    memset(r.digest, 0x22, sizeof(r.digest));
    r.created = NOW - age;
    r.has_expires = left != NEVER;
    r.expires = NOW + left;
    assert_int_equal(ak_record_format(&r, buf, AK_RECORD_MAX + 1), AK_OK);
}

static void notice(char *buf, const char *kid, time_t expires,
                   enum ak_notice_state st)
{
    struct ak_notice n;

    memset(&n, 0, sizeof(n));
    memcpy(n.id.kid, kid, AK_KEY_ID_LEN);
    n.id.expires = expires;
    n.id.stage = 7;
    n.id.class = AK_NOTICE_OWNER;
    n.state = st;
    n.at = expires - 7 * DAY;
    if (st == AK_NOTICE_CLAIMED)
        snprintf(n.host, sizeof(n.host), "mx-1");
    assert_int_equal(ak_notice_format(&n, buf), AK_OK);
}

/* One holder: up to 3 records, 2 revocations, 2 ids. */
struct holder {
    char rec[3][AK_RECORD_MAX + 1];
    char rev[2][AK_REVOCATION_MAX + 1];
    char id[2][AK_KEY_ID_LEN + 1];
    struct ak_bytes brec[3], brev[2], bid[2];
    struct ak_holder_view v;
    struct ak_values ids;
};

static void holder_view(struct holder *h, unsigned n_rec, unsigned n_rev,
                        unsigned n_id)
{
    memset(&h->v, 0, sizeof(h->v));
    for (unsigned i = 0; i < n_rec; i++)
        h->brec[i] = (struct ak_bytes){h->rec[i], strlen(h->rec[i])};
    for (unsigned i = 0; i < n_rev; i++)
        h->brev[i] = (struct ak_bytes){h->rev[i], strlen(h->rev[i])};
    for (unsigned i = 0; i < n_id; i++)
        h->bid[i] = (struct ak_bytes){h->id[i], strlen(h->id[i])};
    h->v.dn = "uid=alice,ou=people,dc=example,dc=org";
    h->v.dn_len = strlen(h->v.dn);
    h->v.records = (struct ak_values){h->brec, n_rec, false};
    h->v.revoked = (struct ak_values){h->brev, n_rev, false};
    h->ids = (struct ak_values){h->bid, n_id, false};
}

static enum ak_notice_sweep sweep(const struct holder *h, const char *val,
                                  unsigned cleanup, unsigned expired,
                                  const struct ak_policy *pol)
{
    struct ak_notice_opts o = {
        .lease = 600, .expired_days = expired, .cleanup_days = cleanup};
    struct ak_notice_sweep_out out;

    ak_notice_sweep(&h->v, &h->ids, pol, val, strlen(val), NOW, &o, &out);
    assert_non_null(out.why);
    return out.verdict;
}

/* The table: one key per row, its notice value, and what becomes of it. */
static void test_table(void **state)
{
    enum {
        ALIVE,
        EXPIRED_LONG,
        EXPIRED_RECENT,
        REVOKED_LONG,
        REVOKED_RECENT,
        ROTATED_LONG,
        NEVER_EXPIRES,
        IDS_ONLY,
        GONE,
        BAD_RECORD
    };
    static const struct {
        const char *what;
        int kind;
        unsigned cleanup, expired;
        enum ak_notice_sweep want;
    } rows[] = {
        {"a live key keeps its values", ALIVE, 60, 30, AK_SWEEP_KEEP},
        {"expired 100 days ago, grace 60", EXPIRED_LONG, 60, 30,
         AK_SWEEP_ENDED},
        {"expired 100 days ago, housekeeping off", EXPIRED_LONG, 0, 30,
         AK_SWEEP_KEEP},
        {"expired 100 days ago, grace 200", EXPIRED_LONG, 200, 30,
         AK_SWEEP_KEEP},
        {"expired 100 days ago, grace 30 but expired_days 120 (the longer "
         "counts)",
         EXPIRED_LONG, 30, 120, AK_SWEEP_KEEP},
        {"expired 10 days ago, grace 60", EXPIRED_RECENT, 60, 30,
         AK_SWEEP_KEEP},
        {"revoked 100 days ago (expiry ahead)", REVOKED_LONG, 60, 30,
         AK_SWEEP_ENDED},
        {"revoked 10 days ago", REVOKED_RECENT, 60, 30, AK_SWEEP_KEEP},
        {"replaced by a rotation 100 days ago", ROTATED_LONG, 60, 30,
         AK_SWEEP_ENDED},
        {"never expires, not revoked", NEVER_EXPIRES, 60, 30, AK_SWEEP_KEEP},
        {"no record, but apiKeyId still names it", IDS_ONLY, 60, 30,
         AK_SWEEP_KEEP},
        {"no record and no apiKeyId: gone", GONE, 60, 30, AK_SWEEP_GONE},
        {"gone, housekeeping off", GONE, 0, 30, AK_SWEEP_KEEP},
        {"a record of the key that cannot be read", BAD_RECORD, 60, 30,
         AK_SWEEP_KEEP},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct holder h;
        char val[AK_NOTICE_MAX + 1];
        unsigned n_rec = 1, n_rev = 0, n_id = 1;
        time_t e = NOW + 100 * DAY;

        memset(&h, 0, sizeof(h));
        snprintf(h.id[0], sizeof(h.id[0]), "%s", KID);
        /* another key on the same entry, alive: never a reason */
        record(h.rec[1], OTHER, 10 * DAY, 300 * DAY);
        snprintf(h.id[1], sizeof(h.id[1]), "%s", OTHER);
        switch (rows[i].kind) {
        case ALIVE:
            record(h.rec[0], KID, 10 * DAY, 100 * DAY);
            break;
        case EXPIRED_LONG:
            record(h.rec[0], KID, 400 * DAY, -100 * DAY);
            e = NOW - 100 * DAY;
            break;
        case EXPIRED_RECENT:
            record(h.rec[0], KID, 400 * DAY, -10 * DAY);
            e = NOW - 10 * DAY;
            break;
        case REVOKED_LONG:
        case REVOKED_RECENT:
        case ROTATED_LONG:
            record(h.rec[0], KID, 400 * DAY, 100 * DAY);
            assert_int_equal(
                ak_revocation_format(
                    KID,
                    NOW - (rows[i].kind == REVOKED_RECENT ? 10 : 100) * DAY,
                    rows[i].kind == ROTATED_LONG ? AK_END_ROTATED
                                                 : AK_END_REVOKED,
                    h.rev[0]),
                AK_OK);
            n_rev = 1;
            break;
        case NEVER_EXPIRES:
            record(h.rec[0], KID, 400 * DAY, NEVER);
            break;
        case IDS_ONLY:
            snprintf(h.rec[0], sizeof(h.rec[0]), "%s", h.rec[1]);
            n_rec = 1;
            break;
        case GONE:
            snprintf(h.rec[0], sizeof(h.rec[0]), "%s", h.rec[1]);
            snprintf(h.id[0], sizeof(h.id[0]), "%s", OTHER);
            break;
        case BAD_RECORD:
            snprintf(h.rec[0], sizeof(h.rec[0]),
                     "v1 id=" KID " hash=garbage expires=never");
            break;
        }
        if (rows[i].kind != IDS_ONLY && rows[i].kind != GONE)
            n_rec = 2;
        holder_view(&h, n_rec, n_rev, n_id + (rows[i].kind == GONE ? 0 : 1));
        notice(val, KID, e, AK_NOTICE_SENT);
        print_message("# %s\n", rows[i].what);
        assert_int_equal(sweep(&h, val, rows[i].cleanup, rows[i].expired, NULL),
                         rows[i].want);
    }
}

/* The policy's maximum lifetime ends a key that never expires. */
static void test_policy_lifetime(void **state)
{
    struct ak_policy pol = {.max_lifetime_days = 90};
    struct holder h;
    char val[AK_NOTICE_MAX + 1];

    (void)state;
    memset(&h, 0, sizeof(h));
    record(h.rec[0], KID, 300 * DAY, NEVER);
    snprintf(h.id[0], sizeof(h.id[0]), "%s", KID);
    holder_view(&h, 1, 0, 1);
    notice(val, KID, NOW - 210 * DAY, AK_NOTICE_SENT);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
    assert_int_equal(sweep(&h, val, 60, 30, &pol), AK_SWEEP_ENDED);
}

/* "More than N days ago": at exactly N days the value stays, a second
 * later it may go. */
static void test_boundary(void **state)
{
    struct holder h;
    char val[AK_NOTICE_MAX + 1];

    (void)state;
    memset(&h, 0, sizeof(h));
    snprintf(h.id[0], sizeof(h.id[0]), "%s", KID);
    record(h.rec[0], KID, 400 * DAY, -60 * DAY);
    holder_view(&h, 1, 0, 1);
    notice(val, KID, NOW - 60 * DAY, AK_NOTICE_SENT);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
    record(h.rec[0], KID, 400 * DAY, -60 * DAY - 1);
    holder_view(&h, 1, 0, 1);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_ENDED);
    /* a key that ends in the future is alive, whatever the grace */
    record(h.rec[0], KID, 400 * DAY, 1);
    holder_view(&h, 1, 0, 1);
    assert_int_equal(sweep(&h, val, 1, 0, NULL), AK_SWEEP_KEEP);
}

/* Two records with one id: the value goes only when both ended long ago. */
static void test_duplicate_records(void **state)
{
    struct holder h;
    char val[AK_NOTICE_MAX + 1];

    (void)state;
    memset(&h, 0, sizeof(h));
    record(h.rec[0], KID, 400 * DAY, -100 * DAY);
    record(h.rec[1], KID, 400 * DAY, 5 * DAY);
    snprintf(h.id[0], sizeof(h.id[0]), "%s", KID);
    holder_view(&h, 2, 0, 1);
    notice(val, KID, NOW - 100 * DAY, AK_NOTICE_SENT);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
    record(h.rec[1], KID, 400 * DAY, -90 * DAY);
    holder_view(&h, 2, 0, 1);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_ENDED);
}

/* A value that cannot be read is never a removal, and its parse is
 * reported; each state parses. */
static void test_values(void **state)
{
    static const char *const garbage[] = {
        "",
        "garbage",
        KID,
        KID " 2000 7 owner sent 2000",
        KID " 20000101000000Z 7 owner sent",
        KID " 20000101000000Z 7 owner sent 20000101000000Z extra",
        KID " 20000101000000Z 07 owner sent 20000101000000Z",
        KID "  20000101000000Z 7 owner sent 20000101000000Z",
    };
    static const enum ak_notice_state states[] = {
        AK_NOTICE_CLAIMED, AK_NOTICE_SENT, AK_NOTICE_SKIPPED};
    struct holder h;
    char val[AK_NOTICE_MAX + 1];

    (void)state;
    memset(&h, 0, sizeof(h));
    holder_view(&h, 0, 0, 0); /* no key at all: all would be gone */
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        assert_int_equal(sweep(&h, garbage[i], 60, 30, NULL), AK_SWEEP_GARBAGE);
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        struct ak_notice_opts o = {.expired_days = 30, .cleanup_days = 60};
        struct ak_notice_sweep_out out;
        char back[AK_NOTICE_MAX + 1];
        notice(val, KID, NOW - 5 * DAY, states[i]);
        ak_notice_sweep(&h.v, &h.ids, NULL, val, strlen(val), NOW, &o, &out);
        assert_int_equal(out.verdict, AK_SWEEP_GONE);
        /* the delete names exactly the value read */
        assert_int_equal(ak_notice_format(&out.n, back), AK_OK);
        assert_string_equal(back, val);
    }
}

/* Subtyped values on the entry (a reader that could not take them): keep. */
static void test_tagged(void **state)
{
    struct holder h;
    char val[AK_NOTICE_MAX + 1];

    (void)state;
    memset(&h, 0, sizeof(h));
    holder_view(&h, 0, 0, 0);
    notice(val, KID, NOW - 100 * DAY, AK_NOTICE_SENT);
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_GONE);
    h.v.records.tagged = true;
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
    h.v.records.tagged = false;
    h.ids.tagged = true;
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
    h.ids.tagged = false;
    h.v.revoked.tagged = true;
    assert_int_equal(sweep(&h, val, 60, 30, NULL), AK_SWEEP_KEEP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_policy_lifetime),
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_duplicate_records),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_tagged),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
