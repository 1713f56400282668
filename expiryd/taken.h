/* SPDX-License-Identifier: BSD-3-Clause */
/* taken.h - after the directory refused a bookkeeping write (the notice
 * taken, the value to replace gone): who holds the notice now, read on the
 * writable server. A daemon that planned from an entry read before its
 * own write (a queued syncrepl snapshot) is refused by its own value: no
 * race with another daemon, and not logged or counted as one. */
#ifndef EX_TAKEN_H
#define EX_TAKEN_H

#include <time.h>

#include "ex_pass.h"

/* A claim, take-over or give-up of plan refused at now: AK_ERR_CONFLICT
 * when another daemon (or an admin) holds the notice, logged at info;
 * EX_STALE when the value is ours (e->mine, or our claim of this very
 * second: a write retried after its answer was lost; debug) or there is
 * none (the key changed meanwhile; info). */
int ex_claim_refused(struct ex *e, const char *dn,
                     const struct ak_notice_plan *plan, time_t now);

/* A settle of it to final refused (its claim is gone): AK_OK when the
 * value there is final itself (an earlier round went through), else
 * AK_ERR_CONFLICT, logged at info saying who took the claim over. */
int ex_settle_refused(struct ex *e, const struct ex_item *it,
                      const struct ak_notice *final);

#endif
