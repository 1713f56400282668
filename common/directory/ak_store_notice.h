/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_notice.h - claim and settle expiry notices in the holder's
 * entry (apiKeyNotice), one modify each */
#ifndef AK_STORE_NOTICE_H
#define AK_STORE_NOTICE_H

#include <stdbool.h>
#include <time.h>

#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_notice.h"

/*
 * Each call is one modify of the entry dn (the key's holder), to be sent
 * to a writable server, never with the permissive-modify control: of two
 * daemons doing the same, exactly one succeeds. Returns AK_OK;
 * AK_ERR_CONFLICT when another daemon (or an admin) got there first and
 * nothing was written (assertionFailed 122, noSuchAttribute 16,
 * typeOrValueExists 20); AK_ERR_DENIED (access control: not the daemon's
 * bind), AK_ERR_NOT_FOUND (no such entry), AK_ERR_INVALID (bad arguments,
 * or a server without the assertion control), AK_ERR_BACKEND otherwise.
 * See docs/key-records.md, "Expiry notices".
 */

/*
 * Claim notice id: add "<id> claimed <now> <host>", and "<id at stage s>
 * skipped <now>" for each of skip[0..n_skip), asserting (RFC 4528) that no
 * value takes any of these notices, that the entry still holds key id->kid
 * and that nothing ended it. *claimed (may be NULL) receives the claimed
 * value, for the settle.
 */
int ak_store_notice_claim(struct ak_conn *c, const char *dn,
                          const struct ak_notice_id *id, const unsigned *skip,
                          unsigned n_skip, time_t now, const char *host,
                          const struct ak_log *log, struct ak_notice *claimed);

/*
 * Take over old (a claim past its lease, or a deferred notice whose retry
 * has come): delete that exact value and add "<id> claimed <now> <host>",
 * with old's history (ak_notice_carry: a deferred notice's first failure
 * and attempts), asserting as above that the key is still there and not
 * ended. A value
 * already replaced by someone else is AK_ERR_CONFLICT.
 */
int ak_store_notice_take_over(struct ak_conn *c, const char *dn,
                              const struct ak_notice *old, time_t now,
                              const char *host, const struct ak_log *log,
                              struct ak_notice *claimed);

/*
 * Replace the exact value old by next (the same notice): delete + add.
 * settle is this for old claimed and next sent, deferred or failed: an
 * AK_ERR_CONFLICT then means the claim was taken over after its lease (the
 * mail went out and may go out once more: the one duplicate window). A
 * deferred notice given up is old deferred, next failed.
 */
int ak_store_notice_replace(struct ak_conn *c, const char *dn,
                            const struct ak_notice *old,
                            const struct ak_notice *next,
                            const struct ak_log *log);
int ak_store_notice_settle(struct ak_conn *c, const char *dn,
                           const struct ak_notice *claimed,
                           const struct ak_notice *final,
                           const struct ak_log *log);

/*
 * One holder's writes in one modify (issue 16: a holder with 1,000 due
 * keys was 4,000 modifies of her ever larger entry, each one compared by
 * slapd with every value there). Each write is one of:
 *
 *   AK_NW_CLAIM      add "<id> claimed <now> <host>" and a skipped value
 *                    for each of skip[0..n_skip), as ak_store_notice_claim
 *   AK_NW_TAKE_OVER  delete old, add its claim, as ak_store_notice_take_over;
 *                    one whose claim would be the very value old (ours,
 *                    this second) is left out (left_out set)
 *   AK_NW_REPLACE    delete old, add next (the same notice), as
 *                    ak_store_notice_replace
 *
 * under one RFC 4528 assertion, the AND of every clause the writes would
 * assert one by one: all of them are written, or none. Each notice at most
 * once in w. On AK_OK, next of each claim and take-over holds the claim
 * written. With relax, the modify carries the relax control: an entry
 * over one of the directory's bounds (pushed there with it) takes no
 * change without it, whichever attribute the change touches. Returns as
 * above; AK_ERR_INVALID also when the bounds refused it
 * (constraintViolation); AK_ERR_CONFLICT also when every write was left
 * out (nothing was sent).
 */
enum ak_notice_write_kind {
    AK_NW_CLAIM,
    AK_NW_TAKE_OVER,
    AK_NW_REPLACE,
};

struct ak_notice_write {
    enum ak_notice_write_kind kind;
    struct ak_notice_id id; /* CLAIM: the notice claimed */
    unsigned skip[AK_NOTICE_STAGES_MAX];
    unsigned n_skip;       /* CLAIM: wider stages marked skipped */
    struct ak_notice old;  /* TAKE_OVER, REPLACE: the exact value replaced */
    struct ak_notice next; /* REPLACE: the value put instead; CLAIM,
                              TAKE_OVER: receives the claim written */
    bool left_out;         /* TAKE_OVER: not written (see above) */
};

int ak_store_notice_batch(struct ak_conn *c, const char *dn,
                          struct ak_notice_write *w, unsigned n, time_t now,
                          const char *host, bool relax,
                          const struct ak_log *log);

/*
 * Housekeeping: delete the exact value n (as ak_notice_format writes it;
 * the parser reads only that form, so it is the value read). key_gone:
 * asserting that the entry holds no apiKeyId of n's key, which a key that
 * came back would have. A value already gone (noSuchAttribute) or an
 * assertion that no longer holds is AK_ERR_CONFLICT.
 */
int ak_store_notice_remove(struct ak_conn *c, const char *dn,
                           const struct ak_notice *n, bool key_gone,
                           const struct ak_log *log);

#endif
