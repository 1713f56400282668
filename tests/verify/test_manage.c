/* SPDX-License-Identifier: BSD-3-Clause */
/* test_manage.c - ak_manage_search against a real slapd: every entry once
 * across pages, a failing callback stops the search at once and leaves the
 * connection usable, and a server that stops answering mid-search is cut
 * off by the config's timeout */
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
    if (rc != AK_OK && rc != AK_ERR_NOMEM)
        ak_conn_discard(conn); /* the server stalled: never reuse it */
    ak_dir_release(V.dir, conn);
    return rc;
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry_once),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_stall_times_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
