/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_text.h - UTF-8 and character-class checks shared by all parsers */
#ifndef AK_TEXT_H
#define AK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) and holds no NUL.
 */
bool ak_utf8_valid(const char *s, size_t len);

/* True when s[0..len) holds a C0 control character or DEL. */
bool ak_has_ctl(const char *s, size_t len);

/*
 * A user name we are willing to put into a filter and a log line: 1-256
 * bytes of valid UTF-8, no control characters, no NUL. Anything else can
 * never name a directory entry that we should match.
 */
#define AK_USER_MAX 256
bool ak_user_name_valid(const char *s, size_t len);

/*
 * Equal byte for byte, or (ascii_case) when only the case of ASCII letters
 * differs. Never locale-dependent, never Unicode folding: "ＡＤＭＩＮ",
 * "admin " and "ADMIN" are other names than "admin" here, whatever the
 * directory's caseIgnoreMatch thinks.
 */
bool ak_text_equal(const char *a, size_t alen, const char *b, size_t blen,
                   bool ascii_case);

/*
 * A decimal integer s[0..len) (optional leading '-', no sign '+', no
 * spaces, no junk) within [min, max]; up to 19 digits (AD's accountExpires
 * "never" is 2^63-1). False otherwise; *out untouched then.
 */
bool ak_parse_int(const char *s, size_t len, long long min, long long max,
                  long long *out);

#endif
