/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_time.c - GeneralizedTime and human date parsing without TZ or locale */
#include "ak_time.h"

#include <stdio.h>
#include <string.h>

#include "ak_status.h"

/* Howard Hinnant's days_from_civil: exact, no tables, no libc time zones. */
long long ak_days_from_civil(int y, int m, int d)
{
    long long yy = y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Read exactly n digits at s[*i]; false if not all digits or past len. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    if (*i + (size_t)n > len)
        return false;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return true;
}

static bool is_digit_at(const char *s, size_t len, size_t i)
{
    return i < len && s[i] >= '0' && s[i] <= '9';
}

static int assemble(int y, int mo, int d, int h, int mi, int se, long off,
                    time_t *out)
{
    long long t;

    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return AK_ERR_MALFORMED;
    t = ak_days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + se -
        off;
    if (t < 0 || (long long)(time_t)t != t)
        return AK_ERR_MALFORMED;
    *out = (time_t)t;
    return AK_OK;
}

int ak_time_parse(const char *s, size_t len, bool strict, time_t *out)
{
    int y, mo, d, h, mi = 0, se = 0, oh = 0, om = 0;
    long off = 0;
    size_t i = 0;

    if (s == NULL)
        return AK_ERR_MALFORMED;
    if (strict && len != AK_TIME_LEN)
        return AK_ERR_MALFORMED;
    if (!digits(s, len, &i, 4, &y) || !digits(s, len, &i, 2, &mo) ||
        !digits(s, len, &i, 2, &d) || !digits(s, len, &i, 2, &h))
        return AK_ERR_MALFORMED;
    if (is_digit_at(s, len, i)) {
        if (!digits(s, len, &i, 2, &mi))
            return AK_ERR_MALFORMED;
        if (is_digit_at(s, len, i) && !digits(s, len, &i, 2, &se))
            return AK_ERR_MALFORMED;
    }
    if (strict && i != 14)
        return AK_ERR_MALFORMED;
    if (!strict && i < len && (s[i] == '.' || s[i] == ',')) {
        i++;
        if (!is_digit_at(s, len, i))
            return AK_ERR_MALFORMED;
        while (is_digit_at(s, len, i))
            i++;
    }
    if (i >= len)
        return AK_ERR_MALFORMED; /* local time without zone: ambiguous */
    if (s[i] == 'Z') {
        i++;
    } else if (!strict && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        if (!digits(s, len, &i, 2, &oh) || oh > 23)
            return AK_ERR_MALFORMED;
        if (is_digit_at(s, len, i) && (!digits(s, len, &i, 2, &om) || om > 59))
            return AK_ERR_MALFORMED;
        off = sign * (oh * 3600L + om * 60L);
    } else {
        return AK_ERR_MALFORMED;
    }
    if (i != len)
        return AK_ERR_MALFORMED;
    return assemble(y, mo, d, h, mi, se, off, out);
}

int ak_time_format(time_t t, char buf[AK_TIME_LEN + 1])
{
    struct tm tm;

    if (t < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
        return AK_ERR_INVALID;
    {
        char tmp[64];
        int n = snprintf(tmp, sizeof(tmp), "%04d%02d%02d%02d%02d%02dZ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (n != AK_TIME_LEN)
            return AK_ERR_INVALID;
        memcpy(buf, tmp, AK_TIME_LEN + 1);
    }
    return AK_OK;
}

int ak_time_parse_human(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t i = 0, len;

    if (s == NULL)
        return AK_ERR_MALFORMED;
    len = strlen(s);
    if (len >= 4 && s[4] != '-')
        return ak_time_parse(s, len, false, out);
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &d))
        return AK_ERR_MALFORMED;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't')
            return AK_ERR_MALFORMED;
        i++;
        if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &mi))
            return AK_ERR_MALFORMED;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &se))
                return AK_ERR_MALFORMED;
        }
        if (i >= len || (s[i] != 'Z' && s[i] != 'z') || i + 1 != len)
            return AK_ERR_MALFORMED;
    }
    return assemble(y, mo, d, h, mi, se, 0, out);
}
