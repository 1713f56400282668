/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_service.c - service users' entries in the directory */
#include "ak_store_service.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ak_dn.h"
#include "ak_mail.h"
#include "ak_manage.h"
#include "ak_schema.h"
#include "ak_status.h"
#include "ak_store.h"
#include "ak_text.h"

bool ak_service_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AK_SERVICE_NAME_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return false;
    return true;
}

bool ak_service_text_ok(const char *s, size_t max)
{
    return ak_text_shown_ok(s, strlen(s), max, NULL, 0);
}

void ak_service_free(struct ak_service *s)
{
    ak_holder_free(&s->h);
    free(s->display);
    free(s->description);
    free(s->mail);
    memset(s, 0, sizeof(*s));
}

void ak_service_attrs(const struct ak_config *cfg,
                      char *attrs[AK_SERVICE_N_ATTRS + 1])
{
    unsigned n = ak_holder_attrs(cfg, attrs);
    attrs[n++] = AK_LDAP_STR("cn");
    attrs[n++] = AK_LDAP_STR("description");
    attrs[n++] = AK_LDAP_STR("mail");
    attrs[n] = NULL;
}

/* The first value of attr (a copy), or NULL. */
static char *first_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
    struct berval **v = ldap_get_values_len(ld, e, attr);
    char *s = ldap_count_values_len(v) > 0 ? strndup(v[0]->bv_val, v[0]->bv_len)
                                           : NULL;
    ldap_value_free_len(v);
    return s;
}

int ak_service_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                    time_t now, struct ak_service *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    rc = ak_holder_fill(ld, e, cfg, now, &s->h);
    if (rc != AK_OK)
        return rc;
    s->display = first_value(ld, e, "cn");
    s->description = first_value(ld, e, "description");
    s->mail = first_value(ld, e, "mail");
    return AK_OK;
}

bool ak_service_listed(const struct ak_service *s, const struct ak_config *cfg)
{
    return s->h.service_user && ak_dn_is_under(s->h.dn, cfg->service_base);
}

int ak_service_read(struct ak_conn *c, const struct ak_config *cfg,
                    const char *dn, const struct ak_log *log,
                    struct ak_service *out)
{
    char *attrs[AK_SERVICE_N_ATTRS + 1];
    LDAPMessage *res = NULL, *e;
    int rc;

    memset(out, 0, sizeof(*out));
    ak_service_attrs(cfg, attrs);
    rc = ak_conn_search(c, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1,
                        log, &res);
    if (rc != AK_OK)
        return rc;
    e = ldap_first_entry(ak_conn_ld(c), res);
    rc = e == NULL ? AK_ERR_NOT_FOUND
                   : ak_service_fill(ak_conn_ld(c), e, cfg, time(NULL), out);
    ldap_msgfree(res);
    return rc;
}

void ak_service_keys(const struct ak_service *s, const struct ak_policy *pol,
                     time_t now, unsigned *total, unsigned *active)
{
    *total = *active = 0;
    for (unsigned i = 0; i < s->h.n_records; i++) {
        struct ak_record r;
        (*total)++;
        if (ak_holder_key(&s->h, i, &r, NULL) == AK_OK &&
            ak_policy_judge(pol, &r, now, NULL, NULL) == AK_KEY_VALID)
            (*active)++;
    }
}

int ak_service_name_free(struct ak_conn *c, const struct ak_config *cfg,
                         const char *name, const struct ak_log *log,
                         char **taken)
{
    struct ak_holder other = {0};
    int rc = ak_store_find_user(c, cfg, name, log, &other);

    *taken = NULL;
    if (rc == AK_OK) {
        *taken = other.dn;
        other.dn = NULL;
        rc = AK_ERR_CONFLICT;
    } else if (rc == AK_ERR_NOT_FOUND) {
        rc = AK_OK;
    }
    ak_holder_free(&other);
    return rc;
}

/* One to AK_SERVICE_OWNERS_MAX people. */
static bool owners_ok(const char *const *owners)
{
    unsigned n = 0;

    while (owners != NULL && owners[n] != NULL && n <= AK_SERVICE_OWNERS_MAX)
        n++;
    return n > 0 && n <= AK_SERVICE_OWNERS_MAX;
}

/* The values a new or changed service user may take. */
static bool details_ok(const char *display, const char *description,
                       const char *mail)
{
    return (display == NULL ||
            (display[0] != '\0' &&
             ak_service_text_ok(display, AK_SERVICE_DISPLAY_MAX))) &&
           (description == NULL ||
            ak_service_text_ok(description, AK_SERVICE_TEXT_MAX)) &&
           (mail == NULL || mail[0] == '\0' || ak_mail_ok(mail));
}

static bool new_ok(const struct ak_service_new *n)
{
    return ak_service_name_ok(n->name) && owners_ok(n->owners) &&
           details_ok(n->display, n->description, n->mail);
}

/* The entry of a new service user, with the values its mods point to. */
struct new_entry {
    char *oc[3], *uid[2], *cn[2], *desc[2], *mail[2];
    LDAPMod m_oc, m_uid, m_attr, m_cn, m_desc, m_mail, m_own;
    LDAPMod *mods[8];
};

#define AK_STR_V(s) ((char *)(uintptr_t)(s))

static void new_entry_build(const struct ak_config *cfg,
                            const struct ak_service_new *n, struct new_entry *e)
{
    size_t k = 0;

    memset(e, 0, sizeof(*e));
    e->oc[0] = AK_LDAP_STR(AK_OC_SERVICE_USER);
    e->oc[1] = AK_LDAP_STR(AK_OC_HOLDER);
    e->uid[0] = AK_STR_V(n->name);
    e->cn[0] = AK_STR_V(n->display ? n->display : n->name);
    e->desc[0] = AK_STR_V(n->description);
    e->mail[0] = AK_STR_V(n->mail);
    e->m_oc = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("objectClass"), {e->oc}};
    e->m_uid = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("uid"), {e->uid}};
    e->m_attr = (LDAPMod){LDAP_MOD_ADD, cfg->user_attr, {e->uid}};
    e->m_cn = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("cn"), {e->cn}};
    e->m_desc = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("description"), {e->desc}};
    e->m_mail = (LDAPMod){LDAP_MOD_ADD, AK_LDAP_STR("mail"), {e->mail}};
    e->m_own = (LDAPMod){LDAP_MOD_ADD,
                         AK_LDAP_STR(AK_AT_OWNER),
                         {(char **)(uintptr_t)n->owners}};
    e->mods[k++] = &e->m_oc;
    e->mods[k++] = &e->m_uid;
    if (strcasecmp(cfg->user_attr, "uid") != 0)
        e->mods[k++] = &e->m_attr;
    e->mods[k++] = &e->m_cn;
    if (n->description != NULL && n->description[0] != '\0')
        e->mods[k++] = &e->m_desc;
    if (n->mail != NULL && n->mail[0] != '\0')
        e->mods[k++] = &e->m_mail;
    e->mods[k++] = &e->m_own;
    e->mods[k] = NULL;
}

int ak_service_create(struct ak_conn *c, const struct ak_config *cfg,
                      const struct ak_service_new *n, const struct ak_log *log,
                      char **dn)
{
    struct new_entry e;
    int rc;

    *dn = NULL;
    if (!new_ok(n))
        return AK_ERR_INVALID;
    rc = ak_manage_child_dn("uid", n->name, cfg->service_base, dn);
    if (rc != AK_OK)
        return rc;
    new_entry_build(cfg, n, &e);
    return ak_manage_add(c, *dn, e.mods, log);
}

int ak_service_change(struct ak_conn *c, const char *dn,
                      const struct ak_service_change *ch,
                      const struct ak_log *log)
{
    char *cn[] = {AK_STR_V(ch->display), NULL};
    char *desc[] = {AK_STR_V(ch->description), NULL};
    char *mail[] = {AK_STR_V(ch->mail), NULL};
    LDAPMod m_cn = {LDAP_MOD_REPLACE, AK_LDAP_STR("cn"), {cn}};
    LDAPMod m_desc = {LDAP_MOD_REPLACE,
                      AK_LDAP_STR("description"),
                      {ch->description && *ch->description ? desc : NULL}};
    LDAPMod m_mail = {LDAP_MOD_REPLACE,
                      AK_LDAP_STR("mail"),
                      {ch->mail && *ch->mail ? mail : NULL}};
    LDAPMod m_own = {LDAP_MOD_REPLACE,
                     AK_LDAP_STR(AK_AT_OWNER),
                     {(char **)(uintptr_t)ch->owners}};
    LDAPMod *mods[5];
    size_t n = 0;

    if (!details_ok(ch->display, ch->description, ch->mail) ||
        (ch->owners != NULL && !owners_ok(ch->owners)))
        return AK_ERR_INVALID;
    if (ch->display)
        mods[n++] = &m_cn;
    if (ch->description)
        mods[n++] = &m_desc;
    if (ch->mail)
        mods[n++] = &m_mail;
    if (ch->owners)
        mods[n++] = &m_own;
    mods[n] = NULL;
    return n == 0 ? AK_ERR_INVALID : ak_conn_modify(c, dn, mods, log);
}

int ak_service_set_owners(struct ak_conn *c, const char *dn,
                          const char *const *owners, const struct ak_log *log)
{
    struct ak_service_change ch = {.owners = owners};
    return ak_service_change(c, dn, &ch, log);
}

int ak_service_set_disabled(struct ak_conn *c, const char *dn, bool disabled,
                            const struct ak_log *log)
{
    char *t[] = {AK_LDAP_STR("TRUE"), NULL};
    LDAPMod m = {
        LDAP_MOD_REPLACE, AK_LDAP_STR(AK_AT_DISABLED), {disabled ? t : NULL}};
    LDAPMod *mods[] = {&m, NULL};

    return ak_conn_modify(c, dn, mods, log);
}

int ak_service_delete(struct ak_conn *c, const char *dn,
                      const struct ak_log *log)
{
    return ak_manage_delete(c, dn, log);
}
