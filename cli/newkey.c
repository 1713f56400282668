/* SPDX-License-Identifier: BSD-3-Clause */
/* newkey.c - a new key: options, expiry under the policy, showing it once
 * (on standard output or into a new file) */
#include "newkey.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_key.h"
#include "ak_status.h"
#include "when.h"

#define NEWKEY_NOT_A_DATE                                                      \
    "not a date (use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z or +DAYSd)"

void newkey_opts_init(struct newkey_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->days = -1;
}

/* One --scope LIST, added to the services of the ones before it: a
 * repeated --scope adds, as --scope a,b would. */
static int parse_scope(const char *list, struct ak_record *r)
{
    char buf[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
    char *save = NULL;
    unsigned before = r->n_scopes;

    if (strlen(list) >= sizeof(buf)) {
        cli_err("--scope: too many services");
        return EXIT_USAGE;
    }
    memcpy(buf, list, strlen(list) + 1);
    for (char *s = strtok_r(buf, ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        if (!ak_service_name_valid(s, strlen(s))) {
            cli_err("--scope: '%s' is not a service name (1-%d of a-z 0-9 "
                    ". _ -)",
                    s, AK_SERVICE_MAX);
            return EXIT_USAGE;
        }
        if (r->n_scopes >= AK_SCOPE_MAX) {
            cli_err("--scope: at most %d services", AK_SCOPE_MAX);
            return EXIT_USAGE;
        }
        for (unsigned k = 0; k < r->n_scopes; k++)
            if (strcmp(r->scopes[k], s) == 0) {
                cli_err("--scope: '%s' given twice", s);
                return EXIT_USAGE;
            }
        strcpy(r->scopes[r->n_scopes++], s);
    }
    if (r->n_scopes == before) {
        cli_err("--scope: empty list");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int newkey_opt(struct newkey_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'd':
        if (when_parse_days(arg, 1, 36500, &o->days) != AK_OK) {
            cli_err("--days '%s': give a number of days from 1 to 36500", arg);
            return EXIT_USAGE;
        }
        o->n_expiry_opts++;
        return EXIT_OK;
    case 'e': {
        /* Checked here, before any password prompt or connection; the
         * time itself is taken once the policy is known (newkey_expiry). */
        time_t t;
        if (when_parse_date(arg, time(NULL), &t) != AK_OK) {
            cli_err("--expires '%s': " NEWKEY_NOT_A_DATE, arg);
            return EXIT_USAGE;
        }
        o->expires = arg;
        o->n_expiry_opts++;
        return EXIT_OK;
    }
    case 'n':
        o->no_expiry = true;
        o->n_expiry_opts++;
        return EXIT_OK;
    case 'l': {
        char why[96];
        if (!ak_label_check(arg, strlen(arg), why, sizeof(why))) {
            cli_err("--label: %s", why);
            return EXIT_USAGE;
        }
        o->label = arg;
        return EXIT_OK;
    }
    case 's':
        o->has_scope = true;
        return parse_scope(arg, &o->scope_rec);
    case 'o':
        if (arg[0] == '\0') {
            cli_err("--output: give a file name");
            return EXIT_USAGE;
        }
        o->output = arg;
        return EXIT_OK;
    default:
        return EXIT_USAGE;
    }
}

int newkey_check(const struct newkey_opts *o)
{
    if (o->n_expiry_opts > 1) {
        cli_err("give only one of --days, --expires and --no-expiry");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int newkey_expiry(const struct newkey_opts *o, const struct ak_policy *pol,
                  time_t now, time_t default_seconds, struct ak_record *r)
{
    char why[256];

    r->has_expires = false;
    if (o->expires != NULL) {
        if (when_parse_date(o->expires, now, &r->expires) != AK_OK) {
            cli_err("--expires '%s': " NEWKEY_NOT_A_DATE, o->expires);
            return EXIT_USAGE;
        }
        r->has_expires = true;
    } else if (o->days > 0) {
        r->expires = now + (time_t)o->days * 86400;
        r->has_expires = true;
    } else if (!o->no_expiry) {
        time_t span = default_seconds > 0 ? default_seconds
                                          : (time_t)NEWKEY_DEFAULT_DAYS * 86400;
        if (pol->max_lifetime_days > 0 &&
            (time_t)pol->max_lifetime_days * 86400 < span)
            span = (time_t)pol->max_lifetime_days * 86400;
        r->expires = now + span;
        r->has_expires = true;
    }
    if (ak_policy_check_new(pol, now, r->has_expires, r->expires, why,
                            sizeof(why)) != AK_OK) {
        cli_err("refused: %s", why);
        return EXIT_DENIED;
    }
    return EXIT_OK;
}

int newkey_make(struct cli *cli, time_t now, struct ak_record *r, char **key,
                char record[AK_RECORD_MAX + 1])
{
    struct ak_key parsed;

    *key = sodium_malloc(AK_KEY_MAX_LEN + 1);
    if (*key == NULL || ak_key_generate(cli->cfg->key_prefix, *key,
                                        AK_KEY_MAX_LEN + 1, &parsed) != AK_OK) {
        cli_err("cannot generate a key");
        return EXIT_INTERNAL;
    }
    memcpy(r->id, parsed.id, sizeof(r->id));
    r->created = now;
    ak_hash_new_salt(r->salt);
    if (ak_hash_compute(r->digest, *key, strlen(*key), r->salt) != AK_OK ||
        ak_record_format(r, record, AK_RECORD_MAX + 1) != AK_OK) {
        cli_err("cannot build the key record");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* An existing FILE: say what it is and that it stays as it was. */
static void refuse_existing(const char *path)
{
    struct stat st;

    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        cli_err("--output %s: is a symbolic link, refused: a key is only "
                "written to a new file (no key was made)",
                path);
    else
        cli_err("--output %s: already exists; it is never overwritten: "
                "remove it or name a new file (no key was made)",
                path);
}

/* A key printed into a file others can read stays there for them. Pipes,
 * sockets and character devices (a terminal, /dev/null) keep nothing. */
static void warn_readable_stdout(void)
{
    struct stat st;
    char why[64];

    if (fstat(STDOUT_FILENO, &st) != 0 || S_ISFIFO(st.st_mode) ||
        S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode))
        return;
    if (st.st_uid != geteuid())
        snprintf(why, sizeof(why), "is owned by uid %u", (unsigned)st.st_uid);
    else if (st.st_mode & (S_IRGRP | S_IROTH))
        snprintf(why, sizeof(why), "can be read by %s (mode %04o)",
                 (st.st_mode & S_IROTH) ? "others" : "its group",
                 (unsigned)(st.st_mode & 07777));
    else
        return;
    cli_err("warning: standard output is a file that %s; the key will stay "
            "in it: use --output FILE for a new file only you can read",
            why);
}

int newkey_out_check(const struct cli *cli, const char *path,
                     struct newkey_out *out)
{
    struct stat st;

    memset(out, 0, sizeof(*out));
    out->path = path;
    out->fd = -1;
    if (path == NULL) {
        int rc = cli_need_stdout(cli);
        if (rc == EXIT_OK)
            warn_readable_stdout();
        return rc;
    }
    /* Early, to spare a password prompt; newkey_out_open decides. */
    if (lstat(path, &st) == 0) {
        refuse_existing(path);
        return EXIT_NOT_SHOWN;
    }
    return EXIT_OK;
}

int newkey_out_open(struct newkey_out *out)
{
    struct stat st;
    int fd;

    if (out->path == NULL)
        return EXIT_OK;
    /* The file itself, not mkstemp + rename: rename would replace an
     * existing name, and a temporary copy would outlive a crash; O_EXCL
     * claims the name before the key is stored, and a failed write
     * removes it (newkey_out_discard). */
    fd = open(out->path,
              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
              0600);
    if (fd < 0) {
        if (errno == EEXIST)
            refuse_existing(out->path);
        else
            cli_err("--output %s: cannot create it: %s (no key was made)",
                    out->path, strerror(errno));
        return EXIT_NOT_SHOWN;
    }
    out->fd = fd;
    out->created = true;
    /* Exactly 0600 whatever the umask; and remember what we made. */
    if (fchmod(fd, 0600) != 0 || fstat(fd, &st) != 0) {
        cli_err("--output %s: cannot set its mode: %s (no key was made)",
                out->path, strerror(errno));
        newkey_out_discard(out);
        return EXIT_NOT_SHOWN;
    }
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    return EXIT_OK;
}

const char *newkey_out_name(const struct newkey_out *out)
{
    return out->path != NULL ? out->path : "standard output";
}

void newkey_say_where(const struct newkey_out *out, const char *what)
{
    if (out->path == NULL)
        fprintf(stderr,
                "apikey: this is the only time the %s is shown; store it "
                "now.\n",
                what);
    else
        fprintf(stderr,
                "apikey: the %s is in %s (mode 0600), its only copy; it is "
                "not shown again.\n",
                what, out->path);
}

void newkey_out_discard(struct newkey_out *out)
{
    struct stat st;

    if (out->fd >= 0) {
        close(out->fd);
        out->fd = -1;
    }
    if (!out->created || out->written)
        return;
    out->created = false;
    /* Only the file we made: the name may have been replaced since. */
    if (lstat(out->path, &st) != 0 || st.st_dev != out->dev ||
        st.st_ino != out->ino) {
        cli_err("--output %s: no longer the file apikey created; left alone",
                out->path);
        return;
    }
    if (unlink(out->path) != 0)
        cli_err("--output %s: cannot remove it: %s", out->path,
                strerror(errno));
}

/* Make the new file's name durable too. Directories on some file systems
 * do not take fsync (EINVAL); that is no reason to withdraw the key. */
static bool sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    int fd;
    bool ok;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    else
        return false;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ok = fsync(fd) == 0 || errno == EINVAL;
    close(fd);
    return ok;
}

static void print_key(FILE *f, const char *key, const struct ak_holder *h,
                      const struct ak_record *r, bool json,
                      const char *replaces)
{
    char ts[32];

    if (!json) {
        fprintf(f, "%s\n", key);
        return;
    }
    fprintf(f, "{\"id\":");
    cli_json_str(f, r->id);
    fprintf(f, ",\"key\":");
    cli_json_str(f, key);
    fprintf(f, ",\"user\":");
    cli_json_str(f, h->name ? h->name : "");
    fprintf(f, ",\"dn\":");
    cli_json_str(f, h->dn);
    fprintf(f, ",\"service_user\":%s", h->service_user ? "true" : "false");
    fprintf(f, ",\"created\":\"%s\"", cli_iso(ts, sizeof(ts), r->created));
    fprintf(f, ",\"expires\":");
    cli_json_time(f, r->has_expires, r->expires);
    fprintf(f, ",\"label\":");
    cli_json_str(f, r->label);
    fprintf(f, ",\"scope\":[");
    for (unsigned k = 0; k < r->n_scopes; k++) {
        if (k > 0)
            fputc(',', f);
        cli_json_str(f, r->scopes[k]);
    }
    fprintf(f, "]");
    if (replaces != NULL) {
        fprintf(f, ",\"replaces\":");
        cli_json_str(f, replaces);
    }
    fprintf(f, "}\n");
}

bool newkey_show(struct newkey_out *out, const char *key,
                 const struct ak_holder *h, const struct ak_record *r,
                 bool json, const char *replaces)
{
    char buf[4096]; /* the file's stdio buffer, wiped after */
    FILE *f;
    bool ok;

    if (out->path == NULL) {
        clearerr(stdout);
        print_key(stdout, key, h, r, json, replaces);
        /* The key is shown only when it reached the file descriptor: a
         * full disk or a closed pipe must be seen now, not at exit. */
        return fflush(stdout) == 0 && !ferror(stdout);
    }
    f = fdopen(out->fd, "w");
    if (f == NULL)
        return false; /* out->fd still ours: newkey_out_discard closes it */
    out->fd = -1;
    setvbuf(f, buf, _IOFBF, sizeof(buf));
    print_key(f, key, h, r, json, replaces);
    ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    sodium_memzero(buf, sizeof(buf));
    ok = ok && sync_dir(out->path);
    out->written = ok;
    return ok;
}

void newkey_block_signals(bool block)
{
    static sigset_t old;
    sigset_t set;

    if (block) {
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGQUIT);
        sigprocmask(SIG_BLOCK, &set, &old);
    } else {
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
}

int newkey_args(int argc, char **argv, const struct option *longopts,
                void (*usage)(FILE *), struct newkey_opts *o, bool *json,
                int (*extra)(void *ctx, int c, const char *arg), void *ctx)
{
    int c;

    /* --scope adds services each time; the other values are single */
    while ((c = cli_getopt_lists(argc, argv, "h", longopts, "s")) != -1) {
        if (c == CLI_OPT_MISPLACED)
            return EXIT_USAGE;
        if (c == 'j') {
            *json = true;
        } else if (c == 'h') {
            usage(stdout);
            return -1;
        } else if (c == '?') {
            usage(stderr);
            return EXIT_USAGE;
        } else if (newkey_opt(o, c, optarg) == EXIT_OK) {
            continue;
        } else if (extra == NULL || extra(ctx, c, optarg) != EXIT_OK) {
            return EXIT_USAGE;
        }
    }
    return newkey_check(o) == EXIT_OK ? EXIT_OK : EXIT_USAGE;
}
