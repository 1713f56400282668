/* SPDX-License-Identifier: BSD-3-Clause */
/* status.c - the status file: what the daemon tracks, for --status */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ak_secure.h"
#include "ak_status.h"
#include "ak_time.h"
#include "atomic.h"
#include "ex.h"

static void utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t <= 0 || gmtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "-");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Written after every pass, replaced whole (ex_write_atomic), so a reader
 * never sees half of it. A failure is logged and changes nothing else. */
void ex_status_write(const struct ex *e, const char *mode)
{
    char path[4096], text[1024], last[40], next[40];
    int n;

    if (e->dry_run)
        return;
    snprintf(path, sizeof(path), "%s/status", e->cfg->notice_state_dir);
    utc(e->last_pass, last, sizeof(last));
    utc(e->next_due, next, sizeof(next));
    n = snprintf(text, sizeof(text),
                 "mode: %s\nlast complete pass: %s\nnext due notice: %s\n"
                 "holders: %u\nkeys: %u\nsent: %u\ndeferred: %u\n"
                 "failed: %u\nskipped: %u\nlost to another daemon: %u\n",
                 mode, last, next, e->st.holders, e->st.keys, e->st.sent,
                 e->st.deferred, e->st.failed, e->st.skipped, e->st.lost);
    if (n > 0 && (size_t)n < sizeof(text))
        (void)ex_write_atomic(path, text, (size_t)n, 0644, "status file",
                              &e->log);
}

int ex_status_print(const struct ak_config *cfg)
{
    char path[4096], buf[4096];
    struct stat st;
    size_t n;
    FILE *f = NULL;
    int fd;

    snprintf(path, sizeof(path), "%s/status", cfg->notice_state_dir);
    /* O_NONBLOCK: a FIFO in its place must not hang --status */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "apikey-expiryd: %s: is %s, not a regular file\n", path,
                ak_file_type_str(st.st_mode));
        close(fd);
        return EX_EXIT_UNAVAILABLE;
    }
    if (fd >= 0 && (f = fdopen(fd, "r")) == NULL)
        close(fd);
    if (f == NULL) {
        fprintf(stderr,
                "apikey-expiryd: %s: %s (has the daemon run a pass yet?)\n",
                path, strerror(errno));
        return EX_EXIT_UNAVAILABLE;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return EX_EXIT_OK;
}
