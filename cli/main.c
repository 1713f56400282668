/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - apikey: manage API keys, service users and the policy in LDAP */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_build.h"
#include "ak_hash.h"
#include "ak_path.h"
#include "ak_status.h"
#include "cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
} commands[] = {
    {"create", cmd_create, "create a key for yourself, a user or a service"},
    {"list", cmd_list, "list your keys, a user's, or everyone's (--all)"},
    {"revoke", cmd_revoke, "revoke a key by its id, effective at once"},
    {"rotate", cmd_rotate, "replace a key; the old one expires after grace"},
    {"service", cmd_service,
     "create, list, show, disable, delete service users"},
    {"policy", cmd_policy, "show or set the organisation's key policy"},
    {"verify", cmd_verify, "check a key read from standard input"},
    {"check-config", cmd_check_config,
     "check apikey.conf, its files per host, the bind"},
    {"setup-directory", cmd_setup_directory,
     "print the LDIF that prepares the directory"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: apikey [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Manage API keys kept in LDAP.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "  -H URI              LDAP URI, instead of the config's\n"
            "  -U USER             bind as the directory user USER (password "
            "prompt)\n"
            "  -D BINDDN           bind as BINDDN (simple bind)\n"
            "  -y FILE             read the bind password from FILE\n"
            "  -W                  prompt for the bind password\n"
            "  -Y EXTERNAL|GSSAPI  bind with SASL (EXTERNAL: ldapi:// or a "
            "TLS\n"
            "                      client certificate; GSSAPI: Kerberos)\n"
            "  --json              JSON output where a command has it\n"
            "  -v, --verbose       say more (twice: debug)\n"
            "  -h, --help          show this help\n"
            "  -V, --version       show the version\n"
            "\n"
            "Without -U/-D/-Y, management commands bind as the user running "
            "apikey\n"
            "(its login name, as -U would), verify and check-config with the\n"
            "config's service bind. Run 'apikey COMMAND --help' for a "
            "command's\noptions; see apikey(1).\n",
            AK_DEFAULT_CONF);
}

static void log_stderr(void *ctx, int prio, const char *msg)
{
    const struct cli *cli = ctx;
    if (prio <= LOG_WARNING || (prio <= LOG_NOTICE && cli->verbose > 0) ||
        cli->verbose > 1)
        cli_err("%s", msg); /* escaped: it may quote the directory */
}

/*
 * A closed descriptor 0-2 would be handed to the next open(): the LDAP
 * socket could become "standard output" and receive the key. Point each
 * closed one at /dev/null, and remember that stdout was closed so no key
 * is made that nobody could see.
 */
static bool guard_std_fds(void)
{
    bool out_closed = false;

    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        if (fd == 1)
            out_closed = true;
        if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
            _exit(EXIT_INTERNAL);
    }
    return out_closed;
}

static void cli_close(struct cli *cli)
{
    if (cli->conn != NULL)
        ak_dir_release(cli->dir, cli->conn);
    ak_dir_close(cli->dir);
    ak_config_free(cli->cfg);
    if (cli->pw != NULL)
        sodium_free(cli->pw); /* wipes */
    free(cli->bind_as);
    free(cli->actor);
    free(cli->config_own);
    free(cli->pw_file_own);
}

/* -c and -y FILE made absolute (ak_path_absolute). *own keeps what was
 * allocated (freed by cli_close). */
int cli_file_arg(const char *opt, const char *arg, char **own, const char **out)
{
    int rc;

    free(*own);
    rc = ak_path_absolute(arg, own, out);
    if (rc == AK_ERR_INVALID) {
        cli_err("%s: give a file name", opt);
        return EXIT_USAGE;
    }
    if (rc == AK_ERR_IO) {
        cli_err("%s %s: cannot tell the working directory to resolve the "
                "relative path: %s",
                opt, arg, strerror(errno));
        return EXIT_USAGE;
    }
    if (rc != AK_OK) {
        cli_err("out of memory");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* One option of the command line before the command. EXIT_OK, or the
 * exit status to end with (-h, -V, a bad value). */
static int global_opt(struct cli *cli, int c, const char *arg)
{
    switch (c) {
    case 'c':
        return cli_file_arg("-c", arg, &cli->config_own, &cli->config_path);
    case 'H':
        cli->uri = arg;
        break;
    case 'D':
        cli->bind_dn = arg;
        break;
    case 'U':
        cli->bind_user = arg;
        break;
    case 'y':
        return cli_file_arg("-y", arg, &cli->pw_file_own, &cli->pw_file);
    case 'W':
        cli->pw_prompt = true;
        break;
    case 'Y':
        if (strcmp(arg, "EXTERNAL") != 0 && strcmp(arg, "GSSAPI") != 0) {
            cli_err("-Y: EXTERNAL or GSSAPI");
            return EXIT_USAGE;
        }
        cli->mech = arg;
        break;
    case 'j':
        cli->json = true;
        break;
    case 'v':
        cli->verbose++;
        cli->log.debug = cli->verbose > 1;
        break;
    default:
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The options before the command, and how they go together. EXIT_OK
 * with optind at the command, or the exit status to end with (-1: 0). */
static int global_args(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, li = -1;

    /* '+': stop at the command name; its options are its own. */
    while ((c = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORTOPTS "h", longopts,
                            &li)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == 'V') {
            printf("apikey %s\n", AK_VERSION);
            return -1;
        }
        if (c == '?') {
            usage(stderr);
            return EXIT_USAGE;
        }
        if (optarg != NULL && !cli_opt_once(argv, c, longopts, li, NULL))
            return EXIT_USAGE;
        li = -1;
        int rc = global_opt(cli, c, optarg);
        if (rc != EXIT_OK)
            return rc;
    }
    if ((cli->bind_dn != NULL) + (cli->bind_user != NULL) +
            (cli->mech != NULL) >
        1) {
        cli_err("give one of -D, -U and -Y");
        return EXIT_USAGE;
    }
    if (cli->mech != NULL && (cli->pw_file != NULL || cli->pw_prompt)) {
        cli_err("-Y binds need no password (-y, -W)");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Run the command named argv[0]. */
static int run(struct cli *cli, int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[0], commands[i].name) == 0) {
            optind = 0; /* glibc: restart option parsing for the command */
            cli_set_command(commands[i].name);
            return commands[i].fn(cli, argc, argv);
        }
    cli_err("unknown command '%s'; see 'apikey --help'", argv[0]);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    int rc;

    cli.stdout_closed = guard_std_fds();
    /* A closed pipe on stdout must be an error we can report (the key id
     * to revoke), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    if (ak_crypto_init() != AK_OK) {
        cli_err("libsodium cannot be initialised");
        return EXIT_INTERNAL;
    }
    cli.log.sink = log_stderr;
    cli.log.ctx = &cli;
    rc = global_args(&cli, argc, argv);
    if (rc != EXIT_OK) {
        cli_close(&cli);
        return rc < 0 ? EXIT_OK : rc;
    }
    rc = run(&cli, argc - optind, argv + optind);
    cli_close(&cli);
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        cli_err("cannot write output");
        rc = EXIT_INTERNAL;
    }
    return rc;
}
