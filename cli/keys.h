/* SPDX-License-Identifier: BSD-3-Clause */
/* keys.h - print keys as a table or JSON (list, service show) */
#ifndef AK_CLI_KEYS_H
#define AK_CLI_KEYS_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "ak_log.h"
#include "ak_policy.h"
#include "ak_store.h"
#include "keysel.h"

struct keys_out {
    FILE *f;
    bool json;
    bool with_user; /* organisation listing: a USER column */
    bool tracked;   /* last use is tracked: "never" means never */
    time_t now;
    const struct ak_policy *pol;
    const struct keysel *sel;
    const struct ak_log *log;
    unsigned shown;
    bool started;
};

/* Start a listing: "[" for JSON; a table's header comes with its first
 * row, so that an empty listing prints none. */
void keys_begin(struct keys_out *o);

/* Every key of h that the selection lets through, oldest first. */
void keys_holder(struct keys_out *o, const struct ak_holder *h);

/* "]" for JSON. */
void keys_end(struct keys_out *o);

#endif
