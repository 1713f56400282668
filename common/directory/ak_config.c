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
#include "ak_mail.h"
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
    T_WURI,      /* one LDAP URI (scheme, host, port) */
    T_MAIL,      /* one mail address (ak_mail_ok) */
    T_COMMAND,   /* an absolute program path and its arguments, no shell */
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t offset;     /* of the field in struct ak_config */
    const char *def;   /* as the file would spell it; NULL: none */
    unsigned min, max; /* T_UINT only */
};

#define OFF(f) offsetof(struct ak_config, f)

/*
 * The one key table: name, type, field, default and limits. The parser,
 * the defaults, --dump and the check of apikey.conf(5) (tests/unit/
 * test_manpage.sh) all follow it. A default is a value in the file's own
 * spelling, applied through the same parser as the file (pam-u2f's one
 * parser), so a default can never be a value the file could not hold. No
 * default: required (uri, user_base), derived at load (service_base) or
 * simply unset.
 */
static const struct opt opts[] = {
    {"uri", T_URI, OFF(uri), NULL, 0, 0},
    {"user_base", T_DN, OFF(user_base), NULL, 0, 0},
    {"service_base", T_DN, OFF(service_base), NULL, 0, 0},
    {"user_filter", T_FILTER, OFF(user_filter), "(objectClass=posixAccount)", 0,
     0},
    {"service_filter", T_FILTER, OFF(service_filter),
     "(objectClass=apiKeyServiceUser)", 0, 0},
    {"user_attr", T_ATTR, OFF(user_attr), "uid", 0, 0},
    {"user_name_match", T_NAMEMATCH, OFF(user_name_ascii_case), "exact", 0, 0},
    {"bind_dn", T_DN, OFF(bind_dn), NULL, 0, 0},
    {"bind_pw_file", T_PATH, OFF(bind_pw_file), NULL, 0, 0},
    {"sasl_mech", T_MECH, OFF(sasl_mech), NULL, 0, 0},
    {"tls_cacert", T_PATH, OFF(tls_cacert), NULL, 0, 0},
    {"tls_cacertdir", T_PATH, OFF(tls_cacertdir), NULL, 0, 0},
    {"tls_cert", T_PATH, OFF(tls_cert), NULL, 0, 0},
    {"tls_key", T_PATH, OFF(tls_key), NULL, 0, 0},
    {"tls_reqcert", T_REQCERT, OFF(tls_reqcert), "demand", 0, 0},
    {"start_tls", T_BOOL, OFF(start_tls), "no", 0, 0},
    {"network_timeout", T_UINT, OFF(network_timeout), "5", 1, 300},
    {"timeout", T_UINT, OFF(timeout), "8", 1, 300},
    {"pool_size", T_UINT, OFF(pool_size), "8", 1, 64},
    {"key_prefix", T_PREFIX, OFF(key_prefix), AK_KEY_DEFAULT_PREFIX, 0, 0},
    {"policy_dn", T_DN, OFF(policy_dn), NULL, 0, 0},
    {"debug", T_BOOL, OFF(debug), "no", 0, 0},
    {"sasl_syslog", T_BOOL, OFF(sasl_syslog), "yes", 0, 0},
    {"track_last_use", T_BOOL, OFF(track_last_use), "no", 0, 0},
    {"last_use_interval", T_UINT, OFF(last_use_interval), "15", 1, 1440},
    /* apikey-expiryd(8) */
    {"notice_bind_dn", T_DN, OFF(notice_bind_dn), NULL, 0, 0},
    {"notice_bind_pw_file", T_PATH, OFF(notice_bind_pw_file), NULL, 0, 0},
    {"notice_write_uri", T_WURI, OFF(notice_write_uri), NULL, 0, 0},
    {"notice_from", T_MAIL, OFF(notice_from), NULL, 0, 0},
    {"notice_sendmail", T_COMMAND, OFF(notice_sendmail),
     "/usr/sbin/sendmail -t -oi", 0, 0},
    {"notify_command", T_COMMAND, OFF(notify_command), NULL, 0, 0},
    {"notice_timeout", T_UINT, OFF(notice_timeout), "60", 1, 600},
    {"notice_interval", T_UINT, OFF(notice_interval), "300", 5, 86400},
    {"notice_lease", T_UINT, OFF(notice_lease), "600", 30, 86400},
    {"notice_expired_days", T_UINT, OFF(notice_expired_days), "30", 0, 365},
    {"notice_cleanup_days", T_UINT, OFF(notice_cleanup_days), "0", 0, 3650},
    {"key_cleanup_days", T_UINT, OFF(key_cleanup_days), "30", 0, 3650},
    {"notice_rate", T_UINT, OFF(notice_rate), "0", 0, 1000},
    {"notice_state_dir", T_PATH, OFF(notice_state_dir),
     "/var/lib/apikey-expiryd", 0, 0},
    {"notice_template_dir", T_PATH, OFF(notice_template_dir), NULL, 0, 0},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const reqcert_names[] = {"never", "allow", "try", "demand",
                                            "hard"};

/* user_name_match, in the order of the bool it sets (false: exact). */
static const char *const namematch_names[] = {"exact", "ascii-case"};

const char *ak_tls_reqcert_name(enum ak_tls_reqcert v)
{
    if ((unsigned)v < N_OF(reqcert_names))
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

static bool path_ok(const char *v)
{
    return v[0] == '/';
}

/* One LDAP URI of the kinds uri takes: scheme, host and port only. */
static bool wuri_ok(const char *u)
{
    LDAPURLDesc *d = NULL;
    bool ok;

    if (ldap_url_parse(u, &d) != LDAP_URL_SUCCESS)
        return false;
    ok = d->lud_scheme != NULL &&
         (strcasecmp(d->lud_scheme, "ldap") == 0 ||
          strcasecmp(d->lud_scheme, "ldaps") == 0 ||
          strcasecmp(d->lud_scheme, "ldapi") == 0) &&
         !(d->lud_dn && d->lud_dn[0]) && d->lud_attrs == NULL &&
         d->lud_filter == NULL && d->lud_exts == NULL;
    ldap_free_urldesc(d);
    return ok;
}

/* A program run without a shell: an absolute path, then its arguments,
 * separated by spaces; printable ASCII only (no quoting to get wrong). */
static bool command_ok(const char *v)
{
    if (v[0] != '/')
        return false;
    for (const char *c = v; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    return strlen(v) <= 512;
}

static bool mech_ok(const char *v)
{
    return strcmp(v, "EXTERNAL") == 0;
}

/*
 * The string types: what a value must be, and the end of the message
 * "<key> '<value>'<why>" when it is not. Kept as a table so that each
 * type's rule and its message stand side by side.
 */
struct str_type {
    enum opt_type type;
    bool (*ok)(const char *v);
    const char *why;
};

static const struct str_type str_types[] = {
    {T_DN, ak_dn_valid, " is not a valid DN"},
    {T_FILTER, filter_ok, " is not a parenthesised LDAP filter"},
    {T_ATTR, attr_ok, " is not an attribute name"},
    {T_PATH, path_ok, " must be an absolute path"},
    {T_PREFIX, ak_key_prefix_valid,
     " must be 1-10 of a-z 0-9, starting with a letter"},
    {T_MECH, mech_ok, ": only EXTERNAL is supported"},
    {T_WURI, wuri_ok,
     " is not an LDAP URI of scheme ldap, ldaps or ldapi with host and port "
     "only"},
    {T_MAIL, ak_mail_ok, " is not a mail address"},
    {T_COMMAND, command_ok,
     " must be an absolute program path and arguments (printable ASCII, no "
     "shell)"},
};

/* The row of a string type; NULL for the types that are not strings. */
static const struct str_type *str_type(enum opt_type t)
{
    for (size_t i = 0; i < N_OF(str_types); i++)
        if (str_types[i].type == t)
            return &str_types[i];
    return NULL;
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

/* The index of v in names[0..n), or n when it is none of them. */
static size_t word_index(const char *v, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            break;
    return i;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    if (word_index(v, yes, N_OF(yes)) < N_OF(yes))
        *out = true;
    else if (word_index(v, no, N_OF(no)) < N_OF(no))
        *out = false;
    else
        return false;
    return true;
}

/* Digits only (strtoul alone would take "-1" and " 5"), then the range. */
static void set_uint(struct parser *p, const struct opt *o, const char *v,
                     unsigned *f)
{
    char *end = NULL;
    unsigned long n = 0;

    if (isdigit((unsigned char)v[0]))
        n = strtoul(v, &end, 10);
    if (end == NULL || *end != '\0' || n < o->min || n > o->max) {
        perr(p, "%s '%s' must be an integer from %u to %u", o->name, v, o->min,
             o->max);
        return;
    }
    *f = (unsigned)n;
}

/* The closed-word types: the value must be one word of a fixed list. */
static void set_word(struct parser *p, const struct opt *o, const char *v,
                     void *f)
{
    if (o->type == T_BOOL) {
        if (v[0] == '\0')
            *(bool *)f = true; /* a bare key switches it on */
        else if (!parse_bool(v, (bool *)f))
            perr(p, "%s '%s' must be yes or no", o->name, v);
    } else if (o->type == T_REQCERT) {
        size_t i = word_index(v, reqcert_names, N_OF(reqcert_names));
        if (i == N_OF(reqcert_names))
            perr(p,
                 "tls_reqcert '%s' must be never, allow, try, demand or "
                 "hard",
                 v);
        else
            *(enum ak_tls_reqcert *)f = (enum ak_tls_reqcert)i;
    } else { /* T_NAMEMATCH */
        size_t i = word_index(v, namematch_names, N_OF(namematch_names));
        if (i == N_OF(namematch_names))
            perr(p, "user_name_match '%s' must be exact or ascii-case", v);
        else
            *(bool *)f = i == 1;
    }
}

/* One value into its field, after the check its type asks for. */
static void set_opt(struct parser *p, const struct opt *o, const char *v)
{
    void *f = (char *)p->cfg + o->offset;
    const struct str_type *st = str_type(o->type);

    if (v[0] == '\0' && o->type != T_BOOL) {
        perr(p, "%s needs a value", o->name);
        return;
    }
    if (st != NULL) {
        if (!st->ok(v))
            perr(p, "%s '%s'%s", o->name, v, st->why);
        else
            set_str(p, o, v);
    } else if (o->type == T_URI) {
        add_uris(p, v);
    } else if (o->type == T_UINT) {
        set_uint(p, o, v, f);
    } else {
        set_word(p, o, v, f);
    }
}

/*
 * Make s[0..len) one clean NUL-terminated line without trailing blanks;
 * false (logged) for bytes no key or value may hold.
 */
static bool clean_line(struct parser *p, char *s, size_t len)
{
    if (!ak_utf8_valid(s, len)) {
        perr(p, "not valid UTF-8");
        return false;
    }
    s[len] = '\0';
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
            perr(p, "control character in line");
            return false;
        }
    return true;
}

static const struct opt *find_opt(const char *key)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strcmp(key, opts[i].name) == 0)
            return &opts[i];
    return NULL;
}

static void parse_line(struct parser *p, char *s, size_t len)
{
    const struct opt *o;
    char *key, *val, *end;

    if (!clean_line(p, s, len))
        return;
    key = s + strspn(s, " \t");
    if (*key == '\0' || *key == '#')
        return;
    end = key + strcspn(key, " \t");
    val = end + strspn(end, " \t");
    *end = '\0';
    o = find_opt(key);
    if (o == NULL) {
        perr(p, "unknown option '%s'", key);
        return;
    }
    /* uri adds to a list; any other key given twice is a mistake */
    if (o->type != T_URI && p->seen[o - opts] != 0) {
        perr(p, "%s given twice (first on line %u)", key, p->seen[o - opts]);
        return;
    }
    p->seen[o - opts] = p->line;
    set_opt(p, o, val);
}

/*
 * Every default from the table, through the file's own parser (line 0: a
 * failure would be a bad table row, logged without a line number). They
 * go in before the file is read and are not "seen", so the file may set
 * each key once.
 */
static void apply_defaults(struct parser *p)
{
    for (size_t i = 0; i < N_OPTS && p->rc == AK_OK; i++)
        if (opts[i].def != NULL)
            set_opt(p, &opts[i], opts[i].def);
}

/* Rules between keys, checked once the whole file is read. */
static void check_rules(struct parser *p)
{
    const struct ak_config *cfg = p->cfg;

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
}

/*
 * The settings derived from a valid file: service_base's default, the one
 * search base both bases lie under, and the DNs the verifier compares
 * entries with, parsed once here rather than at every verification.
 */
static void derive(struct parser *p)
{
    struct ak_config *cfg = p->cfg;
    int rc;

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
}

/* Cross-field rules and derived settings, run once the file is read. */
static void check(struct parser *p)
{
    check_rules(p);
    if (p->rc != AK_OK)
        return;
    derive(p);
    if (p->rc != AK_OK)
        return;
    /* Allowed, but said at every start so that it is not forgotten. */
    if (p->cfg->tls_reqcert < AK_TLS_DEMAND)
        ak_log(p->log, LOG_WARNING,
               "%s: tls_reqcert %s: server certificates are not enforced",
               p->name, ak_tls_reqcert_name(p->cfg->tls_reqcert));
}

/*
 * Every line of buf[0..len), each copied to line (AK_CONFIG_LINE_MAX + 2
 * bytes) so that it can be cut up in place. A bad line is logged and the
 * rest still read, so that one run names every mistake; only running out
 * of memory stops early.
 */
static void parse_lines(struct parser *p, const char *buf, size_t len,
                        char *line)
{
    size_t i = 0;

    while (i < len && p->rc != AK_ERR_NOMEM) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
        p->line++;
        if (memchr(buf + i, '\0', n) != NULL) {
            perr(p, "NUL byte in line");
        } else if (n > AK_CONFIG_LINE_MAX) {
            perr(p, "line longer than %d bytes", AK_CONFIG_LINE_MAX);
        } else {
            memcpy(line, buf + i, n);
            parse_line(p, line, n);
        }
        i += n + 1;
    }
}

int ak_config_parse(struct ak_config **out, const char *buf, size_t len,
                    const char *name, const struct ak_log *log)
{
    struct parser p = {.log = log, .name = name ? name : "(config)"};
    char *line = NULL;

    p.cfg = calloc(1, sizeof(*p.cfg));
    line = malloc(AK_CONFIG_LINE_MAX + 2);
    if (p.cfg == NULL || line == NULL) {
        p.rc = AK_ERR_NOMEM;
        goto out;
    }
    p.cfg->path = strdup(p.name);
    if (p.cfg->path == NULL) {
        p.rc = AK_ERR_NOMEM;
        goto out;
    }
    apply_defaults(&p);
    if (p.rc != AK_OK)
        goto out;
    if (len > AK_CONFIG_FILE_MAX) {
        perr(&p, "larger than %d bytes", AK_CONFIG_FILE_MAX);
        goto out;
    }
    parse_lines(&p, buf, len, line);
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
    for (size_t i = 0; i < N_OPTS; i++)
        if (str_type(opts[i].type) != NULL)
            free(*str_field(cfg, &opts[i]));
    for (unsigned i = 0; i < cfg->n_uri; i++)
        free(cfg->uri[i]);
    free(cfg->search_base);
    ak_dn_free(cfg->user_base_dn);
    ak_dn_free(cfg->service_base_dn);
    ak_dn_free(cfg->policy_dnp);
    free(cfg->path);
    free(cfg);
}

/*
 * One field's value in the file's spelling, so that a dump parses back;
 * NULL for an unset string. num holds the digits of an integer.
 */
static const char *value_text(const struct ak_config *cfg, const struct opt *o,
                              char num[16])
{
    const void *f = (const char *)cfg + o->offset;

    switch (o->type) {
    case T_UINT:
        snprintf(num, 16, "%u", *(const unsigned *)f);
        return num;
    case T_BOOL:
        return *(const bool *)f ? "yes" : "no";
    case T_REQCERT:
        return ak_tls_reqcert_name(*(const enum ak_tls_reqcert *)f);
    case T_NAMEMATCH:
        return namematch_names[*(const bool *)f];
    default:
        return *(char *const *)f;
    }
}

void ak_config_dump(const struct ak_config *cfg,
                    void (*emit)(void *ctx, const char *line), void *ctx)
{
    char line[AK_CONFIG_LINE_MAX + 64], num[16];

    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        const char *v;

        if (o->type == T_URI) {
            for (unsigned k = 0; k < cfg->n_uri; k++) {
                snprintf(line, sizeof(line), "uri %s", cfg->uri[k]);
                emit(ctx, line);
            }
            continue;
        }
        v = value_text(cfg, o, num);
        if (v == NULL)
            snprintf(line, sizeof(line), "# %s (unset)", o->name);
        else
            snprintf(line, sizeof(line), "%s %s", o->name, v);
        emit(ctx, line);
    }
}

void ak_config_describe(void (*emit)(void *ctx, const char *line), void *ctx)
{
    char line[256];

    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opts[i];
        char range[32] = "-";

        if (o->type == T_UINT)
            snprintf(range, sizeof(range), "%u-%u", o->min, o->max);
        snprintf(line, sizeof(line), "%s\t%s\t%s", o->name,
                 o->def != NULL ? o->def : "-", range);
        emit(ctx, line);
    }
}
