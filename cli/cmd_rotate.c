/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_rotate.c - apikey rotate: a new key, the old one expires after grace */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ak_key.h"
#include "ak_revocation.h"
#include "ak_status.h"
#include "ak_store.h"
#include "newkey.h"
#include "when.h"

#define DEFAULT_GRACE_DAYS 7

static void rotate_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey rotate KEYID [--grace DAYS] [--days N | --expires "
            "DATE |\n"
            "                     --no-expiry] [--label TEXT] [--scope "
            "LIST] [--json]\n"
            "                     [--output FILE]\n"
            "\n"
            "Replace the key KEYID (yours, or any key if you are an admin) by "
            "a new\n"
            "one with the same label and scope, printed once on standard "
            "output\n"
            "(or written to --output FILE).\n"
            "The old key keeps working for the grace period, then expires, "
            "so\n"
            "clients can move over. Both changes are one directory write.\n"
            "\n"
            "  --grace DAYS      how long the old key still works (default "
            "%d;\n"
            "                    0: it stops now); never longer than it had\n"
            "  --days, --expires, --no-expiry\n"
            "                    the new key's expiry (default: the old "
            "key's\n"
            "                    lifetime, within the policy)\n"
            "  --label, --scope  change the label or scope of the new key\n"
            "  --json            print a JSON object instead of the bare "
            "key\n" NEWKEY_OUTPUT_HELP,
            DEFAULT_GRACE_DAYS);
}

/* Undo a rotation whose new key could not be shown: the rotation's end of
 * the old key taken back and the new key revoked, in one write. Taking an
 * end back is an admin's right (the owner may add apiKeyRevoked values,
 * never delete them): for an owner only the new key is revoked, and the
 * old one still ends as the rotation said. */
static int withdraw(struct cli *cli, const struct newkey_out *out,
                    const char *dn, const char *ended,
                    const struct ak_record *r, time_t old_end)
{
    struct ak_holder h = {0};
    char revoked[AK_REVOCATION_MAX + 1], d[64];
    const char *del[] = {ended, NULL};
    const char *add[] = {revoked, NULL};
    struct ak_change ch = {.del_revoked = del, .add_revoked = add};
    struct ak_conn *c = NULL;
    bool old_back = false;
    int rc;

    rc = ak_revocation_format(r->id, time(NULL), AK_END_REVOKED, revoked) ==
                 AK_OK
             ? cli_reread(cli, dn, &h)
             : EXIT_INTERNAL;
    if (rc == EXIT_OK)
        rc = cli_conn(cli, &c);
    if (rc == EXIT_OK) {
        rc = ak_store_change(c, &h, &ch, &cli->log);
        old_back = rc == AK_OK;
        if (rc == AK_ERR_DENIED)
            rc = ak_store_revoke(c, &h, r->id, time(NULL), &cli->log);
        rc = rc == AK_OK ? EXIT_OK : EXIT_INTERNAL;
    }
    ak_holder_free(&h);
    if (rc == EXIT_OK && old_back) {
        cli_err("the new key %s was stored but could not be written to %s; "
                "it has been revoked and the old key restored as it was",
                r->id, newkey_out_name(out));
        cli_audit(cli, "rotate", EXIT_NOT_SHOWN, r->id, dn,
                  "detail=\"not shown; undone\"");
    } else if (rc == EXIT_OK) {
        cli_err("the new key %s was stored but could not be written to %s; "
                "it has been revoked. The old key still stops working %s as "
                "the rotation set (only an admin can take that back): make a "
                "new key with 'apikey create'",
                r->id, newkey_out_name(out), cli_iso(d, sizeof(d), old_end));
        cli_audit(cli, "rotate", EXIT_NOT_SHOWN, r->id, dn,
                  "detail=\"not shown; new key revoked\"");
    } else {
        cli_err("INCOMPLETE: the new key %s was stored but could not be "
                "shown, and undoing failed; revoke it with 'apikey revoke "
                "%s' (the old key now expires early: make a new key)",
                r->id, r->id);
        cli_audit(cli, "rotate", EXIT_NOT_SHOWN, r->id, dn,
                  "detail=\"not shown; still active\"");
    }
    return EXIT_NOT_SHOWN;
}

int cmd_rotate(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        NEWKEY_LONGOPTS,
        {"grace", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct newkey_opts o;
    struct newkey_out out = {.fd = -1};
    struct ak_record old_r, r = {0};
    struct ak_holder h = {0};
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    const char *kid;
    char *key = NULL, *assertion = NULL;
    char record[AK_RECORD_MAX + 1], ended[AK_REVOCATION_MAX + 1];
    char d1[64], d2[64];
    bool json = cli->json;
    long grace = DEFAULT_GRACE_DAYS;
    time_t now = time(NULL), lifetime = 0, old_end = 0;
    int c, rc;

    newkey_opts_init(&o);
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'g') {
            if (when_parse_days(optarg, 0, 3650, &grace) != AK_OK) {
                cli_err("--grace '%s': give a number of days from 0 to 3650",
                        optarg);
                return EXIT_USAGE;
            }
        } else if (c == 'h') {
            rotate_usage(stdout);
            return EXIT_OK;
        } else if (c == '?' || newkey_opt(&o, c, optarg) != EXIT_OK) {
            if (c == '?')
                rotate_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (newkey_check(&o) != EXIT_OK)
        return EXIT_USAGE;
    if (optind + 1 != argc) {
        rotate_usage(stderr);
        return EXIT_USAGE;
    }
    kid = argv[optind];
    if (!cli_kid_ok(kid)) /* before any bind or password prompt */
        return EXIT_USAGE;
    rc = newkey_out_check(cli, o.output, &out);
    if (rc != EXIT_OK)
        return rc;
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        goto out;
    rc = cli_find_key(cli, kid, &h, &old_r);
    if (rc != EXIT_OK)
        goto out;
    if (old_r.is_revoked) {
        cli_err("key %s is revoked; a revoked key is not rotated (create a "
                "new one)",
                kid);
        rc = EXIT_DENIED;
        goto out;
    }
    if (old_r.has_end) {
        cli_err("key %s was rotated already (it stops working %s); rotate "
                "its successor, or revoke it",
                kid, cli_iso(d1, sizeof(d1), old_r.end));
        rc = EXIT_DENIED;
        goto out;
    }
    rc = cli_conn(cli, &conn);
    if (rc != EXIT_OK)
        goto out;
    rc = cli_read_policy(cli, conn, &pol);
    if (rc != EXIT_OK)
        goto out;
    /* The new key: the old one's label, scope and lifetime unless told. */
    snprintf(r.label, sizeof(r.label), "%s", o.label ? o.label : old_r.label);
    if (o.has_scope) {
        r.n_scopes = o.scope_rec.n_scopes;
        memcpy(r.scopes, o.scope_rec.scopes, sizeof(r.scopes));
    } else {
        r.n_scopes = old_r.n_scopes;
        memcpy(r.scopes, old_r.scopes, sizeof(r.scopes));
    }
    if (old_r.has_expires && old_r.expires > old_r.created)
        lifetime = old_r.expires - old_r.created;
    else if (!old_r.has_expires && o.n_expiry_opts == 0 &&
             !pol.require_expiry && pol.max_lifetime_days == 0)
        o.no_expiry = true; /* it never expired; neither does its successor */
    rc = newkey_expiry(&o, &pol, now, lifetime, &r);
    if (rc != EXIT_OK)
        goto out;
    /* The old key ends after the grace period (earlier, if it would
     * anyway): an apiKeyRevoked value, since its record is never rewritten.
     * The write happens only while nobody else ended it meanwhile. */
    if (ak_revocation_format(kid, now + (time_t)grace * 86400, AK_END_ROTATED,
                             ended) != AK_OK ||
        !ak_revocation_apply(&old_r, ended, strlen(ended)) ||
        !ak_policy_effective_expiry(&pol, &old_r, &old_end) ||
        ak_store_end_unchanged(&h, kid, AK_END_ROTATED, &assertion) != AK_OK) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    rc = newkey_make(cli, now, &r, &key, record);
    if (rc != EXIT_OK)
        goto out;
    cli_test_delay();
    newkey_block_signals(true);
    rc = newkey_out_open(&out);
    if (rc != EXIT_OK) {
        newkey_block_signals(false);
        goto out;
    }
    rc = cli_conn(cli, &conn);
    if (rc == EXIT_OK) {
        /* One write: the old key's end and the new key, only while the
         * old key's end is as we read it (a concurrent rotate or revoke of
         * it makes this fail whole). */
        const char *add[] = {record, NULL};
        const char *ids[] = {r.id, NULL};
        const char *ends[] = {ended, NULL};
        struct ak_change ch = {.add = add,
                               .add_ids = ids,
                               .add_revoked = ends,
                               .assertion = assertion};
        rc = ak_store_change(conn, &h, &ch, &cli->log);
        if (rc == AK_ERR_CONFLICT) {
            cli_err("key %s changed while being rotated (by someone else); "
                    "nothing written, check with 'apikey list' and try again",
                    kid);
            rc = EXIT_CONFLICT;
        } else if (rc != AK_OK) {
            rc = cli_change_failed(cli, rc, "rotate a key", h.dn);
        }
    }
    if (rc != EXIT_OK) {
        newkey_block_signals(false);
        cli_audit(cli, "rotate", rc, kid, h.dn, NULL);
        goto out;
    }
    if (!newkey_show(&out, key, &h, &r, json, kid)) {
        rc = withdraw(cli, &out, h.dn, ended, &r, old_end);
        newkey_out_discard(&out);
        newkey_block_signals(false);
        goto out;
    }
    newkey_block_signals(false);
    cli_audit(cli, "rotate", EXIT_OK, kid, h.dn, "new_key=%s old_expires=%s",
              r.id, cli_iso(d1, sizeof(d1), old_end));
    if (!json)
        fprintf(stderr,
                "apikey: rotated key %s of %s: the new key is %s (expires "
                "%s);\n"
                "apikey: the old key now expires %s.\n",
                kid, h.name ? h.name : h.dn, r.id,
                when_text(d2, sizeof(d2), r.has_expires, r.expires, now),
                when_text(d1, sizeof(d1), true, old_end, now));
    if (!json)
        newkey_say_where(&out, "new key");
    rc = EXIT_OK;
out:
    newkey_out_discard(&out); /* unless the key is in it */
    if (key != NULL)
        sodium_free(key);
    free(assertion);
    ak_holder_free(&h);
    return rc;
}
