/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_list.c - apikey list: a user's keys with their effective state */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ak_policy.h"
#include "ak_record.h"
#include "ak_status.h"
#include "ak_store.h"
#include "cli.h"

static void list_usage(FILE *f)
{
    fprintf(f, "Usage: apikey list USER [--json]\n"
               "\n"
               "List the keys of USER (a user or service user): id, label,\n"
               "creation, effective expiry (the policy applied), state and "
               "scope.\n"
               "Secrets are never stored, so they are never shown.\n");
}

static const char *state_name(enum ak_key_verdict v)
{
    switch (v) {
    case AK_KEY_VALID:
        return "active";
    case AK_KEY_REVOKED:
        return "revoked";
    case AK_KEY_EXPIRED:
    case AK_KEY_EXPIRY_REQUIRED:
        return "expired";
    case AK_KEY_CREATED_IN_FUTURE:
        return "invalid";
    }
    return "?";
}

static void scope_text(const struct ak_record *r, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    if (r->n_scopes == 0) {
        snprintf(buf, size, "all");
        return;
    }
    for (unsigned k = 0; k < r->n_scopes && o < size; k++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", k ? "," : "",
                              r->scopes[k]);
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ak_holder h = {0};
    struct ak_policy pol;
    struct ak_conn *conn = NULL;
    bool json = cli->json, first = true;
    time_t now = time(NULL);
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            list_usage(stdout);
            return EXIT_OK;
        } else {
            list_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        list_usage(stderr);
        return EXIT_USAGE;
    }
    rc = cli_open(cli);
    if (rc != EXIT_OK)
        return rc;
    rc = ak_dir_acquire(cli->dir, false, &cli->log, &conn);
    if (rc != AK_OK)
        return cli_exit_for(rc);
    rc = ak_store_read_policy(conn, cli->cfg, &cli->log, &pol);
    if (rc == AK_OK)
        rc = ak_store_find_user(conn, cli->cfg, argv[optind], &cli->log, &h);
    if (rc == AK_ERR_NOT_FOUND) {
        cli_err("no user or service user '%s'", argv[optind]);
        rc = EXIT_NOT_FOUND;
        goto out;
    }
    if (rc != AK_OK) {
        rc = cli_exit_for(rc);
        goto out;
    }
    if (json)
        printf("[");
    else
        printf("%-16s  %-20s  %-20s  %-20s  %-8s  %s\n", "ID", "LABEL",
               "CREATED", "EXPIRES", "STATE", "SCOPE");
    for (unsigned i = 0; i < h.n_records; i++) {
        struct ak_record r;
        const char *why = NULL;
        char cr[40], ex[40], sc[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
        time_t eff = 0;
        bool has_eff = false;
        enum ak_key_verdict v;

        if (ak_record_parse(h.records[i], strlen(h.records[i]), &r, &why) !=
            AK_OK) {
            char id[AK_KEY_ID_LEN + 1] = "?";
            ak_record_peek_id(h.records[i], strlen(h.records[i]), id);
            cli_err("%s: key %s: malformed record (%s); never accepted", h.dn,
                    id, why);
            continue;
        }
        v = ak_policy_judge(&pol, &r, now, &eff, &has_eff);
        scope_text(&r, sc, sizeof(sc));
        if (json) {
            printf("%s{\"id\":", first ? "" : ",");
            cli_json_str(stdout, r.id);
            printf(",\"user\":");
            cli_json_str(stdout, h.name ? h.name : "");
            printf(",\"dn\":");
            cli_json_str(stdout, h.dn);
            printf(",\"label\":");
            cli_json_str(stdout, r.label);
            printf(",\"created\":\"%s\"", cli_iso(cr, sizeof(cr), r.created));
            if (has_eff)
                printf(",\"expires\":\"%s\"", cli_iso(ex, sizeof(ex), eff));
            else
                printf(",\"expires\":null");
            printf(",\"state\":\"%s\",\"scope\":[", state_name(v));
            for (unsigned k = 0; k < r.n_scopes; k++) {
                if (k > 0)
                    putchar(',');
                cli_json_str(stdout, r.scopes[k]);
            }
            printf("]}");
        } else {
            printf("%-16s  %-20.20s  %-20s  %-20s  %-8s  %s\n", r.id,
                   r.label[0] ? r.label : "-",
                   cli_date(cr, sizeof(cr), true, r.created),
                   cli_date(ex, sizeof(ex), has_eff, eff), state_name(v), sc);
        }
        first = false;
    }
    if (json)
        printf("]\n");
    rc = EXIT_OK;
out:
    ak_holder_free(&h);
    ak_dir_release(cli->dir, conn);
    return rc;
}
