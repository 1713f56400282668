/* SPDX-License-Identifier: BSD-3-Clause */
/* cli.h - shared state and helpers of the apikey command */
#ifndef AK_CLI_H
#define AK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ak_config.h"
#include "ak_ldap.h"
#include "ak_log.h"

/* Exit codes, documented in apikey(1). */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_REFUSED = 1,     /* verify: the key was refused */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_CONFIG = 3,      /* configuration unreadable or invalid */
    EXIT_UNAVAILABLE = 4, /* directory unreachable */
    EXIT_NOT_FOUND = 5,   /* no such user or key id */
    EXIT_DENIED = 6,      /* refused by policy or access rights */
    EXIT_CONFLICT = 7,    /* changed concurrently; nothing written */
    EXIT_INTERNAL = 10,   /* out of memory, crypto, ... */
};

struct cli {
    const char *config_path;
    const char *uri;     /* -H: replaces the config's URIs */
    const char *bind_dn; /* -D */
    const char *pw_file; /* -y */
    bool pw_prompt;      /* -W */
    const char *mech;    /* -Y EXTERNAL */
    bool json;
    int verbose;
    struct ak_config *cfg;
    struct ak_log log;
    struct ak_dir *dir;
};

/* A command: argv[0] is the command name. Returns an enum cli_exit. */
typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv);

int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_revoke(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_check_config(struct cli *cli, int argc, char **argv);

/* Load the config (once). Returns EXIT_OK or EXIT_CONFIG. */
int cli_load_config(struct cli *cli);

/* Load the config and open the directory with the chosen credentials
 * (-D/-y/-W/-Y, else the config's service bind). */
int cli_open(struct cli *cli);

/* Map an ak status to an exit code. */
int cli_exit_for(int status);

/* Print "apikey: <msg>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write s as a JSON string literal (with quotes) to f. */
void cli_json_str(FILE *f, const char *s);

/* "2027-01-31 12:00 UTC" for tables; "-" when !has. */
const char *cli_date(char *buf, size_t size, bool has, time_t t);

/* ISO 8601 "2027-01-31T12:00:00Z" for JSON. */
const char *cli_iso(char *buf, size_t size, time_t t);

#endif
