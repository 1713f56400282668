/* SPDX-License-Identifier: BSD-3-Clause */
/* notify.c - notify_command: each notice as one JSON object on its
 * standard input, besides the mail (never instead of it) */
#include <stdio.h>
#include <stdlib.h>

#include "ak_message.h"
#include "ak_status.h"
#include "deliver.h"
#include "ex_pass.h"

/* Whether the pass's delivery made a notice of it: not a given-up notice
 * (news for the admins' mail only), not one whose recipients could not
 * be read or whose message was left for the lease (it is delivered, and
 * this runs, later). */
static bool notice_of_its_own(const struct ex_item *it)
{
    return !it->info_only && !it->left && !(it->unresolved && it->to == NULL);
}

static void notify_one(struct ex *e, const struct ex_item *it, time_t now)
{
    enum ak_msg_class cls =
        it->id.class == AK_NOTICE_OWNER ? AK_MSG_OWNER : AK_MSG_ADMIN;
    struct ak_msg_rcpt to[AK_MSG_RCPT_MAX];
    struct ak_msg_key k = ex_msg_key(it);
    struct ex_delivery d;
    char err[256], *buf = NULL, *json = NULL;
    size_t n_to, len = 0;

    /* the same recipients as the mail, one array value each */
    if (cls == AK_MSG_OWNER)
        n_to = ex_owner_rcpts(it->to, &buf, to, AK_MSG_RCPT_MAX);
    else
        n_to = ex_admin_rcpts(e, to, AK_MSG_RCPT_MAX, false);
    if (it->to != NULL && cls == AK_MSG_OWNER && buf == NULL) {
        ak_log(&e->log, LOG_ERR, "key %s: notify_command: out of memory",
               it->id.kid);
        return;
    }
    if (n_to == 0 && k.problem == NULL) /* nobody: the JSON says why */
        k.problem = cls == AK_MSG_OWNER
                        ? "nobody to mail"
                        : "the policy names no valid admin recipient";
    if (ak_msg_json(cls, &k, to, n_to, now, &json, &len, err, sizeof(err)) !=
        AK_OK) {
        ak_log(&e->log, LOG_ERR, "key %s: notify_command: %s", it->id.kid, err);
    } else if (e->dry_run) {
        printf("--- would run notify_command with\n%s\n", json);
    } else {
        ex_throttle(e, &e->notify_next);
        if (ex_deliver(e->cfg->notify_command, json, len,
                       e->cfg->notice_timeout, &d) != AK_OK ||
            d.result != EX_DELIVER_SENT)
            ak_log(&e->log, LOG_WARNING, "key %s: notify_command: %s (%s)",
                   it->id.kid, ex_delivery_result_str(d.result), d.reason);
    }
    free(json);
    free(buf);
}

void ex_notify_all(struct ex *e, const struct ex_outbox *out, time_t now)
{
    for (unsigned i = 0; e->cfg->notify_command && i < out->n; i++)
        if (notice_of_its_own(&out->items[i]))
            notify_one(e, &out->items[i], now);
}
