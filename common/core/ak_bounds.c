/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_bounds.c - the bounds table embedded from scripts/gen-acl.py */
#include "ak_bounds.h"

#include <strings.h>

#include "bounds_table.h" /* generated: gen-acl.py --embed-bounds */

const struct ak_bound *ak_bounds_all(size_t *n)
{
    *n = sizeof(ak_bounds_table) / sizeof(ak_bounds_table[0]);
    return ak_bounds_table;
}

const struct ak_bound *ak_bound_find(const char *attr)
{
    size_t n;
    const struct ak_bound *b = ak_bounds_all(&n);

    for (size_t i = 0; i < n; i++)
        if (strcasecmp(b[i].attr, attr) == 0)
            return &b[i];
    return NULL;
}

unsigned ak_bounds_keys(void)
{
    return AK_BOUNDS_KEYS;
}
