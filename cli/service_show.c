/* SPDX-License-Identifier: BSD-3-Clause */
/* service_show.c - apikey service show: one service user and its keys */
#include <getopt.h>

#include "keys.h"
#include "service.h"

/* The details, one "label: value" a line; every value is the directory's,
 * escaped (cli_show). */
static void print_details(const struct ak_service *s)
{
    char state[128];

    printf("name:         %s\n", s->h.name ? cli_show(s->h.name) : "?");
    printf("dn:           %s\n", cli_show(s->h.dn));
    printf("display name: %s\n", s->display ? cli_show(s->display) : "-");
    printf("description:  %s\n",
           s->description ? cli_show(s->description) : "-");
    printf("mail:         %s\n", s->mail ? cli_show(s->mail) : "-");
    printf("state:        %s\n", cli_show(svc_state(s, state, sizeof(state))));
    for (unsigned i = 0; i < s->h.n_owners; i++)
        printf("owner:        %s\n", cli_show(s->h.owners[i]));
    printf("\n");
}

static void show(const struct ak_service *s, struct keys_out *out,
                 const char *name)
{
    if (out->json) {
        /* the service user's object, its keys in "key_list" */
        svc_json(stdout, s, out->pol, out->now, false);
        fputs(",\"key_list\":", stdout);
        keys_begin(out);
        keys_holder(out, &s->h);
        fputs("]}\n", stdout);
        return;
    }
    print_details(s);
    keys_begin(out);
    keys_holder(out, &s->h);
    if (out->shown == 0)
        printf("(no keys; make one with: apikey create %s)\n",
               cli_show(s->h.name ? s->h.name : name));
}

int svc_show(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_service s;
    struct ak_policy pol;
    struct keys_out out = {0};
    struct ak_conn *c;
    int rc;

    rc = svc_parse(argc, argv,
                   "show NAME [--json]\nA service user's details and its keys.",
                   "j", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = svc_begin_read(cli, argv[optind], &c, &pol, &s);
    if (rc == EXIT_OK) {
        out.f = stdout;
        out.json = o.json || cli->json;
        out.tracked = cli->cfg->track_last_use;
        out.now = time(NULL);
        out.pol = &pol;
        show(&s, &out, argv[optind]);
    }
    ak_service_free(&s);
    return rc;
}
