/* SPDX-License-Identifier: BSD-3-Clause */
/* newkey.h - make a key, choose its expiry, show it once (create, rotate) */
#ifndef AK_CLI_NEWKEY_H
#define AK_CLI_NEWKEY_H

#include <stdbool.h>
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
    bool has_scope;      /* --scope given: scopes in scope_rec */
    struct ak_record scope_rec;
    int n_expiry_opts;
};

void newkey_opts_init(struct newkey_opts *o);

/* Handle one of the options --days (d), --expires (e), --no-expiry (n),
 * --label (l), --scope (s) that create and rotate share. EXIT_OK or EXIT_USAGE
 * (message printed). */
int newkey_opt(struct newkey_opts *o, int c, const char *arg);

/* The long options newkey_opt() understands, for a command's table. */
#define NEWKEY_LONGOPTS                                                        \
    {"days", required_argument, NULL, 'd'},                                    \
        {"expires", required_argument, NULL, 'e'},                             \
        {"no-expiry", no_argument, NULL, 'n'},                                 \
        {"label", required_argument, NULL, 'l'},                               \
    {                                                                          \
        "scope", required_argument, NULL, 's'                                  \
    }

/* After parsing: at most one expiry option. */
int newkey_check(const struct newkey_opts *o);

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

/* Print the key: alone on its line, or a JSON object (with "replaces"
 * when rotating). False when standard output could not take it. */
bool newkey_show(const char *key, const struct ak_holder *h,
                 const struct ak_record *r, bool json, const char *replaces);

/* Block SIGINT, SIGTERM, SIGHUP, SIGQUIT between storing a key and
 * showing it, so an interrupt cannot split the two. */
void newkey_block_signals(bool block);

#endif
