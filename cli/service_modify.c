/* SPDX-License-Identifier: BSD-3-Clause */
/* service_modify.c - apikey service modify: owners and details */
#include <getopt.h>

#include "ak_status.h"
#include "service.h"

/* Apply the change the options ask for to s. */
static int change(struct cli *cli, const struct svc_opts *o,
                  const struct ak_service *s, char **owners)
{
    struct ak_service_change ch = {
        .display = o->display,
        .description = o->description,
        .mail = o->mail,
        .owners = o->n_owners > 0 ? (const char *const *)owners : NULL,
    };
    struct ak_conn *c;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_service_change(c, s->h.dn, &ch, &cli->log);
    return rc == AK_OK
               ? EXIT_OK
               : cli_change_failed(cli, rc, "change a service user", s->h.dn);
}

int svc_modify(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_service s = {0};
    char *owners[AK_SERVICE_OWNERS_MAX + 1] = {0};
    unsigned n_owners = 0;
    int rc;

    rc = svc_parse(argc, argv,
                   "modify NAME [--owner USER[,...]]... [--description TEXT]\n"
                   "       [--display-name TEXT] [--mail ADDR]\n"
                   "Change a service user. --owner replaces the people "
                   "responsible\n(at least one); an empty --description or "
                   "--mail removes it.",
                   "odnm", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (o.n_owners == 0 && !o.description && !o.display && !o.mail) {
        cli_err("service modify: nothing to change");
        return EXIT_USAGE;
    }
    rc = cli_open_self(cli);
    if (rc == EXIT_OK)
        rc = svc_read(cli, argv[optind], &s);
    if (rc == EXIT_OK && o.n_owners > 0)
        rc = svc_resolve_owners(cli, &o, owners, &n_owners);
    if (rc == EXIT_OK) {
        rc = change(cli, &o, &s, owners);
        cli_audit(cli, "service-modify", rc, NULL, s.h.dn, "changed=%s%s%s%s",
                  o.n_owners > 0 ? "owners," : "",
                  o.description ? "description," : "",
                  o.display ? "display-name," : "", o.mail ? "mail," : "");
    }
    if (rc == EXIT_OK)
        printf("changed service user %s\n",
               cli_show(s.h.name ? s.h.name : s.h.dn));
    svc_free_dns(owners, n_owners);
    ak_service_free(&s);
    return rc;
}
