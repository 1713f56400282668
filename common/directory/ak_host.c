/* SPDX-License-Identifier: BSD-3-Clause */
/* ak_host.c - one shared, reference-counted apikey.conf + directory pool */
#include "ak_host.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ak_build.h"
#include "ak_status.h"

/*
 * One loaded apikey.conf and its directory handle. Reference counted so a
 * reload never frees a pool another thread is using.
 */
struct ak_host {
    char *path; /* as configured; NULL for the compiled-in default */
    struct ak_config *cfg;
    struct ak_dir *dir;
    struct stat st; /* the file as it was when read, to notice edits */
    bool have_st;
    unsigned refs; /* 1 while current + 1 per user */
};

/*
 * Process-wide state. A plain pthread mutex, not a host's mutex hooks:
 * libsasl2 hands out no-op mutexes to hosts that never call
 * sasl_set_mutex.
 */
static struct {
    pthread_mutex_t lock;
    struct ak_host *cur;
    time_t checked; /* CLOCK_MONOTONIC seconds of the last stat */
} g = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

static const char *file_of(const char *path)
{
    return path ? path : AK_DEFAULT_CONF;
}

static void host_free(struct ak_host *h)
{
    if (h == NULL)
        return;
    ak_dir_close(h->dir);
    ak_config_free(h->cfg);
    free(h->path);
    free(h);
}

/* Called with g.lock held. */
static void unref(struct ak_host *h)
{
    if (h != NULL && --h->refs == 0)
        host_free(h);
}

static bool same_path(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Any difference in identity or times counts, so an edit within the same
 * second, or a file replaced by rename, is still seen. */
static bool file_changed(const struct ak_host *h)
{
    struct stat st;

    if (stat(file_of(h->path), &st) != 0)
        return h->have_st;
    return !h->have_st || st.st_dev != h->st.st_dev ||
           st.st_ino != h->st.st_ino || st.st_size != h->st.st_size ||
           st.st_mtim.tv_sec != h->st.st_mtim.tv_sec ||
           st.st_mtim.tv_nsec != h->st.st_mtim.tv_nsec ||
           st.st_ctim.tv_sec != h->st.st_ctim.tv_sec ||
           st.st_ctim.tv_nsec != h->st.st_ctim.tv_nsec;
}

/* Read the configuration and open its directory handle (no connection
 * is made here: the pool connects on first use). */
static int load(const char *path, const struct ak_log *log,
                struct ak_host **out)
{
    struct ak_host *h = calloc(1, sizeof(*h));
    char q[256];
    int rc;

    if (h == NULL)
        return AK_ERR_NOMEM;
    if (path != NULL && path[0] != '/') {
        ak_log(log, LOG_ERR, "apikey_conf %s: not an absolute path",
               ak_log_quote(q, sizeof(q), path, (unsigned)strlen(path)));
        rc = AK_ERR_CONFIG;
        goto fail;
    }
    if (path != NULL && (h->path = strdup(path)) == NULL) {
        rc = AK_ERR_NOMEM;
        goto fail;
    }
    /* stat before reading: an edit racing the read is seen next time. */
    h->have_st = stat(file_of(path), &h->st) == 0;
    rc = ak_config_load(&h->cfg, path, log);
    if (rc != AK_OK)
        goto fail;
    rc = ak_dir_open(&h->dir, h->cfg, log);
    if (rc != AK_OK)
        goto fail;
    h->refs = 1;
    *out = h;
    return AK_OK;
fail:
    host_free(h);
    return rc;
}

/* Whether the current handle h still serves path at now; logs why not.
 * Called with g.lock held. */
static bool still_current(const struct ak_host *h, const char *path, time_t now,
                          const struct ak_log *log)
{
    if (!same_path(h->path, path)) {
        ak_log(log, LOG_INFO, "apikey_conf changed; loading %s", file_of(path));
        return false;
    }
    if (now - g.checked < AK_HOST_CHECK_SECS)
        return true;
    g.checked = now;
    if (file_changed(h)) {
        ak_log(log, LOG_INFO, "%s changed; reloading it", file_of(h->path));
        return false;
    }
    return true;
}

int ak_host_acquire(const char *path, const struct ak_log *log,
                    struct ak_host **out)
{
    struct timespec now;
    struct ak_host *h;
    int rc = AK_OK;

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&g.lock);
    h = g.cur;
    if (h != NULL && !still_current(h, path, now.tv_sec, log))
        h = NULL;
    if (h == NULL) {
        /* fail closed: a failed load leaves no current handle, so the
         * next call tries again */
        rc = load(path, log, &h);
        unref(g.cur);
        g.cur = rc == AK_OK ? h : NULL;
        g.checked = now.tv_sec;
    }
    if (rc == AK_OK) {
        h->refs++;
        *out = h;
    }
    pthread_mutex_unlock(&g.lock);
    return rc;
}

const struct ak_config *ak_host_config(const struct ak_host *h)
{
    return h->cfg;
}

struct ak_dir *ak_host_dir(const struct ak_host *h)
{
    return h->dir;
}

void ak_host_release(struct ak_host *h)
{
    pthread_mutex_lock(&g.lock);
    unref(h);
    pthread_mutex_unlock(&g.lock);
}

void ak_host_shutdown(void)
{
    pthread_mutex_lock(&g.lock);
    unref(g.cur);
    g.cur = NULL;
    pthread_mutex_unlock(&g.lock);
}
