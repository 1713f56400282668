/* SPDX-License-Identifier: BSD-3-Clause */
/* index.h - the expiry daemon's in-memory state: entryUUID -> next due time */
#ifndef EX_INDEX_H
#define EX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ak_log.h"

/*
 * One slot per tracked holder entry, keyed by its entryUUID (16 bytes,
 * never the DN: a rename keeps the UUID). A slot holds the UUID, the next
 * moment the holder needs attention (EX_DUE_NEVER: nothing due) and a flags
 * byte: 25 bytes in an open-addressing table (linear probing, backward-shift
 * deletion, no tombstones) kept at most 7/8 full. No DNs, no entries.
 *
 * Not thread-safe: the daemon's loop owns it.
 */
#define EX_UUID_LEN 16
#define EX_DUE_NEVER ((time_t)INT64_MAX)

struct ex_index;

/* AK_OK or AK_ERR_NOMEM. */
int ex_index_new(struct ex_index **out);
void ex_index_free(struct ex_index *idx);

size_t ex_index_count(const struct ex_index *idx);
/* Bytes the index holds on the heap (table and bookkeeping). */
size_t ex_index_bytes(const struct ex_index *idx);

/* Insert or update. A put marks the slot present (see below). AK_OK or
 * AK_ERR_NOMEM (the index is unchanged). */
int ex_index_put(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                 time_t next_due);
/* Change the due time of a tracked UUID only (false: not tracked). Leaves
 * the present mark alone: the daemon's own updates must not keep alive a
 * holder that a running present phase has not seen. */
bool ex_index_set_due(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                      time_t next_due);
/* True and *next_due when tracked. next_due may be NULL. */
bool ex_index_get(const struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                  time_t *next_due);
/* True when it was tracked. */
bool ex_index_remove(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN]);
void ex_index_clear(struct ex_index *idx);

/*
 * RFC 4533 present phase: begin clears every present mark; mark (and put)
 * set one; end removes every slot not marked, calling gone (may be NULL)
 * for each removed UUID before it goes, and returns how many went. Marks
 * outside a present phase are harmless.
 */
void ex_index_begin_present(struct ex_index *idx);
void ex_index_mark_present(struct ex_index *idx,
                           const uint8_t uuid[EX_UUID_LEN]);
typedef void (*ex_index_gone_fn)(void *ctx, const uint8_t uuid[EX_UUID_LEN]);
size_t ex_index_end_present(struct ex_index *idx, ex_index_gone_fn gone,
                            void *ctx);

/*
 * The earliest next_due and its UUID (uuid may be NULL). False when nothing
 * is tracked or every slot is EX_DUE_NEVER. A scan: about 0.3 ms for
 * 100,000 holders (tests/expiryd/test_index.c measures it).
 */
bool ex_index_earliest(const struct ex_index *idx, time_t *due,
                       uint8_t uuid[EX_UUID_LEN]);

/*
 * Call fn for every slot with next_due <= now (in table order). fn may not
 * change the index; collect the UUIDs and update them afterwards. A non-zero
 * return of fn stops the walk and is returned. Returns 0 otherwise.
 */
typedef int (*ex_index_due_fn)(void *ctx, const uint8_t uuid[EX_UUID_LEN],
                               time_t next_due);
int ex_index_each_due(const struct ex_index *idx, time_t now,
                      ex_index_due_fn fn, void *ctx);

/*
 * The state file: the index and the sync cookie that covers it, in one
 * file, written as a temp file in the same directory (O_EXCL, mode 0600),
 * fsync, rename over path, fsync of the directory. Either the old or the
 * new file survives a crash, never a mix. The caller passes the cookie
 * that describes exactly this index (never a newer one). cookie may be NULL
 * (cookie_len 0): no cookie. AK_OK, AK_ERR_IO (logged), AK_ERR_INVALID
 * (cookie longer than EX_COOKIE_MAX).
 *
 * Layout (integers big-endian): "AKEXIDX1", u32 version (1), u32 count,
 * u32 cookie length, the cookie, count x (16-byte UUID, s64 next_due), and
 * a 32-byte BLAKE2b of everything before it.
 */
#define EX_COOKIE_MAX 65536
int ex_index_save(const struct ex_index *idx, const char *path,
                  const uint8_t *cookie, size_t cookie_len,
                  const struct ak_log *log);

/*
 * Load path into idx (cleared first) and *cookie (malloc, NUL-terminated
 * for convenience, *cookie_len bytes; NULL when the file holds none).
 * AK_ERR_NOT_FOUND: no file (a first start). AK_ERR_MALFORMED: truncated,
 * wrong magic or version, bad checksum, a duplicate UUID, trailing bytes:
 * logged, idx left empty and no cookie, so the daemon refreshes fully.
 * AK_ERR_IO / AK_ERR_NOMEM otherwise (idx empty).
 */
int ex_index_load(struct ex_index *idx, const char *path, uint8_t **cookie,
                  size_t *cookie_len, const struct ak_log *log);

#endif
