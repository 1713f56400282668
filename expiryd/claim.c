/* SPDX-License-Identifier: BSD-3-Clause */
/* claim.c - the daemon's bookkeeping writes, on the writable server */
#include <stdio.h>

#include "ak_status.h"
#include "ak_store_notice.h"
#include "ex_pass.h"
#include "taken.h"
#include "testhook.h"

static int claim_on(struct ex *e, struct ak_conn *c, const char *dn,
                    const struct ak_notice_plan *plan, time_t now,
                    struct ak_notice *claimed)
{
    int rc;

    switch (plan->action) {
    case AK_NOTICE_CLAIM:
        rc = ak_store_notice_claim(c, dn, &plan->id, plan->skip, plan->n_skip,
                                   now, e->host, &e->log, claimed);
        break;
    case AK_NOTICE_TAKE_OVER:
        rc = ak_store_notice_take_over(c, dn, &plan->old, now, e->host, &e->log,
                                       claimed);
        if (rc == AK_OK)
            ak_log(&e->log, LOG_NOTICE, "key %s: took over notice (%s)",
                   plan->id.kid, plan->why ? plan->why : "");
        break;
    case AK_NOTICE_GIVE_UP: {
        struct ak_notice failed = {
            .id = plan->old.id, .state = AK_NOTICE_FAILED, .at = now};
        snprintf(failed.reason, sizeof(failed.reason), "tempfail-24h");
        rc = ak_store_notice_replace(c, dn, &plan->old, &failed, &e->log);
        if (rc == AK_OK)
            ex_mine_add(&e->mine, &failed);
        if (rc == AK_OK)
            ak_log(&e->log, LOG_ERR,
                   "key %s: a notice could not be delivered for 24 hours; "
                   "given up (the mailer kept failing)",
                   plan->id.kid);
        break;
    }
    default:
        rc = AK_ERR_INVALID;
        break;
    }
    return rc;
}

/* A pooled connection may have outlived its server (restarted while we
 * waited): a write that fails there is tried once more on a new one. Safe:
 * a claim that did reach the server finds its own value there the second
 * time and is refused like any lost race (taken over after the lease); a
 * settle finds its own outcome there, and taken.c sees it is ours. */
int ex_claim(struct ex *e, const char *dn, const struct ak_notice_plan *plan,
             time_t now, struct ak_notice *claimed)
{
    int rc = AK_ERR_BACKEND;

    for (int round = 0; round < 2 && rc == AK_ERR_BACKEND; round++) {
        struct ak_conn *c = NULL;
        rc = ak_dir_acquire(e->wr, round > 0, &e->log, &c);
        if (rc != AK_OK)
            return rc;
        rc = claim_on(e, c, dn, plan, now, claimed);
        ak_dir_release(e->wr, c);
    }
    if (rc == AK_OK && plan->action != AK_NOTICE_GIVE_UP && claimed != NULL)
        ex_mine_add(&e->mine, claimed);
    if (rc == AK_OK && plan->action != AK_NOTICE_GIVE_UP)
        EX_CRASH_POINT("claimed");
    if (rc == AK_ERR_CONFLICT)
        rc = ex_claim_refused(e, plan);
    return rc;
}

int ex_settle(struct ex *e, const struct ex_item *it,
              const struct ak_notice *final)
{
    int rc = AK_ERR_BACKEND;

    ex_mine_add(&e->mine, final); /* before: a lost answer is told apart */
    for (int round = 0; round < 2 && rc == AK_ERR_BACKEND; round++) {
        struct ak_conn *c = NULL;
        rc = ak_dir_acquire(e->wr, round > 0, &e->log, &c);
        if (rc != AK_OK)
            break;
        rc = ak_store_notice_settle(c, it->dn, &it->claimed, final, &e->log);
        ak_dir_release(e->wr, c);
    }
    if (rc == AK_ERR_CONFLICT)
        rc = ex_settle_refused(e, it, final);
    if (rc != AK_OK && rc != AK_ERR_CONFLICT)
        ak_log(&e->log, LOG_ERR,
               "key %s: cannot record the notice as %s (%s); its claim "
               "expires after notice_lease",
               it->id.kid, ak_notice_state_name(final->state), ak_strerror(rc));
    return rc;
}
