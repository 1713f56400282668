/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_check_config.c - apikey check-config: the config, its files as each
 * host reads them, the verifier's bind and the policy; one line each */
#include <getopt.h>
#include <stdio.h>

#include "access_check.h"
#include "ak_build.h"
#include "ak_status.h"
#include "ak_store.h"
#include "check_bounds.h"
#include "check_files.h"
#include "cli.h"

static void check_usage(FILE *f)
{
    fprintf(f, "Usage: apikey [-U USER|-D DN|-Y MECH] check-config [-c FILE] "
               "[--host LIST]\n"
               "                    [--dump] [--offline]\n"
               "\n"
               "Check apikey.conf as the PAM module and the SASL plugin read "
               "it: its\nsyntax; its files (the config, bind_pw_file, the CA "
               "and client\ncertificate) as each host reads them; the "
               "verifier's bind and the\npolicy entry. One line per finding, "
               "\"ok ...\" or \"problem: ...\"; the exit\nstatus is 0 only "
               "when there is no problem. Run as a key admin (-U, -D\nor -Y) "
               "it also compares what the verifier's bind can read with what\n"
               "you see: user names, key ids, records, ends of keys and every "
               "lock\nattribute, on people and on service users.\n"
               "  -c FILE       the configuration (as -c before the command)\n"
               "  --host LIST   check the files as these hosts read them, "
               "comma-separated:\n"
               "                sshd, su, saslauthd (root), postfix, "
               "openldap, cyrus,\n"
               "                expiryd (apikey-expiryd), all\n"
               "                (default: as this process only)\n"
               "  --dump        print every setting (no secrets: only file "
               "paths)\n"
               "  --offline     do not contact the directory\n");
}

static void emit(void *ctx, const char *line)
{
    (void)ctx;
    cli_put(stdout, line); /* the config's values, escaped */
    putchar('\n');
}

/* With an identity of the caller's (a key admin): what the verifier's bind
 * misses. Without one there is nobody to compare with. */
static int compare_access(struct cli *cli, struct ak_dir *vdir)
{
    struct ak_conn *ac = NULL;
    bool problem = false;
    int rc;

    if (cli->bind_user == NULL && cli->bind_dn == NULL && cli->mech == NULL) {
        printf(
            "note: verifier's view: not compared (run as a key admin with -U, "
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

/* Does the directory hold the bounds? Probed as the verifier on the policy
 * entry, which it may not change and whose classes allow no key values
 * (check_bounds.h); never on an entry of its own, which it may write.
 * *problem when one does not hold. */
static void check_directory_bounds(struct cli *cli, struct ak_dir *vdir,
                                   bool *problem)
{
    const char *target = cli->cfg->policy_dn;
    struct ak_conn *conn = NULL;

    *problem = false;
    if (target == NULL) {
        printf("note: bounds: not checked (they are probed on the policy "
               "entry: set policy_dn)\n");
        return;
    }
    if (ak_dir_acquire(vdir, false, &cli->log, &conn) != AK_OK ||
        check_bounds(conn, target, &cli->log, problem) != AK_OK)
        printf("note: bounds: not checked (the directory did not answer; "
               "see above)\n");
    ak_dir_release(vdir, conn);
}

/* The verifier's bind, the policy entry and the bounds. */
static int check_directory(struct cli *cli)
{
    struct ak_conn *conn = NULL;
    struct ak_dir *vdir = NULL;
    struct ak_policy pol;
    bool bounds_problem;
    int rc;

    /* The verifier's own bind, whatever identity runs the command. */
    rc = ak_dir_open(&vdir, cli->cfg, &cli->log);
    if (rc == AK_OK)
        rc = ak_dir_acquire(vdir, false, &cli->log, &conn);
    if (rc != AK_OK) {
        printf("problem: directory: cannot bind as %s (see above)\n",
               cli->cfg->bind_dn != NULL ? cli_show(cli->cfg->bind_dn)
                                         : "the configured identity");
        ak_dir_close(vdir);
        return cli_exit_for(rc);
    }
    rc = cli_read_policy(cli, conn, &pol);
    ak_dir_release(vdir, conn);
    printf("ok directory: bind ok as %s, search base %s\n",
           cli->cfg->bind_dn != NULL     ? cli_show(cli->cfg->bind_dn)
           : cli->cfg->sasl_mech != NULL ? cli->cfg->sasl_mech
                                         : "anonymous",
           cli_show(cli->cfg->search_base));
    if (rc != EXIT_OK) {
        printf("problem: policy %s: cannot be read (see above)\n",
               cli_show(cli->cfg->policy_dn));
        ak_dir_close(vdir);
        return rc;
    }
    if (cli->cfg->policy_dn != NULL && pol.max_lifetime_days > 0)
        printf("ok policy %s: require expiry %s, maximum lifetime %u days\n",
               cli_show(cli->cfg->policy_dn), pol.require_expiry ? "yes" : "no",
               pol.max_lifetime_days);
    else if (cli->cfg->policy_dn != NULL)
        printf("ok policy %s: require expiry %s, no maximum lifetime\n",
               cli_show(cli->cfg->policy_dn),
               pol.require_expiry ? "yes" : "no");
    else
        printf("note: policy: none configured (policy_dn unset)\n");
    check_directory_bounds(cli, vdir, &bounds_problem);
    rc = compare_access(cli, vdir);
    ak_dir_close(vdir);
    if (rc == EXIT_OK && bounds_problem)
        rc = EXIT_CONFIG;
    return rc;
}

int cmd_check_config(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, 'H'},
        {"dump", no_argument, NULL, 'd'},
        {"offline", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool dump = false, offline = false, files_ok;
    unsigned hosts = 0;
    int c, rc;

    /* --host adds hosts each time; -c is given once */
    while ((c = cli_getopt_lists(argc, argv, "c:h", longopts, "H")) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'c') {
            /* one before the command too would be dropped without a word */
            if (cli->config_path != NULL) {
                cli_err("-c given twice (before and after check-config): "
                        "it takes one value");
                return EXIT_USAGE;
            }
            rc =
                cli_file_arg("-c", optarg, &cli->config_own, &cli->config_path);
            if (rc != EXIT_OK)
                return rc;
        } else if (c == 'H') {
            if (!check_hosts_parse(optarg, &hosts))
                return EXIT_USAGE;
        } else if (c == 'd') {
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
    if (rc != EXIT_OK) {
        printf("problem: config %s: cannot be used (see above)\n",
               cli_show(cli->config_path != NULL ? cli->config_path
                                                 : AK_DEFAULT_CONF));
        return rc;
    }
    if (dump)
        ak_config_dump(cli->cfg, emit, NULL);
    printf("ok config %s: syntax ok\n", cli_show(cli->cfg->path));
    files_ok = check_files(cli->cfg, hosts);
    rc = offline ? EXIT_OK : check_directory(cli);
    if (rc == EXIT_OK && !files_ok)
        rc = EXIT_CONFIG;
    return rc;
}
