/* SPDX-License-Identifier: BSD-3-Clause */
/* taken.c - who holds a notice after a write of ours was refused */
#include "taken.h"

#include <stdio.h>
#include <string.h>

#include "ak_schema.h"
#include "ak_status.h"

enum ex_taken {
    EX_TAKEN_OURS,    /* a value we wrote, or our claim of this second */
    EX_TAKEN_OTHER,   /* someone else's, or one that cannot be read */
    EX_TAKEN_NONE,    /* no value: the key changed (removed, revoked) */
    EX_TAKEN_UNKNOWN, /* the entry could not be read */
};

/* The value v[0..len) about id: ours or not. */
static enum ex_taken whose(const struct ex *e, const char *v, size_t len,
                           const struct ak_notice *n, time_t now)
{
    if (ex_mine_has(&e->mine, v, len))
        return EX_TAKEN_OURS;
    if (n->state == AK_NOTICE_CLAIMED && n->at == now &&
        strcmp(n->host, e->host) == 0)
        return EX_TAKEN_OURS;
    return EX_TAKEN_OTHER;
}

static enum ex_taken look(const struct ex *e, LDAP *ld, LDAPMessage *m,
                          const struct ak_notice_id *id, time_t now,
                          struct ak_notice *found)
{
    struct berval **vs = ldap_get_values_len(ld, m, AK_AT_NOTICE);
    enum ex_taken t = EX_TAKEN_NONE;

    for (size_t i = 0; vs != NULL && vs[i] != NULL && t != EX_TAKEN_OURS; i++) {
        struct ak_notice n;
        const char *why = NULL;

        switch (ak_notice_match(vs[i]->bv_val, vs[i]->bv_len, id, &n, &why)) {
        case AK_NOTICE_THIS:
            t = whose(e, vs[i]->bv_val, vs[i]->bv_len, &n, now);
            *found = n;
            break;
        case AK_NOTICE_GARBAGE:
            memset(found, 0, sizeof(*found));
            found->id = *id;
            found->state = AK_NOTICE_FAILED;
            snprintf(found->reason, sizeof(found->reason), "unreadable");
            t = EX_TAKEN_OTHER;
            break;
        case AK_NOTICE_OTHER:
            break;
        }
    }
    ldap_value_free_len(vs);
    return t;
}

static enum ex_taken ex_taken_by(struct ex *e, const char *dn,
                                 const struct ak_notice_id *id, time_t now,
                                 struct ak_notice *found)
{
    char *attrs[] = {AK_LDAP_STR(AK_AT_NOTICE), NULL};
    struct ak_conn *c = NULL;
    LDAPMessage *res = NULL, *m;
    enum ex_taken t = EX_TAKEN_UNKNOWN;

    if (ak_dir_acquire(e->wr, false, &e->log, &c) != AK_OK)
        return t;
    if (ak_conn_search(c, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1,
                       &e->log, &res) == AK_OK &&
        (m = ldap_first_entry(ak_conn_ld(c), res)) != NULL)
        t = look(e, ak_conn_ld(c), m, id, now, found);
    ldap_msgfree(res);
    ak_dir_release(e->wr, c);
    return t;
}

/* " (claimed by HOST)", " (sent)", ...: what holds a notice now. */
static void holder_of(const struct ak_notice *n, char *buf, size_t size)
{
    if (n->state == AK_NOTICE_CLAIMED)
        snprintf(buf, size, " (claimed by %s)", n->host);
    else
        snprintf(buf, size, " (%s)",
                 n->state == AK_NOTICE_FAILED &&
                         strcmp(n->reason, "unreadable") == 0
                     ? "a value that cannot be read"
                     : ak_notice_state_name(n->state));
}

/* A claim, take-over or give-up the directory refused. Only another
 * daemon's (or an admin's) value is a lost race: AK_ERR_CONFLICT, logged
 * at info and counted. Our own value (this daemon planned again from an
 * entry read before its write: a queued syncrepl snapshot) and a key that
 * changed meanwhile are no race: EX_STALE, nothing to do. */
int ex_claim_refused(struct ex *e, const char *dn,
                     const struct ak_notice_plan *plan, time_t now)
{
    const struct ak_notice_id *id = &plan->id;
    const char *cls = ak_notice_class_name(id->class);
    struct ak_notice n;
    char who[AK_NOTICE_HOST_MAX + 48];

    switch (ex_taken_by(e, dn, id, now, &n)) {
    case EX_TAKEN_OURS:
        ak_debug(&e->log,
                 "key %s: the %s notice of stage %u is this daemon's "
                 "already (planned from an entry read before its own write)",
                 id->kid, cls, id->stage);
        return EX_STALE;
    case EX_TAKEN_NONE:
        ak_log(&e->log, LOG_INFO,
               "key %s: changed since it was read (removed or revoked): its "
               "%s notice of stage %u is left alone",
               id->kid, cls, id->stage);
        return EX_STALE;
    case EX_TAKEN_OTHER:
        holder_of(&n, who, sizeof(who));
        ak_log(&e->log, LOG_INFO,
               "key %s: the %s notice of stage %u was taken by another "
               "daemon%s",
               id->kid, cls, id->stage, who);
        return AK_ERR_CONFLICT;
    default:
        ak_log(&e->log, LOG_INFO,
               "key %s: the %s notice of stage %u was taken meanwhile (by "
               "whom cannot be read)",
               id->kid, cls, id->stage);
        return AK_ERR_CONFLICT;
    }
}

/* A settle the directory refused: our claim is gone. When the value there
 * is the very outcome we wrote, an earlier round went through (its answer
 * was lost). Otherwise the claim was taken over after its lease (by
 * another daemon, or by this one from an entry read before its claim). */
int ex_settle_refused(struct ex *e, const struct ex_item *it,
                      const struct ak_notice *final)
{
    char want[AK_NOTICE_MAX + 1], got[AK_NOTICE_MAX + 1];
    char who[AK_NOTICE_HOST_MAX + 48] = "";
    struct ak_notice n;
    enum ex_taken t = ex_taken_by(e, it->dn, &it->id, 0, &n);

    if (t == EX_TAKEN_OURS && ak_notice_format(final, want) == AK_OK &&
        ak_notice_format(&n, got) == AK_OK && strcmp(want, got) == 0)
        return AK_OK;
    if (t == EX_TAKEN_OURS || t == EX_TAKEN_OTHER)
        holder_of(&n, who, sizeof(who));
    /* sent: the other claimant sends it too (the one duplicate window) */
    ak_log(&e->log, final->state == AK_NOTICE_SENT ? LOG_WARNING : LOG_INFO,
           "key %s: %s notice %s, but its claim had been %s%s: %s", it->id.kid,
           ak_notice_class_name(it->id.class),
           ak_notice_state_name(final->state),
           t == EX_TAKEN_NONE    ? "removed"
           : t == EX_TAKEN_OURS  ? "taken over by this daemon"
           : t == EX_TAKEN_OTHER ? "taken over by another daemon"
                                 : "taken over",
           who,
           final->state == AK_NOTICE_SENT ? "it may go out twice"
                                          : "not recorded");
    return AK_ERR_CONFLICT;
}
