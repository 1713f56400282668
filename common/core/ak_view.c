/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_view.c - questions about plain values */
#include "ak_view.h"

#include <string.h>

#include "ak_text.h"

bool ak_values_has(const struct ak_values *vs, const char *s, bool nocase)
{
    size_t n = strlen(s);

    for (unsigned i = 0; i < vs->n; i++)
        if (ak_text_equal(vs->v[i].p, vs->v[i].n, s, n, nocase))
            return true;
    return false;
}
