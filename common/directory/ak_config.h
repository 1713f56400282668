/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_config.h - apikey.conf, the one configuration of every component */
#ifndef AK_CONFIG_H
#define AK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ak_dn.h"
#include "ak_log.h"

#define AK_URI_MAX 8
#define AK_CONFIG_FILE_MAX 65536
#define AK_CONFIG_LINE_MAX 4096

enum ak_tls_reqcert {
    AK_TLS_NEVER,
    AK_TLS_ALLOW,
    AK_TLS_TRY,
    AK_TLS_DEMAND,
    AK_TLS_HARD,
};

/*
 * Parsed configuration. Every field is filled: defaults first, then the
 * file. Strings are owned by the struct (malloc), NULL when unset.
 * See apikey.conf(5) for meaning, defaults and security notes.
 */
struct ak_config {
    char *path; /* the file it was read from, for messages */

    char *uri[AK_URI_MAX]; /* tried in order */
    unsigned n_uri;
    char *user_base;
    char *service_base; /* defaults to user_base */
    char *user_filter;
    char *service_filter;
    char *user_attr;
    /* user_name_match: a name authenticates only when it equals the
     * entry's user_attr value byte for byte (false, "exact"), or but for
     * the case of ASCII letters (true, "ascii-case"; SASL only: PAM always
     * needs the exact name). Never the directory's own matching rule. */
    bool user_name_ascii_case;

    char *bind_dn;
    char *bind_pw_file;
    char *sasl_mech; /* "EXTERNAL" or NULL */

    char *tls_cacert;
    char *tls_cacertdir;
    char *tls_cert;
    char *tls_key;
    enum ak_tls_reqcert tls_reqcert;
    bool start_tls;

    unsigned network_timeout; /* seconds, each TCP connect */
    unsigned timeout;         /* seconds, bind + search on one server */
    unsigned pool_size;       /* connections kept by long-running hosts */

    char *key_prefix;
    char *policy_dn;
    bool debug;
    /* The SASL plug-in also writes each accepted login to syslog
     * (authpriv.info), whatever the host's SASL log shows. */
    bool sasl_syslog;

    /* Last-use tracking (apiKeyLastUsed): off by default; when on, the
     * verifier writes a key's last use at most once per interval. */
    bool track_last_use;
    unsigned last_use_interval; /* minutes */

    /* The expiry daemon (apikey-expiryd(8)): its own bind (it may write
     * apiKeyNotice, which the verifier may not), where claims go, how
     * notices are delivered, and its limits. */
    char *notice_bind_dn;
    char *notice_bind_pw_file;
    char *notice_write_uri; /* a provider; NULL: the first uri */
    char *notice_from;
    char *notice_sendmail;    /* program and arguments, run without a shell */
    char *notify_command;     /* NULL: none */
    unsigned notice_timeout;  /* seconds per delivery */
    unsigned notice_interval; /* seconds between scans without syncrepl */
    unsigned notice_lease;    /* seconds before a claim may be taken */
    unsigned notice_expired_days; /* "expired" notices at most this late */
    unsigned notice_cleanup_days; /* housekeeping of apiKeyNotice; 0: off */
    unsigned key_cleanup_days;    /* housekeeping of ended keys; 0: off */
    unsigned notice_rate; /* messages per second at most, 0: unlimited */
    char *notice_state_dir;
    char *notice_template_dir; /* NULL: the built-in texts */

    /* Derived at load: where one search finds users and service users,
     * and the DNs the verifier compares entries with, parsed once. */
    char *search_base;
    struct ak_dn *user_base_dn;
    struct ak_dn *service_base_dn;
    struct ak_dn *policy_dnp; /* NULL without policy_dn */
    bool policy_in_search;    /* policy_dn lies under search_base */
};

/*
 * Read path (NULL: the compiled-in default) with ak_file_read()'s safety
 * rules, parse it and check it. On AK_OK *out owns a new config. Every
 * problem is logged at LOG_ERR as "<path>:<line>: <what>" and the first one
 * decides the return value (AK_ERR_CONFIG, AK_ERR_NOT_FOUND, AK_ERR_IO,
 * AK_ERR_NOMEM). There is no fallback to defaults on error.
 */
int ak_config_load(struct ak_config **out, const char *path,
                   const struct ak_log *log);

/*
 * Parse buf[0..len) as if it were the file name (used by the fuzzer and
 * unit tests; buf need not be NUL-terminated). Same contract as above.
 */
int ak_config_parse(struct ak_config **out, const char *buf, size_t len,
                    const char *name, const struct ak_log *log);

void ak_config_free(struct ak_config *cfg);

/* "demand", ... for messages and `apikey check-config`. */
const char *ak_tls_reqcert_name(enum ak_tls_reqcert v);

/*
 * Write every setting, one "key value" line each, through emit (for
 * `apikey check-config --dump`). Secrets never appear: only file paths.
 */
void ak_config_dump(const struct ak_config *cfg,
                    void (*emit)(void *ctx, const char *line), void *ctx);

/*
 * Write the key table, one "name<TAB>default<TAB>range" line per key in
 * the table's order: the default as the file would spell it, the range
 * "min-max" of an integer; "-" for none. For the test that holds
 * apikey.conf(5) to the table (tests/unit/test_manpage.sh).
 */
void ak_config_describe(void (*emit)(void *ctx, const char *line), void *ctx);

#endif
