/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_create.c - apikey create: make a key, store its digest, show it once */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ak_status.h"
#include "ak_store.h"
#include "newkey.h"
#include "when.h"

static void create_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey create [USER] [--days N | --expires DATE | "
            "--no-expiry]\n"
            "                     [--label TEXT] [--scope SERVICE[,...]] "
            "[--json]\n"
            "                     [--output FILE]\n"
            "\n"
            "Create an API key for yourself (the identity you bind as) or, "
            "with\n"
            "USER, for that user or service user (admins). Only a digest is "
            "stored;\n"
            "the key is printed once on standard output (or written to "
            "--output\n"
            "FILE), after the directory took it.\n"
            "\n"
            "  --days N          expire N days from now (default %d, or the\n"
            "                    policy's maximum lifetime if shorter)\n"
            "  --expires DATE    expire at DATE: YYYY-MM-DD (00:00 UTC),\n"
            "                    YYYY-MM-DDTHH:MM[:SS]Z, or +Nd (N days from "
            "now)\n"
            "  --no-expiry       never expire (refused under a require-expiry "
            "policy)\n"
            "  --label TEXT      a note for humans (64 bytes at most)\n"
            "  --scope LIST      only these PAM/SASL services accept the key\n"
            "  --json            print a JSON object instead of the bare "
            "key\n" NEWKEY_OUTPUT_HELP,
            NEWKEY_DEFAULT_DAYS);
}

/*
 * The key was stored but never reached standard output or its file (full
 * disk, closed pipe): nobody has it, so it must not stay usable. Revoke
 * it; if even that fails, say which key to revoke.
 */
static int withdraw(struct cli *cli, const struct newkey_out *out,
                    const char *dn, const struct ak_record *r)
{
    struct ak_holder h = {0};
    struct ak_conn *c = NULL;
    int rc;

    rc = cli_reread(cli, dn, &h);
    if (rc == EXIT_OK)
        rc = cli_conn(cli, &c);
    if (rc == EXIT_OK)
        rc = ak_store_revoke(c, &h, r->id, time(NULL), &cli->log) == AK_OK
                 ? EXIT_OK
                 : EXIT_INTERNAL;
    ak_holder_free(&h);
    if (rc == EXIT_OK) {
        cli_err("key %s was stored but could not be written to %s; it has "
                "been revoked, so no usable key was left behind",
                r->id, newkey_out_name(out));
        cli_audit(cli, "create", EXIT_NOT_SHOWN, r->id, dn,
                  "detail=\"not shown; revoked at once\"");
    } else {
        cli_err("INCOMPLETE: key %s was stored but could not be shown, and "
                "revoking it failed; revoke it now with 'apikey revoke %s'",
                r->id, r->id);
        cli_audit(cli, "create", EXIT_NOT_SHOWN, r->id, dn,
                  "detail=\"not shown; still active\"");
    }
    return EXIT_NOT_SHOWN;
}

/* One new key: what was asked, for whom, what is stored. */
struct creation {
    bool json;
    time_t now;
    const char *user; /* NULL: ourselves */
    struct newkey_opts o;
    struct newkey_out out;
    struct ak_record r;
    struct ak_holder h;
    char *key;
    char record[AK_RECORD_MAX + 1];
};

/* The command line. EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int create_args(int argc, char **argv, struct creation *cr)
{
    static const struct option longopts[] = {
        NEWKEY_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int rc = newkey_args(argc, argv, longopts, create_usage, &cr->o, &cr->json,
                         NULL, NULL);

    if (rc != EXIT_OK)
        return rc;
    if (optind + 1 < argc) {
        create_usage(stderr);
        return EXIT_USAGE;
    }
    cr->user = optind < argc ? argv[optind] : NULL;
    return EXIT_OK;
}

/* The record's label, scope and expiry (within the policy), and whose
 * key it is. */
static int plan(struct cli *cli, struct creation *cr)
{
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    int rc;

    if (cr->o.label != NULL)
        snprintf(cr->r.label, sizeof(cr->r.label), "%s", cr->o.label);
    if (cr->o.has_scope) {
        cr->r.n_scopes = cr->o.scope_rec.n_scopes;
        memcpy(cr->r.scopes, cr->o.scope_rec.scopes, sizeof(cr->r.scopes));
    }
    rc = cli_begin(cli, &conn, &pol);
    if (rc == EXIT_OK)
        rc = newkey_expiry(&cr->o, &pol, cr->now, 0, &cr->r);
    if (rc == EXIT_OK)
        rc = cr->user ? cli_find_user(cli, cr->user, &cr->h)
                      : cli_me(cli, &cr->h);
    if (rc == EXIT_OK && cr->h.disabled)
        cli_err("note: %s is disabled (apiKeyDisabled); its keys do not work "
                "until it is enabled",
                cr->h.dn);
    return rc;
}

/* Stored first, shown after: a key is never shown that was not kept; no
 * signal may come between the two (they stay blocked on success). An
 * --output file is made just before, so a refused one leaves nothing
 * stored. */
static int store(struct cli *cli, struct creation *cr)
{
    struct ak_conn *conn = NULL;
    int rc = newkey_make(cli, cr->now, &cr->r, &cr->key, cr->record);

    if (rc != EXIT_OK)
        return rc;
    newkey_block_signals(true);
    rc = newkey_out_open(&cr->out);
    if (rc == EXIT_OK) {
        rc = cli_conn(cli, &conn);
        if (rc == EXIT_OK) {
            rc = ak_store_add_record(conn, &cr->h, cr->record, &cr->r,
                                     &cli->log);
            if (rc != AK_OK)
                rc = cli_change_failed(cli, rc, "add a key", cr->h.dn);
        }
        if (rc != EXIT_OK)
            cli_audit(cli, "create", rc, cr->r.id, cr->h.dn, NULL);
    }
    if (rc != EXIT_OK)
        newkey_block_signals(false);
    return rc;
}

/* Show the key; if that fails, withdraw it. */
static int show(struct cli *cli, struct creation *cr)
{
    const struct ak_record *r = &cr->r;
    char date[64];

    if (!newkey_show(&cr->out, cr->key, &cr->h, r, cr->json, NULL)) {
        int rc = withdraw(cli, &cr->out, cr->h.dn, r);
        newkey_out_discard(&cr->out);
        newkey_block_signals(false);
        return rc;
    }
    newkey_block_signals(false);
    cli_audit(cli, "create", EXIT_OK, r->id, cr->h.dn, "expires=%s",
              r->has_expires ? cli_iso(date, sizeof(date), r->expires)
                             : "never");
    if (cr->json)
        return EXIT_OK;
    fprintf(stderr, "apikey: created key %s for %s (%s), expires %s.\n", r->id,
            cli_show(cr->h.name ? cr->h.name : cr->h.dn), cli_show(cr->h.dn),
            when_text(date, sizeof(date), r->has_expires, r->expires, cr->now));
    newkey_say_where(&cr->out, "key");
    return EXIT_OK;
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
    struct creation cr = {
        .json = cli->json, .now = time(NULL), .out = {.fd = -1}};
    int rc;

    newkey_opts_init(&cr.o);
    rc = create_args(argc, argv, &cr);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = newkey_out_check(cli, cr.o.output, &cr.out);
    if (rc != EXIT_OK)
        return rc;
    rc = plan(cli, &cr);
    if (rc == EXIT_OK)
        rc = store(cli, &cr);
    if (rc == EXIT_OK)
        rc = show(cli, &cr);
    newkey_out_discard(&cr.out); /* unless the key is in it */
    if (cr.key != NULL)
        sodium_free(cr.key);
    ak_holder_free(&cr.h);
    return rc;
}
