/* SPDX-License-Identifier: BSD-3-Clause */
/* session.c - one run of apikey: its config, messages and output guards */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ak_status.h"

/* Escaped as a whole: a message may name an entry, a DN or a value from
 * the directory, which must not act on the terminal (cli_show). */
void cli_err(const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    fputs("apikey: ", stderr);
    cli_put(stderr, n >= 0 ? msg : "(out of memory for a message)");
    fputc('\n', stderr);
    if (n >= 0)
        free(msg);
}

int cli_load_config(struct cli *cli)
{
    int rc;

    if (cli->cfg != NULL)
        return EXIT_OK;
    rc = ak_config_load(&cli->cfg, cli->config_path, &cli->log);
    if (rc != AK_OK)
        return rc == AK_ERR_NOMEM ? EXIT_INTERNAL : EXIT_CONFIG;
    if (cli->verbose > 1)
        cli->cfg->debug = true;
    cli->log.debug = cli->cfg->debug;
    if (cli->uri != NULL) {
        char *u = strdup(cli->uri);
        if (u == NULL)
            return EXIT_INTERNAL;
        for (unsigned i = 0; i < cli->cfg->n_uri; i++)
            free(cli->cfg->uri[i]);
        cli->cfg->uri[0] = u;
        cli->cfg->n_uri = 1;
    }
    return EXIT_OK;
}

void cli_test_delay(void)
{
    const char *v = getenv("APIKEY_TEST_DELAY_MS");
    char *end = NULL;
    long ms;

    if (v == NULL || *v == '\0')
        return;
    ms = strtol(v, &end, 10);
    if (*end == '\0' && ms > 0 && ms <= 60000)
        usleep((useconds_t)ms * 1000);
}

int cli_need_stdout(const struct cli *cli)
{
    if (!cli->stdout_closed)
        return EXIT_OK;
    cli_err("standard output is closed: the new key could not be shown, so "
            "none was made");
    return EXIT_NOT_SHOWN;
}

/* The options that go before the command (main.c; CLI_GLOBAL_SHORTOPTS),
 * and what their value is called in apikey --help. */
static const struct {
    char c;
    const char *lng, *value;
} global_opts[] = {
    {'c', "config", "FILE"}, {'H', NULL, "URI"},     {'D', NULL, "BINDDN"},
    {'U', NULL, "USER"},     {'y', NULL, "FILE"},    {'W', NULL, NULL},
    {'Y', NULL, "MECH"},     {'v', "verbose", NULL}, {'V', "version", NULL},
};
static const char *command_name = "COMMAND";

void cli_set_command(const char *name)
{
    command_name = name;
}

/* val as one shell word: bare when it needs no quoting, else in '...'. */
static void print_word(const char *val)
{
    if (val[0] != '\0' &&
        strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789=,._/:@+-") == strlen(val)) {
        fputs(val, stderr);
        return;
    }
    fputc('\'', stderr);
    for (const char *p = val; *p != '\0'; p++) {
        if (*p == '\'')
            fputs("'\\''", stderr);
        else
            fputc(*p, stderr);
    }
    fputc('\'', stderr);
}

/* "option -D goes before the command: apikey -D cn=x create ..."; val
 * NULL: the placeholder of apikey --help, or nothing for a flag. */
static void say_misplaced(const char *opt, unsigned i, const char *val)
{
    fprintf(stderr, "apikey: option %s goes before the command: apikey %s", opt,
            opt);
    if (val == NULL)
        val = global_opts[i].value;
    if (val != NULL) {
        fputc(opt[1] == '-' ? '=' : ' ', stderr);
        print_word(val);
    }
    fprintf(stderr, " %s ...\n", command_name);
}

static int global_index(char c)
{
    for (unsigned i = 0; i < sizeof(global_opts) / sizeof(global_opts[0]); i++)
        if (global_opts[i].c == c)
            return (int)i;
    return -1;
}

/* A long option that getopt did not know: a global one (--config,
 * --verbose, --version) after the command? */
static bool long_misplaced(const char *arg)
{
    size_t n = strcspn(arg + 2, "=");

    for (unsigned i = 0; i < sizeof(global_opts) / sizeof(global_opts[0]);
         i++) {
        const char *l = global_opts[i].lng;
        char opt[16];
        if (l == NULL || strlen(l) != n || strncmp(arg + 2, l, n) != 0)
            continue;
        snprintf(opt, sizeof(opt), "--%s", l);
        say_misplaced(opt, i, arg[2 + n] == '=' ? arg + 3 + n : NULL);
        return true;
    }
    return false;
}

/* The options with a value taken from one argv so far. */
static struct {
    char **argv;
    bool seen[512];
} taken;

bool cli_opt_once(char **argv, int c, const struct option *longopts, int li,
                  const char *lists)
{
    if (argv != taken.argv || optind == 0) {
        memset(&taken, 0, sizeof(taken));
        taken.argv = argv;
    }
    if (c < 0 || c >= (int)(sizeof(taken.seen) / sizeof(taken.seen[0])) ||
        (c < 256 && lists != NULL && strchr(lists, c) != NULL))
        return true;
    if (!taken.seen[c]) {
        taken.seen[c] = true;
        return true;
    }
    /* Keeping either value would drop the other without a word. */
    if (li >= 0)
        cli_err("--%s given twice: it takes one value", longopts[li].name);
    else
        cli_err("-%c given twice: it takes one value", c);
    return false;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    return cli_getopt_lists(argc, argv, shortopts, longopts, NULL);
}

int cli_getopt_lists(int argc, char **argv, const char *shortopts,
                     const struct option *longopts, const char *lists)
{
    char opts[64];
    int li = -1, c, g;

    /* ':' first: a missing value is ':' and getopt prints nothing; the
     * messages are ours, so that a global option can be explained. */
    snprintf(opts, sizeof(opts), ":%s%s", shortopts, CLI_GLOBAL_SHORTOPTS);
    opterr = 0;
    if (optind == 0)
        (void)cli_opt_once(argv, -1, longopts, -1, NULL); /* a new argv */
    c = getopt_long(argc, argv, opts, longopts, &li);
    if (c != -1 && c != '?' && c != ':' && optarg != NULL &&
        (li >= 0 || strchr(shortopts, c) != NULL) &&
        !cli_opt_once(argv, c, longopts, li, lists))
        return CLI_OPT_MISPLACED; /* explained: no usage text */
    if (c == -1 || li >= 0)
        return c;
    const char *elem = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    bool is_long = strncmp(elem, "--", 2) == 0;
    if (c != '?' && c != ':') {
        if (strchr(shortopts, c) != NULL)
            return c;
        char opt[3] = {'-', (char)c, '\0'};
        say_misplaced(opt, (unsigned)global_index((char)c), optarg);
        return CLI_OPT_MISPLACED;
    }
    if (is_long) {
        if (long_misplaced(elem))
            return CLI_OPT_MISPLACED;
        if (c == ':')
            cli_err("%s: option '%.*s' needs a value", argv[0],
                    (int)strcspn(elem, "="), elem);
        else if (optopt != 0)
            cli_err("%s: option '%.*s' takes no value", argv[0],
                    (int)strcspn(elem, "="), elem);
        else
            cli_err("%s: unknown option '%s'", argv[0], elem);
        return '?';
    }
    g = global_index((char)optopt);
    if (c == ':' && g >= 0 && strchr(shortopts, optopt) == NULL) {
        char opt[3] = {'-', (char)optopt, '\0'};
        say_misplaced(opt, (unsigned)g, NULL);
        return CLI_OPT_MISPLACED;
    }
    if (c == ':')
        cli_err("%s: option '-%c' needs a value", argv[0], optopt);
    else
        cli_err("%s: unknown option '-%c'", argv[0], optopt);
    return '?';
}
