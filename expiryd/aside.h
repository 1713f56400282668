/* SPDX-License-Identifier: BSD-3-Clause */
/* aside.h - holder entries the daemon cannot read: each named once a run,
 * counted for --status, left out of the syncrepl session */
#ifndef EX_ASIDE_H
#define EX_ASIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "ak_log.h"

/*
 * An entry larger than the client accepts (or one that cannot be read
 * whole) costs only its holder: her keys get no notices while it is so,
 * every other holder's do. The admins are told once per entry per run (a
 * warning naming the DN and why; --status counts them), not every pass.
 * Kept sorted by DN as the server sends it.
 */
struct ex_aside {
    struct ex_aside_entry {
        char *dn;
        char *why;
        char *uuid; /* its entryUUID once looked up (syncrepl), or NULL */
    } * v;
    size_t n, cap;
    unsigned changes; /* moves whenever an entry comes or goes */
    bool went;        /* an entry left since ex_aside_went() last asked */
};

/* dn could not be read (why: what the admins read). The first time in
 * this run: logged as a warning and kept; true then. AK_ERR_NOMEM is not
 * reported: the entry is logged every time instead. */
bool ex_aside_add(struct ex_aside *a, const char *dn, const char *why,
                  const struct ak_log *log);

/* dn was read whole: when it had been set aside, it is no longer (logged). */
void ex_aside_readable(struct ex_aside *a, const char *dn,
                       const struct ak_log *log);

/* Whether an entry left the set since the last call (then a syncrepl
 * session must start from nothing: what it skipped is not in its index). */
bool ex_aside_went(struct ex_aside *a);

/*
 * filter without the entries set aside whose uuid is known, for the
 * syncrepl session: "(&filter(!(entryUUID=u))...)", or filter itself.
 * syncprov tests it on each change it sends. By entryUUID, which the
 * daemon's access rules let it search (syncrepl and on_due use it); not
 * by entryDN, which they do not: a filter on it would be Undefined, and
 * the session would get no entry at all. *out (malloc). AK_OK or
 * AK_ERR_NOMEM.
 */
int ex_aside_filter(const struct ex_aside *a, const char *filter, char **out);

void ex_aside_free(struct ex_aside *a);

#endif
