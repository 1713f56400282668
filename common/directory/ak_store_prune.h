/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_store_prune.h - the housekeeping of ended keys as one modify of the
 * holder's entry */
#ifndef AK_STORE_PRUNE_H
#define AK_STORE_PRUNE_H

#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_prune.h"
#include "ak_view.h"

/*
 * Delete from entry dn the values plan p chose, in one modify: from each
 * attribute of enum ak_prune_attr, the values vals[a]->v[p->del[a][i]]
 * exactly as read (vals[a] may be NULL when p deletes none of it), under
 * an RFC 4528 assertion that every revocation the plan relied on
 * (vals[AK_PRUNE_END]->v[p->assert_ends[i]]) is still there, so that an
 * admin who takes one back at the same moment wins. Sent to a writable
 * server, never with the permissive-modify control: a value already gone
 * fails the whole change.
 *
 * AK_OK (also when p deletes nothing: nothing is sent); AK_ERR_CONFLICT
 * when the entry changed meanwhile (a value gone, a revocation taken back)
 * and nothing was written; AK_ERR_DENIED when the access rules refuse (a
 * directory without the rules that let the daemon delete key values:
 * packaging/ldap/apikey-acl.ldif, rules {2} and {3}); otherwise as
 * ak_conn_modify_if. The server's words go to log (a refusal too: a
 * caller that says it better passes a log that holds them back).
 */
int ak_store_prune(struct ak_conn *c, const char *dn,
                   const struct ak_values *const vals[AK_PRUNE_N],
                   const struct ak_prune *p, const struct ak_log *log);

#endif
