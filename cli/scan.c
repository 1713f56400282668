/* SPDX-License-Identifier: BSD-3-Clause */
/* scan.c - every entry of a search for the listings: one that cannot be
 * read is named, every other still listed */
#include <stdint.h>

#include "ak_scan.h"
#include "ak_status.h"
#include "cli.h"

struct listing {
    struct cli *cli;
    ak_manage_entry_fn fn;
    void *ctx;
    const char *missing; /* what the reader misses (NULL: say nothing) */
    unsigned n_aside;
};

static void aside(void *ctx, const char *dn, int why)
{
    struct listing *l = ctx;

    l->n_aside++;
    if (l->missing == NULL)
        return;
    if (why == AK_ERR_TOO_BIG)
        cli_err("%s: %s: %s; its holder, or an admin with ldapmodify -e "
                "relax, must remove values (apikey(1), EXIT STATUS)",
                cli_show(dn), l->missing, ak_strerror(why));
    else
        cli_err("%s: %s: it cannot be read whole", cli_show(dn), l->missing);
}

/* fn's AK_ERR_MALFORMED (the entry cannot be read whole: not judged) costs
 * that entry only, as one too big to read does. */
static int entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct listing *l = ctx;
    int rc = l->fn(l->ctx, ld, m);
    char *dn;

    if (rc != AK_ERR_MALFORMED)
        return rc;
    dn = ldap_get_dn(ld, m);
    aside(l, dn ? dn : "(unreadable DN)", rc);
    ldap_memfree(dn);
    return AK_OK;
}

static int reconnect(void *ctx, struct ak_conn **c)
{
    struct listing *l = ctx;
    int rc = cli_conn(l->cli, c); /* gives back the failed one, binds anew */

    return rc == EXIT_OK ? AK_OK : AK_ERR_BACKEND;
}

int cli_scan(struct cli *cli, const char *base, const char *filter,
             char **attrs, unsigned page_size, ak_manage_entry_fn fn, void *ctx,
             const char *missing)
{
    struct listing l = {.cli = cli, .fn = fn, .ctx = ctx, .missing = missing};
    struct ak_scan s = {.cfg = cli->cfg,
                        .base = base,
                        .scope = LDAP_SCOPE_SUBTREE,
                        .filter = filter,
                        .attrs = attrs,
                        .page_size = page_size,
                        .entry = entry,
                        .aside = aside,
                        .reconnect = reconnect,
                        .ctx = &l};
    struct ak_conn *c;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_scan_run(&s, &c, &cli->log);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    return l.n_aside > 0 ? EXIT_INCOMPLETE : EXIT_OK;
}
