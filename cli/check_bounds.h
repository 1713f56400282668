/* SPDX-License-Identifier: BSD-3-Clause */
/* check_bounds.h - check-config: does the directory hold the bounds? */
#ifndef AK_CLI_CHECK_BOUNDS_H
#define AK_CLI_CHECK_BOUNDS_H

#include <stdbool.h>

#include "ak_ldap.h"
#include "ak_log.h"

/*
 * Ask the directory, through c, whether it refuses what the bounds forbid
 * (ak_bounds.h): for each bounded attribute one value more than its count
 * and one value a byte over its size, and an oversized value with the relax
 * control (which OpenLDAP before 2.7 lets skip them: a note, not a
 * problem); each change sent to dn, an entry c may not change and whose
 * classes allow none of the values (ak_conn_modify_probe), so nothing is
 * ever written.
 * Prints "ok bounds: ...", a "problem: bounds: ..." line per bound that
 * does not hold, or a "note:" when the server cannot tell (no assertion
 * control). *problem when a bound does not hold. AK_OK or the status of a
 * failed exchange.
 */
int check_bounds(struct ak_conn *c, const char *dn, const struct ak_log *log,
                 bool *problem);

#endif
