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
#include "testhook.h"

static void utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t <= 0 || gmtime_r(&t, &tm) == NULL)
        snprintf(buf, len, "-");
    else
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void add(struct ex_stats *to, const struct ex_stats *st)
{
    to->sent += st->sent;
    to->deferred += st->deferred;
    to->failed += st->failed;
    to->skipped += st->skipped;
    to->lost += st->lost;
}

void ex_stats_begin(struct ex *e)
{
    add(&e->total, &e->st);
    memset(&e->st, 0, sizeof(e->st));
}

void ex_pass_seen(struct ex *e)
{
    e->pass_complete = true;
    e->last_pass = ex_now();
    e->seen_holders = e->st.holders;
    e->seen_keys = e->st.keys;
}

/* The first entries set aside, one line each ("set aside entry: DN:
 * why"), after the n bytes of text, as many as fit whole: the admin
 * reading --status learns which, the log says the rest. Returns the new
 * length. */
#define EX_STATUS_ASIDE_LINES 5

static int aside_lines(const struct ex *e, char *text, size_t size, int n)
{
    for (size_t i = 0; n > 0 && (size_t)n < size && i < e->aside.n &&
                       i < EX_STATUS_ASIDE_LINES;
         i++) {
        const struct ex_aside_entry *a = &e->aside.v[i];
        char q[512];
        int k = snprintf(
            text + n, size - (size_t)n, "set aside entry: %s: %s\n",
            ak_log_quote(q, sizeof(q), a->dn, (unsigned)strlen(a->dn)), a->why);
        if (k < 0 || (size_t)k >= size - (size_t)n) {
            text[n] = '\0'; /* the line that does not fit goes */
            break;
        }
        n += k;
    }
    return n;
}

/* Replaced whole (ex_write_atomic), so a reader never sees half of it,
 * and only when it changed (syncrepl mode looks after every batch). The
 * counts are since the daemon started: in syncrepl mode notices go out
 * between passes, and a pass that finds nothing due would otherwise hide
 * what the one before sent. A failure is logged and changes nothing else. */
void ex_status_write(struct ex *e)
{
    char path[4096], text[sizeof(e->status)], start[40], last[40], next[40];
    struct ex_stats t = e->total;
    int n;

    if (e->dry_run)
        return;
    add(&t, &e->st);
    snprintf(path, sizeof(path), "%s/status", e->cfg->notice_state_dir);
    utc(e->started, start, sizeof(start));
    utc(e->last_pass, last, sizeof(last));
    utc(e->next_due, next, sizeof(next));
    n = snprintf(text, sizeof(text),
                 "mode: %s\nstarted: %s\nlast complete pass: %s\n"
                 "next due notice: %s\nholders: %u\nkeys: %u\n"
                 "sent: %u\ndeferred: %u\nfailed: %u\nskipped: %u\n"
                 "lost to another daemon: %u\nset aside: %zu\n",
                 e->mode ? e->mode : "scan", start, last, next, e->seen_holders,
                 e->seen_keys, t.sent, t.deferred, t.failed, t.skipped, t.lost,
                 e->aside.n);
    n = aside_lines(e, text, sizeof(text), n);
    if (n <= 0 || (size_t)n >= sizeof(text) || strcmp(text, e->status) == 0)
        return;
    if (ex_write_atomic(path, text, (size_t)n, 0644, "status file", &e->log) ==
        AK_OK)
        memcpy(e->status, text, (size_t)n + 1);
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
