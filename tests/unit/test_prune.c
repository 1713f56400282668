/* SPDX-License-Identifier: BSD-3-Clause */
/* test_prune.c - housekeeping of ended keys: which values of a holder go
 * (pure) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_prune.h"
#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_status.h"
#include "ak_time.h"

#define DAY 86400L
#define KID "abcdefghijklmnop"
#define OTHER "bcdefghijklmnopq"
#define NONE LONG_MIN  /* no such time */
#define OTHER_DAYS 500 /* OTHER's expiry, days ahead */
#define OTHER_EXP (OTHER_DAYS * DAY)

/* From the clock: the tests pass on any day. */
static time_t NOW;

static int setup(void **state)
{
    (void)state;
    NOW = time(NULL);
    return 0;
}

static void gentime(long off, char buf[AK_TIME_LEN + 1])
{
    assert_int_equal(ak_time_format(NOW + off, buf), AK_OK);
}

/* A record of kid created 400 days ago, expiring at now + exp (NONE:
 * never), revoked by its own field at now + rev (NONE: not). */
static void record(char *buf, const char *kid, long exp, long rev)
{
    struct ak_record r;

    memset(&r, 0, sizeof(r));
    memcpy(r.id, kid, AK_KEY_ID_LEN);
    memset(r.salt, 0x11, sizeof(r.salt));
    memset(r.digest, 0x22, sizeof(r.digest));
    r.created = NOW - 400 * DAY;
    r.has_expires = exp != NONE;
    r.expires = NOW + exp;
    r.is_revoked = rev != NONE;
    r.revoked = NOW + rev;
    assert_int_equal(ak_record_format(&r, buf, AK_RECORD_MAX + 1), AK_OK);
}

/* One holder: KID's records and ends as a row says, and always a live
 * key OTHER with its id, a last use and its expiry, and an expiry value
 * 400 days past that no key holds. */
#define MAXV 6
enum { RECS, ENDS, IDS, USED, EXPS, NV };
struct holder {
    char val[NV][MAXV][AK_RECORD_MAX + 1];
    struct ak_bytes b[NV][MAXV];
    struct ak_values vs[NV];
    struct ak_holder_view v;
};

static void add(struct holder *h, int a, const char *s)
{
    unsigned n = h->vs[a].n;

    assert_true(n < MAXV);
    snprintf(h->val[a][n], sizeof(h->val[a][n]), "%s", s);
    h->b[a][n] = (struct ak_bytes){h->val[a][n], strlen(h->val[a][n])};
    h->vs[a] = (struct ak_values){h->b[a], n + 1, false};
}

static void add_time(struct holder *h, int a, const char *kid, long off,
                     const char *tail)
{
    char t[AK_TIME_LEN + 1], s[128];

    gentime(off, t);
    snprintf(s, sizeof(s), "%s%s%s%s%s", kid ? kid : "", kid ? " " : "", t,
             tail ? " " : "", tail ? tail : "");
    add(h, a, s);
}

static void view(struct holder *h)
{
    for (int a = 0; a < NV; a++)
        h->vs[a].v = h->b[a];
    memset(&h->v, 0, sizeof(h->v));
    h->v.dn = "uid=alice,ou=people,dc=example,dc=org";
    h->v.dn_len = strlen(h->v.dn);
    h->v.records = h->vs[RECS];
    h->v.revoked = h->vs[ENDS];
}

/* How KID's record is written. */
enum rec_kind { R_OK, R_BAD, R_NOPEEK, R_TWICE, R_NONE };

/* KID's ends, end1 and end2: "<days> <reason>" each ("-31 rotated": 31
 * days ago; "- garbage": "KID garbage", no time at all), NULL: none. */
static const struct row {
    const char *what;
    unsigned grace;
    enum rec_kind kind;
    long exp, rev; /* KID's record: its expires, its revoked= field (days) */
    const char *end1, *end2;
    /* what goes */
    bool goes;
    enum ak_prune_cause cause;
    unsigned ends_gone, asserted, exps_gone;
} rows[] = {
    /* exps_gone counts the unheld value 400 days past, and KID's own
     * value when it goes */
    {"a live key stays", 30, R_OK, 100, NONE, NULL, NULL, false, 0, 0, 0, 1},
    {"expired 31 days ago: goes", 30, R_OK, -31, NONE, NULL, NULL, true,
     AK_PRUNE_EXPIRED, 0, 0, 2},
    {"expired 29 days ago: stays", 30, R_OK, -29, NONE, NULL, NULL, false, 0, 0,
     0, 1},
    {"expired 31 days ago, grace 60: stays", 60, R_OK, -31, NONE, NULL, NULL,
     false, 0, 0, 0, 1},
    {"expired 100 days ago, housekeeping off: nothing at all", 0, R_OK, -100,
     NONE, NULL, NULL, false, 0, 0, 0, 0},
    {"rotated 31 days ago, expiry ahead: goes with its rotated end and its "
     "expiry value",
     30, R_OK, 300, NONE, "-31 rotated", NULL, true, AK_PRUNE_ROTATED, 1, 0, 2},
    {"rotated 29 days ago: stays", 30, R_OK, 300, NONE, "-29 rotated", NULL,
     false, 0, 0, 0, 1},
    {"rotated twice (31 and 60 days ago): both ends go", 30, R_OK, 300, NONE,
     "-31 rotated", "-60 rotated", true, AK_PRUNE_ROTATED, 2, 0, 2},
    {"revoked 31 days ago, expiry ahead: goes, the revocation stays and is "
     "asserted",
     30, R_OK, 300, NONE, "-31 revoked", NULL, true, AK_PRUNE_REVOKED, 0, 1, 2},
    {"revoked 29 days ago: stays", 30, R_OK, 300, NONE, "-29 revoked", NULL,
     false, 0, 0, 0, 1},
    {"revoked 31 days ago, expired 40 days ago: the expiry suffices, nothing "
     "asserted",
     30, R_OK, -40, NONE, "-31 revoked", NULL, true, AK_PRUNE_EXPIRED, 0, 0, 2},
    {"revoked 40 days ago, expired 31 days ago: revoked first, nothing "
     "asserted",
     30, R_OK, -31, NONE, "-40 revoked", NULL, true, AK_PRUNE_REVOKED, 0, 0, 2},
    {"revoked in 10 days, expired 31 days ago: goes, the revocation stays", 30,
     R_OK, -31, NONE, "10 revoked", NULL, true, AK_PRUNE_EXPIRED, 0, 0, 2},
    {"rotated and revoked 31 days ago: the rotation goes (and suffices: "
     "nothing asserted), the revocation stays",
     30, R_OK, 300, NONE, "-31 rotated", "-31 revoked", true, AK_PRUNE_REVOKED,
     1, 0, 2},
    {"rotated in 2 days, expired 40 days ago: goes with its rotated end", 30,
     R_OK, -40, NONE, "2 rotated", NULL, true, AK_PRUNE_EXPIRED, 1, 0, 2},
    {"an end that cannot be read (bad reason) revokes, dated by its time: "
     "goes 31 days later, the end stays and is asserted",
     30, R_OK, 300, NONE, "-31 revokd", NULL, true, AK_PRUNE_REVOKED, 0, 1, 2},
    {"the same a day after its time: stays", 30, R_OK, 300, NONE, "-1 revokd",
     NULL, false, 0, 0, 0, 1},
    {"a rotated end with a trailing space cannot be read: a revocation, the "
     "key goes, the end stays",
     30, R_OK, 300, NONE, "-31 rotated ", NULL, true, AK_PRUNE_REVOKED, 0, 1,
     2},
    {"an end with no time to read revokes but dates nothing: stays", 30, R_OK,
     300, NONE, "- 2026 revoked", NULL, false, 0, 0, 0, 1},
    {"expired 40 days ago beside an end with no time: goes, the end stays", 30,
     R_OK, -40, NONE, "- garbage", NULL, true, AK_PRUNE_EXPIRED, 0, 0, 2},
    {"revoked by its record only (apikey 0.1): stays whole (the record is its "
     "tombstone)",
     30, R_OK, 300, -100, NULL, NULL, false, 0, 0, 0, 1},
    {"revoked by its record and by an end: goes, the end stays", 30, R_OK, 300,
     -100, "-100 revoked", NULL, true, AK_PRUNE_REVOKED, 0, 0, 2},
    {"revoked by its record, an end with no time: goes by its record, the "
     "end stays",
     30, R_OK, 300, -100, "- garbage", NULL, true, AK_PRUNE_REVOKED, 0, 0, 2},
    {"never expires, no end: stays (the policy's lifetime is not a reason)", 30,
     R_OK, NONE, NONE, NULL, NULL, false, 0, 0, 0, 1},
    {"never expires, rotated 31 days ago: goes", 30, R_OK, NONE, NONE,
     "-31 rotated", NULL, true, AK_PRUNE_ROTATED, 1, 0, 1},
    {"a record that does not parse (expired long ago): stays, its past "
     "expiry value goes",
     30, R_BAD, -100, NONE, NULL, NULL, false, 0, 0, 0, 2},
    {"a record whose id is not first: stays", 30, R_NOPEEK, -100, NONE,
     "-100 rotated", NULL, false, 0, 0, 0, 2},
    {"two records with one id (both ended long ago): both stay", 30, R_TWICE,
     -100, NONE, "-100 rotated", NULL, false, 0, 0, 0, 2},
    {"no record: its ends, id and last use stay", 30, R_NONE, -100, NONE,
     "-100 rotated", NULL, false, 0, 0, 0, 2},
};

/* One end as a row gives it. */
static void add_end(struct holder *h, const char *spec)
{
    char raw[64];
    long days;
    int n = 0;

    if (spec[0] == '-' && spec[1] == ' ') { /* no time */
        snprintf(raw, sizeof(raw), "%s %s", KID, spec + 2);
        add(h, ENDS, raw);
        return;
    }
    assert_int_equal(sscanf(spec, "%ld %n", &days, &n), 1);
    add_time(h, ENDS, KID, days * DAY, spec + n);
}

static void build(struct holder *h, const struct row *r)
{
    char rec[AK_RECORD_MAX + 1];
    long exp = r->exp == NONE ? NONE : r->exp * DAY;
    long rev = r->rev == NONE ? NONE : r->rev * DAY;

    memset(h, 0, sizeof(*h));
    record(rec, KID, exp, rev);
    switch (r->kind) {
    case R_OK:
        add(h, RECS, rec);
        break;
    case R_BAD: /* the same with a hash nobody can read */
        *strstr(rec, "b2b256:") = 'x';
        add(h, RECS, rec);
        break;
    case R_NOPEEK: { /* "v1 hash=... id=KID": parses, but not as the
                        verifier finds records */
        char moved[AK_RECORD_MAX + 1];
        snprintf(moved, sizeof(moved), "v1 %s id=%s",
                 rec + strlen("v1 id=" KID " "), KID);
        add(h, RECS, moved);
        break;
    }
    case R_TWICE:
        add(h, RECS, rec);
        record(rec, KID, exp - DAY, rev);
        add(h, RECS, rec);
        break;
    case R_NONE:
        break;
    }
    record(rec, OTHER, OTHER_EXP, NONE);
    add(h, RECS, rec);
    if (r->end1 != NULL)
        add_end(h, r->end1);
    if (r->end2 != NULL)
        add_end(h, r->end2);
    add_time(h, ENDS, OTHER, 5 * DAY, "rotated"); /* OTHER's own, ahead */
    add(h, IDS, KID);
    add(h, IDS, OTHER);
    add_time(h, USED, KID, -40 * DAY, NULL);
    add_time(h, USED, OTHER, -1 * DAY, NULL);
    if (exp != NONE)
        add_time(h, EXPS, NULL, exp, NULL);
    add_time(h, EXPS, NULL, OTHER_EXP, NULL);
    add_time(h, EXPS, NULL, -400 * DAY, NULL);
    view(h);
}

/* Every value a plan deletes is one it may: of KID, never of OTHER. */
static void check_owner(const struct holder *h, const struct ak_prune *p)
{
    static const int attr_of[AK_PRUNE_N] = {[AK_PRUNE_RECORD] = RECS,
                                            [AK_PRUNE_ID] = IDS,
                                            [AK_PRUNE_LAST_USED] = USED,
                                            [AK_PRUNE_END] = ENDS,
                                            [AK_PRUNE_EXPIRES] = EXPS};

    for (int a = 0; a < AK_PRUNE_N; a++)
        for (unsigned i = 0; i < p->n_del[a]; i++) {
            const char *v = h->val[attr_of[a]][p->del[a][i]];
            assert_true(p->del[a][i] < h->vs[attr_of[a]].n);
            assert_null(strstr(v, OTHER));
            if (a == AK_PRUNE_END) {
                assert_true(ak_prune_rotation_value(v, strlen(v)));
            }
            if (i > 0) /* ascending */
                assert_true(p->del[a][i] > p->del[a][i - 1]);
        }
    for (unsigned i = 0; i < p->n_assert; i++)
        assert_non_null(strstr(h->val[ENDS][p->assert_ends[i]], KID));
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct holder h;
        struct ak_prune p;

        print_message("# %s\n", r->what);
        build(&h, r);
        assert_int_equal(ak_prune_plan(&h.v, &h.vs[IDS], &h.vs[USED],
                                       &h.vs[EXPS], NOW, r->grace, &p),
                         AK_OK);
        check_owner(&h, &p);
        assert_int_equal(p.n_keys, r->goes ? 1 : 0);
        assert_int_equal(p.n_del[AK_PRUNE_RECORD], r->goes ? 1 : 0);
        assert_int_equal(p.n_del[AK_PRUNE_ID], r->goes ? 1 : 0);
        assert_int_equal(p.n_del[AK_PRUNE_LAST_USED], r->goes ? 1 : 0);
        assert_int_equal(p.n_del[AK_PRUNE_END], r->ends_gone);
        assert_int_equal(p.n_assert, r->asserted);
        assert_int_equal(p.n_del[AK_PRUNE_EXPIRES], r->exps_gone);
        assert_int_equal(ak_prune_any(&p), r->goes || r->exps_gone > 0);
        if (r->goes) {
            const struct ak_prune_key *k = &p.keys[0];
            assert_string_equal(k->kid, KID);
            assert_int_equal(k->cause, r->cause);
            assert_int_equal(k->record, 0);
            assert_int_equal(k->n_ids, 1);
            assert_int_equal(k->n_last_used, 1);
            assert_int_equal(k->n_rotated, r->ends_gone);
            assert_int_equal(k->expiry_goes, r->exp != NONE);
        }
        if (r->grace == 0)
            assert_non_null(p.skipped);
        else
            assert_null(p.skipped);
        assert_int_equal(p.n_unreadable,
                         r->kind == R_BAD || r->kind == R_NOPEEK);
        assert_int_equal(p.n_several, r->kind == R_TWICE);
        ak_prune_free(&p);
    }
}

/* An expiry value that a key which goes shares with one that stays
 * stays; one that no record names any more goes with its key. */
static void test_shared_expiry(void **state)
{
    struct row r = {
        .grace = 30, .exp = OTHER_DAYS, .rev = NONE, .end1 = "-31 rotated"};
    struct holder h;
    struct ak_prune p;

    (void)state;
    build(&h, &r); /* KID's expiry is OTHER's, to the second: one value */
    h.vs[EXPS].n = 0;
    add_time(&h, EXPS, NULL, OTHER_EXP, NULL);
    add_time(&h, EXPS, NULL, -400 * DAY, NULL);
    view(&h);
    assert_int_equal(
        ak_prune_plan(&h.v, &h.vs[IDS], &h.vs[USED], &h.vs[EXPS], NOW, 30, &p),
        AK_OK);
    assert_int_equal(p.n_keys, 1);
    assert_false(p.keys[0].expiry_goes);
    assert_int_equal(p.n_del[AK_PRUNE_EXPIRES], 1); /* the one 400 days past */
    ak_prune_free(&p);
    /* an expiry value that cannot be read stays */
    add(&h, EXPS, "garbage");
    view(&h);
    assert_int_equal(
        ak_prune_plan(&h.v, &h.vs[IDS], &h.vs[USED], &h.vs[EXPS], NOW, 30, &p),
        AK_OK);
    assert_int_equal(p.n_del[AK_PRUNE_EXPIRES], 1);
    ak_prune_free(&p);
}

/* Subtyped values anywhere: the entry is left whole. */
static void test_tagged(void **state)
{
    struct row r = {.grace = 30, .exp = -100, .rev = NONE};
    struct holder h;
    struct ak_prune p;

    (void)state;
    for (int a = 0; a < NV; a++) {
        build(&h, &r);
        h.vs[a].tagged = true;
        view(&h);
        assert_int_equal(ak_prune_plan(&h.v, &h.vs[IDS], &h.vs[USED],
                                       &h.vs[EXPS], NOW, 30, &p),
                         AK_OK);
        assert_non_null(p.skipped);
        assert_false(ak_prune_any(&p));
        ak_prune_free(&p);
    }
    /* and without the optional attributes */
    build(&h, &r);
    assert_int_equal(ak_prune_plan(&h.v, NULL, NULL, NULL, NOW, 30, &p), AK_OK);
    assert_int_equal(p.n_keys, 1);
    assert_int_equal(p.n_del[AK_PRUNE_RECORD], 1);
    assert_int_equal(p.n_del[AK_PRUNE_ID] + p.n_del[AK_PRUNE_LAST_USED] +
                         p.n_del[AK_PRUNE_EXPIRES],
                     0);
    ak_prune_free(&p);
}

/* "More than the grace ago": at exactly 30 days the key stays, a second
 * later it goes. */
static void test_boundary(void **state)
{
    static const struct {
        long ago;
        unsigned keys;
    } cases[] = {{30 * DAY, 0}, {30 * DAY + 1, 1}, {-1, 0}};
    struct row r = {.grace = 30, .kind = R_NONE, .exp = NONE, .rev = NONE};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rec[AK_RECORD_MAX + 1];
        struct holder h;
        struct ak_prune p;
        build(&h, &r);
        record(rec, KID, -cases[i].ago, NONE);
        add(&h, RECS, rec);
        view(&h);
        assert_int_equal(ak_prune_plan(&h.v, &h.vs[IDS], &h.vs[USED],
                                       &h.vs[EXPS], NOW, 30, &p),
                         AK_OK);
        assert_int_equal(p.n_keys, cases[i].keys);
        ak_prune_free(&p);
    }
}

/* What rule {3} of the packaged ACLs lets the daemon delete, exactly. */
static void test_rotation_value(void **state)
{
    static const struct {
        const char *v;
        bool ok;
    } cases[] = {
        {KID " 20260101000000Z rotated", true},
        {KID " 20260101000000Z revoked", false},
        {KID " 20260101000000Z rotated ", false},
        {KID " 20260101000000Z  rotated", false},
        {KID " 2026010100000Z rotated", false},
        {KID " 202601010000000 rotated", false},
        {KID " 2026010100000aZ rotated", false},
        {"ABCDEFGHIJKLMNOP 20260101000000Z rotated", false},
        {"abcdefghijklmno1 20260101000000Z rotated", false},
        {KID "x 20260101000000Z rotated", false},
        {"", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(
            ak_prune_rotation_value(cases[i].v, strlen(cases[i].v)),
            cases[i].ok);
}

/* A holder of n values: a fifth each of records, ends, ids, last uses and
 * expiries; half its keys ended long ago (a third of those revoked). */
struct big {
    char (*val)[AK_RECORD_MAX + 1];
    struct ak_bytes *b;
    struct ak_values vs[NV];
    struct ak_holder_view v;
};

static void kid_of(unsigned i, char kid[AK_KEY_ID_LEN + 1])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned x = i * 2654435761u; /* spread: the sort has work to do */

    for (int k = AK_KEY_ID_LEN - 1; k >= 0; k--, x /= 32)
        kid[k] = b32[x % 32];
    kid[AK_KEY_ID_LEN] = '\0';
}

static void big_holder(struct big *g, unsigned n)
{
    unsigned per = n / NV, at = 0;

    g->val = calloc(n, sizeof(*g->val));
    g->b = calloc(n, sizeof(*g->b));
    assert_non_null(g->val);
    assert_non_null(g->b);
    for (int a = 0; a < NV; a++) {
        g->vs[a] = (struct ak_values){g->b + at, per, false};
        for (unsigned i = 0; i < per; i++, at++) {
            char kid[AK_KEY_ID_LEN + 1], t[AK_TIME_LEN + 1];
            bool ended = i % 2 == 0;
            kid_of(i, kid);
            gentime(ended ? -100 * DAY - i : 100 * DAY + i, t);
            switch (a) {
            case RECS:
                record(g->val[at], kid, ended ? -100 * DAY - i : 100 * DAY + i,
                       NONE);
                break;
            case ENDS:
                snprintf(g->val[at], sizeof(g->val[at]), "%s %s %s", kid, t,
                         i % 3 == 0 ? "revoked" : "rotated");
                break;
            case IDS:
                snprintf(g->val[at], sizeof(g->val[at]), "%s", kid);
                break;
            case USED:
                snprintf(g->val[at], sizeof(g->val[at]), "%s %s", kid, t);
                break;
            default:
                snprintf(g->val[at], sizeof(g->val[at]), "%s", t);
                break;
            }
            g->b[at] = (struct ak_bytes){g->val[at], strlen(g->val[at])};
        }
    }
    memset(&g->v, 0, sizeof(g->v));
    g->v.records = g->vs[RECS];
    g->v.revoked = g->vs[ENDS];
}

static unsigned long long work_for(unsigned n, unsigned *gone)
{
    struct big g;
    struct ak_prune p;
    unsigned long long w;

    big_holder(&g, n);
    assert_int_equal(
        ak_prune_plan(&g.v, &g.vs[IDS], &g.vs[USED], &g.vs[EXPS], NOW, 30, &p),
        AK_OK);
    w = p.work;
    *gone = p.n_keys;
    ak_prune_free(&p);
    free(g.val);
    free(g.b);
    return w;
}

/* Linear cost (RELIABILITY U-05): 100 times the values cost about
 * n log n more work: 254 times for sorts of 20 and of 2,000 values of
 * each attribute (n^2 would be 10,000 times). */
static void test_linear(void **state)
{
    unsigned gone_small, gone_big;
    unsigned long long small = work_for(100, &gone_small);
    unsigned long long big = work_for(10000, &gone_big);

    (void)state;
    print_message("# work: %llu for 10^2 values, %llu for 10^4 (x%.0f)\n",
                  small, big, (double)big / (double)small);
    assert_int_equal(gone_small, 10); /* 20 records, every second ended */
    assert_int_equal(gone_big, 1000);
    assert_true(big <= 500 * small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_shared_expiry),
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_tagged),
        cmocka_unit_test(test_rotation_value),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
