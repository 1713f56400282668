/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_text.h - UTF-8 and character-class checks shared by all parsers */
#ifndef AK_TEXT_H
#define AK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) and holds no NUL.
 */
bool ak_utf8_valid(const char *s, size_t len);

/* True when s[0..len) holds a C0 control character or DEL. */
bool ak_has_ctl(const char *s, size_t len);

/*
 * Decode the UTF-8 sequence at s[0..n), n >= 1: its length, with *cp set;
 * 0 when it is not well-formed (overlong, surrogate, above U+10FFFF,
 * truncated, a stray continuation byte). NUL decodes as U+0000.
 */
size_t ak_utf8_next(const char *s, size_t n, uint32_t *cp);

/*
 * Code points that do something on a terminal, or to the text around them,
 * instead of showing as a character. One list for every place text from
 * people or from the directory is checked or shown (labels, service users'
 * text, the CLI's output, expiry mail).
 */
enum ak_cp_kind {
    AK_CP_PLAIN,
    AK_CP_C0,     /* U+0000-001F, U+007F: ESC starts sequences; CR, BS redraw */
    AK_CP_C1,     /* U+0080-009F: CSI, OSC, DCS act alone on many terminals */
    AK_CP_BIDI,   /* Bidi_Control: U+061C, U+200E-200F, U+202A-202E,
                   * U+2066-2069: reorder what is shown (Trojan Source) */
    AK_CP_LINE,   /* U+2028, U+2029: break a line where none is seen */
    AK_CP_FORMAT, /* invisible controls of how text renders: U+FEFF, the
                   * deprecated U+206A-206F (mirroring, shaping, digits),
                   * U+FFF9-FFFB (annotations: hide the text between) */
};
enum ak_cp_kind ak_cp_kind(uint32_t cp);

/*
 * Text a person chooses that others read on a terminal or in mail (a key's
 * label, a service user's description): at most max bytes of UTF-8, no
 * code point of a kind other than AK_CP_PLAIN. True when s[0..len) is.
 * Otherwise false, and why (when not NULL) says what and where, e.g.
 * "U+009B (a C1 control character) at byte 3", "not UTF-8 at byte 2",
 * "65 bytes, at most 64" (bytes count from 1).
 */
bool ak_text_shown_ok(const char *s, size_t len, size_t max, char *why,
                      size_t why_size);

/*
 * s[0..len) as a terminal may show it: code points of a kind other than
 * AK_CP_PLAIN as \xHH (below U+0080) or \uHHHH, bytes that are not UTF-8
 * as \xHH, everything else as it is. Writes at most size - 1 bytes and a
 * NUL (size > 0), never a part of a character or of an escape; returns
 * the length all of it needs (as snprintf), so a caller sees a cut.
 */
size_t ak_text_escape(char *out, size_t size, const char *s, size_t len);

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
