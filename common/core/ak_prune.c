/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_prune.c - which values of one holder the housekeeping of ended keys
 * deletes: sorted once, looked up by binary search, so a holder pushed far
 * past its bounds (the relax control) costs O(n log n), not n^2 */
#include "ak_prune.h"

#include <stdlib.h>
#include <string.h>

#include "ak_record.h"
#include "ak_revocation.h"
#include "ak_status.h"
#include "ak_time.h"

#define DAY 86400
/* where a record's key id starts: ak_record_peek_id reads "v1 id=<kid>" */
#define ID_OFFSET (sizeof("v1 id=") - 1)

static const char *const cause_names[] = {
    [AK_PRUNE_EXPIRED] = "expired",
    [AK_PRUNE_ROTATED] = "rotated",
    [AK_PRUNE_REVOKED] = "revoked",
};

const char *ak_prune_cause_name(enum ak_prune_cause c)
{
    return (unsigned)c <= AK_PRUNE_REVOKED ? cause_names[c] : "?";
}

bool ak_prune_rotation_value(const char *v, size_t len)
{
    static const char tail[] = "Z rotated";
    const size_t t = AK_KEY_ID_LEN + 1; /* the time's first digit */

    if (v == NULL || len != t + 14 + sizeof(tail) - 1 ||
        !ak_key_id_valid(v, AK_KEY_ID_LEN) || v[AK_KEY_ID_LEN] != ' ' ||
        memcmp(v + t + 14, tail, sizeof(tail) - 1) != 0)
        return false;
    for (size_t i = t; i < t + 14; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* A value about a key: the key id (AK_KEY_ID_LEN bytes inside the value)
 * and the value's index. */
struct ref {
    const char *kid;
    unsigned index;
};

/* What a key that goes needs beyond its ak_prune_key. */
struct gone {
    bool has_expires;
    time_t expires;
};

struct plan {
    const struct ak_holder_view *v;
    struct ak_prune *out;
    time_t cutoff; /* a key that ended before it goes */
    struct ref *recs, *ends;
    unsigned n_recs, n_ends;
    struct gone *gone; /* by key, beside out->keys */
    time_t *kept_exp;  /* own expiries of the records that stay */
    unsigned n_kept_exp;
    time_t *gone_exp; /* own expiries of the keys that go */
    time_t *del_exp;  /* the expiry values that go, as times */
    unsigned n_del_exp;
};

static int ref_cmp(const void *a, const void *b, void *ctx)
{
    const struct ref *x = a, *y = b;
    int c = memcmp(x->kid, y->kid, AK_KEY_ID_LEN);

    ++*(unsigned long long *)ctx;
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int uint_cmp(const void *a, const void *b, void *ctx)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    ++*(unsigned long long *)ctx;
    return x < y ? -1 : x > y;
}

static int time_cmp(const void *a, const void *b, void *ctx)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;

    ++*(unsigned long long *)ctx;
    return x < y ? -1 : x > y;
}

/* The key id a value starts with (followed by a space or nothing), as
 * ak_revocation_names reads ends and apiKeyLastUsed values. */
static bool names_key(const struct ak_bytes *b)
{
    return b->n >= AK_KEY_ID_LEN && ak_key_id_valid(b->p, AK_KEY_ID_LEN) &&
           (b->n == AK_KEY_ID_LEN || b->p[AK_KEY_ID_LEN] == ' ');
}

/* The first of refs[0..n) (sorted) whose key id is kid, or n. */
static unsigned first_ref(const struct ref *refs, unsigned n, const char *kid,
                          unsigned long long *work)
{
    unsigned lo = 0, hi = n;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        ++*work;
        if (memcmp(refs[mid].kid, kid, AK_KEY_ID_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The key that goes whose id is kid (out->keys is in key id order), or
 * -1. */
static int gone_key(const struct ak_prune *out, const char *kid,
                    unsigned long long *work)
{
    unsigned lo = 0, hi = out->n_keys;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        int c = memcmp(out->keys[mid].kid, kid, AK_KEY_ID_LEN);
        ++*work;
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static bool has_time(const time_t *ts, unsigned n, time_t t,
                     unsigned long long *work)
{
    unsigned lo = 0, hi = n;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        ++*work;
        if (ts[mid] == t)
            return true;
        if (ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The time an end carries, as a revocation is dated: also when the rest
 * cannot be read (it revokes then, fail closed, and ak_revocation_apply
 * dates it 1970). One without a readable time dates nothing: a value
 * mangled by hand must not make a key's record go at once. */
static bool end_time(const struct ak_bytes *b, time_t *t)
{
    const size_t off = AK_KEY_ID_LEN + 1, after = off + AK_TIME_LEN;

    return b->n >= after && b->p[AK_KEY_ID_LEN] == ' ' &&
           (b->n == after || b->p[after] == ' ') &&
           ak_time_parse(b->p + off, AK_TIME_LEN, true, t) == AK_OK;
}

static void earliest(bool *has, time_t *at, time_t t)
{
    if (!*has || t < *at)
        *at = t;
    *has = true;
}

static void del(struct ak_prune *out, enum ak_prune_attr a, unsigned index)
{
    out->del[a][out->n_del[a]++] = index;
}

static void keep_expiry(struct plan *p, const struct ak_record *r)
{
    if (r->has_expires)
        p->kept_exp[p->n_kept_exp++] = r->expires;
}

/* One key with a single, readable record r (index rec): decide whether it
 * goes, and with which of its ends (ends[e0..e1), all naming it). */
static void judge_key(struct plan *p, const struct ak_record *r, unsigned rec,
                      unsigned e0, unsigned e1)
{
    struct ak_prune *out = p->out;
    const struct ak_values *ends = &p->v->revoked;
    bool has_base = false, has_rev = false, any_rev = false;
    time_t base = 0, rev = 0, t;
    enum ak_prune_cause base_cause = AK_PRUNE_EXPIRED;
    struct ak_prune_key *k;

    /* The ends that need no assertion: the record's own fields (an admin
     * who rewrites it deletes the very value the change deletes, which
     * then fails) and the rotations' ends (deleted by the same change). */
    if (r->has_expires)
        earliest(&has_base, &base, r->expires);
    if (r->is_revoked && (!has_base || r->revoked <= base)) {
        earliest(&has_base, &base, r->revoked);
        base_cause = AK_PRUNE_REVOKED;
    }
    for (unsigned i = e0; i < e1; i++) {
        const struct ak_bytes *b = &ends->v[p->ends[i].index];
        struct ak_record s;
        out->work++;
        memset(&s, 0, sizeof(s));
        memcpy(s.id, r->id, sizeof(s.id));
        (void)ak_revocation_apply(&s, b->p, b->n);
        if (s.is_revoked) {
            any_rev = true;
            if (end_time(b, &t))
                earliest(&has_rev, &rev, t);
        } else if (s.has_end && (!has_base || s.end < base)) {
            earliest(&has_base, &base, s.end);
            base_cause = AK_PRUNE_ROTATED;
        }
    }
    /* A key revoked only by its record (apikey 0.1): the record is its
     * one tombstone. Never expires, no dated end: nothing says when. */
    if ((r->is_revoked && !any_rev) || (!has_base && !has_rev)) {
        keep_expiry(p, r);
        return;
    }
    if (!((has_base && base < p->cutoff) || (has_rev && rev < p->cutoff))) {
        keep_expiry(p, r);
        return;
    }
    k = &out->keys[out->n_keys];
    memset(k, 0, sizeof(*k));
    memcpy(k->kid, r->id, AK_KEY_ID_LEN);
    k->record = rec;
    if (has_rev && (!has_base || rev <= base)) {
        k->cause = AK_PRUNE_REVOKED;
        k->end = rev;
    } else {
        k->cause = base_cause;
        k->end = base;
    }
    p->gone[out->n_keys] = (struct gone){r->has_expires, r->expires};
    out->n_keys++;
    del(out, AK_PRUNE_RECORD, rec);
    for (unsigned i = e0; i < e1; i++) {
        const struct ak_bytes *b = &ends->v[p->ends[i].index];
        struct ak_record s;
        memset(&s, 0, sizeof(s));
        memcpy(s.id, r->id, sizeof(s.id));
        (void)ak_revocation_apply(&s, b->p, b->n);
        if (!s.is_revoked && s.has_end && ak_prune_rotation_value(b->p, b->n)) {
            del(out, AK_PRUNE_END, p->ends[i].index);
            k->n_rotated++;
        } else if (s.is_revoked && end_time(b, &t) && t < p->cutoff &&
                   !(has_base && base < p->cutoff)) {
            /* the key goes because of this revocation alone */
            out->assert_ends[out->n_assert++] = p->ends[i].index;
        }
    }
}

/* Every record: group by key id, judge the keys held by one readable
 * record, keep the expiries of every other readable one. */
static void judge_records(struct plan *p)
{
    const struct ak_values *recs = &p->v->records;
    struct ak_prune *out = p->out;

    for (unsigned i = 0; i < p->n_recs;) {
        unsigned j = i + 1, e0, e1;
        struct ak_record r;
        const struct ak_bytes *b = &recs->v[p->recs[i].index];
        const char *why = NULL;

        while (j < p->n_recs &&
               memcmp(p->recs[j].kid, p->recs[i].kid, AK_KEY_ID_LEN) == 0)
            j++;
        out->work += j - i;
        if (j - i > 1) {
            /* the verifier refuses each: left for an admin */
            out->n_several++;
            for (unsigned k = i; k < j; k++) {
                const struct ak_bytes *bk = &recs->v[p->recs[k].index];
                if (ak_record_parse(bk->p, bk->n, &r, &why) == AK_OK)
                    keep_expiry(p, &r);
            }
        } else if (ak_record_parse(b->p, b->n, &r, &why) != AK_OK) {
            out->n_unreadable++;
        } else {
            e0 = first_ref(p->ends, p->n_ends, p->recs[i].kid, &out->work);
            for (e1 = e0;
                 e1 < p->n_ends &&
                 memcmp(p->ends[e1].kid, p->recs[i].kid, AK_KEY_ID_LEN) == 0;
                 e1++)
                ;
            judge_key(p, &r, p->recs[i].index, e0, e1);
        }
        i = j;
    }
}

/* The ids and last uses of the keys that go. */
static void key_values(struct plan *p, const struct ak_values *ids,
                       const struct ak_values *last_used)
{
    struct ak_prune *out = p->out;

    for (unsigned i = 0; ids != NULL && i < ids->n; i++) {
        int k = -1;
        out->work++;
        if (ids->v[i].n == AK_KEY_ID_LEN)
            k = gone_key(out, ids->v[i].p, &out->work);
        if (k >= 0) {
            del(out, AK_PRUNE_ID, i);
            out->keys[k].n_ids++;
        }
    }
    for (unsigned i = 0; last_used != NULL && i < last_used->n; i++) {
        int k = -1;
        out->work++;
        if (names_key(&last_used->v[i]))
            k = gone_key(out, last_used->v[i].p, &out->work);
        if (k >= 0) {
            del(out, AK_PRUNE_LAST_USED, i);
            out->keys[k].n_last_used++;
        }
    }
}

/* The expiry values: long past, or of keys that go and of none that
 * stays. A value that cannot be read stays (slapd checked its syntax:
 * only a form we do not read gets here). */
static void expiry_values(struct plan *p, const struct ak_values *expires)
{
    struct ak_prune *out = p->out;
    time_t *gone_exp = p->gone_exp;
    unsigned n_gone = 0;

    for (unsigned k = 0; k < out->n_keys; k++)
        if (p->gone[k].has_expires)
            gone_exp[n_gone++] = p->gone[k].expires;
    qsort_r(gone_exp, n_gone, sizeof(*gone_exp), time_cmp, &out->work);
    qsort_r(p->kept_exp, p->n_kept_exp, sizeof(*p->kept_exp), time_cmp,
            &out->work);
    for (unsigned i = 0; expires != NULL && i < expires->n; i++) {
        time_t t;
        out->work++;
        if (ak_time_parse(expires->v[i].p, expires->v[i].n, false, &t) != AK_OK)
            continue;
        if (t < p->cutoff ||
            (has_time(gone_exp, n_gone, t, &out->work) &&
             !has_time(p->kept_exp, p->n_kept_exp, t, &out->work)))
            del(out, AK_PRUNE_EXPIRES, i);
    }
    /* which keys lose their own expiry value (for the log) */
    for (unsigned i = 0; i < out->n_del[AK_PRUNE_EXPIRES]; i++) {
        const struct ak_bytes *b = &expires->v[out->del[AK_PRUNE_EXPIRES][i]];
        time_t t;
        if (ak_time_parse(b->p, b->n, false, &t) == AK_OK)
            p->del_exp[p->n_del_exp++] = t;
    }
    qsort_r(p->del_exp, p->n_del_exp, sizeof(*p->del_exp), time_cmp,
            &out->work);
    for (unsigned k = 0; k < out->n_keys; k++)
        out->keys[k].expiry_goes =
            p->gone[k].has_expires &&
            has_time(p->del_exp, p->n_del_exp, p->gone[k].expires, &out->work);
}

void ak_prune_free(struct ak_prune *p)
{
    if (p == NULL)
        return;
    free(p->keys);
    for (unsigned a = 0; a < AK_PRUNE_N; a++)
        free(p->del[a]);
    free(p->assert_ends);
    memset(p, 0, sizeof(*p));
}

bool ak_prune_any(const struct ak_prune *p)
{
    for (unsigned a = 0; a < AK_PRUNE_N; a++)
        if (p->n_del[a] > 0)
            return true;
    return false;
}

static unsigned count_of(const struct ak_values *vs)
{
    return vs != NULL ? vs->n : 0;
}

static bool tagged(const struct ak_values *vs)
{
    return vs != NULL && vs->tagged;
}

/* calloc of n (at least one) elements of size. */
static void *array(size_t n, size_t size)
{
    return calloc(n > 0 ? n : 1, size);
}

int ak_prune_plan(const struct ak_holder_view *v, const struct ak_values *ids,
                  const struct ak_values *last_used,
                  const struct ak_values *expires, time_t now,
                  unsigned grace_days, struct ak_prune *out)
{
    struct plan p = {.v = v, .out = out};
    unsigned n_rec = v->records.n, n_end = v->revoked.n;
    unsigned n_exp = count_of(expires);
    const unsigned sizes[AK_PRUNE_N] = {
        [AK_PRUNE_RECORD] = n_rec,
        [AK_PRUNE_ID] = count_of(ids),
        [AK_PRUNE_LAST_USED] = count_of(last_used),
        [AK_PRUNE_END] = n_end,
        [AK_PRUNE_EXPIRES] = n_exp,
    };
    bool ok = true;

    memset(out, 0, sizeof(*out));
    if (grace_days == 0) {
        out->skipped = "housekeeping of keys is off";
        return AK_OK;
    }
    if (v->records.tagged || v->revoked.tagged || tagged(ids) ||
        tagged(last_used) || tagged(expires)) {
        out->skipped = "the entry holds subtyped key values";
        return AK_OK;
    }
    p.cutoff = now - (time_t)grace_days * DAY;
    out->keys = array(n_rec, sizeof(*out->keys));
    for (unsigned a = 0; a < AK_PRUNE_N; a++)
        ok = (out->del[a] = array(sizes[a], sizeof(unsigned))) != NULL && ok;
    out->assert_ends = array(n_end, sizeof(*out->assert_ends));
    p.recs = array(n_rec, sizeof(*p.recs));
    p.ends = array(n_end, sizeof(*p.ends));
    p.gone = array(n_rec, sizeof(*p.gone));
    p.kept_exp = array(n_rec, sizeof(*p.kept_exp));
    p.gone_exp = array(n_rec, sizeof(*p.gone_exp));
    p.del_exp = array(n_exp, sizeof(*p.del_exp));
    if (!ok || out->keys == NULL || out->assert_ends == NULL ||
        p.recs == NULL || p.ends == NULL || p.gone == NULL ||
        p.kept_exp == NULL || p.gone_exp == NULL || p.del_exp == NULL) {
        ak_prune_free(out);
        ok = false;
        goto done;
    }
    for (unsigned i = 0; i < n_rec; i++) {
        char kid[AK_KEY_ID_LEN + 1];
        out->work++;
        if (ak_record_peek_id(v->records.v[i].p, v->records.v[i].n, kid))
            /* the id lies at the same place in the value */
            p.recs[p.n_recs++] = (struct ref){v->records.v[i].p + ID_OFFSET, i};
        else
            out->n_unreadable++;
    }
    for (unsigned i = 0; i < n_end; i++) {
        out->work++;
        if (names_key(&v->revoked.v[i]))
            p.ends[p.n_ends++] = (struct ref){v->revoked.v[i].p, i};
    }
    qsort_r(p.recs, p.n_recs, sizeof(*p.recs), ref_cmp, &out->work);
    qsort_r(p.ends, p.n_ends, sizeof(*p.ends), ref_cmp, &out->work);
    judge_records(&p);
    key_values(&p, ids, last_used);
    expiry_values(&p, expires);
    /* ascending, as the caller's values */
    for (unsigned a = 0; a < AK_PRUNE_N; a++)
        qsort_r(out->del[a], out->n_del[a], sizeof(unsigned), uint_cmp,
                &out->work);
done:
    free(p.recs);
    free(p.ends);
    free(p.gone);
    free(p.kept_exp);
    free(p.gone_exp);
    free(p.del_exp);
    return ok ? AK_OK : AK_ERR_NOMEM;
}
