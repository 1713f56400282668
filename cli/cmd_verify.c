/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_verify.c - apikey verify: run the verifier on a key from stdin */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_status.h"
#include "ak_time.h"
#include "ak_verify.h"
#include "cli.h"

#define KEY_LINE_MAX 4096

static void verify_usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey verify [USER] [--service NAME] [--at DATE]\n"
            "\n"
            "Read one key from standard input (never from the command line, "
            "where\nother users could see it) and check it as the PAM module "
            "and SASL\nplugin would. Without USER the key's owner is looked "
            "up by key id.\nExit status 0: accepted; 1: refused (the reason "
            "is printed).\n");
}

/* One line from stdin into buf, without the newline; wiped on failure. */
static bool read_key(char *buf, size_t size, size_t *len)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r <= 0 || c == '\n')
            break;
        if (n + 1 >= size) {
            sodium_memzero(buf, size);
            return false;
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return true;
}

/* The command line into req (user, service) and *at. EXIT_OK,
 * EXIT_USAGE, or -1 after --help. */
static int verify_args(int argc, char **argv, struct ak_verify_request *req,
                       time_t *at)
{
    static const struct option longopts[] = {
        {"service", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    req->service = "apikey";
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 's') {
            req->service = optarg;
        } else if (c == 'a') {
            if (ak_time_parse_human(optarg, at) != AK_OK) {
                cli_err("--at '%s': not a date (use YYYY-MM-DD or "
                        "YYYY-MM-DDTHH:MM:SSZ)",
                        optarg);
                return EXIT_USAGE;
            }
        } else {
            verify_usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : EXIT_USAGE;
        }
    }
    if (optind + 1 < argc) {
        verify_usage(stderr);
        return EXIT_USAGE;
    }
    if (optind < argc) {
        req->user = argv[optind];
        req->user_len = strlen(argv[optind]);
    }
    return EXIT_OK;
}

/* Say what the verifier decided; the exit status for it. */
static int report(const struct ak_verify_result *res)
{
    if (res->outcome == AK_VERIFY_OK) {
        printf("ok: key %s of %s (%s)\n", res->key_id, res->owner_name,
               res->owner_dn);
        return EXIT_OK;
    }
    printf("refused: %s%s%s\n", ak_outcome_str(res->outcome),
           res->detail ? ": " : "", res->detail ? res->detail : "");
    return cli_exit_for_outcome(res->outcome);
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
    struct ak_verify_request req = {0};
    struct ak_verify_result res;
    time_t at = 0;
    char *key = NULL;
    size_t key_len = 0;
    int rc;

    rc = verify_args(argc, argv, &req, &at);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_open(cli);
    if (rc != EXIT_OK)
        return rc;
    key = sodium_malloc(KEY_LINE_MAX);
    if (key == NULL)
        return EXIT_INTERNAL;
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "API key: ");
    if (!read_key(key, KEY_LINE_MAX, &key_len)) {
        cli_err("the key line is longer than %d bytes", KEY_LINE_MAX - 1);
        sodium_free(key);
        return EXIT_USAGE;
    }
    req.key = key;
    req.key_len = key_len;
    ak_verify(cli->dir, &req, at, &cli->log, &res);
    sodium_free(key);
    rc = report(&res);
    ak_verify_result_clear(&res);
    return rc;
}
