/* SPDX-License-Identifier: BSD-3-Clause */
/* access_check.h - which attributes the verifier's bind cannot read */
#ifndef AK_CLI_ACCESS_CHECK_H
#define AK_CLI_ACCESS_CHECK_H

#include <stdbool.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"

/*
 * For each attribute the verifier decides from (user name, key ids,
 * records, ends of keys, every lock attribute it judges), under user_base
 * and service_base: find one entry that has it, as the identity of ac (a
 * key admin, who sees everything), and read that entry as the verifier
 * (a connection of verifier, the config's service bind). Prints one line
 * per attribute and base; *problem when the verifier misses one. AK_OK,
 * or the status of a failed search.
 */
int access_check(struct ak_conn *ac, struct ak_dir *verifier,
                 const struct ak_config *cfg, const struct ak_log *log,
                 bool *problem);

#endif
