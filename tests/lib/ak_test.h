/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test.h - helpers for integration tests against the throwaway slapd */
#ifndef AK_TEST_H
#define AK_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <ldap.h>

#include "ak_config.h"
#include "ak_key.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_status.h"
#include "ak_time.h"
#include "ak_verify.h"

#define AKT_PEOPLE "ou=people,dc=example,dc=org"
#define AKT_SERVICES "ou=services,dc=example,dc=org"
#define AKT_POLICY "cn=apikey-policy,ou=policies,dc=example,dc=org"
#define AKT_DN(uid) "uid=" uid "," AKT_PEOPLE
#define AKT_SVC_DN(uid) "uid=" uid "," AKT_SERVICES

/* Value of an AK_TEST_* variable set by with-slapd.sh; exits 77 (skip)
 * when the harness did not run. */
const char *akt_env(const char *name);

/* A fresh rootdn connection over ldap:// (LDAPNOINIT style options). */
LDAP *akt_admin(void);

/* Run a modify as rootdn; aborts the test on failure unless allowed. */
int akt_modify(LDAP *ld, const char *dn, int op, const char *attr,
               const char *const *values);
/* The same with the relax control: past the directory's bounds (which
 * slapo-constraint lets relax skip), as an import, or a directory without
 * the bounds (389-ds, AD), could write. */
int akt_modify_relaxed(LDAP *ld, const char *dn, int op, const char *attr,
                       const char *const *values);
/* Replace attr with one value (NULL: delete the attribute). */
void akt_set(LDAP *ld, const char *dn, const char *attr, const char *value);
void akt_add_entry(LDAP *ld, const char *dn, const char *const *oc,
                   const char *attr, const char *value);
void akt_delete_entry(LDAP *ld, const char *dn);

/* t as a record time (GeneralizedTime in UTC) in buf; returns buf. For
 * times computed from the clock: akt_time(buf, time(NULL) - 86400). */
const char *akt_time(char buf[AK_TIME_LEN + 1], time_t t);

struct akt_key_opts {
    time_t created;      /* 0: now */
    const char *expires; /* "never", a record time, or NULL: now + 1 year */
    bool revoked;        /* revoked when it was created */
    const char *scope;   /* "sshd,smtp" or NULL */
};

/* Generate a key, store its record and id on dn, return the key in key. */
void akt_add_key(LDAP *ld, const char *dn, const struct akt_key_opts *o,
                 char key[AK_KEY_MAX_LEN + 1]);
/* The record text that akt_add_key stored last. */
const char *akt_last_record(void);
/* Replace the secret of key (keeps id, fixes the checksum): a wrong key
 * that parses. */
void akt_wrong_secret(char key[AK_KEY_MAX_LEN + 1]);
/* Remove every key attribute from dn. */
void akt_clear_keys(LDAP *ld, const char *dn);

/*
 * Write a verifier config into the work dir and return its path. uris
 * replaces the URI line (NULL: the harness's), extra lines are appended;
 * base lines whose key appears in extra are left out.
 */
const char *akt_config(const char *name, const char *uris, const char *extra);

/* Captured log lines of the verifier (all priorities, debug off). */
extern char akt_logbuf[1 << 16];
extern const struct ak_log akt_log;
void akt_log_reset(void);

struct akt_verifier {
    struct ak_config *cfg;
    struct ak_dir *dir;
};
void akt_verifier_open(struct akt_verifier *v, const char *conf_path);
void akt_verifier_close(struct akt_verifier *v);

/* Verify with user (NULL: no user) and key (C strings), at now (0: now). */
enum ak_outcome akt_verify(struct akt_verifier *v, const char *user,
                           const char *key, const char *service, time_t now);
enum ak_outcome akt_verify_len(struct akt_verifier *v, const char *user,
                               size_t user_len, const char *key, size_t key_len,
                               const char *service, time_t now,
                               struct ak_verify_result *res);

/* slapd's stats log: current size, and occurrences of needle after off. */
long akt_slapd_log_size(const char *log_path);
int akt_slapd_log_count(const char *log_path, long off, const char *needle);
/* The log text after off (malloc). */
char *akt_slapd_log_since(const char *log_path, long off);

/* True when the test runs under valgrind (meson test --setup valgrind):
 * latency comparisons are then meaningless and are skipped. */
bool akt_under_valgrind(void);

/* A TCP port on 127.0.0.1 where nothing listens (bound, then closed):
 * a connection is refused at once. */
int akt_closed_port(void);

/* A silent server on 127.0.0.1: a listener whose accept queue is full.
 * Further SYNs are dropped, so a connect to port hangs as towards a host
 * that never answers, and no packet leaves the machine. */
struct akt_blackhole {
    int port;
    int lfd;
    int fds[4]; /* the connections that fill the queue */
};
void akt_blackhole_open(struct akt_blackhole *b);
void akt_blackhole_close(struct akt_blackhole *b);

/* Monotonic seconds, for time bounds. */
double akt_now(void);

/* SIGSTOP pid and return once every one of its threads is stopped:
 * kill() only queues the signal, and a loaded machine may let slapd
 * answer one more request before it takes effect. */
void akt_stop_pid(pid_t pid);

/* Pause / resume the slapd (SIGSTOP / SIGCONT). */
void akt_slapd_stop(void);
void akt_slapd_cont(void);
/* Restart slapd on the same port and database. */
void akt_slapd_restart(void);

#endif
