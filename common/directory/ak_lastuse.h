/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_lastuse.h - a key's last use in apiKeyLastUsed, written sparingly */
#ifndef AK_LASTUSE_H
#define AK_LASTUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <lber.h>

#include "ak_key.h"
#include "ak_ldap.h"
#include "ak_log.h"
#include "ak_time.h"

/*
 * apiKeyLastUsed holds one value per key: "<keyid> <YYYYMMDDHHMMSSZ>". It
 * is an attribute of its own, not a field of the key record, so that the
 * directory's ACLs can let the verifier's bind write it and nothing else.
 */
#define AK_LASTUSE_LEN (AK_KEY_ID_LEN + 1 + AK_TIME_LEN)

/* Format the value for kid at t. AK_OK or AK_ERR_INVALID. */
int ak_lastuse_format(const char *kid, time_t t, char buf[AK_LASTUSE_LEN + 1]);

/* Parse one value s[0..len). False when it is not of the form above. */
bool ak_lastuse_parse(const char *s, size_t len, char kid[AK_KEY_ID_LEN + 1],
                      time_t *t);

/*
 * The latest use of kid among vals (an array of C strings, n of them); false
 * when none names it. Values that do not parse are ignored.
 */
bool ak_lastuse_latest(char *const *vals, unsigned n, const char *kid,
                       time_t *t);

/*
 * Is a new write due at now, when the last recorded use (if known) was at
 * last? Due when nothing is recorded, or interval_minutes have passed. A
 * recorded time in the future (another host's clock) is left alone unless it
 * lies more than an interval ahead, which no clock skew explains.
 */
bool ak_lastuse_due(bool known, time_t last, time_t now,
                    unsigned interval_minutes);

/*
 * After a successful verification: record that kid was used at now on the
 * entry dn whose apiKeyLastUsed values (as read by the same search) are
 * vals, a BerVarray (NULL-terminated by bv_val; may be NULL). Writes only
 * when due, as one modify that deletes this key's exact old value(s) and
 * adds the new one, so two verifiers racing cannot pile up values: the
 * loser's modify fails and is ignored. Never fails the caller: every
 * problem is logged at LOG_INFO at most, with the key id only.
 */
void ak_lastuse_note(struct ak_conn *c, const char *dn,
                     const struct berval *vals, const char *kid, time_t now,
                     unsigned interval_minutes, const struct ak_log *log);

#endif
