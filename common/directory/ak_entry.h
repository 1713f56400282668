/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_entry.h - read a search entry once: its DN and the attributes asked for */
#ifndef AK_ENTRY_H
#define AK_ENTRY_H

#include <stdbool.h>

#include <ldap.h>

#include "ak_dn.h"
#include "ak_view.h"

/*
 * ldap_get_values_len() rescans the entry for every attribute asked for;
 * the verifier reads about a dozen, so it reads each entry once here.
 *
 * The entry is read against the list of attribute descriptions the search
 * asked for, one slot per description, so nothing can push a requested
 * attribute out of view (an earlier reader kept the first 32 attributes
 * and dropped the rest: 40 owner-written values hid an admin's lock).
 *
 * A server returns the subtypes of a requested attribute too, such as
 * "apiKeyRecord;lang-x" (RFC 4512 2.5: attribute options). A value with
 * options is not a value of the attribute: it is never returned by
 * ak_entry_at() or ak_entry_values(), only noted (ak_values.tagged), so that
 * each caller can decide what its presence means (the verifier: a tagged lock
 * attribute locks; a tagged record or key id counts for nothing).
 *
 * The values point into the search result: an ak_entry lives no longer
 * than the LDAPMessage it was opened on.
 */
#define AK_ENTRY_ATTRS_MAX 32

struct ak_entry {
    struct berval dn;     /* points into the message */
    struct ak_dn *parsed; /* parsed on demand (ak_entry_dnp) */
    bool parse_failed;
    char *const *want; /* the requested descriptions, NULL-terminated */
    unsigned n_want;
    unsigned char want_len[AK_ENTRY_ATTRS_MAX]; /* strlen(want[i]) */
    BerVarray vals[AK_ENTRY_ATTRS_MAX];         /* of want[i]; may be NULL */
    bool tagged[AK_ENTRY_ATTRS_MAX];            /* want[i];options came back */
    BerElement *ber;
    /* The same values as plain bytes for the pure core (ak_view.h), one
     * array for the whole entry. */
    struct ak_values values[AK_ENTRY_ATTRS_MAX];
    struct ak_bytes *bytes;
};

/*
 * Read entry e against want (the attribute list of the search, at most
 * AK_ENTRY_ATTRS_MAX, outliving out). Returns AK_OK; AK_ERR_MALFORMED with
 * *why set when the entry cannot be read whole (bad encoding, an attribute
 * returned twice): the caller must not judge it; AK_ERR_INVALID when want
 * is too long; AK_ERR_NOMEM. Attributes that were not asked for are
 * ignored. On failure out holds nothing that needs closing.
 */
int ak_entry_open(LDAP *ld, LDAPMessage *e, char *const *want,
                  struct ak_entry *out, const char **why);
void ak_entry_close(struct ak_entry *en);

/* ak_entry_open, and a LOG_ERR line naming the entry when it cannot be
 * read whole (every reader refuses to judge such an entry). */
struct ak_log;
int ak_entry_open_logged(LDAP *ld, LDAPMessage *e, char *const *want,
                         const struct ak_log *log, struct ak_entry *out);

/*
 * The values of want[i], the i-th attribute asked for (NULL when absent).
 * By position, not by name: the caller built the list, and a name lookup
 * per question was a good part of a verification's client-side cost.
 */
BerVarray ak_entry_at(const struct ak_entry *en, unsigned i);

/* The values of want[i] as the pure core reads them (never NULL). */
const struct ak_values *ak_entry_values(const struct ak_entry *en, unsigned i);

/* Number of values of want[i]. */
unsigned ak_entry_count_at(const struct ak_entry *en, unsigned i);

/* The parsed DN, parsed at the first call; NULL if it does not parse. */
const struct ak_dn *ak_entry_dnp(struct ak_entry *en);

/* The DN as a NUL-terminated copy (malloc), or NULL. */
char *ak_entry_dn(const struct ak_entry *en);

#endif
