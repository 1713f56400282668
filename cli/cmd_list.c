/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_list.c - apikey list: your keys, a user's, or the organisation's */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ak_dn.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"
#include "keys.h"
#include "when.h"

static void list_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey list [USER] [FILTERS] [--json]\n"
            "       apikey list --all [--service-users] [--owner NAME] "
            "[FILTERS] [--json]\n"
            "\n"
            "Without USER: your own keys. With USER: the keys of that user or "
            "service\n"
            "user. With --all (admins): every key in the organisation. Shown: "
            "id,\n"
            "label, creation, effective expiry (the policy applied), last "
            "use, state,\n"
            "scope, and the expiry notices sent for it (apikey-expiryd). "
            "Keys are never\n"
            "shown: only their digests are stored.\n"
            "\n"
            "  --all               every user's and service user's keys\n"
            "  --service-users     only service users' keys (implies --all)\n"
            "  --owner NAME        keys of NAME and of the service users NAME "
            "is\n"
            "                      responsible for (implies --all)\n"
            "Filters (all given ones must hold):\n"
            "  --active, --expired, --revoked   keys in these states\n"
            "  --expiring DAYS     active keys expiring within DAYS days\n"
            "  --unused DAYS       not used for DAYS days (never-used keys "
            "count\n"
            "                      from their creation); needs "
            "track_last_use\n"
            "  --never-used        never used; needs track_last_use\n"
            "  --json              a JSON array instead of a table\n");
}

struct scan {
    struct cli *cli;
    struct keys_out *out;
    const char *owner_dn; /* --owner: NULL for none */
};

static bool owned_by(const struct ak_holder *h, const char *dn)
{
    if (ak_dn_equal(h->dn, dn))
        return true;
    for (unsigned i = 0; i < h->n_owners; i++)
        if (ak_dn_equal(h->owners[i], dn))
            return true;
    return false;
}

static int scan_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct scan *s = ctx;
    const struct ak_config *cfg = s->cli->cfg;
    struct ak_holder h;
    int rc = ak_holder_fill(ld, e, cfg, time(NULL), &h);

    if (rc != AK_OK)
        return rc;
    /* the search base may hold more than our two trees */
    if ((ak_dn_is_under(h.dn, cfg->user_base) ||
         ak_dn_is_under(h.dn, cfg->service_base)) &&
        (s->owner_dn == NULL || owned_by(&h, s->owner_dn)))
        keys_holder(s->out, &h);
    ak_holder_free(&h);
    return AK_OK;
}

/* Every holder of keys in the organisation, page by page. */
static int list_all(struct cli *cli, struct keys_out *out, bool services_only,
                    const char *owner_dn)
{
    const struct ak_config *cfg = cli->cfg;
    char *attrs[AK_HOLDER_N_ATTRS + 1];
    struct scan s = {.cli = cli, .out = out, .owner_dn = owner_dn};
    const char *env = getenv("APIKEY_PAGE_SIZE");
    unsigned page = env ? (unsigned)strtoul(env, NULL, 10) : 0;
    char *filter = NULL;
    int rc;

    if (services_only)
        rc = asprintf(&filter,
                      "(&(objectClass=" AK_OC_HOLDER ")(" AK_AT_ID "=*)%s)",
                      cfg->service_filter);
    else
        rc = asprintf(
            &filter, "(&(objectClass=" AK_OC_HOLDER ")(" AK_AT_ID "=*)(|%s%s))",
            cfg->user_filter, cfg->service_filter);
    if (rc < 0)
        return EXIT_INTERNAL;
    ak_holder_attrs(cfg, attrs);
    /* an entry too big to read costs only its own keys' lines */
    rc = cli_scan(cli, services_only ? cfg->service_base : cfg->search_base,
                  filter, attrs, page, scan_entry, &s,
                  "its keys are not listed");
    free(filter);
    return rc;
}

/* What the command line asks for. */
struct list_args {
    struct keysel sel;
    bool json, all, services;
    const char *owner; /* --owner */
    const char *user;  /* USER, NULL: ourselves (or --all) */
};

/* One selection option into a->sel. */
static int list_filter(int c, const char *arg, struct list_args *a)
{
    switch (c) {
    case 'A':
        a->sel.active = true;
        break;
    case 'E':
        a->sel.expired = true;
        break;
    case 'R':
        a->sel.revoked = true;
        break;
    case 'N':
        a->sel.never_used = true;
        break;
    default: /* 'x', 'u' */
        if (when_parse_days(arg, 0, 36500,
                            c == 'x' ? &a->sel.expiring_days
                                     : &a->sel.unused_days) != AK_OK) {
            cli_err("--%s '%s': give a number of days",
                    c == 'x' ? "expiring" : "unused", arg);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* The command line. EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int list_args(int argc, char **argv, struct list_args *a)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'},
        {"service-users", no_argument, NULL, 'S'},
        {"owner", required_argument, NULL, 'o'},
        {"active", no_argument, NULL, 'A'},
        {"expired", no_argument, NULL, 'E'},
        {"revoked", no_argument, NULL, 'R'},
        {"expiring", required_argument, NULL, 'x'},
        {"unused", required_argument, NULL, 'u'},
        {"never-used", no_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'a' || c == 'S' || c == 'o') {
            a->all = true;
            a->services = a->services || c == 'S';
            a->owner = c == 'o' ? optarg : a->owner;
        } else if (c == 'j') {
            a->json = true;
        } else if (c == 'h') {
            list_usage(stdout);
            return -1;
        } else if (c == '?' || c == ':') {
            list_usage(stderr);
            return EXIT_USAGE;
        } else if (list_filter(c, optarg, a) != EXIT_OK) {
            return EXIT_USAGE;
        }
    }
    if (optind + 1 < argc || (a->all && optind < argc)) {
        if (a->all && optind < argc)
            cli_err("give USER or --all/--service-users/--owner, not both");
        list_usage(stderr);
        return EXIT_USAGE;
    }
    a->user = optind < argc ? argv[optind] : NULL;
    return EXIT_OK;
}

/* Last-use filters mean nothing while last use is not recorded. */
static int need_tracking(struct cli *cli, const struct keysel *sel)
{
    int rc = cli_load_config(cli);

    if (rc != EXIT_OK)
        return rc;
    if ((sel->unused_days >= 0 || sel->never_used) &&
        !cli->cfg->track_last_use) {
        cli_err("--unused and --never-used need last-use tracking, and %s "
                "has track_last_use off: without it every key looks unused",
                cli->cfg->path);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* An empty listing of one holder, in one line: "alice has no keys". */
static void none_of(const struct ak_holder *h, bool self)
{
    const char *who = h->name ? h->name : h->dn;

    if (h->n_records > 0)
        cli_err("%s has no keys that match the filters (%u in all)", who,
                h->n_records);
    else if (self)
        cli_err("%s (you) has no keys; make one with: apikey create", who);
    else
        cli_err("%s has no keys (or none that you may see)", who);
}

/* The keys of one holder (USER, or ourselves), or of everyone. */
static int list_keys(struct cli *cli, const struct list_args *a,
                     struct keys_out *out)
{
    struct ak_holder h = {0}, owner = {0};
    int rc = EXIT_OK;

    if (a->owner != NULL)
        rc = cli_find_user(cli, a->owner, &owner);
    if (rc == EXIT_OK && a->all) {
        out->with_user = true;
        keys_begin(out);
        rc = list_all(cli, out, a->services, owner.dn);
        keys_end(out);
    } else if (rc == EXIT_OK) {
        rc = a->user ? cli_find_user(cli, a->user, &h) : cli_me(cli, &h);
        if (rc == EXIT_OK) {
            keys_begin(out);
            keys_holder(out, &h);
            keys_end(out);
        }
        if (rc == EXIT_OK && out->shown == 0 && !out->json)
            none_of(&h, a->user == NULL);
    }
    ak_holder_free(&h);
    ak_holder_free(&owner);
    return rc;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
    struct list_args a = {.json = cli->json};
    struct keys_out out = {0};
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    int rc;

    keysel_init(&a.sel);
    rc = list_args(argc, argv, &a);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = need_tracking(cli, &a.sel);
    if (rc == EXIT_OK)
        rc = cli_begin(cli, &conn, &pol);
    if (rc != EXIT_OK)
        return rc;
    out.f = stdout;
    out.json = a.json;
    out.tracked = cli->cfg->track_last_use;
    out.now = time(NULL);
    out.pol = &pol;
    out.sel = &a.sel;
    out.log = &cli->log;
    rc = list_keys(cli, &a, &out);
    if (rc == EXIT_OK && out.shown == 0 && !out.json && a.all)
        cli_err("no keys%s (or none that you may see)",
                a.owner ? " of that owner" : "");
    return rc;
}
