/* SPDX-License-Identifier: BSD-3-Clause */
/* pass.c - one pass: the policy, the scan and its claims, delivery */
#include <string.h>
#include <time.h>

#include "ak_status.h"
#include "ak_store_policy.h"
#include "ex_pass.h"
#include "testhook.h"

/* The policy as it is now: its stages and admin recipients. A missing or
 * bad policy entry stops the pass (no notice is computed from a policy we
 * cannot read). */
static int read_policy(struct ex *e, struct ak_conn *c)
{
    struct ak_policy_entry pe = {0};
    const char *bad = NULL;
    int rc;

    if (e->cfg->policy_dn == NULL) {
        ak_log(&e->log, LOG_ERR,
               "%s sets no policy_dn: there are no notice days to act on",
               e->cfg->path);
        return AK_ERR_CONFIG;
    }
    rc = ak_store_read_policy_entry(c, e->cfg, &e->log, &pe, &bad);
    if (rc != AK_OK) {
        ak_log(&e->log, LOG_ERR, "policy %s: %s%s%s", e->cfg->policy_dn,
               ak_strerror(rc), bad ? " in " : "", bad ? bad : "");
        ak_policy_entry_free(&pe);
        return rc;
    }
    ak_policy_entry_free(&e->pol);
    e->pol = pe;
    e->have_policy = true;
    return AK_OK;
}

int ex_read_policy(struct ex *e)
{
    struct ak_conn *c = NULL;
    int rc = ak_dir_acquire(e->rd, false, &e->log, &c);

    if (rc == AK_OK)
        rc = read_policy(e, c);
    if (c != NULL)
        ak_dir_release(e->rd, c);
    return rc;
}

int ex_pass(struct ex *e)
{
    struct ex_outbox out = {0};
    struct ak_conn *c = NULL;
    time_t now = ex_now();
    int rc;

    ex_stats_begin(e);
    e->next_due = 0;
    rc = ak_dir_acquire(e->rd, false, &e->log, &c);
    if (rc == AK_OK)
        rc = read_policy(e, c);
    if (rc == AK_OK)
        rc = ex_scan(e, &c, now, &out);
    /* What was claimed is delivered even when the scan stopped early: the
     * claims are real. But an incomplete scan concludes nothing else. */
    if (c != NULL)
        ak_dir_release(e->rd, c);
    if (out.n > 0)
        ex_resolve(e, &out);
    ex_deliver_all(e, &out, now);
    ex_outbox_free(&out);
    e->pass_complete = false;
    if (rc == AK_OK)
        ex_pass_seen(e);
    /* Housekeeping after the mail, and only after a complete pass (the
     * policy it judges by was read, the server answered in full). */
    if (rc == AK_OK && !ex_stop)
        (void)ex_cleanup(e, now);
    ak_log(&e->log, rc == AK_OK ? LOG_INFO : LOG_ERR,
           "pass %s: %u holders, %u keys; %u sent, %u deferred, %u failed, "
           "%u skipped, %u taken by another daemon; %u ended keys removed; "
           "%zu entries set aside",
           rc == AK_OK ? "complete" : "INCOMPLETE (nothing concluded)",
           e->st.holders, e->st.keys, e->st.sent, e->st.deferred, e->st.failed,
           e->st.skipped, e->st.lost, e->st.pruned, e->aside.n);
    if (e->st.postponed > 0)
        ak_log(&e->log, LOG_NOTICE,
               "%u due notices postponed to the next pass (notice_rate %u: "
               "at most %u claimed per pass)",
               e->st.postponed, e->cfg->notice_rate, ex_claim_cap(e));
    ex_status_write(e);
    return rc;
}
