/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store.h - read and change key records in the directory (CLI, daemon) */
#ifndef AK_STORE_H
#define AK_STORE_H

#include <stdbool.h>
#include <time.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_policy.h"
#include "ak_record.h"

/* An entry that holds (or may hold) keys, as read from the directory. */
struct ak_holder {
    char *dn;
    char *name; /* its user_attr value; NULL if not exactly one */
    bool service_user;
    bool has_holder_class; /* objectClass apiKeyHolder present */
    bool disabled;         /* apiKeyDisabled present and not FALSE */
    unsigned n_records;
    char **records; /* raw apiKeyRecord values, NUL-terminated */
    unsigned n_expires;
    char **expires; /* apiKeyExpires values as read (for exact deletes) */
    unsigned n_last_used;
    char **last_used; /* apiKeyLastUsed values */
    unsigned n_owners;
    char **owners; /* apiKeyOwner DNs (service users) */
};

void ak_holder_free(struct ak_holder *h);

/* The attributes a holder is filled from, NULL-terminated, into attrs. */
#define AK_HOLDER_N_ATTRS 7
void ak_holder_attrs(const struct ak_config *cfg,
                     char *attrs[AK_HOLDER_N_ATTRS + 1]);

/* Fill h from a search entry that carried ak_holder_attrs(). AK_OK or
 * AK_ERR_NOMEM (h is then freed). */
int ak_holder_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                   struct ak_holder *h);

/*
 * Find the user or service user named user (user_attr) under user_base or
 * service_base. AK_OK, AK_ERR_NOT_FOUND, AK_ERR_CONFLICT (several entries
 * answer to the name: refused), AK_ERR_BACKEND.
 */
int ak_store_find_user(struct ak_conn *c, const struct ak_config *cfg,
                       const char *user, const struct ak_log *log,
                       struct ak_holder *out);

/* Find the entry holding key id kid. Same returns as above. */
int ak_store_find_key(struct ak_conn *c, const struct ak_config *cfg,
                      const char *kid, const struct ak_log *log,
                      struct ak_holder *out);

/*
 * Read the entry dn as a holder, if it lies under user_base or service_base
 * and matches user_filter or service_filter. AK_OK, AK_ERR_NOT_FOUND (no
 * such entry, not readable, or not a user/service user), AK_ERR_BACKEND.
 */
int ak_store_read_holder(struct ak_conn *c, const struct ak_config *cfg,
                         const char *dn, const struct ak_log *log,
                         struct ak_holder *out);

/*
 * Read the policy entry (cfg->policy_dn; an empty policy when unset).
 * AK_OK, AK_ERR_NOT_FOUND, AK_ERR_MALFORMED (a bad value: fail closed),
 * AK_ERR_BACKEND.
 */
int ak_store_read_policy(struct ak_conn *c, const struct ak_config *cfg,
                         const struct ak_log *log, struct ak_policy *out);

/*
 * One change to the key records of h, applied as one modify: delete the
 * exact values in del (so a concurrent change of any of them makes the
 * whole modify fail with AK_ERR_CONFLICT and nothing is written), add the
 * values in add and the key ids in add_ids. objectClass apiKeyHolder is
 * added when h lacks it and records are added. apiKeyExpires is brought in
 * step by deleting the exact values no unrevoked record needs any more and
 * adding the missing ones, never by replacing the attribute, so a key added
 * concurrently keeps its expiry. Arrays are NULL-terminated; NULL = none.
 */
struct ak_change {
    const char *const *del;
    const char *const *add;
    const char *const *add_ids;
};

int ak_store_change(struct ak_conn *c, const struct ak_holder *h,
                    const struct ak_change *ch, const struct ak_log *log);

/*
 * Add one record (already formatted) for key id parsed->id to h: the
 * record, its id, its expiry. A change as above.
 */
int ak_store_add_record(struct ak_conn *c, const struct ak_holder *h,
                        const char *record, const struct ak_record *parsed,
                        const struct ak_log *log);

/*
 * Replace record value old by new on h in one modify (delete the exact old
 * value, add the new), so a concurrent change makes it fail with
 * AK_ERR_CONFLICT instead of losing an update.
 */
int ak_store_replace_record(struct ak_conn *c, const struct ak_holder *h,
                            const char *old, const char *new_value,
                            const struct ak_log *log);

/* The raw record of kid on h (NULL when absent or not unique). */
const char *ak_holder_record(const struct ak_holder *h, const char *kid);

/* When kid was last used, as recorded in apiKeyLastUsed. */
bool ak_holder_last_used(const struct ak_holder *h, const char *kid, time_t *t);

#endif
