/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_policy.c - apikey policy: usage, show, and which subcommand runs */
#include <getopt.h>
#include <string.h>

#include "ak_status.h"
#include "policy.h"

void policy_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey policy show [--json]\n"
            "       apikey policy set [--require-expiry yes|no]\n"
            "                         [--max-lifetime DAYS|none]\n"
            "                         [--notice-days DAYS[,DAYS...]|none]\n"
            "                         [--recipients ADDR[,ADDR...]|none]\n"
            "\n"
            "The organisation's key policy, on the entry named by policy_dn. "
            "It is\n"
            "enforced when keys are made and at every use: a key beyond the "
            "maximum\n"
            "lifetime (counted from its creation) or without expiry under\n"
            "require-expiry stops working at once. 'set' changes only what "
            "it is\n"
            "given (admins), and warns about keys the change stops.\n"
            "\n"
            "  --require-expiry yes|no   every key must have an expiry date\n"
            "  --max-lifetime DAYS|none  at most DAYS days from creation\n"
            "  --notice-days LIST|none   expiry notices so many days before\n"
            "  --recipients LIST|none    admins who get every expiry notice\n");
}

int policy_read(struct cli *cli, struct ak_policy_entry *pe)
{
    const char *dn = cli->cfg->policy_dn, *bad = NULL;
    struct ak_conn *c;
    int rc;

    memset(pe, 0, sizeof(*pe));
    if (dn == NULL) {
        cli_err("%s sets no policy_dn: there is no policy entry to use",
                cli->cfg->path);
        return EXIT_CONFIG;
    }
    rc = cli_conn(cli, &c);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_store_read_policy_entry(c, cli->cfg, &cli->log, pe, &bad);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("policy entry %s: not found or not readable", dn);
        return EXIT_NOT_FOUND;
    }
    if (rc == AK_ERR_MALFORMED && bad != NULL)
        cli_err("policy entry %s: bad value of %s: fix it (apikey policy set)",
                dn, bad);
    if (rc == AK_ERR_MALFORMED)
        return EXIT_CONFIG;
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

void policy_print(const struct cli *cli, const struct ak_policy_entry *v,
                  bool json)
{
    if (json) {
        printf("{\"dn\":");
        cli_json_str(stdout, cli->cfg->policy_dn);
        printf(",\"require_expiry\":%s",
               v->p.require_expiry ? "true" : "false");
        if (v->p.max_lifetime_days > 0)
            printf(",\"max_lifetime_days\":%u", v->p.max_lifetime_days);
        else
            printf(",\"max_lifetime_days\":null");
        printf(",\"notice_days\":[");
        for (unsigned i = 0; i < v->p.n_notice_days; i++)
            printf("%s%u", i ? "," : "", v->p.notice_days[i]);
        printf("],\"recipients\":[");
        for (unsigned i = 0; i < v->n_recipients; i++) {
            if (i > 0)
                putchar(',');
            cli_json_str(stdout, v->recipients[i]);
        }
        printf("]}\n");
        return;
    }
    printf("policy:            %s\n", cli_show(cli->cfg->policy_dn));
    printf("require expiry:    %s\n", v->p.require_expiry ? "yes" : "no");
    if (v->p.max_lifetime_days > 0)
        printf("maximum lifetime:  %u days\n", v->p.max_lifetime_days);
    else
        printf("maximum lifetime:  none\n");
    printf("notice days:       ");
    for (unsigned i = 0; i < v->p.n_notice_days; i++)
        printf("%s%u", i ? ", " : "", v->p.notice_days[i]);
    printf("%s\n", v->p.n_notice_days ? "" : "none");
    printf("admin recipients:  ");
    for (unsigned i = 0; i < v->n_recipients; i++)
        printf("%s%s", i ? ", " : "", cli_show(v->recipients[i]));
    printf("%s\n", v->n_recipients ? "" : "none");
}

static int policy_show(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ak_policy_entry v;
    bool json = cli->json;
    int c, rc;

    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            policy_usage(stdout);
            return EXIT_OK;
        } else {
            policy_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        policy_usage(stderr);
        return EXIT_USAGE;
    }
    rc = cli_open_self(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = policy_read(cli, &v);
    if (rc == EXIT_OK)
        policy_print(cli, &v, json);
    ak_policy_entry_free(&v);
    return rc;
}

int cmd_policy(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        policy_usage(stderr);
        return EXIT_USAGE;
    }
    optind = 0; /* glibc: restart option parsing for the subcommand */
    if (strcmp(argv[1], "show") == 0)
        return policy_show(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "set") == 0)
        return policy_set(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        policy_usage(stdout);
        return EXIT_OK;
    }
    cli_err("unknown policy command '%s'; see 'apikey policy --help'", argv[1]);
    return EXIT_USAGE;
}
