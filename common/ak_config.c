/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_config.c - parse and check apikey.conf from one table of keys */
#include "ak_config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "ak_build.h"
#include "ak_dn.h"
#include "ak_key.h"
#include "ak_secure.h"
#include "ak_status.h"
#include "ak_text.h"

enum opt_type {
    T_URI,       /* one or more LDAP URIs, repeatable */
    T_DN,        /* an LDAPv3 DN */
    T_FILTER,    /* a parenthesised LDAP filter */
    T_ATTR,      /* an attribute type name */
    T_PATH,      /* an absolute file path */
    T_UINT,      /* unsigned integer within [min, max] */
    T_BOOL,      /* yes/no; a bare key means yes */
    T_REQCERT,   /* never|allow|try|demand|hard */
    T_PREFIX,    /* key prefix */
    T_MECH,      /* SASL mechanism for the service bind */
    T_NAMEMATCH, /* exact|ascii-case, into a bool (true: ascii-case) */
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t offset;
    unsigned min, max;
};

#define OFF(f) offsetof(struct ak_config, f)

/* The one key table: parser, dump and apikey.conf(5) follow it. */
static const struct opt opts[] = {
    {"uri", T_URI, OFF(uri), 0, 0},
    {"user_base", T_DN, OFF(user_base), 0, 0},
    {"service_base", T_DN, OFF(service_base), 0, 0},
    {"user_filter", T_FILTER, OFF(user_filter), 0, 0},
    {"service_filter", T_FILTER, OFF(service_filter), 0, 0},
    {"user_attr", T_ATTR, OFF(user_attr), 0, 0},
    {"user_name_match", T_NAMEMATCH, OFF(user_name_ascii_case), 0, 0},
    {"bind_dn", T_DN, OFF(bind_dn), 0, 0},
    {"bind_pw_file", T_PATH, OFF(bind_pw_file), 0, 0},
    {"sasl_mech", T_MECH, OFF(sasl_mech), 0, 0},
    {"tls_cacert", T_PATH, OFF(tls_cacert), 0, 0},
    {"tls_cacertdir", T_PATH, OFF(tls_cacertdir), 0, 0},
    {"tls_cert", T_PATH, OFF(tls_cert), 0, 0},
    {"tls_key", T_PATH, OFF(tls_key), 0, 0},
    {"tls_reqcert", T_REQCERT, OFF(tls_reqcert), 0, 0},
    {"start_tls", T_BOOL, OFF(start_tls), 0, 0},
    {"network_timeout", T_UINT, OFF(network_timeout), 1, 300},
    {"timeout", T_UINT, OFF(timeout), 1, 300},
    {"pool_size", T_UINT, OFF(pool_size), 1, 64},
    {"key_prefix", T_PREFIX, OFF(key_prefix), 0, 0},
    {"policy_dn", T_DN, OFF(policy_dn), 0, 0},
    {"debug", T_BOOL, OFF(debug), 0, 0},
    {"track_last_use", T_BOOL, OFF(track_last_use), 0, 0},
    {"last_use_interval", T_UINT, OFF(last_use_interval), 1, 1440},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const char *const reqcert_names[] = {"never", "allow", "try", "demand",
                                            "hard"};

const char *ak_tls_reqcert_name(enum ak_tls_reqcert v)
{
    if ((unsigned)v < sizeof(reqcert_names) / sizeof(reqcert_names[0]))
        return reqcert_names[v];
    return "?";
}

struct parser {
    struct ak_config *cfg;
    const struct ak_log *log;
    const char *name;
    unsigned line;
    unsigned seen[N_OPTS];
    int rc;
};

__attribute__((format(printf, 2, 3))) static void perr(struct parser *p,
                                                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->line > 0)
        ak_log(p->log, LOG_ERR, "%s:%u: %s", p->name, p->line, msg);
    else
        ak_log(p->log, LOG_ERR, "%s: %s", p->name, msg);
    if (p->rc == AK_OK)
        p->rc = AK_ERR_CONFIG;
}

static char **str_field(struct ak_config *cfg, const struct opt *o)
{
    return (char **)(void *)((char *)cfg + o->offset);
}

static bool set_str(struct parser *p, const struct opt *o, const char *v)
{
    char **f = str_field(p->cfg, o);
    char *copy = strdup(v);

    if (copy == NULL) {
        p->rc = AK_ERR_NOMEM;
        return false;
    }
    free(*f);
    *f = copy;
    return true;
}

static bool filter_ok(const char *v)
{
    size_t n = strlen(v);
    int depth = 0;

    if (n < 3 || v[0] != '(' || v[n - 1] != ')')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '(')
            depth++;
        else if (v[i] == ')' && --depth < 0)
            return false;
        if (depth == 0 && i + 1 < n)
            return false; /* two filters side by side */
    }
    return depth == 0;
}

static bool attr_ok(const char *v)
{
    if (!isalpha((unsigned char)v[0]))
        return false;
    for (const char *c = v; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-')
            return false;
    return strlen(v) <= 64;
}

static bool uri_ok(struct parser *p, const char *u)
{
    LDAPURLDesc *d = NULL;
    bool ok;

    if (ldap_url_parse(u, &d) != LDAP_URL_SUCCESS) {
        perr(p, "uri '%s' is not an LDAP URI", u);
        return false;
    }
    ok = d->lud_scheme != NULL && (strcasecmp(d->lud_scheme, "ldap") == 0 ||
                                   strcasecmp(d->lud_scheme, "ldaps") == 0 ||
                                   strcasecmp(d->lud_scheme, "ldapi") == 0);
    if (!ok)
        perr(p, "uri '%s': scheme must be ldap, ldaps or ldapi", u);
    else if ((d->lud_dn && d->lud_dn[0]) || d->lud_attrs || d->lud_filter ||
             d->lud_exts) {
        perr(p, "uri '%s': give only scheme, host and port", u);
        ok = false;
    }
    ldap_free_urldesc(d);
    return ok;
}

static void add_uris(struct parser *p, const char *v)
{
    char buf[AK_CONFIG_LINE_MAX + 1];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", v);
    for (char *u = strtok_r(buf, " \t", &save); u != NULL;
         u = strtok_r(NULL, " \t", &save)) {
        if (p->cfg->n_uri >= AK_URI_MAX) {
            perr(p, "more than %d URIs", AK_URI_MAX);
            return;
        }
        if (!uri_ok(p, u))
            return;
        p->cfg->uri[p->cfg->n_uri] = strdup(u);
        if (p->cfg->uri[p->cfg->n_uri] == NULL) {
            p->rc = AK_ERR_NOMEM;
            return;
        }
        p->cfg->n_uri++;
    }
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static void set_opt(struct parser *p, const struct opt *o, const char *v)
{
    struct ak_config *cfg = p->cfg;
    void *f = (char *)cfg + o->offset;

    if (v[0] == '\0' && o->type != T_BOOL) {
        perr(p, "%s needs a value", o->name);
        return;
    }
    switch (o->type) {
    case T_URI:
        add_uris(p, v);
        break;
    case T_DN:
        if (!ak_dn_valid(v))
            perr(p, "%s '%s' is not a valid DN", o->name, v);
        else
            set_str(p, o, v);
        break;
    case T_FILTER:
        if (!filter_ok(v))
            perr(p, "%s '%s' is not a parenthesised LDAP filter", o->name, v);
        else
            set_str(p, o, v);
        break;
    case T_ATTR:
        if (!attr_ok(v))
            perr(p, "%s '%s' is not an attribute name", o->name, v);
        else
            set_str(p, o, v);
        break;
    case T_PATH:
        if (v[0] != '/')
            perr(p, "%s '%s' must be an absolute path", o->name, v);
        else
            set_str(p, o, v);
        break;
    case T_UINT: {
        char *end = NULL;
        unsigned long n;
        if (!isdigit((unsigned char)v[0]))
            goto bad_uint;
        n = strtoul(v, &end, 10);
        if (*end != '\0' || n < o->min || n > o->max)
            goto bad_uint;
        *(unsigned *)f = (unsigned)n;
        break;
    bad_uint:
        perr(p, "%s '%s' must be an integer from %u to %u", o->name, v, o->min,
             o->max);
        break;
    }
    case T_BOOL:
        if (v[0] == '\0')
            *(bool *)f = true;
        else if (!parse_bool(v, (bool *)f))
            perr(p, "%s '%s' must be yes or no", o->name, v);
        break;
    case T_REQCERT: {
        size_t i, n = sizeof(reqcert_names) / sizeof(reqcert_names[0]);
        for (i = 0; i < n; i++)
            if (strcmp(v, reqcert_names[i]) == 0)
                break;
        if (i == n)
            perr(p,
                 "tls_reqcert '%s' must be never, allow, try, demand or "
                 "hard",
                 v);
        else
            *(enum ak_tls_reqcert *)f = (enum ak_tls_reqcert)i;
        break;
    }
    case T_PREFIX:
        if (!ak_key_prefix_valid(v))
            perr(p,
                 "key_prefix '%s' must be 1-10 of a-z 0-9, starting "
                 "with a letter",
                 v);
        else
            set_str(p, o, v);
        break;
    case T_NAMEMATCH:
        if (strcmp(v, "exact") == 0)
            *(bool *)f = false;
        else if (strcmp(v, "ascii-case") == 0)
            *(bool *)f = true;
        else
            perr(p, "user_name_match '%s' must be exact or ascii-case", v);
        break;
    case T_MECH:
        if (strcmp(v, "EXTERNAL") != 0)
            perr(p, "sasl_mech '%s': only EXTERNAL is supported", v);
        else
            set_str(p, o, v);
        break;
    }
}

static void parse_line(struct parser *p, char *s, size_t len)
{
    const struct opt *o = NULL;
    char *key, *val, *end;

    if (!ak_utf8_valid(s, len)) {
        perr(p, "not valid UTF-8");
        return;
    }
    s[len] = '\0';
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
            perr(p, "control character in line");
            return;
        }
    key = s + strspn(s, " \t");
    if (*key == '\0' || *key == '#')
        return;
    end = key + strcspn(key, " \t");
    val = end + strspn(end, " \t");
    *end = '\0';
    for (size_t i = 0; i < N_OPTS; i++)
        if (strcmp(key, opts[i].name) == 0)
            o = &opts[i];
    if (o == NULL) {
        perr(p, "unknown option '%s'", key);
        return;
    }
    if (o->type != T_URI && p->seen[o - opts] != 0) {
        perr(p, "%s given twice (first on line %u)", key, p->seen[o - opts]);
        return;
    }
    p->seen[o - opts] = p->line;
    set_opt(p, o, val);
}

static int set_defaults(struct ak_config *cfg)
{
    cfg->user_filter = strdup("(objectClass=posixAccount)");
    cfg->service_filter = strdup("(objectClass=apiKeyServiceUser)");
    cfg->user_attr = strdup("uid");
    cfg->key_prefix = strdup(AK_KEY_DEFAULT_PREFIX);
    cfg->tls_reqcert = AK_TLS_DEMAND;
    cfg->network_timeout = 5;
    cfg->timeout = 8;
    cfg->pool_size = 8;
    cfg->last_use_interval = 15;
    if (!cfg->user_filter || !cfg->service_filter || !cfg->user_attr ||
        !cfg->key_prefix)
        return AK_ERR_NOMEM;
    return AK_OK;
}

/* Cross-field rules, run once the whole file is read. */
static void check(struct parser *p)
{
    struct ak_config *cfg = p->cfg;
    int rc;

    p->line = 0;
    if (cfg->n_uri == 0)
        perr(p, "no uri given");
    if (cfg->user_base == NULL)
        perr(p, "no user_base given");
    if (cfg->bind_dn != NULL && cfg->bind_pw_file == NULL)
        perr(p, "bind_dn needs bind_pw_file");
    if (cfg->bind_pw_file != NULL && cfg->bind_dn == NULL)
        perr(p, "bind_pw_file needs bind_dn");
    if (cfg->bind_dn != NULL && cfg->sasl_mech != NULL)
        perr(p, "give either bind_dn or sasl_mech, not both");
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
        perr(p, "tls_cert and tls_key go together");
    if (p->rc != AK_OK)
        return;
    if (cfg->service_base == NULL) {
        cfg->service_base = strdup(cfg->user_base);
        if (cfg->service_base == NULL) {
            p->rc = AK_ERR_NOMEM;
            return;
        }
    }
    rc = ak_dn_common_ancestor(cfg->user_base, cfg->service_base,
                               &cfg->search_base);
    if (rc == AK_ERR_NOT_FOUND)
        perr(p, "user_base and service_base share no suffix; they must lie "
                "in one directory tree");
    else if (rc != AK_OK)
        p->rc = rc;
    if (p->rc != AK_OK)
        return;
    if (ak_dn_parse(cfg->user_base, &cfg->user_base_dn) != AK_OK ||
        ak_dn_parse(cfg->service_base, &cfg->service_base_dn) != AK_OK ||
        (cfg->policy_dn != NULL &&
         ak_dn_parse(cfg->policy_dn, &cfg->policy_dnp) != AK_OK)) {
        p->rc = AK_ERR_NOMEM; /* all were validated already */
        return;
    }
    cfg->policy_in_search = cfg->policy_dn != NULL &&
                            ak_dn_is_under(cfg->policy_dn, cfg->search_base);
    if (cfg->tls_reqcert < AK_TLS_DEMAND)
        ak_log(p->log, LOG_WARNING,
               "%s: tls_reqcert %s: server certificates are not enforced",
               p->name, ak_tls_reqcert_name(cfg->tls_reqcert));
}

int ak_config_parse(struct ak_config **out, const char *buf, size_t len,
                    const char *name, const struct ak_log *log)
{
    struct parser p = {.log = log, .name = name ? name : "(config)"};
    char *line = NULL;
    size_t i = 0;

    p.cfg = calloc(1, sizeof(*p.cfg));
    line = malloc(AK_CONFIG_LINE_MAX + 2);
    if (p.cfg == NULL || line == NULL) {
        p.rc = AK_ERR_NOMEM;
        goto out;
    }
    p.cfg->path = strdup(p.name);
    if (p.cfg->path == NULL || set_defaults(p.cfg) != AK_OK) {
        p.rc = AK_ERR_NOMEM;
        goto out;
    }
    if (len > AK_CONFIG_FILE_MAX) {
        perr(&p, "larger than %d bytes", AK_CONFIG_FILE_MAX);
        goto out;
    }
    while (i < len && p.rc != AK_ERR_NOMEM) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        p.line++;
        if (memchr(buf + i, '\0', n) != NULL) {
            perr(&p, "NUL byte in line");
        } else if (n > AK_CONFIG_LINE_MAX) {
            perr(&p, "line longer than %d bytes", AK_CONFIG_LINE_MAX);
        } else {
            memcpy(line, buf + i, n);
            parse_line(&p, line, n);
        }
        i += n + 1;
    }
    if (p.rc == AK_OK)
        check(&p);
out:
    free(line);
    if (p.rc != AK_OK) {
        ak_config_free(p.cfg);
        return p.rc;
    }
    *out = p.cfg;
    return AK_OK;
}

int ak_config_load(struct ak_config **out, const char *path,
                   const struct ak_log *log)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (path == NULL)
        path = AK_DEFAULT_CONF;
    rc =
        ak_file_read(path, AK_FILE_CONFIG, AK_CONFIG_FILE_MAX, log, &buf, &len);
    if (rc != AK_OK)
        return rc;
    rc = ak_config_parse(out, buf, len, path, log);
    ak_file_free(buf, len, AK_FILE_CONFIG);
    return rc;
}

void ak_config_free(struct ak_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < N_OPTS; i++) {
        switch (opts[i].type) {
        case T_DN:
        case T_FILTER:
        case T_ATTR:
        case T_PATH:
        case T_PREFIX:
        case T_MECH:
            free(*str_field(cfg, &opts[i]));
            break;
        default:
            break;
        }
    }
    for (unsigned i = 0; i < cfg->n_uri; i++)
        free(cfg->uri[i]);
    free(cfg->search_base);
    ak_dn_free(cfg->user_base_dn);
    ak_dn_free(cfg->service_base_dn);
    ak_dn_free(cfg->policy_dnp);
    free(cfg->path);
    free(cfg);
}

void ak_config_dump(const struct ak_config *cfg,
                    void (*emit)(void *ctx, const char *line), void *ctx)
{
    char line[AK_CONFIG_LINE_MAX + 64];

    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        const void *f = (const char *)cfg + o->offset;
        switch (o->type) {
        case T_URI:
            for (unsigned k = 0; k < cfg->n_uri; k++) {
                snprintf(line, sizeof(line), "uri %s", cfg->uri[k]);
                emit(ctx, line);
            }
            continue;
        case T_UINT:
            snprintf(line, sizeof(line), "%s %u", o->name,
                     *(const unsigned *)f);
            break;
        case T_BOOL:
            snprintf(line, sizeof(line), "%s %s", o->name,
                     *(const bool *)f ? "yes" : "no");
            break;
        case T_REQCERT:
            snprintf(line, sizeof(line), "%s %s", o->name,
                     ak_tls_reqcert_name(*(const enum ak_tls_reqcert *)f));
            break;
        case T_NAMEMATCH:
            snprintf(line, sizeof(line), "%s %s", o->name,
                     *(const bool *)f ? "ascii-case" : "exact");
            break;
        default: {
            const char *s = *(char *const *)f;
            if (s == NULL)
                snprintf(line, sizeof(line), "# %s (unset)", o->name);
            else
                snprintf(line, sizeof(line), "%s %s", o->name, s);
            break;
        }
        }
        emit(ctx, line);
    }
}
