/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - apikey-expiryd: expiry notices for API keys kept in LDAP */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ak_build.h"
#include "ak_hash.h"
#include "ak_path.h"
#include "ak_status.h"
#include "ex.h"
#include "testhook.h"
#include "sync.h"

volatile sig_atomic_t ex_stop, ex_reload;

static void on_stop(int sig)
{
    (void)sig;
    ex_stop = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    ex_reload = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: apikey-expiryd [OPTIONS]\n"
            "\n"
            "Send the expiry notices of API keys kept in LDAP: to each key's\n"
            "owner (a service user's responsible people) and the policy's\n"
            "admin recipients, the policy's number of days before a key\n"
            "expires and once when it has expired. Each notice once, across\n"
            "restarts and several daemons (apikey-expiryd(8)).\n"
            "\n"
            "  -c, --config FILE  configuration file (default %s)\n"
            "      --once         one pass, then exit (cron, systemd timer)\n"
            "      --dry-run      print what would be sent; claim and send "
            "nothing\n"
            "      --status       say what the running daemon tracks\n"
            "  -v, --verbose      log more (twice: debug)\n"
            "  -h, --help         show this help\n"
            "  -V, --version      show the version\n",
            AK_DEFAULT_CONF);
}

/* Set when stderr is the journal's stream (systemd's JOURNAL_STREAM names
 * its device and inode): then each line starts with its priority, "<3>"
 * for an error (sd-daemon(3)), and the journal files it at that level. */
static bool to_journal;

static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char end;

    return js != NULL && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
           fstat(STDERR_FILENO, &st) == 0 &&
           (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

static void log_stderr(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    if (to_journal)
        fprintf(stderr, "<%d>%s\n", prio & LOG_PRIMASK, msg);
    else
        fprintf(stderr, "apikey-expiryd: %s\n", msg);
}

/* The command line into e; -1 when it only asked for help or version. */
static int parse_args(int argc, char **argv, struct ex *e, bool *status)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, 'o'},
        {"dry-run", no_argument, NULL, 'n'},
        {"status", no_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "c:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': /* from where it is typed, as apikey -c (SIGHUP
                     re-reads the same file whatever the cwd then) */
            free(e->conf_own);
            if (ak_path_absolute(optarg, &e->conf_own, &e->conf_path) !=
                AK_OK) {
                fprintf(stderr, "apikey-expiryd: -c %s: %s\n", optarg,
                        optarg[0] ? strerror(errno) : "give a file name");
                return EX_EXIT_USAGE;
            }
            break;
        case 'o':
            e->once = true;
            break;
        case 'n':
            e->dry_run = e->once = true; /* a dry run is one pass */
            break;
        case 's':
            *status = true;
            break;
        case 'v':
            e->log.debug = e->verbose;
            e->verbose = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("apikey-expiryd %s\n", AK_VERSION);
            return -1;
        default:
            usage(stderr);
            return EX_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "apikey-expiryd: unexpected argument '%s'\n",
                argv[optind]);
        return EX_EXIT_USAGE;
    }
    return EX_EXIT_OK;
}

static int exit_for(int rc)
{
    switch (ak_status_class(rc)) {
    case AK_CLASS_OK:
        return EX_EXIT_OK;
    case AK_CLASS_LOCAL_CONFIG:
        return EX_EXIT_CONFIG;
    case AK_CLASS_UNAVAILABLE:
        return EX_EXIT_UNAVAILABLE;
    default:
        return EX_EXIT_INTERNAL;
    }
}

/* A pass the server answered but ended early (a size or time limit, an
 * access rule, an answer it could not read) is incomplete, as one whose
 * notices were deferred: not an internal error of ours. */
static int exit_for_pass(int rc)
{
    switch (ak_status_class(rc)) {
    case AK_CLASS_DENIED:
    case AK_CLASS_INVALID:
    case AK_CLASS_BAD_INPUT:
    case AK_CLASS_NOT_FOUND:
    case AK_CLASS_CONFLICT:
        return EX_EXIT_INCOMPLETE;
    default:
        return exit_for(rc);
    }
}

/* (Re)load the configuration and reopen the pools; the old ones stay when
 * the new file is bad (a daemon keeps running on its last good config). */
static int load(struct ex *e)
{
    struct ex fresh = *e;
    int rc;

    fresh.cfg = NULL;
    fresh.rd = fresh.wr = fresh.ps = NULL;
    rc = ak_config_load(&fresh.cfg, e->conf_path, &e->log);
    if (rc == AK_OK && fresh.cfg->notice_from == NULL && !e->dry_run) {
        ak_log(&e->log, LOG_ERR, "%s: notice_from is required",
               fresh.cfg->path);
        rc = AK_ERR_CONFIG;
    }
    if (rc == AK_OK && fresh.cfg->notice_cleanup_days > 0 &&
        fresh.cfg->notice_cleanup_days < fresh.cfg->notice_expired_days) {
        ak_log(&e->log, LOG_ERR,
               "%s: notice_cleanup_days %u is shorter than "
               "notice_expired_days %u: a key's \"has expired\" notice "
               "would fall due again once its values were removed",
               fresh.cfg->path, fresh.cfg->notice_cleanup_days,
               fresh.cfg->notice_expired_days);
        rc = AK_ERR_CONFIG;
    }
    if (rc == AK_OK)
        rc = ex_open(&fresh);
    if (rc != AK_OK) {
        ex_close(&fresh);
        ak_config_free(fresh.cfg);
        return rc;
    }
    ex_close(e);
    ak_config_free(e->cfg);
    e->cfg = fresh.cfg;
    e->rd = fresh.rd;
    e->ps = fresh.ps;
    e->wr = fresh.wr;
    e->log.debug = e->log.debug || e->cfg->debug;
    ex_templates_load(e);
    ex_check_providers(e);
    return AK_OK;
}

/* Sleep until the next due notice, the next scan, or a signal. The scan
 * interval is measured on CLOCK_MONOTONIC, so a step of the wall clock
 * neither brings a scan early nor keeps it away. The due moment is a
 * wall-clock (UTC) moment, so it is looked at again every second: a step
 * forward past it (or a suspend longer than the wait) is noticed within a
 * second, not after the rest of an interval computed before the step. */
static void wait_next(const struct ex *e)
{
    struct timespec start, now;
    long long wait = e->cfg->notice_interval;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ex_stop || ex_reload || now.tv_sec - start.tv_sec >= wait ||
            (e->next_due > 0 && ex_now() >= e->next_due))
            return;
        (void)poll(NULL, 0, 1000); /* signals interrupt it */
    }
}

/* Reload the configuration after SIGHUP; the last good one stays. */
static void reload(struct ex *e)
{
    ex_reload = 0;
    if (load(e) == AK_OK)
        ak_log(&e->log, LOG_NOTICE, "configuration reloaded");
    else
        ak_log(&e->log, LOG_ERR,
               "configuration not reloaded; keeping the last good one");
}

/* The daemon: syncrepl where the server offers it, else a scan every
 * notice_interval and whenever a tracked notice falls due. */
static int daemon_loop(struct ex *e)
{
    bool scanning = false;

    while (!ex_stop) {
        e->mode = scanning ? "scan" : "syncrepl";
        if (!scanning && ex_run_sync(e) == EX_SYNC_UNSUPPORTED) {
            ak_log(&e->log, LOG_NOTICE,
                   "the server offers no syncrepl for %s: scanning every %u "
                   "s instead",
                   e->cfg->search_base, e->cfg->notice_interval);
            scanning = true;
        }
        if (scanning) {
            e->mode = "scan";
            (void)ex_pass(e);
            wait_next(e);
        }
        if (ex_reload) {
            reload(e);
            scanning = false; /* the new config may name other servers */
        }
    }
    ak_log(&e->log, LOG_NOTICE, "stopping");
    return EX_EXIT_OK;
}

static int run(struct ex *e)
{
    int rc;

    if (!e->once)
        return daemon_loop(e);
    rc = ex_pass(e);
    if (rc != AK_OK)
        return exit_for_pass(rc);
    /* an entry set aside got no notices: the run did not do everything */
    return e->st.deferred == 0 && e->st.failed == 0 && e->st.postponed == 0 &&
                   e->st.left == 0 && e->aside.n == 0
               ? EX_EXIT_OK
               : EX_EXIT_INCOMPLETE;
}

static void signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* After the command line: --status, or the daemon (or one pass). */
static int start(struct ex *e, bool status)
{
    int rc;

    if (ak_crypto_init() != AK_OK)
        return EX_EXIT_INTERNAL;
    if (gethostname(e->host, sizeof(e->host) - 1) != 0 || e->host[0] == '\0')
        snprintf(e->host, sizeof(e->host), "localhost");
    signals();
    if (status) {
        struct ak_config *cfg = NULL;
        rc = ak_config_load(&cfg, e->conf_path, &e->log);
        if (rc != AK_OK)
            return exit_for(rc);
        rc = ex_status_print(cfg);
        ak_config_free(cfg);
        return rc;
    }
    rc = load(e);
    if (rc != AK_OK)
        return exit_for(rc);
    e->started = ex_now();
    ak_log(&e->log, LOG_INFO, "started%s%s", e->once ? " (one pass)" : "",
           e->dry_run ? " (dry run)" : "");
    rc = run(e);
    ex_close(e);
    ex_templates_free(e);
    ak_policy_entry_free(&e->pol);
    ex_aside_free(&e->aside);
    ak_config_free(e->cfg);
    return rc;
}

int main(int argc, char **argv)
{
    struct ex e = {.log = {.sink = log_stderr}};
    bool status = false;
    int rc;

    to_journal = stderr_is_journal();
    rc = parse_args(argc, argv, &e, &status);
    if (rc == EX_EXIT_OK)
        rc = start(&e, status);
    free(e.conf_own);
    return rc < 0 ? EX_EXIT_OK : rc;
}
