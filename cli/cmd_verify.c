/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_verify.c - apikey verify: run the verifier on a key from stdin */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_holder.h"
#include "ak_status.h"
#include "ak_store.h"
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
            "is printed).\n"
            "\n"
            "  --service NAME    the PAM/SASL service to check the key's scope "
            "for\n"
            "                    (default: apikey)\n"
            "  --at DATE         judge expiry as of DATE\n");
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
                       time_t *at, bool *service_given)
{
    static const struct option longopts[] = {
        {"service", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    req->service = "apikey";
    while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 's') {
            req->service = optarg;
            *service_given = true;
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

/* The scope of the key kid as "sshd, smtp" into buf, read with the bind
 * verify made; "" when it cannot be read (the refusal stands anyway). */
static const char *key_scope(struct cli *cli, const char *kid, char *buf,
                             size_t size)
{
    struct ak_holder h = {0};
    struct ak_record rec;
    struct ak_conn *c = NULL;
    const char *why = NULL;
    size_t o = 0;
    int i;

    buf[0] = '\0';
    if (cli_conn(cli, &c) != EXIT_OK ||
        ak_store_find_key(c, cli->cfg, kid, &cli->log, &h) != AK_OK)
        goto out;
    i = ak_holder_record_index(&h, kid);
    if (i < 0 || ak_holder_key(&h, (unsigned)i, &rec, &why) != AK_OK)
        goto out;
    for (unsigned k = 0; k < rec.n_scopes && o + 1 < size; k++) {
        int n =
            snprintf(buf + o, size - o, "%s%s", k ? ", " : "", rec.scopes[k]);
        if (n < 0)
            break;
        o += (size_t)n;
    }
out:
    ak_holder_free(&h);
    return buf;
}

/* Say what the verifier decided, and for which service (the default one
 * is named as such); the exit status for it. */
static int report(struct cli *cli, const struct ak_verify_request *req,
                  bool service_given, const struct ak_verify_result *res)
{
    const char *dflt = service_given ? ""
                                     : " (the default; --service NAME "
                                       "checks another)";
    char scope[AK_SCOPE_MAX * (AK_SERVICE_MAX + 2) + 1];

    if (res->outcome == AK_VERIFY_OK) {
        printf("ok: key %s of %s (%s) for service %s%s\n", res->key_id,
               cli_show(res->owner_name), cli_show(res->owner_dn),
               cli_show(req->service), dflt);
        return EXIT_OK;
    }
    if (res->outcome == AK_VERIFY_SCOPE_DENIED) {
        key_scope(cli, res->key_id, scope, sizeof(scope));
        printf("refused: %s: service %s%s is not in the scope of key %s "
               "(%s)\n",
               ak_outcome_str(res->outcome), cli_show(req->service), dflt,
               res->key_id, scope[0] ? scope : "its scope could not be read");
        return cli_exit_for_outcome(res->outcome);
    }
    printf("refused: %s%s%s (service %s%s)\n", ak_outcome_str(res->outcome),
           res->detail ? ": " : "", cli_show(res->detail),
           cli_show(req->service), dflt);
    return cli_exit_for_outcome(res->outcome);
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
    struct ak_verify_request req = {0};
    struct ak_verify_result res;
    time_t at = 0;
    char *key = NULL;
    size_t key_len = 0;
    bool service_given = false;
    int rc;

    rc = verify_args(argc, argv, &req, &at, &service_given);
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
    rc = report(cli, &req, service_given, &res);
    ak_verify_result_clear(&res);
    return rc;
}
