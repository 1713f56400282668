/* SPDX-License-Identifier: BSD-3-Clause */
/* status.c - the status file: what the daemon tracks, for --status */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ak_status.h"
#include "ak_time.h"
#include "ex.h"

static void utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t <= 0 || gmtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "-");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Written after every pass: temp file, fsync, rename, so a reader never
 * sees half of it. A failure is logged and changes nothing else. */
void ex_status_write(const struct ex *e, const char *mode)
{
    char path[4096], tmp[4112], last[40], next[40];
    FILE *f;
    int fd;

    if (e->dry_run)
        return;
    snprintf(path, sizeof(path), "%s/status", e->cfg->notice_state_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        ak_log_errno(&e->log, LOG_WARNING, "%s", tmp);
        if (fd >= 0)
            close(fd);
        return;
    }
    utc(e->last_pass, last, sizeof(last));
    utc(e->next_due, next, sizeof(next));
    fprintf(f,
            "mode: %s\nlast complete pass: %s\nnext due notice: %s\n"
            "holders: %u\nkeys: %u\nsent: %u\ndeferred: %u\nfailed: %u\n"
            "skipped: %u\nlost to another daemon: %u\n",
            mode, last, next, e->st.holders, e->st.keys, e->st.sent,
            e->st.deferred, e->st.failed, e->st.skipped, e->st.lost);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        ak_log_errno(&e->log, LOG_WARNING, "%s", tmp);
        fclose(f);
        unlink(tmp);
        return;
    }
    fclose(f);
    if (rename(tmp, path) != 0)
        ak_log_errno(&e->log, LOG_WARNING, "%s", path);
}

int ex_status_print(const struct ak_config *cfg)
{
    char path[4096], buf[4096];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/status", cfg->notice_state_dir);
    f = fopen(path, "re");
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
