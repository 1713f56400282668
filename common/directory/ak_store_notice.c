/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_notice.c - claim, take over and settle apiKeyNotice values */
#include "ak_store_notice.h"

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

/*
 * "(&(apiKeyId=<kid>)(!(apiKeyRevoked=<kid> *revoked))" + the clause of
 * each notice in ids + ")": key ids, times, stage numbers and class words
 * need no filter escaping (ak_notice_prefix). A rotation's end is not
 * asserted absent: its owner may write one after the expiry, which changes
 * nothing (ak_notice_plan), and must not make every claim fail (issue 16);
 * one written between the read and the claim costs at most a notice of a
 * key just replaced.
 */
static int assertion(const struct ak_notice_id *ids, unsigned n, char **out)
{
    size_t size =
               64 + 2 * AK_KEY_ID_LEN + (size_t)n * (AK_NOTICE_PREFIX_MAX + 24),
           len;
    char *f = malloc(size);

    if (f == NULL)
        return AK_ERR_NOMEM;
    len = (size_t)snprintf(
        f, size, "(&(" AK_AT_ID "=%s)(!(" AK_AT_REVOKED "=%s *%s))", ids[0].kid,
        ids[0].kid, ak_end_reason_name(AK_END_REVOKED));
    for (unsigned i = 0; i < n; i++) {
        char prefix[AK_NOTICE_PREFIX_MAX + 1];
        if (ak_notice_prefix(&ids[i], prefix) != AK_OK) {
            free(f);
            return AK_ERR_INVALID;
        }
        len += (size_t)snprintf(f + len, size - len,
                                "(!(" AK_AT_NOTICE "=%s*))", prefix);
    }
    snprintf(f + len, size - len, ")");
    *out = f;
    return AK_OK;
}

/* Delete the values del (NULL: none), then add the values add (NULL:
 * none), in one modify, under the assertion (NULL: none). */
static int modify(struct ak_conn *c, const char *dn, char **del, char **add,
                  const char *assert_filter, const struct ak_log *log)
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
    return ak_conn_modify_if(c, dn, mods, assert_filter, log);
}

int ak_store_notice_claim(struct ak_conn *c, const char *dn,
                          const struct ak_notice_id *id, const unsigned *skip,
                          unsigned n_skip, time_t now, const char *host,
                          const struct ak_log *log, struct ak_notice *claimed)
{
    struct ak_notice_id ids[AK_NOTICE_STAGES_MAX];
    char vals[AK_NOTICE_STAGES_MAX][AK_NOTICE_MAX + 1];
    char *add[AK_NOTICE_STAGES_MAX + 1];
    struct ak_notice n;
    char *filter = NULL;
    int rc;

    if (c == NULL || dn == NULL || id == NULL ||
        n_skip >= AK_NOTICE_STAGES_MAX || (n_skip > 0 && skip == NULL))
        return AK_ERR_INVALID;
    rc = claimed_value(id, NULL, now, host, &n, vals[0]);
    if (rc != AK_OK)
        return rc;
    ids[0] = *id;
    add[0] = vals[0];
    for (unsigned i = 0; i < n_skip; i++) {
        struct ak_notice s;
        memset(&s, 0, sizeof(s));
        s.id = *id;
        s.id.stage = skip[i];
        s.state = AK_NOTICE_SKIPPED;
        s.at = now;
        for (unsigned k = 0; k <= i; k++)
            if (ids[k].stage == skip[i])
                return AK_ERR_INVALID; /* one notice twice */
        if (ak_notice_format(&s, vals[i + 1]) != AK_OK)
            return AK_ERR_INVALID;
        ids[i + 1] = s.id;
        add[i + 1] = vals[i + 1];
    }
    add[n_skip + 1] = NULL;
    rc = assertion(ids, n_skip + 1, &filter);
    if (rc != AK_OK)
        return rc;
    rc = modify(c, dn, NULL, add, filter, log);
    free(filter);
    if (rc == AK_OK && claimed != NULL)
        *claimed = n;
    return rc;
}

int ak_store_notice_take_over(struct ak_conn *c, const char *dn,
                              const struct ak_notice *old, time_t now,
                              const char *host, const struct ak_log *log,
                              struct ak_notice *claimed)
{
    char oldv[AK_NOTICE_MAX + 1], newv[AK_NOTICE_MAX + 1];
    char *del[] = {oldv, NULL}, *add[] = {newv, NULL};
    struct ak_notice n;
    char *filter = NULL;
    int rc;

    if (c == NULL || dn == NULL || old == NULL ||
        (old->state != AK_NOTICE_CLAIMED && old->state != AK_NOTICE_DEFERRED) ||
        ak_notice_format(old, oldv) != AK_OK)
        return AK_ERR_INVALID;
    rc = claimed_value(&old->id, old, now, host, &n, newv);
    if (rc != AK_OK)
        return rc;
    if (strcmp(oldv, newv) == 0)
        return AK_ERR_CONFLICT; /* our own claim, this very second */
    /* the key still there and not ended (no notice clause: the old value
     * is there, and the exact delete decides the race) */
    rc = assertion(&old->id, 0, &filter);
    if (rc != AK_OK)
        return rc;
    rc = modify(c, dn, del, add, filter, log);
    free(filter);
    if (rc == AK_OK && claimed != NULL)
        *claimed = n;
    return rc;
}

int ak_store_notice_replace(struct ak_conn *c, const char *dn,
                            const struct ak_notice *old,
                            const struct ak_notice *next,
                            const struct ak_log *log)
{
    char oldv[AK_NOTICE_MAX + 1], newv[AK_NOTICE_MAX + 1];
    char *del[] = {oldv, NULL}, *add[] = {newv, NULL};

    if (c == NULL || dn == NULL || old == NULL || next == NULL ||
        !same_id(&old->id, &next->id) || ak_notice_format(old, oldv) != AK_OK ||
        ak_notice_format(next, newv) != AK_OK || strcmp(oldv, newv) == 0)
        return AK_ERR_INVALID;
    return modify(c, dn, del, add, NULL, log);
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
