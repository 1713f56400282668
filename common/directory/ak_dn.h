/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_dn.h - DN comparison with libldap's parser (never string suffixes) */
#ifndef AK_DN_H
#define AK_DN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * DNs are compared RDN by RDN after libldap parses them (RFC 4514):
 * attribute types and values ASCII case-insensitively, which is right for
 * the naming attributes of user trees (uid, cn, ou, dc, o). Escaped commas
 * and spacing variants therefore cannot fool a suffix test.
 */

/* A DN parsed once, for repeated comparisons (config bases, policy DN). */
struct ak_dn;

/* Parse s. AK_OK and *out (free with ak_dn_free), or AK_ERR_MALFORMED. */
int ak_dn_parse(const char *s, struct ak_dn **out);
void ak_dn_free(struct ak_dn *dn);

/* As ak_dn_equal / ak_dn_is_under, on parsed DNs (NULL: false). */
bool ak_dnp_equal(const struct ak_dn *a, const struct ak_dn *b);
bool ak_dnp_is_under(const struct ak_dn *dn, const struct ak_dn *base);

/*
 * Fast textual tests on a DN as the server sent it (dn[0..len)), for the
 * common case where it is spelled exactly like the configured DN (ASCII
 * case aside). They only ever answer "certainly yes": false means "parse
 * and compare" (ak_dnp_*), never "no".
 */
bool ak_dn_text_equal(const char *dn, size_t len, const char *conf);
bool ak_dn_text_under(const char *dn, size_t len, const char *base);

/* True when dn is a syntactically valid LDAPv3 DN (the empty DN is not). */
bool ak_dn_valid(const char *dn);

/* True when both parse and name the same entry. */
bool ak_dn_equal(const char *a, const char *b);

/* True when dn equals base or lies below it. False if either is invalid. */
bool ak_dn_is_under(const char *dn, const char *base);

/*
 * The deepest DN that is an ancestor-or-self of both a and b, in LDAPv3
 * string form, in *out (malloc). AK_OK, AK_ERR_NOT_FOUND when they share
 * no suffix, AK_ERR_MALFORMED or AK_ERR_NOMEM.
 */
int ak_dn_common_ancestor(const char *a, const char *b, char **out);

#endif
