/* SPDX-License-Identifier: BSD-3-Clause */
/* test_sync_proto.c - the sync client against a scripted server: answers
 * a real slapd never gives (bad phase transitions, short entryUUIDs,
 * silence in the middle of a refresh, id sets in both directions). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <lber.h>

#include "ak_test.h"
#include "index.h"
#include "sync.h"

/* One scripted answer to the search. */
enum kind { ENTRY, INFO_PRESENT, INFO_DELETE, IDSET, COOKIE, DONE, SILENCE };
struct step {
    enum kind kind;
    int state;      /* ENTRY: syncState; INFO_*: refreshDone; IDSET: deletes */
    int uuid_len;   /* ENTRY: 16 normally */
    uint8_t tag;    /* ENTRY / IDSET: the UUID's fill byte */
    int rc;         /* DONE: the result code */
    const char *ck; /* a cookie to attach, or NULL */
};

struct script {
    const struct step *steps;
    int n;
};

static int lfd, port;
static char uri[64];
static const struct script *script;
static pthread_t thr;

static void send_ber(int fd, BerElement *ber)
{
    struct berval *bv = NULL;
    assert_int_equal(ber_flatten(ber, &bv), 0);
    assert_int_equal(write(fd, bv->bv_val, bv->bv_len), (ssize_t)bv->bv_len);
    ber_bvfree(bv);
    ber_free(ber, 1);
}

static struct berval *encode(BerElement *ber)
{
    struct berval *bv = NULL;
    assert_int_equal(ber_flatten(ber, &bv), 0);
    ber_free(ber, 1);
    return bv;
}

static void send_step(int fd, ber_int_t id, const struct step *st)
{
    BerElement *ber = ber_alloc_t(LBER_USE_DER), *v = ber_alloc_t(LBER_USE_DER);
    uint8_t u[32];
    memset(u, st->tag, sizeof u);
    struct berval ub = {.bv_len = (ber_len_t)st->uuid_len, .bv_val = (char *)u};
    struct berval ck = {.bv_len = st->ck ? strlen(st->ck) : 0,
                        .bv_val = (char *)(uintptr_t)st->ck};
    struct berval *val;
    switch (st->kind) {
    case ENTRY:
        if (st->ck)
            ber_printf(v, "{eOO}", (ber_int_t)st->state, &ub, &ck);
        else
            ber_printf(v, "{eO}", (ber_int_t)st->state, &ub);
        val = encode(v);
        ber_printf(ber, "{it{s{}}t{{sO}}}", id,
                   (ber_tag_t)LDAP_RES_SEARCH_ENTRY, "uid=x,dc=test",
                   (ber_tag_t)LDAP_TAG_CONTROLS, LDAP_CONTROL_SYNC_STATE, val);
        ber_bvfree(val);
        break;
    case INFO_PRESENT:
    case INFO_DELETE:
        ber_printf(v, "t{",
                   (ber_tag_t)(st->kind == INFO_PRESENT
                                   ? LDAP_TAG_SYNC_REFRESH_PRESENT
                                   : LDAP_TAG_SYNC_REFRESH_DELETE));
        if (st->ck)
            ber_printf(v, "O", &ck);
        if (!st->state)
            ber_printf(v, "b", (ber_int_t)0);
        ber_printf(v, "N}");
        goto info;
    case IDSET:
        ber_printf(v, "t{", (ber_tag_t)LDAP_TAG_SYNC_ID_SET);
        if (st->ck)
            ber_printf(v, "O", &ck);
        if (st->state)
            ber_printf(v, "b", (ber_int_t)1);
        ber_printf(v, "[O]N}", &ub);
        goto info;
    case COOKIE:
        ber_printf(v, "tO", (ber_tag_t)LDAP_TAG_SYNC_NEW_COOKIE, &ck);
    info:
        val = encode(v);
        ber_printf(ber, "{it{tstO}}", id, (ber_tag_t)LDAP_RES_INTERMEDIATE,
                   (ber_tag_t)LDAP_TAG_IM_RES_OID, LDAP_SYNC_INFO,
                   (ber_tag_t)LDAP_TAG_IM_RES_VALUE, val);
        ber_bvfree(val);
        break;
    case DONE:
        ber_free(v, 1);
        ber_printf(ber, "{it{ess}}", id, (ber_tag_t)LDAP_RES_SEARCH_RESULT,
                   (ber_int_t)st->rc, "", "scripted");
        break;
    case SILENCE:
        ber_free(v, 1);
        ber_free(ber, 1);
        return;
    }
    send_ber(fd, ber);
}

/* Accept one client, answer its bind and its search with the script, then
 * read until it goes. */
static void *serve(void *arg)
{
    (void)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    Sockbuf *sb = ber_sockbuf_alloc();
    ber_sockbuf_add_io(sb, &ber_sockbuf_io_fd, LBER_SBIOD_LEVEL_PROVIDER, &fd);
    for (;;) {
        BerElement *req = ber_alloc_t(0);
        ber_len_t len;
        ber_tag_t t = ber_get_next(sb, &len, req);
        if (t == LBER_ERROR) {
            ber_free(req, 1);
            break;
        }
        ber_int_t id;
        ber_tag_t op;
        /* ber_get_next consumed the outer SEQUENCE */
        if (ber_scanf(req, "i", &id) == LBER_ERROR) {
            ber_free(req, 1);
            break;
        }
        op = ber_peek_tag(req, &len);
        ber_free(req, 1);
        if (op == LDAP_REQ_BIND) {
            BerElement *r = ber_alloc_t(LBER_USE_DER);
            ber_printf(r, "{it{ess}}", id, (ber_tag_t)LDAP_RES_BIND,
                       (ber_int_t)0, "", "");
            send_ber(fd, r);
        } else if (op == LDAP_REQ_SEARCH) {
            for (int i = 0; i < script->n; i++)
                send_step(fd, id, &script->steps[i]);
        } else if (op == LDAP_REQ_UNBIND) {
            break;
        }
    }
    ber_sockbuf_free(sb); /* closes fd */
    return NULL;
}

static int cb_entry(void *ctx, const uint8_t uuid[EX_UUID_LEN], LDAP *ld,
                    LDAPMessage *e, time_t *next_due)
{
    (void)ctx;
    (void)uuid;
    (void)ld;
    (void)e;
    *next_due = 1;
    return AK_OK;
}
static int n_deleted;
static void cb_deleted(void *ctx, const uint8_t uuid[EX_UUID_LEN])
{
    (void)ctx;
    (void)uuid;
    n_deleted++;
}
static const struct ex_sync_cb cbs = {cb_entry, cb_deleted, NULL, NULL};

static struct akt_verifier v;

/* Run a script. The index starts with UUIDs filled with 0xA1 and 0xA2.
 * Returns the first non-OK status of open or of polls (up to 3 s). */
static int run(const struct script *sc, const char *cookie,
               struct ex_index **idx_out)
{
    script = sc;
    assert_int_equal(pthread_create(&thr, NULL, serve, NULL), 0);
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    uint8_t a[EX_UUID_LEN], b[EX_UUID_LEN];
    memset(a, 0xa1, sizeof a);
    memset(b, 0xa2, sizeof b);
    assert_int_equal(ex_index_put(idx, a, 1), AK_OK);
    assert_int_equal(ex_index_put(idx, b, 1), AK_OK);
    struct ak_conn *c;
    akt_log_reset();
    if (ak_dir_acquire(v.dir, true, &akt_log, &c) != AK_OK)
        fail_msg("acquire: %s", akt_logbuf);
    struct ex_sync_params p = {
        .base = "dc=test",
        .filter = "(objectClass=*)",
        .cookie = (const uint8_t *)cookie,
        .cookie_len = cookie ? strlen(cookie) : 0,
        .refresh_idle = 1,
    };
    struct ex_sync *s = NULL;
    n_deleted = 0;
    akt_log_reset();
    int rc = ex_sync_open(c, idx, &p, &cbs, NULL, &akt_log, &s);
    double t0 = akt_now();
    while (rc == AK_OK && akt_now() - t0 < 3)
        rc = ex_sync_poll(s, 200);
    ex_sync_close(s);
    ak_dir_release(v.dir, c);
    /* closing the pool unbinds: the server thread sees it and ends */
    akt_verifier_close(&v);
    pthread_join(thr, NULL);
    akt_verifier_open(&v, akt_config("fake.conf", uri, NULL));
    if (idx_out != NULL)
        *idx_out = idx;
    else
        ex_index_free(idx);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);
    snprintf(uri, sizeof uri, "ldap://127.0.0.1:%d", port);
    akt_verifier_open(&v, akt_config("fake.conf", uri, NULL));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&v);
    close(lfd);
    return 0;
}

#define RUN(steps, cookie, idx)                                                \
    run(&(struct script){steps, (int)(sizeof steps / sizeof steps[0])},        \
        cookie, idx)

static void test_short_uuid(void **state)
{
    (void)state;
    static const struct step s[] = {{ENTRY, LDAP_SYNC_ADD, 15, 1, 0, NULL}};
    assert_int_equal(RUN(s, NULL, NULL), EX_SYNC_RESYNC);
    assert_non_null(strstr(akt_logbuf, "not 16 bytes"));
}

static void test_long_uuid_in_idset(void **state)
{
    (void)state;
    static const struct step s[] = {{IDSET, 1, 17, 1, 0, NULL}};
    assert_int_equal(RUN(s, NULL, NULL), EX_SYNC_RESYNC);
}

static void test_present_then_delete(void **state)
{
    (void)state;
    /* a present entry, then a refreshDelete: not a valid transition */
    static const struct step s[] = {
        {ENTRY, LDAP_SYNC_PRESENT, 16, 0xa1, 0, NULL},
        {INFO_DELETE, 1, 0, 0, 0, "rid=001"}};
    assert_int_equal(RUN(s, "rid=001", NULL), EX_SYNC_RESYNC);
    assert_non_null(strstr(akt_logbuf, "delete phase ended a present"));
}

static void test_present_in_persist(void **state)
{
    (void)state;
    static const struct step s[] = {
        {INFO_DELETE, 1, 0, 0, 0, "rid=001"},
        {ENTRY, LDAP_SYNC_PRESENT, 16, 0xa1, 0, NULL}};
    assert_int_equal(RUN(s, "rid=001", NULL), EX_SYNC_RESYNC);
}

static void test_refresh_end_in_persist(void **state)
{
    (void)state;
    static const struct step s[] = {{INFO_PRESENT, 1, 0, 0, 0, "rid=001"},
                                    {INFO_PRESENT, 1, 0, 0, 0, NULL}};
    assert_int_equal(RUN(s, "rid=001", NULL), EX_SYNC_RESYNC);
}

static void test_refresh_required(void **state)
{
    (void)state;
    static const struct step s[] = {{DONE, 0, 0, 0, 4096, NULL}};
    assert_int_equal(RUN(s, "rid=001", NULL), EX_SYNC_RESYNC);
}

static void test_unwilling(void **state)
{
    (void)state;
    static const struct step s[] = {{DONE, 0, 0, 0, 53, NULL}};
    assert_int_equal(RUN(s, NULL, NULL), EX_SYNC_UNSUPPORTED);
}

/* With a cookie: a present id set keeps 0xA1; refreshPresent removes 0xA2;
 * in persist a delete id set removes 0xA1. */
static void test_id_sets(void **state)
{
    (void)state;
    static const struct step s[] = {
        {IDSET, 0, 16, 0xa1, 0, NULL},
        {INFO_PRESENT, 1, 0, 0, 0, "rid=002"},
        {COOKIE, 0, 0, 0, 0, "rid=003"},
    };
    struct ex_index *idx;
    uint8_t a[EX_UUID_LEN], b[EX_UUID_LEN];
    memset(a, 0xa1, sizeof a);
    memset(b, 0xa2, sizeof b);
    /* the server stays up: the run ends after 3 s of quiet polling */
    assert_int_equal(RUN(s, "rid=001", &idx), AK_OK);
    assert_true(ex_index_get(idx, a, NULL));
    assert_false(ex_index_get(idx, b, NULL));
    assert_int_equal(n_deleted, 1);
    ex_index_free(idx);

    static const struct step d[] = {
        {INFO_DELETE, 1, 0, 0, 0, "rid=002"},
        {IDSET, 1, 16, 0xa1, 0, NULL},
    };
    assert_int_equal(RUN(d, "rid=001", &idx), AK_OK);
    assert_false(ex_index_get(idx, a, NULL));
    assert_true(ex_index_get(idx, b, NULL)); /* a delete phase keeps it */
    ex_index_free(idx);
}

/* One entry, then nothing: the refresh stalls and the client gives up
 * after refresh_idle (1 s), not never. */
static void test_stall(void **state)
{
    (void)state;
    static const struct step s[] = {{ENTRY, LDAP_SYNC_ADD, 16, 0xb1, 0, NULL},
                                    {SILENCE, 0, 0, 0, 0, NULL}};
    double t0 = akt_now();
    assert_int_equal(RUN(s, NULL, NULL), AK_ERR_BACKEND);
    double dt = akt_now() - t0;
    if (!akt_under_valgrind())
        assert_true(dt < 2.5);
    assert_non_null(strstr(akt_logbuf, "stalled"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_uuid),
        cmocka_unit_test(test_long_uuid_in_idset),
        cmocka_unit_test(test_present_then_delete),
        cmocka_unit_test(test_present_in_persist),
        cmocka_unit_test(test_refresh_end_in_persist),
        cmocka_unit_test(test_refresh_required),
        cmocka_unit_test(test_unwilling),
        cmocka_unit_test(test_id_sets),
        cmocka_unit_test(test_stall),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
