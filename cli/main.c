/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - apikey: create, list, revoke and verify API keys in LDAP */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_build.h"
#include "ak_hash.h"
#include "ak_status.h"
#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"create", cmd_create, "create a key for a user or service user"},
    {"list", cmd_list, "list a user's keys"},
    {"revoke", cmd_revoke, "revoke a key by its id"},
    {"verify", cmd_verify, "check a key read from standard input"},
    {"check-config", cmd_check_config, "validate apikey.conf and connect"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: apikey [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Manage API keys kept in LDAP.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "  -H URI              LDAP URI, instead of the config's\n"
            "  -D BINDDN           bind as BINDDN (simple bind)\n"
            "  -y FILE             read the bind password from FILE\n"
            "  -W                  prompt for the bind password\n"
            "  -Y EXTERNAL         bind with SASL EXTERNAL (ldapi://)\n"
            "  -v, --verbose       say more (twice: debug)\n"
            "  -h, --help          show this help\n"
            "  -V, --version       show the version\n"
            "\n"
            "Without -D/-Y the config's service bind is used.\n"
            "Run 'apikey COMMAND --help' for a command's options; see "
            "apikey(1).\n",
            AK_DEFAULT_CONF);
}

static void log_stderr(void *ctx, int prio, const char *msg)
{
    const struct cli *cli = ctx;
    if (prio <= LOG_WARNING || (prio <= LOG_NOTICE && cli->verbose > 0) ||
        cli->verbose > 1)
        fprintf(stderr, "apikey: %s\n", msg);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct cli cli = {0};
    int c, rc = EXIT_USAGE;

    if (ak_crypto_init() != AK_OK) {
        cli_err("libsodium cannot be initialised");
        return EXIT_INTERNAL;
    }
    cli.log.sink = log_stderr;
    cli.log.ctx = &cli;
    /* '+': stop at the command name; its options are its own. */
    while ((c = getopt_long(argc, argv, "+c:H:D:y:WY:vhV", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 'c':
            cli.config_path = optarg;
            break;
        case 'H':
            cli.uri = optarg;
            break;
        case 'D':
            cli.bind_dn = optarg;
            break;
        case 'y':
            cli.pw_file = optarg;
            break;
        case 'W':
            cli.pw_prompt = true;
            break;
        case 'Y':
            if (strcmp(optarg, "EXTERNAL") != 0) {
                cli_err("-Y: only EXTERNAL is supported");
                return EXIT_USAGE;
            }
            cli.mech = optarg;
            break;
        case 'v':
            cli.verbose++;
            cli.log.debug = cli.verbose > 1;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            printf("apikey %s\n", AK_VERSION);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[optind], commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* glibc: restart option parsing for the command */
            rc = commands[i].fn(&cli, sub_argc, sub_argv);
            goto out;
        }
    }
    cli_err("unknown command '%s'; see 'apikey --help'", argv[optind]);
out:
    ak_dir_close(cli.dir);
    ak_config_free(cli.cfg);
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        cli_err("cannot write output");
        rc = EXIT_INTERNAL;
    }
    return rc;
}
