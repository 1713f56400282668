/* SPDX-License-Identifier: BSD-3-Clause */
/* atomic.c - replace a file whole (temp, fsync, rename, fsync dir) */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ak_status.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The directory of path (malloc): "." when path has no slash. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int ex_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                    const char *what, const struct ak_log *log)
{
    char *tmp = malloc(strlen(path) + 32);
    char *dir = dir_of(path);
    int rc = AK_ERR_NOMEM, fd = -1, dfd = -1;

    if (tmp == NULL || dir == NULL)
        goto done;
    rc = AK_ERR_IO;
    snprintf(tmp, strlen(path) + 32, "%s.tmp.%ld", path, (long)getpid());
    (void)unlink(tmp); /* a leftover of a crashed run of this pid */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        ak_log_errno(log, LOG_ERR, "%s: cannot create %s", what, tmp);
        goto done;
    }
    if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
        ak_log_errno(log, LOG_ERR, "%s: cannot write %s", what, tmp);
        goto unlink;
    }
    if (close(fd) != 0) {
        fd = -1;
        ak_log_errno(log, LOG_ERR, "%s: cannot write %s", what, tmp);
        goto unlink;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        ak_log_errno(log, LOG_ERR, "%s: cannot rename %s to %s", what, tmp,
                     path);
        goto unlink;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        /* the new file is in place; only its durability is in doubt */
        ak_log_errno(log, LOG_ERR, "%s: cannot sync directory %s", what, dir);
        goto done;
    }
    rc = AK_OK;
    goto done;
unlink:
    (void)unlink(tmp);
done:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(tmp);
    free(dir);
    return rc;
}
