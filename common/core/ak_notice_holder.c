/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_notice_holder.c - one holder's keys planned over their own values */
#include "ak_notice_holder.h"

#include <string.h>

#include "ak_judge.h"
#include "ak_status.h"

int ak_notice_holder_open(struct ak_notice_holder *h,
                          const struct ak_holder_view *v,
                          const struct ak_values *notices,
                          const struct ak_values *ids)
{
    memset(h, 0, sizeof(*h));
    h->v = v;
    if (ak_byid_build(&h->ends, v != NULL ? &v->revoked : NULL) != AK_OK ||
        ak_byid_build(&h->notices, notices) != AK_OK ||
        ak_byid_build(&h->ids, ids) != AK_OK) {
        ak_notice_holder_close(h);
        return AK_ERR_NOMEM;
    }
    return AK_OK;
}

void ak_notice_holder_close(struct ak_notice_holder *h)
{
    ak_byid_free(&h->ends);
    ak_byid_free(&h->notices);
    ak_byid_free(&h->ids);
    h->v = NULL;
}

int ak_notice_holder_key(struct ak_notice_holder *h, unsigned i,
                         struct ak_record *out, const char **why)
{
    struct ak_holder_view own;
    char kid[AK_KEY_ID_LEN + 1];

    if (h->v == NULL || i >= h->v->records.n)
        return AK_ERR_INVALID;
    own = *h->v;
    /* The ends of this record's key only (a record whose id cannot be
     * peeked does not parse either, and none apply) */
    if (ak_record_peek_id(h->v->records.v[i].p, h->v->records.v[i].n, kid))
        own.revoked = ak_byid_of(&h->ends, kid);
    else
        own.revoked = (struct ak_values){0};
    h->looked += 1 + own.revoked.n;
    return ak_view_key(&own, i, out, why);
}

bool ak_notice_holder_has_id(const struct ak_notice_holder *h, const char *kid)
{
    return ak_byid_is(&h->ids, kid);
}

void ak_notice_holder_plan(struct ak_notice_holder *h,
                           const struct ak_record *key,
                           const struct ak_policy *policy,
                           enum ak_notice_class class, time_t now,
                           const struct ak_notice_opts *opts,
                           struct ak_notice_plan *out)
{
    struct ak_values mine = {0};

    if (key != NULL &&
        ak_key_id_valid(key->id, strnlen(key->id, sizeof(key->id))))
        mine = ak_byid_of(&h->notices, key->id);
    h->looked += 1 + mine.n;
    ak_notice_plan(key, policy, class, &mine, now, opts, out);
}
