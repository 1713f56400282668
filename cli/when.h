/* SPDX-License-Identifier: BSD-3-Clause */
/* when.h - dates and day counts as people type and read them (pure) */
#ifndef AK_CLI_WHEN_H
#define AK_CLI_WHEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * A number of days: "30", "30d", "+30" or "+30d", from min to max.
 * AK_OK or AK_ERR_MALFORMED.
 */
int when_parse_days(const char *s, long min, long max, long *out);

/*
 * A point in time: an ISO date "YYYY-MM-DD" (00:00 UTC),
 * "YYYY-MM-DDTHH:MM[:SS]Z", a GeneralizedTime, or days from now as
 * "+30d", "30d" or "+30". AK_OK or AK_ERR_MALFORMED.
 */
int when_parse_date(const char *s, time_t now, time_t *out);

/* "today", "in 5 h", "in 30 days", "2 days ago", ... of t seen at now. */
const char *when_relative(char *buf, size_t size, time_t t, time_t now);

/* Whole days from now until t, rounded towards the past ("-1" yesterday). */
long when_days_until(time_t t, time_t now);

/* "2027-01-31 (in 30 days)", or "-" when !has. */
const char *when_text(char *buf, size_t size, bool has, time_t t, time_t now);

#endif
