/* SPDX-License-Identifier: BSD-3-Clause */
/* service_able.c - apikey service disable / enable: the admin's switch */
#include <getopt.h>

#include "ak_status.h"
#include "service.h"

/* Set apiKeyDisabled of s as asked. */
static int set(struct cli *cli, const struct ak_service *s, bool disable)
{
    struct ak_conn *c;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_service_set_disabled(c, s->h.dn, disable, &cli->log);
    if (rc == AK_OK)
        return EXIT_OK;
    return cli_change_failed(
        cli, rc, disable ? "disable a service user" : "enable a service user",
        s->h.dn);
}

static int svc_able(struct cli *cli, int argc, char **argv, bool disable)
{
    struct svc_opts o;
    struct ak_service s = {0};
    const char *verb = disable ? "disabled" : "enabled";
    int rc;

    rc = svc_parse(argc, argv,
                   disable ? "disable NAME\nStop every key of NAME at once "
                             "(apiKeyDisabled: TRUE); 'enable' undoes it."
                           : "enable NAME\nLet the keys of a disabled service "
                             "user work again.",
                   "", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_open_self(cli);
    if (rc == EXIT_OK)
        rc = svc_read(cli, argv[optind], &s);
    if (rc == EXIT_OK && s.h.disabled == disable) {
        printf("service user %s is already %s\n",
               cli_show(s.h.name ? s.h.name : s.h.dn), verb);
    } else if (rc == EXIT_OK) {
        rc = set(cli, &s, disable);
        cli_audit(cli, disable ? "service-disable" : "service-enable", rc, NULL,
                  s.h.dn, NULL);
        if (rc == EXIT_OK)
            printf("%s service user %s\n", verb,
                   cli_show(s.h.name ? s.h.name : s.h.dn));
    }
    ak_service_free(&s);
    return rc;
}

int svc_disable(struct cli *cli, int argc, char **argv)
{
    return svc_able(cli, argc, argv, true);
}

int svc_enable(struct cli *cli, int argc, char **argv)
{
    return svc_able(cli, argc, argv, false);
}
