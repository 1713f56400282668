/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_secure.c - open config and secret files only when they are safe;
 * memory for secrets */
#include "ak_secure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_status.h"

enum ak_file_fault ak_file_rule(const struct stat *st, enum ak_file_kind kind,
                                uid_t reader)
{
    if (!S_ISREG(st->st_mode))
        return AK_FILE_NOT_REGULAR;
    if (st->st_uid != 0 && st->st_uid != reader)
        return AK_FILE_BAD_OWNER;
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return AK_FILE_WRITABLE;
    if (kind == AK_FILE_SECRET && (st->st_mode & S_IROTH))
        return AK_FILE_OTHERS_READ;
    return AK_FILE_FINE;
}

const char *ak_file_type_str(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

int ak_file_type_check(const char *what, const char *path, bool want_dir,
                       const struct ak_log *log)
{
    struct stat st;

    if (path == NULL || stat(path, &st) != 0)
        return AK_OK; /* the library says what is wrong with it */
    if (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
        return AK_OK;
    ak_log(log, LOG_ERR, "%s %s: is %s, not a %s", what, path,
           ak_file_type_str(st.st_mode),
           want_dir ? "directory" : "regular file");
    return AK_ERR_CONFIG;
}

/* An unsafe file is a configuration fault (AK_ERR_CONFIG: an admin fixes
 * its owner or mode), never AK_ERR_DENIED, which is a refusal by policy or
 * by the directory's access control (ak_status.c says where each lands). */
static int check_stat(const char *path, const struct stat *st,
                      enum ak_file_kind kind, size_t max,
                      const struct ak_log *log)
{
    unsigned mode = (unsigned)(st->st_mode & 07777);

    switch (ak_file_rule(st, kind, geteuid())) {
    case AK_FILE_NOT_REGULAR:
        ak_log(log, LOG_ERR, "%s: is %s, not a regular file", path,
               ak_file_type_str(st->st_mode));
        return AK_ERR_CONFIG;
    case AK_FILE_BAD_OWNER:
        ak_log(log, LOG_ERR, "%s: owned by uid %u, must be root or uid %u",
               path, (unsigned)st->st_uid, (unsigned)geteuid());
        return AK_ERR_CONFIG;
    case AK_FILE_WRITABLE:
        ak_log(log, LOG_ERR, "%s: writable by group or others (mode %04o)",
               path, mode);
        return AK_ERR_CONFIG;
    case AK_FILE_OTHERS_READ:
        ak_log(log, LOG_ERR,
               "%s: secret file is readable by others (mode %04o); "
               "use 0600 or 0640",
               path, mode);
        return AK_ERR_CONFIG;
    case AK_FILE_FINE:
        break;
    }
    if ((unsigned long long)st->st_size > (unsigned long long)max) {
        ak_log(log, LOG_ERR, "%s: larger than %zu bytes", path, max);
        return AK_ERR_CONFIG;
    }
    return AK_OK;
}

/* A missing path or one we may not look at, said once for both the look
 * and the open. */
static int open_failed(const char *path, const struct ak_log *log)
{
    if (errno == ENOENT) {
        ak_log(log, LOG_ERR, "%s: no such file", path);
        return AK_ERR_NOT_FOUND;
    }
    if (errno == ELOOP) {
        ak_log(log, LOG_ERR, "%s: is a symbolic link, refused", path);
        return AK_ERR_CONFIG;
    }
    ak_log_errno(log, LOG_ERR, "%s: cannot open", path);
    return AK_ERR_IO;
}

/*
 * Open path for reading without following a symbolic link, and check
 * what the descriptor is (fstat, not stat: no race with a swapped file).
 * On AK_OK *fd is open and the caller closes it; otherwise it is closed.
 *
 * Only a regular file is ever opened: opening a FIFO blocks until someone
 * writes to it (a PAM login, a SASL bind, the daemon would hang for good),
 * and opening a device can act on it (a tape rewinds, a watchdog arms).
 * So the name is looked at first (lstat), and the open is O_NONBLOCK in
 * case the name was swapped for a FIFO in between: it then returns at
 * once and fstat refuses it. O_NONBLOCK changes nothing for reading a
 * regular file.
 */
static int open_checked(const char *path, enum ak_file_kind kind, size_t max,
                        const struct ak_log *log, int *fd)
{
    struct stat st;
    int rc;

    if (path == NULL || path[0] != '/') {
        ak_log(log, LOG_ERR, "%s: path must be absolute",
               path ? path : "(null)");
        return AK_ERR_CONFIG;
    }
    if (lstat(path, &st) != 0)
        return open_failed(path, log);
    if (S_ISLNK(st.st_mode)) {
        errno = ELOOP;
        return open_failed(path, log);
    }
    if (!S_ISREG(st.st_mode))
        return check_stat(path, &st, kind, max, log);
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0)
        return open_failed(path, log);
    if (fstat(*fd, &st) != 0) {
        ak_log_errno(log, LOG_ERR, "%s: cannot stat", path);
        rc = AK_ERR_IO;
    } else {
        rc = check_stat(path, &st, kind, max, log);
    }
    if (rc != AK_OK)
        close(*fd);
    return rc;
}

/*
 * Read fd to its end into buf (max + 2 bytes). It reads up to one byte
 * more than max, so that a file grown since fstat is refused, not cut.
 */
static int read_capped(int fd, const char *path, size_t max,
                       const struct ak_log *log, char *buf, size_t *have)
{
    *have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + *have, max + 1 - *have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ak_log_errno(log, LOG_ERR, "%s: read failed", path);
            return AK_ERR_IO;
        }
        if (n == 0)
            break;
        *have += (size_t)n;
        if (*have > max) {
            ak_log(log, LOG_ERR, "%s: larger than %zu bytes", path, max);
            return AK_ERR_CONFIG;
        }
    }
    buf[*have] = '\0';
    return AK_OK;
}

int ak_file_read(const char *path, enum ak_file_kind kind, size_t max,
                 const struct ak_log *log, char **out, size_t *len)
{
    char *buf;
    size_t have = 0;
    int fd = -1, rc;

    rc = open_checked(path, kind, max, log, &fd);
    if (rc != AK_OK)
        return rc;
    buf = kind == AK_FILE_SECRET ? ak_secret_alloc(max + 2) : malloc(max + 2);
    if (buf == NULL) {
        rc = AK_ERR_NOMEM;
        goto out;
    }
    rc = read_capped(fd, path, max, log, buf, &have);
    if (rc != AK_OK) {
        ak_file_free(buf, max + 2, kind);
        goto out;
    }
    *out = buf;
    *len = have;
out:
    close(fd);
    return rc;
}

/*
 * One secret, one private anonymous mapping: a head page holding the
 * mapping's length, then the secret from a page boundary, rounded up to
 * whole pages. Nothing else shares those pages, so the whole mapping can be
 * excluded from core dumps (MADV_DONTDUMP needs page-aligned ranges) and
 * locked, and unmapping it unlocks nothing of anyone else's, as munlock on
 * a page shared with heap neighbours did.
 */
struct secret_head {
    size_t map_len;  /* head page + data pages */
    size_t size;     /* what the caller asked for */
    uintptr_t check; /* map_len ^ size ^ address: a stray write is noticed */
};

static size_t page_size(void)
{
    long page = sysconf(_SC_PAGESIZE);

    return page > 0 ? (size_t)page : 4096;
}

static uintptr_t head_check(const struct secret_head *h)
{
    return (uintptr_t)h->map_len ^ (uintptr_t)h->size ^ (uintptr_t)h ^
           (uintptr_t)0x5ec2e7a1UL;
}

char *ak_secret_alloc(size_t size)
{
    size_t page = page_size(), len;
    struct secret_head *h;
    void *map;

    if (size > SIZE_MAX - 2 * page) {
        errno = ENOMEM;
        return NULL;
    }
    len = page + (size == 0 ? page : (size + page - 1) / page * page);
    /* MAP_LOCKED locks and populates in the one call; over RLIMIT_MEMLOCK
     * it fails (EAGAIN) and the secret goes unlocked, as best effort: it
     * is still wiped and kept out of core dumps. */
#ifdef MAP_LOCKED
    map = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    if (map == MAP_FAILED)
#endif
        map = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
#ifndef MAP_LOCKED
    (void)mlock(map, len);
#endif
#ifdef MADV_DONTDUMP
    /* Linux >= 3.4; it only fails on a misaligned range, which this is not.
     * The flag is inherited across fork, the lock is not (fork(2)). */
    (void)madvise(map, len, MADV_DONTDUMP);
#elif defined(MADV_NOCORE)
    (void)madvise(map, len, MADV_NOCORE); /* the BSDs */
#endif
    h = map;
    h->map_len = len;
    h->size = size;
    h->check = head_check(h);
    return (char *)map + page;
}

void ak_secret_free(char *p)
{
    struct secret_head *h;
    size_t len, page;

    if (p == NULL)
        return;
    page = page_size();
    h = (struct secret_head *)(void *)(p - page);
    len = h->map_len;
    if (h->check != head_check(h) || len < 2 * page || len % page != 0 ||
        h->size > len - page) {
        /* The head was overwritten: wipe what is surely ours (one data
         * page) and leak the rest rather than unmap a guessed length. */
        sodium_memzero(p, page);
        return;
    }
    /* Wiped while still locked; munmap drops the lock with the pages
     * (munlock(2)), so no separate munlock call. */
    sodium_memzero(h, len);
    (void)munmap(h, len);
}

void ak_file_free(char *buf, size_t len, enum ak_file_kind kind)
{
    if (buf == NULL)
        return;
    if (kind == AK_FILE_SECRET) {
        ak_secret_free(buf);
        return;
    }
    sodium_memzero(buf, len);
    free(buf);
}
