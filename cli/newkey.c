/* SPDX-License-Identifier: BSD-3-Clause */
/* newkey.c - a new key: options, expiry under the policy, showing it once */
#include "newkey.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ak_hash.h"
#include "ak_key.h"
#include "ak_status.h"
#include "when.h"

void newkey_opts_init(struct newkey_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->days = -1;
}

static int parse_scope(const char *list, struct ak_record *r)
{
    char buf[AK_SCOPE_MAX * (AK_SERVICE_MAX + 1) + 1];
    char *save = NULL;

    r->n_scopes = 0;
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
    if (r->n_scopes == 0) {
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
    case 'e':
        o->expires = arg;
        o->n_expiry_opts++;
        return EXIT_OK;
    case 'n':
        o->no_expiry = true;
        o->n_expiry_opts++;
        return EXIT_OK;
    case 'l':
        if (!ak_label_valid(arg, strlen(arg))) {
            cli_err("--label: at most %d bytes of UTF-8 text without "
                    "control characters",
                    AK_LABEL_MAX);
            return EXIT_USAGE;
        }
        o->label = arg;
        return EXIT_OK;
    case 's':
        o->has_scope = true;
        return parse_scope(arg, &o->scope_rec);
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
            cli_err("--expires '%s': not a date (use YYYY-MM-DD, "
                    "YYYY-MM-DDTHH:MM[:SS]Z or +DAYSd)",
                    o->expires);
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

bool newkey_show(const char *key, const struct ak_holder *h,
                 const struct ak_record *r, bool json, const char *replaces)
{
    char ts[32];

    clearerr(stdout);
    if (!json) {
        printf("%s\n", key);
    } else {
        printf("{\"id\":");
        cli_json_str(stdout, r->id);
        printf(",\"key\":");
        cli_json_str(stdout, key);
        printf(",\"user\":");
        cli_json_str(stdout, h->name ? h->name : "");
        printf(",\"dn\":");
        cli_json_str(stdout, h->dn);
        printf(",\"service_user\":%s", h->service_user ? "true" : "false");
        printf(",\"created\":\"%s\"", cli_iso(ts, sizeof(ts), r->created));
        printf(",\"expires\":");
        cli_json_time(stdout, r->has_expires, r->expires);
        printf(",\"label\":");
        cli_json_str(stdout, r->label);
        printf(",\"scope\":[");
        for (unsigned k = 0; k < r->n_scopes; k++) {
            if (k > 0)
                putchar(',');
            cli_json_str(stdout, r->scopes[k]);
        }
        printf("]");
        if (replaces != NULL) {
            printf(",\"replaces\":");
            cli_json_str(stdout, replaces);
        }
        printf("}\n");
    }
    /* The key is shown only when it reached the file descriptor: a full
     * disk or a closed pipe must be seen now, not at exit. */
    return fflush(stdout) == 0 && !ferror(stdout);
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
