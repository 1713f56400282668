/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_prune.c - delete the values of ended keys, one modify a holder */
#include "ak_store_prune.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_schema.h"
#include "ak_status.h"

static const char *const attr_names[AK_PRUNE_N] = {
    [AK_PRUNE_RECORD] = AK_AT_RECORD,       [AK_PRUNE_ID] = AK_AT_ID,
    [AK_PRUNE_LAST_USED] = AK_AT_LAST_USED, [AK_PRUNE_END] = AK_AT_REVOKED,
    [AK_PRUNE_EXPIRES] = AK_AT_EXPIRES,
};

/* "(&(apiKeyRevoked=<v>)...)" of the revocations p relies on (values may
 * hold any byte: escaped), or NULL when it relies on none. */
static int assertion(const struct ak_values *ends, const struct ak_prune *p,
                     char **out)
{
    size_t len = 4, at;
    char **parts;
    int rc = AK_OK;

    *out = NULL;
    if (p->n_assert == 0)
        return AK_OK;
    if (ends == NULL)
        return AK_ERR_INVALID;
    parts = calloc(p->n_assert, sizeof(*parts));
    if (parts == NULL)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < p->n_assert && rc == AK_OK; i++) {
        const struct ak_bytes *b = &ends->v[p->assert_ends[i]];
        rc = ak_filter_eq(AK_AT_REVOKED, b->p, b->n, &parts[i]);
        if (rc == AK_OK)
            len += strlen(parts[i]);
    }
    if (rc == AK_OK && (*out = malloc(len)) == NULL)
        rc = AK_ERR_NOMEM;
    if (rc == AK_OK) {
        memcpy(*out, "(&", 2);
        at = 2;
        for (unsigned i = 0; i < p->n_assert; i++) {
            size_t n = strlen(parts[i]);
            memcpy(*out + at, parts[i], n);
            at += n;
        }
        memcpy(*out + at, ")", 2);
    }
    for (unsigned i = 0; i < p->n_assert; i++)
        free(parts[i]);
    free(parts);
    return rc;
}

int ak_store_prune(struct ak_conn *c, const char *dn,
                   const struct ak_values *const vals[AK_PRUNE_N],
                   const struct ak_prune *p, const struct ak_log *log)
{
    LDAPMod mods[AK_PRUNE_N], *list[AK_PRUNE_N + 1];
    struct berval *bvs[AK_PRUNE_N] = {NULL}, **refs[AK_PRUNE_N] = {NULL};
    char *filter = NULL;
    unsigned n = 0;
    int rc = AK_OK;

    if (c == NULL || dn == NULL || p == NULL)
        return AK_ERR_INVALID;
    if (!ak_prune_any(p))
        return AK_OK;
    for (unsigned a = 0; a < AK_PRUNE_N && rc == AK_OK; a++) {
        unsigned k = p->n_del[a];
        if (k == 0)
            continue;
        if (vals[a] == NULL) {
            rc = AK_ERR_INVALID;
            break;
        }
        bvs[a] = calloc(k, sizeof(*bvs[a]));
        refs[a] = calloc(k + 1, sizeof(*refs[a]));
        if (bvs[a] == NULL || refs[a] == NULL) {
            rc = AK_ERR_NOMEM;
            break;
        }
        for (unsigned i = 0; i < k; i++) {
            const struct ak_bytes *b = &vals[a]->v[p->del[a][i]];
            bvs[a][i] =
                (struct berval){.bv_len = b->n, .bv_val = AK_LDAP_STR(b->p)};
            refs[a][i] = &bvs[a][i];
        }
        mods[n] = (LDAPMod){.mod_op = LDAP_MOD_DELETE | LDAP_MOD_BVALUES,
                            .mod_type = AK_LDAP_STR(attr_names[a]),
                            .mod_vals.modv_bvals = refs[a]};
        list[n] = &mods[n];
        n++;
    }
    list[n] = NULL;
    if (rc == AK_OK)
        rc = assertion(vals[AK_PRUNE_END], p, &filter);
    if (rc == AK_OK)
        rc = ak_conn_modify_if(c, dn, list, filter, log);
    free(filter);
    for (unsigned a = 0; a < AK_PRUNE_N; a++) {
        free(bvs[a]);
        free(refs[a]);
    }
    return rc;
}
