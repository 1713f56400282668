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

int cmd_create(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        NEWKEY_LONGOPTS,
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct newkey_opts o;
    struct newkey_out out = {.fd = -1};
    struct ak_record r = {0};
    struct ak_holder h = {0};
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    char *key = NULL;
    char record[AK_RECORD_MAX + 1];
    char date[64];
    bool json = cli->json;
    time_t now = time(NULL);
    int c, rc;

    newkey_opts_init(&o);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            create_usage(stdout);
            return EXIT_OK;
        } else if (c == '?' || newkey_opt(&o, c, optarg) != EXIT_OK) {
            if (c == '?')
                create_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (newkey_check(&o) != EXIT_OK)
        return EXIT_USAGE;
    if (optind + 1 < argc) {
        create_usage(stderr);
        return EXIT_USAGE;
    }
    rc = newkey_out_check(cli, o.output, &out);
    if (rc != EXIT_OK)
        return rc;
    if (o.label != NULL)
        snprintf(r.label, sizeof(r.label), "%s", o.label);
    if (o.has_scope) {
        r.n_scopes = o.scope_rec.n_scopes;
        memcpy(r.scopes, o.scope_rec.scopes, sizeof(r.scopes));
    }
    rc = cli_begin(cli, &conn, &pol);
    if (rc != EXIT_OK)
        goto out;
    rc = newkey_expiry(&o, &pol, now, 0, &r);
    if (rc != EXIT_OK)
        goto out;
    rc = optind < argc ? cli_find_user(cli, argv[optind], &h) : cli_me(cli, &h);
    if (rc != EXIT_OK)
        goto out;
    if (h.disabled)
        cli_err("note: %s is disabled (apiKeyDisabled); its keys do not work "
                "until it is enabled",
                h.dn);
    rc = newkey_make(cli, now, &r, &key, record);
    if (rc != EXIT_OK)
        goto out;
    /* Stored first, shown after: a key is never shown that was not kept;
     * no signal may come between the two. An --output file is made just
     * before, so a refused one leaves nothing stored. */
    newkey_block_signals(true);
    rc = newkey_out_open(&out);
    if (rc != EXIT_OK) {
        newkey_block_signals(false);
        goto out;
    }
    rc = cli_conn(cli, &conn);
    if (rc == EXIT_OK) {
        rc = ak_store_add_record(conn, &h, record, &r, &cli->log);
        if (rc != AK_OK)
            rc = cli_change_failed(cli, rc, "add a key", h.dn);
    }
    if (rc != EXIT_OK) {
        newkey_block_signals(false);
        cli_audit(cli, "create", rc, r.id, h.dn, NULL);
        goto out;
    }
    if (!newkey_show(&out, key, &h, &r, json, NULL)) {
        rc = withdraw(cli, &out, h.dn, &r);
        newkey_out_discard(&out);
        newkey_block_signals(false);
        goto out;
    }
    newkey_block_signals(false);
    cli_audit(cli, "create", EXIT_OK, r.id, h.dn, "expires=%s",
              r.has_expires ? cli_iso(date, sizeof(date), r.expires) : "never");
    if (!json)
        fprintf(stderr, "apikey: created key %s for %s (%s), expires %s.\n",
                r.id, h.name ? h.name : h.dn, h.dn,
                when_text(date, sizeof(date), r.has_expires, r.expires, now));
    if (!json)
        newkey_say_where(&out, "key");
    rc = EXIT_OK;
out:
    newkey_out_discard(&out); /* unless the key is in it */
    if (key != NULL)
        sodium_free(key);
    ak_holder_free(&h);
    return rc;
}
