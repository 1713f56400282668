/* SPDX-License-Identifier: BSD-3-Clause */
/* session.c - one run of apikey: its config, messages and output guards */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ak_status.h"

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("apikey: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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
