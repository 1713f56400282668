/* SPDX-License-Identifier: BSD-3-Clause */
/* taken.h - after the directory refused a bookkeeping write (the notice
 * taken, the value to replace gone): whose doing it was. A daemon that
 * planned from an entry read before its own write (a queued syncrepl
 * snapshot) is refused by its own value: no race with another daemon,
 * and not logged or counted as one. */
#ifndef EX_TAKEN_H
#define EX_TAKEN_H

#include "ex_pass.h"

/* Whether this daemon wrote the value of plan's notice since the entry it
 * planned from was read (e->mine): a refusal of plan is then its own. */
bool ex_claim_ours(const struct ex *e, const struct ak_notice_plan *plan);

/* A claim, take-over or give-up of plan refused: EX_STALE when this
 * daemon wrote the notice's value since the entry it planned from was
 * read (e->mine; logged at debug), else AK_ERR_CONFLICT: another daemon
 * (or an admin) has it, or the key changed meanwhile (logged at info). */
int ex_claim_refused(struct ex *e, const struct ak_notice_plan *plan);

/* A settle of it to final refused (its claim is gone), after a read of
 * the notice's value on the writable server: AK_OK when it is final
 * itself (an earlier round went through, its answer lost), else
 * AK_ERR_CONFLICT, logged saying who took the claim over (sent: at
 * warning, "it may go out twice"). */
int ex_settle_refused(struct ex *e, const struct ex_item *it,
                      const struct ak_notice *final);

#endif
