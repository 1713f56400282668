/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_notice.h - apiKeyNotice values and when a key's notice is due (pure) */
#ifndef AK_NOTICE_H
#define AK_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ak_key.h"
#include "ak_policy.h"
#include "ak_record.h"
#include "ak_view.h"

/*
 * The expiry daemon records each notice in the holder's entry, one value
 * per (key, expiry, stage, class), single spaces, every field checked:
 *
 *   <kid> <expiresZ> <stage> <class> <state> <timeZ> [<extra>]
 *
 * kid: the key id; expiresZ: the key's effective expiry when claimed (a
 * renewed key starts its stages again); stage: days before the expiry
 * (decimal, no leading zero, 0..AK_NOTICE_DAYS_MAX; 0: "has expired");
 * class: owner | admin; state and extra:
 *
 *   claimed   <claim time>          <host> [A-Za-z0-9.-]{1,64}
 *                                   [<first failure> <attempts>]
 *   sent      <when>
 *   deferred  <first failure>       <attempts> 1..AK_NOTICE_ATTEMPTS_MAX
 *   failed    <when>                <reason> [a-z0-9-]{1,32}
 *   skipped   <when>                (a wider stage passed unseen)
 *
 * A claim that took over a deferred notice (or a claim that carried them)
 * carries its first failure and attempts, so that a daemon dying between
 * the take-over and the settle loses neither the 24-hour bound nor the
 * backoff: the claim's history (ak_notice_carry, ak_notice_deferred).
 *
 * "<kid> <expiresZ> <stage> <class> " (ak_notice_prefix) identifies the
 * notice: a value with it, in any state, means the notice is taken. See
 * docs/key-records.md.
 */
#define AK_NOTICE_MAX 160 /* the schema's IA5String{160} */
#define AK_NOTICE_HOST_MAX 64
#define AK_NOTICE_REASON_MAX 32
#define AK_NOTICE_ATTEMPTS_MAX 999999u
/* "<kid> <expiresZ> <stage> owner|admin " */
#define AK_NOTICE_PREFIX_MAX (AK_KEY_ID_LEN + 1 + 15 + 1 + 4 + 1 + 5 + 1)
/* The policy's stages and 0. */
#define AK_NOTICE_STAGES_MAX (AK_NOTIFIED_MAX + 1)

/* Defaults of the daemon's options (apikey.conf). */
#define AK_NOTICE_LEASE_DEFAULT 600       /* notice_lease, seconds */
#define AK_NOTICE_EXPIRED_DAYS_DEFAULT 30 /* notice_expired_days */
/* A deferred notice is given up this long after its first failure. */
#define AK_NOTICE_GIVE_UP_AFTER 86400
#define AK_NOTICE_BACKOFF_MAX 3600

enum ak_notice_class {
    AK_NOTICE_OWNER,
    AK_NOTICE_ADMIN,
};

enum ak_notice_state {
    AK_NOTICE_CLAIMED,
    AK_NOTICE_SENT,
    AK_NOTICE_DEFERRED,
    AK_NOTICE_FAILED,
    AK_NOTICE_SKIPPED,
};

/* "owner", "admin"; "claimed", "sent", ... (never NULL). */
const char *ak_notice_class_name(enum ak_notice_class c);
const char *ak_notice_state_name(enum ak_notice_state s);

/* Which notice. */
struct ak_notice_id {
    char kid[AK_KEY_ID_LEN + 1];
    time_t expires; /* the effective expiry it is about */
    unsigned stage; /* days before expires; 0: has expired */
    enum ak_notice_class class;
};

/* One value. */
struct ak_notice {
    struct ak_notice_id id;
    enum ak_notice_state state;
    time_t at; /* claimed, sent, first failure, failed, skipped */
    /* deferred: failures so far (>= 1); claimed: failures before the claim
     * (0: none, and no history is written) */
    unsigned attempts;
    time_t first_failure; /* claimed with attempts > 0: the first failure */
    char host[AK_NOTICE_HOST_MAX + 1];     /* claimed */
    char reason[AK_NOTICE_REASON_MAX + 1]; /* failed */
};

/* True when s[0..len) may stand as a host / a reason word. */
bool ak_notice_host_valid(const char *s, size_t len);
bool ak_notice_reason_valid(const char *s, size_t len);

/*
 * "<kid> <expiresZ> <stage> <class> " into buf (NUL-terminated; the
 * characters need no filter escaping). AK_OK or AK_ERR_INVALID.
 */
int ak_notice_prefix(const struct ak_notice_id *id,
                     char buf[AK_NOTICE_PREFIX_MAX + 1]);

/* The canonical value of n into buf. AK_OK or AK_ERR_INVALID (a field out
 * of range: the extra its state needs is missing or bad). */
int ak_notice_format(const struct ak_notice *n, char buf[AK_NOTICE_MAX + 1]);

/*
 * Parse one value v[0..len) (not NUL-terminated): only the canonical form
 * ak_notice_format writes, so a parsed value formats back to the same
 * bytes (a delete of that exact value hits it). AK_OK, or
 * AK_ERR_MALFORMED with *why (static; never quotes the value).
 */
int ak_notice_parse(const char *v, size_t len, struct ak_notice *out,
                    const char **why);

/*
 * How value v relates to notice id. AK_NOTICE_OTHER: provably about another
 * notice (or about no key). AK_NOTICE_THIS: about id, parsed into *out.
 * AK_NOTICE_GARBAGE: names id's key but cannot be read, and nothing it
 * says rules out id (fail safe: it counts as taking the notice; *why).
 */
enum ak_notice_match {
    AK_NOTICE_OTHER,
    AK_NOTICE_THIS,
    AK_NOTICE_GARBAGE,
};
enum ak_notice_match ak_notice_match(const char *v, size_t len,
                                     const struct ak_notice_id *id,
                                     struct ak_notice *out, const char **why);

/* The wait before retry n+1 of a deferred notice with n failures:
 * min(2^n minutes, 1 hour). */
time_t ak_notice_backoff(unsigned attempts);
/* When a deferred notice is retried: its first failure plus the backoffs
 * of every failure so far (the schedule counts from the first failure,
 * which is all the value records). */
time_t ak_notice_retry_at(const struct ak_notice *n);

/* The history a claim replacing old carries (claim->attempts and
 * first_failure): a deferred old's first failure and attempts, a claimed
 * old's own history; none for anything else. */
void ak_notice_carry(const struct ak_notice *old, struct ak_notice *claim);

/* The deferred value that settles claim after one more temporary failure
 * at now: the first failure of the claim's history (now when it has none)
 * and one more attempt (at most AK_NOTICE_ATTEMPTS_MAX). */
void ak_notice_deferred(const struct ak_notice *claim, time_t now,
                        struct ak_notice *out);

/* What the daemon does about one key and one class now. */
enum ak_notice_action {
    AK_NOTICE_NOTHING,   /* nothing due, or due but taken */
    AK_NOTICE_CLAIM,     /* claim id (and mark skip[] skipped) */
    AK_NOTICE_TAKE_OVER, /* replace old (stale claim, deferred retry) */
    AK_NOTICE_GIVE_UP,   /* replace old (deferred) by failed tempfail-24h */
};

struct ak_notice_plan {
    enum ak_notice_action action;
    const char *why; /* static: why nothing, or what is done */
    bool has_expiry; /* the key's effective expiry (policy applied) */
    time_t expires;
    struct ak_notice_id id; /* the notice acted on (not NOTHING) */
    struct ak_notice old;   /* TAKE_OVER, GIVE_UP: the value replaced */
    unsigned n_skip;        /* CLAIM: wider due stages not yet taken */
    unsigned skip[AK_NOTICE_STAGES_MAX];
    bool has_wake; /* when to look at this key again */
    time_t wake;
    /* Values that name the key and could not be read; each one takes the
     * notices it might be about. The caller logs them (first_garbage
     * points into the values given, why_garbage says what is wrong). */
    unsigned n_garbage;
    const struct ak_bytes *first_garbage;
    const char *why_garbage;
};

/* Options of the planner (the daemon's config). */
struct ak_notice_opts {
    unsigned lease;        /* seconds a claim is held; 0: the default */
    unsigned expired_days; /* no notice for keys expired longer ago */
    unsigned cleanup_days; /* housekeeping (ak_notice_sweep); 0: off */
};

/*
 * Plan the notices of one key of one class. key: its record as the
 * verifier judges it (ak_view_key: revocations folded); policy: may be
 * NULL; notices: the holder's apiKeyNotice values (any key's). Pure:
 * callers pass now.
 *
 * Stages are policy->notice_days and 0; stage d is due when
 * now >= E - d days (E: the effective expiry). Only the tightest due stage
 * is acted on: claimed when no value takes it (with the wider due stages
 * no value takes, to be marked skipped in the same claim), taken over when
 * its value is a claim older than the lease or a deferred one whose retry
 * time has come, given up when it has been deferred for
 * AK_NOTICE_GIVE_UP_AFTER (counted from the first failure, also when that
 * is the history of a claim past its lease). Revoked keys, keys a rotation
 * replaced (its end at or before the expiry; a later end changes nothing),
 * keys that never expire and keys expired more than
 * opts->expired_days ago: nothing, and no wake-up. Otherwise wake is the
 * earliest moment after now at which something may change (a stage no value
 * takes falls due, a lease ends, a retry or the give-up comes).
 */
void ak_notice_plan(const struct ak_record *key, const struct ak_policy *policy,
                    enum ak_notice_class class, const struct ak_values *notices,
                    time_t now, const struct ak_notice_opts *opts,
                    struct ak_notice_plan *out);

/*
 * Housekeeping (notice_cleanup_days): what becomes of one apiKeyNotice
 * value val[0..len) of holder v, whose apiKeyId values are ids. Pure:
 * callers pass now.
 *
 * GONE: neither an apiKeyRecord value nor an apiKeyId value names the
 * value's key. ENDED: every record naming it reads, and each key ended
 * (effective expiry, the policy applied; its revocation; its rotation's
 * end) more than max(opts->cleanup_days, opts->expired_days) days ago, so
 * that no notice of it can fall due again. Both may go. KEEP: anything
 * else, among them a live key, a key ended within the grace, a record of
 * the key that cannot be read, subtyped values on the entry, and
 * housekeeping off (cleanup_days 0). GARBAGE: the value cannot be read;
 * it is kept (the caller logs it: it was written by an admin's hand, and
 * what it is about is not known).
 */
enum ak_notice_sweep {
    AK_SWEEP_KEEP,
    AK_SWEEP_GONE,
    AK_SWEEP_ENDED,
    AK_SWEEP_GARBAGE,
};

struct ak_notice_sweep_out {
    enum ak_notice_sweep verdict;
    const char *why;    /* static: why kept, or why it may go */
    struct ak_notice n; /* the value, parsed (all but GARBAGE) */
    bool has_end;       /* ENDED: when its key ended (the latest record) */
    time_t end;
};

void ak_notice_sweep(const struct ak_holder_view *v,
                     const struct ak_values *ids,
                     const struct ak_policy *policy, const char *val,
                     size_t len, time_t now, const struct ak_notice_opts *opts,
                     struct ak_notice_sweep_out *out);

#endif
