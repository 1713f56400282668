/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_time.h - the one GeneralizedTime / date parser of the suite (pure) */
#ifndef AK_TIME_H
#define AK_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* "YYYYMMDDHHMMSSZ" */
#define AK_TIME_LEN 15

/*
 * Parse an RFC 4517 GeneralizedTime into seconds since the epoch (UTC).
 *
 * strict: only the canonical YYYYMMDDHHMMSSZ that apikey writes into key
 * records; anything else is AK_ERR_MALFORMED (a record written by hand with
 * another form is refused, fail closed).
 *
 * !strict: the full RFC 4517 form YYYYMMDDHH[MM[SS]][(.|,)frac](Z|+-HH[MM]),
 * as servers write pwdAccountLockedTime and friends. Fractions are dropped
 * (rounded towards the past), a leap second ":60" counts as the next
 * second, offsets are applied. Both modes: year 1970..9999, calendar dates
 * validated (no 31 April), no surrounding space.
 */
int ak_time_parse(const char *s, size_t len, bool strict, time_t *out);

/* Canonical YYYYMMDDHHMMSSZ of t (UTC) into buf. AK_OK or AK_ERR_INVALID. */
int ak_time_format(time_t t, char buf[AK_TIME_LEN + 1]);

/*
 * Parse a date given by a person: "YYYY-MM-DD" (00:00:00 UTC that day),
 * "YYYY-MM-DDTHH:MM[:SS]Z", or a GeneralizedTime. AK_OK or AK_ERR_MALFORMED.
 */
int ak_time_parse_human(const char *s, time_t *out);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
long long ak_days_from_civil(int y, int m, int d);

#endif
