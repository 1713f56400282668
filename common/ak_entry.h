/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_entry.h - read a search entry once: its DN and every attribute */
#ifndef AK_ENTRY_H
#define AK_ENTRY_H

#include <stdbool.h>

#include <ldap.h>

#include "ak_dn.h"

/*
 * ldap_get_values_len() rescans the entry for every attribute asked for;
 * the verifier reads about a dozen, so it reads each entry once here. The
 * values point into the search result: an ak_entry lives no longer than the
 * LDAPMessage it was opened on.
 */
#define AK_ENTRY_ATTRS_MAX 32

struct ak_entry {
    struct berval dn;     /* points into the message */
    struct ak_dn *parsed; /* parsed on demand (ak_entry_dnp) */
    bool parse_failed;
    unsigned n;
    struct {
        struct berval name;
        BerVarray vals; /* terminated by bv_val == NULL; may be NULL */
    } attr[AK_ENTRY_ATTRS_MAX];
    BerElement *ber;
};

/* AK_OK, AK_ERR_MALFORMED (an entry we cannot read), AK_ERR_NOMEM.
 * Attributes past AK_ENTRY_ATTRS_MAX are ignored (we request fewer). */
int ak_entry_open(LDAP *ld, LDAPMessage *e, struct ak_entry *out);
void ak_entry_close(struct ak_entry *en);

/* Values of attr (case-insensitive type), or NULL. */
BerVarray ak_entry_get(const struct ak_entry *en, const char *attr);

/* Number of values of attr. */
unsigned ak_entry_count(const struct ak_entry *en, const char *attr);

/* True when attr has a value equal to want (nocase: ASCII case-insensitive). */
bool ak_entry_has(const struct ak_entry *en, const char *attr, const char *want,
                  bool nocase);

/* The parsed DN, parsed at the first call; NULL if it does not parse. */
const struct ak_dn *ak_entry_dnp(struct ak_entry *en);

/* The DN as a NUL-terminated copy (malloc), or NULL. */
char *ak_entry_dn(const struct ak_entry *en);

#endif
