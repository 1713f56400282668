/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_test_sasl.h - an in-process libsasl2 client and server for the
 * sasl_apikey tests and benchmark */
#ifndef AK_TEST_SASL_H
#define AK_TEST_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include <sasl/sasl.h>

/*
 * Install a counting allocator (sasl_set_alloc, R-03) and pthread mutexes
 * (sasl_set_mutex, as slapd does). Call once, before akts_init.
 */
void akts_install_allocator(void);
/* Blocks libsasl2 allocated and has not freed yet. */
long akts_alloc_balance(void);

/*
 * sasl_server_init + sasl_client_init, with SASL_CB_GETPATH answering
 * plugin_dir (our build dir, never the system's plug-ins), SASL_CB_GETOPT
 * answering apikey_conf with akts_set_conf's path, and SASL_CB_LOG
 * capturing every line (see akts_log). Aborts the test on failure.
 */
void akts_init(const char *plugin_dir);
/* sasl_server_done + sasl_client_done. */
void akts_done(void);

/* What SASL_CB_GETOPT answers for apikey_conf (NULL: no answer). The
 * string must stay valid while exchanges run. */
void akts_set_conf(const char *path);

/* Every log line (and errdetail recorded by akts_exchange), one per line,
 * "<level>: <text>". Thread-safe. */
void akts_log_reset(void);
/* A malloc'd copy of the captured text. */
char *akts_log_copy(void);
/* Also print each line to stderr (debugging a test). */
void akts_log_echo(bool on);
/* Drop every line (the benchmark: a host's log costs are not ours). */
void akts_log_discard(bool on);

/* Which proxy (authorization) policy the server connection gets. */
enum akts_proxy {
    AKTS_PROXY_DEFAULT, /* libsasl2's: authzid must equal the authid,
                           else SASL_BADAUTH */
    AKTS_PROXY_STRICT,  /* a host's (as slapd's): else SASL_NOAUTHZ */
    AKTS_PROXY_ALLOW,   /* anyone may act as anyone */
};

struct akts_req {
    const char *mech;    /* "APIKEY", "OAUTHBEARER", "XOAUTH2" */
    const char *authcid; /* SASL_CB_AUTHNAME; NULL answers "" */
    const char *authzid; /* SASL_CB_USER; NULL answers "" */
    const char *key;     /* SASL_CB_PASS */
    size_t key_len;      /* 0: strlen(key) */
    const char *service; /* server's service name; NULL: "smtp" */
    enum akts_proxy proxy;
};

struct akts_res {
    int rc;          /* the server's last result */
    int client_rc;   /* the client's last result */
    int round_trips; /* server steps after the start */
    char user[256];  /* SASL_USERNAME on success */
    char authid[256];
    char detail[512];    /* sasl_errdetail of the server on failure */
    char challenge[256]; /* the last non-empty server challenge */
    size_t challenge_len;
};

/* Run one whole exchange between a fresh client and server connection. */
int akts_exchange(const struct akts_req *rq, struct akts_res *rs);

/* A server connection for hand-made messages (service NULL: "smtp"). */
sasl_conn_t *akts_server_new(const char *service, enum akts_proxy proxy);

/* Append sasl_errdetail(conn) to the captured log (S-01 checks it). */
void akts_record_detail(sasl_conn_t *conn);

#endif
