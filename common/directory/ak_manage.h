/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_manage.h - directory operations of the management tools (not logins) */
#ifndef AK_MANAGE_H
#define AK_MANAGE_H

#include <stdbool.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"

/*
 * What the apikey command (and later the expiry daemon) needs beyond
 * ak_ldap.h's search and modify: who we are bound as, adding and deleting
 * whole entries, and reading many entries page by page. These use
 * libldap's synchronous calls, bounded by the connection's LDAP_OPT_TIMEOUT
 * (the config's timeout). Never used on the login path.
 */

/*
 * RFC 4532 "Who am I?": the authorization identity of the connection.
 * *dn gets the DN (malloc) for a "dn:" identity, "" when anonymous; any
 * other form (e.g. "u:name", no DN mapping) gives AK_ERR_NOT_FOUND with
 * *raw (malloc, may be NULL) holding the identity for messages.
 */
int ak_manage_whoami(struct ak_conn *c, const struct ak_log *log, char **dn,
                     char **raw);

/* Add the entry dn with attrs (LDAPMod with LDAP_MOD_ADD values). */
int ak_manage_add(struct ak_conn *c, const char *dn, LDAPMod **attrs,
                  const struct ak_log *log);

/* Delete the leaf entry dn. */
int ak_manage_delete(struct ak_conn *c, const char *dn,
                     const struct ak_log *log);

/*
 * Search with the RFC 2696 paged-results control (pages of page_size
 * entries; 0: 500), calling fn for each entry as it arrives (while the
 * server sends the rest of the page); a non-zero return from fn abandons
 * the search and is returned. Each page gets at most the config's timeout
 * in all (like the synchronous calls). A server that ignores the control
 * answers in one go. AK_OK, or the mapped error (a size or time limit is
 * AK_ERR_DENIED: the bound identity needs olcLimits).
 */
typedef int (*ak_manage_entry_fn)(void *ctx, LDAP *ld, LDAPMessage *e);

int ak_manage_search(struct ak_conn *c, const struct ak_config *cfg,
                     const char *base, int scope, const char *filter,
                     char **attrs, unsigned page_size, ak_manage_entry_fn fn,
                     void *ctx, const struct ak_log *log);

/*
 * The DN "<attr>=<value>,<parent>" with value escaped per RFC 4514 by
 * libldap (ldap_rdn2str), never by hand. *out (malloc). AK_OK,
 * AK_ERR_INVALID (empty value), AK_ERR_NOMEM.
 */
int ak_manage_child_dn(const char *attr, const char *value, const char *parent,
                       char **out);

#endif
