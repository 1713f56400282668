/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test.c - helpers for integration tests against the throwaway slapd */
#include "ak_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ak_hash.h"
#include "ak_record.h"
#include "ak_schema.h"
#include "ak_time.h"

char akt_logbuf[1 << 16];

static void capture(void *ctx, int prio, const char *msg)
{
    size_t n = strlen(akt_logbuf);
    (void)ctx;
    (void)prio;
    if (n + strlen(msg) + 2 < sizeof(akt_logbuf)) {
        memcpy(akt_logbuf + n, msg, strlen(msg));
        akt_logbuf[n + strlen(msg)] = '\n';
        akt_logbuf[n + strlen(msg) + 1] = '\0';
    }
}

const struct ak_log akt_log = {.sink = capture};

void akt_log_reset(void)
{
    akt_logbuf[0] = '\0';
}

const char *akt_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "%s unset: run through tests/ldap/with-slapd.sh\n",
                name);
        exit(77);
    }
    return v;
}

bool akt_under_valgrind(void)
{
    const char *w = getenv("AK_TEST_WRAPPER");
    return w != NULL && strstr(w, "valgrind") != NULL;
}

double akt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int akt_closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void akt_blackhole_open(struct akt_blackhole *b)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(b->lfd >= 0);
    assert_int_equal(bind(b->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    /* backlog 0: the queue holds one connection (Linux: backlog + 1) */
    assert_int_equal(listen(b->lfd, 0), 0);
    assert_int_equal(getsockname(b->lfd, (struct sockaddr *)&a, &l), 0);
    b->port = ntohs(a.sin_port);
    for (int i = 0; i < 4; i++) {
        b->fds[i] =
            socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(b->fds[i] >= 0);
        (void)connect(b->fds[i], (struct sockaddr *)&a, sizeof(a));
    }
    usleep(100000); /* the handshakes that can complete, complete */
}

void akt_blackhole_close(struct akt_blackhole *b)
{
    for (int i = 0; i < 4; i++)
        close(b->fds[i]);
    close(b->lfd);
}

LDAP *akt_admin(void)
{
    LDAP *ld = NULL;
    int v3 = LDAP_VERSION3;
    struct berval pw;
    const char *p = akt_env("AK_TEST_ROOTPW");

    assert_int_equal(ldap_initialize(&ld, akt_env("AK_TEST_URI")),
                     LDAP_SUCCESS);
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    pw.bv_val = (char *)(uintptr_t)p;
    pw.bv_len = strlen(p);
    assert_int_equal(ldap_sasl_bind_s(ld, akt_env("AK_TEST_ROOTDN"),
                                      LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL),
                     LDAP_SUCCESS);
    return ld;
}

int akt_modify(LDAP *ld, const char *dn, int op, const char *attr,
               const char *const *values)
{
    LDAPMod mod = {op, (char *)(uintptr_t)attr, {(char **)(uintptr_t)values}};
    LDAPMod *mods[] = {&mod, NULL};
    return ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
}

int akt_modify_relaxed(LDAP *ld, const char *dn, int op, const char *attr,
                       const char *const *values)
{
    LDAPMod mod = {op, (char *)(uintptr_t)attr, {(char **)(uintptr_t)values}};
    LDAPMod *mods[] = {&mod, NULL};
    LDAPControl relax = {AK_LDAP_STR(LDAP_CONTROL_RELAX), {0, NULL}, 1};
    LDAPControl *ctrls[] = {&relax, NULL};
    return ldap_modify_ext_s(ld, dn, mods, ctrls, NULL);
}

void akt_set(LDAP *ld, const char *dn, const char *attr, const char *value)
{
    const char *vals[] = {value, NULL};
    int rc = akt_modify(ld, dn, LDAP_MOD_REPLACE, attr, value ? vals : NULL);
    if (rc != LDAP_SUCCESS)
        fail_msg("replace %s on %s: %s", attr, dn, ldap_err2string(rc));
}

void akt_add_entry(LDAP *ld, const char *dn, const char *const *oc,
                   const char *attr, const char *value)
{
    const char *vals[] = {value, NULL};
    LDAPMod m_oc = {
        LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {(char **)(uintptr_t)oc}};
    LDAPMod m_at = {
        LDAP_MOD_ADD, (char *)(uintptr_t)attr, {(char **)(uintptr_t)vals}};
    LDAPMod *mods[] = {&m_oc, attr ? &m_at : NULL, NULL};
    int rc = ldap_add_ext_s(ld, dn, mods, NULL, NULL);
    if (rc != LDAP_SUCCESS)
        fail_msg("add %s: %s", dn, ldap_err2string(rc));
}

void akt_delete_entry(LDAP *ld, const char *dn)
{
    /* ManageDsaIT: delete referral objects themselves, not follow them */
    LDAPControl manage = {AK_LDAP_STR(LDAP_CONTROL_MANAGEDSAIT), {0, NULL}, 0};
    LDAPControl *ctrls[] = {&manage, NULL};
    int rc = ldap_delete_ext_s(ld, dn, ctrls, NULL);
    if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
        fail_msg("delete %s: %s", dn, ldap_err2string(rc));
}

static char last_record[AK_RECORD_MAX + 1];

const char *akt_last_record(void)
{
    return last_record;
}

const char *akt_time(char buf[AK_TIME_LEN + 1], time_t t)
{
    assert_int_equal(ak_time_format(t, buf), AK_OK);
    return buf;
}

void akt_add_key(LDAP *ld, const char *dn, const struct akt_key_opts *o,
                 char key[AK_KEY_MAX_LEN + 1])
{
    static const struct akt_key_opts none;
    struct ak_record r;
    struct ak_key k;
    char ts[AK_TIME_LEN + 1], revoked[AK_TIME_LEN + 1];
    const char *rv[2] = {last_record, NULL};
    const char *iv[2] = {NULL, NULL};
    int rc;

    if (o == NULL)
        o = &none;
    memset(&r, 0, sizeof(r));
    assert_int_equal(ak_key_generate("ak", key, AK_KEY_MAX_LEN + 1, &k), AK_OK);
    memcpy(r.id, k.id, sizeof(r.id));
    r.created = o->created ? o->created : time(NULL);
    ak_hash_new_salt(r.salt);
    assert_int_equal(ak_hash_compute(r.digest, key, strlen(key), r.salt),
                     AK_OK);
    assert_int_equal(ak_record_format(&r, last_record, sizeof(last_record)),
                     AK_OK);
    /* Substitute the expiry/revocation/scope text as given, so tests can
     * plant values the formatter would never write. */
    {
        char *e = strstr(last_record, " expires=never");
        const char *exp = o->expires;
        char tail[AK_RECORD_MAX + 1] = "";
        if (exp == NULL)
            exp = akt_time(ts, time(NULL) + 365 * 86400);
        assert_non_null(e);
        *e = '\0';
        snprintf(tail, sizeof(tail), " expires=%s%s%s%s%s", exp,
                 o->revoked ? " revoked=" : "",
                 o->revoked ? akt_time(revoked, r.created) : "",
                 o->scope ? " scope=" : "", o->scope ? o->scope : "");
        assert_true(strlen(last_record) + strlen(tail) < sizeof(last_record));
        memcpy(last_record + strlen(last_record), tail, strlen(tail) + 1);
    }
    iv[0] = r.id;
    rc = akt_modify(ld, dn, LDAP_MOD_ADD, AK_AT_RECORD, rv);
    if (rc != LDAP_SUCCESS)
        fail_msg("add record to %s: %s", dn, ldap_err2string(rc));
    rc = akt_modify(ld, dn, LDAP_MOD_ADD, AK_AT_ID, iv);
    if (rc != LDAP_SUCCESS)
        fail_msg("add id to %s: %s", dn, ldap_err2string(rc));
}

void akt_wrong_secret(char key[AK_KEY_MAX_LEN + 1])
{
    size_t n = strlen(key);
    size_t i = n - AK_KEY_CHECK_LEN - 1;
    unsigned long crc;
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

    key[i] = key[i] == 'a' ? 'b' : 'a';
    crc = ak_crc32(key, n - AK_KEY_CHECK_LEN);
    for (int k = 0; k < AK_KEY_CHECK_LEN; k++)
        key[n - AK_KEY_CHECK_LEN + (size_t)k] =
            b32[(crc >> (5 * (AK_KEY_CHECK_LEN - 1 - k))) & 31u];
    assert_int_equal(ak_key_parse(key, n, NULL, NULL), AK_OK);
}

void akt_clear_keys(LDAP *ld, const char *dn)
{
    akt_modify(ld, dn, LDAP_MOD_DELETE, AK_AT_RECORD, NULL);
    akt_modify(ld, dn, LDAP_MOD_DELETE, AK_AT_ID, NULL);
    akt_modify(ld, dn, LDAP_MOD_DELETE, AK_AT_EXPIRES, NULL);
}

static bool has_key(const char *extra, const char *key)
{
    char pat[64];
    size_t n;
    if (extra == NULL)
        return false;
    snprintf(pat, sizeof(pat), "%s ", key);
    n = strlen(pat);
    if (strncmp(extra, pat, n) == 0)
        return true;
    snprintf(pat, sizeof(pat), "\n%s ", key);
    return strstr(extra, pat) != NULL;
}

const char *akt_config(const char *name, const char *uris, const char *extra)
{
    static char path[512];
    const char *dir = akt_env("AK_TEST_DIR");
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "uri %s\n", uris ? uris : akt_env("AK_TEST_URI"));
    fprintf(f, "user_base " AKT_PEOPLE "\n");
    fprintf(f, "service_base " AKT_SERVICES "\n");
    if (!has_key(extra, "bind_dn") && !has_key(extra, "sasl_mech"))
        fprintf(f,
                "bind_dn cn=verifier,ou=system,dc=example,dc=org\n"
                "bind_pw_file %s/verifier.pw\n",
                dir);
    if (!has_key(extra, "policy_dn"))
        fprintf(f, "policy_dn " AKT_POLICY "\n");
    if (!has_key(extra, "network_timeout"))
        fprintf(f, "network_timeout 2\n");
    if (!has_key(extra, "timeout"))
        fprintf(f, "timeout 2\n");
    if (extra != NULL)
        fprintf(f, "%s\n", extra);
    fclose(f);
    chmod(path, 0644);
    return path;
}

void akt_verifier_open(struct akt_verifier *v, const char *conf_path)
{
    int rc;
    memset(v, 0, sizeof(*v));
    rc = ak_config_load(&v->cfg, conf_path, &akt_log);
    if (rc != AK_OK)
        fail_msg("config %s: %s\n%s", conf_path, ak_strerror(rc), akt_logbuf);
    rc = ak_dir_open(&v->dir, v->cfg, &akt_log);
    if (rc != AK_OK)
        fail_msg("dir: %s\n%s", ak_strerror(rc), akt_logbuf);
}

void akt_verifier_close(struct akt_verifier *v)
{
    ak_dir_close(v->dir);
    ak_config_free(v->cfg);
    memset(v, 0, sizeof(*v));
}

enum ak_outcome akt_verify_len(struct akt_verifier *v, const char *user,
                               size_t user_len, const char *key, size_t key_len,
                               const char *service, time_t now,
                               struct ak_verify_result *res)
{
    struct ak_verify_request req = {
        .user = user,
        .user_len = user_len,
        .key = key,
        .key_len = key_len,
        .service = service,
    };
    return ak_verify(v->dir, &req, now, &akt_log, res);
}

enum ak_outcome akt_verify(struct akt_verifier *v, const char *user,
                           const char *key, const char *service, time_t now)
{
    struct ak_verify_result res;
    enum ak_outcome o;
    o = akt_verify_len(v, user, user ? strlen(user) : 0, key,
                       key ? strlen(key) : 0, service, now, &res);
    ak_verify_result_clear(&res);
    return o;
}

long akt_slapd_log_size(const char *log_path)
{
    struct stat st;
    if (stat(log_path, &st) != 0)
        return 0;
    return (long)st.st_size;
}

char *akt_slapd_log_since(const char *log_path, long off)
{
    FILE *f = fopen(log_path, "r");
    long end;
    char *buf;
    size_t n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    end = ftell(f);
    if (off > end)
        off = end;
    buf = calloc(1, (size_t)(end - off) + 1);
    assert_non_null(buf);
    fseek(f, off, SEEK_SET);
    n = fread(buf, 1, (size_t)(end - off), f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int akt_slapd_log_count(const char *log_path, long off, const char *needle)
{
    char *text;
    int n = 0;

    usleep(50000); /* slapd writes its stats line after answering */
    text = akt_slapd_log_since(log_path, off);
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(text);
    return n;
}

static pid_t slapd_pid(void)
{
    char path[512], line[256];
    FILE *f;
    pid_t pid = 0;

    snprintf(path, sizeof(path), "%s/env", akt_env("AK_TEST_DIR"));
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "AK_TEST_PID=", 12) == 0)
            pid = (pid_t)atol(line + 12);
    fclose(f);
    assert_true(pid > 0);
    return pid;
}

static bool all_threads_stopped(pid_t pid)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    bool stopped = true;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (d == NULL)
        return false;
    while (stopped && (e = readdir(d)) != NULL) {
        char stat[400], buf[512], *p;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(stat, sizeof(stat), "%s/%s/stat", path, e->d_name);
        f = fopen(stat, "r");
        if (f == NULL)
            continue; /* thread gone */
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        /* "pid (comm) S ...": the state follows the last ')' */
        if (p == NULL || p[1] != ' ' || (p[2] != 'T' && p[2] != 't'))
            stopped = false;
    }
    closedir(d);
    return stopped;
}

void akt_stop_pid(pid_t pid)
{
    assert_int_equal(kill(pid, SIGSTOP), 0);
    for (int i = 0; i < 500 && !all_threads_stopped(pid); i++)
        usleep(2000);
    assert_true(all_threads_stopped(pid));
}

void akt_slapd_stop(void)
{
    akt_stop_pid(slapd_pid());
}

void akt_slapd_cont(void)
{
    assert_int_equal(kill(slapd_pid(), SIGCONT), 0);
}

void akt_slapd_restart(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s restart %s", akt_env("AK_TEST_HARNESS"),
             akt_env("AK_TEST_DIR"));
    assert_int_equal(system(cmd), 0);
}
