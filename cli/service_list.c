/* SPDX-License-Identifier: BSD-3-Clause */
/* service_list.c - apikey service list: every service user, one a line */
#include <getopt.h>

#include "ak_manage.h"
#include "ak_status.h"
#include "service.h"

struct list_ctx {
    struct cli *cli;
    const struct ak_policy *pol;
    bool json;
    unsigned n;
    time_t now;
};

static void print_row(const struct list_ctx *l, const struct ak_service *s)
{
    char owners[512], state[128];
    unsigned total, active;

    ak_service_keys(s, l->pol, l->now, &total, &active);
    svc_owners_text(s, owners, sizeof(owners));
    /* every column but the counts comes from the directory: escaped */
    printf("%-20s  %-8s  %2u/%-3u  %-24s  %s\n",
           cli_show(s->h.name ? s->h.name : s->h.dn),
           cli_show(svc_state(s, state, sizeof(state))), active, total,
           cli_show(owners), cli_show(s->description));
}

static int list_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
    struct list_ctx *l = ctx;
    struct ak_service s;
    int rc = ak_service_fill(ld, e, l->cli->cfg, l->now, &s);

    if (rc != AK_OK)
        return rc;
    if (ak_service_listed(&s, l->cli->cfg)) {
        if (l->json && l->n > 0)
            fputc(',', stdout);
        if (l->json)
            svc_json(stdout, &s, l->pol, l->now, true);
        else
            print_row(l, &s);
        l->n++;
    }
    ak_service_free(&s);
    return AK_OK;
}

/* Every service user under service_base, page by page. */
static int search(struct cli *cli, struct list_ctx *l)
{
    char *attrs[AK_SERVICE_N_ATTRS + 1];

    ak_service_attrs(cli->cfg, attrs);
    return cli_scan(cli, cli->cfg->service_base, cli->cfg->service_filter,
                    attrs, 0, list_entry, l, "not listed");
}

int svc_list(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_policy pol;
    struct list_ctx l = {.cli = cli};
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   "list [--json]\nEvery service user: name, state, active/all "
                   "keys, owners, description.",
                   "j", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = cli_begin(cli, &c, &pol);
    if (rc != EXIT_OK)
        return rc;
    l.pol = &pol;
    l.json = o.json || cli->json;
    l.now = time(NULL);
    if (l.json)
        fputc('[', stdout);
    else
        printf("%-20s  %-8s  %-6s  %-24s  %s\n", "NAME", "STATE", "KEYS",
               "OWNERS", "DESCRIPTION");
    rc = search(cli, &l);
    if (l.json)
        fputs("]\n", stdout);
    return rc;
}
