/* SPDX-License-Identifier: BSD-3-Clause */
/* test_faults.c - the verifier under faults: refused, hung and restarted
 * servers, failover, bad service credentials, garbage answers, threads,
 * fork, descriptor hygiene (F-01/02/03/06/10, BI-13, C-01, C-03, R-01/02) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ak_record.h"
#include "ak_test.h"

static LDAP *admin;
static char alice_key[AK_KEY_MAX_LEN + 1];
static char alice_record[AK_RECORD_MAX + 1];
static char bob_key[AK_KEY_MAX_LEN + 1];
static const char *slog;

static int setup(void **state)
{
    (void)state;
    slog = akt_env("AK_TEST_LOG");
    admin = akt_admin();
    akt_add_key(admin, AKT_DN("alice"), NULL, alice_key);
    snprintf(alice_record, sizeof(alice_record), "%s", akt_last_record());
    akt_add_key(admin, AKT_DN("bob"), NULL, bob_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

static void test_all_refuse(void **state)
{
    struct akt_verifier v;
    char uris[128];
    double t0;
    (void)state;
    snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d ldap://127.0.0.1:%d",
             akt_closed_port(), akt_closed_port());
    akt_verifier_open(&v, akt_config("refuse.conf", uris, "network_timeout 1"));
    akt_log_reset();
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    /* F-01: within connect timeout x URIs + 1 s */
    assert_true(akt_now() - t0 < 1 * 2 + 1);
    assert_non_null(strstr(akt_logbuf, "none of 2 URI(s) answered"));
    akt_verifier_close(&v);
}

static void test_first_down_second_answers(void **state)
{
    struct akt_verifier v;
    char uris[128];
    (void)state;
    snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d %s", akt_closed_port(),
             akt_env("AK_TEST_URI"));
    akt_verifier_open(&v, akt_config("second.conf", uris, NULL));
    akt_log_reset();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    assert_non_null(strstr(akt_logbuf, "(failover)"));
    /* logged once per transition, not on every call */
    akt_log_reset();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    assert_null(strstr(akt_logbuf, "failover"));
    akt_verifier_close(&v);
}

static void test_blackholed_first(void **state)
{
    struct akt_verifier v;
    struct akt_blackhole bh;
    char uris[128];
    double t0, took;
    (void)state;
    akt_blackhole_open(&bh);
    snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d %s", bh.port,
             akt_env("AK_TEST_URI"));
    akt_verifier_open(&v, akt_config("bh.conf", uris, "network_timeout 1"));
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    /* F-03: within network_timeout + 2 s, after waiting it out (a first
     * server that refused would cost no time) */
    took = akt_now() - t0;
    assert_true(took >= 1 - 0.1);
    assert_true(took < 1 + 2);
    akt_verifier_close(&v);
    akt_blackhole_close(&bh);
}

static void test_hung_server(void **state)
{
    struct akt_verifier v;
    double t0, took;
    (void)state;
    /* F-02 before accept / mid-bind: a new connection to a stopped slapd */
    akt_verifier_open(&v, akt_env("AK_TEST_CONF")); /* timeout 2 */
    akt_slapd_stop();
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    took = akt_now() - t0;
    akt_slapd_cont();
    printf("# stopped before bind: unavailable after %.2f s\n", took);
    assert_true(took < 2 + 1);
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    /* mid-search on a kept connection */
    akt_slapd_stop();
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    took = akt_now() - t0;
    akt_slapd_cont();
    printf("# stopped mid-search: unavailable after %.2f s\n", took);
    assert_true(took < 2 + 1);
    /* after SIGCONT the next call succeeds */
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&v);
}

static void test_hung_after_starttls(void **state)
{
    struct akt_verifier v;
    char extra[512];
    double t0;
    (void)state;
    snprintf(extra, sizeof(extra), "start_tls yes\ntls_cacert %s",
             akt_env("AK_TEST_CA"));
    akt_verifier_open(&v, akt_config("tlshang.conf", NULL, extra));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_slapd_stop();
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    akt_slapd_cont();
    assert_true(akt_now() - t0 < 2 + 1);
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&v);
}

static void test_restart_between_calls(void **state)
{
    struct akt_verifier v;
    (void)state;
    /* F-06: a long-lived host keeps working across a server restart */
    akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_slapd_restart();
    akt_log_reset();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    assert_non_null(strstr(akt_logbuf, "reconnecting"));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&v);
    ldap_unbind_ext_s(admin, NULL, NULL);
    admin = akt_admin();
}

static void test_bad_service_credentials(void **state)
{
    struct akt_verifier v;
    char extra[1024];
    FILE *f;
    char pw[256];
    (void)state;
    /* F-10: wrong password, and a bind DN that does not exist */
    snprintf(pw, sizeof(pw), "%s/wrong.pw", akt_env("AK_TEST_DIR"));
    f = fopen(pw, "w");
    fputs("not-the-password-xyzzy\n", f);
    fclose(f);
    chmod(pw, 0600);
    snprintf(extra, sizeof(extra),
             "bind_dn cn=verifier,ou=system,dc=example,dc=org\n"
             "bind_pw_file %s",
             pw);
    akt_verifier_open(&v, akt_config("wrongpw.conf", NULL, extra));
    akt_log_reset();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    assert_non_null(strstr(akt_logbuf, "Invalid credentials"));
    assert_null(strstr(akt_logbuf, "xyzzy"));
    akt_verifier_close(&v);
    snprintf(extra, sizeof(extra),
             "bind_dn cn=nobody,ou=system,dc=example,dc=org\n"
             "bind_pw_file %s",
             pw);
    akt_verifier_open(&v, akt_config("nobody.conf", NULL, extra));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    akt_verifier_close(&v);
}

/* A server that answers every request with garbage (BI-13). */
struct garbage {
    int lfd;
    int port;
    bool hold; /* keep the connection open after the garbage */
};

static void *garbage_server(void *arg)
{
    struct garbage *g = arg;
    static const unsigned char junk[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff,
                                         0x02, 0x01, 0x01, 0x61, 0x07, 0x0a,
                                         0x01, 0x00, 0x04, 0x00};
    int fd = accept(g->lfd, NULL, NULL);
    char buf[4096];
    if (fd < 0)
        return NULL;
    if (read(fd, buf, sizeof(buf)) > 0 && write(fd, junk, sizeof(junk)) < 0) {
        /* ignore */
    }
    if (g->hold)
        sleep(4);
    close(fd);
    return NULL;
}

static void run_garbage(bool hold)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    struct garbage g = {.hold = hold};
    struct akt_verifier v;
    pthread_t th;
    char uri[64];
    double t0;

    g.lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(g.lfd, (struct sockaddr *)&a, sizeof(a));
    listen(g.lfd, 4);
    getsockname(g.lfd, (struct sockaddr *)&a, &l);
    g.port = ntohs(a.sin_port);
    pthread_create(&th, NULL, garbage_server, &g);
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", g.port);
    akt_verifier_open(&v, akt_config("garbage.conf", uri, NULL));
    akt_log_reset();
    t0 = akt_now();
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_UNAVAILABLE);
    printf("# garbage (%s): unavailable after %.2f s\n%s",
           hold ? "held" : "closed", akt_now() - t0, akt_logbuf);
    assert_true(akt_now() - t0 < 2 + 1);
    akt_verifier_close(&v);
    shutdown(g.lfd, SHUT_RDWR);
    close(g.lfd);
    pthread_join(th, NULL);
}

static void test_garbage_answers(void **state)
{
    (void)state;
    run_garbage(false);
    run_garbage(true);
}

/* What the fake servers below answer: bindResponse (message 1) and
 * searchResultDone (message 2), both success. */
static const unsigned char bind_ok[] = {0x30, 0x0c, 0x02, 0x01, 0x01,
                                        0x61, 0x07, 0x0a, 0x01, 0x00,
                                        0x04, 0x00, 0x04, 0x00};
static const unsigned char search_done[] = {0x30, 0x0c, 0x02, 0x01, 0x02,
                                            0x65, 0x07, 0x0a, 0x01, 0x00,
                                            0x04, 0x00, 0x04, 0x00};

/* A server that answers a bind and one search correctly, then resets the
 * connection (SO_LINGER 0): the next verification writes on a pooled
 * socket that already received an RST, which is EPIPE, and would be a
 * SIGPIPE killing the host if our writes did not use MSG_NOSIGNAL. */
static void *resetting_server(void *arg)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    int lfd = *(int *)arg, fd;
    char buf[4096];

    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    if (read(fd, buf, sizeof(buf)) > 0 &&
        write(fd, bind_ok, sizeof(bind_ok)) > 0 &&
        read(fd, buf, sizeof(buf)) > 0 &&
        write(fd, search_done, sizeof(search_done)) > 0)
        usleep(100000);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);                                  /* RST */
    while ((fd = accept(lfd, NULL, NULL)) >= 0) /* the retry */
        close(fd);
    return NULL;
}

static void test_reset_pooled_connection(void **state)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    struct akt_verifier v;
    pthread_t th;
    char uri[64];
    int lfd;
    (void)state;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    getsockname(lfd, (struct sockaddr *)&a, &l);
    pthread_create(&th, NULL, resetting_server, &lfd);
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", ntohs(a.sin_port));
    /* the policy entry rides in the one search the fake server answers */
    akt_verifier_open(&v, akt_config("reset.conf", uri,
                                     "policy_dn cn=x,ou=people,dc=example,"
                                     "dc=org"));
    /* the first verification binds and searches: nothing found */
    akt_verify(&v, "alice", alice_key, "sshd", 0);
    usleep(300000); /* the RST has arrived */
    /* the second writes on the reset socket: refused, and we are alive */
    assert_int_not_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                         AK_VERIFY_OK);
    akt_verifier_close(&v);
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(th, NULL);
}

/*
 * A server whose answer names one attribute twice in an entry (RFC 4511
 * 4.1.7 allows each description once). The first copy of apiKeyDisabled
 * says FALSE, the second TRUE: a reader that takes the first copy lets a
 * disabled owner in. The entry must not be judged at all.
 */
struct twice {
    int lfd;
    bool duplicate; /* false: a well-formed control answer */
};

static BerElement *alice_entry(const struct twice *t)
{
    char kid[AK_KEY_ID_LEN + 1];
    BerElement *ber = ber_alloc_t(LBER_USE_DER);

    assert_true(ak_record_peek_id(alice_record, strlen(alice_record), kid));
    ber_printf(ber, "{it{s{", 2, LDAP_RES_SEARCH_ENTRY, AKT_DN("alice"));
    ber_printf(ber, "{s[s]}", "uid", "alice");
    ber_printf(ber, "{s[ss]}", "objectClass", "posixAccount", "apiKeyHolder");
    ber_printf(ber, "{s[s]}", "apiKeyId", kid);
    ber_printf(ber, "{s[s]}", "apiKeyRecord", alice_record);
    ber_printf(ber, "{s[s]}", "apiKeyDisabled", "FALSE");
    if (t->duplicate)
        ber_printf(ber, "{s[s]}", "apiKeyDisabled", "TRUE");
    ber_printf(ber, "}}}");
    /* the policy entry rides in the same answer (policy_dn below) */
    ber_printf(ber, "{it{s{{s[s]}}}}", 2, LDAP_RES_SEARCH_ENTRY,
               "cn=x,ou=people,dc=example,dc=org", "objectClass",
               "apiKeyPolicy");
    return ber;
}

static void *twice_server(void *arg)
{
    struct twice *t = arg;
    BerElement *ber = alice_entry(t);
    struct berval *bv = NULL;
    char buf[4096];
    int fd;

    assert_int_equal(ber_flatten(ber, &bv), 0);
    fd = accept(t->lfd, NULL, NULL);
    if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0 &&
        write(fd, bind_ok, sizeof(bind_ok)) > 0 &&
        read(fd, buf, sizeof(buf)) > 0 &&
        write(fd, bv->bv_val, bv->bv_len) == (ssize_t)bv->bv_len &&
        write(fd, search_done, sizeof(search_done)) > 0 &&
        read(fd, buf, sizeof(buf)) > 0) {
        /* the client is done (unbind) */
    }
    if (fd >= 0)
        close(fd);
    ber_bvfree(bv);
    ber_free(ber, 1);
    return NULL;
}

static enum ak_outcome verify_against_twice(bool duplicate)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    struct twice t = {.duplicate = duplicate};
    struct akt_verifier v;
    enum ak_outcome o;
    pthread_t th;
    char uri[64];

    t.lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(t.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(t.lfd, 4), 0);
    getsockname(t.lfd, (struct sockaddr *)&a, &l);
    pthread_create(&th, NULL, twice_server, &t);
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", ntohs(a.sin_port));
    akt_verifier_open(&v, akt_config("twice.conf", uri,
                                     "policy_dn cn=x,ou=people,dc=example,"
                                     "dc=org"));
    akt_log_reset();
    o = akt_verify(&v, "alice", alice_key, "sshd", 0);
    akt_verifier_close(&v);
    shutdown(t.lfd, SHUT_RDWR);
    close(t.lfd);
    pthread_join(th, NULL);
    return o;
}

static void test_attribute_twice(void **state)
{
    (void)state;
    /* the control: the same answer without the second copy is accepted */
    assert_int_equal(verify_against_twice(false), AK_VERIFY_OK);
    assert_int_equal(verify_against_twice(true), AK_VERIFY_UNAVAILABLE);
    assert_non_null(strstr(akt_logbuf, "cannot be read whole"));
    assert_non_null(strstr(akt_logbuf, "returned twice"));
}

/* C-01 (in part): many threads share one handle and its pool */
struct worker {
    struct akt_verifier *v;
    int id;
    int errors;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char wrong[AK_KEY_MAX_LEN + 1];
    strcpy(wrong, bob_key);
    akt_wrong_secret(wrong);
    for (int i = 0; i < 150; i++) {
        enum ak_outcome want, got;
        const char *user, *key;
        switch ((i + w->id) % 4) {
        case 0:
            user = "alice", key = alice_key, want = AK_VERIFY_OK;
            break;
        case 1:
            user = "bob", key = wrong, want = AK_VERIFY_WRONG_KEY;
            break;
        case 2:
            user = "alice", key = bob_key, want = AK_VERIFY_UNKNOWN_KEY;
            break;
        default:
            user = "bob", key = "not-a-key", want = AK_VERIFY_MALFORMED;
            break;
        }
        got = akt_verify(w->v, user, key, "sshd", 0);
        if (got != want)
            w->errors++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct akt_verifier v;
    struct worker w[8];
    pthread_t th[8];
    long off;
    int errors = 0;
    (void)state;
    akt_verifier_open(&v, akt_config("threads.conf", NULL, "pool_size 3"));
    off = akt_slapd_log_size(slog);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){.v = &v, .id = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        errors += w[i].errors;
    }
    assert_int_equal(errors, 0);
    /* connections are bounded by pool_size */
    assert_true(akt_slapd_log_count(slog, off, " ACCEPT ") <= 3);
    akt_verifier_close(&v);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* The connection ids ("conn=N") of the searches for user in text, in log
 * order; returns how many (at most max). */
static int search_conns(const char *text, const char *user, long *ids, int max)
{
    char needle[64];
    int n = 0;

    snprintf(needle, sizeof(needle), "(uid=%s)", user);
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++) {
        const char *line = p, *c;
        while (line > text && line[-1] != '\n')
            line--;
        c = strstr(line, "conn=");
        if (c != NULL && c < p && strstr(line, " SRCH base=") != NULL &&
            n < max)
            ids[n++] = atol(c + 5);
    }
    return n;
}

static void test_fork(void **state)
{
    struct akt_verifier v;
    long off, alice[8], bob[8];
    char unbind[64], *text;
    pid_t pid;
    int status, na, nb;
    (void)state;
    /* C-03: a child never uses its parent's connection. Checked by
     * connection id, not by counting ACCEPT lines: slapd logs those from
     * another thread, sometimes after the connection's first search. */
    off = akt_slapd_log_size(slog);
    akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    for (int i = 0; i < 4; i++) {
        pid = fork();
        if (pid == 0) {
            int ok = akt_verify(&v, "bob", bob_key, "sshd", 0) == AK_VERIFY_OK;
            akt_verifier_close(&v); /* drops the parent's socket silently */
            _exit(ok ? 0 : 1);
        }
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    akt_verifier_close(&v);
    usleep(100000); /* slapd writes its stats lines after answering */
    text = akt_slapd_log_since(slog, off);
    na = search_conns(text, "alice", alice, 8);
    nb = search_conns(text, "bob", bob, 8);
    /* the parent searched twice on one connection, kept across the forks */
    assert_int_equal(na, 2);
    assert_int_equal(alice[0], alice[1]);
    /* each child searched once, on a connection of its own */
    assert_int_equal(nb, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(bob[i] != alice[0]);
        for (int k = 0; k < i; k++)
            assert_true(bob[i] != bob[k]);
    }
    /* and no child unbound the parent's connection: after its bind (op 0)
     * and two searches (ops 1, 2) its one unbind is the parent's own */
    snprintf(unbind, sizeof(unbind), "conn=%ld op=3 UNBIND", alice[0]);
    assert_non_null(strstr(text, unbind));
    snprintf(unbind, sizeof(unbind), "conn=%ld op=2 UNBIND", alice[0]);
    assert_null(strstr(text, unbind));
    free(text);
}

static void test_no_fd_leaks(void **state)
{
    int before, after;
    (void)state;
    /* R-01 across success, refusal, unavailable and config paths */
    {
        struct akt_verifier v;
        akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
        akt_verify(&v, "alice", alice_key, "sshd", 0);
        akt_verifier_close(&v);
    }
    before = count_fds();
    for (int i = 0; i < 100; i++) {
        struct akt_verifier v;
        char uri[64];
        akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
        assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                         AK_VERIFY_OK);
        assert_int_equal(akt_verify(&v, "alice", bob_key, "sshd", 0),
                         AK_VERIFY_UNKNOWN_KEY);
        akt_verifier_close(&v);
        if (i % 10 == 0) {
            snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d",
                     akt_closed_port());
            akt_verifier_open(&v, akt_config("down.conf", uri, NULL));
            assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                             AK_VERIFY_UNAVAILABLE);
            akt_verifier_close(&v);
        }
    }
    after = count_fds();
    assert_int_equal(before, after);
}

static void test_cloexec(void **state)
{
    struct akt_verifier v;
    DIR *d;
    struct dirent *e;
    (void)state;
    /* nothing we open survives exec */
    akt_verifier_open(&v, akt_env("AK_TEST_CONF"));
    assert_int_equal(akt_verify(&v, "alice", alice_key, "sshd", 0),
                     AK_VERIFY_OK);
    d = opendir("/proc/self/fd");
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
            continue;
        if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
            char p[64], t[256] = "";
            snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
            if (readlink(p, t, sizeof(t) - 1) < 0)
                t[0] = '\0';
            /* the harness's own descriptors are not ours */
            if (strncmp(t, "socket:", 7) == 0)
                fail_msg("fd %d (%s) lacks FD_CLOEXEC", fd, t);
        }
    }
    closedir(d);
    akt_verifier_close(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_refuse),
        cmocka_unit_test(test_first_down_second_answers),
        cmocka_unit_test(test_blackholed_first),
        cmocka_unit_test(test_hung_server),
        cmocka_unit_test(test_hung_after_starttls),
        cmocka_unit_test(test_restart_between_calls),
        cmocka_unit_test(test_bad_service_credentials),
        cmocka_unit_test(test_garbage_answers),
        cmocka_unit_test(test_reset_pooled_connection),
        cmocka_unit_test(test_attribute_twice),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_no_fd_leaks),
        cmocka_unit_test(test_cloexec),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
