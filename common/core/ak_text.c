/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_text.c - UTF-8 validation and character classes */
#include "ak_text.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t ak_utf8_next(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t need;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 1, c = s[0] & 0x1f, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 2, c = s[0] & 0x0f, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 3, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n <= need)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return need + 1;
}

bool ak_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ak_utf8_next(s + i, len - i, &cp);
        if (n == 0 || cp == 0)
            return false;
        i += n;
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

enum ak_cp_kind ak_cp_kind(uint32_t c)
{
    if (c < 0x20 || c == 0x7f)
        return AK_CP_C0;
    if (c >= 0x80 && c <= 0x9f)
        return AK_CP_C1;
    if (c == 0x061c || c == 0x200e || c == 0x200f ||
        (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return AK_CP_BIDI;
    if (c == 0x2028 || c == 0x2029)
        return AK_CP_LINE;
    if (c == 0xfeff || (c >= 0x206a && c <= 0x206f) ||
        (c >= 0xfff9 && c <= 0xfffb))
        return AK_CP_FORMAT;
    return AK_CP_PLAIN;
}

static const char *kind_str(enum ak_cp_kind k)
{
    switch (k) {
    case AK_CP_C0:
        return "a C0 control character";
    case AK_CP_C1:
        return "a C1 control character";
    case AK_CP_BIDI:
        return "a bidirectional control";
    case AK_CP_LINE:
        return "a line or paragraph separator";
    case AK_CP_FORMAT:
        return "an invisible format control";
    case AK_CP_PLAIN:
        break;
    }
    return "a plain character";
}

bool ak_text_shown_ok(const char *s, size_t len, size_t max, char *why,
                      size_t why_size)
{
    char dummy[1];

    if (why == NULL || why_size == 0) {
        why = dummy;
        why_size = sizeof(dummy);
    }
    if (len > max) {
        snprintf(why, why_size, "%zu bytes, at most %zu", len, max);
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ak_utf8_next(s + i, len - i, &cp);
        enum ak_cp_kind k = n > 0 ? ak_cp_kind(cp) : AK_CP_PLAIN;
        if (n == 0) {
            snprintf(why, why_size, "not UTF-8 at byte %zu", i + 1);
            return false;
        }
        if (k != AK_CP_PLAIN) {
            snprintf(why, why_size, "U+%04" PRIX32 " (%s) at byte %zu", cp,
                     kind_str(k), i + 1);
            return false;
        }
        i += n;
    }
    why[0] = '\0';
    return true;
}

size_t ak_text_escape(char *out, size_t size, const char *s, size_t len)
{
    size_t need = 0, put = 0;
    bool cut = false;

    for (size_t i = 0; i < len;) {
        char esc[12] = "";
        uint32_t cp = 0;
        size_t n = ak_utf8_next(s + i, len - i, &cp), w;

        if (n == 0)
            snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i]);
        else if (ak_cp_kind(cp) != AK_CP_PLAIN)
            snprintf(esc, sizeof(esc),
                     cp < 0x80 ? "\\x%02" PRIx32 : "\\u%04" PRIx32, cp);
        w = esc[0] != '\0' ? strlen(esc) : n;
        /* whole pieces only; after the first that does not fit, none */
        cut = cut || size == 0 || put + w >= size;
        if (!cut) {
            memcpy(out + put, esc[0] != '\0' ? esc : s + i, w);
            put += w;
        }
        need += w;
        i += n == 0 ? 1 : n;
    }
    if (size > 0)
        out[put] = '\0';
    return need;
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
