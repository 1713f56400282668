/* SPDX-License-Identifier: BSD-3-Clause */
/* mine.h - the apiKeyNotice values this daemon wrote lately, so that a
 * write refused because its notice is taken tells our own earlier write
 * (planned again from an entry read before it: a syncrepl snapshot that
 * was queued, a replica behind) from another daemon's, without a read */
#ifndef EX_MINE_H
#define EX_MINE_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ak_notice.h"

/* The latest writes kept; an older one of ours refused again reads as
 * another daemon's (a log line at info, one count of "lost"). */
#define EX_MINE_MAX 4096

/* Zeroed: empty. 16 bytes a write: keyed hashes (SipHash, a key of this
 * process) of the notice's identifying prefix and of the value. */
struct ex_mine {
    unsigned char key[crypto_shorthash_KEYBYTES];
    struct {
        uint64_t id, value;
    } w[EX_MINE_MAX];
    unsigned n, next;
};

/* Remember the value n (as ak_notice_format writes it) as ours. */
void ex_mine_add(struct ex_mine *m, const struct ak_notice *n);

/* Whether v[0..len) is a value we wrote (among the latest EX_MINE_MAX). */
bool ex_mine_wrote(const struct ex_mine *m, const char *v, size_t len);

/* What we wrote last for notice id: EX_MINE_NOTHING (nothing we still
 * remember), EX_MINE_THIS (the value n; n may be NULL: never), or
 * EX_MINE_ELSE (another value). */
enum ex_mine_last {
    EX_MINE_NOTHING,
    EX_MINE_THIS,
    EX_MINE_ELSE,
};
enum ex_mine_last ex_mine_last(const struct ex_mine *m,
                               const struct ak_notice_id *id,
                               const struct ak_notice *n);

#endif
