/* SPDX-License-Identifier: BSD-3-Clause */
/* test_pam_faults.c - pam_apikey in a host process under faults: directory
 * down, blackholed or hung (F-01/F-02), 1,000 transactions without fd
 * growth, no descriptor of ours in an exec'd helper, fork
 * with authenticate and acct_mgmt in different processes (C-03), host
 * hygiene (C-05), and no user enumeration (S-05).
 *
 *   test_pam_faults               all tests
 *   test_pam_faults --cycles-only the R-01 loop alone (run under valgrind)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "ak_record.h"
#include "ak_schema.h"
#include "ak_test.h"
#include "ak_test_pam.h"
#include "ak_time.h"

extern char **environ;

static LDAP *admin;
static const char *slog;

/* The bound under test is timeout (2 s) + 1 s; valgrind and ASan add their
 * own slowness to the client, which is not the module's. */
static double slack(void)
{
    return aktp_slow() ? 2.0 : 0.0;
}
static char alice_key[AK_KEY_MAX_LEN + 1], alice_wrong[AK_KEY_MAX_LEN + 1];
static char bob_key[AK_KEY_MAX_LEN + 1], soon_key[AK_KEY_MAX_LEN + 1];
static char soon_id[AK_KEY_ID_LEN + 1];
static char frank_key[AK_KEY_MAX_LEN + 1]; /* frank holds only this one,
                                              expired */
static int cycles = 1000;

static void key_id(const char *key, char id[AK_KEY_ID_LEN + 1])
{
    struct ak_key k;
    assert_int_equal(ak_key_parse(key, strlen(key), &k, NULL), AK_OK);
    memcpy(id, k.id, AK_KEY_ID_LEN + 1);
}

/* A user whose only key has expired (S-05). */
static void add_frank(void)
{
    const char *oc[] = {"account", "posixAccount", AK_OC_HOLDER, NULL};
    const char *uid[] = {"frank", NULL}, *cn[] = {"Frank", NULL};
    const char *un[] = {"10007", NULL}, *gn[] = {"10000", NULL};
    const char *home[] = {"/home/frank", NULL};
    LDAPMod m[] = {
        {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {(char **)(uintptr_t)oc}},
        {LDAP_MOD_ADD, AK_LDAP_STR("uid"), {(char **)(uintptr_t)uid}},
        {LDAP_MOD_ADD, AK_LDAP_STR("cn"), {(char **)(uintptr_t)cn}},
        {LDAP_MOD_ADD, AK_LDAP_STR("uidNumber"), {(char **)(uintptr_t)un}},
        {LDAP_MOD_ADD, AK_LDAP_STR("gidNumber"), {(char **)(uintptr_t)gn}},
        {LDAP_MOD_ADD,
         AK_LDAP_STR("homeDirectory"),
         {(char **)(uintptr_t)home}},
    };
    LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], &m[5], NULL};
    char exp[AK_TIME_LEN + 1];
    struct akt_key_opts old = {.created = time(NULL) - 30 * 86400,
                               .expires = akt_time(exp, time(NULL) - 86400)};
    int rc = ldap_add_ext_s(admin, AKT_DN("frank"), mods, NULL, NULL);
    if (rc != LDAP_SUCCESS)
        fail_msg("add frank: %s", ldap_err2string(rc));
    akt_add_key(admin, AKT_DN("frank"), &old, frank_key);
}

static int setup(void **state)
{
    char ts[AK_TIME_LEN + 1];
    struct akt_key_opts soon = {.expires = ts};
    (void)state;
    slog = akt_env("AK_TEST_LOG");
    admin = akt_admin();
    ak_time_format(time(NULL) + 3 * 86400, ts);
    akt_add_key(admin, AKT_DN("alice"), NULL, alice_key);
    akt_add_key(admin, AKT_DN("alice"), &soon, soon_key);
    key_id(soon_key, soon_id);
    akt_add_key(admin, AKT_DN("bob"), NULL, bob_key);
    strcpy(alice_wrong, alice_key);
    akt_wrong_secret(alice_wrong);
    add_frank();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ldap_unbind_ext_s(admin, NULL, NULL);
    return 0;
}

/* F-01: nothing listens: PAM_AUTHINFO_UNAVAIL at once. Blackholed (no
 * answer to SYN, tests/lib akt_blackhole): the connect waits out
 * network_timeout (2 s), then PAM_AUTHINFO_UNAVAIL within 2 s + 1 s; with
 * the directory behind the silent server, the login succeeds after the
 * same wait. The lower bound proves the first server was silent: one that
 * refused or was unreachable would cost no time. */
static void test_directory_down(void **state)
{
    struct akt_blackhole bh;
    char uris[128];
    double t0 = akt_now(), dt;
    (void)state;
    assert_int_equal(aktp_auth1("apikey-down", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    dt = akt_now() - t0;
    print_message("refused: %.3f s\n", dt);
    assert_true(dt < 1.0 + slack());

    /* the service apikey-blackhole reads hole.conf on every call */
    akt_blackhole_open(&bh);
    snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d", bh.port);
    akt_config("hole.conf", uris, NULL);
    t0 = akt_now();
    assert_int_equal(aktp_auth1("apikey-blackhole", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    dt = akt_now() - t0;
    print_message("blackholed: %.3f s\n", dt);
    assert_true(dt >= 2.0 - 0.1);
    assert_true(dt <= 2.0 + 1.0 + slack());

    snprintf(uris, sizeof(uris), "ldap://127.0.0.1:%d %s", bh.port,
             akt_env("AK_TEST_URI"));
    akt_config("hole.conf", uris, NULL);
    t0 = akt_now();
    assert_int_equal(aktp_auth1("apikey-blackhole", "alice", alice_key),
                     PAM_SUCCESS);
    dt = akt_now() - t0;
    print_message("blackholed first, then the directory: %.3f s\n", dt);
    assert_true(dt >= 2.0 - 0.1);
    assert_true(dt <= 2.0 + 1.0 + slack());
    akt_blackhole_close(&bh);
}

/* F-02: slapd SIGSTOPped: the TCP handshake completes (kernel backlog),
 * the bind never answers. PAM_AUTHINFO_UNAVAIL within timeout (2 s) + 1 s,
 * never success; after SIGCONT the next login works. */
static void test_directory_hung(void **state)
{
    double t0, dt;
    (void)state;
    akt_slapd_stop();
    t0 = akt_now();
    assert_int_equal(aktp_auth1("apikey", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    dt = akt_now() - t0;
    akt_slapd_cont();
    print_message("hung: %.3f s\n", dt);
    assert_true(dt <= 2.0 + 1.0 + slack());
    assert_true(dt >= 1.5); /* it really waited for the server */
    assert_int_equal(aktp_auth1("apikey", "alice", alice_key), PAM_SUCCESS);
}

/* One transaction of each kind, in turn. */
static int cycle(int i)
{
    switch (i % 5) {
    case 0:
        return aktp_auth1("apikey", "alice", alice_key) == PAM_SUCCESS;
    case 1:
        return aktp_auth1("apikey", "alice", alice_wrong) == PAM_AUTH_ERR;
    case 2:
        return aktp_auth1("apikey", "nosuchuser", alice_key) == PAM_AUTH_ERR;
    case 3:
        return aktp_auth1("apikey-down", "alice", alice_key) ==
               PAM_AUTHINFO_UNAVAIL;
    default:
        return aktp_auth1("apikey", "alice", "hunter2") == PAM_AUTH_ERR;
    }
}

static long rss_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* pam_start/authenticate/pam_end over success, wrong key, unknown
 * user, directory down and not-a-key: the descriptor count returns to the
 * baseline exactly. Memory is checked by running this under valgrind
 * (pam-valgrind); here RSS must stay flat too. */
static void test_cycles(void **state)
{
    int base, n;
    long rss0, rss1;
    (void)state;
    for (int i = 0; i < 10; i++) /* warm up: lazy one-time init */
        assert_true(cycle(i));
    base = aktp_fd_count();
    rss0 = rss_kib();
    for (int i = 0; i < cycles; i++) {
        if (!cycle(i))
            fail_msg("cycle %d (kind %d) gave the wrong answer", i, i % 5);
        if (i % 100 == 99 && (n = aktp_fd_count()) != base)
            fail_msg("after %d cycles: %d descriptors, baseline %d", i + 1, n,
                     base);
    }
    rss1 = rss_kib();
    print_message("%d cycles: fds %d -> %d, RSS %ld -> %ld KiB\n", cycles, base,
                  aktp_fd_count(), rss0, rss1);
    assert_int_equal(aktp_fd_count(), base);
    if (!aktp_slow())
        assert_true(rss1 - rss0 < 1024);
}

/* Run fdlist and return its output (descriptors >= 3 it inherited). */
static char *inherited_fds(void)
{
    int p[2];
    pid_t pid;
    char *out = calloc(1, 8192);
    size_t n = 0;
    ssize_t r;
    int st;

    assert_non_null(out);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1); /* dup2 clears close-on-exec on fd 1 only */
        execl(AKTP_FDLIST, AKTP_FDLIST, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    while ((r = read(p[0], out + n, 8191 - n)) > 0)
        n += (size_t)r;
    close(p[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return out;
}

static int socket_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], t[256];
        ssize_t l;
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        l = readlink(path, t, sizeof(t) - 1);
        if (l > 0 && (t[l] = '\0', strncmp(t, "socket:", 7) == 0))
            n++;
    }
    closedir(d);
    return n;
}

static char *fds_base;
static char *fds_during;
static int sockets_base, sockets_during;

/* Called from the conversation while acct_mgmt holds its connection. */
static void exec_from_conversation(struct aktp_conv *c, const char *msg)
{
    (void)c;
    (void)msg;
    sockets_during = socket_count();
    fds_during = inherited_fds();
}

/*
 * Authenticate in a child, as sshd's privilege-separated auth child does,
 * and hand its PAM environment back to this process (sshd: monitor
 * imports it with pam_putenv). The child ends its copy of the handle with
 * PAM_DATA_SILENT, as sshd's child does.
 */
static int auth_in_child(pam_handle_t *ph)
{
    int p[2], st, rc = -1;
    pid_t pid;
    char buf[4096];
    ssize_t n;
    size_t got = 0;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char **env;
        close(p[0]);
        rc = pam_authenticate(ph, 0);
        env = pam_getenvlist(ph);
        dprintf(p[1], "%d\n", rc);
        for (char **e = env; e && *e; e++) {
            dprintf(p[1], "%s\n", *e);
            free(*e);
        }
        free(env);
        close(p[1]);
        pam_end(ph, rc | PAM_DATA_SILENT);
        _exit(0);
    }
    close(p[1]);
    while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(p[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (rc == -1)
            rc = atoi(line);
        else
            assert_int_equal(pam_putenv(ph, line), PAM_SUCCESS);
    }
    return rc;
}

/* a program exec'd by the host while pam_apikey holds its LDAP
 * connection (from the acct_mgmt conversation) and after authenticate
 * inherits nothing of ours. */
static void test_no_inherited_fds(void **state)
{
    struct aktp_conv c = {.answers = {soon_key},
                          .on_info = exec_from_conversation};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    char *after;
    (void)state;

    fds_base = inherited_fds();
    sockets_base = socket_count();
    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(auth_in_child(ph), PAM_SUCCESS);
    after = inherited_fds();
    assert_string_equal(after, fds_base);
    /* a fresh lookup in this process: the connection is open during the
     * expiry warning */
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    assert_int_equal(c.n_info, 1);
    assert_non_null(fds_during);
    print_message("sockets: %d before, %d during acct_mgmt\n", sockets_base,
                  sockets_during);
    assert_true(sockets_during > sockets_base); /* the test saw one */
    assert_string_equal(fds_during, fds_base);
    free(fds_base);
    free(fds_during);
    free(after);
}

/* C-03 part 1: the key's state checked in another process than the one
 * that verified the key: whatever changed in between is seen. */
static void revoke_record(const char *record)
{
    const char *old[] = {record, NULL};
    char buf[AK_RECORD_MAX + 64], now[AK_TIME_LEN + 1];
    const char *new_[] = {buf, NULL};
    snprintf(buf, sizeof(buf), "%s revoked=%s", record,
             akt_time(now, time(NULL)));
    assert_int_equal(
        akt_modify(admin, AKT_DN("bob"), LDAP_MOD_DELETE, AK_AT_RECORD, old),
        LDAP_SUCCESS);
    assert_int_equal(
        akt_modify(admin, AKT_DN("bob"), LDAP_MOD_ADD, AK_AT_RECORD, new_),
        LDAP_SUCCESS);
}

static int split_acct(const char *service, const char *user, const char *key,
                      void (*between)(void *), void *arg, struct aktp_conv *c)
{
    struct pam_conv conv = {aktp_conv_fn, c};
    pam_handle_t *ph;
    int rc;

    c->answers[0] = key;
    assert_int_equal(pam_start(service, user, &conv, &ph), PAM_SUCCESS);
    assert_int_equal(auth_in_child(ph), PAM_SUCCESS);
    /* this process never verified the key */
    assert_non_null(pam_getenv(ph, "APIKEY_KEY_ID"));
    if (between != NULL)
        between(arg);
    rc = pam_acct_mgmt(ph, 0);
    pam_end(ph, rc);
    return rc;
}

static void do_revoke(void *arg)
{
    revoke_record(arg);
}

static void do_lock_bob(void *arg)
{
    char now[AK_TIME_LEN + 1];
    (void)arg;
    akt_set(admin, AKT_DN("bob"), "pwdAccountLockedTime",
            akt_time(now, time(NULL)));
}

static void do_delete_key(void *arg)
{
    const char *v[] = {arg, NULL};
    assert_int_equal(
        akt_modify(admin, AKT_DN("bob"), LDAP_MOD_DELETE, AK_AT_RECORD, v),
        LDAP_SUCCESS);
}

static void do_wait(void *arg)
{
    time_t until = *(time_t *)arg;
    while (time(NULL) < until)
        usleep(100000);
}

static void do_stop(void *arg)
{
    (void)arg;
    akt_slapd_stop();
}

static void test_auth_and_account_apart(void **state)
{
    struct aktp_conv c = {.answers = {NULL}};
    char key[AK_KEY_MAX_LEN + 1], record[AK_RECORD_MAX + 1], want[128];
    char ts[AK_TIME_LEN + 1];
    struct akt_key_opts o = {.created = time(NULL) - 60, .expires = ts};
    time_t exp;
    long off;
    double t0;
    (void)state;

    /* unchanged: success, one search, and the warning in this process */
    off = akt_slapd_log_size(slog);
    assert_int_equal(split_acct("apikey", "alice", soon_key, NULL, NULL, &c),
                     PAM_SUCCESS);
    /* authenticate: one search; account in another process: one more
     * (the policy entry rides along, as in ak_verify) */
    assert_int_equal(akt_slapd_log_count(slog, off, " SRCH base="), 1 + 1);
    snprintf(want, sizeof(want), "Your API key %s expires in 3 days.", soon_id);
    assert_int_equal(c.n_info, 1);
    assert_string_equal(c.info[0], want);

    /* revoked in between */
    akt_add_key(admin, AKT_DN("bob"), NULL, key);
    snprintf(record, sizeof(record), "%s", akt_last_record());
    aktp_conv_reset(&c);
    assert_int_equal(split_acct("apikey", "bob", key, do_revoke, record, &c),
                     PAM_PERM_DENIED);
    /* deleted in between */
    akt_add_key(admin, AKT_DN("bob"), NULL, key);
    snprintf(record, sizeof(record), "%s", akt_last_record());
    assert_int_equal(
        split_acct("apikey", "bob", key, do_delete_key, record, &c),
        PAM_PERM_DENIED);
    /* expired in between */
    exp = time(NULL) + 3;
    ak_time_format(exp, ts);
    akt_add_key(admin, AKT_DN("bob"), &o, key);
    assert_int_equal(split_acct("apikey", "bob", key, do_wait, &exp, &c),
                     PAM_ACCT_EXPIRED);
    /* directory hung in between: bounded, fails closed */
    t0 = akt_now();
    assert_int_equal(
        split_acct("apikey", "alice", alice_key, do_stop, NULL, &c),
        PAM_AUTHINFO_UNAVAIL);
    akt_slapd_cont();
    /* + the authentication in the child */
    assert_true(akt_now() - t0 <= 2.0 + 1.0 + 1.0 + slack());
    /* owner locked in between (last: bob stays locked) */
    assert_int_equal(
        split_acct("apikey", "bob", bob_key, do_lock_bob, NULL, &c),
        PAM_PERM_DENIED);
}

/* A key id in the PAM environment vouches only for its owner. */
static void test_foreign_key_id(void **state)
{
    struct aktp_conv c = {.answers = {NULL}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    char env[64], bob_id[AK_KEY_ID_LEN + 1];
    pam_handle_t *ph;
    (void)state;
    key_id(bob_key, bob_id);
    snprintf(env, sizeof(env), "APIKEY_KEY_ID=%s", bob_id);
    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_putenv(ph, env), PAM_SUCCESS);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    assert_int_equal(pam_putenv(ph, "APIKEY_KEY_ID=not-a-key-id"), PAM_SUCCESS);
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_PERM_DENIED);
    pam_end(ph, PAM_PERM_DENIED);
}

/* C-03 part 2: fork after the module is loaded and has worked; parent and
 * 8 children authenticate at once; each child ends the inherited handle
 * with PAM_DATA_SILENT; the parent's handle still works afterwards. */
static void test_fork_after_init(void **state)
{
    struct aktp_conv c = {.answers = {alice_key}};
    struct pam_conv conv = {aktp_conv_fn, &c};
    pam_handle_t *ph;
    pid_t kids[8];
    int st;
    (void)state;

    assert_int_equal(pam_start("apikey", "alice", &conv, &ph), PAM_SUCCESS);
    assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
    for (int i = 0; i < 8; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            int ok = 1;
            pam_end(ph, PAM_SUCCESS | PAM_DATA_SILENT);
            for (int k = 0; k < 5; k++) {
                int a = aktp_auth1("apikey", "alice", alice_key);
                int b = aktp_auth1("apikey", "bob", alice_key);
                if (a != PAM_SUCCESS || b != PAM_AUTH_ERR) {
                    /* say which, so that a failure here can be told apart
                     * (a slow directory, or state shared across fork) */
                    fprintf(stderr,
                            "fork child %d, round %d: alice %s, bob %s\n", i, k,
                            pam_strerror(NULL, a), pam_strerror(NULL, b));
                    ok = 0;
                }
            }
            _exit(ok ? 0 : 1);
        }
    }
    for (int k = 0; k < 5; k++) {
        assert_int_equal(aktp_auth1("apikey", "alice", alice_key), PAM_SUCCESS);
        assert_int_equal(aktp_auth1("apikey", "alice", alice_wrong),
                         PAM_AUTH_ERR);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(pam_acct_mgmt(ph, 0), PAM_SUCCESS);
    aktp_conv_reset(&c); /* answer the next prompt with the key again */
    assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
}

/* C-05: what the host owns is the same before and after. */
struct host_state {
    struct sigaction sa[NSIG];
    sigset_t mask;
    char **env;
    mode_t umask;
    char cwd[4096];
    int ldap_ints[4];
    struct timeval *ldap_tv[2];
};

static const int ldap_int_opts[] = {LDAP_OPT_PROTOCOL_VERSION, LDAP_OPT_DEREF,
                                    LDAP_OPT_SIZELIMIT,
                                    LDAP_OPT_X_TLS_REQUIRE_CERT};
static const int ldap_tv_opts[] = {LDAP_OPT_NETWORK_TIMEOUT, LDAP_OPT_TIMEOUT};

static void snapshot(struct host_state *h)
{
    size_t n = 0;
    memset(h, 0, sizeof(*h));
    for (int s = 1; s < NSIG; s++)
        sigaction(s, NULL, &h->sa[s]);
    sigprocmask(SIG_BLOCK, NULL, &h->mask);
    while (environ[n] != NULL)
        n++;
    h->env = calloc(n + 1, sizeof(char *));
    assert_non_null(h->env);
    for (size_t i = 0; i < n; i++)
        h->env[i] = strdup(environ[i]);
    h->umask = umask(022);
    umask(h->umask);
    assert_non_null(getcwd(h->cwd, sizeof(h->cwd)));
    for (size_t i = 0; i < 4; i++)
        ldap_get_option(NULL, ldap_int_opts[i], &h->ldap_ints[i]);
    for (size_t i = 0; i < 2; i++)
        ldap_get_option(NULL, ldap_tv_opts[i], &h->ldap_tv[i]);
}

static void same_state(const struct host_state *a, struct host_state *b)
{
    for (int s = 1; s < NSIG; s++) {
        if (a->sa[s].sa_handler != b->sa[s].sa_handler ||
            a->sa[s].sa_flags != b->sa[s].sa_flags)
            fail_msg("signal %d disposition changed", s);
    }
    assert_memory_equal(&a->mask, &b->mask, sizeof(a->mask));
    for (size_t i = 0; a->env[i] || b->env[i]; i++) {
        if (a->env[i] == NULL || b->env[i] == NULL ||
            strcmp(a->env[i], b->env[i]) != 0)
            fail_msg("environment changed at %zu: %s / %s", i,
                     a->env[i] ? a->env[i] : "(end)",
                     b->env[i] ? b->env[i] : "(end)");
    }
    assert_int_equal(a->umask, b->umask);
    assert_string_equal(a->cwd, b->cwd);
    assert_memory_equal(a->ldap_ints, b->ldap_ints, sizeof(a->ldap_ints));
    for (size_t i = 0; i < 2; i++) {
        if ((a->ldap_tv[i] == NULL) != (b->ldap_tv[i] == NULL) ||
            (a->ldap_tv[i] &&
             memcmp(a->ldap_tv[i], b->ldap_tv[i], sizeof(struct timeval))))
            fail_msg("libldap global timeout %zu changed", i);
    }
    /* no alarm was set (alarm() returns what was left of a pending one) */
    assert_int_equal(alarm(0), 0);
}

static void free_state(struct host_state *h)
{
    for (size_t i = 0; h->env[i]; i++)
        free(h->env[i]);
    free(h->env);
    for (size_t i = 0; i < 2; i++)
        ldap_memfree(h->ldap_tv[i]);
}

static void test_host_hygiene(void **state)
{
    struct host_state before, after;
    struct aktp_conv c = {.answers = {soon_key}};
    (void)state;
    snapshot(&before);
    assert_int_equal(aktp_login("apikey-debug", "alice", &c, 0, NULL),
                     PAM_SUCCESS);
    assert_int_equal(aktp_auth1("apikey", "alice", alice_wrong), PAM_AUTH_ERR);
    assert_int_equal(aktp_auth1("apikey-down", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(aktp_auth1("apikey-badconf", "alice", alice_key),
                     PAM_SERVICE_ERR);
    assert_int_equal(aktp_auth1("apikey-ignore", "alice", "hunter2"),
                     PAM_PERM_DENIED);
    akt_slapd_stop();
    assert_int_equal(aktp_auth1("apikey", "alice", alice_key),
                     PAM_AUTHINFO_UNAVAIL);
    akt_slapd_cont();
    {
        int acct = -1;
        aktp_conv_reset(&c);
        assert_int_equal(aktp_login("apikey", "alice", &c, 0, &acct),
                         PAM_SUCCESS);
        assert_int_equal(acct, PAM_SUCCESS);
    }
    snapshot(&after);
    same_state(&before, &after);
    free_state(&before);
    free_state(&after);
}

/* S-05: nonexistent user, user without keys, user with only expired keys,
 * wrong key, 1 MiB of junk: the same code and the same prompts. */
static void test_no_enumeration(void **state)
{
    enum { N_CASES = 5, TRIALS = 25 };
    static char big[1 << 20];
    const char *const names[N_CASES] = {
        "no such user", "no keys", "only expired", "wrong key", "1 MiB key"};
    const char *users[N_CASES] = {"nosuchuser", "nokeys", "frank", "alice",
                                  "alice"};
    const char *toks[N_CASES] = {alice_key, alice_key, frank_key, alice_wrong,
                                 big};
    double t[N_CASES][TRIALS], med[N_CASES];
    (void)state;

    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "ak_", 3);
    for (int r = 0; r < TRIALS; r++)
        for (int i = 0; i < N_CASES; i++) {
            struct aktp_conv c = {.answers = {toks[i]}};
            double t0 = akt_now();
            int rc = aktp_login("apikey", users[i], &c, 0, NULL);
            t[i][r] = akt_now() - t0;
            if (rc != PAM_AUTH_ERR)
                fail_msg("%s: %s", names[i], aktp_code_name(rc));
            assert_int_equal(c.n_prompts, 1);
            assert_int_equal(c.n_info + c.n_error, 0);
        }
    for (int i = 0; i < N_CASES; i++) {
        med[i] = aktp_median(t[i], TRIALS) * 1000;
        print_message("S-05 %-13s median %.3f ms\n", names[i], med[i]);
    }
    /* The four that reach the directory cost the same (one search and a
     * hash each); noise on a shared 2-core machine is why the bound is
     * loose. The junk is refused offline and only reveals its shape. */
    if (!aktp_slow())
        for (int i = 1; i < 4; i++)
            assert_true(med[i] - med[0] < 2.0 && med[0] - med[i] < 2.0);
}

int main(int argc, char **argv)
{
    char uri[64], down[512], hole[512], bad[512];
    const struct aktp_subst subst[] = {
        {"CONF", akt_env("AK_TEST_CONF")},
        {"DOWNCONF", down},
        {"HOLECONF", hole},
        {"BADCONF", bad},
        {NULL, NULL},
    };
    const struct CMUnitTest all[] = {
        cmocka_unit_test(test_directory_down),
        cmocka_unit_test(test_directory_hung),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_no_inherited_fds),
        cmocka_unit_test(test_auth_and_account_apart),
        cmocka_unit_test(test_foreign_key_id),
        cmocka_unit_test(test_fork_after_init),
        cmocka_unit_test(test_host_hygiene),
        cmocka_unit_test(test_no_enumeration),
    };
    const struct CMUnitTest only_cycles[] = {
        cmocka_unit_test(test_cycles),
    };
    bool cycles_only = argc > 1 && strcmp(argv[1], "--cycles-only") == 0;

    if (getenv("PAM_WRAPPER") == NULL) {
        snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d", akt_closed_port());
        snprintf(down, sizeof(down), "%s", akt_config("down.conf", uri, NULL));
        /* test_directory_down points it at a black hole on 127.0.0.1 */
        snprintf(hole, sizeof(hole), "%s", akt_config("hole.conf", uri, NULL));
        snprintf(bad, sizeof(bad), "%s",
                 akt_config("bad.conf", NULL, "no_such_setting 1"));
    }
    aktp_init(argv, AKTP_SERVICES, subst);
    if (getenv("AKTP_CYCLES") != NULL)
        cycles = atoi(getenv("AKTP_CYCLES"));
    if (cycles_only)
        return cmocka_run_group_tests(only_cycles, setup, teardown);
    return cmocka_run_group_tests(all, setup, teardown);
}
