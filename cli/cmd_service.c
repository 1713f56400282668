/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_service.c - apikey service: service users and the people behind them */
#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_dn.h"
#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store.h"
#include "ak_text.h"
#include "cli.h"
#include "keys.h"

#define OWNERS_MAX 16
#define NAME_MAX_LEN 64
#define TEXT_MAX 1024

static void service_usage(FILE *f)
{
    fprintf(f, "Usage: apikey service COMMAND [ARGS]\n"
               "\n"
               "Service users are accounts for robots (backups, CI, mail "
               "gateways) that\n"
               "authenticate only with API keys. Admins make and remove them; "
               "each names\n"
               "the people responsible for it, who get its expiry notices.\n"
               "\n"
               "Commands:\n"
               "  create NAME --owner USER[,USER...] [--description TEXT]\n"
               "              [--display-name TEXT] [--mail ADDR] [--json]\n"
               "  list [--json]\n"
               "  show NAME [--json]\n"
               "  modify NAME [--owner USER[,...]] [--description TEXT]\n"
               "              [--display-name TEXT] [--mail ADDR]\n"
               "  disable NAME      stop every key of NAME at once "
               "(apiKeyDisabled)\n"
               "  enable NAME       let its keys work again\n"
               "  delete NAME [--force]\n"
               "                    remove it; refused while it holds active "
               "keys\n"
               "                    unless --force\n"
               "\n"
               "Keys of service users: apikey create NAME, apikey list NAME,\n"
               "apikey rotate KEYID, apikey revoke KEYID.\n"
               "Run 'apikey service COMMAND --help' for details.\n");
}

/* A service user's name: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter
 * or digit (it becomes the uid and the user name in PAM and SASL). */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return false;
    return true;
}

static bool text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n <= max && ak_utf8_valid(s, n) && !ak_has_ctl(s, n);
}

/* What `service show` and `service list` print about one service user. */
struct svc {
    struct ak_holder h;
    char *display; /* cn */
    char *description;
    char *mail;
};

static void svc_free(struct svc *s)
{
    ak_holder_free(&s->h);
    free(s->display);
    free(s->description);
    free(s->mail);
    memset(s, 0, sizeof(*s));
}

static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    char *s = ldap_count_values_len(v) > 0 ? strndup(v[0]->bv_val, v[0]->bv_len)
                                           : NULL;
    ldap_value_free_len(v);
    return s;
}

static void svc_attrs(const struct ak_config *cfg, char *attrs[])
{
    unsigned n = ak_holder_attrs(cfg, attrs);
    attrs[n++] = AK_LDAP_STR("cn");
    attrs[n++] = AK_LDAP_STR("description");
    attrs[n++] = AK_LDAP_STR("mail");
    attrs[n] = NULL;
}

static int svc_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                    struct svc *s)
{
    int rc = ak_holder_fill(ld, e, cfg, time(NULL), &s->h);
    if (rc != AK_OK)
        return rc;
    s->display = first_value(ld, e, "cn");
    s->description = first_value(ld, e, "description");
    s->mail = first_value(ld, e, "mail");
    return AK_OK;
}

/* Find the service user name, with its details. */
static int svc_read(struct cli *cli, const char *name, struct svc *s);

/* cli_begin, then the service user name (show, delete). */
static int svc_begin_read(struct cli *cli, const char *name, struct ak_conn **c,
                          struct ak_policy *pol, struct svc *s)
{
    int rc = cli_begin(cli, c, pol);
    return rc == EXIT_OK ? svc_read(cli, name, s) : rc;
}

static int svc_read(struct cli *cli, const char *name, struct svc *s)
{
    char *attrs[AK_HOLDER_N_ATTRS + 4];
    struct ak_conn *c;
    LDAPMessage *res = NULL, *e;
    int rc;

    memset(s, 0, sizeof(*s));
    rc = cli_find_user(cli, name, &s->h);
    if (rc != EXIT_OK)
        return rc;
    if (!s->h.service_user) {
        cli_err("%s (%s) is not a service user", name, s->h.dn);
        return EXIT_NOT_FOUND;
    }
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    svc_attrs(cli->cfg, attrs);
    rc = ak_conn_search(c, s->h.dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
                        1, &cli->log, &res);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    e = ldap_first_entry(ak_conn_ld(c), res);
    if (e != NULL) {
        ak_holder_free(&s->h);
        rc = svc_fill(ak_conn_ld(c), e, cli->cfg, s);
    }
    ldap_msgfree(res);
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

/* Count keys: all, and active under the policy at now. */
static void svc_count(const struct svc *s, const struct ak_policy *pol,
                      time_t now, unsigned *total, unsigned *active)
{
    *total = *active = 0;
    for (unsigned i = 0; i < s->h.n_records; i++) {
        struct ak_record r;
        (*total)++;
        if (ak_holder_key(&s->h, i, &r, NULL) == AK_OK &&
            ak_policy_judge(pol, &r, now, NULL, NULL) == AK_KEY_VALID)
            (*active)++;
    }
}

static void owners_text(const struct svc *s, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < s->h.n_owners && o < size; i++) {
        char name[128];
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "",
                              cli_dn_name(name, sizeof(name), s->h.owners[i]));
    }
    if (o == 0)
        snprintf(buf, size, "-");
}

/* The JSON object of s; left open when more fields follow. */
static void svc_json(FILE *f, const struct svc *s, const struct ak_policy *pol,
                     time_t now, bool close)
{
    unsigned total, active;

    svc_count(s, pol, now, &total, &active);
    fputs("{\"name\":", f);
    cli_json_str(f, s->h.name ? s->h.name : "");
    fputs(",\"dn\":", f);
    cli_json_str(f, s->h.dn);
    fputs(",\"display_name\":", f);
    cli_json_str(f, s->display ? s->display : "");
    fputs(",\"description\":", f);
    cli_json_str(f, s->description ? s->description : "");
    fputs(",\"mail\":", f);
    if (s->mail)
        cli_json_str(f, s->mail);
    else
        fputs("null", f);
    fprintf(f, ",\"disabled\":%s,\"owners\":[",
            s->h.disabled ? "true" : "false");
    for (unsigned i = 0; i < s->h.n_owners; i++) {
        if (i > 0)
            fputc(',', f);
        cli_json_str(f, s->h.owners[i]);
    }
    fprintf(f, "],\"keys\":%u,\"active_keys\":%u%s", total, active,
            close ? "}" : "");
}

/* Resolve a comma-separated list of people into DNs (dns: malloc'd). */
static int resolve_owners(struct cli *cli, const char *list, char **dns,
                          unsigned *n)
{
    char buf[4096];
    char *save = NULL;
    int rc = EXIT_OK;

    *n = 0;
    if (strlen(list) >= sizeof(buf)) {
        cli_err("--owner: list too long");
        return EXIT_USAGE;
    }
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *p = strtok_r(buf, ",", &save); p != NULL && rc == EXIT_OK;
         p = strtok_r(NULL, ",", &save)) {
        struct ak_holder h;
        if (*n == OWNERS_MAX) {
            cli_err("--owner: at most %d people", OWNERS_MAX);
            return EXIT_USAGE;
        }
        rc = cli_find_user(cli, p, &h);
        if (rc == EXIT_OK && h.service_user) {
            cli_err("--owner %s: a service user cannot be responsible; name "
                    "people",
                    p);
            rc = EXIT_USAGE;
        }
        for (unsigned i = 0; rc == EXIT_OK && i < *n; i++)
            if (ak_dn_equal(dns[i], h.dn)) {
                cli_err("--owner: %s given twice", p);
                rc = EXIT_USAGE;
            }
        if (rc == EXIT_OK) {
            dns[(*n)++] = h.dn;
            h.dn = NULL;
        }
        ak_holder_free(&h);
    }
    if (rc == EXIT_OK && *n == 0) {
        cli_err("--owner: name at least one person responsible");
        rc = EXIT_USAGE;
    }
    return rc;
}

static void free_dns(char **dns, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(dns[i]);
}

struct svc_opts {
    const char *owners, *description, *display, *mail;
    bool json, force;
};

/* Parse the options of a subcommand; returns -1 after --help. */
static int svc_parse(int argc, char **argv, const char *usage,
                     const char *allowed, struct svc_opts *o)
{
    static const struct option longopts[] = {
        {"owner", required_argument, NULL, 'o'},
        {"description", required_argument, NULL, 'd'},
        {"display-name", required_argument, NULL, 'n'},
        {"mail", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            printf("Usage: apikey service %s\n", usage);
            return -1;
        }
        if (c == '?' || strchr(allowed, c) == NULL) {
            if (c != '?')
                cli_err("service %s: option not accepted here", argv[0]);
            fprintf(stderr, "Usage: apikey service %s\n", usage);
            return EXIT_USAGE;
        }
        switch (c) {
        case 'o':
            o->owners = optarg;
            break;
        case 'd':
            if (!text_ok(optarg, TEXT_MAX)) {
                cli_err("--description: at most %d bytes of UTF-8 text "
                        "without control characters",
                        TEXT_MAX);
                return EXIT_USAGE;
            }
            o->description = optarg;
            break;
        case 'n':
            if (!text_ok(optarg, 256) || optarg[0] == '\0') {
                cli_err("--display-name: 1-256 bytes of UTF-8 text without "
                        "control characters");
                return EXIT_USAGE;
            }
            o->display = optarg;
            break;
        case 'm':
            if (optarg[0] != '\0' && !cli_mail_ok(optarg)) {
                cli_err("--mail '%s' is not a plain address "
                        "(local@domain)",
                        optarg);
                return EXIT_USAGE;
            }
            o->mail = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'f':
            o->force = true;
            break;
        }
    }
    if (optind + 1 != argc) {
        if (strcmp(argv[0], "list") != 0 || optind != argc) {
            fprintf(stderr, "Usage: apikey service %s\n", usage);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

static int svc_create(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_holder other = {0};
    char *owners[OWNERS_MAX + 1] = {0};
    unsigned n_owners = 0;
    char *dn = NULL;
    const char *name;
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   "create NAME --owner USER[,USER...] [--description TEXT]\n"
                   "       [--display-name TEXT] [--mail ADDR] [--json]\n"
                   "Make the service user NAME under service_base, with the "
                   "people\nresponsible for it (at least one).",
                   "odnmj", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    name = argv[optind];
    if (!name_ok(name)) {
        cli_err("'%s' cannot be a service user name (1-%d of A-Z a-z 0-9 . _ "
                "-, starting with a letter or digit)",
                name, NAME_MAX_LEN);
        return EXIT_USAGE;
    }
    if (o.owners == NULL) {
        cli_err("service create: name the people responsible with --owner "
                "USER[,USER...]");
        return EXIT_USAGE;
    }
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    /* One name, one entry: PAM and SASL find accounts by name alone. */
    rc = ak_store_find_user(c, cli->cfg, name, &cli->log, &other);
    if (rc != AK_ERR_NOT_FOUND) {
        if (rc == AK_OK || rc == AK_ERR_CONFLICT)
            cli_err("the name '%s' is taken (%s); nothing created", name,
                    other.dn ? other.dn : "several entries");
        ak_holder_free(&other);
        return rc == AK_OK || rc == AK_ERR_CONFLICT ? EXIT_CONFLICT
                                                    : cli_exit_for(rc);
    }
    rc = resolve_owners(cli, o.owners, owners, &n_owners);
    if (rc != EXIT_OK)
        goto out;
    rc = ak_manage_child_dn("uid", name, cli->cfg->service_base, &dn);
    if (rc != AK_OK) {
        rc = cli_exit_for(rc);
        goto out;
    }
    {
        char *oc[] = {AK_LDAP_STR(AK_OC_SERVICE_USER),
                      AK_LDAP_STR(AK_OC_HOLDER), NULL};
        char *uid[] = {(char *)(uintptr_t)name, NULL};
        char *cn[] = {(char *)(uintptr_t)(o.display ? o.display : name), NULL};
        char *desc[] = {(char *)(uintptr_t)o.description, NULL};
        char *mail[] = {(char *)(uintptr_t)o.mail, NULL};
        LDAPMod m_oc = {LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {oc}};
        LDAPMod m_uid = {LDAP_MOD_ADD, AK_LDAP_STR("uid"), {uid}};
        LDAPMod m_attr = {LDAP_MOD_ADD, cli->cfg->user_attr, {uid}};
        LDAPMod m_cn = {LDAP_MOD_ADD, AK_LDAP_STR("cn"), {cn}};
        LDAPMod m_desc = {LDAP_MOD_ADD, AK_LDAP_STR("description"), {desc}};
        LDAPMod m_mail = {LDAP_MOD_ADD, AK_LDAP_STR("mail"), {mail}};
        LDAPMod m_own = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_OWNER), {owners}};
        LDAPMod *mods[8];
        size_t n = 0;
        mods[n++] = &m_oc;
        mods[n++] = &m_uid;
        if (strcasecmp(cli->cfg->user_attr, "uid") != 0)
            mods[n++] = &m_attr;
        mods[n++] = &m_cn;
        if (o.description != NULL && o.description[0] != '\0')
            mods[n++] = &m_desc;
        if (o.mail != NULL && o.mail[0] != '\0')
            mods[n++] = &m_mail;
        mods[n++] = &m_own;
        mods[n] = NULL;
        rc = cli_conn(cli, &c);
        if (rc == EXIT_OK) {
            rc = ak_manage_add(c, dn, mods, &cli->log);
            if (rc != AK_OK)
                rc = cli_change_failed(cli, rc, "add a service user", dn);
        }
    }
    cli_audit(cli, "service-create", rc, NULL, dn, "owners=%u", n_owners);
    if (rc != EXIT_OK)
        goto out;
    if (o.json || cli->json) {
        struct svc s = {0};
        struct ak_policy none = {0};
        if (svc_read(cli, name, &s) == EXIT_OK) {
            svc_json(stdout, &s, &none, time(NULL), true);
            fputc('\n', stdout);
        }
        svc_free(&s);
    } else {
        printf("created service user %s (%s)\n", name, dn);
        printf("next: apikey create %s --label ... --scope ...\n", name);
    }
out:
    free_dns(owners, n_owners);
    free(dn);
    return rc;
}

struct list_ctx {
    struct cli *cli;
    const struct ak_policy *pol;
    bool json;
    unsigned n;
    time_t now;
};

static int list_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct list_ctx *l = ctx;
    struct svc s = {0};
    char owners[512];
    unsigned total, active;
    int rc = svc_fill(ld, e, l->cli->cfg, &s);

    if (rc != AK_OK)
        return rc;
    if (!s.h.service_user ||
        !ak_dn_is_under(s.h.dn, l->cli->cfg->service_base)) {
        svc_free(&s);
        return AK_OK;
    }
    if (l->json) {
        if (l->n > 0)
            fputc(',', stdout);
        svc_json(stdout, &s, l->pol, l->now, true);
    } else {
        svc_count(&s, l->pol, l->now, &total, &active);
        owners_text(&s, owners, sizeof(owners));
        printf("%-20s  %-8s  %2u/%-3u  %-24s  %s\n",
               s.h.name ? s.h.name : s.h.dn,
               s.h.disabled ? "disabled" : "enabled", active, total, owners,
               s.description ? s.description : "");
    }
    l->n++;
    svc_free(&s);
    return AK_OK;
}

static int svc_list(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_policy pol;
    struct list_ctx l = {.cli = cli};
    char *attrs[AK_HOLDER_N_ATTRS + 4];
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   "list [--json]\nEvery service user: name, state, active/all "
                   "keys, owners, description.",
                   "j", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_begin(cli, &c, &pol);
    if (rc != EXIT_OK)
        return rc;
    l.pol = &pol;
    l.json = o.json || cli->json;
    l.now = time(NULL);
    svc_attrs(cli->cfg, attrs);
    if (l.json)
        fputc('[', stdout);
    else
        printf("%-20s  %-8s  %-6s  %-24s  %s\n", "NAME", "STATE", "KEYS",
               "OWNERS", "DESCRIPTION");
    rc = cli_conn(cli, &c);
    if (rc == EXIT_OK) {
        rc = ak_manage_search(c, cli->cfg, cli->cfg->service_base,
                              LDAP_SCOPE_SUBTREE, cli->cfg->service_filter,
                              attrs, 0, list_entry, &l, &cli->log);
        rc = rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
    }
    if (l.json)
        fputs("]\n", stdout);
    return rc;
}

static int svc_show(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct svc s = {0};
    struct ak_policy pol;
    struct keys_out out = {0};
    struct ak_conn *c;
    char owners[512];
    int rc;

    rc = svc_parse(argc, argv,
                   "show NAME [--json]\nA service user's details and its keys.",
                   "j", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = svc_begin_read(cli, argv[optind], &c, &pol, &s);
    if (rc != EXIT_OK)
        goto out;
    out.f = stdout;
    out.json = o.json || cli->json;
    out.tracked = cli->cfg->track_last_use;
    out.now = time(NULL);
    out.pol = &pol;
    if (out.json) {
        /* the service user's object, its keys in "key_list" */
        svc_json(stdout, &s, &pol, out.now, false);
        fputs(",\"key_list\":", stdout);
        keys_begin(&out);
        keys_holder(&out, &s.h);
        fputs("]}\n", stdout);
        goto out;
    }
    owners_text(&s, owners, sizeof(owners));
    printf("name:         %s\n", s.h.name ? s.h.name : "?");
    printf("dn:           %s\n", s.h.dn);
    printf("display name: %s\n", s.display ? s.display : "-");
    printf("description:  %s\n", s.description ? s.description : "-");
    printf("mail:         %s\n", s.mail ? s.mail : "-");
    printf("state:        %s\n", s.h.disabled ? "disabled" : "enabled");
    for (unsigned i = 0; i < s.h.n_owners; i++)
        printf("owner:        %s\n", s.h.owners[i]);
    printf("\n");
    keys_begin(&out);
    keys_holder(&out, &s.h);
    if (out.shown == 0)
        printf("(no keys; make one with: apikey create %s)\n",
               s.h.name ? s.h.name : argv[optind]);
out:
    svc_free(&s);
    return rc;
}

static int svc_modify(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct svc s = {0};
    char *owners[OWNERS_MAX + 1] = {0};
    unsigned n_owners = 0;
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   "modify NAME [--owner USER[,...]] [--description TEXT]\n"
                   "       [--display-name TEXT] [--mail ADDR]\n"
                   "Change a service user. --owner replaces the people "
                   "responsible\n(at least one); an empty --description or "
                   "--mail removes it.",
                   "odnm", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (!o.owners && !o.description && !o.display && !o.mail) {
        cli_err("service modify: nothing to change");
        return EXIT_USAGE;
    }
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = svc_read(cli, argv[optind], &s);
    if (rc == EXIT_OK && o.owners != NULL)
        rc = resolve_owners(cli, o.owners, owners, &n_owners);
    if (rc != EXIT_OK)
        goto out;
    {
        char *cn[] = {(char *)(uintptr_t)o.display, NULL};
        char *desc[] = {(char *)(uintptr_t)o.description, NULL};
        char *mail[] = {(char *)(uintptr_t)o.mail, NULL};
        LDAPMod m_cn = {LDAP_MOD_REPLACE, AK_LDAP_STR("cn"), {cn}};
        LDAPMod m_desc = {LDAP_MOD_REPLACE,
                          AK_LDAP_STR("description"),
                          {o.description && *o.description ? desc : NULL}};
        LDAPMod m_mail = {LDAP_MOD_REPLACE,
                          AK_LDAP_STR("mail"),
                          {o.mail && *o.mail ? mail : NULL}};
        LDAPMod m_own = {LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_OWNER), {owners}};
        LDAPMod *mods[5];
        size_t n = 0;
        if (o.display)
            mods[n++] = &m_cn;
        if (o.description)
            mods[n++] = &m_desc;
        if (o.mail)
            mods[n++] = &m_mail;
        if (o.owners)
            mods[n++] = &m_own;
        mods[n] = NULL;
        rc = cli_conn(cli, &c);
        if (rc == EXIT_OK) {
            rc = ak_conn_modify(c, s.h.dn, mods, &cli->log);
            if (rc != AK_OK)
                rc =
                    cli_change_failed(cli, rc, "change a service user", s.h.dn);
        }
    }
    cli_audit(cli, "service-modify", rc, NULL, s.h.dn, "changed=%s%s%s%s",
              o.owners ? "owners," : "", o.description ? "description," : "",
              o.display ? "display-name," : "", o.mail ? "mail," : "");
    if (rc == EXIT_OK)
        printf("changed service user %s\n", s.h.name ? s.h.name : s.h.dn);
out:
    free_dns(owners, n_owners);
    svc_free(&s);
    return rc;
}

static int svc_able(struct cli *cli, int argc, char **argv, bool disable)
{
    struct svc_opts o;
    struct svc s = {0};
    char *t[] = {AK_LDAP_STR("TRUE"), NULL};
    LDAPMod m = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_DISABLED), {disable ? t : NULL}};
    LDAPMod *mods[] = {&m, NULL};
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   disable ? "disable NAME\nStop every key of NAME at once "
                             "(apiKeyDisabled: TRUE); 'enable' undoes it."
                           : "enable NAME\nLet the keys of a disabled service "
                             "user work again.",
                   "", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_open_self(cli);
    if (rc == EXIT_OK)
        rc = svc_read(cli, argv[optind], &s);
    if (rc != EXIT_OK)
        goto out;
    if (s.h.disabled == disable) {
        printf("service user %s is already %s\n", s.h.name ? s.h.name : s.h.dn,
               disable ? "disabled" : "enabled");
        goto out;
    }
    rc = cli_conn(cli, &c);
    if (rc == EXIT_OK) {
        rc = ak_conn_modify(c, s.h.dn, mods, &cli->log);
        if (rc != AK_OK)
            rc = cli_change_failed(cli, rc,
                                   disable ? "disable a service user"
                                           : "enable a service user",
                                   s.h.dn);
    }
    cli_audit(cli, disable ? "service-disable" : "service-enable", rc, NULL,
              s.h.dn, NULL);
    if (rc == EXIT_OK)
        printf("%s service user %s\n", disable ? "disabled" : "enabled",
               s.h.name ? s.h.name : s.h.dn);
out:
    svc_free(&s);
    return rc;
}

static int svc_disable(struct cli *cli, int argc, char **argv)
{
    return svc_able(cli, argc, argv, true);
}

static int svc_enable(struct cli *cli, int argc, char **argv)
{
    return svc_able(cli, argc, argv, false);
}

static int svc_delete(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct svc s = {0};
    struct ak_policy pol;
    struct ak_conn *c;
    char ids[17 * 64 + 1] = "";
    unsigned total, active;
    int rc;

    rc = svc_parse(argc, argv,
                   "delete NAME [--force]\nRemove the service user NAME and "
                   "its keys. Refused while it holds\nactive keys, unless "
                   "--force (revoke or let them expire first).",
                   "f", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = svc_begin_read(cli, argv[optind], &c, &pol, &s);
    if (rc != EXIT_OK)
        goto out;
    svc_count(&s, &pol, time(NULL), &total, &active);
    for (unsigned i = 0; i < s.h.n_records && i < 64; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(s.h.records[i], strlen(s.h.records[i]), id)) {
            strcat(ids, ids[0] ? "," : "");
            strcat(ids, id);
        }
    }
    if (active > 0 && !o.force) {
        cli_err("%s holds %u active key(s) (%s); revoke them first, or "
                "give --force",
                s.h.name ? s.h.name : s.h.dn, active, ids);
        cli_audit(cli, "service-delete", EXIT_DENIED, NULL, s.h.dn,
                  "detail=\"has active keys\"");
        rc = EXIT_DENIED;
        goto out;
    }
    rc = cli_conn(cli, &c);
    if (rc == EXIT_OK) {
        rc = ak_manage_delete(c, s.h.dn, &cli->log);
        if (rc != AK_OK)
            rc = cli_change_failed(cli, rc, "delete a service user", s.h.dn);
    }
    cli_audit(cli, "service-delete", rc, NULL, s.h.dn, "keys=%s",
              ids[0] ? ids : "-");
    if (rc == EXIT_OK)
        printf("deleted service user %s and its %u key(s)\n",
               s.h.name ? s.h.name : s.h.dn, total);
out:
    svc_free(&s);
    return rc;
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        cli_cmd_fn fn;
    } subs[] = {
        {"create", svc_create},   {"list", svc_list},
        {"show", svc_show},       {"modify", svc_modify},
        {"disable", svc_disable}, {"enable", svc_enable},
        {"delete", svc_delete},
    };

    if (argc < 2) {
        service_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        service_usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i].name) == 0) {
            optind = 0; /* glibc: restart option parsing */
            return subs[i].fn(cli, argc - 1, argv + 1);
        }
    cli_err("unknown service command '%s'; see 'apikey service --help'",
            argv[1]);
    return EXIT_USAGE;
}
