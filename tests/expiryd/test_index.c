/* SPDX-License-Identifier: BSD-3-Clause */
/* test_index.c - the daemon's entryUUID index and its state file */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ak_status.h"
#include "index.h"

#define BIG 100000u

static const struct ak_log quiet = {0};

/* A v1-like UUID: only a counter changes (the worst case for a hash that
 * does not mix). */
static void uuid_of(uint32_t n, uint8_t u[EX_UUID_LEN])
{
    memset(u, 0x5a, EX_UUID_LEN);
    u[0] = (uint8_t)(n >> 24);
    u[1] = (uint8_t)(n >> 16);
    u[2] = (uint8_t)(n >> 8);
    u[3] = (uint8_t)n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_basic(void **state)
{
    (void)state;
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    uint8_t u[EX_UUID_LEN];
    time_t due;
    uuid_of(1, u);
    assert_false(ex_index_get(idx, u, &due));
    assert_int_equal(ex_index_put(idx, u, 100), AK_OK);
    assert_true(ex_index_get(idx, u, &due));
    assert_int_equal(due, 100);
    assert_int_equal(ex_index_put(idx, u, 50), AK_OK); /* update */
    assert_int_equal(ex_index_count(idx), 1);
    assert_true(ex_index_get(idx, u, &due));
    assert_int_equal(due, 50);
    assert_true(ex_index_set_due(idx, u, 70));
    uint8_t v[EX_UUID_LEN];
    uuid_of(2, v);
    assert_false(ex_index_set_due(idx, v, 70)); /* not tracked: no insert */
    assert_int_equal(ex_index_count(idx), 1);
    assert_true(ex_index_remove(idx, u));
    assert_false(ex_index_remove(idx, u));
    assert_int_equal(ex_index_count(idx), 0);
    assert_false(ex_index_earliest(idx, &due, NULL));
    assert_int_equal(ex_index_put(idx, u, EX_DUE_NEVER), AK_OK);
    assert_false(ex_index_earliest(idx, &due, NULL)); /* nothing due */
    ex_index_free(idx);
}

/* Random puts and removes against a plain array. */
static void test_against_reference(void **state)
{
    (void)state;
    enum { N = 5000, OPS = 200000 };
    static int64_t ref[N]; /* -1: absent */
    for (int i = 0; i < N; i++)
        ref[i] = -1;
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    srand(12345);
    size_t count = 0;
    for (int op = 0; op < OPS; op++) {
        uint32_t k = (uint32_t)rand() % N;
        uint8_t u[EX_UUID_LEN];
        uuid_of(k, u);
        if (rand() % 3 == 0) {
            assert_int_equal(ex_index_remove(idx, u), ref[k] >= 0);
            if (ref[k] >= 0)
                count--;
            ref[k] = -1;
        } else {
            int64_t d = rand() % 100000;
            assert_int_equal(ex_index_put(idx, u, (time_t)d), AK_OK);
            if (ref[k] < 0)
                count++;
            ref[k] = d;
        }
    }
    assert_int_equal(ex_index_count(idx), count);
    int64_t best = INT64_MAX;
    for (uint32_t k = 0; k < N; k++) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(k, u);
        time_t due;
        assert_int_equal(ex_index_get(idx, u, &due), ref[k] >= 0);
        if (ref[k] >= 0) {
            assert_int_equal((int64_t)due, ref[k]);
            if (ref[k] < best)
                best = ref[k];
        }
    }
    time_t due;
    assert_true(ex_index_earliest(idx, &due, NULL));
    assert_int_equal((int64_t)due, best);
    ex_index_free(idx);
}

static size_t n_gone;
static void count_gone(void *ctx, const uint8_t uuid[EX_UUID_LEN])
{
    (void)ctx;
    /* only odd UUIDs were left unmarked */
    assert_int_equal(uuid[3] & 1, 1);
    n_gone++;
}

static int count_due(void *ctx, const uint8_t uuid[EX_UUID_LEN], time_t due)
{
    (void)uuid;
    (void)due;
    (*(size_t *)ctx)++;
    return 0;
}

/* 100,000 holders: memory per holder, scan time, present phase. */
static void test_big(void **state)
{
    (void)state;
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    double t0 = now_s();
    for (uint32_t n = 0; n < BIG; n++) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(n, u);
        assert_int_equal(ex_index_put(idx, u, (time_t)(1000000 + n)), AK_OK);
    }
    double t1 = now_s();
    assert_int_equal(ex_index_count(idx), BIG);
    double per = (double)ex_index_bytes(idx) / BIG;
    time_t due;
    uint8_t first[EX_UUID_LEN], want[EX_UUID_LEN];
    double t2 = now_s();
    assert_true(ex_index_earliest(idx, &due, first));
    double t3 = now_s();
    uuid_of(0, want);
    assert_int_equal(due, 1000000);
    assert_memory_equal(first, want, EX_UUID_LEN);
    size_t n_due = 0;
    assert_int_equal(ex_index_each_due(idx, 1000000 + 99, count_due, &n_due),
                     0);
    assert_int_equal(n_due, 100);
    printf("index: %u holders, %zu bytes, %.1f bytes/holder; %.0f ns/put; "
           "earliest scan %.3f ms\n",
           BIG, ex_index_bytes(idx), per, (t1 - t0) * 1e9 / BIG,
           (t3 - t2) * 1e3);
    assert_true(per < 64.0); /* the target */

    /* present phase: mark the even ones */
    ex_index_begin_present(idx);
    for (uint32_t n = 0; n < BIG; n += 2) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(n, u);
        ex_index_mark_present(idx, u);
    }
    n_gone = 0;
    double t4 = now_s();
    assert_int_equal(ex_index_end_present(idx, count_gone, NULL), BIG / 2);
    double t5 = now_s();
    printf("index: present phase removed %zu in %.2f ms\n", n_gone,
           (t5 - t4) * 1e3);
    assert_int_equal(n_gone, BIG / 2);
    assert_int_equal(ex_index_count(idx), BIG / 2);
    for (uint32_t n = 0; n < BIG; n++) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(n, u);
        assert_int_equal(ex_index_get(idx, u, NULL), n % 2 == 0);
    }
    /* a put marks present: a second present phase with no marks but a
     * put keeps only that one */
    ex_index_begin_present(idx);
    uint8_t u0[EX_UUID_LEN];
    uuid_of(0, u0);
    assert_int_equal(ex_index_put(idx, u0, 5), AK_OK);
    assert_int_equal(ex_index_end_present(idx, NULL, NULL), BIG / 2 - 1);
    assert_int_equal(ex_index_count(idx), 1);
    ex_index_free(idx);
}

static char dir[] = "/tmp/ex-index-XXXXXX";
static char path[64];

static int setup_dir(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/state", dir);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static struct ex_index *filled(uint32_t n)
{
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(i * 7919u, u);
        time_t due = i % 10 == 0 ? EX_DUE_NEVER : (time_t)i * 3600 - 86400;
        assert_int_equal(ex_index_put(idx, u, due), AK_OK);
    }
    return idx;
}

static void test_save_load(void **state)
{
    (void)state;
    struct ex_index *a = filled(BIG), *b;
    const char *ck = "rid=000,csn=20061201000000.000000Z#000000#000#000000";
    double t0 = now_s();
    assert_int_equal(
        ex_index_save(a, path, (const uint8_t *)ck, strlen(ck), &quiet), AK_OK);
    double t1 = now_s();
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    printf("state file: %lld bytes for %u holders, saved in %.1f ms\n",
           (long long)st.st_size, BIG, (t1 - t0) * 1e3);
    assert_int_equal(ex_index_new(&b), AK_OK);
    uint8_t *cookie;
    size_t clen;
    assert_int_equal(ex_index_load(b, path, &cookie, &clen, &quiet), AK_OK);
    assert_int_equal(clen, strlen(ck));
    assert_memory_equal(cookie, ck, clen);
    free(cookie);
    assert_int_equal(ex_index_count(b), BIG);
    for (uint32_t i = 0; i < BIG; i++) {
        uint8_t u[EX_UUID_LEN];
        uuid_of(i * 7919u, u);
        time_t da, db;
        assert_true(ex_index_get(a, u, &da));
        assert_true(ex_index_get(b, u, &db));
        assert_int_equal(da, db);
    }
    /* no cookie at all */
    assert_int_equal(ex_index_save(a, path, NULL, 0, &quiet), AK_OK);
    assert_int_equal(ex_index_load(b, path, &cookie, &clen, &quiet), AK_OK);
    assert_null(cookie);
    assert_int_equal(clen, 0);
    /* no temp file is left behind */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);
    ex_index_free(a);
    ex_index_free(b);
}

static char logbuf[4096];
static void sink(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    snprintf(logbuf, sizeof logbuf, "%s", msg);
}
static const struct ak_log catch = {.sink = sink};

/* Write the file whole, then damage it with f; load must refuse it. */
static void refused(void (*f)(FILE *fp, long size), const char *why)
{
    struct ex_index *a = filled(1000), *b;
    assert_int_equal(
        ex_index_save(a, path, (const uint8_t *)"rid=001", 7, &quiet), AK_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    f(fp, (long)st.st_size);
    fclose(fp);
    assert_int_equal(ex_index_new(&b), AK_OK);
    /* b holds something: a refused load leaves it empty */
    uint8_t u[EX_UUID_LEN];
    uuid_of(424242, u);
    assert_int_equal(ex_index_put(b, u, 1), AK_OK);
    static uint8_t x[1];
    uint8_t *cookie = x;
    size_t clen = 99;
    logbuf[0] = '\0';
    assert_int_equal(ex_index_load(b, path, &cookie, &clen, &catch),
                     AK_ERR_MALFORMED);
    assert_null(cookie);
    assert_int_equal(clen, 0);
    assert_int_equal(ex_index_count(b), 0);
    assert_non_null(strstr(logbuf, why));
    assert_non_null(strstr(logbuf, "full refresh"));
    ex_index_free(a);
    ex_index_free(b);
}

static void truncate_half(FILE *fp, long size)
{
    assert_int_equal(ftruncate(fileno(fp), size / 2), 0);
}
static void truncate_one(FILE *fp, long size)
{
    assert_int_equal(ftruncate(fileno(fp), size - 1), 0);
}
static void truncate_tiny(FILE *fp, long size)
{
    (void)size;
    assert_int_equal(ftruncate(fileno(fp), 10), 0);
}
static void flip_byte(FILE *fp, long size)
{
    fseek(fp, size / 2, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, size / 2, SEEK_SET);
    fputc(c ^ 0x01, fp);
}
static void append_byte(FILE *fp, long size)
{
    (void)size;
    fseek(fp, 0, SEEK_END);
    fputc(0, fp);
}
static void bad_magic(FILE *fp, long size)
{
    (void)size;
    fputc('X', fp);
}

static void test_refused(void **state)
{
    (void)state;
    refused(truncate_half, "truncated");
    refused(truncate_one, "truncated");
    refused(truncate_tiny, "truncated");
    refused(flip_byte, "checksum");
    refused(append_byte, "length");
    refused(bad_magic, "not an apikey-expiryd state file");
}

static void test_missing(void **state)
{
    (void)state;
    struct ex_index *b;
    assert_int_equal(ex_index_new(&b), AK_OK);
    uint8_t *cookie;
    size_t clen;
    char p[96];
    snprintf(p, sizeof p, "%s/none", dir);
    assert_int_equal(ex_index_load(b, p, &cookie, &clen, &quiet),
                     AK_ERR_NOT_FOUND);
    /* a directory that is not there: save fails cleanly, nothing made */
    snprintf(p, sizeof p, "%s/no/such/state", dir);
    assert_int_equal(ex_index_save(b, p, NULL, 0, &quiet), AK_ERR_IO);
    uint8_t big[1];
    assert_int_equal(ex_index_save(b, path, big, EX_COOKIE_MAX + 1, &quiet),
                     AK_ERR_INVALID);
    ex_index_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_missing),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
