/* SPDX-License-Identifier: BSD-3-Clause */
/* when.c - parse "2027-01-31" and "+30d", print "in 30 days" (pure) */
#include "when.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ak_status.h"
#include "ak_time.h"

int when_parse_days(const char *s, long min, long max, long *out)
{
    char digits[16];
    size_t n;
    char *end = NULL;
    long v;

    if (s == NULL)
        return AK_ERR_MALFORMED;
    if (*s == '+')
        s++;
    n = strlen(s);
    if (n > 0 && (s[n - 1] == 'd' || s[n - 1] == 'D'))
        n--;
    if (n == 0 || n >= sizeof(digits))
        return AK_ERR_MALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return AK_ERR_MALFORMED;
    memcpy(digits, s, n);
    digits[n] = '\0';
    v = strtol(digits, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return AK_ERR_MALFORMED;
    *out = v;
    return AK_OK;
}

int when_parse_date(const char *s, time_t now, time_t *out)
{
    long days;

    if (s == NULL || *s == '\0')
        return AK_ERR_MALFORMED;
    /* Relative: "+30", "+30d" or "30d" (a bare "30" is no date). */
    if (s[0] == '+' || (isdigit((unsigned char)s[0]) &&
                        (s[strlen(s) - 1] == 'd' || s[strlen(s) - 1] == 'D'))) {
        if (when_parse_days(s, 0, 36500, &days) != AK_OK)
            return AK_ERR_MALFORMED;
        *out = now + (time_t)days * 86400;
        return AK_OK;
    }
    return ak_time_parse_human(s, out) == AK_OK ? AK_OK : AK_ERR_MALFORMED;
}

long when_days_until(time_t t, time_t now)
{
    long long d = (long long)t - (long long)now;
    /* floor division, so a moment yesterday is -1, not 0 */
    return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

const char *when_relative(char *buf, size_t size, time_t t, time_t now)
{
    long long d = (long long)t - (long long)now;
    long long a = d < 0 ? -d : d;

    if (a < 60)
        snprintf(buf, size, "now");
    else if (a < 3600)
        snprintf(buf, size, d > 0 ? "in %lld min" : "%lld min ago", a / 60);
    else if (a < 86400)
        snprintf(buf, size, d > 0 ? "in %lld h" : "%lld h ago", a / 3600);
    else if (a < 2 * 86400)
        snprintf(buf, size, d > 0 ? "in 1 day" : "1 day ago");
    else
        snprintf(buf, size, d > 0 ? "in %lld days" : "%lld days ago",
                 a / 86400);
    return buf;
}

const char *when_text(char *buf, size_t size, bool has, time_t t, time_t now)
{
    struct tm tm;
    char day[16], rel[32];

    if (!has || gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, size, "-");
        return buf;
    }
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    snprintf(buf, size, "%s (%s)", day,
             when_relative(rel, sizeof(rel), t, now));
    return buf;
}
