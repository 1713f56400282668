/* SPDX-License-Identifier: BSD-3-Clause */
/* test_notice_holder.c - one holder's keys planned over their own values
 * (ak_byid, ak_notice_holder): the same plans as ak_notice_plan over every
 * value, and work that grows with the holder's values, not their square
 * (issue 16: 1,000 fake records cost 2.2 s of CPU a read) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ak_judge.h"
#include "ak_notice_holder.h"
#include "ak_status.h"
#include "ak_time.h"

#define DAY 86400L

static time_t NOW;

/* A holder of n keys, built as the directory would hold it after a pass:
 * key i expires in 2 days (every third in 40 days), every fifth is
 * revoked, and its notices are in every state the planner reads (none, a
 * claim, a claim past its lease, sent, a deferred retry, garbage). */
struct holder {
    struct ak_holder_view v;
    struct ak_values notices, ids;
    struct ak_bytes *recs, *ends, *nots, *idv;
    char *text; /* every value, one after the other */
    size_t used, cap;
};

__attribute__((format(printf, 2, 3))) static struct ak_bytes
put(struct holder *h, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(h->text + h->used, h->cap - h->used, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && h->used + (size_t)n < h->cap);
    struct ak_bytes b = {h->text + h->used, (size_t)n};
    h->used += (size_t)n + 1;
    return b;
}

static void kid_of(unsigned i, char kid[AK_KEY_ID_LEN + 1])
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

    for (int k = AK_KEY_ID_LEN - 1; k >= 0; k--, i /= 32)
        kid[k] = b32[i % 32];
    kid[AK_KEY_ID_LEN] = '\0';
}

static void build(struct holder *h, unsigned n)
{
    char created[AK_TIME_LEN + 1], soon[AK_TIME_LEN + 1], late[AK_TIME_LEN + 1],
        t[AK_TIME_LEN + 1], old[AK_TIME_LEN + 1];
    unsigned nn = 0, ne = 0;

    memset(h, 0, sizeof(*h));
    h->cap = (size_t)n * 1200 + 4096;
    h->text = malloc(h->cap);
    h->recs = calloc(n, sizeof(*h->recs));
    h->idv = calloc(n, sizeof(*h->idv));
    h->ends = calloc(n, sizeof(*h->ends));
    h->nots = calloc((size_t)n * 4, sizeof(*h->nots));
    assert_non_null(h->text);
    assert_non_null(h->nots);
    ak_time_format(NOW - DAY, created);
    ak_time_format(NOW + 2 * DAY, soon);
    ak_time_format(NOW + 40 * DAY, late);
    ak_time_format(NOW - 60, t);
    ak_time_format(NOW - 3600, old);
    for (unsigned i = 0; i < n; i++) {
        char kid[AK_KEY_ID_LEN + 1];
        const char *e = i % 3 == 2 ? late : soon;
        kid_of(i + 1000, kid);
        h->recs[i] = put(h,
                         "v1 id=%s hash=b2b256:%032x:%064x created=%s "
                         "expires=%s",
                         kid, i, i, created, e);
        h->idv[i] = put(h, "%s", kid);
        if (i % 5 == 4)
            h->ends[ne++] = put(h, "%s %s revoked", kid, t);
        switch (i % 6) {
        case 1:
            h->nots[nn++] =
                put(h, "%s %s 7 owner claimed %s host-a", kid, e, t);
            break;
        case 2:
            h->nots[nn++] = put(h, "%s %s 30 owner sent %s", kid, e, t);
            break;
        case 3:
            h->nots[nn++] =
                put(h, "%s %s 7 owner claimed %s host-b", kid, e, old);
            h->nots[nn++] = put(h, "%s %s 30 owner skipped %s", kid, e, old);
            break;
        case 4:
            h->nots[nn++] = put(h, "%s %s 7 admin deferred %s 1", kid, e, old);
            break;
        case 5:
            h->nots[nn++] = put(h, "%s %s 7 admin bogus", kid, e);
            break;
        default:
            break;
        }
    }
    h->v.dn = "uid=flood,ou=people,dc=example,dc=org";
    h->v.dn_len = strlen(h->v.dn);
    h->v.records = (struct ak_values){h->recs, n, false};
    h->v.revoked = (struct ak_values){h->ends, ne, false};
    h->notices = (struct ak_values){h->nots, nn, false};
    h->ids = (struct ak_values){h->idv, n, false};
}

static void drop(struct holder *h)
{
    free(h->text);
    free(h->recs);
    free(h->idv);
    free(h->ends);
    free(h->nots);
}

static const struct ak_policy POLICY = {.n_notice_days = 3,
                                        .notice_days = {30, 7, 1}};

static bool same_plan(const struct ak_notice_plan *a,
                      const struct ak_notice_plan *b)
{
    return a->action == b->action && strcmp(a->why, b->why) == 0 &&
           a->has_expiry == b->has_expiry && a->expires == b->expires &&
           memcmp(&a->id, &b->id, sizeof(a->id)) == 0 &&
           a->n_skip == b->n_skip &&
           memcmp(a->skip, b->skip, a->n_skip * sizeof(a->skip[0])) == 0 &&
           a->has_wake == b->has_wake && (!a->has_wake || a->wake == b->wake) &&
           a->n_garbage == b->n_garbage &&
           (a->action == AK_NOTICE_CLAIM || a->action == AK_NOTICE_NOTHING ||
            memcmp(&a->old, &b->old, sizeof(a->old)) == 0);
}

/* Every key and class: the same record, the same plan as over every
 * value of the holder. */
static void test_same_answers(void **state)
{
    struct ak_notice_opts opts = {.lease = 600, .expired_days = 30};
    struct ak_notice_holder nh;
    struct holder h;
    unsigned claims = 0, overs = 0, nothing = 0;

    (void)state;
    build(&h, 240);
    assert_int_equal(ak_notice_holder_open(&nh, &h.v, &h.notices, &h.ids),
                     AK_OK);
    for (unsigned i = 0; i < h.v.records.n; i++) {
        struct ak_record a, b;
        assert_int_equal(ak_notice_holder_key(&nh, i, &a, NULL), AK_OK);
        assert_int_equal(ak_view_key(&h.v, i, &b, NULL), AK_OK);
        assert_memory_equal(&a, &b, sizeof(a));
        assert_true(ak_notice_holder_has_id(&nh, a.id));
        for (int c = AK_NOTICE_OWNER; c <= AK_NOTICE_ADMIN; c++) {
            struct ak_notice_plan p, q;
            ak_notice_holder_plan(&nh, &a, &POLICY, (enum ak_notice_class)c,
                                  NOW, &opts, &p);
            ak_notice_plan(&b, &POLICY, (enum ak_notice_class)c, &h.notices,
                           NOW, &opts, &q);
            assert_true(same_plan(&p, &q));
            claims += p.action == AK_NOTICE_CLAIM;
            overs += p.action == AK_NOTICE_TAKE_OVER;
            nothing += p.action == AK_NOTICE_NOTHING;
        }
    }
    /* the table reached every branch that matters */
    assert_true(claims > 0 && overs > 0 && nothing > 0);
    assert_false(ak_notice_holder_has_id(&nh, "aaaaaaaaaaaaaaaa"));
    ak_notice_holder_close(&nh);
    drop(&h);
}

/* Plans every key of a holder of n keys, reps times; the values looked
 * at and the CPU time. */
static void plan_all(unsigned n, unsigned reps, bool old_way,
                     unsigned long *looked, double *cpu)
{
    struct ak_notice_opts opts = {.lease = 600, .expired_days = 30};
    struct holder h;
    clock_t t0;

    build(&h, n);
    *looked = 0;
    t0 = clock();
    for (unsigned r = 0; r < reps; r++) {
        struct ak_notice_holder nh;
        assert_int_equal(ak_notice_holder_open(&nh, &h.v, &h.notices, &h.ids),
                         AK_OK);
        for (unsigned i = 0; i < n; i++) {
            struct ak_record k;
            if ((old_way ? ak_view_key(&h.v, i, &k, NULL)
                         : ak_notice_holder_key(&nh, i, &k, NULL)) != AK_OK)
                continue;
            for (int c = AK_NOTICE_OWNER; c <= AK_NOTICE_ADMIN; c++) {
                struct ak_notice_plan p;
                if (old_way)
                    ak_notice_plan(&k, &POLICY, (enum ak_notice_class)c,
                                   &h.notices, NOW, &opts, &p);
                else
                    ak_notice_holder_plan(&nh, &k, &POLICY,
                                          (enum ak_notice_class)c, NOW, &opts,
                                          &p);
            }
        }
        *looked += nh.looked;
        ak_notice_holder_close(&nh);
    }
    *cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    drop(&h);
}

/* 10^2 keys 100 times against 10^4 keys once: the same number of keys
 * planned, so linear work gives the same figures (quadratic: 100 times
 * more). Counted (the values the lookups returned) and timed, in the same
 * run; the time's bound is wide (a loaded machine, valgrind). */
static void test_linear(void **state)
{
    unsigned long small, big;
    double t_small, t_big, t_old_small, t_old_mid;
    unsigned long dummy;

    (void)state;
    plan_all(100, 100, false, &small, &t_small);
    plan_all(10000, 1, false, &big, &t_big);
    printf("# 100 x 10^2 keys: %lu values looked at, %.3f s CPU\n", small,
           t_small);
    printf("# 1 x 10^4 keys:   %lu values looked at, %.3f s CPU "
           "(ratio %.2f, %.2f)\n",
           big, t_big, (double)big / (double)small,
           t_small > 0 ? t_big / t_small : 0.0);
    assert_true(big <= small * 3 / 2);
    assert_true(t_big <= 10 * t_small + 0.05);
    /* the way before, for the figures: 10^2 and 10^3 keys, once each */
    plan_all(100, 1, true, &dummy, &t_old_small);
    plan_all(1000, 1, true, &dummy, &t_old_mid);
    printf("# before: 10^2 keys %.4f s, 10^3 keys %.4f s CPU (ratio %.1f)\n",
           t_old_small, t_old_mid,
           t_old_small > 0 ? t_old_mid / t_old_small : 0.0);
}

/* Values that begin with no key id, or with one followed by anything but
 * a space, are about no key; the others keep their order. */
static void test_byid(void **state)
{
    struct ak_bytes v[] = {
        {"bbbbbbbbbbbbbbbb 2", 18}, {"aaaaaaaaaaaaaaaa", 16},
        {"bbbbbbbbbbbbbbbbx", 17},  {"short", 5},
        {"bbbbbbbbbbbbbbbb 1", 18}, {"aaaaaaaaaaaaaaaa z", 18},
    };
    struct ak_values vs = {v, 6, false};
    struct ak_byid b;
    struct ak_values s;

    (void)state;
    assert_int_equal(ak_byid_build(&b, &vs), AK_OK);
    assert_int_equal(b.n, 4);
    s = ak_byid_of(&b, "bbbbbbbbbbbbbbbb");
    assert_int_equal(s.n, 2);
    assert_memory_equal(s.v[0].p, "bbbbbbbbbbbbbbbb 2", 18);
    assert_memory_equal(s.v[1].p, "bbbbbbbbbbbbbbbb 1", 18);
    assert_true(ak_byid_is(&b, "aaaaaaaaaaaaaaaa"));
    assert_false(ak_byid_is(&b, "bbbbbbbbbbbbbbbb"));
    assert_int_equal(ak_byid_of(&b, "cccccccccccccccc").n, 0);
    ak_byid_free(&b);
    assert_int_equal(ak_byid_build(&b, NULL), AK_OK);
    assert_int_equal(ak_byid_of(&b, "aaaaaaaaaaaaaaaa").n, 0);
    ak_byid_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byid),
        cmocka_unit_test(test_same_answers),
        cmocka_unit_test(test_linear),
    };
    NOW = time(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
