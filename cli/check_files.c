/* SPDX-License-Identifier: BSD-3-Clause */
/* check_files.c - check-config: can each host read apikey's files, and are
 * they as safe as the PAM module and the SASL plugin require? */
#include "check_files.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ak_secure.h"
#include "cli.h"

enum { MAX_GROUPS = 256 };

static const struct {
    unsigned bit;
    const char *name;
    const char *users[2]; /* the account it runs as; the first found */
} hosts[] = {
    {HOST_SSHD, "sshd", {"root", NULL}},
    {HOST_SU, "su", {"root", NULL}},
    {HOST_SASLAUTHD, "saslauthd", {"root", NULL}},
    {HOST_POSTFIX, "postfix", {"postfix", NULL}},
    {HOST_OPENLDAP, "openldap", {"openldap", "ldap"}}, /* Debian; Fedora */
    {HOST_CYRUS, "cyrus", {"cyrus", NULL}},
    {HOST_EXPIRYD, "expiryd", {"apikey-expiryd", NULL}}, /* its unit's */
};

enum kind {
    K_CONFIG, /* ak_file_read AK_FILE_CONFIG */
    K_SECRET, /* ak_file_read AK_FILE_SECRET */
    K_PUBLIC, /* read by libldap: readable is enough */
    K_KEY,    /* read by libldap, but a secret: not readable by others */
    K_DIR,    /* a directory libldap lists */
};

struct who {
    const char *host; /* NULL: this process */
    char user[64];
    uid_t uid;
    gid_t groups[MAX_GROUPS];
    int ngroups;
};

bool check_hosts_parse(const char *arg, unsigned *mask)
{
    const char *p = arg;

    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        bool found = false;
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            *mask |= HOST_ALL;
            found = true;
        }
        for (size_t i = 0; !found && i < sizeof(hosts) / sizeof(hosts[0]); i++)
            if (strlen(hosts[i].name) == len &&
                strncmp(p, hosts[i].name, len) == 0) {
                *mask |= hosts[i].bit;
                found = true;
            }
        if (!found) {
            cli_err("--host: '%.*s' is not one of sshd, su, saslauthd, "
                    "postfix, openldap, cyrus, expiryd, all",
                    (int)len, p);
            return false;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (*mask == 0) {
        cli_err("--host: name a host (sshd, su, saslauthd, postfix, "
                "openldap, cyrus, expiryd or all)");
        return false;
    }
    return true;
}

static bool in_groups(const struct who *w, gid_t g)
{
    for (int i = 0; i < w->ngroups; i++)
        if (w->groups[i] == g)
            return true;
    return false;
}

/* May w do what (4 read, 1 search/execute) to the object of st? */
static bool may(const struct who *w, const struct stat *st, unsigned what)
{
    unsigned bits;

    if (w->uid == 0)
        return true; /* CAP_DAC_OVERRIDE */
    if (st->st_uid == w->uid)
        bits = (st->st_mode >> 6) & 7;
    else if (in_groups(w, st->st_gid))
        bits = (st->st_mode >> 3) & 7;
    else
        bits = st->st_mode & 7;
    return (bits & what) == what;
}

static const char *uname_of(uid_t uid, char *buf, size_t size)
{
    struct passwd *pw = getpwuid(uid);
    if (pw != NULL)
        snprintf(buf, size, "%s", pw->pw_name);
    else
        snprintf(buf, size, "%u", (unsigned)uid);
    return buf;
}

static const char *gname_of(gid_t gid, char *buf, size_t size)
{
    struct group *gr = getgrgid(gid);
    if (gr != NULL)
        snprintf(buf, size, "%s", gr->gr_name);
    else
        snprintf(buf, size, "%u", (unsigned)gid);
    return buf;
}

/* "root:postfix 0640" */
static const char *owner_mode(const struct stat *st, char *buf, size_t size)
{
    char u[64], g[64];
    snprintf(buf, size, "%s:%s %04o", uname_of(st->st_uid, u, sizeof(u)),
             gname_of(st->st_gid, g, sizeof(g)),
             (unsigned)(st->st_mode & 07777));
    return buf;
}

static const char *label_of(const struct who *w, char *buf, size_t size)
{
    if (w->host == NULL)
        snprintf(buf, size, "files as %s (this process)", w->user);
    else
        snprintf(buf, size, "%s (runs as %s)", w->host, w->user);
    return buf;
}

/* The directories on the way to path: each must let w search it. */
static bool check_dirs(const struct who *w, const char *path, const char *label)
{
    char dir[PATH_MAX], om[160];
    struct stat st;
    size_t len = strlen(path);

    if (len >= sizeof(dir))
        return false;
    for (size_t i = 1; i < len; i++) {
        if (path[i] != '/')
            continue;
        memcpy(dir, path, i);
        dir[i] = '\0';
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            printf("problem: %s: %s is not a directory\n", label,
                   cli_show(dir));
            return false;
        }
        if (!may(w, &st, 1)) {
            printf("problem: %s: cannot enter %s (%s) to reach %s\n", label,
                   cli_show(dir), owner_mode(&st, om, sizeof(om)),
                   cli_show(path));
            return false;
        }
    }
    return true;
}

/* The CA directory: libldap (GnuTLS) reads each entry that is a file or a
 * link; a link to a FIFO would block every login. Looked at, not opened. */
static bool check_dir_entries(const char *label, const char *what,
                              const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool good = true;

    if (d == NULL)
        return true; /* the directory itself was checked */
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN &&
            e->d_type != DT_REG)
            continue; /* skipped by the reader too */
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || S_ISREG(st.st_mode) ||
            S_ISDIR(st.st_mode))
            continue;
        printf("problem: %s: %s %s holds %s, which is %s: libldap would "
               "wait on it for good\n",
               label, what, cli_show(path), cli_show(e->d_name),
               ak_file_type_str(st.st_mode));
        good = false;
    }
    closedir(d);
    return good;
}

/* One file as w reads it. Prints a problem line and returns false when it
 * cannot, or when it is not as safe as its kind must be. */
static bool check_one(const struct who *w, const char *what, const char *path,
                      enum kind kind)
{
    char label[128], om[160];
    struct stat st;
    enum ak_file_fault fault;
    int rc;

    label_of(w, label, sizeof(label));
    if (path[0] != '/') {
        printf("problem: %s: %s %s: not an absolute path\n", label, what,
               cli_show(path));
        return false;
    }
    if (!check_dirs(w, path, label))
        return false;
    /* The PAM module and the SASL plugin open with O_NOFOLLOW. */
    rc = (kind == K_CONFIG || kind == K_SECRET) ? lstat(path, &st)
                                                : stat(path, &st);
    if (rc != 0) {
        printf("problem: %s: %s %s: %s\n", label, what, cli_show(path),
               errno == ENOENT ? "no such file" : strerror(errno));
        return false;
    }
    owner_mode(&st, om, sizeof(om));
    if (S_ISLNK(st.st_mode)) {
        printf("problem: %s: %s %s is a symbolic link, which the PAM module "
               "and the SASL plugin refuse: name the file itself\n",
               label, what, cli_show(path));
        return false;
    }
    if (kind == K_DIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        /* only looked at (stat), never opened: a FIFO cannot block this */
        printf("problem: %s: %s %s is %s, not a %s: every host refuses it\n",
               label, what, cli_show(path), ak_file_type_str(st.st_mode),
               kind == K_DIR ? "directory" : "regular file");
        return false;
    }
    /* the rules of ak_file_read, for the host's account */
    fault = kind == K_CONFIG   ? ak_file_rule(&st, AK_FILE_CONFIG, w->uid)
            : kind == K_SECRET ? ak_file_rule(&st, AK_FILE_SECRET, w->uid)
                               : AK_FILE_FINE;
    if (fault == AK_FILE_BAD_OWNER) {
        printf("problem: %s: %s %s (%s) must be owned by root%s%s\n", label,
               what, cli_show(path), om, w->uid != 0 ? " or " : "",
               w->uid != 0 ? w->user : "");
        return false;
    }
    if (fault == AK_FILE_WRITABLE) {
        printf("problem: %s: %s %s (%s) is writable by group or others: "
               "chmod go-w\n",
               label, what, cli_show(path), om);
        return false;
    }
    /* a TLS key is no file of ak_file_read's, but a secret all the same */
    if (fault == AK_FILE_OTHERS_READ ||
        (kind == K_KEY && (st.st_mode & S_IROTH))) {
        printf("problem: %s: %s %s (%s) is readable by others: chmod o-r "
               "(0600 or 0640)\n",
               label, what, cli_show(path), om);
        return false;
    }
    if (!may(w, &st, kind == K_DIR ? 5 : 4)) {
        struct passwd *pw = getpwuid(w->uid);
        char g[64];
        if (pw != NULL && (kind == K_SECRET || kind == K_KEY))
            printf("problem: %s: cannot read %s %s (%s): for example chgrp "
                   "%s and chmod 0640 it (or a group %s is in)\n",
                   label, what, cli_show(path), om,
                   gname_of(pw->pw_gid, g, sizeof(g)), w->user);
        else
            printf("problem: %s: cannot read %s %s (%s)\n", label, what,
                   cli_show(path), om);
        return false;
    }
    return kind != K_DIR || check_dir_entries(label, what, path);
}

static bool check_who(const struct who *w, const struct ak_config *cfg,
                      bool daemon)
{
    /* apikey-expiryd binds with its own account when it has one */
    bool own = daemon && cfg->notice_bind_pw_file != NULL;
    const struct {
        const char *what;
        const char *path;
        enum kind kind;
    } files[] = {
        {"the configuration", cfg->path, K_CONFIG},
        {own ? "notice_bind_pw_file" : "bind_pw_file",
         own ? cfg->notice_bind_pw_file : cfg->bind_pw_file, K_SECRET},
        {"tls_cacert", cfg->tls_cacert, K_PUBLIC},
        {"tls_cacertdir", cfg->tls_cacertdir, K_DIR},
        {"tls_cert", cfg->tls_cert, K_PUBLIC},
        {"tls_key", cfg->tls_key, K_KEY},
    };
    char label[128], list[256] = "";
    bool good = true;

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i].path == NULL)
            continue;
        if (!check_one(w, files[i].what, files[i].path, files[i].kind)) {
            good = false;
            continue;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", used > 0 ? ", " : "",
                 files[i].what);
    }
    if (good)
        printf("ok %s: reads %s%s\n", label_of(w, label, sizeof(label)), list,
               cfg->tls_cacert == NULL && cfg->tls_cacertdir == NULL
                   ? " (no tls_cacert: libldap's default CAs)"
                   : "");
    return good;
}

static bool fill_groups(struct who *w, const char *user, gid_t gid)
{
    int n = MAX_GROUPS;

    if (getgrouplist(user, gid, w->groups, &n) < 0)
        return false; /* more than MAX_GROUPS */
    w->ngroups = n;
    return true;
}

bool check_files(const struct ak_config *cfg, unsigned mask)
{
    bool good = true;

    if (mask == 0) {
        struct who w = {.host = NULL, .uid = geteuid()};
        uname_of(w.uid, w.user, sizeof(w.user));
        int n = getgroups(MAX_GROUPS - 1, w.groups);
        w.ngroups = n < 0 ? 0 : n;
        w.groups[w.ngroups++] = getegid();
        return check_who(&w, cfg, false);
    }
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        struct passwd *pw = NULL;
        struct who w = {.host = hosts[i].name};

        if (!(mask & hosts[i].bit))
            continue;
        for (size_t k = 0; k < 2 && pw == NULL && hosts[i].users[k]; k++)
            pw = getpwnam(hosts[i].users[k]);
        if (pw == NULL) {
            printf("note: %s: no user %s on this system, not checked\n",
                   hosts[i].name, hosts[i].users[0]);
            continue;
        }
        snprintf(w.user, sizeof(w.user), "%s", pw->pw_name);
        w.uid = pw->pw_uid;
        if (!fill_groups(&w, w.user, pw->pw_gid)) {
            printf("problem: %s: user %s is in too many groups to check\n",
                   hosts[i].name, w.user);
            good = false;
            continue;
        }
        good = check_who(&w, cfg, hosts[i].bit == HOST_EXPIRYD) && good;
    }
    return good;
}
