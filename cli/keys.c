/* SPDX-License-Identifier: BSD-3-Clause */
/* keys.c - one line (or JSON object) per key, with its effective state */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include "ak_record.h"
#include "ak_status.h"
#include "cli.h"
#include "when.h"

void keys_begin(struct keys_out *o)
{
    o->shown = 0;
    o->started = true;
    if (o->json)
        fputc('[', o->f);
}

/* The table's header, above its first row: a listing without keys has
 * none (the caller says so in one line). */
static void table_header(struct keys_out *o)
{
    fprintf(o->f, "%-16s  ", "ID");
    if (o->with_user)
        fprintf(o->f, "%-16s  ", "USER");
    fprintf(o->f, "%-20s  %-10s  %-25s  %-25s  %-8s  %s\n", "LABEL", "CREATED",
            "EXPIRES", "LAST USED", "STATE", "SCOPE");
}

void keys_end(struct keys_out *o)
{
    if (o->json)
        fputs("]\n", o->f);
}

static int by_created(const void *a, const void *b)
{
    const struct ak_record *x = a, *y = b;
    return (x->created > y->created) - (x->created < y->created);
}

static void scope_text(const struct ak_record *r, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    if (r->n_scopes == 0) {
        snprintf(buf, size, "all");
        return;
    }
    for (unsigned k = 0; k < r->n_scopes && n < size; k++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", k ? "," : "",
                              r->scopes[k]);
}

static void row_json(struct keys_out *o, const struct ak_holder *h,
                     const struct ak_record *r, const struct keysel_key *k)
{
    FILE *f = o->f;

    fprintf(f, "%s{\"id\":", o->shown > 0 ? "," : "");
    cli_json_str(f, r->id);
    fputs(",\"user\":", f);
    cli_json_str(f, h->name ? h->name : "");
    fputs(",\"dn\":", f);
    cli_json_str(f, h->dn);
    fprintf(f, ",\"service_user\":%s", h->service_user ? "true" : "false");
    fputs(",\"label\":", f);
    cli_json_str(f, r->label);
    fputs(",\"created\":", f);
    cli_json_time(f, true, r->created);
    fputs(",\"expires\":", f);
    cli_json_time(f, k->has_expiry, k->expiry);
    if (k->has_expiry)
        fprintf(f, ",\"expires_in_days\":%ld",
                when_days_until(k->expiry, o->now));
    else
        fputs(",\"expires_in_days\":null", f);
    fputs(",\"last_used\":", f);
    cli_json_time(f, k->has_used, k->used);
    fputs(",\"revoked\":", f);
    cli_json_time(f, r->is_revoked, r->revoked);
    fprintf(f, ",\"state\":\"%s\",\"scope\":[", keysel_state(k->verdict));
    for (unsigned s = 0; s < r->n_scopes; s++) {
        if (s > 0)
            fputc(',', f);
        cli_json_str(f, r->scopes[s]);
    }
    fputs("]}", f);
}

static void row_table(struct keys_out *o, const struct ak_holder *h,
                      const struct ak_record *r, const struct keysel_key *k)
{
    char cr[16], ex[48], used[48], sc[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
    struct tm tm;

    if (gmtime_r(&r->created, &tm) != NULL)
        strftime(cr, sizeof(cr), "%Y-%m-%d", &tm);
    else
        snprintf(cr, sizeof(cr), "?");
    when_text(ex, sizeof(ex), k->has_expiry, k->expiry, o->now);
    if (k->has_used)
        when_text(used, sizeof(used), true, k->used, o->now);
    else
        snprintf(used, sizeof(used), "%s", o->tracked ? "never" : "-");
    scope_text(r, sc, sizeof(sc));
    if (o->shown == 0)
        table_header(o);
    fprintf(o->f, "%-16s  ", r->id);
    if (o->with_user)
        fprintf(o->f, "%-16.16s  ", h->name ? h->name : h->dn);
    fprintf(o->f, "%-20.20s  %-10s  %-25s  %-25s  %-8s  %s\n",
            r->label[0] ? r->label : "-", cr, ex, used,
            keysel_state(k->verdict), sc);
}

void keys_holder(struct keys_out *o, const struct ak_holder *h)
{
    struct ak_record *recs;
    unsigned n = 0;

    if (h->n_records == 0)
        return;
    recs = calloc(h->n_records, sizeof(*recs));
    if (recs == NULL) {
        cli_err("out of memory listing %s", h->dn);
        return;
    }
    for (unsigned i = 0; i < h->n_records; i++) {
        const char *why = NULL;
        if (ak_holder_key(h, i, &recs[n], &why) == AK_OK) {
            n++;
            continue;
        }
        char id[AK_KEY_ID_LEN + 1] = "?";
        ak_record_peek_id(h->records[i], strlen(h->records[i]), id);
        cli_err("%s: key %s: malformed record (%s); never accepted", h->dn, id,
                why);
    }
    qsort(recs, n, sizeof(*recs), by_created);
    for (unsigned i = 0; i < n; i++) {
        struct keysel_key k = {0};
        k.verdict =
            ak_policy_judge(o->pol, &recs[i], o->now, &k.expiry, &k.has_expiry);
        k.created = recs[i].created;
        k.has_used = ak_holder_last_used(h, recs[i].id, &k.used);
        if (o->sel != NULL && !keysel_match(o->sel, &k, o->now))
            continue;
        if (o->json)
            row_json(o, h, &recs[i], &k);
        else
            row_table(o, h, &recs[i], &k);
        o->shown++;
    }
    free(recs);
}
