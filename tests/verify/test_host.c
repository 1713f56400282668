/* SPDX-License-Identifier: BSD-3-Clause */
/* test_host.c - ak_host: the shared configuration of a long-running host,
 * reloaded when apikey.conf changes, against a real slapd (F-06, C-01) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ak_host.h"
#include "ak_test.h"

static LDAP *admin;
static char alice_key[AK_KEY_MAX_LEN + 1];
static char good[512], other[512];

static int setup(void **state)
{
    (void)state;
    admin = akt_admin();
    akt_add_key(admin, AKT_DN("alice"), NULL, alice_key);
    snprintf(good, sizeof(good), "%s", akt_config("host.conf", NULL, NULL));
    snprintf(other, sizeof(other), "%s", akt_config("other.conf", NULL, NULL));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ak_host_shutdown();
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

/* Each test starts with no current handle and the good file. */
static int fresh(void **state)
{
    (void)state;
    ak_host_shutdown();
    akt_config("host.conf", NULL, NULL);
    return 0;
}

/* Replace the file at once (rename), as editors and config management
 * do: a thread that reads it sees the old file or the new one. */
static void replace_conf(const char *uris)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s", akt_config("host.conf.tmp", uris, NULL));
    assert_int_equal(rename(tmp, good), 0);
}

/* The key through h's own pool: proves h (config and pool) is alive. */
static enum ak_outcome verify_with(struct ak_host *h)
{
    struct ak_verify_request req = {
        .user = "alice",
        .user_len = 5,
        .key = alice_key,
        .key_len = strlen(alice_key),
        .service = "sshd",
    };
    struct ak_verify_result res;
    enum ak_outcome o = ak_verify(ak_host_dir(h), &req, 0, &akt_log, &res);
    ak_verify_result_clear(&res);
    return o;
}

static struct ak_host *must_acquire(const char *path)
{
    struct ak_host *h = NULL;
    assert_int_equal(ak_host_acquire(path, &akt_log, &h), AK_OK);
    assert_non_null(h);
    return h;
}

/* Past the stat interval, so the next acquire looks at the file. */
static void next_check(void)
{
    sleep(AK_HOST_CHECK_SECS);
}

static void test_shared_until_changed(void **state)
{
    struct ak_host *a, *b;
    (void)state;

    a = must_acquire(good);
    b = must_acquire(good);
    assert_ptr_equal(a, b);
    ak_host_release(b);
    /* an unchanged file is not reloaded however long it sits */
    next_check();
    akt_log_reset();
    b = must_acquire(good);
    assert_ptr_equal(a, b);
    assert_null(strstr(akt_logbuf, "reloading"));
    assert_int_equal(verify_with(a), AK_VERIFY_OK);
    ak_host_release(b);
    ak_host_release(a);
}

static void test_reload_keeps_old_handle(void **state)
{
    struct ak_host *old, *cur;
    (void)state;

    old = must_acquire(good);
    assert_string_equal(ak_host_config(old)->uri[0], akt_env("AK_TEST_URI"));
    akt_config("host.conf", "ldap://127.0.0.1:1", NULL);
    next_check();
    akt_log_reset();
    cur = must_acquire(good);
    assert_ptr_not_equal(cur, old);
    assert_non_null(strstr(akt_logbuf, "changed; reloading it"));
    assert_string_equal(ak_host_config(cur)->uri[0], "ldap://127.0.0.1:1");
    /* the replaced handle still has its configuration and its pool */
    assert_string_equal(ak_host_config(old)->uri[0], akt_env("AK_TEST_URI"));
    assert_int_equal(verify_with(old), AK_VERIFY_OK);
    assert_int_equal(verify_with(cur), AK_VERIFY_UNAVAILABLE);
    ak_host_release(old);
    /* the current one survives the last release of the old one */
    assert_int_equal(verify_with(cur), AK_VERIFY_UNAVAILABLE);
    ak_host_release(cur);
}

static void test_invalid_file_fails_closed(void **state)
{
    struct ak_host *held, *h = NULL;
    FILE *f;
    (void)state;

    held = must_acquire(good);
    f = fopen(good, "a");
    assert_non_null(f);
    fputs("no_such_option 1\n", f);
    fclose(f);
    next_check();
    akt_log_reset();
    assert_int_equal(ak_host_acquire(good, &akt_log, &h), AK_ERR_CONFIG);
    assert_null(h);
    assert_non_null(strstr(akt_logbuf, "no_such_option"));
    /* not served again: every call retries (no interval to wait for) */
    akt_log_reset();
    assert_int_equal(ak_host_acquire(good, &akt_log, &h), AK_ERR_CONFIG);
    assert_non_null(strstr(akt_logbuf, "no_such_option"));
    /* whoever held the old handle keeps it */
    assert_int_equal(verify_with(held), AK_VERIFY_OK);
    /* fixed: loaded at the next call, without waiting for a check */
    akt_config("host.conf", NULL, NULL);
    h = must_acquire(good);
    assert_ptr_not_equal(h, held);
    assert_int_equal(verify_with(h), AK_VERIFY_OK);
    ak_host_release(held);
    ak_host_release(h);
}

static void test_missing_file(void **state)
{
    char gone[600];
    struct ak_host *held, *h = NULL;
    (void)state;

    snprintf(gone, sizeof(gone), "%s.gone", good);
    assert_int_equal(rename(akt_config("gone.conf", NULL, NULL), gone), 0);
    held = must_acquire(gone);
    assert_int_equal(unlink(gone), 0);
    next_check();
    /* a file that went away is a change, and reloading it fails */
    assert_int_not_equal(ak_host_acquire(gone, &akt_log, &h), AK_OK);
    assert_null(h);
    assert_int_equal(verify_with(held), AK_VERIFY_OK);
    ak_host_release(held);
}

static void test_path_change(void **state)
{
    struct ak_host *a, *b, *h = NULL;
    (void)state;

    a = must_acquire(good);
    akt_log_reset();
    b = must_acquire(other);
    assert_ptr_not_equal(a, b);
    assert_non_null(strstr(akt_logbuf, "apikey_conf changed; loading"));
    assert_non_null(strstr(akt_logbuf, other));
    /* a relative path is refused (the host's cwd is not ours) */
    akt_log_reset();
    assert_int_equal(ak_host_acquire("host.conf", &akt_log, &h), AK_ERR_CONFIG);
    assert_non_null(strstr(akt_logbuf, "not an absolute path"));
    assert_int_equal(verify_with(a), AK_VERIFY_OK);
    assert_int_equal(verify_with(b), AK_VERIFY_OK);
    ak_host_release(a);
    ak_host_release(b);
}

static void test_shutdown(void **state)
{
    struct ak_host *a, *b;
    (void)state;

    a = must_acquire(good);
    ak_host_shutdown();
    ak_host_shutdown(); /* nothing left: harmless */
    assert_int_equal(verify_with(a), AK_VERIFY_OK);
    b = must_acquire(good); /* loaded afresh */
    assert_ptr_not_equal(a, b);
    ak_host_release(a);
    ak_host_release(b);
}

/* C-01 for the handle: threads acquire, read and release while the file
 * is rewritten under them; helgrind / TSan builds see the locking. */
struct worker {
    pthread_t t;
    volatile const int *stop;
    unsigned ok, failed;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (!*w->stop) {
        struct ak_host *h = NULL;
        if (ak_host_acquire(good, NULL, &h) != AK_OK) {
            w->failed++;
            continue;
        }
        if (ak_host_config(h)->uri[0] != NULL && ak_host_dir(h) != NULL)
            w->ok++;
        ak_host_release(h);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct worker w[4];
    volatile int stop = 0;
    unsigned ok = 0;
    (void)state;

    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.stop = &stop};
        assert_int_equal(pthread_create(&w[i].t, NULL, worker_main, &w[i]), 0);
    }
    for (int round = 0; round < 3; round++) {
        next_check();
        replace_conf(round % 2 ? NULL : "ldap://127.0.0.1:1");
    }
    next_check();
    stop = 1;
    for (int i = 0; i < 4; i++) {
        pthread_join(w[i].t, NULL);
        assert_int_equal(w[i].failed, 0);
        ok += w[i].ok;
    }
    assert_true(ok > 0);
    print_message("%u acquire/release pairs across 3 reloads\n", ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_shared_until_changed, fresh),
        cmocka_unit_test_setup(test_reload_keeps_old_handle, fresh),
        cmocka_unit_test_setup(test_invalid_file_fails_closed, fresh),
        cmocka_unit_test_setup(test_missing_file, fresh),
        cmocka_unit_test_setup(test_path_change, fresh),
        cmocka_unit_test_setup(test_shutdown, fresh),
        cmocka_unit_test_setup(test_threads, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
