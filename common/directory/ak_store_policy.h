/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_policy.h - read and change the policy entry (CLI, daemon) */
#ifndef AK_STORE_POLICY_H
#define AK_STORE_POLICY_H

#include <stdbool.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_mail.h"
#include "ak_policy.h"

/*
 * The policy entry (cfg->policy_dn) is read one way, through the holder
 * reader's attribute list (ak_holder_attrs_init with AK_READ_POLICY) and
 * ak_policy_from_view: the verifier, apikey and the expiry daemon apply
 * the same values.
 */

/*
 * The policy as the verifier applies it (an empty policy when policy_dn
 * is unset): the entry must carry objectClass apiKeyPolicy. AK_OK,
 * AK_ERR_NOT_FOUND, AK_ERR_MALFORMED (a bad value: fail closed),
 * AK_ERR_BACKEND; each failure is logged.
 */
int ak_store_read_policy(struct ak_conn *c, const struct ak_config *cfg,
                         const struct ak_log *log, struct ak_policy *out);

/* The policy entry with what managing it needs. */
struct ak_policy_entry {
    struct ak_policy p;
    bool has_class; /* objectClass apiKeyPolicy present */
    unsigned n_recipients;
    char **recipients; /* apiKeyNoticeRecipient values, copies */
};

void ak_policy_entry_free(struct ak_policy_entry *pe);

/*
 * Read the policy entry whatever its object classes (to show it, or to
 * repair it). AK_OK; AK_ERR_CONFIG (no policy_dn); AK_ERR_NOT_FOUND (no
 * such entry, or not readable); AK_ERR_MALFORMED with *bad_attr naming an
 * attribute with a bad value, the rest of out filled (the class and the
 * recipients: a bad value is what a change repairs), or *bad_attr NULL
 * when the entry cannot be read whole (logged); AK_ERR_NOMEM,
 * AK_ERR_BACKEND. The caller words the messages.
 */
int ak_store_read_policy_entry(struct ak_conn *c, const struct ak_config *cfg,
                               const struct ak_log *log,
                               struct ak_policy_entry *out,
                               const char **bad_attr);

/* Which attributes a change sets. */
enum {
    AK_POLICY_SET_REQUIRE_EXPIRY = 1 << 0,
    AK_POLICY_SET_MAX_LIFETIME = 1 << 1,
    AK_POLICY_SET_NOTICE_DAYS = 1 << 2,
    AK_POLICY_SET_RECIPIENTS = 1 << 3,
};

/*
 * A change of the policy entry: each attribute in what is replaced by
 * p's value (max_lifetime_days 0, no notice days, no recipients: the
 * attribute is removed). add_class: the entry lacks objectClass
 * apiKeyPolicy (ak_policy_entry.has_class), which is added.
 */
struct ak_policy_change {
    unsigned what;
    struct ak_policy p;
    const struct ak_mail_list *recipients; /* NULL: none */
    bool add_class;
};

/* Apply ch to cfg->policy_dn as one modify. AK_OK, AK_ERR_INVALID (an
 * empty change, a value out of range), or as ak_conn_modify. */
int ak_store_change_policy(struct ak_conn *c, const struct ak_config *cfg,
                           const struct ak_policy_change *ch,
                           const struct ak_log *log);

#endif
