/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_secure.c - open config and secret files only when they are safe */
#include "ak_secure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_status.h"

static int check_stat(const char *path, const struct stat *st,
                      enum ak_file_kind kind, size_t max,
                      const struct ak_log *log)
{
    if (!S_ISREG(st->st_mode)) {
        ak_log(log, LOG_ERR, "%s: not a regular file", path);
        return AK_ERR_CONFIG;
    }
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        ak_log(log, LOG_ERR, "%s: owned by uid %u, must be root or uid %u",
               path, (unsigned)st->st_uid, (unsigned)geteuid());
        return AK_ERR_CONFIG;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        ak_log(log, LOG_ERR, "%s: writable by group or others (mode %04o)",
               path, (unsigned)(st->st_mode & 07777));
        return AK_ERR_CONFIG;
    }
    if (kind == AK_FILE_SECRET && (st->st_mode & S_IROTH)) {
        ak_log(log, LOG_ERR,
               "%s: secret file is readable by others (mode %04o); "
               "use 0600 or 0640",
               path, (unsigned)(st->st_mode & 07777));
        return AK_ERR_CONFIG;
    }
    if ((unsigned long long)st->st_size > (unsigned long long)max) {
        ak_log(log, LOG_ERR, "%s: larger than %zu bytes", path, max);
        return AK_ERR_CONFIG;
    }
    return AK_OK;
}

int ak_file_read(const char *path, enum ak_file_kind kind, size_t max,
                 const struct ak_log *log, char **out, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t have = 0;
    int fd, rc;

    if (path == NULL || path[0] != '/') {
        ak_log(log, LOG_ERR, "%s: path must be absolute",
               path ? path : "(null)");
        return AK_ERR_CONFIG;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
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
    if (fstat(fd, &st) != 0) {
        ak_log_errno(log, LOG_ERR, "%s: cannot stat", path);
        rc = AK_ERR_IO;
        goto out;
    }
    rc = check_stat(path, &st, kind, max, log);
    if (rc != AK_OK)
        goto out;
    /* One byte more than allowed, so growth after fstat is noticed. */
    buf = kind == AK_FILE_SECRET ? ak_secret_alloc(max + 2) : malloc(max + 2);
    if (buf == NULL) {
        rc = AK_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + have, max + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ak_log_errno(log, LOG_ERR, "%s: read failed", path);
            rc = AK_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        if (have > max) {
            ak_log(log, LOG_ERR, "%s: larger than %zu bytes", path, max);
            rc = AK_ERR_CONFIG;
            goto out;
        }
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    buf = NULL;
    rc = AK_OK;
out:
    if (buf != NULL)
        ak_file_free(buf, max + 2, kind);
    close(fd);
    return rc;
}

/* The allocation's size sits in front of the secret, so that freeing
 * wipes and unlocks exactly what was allocated and locked. */
struct secret_head {
    size_t size;
    max_align_t align;
};

char *ak_secret_alloc(size_t size)
{
    struct secret_head *h = calloc(1, sizeof(*h) + size);

    if (h == NULL)
        return NULL;
    h->size = size;
    (void)sodium_mlock((char *)(h + 1), size); /* best effort */
    return (char *)(h + 1);
}

void ak_secret_free(char *p)
{
    struct secret_head *h;

    if (p == NULL)
        return;
    h = (struct secret_head *)(void *)p - 1;
    sodium_munlock(p, h->size); /* wipes first, whether unlocking works */
    free(h);
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
