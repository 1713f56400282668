/* SPDX-License-Identifier: BSD-3-Clause */
/* newkey.h - make a key, choose its expiry, show it once (create, rotate) */
#ifndef AK_CLI_NEWKEY_H
#define AK_CLI_NEWKEY_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "ak_policy.h"
#include "ak_record.h"
#include "ak_store.h"
#include "cli.h"

/* Without an expiry option a new key lives this long, or as long as the
 * policy allows if that is shorter. */
#define NEWKEY_DEFAULT_DAYS 365

struct newkey_opts {
    long days;           /* --days; -1: not given */
    const char *expires; /* --expires, or NULL */
    bool no_expiry;      /* --no-expiry */
    const char *label;   /* --label, or NULL */
    const char *output;  /* --output FILE, or NULL: standard output */
    bool has_scope;      /* --scope given: scopes in scope_rec */
    struct ak_record scope_rec;
    int n_expiry_opts;
};

void newkey_opts_init(struct newkey_opts *o);

/* Handle one of the options --days (d), --expires (e), --no-expiry (n),
 * --label (l), --scope (s), --output (o) that create and rotate share.
 * EXIT_OK or EXIT_USAGE (message printed). */
int newkey_opt(struct newkey_opts *o, int c, const char *arg);

/* The long options newkey_opt() understands, for a command's table. */
#define NEWKEY_LONGOPTS                                                        \
    {"days", required_argument, NULL, 'd'},                                    \
        {"expires", required_argument, NULL, 'e'},                             \
        {"no-expiry", no_argument, NULL, 'n'},                                 \
        {"label", required_argument, NULL, 'l'},                               \
        {"output", required_argument, NULL, 'o'},                              \
    {                                                                          \
        "scope", required_argument, NULL, 's'                                  \
    }

/* After parsing: at most one expiry option. */
int newkey_check(const struct newkey_opts *o);

/*
 * The option loop of a command that makes a key (create, rotate): the
 * newkey options, --json ('j'), --help ('h'), and the command's own through
 * extra (may be NULL; returns EXIT_OK or EXIT_USAGE after saying why).
 * Ends with newkey_check(). EXIT_OK, EXIT_USAGE, or -1 after --help.
 */
int newkey_args(int argc, char **argv, const struct option *longopts,
                void (*usage)(FILE *), struct newkey_opts *o, bool *json,
                int (*extra)(void *ctx, int c, const char *arg), void *ctx);

/*
 * Set r's expiry from the options (or default_seconds from now, capped at
 * the policy's maximum lifetime; 0: NEWKEY_DEFAULT_DAYS) and check it
 * against the policy; a refusal states the limit. EXIT_OK, EXIT_USAGE,
 * EXIT_DENIED.
 */
int newkey_expiry(const struct newkey_opts *o, const struct ak_policy *pol,
                  time_t now, time_t default_seconds, struct ak_record *r);

/*
 * Generate a key with the config's prefix into *key (sodium_malloc; free
 * with sodium_free) and complete r (id, created, salt, digest) and its
 * formatted record. EXIT_OK or EXIT_INTERNAL.
 */
int newkey_make(struct cli *cli, time_t now, struct ak_record *r, char **key,
                char record[AK_RECORD_MAX + 1]);

/* The help lines for --output, the same in create and rotate. */
#define NEWKEY_OUTPUT_HELP                                                     \
    "  --output FILE     write the key to FILE, a new file of mode 0600,\n"    \
    "                    instead of standard output; an existing FILE or a\n"  \
    "                    symbolic link is refused, never overwritten\n"

/*
 * Where the new key goes: standard output, or the file of --output. The
 * file is created only once the key is about to be stored, so that nothing
 * is left behind by an interrupted password prompt or a refusal.
 */
struct newkey_out {
    const char *path; /* NULL: standard output */
    int fd;           /* the file we created; -1 before and after */
    bool created;     /* we made path: remove it unless the key got there */
    bool written;     /* the key is in it, synced */
    dev_t dev;        /* what we created, so that only it is removed */
    ino_t ino;
};

/*
 * Before anything is made (and before a password prompt). With --output:
 * refuse a FILE that already exists or is a symbolic link. Without: refuse
 * a closed standard output, and warn on standard error when it is a file
 * that others can read or that is not ours (the key would stay in it).
 * EXIT_OK or EXIT_NOT_SHOWN (message printed).
 */
int newkey_out_check(const struct cli *cli, const char *path,
                     struct newkey_out *out);

/*
 * With --output, create the file: O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC,
 * mode 0600; an existing file or a symlink is refused and left as it was.
 * Call it with signals blocked, right before the key is stored. Nothing to
 * do for standard output. EXIT_OK or EXIT_NOT_SHOWN (message printed).
 */
int newkey_out_open(struct newkey_out *out);

/* "standard output" or the file's name, for messages. */
const char *newkey_out_name(const struct newkey_out *out);

/* Remove the file newkey_out_open() created unless the key was written to
 * it (a refusal, a failed store, a withdrawn key). Safe to call always. */
void newkey_out_discard(struct newkey_out *out);

/* Print the key: alone on its line, or a JSON object (with "replaces"
 * when rotating), on standard output or into the --output file, which is
 * then fsync'd (and its directory) and closed. False when the key could
 * not be written out whole; the caller withdraws it. */
bool newkey_show(struct newkey_out *out, const char *key,
                 const struct ak_holder *h, const struct ak_record *r,
                 bool json, const char *replaces);

/* The closing line on stderr after a key was shown: that this is its only
 * showing, or which 0600 file holds it. what: "key", "new key". */
void newkey_say_where(const struct newkey_out *out, const char *what);

/* Block SIGINT, SIGTERM, SIGHUP, SIGQUIT between storing a key and
 * showing it, so an interrupt cannot split the two. */
void newkey_block_signals(bool block);

#endif
