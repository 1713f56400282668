/* SPDX-License-Identifier: BSD-3-Clause */
/* test_manage.c - ak_manage_search against a real slapd: every entry once
 * across pages, a failing callback stops the search at once and leaves the
 * connection usable, and a server that stops answering mid-search is cut
 * off by the config's timeout; a connection that failed is never handed
 * out again; an entry larger than the client accepts is AK_ERR_TOO_BIG,
 * and ak_scan names it and reads every other (issue 16) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ak_ldap.h"
#include "ak_manage.h"
#include "ak_scan.h"
#include "ak_status.h"
#include "ak_test.h"

#define BASE "dc=example,dc=org"
#define FILTER "(objectClass=*)"

static struct akt_verifier V; /* bound as the rootdn: no size limit */
static int n_all;             /* entries under BASE, by one plain search */

struct counter {
    int seen, stop_after, stop_rc;
    bool stall; /* stop slapd at the first entry */
};

static int count_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct counter *c = ctx;
    char *dn = ldap_get_dn(ld, e);

    assert_non_null(dn); /* a real entry, readable as it arrives */
    ldap_memfree(dn);
    if (c->stall && c->seen == 0)
        akt_slapd_stop();
    c->seen++;
    return c->stop_after > 0 && c->seen == c->stop_after ? c->stop_rc : AK_OK;
}

static int search(unsigned page, struct counter *c)
{
    struct ak_conn *conn = NULL;
    char *attrs[] = {AK_LDAP_STR("objectClass"), NULL};
    int rc = ak_dir_acquire(V.dir, false, &akt_log, &conn);

    assert_int_equal(rc, AK_OK);
    rc = ak_manage_search(conn, V.cfg, BASE, LDAP_SCOPE_SUBTREE, FILTER, attrs,
                          page, count_entry, c, &akt_log);
    ak_dir_release(V.dir, conn); /* a failed one is closed, not pooled */
    return rc;
}

/* The next connection the pool hands out: a new one (true) or the pooled
 * one (false); either answers a search. */
static bool next_is_new(void)
{
    struct ak_conn *conn = NULL;
    LDAPMessage *res = NULL;
    bool fresh;

    assert_int_equal(ak_dir_acquire(V.dir, false, &akt_log, &conn), AK_OK);
    fresh = !ak_conn_reused(conn);
    assert_int_equal(ak_conn_search(conn, BASE, LDAP_SCOPE_BASE, FILTER, NULL,
                                    1, &akt_log, &res),
                     AK_OK);
    ldap_msgfree(res);
    ak_dir_release(V.dir, conn);
    return fresh;
}

static int setup(void **state)
{
    char pw[512], extra[1024];
    LDAP *admin = akt_admin();
    LDAPMessage *res = NULL;
    FILE *f;
    (void)state;

    assert_int_equal(ldap_search_ext_s(admin, BASE, LDAP_SCOPE_SUBTREE, FILTER,
                                       NULL, 0, NULL, NULL, NULL, 0, &res),
                     LDAP_SUCCESS);
    n_all = ldap_count_entries(admin, res);
    ldap_msgfree(res);
    ldap_unbind_ext_s(admin, NULL, NULL);
    assert_true(n_all > 6);
    snprintf(pw, sizeof(pw), "%s/root.pw", akt_env("AK_TEST_DIR"));
    f = fopen(pw, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", akt_env("AK_TEST_ROOTPW"));
    fclose(f);
    assert_int_equal(chmod(pw, 0600), 0);
    snprintf(extra, sizeof(extra), "bind_dn %s\nbind_pw_file %s\ntimeout 1",
             akt_env("AK_TEST_ROOTDN"), pw);
    akt_verifier_open(&V, akt_config("manage.conf", NULL, extra));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    akt_verifier_close(&V);
    return 0;
}

/* Pages of 2 and of 500 (one page): each entry exactly once. */
static void test_every_entry_once(void **state)
{
    struct counter a = {0}, b = {0};
    (void)state;
    assert_int_equal(search(2, &a), AK_OK);
    assert_int_equal(a.seen, n_all);
    assert_int_equal(search(0, &b), AK_OK);
    assert_int_equal(b.seen, n_all);
}

/* The callback's error stops the search where it is (mid-page), is
 * returned as it is, and the connection serves the next search whole. */
static void test_callback_stops(void **state)
{
    struct counter c = {.stop_after = 3, .stop_rc = AK_ERR_NOMEM};
    struct counter again = {0};
    (void)state;
    assert_int_equal(search(5, &c), AK_ERR_NOMEM);
    assert_int_equal(c.seen, 3);
    assert_int_equal(search(5, &again), AK_OK);
    assert_int_equal(again.seen, n_all);
}

/* slapd stops after the first entry of the first page: the search fails
 * (never AK_OK: the scan is incomplete) within the timeout (1 s). */
static void test_stall_times_out(void **state)
{
    struct counter c = {.stall = true};
    double t0 = akt_now();
    int rc;
    (void)state;
    akt_log_reset();
    rc = search(2, &c);
    akt_slapd_cont();
    assert_int_not_equal(rc, AK_OK);
    assert_true(c.seen >= 1 && c.seen < n_all);
    assert_true(akt_now() - t0 < 1 + 2);
    assert_non_null(strstr(akt_logbuf, "search " BASE));
    /* the abandoned search's connection is not handed out again */
    assert_true(next_is_new());
}

/* An early entry (carol's, admin-written with the relax control, which
 * before slapd 2.7 anyone may send) made larger than the 16 MiB the client
 * accepts: six 3 MB values, each under slapd's 4 MiB request limit. */
#define BIG_DN "uid=carol,ou=people," BASE
#define BIG_VALUE (3 * 1000 * 1000)

static void big_entry(int op)
{
    static char v[6][BIG_VALUE + 1];
    LDAP *admin = akt_admin();

    for (int i = 0; i < 6; i++) {
        const char *vals[] = {v[i], NULL};
        memset(v[i], 'a' + i, BIG_VALUE);
        assert_int_equal(
            akt_modify_relaxed(admin, BIG_DN, op, "description", vals),
            LDAP_SUCCESS);
    }
    ldap_unbind_ext_s(admin, NULL, NULL);
}

static char *desc_attrs[] = {AK_LDAP_STR("description"), NULL};

struct scanned {
    int seen, aside, why;
    char aside_dn[256];
};

static int scanned_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct scanned *s = ctx;
    char *dn = ldap_get_dn(ld, e);

    assert_non_null(dn);
    assert_string_not_equal(dn, BIG_DN);
    ldap_memfree(dn);
    s->seen++;
    return AK_OK;
}

static void scanned_aside(void *ctx, const char *dn, int why)
{
    struct scanned *s = ctx;

    s->aside++;
    s->why = why;
    snprintf(s->aside_dn, sizeof(s->aside_dn), "%s", dn);
}

static int scanned_reconnect(void *ctx, struct ak_conn **c)
{
    (void)ctx;
    ak_dir_release(V.dir, *c);
    *c = NULL;
    return ak_dir_acquire(V.dir, false, &akt_log, c);
}

/* The search that meets it fails as the entry's fault (AK_ERR_TOO_BIG,
 * never "Can't contact LDAP server"), and its connection, which libldap
 * has dropped (reused, it aborted in liblber: sb_rdahead_read), is not
 * handed out again; a read of the entry alone says the same. ak_scan
 * names the entry and reads every other one. */
static void test_too_big(void **state)
{
    struct counter c = {0};
    struct scanned s = {0};
    struct ak_conn *conn = NULL;
    LDAPMessage *res = NULL;
    struct ak_scan scan = {.cfg = V.cfg,
                           .base = BASE,
                           .scope = LDAP_SCOPE_SUBTREE,
                           .filter = FILTER,
                           .attrs = desc_attrs,
                           .page_size = 3,
                           .entry = scanned_entry,
                           .aside = scanned_aside,
                           .reconnect = scanned_reconnect,
                           .ctx = &s};
    (void)state;
    big_entry(LDAP_MOD_ADD);
    akt_log_reset();
    assert_int_equal(ak_dir_acquire(V.dir, false, &akt_log, &conn), AK_OK);
    assert_int_equal(ak_manage_search(conn, V.cfg, BASE, LDAP_SCOPE_SUBTREE,
                                      FILTER, desc_attrs, 0, count_entry, &c,
                                      &akt_log),
                     AK_ERR_TOO_BIG);
    assert_true(c.seen < n_all);
    ak_dir_release(V.dir, conn);
    assert_true(next_is_new());

    assert_int_equal(ak_dir_acquire(V.dir, false, &akt_log, &conn), AK_OK);
    assert_int_equal(ak_conn_search(conn, BIG_DN, LDAP_SCOPE_BASE, FILTER,
                                    desc_attrs, 1, &akt_log, &res),
                     AK_ERR_TOO_BIG);
    assert_null(res);
    ak_dir_release(V.dir, conn);
    assert_true(next_is_new());
    assert_non_null(strstr(akt_logbuf, "larger than the 16 MiB"));
    assert_null(strstr(akt_logbuf, "Can't contact"));

    assert_int_equal(ak_dir_acquire(V.dir, false, &akt_log, &conn), AK_OK);
    assert_int_equal(ak_scan_run(&scan, &conn, &akt_log), AK_OK);
    if (conn != NULL)
        ak_dir_release(V.dir, conn);
    assert_int_equal(s.aside, 1);
    assert_int_equal(s.why, AK_ERR_TOO_BIG);
    assert_string_equal(s.aside_dn, BIG_DN);
    assert_int_equal(s.seen, n_all - 1);

    /* the first entry the search sends: nothing seen before it */
    memset(&s, 0, sizeof(s));
    scan.filter = "(|(uid=carol)(uid=dave))";
    assert_int_equal(ak_dir_acquire(V.dir, false, &akt_log, &conn), AK_OK);
    assert_int_equal(ak_scan_run(&scan, &conn, &akt_log), AK_OK);
    if (conn != NULL)
        ak_dir_release(V.dir, conn);
    assert_int_equal(s.aside, 1);
    assert_int_equal(s.seen, 1);
    big_entry(LDAP_MOD_DELETE);
    assert_int_equal(search(0, &(struct counter){0}), AK_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry_once),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_stall_times_out),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
