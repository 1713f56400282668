/* SPDX-License-Identifier: BSD-3-Clause */
/* keys.c - one line (or JSON object) per key, with its effective state */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include "ak_notice.h"
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
    fprintf(o->f, "%-20s  %-10s  %-25s  %-25s  %-8s  %-10s  %s\n", "LABEL",
            "CREATED", "EXPIRES", "LAST USED", "STATE", "SCOPE", "NOTICES");
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

/* The apiKeyNotice values of one key (which notices went out), parsed;
 * values that name the key and cannot be read are kept apart. */
struct key_notices {
    struct ak_notice *v;
    unsigned n;
    const char **bad; /* raw values that cannot be read */
    const char **bad_why;
    unsigned n_bad;
};

static bool names_key(const char *v, const char *kid)
{
    return strncmp(v, kid, AK_KEY_ID_LEN) == 0 &&
           (v[AK_KEY_ID_LEN] == '\0' || v[AK_KEY_ID_LEN] == ' ');
}

/* Newest expiry first, then the widest stage, the owner before the
 * admins. */
static int by_notice(const void *a, const void *b)
{
    const struct ak_notice *x = a, *y = b;
    if (x->id.expires != y->id.expires)
        return x->id.expires < y->id.expires ? 1 : -1;
    if (x->id.stage != y->id.stage)
        return x->id.stage < y->id.stage ? 1 : -1;
    return (int)x->id.class - (int)y->id.class;
}

static bool notices_of(const struct ak_holder *h, const char *kid,
                       struct key_notices *kn)
{
    memset(kn, 0, sizeof(*kn));
    if (h->n_notices == 0)
        return true;
    kn->v = calloc(h->n_notices, sizeof(*kn->v));
    kn->bad = calloc(h->n_notices, sizeof(*kn->bad));
    kn->bad_why = calloc(h->n_notices, sizeof(*kn->bad_why));
    if (kn->v == NULL || kn->bad == NULL || kn->bad_why == NULL)
        return false;
    for (unsigned i = 0; i < h->n_notices; i++) {
        const char *v = h->notices[i], *why = "?";
        /* every byte, as the daemon reads it: a value with a NUL would
         * read short (and perhaps well) as a string */
        size_t len = h->bytes[AK_HF_NOTICE][i].n;
        if (!names_key(v, kid))
            continue;
        if (ak_notice_parse(v, len, &kn->v[kn->n], &why) == AK_OK) {
            kn->n++;
        } else {
            kn->bad[kn->n_bad] = v;
            kn->bad_why[kn->n_bad++] = why;
        }
    }
    qsort(kn->v, kn->n, sizeof(*kn->v), by_notice);
    return true;
}

static void notices_free(struct key_notices *kn)
{
    free(kn->v);
    free(kn->bad);
    free(kn->bad_why);
}

/*
 * The table's NOTICES column: the notices of the key's current expiry,
 * one item per stage, "30d skipped, 7d sent, expired deferred"; a stage
 * whose owner and admin notices differ says both ("7d owner failed/admin
 * sent"). Values that cannot be read: "N unreadable". None: "-".
 */
static void notices_text(const struct key_notices *kn,
                         const struct keysel_key *k, char *buf, size_t size)
{
    size_t n = 0;
    bool any = false;

    buf[0] = '\0';
    for (unsigned i = 0; i < kn->n && n < size; i++) {
        const struct ak_notice *a = &kn->v[i], *b = NULL;
        char stage[16];

        if (!k->has_expiry || a->id.expires != k->expiry)
            continue;
        if (i + 1 < kn->n && kn->v[i + 1].id.expires == a->id.expires &&
            kn->v[i + 1].id.stage == a->id.stage)
            b = &kn->v[++i];
        if (a->id.stage == 0)
            snprintf(stage, sizeof(stage), "expired");
        else
            snprintf(stage, sizeof(stage), "%ud", a->id.stage);
        if (b == NULL || b->state == a->state)
            n += (size_t)snprintf(buf + n, size - n, "%s%s %s", any ? ", " : "",
                                  stage, ak_notice_state_name(a->state));
        else
            n += (size_t)snprintf(buf + n, size - n, "%s%s %s %s/%s %s",
                                  any ? ", " : "", stage,
                                  ak_notice_class_name(a->id.class),
                                  ak_notice_state_name(a->state),
                                  ak_notice_class_name(b->id.class),
                                  ak_notice_state_name(b->state));
        any = true;
    }
    if (kn->n_bad > 0 && n < size) {
        n += (size_t)snprintf(buf + n, size - n, "%s%u unreadable",
                              any ? ", " : "", kn->n_bad);
        any = true;
    }
    if (!any)
        snprintf(buf, size, "-");
}

static void notices_json(FILE *f, const struct key_notices *kn,
                         const struct keysel_key *k)
{
    fputs(",\"notices\":[", f);
    for (unsigned i = 0; i < kn->n; i++) {
        const struct ak_notice *a = &kn->v[i];
        fprintf(f, "%s{\"stage\":%u,\"class\":\"%s\",\"state\":\"%s\",",
                i ? "," : "", a->id.stage, ak_notice_class_name(a->id.class),
                ak_notice_state_name(a->state));
        fputs("\"time\":", f);
        cli_json_time(f, true, a->at);
        fputs(",\"expires\":", f);
        cli_json_time(f, true, a->id.expires);
        fprintf(f, ",\"current\":%s",
                k->has_expiry && a->id.expires == k->expiry ? "true" : "false");
        if (a->state == AK_NOTICE_CLAIMED) {
            fputs(",\"host\":", f);
            cli_json_str(f, a->host);
        } else if (a->state == AK_NOTICE_DEFERRED) {
            fprintf(f, ",\"attempts\":%u", a->attempts);
        } else if (a->state == AK_NOTICE_FAILED) {
            fputs(",\"reason\":", f);
            cli_json_str(f, a->reason);
        }
        fputc('}', f);
    }
    fputs("],\"notices_unreadable\":[", f);
    for (unsigned i = 0; i < kn->n_bad; i++) {
        fprintf(f, "%s{\"value\":", i ? "," : "");
        cli_json_str(f, kn->bad[i]);
        fputs(",\"error\":", f);
        cli_json_str(f, kn->bad_why[i]);
        fputc('}', f);
    }
    fputc(']', f);
}

static void row_json(struct keys_out *o, const struct ak_holder *h,
                     const struct ak_record *r, const struct keysel_key *k,
                     const struct key_notices *kn)
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
    fputc(']', f);
    notices_json(f, kn, k);
    fputc('}', f);
}

static void row_table(struct keys_out *o, const struct ak_holder *h,
                      const struct ak_record *r, const struct keysel_key *k,
                      const struct key_notices *kn)
{
    char cr[16], ex[48], used[48], sc[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
    char nt[512];
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
    notices_text(kn, k, nt, sizeof(nt));
    if (o->shown == 0)
        table_header(o);
    fprintf(o->f, "%-16s  ", r->id);
    /* names and labels as the directory holds them, escaped (cli_show) */
    if (o->with_user)
        fprintf(o->f, "%-16s  ", cli_show_cut(h->name ? h->name : h->dn, 16));
    fprintf(o->f, "%-20s  %-10s  %-25s  %-25s  %-8s  %-10s  %s\n",
            r->label[0] ? cli_show_cut(r->label, 20) : "-", cr, ex, used,
            keysel_state(k->verdict), sc, nt);
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
        struct key_notices kn;
        if (!notices_of(h, recs[i].id, &kn)) {
            notices_free(&kn);
            cli_err("out of memory listing %s", h->dn);
            break;
        }
        if (o->json)
            row_json(o, h, &recs[i], &k, &kn);
        else
            row_table(o, h, &recs[i], &k, &kn);
        notices_free(&kn);
        o->shown++;
    }
    free(recs);
}
