/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_text.c - libFuzzer target: the UTF-8 decoder and what is shown of
 * any bytes. The escaped form holds no terminal-active code point and is
 * UTF-8; it is the input itself exactly when the input would pass as new
 * text; a cut one is a whole prefix of it; nothing reads past the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ak_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every code point of s[0..len) is whole and plain. */
static bool all_plain(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ak_utf8_next(s + i, len - i, &cp);
        if (n == 0 || ak_cp_kind(cp) != AK_CP_PLAIN)
            return false;
        i += n;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char why[96], small[17];
    size_t need = ak_text_escape(NULL, 0, s, size), cut;
    char *out = malloc(need + 1);
    bool ok = ak_text_shown_ok(s, size, SIZE_MAX, why, sizeof(why));

    if (out == NULL)
        return 0;
    if (ak_text_escape(out, need + 1, s, size) != need || strlen(out) != need ||
        !all_plain(out, need))
        abort();
    /* passing text is shown as it is, and only passing text */
    if (ok != (need == size && memcmp(out, s, size) == 0))
        abort();
    if (!ok && why[0] == '\0')
        abort();
    if (ok != (ak_utf8_valid(s, size) && all_plain(s, size)))
        abort();
    /* a cut is a prefix of the whole, of whole pieces */
    ak_text_escape(small, sizeof(small), s, size);
    cut = strlen(small);
    if (cut >= sizeof(small) || memcmp(small, out, cut) != 0 ||
        !all_plain(small, cut))
        abort();
    free(out);
    return 0;
}
