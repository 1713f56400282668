/* SPDX-License-Identifier: BSD-3-Clause */
/* service_delete.c - apikey service delete: a service user and its keys */
#include <getopt.h>
#include <string.h>

#include "ak_record.h"
#include "ak_status.h"
#include "service.h"

#define IDS_MAX 64

/* The key ids of s (the first IDS_MAX), comma-separated, for the
 * messages and the audit line. */
static void key_ids(const struct ak_service *s,
                    char ids[IDS_MAX * (AK_KEY_ID_LEN + 1) + 1])
{
    ids[0] = '\0';
    for (unsigned i = 0; i < s->h.n_records && i < IDS_MAX; i++) {
        char id[AK_KEY_ID_LEN + 1];
        if (ak_record_peek_id(s->h.records[i], strlen(s->h.records[i]), id)) {
            strcat(ids, ids[0] ? "," : "");
            strcat(ids, id);
        }
    }
}

static int delete_entry(struct cli *cli, const struct ak_service *s)
{
    struct ak_conn *c;
    int rc = cli_conn(cli, &c);

    if (rc != EXIT_OK)
        return rc;
    rc = ak_service_delete(c, s->h.dn, &cli->log);
    return rc == AK_OK
               ? EXIT_OK
               : cli_change_failed(cli, rc, "delete a service user", s->h.dn);
}

int svc_delete(struct cli *cli, int argc, char **argv)
{
    struct svc_opts o;
    struct ak_service s;
    struct ak_policy pol;
    struct ak_conn *c;
    char ids[IDS_MAX * (AK_KEY_ID_LEN + 1) + 1];
    unsigned total, active;
    int rc;

    rc = svc_parse(argc, argv,
                   "delete NAME [--force]\nRemove the service user NAME and "
                   "its keys. Refused while it holds\nactive keys, unless "
                   "--force (revoke or let them expire first).",
                   "f", &o);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    rc = svc_begin_read(cli, argv[optind], &c, &pol, &s);
    if (rc != EXIT_OK)
        goto out;
    ak_service_keys(&s, &pol, time(NULL), &total, &active);
    key_ids(&s, ids);
    /* keys in use are not removed by accident */
    if (active > 0 && !o.force) {
        cli_err("%s holds %u active key(s) (%s); revoke them first, or "
                "give --force",
                s.h.name ? s.h.name : s.h.dn, active, ids);
        cli_audit(cli, "service-delete", EXIT_DENIED, NULL, s.h.dn,
                  "detail=\"has active keys\"");
        rc = EXIT_DENIED;
        goto out;
    }
    rc = delete_entry(cli, &s);
    cli_audit(cli, "service-delete", rc, NULL, s.h.dn, "keys=%s",
              ids[0] ? ids : "-");
    if (rc == EXIT_OK)
        printf("deleted service user %s and its %u key(s)\n",
               cli_show(s.h.name ? s.h.name : s.h.dn), total);
out:
    ak_service_free(&s);
    return rc;
}
