/* SPDX-License-Identifier: BSD-3-Clause */
/* service_create.c - apikey service create: a new service user */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "service.h"

/* The command line: a valid name and at least --owner. */
static int create_args(int argc, char **argv, struct svc_opts *o,
                       const char **name)
{
    int rc = svc_parse(
        argc, argv,
        "create NAME --owner USER[,USER...]... [--description "
        "TEXT]\n"
        "       [--display-name TEXT] [--mail ADDR] [--json]\n"
        "Make the service user NAME under service_base, with "
        "the people\nresponsible for it (at least one; --owner may be "
        "repeated).",
        "odnmj", o);
    if (rc != EXIT_OK)
        return rc;
    *name = argv[optind];
    if (!ak_service_name_ok(*name)) {
        cli_err("'%s' cannot be a service user name (1-%d of A-Z a-z 0-9 . _ "
                "-, starting with a letter or digit)",
                *name, AK_SERVICE_NAME_MAX);
        return EXIT_USAGE;
    }
    if (o->n_owners == 0) {
        cli_err("service create: name the people responsible with --owner "
                "USER[,USER...]");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The name must be free before anything else is looked up. */
static int name_free(struct cli *cli, const char *name)
{
    struct ak_conn *c;
    char *taken = NULL;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_service_name_free(c, cli->cfg, name, &cli->log, &taken);
    if (rc == AK_ERR_CONFLICT)
        cli_err("the name '%s' is taken (%s); nothing created", name,
                taken ? taken : "several entries");
    free(taken);
    if (rc == AK_ERR_CONFLICT)
        return EXIT_CONFLICT;
    return rc == AK_OK ? EXIT_OK : cli_exit_for(rc);
}

/* Add the entry; *dn names it for the audit line. */
static int add_entry(struct cli *cli, const struct svc_opts *o,
                     const char *name, char **owners, char **dn)
{
    struct ak_service_new n = {
        .name = name,
        .display = o->display,
        .description = o->description,
        .mail = o->mail,
        .owners = (const char *const *)owners,
    };
    struct ak_conn *c;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_service_create(c, cli->cfg, &n, &cli->log, dn);
    if (rc == AK_OK)
        return EXIT_OK;
    return *dn ? cli_change_failed(cli, rc, "add a service user", *dn)
               : cli_exit_for(rc);
}

/* The new service user as JSON, or what to do next. */
static void print_created(struct cli *cli, const struct svc_opts *o,
                          const char *name, const char *dn)
{
    if (o->json || cli->json) {
        struct ak_service s;
        struct ak_policy none = {0};
        if (svc_read(cli, name, &s) == EXIT_OK) {
            svc_json(stdout, &s, &none, time(NULL), true);
            fputc('\n', stdout);
        }
        ak_service_free(&s);
        return;
    }
    printf("created service user %s (%s)\n", name, cli_show(dn));
    printf("next: apikey create %s --label ... --scope ...\n", name);
}

int svc_create(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    char *owners[AK_SERVICE_OWNERS_MAX + 1] = {0};
    unsigned n_owners = 0;
    char *dn = NULL;
    const char *name = NULL;
    int rc;

    rc = create_args(argc, argv, &o, &name);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_open_self(cli);
    if (rc == EXIT_OK)
        rc = name_free(cli, name);
    if (rc != EXIT_OK)
        return rc;
    rc = svc_resolve_owners(cli, &o, owners, &n_owners);
    if (rc == EXIT_OK) {
        rc = add_entry(cli, &o, name, owners, &dn);
        cli_audit(cli, "service-create", rc, NULL, dn, "owners=%u", n_owners);
    }
    if (rc == EXIT_OK)
        print_created(cli, &o, name, dn);
    svc_free_dns(owners, n_owners);
    free(dn);
    return rc;
}
