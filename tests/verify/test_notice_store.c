/* SPDX-License-Identifier: BSD-3-Clause */
/* test_notice_store.c - claiming and settling expiry notices against a
 * real slapd with the packaged ACLs (packaging/ldap/apikey-acl.ldif):
 * two daemons racing for one notice have one winner, a settle after a
 * takeover conflicts, a catch-up claim marks the wider stages, and only
 * the daemon's bind (cn=expiryd) may do any of it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ak_holder.h"
#include "ak_judge.h"
#include "ak_notice.h"
#include "ak_schema.h"
#include "ak_store_notice.h"
#include "ak_test.h"

#define DAY 86400
#define ALICE AKT_DN("alice")
#define EXPIRYD "cn=expiryd,ou=system,dc=example,dc=org"

static LDAP *admin;
static struct akt_verifier A, B; /* two daemons, each with its own pool */
static char kid[AK_KEY_ID_LEN + 1];
static time_t E; /* alice's key's expiry */

static void daemon_open(struct akt_verifier *d, const char *name)
{
    char pw[512], extra[1200], conf[64];
    FILE *f;

    snprintf(pw, sizeof(pw), "%s/expiryd.pw", akt_env("AK_TEST_DIR"));
    f = fopen(pw, "w");
    assert_non_null(f);
    fputs("expiryd-secret\n", f);
    fclose(f);
    assert_int_equal(chmod(pw, 0600), 0);
    snprintf(extra, sizeof(extra), "bind_dn " EXPIRYD "\nbind_pw_file %s", pw);
    snprintf(conf, sizeof(conf), "%s.conf", name);
    akt_verifier_open(d, akt_config(conf, NULL, extra));
}

static int setup(void **state)
{
    char key[AK_KEY_MAX_LEN + 1], exp[AK_TIME_LEN + 1];
    struct akt_key_opts o = {0};
    struct ak_key k;
    (void)state;

    admin = akt_admin();
    E = time(NULL) + 3 * DAY;
    o.expires = akt_time(exp, E);
    akt_add_key(admin, ALICE, &o, key);
    assert_int_equal(ak_key_parse(key, strlen(key), &k, NULL), AK_OK);
    memcpy(kid, k.id, sizeof(kid));
    daemon_open(&A, "expiryd-a");
    daemon_open(&B, "expiryd-b");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&A);
    akt_verifier_close(&B);
    akt_clear_keys(admin, ALICE);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

static struct ak_notice_id nid(time_t expires, unsigned stage,
                               enum ak_notice_class c)
{
    struct ak_notice_id id;
    memset(&id, 0, sizeof(id));
    memcpy(id.kid, kid, sizeof(id.kid));
    id.expires = expires;
    id.stage = stage;
    id.class = c;
    return id;
}

static struct ak_conn *conn(struct akt_verifier *d)
{
    struct ak_conn *c = NULL;
    int rc = ak_dir_acquire(d->dir, false, &akt_log, &c);
    if (rc != AK_OK)
        fail_msg("acquire: %s\n%s", ak_strerror(rc), akt_logbuf);
    return c;
}

/* alice's apiKeyNotice values as the daemon reads them (AK_READ_NOTICE),
 * in h (free with ak_holder_free). */
static void read_alice(struct akt_verifier *d, struct ak_holder *h)
{
    struct ak_holder_attrs a;
    struct ak_conn *c = conn(d);
    LDAPMessage *res = NULL, *e;
    struct ak_entry en;
    const char *why = NULL;

    ak_holder_attrs_init(&a, d->cfg, AK_READ_MANAGE | AK_READ_NOTICE);
    assert_int_equal(ak_conn_search(c, ALICE, LDAP_SCOPE_BASE,
                                    "(objectClass=*)", a.list, 0, &akt_log,
                                    &res),
                     AK_OK);
    e = ldap_first_entry(ak_conn_ld(c), res);
    assert_non_null(e);
    assert_int_equal(ak_entry_open(ak_conn_ld(c), e, a.list, &en, &why), AK_OK);
    assert_int_equal(ak_holder_copy(&en, &a, time(NULL), h), AK_OK);
    ak_entry_close(&en);
    ldap_msgfree(res);
    ak_dir_release(d->dir, c);
}

/* How many of alice's values start with prefix, as the daemon reads them. */
static unsigned count_prefix(const char *prefix)
{
    struct ak_holder h;
    unsigned n = 0;

    read_alice(&A, &h);
    for (unsigned i = 0; i < h.n_notices; i++)
        n += strncmp(h.notices[i], prefix, strlen(prefix)) == 0;
    ak_holder_free(&h);
    return n;
}

static void clear_notices(void)
{
    akt_set(admin, ALICE, AK_AT_NOTICE, NULL);
}

/* --- the holder reader ------------------------------------------------ */

static void test_reader(void **state)
{
    struct ak_holder_attrs a;
    struct ak_holder h;
    (void)state;

    /* the verifier's list is as it was: no notices, no mail */
    ak_holder_attrs_init(&a, A.cfg, AK_READ_POLICY | AK_READ_LAST_USE);
    for (unsigned i = 0; a.list[i] != NULL; i++) {
        assert_string_not_equal(a.list[i], AK_AT_NOTICE);
        assert_string_not_equal(a.list[i], "mail");
    }
    assert_int_equal(a.slot[AK_HF_NOTICE], -1);
    assert_int_equal(a.slot[AK_HF_MAIL], -1);
    /* the management read carries the notices (apikey list shows which
     * went out), not mail */
    ak_holder_attrs_init(&a, A.cfg, AK_READ_MANAGE);
    assert_true(a.slot[AK_HF_NOTICE] >= 0);
    assert_string_equal(a.list[a.slot[AK_HF_NOTICE]], AK_AT_NOTICE);
    assert_int_equal(a.slot[AK_HF_MAIL], -1);
    /* the daemon's read carries both */
    read_alice(&A, &h);
    assert_int_equal(h.n_mail, 1);
    assert_string_equal(h.mail[0], "alice@example.org");
    assert_int_equal(h.n_notices, 0);
    assert_int_equal(h.n_records, 1);
    ak_holder_free(&h);
}

/* --- claims ----------------------------------------------------------- */

struct racer {
    struct akt_verifier *d;
    struct ak_conn *c;
    pthread_barrier_t *go;
    struct ak_notice_id id;
    const struct ak_notice *old; /* take over instead of claim */
    const char *host;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    if (r->old != NULL)
        r->rc = ak_store_notice_take_over(r->c, ALICE, r->old, time(NULL),
                                          r->host, NULL, NULL);
    else
        r->rc = ak_store_notice_claim(r->c, ALICE, &r->id, NULL, 0, time(NULL),
                                      r->host, NULL, NULL);
    return NULL;
}

/* Both daemons at once; returns how many won (and checks the loser). */
static unsigned race_once(struct ak_notice_id id, const struct ak_notice *old)
{
    pthread_barrier_t go;
    struct racer r[2] = {
        {&A, conn(&A), &go, id, old, "host-a", 99},
        {&B, conn(&B), &go, id, old, "host-b", 99},
    };
    pthread_t t[2];
    unsigned won = 0;

    pthread_barrier_init(&go, NULL, 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        ak_dir_release(r[i].d->dir, r[i].c);
        if (r[i].rc == AK_OK)
            won++;
        else if (r[i].rc != AK_ERR_CONFLICT)
            fail_msg("racer %d: %s\n%s", i, ak_strerror(r[i].rc), akt_logbuf);
    }
    pthread_barrier_destroy(&go);
    return won;
}

static void test_race_claim(void **state)
{
    char prefix[AK_NOTICE_PREFIX_MAX + 1];
    (void)state;

    clear_notices();
    for (unsigned i = 0; i < 50; i++) {
        /* a fresh notice each round: another expiry */
        struct ak_notice_id id = nid(E + i, 7, AK_NOTICE_OWNER);
        unsigned won = race_once(id, NULL);
        if (won != 1)
            fail_msg("round %u: %u winners", i, won);
        assert_int_equal(ak_notice_prefix(&id, prefix), AK_OK);
        assert_int_equal(count_prefix(prefix), 1);
    }
    clear_notices();
}

static void test_race_take_over(void **state)
{
    struct ak_notice stale;
    struct ak_conn *c;
    (void)state;

    clear_notices();
    for (unsigned i = 0; i < 10; i++) {
        struct ak_notice_id id = nid(E + i, 1, AK_NOTICE_ADMIN);
        char prefix[AK_NOTICE_PREFIX_MAX + 1];
        c = conn(&A);
        /* a claim made long ago by a daemon that died */
        assert_int_equal(ak_store_notice_claim(c, ALICE, &id, NULL, 0,
                                               time(NULL) - 3600, "dead",
                                               &akt_log, &stale),
                         AK_OK);
        ak_dir_release(A.dir, c);
        if (race_once(id, &stale) != 1)
            fail_msg("take-over round %u: not one winner", i);
        assert_int_equal(ak_notice_prefix(&id, prefix), AK_OK);
        assert_int_equal(count_prefix(prefix), 1);
    }
    clear_notices();
}

static void test_claim_twice_and_settle(void **state)
{
    struct ak_notice_id id = nid(E, 7, AK_NOTICE_OWNER);
    struct ak_notice mine, theirs, sent;
    struct ak_conn *a = conn(&A), *b = conn(&B);
    char prefix[AK_NOTICE_PREFIX_MAX + 1], v[AK_NOTICE_MAX + 1];
    time_t now = time(NULL);
    struct ak_holder h;
    (void)state;

    clear_notices();
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, now - 700,
                                           "host-a", &akt_log, &mine),
                     AK_OK);
    /* the same notice again, by the other daemon or by the same */
    assert_int_equal(ak_store_notice_claim(b, ALICE, &id, NULL, 0, now,
                                           "host-b", &akt_log, NULL),
                     AK_ERR_CONFLICT);
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, now,
                                           "host-a", &akt_log, NULL),
                     AK_ERR_CONFLICT);
    /* the other class is another notice */
    struct ak_notice_id adm = nid(E, 7, AK_NOTICE_ADMIN);
    assert_int_equal(ak_store_notice_claim(b, ALICE, &adm, NULL, 0, now,
                                           "host-b", &akt_log, NULL),
                     AK_OK);
    /* b takes over a's claim (past its lease): a's settle conflicts */
    assert_int_equal(ak_store_notice_take_over(b, ALICE, &mine, now, "host-b",
                                               &akt_log, &theirs),
                     AK_OK);
    memset(&sent, 0, sizeof(sent));
    sent.id = id;
    sent.state = AK_NOTICE_SENT;
    sent.at = now;
    assert_int_equal(ak_store_notice_settle(a, ALICE, &mine, &sent, &akt_log),
                     AK_ERR_CONFLICT);
    /* taking a's claim over again finds it gone */
    assert_int_equal(ak_store_notice_take_over(a, ALICE, &mine, now, "host-a",
                                               &akt_log, NULL),
                     AK_ERR_CONFLICT);
    assert_int_equal(ak_store_notice_settle(b, ALICE, &theirs, &sent, &akt_log),
                     AK_OK);
    /* settled once: a second settle finds the claim gone */
    assert_int_equal(ak_store_notice_settle(b, ALICE, &theirs, &sent, &akt_log),
                     AK_ERR_CONFLICT);
    ak_dir_release(A.dir, a);
    ak_dir_release(B.dir, b);
    assert_int_equal(ak_notice_prefix(&id, prefix), AK_OK);
    assert_int_equal(count_prefix(prefix), 1);
    assert_int_equal(ak_notice_format(&sent, v), AK_OK);
    read_alice(&A, &h);
    assert_int_equal(h.n_notices, 2);
    assert_true(strcmp(h.notices[0], v) == 0 || strcmp(h.notices[1], v) == 0);
    ak_holder_free(&h);
    clear_notices();
}

/* Deferred, retried, given up: each step a replace of the exact value. */
static void test_defer_and_give_up(void **state)
{
    struct ak_notice_id id = nid(E, 1, AK_NOTICE_OWNER);
    struct ak_notice claimed, deferred, again, failed;
    struct ak_conn *a = conn(&A);
    time_t now = time(NULL);
    (void)state;

    clear_notices();
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, now - 7200,
                                           "host-a", &akt_log, &claimed),
                     AK_OK);
    deferred = claimed;
    deferred.state = AK_NOTICE_DEFERRED;
    deferred.attempts = 1;
    assert_int_equal(
        ak_store_notice_settle(a, ALICE, &claimed, &deferred, &akt_log), AK_OK);
    assert_int_equal(ak_store_notice_take_over(a, ALICE, &deferred, now,
                                               "host-a", &akt_log, &again),
                     AK_OK);
    assert_int_equal(again.state, AK_NOTICE_CLAIMED);
    /* the claim carries the deferred notice's history; the settle below
     * deletes that exact value, so it is what the directory holds */
    assert_int_equal(again.attempts, 1);
    assert_int_equal(again.first_failure, deferred.at);
    deferred.attempts = 2;
    assert_int_equal(
        ak_store_notice_settle(a, ALICE, &again, &deferred, &akt_log), AK_OK);
    failed = deferred;
    failed.state = AK_NOTICE_FAILED;
    failed.at = now;
    strcpy(failed.reason, "tempfail-24h");
    /* not a settle (the old value is no claim), a replace */
    assert_int_equal(
        ak_store_notice_settle(a, ALICE, &deferred, &failed, &akt_log),
        AK_ERR_INVALID);
    assert_int_equal(
        ak_store_notice_replace(a, ALICE, &deferred, &failed, &akt_log), AK_OK);
    ak_dir_release(A.dir, a);
    assert_int_equal(count_prefix(kid), 1);
    clear_notices();
}

/* What the planner says of alice's key, claimed as it says. */
static void test_catch_up(void **state)
{
    struct ak_policy p;
    struct ak_holder h;
    struct ak_record key;
    struct ak_notice_plan plan;
    struct ak_notice claimed;
    struct ak_values vs;
    struct ak_conn *a;
    /* the daemon was off: alice's key is 2 days from expiry, so 30 and 7
     * passed unseen */
    time_t now = E - 2 * DAY;
    (void)state;

    clear_notices();
    memset(&p, 0, sizeof(p));
    p.n_notice_days = 3;
    p.notice_days[0] = 30;
    p.notice_days[1] = 7;
    p.notice_days[2] = 1;
    read_alice(&A, &h);
    assert_int_equal(ak_holder_key(&h, 0, &key, NULL), AK_OK);
    vs = (struct ak_values){h.bytes[AK_HF_NOTICE], h.n_notices, false};
    ak_notice_plan(&key, &p, AK_NOTICE_OWNER, &vs, now, NULL, &plan);
    ak_holder_free(&h);
    assert_int_equal(plan.action, AK_NOTICE_CLAIM);
    assert_int_equal(plan.id.stage, 7);
    assert_int_equal(plan.n_skip, 1);
    assert_int_equal(plan.skip[0], 30);
    a = conn(&A);
    assert_int_equal(ak_store_notice_claim(a, ALICE, &plan.id, plan.skip,
                                           plan.n_skip, now, "host-a", &akt_log,
                                           &claimed),
                     AK_OK);
    /* the skipped stage is taken too: nobody claims it now */
    struct ak_notice_id wide = plan.id;
    wide.stage = 30;
    assert_int_equal(ak_store_notice_claim(a, ALICE, &wide, NULL, 0, now,
                                           "host-b", &akt_log, NULL),
                     AK_ERR_CONFLICT);
    /* a claim that would skip a stage someone took fails as a whole */
    struct ak_notice_id tight = plan.id;
    unsigned skip7[] = {7};
    tight.stage = 1;
    assert_int_equal(ak_store_notice_claim(a, ALICE, &tight, skip7, 1, now,
                                           "host-b", &akt_log, NULL),
                     AK_ERR_CONFLICT);
    ak_dir_release(A.dir, a);
    read_alice(&A, &h);
    assert_int_equal(h.n_notices, 2);
    assert_int_equal(ak_holder_key(&h, 0, &key, NULL), AK_OK);
    vs = (struct ak_values){h.bytes[AK_HF_NOTICE], h.n_notices, false};
    ak_notice_plan(&key, &p, AK_NOTICE_OWNER, &vs, now, NULL, &plan);
    ak_holder_free(&h);
    assert_int_equal(plan.action, AK_NOTICE_NOTHING); /* claimed, fresh */
    assert_true(plan.has_wake);
    assert_int_equal(plan.wake, now + AK_NOTICE_LEASE_DEFAULT);
    clear_notices();
}

/* A key revoked after the daemon read it: the claim fails, no mail. */
static void test_revoked_meanwhile(void **state)
{
    struct ak_notice_id id = nid(E, 1, AK_NOTICE_OWNER);
    char t[AK_TIME_LEN + 1], v[AK_KEY_ID_LEN + 32];
    const char *vals[] = {v, NULL};
    struct ak_conn *a;
    (void)state;

    clear_notices();
    snprintf(v, sizeof(v), "%s %s revoked", kid, akt_time(t, time(NULL)));
    akt_modify(admin, ALICE, LDAP_MOD_ADD, AK_AT_REVOKED, vals);
    a = conn(&A);
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, time(NULL),
                                           "host-a", &akt_log, NULL),
                     AK_ERR_CONFLICT);
    ak_dir_release(A.dir, a);
    akt_modify(admin, ALICE, LDAP_MOD_DELETE, AK_AT_REVOKED, vals);
    assert_int_equal(count_prefix(kid), 0);
}

/* Neither the owner nor the verifier may write notices. */
static void test_only_the_daemon(void **state)
{
    struct ak_notice_id id = nid(E, 7, AK_NOTICE_OWNER);
    struct ak_bind bind = {.dn = ALICE, .pw = "alice-password", .pw_len = 14};
    struct ak_notice stale, mine;
    struct ak_dir *dir = NULL;
    struct ak_conn *c = NULL, *a;
    struct akt_verifier ver;
    time_t now = time(NULL);
    (void)state;

    clear_notices();
    assert_int_equal(ak_dir_open_bind(&dir, A.cfg, &bind, &akt_log), AK_OK);
    assert_int_equal(ak_dir_acquire(dir, true, &akt_log, &c), AK_OK);
    assert_int_equal(ak_store_notice_claim(c, ALICE, &id, NULL, 0, now, "alice",
                                           &akt_log, NULL),
                     AK_ERR_DENIED);
    /* nor touch the daemon's */
    a = conn(&A);
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, now - 3600,
                                           "host-a", &akt_log, &stale),
                     AK_OK);
    ak_dir_release(A.dir, a);
    assert_int_equal(ak_store_notice_take_over(c, ALICE, &stale, now, "alice",
                                               &akt_log, NULL),
                     AK_ERR_DENIED);
    mine = stale;
    mine.state = AK_NOTICE_SENT;
    assert_int_equal(ak_store_notice_settle(c, ALICE, &stale, &mine, &akt_log),
                     AK_ERR_DENIED);
    ak_dir_release(dir, c);
    ak_dir_close(dir);
    /* the verifier's bind neither */
    akt_verifier_open(&ver, akt_env("AK_TEST_CONF"));
    c = conn(&ver);
    assert_int_equal(ak_store_notice_settle(c, ALICE, &stale, &mine, &akt_log),
                     AK_ERR_DENIED);
    ak_dir_release(ver.dir, c);
    akt_verifier_close(&ver);
    /* the daemon's claim is still the only value */
    assert_int_equal(count_prefix(kid), 1);
    clear_notices();
}

/* One holder's claims, take-over and replacement in one modify: all or
 * nothing (issue 16: one modify each was 4,000 modifies of one entry). */
static void test_batch(void **state)
{
    struct ak_notice_write w[3], again[2];
    struct ak_notice taken;
    time_t now = time(NULL);
    struct ak_conn *a = conn(&A), *b = conn(&B);
    (void)state;

    memset(w, 0, sizeof(w));
    w[0].kind = AK_NW_CLAIM;
    w[0].id = nid(E, 7, AK_NOTICE_OWNER);
    w[0].skip[0] = 30;
    w[0].n_skip = 1;
    w[1].kind = AK_NW_CLAIM;
    w[1].id = nid(E, 7, AK_NOTICE_ADMIN);
    /* another daemon's claim of the admins' stage-1 notice, past its lease */
    {
        struct ak_notice_id old = nid(E, 1, AK_NOTICE_ADMIN);
        assert_int_equal(ak_store_notice_claim(b, ALICE, &old, NULL, 0,
                                               now - 700, "host-b", &akt_log,
                                               &taken),
                         AK_OK);
    }
    w[2].kind = AK_NW_TAKE_OVER;
    w[2].old = taken;
    assert_int_equal(
        ak_store_notice_batch(a, ALICE, w, 3, now, "host-a", false, &akt_log),
        AK_OK);
    /* the claims, the skipped stage, the take-over: 4 values of the key */
    assert_int_equal(count_prefix(kid), 4);
    assert_int_equal(w[0].next.state, AK_NOTICE_CLAIMED);
    assert_string_equal(w[2].next.host, "host-a");

    /* again, by the second daemon: one notice taken fails them all */
    memset(again, 0, sizeof(again));
    again[0].kind = AK_NW_CLAIM;
    again[0].id = nid(E, 0, AK_NOTICE_OWNER);
    again[1].kind = AK_NW_CLAIM;
    again[1].id = nid(E, 7, AK_NOTICE_ADMIN);
    assert_int_equal(ak_store_notice_batch(b, ALICE, again, 2, now, "host-b",
                                           false, &akt_log),
                     AK_ERR_CONFLICT);
    assert_int_equal(count_prefix(kid), 4);

    /* the outcomes in one modify; with relax, as for an entry over a bound */
    memset(again, 0, sizeof(again));
    for (int i = 0; i < 2; i++) {
        again[i].kind = AK_NW_REPLACE;
        again[i].old = w[i].next;
        again[i].next = w[i].next;
        again[i].next.state = AK_NOTICE_SENT;
        again[i].next.host[0] = '\0';
    }
    assert_int_equal(
        ak_store_notice_batch(a, ALICE, again, 2, now, NULL, true, &akt_log),
        AK_OK);
    assert_int_equal(count_prefix(kid), 4);
    ak_dir_release(A.dir, a);
    ak_dir_release(B.dir, b);
    clear_notices();
}

static void test_bad_arguments(void **state)
{
    struct ak_notice_id id = nid(E, 7, AK_NOTICE_OWNER);
    unsigned dup[] = {7};
    struct ak_conn *a = conn(&A);
    (void)state;

    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, NULL, 0, time(NULL),
                                           "bad host", &akt_log, NULL),
                     AK_ERR_INVALID);
    assert_int_equal(ak_store_notice_claim(a, ALICE, &id, dup, 1, time(NULL),
                                           "host-a", &akt_log, NULL),
                     AK_ERR_INVALID);
    ak_dir_release(A.dir, a);
    assert_int_equal(count_prefix(kid), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_race_claim),
        cmocka_unit_test(test_race_take_over),
        cmocka_unit_test(test_claim_twice_and_settle),
        cmocka_unit_test(test_defer_and_give_up),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_revoked_meanwhile),
        cmocka_unit_test(test_only_the_daemon),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
