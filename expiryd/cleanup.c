/* SPDX-License-Identifier: BSD-3-Clause */
/* cleanup.c - housekeeping, one search of the holders: the values of keys
 * that ended long ago (key_cleanup_days, prune.c), then the apiKeyNotice
 * values of keys that are gone or ended long ago (notice_cleanup_days),
 * removed one exact value at a time */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ak_holder.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store_notice.h"
#include "ak_time.h"
#include "ex_pass.h"

#define EX_CLEANUP_EVERY 3600 /* seconds between sweeps of a daemon */

struct sweep {
    struct ex *e;
    struct ak_holder_attrs attrs;
    struct ak_notice_opts opts;
    time_t now;
    unsigned removed, unreadable;
    struct ex_prune_sweep keys;
};

/* One exact-value delete on the writable server. */
static int remove_value(struct ex *e, const char *dn,
                        const struct ak_notice_sweep_out *o)
{
    struct ak_conn *c = NULL;
    int rc = ak_dir_acquire(e->wr, false, &e->log, &c);

    if (rc != AK_OK)
        return rc;
    rc = ak_store_notice_remove(c, dn, &o->n, o->verdict == AK_SWEEP_GONE,
                                &e->log);
    ak_dir_release(e->wr, c);
    return rc;
}

static void value(struct sweep *s, struct ak_entry *en,
                  const struct ak_holder_view *v, const struct ak_values *ids,
                  const struct ak_bytes *b)
{
    struct ex *e = s->e;
    struct ak_notice_sweep_out o;
    char q[AK_NOTICE_MAX * 4 + 8], dnq[512];
    char *dn;
    int rc;

    ak_notice_sweep(v, ids, &e->pol.p, b->p, b->n, s->now, &s->opts, &o);
    ak_log_quote(dnq, sizeof(dnq), v->dn, (unsigned)v->dn_len);
    ak_log_quote(q, sizeof(q), b->p, (unsigned)b->n);
    if (o.verdict == AK_SWEEP_GARBAGE) {
        s->unreadable++;
        ak_log(&e->log, LOG_WARNING,
               "%s: apiKeyNotice value '%s' cannot be read (%s); "
               "housekeeping leaves it to an admin",
               dnq, q, o.why ? o.why : "?");
        return;
    }
    if (o.verdict == AK_SWEEP_KEEP) {
        ak_debug(&e->log, "%s: key %s: notice '%s' kept (%s)", dnq, o.n.id.kid,
                 q, o.why);
        return;
    }
    if (e->dry_run) {
        printf("--- would remove from %s: apiKeyNotice %s (%s)\n", dnq, q,
               o.why);
        s->removed++;
        return;
    }
    dn = ak_entry_dn(en);
    rc = dn ? remove_value(e, dn, &o) : AK_ERR_NOMEM;
    free(dn);
    if (rc == AK_OK) {
        s->removed++;
        ak_log(&e->log, LOG_INFO, "%s: key %s: removed apiKeyNotice '%s' (%s)",
               dnq, o.n.id.kid, q, o.why);
    } else if (rc == AK_ERR_CONFLICT) {
        ak_log(&e->log, LOG_INFO,
               "%s: key %s: apiKeyNotice '%s' changed meanwhile; not removed",
               dnq, o.n.id.kid, q);
    } else {
        ak_log(&e->log, LOG_ERR,
               "%s: key %s: cannot remove apiKeyNotice '%s' (%s)", dnq,
               o.n.id.kid, q, ak_strerror(rc));
    }
}

static int sweep_entry(void *ctx, LDAP *ld, LDAPMessage *m)
{
    struct sweep *s = ctx;
    struct ak_entry en;
    struct ak_holder_view v;
    struct ex_pruned after = {0};
    const struct ak_values *notices;

    int rc = ex_open_holder(s->e, ld, m, s->attrs.list, &en);

    if (rc != AK_OK) /* one unreadable entry: nothing decided about it */
        return rc == AK_ERR_NOMEM ? rc : AK_OK;
    if (ak_holder_in_bases(&en, s->e->cfg)) {
        ak_holder_view_of(&en, &s->attrs, &v);
        /* the keys first: the notices of those that went are then a gone
         * key's, removed in this same sweep */
        if (s->e->cfg->key_cleanup_days > 0 && !ex_stop)
            ex_prune_holder(s->e, &en, &s->attrs, &v, s->now, &s->keys, &after);
        else
            after = (struct ex_pruned){
                .v = v, .ids = *ak_holder_field(&en, &s->attrs, AK_HF_ID)};
        notices = ak_holder_field(&en, &s->attrs, AK_HF_NOTICE);
        for (unsigned i = 0;
             s->e->cfg->notice_cleanup_days > 0 && i < notices->n && !ex_stop;
             i++)
            value(s, &en, &after.v, &after.ids, &notices->v[i]);
        ex_pruned_free(&after);
    }
    ak_entry_close(&en);
    return AK_OK;
}

/* The holders with something either half may remove, in one search: for
 * the keys, those with an expiry time past the grace or with an end (a
 * key ends by its expiry, which the entry's apiKeyExpires repeats, or by
 * a value of apiKeyRevoked), not every holder with records: the index on
 * apiKeyExpires answers most of it, and a pass stays one read of the
 * holders plus the few that may change; for the notices, those with
 * notices (a holder whose last record an admin removed is one of them). */
static void filter_of(const struct ex *e, time_t now, char *buf, size_t len)
{
    const struct ak_config *cfg = e->cfg;
    char past[AK_TIME_LEN + 1] = "";
    bool keys = cfg->key_cleanup_days > 0;
    bool notices = cfg->notice_cleanup_days > 0;

    if (keys && ak_time_format(now - (time_t)cfg->key_cleanup_days * 86400,
                               past) != AK_OK)
        snprintf(past, sizeof(past), "19700101000000Z");
    snprintf(buf, len, "(&(objectClass=" AK_OC_HOLDER ")(|%s%s%s%s%s)(|%s%s))",
             keys ? "(" AK_AT_EXPIRES "<=" : "", keys ? past : "",
             keys ? ")" : "", keys ? "(" AK_AT_REVOKED "=*)" : "",
             notices ? "(" AK_AT_NOTICE "=*)" : "", cfg->user_filter,
             cfg->service_filter);
}

static void summary(struct ex *e, const struct sweep *s, int rc)
{
    const struct ex_prune_sweep *k = &s->keys;
    const char *would = e->dry_run ? "would be " : "";
    bool any = s->removed || s->unreadable || k->keys || k->values ||
               k->changed || k->denied || k->failed || k->oversized;

    if (rc != AK_OK)
        ak_log(&e->log, LOG_ERR, "housekeeping stopped: %s", ak_strerror(rc));
    ak_log(&e->log, any ? LOG_INFO : LOG_DEBUG,
           "housekeeping: %u ended key%s %sremoved (%u values), %u notice "
           "value%s %sremoved, %u unreadable left; %u holders changed "
           "meanwhile, %u refused by the access rules, %u past their "
           "bounds left alone, %u failed",
           k->keys, k->keys == 1 ? "" : "s", would, k->values, s->removed,
           s->removed == 1 ? "" : "s", would, s->unreadable, k->changed,
           k->denied, k->oversized, k->failed);
    e->st.pruned += k->keys;
}

int ex_cleanup(struct ex *e, time_t now)
{
    struct sweep s = {.e = e, .now = now, .opts = ex_notice_opts(e)};
    struct ak_conn *c = NULL;
    char filter[2048];
    int rc;

    struct timespec mono;

    if (e->cfg->notice_cleanup_days == 0 && e->cfg->key_cleanup_days == 0)
        return AK_OK;
    /* Days of grace need no finer sweep: a daemon sweeps once an hour
     * (each of its passes reads every holder already), one pass always. */
    clock_gettime(CLOCK_MONOTONIC, &mono);
    if (!e->once && e->cleaned &&
        mono.tv_sec - e->cleaned_at < EX_CLEANUP_EVERY)
        return AK_OK;
    e->cleaned = true;
    e->cleaned_at = mono.tv_sec;
    ex_attrs(e, &s.attrs);
    filter_of(e, now, filter, sizeof(filter));
    rc = ak_dir_acquire(e->rd, false, &e->log, &c);
    if (rc == AK_OK)
        rc = ex_holders(e, &c, filter, s.attrs.list, sweep_entry, &s);
    if (c != NULL)
        ak_dir_release(e->rd, c);
    summary(e, &s, rc);
    return rc;
}
