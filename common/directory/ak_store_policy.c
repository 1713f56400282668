/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_policy.c - the policy entry: one reader, one writer */
#include "ak_store_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_entry.h"
#include "ak_holder.h"
#include "ak_schema.h"
#include "ak_status.h"

/* The search's list: the holder reader's (AK_READ_POLICY), then the
 * recipients, which only management reads. */
struct policy_attrs {
    struct ak_holder_attrs a;
    char *list[AK_HOLDER_N_ATTRS + 2];
    unsigned recipients; /* index of apiKeyNoticeRecipient in list */
};

static void policy_attrs_init(struct policy_attrs *pa,
                              const struct ak_config *cfg)
{
    unsigned n = 0;

    ak_holder_attrs_init(&pa->a, cfg, AK_READ_POLICY);
    for (; pa->a.list[n] != NULL; n++)
        pa->list[n] = pa->a.list[n];
    pa->recipients = n;
    pa->list[n++] = AK_LDAP_STR(AK_AT_NOTICE_RECIPIENT);
    pa->list[n] = NULL;
}

void ak_policy_entry_free(struct ak_policy_entry *pe)
{
    for (unsigned i = 0; i < pe->n_recipients; i++)
        free(pe->recipients[i]);
    free(pe->recipients);
    memset(pe, 0, sizeof(*pe));
}

static int copy_recipients(const struct ak_values *vs,
                           struct ak_policy_entry *out)
{
    if (vs->n == 0)
        return AK_OK;
    out->recipients = calloc(vs->n, sizeof(char *));
    if (out->recipients == NULL)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < vs->n; i++) {
        out->recipients[i] = strndup(vs->v[i].p, vs->v[i].n);
        if (out->recipients[i] == NULL)
            return AK_ERR_NOMEM;
        out->n_recipients++;
    }
    return AK_OK;
}

/* The entry's class, recipients and policy: the recipients even when a
 * policy value is bad. */
static int entry_fill(const struct ak_entry *en, const struct policy_attrs *pa,
                      struct ak_policy_entry *out, const char **bad_attr)
{
    struct ak_policy_view pv;
    int rc;

    out->has_class = ak_values_has(ak_holder_field(en, &pa->a, AK_HF_OC),
                                   AK_OC_POLICY, true);
    rc = copy_recipients(ak_entry_values(en, pa->recipients), out);
    if (rc != AK_OK)
        return rc;
    ak_policy_view_of(en, &pa->a, &pv);
    return ak_policy_from_view(&pv, &out->p, bad_attr) == AK_OK
               ? AK_OK
               : AK_ERR_MALFORMED;
}

/* Read cfg->policy_dn if it matches filter. */
static int read_entry(struct ak_conn *c, const struct ak_config *cfg,
                      const char *filter, const struct ak_log *log,
                      struct ak_policy_entry *out, const char **bad_attr)
{
    struct policy_attrs pa;
    struct ak_entry en;
    LDAPMessage *res = NULL, *e;
    int rc;

    memset(out, 0, sizeof(*out));
    *bad_attr = NULL;
    if (cfg->policy_dn == NULL)
        return AK_ERR_CONFIG;
    policy_attrs_init(&pa, cfg);
    rc = ak_conn_search(c, cfg->policy_dn, LDAP_SCOPE_BASE, filter, pa.list, 1,
                        log, &res);
    if (rc != AK_OK)
        return rc;
    e = ldap_first_entry(ak_conn_ld(c), res);
    if (e == NULL) {
        rc = AK_ERR_NOT_FOUND;
    } else if ((rc = ak_entry_open_logged(ak_conn_ld(c), e, pa.list, log,
                                          &en)) != AK_OK) {
        rc = rc == AK_ERR_NOMEM ? rc : AK_ERR_MALFORMED;
    } else {
        rc = entry_fill(&en, &pa, out, bad_attr);
        ak_entry_close(&en);
    }
    ldap_msgfree(res);
    return rc;
}

int ak_store_read_policy_entry(struct ak_conn *c, const struct ak_config *cfg,
                               const struct ak_log *log,
                               struct ak_policy_entry *out,
                               const char **bad_attr)
{
    return read_entry(c, cfg, "(objectClass=*)", log, out, bad_attr);
}

int ak_store_read_policy(struct ak_conn *c, const struct ak_config *cfg,
                         const struct ak_log *log, struct ak_policy *out)
{
    struct ak_policy_entry pe;
    const char *bad = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (cfg->policy_dn == NULL)
        return AK_OK;
    rc = read_entry(c, cfg, "(objectClass=" AK_OC_POLICY ")", log, &pe, &bad);
    if (rc == AK_ERR_NOT_FOUND)
        ak_log(log, LOG_ERR, "policy %s: not found or not readable",
               cfg->policy_dn);
    else if (rc == AK_ERR_MALFORMED && bad != NULL)
        ak_log(log, LOG_ERR, "policy %s: bad value of %s", cfg->policy_dn, bad);
    if (rc == AK_OK)
        *out = pe.p;
    ak_policy_entry_free(&pe);
    return rc;
}

/* The modify of a change, with the buffers its values live in. */
struct policy_mods {
    char req[8], max[16], days[AK_NOTIFIED_MAX][8];
    char *oc_v[2], *req_v[2], *max_v[2], *days_v[AK_NOTIFIED_MAX + 1];
    LDAPMod oc, set[4];
    LDAPMod *mods[6];
};

static bool change_ok(const struct ak_policy_change *ch)
{
    const struct ak_policy *p = &ch->p;
    const struct ak_mail_list *r = ch->recipients;

    if ((ch->what & 0xf) == 0 || p->max_lifetime_days > AK_MAX_LIFETIME_DAYS ||
        p->n_notice_days > AK_NOTIFIED_MAX ||
        (r != NULL && r->n > AK_RECIPIENTS_MAX))
        return false;
    for (unsigned i = 0; i < p->n_notice_days; i++)
        if (p->notice_days[i] < 1 || p->notice_days[i] > AK_NOTICE_DAYS_MAX)
            return false;
    for (unsigned i = 0; r != NULL && i < r->n; i++)
        if (!ak_mail_ok(r->v[i]))
            return false;
    return true;
}

/* One LDAP_MOD_REPLACE; values NULL (or none) removes the attribute. */
static LDAPMod *replace(LDAPMod *m, const char *attr, char **values)
{
    m->mod_op = LDAP_MOD_REPLACE;
    m->mod_type = AK_LDAP_STR(attr);
    m->mod_values = values != NULL && values[0] != NULL ? values : NULL;
    return m;
}

static void build_mods(const struct ak_policy_change *ch, struct policy_mods *m)
{
    const struct ak_policy *p = &ch->p;
    size_t n = 0;

    memset(m, 0, sizeof(*m));
    m->oc_v[0] = AK_LDAP_STR(AK_OC_POLICY);
    m->oc = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {m->oc_v}};
    if (ch->add_class)
        m->mods[n++] = &m->oc;
    snprintf(m->req, sizeof(m->req), "%s",
             p->require_expiry ? "TRUE" : "FALSE");
    m->req_v[0] = m->req;
    if (ch->what & AK_POLICY_SET_REQUIRE_EXPIRY)
        m->mods[n++] = replace(&m->set[0], AK_AT_REQUIRE_EXPIRY, m->req_v);
    snprintf(m->max, sizeof(m->max), "%u", p->max_lifetime_days);
    m->max_v[0] = p->max_lifetime_days > 0 ? m->max : NULL;
    if (ch->what & AK_POLICY_SET_MAX_LIFETIME)
        m->mods[n++] = replace(&m->set[1], AK_AT_MAX_LIFETIME, m->max_v);
    for (unsigned i = 0; i < p->n_notice_days; i++) {
        snprintf(m->days[i], sizeof(m->days[i]), "%u", p->notice_days[i]);
        m->days_v[i] = m->days[i];
    }
    if (ch->what & AK_POLICY_SET_NOTICE_DAYS)
        m->mods[n++] = replace(&m->set[2], AK_AT_NOTICE_DAYS, m->days_v);
    if (ch->what & AK_POLICY_SET_RECIPIENTS)
        m->mods[n++] = replace(
            &m->set[3], AK_AT_NOTICE_RECIPIENT,
            ch->recipients ? (char **)(uintptr_t)ch->recipients->v : NULL);
    m->mods[n] = NULL;
}

int ak_store_change_policy(struct ak_conn *c, const struct ak_config *cfg,
                           const struct ak_policy_change *ch,
                           const struct ak_log *log)
{
    struct policy_mods m;

    if (cfg->policy_dn == NULL)
        return AK_ERR_CONFIG;
    if (!change_ok(ch))
        return AK_ERR_INVALID;
    build_mods(ch, &m);
    return ak_conn_modify(c, cfg->policy_dn, m.mods, log);
}
