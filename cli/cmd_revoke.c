/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_revoke.c - apikey revoke: mark a key revoked, effective at once */
#include <getopt.h>
#include <string.h>

#include "ak_key.h"
#include "ak_record.h"
#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"

static void revoke_usage(FILE *f)
{
    fprintf(f, "Usage: apikey revoke KEYID\n"
               "\n"
               "Revoke the key with id KEYID (the 16 characters after the "
               "prefix,\nas 'apikey list' shows them): your own, or any key "
               "if you are an\nadmin. It stops working at once. The record "
               "stays and an apiKeyRevoked\nvalue marks it revoked, so logs "
               "and listings can still name it; only\nan admin can take a "
               "revocation back.\n");
}

int cmd_revoke(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ak_holder h = {0};
    struct ak_conn *conn = NULL;
    struct ak_record r;
    const char *kid;
    int c, rc;

    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'h') {
            revoke_usage(stdout);
            return EXIT_OK;
        }
        revoke_usage(stderr);
        return EXIT_USAGE;
    }
    if (optind + 1 != argc) {
        revoke_usage(stderr);
        return EXIT_USAGE;
    }
    kid = argv[optind];
    if (!cli_kid_ok(kid)) /* before any bind or password prompt */
        return EXIT_USAGE;
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = cli_find_key(cli, kid, &h, &r);
    if (rc != EXIT_OK)
        goto out;
    if (r.is_revoked) {
        printf("key %s of %s was already revoked\n", kid,
               cli_show(h.name ? h.name : h.dn));
        rc = EXIT_OK;
        goto out;
    }
    cli_test_delay();
    rc = cli_conn(cli, &conn);
    if (rc == EXIT_OK) {
        rc = ak_store_revoke(conn, &h, kid, time(NULL), &cli->log);
        if (rc == AK_ERR_CONFLICT) {
            cli_err("key %s changed while being revoked (by someone else); "
                    "nothing written, check with 'apikey list' and try again",
                    kid);
            rc = EXIT_CONFLICT;
        } else if (rc == AK_ERR_FULL) {
            cli_err("%s holds as many ends of keys as the directory allows, "
                    "and you may not remove one to make room: ask a key "
                    "admin to revoke key %s (theirs makes room)",
                    h.dn, kid);
            rc = EXIT_DENIED;
        } else if (rc != AK_OK) {
            rc = cli_change_failed(cli, rc, "revoke a key", h.dn);
        }
    }
    cli_audit(cli, "revoke", rc, kid, h.dn, NULL);
    if (rc != EXIT_OK)
        goto out;
    printf("revoked key %s of %s\n", kid, cli_show(h.name ? h.name : h.dn));
out:
    ak_holder_free(&h);
    return rc;
}
