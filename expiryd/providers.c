/* SPDX-License-Identifier: BSD-3-Clause */
/* providers.c - warn when claims could reach two providers of a
 * multi-provider cluster */
#include "ak_entry.h"
#include "ak_status.h"
#include "ex.h"
#include "sync.h"

/* How many servers other than 0 (slapadd, no serverID) wrote the base. */
static unsigned count_providers(const struct ak_values *csn)
{
    int seen[8];
    unsigned n = 0;

    for (size_t i = 0; csn != NULL && i < csn->n; i++) {
        int sid = ex_csn_sid(csn->v[i].p, csn->v[i].n);
        bool dup = sid <= 0;
        for (unsigned j = 0; !dup && j < n; j++)
            dup = seen[j] == sid;
        if (!dup && n < sizeof(seen) / sizeof(seen[0]))
            seen[n++] = sid;
    }
    return n;
}

/*
 * A claim is decided by the server that applies it: two daemons claiming
 * through two providers can both win before the providers replicate.
 * Without notice_write_uri the claims go to the first uri, which differs
 * from host to host as soon as their uri lists differ. When the base's
 * contextCSN shows writes from several server ids (multi-provider), say
 * so once per configuration. A failed read says nothing: this is advice,
 * the pass goes on.
 */
void ex_check_providers(struct ex *e)
{
    char *attrs[] = {AK_LDAP_STR("contextCSN"), NULL};
    struct ak_conn *c = NULL;
    LDAPMessage *res = NULL, *m;
    struct ak_entry en;
    unsigned n = 0;

    if (e->cfg->notice_write_uri != NULL || e->cfg->search_base == NULL)
        return;
    if (ak_dir_acquire(e->rd, false, &e->log, &c) != AK_OK)
        return;
    if (ak_conn_search(c, e->cfg->search_base, LDAP_SCOPE_BASE,
                       "(objectClass=*)", attrs, 1, &e->log, &res) == AK_OK) {
        m = ldap_first_entry(ak_conn_ld(c), res);
        if (m != NULL && ak_entry_open_logged(ak_conn_ld(c), m, attrs, &e->log,
                                              &en) == AK_OK) {
            n = count_providers(ak_entry_values(&en, 0));
            ak_entry_close(&en);
        }
    }
    ldap_msgfree(res);
    ak_dir_release(e->rd, c);
    if (n >= 2)
        ak_log(&e->log, LOG_WARNING,
               "%s: %s is written by several providers (%u server ids in "
               "contextCSN) and notice_write_uri is not set: claims go to "
               "this host's first uri, and two daemons claiming on two "
               "providers may both send a notice; set notice_write_uri to "
               "the same provider on every host",
               e->cfg->path, e->cfg->search_base, n);
}
