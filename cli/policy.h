/* SPDX-License-Identifier: BSD-3-Clause */
/* policy.h - what apikey policy show and set share */
#ifndef AK_CLI_POLICY_H
#define AK_CLI_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "ak_store_policy.h"
#include "cli.h"

void policy_usage(FILE *f);

/* The policy entry, with clear messages: EXIT_OK; EXIT_CONFIG (no
 * policy_dn, or a bad value: pe is filled all the same, for set to
 * repair); EXIT_NOT_FOUND; ... */
int policy_read(struct cli *cli, struct ak_policy_entry *pe);

/* Print the policy as a table or JSON. */
void policy_print(const struct cli *cli, const struct ak_policy_entry *pe,
                  bool json);

/* apikey policy set (policy_set.c). */
int policy_set(struct cli *cli, int argc, char **argv);

#endif
