/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_holder.h - the one reader of key-holder entries (verifier, CLI, daemon) */
#ifndef AK_HOLDER_H
#define AK_HOLDER_H

#include <stdbool.h>
#include <time.h>

#include <ldap.h>

#include "ak_config.h"
#include "ak_entry.h"
#include "ak_owner.h"
#include "ak_record.h"
#include "ak_view.h"

/*
 * Everything that reads a person's or service user's entry asks for its
 * attributes through one list built here and reads the answer through
 * ak_entry (one slot per attribute asked for, subtypes noted, an attribute
 * returned twice refused) into an ak_holder_view, so the verifier, the
 * apikey command and the expiry daemon apply the same rules: which values
 * count, when the owner is locked, which record a key id names.
 */
enum ak_holder_field {
    AK_HF_NAME,           /* user_attr */
    AK_HF_OC,             /* objectClass */
    AK_HF_ID,             /* apiKeyId */
    AK_HF_RECORD,         /* apiKeyRecord */
    AK_HF_REVOKED,        /* apiKeyRevoked */
    AK_HF_EXPIRES,        /* apiKeyExpires (AK_READ_MANAGE) */
    AK_HF_OWNER,          /* apiKeyOwner (AK_READ_MANAGE) */
    AK_HF_REQUIRE_EXPIRY, /* the policy entry's (AK_READ_POLICY) */
    AK_HF_MAX_LIFETIME,
    AK_HF_NOTICE_DAYS,
    AK_HF_LAST_USED, /* apiKeyLastUsed (AK_READ_MANAGE, AK_READ_LAST_USE) */
    AK_HF_NOTICE,    /* apiKeyNotice (AK_READ_NOTICE, AK_READ_MANAGE) */
    AK_HF_MAIL,      /* mail (AK_READ_NOTICE) */
    AK_HF_LOCKS,     /* the owner-state attributes, AK_OWNER_N_ATTRS */
    AK_HF_N = AK_HF_LOCKS + AK_OWNER_N_ATTRS
};

_Static_assert(AK_HF_N + 3 <= AK_ENTRY_ATTRS_MAX,
               "every field, and a few of the caller's, fit the entry reader");

/* What a reader needs besides names, records, revocations and locks. */
enum {
    AK_READ_MANAGE = 1 << 0,   /* expiries, responsible people, last use,
                                  notices */
    AK_READ_POLICY = 1 << 1,   /* the policy entry is in the same answer */
    AK_READ_LAST_USE = 1 << 2, /* apiKeyLastUsed (the verifier, tracking) */
    AK_READ_NOTICE = 1 << 3,   /* apiKeyNotice and mail (the daemon) */
};

/* The search's attribute list and where each field landed in it. */
struct ak_holder_attrs {
    char *list[AK_HF_N + 1]; /* NULL-terminated, for the search */
    int slot[AK_HF_N];       /* index in list, -1 when not asked for */
    unsigned n_locks;        /* owner-state attributes that apply */
};

void ak_holder_attrs_init(struct ak_holder_attrs *a,
                          const struct ak_config *cfg, unsigned what);

/* The view of an entry read with a->list. Values point into en. */
void ak_holder_view_of(struct ak_entry *en, const struct ak_holder_attrs *a,
                       struct ak_holder_view *v);
void ak_policy_view_of(const struct ak_entry *en,
                       const struct ak_holder_attrs *a,
                       struct ak_policy_view *pv);

/* The values of field f (empty when not asked for). */
const struct ak_values *ak_holder_field(const struct ak_entry *en,
                                        const struct ak_holder_attrs *a,
                                        enum ak_holder_field f);

/* True when the entry lies under user_base or service_base. An entry
 * whose DN does not parse is not. */
bool ak_holder_in_bases(struct ak_entry *en, const struct ak_config *cfg);
bool ak_holder_dn_in_bases(const struct ak_config *cfg, const char *dn);

/*
 * An entry that holds (or may hold) keys, copied out of the search result
 * for the management tools (AK_READ_MANAGE). The char ** arrays are
 * NUL-terminated copies; view holds the same values for the pure core.
 */
struct ak_holder {
    char *dn;
    char *name; /* its single valid user_attr value; NULL otherwise */
    bool service_user;
    bool has_holder_class; /* objectClass apiKeyHolder present */
    bool disabled;         /* apiKeyDisabled set: the admin's switch */
    const char *locked;    /* why the owner is locked when read, or NULL */
    unsigned n_records;
    char **records; /* raw apiKeyRecord values */
    unsigned n_revoked;
    char **revoked; /* raw apiKeyRevoked values (ends of keys) */
    unsigned n_expires;
    char **expires; /* apiKeyExpires values as read (for exact deletes) */
    unsigned n_last_used;
    char **last_used; /* apiKeyLastUsed values */
    unsigned n_owners;
    char **owners; /* apiKeyOwner DNs (service users) */
    unsigned n_notices;
    char **notices; /* apiKeyNotice values (which notices went out) */
    unsigned n_mail;
    char **mail; /* mail values (AK_READ_NOTICE) */
    struct ak_holder_view view;
    struct ak_bytes *bytes[AK_HF_N]; /* owned arrays behind view */
    char **strs[AK_HF_N];            /* owned copies behind both */
    unsigned n_strs[AK_HF_N];
};

void ak_holder_free(struct ak_holder *h);

/* The attribute list of a management read, NULL-terminated; returns how
 * many there are (a caller may append its own after them). */
#define AK_HOLDER_N_ATTRS AK_HF_N
unsigned ak_holder_attrs(const struct ak_config *cfg,
                         char *attrs[AK_HOLDER_N_ATTRS + 1]);

/* Fill h from a search entry that carried ak_holder_attrs(), judging the
 * owner's state at now. AK_OK, AK_ERR_MALFORMED (the entry cannot be read
 * whole: judge nothing), AK_ERR_NOMEM; h is empty on failure. */
int ak_holder_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                   time_t now, struct ak_holder *h);

/* The same from an entry already open with a's list. */
int ak_holder_copy(struct ak_entry *en, const struct ak_holder_attrs *a,
                   time_t now, struct ak_holder *h);

/* The key of record i, as the verifier judges it (ak_view_key). */
int ak_holder_key(const struct ak_holder *h, unsigned i, struct ak_record *out,
                  const char **why);

/* The index of kid's record on h, or -1 when absent or not unique. */
int ak_holder_record_index(const struct ak_holder *h, const char *kid);

/* When kid was last used, as recorded in apiKeyLastUsed. */
bool ak_holder_last_used(const struct ak_holder *h, const char *kid, time_t *t);

#endif
