/* SPDX-License-Identifier: BSD-3-Clause */
/* taken.c - who holds a notice after a write of ours was refused */
#include "taken.h"

#include <stdio.h>
#include <string.h>

#include "ak_schema.h"
#include "ak_status.h"

bool ex_claim_ours(const struct ex *e, const struct ak_notice_plan *plan)
{
    /* From what we wrote, not from a read: with several daemons most
     * claims are lost races, and a read for each would add to the work
     * of every loser. A claim found the notice taken: by us when we wrote
     * a value for it. A take-over or give-up found the value it replaces
     * gone: by us when we wrote something for it after that value. */
    if (plan->action == AK_NOTICE_CLAIM)
        return ex_mine_last(&e->mine, &plan->id, NULL) != EX_MINE_NOTHING;
    return ex_mine_last(&e->mine, &plan->id, &plan->old) == EX_MINE_ELSE;
}

int ex_claim_refused(struct ex *e, const struct ak_notice_plan *plan)
{
    const struct ak_notice_id *id = &plan->id;
    const char *cls = ak_notice_class_name(id->class);
    bool ours = ex_claim_ours(e, plan);

    if (ours) {
        ak_debug(&e->log,
                 "key %s: the %s notice of stage %u is this daemon's "
                 "already (planned from an entry read before its own write)",
                 id->kid, cls, id->stage);
        return EX_STALE;
    }
    ak_log(&e->log, LOG_INFO,
           "key %s: the %s notice of stage %u was taken by another daemon (or "
           "the key changed since it was read)",
           id->kid, cls, id->stage);
    return AK_ERR_CONFLICT;
}

enum ex_taken {
    EX_TAKEN_OURS,    /* a value we wrote */
    EX_TAKEN_OTHER,   /* someone else's, or one that cannot be read */
    EX_TAKEN_NONE,    /* no value: removed by hand */
    EX_TAKEN_UNKNOWN, /* the entry could not be read */
};

/* The value of notice id among the entry's values, and whose it is. */
static enum ex_taken look(const struct ex *e, LDAP *ld, LDAPMessage *m,
                          const struct ak_notice_id *id,
                          struct ak_notice *found)
{
    struct berval **vs = ldap_get_values_len(ld, m, AK_AT_NOTICE);
    enum ex_taken t = EX_TAKEN_NONE;

    for (size_t i = 0; vs != NULL && vs[i] != NULL; i++) {
        const char *why = NULL;

        switch (
            ak_notice_match(vs[i]->bv_val, vs[i]->bv_len, id, found, &why)) {
        case AK_NOTICE_THIS:
            t = ex_mine_wrote(&e->mine, vs[i]->bv_val, vs[i]->bv_len)
                    ? EX_TAKEN_OURS
                    : EX_TAKEN_OTHER;
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
        if (t != EX_TAKEN_NONE)
            break;
    }
    ldap_value_free_len(vs);
    return t;
}

/* Read the notice values of dn on the writable server (rare: a settle is
 * refused only after its lease ran out, or when its answer was lost). */
static enum ex_taken taken_by(struct ex *e, const char *dn,
                              const struct ak_notice_id *id,
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
        t = look(e, ak_conn_ld(c), m, id, found);
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

int ex_settle_refused(struct ex *e, const struct ex_item *it,
                      const struct ak_notice *final)
{
    char want[AK_NOTICE_MAX + 1], got[AK_NOTICE_MAX + 1];
    char who[AK_NOTICE_HOST_MAX + 48] = "";
    struct ak_notice n;
    enum ex_taken t = taken_by(e, it->dn, &it->id, &n);

    /* the very outcome we wrote: an earlier round went through */
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
