/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_service.c - apikey service: which subcommand (service_*.c) runs */
#include <getopt.h>
#include <string.h>

#include "service.h"

static void service_usage(FILE *f)
{
    fprintf(f, "Usage: apikey service COMMAND [ARGS]\n"
               "\n"
               "Service users are accounts for robots (backups, CI, mail "
               "gateways) that\n"
               "authenticate only with API keys. Admins make and remove them; "
               "each names\n"
               "the people responsible for it, who get its expiry notices.\n"
               "\n"
               "Commands:\n"
               "  create NAME --owner USER[,USER...]... [--description TEXT]\n"
               "              [--display-name TEXT] [--mail ADDR] [--json]\n"
               "  list [--json]\n"
               "  show NAME [--json]\n"
               "  modify NAME [--owner USER[,...]]... [--description TEXT]\n"
               "              [--display-name TEXT] [--mail ADDR]\n"
               "  disable NAME      stop every key of NAME at once "
               "(apiKeyDisabled)\n"
               "  enable NAME       let its keys work again\n"
               "  delete NAME [--force]\n"
               "                    remove it; refused while it holds active "
               "keys\n"
               "                    unless --force\n"
               "\n"
               "Keys of service users: apikey create NAME, apikey list NAME,\n"
               "apikey rotate KEYID, apikey revoke KEYID.\n"
               "Run 'apikey service COMMAND --help' for details.\n");
}

int cmd_service(struct cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        cli_cmd_fn fn;
    } subs[] = {
        {"create", svc_create},   {"list", svc_list},
        {"show", svc_show},       {"modify", svc_modify},
        {"disable", svc_disable}, {"enable", svc_enable},
        {"delete", svc_delete},
    };

    if (argc < 2) {
        service_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        service_usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i].name) == 0) {
            optind = 0; /* glibc: restart option parsing */
            return subs[i].fn(cli, argc - 1, argv + 1);
        }
    cli_err("unknown service command '%s'; see 'apikey service --help'",
            argv[1]);
    return EXIT_USAGE;
}
