/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_notice.c - parse, write and plan apiKeyNotice values */
#include "ak_notice.h"

#include <stdio.h>
#include <string.h>

#include "ak_judge.h"
#include "ak_status.h"
#include "ak_time.h"

static const char *const class_names[] = {
    [AK_NOTICE_OWNER] = "owner",
    [AK_NOTICE_ADMIN] = "admin",
};

static const char *const state_names[] = {
    [AK_NOTICE_CLAIMED] = "claimed",   [AK_NOTICE_SENT] = "sent",
    [AK_NOTICE_DEFERRED] = "deferred", [AK_NOTICE_FAILED] = "failed",
    [AK_NOTICE_SKIPPED] = "skipped",
};

#define N_CLASSES (sizeof(class_names) / sizeof(class_names[0]))
#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *ak_notice_class_name(enum ak_notice_class c)
{
    return (unsigned)c < N_CLASSES ? class_names[c] : "?";
}

const char *ak_notice_state_name(enum ak_notice_state s)
{
    return (unsigned)s < N_STATES ? state_names[s] : "?";
}

bool ak_notice_host_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > AK_NOTICE_HOST_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}

bool ak_notice_reason_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > AK_NOTICE_REASON_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static bool id_valid(const struct ak_notice_id *id)
{
    return ak_key_id_valid(id->kid, strnlen(id->kid, sizeof(id->kid))) &&
           id->stage <= AK_NOTICE_DAYS_MAX && (unsigned)id->class < N_CLASSES;
}

int ak_notice_prefix(const struct ak_notice_id *id,
                     char buf[AK_NOTICE_PREFIX_MAX + 1])
{
    char ts[AK_TIME_LEN + 1];

    if (id == NULL || !id_valid(id) || ak_time_format(id->expires, ts) != AK_OK)
        return AK_ERR_INVALID;
    snprintf(buf, AK_NOTICE_PREFIX_MAX + 1, "%s %s %u %s ", id->kid, ts,
             id->stage, class_names[id->class]);
    return AK_OK;
}

int ak_notice_format(const struct ak_notice *n, char buf[AK_NOTICE_MAX + 1])
{
    char prefix[AK_NOTICE_PREFIX_MAX + 1], ts[AK_TIME_LEN + 1];
    char first[AK_TIME_LEN + 1];
    char extra[AK_NOTICE_HOST_MAX + AK_TIME_LEN + 16] = "";

    if (n == NULL || ak_notice_prefix(&n->id, prefix) != AK_OK ||
        (unsigned)n->state >= N_STATES || ak_time_format(n->at, ts) != AK_OK)
        return AK_ERR_INVALID;
    switch (n->state) {
    case AK_NOTICE_CLAIMED:
        if (!ak_notice_host_valid(n->host, strnlen(n->host, sizeof(n->host))))
            return AK_ERR_INVALID;
        if (n->attempts == 0) {
            snprintf(extra, sizeof(extra), " %s", n->host);
            break;
        }
        /* the history of the deferred notice it took over */
        if (n->attempts > AK_NOTICE_ATTEMPTS_MAX ||
            ak_time_format(n->first_failure, first) != AK_OK)
            return AK_ERR_INVALID;
        snprintf(extra, sizeof(extra), " %s %s %u", n->host, first,
                 n->attempts);
        break;
    case AK_NOTICE_DEFERRED:
        if (n->attempts == 0 || n->attempts > AK_NOTICE_ATTEMPTS_MAX)
            return AK_ERR_INVALID;
        snprintf(extra, sizeof(extra), " %u", n->attempts);
        break;
    case AK_NOTICE_FAILED:
        if (!ak_notice_reason_valid(n->reason,
                                    strnlen(n->reason, sizeof(n->reason))))
            return AK_ERR_INVALID;
        snprintf(extra, sizeof(extra), " %s", n->reason);
        break;
    case AK_NOTICE_SENT:
    case AK_NOTICE_SKIPPED:
        break;
    }
    snprintf(buf, AK_NOTICE_MAX + 1, "%s%s %s%s", prefix, state_names[n->state],
             ts, extra);
    return AK_OK;
}

/* The fields of a value, split at single spaces (an empty field stands for
 * a doubled, leading or trailing space). */
#define MAX_FIELDS 9
struct fields {
    struct ak_bytes f[MAX_FIELDS];
    unsigned n;
    bool too_many;
};

static void split(const char *v, size_t len, struct fields *fs)
{
    size_t start = 0;

    memset(fs, 0, sizeof(*fs));
    for (size_t i = 0; i <= len; i++) {
        if (i < len && v[i] != ' ')
            continue;
        if (fs->n == MAX_FIELDS) {
            fs->too_many = true;
            return;
        }
        fs->f[fs->n].p = v + start;
        fs->f[fs->n].n = i - start;
        fs->n++;
        start = i + 1;
    }
}

static bool word_is(const struct ak_bytes *b, const char *w)
{
    return b->n == strlen(w) && memcmp(b->p, w, b->n) == 0;
}

static int word_index(const struct ak_bytes *b, const char *const *names,
                      unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (word_is(b, names[i]))
            return (int)i;
    return -1;
}

/* A canonical decimal (no sign, no leading zero) at most max. */
static bool number(const struct ak_bytes *b, unsigned max, unsigned *out)
{
    unsigned long v = 0;

    if (b->n == 0 || b->n > 10 || (b->n > 1 && b->p[0] == '0'))
        return false;
    for (size_t i = 0; i < b->n; i++) {
        if (b->p[i] < '0' || b->p[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(b->p[i] - '0');
    }
    if (v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static bool kid_field(const struct ak_bytes *b, char kid[AK_KEY_ID_LEN + 1])
{
    if (b->n != AK_KEY_ID_LEN || !ak_key_id_valid(b->p, b->n))
        return false;
    memcpy(kid, b->p, AK_KEY_ID_LEN);
    kid[AK_KEY_ID_LEN] = '\0';
    return true;
}

/* Only the canonical form: the parser takes a leap second ":60" as the
 * next second, which would not write back as the same bytes. */
static bool time_field(const struct ak_bytes *b, time_t *t)
{
    char back[AK_TIME_LEN + 1];

    return b->n == AK_TIME_LEN && ak_time_parse(b->p, b->n, true, t) == AK_OK &&
           ak_time_format(*t, back) == AK_OK &&
           memcmp(back, b->p, AK_TIME_LEN) == 0;
}

static bool stage_field(const struct ak_bytes *b, unsigned *stage)
{
    return number(b, AK_NOTICE_DAYS_MAX, stage);
}

static bool class_field(const struct ak_bytes *b, enum ak_notice_class *c)
{
    int i = word_index(b, class_names, N_CLASSES);
    if (i < 0)
        return false;
    *c = (enum ak_notice_class)i;
    return true;
}

static int refuse(const char **why, const char *what)
{
    if (why != NULL)
        *why = what;
    return AK_ERR_MALFORMED;
}

int ak_notice_parse(const char *v, size_t len, struct ak_notice *out,
                    const char **why)
{
    struct fields fs;
    struct ak_notice n;
    int st;

    memset(&n, 0, sizeof(n));
    if (v == NULL || len > AK_NOTICE_MAX)
        return refuse(why, "too long");
    split(v, len, &fs);
    if (fs.too_many || fs.n < 6)
        return refuse(why, fs.too_many ? "too many fields" : "too few fields");
    if (!kid_field(&fs.f[0], n.id.kid))
        return refuse(why, "bad key id");
    if (!time_field(&fs.f[1], &n.id.expires))
        return refuse(why, "bad expiry");
    if (!stage_field(&fs.f[2], &n.id.stage))
        return refuse(why, "bad stage");
    if (!class_field(&fs.f[3], &n.id.class))
        return refuse(why, "bad class");
    st = word_index(&fs.f[4], state_names, N_STATES);
    if (st < 0)
        return refuse(why, "bad state");
    n.state = (enum ak_notice_state)st;
    if (!time_field(&fs.f[5], &n.at))
        return refuse(why, "bad time");
    switch (n.state) {
    case AK_NOTICE_SENT:
    case AK_NOTICE_SKIPPED:
        if (fs.n != 6)
            return refuse(why, "extra field");
        break;
    case AK_NOTICE_CLAIMED:
        if (fs.n < 7 || !ak_notice_host_valid(fs.f[6].p, fs.f[6].n))
            return refuse(why, "bad host");
        memcpy(n.host, fs.f[6].p, fs.f[6].n);
        /* [<first failure> <attempts>]: both or neither, attempts >= 1 */
        if (fs.n != 7 &&
            (fs.n != 9 || !time_field(&fs.f[7], &n.first_failure) ||
             !number(&fs.f[8], AK_NOTICE_ATTEMPTS_MAX, &n.attempts) ||
             n.attempts == 0))
            return refuse(why, "bad history");
        break;
    case AK_NOTICE_DEFERRED:
        if (fs.n != 7 ||
            !number(&fs.f[6], AK_NOTICE_ATTEMPTS_MAX, &n.attempts) ||
            n.attempts == 0)
            return refuse(why, "bad attempts");
        break;
    case AK_NOTICE_FAILED:
        if (fs.n != 7 || !ak_notice_reason_valid(fs.f[6].p, fs.f[6].n))
            return refuse(why, "bad reason");
        memcpy(n.reason, fs.f[6].p, fs.f[6].n);
        break;
    }
    if (out != NULL)
        *out = n;
    return AK_OK;
}

enum ak_notice_match ak_notice_match(const char *v, size_t len,
                                     const struct ak_notice_id *id,
                                     struct ak_notice *out, const char **why)
{
    struct fields fs;
    time_t t;
    unsigned stage;
    enum ak_notice_class c;

    /* Names no key, or another key: not about id. */
    if (v == NULL || len < AK_KEY_ID_LEN ||
        !ak_key_id_valid(v, AK_KEY_ID_LEN) ||
        (len > AK_KEY_ID_LEN && v[AK_KEY_ID_LEN] != ' ') ||
        memcmp(v, id->kid, AK_KEY_ID_LEN) != 0)
        return AK_NOTICE_OTHER;
    /* Each identifying field either rules id out or must be id's: one that
     * cannot be read might be id's, so the value takes id. */
    split(v, len, &fs);
    if (fs.n < 2 || !time_field(&fs.f[1], &t)) {
        if (why != NULL)
            *why = "bad expiry";
        return AK_NOTICE_GARBAGE;
    }
    if (t != id->expires)
        return AK_NOTICE_OTHER;
    if (fs.n < 3 || !stage_field(&fs.f[2], &stage)) {
        if (why != NULL)
            *why = "bad stage";
        return AK_NOTICE_GARBAGE;
    }
    if (stage != id->stage)
        return AK_NOTICE_OTHER;
    if (fs.n < 4 || !class_field(&fs.f[3], &c)) {
        if (why != NULL)
            *why = "bad class";
        return AK_NOTICE_GARBAGE;
    }
    if (c != id->class)
        return AK_NOTICE_OTHER;
    return ak_notice_parse(v, len, out, why) == AK_OK ? AK_NOTICE_THIS
                                                      : AK_NOTICE_GARBAGE;
}

time_t ak_notice_backoff(unsigned attempts)
{
    if (attempts >= 6)
        return AK_NOTICE_BACKOFF_MAX; /* 2^6 minutes > 1 hour */
    return (time_t)60 << attempts;
}

time_t ak_notice_retry_at(const struct ak_notice *n)
{
    /* sum of min(2^k minutes, 1 h) for k = 1..attempts */
    unsigned a = n->attempts;
    time_t sum = 0;

    for (unsigned k = 1; k <= a && k < 6; k++)
        sum += ak_notice_backoff(k);
    if (a >= 6)
        sum += (time_t)(a - 5) * AK_NOTICE_BACKOFF_MAX;
    return n->at + sum;
}

void ak_notice_carry(const struct ak_notice *old, struct ak_notice *claim)
{
    claim->attempts = 0;
    claim->first_failure = 0;
    if (old->state == AK_NOTICE_DEFERRED) {
        claim->attempts = old->attempts;
        claim->first_failure = old->at;
    } else if (old->state == AK_NOTICE_CLAIMED && old->attempts > 0) {
        claim->attempts = old->attempts;
        claim->first_failure = old->first_failure;
    }
}

void ak_notice_deferred(const struct ak_notice *claim, time_t now,
                        struct ak_notice *out)
{
    memset(out, 0, sizeof(*out));
    out->id = claim->id;
    out->state = AK_NOTICE_DEFERRED;
    if (claim->state == AK_NOTICE_CLAIMED && claim->attempts > 0) {
        out->at = claim->first_failure;
        out->attempts = claim->attempts < AK_NOTICE_ATTEMPTS_MAX
                            ? claim->attempts + 1
                            : AK_NOTICE_ATTEMPTS_MAX;
    } else {
        out->at = now;
        out->attempts = 1;
    }
}

/* What the values say about one notice. */
enum taken {
    FREE,     /* no value */
    INFLIGHT, /* claimed or deferred: old */
    GARBAGE,  /* a value that might be about it, unreadable */
    FINAL,    /* sent, failed, skipped */
};

struct scan {
    enum taken taken;
    struct ak_notice old;
};

static bool final_state(enum ak_notice_state s)
{
    return s == AK_NOTICE_SENT || s == AK_NOTICE_FAILED ||
           s == AK_NOTICE_SKIPPED;
}

/* The strongest of what the values say: FINAL > GARBAGE > INFLIGHT (the
 * first one) > FREE. */
static void scan_notice(const struct ak_values *vs,
                        const struct ak_notice_id *id, struct scan *s,
                        struct ak_notice_plan *out)
{
    s->taken = FREE;
    for (unsigned i = 0; vs != NULL && i < vs->n; i++) {
        struct ak_notice n;
        const char *why = NULL;
        enum taken t;

        switch (ak_notice_match(vs->v[i].p, vs->v[i].n, id, &n, &why)) {
        case AK_NOTICE_OTHER:
            continue;
        case AK_NOTICE_GARBAGE:
            t = GARBAGE;
            if (out->first_garbage == NULL) {
                out->first_garbage = &vs->v[i];
                out->why_garbage = why;
            }
            break;
        case AK_NOTICE_THIS:
        default:
            t = final_state(n.state) ? FINAL : INFLIGHT;
            break;
        }
        if (t > s->taken) {
            if (t == INFLIGHT)
                s->old = n;
            s->taken = t;
        }
    }
}

/* The values that name the key and cannot be read as what they might be
 * about: counted once each. */
static unsigned count_garbage(const struct ak_values *vs,
                              const struct ak_notice_id *ids, unsigned n_ids)
{
    unsigned n = 0;

    for (unsigned i = 0; vs != NULL && i < vs->n; i++)
        for (unsigned k = 0; k < n_ids; k++)
            if (ak_notice_match(vs->v[i].p, vs->v[i].n, &ids[k], NULL, NULL) ==
                AK_NOTICE_GARBAGE) {
                n++;
                break;
            }
    return n;
}

/* The stages: the policy's days (at most AK_NOTICE_DAYS_MAX) and 0,
 * without repeats, widest first. */
static unsigned stages_of(const struct ak_policy *p,
                          unsigned out[AK_NOTICE_STAGES_MAX])
{
    unsigned n = 0;

    out[n++] = 0;
    for (unsigned i = 0;
         p != NULL && i < p->n_notice_days && i < AK_NOTIFIED_MAX; i++) {
        unsigned d = p->notice_days[i];
        bool dup = d > AK_NOTICE_DAYS_MAX;
        for (unsigned k = 0; k < n; k++)
            dup = dup || out[k] == d;
        if (!dup)
            out[n++] = d;
    }
    for (unsigned i = 1; i < n; i++) /* insertion sort, descending */
        for (unsigned k = i; k > 0 && out[k - 1] < out[k]; k--) {
            unsigned t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

static void wake_at(struct ak_notice_plan *out, time_t t)
{
    if (!out->has_wake || t < out->wake)
        out->wake = t;
    out->has_wake = true;
}

static time_t stage_moment(time_t e, unsigned d)
{
    return e - (time_t)d * 86400;
}

void ak_notice_plan(const struct ak_record *key, const struct ak_policy *policy,
                    enum ak_notice_class class, const struct ak_values *notices,
                    time_t now, const struct ak_notice_opts *opts,
                    struct ak_notice_plan *out)
{
    unsigned stages[AK_NOTICE_STAGES_MAX], n,
        lease = AK_NOTICE_LEASE_DEFAULT,
        expired_days = AK_NOTICE_EXPIRED_DAYS_DEFAULT;
    struct ak_notice_id ids[AK_NOTICE_STAGES_MAX];
    struct scan scans[AK_NOTICE_STAGES_MAX];
    struct ak_record own;
    time_t e;
    bool has_e;
    int tight = -1;

    memset(out, 0, sizeof(*out));
    out->action = AK_NOTICE_NOTHING;
    if (opts != NULL) {
        lease = opts->lease > 0 ? opts->lease : AK_NOTICE_LEASE_DEFAULT;
        expired_days = opts->expired_days;
    }
    if (key == NULL ||
        !ak_key_id_valid(key->id, strnlen(key->id, sizeof(key->id))) ||
        (unsigned)class >= N_CLASSES) {
        out->why = "not a key";
        return;
    }
    if (key->is_revoked) {
        out->why = "revoked";
        return;
    }
    /* The key's expiry before any rotation's end is folded in: an end at or
     * before it means a rotation replaced the key (nothing to tell); an end
     * after it changes nothing, as the key expires first. Only the first
     * silences notices, so an end its owner writes far ahead cannot
     * (issue 16: "rotated" at 9999 stopped the owner's and the admins'
     * mail for a key that kept working). */
    own = *key;
    own.has_end = false;
    has_e = ak_policy_effective_expiry(policy, &own, &e);
    if (key->has_end && (!has_e || key->end <= e)) {
        out->why = "replaced by a rotation";
        return;
    }
    if (!has_e) {
        out->why = "never expires";
        return;
    }
    out->has_expiry = true;
    out->expires = e;
    if (now > e && now - e > (time_t)expired_days * 86400) {
        out->why = "expired long ago";
        return;
    }
    n = stages_of(policy, stages);
    for (unsigned i = 0; i < n; i++) {
        memset(&ids[i], 0, sizeof(ids[i]));
        memcpy(ids[i].kid, key->id, sizeof(ids[i].kid));
        ids[i].expires = e;
        ids[i].stage = stages[i];
        ids[i].class = class;
        scan_notice(notices, &ids[i], &scans[i], out);
        if (now >= stage_moment(e, stages[i]))
            tight = (int)i; /* widest first: the last due is the tightest */
        else if (scans[i].taken == FREE)
            wake_at(out, stage_moment(e, stages[i]));
    }
    out->n_garbage = count_garbage(notices, ids, n);
    if (tight < 0) {
        out->why = "nothing due";
        return;
    }
    out->id = ids[tight];
    switch (scans[tight].taken) {
    case FREE:
        out->action = AK_NOTICE_CLAIM;
        out->why = "due";
        for (int i = 0; i < tight; i++)
            if (scans[i].taken == FREE)
                out->skip[out->n_skip++] = stages[i];
        return;
    case FINAL:
        out->why = "done";
        return;
    case GARBAGE:
        out->why = "taken by a value that cannot be read";
        return;
    case INFLIGHT:
        break;
    }
    out->old = scans[tight].old;
    if (out->old.state == AK_NOTICE_CLAIMED) {
        if (now >= out->old.at && now - out->old.at >= (time_t)lease) {
            /* a claim with a history: the 24 hours count from its first
             * failure, whoever claimed it since */
            if (out->old.attempts > 0 &&
                now >= out->old.first_failure + AK_NOTICE_GIVE_UP_AFTER) {
                out->action = AK_NOTICE_GIVE_UP;
                out->why = "deferred for 24 hours (a claim past its lease)";
            } else {
                out->action = AK_NOTICE_TAKE_OVER;
                out->why = "claim past its lease";
            }
        } else {
            out->why = "claimed";
            wake_at(out, out->old.at + (time_t)lease);
        }
        return;
    }
    /* deferred */
    if (now >= out->old.at + AK_NOTICE_GIVE_UP_AFTER) {
        out->action = AK_NOTICE_GIVE_UP;
        out->why = "deferred for 24 hours";
    } else if (now >= ak_notice_retry_at(&out->old)) {
        out->action = AK_NOTICE_TAKE_OVER;
        out->why = "deferred, retry due";
    } else {
        out->why = "deferred";
        wake_at(out, ak_notice_retry_at(&out->old));
        wake_at(out, out->old.at + AK_NOTICE_GIVE_UP_AFTER);
    }
}

/* When key rec ended: its effective expiry (the policy applied, its
 * rotation's end folded in) or its revocation, whichever came first. */
static bool key_end(const struct ak_policy *policy, const struct ak_record *rec,
                    time_t *end)
{
    bool has = ak_policy_effective_expiry(policy, rec, end);

    if (rec->is_revoked && (!has || rec->revoked < *end)) {
        *end = rec->revoked;
        has = true;
    }
    return has;
}

static bool ids_name(const struct ak_values *ids, const char *kid)
{
    for (unsigned i = 0; ids != NULL && i < ids->n; i++)
        if (ids->v[i].n == AK_KEY_ID_LEN &&
            memcmp(ids->v[i].p, kid, AK_KEY_ID_LEN) == 0)
            return true;
    return false;
}

static void keep(struct ak_notice_sweep_out *out, const char *why)
{
    out->verdict = AK_SWEEP_KEEP;
    out->why = why;
}

void ak_notice_sweep(const struct ak_holder_view *v,
                     const struct ak_values *ids,
                     const struct ak_policy *policy, const char *val,
                     size_t len, time_t now, const struct ak_notice_opts *opts,
                     struct ak_notice_sweep_out *out)
{
    unsigned grace = 0, n_records = 0;
    const char *why = NULL;
    time_t last_end = 0;

    memset(out, 0, sizeof(*out));
    if (ak_notice_parse(val, len, &out->n, &why) != AK_OK) {
        out->verdict = AK_SWEEP_GARBAGE;
        out->why = why;
        return;
    }
    if (opts == NULL || opts->cleanup_days == 0) {
        keep(out, "housekeeping is off");
        return;
    }
    grace = opts->cleanup_days > opts->expired_days ? opts->cleanup_days
                                                    : opts->expired_days;
    if (v == NULL || v->records.tagged || v->revoked.tagged ||
        (ids != NULL && ids->tagged)) {
        keep(out, "the entry holds subtyped key values");
        return;
    }
    for (unsigned i = 0; i < v->records.n; i++) {
        char id[AK_KEY_ID_LEN + 1];
        struct ak_record rec;
        time_t end;

        if (!ak_record_peek_id(v->records.v[i].p, v->records.v[i].n, id) ||
            strcmp(id, out->n.id.kid) != 0)
            continue;
        n_records++;
        if (ak_view_key(v, i, &rec, NULL) != AK_OK) {
            keep(out, "a record of the key cannot be read");
            return;
        }
        if (!key_end(policy, &rec, &end) || end > now ||
            now - end <= (time_t)grace * 86400) {
            keep(out, "the key is alive or ended recently");
            return;
        }
        if (n_records == 1 || end > last_end)
            last_end = end;
    }
    if (n_records > 0) {
        out->verdict = AK_SWEEP_ENDED;
        out->why = "the key ended longer ago than notice_cleanup_days";
        out->has_end = true;
        out->end = last_end;
        return;
    }
    if (ids_name(ids, out->n.id.kid)) {
        keep(out, "the entry still names the key (apiKeyId)");
        return;
    }
    out->verdict = AK_SWEEP_GONE;
    out->why = "the key is gone";
}
