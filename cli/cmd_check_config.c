/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_check_config.c - apikey check-config: validate, then try to connect */
#include <getopt.h>
#include <stdio.h>

#include "access_check.h"
#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"

static void check_usage(FILE *f)
{
    fprintf(f, "Usage: apikey [-U USER|-D DN|-Y MECH] check-config [--dump] "
               "[--offline]\n"
               "\n"
               "Check apikey.conf as the PAM module and SASL plugin read it, "
               "then\nbind and read the policy entry as they would. Run as a "
               "key admin\n(-U, -D or -Y) it also compares what the "
               "verifier's bind can read\nwith what you see: user names, key "
               "ids, records, ends of keys and\nevery lock attribute, on "
               "people and on service users.\n"
               "  --dump     print every setting (no secrets: only file "
               "paths)\n"
               "  --offline  do not contact the directory\n");
}

static void emit(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

/* With an identity of the caller's (a key admin): what the verifier's bind
 * misses. Without one there is nobody to compare with. */
static int compare_access(struct cli *cli, struct ak_dir *vdir)
{
    struct ak_conn *ac = NULL;
    bool problem = false;
    int rc;

    if (cli->bind_user == NULL && cli->bind_dn == NULL && cli->mech == NULL) {
        printf("verifier's view: not compared (run as a key admin with -U, "
               "-D or -Y to see which attributes the verifier cannot "
               "read)\n");
        return EXIT_OK;
    }
    rc = cli_open(cli);
    if (rc == EXIT_OK)
        rc = cli_conn(cli, &ac);
    if (rc != EXIT_OK)
        return rc;
    rc = access_check(ac, vdir, cli->cfg, &cli->log, &problem);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    if (problem) {
        cli_err("the verifier cannot read everything it decides from (see "
                "PROBLEM above)");
        return EXIT_DENIED;
    }
    return EXIT_OK;
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dump", no_argument, NULL, 'd'},
        {"offline", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ak_conn *conn = NULL;
    struct ak_dir *vdir = NULL;
    struct ak_policy pol;
    bool dump = false, offline = false;
    int c, rc;

    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'd') {
            dump = true;
        } else if (c == 'o') {
            offline = true;
        } else if (c == 'h') {
            check_usage(stdout);
            return EXIT_OK;
        } else {
            check_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        check_usage(stderr);
        return EXIT_USAGE;
    }
    rc = cli_load_config(cli);
    if (rc != EXIT_OK)
        return rc;
    if (dump)
        ak_config_dump(cli->cfg, emit, NULL);
    printf("%s: syntax ok\n", cli->cfg->path);
    if (offline)
        return EXIT_OK;
    /* The verifier's own bind, whatever identity runs the command. */
    rc = ak_dir_open(&vdir, cli->cfg, &cli->log);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    rc = ak_dir_acquire(vdir, false, &cli->log, &conn);
    if (rc != AK_OK) {
        ak_dir_close(vdir);
        return cli_exit_for(rc);
    }
    rc = cli_read_policy(cli, conn, &pol);
    ak_dir_release(vdir, conn);
    if (rc != EXIT_OK) {
        ak_dir_close(vdir);
        return rc;
    }
    printf("directory: bind ok, search base %s\n", cli->cfg->search_base);
    if (cli->cfg->policy_dn != NULL && pol.max_lifetime_days > 0)
        printf("policy: require expiry %s, maximum lifetime %u days\n",
               pol.require_expiry ? "yes" : "no", pol.max_lifetime_days);
    else if (cli->cfg->policy_dn != NULL)
        printf("policy: require expiry %s, no maximum lifetime\n",
               pol.require_expiry ? "yes" : "no");
    else
        printf("policy: none configured (policy_dn unset)\n");
    rc = compare_access(cli, vdir);
    ak_dir_close(vdir);
    return rc;
}
