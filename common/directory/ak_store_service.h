/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_service.h - service users: read, create, change, remove */
#ifndef AK_STORE_SERVICE_H
#define AK_STORE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <ldap.h>

#include "ak_config.h"
#include "ak_holder.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_policy.h"

/*
 * Service users are accounts for robots that authenticate only with API
 * keys (objectClass apiKeyServiceUser under service_base, named by uid),
 * each with the people responsible for it (apiKeyOwner). The apikey
 * command manages them; the expiry daemon reads them to know whom to tell.
 */
#define AK_SERVICE_NAME_MAX 64
#define AK_SERVICE_OWNERS_MAX 16
#define AK_SERVICE_DISPLAY_MAX 256
#define AK_SERVICE_TEXT_MAX 1024

/* A service user's name: 1-AK_SERVICE_NAME_MAX of A-Z a-z 0-9 . _ -,
 * starting with a letter or digit (it becomes the uid and the user name
 * in PAM and SASL). */
bool ak_service_name_ok(const char *s);

/* Text for cn and description, as a new value: ak_text_shown_ok (at most
 * max bytes of UTF-8, nothing that acts on a terminal). The CLI asks the
 * same function first, for its message. */
bool ak_service_text_ok(const char *s, size_t max);

/* A service user as read: the holder (keys, owners, locks) and the
 * entry's details, each its first value or NULL. */
struct ak_service {
    struct ak_holder h;
    char *display; /* cn */
    char *description;
    char *mail;
};

void ak_service_free(struct ak_service *s);

/* The attribute list of a service user read, NULL-terminated. */
#define AK_SERVICE_N_ATTRS (AK_HOLDER_N_ATTRS + 3)
void ak_service_attrs(const struct ak_config *cfg,
                      char *attrs[AK_SERVICE_N_ATTRS + 1]);

/* Fill s from a search entry that carried ak_service_attrs(), judging the
 * owner's state at now. As ak_holder_fill. */
int ak_service_fill(LDAP *ld, LDAPMessage *e, const struct ak_config *cfg,
                    time_t now, struct ak_service *s);

/* True when s is a service user under service_base (what a listing
 * shows). */
bool ak_service_listed(const struct ak_service *s, const struct ak_config *cfg);

/* Read the entry dn (found by ak_store_find_user) with its details.
 * AK_OK, AK_ERR_NOT_FOUND (gone or not readable), AK_ERR_MALFORMED,
 * AK_ERR_BACKEND. */
int ak_service_read(struct ak_conn *c, const struct ak_config *cfg,
                    const char *dn, const struct ak_log *log,
                    struct ak_service *out);

/* Its keys: all of them, and those valid under pol at now. */
void ak_service_keys(const struct ak_service *s, const struct ak_policy *pol,
                     time_t now, unsigned *total, unsigned *active);

/*
 * Is name free? One name, one entry: PAM and SASL find accounts by name
 * alone. AK_OK (free); AK_ERR_CONFLICT with *taken the DN of the entry
 * that has it (malloc; NULL: several do); or as ak_store_find_user.
 */
int ak_service_name_free(struct ak_conn *c, const struct ak_config *cfg,
                         const char *name, const struct ak_log *log,
                         char **taken);

/* A new service user. owners: DNs of people, NULL-terminated, at least
 * one. display NULL: the name; description, mail NULL or "": none. */
struct ak_service_new {
    const char *name;
    const char *display;
    const char *description;
    const char *mail;
    const char *const *owners;
};

/*
 * Add it as uid=NAME under service_base, with objectClass
 * apiKeyServiceUser and apiKeyHolder (and user_attr when it is not uid).
 * *dn gets its DN (malloc) whenever one could be made, for messages.
 * AK_OK, AK_ERR_INVALID (a bad name or value, no owner), or as
 * ak_manage_add.
 */
int ak_service_create(struct ak_conn *c, const struct ak_config *cfg,
                      const struct ak_service_new *n, const struct ak_log *log,
                      char **dn);

/* A change: each field not NULL replaces its attribute; an empty
 * description or mail removes it; owners replaces the people responsible
 * (NULL-terminated, at least one). */
struct ak_service_change {
    const char *display;
    const char *description;
    const char *mail;
    const char *const *owners;
};

/* Apply ch to the service user dn as one modify. AK_OK, AK_ERR_INVALID
 * (nothing to change, a bad value), or as ak_conn_modify. */
int ak_service_change(struct ak_conn *c, const char *dn,
                      const struct ak_service_change *ch,
                      const struct ak_log *log);

/* The people responsible for dn are owners (NULL-terminated). */
int ak_service_set_owners(struct ak_conn *c, const char *dn,
                          const char *const *owners, const struct ak_log *log);

/* Stop every key of dn at once (apiKeyDisabled TRUE), or let them work
 * again (the attribute removed). As ak_conn_modify. */
int ak_service_set_disabled(struct ak_conn *c, const char *dn, bool disabled,
                            const struct ak_log *log);

/* Remove the service user dn and its keys. As ak_manage_delete. */
int ak_service_delete(struct ak_conn *c, const char *dn,
                      const struct ak_log *log);

#endif
