/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_check_config.c - apikey check-config: validate, then try to connect */
#include <getopt.h>
#include <stdio.h>

#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"

static void check_usage(FILE *f)
{
    fprintf(f, "Usage: apikey check-config [--dump] [--offline]\n"
               "\n"
               "Check apikey.conf as the PAM module and SASL plugin read it, "
               "then\nbind and read the policy entry as they would.\n"
               "  --dump     print every setting (no secrets: only file "
               "paths)\n"
               "  --offline  do not contact the directory\n");
}

static void emit(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
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
    struct ak_policy pol;
    bool dump = false, offline = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
    rc = cli_open(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_dir_acquire(cli->dir, false, &cli->log, &conn);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    rc = cli_read_policy(cli, conn, &pol);
    ak_dir_release(cli->dir, conn);
    if (rc != EXIT_OK)
        return rc;
    printf("directory: bind ok, search base %s\n", cli->cfg->search_base);
    if (cli->cfg->policy_dn != NULL && pol.max_lifetime_days > 0)
        printf("policy: require expiry %s, maximum lifetime %u days\n",
               pol.require_expiry ? "yes" : "no", pol.max_lifetime_days);
    else if (cli->cfg->policy_dn != NULL)
        printf("policy: require expiry %s, no maximum lifetime\n",
               pol.require_expiry ? "yes" : "no");
    else
        printf("policy: none configured (policy_dn unset)\n");
    return EXIT_OK;
}
