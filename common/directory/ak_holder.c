/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_holder.c - read key-holder entries one way for every component */
#include "ak_holder.h"

#include <stdlib.h>
#include <string.h>

#include "ak_dn.h"
#include "ak_judge.h"
#include "ak_lastuse.h"
#include "ak_ldap.h"
#include "ak_schema.h"
#include "ak_status.h"

static const char *const field_attr[AK_HF_LOCKS] = {
    [AK_HF_OC] = "objectClass",
    [AK_HF_ID] = AK_AT_ID,
    [AK_HF_RECORD] = AK_AT_RECORD,
    [AK_HF_REVOKED] = AK_AT_REVOKED,
    [AK_HF_EXPIRES] = AK_AT_EXPIRES,
    [AK_HF_OWNER] = AK_AT_OWNER,
    [AK_HF_REQUIRE_EXPIRY] = AK_AT_REQUIRE_EXPIRY,
    [AK_HF_MAX_LIFETIME] = AK_AT_MAX_LIFETIME,
    [AK_HF_NOTICE_DAYS] = AK_AT_NOTICE_DAYS,
    [AK_HF_LAST_USED] = AK_AT_LAST_USED,
    [AK_HF_NOTICE] = AK_AT_NOTICE,
    [AK_HF_MAIL] = "mail",
};

static bool wanted(enum ak_holder_field f, unsigned what)
{
    switch (f) {
    case AK_HF_EXPIRES:
    case AK_HF_OWNER:
        return what & AK_READ_MANAGE;
    case AK_HF_REQUIRE_EXPIRY:
    case AK_HF_MAX_LIFETIME:
    case AK_HF_NOTICE_DAYS:
        return what & AK_READ_POLICY;
    case AK_HF_LAST_USED:
        return what & (AK_READ_MANAGE | AK_READ_LAST_USE);
    case AK_HF_NOTICE: /* the daemon; apikey list shows them */
        return what & (AK_READ_MANAGE | AK_READ_NOTICE);
    case AK_HF_MAIL:
        return what & AK_READ_NOTICE;
    default:
        return true;
    }
}

void ak_holder_attrs_init(struct ak_holder_attrs *a,
                          const struct ak_config *cfg, unsigned what)
{
    unsigned n = 0;

    a->n_locks = (unsigned)ak_owner_n_attrs(cfg->user_attr);
    for (int f = 0; f < AK_HF_N; f++) {
        a->slot[f] = -1;
        if (f >= AK_HF_LOCKS && (unsigned)(f - AK_HF_LOCKS) >= a->n_locks)
            continue;
        if (!wanted((enum ak_holder_field)f, what))
            continue;
        a->slot[f] = (int)n;
        if (f == AK_HF_NAME)
            a->list[n++] = cfg->user_attr;
        else if (f >= AK_HF_LOCKS)
            a->list[n++] = AK_LDAP_STR(ak_owner_attr_names[f - AK_HF_LOCKS]);
        else
            a->list[n++] = AK_LDAP_STR(field_attr[f]);
    }
    a->list[n] = NULL;
}

const struct ak_values *ak_holder_field(const struct ak_entry *en,
                                        const struct ak_holder_attrs *a,
                                        enum ak_holder_field f)
{
    static const struct ak_values none;
    if ((unsigned)f >= AK_HF_N || a->slot[f] < 0)
        return &none;
    return ak_entry_values(en, (unsigned)a->slot[f]);
}

void ak_holder_view_of(struct ak_entry *en, const struct ak_holder_attrs *a,
                       struct ak_holder_view *v)
{
    memset(v, 0, sizeof(*v));
    v->dn = en->dn.bv_val;
    v->dn_len = en->dn.bv_len;
    v->name = *ak_holder_field(en, a, AK_HF_NAME);
    v->object_class = *ak_holder_field(en, a, AK_HF_OC);
    v->records = *ak_holder_field(en, a, AK_HF_RECORD);
    v->revoked = *ak_holder_field(en, a, AK_HF_REVOKED);
    v->n_locks = a->n_locks;
    for (unsigned i = 0; i < a->n_locks; i++)
        v->locks[i] = *ak_holder_field(en, a, AK_HF_LOCKS + i);
}

void ak_policy_view_of(const struct ak_entry *en,
                       const struct ak_holder_attrs *a,
                       struct ak_policy_view *pv)
{
    pv->require_expiry = *ak_holder_field(en, a, AK_HF_REQUIRE_EXPIRY);
    pv->max_lifetime = *ak_holder_field(en, a, AK_HF_MAX_LIFETIME);
    pv->notice_days = *ak_holder_field(en, a, AK_HF_NOTICE_DAYS);
}

/* The textual test where it is certain (cheap: most answers), else the
 * parsed DN. */
static bool text_in_bases(const struct ak_config *cfg, const char *dn,
                          size_t len)
{
    return ak_dn_text_under(dn, len, cfg->user_base) ||
           ak_dn_text_under(dn, len, cfg->service_base);
}

static bool parsed_in_bases(const struct ak_config *cfg, const struct ak_dn *p)
{
    return ak_dnp_is_under(p, cfg->user_base_dn) ||
           ak_dnp_is_under(p, cfg->service_base_dn);
}

bool ak_holder_in_bases(struct ak_entry *en, const struct ak_config *cfg)
{
    return text_in_bases(cfg, en->dn.bv_val, en->dn.bv_len) ||
           parsed_in_bases(cfg, ak_entry_dnp(en));
}

bool ak_holder_dn_in_bases(const struct ak_config *cfg, const char *dn)
{
    struct ak_dn *p = NULL;
    bool in;

    if (text_in_bases(cfg, dn, strlen(dn)))
        return true;
    in = ak_dn_parse(dn, &p) == AK_OK && parsed_in_bases(cfg, p);
    ak_dn_free(p);
    return in;
}

void ak_holder_free(struct ak_holder *h)
{
    if (h == NULL)
        return;
    for (int f = 0; f < AK_HF_N; f++) {
        for (unsigned i = 0; i < h->n_strs[f]; i++)
            free(h->strs[f][i]);
        free(h->strs[f]);
        free(h->bytes[f]);
    }
    free(h->dn);
    free(h->name);
    memset(h, 0, sizeof(*h));
}

unsigned ak_holder_attrs(const struct ak_config *cfg,
                         char *attrs[AK_HOLDER_N_ATTRS + 1])
{
    struct ak_holder_attrs a;
    unsigned n = 0;

    ak_holder_attrs_init(&a, cfg, AK_READ_MANAGE);
    memcpy(attrs, a.list, sizeof(a.list));
    while (attrs[n] != NULL)
        n++;
    return n;
}

/* Copy the values of field f into h (strings and their plain view). */
static int copy_field(struct ak_holder *h, const struct ak_entry *en,
                      const struct ak_holder_attrs *a, enum ak_holder_field f,
                      struct ak_values *view)
{
    const struct ak_values *in = ak_holder_field(en, a, f);

    view->tagged = in->tagged;
    if (in->n == 0)
        return AK_OK;
    h->strs[f] = calloc(in->n, sizeof(char *));
    h->bytes[f] = calloc(in->n, sizeof(struct ak_bytes));
    if (h->strs[f] == NULL || h->bytes[f] == NULL)
        return AK_ERR_NOMEM;
    for (unsigned i = 0; i < in->n; i++) {
        char *copy = malloc(in->v[i].n + 1);
        if (copy == NULL)
            return AK_ERR_NOMEM;
        memcpy(copy, in->v[i].p, in->v[i].n);
        copy[in->v[i].n] = '\0';
        h->strs[f][i] = copy;
        h->n_strs[f]++;
        /* A value holding a NUL reads short as a string (display), but the
         * view keeps every byte: a record the verifier refuses as
         * malformed is malformed here too. */
        h->bytes[f][i].p = copy;
        h->bytes[f][i].n = in->v[i].n;
    }
    view->v = h->bytes[f];
    view->n = in->n;
    return AK_OK;
}

/* The copies of every field, and the view over them. */
static int copy_fields(struct ak_holder *h, const struct ak_entry *en,
                       const struct ak_holder_attrs *a)
{
    struct ak_values scratch;
    struct ak_holder_view *v = &h->view;
    int rc = copy_field(h, en, a, AK_HF_NAME, &v->name);

    if (rc == AK_OK)
        rc = copy_field(h, en, a, AK_HF_OC, &v->object_class);
    if (rc == AK_OK)
        rc = copy_field(h, en, a, AK_HF_RECORD, &v->records);
    if (rc == AK_OK)
        rc = copy_field(h, en, a, AK_HF_REVOKED, &v->revoked);
    for (int f = AK_HF_EXPIRES; rc == AK_OK && f <= AK_HF_MAIL; f++)
        rc = copy_field(h, en, a, (enum ak_holder_field)f, &scratch);
    v->n_locks = a->n_locks;
    for (unsigned i = 0; rc == AK_OK && i < a->n_locks; i++)
        rc = copy_field(h, en, a, AK_HF_LOCKS + i, &v->locks[i]);
    return rc;
}

int ak_holder_copy(struct ak_entry *en, const struct ak_holder_attrs *a,
                   time_t now, struct ak_holder *h)
{
    const struct ak_values *dis;
    struct ak_bytes name;
    int rc;

    memset(h, 0, sizeof(*h));
    h->dn = ak_entry_dn(en);
    rc = h->dn == NULL ? AK_ERR_NOMEM : copy_fields(h, en, a);
    if (rc != AK_OK) {
        ak_holder_free(h);
        return rc;
    }
    h->view.dn = h->dn;
    h->view.dn_len = strlen(h->dn);
    if (ak_view_name(&h->view, &name))
        h->name = strndup(name.p, name.n);
    h->service_user =
        ak_values_has(&h->view.object_class, AK_OC_SERVICE_USER, true);
    h->has_holder_class =
        ak_values_has(&h->view.object_class, AK_OC_HOLDER, true);
    dis = &h->view.locks[AK_OWNER_DISABLED];
    for (unsigned i = 0; i < dis->n; i++)
        if (ak_owner_value_locks(AK_OWNER_DISABLED, dis->v[i].p, dis->v[i].n,
                                 now) != NULL)
            h->disabled = true;
    h->locked = ak_owner_lock(&h->view, now);
#define AK_ALIAS(field, f) (h->field = h->strs[f], h->n_##field = h->n_strs[f])
    AK_ALIAS(records, AK_HF_RECORD);
    AK_ALIAS(revoked, AK_HF_REVOKED);
    AK_ALIAS(expires, AK_HF_EXPIRES);
    AK_ALIAS(last_used, AK_HF_LAST_USED);
    AK_ALIAS(owners, AK_HF_OWNER);
    AK_ALIAS(notices, AK_HF_NOTICE);
    AK_ALIAS(mail, AK_HF_MAIL);
#undef AK_ALIAS
    return AK_OK;
}

int ak_holder_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                   time_t now, struct ak_holder *h)
{
    struct ak_holder_attrs a;
    struct ak_entry en;
    const char *why = NULL;
    int rc;

    memset(h, 0, sizeof(*h));
    ak_holder_attrs_init(&a, cfg, AK_READ_MANAGE);
    rc = ak_entry_open(ld, e, a.list, &en, &why);
    if (rc != AK_OK)
        return rc == AK_ERR_NOMEM ? rc : AK_ERR_MALFORMED;
    rc = ak_holder_copy(&en, &a, now, h);
    ak_entry_close(&en);
    return rc;
}

int ak_holder_key(const struct ak_holder *h, unsigned i, struct ak_record *out,
                  const char **why)
{
    return ak_view_key(&h->view, i, out, why);
}

int ak_holder_record_index(const struct ak_holder *h, const char *kid)
{
    unsigned i;
    return ak_view_record_index(&h->view, kid, &i) == AK_OK ? (int)i : -1;
}

bool ak_holder_last_used(const struct ak_holder *h, const char *kid, time_t *t)
{
    return ak_lastuse_latest(h->last_used, h->n_last_used, kid, t);
}
