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
    unsigned n_records;
    char **records; /* raw apiKeyRecord values, NUL-terminated */
};

void ak_holder_free(struct ak_holder *h);

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
 * Read the policy entry (cfg->policy_dn; an empty policy when unset).
 * AK_OK, AK_ERR_NOT_FOUND, AK_ERR_MALFORMED (a bad value: fail closed),
 * AK_ERR_BACKEND.
 */
int ak_store_read_policy(struct ak_conn *c, const struct ak_config *cfg,
                         const struct ak_log *log, struct ak_policy *out);

/*
 * Add one record (already formatted) for key id kid to h, in one modify:
 * objectClass apiKeyHolder if missing, the apiKeyRecord value, the apiKeyId
 * value, and the expiry in apiKeyExpires when not there yet.
 */
int ak_store_add_record(struct ak_conn *c, const struct ak_holder *h,
                        const char *record, const struct ak_record *parsed,
                        const struct ak_log *log);

/*
 * Replace record value old by new on h in one modify (delete the exact old
 * value, add the new), so a concurrent change makes it fail with
 * AK_ERR_CONFLICT instead of losing an update. apiKeyExpires is rewritten
 * to the expiries of the entry's unrevoked records afterwards.
 */
int ak_store_replace_record(struct ak_conn *c, const struct ak_holder *h,
                            const char *old, const char *new_value,
                            const struct ak_log *log);

/* The raw record of kid on h (NULL when absent or not unique). */
const char *ak_holder_record(const struct ak_holder *h, const char *kid);

#endif
