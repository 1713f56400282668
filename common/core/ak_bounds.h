/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_bounds.h - how many values of each attribute a non-admin may write to
 * one entry, and how large (the table of scripts/gen-acl.py) */
#ifndef AK_BOUNDS_H
#define AK_BOUNDS_H

#include <stddef.h>

/*
 * The directory enforces these (slapo-constraint count and size, loaded by
 * `apikey setup-directory`; packaging/ldap/apikey-bounds.ldif): a person
 * who adds values to her own entry with ldapmodify gets constraintViolation
 * beyond them, so her entry stays small for every reader and her writes
 * stay cheap for slapd. scripts/gen-acl.py holds the one table, next to
 * the access rules it bounds; the build embeds it here, so the CLI's
 * messages and check-config's probes cannot drift from what
 * setup-directory loads.
 */
struct ak_bound {
    const char *attr; /* attribute name as in the schema */
    unsigned count;   /* values one entry may hold */
    unsigned size;    /* bytes one value may hold */
};

/* The table, *n entries. Never NULL. */
const struct ak_bound *ak_bounds_all(size_t *n);

/* The bound of attr (case-insensitive, as LDAP names are), or NULL. */
const struct ak_bound *ak_bound_find(const char *attr);

/* Key records one holder may hold (the count bound of apiKeyRecord). */
unsigned ak_bounds_keys(void);

#endif
