/* SPDX-License-Identifier: BSD-3-Clause */
/* test_sync.c - RFC 4533 discovery against a real slapd with syncprov */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ak_schema.h"
#include "ak_test.h"
#include "index.h"
#include "sync.h"

#define FILTER "(&(objectClass=apiKeyHolder)(apiKeyRecord=*))"
#define BASE "dc=example,dc=org"
#define SVC(uid) "uid=" uid ",ou=services,dc=example,dc=org"
#define STATE "state"

static LDAP *admin;
static struct akt_verifier v;
static const char *const svc_oc[] = {"apiKeyServiceUser", "apiKeyHolder", NULL};

/* What the callbacks saw. */
struct seen {
    uint8_t uuid[EX_UUID_LEN];
    char dn[200];
};
static struct rec {
    int entries, deletes, refreshes, cookies;
    char last_entry[200], last_deleted[200];
    struct seen map[256];
    int n_map;
} rec;

static const char *dn_of(const uint8_t *uuid)
{
    for (int i = 0; i < rec.n_map; i++)
        if (memcmp(rec.map[i].uuid, uuid, EX_UUID_LEN) == 0)
            return rec.map[i].dn;
    return "?";
}

static int cb_entry(void *ctx, const uint8_t uuid[EX_UUID_LEN], LDAP *ld,
                    LDAPMessage *e, time_t *next_due)
{
    (void)ctx;
    char *dn = ldap_get_dn(ld, e);
    assert_non_null(dn);
    rec.entries++;
    snprintf(rec.last_entry, sizeof rec.last_entry, "%s", dn);
    bool known = false;
    for (int i = 0; i < rec.n_map; i++)
        if (memcmp(rec.map[i].uuid, uuid, EX_UUID_LEN) == 0)
            known = true;
    if (!known && rec.n_map < 256) {
        memcpy(rec.map[rec.n_map].uuid, uuid, EX_UUID_LEN);
        snprintf(rec.map[rec.n_map].dn, sizeof rec.map[0].dn, "%s", dn);
        rec.n_map++;
    }
    ldap_memfree(dn);
    *next_due = time(NULL) + 86400;
    return AK_OK;
}

static void cb_deleted(void *ctx, const uint8_t uuid[EX_UUID_LEN])
{
    (void)ctx;
    rec.deletes++;
    snprintf(rec.last_deleted, sizeof rec.last_deleted, "%s", dn_of(uuid));
}

static void cb_refresh(void *ctx)
{
    (void)ctx;
    rec.refreshes++;
}

static void cb_cookie(void *ctx)
{
    (void)ctx;
    rec.cookies++;
}

static const struct ex_sync_cb cbs = {cb_entry, cb_deleted, cb_refresh,
                                      cb_cookie};

static void rec_reset(void)
{
    int n = rec.n_map;
    struct seen map[256];
    memcpy(map, rec.map, sizeof map);
    memset(&rec, 0, sizeof rec);
    memcpy(rec.map, map, sizeof map);
    rec.n_map = n; /* the UUID -> DN map survives */
}

/* Holders the same search finds now (as rootdn). */
static int live_count(const char *base)
{
    LDAPMessage *res = NULL;
    char *attrs[] = {AK_LDAP_STR("1.1"), NULL};
    int rc = ldap_search_ext_s(admin, base, LDAP_SCOPE_SUBTREE, FILTER, attrs,
                               0, NULL, NULL, NULL, 0, &res);
    assert_int_equal(rc, LDAP_SUCCESS);
    int n = ldap_count_entries(admin, res);
    ldap_msgfree(res);
    return n;
}

struct session {
    struct ak_conn *c;
    struct ex_index *idx;
    struct ex_sync *s;
};

static int open_session(struct session *ss, const char *base,
                        const uint8_t *cookie, size_t cookie_len)
{
    if (ss->idx == NULL)
        assert_int_equal(ex_index_new(&ss->idx), AK_OK);
    assert_int_equal(ak_dir_acquire(v.dir, true, &akt_log, &ss->c), AK_OK);
    char *attrs[] = {AK_LDAP_STR("uid"), AK_LDAP_STR(AK_AT_RECORD), NULL};
    struct ex_sync_params p = {.base = base,
                               .filter = FILTER,
                               .attrs = attrs,
                               .cookie = cookie,
                               .cookie_len = cookie_len,
                               .refresh_idle = 10,
                               .tcp_timeout = 10};
    int rc = ex_sync_open(ss->c, ss->idx, &p, &cbs, NULL, &akt_log, &ss->s);
    if (rc != AK_OK) {
        ak_dir_release(v.dir, ss->c);
        ss->c = NULL;
        ss->s = NULL;
    }
    return rc;
}

static void close_session(struct session *ss, bool keep_index)
{
    ex_sync_close(ss->s);
    ss->s = NULL;
    if (ss->c != NULL)
        ak_dir_release(v.dir, ss->c);
    ss->c = NULL;
    if (!keep_index) {
        ex_index_free(ss->idx);
        ss->idx = NULL;
    }
}

/* Poll until *counter reaches want (or the refresh ends, want < 0), at
 * most secs. Returns the seconds it took; fails the test on timeout. */
static double wait_for(struct session *ss, const int *counter, int want,
                       double secs)
{
    double t0 = akt_now();
    if (akt_under_valgrind())
        secs *= 10;
    for (;;) {
        if (want < 0 ? ex_sync_refreshed(ss->s) : *counter >= want)
            return akt_now() - t0;
        if (akt_now() - t0 > secs)
            fail_msg("nothing within %.1f s (have %d, want %d)\n%s", secs,
                     counter ? *counter : -1, want, akt_logbuf);
        int rc = ex_sync_poll(ss->s, 100);
        if (rc != AK_OK)
            fail_msg("poll: %s\n%s", ex_sync_strerror(rc), akt_logbuf);
    }
}

static void save_state(struct session *ss)
{
    size_t len;
    const uint8_t *ck = ex_sync_cookie(ss->s, &len);
    assert_non_null(ck);
    assert_int_equal(ex_index_save(ss->idx, STATE, ck, len, &akt_log), AK_OK);
}

static int setup(void **state)
{
    (void)state;
    admin = akt_admin();
    akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
    char key[AK_KEY_MAX_LEN + 1];
    akt_add_key(admin, AKT_DN("alice"), NULL, key);
    akt_add_entry(admin, SVC("sync-keep"), svc_oc, "uid", "sync-keep");
    akt_add_key(admin, SVC("sync-keep"), NULL, key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&v);
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

/* The initial refresh sees every holder; changes in persist mode arrive
 * within 2 s; the state saved at the end is used by test_resume. */
static void test_refresh_and_persist(void **state)
{
    (void)state;
    struct session ss = {0};
    rec_reset();
    int want = live_count(BASE);
    assert_true(want >= 2);
    assert_int_equal(open_session(&ss, BASE, NULL, 0), AK_OK);
    wait_for(&ss, NULL, -1, 10);
    assert_int_equal(rec.refreshes, 1);
    assert_int_equal(rec.entries, want);
    assert_int_equal((int)ex_index_count(ss.idx), want);
    assert_int_equal(rec.deletes, 0);
    size_t len;
    const uint8_t *ck = ex_sync_cookie(ss.s, &len);
    assert_non_null(ck);
    assert_memory_equal(ck, "rid=", 4);
    /* our cookie never names a server id (see sync.h) */
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)len, (const char *)ck);
    assert_null(strstr(text, "sid="));

    /* add */
    char key[AK_KEY_MAX_LEN + 1];
    akt_add_entry(admin, SVC("sync-a"), svc_oc, "uid", "sync-a");
    rec_reset();
    akt_add_key(admin, SVC("sync-a"), NULL, key);
    double dt = wait_for(&ss, &rec.entries, 1, 2);
    assert_string_equal(rec.last_entry, SVC("sync-a"));
    assert_int_equal((int)ex_index_count(ss.idx), want + 1);
    printf("persist: add arrived after %.3f s\n", dt);
    /* modify */
    rec_reset();
    akt_set(admin, SVC("sync-a"), "description", "changed");
    dt = wait_for(&ss, &rec.entries, 1, 2);
    assert_string_equal(rec.last_entry, SVC("sync-a"));
    printf("persist: modify arrived after %.3f s\n", dt);
    /* no longer a match (its keys removed): reported as gone */
    rec_reset();
    akt_clear_keys(admin, SVC("sync-a"));
    dt = wait_for(&ss, &rec.deletes, 1, 2);
    assert_string_equal(rec.last_deleted, SVC("sync-a"));
    assert_int_equal((int)ex_index_count(ss.idx), want);
    printf("persist: out of scope after %.3f s\n", dt);
    /* a key again, then the entry deleted */
    rec_reset();
    akt_add_key(admin, SVC("sync-a"), NULL, key);
    wait_for(&ss, &rec.entries, 1, 2);
    rec_reset();
    akt_delete_entry(admin, SVC("sync-a"));
    dt = wait_for(&ss, &rec.deletes, 1, 2);
    assert_string_equal(rec.last_deleted, SVC("sync-a"));
    printf("persist: delete arrived after %.3f s\n", dt);
    assert_int_equal((int)ex_index_count(ss.idx), live_count(BASE));
    assert_true(rec.cookies > 0);

    /* nothing happening: poll returns within its timeout */
    double t0 = akt_now();
    assert_int_equal(ex_sync_poll(ss.s, 300), AK_OK);
    double waited = akt_now() - t0;
    if (!akt_under_valgrind())
        assert_true(waited >= 0.25 && waited < 1.0);

    save_state(&ss);
    close_session(&ss, false);
}

/* Restart with the saved cookie: only the changes are sent, and a delete
 * while we were away (no session log) is found by the present phase. */
static void test_resume(void **state)
{
    (void)state;
    struct session ss = {0};
    assert_int_equal(ex_index_new(&ss.idx), AK_OK);
    uint8_t *ck;
    size_t len;
    assert_int_equal(ex_index_load(ss.idx, STATE, &ck, &len, &akt_log), AK_OK);
    assert_non_null(ck);
    int before = (int)ex_index_count(ss.idx);
    /* while "down" */
    char key[AK_KEY_MAX_LEN + 1];
    akt_add_key(admin, AKT_DN("bob"), NULL, key);
    akt_delete_entry(admin, SVC("sync-keep"));
    rec_reset();
    assert_int_equal(open_session(&ss, BASE, ck, len), AK_OK);
    free(ck);
    wait_for(&ss, NULL, -1, 10);
    printf("resume: %d entries sent, %d gone (index had %d)\n", rec.entries,
           rec.deletes, before);
    assert_int_equal(rec.entries, 1); /* bob only: the rest is unchanged */
    assert_string_equal(rec.last_entry, AKT_DN("bob"));
    assert_int_equal(rec.deletes, 1);
    assert_string_equal(rec.last_deleted, SVC("sync-keep"));
    assert_int_equal((int)ex_index_count(ss.idx), live_count(BASE));
    save_state(&ss);
    close_session(&ss, false);

    /* up to date: a resume sends nothing and removes nothing */
    assert_int_equal(ex_index_new(&ss.idx), AK_OK);
    assert_int_equal(ex_index_load(ss.idx, STATE, &ck, &len, &akt_log), AK_OK);
    rec_reset();
    assert_int_equal(open_session(&ss, BASE, ck, len), AK_OK);
    free(ck);
    wait_for(&ss, NULL, -1, 10);
    assert_int_equal(rec.entries, 0);
    assert_int_equal(rec.deletes, 0);
    assert_int_equal((int)ex_index_count(ss.idx), live_count(BASE));
    close_session(&ss, false);
}

/* A corrupt state file: no cookie, a full refresh, and whatever the old
 * index held that is not there any more goes. */
static void test_corrupt_state(void **state)
{
    (void)state;
    FILE *fp = fopen(STATE, "r+b");
    assert_non_null(fp);
    fseek(fp, 30, SEEK_SET);
    fputc('!', fp);
    fclose(fp);
    struct session ss = {0};
    assert_int_equal(ex_index_new(&ss.idx), AK_OK);
    uint8_t *ck;
    size_t len;
    akt_log_reset();
    assert_int_equal(ex_index_load(ss.idx, STATE, &ck, &len, &akt_log),
                     AK_ERR_MALFORMED);
    assert_null(ck);
    assert_non_null(strstr(akt_logbuf, "full refresh"));
    /* a ghost from some older state */
    uint8_t ghost[EX_UUID_LEN];
    memset(ghost, 0xee, sizeof ghost);
    assert_int_equal(ex_index_put(ss.idx, ghost, 1), AK_OK);
    rec_reset();
    assert_int_equal(open_session(&ss, BASE, NULL, 0), AK_OK);
    wait_for(&ss, NULL, -1, 10);
    assert_int_equal(rec.entries, live_count(BASE));
    assert_int_equal(rec.deletes, 1);
    assert_false(ex_index_get(ss.idx, ghost, NULL));
    assert_int_equal((int)ex_index_count(ss.idx), live_count(BASE));
    close_session(&ss, false);
}

/* The search base moves away in persist mode: syncprov answers
 * e-syncRefreshRequired (4096); the session drops its cookie. (Deleting
 * the base does not do it in 2.5; a rename of the base is noticed at the
 * next write.) */
static void test_refresh_required(void **state)
{
    (void)state;
    static const char *const ou_oc[] = {"organizationalUnit", NULL};
    const char *ou = "ou=rr," BASE;
    akt_add_entry(admin, ou, ou_oc, "ou", "rr");
    struct session ss = {0};
    rec_reset();
    assert_int_equal(open_session(&ss, ou, NULL, 0), AK_OK);
    wait_for(&ss, NULL, -1, 10);
    size_t len;
    assert_non_null(ex_sync_cookie(ss.s, &len));
    assert_int_equal(ldap_rename_s(admin, ou, "ou=rr2", NULL, 1, NULL, NULL),
                     LDAP_SUCCESS);
    /* syncprov notices at the next write it matches against the search */
    akt_set(admin, AKT_DN("alice"), "description", "after the rename");
    double t0 = akt_now(), lim = akt_under_valgrind() ? 20 : 2;
    int rc;
    akt_log_reset();
    while ((rc = ex_sync_poll(ss.s, 100)) == AK_OK)
        assert_true(akt_now() - t0 < lim);
    assert_int_equal(rc, EX_SYNC_RESYNC);
    assert_non_null(strstr(akt_logbuf, "4096"));
    assert_null(ex_sync_cookie(ss.s, &len));
    assert_int_equal(len, 0);
    /* dead now */
    assert_int_equal(ex_sync_poll(ss.s, 0), AK_ERR_BACKEND);
    close_session(&ss, false);
    akt_delete_entry(admin, "ou=rr2," BASE);
}

/* The root DSE lists the sync control, but this database has no syncprov:
 * trying tells (12), and the daemon gets a code of its own. */
static void test_no_syncprov(void **state)
{
    (void)state;
    LDAPMessage *res = NULL;
    char *attrs[] = {AK_LDAP_STR("supportedControl"), NULL};
    assert_int_equal(ldap_search_ext_s(admin, "", LDAP_SCOPE_BASE,
                                       "(objectClass=*)", attrs, 0, NULL, NULL,
                                       NULL, 0, &res),
                     LDAP_SUCCESS);
    struct berval **vals = ldap_get_values_len(
        admin, ldap_first_entry(admin, res), "supportedControl");
    bool listed = false;
    for (int i = 0; vals != NULL && vals[i] != NULL; i++)
        if (strncmp(vals[i]->bv_val, LDAP_CONTROL_SYNC, vals[i]->bv_len) == 0)
            listed = true;
    ldap_value_free_len(vals);
    ldap_msgfree(res);
    assert_true(listed);

    struct session ss = {0};
    akt_log_reset();
    assert_int_equal(open_session(&ss, "dc=nosync,dc=test", NULL, 0),
                     EX_SYNC_UNSUPPORTED);
    assert_null(ss.s);
    assert_non_null(strstr(akt_logbuf, "(12 "));
    ex_index_free(ss.idx);
}

/* The contextCSN of the main database. */
static void context_csn(char *out, size_t n)
{
    LDAPMessage *res = NULL;
    char *attrs[] = {AK_LDAP_STR("contextCSN"), NULL};
    assert_int_equal(ldap_search_ext_s(admin, BASE, LDAP_SCOPE_BASE,
                                       "(objectClass=*)", attrs, 0, NULL, NULL,
                                       NULL, 0, &res),
                     LDAP_SUCCESS);
    struct berval **vals =
        ldap_get_values_len(admin, ldap_first_entry(admin, res), "contextCSN");
    assert_non_null(vals);
    assert_non_null(vals[0]);
    snprintf(out, n, "%.*s", (int)vals[0]->bv_len, vals[0]->bv_val);
    ldap_value_free_len(vals);
    ldap_msgfree(res);
}

/* A multi-provider cookie (one CSN per server id): the CSN of the other
 * server is kept through the server's single-CSN cookies of persist
 * mode, and the sender's sid= is never echoed. */
static void test_cookie_merge(void **state)
{
    (void)state;
    char csn[64], ck[256];
    context_csn(csn, sizeof csn);
    const char *other = "20000101000000.000000Z#000000#00a#000000";
    snprintf(ck, sizeof ck, "rid=007,sid=00a,csn=%s;%s", csn, other);
    struct session ss = {0};
    rec_reset();
    assert_int_equal(open_session(&ss, BASE, (const uint8_t *)ck, strlen(ck)),
                     AK_OK);
    wait_for(&ss, NULL, -1, 10);
    /* a change: its cookie names one CSN */
    rec_reset();
    akt_set(admin, AKT_DN("alice"), "description", "merge");
    wait_for(&ss, &rec.entries, 1, 2);
    size_t len;
    const uint8_t *got = ex_sync_cookie(ss.s, &len);
    assert_non_null(got);
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)len, (const char *)got);
    printf("merged cookie: %s\n", text);
    assert_non_null(strstr(text, "rid=007"));
    assert_non_null(strstr(text, other));
    assert_null(strstr(text, "sid="));
    assert_null(strstr(text, csn)); /* sid 000 moved on */
    assert_non_null(strstr(text, "#000#"));
    close_session(&ss, false);
}

/* Bad arguments never reach the server. */
static void test_invalid(void **state)
{
    (void)state;
    struct ex_index *idx;
    assert_int_equal(ex_index_new(&idx), AK_OK);
    struct ex_sync *s = NULL;
    struct ex_sync_params p = {.base = BASE, .filter = FILTER};
    struct ex_sync_cb none = {0};
    assert_int_equal(ex_sync_open(NULL, idx, &p, &cbs, NULL, &akt_log, &s),
                     AK_ERR_INVALID);
    struct ak_conn *c;
    assert_int_equal(ak_dir_acquire(v.dir, true, &akt_log, &c), AK_OK);
    assert_int_equal(ex_sync_open(c, idx, &p, &none, NULL, &akt_log, &s),
                     AK_ERR_INVALID);
    p.cookie_len = 4; /* without a cookie */
    assert_int_equal(ex_sync_open(c, idx, &p, &cbs, NULL, &akt_log, &s),
                     AK_ERR_INVALID);
    ak_dir_release(v.dir, c);
    assert_null(s);
    ex_sync_close(NULL);
    ex_index_free(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_and_persist),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_corrupt_state),
        cmocka_unit_test(test_refresh_required),
        cmocka_unit_test(test_no_syncprov),
        cmocka_unit_test(test_cookie_merge),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
