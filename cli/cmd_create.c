/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_create.c - apikey create: make a key, store its digest, show it once */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_key.h"
#include "ak_record.h"
#include "ak_status.h"
#include "ak_store.h"
#include "ak_time.h"
#include "cli.h"

/* Without --days/--expires/--no-expiry a key lives this long, or as long
 * as the policy allows if that is shorter. */
#define DEFAULT_DAYS 365

struct create_opts {
    const char *user;
    long days;           /* -1: not given */
    const char *expires; /* date text, or NULL */
    bool no_expiry;
    const char *label;
    const char *scope;
};

static void create_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey create USER [--days N | --expires DATE | "
            "--no-expiry]\n"
            "                     [--label TEXT] [--scope SERVICE[,...]] "
            "[--json]\n"
            "\n"
            "Create an API key for USER (a user or service user), store only "
            "its\n"
            "digest in the directory and print the key once on standard "
            "output.\n"
            "\n"
            "  --days N          expire N days from now (default %d, or the\n"
            "                    policy's maximum lifetime if shorter)\n"
            "  --expires DATE    expire at DATE: YYYY-MM-DD (00:00 UTC) or\n"
            "                    YYYY-MM-DDTHH:MM[:SS]Z\n"
            "  --no-expiry       never expire (refused under a require-expiry "
            "policy)\n"
            "  --label TEXT      a note for humans (64 bytes at most)\n"
            "  --scope LIST      only these PAM/SASL services accept the key\n"
            "  --json            print a JSON object instead of the bare key\n",
            DEFAULT_DAYS);
}

static int parse_scope(const char *list, struct ak_record *r)
{
    char buf[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
    char *save = NULL;

    if (strlen(list) >= sizeof(buf)) {
        cli_err("--scope: too many services");
        return EXIT_USAGE;
    }
    memcpy(buf, list, strlen(list) + 1);
    for (char *s = strtok_r(buf, ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        if (!ak_service_name_valid(s, strlen(s))) {
            cli_err("--scope: '%s' is not a service name (1-%d of a-z 0-9 "
                    ". _ -)",
                    s, AK_SERVICE_MAX);
            return EXIT_USAGE;
        }
        if (r->n_scopes >= AK_SCOPE_MAX) {
            cli_err("--scope: at most %d services", AK_SCOPE_MAX);
            return EXIT_USAGE;
        }
        for (unsigned k = 0; k < r->n_scopes; k++)
            if (strcmp(r->scopes[k], s) == 0) {
                cli_err("--scope: '%s' given twice", s);
                return EXIT_USAGE;
            }
        strcpy(r->scopes[r->n_scopes++], s);
    }
    if (r->n_scopes == 0) {
        cli_err("--scope: empty list");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, struct create_opts *o,
                      struct ak_record *r, bool *json)
{
    static const struct option longopts[] = {
        {"days", required_argument, NULL, 'd'},
        {"expires", required_argument, NULL, 'e'},
        {"no-expiry", no_argument, NULL, 'n'},
        {"label", required_argument, NULL, 'l'},
        {"scope", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, given = 0;

    o->days = -1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': {
            char *end = NULL;
            o->days = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || o->days < 1 ||
                o->days > 36500) {
                cli_err("--days '%s': give a number of days from 1 to 36500",
                        optarg);
                return EXIT_USAGE;
            }
            given++;
            break;
        }
        case 'e':
            o->expires = optarg;
            given++;
            break;
        case 'n':
            o->no_expiry = true;
            given++;
            break;
        case 'l':
            if (!ak_label_valid(optarg, strlen(optarg))) {
                cli_err("--label: at most %d bytes of UTF-8 text without "
                        "control characters",
                        AK_LABEL_MAX);
                return EXIT_USAGE;
            }
            o->label = optarg;
            break;
        case 's':
            if (parse_scope(optarg, r) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'j':
            *json = true;
            break;
        case 'h':
            create_usage(stdout);
            return -1;
        default:
            create_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (given > 1) {
        cli_err("give only one of --days, --expires and --no-expiry");
        return EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        create_usage(stderr);
        return EXIT_USAGE;
    }
    o->user = argv[optind];
    return EXIT_OK;
}

/* Decide the expiry from the options and the policy; check it. */
static int choose_expiry(const struct create_opts *o,
                         const struct ak_policy *pol, time_t now,
                         struct ak_record *r)
{
    char why[256];

    if (o->expires != NULL) {
        if (ak_time_parse_human(o->expires, &r->expires) != AK_OK) {
            cli_err("--expires '%s': not a date (use YYYY-MM-DD or "
                    "YYYY-MM-DDTHH:MM:SSZ)",
                    o->expires);
            return EXIT_USAGE;
        }
        r->has_expires = true;
    } else if (o->days > 0) {
        r->expires = now + (time_t)o->days * 86400;
        r->has_expires = true;
    } else if (!o->no_expiry) {
        long days = DEFAULT_DAYS;
        if (pol->max_lifetime_days > 0 && pol->max_lifetime_days < days)
            days = pol->max_lifetime_days;
        r->expires = now + (time_t)days * 86400;
        r->has_expires = true;
    }
    if (ak_policy_check_new(pol, now, r->has_expires, r->expires, why,
                            sizeof(why)) != AK_OK) {
        cli_err("refused: %s", why);
        return EXIT_DENIED;
    }
    return EXIT_OK;
}

static void print_json(const char *key, const struct ak_holder *h,
                       const struct ak_record *r)
{
    char ts[32];

    printf("{\"id\":");
    cli_json_str(stdout, r->id);
    printf(",\"key\":");
    cli_json_str(stdout, key);
    printf(",\"user\":");
    cli_json_str(stdout, h->name ? h->name : "");
    printf(",\"dn\":");
    cli_json_str(stdout, h->dn);
    printf(",\"service_user\":%s", h->service_user ? "true" : "false");
    printf(",\"created\":\"%s\"", cli_iso(ts, sizeof(ts), r->created));
    if (r->has_expires)
        printf(",\"expires\":\"%s\"", cli_iso(ts, sizeof(ts), r->expires));
    else
        printf(",\"expires\":null");
    printf(",\"label\":");
    cli_json_str(stdout, r->label);
    printf(",\"scope\":[");
    for (unsigned k = 0; k < r->n_scopes; k++) {
        if (k > 0)
            putchar(',');
        cli_json_str(stdout, r->scopes[k]);
    }
    printf("]}\n");
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
    struct create_opts o = {0};
    struct ak_record r = {0};
    struct ak_holder h = {0};
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    struct ak_key parsed;
    char *key = NULL;
    char record[AK_RECORD_MAX + 1];
    char date[40];
    bool json = cli->json;
    time_t now = time(NULL);
    int rc;

    rc = parse_args(argc, argv, &o, &r, &json);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_open(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_dir_acquire(cli->dir, false, &cli->log, &conn);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    rc = ak_store_read_policy(conn, cli->cfg, &cli->log, &pol);
    if (rc != AK_OK) {
        rc = rc == AK_ERR_MALFORMED ? EXIT_CONFIG : cli_exit_for(rc);
        goto out;
    }
    rc = choose_expiry(&o, &pol, now, &r);
    if (rc != EXIT_OK)
        goto out;
    rc = ak_store_find_user(conn, cli->cfg, o.user, &cli->log, &h);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("no user or service user '%s' under %s or %s", o.user,
                cli->cfg->user_base, cli->cfg->service_base);
        rc = EXIT_NOT_FOUND;
        goto out;
    }
    if (rc == AK_ERR_CONFLICT) {
        cli_err("several entries answer to '%s'; refusing to guess", o.user);
        rc = EXIT_CONFLICT;
        goto out;
    }
    if (rc != AK_OK) {
        rc = cli_exit_for(rc);
        goto out;
    }
    key = sodium_malloc(AK_KEY_MAX_LEN + 1);
    if (key == NULL || ak_key_generate(cli->cfg->key_prefix, key,
                                       AK_KEY_MAX_LEN + 1, &parsed) != AK_OK) {
        cli_err("cannot generate a key");
        rc = EXIT_INTERNAL;
        goto out;
    }
    memcpy(r.id, parsed.id, sizeof(r.id));
    r.created = now;
    if (o.label != NULL)
        snprintf(r.label, sizeof(r.label), "%s", o.label);
    ak_hash_new_salt(r.salt);
    if (ak_hash_compute(r.digest, key, strlen(key), r.salt) != AK_OK ||
        ak_record_format(&r, record, sizeof(record)) != AK_OK) {
        cli_err("cannot build the key record");
        rc = EXIT_INTERNAL;
        goto out;
    }
    /* Stored first, shown after: a key is never shown that was not kept. */
    rc = ak_store_add_record(conn, &h, record, &r, &cli->log);
    if (rc != AK_OK) {
        cli_err("could not store the key for %s: %s", h.dn, ak_strerror(rc));
        rc = cli_exit_for(rc);
        goto out;
    }
    if (json) {
        print_json(key, &h, &r);
    } else {
        printf("%s\n", key);
        fprintf(stderr,
                "apikey: created key %s for %s (%s), expires %s.\n"
                "apikey: this is the only time the key is shown; store it "
                "now.\n",
                r.id, h.name ? h.name : o.user, h.dn,
                cli_date(date, sizeof(date), r.has_expires, r.expires));
    }
    if (fflush(stdout) != 0) {
        cli_err("key %s was stored but could not be printed; revoke it with "
                "'apikey revoke %s'",
                r.id, r.id);
        rc = EXIT_INTERNAL;
        goto out;
    }
    rc = EXIT_OK;
out:
    if (key != NULL)
        sodium_free(key);
    ak_holder_free(&h);
    ak_dir_release(cli->dir, conn);
    return rc;
}
