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

/* One rotation: what was asked, what was read, what is written. */
struct rotation {
    const char *kid;
    bool json;
    long grace;
    time_t now;
    struct newkey_opts o;
    struct newkey_out out;
    struct ak_record old_r, r;
    struct ak_holder h;
    struct ak_policy pol;
    char *key, *assertion;
    char record[AK_RECORD_MAX + 1], ended[AK_REVOCATION_MAX + 1];
    time_t old_end;
};

/* --grace DAYS: how long the old key keeps working. */
static int grace_opt(void *ctx, int c, const char *arg)
{
    if (c != 'g')
        return EXIT_USAGE;
    if (when_parse_days(arg, 0, 3650, ctx) != AK_OK) {
        cli_err("--grace '%s': give a number of days from 0 to 3650", arg);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The command line. EXIT_OK, EXIT_USAGE, or -1 after --help. */
static int rotate_args(int argc, char **argv, struct rotation *rt)
{
    static const struct option longopts[] = {
        NEWKEY_LONGOPTS,
        {"grace", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int rc = newkey_args(argc, argv, longopts, rotate_usage, &rt->o, &rt->json,
                         grace_opt, &rt->grace);

    if (rc != EXIT_OK)
        return rc;
    if (optind + 1 != argc) {
        rotate_usage(stderr);
        return EXIT_USAGE;
    }
    rt->kid = argv[optind];
    /* before any bind or password prompt */
    return cli_kid_ok(rt->kid) ? EXIT_OK : EXIT_USAGE;
}

/* The old key, if it may be rotated, and the policy. */
static int find_old(struct cli *cli, struct rotation *rt)
{
    struct ak_conn *conn = NULL;
    char d[64];
    int rc = cli_open_self(cli);

    if (rc == EXIT_OK)
        rc = cli_find_key(cli, rt->kid, &rt->h, &rt->old_r);
    if (rc != EXIT_OK)
        return rc;
    if (rt->old_r.is_revoked) {
        cli_err("key %s is revoked; a revoked key is not rotated (create a "
                "new one)",
                rt->kid);
        return EXIT_DENIED;
    }
    if (rt->old_r.has_end) {
        cli_err("key %s was rotated already (it stops working %s); rotate "
                "its successor, or revoke it",
                rt->kid, cli_iso(d, sizeof(d), rt->old_r.end));
        return EXIT_DENIED;
    }
    rc = cli_conn(cli, &conn);
    return rc == EXIT_OK ? cli_read_policy(cli, conn, &rt->pol) : rc;
}

/* The new key: the old one's label, scope and lifetime unless told. */
static int plan_new(struct rotation *rt)
{
    const struct ak_record *old = &rt->old_r;
    struct newkey_opts *o = &rt->o;
    struct ak_record *r = &rt->r;
    time_t lifetime = 0;

    snprintf(r->label, sizeof(r->label), "%s",
             o->label ? o->label : old->label);
    r->n_scopes = o->has_scope ? o->scope_rec.n_scopes : old->n_scopes;
    memcpy(r->scopes, o->has_scope ? o->scope_rec.scopes : old->scopes,
           sizeof(r->scopes));
    if (old->has_expires && old->expires > old->created)
        lifetime = old->expires - old->created;
    else if (!old->has_expires && o->n_expiry_opts == 0 &&
             !rt->pol.require_expiry && rt->pol.max_lifetime_days == 0)
        o->no_expiry = true; /* it never expired; neither does its successor */
    return newkey_expiry(o, &rt->pol, rt->now, lifetime, r);
}

/* The old key ends after the grace period (earlier, if it would anyway):
 * an apiKeyRevoked value, since its record is never rewritten. The write
 * happens only while nobody else ended it meanwhile. */
static int plan_end(struct rotation *rt)
{
    if (ak_revocation_format(rt->kid, rt->now + (time_t)rt->grace * 86400,
                             AK_END_ROTATED, rt->ended) != AK_OK ||
        !ak_revocation_apply(&rt->old_r, rt->ended, strlen(rt->ended)) ||
        !ak_policy_effective_expiry(&rt->pol, &rt->old_r, &rt->old_end) ||
        ak_store_end_unchanged(&rt->h, rt->kid, AK_END_ROTATED,
                               &rt->assertion) != AK_OK)
        return EXIT_INTERNAL;
    return EXIT_OK;
}

/* One write: the old key's end and the new key, only while the old key's
 * end is as we read it (a concurrent rotate or revoke of it makes this
 * fail whole). */
static int write_rotation(struct cli *cli, struct rotation *rt)
{
    const char *add[] = {rt->record, NULL};
    const char *ids[] = {rt->r.id, NULL};
    const char *ends[] = {rt->ended, NULL};
    struct ak_change ch = {.add = add,
                           .add_ids = ids,
                           .add_revoked = ends,
                           .assertion = rt->assertion};
    struct ak_conn *conn = NULL;
    int rc = cli_conn(cli, &conn);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_change(conn, &rt->h, &ch, &cli->log);
    if (rc == AK_ERR_CONFLICT) {
        cli_err("key %s changed while being rotated (by someone else); "
                "nothing written, check with 'apikey list' and try again",
                rt->kid);
        return EXIT_CONFLICT;
    }
    return rc == AK_OK ? EXIT_OK
                       : cli_change_failed(cli, rc, "rotate a key", rt->h.dn);
}

/* Make the key, open where it goes, store it; signals stay blocked from
 * the write until the key is shown (or withdrawn). */
static int store(struct cli *cli, struct rotation *rt)
{
    int rc = newkey_make(cli, rt->now, &rt->r, &rt->key, rt->record);

    if (rc != EXIT_OK)
        return rc;
    cli_test_delay();
    newkey_block_signals(true);
    rc = newkey_out_open(&rt->out);
    if (rc == EXIT_OK) {
        rc = write_rotation(cli, rt);
        if (rc != EXIT_OK)
            cli_audit(cli, "rotate", rc, rt->kid, rt->h.dn, NULL);
    }
    if (rc != EXIT_OK)
        newkey_block_signals(false);
    return rc;
}

/* Show the new key; if that fails, withdraw it. */
static int show(struct cli *cli, struct rotation *rt)
{
    const struct ak_holder *h = &rt->h;
    char d1[64], d2[64];

    if (!newkey_show(&rt->out, rt->key, h, &rt->r, rt->json, rt->kid)) {
        int rc = withdraw(cli, &rt->out, h->dn, rt->ended, &rt->r, rt->old_end);
        newkey_out_discard(&rt->out);
        newkey_block_signals(false);
        return rc;
    }
    newkey_block_signals(false);
    cli_audit(cli, "rotate", EXIT_OK, rt->kid, h->dn,
              "new_key=%s old_expires=%s", rt->r.id,
              cli_iso(d1, sizeof(d1), rt->old_end));
    if (rt->json)
        return EXIT_OK;
    fprintf(
        stderr,
        "apikey: rotated key %s of %s: the new key is %s (expires "
        "%s);\n"
        "apikey: the old key now expires %s.\n",
        rt->kid, cli_show(h->name ? h->name : h->dn), rt->r.id,
        when_text(d2, sizeof(d2), rt->r.has_expires, rt->r.expires, rt->now),
        when_text(d1, sizeof(d1), true, rt->old_end, rt->now));
    newkey_say_where(&rt->out, "new key");
    return EXIT_OK;
}

int cmd_rotate(struct cli *cli, int argc, char **argv)
{
    struct rotation rt = {.json = cli->json,
                          .grace = DEFAULT_GRACE_DAYS,
                          .now = time(NULL),
                          .out = {.fd = -1}};
    int rc;

    newkey_opts_init(&rt.o);
    rc = rotate_args(argc, argv, &rt);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = newkey_out_check(cli, rt.o.output, &rt.out);
    if (rc != EXIT_OK)
        return rc;
    rc = find_old(cli, &rt);
    if (rc == EXIT_OK)
        rc = plan_new(&rt);
    if (rc == EXIT_OK)
        rc = plan_end(&rt);
    if (rc == EXIT_OK)
        rc = store(cli, &rt);
    if (rc == EXIT_OK)
        rc = show(cli, &rt);
    newkey_out_discard(&rt.out); /* unless the key is in it */
    if (rt.key != NULL)
        sodium_free(rt.key);
    free(rt.assertion);
    ak_holder_free(&rt.h);
    return rc;
}
