/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_notice_holder.h - every key of one holder planned over its own
 * notice values and ends, indexed once (pure) */
#ifndef AK_NOTICE_HOLDER_H
#define AK_NOTICE_HOLDER_H

#include "ak_byid.h"
#include "ak_notice.h"

/*
 * ak_view_key folds every apiKeyRevoked value of the entry into a record,
 * and ak_notice_plan reads every apiKeyNotice value for each stage: for
 * each key and class of a holder, O(keys x values). One holder with 1,000
 * fake records (anyone may write well-formed ones: a record holds a
 * digest, not a secret) cost 2.2 s of CPU a read (issue 16). Here the
 * holder's ends, notices and key ids are grouped by key id once (ak_byid)
 * and each key is judged and planned over its own values only: the same
 * answers (values about other keys change nothing), O(n log n) a holder.
 */
struct ak_notice_holder {
    const struct ak_holder_view *v;
    struct ak_byid ends, notices, ids;
    /* Values the lookups returned so far: the work done, which grows with
     * the holder's values and not their square (tests/unit). */
    unsigned long looked;
};

/* Index v (its records and ends), its apiKeyNotice values notices and its
 * apiKeyId values ids (both may be NULL). AK_OK or AK_ERR_NOMEM (h is
 * then empty, and closing it is harmless). */
int ak_notice_holder_open(struct ak_notice_holder *h,
                          const struct ak_holder_view *v,
                          const struct ak_values *notices,
                          const struct ak_values *ids);
void ak_notice_holder_close(struct ak_notice_holder *h);

/* Record i of the holder as ak_view_key judges it. */
int ak_notice_holder_key(struct ak_notice_holder *h, unsigned i,
                         struct ak_record *out, const char **why);

/* Whether an apiKeyId value of the holder is kid: a claim asserts it
 * (ak_store_notice.h), so a key without one can never be claimed. */
bool ak_notice_holder_has_id(const struct ak_notice_holder *h, const char *kid);

/* ak_notice_plan of key over the holder's values about it. */
void ak_notice_holder_plan(struct ak_notice_holder *h,
                           const struct ak_record *key,
                           const struct ak_policy *policy,
                           enum ak_notice_class class, time_t now,
                           const struct ak_notice_opts *opts,
                           struct ak_notice_plan *out);

#endif
