/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_notice.c - claim, take over and settle apiKeyNotice values */
#include "ak_store_notice.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_revocation.h"
#include "ak_schema.h"
#include "ak_status.h"

static bool same_id(const struct ak_notice_id *a, const struct ak_notice_id *b)
{
    return memcmp(a->kid, b->kid, sizeof(a->kid)) == 0 &&
           a->expires == b->expires && a->stage == b->stage &&
           a->class == b->class;
}

/* The claim of id; old (may be NULL): the value it takes over, whose
 * history (a deferred notice's first failure and attempts) it carries. */
static int claimed_value(const struct ak_notice_id *id,
                         const struct ak_notice *old, time_t now,
                         const char *host, struct ak_notice *n,
                         char buf[AK_NOTICE_MAX + 1])
{
    memset(n, 0, sizeof(*n));
    n->id = *id;
    n->state = AK_NOTICE_CLAIMED;
    n->at = now;
    if (host == NULL || !ak_notice_host_valid(host, strlen(host)))
        return AK_ERR_INVALID;
    memcpy(n->host, host, strlen(host) + 1);
    if (old != NULL)
        ak_notice_carry(old, n);
    return ak_notice_format(n, buf);
}

/* A growing filter; on failure (no memory) p is NULL and stays so. */
struct filter {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void fadd(struct filter *f,
                                                       const char *fmt, ...)
{
    va_list ap;
    int n;

    if (f->p == NULL && f->cap > 0)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || f->len + (size_t)n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 256;
        char *np;
        while (n >= 0 && f->len + (size_t)n + 1 > cap)
            cap *= 2;
        np = n < 0 ? NULL : realloc(f->p, cap);
        if (np == NULL) {
            free(f->p);
            f->p = NULL;
            f->cap = 1; /* failed: stays NULL */
            return;
        }
        f->p = np;
        f->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(f->p + f->len, f->cap - f->len, fmt, ap);
    va_end(ap);
    f->len += (size_t)n;
}

/*
 * "(apiKeyId=<kid>)(!(apiKeyRevoked=<kid> *revoked))": the key is still
 * there and not revoked. Key ids, times, stage numbers and class words
 * need no filter escaping (ak_notice_prefix). A rotation's end is not
 * asserted absent: its owner may write one after the expiry, which changes
 * nothing (ak_notice_plan), and must not make every claim fail (issue 16);
 * one written between the read and the claim costs at most a notice of a
 * key just replaced.
 */
static void key_clause(struct filter *f, const char *kid)
{
    fadd(f, "(" AK_AT_ID "=%s)(!(" AK_AT_REVOKED "=%s *%s))", kid, kid,
         ak_end_reason_name(AK_END_REVOKED));
}

/* "(!(apiKeyNotice=<prefix>*))": no value takes notice id. */
static int notice_clause(struct filter *f, const struct ak_notice_id *id)
{
    char prefix[AK_NOTICE_PREFIX_MAX + 1];

    if (ak_notice_prefix(id, prefix) != AK_OK)
        return AK_ERR_INVALID;
    fadd(f, "(!(" AK_AT_NOTICE "=%s*))", prefix);
    return AK_OK;
}

/* Delete the values del (NULL: none), then add the values add (NULL:
 * none), in one modify, under the assertion (NULL: none), with the relax
 * control when relax. */
static int modify_ctl(struct ak_conn *c, const char *dn, char **del, char **add,
                      const char *assert_filter, bool relax,
                      const struct ak_log *log)
{
    LDAPMod mdel = {LDAP_MOD_DELETE, AK_LDAP_STR(AK_AT_NOTICE), {del}};
    LDAPMod madd = {LDAP_MOD_ADD, AK_LDAP_STR(AK_AT_NOTICE), {add}};
    LDAPMod *mods[3];
    size_t n = 0;

    /* The delete first: if the exact value is gone, nothing is added. */
    if (del != NULL)
        mods[n++] = &mdel;
    if (add != NULL)
        mods[n++] = &madd;
    mods[n] = NULL;
    return relax ? ak_conn_modify_relaxed(c, dn, mods, assert_filter, log)
                 : ak_conn_modify_if(c, dn, mods, assert_filter, log);
}

static int modify(struct ak_conn *c, const char *dn, char **del, char **add,
                  const char *assert_filter, const struct ak_log *log)
{
    return modify_ctl(c, dn, del, add, assert_filter, false, log);
}

/* The values of a batch, and its assertion. */
struct batch {
    char (*vals)[AK_NOTICE_MAX + 1];
    char **del, **add;
    unsigned n_vals, n_del, n_add, cap;
    struct filter f;
    unsigned clauses;
    const char *last_kid; /* of the last key clause: not repeated */
};

static char *value(struct batch *b)
{
    return b->n_vals < b->cap ? b->vals[b->n_vals++] : NULL;
}

/* A claim of w->id (and its skipped stages): its values and clauses. */
static int add_claim(struct batch *b, struct ak_notice_write *w, time_t now,
                     const char *host)
{
    char *v = value(b);
    int rc;

    if (w->n_skip >= AK_NOTICE_STAGES_MAX || v == NULL)
        return AK_ERR_INVALID;
    rc = claimed_value(&w->id, NULL, now, host, &w->next, v);
    if (rc != AK_OK)
        return rc;
    b->add[b->n_add++] = v;
    rc = notice_clause(&b->f, &w->id);
    for (unsigned i = 0; rc == AK_OK && i < w->n_skip; i++) {
        struct ak_notice s;
        memset(&s, 0, sizeof(s));
        s.id = w->id;
        s.id.stage = w->skip[i];
        s.state = AK_NOTICE_SKIPPED;
        s.at = now;
        if (s.id.stage == w->id.stage)
            return AK_ERR_INVALID; /* one notice twice */
        for (unsigned k = 0; k < i; k++)
            if (w->skip[k] == w->skip[i])
                return AK_ERR_INVALID;
        if ((v = value(b)) == NULL || ak_notice_format(&s, v) != AK_OK)
            return AK_ERR_INVALID;
        b->add[b->n_add++] = v;
        rc = notice_clause(&b->f, &s.id);
    }
    b->clauses += 1 + w->n_skip;
    return rc;
}

/* One write of the batch into b; w->left_out when it is to be left out. */
static int add_write(struct batch *b, struct ak_notice_write *w, time_t now,
                     const char *host)
{
    char *oldv, *newv;

    w->left_out = false;
    if (w->kind == AK_NW_CLAIM)
        return add_claim(b, w, now, host);
    if ((oldv = value(b)) == NULL || (newv = value(b)) == NULL ||
        ak_notice_format(&w->old, oldv) != AK_OK)
        return AK_ERR_INVALID;
    if (w->kind == AK_NW_TAKE_OVER) {
        int rc;
        if (w->old.state != AK_NOTICE_CLAIMED &&
            w->old.state != AK_NOTICE_DEFERRED)
            return AK_ERR_INVALID;
        rc = claimed_value(&w->old.id, &w->old, now, host, &w->next, newv);
        if (rc != AK_OK)
            return rc;
        if (strcmp(oldv, newv) == 0) {
            w->left_out = true; /* our own claim, this very second */
            return AK_OK;
        }
    } else if (w->kind != AK_NW_REPLACE || !same_id(&w->old.id, &w->next.id) ||
               ak_notice_format(&w->next, newv) != AK_OK ||
               strcmp(oldv, newv) == 0) {
        return AK_ERR_INVALID;
    }
    b->del[b->n_del++] = oldv;
    b->add[b->n_add++] = newv;
    return AK_OK;
}

/* The key clause of each key a claim or take-over is about (once for a
 * run of writes about the same key). */
static void key_clauses(struct batch *b, const struct ak_notice_write *w,
                        unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const char *kid =
            w[i].kind == AK_NW_CLAIM ? w[i].id.kid : w[i].old.id.kid;
        if (w[i].kind == AK_NW_REPLACE || w[i].left_out ||
            (b->last_kid != NULL && strcmp(b->last_kid, kid) == 0))
            continue;
        key_clause(&b->f, kid);
        b->last_kid = kid;
        b->clauses++;
    }
}

int ak_store_notice_batch(struct ak_conn *c, const char *dn,
                          struct ak_notice_write *w, unsigned n, time_t now,
                          const char *host, bool relax,
                          const struct ak_log *log)
{
    struct batch b = {0};
    int rc = AK_OK;

    if (c == NULL || dn == NULL || w == NULL || n == 0 ||
        n > UINT_MAX / (AK_NOTICE_STAGES_MAX + 1))
        return AK_ERR_INVALID;
    b.cap = n * (AK_NOTICE_STAGES_MAX + 1);
    b.vals = calloc(b.cap, sizeof(*b.vals));
    b.del = calloc(n + 1, sizeof(char *));
    b.add = calloc(b.cap + 1, sizeof(char *));
    if (b.vals == NULL || b.del == NULL || b.add == NULL)
        rc = AK_ERR_NOMEM;
    fadd(&b.f, "(&");
    for (unsigned i = 0; rc == AK_OK && i < n; i++)
        rc = add_write(&b, &w[i], now, host);
    if (rc == AK_OK)
        key_clauses(&b, w, n);
    fadd(&b.f, ")");
    if (rc == AK_OK && b.f.p == NULL)
        rc = AK_ERR_NOMEM;
    if (rc == AK_OK && b.n_add == 0)
        rc = AK_ERR_CONFLICT; /* all left out: nothing to write */
    if (rc == AK_OK)
        rc = modify_ctl(c, dn, b.n_del > 0 ? b.del : NULL, b.add,
                        b.clauses > 0 ? b.f.p : NULL, relax, log);
    free(b.f.p);
    free(b.vals);
    free(b.del);
    free(b.add);
    return rc;
}

int ak_store_notice_claim(struct ak_conn *c, const char *dn,
                          const struct ak_notice_id *id, const unsigned *skip,
                          unsigned n_skip, time_t now, const char *host,
                          const struct ak_log *log, struct ak_notice *claimed)
{
    struct ak_notice_write w = {.kind = AK_NW_CLAIM};
    int rc;

    if (id == NULL || n_skip >= AK_NOTICE_STAGES_MAX ||
        (n_skip > 0 && skip == NULL))
        return AK_ERR_INVALID;
    w.id = *id;
    w.n_skip = n_skip;
    if (n_skip > 0)
        memcpy(w.skip, skip, n_skip * sizeof(*skip));
    rc = ak_store_notice_batch(c, dn, &w, 1, now, host, false, log);
    if (rc == AK_OK && claimed != NULL)
        *claimed = w.next;
    return rc;
}

int ak_store_notice_take_over(struct ak_conn *c, const char *dn,
                              const struct ak_notice *old, time_t now,
                              const char *host, const struct ak_log *log,
                              struct ak_notice *claimed)
{
    struct ak_notice_write w = {.kind = AK_NW_TAKE_OVER};
    int rc;

    if (old == NULL)
        return AK_ERR_INVALID;
    w.old = *old;
    rc = ak_store_notice_batch(c, dn, &w, 1, now, host, false, log);
    if (rc == AK_OK && claimed != NULL)
        *claimed = w.next;
    return rc;
}

int ak_store_notice_replace(struct ak_conn *c, const char *dn,
                            const struct ak_notice *old,
                            const struct ak_notice *next,
                            const struct ak_log *log)
{
    struct ak_notice_write w = {.kind = AK_NW_REPLACE};

    if (old == NULL || next == NULL)
        return AK_ERR_INVALID;
    w.old = *old;
    w.next = *next;
    return ak_store_notice_batch(c, dn, &w, 1, 0, NULL, false, log);
}

int ak_store_notice_settle(struct ak_conn *c, const char *dn,
                           const struct ak_notice *claimed,
                           const struct ak_notice *final,
                           const struct ak_log *log)
{
    if (claimed == NULL || final == NULL ||
        claimed->state != AK_NOTICE_CLAIMED ||
        (final->state != AK_NOTICE_SENT && final->state != AK_NOTICE_DEFERRED &&
         final->state != AK_NOTICE_FAILED))
        return AK_ERR_INVALID;
    return ak_store_notice_replace(c, dn, claimed, final, log);
}

int ak_store_notice_remove(struct ak_conn *c, const char *dn,
                           const struct ak_notice *n, bool key_gone,
                           const struct ak_log *log)
{
    char v[AK_NOTICE_MAX + 1], filter[64];
    char *del[] = {v, NULL};

    if (c == NULL || dn == NULL || n == NULL || ak_notice_format(n, v) != AK_OK)
        return AK_ERR_INVALID;
    /* a key id needs no filter escaping (base32) */
    snprintf(filter, sizeof(filter), "(!(" AK_AT_ID "=%s))", n->id.kid);
    return modify(c, dn, del, NULL, key_gone ? filter : NULL, log);
}
