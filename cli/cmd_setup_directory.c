/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_setup_directory.c - apikey setup-directory: the LDIF that prepares a
 * directory for apikey (schema, indexes, uniqueness, access rules, limits,
 * the service accounts, ou=services, the admin group, the policy entry),
 * with the site's names filled in. The text is packaging/ldap/
 * apikey-setup.ldif.in, which scripts/gen-acl.py makes from the table of
 * the shipped files and the build embeds (setup_template.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "ak_dn.h"
#include "cli.h"
#include "setup_template.h"

enum { NAME_MAX_DNS = 16 };

/* The names of the template, in the order of its placeholders. */
enum name_id {
    N_SUFFIX,
    N_PEOPLE,
    N_SERVICES,
    N_VERIFIER,
    N_EXPIRYD,
    N_ADMINS,
    N_POLICY,
    N_COUNT,
};

static const struct {
    const char *token;  /* @TOKEN@ in the template */
    const char *option; /* the option that names it */
    const char *deflt;  /* below the suffix; NULL: the suffix itself */
    bool cn;            /* made here as a cn= entry */
} names[N_COUNT] = {
    [N_SUFFIX] = {"SUFFIX", "--suffix", NULL, false},
    [N_PEOPLE] = {"PEOPLE", "--people", "ou=people", false},
    [N_SERVICES] = {"SERVICES", "--services", "ou=services", false},
    [N_VERIFIER] = {"VERIFIER", "--verifier", "cn=verifier,ou=system", true},
    [N_EXPIRYD] = {"EXPIRYD", "--expiryd", "cn=expiryd,ou=system", true},
    [N_ADMINS] = {"ADMINS", "--admins", "cn=apikey-admins,ou=groups", true},
    [N_POLICY] = {"POLICY", "--policy", "cn=apikey-policy,ou=policies", true},
};

struct setup {
    char *dn[N_COUNT]; /* normalised (LDAPv3 string form), malloc */
    char *cn[N_COUNT]; /* the cn value of the entries made as cn= */
    char *suffix_url;  /* the suffix %-escaped for an LDAP URL */
    const char *database;
    char *admin[NAME_MAX_DNS]; /* members of the admin group */
    size_t n_admin;
    bool catch_all;
    bool module_unique, module_ppolicy, module_constraint;
    bool part_config, part_entries;
};

static void setup_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey setup-directory --suffix DN --print [OPTIONS]\n"
            "\n"
            "Print the LDIF that prepares an OpenLDAP directory for apikey, "
            "with your\nnames filled in: part \"config\" (schema, indexes, "
            "uniqueness of key ids,\naccess rules and limits; apply as root "
            "with ldapmodify -Y EXTERNAL\n-H ldapi:///) and part \"entries\" "
            "(the verifier's and the expiry daemon's\naccounts, the service "
            "users' branch, the admin group, the policy entry;\napply as the "
            "root DN). Nothing is sent to the directory.\n"
            "\n"
            "  --suffix DN        the database's suffix (required)\n"
            "  --print            print the LDIF (required)\n"
            "  --part config|entries  one part only (default both)\n"
            "  --database NAME    olcDatabase of that suffix (default "
            "{1}mdb)\n"
            "  --people DN        user_base (default ou=people,SUFFIX)\n"
            "  --services DN      service_base (default ou=services,SUFFIX)\n"
            "  --verifier DN      bind_dn (default "
            "cn=verifier,ou=system,SUFFIX)\n"
            "  --expiryd DN       notice_bind_dn (default "
            "cn=expiryd,ou=system,SUFFIX)\n"
            "  --admins DN        the key admins' group (default\n"
            "                     cn=apikey-admins,ou=groups,SUFFIX)\n"
            "  --policy DN        policy_dn (default "
            "cn=apikey-policy,ou=policies,SUFFIX)\n"
            "  --admin DN         a member of the admin group (repeat for "
            "more;\n"
            "                     default cn=admin,SUFFIX as a placeholder)\n"
            "  --skip-module unique|ppolicy|constraint  that module is "
            "already loaded\n"
            "  --no-catch-all     leave out the last rule (people read the "
            "directory,\n"
            "                     nobody else): keep your own rules after "
            "apikey's\n");
}

static void setup_free(struct setup *s)
{
    for (int i = 0; i < N_COUNT; i++) {
        free(s->dn[i]);
        free(s->cn[i]);
    }
    for (size_t i = 0; i < s->n_admin; i++)
        free(s->admin[i]);
    free(s->suffix_url);
}

/*
 * A DN of the command line, checked and in LDAPv3 string form in *out.
 * The names go into LDIF lines and into quoted ACL clauses: printable
 * ASCII only, and no quote or backslash (an escaped character would need
 * escaping again in the access rules; such a site writes its LDIF itself).
 */
static int norm_dn(const char *opt, const char *in, char **out)
{
    LDAPDN dn = NULL;

    for (const char *p = in; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' ||
            *p == '\\') {
            cli_err("%s '%s': only printable ASCII without quotes or "
                    "backslashes in a DN here",
                    opt, in);
            return EXIT_USAGE;
        }
    if (in[0] == '\0' ||
        ldap_str2dn(in, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        dn == NULL) {
        cli_err("%s '%s': not a DN (write it as dc=example,dc=org)", opt, in);
        return EXIT_USAGE;
    }
    if (ldap_dn2str(dn, out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        *out == NULL) {
        ldap_dnfree(dn);
        cli_err("%s '%s': not a DN", opt, in);
        return EXIT_USAGE;
    }
    ldap_dnfree(dn);
    if (strpbrk(*out, "\"\\") != NULL) {
        cli_err("%s '%s': a DN with characters that need escaping is not "
                "supported here",
                opt, in);
        ldap_memfree(*out);
        *out = NULL;
        return EXIT_USAGE;
    }
    /* ldap_dn2str's memory is libldap's; keep ours in malloc. */
    char *copy = strdup(*out);
    ldap_memfree(*out);
    *out = copy;
    if (copy == NULL) {
        cli_err("out of memory");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* The first RDN of dn as attr=value: its type (case-insensitively) must be
 * want; *value (malloc) its value. *parent (malloc) the rest, or NULL. */
static bool first_rdn(const char *dn, const char *want, char **value,
                      char **parent)
{
    LDAPDN p = NULL;
    bool ok = false;

    *value = NULL;
    if (parent != NULL)
        *parent = NULL;
    if (ldap_str2dn(dn, &p, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        p == NULL || p[0] == NULL)
        return false;
    LDAPAVA *ava = p[0][0];
    if (p[0][1] == NULL && ava->la_attr.bv_len == strlen(want) &&
        strncasecmp(ava->la_attr.bv_val, want, ava->la_attr.bv_len) == 0) {
        *value = strndup(ava->la_value.bv_val, ava->la_value.bv_len);
        ok = *value != NULL;
    }
    if (ok && parent != NULL && p[1] != NULL) {
        char *s = NULL;
        if (ldap_dn2str(p + 1, &s, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
            s != NULL) {
            *parent = strdup(s);
            ldap_memfree(s);
        }
        ok = *parent != NULL;
    }
    ldap_dnfree(p);
    if (!ok) {
        free(*value);
        *value = NULL;
    }
    return ok;
}

static bool strictly_under(const char *dn, const char *base)
{
    return ak_dn_is_under(dn, base) && !ak_dn_equal(dn, base);
}

/* The suffix in an LDAP URL (RFC 4516): escape what is not plain. */
static char *url_escape(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("=,-._~", c) != NULL)
            *o++ = (char)c;
        else
            o += sprintf(o, "%%%02X", c);
    }
    *o = '\0';
    return out;
}

static bool database_ok(const char *db)
{
    const char *p = db;

    if (*p == '{') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != '}')
            return false;
    }
    if (*p == '\0')
        return false;
    for (; *p != '\0'; p++)
        if (*p < 'a' || *p > 'z')
            return false;
    return strlen(db) < 32;
}

/* Fill in the defaults and check how the names go together. */
static int resolve(struct setup *s, const char *given[N_COUNT])
{
    int rc;

    rc = norm_dn("--suffix", given[N_SUFFIX], &s->dn[N_SUFFIX]);
    if (rc != EXIT_OK)
        return rc;
    for (int i = 1; i < N_COUNT; i++) {
        char *deflt = NULL; /* any length: a fixed buffer cut a long suffix */
        const char *in = given[i];
        if (in == NULL &&
            asprintf(&deflt, "%s,%s", names[i].deflt, s->dn[N_SUFFIX]) < 0) {
            cli_err("out of memory");
            return EXIT_INTERNAL;
        }
        /* a default is made of --suffix: blame the option given */
        rc = norm_dn(in ? names[i].option : "--suffix", in ? in : deflt,
                     &s->dn[i]);
        free(deflt);
        if (rc != EXIT_OK)
            return rc;
        bool under = i == N_PEOPLE ? ak_dn_is_under(s->dn[i], s->dn[N_SUFFIX])
                                   : strictly_under(s->dn[i], s->dn[N_SUFFIX]);
        if (!under) {
            cli_err("%s %s: not below --suffix %s", names[i].option, s->dn[i],
                    s->dn[N_SUFFIX]);
            return EXIT_USAGE;
        }
        if (names[i].cn && !first_rdn(s->dn[i], "cn", &s->cn[i], NULL)) {
            cli_err("%s %s: the entry is made here, so its first RDN must be "
                    "one cn=NAME",
                    names[i].option, s->dn[i]);
            return EXIT_USAGE;
        }
    }
    if (ak_dn_is_under(s->dn[N_SERVICES], s->dn[N_PEOPLE]) ||
        ak_dn_is_under(s->dn[N_PEOPLE], s->dn[N_SERVICES])) {
        cli_err("--people %s and --services %s: the access rules need two "
                "separate subtrees",
                s->dn[N_PEOPLE], s->dn[N_SERVICES]);
        return EXIT_USAGE;
    }
    for (int i = N_VERIFIER; i < N_COUNT; i++)
        for (int j = i + 1; j < N_COUNT; j++)
            if (ak_dn_equal(s->dn[i], s->dn[j])) {
                cli_err("%s and %s name the same entry %s", names[i].option,
                        names[j].option, s->dn[i]);
                return EXIT_USAGE;
            }
    if (!database_ok(s->database)) {
        cli_err("--database '%s': an olcDatabase value such as {1}mdb",
                s->database);
        return EXIT_USAGE;
    }
    s->suffix_url = url_escape(s->dn[N_SUFFIX]);
    if (s->suffix_url == NULL) {
        cli_err("out of memory");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* The branch entries the named entries need (ou=services, ou=system, ...),
 * each once, parents first: those with an ou= RDN right below the suffix
 * or below another of them are made; any other is left to the admin. */
static int containers(const struct setup *s, FILE *out)
{
    const char *want[N_COUNT + 1];
    char *owned[N_COUNT] = {0};
    size_t n = 0;

    want[n++] = s->dn[N_SERVICES];
    for (int i = N_VERIFIER; i < N_COUNT; i++) {
        char *v = NULL, *parent = NULL;
        if (!first_rdn(s->dn[i], "cn", &v, &parent) || parent == NULL) {
            free(v);
            free(parent);
            cli_err("out of memory");
            return EXIT_INTERNAL;
        }
        free(v);
        owned[i] = parent;
        if (ak_dn_equal(parent, s->dn[N_SUFFIX]) ||
            ak_dn_equal(parent, s->dn[N_PEOPLE]))
            continue;
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || ak_dn_equal(want[k], parent);
        if (!dup)
            want[n++] = parent;
    }
    /* Shallow first, so that a parent comes before its children. */
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strictly_under(want[a], want[b])) {
                const char *t = want[a];
                want[a] = want[b];
                want[b] = t;
            }
    for (size_t k = 0; k < n; k++) {
        char *v = NULL, *parent = NULL;
        bool made = false;
        if (first_rdn(want[k], "ou", &v, &parent) && parent != NULL) {
            made = ak_dn_equal(parent, s->dn[N_SUFFIX]);
            for (size_t j = 0; j < k && !made; j++)
                made = ak_dn_equal(parent, want[j]);
        }
        if (made)
            fprintf(out,
                    "dn: %s\nchangetype: add\nobjectClass: "
                    "organizationalUnit\nou: %s\n\n",
                    want[k], v);
        else
            fprintf(out, "# %s is not made here: it must exist\n\n", want[k]);
        free(v);
        free(parent);
    }
    for (int i = 0; i < N_COUNT; i++)
        free(owned[i]);
    return EXIT_OK;
}

/* The value of the placeholder @name@ (len bytes of name), or NULL. */
static const char *lookup(const struct setup *s, const char *name, size_t len)
{
    for (int i = 0; i < N_COUNT; i++) {
        size_t tl = strlen(names[i].token);
        if (len == tl && memcmp(name, names[i].token, tl) == 0)
            return s->dn[i];
        if (names[i].cn && len == tl + 3 &&
            memcmp(name, names[i].token, tl) == 0 &&
            memcmp(name + tl, "_CN", 3) == 0)
            return s->cn[i];
    }
    if (len == 10 && memcmp(name, "SUFFIX_URL", 10) == 0)
        return s->suffix_url;
    if (len == 8 && memcmp(name, "DATABASE", 8) == 0)
        return s->database;
    return NULL;
}

static bool flag(const struct setup *s, const char *name, size_t len)
{
    if (len == 8 && memcmp(name, "CATCHALL", 8) == 0)
        return s->catch_all;
    if (len == 13 && memcmp(name, "MODULE_UNIQUE", 13) == 0)
        return s->module_unique;
    if (len == 14 && memcmp(name, "MODULE_PPOLICY", 14) == 0)
        return s->module_ppolicy;
    if (len == 17 && memcmp(name, "MODULE_CONSTRAINT", 17) == 0)
        return s->module_constraint;
    return false;
}

/* One line of the template (without its newline), placeholders filled. */
static void emit_line(const struct setup *s, const char *p, size_t len,
                      FILE *out)
{
    const char *end = p + len;

    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (at == NULL) {
            fwrite(p, 1, (size_t)(end - p), out);
            break;
        }
        fwrite(p, 1, (size_t)(at - p), out);
        const char *close = memchr(at + 1, '@', (size_t)(end - at - 1));
        const char *v =
            close == NULL ? NULL : lookup(s, at + 1, (size_t)(close - at - 1));
        if (v == NULL) { /* a lone '@' (none in the template today) */
            fputc('@', out);
            p = at + 1;
            continue;
        }
        fputs(v, out);
        p = close + 1;
    }
    fputc('\n', out);
}

static int print_ldif(const struct setup *s, FILE *out)
{
    const char *t = ak_setup_template;
    bool on = false, head = true;

    fprintf(out,
            "# apikey setup-directory for %s (database %s)\n"
            "# Review before applying; each part says how.\n",
            s->dn[N_SUFFIX], s->database);
    while (*t != '\0') {
        const char *nl = strchr(t, '\n');
        size_t len = nl != NULL ? (size_t)(nl - t) : strlen(t);
        const char *line = t;
        t += len + (nl != NULL);

        if (len > 7 && memcmp(line, "@PART ", 6) == 0) {
            head = false;
            on = (len == 13 && memcmp(line + 6, "config@", 7) == 0)
                     ? s->part_config
                 : (len == 14 && memcmp(line + 6, "entries@", 8) == 0)
                     ? s->part_entries
                     : false;
            continue;
        }
        if (head || !on)
            continue; /* the template's own header; a part not wanted */
        if (len > 2 && line[0] == '@' && line[1] == '?') {
            const char *close = memchr(line + 2, '@', len - 2);
            if (close == NULL)
                continue;
            if (!flag(s, line + 2, (size_t)(close - line - 2)))
                continue;
            len -= (size_t)(close + 1 - line);
            line = close + 1;
        }
        if (len == 12 && memcmp(line, "@CONTAINERS@", 12) == 0) {
            int rc = containers(s, out);
            if (rc != EXIT_OK)
                return rc;
            continue;
        }
        if (len == 15 && memcmp(line, "@ADMIN_MEMBERS@", 15) == 0) {
            /* groupOfNames needs a member. Not the empty DN: that is the
             * name of the anonymous user. The root DN gains nothing by it. */
            if (s->n_admin == 0)
                fprintf(out,
                        "# No --admin given: the root DN (Debian's default "
                        "name) holds the place;\n# add the key admins "
                        "(member: uid=...) and remove it.\n"
                        "member: cn=admin,%s\n",
                        s->dn[N_SUFFIX]);
            for (size_t i = 0; i < s->n_admin; i++)
                fprintf(out, "member: %s\n", s->admin[i]);
            continue;
        }
        emit_line(s, line, len, out);
    }
    return EXIT_OK;
}

int cmd_setup_directory(struct cli *cli, int argc, char **argv)
{
    /* O_NAME + an enum name_id: that name's option */
    enum {
        O_NAME = 256,
        O_PRINT = O_NAME + N_COUNT,
        O_PART,
        O_DATABASE,
        O_ADMIN,
        O_SKIP,
        O_NOCATCH,
    };
    static const struct option longopts[] = {
        {"suffix", required_argument, NULL, O_NAME + N_SUFFIX},
        {"print", no_argument, NULL, O_PRINT},
        {"part", required_argument, NULL, O_PART},
        {"database", required_argument, NULL, O_DATABASE},
        {"people", required_argument, NULL, O_NAME + N_PEOPLE},
        {"services", required_argument, NULL, O_NAME + N_SERVICES},
        {"verifier", required_argument, NULL, O_NAME + N_VERIFIER},
        {"expiryd", required_argument, NULL, O_NAME + N_EXPIRYD},
        {"admins", required_argument, NULL, O_NAME + N_ADMINS},
        {"policy", required_argument, NULL, O_NAME + N_POLICY},
        {"admin", required_argument, NULL, O_ADMIN},
        {"skip-module", required_argument, NULL, O_SKIP},
        {"no-catch-all", no_argument, NULL, O_NOCATCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct setup s = {
        .database = "{1}mdb",
        .catch_all = true,
        .module_unique = true,
        .module_ppolicy = true,
        .module_constraint = true,
        .part_config = true,
        .part_entries = true,
    };
    const char *given[N_COUNT] = {0};
    const char *admin_in[NAME_MAX_DNS];
    size_t n_admin_in = 0;
    bool print = false;
    int c, li = -1, rc = EXIT_OK;

    (void)cli;
    while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
        /* --admin and --skip-module add; any other value is given once */
        if (optarg != NULL && c != O_ADMIN && c != O_SKIP &&
            !cli_opt_once(argv, c, longopts, li, NULL))
            return EXIT_USAGE;
        if (c >= O_NAME && c < O_NAME + N_COUNT) {
            given[c - O_NAME] = optarg;
            continue;
        }
        switch (c) {
        case O_PRINT:
            print = true;
            break;
        case O_PART:
            if (strcmp(optarg, "config") == 0) {
                s.part_entries = false;
            } else if (strcmp(optarg, "entries") == 0) {
                s.part_config = false;
            } else {
                cli_err("--part: config or entries");
                return EXIT_USAGE;
            }
            break;
        case O_DATABASE:
            s.database = optarg;
            break;
        case O_ADMIN:
            if (n_admin_in == NAME_MAX_DNS) {
                cli_err("--admin: at most %d (add more later)", NAME_MAX_DNS);
                return EXIT_USAGE;
            }
            admin_in[n_admin_in++] = optarg;
            break;
        case O_SKIP:
            if (strcmp(optarg, "unique") == 0) {
                s.module_unique = false;
            } else if (strcmp(optarg, "ppolicy") == 0) {
                s.module_ppolicy = false;
            } else if (strcmp(optarg, "constraint") == 0) {
                s.module_constraint = false;
            } else {
                cli_err("--skip-module: unique, ppolicy or constraint");
                return EXIT_USAGE;
            }
            break;
        case O_NOCATCH:
            s.catch_all = false;
            break;
        case 'h':
            setup_usage(stdout);
            return EXIT_OK;
        default:
            setup_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_err("setup-directory: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (given[N_SUFFIX] == NULL) {
        cli_err("setup-directory: --suffix DN is required (the database's "
                "suffix, e.g. dc=example,dc=org)");
        return EXIT_USAGE;
    }
    rc = resolve(&s, given);
    for (size_t i = 0; rc == EXIT_OK && i < n_admin_in; i++) {
        rc = norm_dn("--admin", admin_in[i], &s.admin[i]);
        if (rc == EXIT_OK)
            s.n_admin = i + 1;
    }
    if (rc == EXIT_OK && !print) {
        cli_err("setup-directory only prints the LDIF, for you to review "
                "and apply: add --print");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK)
        rc = print_ldif(&s, stdout);
    setup_free(&s);
    return rc;
}
