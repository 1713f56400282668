/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_scan.h - a search over many entries that one unreadable entry cannot
 * stop: the entry is named and set aside, the others are read */
#ifndef AK_SCAN_H
#define AK_SCAN_H

#include <stddef.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_manage.h"

/*
 * A subtree search ends at the first entry larger than the client accepts
 * (AK_MAX_INCOMING, ak_sock.h): liblber cannot skip one message, the
 * connection is lost, and the entries after it are never seen. Anyone who
 * may write her own entry past that size (the relax control skips
 * slapo-constraint before slapd 2.7; admins write anything) would stop
 * every reader of all holders: the expiry daemon, apikey list --all.
 *
 * ak_scan_run is ak_manage_search (paged, each entry to fn as it comes)
 * plus a remembered 8-byte hash of each entry's DN. When the search fails
 * with AK_ERR_TOO_BIG, which cannot say which entry it was, it lists the
 * DNs of the entries (attributes "1.1": small, whatever the entries hold)
 * on another connection, and reads each one not yet seen alone: the one
 * that is too big alone is handed to aside, named, and every other goes to
 * fn. So the common case is one search, as before; the rare one costs one
 * small search and one read per entry left, linear in the directory.
 */
struct ak_scan {
    const struct ak_config *cfg;
    const char *base;
    int scope;
    const char *filter;
    char **attrs;
    unsigned page_size; /* 0: ak_manage_search's default */
    /* Each entry read, as ak_manage_search's fn: non-zero stops the scan. */
    ak_manage_entry_fn entry;
    /* An entry that cannot be read: its DN and why (AK_ERR_TOO_BIG; say
     * it with ak_strerror). The scan goes on. */
    void (*aside)(void *ctx, const char *dn, int why);
    /* Give back *c (it failed: the pool closes it) and take another, bound
     * as *c was. AK_OK, or an error: *c is then NULL and the scan ends
     * with the error. */
    int (*reconnect)(void *ctx, struct ak_conn **c);
    void *ctx;
};

/*
 * Run the scan on *c, which it may replace through s->reconnect (the
 * caller gives back whatever *c is after, unless NULL). AK_OK when every
 * entry was read but those handed to aside; else the first error: fn's
 * own, the directory's (AK_ERR_BACKEND, AK_ERR_DENIED for a size limit,
 * ...), AK_ERR_NOMEM.
 */
int ak_scan_run(const struct ak_scan *s, struct ak_conn **c,
                const struct ak_log *log);

#endif
