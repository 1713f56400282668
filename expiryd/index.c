/* SPDX-License-Identifier: BSD-3-Clause */
/* index.c - entryUUID -> next due time, and the state file */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_status.h"
#include "atomic.h"

struct ex_slot {
    uint8_t uuid[EX_UUID_LEN];
    int64_t due;
};

#define F_USED 0x01u
#define F_PRESENT 0x02u

struct ex_index {
    struct ex_slot *slot;
    uint8_t *flags;
    size_t cap; /* a power of two */
    size_t count;
};

#define MIN_CAP 1024u

static size_t home(const struct ex_index *idx, const uint8_t *uuid)
{
    uint64_t a, b;
    memcpy(&a, uuid, 8);
    memcpy(&b, uuid + 8, 8);
    /* entryUUIDs are often time-based (v1): mix every bit (splitmix64). */
    uint64_t h = a ^ (b * 0x9e3779b97f4a7c15u);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return (size_t)h & (idx->cap - 1);
}

static int alloc_table(size_t cap, struct ex_slot **slot, uint8_t **flags)
{
    *slot = malloc(cap * sizeof **slot);
    *flags = calloc(cap, 1);
    if (*slot == NULL || *flags == NULL) {
        free(*slot);
        free(*flags);
        return AK_ERR_NOMEM;
    }
    return AK_OK;
}

int ex_index_new(struct ex_index **out)
{
    struct ex_index *idx = calloc(1, sizeof *idx);
    if (idx == NULL)
        return AK_ERR_NOMEM;
    idx->cap = MIN_CAP;
    if (alloc_table(idx->cap, &idx->slot, &idx->flags) != AK_OK) {
        free(idx);
        return AK_ERR_NOMEM;
    }
    *out = idx;
    return AK_OK;
}

void ex_index_free(struct ex_index *idx)
{
    if (idx == NULL)
        return;
    free(idx->slot);
    free(idx->flags);
    free(idx);
}

size_t ex_index_count(const struct ex_index *idx)
{
    return idx->count;
}

size_t ex_index_bytes(const struct ex_index *idx)
{
    return sizeof *idx + idx->cap * (sizeof(struct ex_slot) + 1);
}

/* The slot holding uuid, or the free slot where it would go. */
static size_t find(const struct ex_index *idx, const uint8_t *uuid, bool *found)
{
    size_t mask = idx->cap - 1;
    for (size_t i = home(idx, uuid);; i = (i + 1) & mask) {
        if (!(idx->flags[i] & F_USED)) {
            *found = false;
            return i;
        }
        if (memcmp(idx->slot[i].uuid, uuid, EX_UUID_LEN) == 0) {
            *found = true;
            return i;
        }
    }
}

static int grow(struct ex_index *idx)
{
    struct ex_index n = {.cap = idx->cap * 2, .count = idx->count};
    if (n.cap < idx->cap || alloc_table(n.cap, &n.slot, &n.flags) != AK_OK)
        return AK_ERR_NOMEM;
    for (size_t i = 0; i < idx->cap; i++) {
        if (!(idx->flags[i] & F_USED))
            continue;
        bool found;
        size_t j = find(&n, idx->slot[i].uuid, &found);
        n.slot[j] = idx->slot[i];
        n.flags[j] = idx->flags[i];
    }
    free(idx->slot);
    free(idx->flags);
    *idx = n;
    return AK_OK;
}

int ex_index_put(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                 time_t next_due)
{
    bool found;
    size_t i = find(idx, uuid, &found);
    if (!found) {
        /* at most 7/8 full: probe chains stay short */
        if ((idx->count + 1) * 8 > idx->cap * 7) {
            if (grow(idx) != AK_OK)
                return AK_ERR_NOMEM;
            i = find(idx, uuid, &found);
        }
        memcpy(idx->slot[i].uuid, uuid, EX_UUID_LEN);
        idx->count++;
    }
    idx->slot[i].due = (int64_t)next_due;
    idx->flags[i] = F_USED | F_PRESENT;
    return AK_OK;
}

bool ex_index_set_due(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                      time_t next_due)
{
    bool found;
    size_t i = find(idx, uuid, &found);
    if (found)
        idx->slot[i].due = (int64_t)next_due;
    return found;
}

bool ex_index_get(const struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN],
                  time_t *next_due)
{
    bool found;
    size_t i = find(idx, uuid, &found);
    if (found && next_due != NULL)
        *next_due = (time_t)idx->slot[i].due;
    return found;
}

/* Empty slot i and close the gap (backward-shift deletion). */
static void remove_at(struct ex_index *idx, size_t i)
{
    size_t mask = idx->cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!(idx->flags[j] & F_USED))
            break;
        size_t k = home(idx, idx->slot[j].uuid);
        /* j may move to the hole i when its home is not in (i, j]
         * (cyclically) */
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        idx->slot[i] = idx->slot[j];
        idx->flags[i] = idx->flags[j];
        i = j;
    }
    idx->flags[i] = 0;
    idx->count--;
}

bool ex_index_remove(struct ex_index *idx, const uint8_t uuid[EX_UUID_LEN])
{
    bool found;
    size_t i = find(idx, uuid, &found);
    if (found)
        remove_at(idx, i);
    return found;
}

void ex_index_clear(struct ex_index *idx)
{
    memset(idx->flags, 0, idx->cap);
    idx->count = 0;
}

void ex_index_begin_present(struct ex_index *idx)
{
    for (size_t i = 0; i < idx->cap; i++)
        idx->flags[i] &= (uint8_t)~F_PRESENT;
}

void ex_index_mark_present(struct ex_index *idx,
                           const uint8_t uuid[EX_UUID_LEN])
{
    bool found;
    size_t i = find(idx, uuid, &found);
    if (found)
        idx->flags[i] |= F_PRESENT;
}

size_t ex_index_end_present(struct ex_index *idx, ex_index_gone_fn gone,
                            void *ctx)
{
    size_t n = 0;
    /* A removal shifts later slots back into i: look at i again. Slots
     * that wrap around from the start were seen already and are kept. */
    for (size_t i = 0; i < idx->cap;) {
        uint8_t f = idx->flags[i];
        if ((f & F_USED) && !(f & F_PRESENT)) {
            if (gone != NULL)
                gone(ctx, idx->slot[i].uuid);
            remove_at(idx, i);
            n++;
            continue;
        }
        i++;
    }
    return n;
}

bool ex_index_earliest(const struct ex_index *idx, time_t *due,
                       uint8_t uuid[EX_UUID_LEN])
{
    int64_t best = INT64_MAX;
    size_t at = 0;
    for (size_t i = 0; i < idx->cap; i++) {
        if ((idx->flags[i] & F_USED) && idx->slot[i].due < best) {
            best = idx->slot[i].due;
            at = i;
        }
    }
    if (best == INT64_MAX)
        return false;
    *due = (time_t)best;
    if (uuid != NULL)
        memcpy(uuid, idx->slot[at].uuid, EX_UUID_LEN);
    return true;
}

int ex_index_each_due(const struct ex_index *idx, time_t now,
                      ex_index_due_fn fn, void *ctx)
{
    for (size_t i = 0; i < idx->cap; i++) {
        if (!(idx->flags[i] & F_USED) || idx->slot[i].due > (int64_t)now)
            continue;
        int rc = fn(ctx, idx->slot[i].uuid, (time_t)idx->slot[i].due);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- the state file ---------------------------------------------------- */

static const char magic[8] = {'A', 'K', 'E', 'X', 'I', 'D', 'X', '1'};
#define VERSION 1u
#define HEAD_LEN (8 + 4 + 4 + 4)
#define REC_LEN (EX_UUID_LEN + 8)
#define SUM_LEN crypto_generichash_BYTES /* 32 */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int ex_index_save(const struct ex_index *idx, const char *path,
                  const uint8_t *cookie, size_t cookie_len,
                  const struct ak_log *log)
{
    if (cookie_len > EX_COOKIE_MAX || (cookie == NULL && cookie_len != 0) ||
        idx->count > UINT32_MAX)
        return AK_ERR_INVALID;
    if (sodium_init() < 0)
        return AK_ERR_CRYPTO;
    size_t len = HEAD_LEN + cookie_len + idx->count * REC_LEN + SUM_LEN;
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        return AK_ERR_NOMEM;
    memcpy(buf, magic, 8);
    put32(buf + 8, VERSION);
    put32(buf + 12, (uint32_t)idx->count);
    put32(buf + 16, (uint32_t)cookie_len);
    uint8_t *p = buf + HEAD_LEN;
    if (cookie_len > 0)
        memcpy(p, cookie, cookie_len);
    p += cookie_len;
    for (size_t i = 0; i < idx->cap; i++) {
        if (!(idx->flags[i] & F_USED))
            continue;
        memcpy(p, idx->slot[i].uuid, EX_UUID_LEN);
        put64(p + EX_UUID_LEN, (uint64_t)idx->slot[i].due);
        p += REC_LEN;
    }
    crypto_generichash(p, SUM_LEN, buf, (size_t)(p - buf), NULL, 0);

    int rc = ex_write_atomic(path, buf, len, 0600, "state file", log);
    free(buf);
    return rc;
}

static int refuse(const struct ak_log *log, const char *path, const char *why)
{
    ak_log(log, LOG_ERR,
           "state file %s refused (%s): starting without a cookie, full "
           "refresh",
           path, why);
    return AK_ERR_MALFORMED;
}

int ex_index_load(struct ex_index *idx, const char *path, uint8_t **cookie,
                  size_t *cookie_len, const struct ak_log *log)
{
    ex_index_clear(idx);
    *cookie = NULL;
    *cookie_len = 0;
    if (sodium_init() < 0)
        return AK_ERR_CRYPTO;
    /* O_NONBLOCK: a FIFO in its place is refused below, not waited on */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return AK_ERR_NOT_FOUND;
        ak_log_errno(log, LOG_ERR, "state file: cannot open %s", path);
        return AK_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return refuse(log, path, "not a regular file");
    }
    /* the largest file a valid index can make */
    uint64_t max = HEAD_LEN + (uint64_t)EX_COOKIE_MAX +
                   (uint64_t)UINT32_MAX * REC_LEN + SUM_LEN;
    if (st.st_size < 0 || (uint64_t)st.st_size > max ||
        (uint64_t)st.st_size < HEAD_LEN + SUM_LEN) {
        close(fd);
        return refuse(log, path, "truncated or oversized");
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len);
    if (buf == NULL) {
        close(fd);
        return AK_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int rc;
    if (got != len) {
        rc = refuse(log, path, "short read");
        goto done;
    }
    if (memcmp(buf, magic, 8) != 0) {
        rc = refuse(log, path, "not an apikey-expiryd state file");
        goto done;
    }
    if (get32(buf + 8) != VERSION) {
        rc = refuse(log, path, "unknown version");
        goto done;
    }
    uint64_t count = get32(buf + 12), clen = get32(buf + 16);
    if (clen > EX_COOKIE_MAX ||
        HEAD_LEN + clen + count * REC_LEN + SUM_LEN != len) {
        rc = refuse(log, path, "truncated: length does not match its header");
        goto done;
    }
    uint8_t sum[SUM_LEN];
    crypto_generichash(sum, SUM_LEN, buf, len - SUM_LEN, NULL, 0);
    if (sodium_memcmp(sum, buf + len - SUM_LEN, SUM_LEN) != 0) {
        rc = refuse(log, path, "checksum mismatch");
        goto done;
    }
    const uint8_t *p = buf + HEAD_LEN + clen;
    for (uint64_t n = 0; n < count; n++, p += REC_LEN) {
        if (ex_index_get(idx, p, NULL)) {
            ex_index_clear(idx);
            rc = refuse(log, path, "a UUID appears twice");
            goto done;
        }
        if (ex_index_put(idx, p, (time_t)(int64_t)get64(p + EX_UUID_LEN)) !=
            AK_OK) {
            ex_index_clear(idx);
            rc = AK_ERR_NOMEM;
            goto done;
        }
    }
    if (clen > 0) {
        *cookie = malloc(clen + 1);
        if (*cookie == NULL) {
            ex_index_clear(idx);
            rc = AK_ERR_NOMEM;
            goto done;
        }
        memcpy(*cookie, buf + HEAD_LEN, clen);
        (*cookie)[clen] = '\0';
        *cookie_len = clen;
    }
    rc = AK_OK;
done:
    free(buf);
    return rc;
}
