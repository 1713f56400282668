/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_text.c - UTF-8 validation and character classes */
#include "ak_text.h"

#include <stdint.h>

bool ak_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        unsigned need, min, cp;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            min = 0x80;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            min = 0x800;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            min = 0x10000;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= need)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            unsigned cc = s[i + k];
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

bool ak_has_ctl(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

bool ak_user_name_valid(const char *s, size_t len)
{
    return s != NULL && len > 0 && len <= AK_USER_MAX &&
           ak_utf8_valid(s, len) && !ak_has_ctl(s, len);
}

bool ak_text_equal(const char *a, size_t alen, const char *b, size_t blen,
                   bool ascii_case)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (ascii_case) {
            if (x >= 'A' && x <= 'Z')
                x = (unsigned char)(x - 'A' + 'a');
            if (y >= 'A' && y <= 'Z')
                y = (unsigned char)(y - 'A' + 'a');
        }
        if (x != y)
            return false;
    }
    return true;
}

/* Parse a decimal integer (optional leading '-') with no junk, into
 * [min, max]; up to 19 digits (AD's accountExpires "never" is 2^63-1). */
bool ak_parse_int(const char *s, size_t len, long long min, long long max,
                  long long *out)
{
    unsigned long long v = 0;
    long long r;
    bool neg = false;
    size_t i = 0;

    if (len > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len || len - i > 19)
        return false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0'); /* 19 digits fit in 64 bits */
    }
    if (v > (unsigned long long)INT64_MAX)
        return false;
    r = neg ? -(long long)v : (long long)v;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}
